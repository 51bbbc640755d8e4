package web

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

func TestNewRequiresStores(t *testing.T) {
	_, err := New(Config{PublicOrigin: testOrigin})
	if err == nil || !strings.Contains(err.Error(), "Attempts, Audit, AuthProfiles, Credentials, Instances, MFA, Passkeys, Profiles, Secrets, Sessions, Users") {
		t.Errorf("New(empty) = %v, want every missing store named", err)
	}
	f := newFixture(t)
	for _, origin := range []string{"", "rf.test", "https://rf.test/ui", "ftp://rf.test"} {
		cfg := f.cfg
		cfg.PublicOrigin = origin
		if _, err := New(cfg); err == nil {
			t.Errorf("New with PublicOrigin %q: nil error", origin)
		}
	}
}

// TestSecurityHeadersOnEveryPage checks the CSP and the other headers on every kind of
// answer: pages, redirects, static files, errors, refusals.
func TestSecurityHeadersOnEveryPage(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	signedIn := f.client(t)
	wantRedirect(t, signedIn.login("agent", testPassword), "/ui/")
	tests := []struct {
		name    string
		c       *client
		method  string
		path    string
		status  int
		noStore bool
	}{
		{"login", c, "GET", "/ui/login", 200, true},
		{"instance entry", c, "GET", "/ui/" + testAlias, 303, true},
		{"home signed out", c, "GET", "/ui/", 303, true},
		{"home", signedIn, "GET", "/ui/", 200, true},
		{"password", signedIn, "GET", "/ui/password", 200, true},
		{"sessions", signedIn, "GET", "/ui/sessions", 200, true},
		{"passkeys", signedIn, "GET", "/ui/passkeys", 200, true},
		{"script", c, "GET", "/ui/static/app.js", 200, false},
		{"style", c, "GET", "/ui/static/app.css", 200, false},
		{"icon", c, "GET", "/ui/static/favicon.svg", 200, false},
		{"static directory", c, "GET", "/ui/static/", 404, true},
		{"not found", c, "GET", "/ui/no/such/page", 404, true},
		{"refused post", c, "POST", "/ui/login", 403, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.c.do(tt.method, tt.path, url.Values{}, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			want := map[string]string{
				"Content-Security-Policy":      ContentSecurityPolicy,
				"X-Content-Type-Options":       "nosniff",
				"Referrer-Policy":              "no-referrer",
				"X-Frame-Options":              "DENY",
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Resource-Policy": "same-origin",
				"Strict-Transport-Security":    "max-age=63072000; includeSubDomains",
			}
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if cc := res.Header.Get("Cache-Control"); tt.noStore != (cc == "no-store") {
				t.Errorf("Cache-Control = %q (no-store wanted: %v)", cc, tt.noStore)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
	for _, dir := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'", "default-src 'none'", "form-action 'self'"} {
		if !strings.Contains(ContentSecurityPolicy, dir) {
			t.Errorf("CSP lacks %q", dir)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") {
		t.Error("CSP allows something unsafe")
	}
}

func TestHSTSOnlyOverTLSUnlessConfigured(t *testing.T) {
	for _, forced := range []bool{false, true} {
		f := newFixture(t, func(c *Config) { c.HSTS = forced })
		r, _ := http.NewRequest("GET", "http://rf.test/ui/login", nil)
		r.RemoteAddr = "198.51.100.7:1"
		w := &headerRecorder{h: http.Header{}}
		f.h.ServeHTTP(w, r)
		if got := w.h.Get("Strict-Transport-Security") != ""; got != forced {
			t.Errorf("HSTS forced=%v over plain HTTP: sent %v", forced, got)
		}
	}
}

type headerRecorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *headerRecorder) Header() http.Header         { return w.h }
func (w *headerRecorder) WriteHeader(s int)           { w.status = s }
func (w *headerRecorder) Write(b []byte) (int, error) { return w.body.Write(b) }

// TestTemplatesHaveNoInlineCode keeps the pages compatible with the CSP: no inline script,
// no event-handler attributes, no style attributes or elements, no javascript: URLs.
func TestTemplatesHaveNoInlineCode(t *testing.T) {
	bad := regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:|innerHTML|outerHTML|insertAdjacentHTML|document\.write`)
	err := fs.WalkDir(templateFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "<script") && !strings.Contains(line, `<script type="module" src="/ui/static/app.js"></script>`) {
				t.Errorf("%s: inline script: %s", p, line)
			}
			if bad.MatchString(line) {
				t.Errorf("%s: %s", p, line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := fs.ReadFile(staticFS, "static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if bytes.Contains(js, []byte(sink)) {
			t.Errorf("app.js uses %s", sink)
		}
	}
}

// TestUserTextRenderedAsText stores a passkey whose name is markup and checks the page
// shows it as text.
func TestUserTextRenderedAsText(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	name := `<img src=x onerror=alert(1)>"</td><script>alert(2)</script>`
	if err := f.passkeys.AddPasskey(t.Context(), testInstanceID, agentID, Passkey{ID: []byte{1, 2, 3}, Name: name, Credential: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	res := c.get("/ui/passkeys")
	if strings.Contains(res.body, "<img src=x") || strings.Contains(res.body, "<script>alert") {
		t.Fatalf("markup from a passkey name reached the page:\n%s", res.body)
	}
	if !strings.Contains(res.body, "&lt;img src=x onerror=alert(1)&gt;&#34;&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;") {
		t.Errorf("escaped name not on the page:\n%s", res.body)
	}
}

func TestLoginSessionCookieAttributes(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	res := c.login("agent", testPassword)
	wantRedirect(t, res, "/ui/")
	var raw string
	for _, line := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, SessionCookie+"=") {
			raw = line
		}
	}
	if raw == "" {
		t.Fatalf("no %s cookie set; Set-Cookie: %q", SessionCookie, res.Header.Values("Set-Cookie"))
	}
	parts := strings.Split(raw, "; ")
	attrs := map[string]bool{}
	for _, p := range parts[1:] {
		attrs[p] = true
	}
	for _, want := range []string{"Path=/", "Secure", "HttpOnly", "SameSite=Strict"} {
		if !attrs[want] {
			t.Errorf("session cookie %q lacks %s", raw, want)
		}
	}
	for a := range attrs {
		if strings.HasPrefix(a, "Domain=") || strings.HasPrefix(a, "Expires=") || strings.HasPrefix(a, "Max-Age=") {
			t.Errorf("session cookie %q has %s (want a host-only session cookie)", raw, a)
		}
	}
	tok := strings.TrimPrefix(parts[0], SessionCookie+"=")
	if len(tok) != 43 {
		t.Errorf("session token of %d characters, want 43 (256 bits)", len(tok))
	}
	// The server keeps only the token's hash.
	if _, err := f.sessions.GetSession(t.Context(), identity.HashSessionToken(secret.New(tok))); err != nil {
		t.Errorf("session not stored under the token's hash: %v", err)
	}
	for _, s := range f.sessions.m {
		if strings.Contains(s.IDHash, tok) {
			t.Error("the store holds the token itself")
		}
	}
}

func TestLoginRotatesSession(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	first := c.cookies[SessionCookie]
	if res := c.get("/ui/"); res.StatusCode != http.StatusOK {
		t.Fatalf("home with first session: %d", res.StatusCode)
	}
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	second := c.cookies[SessionCookie]
	if second == "" || second == first {
		t.Fatalf("session ID did not change at sign-in")
	}
	if n := f.sessions.count(); n != 1 {
		t.Errorf("%d sessions stored, want 1 (the old one ended)", n)
	}
	old := f.client(t)
	old.cookies[SessionCookie] = first
	wantRedirect(t, old.get("/ui/"), "/ui/login")

	// A fixed session ID planted before sign-in is not adopted.
	planted := f.client(t)
	planted.cookies[SessionCookie] = "attacker-chosen-value-attacker-chosen-valu"
	wantRedirect(t, planted.login("agent", testPassword), "/ui/")
	if planted.cookies[SessionCookie] == "attacker-chosen-value-attacker-chosen-valu" {
		t.Error("sign-in kept a session ID the client chose")
	}
}

// TestFailedSignInsLookAlike: an unknown user, a wrong password, an unknown instance, a
// disabled and a locked account get the same status and byte-identical body, and each runs
// one argon2id verification (measured by the memory argon2id allocates).
func TestFailedSignInsLookAlike(t *testing.T) {
	const memKiB = 16 * 1024
	f := newFixture(t, func(c *Config) {
		h := identity.NewPasswordHasher()
		h.Params.MemoryKiB, h.Params.Iterations = memKiB, 1
		c.Hasher = &h
	})
	f.users.users = append(f.users.users, identity.User{ID: "a0000000-0000-4000-8000-000000000009", InstanceID: testInstanceID, Username: "gone", Disabled: true},
		identity.User{ID: "a0000000-0000-4000-8000-00000000000a", InstanceID: testInstanceID, Username: "office"})
	f.creds.m[testInstanceID+"/a0000000-0000-4000-8000-000000000009"] = f.creds.m[testInstanceID+"/"+agentID]
	f.creds.m[testInstanceID+"/a0000000-0000-4000-8000-00000000000a"] = f.creds.m[testInstanceID+"/"+agentID]
	// "office" is under its own authentication profile, which refuses the test's address.
	f.authProfiles.set(testInstanceID+"/a0000000-0000-4000-8000-00000000000a", identity.AuthenticationProfile{ID: "office-only",
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	c := f.client(t)
	tok := c.csrf("/ui/login?instance=" + testAlias)
	attempt := func(inst, user, pw string) (response, uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		res := c.post("/ui/login", url.Values{"csrf": {tok}, "instance": {inst}, "username": {user}, "password": {pw}})
		runtime.ReadMemStats(&after)
		return res, after.TotalAlloc - before.TotalAlloc
	}
	wrong, wrongAlloc := attempt(testAlias, "agent", "not the password at all")
	cases := []struct{ name, inst, user, pw, reason string }{
		{"unknown user", testAlias, "nobody", "not the password at all", "unknown user"},
		{"unknown user, right password", testAlias, "nobody", testPassword, "unknown user"},
		{"unknown instance", "no-such-instance", "agent", testPassword, "unknown instance"},
		{"disabled user", testAlias, "gone", testPassword, "disabled"},
		{"network refused by the user's own profile", testAlias, "office", testPassword, "network denied by the user's authentication profile"},
	}
	if wrong.StatusCode != http.StatusUnauthorized || !strings.Contains(wrong.body, identity.SignInFailedMessage) {
		t.Fatalf("wrong password: status %d body:\n%s", wrong.StatusCode, wrong.body)
	}
	if wrongAlloc < memKiB*1024 {
		t.Errorf("wrong password allocated %d bytes: argon2id (%d KiB) did not run", wrongAlloc, memKiB)
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			res, alloc := attempt(tt.inst, tt.user, tt.pw)
			if res.StatusCode != wrong.StatusCode {
				t.Errorf("status %d, wrong password got %d", res.StatusCode, wrong.StatusCode)
			}
			body := res.body
			if tt.inst != testAlias {
				// The page repeats the instance the person typed; nothing else may differ.
				body = strings.ReplaceAll(body, tt.inst, testAlias)
			}
			if body != wrong.body {
				t.Errorf("body differs from the wrong-password body:\n%s\n---\n%s", res.body, wrong.body)
			}
			for _, k := range []string{"Content-Type", "Content-Security-Policy", "Cache-Control"} {
				if res.Header.Get(k) != wrong.Header.Get(k) {
					t.Errorf("%s differs", k)
				}
			}
			if len(res.Header.Values("Set-Cookie")) != len(wrong.Header.Values("Set-Cookie")) {
				t.Error("Set-Cookie differs")
			}
			if alloc < memKiB*1024 {
				t.Errorf("allocated %d bytes: argon2id (%d KiB) did not run", alloc, memKiB)
			}
			if alloc > 2*memKiB*1024 {
				t.Errorf("allocated %d bytes: more than one argon2id run", alloc)
			}
			evs := f.audit.find("web.login")
			last := evs[len(evs)-1]
			if last.Outcome != audit.OutcomeFailure || last.Details["reason"] != tt.reason || last.ErrorCode != string(apierr.CodeAccessDenied) {
				t.Errorf("audit event %+v, want failure with reason %q", last, tt.reason)
			}
			if strings.Contains(last.Details["username"], tt.user) || !strings.HasPrefix(last.Details["username"], "hmac-sha256:") {
				t.Errorf("audit event username %q, want a keyed hash", last.Details["username"])
			}
		})
	}
	// A locked account: ten failures, then even the right password gets the same answer.
	for range identity.DefaultMaxFailures {
		attempt(testAlias, "admin", "not the password at all")
	}
	locked, alloc := attempt(testAlias, "admin", testPassword)
	if locked.StatusCode != wrong.StatusCode || locked.body != wrong.body {
		t.Errorf("locked account answer differs: %d\n%s", locked.StatusCode, locked.body)
	}
	if alloc < memKiB*1024 {
		t.Errorf("locked account: argon2id did not run (%d bytes)", alloc)
	}
	if evs := f.audit.find("web.login"); evs[len(evs)-1].Details["reason"] != "locked" {
		t.Errorf("locked account audited as %q", evs[len(evs)-1].Details["reason"])
	}
}

func TestCSRFRefused(t *testing.T) {
	f := newFixture(t)
	signedIn := f.client(t)
	wantRedirect(t, signedIn.login("agent", testPassword), "/ui/")
	other := f.client(t)
	wantRedirect(t, other.login("admin", testPassword), "/ui/mfa/enrol")
	otherToken := other.csrf("/ui/mfa/enrol")
	good := signedIn.csrf("/ui/")
	anon := f.client(t)
	loginTok := anon.csrf("/ui/login")
	loginForm := func(tok string) url.Values {
		return url.Values{"csrf": {tok}, "instance": {testAlias}, "username": {"agent"}, "password": {testPassword}}
	}
	tests := []struct {
		name   string
		c      *client
		path   string
		form   url.Values
		header http.Header
	}{
		{"login without token", anon, "/ui/login", loginForm(""), nil},
		{"login with wrong token", anon, "/ui/login", loginForm(otherFirst(loginTok)), nil},
		{"login from another site", anon, "/ui/login", loginForm(loginTok), http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}},
		{"login with another origin", anon, "/ui/login", loginForm(loginTok), http.Header{"Sec-Fetch-Site": nil, "Origin": {"https://evil.example"}}},
		{"logout without token", signedIn, "/ui/logout", url.Values{}, nil},
		{"logout with another session's token", signedIn, "/ui/logout", url.Values{"csrf": {otherToken}}, nil},
		{"logout from another site", signedIn, "/ui/logout", url.Values{"csrf": {good}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"sign out everywhere without token", signedIn, "/ui/sessions/end-all", url.Values{}, nil},
		{"password without token", signedIn, "/ui/password", url.Values{"current": {testPassword}, "new": {"a whole new passphrase"}, "confirm": {"a whole new passphrase"}}, nil},
		{"passkey fetch without header", signedIn, "/ui/passkeys/register/begin", nil, http.Header{"Content-Type": {"application/json"}}},
		{"passkey fetch with wrong header", signedIn, "/ui/passkeys/register/begin", nil, http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {otherToken}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.audit.find("web.csrf_refused"))
			res := tt.c.do(http.MethodPost, tt.path, tt.form, tt.header)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, csrfMessage) {
				t.Errorf("status %d, want 403 with the refusal page:\n%s", res.StatusCode, res.body)
			}
			if got := len(f.audit.find("web.csrf_refused")); got != before+1 {
				t.Errorf("%d refusal events recorded, want 1", got-before)
			}
		})
	}
	// Nothing changed: still signed in, with the same password, and the login made no session.
	if res := signedIn.get("/ui/"); res.StatusCode != http.StatusOK {
		t.Errorf("session ended by a refused request: %d", res.StatusCode)
	}
	if _, ok := anon.cookies[SessionCookie]; ok {
		t.Error("a refused sign-in set a session")
	}
	// With the token, the same requests go through.
	wantRedirect(t, signedIn.post("/ui/logout", url.Values{"csrf": {good}}), "/ui/login?instance="+testAlias)
	wantRedirect(t, anon.post("/ui/login", loginForm(loginTok)), "/ui/")
}

func TestBlockedNetworkDeniedBeforePassword(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{BlockedIPs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	viaProxy := func() *client {
		c := f.client(t)
		c.remote = "10.1.2.3:5000"
		c.header.Set("X-Forwarded-For", "203.0.113.50")
		return c
	}
	c := viaProxy()
	// Eleven wrong passwords from the blocked network: all refused for the network, none
	// counted against the account (the password is never checked).
	for range identity.DefaultMaxFailures + 1 {
		res := c.login("agent", "not the password at all")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, identity.NetworkDeniedMessage) {
			t.Fatalf("blocked login: status %d:\n%s", res.StatusCode, res.body)
		}
	}
	evs := f.audit.find("web.login")
	if len(evs) != identity.DefaultMaxFailures+1 {
		t.Fatalf("%d sign-in events, want %d", len(evs), identity.DefaultMaxFailures+1)
	}
	if ev := evs[0]; ev.Outcome != audit.OutcomeFailure || ev.Details["reason"] != "network denied" || ev.SourceIP != "203.0.113.50" || ev.InstanceID != testInstanceID {
		t.Errorf("denial event %+v", ev)
	}
	// A spoofed X-Forwarded-For from a peer that is not a trusted proxy is ignored.
	spoof := f.client(t)
	spoof.remote = "198.51.100.9:4000"
	spoof.header.Set("X-Forwarded-For", "203.0.113.50")
	wantRedirect(t, spoof.login("agent", testPassword), "/ui/")
	// And the account was not locked by the blocked attempts.
	wantRedirect(t, f.client(t).login("agent", testPassword), "/ui/")

	// A session used from a blocked network ends.
	moved := f.client(t)
	wantRedirect(t, moved.login("agent", testPassword), "/ui/")
	moved.remote = "10.1.2.3:5000"
	moved.header.Set("X-Forwarded-For", "203.0.113.77")
	if res := moved.get("/ui/"); res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, identity.NetworkDeniedMessage) {
		t.Errorf("session from blocked network: status %d", res.StatusCode)
	}
	moved.header.Del("X-Forwarded-For")
	wantRedirect(t, moved.get("/ui/"), "/ui/login")

	// Allowed ranges: outside them is refused.
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	if res := f.client(t).login("agent", testPassword); res.StatusCode != http.StatusForbidden {
		t.Errorf("login outside the allowed ranges: status %d", res.StatusCode)
	}
}

func TestMFAEnrolmentAndChallenge(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("admin", testPassword), "/ui/mfa/enrol")
	// Until the second factor is passed, account pages send to enrolment and refuse posts.
	wantRedirect(t, c.get("/ui/"), "/ui/mfa/enrol")
	wantRedirect(t, c.get("/ui/passkeys"), "/ui/mfa/enrol")
	tok := c.csrf("/ui/mfa/enrol")
	if res := c.do(http.MethodPost, "/ui/passkeys/register/begin", nil, http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {tok}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("passkey registration before MFA: status %d", res.StatusCode)
	}

	page := c.get("/ui/mfa/enrol")
	sec := secretRe.FindStringSubmatch(page.body)[1]
	if again := secretRe.FindStringSubmatch(c.get("/ui/mfa/enrol").body)[1]; again != sec {
		t.Error("reloading the enrolment page changed the key")
	}
	if !strings.Contains(page.body, "otpauth://totp/Ringfence%20%28acme%29:admin?") || !strings.Contains(page.body, "secret="+sec) {
		t.Errorf("key URI missing:\n%s", page.body)
	}
	stored, err := f.mfa.GetTOTPSecret(t.Context(), testInstanceID, adminID)
	if err != nil || stored.Confirmed || bytes.Contains(stored.Ciphertext, []byte(sec)) {
		t.Fatalf("stored secret: %+v, %v (want sealed, unconfirmed)", stored, err)
	}
	qr := c.get("/ui/mfa/enrol/qr.png")
	if qr.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR code content type %q", qr.Header.Get("Content-Type"))
	}
	if img, err := png.Decode(strings.NewReader(qr.body)); err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("QR code is not a 256-pixel PNG: %v", err)
	}
	if res := c.post("/ui/mfa/enrol", url.Values{"csrf": {tok}, "code": {"000000"}}); res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, identity.MFAFailedMessage) {
		t.Fatalf("wrong enrolment code: status %d", res.StatusCode)
	}
	before := c.cookies[SessionCookie]
	res := c.post("/ui/mfa/enrol", url.Values{"csrf": {tok}, "code": {f.code(t, sec, 0)}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("enrolment: status %d:\n%s", res.StatusCode, res.body)
	}
	codes := recoverRe.FindAllStringSubmatch(res.body, -1)
	if len(codes) != identity.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), identity.RecoveryCodeCount)
	}
	if c.cookies[SessionCookie] == before {
		t.Error("session ID did not change when the second factor was passed")
	}
	if res := c.get("/ui/"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `<dd id="home-totp">set up</dd>`) {
		t.Fatalf("home after enrolment: %d", res.StatusCode)
	}
	// Enrolment is closed once an app is set up.
	wantRedirect(t, c.get("/ui/mfa/enrol"), "/ui/mfa")

	// Next sign-in: the challenge. The enrolment code's step is used up (replay refused).
	c2 := f.client(t)
	wantRedirect(t, c2.login("admin", testPassword), "/ui/mfa")
	wantRedirect(t, c2.get("/ui/mfa/enrol"), "/ui/mfa")
	mtok := c2.csrf("/ui/mfa")
	if res := c2.post("/ui/mfa", url.Values{"csrf": {mtok}, "code": {f.code(t, sec, 0)}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed code: status %d", res.StatusCode)
	}
	if res := c2.post("/ui/mfa", url.Values{"csrf": {mtok}, "code": {f.code(t, sec, -2*identity.TOTPPeriod)}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("code two steps old: status %d", res.StatusCode)
	}
	wantRedirect(t, c2.post("/ui/mfa", url.Values{"csrf": {mtok}, "code": {f.code(t, sec, identity.TOTPPeriod)}}), "/ui/")
	if res := c2.get("/ui/"); res.StatusCode != http.StatusOK {
		t.Errorf("home after TOTP: %d", res.StatusCode)
	}
	// A recovery code works once.
	rc := codes[0][1]
	for i, want := range []int{http.StatusSeeOther, http.StatusUnauthorized} {
		c3 := f.client(t)
		wantRedirect(t, c3.login("admin", testPassword), "/ui/mfa")
		res := c3.post("/ui/mfa", url.Values{"csrf": {c3.csrf("/ui/mfa")}, "code": {strings.ToLower(rc)}})
		if res.StatusCode != want {
			t.Errorf("recovery code use %d: status %d, want %d", i+1, res.StatusCode, want)
		}
	}
	var factors []string
	for _, ev := range f.audit.find("web.mfa") {
		factors = append(factors, ev.Details["factor"]+":"+string(ev.Outcome))
	}
	want := "totp:failure totp:failure totp:success recovery_code:success recovery_code:failure"
	if got := strings.Join(factors, " "); got != want {
		t.Errorf("MFA audit events %q, want %q", got, want)
	}
}

func TestMFALockout(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	sec, _ := f.enrolAdmin(t, c)
	f.clock.Advance(identity.TOTPPeriod)
	c2 := f.client(t)
	wantRedirect(t, c2.login("admin", testPassword), "/ui/mfa")
	tok := c2.csrf("/ui/mfa")
	for range identity.DefaultMaxFailures {
		c2.post("/ui/mfa", url.Values{"csrf": {tok}, "code": {"123456"}})
	}
	if res := c2.post("/ui/mfa", url.Values{"csrf": {tok}, "code": {f.code(t, sec, 0)}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("right code after 10 failures: status %d, want 401 (locked)", res.StatusCode)
	}
	f.clock.Advance(identity.DefaultLockout + identity.TOTPPeriod)
	c3 := f.client(t)
	wantRedirect(t, c3.login("admin", testPassword), "/ui/mfa")
	wantRedirect(t, c3.post("/ui/mfa", url.Values{"csrf": {c3.csrf("/ui/mfa")}, "code": {f.code(t, sec, 0)}}), "/ui/")
}

func TestSessionTimeouts(t *testing.T) {
	f := newFixture(t)
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{IdleTimeout: 30 * time.Minute, SessionDuration: time.Hour})
	agent := f.client(t)
	wantRedirect(t, agent.login("agent", testPassword), "/ui/")
	admin := f.client(t)
	f.enrolAdmin(t, admin)
	f.clock.Advance(14 * time.Minute)
	for _, c := range []*client{agent, admin} {
		if res := c.get("/ui/"); res.StatusCode != http.StatusOK {
			t.Fatalf("after 14 idle minutes: status %d", res.StatusCode)
		}
	}
	// 16 idle minutes: the administrator's session (sensitive: 15 minutes) ends, the agent's
	// (30 minutes) does not.
	f.clock.Advance(16 * time.Minute)
	if res := agent.get("/ui/"); res.StatusCode != http.StatusOK {
		t.Errorf("agent after 16 idle minutes: status %d", res.StatusCode)
	}
	wantRedirect(t, admin.get("/ui/"), "/ui/login")
	// Absolute limit: an hour after sign-in, however active.
	for range 3 {
		f.clock.Advance(10 * time.Minute)
		agent.get("/ui/")
	}
	wantRedirect(t, agent.get("/ui/"), "/ui/login")
}

func TestPasswordChange(t *testing.T) {
	f := newFixture(t)
	elsewhere := f.client(t)
	wantRedirect(t, elsewhere.login("agent", testPassword), "/ui/")
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	tok := c.csrf("/ui/password")
	change := func(current, next, confirm string) response {
		return c.post("/ui/password", url.Values{"csrf": {tok}, "current": {current}, "new": {next}, "confirm": {confirm}})
	}
	const newPassword = "copper lantern meadow"
	tests := []struct {
		name, current, next, confirm string
		status                       int
		msg                          string
	}{
		{"wrong current", "not the password", newPassword, newPassword, 401, "The current password is incorrect"},
		{"mismatch", testPassword, newPassword, newPassword + "x", 400, "differ"},
		{"too short", testPassword, "short", "short", 400, "at least 12 characters"},
		{"common", testPassword, "Password1234!", "Password1234!", 400, "too common"},
		{"contains username", testPassword, "agent agent agent 77", "agent agent agent 77", 400, "too common"},
		{"same", testPassword, testPassword, testPassword, 400, "different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := change(tt.current, tt.next, tt.confirm)
			if res.StatusCode != tt.status || !strings.Contains(res.body, tt.msg) {
				t.Errorf("status %d, want %d with %q:\n%s", res.StatusCode, tt.status, tt.msg, res.body)
			}
			if strings.Contains(res.body, tt.next) && tt.next != tt.current {
				t.Error("the page echoes the new password")
			}
		})
	}
	wantRedirect(t, change(testPassword, newPassword, newPassword), "/ui/?notice=password-changed")
	if res := c.get("/ui/?notice=password-changed"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, notices["password-changed"]) {
		t.Errorf("this browser after the change: status %d", res.StatusCode)
	}
	wantRedirect(t, elsewhere.get("/ui/"), "/ui/login")
	if res := f.client(t).login("agent", testPassword); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password still works: %d", res.StatusCode)
	}
	wantRedirect(t, f.client(t).login("agent", newPassword), "/ui/")
	if evs := f.audit.find("web.password_change"); len(evs) != 2 || evs[1].Outcome != audit.OutcomeSuccess || evs[1].Details["sessions_ended"] != "2" {
		t.Errorf("password change events %+v", evs)
	}
}

func TestSessionsPageAndSignOutEverywhere(t *testing.T) {
	f := newFixture(t)
	a, b := f.client(t), f.client(t)
	wantRedirect(t, a.login("agent", testPassword), "/ui/")
	f.clock.Advance(time.Minute)
	wantRedirect(t, b.login("agent", testPassword), "/ui/")
	page := b.get("/ui/sessions")
	if n := strings.Count(page.body, "<tr><td>"); n != 2 {
		t.Errorf("%d sessions listed, want 2:\n%s", n, page.body)
	}
	if strings.Count(page.body, "this browser") != 1 {
		t.Error("the current session is not marked once")
	}
	res := b.post("/ui/sessions/end-all", url.Values{"csrf": {csrfMeta.FindStringSubmatch(page.body)[1]}})
	wantRedirect(t, res, "/ui/login?instance="+testAlias)
	wantRedirect(t, a.get("/ui/"), "/ui/login")
	wantRedirect(t, b.get("/ui/"), "/ui/login")
	if f.sessions.count() != 0 {
		t.Errorf("%d sessions left", f.sessions.count())
	}
}

func TestLogoutEndsSession(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	token := c.cookies[SessionCookie]
	res := c.post("/ui/logout", url.Values{"csrf": {c.csrf("/ui/")}})
	wantRedirect(t, res, "/ui/login?instance="+testAlias)
	if _, ok := c.cookies[SessionCookie]; ok {
		t.Error("logout left the cookie")
	}
	replay := f.client(t)
	replay.cookies[SessionCookie] = token
	wantRedirect(t, replay.get("/ui/"), "/ui/login")
	if evs := f.audit.find("web.logout"); len(evs) != 1 || evs[0].Actor != userActor(testInstanceID, agentID) {
		t.Errorf("logout events %+v", evs)
	}
}

func TestDisabledUserLosesSession(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	f.users.setDisabled(agentID, true)
	wantRedirect(t, c.get("/ui/"), "/ui/login")
	if f.sessions.count() != 0 {
		t.Error("the disabled user's session is still stored")
	}
}

// TestAuditFailClosed: when the audit event cannot be recorded, sign-in fails and leaves no
// session.
func TestAuditFailClosed(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	tok := c.csrf("/ui/login?instance=" + testAlias)
	f.audit.setFail(true)
	res := c.post("/ui/login", url.Values{"csrf": {tok}, "instance": {testAlias}, "username": {"agent"}, "password": {testPassword}})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", res.StatusCode)
	}
	if _, ok := c.cookies[SessionCookie]; ok || f.sessions.count() != 0 {
		t.Error("a session exists without its audit event")
	}
	f.audit.setFail(false)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	ev := f.audit.find("web.login")[0]
	if ev.Actor != userActor(testInstanceID, agentID) || ev.SourceIP != "198.51.100.7" || ev.RequestID == "" || ev.UserAgent != "" && len(ev.UserAgent) > 256 || ev.Time.IsZero() {
		t.Errorf("sign-in event %+v", ev)
	}
}

func TestInstanceEntryAndLoginByID(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.get("/ui/"+testAlias), "/ui/login?instance="+testAlias)
	if res := c.get("/ui/login?instance=" + testAlias); !strings.Contains(res.body, `<strong id="instance-name">acme</strong>`) {
		t.Error("sign-in page does not name the instance")
	}
	if res := c.get("/ui/login"); !strings.Contains(res.body, `id="instance" name="instance"`) {
		t.Error("sign-in page without instance lacks the field")
	}
	if res := c.get(`/ui/login?instance=%3Cscript%3E`); strings.Contains(res.body, "<script>") || strings.Contains(res.body, "&lt;script") {
		t.Error("an invalid instance reference reached the page")
	}
	tok := c.csrf("/ui/login")
	wantRedirect(t, c.post("/ui/login", url.Values{"csrf": {tok}, "instance": {testInstanceID}, "username": {"AGENT"}, "password": {testPassword}}), "/ui/")
	// A user of one instance is unknown in another.
	d := f.client(t)
	tok = d.csrf("/ui/login")
	if res := d.post("/ui/login", url.Values{"csrf": {tok}, "instance": {"other"}, "username": {"agent"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("agent of acme signing in to other: status %d", res.StatusCode)
	}
}

func TestPasskeyPagesRefuseBadInput(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("agent", testPassword), "/ui/")
	tok := c.csrf("/ui/passkeys")
	jsonHdr := http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {tok}}
	// begin returns options and a sealed state
	res := c.doBody(http.MethodPost, "/ui/passkeys/register/begin", "{}", jsonHdr)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) || !strings.Contains(res.body, `"state"`) {
		t.Fatalf("begin: %d %s", res.StatusCode, res.body)
	}
	for _, tt := range []struct{ name, body string }{
		{"not JSON", "{"},
		{"no name", `{"state":"x","name":"","credential":{}}`},
		{"bidi name", `{"state":"x","name":"key\u202egnp.exe","credential":{}}`},
		{"forged state", `{"state":"` + base64.RawURLEncoding.EncodeToString([]byte("RFE forged")) + `","name":"key","credential":{}}`},
		{"bad credential", `{"state":"","name":"key","credential":{"id":"x"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := c.doBody(http.MethodPost, "/ui/passkeys/register/finish", tt.body, jsonHdr)
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Errorf("status %d: %s", res.StatusCode, res.body)
			}
		})
	}
	if pks, _ := f.passkeys.ListPasskeys(t.Context(), testInstanceID, agentID); len(pks) != 0 {
		t.Error("a passkey was stored from bad input")
	}
}

func TestPasskeyDelete(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	f.enrolAdmin(t, c)
	for i, name := range []string{"one", "two"} {
		if err := f.passkeys.AddPasskey(t.Context(), testInstanceID, adminID, Passkey{ID: []byte{byte(i + 1)}, Name: name, Credential: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// Without the authenticator app, the last passkey is the last second factor.
	sec, _ := f.mfa.GetTOTPSecret(t.Context(), testInstanceID, adminID)
	sec.Confirmed = false
	if err := f.mfa.PutTOTPSecret(t.Context(), testInstanceID, adminID, sec); err != nil {
		t.Fatal(err)
	}
	tok := c.csrf("/ui/passkeys")
	del := func(id byte) response {
		return c.post("/ui/passkeys/delete", url.Values{"csrf": {tok}, "id": {base64.RawURLEncoding.EncodeToString([]byte{id})}})
	}
	wantRedirect(t, del(1), "/ui/passkeys?notice=passkey-removed")
	wantRedirect(t, del(2), "/ui/passkeys?error=last-factor")
	if res := c.get("/ui/passkeys?error=last-factor"); !strings.Contains(res.body, pageErrors["last-factor"]) {
		t.Error("the last-factor refusal is not shown")
	}
	pks, _ := f.passkeys.ListPasskeys(t.Context(), testInstanceID, adminID)
	if len(pks) != 1 || pks[0].Name != "two" {
		t.Errorf("passkeys left: %+v", pks)
	}
	if evs := f.audit.find("web.passkey_delete"); len(evs) != 1 || evs[0].Outcome != audit.OutcomeSuccess {
		t.Errorf("delete events %+v", evs)
	}
}

func TestEnrolRestartReplacesPendingKey(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	wantRedirect(t, c.login("admin", testPassword), "/ui/mfa/enrol")
	page := c.get("/ui/mfa/enrol")
	first := secretRe.FindStringSubmatch(page.body)[1]
	wantRedirect(t, c.post("/ui/mfa/enrol/restart", url.Values{"csrf": {csrfMeta.FindStringSubmatch(page.body)[1]}}), "/ui/mfa/enrol")
	second := secretRe.FindStringSubmatch(c.get("/ui/mfa/enrol").body)[1]
	if second == first {
		t.Fatal("restart kept the key")
	}
	// A code of the old key no longer confirms.
	tok := c.csrf("/ui/mfa/enrol")
	if res := c.post("/ui/mfa/enrol", url.Values{"csrf": {tok}, "code": {f.code(t, first, 0)}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old key's code: status %d", res.StatusCode)
	}
	if res := c.post("/ui/mfa/enrol", url.Values{"csrf": {tok}, "code": {f.code(t, second, 0)}}); res.StatusCode != http.StatusOK {
		t.Errorf("new key's code: status %d", res.StatusCode)
	}
}

// otherFirst returns tok with its first character replaced by another, so it can never equal
// tok (a fixed replacement would equal it whenever tok starts with that character).
func otherFirst(tok string) string {
	if strings.HasPrefix(tok, "x") {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}
