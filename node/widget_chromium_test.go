package node_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/routing"
)

// startNodeHTTP is startNode over plain HTTP on loopback (what a browser test can reach
// without trusting the generated CA), with the demo's sample flows.
func startNodeHTTP(t *testing.T) *testNode {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Open(ctx, node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", InsecureHTTP: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	boot, err := n.Bootstrap(ctx, "demo")
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := n.SeedDemo(ctx, boot.InstanceID); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, func(addr string) { addrc <- addr }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		n.Close()
	})
	return &testNode{n: n, endpoint: "http://" + addr, boot: boot, client: &http.Client{Timeout: 10 * time.Second}, dataDir: dir}
}

// cutProxy forwards TCP connections to a server and can cut them all at once and refuse new
// ones, as a network outage does, then let them through again.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *cutProxy) forget(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *cutProxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(u) {
		p.forget(c)
		if u != nil {
			u.Close()
		}
		return
	}
	go func() { _, _ = io.Copy(u, c); p.forget(c, u) }()
	_, _ = io.Copy(c, u)
	p.forget(c, u)
}

// cut closes every connection and refuses new ones until restore.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// browserProblems collects what must not happen in the browser: uncaught exceptions, console
// errors, dialogs (an alert from an injected script), and browser log errors other than
// network failures (the test cuts the network on purpose).
type browserProblems struct {
	mu     sync.Mutex
	issues []string
}

func (b *browserProblems) add(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.issues = append(b.issues, fmt.Sprintf(format, args...))
}

func (b *browserProblems) listen(where string) func(ev any) {
	return func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ""
			if ev.ExceptionDetails.Exception != nil {
				d = ev.ExceptionDetails.Exception.Description
			}
			b.add("%s: uncaught exception: %s %s", where, ev.ExceptionDetails.Text, d)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, fmt.Sprint(a.Value), a.Description)
				}
				b.add("%s: console.%s: %s", where, ev.Type, strings.Join(parts, " "))
			}
		case *page.EventJavascriptDialogOpening:
			b.add("%s: a dialog opened: %s %q", where, ev.Type, ev.Message)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork &&
				!strings.Contains(ev.Entry.Text, "WebSocket connection to") {
				b.add("%s: browser log %s (%s): %s %s", where, ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	}
}

func (b *browserProblems) check(t *testing.T, step string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.issues) > 0 {
		t.Fatalf("%s: %d problem(s) in the browser:\n%s", step, len(b.issues), strings.Join(b.issues, "\n"))
	}
}

// xssPayloads are the chat messages of SECURITY.md's bad input 9 (and a few more of the
// kind); each sets window.__pwned or opens a dialog if it ever runs.
var xssPayloads = []string{
	`<img src=x onerror="window.__pwned=1;alert(1)">`,
	`<svg onload="window.__pwned=2;alert(2)">`,
	`[click me](javascript:window.__pwned=3)`,
	`</script><script>window.__pwned=4;alert(4)</script>`,
	`"><iframe src="javascript:alert(5)"></iframe>`,
	"invoice\u202Etxt.exe and a family \U0001F469\u200D\U0001F4BB",
}

// widgetShows is how the widget shows a message: the characters that could disguise it
// (here the right-to-left override; the joiner between two emoji is a real use and stays) as
// visible markers.
func widgetShows(s string) string {
	return strings.ReplaceAll(s, "\u202E", "⟨U+202E⟩")
}

// TestChromiumWidget embeds the chat widget in a customer's page served from another site
// (an approved origin) and chats through the demo chat flow in Chromium: the visitor opens
// the widget, starts a chat, picks a menu button, waits in the queue (the customer queue
// flow speaks); an agent driven from Go (Available, accept, the participant API) talks with
// them, in text and Markdown; the visitor sends XSS payloads that must render as text and
// never run; the network drops and comes back, and the widget catches up without losing or
// repeating a message; the visitor ends the chat. Screenshots go to the test's temporary
// directory (or RINGFENCE_SCREENSHOTS).
func TestChromiumWidget(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	tn := startNodeHTTP(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	rt, err := tn.n.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	watch := &offerWatch{ch: make(chan routing.Event, 100)}
	rt.AddNotifier(watch)

	// The browser reaches the contact center through a proxy the test can cut.
	proxy := newCutProxy(t, strings.TrimPrefix(tn.endpoint, "http://"))
	base := "http://" + proxy.addr()

	// The organisation's site: another site (localhost, not 127.0.0.1), with its own CSP.
	siteLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	site := fmt.Sprintf("http://localhost:%d", siteLn.Addr().(*net.TCPAddr).Port)
	w, err := tn.n.CreateWidget(ctx, inst, flowIDByName(t, c, inst, "Chat with topic menu"), node.WidgetOptions{Name: "Web"})
	if err != nil {
		t.Fatal(err)
	}
	siteSrv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; script-src 'self' %[1]s; connect-src %[1]s; frame-src %[1]s; style-src 'self'", base))
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(rw, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example shop</title></head>
<body><h1 id="shop">Example shop</h1><p>Welcome to our shop.</p>
%s
</body></html>`, node.WidgetSnippet(base, w.ID))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = siteSrv.Serve(siteLn) }()
	t.Cleanup(func() { siteSrv.Close() })
	if _, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String(site)}); err != nil {
		t.Fatal(err)
	}

	// An agent is available.
	agent := createAgentUser(t, c, inst, "agent.web")
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(agent), AgentStatusId: aws.String(availableStatus(t, c, inst))}); err != nil {
		t.Fatalf("PutUserStatus: %v", err)
	}

	shots := t.TempDir()
	if d := os.Getenv("RINGFENCE_SCREENSHOTS"); d != "" {
		shots = d
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1100, 800))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelB := chromedp.NewContext(allocCtx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	defer cancelT()
	probs := &browserProblems{}
	if err := chromedp.Listen(bctx, probs.listen("site")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	shot := func(name string) {
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o600); err != nil {
			t.Errorf("save screenshot: %v", err)
		}
	}
	defer func() { t.Logf("screenshots in %s", shots) }()
	poll := func(ctx context.Context, step, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			shot("failed-" + strings.ReplaceAll(step, " ", "-"))
			t.Fatalf("%s: %v", step, err)
		}
		probs.check(t, step)
	}
	do := func(ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot("failed-" + strings.ReplaceAll(step, " ", "-"))
			t.Fatalf("%s: %v", step, err)
		}
		probs.check(t, step)
	}

	// 1. The site loads the widget; the visitor opens it.
	const launcher = `document.querySelector('#ringfence-chat') && document.querySelector('#ringfence-chat').shadowRoot.querySelector('#ringfence-chat-open')`
	do(bctx, "open the site", chromedp.Navigate(site+"/"))
	poll(bctx, "launcher", launcher)
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](launcher+`.click()`)); err != nil {
		t.Fatal(err)
	}
	var frameID target.ID
	for range 200 {
		infos, err := chromedp.Targets(bctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if in.Type == "iframe" && strings.HasPrefix(in.URL, base+"/widget/"+w.ID+"/chat") {
				frameID = in.TargetID
			}
		}
		if frameID != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if frameID == "" {
		shot("failed-no-iframe")
		t.Fatal("the widget's iframe did not open")
	}
	fctx, cancelF := chromedp.NewContext(bctx, chromedp.WithTargetID(frameID))
	defer cancelF()
	if err := chromedp.Listen(fctx, probs.listen("widget")); err != nil {
		t.Fatal(err)
	}
	do(fctx, "widget page", chromedp.WaitVisible(chromedp.ID("display-name")))
	if label, _ := chromedp.Run(fctx, chromedp.Text(chromedp.ID("display-name-label"))); label != chat.DefaultDisplayNamePrompt {
		t.Errorf("name label %q", label)
	}

	// 2. Start the chat; the flow greets and shows its menu as buttons; pick "1".
	do(fctx, "start chat",
		chromedp.SetValue(chromedp.ID("display-name"), "Jane Customer"),
		chromedp.Click(chromedp.ID("start")),
		chromedp.WaitVisible(chromedp.ID("conversation")))
	poll(fctx, "menu buttons", `document.querySelectorAll('#messages button.option').length === 2`)
	shot("01-menu")
	if got, _ := chromedp.Run(fctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#messages button.option')).map(b => b.textContent).join(',')`)); got != "1,2" {
		t.Errorf("menu buttons %q", got)
	}
	do(fctx, "pick orders", chromedp.Click(chromedp.CSS("#messages button.option")))
	poll(fctx, "queue flow message", `Array.from(document.querySelectorAll('#messages li.system .content')).some(e => e.textContent.startsWith('Thanks for waiting'))`)

	// 3. The agent takes the chat.
	offer := watch.next(t, routing.EventOfferMade, "")
	contactID := offer.ContactID
	if offer.AgentID != agent {
		t.Fatalf("offered to %q, want %q", offer.AgentID, agent)
	}
	if ct := waitContact(t, tn, inst, contactID, contact.StateOffered); ct.Tags["Topic"] != "orders" {
		t.Errorf("contact tags %v, want Topic=orders from the menu", ct.Tags)
	}
	if _, err := rt.Contacts.Accept(ctx, &audit.Event{Code: "test.AcceptOffer", Actor: "user:" + agent, Operation: "AcceptOffer"}, inst, agent, offer.Offer.ID); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	waitContact(t, tn, inst, contactID, contact.StateConnected)
	ast, err := rt.Chat.AddParticipant(ctx, inst, contactID, chat.RoleAgent, "Agent Smith")
	if err != nil {
		t.Fatal(err)
	}
	pc := participantclient.New(tn.endpoint, tn.client)
	aconn, err := pc.CreateParticipantConnection(ctx, ast.ParticipantToken.Reveal(), nil)
	if err != nil {
		t.Fatal(err)
	}
	subCtx, cancelSub := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelSub()
	sub, err := pc.Subscribe(subCtx, aconn.Websocket.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	agentSend := func(contentType, text string) {
		t.Helper()
		if _, err := pc.SendMessage(ctx, aconn.ConnectionCredentials.ConnectionToken, contentType, text, ""); err != nil {
			t.Fatalf("agent SendMessage: %v", err)
		}
	}
	// agentReceives reads the agent's socket until the customer's message text arrives.
	agentReceives := func(text string) {
		t.Helper()
		for {
			nctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			it, err := sub.Next(nctx)
			cancel()
			if err != nil {
				t.Fatalf("the agent did not receive %q: %v", text, err)
			}
			if it.Type == chat.TypeMessage && it.ParticipantRole == chat.RoleCustomer {
				if it.Content != text {
					t.Fatalf("the agent received %q, want %q", it.Content, text)
				}
				return
			}
		}
	}
	poll(fctx, "agent joined", `Array.from(document.querySelectorAll('#messages li.event')).some(e => e.textContent === 'Agent Smith joined the chat')`)

	// 4. Agent and customer talk: text, then Markdown with a safe and an unsafe link.
	agentSend(chat.ContentTypePlain, "Hello, I am Agent Smith. How can I help?")
	poll(fctx, "agent message", `Array.from(document.querySelectorAll('#messages li.theirs .content')).some(e => e.textContent === 'Hello, I am Agent Smith. How can I help?')`)
	agentSend(chat.ContentTypeMarkdown, "**Bold** and *calm*: see [the help page](https://example.com/help), not [this](javascript:window.__pwned=9)\n- one\n- two")
	poll(fctx, "markdown", `document.querySelector('#messages li.theirs strong') && document.querySelector('#messages li.theirs strong').textContent === 'Bold'`)
	links, err := chromedp.Run(fctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#messages a')).map(a => a.href + ' ' + a.rel + ' ' + a.target)`))
	if err != nil || len(links) != 1 || links[0] != "https://example.com/help noopener noreferrer _blank" {
		t.Errorf("links in the chat: %q (%v)", links, err)
	}
	if n, _ := chromedp.Run(fctx, chromedp.Evaluate[int](`document.querySelectorAll('#messages li.theirs ul li, #messages li.theirs em').length`)); n != 3 {
		t.Errorf("markdown list and emphasis: %d elements, want 3", n)
	}
	do(fctx, "customer replies",
		chromedp.SetValue(chromedp.ID("message"), "Thanks, where is my order?"),
		chromedp.Click(chromedp.ID("send")))
	agentReceives("Thanks, where is my order?")

	// 5. XSS payloads render as text and never run.
	for i, p := range xssPayloads {
		do(fctx, fmt.Sprintf("payload %d", i),
			chromedp.SetValue(chromedp.ID("message"), p),
			chromedp.Click(chromedp.ID("send")))
		agentReceives(p)
		poll(fctx, fmt.Sprintf("payload %d shown", i), fmt.Sprintf(
			`Array.from(document.querySelectorAll('#messages li.mine .content')).some(e => e.textContent === %q)`, widgetShows(p)))
	}
	agentSend(chat.ContentTypePlain, `<img src=x onerror="window.__pwned=10"> from the agent`)
	poll(fctx, "agent payload shown", `Array.from(document.querySelectorAll('#messages li.theirs .content')).some(e => e.textContent.endsWith('from the agent'))`)
	clean := `window.__pwned === undefined && document.querySelectorAll('#messages img, #messages svg, #messages script, #messages iframe, #messages a[href^="javascript"]').length === 0`
	if ok, err := chromedp.Run(fctx, chromedp.Evaluate[bool](clean)); err != nil || !ok {
		t.Errorf("an injected element or script is in the widget (%v)", err)
	}
	if ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.__pwned === undefined`)); err != nil || !ok {
		t.Errorf("an injected script ran in the site (%v)", err)
	}
	shot("02-conversation")

	// 6. The network drops; the agent writes meanwhile; the widget reconnects and catches up.
	proxy.cut()
	poll(fctx, "reconnecting", `document.getElementById('status').textContent.startsWith('Reconnecting')`)
	for i := 1; i <= 3; i++ {
		agentSend(chat.ContentTypePlain, fmt.Sprintf("While you were away %d", i))
	}
	proxy.restore()
	poll(fctx, "caught up", `Array.from(document.querySelectorAll('#messages li.theirs .content')).filter(e => e.textContent.startsWith('While you were away')).length === 3`)
	agentSend(chat.ContentTypePlain, "Back again")
	poll(fctx, "live after reconnect", `Array.from(document.querySelectorAll('#messages li.theirs .content')).some(e => e.textContent === 'Back again')`)
	shot("03-after-reconnect")
	shown, err := chromedp.Run(fctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#messages li.message')).map(li => li.dataset.id)`))
	if err != nil {
		t.Fatal(err)
	}
	items, err := pc.FullTranscript(ctx, aconn.ConnectionCredentials.ConnectionToken)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, it := range items {
		if it.Type == chat.TypeMessage {
			want = append(want, it.ID)
		}
	}
	if strings.Join(shown, ",") != strings.Join(want, ",") {
		t.Errorf("messages shown (%d) differ from the transcript (%d):\nshown %v\nwant  %v", len(shown), len(want), shown, want)
	}

	// 7. The visitor ends the chat; the contact goes to after-contact work.
	do(fctx, "end chat", chromedp.Click(chromedp.ID("end")))
	poll(fctx, "ended", `document.getElementById('status').textContent === 'The chat has ended.' && document.getElementById('send').disabled`)
	waitContact(t, tn, inst, contactID, contact.StateAfterContactWork)
	shot("04-ended")
	probs.check(t, "end")

	// A page of another origin cannot start a chat.
	req, _ := http.NewRequest(http.MethodPost, tn.endpoint+"/widget/"+w.ID+"/start", strings.NewReader(`{"DisplayName":"Mallory"}`))
	req.Header.Set("Origin", "http://127.0.0.2:8080")
	req.Header.Set("Content-Type", "application/json")
	resp, err := tn.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("start from an unapproved origin: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
