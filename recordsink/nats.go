package recordsink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ringfence/ringfence/contact"
)

const (
	// DefaultNATSSubjectPrefix is the subject prefix of the NATS sink: a record of instance I is
	// published on "ringfence.contact-records.I".
	DefaultNATSSubjectPrefix = "ringfence.contact-records"
	// DefaultNATSStream is the JetStream stream the NATS sink publishes to, created when
	// missing with the subjects "<prefix>.>".
	DefaultNATSStream = "RINGFENCE_CONTACT_RECORDS"
	// DefaultNATSTimeout bounds connecting, stream set-up, and each publish acknowledgement.
	DefaultNATSTimeout = 5 * time.Second
)

// NATSConfig configures a NATS sink.
type NATSConfig struct {
	// URL is the NATS server URL or a comma-separated list ("nats://127.0.0.1:4222",
	// "tls://nats.example.net:4222").
	URL string
	// SubjectPrefix replaces DefaultNATSSubjectPrefix.
	SubjectPrefix string
	// Stream replaces DefaultNATSStream.
	Stream string
	// Options are further connection options: credentials, TLS, name. Reconnection is on
	// without a limit.
	Options []nats.Option
	// Timeout replaces DefaultNATSTimeout.
	Timeout time.Duration
}

// NATS publishes contact records to a NATS JetStream stream, one message per record with the
// record body (JSON) as data, on subject "<prefix>.<instance ID>", in Seq order, each publish
// waiting for the stream's acknowledgement.
//
// Every message carries the header Nats-Msg-Id = DedupeKey (ContactId and
// LastUpdateTimestamp), so JetStream drops a redelivered record that arrives within the
// stream's duplicate window (Duplicates in the stream configuration, 2 minutes by default);
// after a longer outage a redelivered record is stored twice and consumers dedupe as for any
// sink. The connection is made on the first delivery, so an unreachable server at start only
// delays delivery.
type NATS struct {
	cfg NATSConfig

	mu sync.Mutex
	nc *nats.Conn
	js jetstream.JetStream
}

// NewNATS checks cfg and returns a NATS sink; it does not connect yet.
func NewNATS(cfg NATSConfig) (*NATS, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, errors.New("recordsink: nats: empty URL")
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultNATSSubjectPrefix
	}
	for _, tok := range strings.Split(cfg.SubjectPrefix, ".") {
		if !subjectToken(tok) {
			return nil, fmt.Errorf("recordsink: nats: subject prefix %q has an empty or wildcard token", cfg.SubjectPrefix)
		}
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultNATSStream
	}
	if !subjectToken(cfg.Stream) || strings.ContainsAny(cfg.Stream, "/\\") {
		return nil, fmt.Errorf("recordsink: nats: invalid stream name %q", cfg.Stream)
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("recordsink: nats: negative timeout %s", cfg.Timeout)
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultNATSTimeout
	}
	return &NATS{cfg: cfg}, nil
}

// subjectToken reports whether s can be one token of a NATS subject: not empty, no '.', no
// wildcard, no white space or control character.
func subjectToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '.' || c == '*' || c == '>' {
			return false
		}
	}
	return true
}

// Name returns "nats".
func (n *NATS) Name() string { return "nats" }

// Subject returns the subject a record of instanceID is published on.
func (n *NATS) Subject(instanceID string) string { return n.cfg.SubjectPrefix + "." + instanceID }

// Stream returns the stream name.
func (n *NATS) Stream() string { return n.cfg.Stream }

// Close closes the connection, if any.
func (n *NATS) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nc != nil {
		n.nc.Close()
		n.nc, n.js = nil, nil
	}
}

// connect returns the JetStream context, connecting and ensuring the stream on first use.
func (n *NATS) connect(ctx context.Context) (jetstream.JetStream, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.js != nil {
		return n.js, nil
	}
	opts := append([]nats.Option{nats.Name("ringfence contact records"), nats.MaxReconnects(-1), nats.Timeout(n.cfg.Timeout)}, n.cfg.Options...)
	nc, err := nats.Connect(n.cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(n.cfg.Timeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	if _, err := js.Stream(ctx, n.cfg.Stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        n.cfg.Stream,
			Description: "Ringfence contact records",
			Subjects:    []string{n.cfg.SubjectPrefix + ".>"},
			Storage:     jetstream.FileStorage,
		})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			nc.Close()
			return nil, fmt.Errorf("create stream %s: %w", n.cfg.Stream, err)
		}
	} else if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream %s: %w", n.cfg.Stream, err)
	}
	n.nc, n.js = nc, js
	return js, nil
}

// Deliver publishes the records one by one, each acknowledged by the stream before the next.
func (n *NATS) Deliver(ctx context.Context, records []contact.RecordEntry) error {
	js, err := n.connect(ctx)
	if err != nil {
		return fmt.Errorf("nats sink: %w", err)
	}
	for _, r := range records {
		if !subjectToken(r.InstanceID) {
			return fmt.Errorf("nats sink: record %d: instance ID %q cannot be a subject token", r.Seq, r.InstanceID)
		}
		msg := nats.NewMsg(n.Subject(r.InstanceID))
		msg.Data = r.Body
		msg.Header.Set("Content-Type", "application/json")
		pctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
		_, err := js.PublishMsg(pctx, msg, jetstream.WithMsgID(DedupeKey(r)), jetstream.WithExpectStream(n.cfg.Stream))
		cancel()
		if err != nil {
			return fmt.Errorf("nats sink: publish record %d: %w", r.Seq, err)
		}
	}
	return nil
}
