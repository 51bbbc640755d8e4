package recordsink

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

const (
	// DefaultKeepMonths is how long contacts and their records are kept when Retention.Keep is
	// zero: 24 calendar months from initiation, as Connect keeps contact records.
	DefaultKeepMonths = 24
	// DefaultRetentionEvery is how often the retention job runs when Retention.Every is zero.
	DefaultRetentionEvery = time.Hour
	// DefaultRetentionBatch is how many contacts one retention transaction deletes when
	// Retention.BatchSize is zero.
	DefaultRetentionBatch = 50
)

// Retention deletes ended contacts initiated before the retention horizon with everything
// stored for them (store DeleteContactsBefore): flow session and flow logs, contact records,
// the chat with its participants, tokens and transcript, the search index entries, the
// agents' handled-contact entries and the ClientTokens that name them. A contact that has not
// ended stays whole, whatever its age. Records still in the outbox past the horizon are
// deleted undelivered: a sink that has been failing for the whole retention period loses
// them by policy; so are records past the horizon whose contact is gone (an instance deleted
// since). The horizon is deployment-wide.
//
// A pass deletes in batches of BatchSize contacts, one store Update each with its own audit
// event, until a batch is not full: a pass over millions of contacts holds the store's writer
// for one batch at a time, and nothing is deleted without a durable event naming the batch.
//
// With FileDir set it also deletes the file sink's day files of days that ended before the
// horizon (every record in them was last updated, so initiated, before it). The files are
// named in the pass's first audit event and removed after that event is committed; a file
// that cannot be removed is logged and tried again at the next pass.
type Retention struct {
	Store store.Store
	// FileDir is the file sink's directory; empty leaves files alone.
	FileDir string
	// Keep is how long to keep a contact after its initiation; 0 means DefaultKeepMonths
	// calendar months. Negative is an error.
	Keep time.Duration
	// Every is the interval between passes of Run; 0 means DefaultRetentionEvery.
	Every time.Duration
	// BatchSize is how many contacts one transaction deletes (1 to contact.MaxPurgeBatch); 0
	// means DefaultRetentionBatch.
	BatchSize int
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// Logger receives each pass's outcome (counts and the horizon only).
	Logger *slog.Logger
}

// Horizon returns the cut-off for a pass at now: contacts initiated before it go.
func (r *Retention) Horizon(now time.Time) (time.Time, error) {
	switch {
	case r.Keep < 0:
		return time.Time{}, fmt.Errorf("recordsink: retention: negative keep %s", r.Keep)
	case r.Keep == 0:
		return now.UTC().AddDate(0, -DefaultKeepMonths, 0), nil
	}
	return now.UTC().Add(-r.Keep), nil
}

func (r *Retention) batchSize() (int, error) {
	switch {
	case r.BatchSize == 0:
		return DefaultRetentionBatch, nil
	case r.BatchSize < 0 || r.BatchSize > contact.MaxPurgeBatch:
		return 0, fmt.Errorf("recordsink: retention: batch size %d; want 1 to %d", r.BatchSize, contact.MaxPurgeBatch)
	}
	return r.BatchSize, nil
}

// RunOnce deletes what is past the horizon now and returns how many contacts went. Each
// batch's audit event (code EventRetention, actor "system") is committed with its deletion;
// if it cannot be made durable that batch deletes nothing and the pass stops with the error,
// returning the contacts the batches before it deleted. A pass stops between batches when ctx
// ends.
func (r *Retention) RunOnce(ctx context.Context) (int, error) {
	if r.Store == nil {
		return 0, errors.New("recordsink: retention: a store is required")
	}
	size, err := r.batchSize()
	if err != nil {
		return 0, err
	}
	now := time.Now
	if r.Clock != nil {
		now = r.Clock
	}
	before, err := r.Horizon(now())
	if err != nil {
		return 0, err
	}
	files, err := r.expiredFiles(before)
	if err != nil {
		return 0, err
	}
	total := 0
	for batch := 1; ; batch++ {
		ev := &audit.Event{Code: EventRetention, Actor: "system", Operation: "DeleteContactsBefore", Resource: "contacts",
			Details: map[string]string{"before": before.Format(time.RFC3339), "batch": strconv.Itoa(batch)}}
		if batch == 1 && r.FileDir != "" {
			ev.Details["files_deleted"] = strings.Join(files, ",")
		}
		var p contact.Purged
		err := r.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			var err error
			p, err = tx.DeleteContactsBefore(ctx, before, size)
			if err != nil {
				p = contact.Purged{} // rolled back with the batch
			}
			// The store appends ev after fn returns, in the same transaction.
			ev.Details["contacts_deleted"] = strconv.Itoa(p.Contacts)
			ev.Details["orphan_records_deleted"] = strconv.Itoa(p.OrphanRecords)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("recordsink: retention before %s: batch %d: %w", before.Format(time.RFC3339), batch, err)
		}
		total += p.Contacts
		if batch == 1 {
			for _, name := range files {
				if err := os.Remove(filepath.Join(r.FileDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return total, fmt.Errorf("recordsink: retention: %w", err)
				}
			}
		}
		if !p.More {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("recordsink: retention before %s: stopped after batch %d: %w", before.Format(time.RFC3339), batch, err)
		}
	}
}

// expiredFiles returns the names of the day files in FileDir whose whole day lies before
// before, in name (date) order.
func (r *Retention) expiredFiles(before time.Time) ([]string, error) {
	if r.FileDir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(r.FileDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recordsink: retention: %w", err)
	}
	var out []string
	for _, e := range entries {
		day, ok := strings.CutSuffix(e.Name(), ".jsonl")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		d, err := time.Parse("2006-01-02", day)
		if err != nil {
			continue
		}
		if !d.AddDate(0, 0, 1).After(before) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Run runs a pass at once and then every Every until ctx ends; it returns nil then. A failed
// pass is logged and tried again at the next interval.
func (r *Retention) Run(ctx context.Context) error {
	every := r.Every
	if every < 0 {
		return fmt.Errorf("recordsink: retention: negative interval %s", every)
	}
	if every == 0 {
		every = DefaultRetentionEvery
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := r.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			log.Error("retention pass failed", "error", err.Error())
		case n > 0:
			log.Info("retention pass", "contacts_deleted", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
