// Package chat is Ringfence's chat channel: the participants of a chat contact, their tokens,
// the transcript, and Amazon Connect's Participant Service at /participant/... with the
// WebSocket it hands out, so unmodified Connect chat clients (amazon-connect-chatjs, the hosted
// widget, the AWS SDK ConnectParticipant clients) work against it.
//
// The pieces:
//   - Service starts and ends chats, adds agents, posts flow (SYSTEM) messages and carries out
//     what participants ask for. The contact runtime calls it and implements Events.
//   - Handler serves the participant API (CreateParticipantConnection, SendMessage, SendEvent,
//     GetTranscript, DisconnectParticipant) and the WebSocket (aws/subscribe, aws/chat,
//     aws/heartbeat, aws/ping).
//   - Fanout delivers each stored item to every WebSocket of the contact's participants, in
//     transcript order. Hub is the in-process one.
//   - Tx is the storage contract (implemented in store/sqlstore); Transactor runs it with the
//     audit gate.
//
// Security properties:
//   - Participant and connection tokens are 256-bit random values shown once; only their
//     SHA-256 is stored. A participant token expires with the chat; a connection token is
//     refused once its participant left or the chat ended. SendMessage reuses, for up to
//     2 minutes, what a connection token was found to speak for, but the statement that
//     stores the message checks the token and the chat again (Tx.AppendSentChatItem), so a
//     revoked token stores nothing from the next message on.
//   - Message content is redacted (package redact: card numbers, CVV, SSN, IBAN, routing
//     numbers) before it is stored, delivered or handed to the flow, so no participant, the
//     sender included, sees or receives a redacted value back, and it is sealed at rest with
//     the keyring (AAD instance / "chat_items" / item ID / "content"). Display names are
//     sealed too (AAD instance / "chat_participants" / participant ID / "display_name").
//   - The words of each stored message's redacted text go, in the same transaction, to the
//     transcript search index as keyed hashes per contact and role (Tx IndexTranscriptWords;
//     contact.TranscriptWords says what a word is); secure input is never indexed.
//     Administrators read transcripts with ReadTranscript through the Connect-compatible API,
//     never with a participant token.
//   - Every participant request leaves one audit event; a stored item and its event commit
//     in the same transaction.
//
// Wire formats follow the Amazon Connect Participant Service API reference (API version
// 2018-09-07) and what amazon-connect-chatjs 5.0.0 sends and expects.
package chat

import (
	"time"
)

// Role is a participant's role (Connect's ParticipantRole).
type Role string

// Roles.
const (
	RoleCustomer Role = "CUSTOMER"
	RoleAgent    Role = "AGENT"
	RoleSystem   Role = "SYSTEM"
)

// ItemType is the Type of a transcript item (Connect's ChatItemType).
type ItemType string

// Item types Ringfence produces.
const (
	TypeMessage         ItemType = "MESSAGE"
	TypeEvent           ItemType = "EVENT"
	TypeAttachment      ItemType = "ATTACHMENT"
	TypeConnectionAck   ItemType = "CONNECTION_ACK"
	TypeMessageMetadata ItemType = "MESSAGEMETADATA"
)

// Message content types (SendMessage, Connect's ChatContentType).
const (
	ContentTypePlain               = "text/plain"
	ContentTypeMarkdown            = "text/markdown"
	ContentTypeJSON                = "application/json"
	ContentTypeInteractive         = "application/vnd.amazonaws.connect.message.interactive"
	ContentTypeInteractiveResponse = "application/vnd.amazonaws.connect.message.interactive.response"
)

// EventPrefix starts every event content type.
const EventPrefix = "application/vnd.amazonaws.connect.event."

// Event content types Ringfence sends or accepts.
const (
	EventTyping            = EventPrefix + "typing"
	EventConnectionAck     = EventPrefix + "connection.acknowledged"
	EventParticipantJoined = EventPrefix + "participant.joined"
	EventParticipantLeft   = EventPrefix + "participant.left"
	EventChatEnded         = EventPrefix + "chat.ended"
	EventTransferSucceeded = EventPrefix + "transfer.succeeded"
	EventTransferFailed    = EventPrefix + "transfer.failed"
	EventMessageDelivered  = EventPrefix + "message.delivered"
	EventMessageRead       = EventPrefix + "message.read"
)

// SystemDisplayName is the display name of the SYSTEM participant that posts flow messages.
const SystemDisplayName = "SYSTEM_MESSAGE"

// TimeFormat is how Connect writes AbsoluteTime, ConnectionExpiry and Expiry: ISO 8601 in UTC
// with milliseconds, e.g. "2019-11-08T02:41:28.172Z".
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Chat is the chat state of one chat contact.
type Chat struct {
	InstanceID string
	ContactID  string
	// InitialContactID is the first contact of the chain (equal to ContactID unless the chat
	// continues an earlier one); every pushed item carries it.
	InitialContactID string
	// SupportedContentTypes are the message content types participants may send (always
	// including text/plain).
	SupportedContentTypes []string
	CreatedTime           time.Time
	// ExpiresTime is when the chat ends on its own (ChatDurationInMinutes after the start).
	ExpiresTime time.Time
	// EndedTime is zero while the chat is active.
	EndedTime time.Time
	// LastSeq is the Seq of the newest item (0 before the first).
	LastSeq int64
}

// Active reports whether the chat is neither ended nor past its duration at now.
func (c Chat) Active(now time.Time) bool {
	return c.EndedTime.IsZero() && now.Before(c.ExpiresTime)
}

// Participant is one participant of a chat contact.
type Participant struct {
	InstanceID    string
	ContactID     string
	ParticipantID string
	Role          Role
	// DisplayNameCiphertext is the sealed display name (see the package doc for its AAD).
	DisplayNameCiphertext []byte
	// TokenHash is SHA-256 of the participant token; nil for the SYSTEM participant, which
	// has no token.
	TokenHash   []byte
	JoinedTime  time.Time
	TokenExpiry time.Time
	// LeftTime is zero while the participant is in the chat.
	LeftTime time.Time
}

// ConnectionKind says what a connection token opens.
type ConnectionKind string

// Connection kinds.
const (
	// ConnectionCredentials is a ConnectionToken: the bearer of SendMessage, SendEvent,
	// GetTranscript and DisconnectParticipant.
	ConnectionCredentials ConnectionKind = "CONNECTION_CREDENTIALS"
	// ConnectionWebSocket is the token in a Websocket.Url: it opens the WebSocket.
	ConnectionWebSocket ConnectionKind = "WEBSOCKET"
)

// Connection is a connection token of a participant, stored by hash.
type Connection struct {
	// TokenHash is SHA-256 of the token.
	TokenHash     []byte
	Kind          ConnectionKind
	InstanceID    string
	ContactID     string
	ParticipantID string
	CreatedTime   time.Time
	ExpiresTime   time.Time
}

// StoredItem is a transcript item as stored: content sealed, display name not repeated (it is
// the participant's).
type StoredItem struct {
	InstanceID string
	ContactID  string
	// Seq orders the items of a contact: 1, 2, 3, ... without gaps, assigned by the store.
	Seq  int64
	ID   string
	Type ItemType
	// ContentType is a message content type or an event content type.
	ContentType     string
	ParticipantID   string
	ParticipantRole Role
	// ContentCiphertext is the sealed, redacted content; nil when the item has none.
	ContentCiphertext []byte
	// AbsoluteTime has millisecond precision.
	AbsoluteTime time.Time
	// ClientToken is the sender's idempotency token ("" for none).
	ClientToken string
}

// Item is a transcript item as participants see it: the JSON of a Transcript entry and of
// the content of an aws/chat WebSocket frame (Connect's Item shape plus the routing IDs
// chatjs needs).
type Item struct {
	AbsoluteTime     string           `json:"AbsoluteTime"`
	Content          string           `json:"Content,omitempty"`
	ContentType      string           `json:"ContentType"`
	ID               string           `json:"Id"`
	Type             ItemType         `json:"Type"`
	ParticipantID    string           `json:"ParticipantId,omitempty"`
	DisplayName      string           `json:"DisplayName,omitempty"`
	ParticipantRole  Role             `json:"ParticipantRole,omitempty"`
	MessageMetadata  *MessageMetadata `json:"MessageMetadata,omitempty"`
	ContactID        string           `json:"ContactId,omitempty"`
	InitialContactID string           `json:"InitialContactId,omitempty"`
	// Seq is the item's position in the contact's transcript (not on the wire; 0 for items
	// that are not stored, such as typing and receipts).
	Seq int64 `json:"-"`
}

// MessageMetadata carries read and delivered receipts of a message.
type MessageMetadata struct {
	MessageID string    `json:"MessageId"`
	Receipts  []Receipt `json:"Receipts,omitempty"`
}

// Receipt says when a recipient received or read a message.
type Receipt struct {
	DeliveredTimestamp     string `json:"DeliveredTimestamp,omitempty"`
	ReadTimestamp          string `json:"ReadTimestamp,omitempty"`
	RecipientParticipantID string `json:"RecipientParticipantId"`
}
