package api

import (
	"testing"

	"github.com/ringfence/ringfence/identity"
)

// TestEveryOperationHasAPermission fails when an operation is served without an entry in the
// authorizer's operation-to-permission table (it would be refused to every user).
func TestEveryOperationHasAPermission(t *testing.T) {
	for _, op := range operations() {
		if _, ok := identity.RequiredPermissions(op.name); !ok {
			t.Errorf("operation %s has no entry in identity's operation permissions", op.name)
		}
	}
}
