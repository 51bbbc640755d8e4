package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// apiServer is a bootstrapped node behind an httptest server on loopback, with an unsigned,
// unaudited handler at /bench/unsigned on the same server as the baseline.
type apiServer struct {
	url   string
	creds aws.Credentials
	inst  string
	hc    *http.Client
	// stats reads the store's running totals (statements, group commits, read transactions).
	stats func() sqlstore.Stats
}

func newAPIServer(b *testing.B) *apiServer {
	b.Helper()
	dir := b.TempDir()
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", InsecureHTTP: true,
		APIRate: 1e9, APIBurst: 1e9, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	boot, err := n.Bootstrap(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	h, err := n.Handler(nil)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /bench/unsigned", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Id":"x","Arn":"y"}`))
	})
	mux.Handle("/", h)
	srv := httptest.NewServer(mux)
	b.Cleanup(func() { srv.Close(); n.Close() })
	return &apiServer{
		url:   srv.URL,
		creds: aws.Credentials{AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey.Reveal()},
		inst:  boot.InstanceID,
		hc:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
		stats: n.Store.(*sqlstore.Store).Stats,
	}
}

func (s *apiServer) send(b *testing.B, signer *v4.Signer, method, path, body string, sign bool) {
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sign {
		sum := sha256.Sum256([]byte(body))
		h := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", h)
		if err := signer.SignHTTP(context.Background(), s.creds, req, h, "connect", "us-east-1", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: status %d", method, path, resp.StatusCode)
	}
}

var aliasSeq atomic.Int64

// BenchmarkAPI compares, on one server: signed + audited + durable CreateInstance writes,
// signed + audited DescribeInstance reads, and an unsigned, unaudited handler. Each reports
// requests per second; run with -cpu 2 and enough parallelism to fill group commits:
//
//	go test -run '^$' -bench API -benchtime 3s ./bench/
func BenchmarkAPI(b *testing.B) {
	s := newAPIServer(b)
	b.Run("CreateInstance/signed-audited-durable", func(b *testing.B) {
		b.SetParallelism(32)
		before := s.usage()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			signer := v4.NewSigner()
			for pb.Next() {
				alias := fmt.Sprintf("b%d", aliasSeq.Add(1))
				body := `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"` + alias + `","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`
				s.send(b, signer, "PUT", "/instance", body, true)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		s.report(b, before)
	})
	b.Run("DescribeInstance/signed-audited", func(b *testing.B) {
		b.SetParallelism(32)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			signer := v4.NewSigner()
			for pb.Next() {
				s.send(b, signer, "GET", "/instance/"+s.inst, "", true)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
	})
	b.Run("Unsigned-unaudited-handler", func(b *testing.B) {
		b.SetParallelism(32)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.send(b, nil, "PUT", "/bench/unsigned", `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"x"}`, false)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})
}

// usage is a snapshot of what the server process has done: its store's totals and its CPU
// time (the in-process clients' signing included).
type usage struct {
	store sqlstore.Stats
	cpu   time.Duration
	at    time.Time
}

func (s *apiServer) usage() usage { return usage{store: s.stats(), cpu: processCPU(), at: time.Now()} }

// report reports what one operation cost since before: SQL statements, read transactions,
// the mean number of callers per group commit, the share of the time the store's single
// writer was busy, and CPU time, with the rate two fully used cores would give at that CPU
// cost (the ceiling when nothing else runs on the machine and the writer keeps up).
func (s *apiServer) report(b *testing.B, before usage) {
	after := s.usage()
	n := float64(b.N)
	b.ReportMetric(float64(after.store.Statements-before.store.Statements)/n, "stmts/op")
	b.ReportMetric(float64(after.store.Reads-before.store.Reads)/n, "reads/op")
	if batches := after.store.Batches - before.store.Batches; batches > 0 {
		b.ReportMetric(float64(after.store.Batched-before.store.Batched)/float64(batches), "calls/commit")
	}
	b.ReportMetric(100*(after.store.WriterBusy-before.store.WriterBusy).Seconds()/after.at.Sub(before.at).Seconds(), "writer-busy-%")
	if cpu := after.cpu - before.cpu; cpu > 0 {
		per := cpu.Seconds() / n
		b.ReportMetric(per*1e6, "cpu-µs/op")
		b.ReportMetric(2/per, "2-core-ceiling/s")
	}
}

// BenchmarkFsync measures the raw rate of 100-byte append+fsync on the benchmark's disk: the
// ceiling a store without group commit would have.
//
//	go test -run '^$' -bench Fsync ./bench/
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 100)
	start := time.Now()
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "fsyncs/s")
}
