package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

// Session is a signed-in web session, held on the server. The client holds only the token
// (in a Secure, HttpOnly, SameSite=Strict cookie); the store holds its SHA-256, so a leaked
// database does not yield usable tokens.
type Session struct {
	// IDHash is the lower-case hex SHA-256 of the token (64 characters).
	IDHash     string
	InstanceID string
	UserID     string
	// Created and LastSeen are UTC.
	Created  time.Time
	LastSeen time.Time
	// MFARequired is decided at sign-in from the user's profiles (RequiresMFA).
	MFARequired bool
	// MFASatisfied is set on the server when the user passes TOTP or a recovery code in this
	// session; nothing the client sends can set it.
	MFASatisfied bool
	// AbsoluteTimeout and IdleTimeout are fixed at sign-in (AuthenticationProfile.Timeouts).
	AbsoluteTimeout time.Duration
	IdleTimeout     time.Duration
}

// ExpiresAt returns when s ends if no request comes: the earlier of the absolute and the idle
// deadline.
func (s Session) ExpiresAt() time.Time {
	abs := s.Created.Add(s.AbsoluteTimeout)
	idle := s.LastSeen.Add(s.IdleTimeout)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// SessionStore persists sessions by IDHash. Methods return ResourceNotFoundException for an
// unknown hash.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, idHash string) (Session, error)
	// TouchSession sets LastSeen. It changes no other field, so it cannot undo a concurrent
	// SatisfySessionMFA.
	TouchSession(ctx context.Context, idHash string, lastSeen time.Time) error
	// SatisfySessionMFA sets MFASatisfied.
	SatisfySessionMFA(ctx context.Context, idHash string) error
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteUserSessions deletes every session of the user and returns how many there were.
	DeleteUserSessions(ctx context.Context, instanceID, userID string) (int, error)
}

// SessionLister lists the sessions of a user (the account page's session list).
type SessionLister interface {
	// ListUserSessions returns the user's stored sessions, newest first, expired ones
	// included until they are next checked; none is an empty list.
	ListUserSessions(ctx context.Context, instanceID, userID string) ([]Session, error)
}

// SessionEndedMessage is the message of every refused session token.
const SessionEndedMessage = "Your session has ended. Sign in again."

// RequiresMFA reports whether a user with these security profiles must pass MFA: when any
// effective permission (allows minus denies) is administrative or reaches sensitive data
// (SECURITY.md "Access"; PermissionInfo).
func RequiresMFA(profiles []SecurityProfile) bool {
	perms := EffectivePermissions(profiles)
	return IsAdminPermissionSet(perms) || IsSensitivePermissionSet(perms)
}

// SessionManager starts, checks and ends sessions.
type SessionManager struct {
	Store SessionStore
	// Now is the clock (nil means time.Now); Rand the token source (nil means crypto/rand).
	Now  func() time.Time
	Rand io.Reader
}

func (m SessionManager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// HashSessionToken returns the lower-case hex SHA-256 of a session token.
func HashSessionToken(token secret.Value[string]) string {
	sum := sha256.Sum256([]byte(token.Reveal()))
	return hex.EncodeToString(sum[:])
}

// Start begins a session for u after a successful sign-in and returns its token (256 random
// bits, 43 characters of unpadded base64url) and the stored session. If previous is a token
// the client still holds, that session is deleted first, so the ID always changes at sign-in
// (no session fixation). The timeouts come from auth: the idle limit is at most 15 minutes
// when the user's profiles require MFA.
func (m SessionManager) Start(ctx context.Context, u User, profiles []SecurityProfile, auth AuthenticationProfile, previous secret.Value[string]) (secret.Value[string], Session, error) {
	if previous.Reveal() != "" {
		err := m.Store.DeleteSession(ctx, HashSessionToken(previous))
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return secret.Value[string]{}, Session{}, fmt.Errorf("start session: delete previous: %w", err)
		}
	}
	r := m.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return secret.Value[string]{}, Session{}, fmt.Errorf("start session: random: %w", err)
	}
	token := secret.New(base64.RawURLEncoding.EncodeToString(b))
	mfa := RequiresMFA(profiles)
	abs, idle := auth.Timeouts(mfa)
	now := m.now()
	s := Session{
		IDHash: HashSessionToken(token), InstanceID: u.InstanceID, UserID: u.ID,
		Created: now, LastSeen: now, MFARequired: mfa, AbsoluteTimeout: abs, IdleTimeout: idle,
	}
	if err := m.Store.CreateSession(ctx, s); err != nil {
		return secret.Value[string]{}, Session{}, fmt.Errorf("start session: %w", err)
	}
	return token, s, nil
}

// Check looks the token up and returns its session with LastSeen moved to now. A missing,
// idle-expired or absolutely expired session (the latter two are deleted) gets
// AccessDeniedException with SessionEndedMessage. Callers then require MFASatisfied for
// anything beyond the MFA page when MFARequired is set.
func (m SessionManager) Check(ctx context.Context, token secret.Value[string]) (Session, error) {
	if token.Reveal() == "" {
		return Session{}, apierr.AccessDenied(SessionEndedMessage)
	}
	h := HashSessionToken(token)
	s, err := m.Store.GetSession(ctx, h)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return Session{}, apierr.AccessDenied(SessionEndedMessage)
	}
	if err != nil {
		return Session{}, fmt.Errorf("check session: %w", err)
	}
	now := m.now()
	if !now.Before(s.ExpiresAt()) {
		if err := m.Store.DeleteSession(ctx, h); err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return Session{}, fmt.Errorf("check session: delete expired: %w", err)
		}
		return Session{}, apierr.AccessDenied(SessionEndedMessage)
	}
	s.LastSeen = now
	if err := m.Store.TouchSession(ctx, h, now); err != nil {
		return Session{}, fmt.Errorf("check session: %w", err)
	}
	return s, nil
}

// Peek checks the token like Check but does not move LastSeen: for re-checking a session on
// behalf of a long-lived connection (an events WebSocket), which is not activity of the
// person, so the idle timeout still ends the session.
func (m SessionManager) Peek(ctx context.Context, token secret.Value[string]) (Session, error) {
	if token.Reveal() == "" {
		return Session{}, apierr.AccessDenied(SessionEndedMessage)
	}
	s, err := m.Store.GetSession(ctx, HashSessionToken(token))
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return Session{}, apierr.AccessDenied(SessionEndedMessage)
	}
	if err != nil {
		return Session{}, fmt.Errorf("peek session: %w", err)
	}
	if !m.now().Before(s.ExpiresAt()) {
		return Session{}, apierr.AccessDenied(SessionEndedMessage)
	}
	return s, nil
}

// SatisfyMFA marks the token's session as having passed MFA; call it only after
// TOTPVerifier.Verify or UseRecoveryCode succeeded for the session's user. It checks the
// session like Check.
func (m SessionManager) SatisfyMFA(ctx context.Context, token secret.Value[string]) (Session, error) {
	s, err := m.Check(ctx, token)
	if err != nil {
		return Session{}, err
	}
	s.MFASatisfied = true
	if err := m.Store.SatisfySessionMFA(ctx, s.IDHash); err != nil {
		return Session{}, fmt.Errorf("satisfy mfa: %w", err)
	}
	return s, nil
}

// End deletes the token's session (logout). Ending an unknown session is not an error.
func (m SessionManager) End(ctx context.Context, token secret.Value[string]) error {
	err := m.Store.DeleteSession(ctx, HashSessionToken(token))
	if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndAll deletes every session of the user at once: on logout everywhere, when the user is
// disabled or deleted, or when its password or security profiles change. It returns how many
// sessions ended.
func (m SessionManager) EndAll(ctx context.Context, instanceID, userID string) (int, error) {
	n, err := m.Store.DeleteUserSessions(ctx, instanceID, userID)
	if err != nil {
		return 0, fmt.Errorf("end sessions of user: %w", err)
	}
	return n, nil
}

// MemorySessionStore is a SessionStore in memory, safe for concurrent use (tests and
// single-node deployments without persistence).
type MemorySessionStore struct {
	mu sync.Mutex
	m  map[string]Session
}

// CreateSession implements SessionStore.
func (s *MemorySessionStore) CreateSession(_ context.Context, sess Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]Session)
	}
	if _, dup := s.m[sess.IDHash]; dup {
		return apierr.New(apierr.CodeDuplicateResource, "session already exists")
	}
	s.m[sess.IDHash] = sess
	return nil
}

// GetSession implements SessionStore.
func (s *MemorySessionStore) GetSession(_ context.Context, idHash string) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[idHash]
	if !ok {
		return Session{}, apierr.NotFound("session", "(hash)")
	}
	return sess, nil
}

// TouchSession implements SessionStore.
func (s *MemorySessionStore) TouchSession(_ context.Context, idHash string, lastSeen time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[idHash]
	if !ok {
		return apierr.NotFound("session", "(hash)")
	}
	sess.LastSeen = lastSeen
	s.m[idHash] = sess
	return nil
}

// SatisfySessionMFA implements SessionStore.
func (s *MemorySessionStore) SatisfySessionMFA(_ context.Context, idHash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[idHash]
	if !ok {
		return apierr.NotFound("session", "(hash)")
	}
	sess.MFASatisfied = true
	s.m[idHash] = sess
	return nil
}

// DeleteSession implements SessionStore.
func (s *MemorySessionStore) DeleteSession(_ context.Context, idHash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[idHash]; !ok {
		return apierr.NotFound("session", "(hash)")
	}
	delete(s.m, idHash)
	return nil
}

// DeleteUserSessions implements SessionStore.
func (s *MemorySessionStore) DeleteUserSessions(_ context.Context, instanceID, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, sess := range s.m {
		if sess.InstanceID == instanceID && sess.UserID == userID {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}
