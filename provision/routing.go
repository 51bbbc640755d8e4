package provision

import (
	"context"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// seedRouting seeds the instance's default routing resources (none yet).
func seedRouting(_ context.Context, _ store.Tx, _ instance.Instance, _ Env) error { return nil }
