package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/redact"
	"github.com/ringfence/ringfence/secret"
)

// Limits bound what a chat and its participants may do. Zero fields take the defaults.
type Limits struct {
	// MaxMessageChars is the longest text/plain or text/markdown message, in characters
	// (Unicode code points), counted before redaction. Default 1,024, as Connect.
	MaxMessageChars int
	// MaxActiveChats is how many chats of one instance may be active at once; StartChat
	// beyond it fails with LimitExceededException (HTTP 429), the error StartChatContact's
	// API reference gives for "the quota for concurrent active chats is exceeded". Default
	// 10,000.
	MaxActiveChats int
	// MaxSocketsPerParticipant is how many WebSockets one participant may hold open.
	// Default 5.
	MaxSocketsPerParticipant int
	// MessagesPerSecond and MessageBurst are the token bucket of each participant's
	// SendMessage and SendEvent calls, and separately of the CreateParticipantConnection
	// calls made with one participant token (each stores connection tokens); beyond it they
	// fail with ThrottlingException. Defaults 10/s and 20.
	MessagesPerSecond float64
	MessageBurst      int
	// ConnectionTTL is the lifetime of a ConnectionToken (default 12 h). chatjs asks for a
	// new one at Expiry − 60 s, so it is never under 5 minutes (a token stays useless once
	// the chat ends).
	ConnectionTTL time.Duration
	// WebSocketURLTTL is how long a Websocket.Url may be used to open a socket (default
	// 100 s, as Connect).
	WebSocketURLTTL time.Duration
	// DefaultChatDuration applies when StartChat gets none (default 25 h: Connect's
	// ChatDurationInMinutes default of 1,500).
	DefaultChatDuration time.Duration
}

// Connect's bounds on ChatDurationInMinutes: 60 to 10,080 (7 days).
const (
	MinChatDuration = 60 * time.Minute
	MaxChatDuration = 7 * 24 * time.Hour
)

func (l *Limits) defaults() {
	if l.MaxMessageChars <= 0 {
		l.MaxMessageChars = 1024
	}
	if l.MaxActiveChats <= 0 {
		l.MaxActiveChats = 10000
	}
	if l.MaxSocketsPerParticipant <= 0 {
		l.MaxSocketsPerParticipant = 5
	}
	if l.MessagesPerSecond <= 0 {
		l.MessagesPerSecond = 10
	}
	if l.MessageBurst <= 0 {
		l.MessageBurst = 20
	}
	if l.ConnectionTTL <= 0 {
		l.ConnectionTTL = 12 * time.Hour
	}
	if l.ConnectionTTL < 5*time.Minute {
		l.ConnectionTTL = 5 * time.Minute
	}
	if l.WebSocketURLTTL <= 0 {
		l.WebSocketURLTTL = 100 * time.Second
	}
	if l.DefaultChatDuration <= 0 {
		l.DefaultChatDuration = 1500 * time.Minute
	}
}

// Events is what the contact runtime does when participants act. Its methods are called on
// the request's goroutine after the change is durable and delivered to the WebSockets,
// outside every lock of the Service, so they may call back into it (PostSystem, EndChat).
type Events interface {
	// CustomerMessage is called for every message the customer sent (content redacted); a
	// flow waiting for chat input consumes it.
	CustomerMessage(ctx context.Context, instanceID, contactID string, item Item)
	// ParticipantLeft is called when a participant disconnected (DisconnectParticipant).
	// When the customer leaves the chat has already ended.
	ParticipantLeft(ctx context.Context, instanceID, contactID, participantID string, role Role)
}

// SecureInputs is an optional interface of Events, for flows that capture sensitive input
// in a chat (GetParticipantInput with StoreInput "True", often with InputEncryption). When
// Events implements it and AwaitsSecureInput is true as a customer message arrives, the
// message content is neither stored nor delivered: the transcript and every participant get
// SecureInputPlaceholder instead, and the content goes to SecureInput (not to
// CustomerMessage), as a secret the flow alone reveals.
type SecureInputs interface {
	// AwaitsSecureInput reports whether the contact's flow waits for stored input. It must
	// be quick (it runs before the message is stored) and must not call back into the
	// Service.
	AwaitsSecureInput(instanceID, contactID string) bool
	// SecureInput hands the customer's input to the waiting flow. It is called, like
	// CustomerMessage, after the placeholder is durable and delivered.
	SecureInput(ctx context.Context, instanceID, contactID string, content secret.Value[string])
}

// SecureInputPlaceholder is the content a customer message answering a secure-input flow
// has in the transcript and on every participant's socket.
const SecureInputPlaceholder = "[SECURE INPUT]"

// Config configures a Service.
type Config struct {
	// Store runs the transactions. Required.
	Store Transactor
	// Secrets seals content and display names at rest. Required.
	Secrets *keyring.Envelope
	// NewID returns a fresh lower-case UUID for participants, requests and events that are
	// not stored. Required.
	NewID func() string
	// NewItemID returns the ID of a new transcript item, a lower-case UUID. Default: a
	// version 7 UUID (RFC 9562 section 5.7), whose first 48 bits are the time in
	// milliseconds, so that the store's index of item IDs grows at one end instead of
	// taking a write at a random place per message (about 15% of the store writer's time
	// per message with a thousand chats open). The time it carries is the item's
	// AbsoluteTime, which whoever sees the item sees anyway.
	NewItemID func() string
	// Redactor redacts message content before it is stored or delivered; nil means
	// redact.New with the zero Policy (every card number becomes "[CARD]").
	Redactor *redact.Redactor
	// Fanout delivers items to WebSockets; nil means a new in-process Hub.
	Fanout Fanout
	// Events receives participant activity; nil ignores it.
	Events Events
	Limits Limits
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of tokens (default crypto/rand.Reader).
	Rand io.Reader
	// Logger gets identifiers only, never content or names. Default: discard.
	Logger *slog.Logger
}

// Service runs chats: StartChat, AddParticipant, PostSystem and EndChat for the contact
// runtime, and the participant operations Handler serves. It is safe for concurrent use.
type Service struct {
	cfg    Config
	limits Limits
	fanout Fanout
	red    *redact.Redactor
	now    func() time.Time
	log    *slog.Logger

	order contactLocks
	// creds caches what SendMessage's connection tokens speak for (see authCache).
	creds authCache

	mu       sync.Mutex
	limiters map[string]*limiter // by instance/participant
	swept    time.Time
}

type limiter struct {
	l    *rate.Limiter
	used time.Time
}

// New returns a Service; it fails when a required field is missing.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Secrets == nil || cfg.NewID == nil {
		return nil, errors.New("chat: store, secrets and NewID are required")
	}
	cfg.Limits.defaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Redactor == nil {
		cfg.Redactor = redact.New(redact.Policy{})
	}
	if cfg.Fanout == nil {
		cfg.Fanout = NewHub()
	}
	if cfg.NewItemID == nil {
		newID := cfg.NewID
		cfg.NewItemID = func() string {
			id, err := uuid.NewV7()
			if err != nil {
				return newID()
			}
			return id.String()
		}
	}
	return &Service{cfg: cfg, limits: cfg.Limits, fanout: cfg.Fanout, red: cfg.Redactor, now: cfg.Now, log: cfg.Logger,
		limiters: map[string]*limiter{}}, nil
}

// Fanout returns the fan-out the Service publishes to (the Handler subscribes sockets to it).
func (s *Service) Fanout() Fanout { return s.fanout }

// Limits returns the limits in force (defaults filled in).
func (s *Service) Limits() Limits { return s.limits }

// ---- tokens ----

// tokenBytes is the entropy of participant and connection tokens (256 bits).
const tokenBytes = 32

// newToken returns a random token (base64url, 43 characters) and its SHA-256.
func (s *Service) newToken() (secret.Value[string], []byte, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return secret.Value[string]{}, nil, fmt.Errorf("token: random: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	clear(b)
	return secret.New(tok), hashToken(tok), nil
}

// hashToken returns SHA-256 of a token's text: what the store keeps.
func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// ---- sealing ----

// ContentAAD is where the sealed content of a transcript item is bound: table chat_items,
// the item ID as row, column content, and the chat's instance. Content copied to another
// item or instance does not open.
func ContentAAD(instanceID, itemID string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "chat_items", RowID: itemID, Column: "content"}
}

// DisplayNameAAD is where a participant's sealed display name is bound: table
// chat_participants, the participant ID as row, column display_name, and the chat's
// instance.
func DisplayNameAAD(instanceID, participantID string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "chat_participants", RowID: participantID, Column: "display_name"}
}

func (s *Service) sealName(ctx context.Context, instanceID, participantID, name string) ([]byte, error) {
	ct, err := s.cfg.Secrets.SealString(ctx, secret.New(name), DisplayNameAAD(instanceID, participantID))
	if err != nil {
		return nil, fmt.Errorf("seal display name: %w", err)
	}
	return ct, nil
}

func (s *Service) openName(ctx context.Context, p Participant) (string, error) {
	v, err := s.cfg.Secrets.OpenString(ctx, p.DisplayNameCiphertext, DisplayNameAAD(p.InstanceID, p.ParticipantID))
	if err != nil {
		return "", fmt.Errorf("open display name of participant %s: %w", p.ParticipantID, err)
	}
	return v.Reveal(), nil
}

func (s *Service) openContent(ctx context.Context, it StoredItem) (string, error) {
	if it.ContentCiphertext == nil {
		return "", nil
	}
	v, err := s.cfg.Secrets.OpenString(ctx, it.ContentCiphertext, ContentAAD(it.InstanceID, it.ID))
	if err != nil {
		return "", fmt.Errorf("open content of item %s: %w", it.ID, err)
	}
	return v.Reveal(), nil
}

// ---- validation ----

// validDisplayName checks a display name: 1..256 characters, valid UTF-8, no control,
// bidirectional-override or invisible format characters (they could forge line breaks or
// disguise a name).
func validDisplayName(name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 256 || !utf8.ValidString(name) {
		return apierr.InvalidParameter("DisplayName must be 1 to 256 characters of UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return apierr.InvalidParameter("DisplayName must not contain control or invisible format characters")
		}
	}
	if strings.TrimSpace(name) == "" {
		return apierr.InvalidParameter("DisplayName must not be blank")
	}
	return nil
}

// messageContentTypes are the content types a participant may send, with Connect's maximum
// length in characters (0: Limits.MaxMessageChars).
var messageContentTypes = map[string]int{
	ContentTypePlain:               0,
	ContentTypeMarkdown:            0,
	ContentTypeJSON:                12000,
	ContentTypeInteractiveResponse: 12288,
}

// ---- per-contact order ----

// contactLocks serialises the store-then-publish step of each contact, so the fan-out sees a
// contact's items in Seq order. Entries live only while someone holds or waits for them.
type contactLocks struct {
	mu sync.Mutex
	m  map[string]*contactLock
}

type contactLock struct {
	mu   sync.Mutex
	refs int
}

func (c *contactLocks) lock(key string) func() {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*contactLock{}
	}
	l := c.m[key]
	if l == nil {
		l = &contactLock{}
		c.m[key] = l
	}
	l.refs++
	c.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		c.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
}

func contactKey(instanceID, contactID string) string { return instanceID + "/" + contactID }

// allow spends one token of the participant's bucket.
func (s *Service) allow(instanceID, participantID string) bool {
	return s.allowKey(instanceID + "/" + participantID)
}

// allowKey spends one token of the bucket named key (MessagesPerSecond, MessageBurst).
func (s *Service) allowKey(key string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) > time.Minute {
		for k, l := range s.limiters {
			if now.Sub(l.used) > time.Minute {
				delete(s.limiters, k)
			}
		}
		s.swept = now
	}
	l := s.limiters[key]
	if l == nil {
		l = &limiter{l: rate.NewLimiter(rate.Limit(s.limits.MessagesPerSecond), s.limits.MessageBurst)}
		s.limiters[key] = l
	}
	l.used = now
	return l.l.AllowN(now, 1)
}

// ---- items ----

// newItem builds a stored item for a participant, redacting and sealing content ("" for
// none).
func (s *Service) newItem(ctx context.Context, p Participant, typ ItemType, contentType, content, clientToken string, at time.Time) (StoredItem, string, error) {
	it := StoredItem{
		InstanceID: p.InstanceID, ContactID: p.ContactID, ID: s.cfg.NewItemID(), Type: typ, ContentType: contentType,
		ParticipantID: p.ParticipantID, ParticipantRole: p.Role, AbsoluteTime: at.UTC().Truncate(time.Millisecond),
		ClientToken: clientToken,
	}
	if content == "" {
		return it, "", nil
	}
	red, _ := s.red.Redact(content)
	ct, err := s.cfg.Secrets.SealString(ctx, secret.New(red), ContentAAD(p.InstanceID, it.ID))
	if err != nil {
		return it, "", fmt.Errorf("seal content: %w", err)
	}
	it.ContentCiphertext = ct
	return it, red, nil
}

// view turns a stored item into what participants see.
func view(it StoredItem, content, displayName, initialContactID string) Item {
	return Item{
		AbsoluteTime: FormatTime(it.AbsoluteTime), Content: content, ContentType: it.ContentType, ID: it.ID,
		Type: it.Type, ParticipantID: it.ParticipantID, DisplayName: displayName, ParticipantRole: it.ParticipantRole,
		ContactID: it.ContactID, InitialContactID: initialContactID, Seq: it.Seq,
	}
}

// publish hands items to the fan-out; close asks it to close sockets after the last one.
func (s *Service) publish(instanceID, contactID string, items []Item, close CloseScope, participantID string) {
	for i, it := range items {
		d := Delivery{InstanceID: instanceID, ContactID: contactID, Seq: it.Seq, Frame: chatFrame(it)}
		if i == len(items)-1 {
			d.Close, d.ParticipantID = close, participantID
		}
		s.fanout.Publish(d)
	}
	if len(items) == 0 && close != CloseNone {
		s.fanout.Publish(Delivery{InstanceID: instanceID, ContactID: contactID, Close: close, ParticipantID: participantID})
	}
}

func internalEvent(op, instanceID, contactID string) *audit.Event {
	return &audit.Event{Code: "chat." + op, Actor: "system", InstanceID: instanceID, Operation: op, Resource: contactID}
}

// ---- StartChat ----

// StartRequest describes a new chat contact.
type StartRequest struct {
	InstanceID string
	ContactID  string
	// InitialContactID is the first contact of the chain; "" means ContactID.
	InitialContactID string
	// CustomerDisplayName is ParticipantDetails.DisplayName: 1..256 characters without
	// control or invisible format characters.
	CustomerDisplayName string
	// Duration is ChatDurationInMinutes as a duration: 0 for the default, otherwise 60
	// minutes to 7 days.
	Duration time.Duration
	// SupportedContentTypes is SupportedMessagingContentTypes: nil for text/plain only;
	// otherwise it must include text/plain and may add text/markdown, application/json, the
	// interactive type (the customer's client renders interactive messages; participants
	// cannot send it) and the interactive response type. A chat whose customer supports the
	// interactive response type gets flow menus as QuickReply interactive messages
	// (PostSystemMenu).
	SupportedContentTypes []string
}

// Started is what a new participant gets: its ID and its token, shown once.
type Started struct {
	ParticipantID string
	// ParticipantToken is the bearer of CreateParticipantConnection (43 characters).
	ParticipantToken secret.Value[string]
	// TokenExpiry is when the token stops working: the chat's end of duration.
	TokenExpiry time.Time
}

// Pending is a chat prepared by PrepareChat: validated, with its rows built and sealed,
// waiting to be inserted in a transaction.
type Pending struct {
	chat    Chat
	part    Participant
	joined  StoredItem
	name    string
	started Started
	s       *Service
}

// Result returns the customer participant's ID and token (valid once the transaction that
// ran Insert commits).
func (p *Pending) Result() Started { return p.started }

// PrepareChat validates req and builds the chat, the customer participant and its
// participant.joined event, without touching the store, so that a caller can insert them in
// its own transaction together with the contact (Insert) and publish afterwards (Started).
// Errors are InvalidParameterException for bad input.
func (s *Service) PrepareChat(ctx context.Context, req StartRequest) (*Pending, error) {
	if req.InstanceID == "" || req.ContactID == "" {
		return nil, apierr.InvalidParameter("instance ID and contact ID are required")
	}
	if err := validDisplayName(req.CustomerDisplayName); err != nil {
		return nil, err
	}
	d := req.Duration
	if d == 0 {
		d = s.limits.DefaultChatDuration
	}
	if d < MinChatDuration || d > MaxChatDuration {
		return nil, apierr.InvalidParameter("ChatDurationInMinutes must be between 60 and 10080")
	}
	types := []string{ContentTypePlain}
	if req.SupportedContentTypes != nil {
		types = types[:0]
		seen := map[string]bool{}
		for _, t := range req.SupportedContentTypes {
			if _, ok := messageContentTypes[t]; !ok && t != ContentTypeInteractive {
				return nil, apierr.InvalidParameter(fmt.Sprintf("SupportedMessagingContentTypes: unsupported content type %q", truncate(t, 100)))
			}
			if !seen[t] {
				seen[t] = true
				types = append(types, t)
			}
		}
		if !seen[ContentTypePlain] {
			return nil, apierr.InvalidParameter("SupportedMessagingContentTypes must include text/plain")
		}
	}
	initial := req.InitialContactID
	if initial == "" {
		initial = req.ContactID
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	c := Chat{InstanceID: req.InstanceID, ContactID: req.ContactID, InitialContactID: initial, SupportedContentTypes: types,
		CreatedTime: now, ExpiresTime: now.Add(d)}
	p, started, err := s.newParticipant(ctx, c, RoleCustomer, req.CustomerDisplayName, now)
	if err != nil {
		return nil, err
	}
	joined, _, err := s.newItem(ctx, p, TypeEvent, EventParticipantJoined, "", "", now)
	if err != nil {
		return nil, err
	}
	return &Pending{chat: c, part: p, joined: joined, name: req.CustomerDisplayName, started: started, s: s}, nil
}

func (s *Service) newParticipant(ctx context.Context, c Chat, role Role, name string, now time.Time) (Participant, Started, error) {
	p := Participant{InstanceID: c.InstanceID, ContactID: c.ContactID, ParticipantID: s.cfg.NewID(), Role: role,
		JoinedTime: now, TokenExpiry: c.ExpiresTime}
	ct, err := s.sealName(ctx, c.InstanceID, p.ParticipantID, name)
	if err != nil {
		return p, Started{}, err
	}
	p.DisplayNameCiphertext = ct
	st := Started{ParticipantID: p.ParticipantID}
	if role != RoleSystem {
		tok, hash, err := s.newToken()
		if err != nil {
			return p, Started{}, err
		}
		p.TokenHash, st.ParticipantToken, st.TokenExpiry = hash, tok, c.ExpiresTime
	}
	return p, st, nil
}

// Insert stores the prepared chat inside tx: it checks the instance's active-chat quota
// (LimitExceededException), then creates the chat, the customer participant and its
// participant.joined event. Call it once.
func (p *Pending) Insert(ctx context.Context, tx Tx) error {
	n, err := tx.CountActiveChats(ctx, p.chat.InstanceID, p.chat.CreatedTime)
	if err != nil {
		return err
	}
	if n >= p.s.limits.MaxActiveChats {
		return apierr.New(apierr.CodeLimitExceeded, "the instance has %d active chats, its limit; try again when one has ended", p.s.limits.MaxActiveChats)
	}
	if err := tx.CreateChat(ctx, p.chat); err != nil {
		return err
	}
	if err := tx.CreateChatParticipant(ctx, p.part); err != nil {
		return err
	}
	seq, err := tx.AppendChatItem(ctx, p.joined)
	if err != nil {
		return err
	}
	p.joined.Seq = seq
	return nil
}

// Started publishes the participant.joined event once the transaction that ran Insert has
// committed.
func (p *Pending) Started() {
	it := view(p.joined, "", p.name, p.chat.InitialContactID)
	p.s.publish(p.chat.InstanceID, p.chat.ContactID, []Item{it}, CloseNone, "")
}

// StartChat starts a chat contact on its own transaction (PrepareChat, Insert, Started) and
// returns the customer participant. Errors: InvalidParameterException,
// LimitExceededException, DuplicateResourceException when the contact already has a
// chat.
func (s *Service) StartChat(ctx context.Context, req StartRequest) (Started, error) {
	p, err := s.PrepareChat(ctx, req)
	if err != nil {
		return Started{}, err
	}
	ev := internalEvent("StartChat", req.InstanceID, req.ContactID)
	if err := s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error { return p.Insert(ctx, tx) }); err != nil {
		return Started{}, err
	}
	p.Started()
	return p.Result(), nil
}

// ---- contact runtime operations ----

// AddParticipant adds a participant (an agent, RoleAgent) to an active chat, records its
// participant.joined event and returns its token for the agent's desktop. Errors:
// InvalidParameterException, ResourceNotFoundException, AccessDeniedException when the chat
// has ended.
func (s *Service) AddParticipant(ctx context.Context, instanceID, contactID string, role Role, displayName string) (Started, error) {
	if role != RoleAgent && role != RoleCustomer {
		return Started{}, apierr.InvalidParameter("a participant added to a chat is an AGENT or a CUSTOMER")
	}
	if err := validDisplayName(displayName); err != nil {
		return Started{}, err
	}
	unlock := s.order.lock(contactKey(instanceID, contactID))
	defer unlock()
	now := s.now()
	var (
		c       Chat
		started Started
		joined  StoredItem
	)
	ev := internalEvent("AddParticipant", instanceID, contactID)
	err := s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		var err error
		if c, err = tx.GetChat(ctx, instanceID, contactID); err != nil {
			return err
		}
		if !c.Active(now) {
			return apierr.AccessDenied("the chat has ended")
		}
		var p Participant
		if p, started, err = s.newParticipant(ctx, c, role, displayName, now.UTC().Truncate(time.Millisecond)); err != nil {
			return err
		}
		if err := tx.CreateChatParticipant(ctx, p); err != nil {
			return err
		}
		if joined, _, err = s.newItem(ctx, p, TypeEvent, EventParticipantJoined, "", "", now); err != nil {
			return err
		}
		ev.Details = map[string]string{"participant_id": started.ParticipantID, "role": string(role)}
		joined.Seq, err = tx.AppendChatItem(ctx, joined)
		return err
	})
	if err != nil {
		return Started{}, err
	}
	s.publish(instanceID, contactID, []Item{view(joined, "", displayName, c.InitialContactID)}, CloseNone, "")
	return started, nil
}

// SystemMessage is what a flow posts: a message (ContentType text/plain, text/markdown,
// application/json or the interactive type) or an event (an event content type, Content
// optional).
type SystemMessage struct {
	ContentType string
	Content     string
}

// PostSystem stores and delivers a message or event from the SYSTEM participant (display name
// SYSTEM_MESSAGE), created on first use. Content is redacted like any other. It returns the
// item as delivered. Errors: InvalidParameterException, ResourceNotFoundException,
// AccessDeniedException when the chat has ended.
func (s *Service) PostSystem(ctx context.Context, instanceID, contactID string, m SystemMessage) (Item, error) {
	if _, err := checkSystem(m); err != nil {
		return Item{}, err
	}
	return s.postSystem(ctx, instanceID, contactID, func(Chat) SystemMessage { return m })
}

// checkSystem validates a SYSTEM message and returns its item type.
func checkSystem(m SystemMessage) (ItemType, error) {
	typ := TypeMessage
	switch {
	case strings.HasPrefix(m.ContentType, EventPrefix):
		typ = TypeEvent
	case m.ContentType == ContentTypeInteractive:
	default:
		if _, ok := messageContentTypes[m.ContentType]; !ok {
			return typ, apierr.InvalidParameter(fmt.Sprintf("unsupported content type %q", truncate(m.ContentType, 100)))
		}
	}
	if typ == TypeMessage && m.Content == "" {
		return typ, apierr.InvalidParameter("a message needs Content")
	}
	if utf8.RuneCountInString(m.Content) > 16384 || !utf8.ValidString(m.Content) {
		return typ, apierr.InvalidParameter("Content must be at most 16384 characters of UTF-8")
	}
	return typ, nil
}

// MaxMenuOptions is the most options PostSystemMenu sends as quick replies; a menu with more
// goes out as its text prompt only.
const MaxMenuOptions = 10

// QuickReply is the content of an interactive message in Amazon Connect's QuickReply
// template ("Add interactive messages to chat", Connect administrator guide): a prompt and
// the replies a customer can pick, which clients show as buttons.
type QuickReply struct {
	TemplateType string `json:"templateType"` // "QuickReply"
	Version      string `json:"version"`      // "1.0"
	Data         struct {
		Content struct {
			Title    string              `json:"title"`
			Elements []QuickReplyElement `json:"elements"`
		} `json:"content"`
	} `json:"data"`
}

// QuickReplyElement is one reply of a QuickReply.
type QuickReplyElement struct {
	Title string `json:"title"`
}

// PostSystemMenu posts a flow's menu prompt (GetParticipantInput with Equals conditions):
// when the chat's customer declared the interactive response type in
// SupportedMessagingContentTypes and there are 1 to MaxMenuOptions options, as an
// interactive QuickReply message (ContentType application/vnd.amazonaws.connect.message.
// interactive) whose elements are the options; otherwise as the text/plain prompt. A client
// answers by sending the option's text as a text/plain message, which the flow matches like
// typed input. Errors as PostSystem.
func (s *Service) PostSystemMenu(ctx context.Context, instanceID, contactID, prompt string, options []string) (Item, error) {
	plain := SystemMessage{ContentType: ContentTypePlain, Content: prompt}
	if _, err := checkSystem(plain); err != nil {
		return Item{}, err
	}
	var menu *SystemMessage
	if n := len(options); n >= 1 && n <= MaxMenuOptions {
		qr := QuickReply{TemplateType: "QuickReply", Version: "1.0"}
		qr.Data.Content.Title = prompt
		for _, o := range options {
			qr.Data.Content.Elements = append(qr.Data.Content.Elements, QuickReplyElement{Title: o})
		}
		b, err := json.Marshal(qr)
		if err != nil {
			return Item{}, fmt.Errorf("encode quick reply: %w", err)
		}
		m := SystemMessage{ContentType: ContentTypeInteractive, Content: string(b)}
		if _, err := checkSystem(m); err == nil {
			menu = &m
		}
	}
	return s.postSystem(ctx, instanceID, contactID, func(c Chat) SystemMessage {
		if menu != nil && c.Supports(ContentTypeInteractiveResponse) {
			return *menu
		}
		return plain
	})
}

// Supports reports whether the customer declared contentType in the chat's
// SupportedMessagingContentTypes.
func (c Chat) Supports(contentType string) bool {
	for _, t := range c.SupportedContentTypes {
		if t == contentType {
			return true
		}
	}
	return false
}

// postSystem stores and delivers the SYSTEM message pick chooses for the chat (checked by the
// caller).
func (s *Service) postSystem(ctx context.Context, instanceID, contactID string, pick func(Chat) SystemMessage) (Item, error) {
	unlock := s.order.lock(contactKey(instanceID, contactID))
	defer unlock()
	now := s.now()
	var (
		c   Chat
		it  StoredItem
		red string
	)
	ev := internalEvent("PostSystem", instanceID, contactID)
	err := s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		var err error
		if c, err = tx.GetChat(ctx, instanceID, contactID); err != nil {
			return err
		}
		if !c.Active(now) {
			return apierr.AccessDenied("the chat has ended")
		}
		sys, err := s.systemParticipant(ctx, tx, c, now)
		if err != nil {
			return err
		}
		m := pick(c)
		typ, err := checkSystem(m)
		if err != nil {
			return err
		}
		if it, red, err = s.newItem(ctx, sys, typ, m.ContentType, m.Content, "", now); err != nil {
			return err
		}
		if it.Seq, err = tx.AppendChatItem(ctx, it); err != nil {
			return err
		}
		return tx.IndexTranscriptWords(ctx, instanceID, contactID, RoleSystem, indexWords(typ, m.ContentType, red))
	})
	if err != nil {
		return Item{}, err
	}
	out := view(it, red, SystemDisplayName, c.InitialContactID)
	s.publish(instanceID, contactID, []Item{out}, CloseNone, "")
	return out, nil
}

// systemParticipant returns the contact's SYSTEM participant, creating it on first use.
func (s *Service) systemParticipant(ctx context.Context, tx Tx, c Chat, now time.Time) (Participant, error) {
	ps, err := tx.ListChatParticipants(ctx, c.InstanceID, c.ContactID)
	if err != nil {
		return Participant{}, err
	}
	for _, p := range ps {
		if p.Role == RoleSystem {
			return p, nil
		}
	}
	p, _, err := s.newParticipant(ctx, c, RoleSystem, SystemDisplayName, now.UTC().Truncate(time.Millisecond))
	if err != nil {
		return Participant{}, err
	}
	return p, tx.CreateChatParticipant(ctx, p)
}

// EndChat ends a chat: every participant still in it leaves (participant.left), chat.ended
// is recorded, the participants' tokens stop working and their WebSockets close after the
// last event. Ending an ended chat does nothing. It does not call Events. Errors:
// ResourceNotFoundException.
func (s *Service) EndChat(ctx context.Context, instanceID, contactID string) error {
	unlock := s.order.lock(contactKey(instanceID, contactID))
	defer unlock()
	ev := internalEvent("EndChat", instanceID, contactID)
	var items []Item
	err := s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		var err error
		items, err = s.endChat(ctx, tx, instanceID, contactID, s.now())
		return err
	})
	if err != nil {
		return err
	}
	s.publish(instanceID, contactID, items, CloseContact, "")
	return nil
}

// endChat does EndChat's work inside tx and returns the items to publish (none when the chat
// had ended already).
func (s *Service) endChat(ctx context.Context, tx Tx, instanceID, contactID string, now time.Time) ([]Item, error) {
	c, err := tx.GetChat(ctx, instanceID, contactID)
	if err != nil {
		return nil, err
	}
	if !c.EndedTime.IsZero() {
		return nil, nil
	}
	ps, err := tx.ListChatParticipants(ctx, instanceID, contactID)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, p := range ps {
		if p.Role == RoleSystem || !p.LeftTime.IsZero() {
			continue
		}
		it, err := s.leave(ctx, tx, c, p, now)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	sys, err := s.systemParticipant(ctx, tx, c, now)
	if err != nil {
		return nil, err
	}
	ended, _, err := s.newItem(ctx, sys, TypeEvent, EventChatEnded, "", "", now)
	if err != nil {
		return nil, err
	}
	if ended.Seq, err = tx.AppendChatItem(ctx, ended); err != nil {
		return nil, err
	}
	items = append(items, view(ended, "", SystemDisplayName, c.InitialContactID))
	return items, tx.EndChat(ctx, instanceID, contactID, now)
}

// leave records that p left: participant.left, tokens revoked.
func (s *Service) leave(ctx context.Context, tx Tx, c Chat, p Participant, now time.Time) (Item, error) {
	name, err := s.openName(ctx, p)
	if err != nil {
		return Item{}, err
	}
	it, _, err := s.newItem(ctx, p, TypeEvent, EventParticipantLeft, "", "", now)
	if err != nil {
		return Item{}, err
	}
	if it.Seq, err = tx.AppendChatItem(ctx, it); err != nil {
		return Item{}, err
	}
	if err := tx.SetChatParticipantLeft(ctx, c.InstanceID, p.ParticipantID, now); err != nil {
		return Item{}, err
	}
	return view(it, "", name, c.InitialContactID), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// PostInitialMessage stores and delivers StartChatContact's InitialMessage as the customer's
// first message (participantID is the customer returned by PrepareChat's Result), then calls
// Events.CustomerMessage like SendMessage does. Content types and lengths are checked as for
// SendMessage. Errors: InvalidParameterException, ResourceNotFoundException,
// AccessDeniedException when the chat has ended.
func (s *Service) PostInitialMessage(ctx context.Context, instanceID, contactID, participantID, contentType, content string) (Item, error) {
	if contentType == "" {
		contentType = "text/plain"
	}
	max, ok := messageContentTypes[contentType]
	if max == 0 {
		max = s.limits.MaxMessageChars
	}
	if !ok || content == "" || utf8.RuneCountInString(content) > max || !utf8.ValidString(content) {
		return Item{}, apierr.InvalidParameter(fmt.Sprintf("InitialMessage needs a supported ContentType and 1-%d characters of Content", max))
	}
	unlock := s.order.lock(contactKey(instanceID, contactID))
	now := s.now()
	var (
		c    Chat
		it   StoredItem
		red  string
		name string
	)
	ev := internalEvent("PostInitialMessage", instanceID, contactID)
	err := s.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx Tx) error {
		var err error
		if c, err = tx.GetChat(ctx, instanceID, contactID); err != nil {
			return err
		}
		if !c.Active(now) {
			return apierr.AccessDenied("the chat has ended")
		}
		p, err := tx.GetChatParticipant(ctx, instanceID, participantID)
		if err != nil {
			return err
		}
		if p.ContactID != contactID || p.Role != RoleCustomer {
			return apierr.NotFound("customer participant", participantID)
		}
		if name, err = s.openName(ctx, p); err != nil {
			return err
		}
		if it, red, err = s.newItem(ctx, p, TypeMessage, contentType, content, "", now); err != nil {
			return err
		}
		if it.Seq, err = tx.AppendChatItem(ctx, it); err != nil {
			return err
		}
		return tx.IndexTranscriptWords(ctx, instanceID, contactID, RoleCustomer, indexWords(TypeMessage, contentType, red))
	})
	if err != nil {
		unlock()
		return Item{}, err
	}
	out := view(it, red, name, c.InitialContactID)
	s.publish(instanceID, contactID, []Item{out}, CloseNone, "")
	unlock()
	if s.cfg.Events != nil {
		s.cfg.Events.CustomerMessage(ctx, instanceID, contactID, out)
	}
	return out, nil
}
