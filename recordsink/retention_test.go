package recordsink

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// storeContact stores a contact numbered n initiated at at, in state s, with its record.
func storeContact(t *testing.T, st store.Store, n int, at time.Time, s contact.State) {
	t.Helper()
	c := contact.Contact{InstanceID: instA, ID: contactID(n), Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, State: s,
		Attributes: map[string]string{}, InitiationTimestamp: at, LastUpdateTimestamp: at}
	e := entry(t, instA, n, at.Add(time.Minute))
	e.Initiated = at
	err := st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateContact(ctx, c); err != nil {
			return err
		}
		if s != contact.StateEnded {
			return nil
		}
		return tx.AppendContactRecord(ctx, e)
	})
	if err != nil {
		t.Fatalf("store contact %d: %v", n, err)
	}
}

func TestRetentionDeletesOldEndedContactsAndAudits(t *testing.T) {
	st := openStore(t)
	createInstances(t, st)
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	horizon := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC) // 24 calendar months earlier
	storeContact(t, st, 1, horizon.Add(-48*time.Hour), contact.StateEnded)
	storeContact(t, st, 2, horizon.Add(-time.Second), contact.StateEnded)
	storeContact(t, st, 3, horizon.Add(-time.Hour), contact.StateQueued) // still active: kept
	storeContact(t, st, 4, horizon, contact.StateEnded)                  // at the horizon: kept
	storeContact(t, st, 5, now.Add(-time.Hour), contact.StateEnded)

	fileDir := t.TempDir()
	for _, name := range []string{"2024-03-13.jsonl", "2024-03-14.jsonl", "2024-03-15.jsonl", "2026-03-15.jsonl", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(fileDir, name), []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ret := &Retention{Store: st, FileDir: fileDir, Clock: func() time.Time { return now }}
	n, err := ret.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if n != 2 {
		t.Errorf("RunOnce deleted %d contacts, want 2", n)
	}
	err = st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		for i, want := range []bool{false, false, true, true, true} {
			_, err := tx.GetContact(ctx, instA, contactID(i+1))
			if got := err == nil; got != want {
				t.Errorf("contact %d kept = %v, want %v (%v)", i+1, got, want, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{contactID(4), contactID(5)}, idsOf(outbox(t, st))); diff != "" {
		t.Errorf("records left (-want +got):\n%s", diff)
	}
	evs := auditEvents(t, st, EventRetention)
	if len(evs) != 1 {
		t.Fatalf("%d retention events, want 1", len(evs))
	}
	// Days that ended before the horizon go; the horizon's own day stays.
	left, err := os.ReadDir(fileDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"2024-03-15.jsonl", "2026-03-15.jsonl", "notes.txt"}, names); diff != "" {
		t.Errorf("files left (-want +got):\n%s", diff)
	}
	want := map[string]string{"before": "2024-03-15T12:00:00Z", "batch": "1", "contacts_deleted": "2", "orphan_records_deleted": "0",
		"files_deleted": "2024-03-13.jsonl,2024-03-14.jsonl"}
	if diff := cmp.Diff(want, evs[0].Details); diff != "" || evs[0].Actor != "system" || evs[0].Outcome != audit.OutcomeSuccess {
		t.Errorf("retention event %+v; details (-want +got):\n%s", evs[0], diff)
	}
	// A second pass finds nothing more.
	if n, err := ret.RunOnce(context.Background()); err != nil || n != 0 {
		t.Errorf("second RunOnce = %d, %v; want 0, nil", n, err)
	}
}

// TestRetentionBatches: a pass deletes BatchSize contacts per transaction, each batch with
// its own audit event (numbered, the files named in the first), until a batch is not full;
// records whose contact is gone go too, after the contacts; a contact not ended stays.
func TestRetentionBatches(t *testing.T) {
	st := openStore(t)
	createInstances(t, st)
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	old := now.AddDate(-3, 0, 0)
	for n := 1; n <= 5; n++ {
		storeContact(t, st, n, old.Add(time.Duration(n)*time.Minute), contact.StateEnded)
	}
	storeContact(t, st, 6, old, contact.StateConnected)
	orphan := entry(t, instB, 7, old) // its contact is not stored
	appendRecords(t, st, orphan)
	fileDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(fileDir, "2023-03-15.jsonl"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ret := &Retention{Store: st, FileDir: fileDir, BatchSize: 2, Clock: func() time.Time { return now }}
	n, err := ret.RunOnce(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("RunOnce = %d, %v; want 5, nil", n, err)
	}
	var got []string
	for _, ev := range auditEvents(t, st, EventRetention) {
		got = append(got, fmt.Sprintf("batch %s: %s contacts, %s orphan records, files %q", ev.Details["batch"], ev.Details["contacts_deleted"],
			ev.Details["orphan_records_deleted"], ev.Details["files_deleted"]))
	}
	want := []string{
		`batch 1: 2 contacts, 0 orphan records, files "2023-03-15.jsonl"`,
		`batch 2: 2 contacts, 0 orphan records, files ""`,
		`batch 3: 1 contacts, 1 orphan records, files ""`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("retention events (-want +got):\n%s", diff)
	}
	if recs := outbox(t, st); len(recs) != 0 {
		t.Errorf("records left: %v", idsOf(recs))
	}
	if _, err := os.Stat(filepath.Join(fileDir, "2023-03-15.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("expired day file: %v", err)
	}
	err = st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetContact(ctx, instA, contactID(6))
		return err
	})
	if err != nil {
		t.Errorf("the contact that has not ended: %v", err)
	}
}

// TestRetentionBatchSize: a batch size out of range is refused before anything is deleted.
func TestRetentionBatchSize(t *testing.T) {
	st := openStore(t)
	for _, size := range []int{-1, contact.MaxPurgeBatch + 1} {
		_, err := (&Retention{Store: st, BatchSize: size}).RunOnce(context.Background())
		if err == nil || !strings.Contains(err.Error(), "batch size") {
			t.Errorf("RunOnce with BatchSize %d: %v", size, err)
		}
		if _, err := New(Config{Store: st, DataDir: t.TempDir(), RetentionBatch: size}); err == nil || !strings.Contains(err.Error(), "batch size") {
			t.Errorf("New with RetentionBatch %d: %v", size, err)
		}
	}
	if evs := auditEvents(t, st, EventRetention); len(evs) != 0 {
		t.Errorf("%d retention events", len(evs))
	}
}

func TestRetentionKeep(t *testing.T) {
	now := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		keep time.Duration
		want string
	}{
		{0, "2024-03-31T00:00:00Z"},
		{90 * 24 * time.Hour, "2025-12-31T00:00:00Z"},
		{-time.Hour, "negative keep"},
	}
	for _, tt := range tests {
		got, err := (&Retention{Keep: tt.keep}).Horizon(now)
		text := got.Format(time.RFC3339)
		if err != nil {
			text = err.Error()
		}
		if !strings.Contains(text, tt.want) {
			t.Errorf("Horizon with Keep %s = %q, want %q", tt.keep, text, tt.want)
		}
	}
}

// unavailableAudit is a store whose audit sink cannot make events durable.
type unavailableAudit struct{ store.Store }

func (unavailableAudit) Update(context.Context, *audit.Event, func(context.Context, store.Tx) error) error {
	return errors.New("audit unavailable")
}

func TestRetentionFailsClosed(t *testing.T) {
	st := openStore(t)
	createInstances(t, st)
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	storeContact(t, st, 1, now.AddDate(-3, 0, 0), contact.StateEnded)
	_, err := (&Retention{Store: unavailableAudit{st}, Clock: func() time.Time { return now }}).RunOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "recordsink: retention before 2024-03-15T12:00:00Z: batch 1: audit unavailable") {
		t.Fatalf("RunOnce error = %v", err)
	}
	if len(outbox(t, st)) != 1 {
		t.Error("a record was deleted although the pass failed")
	}
}

func TestNewService(t *testing.T) {
	st := openStore(t)
	dataDir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
		want string // error text; empty for success
	}{
		{"file by default", Config{Store: st, DataDir: dataDir}, ""},
		{"no store", Config{DataDir: dataDir}, "a store is required"},
		{"no sink", Config{Store: st}, "no sink configured"},
		{"file disabled", Config{Store: st, DataDir: dataDir, DisableFile: true}, "no sink configured"},
		{"webhook short secret", Config{Store: st, WebhookURL: "https://hooks.example.com/r", WebhookSecret: secret.New("x")}, "signing secret of 1 bytes"},
		{"webhook and nats", Config{Store: st, WebhookURL: "https://hooks.example.com/r", WebhookSecret: secret.New(hookSecret), NATSURL: "nats://127.0.0.1:4222"}, ""},
		{"bad nats stream", Config{Store: st, NATSURL: "nats://127.0.0.1:4222", NATSStream: "a b"}, "invalid stream name"},
		{"negative keep", Config{Store: st, DataDir: dataDir, RetentionKeep: -time.Hour}, "negative keep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestServiceRunDeliversToFiles(t *testing.T) {
	st := openStore(t)
	createInstances(t, st)
	dataDir := t.TempDir()
	svc, err := New(Config{Store: st, DataDir: dataDir, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	appendRecords(t, st, entry(t, instA, 1, base), entry(t, instB, 2, base))
	path := filepath.Join(dataDir, FileDirName, "2026-03-01.jsonl")
	waitFor(t, "records in the day file", func() bool {
		svc.Kick()
		return cursor(t, st, "file") == 2 && len(auditEvents(t, st, EventRetention)) == 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if diff := cmp.Diff([]string{contactID(1), contactID(2)}, contactIDs(t, readLines(t, path))); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	// The retention job ran its first pass (nothing to delete) and audited it.
	if evs := auditEvents(t, st, EventRetention); len(evs) != 1 || evs[0].Details["contacts_deleted"] != "0" {
		t.Errorf("retention events: %+v", evs)
	}
}
