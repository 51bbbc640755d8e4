package routing

import (
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// Channel is a contact's channel, spelled as Connect spells it ("Channel" in the Connect API
// reference: VOICE, CHAT, TASK).
type Channel string

// The channels the router handles.
const (
	ChannelVoice Channel = "VOICE"
	ChannelChat  Channel = "CHAT"
	ChannelTask  Channel = "TASK"
)

// numChannels is the number of channels; per-channel arrays are indexed by Channel.index.
const numChannels = 3

// channels lists the channels in index order.
func channels() [numChannels]Channel {
	return [numChannels]Channel{ChannelVoice, ChannelChat, ChannelTask}
}

// index returns c's position in per-channel arrays, or -1 for an unknown channel.
func (c Channel) index() int {
	switch c {
	case ChannelVoice:
		return 0
	case ChannelChat:
		return 1
	case ChannelTask:
		return 2
	}
	return -1
}

func checkChannel(c Channel) error {
	if c.index() < 0 {
		return apierr.InvalidParameter(fmt.Sprintf("channel must be VOICE, CHAT or TASK, got %q", string(c)))
	}
	return nil
}

// QueueStatus is a queue's status (Connect's QueueStatus: ENABLED | DISABLED). A DISABLED
// queue refuses new contacts (Enqueue and transfers into it fail); contacts already in it
// stay and are still routed. Source: Connect administrator guide, "Disable a queue".
type QueueStatus string

// The queue statuses.
const (
	QueueEnabled  QueueStatus = "ENABLED"
	QueueDisabled QueueStatus = "DISABLED"
)

// Queue is a standard queue (Connect's Queue: QueueId, HoursOfOperationId, MaxContacts,
// Status).
type Queue struct {
	// ID identifies the queue within the instance; required.
	ID string
	// HoursOfOperationID names the queue's hours (see Hours); empty means always open.
	// Hours never stop routing: Connect checks them in flows (CheckHoursOfOperation), not in
	// the router.
	HoursOfOperationID string
	// MaxContacts is the queue's capacity: the number of contacts that may be in the queue
	// (waiting or being offered) at once. 0 means no limit. Enqueue beyond it fails with
	// ServiceQuotaExceededException and a QueueAtCapacity event.
	MaxContacts int
	// Status is ENABLED or DISABLED; empty means ENABLED.
	Status QueueStatus
}

// Normalise checks q and fills defaults (an empty Status becomes ENABLED). Errors:
// InvalidParameterException naming the field (missing ID, negative MaxContacts, unknown status).
func (q *Queue) Normalise() error {
	if q.ID == "" {
		return apierr.InvalidParameter("queue ID is required")
	}
	if q.MaxContacts < 0 {
		return apierr.InvalidParameter(fmt.Sprintf("queue %q: MaxContacts must be ≥ 0, got %d", q.ID, q.MaxContacts))
	}
	switch q.Status {
	case "":
		q.Status = QueueEnabled
	case QueueEnabled, QueueDisabled:
	default:
		return apierr.InvalidParameter(fmt.Sprintf("queue %q: status must be ENABLED or DISABLED, got %q", q.ID, string(q.Status)))
	}
	return nil
}

// CrossChannelBehavior says what an agent handling a contact on one channel may be offered on
// the others (Connect's CrossChannelBehavior.BehaviorType, "Cross-channel concurrency" in the
// administrator guide).
type CrossChannelBehavior string

// The cross-channel behaviours.
const (
	// RouteCurrentChannelOnly keeps an agent who holds a contact on this channel on this
	// channel: they are offered nothing on the other channels. It is the default.
	RouteCurrentChannelOnly CrossChannelBehavior = "ROUTE_CURRENT_CHANNEL_ONLY"
	// RouteAnyChannel lets an agent who holds contacts on this channel be offered contacts on
	// other channels, within each channel's own concurrency.
	RouteAnyChannel CrossChannelBehavior = "ROUTE_ANY_CHANNEL"
)

// MediaConcurrency is how many contacts of one channel an agent with the profile handles at
// once (Connect's MediaConcurrency: VOICE exactly 1, CHAT 1–10, TASK 1–10).
type MediaConcurrency struct {
	Channel     Channel
	Concurrency int
	// CrossChannelBehavior applies while the agent holds a contact on Channel; empty means
	// ROUTE_CURRENT_CHANNEL_ONLY. An agent holding a VOICE contact is offered nothing else,
	// whatever this says.
	CrossChannelBehavior CrossChannelBehavior
}

// ProfileQueue is one queue × channel entry of a routing profile (Connect's
// RoutingProfileQueueConfig).
type ProfileQueue struct {
	QueueID string
	Channel Channel
	// Priority orders the profile's queues for its agents: 1 is highest, 1–99.
	Priority int
	// DelaySeconds is how long, in seconds (0–9999), a contact must have waited in the queue
	// before it is offered to agents of this profile.
	DelaySeconds int
}

// RoutingProfile says which queues an agent takes contacts from, in which order, and how many
// at once (Connect's RoutingProfile; administrator guide "Create a routing profile").
type RoutingProfile struct {
	ID string
	// DefaultOutboundQueueID is the queue of the agent's outbound contacts; it must exist when
	// set. The router stores it for the caller and routes nothing through it.
	DefaultOutboundQueueID string
	// MediaConcurrencies lists the channels the profile handles; a channel absent here is
	// never offered to its agents.
	MediaConcurrencies []MediaConcurrency
	// Queues lists the queue × channel entries; each queue must exist, each pair appear once.
	Queues []ProfileQueue
}

// Limits from the Connect API reference (CreateRoutingProfile).
const (
	maxChatTaskConcurrency = 10
	maxProfilePriority     = 99
	maxProfileDelaySeconds = 9999
)

// Check validates p against Connect's limits (CreateRoutingProfile, MediaConcurrency,
// RoutingProfileQueueConfig): each channel VOICE, CHAT or TASK listed once, concurrency VOICE 1
// and CHAT/TASK 1–10, cross-channel behaviour ROUTE_CURRENT_CHANNEL_ONLY or ROUTE_ANY_CHANNEL,
// each queue × channel once with priority 1–99 and delay 0–9999 s. queueExists reports whether a
// queue ID exists (in the router, or in the instance's stored configuration); the queues of the
// entries and a non-empty DefaultOutboundQueueID must. Errors: InvalidParameterException for a
// bad field, ResourceNotFoundException for an unknown queue.
func (p *RoutingProfile) Check(queueExists func(string) bool) error {
	if p.ID == "" {
		return apierr.InvalidParameter("routing profile ID is required")
	}
	if p.DefaultOutboundQueueID != "" && !queueExists(p.DefaultOutboundQueueID) {
		return apierr.NotFound("queue", p.DefaultOutboundQueueID)
	}
	seen := map[Channel]bool{}
	for _, m := range p.MediaConcurrencies {
		if err := checkChannel(m.Channel); err != nil {
			return err
		}
		if seen[m.Channel] {
			return apierr.InvalidParameter(fmt.Sprintf("routing profile %q: channel %s listed twice", p.ID, m.Channel))
		}
		seen[m.Channel] = true
		maxC := maxChatTaskConcurrency
		if m.Channel == ChannelVoice {
			maxC = 1
		}
		if m.Concurrency < 1 || m.Concurrency > maxC {
			return apierr.InvalidParameter(fmt.Sprintf("routing profile %q: %s concurrency must be 1–%d, got %d", p.ID, m.Channel, maxC, m.Concurrency))
		}
		switch m.CrossChannelBehavior {
		case "", RouteCurrentChannelOnly, RouteAnyChannel:
		default:
			return apierr.InvalidParameter(fmt.Sprintf("routing profile %q: cross-channel behavior must be ROUTE_CURRENT_CHANNEL_ONLY or ROUTE_ANY_CHANNEL, got %q", p.ID, string(m.CrossChannelBehavior)))
		}
	}
	type qc struct {
		q  string
		ch Channel
	}
	entries := map[qc]bool{}
	for _, e := range p.Queues {
		if err := checkChannel(e.Channel); err != nil {
			return err
		}
		if !queueExists(e.QueueID) {
			return apierr.NotFound("queue", e.QueueID)
		}
		if entries[qc{e.QueueID, e.Channel}] {
			return apierr.InvalidParameter(fmt.Sprintf("routing profile %q: queue %q channel %s listed twice", p.ID, e.QueueID, e.Channel))
		}
		entries[qc{e.QueueID, e.Channel}] = true
		if e.Priority < 1 || e.Priority > maxProfilePriority {
			return apierr.InvalidParameter(fmt.Sprintf("routing profile %q: priority must be 1–%d, got %d", p.ID, maxProfilePriority, e.Priority))
		}
		if e.DelaySeconds < 0 || e.DelaySeconds > maxProfileDelaySeconds {
			return apierr.InvalidParameter(fmt.Sprintf("routing profile %q: delay must be 0–%d seconds, got %d", p.ID, maxProfileDelaySeconds, e.DelaySeconds))
		}
	}
	return nil
}

// StatusType is the type of an agent status (Connect's AgentStatus.Type).
type StatusType string

// The agent status types.
const (
	// StatusRoutable is "Available": the agent may be offered contacts.
	StatusRoutable StatusType = "ROUTABLE"
	// StatusCustom is a custom, non-productive status (Lunch, Training): not routable.
	StatusCustom StatusType = "CUSTOM"
	// StatusOffline is "Offline": not routable; pending offers are withdrawn.
	StatusOffline StatusType = "OFFLINE"
)

// AgentStatus is the status an agent chose (Connect's AgentStatus: Name and Type; the
// administrator guide's "About agent status"). The system states (incoming, on contact,
// after-contact work, missed) are not statuses: they are reported as Activity.
type AgentStatus struct {
	// Name is the status name shown to people ("Available", "Offline", "Lunch"); 1–127
	// characters.
	Name string
	Type StatusType
}

// Available returns the routable status named "Available".
func Available() AgentStatus { return AgentStatus{Name: "Available", Type: StatusRoutable} }

// Offline returns the status named "Offline".
func Offline() AgentStatus { return AgentStatus{Name: "Offline", Type: StatusOffline} }

// Check validates s: a name of 1–127 characters and a type ROUTABLE, CUSTOM or OFFLINE.
// Errors: InvalidParameterException.
func (s AgentStatus) Check() error {
	if s.Name == "" || len(s.Name) > 127 {
		return apierr.InvalidParameter("agent status name must be 1–127 characters")
	}
	switch s.Type {
	case StatusRoutable, StatusCustom, StatusOffline:
		return nil
	}
	return apierr.InvalidParameter(fmt.Sprintf("agent status type must be ROUTABLE, CUSTOM or OFFLINE, got %q", string(s.Type)))
}

// Activity is what an agent is doing, derived from their status and the contacts they hold;
// it is the state Connect's real-time metrics show ("Agent activity" in "Real-time metrics
// definitions").
type Activity string

// The agent activities, from the most to the least specific; an agent is in the first that
// applies.
const (
	// ActivityOnContact: the agent has at least one connected contact.
	ActivityOnContact Activity = "ON_CONTACT"
	// ActivityIncoming: the agent has at least one pending offer and no connected contact.
	ActivityIncoming Activity = "INCOMING"
	// ActivityAfterContactWork: the agent is in after-contact work for at least one contact.
	ActivityAfterContactWork Activity = "AFTER_CONTACT_WORK"
	// ActivityMissed: the agent rejected or let expire an offer and has not set a status since.
	ActivityMissed Activity = "MISSED"
	// ActivityAvailable: status ROUTABLE and idle.
	ActivityAvailable Activity = "AVAILABLE"
	// ActivityCustom: a custom (non-productive) status and idle.
	ActivityCustom Activity = "CUSTOM"
	// ActivityOffline: status OFFLINE and idle.
	ActivityOffline Activity = "OFFLINE"
)

// ContactState is where a contact is in the router's part of its life (the "queued → offered
// → connected" part of the contact state machine in DESIGN.md).
type ContactState string

// The contact states the router holds. An ended contact is no longer in the router.
const (
	ContactQueued    ContactState = "QUEUED"
	ContactOffered   ContactState = "OFFERED"
	ContactConnected ContactState = "CONNECTED"
)

// Default priority of a new contact (Connect's UpdateContactRoutingData: "the default priority
// for new contacts is 5").
const DefaultContactPriority = 5

// Default offer timeout for every channel when Config.OfferTimeout has no entry.
const DefaultOfferTimeout = 20 * time.Second
