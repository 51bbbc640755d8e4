package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

func createInstance(t *testing.T, s store.Store, alias string) instance.Instance {
	t.Helper()
	in := newInstance(alias)
	if err := s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, in) }); err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	return in
}

func sampleContact(inst string, n int, at time.Time) contact.Contact {
	return contact.Contact{
		InstanceID: inst, ID: fmt.Sprintf("c0000000-0000-4000-8000-%012d", n), Channel: contact.ChannelTask,
		InitiationMethod: contact.InitiationAPI, State: contact.StateInitiated, Name: "Refund", Description: "call back",
		References:       map[string]contact.Reference{"ticket": {Type: "URL", Value: "https://example.com/t/1"}},
		Attributes:       map[string]string{"tier": "gold"},
		CustomerEndpoint: &contact.Endpoint{Type: "TELEPHONE_NUMBER", Address: "+14155550100"},
		SystemEndpoint:   &contact.Endpoint{Type: "CONTACT_FLOW", Address: "flow"},
		FlowID:           "f1", Queue: contact.QueueInfo{Priority: 5}, Tags: map[string]string{"k": "v"},
		InitiationTimestamp: at, LastUpdateTimestamp: at,
	}
}

func testContacts(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "contacts-a"), createInstance(t, s, "contacts-b")
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	c := sampleContact(a.ID, 1, base)
	if err := s.Update(ctx, ev("StartTaskContact"), func(ctx context.Context, tx store.Tx) error { return tx.CreateContact(ctx, c) }); err != nil {
		t.Fatalf("CreateContact: %v", err)
	}
	get := func(inst, id string) (contact.Contact, error) {
		var got contact.Contact
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetContact(ctx, inst, id)
			return err
		})
		return got, err
	}
	got, err := get(a.ID, c.ID)
	if err != nil {
		t.Fatalf("GetContact: %v", err)
	}
	c.Version = 1
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GetContact mismatch (-want +got):\n%s", diff)
	}
	// Another instance cannot see it.
	_, err = get(b.ID, c.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	// Duplicate.
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateContact(ctx, c) })
	wantCode(t, err, apierr.CodeDuplicateResource)

	// Optimistic update: the first wins, a stale copy conflicts.
	stale := got
	got.State, got.Attributes = contact.StateInFlow, map[string]string{"tier": "platinum"}
	got.Agent.ConnectedToAgentTimestamp = base.Add(time.Minute)
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.UpdateContact(ctx, got) }); err != nil {
		t.Fatalf("UpdateContact: %v", err)
	}
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.UpdateContact(ctx, stale) })
	wantCode(t, err, apierr.CodeResourceConflict)
	again, _ := get(a.ID, c.ID)
	if again.Version != 2 || again.Attributes["tier"] != "platinum" || !again.Agent.ConnectedToAgentTimestamp.Equal(base.Add(time.Minute)) {
		t.Errorf("after update: %+v", again)
	}
	missing := sampleContact(a.ID, 999, base)
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.UpdateContact(ctx, missing) })
	wantCode(t, err, apierr.CodeResourceNotFound)

	// Flow sessions round-trip, replace and delete.
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutFlowSession(ctx, a.ID, c.ID, []byte(`{"v":1}`)); err != nil {
			return err
		}
		return tx.PutFlowSession(ctx, a.ID, c.ID, []byte(`{"v":2}`))
	}); err != nil {
		t.Fatalf("PutFlowSession: %v", err)
	}
	var sess []byte
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		sess, err = tx.GetFlowSession(ctx, a.ID, c.ID)
		return err
	}); err != nil || string(sess) != `{"v":2}` {
		t.Fatalf("GetFlowSession = %q, %v", sess, err)
	}
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { _, err := tx.GetFlowSession(ctx, b.ID, c.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.DeleteFlowSession(ctx, a.ID, c.ID) }); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { _, err := tx.GetFlowSession(ctx, a.ID, c.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)

	// Flow logs keep order and pages.
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return tx.AppendFlowLogs(ctx, a.ID, c.ID, base, [][]byte{[]byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`)})
	}); err != nil {
		t.Fatalf("AppendFlowLogs: %v", err)
	}
	var logs []contact.FlowLog
	_ = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		logs, err = tx.ListFlowLogs(ctx, a.ID, c.ID, 0, 2)
		return err
	})
	if len(logs) != 2 || string(logs[0].Entry) != `{"n":1}` || string(logs[1].Entry) != `{"n":2}` {
		t.Fatalf("ListFlowLogs page 1 = %+v", logs)
	}
	_ = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		logs, err = tx.ListFlowLogs(ctx, a.ID, c.ID, logs[1].Seq, 2)
		return err
	})
	if len(logs) != 1 || string(logs[0].Entry) != `{"n":3}` {
		t.Fatalf("ListFlowLogs page 2 = %+v", logs)
	}
	_ = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		logs, err = tx.ListFlowLogs(ctx, b.ID, c.ID, 0, 10)
		return err
	})
	if len(logs) != 0 {
		t.Fatalf("another instance sees flow logs: %+v", logs)
	}
}

func testContactSearch(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a := createInstance(t, s, "search-a")
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	var all []string
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for i := range 7 {
			c := sampleContact(a.ID, 100+i, base.Add(time.Duration(i)*time.Minute))
			if i%2 == 1 {
				c.Channel, c.Queue.QueueID, c.Agent.AgentID = contact.ChannelChat, "q1", "agent-1"
			}
			if i == 6 {
				c.State = contact.StateEnded
			}
			all = append(all, c.ID)
			if err := tx.CreateContact(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	search := func(q contact.Query) []string {
		var ids []string
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			cs, err := tx.SearchContacts(ctx, a.ID, q)
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return err
		}); err != nil {
			t.Fatalf("SearchContacts: %v", err)
		}
		return ids
	}
	// Pages of 3 forward and backward cover everything once, in order.
	var fwd []string
	q := contact.Query{Limit: 3}
	for {
		page := search(q)
		fwd = append(fwd, page...)
		if len(page) < 3 {
			break
		}
		last := page[len(page)-1]
		var lc contact.Contact
		_ = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { lc, _ = tx.GetContact(ctx, a.ID, last); return nil })
		q.AfterTime, q.AfterID = lc.InitiationTimestamp, lc.ID
	}
	if diff := cmp.Diff(all, fwd); diff != "" {
		t.Errorf("forward pages (-want +got):\n%s", diff)
	}
	desc := search(contact.Query{Descending: true, Limit: 2})
	if diff := cmp.Diff([]string{all[6], all[5]}, desc); diff != "" {
		t.Errorf("descending (-want +got):\n%s", diff)
	}
	chats := search(contact.Query{Channels: []contact.Channel{contact.ChannelChat}, QueueIDs: []string{"q1"}, AgentIDs: []string{"agent-1"}})
	if diff := cmp.Diff([]string{all[1], all[3], all[5]}, chats); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	window := search(contact.Query{Start: base.Add(2 * time.Minute), End: base.Add(4 * time.Minute)})
	if diff := cmp.Diff([]string{all[2], all[3]}, window); diff != "" {
		t.Errorf("time range (-want +got):\n%s", diff)
	}
	var active []contact.Contact
	_ = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		active, err = tx.ListActiveContacts(ctx, a.ID)
		return err
	})
	if len(active) != 6 {
		t.Errorf("ListActiveContacts = %d contacts, want 6", len(active))
	}
	// Retention deletes ended contacts initiated before the cut, with their records.
	var p contact.Purged
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.DeleteContactsBefore(ctx, base.Add(time.Hour), 10)
		return err
	}); err != nil || p != (contact.Purged{Contacts: 1}) {
		t.Errorf("DeleteContactsBefore = %+v, %v; want 1 contact", p, err)
	}
}

func testContactRecords(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a := createInstance(t, s, "records-a")
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for i := range 3 {
			r := contact.RecordEntry{InstanceID: a.ID, ContactID: fmt.Sprintf("c-%d", i), LastUpdate: base.Add(time.Duration(i) * time.Second),
				Initiated: base, Body: []byte(fmt.Sprintf(`{"ContactId":"c-%d"}`, i))}
			if err := tx.AppendContactRecord(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("AppendContactRecord: %v", err)
	}
	var recs []contact.RecordEntry
	var cur int64
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if cur, err = tx.SinkCursor(ctx, "jsonl"); err != nil {
			return err
		}
		if recs, err = tx.ListContactRecords(ctx, cur, 2); err != nil {
			return err
		}
		return tx.SetSinkCursor(ctx, "jsonl", recs[len(recs)-1].Seq)
	}); err != nil {
		t.Fatal(err)
	}
	if cur != 0 || len(recs) != 2 || string(recs[0].Body) != `{"ContactId":"c-0"}` || !recs[1].LastUpdate.Equal(base.Add(time.Second)) {
		t.Fatalf("first page: cursor %d, %+v", cur, recs)
	}
	_ = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if cur, err = tx.SinkCursor(ctx, "jsonl"); err != nil {
			return err
		}
		recs, err = tx.ListContactRecords(ctx, cur, 10)
		return err
	})
	if len(recs) != 1 || recs[0].ContactID != "c-2" {
		t.Fatalf("second page after cursor %d: %+v", cur, recs)
	}
}

// testHandledContacts: every agent a contact was stored connected to keeps it in its
// handled contacts, newest first with a cursor, after a transfer gave the contact another
// agent; other instances' contacts never show; retention takes the entries with the
// contacts.
func testHandledContacts(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "handled-a"), createInstance(t, s, "handled-b")
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	c1, c2, c3 := sampleContact(a.ID, 301, base), sampleContact(a.ID, 302, base.Add(time.Minute)), sampleContact(a.ID, 303, base.Add(2*time.Minute))
	other := sampleContact(b.ID, 304, base)
	connect := func(c *contact.Contact, agentID string, at time.Time) {
		c.State, c.Agent = contact.StateConnected, contact.AgentInfo{AgentID: agentID, ConnectedToAgentTimestamp: at}
	}
	connect(&c2, "agent-1", base.Add(61*time.Second))
	connect(&c3, "agent-2", base.Add(121*time.Second))
	connect(&other, "agent-1", base.Add(time.Second))
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []contact.Contact{c1, c2, c3, other} {
			if err := tx.CreateContact(ctx, c); err != nil {
				return err
			}
		}
		// c1: agent-1 accepts, transfers it to a queue (the contact forgets the agent), and
		// agent-2 accepts it; an update with the same agent adds nothing.
		for _, step := range []func(c *contact.Contact){
			func(c *contact.Contact) { connect(c, "agent-1", base.Add(time.Second)) },
			func(c *contact.Contact) {
				c.State, c.Agent, c.Queue.QueueID = contact.StateQueued, contact.AgentInfo{}, "q2"
			},
			func(c *contact.Contact) { connect(c, "agent-2", base.Add(5*time.Second)) },
			func(c *contact.Contact) { c.Attributes = map[string]string{"stage": "billing"} },
		} {
			cur, err := tx.GetContact(ctx, a.ID, c1.ID)
			if err != nil {
				return err
			}
			step(&cur)
			if err := tx.UpdateContact(ctx, cur); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("store contacts: %v", err)
	}
	list := func(inst, agentID string, after *contact.HandledContact, limit int) []string {
		t.Helper()
		var out []string
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var at time.Time
			var id string
			if after != nil {
				at, id = after.Contact.InitiationTimestamp, after.Contact.ID
			}
			hs, err := tx.ListHandledContacts(ctx, inst, agentID, at, id, limit)
			for _, h := range hs {
				out = append(out, fmt.Sprintf("%s@%s now:%s", h.Contact.ID[len(h.Contact.ID)-3:], h.ConnectedToAgent.Format("15:04:05"), h.Contact.Agent.AgentID))
			}
			return err
		}); err != nil {
			t.Fatalf("ListHandledContacts: %v", err)
		}
		return out
	}
	if diff := cmp.Diff([]string{"302@09:01:01 now:agent-1", "301@09:00:01 now:agent-2"}, list(a.ID, "agent-1", nil, 10)); diff != "" {
		t.Errorf("agent-1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"303@09:02:01 now:agent-2", "301@09:00:05 now:agent-2"}, list(a.ID, "agent-2", nil, 10)); diff != "" {
		t.Errorf("agent-2 (-want +got):\n%s", diff)
	}
	// Pages of one, with the cursor of the last contact.
	first := contact.HandledContact{Contact: c2}
	if diff := cmp.Diff([]string{"301@09:00:01 now:agent-2"}, list(a.ID, "agent-1", &first, 1)); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	if got := list(b.ID, "agent-2", nil, 10); len(got) != 0 {
		t.Errorf("instance b lists instance a's contacts: %v", got)
	}
	if got := list(a.ID, "agent-3", nil, 10); len(got) != 0 {
		t.Errorf("an agent who handled nothing: %v", got)
	}
	// Retention: the ended contact goes with its entries.
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetContact(ctx, a.ID, c2.ID)
		if err != nil {
			return err
		}
		cur.State = contact.StateEnded
		if err := tx.UpdateContact(ctx, cur); err != nil {
			return err
		}
		_, err = tx.DeleteContactsBefore(ctx, base.Add(90*time.Second), contact.MaxPurgeBatch)
		return err
	}); err != nil {
		t.Fatalf("retention: %v", err)
	}
	if diff := cmp.Diff([]string{"301@09:00:01 now:agent-2"}, list(a.ID, "agent-1", nil, 10)); diff != "" {
		t.Errorf("agent-1 after retention (-want +got):\n%s", diff)
	}
}
