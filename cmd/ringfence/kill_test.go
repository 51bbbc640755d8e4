package main_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/node"
)

// buildBinary compiles ringfence into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ringfence")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type bootOut struct {
	InstanceID      string `json:"instance_id"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	CACertPath      string `json:"ca_cert_path"`
}

func startServe(t *testing.T, bin, dataDir, addr string, client *http.Client) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http-addr", addr, "--metrics-addr", "", "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatal("server did not become healthy")
	return nil
}

// TestKill9 sends 1,000 concurrent audited CreateInstance calls, kills the server with SIGKILL
// while they are in flight, restarts it, and checks that every call that returned 200 left its
// instance and its audit event, and that the audit chain verifies.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	out, err := exec.Command(bin, "bootstrap", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot bootOut
	if err := json.Unmarshal(out, &boot); err != nil {
		t.Fatalf("bootstrap output %s: %v", out, err)
	}
	pem, err := os.ReadFile(boot.CACertPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}, Timeout: 20 * time.Second}
	addr := freeAddr(t)
	srv := startServe(t, bin, dataDir, addr, client)
	c := connect.New(connect.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(boot.AccessKeyID, boot.SecretAccessKey, ""),
		BaseEndpoint: aws.String("https://" + addr), HTTPClient: client, RetryMaxAttempts: 1,
	})

	const total, workers = 1000, 50
	var (
		mu    sync.Mutex
		acked = map[string]string{} // instance ID -> alias
		done  atomic.Int64
		wg    sync.WaitGroup
		next  atomic.Int64
	)
	killed := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > total {
					return
				}
				alias := fmt.Sprintf("k9-%04d", i)
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				res, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{
					IdentityManagementType: types.DirectoryTypeConnectManaged, InstanceAlias: aws.String(alias),
					InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
				})
				cancel()
				if err == nil {
					mu.Lock()
					acked[aws.ToString(res.Id)] = alias
					mu.Unlock()
				}
				if done.Add(1) == total/3 {
					_ = srv.Process.Signal(syscall.SIGKILL)
					close(killed)
				}
			}
		}()
	}
	wg.Wait()
	_ = srv.Wait()
	select {
	case <-killed:
	default:
		t.Fatal("server was never killed")
	}
	t.Logf("%d of %d writes acknowledged before and around the kill", len(acked), total)
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}

	// Restart and read everything back through the API.
	srv = startServe(t, bin, dataDir, addr, client)
	found := map[string]string{}
	p := connect.NewListInstancesPaginator(c, &connect.ListInstancesInput{MaxResults: aws.Int32(10)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListInstances after restart: %v", err)
		}
		for _, s := range page.InstanceSummaryList {
			found[aws.ToString(s.Id)] = aws.ToString(s.InstanceAlias)
		}
	}
	_ = srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	for id, alias := range acked {
		if found[id] != alias {
			t.Errorf("acknowledged instance %s (%s) missing after restart", id, alias)
		}
	}

	// Every acknowledged write has its success event; the chain verifies.
	if out, err := exec.Command(bin, "audit", "verify", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	n, err := node.Open(context.Background(), node.Config{DataDir: dataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	events := map[string]bool{}
	err = n.Store.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.Operation == "CreateInstance" && ev.Outcome == audit.OutcomeSuccess {
			events[ev.InstanceID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range acked {
		if !events[id] {
			t.Errorf("acknowledged instance %s has no success audit event", id)
		}
	}
}
