package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// testDataProtection: settings default to zero, are replaced whole, stay per instance and go
// with their instance.
func testDataProtection(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := newInstance("dp-a"), newInstance("dp-b")
	a.DeletionProtected = false
	for _, inst := range []instance.Instance{a, b} {
		if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(inst string) instance.DataProtection {
		t.Helper()
		var d instance.DataProtection
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			d, err = tx.GetDataProtection(ctx, inst)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	put := func(d instance.DataProtection) error {
		return s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.PutDataProtection(ctx, d) })
	}
	if diff := cmp.Diff(instance.DataProtection{InstanceID: a.ID}, get(a.ID)); diff != "" {
		t.Errorf("settings never set (-want +got):\n%s", diff)
	}
	at := time.Date(2026, 11, 21, 10, 0, 0, 123e6, time.UTC)
	want := instance.DataProtection{InstanceID: a.ID, SensitiveAttributes: []string{"card_*", "ssn"}, CardDisplay: instance.CardBINLast4, UpdatedTime: at}
	if err := put(want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, get(a.ID)); diff != "" {
		t.Errorf("settings after put (-want +got):\n%s", diff)
	}
	if got := get(b.ID); len(got.SensitiveAttributes) != 0 || got.CardDisplay != "" {
		t.Errorf("instance B reads %+v: settings of instance A", got)
	}
	cleared := instance.DataProtection{InstanceID: a.ID, CardDisplay: instance.CardMaskAll, UpdatedTime: at.Add(time.Second)}
	if err := put(cleared); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cleared, get(a.ID)); diff != "" {
		t.Errorf("settings after clearing (-want +got):\n%s", diff)
	}
	wantCode(t, put(instance.DataProtection{InstanceID: "00000000-0000-4000-8000-999999999999"}), apierr.CodeResourceNotFound)

	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, a.ID) }); err != nil {
		t.Fatal(err)
	}
	if got := get(a.ID); len(got.SensitiveAttributes) != 0 || got.CardDisplay != "" {
		t.Errorf("settings of a deleted instance: %+v", got)
	}
}

// testContactAttributeSearch: contacts are found by attribute through the keyed index, all
// or any criteria, within their instance only; reindexing replaces the entries; the index
// holds no value in clear.
func testContactAttributeSearch(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "attrsearch-a"), createInstance(t, s, "attrsearch-b")
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	attrs := []map[string]string{
		{"tier": "gold", "region": "north"},
		{"tier": "silver", "region": "north"},
		{"tier": "gold", "region": "south"},
	}
	var ids []string
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for i, at := range attrs {
			for _, inst := range []string{a.ID, b.ID} {
				c := sampleContact(inst, 300+i, base.Add(time.Duration(i)*time.Minute))
				c.Attributes = at
				if err := tx.CreateContact(ctx, c); err != nil {
					return err
				}
				if err := tx.IndexAttributes(ctx, inst, c.ID, at); err != nil {
					return err
				}
				if inst == a.ID {
					ids = append(ids, c.ID)
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	search := func(any bool, crit ...contact.AttributeCriterion) []string {
		t.Helper()
		var got []string
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			cs, err := tx.SearchContacts(ctx, a.ID, contact.Query{Attributes: crit, AttributesMatchAny: any, Limit: 100})
			for _, c := range cs {
				got = append(got, c.ID)
			}
			return err
		}); err != nil {
			t.Fatalf("SearchContacts: %v", err)
		}
		return got
	}
	gold := contact.AttributeCriterion{Key: "tier", Values: []string{"gold"}}
	north := contact.AttributeCriterion{Key: "region", Values: []string{"north"}}
	for name, tc := range map[string]struct {
		got, want []string
	}{
		"one value":                {search(false, gold), []string{ids[0], ids[2]}},
		"two values":               {search(false, contact.AttributeCriterion{Key: "tier", Values: []string{"silver", "gold"}}), ids},
		"all criteria":             {search(false, gold, north), []string{ids[0]}},
		"any criterion":            {search(true, gold, north), ids},
		"value of another key":     {search(false, contact.AttributeCriterion{Key: "region", Values: []string{"gold"}}), nil},
		"case-sensitive":           {search(false, contact.AttributeCriterion{Key: "tier", Values: []string{"Gold"}}), nil},
		"no attribute criteria":    {search(false), ids},
		"criterion without values": {search(false, contact.AttributeCriterion{Key: "tier"}), nil},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	// Reindexing replaces the contact's entries.
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return tx.IndexAttributes(ctx, a.ID, ids[0], map[string]string{"tier": "bronze"})
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{ids[2]}, search(false, gold)); diff != "" {
		t.Errorf("after reindexing (-want +got):\n%s", diff)
	}
	rows := h.Query(t, s, `SELECT term FROM contact_attribute_index`)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var term string
		if err := rows.Scan(&term); err != nil {
			t.Fatal(err)
		}
		n++
		for _, v := range []string{"gold", "silver", "north", "south", "tier", "region", "bronze"} {
			if strings.Contains(term, v) {
				t.Errorf("index term %q holds %q in clear", term, v)
			}
		}
	}
	if n != 11 {
		t.Errorf("%d index rows, want 11 (6 contacts x 2 attributes, one reindexed to 1)", n)
	}
}
