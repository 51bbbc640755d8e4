// Package sqlstore implements store.Store over database/sql for both engines. The engine
// adapters (store/sqlite, store/postgres) open the database, run their migrations and hand
// sqlstore a Dialect with what differs between them.
//
// Writes go through one writer goroutine that commits concurrent Update and View calls together
// (group commit): each caller's function runs under its own savepoint, so one caller's failure
// rolls back only its own changes, and every caller's audit event is appended in the same
// transaction. One fsync then acknowledges the whole batch.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Dialect is what differs between SQL engines.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Rebind turns a query written with '?' placeholders into the engine's form.
	Rebind func(query string) string
	// LockChain is run at the start of every write transaction to serialise audit appends
	// across processes ("" when the transaction's own lock does that, as BEGIN IMMEDIATE does).
	LockChain string
	// IsUniqueViolation reports whether err is a unique-constraint violation.
	IsUniqueViolation func(err error) bool
	// TruncateLog, when set, copies the write-ahead log into the database and empties it
	// (SQLite: PRAGMA wal_checkpoint(TRUNCATE)), so that page images holding replaced values
	// leave the files; it answers one row whose first column is non-zero when other
	// connections kept it from completing. RewrapSealed runs it at the end.
	TruncateLog string
	// PrepareStatements makes the store keep its statements prepared per connection (see
	// stmtCache): for a driver that parses each statement per call (SQLite). pgx caches
	// prepared statements per connection itself.
	PrepareStatements bool
	// Checkpoint, when set, copies the write-ahead log into the database file without
	// blocking the writer or readers, answering one row of three integers (SQLite: PRAGMA
	// wal_checkpoint(PASSIVE)). The store then runs it on a read connection after commits,
	// at most every checkpointEvery, so that no caller's commit waits for a checkpoint; the
	// engine adapter keeps the writer's own automatic checkpoint only as a bound on the
	// log's growth should this one fall behind.
	Checkpoint string
}

// checkpointEvery is the least time between two background checkpoints (Dialect.Checkpoint):
// the write-ahead log holds at most about this much of the write load beyond what the
// database file holds.
const checkpointEvery = 100 * time.Millisecond

// Options tunes the writer.
type Options struct {
	// MaxBatch is the most callers committed in one transaction (default 256).
	MaxBatch int
	// Now returns the current time (default time.Now); used for audit event times.
	Now func() time.Time
	// Logger receives write-path failures (identifiers only).
	Logger *slog.Logger
	// Sealer seals the sensitive columns (contact attributes and customer endpoints, flow
	// sessions, contact-record bodies) with the row's instance, table, ID and column as AAD.
	// Without one, writing or reading those columns fails; nothing is ever stored in clear.
	Sealer Sealer
	// Hasher keys the contact-attribute search index (contact.Store.IndexAttributes): the
	// index holds keyed hashes, never values. Without one no attribute is indexed and
	// searches on attributes are refused.
	Hasher *keyring.Hasher
}

// Sealer seals and opens column values; *keyring.Envelope implements it.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, aad keyring.AAD) ([]byte, error)
	Open(ctx context.Context, ciphertext []byte, aad keyring.AAD) (secret.Value[[]byte], error)
}

// Store is the shared implementation of store.Store.
type Store struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	opts    Options
	queries sync.Map // rebound queries, keyed by their '?' form
	stats   counters
	// writeStmts and readStmts are the prepared statements of the write and read pools (nil
	// without Dialect.PrepareStatements).
	writeStmts, readStmts *stmtCache
	// terms remembers the transcript words the writer has committed to the index.
	terms *termCache
	// tokenSweeps is when each instance's expired ClientTokens were last deleted
	// (PutClientToken deletes them at most every clientTokenSweepEvery).
	tokenSweeps sync.Map

	ops    chan *op
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	// committed wakes the background checkpointer after a commit (Dialect.Checkpoint);
	// stopCheckpoints ends it.
	committed       chan struct{}
	stopCheckpoints chan struct{}
	checkpoints     sync.WaitGroup
	// checkpointing is held by whoever checkpoints the log (the background checkpointer,
	// TruncateLog): SQLite lets one checkpoint run at a time and refuses a second at once,
	// without waiting.
	checkpointing sync.Mutex

	mu     sync.RWMutex // guards sending on ops against Close
	isDown bool
}

type op struct {
	ctx  context.Context
	ev   *audit.Event
	fn   func(context.Context, store.Tx) error
	done chan error
}

// New starts the writer. write is used by one goroutine only (set MaxOpenConns(1) for SQLite);
// read serves View and may be the same pool for PostgreSQL.
func New(write, read *sql.DB, d Dialect, opts Options) *Store {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		write: write, read: read, dialect: d, opts: opts,
		ops:    make(chan *op, 4096),
		closed: make(chan struct{}),
		terms:  newTermCache(),
		// Buffered: the writer never waits to say it committed.
		committed:       make(chan struct{}, 1),
		stopCheckpoints: make(chan struct{}),
	}
	if d.PrepareStatements {
		s.writeStmts = newStmtCache(write, &s.stats)
		s.readStmts = s.writeStmts
		if read != write {
			s.readStmts = newStmtCache(read, &s.stats)
		}
	}
	s.wg.Add(1)
	go s.writer()
	if d.Checkpoint != "" {
		s.checkpoints.Add(1)
		go s.checkpointer()
	}
	return s
}

// checkpointer runs Dialect.Checkpoint on a read connection after commits, at most every
// checkpointEvery, until Close. A failed or incomplete checkpoint is retried after the next
// commit; the writer's automatic checkpoint bounds the log meanwhile.
func (s *Store) checkpointer() {
	defer s.checkpoints.Done()
	pace := time.NewTimer(0)
	defer pace.Stop()
	for {
		select {
		case <-s.stopCheckpoints:
			return
		case <-s.committed:
		}
		s.checkpointing.Lock()
		start := time.Now()
		var busy, frames, done int64
		err := s.read.QueryRowContext(context.Background(), s.dialect.Checkpoint).Scan(&busy, &frames, &done)
		s.checkpointing.Unlock()
		s.stats.checkpoints.Add(1)
		s.stats.checkpointBusy.Add(int64(time.Since(start)))
		if err != nil {
			s.opts.Logger.Warn("store: background checkpoint", "error", err.Error())
		}
		pace.Reset(checkpointEvery)
		select {
		case <-s.stopCheckpoints:
			return
		case <-pace.C:
		}
	}
}

// rebind returns query in the engine's placeholder form, caching the result.
func (s *Store) rebind(query string) string {
	if s.dialect.Rebind == nil {
		return query
	}
	if q, ok := s.queries.Load(query); ok {
		return q.(string)
	}
	q := s.dialect.Rebind(query)
	s.queries.Store(query, q)
	return q
}

var errUnavailable = apierr.New(apierr.CodeServiceUnavailable, "the change could not be made durable; nothing was changed")

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	return s.submit(ctx, ev, fn)
}

// Record implements store.Store.
func (s *Store) Record(ctx context.Context, ev *audit.Event) error {
	return s.submit(ctx, ev, nil)
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	ferr := s.viewTx(ctx, fn)
	if ev == nil {
		return ferr
	}
	ev.Stamp(ferr)
	if err := s.submit(ctx, ev, nil); err != nil {
		return err
	}
	return ferr
}

func (s *Store) viewTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.dialect.Name == "postgres"})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	s.stats.reads.Add(1)
	t := &txn{s: s, tx: tx, cache: s.readStmts}
	defer func() {
		_ = tx.Rollback()
		t.finish(context.WithoutCancel(ctx))
	}()
	return fn(ctx, t)
}

func (s *Store) submit(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	o := &op{ctx: ctx, ev: ev, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.isDown {
		s.mu.RUnlock()
		return apierr.New(apierr.CodeServiceUnavailable, "the store is shutting down")
	}
	s.ops <- o
	s.mu.RUnlock()
	// Wait for the outcome even if ctx ends: the batch may already hold this change, and
	// returning early would acknowledge nothing while the change may still commit.
	return <-o.done
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.isDown = true
		close(s.ops)
		s.mu.Unlock()
		s.wg.Wait()
		close(s.stopCheckpoints)
		s.checkpoints.Wait()
	})
	var err error
	if s.writeStmts != nil {
		err = s.writeStmts.close()
		if s.readStmts != s.writeStmts {
			err = errors.Join(err, s.readStmts.close())
		}
	}
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

func (s *Store) writer() {
	defer s.wg.Done()
	batch := make([]*op, 0, s.opts.MaxBatch)
	for first := range s.ops {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < s.opts.MaxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

// commit runs one batch in one transaction and answers every caller.
func (s *Store) commit(batch []*op) {
	results := make([]error, len(batch))
	start := time.Now()
	var missed []string
	err := s.runBatch(batch, results, &missed)
	for i, o := range batch {
		if err != nil {
			o.done <- errUnavailable
			continue
		}
		o.done <- results[i]
	}
	// Once the callers have their answers, the statements this batch met first are prepared
	// for the batches after it (the write pool's one connection is free again).
	if len(missed) > 0 {
		s.writeStmts.prepare(context.Background(), missed)
	}
	s.stats.writerBusy.Add(int64(time.Since(start)))
}

// runBatch runs batch in one transaction; missed receives the queries it prepared for
// itself only (see stmtCache).
func (s *Store) runBatch(batch []*op, results []error, missed *[]string) error {
	ctx := context.Background()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		s.opts.Logger.Error("store: begin write", "error", err.Error())
		return err
	}
	s.stats.batches.Add(1)
	s.stats.batched.Add(int64(len(batch)))
	t := &txn{s: s, tx: tx, cache: s.writeStmts, write: true}
	defer func() {
		_ = tx.Rollback()
		*missed = t.missed
	}()
	if s.dialect.LockChain != "" {
		if _, err := t.exec(ctx, s.dialect.LockChain); err != nil {
			s.opts.Logger.Error("store: lock audit chain", "error", err.Error())
			return err
		}
	}
	seq, prev, err := chainTail(ctx, t)
	if err != nil {
		s.opts.Logger.Error("store: read audit tail", "error", err.Error())
		return err
	}
	for i, o := range batch {
		if o.fn != nil {
			results[i] = s.runOne(o, t)
		}
		if o.ev == nil {
			continue
		}
		if o.fn != nil {
			o.ev.Stamp(results[i])
		}
		if o.ev.Time.IsZero() {
			o.ev.Time = s.opts.Now()
		}
		seq++
		rec, err := audit.Seal(o.ev, seq, prev)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `INSERT INTO audit_events (seq, body, prev_hash, hash) VALUES (?, ?, ?, ?)`,
			rec.Seq, string(rec.Body), rec.PrevHash, rec.Hash); err != nil {
			s.opts.Logger.Error("store: append audit event", "error", err.Error())
			return err
		}
		prev = rec.Hash
	}
	if err := tx.Commit(); err != nil {
		s.opts.Logger.Error("store: commit", "error", err.Error())
		return err
	}
	s.terms.add(t.batchTerms, s.opts.Now())
	select {
	case s.committed <- struct{}{}:
	default:
	}
	return nil
}

// runOne runs one caller's function under a savepoint.
func (s *Store) runOne(o *op, t *txn) (ferr error) {
	ctx := context.Background()
	if err := o.ctx.Err(); err != nil {
		return apierr.New(apierr.CodeServiceUnavailable, "request cancelled before it was applied")
	}
	if _, err := t.exec(ctx, "SAVEPOINT op"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	t.opTerms = t.opTerms[:0]
	defer func() {
		if r := recover(); r != nil {
			ferr = fmt.Errorf("store: panic in transaction function: %v", r)
		}
		if ferr != nil {
			_, _ = t.exec(ctx, "ROLLBACK TO SAVEPOINT op")
		} else {
			t.batchTerms = append(t.batchTerms, t.opTerms...)
		}
		_, _ = t.exec(ctx, "RELEASE SAVEPOINT op")
	}()
	return o.fn(o.ctx, t)
}

// chainTail returns the Seq and Hash of the newest audit event (0 and GenesisHash when none).
func chainTail(ctx context.Context, t *txn) (int64, string, error) {
	var (
		seq  int64
		hash string
	)
	err := t.row(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, audit.GenesisHash, nil
	}
	return seq, hash, err
}

// ScanAudit implements audit.Reader.
func (s *Store) ScanAudit(ctx context.Context, after int64, fn func(audit.Record) error) error {
	const page = 1000
	for {
		rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT seq, body, prev_hash, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`), after, page)
		if err != nil {
			return fmt.Errorf("scan audit: %w", err)
		}
		var recs []audit.Record
		for rows.Next() {
			var (
				r    audit.Record
				body string
			)
			if err := rows.Scan(&r.Seq, &body, &r.PrevHash, &r.Hash); err != nil {
				rows.Close()
				return fmt.Errorf("scan audit: %w", err)
			}
			r.Body = []byte(body)
			recs = append(recs, r)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("scan audit: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("scan audit: %w", err)
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
			after = r.Seq
		}
		if len(recs) < page {
			return nil
		}
	}
}

// RebindDollar turns '?' placeholders into $1, $2, ... (PostgreSQL). Question marks inside
// single-quoted literals are left alone.
func RebindDollar(query string) string {
	var b strings.Builder
	n, inQuote := 0, false
	for _, r := range query {
		switch {
		case r == '\'':
			inQuote = !inQuote
		case r == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ExecRaw runs one statement with '?' placeholders outside the audit gate. It exists for
// migrations run by operators and for tests that tamper with stored data; API code never
// calls it.
func (s *Store) ExecRaw(ctx context.Context, query string, args ...any) error {
	_, err := s.write.ExecContext(ctx, s.rebind(query), args...)
	return err
}

// QueryRaw runs one query with '?' placeholders on the read pool, outside the audit gate. It
// exists for tests that inspect what is stored at rest (ciphertext, hashes); API code never
// calls it.
func (s *Store) QueryRaw(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.read.QueryContext(ctx, s.rebind(query), args...)
}
