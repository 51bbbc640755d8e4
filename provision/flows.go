package provision

import (
	"context"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// seedFlows seeds the instance's default flows resources (none yet).
func seedFlows(_ context.Context, _ store.Tx, _ instance.Instance, _ Env) error { return nil }
