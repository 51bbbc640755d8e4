package workspace

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/web"
)

// testToken is the CSRF token the test sessions have; the cookie "agent" marks a session.
const testToken = "tok-123"

func newTestHandler(t *testing.T, mod func(*Config)) *Handler {
	t.Helper()
	cfg := Config{CSRFToken: func(r *http.Request) (string, error) {
		if _, err := r.Cookie("agent"); err != nil {
			return "", ErrSignedOut
		}
		return testToken, nil
	}}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, method, path string, signedIn bool) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if signedIn {
		r.AddCookie(&http.Cookie{Name: "agent", Value: "a"})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no CSRFToken", Config{}, "workspace: config is missing CSRFToken"},
		{"absolute sign-in URL", Config{CSRFToken: func(*http.Request) (string, error) { return "", nil }, SignInURL: "https://evil.example/login"},
			`workspace: SignInURL must be a path on this site such as /ui/login, not "https://evil.example/login"`},
		{"protocol-relative sign-out URL", Config{CSRFToken: func(*http.Request) (string, error) { return "", nil }, SignOutURL: "//evil.example/x"},
			`workspace: SignOutURL must be a path on this site such as /ui/login, not "//evil.example/x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSecurityHeadersOnEveryResponse checks the shell, every static file, a 404, a 405 and
// the sign-in redirect for web's CSP and companion headers.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := newTestHandler(t, nil)
	paths := []string{Prefix, Prefix + "static/", Prefix + "nope", Prefix + "static/nope.js"}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, Prefix+p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Content-Security-Policy":      web.ContentSecurityPolicy,
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"X-Frame-Options":              "DENY",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Cache-Control":                "no-store",
	}
	check := func(name string, w *httptest.ResponseRecorder) {
		t.Helper()
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		if got := w.Header().Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s: HSTS %q over plain HTTP without HSTS set", name, got)
		}
	}
	for _, p := range paths {
		check("GET "+p, get(t, h, http.MethodGet, p, true))
	}
	check("POST shell", get(t, h, http.MethodPost, Prefix, true))
	check("signed out", get(t, h, http.MethodGet, Prefix, false))

	if w := get(t, h, http.MethodGet, Prefix+"static/workspace.js", true); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("workspace.js: status %d, type %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := get(t, h, http.MethodGet, Prefix+"static/", true); w.Code != http.StatusNotFound {
		t.Errorf("static directory listing: status %d", w.Code)
	}
	if w := get(t, h, http.MethodPost, Prefix, true); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestHSTS(t *testing.T) {
	const sts = "max-age=63072000; includeSubDomains"
	h := newTestHandler(t, nil)
	r := httptest.NewRequest(http.MethodGet, Prefix, nil)
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Get("Strict-Transport-Security"); got != sts {
		t.Errorf("over TLS: HSTS %q", got)
	}
	h = newTestHandler(t, func(c *Config) { c.HSTS = true })
	if got := get(t, h, http.MethodGet, Prefix, true).Header().Get("Strict-Transport-Security"); got != sts {
		t.Errorf("with HSTS set: %q", got)
	}
}

func TestShellCarriesCSRFTokenEscaped(t *testing.T) {
	token := `a"b<c>&d`
	h := newTestHandler(t, func(c *Config) {
		c.CSRFToken = func(*http.Request) (string, error) { return token, nil }
	})
	w := get(t, h, http.MethodGet, Prefix, true)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{
		`<meta name="csrf-token" content="a&#34;b&lt;c&gt;&amp;d">`,
		`<input type="hidden" name="csrf" value="a&#34;b&lt;c&gt;&amp;d">`,
		`<meta name="sign-in-url" content="/ui/login">`,
		`<form method="post" action="/ui/logout"`,
		`<script type="module" src="/ui/workspace/static/workspace.js"></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("shell lacks %s", want)
		}
	}
	if strings.Contains(body, token) {
		t.Error("the token appears unescaped")
	}
}

func TestSignedOutRedirectsAndErrorsFailClosed(t *testing.T) {
	h := newTestHandler(t, func(c *Config) { c.SignInURL = "/ui/sales" })
	w := get(t, h, http.MethodGet, Prefix, false)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/ui/sales" {
		t.Errorf("signed out: status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	wrapped := newTestHandler(t, func(c *Config) {
		c.CSRFToken = func(*http.Request) (string, error) { return "", fmt.Errorf("session expired: %w", ErrSignedOut) }
	})
	if w := get(t, wrapped, http.MethodGet, Prefix, true); w.Code != http.StatusSeeOther {
		t.Errorf("wrapped ErrSignedOut: status %d", w.Code)
	}
	for name, fn := range map[string]func(*http.Request) (string, error){
		"store error": func(*http.Request) (string, error) { return "", errors.New("db down") },
		"empty token": func(*http.Request) (string, error) { return "", nil },
	} {
		h := newTestHandler(t, func(c *Config) { c.CSRFToken = fn })
		w := get(t, h, http.MethodGet, Prefix, true)
		if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "db down") || strings.Contains(w.Body.String(), "csrf") {
			t.Errorf("%s: status %d, body %q", name, w.Code, w.Body.String())
		}
	}
}

// TestNoInlineCodeAndNoHTMLSinks keeps the page within the CSP and the text-only rule: the
// template has no inline script, style or handler and no javascript: URL; the modules never
// parse strings as HTML or code.
func TestNoInlineCodeAndNoHTMLSinks(t *testing.T) {
	bad := regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:|innerHTML|outerHTML|insertAdjacentHTML|document\.write`)
	tpl, err := fs.ReadFile(templateFS, "templates/workspace.html")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(tpl), "\n") {
		if strings.Contains(line, "<script") && line != `<script type="module" src="/ui/workspace/static/workspace.js"></script>` {
			t.Errorf("workspace.html:%d: inline or extra script: %s", i+1, line)
		}
		if bad.MatchString(line) {
			t.Errorf("workspace.html:%d: %s", i+1, line)
		}
	}
	sinks := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
		"createContextualFragment", "DOMParser", "setAttribute('on", "srcdoc", ".src =", "setTimeout('", "setInterval('"}
	// markdown.js and text.js are chattext's, checked by its own test.
	names, err := fs.Glob(staticFS, "static/*.js")
	if err != nil || len(names) < 3 {
		t.Fatalf("modules: %v %v", names, err)
	}
	for _, n := range names {
		js, err := fs.ReadFile(staticFS, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sinks {
			if bytes.Contains(js, []byte(s)) {
				t.Errorf("%s uses %s", n, s)
			}
		}
	}
}

// TestStaticFilesServed checks each module the shell loads (directly or by import) is
// served with a JavaScript type, so a missing file fails here rather than in a browser.
func TestStaticFilesServed(t *testing.T) {
	h := newTestHandler(t, nil)
	imp := regexp.MustCompile(`from '\./([a-z]+\.js)'`)
	seen := map[string]bool{}
	queue := []string{"workspace.js"}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		w := get(t, h, http.MethodGet, Prefix+"static/"+n, true)
		b, _ := io.ReadAll(w.Body)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: status %d, type %q", n, w.Code, w.Header().Get("Content-Type"))
			continue
		}
		for _, m := range imp.FindAllSubmatch(b, -1) {
			queue = append(queue, string(m[1]))
		}
	}
	for _, n := range []string{"workspace.css", "favicon.svg"} {
		if w := get(t, h, http.MethodGet, Prefix+"static/"+n, true); w.Code != http.StatusOK {
			t.Errorf("%s: status %d", n, w.Code)
		}
	}
	if len(seen) < 5 {
		t.Errorf("modules reached from workspace.js: %v", seen)
	}
}
