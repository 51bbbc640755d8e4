package provision

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// seedIdentity stores Connect's four default security profiles (Admin, Agent,
// CallCenterManager, QualityAnalyst; identity.DefaultSecurityProfiles) in the new instance,
// each with a fresh ID and the instance's creation time, and its default authentication
// profile (identity.DefaultAuthenticationProfile: every network, default session timeouts).
func seedIdentity(ctx context.Context, tx store.Tx, inst instance.Instance, env Env) error {
	for _, d := range identity.DefaultSecurityProfiles() {
		p := identity.SecurityProfile{
			ID: env.NewID(), InstanceID: inst.ID, Name: d.Name, Description: d.Description,
			Permissions: d.Permissions, DenyPermissions: []string{}, Tags: map[string]string{},
			CreatedTime: env.Now, LastModifiedTime: env.Now,
		}
		if err := tx.CreateSecurityProfile(ctx, p); err != nil {
			return fmt.Errorf("seed security profile %s: %w", d.Name, err)
		}
	}
	if err := tx.PutAuthenticationProfile(ctx, identity.DefaultAuthenticationProfile(inst.ID, env.Now)); err != nil {
		return fmt.Errorf("seed authentication profile: %w", err)
	}
	return nil
}

// BasicRoutingProfileID is the ID of the instance's "Basic Routing Profile": derived from
// the instance ID (a version-4-shaped UUID from SHA-256 of "routing-profile/Basic Routing
// Profile/" and the ID), so users created by bootstrap and the demo can reference it whether
// or not routing profiles are stored yet, and routing seeding gives the profile this ID.
func BasicRoutingProfileID(instanceID string) string {
	b := sha256.Sum256([]byte("routing-profile/Basic Routing Profile/" + instanceID))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
