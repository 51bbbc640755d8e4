package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

// openWith opens a fresh database file with the given options, closed at cleanup.
func openWith(t *testing.T, opts sqlstore.Options) store.Store {
	path := filepath.Join(t.TempDir(), "ringfence.db")
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store {
			return openWith(t, sqlstore.Options{Sealer: storetest.NewSealer(t), Hasher: storetest.NewHasher(t)})
		},
		OpenWith: openWith,
		Exec: func(t *testing.T, s store.Store, query string, args ...any) {
			if err := s.(*sqlstore.Store).ExecRaw(context.Background(), query, args...); err != nil {
				t.Fatalf("exec %q: %v", query, err)
			}
		},
		Query: func(t *testing.T, s store.Store, query string, args ...any) *sql.Rows {
			rows, err := s.(*sqlstore.Store).QueryRaw(context.Background(), query, args...)
			if err != nil {
				t.Fatalf("query %q: %v", query, err)
			}
			return rows
		},
	})
}

// TestSensitiveColumnsSealedOnDisk writes a contact whose attributes, customer endpoint and
// flow session carry a canary, then scans the database files: the canary is nowhere in clear.
func TestSensitiveColumnsSealedOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ringfence.db")
	s, err := sqlite.Open(context.Background(), path, sqlstore.Options{Sealer: storetest.NewSealer(t), Hasher: storetest.NewHasher(t)})
	if err != nil {
		t.Fatal(err)
	}
	const canary = "4111111111111111"
	ctx := context.Background()
	inst := instance.Instance{ID: "00000000-0000-4000-8000-00000000c0de", Alias: "sealed", IdentityManagementType: instance.IdentityManagementConnectManaged,
		Status: instance.StatusActive, CreatedTime: time.Now().UTC().Truncate(time.Millisecond), Tags: map[string]string{}}
	c := contact.Contact{InstanceID: inst.ID, ID: "c0000000-0000-4000-8000-000000000001", Channel: contact.ChannelTask,
		InitiationMethod: contact.InitiationAPI, State: contact.StateInitiated, Name: "t",
		Attributes: map[string]string{"card": canary}, CustomerEndpoint: &contact.Endpoint{Type: "TELEPHONE_NUMBER", Address: "+1" + canary[:10]},
		InitiationTimestamp: time.Now(), LastUpdateTimestamp: time.Now()}
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, inst); err != nil {
			return err
		}
		if err := tx.CreateContact(ctx, c); err != nil {
			return err
		}
		return tx.PutFlowSession(ctx, inst.ID, c.ID, []byte(`{"storedInput":"`+canary+`"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte(canary[:10])) {
			t.Errorf("%s holds the canary in clear", filepath.Base(f))
		}
	}
}

// TestRewrapLeavesNoOldCiphertext rewraps a store that stays open (as under a running
// server's sibling process) and reads the database and WAL files: no ciphertext under the old
// key version is left anywhere in them, neither in live rows nor in freed space or the log.
func TestRewrapLeavesNoOldCiphertext(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(dir), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := keyring.NewEnvelope(kr, nil)
	s, err := sqlite.Open(ctx, filepath.Join(dir, "ringfence.db"), sqlstore.Options{Sealer: env, Hasher: storetest.NewHasher(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.WriteSealedFixture(t, s, env, "files-a")
	storetest.WriteSealedFixture(t, s, env, "files-b")
	files := filepath.Join(dir, "ringfence.db*")
	if got := storetest.SealedHeadersInFiles(t, files); got[1] == 0 {
		t.Fatalf("before rotation: sealed headers by version %v, want version 1", got)
	}
	if _, err := kr.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RewrapSealed(ctx, sqlstore.RewrapOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := storetest.SealedHeadersInFiles(t, files); got[1] != 0 || got[2] == 0 {
		t.Errorf("after rewrap: sealed headers by version %v, want none of version 1", got)
	}
}

// TestBackgroundCheckpoint: commits wake the background checkpointer, which copies the log
// into the database file beside the writer; the log file stops growing once it has (the
// writer starts it over), and Close stops the checkpointer.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ringfence.db")
	s, err := sqlite.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(round int) {
		t.Helper()
		for i := range 20 {
			if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.SetSettingOnce(ctx, fmt.Sprintf("checkpoint-test-%d-%d", round, i), strings.Repeat("x", 3000))
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitCheckpoints := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); s.Stats().Checkpoints < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d background checkpoints after 10 s, want %d", s.Stats().Checkpoints, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	write(0)
	waitCheckpoints(1)
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Each round after a complete checkpoint reuses the log from its start.
	var sizes []int64
	for round := 1; round <= 5; round++ {
		n := s.Stats().Checkpoints
		write(round)
		waitCheckpoints(n + 1)
		sizes = append(sizes, walSize())
	}
	if sizes[len(sizes)-1] > 2*sizes[0] {
		t.Errorf("the log grew from %d to %d bytes over rounds that were each checkpointed", sizes[0], sizes[len(sizes)-1])
	}
	if s.Stats().CheckpointBusy <= 0 {
		t.Error("CheckpointBusy not counted")
	}
}
