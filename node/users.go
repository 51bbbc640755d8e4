package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// IssueUserKey creates an access key that acts as the user username of the instance, limited
// by that user's security profiles, and returns it with its secret (the only clear copy; the
// store holds it sealed like operator keys). Audited with actor "host". An unknown instance
// or user is ResourceNotFoundException.
func (n *Node) IssueUserKey(ctx context.Context, instanceID, username, description string) (identity.AccessKey, secret.Value[string], error) {
	var u identity.User
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		var err error
		u, err = tx.GetUserByUsername(ctx, instanceID, username)
		return err
	})
	if err != nil {
		return identity.AccessKey{}, secret.Value[string]{}, fmt.Errorf("issue user key: %w", err)
	}
	k, sec, err := identity.IssueAccessKey(ctx, n.Secrets, identity.AccessKey{
		Kind: identity.KeyUser, InstanceID: instanceID, UserID: u.ID, Description: description,
		CreatedTime: time.Now().UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		return k, sec, err
	}
	ev := hostEvent("host.create_access_key", "CreateAccessKey", instanceID, k.ID)
	ev.Details = map[string]string{"kind": string(identity.KeyUser), "user_id": u.ID}
	err = n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		// The user may have been deleted since it was read.
		if _, err := tx.GetUser(ctx, instanceID, u.ID); err != nil {
			return err
		}
		return tx.CreateAccessKey(ctx, k)
	})
	if err != nil {
		return k, sec, fmt.Errorf("issue user key: %w", err)
	}
	return k, sec, nil
}

// SeededUser is a user created by bootstrap or the demo, with its password: the only clear
// copy (only argon2id hashes are stored), shown once.
type SeededUser struct {
	Username        string
	SecurityProfile string
	Password        secret.Value[string]
	// MFAEnrollmentRequired is set when the user must enrol MFA at first sign-in.
	MFAEnrollmentRequired bool
}

// ensureUser creates the user username in the instance, holding the named security profile
// and the instance's Basic Routing Profile, with a random password, unless a user of that
// name exists. created is false (and the password empty) when it existed. The user is
// marked to enrol MFA at first sign-in when mfa is set or its profile requires MFA. Audited
// with actor "host".
func (n *Node) ensureUser(ctx context.Context, instanceID, username, firstName, lastName, profileName string, mfa bool) (SeededUser, bool, error) {
	exists := false
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetUserByUsername(ctx, instanceID, username)
		exists = err == nil
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return nil
		}
		return err
	})
	if err != nil || exists {
		return SeededUser{}, false, err
	}
	// PCI mode's rule (letters and digits) too, whatever the instance's policy.
	pw, err := identity.GeneratePassword(nil, identity.NewPasswordPolicy(true), username)
	if err != nil {
		return SeededUser{}, false, err
	}
	hash, err := n.pwHasher.HashPassword(ctx, pw)
	if err != nil {
		return SeededUser{}, false, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := identity.User{
		ID: api.NewID(), InstanceID: instanceID, Username: username,
		IdentityInfo:     identity.IdentityInfo{FirstName: firstName, LastName: lastName},
		PhoneConfig:      identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
		RoutingProfileID: provision.BasicRoutingProfileID(instanceID),
		Tags:             map[string]string{}, CreatedTime: now, LastModifiedTime: now,
	}
	ev := hostEvent("host.create_user", "CreateUser", instanceID, identity.UserARN("aws", n.Config.Region, n.AccountID, instanceID, u.ID))
	ev.Details = map[string]string{"security_profile": profileName}
	err = n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetSecurityProfileByName(ctx, instanceID, profileName)
		if err != nil {
			return fmt.Errorf("the instance has no %s security profile: %w", profileName, err)
		}
		u.SecurityProfileIDs = []string{p.ID}
		u.MFAEnrollmentRequired = mfa
		if err := u.Validate(); err != nil {
			return err
		}
		u, err = store.CreateUser(ctx, tx, u, hash)
		return err
	})
	if apierr.HasCode(err, apierr.CodeDuplicateResource) { // created concurrently
		return SeededUser{}, false, nil
	}
	if err != nil {
		return SeededUser{}, false, fmt.Errorf("create user %s: %w", username, err)
	}
	return SeededUser{Username: username, SecurityProfile: profileName, Password: pw, MFAEnrollmentRequired: u.MFAEnrollmentRequired}, true, nil
}

// AdminUsername is the first administrator `ringfence bootstrap` creates in each instance.
const AdminUsername = "admin"

// SeedDemoUsers adds the demo's people to the instance: agent1 and agent2 (Agent security
// profile, the "Demo Agents" routing profile of SeedDemoRouting, which it runs first) and
// supervisor (CallCenterManager). It returns the users it created with their passwords;
// users that already exist are left alone and not returned (agent1 and agent2 are moved to
// "Demo Agents" while they still have Basic Routing Profile).
func (n *Node) SeedDemoUsers(ctx context.Context, instanceID string) ([]SeededUser, error) {
	profileID, err := n.SeedDemoRouting(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	var out []SeededUser
	for _, d := range []struct{ username, first, last, profile string }{
		{"agent1", "Avery", "Agent", identity.ProfileAgent},
		{"agent2", "Blake", "Agent", identity.ProfileAgent},
		{"supervisor", "Sam", "Supervisor", identity.ProfileCallCenterManager},
	} {
		u, created, err := n.ensureUser(ctx, instanceID, d.username, d.first, d.last, d.profile, false)
		if err != nil {
			return out, err
		}
		if created {
			out = append(out, u)
		}
	}
	return out, n.assignDemoProfile(ctx, instanceID, profileID, "agent1", "agent2")
}
