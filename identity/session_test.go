package identity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

func TestRequiresMFA(t *testing.T) {
	d := DefaultSecurityProfiles()
	tests := []struct {
		name     string
		profiles []SecurityProfile
		want     bool
	}{
		{"admin", []SecurityProfile{{Permissions: d[0].Permissions}}, true},
		{"agent", []SecurityProfile{{Permissions: d[1].Permissions}}, false},
		{"manager", []SecurityProfile{{Permissions: d[2].Permissions}}, true},
		{"quality analyst (contact search)", []SecurityProfile{{Permissions: d[3].Permissions}}, true},
		{"none", nil, false},
		{"recordings only", []SecurityProfile{{Permissions: []string{"ListenCallRecordings"}}}, true},
		{"sensitive denied away", []SecurityProfile{{Permissions: []string{"BasicAgentAccess", "ContactSearch.View"}, DenyPermissions: []string{"ContactSearch.View"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RequiresMFA(tt.profiles); got != tt.want {
				t.Errorf("RequiresMFA = %v, want %v", got, tt.want)
			}
		})
	}
}

func newSessionFixture() (SessionManager, *fakeClock, *MemorySessionStore) {
	clock := newClock()
	store := &MemorySessionStore{}
	return SessionManager{Store: store, Now: clock.Now}, clock, store
}

var (
	agentUser    = User{ID: "u-1", InstanceID: "inst-a", Username: "agent1"}
	agentProfile = []SecurityProfile{{Permissions: []string{"BasicAgentAccess"}}}
	adminProfile = []SecurityProfile{{Permissions: []string{"Users.Create"}}}
)

func TestSessionStartAndCheck(t *testing.T) {
	m, clock, store := newSessionFixture()
	ctx := context.Background()
	tok, s, err := m.Start(ctx, agentUser, agentProfile, AuthenticationProfile{}, secret.Value[string]{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tok.Reveal()); n != 43 {
		t.Errorf("token length %d, want 43", n)
	}
	if s.IDHash != HashSessionToken(tok) || len(s.IDHash) != 64 || strings.Contains(s.IDHash, tok.Reveal()) {
		t.Error("stored ID is not the SHA-256 of the token")
	}
	for _, stored := range store.m {
		if stored.IDHash == tok.Reveal() {
			t.Error("store holds the clear token")
		}
	}
	if s.MFARequired || s.MFASatisfied || s.IdleTimeout != 30*time.Minute || s.AbsoluteTimeout != 12*time.Hour {
		t.Errorf("agent session = %+v", s)
	}
	clock.Advance(29 * time.Minute)
	if _, err := m.Check(ctx, tok); err != nil {
		t.Fatalf("after 29 idle minutes: %v", err)
	}
	clock.Advance(29 * time.Minute) // 58 minutes since start, 29 idle
	got, err := m.Check(ctx, tok)
	if err != nil {
		t.Fatalf("activity extends the idle deadline: %v", err)
	}
	if !got.LastSeen.Equal(clock.Now()) {
		t.Errorf("LastSeen = %v, want %v", got.LastSeen, clock.Now())
	}
	clock.Advance(30 * time.Minute)
	if _, err := m.Check(ctx, tok); !isSessionEnded(err) {
		t.Fatalf("after 30 idle minutes: got %v, want session ended", err)
	}
	if len(store.m) != 0 {
		t.Error("expired session not deleted")
	}
}

func isSessionEnded(err error) bool {
	e := apierr.As(err)
	return e != nil && e.Code == apierr.CodeAccessDenied && e.Message == SessionEndedMessage
}

func TestSessionTimeouts(t *testing.T) {
	tests := []struct {
		name     string
		profiles []SecurityProfile
		auth     AuthenticationProfile
		steps    []time.Duration // each followed by a Check
		wantEnd  int             // index of the step whose Check fails, -1 for none
	}{
		{"sensitive idle 15 min", adminProfile, AuthenticationProfile{}, []time.Duration{14 * time.Minute, 15 * time.Minute}, 1},
		{"absolute despite activity", agentProfile, AuthenticationProfile{SessionDuration: time.Hour}, []time.Duration{20 * time.Minute, 20 * time.Minute, 19 * time.Minute, time.Minute}, 3},
		{"periodic reauth", agentProfile, AuthenticationProfile{PeriodicReauthentication: 30 * time.Minute}, []time.Duration{20 * time.Minute, 10 * time.Minute}, 1},
		{"active agent all day", agentProfile, AuthenticationProfile{}, []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clock, _ := newSessionFixture()
			tok, _, err := m.Start(context.Background(), agentUser, tt.profiles, tt.auth, secret.Value[string]{})
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range tt.steps {
				clock.Advance(d)
				_, err := m.Check(context.Background(), tok)
				if wantEnded := i == tt.wantEnd; wantEnded != isSessionEnded(err) || (!wantEnded && err != nil) {
					t.Fatalf("step %d: got %v, want ended=%v", i, err, wantEnded)
				}
				if i == tt.wantEnd {
					return
				}
			}
		})
	}
}

func TestSessionRotationMFAAndRevocation(t *testing.T) {
	m, _, store := newSessionFixture()
	ctx := context.Background()
	old, _, _ := m.Start(ctx, agentUser, adminProfile, AuthenticationProfile{}, secret.Value[string]{})
	tok, s, err := m.Start(ctx, agentUser, adminProfile, AuthenticationProfile{}, old)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Reveal() == old.Reveal() {
		t.Fatal("sign-in kept the old token")
	}
	if _, err := m.Check(ctx, old); !isSessionEnded(err) {
		t.Errorf("old token after rotation: got %v, want session ended", err)
	}
	if !s.MFARequired || s.MFASatisfied || s.IdleTimeout != SensitiveIdleTimeout {
		t.Errorf("admin session = %+v, want MFA required, not satisfied, 15 min idle", s)
	}
	got, err := m.SatisfyMFA(ctx, tok)
	if err != nil || !got.MFASatisfied {
		t.Fatalf("SatisfyMFA = %+v, %v", got, err)
	}
	if got, _ := m.Check(ctx, tok); !got.MFASatisfied {
		t.Error("MFA flag lost on the next request")
	}
	// A second device, and another user's session.
	tok2, _, _ := m.Start(ctx, agentUser, adminProfile, AuthenticationProfile{}, secret.Value[string]{})
	other, _, _ := m.Start(ctx, User{ID: "u-2", InstanceID: "inst-a"}, agentProfile, AuthenticationProfile{}, secret.Value[string]{})
	n, err := m.EndAll(ctx, "inst-a", "u-1")
	if err != nil || n != 2 {
		t.Fatalf("EndAll = %d, %v; want 2", n, err)
	}
	for _, tk := range []secret.Value[string]{tok, tok2} {
		if _, err := m.Check(ctx, tk); !isSessionEnded(err) {
			t.Errorf("session after EndAll: got %v", err)
		}
	}
	if _, err := m.Check(ctx, other); err != nil {
		t.Errorf("other user's session ended: %v", err)
	}
	if err := m.End(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := m.End(ctx, other); err != nil {
		t.Errorf("ending twice: %v", err)
	}
	if len(store.m) != 0 {
		t.Errorf("%d sessions left", len(store.m))
	}
	for _, bad := range []string{"", "forged-token", strings.Repeat("A", 43)} {
		if _, err := m.Check(ctx, secret.New(bad)); !isSessionEnded(err) {
			t.Errorf("Check(%q): got %v", bad, err)
		}
		if _, err := m.SatisfyMFA(ctx, secret.New(bad)); !isSessionEnded(err) {
			t.Errorf("SatisfyMFA(%q): got %v", bad, err)
		}
	}
}

func BenchmarkSessionCheck(b *testing.B) {
	m, _, _ := newSessionFixture()
	tok, _, _ := m.Start(context.Background(), agentUser, agentProfile, AuthenticationProfile{}, secret.Value[string]{})
	for b.Loop() {
		if _, err := m.Check(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
