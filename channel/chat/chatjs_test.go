package chat_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
)

// chatjsVersion is the amazon-connect-chatjs release the test runs against.
const chatjsVersion = "5.0.0"

// chatjsModules installs amazon-connect-chatjs (and the ws package, its WebSocket in Node)
// with npm into a cache directory, once, and returns its node_modules; it skips the test
// when node, npm or the registry is unavailable.
func chatjsModules(t *testing.T) (node, modules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: install Node.js 18+ (Debian: apt-get install nodejs npm) to run the chatjs test")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not installed: install npm (Debian: apt-get install npm) to run the chatjs test")
	}
	dir := os.Getenv("RINGFENCE_CHATJS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ringfence-chatjs-"+chatjsVersion)
	}
	modules = filepath.Join(dir, "node_modules")
	if b, err := os.ReadFile(filepath.Join(modules, "amazon-connect-chatjs", "package.json")); err == nil &&
		bytes.Contains(b, []byte(`"version": "`+chatjsVersion+`"`)) {
		if _, err := os.Stat(filepath.Join(modules, "ws")); err == nil {
			return node, modules
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", dir,
		"amazon-connect-chatjs@"+chatjsVersion, "ws@8")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm install amazon-connect-chatjs@%s failed (registry unavailable?): %v\n%s", chatjsVersion, err, out)
	}
	return node, modules
}

// lockedBuffer is a bytes.Buffer that the process's stderr copier and the test may use at
// once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type jsLine struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

func (l jsLine) String() string { return l.Kind + " " + string(l.Data) }

// TestChatJS runs an unmodified amazon-connect-chatjs customer session in Node against the
// handler: connect, subscribe, typing, send, receive the agent's reply, transcript,
// disconnect, ended.
func TestChatJS(t *testing.T) {
	node, modules := chatjsModules(t)
	e := newEnv(t, chat.Limits{})
	st, err := e.svc.StartChat(context.Background(), chat.StartRequest{InstanceID: e.inst, ContactID: "contact-js", CustomerDisplayName: "Customer"})
	if err != nil {
		t.Fatal(err)
	}
	agent := e.agent("contact-js", "Agent")
	as := agent.subscribe()

	details, _ := json.Marshal(map[string]string{"ContactId": "contact-js", "ParticipantId": st.ParticipantID,
		"ParticipantToken": st.ParticipantToken.Reveal()})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "chatjs_customer.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "RF_ENDPOINT="+e.srv.URL, "RF_CHAT="+string(details))
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan jsLine, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "RFTEST "); ok {
				var l jsLine
				if json.Unmarshal([]byte(rest), &l) == nil {
					lines <- l
				}
			}
		}
	}()
	var seen []jsLine
	tail := func() string {
		s := stderr.String()
		if len(s) > 4000 {
			s = "..." + s[len(s)-4000:]
		}
		return s
	}
	waitFor := func(kind string) json.RawMessage {
		t.Helper()
		for l := range lines {
			seen = append(seen, l)
			if l.Kind == "error" {
				t.Fatalf("chatjs failed: %s\nstderr:\n%s", l.Data, tail())
			}
			if l.Kind == kind {
				return l.Data
			}
		}
		t.Fatalf("chatjs ended before %q; seen %v\nstderr:\n%s", kind, seen, tail())
		return nil
	}

	waitFor("connected")
	var sent struct{ Id, AbsoluteTime string }
	json.Unmarshal(waitFor("sent"), &sent)
	// The agent sees the typing event, then the customer's message, redacted.
	var msg chat.Item
	for {
		msg = next(t, as)
		if msg.Type == chat.TypeMessage {
			break
		}
	}
	if msg.ID != sent.Id || msg.AbsoluteTime != sent.AbsoluteTime || msg.Content != "hello from chatjs, card [CARD]" {
		t.Errorf("agent received %+v; chatjs sent %+v", msg, sent)
	}
	agent.send("hello from the agent")
	var reply struct{ Content string }
	json.Unmarshal(waitFor("reply"), &reply)
	if reply.Content != "hello from the agent" {
		t.Errorf("chatjs received %q", reply.Content)
	}
	var tr []chat.Item
	json.Unmarshal(waitFor("transcript"), &tr)
	var texts []string
	for _, it := range tr {
		texts = append(texts, string(it.ParticipantRole)+": "+it.Content)
	}
	want := "CUSTOMER: |AGENT: |CUSTOMER: hello from chatjs, card [CARD]|AGENT: hello from the agent"
	if got := strings.Join(texts, "|"); got != want {
		t.Errorf("chatjs transcript = %q, want %q", got, want)
	}
	// chatjs reports the chat.ended push and the end of its DisconnectParticipant call in
	// either order.
	for _, kind := range []string{"disconnected", "ended"} {
		found := false
		for _, l := range seen {
			found = found || l.Kind == kind
		}
		if !found {
			waitFor(kind)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node: %v\nstderr:\n%s", err, tail())
	}
	if testing.Verbose() {
		t.Logf("chatjs stderr:\n%s", tail())
	}
	// The agent sees its own reply, then the customer leave and the chat end.
	var end []string
	for len(end) < 3 {
		if it := next(t, as); it.Type == chat.TypeEvent {
			end = append(end, strings.TrimPrefix(it.ContentType, chat.EventPrefix))
		}
	}
	if got := strings.Join(end, ","); got != "participant.left,participant.left,chat.ended" {
		t.Errorf("agent saw %s at the end", got)
	}
	// Every message chatjs pushed to onMessage carried routing IDs it accepted; the count
	// of onMessage calls proves it (joined events + the two messages at least).
	n := 0
	for _, l := range seen {
		if l.Kind == "message" {
			n++
		}
	}
	if n < 3 {
		t.Errorf("chatjs onMessage fired %d times, want at least 3", n)
	}
	// chatjs asked for a connection once (no refresh loop) and every call succeeded.
	calls := map[string]int{}
	for _, ev := range e.auditEvents("participant.") {
		if ev.Actor != "participant:"+st.ParticipantID {
			continue
		}
		calls[ev.Operation]++
		if ev.Outcome != audit.OutcomeSuccess {
			t.Errorf("chatjs call %s failed: %s", ev.Operation, ev.ErrorCode)
		}
	}
	if calls["CreateParticipantConnection"] != 1 || calls["SendMessage"] != 1 || calls["GetTranscript"] < 1 || calls["DisconnectParticipant"] != 1 {
		t.Errorf("chatjs calls: %v", calls)
	}
	t.Logf("chatjs calls: %v", calls)
}
