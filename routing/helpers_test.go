package routing

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// t0 is a Monday, 09:00 UTC.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// seqIDs returns an ID generator yielding o1, o2, ...
func seqIDs() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("o%d", n) }
}

type harness struct {
	t   testing.TB
	clk *fakeClock
	r   *Router
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	clk := &fakeClock{t: t0}
	cfg.Clock = clk.Now
	if cfg.NewID == nil {
		cfg.NewID = seqIDs()
	}
	return &harness{t: t, clk: clk, r: New(cfg)}
}

func (h *harness) must(ev []Event, err error) []string {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("unexpected error: %v", err)
	}
	return summarise(ev)
}

func (h *harness) queue(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		if err := h.r.PutQueue(Queue{ID: id}); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) profile(p RoutingProfile) {
	h.t.Helper()
	h.must(h.r.PutRoutingProfile(p))
}

func (h *harness) login(agentID, profileID string) {
	h.t.Helper()
	h.must(h.r.AgentLogin(agentID, profileID, Available()))
}

func (h *harness) enqueue(id, queue string, ch Channel, prio int) []string {
	h.t.Helper()
	return h.must(h.r.Enqueue(EnqueueRequest{ContactID: id, QueueID: queue, Channel: ch, Priority: prio}))
}

// offerOf returns the pending offer ID for contactID.
func (h *harness) offerOf(contactID string) string {
	h.t.Helper()
	v, err := h.r.Contact(contactID)
	if err != nil || v.State != ContactOffered {
		h.t.Fatalf("contact %s not offered: %+v %v", contactID, v, err)
	}
	return v.OfferID
}

// summarise renders events compactly: "Type contact agent [reason]", AgentStateChanged as
// "AgentStateChanged agent activity".
func summarise(ev []Event) []string {
	out := []string{}
	for _, e := range ev {
		switch e.Type {
		case EventAgentStateChanged:
			out = append(out, fmt.Sprintf("%s %s %s", e.Type, e.AgentID, e.Agent.Activity))
		default:
			s := fmt.Sprintf("%s %s %s", e.Type, e.ContactID, e.AgentID)
			if e.Reason != "" {
				s += " " + e.Reason
			}
			out = append(out, strings.Join(strings.Fields(s), " "))
		}
	}
	return out
}

// only keeps the summaries of the given event type.
func only(s []string, typ EventType) []string {
	out := []string{}
	for _, x := range s {
		if strings.HasPrefix(x, string(typ)+" ") {
			out = append(out, x)
		}
	}
	return out
}

func chatProfile(id string, conc int, qs ...ProfileQueue) RoutingProfile {
	return RoutingProfile{ID: id, MediaConcurrencies: []MediaConcurrency{{Channel: ChannelChat, Concurrency: conc}}, Queues: qs}
}

func pq(queue string, ch Channel, prio, delay int) ProfileQueue {
	return ProfileQueue{QueueID: queue, Channel: ch, Priority: prio, DelaySeconds: delay}
}
