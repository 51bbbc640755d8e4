package web

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
)

// In-memory stores for the tests: the node wires SQL-backed ones.

type memInstances struct{ list []instance.Instance }

func (m *memInstances) LookupInstance(_ context.Context, ref string) (instance.Instance, error) {
	for _, in := range m.list {
		if in.ID == ref || in.Alias == ref {
			return in, nil
		}
	}
	return instance.Instance{}, apierr.NotFound("instance", ref)
}

type memUsers struct {
	mu    sync.Mutex
	users []identity.User
}

func (m *memUsers) GetUser(_ context.Context, inst, id string) (identity.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.InstanceID == inst && u.ID == id {
			return u, nil
		}
	}
	return identity.User{}, apierr.NotFound("user", id)
}

func (m *memUsers) GetUserByUsername(_ context.Context, inst, name string) (identity.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.InstanceID == inst && identity.NormalizeUsername(u.Username) == identity.NormalizeUsername(name) {
			return u, nil
		}
	}
	return identity.User{}, apierr.NotFound("user", name)
}

func (m *memUsers) setDisabled(id string, disabled bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.users {
		if m.users[i].ID == id {
			m.users[i].Disabled = disabled
		}
	}
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

// memSessions is a SessionStore that can also list a user's sessions.
type memSessions struct {
	mu sync.Mutex
	m  map[string]identity.Session
}

func (s *memSessions) CreateSession(_ context.Context, sess identity.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]identity.Session{}
	}
	if _, dup := s.m[sess.IDHash]; dup {
		return apierr.New(apierr.CodeDuplicateResource, "session already exists")
	}
	s.m[sess.IDHash] = sess
	return nil
}

func (s *memSessions) GetSession(_ context.Context, h string) (identity.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[h]
	if !ok {
		return identity.Session{}, apierr.NotFound("session", "(hash)")
	}
	return sess, nil
}

func (s *memSessions) TouchSession(_ context.Context, h string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[h]
	if !ok {
		return apierr.NotFound("session", "(hash)")
	}
	sess.LastSeen = t
	s.m[h] = sess
	return nil
}

func (s *memSessions) SatisfySessionMFA(_ context.Context, h string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[h]
	if !ok {
		return apierr.NotFound("session", "(hash)")
	}
	sess.MFASatisfied = true
	s.m[h] = sess
	return nil
}

func (s *memSessions) DeleteSession(_ context.Context, h string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok {
		return apierr.NotFound("session", "(hash)")
	}
	delete(s.m, h)
	return nil
}

func (s *memSessions) DeleteUserSessions(_ context.Context, inst, user string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, sess := range s.m {
		if sess.InstanceID == inst && sess.UserID == user {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}

func (s *memSessions) ListUserSessions(_ context.Context, inst, user string) ([]identity.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []identity.Session
	for _, sess := range s.m {
		if sess.InstanceID == inst && sess.UserID == user {
			out = append(out, sess)
		}
	}
	slices.SortFunc(out, func(a, b identity.Session) int { return b.Created.Compare(a.Created) })
	return out, nil
}

func (s *memSessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

type memProfiles struct {
	byUser map[string][]identity.SecurityProfile
}

func (m memProfiles) SecurityProfilesFor(_ context.Context, inst, user string) ([]identity.SecurityProfile, error) {
	return m.byUser[inst+"/"+user], nil
}

// memAuthProfiles holds an instance's default profile (key: instance ID) and users' own
// profiles (key: instance ID "/" user ID).
type memAuthProfiles struct {
	mu    sync.Mutex
	m     map[string]identity.AuthenticationProfile
	users *memUsers
}

func (m *memAuthProfiles) AuthenticationProfileFor(_ context.Context, inst, user string) (identity.AuthenticationProfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.m[inst+"/"+user]; ok && user != "" {
		return p, nil
	}
	p := m.m[inst]
	p.Default = true
	return p, nil
}

func (m *memAuthProfiles) SignInAuthenticationProfile(ctx context.Context, inst, username string) (identity.AuthenticationProfile, bool, error) {
	var id string
	if m.users != nil {
		if u, err := m.users.GetUserByUsername(ctx, inst, username); err == nil {
			id = u.ID
		}
	}
	p, err := m.AuthenticationProfileFor(ctx, inst, id)
	return p, !p.Default, err
}

// set sets the profile of key: an instance ID (its default) or instance ID "/" user ID.
func (m *memAuthProfiles) set(key string, p identity.AuthenticationProfile) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = p
}

type memMFA struct {
	identity.MemoryMFAStore
	mu      sync.Mutex
	secrets map[string]TOTPSecret
}

func (m *memMFA) GetTOTPSecret(_ context.Context, inst, user string) (TOTPSecret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[inst+"/"+user]
	if !ok {
		return TOTPSecret{}, apierr.NotFound("totp secret", user)
	}
	return s, nil
}

func (m *memMFA) PutTOTPSecret(_ context.Context, inst, user string, s TOTPSecret) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.secrets == nil {
		m.secrets = map[string]TOTPSecret{}
	}
	m.secrets[inst+"/"+user] = s
	return nil
}

func (m *memMFA) SetRecoveryCodes(_ context.Context, inst, user string, hashes []string) error {
	m.MemoryMFAStore.SetRecoveryCodes(inst, user, hashes)
	return nil
}

type memPasskeys struct {
	mu sync.Mutex
	m  map[string][]Passkey
}

func (m *memPasskeys) ListPasskeys(_ context.Context, inst, user string) ([]Passkey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.m[inst+"/"+user]), nil
}

func (m *memPasskeys) AddPasskey(_ context.Context, inst, user string, p Passkey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string][]Passkey{}
	}
	k := inst + "/" + user
	for _, q := range m.m[k] {
		if bytes.Equal(q.ID, p.ID) {
			return apierr.New(apierr.CodeDuplicateResource, "passkey exists")
		}
	}
	m.m[k] = append(m.m[k], p)
	return nil
}

func (m *memPasskeys) UpdatePasskeyUse(_ context.Context, inst, user string, id, cred []byte, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, q := range m.m[inst+"/"+user] {
		if bytes.Equal(q.ID, id) {
			m.m[inst+"/"+user][i].Credential, m.m[inst+"/"+user][i].LastUsed = cred, t
			return nil
		}
	}
	return apierr.NotFound("passkey", "(id)")
}

func (m *memPasskeys) DeletePasskey(_ context.Context, inst, user string, id []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := inst + "/" + user
	for i, q := range m.m[k] {
		if bytes.Equal(q.ID, id) {
			m.m[k] = slices.Delete(m.m[k], i, i+1)
			return nil
		}
	}
	return apierr.NotFound("passkey", "(id)")
}

type memAudit struct {
	mu     sync.Mutex
	events []audit.Event
	fail   bool
}

func (a *memAudit) Record(_ context.Context, ev *audit.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return apierr.New(apierr.CodeServiceUnavailable, "audit sink unavailable")
	}
	a.events = append(a.events, *ev)
	return nil
}

func (a *memAudit) setFail(f bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fail = f
}

// find returns the recorded events with the code.
func (a *memAudit) find(code string) []audit.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Event
	for _, e := range a.events {
		if e.Code == code {
			out = append(out, e)
		}
	}
	return out
}
