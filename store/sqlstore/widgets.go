package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// ---- approved origins ----

func (t *txn) CreateApprovedOrigin(ctx context.Context, o instance.ApprovedOrigin) error {
	_, err := t.exec(ctx, `INSERT INTO approved_origins (instance_id, origin, created_at_ms) VALUES (?, ?, ?)`,
		o.InstanceID, o.Origin, ms(o.CreatedTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeResourceConflict, "origin %s is already approved", o.Origin)
	}
	if err != nil {
		return fmt.Errorf("create approved origin: %w", err)
	}
	return nil
}

func (t *txn) ListApprovedOrigins(ctx context.Context, instanceID, after string, limit int) ([]instance.ApprovedOrigin, error) {
	rows, err := t.rows(ctx, `SELECT instance_id, origin, created_at_ms FROM approved_origins
		WHERE instance_id = ? AND origin > ? ORDER BY origin LIMIT ?`, instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list approved origins: %w", err)
	}
	defer rows.Close()
	var out []instance.ApprovedOrigin
	for rows.Next() {
		var (
			o       instance.ApprovedOrigin
			created int64
		)
		if err := rows.Scan(&o.InstanceID, &o.Origin, &created); err != nil {
			return nil, fmt.Errorf("list approved origins: %w", err)
		}
		o.CreatedTime = fromMS(created)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list approved origins: %w", err)
	}
	return out, nil
}

func (t *txn) CountApprovedOrigins(ctx context.Context, instanceID string) (int, error) {
	var n int
	if err := t.row(ctx, `SELECT COUNT(*) FROM approved_origins WHERE instance_id = ?`, instanceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count approved origins: %w", err)
	}
	return n, nil
}

func (t *txn) DeleteApprovedOrigin(ctx context.Context, instanceID, origin string) error {
	res, err := t.exec(ctx, `DELETE FROM approved_origins WHERE instance_id = ? AND origin = ?`, instanceID, origin)
	if err := mustAffect(res, err, "approved origin", origin); err != nil {
		return fmt.Errorf("delete approved origin: %w", err)
	}
	return nil
}

// ---- chat widgets ----

const widgetCols = `instance_id, widget_id, name, contact_flow_id, display_name_prompt, created_at_ms`

func scanWidget(sc interface{ Scan(...any) error }) (chat.Widget, error) {
	var (
		w       chat.Widget
		created int64
	)
	err := sc.Scan(&w.InstanceID, &w.ID, &w.Name, &w.ContactFlowID, &w.DisplayNamePrompt, &created)
	w.CreatedTime = fromMS(created)
	return w, err
}

func (t *txn) CreateChatWidget(ctx context.Context, w chat.Widget) error {
	_, err := t.exec(ctx, `INSERT INTO chat_widgets (`+widgetCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		w.InstanceID, w.ID, w.Name, w.ContactFlowID, w.DisplayNamePrompt, ms(w.CreatedTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a widget named %q or with ID %s already exists", w.Name, w.ID)
	}
	if err != nil {
		return fmt.Errorf("create chat widget: %w", err)
	}
	return nil
}

func (t *txn) ListChatWidgets(ctx context.Context, instanceID string) ([]chat.Widget, error) {
	rows, err := t.rows(ctx, `SELECT `+widgetCols+` FROM chat_widgets WHERE instance_id = ? ORDER BY name`, instanceID)
	if err != nil {
		return nil, fmt.Errorf("list chat widgets: %w", err)
	}
	defer rows.Close()
	var out []chat.Widget
	for rows.Next() {
		w, err := scanWidget(rows)
		if err != nil {
			return nil, fmt.Errorf("list chat widgets: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list chat widgets: %w", err)
	}
	return out, nil
}

func (t *txn) ChatWidgetByID(ctx context.Context, widgetID string) (chat.Widget, error) {
	w, err := scanWidget(t.row(ctx, `SELECT `+widgetCols+` FROM chat_widgets WHERE widget_id = ?`, widgetID))
	if errors.Is(err, sql.ErrNoRows) {
		return w, apierr.NotFound("chat widget", widgetID)
	}
	if err != nil {
		return w, fmt.Errorf("get chat widget: %w", err)
	}
	return w, nil
}

func (t *txn) DeleteChatWidget(ctx context.Context, instanceID, widgetID string) error {
	res, err := t.exec(ctx, `DELETE FROM chat_widgets WHERE instance_id = ? AND widget_id = ?`, instanceID, widgetID)
	if err := mustAffect(res, err, "chat widget", widgetID); err != nil {
		return fmt.Errorf("delete chat widget: %w", err)
	}
	return nil
}

// ---- expired chats ----

func (t *txn) ListExpiredChats(ctx context.Context, instanceID string, now time.Time, limit int) ([]string, error) {
	rows, err := t.rows(ctx, `SELECT contact_id FROM chats WHERE instance_id = ? AND ended_at_ms IS NULL AND expires_at_ms <= ?
		ORDER BY expires_at_ms, contact_id LIMIT ?`, instanceID, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list expired chats: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list expired chats: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list expired chats: %w", err)
	}
	return out, nil
}

// ---- client tokens ----

func clientTokenAAD(instanceID, operation, token string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "contact_client_tokens", RowID: operation + "/" + token, Column: "participant_token"}
}

// clientTokenSweepEvery is how often a start deletes its instance's expired ClientTokens.
// Between sweeps an expired row may remain; the insert below replaces it when its token is
// used again, and GetClientToken never returns it.
const clientTokenSweepEvery = time.Minute

func (t *txn) PutClientToken(ctx context.Context, ct contact.ClientToken, notBefore time.Time) error {
	now := time.Now()
	if last, ok := t.s.tokenSweeps.Load(ct.InstanceID); !ok || now.Sub(last.(time.Time)) >= clientTokenSweepEvery {
		if _, err := t.exec(ctx, `DELETE FROM contact_client_tokens WHERE instance_id = ? AND created_at_ms < ?`,
			ct.InstanceID, ms(notBefore)); err != nil {
			return fmt.Errorf("put client token: expire old tokens: %w", err)
		}
		// Remembered before the commit: a rolled-back sweep only delays the next by a minute.
		t.s.tokenSweeps.Store(ct.InstanceID, now)
	}
	var sealed []byte
	if tok := ct.ParticipantToken.Reveal(); tok != "" {
		var err error
		if sealed, err = t.seal(ctx, []byte(tok), clientTokenAAD(ct.InstanceID, ct.Operation, ct.Token)); err != nil {
			return fmt.Errorf("put client token: %w", err)
		}
	}
	// A row of the same token is replaced only when it expired (created before notBefore);
	// a live one leaves the insert without effect, which is a repeated token.
	res, err := t.exec(ctx, `INSERT INTO contact_client_tokens (instance_id, operation, client_token, contact_id, participant_id,
		participant_token, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, operation, client_token) DO UPDATE SET contact_id = excluded.contact_id,
		participant_id = excluded.participant_id, participant_token = excluded.participant_token, created_at_ms = excluded.created_at_ms
		WHERE contact_client_tokens.created_at_ms < ?`,
		ct.InstanceID, ct.Operation, ct.Token, ct.ContactID, ct.ParticipantID, sealed, ms(ct.CreatedTime), ms(notBefore))
	if err != nil {
		return fmt.Errorf("put client token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("put client token: %w", err)
	}
	if n == 0 {
		return apierr.New(apierr.CodeDuplicateResource, "ClientToken was already used for %s", ct.Operation)
	}
	return nil
}

func (t *txn) GetClientToken(ctx context.Context, instanceID, operation, token string, notBefore time.Time) (contact.ClientToken, error) {
	ct := contact.ClientToken{InstanceID: instanceID, Operation: operation, Token: token}
	var (
		sealed  []byte
		created int64
	)
	err := t.row(ctx, `SELECT contact_id, participant_id, participant_token, created_at_ms FROM contact_client_tokens
		WHERE instance_id = ? AND operation = ? AND client_token = ? AND created_at_ms >= ?`,
		instanceID, operation, token, ms(notBefore)).Scan(&ct.ContactID, &ct.ParticipantID, &sealed, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return ct, apierr.NotFound("client token", "")
	}
	if err != nil {
		return ct, fmt.Errorf("get client token: %w", err)
	}
	ct.CreatedTime = fromMS(created)
	if len(sealed) > 0 {
		tok, err := t.open(ctx, sealed, clientTokenAAD(instanceID, operation, token))
		if err != nil {
			return ct, fmt.Errorf("get client token: open participant token: %w", err)
		}
		ct.ParticipantToken = secret.New(string(tok))
	}
	return ct, nil
}
