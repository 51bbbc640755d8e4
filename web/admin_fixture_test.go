package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

// adminFixture is a Handler with the admin pages over a SQLite store (the stores the node
// wires): instance "acme" (testInstanceID) and "other" (otherInstance), both provisioned
// with Connect's defaults, and in acme the users "admin" (Admin profile, MFA required),
// "agent" (Agent) and "viewer" (a profile with Users.View only: no MFA required); in
// "other" the user "stranger".
type adminFixture struct {
	t        *testing.T
	h        *Handler
	cfg      Config
	st       store.Store
	clock    *fakeClock
	profiles map[string]string // "acme/Admin" → ID
	users    map[string]string // username → ID
	// routing names routing resources: "acme/BasicQueue", "acme/Sales" (a second queue),
	// the agent statuses ("acme/Available"),
	// "acme/To sales" (a quick connect to Sales, on no queue yet), "acme/Basic Hours",
	// "acme/Basic Routing Profile" and the flows by name ("acme/Default queue transfer");
	// the same for "other" ("other/Sales" is named "Other sales").
	routing map[string]string
}

const (
	adminRegion  = "us-east-1"
	adminAccount = "123456789012"
)

func newAdminFixture(t *testing.T, opts ...func(*Config)) *adminFixture {
	t.Helper()
	ctx := context.Background()
	sealer := storetest.NewSealer(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &adminFixture{t: t, st: st, clock: &fakeClock{t: time.Now().UTC().Truncate(time.Second)},
		profiles: map[string]string{}, users: map[string]string{}, routing: map[string]string{}}
	hasher := fastHasher()
	for _, inst := range []instance.Instance{
		{ID: testInstanceID, Alias: testAlias},
		{ID: otherInstance, Alias: "other"},
	} {
		inst.IdentityManagementType = instance.IdentityManagementConnectManaged
		inst.InboundCallsEnabled, inst.OutboundCallsEnabled, inst.Status = true, true, instance.StatusActive
		inst.CreatedTime, inst.Tags = f.clock.Now().Truncate(time.Millisecond), map[string]string{}
		err := st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, inst); err != nil {
				return err
			}
			return provision.Instance(ctx, tx, inst, provision.Env{Region: adminRegion, AccountID: adminAccount, NewID: uuid.NewString, Now: inst.CreatedTime})
		})
		if err != nil {
			t.Fatalf("provision %s: %v", inst.Alias, err)
		}
		_ = st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			ps, err := tx.ListSecurityProfiles(ctx, inst.ID, "", 100)
			for _, p := range ps {
				f.profiles[inst.Alias+"/"+p.Name] = p.ID
			}
			return err
		})
		f.seedRouting(inst)
	}
	viewer := identity.SecurityProfile{ID: uuid.NewString(), InstanceID: testInstanceID, Name: "Viewer", Description: "reads users",
		Permissions: []string{"Users.View"}, DenyPermissions: []string{}, Tags: map[string]string{}, CreatedTime: f.clock.Now(), LastModifiedTime: f.clock.Now()}
	if err := st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return store.CreateSecurityProfile(ctx, tx, viewer) }); err != nil {
		t.Fatal(err)
	}
	f.profiles["acme/Viewer"] = viewer.ID
	for _, u := range []struct{ inst, alias, username, profile string }{
		{testInstanceID, testAlias, "admin", "Admin"},
		{testInstanceID, testAlias, "agent", "Agent"},
		{testInstanceID, testAlias, "viewer", "Viewer"},
		{otherInstance, "other", "stranger", "Admin"},
	} {
		f.users[u.username] = f.createUser(u.inst, u.username, f.profiles[u.alias+"/"+u.profile], testPassword)
	}
	ids := store.Identity{Store: st}
	f.cfg = Config{
		Instances: InstanceSourceFunc(func(ctx context.Context, ref string) (inst instance.Instance, err error) {
			err = st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
				if instance.ValidID(ref) {
					inst, err = tx.GetInstance(ctx, ref)
					return err
				}
				inst, err = tx.GetInstanceByAlias(ctx, ref)
				return err
			})
			return inst, err
		}),
		Users: ids, Credentials: ids, Attempts: ids, Sessions: ids, AuthProfiles: ids, MFA: ids, Passkeys: ids,
		Profiles:  store.UserProfiles{Store: st},
		IPLimiter: identity.NewIPRateLimiter(6000, 1000, f.clock.Now),
		Hasher:    &hasher, Secrets: sealer, Audit: st, Admin: st, Region: adminRegion, AccountID: adminAccount,
		PublicOrigin: testOrigin, Now: f.clock.Now,
	}
	for _, o := range opts {
		o(&f.cfg)
	}
	f.h, err = New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// seedRouting names inst's provisioned routing resources and flows in f.routing and adds
// the queue "Sales" ("Other sales" in other) and the quick connect "To sales" to it, through
// the routing administration transactions.
func (f *adminFixture) seedRouting(inst instance.Instance) {
	f.t.Helper()
	ctx := context.Background()
	a := inst.Alias + "/"
	err := f.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		hours, err := tx.ListHours(ctx, inst.ID, "", 10)
		if err != nil {
			return err
		}
		queues, err := tx.ListQueues(ctx, inst.ID, "", 10)
		if err != nil {
			return err
		}
		flows, err := tx.ListFlowRecords(ctx, inst.ID, flow.KindFlow, nil, "", 100)
		if err != nil {
			return err
		}
		statuses, err := tx.ListAgentStatuses(ctx, inst.ID, nil, "", 10)
		if err != nil {
			return err
		}
		for _, st := range statuses {
			f.routing[a+st.Name] = st.ID
		}
		for _, h := range hours {
			f.routing[a+h.Name] = h.ID
		}
		for _, q := range queues {
			f.routing[a+q.Name] = q.ID
		}
		for _, fl := range flows {
			f.routing[a+fl.Name] = fl.ID
		}
		f.routing[a+provision.BasicRoutingProfileName] = provision.BasicRoutingProfileID(inst.ID)
		name := "Sales"
		if inst.ID != testInstanceID {
			name = "Other sales"
		}
		sales := routing.QueueRecord{InstanceID: inst.ID, Queue: routing.Queue{ID: uuid.NewString(), HoursOfOperationID: f.routing[a+provision.BasicHoursName]},
			Name: name, Tags: map[string]string{}, LastModified: f.clock.Now()}
		if err := store.CreateQueue(ctx, tx, sales, nil); err != nil {
			return err
		}
		f.routing[a+"Sales"] = sales.ID
		qc := routing.QuickConnectRecord{InstanceID: inst.ID, ID: uuid.NewString(), Name: "To sales", Tags: map[string]string{}, LastModified: f.clock.Now()}
		f.routing[a+"To sales"] = qc.ID
		return store.CreateQuickConnect(ctx, tx, qc, store.QuickConnectDestination{Type: routing.QuickConnectQueue, QueueID: sales.ID,
			ContactFlowID: f.routing[a+"Default queue transfer"]})
	})
	if err != nil {
		f.t.Fatalf("seed routing of %s: %v", inst.Alias, err)
	}
}

// createUser stores a user of inst holding profile with password pw and returns its ID.
func (f *adminFixture) createUser(inst, username, profile, pw string) string {
	f.t.Helper()
	ctx := context.Background()
	hash, err := fastHasher().HashPassword(ctx, secret.New(pw))
	if err != nil {
		f.t.Fatal(err)
	}
	now := f.clock.Now().Truncate(time.Millisecond)
	u := identity.User{ID: uuid.NewString(), InstanceID: inst, Username: username,
		IdentityInfo: identity.IdentityInfo{FirstName: "First " + username, LastName: "Last"},
		PhoneConfig:  identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone}, SecurityProfileIDs: []string{profile},
		RoutingProfileID: provision.BasicRoutingProfileID(inst), Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now}
	if err := f.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := store.CreateUser(ctx, tx, u, hash)
		return err
	}); err != nil {
		f.t.Fatalf("create user %s: %v", username, err)
	}
	return u.ID
}

func (f *adminFixture) client(t *testing.T) *client {
	return &client{t: t, h: f.h, cookies: map[string]string{}, remote: "198.51.100.7:40000", header: http.Header{}}
}

// signIn signs username in on c; the administrator enrols TOTP on the way (its profile
// requires MFA) and ends on the account page with the second factor passed.
func (f *adminFixture) signIn(c *client, username string) {
	f.t.Helper()
	res := c.login(username, testPassword)
	switch loc := res.Header.Get("Location"); loc {
	case "/ui/":
	case "/ui/mfa/enrol":
		page := c.get("/ui/mfa/enrol")
		m := secretRe.FindStringSubmatch(page.body)
		if m == nil {
			f.t.Fatalf("no secret on the enrolment page:\n%s", page.body)
		}
		code, err := identity.TOTPCode(secret.New(m[1]), f.clock.Now())
		if err != nil {
			f.t.Fatal(err)
		}
		tok := csrfMeta.FindStringSubmatch(page.body)[1]
		if res := c.post("/ui/mfa/enrol", url.Values{"csrf": {tok}, "code": {code}}); res.StatusCode != http.StatusOK {
			f.t.Fatalf("confirm enrolment: %d\n%s", res.StatusCode, res.body)
		}
	default:
		f.t.Fatalf("sign in %s: %d to %q\n%s", username, res.StatusCode, loc, res.body)
	}
	if res := c.get("/ui/"); res.StatusCode != http.StatusOK {
		f.t.Fatalf("account page after sign-in: %d", res.StatusCode)
	}
}

// events returns the audit events with code, in order.
func (f *adminFixture) events(code string) []audit.Event {
	f.t.Helper()
	var out []audit.Event
	err := f.st.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.Code == code {
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// user reads a user of acme.
func (f *adminFixture) user(id string) (identity.User, error) {
	var u identity.User
	err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, testInstanceID, id)
		return err
	})
	return u, err
}

// adminPath fills an admin route pattern's wildcards: {user} with userID, {profile} with
// profileID, {hours}, {agentstatus}, {queue}, {quickconnect} and {routingprofile} with the
// Basic Hours, the Available status, the Sales queue, the "To sales" quick connect and the
// Basic Routing Profile of the instance alias, {$} with nothing.
func (f *adminFixture) adminPath(pattern, alias, userID, profileID string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	a := alias + "/"
	path = strings.NewReplacer("{user}", userID, "{profile}", profileID, "{hours}", f.routing[a+provision.BasicHoursName], "{agentstatus}", f.routing[a+"Available"], "{queue}", f.routing[a+"Sales"],
		"{quickconnect}", f.routing[a+"To sales"], "{routingprofile}", f.routing[a+provision.BasicRoutingProfileName], "{$}", "").Replace(path)
	return method, path
}

var userLinkRe = regexp.MustCompile(`href="/ui/admin/users/([0-9a-f-]{36})"`)

// userByName reads a user of acme by username.
func (f *adminFixture) userByName(username string) (identity.User, error) {
	var u identity.User
	err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUserByUsername(ctx, testInstanceID, username)
		return err
	})
	return u, err
}

// profile reads a security profile of acme; otherProfile one of "other".
func (f *adminFixture) profile(id string) identity.SecurityProfile {
	return f.profileOf(testInstanceID, id)
}

func (f *adminFixture) otherProfile(id string) identity.SecurityProfile {
	return f.profileOf(otherInstance, id)
}

func (f *adminFixture) profileOf(inst, id string) identity.SecurityProfile {
	f.t.Helper()
	var p identity.SecurityProfile
	if err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.GetSecurityProfile(ctx, inst, id)
		return err
	}); err != nil {
		f.t.Fatalf("get security profile: %v", err)
	}
	return p
}
