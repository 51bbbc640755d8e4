package routing

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/apierr"
)

func TestRejectRequeuesAtOriginalAge(t *testing.T) {
	h := newHarness(t, Config{})
	h.queue("q")
	h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.enqueue("first", "q", ChannelChat, 0) // offered to a as o1
	h.clk.Advance(5 * time.Second)
	h.enqueue("second", "q", ChannelChat, 0)
	h.clk.Advance(5 * time.Second)
	h.login("b", "p") // takes "second"
	got := h.must(h.r.Reject("o1"))
	// b is busy, a is missed: "first" waits, ahead of nothing, at its original age.
	want := []string{"OfferRejected first a", "AgentStateChanged a MISSED"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	v, _ := h.r.Contact("first")
	if !v.EnqueuedAt.Equal(t0) || v.State != ContactQueued {
		t.Errorf("first: got %s at %v, want QUEUED at %v", v.State, v.EnqueuedAt, t0)
	}
	h.enqueue("third", "q", ChannelChat, 0)
	// b rejects too; then the first agent to come back gets "first" (oldest), not "third".
	h.must(h.r.Reject(h.offerOf("second")))
	got = only(h.must(h.r.SetAgentStatus("a", Available())), EventOfferMade)
	if diff := cmp.Diff([]string{"OfferMade first a"}, got); diff != "" {
		t.Errorf("offers (-want +got):\n%s", diff)
	}
}

func TestOfferTimeoutPerChannel(t *testing.T) {
	h := newHarness(t, Config{OfferTimeout: map[Channel]time.Duration{ChannelTask: time.Minute}})
	h.queue("q")
	h.profile(RoutingProfile{ID: "p", MediaConcurrencies: []MediaConcurrency{{Channel: ChannelChat, Concurrency: 1, CrossChannelBehavior: RouteAnyChannel}, {Channel: ChannelTask, Concurrency: 1, CrossChannelBehavior: RouteAnyChannel}},
		Queues: []ProfileQueue{pq("q", ChannelChat, 1, 0), pq("q", ChannelTask, 1, 0)}})
	h.login("a", "p")
	h.enqueue("chat", "q", ChannelChat, 0)
	h.enqueue("task", "q", ChannelTask, 0)
	chat, _ := h.r.Offer(h.offerOf("chat"))
	task, _ := h.r.Offer(h.offerOf("task"))
	if got, want := chat.ExpiresAt.Sub(chat.MadeAt), DefaultOfferTimeout; got != want {
		t.Errorf("chat offer timeout: got %v, want %v", got, want)
	}
	if got, want := task.ExpiresAt.Sub(task.MadeAt), time.Minute; got != want {
		t.Errorf("task offer timeout: got %v, want %v", got, want)
	}
	if next, ok := h.r.NextDeadline(); !ok || !next.Equal(chat.ExpiresAt) {
		t.Errorf("next deadline: got %v %v, want %v", next, ok, chat.ExpiresAt)
	}
	got := summarise(h.r.Tick(chat.ExpiresAt))
	want := []string{"OfferExpired chat a", "AgentStateChanged a INCOMING"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tick (-want +got):\n%s", diff)
	}
	// The task offer is still pending and may be accepted.
	h.must(h.r.Accept(task.ID))
}

func TestAcceptIsIdempotentAndStaleAfterRestore(t *testing.T) {
	h := newHarness(t, Config{})
	h.queue("q")
	h.profile(chatProfile("p", 2, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.enqueue("c1", "q", ChannelChat, 0)
	h.enqueue("c2", "q", ChannelChat, 0)
	first := h.must(h.r.Accept("o1"))
	if len(first) == 0 {
		t.Fatal("first accept returned no events")
	}
	if again := h.must(h.r.Accept("o1")); len(again) != 0 {
		t.Errorf("second accept: got %v, want no events", again)
	}
	// A crash with o2 in flight: after Restore the old offer ID is gone, c2 is offered again
	// (the agent, still on c1, is told its contacts changed).
	r2, ev, err := Restore(Config{Clock: h.clk.Now, NewID: func() string { return "fresh" }}, h.r.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"OfferMade c2 a", "AgentStateChanged a ON_CONTACT"}, summarise(ev)); diff != "" {
		t.Errorf("restore events (-want +got):\n%s", diff)
	}
	if _, err := r2.Accept("o2"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("stale accept: got %v, want ResourceNotFoundException", err)
	}
	v, _ := r2.Agent("a")
	if v.Missed {
		t.Error("agent marked missed after a restore; the node dropped the offer, not the agent")
	}
}

func TestAfterContactWorkKeepsChosenStatus(t *testing.T) {
	lunch := AgentStatus{Name: "Lunch", Type: StatusCustom}
	tests := []struct {
		name   string
		during AgentStatus
		want   Activity
	}{
		{"back to Available", Available(), ActivityAvailable},
		{"custom status chosen during the contact", lunch, ActivityCustom},
		{"offline chosen during the contact", Offline(), ActivityOffline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{AfterContactWork: map[Channel]time.Duration{ChannelChat: 30 * time.Second}})
			h.queue("q")
			h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
			h.login("a", "p")
			h.enqueue("c", "q", ChannelChat, 0)
			h.must(h.r.Accept("o1"))
			h.must(h.r.SetAgentStatus("a", tt.during))
			h.must(h.r.EndContact("c"))
			h.enqueue("waiting", "q", ChannelChat, 0)
			if v, _ := h.r.Agent("a"); v.Activity != ActivityAfterContactWork {
				t.Fatalf("after end: got %s, want AFTER_CONTACT_WORK", v.Activity)
			}
			ev := summarise(h.r.Tick(t0.Add(30 * time.Second)))
			v, _ := h.r.Agent("a")
			if tt.want == ActivityAvailable {
				if diff := cmp.Diff([]string{"OfferMade waiting a", "AgentStateChanged a INCOMING"}, ev); diff != "" {
					t.Errorf("tick (-want +got):\n%s", diff)
				}
				return
			}
			if v.Activity != tt.want {
				t.Errorf("after ACW: got %s, want %s", v.Activity, tt.want)
			}
		})
	}
}

func TestQueueCapacity(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.r.PutQueue(Queue{ID: "q", MaxContacts: 2}); err != nil {
		t.Fatal(err)
	}
	h.enqueue("c1", "q", ChannelChat, 0)
	h.enqueue("c2", "q", ChannelVoice, 0)
	ev, err := h.r.Enqueue(EnqueueRequest{ContactID: "c3", QueueID: "q", Channel: ChannelChat})
	if !IsAtCapacity(err) {
		t.Fatalf("third contact: got %v, want at capacity", err)
	}
	if got := err.Error(); got != `enqueue contact "c3": ServiceQuotaExceededException: queue at capacity: q` {
		t.Errorf("error: got %q", got)
	}
	if diff := cmp.Diff([]string{"QueueAtCapacity c3"}, summarise(ev)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	h.must(h.r.EndContact("c1")) // frees capacity
	h.enqueue("c3", "q", ChannelChat, 0)
	// Raising the capacity takes effect at once.
	if err := h.r.PutQueue(Queue{ID: "q", MaxContacts: 3}); err != nil {
		t.Fatal(err)
	}
	h.enqueue("c4", "q", ChannelChat, 0)
	m, _ := h.r.QueueMetrics("q", "")
	if m.ContactsInQueue != 3 {
		t.Errorf("contacts in queue: got %d, want 3", m.ContactsInQueue)
	}
}

func TestValidationErrors(t *testing.T) {
	h := newHarness(t, Config{})
	h.queue("q")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"voice concurrency 2", func() error {
			_, err := h.r.PutRoutingProfile(RoutingProfile{ID: "p", MediaConcurrencies: []MediaConcurrency{{Channel: ChannelVoice, Concurrency: 2}}})
			return err
		}(), `put routing profile: InvalidParameterException: routing profile "p": VOICE concurrency must be 1–1, got 2`},
		{"chat concurrency 11", func() error {
			_, err := h.r.PutRoutingProfile(chatProfile("p", 11))
			return err
		}(), `put routing profile: InvalidParameterException: routing profile "p": CHAT concurrency must be 1–10, got 11`},
		{"unknown queue", func() error {
			_, err := h.r.PutRoutingProfile(chatProfile("p", 1, pq("nope", ChannelChat, 1, 0)))
			return err
		}(), `put routing profile: ResourceNotFoundException: queue not found: nope`},
		{"delay too long", func() error {
			_, err := h.r.PutRoutingProfile(chatProfile("p", 1, pq("q", ChannelChat, 1, 10000)))
			return err
		}(), `put routing profile: InvalidParameterException: routing profile "p": delay must be 0–9999 seconds, got 10000`},
		{"bad channel", func() error {
			_, err := h.r.Enqueue(EnqueueRequest{ContactID: "c", QueueID: "q", Channel: "EMAIL"})
			return err
		}(), `enqueue contact "c": InvalidParameterException: channel must be VOICE, CHAT or TASK, got "EMAIL"`},
		{"unknown queue on enqueue", func() error {
			_, err := h.r.Enqueue(EnqueueRequest{ContactID: "c", QueueID: "x", Channel: ChannelChat})
			return err
		}(), `enqueue contact "c": ResourceNotFoundException: queue not found: x`},
		{"unknown offer", func() error { _, err := h.r.Accept("nope"); return err }(), `accept offer "nope": ResourceNotFoundException: offer not found: nope`},
		{"unknown agent", func() error { _, err := h.r.SetAgentStatus("nobody", Available()); return err }(), `set agent status: ResourceNotFoundException: agent not found: nobody`},
		{"bad hours zone", h.r.PutHours(Hours{ID: "h", TimeZone: "Mars/Olympus"}), `put hours: InvalidParameterException: hours "h": unknown time zone "Mars/Olympus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("error:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestTransferToAgentQueue(t *testing.T) {
	h := newHarness(t, Config{})
	h.queue("q")
	h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.login("b", "p")
	h.enqueue("c", "q", ChannelChat, 0) // to a (available longest)
	h.must(h.r.Accept("o1"))
	got := h.must(h.r.TransferToAgent("c", "a")) // a is busy with c: it waits for a
	want := []string{"ContactQueued c a transfer", "OfferMade c a", "AgentStateChanged a INCOMING"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transfer (-want +got):\n%s", diff)
	}
}

// TestCheckTransfer: CheckTransfer answers what TransferToQueue or TransferToAgent would
// (error text and code, QueueAtCapacity for a full queue) and leaves the contact, its agent
// and the queues as they were.
func TestCheckTransfer(t *testing.T) {
	tests := []struct {
		name, contact, queue, agent string
		code                        apierr.Code
		events                      []string
	}{
		{"to a queue", "c", "q2", "", "", nil},
		{"to an agent", "c", "", "b", "", nil},
		{"within its full queue", "filler", "full", "", "", nil},
		{"to a full queue", "c", "full", "", apierr.CodeServiceQuotaExceeded, []string{"QueueAtCapacity c"}},
		{"to a disabled queue", "c", "off", "", apierr.CodeInvalidRequest, nil},
		{"to an unknown queue", "c", "nope", "", apierr.CodeResourceNotFound, nil},
		{"to an unknown agent", "c", "", "nobody", apierr.CodeResourceNotFound, nil},
		{"of an unknown contact", "gone", "q2", "", apierr.CodeResourceNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setup := func() *harness {
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
				h.login("a", "p")
				h.enqueue("c", "q", ChannelChat, 0)
				h.must(h.r.Accept("o1"))
				return h
			}
			h := setup()
			state := func() string {
				c, cerr := h.r.Contact(tt.contact)
				a, _ := h.r.Agent("a")
				m, _ := h.r.QueueMetrics("full", ChannelChat)
				return fmt.Sprintf("%+v %v %+v %+v", c, cerr, a, m)
			}
			before := state()
			ev, err := h.r.CheckTransfer(tt.contact, tt.queue, tt.agent)
			want := tt.events
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, only(summarise(ev), EventQueueAtCapacity)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if got := apierr.As(err); (got == nil) != (tt.code == "") || (got != nil && got.Code != tt.code) {
				t.Fatalf("error: got %v, want code %q", err, tt.code)
			}
			if after := state(); after != before {
				t.Errorf("CheckTransfer changed the router:\n before %s\n after  %s", before, after)
			}
			// The transfer itself answers the same.
			h2 := setup()
			var terr error
			if tt.agent != "" {
				_, terr = h2.r.TransferToAgent(tt.contact, tt.agent)
			} else {
				_, terr = h2.r.TransferToQueue(tt.contact, tt.queue)
			}
			if fmt.Sprint(terr) != fmt.Sprint(err) {
				t.Errorf("CheckTransfer: %v; the transfer: %v", err, terr)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, Config{AfterContactWork: map[Channel]time.Duration{ChannelChat: time.Minute}})
	h.queue("q", "other")
	h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
	h.profile(chatProfile("elsewhere", 1, pq("other", ChannelChat, 1, 0)))
	h.login("busy", "p")
	h.enqueue("c1", "q", ChannelChat, 0)
	h.must(h.r.Accept("o1"))
	h.login("wrap", "p")
	h.enqueue("c2", "q", ChannelChat, 0)
	h.must(h.r.Accept("o2"))
	h.must(h.r.EndContact("c2"))
	h.must(h.r.AgentLogin("lunch", "p", AgentStatus{Name: "Lunch", Type: StatusCustom}))
	h.must(h.r.AgentLogin("off", "p", Offline()))
	h.login("free", "p")
	h.login("not-this-queue", "elsewhere")
	h.must(h.r.SetAgentStatus("free", Offline()))
	h.enqueue("w1", "q", ChannelChat, 0)
	h.clk.Advance(42 * time.Second)
	h.must(h.r.SetAgentStatus("free", Available())) // takes w1 (offered: still in queue)
	h.enqueue("w2", "q", ChannelChat, 0)
	h.clk.Advance(3 * time.Second)
	h.r.Tick(h.clk.t)
	got, err := h.r.QueueMetrics("q", ChannelChat)
	if err != nil {
		t.Fatal(err)
	}
	want := QueueMetrics{
		ContactsInQueue: 2, OldestContactAge: 3 * time.Second,
		AgentsOnline: 4, AgentsAvailable: 0, AgentsStaffed: 3,
		AgentsOnContact: 1, AgentsAfterContactWork: 1, AgentsNonProductive: 1,
		SlotsActive: 3, // busy (connected), wrap (after-contact work), free (offered)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

func TestReconcile(t *testing.T) {
	h := newHarness(t, Config{AfterContactWork: map[Channel]time.Duration{ChannelChat: time.Minute}})
	h.queue("q")
	h.profile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.enqueue("ghost", "q", ChannelChat, 0)
	h.must(h.r.Accept("o1"))
	h.enqueue("next", "q", ChannelChat, 0)
	h.enqueue("gone-too", "q", ChannelChat, 0)
	got := summarise(h.r.Reconcile(func(id string) bool { return id == "next" }))
	// The agent's claim on "ghost" is dropped without after-contact work; it takes "next".
	want := []string{"ContactEnded ghost a reconcile", "ContactEnded gone-too reconcile", "OfferMade next a", "AgentStateChanged a INCOMING"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reconcile (-want +got):\n%s", diff)
	}
}

func TestRestoreRoundTrip(t *testing.T) {
	h := newHarness(t, Config{AfterContactWork: map[Channel]time.Duration{ChannelChat: time.Minute}})
	if err := h.r.PutHours(Hours{ID: "h", TimeZone: "UTC", Config: []HoursConfig{{Day: time.Monday, Start: TimeOfDay{8, 0}, End: TimeOfDay{17, 0}}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.r.PutQueue(Queue{ID: "q", HoursOfOperationID: "h", MaxContacts: 10}); err != nil {
		t.Fatal(err)
	}
	h.profile(chatProfile("p", 2, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.must(h.r.AgentLogin("b", "p", AgentStatus{Name: "Lunch", Type: StatusCustom}))
	h.enqueue("c1", "q", ChannelChat, 0)
	h.must(h.r.Accept("o1"))
	h.enqueue("c2", "q", ChannelChat, 0)
	h.must(h.r.Accept("o2"))
	h.must(h.r.EndContact("c2"))
	h.enqueue("c3", "q", ChannelChat, 3)
	h.enqueue("c4", "q", ChannelChat, 0)
	before := h.r.Snapshot()
	r2, ev, err := Restore(Config{Clock: h.clk.Now, AfterContactWork: map[Channel]time.Duration{ChannelChat: time.Minute}}, before)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 0 {
		t.Errorf("restore events: got %v, want none", summarise(ev))
	}
	if diff := cmp.Diff(before, r2.Snapshot()); diff != "" {
		t.Errorf("snapshot after restore (-before +after):\n%s", diff)
	}
	// After-contact work resumes its timeout: a minute after it began, a takes c3.
	got := only(summarise(r2.Tick(t0.Add(time.Minute))), EventOfferMade)
	if diff := cmp.Diff([]string{"OfferMade c3 a"}, got); diff != "" {
		t.Errorf("after restore (-want +got):\n%s", diff)
	}
}

func TestLoop(t *testing.T) {
	clk := time.Now
	r := New(Config{Clock: clk, OfferTimeout: map[Channel]time.Duration{ChannelChat: 20 * time.Millisecond}})
	events := make(chan []Event, 8)
	l := NewLoop(r, func(ev []Event) { events <- ev }, clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var err error
	if e := l.Do(ctx, func(r *Router) {
		if err = r.PutQueue(Queue{ID: "q"}); err != nil {
			return
		}
		if _, err = r.PutRoutingProfile(chatProfile("p", 1, pq("q", ChannelChat, 1, 0))); err != nil {
			return
		}
		if _, err = r.AgentLogin("a", "p", Available()); err != nil {
			return
		}
		_, err = r.Enqueue(EnqueueRequest{ContactID: "c", QueueID: "q", Channel: ChannelChat})
	}); e != nil || err != nil {
		t.Fatal(e, err)
	}
	select {
	case ev := <-events:
		if got := only(summarise(ev), EventOfferExpired); len(got) != 1 {
			t.Errorf("tick events: got %v, want one OfferExpired", summarise(ev))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("offer did not expire")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("run: got %v, want context.Canceled", err)
	}
}

// TestAgentStateChangedOnContactListChanges: an agent that stays ON_CONTACT is still told
// when the contacts it holds change (a second chat offered and accepted, one transferred
// away into after-contact work, a wrap-up that times out), each time with the lists as they
// are after the command; a command that changes nothing for the agent tells it nothing.
func TestAgentStateChangedOnContactListChanges(t *testing.T) {
	h := newHarness(t, Config{AfterContactWork: map[Channel]time.Duration{ChannelChat: 30 * time.Second}})
	h.queue("q", "q2")
	h.profile(chatProfile("p", 2, pq("q", ChannelChat, 1, 0)))
	h.login("a", "p")
	h.enqueue("c1", "q", ChannelChat, 0)
	h.must(h.r.Accept("o1"))

	// lists renders the agent's lists of the last AgentStateChanged in ev.
	lists := func(step string, ev []Event, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		got := ""
		n := 0
		for _, e := range ev {
			if e.Type != EventAgentStateChanged || e.AgentID != "a" {
				continue
			}
			n++
			got = string(e.Agent.Activity) + ":"
			for _, c := range e.Agent.Contacts {
				got += " " + c.ContactID + "=" + string(c.State)
			}
			got += " acw"
			for _, w := range e.Agent.AfterContactWork {
				got += " " + w.ContactID
			}
		}
		if n > 1 {
			t.Errorf("%s: %d AgentStateChanged events, want at most 1", step, n)
		}
		return got
	}
	steps := []struct {
		name string
		do   func() ([]Event, error)
		want string
	}{
		{"second chat offered", func() ([]Event, error) {
			return h.r.Enqueue(EnqueueRequest{ContactID: "c2", QueueID: "q", Channel: ChannelChat})
		}, "ON_CONTACT: c1=CONNECTED c2=OFFERED acw"},
		{"second chat accepted", func() ([]Event, error) { return h.r.Accept("o2") }, "ON_CONTACT: c1=CONNECTED c2=CONNECTED acw"},
		{"first chat transferred away", func() ([]Event, error) { return h.r.TransferToQueue("c1", "q2") }, "ON_CONTACT: c2=CONNECTED acw c1"},
		{"nothing for the agent", func() ([]Event, error) {
			return h.r.Enqueue(EnqueueRequest{ContactID: "x", QueueID: "q2", Channel: ChannelChat})
		}, ""},
		{"wrap-up times out", func() ([]Event, error) { return h.r.Tick(t0.Add(31 * time.Second)), nil }, "ON_CONTACT: c2=CONNECTED acw"},
	}
	for _, s := range steps {
		ev, err := s.do()
		if got := lists(s.name, ev, err); got != s.want {
			t.Errorf("%s: AgentStateChanged %q, want %q", s.name, got, s.want)
		}
	}
}
