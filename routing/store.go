package routing

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// The records below are the routing configuration of an instance as the Connect API manages
// it: the router's model (Hours, Queue, RoutingProfile, AgentStatus) plus what only people
// and the API use (names, descriptions, tags, modification times). Every record carries its
// instance ID; IDs are lower-case UUIDs unique within the instance; names are unique per
// instance (per hours of operation for overrides).

// HoursRecord is a stored hours of operation (Connect's HoursOfOperation). Its overrides are
// stored apart (HoursOverrideRecord); Definition joins them.
type HoursRecord struct {
	InstanceID string
	ID         string
	// Name is 1–127 characters; Description at most 250.
	Name        string
	Description string
	// TimeZone is an IANA zone name, loadable with time.LoadLocation.
	TimeZone string
	// Config holds the weekly open periods.
	Config       []HoursConfig
	Tags         map[string]string
	LastModified time.Time
}

// Definition returns the router's Hours for r with the given overrides (in the order given;
// the first that covers a date wins).
func (r HoursRecord) Definition(overrides []HoursOverrideRecord) Hours {
	h := Hours{ID: r.ID, TimeZone: r.TimeZone, Config: r.Config}
	for _, o := range overrides {
		h.Overrides = append(h.Overrides, o.Override())
	}
	return h
}

// HoursOverrideRecord is a stored hours of operation override (Connect's
// HoursOfOperationOverride of type STANDARD): on the dates EffectiveFrom..EffectiveTill
// (inclusive, YYYY-MM-DD in the hours' time zone) Config replaces the weekly periods; an empty
// Config means closed on those dates.
type HoursOverrideRecord struct {
	InstanceID string
	HoursID    string
	ID         string
	// Name is 1–127 characters, unique within its hours of operation; Description at most 250.
	Name                         string
	Description                  string
	EffectiveFrom, EffectiveTill string
	Config                       []HoursConfig
}

// Override returns the router's HoursOverride for o.
func (o HoursOverrideRecord) Override() HoursOverride {
	return HoursOverride{Name: o.Name, EffectiveFrom: o.EffectiveFrom, EffectiveTill: o.EffectiveTill, Closed: len(o.Config) == 0, Config: o.Config}
}

// QueueRecord is a stored standard queue (Connect's Queue). The embedded Queue is what the
// router uses; HoursOfOperationID must name hours of the same instance.
type QueueRecord struct {
	InstanceID string
	Queue
	// Name is 1–127 characters; Description at most 250.
	Name        string
	Description string
	// OutboundCallerIDName is the caller ID name of outbound calls (at most 255 characters);
	// OutboundCallerIDNumberID the ID of the phone number shown; OutboundFlowID the outbound
	// whisper flow, a flow of the instance. Each is empty when unset.
	OutboundCallerIDName     string
	OutboundCallerIDNumberID string
	OutboundFlowID           string
	Tags                     map[string]string
	LastModified             time.Time
}

// AgentAvailabilityTimer is how agents of a routing profile are ordered for offers (Connect's
// AgentAvailabilityTimer). The router orders by the time since the last activity either way.
type AgentAvailabilityTimer string

// The agent availability timers.
const (
	TimeSinceLastActivity AgentAvailabilityTimer = "TIME_SINCE_LAST_ACTIVITY"
	TimeSinceLastInbound  AgentAvailabilityTimer = "TIME_SINCE_LAST_INBOUND"
)

// RoutingProfileRecord is a stored routing profile (Connect's RoutingProfile) with its queue
// configurations and media concurrency (the embedded RoutingProfile, checked with
// RoutingProfile.Check).
type RoutingProfileRecord struct {
	InstanceID string
	RoutingProfile
	// Name is 1–127 characters; Description 1–250.
	Name                   string
	Description            string
	AgentAvailabilityTimer AgentAvailabilityTimer
	// IsDefault marks the instance's default profile ("Basic Routing Profile").
	IsDefault    bool
	Tags         map[string]string
	LastModified time.Time
}

// AgentStatusState says whether agents may choose a status (Connect's AgentStatusState).
type AgentStatusState string

// The agent status states.
const (
	AgentStatusEnabled  AgentStatusState = "ENABLED"
	AgentStatusDisabled AgentStatusState = "DISABLED"
)

// AgentStatusRecord is a stored agent status (Connect's AgentStatus). The embedded
// AgentStatus (name and type) is what the router uses.
type AgentStatusRecord struct {
	InstanceID string
	ID         string
	AgentStatus
	// Description is at most 250 characters.
	Description string
	State       AgentStatusState
	// DisplayOrder is the position in the agent's status list, 1–50; 0 when unset.
	DisplayOrder int
	Tags         map[string]string
	LastModified time.Time
}

// UserStatus is the agent status a user chose last (PutUserStatus).
type UserStatus struct {
	InstanceID    string
	UserID        string
	AgentStatusID string
	// Since is when the user chose it.
	Since time.Time
}

// QuickConnectType is the kind of destination of a quick connect (Connect's
// QuickConnectType).
type QuickConnectType string

// The quick connect types.
const (
	QuickConnectUser        QuickConnectType = "USER"
	QuickConnectQueue       QuickConnectType = "QUEUE"
	QuickConnectPhoneNumber QuickConnectType = "PHONE_NUMBER"
	QuickConnectFlow        QuickConnectType = "FLOW"
)

// QuickConnectRecord is a stored quick connect (Connect's QuickConnect): a transfer
// destination agents pick. The fields used depend on Type: USER has UserID and ContactFlowID,
// QUEUE has QueueID and ContactFlowID, PHONE_NUMBER has PhoneNumber (E.164), FLOW has
// ContactFlowID.
type QuickConnectRecord struct {
	InstanceID string
	ID         string
	// Name is 1–127 characters; Description at most 250.
	Name          string
	Description   string
	Type          QuickConnectType
	UserID        string
	QueueID       string
	ContactFlowID string
	PhoneNumber   string
	Tags          map[string]string
	LastModified  time.Time
}

// Destination is where quick connect q sends a contact on channel ch: a standard queue
// (QUEUE), a user's agent queue (USER), or only a flow (FLOW), with the quick connect's flow
// (empty when it names none). Errors: InvalidRequestException for a PHONE_NUMBER quick
// connect on a CHAT or TASK contact (a phone number can only take a call), and
// NotImplementedException for one on a VOICE contact (calls to external numbers need the
// voice channel).
func (q QuickConnectRecord) Destination(ch Channel) (queueID, userID, flowID string, err error) {
	switch q.Type {
	case QuickConnectQueue:
		return q.QueueID, "", q.ContactFlowID, nil
	case QuickConnectUser:
		return "", q.UserID, q.ContactFlowID, nil
	case QuickConnectFlow:
		return "", "", q.ContactFlowID, nil
	case QuickConnectPhoneNumber:
		if ch != ChannelVoice {
			return "", "", "", apierr.InvalidRequest(fmt.Sprintf("quick connect %q dials a phone number; a %s contact cannot be transferred to a phone number", q.Name, ch))
		}
		return "", "", "", apierr.New(apierr.CodeNotImplemented, "quick connect %q dials a phone number; calls to external numbers need the voice channel, which this node does not run", q.Name)
	}
	return "", "", "", apierr.InvalidParameter(fmt.Sprintf("quick connect %q has an unknown type %q", q.Name, string(q.Type)))
}

// The store interfaces below are implemented by store/sqlstore for both engines. Every method
// is scoped by instance ID. Errors are *apierr.Error with ResourceNotFoundException for an
// unknown ID and DuplicateResourceException for a name in use; a reference to a missing row
// (hours of a queue, queue of a profile) is the caller's to check first. List methods return
// up to limit records ordered by ID, after the ID given ("" for the first page).

// HoursStore persists hours of operation and their overrides.
type HoursStore interface {
	// CreateHours stores new hours of operation.
	CreateHours(ctx context.Context, h HoursRecord) error
	// GetHours returns the hours of operation with the given ID.
	GetHours(ctx context.Context, instanceID, id string) (HoursRecord, error)
	// ListHours lists the instance's hours of operation.
	ListHours(ctx context.Context, instanceID, after string, limit int) ([]HoursRecord, error)
	// UpdateHours replaces every mutable field of existing hours.
	UpdateHours(ctx context.Context, h HoursRecord) error
	// CreateHoursOverride stores a new override of existing hours of operation.
	CreateHoursOverride(ctx context.Context, o HoursOverrideRecord) error
	// ListHoursOverrides lists the overrides of one hours of operation.
	ListHoursOverrides(ctx context.Context, instanceID, hoursID, after string, limit int) ([]HoursOverrideRecord, error)
	// DeleteHours deletes hours of operation and their overrides; ResourceInUseException
	// while a queue uses them.
	DeleteHours(ctx context.Context, instanceID, id string) error
}

// QueueStore persists standard queues.
type QueueStore interface {
	// CreateQueue stores a new queue.
	CreateQueue(ctx context.Context, q QueueRecord) error
	// GetQueue returns the queue with the given ID.
	GetQueue(ctx context.Context, instanceID, id string) (QueueRecord, error)
	// ListQueues lists the instance's queues.
	ListQueues(ctx context.Context, instanceID, after string, limit int) ([]QueueRecord, error)
	// UpdateQueue replaces every mutable field of an existing queue.
	UpdateQueue(ctx context.Context, q QueueRecord) error
}

// RoutingProfileStore persists routing profiles with their queue entries and media
// concurrency.
type RoutingProfileStore interface {
	// CreateRoutingProfile stores a new routing profile with its queue entries; an entry
	// listed twice is InvalidParameterException.
	CreateRoutingProfile(ctx context.Context, p RoutingProfileRecord) error
	// GetRoutingProfile returns the routing profile with the given ID, entries in the order
	// stored.
	GetRoutingProfile(ctx context.Context, instanceID, id string) (RoutingProfileRecord, error)
	// ListRoutingProfiles lists the instance's routing profiles with their entries.
	ListRoutingProfiles(ctx context.Context, instanceID, after string, limit int) ([]RoutingProfileRecord, error)
	// UpdateRoutingProfile replaces every mutable field of an existing profile, its queue
	// entries and media concurrency included.
	UpdateRoutingProfile(ctx context.Context, p RoutingProfileRecord) error
	// DeleteRoutingProfile deletes a routing profile and its queue entries;
	// ResourceInUseException for the instance's default profile or while a user has it.
	DeleteRoutingProfile(ctx context.Context, instanceID, id string) error
}

// AgentStatusStore persists agent statuses and the status each user chose.
type AgentStatusStore interface {
	// CreateAgentStatus stores a new agent status.
	CreateAgentStatus(ctx context.Context, s AgentStatusRecord) error
	// GetAgentStatus returns the agent status with the given ID.
	GetAgentStatus(ctx context.Context, instanceID, id string) (AgentStatusRecord, error)
	// ListAgentStatuses is restricted to the given types when types is not empty.
	ListAgentStatuses(ctx context.Context, instanceID string, types []StatusType, after string, limit int) ([]AgentStatusRecord, error)
	// UpdateAgentStatus replaces every mutable field of an existing status.
	UpdateAgentStatus(ctx context.Context, s AgentStatusRecord) error
	// SetUserStatus records the user's current status, replacing the previous one.
	SetUserStatus(ctx context.Context, s UserStatus) error
	// GetUserStatus returns the user's current status; ResourceNotFoundException when the
	// user never set one.
	GetUserStatus(ctx context.Context, instanceID, userID string) (UserStatus, error)
}

// QuickConnectStore persists quick connects.
type QuickConnectStore interface {
	// CreateQuickConnect stores a new quick connect.
	CreateQuickConnect(ctx context.Context, q QuickConnectRecord) error
	// GetQuickConnect returns the quick connect with the given ID.
	GetQuickConnect(ctx context.Context, instanceID, id string) (QuickConnectRecord, error)
	// ListQuickConnects is restricted to the given types when types is not empty.
	ListQuickConnects(ctx context.Context, instanceID string, types []QuickConnectType, after string, limit int) ([]QuickConnectRecord, error)
	// DeleteQuickConnect removes a quick connect and its queue associations.
	DeleteQuickConnect(ctx context.Context, instanceID, id string) error
	// UpdateQuickConnect replaces every mutable field of an existing quick connect (name,
	// description, type and destination, tags, LastModified).
	UpdateQuickConnect(ctx context.Context, q QuickConnectRecord) error
	// AssociateQueueQuickConnects associates the quick connects with the queue; an
	// association that exists is left as it is. Unknown queue or quick connect:
	// ResourceNotFoundException, and nothing is associated.
	AssociateQueueQuickConnects(ctx context.Context, instanceID, queueID string, quickConnectIDs []string) error
	// DisassociateQueueQuickConnects removes the associations; one that does not exist is
	// ignored. Unknown queue: ResourceNotFoundException.
	DisassociateQueueQuickConnects(ctx context.Context, instanceID, queueID string, quickConnectIDs []string) error
	// ListQueueQuickConnects returns up to limit quick connects associated with the queue
	// with IDs after after, in ID order. Unknown queue: ResourceNotFoundException.
	ListQueueQuickConnects(ctx context.Context, instanceID, queueID, after string, limit int) ([]QuickConnectRecord, error)
}

// ConfigStore is the routing configuration of every instance: the part of store.Tx this
// package defines.
type ConfigStore interface {
	HoursStore
	QueueStore
	RoutingProfileStore
	AgentStatusStore
	QuickConnectStore
}

// ConfigReader is what LoadConfig reads: a ConfigStore (or a store.Tx) satisfies it.
type ConfigReader interface {
	ListHours(ctx context.Context, instanceID, after string, limit int) ([]HoursRecord, error)
	ListHoursOverrides(ctx context.Context, instanceID, hoursID, after string, limit int) ([]HoursOverrideRecord, error)
	ListQueues(ctx context.Context, instanceID, after string, limit int) ([]QueueRecord, error)
	ListRoutingProfiles(ctx context.Context, instanceID, after string, limit int) ([]RoutingProfileRecord, error)
}

// loadPage is the page size LoadConfig reads with.
const loadPage = 200

// eachPage calls list with growing cursors until a short page, handing every item to fn.
func eachPage[T any](list func(after string) ([]T, error), id func(T) string, fn func(T) error) error {
	after := ""
	for {
		page, err := list(after)
		if err != nil {
			return err
		}
		for _, v := range page {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(page) < loadPage {
			return nil
		}
		after = id(page[len(page)-1])
	}
}

// LoadConfig puts the stored routing configuration of an instance into r: every hours of
// operation (with its overrides), then every queue, then every routing profile, so each
// finds what it refers to. On a fresh Router this rebuilds the configuration a Restore or a
// start needs; on a running one it replaces definitions in place (the router deletes none).
// It returns the events the profile replacements caused (none on a fresh Router). Errors: the
// reader's, or the router's refusal of a stored definition (wrapped with its ID).
func LoadConfig(ctx context.Context, src ConfigReader, instanceID string, r *Router) ([]Event, error) {
	var events []Event
	err := eachPage(func(after string) ([]HoursRecord, error) { return src.ListHours(ctx, instanceID, after, loadPage) },
		func(h HoursRecord) string { return h.ID },
		func(h HoursRecord) error {
			var overrides []HoursOverrideRecord
			err := eachPage(func(after string) ([]HoursOverrideRecord, error) {
				return src.ListHoursOverrides(ctx, instanceID, h.ID, after, loadPage)
			}, func(o HoursOverrideRecord) string { return o.ID }, func(o HoursOverrideRecord) error {
				overrides = append(overrides, o)
				return nil
			})
			if err != nil {
				return err
			}
			return r.PutHours(h.Definition(overrides))
		})
	if err != nil {
		return nil, fmt.Errorf("load routing config: %w", err)
	}
	err = eachPage(func(after string) ([]QueueRecord, error) { return src.ListQueues(ctx, instanceID, after, loadPage) },
		func(q QueueRecord) string { return q.ID },
		func(q QueueRecord) error { return r.PutQueue(q.Queue) })
	if err != nil {
		return nil, fmt.Errorf("load routing config: %w", err)
	}
	err = eachPage(func(after string) ([]RoutingProfileRecord, error) {
		return src.ListRoutingProfiles(ctx, instanceID, after, loadPage)
	}, func(p RoutingProfileRecord) string { return p.ID }, func(p RoutingProfileRecord) error {
		ev, err := r.PutRoutingProfile(p.RoutingProfile)
		events = append(events, ev...)
		return err
	})
	if err != nil {
		return events, fmt.Errorf("load routing config: %w", err)
	}
	return events, nil
}
