package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
)

const flowCols = `instance_id, id, kind, name, type, description, state, status, content, saved_content, settings, version, tags, last_modified_ms`

func (t *txn) CreateFlowRecord(ctx context.Context, r flow.Record) error {
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return fmt.Errorf("create flow: encode tags: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO contact_flows (`+flowCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.InstanceID, r.ID, string(r.Kind), r.Name, r.Type, r.Description, r.State, r.Status, r.Content, r.SavedContent,
		r.Settings, r.Version, string(tags), ms(r.LastModified))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a %s named %q already exists", r.Kind.Noun(), r.Name)
	}
	if err != nil {
		return fmt.Errorf("create flow: %w", err)
	}
	return nil
}

func scanFlow(sc interface{ Scan(...any) error }) (flow.Record, error) {
	var (
		r          flow.Record
		kind, tags string
		modified   int64
	)
	err := sc.Scan(&r.InstanceID, &r.ID, &kind, &r.Name, &r.Type, &r.Description, &r.State, &r.Status, &r.Content,
		&r.SavedContent, &r.Settings, &r.Version, &tags, &modified)
	if err != nil {
		return r, err
	}
	r.Kind, r.LastModified = flow.RecordKind(kind), fromMS(modified)
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return r, fmt.Errorf("decode tags: %w", err)
	}
	return r, nil
}

func (t *txn) GetFlowRecord(ctx context.Context, instanceID string, kind flow.RecordKind, id string) (flow.Record, error) {
	r, err := scanFlow(t.row(ctx, `SELECT `+flowCols+` FROM contact_flows WHERE instance_id = ? AND kind = ? AND id = ?`, instanceID, string(kind), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apierr.NotFound(kind.Noun(), id)
	}
	if err != nil {
		return r, fmt.Errorf("get flow: %w", err)
	}
	return r, nil
}

// GetFlowRecordState reads the byte length of the published document, not the document: SQLite
// answers octet_length of a text column from the record header alone.
func (t *txn) GetFlowRecordState(ctx context.Context, instanceID string, kind flow.RecordKind, id string) (flow.RecordState, error) {
	var (
		r   flow.RecordState
		pub int64
	)
	err := t.row(ctx, `SELECT type, state, octet_length(content) FROM contact_flows WHERE instance_id = ? AND kind = ? AND id = ?`,
		instanceID, string(kind), id).Scan(&r.Type, &r.State, &pub)
	if errors.Is(err, sql.ErrNoRows) {
		return r, apierr.NotFound(kind.Noun(), id)
	}
	if err != nil {
		return r, fmt.Errorf("get flow state: %w", err)
	}
	r.Published = pub > 0
	return r, nil
}

func (t *txn) ListFlowRecords(ctx context.Context, instanceID string, kind flow.RecordKind, types []string, after string, limit int) ([]flow.Record, error) {
	q := `SELECT ` + flowCols + ` FROM contact_flows WHERE instance_id = ? AND kind = ? AND id > ?`
	args := []any{instanceID, string(kind), after}
	if len(types) > 0 {
		q += ` AND type IN (?` + strings.Repeat(`, ?`, len(types)-1) + `)`
		for _, ty := range types {
			args = append(args, ty)
		}
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	rows, err := t.rows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	defer rows.Close()
	var out []flow.Record
	for rows.Next() {
		r, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("list flows: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	return out, nil
}

func (t *txn) UpdateFlowRecord(ctx context.Context, r flow.Record) error {
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return fmt.Errorf("update flow: encode tags: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE contact_flows SET name = ?, type = ?, description = ?, state = ?, status = ?, content = ?,
		saved_content = ?, settings = ?, version = ?, tags = ?, last_modified_ms = ? WHERE instance_id = ? AND kind = ? AND id = ?`,
		r.Name, r.Type, r.Description, r.State, r.Status, r.Content, r.SavedContent, r.Settings, r.Version, string(tags),
		ms(r.LastModified), r.InstanceID, string(r.Kind), r.ID)
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a %s named %q already exists", r.Kind.Noun(), r.Name)
	}
	if err := mustAffect(res, err, r.Kind.Noun(), r.ID); err != nil {
		return fmt.Errorf("update flow: %w", err)
	}
	return nil
}

func (t *txn) DeleteFlowRecord(ctx context.Context, instanceID string, kind flow.RecordKind, id string) error {
	res, err := t.exec(ctx, `DELETE FROM contact_flows WHERE instance_id = ? AND kind = ? AND id = ?`, instanceID, string(kind), id)
	if err := mustAffect(res, err, kind.Noun(), id); err != nil {
		return fmt.Errorf("delete flow: %w", err)
	}
	return nil
}
