package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// TOTP parameters (RFC 6238 §4 and §5.2 defaults, what authenticator apps expect): 30-second
// steps, 6 digits, HMAC-SHA1, and one step of clock drift either way.
const (
	TOTPPeriod    = 30 * time.Second
	TOTPDigits    = 6
	TOTPSkew      = 1
	totpSecretLen = 20 // bytes: 160 bits, RFC 4226 §4 recommendation
)

// MFAFailedMessage is the message of every refused MFA code or recovery code.
const MFAFailedMessage = "The verification code is incorrect or has already been used."

// TOTPEnrollment is a new TOTP secret for a user, before it is confirmed with a first code.
type TOTPEnrollment struct {
	// Secret is the base32 secret (unpadded, 32 characters). Store it sealed.
	Secret secret.Value[string]
	// URL is the otpauth:// key URI for a QR code
	// (otpauth://totp/Issuer:account?secret=...&issuer=...&period=30&algorithm=SHA1&digits=6).
	// It holds the secret: show it once, never log it.
	URL secret.Value[string]
}

// NewTOTPEnrollment generates a 160-bit secret from rnd (nil means crypto/rand) for account
// (for example the username) at issuer (for example "Ringfence (instance alias)").
// Issuer and account must be non-empty and must not contain ":".
func NewTOTPEnrollment(issuer, account string, rnd io.Reader) (TOTPEnrollment, error) {
	if issuer == "" || account == "" || strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return TOTPEnrollment{}, apierr.InvalidParameter("TOTP issuer and account must be non-empty and contain no colon")
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: uint(TOTPPeriod / time.Second),
		SecretSize: totpSecretLen, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rnd,
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("new totp enrollment: %w", err)
	}
	return TOTPEnrollment{Secret: secret.New(key.Secret()), URL: secret.New(key.URL())}, nil
}

// TOTPStore keeps the last TOTP time step each user has used, so a code is accepted once.
type TOTPStore interface {
	// UseTOTPStep atomically records step as the user's last used step if it is greater than
	// the one stored (or none is), and reports whether it did. Concurrent calls with the same
	// step: exactly one returns true.
	UseTOTPStep(ctx context.Context, instanceID, userID string, step int64) (bool, error)
}

// TOTPSecret is a user's stored TOTP secret. The store holds only ciphertext: the caller
// seals the base32 secret with the keyring (Envelope.SealString with TOTPSecretAAD) before
// storing and opens it after reading.
type TOTPSecret struct {
	// Ciphertext is the sealed base32 secret.
	Ciphertext []byte
	// Confirmed is set once the user proved possession with a first valid code; until then
	// the secret is an enrolment in progress and does not satisfy MFA.
	Confirmed bool
	// CreatedTime is UTC, millisecond precision.
	CreatedTime time.Time
}

// TOTPSecretAAD binds a sealed TOTP secret to its place: table user_totp, the user ID as
// row, column secret_ciphertext, and the user's instance. A secret copied to another user
// or instance does not open.
func TOTPSecretAAD(instanceID, userID string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "user_totp", RowID: userID, Column: "secret_ciphertext"}
}

// TOTPSecretStore keeps each user's sealed TOTP secret (at most one per user). Methods are
// scoped by instance and return ResourceNotFoundException for a user without a secret.
type TOTPSecretStore interface {
	// SetTOTPSecret stores (or replaces, restarting enrolment) the user's secret.
	SetTOTPSecret(ctx context.Context, instanceID, userID string, s TOTPSecret) error
	// GetTOTPSecret returns the user's secret.
	GetTOTPSecret(ctx context.Context, instanceID, userID string) (TOTPSecret, error)
	// ConfirmTOTPSecret marks the user's secret confirmed.
	ConfirmTOTPSecret(ctx context.Context, instanceID, userID string) error
	// DeleteTOTPSecret removes the user's secret (and its last used step).
	DeleteTOTPSecret(ctx context.Context, instanceID, userID string) error
}

// RecoveryCodeWriter replaces a user's recovery codes.
type RecoveryCodeWriter interface {
	// ReplaceRecoveryCodes makes hashes (HashRecoveryCode values) the user's only unused
	// recovery codes; earlier ones stop working.
	ReplaceRecoveryCodes(ctx context.Context, instanceID, userID string, hashes []string) error
}

// RecoveryCodeStore keeps the SHA-256 hashes of a user's unused recovery codes.
type RecoveryCodeStore interface {
	// ConsumeRecoveryCode atomically removes hash from the user's unused codes and reports
	// whether it was there.
	ConsumeRecoveryCode(ctx context.Context, instanceID, userID, hash string) (bool, error)
}

// TOTPCode returns the code an authenticator app shows at time at for the base32 secret
// sec, with Ringfence's parameters (TOTPPeriod, TOTPDigits, HMAC-SHA1; RFC 6238): for tools
// and tests that act as the authenticator. A secret that is not base32 is an error.
func TOTPCode(sec secret.Value[string], at time.Time) (string, error) {
	code, err := totp.GenerateCodeCustom(sec.Reveal(), at, totp.ValidateOpts{
		Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", fmt.Errorf("totp code: %w", err)
	}
	return code, nil
}

// TOTPVerifier checks TOTP codes with replay protection.
type TOTPVerifier struct {
	Store TOTPStore
	// Now is the clock (nil means time.Now).
	Now func() time.Time
}

// Verify checks code (6 ASCII digits) against the base32 secret at the current time with
// ±1 step (RFC 6238 §5.2), using pquerna/otp totp.ValidateCustom once per step of the window
// to learn which step matched, and records that step. A code of a step at or before the
// last used one (a replay, or an older code after a newer one) is refused. It returns nil or
// an AccessDeniedException with MFAFailedMessage; a store failure is returned wrapped.
func (v TOTPVerifier) Verify(ctx context.Context, instanceID, userID string, sec secret.Value[string], code string) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return apierr.AccessDenied(MFAFailedMessage)
	}
	period := int64(TOTPPeriod / time.Second)
	current := now().Unix() / period
	opts := totp.ValidateOpts{Period: uint(period), Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	matched := int64(-1)
	// Check every step of the window (no early exit) so timing does not show which matched;
	// keep the newest match.
	for step := current - TOTPSkew; step <= current+TOTPSkew; step++ {
		ok, err := totp.ValidateCustom(code, sec.Reveal(), time.Unix(step*period, 0), opts)
		if err != nil {
			return fmt.Errorf("verify totp: %w", apierr.AccessDenied(MFAFailedMessage))
		}
		if ok {
			matched = step
		}
	}
	if matched < 0 {
		return apierr.AccessDenied(MFAFailedMessage)
	}
	fresh, err := v.Store.UseTOTPStep(ctx, instanceID, userID, matched)
	if err != nil {
		return fmt.Errorf("verify totp: record step: %w", err)
	}
	if !fresh {
		return apierr.AccessDenied(MFAFailedMessage)
	}
	return nil
}

// Recovery codes: RecoveryCodeCount codes of 16 base32 characters (80 bits), shown as four
// groups of four ("ABCD-EFGH-JKMN-PQRS").
const (
	RecoveryCodeCount = 10
	recoveryCodeBytes = 10
)

// NewRecoveryCodes returns RecoveryCodeCount fresh codes to show the user once, and their
// hashes (HashRecoveryCode) to store. rnd nil means crypto/rand.
func NewRecoveryCodes(rnd io.Reader) (codes []secret.Value[string], hashes []string, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range RecoveryCodeCount {
		b := make([]byte, recoveryCodeBytes)
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, nil, fmt.Errorf("new recovery codes: %w", err)
		}
		s := enc.EncodeToString(b) // 16 characters
		c := secret.New(s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16])
		codes = append(codes, c)
		hashes = append(hashes, HashRecoveryCode(c))
	}
	return codes, hashes, nil
}

// HashRecoveryCode returns the hex SHA-256 of the code after normalising it (upper case,
// dashes and spaces removed), so "abcd efgh-..." matches "ABCD-EFGH-...". The codes carry 80
// random bits, so a plain hash is enough.
func HashRecoveryCode(code secret.Value[string]) string {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code.Reveal())))
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}

// UseRecoveryCode consumes code for the user: nil if it was an unused code (it is then
// gone), else AccessDeniedException with MFAFailedMessage. A store failure is returned wrapped.
func UseRecoveryCode(ctx context.Context, store RecoveryCodeStore, instanceID, userID string, code secret.Value[string]) error {
	ok, err := store.ConsumeRecoveryCode(ctx, instanceID, userID, HashRecoveryCode(code))
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if !ok {
		return apierr.AccessDenied(MFAFailedMessage)
	}
	return nil
}

// MemoryMFAStore is a TOTPStore and RecoveryCodeStore in memory, safe for concurrent use
// (tests and single-node deployments).
type MemoryMFAStore struct {
	mu       sync.Mutex
	steps    map[string]int64
	recovery map[string]map[string]bool
}

// SetRecoveryCodes replaces the user's unused recovery code hashes.
func (s *MemoryMFAStore) SetRecoveryCodes(instanceID, userID string, hashes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recovery == nil {
		s.recovery = make(map[string]map[string]bool)
	}
	m := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		m[h] = true
	}
	s.recovery[instanceID+"\x00"+userID] = m
}

// UseTOTPStep implements TOTPStore.
func (s *MemoryMFAStore) UseTOTPStep(_ context.Context, instanceID, userID string, step int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.steps == nil {
		s.steps = make(map[string]int64)
	}
	k := instanceID + "\x00" + userID
	if last, ok := s.steps[k]; ok && step <= last {
		return false, nil
	}
	s.steps[k] = step
	return true, nil
}

// ConsumeRecoveryCode implements RecoveryCodeStore.
func (s *MemoryMFAStore) ConsumeRecoveryCode(_ context.Context, instanceID, userID, hash string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.recovery[instanceID+"\x00"+userID]
	if !m[hash] {
		return false, nil
	}
	delete(m, hash)
	return true, nil
}
