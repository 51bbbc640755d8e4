package agentapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ringfence/ringfence/routing"
)

// TestHubDropsSlowConsumer: Notify never blocks; a connection whose queue is full is marked
// closed and gets nothing more, while another agent's connection is unaffected.
func TestHubDropsSlowConsumer(t *testing.T) {
	h := NewHub(HubConfig{QueueLength: 2})
	slow := &agentConn{key: agentKey("i1", "a1"), out: make(chan []byte, 2)}
	other := &agentConn{key: agentKey("i1", "a2"), out: make(chan []byte, 2)}
	if !h.register(slow, 4) || !h.register(other, 4) {
		t.Fatal("register refused")
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var evs []routing.Event
	for range 5 {
		evs = append(evs, routing.Event{Type: routing.EventAgentStateChanged, AgentID: "a1", At: at, Agent: &routing.AgentView{ID: "a1", Activity: routing.ActivityAvailable}})
	}
	evs = append(evs, routing.Event{Type: routing.EventContactConnected, AgentID: "a2", ContactID: "c1", At: at})
	h.Notify("i1", evs) // returns although nobody reads
	slow.mu.Lock()
	closed := slow.closed
	slow.mu.Unlock()
	if !closed || len(slow.out) != 2 {
		t.Errorf("slow connection: closed %v, %d queued", closed, len(slow.out))
	}
	if len(other.out) != 1 {
		t.Fatalf("other connection: %d queued", len(other.out))
	}
	var m Message
	if err := json.Unmarshal(<-other.out, &m); err != nil || m.Type != "ContactConnected" || m.ContactId != "c1" || m.At != "2026-01-02T03:04:05.000Z" {
		t.Errorf("message: %+v %v", m, err)
	}
	// The same agent ID in another instance receives nothing.
	h.Notify("i2", []routing.Event{{Type: routing.EventContactConnected, AgentID: "a2", ContactID: "c9"}})
	if len(other.out) != 0 {
		t.Errorf("event of another instance delivered")
	}
	// The connection limit per agent holds.
	for range 3 {
		h.register(&agentConn{key: agentKey("i1", "a3"), out: make(chan []byte, 1)}, 3)
	}
	if h.register(&agentConn{key: agentKey("i1", "a3"), out: make(chan []byte, 1)}, 3) {
		t.Error("fourth connection accepted with a limit of 3")
	}
}

// TestMessageOf: every router event an agent cares about has a message; queue events have
// none; offers carry their expiry and the Hub remembers them until they end.
func TestMessageOf(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o := &routing.Offer{ID: "o1", ContactID: "c1", AgentID: "a1", QueueID: "q1", Channel: routing.ChannelTask, MadeAt: at, ExpiresAt: at.Add(20 * time.Second)}
	for _, tc := range []struct {
		e    routing.Event
		ok   bool
		want Message
	}{
		{routing.Event{Type: routing.EventOfferMade, At: at, ContactID: "c1", AgentID: "a1", QueueID: "q1", Channel: "TASK", Offer: o}, true,
			Message{Type: "OfferMade", At: "2026-01-02T03:04:05.000Z", ContactId: "c1", OfferId: "o1", QueueId: "q1", Channel: "TASK", ExpiresAt: "2026-01-02T03:04:25.000Z"}},
		{routing.Event{Type: routing.EventOfferWithdrawn, At: at, ContactID: "c1", AgentID: "a1", Offer: o, Reason: "contact-ended"}, true,
			Message{Type: "OfferWithdrawn", At: "2026-01-02T03:04:05.000Z", ContactId: "c1", OfferId: "o1", Reason: "contact-ended"}},
		{routing.Event{Type: routing.EventContactEnded, At: at, ContactID: "c1", AgentID: "a1"}, true,
			Message{Type: "ContactEnded", At: "2026-01-02T03:04:05.000Z", ContactId: "c1"}},
		{routing.Event{Type: routing.EventContactQueued, At: at, ContactID: "c1", QueueID: "q1"}, false, Message{}},
		{routing.Event{Type: routing.EventQueueAtCapacity, At: at, ContactID: "c1", QueueID: "q1"}, false, Message{}},
	} {
		got, ok := messageOf(tc.e)
		if ok != tc.ok || (ok && (got.Type != tc.want.Type || got.OfferId != tc.want.OfferId || got.ExpiresAt != tc.want.ExpiresAt ||
			got.ContactId != tc.want.ContactId || got.Reason != tc.want.Reason || got.At != tc.want.At)) {
			t.Errorf("%s: got %+v %v, want %+v %v", tc.e.Type, got, ok, tc.want, tc.ok)
		}
	}
	h := NewHub(HubConfig{Clock: func() time.Time { return at }})
	h.Notify("i1", []routing.Event{{Type: routing.EventOfferMade, AgentID: "a1", Offer: o}})
	if got, ok := h.offer("i1", "o1"); !ok || !got.ExpiresAt.Equal(o.ExpiresAt) {
		t.Errorf("pending offer: %+v %v", got, ok)
	}
	if _, ok := h.offer("i2", "o1"); ok {
		t.Error("offer visible from another instance")
	}
	h.Notify("i1", []routing.Event{{Type: routing.EventOfferExpired, AgentID: "a1", Offer: o}})
	if _, ok := h.offer("i1", "o1"); ok {
		t.Error("expired offer still pending")
	}
}
