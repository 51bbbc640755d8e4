package recordsink

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/secret"
)

const hookSecret = "0123456789abcdef-hook-secret"

// hookServer is a local TLS receiver that verifies signatures and fails the first `fail`
// requests with 503.
type hookServer struct {
	srv  *httptest.Server
	pool *x509.CertPool

	mu       sync.Mutex
	fail     int
	bodies   []string // bodies of accepted requests
	requests int
	verified int
	problems []string
}

func newHookServer(t *testing.T, fail int) *hookServer {
	t.Helper()
	h := &hookServer{fail: fail}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.requests++
		if err != nil {
			h.problems = append(h.problems, "read: "+err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/hook" || r.Header.Get("Content-Type") != WebhookContentType {
			h.problems = append(h.problems, fmt.Sprintf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
		}
		if err := extfn.VerifyRequest(r.Header, body, secret.New(hookSecret), time.Now(), time.Minute); err != nil {
			h.problems = append(h.problems, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.verified++
		if h.fail > 0 {
			h.fail--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		h.bodies = append(h.bodies, string(body))
		w.WriteHeader(http.StatusAccepted)
	}))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	h.pool = x509.NewCertPool()
	h.pool.AddCert(h.srv.Certificate())
	return h
}

// webhook returns a sink posting to h, trusting its certificate and allowing loopback.
func (h *hookServer) webhook(t *testing.T) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookConfig{URL: h.srv.URL + "/hook", Secret: secret.New(hookSecret),
		Egress: egress.Config{RootCAs: h.pool, AllowHosts: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	t.Cleanup(w.Close)
	return w
}

func TestWebhookSignsAndRetriesNon2xx(t *testing.T) {
	st := openStore(t)
	h := newHookServer(t, 1)
	w := h.webhook(t)
	entries := []contact.RecordEntry{entry(t, instA, 1, base), entry(t, instB, 2, base), entry(t, instA, 3, base)}
	appendRecords(t, st, entries...)
	r := newRunner(t, st, 0, w)

	_, err := r.deliverOnce(context.Background(), w)
	if err == nil || !strings.Contains(err.Error(), `sink "webhook": deliver records 1–3: webhook sink: receiver answered status 503`) {
		t.Fatalf("first delivery error = %v, want the 503", err)
	}
	if got := cursor(t, st, "webhook"); got != 0 {
		t.Fatalf("cursor after 503 = %d, want 0", got)
	}
	drain(t, r, w)
	if got := cursor(t, st, "webhook"); got != 3 {
		t.Errorf("cursor = %d, want 3", got)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.problems) > 0 {
		t.Errorf("receiver problems: %q", h.problems)
	}
	if h.requests != 2 || h.verified != 2 || len(h.bodies) != 1 {
		t.Fatalf("requests %d, verified %d, accepted %d; want 2, 2, 1", h.requests, h.verified, len(h.bodies))
	}
	var want strings.Builder
	for _, e := range entries {
		want.Write(e.Body)
		want.WriteByte('\n')
	}
	if diff := cmp.Diff(want.String(), h.bodies[0]); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestWebhookSplitsLargeBatches(t *testing.T) {
	h := newHookServer(t, 0)
	w := h.webhook(t)
	var entries []contact.RecordEntry
	for i := range 5 {
		e := entry(t, instA, i+1, base)
		e.Body = fmt.Appendf(nil, `{"ContactId":%q,"Pad":%q}`, e.ContactID, strings.Repeat("x", 400<<10))
		entries = append(entries, e)
	}
	if err := w.Deliver(context.Background(), entries); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var sizes []int
	var lines []string
	for _, b := range h.bodies {
		if len(b) > MaxWebhookBodyBytes {
			t.Errorf("body of %d bytes, above %d", len(b), MaxWebhookBodyBytes)
		}
		got := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
		sizes = append(sizes, len(got))
		lines = append(lines, got...)
	}
	if diff := cmp.Diff([]int{2, 2, 1}, sizes); diff != "" {
		t.Errorf("records per POST (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(idsOf(entries), contactIDs(t, lines)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestNewWebhookRejectsBadConfig(t *testing.T) {
	long := secret.New(hookSecret)
	tests := []struct {
		name string
		cfg  WebhookConfig
		want string
	}{
		{"plain http", WebhookConfig{URL: "http://hooks.example.com/x", Secret: long}, "recordsink: webhook: URL: egress"},
		{"loopback not allowed", WebhookConfig{URL: "https://127.0.0.1:8443/x", Secret: long}, "recordsink: webhook: URL: egress"},
		{"metadata address", WebhookConfig{URL: "https://169.254.169.254/", Secret: long}, "recordsink: webhook: URL: egress"},
		{"short secret", WebhookConfig{URL: "https://hooks.example.com/x", Secret: secret.New("short")}, "signing secret of 5 bytes, want at least 16"},
		{"long timeout", WebhookConfig{URL: "https://hooks.example.com/x", Secret: long, Timeout: 9 * time.Second}, "timeout 9s outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWebhook(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewWebhook error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
