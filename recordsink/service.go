package recordsink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// DedupeKey returns what consumers deduplicate records on: the ContactId, "@", and the
// LastUpdateTimestamp as the record writes it (UTC, second precision,
// "2006-01-02T15:04:05Z"). Of several records with one ContactId, the one with the greatest
// LastUpdateTimestamp is the newest (Connect's contact-record delivery rules). The NATS sink
// sends it as Nats-Msg-Id.
func DedupeKey(r contact.RecordEntry) string {
	return r.ContactID + "@" + r.LastUpdate.UTC().Format("2006-01-02T15:04:05Z")
}

// Config is what a node sets to deliver contact records and enforce their retention. Only
// Store is required; with nothing else set, records go to JSON Lines files in
// DataDir/contact-records.
type Config struct {
	Store store.Store
	// DataDir is the node's data directory; the file sink writes to DataDir/contact-records.
	// Empty, or DisableFile, turns the file sink off.
	DataDir     string
	DisableFile bool
	// WebhookURL turns the webhook sink on: batches POSTed as JSON Lines, signed with
	// WebhookSecret (at least 16 bytes) and sent through an egress client built from
	// WebhookEgress (allowlist a receiver on a private network there).
	WebhookURL    string
	WebhookSecret secret.Value[string]
	WebhookEgress egress.Config
	// NATSURL turns the NATS JetStream sink on; NATSOptions carry credentials and TLS,
	// NATSSubjectPrefix and NATSStream replace the defaults.
	NATSURL           string
	NATSOptions       []nats.Option
	NATSSubjectPrefix string
	NATSStream        string
	// Poll is the outbox poll interval of every sink (default DefaultPoll, 1 s).
	Poll time.Duration
	// RetentionKeep and RetentionEvery configure the retention job (defaults: 24 months,
	// every hour); it also deletes the file sink's day files past the horizon.
	RetentionKeep, RetentionEvery time.Duration
	// RetentionBatch is how many contacts one retention transaction deletes (1 to
	// contact.MaxPurgeBatch; 0 means DefaultRetentionBatch).
	RetentionBatch int
	// Clock is the time source of signatures and retention; nil means time.Now.
	Clock func() time.Time
	// Logger receives delivery and retention failures (identifiers only).
	Logger *slog.Logger
}

// Service runs the configured sinks and the retention job. Create it with New, start it with
// Run.
type Service struct {
	runner    *Runner
	retention *Retention
	closers   []func()
}

// New builds the sinks cfg names. It fails when cfg has no store, names no sink, a sink's
// settings are invalid (bad webhook URL or short secret, bad NATS subject), or a retention
// setting is out of range.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("recordsink: a store is required")
	}
	s := &Service{}
	var (
		sinks   []Sink
		fileDir string
	)
	if cfg.DataDir != "" && !cfg.DisableFile {
		f, err := NewFileSink(filepath.Join(cfg.DataDir, FileDirName))
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, f)
		fileDir = f.Dir()
	}
	if cfg.WebhookURL != "" {
		w, err := NewWebhook(WebhookConfig{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Egress: cfg.WebhookEgress, Now: cfg.Clock})
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, w)
		s.closers = append(s.closers, w.Close)
	}
	if cfg.NATSURL != "" {
		n, err := NewNATS(NATSConfig{URL: cfg.NATSURL, Options: cfg.NATSOptions, SubjectPrefix: cfg.NATSSubjectPrefix, Stream: cfg.NATSStream})
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, n)
		s.closers = append(s.closers, n.Close)
	}
	if len(sinks) == 0 {
		return nil, errors.New("recordsink: no sink configured (set DataDir, WebhookURL or NATSURL)")
	}
	r, err := NewRunner(RunnerConfig{Store: cfg.Store, Sinks: sinks, Poll: cfg.Poll, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	s.runner = r
	s.retention = &Retention{Store: cfg.Store, FileDir: fileDir, Keep: cfg.RetentionKeep, Every: cfg.RetentionEvery,
		BatchSize: cfg.RetentionBatch, Clock: cfg.Clock, Logger: cfg.Logger}
	if _, err := s.retention.Horizon(time.Now()); err != nil {
		return nil, err
	}
	if _, err := s.retention.batchSize(); err != nil {
		return nil, err
	}
	if cfg.RetentionEvery < 0 {
		return nil, fmt.Errorf("recordsink: retention: negative interval %s", cfg.RetentionEvery)
	}
	return s, nil
}

// Kick makes the sinks look at the outbox now (see Runner.Kick).
func (s *Service) Kick() { s.runner.Kick() }

// Run delivers records and runs retention until ctx ends, then closes the sinks' connections
// and returns nil.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.runner.Run(ctx) })
	wg.Go(func() { _ = s.retention.Run(ctx) })
	wg.Wait()
	for _, c := range s.closers {
		c()
	}
	return nil
}
