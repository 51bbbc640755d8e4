package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// maxCachedStatements bounds the statements kept prepared per connection pool. The store's
// queries are a fixed set of texts (a few hundred, counting the few built per call, such as
// an IN list per length); past the bound a query is prepared per transaction as before.
const maxCachedStatements = 1024

// stmtCache keeps one prepared statement per query text on one connection pool, so SQLite
// parses and plans a statement once per connection instead of once per call. database/sql
// prepares a cached statement again on each connection of the pool that runs it; a
// transaction gets its handle with Tx.StmtContext.
//
// A statement is cached only between transactions: inside one, the transaction holds a
// connection, and with the writer's single-connection pool preparing on the pool would wait
// for that connection forever. So a transaction that meets a new query prepares it for itself
// (Tx.PrepareContext) and, once it has ended, hands the query to prepare for the next ones.
type stmtCache struct {
	db    *sql.DB
	stats *counters

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, stats *counters) *stmtCache {
	return &stmtCache{db: db, stats: stats, stmts: map[string]*sql.Stmt{}}
}

// get returns the pool's prepared statement of query, or nil.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query]
}

// full reports whether the cache holds as many statements as it may.
func (c *stmtCache) full() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.stmts) >= maxCachedStatements
}

// prepare prepares queries on the pool and keeps them. The caller must hold none of the
// pool's connections (call it after Commit or Rollback). A query that fails to prepare is
// left out: it keeps being prepared per transaction, which reports its error.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.mu.RLock()
		_, have := c.stmts[q]
		c.mu.RUnlock()
		if have {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, have := c.stmts[q]; have || len(c.stmts) >= maxCachedStatements {
			c.mu.Unlock()
			_ = st.Close()
			continue
		}
		c.stmts[q] = st
		c.mu.Unlock()
	}
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for q, st := range c.stmts {
		err = errors.Join(err, st.Close())
		delete(c.stmts, q)
	}
	return err
}

// counters are the store's running totals behind Stats.
type counters struct {
	statements, prepared, batches, batched, reads, writerBusy atomic.Int64
	checkpoints, checkpointBusy                               atomic.Int64
}

// Stats are running totals since the store was opened, for benchmarks and metrics: how much
// work the store asks of its database per request.
type Stats struct {
	// Statements counts the SQL statements run: queries, writes, savepoints, audit appends,
	// transaction-wide reads and locks (BEGIN and COMMIT not included).
	Statements int64
	// Prepared counts statements a transaction had to prepare for itself because the
	// statement cache (SQLite) did not hold them yet: it stops growing once the cache is warm.
	// It stays 0 on PostgreSQL, whose driver keeps its own per-connection statement cache.
	Prepared int64
	// Batches counts write transactions (group commits; each is one fsync).
	Batches int64
	// Batched counts the Update, View and Record calls those write transactions carried (a
	// View is carried for its audit event); Batched/Batches is the mean group size.
	Batched int64
	// Reads counts read transactions (View).
	Reads int64
	// WriterBusy is the time the writer spent running and committing batches, fsync
	// included. Over a period, WriterBusy/elapsed near 1 means the single writer is what
	// bounds the write rate.
	WriterBusy time.Duration
	// Checkpoints counts the background checkpoints (Dialect.Checkpoint; SQLite) and
	// CheckpointBusy is the time they took, beside the writer rather than in its commits.
	Checkpoints    int64
	CheckpointBusy time.Duration
}

// Stats returns the store's running totals.
func (s *Store) Stats() Stats {
	return Stats{
		Statements:     s.stats.statements.Load(),
		Prepared:       s.stats.prepared.Load(),
		Batches:        s.stats.batches.Load(),
		Batched:        s.stats.batched.Load(),
		Reads:          s.stats.reads.Load(),
		WriterBusy:     time.Duration(s.stats.writerBusy.Load()),
		Checkpoints:    s.stats.checkpoints.Load(),
		CheckpointBusy: time.Duration(s.stats.checkpointBusy.Load()),
	}
}

// txStmt is a transaction's handle of one prepared statement. busy is set while rows it
// returned are open: SQLite's statement then holds their cursor, so the same query run again
// meanwhile in the transaction runs unprepared instead of resetting it.
type txStmt struct {
	st   *sql.Stmt
	busy bool
}

// rowSet is the rows of a query; Close frees the query's prepared statement for its next use
// in the transaction.
type rowSet struct {
	*sql.Rows
	ts *txStmt
}

// Close closes the rows.
func (r *rowSet) Close() error {
	if r.ts != nil {
		r.ts.busy = false
		r.ts = nil
	}
	return r.Rows.Close()
}

// statement returns the transaction's handle of query (in the engine's placeholder form), or
// nil when the query is to run unprepared: no cache (PostgreSQL), the cache is full, or the
// query's rows are open.
func (t *txn) statement(ctx context.Context, query string) (*txStmt, error) {
	if t.cache == nil {
		return nil, nil
	}
	if ts, ok := t.stmts[query]; ok {
		if ts == nil || ts.busy {
			return nil, nil
		}
		return ts, nil
	}
	if t.stmts == nil {
		t.stmts = map[string]*txStmt{}
	}
	var ts *txStmt
	if st := t.cache.get(query); st != nil {
		// Not the caller's context: the handle serves the whole transaction (a batch of
		// callers), and the context only guards taking the connection the transaction holds.
		ts = &txStmt{st: t.tx.StmtContext(context.Background(), st)}
	} else if !t.cache.full() {
		st, err := t.tx.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		t.s.stats.prepared.Add(1)
		t.missed = append(t.missed, query)
		ts = &txStmt{st: st}
	}
	t.stmts[query] = ts
	return ts, nil
}

// finish runs once the transaction has ended: it prepares on the pool the queries the
// transaction prepared for itself, for the transactions after it.
func (t *txn) finish(ctx context.Context) {
	if t.cache != nil && len(t.missed) > 0 {
		t.cache.prepare(ctx, t.missed)
	}
	t.missed, t.stmts = nil, nil
}
