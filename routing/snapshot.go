package routing

import (
	"fmt"
	"sort"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// Snapshot is the router state to store and to Restore from: definitions, agents and the
// contacts the router holds. Offers are not part of it (see Restore).
type Snapshot struct {
	Hours    []Hours
	Queues   []Queue
	Profiles []RoutingProfile
	Agents   []AgentSnapshot
	Contacts []ContactSnapshot
}

// AgentSnapshot is an agent's stored routing state.
type AgentSnapshot struct {
	ID               string
	RoutingProfileID string
	Status           AgentStatus
	Missed           bool
	AvailableSince   time.Time
	AfterContactWork []AfterContactWork
}

// ContactSnapshot is a contact's stored routing state. State is QUEUED, OFFERED or CONNECTED;
// AgentID is set for OFFERED and CONNECTED.
type ContactSnapshot struct {
	ID           string
	Channel      Channel
	QueueID      string
	AgentQueueID string
	Priority     int
	EnqueuedAt   time.Time
	State        ContactState
	AgentID      string
}

// Snapshot returns the router's state, sorted by ID. An OFFERED contact is recorded as such;
// Restore turns it back into a waiting one.
func (r *Router) Snapshot() Snapshot {
	var s Snapshot
	for _, h := range r.hours {
		s.Hours = append(s.Hours, h.def)
	}
	sort.Slice(s.Hours, func(i, j int) bool { return s.Hours[i].ID < s.Hours[j].ID })
	for _, q := range r.queues {
		s.Queues = append(s.Queues, q.def)
	}
	sort.Slice(s.Queues, func(i, j int) bool { return s.Queues[i].ID < s.Queues[j].ID })
	for _, p := range r.profiles {
		s.Profiles = append(s.Profiles, p.def)
	}
	sort.Slice(s.Profiles, func(i, j int) bool { return s.Profiles[i].ID < s.Profiles[j].ID })
	for _, a := range r.agents {
		v := a.view()
		s.Agents = append(s.Agents, AgentSnapshot{ID: a.id, RoutingProfileID: v.RoutingProfileID, Status: a.status, Missed: a.missed, AvailableSince: a.since, AfterContactWork: v.AfterContactWork})
	}
	sort.Slice(s.Agents, func(i, j int) bool { return s.Agents[i].ID < s.Agents[j].ID })
	for _, c := range r.contacts {
		v := c.view()
		s.Contacts = append(s.Contacts, ContactSnapshot{ID: c.id, Channel: c.ch, QueueID: c.queue, AgentQueueID: c.agentQueue, Priority: c.priority, EnqueuedAt: c.enq, State: c.state, AgentID: v.AgentID})
	}
	sort.Slice(s.Contacts, func(i, j int) bool {
		a, b := s.Contacts[i], s.Contacts[j]
		if !a.EnqueuedAt.Equal(b.EnqueuedAt) {
			return a.EnqueuedAt.Before(b.EnqueuedAt)
		}
		return a.ID < b.ID
	})
	return s
}

// Restore builds a Router from a stored Snapshot, at the clock's time, and returns the events
// of the corrections it made and of the offers it made once rebuilt.
//
// Reservations in flight when the state was stored are dropped: an OFFERED contact waits
// again at its original age, and its agent is NOT marked missed (the agent did not miss the
// offer, the node did); the contact is offered afresh, possibly to the same agent, with a new
// offer ID, so a stale Accept of the old offer fails with ResourceNotFoundException.
// Inconsistent records are corrected, not refused, so that no contact or agent stays stuck:
// a QUEUED contact whose queue is unknown is dropped (ContactDequeued, reason "restore"); a
// CONNECTED or OFFERED contact whose agent is unknown waits again in its queue; an agent
// whose profile is unknown is restored Offline without one; after-contact work that has
// already timed out ends. Contacts wait in their stored order (EnqueuedAt).
//
// Errors: definitions that fail validation (InvalidParameterException,
// ResourceNotFoundException for cross references between them), and malformed records
// (unknown channel or state, duplicate IDs).
func Restore(cfg Config, s Snapshot) (*Router, []Event, error) {
	r := New(cfg)
	r.now = r.cfg.Clock()
	if err := r.restore(s); err != nil {
		return nil, nil, fmt.Errorf("restore router: %w", err)
	}
	return r, r.finish(), nil
}

func (r *Router) restore(s Snapshot) error {
	for _, h := range s.Hours {
		if err := r.PutHours(h); err != nil {
			return err
		}
	}
	for _, q := range s.Queues {
		if err := r.PutQueue(q); err != nil {
			return err
		}
	}
	for _, p := range s.Profiles {
		if _, err := r.PutRoutingProfile(p); err != nil {
			return err
		}
	}
	for _, as := range s.Agents {
		if as.ID == "" || r.agents[as.ID] != nil {
			return apierr.InvalidParameter(fmt.Sprintf("agent %q: missing or duplicate ID", as.ID))
		}
		status := as.Status
		p := r.profiles[as.RoutingProfileID]
		if p == nil {
			status = Offline()
		}
		if err := status.Check(); err != nil {
			return fmt.Errorf("agent %q: %w", as.ID, err)
		}
		a := &agent{id: as.ID, held: map[string]*contact{}, acw: map[string]acwEntry{}, status: status, missed: as.Missed, lastStatus: status, lastMissed: as.Missed}
		a.since, a.sinceSeq = as.AvailableSince, r.nextSeq()
		r.agents[a.id] = a
		for _, w := range as.AfterContactWork {
			if err := checkChannel(w.Channel); err != nil {
				return fmt.Errorf("agent %q: %w", as.ID, err)
			}
			a.acw[w.ContactID] = acwEntry{ch: w.Channel, until: w.Until}
			a.load[w.Channel.index()]++
			r.timers.push(timer{at: w.Until, agentID: a.id, contact: w.ContactID})
		}
		r.attachProfile(a, p)
		a.lastActivity = a.activity()
		if p == nil && as.Status != status {
			r.touch(a)
		}
	}
	cs := append([]ContactSnapshot(nil), s.Contacts...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].EnqueuedAt.Before(cs[j].EnqueuedAt) })
	var connected []ContactSnapshot
	for _, cr := range cs {
		if cr.ID == "" || r.contacts[cr.ID] != nil {
			return apierr.InvalidParameter(fmt.Sprintf("contact %q: missing or duplicate ID", cr.ID))
		}
		if err := checkChannel(cr.Channel); err != nil {
			return fmt.Errorf("contact %q: %w", cr.ID, err)
		}
		switch cr.State {
		case ContactQueued, ContactOffered, ContactConnected:
		default:
			return apierr.InvalidParameter(fmt.Sprintf("contact %q: unknown state %q", cr.ID, string(cr.State)))
		}
		if cr.State == ContactConnected && r.agents[cr.AgentID] != nil {
			connected = append(connected, cr)
			continue
		}
		c := &contact{id: cr.ID, ch: cr.Channel, priority: max(cr.Priority, 1), enq: cr.EnqueuedAt, seq: r.nextSeq(), heapIdx: -1}
		if cr.AgentQueueID != "" && r.agents[cr.AgentQueueID] != nil {
			c.agentQueue = cr.AgentQueueID
		} else if r.queues[cr.QueueID] != nil {
			c.queue = cr.QueueID
		} else {
			r.emit(Event{Type: EventContactDequeued, ContactID: cr.ID, QueueID: cr.QueueID, Channel: cr.Channel, Reason: "restore"})
			continue
		}
		r.contacts[c.id] = c
		r.enterQueue(c)
	}
	for _, cr := range connected {
		a := r.agents[cr.AgentID]
		c := &contact{id: cr.ID, ch: cr.Channel, queue: cr.QueueID, agentQueue: cr.AgentQueueID, priority: max(cr.Priority, 1), enq: cr.EnqueuedAt, seq: r.nextSeq(), heapIdx: -1, state: ContactConnected, agent: a}
		r.contacts[c.id] = c
		a.held[c.id] = c
		a.load[c.ch.index()]++
		a.lastActivity = a.activity()
	}
	for _, a := range r.agents {
		r.reindex(a)
	}
	r.advance(r.now)
	as := make([]*agent, 0, len(r.agents))
	for _, a := range r.agents {
		as = append(as, a)
	}
	r.settle(as)
	return nil
}

// Reconcile corrects the router against the contacts that still exist (live reports whether a
// contact ID is live in the contact store): a contact the router holds that is no longer live
// is taken out (ContactEnded, reason "reconcile"): a waiting one leaves its queue, an offered
// one has its offer withdrawn, and an agent claiming a connected one is freed without
// after-contact work. After-contact work is not checked: it ends by its own timeout.
func (r *Router) Reconcile(live func(contactID string) bool) []Event {
	r.begin()
	var gone []*contact
	for _, c := range r.contacts {
		if !live(c.id) {
			gone = append(gone, c)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].id < gone[j].id })
	var freed []*agent
	for _, c := range gone {
		agentID, queue := "", c.queue
		if c.agent != nil {
			agentID = c.agent.id
		}
		var a *agent
		if c.state == ContactConnected {
			a = c.agent
			delete(a.held, c.id)
			delete(r.accepted, c.acceptedID)
			a.load[c.ch.index()]--
			r.setSince(a)
			r.reindex(a)
			r.contactsChanged(a)
		} else {
			a = r.detach(c, "reconcile")
		}
		delete(r.contacts, c.id)
		r.emit(Event{Type: EventContactEnded, ContactID: c.id, QueueID: queue, AgentID: agentID, Channel: c.ch, Reason: "reconcile"})
		if a != nil {
			freed = append(freed, a)
		}
	}
	r.settle(freed)
	return r.finish()
}
