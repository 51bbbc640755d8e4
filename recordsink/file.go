package recordsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ringfence/ringfence/contact"
)

// FileDirName is the directory, under the data directory, that the file sink writes to.
const FileDirName = "contact-records"

// FileSink writes contact records as JSON Lines, one file per UTC day of the record's
// LastUpdateTimestamp: <dir>/YYYY-MM-DD.jsonl, one record body (compact JSON, Connect's
// contact-record shape) per line, in Seq order within a file. Files are created with mode
// 0600 in a directory with mode 0700 (both are tightened if found wider) and are synced
// (fsync) before Deliver returns.
//
// A crash during a write can leave a partial last line. Before appending, the sink ends such a
// line with '\n', so the torn line stands alone and the next records are intact; readers skip
// lines that do not parse as JSON. The records of the torn line were not acknowledged and are
// written again.
type FileSink struct {
	dir string
}

// NewFileSink returns a file sink writing to dir, which it creates (mode 0700) when missing.
func NewFileSink(dir string) (*FileSink, error) {
	if dir == "" {
		return nil, errors.New("recordsink: file sink: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("recordsink: file sink: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("recordsink: file sink: %w", err)
	}
	return &FileSink{dir: dir}, nil
}

// Name returns "file".
func (f *FileSink) Name() string { return "file" }

// Dir returns the directory the sink writes to.
func (f *FileSink) Dir() string { return f.dir }

// FileName returns the name of the file a record goes to: its LastUpdate date in UTC,
// "YYYY-MM-DD.jsonl".
func FileName(r contact.RecordEntry) string {
	return r.LastUpdate.UTC().Format("2006-01-02") + ".jsonl"
}

// Deliver appends each record to the file of its day and syncs every file it wrote. A record
// whose body is not JSON fails the whole batch (nothing is skipped).
func (f *FileSink) Deliver(ctx context.Context, records []contact.RecordEntry) error {
	var (
		order []string
		days  = map[string]*bytes.Buffer{}
	)
	for _, r := range records {
		name := FileName(r)
		buf := days[name]
		if buf == nil {
			buf = &bytes.Buffer{}
			days[name] = buf
			order = append(order, name)
		}
		if err := json.Compact(buf, r.Body); err != nil {
			return fmt.Errorf("file sink: record %d (contact %s): %w", r.Seq, r.ContactID, err)
		}
		buf.WriteByte('\n')
	}
	for _, name := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.appendSynced(filepath.Join(f.dir, name), days[name].Bytes()); err != nil {
			return fmt.Errorf("file sink: %w", err)
		}
	}
	return nil
}

// appendSynced appends data to path (ending a torn last line first) and syncs it; a new file
// also gets its directory entry synced.
func (f *FileSink) appendSynced(path string, data []byte) (err error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	info, err := file.Stat()
	if err != nil {
		return err
	}
	if info.Mode().Perm() != 0o600 {
		if err := file.Chmod(0o600); err != nil {
			return err
		}
	}
	if size := info.Size(); size > 0 {
		last := make([]byte, 1)
		if _, err := file.ReadAt(last, size-1); err != nil {
			return fmt.Errorf("read end of %s: %w", filepath.Base(path), err)
		}
		if last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	if _, err := file.Write(data); err != nil {
		return err
	}
	if err := file.Sync(); err != nil {
		return err
	}
	if created {
		return syncDir(f.dir)
	}
	return nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
