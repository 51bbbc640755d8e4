// Package recordsink delivers contact records from the store's outbox to where an
// organisation keeps them, and deletes contacts past their retention.
//
// When a contact ends, package lifecycle appends its contact record (Connect's contact-record
// data model, contact.Record) to the outbox in the same transaction as the contact's last
// change (contact.Store AppendContactRecord). A Runner gives every configured Sink its own
// cursor in the store (SinkCursor): it reads the records after the cursor in Seq order, hands
// the batch to the sink, and only when the sink says the batch is durable moves the cursor, in
// a store Update with an audit event (code EventDelivered, actor "system"). Sinks:
//
//   - FileSink (the default): JSON Lines files per UTC day in <data dir>/contact-records,
//     mode 0600, fsynced before the cursor moves;
//   - Webhook: signed HTTPS POSTs of JSON Lines through the guarded egress client;
//   - NATS: one JetStream message per record on "ringfence.contact-records.<instance ID>".
//
// # Delivery semantics
//
// Delivery is at least once, as Connect's contact-record streams are: a record is delivered
// again when the node stops between a sink's success and the cursor move, when a sink fails
// after writing part of a batch, and when several nodes run the same sink. Consumers dedupe on
// ContactId plus LastUpdateTimestamp (DedupeKey) and, of several records of one contact, keep
// the one with the greatest LastUpdateTimestamp; they must ignore fields they do not know.
//
// No record is skipped: a sink that fails keeps its cursor and is retried after a back-off
// that doubles from RunnerConfig.MinBackoff up to MaxBackoff, and the cursor never moves back
// or past a record that was not delivered. Seq values become visible in order because the
// store commits write transactions one at a time (SQLite's single writer; on PostgreSQL every
// write transaction holds the audit-chain advisory lock), so a reader never sees Seq n+1 before
// a committed Seq n. Gaps in Seq (rolled-back transactions, retention) hold nothing to deliver.
// Retention (24 months after initiation by default, every hour) deletes ended contacts older
// than its horizon with everything stored for them (records, delivered or not; flow session and
// logs; chat, participants, tokens and transcript; search index and agent history entries;
// ClientTokens), the records of contacts no longer stored, and the file sink's day files of
// days that ended before it. It deletes in batches, one transaction each, each audited (code
// EventRetention); a contact that has not ended is never deleted.
//
// A new sink, or a renamed one, starts at the beginning of the outbox and delivers everything
// still kept. Every sink receives the records of every instance; each record names its
// instance (InstanceARN).
//
// # Wiring in a node
//
// A node builds one Service from its configuration and runs it for its lifetime:
//
//	svc, err := recordsink.New(recordsink.Config{
//		Store:         st,
//		DataDir:       cfg.DataDir,                 // file sink in DataDir/contact-records
//		WebhookURL:    cfg.ContactRecordWebhookURL, // optional
//		WebhookSecret: cfg.ContactRecordWebhookSecret,
//		WebhookEgress: egress.Config{AllowHosts: cfg.ContactRecordWebhookAllowHosts},
//		NATSURL:       cfg.NATSURL, // optional
//		Logger:        logger,
//	})
//	if err != nil { ... }
//	go svc.Run(ctx) // returns when ctx ends
//
// Run polls every second; svc.Kick delivers at once (call it after a contact ends, if the
// lifecycle offers a hook). In a cluster, run the Service on one node (for example the holder
// of a lease); running it on several is safe but delivers duplicates, and each node's file sink
// writes to its own data directory.
package recordsink
