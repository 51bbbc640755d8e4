package routing

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
)

// TestMetricsAcrossQueuesAndChannels: contacts add up over queues and channels; an agent who
// serves several of them counts once; slots follow the routing profile's concurrency.
func TestMetricsAcrossQueuesAndChannels(t *testing.T) {
	h := newHarness(t, Config{})
	h.queue("sales", "support", "unrelated")
	mixed := RoutingProfile{ID: "mixed",
		MediaConcurrencies: []MediaConcurrency{{Channel: ChannelChat, Concurrency: 3, CrossChannelBehavior: RouteAnyChannel}, {Channel: ChannelTask, Concurrency: 2, CrossChannelBehavior: RouteAnyChannel}},
		Queues:             []ProfileQueue{pq("sales", ChannelChat, 1, 0), pq("support", ChannelChat, 1, 0), pq("support", ChannelTask, 1, 0)}}
	h.profile(mixed)
	h.profile(RoutingProfile{ID: "tasks", MediaConcurrencies: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues: []ProfileQueue{pq("support", ChannelTask, 1, 0)}})
	h.login("ada", "mixed")
	h.enqueue("chat1", "sales", ChannelChat, 0) // offered to ada
	h.must(h.r.AgentLogin("bob", "tasks", AgentStatus{Name: "Training", Type: StatusCustom}))
	h.clk.Advance(10 * time.Second)
	h.enqueue("task1", "support", ChannelTask, 0) // offered to ada (cross-channel allowed)
	h.enqueue("task2", "support", ChannelTask, 0) // offered to ada (second TASK slot)
	h.clk.Advance(5 * time.Second)
	h.enqueue("task3", "support", ChannelTask, 0) // waits: ada's TASK slots are full, bob is in training
	h.clk.Advance(2 * time.Second)
	h.r.Tick(h.clk.t)

	all, err := h.r.Metrics(MetricsQuery{Queues: []string{"sales", "support"}})
	if err != nil {
		t.Fatal(err)
	}
	want := QueueMetrics{ContactsInQueue: 4, OldestContactAge: 2 * time.Second, AgentsOnline: 2, AgentsAvailable: 1, AgentsStaffed: 1,
		AgentsOnContact: 0, AgentsNonProductive: 1, SlotsActive: 3, SlotsAvailable: 2}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("sales+support (-want +got):\n%s", diff)
	}
	tasks, err := h.r.Metrics(MetricsQuery{Queues: []string{"support"}, Channels: []Channel{ChannelTask}})
	if err != nil {
		t.Fatal(err)
	}
	// On TASK, ada has no free slot: she is not available for support's tasks.
	want = QueueMetrics{ContactsInQueue: 3, OldestContactAge: 2 * time.Second, AgentsOnline: 2, AgentsAvailable: 0, AgentsStaffed: 1,
		AgentsNonProductive: 1, SlotsActive: 2, SlotsAvailable: 0}
	if diff := cmp.Diff(want, tasks); diff != "" {
		t.Errorf("support TASK (-want +got):\n%s", diff)
	}
	// The flow's view (QueueMetrics) is the same computation.
	one, err := h.r.QueueMetrics("support", ChannelTask)
	if err != nil || one != tasks {
		t.Errorf("QueueMetrics = %+v, %v; want %+v", one, err, tasks)
	}
	none, err := h.r.Metrics(MetricsQuery{Queues: []string{"unrelated"}})
	if err != nil || none != (QueueMetrics{}) {
		t.Errorf("unrelated queue = %+v, %v", none, err)
	}
	if _, err := h.r.Metrics(MetricsQuery{Queues: []string{"nope"}}); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("unknown queue: %v", err)
	}
	if _, err := h.r.Metrics(MetricsQuery{Queues: []string{"sales"}, Channels: []Channel{"EMAIL"}}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := h.r.Metrics(MetricsQuery{}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("no queue: %v", err)
	}

	v, err := h.r.Agent("ada")
	if err != nil {
		t.Fatal(err)
	}
	wantSlots := []ChannelSlots{{Channel: ChannelChat, Max: 3, Active: 1, Available: 2}, {Channel: ChannelTask, Max: 2, Active: 2, Available: 0}}
	if diff := cmp.Diff(wantSlots, v.Slots); diff != "" {
		t.Errorf("ada's slots (-want +got):\n%s", diff)
	}
	agents := h.r.Agents(AgentFilter{})
	if len(agents) != 2 || agents[0].ID != "ada" || agents[1].ID != "bob" || agents[1].Slots[0].Available != 0 {
		t.Errorf("Agents = %+v", agents)
	}
	for _, c := range []struct {
		f    AgentFilter
		want []string
	}{
		{AgentFilter{QueueIDs: []string{"sales"}}, []string{"ada"}},
		{AgentFilter{QueueIDs: []string{"support"}}, []string{"ada", "bob"}},
		{AgentFilter{QueueIDs: []string{"unrelated"}}, nil},
		{AgentFilter{RoutingProfileIDs: []string{"tasks"}}, []string{"bob"}},
		{AgentFilter{AgentIDs: []string{"bob", "nobody"}}, []string{"bob"}},
		{AgentFilter{AgentIDs: []string{"bob"}, QueueIDs: []string{"sales"}}, nil},
	} {
		var got []string
		for _, a := range h.r.Agents(c.f) {
			got = append(got, a.ID)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("Agents(%+v) (-want +got):\n%s", c.f, diff)
		}
	}
}

// TestLookupOfferAndLapsedAnswers: an accepted offer is found again (accept is idempotent);
// answering an offer that expired, was rejected or withdrawn says so.
func TestLookupOfferAndLapsedAnswers(t *testing.T) {
	h := newHarness(t, Config{})
	h.queue("q")
	h.profile(chatProfile("p", 2, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.enqueue("c1", "q", ChannelChat, 0)
	h.enqueue("c2", "q", ChannelChat, 0)
	info, err := h.r.LookupOffer("o1")
	if err != nil || info.State != OfferPending || info.ContactID != "c1" || info.AgentID != "a" {
		t.Fatalf("pending o1 = %+v, %v", info, err)
	}
	h.must(h.r.Accept("o1"))
	if got := h.must(h.r.Accept("o1")); len(got) != 0 {
		t.Errorf("second accept emitted %v", got)
	}
	info, err = h.r.LookupOffer("o1")
	if err != nil || info.State != OfferAccepted || info.ContactID != "c1" || info.AgentID != "a" || info.Channel != ChannelChat {
		t.Fatalf("accepted o1 = %+v, %v", info, err)
	}

	// o2 expires: the agent is missed, c2 waits again.
	h.clk.Advance(DefaultOfferTimeout + time.Second)
	_, err = h.r.Accept("o2")
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) || !strings.Contains(err.Error(), "offer o2 expired at 2026-03-02T09:00:20Z") {
		t.Errorf("accept after expiry: %v", err)
	}
	info, err = h.r.LookupOffer("o2")
	if err != nil || info.State != OfferExpired || !info.At.Equal(t0.Add(DefaultOfferTimeout)) {
		t.Errorf("expired o2 = %+v, %v", info, err)
	}
	// A rejected offer.
	h.must(h.r.SetAgentStatus("a", Available())) // c2 is offered again: o3
	h.must(h.r.Reject("o3"))
	if _, err := h.r.Accept("o3"); err == nil || !strings.Contains(err.Error(), "offer o3 was rejected") {
		t.Errorf("accept after reject: %v", err)
	}
	if _, err := h.r.Reject("o3"); err == nil || !strings.Contains(err.Error(), "offer o3 was rejected") {
		t.Errorf("reject twice: %v", err)
	}
	// A withdrawn offer: the contact ends while offered.
	h.must(h.r.SetAgentStatus("a", Available())) // o4
	h.must(h.r.EndContact("c2"))
	if _, err := h.r.Accept("o4"); err == nil || !strings.Contains(err.Error(), "offer o4 was withdrawn") {
		t.Errorf("accept after withdrawal: %v", err)
	}
	if _, err := h.r.LookupOffer("o99"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("unknown offer: %v", err)
	}
}

// TestLapsedOffersAreBounded: the router remembers a bounded number of lapsed offers.
func TestLapsedOffersAreBounded(t *testing.T) {
	var l lapsedOffers
	for i := range lapsedLimit + 10 {
		l.add(OfferInfo{Offer: Offer{ID: string(rune('a'+i%26)) + strings.Repeat("x", i/26)}, State: OfferExpired})
	}
	if len(l.byID) != lapsedLimit || len(l.ring) != lapsedLimit {
		t.Errorf("remembered %d (%d in ring), want %d", len(l.byID), len(l.ring), lapsedLimit)
	}
	if _, ok := l.byID["a"]; ok {
		t.Error("the oldest lapsed offer is still remembered")
	}
}
