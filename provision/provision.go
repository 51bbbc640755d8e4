// Package provision seeds a new instance the way Amazon Connect starts one: Connect's four
// default security profiles, the default authentication profile, "Basic Hours", BasicQueue, "Basic Routing Profile", the agent
// statuses Available and Offline, and a default flow for each flow type Connect ships one for.
// CreateInstance (package api) and `ringfence bootstrap` (package node) both call Instance
// inside the transaction that creates the instance, so an instance never exists half-seeded.
package provision

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// Env is what seeding needs from its caller.
type Env struct {
	// Region and AccountID build the ARNs the seeded resources carry.
	Region    string
	AccountID string
	// NewID returns a fresh resource ID (a lower-case UUID).
	NewID func() string
	// Now is the creation time the seeded resources carry.
	Now time.Time
}

// Instance seeds the defaults of a newly created instance inside tx. It is called once, right
// after tx.CreateInstance; an error rolls the instance back.
func Instance(ctx context.Context, tx store.Tx, inst instance.Instance, env Env) error {
	for _, seed := range []func(context.Context, store.Tx, instance.Instance, Env) error{
		seedIdentity, seedRouting, seedFlows,
	} {
		if err := seed(ctx, tx, inst, env); err != nil {
			return err
		}
	}
	return nil
}
