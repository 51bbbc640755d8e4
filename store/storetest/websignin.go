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
	got, err := ids.AuthenticationProfileFor(ctx, f.a.ID, "")
	if diff := cmp.Diff(identity.DefaultAuthenticationProfile(f.a.ID, f.a.CreatedTime), got, prefixes); err != nil || diff != "" {
		t.Errorf("default profile before it is stored: %v (-want +got):\n%s", err, diff)
	}
	_, err = ids.AuthenticationProfileFor(ctx, "00000000-0000-4000-8000-00000000dead", "")
	wantCode(t, err, apierr.CodeResourceNotFound)

	p := identity.DefaultAuthenticationProfile(f.a.ID, f.a.CreatedTime)
	p.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	p.BlockedIPs = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	p.SessionDuration, p.IdleTimeout, p.PeriodicReauthentication = 8*time.Hour, 20*time.Minute, time.Hour
	p.Description, p.LastModifiedTime = "office only", t0.Add(time.Hour)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutAuthenticationProfile(ctx, p) }); err != nil {
		t.Fatalf("PutAuthenticationProfile: %v", err)
	}
	got, err = ids.AuthenticationProfileFor(ctx, f.a.ID, "")
	if diff := cmp.Diff(p, got, prefixes); err != nil || diff != "" {
		t.Errorf("stored profile: %v (-want +got):\n%s", err, diff)
	}
	// Replacing keeps the creation time and drops what the new profile leaves out.
	p2 := p
	p2.AllowedIPs, p2.BlockedIPs, p2.CreatedTime = []netip.Prefix{}, []netip.Prefix{}, t0.Add(99*time.Hour)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.PutAuthenticationProfile(ctx, p2) }); err != nil {
		t.Fatal(err)
	}
	got, _ = ids.AuthenticationProfileFor(ctx, f.a.ID, "")
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

// testUserAuthProfiles: a user assigned to a non-default authentication profile is under that
// profile for sign-in and sessions, everyone else under the default; the sign-in lookup by
// username finds it; a profile with users cannot be deleted; deleting the user or the
// instance removes the assignment; names are unique and instances isolated.
func testUserAuthProfiles(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "user-auth-profiles")
	ctx := context.Background()
	ids := store.Identity{Store: f.s}
	agent := f.profiles["a/Agent"]
	u1 := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "remote.one", agent.ID)
	u2 := f.user(f.a, "u0000000-0000-4000-8000-000000000002", "office.two", agent.ID)
	ub := f.user(f.b, "u0000000-0000-4000-8000-000000000003", "remote.one", f.profiles["b/Agent"].ID)
	for _, u := range []identity.User{u1, u2, ub} {
		f.createUser(t, u)
	}
	office := netip.MustParsePrefix("198.51.100.0/24")
	var remote identity.AuthenticationProfile
	err := f.up(func(ctx context.Context, tx store.Tx) error {
		var err error
		remote, err = store.CreateAuthenticationProfile(ctx, tx, f.a.ID, identity.AuthenticationProfile{
			Name: "Remote agents", Description: "home networks", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
			IdleTimeout: 10 * time.Minute,
		}, t0)
		if err != nil {
			return err
		}
		if _, err := store.UpdateAuthenticationProfile(ctx, tx, f.a.ID, identity.DefaultAuthenticationProfileID(f.a.ID), t0,
			func(p *identity.AuthenticationProfile) error { p.AllowedIPs = []netip.Prefix{office}; return nil }); err != nil {
			return err
		}
		return tx.SetUserAuthenticationProfile(ctx, f.a.ID, u1.ID, remote.ID)
	})
	if err != nil {
		t.Fatalf("create and assign: %v", err)
	}
	if remote.ID == "" || remote.Default || !remote.CreatedTime.Equal(t0) {
		t.Errorf("created profile = %+v", remote)
	}
	if got, err := ids.AuthenticationProfileFor(ctx, f.a.ID, u1.ID); err != nil || got.ID != remote.ID || got.IdleTimeout != 10*time.Minute {
		t.Errorf("profile of the assigned user = %+v, %v", got, err)
	}
	if got, err := ids.AuthenticationProfileFor(ctx, f.a.ID, u2.ID); err != nil || !got.Default {
		t.Errorf("profile of an unassigned user = %+v, %v; want the default", got, err)
	}
	for _, c := range []struct {
		username string
		want     string
		perUser  bool
	}{{"Remote.One", remote.ID, true}, {"office.two", identity.DefaultAuthenticationProfileID(f.a.ID), false}, {"nobody", identity.DefaultAuthenticationProfileID(f.a.ID), false}} {
		got, perUser, err := ids.SignInAuthenticationProfile(ctx, f.a.ID, c.username)
		if err != nil || got.ID != c.want || perUser != c.perUser {
			t.Errorf("SignInAuthenticationProfile(%q) = %s, %v, %v; want %s, %v", c.username, got.ID, perUser, err, c.want, c.perUser)
		}
	}
	// The same username in instance B is under B's default.
	if got, perUser, err := ids.SignInAuthenticationProfile(ctx, f.b.ID, "remote.one"); err != nil || perUser || got.ID != identity.DefaultAuthenticationProfileID(f.b.ID) {
		t.Errorf("instance B's remote.one = %s, %v, %v", got.ID, perUser, err)
	}
	// A network check before the user is known admits what any profile in force admits.
	for ip, ok := range map[string]bool{"203.0.113.9": true, "198.51.100.7": true, "192.0.2.1": false} {
		err := ids.CheckSignInNetwork(ctx, f.a.ID, netip.MustParseAddr(ip))
		if (err == nil) != ok {
			t.Errorf("CheckSignInNetwork(%s) = %v, want admitted %v", ip, err, ok)
		}
	}
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		users, err := tx.ListAuthenticationProfileUsers(ctx, f.a.ID, remote.ID, "", 10)
		if err != nil || len(users) != 1 || users[0] != u1.ID {
			return fmt.Errorf("users of the profile = %v, %v", users, err)
		}
		if users, err := tx.ListAuthenticationProfileUsers(ctx, f.b.ID, remote.ID, "", 10); err != nil || len(users) != 0 {
			return fmt.Errorf("users of A's profile read in B = %v, %v", users, err)
		}
		if ids, err := tx.AssignedAuthenticationProfileIDs(ctx, f.a.ID); err != nil || len(ids) != 1 || ids[0] != remote.ID {
			return fmt.Errorf("assigned profiles = %v, %v", ids, err)
		}
		all, err := store.ListAuthenticationProfiles(ctx, tx, f.a.ID, "", 10)
		if err != nil || len(all) != 2 {
			return fmt.Errorf("list = %d profiles, %v; want 2", len(all), err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	// Refusals: a name taken (any case), an unknown user or profile, another instance's
	// profile, the default by ID, deleting the default or a profile in use.
	dup := func(ctx context.Context, tx store.Tx) error {
		_, err := store.CreateAuthenticationProfile(ctx, tx, f.a.ID, identity.AuthenticationProfile{Name: "REMOTE AGENTS"}, t0)
		return err
	}
	wantCode(t, f.up(dup), apierr.CodeDuplicateResource)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.CreateAuthenticationProfile(ctx, tx, f.a.ID, identity.AuthenticationProfile{Name: " "}, t0)
		return err
	}), apierr.CodeInvalidParameter)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetUserAuthenticationProfile(ctx, f.a.ID, "u0000000-0000-4000-8000-00000000dead", remote.ID)
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetUserAuthenticationProfile(ctx, f.b.ID, ub.ID, remote.ID)
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetUserAuthenticationProfile(ctx, f.a.ID, u2.ID, identity.DefaultAuthenticationProfileID(f.a.ID))
	}), apierr.CodeInvalidParameter)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteAuthenticationProfile(ctx, f.a.ID, identity.DefaultAuthenticationProfileID(f.a.ID))
	}), apierr.CodeInvalidRequest)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteAuthenticationProfile(ctx, f.a.ID, remote.ID)
	}), apierr.CodeResourceInUse)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateAuthenticationProfile(ctx, tx, f.a.ID, remote.ID, t0, func(p *identity.AuthenticationProfile) error {
			p.Name = identity.DefaultAuthenticationProfileName
			return nil
		})
		return err
	}), apierr.CodeDuplicateResource)

	// Deleting the user removes its assignment; then the profile can go.
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.a.ID, u1.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteAuthenticationProfile(ctx, f.a.ID, remote.ID)
	}); err != nil {
		t.Fatalf("delete the profile after its last user went: %v", err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetAuthenticationProfile(ctx, f.a.ID, remote.ID)
		return err
	}); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("deleted profile read: %v", err)
	}
	// Assign, return to the default with "", assign again; then the instance goes with it.
	err = f.up(func(ctx context.Context, tx store.Tx) error {
		p, err := store.CreateAuthenticationProfile(ctx, tx, f.a.ID, identity.AuthenticationProfile{Name: "Again"}, t0)
		if err != nil {
			return err
		}
		if err := tx.SetUserAuthenticationProfile(ctx, f.a.ID, u2.ID, p.ID); err != nil {
			return err
		}
		if err := tx.SetUserAuthenticationProfile(ctx, f.a.ID, u2.ID, ""); err != nil {
			return err
		}
		if id, err := tx.UserAuthenticationProfileID(ctx, f.a.ID, u2.ID); err != nil || id != "" {
			return fmt.Errorf("after clearing: %q, %v", id, err)
		}
		return tx.SetUserAuthenticationProfile(ctx, f.a.ID, u2.ID, p.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, f.a.ID) }); err != nil {
		t.Errorf("DeleteInstance with an assignment: %v", err)
	}
}
