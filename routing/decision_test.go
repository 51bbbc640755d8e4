package routing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDecisionRules checks each routing decision rule. Sources: Connect administrator guide,
// "How routing works" (priority, then age, within a queue), "Queue priority and delay in
// routing profiles" (across an agent's queues), "Routing: longest available agent".
func TestDecisionRules(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness)
		act   func(h *harness) []string
		want  []string // OfferMade events of act
	}{
		{
			name: "within a queue FIFO at equal priority",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				for _, id := range []string{"c1", "c2", "c3"} {
					h.enqueue(id, "q", ChannelChat, 0)
					h.clk.Advance(time.Second)
				}
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade c1 a"},
		},
		{
			name: "within a queue priority before age",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("old", "q", ChannelChat, 5)
				h.clk.Advance(time.Minute)
				h.enqueue("urgent", "q", ChannelChat, 1)
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade urgent a"},
		},
		{
			name: "across queues profile priority before age",
			setup: func(h *harness) {
				h.queue("low", "high")
				h.profile(chatProfile("p", 1, pq("low", ChannelChat, 2, 0), pq("high", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("old-low", "low", ChannelChat, 1)
				h.clk.Advance(time.Minute)
				h.enqueue("new-high", "high", ChannelChat, 5)
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade new-high a"},
		},
		{
			name: "across queues of equal profile priority oldest first",
			setup: func(h *harness) {
				h.queue("x", "y")
				h.profile(chatProfile("p", 1, pq("x", ChannelChat, 1, 0), pq("y", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("new-x", "x", ChannelChat, 0)
				h.clk.Advance(-time.Minute) // clock readings never move the router back
				h.clk.Advance(2 * time.Minute)
				h.enqueue("newer-y", "y", ChannelChat, 0)
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade new-x a"},
		},
		{
			name: "delay keeps a higher priority queue's young contact back",
			setup: func(h *harness) {
				h.queue("high", "low")
				h.profile(chatProfile("p", 1, pq("high", ChannelChat, 1, 30), pq("low", ChannelChat, 2, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("h1", "high", ChannelChat, 0)
				h.enqueue("l1", "low", ChannelChat, 0)
				h.clk.Advance(10 * time.Second)
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade l1 a"},
		},
		{
			name: "delay elapsed makes the contact eligible at Tick",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 30)))
				h.login("a", "p")
				h.enqueue("c1", "q", ChannelChat, 0)
			},
			act: func(h *harness) []string {
				if got := only(summarise(h.r.Tick(t0.Add(29*time.Second))), EventOfferMade); len(got) != 0 {
					h.t.Fatalf("offer before delay: %v", got)
				}
				return summarise(h.r.Tick(t0.Add(30 * time.Second)))
			},
			want: []string{"OfferMade c1 a"},
		},
		{
			name: "delay within a queue picks an older lower priority contact over a young urgent one",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 30)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("old", "q", ChannelChat, 5)
				h.clk.Advance(40 * time.Second)
				h.enqueue("urgent", "q", ChannelChat, 1)
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade old a"},
		},
		{
			name: "the agent available longest gets the contact",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.login("b", "p")
				h.clk.Advance(time.Second)
				h.login("a", "p")
				h.clk.Advance(time.Second)
				h.login("c", "p")
			},
			act:  func(h *harness) []string { return h.enqueue("c1", "q", ChannelChat, 0) },
			want: []string{"OfferMade c1 b"},
		},
		{
			name: "an agent whose delay has not elapsed is passed over",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("slow", 1, pq("q", ChannelChat, 1, 60)))
				h.profile(chatProfile("fast", 1, pq("q", ChannelChat, 1, 0)))
				h.login("slowpoke", "slow")
				h.clk.Advance(time.Second)
				h.login("quick", "fast")
			},
			act:  func(h *harness) []string { return h.enqueue("c1", "q", ChannelChat, 0) },
			want: []string{"OfferMade c1 quick"},
		},
		{
			name: "age adjustment passes the delay at once",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 60)))
				h.login("a", "p")
				h.enqueue("c1", "q", ChannelChat, 0)
			},
			act:  func(h *harness) []string { return h.must(h.r.UpdateAge("c1", 90*time.Second)) },
			want: []string{"OfferMade c1 a"},
		},
		{
			name: "age adjustment reorders equal priority",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("c1", "q", ChannelChat, 0)
				h.clk.Advance(10 * time.Second)
				h.enqueue("c2", "q", ChannelChat, 0)
				h.must(h.r.UpdateAge("c2", 20*time.Second))
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade c2 a"},
		},
		{
			name: "priority update reorders",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("c1", "q", ChannelChat, 0)
				h.enqueue("c2", "q", ChannelChat, 0)
				h.must(h.r.UpdatePriority("c2", 2))
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade c2 a"},
		},
		{
			name: "agent queue before standard queues",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.must(h.r.AgentLogin("a", "p", Offline()))
				h.enqueue("c1", "q", ChannelChat, 1)
				h.clk.Advance(time.Minute)
				h.must(h.r.Enqueue(EnqueueRequest{ContactID: "mine", AgentID: "a", Channel: ChannelChat}))
			},
			act:  func(h *harness) []string { return h.must(h.r.SetAgentStatus("a", Available())) },
			want: []string{"OfferMade mine a"},
		},
		{
			name: "agent queue contact goes to its agent only",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
				h.login("other", "p")
				h.must(h.r.AgentLogin("a", "p", Offline()))
			},
			act: func(h *harness) []string {
				return h.must(h.r.Enqueue(EnqueueRequest{ContactID: "mine", AgentID: "a", Channel: ChannelChat}))
			},
			want: []string{},
		},
		{
			name: "a channel missing from the profile is never offered",
			setup: func(h *harness) {
				h.queue("q")
				h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0), pq("q", ChannelTask, 1, 0)))
				h.login("a", "p")
			},
			act:  func(h *harness) []string { return h.enqueue("t1", "q", ChannelTask, 0) },
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			tt.setup(h)
			got := only(tt.act(h), EventOfferMade)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("offers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcurrency checks media concurrency and cross-channel behaviour. Source: Connect
// administrator guide, "Create a routing profile" (channels and concurrency) and
// "Cross-channel concurrency" (ROUTE_CURRENT_CHANNEL_ONLY, ROUTE_ANY_CHANNEL).
func TestConcurrency(t *testing.T) {
	all := func(chatCross, taskCross CrossChannelBehavior) RoutingProfile {
		return RoutingProfile{ID: "p",
			MediaConcurrencies: []MediaConcurrency{
				{Channel: ChannelVoice, Concurrency: 1, CrossChannelBehavior: RouteAnyChannel},
				{Channel: ChannelChat, Concurrency: 2, CrossChannelBehavior: chatCross},
				{Channel: ChannelTask, Concurrency: 1, CrossChannelBehavior: taskCross},
			},
			Queues: []ProfileQueue{pq("q", ChannelVoice, 1, 0), pq("q", ChannelChat, 1, 0), pq("q", ChannelTask, 1, 0)},
		}
	}
	type arrival struct {
		id string
		ch Channel
	}
	tests := []struct {
		name    string
		profile RoutingProfile
		held    []arrival // offered and accepted first
		next    arrival
		want    bool // whether next is offered to the agent
	}{
		{"chat up to its concurrency", all(RouteCurrentChannelOnly, RouteCurrentChannelOnly), []arrival{{"c1", ChannelChat}}, arrival{"c2", ChannelChat}, true},
		{"chat beyond its concurrency", all(RouteCurrentChannelOnly, RouteCurrentChannelOnly), []arrival{{"c1", ChannelChat}, {"c2", ChannelChat}}, arrival{"c3", ChannelChat}, false},
		{"voice takes nothing else: chat", all(RouteAnyChannel, RouteAnyChannel), []arrival{{"v1", ChannelVoice}}, arrival{"c1", ChannelChat}, false},
		{"voice takes nothing else: task", all(RouteAnyChannel, RouteAnyChannel), []arrival{{"v1", ChannelVoice}}, arrival{"t1", ChannelTask}, false},
		{"current channel only keeps chat on chat", all(RouteCurrentChannelOnly, RouteAnyChannel), []arrival{{"c1", ChannelChat}}, arrival{"t1", ChannelTask}, false},
		{"any channel lets chat take a task", all(RouteAnyChannel, RouteCurrentChannelOnly), []arrival{{"c1", ChannelChat}}, arrival{"t1", ChannelTask}, true},
		{"any channel lets chat take a voice call", all(RouteAnyChannel, RouteCurrentChannelOnly), []arrival{{"c1", ChannelChat}}, arrival{"v1", ChannelVoice}, true},
		{"task current channel only refuses chat", all(RouteAnyChannel, RouteCurrentChannelOnly), []arrival{{"t1", ChannelTask}}, arrival{"c1", ChannelChat}, false},
		{"every held channel must allow", all(RouteAnyChannel, RouteCurrentChannelOnly), []arrival{{"c1", ChannelChat}, {"t1", ChannelTask}}, arrival{"c2", ChannelChat}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.queue("q")
			h.profile(tt.profile)
			h.login("a", "p")
			for _, c := range tt.held {
				h.enqueue(c.id, "q", c.ch, 0)
				if v, _ := h.r.Contact(c.id); v.State == ContactOffered {
					h.must(h.r.Accept(v.OfferID))
				} else {
					t.Fatalf("setup: %s not offered", c.id)
				}
			}
			got := len(only(h.enqueue(tt.next.id, "q", tt.next.ch, 0), EventOfferMade)) == 1
			if got != tt.want {
				t.Errorf("offered %s: got %v, want %v", tt.next.id, got, tt.want)
			}
		})
	}
}
