package sso_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/sso"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// useEmergencyToken opens the emergency form in b and submits token for instance ref.
func useEmergencyToken(t *testing.T, b *browser, ref string, token secret.Value[string]) *http.Response {
	t.Helper()
	res := b.get("/ui/emergency?instance=" + url.QueryEscape(ref))
	m := csrfField.FindStringSubmatch(body(t, res))
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("emergency form: status %d, no CSRF field", res.StatusCode)
	}
	return b.post("/ui/emergency", url.Values{"csrf": {m[1]}, "instance": {ref}, "token": {token.Reveal()}}, false)
}

// TestEmergencyAccess walks emergency access end to end: refused while disabled, a token
// minted on the host signs an administrator in once with the second factor counted and a
// session of at most an hour, a second use is refused, and every step is a high-severity
// audit event.
func TestEmergencyAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementSAML)
	ctx := context.Background()
	admin := f.createUser("breakglass", identity.ProfileAdmin)

	if _, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "breakglass"); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
		t.Fatalf("minting while disabled: %v, want InvalidRequestException", err)
	}
	if err := f.admin.SetEmergencyAccess(ctx, f.inst.ID, true); err != nil {
		t.Fatal(err)
	}
	token, rec, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "breakglass")
	if err != nil {
		t.Fatalf("IssueEmergencyToken: %v", err)
	}
	if !strings.HasPrefix(token.Reveal(), sso.EmergencyTokenPrefix) || len(token.Reveal()) != len(sso.EmergencyTokenPrefix)+43 {
		t.Errorf("token shape %d chars", len(token.Reveal()))
	}
	if rec.Hash != identity.HashEmergencyToken(token) || rec.UserID != admin.ID || rec.Expires.Sub(rec.Created) != sso.EmergencyTokenTTL {
		t.Errorf("token record = %+v", rec)
	}
	if strings.Contains(strings.Join(eventsText(f), "\n"), token.Reveal()) {
		t.Fatal("the token appears in the audit log")
	}

	b := f.browser()
	res := useEmergencyToken(t, b, f.inst.Alias, token)
	if page := body(t, res); res.StatusCode != http.StatusOK || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("first use: status %d\n%s", res.StatusCode, page)
	}
	got := f.sessions.all()
	want := sso.SessionOptions{Method: "emergency", MFASatisfied: true, MaxAge: time.Hour}
	if len(got) != 1 || got[0].User.ID != admin.ID || got[0].Opts != want {
		t.Fatalf("sessions = %+v, want one emergency session for %s with %+v", got, admin.ID, want)
	}

	res = useEmergencyToken(t, f.browser(), f.inst.Alias, token)
	if res.StatusCode != http.StatusForbidden || len(f.sessions.all()) != 1 {
		t.Fatalf("second use: status %d, sessions %d", res.StatusCode, len(f.sessions.all()))
	}

	evs := f.events("sso.emergency_login")
	if len(evs) != 2 {
		t.Fatalf("emergency login events = %d, want 2", len(evs))
	}
	if ev := evs[0]; ev.Severity != audit.SeverityHigh || ev.Outcome != audit.OutcomeSuccess || ev.Actor != "user:"+f.inst.ID+"/"+admin.ID {
		t.Errorf("accepted use event = %+v", ev)
	}
	if ev := evs[1]; ev.Severity != audit.SeverityHigh || ev.Outcome != audit.OutcomeFailure || ev.Details["reason"] != "unknown, used or expired token" {
		t.Errorf("refused use event = %+v", ev)
	}
	for _, code := range []string{"host.emergency_access_enable", "host.emergency_token_issue"} {
		if ev := f.lastEvent(code); ev.Severity != audit.SeverityHigh || ev.Actor != "host" {
			t.Errorf("%s event = %+v", code, ev)
		}
	}
}

// TestEmergencyRefusals checks expiry, switching off, another instance's token, the user
// rules at minting, the form's CSRF defences and that concurrent uses of one token succeed
// once.
func TestEmergencyRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementConnectManaged)
	ctx := context.Background()
	f.createUser("root", identity.ProfileAdmin)
	agent := f.createUser("agent", identity.ProfileAgent)
	if err := f.admin.SetEmergencyAccess(ctx, f.inst.ID, true); err != nil {
		t.Fatal(err)
	}
	mint := func() secret.Value[string] {
		t.Helper()
		tok, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "root")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	reason := func() string { return f.lastEvent("sso.emergency_login").Details["reason"] }

	t.Run("expired", func(t *testing.T) {
		tok := mint()
		f.clock.Advance(sso.EmergencyTokenTTL)
		if res := useEmergencyToken(t, f.browser(), f.inst.ID, tok); res.StatusCode != http.StatusForbidden || reason() != "unknown, used or expired token" {
			t.Errorf("status %d reason %q", res.StatusCode, reason())
		}
	})
	t.Run("disabled instance", func(t *testing.T) {
		tok := mint()
		if err := f.admin.SetEmergencyAccess(ctx, f.inst.ID, false); err != nil {
			t.Fatal(err)
		}
		if res := useEmergencyToken(t, f.browser(), f.inst.ID, tok); res.StatusCode != http.StatusForbidden || reason() != "emergency access is disabled for the instance" {
			t.Errorf("status %d reason %q", res.StatusCode, reason())
		}
		// Enabled again, the token minted before is gone.
		if err := f.admin.SetEmergencyAccess(ctx, f.inst.ID, true); err != nil {
			t.Fatal(err)
		}
		if res := useEmergencyToken(t, f.browser(), f.inst.ID, tok); res.StatusCode != http.StatusForbidden || reason() != "unknown, used or expired token" {
			t.Errorf("after re-enabling: status %d reason %q", res.StatusCode, reason())
		}
	})
	t.Run("another instance", func(t *testing.T) {
		other := f.createInstance("other-emergency", instance.IdentityManagementConnectManaged)
		if err := f.admin.SetEmergencyAccess(ctx, other.ID, true); err != nil {
			t.Fatal(err)
		}
		tok := mint()
		if res := useEmergencyToken(t, f.browser(), other.ID, tok); res.StatusCode != http.StatusForbidden || reason() != "unknown, used or expired token" {
			t.Errorf("status %d reason %q", res.StatusCode, reason())
		}
	})
	t.Run("malformed token", func(t *testing.T) {
		if res := useEmergencyToken(t, f.browser(), f.inst.ID, secret.New("not-a-token")); res.StatusCode != http.StatusForbidden || reason() != "malformed token" {
			t.Errorf("status %d reason %q", res.StatusCode, reason())
		}
	})
	t.Run("user rules at minting", func(t *testing.T) {
		if _, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "agent"); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
			t.Errorf("non-admin: %v, want InvalidRequestException", err)
		}
		if _, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "nobody"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			t.Errorf("unknown user: %v, want ResourceNotFoundException", err)
		}
		f.updateUser(agent.ID, func(u *identity.User) {
			u.SecurityProfileIDs = []string{f.profiles[identity.ProfileAdmin]}
			u.Disabled = true
		})
		if _, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "agent"); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
			t.Errorf("disabled admin: %v, want InvalidRequestException", err)
		}
	})
	t.Run("user disabled after minting", func(t *testing.T) {
		u := f.createUser("root2", identity.ProfileAdmin)
		tok, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "root2")
		if err != nil {
			t.Fatal(err)
		}
		f.updateUser(u.ID, func(u *identity.User) { u.Disabled = true })
		if res := useEmergencyToken(t, f.browser(), f.inst.ID, tok); res.StatusCode != http.StatusForbidden || reason() != "user disabled" {
			t.Errorf("status %d reason %q", res.StatusCode, reason())
		}
	})
	t.Run("csrf", func(t *testing.T) {
		tok := mint()
		b := f.browser()
		b.get("/ui/emergency")
		if res := b.post("/ui/emergency", url.Values{"csrf": {"wrong"}, "instance": {f.inst.ID}, "token": {tok.Reveal()}}, false); res.StatusCode != http.StatusForbidden || reason() != "missing or wrong form token" {
			t.Errorf("wrong form token: status %d reason %q", res.StatusCode, reason())
		}
		m := csrfField.FindStringSubmatch(body(t, b.get("/ui/emergency")))
		if res := b.post("/ui/emergency", url.Values{"csrf": {m[1]}, "instance": {f.inst.ID}, "token": {tok.Reveal()}}, true); res.StatusCode != http.StatusForbidden || reason() != "cross-origin request" {
			t.Errorf("cross-site post: status %d reason %q", res.StatusCode, reason())
		}
		// The token survived both refusals.
		if res := useEmergencyToken(t, b, f.inst.ID, tok); res.StatusCode != http.StatusOK {
			t.Errorf("token after refused attempts: status %d", res.StatusCode)
		}
	})
	t.Run("concurrent uses", func(t *testing.T) {
		tok := mint()
		before := len(f.sessions.all())
		type attempt struct {
			b    *browser
			csrf string
		}
		var attempts []attempt
		for range 8 {
			b := f.browser()
			m := csrfField.FindStringSubmatch(body(t, b.get("/ui/emergency")))
			attempts = append(attempts, attempt{b, m[1]})
		}
		var wg sync.WaitGroup
		for _, a := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.b.post("/ui/emergency", url.Values{"csrf": {a.csrf}, "instance": {f.inst.ID}, "token": {tok.Reveal()}}, false)
			}()
		}
		wg.Wait()
		if n := len(f.sessions.all()) - before; n != 1 {
			t.Errorf("concurrent uses started %d sessions, want 1", n)
		}
	})
}

// TestEmergencyRateLimit refuses attempts beyond the per-address limit.
func TestEmergencyRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementConnectManaged, func(c *sso.Config) {
		c.EmergencyLimiter = identity.NewIPRateLimiter(1, 2, time.Now)
	})
	b := f.browser()
	var last *http.Response
	for range 3 {
		last = useEmergencyToken(t, b, f.inst.ID, secret.New("rfe_x"))
	}
	if last.StatusCode != http.StatusTooManyRequests || f.lastEvent("sso.emergency_login").Details["reason"] != "too many attempts from this address" {
		t.Errorf("third attempt: status %d", last.StatusCode)
	}
}

// TestSessionFailureIsAudited: when the session cannot be started, the person gets the
// error page and the failure is its own audit event.
func TestSessionFailureIsAudited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementConnectManaged)
	ctx := context.Background()
	f.createUser("root", identity.ProfileAdmin)
	if err := f.admin.SetEmergencyAccess(ctx, f.inst.ID, true); err != nil {
		t.Fatal(err)
	}
	tok, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "root")
	if err != nil {
		t.Fatal(err)
	}
	f.sessions.fail = apierr.New(apierr.CodeInternalService, "session store down")
	if res := useEmergencyToken(t, f.browser(), f.inst.ID, tok); res.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", res.StatusCode)
	}
	if ev := f.lastEvent("sso.session_failed"); ev.Outcome != audit.OutcomeFailure || ev.Severity != audit.SeverityHigh {
		t.Errorf("session failure event = %+v", ev)
	}
}
