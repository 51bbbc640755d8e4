package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/ringfence/ringfence/node"
)

// TestHealthReadyMetrics checks /healthz and /readyz on the API address, Prometheus /metrics on
// its own address (and not on the API address), and graceful shutdown when the context ends.
func TestHealthReadyMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MetricsAddr: metricsAddr, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	boot, err := n.Bootstrap(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- n.Serve(ctx, func(a string) { addrc <- a }) }()
	addr := <-addrc
	pem, _ := os.ReadFile(boot.CACertPath)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("https://" + addr + "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("https://" + addr + "/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	tn := &testNode{n: n, endpoint: "https://" + addr, boot: boot, client: hc}
	if _, err := tn.sdk(boot.SecretAccessKey.Reveal()).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Fatal(err)
	}
	if code, body := get("http://" + metricsAddr + "/metrics"); code != 200 ||
		!strings.Contains(body, `ringfence_api_requests_total{code="OK",operation="ListInstances"} 1`) {
		t.Errorf("/metrics = %d, missing the ListInstances counter:\n%.500s", code, body)
	}
	if _, body := get("http://" + metricsAddr + "/metrics"); !strings.Contains(body, "ringfence_store_statements_total ") ||
		!strings.Contains(body, "ringfence_store_write_batches_total ") || !strings.Contains(body, "ringfence_store_writer_busy_seconds_total ") {
		t.Errorf("/metrics misses the store's counters:\n%.500s", body)
	}
	if code, _ := get("https://" + addr + "/metrics"); code == 200 {
		t.Error("/metrics is served on the API address")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("graceful shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
}
