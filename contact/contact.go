// Package contact is the contact domain: one customer interaction on one channel, its
// explicit state machine, its attributes and references, the flow session it runs, its flow
// logs, and the contact record written when it ends (Amazon Connect's contact-record data
// model, reference/CONTACT_RECORD.md).
//
// The package holds data and rules only; the lifecycle package drives contacts through their
// states, and store/sqlstore keeps them (attributes, customer endpoints and flow sessions are
// sealed by keyring at rest).
package contact

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
)

// Channel is a contact's channel (Connect's Channel enum).
type Channel string

// Channels.
const (
	ChannelVoice Channel = "VOICE"
	ChannelChat  Channel = "CHAT"
	ChannelTask  Channel = "TASK"
)

// InitiationMethod is how a contact began (Connect's ContactInitiationMethod enum; the
// contact-record InitiationMethod field).
type InitiationMethod string

// Initiation methods Ringfence produces.
const (
	InitiationInbound       InitiationMethod = "INBOUND"
	InitiationOutbound      InitiationMethod = "OUTBOUND"
	InitiationTransfer      InitiationMethod = "TRANSFER"
	InitiationQueueTransfer InitiationMethod = "QUEUE_TRANSFER"
	InitiationCallback      InitiationMethod = "CALLBACK"
	InitiationAPI           InitiationMethod = "API"
	InitiationFlow          InitiationMethod = "FLOW"
)

// Endpoint is a contact endpoint (Connect's Endpoint: Type TELEPHONE_NUMBER with an E.164
// Address, VOIP, CONTACT_FLOW, CONNECT_PHONENUMBER_ARN, EMAIL_ADDRESS).
type Endpoint struct {
	Type    string `json:"Type,omitempty"`
	Address string `json:"Address,omitempty"`
}

// Reference is a task reference (StartTaskContact References: Type URL, ATTACHMENT, NUMBER,
// STRING, DATE or EMAIL; Value at most 4,096 characters).
type Reference struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// QueueInfo is where a contact waited: the queue, when it entered and left it.
type QueueInfo struct {
	// QueueID is a standard queue's ID, or AgentQueueID(agent) for an agent's own queue.
	QueueID string
	// EnqueueTimestamp is zero until the contact is queued; DequeueTimestamp until it leaves.
	EnqueueTimestamp time.Time
	DequeueTimestamp time.Time
	// Priority is the routing priority (1 highest, default 5).
	Priority int
}

// agentQueuePrefix marks QueueInfo.QueueID of a contact waiting in an agent's own queue
// (TransferContactToAgent).
const agentQueuePrefix = "agent/"

// AgentQueueID is the QueueInfo.QueueID of agentID's own queue.
func AgentQueueID(agentID string) string { return agentQueuePrefix + agentID }

// IsAgentQueue reports whether q is an agent's own queue rather than a standard queue.
func (q QueueInfo) IsAgentQueue() bool { return strings.HasPrefix(q.QueueID, agentQueuePrefix) }

// AgentQueue returns the agent whose own queue q is, or ok=false for a standard queue.
func (q QueueInfo) AgentQueue() (agentID string, ok bool) {
	return strings.CutPrefix(q.QueueID, agentQueuePrefix)
}

// AgentInfo is the agent who handled a contact and when.
type AgentInfo struct {
	AgentID                        string
	ConnectedToAgentTimestamp      time.Time
	AfterContactWorkStartTimestamp time.Time
	AfterContactWorkEndTimestamp   time.Time
}

// Contact is one customer interaction (DESIGN.md "Core concepts"; Connect's Contact data type
// returned by DescribeContact). Times are UTC with millisecond precision.
type Contact struct {
	InstanceID string
	// ID is the contact ID (a UUID). InitialContactID is the first contact of a transfer chain
	// and PreviousContactID the one this contact was transferred from; both empty for a first
	// contact.
	ID                string
	InitialContactID  string
	PreviousContactID string
	// RelatedContactID links a task to the contact it was created from.
	RelatedContactID string
	Channel          Channel
	InitiationMethod InitiationMethod
	State            State
	// Name (≤ 512 characters) and Description (≤ 4,096 characters) of a task.
	Name        string
	Description string
	References  map[string]Reference
	// Attributes are the user-defined contact attributes ($.Attributes.*), at most
	// MaxAttributesBytes in all. Sealed at rest.
	Attributes map[string]string
	// CustomerEndpoint is sealed at rest; SystemEndpoint is not sensitive.
	CustomerEndpoint *Endpoint
	SystemEndpoint   *Endpoint
	// FlowID is the flow the contact started in.
	FlowID string
	Queue  QueueInfo
	Agent  AgentInfo
	// Tags are contact tags (TagContact), at most 6 per contact in Connect.
	Tags                map[string]string
	InitiationTimestamp time.Time
	// ScheduledTimestamp is when a scheduled task starts; zero when it starts at once.
	ScheduledTimestamp  time.Time
	DisconnectTimestamp time.Time
	// DisconnectReason is Connect's contact-record DisconnectReason (CUSTOMER_DISCONNECT,
	// AGENT_DISCONNECT, CONTACT_FLOW_DISCONNECT, API, EXPIRED, ...).
	DisconnectReason    string
	LastUpdateTimestamp time.Time
	// Version counts the contact's updates; UpdateContact stores only when it matches the
	// stored version (optimistic concurrency) and increments it.
	Version int64
}

// Limits on contact fields (Connect's StartTaskContact and UpdateContactAttributes quotas).
const (
	// MaxAttributesBytes is the total size of attribute keys and values: 32 KB.
	MaxAttributesBytes = 32 * 1024
	MaxNameLength      = 512
	MaxDescription     = 4096
	MaxReferences      = 25
	MaxReferenceValue  = 4096
	// MaxScheduleAhead is how far ahead a task may be scheduled: 6 days.
	MaxScheduleAhead = 6 * 24 * time.Hour
)

var attributeKey = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,127}$`)

// ValidateAttributes checks user-defined attributes: keys 1–127 characters of letters,
// digits, '_', '.', '-' (Connect: "alphanumeric, dash, and underscore characters"; '.' is
// accepted because real exports use it), values valid UTF-8, total at most 32 KB. It
// returns an InvalidParameterException naming the first bad key.
func ValidateAttributes(attrs map[string]string) error {
	total := 0
	for k, v := range attrs {
		if !attributeKey.MatchString(k) {
			return apierr.InvalidParameter(fmt.Sprintf("attribute key %q must be 1-127 letters, digits, '_', '.' or '-'", truncate(k, 40)))
		}
		if !utf8.ValidString(v) {
			return apierr.InvalidParameter(fmt.Sprintf("attribute %q is not valid UTF-8", k))
		}
		total += len(k) + len(v)
	}
	if total > MaxAttributesBytes {
		return apierr.InvalidParameter(fmt.Sprintf("attributes total %d bytes; the limit is %d", total, MaxAttributesBytes))
	}
	return nil
}

// MergeAttributes applies an UpdateContactAttributes request to attrs and returns the result:
// keys with a value are set, keys with an empty value are removed (Connect's clean-up of an
// attribute), others are kept. attrs is not modified.
func MergeAttributes(attrs, update map[string]string) map[string]string {
	out := make(map[string]string, len(attrs)+len(update))
	for k, v := range attrs {
		out[k] = v
	}
	for k, v := range update {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

var referenceTypes = map[string]bool{"URL": true, "ATTACHMENT": true, "NUMBER": true, "STRING": true, "DATE": true, "EMAIL": true}

// ValidateTask checks the fields StartTaskContact takes: Name 1–512 characters, Description
// ≤ 4,096, at most 25 References with a known Type and a Value ≤ 4,096 characters (URL values
// must be https: or http: URLs).
func ValidateTask(name, description string, refs map[string]Reference) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
		return apierr.InvalidParameter("Name must be 1-512 characters")
	}
	if utf8.RuneCountInString(description) > MaxDescription {
		return apierr.InvalidParameter("Description must be at most 4096 characters")
	}
	if len(refs) > MaxReferences {
		return apierr.InvalidParameter(fmt.Sprintf("at most %d References", MaxReferences))
	}
	for k, r := range refs {
		if k == "" || utf8.RuneCountInString(k) > 4096 {
			return apierr.InvalidParameter("reference names must be 1-4096 characters")
		}
		if !referenceTypes[r.Type] {
			return apierr.InvalidParameter(fmt.Sprintf("reference %q: Type must be URL, ATTACHMENT, NUMBER, STRING, DATE or EMAIL", truncate(k, 40)))
		}
		if utf8.RuneCountInString(r.Value) > MaxReferenceValue {
			return apierr.InvalidParameter(fmt.Sprintf("reference %q: Value must be at most 4096 characters", truncate(k, 40)))
		}
		if r.Type == "URL" && !strings.HasPrefix(r.Value, "https://") && !strings.HasPrefix(r.Value, "http://") {
			return apierr.InvalidParameter(fmt.Sprintf("reference %q: a URL must start with https:// or http://", truncate(k, 40)))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
