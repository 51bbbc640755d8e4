package chat

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/audit"
)

// Tx is the chat storage contract, offered inside a transaction (store.Tx embeds it).
// Every method except the two token lookups takes the instance ID and touches only that
// instance's rows. Not-found conditions are *apierr.Error with ResourceNotFoundException.
type Tx interface {
	// CreateChat stores the chat state of a new chat contact (LastSeq 0). A chat that
	// already exists is DuplicateResourceException.
	CreateChat(ctx context.Context, c Chat) error
	// GetChat returns the chat state of a contact.
	GetChat(ctx context.Context, instanceID, contactID string) (Chat, error)
	// CountActiveChats counts the instance's chats that have not ended and whose duration
	// runs past now.
	CountActiveChats(ctx context.Context, instanceID string, now time.Time) (int, error)
	// EndChat marks a chat ended at the given time; ending an ended chat changes nothing and
	// is not an error.
	EndChat(ctx context.Context, instanceID, contactID string, at time.Time) error
	// ListExpiredChats returns up to limit contact IDs of the instance's chats that have not
	// ended and whose duration ran out at or before now, the longest expired first (what the
	// duration sweeper ends).
	ListExpiredChats(ctx context.Context, instanceID string, now time.Time, limit int) ([]string, error)

	// CreateChatParticipant stores a participant (with the hash of its token).
	CreateChatParticipant(ctx context.Context, p Participant) error
	// GetChatParticipant returns one participant of the instance.
	GetChatParticipant(ctx context.Context, instanceID, participantID string) (Participant, error)
	// ListChatParticipants returns the participants of a contact in the order they joined.
	ListChatParticipants(ctx context.Context, instanceID, contactID string) ([]Participant, error)
	// ChatParticipantByToken finds a participant by the SHA-256 of its token. It is one of
	// the two lookups not scoped by instance: the token is what names the instance.
	ChatParticipantByToken(ctx context.Context, tokenHash []byte) (Participant, error)
	// SetChatParticipantLeft records when a participant left and deletes its connection
	// tokens. A participant that already left keeps its first LeftTime.
	SetChatParticipantLeft(ctx context.Context, instanceID, participantID string, at time.Time) error

	// CreateChatConnection stores a connection token by hash and deletes the participant's
	// connection tokens that expired before c.CreatedTime.
	CreateChatConnection(ctx context.Context, c Connection) error
	// ChatConnectionByToken finds a connection by the SHA-256 of its token (the other lookup
	// not scoped by instance).
	ChatConnectionByToken(ctx context.Context, tokenHash []byte) (Connection, error)

	// AppendChatItem gives it the contact's next Seq and stores it, returning the Seq. It
	// fails with AccessDeniedException when the chat has ended (the caller checks the chat's
	// duration, so that EndChat can still record chat.ended after it), and with
	// DuplicateResourceException when the participant already stored an item with the same
	// non-empty ClientToken.
	AppendChatItem(ctx context.Context, it StoredItem) (int64, error)
	// AppendSentChatItem is AppendChatItem for an item a participant sent with a connection
	// token (SendMessage), checked in the same statement that gives it its Seq: a
	// CONNECTION_CREDENTIALS connection whose token has SHA-256 tokenHash must exist for
	// it.ParticipantID in it.ContactID and not have expired at now, and the chat must have
	// neither ended nor run past its duration at now; when a check fails nothing is stored
	// and the error is AccessDeniedException. It is what makes a revoked token (the
	// participant left, the chat ended) fail at once whatever the caller checked before the
	// transaction. When it.ClientToken is set and the participant already stored an item
	// with it, nothing is stored and the error is DuplicateResourceException (read that item
	// with ChatItemByClientToken; the connection token has not been checked then); a
	// duplicate item ID is DuplicateResourceException too.
	AppendSentChatItem(ctx context.Context, it StoredItem, tokenHash []byte, now time.Time) (int64, error)
	// ChatItemByClientToken returns the item a participant stored with a ClientToken.
	ChatItemByClientToken(ctx context.Context, instanceID, participantID, clientToken string) (StoredItem, error)
	// GetChatItem returns one item of a contact by ID.
	GetChatItem(ctx context.Context, instanceID, contactID, itemID string) (StoredItem, error)
	// ChatItemSeqAt returns the Seq of the first item at or after t (FORWARD) or of the last
	// item at or before t (BACKWARD), or 0 when there is none.
	ChatItemSeqAt(ctx context.Context, instanceID, contactID string, t time.Time, forward bool) (int64, error)
	// ListChatItems returns up to q.Limit items of a contact in Seq order: ascending from
	// q.FromSeq for FORWARD, descending from q.FromSeq for BACKWARD (inclusive).
	ListChatItems(ctx context.Context, q ItemQuery) ([]StoredItem, error)
	// ChatTranscriptSummary counts the messages of a contact's transcript by role and returns
	// the times of its first and last item. ResourceNotFoundException when the contact has no
	// chat.
	ChatTranscriptSummary(ctx context.Context, instanceID, contactID string) (TranscriptSummary, error)

	// IndexTranscriptWords adds words (contact.TranscriptWords of a stored message's redacted
	// content) to the transcript search index of the contact under the sender's role. The
	// index keeps, per contact and role, a keyed hash of the instance and each word, never the
	// word itself; a word already indexed for the contact and role is kept once. A store
	// without a keyed hasher indexes nothing. The chat must exist (the index refers to it, so
	// a word for a contact without a chat is a store error).
	IndexTranscriptWords(ctx context.Context, instanceID, contactID string, role Role, words []string) error
}

// TranscriptSummary is what a contact record says about a chat transcript.
type TranscriptSummary struct {
	// Items counts every stored item (messages and events).
	Items int
	// AgentMessages, CustomerMessages and SystemMessages count the MESSAGE items of each
	// role.
	AgentMessages, CustomerMessages, SystemMessages int
	// First and Last are the AbsoluteTime of the first and last item (zero without items).
	First, Last time.Time
}

// ItemQuery selects a page of transcript items.
type ItemQuery struct {
	InstanceID string
	ContactID  string
	// FromSeq is the first Seq to consider (inclusive). For a BACKWARD scan from the newest
	// item use math.MaxInt64.
	FromSeq int64
	Forward bool
	Limit   int
}

// Transactor runs chat storage transactions with the audit gate; node adapts store.Store to
// it (store.Tx satisfies Tx). Its methods mean what store.Store's do: Update commits fn's
// changes and ev together (ev records failure with fn's error code when fn fails), View reads
// and then makes ev durable, Record appends ev alone. Each fails with
// ServiceUnavailableException when the event cannot be made durable.
type Transactor interface {
	Update(ctx context.Context, ev *audit.Event, fn func(ctx context.Context, tx Tx) error) error
	View(ctx context.Context, ev *audit.Event, fn func(ctx context.Context, tx Tx) error) error
	Record(ctx context.Context, ev *audit.Event) error
}
