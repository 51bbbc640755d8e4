package instance

import (
	"context"
	"time"
)

// MaxSecurityKeys is how many security keys an instance may hold at once: two, so a key can
// be rotated (new key associated, flows moved to it, old key disassociated), as in Connect.
const MaxSecurityKeys = 2

// SecurityKey is a public key (PEM public key or X.509 certificate) associated with an
// instance for encrypting customer input captured by flows (Connect's AssociateSecurityKey,
// API_SecurityKey).
type SecurityKey struct {
	InstanceID string
	// AssociationID identifies the key; flows name it as InputEncryption.EncryptionKeyId. It
	// is derived from the key itself (inputcrypt.PublicKey.KeyID), so the same key always
	// has the same ID.
	AssociationID string
	// Key is the PEM text as supplied.
	Key string
	// CreationTime is UTC, millisecond precision.
	CreationTime time.Time
}

// SecurityKeyStore persists security keys, scoped by instance. Errors are *apierr.Error with
// ResourceNotFoundException for an unknown association and DuplicateResourceException for a key
// already associated.
type SecurityKeyStore interface {
	// CreateSecurityKey associates a key.
	CreateSecurityKey(ctx context.Context, k SecurityKey) error
	// ListSecurityKeys returns the instance's keys, oldest first.
	ListSecurityKeys(ctx context.Context, instanceID string) ([]SecurityKey, error)
	// DeleteSecurityKey removes an association.
	DeleteSecurityKey(ctx context.Context, instanceID, associationID string) error
}
