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
	// Slots are the agent's slots on each channel its routing profile handles, in VOICE,
	// CHAT, TASK order (GetCurrentUserData's MaxSlotsByChannel, ActiveSlotsByChannel,
	// AvailableSlotsByChannel).
	Slots []ChannelSlots
}

// ChannelSlots are an agent's slots on one channel: Max is the routing profile's
// concurrency, Active the contacts offered, connected or in after-contact work, Available the
// free slots when the agent can be offered a contact on the channel now (else 0).
type ChannelSlots struct {
	Channel                Channel
	Max, Active, Available int
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

// viewOf is a's view with its slots, which need the router (canTake).
func (r *Router) viewOf(a *agent) AgentView {
	v := a.view()
	if a.prof == nil {
		return v
	}
	for i, c := range channels() {
		if a.prof.conc[i] == 0 {
			continue
		}
		s := ChannelSlots{Channel: c, Max: a.prof.conc[i], Active: a.load[i]}
		if r.canTake(a, c) {
			s.Available = a.prof.conc[i] - a.load[i]
		}
		v.Slots = append(v.Slots, s)
	}
	return v
}

// Agent returns an agent's state. Errors: ResourceNotFoundException.
func (r *Router) Agent(agentID string) (AgentView, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return AgentView{}, fmt.Errorf("get agent: %w", err)
	}
	return r.viewOf(a), nil
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

// QueueMetrics is the current state of one or more queues, for GetCurrentMetricData and the
// CheckMetricData and GetMetricData flow actions (Connect's "Real-time metrics definitions").
type QueueMetrics struct {
	// ContactsInQueue counts the contacts waiting or being offered (CONTACTS_IN_QUEUE).
	ContactsInQueue int
	// OldestContactAge is the time in queue of the oldest waiting contact at the router's
	// time, 0 when none waits (OLDEST_CONTACT_AGE).
	OldestContactAge time.Duration
	// The agent counts cover the agents whose routing profile has one of the queues on one of
	// the channels asked for, each agent counted once:
	//   - AgentsOnline: status not OFFLINE (AGENTS_ONLINE);
	//   - AgentsAvailable: can be offered a contact from the queues now (AGENTS_AVAILABLE);
	//   - AgentsStaffed: status ROUTABLE, or holding a contact or in after-contact work
	//     (AGENTS_STAFFED);
	//   - AgentsOnContact, AgentsAfterContactWork, AgentsNonProductive (custom status, idle):
	//     by Activity (AGENTS_ON_CONTACT, AGENTS_AFTER_CONTACT_WORK, AGENTS_NON_PRODUCTIVE);
	//   - AgentsMissed: missed an offer and not yet set a status (Connect's agents in Error,
	//     AGENTS_ERROR).
	AgentsOnline, AgentsAvailable, AgentsStaffed int
	AgentsOnContact, AgentsAfterContactWork      int
	AgentsMissed, AgentsNonProductive            int
	// SlotsActive counts the contacts those agents hold on the channels asked for (offered,
	// connected or in after-contact work; SLOTS_ACTIVE). SlotsAvailable counts the free slots
	// on those channels of the agents who can be offered a contact on them now
	// (SLOTS_AVAILABLE).
	SlotsActive, SlotsAvailable int
}

// MetricsQuery selects what Metrics covers: the standard queues (at least one) and the
// channels (none means all three).
type MetricsQuery struct {
	Queues   []string
	Channels []Channel
}

// QueueMetrics returns the metrics of queue queueID, for all channels when ch is empty.
// Errors: as Metrics.
func (r *Router) QueueMetrics(queueID string, ch Channel) (QueueMetrics, error) {
	q := MetricsQuery{Queues: []string{queueID}}
	if ch != "" {
		q.Channels = []Channel{ch}
	}
	return r.Metrics(q)
}

// Metrics returns the current metrics of the queues and channels of q, at the router's time.
// Contacts are summed over the queues and channels; an agent who serves several of them is
// counted once. Errors: ResourceNotFoundException for an unknown queue,
// InvalidParameterException for an unknown channel or no queue.
func (r *Router) Metrics(q MetricsQuery) (QueueMetrics, error) {
	if len(q.Queues) == 0 {
		return QueueMetrics{}, fmt.Errorf("queue metrics: %w", apierr.InvalidParameter("at least one queue is required"))
	}
	var want [numChannels]bool
	if len(q.Channels) == 0 {
		want = [numChannels]bool{true, true, true}
	}
	for _, ch := range q.Channels {
		if err := checkChannel(ch); err != nil {
			return QueueMetrics{}, fmt.Errorf("queue metrics: %w", err)
		}
		want[ch.index()] = true
	}
	queues := make(map[string]bool, len(q.Queues))
	var m QueueMetrics
	var oldest *contact
	for _, id := range q.Queues {
		qs := r.queues[id]
		if qs == nil {
			return QueueMetrics{}, fmt.Errorf("queue metrics: %w", apierr.NotFound("queue", id))
		}
		if queues[id] {
			continue
		}
		queues[id] = true
		for i, c := range channels() {
			if !want[i] {
				continue
			}
			m.ContactsInQueue += qs.perCh[i]
			if wq := r.waits[qcKey{id, c}]; wq != nil {
				if o := wq.oldest(); o != nil && (oldest == nil || o.enq.Before(oldest.enq)) {
					oldest = o
				}
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
			if queues[e.QueueID] && want[e.Channel.index()] {
				serves[e.Channel.index()] = true
				any = true
			}
		}
		if !any {
			continue
		}
		for _, a := range p.agents {
			r.countAgent(&m, a, serves)
		}
	}
	return m, nil
}

// countAgent adds agent a, who serves the channels marked in serves, to m.
func (r *Router) countAgent(m *QueueMetrics, a *agent, serves [numChannels]bool) {
	if a.status.Type != StatusOffline {
		m.AgentsOnline++
	}
	available := false
	for i, c := range channels() {
		if !serves[i] {
			continue
		}
		m.SlotsActive += a.load[i]
		if r.canTake(a, c) {
			available = true
			m.SlotsAvailable += a.prof.conc[i] - a.load[i]
		}
	}
	if available {
		m.AgentsAvailable++
	}
	if a.status.Type == StatusRoutable || len(a.held) > 0 || len(a.acw) > 0 {
		m.AgentsStaffed++
	}
	switch a.activity() {
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

// AgentFilter selects agents for Agents. Each non-empty list must match: the agent's ID is in
// AgentIDs, its routing profile in RoutingProfileIDs, its routing profile serves one of
// QueueIDs (on any channel). The zero filter selects every agent.
type AgentFilter struct {
	AgentIDs, RoutingProfileIDs, QueueIDs []string
}

// Agents returns the state of the agents the router knows that f selects, by agent ID.
func (r *Router) Agents(f AgentFilter) []AgentView {
	in := func(list []string) map[string]bool {
		if len(list) == 0 {
			return nil
		}
		m := make(map[string]bool, len(list))
		for _, v := range list {
			m[v] = true
		}
		return m
	}
	ids, profiles, queues := in(f.AgentIDs), in(f.RoutingProfileIDs), in(f.QueueIDs)
	var out []AgentView
	for _, a := range r.agents {
		if ids != nil && !ids[a.id] {
			continue
		}
		if profiles != nil && (a.prof == nil || !profiles[a.prof.def.ID]) {
			continue
		}
		if queues != nil {
			serves := false
			if a.prof != nil {
				for _, e := range a.prof.entries {
					serves = serves || queues[e.QueueID]
				}
			}
			if !serves {
				continue
			}
		}
		out = append(out, r.viewOf(a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
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
