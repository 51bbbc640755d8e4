package chat

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/secret"
)

// binding is who a token speaks for.
type binding struct {
	chat Chat
	part Participant
	name string
	// tokenExpiry is when the connection token that auth resolved expires (zero from bind
	// alone).
	tokenExpiry time.Time
}

// denied is the one answer to a bad, expired or revoked token, as Connect gives it (chatjs
// takes a 403 while reconnecting as "the chat ended").
func denied() error {
	return apierr.AccessDenied("the token is invalid or expired, or the chat has ended")
}

// auth resolves a connection token (kind) to its participant, outside any write
// transaction, and stamps ev with who acted.
func (s *Service) auth(ctx context.Context, ev *audit.Event, token string, kind ConnectionKind) (binding, error) {
	if token == "" || len(token) > 1000 {
		return binding{}, apierr.AccessDenied("the X-Amz-Bearer header must carry a token")
	}
	now := s.now()
	var b binding
	err := s.cfg.Store.View(ctx, nil, func(ctx context.Context, tx Tx) error {
		conn, err := tx.ChatConnectionByToken(ctx, hashToken(token))
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return denied()
		}
		if err != nil {
			return err
		}
		if conn.Kind != kind || !now.Before(conn.ExpiresTime) {
			return denied()
		}
		if err := s.bind(ctx, tx, conn.InstanceID, conn.ParticipantID, now, &b); err != nil {
			return err
		}
		b.tokenExpiry = conn.ExpiresTime
		return nil
	})
	if err != nil {
		return binding{}, err
	}
	stamp(ev, b)
	return b, nil
}

// authSend resolves the ConnectionToken of a SendMessage call like auth, reusing what an
// earlier call of the token read (authCache): the write transaction checks the token again.
func (s *Service) authSend(ctx context.Context, ev *audit.Event, token string) (binding, error) {
	if token == "" || len(token) > 1000 {
		return s.auth(ctx, ev, token, ConnectionCredentials)
	}
	key := tokenKey(token)
	if b, ok := s.creds.get(key, s.now()); ok {
		stamp(ev, b)
		return b, nil
	}
	b, err := s.auth(ctx, ev, token, ConnectionCredentials)
	if err == nil {
		s.creds.put(key, b, s.now(), b.tokenExpiry)
	}
	return b, err
}

// bind loads the participant and its chat and checks both are live.
func (s *Service) bind(ctx context.Context, tx Tx, instanceID, participantID string, now time.Time, b *binding) error {
	p, err := tx.GetChatParticipant(ctx, instanceID, participantID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return denied()
	}
	if err != nil {
		return err
	}
	c, err := tx.GetChat(ctx, p.InstanceID, p.ContactID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return denied()
	}
	if err != nil {
		return err
	}
	if !p.LeftTime.IsZero() || !c.Active(now) {
		return denied()
	}
	name, err := s.openName(ctx, p)
	if err != nil {
		return err
	}
	*b = binding{chat: c, part: p, name: name}
	return nil
}

// orEvent returns ev, or a new event for op when the caller gave none.
func orEvent(ev *audit.Event, op string) *audit.Event {
	if ev != nil {
		return ev
	}
	return &audit.Event{Code: "participant." + op, Actor: "anonymous", Operation: op}
}

func stamp(ev *audit.Event, b binding) {
	ev.Actor = "participant:" + b.part.ParticipantID
	ev.InstanceID = b.part.InstanceID
	ev.Resource = b.part.ContactID
	if ev.Details == nil {
		ev.Details = map[string]string{}
	}
	ev.Details["role"] = string(b.part.Role)
}

// record appends ev for a request that failed before its transaction; the request's own
// error wins unless the event cannot be made durable.
func (s *Service) record(ctx context.Context, ev *audit.Event, err error) error {
	ev.Stamp(err)
	if rerr := s.cfg.Store.Record(ctx, ev); rerr != nil {
		return rerr
	}
	return err
}

// ConnectRequest is CreateParticipantConnection's input.
type ConnectRequest struct {
	// ParticipantToken is the X-Amz-Bearer header.
	ParticipantToken string
	// WebSocket and Credentials are the WEBSOCKET and CONNECTION_CREDENTIALS members of
	// Type.
	WebSocket, Credentials bool
}

// ConnectResult is what CreateParticipantConnection hands out; a token is empty when its Type
// was not asked for.
type ConnectResult struct {
	// WebSocketToken opens the WebSocket (the Handler puts it in Websocket.Url) until
	// WebSocketExpiry.
	WebSocketToken  secret.Value[string]
	WebSocketExpiry time.Time
	// ConnectionToken is the bearer of the other operations until ConnectionExpiry.
	ConnectionToken  secret.Value[string]
	ConnectionExpiry time.Time
}

// Connect carries out CreateParticipantConnection: it checks the participant token and
// stores a new WebSocket token and connection token by hash. ev (may be nil) is the request's
// audit event; it commits with the tokens. Errors: AccessDeniedException for a bad, expired
// or revoked token or an ended chat; ThrottlingException when one participant token asks
// more often than Limits.MessagesPerSecond allows.
func (s *Service) Connect(ctx context.Context, ev *audit.Event, req ConnectRequest) (ConnectResult, error) {
	ev = orEvent(ev, "Connect")
	if req.ParticipantToken == "" || len(req.ParticipantToken) > 1000 {
		return ConnectResult{}, s.record(ctx, ev, apierr.AccessDenied("the X-Amz-Bearer header must carry the participant token"))
	}
	if !s.allowKey(fmt.Sprintf("connect/%x", hashToken(req.ParticipantToken))) {
		return ConnectResult{}, s.record(ctx, ev, apierr.New(apierr.CodeThrottling,
			"rate exceeded: at most %g connections per second per participant", s.limits.MessagesPerSecond))
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var (
		out        ConnectResult
		ws, cred   Connection
		wsTok, tok secret.Value[string]
	)
	if req.WebSocket {
		t, h, err := s.newToken()
		if err != nil {
			return out, s.record(ctx, ev, err)
		}
		wsTok, ws = t, Connection{TokenHash: h, Kind: ConnectionWebSocket, CreatedTime: now, ExpiresTime: now.Add(s.limits.WebSocketURLTTL)}
	}
	if req.Credentials {
		t, h, err := s.newToken()
		if err != nil {
			return out, s.record(ctx, ev, err)
		}
		tok, cred = t, Connection{TokenHash: h, Kind: ConnectionCredentials, CreatedTime: now, ExpiresTime: now.Add(s.limits.ConnectionTTL)}
	}
	err := s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		p, err := tx.ChatParticipantByToken(ctx, hashToken(req.ParticipantToken))
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return denied()
		}
		if err != nil {
			return err
		}
		if !now.Before(p.TokenExpiry) {
			return denied()
		}
		var b binding
		if err := s.bind(ctx, tx, p.InstanceID, p.ParticipantID, now, &b); err != nil {
			return err
		}
		stamp(ev, b)
		for _, c := range []*Connection{&ws, &cred} {
			if c.TokenHash == nil {
				continue
			}
			c.InstanceID, c.ContactID, c.ParticipantID = p.InstanceID, p.ContactID, p.ParticipantID
			if err := tx.CreateChatConnection(ctx, *c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ConnectResult{}, err
	}
	if req.WebSocket {
		out.WebSocketToken, out.WebSocketExpiry = wsTok, ws.ExpiresTime
	}
	if req.Credentials {
		out.ConnectionToken, out.ConnectionExpiry = tok, cred.ExpiresTime
	}
	return out, nil
}

// SendRequest is SendMessage's or SendEvent's input.
type SendRequest struct {
	// ConnectionToken is the X-Amz-Bearer header.
	ConnectionToken string
	ContentType     string
	Content         string
	// ClientToken makes the call idempotent per participant (at most 500 characters).
	ClientToken string
}

// Sent is SendMessage's and SendEvent's answer.
type Sent struct {
	ID           string
	AbsoluteTime time.Time
}

// SendMessage stores a participant's message (redacted, sealed) with ev, delivers it to
// every socket of the contact (the sender's too) and, for the customer, calls
// Events.CustomerMessage (or, while the flow waits for secure input, stores and delivers
// SecureInputPlaceholder and calls SecureInputs.SecureInput; see SecureInputs). A repeated ClientToken returns the first call's answer and stores
// nothing. Errors: AccessDeniedException (token, ended chat), ValidationException (content
// type not supported by the chat, empty or too long content), ThrottlingException.
func (s *Service) SendMessage(ctx context.Context, ev *audit.Event, req SendRequest) (Sent, error) {
	ev = orEvent(ev, "SendMessage")
	b, err := s.authSend(ctx, ev, req.ConnectionToken)
	if err != nil {
		return Sent{}, s.record(ctx, ev, err)
	}
	if err := s.checkMessage(b.chat, req); err != nil {
		return Sent{}, s.record(ctx, ev, err)
	}
	if !s.allow(b.part.InstanceID, b.part.ParticipantID) {
		return Sent{}, s.record(ctx, ev, apierr.New(apierr.CodeThrottling, "rate exceeded: at most %g messages and events per second per participant", s.limits.MessagesPerSecond))
	}
	// A customer answering a secure-input flow: the content goes to the flow only.
	si, _ := s.cfg.Events.(SecureInputs)
	secure := b.part.Role == RoleCustomer && si != nil && si.AwaitsSecureInput(b.chat.InstanceID, b.chat.ContactID)
	content := req.Content
	if secure {
		content = SecureInputPlaceholder
	}
	it, red, err := s.newItem(ctx, b.part, TypeMessage, req.ContentType, content, req.ClientToken, s.now())
	if err != nil {
		return Sent{}, s.record(ctx, ev, err)
	}
	// The search index gets the words of the redacted text; secure input gets none, not
	// even of its placeholder.
	var words []string
	if !secure {
		words = indexWords(TypeMessage, req.ContentType, red)
	}
	unlock := s.order.lock(contactKey(b.chat.InstanceID, b.chat.ContactID))
	stored, repeat, err := s.store(ctx, ev, req.ConnectionToken, it, words)
	if err != nil {
		unlock()
		return Sent{}, err
	}
	out := view(stored, red, b.name, b.chat.InitialContactID)
	if !repeat {
		s.publish(b.chat.InstanceID, b.chat.ContactID, []Item{out}, CloseNone, "")
	}
	unlock()
	switch {
	case repeat || b.part.Role != RoleCustomer || s.cfg.Events == nil:
	case secure:
		si.SecureInput(ctx, b.chat.InstanceID, b.chat.ContactID, secret.New(req.Content))
	default:
		s.cfg.Events.CustomerMessage(ctx, b.chat.InstanceID, b.chat.ContactID, out)
	}
	return Sent{ID: stored.ID, AbsoluteTime: stored.AbsoluteTime}, nil
}

func (s *Service) checkMessage(c Chat, req SendRequest) error {
	max, ok := messageContentTypes[req.ContentType]
	if !ok {
		return apierr.New(apierr.CodeValidation, "ContentType must be one of text/plain, text/markdown, application/json, %s", ContentTypeInteractiveResponse)
	}
	supported := false
	for _, t := range c.SupportedContentTypes {
		supported = supported || t == req.ContentType
	}
	if !supported {
		return apierr.New(apierr.CodeValidation, "this chat does not support ContentType %s", req.ContentType)
	}
	if max == 0 {
		max = s.limits.MaxMessageChars
	}
	if !utf8.ValidString(req.Content) {
		return apierr.New(apierr.CodeValidation, "Content must be UTF-8")
	}
	if n := utf8.RuneCountInString(req.Content); n < 1 || n > max {
		return apierr.New(apierr.CodeValidation, "Content must be 1 to %d characters for %s; got %d", max, req.ContentType, n)
	}
	if strings.TrimSpace(req.Content) == "" {
		return apierr.New(apierr.CodeValidation, "Content must not be blank")
	}
	return checkClientToken(req.ClientToken)
}

func checkClientToken(t string) error {
	if len(t) > 500 {
		return apierr.New(apierr.CodeValidation, "ClientToken must be at most 500 characters")
	}
	return nil
}

// store appends it with ev, and indexes words for transcript search; the statement that
// appends it checks, in the write transaction, that the connection token still holds, the
// chat is active and the ClientToken is new (Tx.AppendSentChatItem). For a ClientToken
// already used by the participant it returns the stored item and repeat=true, once the
// connection token is checked.
func (s *Service) store(ctx context.Context, ev *audit.Event, token string, it StoredItem, words []string) (stored StoredItem, repeat bool, err error) {
	now := s.now()
	key := tokenKey(token)
	hash := key[:]
	err = s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		ev.Details["item_id"] = it.ID
		var err error
		it.Seq, err = tx.AppendSentChatItem(ctx, it, hash, now)
		switch {
		case err == nil:
			stored = it
			return tx.IndexTranscriptWords(ctx, it.InstanceID, it.ContactID, it.ParticipantRole, words)
		case apierr.HasCode(err, apierr.CodeAccessDenied):
			return denied()
		case apierr.HasCode(err, apierr.CodeDuplicateResource) && it.ClientToken != "":
			prev, perr := tx.ChatItemByClientToken(ctx, it.InstanceID, it.ParticipantID, it.ClientToken)
			if perr != nil {
				return err // a duplicate item ID, not a repeated call
			}
			conn, cerr := tx.ChatConnectionByToken(ctx, hash)
			if apierr.HasCode(cerr, apierr.CodeResourceNotFound) {
				return denied()
			}
			if cerr != nil {
				return cerr
			}
			if conn.Kind != ConnectionCredentials || conn.ParticipantID != it.ParticipantID || !now.Before(conn.ExpiresTime) {
				return denied()
			}
			stored, repeat = prev, true
			ev.Details["item_id"] = prev.ID
			return nil
		default:
			return err
		}
	})
	if apierr.HasCode(err, apierr.CodeAccessDenied) {
		s.creds.drop(key)
	}
	if apierr.HasCode(err, apierr.CodeDuplicateResource) {
		err = apierr.New(apierr.CodeConflict, "a request with this ClientToken is in progress; retry it")
	}
	return stored, repeat, err
}

// SendEvent carries out SendEvent: typing and read/delivered receipts are delivered to the
// contact's sockets but not stored (they are not part of a transcript);
// connection.acknowledged is accepted and changes nothing. ev is recorded either way.
// Errors: AccessDeniedException, ValidationException (content type, a receipt without
// {"messageId": ...}), ThrottlingException.
func (s *Service) SendEvent(ctx context.Context, ev *audit.Event, req SendRequest) (Sent, error) {
	ev = orEvent(ev, "SendEvent")
	b, err := s.auth(ctx, ev, req.ConnectionToken, ConnectionCredentials)
	if err != nil {
		return Sent{}, s.record(ctx, ev, err)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	it := Item{ID: s.cfg.NewID(), AbsoluteTime: FormatTime(now), ContentType: req.ContentType,
		ParticipantID: b.part.ParticipantID, DisplayName: b.name, ParticipantRole: b.part.Role,
		ContactID: b.chat.ContactID, InitialContactID: b.chat.InitialContactID}
	err = checkClientToken(req.ClientToken)
	switch req.ContentType {
	case EventTyping:
		it.Type = TypeEvent
	case EventConnectionAck:
		it.Type = TypeConnectionAck
	case EventMessageDelivered, EventMessageRead:
		it.Type = TypeMessageMetadata
		var msgID string
		if msgID, err = receiptMessageID(req.Content); err == nil {
			r := Receipt{RecipientParticipantID: b.part.ParticipantID}
			if req.ContentType == EventMessageRead {
				r.ReadTimestamp = it.AbsoluteTime
			} else {
				r.DeliveredTimestamp = it.AbsoluteTime
			}
			it.MessageMetadata = &MessageMetadata{MessageID: msgID, Receipts: []Receipt{r}}
		}
	default:
		err = apierr.New(apierr.CodeValidation, "ContentType must be one of %s, %s, %s, %s", EventTyping, EventMessageDelivered, EventMessageRead, EventConnectionAck)
	}
	if err == nil && !s.allow(b.part.InstanceID, b.part.ParticipantID) {
		err = apierr.New(apierr.CodeThrottling, "rate exceeded: at most %g messages and events per second per participant", s.limits.MessagesPerSecond)
	}
	if err != nil {
		return Sent{}, s.record(ctx, ev, err)
	}
	ev.Details["event"] = strings.TrimPrefix(req.ContentType, EventPrefix)
	if err := s.record(ctx, ev, nil); err != nil {
		return Sent{}, err
	}
	if it.Type != TypeConnectionAck {
		s.fanout.Publish(Delivery{InstanceID: b.chat.InstanceID, ContactID: b.chat.ContactID, Frame: chatFrame(it)})
	}
	return Sent{ID: it.ID, AbsoluteTime: now}, nil
}

// receiptMessageID reads the {"messageId": "..."} content of a receipt.
func receiptMessageID(content string) (string, error) {
	var v struct {
		MessageID string `json:"messageId"`
	}
	if err := decodeStrict([]byte(content), &v); err != nil || v.MessageID == "" || len(v.MessageID) > 256 {
		return "", apierr.New(apierr.CodeValidation, `a receipt's Content must be {"messageId": "<message Id>"}`)
	}
	return v.MessageID, nil
}

// DisconnectParticipant makes the participant leave: participant.left is stored and
// delivered, its tokens stop working and its sockets close. When the customer leaves the
// chat ends too (chat.ended, every socket closes), as in Connect. Events.ParticipantLeft is
// called afterwards. Errors: AccessDeniedException.
func (s *Service) DisconnectParticipant(ctx context.Context, ev *audit.Event, connectionToken, clientToken string) error {
	ev = orEvent(ev, "DisconnectParticipant")
	b, err := s.auth(ctx, ev, connectionToken, ConnectionCredentials)
	if err == nil {
		err = checkClientToken(clientToken)
	}
	if err != nil {
		return s.record(ctx, ev, err)
	}
	unlock := s.order.lock(contactKey(b.chat.InstanceID, b.chat.ContactID))
	now := s.now()
	var items []Item
	err = s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		var err error
		if err := s.bind(ctx, tx, b.part.InstanceID, b.part.ParticipantID, now, &b); err != nil {
			return err
		}
		it, err := s.leave(ctx, tx, b.chat, b.part, now)
		if err != nil {
			return err
		}
		items = []Item{it}
		if b.part.Role == RoleCustomer {
			more, err := s.endChat(ctx, tx, b.chat.InstanceID, b.chat.ContactID, now)
			if err != nil {
				return err
			}
			items = append(items, more...)
		}
		return nil
	})
	if err != nil {
		unlock()
		return err
	}
	if b.part.Role == RoleCustomer {
		s.publish(b.chat.InstanceID, b.chat.ContactID, items, CloseContact, "")
	} else {
		s.publish(b.chat.InstanceID, b.chat.ContactID, items, CloseParticipant, b.part.ParticipantID)
	}
	unlock()
	if s.cfg.Events != nil {
		s.cfg.Events.ParticipantLeft(ctx, b.chat.InstanceID, b.chat.ContactID, b.part.ParticipantID, b.part.Role)
	}
	return nil
}

// socketBinding is what a WebSocket URL token opens.
type socketBinding struct {
	InstanceID, ContactID, ParticipantID string
}

// openSocket checks a WebSocket URL token and records ev.
func (s *Service) openSocket(ctx context.Context, ev *audit.Event, token string) (socketBinding, error) {
	ev = orEvent(ev, "ConnectWebSocket")
	b, err := s.auth(ctx, ev, token, ConnectionWebSocket)
	if err := s.record(ctx, ev, err); err != nil {
		return socketBinding{}, err
	}
	return socketBinding{InstanceID: b.chat.InstanceID, ContactID: b.chat.ContactID, ParticipantID: b.part.ParticipantID}, nil
}
