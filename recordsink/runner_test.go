package recordsink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

func TestNewRunnerRejectsBadConfig(t *testing.T) {
	st := openStore(t)
	ok := newFakeSink("ok", 0)
	tests := []struct {
		name string
		cfg  RunnerConfig
		want string
	}{
		{"no store", RunnerConfig{Sinks: []Sink{ok}}, "a store is required"},
		{"no sinks", RunnerConfig{Store: st}, "no sinks configured"},
		{"duplicate", RunnerConfig{Store: st, Sinks: []Sink{ok, newFakeSink("ok", 0)}}, `sink "ok" configured twice`},
		{"empty name", RunnerConfig{Store: st, Sinks: []Sink{newFakeSink("", 0)}}, "must have 1–64 characters"},
		{"bad name", RunnerConfig{Store: st, Sinks: []Sink{newFakeSink("a b", 0)}}, "only letters, digits"},
		{"batch too big", RunnerConfig{Store: st, Sinks: []Sink{ok}, BatchSize: MaxBatchSize + 1}, "batch size 1001 outside"},
		{"negative poll", RunnerConfig{Store: st, Sinks: []Sink{ok}, Poll: -time.Second}, "negative poll interval"},
		{"backoff order", RunnerConfig{Store: st, Sinks: []Sink{ok}, MinBackoff: time.Minute, MaxBackoff: time.Second}, "MaxBackoff 1s below MinBackoff 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRunner(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewRunner error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFileSinkGetsEachRecordOnceInOrder(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	fs, err := NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	var first []contact.RecordEntry
	for i := range 5 {
		first = append(first, entry(t, []string{instA, instB}[i%2], i+1, base.Add(-time.Hour).Add(time.Duration(i)*time.Second)))
	}
	appendRecords(t, st, first...)
	r := newRunner(t, st, 2, fs) // batches of two: three deliveries
	drain(t, r, fs)
	appendRecords(t, st, entry(t, instA, 6, base.Add(-time.Minute)), entry(t, instA, 7, base.Add(-time.Minute)))
	drain(t, r, fs)
	drain(t, r, fs) // nothing new: nothing written

	got := contactIDs(t, readLines(t, dayFile(dir, base)))
	want := []string{contactID(1), contactID(2), contactID(3), contactID(4), contactID(5), contactID(6), contactID(7)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file lines (-want +got):\n%s", diff)
	}
	recs := outbox(t, st)
	if got, want := cursor(t, st, "file"), recs[len(recs)-1].Seq; got != want {
		t.Errorf("cursor = %d, want %d", got, want)
	}
	// Each line is the record body as stored, byte for byte (bodies are compact JSON).
	lines := readLines(t, dayFile(dir, base))
	for i, rec := range recs {
		if lines[i] != string(rec.Body) {
			t.Errorf("line %d = %s, want %s", i, lines[i], rec.Body)
		}
	}
	evs := auditEvents(t, st, EventDelivered)
	if len(evs) != 4 {
		t.Fatalf("%d %s events, want 4 (3 batches, then 1)", len(evs), EventDelivered)
	}
	last := evs[len(evs)-1]
	if last.Actor != "system" || last.Details["sink"] != "file" || last.Details["records"] != "2" || last.Details["last_seq"] != "7" || last.Outcome != "success" {
		t.Errorf("last delivery event = %+v", last)
	}
}

// dayFile returns the file the records last updated at t go to.
func dayFile(dir string, t time.Time) string {
	return dir + "/" + t.UTC().Format("2006-01-02") + ".jsonl"
}

func TestFailingSinkKeepsCursorAndLosesNothing(t *testing.T) {
	st := openStore(t)
	fs, err := NewFileSink(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	flaky := newFakeSink("flaky", 2)
	r := newRunner(t, st, 3, fs, flaky)
	var entries []contact.RecordEntry
	for i := range 7 {
		entries = append(entries, entry(t, instA, i+1, base))
	}
	appendRecords(t, st, entries[:4]...)

	for attempt := range 2 {
		if _, err := r.deliverOnce(context.Background(), flaky); err == nil || !strings.Contains(err.Error(), `sink "flaky": deliver records 1–3: destination unavailable`) {
			t.Fatalf("attempt %d: error = %v, want the sink's failure", attempt, err)
		}
		if got := cursor(t, st, "flaky"); got != 0 {
			t.Fatalf("cursor after failure = %d, want 0", got)
		}
	}
	// The failing sink holds back only itself.
	drain(t, r, fs)
	if got := cursor(t, st, "file"); got != 4 {
		t.Errorf("file cursor = %d, want 4", got)
	}
	appendRecords(t, st, entries[4:]...)
	drain(t, r, flaky)
	if diff := cmp.Diff(idsOf(entries), flaky.ids()); diff != "" {
		t.Errorf("delivered after recovery (-want +got):\n%s", diff)
	}
	if got := cursor(t, st, "flaky"); got != 7 {
		t.Errorf("cursor = %d, want 7", got)
	}
	for _, ev := range auditEvents(t, st, EventDelivered) {
		if ev.Details["sink"] == "flaky" && ev.Details["first_seq"] == "1" && ev.Details["last_seq"] != "3" {
			t.Errorf("first flaky batch event = %+v", ev.Details)
		}
	}
}

func TestCrashBeforeCursorMoveRedelivers(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	fs, err := NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries := []contact.RecordEntry{entry(t, instA, 1, base), entry(t, instB, 2, base), entry(t, instA, 3, base)}
	appendRecords(t, st, entries...)

	crashing := newRunner(t, failingCursorStore{st}, 0, fs)
	if _, err := crashing.deliverOnce(context.Background(), fs); err == nil || !strings.Contains(err.Error(), `sink "file": move cursor to 3`) {
		t.Fatalf("deliverOnce error = %v, want the cursor move failure", err)
	}
	if got := cursor(t, st, "file"); got != 0 {
		t.Fatalf("cursor = %d, want 0", got)
	}
	// After the restart the batch goes again: duplicates, which consumers drop by DedupeKey.
	drain(t, newRunner(t, st, 0, fs), fs)
	got := contactIDs(t, readLines(t, dayFile(dir, base)))
	want := append(idsOf(entries), idsOf(entries)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file lines (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, e := range append(entries, entries...) {
		seen[DedupeKey(e)] = true
	}
	if len(seen) != len(entries) {
		t.Errorf("%d distinct dedupe keys, want %d", len(seen), len(entries))
	}
	if got := cursor(t, st, "file"); got != 3 {
		t.Errorf("cursor = %d, want 3", got)
	}
}

// racingSink moves its own cursor far ahead while it delivers: another node that finished
// first.
type racingSink struct {
	st store.Store
}

func (racingSink) Name() string { return "racing" }

func (s racingSink) Deliver(ctx context.Context, _ []contact.RecordEntry) error {
	return s.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.SetSinkCursor(ctx, "racing", 10) })
}

func TestCursorNeverMovesBack(t *testing.T) {
	st := openStore(t)
	appendRecords(t, st, entry(t, instA, 1, base), entry(t, instA, 2, base))
	s := racingSink{st}
	if _, err := newRunner(t, st, 0, s).deliverOnce(context.Background(), s); err != nil {
		t.Fatalf("deliverOnce: %v", err)
	}
	if got := cursor(t, st, "racing"); got != 10 {
		t.Errorf("cursor = %d, want 10 (never moved back to 2)", got)
	}
}

func TestRunDeliversOnKickAndBacksOff(t *testing.T) {
	st := openStore(t)
	flaky := newFakeSink("flaky", 2)
	steady := newFakeSink("steady", 0)
	r, err := NewRunner(RunnerConfig{Store: st, Sinks: []Sink{flaky, steady}, Poll: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	// With an hour's poll, only Kick brings a pass after the first.
	appendRecords(t, st, entry(t, instA, 1, base), entry(t, instB, 2, base))
	waitFor(t, "kicked delivery", func() bool {
		r.Kick()
		return len(steady.ids()) == 2
	})
	// The flaky sink fails twice, backs off, and then gets everything.
	waitFor(t, "delivery after back-off", func() bool { return len(flaky.ids()) == 2 })
	if diff := cmp.Diff([]string{contactID(1), contactID(2)}, flaky.ids()); diff != "" {
		t.Errorf("flaky sink got (-want +got):\n%s", diff)
	}
	flaky.mu.Lock()
	attempts := flaky.attempts
	flaky.mu.Unlock()
	if attempts != 3 {
		t.Errorf("flaky sink attempts = %d, want 3 (two failures, one success)", attempts)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if got := cursor(t, st, "flaky"); got != 2 {
		t.Errorf("flaky cursor = %d, want 2", got)
	}
}

func TestDedupeKey(t *testing.T) {
	e := contact.RecordEntry{ContactID: "c-1", LastUpdate: time.Date(2026, 3, 1, 23, 50, 7, 0, time.FixedZone("x", 3600))}
	if got, want := DedupeKey(e), "c-1@2026-03-01T22:50:07Z"; got != want {
		t.Errorf("DedupeKey = %q, want %q", got, want)
	}
}
