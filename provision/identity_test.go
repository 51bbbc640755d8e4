package provision_test

import (
	"context"
	"testing"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// TestSeedAuthenticationProfile: a new instance has its default authentication profile
// stored, with every network allowed and the default timeouts.
func TestSeedAuthenticationProfile(t *testing.T) {
	s, inst := seeded(t)
	var list []identity.AuthenticationProfile
	if err := s.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListAuthenticationProfiles(ctx, inst.ID, "", 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("stored authentication profiles = %+v, want one", list)
	}
	p := list[0]
	if p.ID != identity.DefaultAuthenticationProfileID(inst.ID) || !p.Default || p.Name != identity.DefaultAuthenticationProfileName ||
		len(p.AllowedIPs)+len(p.BlockedIPs) != 0 || p.SessionDuration != identity.DefaultSessionDuration ||
		p.IdleTimeout != identity.DefaultIdleTimeout || !p.CreatedTime.Equal(inst.CreatedTime) {
		t.Errorf("seeded profile = %+v", p)
	}
}
