package sso_test

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/sso"
)

// chromiumPath finds a Chromium binary: $RINGFENCE_CHROMIUM, then Debian's locations.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("RINGFENCE_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// listenLocal listens on a loopback port and returns the listener and its port.
func listenLocal(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// idpPostForm is the IdP's page that posts the response to the ACS (HTTP-POST binding); the
// browser test clicks its button.
var idpPostForm = template.Must(template.New("post").Parse(`<!doctype html><html><head><title>IdP</title></head><body>
<form method="post" action="{{.ACS}}"><input type="hidden" name="SAMLResponse" value="{{.Response}}">
<input type="hidden" name="RelayState" value="{{.Relay}}"><button type="submit" id="continue">Continue</button></form></body></html>`))

// TestChromiumSignIn drives Chromium through the three sign-ins against the real cookie
// rules of a browser, with the identity providers on another site (127.0.0.1 against the
// service's localhost): SAML (the cross-site POST to the ACS carries the SameSite=None state
// cookie), OpenID Connect (the cross-site redirect back carries the SameSite=Lax state
// cookie), and emergency access (a same-origin form). After each, the continue page's
// same-site navigation to /ui/ must carry the SameSite=Strict session cookie the
// SessionStarter set. Any console error or exception fails the test.
func TestChromiumSignIn(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	spLn, spPort := listenLocal(t)
	spOrigin := fmt.Sprintf("http://localhost:%d", spPort)
	idpLn, idpPort := listenLocal(t)
	idp := newTestIdP(t, idpEntityID)
	idp.ssoURL = fmt.Sprintf("http://127.0.0.1:%d/sso", idpPort)
	op := newTestOP(t)
	f := newFixture(t, instance.IdentityManagementSAML, func(c *sso.Config) {
		c.PublicOrigin = spOrigin
		c.HTTPClient = op.srv.Client()
	})
	ctx := context.Background()
	if err := f.admin.ConfigureSAML(ctx, identity.SAMLConfig{InstanceID: f.inst.ID, IdPMetadata: idp.metadata(), UsernameAttribute: "uid",
		JIT: identity.JITProvisioning{SecurityProfileID: f.profiles[identity.ProfileAgent]}}); err != nil {
		t.Fatal(err)
	}
	if err := f.admin.ConfigureOIDC(ctx, identity.OIDCConfig{InstanceID: f.inst.ID, Issuer: op.issuer(), ClientID: op.clientID,
		ClientSecret: secret.New(op.secret), JIT: identity.JITProvisioning{SecurityProfileID: f.profiles[identity.ProfileAgent]}}); err != nil {
		t.Fatal(err)
	}
	f.createUser("root", identity.ProfileAdmin)
	if err := f.admin.SetEmergencyAccess(ctx, f.inst.ID, true); err != nil {
		t.Fatal(err)
	}

	// The service: the Handler, a stand-in /ui/ that reports the session cookie, and the
	// static files the layout links.
	mux := http.NewServeMux()
	mux.Handle("/ui/sso/", f.h)
	mux.Handle("/ui/emergency", f.h)
	mux.HandleFunc("/ui/static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".css") {
			w.Header().Set("Content-Type", "text/css")
		} else {
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg"/>`)
		}
	})
	mux.HandleFunc("/ui/{$}", func(w http.ResponseWriter, r *http.Request) {
		state := "absent"
		if c, err := r.Cookie("__Host-rf_session"); err == nil && c.Value == "fake" {
			state = "present"
		}
		w.Header().Set("Content-Security-Policy", sso.ContentSecurityPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>home</title><link rel="icon" href="/ui/static/favicon.svg"></head><body><p id="session">%s</p></body></html>`, state)
	})
	sp := httptest.NewUnstartedServer(mux)
	sp.Listener.Close()
	sp.Listener = spLn
	sp.Start()
	defer sp.Close()

	// The SAML IdP on another site: answers the AuthnRequest with a signed response form.
	idpMux := http.NewServeMux()
	idpMux.HandleFunc("GET /sso", func(w http.ResponseWriter, r *http.Request) {
		req := decodeAuthnRequest(t, r.URL)
		resp := encode(t, idp.response(t, idp.specFor(req, spOrigin, f.inst.ID, "browser.user@example.com")))
		_ = idpPostForm.Execute(w, map[string]string{"ACS": req.ACSURL, "Response": resp, "Relay": req.RelayState})
	})
	idpMux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	idpSrv := httptest.NewUnstartedServer(idpMux)
	idpSrv.Listener.Close()
	idpSrv.Listener = idpLn
	idpSrv.Start()
	defer idpSrv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		// The test OpenID provider has a self-signed certificate.
		chromedp.Flag("ignore-certificate-errors", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	bctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelTimeout()
	var (
		mu       sync.Mutex
		problems []string
	)
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console error")
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	session := func(step string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.ID("session"))); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		got, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("session")))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got != "present" {
			t.Errorf("%s: /ui/ got the session cookie: %s", step, got)
		}
	}
	clearCookies := func() {
		t.Helper()
		if _, err := chromedp.Call(bctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
	}

	// SAML: SP-initiated, the IdP's page posts back cross-site.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(spOrigin+"/ui/sso/"+f.inst.Alias+"/saml/login"),
		chromedp.WaitVisible(chromedp.ID("continue")),
		chromedp.Click(chromedp.ID("continue")),
	); err != nil {
		t.Fatalf("saml: %v", err)
	}
	session("saml")
	if s := f.sessions.all(); len(s) != 1 || s[0].User.Username != "browser.user@example.com" {
		t.Fatalf("saml sessions = %+v", s)
	}

	// OpenID Connect: the provider redirects back cross-site at once.
	clearCookies()
	op.mu.Lock()
	op.username = "browser.oidc"
	op.mu.Unlock()
	if err := chromedp.Do(bctx, chromedp.Navigate(spOrigin+"/ui/sso/"+f.inst.ID+"/oidc/login")); err != nil {
		t.Fatalf("oidc: %v", err)
	}
	session("oidc")
	if s := f.sessions.all(); len(s) != 2 || s[1].User.Username != "browser.oidc" {
		t.Fatalf("oidc sessions = %+v", s)
	}

	// Emergency access: a same-origin form with its CSRF cookie.
	clearCookies()
	tok, _, err := f.admin.IssueEmergencyToken(ctx, f.inst.ID, "root")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate(spOrigin+"/ui/emergency?instance="+f.inst.Alias),
		chromedp.WaitVisible(chromedp.ID("emergency-form")),
		chromedp.SendKeys(chromedp.ID("token"), tok.Reveal()),
		chromedp.Click(chromedp.ID("use-token")),
	); err != nil {
		t.Fatalf("emergency: %v", err)
	}
	session("emergency")
	if s := f.sessions.all(); len(s) != 3 || !s[2].Opts.MFASatisfied {
		t.Fatalf("emergency sessions = %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("browser problems:\n%s", strings.Join(problems, "\n"))
	}
}
