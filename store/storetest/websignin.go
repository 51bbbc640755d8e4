package storetest

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// testPasskeys: passkeys are per user and instance, kept in creation order, unique per user,
// updated on use, deleted one by one and with their user.
func testPasskeys(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "passkeys")
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "jdoe", f.profiles["a/Agent"].ID)
	f.createUser(t, u)
	ids := store.Identity{Store: f.s}
	ctx := context.Background()
	list := func(inst string) []identity.Passkey {
		t.Helper()
		got, err := ids.ListPasskeys(ctx, inst, u.ID)
		if err != nil {
			t.Fatalf("ListPasskeys: %v", err)
		}
		return got
	}
	if got := list(f.a.ID); len(got) != 0 {
		t.Fatalf("ListPasskeys before any = %v", got)
	}
	first := identity.Passkey{ID: []byte{0xde, 0xad, 0x00, 0xff}, Name: "Laptop", Credential: []byte(`{"id":"3q0A_w"}`), Created: t0}
	second := identity.Passkey{ID: bytes.Repeat([]byte{7}, 64), Name: "Phone", Credential: []byte(`{"id":"second"}`), Created: t0.Add(time.Minute)}
	for _, p := range []identity.Passkey{second, first} {
		if err := ids.AddPasskey(ctx, f.a.ID, u.ID, p); err != nil {
			t.Fatalf("AddPasskey %s: %v", p.Name, err)
		}
	}
	if diff := cmp.Diff([]identity.Passkey{first, second}, list(f.a.ID)); diff != "" {
		t.Errorf("ListPasskeys (-want +got, oldest first):\n%s", diff)
	}
	wantCode(t, ids.AddPasskey(ctx, f.a.ID, u.ID, first), apierr.CodeDuplicateResource)
	wantCode(t, ids.AddPasskey(ctx, f.b.ID, u.ID, first), apierr.CodeResourceNotFound)
	wantCode(t, ids.AddPasskey(ctx, f.a.ID, u.ID, identity.Passkey{Name: "empty", Created: t0}), apierr.CodeInvalidParameter)
	if got := list(f.b.ID); len(got) != 0 {
		t.Errorf("instance B sees %d passkeys of instance A's user", len(got))
	}

	used := t0.Add(time.Hour)
	if err := ids.UpdatePasskeyUse(ctx, f.a.ID, u.ID, first.ID, []byte(`{"counter":5}`), used); err != nil {
		t.Fatalf("UpdatePasskeyUse: %v", err)
	}
	wantCode(t, ids.UpdatePasskeyUse(ctx, f.b.ID, u.ID, first.ID, []byte(`{}`), used), apierr.CodeResourceNotFound)
	got := list(f.a.ID)
	if string(got[0].Credential) != `{"counter":5}` || !got[0].LastUsed.Equal(used) || !got[1].LastUsed.IsZero() {
		t.Errorf("after UpdatePasskeyUse: %+v", got)
	}
	wantCode(t, ids.DeletePasskey(ctx, f.b.ID, u.ID, first.ID), apierr.CodeResourceNotFound)
	if err := ids.DeletePasskey(ctx, f.a.ID, u.ID, first.ID); err != nil {
		t.Fatalf("DeletePasskey: %v", err)
	}
	wantCode(t, ids.DeletePasskey(ctx, f.a.ID, u.ID, first.ID), apierr.CodeResourceNotFound)
	if got := list(f.a.ID); len(got) != 1 || got[0].Name != "Phone" {
		t.Errorf("after DeletePasskey: %+v", got)
	}
	// The user's passkeys go with the user.
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.a.ID, u.ID) }); err != nil {
		t.Fatal(err)
	}
	f.createUser(t, u)
	if got := list(f.a.ID); len(got) != 0 {
		t.Errorf("passkeys survived the deletion of their user: %+v", got)
	}
}

// testSessionList: a user's sessions are listed newest first, only that user's and only in
// its instance.
func testSessionList(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "session-list")
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "jdoe", f.profiles["a/Agent"].ID)
	other := f.user(f.a, "u0000000-0000-4000-8000-000000000002", "other", f.profiles["a/Agent"].ID)
	f.createUser(t, u)
	f.createUser(t, other)
	ids := store.Identity{Store: f.s}
	ctx := context.Background()
	var want []identity.Session
	for i := range 3 {
		s := identity.Session{IDHash: fmt.Sprintf("%064x", 10+i), InstanceID: f.a.ID, UserID: u.ID, Created: t0.Add(time.Duration(i) * time.Minute),
			LastSeen: t0.Add(time.Duration(i) * time.Minute), MFARequired: i == 1, MFASatisfied: i == 1, AbsoluteTimeout: 12 * time.Hour, IdleTimeout: 30 * time.Minute}
		if err := ids.CreateSession(ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		want = append([]identity.Session{s}, want...)
	}
	if err := ids.CreateSession(ctx, identity.Session{IDHash: fmt.Sprintf("%064x", 99), InstanceID: f.a.ID, UserID: other.ID, Created: t0, LastSeen: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := ids.ListUserSessions(ctx, f.a.ID, u.ID)
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("ListUserSessions: %v (-want +got, newest first):\n%s", err, diff)
	}
	if got, err := ids.ListUserSessions(ctx, f.b.ID, u.ID); err != nil || len(got) != 0 {
		t.Errorf("ListUserSessions in instance B = %v, %v; want none", got, err)
	}
}

// prefixes compares netip.Prefix values by value (their fields are unexported).
var prefixes = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

// testAuthProfiles: an instance's default authentication profile reads with defaults before
// it is stored, is stored and replaced whole, listed in ID order, and isolated per instance.
func testAuthProfiles(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "auth-profiles")
	ctx := context.Background()
	ids := store.Identity{Store: f.s}
	def := identity.DefaultAuthenticationProfileID(f.a.ID)
	if def == identity.DefaultAuthenticationProfileID(f.b.ID) {
		t.Fatal("two instances share a default authentication profile ID")
	}
	got, err := ids.AuthenticationProfileFor(ctx, f.a.ID)
	if diff := cmp.Diff(identity.DefaultAuthenticationProfile(f.a.ID, f.a.CreatedTime), got, prefixes); err != nil || diff != "" {
		t.Errorf("default profile before it is stored: %v (-want +got):\n%s", err, diff)
	}
	_, err = ids.AuthenticationProfileFor(ctx, "00000000-0000-4000-8000-00000000dead")
	wantCode(t, err, apierr.CodeResourceNotFound)

	p := identity.DefaultAuthenticationProfile(f.a.ID, f.a.CreatedTime)
	p.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	p.BlockedIPs = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	p.SessionDuration, p.IdleTimeout, p.PeriodicReauthentication = 8*time.Hour, 20*time.Minute, time.Hour
	p.Description, p.LastModifiedTime = "office only", t0.Add(time.Hour)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutAuthenticationProfile(ctx, p) }); err != nil {
		t.Fatalf("PutAuthenticationProfile: %v", err)
	}
	got, err = ids.AuthenticationProfileFor(ctx, f.a.ID)
	if diff := cmp.Diff(p, got, prefixes); err != nil || diff != "" {
		t.Errorf("stored profile: %v (-want +got):\n%s", err, diff)
	}
	// Replacing keeps the creation time and drops what the new profile leaves out.
	p2 := p
	p2.AllowedIPs, p2.BlockedIPs, p2.CreatedTime = []netip.Prefix{}, []netip.Prefix{}, t0.Add(99*time.Hour)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutAuthenticationProfile(ctx, p2) }); err != nil {
		t.Fatal(err)
	}
	got, _ = ids.AuthenticationProfileFor(ctx, f.a.ID)
	p2.CreatedTime = p.CreatedTime
	if diff := cmp.Diff(p2, got, prefixes); diff != "" {
		t.Errorf("replaced profile (-want +got):\n%s", diff)
	}
	bad := p
	bad.IdleTimeout = time.Second
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutAuthenticationProfile(ctx, bad) }), apierr.CodeInvalidParameter)
	bad = p
	bad.InstanceID = "00000000-0000-4000-8000-00000000dead"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutAuthenticationProfile(ctx, bad) }), apierr.CodeResourceNotFound)

	// Instance B still reads its own default; listing shows one profile per instance.
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		b, err := store.DefaultAuthenticationProfile(ctx, tx, f.b.ID)
		if err != nil || len(b.AllowedIPs) != 0 || b.ID != identity.DefaultAuthenticationProfileID(f.b.ID) {
			return fmt.Errorf("instance B's profile = %+v, %v", b, err)
		}
		for _, inst := range []string{f.a.ID, f.b.ID} {
			all, err := store.ListAuthenticationProfiles(ctx, tx, inst, "", 10)
			if err != nil || len(all) != 1 || all[0].ID != identity.DefaultAuthenticationProfileID(inst) || !all[0].Default {
				return fmt.Errorf("list of %s = %+v, %v", inst, all, err)
			}
			if rest, err := store.ListAuthenticationProfiles(ctx, tx, inst, all[0].ID, 10); err != nil || len(rest) != 0 {
				return fmt.Errorf("list of %s after the last = %+v, %v", inst, rest, err)
			}
		}
		_, err = store.GetAuthenticationProfile(ctx, tx, f.a.ID, "not-a-profile")
		if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Errorf("unknown profile: %v", err)
		}
		_, err = tx.GetAuthenticationProfile(ctx, f.b.ID, def)
		if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Errorf("instance A's profile read in instance B: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
