package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// identityFixture is a store with two instances, each holding an Admin and an Agent profile.
type identityFixture struct {
	s        store.Store
	a, b     instance.Instance
	profiles map[string]identity.SecurityProfile // "a/Admin", "b/Agent", ...
}

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func newIdentityFixture(t *testing.T, h Harness, prefix string) *identityFixture {
	t.Helper()
	ctx := context.Background()
	f := &identityFixture{s: h.Open(t), a: newInstance(prefix + "-a"), b: newInstance(prefix + "-b"), profiles: map[string]identity.SecurityProfile{}}
	for i, inst := range []instance.Instance{f.a, f.b} {
		label := string(rune('a' + i))
		err := f.s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, inst); err != nil {
				return err
			}
			for j, name := range []string{"Admin", "Agent"} {
				p := identity.SecurityProfile{
					InstanceID: inst.ID, ID: fmt.Sprintf("%s0000000-0000-4000-8000-00000000000%d", label, j), Name: name,
					Description: name + " profile", Permissions: []string{"BasicAgentAccess"}, DenyPermissions: []string{},
					Tags: map[string]string{}, CreatedTime: t0, LastModifiedTime: t0,
				}
				if name == "Admin" {
					p.Permissions = []string{"SecurityProfiles.View", "Users.Create", "Users.View"}
				}
				if err := tx.CreateSecurityProfile(ctx, p); err != nil {
					return err
				}
				f.profiles[label+"/"+name] = p
			}
			return nil
		})
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	return f
}

func (f *identityFixture) up(fn func(ctx context.Context, tx store.Tx) error) error {
	return f.s.Update(context.Background(), nil, fn)
}

func (f *identityFixture) view(fn func(ctx context.Context, tx store.Tx) error) error {
	return f.s.View(context.Background(), nil, fn)
}

func (f *identityFixture) user(inst instance.Instance, id, username string, profiles ...string) identity.User {
	return identity.User{
		ID: id, InstanceID: inst.ID, Username: username,
		IdentityInfo:       identity.IdentityInfo{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Mobile: "+14155550100"},
		PhoneConfig:        identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone, AfterContactWorkTimeLimit: 30},
		SecurityProfileIDs: profiles, RoutingProfileID: "r0000000-0000-4000-8000-000000000001",
		Tags: map[string]string{"team": "blue"}, CreatedTime: t0, LastModifiedTime: t0,
	}
}

func (f *identityFixture) createUser(t *testing.T, u identity.User) {
	t.Helper()
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatalf("CreateUser %s: %v", u.Username, err)
	}
}

func testUsers(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "users")
	admin, agent := f.profiles["a/Admin"], f.profiles["a/Agent"]
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "JDoe", agent.ID, admin.ID)
	u.HierarchyGroupID = "h0000000-0000-4000-8000-000000000001"
	u.MFAEnrollmentRequired = true
	f.createUser(t, u)

	get := func(inst, id string) (identity.User, error) {
		var got identity.User
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetUser(ctx, inst, id)
			return err
		})
		return got, err
	}
	want := u
	want.SecurityProfileIDs = []string{admin.ID, agent.ID} // stored in ID order
	got, err := get(f.a.ID, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetUser mismatch (-want +got):\n%s", diff)
	}
	// Usernames are unique per instance and compared case-insensitively.
	for _, name := range []string{"jdoe", "JDOE", "JDoe"} {
		var byName identity.User
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			byName, err = tx.GetUserByUsername(ctx, f.a.ID, name)
			return err
		})
		if err != nil || byName.ID != u.ID {
			t.Errorf("GetUserByUsername(%q) = %s, %v; want %s", name, byName.ID, err, u.ID)
		}
	}
	dup := f.user(f.a, "u0000000-0000-4000-8000-000000000002", "jdoe", agent.ID)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, dup) }), apierr.CodeDuplicateResource)
	// The same username is free in another instance, and instance B cannot see A's user.
	other := f.user(f.b, "u0000000-0000-4000-8000-000000000003", "jdoe", f.profiles["b/Agent"].ID)
	f.createUser(t, other)
	_, err = get(f.b.ID, u.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetUserByUsername(ctx, f.b.ID, "nobody")
		return err
	})
	wantCode(t, err, apierr.CodeResourceNotFound)

	// Update replaces the mutable fields and the profile list; the username stays.
	upd := got
	upd.Username = "renamed"
	upd.IdentityInfo = identity.IdentityInfo{FirstName: "Janet", LastName: "Roe"}
	upd.PhoneConfig = identity.PhoneConfig{PhoneType: identity.PhoneTypeDeskPhone, DeskPhoneNumber: "+14155550101", AutoAccept: true}
	upd.SecurityProfileIDs = []string{agent.ID}
	upd.HierarchyGroupID, upd.Disabled, upd.MFAEnrollmentRequired = "", true, false
	upd.LastModifiedTime = t0.Add(time.Hour)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, upd) }); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	got, _ = get(f.a.ID, u.ID)
	want = upd
	want.Username = u.Username
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after UpdateUser (-want +got):\n%s", diff)
	}
	ghost := upd
	ghost.InstanceID = f.b.ID
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, ghost) }), apierr.CodeResourceNotFound)

	// Pagination in ID order.
	for i := 4; i <= 8; i++ {
		f.createUser(t, f.user(f.a, fmt.Sprintf("u0000000-0000-4000-8000-00000000000%d", i), fmt.Sprintf("user%d", i), agent.ID))
	}
	var ids []string
	after := ""
	for {
		var page []identity.User
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			page, err = tx.ListUsers(ctx, f.a.ID, after, 2)
			return err
		}); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		for _, p := range page {
			ids = append(ids, p.ID)
			if len(p.SecurityProfileIDs) == 0 {
				t.Errorf("ListUsers: user %s has no security profile IDs", p.ID)
			}
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(ids) != 6 || ids[0] != u.ID {
		t.Errorf("ListUsers ids = %v, want 6 users of instance A starting with %s", ids, u.ID)
	}

	// Delete: unknown IDs and other instances are not found.
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.b.ID, u.ID) }), apierr.CodeResourceNotFound)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.a.ID, u.ID) }); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = get(f.a.ID, u.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.a.ID, u.ID) }), apierr.CodeResourceNotFound)
	// Its username is free again.
	f.createUser(t, f.user(f.a, u.ID, "jdoe", agent.ID))
}

func testSecurityProfiles(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "profiles")
	agent := f.profiles["a/Agent"]
	var got identity.SecurityProfile
	err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetSecurityProfile(ctx, f.a.ID, agent.ID)
		return err
	})
	if err != nil {
		t.Fatalf("GetSecurityProfile: %v", err)
	}
	if diff := cmp.Diff(agent, got); diff != "" {
		t.Errorf("GetSecurityProfile mismatch (-want +got):\n%s", diff)
	}
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetSecurityProfileByName(ctx, f.a.ID, "Agent")
		return err
	})
	if err != nil || got.ID != agent.ID {
		t.Errorf("GetSecurityProfileByName = %s, %v", got.ID, err)
	}
	// Instance isolation.
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetSecurityProfile(ctx, f.b.ID, agent.ID)
		return err
	})
	wantCode(t, err, apierr.CodeResourceNotFound)
	// Names are unique per instance.
	dup := agent
	dup.ID = "a0000000-0000-4000-8000-000000000009"
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateSecurityProfile(ctx, dup) }), apierr.CodeDuplicateResource)

	upd := agent
	upd.Description, upd.Permissions, upd.DenyPermissions = "changed", []string{"OutboundCallAccess"}, []string{"Users.View"}
	upd.Tags, upd.LastModifiedTime = map[string]string{"k": "v"}, t0.Add(time.Minute)
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateSecurityProfile(ctx, upd) }); err != nil {
		t.Fatalf("UpdateSecurityProfile: %v", err)
	}
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		got, _ = tx.GetSecurityProfile(ctx, f.a.ID, agent.ID)
		return nil
	})
	if diff := cmp.Diff(upd, got); diff != "" {
		t.Errorf("after UpdateSecurityProfile (-want +got):\n%s", diff)
	}
	var list []identity.SecurityProfile
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		list, err = tx.ListSecurityProfiles(ctx, f.a.ID, "", 10)
		return err
	})
	if err != nil || len(list) != 2 || list[0].ID > list[1].ID {
		t.Errorf("ListSecurityProfiles = %d profiles, %v; want 2 in ID order", len(list), err)
	}
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		list, err = tx.ListSecurityProfiles(ctx, f.a.ID, list[0].ID, 10)
		return err
	})
	if err != nil || len(list) != 1 {
		t.Errorf("ListSecurityProfiles after the first = %d, %v; want 1", len(list), err)
	}

	// A profile held by a user cannot be deleted; the user's profiles feed the authorizer.
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "agent1", agent.ID)
	f.createUser(t, u)
	var n int
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		n, err = tx.CountSecurityProfileUsers(ctx, f.a.ID, agent.ID)
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("CountSecurityProfileUsers = %d, %v; want 1", n, err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSecurityProfile(ctx, f.a.ID, agent.ID) }), apierr.CodeResourceInUse)
	userProfiles := func(inst string) []identity.SecurityProfile {
		var ps []identity.SecurityProfile
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			ps, err = tx.UserSecurityProfiles(ctx, inst, u.ID)
			return err
		}); err != nil {
			t.Fatalf("UserSecurityProfiles: %v", err)
		}
		return ps
	}
	if ps := userProfiles(f.a.ID); len(ps) != 1 || ps[0].Name != "Agent" || ps[0].Permissions[0] != "OutboundCallAccess" {
		t.Errorf("UserSecurityProfiles = %+v, want the updated Agent profile", ps)
	}
	if ps := userProfiles(f.b.ID); len(ps) != 0 {
		t.Errorf("UserSecurityProfiles in another instance = %+v, want none", ps)
	}
	// A disabled user holds no profiles.
	u.Disabled = true
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	if ps := userProfiles(f.a.ID); len(ps) != 0 {
		t.Errorf("UserSecurityProfiles of a disabled user = %+v, want none", ps)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.a.ID, u.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSecurityProfile(ctx, f.a.ID, agent.ID) }); err != nil {
		t.Fatalf("DeleteSecurityProfile: %v", err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSecurityProfile(ctx, f.a.ID, agent.ID) }), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteSecurityProfile(ctx, f.b.ID, f.profiles["a/Admin"].ID)
	}), apierr.CodeResourceNotFound)
}

func testCredentials(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "creds")
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "jdoe", f.profiles["a/Agent"].ID)
	f.createUser(t, u)
	ctx := context.Background()
	hash := func(inst string) (string, error) {
		var got string
		err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetPasswordHash(ctx, inst, u.ID)
			return err
		})
		return got, err
	}
	_, err := hash(f.a.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	for _, h := range []string{"$argon2id$v=19$first", "$argon2id$v=19$second"} {
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.SetPasswordHash(ctx, f.a.ID, u.ID, h) }); err != nil {
			t.Fatalf("SetPasswordHash: %v", err)
		}
		if got, err := hash(f.a.ID); err != nil || got != h {
			t.Errorf("GetPasswordHash = %q, %v; want %q", got, err, h)
		}
	}
	_, err = hash(f.b.ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.SetPasswordHash(ctx, f.b.ID, u.ID, "x") }), apierr.CodeResourceNotFound)

	// TOTP secret: bytes in, bytes out; confirm; delete.
	sec := identity.TOTPSecret{Ciphertext: []byte{0, 1, 2, 250}, CreatedTime: t0}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.SetTOTPSecret(ctx, f.a.ID, u.ID, sec) }); err != nil {
		t.Fatalf("SetTOTPSecret: %v", err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.ConfirmTOTPSecret(ctx, f.a.ID, u.ID) }); err != nil {
		t.Fatalf("ConfirmTOTPSecret: %v", err)
	}
	var gotSec identity.TOTPSecret
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		gotSec, err = tx.GetTOTPSecret(ctx, f.a.ID, u.ID)
		return err
	})
	sec.Confirmed = true
	if diff := cmp.Diff(sec, gotSec); err != nil || diff != "" {
		t.Errorf("GetTOTPSecret: %v (-want +got):\n%s", err, diff)
	}
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetTOTPSecret(ctx, f.b.ID, u.ID)
		return err
	})
	wantCode(t, err, apierr.CodeResourceNotFound)

	// A TOTP step is used once and never goes back; of parallel uses of one step exactly one wins.
	use := func(step int64) bool {
		var ok bool
		if err := f.up(func(ctx context.Context, tx store.Tx) error {
			var err error
			ok, err = tx.UseTOTPStep(ctx, f.a.ID, u.ID, step)
			return err
		}); err != nil {
			t.Errorf("UseTOTPStep: %v", err)
		}
		return ok
	}
	if !use(100) || use(100) || use(99) || !use(101) {
		t.Error("UseTOTPStep: want 100 fresh, 100 again and 99 refused, 101 fresh")
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if use(200) {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("parallel UseTOTPStep(200): %d callers won, want exactly 1", wins.Load())
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteTOTPSecret(ctx, f.a.ID, u.ID) }); err != nil {
		t.Fatalf("DeleteTOTPSecret: %v", err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteTOTPSecret(ctx, f.a.ID, u.ID) }), apierr.CodeResourceNotFound)

	// Recovery codes: each works once; replacing drops the old ones.
	consume := func(inst, h string) bool {
		var ok bool
		if err := f.up(func(ctx context.Context, tx store.Tx) error {
			var err error
			ok, err = tx.ConsumeRecoveryCode(ctx, inst, u.ID, h)
			return err
		}); err != nil {
			t.Errorf("ConsumeRecoveryCode: %v", err)
		}
		return ok
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, f.a.ID, u.ID, []string{"h1", "h2"})
	}); err != nil {
		t.Fatalf("ReplaceRecoveryCodes: %v", err)
	}
	if consume(f.b.ID, "h1") || !consume(f.a.ID, "h1") || consume(f.a.ID, "h1") {
		t.Error("recovery code h1: want refused in instance B, then used once in A")
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, f.a.ID, u.ID, []string{"h3"})
	}); err != nil {
		t.Fatal(err)
	}
	if consume(f.a.ID, "h2") || !consume(f.a.ID, "h3") {
		t.Error("after replacing: want h2 gone and h3 usable")
	}

	// Deleting the user removes its credentials.
	_ = f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, f.a.ID, u.ID, []string{"h4"})
	})
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.a.ID, u.ID) }); err != nil {
		t.Fatal(err)
	}
	f.createUser(t, u)
	if _, err := hash(f.a.ID); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("password hash after the user was deleted and re-created: %v, want none", err)
	}
	if consume(f.a.ID, "h4") {
		t.Error("recovery code survived the deletion of its user")
	}
	_ = ctx
}

func testSessions(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "sessions")
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "jdoe", f.profiles["a/Agent"].ID)
	f.createUser(t, u)
	s := identity.Session{IDHash: fmt.Sprintf("%064x", 1), InstanceID: f.a.ID, UserID: u.ID, Created: t0, LastSeen: t0,
		MFARequired: true, AbsoluteTimeout: 12 * time.Hour, IdleTimeout: 15 * time.Minute}
	s2 := s
	s2.IDHash = fmt.Sprintf("%064x", 2)
	for _, sess := range []identity.Session{s, s2} {
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateSession(ctx, sess) }); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateSession(ctx, s) }), apierr.CodeDuplicateResource)
	later := t0.Add(5 * time.Minute)
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		if err := tx.TouchSession(ctx, s.IDHash, later); err != nil {
			return err
		}
		return tx.SatisfySessionMFA(ctx, s.IDHash)
	}); err != nil {
		t.Fatalf("TouchSession/SatisfySessionMFA: %v", err)
	}
	var got identity.Session
	err := f.view(func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetSession(ctx, s.IDHash)
		return err
	})
	want := s
	want.LastSeen, want.MFASatisfied = later, true
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("GetSession: %v (-want +got):\n%s", err, diff)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSession(ctx, s.IDHash) }); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteSession(ctx, s.IDHash) }), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.TouchSession(ctx, s.IDHash, later) }), apierr.CodeResourceNotFound)
	var n int
	// Another instance's ID ends nothing.
	_ = f.up(func(ctx context.Context, tx store.Tx) error {
		n, err = tx.DeleteUserSessions(ctx, f.b.ID, u.ID)
		return err
	})
	if err != nil || n != 0 {
		t.Errorf("DeleteUserSessions in instance B = %d, %v; want 0", n, err)
	}
	_ = f.up(func(ctx context.Context, tx store.Tx) error {
		n, err = tx.DeleteUserSessions(ctx, f.a.ID, u.ID)
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("DeleteUserSessions = %d, %v; want 1", n, err)
	}
}

func testAttempts(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "attempts")
	const limit, lockout = 3, 30 * time.Minute
	key := identity.AttemptKey(f.a.ID, "JDoe")
	reserve := func(k string, now time.Time) (bool, time.Time) {
		var (
			ok    bool
			until time.Time
		)
		if err := f.up(func(ctx context.Context, tx store.Tx) error {
			var err error
			ok, until, err = tx.ReserveAttempt(ctx, k, now, limit, lockout)
			return err
		}); err != nil {
			t.Fatalf("ReserveAttempt: %v", err)
		}
		return ok, until
	}
	for i := range limit {
		if ok, _ := reserve(key, t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("attempt %d refused, want granted", i+1)
		}
	}
	lockEnd := t0.Add(2 * time.Second).Add(lockout)
	if ok, until := reserve(key, t0.Add(time.Minute)); ok || !until.Equal(lockEnd) {
		t.Errorf("attempt over the limit = %v until %v; want refused until %v", ok, until, lockEnd)
	}
	// The same username differently cased is the same key; another instance is another key.
	if ok, _ := reserve(identity.AttemptKey(f.a.ID, "jdoe"), t0.Add(time.Minute)); ok {
		t.Error("the username in another case escaped the lock")
	}
	if ok, _ := reserve(identity.AttemptKey(f.b.ID, "jdoe"), t0.Add(time.Minute)); !ok {
		t.Error("the same username in instance B is locked, want independent")
	}
	// After the lock ends the count starts again.
	if ok, until := reserve(key, lockEnd); !ok || !until.IsZero() {
		t.Errorf("attempt after the lock ended = %v until %v; want granted, unlocked", ok, until)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.ClearAttempts(ctx, key) }); err != nil {
		t.Fatalf("ClearAttempts: %v", err)
	}
	for i := range limit {
		if ok, _ := reserve(key, lockEnd.Add(time.Second)); !ok {
			t.Fatalf("attempt %d after ClearAttempts refused", i+1)
		}
	}

	// 50 parallel attempts on a fresh key: never more than the limit are granted.
	race := identity.AttemptKey(f.a.ID, "racer")
	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			err := f.s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
				var err error
				ok, _, err = tx.ReserveAttempt(ctx, race, t0, identity.DefaultMaxFailures, lockout)
				return err
			})
			if err != nil {
				t.Errorf("ReserveAttempt: %v", err)
			}
			if ok {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != identity.DefaultMaxFailures {
		t.Errorf("50 parallel attempts: %d granted, want exactly %d", granted.Load(), identity.DefaultMaxFailures)
	}
}

func testUserAccessKeys(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "userkeys")
	mk := func(inst, user string, kind identity.KeyKind) identity.AccessKey {
		return identity.AccessKey{ID: identity.NewAccessKeyID(), Kind: kind, InstanceID: inst, UserID: user,
			SecretCiphertext: []byte{1}, Status: identity.KeyActive, CreatedTime: t0}
	}
	keys := []identity.AccessKey{
		mk(f.a.ID, "u1", identity.KeyUser), mk(f.a.ID, "u1", identity.KeyUser),
		mk(f.b.ID, "u1", identity.KeyUser), mk(f.a.ID, "u2", identity.KeyUser),
	}
	for _, k := range keys {
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) }); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var err error
	_ = f.up(func(ctx context.Context, tx store.Tx) error {
		n, err = tx.RevokeUserAccessKeys(ctx, f.a.ID, "u1")
		return err
	})
	if err != nil || n != 2 {
		t.Errorf("RevokeUserAccessKeys = %d, %v; want 2", n, err)
	}
	wantStatus := []identity.KeyStatus{identity.KeyInactive, identity.KeyInactive, identity.KeyActive, identity.KeyActive}
	for i, k := range keys {
		var got identity.AccessKey
		_ = f.view(func(ctx context.Context, tx store.Tx) error { got, err = tx.GetAccessKey(ctx, k.ID); return err })
		if err != nil || got.Status != wantStatus[i] {
			t.Errorf("key %d status = %s, %v; want %s", i, got.Status, err, wantStatus[i])
		}
	}
}

// testIdentityInstanceDelete checks that deleting an instance takes its identity rows along.
func testIdentityInstanceDelete(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "identity-delete")
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "jdoe", f.profiles["a/Agent"].ID)
	f.createUser(t, u)
	err := f.up(func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetPasswordHash(ctx, f.a.ID, u.ID, "h"); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, identity.Session{IDHash: "s1", InstanceID: f.a.ID, UserID: u.ID, Created: t0, LastSeen: t0}); err != nil {
			return err
		}
		if err := tx.SetDeletionProtection(ctx, f.a.ID, false); err != nil {
			return err
		}
		return tx.DeleteInstance(ctx, f.a.ID)
	})
	if err != nil {
		t.Fatalf("DeleteInstance with users and profiles: %v", err)
	}
	err = f.view(func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetSession(ctx, "s1"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Errorf("session: %v", err)
		}
		if _, err := tx.GetSecurityProfile(ctx, f.a.ID, f.profiles["a/Agent"].ID); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Errorf("profile: %v", err)
		}
		if _, err := tx.GetSecurityProfile(ctx, f.b.ID, f.profiles["b/Agent"].ID); err != nil {
			return fmt.Errorf("instance B's profile: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("after DeleteInstance: %v", err)
	}
}
