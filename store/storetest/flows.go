package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

func testFlowRecords(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := newInstance("flows-a"), newInstance("flows-b")
	for _, inst := range []instance.Instance{a, b} {
		if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
			t.Fatal(err)
		}
	}
	rec := flow.Record{
		InstanceID: a.ID, ID: "f0000000-0000-4000-8000-000000000001", Kind: flow.KindFlow, Name: "Main", Type: "CONTACT_FLOW",
		Description: "greeting", State: "ACTIVE", Status: "PUBLISHED", Content: `{"Version":"2019-10-30"}`,
		SavedContent: `{"Version":"2019-10-30"}`, Version: 1, Tags: map[string]string{},
		LastModified: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
	}
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateFlowRecord(ctx, rec) }); err != nil {
		t.Fatalf("CreateFlowRecord: %v", err)
	}
	dup := rec
	dup.ID = "f0000000-0000-4000-8000-000000000002"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateFlowRecord(ctx, dup) }), apierr.CodeDuplicateResource)
	// The same name is free in another instance and for a module.
	other := dup
	other.InstanceID = b.ID
	mod := dup
	mod.Kind, mod.Type = flow.KindModule, ""
	for _, r := range []flow.Record{other, mod} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateFlowRecord(ctx, r) }); err != nil {
			t.Fatalf("CreateFlowRecord %s/%s: %v", r.InstanceID, r.Kind, err)
		}
	}
	get := func(inst string, kind flow.RecordKind, id string) (flow.Record, error) {
		var r flow.Record
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			r, err = tx.GetFlowRecord(ctx, inst, kind, id)
			return err
		})
		return r, err
	}
	got, err := get(a.ID, flow.KindFlow, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("GetFlowRecord (-want +got):\n%s", diff)
	}
	// Instance scoping: instance B cannot see A's flow.
	_, err = get(b.ID, flow.KindFlow, rec.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	_, err = get(a.ID, flow.KindModule, rec.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)

	// GetFlowRecordState: the same record without its documents; a record saved but never
	// published (no Content, a multi-byte SavedContent) is not published.
	draft := flow.Record{InstanceID: a.ID, ID: "f0000000-0000-4000-8000-000000000003", Kind: flow.KindFlow, Name: "Draft",
		Type: "CUSTOMER_QUEUE", State: "ARCHIVED", Status: "SAVED", SavedContent: `{"Version":"2019-10-30","Ä":"é"}`,
		Version: 1, Tags: map[string]string{}, LastModified: rec.LastModified}
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateFlowRecord(ctx, draft) }); err != nil {
		t.Fatalf("CreateFlowRecord draft: %v", err)
	}
	state := func(inst string, kind flow.RecordKind, id string) (flow.RecordState, error) {
		var r flow.RecordState
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			r, err = tx.GetFlowRecordState(ctx, inst, kind, id)
			return err
		})
		return r, err
	}
	for _, tc := range []struct {
		id   string
		want flow.RecordState
	}{
		{rec.ID, flow.RecordState{Type: "CONTACT_FLOW", State: "ACTIVE", Published: true}},
		{draft.ID, flow.RecordState{Type: "CUSTOMER_QUEUE", State: "ARCHIVED", Published: false}},
	} {
		got, err := state(a.ID, flow.KindFlow, tc.id)
		if err != nil {
			t.Fatalf("GetFlowRecordState %s: %v", tc.id, err)
		}
		if got != tc.want {
			t.Errorf("GetFlowRecordState %s = %+v, want %+v", tc.id, got, tc.want)
		}
	}
	_, err = state(b.ID, flow.KindFlow, rec.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	_, err = state(a.ID, flow.KindModule, rec.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteFlowRecord(ctx, a.ID, flow.KindFlow, draft.ID)
	}); err != nil {
		t.Fatal(err)
	}

	rec.Name, rec.Status, rec.SavedContent, rec.Version = "Main v2", "SAVED", `{"Version":"2019-10-30","x":1}`, 2
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateFlowRecord(ctx, rec) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(a.ID, flow.KindFlow, rec.ID); got.Name != "Main v2" || got.Version != 2 || got.SavedContent != rec.SavedContent {
		t.Errorf("after update: %+v", got)
	}
	var list []flow.Record
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListFlowRecords(ctx, a.ID, flow.KindFlow, []string{"CONTACT_FLOW", "CUSTOMER_QUEUE"}, "", 10)
		return err
	})
	if err != nil || len(list) != 1 || list[0].ID != rec.ID {
		t.Errorf("ListFlowRecords = %v, %v; want the one flow of instance A", list, err)
	}
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListFlowRecords(ctx, a.ID, flow.KindFlow, []string{"AGENT_WHISPER"}, "", 10)
		return err
	})
	if err != nil || len(list) != 0 {
		t.Errorf("ListFlowRecords filtered by type = %v, %v; want none", list, err)
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteFlowRecord(ctx, b.ID, flow.KindFlow, rec.ID)
	}), apierr.CodeResourceNotFound)
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteFlowRecord(ctx, a.ID, flow.KindFlow, rec.ID)
	}); err != nil {
		t.Fatal(err)
	}
	_, err = get(a.ID, flow.KindFlow, rec.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
}

func testSecurityKeys(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := newInstance("keys-a"), newInstance("keys-b")
	for _, inst := range []instance.Instance{a, b} {
		if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
			t.Fatal(err)
		}
	}
	k := instance.SecurityKey{InstanceID: a.ID, AssociationID: "k1", Key: "-----BEGIN PUBLIC KEY-----", CreationTime: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateSecurityKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateSecurityKey(ctx, k) }), apierr.CodeDuplicateResource)
	list := func(inst string) []instance.SecurityKey {
		var keys []instance.SecurityKey
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			keys, err = tx.ListSecurityKeys(ctx, inst)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if diff := cmp.Diff([]instance.SecurityKey{k}, list(a.ID)); diff != "" {
		t.Errorf("ListSecurityKeys (-want +got):\n%s", diff)
	}
	if got := list(b.ID); len(got) != 0 {
		t.Errorf("instance B sees %d keys of instance A", len(got))
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSecurityKey(ctx, b.ID, "k1") }), apierr.CodeResourceNotFound)
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSecurityKey(ctx, a.ID, "k1") }); err != nil {
		t.Fatal(err)
	}
}
