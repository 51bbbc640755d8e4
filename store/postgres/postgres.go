// Package postgres is the cluster store engine: PostgreSQL through pgx, the source of truth
// that several Ringfence nodes share. Audit appends from every node are serialised by a
// transaction-scoped advisory lock, so the hash chain stays one chain across the cluster.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"

	"github.com/ringfence/ringfence/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// chainLockKey is the advisory lock that serialises audit appends ("rfaudit" as an integer).
const chainLockKey = 0x7266617564697400

// Open connects to the database at url (postgres://...; add search_path=SCHEMA to use a
// schema), applies pending migrations and starts the writer.
func Open(ctx context.Context, url string, opts sqlstore.Options) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres migrations: %w", err)
	}
	return sqlstore.New(db, db, Dialect(), opts), nil
}

// Dialect returns the sqlstore dialect of PostgreSQL.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:      "postgres",
		Rebind:    sqlstore.RebindDollar,
		LockChain: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(chainLockKey)),
		IsUniqueViolation: func(err error) bool {
			var e *pgconn.PgError
			return errors.As(err, &e) && e.Code == "23505"
		},
	}
}
