package routing

import (
	"fmt"
	"sort"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// AgentView is an agent's routing state as the workspace and supervisors see it.
type AgentView struct {
	ID               string
	RoutingProfileID string
	// Status is the status the agent chose; Activity what they are doing.
	Status   AgentStatus
	Activity Activity
	// Missed is set after a rejected or expired offer until the agent sets a status.
	Missed bool
	// AvailableSince is when the agent last became routable, was offered a contact or freed a
	// slot; the router offers to the agent whose AvailableSince is earliest.
	AvailableSince time.Time
	// Contacts are the contacts offered to or connected to the agent, by contact ID.
	Contacts []HeldContact
	// AfterContactWork lists the contacts the agent is wrapping up, by contact ID.
	AfterContactWork []AfterContactWork
}

// HeldContact is a contact offered to or connected to an agent.
type HeldContact struct {
	ContactID string
	Channel   Channel
	State     ContactState
	// OfferID is the pending or accepted offer.
	OfferID string
}

// AfterContactWork is one after-contact work period: the agent's slot on Channel stays taken
// until Until.
type AfterContactWork struct {
	ContactID string
	Channel   Channel
	Until     time.Time
}

func (a *agent) view() AgentView {
	v := AgentView{ID: a.id, Status: a.status, Activity: a.activity(), Missed: a.missed, AvailableSince: a.since}
	if a.prof != nil {
		v.RoutingProfileID = a.prof.def.ID
	}
	for _, c := range sortedHeld(a) {
		h := HeldContact{ContactID: c.id, Channel: c.ch, State: c.state, OfferID: c.acceptedID}
		if c.offer != nil {
			h.OfferID = c.offer.ID
		}
		v.Contacts = append(v.Contacts, h)
	}
	for id, e := range a.acw {
		v.AfterContactWork = append(v.AfterContactWork, AfterContactWork{ContactID: id, Channel: e.ch, Until: e.until})
	}
	sort.Slice(v.AfterContactWork, func(i, j int) bool { return v.AfterContactWork[i].ContactID < v.AfterContactWork[j].ContactID })
	return v
}

// Agent returns an agent's state. Errors: ResourceNotFoundException.
func (r *Router) Agent(agentID string) (AgentView, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return AgentView{}, fmt.Errorf("get agent: %w", err)
	}
	return a.view(), nil
}

// ContactView is a contact's routing state.
type ContactView struct {
	ID      string
	Channel Channel
	// QueueID is the standard queue; AgentQueueID the agent whose agent queue holds it.
	QueueID, AgentQueueID string
	Priority              int
	// EnqueuedAt is the effective start of the contact's time in queue (age adjustments
	// applied).
	EnqueuedAt time.Time
	State      ContactState
	// AgentID is the agent the contact is offered or connected to.
	AgentID string
	// OfferID is the pending offer (OFFERED) or the accepted one (CONNECTED).
	OfferID string
}

func (c *contact) view() ContactView {
	v := ContactView{ID: c.id, Channel: c.ch, QueueID: c.queue, AgentQueueID: c.agentQueue, Priority: c.priority, EnqueuedAt: c.enq, State: c.state, OfferID: c.acceptedID}
	if c.agent != nil {
		v.AgentID = c.agent.id
	}
	if c.offer != nil {
		v.OfferID = c.offer.ID
	}
	return v
}

// Contact returns a contact's routing state. Errors: ResourceNotFoundException.
func (r *Router) Contact(contactID string) (ContactView, error) {
	c, err := r.contact(contactID)
	if err != nil {
		return ContactView{}, fmt.Errorf("get contact: %w", err)
	}
	return c.view(), nil
}

// Offer returns a pending offer. Errors: ResourceNotFoundException.
func (r *Router) Offer(offerID string) (Offer, error) {
	o := r.offers[offerID]
	if o == nil {
		return Offer{}, fmt.Errorf("get offer: %w", apierr.NotFound("offer", offerID))
	}
	return o.Offer, nil
}

// QueueMetrics is a queue's current state, for GetCurrentMetricData and the CheckMetricData
// and GetMetricData flow actions (Connect's "Real-time metrics definitions").
type QueueMetrics struct {
	// ContactsInQueue counts the contacts waiting or being offered (CONTACTS_IN_QUEUE).
	ContactsInQueue int
	// OldestContactAge is the time in queue of the oldest waiting contact at the router's
	// time, 0 when none waits (OLDEST_CONTACT_AGE).
	OldestContactAge time.Duration
	// The agent counts cover the agents whose routing profile has the queue (on the channel
	// asked for, if any):
	//   - AgentsOnline: status not OFFLINE (AGENTS_ONLINE);
	//   - AgentsAvailable: can be offered a contact from the queue now (AGENTS_AVAILABLE);
	//   - AgentsStaffed: status ROUTABLE, or holding a contact or in after-contact work
	//     (AGENTS_STAFFED);
	//   - AgentsOnContact, AgentsAfterContactWork, AgentsNonProductive (custom status, idle):
	//     by Activity (AGENTS_ON_CONTACT, AGENTS_AFTER_CONTACT_WORK, AGENTS_NON_PRODUCTIVE);
	//   - AgentsMissed: missed an offer and not yet set a status (AGENTS_MISSED is a
	//     historical metric in Connect; here it is the current count).
	AgentsOnline, AgentsAvailable, AgentsStaffed int
	AgentsOnContact, AgentsAfterContactWork      int
	AgentsMissed, AgentsNonProductive            int
}

// QueueMetrics returns the metrics of queue queueID, for all channels when ch is empty.
// Errors: ResourceNotFoundException, InvalidParameterException for an unknown channel.
func (r *Router) QueueMetrics(queueID string, ch Channel) (QueueMetrics, error) {
	q := r.queues[queueID]
	if q == nil {
		return QueueMetrics{}, fmt.Errorf("queue metrics: %w", apierr.NotFound("queue", queueID))
	}
	if ch != "" {
		if err := checkChannel(ch); err != nil {
			return QueueMetrics{}, fmt.Errorf("queue metrics: %w", err)
		}
	}
	var m QueueMetrics
	var oldest *contact
	for _, c := range channels() {
		if ch != "" && c != ch {
			continue
		}
		m.ContactsInQueue += q.perCh[c.index()]
		if wq := r.waits[qcKey{queueID, c}]; wq != nil {
			if o := wq.oldest(); o != nil && (oldest == nil || o.enq.Before(oldest.enq)) {
				oldest = o
			}
		}
	}
	if oldest != nil {
		m.OldestContactAge = r.now.Sub(oldest.enq)
	}
	for _, p := range r.profiles {
		var serves [numChannels]bool
		any := false
		for _, e := range p.entries {
			if e.QueueID == queueID && (ch == "" || e.Channel == ch) {
				serves[e.Channel.index()] = true
				any = true
			}
		}
		if !any {
			continue
		}
		for _, a := range p.agents {
			act := a.activity()
			if a.status.Type != StatusOffline {
				m.AgentsOnline++
			}
			for i, c := range channels() {
				if serves[i] && r.canTake(a, c) {
					m.AgentsAvailable++
					break
				}
			}
			if a.status.Type == StatusRoutable || len(a.held) > 0 || len(a.acw) > 0 {
				m.AgentsStaffed++
			}
			switch act {
			case ActivityOnContact:
				m.AgentsOnContact++
			case ActivityAfterContactWork:
				m.AgentsAfterContactWork++
			case ActivityCustom:
				m.AgentsNonProductive++
			}
			if a.missed {
				m.AgentsMissed++
			}
		}
	}
	return m, nil
}

// IsOpen reports whether hours of operation hoursID are open at t (CheckHoursOfOperation).
// Errors: ResourceNotFoundException.
func (r *Router) IsOpen(hoursID string, t time.Time) (bool, error) {
	h := r.hours[hoursID]
	if h == nil {
		return false, fmt.Errorf("check hours: %w", apierr.NotFound("hours of operation", hoursID))
	}
	return h.IsOpen(t), nil
}

// QueueOpen reports whether queue queueID's hours are open at t; a queue without hours is
// always open. Errors: ResourceNotFoundException for the queue or its hours.
func (r *Router) QueueOpen(queueID string, t time.Time) (bool, error) {
	q := r.queues[queueID]
	if q == nil {
		return false, fmt.Errorf("check queue hours: %w", apierr.NotFound("queue", queueID))
	}
	if q.def.HoursOfOperationID == "" {
		return true, nil
	}
	return r.IsOpen(q.def.HoursOfOperationID, t)
}

// Now returns the router's time: the latest clock reading or Tick argument it has seen.
func (r *Router) Now() time.Time { return r.now }
