// Package sqlite is the embedded store engine, the default of a single-node deployment:
// one SQLite file (modernc.org/sqlite, pure Go) in WAL mode with synchronous=FULL, so a
// committed transaction survives power loss, and secure_delete, so replaced and deleted
// values are zeroed rather than left in free space. Writes are serialised by BEGIN IMMEDIATE and one
// writer connection; reads use a separate read-only pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/pressly/goose/v3"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ringfence/ringfence/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database file at path, applies pending migrations and
// starts the writer. The caller must Close the returned store.
func Open(ctx context.Context, path string, opts sqlstore.Options) (*sqlstore.Store, error) {
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		// Temporary storage in memory: above all the statement journal that the writer's
		// per-caller savepoints fill, which otherwise spills to a temporary file past 64 KiB
		// (a write system call per page). It only serves rolling back a savepoint inside an
		// open transaction; durability rests on the WAL.
		q.Add("_pragma", "temp_store(MEMORY)")
		if readOnly {
			q.Add("_pragma", "query_only(1)")
		} else {
			q.Add("_txlock", "immediate")
			// The store checkpoints on a read connection after commits (Dialect.Checkpoint),
			// so commits do not copy the log into the database themselves. The writer's own
			// automatic checkpoint stays as a bound (10,000 pages, about 40 MiB of log) should
			// the background one fall behind.
			q.Add("_pragma", "wal_autocheckpoint(10000)")
			// Overwrite deleted and replaced content with zeros instead of leaving it in free
			// space: a value deleted, or re-sealed by `keys rewrap`, is then gone from the file
			// (once the WAL is checkpointed), not readable by whoever copies the file.
			q.Add("_pragma", "secure_delete(1)")
		}
		return "file:" + path + "?" + q.Encode()
	}
	// Create the file owner-only before SQLite opens it; SQLite gives its -wal and -shm files
	// the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	f.Close()
	write, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := Migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	return sqlstore.New(write, read, Dialect(), opts), nil
}

// Migrate applies the embedded migrations to db.
func Migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("sqlite migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite migrations: %w", err)
	}
	return nil
}

// Dialect returns the sqlstore dialect of SQLite.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:              "sqlite",
		TruncateLog:       "PRAGMA wal_checkpoint(TRUNCATE)",
		Checkpoint:        "PRAGMA wal_checkpoint(PASSIVE)",
		PrepareStatements: true,
		IsUniqueViolation: func(err error) bool {
			var e *msqlite.Error
			if errors.As(err, &e) {
				return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
			}
			return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
		},
	}
}
