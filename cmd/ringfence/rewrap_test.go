package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

// TestKeysRewrapEverySealedColumn stores a value in every sealed column (and an operator key
// through bootstrap), then runs `keys rotate` and `keys rewrap`: the command reports every
// sealed column, the SQLite files hold no ciphertext under the old version anywhere (not even
// in freed space), every value still reads back, a second run has nothing to do, and the
// audit chain verifies.
func TestKeysRewrapEverySealedColumn(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, nil, "bootstrap", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func() *node.Node {
		n, err := node.Open(ctx, node.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := open()
	fixtures := []storetest.SealedFixture{
		storetest.WriteSealedFixture(t, n.Store, n.Secrets, "cli-a"),
		storetest.WriteSealedFixture(t, n.Store, n.Secrets, "cli-b"),
	}
	n.Close()
	if got := storetest.SealedHeadersInFiles(t, filepath.Join(dir, "ringfence.db*")); got[1] == 0 || len(got) != 1 {
		t.Fatalf("before rotation the files hold sealed values of versions %v, want only version 1", got)
	}

	if out, err := run(t, nil, "keys", "rotate", "--data-dir", dir); err != nil || !strings.Contains(out, "version 2") {
		t.Fatalf("rotate = %q, %v", out, err)
	}
	out, err := run(t, nil, "keys", "rewrap", "--data-dir", dir)
	if err != nil {
		t.Fatalf("rewrap = %q, %v", out, err)
	}
	for _, c := range sqlstore.SealedColumns() {
		table, column, _ := strings.Cut(c, ".")
		if !strings.Contains(out, table) || !strings.Contains(out, column) {
			t.Errorf("rewrap output does not name %s:\n%s", c, out)
		}
	}
	// Per fixture one value per sealed column, plus the bootstrap operator key.
	want := len(fixtures)*len(sqlstore.SealedColumns()) + 1
	if wantLine := "rewrapped " + strconv.Itoa(want) + " of " + strconv.Itoa(want) + " sealed values under keyring version 2"; !strings.Contains(out, wantLine) {
		t.Errorf("rewrap output lacks %q:\n%s", wantLine, out)
	}
	if got := storetest.SealedHeadersInFiles(t, filepath.Join(dir, "ringfence.db*")); got[1] != 0 || got[2] < want {
		t.Errorf("after rewrap the files hold sealed values of versions %v, want none of version 1 and at least %d of version 2", got, want)
	}
	if out, err := run(t, nil, "keys", "rewrap", "--data-dir", dir); err != nil || !strings.Contains(out, "rewrapped 0 of "+strconv.Itoa(want)+" ") {
		t.Errorf("second rewrap = %q, %v; want nothing left to do", out, err)
	}
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %q, %v", out, err)
	}
	n = open()
	defer n.Close()
	for _, f := range fixtures {
		storetest.CheckSealedFixture(t, n.Store, n.Secrets, f)
	}
}
