package sso_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/sso"
)

// oidcFixture is a SAML-type instance whose OpenID provider is a testOP, with just-in-time
// users given the Agent profile.
func oidcFixture(t *testing.T) (*fixture, *testOP) {
	t.Helper()
	op := newTestOP(t)
	f := newFixture(t, instance.IdentityManagementSAML, func(c *sso.Config) { c.HTTPClient = op.srv.Client() })
	if err := f.admin.ConfigureOIDC(context.Background(), identity.OIDCConfig{
		InstanceID: f.inst.ID, Issuer: op.issuer(), ClientID: op.clientID, ClientSecret: secret.New(op.secret),
		Scopes: []string{"profile", "email"},
		JIT:    identity.JITProvisioning{SecurityProfileID: f.profiles[identity.ProfileAgent]},
	}); err != nil {
		t.Fatalf("ConfigureOIDC: %v", err)
	}
	return f, op
}

// oidcStart opens the sign-in in b, lets the provider answer, and returns the callback path
// (with query) the provider sent the browser to.
func oidcStart(t *testing.T, f *fixture, b *browser, op *testOP) string {
	t.Helper()
	res := b.get("/ui/sso/" + f.inst.Alias + "/oidc/login")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("oidc login status = %d, want 303; body:\n%s", res.StatusCode, body(t, res))
	}
	auth, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(auth.String(), op.issuer()+"/authorize?") {
		t.Fatalf("redirected to %q, want the provider's authorization endpoint", res.Header.Get("Location"))
	}
	q := auth.Query()
	if q.Get("redirect_uri") != origin+"/ui/sso/"+f.inst.ID+"/oidc/callback" || q.Get("scope") != "openid profile email" {
		t.Fatalf("authorization request: redirect_uri %q scope %q", q.Get("redirect_uri"), q.Get("scope"))
	}
	c, ok := b.cookies["__Host-rf_oidc"]
	if !ok || c.SameSite != http.SameSiteLaxMode || !c.Secure || !c.HttpOnly {
		t.Fatalf("OIDC state cookie = %+v, want Secure, HttpOnly, SameSite=Lax", c)
	}
	client := op.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r2, err := client.Get(auth.String())
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	back, err := url.Parse(r2.Header.Get("Location"))
	if r2.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("provider answered %d %q", r2.StatusCode, r2.Header.Get("Location"))
	}
	return back.Path + "?" + back.RawQuery
}

// TestOIDCLogin signs in through the test provider: a just-in-time user from
// preferred_username with the names from the claims, a session, an audit event; the provider
// saw client authentication and a PKCE verifier that matches the challenge.
func TestOIDCLogin(t *testing.T) {
	t.Parallel()
	f, op := oidcFixture(t)
	b := f.browser()
	res := b.get(oidcStart(t, f, b, op))
	page := body(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("callback status = %d; body:\n%s", res.StatusCode, page)
	}
	if _, ok := b.cookies["__Host-rf_oidc"]; ok {
		t.Errorf("the OIDC state cookie was not cleared")
	}
	got := f.sessions.all()
	if len(got) != 1 || got[0].User.Username != "ada" || got[0].Opts.Method != "oidc" {
		t.Fatalf("sessions = %+v", got)
	}
	u, err := f.userByName("ada")
	if err != nil || u.IdentityInfo.FirstName != "Ada" || u.IdentityInfo.LastName != "Lovelace" || u.SecurityProfileIDs[0] != f.profiles[identity.ProfileAgent] {
		t.Fatalf("JIT user = %+v, %v", u, err)
	}
	ev := f.lastEvent("sso.oidc_login")
	if ev.Outcome != audit.OutcomeSuccess || ev.Details["provider"] != "oidc:"+op.issuer() || ev.Actor != "user:"+f.inst.ID+"/"+u.ID {
		t.Errorf("audit event = %+v", ev)
	}
	if strings.Contains(strings.Join(eventsText(f), "\n"), op.secret) {
		t.Errorf("the client secret appears in the audit log")
	}
}

// eventsText returns every audit event's body.
func eventsText(f *fixture) []string {
	var out []string
	for _, ev := range f.events("") {
		out = append(out, ev.Code+" "+ev.Actor+" "+ev.Resource)
		for k, v := range ev.Details {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// TestOIDCRejected alters one thing of a good sign-in at a time; each is refused with the
// reason of the check that caught it, and no session starts.
func TestOIDCRejected(t *testing.T) {
	t.Parallel()
	f, op := oidcFixture(t)
	other := testKey(t, keyOther)
	cases := []struct {
		name       string
		edit       func(claims map[string]any)
		signer     *rsa.PrivateKey
		callback   func(path string) string // rewrites the callback URL
		dropCookie bool
		wantReason string
	}{
		{name: "wrong audience", edit: func(c map[string]any) { c["aud"] = "another-client" }, wantReason: "expected audience"},
		{name: "wrong nonce", edit: func(c map[string]any) { c["nonce"] = "not-the-nonce" }, wantReason: "nonce does not match"},
		{name: "no nonce", edit: func(c map[string]any) { delete(c, "nonce") }, wantReason: "nonce does not match"},
		{name: "expired", edit: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, wantReason: "token is expired"},
		{name: "bad signature", signer: other, wantReason: "failed to verify signature"},
		{name: "another issuer", edit: func(c map[string]any) { c["iss"] = "https://evil.example.test" }, wantReason: "different provider"},
		{name: "several audiences without azp", edit: func(c map[string]any) { c["aud"] = []string{op.clientID, "other"} }, wantReason: "azp"},
		{name: "no username claim", edit: func(c map[string]any) { delete(c, "preferred_username") }, wantReason: "no preferred_username claim"},
		{name: "state mismatch", callback: func(p string) string { return replaceParam(p, "state", "forged-state") }, wantReason: "state does not match"},
		{name: "no state cookie", dropCookie: true, wantReason: "state cookie missing"},
		{name: "forged code", callback: func(p string) string { return replaceParam(p, "code", "forged-code") }, wantReason: "invalid_grant"},
		{name: "provider error", callback: func(p string) string { return replaceParam(p, "error", "access_denied") }, wantReason: "provider returned error access_denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op.mu.Lock()
			op.edit, op.signer, op.username = c.edit, c.signer, "mallory"
			op.mu.Unlock()
			before := len(f.sessions.all())
			b := f.browser()
			path := oidcStart(t, f, b, op)
			if c.callback != nil {
				path = c.callback(path)
			}
			if c.dropCookie {
				delete(b.cookies, "__Host-rf_oidc")
			}
			res := b.get(path)
			page := body(t, res)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Sign-in failed") {
				t.Fatalf("status = %d, want 403; body:\n%s", res.StatusCode, page)
			}
			if len(f.sessions.all()) != before {
				t.Fatal("a session was started")
			}
			ev := f.lastEvent("sso.oidc_login")
			if ev.Outcome != audit.OutcomeFailure || !strings.Contains(ev.Details["reason"], c.wantReason) {
				t.Errorf("audit outcome %s reason %q, want failure with %q", ev.Outcome, ev.Details["reason"], c.wantReason)
			}
		})
	}
	if _, err := f.userByName("mallory"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("a refused sign-in created its user: %v", err)
	}
}

// TestOIDCCallbackOnce replays a callback URL after it was used: the state cookie is spent,
// so it is refused; put back, the state lets the code reach the provider, which refuses it as
// spent.
func TestOIDCCallbackOnce(t *testing.T) {
	t.Parallel()
	f, op := oidcFixture(t)
	b := f.browser()
	path := oidcStart(t, f, b, op)
	state := b.cookies["__Host-rf_oidc"]
	if res := b.get(path); res.StatusCode != http.StatusOK {
		t.Fatalf("first callback status = %d", res.StatusCode)
	}
	if res := b.get(path); res.StatusCode != http.StatusForbidden {
		t.Fatalf("second callback status = %d, want 403", res.StatusCode)
	}
	// Even with the old state cookie put back, the code is spent at the provider.
	b.cookies["__Host-rf_oidc"] = state
	op.mu.Lock()
	requests := op.tokenRequests
	op.mu.Unlock()
	if res := b.get(path); res.StatusCode != http.StatusForbidden {
		t.Fatalf("third callback status = %d, want 403", res.StatusCode)
	}
	op.mu.Lock()
	redeemed := op.tokenRequests > requests
	op.mu.Unlock()
	if !redeemed || !strings.Contains(f.lastEvent("sso.oidc_login").Details["reason"], "invalid_grant") {
		t.Errorf("replayed code: reason %q", f.lastEvent("sso.oidc_login").Details["reason"])
	}
	if n := len(f.sessions.all()); n != 1 {
		t.Errorf("sessions = %d, want 1", n)
	}
}

// TestOIDCConfigValidation checks what ConfigureOIDC refuses.
func TestOIDCConfigValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, instance.IdentityManagementSAML)
	good := identity.OIDCConfig{InstanceID: f.inst.ID, Issuer: "https://idp.example.test", ClientID: "c", ClientSecret: secret.New("s")}
	cases := []struct {
		name string
		edit func(*identity.OIDCConfig)
		want apierr.Code
	}{
		{"http issuer", func(c *identity.OIDCConfig) { c.Issuer = "http://idp.example.test" }, apierr.CodeInvalidParameter},
		{"issuer with query", func(c *identity.OIDCConfig) { c.Issuer = "https://idp.example.test/?x=1" }, apierr.CodeInvalidParameter},
		{"no client ID", func(c *identity.OIDCConfig) { c.ClientID = "" }, apierr.CodeInvalidParameter},
		{"no secret", func(c *identity.OIDCConfig) { c.ClientSecret = secret.Value[string]{} }, apierr.CodeInvalidParameter},
		{"bad scope", func(c *identity.OIDCConfig) { c.Scopes = []string{"a b"} }, apierr.CodeInvalidParameter},
		{"unknown JIT profile", func(c *identity.OIDCConfig) {
			c.JIT.SecurityProfileID = "00000000-0000-4000-8000-000000000000"
		}, apierr.CodeResourceNotFound},
		{"unknown instance", func(c *identity.OIDCConfig) { c.InstanceID = "00000000-0000-4000-8000-000000000000" }, apierr.CodeResourceNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.edit(&cfg)
			if err := f.admin.ConfigureOIDC(context.Background(), cfg); !apierr.HasCode(err, c.want) {
				t.Errorf("ConfigureOIDC: %v, want %s", err, c.want)
			}
		})
	}
	if err := f.admin.ConfigureOIDC(context.Background(), good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	st, err := f.admin.Show(context.Background(), f.inst.ID)
	if err != nil || st.OIDC == nil || strings.Join(st.OIDC.Scopes, " ") != "openid" || st.OIDC.UsernameClaim != "preferred_username" {
		t.Fatalf("Show = %+v, %v", st, err)
	}
}

func replaceParam(pathQuery, name, value string) string {
	u, _ := url.Parse(pathQuery)
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}
