package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/postgres"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

// OpenTest opens a store in a fresh schema of the database at RINGFENCE_TEST_POSTGRES_URL,
// dropped when the test ends, or skips the test when the variable is unset.
func openTest(t *testing.T) store.Store {
	return openTestWith(t, sqlstore.Options{Sealer: storetest.NewSealer(t), Hasher: storetest.NewHasher(t)})
}

// openTestWith is openTest with the given store options.
func openTestWith(t *testing.T, opts sqlstore.Options) store.Store {
	t.Helper()
	base := os.Getenv("RINGFENCE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PostgreSQL not configured: set RINGFENCE_TEST_POSTGRES_URL=postgres://user@127.0.0.1:5432/db?sslmode=disable to run the contract suite on PostgreSQL")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "rf_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String(), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open:     openTest,
		OpenWith: openTestWith,
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
