package routing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringfence/ringfence/apierr"
)

// memConfig is an in-memory ConfigReader that pages like the store: by ID, after a cursor.
type memConfig struct {
	hours     []HoursRecord
	overrides []HoursOverrideRecord
	queues    []QueueRecord
	profiles  []RoutingProfileRecord
	fail      error
}

func page[T any](items []T, id func(T) string, after string, limit int) []T {
	sorted := append([]T(nil), items...)
	sort.Slice(sorted, func(i, j int) bool { return id(sorted[i]) < id(sorted[j]) })
	var out []T
	for _, v := range sorted {
		if id(v) > after && len(out) < limit {
			out = append(out, v)
		}
	}
	return out
}

func (m *memConfig) ListHours(_ context.Context, _ string, after string, limit int) ([]HoursRecord, error) {
	return page(m.hours, func(h HoursRecord) string { return h.ID }, after, limit), m.fail
}

func (m *memConfig) ListHoursOverrides(_ context.Context, _ string, hoursID, after string, limit int) ([]HoursOverrideRecord, error) {
	var mine []HoursOverrideRecord
	for _, o := range m.overrides {
		if o.HoursID == hoursID {
			mine = append(mine, o)
		}
	}
	return page(mine, func(o HoursOverrideRecord) string { return o.ID }, after, limit), nil
}

func (m *memConfig) ListQueues(_ context.Context, _ string, after string, limit int) ([]QueueRecord, error) {
	return page(m.queues, func(q QueueRecord) string { return q.ID }, after, limit), nil
}

func (m *memConfig) ListRoutingProfiles(_ context.Context, _ string, after string, limit int) ([]RoutingProfileRecord, error) {
	return page(m.profiles, func(p RoutingProfileRecord) string { return p.ID }, after, limit), nil
}

func TestLoadConfigRebuildsDefinitions(t *testing.T) {
	m := &memConfig{}
	// More queues than one page, so LoadConfig must follow the cursor.
	m.hours = []HoursRecord{{ID: "h1", Name: "office", TimeZone: "Europe/Berlin",
		Config: []HoursConfig{{Day: time.Monday, Start: TimeOfDay{Hours: 9}, End: TimeOfDay{Hours: 17}}}}}
	m.overrides = []HoursOverrideRecord{{HoursID: "h1", ID: "o1", Name: "holiday", EffectiveFrom: "2026-03-02", EffectiveTill: "2026-03-02"}}
	for i := range loadPage + 5 {
		m.queues = append(m.queues, QueueRecord{Queue: Queue{ID: fmt.Sprintf("q%04d", i), HoursOfOperationID: "h1", MaxContacts: i % 3}})
	}
	m.profiles = []RoutingProfileRecord{{RoutingProfile: RoutingProfile{ID: "p1", DefaultOutboundQueueID: "q0000",
		MediaConcurrencies: []MediaConcurrency{{Channel: ChannelChat, Concurrency: 3}, {Channel: ChannelTask, Concurrency: 2}},
		Queues:             []ProfileQueue{{QueueID: "q0001", Channel: ChannelChat, Priority: 1}, {QueueID: "q0204", Channel: ChannelTask, Priority: 2, DelaySeconds: 30}}}}}

	r := New(Config{Clock: func() time.Time { return t0 }})
	if _, err := LoadConfig(context.Background(), m, "inst", r); err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	snap := r.Snapshot()
	if got, want := len(snap.Queues), loadPage+5; got != want {
		t.Fatalf("queues loaded = %d, want %d", got, want)
	}
	if diff := cmp.Diff([]RoutingProfile{m.profiles[0].RoutingProfile}, snap.Profiles); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	wantHours := m.hours[0].Definition(m.overrides)
	if diff := cmp.Diff([]Hours{wantHours}, snap.Hours, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("hours (-want +got):\n%s", diff)
	}
	// t0 is Monday 09:00 UTC = 10:00 in Berlin, inside the weekly hours, but the override
	// closes that date.
	if open, err := r.QueueOpen("q0001", t0); err != nil || open {
		t.Errorf("QueueOpen on the override date = %v, %v; want closed", open, err)
	}
	if open, _ := r.QueueOpen("q0001", t0.AddDate(0, 0, 7)); !open {
		t.Error("QueueOpen a week later = closed, want open")
	}

	// The loaded router routes: an agent of p1 is offered a chat queued in q0001.
	if _, err := r.AgentLogin("a1", "p1", Available()); err != nil {
		t.Fatal(err)
	}
	ev, err := r.Enqueue(EnqueueRequest{ContactID: "c1", Channel: ChannelChat, QueueID: "q0001"})
	if err != nil {
		t.Fatal(err)
	}
	offered := false
	for _, e := range ev {
		offered = offered || (e.Type == EventOfferMade && e.AgentID == "a1")
	}
	if !offered {
		t.Errorf("events %v, want an offer to a1", ev)
	}

	// Loading again into the running router replaces definitions in place.
	m.profiles[0].MediaConcurrencies = []MediaConcurrency{{Channel: ChannelChat, Concurrency: 1}}
	if _, err := LoadConfig(context.Background(), m, "inst", r); err != nil {
		t.Fatalf("second LoadConfig: %v", err)
	}
	if got := r.Snapshot().Profiles[0].MediaConcurrencies; len(got) != 1 || got[0].Concurrency != 1 {
		t.Errorf("after reload, profile concurrency = %+v", got)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	gone := errors.New("disk gone")
	tests := []struct {
		name     string
		m        *memConfig
		wantCode apierr.Code
	}{
		{"reader fails", &memConfig{fail: gone}, ""},
		{"stored hours with an unknown zone", &memConfig{hours: []HoursRecord{{ID: "h1", TimeZone: "Mars/Olympus"}}}, apierr.CodeInvalidParameter},
		{"queue on missing hours", &memConfig{queues: []QueueRecord{{Queue: Queue{ID: "q1", HoursOfOperationID: "gone"}}}}, apierr.CodeResourceNotFound},
		{"profile on missing queue", &memConfig{profiles: []RoutingProfileRecord{{RoutingProfile: RoutingProfile{ID: "p1",
			Queues: []ProfileQueue{{QueueID: "gone", Channel: ChannelChat, Priority: 1}}}}}}, apierr.CodeResourceNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(context.Background(), tc.m, "inst", New(Config{}))
			if err == nil {
				t.Fatal("LoadConfig succeeded, want an error")
			}
			if tc.wantCode == "" && !errors.Is(err, gone) {
				t.Errorf("error = %v, want the reader's error wrapped", err)
			}
			if tc.wantCode != "" && !apierr.HasCode(err, tc.wantCode) {
				t.Errorf("error = %v, want code %s", err, tc.wantCode)
			}
		})
	}
}
