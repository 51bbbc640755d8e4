package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// routingFixture is two instances in one store with helpers scoped to the suite's context.
type routingFixture struct {
	t    *testing.T
	s    store.Store
	a, b instance.Instance
}

func newRoutingFixture(t *testing.T, h Harness, prefix string) *routingFixture {
	f := &routingFixture{t: t, s: h.Open(t), a: newInstance(prefix + "-a"), b: newInstance(prefix + "-b")}
	for _, inst := range []instance.Instance{f.a, f.b} {
		f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) })
	}
	return f
}

func (f *routingFixture) up(fn func(ctx context.Context, tx store.Tx) error) error {
	return f.s.Update(context.Background(), nil, fn)
}

func (f *routingFixture) mustUp(fn func(ctx context.Context, tx store.Tx) error) {
	f.t.Helper()
	if err := f.up(fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *routingFixture) view(fn func(ctx context.Context, tx store.Tx) error) error {
	return f.s.View(context.Background(), nil, fn)
}

var modified = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func weekdays(start, end routing.TimeOfDay) []routing.HoursConfig {
	var cfg []routing.HoursConfig
	for d := time.Monday; d <= time.Friday; d++ {
		cfg = append(cfg, routing.HoursConfig{Day: d, Start: start, End: end})
	}
	return cfg
}

// seedRoutingConfig stores hours, two queues and returns them (instance f.a).
func (f *routingFixture) seedRoutingConfig(prefix string) (routing.HoursRecord, routing.QueueRecord, routing.QueueRecord) {
	f.t.Helper()
	hours := routing.HoursRecord{InstanceID: f.a.ID, ID: prefix + "-hours", Name: prefix + " hours", Description: "office",
		TimeZone: "Europe/Berlin", Config: weekdays(routing.TimeOfDay{Hours: 9}, routing.TimeOfDay{Hours: 17, Minutes: 30}),
		Tags: map[string]string{"team": "ops"}, LastModified: modified}
	q1 := routing.QueueRecord{InstanceID: f.a.ID, Queue: routing.Queue{ID: prefix + "-q1", HoursOfOperationID: hours.ID, MaxContacts: 10,
		Status: routing.QueueEnabled}, Name: prefix + " sales", Description: "sales", OutboundCallerIDName: "Sales",
		Tags: map[string]string{}, LastModified: modified}
	q2 := q1
	q2.ID, q2.Name, q2.MaxContacts, q2.OutboundCallerIDName = prefix+"-q2", prefix+" support", 0, ""
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateHours(ctx, hours); err != nil {
			return err
		}
		if err := tx.CreateQueue(ctx, q1); err != nil {
			return err
		}
		return tx.CreateQueue(ctx, q2)
	})
	return hours, q1, q2
}

func testRoutingHours(t *testing.T, h Harness) {
	f := newRoutingFixture(t, h, "hours")
	hours, _, _ := f.seedRoutingConfig("h")
	get := func(inst, id string) (routing.HoursRecord, error) {
		var got routing.HoursRecord
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetHours(ctx, inst, id)
			return err
		})
		return got, err
	}
	got, err := get(f.a.ID, hours.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hours, got); diff != "" {
		t.Errorf("GetHours (-want +got):\n%s", diff)
	}
	_, err = get(f.b.ID, hours.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)

	dup := hours
	dup.ID = "h-hours-2"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateHours(ctx, dup) }), apierr.CodeDuplicateResource)
	other := hours
	other.InstanceID = f.b.ID
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.CreateHours(ctx, other) })

	hours.Name, hours.TimeZone, hours.Config = "renamed", "UTC", nil
	hours.Tags = map[string]string{}
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.UpdateHours(ctx, hours) })
	if got, _ := get(f.a.ID, hours.ID); got.Name != "renamed" || got.TimeZone != "UTC" || len(got.Config) != 0 {
		t.Errorf("after update: %+v", got)
	}
	missing := hours
	missing.ID = "nope"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateHours(ctx, missing) }), apierr.CodeResourceNotFound)
	scoped := hours
	scoped.InstanceID = f.b.ID
	scoped.Name = "from b"
	// Instance B's hours of the same ID are its own row: updating them leaves A's alone.
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.UpdateHours(ctx, scoped) })
	if got, _ := get(f.a.ID, hours.ID); got.Name != "renamed" {
		t.Errorf("instance A's hours renamed through instance B: %q", got.Name)
	}

	// Overrides: per hours, names unique per hours, listed by ID.
	o1 := routing.HoursOverrideRecord{InstanceID: f.a.ID, HoursID: hours.ID, ID: "o1", Name: "Christmas", EffectiveFrom: "2026-12-24",
		EffectiveTill: "2026-12-26"}
	o2 := routing.HoursOverrideRecord{InstanceID: f.a.ID, HoursID: hours.ID, ID: "o2", Name: "Late opening", EffectiveFrom: "2026-12-31",
		EffectiveTill: "2026-12-31", Config: []routing.HoursConfig{{Day: time.Thursday, Start: routing.TimeOfDay{Hours: 12}, End: routing.TimeOfDay{Hours: 14}}}}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateHoursOverride(ctx, o1); err != nil {
			return err
		}
		return tx.CreateHoursOverride(ctx, o2)
	})
	o3 := o1
	o3.ID = "o3"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateHoursOverride(ctx, o3) }), apierr.CodeDuplicateResource)
	var list []routing.HoursOverrideRecord
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListHoursOverrides(ctx, f.a.ID, hours.ID, "", 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]routing.HoursOverrideRecord{o1, o2}, list); diff != "" {
		t.Errorf("ListHoursOverrides (-want +got):\n%s", diff)
	}
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		list, err = tx.ListHoursOverrides(ctx, f.b.ID, hours.ID, "", 10)
		return err
	})
	if len(list) != 0 {
		t.Errorf("instance B lists %d overrides of instance A's hours", len(list))
	}
	if got := hours.Definition([]routing.HoursOverrideRecord{o1, o2}); len(got.Overrides) != 2 || !got.Overrides[0].Closed || got.Overrides[1].Closed {
		t.Errorf("Definition overrides = %+v, want the first closed and the second open", got.Overrides)
	}
}

func testRoutingQueuesAndProfiles(t *testing.T, h Harness) {
	f := newRoutingFixture(t, h, "queues")
	_, q1, q2 := f.seedRoutingConfig("q")
	var got routing.QueueRecord
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetQueue(ctx, f.a.ID, q1.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(q1, got); diff != "" {
		t.Errorf("GetQueue (-want +got):\n%s", diff)
	}
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetQueue(ctx, f.b.ID, q1.ID); return err }), apierr.CodeResourceNotFound)
	dup := q1
	dup.ID = "q-q3"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateQueue(ctx, dup) }), apierr.CodeDuplicateResource)
	q1.Status, q1.MaxContacts, q1.OutboundFlowID = routing.QueueDisabled, 3, "flow-1"
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.UpdateQueue(ctx, q1) })
	q2.Name = q1.Name
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateQueue(ctx, q2) }), apierr.CodeDuplicateResource)
	q2.Name = "q support"

	// Pagination by ID.
	var ids []string
	after := ""
	for {
		var page []routing.QueueRecord
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			page, err = tx.ListQueues(ctx, f.a.ID, after, 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		ids = append(ids, page[0].ID)
		after = page[0].ID
	}
	if diff := cmp.Diff([]string{q1.ID, q2.ID}, ids); diff != "" {
		t.Errorf("ListQueues pages (-want +got):\n%s", diff)
	}

	p := routing.RoutingProfileRecord{InstanceID: f.a.ID, RoutingProfile: routing.RoutingProfile{ID: "p1", DefaultOutboundQueueID: q1.ID,
		MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 3, CrossChannelBehavior: routing.RouteAnyChannel},
			{Channel: routing.ChannelTask, Concurrency: 2}},
		Queues: []routing.ProfileQueue{{QueueID: q2.ID, Channel: routing.ChannelChat, Priority: 2, DelaySeconds: 30},
			{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 1}, {QueueID: q1.ID, Channel: routing.ChannelTask, Priority: 1}}},
		Name: "Sales agents", Description: "sales", AgentAvailabilityTimer: routing.TimeSinceLastActivity, Tags: map[string]string{"a": "b"},
		LastModified: modified}
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.CreateRoutingProfile(ctx, p) })
	getProfile := func(inst string) (routing.RoutingProfileRecord, error) {
		var got routing.RoutingProfileRecord
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetRoutingProfile(ctx, inst, p.ID)
			return err
		})
		return got, err
	}
	gotP, err := getProfile(f.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, gotP); diff != "" {
		t.Errorf("GetRoutingProfile (-want +got):\n%s", diff)
	}
	_, err = getProfile(f.b.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	dupP := p
	dupP.ID = "p2"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateRoutingProfile(ctx, dupP) }), apierr.CodeDuplicateResource)
	twice := p
	twice.ID, twice.Name = "p3", "twice"
	twice.Queues = []routing.ProfileQueue{{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 1}, {QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 2}}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateRoutingProfile(ctx, twice) }), apierr.CodeInvalidParameter)

	p.Queues = p.Queues[1:]
	p.MediaConcurrencies = p.MediaConcurrencies[:1]
	p.Name, p.IsDefault = "Sales agents 2", true
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.UpdateRoutingProfile(ctx, p) })
	var list []routing.RoutingProfileRecord
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListRoutingProfiles(ctx, f.a.ID, "", 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]routing.RoutingProfileRecord{p}, list); diff != "" {
		t.Errorf("ListRoutingProfiles after update (-want +got):\n%s", diff)
	}
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		list, err = tx.ListRoutingProfiles(ctx, f.b.ID, "", 10)
		return err
	})
	if len(list) != 0 {
		t.Errorf("instance B lists %d routing profiles of instance A", len(list))
	}

	// Deleting the instance removes all of its configuration, references and all.
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, f.a.ID) })
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetQueue(ctx, f.a.ID, q1.ID); return err }), apierr.CodeResourceNotFound)
	_, err = getProfile(f.a.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
}

func testRoutingAgentStatuses(t *testing.T, h Harness) {
	f := newRoutingFixture(t, h, "statuses")
	var want []routing.AgentStatusRecord
	for i, st := range []routing.AgentStatus{routing.Available(), routing.Offline(), {Name: "Lunch", Type: routing.StatusCustom}} {
		rec := routing.AgentStatusRecord{InstanceID: f.a.ID, ID: fmt.Sprintf("s%d", i), AgentStatus: st, State: routing.AgentStatusEnabled,
			DisplayOrder: i + 1, Tags: map[string]string{}, LastModified: modified}
		f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.CreateAgentStatus(ctx, rec) })
		want = append(want, rec)
	}
	dup := want[2]
	dup.ID = "s9"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateAgentStatus(ctx, dup) }), apierr.CodeDuplicateResource)
	list := func(inst string, types ...routing.StatusType) []routing.AgentStatusRecord {
		var got []routing.AgentStatusRecord
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.ListAgentStatuses(ctx, inst, types, "", 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff(want, list(f.a.ID)); diff != "" {
		t.Errorf("ListAgentStatuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:], list(f.a.ID, routing.StatusCustom, routing.StatusOffline)); diff != "" {
		t.Errorf("ListAgentStatuses CUSTOM, OFFLINE (-want +got):\n%s", diff)
	}
	if got := list(f.b.ID); len(got) != 0 {
		t.Errorf("instance B lists %d statuses of instance A", len(got))
	}
	lunch := want[2]
	lunch.State, lunch.Description, lunch.DisplayOrder = routing.AgentStatusDisabled, "an hour", 0
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.UpdateAgentStatus(ctx, lunch) })
	var got routing.AgentStatusRecord
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetAgentStatus(ctx, f.a.ID, lunch.ID)
		return err
	})
	if diff := cmp.Diff(lunch, got); diff != "" {
		t.Errorf("GetAgentStatus after update (-want +got):\n%s", diff)
	}
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetAgentStatus(ctx, f.b.ID, lunch.ID)
		return err
	}), apierr.CodeResourceNotFound)

	// The user's current status: set, replaced, scoped.
	getUser := func(inst string) (routing.UserStatus, error) {
		var us routing.UserStatus
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			us, err = tx.GetUserStatus(ctx, inst, "u1")
			return err
		})
		return us, err
	}
	_, err := getUser(f.a.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	for _, st := range []routing.UserStatus{
		{InstanceID: f.a.ID, UserID: "u1", AgentStatusID: want[0].ID, Since: modified},
		{InstanceID: f.a.ID, UserID: "u1", AgentStatusID: want[2].ID, Since: modified.Add(time.Minute)},
	} {
		f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.SetUserStatus(ctx, st) })
		us, err := getUser(f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st, us); diff != "" {
			t.Errorf("GetUserStatus (-want +got):\n%s", diff)
		}
	}
	_, err = getUser(f.b.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
}

func testRoutingQuickConnects(t *testing.T, h Harness) {
	f := newRoutingFixture(t, h, "qc")
	_, q1, _ := f.seedRoutingConfig("qc")
	want := []routing.QuickConnectRecord{
		{InstanceID: f.a.ID, ID: "c1", Name: "To sales", Type: routing.QuickConnectQueue, QueueID: q1.ID, ContactFlowID: "f1"},
		{InstanceID: f.a.ID, ID: "c2", Name: "To Ann", Type: routing.QuickConnectUser, UserID: "u1", ContactFlowID: "f2", Description: "lead"},
		{InstanceID: f.a.ID, ID: "c3", Name: "Head office", Type: routing.QuickConnectPhoneNumber, PhoneNumber: "+4930123456"},
	}
	for i := range want {
		want[i].Tags, want[i].LastModified = map[string]string{}, modified
		f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.CreateQuickConnect(ctx, want[i]) })
	}
	dup := want[0]
	dup.ID = "c9"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateQuickConnect(ctx, dup) }), apierr.CodeDuplicateResource)
	list := func(inst string, types ...routing.QuickConnectType) []routing.QuickConnectRecord {
		var got []routing.QuickConnectRecord
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.ListQuickConnects(ctx, inst, types, "", 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff(want, list(f.a.ID)); diff != "" {
		t.Errorf("ListQuickConnects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[2:], list(f.a.ID, routing.QuickConnectPhoneNumber)); diff != "" {
		t.Errorf("ListQuickConnects PHONE_NUMBER (-want +got):\n%s", diff)
	}
	if got := list(f.b.ID); len(got) != 0 {
		t.Errorf("instance B lists %d quick connects of instance A", len(got))
	}
	// Update replaces the mutable fields; a name taken is refused.
	upd := want[1]
	upd.Name, upd.Description, upd.Type, upd.UserID, upd.QueueID = "To Ann's queue", "", routing.QuickConnectQueue, "", q1.ID
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.UpdateQuickConnect(ctx, upd) })
	if got := list(f.a.ID)[1]; !cmp.Equal(upd, got) {
		t.Errorf("after UpdateQuickConnect: %+v, want %+v", got, upd)
	}
	taken := upd
	taken.Name = "Head office"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateQuickConnect(ctx, taken) }), apierr.CodeDuplicateResource)
	gone := upd
	gone.ID = "c404"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateQuickConnect(ctx, gone) }), apierr.CodeResourceNotFound)

	// Queue associations: idempotent, all or nothing, per instance; deleting a quick
	// connect removes its associations.
	queueQCs := func(inst, queue string) ([]string, error) {
		var ids []string
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			got, err := tx.ListQueueQuickConnects(ctx, inst, queue, "", 10)
			for _, q := range got {
				ids = append(ids, q.ID)
			}
			return err
		})
		return ids, err
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return tx.AssociateQueueQuickConnects(ctx, f.a.ID, q1.ID, []string{"c3", "c1"})
	})
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return tx.AssociateQueueQuickConnects(ctx, f.a.ID, q1.ID, []string{"c1", "c2"})
	})
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.AssociateQueueQuickConnects(ctx, f.a.ID, q1.ID, []string{"c404"})
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.AssociateQueueQuickConnects(ctx, f.b.ID, q1.ID, []string{"c1"})
	}), apierr.CodeResourceNotFound)
	if ids, err := queueQCs(f.a.ID, q1.ID); err != nil || strings.Join(ids, ",") != "c1,c2,c3" {
		t.Errorf("ListQueueQuickConnects = %v, %v; want c1,c2,c3", ids, err)
	}
	if _, err := queueQCs(f.b.ID, q1.ID); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("instance A's queue listed in B: %v", err)
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		return tx.DisassociateQueueQuickConnects(ctx, f.a.ID, q1.ID, []string{"c2", "c404"})
	})
	if ids, _ := queueQCs(f.a.ID, q1.ID); strings.Join(ids, ",") != "c1,c3" {
		t.Errorf("after disassociating c2: %v", ids)
	}

	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteQuickConnect(ctx, f.b.ID, "c1") }), apierr.CodeResourceNotFound)
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.DeleteQuickConnect(ctx, f.a.ID, "c1") })
	if ids, _ := queueQCs(f.a.ID, q1.ID); strings.Join(ids, ",") != "c3" {
		t.Errorf("after deleting c1: %v", ids)
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, f.a.ID) })
}

// testRoutingDeletes: hours of operation go with their overrides unless a queue uses them;
// a routing profile goes with its queue entries unless it is the default or a user has it;
// another instance's are not found.
func testRoutingDeletes(t *testing.T, h Harness) {
	f := newRoutingFixture(t, h, "del")
	hours, q1, _ := f.seedRoutingConfig("del")
	spare := hours
	spare.ID, spare.Name = "del-spare", "spare hours"
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateHours(ctx, spare); err != nil {
			return err
		}
		return tx.CreateHoursOverride(ctx, routing.HoursOverrideRecord{InstanceID: f.a.ID, HoursID: spare.ID, ID: "o1", Name: "holiday",
			EffectiveFrom: "2030-12-24", EffectiveTill: "2030-12-26"})
	})
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteHours(ctx, f.a.ID, hours.ID) }), apierr.CodeResourceInUse)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteHours(ctx, f.b.ID, spare.ID) }), apierr.CodeResourceNotFound)
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.DeleteHours(ctx, f.a.ID, spare.ID) })
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetHours(ctx, f.a.ID, spare.ID); return err }), apierr.CodeResourceNotFound)
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		os, err := tx.ListHoursOverrides(ctx, f.a.ID, spare.ID, "", 10)
		if err == nil && len(os) != 0 {
			err = fmt.Errorf("%d overrides left", len(os))
		}
		return err
	}); err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("overrides after deleting their hours: %v", err)
	}

	profile := func(id, name string, isDefault bool) routing.RoutingProfileRecord {
		return routing.RoutingProfileRecord{InstanceID: f.a.ID, RoutingProfile: routing.RoutingProfile{ID: id, DefaultOutboundQueueID: q1.ID,
			MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 2}},
			Queues:             []routing.ProfileQueue{{QueueID: q1.ID, Channel: routing.ChannelChat, Priority: 1}}},
			Name: name, Description: name, IsDefault: isDefault, Tags: map[string]string{}, LastModified: modified}
	}
	f.mustUp(func(ctx context.Context, tx store.Tx) error {
		for _, p := range []routing.RoutingProfileRecord{profile("rp-default", "Default", true), profile("rp-used", "Used", false), profile("rp-free", "Free", false)} {
			if err := tx.CreateRoutingProfile(ctx, p); err != nil {
				return err
			}
		}
		return tx.CreateUser(ctx, identity.User{ID: "u-1", InstanceID: f.a.ID, Username: "agent.one", RoutingProfileID: "rp-used",
			PhoneConfig: identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone}, Tags: map[string]string{}, CreatedTime: modified, LastModifiedTime: modified})
	})
	for id, code := range map[string]apierr.Code{"rp-default": apierr.CodeResourceInUse, "rp-used": apierr.CodeResourceInUse} {
		wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteRoutingProfile(ctx, f.a.ID, id) }), code)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteRoutingProfile(ctx, f.b.ID, "rp-free") }), apierr.CodeResourceNotFound)
	f.mustUp(func(ctx context.Context, tx store.Tx) error { return tx.DeleteRoutingProfile(ctx, f.a.ID, "rp-free") })
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetRoutingProfile(ctx, f.a.ID, "rp-free")
		return err
	}), apierr.CodeResourceNotFound)
	// Its queue entries went with it: the queue is no longer in use by it.
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		ps, err := tx.ListRoutingProfiles(ctx, f.a.ID, "", 10)
		if err == nil && len(ps) != 2 {
			err = fmt.Errorf("%d routing profiles left, want 2", len(ps))
		}
		return err
	}); err != nil {
		t.Error(err)
	}
}
