package identity

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

// Lockout defaults: PCI DSS v4.0.1 requirement 8.3.4 (lock after at most 10 invalid attempts,
// for at least 30 minutes or until the identity is confirmed).
const (
	DefaultMaxFailures = 10
	DefaultLockout     = 30 * time.Minute
)

// AttemptStore counts sign-in attempts per key (instance and normalised username). The
// reservation is one atomic step, so concurrent attempts can never run more verifications
// than the limit: a SQL store does it in one statement or a serialisable transaction.
type AttemptStore interface {
	// ReserveAttempt atomically counts one attempt for key at now. If key is locked (its lock
	// ends after now) or its count already reached limit, it returns ok false and the lock's
	// end. Otherwise it increments the count and returns ok true; when the count reaches
	// limit it also locks key until now+lockout. A lock that has ended resets the count.
	ReserveAttempt(ctx context.Context, key string, now time.Time, limit int, lockout time.Duration) (ok bool, lockedUntil time.Time, err error)
	// ClearAttempts resets key's count and lock after a successful sign-in.
	ClearAttempts(ctx context.Context, key string) error
}

// MemoryAttemptStore is an AttemptStore in memory, safe for concurrent use: for tests and
// single-node deployments. It holds at most MaxKeys keys (default 100,000); when full it
// drops keys that are neither locked nor touched within the lockout period, and if none can
// be dropped it refuses new keys (ok false) rather than forget a lock.
type MemoryAttemptStore struct {
	// MaxKeys bounds memory; 0 means 100,000.
	MaxKeys int
	mu      sync.Mutex
	m       map[string]*attemptState
}

type attemptState struct {
	count       int
	lockedUntil time.Time
	last        time.Time
}

// ReserveAttempt implements AttemptStore.
func (s *MemoryAttemptStore) ReserveAttempt(_ context.Context, key string, now time.Time, limit int, lockout time.Duration) (bool, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*attemptState)
	}
	st := s.m[key]
	if st == nil {
		max := s.MaxKeys
		if max <= 0 {
			max = 100_000
		}
		if len(s.m) >= max {
			s.prune(now, lockout)
			if len(s.m) >= max {
				return false, time.Time{}, nil
			}
		}
		st = &attemptState{}
		s.m[key] = st
	}
	if !st.lockedUntil.IsZero() && !now.Before(st.lockedUntil) {
		st.count, st.lockedUntil = 0, time.Time{}
	}
	if now.Before(st.lockedUntil) || st.count >= limit {
		return false, st.lockedUntil, nil
	}
	st.count++
	st.last = now
	if st.count >= limit {
		st.lockedUntil = now.Add(lockout)
	}
	return true, st.lockedUntil, nil
}

func (s *MemoryAttemptStore) prune(now time.Time, lockout time.Duration) {
	for k, st := range s.m {
		if !now.Before(st.lockedUntil) && now.Sub(st.last) > lockout {
			delete(s.m, k)
		}
	}
}

// ClearAttempts implements AttemptStore.
func (s *MemoryAttemptStore) ClearAttempts(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// IPRateLimiter is a token bucket per client address for sign-in attempts, safe for
// concurrent use. IPv6 addresses share a bucket per /64 (one host's usual allocation); IPv4
// addresses (including IPv4-mapped IPv6) have one each. Buckets idle for 10 minutes are
// dropped when more than 10,000 exist.
type IPRateLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time
	mu    sync.Mutex
	m     map[netip.Prefix]*ipBucket
}

type ipBucket struct {
	lim  *rate.Limiter
	last time.Time
}

// NewIPRateLimiter allows perMinute attempts per minute from one address, with bursts of
// burst; now is the clock (nil means time.Now). A sensible sign-in setting is 10 per minute
// with a burst of 20.
func NewIPRateLimiter(perMinute float64, burst int, now func() time.Time) *IPRateLimiter {
	if now == nil {
		now = time.Now
	}
	return &IPRateLimiter{limit: rate.Limit(perMinute / 60), burst: burst, now: now, m: make(map[netip.Prefix]*ipBucket)}
}

// Allow takes one token from ip's bucket and reports whether there was one. An invalid
// address shares one bucket with every other invalid address.
func (l *IPRateLimiter) Allow(ip netip.Addr) bool {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	key, _ := ip.Prefix(bits) // the zero Prefix for an invalid address
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) > 10_000 {
			for k, v := range l.m {
				if now.Sub(v.last) > 10*time.Minute {
					delete(l.m, k)
				}
			}
		}
		b = &ipBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[key] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}

// CredentialStore holds users' password hashes (PHC strings, see PasswordHasher).
type CredentialStore interface {
	// GetPasswordHash returns the user's hash, or ResourceNotFoundException if it has none.
	GetPasswordHash(ctx context.Context, instanceID, userID string) (string, error)
	// SetPasswordHash replaces the user's hash (used to rehash with stronger parameters).
	SetPasswordHash(ctx context.Context, instanceID, userID, hash string) error
}

// SignInFailedMessage is the one message every failed sign-in gets, whatever the reason.
const SignInFailedMessage = "The username or password is incorrect, or the account is locked. Try again later."

// AuthError is the error of a failed Authenticate. Its Error and the *apierr.Error in its
// chain (AccessDeniedException, SignInFailedMessage; ThrottlingException when the address
// is over its rate) are the same for every reason; Reason is only for the audit event.
type AuthError struct {
	// Reason: "rate limited", "locked", "unknown user", "no password", "wrong password",
	// "disabled".
	Reason string
	api    *apierr.Error
}

// Error returns the generic message, never the reason.
func (e *AuthError) Error() string { return e.api.Error() }

// Unwrap returns the *apierr.Error to show.
func (e *AuthError) Unwrap() error { return e.api }

// AuthenticatorConfig configures an Authenticator. Users, Credentials and Attempts are required.
type AuthenticatorConfig struct {
	Users       UserStore
	Credentials CredentialStore
	Attempts    AttemptStore
	// IPLimiter, if set, is consulted first.
	IPLimiter *IPRateLimiter
	// Hasher defaults to NewPasswordHasher().
	Hasher *PasswordHasher
	// MaxFailures (default 10) and Lockout (default 30 min; values under 30 min are raised to it).
	MaxFailures int
	Lockout     time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Authenticator checks usernames and passwords with lockout, per-address rate limits and
// uniform failures. Safe for concurrent use.
type Authenticator struct {
	cfg       AuthenticatorConfig
	hasher    PasswordHasher
	dummyHash string
	// verify is the password check; tests count calls through it.
	verify func(ctx context.Context, encoded string, pw secret.Value[string]) (ok, rehash bool, err error)
}

// NewAuthenticator validates cfg and computes the dummy hash unknown users are verified
// against (with the same parameters as real hashes, so both paths cost one argon2id run).
func NewAuthenticator(cfg AuthenticatorConfig) (*Authenticator, error) {
	if cfg.Users == nil || cfg.Credentials == nil || cfg.Attempts == nil {
		return nil, errors.New("new authenticator: users, credentials and attempts are required")
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.Lockout < DefaultLockout {
		cfg.Lockout = DefaultLockout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := NewPasswordHasher()
	if cfg.Hasher != nil {
		h = *cfg.Hasher
	}
	dummy, err := h.HashPassword(context.Background(), secret.New("ringfence dummy password for unknown users"))
	if err != nil {
		return nil, fmt.Errorf("new authenticator: %w", err)
	}
	a := &Authenticator{cfg: cfg, hasher: h, dummyHash: dummy}
	a.verify = func(ctx context.Context, enc string, pw secret.Value[string]) (bool, bool, error) {
		return a.hasher.VerifyPassword(ctx, enc, pw)
	}
	return a, nil
}

// AttemptKey is the lockout key of a username in an instance.
func AttemptKey(instanceID, username string) string {
	return instanceID + "\x00" + NormalizeUsername(username)
}

// Authenticate checks username and password in instance instanceID for a client at ip (the
// real client address, see ClientIP) and returns the user.
//
// Every call that passes the rate limit runs exactly one argon2id verification: against the
// user's hash, or against a dummy hash for an unknown user, a user without a password, or a
// locked key; so timing does not tell them apart. Unknown usernames are counted and locked
// like real ones. Failures return an *AuthError (AccessDeniedException with
// SignInFailedMessage; ThrottlingException when ip is over its rate). A store failure is
// returned wrapped, as an internal error. On success the failure count is cleared and a hash
// below the current parameters is replaced.
func (a *Authenticator) Authenticate(ctx context.Context, instanceID, username string, password secret.Value[string], ip netip.Addr) (User, error) {
	if a.cfg.IPLimiter != nil && !a.cfg.IPLimiter.Allow(ip) {
		return User{}, &AuthError{Reason: "rate limited", api: apierr.New(apierr.CodeThrottling, "Too many sign-in attempts. Try again later.")}
	}
	key := AttemptKey(instanceID, username)
	ok, _, err := a.cfg.Attempts.ReserveAttempt(ctx, key, a.cfg.Now(), a.cfg.MaxFailures, a.cfg.Lockout)
	if err != nil {
		return User{}, fmt.Errorf("authenticate: reserve attempt: %w", err)
	}
	if !ok {
		if _, _, err := a.verify(ctx, a.dummyHash, password); err != nil {
			return User{}, fmt.Errorf("authenticate: %w", err)
		}
		return User{}, failed("locked")
	}
	reason := ""
	u, err := a.cfg.Users.GetUserByUsername(ctx, instanceID, username)
	switch {
	case apierr.HasCode(err, apierr.CodeResourceNotFound):
		reason = "unknown user"
	case err != nil:
		return User{}, fmt.Errorf("authenticate: get user: %w", err)
	}
	hash := a.dummyHash
	if reason == "" {
		h, err := a.cfg.Credentials.GetPasswordHash(ctx, instanceID, u.ID)
		switch {
		case apierr.HasCode(err, apierr.CodeResourceNotFound):
			reason = "no password"
		case err != nil:
			return User{}, fmt.Errorf("authenticate: get password hash: %w", err)
		default:
			hash = h
		}
	}
	match, rehash, err := a.verify(ctx, hash, password)
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	switch {
	case reason != "":
	case !match:
		reason = "wrong password"
	case u.Disabled:
		reason = "disabled"
	}
	if reason != "" {
		return User{}, failed(reason)
	}
	if err := a.cfg.Attempts.ClearAttempts(ctx, key); err != nil {
		return User{}, fmt.Errorf("authenticate: clear attempts: %w", err)
	}
	if rehash {
		if h, err := a.hasher.HashPassword(ctx, password); err == nil {
			// A failed rehash leaves the old, still valid hash; sign-in goes on.
			_ = a.cfg.Credentials.SetPasswordHash(ctx, instanceID, u.ID, h)
		}
	}
	return u, nil
}

// Refuse answers a sign-in the caller refuses before the password is checked (an
// authentication profile of the user that does not admit the client's network) so that it
// cannot be told from a wrong password: the per-address rate limit applies and one argon2id
// verification runs against the dummy hash, then it returns an *AuthError with reason
// (AccessDeniedException with SignInFailedMessage; ThrottlingException when ip is over its
// rate). The attempt does not count toward the username's lockout. A hashing failure is
// returned wrapped, as an internal error.
func (a *Authenticator) Refuse(ctx context.Context, password secret.Value[string], ip netip.Addr, reason string) error {
	if a.cfg.IPLimiter != nil && !a.cfg.IPLimiter.Allow(ip) {
		return &AuthError{Reason: "rate limited", api: apierr.New(apierr.CodeThrottling, "Too many sign-in attempts. Try again later.")}
	}
	if _, _, err := a.verify(ctx, a.dummyHash, password); err != nil {
		return fmt.Errorf("refuse sign-in: %w", err)
	}
	return failed(reason)
}

func failed(reason string) *AuthError {
	return &AuthError{Reason: reason, api: apierr.AccessDenied(SignInFailedMessage)}
}
