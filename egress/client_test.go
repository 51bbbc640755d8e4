package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRefusedURLs(t *testing.T) {
	t.Parallel()
	res := newFakeResolver(map[string][]string{
		"localhost":                 {"127.0.0.1"},
		"metadata.example.com":      {"169.254.169.254"},
		"127.0.0.1.nip.example.com": {"127.0.0.1"},
	})
	dialer := &loopbackDialer{} // fails any dial
	c := mustNew(t, Config{Resolver: res, Dial: dialer.dial})
	tests := []struct {
		url      string
		wantRule Rule
		wantAddr string // decoded address, when the rule names one
	}{
		{"http://169.254.169.254/latest/meta-data/", RuleScheme, ""},
		{"HTTP://example.com/", RuleScheme, ""},
		{"file:///etc/passwd", RuleScheme, ""},
		{"gopher://127.0.0.1:6379/_INFO", RuleScheme, ""},
		{"ftp://example.com/", RuleScheme, ""},
		{"data:text/plain,hello", RuleScheme, ""},
		{"ws://example.com/", RuleScheme, ""},
		{"https://user:pass@example.com/", RuleURL, ""},
		{"https://example.com:0/", RuleURL, ""},
		{"https://example.com:99999/", RuleURL, ""},
		{"https://[::ffff:169.254.169.254]/", RuleAddress, "::ffff:169.254.169.254"},
		{"https://[::ffff:a9fe:a9fe]/", RuleAddress, "::ffff:169.254.169.254"},
		{"https://[::1]/", RuleAddress, "::1"},
		{"https://[fe80::1%25eth0]/", RuleHost, ""},
		{"https://[64:ff9b::a9fe:a9fe]/", RuleAddress, "64:ff9b::a9fe:a9fe"},
		{"https://2852039166/", RuleHost, "169.254.169.254"},
		{"https://0251.0376.0251.0376/", RuleHost, "169.254.169.254"},
		{"https://0xa9.0xfe.0xa9.0xfe/", RuleHost, "169.254.169.254"},
		{"https://127.1/", RuleHost, "127.0.0.1"},
		{"https://0x7f.1/", RuleHost, "127.0.0.1"},
		{"https://017700000001/", RuleHost, "127.0.0.1"},
		{"https://0/", RuleHost, "0.0.0.0"},
		{"https://1.2.3.0x4/", RuleHost, "1.2.3.4"},
		{"https://example.123/", RuleHost, ""},
		{"https://localhost/", RuleHost, ""},
		{"https://localhost./", RuleHost, ""},
		{"https://LOCALHOST/", RuleHost, ""},
		{"https://api.localhost/", RuleHost, ""},
		{"https://exa mple.com/", RuleURL, ""},
		{"https://127.0.0.1/", RuleAddress, "127.0.0.1"},
		{"https://127.0.0.1./", RuleAddress, "127.0.0.1"},
		{"https://10.0.0.5/", RuleAddress, "10.0.0.5"},
		{"https://169.254.169.254/", RuleAddress, "169.254.169.254"},
		{"https://100.64.0.1/", RuleAddress, "100.64.0.1"},
		{"https://255.255.255.255/", RuleAddress, "255.255.255.255"},
		{"https://0.0.0.0/", RuleAddress, "0.0.0.0"},
		{"https://[::]/", RuleAddress, "::"},
		{"https://[fd00::1]/", RuleAddress, "fd00::1"},
		{"https://[ff02::1]/", RuleAddress, "ff02::1"},
		{"https://metadata.example.com/", RuleAddress, "169.254.169.254"},
		{"https://127.0.0.1.nip.example.com/", RuleAddress, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				// A URL the standard parser rejects never reaches the network either.
				if tt.wantRule != RuleURL {
					t.Fatalf("NewRequest(%q): %v", tt.url, err)
				}
				return
			}
			_, err = c.Do(context.Background(), req, okTimeout)
			e := asRefusal(t, err)
			if e.Rule != tt.wantRule {
				t.Errorf("rule = %q, want %q (error: %v)", e.Rule, tt.wantRule, err)
			}
			if tt.wantAddr != "" {
				if got := e.Addr.String(); got != tt.wantAddr {
					t.Errorf("addr = %s, want %s", got, tt.wantAddr)
				}
			}
			if e.Error() == "" || !strings.HasPrefix(e.Error(), "egress: refused by rule") {
				t.Errorf("Error() = %q, want the refusal prefix", e.Error())
			}
		})
	}
	t.Cleanup(func() {
		if got := dialer.got(); len(got) != 0 {
			t.Errorf("dialled %v, want no connection attempt", got)
		}
	})
}

func TestAllowlistedHosts(t *testing.T) {
	t.Parallel()
	srv, pool := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.Host)
	}))
	port := srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	p := strconv.Itoa(int(port))
	res := newFakeResolver(map[string][]string{"fn.example.com": {"127.0.0.1"}})
	tests := []struct {
		name     string
		cfg      Config
		url      string
		wantRule Rule // "" means success
	}{
		{"ip literal allowlisted", Config{AllowHosts: []string{"127.0.0.1"}}, "https://127.0.0.1:" + p + "/", ""},
		{"name allowlisted", Config{AllowHosts: []string{"FN.example.com."}}, "https://fn.example.com:" + p + "/", ""},
		{"name allowlisted, url with trailing dot", Config{AllowHosts: []string{"fn.example.com"}}, "https://fn.example.com.:" + p + "/", ""},
		{"cidr allowlisted", Config{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, "https://fn.example.com:" + p + "/", ""},
		{"not allowlisted", Config{}, "https://fn.example.com:" + p + "/", RuleAddress},
		{"other host allowlisted", Config{AllowHosts: []string{"other.example.com"}}, "https://fn.example.com:" + p + "/", RuleAddress},
		{"cidr does not cover", Config{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, "https://127.0.0.1:" + p + "/", RuleAddress},
		{"allowlist does not admit odd notation", Config{AllowHosts: []string{"127.0.0.1"}}, "https://127.1:" + p + "/", RuleHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Resolver, cfg.RootCAs = res, pool // real dialler with its Control hook
			c := mustNew(t, cfg)
			resp, err := c.Do(context.Background(), get(t, tt.url), okTimeout)
			if tt.wantRule != "" {
				if e := asRefusal(t, err); e.Rule != tt.wantRule {
					t.Errorf("rule = %q, want %q", e.Rule, tt.wantRule)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(resp.Body), "hello ") {
				t.Errorf("got %d %q, want 200 hello", resp.StatusCode, resp.Body)
			}
		})
	}
}

func TestPublicNameResolvingToPrivate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers []string
	}{
		{"private only", []string{"10.0.0.5"}},
		{"public then private", []string{"93.184.215.14", "10.0.0.5"}},
		{"private then public", []string{"10.0.0.5", "93.184.215.14"}},
		{"mapped metadata", []string{"::ffff:169.254.169.254"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := newFakeResolver(map[string][]string{"api.example.com": tt.answers})
			dialer := &loopbackDialer{}
			c := mustNew(t, Config{Resolver: res, Dial: dialer.dial})
			_, err := c.Do(context.Background(), get(t, "https://api.example.com/"), okTimeout)
			e := asRefusal(t, err)
			if e.Rule != RuleAddress || e.Host != "api.example.com" {
				t.Errorf("got rule %q host %q, want %q %q", e.Rule, e.Host, RuleAddress, "api.example.com")
			}
			if got := dialer.got(); len(got) != 0 {
				t.Errorf("dialled %v, want nothing", got)
			}
		})
	}
}

func TestDNSRebinding(t *testing.T) {
	t.Parallel()
	srv, pool := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	// The first lookup answers a public address, every later one a private address. A client
	// that checked with one lookup and connected with another would connect to 10.0.0.5.
	res := newFakeResolver(nil)
	res.set("rebind.example.com", []string{"93.184.215.14"})
	res.set("rebind.example.com", []string{"10.0.0.5"})
	dialer := &loopbackDialer{to: srv.Listener.Addr().String()}
	c := mustNew(t, Config{Resolver: res, Dial: dialer.dial, RootCAs: pool})

	resp, err := c.Do(context.Background(), get(t, "https://rebind.example.com/"), okTimeout)
	if err != nil {
		t.Fatalf("first call: %v", err)
	}
	if string(resp.Body) != "ok" {
		t.Errorf("first body = %q, want ok", resp.Body)
	}
	if diff := cmp.Diff([]string{"93.184.215.14:443"}, dialer.got()); diff != "" {
		t.Errorf("dialled addresses (-want +got):\n%s", diff)
	}
	if got := res.count("rebind.example.com"); got != 1 {
		t.Errorf("lookups after first call = %d, want 1 (check and connect use one answer)", got)
	}

	c.CloseIdleConnections() // force a new connection, hence a new lookup
	_, err = c.Do(context.Background(), get(t, "https://rebind.example.com/"), okTimeout)
	e := asRefusal(t, err)
	if e.Rule != RuleAddress || e.Addr != netip.MustParseAddr("10.0.0.5") {
		t.Errorf("second call: rule %q addr %s, want %q 10.0.0.5", e.Rule, e.Addr, RuleAddress)
	}
	if got := len(dialer.got()); got != 1 {
		t.Errorf("dials = %d, want 1 (the rebound address is never dialled)", got)
	}
}

func TestControlHook(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Config{AllowHosts: []string{"onprem.example.com"}})
	public := netip.MustParseAddr("93.184.215.14")
	tests := []struct {
		name     string
		host     string
		want     netip.Addr
		address  string
		wantRule Rule
	}{
		{"checked public address", "api.example.com", public, "93.184.215.14:443", ""},
		{"socket address differs", "api.example.com", public, "10.0.0.5:443", RuleAddress},
		{"private address", "api.example.com", netip.MustParseAddr("10.0.0.5"), "10.0.0.5:443", RuleAddress},
		{"mapped private address", "api.example.com", netip.MustParseAddr("10.0.0.5"), "[::ffff:10.0.0.5]:443", RuleAddress},
		{"allowlisted host", "onprem.example.com", netip.MustParseAddr("10.0.0.5"), "10.0.0.5:443", ""},
		{"garbage", "api.example.com", public, "nonsense", RuleAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := c.control(tt.host, tt.want)("tcp", tt.address, nil)
			if tt.wantRule == "" {
				if err != nil {
					t.Errorf("control: %v, want nil", err)
				}
				return
			}
			if e := asRefusal(t, err); e.Rule != tt.wantRule {
				t.Errorf("rule = %q, want %q", e.Rule, tt.wantRule)
			}
		})
	}
}

// redirectServer serves /hop/N (redirect to /hop/N-1, /hop/0 answers 200), /to?u=URL (redirect
// to URL), and /echo (the X-Sig header back).
func redirectServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			_, _ = io.WriteString(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "sig="+r.Header.Get("X-Sig"))
	})
	srv, _ := newServer(t, mux)
	return srv, strconv.Itoa(int(srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()))
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	srv, p := redirectServer(t)
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	res := newFakeResolver(map[string][]string{
		"a.example.com":        {"127.0.0.1"},
		"b.example.com":        {"127.0.0.1"},
		"internal.example.com": {"10.0.0.5"},
	})
	base := "https://a.example.com:" + p
	tests := []struct {
		name          string
		maxRedirects  int
		url           string
		wantRule      Rule
		wantBody      string
		wantRedirects int
	}{
		{"three hops", 0, base + "/hop/3", "", "arrived", 3},
		{"four hops", 0, base + "/hop/4", RuleRedirect, "", 0},
		{"one allowed, two hops", 1, base + "/hop/2", RuleRedirect, "", 0},
		{"none followed", -1, base + "/hop/1", "", "", 0},
		{"to private name", 0, base + "/to?u=" + url.QueryEscape("https://internal.example.com/"), RuleAddress, "", 0},
		{"to private literal", 0, base + "/to?u=" + url.QueryEscape("https://10.0.0.5/"), RuleAddress, "", 0},
		{"to metadata over http", 0, base + "/to?u=" + url.QueryEscape("http://169.254.169.254/"), RuleScheme, "", 0},
		{"to decimal host", 0, base + "/to?u=" + url.QueryEscape("https://2852039166/"), RuleHost, "", 0},
		{"to localhost", 0, base + "/to?u=" + url.QueryEscape("https://localhost./"), RuleHost, "", 0},
		{"to file", 0, base + "/to?u=" + url.QueryEscape("file:///etc/passwd"), RuleScheme, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustNew(t, Config{AllowHosts: []string{"a.example.com"}, Resolver: res, RootCAs: pool, MaxRedirects: tt.maxRedirects})
			resp, err := c.Do(context.Background(), get(t, tt.url), okTimeout)
			if tt.wantRule != "" {
				e := asRefusal(t, err)
				if e.Rule != tt.wantRule || !e.Redirect {
					t.Errorf("got rule %q redirect %v, want %q true (%v)", e.Rule, e.Redirect, tt.wantRule, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if tt.maxRedirects < 0 {
				if resp.StatusCode != http.StatusFound {
					t.Errorf("status = %d, want 302 returned as is", resp.StatusCode)
				}
				return
			}
			if string(resp.Body) != tt.wantBody || resp.Redirects != tt.wantRedirects {
				t.Errorf("got body %q after %d redirects, want %q after %d", resp.Body, resp.Redirects, tt.wantBody, tt.wantRedirects)
			}
		})
	}
}

func TestRedirectStripsHeadersAcrossHosts(t *testing.T) {
	t.Parallel()
	srv, p := redirectServer(t)
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	res := newFakeResolver(map[string][]string{"a.example.com": {"127.0.0.1"}, "b.example.com": {"127.0.0.1"}})
	c := mustNew(t, Config{AllowHosts: []string{"a.example.com", "b.example.com"}, Resolver: res, RootCAs: pool, StripOnRedirect: []string{"X-Sig"}})
	tests := []struct {
		name, target, want string
	}{
		{"same host keeps", "https://a.example.com:" + p + "/echo", "sig=v1"},
		{"other host strips", "https://b.example.com:" + p + "/echo", "sig="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := get(t, "https://a.example.com:"+p+"/to?u="+url.QueryEscape(tt.target))
			req.Header.Set("X-Sig", "v1")
			resp, err := c.Do(context.Background(), req, okTimeout)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got := string(resp.Body); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// endless writes zero bytes until the client goes away.
func endless(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 32<<10)
	for r.Context().Err() == nil {
		if _, err := w.Write(buf); err != nil {
			return
		}
	}
}

func TestResponseSize(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/declared-5gb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(5<<30, 10))
		endless(w, r)
	})
	mux.HandleFunc("/chunked-endless", endless)
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 4096))
	})
	mux.HandleFunc("/one-over", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4097") // small lie-free body one byte over the cap
		_, _ = w.Write(make([]byte, 4097))
	})
	mux.HandleFunc("/one-over-chunked", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 4000))
		w.(http.Flusher).Flush()
		_, _ = w.Write(make([]byte, 97))
	})
	srv, pool := newServer(t, mux)
	base := "https://" + srv.Listener.Addr().String()
	tests := []struct {
		name     string
		max      int64
		path     string
		wantRule Rule
		wantLen  int
	}{
		{"5 GB declared, default cap", 0, "/declared-5gb", RuleSize, 0},
		{"endless chunked, default cap", 0, "/chunked-endless", RuleSize, 0},
		{"exactly the cap", 4096, "/exact", "", 4096},
		{"one byte over, declared", 4096, "/one-over", RuleSize, 0},
		{"one byte over, chunked", 4096, "/one-over-chunked", RuleSize, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustNew(t, Config{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool, MaxResponseBytes: tt.max})
			start := time.Now()
			resp, err := c.Do(context.Background(), get(t, base+tt.path), okTimeout)
			if tt.wantRule != "" {
				if e := asRefusal(t, err); e.Rule != tt.wantRule {
					t.Errorf("rule = %q, want %q", e.Rule, tt.wantRule)
				}
				if resp != nil {
					t.Errorf("response = %+v, want none (no truncated body)", resp)
				}
			} else if err != nil {
				t.Fatalf("Do: %v", err)
			} else if len(resp.Body) != tt.wantLen {
				t.Errorf("body length = %d, want %d", len(resp.Body), tt.wantLen)
			}
			t.Logf("finished in %s", time.Since(start))
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/slowloris", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	mux.HandleFunc("/no-headers", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	srv, pool := newServer(t, mux)
	base := "https://" + srv.Listener.Addr().String()
	c := mustNew(t, Config{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool})
	for _, path := range []string{"/slowloris", "/no-headers"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			resp, err := c.Do(context.Background(), get(t, base+path), 300*time.Millisecond)
			if resp != nil {
				t.Errorf("response = status %d, %d body bytes, want none", resp.StatusCode, len(resp.Body))
			}
			if e := asRefusal(t, err); e.Rule != RuleTimeout {
				t.Errorf("rule = %q, want %q", e.Rule, RuleTimeout)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s, want the 300ms timeout to bound it", d)
			}
		})
	}
	t.Run("caller deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := c.Do(ctx, get(t, base+"/no-headers"), 0)
		if e := asRefusal(t, err); e.Rule != RuleTimeout {
			t.Errorf("rule = %q, want %q", e.Rule, RuleTimeout)
		}
	})
	t.Run("caller cancel", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := c.Do(ctx, get(t, base+"/no-headers"), 0)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		var e *Error
		if errors.As(err, &e) {
			t.Errorf("error = %v, want no refusal for a cancelled call", err)
		}
	})
}

func TestIgnoresProxyEnvironment(t *testing.T) { // not parallel: t.Setenv
	srv, pool := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "direct")
	}))
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("https_proxy", "http://127.0.0.1:1")
	t.Setenv("NO_PROXY", "")
	c := mustNew(t, Config{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool})
	resp, err := c.Do(context.Background(), get(t, "https://"+srv.Listener.Addr().String()+"/"), okTimeout)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if string(resp.Body) != "direct" {
		t.Errorf("body = %q, want direct", resp.Body)
	}
}

func TestNoCookies(t *testing.T) {
	t.Parallel()
	srv, pool := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc"})
		_, _ = io.WriteString(w, "cookies="+strconv.Itoa(len(r.Cookies())))
	}))
	c := mustNew(t, Config{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool})
	for i := range 2 {
		resp, err := c.Do(context.Background(), get(t, "https://"+srv.Listener.Addr().String()+"/"), okTimeout)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if got := string(resp.Body); got != "cookies=0" {
			t.Errorf("call %d: got %q, want cookies=0", i, got)
		}
	}
}

func TestTLSVersionAndVerification(t *testing.T) {
	t.Parallel()
	old := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	old.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	old.Config.ErrorLog = log.New(io.Discard, "", 0)
	old.StartTLS()
	t.Cleanup(old.Close)
	modern, _ := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	oldPool := old.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	tests := []struct {
		name string
		srv  *httptest.Server
		cfg  Config
	}{
		{"tls 1.1 server", old, Config{AllowHosts: []string{"127.0.0.1"}, RootCAs: oldPool}},
		{"untrusted certificate", modern, Config{AllowHosts: []string{"127.0.0.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustNew(t, tt.cfg)
			_, err := c.Do(context.Background(), get(t, "https://"+tt.srv.Listener.Addr().String()+"/"), okTimeout)
			if err == nil {
				t.Fatal("Do succeeded, want a TLS failure")
			}
			var e *Error
			if errors.As(err, &e) {
				t.Errorf("error = %v, want a transport error, not a refusal", err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{}, ""},
		{"odd allowlisted host", Config{AllowHosts: []string{"127.1"}}, `egress: allowlisted host "127.1"`},
		{"bad allowlisted host", Config{AllowHosts: []string{"a b"}}, `egress: allowlisted host "a b"`},
		{"bracketed ipv6", Config{AllowHosts: []string{"[::1]"}}, ""},
		{"invalid prefix", Config{AllowCIDRs: []netip.Prefix{{}}}, "egress: invalid allowlisted prefix"},
		{"negative size", Config{MaxResponseBytes: -1}, "egress: negative MaxResponseBytes -1"},
		{"too many redirects", Config{MaxRedirects: 4}, "egress: MaxRedirects 4 above 3"},
		{"timeout above 8s", Config{MaxTimeout: 9 * time.Second}, "egress: MaxTimeout 9s outside (0, 8s]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && got != "" || tt.wantErr != "" && !strings.HasPrefix(got, tt.wantErr) {
				t.Errorf("New error = %q, want prefix %q", got, tt.wantErr)
			}
		})
	}
}
