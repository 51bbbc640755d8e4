package recordsink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/contact"
)

func TestFileSinkSplitsByUTCDay(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	fs, err := NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	// 23:50 UTC on 1 March and 00:10 UTC on 2 March, interleaved; in UTC+2 both would be the
	// 2nd, in UTC−5 both the 1st: only the UTC date counts.
	day1, day2 := base, base.Add(20*time.Minute)
	plus2 := time.FixedZone("UTC+2", 2*3600)
	appendRecords(t, st,
		entry(t, instA, 1, day1),
		entry(t, instA, 2, day2.In(plus2)),
		entry(t, instB, 3, day1.In(plus2)),
		entry(t, instB, 4, day2),
	)
	drain(t, newRunner(t, st, 0, fs), fs)

	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	if diff := cmp.Diff([]string{"2026-03-01.jsonl", "2026-03-02.jsonl"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{contactID(1), contactID(3)}, contactIDs(t, readLines(t, filepath.Join(dir, "2026-03-01.jsonl")))); diff != "" {
		t.Errorf("2026-03-01 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{contactID(2), contactID(4)}, contactIDs(t, readLines(t, filepath.Join(dir, "2026-03-02.jsonl")))); diff != "" {
		t.Errorf("2026-03-02 (-want +got):\n%s", diff)
	}
}

func TestFileSinkModes(t *testing.T) {
	t.Run("new", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", FileDirName)
		fs, err := NewFileSink(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Deliver(context.Background(), []contact.RecordEntry{entry(t, instA, 1, base)}); err != nil {
			t.Fatal(err)
		}
		checkMode(t, dir, 0o700)
		checkMode(t, filepath.Join(dir, "2026-03-01.jsonl"), 0o600)
	})
	t.Run("tightened", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), FileDirName)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "2026-03-01.jsonl")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
		fs, err := NewFileSink(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Deliver(context.Background(), []contact.RecordEntry{entry(t, instA, 1, base)}); err != nil {
			t.Fatal(err)
		}
		checkMode(t, dir, 0o700)
		checkMode(t, path, 0o600)
	})
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %#o, want %#o", filepath.Base(path), got, want)
	}
}

func TestFileSinkEndsTornLine(t *testing.T) {
	dir := t.TempDir()
	fs, err := NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := entry(t, instA, 1, base)
	if err := fs.Deliver(context.Background(), []contact.RecordEntry{first}); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of the next write left half a line.
	path := filepath.Join(dir, "2026-03-01.jsonl")
	torn := entry(t, instA, 2, base)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(torn.Body[:len(torn.Body)/2]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The batch is delivered again after the restart.
	if err := fs.Deliver(context.Background(), []contact.RecordEntry{torn, entry(t, instA, 3, base)}); err != nil {
		t.Fatal(err)
	}
	got := contactIDs(t, readLines(t, path))
	if diff := cmp.Diff([]string{contactID(1), "!torn", contactID(2), contactID(3)}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("file does not end with a complete line: %q", data[len(data)-10:])
	}
}

func TestFileSinkRefusesBodyThatIsNotJSON(t *testing.T) {
	dir := t.TempDir()
	fs, err := NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := entry(t, instA, 2, base)
	bad.Seq, bad.Body = 2, []byte("{not json\n")
	err = fs.Deliver(context.Background(), []contact.RecordEntry{entry(t, instA, 1, base), bad})
	if err == nil || !strings.Contains(err.Error(), "file sink: record 2 (contact "+contactID(2)+")") {
		t.Fatalf("Deliver error = %v, want one naming record 2", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "2026-03-01.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a file was written for a refused batch: %v", err)
	}
}

func TestNewFileSinkRejectsEmptyDir(t *testing.T) {
	if _, err := NewFileSink(""); err == nil || !strings.Contains(err.Error(), "empty directory") {
		t.Errorf("NewFileSink(\"\") error = %v", err)
	}
}
