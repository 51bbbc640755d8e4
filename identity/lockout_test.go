package identity

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type memUsers struct{ users []User }

func (m memUsers) GetUser(_ context.Context, inst, id string) (User, error) {
	for _, u := range m.users {
		if u.InstanceID == inst && u.ID == id {
			return u, nil
		}
	}
	return User{}, apierr.NotFound("user", id)
}

func (m memUsers) GetUserByUsername(_ context.Context, inst, name string) (User, error) {
	for _, u := range m.users {
		if u.InstanceID == inst && NormalizeUsername(u.Username) == NormalizeUsername(name) {
			return u, nil
		}
	}
	return User{}, apierr.NotFound("user", name)
}

type memCreds struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *memCreds) GetPasswordHash(_ context.Context, inst, id string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[inst+"/"+id]
	if !ok {
		return "", apierr.NotFound("password", id)
	}
	return h, nil
}

func (c *memCreds) SetPasswordHash(_ context.Context, inst, id, h string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[inst+"/"+id] = h
	return nil
}

const goodPassword = "tulip river granite"

type authFixture struct {
	a        *Authenticator
	clock    *fakeClock
	creds    *memCreds
	verifies atomic.Int64
}

func newAuthFixture(t *testing.T, limiter *IPRateLimiter) *authFixture {
	t.Helper()
	h := fastHasher()
	hash, err := h.HashPassword(context.Background(), secret.New(goodPassword))
	if err != nil {
		t.Fatal(err)
	}
	f := &authFixture{clock: newClock(), creds: &memCreds{m: map[string]string{"inst-a/u-1": hash, "inst-a/u-2": hash}}}
	users := memUsers{users: []User{
		{ID: "u-1", InstanceID: "inst-a", Username: "jdoe"},
		{ID: "u-2", InstanceID: "inst-a", Username: "gone", Disabled: true},
		{ID: "u-3", InstanceID: "inst-a", Username: "nopass"},
	}}
	a, err := NewAuthenticator(AuthenticatorConfig{
		Users: users, Credentials: f.creds, Attempts: &MemoryAttemptStore{}, IPLimiter: limiter,
		Hasher: &h, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	inner := a.verify
	a.verify = func(ctx context.Context, enc string, pw secret.Value[string]) (bool, bool, error) {
		f.verifies.Add(1)
		return inner(ctx, enc, pw)
	}
	f.a = a
	return f
}

var clientIP = netip.MustParseAddr("198.51.100.7")

func TestAuthenticateUniformFailures(t *testing.T) {
	f := newAuthFixture(t, nil)
	tests := []struct {
		name, user, pw, wantReason string
	}{
		{"unknown user", "nobody", goodPassword, "unknown user"},
		{"wrong password", "jdoe", "wrong wrong wrong", "wrong password"},
		{"disabled", "gone", goodPassword, "disabled"},
		{"no password", "nopass", goodPassword, "no password"},
		{"other instance", "jdoe", goodPassword, "unknown user"},
	}
	var firstMsg string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := "inst-a"
			if tt.name == "other instance" {
				inst = "inst-b"
			}
			before := f.verifies.Load()
			_, err := f.a.Authenticate(context.Background(), inst, tt.user, secret.New(tt.pw), clientIP)
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Reason != tt.wantReason {
				t.Fatalf("got %v, want AuthError %q", err, tt.wantReason)
			}
			e := apierr.As(err)
			if e == nil || e.Code != apierr.CodeAccessDenied || e.Message != SignInFailedMessage {
				t.Fatalf("got %v, want AccessDenied with the generic message", err)
			}
			if firstMsg == "" {
				firstMsg = err.Error()
			} else if err.Error() != firstMsg {
				t.Errorf("error text %q differs from %q", err.Error(), firstMsg)
			}
			if got := f.verifies.Load() - before; got != 1 {
				t.Errorf("ran %d password verifications, want exactly 1", got)
			}
		})
	}
	u, err := f.a.Authenticate(context.Background(), "inst-a", "JDoe", secret.New(goodPassword), clientIP)
	if err != nil || u.ID != "u-1" {
		t.Fatalf("right password: got %v, %v", u.ID, err)
	}
}

// TestRefuseLooksLikeAFailedPassword: a sign-in refused before the password (the user's
// authentication profile refuses the network) costs one argon2id run and answers the error a
// wrong password gets, is rate limited per address, and does not count toward the lockout.
func TestRefuseLooksLikeAFailedPassword(t *testing.T) {
	clock := newClock()
	f := newAuthFixture(t, NewIPRateLimiter(6, 20, clock.Now))
	ctx := context.Background()
	_, wrong := f.a.Authenticate(ctx, "inst-a", "nobody", secret.New(goodPassword), clientIP)
	for range DefaultMaxFailures + 2 {
		before := f.verifies.Load()
		err := f.a.Refuse(ctx, secret.New(goodPassword), clientIP, "network denied")
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Reason != "network denied" || err.Error() != wrong.Error() {
			t.Fatalf("Refuse = %v, want the error of a failed password (%v) with the reason", err, wrong)
		}
		if got := f.verifies.Load() - before; got != 1 {
			t.Errorf("Refuse ran %d verifications, want 1", got)
		}
	}
	if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
		t.Errorf("the right password after refusals: %v (refusals must not lock the user)", err)
	}
	lim := NewIPRateLimiter(6, 1, clock.Now)
	g := newAuthFixture(t, lim)
	_ = g.a.Refuse(ctx, secret.New(goodPassword), clientIP, "network denied")
	if err := g.a.Refuse(ctx, secret.New(goodPassword), clientIP, "network denied"); !apierr.HasCode(err, apierr.CodeThrottling) {
		t.Errorf("second refusal over the rate: %v, want ThrottlingException", err)
	}
}

func TestAuthenticateLockout(t *testing.T) {
	f := newAuthFixture(t, nil)
	ctx := context.Background()
	for i := range 10 {
		if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New("bad password!"), clientIP); err == nil {
			t.Fatalf("attempt %d: wrong password accepted", i+1)
		}
	}
	var ae *AuthError
	_, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP)
	if !errors.As(err, &ae) || ae.Reason != "locked" {
		t.Fatalf("11th attempt with the right password: got %v, want locked", err)
	}
	f.clock.Advance(29 * time.Minute)
	if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP); !errors.As(err, &ae) || ae.Reason != "locked" {
		t.Fatalf("after 29 minutes: got %v, want locked", err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
		t.Fatalf("after 30 minutes: got %v, want success", err)
	}
	// Success cleared the count: nine more failures do not lock.
	for range 9 {
		_, _ = f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New("bad password!"), clientIP)
	}
	if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
		t.Fatalf("after 9 failures: got %v, want success", err)
	}
}

// 50 parallel wrong passwords: at most 10 are really checked, the rest are refused as locked,
// and the right password is refused afterwards (SECURITY.md bad input 5).
func TestAuthenticateParallelAttemptsCannotExceedLimit(t *testing.T) {
	f := newAuthFixture(t, nil)
	var wg sync.WaitGroup
	var wrong, locked atomic.Int64
	for range 50 {
		wg.Go(func() {
			_, err := f.a.Authenticate(context.Background(), "inst-a", "jdoe", secret.New("bad password!"), clientIP)
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Errorf("got %v, want AuthError", err)
				return
			}
			switch ae.Reason {
			case "wrong password":
				wrong.Add(1)
			case "locked":
				locked.Add(1)
			}
		})
	}
	wg.Wait()
	if wrong.Load() != 10 || locked.Load() != 40 {
		t.Errorf("got %d checked and %d locked, want 10 and 40", wrong.Load(), locked.Load())
	}
	if got := f.verifies.Load(); got != 50 {
		t.Errorf("ran %d verifications, want 50 (one per attempt, dummy for locked)", got)
	}
	if _, err := f.a.Authenticate(context.Background(), "inst-a", "jdoe", secret.New(goodPassword), clientIP); err == nil {
		t.Error("right password accepted while locked")
	}
}

func TestAuthenticateRehashes(t *testing.T) {
	f := newAuthFixture(t, nil)
	f.a.hasher.Params.Iterations = 2 // stronger than the stored t=1
	if _, err := f.a.Authenticate(context.Background(), "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
		t.Fatal(err)
	}
	h, _ := f.creds.GetPasswordHash(context.Background(), "inst-a", "u-1")
	if p, _, _, err := parsePHC(h); err != nil || p.Iterations != 2 {
		t.Errorf("stored hash %q not rehashed with t=2", h)
	}
}

func TestAuthenticateIPRateLimit(t *testing.T) {
	clock := newClock()
	lim := NewIPRateLimiter(6, 3, clock.Now) // 6 per minute, burst 3
	f := newAuthFixture(t, lim)
	ctx := context.Background()
	for i := range 3 {
		if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	_, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP)
	if !apierr.HasCode(err, apierr.CodeThrottling) {
		t.Fatalf("4th attempt: got %v, want ThrottlingException", err)
	}
	if got := f.verifies.Load(); got != 3 {
		t.Errorf("verifications = %d, want 3 (throttled attempts cost nothing)", got)
	}
	if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), netip.MustParseAddr("203.0.113.9")); err != nil {
		t.Errorf("other address: %v", err)
	}
	clock.Advance(10 * time.Second)
	if _, err := f.a.Authenticate(ctx, "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
		t.Errorf("after refill: %v", err)
	}
}

func TestIPRateLimiterKeys(t *testing.T) {
	clock := newClock()
	tests := []struct {
		name   string
		a, b   string
		shared bool
	}{
		{"same /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"other /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"mapped v4", "192.0.2.1", "::ffff:192.0.2.1", true},
		{"v4 neighbours", "192.0.2.1", "192.0.2.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewIPRateLimiter(1, 1, clock.Now)
			if !l.Allow(netip.MustParseAddr(tt.a)) {
				t.Fatal("first attempt refused")
			}
			if got := l.Allow(netip.MustParseAddr(tt.b)); got == tt.shared {
				t.Errorf("second address allowed = %v, want %v", got, !tt.shared)
			}
		})
	}
}

func TestMemoryAttemptStoreBounded(t *testing.T) {
	s := &MemoryAttemptStore{MaxKeys: 2}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		if ok, _, _ := s.ReserveAttempt(ctx, k, now, 10, DefaultLockout); !ok {
			t.Fatalf("%s refused", k)
		}
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "c", now, 10, DefaultLockout); ok {
		t.Error("third key accepted while the store is full of fresh keys")
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "c", now.Add(time.Hour), 10, DefaultLockout); !ok {
		t.Error("third key refused after the old keys went stale")
	}
}

func BenchmarkAuthenticateDefaultParams(b *testing.B) {
	h := NewPasswordHasher()
	hash, _ := h.HashPassword(context.Background(), secret.New(goodPassword))
	a, err := NewAuthenticator(AuthenticatorConfig{
		Users:       memUsers{users: []User{{ID: "u-1", InstanceID: "inst-a", Username: "jdoe"}}},
		Credentials: &memCreds{m: map[string]string{"inst-a/u-1": hash}},
		Attempts:    &MemoryAttemptStore{},
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := a.Authenticate(context.Background(), "inst-a", "jdoe", secret.New(goodPassword), clientIP); err != nil {
			b.Fatal(err)
		}
	}
}

// The unknown-user and wrong-password paths each cost one argon2id run with default
// parameters; compare their ns/op (SECURITY.md: timing within noise).
func benchmarkAuthenticateFailure(b *testing.B, username, password string) {
	h := NewPasswordHasher()
	hash, _ := h.HashPassword(context.Background(), secret.New(goodPassword))
	a, err := NewAuthenticator(AuthenticatorConfig{
		Users:       memUsers{users: []User{{ID: "u-1", InstanceID: "inst-a", Username: "jdoe"}}},
		Credentials: &memCreds{m: map[string]string{"inst-a/u-1": hash}},
		Attempts:    &MemoryAttemptStore{},
		MaxFailures: 1 << 30,
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := a.Authenticate(context.Background(), "inst-a", username, secret.New(password), clientIP); err == nil {
			b.Fatal("sign-in succeeded")
		}
	}
}

func BenchmarkAuthenticateUnknownUser(b *testing.B) {
	benchmarkAuthenticateFailure(b, "nobody", goodPassword)
}

func BenchmarkAuthenticateWrongPassword(b *testing.B) {
	benchmarkAuthenticateFailure(b, "jdoe", "wrong password!")
}
