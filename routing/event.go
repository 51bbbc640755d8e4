package routing

import "time"

// EventType names what happened. The values are stable: they are stored and sent to agents'
// workspaces and to supervisors.
type EventType string

// The events the router emits.
const (
	// EventContactQueued: a contact entered a queue (Enqueue, TransferToQueue,
	// TransferToAgent). QueueID or AgentID (agent queue) says where.
	EventContactQueued EventType = "ContactQueued"
	// EventContactDequeued: a contact left its queue without being connected (customer hung up,
	// flow moved it, transfer). Reason says why.
	EventContactDequeued EventType = "ContactDequeued"
	// EventQueueAtCapacity: Enqueue or a transfer was refused because the queue is full.
	EventQueueAtCapacity EventType = "QueueAtCapacity"
	// EventOfferMade: a contact was reserved for an agent; Offer holds the reservation.
	EventOfferMade EventType = "OfferMade"
	// EventOfferAccepted: the agent accepted; ContactConnected follows.
	EventOfferAccepted EventType = "OfferAccepted"
	// EventOfferRejected: the agent rejected; the contact is back in its queue at its original
	// age and the agent is missed.
	EventOfferRejected EventType = "OfferRejected"
	// EventOfferExpired: the offer timed out; as for OfferRejected.
	EventOfferExpired EventType = "OfferExpired"
	// EventOfferWithdrawn: the router took the offer back without the agent being at fault
	// (the contact ended or moved, the agent went offline). Reason says why.
	EventOfferWithdrawn EventType = "OfferWithdrawn"
	// EventContactConnected: the contact is connected to AgentID.
	EventContactConnected EventType = "ContactConnected"
	// EventContactEnded: the contact left the router for good (disconnected, ended, or
	// corrected by Reconcile). Reason says why.
	EventContactEnded EventType = "ContactEnded"
	// EventAgentStateChanged: an agent's status or activity changed, or the contacts it is
	// offered, connected to or wrapping up (a transfer, a second chat accepted, an
	// after-contact work ended); Agent holds the new state. At most one per agent and command.
	EventAgentStateChanged EventType = "AgentStateChanged"
)

// Event is one thing that happened in the router. Only the fields that apply to Type are set.
// Events are returned in the order they happened.
type Event struct {
	Type EventType
	// At is the router time of the command or tick that caused the event.
	At        time.Time
	ContactID string
	AgentID   string
	QueueID   string
	Channel   Channel
	// Offer is set on OfferMade, OfferAccepted, OfferRejected, OfferExpired, OfferWithdrawn.
	Offer *Offer
	// Agent is set on AgentStateChanged.
	Agent *AgentView
	// Reason is a short machine-readable cause ("customer-disconnected", "transfer",
	// "agent-offline", "restore", "reconcile").
	Reason string
}

// Offer is a reservation of a queued contact for one agent until ExpiresAt.
type Offer struct {
	// ID is unique per offer (Config.NewID); Accept and Reject name it.
	ID        string
	ContactID string
	AgentID   string
	// QueueID is the contact's standard queue; empty for an agent queue.
	QueueID   string
	Channel   Channel
	MadeAt    time.Time
	ExpiresAt time.Time
}
