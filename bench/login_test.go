package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/secret"
)

// verifyCost returns the mean time of one argon2id verification with p, over n runs.
func verifyCost(b *testing.B, p identity.Argon2Params, n int) time.Duration {
	h := identity.PasswordHasher{Params: p}
	enc, err := h.HashPassword(context.Background(), secret.New("correct horse battery staple"))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for range n {
		if ok, _, err := h.VerifyPassword(context.Background(), enc, secret.New("correct horse battery staple")); err != nil || !ok {
			b.Fatalf("verify: %v %v", ok, err)
		}
	}
	return time.Since(start) / time.Duration(n)
}

// BenchmarkArgon2Verify measures one argon2id verification with identity.DefaultArgon2Params
// (OWASP's minimum: m=19 MiB, t=2, p=1) and looks for the iteration count that makes one
// verification cost 20–50 ms on this machine (the band where guessing is slow and a sign-in
// still feels instant), printing the parameters it settles on beside the defaults:
//
//	go test -run '^$' -bench Argon2Verify -benchtime 20x ./bench/
func BenchmarkArgon2Verify(b *testing.B) {
	def := identity.DefaultArgon2Params()
	p := def
	cost := verifyCost(b, p, 5)
	for cost < 20*time.Millisecond && p.Iterations < 16 {
		p.Iterations++
		cost = verifyCost(b, p, 5)
	}
	for cost > 50*time.Millisecond && p.Iterations > 1 {
		p.Iterations--
		cost = verifyCost(b, p, 5)
	}
	b.Logf("argon2id for 20-50 ms here: m=%d KiB, t=%d, p=%d (%.1f ms); defaults m=%d KiB, t=%d, p=%d",
		p.MemoryKiB, p.Iterations, p.Parallelism, float64(cost.Microseconds())/1000, def.MemoryKiB, def.Iterations, def.Parallelism)
	h := identity.PasswordHasher{Params: def}
	enc, _ := h.HashPassword(context.Background(), secret.New("correct horse battery staple"))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := h.VerifyPassword(context.Background(), enc, secret.New("correct horse battery staple")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/verify")
	b.ReportMetric(float64(p.Iterations), "t-for-20-50ms")
}

var csrfToken = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// BenchmarkLogin measures password sign-ins through the node's pages (sign-in form, CSRF
// token, argon2id verification under the node's concurrency bound, lockout bookkeeping,
// session creation and its audit event, all durable) with many browsers at once, each from
// its own address behind a trusted proxy (so the per-address rate limit does not apply). It
// reports sign-ins per second beside the ceiling argon2id alone allows on this machine
// (GOMAXPROCS / one verification's cost):
//
//	go test -run '^$' -bench Login -benchtime 200x ./bench/
func BenchmarkLogin(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", InsecureHTTP: true, Logger: slog.New(slog.DiscardHandler),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		b.Fatal(err)
	}
	boot, err := n.Bootstrap(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	people, err := n.SeedDemoUsers(ctx, boot.InstanceID)
	if err != nil {
		b.Fatal(err)
	}
	// Two agents take turns: a user's sign-ins in flight each hold one of its 10 lockout
	// attempts until they succeed, so no user may have 10 at once.
	var agents []node.SeededUser
	for _, p := range people {
		if !p.MFAEnrollmentRequired {
			agents = append(agents, p)
		}
	}
	h, err := n.Handler(nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(func() { srv.Close(); n.Close() })
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	var addrSeq atomic.Uint32
	cost := verifyCost(b, identity.DefaultArgon2Params(), 5)

	// About 8 browsers at once whatever the CPU count: enough to keep the argon2id limiter
	// (2 × CPUs) full on small machines, and 4 per agent, below its lockout.
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	var who atomic.Uint32
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		agent := agents[int(who.Add(1))%len(agents)]
		for pb.Next() {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			a := addrSeq.Add(1)
			xff := fmt.Sprintf("10.%d.%d.%d", byte(a>>16), byte(a>>8), byte(a))
			get, _ := http.NewRequest(http.MethodGet, srv.URL+"/ui/login?instance=bench", nil)
			get.Header.Set("X-Forwarded-For", xff)
			resp, err := c.Do(get)
			if err != nil {
				b.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := csrfToken.FindSubmatch(page)
			if m == nil {
				b.Fatalf("no CSRF token on the sign-in page (%d)", resp.StatusCode)
			}
			// The jar does not send the sign-in form's Secure cookie over plain HTTP: send it by hand.
			form := url.Values{"csrf": {string(m[1])}, "instance": {"bench"}, "username": {agent.Username}, "password": {agent.Password.Reveal()}}
			post, _ := http.NewRequest(http.MethodPost, srv.URL+"/ui/login", strings.NewReader(form.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			post.Header.Set("X-Forwarded-For", xff)
			for _, ck := range resp.Cookies() {
				post.AddCookie(ck)
			}
			resp, err = c.Do(post)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/" {
				b.Fatalf("sign-in answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "sign-ins/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0))/cost.Seconds(), "argon2id-ceiling/s")
	b.ReportMetric(float64(cost.Microseconds())/1000, "ms/verify")
}
