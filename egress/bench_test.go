package egress

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"testing"
)

// Run: go test -run '^$' -bench . -benchmem ./egress

func BenchmarkCheckAddr(b *testing.B) {
	ips := []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("2606:4700:4700::1111"), netip.MustParseAddr("::ffff:10.0.0.5")}
	b.ReportAllocs()
	for b.Loop() {
		for _, ip := range ips {
			_ = CheckAddr(ip)
		}
	}
}

// BenchmarkDoPooled is one GET over a kept-alive TLS connection; BenchmarkDoNewConnection
// dials, checks and handshakes for every call (the cost a cold function call pays).
func BenchmarkDoPooled(b *testing.B)        { benchDo(b, false) }
func BenchmarkDoNewConnection(b *testing.B) { benchDo(b, true) }

func benchDo(b *testing.B, fresh bool) {
	srv, pool := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":"yes"}`)
	}))
	c, err := New(Config{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	url := "https://" + srv.Listener.Addr().String() + "/"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if _, err := c.Do(ctx, req, 0); err != nil {
			b.Fatal(err)
		}
		if fresh {
			c.CloseIdleConnections()
		}
	}
}
