package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringfence/ringfence/channel/chat/participantclient"
)

// killChats is how many chats the durability test holds when it kills the node.
const killChats = 1000

// TestKill9Chats is the chat durability test: the ringfence binary serves a data directory,
// the load generator holds 1,000 chats whose customers send messages, the node is killed
// with SIGKILL in the middle of it, restarted on the same directory, and then every chat's
// transcript (GetTranscript, page by page, with the customer's connection token) holds every
// message whose SendMessage was answered, none twice, each participant's messages in the
// order they were sent; the audit chain verifies.
//
// Agents are played through an in-process node's runtime, so this run drives customers only
// (each message is also delivered to the customer's own socket).
func TestKill9Chats(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and holds 1,000 chats; skipped with -short")
	}
	if limit := descriptorLimit(); limit > 0 && limit < killChats+512 {
		t.Skipf("needs %d open descriptors, the limit is %d (ulimit -n)", killChats+512, limit)
	}
	began := time.Now()
	bin := filepath.Join(t.TempDir(), "ringfence")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ringfence/ringfence/cmd/ringfence").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	out, err := exec.Command(bin, "bootstrap", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		CACertPath      string `json:"ca_cert_path"`
	}
	if err := json.Unmarshal(out, &boot); err != nil {
		t.Fatalf("bootstrap printed %s: %v", out, err)
	}
	addr, metrics := freeAddr(t), freeAddr(t)
	srv := serve(t, bin, dataDir, addr, metrics, boot.CACertPath)

	const killAfter = 8 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var killedAt time.Time
	killed := make(chan struct{})
	var log strings.Builder
	rep, err := Run(ctx, Options{
		Endpoint: "https://" + addr, CAFile: boot.CACertPath, AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey,
		MetricsURL: "http://" + metrics + "/metrics", Customers: killChats, Agents: 0, Duration: 30 * time.Second, Rate: 1,
		EchoDuration: -1, Log: &log,
		OnMessaging: func() {
			time.AfterFunc(killAfter, func() {
				_ = srv.Process.Signal(syscall.SIGKILL)
				killedAt = time.Now()
				close(killed)
				// The customers keep sending to the dead node for a moment, then stop.
				time.AfterFunc(time.Second, cancel)
			})
		},
	})
	if err != nil {
		_ = srv.Process.Kill()
		t.Fatalf("load: %v\n%s", err, log.String())
	}
	_ = srv.Wait()
	select {
	case <-killed:
	default:
		t.Fatal("the node was never killed")
	}
	t.Logf("%d chats held (setup %s); node killed %s into the messages; %d messages acknowledged (%.0f/s), %d failed",
		rep.HeldIdle, rep.SetupTime.Round(time.Millisecond), killAfter, rep.Acked, float64(rep.Acked)/killAfter.Seconds(), rep.Failed+rep.Throttled)
	t.Logf("node memory per idle chat (one customer socket each): %.1f KB resident (%d → %d MB), %.1f KB live",
		rep.RSSPerChat/1024, rep.Before.RSS>>20, rep.Idle.RSS>>20, rep.LivePerChat/1024)
	if rep.HeldIdle != killChats || rep.Acked == 0 {
		t.Fatalf("held %d of %d chats, %d messages acknowledged: the node was killed before the load ran\n%s", rep.HeldIdle, killChats, rep.Acked, log.String())
	}

	// Restart on the same data directory and read every transcript back.
	restart := time.Now()
	srv = serve(t, bin, dataDir, addr, metrics, boot.CACertPath)
	t.Logf("restarted in %s (%s after the kill)", time.Since(restart).Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond))
	pc := participantclient.New("https://"+addr, tlsClient(t, boot.CACertPath))
	var (
		mu       sync.Mutex
		problems []string
		extra    int // stored messages whose answer never reached the customer
	)
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 50 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	readStart := time.Now()
	err = parallel(context.Background(), len(rep.Chats), 16, func(ctx context.Context, i int) error {
		c := rep.Chats[i]
		items, err := pc.FullTranscript(ctx, c.CustomerConnectionToken)
		if err != nil {
			report("contact %s: GetTranscript: %v", c.ContactID, err)
			return nil
		}
		// The load messages each participant stored, in transcript order.
		stored := map[string][]int{}
		ids := map[string]string{}
		for _, it := range items {
			role, idx, seq, _, ok := parseContent(it.Content)
			if it.Type != "MESSAGE" || !ok {
				continue
			}
			if idx != c.Index {
				report("contact %s holds a message of chat %d", c.ContactID, idx)
			}
			r := map[byte]string{'c': "CUSTOMER", 'a': "AGENT"}[role]
			if string(it.ParticipantRole) != r {
				report("contact %s: message %q stored as %s", c.ContactID, it.Content, it.ParticipantRole)
			}
			stored[r] = append(stored[r], seq)
			ids[fmt.Sprintf("%s/%d", r, seq)] = it.ID
		}
		for r, seqs := range stored {
			for k := 1; k < len(seqs); k++ {
				if seqs[k] == seqs[k-1] {
					report("contact %s: %s message %d stored twice", c.ContactID, r, seqs[k])
				} else if seqs[k] < seqs[k-1] {
					report("contact %s: %s message %d stored after %d", c.ContactID, r, seqs[k], seqs[k-1])
				}
			}
		}
		n := 0
		for _, a := range c.Acked {
			id, ok := ids[fmt.Sprintf("%s/%d", a.Role, a.Seq)]
			switch {
			case !ok:
				report("contact %s: acknowledged %s message %d (%s) is not in the transcript", c.ContactID, a.Role, a.Seq, a.ID)
			case id != a.ID:
				report("contact %s: %s message %d has Id %s, SendMessage answered %s", c.ContactID, a.Role, a.Seq, id, a.ID)
			}
			n++
		}
		mu.Lock()
		extra += len(stored["CUSTOMER"]) + len(stored["AGENT"]) - n
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read %d transcripts in %s; %d messages stored whose answer was lost with the node", len(rep.Chats),
		time.Since(readStart).Round(time.Millisecond), extra)
	for _, p := range problems {
		t.Error(p)
	}

	_ = srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	if out, err := exec.Command(bin, "audit", "verify", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Errorf("audit verify after the kill: %v\n%s", err, out)
	}
	t.Logf("whole test %s", time.Since(began).Round(time.Second))
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

func tlsClient(t *testing.T, caPath string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}, Timeout: 30 * time.Second}
}

// serve starts `ringfence serve` on dataDir and waits until it answers /healthz.
func serve(t *testing.T, bin, dataDir, addr, metrics, caPath string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http-addr", addr, "--metrics-addr", metrics,
		"--api-rate", "100000", "--api-burst", "100000", "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hc := tlsClient(t, caPath)
	defer hc.CloseIdleConnections()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := hc.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	t.Fatal("the node did not answer /healthz within 30 s")
	return nil
}
