package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// testAdministration runs the shared administration transactions (store/admin.go) that the
// API and the admin pages both use: user updates, security profile assignment with its MFA
// consequences, disabling, password reset, deletion, security profile changes and the
// authentication profile; each stays inside its instance.
func testAdministration(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "admin")
	rp := routing.RoutingProfileRecord{InstanceID: f.a.ID, RoutingProfile: routing.RoutingProfile{ID: "r0000000-0000-4000-8000-000000000001",
		MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelVoice, Concurrency: 1}}},
		Name: "Basic", Description: "basic", AgentAvailabilityTimer: routing.TimeSinceLastActivity, Tags: map[string]string{}, LastModified: t0}
	hours := routing.HoursRecord{InstanceID: f.a.ID, ID: "admin-hours", Name: "admin hours", Description: "office",
		TimeZone: "UTC", Config: weekdays(routing.TimeOfDay{Hours: 9}, routing.TimeOfDay{Hours: 17}), Tags: map[string]string{}, LastModified: t0}
	queue := routing.QueueRecord{InstanceID: f.a.ID, Queue: routing.Queue{ID: "admin-q", HoursOfOperationID: hours.ID, Status: routing.QueueEnabled},
		Name: "admin queue", Description: "q", Tags: map[string]string{}, LastModified: t0}
	rp.DefaultOutboundQueueID = queue.ID
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateHours(ctx, hours); err != nil {
			return err
		}
		if err := tx.CreateQueue(ctx, queue); err != nil {
			return err
		}
		return tx.CreateRoutingProfile(ctx, rp)
	}); err != nil {
		t.Fatalf("CreateRoutingProfile: %v", err)
	}
	u := f.user(f.a, "u0000000-0000-4000-8000-0000000000a1", "jdoe", f.profiles["a/Agent"].ID)
	other := f.user(f.b, "u0000000-0000-4000-8000-0000000000b1", "bdoe", f.profiles["b/Agent"].ID)
	f.createUser(t, u)
	f.createUser(t, other)
	session := func(user identity.User, n int) {
		t.Helper()
		s := identity.Session{IDHash: fmt.Sprintf("%064x", n), InstanceID: user.InstanceID, UserID: user.ID, Created: t0, LastSeen: t0,
			AbsoluteTimeout: time.Hour, IdleTimeout: time.Hour}
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateSession(ctx, s) }); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	sessions := func(user identity.User) int {
		t.Helper()
		var list []identity.Session
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			list, err = tx.ListUserSessions(ctx, user.InstanceID, user.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	get := func(inst, id string) identity.User {
		t.Helper()
		var got identity.User
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetUser(ctx, inst, id)
			return err
		}); err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		return got
	}
	later := t0.Add(time.Hour)

	// UpdateUser validates and stamps; another instance's user is not found.
	err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, f.a.ID, u.ID, later, func(_ context.Context, _ store.Tx, u *identity.User) error {
			u.IdentityInfo.FirstName = ""
			return nil
		})
		return err
	})
	wantCode(t, err, apierr.CodeInvalidParameter)
	err = f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, f.a.ID, other.ID, later, func(context.Context, store.Tx, *identity.User) error { return nil })
		return err
	})
	wantCode(t, err, apierr.CodeResourceNotFound)
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, f.a.ID, u.ID, later, func(ctx context.Context, tx store.Tx, u *identity.User) error {
			u.IdentityInfo.FirstName = "Janet"
			return store.SetUserRoutingProfile(ctx, tx, u, rp.ID)
		})
		return err
	}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if got := get(f.a.ID, u.ID); got.IdentityInfo.FirstName != "Janet" || !got.LastModifiedTime.Equal(later) {
		t.Errorf("after UpdateUser: %+v", got)
	}
	err = f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, f.a.ID, u.ID, later, func(ctx context.Context, tx store.Tx, u *identity.User) error {
			return store.SetUserRoutingProfile(ctx, tx, u, "r0000000-0000-4000-8000-00000000ffff")
		})
		return err
	})
	wantCode(t, err, apierr.CodeResourceNotFound)

	// Security profiles: another instance's profile is not found; an administrative one
	// needs enrolment and ends the user's sessions.
	session(u, 101)
	err = f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, f.a.ID, u.ID, later, func(ctx context.Context, tx store.Tx, u *identity.User) error {
			_, err := store.SetUserSecurityProfiles(ctx, tx, u, []string{f.profiles["b/Admin"].ID})
			return err
		})
		return err
	})
	wantCode(t, err, apierr.CodeResourceNotFound)
	ended := 0
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateUser(ctx, tx, f.a.ID, u.ID, later, func(ctx context.Context, tx store.Tx, u *identity.User) error {
			var err error
			ended, err = store.SetUserSecurityProfiles(ctx, tx, u, []string{f.profiles["a/Agent"].ID, f.profiles["a/Admin"].ID})
			return err
		})
		return err
	}); err != nil {
		t.Fatalf("SetUserSecurityProfiles: %v", err)
	}
	got := get(f.a.ID, u.ID)
	want := []string{f.profiles["a/Agent"].ID, f.profiles["a/Admin"].ID}
	slices.Sort(want)
	if ended != 1 || sessions(u) != 0 || !got.MFAEnrollmentRequired || !slices.Equal(got.SecurityProfileIDs, want) {
		t.Errorf("after SetUserSecurityProfiles: ended %d, %d left, user %+v", ended, sessions(u), got)
	}

	// Disabling ends sessions; enabling does not start any.
	session(u, 102)
	var n int
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, n, err = store.SetUserDisabled(ctx, tx, f.a.ID, u.ID, true, later)
		return err
	}); err != nil || n != 1 || !get(f.a.ID, u.ID).Disabled || sessions(u) != 0 {
		t.Errorf("SetUserDisabled(true) = %d, %v", n, err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, n, err = store.SetUserDisabled(ctx, tx, f.a.ID, u.ID, false, later)
		return err
	}); err != nil || n != 0 || get(f.a.ID, u.ID).Disabled {
		t.Errorf("SetUserDisabled(false) = %d, %v", n, err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, _, err := store.SetUserDisabled(ctx, tx, f.b.ID, u.ID, true, later)
		return err
	}), apierr.CodeResourceNotFound)

	// Password reset: hash stored, sessions ended, lockout lifted.
	session(u, 103)
	key := identity.AttemptKey(f.a.ID, u.Username)
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ReserveAttempt(ctx, key, t0, 1, time.Hour)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		n, err = store.ResetUserPassword(ctx, tx, f.a.ID, u.ID, "$argon2id$new")
		return err
	}); err != nil || n != 1 || sessions(u) != 0 {
		t.Errorf("ResetUserPassword = %d, %v", n, err)
	}
	var hash string
	var ok bool
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		hash, err = tx.GetPasswordHash(ctx, f.a.ID, u.ID)
		return err
	})
	_ = f.up(func(ctx context.Context, tx store.Tx) error {
		ok, _, err = tx.ReserveAttempt(ctx, key, t0, 1, time.Hour)
		return err
	})
	if hash != "$argon2id$new" || !ok {
		t.Errorf("after ResetUserPassword: hash %q, attempt allowed %v", hash, ok)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.ResetUserPassword(ctx, tx, f.a.ID, other.ID, "$argon2id$x")
		return err
	}), apierr.CodeResourceNotFound)
	if err := store.CheckPasswordAllowed(instance.Instance{IdentityManagementType: instance.IdentityManagementSAML}, true); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("a password for a SAML instance: %v", err)
	}
	if err := store.CheckPasswordAllowed(f.a, false); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("no password for a CONNECT_MANAGED instance: %v", err)
	}

	// A security profile that starts to need MFA ends its holders' sessions and makes them
	// enrol; a profile held is not deleted.
	agentOnly := f.user(f.a, "u0000000-0000-4000-8000-0000000000a2", "agent7", f.profiles["a/Agent"].ID)
	f.createUser(t, agentOnly)
	session(agentOnly, 104)
	var ch store.SecurityProfileChange
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		ch, err = store.UpdateSecurityProfile(ctx, tx, f.a.ID, f.profiles["a/Agent"].ID, later, func(p *identity.SecurityProfile) {
			p.Permissions = append(p.Permissions, "RealTimeMetrics.Access", "Users.Edit")
			p.Name = "renamed"
		})
		return err
	}); err != nil {
		t.Fatalf("UpdateSecurityProfile: %v", err)
	}
	if ch.MFAUsers != 1 || ch.SessionsEnded != 1 || ch.After.Name != "Agent" ||
		!slices.Equal(ch.After.Permissions, []string{"AccessMetrics.RealTimeMetrics.Access", "BasicAgentAccess", "Users.Edit"}) {
		t.Errorf("UpdateSecurityProfile = %+v", ch)
	}
	if got := get(f.a.ID, agentOnly.ID); !got.MFAEnrollmentRequired || sessions(agentOnly) != 0 {
		t.Errorf("holder after the profile needs MFA: %+v, %d sessions", got, sessions(agentOnly))
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateSecurityProfile(ctx, tx, f.a.ID, f.profiles["a/Agent"].ID, later, func(p *identity.SecurityProfile) {
			p.Permissions = []string{"Users.Fly"}
		})
		return err
	}), apierr.CodeInvalidParameter)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateSecurityProfile(ctx, tx, f.a.ID, f.profiles["b/Agent"].ID, later, func(*identity.SecurityProfile) {})
		return err
	}), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.DeleteSecurityProfile(ctx, tx, f.a.ID, f.profiles["a/Agent"].ID)
	}), apierr.CodeResourceInUse)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return store.DeleteSecurityProfile(ctx, tx, f.a.ID, f.profiles["b/Agent"].ID)
	}), apierr.CodeResourceNotFound)
	spare := identity.SecurityProfile{ID: "c0000000-0000-4000-8000-000000000001", InstanceID: f.a.ID, Name: "Spare", Permissions: []string{},
		DenyPermissions: []string{}, Tags: map[string]string{}, CreatedTime: t0, LastModifiedTime: t0}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return store.CreateSecurityProfile(ctx, tx, spare) }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return store.CreateSecurityProfile(ctx, tx, spare) }), apierr.CodeDuplicateResource)
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		return store.DeleteSecurityProfile(ctx, tx, f.a.ID, spare.ID)
	}); err != nil {
		t.Errorf("DeleteSecurityProfile of an unused profile: %v", err)
	}

	// Deleting a user ends its sessions and revokes its keys.
	session(u, 105)
	k := identity.AccessKey{ID: identity.NewAccessKeyID(), Kind: identity.KeyUser, InstanceID: f.a.ID, UserID: u.ID,
		SecretCiphertext: []byte{1}, Status: identity.KeyActive, CreatedTime: t0}
	if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, _, err := store.DeleteUser(ctx, tx, f.b.ID, u.ID)
		return err
	}), apierr.CodeResourceNotFound)
	var keys int
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		n, keys, err = store.DeleteUser(ctx, tx, f.a.ID, u.ID)
		return err
	}); err != nil || n != 1 || keys != 1 {
		t.Errorf("DeleteUser = %d sessions, %d keys, %v", n, keys, err)
	}
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetUser(ctx, f.a.ID, u.ID); return err }), apierr.CodeResourceNotFound)

	// The authentication profile: validated, stamped, scoped.
	def := identity.DefaultAuthenticationProfileID(f.a.ID)
	var ap identity.AuthenticationProfile
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		ap, err = store.UpdateAuthenticationProfile(ctx, tx, f.a.ID, def, later, func(p *identity.AuthenticationProfile) error {
			p.BlockedIPs = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
			p.IdleTimeout = 20 * time.Minute
			return nil
		})
		return err
	}); err != nil {
		t.Fatalf("UpdateAuthenticationProfile: %v", err)
	}
	var stored identity.AuthenticationProfile
	_ = f.view(func(ctx context.Context, tx store.Tx) error {
		stored, err = store.DefaultAuthenticationProfile(ctx, tx, f.a.ID)
		return err
	})
	if len(stored.BlockedIPs) != 1 || stored.IdleTimeout != 20*time.Minute || !stored.LastModifiedTime.Equal(later) || ap.ID != def {
		t.Errorf("stored authentication profile %+v", stored)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateAuthenticationProfile(ctx, tx, f.a.ID, def, later, func(p *identity.AuthenticationProfile) error {
			p.IdleTimeout = time.Second
			return nil
		})
		return err
	}), apierr.CodeInvalidParameter)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		_, err := store.UpdateAuthenticationProfile(ctx, tx, f.a.ID, identity.DefaultAuthenticationProfileID(f.b.ID), later,
			func(*identity.AuthenticationProfile) error { return nil })
		return err
	}), apierr.CodeResourceNotFound)
}
