package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/keyring"
)

// errNoSealer is returned when a sensitive column is written or read without a Sealer.
var errNoSealer = errors.New("sqlstore: no sealer configured for sensitive columns")

func (t *txn) seal(ctx context.Context, plaintext []byte, aad keyring.AAD) ([]byte, error) {
	if t.s.opts.Sealer == nil {
		return nil, errNoSealer
	}
	return t.s.opts.Sealer.Seal(ctx, plaintext, aad)
}

func (t *txn) open(ctx context.Context, ciphertext []byte, aad keyring.AAD) ([]byte, error) {
	if t.s.opts.Sealer == nil {
		return nil, errNoSealer
	}
	v, err := t.s.opts.Sealer.Open(ctx, ciphertext, aad)
	if err != nil {
		return nil, err
	}
	return v.Reveal(), nil
}

func contactAAD(instanceID, id, column string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "contacts", RowID: id, Column: column}
}

const contactCols = `instance_id, id, initial_contact_id, previous_contact_id, related_contact_id, channel,
	initiation_method, state, name, description, refs, attributes, customer_endpoint, system_endpoint, flow_id,
	queue_id, queue_priority, enqueued_ms, dequeued_ms, agent_id, connected_ms, acw_start_ms, acw_end_ms, tags,
	initiated_ms, scheduled_ms, disconnected_ms, disconnect_reason, last_update_ms, version`

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// contactValues encodes c as the column values of contactCols, sealing what is sensitive.
func (t *txn) contactValues(ctx context.Context, c contact.Contact) ([]any, error) {
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	ab, err := json.Marshal(attrs)
	if err != nil {
		return nil, err
	}
	sealedAttrs, err := t.seal(ctx, ab, contactAAD(c.InstanceID, c.ID, "attributes"))
	if err != nil {
		return nil, fmt.Errorf("seal attributes: %w", err)
	}
	var sealedEndpoint []byte
	if c.CustomerEndpoint != nil {
		eb, err := json.Marshal(c.CustomerEndpoint)
		if err != nil {
			return nil, err
		}
		if sealedEndpoint, err = t.seal(ctx, eb, contactAAD(c.InstanceID, c.ID, "customer_endpoint")); err != nil {
			return nil, fmt.Errorf("seal customer endpoint: %w", err)
		}
	}
	refs, err := json.Marshal(c.References)
	if err != nil {
		return nil, err
	}
	sys, err := json.Marshal(c.SystemEndpoint)
	if err != nil {
		return nil, err
	}
	tags, err := json.Marshal(c.Tags)
	if err != nil {
		return nil, err
	}
	return []any{c.InstanceID, c.ID, c.InitialContactID, c.PreviousContactID, c.RelatedContactID, string(c.Channel),
		string(c.InitiationMethod), string(c.State), c.Name, c.Description, string(refs), sealedAttrs, sealedEndpoint,
		string(sys), c.FlowID, c.Queue.QueueID, c.Queue.Priority, msOrZero(c.Queue.EnqueueTimestamp),
		msOrZero(c.Queue.DequeueTimestamp), c.Agent.AgentID, msOrZero(c.Agent.ConnectedToAgentTimestamp),
		msOrZero(c.Agent.AfterContactWorkStartTimestamp), msOrZero(c.Agent.AfterContactWorkEndTimestamp), string(tags),
		msOrZero(c.InitiationTimestamp), msOrZero(c.ScheduledTimestamp), msOrZero(c.DisconnectTimestamp),
		c.DisconnectReason, msOrZero(c.LastUpdateTimestamp), c.Version}, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func (t *txn) scanContact(ctx context.Context, r rowScanner) (contact.Contact, error) {
	var (
		c                                                          contact.Contact
		channel, method, state, refs, sys, tags                    string
		attrs, endpoint                                            []byte
		enq, deq, conn, acwStart, acwEnd, init, sched, disc, lastU int64
	)
	err := r.Scan(&c.InstanceID, &c.ID, &c.InitialContactID, &c.PreviousContactID, &c.RelatedContactID, &channel,
		&method, &state, &c.Name, &c.Description, &refs, &attrs, &endpoint, &sys, &c.FlowID,
		&c.Queue.QueueID, &c.Queue.Priority, &enq, &deq, &c.Agent.AgentID, &conn, &acwStart, &acwEnd, &tags,
		&init, &sched, &disc, &c.DisconnectReason, &lastU, &c.Version)
	if err != nil {
		return c, err
	}
	c.Channel, c.InitiationMethod, c.State = contact.Channel(channel), contact.InitiationMethod(method), contact.State(state)
	c.Queue.EnqueueTimestamp, c.Queue.DequeueTimestamp = timeOrZero(enq), timeOrZero(deq)
	c.Agent.ConnectedToAgentTimestamp, c.Agent.AfterContactWorkStartTimestamp, c.Agent.AfterContactWorkEndTimestamp = timeOrZero(conn), timeOrZero(acwStart), timeOrZero(acwEnd)
	c.InitiationTimestamp, c.ScheduledTimestamp, c.DisconnectTimestamp, c.LastUpdateTimestamp = timeOrZero(init), timeOrZero(sched), timeOrZero(disc), timeOrZero(lastU)
	if err := json.Unmarshal([]byte(refs), &c.References); err != nil {
		return c, fmt.Errorf("contact %s references: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(sys), &c.SystemEndpoint); err != nil {
		return c, fmt.Errorf("contact %s system endpoint: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return c, fmt.Errorf("contact %s tags: %w", c.ID, err)
	}
	plain, err := t.open(ctx, attrs, contactAAD(c.InstanceID, c.ID, "attributes"))
	if err != nil {
		return c, fmt.Errorf("contact %s attributes: %w", c.ID, err)
	}
	if err := json.Unmarshal(plain, &c.Attributes); err != nil {
		return c, fmt.Errorf("contact %s attributes: %w", c.ID, err)
	}
	if len(endpoint) > 0 {
		plain, err := t.open(ctx, endpoint, contactAAD(c.InstanceID, c.ID, "customer_endpoint"))
		if err != nil {
			return c, fmt.Errorf("contact %s customer endpoint: %w", c.ID, err)
		}
		if err := json.Unmarshal(plain, &c.CustomerEndpoint); err != nil {
			return c, fmt.Errorf("contact %s customer endpoint: %w", c.ID, err)
		}
	}
	return c, nil
}

func (t *txn) CreateContact(ctx context.Context, c contact.Contact) error {
	c.Version = 1
	vals, err := t.contactValues(ctx, c)
	if err != nil {
		return fmt.Errorf("create contact: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO contacts (`+contactCols+`) VALUES (`+placeholders(len(vals))+`)`, vals...)
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "contact %s already exists", c.ID)
	}
	if err != nil {
		return fmt.Errorf("create contact: %w", err)
	}
	if err := t.noteAgent(ctx, c); err != nil {
		return fmt.Errorf("create contact: %w", err)
	}
	return nil
}

// noteAgent records, once, that c's agent was connected to it (the agent_contacts index
// ListHandledContacts reads): the contact row keeps only its current agent.
func (t *txn) noteAgent(ctx context.Context, c contact.Contact) error {
	if c.Agent.AgentID == "" {
		return nil
	}
	if _, err := t.exec(ctx, `INSERT INTO agent_contacts (instance_id, agent_id, contact_id, initiated_ms, connected_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, agent_id, contact_id) DO NOTHING`,
		c.InstanceID, c.Agent.AgentID, c.ID, msOrZero(c.InitiationTimestamp), msOrZero(c.Agent.ConnectedToAgentTimestamp)); err != nil {
		return fmt.Errorf("note agent: %w", err)
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (t *txn) GetContact(ctx context.Context, instanceID, id string) (contact.Contact, error) {
	c, err := t.scanContact(ctx, t.row(ctx, `SELECT `+contactCols+` FROM contacts WHERE instance_id = ? AND id = ?`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return contact.Contact{}, apierr.NotFound("contact", id)
	}
	if err != nil {
		return contact.Contact{}, fmt.Errorf("get contact: %w", err)
	}
	return c, nil
}

func (t *txn) UpdateContact(ctx context.Context, c contact.Contact) error {
	expected := c.Version
	c.Version++
	vals, err := t.contactValues(ctx, c)
	if err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	cols := strings.Split(contactCols, ",")
	sets := make([]string, 0, len(cols))
	for _, col := range cols[2:] {
		sets = append(sets, strings.TrimSpace(col)+" = ?")
	}
	args := append(vals[2:], c.InstanceID, c.ID, expected)
	res, err := t.exec(ctx, `UPDATE contacts SET `+strings.Join(sets, ", ")+` WHERE instance_id = ? AND id = ? AND version = ?`, args...)
	if err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	if n == 0 {
		if _, err := t.GetContact(ctx, c.InstanceID, c.ID); err != nil {
			return err
		}
		return apierr.New(apierr.CodeResourceConflict, "contact %s was changed by another request; retry", c.ID)
	}
	if err := t.noteAgent(ctx, c); err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	return nil
}

// handledCols are contactCols of the contacts table aliased c, for the join with
// agent_contacts.
var handledCols = func() string {
	cols := strings.Split(contactCols, ",")
	for i, col := range cols {
		cols[i] = "c." + strings.TrimSpace(col)
	}
	return strings.Join(cols, ", ")
}()

func (t *txn) ListHandledContacts(ctx context.Context, instanceID, agentID string, afterTime time.Time, afterID string, limit int) ([]contact.HandledContact, error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	where := "a.instance_id = ? AND a.agent_id = ?"
	args := []any{instanceID, agentID}
	if afterID != "" {
		at := afterTime.UnixMilli()
		where += " AND (a.initiated_ms < ? OR (a.initiated_ms = ? AND a.contact_id < ?))"
		args = append(args, at, at, afterID)
	}
	rows, err := t.rows(ctx, `SELECT `+handledCols+`, a.connected_ms FROM agent_contacts a
		JOIN contacts c ON c.instance_id = a.instance_id AND c.id = a.contact_id
		WHERE `+where+` ORDER BY a.initiated_ms DESC, a.contact_id DESC`+fmt.Sprintf(` LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list handled contacts: %w", err)
	}
	defer rows.Close()
	var out []contact.HandledContact
	for rows.Next() {
		var connected int64
		c, err := t.scanContact(ctx, scanWith{rows, &connected})
		if err != nil {
			return nil, fmt.Errorf("list handled contacts: %w", err)
		}
		out = append(out, contact.HandledContact{Contact: c, ConnectedToAgent: timeOrZero(connected)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list handled contacts: %w", err)
	}
	return out, nil
}

// scanWith scans a row holding contactCols followed by extra columns.
type scanWith struct {
	r     rowScanner
	extra *int64
}

func (s scanWith) Scan(dest ...any) error { return s.r.Scan(append(dest, s.extra)...) }

func (t *txn) SearchContacts(ctx context.Context, instanceID string, q contact.Query) ([]contact.Contact, error) {
	where := []string{"instance_id = ?"}
	args := []any{instanceID}
	if !q.Start.IsZero() {
		where, args = append(where, "initiated_ms >= ?"), append(args, q.Start.UnixMilli())
	}
	if !q.End.IsZero() {
		where, args = append(where, "initiated_ms < ?"), append(args, q.End.UnixMilli())
	}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, col+" IN ("+placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	var chans, methods []string
	for _, c := range q.Channels {
		chans = append(chans, string(c))
	}
	for _, m := range q.InitiationMethods {
		methods = append(methods, string(m))
	}
	in("channel", chans)
	in("queue_id", q.QueueIDs)
	in("agent_id", q.AgentIDs)
	in("initiation_method", methods)
	attrWhere, attrArgs, err := t.attributeWhere(instanceID, q)
	if err != nil {
		return nil, err
	}
	if attrWhere != "" {
		where, args = append(where, attrWhere), append(args, attrArgs...)
	}
	trWhere, trArgs, err := t.transcriptWhere(instanceID, q)
	if err != nil {
		return nil, err
	}
	if trWhere != "" {
		where, args = append(where, trWhere), append(args, trArgs...)
	}
	order := "ASC"
	if q.AfterID != "" {
		cmp := ">"
		if q.Descending {
			cmp = "<"
		}
		where = append(where, "(initiated_ms "+cmp+" ? OR (initiated_ms = ? AND id "+cmp+" ?))")
		args = append(args, q.AfterTime.UnixMilli(), q.AfterTime.UnixMilli(), q.AfterID)
	}
	if q.Descending {
		order = "DESC"
	}
	limit := q.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	rows, err := t.rows(ctx, `SELECT `+contactCols+` FROM contacts WHERE `+strings.Join(where, " AND ")+
		` ORDER BY initiated_ms `+order+`, id `+order+fmt.Sprintf(` LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("search contacts: %w", err)
	}
	return t.collectContacts(ctx, rows)
}

func (t *txn) collectContacts(ctx context.Context, rows *rowSet) ([]contact.Contact, error) {
	defer rows.Close()
	var out []contact.Contact
	for rows.Next() {
		c, err := t.scanContact(ctx, rows)
		if err != nil {
			return nil, fmt.Errorf("read contacts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	return out, nil
}

func (t *txn) ListActiveContacts(ctx context.Context, instanceID string) ([]contact.Contact, error) {
	rows, err := t.rows(ctx, `SELECT `+contactCols+` FROM contacts WHERE instance_id = ? AND state <> ? ORDER BY initiated_ms, id`,
		instanceID, string(contact.StateEnded))
	if err != nil {
		return nil, fmt.Errorf("list active contacts: %w", err)
	}
	return t.collectContacts(ctx, rows)
}

func sessionAAD(instanceID, contactID string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "contact_flow_sessions", RowID: contactID, Column: "session"}
}

func (t *txn) PutFlowSession(ctx context.Context, instanceID, contactID string, session []byte) error {
	sealed, err := t.seal(ctx, session, sessionAAD(instanceID, contactID))
	if err != nil {
		return fmt.Errorf("put flow session: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE contact_flow_sessions SET session = ? WHERE instance_id = ? AND contact_id = ?`, sealed, instanceID, contactID)
	if err != nil {
		return fmt.Errorf("put flow session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("put flow session: %w", err)
	} else if n > 0 {
		return nil
	}
	if _, err := t.exec(ctx, `INSERT INTO contact_flow_sessions (instance_id, contact_id, session) VALUES (?, ?, ?)`, instanceID, contactID, sealed); err != nil {
		return fmt.Errorf("put flow session: %w", err)
	}
	return nil
}

func (t *txn) GetFlowSession(ctx context.Context, instanceID, contactID string) ([]byte, error) {
	var sealed []byte
	err := t.row(ctx, `SELECT session FROM contact_flow_sessions WHERE instance_id = ? AND contact_id = ?`, instanceID, contactID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apierr.NotFound("flow session of contact", contactID)
	}
	if err != nil {
		return nil, fmt.Errorf("get flow session: %w", err)
	}
	plain, err := t.open(ctx, sealed, sessionAAD(instanceID, contactID))
	if err != nil {
		return nil, fmt.Errorf("get flow session: %w", err)
	}
	return plain, nil
}

func (t *txn) DeleteFlowSession(ctx context.Context, instanceID, contactID string) error {
	if _, err := t.exec(ctx, `DELETE FROM contact_flow_sessions WHERE instance_id = ? AND contact_id = ?`, instanceID, contactID); err != nil {
		return fmt.Errorf("delete flow session: %w", err)
	}
	return nil
}

func (t *txn) AppendFlowLogs(ctx context.Context, instanceID, contactID string, at time.Time, entries [][]byte) error {
	for _, e := range entries {
		if _, err := t.exec(ctx, `INSERT INTO contact_flow_logs (instance_id, contact_id, at_ms, entry) VALUES (?, ?, ?, ?)`,
			instanceID, contactID, ms(at), string(e)); err != nil {
			return fmt.Errorf("append flow logs: %w", err)
		}
	}
	return nil
}

func (t *txn) ListFlowLogs(ctx context.Context, instanceID, contactID string, after int64, limit int) ([]contact.FlowLog, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := t.rows(ctx, `SELECT seq, contact_id, at_ms, entry FROM contact_flow_logs WHERE instance_id = ? AND contact_id = ? AND seq > ?
		ORDER BY seq`+fmt.Sprintf(` LIMIT %d`, limit), instanceID, contactID, after)
	if err != nil {
		return nil, fmt.Errorf("list flow logs: %w", err)
	}
	defer rows.Close()
	var out []contact.FlowLog
	for rows.Next() {
		var (
			l     contact.FlowLog
			at    int64
			entry string
		)
		if err := rows.Scan(&l.Seq, &l.ContactID, &at, &entry); err != nil {
			return nil, fmt.Errorf("list flow logs: %w", err)
		}
		l.At, l.Entry = fromMS(at), []byte(entry)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flow logs: %w", err)
	}
	return out, nil
}

func recordAAD(instanceID, contactID string, lastUpdate time.Time) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "contact_records", RowID: fmt.Sprintf("%s@%d", contactID, lastUpdate.UnixMilli()), Column: "body"}
}

func (t *txn) AppendContactRecord(ctx context.Context, r contact.RecordEntry) error {
	sealed, err := t.seal(ctx, r.Body, recordAAD(r.InstanceID, r.ContactID, r.LastUpdate))
	if err != nil {
		return fmt.Errorf("append contact record: %w", err)
	}
	if _, err := t.exec(ctx, `INSERT INTO contact_records (instance_id, contact_id, last_update_ms, initiated_ms, body) VALUES (?, ?, ?, ?, ?)`,
		r.InstanceID, r.ContactID, ms(r.LastUpdate), ms(r.Initiated), sealed); err != nil {
		return fmt.Errorf("append contact record: %w", err)
	}
	return nil
}

func (t *txn) ListContactRecords(ctx context.Context, after int64, limit int) ([]contact.RecordEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := t.rows(ctx, `SELECT seq, instance_id, contact_id, last_update_ms, initiated_ms, body FROM contact_records WHERE seq > ?
		ORDER BY seq`+fmt.Sprintf(` LIMIT %d`, limit), after)
	if err != nil {
		return nil, fmt.Errorf("list contact records: %w", err)
	}
	defer rows.Close()
	var out []contact.RecordEntry
	for rows.Next() {
		var (
			r         contact.RecordEntry
			last, ini int64
			sealed    []byte
		)
		if err := rows.Scan(&r.Seq, &r.InstanceID, &r.ContactID, &last, &ini, &sealed); err != nil {
			return nil, fmt.Errorf("list contact records: %w", err)
		}
		r.LastUpdate, r.Initiated = fromMS(last), fromMS(ini)
		if r.Body, err = t.open(ctx, sealed, recordAAD(r.InstanceID, r.ContactID, r.LastUpdate)); err != nil {
			return nil, fmt.Errorf("contact record %d: %w", r.Seq, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list contact records: %w", err)
	}
	return out, nil
}

func (t *txn) SinkCursor(ctx context.Context, sink string) (int64, error) {
	var seq int64
	err := t.row(ctx, `SELECT seq FROM contact_record_sinks WHERE sink = ?`, sink).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sink cursor: %w", err)
	}
	return seq, nil
}

func (t *txn) SetSinkCursor(ctx context.Context, sink string, seq int64) error {
	res, err := t.exec(ctx, `UPDATE contact_record_sinks SET seq = ? WHERE sink = ?`, seq, sink)
	if err != nil {
		return fmt.Errorf("set sink cursor: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set sink cursor: %w", err)
	} else if n > 0 {
		return nil
	}
	if _, err := t.exec(ctx, `INSERT INTO contact_record_sinks (sink, seq) VALUES (?, ?)`, sink, seq); err != nil {
		return fmt.Errorf("set sink cursor: %w", err)
	}
	return nil
}
