package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ringfence/ringfence/store"
)

// openCacheTest opens a store over a bare SQLite file with the statement cache on: the audit
// table the writer needs and a table t (k, v) to query.
func openCacheTest(t *testing.T) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.db")
	open := func(extra string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)"+extra)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	write := open("&_txlock=immediate")
	write.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE audit_events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
		`CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`,
	} {
		if _, err := write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	read := open("&_pragma=query_only(1)")
	s := New(write, read, Dialect{Name: "sqlite", PrepareStatements: true, IsUniqueViolation: func(error) bool { return false }}, Options{})
	t.Cleanup(func() { s.Close() })
	return s
}

func update(t *testing.T, s *Store, fn func(ctx context.Context, tx *txn) error) {
	t.Helper()
	if err := s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return fn(ctx, tx.(*txn)) }); err != nil {
		t.Fatal(err)
	}
}

func TestStatementCacheWarms(t *testing.T) {
	s := openCacheTest(t)
	ctx := context.Background()
	put := func(i int) {
		update(t, s, func(ctx context.Context, tx *txn) error {
			_, err := tx.exec(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, fmt.Sprint(i), i)
			return err
		})
	}
	get := func(i int) int {
		var v int
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			return tx.(*txn).row(ctx, `SELECT v FROM t WHERE k = ?`, fmt.Sprint(i)).Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	put(0)
	if got := get(0); got != 0 {
		t.Fatalf("get(0) = %d", got)
	}
	warm := s.Stats()
	if warm.Prepared == 0 {
		t.Fatal("Stats().Prepared = 0 after the first queries; want them prepared")
	}
	for i := 1; i <= 20; i++ {
		put(i)
		if got := get(i); got != i {
			t.Fatalf("get(%d) = %d", i, got)
		}
	}
	after := s.Stats()
	if after.Prepared != warm.Prepared {
		t.Errorf("Stats().Prepared grew from %d to %d on repeated queries; want them served from the cache", warm.Prepared, after.Prepared)
	}
	if got := after.Statements - warm.Statements; got < 40 {
		t.Errorf("statements counted for 20 puts and 20 gets = %d, want at least 40", got)
	}
	if after.Reads <= warm.Reads || after.Batches <= warm.Batches || after.Batched < after.Batches {
		t.Errorf("Stats = %+v after %+v: reads, batches and batched calls must grow", after, warm)
	}
}

// TestStatementCacheSameQueryWhileRowsOpen runs a query again while its own rows are open:
// the second run must not reset the first one's cursor.
func TestStatementCacheSameQueryWhileRowsOpen(t *testing.T) {
	s := openCacheTest(t)
	const q = `SELECT k, v FROM t WHERE v >= ? ORDER BY v`
	update(t, s, func(ctx context.Context, tx *txn) error {
		for i := range 5 {
			if _, err := tx.exec(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, fmt.Sprint(i), i); err != nil {
				return err
			}
		}
		return nil
	})
	for range 2 { // cold, then with the statement cached
		var outer, inner []int
		update(t, s, func(ctx context.Context, tx *txn) error {
			rows, err := tx.rows(ctx, q, 0)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var (
					k string
					v int
				)
				if err := rows.Scan(&k, &v); err != nil {
					return err
				}
				outer = append(outer, v)
				var k2 string
				var v2 int
				if err := tx.row(ctx, q, v).Scan(&k2, &v2); err != nil {
					return err
				}
				inner = append(inner, v2)
			}
			return rows.Err()
		})
		want := []int{0, 1, 2, 3, 4}
		if fmt.Sprint(outer) != fmt.Sprint(want) || fmt.Sprint(inner) != fmt.Sprint(want) {
			t.Errorf("outer rows %v, inner rows %v; want %v for both", outer, inner, want)
		}
	}
}

// TestStatementCacheCancelledCallerInBatch puts a caller whose context ends inside its
// function in one batch with another caller running the same query: only the first fails.
func TestStatementCacheCancelledCallerInBatch(t *testing.T) {
	s := openCacheTest(t)
	const q = `INSERT INTO t (k, v) VALUES (?, ?)`
	update(t, s, func(ctx context.Context, tx *txn) error { _, err := tx.exec(ctx, q, "warm", 0); return err })

	// Hold the writer so that the next two callers queue and share one batch.
	hold, held := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			close(held)
			<-hold
			return nil
		})
	})
	<-held
	cctx, cancel := context.WithCancel(context.Background())
	var errCancelled, errOther error
	wg.Go(func() {
		errCancelled = s.Update(cctx, nil, func(ctx context.Context, tx store.Tx) error {
			cancel()
			_, err := tx.(*txn).exec(ctx, q, "cancelled", 1)
			return err
		})
	})
	for len(s.ops) < 1 {
		time.Sleep(time.Millisecond)
	}
	wg.Go(func() {
		errOther = s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.(*txn).exec(ctx, q, "other", 2)
			return err
		})
	})
	for len(s.ops) < 2 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	if !errors.Is(errCancelled, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", errCancelled)
	}
	if errOther != nil {
		t.Errorf("the other caller of the batch: %v, want success", errOther)
	}
}

// TestStatementCacheSchemaChange changes the table under a cached statement.
func TestStatementCacheSchemaChange(t *testing.T) {
	s := openCacheTest(t)
	ctx := context.Background()
	count := func() int {
		var n int
		update(t, s, func(ctx context.Context, tx *txn) error { return tx.row(ctx, `SELECT COUNT(*) FROM t`).Scan(&n) })
		return n
	}
	count()
	if err := s.ExecRaw(ctx, `ALTER TABLE t ADD COLUMN w INTEGER`); err != nil {
		t.Fatal(err)
	}
	if err := s.ExecRaw(ctx, `INSERT INTO t (k, v, w) VALUES ('x', 1, 2)`); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 1 {
		t.Errorf("count after the schema changed = %d, want 1", got)
	}
}

// TestStatementCacheBound runs more distinct queries than the cache keeps: all answer, and
// the cache stays within its bound.
func TestStatementCacheBound(t *testing.T) {
	s := openCacheTest(t)
	for round := range 2 {
		update(t, s, func(ctx context.Context, tx *txn) error {
			for i := range maxCachedStatements + 50 {
				var n int
				if err := tx.row(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil {
					return err
				}
				if n != i {
					return fmt.Errorf("round %d: SELECT %d = %d", round, i, n)
				}
			}
			return nil
		})
	}
	if n := len(s.writeStmts.stmts); n != maxCachedStatements {
		t.Errorf("cached statements = %d, want the bound %d", n, maxCachedStatements)
	}
}
