package routing

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"pgregory.net/rapid"
)

// propModel drives a Router with random commands and checks its invariants after each.
type propModel struct {
	clk    *fakeClock
	ids    func() string
	cfg    Config
	r      *Router
	next   int
	queues []string
	agents []string
	ev     []Event
}

func newPropModel(t *rapid.T) *propModel {
	m := &propModel{clk: &fakeClock{t: t0}, ids: seqIDs(), queues: []string{"q0", "q1", "q2"}}
	m.cfg = Config{
		Clock:            m.clk.Now,
		NewID:            m.ids,
		OfferTimeout:     map[Channel]time.Duration{ChannelChat: 10 * time.Second, ChannelVoice: 8 * time.Second},
		AfterContactWork: map[Channel]time.Duration{ChannelChat: time.Duration(rapid.IntRange(0, 6).Draw(t, "chatACW")) * time.Second, ChannelVoice: 5 * time.Second},
	}
	m.r = New(m.cfg)
	for _, q := range m.queues {
		if err := m.r.PutQueue(Queue{ID: q, MaxContacts: rapid.IntRange(0, 8).Draw(t, "cap")}); err != nil {
			t.Fatal(err)
		}
	}
	cross := rapid.SampledFrom([]CrossChannelBehavior{RouteCurrentChannelOnly, RouteAnyChannel})
	for p := range 3 {
		prof := RoutingProfile{ID: fmt.Sprintf("p%d", p)}
		for _, ch := range channels() {
			if rapid.IntRange(0, 3).Draw(t, "handles") == 0 {
				continue
			}
			conc := 1
			if ch != ChannelVoice {
				conc = rapid.IntRange(1, 3).Draw(t, "conc")
			}
			prof.MediaConcurrencies = append(prof.MediaConcurrencies, MediaConcurrency{Channel: ch, Concurrency: conc, CrossChannelBehavior: cross.Draw(t, "cross")})
			for _, q := range m.queues {
				if rapid.IntRange(0, 3).Draw(t, "entry") > 0 {
					prof.Queues = append(prof.Queues, ProfileQueue{QueueID: q, Channel: ch, Priority: rapid.IntRange(1, 3).Draw(t, "prio"), DelaySeconds: rapid.SampledFrom([]int{0, 0, 5, 12}).Draw(t, "delay")})
				}
			}
		}
		if _, err := m.r.PutRoutingProfile(prof); err != nil {
			t.Fatal(err)
		}
	}
	n := rapid.IntRange(1, 6).Draw(t, "agents")
	for i := range n {
		id := fmt.Sprintf("a%d", i)
		m.agents = append(m.agents, id)
		st := rapid.SampledFrom([]AgentStatus{Available(), Offline()}).Draw(t, "status")
		ev, err := m.r.AgentLogin(id, fmt.Sprintf("p%d", rapid.IntRange(0, 2).Draw(t, "profile")), st)
		if err != nil {
			t.Fatal(err)
		}
		m.ev = ev
		m.clk.Advance(time.Duration(rapid.IntRange(0, 3).Draw(t, "gap")) * time.Second)
	}
	return m
}

func (m *propModel) contactIDs(state ContactState) []string {
	var ids []string
	for id, c := range m.r.contacts {
		if state == "" || c.state == state {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (m *propModel) offerIDs() []string {
	var ids []string
	for id := range m.r.offers {
		ids = append(ids, id)
	}
	for id := range m.r.accepted {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// run records a command's events; errors are allowed (refusals are part of the model) but
// must carry a code.
func (m *propModel) run(t *rapid.T, ev []Event, err error) {
	m.ev = ev
	if err != nil && !codeOK(err) {
		t.Fatalf("error without a code: %v", err)
	}
}

func codeOK(err error) bool {
	for _, c := range []apierr.Code{apierr.CodeResourceNotFound, apierr.CodeInvalidRequest, apierr.CodeResourceInUse, apierr.CodeServiceQuotaExceeded, apierr.CodeDuplicateResource} {
		if apierr.HasCode(err, c) {
			return true
		}
	}
	return false
}

func (m *propModel) actions() map[string]func(*rapid.T) {
	pick := func(t *rapid.T, ids []string, label string) (string, bool) {
		if len(ids) == 0 {
			return "", false
		}
		return rapid.SampledFrom(ids).Draw(t, label), true
	}
	return map[string]func(*rapid.T){
		"arrive": func(t *rapid.T) {
			m.next++
			req := EnqueueRequest{
				ContactID: fmt.Sprintf("c%d", m.next),
				Channel:   rapid.SampledFrom([]Channel{ChannelVoice, ChannelChat, ChannelTask}).Draw(t, "ch"),
				QueueID:   rapid.SampledFrom(m.queues).Draw(t, "queue"),
				Priority:  rapid.IntRange(0, 3).Draw(t, "prio"),
			}
			if rapid.IntRange(0, 9).Draw(t, "toAgent") == 0 {
				req.AgentID = rapid.SampledFrom(m.agents).Draw(t, "agent")
			}
			ev, err := m.r.Enqueue(req)
			m.run(t, ev, err)
		},
		"burst": func(t *rapid.T) { // several arrivals at one instant
			var all []Event
			for range rapid.IntRange(2, 5).Draw(t, "n") {
				m.next++
				ev, err := m.r.Enqueue(EnqueueRequest{
					ContactID: fmt.Sprintf("c%d", m.next),
					Channel:   rapid.SampledFrom([]Channel{ChannelVoice, ChannelChat, ChannelTask}).Draw(t, "ch"),
					QueueID:   rapid.SampledFrom(m.queues).Draw(t, "queue"),
					Priority:  rapid.IntRange(0, 3).Draw(t, "prio"),
				})
				m.run(t, ev, err)
				all = append(all, ev...)
			}
			m.ev = all
		},
		"accept": func(t *rapid.T) {
			if id, ok := pick(t, m.offerIDs(), "offer"); ok {
				wasAccepted := m.r.accepted[id] != nil
				ev, err := m.r.Accept(id)
				m.run(t, ev, err)
				if wasAccepted && (err != nil || len(ev) != 0) {
					t.Fatalf("accept of accepted offer %s not idempotent: %v %v", id, summarise(ev), err)
				}
			}
		},
		"reject": func(t *rapid.T) {
			if id, ok := pick(t, m.offerIDs(), "offer"); ok {
				ev, err := m.r.Reject(id)
				m.run(t, ev, err)
			}
		},
		"advance": func(t *rapid.T) {
			m.clk.Advance(time.Duration(rapid.IntRange(1, 15).Draw(t, "seconds")) * time.Second)
			m.ev = m.r.Tick(m.clk.t)
		},
		"status": func(t *rapid.T) {
			id := rapid.SampledFrom(m.agents).Draw(t, "agent")
			st := rapid.SampledFrom([]AgentStatus{Available(), Available(), Offline(), {Name: "Lunch", Type: StatusCustom}}).Draw(t, "status")
			ev, err := m.r.SetAgentStatus(id, st)
			m.run(t, ev, err)
		},
		"logout": func(t *rapid.T) {
			ev, err := m.r.AgentLogout(rapid.SampledFrom(m.agents).Draw(t, "agent"))
			m.run(t, ev, err)
		},
		"transferQueue": func(t *rapid.T) {
			if id, ok := pick(t, m.contactIDs(""), "contact"); ok {
				ev, err := m.r.TransferToQueue(id, rapid.SampledFrom(m.queues).Draw(t, "queue"))
				m.run(t, ev, err)
			}
		},
		"transferAgent": func(t *rapid.T) {
			if id, ok := pick(t, m.contactIDs(""), "contact"); ok {
				ev, err := m.r.TransferToAgent(id, rapid.SampledFrom(m.agents).Draw(t, "agent"))
				m.run(t, ev, err)
			}
		},
		"disconnect": func(t *rapid.T) { // customer hangs up while waiting or being offered
			ids := append(m.contactIDs(ContactQueued), m.contactIDs(ContactOffered)...)
			if id, ok := pick(t, ids, "contact"); ok {
				ev, err := m.r.EndContact(id)
				m.run(t, ev, err)
			}
		},
		"end": func(t *rapid.T) {
			if id, ok := pick(t, m.contactIDs(ContactConnected), "contact"); ok {
				ev, err := m.r.EndContact(id)
				m.run(t, ev, err)
			}
		},
		"completeACW": func(t *rapid.T) {
			id := rapid.SampledFrom(m.agents).Draw(t, "agent")
			var cs []string
			for c := range m.r.agents[id].acw {
				cs = append(cs, c)
			}
			sort.Strings(cs)
			if c, ok := pick(t, cs, "contact"); ok {
				ev, err := m.r.CompleteAfterContactWork(id, c)
				m.run(t, ev, err)
			}
		},
		"priority": func(t *rapid.T) {
			if id, ok := pick(t, m.contactIDs(""), "contact"); ok {
				ev, err := m.r.UpdatePriority(id, rapid.IntRange(1, 3).Draw(t, "prio"))
				m.run(t, ev, err)
			}
		},
		"age": func(t *rapid.T) {
			if id, ok := pick(t, m.contactIDs(""), "contact"); ok {
				ev, err := m.r.UpdateAge(id, time.Duration(rapid.IntRange(-10, 20).Draw(t, "adjust"))*time.Second)
				m.run(t, ev, err)
			}
		},
		"remove": func(t *rapid.T) {
			if id, ok := pick(t, m.contactIDs(""), "contact"); ok {
				ev, err := m.r.RemoveContact(id, "flow")
				m.run(t, ev, err)
			}
		},
		"restore": func(t *rapid.T) {
			r, ev, err := Restore(m.cfg, m.r.Snapshot())
			if err != nil {
				t.Fatalf("restore: %v", err)
			}
			m.r, m.ev = r, ev
		},
		"reconcile": func(t *rapid.T) {
			drop := map[string]bool{}
			for _, id := range m.contactIDs("") {
				if rapid.IntRange(0, 4).Draw(t, "drop") == 0 {
					drop[id] = true
				}
			}
			m.ev = m.r.Reconcile(func(id string) bool { return !drop[id] })
		},
		"": m.check,
	}
}

// check verifies the invariants.
func (m *propModel) check(t *rapid.T) {
	r := m.r
	// Every contact is in exactly one place, consistent with its state.
	waiting := 0
	holders := map[string]int{}
	for _, a := range r.agents {
		var load [numChannels]int
		for id, c := range a.held {
			holders[id]++
			if c.agent != a || r.contacts[id] != c {
				t.Fatalf("agent %s holds %s, which points at another agent or is gone", a.id, id)
			}
			load[c.ch.index()]++
		}
		for _, e := range a.acw {
			load[e.ch.index()]++
			if !e.until.After(r.now) {
				t.Fatalf("agent %s: after-contact work past its timeout", a.id)
			}
		}
		if load != a.load {
			t.Fatalf("agent %s: load %v, counted %v", a.id, a.load, load)
		}
		for i := range load {
			if a.prof != nil && load[i] > a.prof.conc[i] {
				t.Fatalf("agent %s over concurrency on %s: %d > %d", a.id, channels()[i], load[i], a.prof.conc[i])
			}
		}
		// The availability index agrees with canTake.
		for _, e := range a.entries {
			if want := r.canTake(a, e.g.key.ch); want != (e.pos >= 0) {
				t.Fatalf("agent %s index for %v: in=%v, canTake=%v", a.id, e.g.key, e.pos >= 0, want)
			}
		}
	}
	for id, n := range holders {
		if n != 1 {
			t.Fatalf("contact %s held by %d agents", id, n)
		}
	}
	var queueCount = map[string]int{}
	for id, c := range r.contacts {
		switch c.state {
		case ContactQueued:
			waiting++
			if c.bucket == nil || c.bucket.h[c.heapIdx] != c || c.agent != nil || c.offer != nil {
				t.Fatalf("queued contact %s is not waiting", id)
			}
		case ContactOffered:
			if c.bucket != nil || c.offer == nil || r.offers[c.offer.ID] != c.offer || holders[id] != 1 || c.offer.a != c.agent {
				t.Fatalf("offered contact %s is not reserved to exactly one agent", id)
			}
		case ContactConnected:
			if c.bucket != nil || c.offer != nil || holders[id] != 1 {
				t.Fatalf("connected contact %s is not held by one agent", id)
			}
			// A repeated Accept finds the contact under its accepted offer.
			if c.acceptedID != "" {
				if info, err := r.LookupOffer(c.acceptedID); err != nil || info.State != OfferAccepted || info.ContactID != id || info.AgentID != c.agent.id {
					t.Fatalf("accepted offer %s of %s looks up as %+v, %v", c.acceptedID, id, info, err)
				}
			}
		}
		if c.offer != nil {
			if info, err := r.LookupOffer(c.offer.ID); err != nil || info.State != OfferPending || info.ContactID != id {
				t.Fatalf("pending offer %s of %s looks up as %+v, %v", c.offer.ID, id, info, err)
			}
		}
		if c.state != ContactConnected && c.agentQueue == "" {
			queueCount[c.queue]++
		}
	}
	total := 0
	for _, wq := range r.waits {
		total += wq.n
	}
	for _, a := range r.agents {
		for _, wq := range a.personal {
			if wq != nil {
				total += wq.n
			}
		}
	}
	if total != waiting {
		t.Fatalf("wait queues hold %d contacts, %d are queued", total, waiting)
	}
	for id, q := range r.queues {
		if q.count != queueCount[id] {
			t.Fatalf("queue %s counts %d, holds %d", id, q.count, queueCount[id])
		}
		// The metrics read the same counts; slots never exceed the agents' concurrency.
		qm, err := r.Metrics(MetricsQuery{Queues: []string{id}})
		if err != nil || qm.ContactsInQueue != q.count || qm.AgentsAvailable > qm.AgentsOnline || qm.SlotsActive < 0 || qm.SlotsAvailable < 0 {
			t.Fatalf("metrics of queue %s: %+v, %v (count %d)", id, qm, err, q.count)
		}
	}
	for _, v := range r.Agents(AgentFilter{}) {
		a := r.agents[v.ID]
		for _, sl := range v.Slots {
			if sl.Active != a.load[sl.Channel.index()] || sl.Active+sl.Available > sl.Max {
				t.Fatalf("agent %s slots %+v, load %v", v.ID, sl, a.load)
			}
		}
	}
	// No orphaned reservation; none past its deadline.
	for id, o := range r.offers {
		if r.contacts[o.ContactID] != o.c || o.c.offer != o || o.a.held[o.ContactID] != o.c {
			t.Fatalf("orphaned offer %s", id)
		}
		if !o.ExpiresAt.After(r.now) {
			t.Fatalf("offer %s past its expiry", id)
		}
	}
	// Settled: no agent that can take a channel has an eligible waiting contact.
	for _, c := range r.contacts {
		if c.state != ContactQueued {
			continue
		}
		for _, a := range r.agents {
			if !r.canTake(a, c.ch) {
				continue
			}
			eligible := c.agentQueue == a.id
			if c.agentQueue == "" {
				for _, e := range a.prof.entries {
					if e.QueueID == c.queue && e.Channel == c.ch && (e.DelaySeconds == 0 || r.now.Sub(c.enq) >= time.Duration(e.DelaySeconds)*time.Second) {
						eligible = true
					}
				}
			}
			if eligible {
				t.Fatalf("agent %s can take waiting contact %s but was not offered it", a.id, c.id)
			}
		}
	}
	// FIFO within equal priority and queue: no older contact of the same queue, channel and
	// priority is left waiting behind an offered one (unless it came back later in the step).
	for i, e := range m.ev {
		if e.Type != EventOfferMade {
			continue
		}
		c := r.contacts[e.ContactID]
		if c == nil {
			continue
		}
		for _, w := range r.contacts {
			if w.state != ContactQueued || w.queue != c.queue || w.agentQueue != c.agentQueue || w.ch != c.ch || w.priority != c.priority || !older(w, c) {
				continue
			}
			cameBack := slices.ContainsFunc(m.ev[i+1:], func(x Event) bool { return x.ContactID == w.id })
			if !cameBack {
				t.Fatalf("FIFO: %s offered while older %s waits in %s/%s at priority %d", c.id, w.id, c.queue, c.ch, c.priority)
			}
		}
	}
	// Deadlines: something pending means NextDeadline says when.
	if _, ok := r.NextDeadline(); len(r.offers) > 0 && !ok {
		t.Fatalf("offers pending but no deadline")
	}
}

// TestRouterStateMachine drives random arrivals, accepts, rejects, timeouts, status changes,
// transfers, disconnects, ends, priority and age changes, restores and reconciles, and checks
// the invariants after every step.
func TestRouterStateMachine(t *testing.T) {
	steps, offers := 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		m := newPropModel(rt)
		acts := m.actions()
		check := acts[""]
		acts[""] = func(rt *rapid.T) {
			steps++
			offers += len(only(summarise(m.ev), EventOfferMade))
			check(rt)
		}
		rt.Repeat(acts)
	})
	t.Logf("%d steps, %d offers checked", steps, offers)
}
