package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
)

// request builds a request as the client's browser would send it (cookies, remote address,
// same-origin headers on unsafe methods), for the exported session functions.
func (c *client) request(method, path string, hdr http.Header) *http.Request {
	r := httptest.NewRequest(method, testOrigin+path, nil)
	r.RemoteAddr = c.remote
	if method != http.MethodGet {
		r.Header.Set("Origin", testOrigin)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, vs := range hdr {
		r.Header.Del(k)
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range c.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return r
}

// store applies the cookies of a recorded answer to the client.
func (c *client) store(w *httptest.ResponseRecorder) {
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
}

func wantDenied(t *testing.T, err error, msg string) {
	t.Helper()
	ae := apierr.As(err)
	if ae == nil || ae.Code != apierr.CodeAccessDenied || ae.Message != msg {
		t.Fatalf("error = %v, want AccessDeniedException %q", err, msg)
	}
}

// TestSessionUser: the exported session check applies what the pages apply: session,
// CSRF token on unsafe methods, second factor, disabled users, network rules.
func TestSessionUser(t *testing.T) {
	f := newFixture(t)
	anon := f.client(t)
	_, _, err := f.h.SessionUser(anon.request(http.MethodGet, "/agent/v1/me", nil))
	wantDenied(t, err, identity.SessionEndedMessage)

	agent := f.client(t)
	wantRedirect(t, agent.login("agent", testPassword), "/ui/")
	sess, u, err := f.h.SessionUser(agent.request(http.MethodGet, "/agent/v1/me", nil))
	if err != nil || u.ID != agentID || sess.UserID != agentID || sess.InstanceID != testInstanceID {
		t.Fatalf("SessionUser = %+v, %+v, %v", sess, u, err)
	}
	// Unsafe methods need the session's CSRF token in the header.
	_, _, err = f.h.SessionUser(agent.request(http.MethodPost, "/agent/v1/status", nil))
	wantDenied(t, err, csrfMessage)
	_, _, err = f.h.SessionUser(agent.request(http.MethodPost, "/agent/v1/status", http.Header{csrfHeader: {"wrong"}}))
	wantDenied(t, err, csrfMessage)
	tok := agent.csrf("/ui/")
	if _, _, err := f.h.SessionUser(agent.request(http.MethodPost, "/agent/v1/status", http.Header{csrfHeader: {tok}})); err != nil {
		t.Fatalf("POST with the CSRF token: %v", err)
	}
	_, _, err = f.h.SessionUser(agent.request(http.MethodPost, "/agent/v1/status", http.Header{csrfHeader: {tok}, "Sec-Fetch-Site": {"cross-site"}}))
	wantDenied(t, err, csrfMessage)

	// An administrator owes the second factor until enrolled.
	admin := f.client(t)
	wantRedirect(t, admin.login("admin", testPassword), "/ui/mfa/enrol")
	_, _, err = f.h.SessionUser(admin.request(http.MethodGet, "/agent/v1/me", nil))
	wantDenied(t, err, MFAPendingMessage)
	admin2 := f.client(t)
	f.enrolAdmin(t, admin2)
	if _, u, err := f.h.SessionUser(admin2.request(http.MethodGet, "/agent/v1/me", nil)); err != nil || u.ID != adminID {
		t.Fatalf("administrator after the second factor: %+v, %v", u, err)
	}

	// A blocked network ends the session, audited.
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{BlockedIPs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}})
	_, _, err = f.h.SessionUser(admin2.request(http.MethodGet, "/agent/v1/me", nil))
	wantDenied(t, err, identity.NetworkDeniedMessage)
	if evs := f.audit.find("web.network_denied"); len(evs) != 1 || evs[0].Actor != userActor(testInstanceID, adminID) {
		t.Errorf("network-denied events %+v", evs)
	}
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{})
	_, _, err = f.h.SessionUser(admin2.request(http.MethodGet, "/agent/v1/me", nil))
	wantDenied(t, err, identity.SessionEndedMessage)

	// A disabled user's session ends.
	f.users.setDisabled(agentID, true)
	_, _, err = f.h.SessionUser(agent.request(http.MethodGet, "/agent/v1/me", nil))
	wantDenied(t, err, identity.SessionEndedMessage)
	f.users.setDisabled(agentID, false)
	_, _, err = f.h.SessionUser(agent.request(http.MethodGet, "/agent/v1/me", nil))
	wantDenied(t, err, identity.SessionEndedMessage)
}

// TestRecheckSessionIsNotActivity: SessionUser restarts the idle timeout, RecheckSession does
// not, so a connection that only re-checks loses its sign-in when the person is idle.
func TestRecheckSessionIsNotActivity(t *testing.T) {
	f := newFixture(t)
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{IdleTimeout: 30 * time.Minute})
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	opening := c.request(http.MethodGet, "/agent/v1/events", nil)
	f.clock.Advance(20 * time.Minute)
	if _, _, err := f.h.RecheckSession(opening); err != nil {
		t.Fatalf("recheck after 20 idle minutes: %v", err)
	}
	f.clock.Advance(11 * time.Minute)
	_, _, err := f.h.RecheckSession(opening)
	wantDenied(t, err, identity.SessionEndedMessage)

	c2 := f.client(t)
	wantRedirect(t, c2.login("agent", testPassword), "/ui/")
	f.clock.Advance(20 * time.Minute)
	if _, _, err := f.h.SessionUser(c2.request(http.MethodGet, "/agent/v1/me", nil)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(20 * time.Minute)
	if _, _, err := f.h.RecheckSession(c2.request(http.MethodGet, "/agent/v1/events", nil)); err != nil {
		t.Errorf("recheck 20 minutes after activity: %v", err)
	}
}

// TestStartSession: another sign-in method starts a session exactly like a password sign-in
// does: new session ID, cookie, audit event naming the method, second factor as told,
// network rules, disabled users, fail-closed audit, a shorter lifetime when asked.
func TestStartSession(t *testing.T) {
	f := newFixture(t)
	agentUser, _ := f.users.GetUser(t.Context(), testInstanceID, agentID)
	adminUser, _ := f.users.GetUser(t.Context(), testInstanceID, adminID)
	start := func(c *client, u identity.User, opts SessionOptions) error {
		w := httptest.NewRecorder()
		err := f.h.StartSession(w, c.request(http.MethodGet, "/ui/sso/callback", nil), u, opts)
		if err == nil {
			c.store(w)
		} else if len(w.Result().Cookies()) != 0 || w.Body.Len() != 0 {
			t.Errorf("StartSession wrote an answer on error %v", err)
		}
		return err
	}

	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	before := c.cookies[SessionCookie]
	if err := start(c, agentUser, SessionOptions{Method: "oidc"}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if after := c.cookies[SessionCookie]; after == "" || after == before || f.sessions.count() != 1 {
		t.Fatalf("session not replaced: before %q after %q, %d stored", before, after, f.sessions.count())
	}
	if res := c.get("/ui/"); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /ui/ with the new session: status %d", res.StatusCode)
	}
	evs := f.audit.find("web.login")
	if last := evs[len(evs)-1]; last.Outcome != audit.OutcomeSuccess || last.Details["method"] != "oidc" ||
		last.Details["mfa_required"] != "false" || last.Actor != userActor(testInstanceID, agentID) || last.SourceIP != "198.51.100.7" {
		t.Errorf("event %+v", last)
	}
	if evs[0].Details["method"] != "password" {
		t.Errorf("password sign-in event method %q", evs[0].Details["method"])
	}

	// An administrator: the second factor is still owed unless the method verified one.
	a := f.client(t)
	if err := start(a, adminUser, SessionOptions{Method: "saml"}); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, a.get("/ui/"), "/ui/mfa/enrol")
	if err := start(a, adminUser, SessionOptions{Method: "emergency", MFASatisfied: true, MaxAge: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if res := a.get("/ui/"); res.StatusCode != http.StatusOK {
		t.Fatalf("administrator with the second factor passed: status %d", res.StatusCode)
	}
	evs = f.audit.find("web.login")
	if last := evs[len(evs)-1]; last.Details["method"] != "emergency" || last.Details["mfa_satisfied"] != "true" {
		t.Errorf("emergency event %+v", last)
	}
	f.clock.Advance(6 * time.Minute)
	wantRedirect(t, a.get("/ui/"), "/ui/login")

	// Refusals.
	n := len(f.audit.events)
	if err := start(f.client(t), agentUser, SessionOptions{Method: "Bad Method"}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("bad method: %v", err)
	}
	if err := start(f.client(t), agentUser, SessionOptions{Method: "oidc", MaxAge: -time.Second}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("negative MaxAge: %v", err)
	}
	if len(f.audit.events) != n {
		t.Error("invalid options were audited as sign-ins")
	}
	f.users.setDisabled(agentID, true)
	err := start(f.client(t), agentUser, SessionOptions{Method: "oidc"})
	wantDenied(t, err, identity.SignInFailedMessage)
	f.users.setDisabled(agentID, false)
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	err = start(f.client(t), agentUser, SessionOptions{Method: "oidc"})
	wantDenied(t, err, identity.NetworkDeniedMessage)
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{})
	// The user's own profile, not the default, decides (an SSO sign-in of an assigned user).
	f.authProfiles.set(testInstanceID+"/"+agentID, identity.AuthenticationProfile{ID: "own", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	err = start(f.client(t), agentUser, SessionOptions{Method: "oidc"})
	wantDenied(t, err, identity.NetworkDeniedMessage)
	delete(f.authProfiles.m, testInstanceID+"/"+agentID)
	evs = f.audit.find("web.login")
	if d, nd := evs[len(evs)-3], evs[len(evs)-2]; d.Outcome != audit.OutcomeFailure || d.Details["reason"] != "disabled" ||
		nd.Outcome != audit.OutcomeFailure || nd.Details["reason"] != "network denied" {
		t.Errorf("refusal events %+v / %+v", d, nd)
	}

	// Fail closed: no session without its event.
	sessions := f.sessions.count()
	f.audit.setFail(true)
	fresh := f.client(t)
	if err := start(fresh, agentUser, SessionOptions{Method: "oidc"}); !apierr.HasCode(err, apierr.CodeServiceUnavailable) {
		t.Errorf("with the audit sink down: %v", err)
	}
	f.audit.setFail(false)
	if f.sessions.count() != sessions || fresh.cookies[SessionCookie] != "" {
		t.Error("a session exists without its audit event")
	}
}
