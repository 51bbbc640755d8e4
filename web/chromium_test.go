package web

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
)

// chromiumPath finds a Chromium binary: $RINGFENCE_CHROMIUM, then Debian's locations.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("RINGFENCE_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// browserRun is one Chromium tab on a test server, with every console error, uncaught
// exception, browser-log error and response without the CSP collected as a problem.
type browserRun struct {
	t       *testing.T
	ctx     context.Context
	origin  string
	shots   string
	mu      sync.Mutex
	issues  []string
	checked int
	// expectErrors lists log texts that are expected right now (a 403 page is logged by
	// Chromium as a failed resource load).
	expectErrors []string
}

func (b *browserRun) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.issues = append(b.issues, fmt.Sprintf(format, args...))
}

func (b *browserRun) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		b.problem("uncaught exception: %s %s", ev.ExceptionDetails.Text, exceptionDescription(ev.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, fmt.Sprint(a.Value), a.Description)
			}
			b.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
			b.mu.Lock()
			expected := false
			for _, e := range b.expectErrors {
				if strings.Contains(ev.Entry.Text, e) {
					expected = true
				}
			}
			b.mu.Unlock()
			if !expected {
				b.problem("browser log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	case *network.EventResponseReceived:
		r := ev.Response
		if !strings.HasPrefix(r.URL, b.origin) {
			return
		}
		b.mu.Lock()
		b.checked++
		b.mu.Unlock()
		var csp string
		for k, v := range r.Headers {
			if strings.EqualFold(k, "Content-Security-Policy") {
				csp = fmt.Sprint(v)
			}
		}
		if csp != ContentSecurityPolicy {
			b.problem("response %s (%s) has CSP %q", r.URL, ev.Type, csp)
		}
	}
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// check fails the test on any collected problem.
func (b *browserRun) check(step string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.issues) > 0 {
		b.t.Fatalf("%s: %d problem(s) in the browser:\n%s", step, len(b.issues), strings.Join(b.issues, "\n"))
	}
}

func (b *browserRun) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
	b.check(step)
}

func (b *browserRun) text(id string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("text of #%s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

// shot saves a full-page screenshot to the test's directory.
func (b *browserRun) shot(name string) {
	b.t.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, buf, 0o600); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}

// signIn fills the sign-in form of the instance and submits it; then waits for waitID.
func (b *browserRun) signIn(step, username, password, waitID string) {
	b.t.Helper()
	b.do(step,
		chromedp.Navigate(b.origin+"/ui/"+testAlias),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID(waitID)),
	)
}

func (b *browserRun) signOut(step string) {
	b.t.Helper()
	b.do(step, chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("login-form")))
}

// TestChromiumSignIn drives Chromium through the pages: password sign-in, TOTP enrolment
// with the code computed here from the key the page shows, sign-out, sign-in with TOTP,
// passkey registration with the CDP virtual authenticator and sign-in with it, and a refused
// sign-in from a blocked network (X-Forwarded-For from a trusted proxy). Every response must
// carry the CSP, and any console error, uncaught exception or CSP violation fails the test.
// Screenshots go to the test's temporary directory (kept when RINGFENCE_SCREENSHOTS names a
// directory).
func TestChromiumSignIn(t *testing.T) {
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
	// WebAuthn needs a domain as relying party ID, and http://localhost is a secure context,
	// so the test serves plain HTTP on localhost: Chromium then accepts the Secure,
	// __Host- session cookie too (checked below).
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	f := newFixture(t, func(c *Config) {
		c.PublicOrigin = origin
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
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
		chromedp.WindowSize(1000, 800))
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

	// 1. Password, then TOTP enrolment at first sign-in.
	b.signIn("sign in", "admin", testPassword, "enrol-form")
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{origin + "/ui/"}})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == SessionCookie {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Path != "/" || !session.Session {
		t.Fatalf("session cookie in Chromium: %+v", session)
	}
	b.shot("01-enrol")
	sec := b.text("totp-secret")
	uri, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("totp-uri")))
	if err != nil || sec == "" || !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+sec) {
		t.Fatalf("enrolment page: key %q, URI %q (%v)", sec, uri, err)
	}
	b.do("confirm enrolment",
		chromedp.SendKeys(chromedp.ID("code"), f.code(t, sec, 0)),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	b.shot("02-recovery-codes")
	b.do("continue", chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("home-username")))
	if got := b.text("home-totp"); got != "set up" {
		t.Errorf("home says the app is %q", got)
	}
	b.shot("03-home")

	// 2. Sign out; sign in with password and a TOTP code of the next step.
	b.signOut("sign out")
	f.clock.Advance(identity.TOTPPeriod)
	b.signIn("sign in again", "admin", testPassword, "mfa-form")
	b.shot("04-mfa")
	b.do("totp",
		chromedp.SendKeys(chromedp.ID("code"), f.code(t, sec, 0)),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.ID("home-username")),
	)

	// 3. Register a passkey with the virtual authenticator.
	if _, err := chromedp.Call(ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	auth, err := chromedp.Call(ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
		Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Ctap2version: cdpwebauthn.Ctap2versionCtap21,
			Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	b.do("passkeys page",
		chromedp.Click(chromedp.ID("link-passkeys")),
		chromedp.WaitVisible(chromedp.ID("passkey-register")),
		chromedp.SetValue(chromedp.ID("passkey-name"), "Test laptop"),
		chromedp.Click(chromedp.ID("passkey-register")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)
	if got := b.text("notice"); got != notices["passkey-added"] {
		t.Fatalf("after registering: notice %q, status %q", got, b.text("passkey-status"))
	}
	if got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("td.passkey-name"))); err != nil || got != "Test laptop" {
		t.Errorf("passkey listed as %q (%v)", got, err)
	}
	creds, err := chromedp.Call(ctx, cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams{AuthenticatorID: auth.AuthenticatorID})
	if err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("virtual authenticator credentials: %+v, %v", creds, err)
	}
	b.shot("05-passkeys")

	// 4. Sign out; sign in with the password and the passkey.
	b.signOut("sign out after passkey")
	b.signIn("sign in for passkey", "admin", testPassword, "passkey-login")
	b.do("use passkey", chromedp.Click(chromedp.ID("passkey-login")), chromedp.WaitVisible(chromedp.ID("home-username")))
	b.shot("06-home-after-passkey")
	pks, _ := f.passkeys.ListPasskeys(t.Context(), testInstanceID, adminID)
	if len(pks) != 1 || pks[0].LastUsed.IsZero() {
		t.Errorf("passkey after use: %+v", pks)
	}
	var factors []string
	for _, ev := range f.audit.find("web.mfa") {
		factors = append(factors, ev.Details["factor"]+":"+string(ev.Outcome))
	}
	if got := strings.Join(factors, " "); got != "totp:success passkey:success" {
		t.Errorf("second-factor events %q", got)
	}

	// 5. A sign-in from a blocked network, behind the (trusted) local proxy, is refused.
	b.signOut("sign out before blocked")
	f.authProfiles.set(testInstanceID, identity.AuthenticationProfile{BlockedIPs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"X-Forwarded-For": "203.0.113.50"}}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.expectErrors = []string{"status of 403"}
	b.mu.Unlock()
	b.signIn("blocked sign in", "admin", testPassword, "heading")
	if got := b.text("message"); got != identity.NetworkDeniedMessage {
		t.Errorf("blocked sign-in shows %q", got)
	}
	b.shot("07-network-denied")
	evs := f.audit.find("web.login")
	if last := evs[len(evs)-1]; last.Outcome != audit.OutcomeFailure || last.Details["reason"] != "network denied" || last.SourceIP != "203.0.113.50" {
		t.Errorf("blocked sign-in event %+v", last)
	}
	b.check("end")
	if b.checked < 10 {
		t.Errorf("only %d responses were checked for the CSP", b.checked)
	}
}
