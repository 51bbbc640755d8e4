package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// testRoutingAdministration runs the routing administration transactions
// (store/routingadmin.go) that the API and the admin pages both use: queues, quick
// connects and routing profiles are created and changed with their references checked
// inside the instance (another instance's hours, queue, flow or quick connect is
// ResourceNotFoundException, and a refused change stores nothing), modification times are
// stamped, and RoutingChange names the operations after which a router is refreshed.
func testRoutingAdministration(t *testing.T, h Harness) {
	f := newRoutingFixture(t, h, "radm")
	hours, q1, q2 := f.seedRoutingConfig("ra")
	bHours := routing.HoursRecord{InstanceID: f.b.ID, ID: "rb-hours", Name: "b hours", TimeZone: "UTC", Tags: map[string]string{}, LastModified: modified}
	bQueue := routing.QueueRecord{InstanceID: f.b.ID, Queue: routing.Queue{ID: "rb-q", HoursOfOperationID: bHours.ID, Status: routing.QueueEnabled},
		Name: "b queue", Tags: map[string]string{}, LastModified: modified}
	flowOf := func(inst, id string) flow.Record {
		return flow.Record{InstanceID: inst, ID: id, Kind: flow.KindFlow, Name: "transfer " + id, Type: "QUEUE_TRANSFER", State: "ACTIVE",
			Status: "PUBLISHED", Content: `{"Version":"2019-10-30"}`, SavedContent: `{"Version":"2019-10-30"}`, Version: 1,
			Tags: map[string]string{}, LastModified: modified}
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		for _, fl := range []flow.Record{flowOf(f.a.ID, "ra-flow"), flowOf(f.b.ID, "rb-flow")} {
			if err := tx.CreateFlowRecord(ctx, fl); err != nil {
				return err
			}
		}
		if err := tx.CreateHours(ctx, bHours); err != nil {
			return err
		}
		return tx.CreateQueue(ctx, bQueue)
	})
	bQC := routing.QuickConnectRecord{InstanceID: f.b.ID, ID: "rb-qc", Name: "b connect", Tags: map[string]string{}, LastModified: modified}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return store.CreateQuickConnect(ctx, tx, bQC, store.QuickConnectDestination{Type: routing.QuickConnectQueue, QueueID: bQueue.ID, ContactFlowID: "rb-flow"})
	})
	later := modified.Add(time.Hour)
	queue := func(inst, id string) (routing.QueueRecord, error) {
		var q routing.QueueRecord
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			q, err = tx.GetQueue(ctx, inst, id)
			return err
		})
		return q, err
	}
	queueQCs := func(id string) []string {
		t.Helper()
		var ids []string
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			qcs, err := tx.ListQueueQuickConnects(ctx, f.a.ID, id, "", 10)
			for _, q := range qcs {
				ids = append(ids, q.ID)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	wantMessage := func(err error, code apierr.Code, msg string) {
		t.Helper()
		wantCode(t, err, code)
		if e := apierr.As(err); e != nil && !strings.Contains(e.Message, msg) {
			t.Errorf("message %q, want it to mention %q", e.Message, msg)
		}
	}

	// Hours of operation.
	newH := routing.HoursRecord{InstanceID: f.a.ID, ID: "ra-hours2", Name: "ra weekend", TimeZone: "Europe/Berlin",
		Config: []routing.HoursConfig{{Day: time.Saturday, Start: routing.TimeOfDay{Hours: 10}, End: routing.TimeOfDay{Hours: 14}}},
		Tags:   map[string]string{}, LastModified: modified}
	badZone, badTime, dupName := newH, newH, newH
	badZone.TimeZone = "Mars/Olympus"
	badTime.Config = []routing.HoursConfig{{Day: time.Monday, Start: routing.TimeOfDay{Hours: 24}}}
	dupName.Name = hours.Name
	for _, tc := range []struct {
		h    routing.HoursRecord
		code apierr.Code
		msg  string
	}{{badZone, apierr.CodeInvalidParameter, "unknown time zone"}, {badTime, apierr.CodeInvalidParameter, "out of range"}, {dupName, apierr.CodeDuplicateResource, ""}} {
		wantMessage(f.up(func(ctx context.Context, tx store.Tx) error { return store.CreateHoursOfOperation(ctx, tx, tc.h) }), tc.code, tc.msg)
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return store.CreateHoursOfOperation(ctx, tx, newH) })
	zone := "America/New_York"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateHoursOfOperation(ctx, tx, f.b.ID, newH.ID, later, nil, nil, &zone, nil)
	}), apierr.CodeResourceNotFound)
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateHoursOfOperation(ctx, tx, f.a.ID, newH.ID, later, nil, nil, &zone, nil)
	})
	var gotH routing.HoursRecord
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		gotH, err = tx.GetHours(ctx, f.a.ID, newH.ID)
		return err
	}); err != nil || gotH.TimeZone != zone || !slices.Equal(gotH.Config, newH.Config) || !gotH.LastModified.Equal(later) {
		t.Errorf("hours after UpdateHoursOfOperation: %+v, %v", gotH, err)
	}

	// Agent statuses.
	avail := routing.AgentStatusRecord{InstanceID: f.a.ID, ID: "ra-available", AgentStatus: routing.Available(), State: routing.AgentStatusEnabled,
		DisplayOrder: 1, Tags: map[string]string{}, LastModified: modified}
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.CreateAgentStatus(ctx, avail) })
	lunch := routing.AgentStatusRecord{InstanceID: f.a.ID, ID: "ra-lunch", AgentStatus: routing.AgentStatus{Name: "Lunch", Type: routing.StatusRoutable},
		State: routing.AgentStatusEnabled, Tags: map[string]string{}, LastModified: modified}
	zero, two := 0, 2
	wantMessage(f.up(func(ctx context.Context, tx store.Tx) error { return store.CreateAgentStatus(ctx, tx, lunch, &zero) }),
		apierr.CodeInvalidParameter, "DisplayOrder must be 1-50")
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return store.CreateAgentStatus(ctx, tx, lunch, &two) })
	disabled := routing.AgentStatusDisabled
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateAgentStatus(ctx, tx, f.b.ID, lunch.ID, later, store.AgentStatusChange{State: &disabled})
	}), apierr.CodeResourceNotFound)
	wantMessage(f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateAgentStatus(ctx, tx, f.a.ID, avail.ID, later, store.AgentStatusChange{State: &disabled})
	}), apierr.CodeInvalidRequest, "cannot be disabled")
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateAgentStatus(ctx, tx, f.a.ID, lunch.ID, later, store.AgentStatusChange{State: &disabled, ResetOrder: true})
	})
	var gotLunch routing.AgentStatusRecord
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		gotLunch, err = tx.GetAgentStatus(ctx, f.a.ID, lunch.ID)
		return err
	}); err != nil || gotLunch.Type != routing.StatusCustom || gotLunch.State != routing.AgentStatusDisabled || gotLunch.DisplayOrder != 0 ||
		!gotLunch.LastModified.Equal(later) {
		t.Errorf("agent status after the changes: %+v, %v (created ones are CUSTOM)", gotLunch, err)
	}

	// Queues.
	newQ := routing.QueueRecord{InstanceID: f.a.ID, Queue: routing.Queue{ID: "ra-q3", HoursOfOperationID: hours.ID, MaxContacts: 5},
		Name: "ra billing", Tags: map[string]string{}, LastModified: modified}
	for _, tc := range []struct {
		name string
		q    routing.QueueRecord
		qcs  []string
		code apierr.Code
		msg  string
	}{
		{"another instance's hours", withQueue(newQ, func(q *routing.QueueRecord) { q.HoursOfOperationID = bHours.ID }), nil, apierr.CodeResourceNotFound, ""},
		{"another instance's quick connect", newQ, []string{bQC.ID}, apierr.CodeResourceNotFound, ""},
		{"another instance's outbound flow", withQueue(newQ, func(q *routing.QueueRecord) { q.OutboundFlowID = "rb-flow" }), nil, apierr.CodeResourceNotFound, ""},
		{"negative capacity", withQueue(newQ, func(q *routing.QueueRecord) { q.MaxContacts = -1 }), nil, apierr.CodeInvalidParameter, "MaxContacts"},
		{"no name", withQueue(newQ, func(q *routing.QueueRecord) { q.Name = "" }), nil, apierr.CodeInvalidParameter, "Name must be 1-127 characters"},
		{"51 quick connects", newQ, make([]string, 51), apierr.CodeInvalidParameter, "QuickConnectIds"},
		{"name in use", withQueue(newQ, func(q *routing.QueueRecord) { q.Name = q1.Name }), nil, apierr.CodeDuplicateResource, ""},
	} {
		wantMessage(f.up(func(ctx context.Context, tx store.Tx) error { return store.CreateQueue(ctx, tx, tc.q, tc.qcs) }), tc.code, tc.msg)
		if _, err := queue(f.a.ID, newQ.ID); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			t.Fatalf("%s: the refused queue was stored (%v)", tc.name, err)
		}
	}
	qc := routing.QuickConnectRecord{InstanceID: f.a.ID, ID: "ra-qc", Name: "to sales", Tags: map[string]string{}, LastModified: modified}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return store.CreateQuickConnect(ctx, tx, qc, store.QuickConnectDestination{Type: routing.QuickConnectQueue, QueueID: q1.ID, ContactFlowID: "ra-flow"})
	})
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return store.CreateQueue(ctx, tx, newQ, []string{qc.ID}) })
	if got, err := queue(f.a.ID, newQ.ID); err != nil || got.Status != routing.QueueEnabled || got.MaxContacts != 5 || !slices.Equal(queueQCs(newQ.ID), []string{qc.ID}) {
		t.Errorf("created queue %+v, %v, quick connects %v", got, err, queueQCs(newQ.ID))
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateQueueHoursOfOperation(ctx, tx, f.a.ID, q2.ID, later, bHours.ID)
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.AssociateQueueQuickConnects(ctx, tx, f.a.ID, q2.ID, []string{qc.ID, bQC.ID}, later)
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateQueueStatus(ctx, tx, f.b.ID, q2.ID, later, routing.QueueDisabled)
	}), apierr.CodeResourceNotFound)
	wantMessage(f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateQueueStatus(ctx, tx, f.a.ID, q2.ID, later, "PAUSED")
	}), apierr.CodeInvalidParameter, "Status must be ENABLED or DISABLED")
	if got, _ := queue(f.a.ID, q2.ID); got.HoursOfOperationID != hours.ID || got.Status != routing.QueueEnabled || len(queueQCs(q2.ID)) != 0 || !got.LastModified.Equal(modified) {
		t.Errorf("queue after refused changes: %+v, quick connects %v", got, queueQCs(q2.ID))
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		if err := store.UpdateQueueStatus(ctx, tx, f.a.ID, q2.ID, later, routing.QueueDisabled); err != nil {
			return err
		}
		if err := store.UpdateQueueMaxContacts(ctx, tx, f.a.ID, q2.ID, later, 7); err != nil {
			return err
		}
		return store.AssociateQueueQuickConnects(ctx, tx, f.a.ID, q2.ID, []string{qc.ID}, later)
	})
	if got, _ := queue(f.a.ID, q2.ID); got.Status != routing.QueueDisabled || got.MaxContacts != 7 || !got.LastModified.Equal(later) ||
		!slices.Equal(queueQCs(q2.ID), []string{qc.ID}) {
		t.Errorf("queue after the changes: %+v, quick connects %v", got, queueQCs(q2.ID))
	}

	// Quick connects.
	for _, d := range []store.QuickConnectDestination{
		{Type: routing.QuickConnectQueue, QueueID: bQueue.ID, ContactFlowID: "ra-flow"},
		{Type: routing.QuickConnectQueue, QueueID: q1.ID, ContactFlowID: "rb-flow"},
		{Type: routing.QuickConnectUser, UserID: "no-such-user", ContactFlowID: "ra-flow"},
		{Type: routing.QuickConnectFlow, ContactFlowID: "rb-flow"},
	} {
		wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
			return store.UpdateQuickConnectConfig(ctx, tx, f.a.ID, qc.ID, later, d)
		}), apierr.CodeResourceNotFound)
	}
	wantMessage(f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateQuickConnectConfig(ctx, tx, f.a.ID, qc.ID, later, store.QuickConnectDestination{Type: routing.QuickConnectPhoneNumber, PhoneNumber: "0123"})
	}), apierr.CodeInvalidParameter, "E.164")
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateQuickConnectConfig(ctx, tx, f.a.ID, qc.ID, later, store.QuickConnectDestination{Type: routing.QuickConnectPhoneNumber, PhoneNumber: "+4930123456", QueueID: q1.ID})
	})
	var gotQC routing.QuickConnectRecord
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		gotQC, err = tx.GetQuickConnect(ctx, f.a.ID, qc.ID)
		return err
	})
	if gotQC.Type != routing.QuickConnectPhoneNumber || gotQC.PhoneNumber != "+4930123456" || gotQC.QueueID != "" || gotQC.ContactFlowID != "" || !gotQC.LastModified.Equal(later) {
		t.Errorf("quick connect after UpdateQuickConnectConfig: %+v", gotQC)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return store.DeleteQuickConnect(ctx, tx, f.a.ID, bQC.ID) }), apierr.CodeResourceNotFound)

	// Routing profiles.
	p := routing.RoutingProfileRecord{InstanceID: f.a.ID, RoutingProfile: routing.RoutingProfile{ID: "ra-rp", DefaultOutboundQueueID: q1.ID,
		MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 2}},
		Queues:             []routing.ProfileQueue{{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 1}}},
		Name: "ra agents", Description: "agents", Tags: map[string]string{}, LastModified: modified}
	for _, tc := range []struct {
		name string
		p    routing.RoutingProfileRecord
		code apierr.Code
		msg  string
	}{
		{"another instance's outbound queue", withProfile(p, func(p *routing.RoutingProfileRecord) { p.DefaultOutboundQueueID = bQueue.ID }), apierr.CodeResourceNotFound, ""},
		{"another instance's queue", withProfile(p, func(p *routing.RoutingProfileRecord) { p.Queues[0].QueueID = bQueue.ID }), apierr.CodeResourceNotFound, ""},
		{"no description", withProfile(p, func(p *routing.RoutingProfileRecord) { p.Description = "" }), apierr.CodeInvalidParameter, "Description"},
		{"no channel", withProfile(p, func(p *routing.RoutingProfileRecord) { p.MediaConcurrencies = nil }), apierr.CodeInvalidParameter, "MediaConcurrencies"},
		{"priority 100", withProfile(p, func(p *routing.RoutingProfileRecord) { p.Queues[0].Priority = 100 }), apierr.CodeInvalidParameter, "priority"},
	} {
		wantMessage(f.up(func(ctx context.Context, tx store.Tx) error { return store.CreateRoutingProfile(ctx, tx, tc.p) }), tc.code, tc.msg)
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return store.CreateRoutingProfile(ctx, tx, p) })
	profile := func() routing.RoutingProfileRecord {
		t.Helper()
		var got routing.RoutingProfileRecord
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetRoutingProfile(ctx, f.a.ID, p.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := profile(); got.AgentAvailabilityTimer != routing.TimeSinceLastActivity {
		t.Errorf("created profile's timer %q", got.AgentAvailabilityTimer)
	}
	wantMessage(f.up(func(ctx context.Context, tx store.Tx) error {
		return store.AssociateRoutingProfileQueues(ctx, tx, f.a.ID, p.ID, later, []routing.ProfileQueue{{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 2}})
	}), apierr.CodeInvalidParameter, "listed twice")
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateRoutingProfileDefaultOutboundQueue(ctx, tx, f.a.ID, p.ID, later, bQueue.ID)
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.UpdateRoutingProfileQueues(ctx, tx, f.a.ID, p.ID, later, []routing.ProfileQueue{{QueueID: q2.ID, Channel: routing.ChannelChat, Priority: 2}})
	}), apierr.CodeResourceNotFound)
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		if err := store.AssociateRoutingProfileQueues(ctx, tx, f.a.ID, p.ID, later, []routing.ProfileQueue{{QueueID: q2.ID, Channel: routing.ChannelChat, Priority: 3, DelaySeconds: 20}}); err != nil {
			return err
		}
		if err := store.UpdateRoutingProfileQueues(ctx, tx, f.a.ID, p.ID, later, []routing.ProfileQueue{{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 4, DelaySeconds: 5}}); err != nil {
			return err
		}
		return store.DisassociateRoutingProfileQueues(ctx, tx, f.a.ID, p.ID, later, []routing.ProfileQueue{{QueueID: q2.ID, Channel: routing.ChannelChat}})
	})
	if got := profile(); !slices.Equal(got.Queues, []routing.ProfileQueue{{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 4, DelaySeconds: 5}}) || !got.LastModified.Equal(later) {
		t.Errorf("profile after the changes: %+v", got)
	}

	for op, want := range map[string]bool{"UpdateQueueStatus": true, "CreateQueue": true, "AssociateRoutingProfileQueues": true,
		"UpdateRoutingProfileDefaultOutboundQueue": true, "UpdateQueueName": false, "AssociateQueueQuickConnects": false, "CreateQuickConnect": false} {
		if got := store.RoutingChange(op); got != want {
			t.Errorf("RoutingChange(%s) = %v, want %v", op, got, want)
		}
	}
}

// withQueue returns a copy of q changed by fn.
func withQueue(q routing.QueueRecord, fn func(q *routing.QueueRecord)) routing.QueueRecord {
	fn(&q)
	return q
}

// withProfile returns a deep copy of p changed by fn.
func withProfile(p routing.RoutingProfileRecord, fn func(p *routing.RoutingProfileRecord)) routing.RoutingProfileRecord {
	p.Queues = slices.Clone(p.Queues)
	p.MediaConcurrencies = slices.Clone(p.MediaConcurrencies)
	fn(&p)
	return p
}
