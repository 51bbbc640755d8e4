package extfn

import (
	"context"
	"crypto/x509"
	"encoding/json"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/secret"
)

// tableResolver answers from a fixed table and never uses real DNS.
type tableResolver map[string]string

func (r tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ip, ok := r[host]
	if !ok {
		return nil, fmt.Errorf("table resolver: no such host %q", host)
	}
	return []netip.Addr{netip.MustParseAddr(ip)}, nil
}

var _ egress.Resolver = tableResolver(nil)

// fixedNow is the clock of these tests.
func fixedNow() time.Time { return time.Unix(1764000000, 0) }

// functionServer is a local TLS function endpoint. Routes:
//
//	/echo      verifies the signature, answers the event's Parameters as a string map
//	/raw?b=..  answers b verbatim
//	/status?c= answers status c
//	/sleep     answers after the client gives up
//	/big?n=    answers n bytes of a valid string map
//	/redirect?u= redirects (307) to u
type functionServer struct {
	srv      *httptest.Server
	pool     *x509.CertPool
	port     string
	verified atomic.Int32
	lastErr  atomic.Value
}

func newFunctionServer(t testing.TB) *functionServer {
	t.Helper()
	fs := &functionServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if err := VerifyRequest(r.Header, body, secret.New(testSecret), fixedNow(), time.Minute); err != nil {
			fs.lastErr.Store(err.Error())
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		fs.verified.Add(1)
		var e Event
		if err := json.Unmarshal(body, &e); err != nil || e.Name != EventName {
			http.Error(w, "event", http.StatusBadRequest)
			return
		}
		out := map[string]string{"channel": e.Details.ContactData.Channel}
		for k, v := range e.Details.Parameters {
			out[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /raw", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Query().Get("b"))
	})
	mux.HandleFunc("POST /status", func(w http.ResponseWriter, r *http.Request) {
		c, _ := strconv.Atoi(r.URL.Query().Get("c"))
		w.WriteHeader(c)
		_, _ = io.WriteString(w, `{"a":"b"}`)
	})
	mux.HandleFunc("POST /sleep", func(w http.ResponseWriter, r *http.Request) {
		// The server notices a client hang-up only once the body has been read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	mux.HandleFunc("POST /big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		_, _ = io.WriteString(w, `{"k":"`+strings.Repeat("x", n-len(`{"k":""}`))+`"}`)
	})
	mux.HandleFunc("POST /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusTemporaryRedirect)
	})
	fs.srv = httptest.NewUnstartedServer(mux)
	fs.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	fs.srv.StartTLS()
	t.Cleanup(fs.srv.Close)
	fs.pool = x509.NewCertPool()
	fs.pool.AddCert(fs.srv.Certificate())
	fs.port = strconv.Itoa(int(fs.srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()))
	return fs
}

// url returns https://fn.example.com:<port><path>, a name the test resolver maps to 127.0.0.1.
func (fs *functionServer) url(path string) string {
	return "https://fn.example.com:" + fs.port + path
}

const arnEcho = "arn:aws:lambda:us-east-1:000000000000:function:echo"

// newTestRegistry returns a registry whose egress trusts fs and resolves test names locally.
func newTestRegistry(t testing.TB, fs *functionServer, builtins ...Builtin) *Registry {
	t.Helper()
	var pool *x509.CertPool
	if fs != nil {
		pool = fs.pool
	}
	reg, err := NewRegistry(RegistryOptions{
		Builtins: builtins,
		Egress: egress.Config{
			RootCAs:  pool,
			Resolver: tableResolver{"fn.example.com": "127.0.0.1", "private.example.com": "10.0.0.5"},
		},
	})
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	return reg
}

// endpoint returns the configuration of a function at fs's path, allowlisted.
func endpoint(arn, u string) FunctionConfig {
	return FunctionConfig{ARN: arn, Endpoint: &EndpointConfig{
		URL:           u,
		SigningSecret: secret.New(testSecret),
		AllowHosts:    []string{"fn.example.com"},
	}}
}

func testEvent() Event {
	e := minimalEvent()
	e.Details.Parameters = map[string]string{"orderId": "1001"}
	return e
}

func TestInvokeEndpointHappyPath(t *testing.T) {
	t.Parallel()
	fs := newFunctionServer(t)
	reg := newTestRegistry(t, fs)
	if err := reg.Put(endpoint(arnEcho, fs.url("/echo"))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	inv := NewInvoker(reg, InvokerOptions{Now: fixedNow})
	res, err := inv.Invoke(context.Background(), arnEcho, testEvent(), okTimeout, "")
	if err != nil {
		t.Fatalf("Invoke: %v (server: %v)", err, fs.lastErr.Load())
	}
	want := map[string]string{"channel": "VOICE", "orderId": "1001"}
	if diff := cmp.Diff(want, res.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if res.Mode != ResponseStringMap || res.JSON != nil {
		t.Errorf("mode %q json %s, want STRING_MAP and no JSON", res.Mode, res.JSON)
	}
	if got := fs.verified.Load(); got != 1 {
		t.Errorf("signatures verified = %d, want 1", got)
	}
	if s := res.String(); strings.Contains(s, "1001") {
		t.Errorf("String() = %q shows a value", s)
	}

	res, err = inv.Invoke(context.Background(), arnEcho, testEvent(), okTimeout, ResponseJSON)
	if err != nil {
		t.Fatalf("Invoke JSON: %v", err)
	}
	if got, want := string(res.JSON), `{"channel":"VOICE","orderId":"1001"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

// TestInvokeSignatureRejectedWithWrongSecret proves the server-side check bites: an invoker
// holding another secret is refused by VerifyRequest, and the flow sees KindStatus 401.
func TestInvokeSignatureRejectedWithWrongSecret(t *testing.T) {
	t.Parallel()
	fs := newFunctionServer(t)
	reg := newTestRegistry(t, fs)
	cfg := endpoint(arnEcho, fs.url("/echo"))
	cfg.Endpoint.SigningSecret = secret.New("another-secret-of-enough-length")
	if err := reg.Put(cfg); err != nil {
		t.Fatalf("Put: %v", err)
	}
	_, err := NewInvoker(reg, InvokerOptions{Now: fixedNow}).Invoke(context.Background(), arnEcho, testEvent(), okTimeout, "")
	e := asInvokeError(t, err)
	if e.Kind != KindStatus || e.Status != http.StatusUnauthorized {
		t.Errorf("got %s %d, want %s 401", e.Kind, e.Status, KindStatus)
	}
	if got, _ := fs.lastErr.Load().(string); got != "verify request: signature_mismatch" {
		t.Errorf("server saw %q, want signature_mismatch", got)
	}
}

func asInvokeError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *extfn.Error", err)
	}
	return e
}

func TestInvokeEndpointFailures(t *testing.T) {
	t.Parallel()
	fs := newFunctionServer(t)
	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closedPort := strconv.Itoa(int(closed.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()))
	closed.Close()
	raw := func(body string) string { return fs.url("/raw?b=" + url.QueryEscape(body)) }
	tests := []struct {
		name       string
		url        string
		allowHosts []string
		timeout    time.Duration
		mode       ResponseMode
		stringify  bool
		wantKind   Kind
		wantRule   egress.Rule
		wantStatus int
		wantValues map[string]string
	}{
		{"timeout", fs.url("/sleep"), nil, 200 * time.Millisecond, "", false, KindTimeout, egress.RuleTimeout, 0, nil},
		{"private address", "https://private.example.com/", []string{}, okTimeout, "", false, KindRefused, egress.RuleAddress, 0, nil},
		{"redirect to private", fs.url("/redirect?u=" + url.QueryEscape("https://private.example.com/")), nil, okTimeout, "", false, KindRefused, egress.RuleAddress, 0, nil},
		{"redirect to metadata", fs.url("/redirect?u=" + url.QueryEscape("http://169.254.169.254/latest")), nil, okTimeout, "", false, KindRefused, egress.RuleScheme, 0, nil},
		{"connection refused", "https://fn.example.com:" + closedPort + "/", nil, okTimeout, "", false, KindTransport, "", 0, nil},
		{"status 500", fs.url("/status?c=500"), nil, okTimeout, "", false, KindStatus, "", 500, nil},
		{"status 404", fs.url("/status?c=404"), nil, okTimeout, "", false, KindStatus, "", 404, nil},
		{"status 302 without location", fs.url("/status?c=302"), nil, okTimeout, "", false, KindStatus, "", 302, nil},
		{"status 204 is success but not JSON", fs.url("/status?c=204"), nil, okTimeout, "", false, KindBadResponse, "", 0, nil},
		{"bad json", raw(`{"a":`), nil, okTimeout, "", false, KindBadResponse, "", 0, nil},
		{"html", raw(`<html>oops</html>`), nil, okTimeout, ResponseJSON, false, KindBadResponse, "", 0, nil},
		{"nested in string map", raw(`{"Name":{"First":"J"}}`), nil, okTimeout, ResponseStringMap, false, KindBadResponse, "", 0, nil},
		{"nested in json mode", raw(`{"Name":{"First":"J"}}`), nil, okTimeout, ResponseJSON, false, "", "", 0, nil},
		{"number refused", raw(`{"n":42}`), nil, okTimeout, "", false, KindBadResponse, "", 0, nil},
		{"number stringified", raw(`{"n":42,"b":true}`), nil, okTimeout, "", true, "", "", 0, map[string]string{"n": "42", "b": "true"}},
		{"just under 32 KB", fs.url("/big?n=32767"), nil, okTimeout, "", false, "", "", 0, nil},
		{"exactly 32 KB", fs.url("/big?n=32768"), nil, okTimeout, "", false, KindTooLarge, "", 0, nil},
		{"40 KB", fs.url("/big?n=40000"), nil, okTimeout, "", false, KindTooLarge, egress.RuleSize, 0, nil},
		{"5 MB", fs.url("/big?n=5000000"), nil, okTimeout, ResponseJSON, false, KindTooLarge, egress.RuleSize, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := newTestRegistry(t, fs)
			cfg := endpoint(arnEcho, tt.url)
			if tt.allowHosts != nil {
				cfg.Endpoint.AllowHosts = tt.allowHosts
			}
			if err := reg.Put(cfg); err != nil {
				t.Fatalf("Put: %v", err)
			}
			inv := NewInvoker(reg, InvokerOptions{Now: fixedNow, StringifyScalars: tt.stringify})
			start := time.Now()
			res, err := inv.Invoke(context.Background(), arnEcho, testEvent(), tt.timeout, tt.mode)
			if d := time.Since(start); d > tt.timeout+2*time.Second {
				t.Errorf("took %s, want it bounded by the %s timeout", d, tt.timeout)
			}
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				if tt.wantValues != nil {
					if diff := cmp.Diff(tt.wantValues, res.Values); diff != "" {
						t.Errorf("values (-want +got):\n%s", diff)
					}
				}
				return
			}
			e := asInvokeError(t, err)
			if e.Kind != tt.wantKind || e.Rule != tt.wantRule || e.Status != tt.wantStatus || e.ARN != arnEcho {
				t.Errorf("got kind %q rule %q status %d arn %q, want %q %q %d %q (%v)", e.Kind, e.Rule, e.Status, e.ARN, tt.wantKind, tt.wantRule, tt.wantStatus, arnEcho, err)
			}
			if !strings.HasPrefix(err.Error(), `invoke function "`+arnEcho+`": `+string(tt.wantKind)) {
				t.Errorf("Error() = %q, want the kind after the ARN", err.Error())
			}
		})
	}
}

func TestInvokeCallErrors(t *testing.T) {
	t.Parallel()
	fs := newFunctionServer(t)
	reg := newTestRegistry(t, fs)
	if err := reg.Put(endpoint(arnEcho, fs.url("/sleep"))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	inv := NewInvoker(reg, InvokerOptions{Now: fixedNow})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		arn      string
		timeout  time.Duration
		mode     ResponseMode
		wantKind Kind
		wantText string
	}{
		{"unknown arn", context.Background(), "arn:aws:lambda:us-east-1:000000000000:function:nope", okTimeout, "", KindNotFound, "no such function in this instance"},
		{"zero timeout", context.Background(), arnEcho, 0, "", KindInvalid, "timeout 0s outside (0, 8s]"},
		{"nine seconds", context.Background(), arnEcho, 9 * time.Second, "", KindInvalid, "timeout 9s outside (0, 8s]"},
		{"unknown mode", context.Background(), arnEcho, okTimeout, "XML", KindInvalid, `unknown response mode "XML"`},
		{"cancelled", cancelled, arnEcho, okTimeout, "", KindCanceled, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := inv.Invoke(tt.ctx, tt.arn, testEvent(), tt.timeout, tt.mode)
			e := asInvokeError(t, err)
			if e.Kind != tt.wantKind || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got %q (%v), want kind %q with %q", e.Kind, err, tt.wantKind, tt.wantText)
			}
		})
	}
}

func TestInvokeBuiltins(t *testing.T) {
	t.Parallel()
	builtins := []Builtin{
		{Name: "echo", StringMap: func(ctx context.Context, e Event) (map[string]string, error) {
			return map[string]string{"contact": e.Details.ContactData.ContactID, "orderId": e.Details.Parameters["orderId"]}, nil
		}},
		{Name: "nil-map", StringMap: func(ctx context.Context, e Event) (map[string]string, error) { return nil, nil }},
		{Name: "profile", JSON: func(ctx context.Context, e Event) (json.RawMessage, error) {
			return json.RawMessage(`{"Name":{"First":"Ada"},"Orders":["1001"]}`), nil
		}},
		{Name: "flat-json", JSON: func(ctx context.Context, e Event) (json.RawMessage, error) {
			return json.RawMessage(`{"tier":"gold"}`), nil
		}},
		{Name: "fails", StringMap: func(ctx context.Context, e Event) (map[string]string, error) {
			return nil, errors.New("lookup failed")
		}},
		{Name: "panics", StringMap: func(ctx context.Context, e Event) (map[string]string, error) { panic("boom") }},
		{Name: "polite-slow", StringMap: func(ctx context.Context, e Event) (map[string]string, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{Name: "rude-slow", StringMap: func(ctx context.Context, e Event) (map[string]string, error) {
			time.Sleep(2 * time.Second)
			return map[string]string{}, nil
		}},
		{Name: "huge", JSON: func(ctx context.Context, e Event) (json.RawMessage, error) {
			return json.RawMessage(`"` + strings.Repeat("x", MaxResponseBytes) + `"`), nil
		}},
		{Name: "broken-json", JSON: func(ctx context.Context, e Event) (json.RawMessage, error) { return json.RawMessage(`{`), nil }},
	}
	reg := newTestRegistry(t, nil, builtins...)
	for _, b := range builtins {
		if err := reg.Put(FunctionConfig{ARN: "arn:ringfence:builtin:" + b.Name, Builtin: b.Name}); err != nil {
			t.Fatalf("Put %s: %v", b.Name, err)
		}
	}
	inv := NewInvoker(reg, InvokerOptions{Now: fixedNow})
	tests := []struct {
		name       string
		mode       ResponseMode
		timeout    time.Duration
		wantKind   Kind
		wantValues map[string]string
		wantJSON   string
	}{
		{"echo", ResponseStringMap, okTimeout, "", map[string]string{"contact": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "orderId": "1001"}, ""},
		{"echo", ResponseJSON, okTimeout, "", nil, `{"contact":"2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f","orderId":"1001"}`},
		{"nil-map", ResponseStringMap, okTimeout, "", map[string]string{}, ""},
		{"profile", ResponseJSON, okTimeout, "", nil, `{"Name":{"First":"Ada"},"Orders":["1001"]}`},
		{"profile", ResponseStringMap, okTimeout, KindBadResponse, nil, ""},
		{"flat-json", ResponseStringMap, okTimeout, "", map[string]string{"tier": "gold"}, ""},
		{"fails", ResponseStringMap, okTimeout, KindFunction, nil, ""},
		{"panics", ResponseStringMap, okTimeout, KindFunction, nil, ""},
		{"polite-slow", ResponseStringMap, 100 * time.Millisecond, KindTimeout, nil, ""},
		{"rude-slow", ResponseStringMap, 100 * time.Millisecond, KindTimeout, nil, ""},
		{"huge", ResponseJSON, okTimeout, KindTooLarge, nil, ""},
		{"broken-json", ResponseJSON, okTimeout, KindBadResponse, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+string(tt.mode), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res, err := inv.Invoke(context.Background(), "arn:ringfence:builtin:"+tt.name, testEvent(), tt.timeout, tt.mode)
			if d := time.Since(start); d > tt.timeout+2*time.Second {
				t.Errorf("took %s, want it bounded by the %s timeout", d, tt.timeout)
			}
			if tt.wantKind != "" {
				if e := asInvokeError(t, err); e.Kind != tt.wantKind {
					t.Errorf("kind = %q (%v), want %q", e.Kind, err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if diff := cmp.Diff(tt.wantValues, res.Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if string(res.JSON) != tt.wantJSON {
				t.Errorf("JSON = %s, want %s", res.JSON, tt.wantJSON)
			}
		})
	}
}

// okTimeout bounds calls expected to succeed: generous, so a loaded machine does not fail them.
const okTimeout = 5 * time.Second
