package provision_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

func seeded(t *testing.T) (store.Store, instance.Instance) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringfence.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	inst := instance.Instance{ID: "00000000-0000-4000-8000-000000000001", Alias: "seeded", IdentityManagementType: instance.IdentityManagementConnectManaged,
		Status: instance.StatusActive, CreatedTime: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), Tags: map[string]string{}}
	n := 0
	env := provision.Env{Region: "us-east-1", AccountID: "123456789012", Now: inst.CreatedTime,
		NewID: func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-1000000000%02d", n) }}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, inst); err != nil {
			return err
		}
		return provision.Instance(ctx, tx, inst, env)
	}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return s, inst
}

func TestSeedRouting(t *testing.T) {
	s, inst := seeded(t)
	ctx := context.Background()
	var (
		hours    []routing.HoursRecord
		queues   []routing.QueueRecord
		profiles []routing.RoutingProfileRecord
		statuses []routing.AgentStatusRecord
	)
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if hours, err = tx.ListHours(ctx, inst.ID, "", 10); err != nil {
			return err
		}
		if queues, err = tx.ListQueues(ctx, inst.ID, "", 10); err != nil {
			return err
		}
		if profiles, err = tx.ListRoutingProfiles(ctx, inst.ID, "", 10); err != nil {
			return err
		}
		statuses, err = tx.ListAgentStatuses(ctx, inst.ID, nil, "", 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(hours) != 1 || hours[0].Name != provision.BasicHoursName || hours[0].TimeZone != "UTC" || len(hours[0].Config) != 7 {
		t.Fatalf("hours = %+v, want Basic Hours, UTC, every day", hours)
	}
	if len(queues) != 1 || queues[0].Name != provision.BasicQueueName || queues[0].HoursOfOperationID != hours[0].ID || queues[0].Status != routing.QueueEnabled {
		t.Fatalf("queues = %+v, want BasicQueue on Basic Hours", queues)
	}
	if len(profiles) != 1 || profiles[0].Name != provision.BasicRoutingProfileName || !profiles[0].IsDefault || profiles[0].DefaultOutboundQueueID != queues[0].ID {
		t.Fatalf("profiles = %+v, want the default Basic Routing Profile with BasicQueue outbound", profiles)
	}
	wantConc := map[routing.Channel]int{routing.ChannelVoice: 1, routing.ChannelChat: 3, routing.ChannelTask: 1}
	gotConc := map[routing.Channel]int{}
	for _, m := range profiles[0].MediaConcurrencies {
		gotConc[m.Channel] = m.Concurrency
	}
	if diff := cmp.Diff(wantConc, gotConc); diff != "" {
		t.Errorf("Basic Routing Profile concurrency (-want +got):\n%s", diff)
	}
	if len(profiles[0].Queues) != 3 {
		t.Errorf("Basic Routing Profile queues = %+v, want VOICE, CHAT and TASK on BasicQueue", profiles[0].Queues)
	}
	var names []string
	for _, st := range statuses {
		names = append(names, fmt.Sprintf("%s/%s/%s", st.Name, st.Type, st.State))
	}
	if diff := cmp.Diff([]string{"Available/ROUTABLE/ENABLED", "Offline/OFFLINE/ENABLED"}, names); diff != "" {
		t.Errorf("agent statuses (-want +got):\n%s", diff)
	}
}

// TestRouterLoadedFromStorage rebuilds a router from the seeded store and routes through the
// stored queue and profile.
func TestRouterLoadedFromStorage(t *testing.T) {
	s, inst := seeded(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	r := routing.New(routing.Config{Clock: func() time.Time { return now }})
	var (
		queueID, profileID string
	)
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if _, err := routing.LoadConfig(ctx, tx, inst.ID, r); err != nil {
			return err
		}
		qs, err := tx.ListQueues(ctx, inst.ID, "", 1)
		if err != nil {
			return err
		}
		ps, err := tx.ListRoutingProfiles(ctx, inst.ID, "", 1)
		if err != nil {
			return err
		}
		queueID, profileID = qs[0].ID, ps[0].ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	snap := r.Snapshot()
	if len(snap.Hours) != 1 || len(snap.Queues) != 1 || snap.Queues[0].ID != queueID || len(snap.Profiles) != 1 || snap.Profiles[0].ID != profileID {
		t.Fatalf("router holds %+v, want the stored hours, queue and profile", snap)
	}
	if open, err := r.QueueOpen(queueID, now); err != nil || !open {
		t.Errorf("BasicQueue open at 03:00 UTC = %v, %v; want open (24/7)", open, err)
	}
	if _, err := r.AgentLogin("agent-1", profileID, routing.Available()); err != nil {
		t.Fatal(err)
	}
	// CHAT concurrency 3: three chats are offered to the one agent, the fourth waits.
	for i := range 4 {
		if _, err := r.Enqueue(routing.EnqueueRequest{ContactID: fmt.Sprintf("chat-%d", i), Channel: routing.ChannelChat, QueueID: queueID}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := r.Agent("agent-1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Activity != routing.ActivityIncoming || len(a.Contacts) != 3 {
		t.Errorf("agent %s holding %d chats; want INCOMING with 3 (CHAT concurrency 3)", a.Activity, len(a.Contacts))
	}
	if c, err := r.Contact("chat-3"); err != nil || c.State != routing.ContactQueued {
		t.Errorf("fourth chat = %+v, %v; want it waiting", c, err)
	}
}
