package provision

import (
	"context"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// seedIdentity seeds the instance's default identity resources (none yet).
func seedIdentity(_ context.Context, _ store.Tx, _ instance.Instance, _ Env) error { return nil }
