package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
)

// txn implements store.Tx on one transaction. Its queries run through the statement cache
// when the engine has one (Dialect.PrepareStatements): a query's rows must be closed before
// the same query runs again in the transaction, or that run goes unprepared (every method
// here reads its rows to the end and closes them before it queries again).
type txn struct {
	s     *Store
	tx    *sql.Tx
	cache *stmtCache // nil: the driver prepares each statement (or caches them itself)
	// stmts are this transaction's handles of prepared statements, by query; a nil handle
	// marks a query that runs unprepared (the cache was full).
	stmts map[string]*txStmt
	// missed are the queries this transaction prepared for itself; once it has ended they
	// are prepared on the pool (finish for reads, the writer after answering its batch).
	missed []string
	// write is set on the writer's transactions. opTerms are the transcript words the
	// running caller's function indexed; batchTerms those of the callers whose functions
	// succeeded. The store remembers batchTerms once the transaction commits (termCache).
	write               bool
	opTerms, batchTerms []termRef
}

// terms returns the store's transcript term cache when t is a write transaction, else nil.
func (t *txn) terms() *termCache {
	if !t.write {
		return nil
	}
	return t.s.terms
}

func (t *txn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q := t.s.rebind(query)
	t.s.stats.statements.Add(1)
	ts, err := t.statement(ctx, q)
	if err != nil {
		return nil, err
	}
	if ts == nil {
		return t.tx.ExecContext(ctx, q, args...)
	}
	return ts.st.ExecContext(ctx, args...)
}

// row runs a query that returns at most one row; the caller scans it at once.
func (t *txn) row(ctx context.Context, query string, args ...any) *sql.Row {
	q := t.s.rebind(query)
	t.s.stats.statements.Add(1)
	ts, err := t.statement(ctx, q)
	if err != nil || ts == nil {
		// A failed preparation fails the query the same way.
		return t.tx.QueryRowContext(ctx, q, args...)
	}
	return ts.st.QueryRowContext(ctx, args...)
}

func (t *txn) rows(ctx context.Context, query string, args ...any) (*rowSet, error) {
	q := t.s.rebind(query)
	t.s.stats.statements.Add(1)
	ts, err := t.statement(ctx, q)
	if err != nil {
		return nil, err
	}
	if ts == nil {
		rows, err := t.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return &rowSet{Rows: rows}, nil
	}
	rows, err := ts.st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	ts.busy = true
	return &rowSet{Rows: rows, ts: ts}, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// mustAffect turns "no row changed" into a not-found error.
func mustAffect(res sql.Result, err error, kind, id string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return apierr.NotFound(kind, id)
	}
	return nil
}

// ---- instances ----

const instanceCols = `id, alias, identity_management_type, inbound_calls_enabled, outbound_calls_enabled, status, created_at_ms, deletion_protected, tags`

func (t *txn) CreateInstance(ctx context.Context, in instance.Instance) error {
	tags, err := json.Marshal(in.Tags)
	if err != nil {
		return fmt.Errorf("create instance: encode tags: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO instances (`+instanceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.Alias, string(in.IdentityManagementType), in.InboundCallsEnabled, in.OutboundCallsEnabled,
		string(in.Status), ms(in.CreatedTime), in.DeletionProtected, string(tags))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "an instance with alias %q already exists", in.Alias)
	}
	if err != nil {
		return fmt.Errorf("create instance: %w", err)
	}
	return nil
}

func scanInstance(sc interface{ Scan(...any) error }) (instance.Instance, error) {
	var (
		in         instance.Instance
		imt, st    string
		created    int64
		tags       string
		inb, outb  bool
		protection bool
	)
	if err := sc.Scan(&in.ID, &in.Alias, &imt, &inb, &outb, &st, &created, &protection, &tags); err != nil {
		return in, err
	}
	in.IdentityManagementType = instance.IdentityManagementType(imt)
	in.Status = instance.Status(st)
	in.InboundCallsEnabled, in.OutboundCallsEnabled = inb, outb
	in.CreatedTime = fromMS(created)
	in.DeletionProtected = protection
	if err := json.Unmarshal([]byte(tags), &in.Tags); err != nil {
		return in, fmt.Errorf("decode tags: %w", err)
	}
	return in, nil
}

func (t *txn) GetInstance(ctx context.Context, id string) (instance.Instance, error) {
	in, err := scanInstance(t.row(ctx, `SELECT `+instanceCols+` FROM instances WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, apierr.NotFound("instance", id)
	}
	if err != nil {
		return in, fmt.Errorf("get instance: %w", err)
	}
	return in, nil
}

func (t *txn) GetInstanceByAlias(ctx context.Context, alias string) (instance.Instance, error) {
	in, err := scanInstance(t.row(ctx, `SELECT `+instanceCols+` FROM instances WHERE alias = ?`, alias))
	if errors.Is(err, sql.ErrNoRows) {
		return in, apierr.NotFound("instance with alias", alias)
	}
	if err != nil {
		return in, fmt.Errorf("get instance by alias: %w", err)
	}
	return in, nil
}

func (t *txn) ListInstances(ctx context.Context, after string, limit int) ([]instance.Instance, error) {
	var (
		rows *rowSet
		err  error
	)
	if after == "" {
		rows, err = t.rows(ctx, `SELECT `+instanceCols+` FROM instances ORDER BY created_at_ms, id LIMIT ?`, limit)
	} else {
		rows, err = t.rows(ctx, `SELECT `+instanceCols+` FROM instances i
			WHERE (created_at_ms, id) > (SELECT created_at_ms, id FROM instances WHERE id = ?)
			ORDER BY created_at_ms, id LIMIT ?`, after, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	defer rows.Close()
	var out []instance.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return out, nil
}

func (t *txn) SetDeletionProtection(ctx context.Context, id string, protected bool) error {
	res, err := t.exec(ctx, `UPDATE instances SET deletion_protected = ? WHERE id = ?`, protected, id)
	if err := mustAffect(res, err, "instance", id); err != nil {
		return fmt.Errorf("set deletion protection: %w", err)
	}
	return nil
}

func (t *txn) DeleteInstance(ctx context.Context, id string) error {
	if err := t.deleteRoutingConfig(ctx, id); err != nil {
		return fmt.Errorf("delete instance: %w", err)
	}
	res, err := t.exec(ctx, `DELETE FROM instances WHERE id = ?`, id)
	if err := mustAffect(res, err, "instance", id); err != nil {
		return fmt.Errorf("delete instance: %w", err)
	}
	return nil
}

// ---- access keys ----

const keyCols = `id, kind, instance_id, user_id, secret_ciphertext, status, description, created_at_ms, expires_at_ms`

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *txn) CreateAccessKey(ctx context.Context, k identity.AccessKey) error {
	_, err := t.exec(ctx, `INSERT INTO access_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, string(k.Kind), nullable(k.InstanceID), nullable(k.UserID), k.SecretCiphertext, string(k.Status), k.Description, ms(k.CreatedTime), nullMS(k.ExpiresAt))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "access key %s already exists", k.ID)
	}
	if err != nil {
		return fmt.Errorf("create access key: %w", err)
	}
	return nil
}

func scanKey(sc interface{ Scan(...any) error }) (identity.AccessKey, error) {
	var (
		k                  identity.AccessKey
		kind, status       string
		instanceID, userID sql.NullString
		created            int64
		expires            sql.NullInt64
	)
	if err := sc.Scan(&k.ID, &kind, &instanceID, &userID, &k.SecretCiphertext, &status, &k.Description, &created, &expires); err != nil {
		return k, err
	}
	k.Kind, k.Status = identity.KeyKind(kind), identity.KeyStatus(status)
	k.InstanceID, k.UserID = instanceID.String, userID.String
	k.CreatedTime, k.ExpiresAt = fromMS(created), fromNullMS(expires)
	return k, nil
}

func (t *txn) GetAccessKey(ctx context.Context, id string) (identity.AccessKey, error) {
	k, err := scanKey(t.row(ctx, `SELECT `+keyCols+` FROM access_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, apierr.NotFound("access key", id)
	}
	if err != nil {
		return k, fmt.Errorf("get access key: %w", err)
	}
	return k, nil
}

func (t *txn) ListAccessKeys(ctx context.Context, kind identity.KeyKind) ([]identity.AccessKey, error) {
	rows, err := t.rows(ctx, `SELECT `+keyCols+` FROM access_keys WHERE (? = '' OR kind = ?) ORDER BY created_at_ms, id`, string(kind), string(kind))
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	defer rows.Close()
	var out []identity.AccessKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list access keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return out, nil
}

func (t *txn) SetAccessKeyStatus(ctx context.Context, id string, status identity.KeyStatus) error {
	res, err := t.exec(ctx, `UPDATE access_keys SET status = ? WHERE id = ?`, string(status), id)
	if err := mustAffect(res, err, "access key", id); err != nil {
		return fmt.Errorf("set access key status: %w", err)
	}
	return nil
}

func (t *txn) SetAccessKeyExpiry(ctx context.Context, id string, expiresAt time.Time) error {
	if expiresAt.IsZero() {
		return errors.New("set access key expiry: no expiry time")
	}
	// Only a stored-Active key without an expiry: of two rolls racing for one key, the second
	// updates nothing (PostgreSQL re-checks the condition once the first commits).
	res, err := t.exec(ctx, `UPDATE access_keys SET expires_at_ms = ? WHERE id = ? AND status = ? AND expires_at_ms IS NULL`,
		ms(expiresAt), id, string(identity.KeyActive))
	if err != nil {
		return fmt.Errorf("set access key expiry: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("set access key expiry: %w", err)
	}
	if n == 0 {
		if _, err := t.GetAccessKey(ctx, id); err != nil {
			return err
		}
		return apierr.New(apierr.CodeInvalidRequest, "access key %s is revoked or already expiring", id)
	}
	return nil
}

// ---- settings ----

func (t *txn) Setting(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := t.row(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get setting %q: %w", name, err)
	}
	return v, true, nil
}

func (t *txn) SetSettingOnce(ctx context.Context, name, value string) (string, error) {
	if _, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("set setting %q: %w", name, err)
	}
	v, _, err := t.Setting(ctx, name)
	return v, err
}
