package sso_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/sso"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

// origin is the public origin of the Handler under test.
const origin = "https://cc.example.test"

// clock is a settable clock that starts at the real time (crewjam/saml checks assertion times
// against the real clock).
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// startedSession is one call of the fake SessionStarter.
type startedSession struct {
	User identity.User
	Opts sso.SessionOptions
}

// fakeSessions records sessions and sets a cookie as web's would.
type fakeSessions struct {
	mu      sync.Mutex
	started []startedSession
	fail    error
}

func (f *fakeSessions) StartSession(w http.ResponseWriter, _ *http.Request, u identity.User, opts sso.SessionOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.started = append(f.started, startedSession{User: u, Opts: opts})
	http.SetCookie(w, &http.Cookie{Name: "__Host-rf_session", Value: "fake", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return nil
}

func (f *fakeSessions) all() []startedSession {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]startedSession(nil), f.started...)
}

// fixture is a store with one instance (default profiles, Basic Routing Profile) and a
// Handler over it.
type fixture struct {
	t        *testing.T
	st       store.Store
	h        *sso.Handler
	inst     instance.Instance
	profiles map[string]string // profile name -> ID
	sessions *fakeSessions
	clock    *clock
	admin    sso.Admin
}

func newFixture(t *testing.T, imt instance.IdentityManagementType, opts ...func(*sso.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringfence.db"), sqlstore.Options{Sealer: storetest.NewSealer(t)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, profiles: map[string]string{}, sessions: &fakeSessions{}, clock: &clock{}}
	f.inst = f.createInstance("sso-"+strings.ToLower(string(imt[:4])), imt)
	cfg := sso.Config{
		Store: st, Sessions: f.sessions, Secrets: storetest.NewSealer(t), PublicOrigin: origin,
		Now: f.clock.Now, EmergencyLimiter: identity.NewIPRateLimiter(600, 600, f.clock.Now),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if f.h, err = sso.New(cfg); err != nil {
		t.Fatalf("sso.New: %v", err)
	}
	f.admin = sso.Admin{Store: st, Actor: "host", Now: f.clock.Now}
	return f
}

// createInstance creates a provisioned instance and records its profile IDs (for the first
// instance only).
func (f *fixture) createInstance(alias string, imt instance.IdentityManagementType) instance.Instance {
	f.t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	inst := instance.Instance{ID: uuid.NewString(), Alias: alias, IdentityManagementType: imt, Status: instance.StatusActive,
		CreatedTime: now, Tags: map[string]string{}}
	err := f.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, inst); err != nil {
			return err
		}
		if err := provision.Instance(ctx, tx, inst, provision.Env{Region: "us-east-1", AccountID: "111122223333", NewID: uuid.NewString, Now: now}); err != nil {
			return err
		}
		if len(f.profiles) > 0 {
			return nil
		}
		for _, name := range []string{identity.ProfileAdmin, identity.ProfileAgent} {
			p, err := tx.GetSecurityProfileByName(ctx, inst.ID, name)
			if err != nil {
				return err
			}
			f.profiles[name] = p.ID
		}
		return nil
	})
	if err != nil {
		f.t.Fatalf("create instance: %v", err)
	}
	return inst
}

// createUser adds a user with the named profile to the fixture's instance.
func (f *fixture) createUser(username, profile string) identity.User {
	f.t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := identity.User{ID: uuid.NewString(), InstanceID: f.inst.ID, Username: username,
		IdentityInfo:       identity.IdentityInfo{FirstName: "Test", LastName: "User"},
		PhoneConfig:        identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
		SecurityProfileIDs: []string{f.profiles[profile]}, RoutingProfileID: provision.BasicRoutingProfileID(f.inst.ID),
		Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now}
	err := f.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = store.CreateUser(ctx, tx, u, "")
		return err
	})
	if err != nil {
		f.t.Fatalf("create user: %v", err)
	}
	return u
}

// updateUser applies fn to the stored user and saves it.
func (f *fixture) updateUser(id string, fn func(*identity.User)) {
	f.t.Helper()
	err := f.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, f.inst.ID, id)
		if err != nil {
			return err
		}
		fn(&u)
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		f.t.Fatalf("update user: %v", err)
	}
}

func (f *fixture) deleteUser(id string) {
	f.t.Helper()
	if err := f.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, f.inst.ID, id) }); err != nil {
		f.t.Fatalf("delete user: %v", err)
	}
}

func (f *fixture) userByName(username string) (identity.User, error) {
	var u identity.User
	err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUserByUsername(ctx, f.inst.ID, username)
		return err
	})
	return u, err
}

// events returns the audit events whose code starts with prefix, in order.
func (f *fixture) events(prefix string) []audit.Event {
	f.t.Helper()
	var out []audit.Event
	err := f.st.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if strings.HasPrefix(ev.Code, prefix) {
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		f.t.Fatalf("scan audit: %v", err)
	}
	return out
}

// lastEvent returns the newest audit event with the code.
func (f *fixture) lastEvent(code string) audit.Event {
	f.t.Helper()
	evs := f.events(code)
	if len(evs) == 0 {
		f.t.Fatalf("no %s audit event", code)
	}
	return evs[len(evs)-1]
}

// browser is a cookie jar driving the Handler like a browser (no redirects followed).
type browser struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie
}

func (f *fixture) browser() *browser {
	return &browser{t: f.t, h: f.h, cookies: map[string]*http.Cookie{}}
}

// do sends r with the jar's cookies and keeps the cookies the response sets.
func (b *browser) do(r *http.Request) *http.Response {
	b.t.Helper()
	for _, c := range b.cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	res := w.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	return res
}

func (b *browser) get(path string) *http.Response {
	b.t.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, origin+path, nil))
}

// post submits a form; crossSite marks it as coming from another site (Sec-Fetch-Site).
func (b *browser) post(path string, form url.Values, crossSite bool) *http.Response {
	b.t.Helper()
	r := httptest.NewRequest(http.MethodPost, origin+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if crossSite {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	} else {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	return b.do(r)
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
