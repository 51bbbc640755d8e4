package recordsink

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

const (
	instA = "00000000-0000-4000-8000-00000000000a"
	instB = "00000000-0000-4000-8000-00000000000b"
)

// base is a fixed time the records of these tests are stamped with.
var base = time.Date(2026, 3, 1, 23, 50, 0, 0, time.UTC)

// openStore opens a real SQLite store in a temporary directory with a local keyring.
func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ringfence.db"), sqlstore.Options{Sealer: storetest.NewSealer(t)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// createInstances stores instA and instB (contacts need their instance).
func createInstances(t *testing.T, st store.Store) {
	t.Helper()
	err := st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		for i, id := range []string{instA, instB} {
			if err := tx.CreateInstance(ctx, instance.Instance{ID: id, Alias: fmt.Sprintf("sinks-%d", i), IdentityManagementType: instance.IdentityManagementConnectManaged,
				Status: instance.StatusActive, CreatedTime: base, Tags: map[string]string{}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create instances: %v", err)
	}
}

// contactID returns a contact ID numbered n.
func contactID(n int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", n) }

// entry returns the outbox entry of an ended chat contact numbered n, last updated at at.
func entry(t *testing.T, inst string, n int, at time.Time) contact.RecordEntry {
	t.Helper()
	c := contact.Contact{InstanceID: inst, ID: contactID(n), Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		State: contact.StateEnded, Attributes: map[string]string{"n": fmt.Sprint(n)}, InitiationTimestamp: at.Add(-time.Minute),
		DisconnectTimestamp: at, LastUpdateTimestamp: at}
	body, err := contact.BuildRecord(c, contact.RecordContext{AccountID: "000000000000", InstanceARN: "arn:aws:connect:us-east-1:000000000000:instance/" + inst}).Marshal()
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	return contact.RecordEntry{InstanceID: inst, ContactID: c.ID, LastUpdate: at, Initiated: c.InitiationTimestamp, Body: body}
}

// appendRecords puts entries into the outbox, in order, in one transaction.
func appendRecords(t *testing.T, st store.Store, entries ...contact.RecordEntry) {
	t.Helper()
	err := st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		for _, e := range entries {
			if err := tx.AppendContactRecord(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append records: %v", err)
	}
}

// cursor returns the stored cursor of sink.
func cursor(t *testing.T, st store.Store, sink string) int64 {
	t.Helper()
	var seq int64
	err := st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		seq, err = tx.SinkCursor(ctx, sink)
		return err
	})
	if err != nil {
		t.Fatalf("SinkCursor: %v", err)
	}
	return seq
}

// outbox returns every record in the outbox.
func outbox(t *testing.T, st store.Store) []contact.RecordEntry {
	t.Helper()
	var recs []contact.RecordEntry
	err := st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		recs, err = tx.ListContactRecords(ctx, 0, MaxBatchSize)
		return err
	})
	if err != nil {
		t.Fatalf("ListContactRecords: %v", err)
	}
	return recs
}

// auditEvents returns the decoded audit events with code.
func auditEvents(t *testing.T, st store.Store, code string) []audit.Event {
	t.Helper()
	var out []audit.Event
	err := st.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var e audit.Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return err
		}
		if e.Code == code {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	return out
}

// drain calls deliverOnce until the outbox is empty for s; it fails the test on an error.
func drain(t *testing.T, r *Runner, s Sink) {
	t.Helper()
	for range 1000 {
		n, err := r.deliverOnce(context.Background(), s)
		if err != nil {
			t.Fatalf("deliverOnce: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("outbox never drained")
}

// newRunner builds a runner over st and sinks, failing the test on error.
func newRunner(t *testing.T, st store.Store, batch int, sinks ...Sink) *Runner {
	t.Helper()
	r, err := NewRunner(RunnerConfig{Store: st, Sinks: sinks, BatchSize: batch})
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	return r
}

// readLines returns the lines of a JSON Lines file.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return lines
}

// contactIDs decodes each line as a contact record and returns its ContactId; a line that is
// not JSON becomes "!torn".
func contactIDs(t *testing.T, lines []string) []string {
	t.Helper()
	var ids []string
	for _, l := range lines {
		var rec contact.Record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			ids = append(ids, "!torn")
			continue
		}
		ids = append(ids, rec.ContactID)
	}
	return ids
}

// fakeSink records what it is given and fails while failures > 0.
type fakeSink struct {
	name string

	mu        sync.Mutex
	failures  int
	attempts  int
	delivered []contact.RecordEntry
	notify    chan struct{}
}

func newFakeSink(name string, failures int) *fakeSink {
	return &fakeSink{name: name, failures: failures, notify: make(chan struct{}, 100)}
}

func (f *fakeSink) Name() string { return f.name }

func (f *fakeSink) Deliver(_ context.Context, recs []contact.RecordEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.failures > 0 {
		f.failures--
		return errors.New("destination unavailable")
	}
	f.delivered = append(f.delivered, recs...)
	select {
	case f.notify <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeSink) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, r := range f.delivered {
		ids = append(ids, r.ContactID)
	}
	return ids
}

// failingCursorStore is a store whose cursor moves fail: what a crash between delivery and
// cursor move leaves behind.
type failingCursorStore struct{ store.Store }

func (s failingCursorStore) Update(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	if ev != nil && ev.Code == EventDelivered {
		return errors.New("node stopped before the cursor moved")
	}
	return s.Store.Update(ctx, ev, fn)
}

// idsOf returns the contact IDs of entries.
func idsOf(entries []contact.RecordEntry) []string {
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.ContactID)
	}
	return ids
}

// waitFor waits for ok to hold, polling; it fails after a generous guard (not a timing
// assertion: the condition is expected within milliseconds).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
