package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/store"
)

// adminForms are valid forms for each admin POST route, so a refusal cannot be blamed on the
// input.
func adminForms(f *adminFixture) map[string]url.Values {
	return map[string]url.Values{
		"POST /ui/admin/users": {"username": {"probe"}, "first_name": {"P"}, "last_name": {"Q"}, "phone_type": {"SOFT_PHONE"},
			"profile": {f.profiles["acme/Agent"]}, "routing_profile": {provision.BasicRoutingProfileID(testInstanceID)}, "password_mode": {"generate"}},
		"POST /ui/admin/users/{user}/identity-info":         {"first_name": {"X"}, "last_name": {"Y"}},
		"POST /ui/admin/users/{user}/phone-config":          {"phone_type": {"SOFT_PHONE"}, "acw": {"5"}},
		"POST /ui/admin/users/{user}/routing-profile":       {"routing_profile": {provision.BasicRoutingProfileID(testInstanceID)}},
		"POST /ui/admin/users/{user}/security-profiles":     {"profile": {f.profiles["acme/Admin"]}},
		"POST /ui/admin/users/{user}/status":                {"disabled": {"true"}},
		"POST /ui/admin/users/{user}/password":              {"password_mode": {"generate"}},
		"POST /ui/admin/users/{user}/delete":                {"confirm": {"yes"}},
		"POST /ui/admin/security-profiles":                  {"name": {"Probe"}, "perm": {"Users.View"}},
		"POST /ui/admin/security-profiles/{profile}":        {"description": {"probed"}, "perm": {"Users.View"}},
		"POST /ui/admin/security-profiles/{profile}/delete": {},
		"POST /ui/admin/authentication-profiles":            {"name": {"Probe networks"}},
		"POST /ui/admin/authentication-profiles/{profile}": {"blocked_ips": {"0.0.0.0/0"}, "session_minutes": {"60"}, "idle_minutes": {"10"},
			"reauth_minutes": {"0"}},
		"POST /ui/admin/authentication-profiles/{profile}/users":               {"user": {f.users["agent"]}},
		"POST /ui/admin/authentication-profiles/{profile}/users/{user}/remove": {},
		"POST /ui/admin/authentication-profiles/{profile}/delete":              {},
		"POST /ui/admin/agent-statuses":                                        {"name": {"Lunch"}, "description": {"a break"}, "state": {"ENABLED"}, "display_order": {"3"}},
		"POST /ui/admin/agent-statuses/{agentstatus}":                          {"name": {"Available"}, "description": {"probed"}, "state": {"ENABLED"}, "display_order": {"1"}},
		"POST /ui/admin/hours": {"name": {"Probe hours"}, "time_zone": {"Europe/Berlin"}, "day": {"MONDAY", ""}, "start": {"08:00", ""},
			"end": {"16:30", ""}},
		"POST /ui/admin/hours/{hours}": {"name": {"Basic Hours"}, "description": {"probed"}, "time_zone": {"UTC"}, "day": {"SUNDAY", "MONDAY"},
			"start": {"00:00", "00:00"}, "end": {"00:00", "00:00"}},
		"POST /ui/admin/queues":                                              {"name": {"Probe queue"}, "description": {"probe"}, "hours": {f.routing["acme/Basic Hours"]}, "max_contacts": {"5"}},
		"POST /ui/admin/queues/{queue}/name":                                 {"name": {"Sales"}, "description": {"probed"}},
		"POST /ui/admin/queues/{queue}/hours":                                {"hours": {f.routing["acme/Basic Hours"]}},
		"POST /ui/admin/queues/{queue}/max-contacts":                         {"max_contacts": {"10"}},
		"POST /ui/admin/queues/{queue}/status":                               {"status": {"DISABLED"}},
		"POST /ui/admin/queues/{queue}/quick-connects":                       {"quick_connect": {f.routing["acme/To sales"]}},
		"POST /ui/admin/queues/{queue}/quick-connects/{quickconnect}/remove": {},
		"POST /ui/admin/quick-connects": {"name": {"Probe connect"}, "type": {"QUEUE"}, "queue": {f.routing["acme/Sales"]},
			"queue_flow": {f.routing["acme/Default queue transfer"]}},
		"POST /ui/admin/quick-connects/{quickconnect}/name":   {"name": {"To sales"}, "description": {"probed"}},
		"POST /ui/admin/quick-connects/{quickconnect}/config": {"type": {"PHONE_NUMBER"}, "phone": {"+12065550100"}},
		"POST /ui/admin/quick-connects/{quickconnect}/delete": {},
		"POST /ui/admin/routing-profiles": {"name": {"Probe profile"}, "description": {"probe"}, "outbound_queue": {f.routing["acme/BasicQueue"]},
			"channel": {"VOICE", "CHAT"}, "conc_VOICE": {"1"}, "conc_CHAT": {"2"}, "queue": {f.routing["acme/Sales"]}, "entry_channel": {"CHAT"},
			"priority": {"1"}, "delay": {"0"}},
		"POST /ui/admin/routing-profiles/{routingprofile}/name":                   {"name": {"Basic Routing Profile"}, "description": {"probed"}},
		"POST /ui/admin/routing-profiles/{routingprofile}/default-outbound-queue": {"outbound_queue": {f.routing["acme/Sales"]}},
		"POST /ui/admin/routing-profiles/{routingprofile}/concurrency": {"channel": {"VOICE", "CHAT", "TASK"}, "conc_VOICE": {"1"},
			"conc_CHAT": {"3"}, "conc_TASK": {"1"}},
		"POST /ui/admin/routing-profiles/{routingprofile}/queues": {"queue": {f.routing["acme/Sales"]}, "entry_channel": {"CHAT"},
			"priority": {"2"}, "delay": {"5"}},
		"POST /ui/admin/routing-profiles/{routingprofile}/queues/update": {"queue": {f.routing["acme/BasicQueue"]}, "channel": {"VOICE"},
			"priority": {"3"}, "delay": {"10"}},
		"POST /ui/admin/routing-profiles/{routingprofile}/queues/remove": {"queue": {f.routing["acme/BasicQueue"]}, "channel": {"TASK"}},
		// The fixture's hours are Basic Hours, which BasicQueue uses, and its routing profile is
		// the default: both deletes are refused on the resource's state (409), after the checks
		// the walkers make.
		"POST /ui/admin/hours/{hours}/delete":                     {},
		"POST /ui/admin/routing-profiles/{routingprofile}/delete": {},
	}
}

// TestAdminPagesRefuseAgent: an Agent's session is refused every admin page and action with
// 403 and one audit event naming the action and the missing permission; nothing changes.
func TestAdminPagesRefuseAgent(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "agent")
	home := c.get("/ui/")
	if strings.Contains(home.body, "/ui/admin/") {
		t.Error("the account page links an Agent to the admin pages")
	}
	token := csrfMeta.FindStringSubmatch(home.body)[1]
	target, profile := f.users["admin"], f.profiles["acme/Admin"]
	forms := adminForms(f)
	for _, rt := range adminRoutes() {
		t.Run(rt.pattern, func(t *testing.T) {
			code := adminEventCode(cmp.Or(rt.action, actionAdminIndex))
			before := len(f.events(code))
			method, path := f.adminPath(rt.pattern, testAlias, target, profile)
			var form url.Values
			if method == http.MethodPost {
				form = url.Values{"csrf": {token}}
				for k, v := range forms[rt.pattern] {
					form[k] = v
				}
			}
			res := c.do(method, path, form, nil)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, AdminDeniedMessage) {
				t.Fatalf("status %d, want 403 with the refusal:\n%.400s", res.StatusCode, res.body)
			}
			evs := f.events(code)
			if len(evs) != before+1 {
				t.Fatalf("%d %s events, want 1 more", len(evs)-before, code)
			}
			ev := evs[len(evs)-1]
			if ev.Outcome != audit.OutcomeFailure || ev.ErrorCode != "AccessDeniedException" || ev.Actor != userActor(testInstanceID, f.users["agent"]) ||
				ev.InstanceID != testInstanceID || ev.Details["authz"] == "" || ev.SourceIP != "198.51.100.7" {
				t.Errorf("refusal event %+v", ev)
			}
		})
	}
	// The agent's own record is the authorizer's one self exception (DescribeUser); the
	// admin pages still refuse it, for want of a second factor.
	res := c.get("/ui/admin/users/" + f.users["agent"])
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, AdminMFAMessage) {
		t.Errorf("agent's own user page: %d\n%.300s", res.StatusCode, res.body)
	}
	// Nothing changed.
	if u, err := f.user(target); err != nil || u.IdentityInfo.FirstName != "First admin" || u.Disabled {
		t.Errorf("the administrator after the probes: %+v, %v", u, err)
	}
	if _, err := f.userByName("probe"); err == nil {
		t.Error("a refused create made a user")
	}
}

// TestAdminPagesNeedSecondFactor: a user allowed to view users but whose profile does not
// require MFA (so its session passed none) is refused the admin pages.
func TestAdminPagesNeedSecondFactor(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "viewer")
	if home := c.get("/ui/"); strings.Contains(home.body, "/ui/admin/") {
		t.Error("the account page links the admin pages to a session without a second factor")
	}
	for _, path := range []string{"/ui/admin/", "/ui/admin/users"} {
		res := c.get(path)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, AdminMFAMessage) {
			t.Errorf("GET %s: %d\n%.300s", path, res.StatusCode, res.body)
		}
	}
	evs := f.events("web.admin.ListUsers")
	if len(evs) != 1 || evs[0].Outcome != audit.OutcomeFailure || evs[0].Details["reason"] != "second factor not passed" {
		t.Errorf("refusal events %+v", evs)
	}
}

// TestAdminPagesCSRFRefused: every admin POST without the session's token, with another
// session's, or from another site is refused and audited, and changes nothing.
func TestAdminPagesCSRFRefused(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	other := f.client(t)
	f.signIn(other, "agent")
	otherToken := csrfMeta.FindStringSubmatch(other.get("/ui/").body)[1]
	good := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	forms := adminForms(f)
	for _, rt := range adminRoutes() {
		method, path := f.adminPath(rt.pattern, testAlias, f.users["agent"], f.profiles["acme/Viewer"])
		if method != http.MethodPost {
			continue
		}
		for _, tc := range []struct {
			name  string
			token string
			hdr   http.Header
		}{
			{"no token", "", nil},
			{"another session's token", otherToken, nil},
			{"cross-site", good, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}},
		} {
			t.Run(rt.pattern+" "+tc.name, func(t *testing.T) {
				before := len(f.events("web.csrf_refused"))
				form := url.Values{}
				for k, v := range forms[rt.pattern] {
					form[k] = v
				}
				if tc.token != "" {
					form.Set("csrf", tc.token)
				}
				res := c.do(method, path, form, tc.hdr)
				if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, csrfMessage) {
					t.Fatalf("status %d, want 403 with the CSRF refusal:\n%.300s", res.StatusCode, res.body)
				}
				if got := len(f.events("web.csrf_refused")); got != before+1 {
					t.Errorf("%d refusal events, want 1", got-before)
				}
			})
		}
	}
	if u, err := f.user(f.users["agent"]); err != nil || u.Disabled || u.IdentityInfo.FirstName != "First agent" {
		t.Errorf("the agent after refused requests: %+v, %v", u, err)
	}
	if res := c.get("/ui/admin/users"); res.StatusCode != http.StatusOK {
		t.Errorf("the administrator's session after refused requests: %d", res.StatusCode)
	}
}

// TestAdminPagesCSPAndHeaders: every admin page carries the CSP, no-store and the other
// headers, and its template no inline code (TestTemplatesHaveNoInlineCode covers the files).
func TestAdminPagesCSPAndHeaders(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	home := c.get("/ui/")
	for _, id := range []string{"link-admin-users", "link-admin-profiles", "link-admin-authprofile", "link-admin-queues",
		"link-admin-routing-profiles", "link-admin-quick-connects", "link-admin-hours", "link-admin-agent-statuses"} {
		if !strings.Contains(home.body, `id="`+id+`"`) {
			t.Errorf("the account page lacks %s for the administrator", id)
		}
	}
	for _, rt := range adminRoutes() {
		profile := f.profiles["acme/Agent"]
		if strings.Contains(rt.pattern, "/authentication-profiles/") {
			profile = identity.DefaultAuthenticationProfileID(testInstanceID)
		}
		method, path := f.adminPath(rt.pattern, testAlias, f.users["agent"], profile)
		if method != http.MethodGet || path == "/ui/admin/authentication-profile" {
			continue // the former single-profile page redirects (TestAdminAuthenticationProfile)
		}
		t.Run(path, func(t *testing.T) {
			res := c.get(path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d:\n%.300s", res.StatusCode, res.body)
			}
			for k, v := range map[string]string{"Content-Security-Policy": ContentSecurityPolicy, "Cache-Control": "no-store",
				"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(res.body, `<meta name="csrf-token"`) || strings.Contains(res.body, "<script>") {
				t.Error("page lacks the CSRF meta element or has inline script")
			}
			// Each page view is audited under its action.
			if evs := f.events(adminEventCode(cmp.Or(rt.action, actionAdminIndex))); rt.action != "" &&
				(len(evs) == 0 || evs[len(evs)-1].Outcome != audit.OutcomeSuccess) {
				t.Errorf("no successful %s event", rt.action)
			}
		})
	}
}

// TestAdminUserTextRenderedAsText: names, descriptions and usernames typed by people reach
// the admin pages as text.
func TestAdminUserTextRenderedAsText(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	markup := `<img src=x onerror=alert(1)>"</td><script>alert(2)</script>`
	token := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	res := c.post("/ui/admin/users/"+f.users["agent"]+"/identity-info", url.Values{"csrf": {token}, "first_name": {markup}, "last_name": {markup}})
	wantRedirect(t, res, "/ui/admin/users/"+f.users["agent"]+"?notice=user-updated")
	res = c.post("/ui/admin/security-profiles/"+f.profiles["acme/Viewer"], url.Values{"csrf": {token}, "description": {markup}, "perm": {"Users.View"}})
	wantRedirect(t, res, "/ui/admin/security-profiles/"+f.profiles["acme/Viewer"]+"?notice=profile-updated")
	escaped := "&lt;img src=x onerror=alert(1)&gt;&#34;&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
	for _, path := range []string{"/ui/admin/users", "/ui/admin/users?q=" + url.QueryEscape("<img"), "/ui/admin/users/" + f.users["agent"],
		"/ui/admin/security-profiles", "/ui/admin/security-profiles/" + f.profiles["acme/Viewer"]} {
		res := c.get(path)
		if strings.Contains(res.body, "<img src=x") || strings.Contains(res.body, "<script>alert") {
			t.Errorf("markup reached %s", path)
		}
		if !strings.Contains(res.body, escaped) {
			t.Errorf("%s does not show the text escaped", path)
		}
	}
	// A refused form shows back what was typed, as text too.
	res = c.post("/ui/admin/security-profiles", url.Values{"csrf": {token}, "name": {markup}})
	if res.StatusCode != http.StatusBadRequest || strings.Contains(res.body, "<img src=x") || !strings.Contains(res.body, "&lt;img src=x") {
		t.Errorf("refused profile name: %d\n%.500s", res.StatusCode, res.body)
	}
}

var shownPasswordRe = regexp.MustCompile(`<code id="shown-password" class="codes">([A-Za-z0-9]+)</code>`)

// TestAdminUserLifecycle: the administrator creates users with a typed and a generated
// password (the policy applies, refusals keep nothing), edits each part of a user, disables
// and enables it, sets its password and deletes it; the user's sessions end at each step
// that says so, and every action is audited.
func TestAdminUserLifecycle(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	token := csrfMeta.FindStringSubmatch(c.get("/ui/admin/users/new").body)[1]
	base := url.Values{"csrf": {token}, "username": {"new.agent"}, "first_name": {"Nia"}, "last_name": {"Agent"},
		"email": {"nia@example.com"}, "phone_type": {"SOFT_PHONE"}, "acw": {"30"}, "profile": {f.profiles["acme/Agent"]},
		"routing_profile": {provision.BasicRoutingProfileID(testInstanceID)}, "password_mode": {"type"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = slices.Clone(x)
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	// Refusals: a common password, a mismatch, a bad field, a profile of another instance.
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"common password", with("password", "Password2024!", "password_confirm", "Password2024!"), 400, "too common"},
		{"mismatch", with("password", "amber falcon riverbank", "password_confirm", "amber falcon riverbed"), 400, "differ"},
		{"bad email", with("password", "amber falcon riverbank", "password_confirm", "amber falcon riverbank", "email", "not-an-email"), 400, "IdentityInfo.Email"},
		{"other instance's profile", with("password", "amber falcon riverbank", "password_confirm", "amber falcon riverbank", "profile", f.profiles["other/Agent"]), 400, "not exist"},
		{"taken username", with("password", "amber falcon riverbank", "password_confirm", "amber falcon riverbank", "username", "AGENT"), 409, "already"},
	} {
		res := c.post("/ui/admin/users", tc.form)
		if res.StatusCode != tc.status || !strings.Contains(res.body, tc.msg) {
			t.Errorf("%s: %d, want %d with %q\n%.600s", tc.name, res.StatusCode, tc.status, tc.msg, res.body)
		}
		if strings.Contains(res.body, "amber falcon") || strings.Contains(res.body, "Password2024") {
			t.Errorf("%s: the page shows the typed password back", tc.name)
		}
	}
	if _, err := f.userByName("new.agent"); err == nil {
		t.Fatal("a refused form created the user")
	}
	failures := 0
	for _, ev := range f.events("web.admin.CreateUser") {
		if ev.Outcome == audit.OutcomeFailure {
			failures++
		}
	}
	if failures != 5 {
		t.Errorf("%d failed CreateUser events after the refusals, want 5", failures)
	}

	// Created with a typed password: the new user signs in with it.
	res := c.post("/ui/admin/users", with("password", "amber falcon riverbank", "password_confirm", "amber falcon riverbank"))
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?notice=user-created") {
		t.Fatalf("create: %d %s\n%.500s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	u, err := f.userByName("new.agent")
	if err != nil || u.IdentityInfo.Email != "nia@example.com" || u.PhoneConfig.AfterContactWorkTimeLimit != 30 ||
		!slices.Equal(u.SecurityProfileIDs, []string{f.profiles["acme/Agent"]}) || u.MFAEnrollmentRequired {
		t.Fatalf("created user %+v, %v", u, err)
	}
	nc := f.client(t)
	wantRedirect(t, nc.login("new.agent", "amber falcon riverbank"), "/ui/")

	// Created with a generated password, shown once: it signs in with it.
	res = c.post("/ui/admin/users", with("username", "gen.agent", "password_mode", "generate"))
	m := shownPasswordRe.FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create with a generated password: %d\n%.500s", res.StatusCode, res.body)
	}
	wantRedirect(t, f.client(t).login("gen.agent", m[1]), "/ui/")
	if evs := f.events("web.admin.CreateUser"); evs[len(evs)-1].Details["password"] != "generated" || strings.Contains(evs[len(evs)-1].Details["password"], m[1]) {
		t.Errorf("create event details %v", evs[len(evs)-1].Details)
	}

	page := "/ui/admin/users/" + u.ID
	post := func(action string, form url.Values) response {
		t.Helper()
		form.Set("csrf", token)
		return c.post(page+"/"+action, form)
	}
	wantRedirect(t, post("identity-info", url.Values{"first_name": {"Nina"}, "last_name": {"Agent"}, "mobile": {"+14155550100"}}), page+"?notice=user-updated")
	wantRedirect(t, post("phone-config", url.Values{"phone_type": {"DESK_PHONE"}, "desk_phone": {"+14155550101"}, "auto_accept": {"on"}, "acw": {"0"}}), page+"?notice=user-updated")
	if res := post("phone-config", url.Values{"phone_type": {"DESK_PHONE"}, "acw": {"77"}}); res.StatusCode != 400 || !strings.Contains(res.body, "DeskPhoneNumber is required") ||
		!strings.Contains(res.body, `name="acw" inputmode="numeric" maxlength="7" value="77"`) || !strings.Contains(res.body, `value="Nina"`) {
		t.Errorf("desk phone without a number: %d, or the page lost what was typed or stored\n%.2000s", res.StatusCode, res.body)
	}
	if res := post("routing-profile", url.Values{"routing_profile": {"11111111-2222-4333-8444-555555555555"}}); res.StatusCode != 400 {
		t.Errorf("unknown routing profile: %d", res.StatusCode)
	}
	wantRedirect(t, post("routing-profile", url.Values{"routing_profile": {provision.BasicRoutingProfileID(testInstanceID)}}), page+"?notice=user-updated")
	if res := post("security-profiles", url.Values{}); res.StatusCode != 400 || !strings.Contains(res.body, "SecurityProfileIds") {
		t.Errorf("no security profile: %d", res.StatusCode)
	}
	// New profiles end the user's sessions; an administrative one needs enrolment.
	wantRedirect(t, post("security-profiles", url.Values{"profile": {f.profiles["acme/Agent"], f.profiles["acme/CallCenterManager"]}}), page+"?notice=user-updated")
	u, _ = f.user(u.ID)
	if u.IdentityInfo.FirstName != "Nina" || u.IdentityInfo.Mobile != "+14155550100" || u.PhoneConfig.PhoneType != identity.PhoneTypeDeskPhone ||
		!u.PhoneConfig.AutoAccept || len(u.SecurityProfileIDs) != 2 || !u.MFAEnrollmentRequired {
		t.Errorf("after the edits: %+v", u)
	}
	if res := nc.get("/ui/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the user's session after its profiles changed: %d, want it ended", res.StatusCode)
	}
	if evs := f.events("web.admin.UpdateUserSecurityProfiles"); evs[len(evs)-1].Details["sessions_ended"] != "1" {
		t.Errorf("security profile event details %v", evs[len(evs)-1].Details)
	}
	wantRedirect(t, post("security-profiles", url.Values{"profile": {f.profiles["acme/Agent"]}}), page+"?notice=user-updated")

	// Disable ends its session and refuses sign-in; enable lets it back.
	nc = f.client(t)
	wantRedirect(t, nc.login("new.agent", "amber falcon riverbank"), "/ui/")
	wantRedirect(t, post("status", url.Values{"disabled": {"true"}}), page+"?notice=user-disabled")
	if res := nc.get("/ui/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("disabled user's session: %d", res.StatusCode)
	}
	if res := f.client(t).login("new.agent", "amber falcon riverbank"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled user's sign-in: %d", res.StatusCode)
	}
	wantRedirect(t, post("status", url.Values{"disabled": {"false"}}), page+"?notice=user-enabled")

	// A new password: typed (policy applies), then generated; each ends the sessions.
	nc = f.client(t)
	wantRedirect(t, nc.login("new.agent", "amber falcon riverbank"), "/ui/")
	if res := post("password", url.Values{"password_mode": {"type"}, "password": {"qwertyuiopasd"}, "password_confirm": {"qwertyuiopasd"}}); res.StatusCode != 400 {
		t.Errorf("weak reset password: %d", res.StatusCode)
	}
	wantRedirect(t, post("password", url.Values{"password_mode": {"type"}, "password": {"copper lantern meadow"}, "password_confirm": {"copper lantern meadow"}}),
		page+"?notice=password-reset")
	if res := nc.get("/ui/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("session after the password reset: %d, want it ended", res.StatusCode)
	}
	if res := f.client(t).login("new.agent", "amber falcon riverbank"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after reset: %d", res.StatusCode)
	}
	wantRedirect(t, f.client(t).login("new.agent", "copper lantern meadow"), "/ui/")
	res = post("password", url.Values{"password_mode": {"generate"}})
	if m = shownPasswordRe.FindStringSubmatch(res.body); res.StatusCode != 200 || m == nil {
		t.Fatalf("generated reset: %d", res.StatusCode)
	}
	wantRedirect(t, f.client(t).login("new.agent", m[1]), "/ui/")

	// Not on oneself.
	self := "/ui/admin/users/" + f.users["admin"]
	for _, action := range []string{"status", "password", "delete"} {
		res := c.post(self+"/"+action, url.Values{"csrf": {token}, "disabled": {"true"}, "confirm": {"yes"}, "password_mode": {"generate"}})
		if res.StatusCode != 400 || !strings.Contains(res.body, "your own user") {
			t.Errorf("%s on oneself: %d", action, res.StatusCode)
		}
	}

	// Delete: needs the box ticked; ends the session.
	nc = f.client(t)
	wantRedirect(t, nc.login("new.agent", m[1]), "/ui/")
	if res := post("delete", url.Values{}); res.StatusCode != 400 {
		t.Errorf("delete without confirmation: %d", res.StatusCode)
	}
	wantRedirect(t, post("delete", url.Values{"confirm": {"yes"}}), "/ui/admin/users?notice=user-deleted")
	if _, err := f.user(u.ID); err == nil {
		t.Error("the user is still there")
	}
	if res := nc.get("/ui/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("deleted user's session: %d", res.StatusCode)
	}
	if res := c.get(page); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted user's page: %d", res.StatusCode)
	}
	for _, code := range []string{"UpdateUserIdentityInfo", "UpdateUserPhoneConfig", "UpdateUserRoutingProfile", "UpdateUserSecurityProfiles",
		"EnableDisableUser", "ResetUserPassword", "DeleteUser"} {
		if !slices.ContainsFunc(f.events("web.admin."+code), func(ev audit.Event) bool {
			return ev.Outcome == audit.OutcomeSuccess && ev.Resource == "arn:aws:connect:us-east-1:123456789012:instance/"+testInstanceID+"/agent/"+u.ID
		}) {
			t.Errorf("no successful web.admin.%s event about the user", code)
		}
	}
}

// TestAdminUserListSearchAndPaging: the list is in username order, pages by adminPageSize
// and searches usernames and names.
func TestAdminUserListSearchAndPaging(t *testing.T) {
	f := newAdminFixture(t)
	for i := range adminPageSize + 5 {
		f.createUser(testInstanceID, fmt.Sprintf("bulk%03d", i), f.profiles["acme/Agent"], testPassword)
	}
	c := f.client(t)
	f.signIn(c, "admin")
	var all []string
	next := "/ui/admin/users"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		res := c.get(next)
		for _, m := range regexp.MustCompile(`class="user-link">([^<]+)</a>`).FindAllStringSubmatch(res.body, -1) {
			all = append(all, m[1])
		}
		next = ""
		if m := regexp.MustCompile(`href="(/ui/admin/users\?[^"]+)" id="next-page"`).FindStringSubmatch(res.body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(all) != adminPageSize+5+3 || !slices.IsSorted(all) || all[0] != "admin" {
		t.Errorf("listed %d users (sorted %v), first %q", len(all), slices.IsSorted(all), all[0])
	}
	res := c.get("/ui/admin/users?q=BULK01")
	if got := regexp.MustCompile(`class="user-link">([^<]+)</a>`).FindAllStringSubmatch(res.body, -1); len(got) != 10 {
		t.Errorf("search bulk01: %d users", len(got))
	}
	if res := c.get("/ui/admin/users?q=stranger"); strings.Contains(res.body, "user-link") {
		t.Error("search found another instance's user")
	}
}

// TestAdminSecurityProfiles: create with grouped permissions, edit, refuse unknown names,
// refuse deleting a profile users hold, delete an unused one.
func TestAdminSecurityProfiles(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	page := c.get("/ui/admin/security-profiles/new")
	token := csrfMeta.FindStringSubmatch(page.body)[1]
	for _, cat := range identity.PermissionCategories() {
		if !strings.Contains(page.body, "<legend>"+cat+"</legend>") {
			t.Errorf("the permission form lacks the category %q", cat)
		}
	}
	res := c.post("/ui/admin/security-profiles", url.Values{"csrf": {token}, "name": {"Tier 2"}, "description": {"second line"},
		"perm": {"Users.View", "RealTimeMetrics.Access", "Users.View"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%.400s", res.StatusCode, res.body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Location"), "/ui/admin/security-profiles/"), "?notice=profile-created")
	p := f.profile(id)
	if p.Name != "Tier 2" || !slices.Equal(p.Permissions, []string{"AccessMetrics.RealTimeMetrics.Access", "Users.View"}) {
		t.Fatalf("created profile %+v", p)
	}
	view := c.get("/ui/admin/security-profiles/" + id)
	if !strings.Contains(view.body, `value="Users.View" checked`) || strings.Contains(view.body, `value="Users.Edit" checked`) {
		t.Error("the profile page does not tick exactly its permissions")
	}
	for _, tc := range []struct {
		name string
		path string
		form url.Values
		code int
		msg  string
	}{
		{"unknown permission", "/ui/admin/security-profiles/" + id, url.Values{"perm": {"Users.Fly"}}, 400, "Users.Fly"},
		{"duplicate name", "/ui/admin/security-profiles", url.Values{"name": {"Tier 2"}}, 409, "Tier 2"},
		{"bad name", "/ui/admin/security-profiles", url.Values{"name": {"bad/name"}}, 400, "SecurityProfileName"},
		{"held profile", "/ui/admin/security-profiles/" + f.profiles["acme/Agent"] + "/delete", url.Values{}, 409, "held by 1 user"},
		{"other instance's profile", "/ui/admin/security-profiles/" + f.profiles["other/Agent"], url.Values{"perm": {"Users.View"}}, 404, ""},
	} {
		tc.form.Set("csrf", token)
		res := c.post(tc.path, tc.form)
		if res.StatusCode != tc.code || !strings.Contains(res.body, tc.msg) {
			t.Errorf("%s: %d, want %d with %q\n%.400s", tc.name, res.StatusCode, tc.code, tc.msg, res.body)
		}
	}
	wantRedirect(t, c.post("/ui/admin/security-profiles/"+id, url.Values{"csrf": {token}, "description": {"edited"}, "perm": {"Users.Edit", "Users.View"}}),
		"/ui/admin/security-profiles/"+id+"?notice=profile-updated")
	if p := f.profile(id); p.Description != "edited" || !slices.Equal(p.Permissions, []string{"Users.Edit", "Users.View"}) {
		t.Errorf("after the update: %+v", p)
	}
	if evs := f.events("web.admin.UpdateSecurityProfile"); evs[len(evs)-1].Details["permissions_after"] != "2" {
		t.Errorf("update event %+v", evs[len(evs)-1])
	}
	if p := f.otherProfile(f.profiles["other/Agent"]); !slices.Equal(p.Permissions, []string{"BasicAgentAccess", "OutboundCallAccess"}) {
		t.Errorf("another instance's profile changed: %+v", p)
	}
	wantRedirect(t, c.post("/ui/admin/security-profiles/"+id+"/delete", url.Values{"csrf": {token}}), "/ui/admin/security-profiles?notice=profile-deleted")
	if res := c.get("/ui/admin/security-profiles/" + id); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted profile: %d", res.StatusCode)
	}
}

// TestAdminAuthenticationProfile: the network rules and timeouts are changed and applied;
// bad input and a rule that would lock the administrator out are refused.
func TestAdminAuthenticationProfile(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	agent := f.client(t)
	agent.remote = "203.0.113.9:5000"
	f.signIn(agent, "agent")
	wantRedirect(t, c.get("/ui/admin/authentication-profile"), "/ui/admin/authentication-profiles/"+identity.DefaultAuthenticationProfileID(testInstanceID))
	defPath := "/ui/admin/authentication-profiles/" + identity.DefaultAuthenticationProfileID(testInstanceID)
	page := c.get(defPath)
	token := csrfMeta.FindStringSubmatch(page.body)[1]
	if !strings.Contains(page.body, `<code id="own-address">198.51.100.7</code>`) {
		t.Error("the page does not show the administrator's own address")
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {token}, "session_minutes": {"600"}, "idle_minutes": {"20"}, "reauth_minutes": {"0"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		name string
		form url.Values
		msg  string
	}{
		{"bad range", form("blocked_ips", "10.0.0.0/8\nnot-a-range"), "Blocked networks"},
		{"own address blocked", form("blocked_ips", "198.51.100.0/24"), "your own address 198.51.100.7"},
		{"own address not allowed", form("allowed_ips", "10.0.0.0/8"), "your own address"},
		{"idle too long", form("idle_minutes", "721"), "Idle timeout must be 1 to 720 minutes"},
		{"session not a number", form("session_minutes", "ten"), "Session duration must be a whole number"},
		{"reauthentication too short", form("reauth_minutes", "5"), "Periodic re-authentication must be 15 to 1440"},
	} {
		res := c.post(defPath, tc.form)
		if res.StatusCode != 400 || !strings.Contains(res.body, tc.msg) {
			t.Errorf("%s: %d, want 400 with %q\n%.400s", tc.name, res.StatusCode, tc.msg, res.body)
		}
	}
	wantRedirect(t, c.post(defPath, form("blocked_ips", "203.0.113.0/24, 2001:db8::/32", "description", "office only", "reauth_minutes", "60")),
		defPath+"?notice=authprofile-updated")
	var p identity.AuthenticationProfile
	_ = f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = store.DefaultAuthenticationProfile(ctx, tx, testInstanceID)
		return err
	})
	if len(p.BlockedIPs) != 2 || p.IdleTimeout != 20*time.Minute || p.SessionDuration != 10*time.Hour || p.PeriodicReauthentication != time.Hour || p.Description != "office only" {
		t.Errorf("stored profile %+v", p)
	}
	// The blocked network's session ends at its next request.
	if res := agent.get("/ui/"); res.StatusCode != http.StatusForbidden {
		t.Errorf("agent from the blocked network: %d", res.StatusCode)
	}
	if res := c.get(defPath); res.StatusCode != 200 || !strings.Contains(res.body, "203.0.113.0/24") {
		t.Errorf("profile page after the change: %d", res.StatusCode)
	}
}

// TestAdminUserAuthenticationProfiles: an administrator creates a second authentication
// profile, sets its rules and assigns the agent to it. The agent's running session from a
// network the new profile blocks ends at its next request, and its sign-in from there is
// answered like a wrong password while the default profile would have admitted it. The
// administrator cannot assign itself to a profile that refuses its own address; a profile
// with users cannot be deleted; back on the default the agent signs in again.
func TestAdminUserAuthenticationProfiles(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	agent := f.client(t)
	agent.remote = "203.0.113.9:5000"
	f.signIn(agent, "agent")
	token := csrfMeta.FindStringSubmatch(c.get("/ui/admin/authentication-profiles").body)[1]
	res := c.post("/ui/admin/authentication-profiles", url.Values{"csrf": {token}, "name": {"Office only"}, "description": {"no home networks"}})
	loc := res.Header.Get("Location")
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/ui/admin/authentication-profiles/"), "?notice=authprofile-created")
	if res.StatusCode != http.StatusSeeOther || len(id) != 36 {
		t.Fatalf("create: %d to %q", res.StatusCode, loc)
	}
	if res := c.post("/ui/admin/authentication-profiles", url.Values{"csrf": {token}, "name": {"office ONLY"}}); res.StatusCode != http.StatusConflict ||
		!strings.Contains(res.body, "exists") {
		t.Errorf("duplicate name: %d", res.StatusCode)
	}
	path := "/ui/admin/authentication-profiles/" + id
	wantRedirect(t, c.post(path, url.Values{"csrf": {token}, "name": {"Office only"}, "blocked_ips": {"203.0.113.0/24"},
		"session_minutes": {"480"}, "idle_minutes": {"15"}, "reauth_minutes": {"0"}}), path+"?notice=authprofile-updated")
	wantRedirect(t, c.post(path+"/users", url.Values{"csrf": {token}, "user": {f.users["agent"]}}), path+"?notice=authprofile-users-updated")

	page := c.get(path)
	if !strings.Contains(page.body, `class="member-link">agent</a>`) || strings.Contains(page.body, `id="delete-authprofile"`) {
		t.Errorf("profile page does not list the agent, or offers deleting a profile in use:\n%.2000s", page.body)
	}
	if list := c.get("/ui/admin/authentication-profiles"); !strings.Contains(list.body, "1 user(s)") || !strings.Contains(list.body, "everyone else") {
		t.Errorf("list page:\n%.2000s", list.body)
	}
	// The agent's session from the blocked network ends; its sign-in there fails like a
	// wrong password, and the failure is audited with the reason.
	if res := agent.get("/ui/"); res.StatusCode != http.StatusForbidden {
		t.Errorf("agent's session after the assignment: %d", res.StatusCode)
	}
	refused := agent.login("agent", testPassword)
	wrong := agent.login("agent", "not the password at all")
	if refused.StatusCode != http.StatusUnauthorized || refused.body != wrong.body {
		t.Errorf("refusal by the agent's profile: %d, differs from a wrong password: %v", refused.StatusCode, refused.body != wrong.body)
	}
	if evs := f.events("web.login"); len(evs) < 2 || evs[len(evs)-2].Details["reason"] != "network denied by the user's authentication profile" {
		t.Errorf("the refusal's audit event: %+v", evs[len(evs)-2:])
	}
	// The administrator's own address.
	wantRedirect(t, c.post(path, url.Values{"csrf": {token}, "blocked_ips": {"198.51.100.0/24"}, "session_minutes": {"480"}, "idle_minutes": {"15"},
		"reauth_minutes": {"0"}}), path+"?notice=authprofile-updated")
	if res := c.post(path+"/users", url.Values{"csrf": {token}, "user": {f.users["admin"]}}); res.StatusCode != 400 || !strings.Contains(res.body, "your own address") {
		t.Errorf("assigning oneself to a profile that refuses one's address: %d", res.StatusCode)
	}
	if res := c.post(path+"/delete", url.Values{"csrf": {token}}); res.StatusCode != http.StatusConflict {
		t.Errorf("delete a profile in use: %d", res.StatusCode)
	}
	if res := c.get("/ui/admin/users/" + f.users["agent"]); !strings.Contains(res.body, `<a href="`+path+`">Office only</a></dd>`) {
		t.Errorf("the agent's user page does not name its authentication profile")
	}
	wantRedirect(t, c.post(path+"/users/"+f.users["agent"]+"/remove", url.Values{"csrf": {token}}), path+"?notice=authprofile-users-updated")
	if res := agent.login("agent", testPassword); res.StatusCode != http.StatusSeeOther {
		t.Errorf("agent sign-in under the default again: %d", res.StatusCode)
	}
	wantRedirect(t, c.post(path+"/delete", url.Values{"csrf": {token}}), "/ui/admin/authentication-profiles?notice=authprofile-deleted")
	if res := c.get(path); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted profile page: %d", res.StatusCode)
	}
	def := "/ui/admin/authentication-profiles/" + identity.DefaultAuthenticationProfileID(testInstanceID)
	if res := c.post(def+"/delete", url.Values{"csrf": {token}}); res.StatusCode != 400 {
		t.Errorf("delete the default profile: %d", res.StatusCode)
	}
}

// TestAdminOtherInstanceNotFound: the IDs of another instance's user, profiles, queue,
// quick connect and routing profile do not exist on the admin pages; nothing of that
// instance changes.
func TestAdminOtherInstanceNotFound(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	token := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	forms := adminForms(f)
	for _, rt := range adminRoutes() {
		if !strings.ContainsAny(strings.ReplaceAll(rt.pattern, "{$}", ""), "{") {
			continue
		}
		method, path := f.adminPath(rt.pattern, "other", f.users["stranger"], f.profiles["other/Admin"])
		var form url.Values
		if method == http.MethodPost {
			form = url.Values{"csrf": {token}}
			for k, v := range forms[rt.pattern] {
				form[k] = v
			}
		}
		res := c.do(method, path, form, nil)
		if res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "stranger") || strings.Contains(res.body, "First stranger") ||
			strings.Contains(res.body, "Other sales") {
			t.Errorf("%s: %d, want 404 without the other instance's names\n%.300s", rt.pattern, res.StatusCode, res.body)
		}
	}
	var u identity.User
	err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, otherInstance, f.users["stranger"])
		return err
	})
	if err != nil || u.Disabled || u.IdentityInfo.FirstName != "First stranger" {
		t.Errorf("the other instance's user after the probes: %+v, %v", u, err)
	}
}

// TestAdminAuditFailClosed: when the audit sink refuses, no admin change is made.
func TestAdminAuditFailClosed(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	token := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	failing := failingAudit{Store: f.st}
	cfg := f.cfg
	cfg.Admin = failing
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.h = h
	res := c.post("/ui/admin/users/"+f.users["agent"]+"/status", url.Values{"csrf": {token}, "disabled": {"true"}})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("disable with the audit sink down: %d", res.StatusCode)
	}
	if u, _ := f.user(f.users["agent"]); u.Disabled {
		t.Error("the user was disabled without its audit event")
	}
}

// failingAudit is a store whose audit sink is down: every audited call fails, as
// store.Store does when it cannot make the event durable.
type failingAudit struct{ store.Store }

func (failingAudit) Update(context.Context, *audit.Event, func(context.Context, store.Tx) error) error {
	return apierr.New(apierr.CodeServiceUnavailable, "audit sink unavailable")
}

func (failingAudit) Record(context.Context, *audit.Event) error {
	return apierr.New(apierr.CodeServiceUnavailable, "audit sink unavailable")
}
