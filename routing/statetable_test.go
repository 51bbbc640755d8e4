package routing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/apierr"
)

// TestAgentOfferStateTable is the agent × offer state machine as a table of
// (state, input) → (next activity, effects). Sources: Connect administrator guide, "About
// agent status" and "Agent activity states" (Available, Incoming, On contact, After contact
// work, Missed, custom, Offline), "Set up after contact work (ACW) timeouts", and the DESIGN.md
// Router paragraph (reservation with timeout, idempotent accept, re-queue at original age).
func TestAgentOfferStateTable(t *testing.T) {
	lunch := AgentStatus{Name: "Lunch", Type: StatusCustom}
	states := map[string]func(h *harness){
		"AVAILABLE": func(h *harness) { h.login("a", "p") },
		"INCOMING":  func(h *harness) { h.login("a", "p"); h.enqueue("c", "q", ChannelChat, 0) },
		"ON_CONTACT": func(h *harness) {
			h.login("a", "p")
			h.enqueue("c", "q", ChannelChat, 0)
			h.must(h.r.Accept("o1"))
		},
		"AFTER_CONTACT_WORK": func(h *harness) {
			h.login("a", "p")
			h.enqueue("c", "q", ChannelChat, 0)
			h.must(h.r.Accept("o1"))
			h.must(h.r.EndContact("c"))
		},
		"MISSED": func(h *harness) {
			h.login("a", "p")
			h.enqueue("c", "q", ChannelChat, 0)
			h.must(h.r.Reject("o1"))
		},
		"CUSTOM":  func(h *harness) { h.must(h.r.AgentLogin("a", "p", lunch)) },
		"OFFLINE": func(h *harness) { h.must(h.r.AgentLogin("a", "p", Offline())) },
		"OFFLINE with a waiting contact": func(h *harness) {
			h.must(h.r.AgentLogin("a", "p", Offline()))
			h.enqueue("w", "q", ChannelChat, 0)
		},
	}
	type input struct {
		name string
		do   func(h *harness) ([]Event, error)
	}
	arrive := input{"contact arrives", func(h *harness) ([]Event, error) {
		return h.r.Enqueue(EnqueueRequest{ContactID: "n", QueueID: "q", Channel: ChannelChat})
	}}
	accept := input{"accept", func(h *harness) ([]Event, error) { return h.r.Accept("o1") }}
	reject := input{"reject", func(h *harness) ([]Event, error) { return h.r.Reject("o1") }}
	timeout := input{"offer timeout (20 s)", func(h *harness) ([]Event, error) { return h.r.Tick(h.clk.t.Add(20 * time.Second)), nil }}
	beforeTimeout := input{"tick before timeout", func(h *harness) ([]Event, error) { return h.r.Tick(h.clk.t.Add(19 * time.Second)), nil }}
	hangUp := input{"customer hangs up", func(h *harness) ([]Event, error) { return h.r.EndContact("c") }}
	acwTimeout := input{"ACW timeout (30 s)", func(h *harness) ([]Event, error) { return h.r.Tick(h.clk.t.Add(30 * time.Second)), nil }}
	acwDone := input{"agent closes contact", func(h *harness) ([]Event, error) { return h.r.CompleteAfterContactWork("a", "c") }}
	setAvailable := input{"set Available", func(h *harness) ([]Event, error) { return h.r.SetAgentStatus("a", Available()) }}
	setLunch := input{"set Lunch", func(h *harness) ([]Event, error) { return h.r.SetAgentStatus("a", lunch) }}
	setOffline := input{"set Offline", func(h *harness) ([]Event, error) { return h.r.SetAgentStatus("a", Offline()) }}
	logout := input{"logout", func(h *harness) ([]Event, error) { return h.r.AgentLogout("a") }}
	transfer := input{"transfer to queue q2", func(h *harness) ([]Event, error) { return h.r.TransferToQueue("c", "q2") }}

	tests := []struct {
		state   string
		in      input
		next    Activity
		effects []EventType
		code    apierr.Code
	}{
		{"AVAILABLE", arrive, ActivityIncoming, []EventType{EventContactQueued, EventOfferMade, EventAgentStateChanged}, ""},
		{"AVAILABLE", setLunch, ActivityCustom, []EventType{EventAgentStateChanged}, ""},
		{"AVAILABLE", logout, ActivityOffline, []EventType{EventAgentStateChanged}, ""},
		{"INCOMING", accept, ActivityOnContact, []EventType{EventOfferAccepted, EventContactConnected, EventAgentStateChanged}, ""},
		{"INCOMING", reject, ActivityMissed, []EventType{EventOfferRejected, EventAgentStateChanged}, ""},
		{"INCOMING", timeout, ActivityMissed, []EventType{EventOfferExpired, EventAgentStateChanged}, ""},
		{"INCOMING", beforeTimeout, ActivityIncoming, nil, ""},
		{"INCOMING", hangUp, ActivityAvailable, []EventType{EventOfferWithdrawn, EventContactEnded, EventAgentStateChanged}, ""},
		{"INCOMING", setOffline, ActivityOffline, []EventType{EventOfferWithdrawn, EventAgentStateChanged}, ""},
		{"INCOMING", setLunch, ActivityIncoming, []EventType{EventAgentStateChanged}, ""},
		{"INCOMING", logout, ActivityOffline, []EventType{EventOfferWithdrawn, EventAgentStateChanged}, ""},
		{"ON_CONTACT", accept, ActivityOnContact, nil, ""}, // idempotent
		{"ON_CONTACT", reject, ActivityOnContact, nil, apierr.CodeInvalidRequest},
		{"ON_CONTACT", hangUp, ActivityAfterContactWork, []EventType{EventContactEnded, EventAgentStateChanged}, ""},
		{"ON_CONTACT", arrive, ActivityOnContact, []EventType{EventContactQueued}, ""},
		{"ON_CONTACT", logout, ActivityOnContact, nil, apierr.CodeResourceInUse},
		{"ON_CONTACT", setLunch, ActivityOnContact, []EventType{EventAgentStateChanged}, ""},
		{"ON_CONTACT", transfer, ActivityAfterContactWork, []EventType{EventContactQueued, EventAgentStateChanged}, ""},
		{"AFTER_CONTACT_WORK", acwTimeout, ActivityAvailable, []EventType{EventAgentStateChanged}, ""},
		{"AFTER_CONTACT_WORK", acwDone, ActivityAvailable, []EventType{EventAgentStateChanged}, ""},
		{"AFTER_CONTACT_WORK", arrive, ActivityAfterContactWork, []EventType{EventContactQueued}, ""},
		{"AFTER_CONTACT_WORK", accept, ActivityAfterContactWork, nil, apierr.CodeResourceNotFound},
		{"AFTER_CONTACT_WORK", setLunch, ActivityAfterContactWork, []EventType{EventAgentStateChanged}, ""},
		{"MISSED", arrive, ActivityMissed, []EventType{EventContactQueued}, ""},
		{"MISSED", accept, ActivityMissed, nil, apierr.CodeResourceNotFound},
		{"MISSED", setAvailable, ActivityIncoming, []EventType{EventOfferMade, EventAgentStateChanged}, ""}, // c is waiting again
		{"MISSED", setLunch, ActivityCustom, []EventType{EventAgentStateChanged}, ""},
		{"CUSTOM", arrive, ActivityCustom, []EventType{EventContactQueued}, ""},
		{"CUSTOM", setAvailable, ActivityAvailable, []EventType{EventAgentStateChanged}, ""},
		{"OFFLINE", arrive, ActivityOffline, []EventType{EventContactQueued}, ""},
		{"OFFLINE", setAvailable, ActivityAvailable, []EventType{EventAgentStateChanged}, ""},
		{"OFFLINE with a waiting contact", setAvailable, ActivityIncoming, []EventType{EventOfferMade, EventAgentStateChanged}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.state+"/"+tt.in.name, func(t *testing.T) {
			h := newHarness(t, Config{AfterContactWork: map[Channel]time.Duration{ChannelChat: 30 * time.Second}})
			h.queue("q", "q2")
			h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
			states[tt.state](h)
			if v, _ := h.r.Agent("a"); v.Activity != Activity(tt.state) && tt.state[:7] != "OFFLINE" {
				t.Fatalf("setup: activity %s, want %s", v.Activity, tt.state)
			}
			ev, err := tt.in.do(h)
			if got := apierr.As(err); (got == nil) != (tt.code == "") || (got != nil && got.Code != tt.code) {
				t.Fatalf("error: got %v, want code %q", err, tt.code)
			}
			var gotTypes []EventType
			for _, e := range ev {
				gotTypes = append(gotTypes, e.Type)
			}
			if diff := cmp.Diff(tt.effects, gotTypes); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			v, err := h.r.Agent("a")
			if err != nil {
				t.Fatal(err)
			}
			if v.Activity != tt.next {
				t.Errorf("next: got %s, want %s", v.Activity, tt.next)
			}
		})
	}
}

// TestContactStateTable is the contact's routing state machine: (state, input) → (next,
// effects). Source: DESIGN.md "Contact" (queued → offered → connected → ended) and the
// Router paragraph.
func TestContactStateTable(t *testing.T) {
	states := map[ContactState]func(h *harness){
		ContactQueued:  func(h *harness) { h.enqueue("c", "q", ChannelChat, 0) },
		ContactOffered: func(h *harness) { h.login("a", "p"); h.enqueue("c", "q", ChannelChat, 0) },
		ContactConnected: func(h *harness) {
			h.login("a", "p")
			h.enqueue("c", "q", ChannelChat, 0)
			h.must(h.r.Accept("o1"))
		},
	}
	const gone ContactState = "ENDED"
	tests := []struct {
		state   ContactState
		input   string
		do      func(h *harness) ([]Event, error)
		next    ContactState
		effects []EventType
		code    apierr.Code
	}{
		{ContactQueued, "agent becomes available", func(h *harness) ([]Event, error) { return h.r.AgentLogin("a", "p", Available()) }, ContactOffered, []EventType{EventOfferMade, EventAgentStateChanged}, ""},
		{ContactQueued, "end", func(h *harness) ([]Event, error) { return h.r.EndContact("c") }, gone, []EventType{EventContactEnded}, ""},
		{ContactQueued, "remove", func(h *harness) ([]Event, error) { return h.r.RemoveContact("c", "flow") }, gone, []EventType{EventContactDequeued}, ""},
		{ContactQueued, "transfer", func(h *harness) ([]Event, error) { return h.r.TransferToQueue("c", "q2") }, ContactQueued, []EventType{EventContactDequeued, EventContactQueued}, ""},
		{ContactQueued, "transfer to full queue", func(h *harness) ([]Event, error) { return h.r.TransferToQueue("c", "full") }, ContactQueued, []EventType{EventQueueAtCapacity}, apierr.CodeServiceQuotaExceeded},
		{ContactQueued, "transfer to disabled queue", func(h *harness) ([]Event, error) { return h.r.TransferToQueue("c", "off") }, ContactQueued, nil, apierr.CodeInvalidRequest},
		{ContactQueued, "enqueue again", func(h *harness) ([]Event, error) {
			return h.r.Enqueue(EnqueueRequest{ContactID: "c", QueueID: "q", Channel: ChannelChat})
		}, ContactQueued, nil, apierr.CodeDuplicateResource},
		{ContactOffered, "accept", func(h *harness) ([]Event, error) { return h.r.Accept("o1") }, ContactConnected, []EventType{EventOfferAccepted, EventContactConnected, EventAgentStateChanged}, ""},
		{ContactOffered, "reject", func(h *harness) ([]Event, error) { return h.r.Reject("o1") }, ContactQueued, []EventType{EventOfferRejected, EventAgentStateChanged}, ""},
		{ContactOffered, "remove", func(h *harness) ([]Event, error) { return h.r.RemoveContact("c", "flow") }, gone, []EventType{EventOfferWithdrawn, EventContactDequeued, EventAgentStateChanged}, ""},
		{ContactOffered, "transfer to agent b", func(h *harness) ([]Event, error) { return h.r.TransferToAgent("c", "b") }, ContactQueued, []EventType{EventOfferWithdrawn, EventContactDequeued, EventContactQueued, EventAgentStateChanged}, ""},
		{ContactConnected, "end", func(h *harness) ([]Event, error) { return h.r.EndContact("c") }, gone, []EventType{EventContactEnded, EventAgentStateChanged}, ""},
		{ContactConnected, "remove", func(h *harness) ([]Event, error) { return h.r.RemoveContact("c", "flow") }, ContactConnected, nil, apierr.CodeResourceInUse},
		{ContactConnected, "accept again", func(h *harness) ([]Event, error) { return h.r.Accept("o1") }, ContactConnected, nil, ""},
		{ContactConnected, "transfer to queue", func(h *harness) ([]Event, error) { return h.r.TransferToQueue("c", "q2") }, ContactQueued, []EventType{EventContactQueued, EventAgentStateChanged}, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.state)+"/"+tt.input, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.queue("q", "q2")
			if err := h.r.PutQueue(Queue{ID: "full", MaxContacts: 1}); err != nil {
				t.Fatal(err)
			}
			if err := h.r.PutQueue(Queue{ID: "off", Status: QueueDisabled}); err != nil {
				t.Fatal(err)
			}
			h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
			h.must(h.r.AgentLogin("b", "p", Offline()))
			h.enqueue("filler", "full", ChannelChat, 0)
			states[tt.state](h)
			ev, err := tt.do(h)
			if got := apierr.As(err); (got == nil) != (tt.code == "") || (got != nil && got.Code != tt.code) {
				t.Fatalf("error: got %v, want code %q", err, tt.code)
			}
			var gotTypes []EventType
			for _, e := range ev {
				gotTypes = append(gotTypes, e.Type)
			}
			if diff := cmp.Diff(tt.effects, gotTypes); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			v, err := h.r.Contact("c")
			got := v.State
			if err != nil {
				got = gone
			}
			if got != tt.next {
				t.Errorf("next: got %s, want %s", got, tt.next)
			}
		})
	}
}
