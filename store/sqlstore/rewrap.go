package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/store"
)

// Rewrapper moves sealed values to the keyring's current key-encryption-key version;
// *keyring.Envelope implements it. Rewrap must return the new ciphertext only: the plaintext
// never leaves it.
type Rewrapper interface {
	// NeedsRewrap reports, from the header alone, whether ciphertext is under a version
	// other than the current one.
	NeedsRewrap(ctx context.Context, ciphertext []byte) (bool, error)
	// Rewrap opens ciphertext for aad and seals it again under the current version.
	Rewrap(ctx context.Context, ciphertext []byte, aad keyring.AAD) ([]byte, error)
}

// sealedRow is one row as the rewrap reads it: the named columns' values, TEXT as string,
// INTEGER as int64, NULL as nil.
type sealedRow map[string]any

func (r sealedRow) str(col string) string {
	switch v := r[col].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func (r sealedRow) int(col string) int64 {
	switch v := r[col].(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// sealedColumn is one column whose values the keyring seals, and how to rebuild the AAD its
// writer seals with. The AAD functions are the writers' own.
type sealedColumn struct {
	table, column string
	// key is the primary key, in keyset order; its values identify the row to update.
	key []string
	// cols are further columns the AAD is built from.
	cols []string
	// instance names the column holding the row's instance ID (NULL: deployment-wide).
	instance string
	aad      func(r sealedRow) keyring.AAD
}

// sealedColumns is every column of the schema that holds keyring ciphertext. A migration
// that adds one must add it here: storetest's SealedColumnsGuard test fails on a BLOB/bytea
// column that is neither here nor in unsealedBinaryColumns, and on any stored value in the
// keyring's format outside these columns.
var sealedColumns = []sealedColumn{
	{table: "access_keys", column: "secret_ciphertext", key: []string{"id"}, cols: []string{"instance_id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD {
			return identity.AccessKeyAAD(identity.AccessKey{ID: r.str("id"), InstanceID: r.str("instance_id")})
		}},
	{table: "user_totp", column: "secret_ciphertext", key: []string{"instance_id", "user_id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD { return identity.TOTPSecretAAD(r.str("instance_id"), r.str("user_id")) }},
	{table: "sso_oidc_configs", column: "client_secret", key: []string{"instance_id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD { return identity.OIDCClientSecretAAD(r.str("instance_id")) }},
	{table: "external_functions", column: "signing_secret", key: []string{"instance_id", "arn"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD { return functionSecretAAD(r.str("instance_id"), r.str("arn")) }},
	{table: "contacts", column: "attributes", key: []string{"instance_id", "id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD { return contactAAD(r.str("instance_id"), r.str("id"), "attributes") }},
	{table: "contacts", column: "customer_endpoint", key: []string{"instance_id", "id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD {
			return contactAAD(r.str("instance_id"), r.str("id"), "customer_endpoint")
		}},
	{table: "contact_flow_sessions", column: "session", key: []string{"instance_id", "contact_id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD { return sessionAAD(r.str("instance_id"), r.str("contact_id")) }},
	{table: "contact_records", column: "body", key: []string{"seq"}, cols: []string{"instance_id", "contact_id", "last_update_ms"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD {
			return recordAAD(r.str("instance_id"), r.str("contact_id"), fromMS(r.int("last_update_ms")))
		}},
	{table: "contact_client_tokens", column: "participant_token", key: []string{"instance_id", "operation", "client_token"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD {
			return clientTokenAAD(r.str("instance_id"), r.str("operation"), r.str("client_token"))
		}},
	{table: "chat_participants", column: "display_name", key: []string{"instance_id", "participant_id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD {
			return chat.DisplayNameAAD(r.str("instance_id"), r.str("participant_id"))
		}},
	{table: "chat_items", column: "content", key: []string{"instance_id", "contact_id", "seq"}, cols: []string{"id"}, instance: "instance_id",
		aad: func(r sealedRow) keyring.AAD { return chat.ContentAAD(r.str("instance_id"), r.str("id")) }},
}

// unsealedBinaryColumns are the schema's binary columns that hold no sealed value, and why.
var unsealedBinaryColumns = map[string]string{
	"chat_participants.token_hash": "SHA-256 of the participant token",
	"chat_connections.token_hash":  "SHA-256 of the connection token",
	"user_passkeys.credential_id":  "WebAuthn credential ID (public)",
	"user_passkeys.credential":     "WebAuthn credential: public key, flags and counter (no secret)",
}

// SealedColumns returns the columns RewrapSealed covers, as "table.column", in the order it
// processes them.
func SealedColumns() []string {
	out := make([]string, len(sealedColumns))
	for i, c := range sealedColumns {
		out[i] = c.table + "." + c.column
	}
	return out
}

// UnsealedBinaryColumns returns the schema's binary (BLOB/bytea) columns that hold no sealed
// value, as "table.column", each with what it holds instead.
func UnsealedBinaryColumns() map[string]string {
	out := make(map[string]string, len(unsealedBinaryColumns))
	for k, v := range unsealedBinaryColumns {
		out[k] = v
	}
	return out
}

// RewrapOptions tunes RewrapSealed.
type RewrapOptions struct {
	// BatchSize is how many rows are read per page and the most values re-sealed in one
	// transaction (default 100, at most 1,000).
	BatchSize int
}

// RewrapCount is what RewrapSealed did to one sealed column.
type RewrapCount struct {
	Table, Column string
	// Checked counts the stored values whose key version was read.
	Checked int
	// Rewrapped counts the values re-sealed under the current version and committed.
	Rewrapped int
	// Changed counts values that needed it but were rewritten or deleted by someone else
	// between the read and the commit (left as they are; a second run finds any still old).
	Changed int
	// Failed counts values that could not be re-sealed because they do not open for their
	// row: not in the keyring's format, altered, moved from another row, or under a KEK
	// version the keyring lacks. They are left as they are.
	Failed int
}

// RewrapEventCode is the audit event code of each committed rewrap batch (actor "host").
const RewrapEventCode = "host.rewrap"

// RewrapSealed re-seals every value in every sealed column (SealedColumns) that the Sealer's
// keyring holds under an older key-encryption-key version, with the current version and the
// AAD its writer uses. The Sealer must implement Rewrapper (*keyring.Envelope does).
//
// Each column is read in primary-key order a page at a time (keyset pagination); the values of
// a page that need it are re-sealed outside any transaction (keyring.Envelope.Rewrap: the
// plaintext exists only inside that call) and written back in one transaction per batch of
// rows of one instance, with one audit event (code RewrapEventCode, actor "host", resource
// "table/column", details: table, column, values, key_version). A row is only updated while it
// still holds the ciphertext that was read, so concurrent writers are never overwritten. The
// run is idempotent and may be interrupted and started again: committed batches stay, and a
// second run checks headers only. At the end the dialect's TruncateLog runs (SQLite), so
// the replaced ciphertexts leave the write-ahead log too; SQLite's secure_delete (set by
// store/sqlite) has already zeroed them in the database file.
//
// It returns one RewrapCount per sealed column (those done when it stops). A stored value that
// does not open for its row (RewrapCount.Failed) is left as it is and the run goes on; the
// error returned at the end counts them and names the first few by table, column and primary
// key. Any other error (database, keyring backend, ctx) stops the run at once.
func (s *Store) RewrapSealed(ctx context.Context, opts RewrapOptions) ([]RewrapCount, error) {
	rw, ok := s.opts.Sealer.(Rewrapper)
	if !ok {
		return nil, errors.New("rewrap: the store's sealer cannot rewrap (want *keyring.Envelope)")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	opts.BatchSize = min(opts.BatchSize, 1000)
	var (
		out    []RewrapCount
		failed []error
		total  int
	)
	for _, c := range sealedColumns {
		n, err := s.rewrapColumn(ctx, rw, c, opts.BatchSize, func(err error) {
			if total++; len(failed) < maxReportedFailures {
				failed = append(failed, fmt.Errorf("%s.%s %w", c.table, c.column, err))
			}
		})
		out = append(out, n)
		if err != nil {
			return out, fmt.Errorf("rewrap %s.%s: %w", c.table, c.column, err)
		}
	}
	s.truncateLog(ctx)
	if total > 0 {
		return out, fmt.Errorf("rewrap: %d sealed values do not open for their row and were left as they are: %w", total, errors.Join(failed...))
	}
	return out, nil
}

// maxReportedFailures bounds how many values RewrapSealed names in its error.
const maxReportedFailures = 10

// unopenable reports whether err says a value does not open for its row (as opposed to a
// keyring backend or database failure).
func unopenable(err error) bool {
	return errors.Is(err, keyring.ErrFormat) || errors.Is(err, keyring.ErrAuthentication) ||
		errors.Is(err, keyring.ErrUnknownVersion) || errors.Is(err, keyring.ErrInvalidAAD)
}

// truncateLog runs the dialect's TruncateLog, if any; when other connections keep it from
// completing, the replaced values stay in the log until a later checkpoint, which is logged.
func (s *Store) truncateLog(ctx context.Context) {
	if s.dialect.TruncateLog == "" {
		return
	}
	var busy, frames, done int64
	s.checkpointing.Lock()
	err := s.write.QueryRowContext(ctx, s.dialect.TruncateLog).Scan(&busy, &frames, &done)
	s.checkpointing.Unlock()
	switch {
	case err != nil:
		s.opts.Logger.Warn("store: truncate the write-ahead log after rewrap", "error", err.Error())
	case busy != 0:
		s.opts.Logger.Warn("store: the write-ahead log is in use by another connection; replaced ciphertext stays in it until a later checkpoint")
	}
}

// rewrapped is one value re-sealed and waiting to be written back.
type rewrapped struct {
	key     []any
	old, ct []byte
}

// rewrapColumn rewraps one sealed column; values that do not open are counted as Failed and
// passed to fail.
func (s *Store) rewrapColumn(ctx context.Context, rw Rewrapper, c sealedColumn, batch int, fail func(error)) (RewrapCount, error) {
	n := RewrapCount{Table: c.table, Column: c.column}
	cols := append(append(append([]string{}, c.key...), c.cols...), c.column)
	keyList := strings.Join(c.key, ", ")
	first := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + c.table + ` WHERE ` + c.column + ` IS NOT NULL ORDER BY ` + keyList + ` LIMIT ?`
	next := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + c.table + ` WHERE ` + c.column + ` IS NOT NULL AND (` + keyList + `) > (` +
		placeholders(len(c.key)) + `) ORDER BY ` + keyList + ` LIMIT ?`
	var where []string
	for _, k := range c.key {
		where = append(where, k+` = ?`)
	}
	update := `UPDATE ` + c.table + ` SET ` + c.column + ` = ? WHERE ` + strings.Join(where, " AND ") + ` AND ` + c.column + ` = ?`

	var after []any
	for {
		rows, vals, err := s.readSealedPage(ctx, c, cols, first, next, after, batch)
		if err != nil {
			return n, err
		}
		var (
			pending []rewrapped
			inst    string
		)
		for i, r := range rows {
			if i > 0 && r.str(c.instance) != inst && len(pending) > 0 {
				if err := s.commitRewrap(ctx, c, update, inst, pending, &n); err != nil {
					return n, err
				}
				pending = pending[:0]
			}
			inst = r.str(c.instance)
			v := vals[i]
			if len(v) == 0 {
				continue
			}
			n.Checked++
			need, err := rw.NeedsRewrap(ctx, v)
			if err == nil && !need {
				continue
			}
			var ct []byte
			if err == nil {
				ct, err = rw.Rewrap(ctx, v, c.aad(r))
			}
			if err != nil && unopenable(err) {
				n.Failed++
				fail(fmt.Errorf("row %s: %w", rowName(c, r), err))
				continue
			}
			if err != nil {
				return n, fmt.Errorf("row %s: %w", rowName(c, r), err)
			}
			key := make([]any, len(c.key))
			for j, k := range c.key {
				key[j] = r[k]
			}
			pending = append(pending, rewrapped{key: key, old: v, ct: ct})
		}
		if len(pending) > 0 {
			if err := s.commitRewrap(ctx, c, update, inst, pending, &n); err != nil {
				return n, err
			}
		}
		if len(rows) < batch {
			return n, nil
		}
		last := rows[len(rows)-1]
		after = make([]any, len(c.key))
		for j, k := range c.key {
			after[j] = last[k]
		}
	}
}

// readSealedPage reads up to batch rows of c after the keyset position after (nil: from the
// start), returning each row's key and AAD columns and its sealed value.
func (s *Store) readSealedPage(ctx context.Context, c sealedColumn, cols []string, first, next string, after []any, batch int) ([]sealedRow, [][]byte, error) {
	q, args := first, []any{batch}
	if after != nil {
		q, args = next, append(append([]any{}, after...), batch)
	}
	res, err := s.read.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	defer res.Close()
	var (
		rows []sealedRow
		vals [][]byte
	)
	for res.Next() {
		dest := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		var v []byte
		ptrs[len(cols)-1] = &v
		if err := res.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
		r := make(sealedRow, len(cols)-1)
		for i, col := range cols[:len(cols)-1] {
			if b, ok := dest[i].([]byte); ok {
				dest[i] = string(b)
			}
			r[col] = dest[i]
		}
		rows, vals = append(rows, r), append(vals, v)
	}
	if err := res.Err(); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	return rows, vals, nil
}

// commitRewrap writes one batch back in one audited transaction, each row only while it still
// holds the ciphertext that was read.
func (s *Store) commitRewrap(ctx context.Context, c sealedColumn, update, instanceID string, batch []rewrapped, n *RewrapCount) error {
	version, err := keyring.Version(batch[0].ct)
	if err != nil {
		return err
	}
	ev := &audit.Event{Code: RewrapEventCode, Actor: "host", Operation: "RewrapSealedValues", InstanceID: instanceID,
		Resource: c.table + "/" + c.column, Time: s.opts.Now(),
		Details: map[string]string{"table": c.table, "column": c.column, "values": strconv.Itoa(len(batch)),
			"key_version": strconv.FormatUint(uint64(version), 10)}}
	var done int
	err = s.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		t := tx.(*txn)
		// t.exec prepares the update once for the batch (the store's statement cache).
		exec := func(args ...any) (sql.Result, error) { return t.exec(ctx, update, args...) }
		done = 0
		for _, b := range batch {
			res, err := exec(append(append([]any{b.ct}, b.key...), b.old)...)
			if err != nil {
				return err
			}
			a, err := res.RowsAffected()
			if err != nil {
				return err
			}
			done += int(a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %d values: %w", len(batch), err)
	}
	n.Rewrapped += done
	n.Changed += len(batch) - done
	return nil
}

// rowName names a row by its primary key, for errors (identifiers only, never values).
func rowName(c sealedColumn, r sealedRow) string {
	parts := make([]string, len(c.key))
	for i, k := range c.key {
		parts[i] = k + "=" + r.str(k)
	}
	return strings.Join(parts, " ")
}

// SchemaColumn is one column of the store's schema.
type SchemaColumn struct {
	Table, Column string
	// Type is the declared type, lower case: "blob", "text", "integer" (SQLite); "bytea",
	// "text", "bigint", ... (PostgreSQL).
	Type string
}

// SchemaColumns lists the columns of every table of the schema (migration bookkeeping left
// out), ordered by table and column. The sealed-column guard in storetest compares it with
// SealedColumns and UnsealedBinaryColumns.
func (s *Store) SchemaColumns(ctx context.Context) ([]SchemaColumn, error) {
	q := `SELECT m.name, p.name, lower(p.type) FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'goose_%' ORDER BY m.name, p.name`
	if s.dialect.Name == "postgres" {
		q = `SELECT table_name, column_name, lower(data_type) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name NOT LIKE 'goose_%' ORDER BY table_name, column_name`
	}
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("schema columns: %w", err)
	}
	defer rows.Close()
	var out []SchemaColumn
	for rows.Next() {
		var c SchemaColumn
		if err := rows.Scan(&c.Table, &c.Column, &c.Type); err != nil {
			return nil, fmt.Errorf("schema columns: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("schema columns: %w", err)
	}
	return out, nil
}
