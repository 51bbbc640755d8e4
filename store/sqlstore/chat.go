package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
)

// ---- chats ----

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func (t *txn) CreateChat(ctx context.Context, c chat.Chat) error {
	types, err := json.Marshal(c.SupportedContentTypes)
	if err != nil {
		return fmt.Errorf("create chat: encode content types: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO chats (instance_id, contact_id, initial_contact_id, supported_content_types,
		created_at_ms, expires_at_ms, ended_at_ms, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
		c.InstanceID, c.ContactID, c.InitialContactID, string(types), ms(c.CreatedTime), ms(c.ExpiresTime), nullMS(c.EndedTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a chat for contact %s already exists", c.ContactID)
	}
	if err != nil {
		return fmt.Errorf("create chat: %w", err)
	}
	return nil
}

func (t *txn) GetChat(ctx context.Context, instanceID, contactID string) (chat.Chat, error) {
	var (
		c                chat.Chat
		types            string
		created, expires int64
		ended            sql.NullInt64
	)
	err := t.row(ctx, `SELECT instance_id, contact_id, initial_contact_id, supported_content_types, created_at_ms,
		expires_at_ms, ended_at_ms, last_seq FROM chats WHERE instance_id = ? AND contact_id = ?`, instanceID, contactID).
		Scan(&c.InstanceID, &c.ContactID, &c.InitialContactID, &types, &created, &expires, &ended, &c.LastSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apierr.NotFound("chat contact", contactID)
	}
	if err != nil {
		return c, fmt.Errorf("get chat: %w", err)
	}
	if err := json.Unmarshal([]byte(types), &c.SupportedContentTypes); err != nil {
		return c, fmt.Errorf("get chat: decode content types: %w", err)
	}
	c.CreatedTime, c.ExpiresTime, c.EndedTime = fromMS(created), fromMS(expires), fromNullMS(ended)
	return c, nil
}

// CountActiveChats counts without scanning the active chats: chat_open_counts holds the
// instance's chats not ended (triggers keep it, migration 00017), less those past their
// expiry that the sweeper has not ended yet (a range of the chats_active index).
func (t *txn) CountActiveChats(ctx context.Context, instanceID string, now time.Time) (int, error) {
	var n int
	err := t.row(ctx, `SELECT COALESCE((SELECT open_chats FROM chat_open_counts WHERE instance_id = ?), 0)
		- (SELECT COUNT(*) FROM chats WHERE instance_id = ? AND ended_at_ms IS NULL AND expires_at_ms <= ?)`,
		instanceID, instanceID, ms(now)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count active chats: %w", err)
	}
	return n, nil
}

func (t *txn) EndChat(ctx context.Context, instanceID, contactID string, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE chats SET ended_at_ms = COALESCE(ended_at_ms, ?) WHERE instance_id = ? AND contact_id = ?`,
		ms(at), instanceID, contactID)
	if err := mustAffect(res, err, "chat contact", contactID); err != nil {
		return fmt.Errorf("end chat: %w", err)
	}
	return nil
}

// ---- participants ----

const participantCols = `instance_id, participant_id, contact_id, role, display_name, token_hash, joined_at_ms, token_expires_at_ms, left_at_ms`

func (t *txn) CreateChatParticipant(ctx context.Context, p chat.Participant) error {
	var hash any
	if len(p.TokenHash) > 0 {
		hash = p.TokenHash
	}
	_, err := t.exec(ctx, `INSERT INTO chat_participants (`+participantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.InstanceID, p.ParticipantID, p.ContactID, string(p.Role), p.DisplayNameCiphertext, hash,
		ms(p.JoinedTime), ms(p.TokenExpiry), nullMS(p.LeftTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "participant %s already exists", p.ParticipantID)
	}
	if err != nil {
		return fmt.Errorf("create chat participant: %w", err)
	}
	return nil
}

func scanParticipant(sc interface{ Scan(...any) error }) (chat.Participant, error) {
	var (
		p              chat.Participant
		role           string
		joined, expiry int64
		left           sql.NullInt64
	)
	if err := sc.Scan(&p.InstanceID, &p.ParticipantID, &p.ContactID, &role, &p.DisplayNameCiphertext, &p.TokenHash,
		&joined, &expiry, &left); err != nil {
		return p, err
	}
	p.Role = chat.Role(role)
	p.JoinedTime, p.TokenExpiry, p.LeftTime = fromMS(joined), fromMS(expiry), fromNullMS(left)
	return p, nil
}

func (t *txn) GetChatParticipant(ctx context.Context, instanceID, participantID string) (chat.Participant, error) {
	p, err := scanParticipant(t.row(ctx, `SELECT `+participantCols+` FROM chat_participants WHERE instance_id = ? AND participant_id = ?`,
		instanceID, participantID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apierr.NotFound("participant", participantID)
	}
	if err != nil {
		return p, fmt.Errorf("get chat participant: %w", err)
	}
	return p, nil
}

func (t *txn) ListChatParticipants(ctx context.Context, instanceID, contactID string) ([]chat.Participant, error) {
	rows, err := t.rows(ctx, `SELECT `+participantCols+` FROM chat_participants WHERE instance_id = ? AND contact_id = ?
		ORDER BY joined_at_ms, participant_id`, instanceID, contactID)
	if err != nil {
		return nil, fmt.Errorf("list chat participants: %w", err)
	}
	defer rows.Close()
	var out []chat.Participant
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, fmt.Errorf("list chat participants: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list chat participants: %w", err)
	}
	return out, nil
}

func (t *txn) ChatParticipantByToken(ctx context.Context, tokenHash []byte) (chat.Participant, error) {
	p, err := scanParticipant(t.row(ctx, `SELECT `+participantCols+` FROM chat_participants WHERE token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apierr.NotFound("participant token", "(hidden)")
	}
	if err != nil {
		return p, fmt.Errorf("get chat participant by token: %w", err)
	}
	return p, nil
}

func (t *txn) SetChatParticipantLeft(ctx context.Context, instanceID, participantID string, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE chat_participants SET left_at_ms = COALESCE(left_at_ms, ?) WHERE instance_id = ? AND participant_id = ?`,
		ms(at), instanceID, participantID)
	if err := mustAffect(res, err, "participant", participantID); err != nil {
		return fmt.Errorf("set chat participant left: %w", err)
	}
	if _, err := t.exec(ctx, `DELETE FROM chat_connections WHERE instance_id = ? AND participant_id = ?`, instanceID, participantID); err != nil {
		return fmt.Errorf("set chat participant left: delete connections: %w", err)
	}
	return nil
}

// ---- connections ----

func (t *txn) CreateChatConnection(ctx context.Context, c chat.Connection) error {
	if _, err := t.exec(ctx, `DELETE FROM chat_connections WHERE instance_id = ? AND participant_id = ? AND expires_at_ms < ?`,
		c.InstanceID, c.ParticipantID, ms(c.CreatedTime)); err != nil {
		return fmt.Errorf("create chat connection: prune: %w", err)
	}
	_, err := t.exec(ctx, `INSERT INTO chat_connections (token_hash, kind, instance_id, contact_id, participant_id, created_at_ms, expires_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.TokenHash, string(c.Kind), c.InstanceID, c.ContactID, c.ParticipantID, ms(c.CreatedTime), ms(c.ExpiresTime))
	if err != nil {
		return fmt.Errorf("create chat connection: %w", err)
	}
	return nil
}

func (t *txn) ChatConnectionByToken(ctx context.Context, tokenHash []byte) (chat.Connection, error) {
	var (
		c                chat.Connection
		kind             string
		created, expires int64
	)
	err := t.row(ctx, `SELECT token_hash, kind, instance_id, contact_id, participant_id, created_at_ms, expires_at_ms
		FROM chat_connections WHERE token_hash = ?`, tokenHash).
		Scan(&c.TokenHash, &kind, &c.InstanceID, &c.ContactID, &c.ParticipantID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apierr.NotFound("connection token", "(hidden)")
	}
	if err != nil {
		return c, fmt.Errorf("get chat connection: %w", err)
	}
	c.Kind, c.CreatedTime, c.ExpiresTime = chat.ConnectionKind(kind), fromMS(created), fromMS(expires)
	return c, nil
}

// ---- items ----

const itemCols = `instance_id, contact_id, seq, id, type, content_type, participant_id, participant_role, content, absolute_time_ms, client_token`

func (t *txn) AppendChatItem(ctx context.Context, it chat.StoredItem) (int64, error) {
	var seq int64
	err := t.row(ctx, `UPDATE chats SET last_seq = last_seq + 1 WHERE instance_id = ? AND contact_id = ? AND ended_at_ms IS NULL
		RETURNING last_seq`, it.InstanceID, it.ContactID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		if _, gerr := t.GetChat(ctx, it.InstanceID, it.ContactID); gerr != nil {
			return 0, fmt.Errorf("append chat item: %w", gerr)
		}
		return 0, apierr.AccessDenied("the chat has ended")
	}
	if err != nil {
		return 0, fmt.Errorf("append chat item: %w", err)
	}
	if err := t.insertChatItem(ctx, it, seq); err != nil {
		return 0, err
	}
	return seq, nil
}

// AppendSentChatItem checks the connection token, the chat and the ClientToken in the
// statement that takes the next Seq; only when that statement changes nothing does it look
// again, to say why.
func (t *txn) AppendSentChatItem(ctx context.Context, it chat.StoredItem, tokenHash []byte, now time.Time) (int64, error) {
	var seq int64
	clientToken := nullable(it.ClientToken)
	err := t.row(ctx, `UPDATE chats SET last_seq = last_seq + 1
		WHERE instance_id = ? AND contact_id = ? AND ended_at_ms IS NULL AND expires_at_ms > ?
		AND EXISTS (SELECT 1 FROM chat_connections WHERE token_hash = ? AND kind = ? AND instance_id = ? AND contact_id = ?
			AND participant_id = ? AND expires_at_ms > ?)
		AND NOT EXISTS (SELECT 1 FROM chat_items WHERE instance_id = ? AND participant_id = ? AND client_token = ?)
		RETURNING last_seq`, it.InstanceID, it.ContactID, ms(now),
		tokenHash, string(chat.ConnectionCredentials), it.InstanceID, it.ContactID, it.ParticipantID, ms(now),
		it.InstanceID, it.ParticipantID, clientToken).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		if it.ClientToken != "" {
			var one int
			err := t.row(ctx, `SELECT 1 FROM chat_items WHERE instance_id = ? AND participant_id = ? AND client_token = ?`,
				it.InstanceID, it.ParticipantID, it.ClientToken).Scan(&one)
			if err == nil {
				return 0, apierr.New(apierr.CodeDuplicateResource, "the participant already stored an item with this client token")
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("append sent chat item: %w", err)
			}
		}
		return 0, apierr.AccessDenied("the connection token is invalid or expired, or the chat has ended")
	}
	if err != nil {
		return 0, fmt.Errorf("append sent chat item: %w", err)
	}
	if err := t.insertChatItem(ctx, it, seq); err != nil {
		return 0, err
	}
	return seq, nil
}

// insertChatItem stores it at seq, taken from the chat's counter in the same transaction.
func (t *txn) insertChatItem(ctx context.Context, it chat.StoredItem, seq int64) error {
	_, err := t.exec(ctx, `INSERT INTO chat_items (`+itemCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.InstanceID, it.ContactID, seq, it.ID, string(it.Type), it.ContentType, it.ParticipantID, string(it.ParticipantRole),
		it.ContentCiphertext, ms(it.AbsoluteTime), nullable(it.ClientToken))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "item %s or its client token already exists", it.ID)
	}
	if err != nil {
		return fmt.Errorf("append chat item: %w", err)
	}
	return nil
}

func scanItem(sc interface{ Scan(...any) error }) (chat.StoredItem, error) {
	var (
		it          chat.StoredItem
		typ, role   string
		at          int64
		clientToken sql.NullString
	)
	if err := sc.Scan(&it.InstanceID, &it.ContactID, &it.Seq, &it.ID, &typ, &it.ContentType, &it.ParticipantID, &role,
		&it.ContentCiphertext, &at, &clientToken); err != nil {
		return it, err
	}
	it.Type, it.ParticipantRole = chat.ItemType(typ), chat.Role(role)
	it.AbsoluteTime, it.ClientToken = fromMS(at), clientToken.String
	return it, nil
}

func (t *txn) ChatItemByClientToken(ctx context.Context, instanceID, participantID, clientToken string) (chat.StoredItem, error) {
	it, err := scanItem(t.row(ctx, `SELECT `+itemCols+` FROM chat_items WHERE instance_id = ? AND participant_id = ? AND client_token = ?`,
		instanceID, participantID, clientToken))
	if errors.Is(err, sql.ErrNoRows) {
		return it, apierr.NotFound("item with client token", clientToken)
	}
	if err != nil {
		return it, fmt.Errorf("get chat item by client token: %w", err)
	}
	return it, nil
}

func (t *txn) GetChatItem(ctx context.Context, instanceID, contactID, itemID string) (chat.StoredItem, error) {
	it, err := scanItem(t.row(ctx, `SELECT `+itemCols+` FROM chat_items WHERE instance_id = ? AND contact_id = ? AND id = ?`,
		instanceID, contactID, itemID))
	if errors.Is(err, sql.ErrNoRows) {
		return it, apierr.NotFound("item", itemID)
	}
	if err != nil {
		return it, fmt.Errorf("get chat item: %w", err)
	}
	return it, nil
}

func (t *txn) ChatItemSeqAt(ctx context.Context, instanceID, contactID string, at time.Time, forward bool) (int64, error) {
	q := `SELECT seq FROM chat_items WHERE instance_id = ? AND contact_id = ? AND absolute_time_ms >= ? ORDER BY seq LIMIT 1`
	if !forward {
		q = `SELECT seq FROM chat_items WHERE instance_id = ? AND contact_id = ? AND absolute_time_ms <= ? ORDER BY seq DESC LIMIT 1`
	}
	var seq int64
	err := t.row(ctx, q, instanceID, contactID, ms(at)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("chat item at time: %w", err)
	}
	return seq, nil
}

func (t *txn) ListChatItems(ctx context.Context, q chat.ItemQuery) ([]chat.StoredItem, error) {
	query := `SELECT ` + itemCols + ` FROM chat_items WHERE instance_id = ? AND contact_id = ? AND seq >= ? ORDER BY seq LIMIT ?`
	if !q.Forward {
		query = `SELECT ` + itemCols + ` FROM chat_items WHERE instance_id = ? AND contact_id = ? AND seq <= ? ORDER BY seq DESC LIMIT ?`
	}
	rows, err := t.rows(ctx, query, q.InstanceID, q.ContactID, q.FromSeq, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("list chat items: %w", err)
	}
	defer rows.Close()
	var out []chat.StoredItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list chat items: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list chat items: %w", err)
	}
	return out, nil
}
