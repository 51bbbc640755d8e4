package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store {
			path := filepath.Join(t.TempDir(), "ringfence.db")
			s, err := sqlite.Open(context.Background(), path, sqlstore.Options{})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
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
