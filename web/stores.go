package web

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// The interfaces below are what the pages need from storage. Each is small and lives here, at
// its consumer; the node wires SQL-backed implementations. Every method is scoped by instance
// ID and returns *apierr.Error with ResourceNotFoundException for an unknown row.

// InstanceSource resolves the instance a person signs in to.
type InstanceSource interface {
	// LookupInstance returns the instance whose alias or ID is aliasOrID (an ID is a
	// lower-case UUID, see instance.ValidID), or ResourceNotFoundException.
	LookupInstance(ctx context.Context, aliasOrID string) (instance.Instance, error)
}

// InstanceSourceFunc adapts a function to InstanceSource.
type InstanceSourceFunc func(ctx context.Context, aliasOrID string) (instance.Instance, error)

// LookupInstance implements InstanceSource.
func (f InstanceSourceFunc) LookupInstance(ctx context.Context, aliasOrID string) (instance.Instance, error) {
	return f(ctx, aliasOrID)
}

// ProfileSource returns the security profiles of a user (the same method api.ProfileSource
// has, so one implementation serves both).
type ProfileSource interface {
	SecurityProfilesFor(ctx context.Context, instanceID, userID string) ([]identity.SecurityProfile, error)
}

// AuthProfileSource returns the authentication profile in force for a user (Connect: the
// instance's default profile applies to every user unless another profile overrides it).
// An instance without a stored profile returns its default (every address allowed, default
// timeouts), not an error.
type AuthProfileSource interface {
	// AuthenticationProfileFor returns the profile that applies to the user; userID "" asks
	// for the instance's default.
	AuthenticationProfileFor(ctx context.Context, instanceID, userID string) (identity.AuthenticationProfile, error)
	// SignInAuthenticationProfile returns the profile in force for a password sign-in with the
	// typed username, before the password is checked (the default for an unknown username);
	// perUser reports a profile other than the default.
	SignInAuthenticationProfile(ctx context.Context, instanceID, username string) (p identity.AuthenticationProfile, perUser bool, err error)
}

// TOTPSecret is a user's TOTP secret as stored: sealed with keyring (see TOTPSecretAAD);
// an unconfirmed one is an enrolment in progress and never accepted as a second factor.
type TOTPSecret = identity.TOTPSecret

// TOTPSecretAAD is where a user's sealed TOTP secret is bound: table user_totp, the user ID
// as row, column secret_ciphertext (identity.TOTPSecretAAD). A sealed secret copied to
// another user or instance does not open.
func TOTPSecretAAD(instanceID, userID string) keyring.AAD {
	return identity.TOTPSecretAAD(instanceID, userID)
}

// MFAStore keeps users' second factors other than passkeys: the TOTP secret, the last used
// TOTP step (replay protection) and recovery code hashes.
type MFAStore interface {
	identity.TOTPStore
	identity.RecoveryCodeStore
	// GetTOTPSecret returns the user's TOTP secret, or ResourceNotFoundException when none.
	GetTOTPSecret(ctx context.Context, instanceID, userID string) (TOTPSecret, error)
	// PutTOTPSecret stores (replaces) the user's TOTP secret.
	PutTOTPSecret(ctx context.Context, instanceID, userID string, s TOTPSecret) error
	// SetRecoveryCodes replaces the user's unused recovery code hashes
	// (identity.HashRecoveryCode).
	SetRecoveryCodes(ctx context.Context, instanceID, userID string, hashes []string) error
}

// Passkey is a WebAuthn credential registered as a second factor (identity.Passkey).
type Passkey = identity.Passkey

// PasskeyStore keeps users' passkeys.
type PasskeyStore interface {
	// ListPasskeys returns the user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, instanceID, userID string) ([]Passkey, error)
	// AddPasskey stores a new passkey; DuplicateResourceException when the user already has
	// one with the same ID.
	AddPasskey(ctx context.Context, instanceID, userID string, p Passkey) error
	// UpdatePasskeyUse replaces the stored credential (new signature counter and flags) and
	// sets LastUsed after a successful assertion.
	UpdatePasskeyUse(ctx context.Context, instanceID, userID string, id, credential []byte, lastUsed time.Time) error
	// DeletePasskey removes one passkey.
	DeletePasskey(ctx context.Context, instanceID, userID string, id []byte) error
}

// SessionLister is implemented by session stores that can list a user's sessions; the
// account page then shows them. Without it the page shows the current session only.
type SessionLister interface {
	// ListUserSessions returns the user's live sessions, newest first.
	ListUserSessions(ctx context.Context, instanceID, userID string) ([]identity.Session, error)
}

// Recorder makes audit events durable (store.Store satisfies it). Record returns
// ServiceUnavailableException when it cannot; the page action then fails (fail closed).
type Recorder interface {
	Record(ctx context.Context, ev *audit.Event) error
}

// Sealer seals and opens values at rest; *keyring.Envelope implements it.
type Sealer interface {
	SealString(ctx context.Context, plaintext secret.Value[string], aad keyring.AAD) ([]byte, error)
	OpenString(ctx context.Context, ciphertext []byte, aad keyring.AAD) (secret.Value[string], error)
}
