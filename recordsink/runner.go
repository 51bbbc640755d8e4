package recordsink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// Sink receives contact records. Deliver is called by one goroutine at a time per sink.
type Sink interface {
	// Name is the sink's stable key for its delivery cursor in the store (1–64 characters:
	// letters, digits, '-', '_', '.'). Renaming a sink starts it from the beginning of the
	// outbox.
	Name() string
	// Deliver makes records durable at the destination, in the order given (Seq order), and
	// returns nil only when all of them are. On error the Runner delivers the same records
	// again later, so a sink may see a record more than once; it must not skip any.
	Deliver(ctx context.Context, records []contact.RecordEntry) error
}

// Defaults of RunnerConfig.
const (
	// DefaultPoll is how often a sink looks for new records when nothing kicks it.
	DefaultPoll = time.Second
	// DefaultBatchSize is how many records a sink receives per Deliver call at most.
	DefaultBatchSize = 100
	// MaxBatchSize is the largest BatchSize: the most the store returns per read.
	MaxBatchSize = 1000
	// DefaultMinBackoff is the wait after a first failure; it doubles per failure in a row.
	DefaultMinBackoff = time.Second
	// DefaultMaxBackoff caps the wait between attempts on a failing sink.
	DefaultMaxBackoff = 5 * time.Minute
)

// Audit event code and operation of a cursor move.
const (
	// EventDelivered is the audit code of a batch delivered to a sink (actor "system"). Its
	// Details carry "sink", "first_seq", "last_seq" and "records".
	EventDelivered = "records.delivered"
	// EventRetention is the audit code of one batch of a retention pass (actor "system"), each
	// committed with what the batch deleted. Its Details carry "before" (the horizon, RFC 3339,
	// UTC), "batch" (from 1 within the pass), "contacts_deleted", "orphan_records_deleted"
	// (records whose contact was no longer stored) and, in batch 1 with a file sink,
	// "files_deleted" (comma-separated day-file names).
	EventRetention = "records.retention"
)

// RunnerConfig configures a Runner. Store and at least one sink are required.
type RunnerConfig struct {
	Store store.Store
	// Sinks receive every record of the outbox; names must be unique.
	Sinks []Sink
	// Poll is the interval between looks at the outbox; 0 means DefaultPoll.
	Poll time.Duration
	// BatchSize is the most records per Deliver call (1–MaxBatchSize); 0 means
	// DefaultBatchSize.
	BatchSize int
	// MinBackoff and MaxBackoff bound the wait after a failed delivery or cursor move; 0 means
	// DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives delivery failures (sink name, Seq range, error; never record content).
	Logger *slog.Logger
}

// Runner delivers the contact-record outbox to its sinks, each sink on its own goroutine with
// its own cursor: a failing sink holds back only itself. Create it with NewRunner, start it
// with Run.
type Runner struct {
	cfg   RunnerConfig
	log   *slog.Logger
	kicks []chan struct{}
}

// NewRunner checks cfg and returns a Runner. It fails without a store, without sinks, with
// an invalid or duplicate sink name, or with a limit out of range.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Store == nil {
		return nil, errors.New("recordsink: a store is required")
	}
	if len(cfg.Sinks) == 0 {
		return nil, errors.New("recordsink: no sinks configured")
	}
	seen := map[string]bool{}
	for _, s := range cfg.Sinks {
		name := s.Name()
		if err := checkSinkName(name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("recordsink: sink %q configured twice", name)
		}
		seen[name] = true
	}
	switch {
	case cfg.Poll < 0:
		return nil, fmt.Errorf("recordsink: negative poll interval %s", cfg.Poll)
	case cfg.Poll == 0:
		cfg.Poll = DefaultPoll
	}
	switch {
	case cfg.BatchSize < 0 || cfg.BatchSize > MaxBatchSize:
		return nil, fmt.Errorf("recordsink: batch size %d outside 1–%d", cfg.BatchSize, MaxBatchSize)
	case cfg.BatchSize == 0:
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.MinBackoff < 0 || cfg.MaxBackoff < 0 {
		return nil, errors.New("recordsink: negative back-off")
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		return nil, fmt.Errorf("recordsink: MaxBackoff %s below MinBackoff %s", cfg.MaxBackoff, cfg.MinBackoff)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, log: cfg.Logger}
	for range cfg.Sinks {
		r.kicks = append(r.kicks, make(chan struct{}, 1))
	}
	return r, nil
}

func checkSinkName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("recordsink: sink name %q must have 1–64 characters", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("recordsink: sink name %q: only letters, digits, '-', '_' and '.' are allowed", name)
		}
	}
	return nil
}

// Kick makes every sink that is not backing off after a failure look at the outbox now
// instead of at its next poll. It never blocks; call it after appending a record.
func (r *Runner) Kick() {
	for _, k := range r.kicks {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends, then returns nil once every sink's goroutine has stopped. A
// delivery in progress is cancelled through ctx; its records are delivered again at the next
// start (the cursor did not move).
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, s := range r.cfg.Sinks {
		wg.Go(func() { r.loop(ctx, s, r.kicks[i]) })
	}
	wg.Wait()
	return nil
}

// loop delivers to one sink until ctx ends: at once while full batches come back, every Poll
// (or on a kick) when the outbox is drained, and after a growing back-off (kicks ignored) while
// the sink fails.
func (r *Runner) loop(ctx context.Context, s Sink, kicks <-chan struct{}) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		n, err := r.deliverOnce(ctx, s)
		wait, kick := r.cfg.Poll, kicks
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			backoff = min(max(2*backoff, r.cfg.MinBackoff), r.cfg.MaxBackoff)
			r.log.Warn("contact-record delivery failed", "sink", s.Name(), "retry_in", backoff.String(), "error", err.Error())
			wait, kick = backoff, nil
		case n == r.cfg.BatchSize:
			backoff = 0
			continue // more may be waiting
		default:
			backoff = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-kick:
			t.Stop()
		}
	}
}

// deliverOnce reads the next batch after the sink's cursor, delivers it and then moves the
// cursor with an audit event. It returns how many records were delivered.
func (r *Runner) deliverOnce(ctx context.Context, s Sink) (int, error) {
	name := s.Name()
	var recs []contact.RecordEntry
	err := r.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		cursor, err := tx.SinkCursor(ctx, name)
		if err != nil {
			return err
		}
		recs, err = tx.ListContactRecords(ctx, cursor, r.cfg.BatchSize)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sink %q: read outbox: %w", name, err)
	}
	if len(recs) == 0 {
		return 0, nil
	}
	first, last := recs[0].Seq, recs[len(recs)-1].Seq
	if err := s.Deliver(ctx, recs); err != nil {
		return 0, fmt.Errorf("sink %q: deliver records %d–%d: %w", name, first, last, err)
	}
	ev := &audit.Event{Code: EventDelivered, Actor: "system", Operation: "DeliverContactRecords", Resource: "contact-record-sink/" + name,
		Details: map[string]string{"sink": name, "first_seq": strconv.FormatInt(first, 10), "last_seq": strconv.FormatInt(last, 10), "records": strconv.Itoa(len(recs))}}
	// The batch is out: record that even when ctx has just ended, or a restart sends it again.
	err = r.cfg.Store.Update(context.WithoutCancel(ctx), ev, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.SinkCursor(ctx, name)
		if err != nil {
			return err
		}
		if last <= cur {
			return nil // another runner got further: the cursor never moves back
		}
		return tx.SetSinkCursor(ctx, name, last)
	})
	if err != nil {
		return 0, fmt.Errorf("sink %q: move cursor to %d: %w", name, last, err)
	}
	return len(recs), nil
}
