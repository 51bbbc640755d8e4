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
	"github.com/ringfence/ringfence/secret"
)

// TestChromiumAdminPages drives Chromium through the admin pages: the administrator signs
// in (TOTP enrolment with the code computed from the key the page shows), opens Users from
// the account page, creates a user with a typed password and the Agent profile, opens the
// Viewer security profile, ticks Users.Edit and saves; then the new user signs in with its
// password. Every response must carry the CSP and any console error, exception or CSP
// violation fails the test. Screenshots go to the test's temporary directory (kept when
// RINGFENCE_SCREENSHOTS names a directory).
func TestChromiumAdminPages(t *testing.T) {
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
	f := newAdminFixture(t, func(c *Config) { c.PublicOrigin = origin })
	srv := httptest.NewUnstartedServer(f.h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	shots := t.TempDir()
	if d := os.Getenv("RINGFENCE_SCREENSHOTS"); d != "" {
		shots = d
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1100, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	b := &browserRun{t: t, ctx: ctx, origin: origin, shots: shots}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	defer func() { t.Logf("screenshots in %s; %d responses checked for the CSP", shots, b.checked) }()

	// The administrator signs in and sets up an authenticator app.
	b.signIn("sign in", "admin", testPassword, "enrol-form")
	code, err := identity.TOTPCode(secret.New(b.text("totp-secret")), f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.do("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("continue")))
	b.do("continue", chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("admin-links")))
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
