package routing

import (
	"fmt"
	"sort"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// PutHours creates or replaces hours of operation. Errors: InvalidParameterException from
// Compile. Queues refer to hours by ID; replacing hours changes what IsOpen answers for them.
func (r *Router) PutHours(h Hours) error {
	c, err := Compile(h)
	if err != nil {
		return fmt.Errorf("put hours: %w", err)
	}
	r.hours[h.ID] = c
	return nil
}

// PutQueue creates a queue or updates one (UpdateQueueMaxContacts, UpdateQueueStatus,
// UpdateQueueHoursOfOperation in the Connect API). Lowering MaxContacts below the number of
// contacts in the queue removes none of them; it only refuses new ones. Errors:
// InvalidParameterException for a bad field, ResourceNotFoundException for unknown hours.
func (r *Router) PutQueue(q Queue) error {
	if err := q.Normalise(); err != nil {
		return fmt.Errorf("put queue: %w", err)
	}
	if q.HoursOfOperationID != "" && r.hours[q.HoursOfOperationID] == nil {
		return fmt.Errorf("put queue %q: %w", q.ID, apierr.NotFound("hours of operation", q.HoursOfOperationID))
	}
	if s := r.queues[q.ID]; s != nil {
		s.def = q
		return nil
	}
	r.queues[q.ID] = &queueState{def: q}
	return nil
}

// PutRoutingProfile creates a routing profile or replaces one (UpdateRoutingProfileQueues,
// UpdateRoutingProfileConcurrency, UpdateRoutingProfileDefaultOutboundQueue). Agents with the
// profile take the new entries at once; contacts they already hold stay with them even when
// the new concurrency is lower (they just get no more until below it). Errors:
// InvalidParameterException for a bad field (limits in ProfileQueue and MediaConcurrency),
// ResourceNotFoundException for an unknown queue.
func (r *Router) PutRoutingProfile(p RoutingProfile) ([]Event, error) {
	r.begin()
	if err := p.Check(func(id string) bool { return r.queues[id] != nil }); err != nil {
		return r.finish(), fmt.Errorf("put routing profile: %w", err)
	}
	np := &profile{def: p, agents: map[string]*agent{}}
	for _, m := range p.MediaConcurrencies {
		i := m.Channel.index()
		np.conc[i] = m.Concurrency
		np.cross[i] = m.CrossChannelBehavior
		if np.cross[i] == "" {
			np.cross[i] = RouteCurrentChannelOnly
		}
	}
	np.entries = append([]ProfileQueue(nil), p.Queues...)
	sort.SliceStable(np.entries, func(i, j int) bool { return np.entries[i].Priority < np.entries[j].Priority })
	old := r.profiles[p.ID]
	r.profiles[p.ID] = np
	if old != nil {
		var as []*agent
		for _, a := range old.agents {
			r.attachProfile(a, np)
			r.touch(a)
			as = append(as, a)
		}
		r.settle(as)
	}
	return r.finish(), nil
}

// EnqueueRequest puts a contact into a standard queue or an agent queue (the Connect flow
// actions TransferContactToQueue and TransferContactToAgent, or StartTaskContact with a
// queue).
type EnqueueRequest struct {
	// ContactID identifies the contact; it must not be in the router already.
	ContactID string
	Channel   Channel
	// QueueID is the standard queue; ignored when AgentID is set.
	QueueID string
	// AgentID, when set, puts the contact in that agent's agent queue: it is offered to that
	// agent only, ahead of the agent's standard queues. The agent must be known (logged in at
	// least once, or restored).
	AgentID string
	// Priority is the contact's routing priority in its queue, ≥ 1, 1 first; 0 means
	// DefaultContactPriority (5).
	Priority int
	// EnqueuedAt is the contact's time in queue starts, for a contact that keeps an earlier
	// age; zero means now.
	EnqueuedAt time.Time
}

// Enqueue puts a contact in a queue and offers it at once when an eligible agent can take it.
// Errors: InvalidParameterException (bad channel, priority < 0, missing ID),
// DuplicateResourceException (contact already in the router), ResourceNotFoundException
// (queue or agent), InvalidRequestException (queue DISABLED), and
// ServiceQuotaExceededException with a QueueAtCapacity event when the queue holds MaxContacts.
func (r *Router) Enqueue(req EnqueueRequest) ([]Event, error) {
	r.begin()
	if err := r.enqueue(req); err != nil {
		return r.finish(), fmt.Errorf("enqueue contact %q: %w", req.ContactID, err)
	}
	return r.finish(), nil
}

func (r *Router) enqueue(req EnqueueRequest) error {
	if req.ContactID == "" {
		return apierr.InvalidParameter("contact ID is required")
	}
	if err := checkChannel(req.Channel); err != nil {
		return err
	}
	if req.Priority < 0 {
		return apierr.InvalidParameter(fmt.Sprintf("priority must be ≥ 1, got %d", req.Priority))
	}
	if r.contacts[req.ContactID] != nil {
		return &apierr.Error{Code: apierr.CodeDuplicateResource, Message: "contact already queued: " + req.ContactID}
	}
	c := &contact{id: req.ContactID, ch: req.Channel, priority: req.Priority, enq: req.EnqueuedAt, heapIdx: -1}
	if c.priority == 0 {
		c.priority = DefaultContactPriority
	}
	if c.enq.IsZero() {
		c.enq = r.now
	}
	if err := r.target(c, req.QueueID, req.AgentID); err != nil {
		return err
	}
	c.seq = r.nextSeq()
	r.contacts[c.id] = c
	r.enterQueue(c)
	r.emit(Event{Type: EventContactQueued, ContactID: c.id, QueueID: c.queue, AgentID: c.agentQueue, Channel: c.ch})
	r.routeContact(c)
	return nil
}

// target points c at a standard queue or an agent queue after checking it may go there.
func (r *Router) target(c *contact, queueID, agentID string) error {
	if agentID != "" {
		if r.agents[agentID] == nil {
			return apierr.NotFound("agent", agentID)
		}
		c.queue, c.agentQueue = "", agentID
		return nil
	}
	q := r.queues[queueID]
	if q == nil {
		return apierr.NotFound("queue", queueID)
	}
	if q.def.Status == QueueDisabled {
		return apierr.InvalidRequest("queue is disabled: " + queueID)
	}
	if q.def.MaxContacts > 0 && q.count >= q.def.MaxContacts {
		r.emit(Event{Type: EventQueueAtCapacity, ContactID: c.id, QueueID: queueID, Channel: c.ch})
		return &apierr.Error{Code: apierr.CodeServiceQuotaExceeded, Message: "queue at capacity: " + queueID}
	}
	c.queue, c.agentQueue = queueID, ""
	return nil
}

// IsAtCapacity reports whether err is Enqueue's or a transfer's refusal because the target
// queue is full (the "At capacity" branch of Connect's TransferContactToQueue).
func IsAtCapacity(err error) bool {
	return apierr.HasCode(err, apierr.CodeServiceQuotaExceeded)
}

func (r *Router) contact(id string) (*contact, error) {
	c := r.contacts[id]
	if c == nil {
		return nil, apierr.NotFound("contact", id)
	}
	return c, nil
}

func (r *Router) agent(id string) (*agent, error) {
	a := r.agents[id]
	if a == nil {
		return nil, apierr.NotFound("agent", id)
	}
	return a, nil
}

// RemoveContact takes a waiting or offered contact out of its queue without ending it (a flow
// moved it elsewhere; Connect's DequeueContactAndTransferToQueue is TransferToQueue instead).
// A pending offer is withdrawn (OfferWithdrawn) and the agent's slot freed. Reason is carried
// in the ContactDequeued event. Errors: ResourceNotFoundException, ResourceInUseException
// when the contact is connected (use EndContact or a transfer).
func (r *Router) RemoveContact(contactID, reason string) ([]Event, error) {
	r.begin()
	c, err := r.contact(contactID)
	if err == nil && c.state == ContactConnected {
		err = &apierr.Error{Code: apierr.CodeResourceInUse, Message: "contact is connected: " + contactID}
	}
	if err != nil {
		return r.finish(), fmt.Errorf("remove contact %q: %w", contactID, err)
	}
	queue, agentQ := c.queue, c.agentQueue
	a := r.detach(c, reason)
	delete(r.contacts, c.id)
	r.emit(Event{Type: EventContactDequeued, ContactID: c.id, QueueID: queue, AgentID: agentQ, Channel: c.ch, Reason: reason})
	if a != nil {
		r.routeAgent(a)
	}
	return r.finish(), nil
}

// EndContact ends a contact in any state: the customer hung up or the contact was
// disconnected. A waiting contact leaves its queue; an offered one has its offer withdrawn;
// a connected one frees its agent, who goes into after-contact work when the channel has some
// (Config.AfterContactWork) and is then routable again in their chosen status. Emits
// ContactEnded. Errors: ResourceNotFoundException.
func (r *Router) EndContact(contactID string) ([]Event, error) {
	r.begin()
	c, err := r.contact(contactID)
	if err != nil {
		return r.finish(), fmt.Errorf("end contact %q: %w", contactID, err)
	}
	agentID := ""
	if c.agent != nil {
		agentID = c.agent.id
	}
	queue := c.queue
	a := r.detach(c, "contact-ended")
	delete(r.contacts, c.id)
	r.emit(Event{Type: EventContactEnded, ContactID: c.id, QueueID: queue, AgentID: agentID, Channel: c.ch, Reason: "contact-ended"})
	if a != nil {
		r.routeAgent(a)
	}
	return r.finish(), nil
}

// CompleteAfterContactWork ends agent agentID's after-contact work for contactID before its
// timeout (the agent closed the contact). Errors: ResourceNotFoundException for an unknown
// agent or when the agent is not in after-contact work for that contact.
func (r *Router) CompleteAfterContactWork(agentID, contactID string) ([]Event, error) {
	r.begin()
	a, err := r.agent(agentID)
	if err == nil {
		if _, ok := a.acw[contactID]; !ok {
			err = apierr.NotFound("after-contact work", contactID)
		}
	}
	if err != nil {
		return r.finish(), fmt.Errorf("complete after-contact work: %w", err)
	}
	r.endACW(a, contactID)
	return r.finish(), nil
}

// Accept connects the offered contact to the agent (OfferAccepted, ContactConnected). It is
// idempotent: accepting an offer that was already accepted, while its contact is still
// connected, returns no events and no error. Errors: ResourceNotFoundException when the offer
// is unknown, or (LapsedError, saying when and how) expired, rejected or withdrawn.
func (r *Router) Accept(offerID string) ([]Event, error) {
	r.begin()
	o := r.offers[offerID]
	if o == nil {
		if r.accepted[offerID] != nil {
			return r.finish(), nil
		}
		var err error = apierr.NotFound("offer", offerID)
		if info, ok := r.lapsed.byID[offerID]; ok {
			err = LapsedError(info)
		}
		return r.finish(), fmt.Errorf("accept offer %q: %w", offerID, err)
	}
	c, a := o.c, o.a
	delete(r.offers, offerID)
	c.state, c.offer, c.acceptedID = ContactConnected, nil, offerID
	r.accepted[offerID] = c
	r.leaveQueueCount(c)
	oc := o.Offer
	r.emit(Event{Type: EventOfferAccepted, ContactID: c.id, AgentID: a.id, QueueID: c.queue, Channel: c.ch, Offer: &oc})
	r.emit(Event{Type: EventContactConnected, ContactID: c.id, AgentID: a.id, QueueID: c.queue, Channel: c.ch})
	r.contactsChanged(a)
	return r.finish(), nil
}

// leaveQueueCount takes an offered contact that is being connected out of its queue's count.
func (r *Router) leaveQueueCount(c *contact) {
	if q := r.queues[c.queue]; q != nil && c.agentQueue == "" {
		q.count--
		q.perCh[c.ch.index()]--
	}
}

// Reject declines an offer: the contact waits again at its original age and is offered on,
// and the agent is missed (not routable) until they set a status (Connect: "Missed" agent
// state). Errors: ResourceNotFoundException when the offer is not pending,
// InvalidRequestException when it was accepted.
func (r *Router) Reject(offerID string) ([]Event, error) {
	r.begin()
	o := r.offers[offerID]
	if o == nil {
		var err error = apierr.NotFound("offer", offerID)
		if r.accepted[offerID] != nil {
			err = apierr.InvalidRequest("offer already accepted: " + offerID)
		} else if info, ok := r.lapsed.byID[offerID]; ok {
			err = LapsedError(info)
		}
		return r.finish(), fmt.Errorf("reject offer %q: %w", offerID, err)
	}
	r.missOffer(o, EventOfferRejected)
	return r.finish(), nil
}

// AgentLogin makes an agent known to the router with a routing profile and a status, or
// updates both for a known agent. Errors: ResourceNotFoundException for the profile,
// InvalidParameterException for the status.
func (r *Router) AgentLogin(agentID, profileID string, status AgentStatus) ([]Event, error) {
	r.begin()
	if err := r.login(agentID, profileID, status); err != nil {
		return r.finish(), fmt.Errorf("agent login %q: %w", agentID, err)
	}
	return r.finish(), nil
}

func (r *Router) login(agentID, profileID string, status AgentStatus) error {
	if agentID == "" {
		return apierr.InvalidParameter("agent ID is required")
	}
	p := r.profiles[profileID]
	if p == nil {
		return apierr.NotFound("routing profile", profileID)
	}
	if err := status.Check(); err != nil {
		return err
	}
	a := r.agents[agentID]
	if a == nil {
		a = &agent{id: agentID, held: map[string]*contact{}, acw: map[string]acwEntry{}, status: Offline(), lastStatus: Offline(), lastActivity: ActivityOffline}
		r.setSince(a)
		r.agents[agentID] = a
	}
	if a.prof != p {
		r.attachProfile(a, p)
	}
	r.setStatus(a, status)
	return nil
}

// AgentLogout sets the agent Offline, withdraws its pending offers (the contacts are offered
// on at their original age) and drops its after-contact work. Errors:
// ResourceNotFoundException, ResourceInUseException while the agent has a connected contact.
func (r *Router) AgentLogout(agentID string) ([]Event, error) {
	r.begin()
	a, err := r.agent(agentID)
	if err == nil {
		for _, c := range a.held {
			if c.state == ContactConnected {
				err = &apierr.Error{Code: apierr.CodeResourceInUse, Message: "agent has a connected contact: " + agentID}
				break
			}
		}
	}
	if err != nil {
		return r.finish(), fmt.Errorf("agent logout: %w", err)
	}
	for id, e := range a.acw {
		delete(a.acw, id)
		a.load[e.ch.index()]--
		r.contactsChanged(a)
	}
	r.setStatus(a, Offline())
	return r.finish(), nil
}

// SetAgentStatus sets the status an agent chose (Connect's PutUserStatus). It clears the missed
// state. Setting a routable status makes the agent available from now; setting OFFLINE
// withdraws pending offers (their contacts are offered on); a custom status leaves pending
// offers for the agent to answer. Contacts the agent holds are not affected. Errors:
// ResourceNotFoundException, InvalidParameterException.
func (r *Router) SetAgentStatus(agentID string, status AgentStatus) ([]Event, error) {
	r.begin()
	a, err := r.agent(agentID)
	if err == nil {
		err = status.Check()
	}
	if err != nil {
		return r.finish(), fmt.Errorf("set agent status: %w", err)
	}
	r.setStatus(a, status)
	return r.finish(), nil
}

func (r *Router) setStatus(a *agent, status AgentStatus) {
	wasRoutable := a.status.Type == StatusRoutable && !a.missed
	a.status, a.missed = status, false
	if status.Type == StatusRoutable && !wasRoutable {
		r.setSince(a)
	}
	var back []*contact
	if status.Type == StatusOffline {
		for _, c := range sortedHeld(a) {
			if c.state == ContactOffered {
				r.unoffer(c, EventOfferWithdrawn, "agent-offline")
				back = append(back, c)
			}
		}
	}
	r.reindex(a)
	r.touch(a)
	r.routeReturned(back)
	r.routeAgent(a)
}

func sortedHeld(a *agent) []*contact {
	cs := make([]*contact, 0, len(a.held))
	for _, c := range a.held {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	return cs
}

// SetAgentRoutingProfile gives an agent another routing profile (Connect's
// UpdateUserRoutingProfile). Contacts the agent holds stay. Errors:
// ResourceNotFoundException for the agent or the profile.
func (r *Router) SetAgentRoutingProfile(agentID, profileID string) ([]Event, error) {
	r.begin()
	a, err := r.agent(agentID)
	var p *profile
	if err == nil {
		if p = r.profiles[profileID]; p == nil {
			err = apierr.NotFound("routing profile", profileID)
		}
	}
	if err != nil {
		return r.finish(), fmt.Errorf("set agent routing profile: %w", err)
	}
	r.attachProfile(a, p)
	r.touch(a)
	r.routeAgent(a)
	return r.finish(), nil
}

// TransferToQueue moves a contact to standard queue queueID with a fresh time in queue (a
// transfer starts a new wait, as Connect's queue transfer creates a new contact in the target
// queue). A waiting contact leaves its queue; an offered one has its offer withdrawn; a
// connected one leaves its agent, who goes into after-contact work as on EndContact. The
// contact keeps its priority. Errors: ResourceNotFoundException, InvalidRequestException
// (queue DISABLED), ServiceQuotaExceededException with a QueueAtCapacity event.
func (r *Router) TransferToQueue(contactID, queueID string) ([]Event, error) {
	r.begin()
	if err := r.transfer(contactID, queueID, ""); err != nil {
		return r.finish(), transferError(contactID, queueID, "", err)
	}
	return r.finish(), nil
}

// TransferToAgent moves a contact to agent agentID's agent queue with a fresh time in queue,
// like TransferToQueue (Connect's TransferContactToAgent / quick connect to an agent).
// Errors: ResourceNotFoundException for the contact or the agent.
func (r *Router) TransferToAgent(contactID, agentID string) ([]Event, error) {
	r.begin()
	if err := r.transfer(contactID, "", agentID); err != nil {
		return r.finish(), transferError(contactID, "", agentID, err)
	}
	return r.finish(), nil
}

// CheckTransfer answers whether TransferToQueue (agentID empty) or TransferToAgent (queueID
// empty) would move the contact now, with the error either would return, and changes nothing
// of the contact, its queue or its agent. A refusal because the queue is full emits
// QueueAtCapacity, as the transfer does. A caller that stores a transfer before the router
// applies it checks first, so that only what changes in between makes the router refuse.
func (r *Router) CheckTransfer(contactID, queueID, agentID string) ([]Event, error) {
	r.begin()
	if _, _, err := r.checkTransfer(contactID, queueID, agentID); err != nil {
		return r.finish(), transferError(contactID, queueID, agentID, err)
	}
	return r.finish(), nil
}

func transferError(contactID, queueID, agentID string, err error) error {
	if agentID != "" {
		return fmt.Errorf("transfer contact %q to agent %q: %w", contactID, agentID, err)
	}
	return fmt.Errorf("transfer contact %q to queue %q: %w", contactID, queueID, err)
}

// checkTransfer returns the contact and a probe that holds its target queue, or why the
// target refuses it.
func (r *Router) checkTransfer(contactID, queueID, agentID string) (*contact, *contact, error) {
	c, err := r.contact(contactID)
	if err != nil {
		return nil, nil, err
	}
	// Check the target with the contact out of its current queue's count, then put it back.
	probe := &contact{id: c.id, ch: c.ch}
	wasCounted := c.state != ContactConnected && c.agentQueue == "" && c.queue == queueID && agentID == ""
	if wasCounted {
		r.queues[queueID].count--
	}
	err = r.target(probe, queueID, agentID)
	if wasCounted {
		r.queues[queueID].count++
	}
	if err != nil {
		return nil, nil, err
	}
	return c, probe, nil
}

func (r *Router) transfer(contactID, queueID, agentID string) error {
	c, probe, err := r.checkTransfer(contactID, queueID, agentID)
	if err != nil {
		return err
	}
	oldQueue, oldAgentQ := c.queue, c.agentQueue
	a := r.detach(c, "transfer")
	if oldQueue != "" || oldAgentQ != "" {
		if c.state != ContactConnected {
			r.emit(Event{Type: EventContactDequeued, ContactID: c.id, QueueID: oldQueue, AgentID: oldAgentQ, Channel: c.ch, Reason: "transfer"})
		}
	}
	c.queue, c.agentQueue = probe.queue, probe.agentQueue
	c.enq, c.seq = r.now, r.nextSeq()
	r.enterQueue(c)
	r.emit(Event{Type: EventContactQueued, ContactID: c.id, QueueID: c.queue, AgentID: c.agentQueue, Channel: c.ch, Reason: "transfer"})
	if a != nil {
		r.routeAgent(a) // the freed agent first: it may have an older contact waiting
	}
	r.routeContact(c)
	return nil
}

// UpdatePriority sets a contact's routing priority (≥ 1, 1 first; Connect's
// UpdateContactRoutingData QueuePriority and the flow action UpdateContactRoutingBehavior).
// For an offered or connected contact it applies if the contact waits again. Errors:
// ResourceNotFoundException, InvalidParameterException.
func (r *Router) UpdatePriority(contactID string, priority int) ([]Event, error) {
	r.begin()
	c, err := r.contact(contactID)
	if err == nil && priority < 1 {
		err = apierr.InvalidParameter(fmt.Sprintf("priority must be ≥ 1, got %d", priority))
	}
	if err != nil {
		return r.finish(), fmt.Errorf("update priority: %w", err)
	}
	if c.state == ContactQueued {
		wq := r.waitQueueOf(c)
		wq.remove(c)
		c.priority = priority
		wq.push(c)
	} else {
		c.priority = priority
	}
	return r.finish(), nil
}

// UpdateAge adjusts a contact's time in queue by adjust (Connect's QueueTimeAdjustmentSeconds:
// positive makes the contact older, so it is routed sooner and passes routing-profile delays
// sooner; negative makes it younger). Errors: ResourceNotFoundException.
func (r *Router) UpdateAge(contactID string, adjust time.Duration) ([]Event, error) {
	r.begin()
	c, err := r.contact(contactID)
	if err != nil {
		return r.finish(), fmt.Errorf("update age: %w", err)
	}
	if c.state == ContactQueued {
		wq := r.waitQueueOf(c)
		wq.remove(c)
		c.enq = c.enq.Add(-adjust)
		wq.push(c)
		r.routeContact(c)
	} else {
		c.enq = c.enq.Add(-adjust)
	}
	return r.finish(), nil
}

// Tick advances router time to now (never backwards) and handles every deadline that passed:
// offers expire (OfferExpired; the agent is missed), after-contact work ends, and contacts
// whose routing-profile delay elapsed are offered. Call it at NextDeadline, or periodically.
func (r *Router) Tick(now time.Time) []Event {
	r.advance(now)
	return r.finish()
}

// NextDeadline returns the earliest time at which Tick has something to do, and false when
// nothing is pending. It may be early (a deadline that no longer applies), never late.
func (r *Router) NextDeadline() (time.Time, bool) {
	var next time.Time
	ok := false
	if len(r.timers) > 0 {
		next, ok = r.timers[0].at, true
	}
	for _, g := range r.delayed {
		if len(g.h) == 0 {
			continue
		}
		if o := g.wq.oldest(); o != nil {
			if t := o.enq.Add(g.key.delay); !ok || t.Before(next) {
				next, ok = t, true
			}
		}
	}
	return next, ok
}
