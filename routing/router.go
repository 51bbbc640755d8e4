package routing

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sort"
	"time"
)

// Config configures a Router. The zero Config is usable: wall clock, random offer IDs, 20 s
// offers and no after-contact work.
type Config struct {
	// Clock returns the current time; commands read it once each. Nil means time.Now. The
	// router never lets its time go backwards: a reading earlier than the last one is ignored.
	Clock func() time.Time
	// NewID returns a fresh offer ID, unique for the life of the instance (offer IDs outlive a
	// Restore, so a counter that restarts is not enough). Nil means 128 random bits in hex.
	NewID func() string
	// OfferTimeout is how long an offer waits for Accept, per channel; a missing or
	// non-positive entry means DefaultOfferTimeout (20 s, Connect's chat offer time).
	OfferTimeout map[Channel]time.Duration
	// AfterContactWork is the after-contact work time per channel: after EndContact the
	// agent's slot stays taken for this long, or until CompleteAfterContactWork. A missing or
	// non-positive entry means no after-contact work: the slot is freed at once.
	AfterContactWork map[Channel]time.Duration
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Router is the routing state machine of one instance. It is not safe for concurrent use:
// one logical writer calls it (see Loop). Every command method returns the events it caused,
// including those of deadlines that passed before it ran (expired offers, ended after-contact
// work, contacts whose routing-profile delay elapsed); events are returned even when the
// command itself fails.
type Router struct {
	cfg Config
	now time.Time
	seq uint64

	hours    map[string]*CompiledHours
	queues   map[string]*queueState
	profiles map[string]*profile
	agents   map[string]*agent
	contacts map[string]*contact
	offers   map[string]*offer
	accepted map[string]*contact // accepted offer ID → connected contact, for idempotent Accept
	lapsed   lapsedOffers        // offers that expired, were rejected or withdrawn, most recent

	waits      map[qcKey]*waitQueue
	groups     map[groupKey]*agentGroup
	groupsByQC map[qcKey][]*agentGroup // ascending delay
	delayed    []*agentGroup           // groups with a delay > 0
	timers     timerHeap

	ev      []Event
	touched []*agent
}

type qcKey struct {
	queue string
	ch    Channel
}

type queueState struct {
	def   Queue
	count int // contacts queued or offered, all channels
	perCh [numChannels]int
}

type profile struct {
	def     RoutingProfile
	conc    [numChannels]int
	cross   [numChannels]CrossChannelBehavior
	entries []ProfileQueue // ascending priority
	agents  map[string]*agent
}

type acwEntry struct {
	ch    Channel
	until time.Time
}

type agent struct {
	id       string
	prof     *profile
	status   AgentStatus
	missed   bool
	since    time.Time
	sinceSeq uint64
	load     [numChannels]int // offered + connected + after-contact work
	held     map[string]*contact
	acw      map[string]acwEntry
	entries  []*agentEntry
	personal [numChannels]*waitQueue // the agent queue, per channel

	lastActivity Activity
	lastStatus   AgentStatus
	lastMissed   bool
	// contactsChanged is set when held or acw changed during the command (a contact offered,
	// connected, released, its after-contact work begun or ended).
	contactsChanged bool
	touched         bool
}

type contact struct {
	id         string
	ch         Channel
	queue      string // standard queue; empty when in an agent queue
	agentQueue string // agent ID of the agent queue
	priority   int
	enq        time.Time // effective enqueue time (age adjustments applied)
	seq        uint64
	state      ContactState
	agent      *agent
	offer      *offer
	acceptedID string

	bucket  *bucket
	heapIdx int
}

type offer struct {
	Offer
	c *contact
	a *agent
}

// New returns an empty Router. Load definitions with PutHours, PutQueue and
// PutRoutingProfile, or rebuild one with Restore.
func New(cfg Config) *Router {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	return &Router{
		cfg:        cfg,
		hours:      map[string]*CompiledHours{},
		queues:     map[string]*queueState{},
		profiles:   map[string]*profile{},
		agents:     map[string]*agent{},
		contacts:   map[string]*contact{},
		offers:     map[string]*offer{},
		accepted:   map[string]*contact{},
		waits:      map[qcKey]*waitQueue{},
		groups:     map[groupKey]*agentGroup{},
		groupsByQC: map[qcKey][]*agentGroup{},
	}
}

func (r *Router) offerTimeout(ch Channel) time.Duration {
	if d := r.cfg.OfferTimeout[ch]; d > 0 {
		return d
	}
	return DefaultOfferTimeout
}

func (r *Router) nextSeq() uint64 {
	r.seq++
	return r.seq
}

// begin starts a command at the clock's time: it runs due deadlines first.
func (r *Router) begin() { r.advance(r.cfg.Clock()) }

// advance moves router time to now (never backwards), fires due timers and offers contacts
// whose routing-profile delay has elapsed.
//
// Deadlines are handled in time order: before each timer, router time moves to the timer's
// time and delayed contacts that became eligible by then are offered first, so that a contact
// whose delay elapsed earlier is not overtaken by one an expiry put back later.
func (r *Router) advance(now time.Time) {
	for len(r.timers) > 0 && !r.timers[0].at.After(now) {
		t := r.timers.pop()
		if t.at.After(r.now) {
			r.now = t.at
			r.mature()
		}
		if t.offerID != "" {
			if o := r.offers[t.offerID]; o != nil && o.ExpiresAt.Equal(t.at) {
				r.missOffer(o, EventOfferExpired)
			}
			continue
		}
		if a := r.agents[t.agentID]; a != nil {
			if e, ok := a.acw[t.contact]; ok && e.until.Equal(t.at) {
				r.endACW(a, t.contact)
			}
		}
	}
	if now.After(r.now) {
		r.now = now
	}
	r.mature()
}

// mature offers the contacts that became eligible for delayed profile entries.
func (r *Router) mature() {
	for _, g := range r.delayed {
		wq := g.wq
		for len(g.h) > 0 && wq.n > 0 && wq.best(r.now.Add(-g.key.delay), true) != nil {
			n := len(r.ev)
			r.routeAgent(g.h[0].a)
			if len(r.ev) == n {
				break
			}
		}
	}
}

// finish emits AgentStateChanged for every agent whose status, activity, offered or
// connected contacts or after-contact work changed during the command, and hands the events
// to the caller.
func (r *Router) finish() []Event {
	for _, a := range r.touched {
		a.touched = false
		act := a.activity()
		if act != a.lastActivity || a.status != a.lastStatus || a.missed != a.lastMissed || a.contactsChanged {
			a.lastActivity, a.lastStatus, a.lastMissed, a.contactsChanged = act, a.status, a.missed, false
			v := a.view()
			r.emit(Event{Type: EventAgentStateChanged, AgentID: a.id, Agent: &v})
		}
	}
	r.touched = r.touched[:0]
	ev := r.ev
	r.ev = nil
	return ev
}

func (r *Router) emit(e Event) {
	e.At = r.now
	r.ev = append(r.ev, e)
}

// contactsChanged notes that agent a's offered, connected or after-contact work contacts
// changed: finish reports its state even when its activity stays the same.
func (r *Router) contactsChanged(a *agent) {
	a.contactsChanged = true
	r.touch(a)
}

func (r *Router) touch(a *agent) {
	if !a.touched {
		a.touched = true
		r.touched = append(r.touched, a)
	}
}

func (a *agent) activity() Activity {
	connected, offered := false, false
	for _, c := range a.held {
		if c.state == ContactConnected {
			connected = true
		} else {
			offered = true
		}
	}
	switch {
	case connected:
		return ActivityOnContact
	case offered:
		return ActivityIncoming
	case len(a.acw) > 0:
		return ActivityAfterContactWork
	case a.missed:
		return ActivityMissed
	case a.status.Type == StatusRoutable:
		return ActivityAvailable
	case a.status.Type == StatusCustom:
		return ActivityCustom
	}
	return ActivityOffline
}

// canTake reports whether agent a may be offered a contact on channel ch now: status
// routable, not missed, the profile handles ch with a free slot, no voice contact held, and
// every other channel the agent holds contacts on allows cross-channel routing.
func (r *Router) canTake(a *agent, ch Channel) bool {
	if a.prof == nil || a.missed || a.status.Type != StatusRoutable {
		return false
	}
	i := ch.index()
	if a.load[i] >= a.prof.conc[i] {
		return false
	}
	for j, n := range a.load {
		if j == i || n == 0 {
			continue
		}
		if j == 0 || a.prof.cross[j] != RouteAnyChannel { // 0 is VOICE
			return false
		}
	}
	return true
}

func (r *Router) setSince(a *agent) {
	a.since = r.now
	a.sinceSeq = r.nextSeq()
}

// reindex puts agent a into, or takes it out of, the availability groups of its profile
// entries, and reorders it after its available-since time changed.
func (r *Router) reindex(a *agent) {
	var can [numChannels]bool
	for i, ch := range channels() {
		can[i] = r.canTake(a, ch)
	}
	for _, e := range a.entries {
		want := can[e.g.key.ch.index()]
		switch {
		case want && e.pos < 0:
			e.g.push(e)
		case !want && e.pos >= 0:
			e.g.remove(e)
		case want:
			e.g.fix(e)
		}
	}
}

func (r *Router) waitFor(k qcKey) *waitQueue {
	wq := r.waits[k]
	if wq == nil {
		wq = &waitQueue{}
		r.waits[k] = wq
	}
	return wq
}

func (r *Router) group(k groupKey) *agentGroup {
	g := r.groups[k]
	if g != nil {
		return g
	}
	qc := qcKey{k.queue, k.ch}
	g = &agentGroup{key: k, wq: r.waitFor(qc)}
	r.groups[k] = g
	gs := append(r.groupsByQC[qc], g)
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].key.delay < gs[j].key.delay })
	r.groupsByQC[qc] = gs
	if k.delay > 0 {
		r.delayed = append(r.delayed, g)
	}
	return g
}

// attachProfile replaces agent a's profile entries with those of p (nil detaches).
func (r *Router) attachProfile(a *agent, p *profile) {
	for _, e := range a.entries {
		if e.pos >= 0 {
			e.g.remove(e)
		}
	}
	a.entries = a.entries[:0]
	if a.prof != nil {
		delete(a.prof.agents, a.id)
	}
	a.prof = p
	if p == nil {
		return
	}
	p.agents[a.id] = a
	for _, q := range p.entries {
		d := time.Duration(q.DelaySeconds) * time.Second
		g := r.group(groupKey{queue: q.QueueID, ch: q.Channel, delay: d})
		a.entries = append(a.entries, &agentEntry{a: a, g: g, priority: q.Priority, delay: d, pos: -1})
	}
	r.reindex(a)
}

// waitQueueOf returns the wait queue contact c belongs in.
func (r *Router) waitQueueOf(c *contact) *waitQueue {
	i := c.ch.index()
	if c.agentQueue != "" {
		a := r.agents[c.agentQueue]
		if a.personal[i] == nil {
			a.personal[i] = &waitQueue{}
		}
		return a.personal[i]
	}
	return r.waitFor(qcKey{c.queue, c.ch})
}

// enterQueue counts c in its queue and makes it wait.
func (r *Router) enterQueue(c *contact) {
	c.state = ContactQueued
	if q := r.queues[c.queue]; q != nil && c.agentQueue == "" {
		q.count++
		q.perCh[c.ch.index()]++
	}
	r.waitQueueOf(c).push(c)
}

// leaveQueue takes a queued or offered contact out of its queue's count (and out of its wait
// queue when it is waiting).
func (r *Router) leaveQueue(c *contact) {
	if c.state == ContactQueued {
		r.waitQueueOf(c).remove(c)
	}
	if q := r.queues[c.queue]; q != nil && c.agentQueue == "" {
		q.count--
		q.perCh[c.ch.index()]--
	}
}

// bestFor returns the contact agent a should be offered next, or nil: its agent queue first
// (priority, then age), then its profile entries by profile priority, then age, each entry
// considering only contacts that have waited at least the entry's delay.
func (r *Router) bestFor(a *agent) *contact {
	var can [numChannels]bool
	anyCh := false
	for i, ch := range channels() {
		can[i] = r.canTake(a, ch)
		anyCh = anyCh || can[i]
	}
	if !anyCh {
		return nil
	}
	var best *contact
	for i, wq := range a.personal {
		if wq == nil || wq.n == 0 || !can[i] {
			continue
		}
		c := wq.best(time.Time{}, false)
		if c != nil && (best == nil || c.priority < best.priority || (c.priority == best.priority && older(c, best))) {
			best = c
		}
	}
	if best != nil {
		return best
	}
	bestPrio := 0
	for _, e := range a.entries {
		if best != nil && e.priority > bestPrio {
			break
		}
		if !can[e.g.key.ch.index()] {
			continue
		}
		wq := e.g.wq
		if wq.n == 0 {
			continue
		}
		// Entries without delay take any waiting contact, even one whose age was adjusted
		// into the future.
		c := wq.best(r.now.Add(-e.delay), e.delay > 0)
		if c != nil && (best == nil || older(c, best)) {
			best, bestPrio = c, e.priority
		}
	}
	return best
}

// routeAgent offers agent a contacts until it has no free slot or nothing is eligible.
func (r *Router) routeAgent(a *agent) {
	for {
		c := r.bestFor(a)
		if c == nil {
			return
		}
		r.makeOffer(c, a)
	}
}

// routeContact offers the waiting contact c to the eligible agent available longest, if any.
// Correct because the router is settled before c arrived: every agent that can take a contact
// now has no other eligible contact, so c is the only candidate for each of them.
func (r *Router) routeContact(c *contact) {
	if c.state != ContactQueued {
		return
	}
	if a := r.bestAgentFor(c); a != nil {
		r.makeOffer(c, a)
	}
}

// routeReturned routes several contacts that came back at once (an agent went offline with
// offers pending). Each is routed from the agent side, so that an agent eligible for several
// of them takes them in its own order (agent queue, profile priority, then age).
func (r *Router) routeReturned(cs []*contact) {
	for _, c := range cs {
		for c.state == ContactQueued {
			a := r.bestAgentFor(c)
			if a == nil {
				break
			}
			n := len(r.ev)
			r.routeAgent(a)
			if len(r.ev) == n {
				break
			}
		}
	}
}

// bestAgentFor returns the agent available longest among those that can take waiting contact
// c now, or nil.
func (r *Router) bestAgentFor(c *contact) *agent {
	if c.agentQueue != "" {
		if a := r.agents[c.agentQueue]; r.canTake(a, c.ch) {
			return a
		}
		return nil
	}
	waited := r.now.Sub(c.enq)
	var best *agent
	for _, g := range r.groupsByQC[qcKey{c.queue, c.ch}] {
		if g.key.delay > 0 && g.key.delay > waited {
			break
		}
		if len(g.h) > 0 && (best == nil || availableBefore(g.h[0].a, best)) {
			best = g.h[0].a
		}
	}
	return best
}

// settle routes every agent, longest available first, until nothing more can be offered.
// It is used after changes that may break the settled state (profile changes, Restore).
func (r *Router) settle(as []*agent) {
	slices.SortFunc(as, func(x, y *agent) int {
		if availableBefore(x, y) {
			return -1
		}
		if availableBefore(y, x) {
			return 1
		}
		return 0
	})
	for _, a := range as {
		r.routeAgent(a)
	}
}

func (r *Router) makeOffer(c *contact, a *agent) {
	r.waitQueueOf(c).remove(c)
	o := &offer{Offer: Offer{
		ID: r.cfg.NewID(), ContactID: c.id, AgentID: a.id, QueueID: c.queue, Channel: c.ch,
		MadeAt: r.now, ExpiresAt: r.now.Add(r.offerTimeout(c.ch)),
	}, c: c, a: a}
	c.state, c.agent, c.offer = ContactOffered, a, o
	a.held[c.id] = c
	a.load[c.ch.index()]++
	r.setSince(a)
	r.reindex(a)
	r.offers[o.ID] = o
	r.timers.push(timer{at: o.ExpiresAt, offerID: o.ID})
	oc := o.Offer
	r.emit(Event{Type: EventOfferMade, ContactID: c.id, AgentID: a.id, QueueID: c.queue, Channel: c.ch, Offer: &oc})
	r.contactsChanged(a)
}

// unoffer takes offered contact c back from its agent and makes it wait again at its original
// age. It emits typ and leaves the agent's routing to the caller.
func (r *Router) unoffer(c *contact, typ EventType, reason string) *agent {
	o, a := c.offer, c.agent
	delete(r.offers, o.ID)
	r.lapsed.add(OfferInfo{Offer: o.Offer, State: lapsedState(typ), At: r.now, Reason: reason})
	delete(a.held, c.id)
	a.load[c.ch.index()]--
	c.agent, c.offer = nil, nil
	c.state = ContactQueued
	r.waitQueueOf(c).push(c)
	oc := o.Offer
	r.emit(Event{Type: typ, ContactID: c.id, AgentID: a.id, QueueID: c.queue, Channel: c.ch, Offer: &oc, Reason: reason})
	r.contactsChanged(a)
	return a
}

// missOffer handles a rejected or expired offer: the contact waits again at its original age,
// the agent is missed (not routable until they set a status), and the contact is offered on.
func (r *Router) missOffer(o *offer, typ EventType) {
	c := o.c
	a := r.unoffer(c, typ, "")
	a.missed = true
	r.reindex(a)
	r.routeContact(c)
}

// releaseConnected ends agent a's part in connected contact c: after-contact work when the
// channel has some, otherwise the slot is freed. The caller routes the agent.
func (r *Router) releaseConnected(c *contact) *agent {
	a := c.agent
	delete(a.held, c.id)
	delete(r.accepted, c.acceptedID)
	c.agent, c.acceptedID = nil, ""
	if old, ok := a.acw[c.id]; ok {
		// The same contact came back to this agent (a transfer): one wrap-up replaces the other.
		delete(a.acw, c.id)
		a.load[old.ch.index()]--
	}
	if d := r.cfg.AfterContactWork[c.ch]; d > 0 {
		until := r.now.Add(d)
		a.acw[c.id] = acwEntry{ch: c.ch, until: until}
		r.timers.push(timer{at: until, agentID: a.id, contact: c.id})
	} else {
		a.load[c.ch.index()]--
		r.setSince(a)
	}
	r.reindex(a)
	r.contactsChanged(a)
	return a
}

func (r *Router) endACW(a *agent, contactID string) {
	e := a.acw[contactID]
	delete(a.acw, contactID)
	a.load[e.ch.index()]--
	r.setSince(a)
	r.reindex(a)
	r.contactsChanged(a)
	r.routeAgent(a)
}

// detach takes contact c out of the router's hold in whatever state it is, leaving it in no
// queue and with no agent. It returns the agent whose slot changed, if any.
func (r *Router) detach(c *contact, reason string) *agent {
	switch c.state {
	case ContactQueued:
		r.leaveQueue(c)
		return nil
	case ContactOffered:
		a := r.unoffer(c, EventOfferWithdrawn, reason)
		r.reindex(a)
		r.leaveQueue(c)
		return a
	default:
		return r.releaseConnected(c)
	}
}
