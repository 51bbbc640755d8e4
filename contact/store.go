package contact

import (
	"context"
	"time"
)

// Store keeps contacts, their flow sessions, flow logs and contact records. Every method is
// scoped by instance ID. Implementations seal Attributes, CustomerEndpoint, flow sessions and
// contact-record bodies at rest (keyring, AAD instance/table/row/column).
type Store interface {
	// CreateContact stores a new contact (Version 1). DuplicateResourceException when the ID
	// exists. CreateContact and UpdateContact also note c.Agent.AgentID, when set, in the
	// index ListHandledContacts reads.
	CreateContact(ctx context.Context, c Contact) error
	// GetContact returns a contact, or ResourceNotFoundException.
	GetContact(ctx context.Context, instanceID, id string) (Contact, error)
	// UpdateContact replaces a contact when the stored Version equals c.Version and stores it
	// with Version+1; ResourceConflictException when another update came first,
	// ResourceNotFoundException when it does not exist.
	UpdateContact(ctx context.Context, c Contact) error
	// SearchContacts returns up to q.Limit contacts matching q, in q.Order of initiation time
	// (ties by ID), after the cursor q.After.
	SearchContacts(ctx context.Context, instanceID string, q Query) ([]Contact, error)
	// ListHandledContacts returns up to limit (1–100) contacts agentID was connected to at
	// any time, newest first by initiation time, then ID, after the cursor (afterTime and
	// afterID of the last contact of the previous page; afterID empty for the first page).
	// The contact row keeps only its current agent, which a transfer replaces; this index
	// keeps every agent a contact was stored with (its first connection), and goes with the
	// contact.
	ListHandledContacts(ctx context.Context, instanceID, agentID string, afterTime time.Time, afterID string, limit int) ([]HandledContact, error)
	// ListActiveContacts returns every contact of the instance that is not ENDED, oldest
	// first: what the router and the flow runner rebuild from at start.
	ListActiveContacts(ctx context.Context, instanceID string) ([]Contact, error)
	// IndexAttributes replaces the contact's entries in the attribute search index with
	// attrs: the caller passes only attributes that may be searched (never sensitive ones,
	// values as stored). The index holds keyed hashes of instance, key and value, never the
	// values; keys longer than 127 bytes and values longer than MaxIndexedValue bytes are not
	// indexed. A store without a keyed hasher indexes nothing.
	IndexAttributes(ctx context.Context, instanceID, contactID string, attrs map[string]string) error

	// PutFlowSession stores the contact's flow session (flow.Session JSON), replacing any.
	PutFlowSession(ctx context.Context, instanceID, contactID string, session []byte) error
	// GetFlowSession returns the stored session, or ResourceNotFoundException.
	GetFlowSession(ctx context.Context, instanceID, contactID string) ([]byte, error)
	// DeleteFlowSession removes the session; no error when there is none.
	DeleteFlowSession(ctx context.Context, instanceID, contactID string) error

	// AppendFlowLogs stores flow-log entries (flow.LogEntry JSON, already redacted) in order.
	AppendFlowLogs(ctx context.Context, instanceID, contactID string, at time.Time, entries [][]byte) error
	// ListFlowLogs returns up to limit entries of the contact after sequence number after.
	ListFlowLogs(ctx context.Context, instanceID, contactID string, after int64, limit int) ([]FlowLog, error)

	// AppendContactRecord stores a contact record (its JSON body) in the outbox the sinks read.
	AppendContactRecord(ctx context.Context, r RecordEntry) error
	// ListContactRecords returns up to limit records with Seq > after, across instances, in
	// Seq order (what a sink has not delivered yet).
	ListContactRecords(ctx context.Context, after int64, limit int) ([]RecordEntry, error)
	// SinkCursor returns the last Seq a sink delivered (0 when none); SetSinkCursor moves it.
	SinkCursor(ctx context.Context, sink string) (int64, error)
	SetSinkCursor(ctx context.Context, sink string, seq int64) error
	// DeleteContactsBefore is one batch of retention. It deletes up to limit (1 to
	// MaxPurgeBatch) ENDED contacts initiated before t, oldest first within an instance, with
	// everything stored for them: flow session and flow logs, contact records (delivered or
	// not), attribute and transcript index entries, handled-contact entries, the chat with its
	// participants, connection tokens and transcript, and the ClientTokens that name them;
	// the instance's count of open chats stays exact. When fewer than limit contacts were due,
	// it also deletes up to limit contact records initiated before t whose contact is no
	// longer stored (an instance deleted since). A contact that is not ENDED, or was initiated
	// at or after t, is left whole. Another contact's InitialContactId, PreviousContactId or
	// RelatedContactId naming a deleted contact stays: it is that contact's own data.
	// Callers run one batch per transaction and call again while Purged.More, so that a pass
	// over many contacts holds the writer briefly at a time. InvalidParameterException for a
	// limit out of range.
	DeleteContactsBefore(ctx context.Context, t time.Time, limit int) (Purged, error)
}

// MaxPurgeBatch is the largest limit DeleteContactsBefore takes.
const MaxPurgeBatch = 1000

// Purged is what one DeleteContactsBefore batch deleted.
type Purged struct {
	// Contacts is how many contacts went, each with everything stored for it.
	Contacts int
	// OrphanRecords is how many contact records went whose contact was no longer stored.
	OrphanRecords int
	// More is true when the batch was full: more may be due before the same time.
	More bool
}

// Query selects contacts for SearchContacts (Connect's SearchContacts: TimeRange,
// SearchCriteria Channels, QueueIds, AgentIds, InitiationMethods; Sort on
// INITIATION_TIMESTAMP).
type Query struct {
	// Start and End bound the initiation time (inclusive start, exclusive end); zero means
	// unbounded.
	Start, End        time.Time
	Channels          []Channel
	QueueIDs          []string
	AgentIDs          []string
	InitiationMethods []InitiationMethod
	// Attributes are SearchableContactAttributes criteria, matched through the index
	// IndexAttributes keeps: a contact matches a criterion when its attribute Key has,
	// exactly, one of Values. All criteria must match, or at least one with
	// AttributesMatchAny. A store without a keyed hasher refuses them (InvalidParameter).
	Attributes         []AttributeCriterion
	AttributesMatchAny bool
	// Transcript are ContactAnalysis.Transcript criteria, matched through the transcript
	// index the chat channel keeps (chat.Tx IndexTranscriptWords): all criteria must match,
	// or at least one with TranscriptMatchAny. A store without a keyed hasher refuses them
	// (InvalidParameter).
	Transcript         []TranscriptCriterion
	TranscriptMatchAny bool
	// Descending sorts newest first.
	Descending bool
	// After is the cursor: the initiation time and ID of the last contact of the previous page.
	AfterTime time.Time
	AfterID   string
	// Limit is the page size (1–100).
	Limit int
}

// AttributeCriterion is one SearchableContactAttributes criterion: attribute Key with one of
// Values (exact, case-sensitive, compared with the stored, redacted value).
type AttributeCriterion struct {
	Key    string
	Values []string
}

// MaxIndexedValue is the longest attribute value, in bytes, the search index holds.
const MaxIndexedValue = 1024

// HandledContact is a contact an agent was connected to (ListHandledContacts), as it is now:
// it may since have moved to another agent or queue.
type HandledContact struct {
	Contact Contact
	// ConnectedToAgent is when the agent was first connected to the contact; zero when
	// unknown.
	ConnectedToAgent time.Time
}

// FlowLog is one stored flow-log entry.
type FlowLog struct {
	Seq       int64
	ContactID string
	At        time.Time
	// Entry is the flow.LogEntry JSON.
	Entry []byte
}

// RecordEntry is one contact record in the outbox.
type RecordEntry struct {
	// Seq orders records across the deployment (assigned by the store).
	Seq        int64
	InstanceID string
	ContactID  string
	// LastUpdate is the record's LastUpdateTimestamp: with ContactId, what consumers dedupe on.
	LastUpdate time.Time
	// Initiated is the contact's InitiationTimestamp (for retention).
	Initiated time.Time
	// Body is the contact record JSON.
	Body []byte
}
