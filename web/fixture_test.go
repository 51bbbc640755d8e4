package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

const (
	testInstanceID = "0b6e8a52-3c1f-4d2e-9a47-5f0c1d2e3a4b"
	otherInstance  = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	testAlias      = "acme"
	adminID        = "a0000000-0000-4000-8000-000000000001"
	agentID        = "a0000000-0000-4000-8000-000000000002"
	testPassword   = "tulip river granite"
	testOrigin     = "https://rf.test"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

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

// fastHasher keeps tests quick: argon2id with 64 KiB and one pass.
func fastHasher() identity.PasswordHasher {
	h := identity.NewPasswordHasher()
	h.Params.MemoryKiB, h.Params.Iterations = 64, 1
	return h
}

// fixture is a Handler over in-memory stores with one instance ("acme") and two users:
// "admin" (Admin profile: MFA required) and "agent" (Agent profile: password only).
type fixture struct {
	h            *Handler
	cfg          Config
	clock        *fakeClock
	users        *memUsers
	creds        *memCreds
	sessions     *memSessions
	authProfiles *memAuthProfiles
	mfa          *memMFA
	passkeys     *memPasskeys
	audit        *memAudit
	env          *keyring.Envelope
}

func newFixture(t testing.TB, opts ...func(*Config)) *fixture {
	t.Helper()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		clock: &fakeClock{t: time.Now().UTC().Truncate(time.Second)},
		users: &memUsers{users: []identity.User{
			{ID: adminID, InstanceID: testInstanceID, Username: "admin", IdentityInfo: identity.IdentityInfo{FirstName: "Ada", LastName: "Admin"}},
			{ID: agentID, InstanceID: testInstanceID, Username: "agent", IdentityInfo: identity.IdentityInfo{FirstName: "Al", LastName: "Agent"}},
		}},
		creds:        &memCreds{m: map[string]string{}},
		sessions:     &memSessions{},
		authProfiles: &memAuthProfiles{m: map[string]identity.AuthenticationProfile{}},
		mfa:          &memMFA{},
		passkeys:     &memPasskeys{},
		audit:        &memAudit{},
		env:          keyring.NewEnvelope(kr, nil),
	}
	f.authProfiles.users = f.users
	d := identity.DefaultSecurityProfiles()
	profiles := memProfiles{byUser: map[string][]identity.SecurityProfile{
		testInstanceID + "/" + adminID: {{ID: "p-admin", InstanceID: testInstanceID, Name: d[0].Name, Permissions: d[0].Permissions}},
		testInstanceID + "/" + agentID: {{ID: "p-agent", InstanceID: testInstanceID, Name: d[1].Name, Permissions: d[1].Permissions}},
	}}
	hasher := fastHasher()
	f.cfg = Config{
		Instances: &memInstances{list: []instance.Instance{
			{ID: testInstanceID, Alias: testAlias},
			{ID: otherInstance, Alias: "other"},
		}},
		Users: f.users, Credentials: f.creds, Attempts: &identity.MemoryAttemptStore{},
		IPLimiter: identity.NewIPRateLimiter(6000, 1000, f.clock.Now),
		Hasher:    &hasher, Sessions: f.sessions, Profiles: profiles, AuthProfiles: f.authProfiles,
		MFA: f.mfa, Passkeys: f.passkeys, Secrets: f.env, Audit: f.audit,
		AuditHasher:  kr.Hasher(),
		PublicOrigin: testOrigin, Now: f.clock.Now,
	}
	for _, o := range opts {
		o(&f.cfg)
	}
	for _, id := range []string{adminID, agentID} {
		hash, err := f.cfg.Hasher.HashPassword(context.Background(), secret.New(testPassword))
		if err != nil {
			t.Fatal(err)
		}
		f.creds.m[testInstanceID+"/"+id] = hash
	}
	f.h, err = New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// client is a minimal browser for handler tests: it keeps cookies, sends the headers a
// browser sends on same-origin form posts, and connects from remote.
type client struct {
	t       testing.TB
	h       http.Handler
	cookies map[string]string
	remote  string
	// header is added to every request.
	header http.Header
}

func (f *fixture) client(t testing.TB) *client {
	return &client{t: t, h: f.h, cookies: map[string]string{}, remote: "198.51.100.7:40000", header: http.Header{}}
}

// response is a finished request.
type response struct {
	*http.Response
	body string
}

// do sends a request to the handler with form as its body (a form post) when not nil.
func (c *client) do(method, path string, form url.Values, hdr http.Header) response {
	c.t.Helper()
	if form == nil {
		return c.send(method, path, nil, hdr)
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range hdr {
		h[k] = v
	}
	return c.send(method, path, strings.NewReader(form.Encode()), h)
}

// doBody sends a raw body.
func (c *client) doBody(method, path, body string, hdr http.Header) response {
	c.t.Helper()
	return c.send(method, path, strings.NewReader(body), hdr)
}

func (c *client) send(method, path string, body io.Reader, hdr http.Header) response {
	c.t.Helper()
	r := httptest.NewRequest(method, testOrigin+path, body)
	r.RemoteAddr = c.remote
	if method != http.MethodGet {
		r.Header.Set("Origin", testOrigin)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range c.header {
		r.Header[k] = v
	}
	for k, v := range hdr {
		if v == nil {
			r.Header.Del(k)
			continue
		}
		r.Header[k] = v
	}
	for k, v := range c.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	res := w.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	b, _ := io.ReadAll(res.Body)
	return response{Response: res, body: string(b)}
}

func (c *client) get(path string) response { return c.do(http.MethodGet, path, nil, nil) }

func (c *client) post(path string, form url.Values) response {
	return c.do(http.MethodPost, path, form, nil)
}

var (
	csrfMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	secretRe  = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	recoverRe = regexp.MustCompile(`<li><code>([A-Z2-7-]{19})</code></li>`)
)

// csrf returns the CSRF token of the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	res := c.get(path)
	m := csrfMeta.FindStringSubmatch(res.body)
	if m == nil {
		c.t.Fatalf("GET %s: no CSRF token in page (status %d)", path, res.StatusCode)
	}
	return m[1]
}

// login signs in and returns the answer to the form post.
func (c *client) login(username, password string) response {
	c.t.Helper()
	tok := c.csrf("/ui/login?instance=" + testAlias)
	return c.post("/ui/login", url.Values{"csrf": {tok}, "instance": {testAlias}, "username": {username}, "password": {password}})
}

func wantRedirect(t testing.TB, res response, want string) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303 to %s; body:\n%s", res.StatusCode, want, res.body)
	}
	if got := res.Header.Get("Location"); got != want {
		t.Fatalf("redirect to %q, want %q", got, want)
	}
}

// code returns the TOTP code of sec at the fixture's time plus d.
func (f *fixture) code(t testing.TB, sec string, d time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(sec, f.clock.Now().Add(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolAdmin signs admin in on c and sets up TOTP; it returns the secret and recovery codes.
func (f *fixture) enrolAdmin(t testing.TB, c *client) (string, []string) {
	t.Helper()
	wantRedirect(t, c.login("admin", testPassword), "/ui/mfa/enrol")
	page := c.get("/ui/mfa/enrol")
	m := secretRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", page.body)
	}
	tok := csrfMeta.FindStringSubmatch(page.body)[1]
	res := c.post("/ui/mfa/enrol", url.Values{"csrf": {tok}, "code": {f.code(t, m[1], 0)}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirm enrolment: status %d:\n%s", res.StatusCode, res.body)
	}
	var codes []string
	for _, r := range recoverRe.FindAllStringSubmatch(res.body, -1) {
		codes = append(codes, r[1])
	}
	return m[1], codes
}
