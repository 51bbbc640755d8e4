package web

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// TestChromiumAdminPages drives Chromium through the admin pages: the administrator signs
// in (TOTP enrolment with the code computed from the key the page shows), opens Users from
// the account page, creates a user with a typed password and the Agent profile, opens the
// Viewer security profile, ticks Users.Edit and saves; then the new user signs in with its
// password. Every response must carry the CSP and any console error, exception or CSP
// violation fails the test. Screenshots go to the test's temporary directory (kept when
// RINGFENCE_SCREENSHOTS names a directory).
func TestChromiumAdminPages(t *testing.T) {
	f, b := startAdminBrowser(t)
	ctx, origin := b.ctx, b.origin

	// The administrator signs in and sets up an authenticator app.
	b.adminSignIn(f)
	b.shot("admin-01-home")

	// Users: the list, then a new user with a typed password and the Agent profile.
	b.do("users", chromedp.Click(chromedp.ID("link-admin-users")), chromedp.WaitVisible(chromedp.ID("users")))
	b.shot("admin-02-users")
	b.do("new user form", chromedp.Click(chromedp.ID("link-new-user")), chromedp.WaitVisible(chromedp.ID("new-user-form")))
	b.do("fill the new user",
		chromedp.SendKeys(chromedp.ID("username"), "browser.agent"),
		chromedp.SendKeys(chromedp.ID("first_name"), "Bea"),
		chromedp.SendKeys(chromedp.ID("last_name"), "Browser"),
		chromedp.SendKeys(chromedp.ID("email"), "bea@example.com"),
		chromedp.Click(chromedp.CSS(`input[name="profile"][value="`+f.profiles["acme/Agent"]+`"]`)),
		chromedp.Click(chromedp.ID("password-type")),
		chromedp.SendKeys(chromedp.ID("password"), "velvet harbour compass"),
		chromedp.SendKeys(chromedp.ID("password_confirm"), "velvet harbour compass"),
	)
	b.shot("admin-03-new-user")
	b.do("create the user", chromedp.Click(chromedp.ID("create-user")), chromedp.WaitVisible(chromedp.ID("user-username")))
	if got := b.text("user-username"); got != "browser.agent" {
		t.Errorf("the user page names %q", got)
	}
	if got := b.text("notice"); got != notices["user-created"] {
		t.Errorf("notice %q", got)
	}
	b.shot("admin-04-user")
	u, err := f.userByName("browser.agent")
	if err != nil || u.IdentityInfo.Email != "bea@example.com" || !slices.Equal(u.SecurityProfileIDs, []string{f.profiles["acme/Agent"]}) {
		t.Fatalf("created user %+v, %v", u, err)
	}

	// Security profiles: tick Users.Edit on Viewer and save.
	b.do("security profiles", chromedp.Navigate(origin+"/ui/admin/"), chromedp.WaitVisible(chromedp.ID("link-admin-profiles")),
		chromedp.Click(chromedp.ID("link-admin-profiles")), chromedp.WaitVisible(chromedp.ID("profiles")))
	b.shot("admin-05-profiles")
	b.do("open Viewer", chromedp.Navigate(origin+"/ui/admin/security-profiles/"+f.profiles["acme/Viewer"]), chromedp.WaitVisible(chromedp.ID("profile-form")))
	b.do("edit Viewer",
		chromedp.Click(chromedp.CSS(`input[name="perm"][value="Users.Edit"]`)),
		chromedp.SetValue(chromedp.ID("description"), "reads and edits users"),
	)
	b.shot("admin-06-profile-edit")
	b.do("save Viewer", chromedp.Click(chromedp.ID("save-profile")), chromedp.WaitVisible(chromedp.ID("notice")))
	if got := b.text("notice"); got != notices["profile-updated"] {
		t.Errorf("notice %q", got)
	}
	b.shot("admin-07-profile-saved")
	if p := f.profile(f.profiles["acme/Viewer"]); p.Description != "reads and edits users" || !slices.Equal(p.Permissions, []string{"Users.Edit", "Users.View"}) {
		t.Errorf("Viewer after the edit: %+v", p)
	}

	// Authentication profiles: a second profile that blocks this browser's network (the
	// administrator stays under the default), with the agent assigned to it.
	b.do("authentication profiles", chromedp.Navigate(origin+"/ui/admin/"), chromedp.WaitVisible(chromedp.ID("link-admin-authprofile")),
		chromedp.Click(chromedp.ID("link-admin-authprofile")), chromedp.WaitVisible(chromedp.ID("authprofiles")))
	b.do("create a profile", chromedp.SendKeys(chromedp.ID("new-name"), "Office only"), chromedp.Click(chromedp.ID("create-authprofile")),
		chromedp.WaitVisible(chromedp.ID("authprofile-form")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	page, _, _ := strings.Cut(loc, "?")
	// Each change starts from the page without a notice, so the notice that appears is the
	// change's own.
	b.do("block loopback", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("authprofile-form")),
		chromedp.SetValue(chromedp.ID("blocked_ips"), "127.0.0.0/8\n::1/128"), chromedp.Click(chromedp.ID("save-authprofile")),
		chromedp.WaitVisible(chromedp.ID("notice")))
	if got := b.text("notice"); got != notices["authprofile-updated"] {
		t.Errorf("notice %q", got)
	}
	b.do("assign the agent", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("assign-user")),
		chromedp.SetValue(chromedp.ID("assign-user"), f.users["agent"]), chromedp.Click(chromedp.ID("assign-authprofile")),
		chromedp.WaitVisible(chromedp.ID("notice")))
	if got := b.text("authprofile-members"); !strings.Contains(got, "agent") {
		t.Errorf("members after the assignment: %q", got)
	}
	b.shot("admin-08-authprofile")

	// The agent's sign-in from this browser is refused like a wrong password; the new user,
	// under the default profile, signs in with the password the administrator typed.
	b.signOut("sign out")
	b.mu.Lock()
	b.expectErrors = []string{"status of 401"}
	b.mu.Unlock()
	b.signIn("agent refused by its profile", "agent", testPassword, "error")
	if got := b.text("error"); got != identity.SignInFailedMessage {
		t.Errorf("the agent's refused sign-in shows %q", got)
	}
	b.shot("admin-09-agent-refused")
	b.signIn("new user signs in", "browser.agent", "velvet harbour compass", "home-username")
	if got := b.text("home-username"); got != "browser.agent" {
		t.Errorf("account page of %q", got)
	}
	b.shot("admin-10-new-user-home")
}

// startAdminBrowser starts the admin fixture (opts applied) on http://localhost and a
// Chromium tab on it that collects every console error, exception, CSP violation and
// response without the CSP. It skips when Chromium is not installed or in -short mode.
// Screenshots go to the test's temporary directory (RINGFENCE_SCREENSHOTS keeps them).
func startAdminBrowser(t *testing.T, opts ...func(*Config)) (*adminFixture, *browserRun) {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	f := newAdminFixture(t, append([]func(*Config){func(c *Config) { c.PublicOrigin = origin }}, opts...)...)
	srv := httptest.NewUnstartedServer(f.h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	shots := t.TempDir()
	if d := os.Getenv("RINGFENCE_SCREENSHOTS"); d != "" {
		shots = d
	}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1100, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	b := &browserRun{t: t, ctx: ctx, origin: origin, shots: shots}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() { t.Logf("screenshots in %s; %d responses checked for the CSP", shots, b.checked) })
	return f, b
}

// adminSignIn signs the administrator in, enrols TOTP with the code computed from the key
// the page shows, and ends on the account page with its admin links.
func (b *browserRun) adminSignIn(f *adminFixture) {
	b.t.Helper()
	b.signIn("sign in", "admin", testPassword, "enrol-form")
	code, err := identity.TOTPCode(secret.New(b.text("totp-secret")), f.clock.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	b.do("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("continue")))
	b.do("continue", chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("admin-links")))
}

// location is the tab's URL path without its query.
func (b *browserRun) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	loc, _, _ = strings.Cut(strings.TrimPrefix(loc, b.origin), "?")
	return loc
}

// TestChromiumAdminRoutingPages drives Chromium through the routing pages: the
// administrator creates hours of operation (the weekday schedule the form offers and a
// Saturday morning), the queue "Billing" on them from the Queues section, creates the quick
// connect "To billing" to it (the form shows only the fields of the chosen type), adds that
// quick connect to BasicQueue, adds Billing to the Basic Routing Profile on CHAT and TASK
// with priority 2 and a 30-second delay, and disables Billing. The store then holds each
// change, and each routing change refreshed the instance's router. Every response must
// carry the CSP; any console error, exception or CSP violation fails the test.
func TestChromiumAdminRoutingPages(t *testing.T) {
	rc := &refreshCounter{n: map[string]int{}}
	f, b := startAdminBrowser(t, func(c *Config) { c.RefreshRouting = rc.refresh })
	origin := b.origin
	b.adminSignIn(f)

	// Hours of operation: new hours, Monday to Friday 09:00–17:00 as the form offers, with
	// Saturday morning added in an empty row.
	b.do("hours", chromedp.Click(chromedp.ID("link-admin-hours")), chromedp.WaitVisible(chromedp.ID("hours-list")),
		chromedp.Click(chromedp.ID("link-new-hours")), chromedp.WaitVisible(chromedp.ID("hours-form")))
	b.do("fill the hours",
		chromedp.SendKeys(chromedp.ID("name"), "Billing hours"),
		chromedp.SetValue(chromedp.ID("time_zone"), "Europe/Berlin"),
		chromedp.SetValue(chromedp.ID("day-5"), "SATURDAY"),
		chromedp.SetValue(chromedp.ID("start-5"), "09:00"),
		chromedp.SetValue(chromedp.ID("end-5"), "12:30"),
	)
	b.shot("routing-00-new-hours")
	b.do("create the hours", chromedp.Click(chromedp.ID("save-hours")), chromedp.WaitVisible(chromedp.ID("hours-name")))
	if got := b.text("notice"); got != notices["hours-created"] {
		t.Errorf("notice %q", got)
	}
	hoursID := strings.TrimPrefix(b.location(), "/ui/admin/hours/")

	// Queues: the list, then a new queue.
	b.do("queues", chromedp.Navigate(origin+"/ui/admin/"), chromedp.WaitVisible(chromedp.ID("link-admin-queues")),
		chromedp.Click(chromedp.ID("link-admin-queues")), chromedp.WaitVisible(chromedp.ID("queues")))
	b.shot("routing-01-queues")
	b.do("new queue form", chromedp.Click(chromedp.ID("link-new-queue")), chromedp.WaitVisible(chromedp.ID("new-queue-form")))
	b.do("fill the new queue",
		chromedp.SendKeys(chromedp.ID("name"), "Billing"),
		chromedp.SendKeys(chromedp.ID("description"), "Invoices and refunds"),
		chromedp.SetValue(chromedp.ID("hours"), hoursID),
		chromedp.SendKeys(chromedp.ID("max_contacts"), "25"),
	)
	b.shot("routing-02-new-queue")
	b.do("create the queue", chromedp.Click(chromedp.ID("create-queue")), chromedp.WaitVisible(chromedp.ID("queue-name")))
	if got := b.text("notice"); got != notices["queue-created"] {
		t.Errorf("notice %q", got)
	}
	billingPage := b.location()
	billing := strings.TrimPrefix(billingPage, "/ui/admin/queues/")
	b.shot("routing-03-queue")

	// Quick connects: a QUEUE quick connect to Billing through the default queue transfer
	// flow. The form shows the fields of the chosen type only.
	b.do("quick connects", chromedp.Navigate(origin+"/ui/admin/"), chromedp.WaitVisible(chromedp.ID("link-admin-quick-connects")),
		chromedp.Click(chromedp.ID("link-admin-quick-connects")), chromedp.WaitVisible(chromedp.ID("quick-connects")))
	b.do("new quick connect form", chromedp.Click(chromedp.ID("link-new-quick-connect")), chromedp.WaitVisible(chromedp.ID("new-quick-connect-form")))
	hidden := func(typ string) bool {
		t.Helper()
		h, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('fieldset[data-type="`+typ+`"]').hidden`))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if hidden("QUEUE") || !hidden("USER") || !hidden("PHONE_NUMBER") || !hidden("FLOW") {
		t.Error("the new quick connect form does not show only the QUEUE fields")
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('type'); s.value = 'PHONE_NUMBER';
		s.dispatchEvent(new Event('change')); return true })()`)); err != nil {
		t.Fatal(err)
	}
	if !hidden("QUEUE") || hidden("PHONE_NUMBER") {
		t.Error("choosing PHONE_NUMBER does not show the number field instead")
	}
	b.shot("routing-04-quick-connect-phone")
	b.do("fill the quick connect",
		chromedp.SendKeys(chromedp.ID("name"), "To billing"),
		chromedp.SetValue(chromedp.ID("type"), "QUEUE"),
		chromedp.SetValue(chromedp.ID("queue"), billing),
		chromedp.SetValue(chromedp.ID("queue_flow"), f.routing["acme/Default queue transfer"]),
	)
	b.do("create the quick connect", chromedp.Click(chromedp.ID("create-quick-connect")), chromedp.WaitVisible(chromedp.ID("quick-connect-name")))
	if got := b.text("notice"); got != notices["quick-connect-created"] {
		t.Errorf("notice %q", got)
	}
	qc := strings.TrimPrefix(b.location(), "/ui/admin/quick-connects/")
	b.shot("routing-05-quick-connect")

	// BasicQueue offers its agents the new quick connect.
	basicPage := origin + "/ui/admin/queues/" + f.routing["acme/BasicQueue"]
	b.do("add the quick connect to BasicQueue", chromedp.Navigate(basicPage), chromedp.WaitVisible(chromedp.ID("queue-add-quick-connect-form")),
		chromedp.SetValue(chromedp.ID("add-quick-connect"), qc), chromedp.Click(chromedp.ID("add-queue-quick-connect")),
		chromedp.WaitVisible(chromedp.ID("notice")))
	if got := b.text("queue-quick-connects"); !strings.Contains(got, "To billing") {
		t.Errorf("BasicQueue's quick connects: %q", got)
	}
	b.shot("routing-06-basic-queue")

	// The Basic Routing Profile takes Billing on CHAT and TASK.
	b.do("routing profiles", chromedp.Navigate(origin+"/ui/admin/"), chromedp.WaitVisible(chromedp.ID("link-admin-routing-profiles")),
		chromedp.Click(chromedp.ID("link-admin-routing-profiles")), chromedp.WaitVisible(chromedp.ID("routing-profiles")))
	b.shot("routing-07-routing-profiles")
	b.do("open the Basic Routing Profile", chromedp.Click(chromedp.CSS(`a.routing-profile-link`)), chromedp.WaitVisible(chromedp.ID("routing-profile-add-queues-form")))
	b.do("add Billing",
		chromedp.SetValue(chromedp.ID("add-queue"), billing),
		chromedp.Click(chromedp.ID("entry-VOICE")),
		chromedp.SetValue(chromedp.ID("priority"), "2"),
		chromedp.SetValue(chromedp.ID("delay"), "30"),
	)
	b.shot("routing-08-add-queue")
	b.do("save", chromedp.Click(chromedp.ID("add-routing-profile-queue")), chromedp.WaitVisible(chromedp.ID("notice")))
	if got := b.text("notice"); got != notices["routing-profile-updated"] {
		t.Errorf("notice %q", got)
	}
	if got := b.text("routing-profile-queues"); strings.Count(got, "Billing") != 2 {
		t.Errorf("the profile's queues: %q", got)
	}
	b.shot("routing-09-routing-profile")

	// Billing is disabled.
	b.do("disable Billing", chromedp.Navigate(origin+billingPage), chromedp.WaitVisible(chromedp.ID("disable-queue")),
		chromedp.Click(chromedp.ID("disable-queue")), chromedp.WaitVisible(chromedp.ID("enable-queue")))
	b.shot("routing-10-queue-disabled")

	// The store holds it all.
	q, err := f.queueOf(testInstanceID, billing)
	if err != nil || q.Name != "Billing" || q.Description != "Invoices and refunds" || q.MaxContacts != 25 ||
		q.HoursOfOperationID != hoursID || q.Status != routing.QueueDisabled {
		t.Errorf("Billing: %+v, %v", q, err)
	}
	var hours routing.HoursRecord
	if err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		hours, err = tx.GetHours(ctx, testInstanceID, hoursID)
		return err
	}); err != nil || hours.Name != "Billing hours" || hours.TimeZone != "Europe/Berlin" || len(hours.Config) != 6 ||
		hours.Config[5] != (routing.HoursConfig{Day: time.Saturday, Start: routing.TimeOfDay{Hours: 9}, End: routing.TimeOfDay{Hours: 12, Minutes: 30}}) {
		t.Errorf("Billing hours: %+v, %v", hours, err)
	}
	c, err := f.quickConnect(qc)
	if err != nil || c.Name != "To billing" || c.Type != routing.QuickConnectQueue || c.QueueID != billing || c.ContactFlowID != f.routing["acme/Default queue transfer"] {
		t.Errorf("To billing: %+v, %v", c, err)
	}
	if got := f.queueQuickConnects(testInstanceID, f.routing["acme/BasicQueue"]); !slices.Equal(got, []string{qc}) {
		t.Errorf("BasicQueue's quick connects: %v", got)
	}
	p := f.routingProfileOf(testInstanceID, f.routing["acme/"+provision.BasicRoutingProfileName])
	var got []routing.ProfileQueue
	for _, e := range p.Queues {
		if e.QueueID == billing {
			got = append(got, e)
		}
	}
	if want := []routing.ProfileQueue{{QueueID: billing, Channel: routing.ChannelChat, Priority: 2, DelaySeconds: 30},
		{QueueID: billing, Channel: routing.ChannelTask, Priority: 2, DelaySeconds: 30}}; !slices.Equal(got, want) {
		t.Errorf("Billing in the Basic Routing Profile: %+v, want %+v", got, want)
	}
	// CreateHoursOfOperation, CreateQueue, AssociateRoutingProfileQueues and
	// UpdateQueueStatus refresh the router.
	if n := rc.count(testInstanceID); n != 4 {
		t.Errorf("%d router refreshes, want 4", n)
	}
}
