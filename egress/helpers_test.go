package egress

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeResolver answers from a table and never touches real DNS. Each host has a list of
// answers; lookup i returns answers[min(i, len-1)].
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	calls   map[string]int
}

func newFakeResolver(table map[string][]string) *fakeResolver {
	r := &fakeResolver{answers: map[string][][]netip.Addr{}, calls: map[string]int{}}
	for h, ips := range table {
		r.set(h, ips)
	}
	return r
}

// set appends one answer (a list of IPs) for host.
func (r *fakeResolver) set(host string, ips []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var a []netip.Addr
	for _, s := range ips {
		a = append(a, netip.MustParseAddr(s))
	}
	r.answers[host] = append(r.answers[host], a)
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.answers[host]
	if !ok {
		return nil, fmt.Errorf("fake resolver: no such host %q", host)
	}
	i := r.calls[host]
	r.calls[host]++
	if i >= len(seq) {
		i = len(seq) - 1
	}
	return seq[i], nil
}

func (r *fakeResolver) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[host]
}

// loopbackDialer connects every checked "IP:port" to one local server and records what was
// asked for, so tests can pretend a public address was dialled without leaving 127.0.0.1.
type loopbackDialer struct {
	mu     sync.Mutex
	to     string
	dialed []string
}

func (d *loopbackDialer) dial(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, address)
	to := d.to
	d.mu.Unlock()
	if to == "" {
		return nil, errors.New("loopback dialer: dialling is not expected in this test")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", to)
}

func (d *loopbackDialer) got() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialed...)
}

// newServer starts a TLS server on 127.0.0.1 and returns it with a pool trusting its certificate
// (which covers 127.0.0.1, ::1, example.com and *.example.com).
func newServer(t testing.TB, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func get(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", url, err)
	}
	return req
}

// asRefusal returns the *Error in err, or fails the test.
func asRefusal(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *egress.Error", err)
	}
	return e
}

// okTimeout bounds calls expected to succeed: generous, so a loaded machine does not fail them.
const okTimeout = 5 * time.Second
