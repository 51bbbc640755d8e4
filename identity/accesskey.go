// Package identity holds who may act in Ringfence: users and security profiles, API access
// keys, the deny-first authorizer, passwords and lockout, sessions and MFA. It defines the
// store interfaces (UserDirectory, SecurityProfileStore, CredentialStore, SessionStore,
// AttemptStore, TOTPSecretStore, ...) that store.Tx embeds; the SQL engines implement them.
package identity

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// KeyKind says whom an access key acts for.
type KeyKind string

// Key kinds.
const (
	// KeyOperator keys are deployment-wide (Connect's IAM administrator): they may create and
	// delete instances and act in every instance.
	KeyOperator KeyKind = "operator"
	// KeyUser keys act as one user of one instance, limited by that user's security profiles.
	KeyUser KeyKind = "user"
)

// KeyStatus is Active or Inactive (revoked), as IAM names access key states, or Expiring for
// a key rolled with a grace period that has not ended yet. Only Active and Inactive are
// stored (AccessKey.Status); Expiring, and Inactive after the grace period, are computed at
// the moment of asking by AccessKey.StatusAt.
type KeyStatus string

// Key states.
const (
	// KeyActive keys authenticate.
	KeyActive KeyStatus = "Active"
	// KeyInactive keys were revoked, or their grace period ended: they never authenticate.
	KeyInactive KeyStatus = "Inactive"
	// KeyExpiring keys were rolled with a grace period (RollGraceMax at most) that has not
	// ended: they still authenticate until AccessKey.ExpiresAt. Never stored.
	KeyExpiring KeyStatus = "Expiring"
)

// RollGraceMax is the longest grace period a roll may give the key it replaces: 7 days
// (10,080 minutes). A grace of 0 revokes the old key at once.
const RollGraceMax = 7 * 24 * time.Hour

// AccessKey is an API credential for SigV4. The secret is stored only sealed (see keyring);
// SecretCiphertext is what the store holds.
type AccessKey struct {
	// ID is the access key ID: "AKRF" followed by 16 characters of A–Z and 2–7 (20 in all,
	// the length of an AWS access key ID).
	ID string
	// Kind is operator or user.
	Kind KeyKind
	// InstanceID is empty for operator keys.
	InstanceID string
	// UserID is set for user keys.
	UserID string
	// SecretCiphertext is the sealed secret access key.
	SecretCiphertext []byte
	// Status is the stored state, KeyActive or KeyInactive; see StatusAt for the state that
	// decides whether the key authenticates.
	Status      KeyStatus
	Description string
	// CreatedTime is UTC, millisecond precision.
	CreatedTime time.Time
	// ExpiresAt is zero, or (UTC, millisecond precision) the end of the grace period the key
	// was given when it was rolled: from then on it authenticates no more, exactly as if it
	// were revoked, with nothing run to revoke it.
	ExpiresAt time.Time
}

// StatusAt returns the key's state at now: KeyInactive when it was revoked, or when it has
// an ExpiresAt that now has reached; KeyExpiring when it has an ExpiresAt still to come;
// KeyActive otherwise. Verification calls it with the time of the request, so a grace period
// ends on time without a background job.
func (k AccessKey) StatusAt(now time.Time) KeyStatus {
	switch {
	case k.Status != KeyActive:
		return KeyInactive
	case k.ExpiresAt.IsZero():
		return KeyActive
	case now.Before(k.ExpiresAt):
		return KeyExpiring
	default:
		return KeyInactive
	}
}

// AuthenticatesAt reports whether the key may sign requests at now: it is Active or
// Expiring (StatusAt).
func (k AccessKey) AuthenticatesAt(now time.Time) bool { return k.StatusAt(now) != KeyInactive }

// GraceEnd returns the ExpiresAt a list should show and true when the key's grace period
// decides its state: it is Expiring, or it became Inactive because the grace period ended
// (not because it was revoked). A key revoked before its grace period ended shows none.
func (k AccessKey) GraceEnd() (time.Time, bool) {
	return k.ExpiresAt, k.Status == KeyActive && !k.ExpiresAt.IsZero()
}

// CheckRollGrace returns nil when grace is a grace period a roll may give (0 to
// RollGraceMax) and an *apierr.Error (InvalidParameterException) otherwise.
func CheckRollGrace(grace time.Duration) error {
	if grace < 0 || grace > RollGraceMax {
		return apierr.InvalidParameter(fmt.Sprintf("the grace period must be 0 (revoke at once) to %d minutes (7 days), not %s", int(RollGraceMax/time.Minute), grace))
	}
	return nil
}

// KeyStore persists access keys. Methods return *apierr.Error with ResourceNotFoundException
// for an unknown ID.
type KeyStore interface {
	// CreateAccessKey stores a new key.
	CreateAccessKey(ctx context.Context, k AccessKey) error
	// GetAccessKey returns the key with the given ID.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys returns every key of the kind (all kinds when kind is ""), oldest first.
	ListAccessKeys(ctx context.Context, kind KeyKind) ([]AccessKey, error)
	// SetAccessKeyStatus activates or revokes a key. Revoking an Expiring key ends it at once.
	SetAccessKeyStatus(ctx context.Context, id string, status KeyStatus) error
	// SetAccessKeyExpiry gives the stored-Active key id the end of a grace period (expiresAt,
	// not zero; stored with millisecond precision). It is InvalidRequestException when the
	// key is revoked or already has an ExpiresAt (a key is rolled once), so that of two
	// concurrent rolls one fails.
	SetAccessKeyExpiry(ctx context.Context, id string, expiresAt time.Time) error
	// RevokeUserAccessKeys sets every active key of the user Inactive and returns how many it
	// revoked (used when the user is deleted).
	RevokeUserAccessKeys(ctx context.Context, instanceID, userID string) (int, error)
}

// NewAccessKeyID returns a fresh access key ID ("AKRF" + 16 base32 characters).
func NewAccessKeyID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return "AKRF" + base32.StdEncoding.EncodeToString(b)
}

// NewSecretAccessKey returns a fresh 40-character secret access key (30 random bytes,
// base64 with '+' and '/' as AWS secrets use).
func NewSecretAccessKey() secret.Value[string] {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return secret.New(base64.StdEncoding.EncodeToString(b))
}

// Sealer seals secrets at rest; *keyring.Envelope implements it.
type Sealer interface {
	SealString(ctx context.Context, plaintext secret.Value[string], aad keyring.AAD) ([]byte, error)
}

// AccessKeyAAD is where an access key's sealed secret is bound: table access_keys, the key ID
// as row, column secret_ciphertext, and the key's instance ("deployment" for operator keys).
// A sealed secret copied to another key's row does not open.
func AccessKeyAAD(k AccessKey) keyring.AAD {
	inst := k.InstanceID
	if inst == "" {
		inst = "deployment"
	}
	return keyring.AAD{InstanceID: inst, Table: "access_keys", RowID: k.ID, Column: "secret_ciphertext"}
}

// IssueAccessKey completes k (Kind, InstanceID, UserID, Description and CreatedTime set by the
// caller) with a fresh ID, Active status and a new secret sealed by s. The returned secret is
// the only clear copy: show it once, never store or log it.
func IssueAccessKey(ctx context.Context, s Sealer, k AccessKey) (AccessKey, secret.Value[string], error) {
	k.ID, k.Status = NewAccessKeyID(), KeyActive
	sec := NewSecretAccessKey()
	ct, err := s.SealString(ctx, sec, AccessKeyAAD(k))
	if err != nil {
		return AccessKey{}, secret.Value[string]{}, fmt.Errorf("issue access key: seal secret: %w", err)
	}
	k.SecretCiphertext = ct
	return k, sec, nil
}
