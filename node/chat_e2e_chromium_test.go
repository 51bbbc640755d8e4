package node_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/store"
)

// chatE2EFlow is one contact flow the end-to-end chat runs on, and what its customer does
// and sees on the way to an agent.
type chatE2EFlow struct {
	name string
	// install makes the flow a published CONTACT_FLOW of the instance and returns its ID;
	// it skips the test when the flow's source is absent.
	install func(t *testing.T, env *chatE2E) string
	// greeting is a flow message the customer sees before the menu (a prefix).
	greeting string
	// menu is the menu's buttons in order; pick is the one the customer presses.
	menu []string
	pick string
	// queueMessage is the start of the customer queue flow's message.
	queueMessage string
	// queue is the name of the queue the menu choice leads to.
	queue string
	// attributes and tags are what the flow sets on the way (checked in the contact record).
	attributes map[string]string
	tags       map[string]string
}

// chatE2E is what the subtests share: one node over TLS (as https://localhost, the origin
// of its pages), the organisation's web site on another origin, and one Chromium.
type chatE2E struct {
	tn       *testNode
	c        *connect.Client
	inst     string
	origin   string // the node's pages: https://localhost:PORT
	site     string // the organisation's site: http://127.0.0.1:PORT (an approved origin)
	password string // agent1's
	agentID  string
	browser  context.Context
	screens  string
}

// TestChromiumChatEndToEnd is the chat end to end in one Chromium with two independent
// browser profiles: a customer on the organisation's site (an approved origin, another site
// than the node) opens the chat widget, chats through the contact flow's menu by pressing a
// button and waits in the queue (the customer queue flow speaks); agent1 of the demo signs in
// at the node (https, session cookie), opens the agent workspace and chooses Available; the
// workspace shows the offer with its countdown; the agent accepts; customer and agent write
// to each other, each message checked on both screens; the customer sends SECURITY.md bad
// input 9 (markup, script, javascript: links, bidi overrides, zero-width joiners, a CRLF, 1 MB
// of text) and nothing runs on the agent's page (no flag set, no dialog, no element made from
// a message; each shows as text, disguising characters as visible markers); the agent ends
// the chat and completes after-contact work in the workspace. Then DescribeContact, the
// contact record in the node's JSON Lines sink (timestamps in order: initiation ≤ enqueue ≤
// connected to agent ≤ disconnect ≤ after-contact work end) and the transcript (participant
// API before the end, the store after it) are checked.
//
// It runs on three flows: the demo's "Chat with topic menu", and two flows exported from
// Amazon Connect (the public corpus in ../shared/corpus/flows; skipped without it),
// imported as `ringfence flow import --publish --map ...` does (node.ImportFlow). Screenshots
// of both pages go to the test's temporary directory (or $RINGFENCE_SCREENSHOTS).
func TestChromiumChatEndToEnd(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := context.Background()
	tn := startNode(t)
	inst := tn.boot.InstanceID
	if err := tn.n.SeedDemo(ctx, inst); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	people := demoUsers(t, tn)
	env := &chatE2E{tn: tn, c: tn.sdk(tn.boot.SecretAccessKey.Reveal()), inst: inst, password: people["agent1"].Password.Reveal()}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(tn.endpoint, "https://"))
	env.origin = "https://localhost:" + port
	if env.origin != tn.n.PublicOrigin() {
		t.Fatalf("the node's pages are at %s, want %s", tn.n.PublicOrigin(), env.origin)
	}
	err := tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUserByUsername(ctx, inst, "agent1")
		env.agentID = u.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The organisation's site: /shop/{widgetId} embeds that widget, with the site's own CSP.
	siteLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.site = fmt.Sprintf("http://127.0.0.1:%d", siteLn.Addr().(*net.TCPAddr).Port)
	siteSrv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/shop/")
		if id == r.URL.Path || strings.ContainsAny(id, `/<>"'&`) {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; script-src 'self' %[1]s; connect-src %[1]s; frame-src %[1]s; style-src 'self'", env.origin))
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(rw, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example shop</title></head>
<body><h1 id="shop">Example shop</h1><p>Questions about your order? Chat with us.</p>
%s
</body></html>`, node.WidgetSnippet(env.origin, id))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = siteSrv.Serve(siteLn) }()
	t.Cleanup(func() { siteSrv.Close() })
	if _, err := env.c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String(env.site)}); err != nil {
		t.Fatalf("AssociateApprovedOrigin: %v", err)
	}

	env.screens = t.TempDir()
	if d := os.Getenv("RINGFENCE_SCREENSHOTS"); d != "" {
		env.screens = d
	}
	t.Cleanup(func() { t.Logf("screenshots in %s", env.screens) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1200, 900),
		// The node's certificate comes from its own local CA, which this profile does not trust.
		chromedp.Flag("ignore-certificate-errors", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	root, cancelRoot := chromedp.NewContext(allocCtx)
	defer cancelRoot()
	root, cancelTimeout := context.WithTimeout(root, 5*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	env.browser = root

	for _, fc := range chatE2EFlows() {
		t.Run(fc.name, func(t *testing.T) { env.run(t, fc) })
	}
}

// chatE2EFlows lists the flows the test runs on.
func chatE2EFlows() []chatE2EFlow {
	corpus := func(t *testing.T, name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "flows", name))
		if err != nil {
			t.Skipf("public flow corpus not found (%v): it is shared test data, not part of the repository", err)
		}
		return b
	}
	return []chatE2EFlow{
		{
			// The demo's chat flow: greets, runs the "Verify customer" module (a Lambda call
			// answered by the built-in echo function), asks for a topic as a two-button menu;
			// "2" tags the contact Topic=billing, targets BasicQueue, sets the "Chat queue"
			// customer queue flow and transfers to the queue.
			name: "demo chat flow",
			install: func(t *testing.T, env *chatE2E) string {
				return flowIDByName(t, env.c, env.inst, "Chat with topic menu")
			},
			greeting: "Hi , welcome to Ringfence Bank chat.", menu: []string{"1", "2"}, pick: "2",
			queueMessage: "Thanks for waiting. An agent will be with you shortly.", queue: "BasicQueue",
			tags: map[string]string{"Topic": "billing"},
		},
		{
			// ccarrylab/terraform-aws-amazonconnect's general contact flow: a welcome, a
			// three-way menu (GetParticipantInput, 5 s to answer), a working queue per choice
			// (Sales, "Techincal Support", Customer Service), CheckHoursOfOperation on that
			// queue's hours (both branches transfer), TransferContactToQueue. It sets no
			// customer queue flow, so the instance's "Default customer queue" runs. Its
			// three queues do not exist in the demo: they are mapped as
			// `--map ARN=QUEUE` would, "Techincal Support" to the demo's Support queue.
			name: "corpus general_contact_flow",
			install: func(t *testing.T, env *chatE2E) string {
				doc := corpus(t, "ccarrylab__terraform-aws-amazonconnect__examples__complete__flows__general_contact_flow.json")
				const src = "arn:aws:connect:us-east-1:894267811696:instance/cb032931-8fa6-4418-a9d8-8b0dafae229b/queue/"
				return env.importFlow(t, doc, "General contact flow", map[string]string{
					src + "a6fb2850-0938-4fba-93ff-6b9d4caae3a7": "BasicQueue",       // Sales
					src + "984690d7-3910-42fe-bbcc-bbc5f8acd35b": node.DemoQueueName, // Techincal Support
					src + "54e10b63-d257-4f66-863e-f5a39e03468a": "BasicQueue",       // Customer Service
				})
			},
			greeting: "Welcome to Our Unicorn Center", menu: []string{"1", "2", "3"}, pick: "2",
			queueMessage: "Thank you for waiting. An agent will be with you shortly.", queue: node.DemoQueueName,
		},
		{
			// aws-samples/amazon-connect-data-analytics-sample's SimpleInboundFlow: flow logging
			// on, recording and Contact Lens behaviour set, a welcome, a three-way menu (5 s to
			// answer) whose choice becomes the attribute CallReason, BasicQueue (mapped by its
			// name), TransferContactToQueue; the "Default customer queue" flow runs.
			name: "corpus SimpleInboundFlow",
			install: func(t *testing.T, env *chatE2E) string {
				doc := corpus(t, "aws-samples__amazon-connect-data-analytics-sample__contact-flows__SimpleInboundFlow.json")
				return env.importFlow(t, doc, "", nil)
			},
			greeting: "Welcome to Amazon Connect Contact Centre.", menu: []string{"1", "2", "3"}, pick: "3",
			queueMessage: "Thank you for waiting. An agent will be with you shortly.", queue: "BasicQueue",
			attributes: map[string]string{"CallReason": "NewOrder"},
		},
	}
}

// importFlow imports an exported flow, published, with overrides for the references the
// instance lacks (what `ringfence flow import --publish --map KEY=VALUE` does).
func (env *chatE2E) importFlow(t *testing.T, doc []byte, name string, overrides map[string]string) string {
	t.Helper()
	res, err := env.tn.n.ImportFlow(context.Background(), env.inst, doc, node.FlowImportOptions{Name: name, Publish: true, Overrides: overrides})
	if err != nil {
		var unmapped []string
		if res != nil && res.Report != nil {
			for _, r := range res.Report.Unmapped() {
				unmapped = append(unmapped, fmt.Sprintf("%+v", r))
			}
		}
		t.Fatalf("import flow: %v %v", err, unmapped)
	}
	if !res.Created || res.Status != "PUBLISHED" || res.Type != "CONTACT_FLOW" {
		t.Fatalf("imported flow = %+v", res)
	}
	return res.ID
}

// chatTab is one Chromium target of the test (a tab, or the widget's iframe). Exceptions,
// console errors and warnings, browser-log errors and JavaScript dialogs are problems that
// fail the test at the next step; dialogs are also dismissed and counted.
type chatTab struct {
	t       *testing.T
	name    string
	ctx     context.Context
	probs   *browserProblems
	dialogs atomic.Int32
	// shotCtx is the context screenshots are taken in (the tab, for an iframe).
	shotCtx context.Context
	env     *chatE2E
	other   *chatTab // the other page, screenshotted too when a step fails
}

func (b *chatTab) listener(where string) func(ev any) {
	report := b.probs.listen(where)
	return func(ev any) {
		report(ev)
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			b.dialogs.Add(1)
			ctx := b.ctx
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}
}

// newChatTab opens a tab in a new browser profile (its own cookies and storage).
func (env *chatE2E) newChatTab(t *testing.T, name string, probs *browserProblems) *chatTab {
	t.Helper()
	b := &chatTab{t: t, name: name, probs: probs, env: env}
	ctx, cancel := chromedp.NewContext(env.browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.listener(name)))
	t.Cleanup(cancel)
	b.ctx, b.shotCtx = ctx, ctx
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open %s tab: %v", name, err)
	}
	return b
}

// shot saves a screenshot of the tab as NAME-STEP.png.
func (b *chatTab) shot(step string) {
	buf, err := chromedp.Run(b.shotCtx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s %s: %v", b.name, step, err)
		return
	}
	file := strings.NewReplacer(" ", "-", "/", "-").Replace(b.t.Name() + "-" + b.name + "-" + step)
	if err := os.WriteFile(filepath.Join(b.env.screens, file+".png"), buf, 0o600); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}

func (b *chatTab) fail(step string, format string, args ...any) {
	b.t.Helper()
	b.shot("failed-" + step)
	if b.other != nil {
		b.other.shot("failed-" + step)
	}
	b.probs.mu.Lock()
	issues := strings.Join(b.probs.issues, "\n")
	b.probs.mu.Unlock()
	b.t.Fatalf("%s: %s: %s\nproblems in the browser:\n%s", b.name, step, fmt.Sprintf(format, args...), issues)
}

// do runs actions and then checks for problems.
func (b *chatTab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, "%v", err)
	}
	b.probs.check(b.t, step)
}

// wait polls a JavaScript predicate (evaluated by DevTools, outside the page's CSP) until
// it holds, for at most 30 s.
func (b *chatTab) wait(step, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("!!("+expr+")", chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		b.fail(step, "%s did not become true: %v", expr, err)
	}
	b.probs.check(b.t, step)
}

// evalTab evaluates a JavaScript expression in the tab and decodes its value.
func evalTab[T any](b *chatTab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate", "%s: %v", expr, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// chatPayload is a customer message of SECURITY.md bad input 9: what the customer types, and
// what the agent's page and the customer's widget show (disguising characters as visible
// markers on both).
type chatPayload struct{ sent, agentSees, customerSees string }

func chatPayloads() []chatPayload {
	same := func(s string) chatPayload { return chatPayload{s, s, s} }
	return []chatPayload{
		same(`<img src=x onerror="window.__pwned=1;alert(1)">`),
		same(`<svg onload="window.__pwned=2;alert(2)"><svg/onload=window.__pwned=2>`),
		same(`<a href="javascript:window.__pwned=3">click me</a> and [this](javascript:window.__pwned=3)`),
		same(`</script><script>window.__pwned=4;alert(4)</script>`),
		same(`"><iframe src="javascript:alert(5)"></iframe><iframe srcdoc="<script>parent.__pwned=5</script>"></iframe>`),
		{"invoice\u202Efdp.exe", "invoice⟨U+202E⟩fdp.exe", "invoice⟨U+202E⟩fdp.exe"},
		{"pay\u200Dpal.com", "pay⟨U+200D⟩pal.com", "pay⟨U+200D⟩pal.com"},
		same("a family \U0001F469\u200D\U0001F4BB at work"),
		// A textarea's value normalises CRLF to LF: the line break stays inside the message.
		{"line one\r\nline two", "line one\nline two", "line one\nline two"},
	}
}

// run is one flow end to end.
func (env *chatE2E) run(t *testing.T, fc chatE2EFlow) {
	ctx := context.Background()
	flowID := fc.install(t, env)
	queueID := queueIDByName(t, env.c, env.inst, fc.queue)
	w, err := env.tn.n.CreateWidget(ctx, env.inst, flowID, node.WidgetOptions{Name: "Web " + fc.name})
	if err != nil {
		t.Fatalf("CreateWidget: %v", err)
	}
	// CRLF in a display name (bad input 9) cannot be typed into the widget's one-line field;
	// sent to /start as the site's script would, it is refused.
	req, err := http.NewRequest(http.MethodPost, env.tn.endpoint+"/widget/"+w.ID+"/start",
		strings.NewReader(`{"DisplayName":"Jane\r\nSet-Cookie: x=1","ClientToken":"crlf-name-`+w.ID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", env.site)
	req.Header.Set("Content-Type", "application/json")
	resp, err := env.tn.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "InvalidParameterException" {
		t.Errorf("a display name with CRLF: %d %s, want 400 InvalidParameterException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}

	probs := &browserProblems{}
	agent := env.newChatTab(t, "agent", probs)
	site := env.newChatTab(t, "customer", probs)
	agent.other, site.other = site, agent

	// 1. agent1 signs in at the instance's access URL, opens the workspace and goes Available.
	agent.do("sign in",
		chromedp.Navigate(env.origin+"/ui/demo"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("username"), "agent1"),
		chromedp.SendKeys(chromedp.ID("password"), env.password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("home-username")))
	agent.do("open the workspace", chromedp.Navigate(env.origin+"/ui/workspace/"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
	agent.wait("agent named", `document.getElementById('agent-name').textContent.trim() === 'agent1'`)
	agent.wait("statuses listed", `[...document.querySelectorAll('#status option')].some((o) => o.textContent === 'Available')`)
	// A real click first (browsers let a page make sound only after a gesture), then the
	// status chosen from the keyboard (a closed select's type-ahead changes it at once).
	// A real click first (a page may make sound only after a gesture), in a corner: no element
	// layout to wait for. The status is then chosen as the page's change handler sees a pick
	// (keyboard type-ahead on a select resets between keys on a loaded machine).
	agent.do("click the page", chromedp.MouseClickXY(4, 4))
	chooseStatusByName(agent, "Available")
	agent.wait("available", `document.getElementById('activity').dataset.activity === 'AVAILABLE'`)
	agent.shot("01-available")

	// 2. The customer opens the widget on the site and starts a chat under a name that is
	// markup.
	const customerName = `Jane <img src=x onerror="window.__pwned=6;alert(6)">`
	site.do("open the site", chromedp.Navigate(env.site+"/shop/"+w.ID))
	const launcher = `document.querySelector('#ringfence-chat')?.shadowRoot?.querySelector('#ringfence-chat-open')`
	site.wait("launcher", launcher)
	evalTab[bool](site, launcher+`.click() || true`)
	widget := env.widgetFrame(t, site, w.ID)
	widget.do("widget page", chromedp.WaitVisible(chromedp.ID("display-name")))
	widget.do("start chat",
		chromedp.SetValue(chromedp.ID("display-name"), customerName),
		chromedp.Click(chromedp.ID("start")),
		chromedp.WaitVisible(chromedp.ID("conversation")))

	// 3. The flow greets and shows its menu as buttons; the customer presses one at once
	// (the corpus flows give 5 s to answer) and waits in the queue.
	widget.wait("menu", fmt.Sprintf(`document.querySelectorAll('#messages button.option').length === %d`, len(fc.menu)))
	menuShown := time.Now()
	pick := slices.Index(fc.menu, fc.pick)
	widget.do("press "+fc.pick, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#messages .options button.option:nth-child(%d)`, pick+1))))
	t.Logf("menu option pressed %v after the menu showed", time.Since(menuShown).Round(time.Millisecond))
	if got := evalTab[string](widget, `[...document.querySelectorAll('#messages button.option')].map((b) => b.textContent).join(',')`); got != strings.Join(fc.menu, ",") {
		t.Errorf("menu buttons %q, want %q", got, strings.Join(fc.menu, ","))
	}
	widget.wait("greeting", fmt.Sprintf(`[...document.querySelectorAll('#messages li.system .content')].some((e) => e.textContent.startsWith(%s))`, jsString(fc.greeting)))
	widget.wait("the choice sent", fmt.Sprintf(`[...document.querySelectorAll('#messages li.mine .content')].some((e) => e.textContent === %s)`, jsString(fc.pick)))
	widget.wait("queue flow message", fmt.Sprintf(`[...document.querySelectorAll('#messages li.system .content')].some((e) => e.textContent.startsWith(%s))`, jsString(fc.queueMessage)))
	site.shot("02-waiting-in-queue")

	// 4. The workspace shows the offer with its countdown; the agent accepts.
	agent.wait("offer", `document.querySelector('#offers .offer[data-contact]')`)
	contactID := evalTab[string](agent, `document.querySelector('#offers .offer').dataset.contact`)
	offer := fmt.Sprintf(`.offer[data-contact="%s"]`, contactID)
	agent.wait("countdown", fmt.Sprintf(`document.querySelector('%s .offer-countdown').dataset.seconds`, offer))
	secs := evalTab[string](agent, fmt.Sprintf(`document.querySelector('%s .offer-countdown').dataset.seconds`, offer))
	if n, err := strconv.Atoi(secs); err != nil || n < 1 || n > 20 {
		t.Errorf("offer countdown shows %q seconds, want 1-20", secs)
	}
	agent.wait("offer names channel and queue", fmt.Sprintf(`document.querySelector('%s .offer-what').textContent === %s`, offer, jsString("Chat · queue "+fc.queue)))
	if ct := waitContact(t, env.tn, env.inst, contactID, contact.StateOffered); ct.Queue.QueueID != queueID || ct.Channel != contact.ChannelChat {
		t.Errorf("offered contact: queue %s (want %s), channel %s", ct.Queue.QueueID, queueID, ct.Channel)
	}
	agent.shot("02-offer")
	panel := fmt.Sprintf(`#panel-%s`, contactID)
	agent.do("accept", chromedp.Click(chromedp.CSS(offer+" .accept")), chromedp.WaitVisible(chromedp.CSS(panel+" .transcript li")))
	agent.wait("connected", fmt.Sprintf(`document.querySelector('%s').dataset.state === 'CONNECTED'`, panel))
	widget.wait("agent joined", `[...document.querySelectorAll('#messages li.event')].some((e) => e.textContent.endsWith(' joined the chat'))`)
	agent.wait("title is the customer's name as text", fmt.Sprintf(`document.querySelector('%s .contact-title').textContent === %s`, panel, jsString(customerName)))

	// 5. Messages both ways, each checked on both screens.
	customerSays := func(step, text, agentSees, customerSees string) {
		t.Helper()
		// Set as chromedp.SetValue does, without its read-back (the box normalises CRLF).
		evalTab[bool](widget, fmt.Sprintf(`(document.getElementById('message').value = %s, true)`, jsString(text)))
		widget.do(step, chromedp.Click(chromedp.ID("send")))
		widget.wait(step+" (customer's screen)", fmt.Sprintf(`[...document.querySelectorAll('#messages li.mine .content')].some((e) => e.textContent === %s)`, jsString(customerSees)))
		agent.wait(step+" (agent's screen)", fmt.Sprintf(`[...document.querySelectorAll('%s li.role-customer .body')].some((e) => e.textContent === %s)`, panel, jsString(agentSees)))
	}
	agentSays := func(step, text string) {
		t.Helper()
		agent.do(step, chromedp.Click(chromedp.CSS(panel+" textarea")), chromedp.SendKeys(chromedp.CSS(panel+" textarea"), text),
			chromedp.Click(chromedp.CSS(panel+" .send")))
		agent.wait(step+" (agent's screen)", fmt.Sprintf(`[...document.querySelectorAll('%s li.mine .body')].some((e) => e.textContent === %s)`, panel, jsString(text)))
		widget.wait(step+" (customer's screen)", fmt.Sprintf(`[...document.querySelectorAll('#messages li.theirs .content')].some((e) => e.textContent === %s)`, jsString(text)))
	}
	const (
		hello  = "Hello, I would like to check on my order."
		reply  = "Hi, I can help with that. Which order is it?"
		answer = "The blue armchair from last week."
		bye    = "Thank you, it ships tomorrow. Goodbye!"
	)
	customerSays("customer says hello", hello, hello, hello)
	agentSays("agent replies", reply)
	customerSays("customer answers", answer, answer, answer)
	agent.shot("03-conversation")
	site.shot("03-conversation")

	// 6. SECURITY.md bad input 9 from the customer's side.
	payloads := chatPayloads()
	for i, p := range payloads {
		customerSays(fmt.Sprintf("payload %d", i), p.sent, p.agentSees, p.customerSees)
	}
	// 1 MB of text (the box's maxlength stops typing, not a script): the server refuses it
	// with a clear message, the widget keeps it in the box, and nothing reaches the agent (the
	// transcript check below counts every message). It is words: one unbroken 1 MB word
	// makes Chromium's own text layout crawl.
	evalTab[bool](widget, `(document.getElementById('message').value = 'abcdefg '.repeat(131072), true)`)
	widget.do("1 MB message", chromedp.Click(chromedp.ID("send")))
	widget.wait("1 MB refused", `document.getElementById('status').textContent !== '' && document.getElementById('message').value.length === 1048576`)
	t.Logf("1 MB message: the widget says %q", evalTab[string](widget, `document.getElementById('status').textContent`))
	evalTab[bool](widget, `(document.getElementById('message').value = '', true)`)
	agentSays("agent says goodbye", bye)
	nothingRan := `typeof window.__pwned === 'undefined' && typeof parent.__pwned === 'undefined' &&
		document.querySelectorAll('body img, body svg, body iframe, body script, a[href^="javascript"]').length === 0`
	if !evalTab[bool](agent, nothingRan) {
		agent.fail("payloads", "a payload ran or made an element on the agent's page: %s", evalTab[string](agent, `String(window.__pwned)`))
	}
	// Text only: on both screens the one kind of element inside a message is the visible
	// marker of a disguising character.
	if got := evalTab[string](agent, fmt.Sprintf(`[...document.querySelectorAll('%s .transcript .body *')].filter((e) => !e.matches('span.invisible-char')).map((e) => e.tagName).join(',')`, panel)); got != "" {
		t.Errorf("elements made from messages on the agent's page: %s", got)
	}
	if got := evalTab[string](widget, `[...document.querySelectorAll('#messages li.mine .content *')].filter((e) => !e.matches('span.invisible-char')).map((e) => e.tagName).join(',')`); got != "" {
		t.Errorf("elements made from the customer's messages in the widget: %s", got)
	}
	if !evalTab[bool](widget, `typeof window.__pwned === 'undefined' && document.querySelectorAll('#messages img, #messages svg, #messages iframe, #messages script, #messages a').length === 0`) {
		widget.fail("payloads", "a payload ran or made an element in the widget")
	}
	if !evalTab[bool](site, `typeof window.__pwned === 'undefined'`) {
		site.fail("payloads", "a payload ran on the site")
	}
	for _, b := range []*chatTab{agent, site, widget} {
		if n := b.dialogs.Load(); n > 0 {
			t.Errorf("%s: %d dialogs opened", b.name, n)
		}
	}
	agent.shot("04-payloads")
	site.shot("04-payloads")

	// The transcript through the participant API, with the agent's participant token the
	// workspace keeps for this tab: every message in order, as sent.
	var participant struct{ ID, Token string }
	raw := evalTab[string](agent, fmt.Sprintf(`sessionStorage.getItem('rf.workspace.participant.' + %s) ?? ''`, jsString(contactID)))
	if err := json.Unmarshal([]byte(raw), &participant); err != nil || participant.Token == "" {
		t.Fatalf("the workspace's participant token: %v (%d bytes)", err, len(raw))
	}
	pc := participantclient.New(env.tn.endpoint, env.tn.client)
	conn, err := pc.CreateParticipantConnection(ctx, participant.Token, []string{"CONNECTION_CREDENTIALS"})
	if err != nil {
		t.Fatalf("CreateParticipantConnection: %v", err)
	}
	items, err := pc.FullTranscript(ctx, conn.ConnectionCredentials.ConnectionToken)
	if err != nil {
		t.Fatalf("GetTranscript: %v", err)
	}
	wantTalk := []string{"CUSTOMER: " + fc.pick, "CUSTOMER: " + hello, "AGENT: " + reply, "CUSTOMER: " + answer}
	for _, p := range payloads {
		wantTalk = append(wantTalk, "CUSTOMER: "+strings.ReplaceAll(p.sent, "\r\n", "\n")) // stored as typed (a textarea sends LF)
	}
	wantTalk = append(wantTalk, "AGENT: "+bye)
	var talk, system []string
	var messageIDs []string
	greetingAt, choiceAt, queuedAt := -1, -1, -1
	for i, it := range items {
		if it.Type != chat.TypeMessage {
			continue
		}
		messageIDs = append(messageIDs, it.ID)
		switch it.ParticipantRole {
		case chat.RoleSystem:
			system = append(system, it.Content)
			if greetingAt < 0 && strings.HasPrefix(it.Content, fc.greeting) {
				greetingAt = i
			}
			if queuedAt < 0 && strings.HasPrefix(it.Content, fc.queueMessage) {
				queuedAt = i
			}
		default:
			talk = append(talk, string(it.ParticipantRole)+": "+it.Content)
			if choiceAt < 0 && it.ParticipantRole == chat.RoleCustomer {
				choiceAt = i
			}
			if it.ParticipantRole == chat.RoleCustomer && it.DisplayName != customerName {
				t.Errorf("customer message from %q, want %q", it.DisplayName, customerName)
			}
		}
	}
	if strings.Join(talk, "\n---\n") != strings.Join(wantTalk, "\n---\n") {
		t.Errorf("the transcript's conversation:\n%q\nwant\n%q", talk, wantTalk)
	}
	if greetingAt < 0 || choiceAt < greetingAt || queuedAt < choiceAt {
		t.Errorf("the flow's messages are not in order (greeting %d, choice %d, queue message %d): %q", greetingAt, choiceAt, queuedAt, system)
	}

	// 7. The agent ends the chat and completes after-contact work, in the workspace.
	agent.do("end the chat", chromedp.Click(chromedp.CSS(panel+" .end")), chromedp.WaitVisible(chromedp.CSS(panel+" .acw")))
	agent.wait("after-contact work", fmt.Sprintf(`document.querySelector('%s').dataset.state === 'ACW'`, panel))
	widget.wait("customer sees the end", `document.getElementById('status').textContent === 'The chat has ended.' && document.getElementById('send').disabled`)
	agent.wait("reply box closed", fmt.Sprintf(`document.querySelector('%s textarea').disabled`, panel))
	agent.shot("05-after-contact-work")
	site.shot("05-ended")
	waitContact(t, env.tn, env.inst, contactID, contact.StateAfterContactWork)
	agent.do("complete after-contact work", chromedp.Click(chromedp.CSS(panel+" .complete")), chromedp.WaitNotPresent(chromedp.CSS(panel)))
	agent.wait("available again", `document.getElementById('activity').dataset.activity === 'AVAILABLE'`)
	ended := waitContact(t, env.tn, env.inst, contactID, contact.StateEnded)
	agent.shot("06-done")
	if !evalTab[bool](agent, nothingRan) {
		agent.fail("end", "a payload ran on the agent's page")
	}
	// The agent ends the shift.
	chooseStatusByName(agent, "Offline")
	agent.wait("offline", `document.getElementById('activity').dataset.activity === 'OFFLINE'`)
	probs.check(t, "end")

	// 8. DescribeContact: ended by the agent, with its queue and agent.
	desc, err := env.c.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: aws.String(env.inst), ContactId: aws.String(contactID)})
	if err != nil {
		t.Fatalf("DescribeContact: %v", err)
	}
	dc := desc.Contact
	if dc.Channel != "CHAT" || dc.InitiationMethod != "API" || dc.DisconnectTimestamp == nil || dc.InitiationTimestamp == nil ||
		dc.QueueInfo == nil || aws.ToString(dc.QueueInfo.Id) != queueID || dc.QueueInfo.EnqueueTimestamp == nil ||
		dc.AgentInfo == nil || aws.ToString(dc.AgentInfo.Id) != env.agentID || dc.AgentInfo.ConnectedToAgentTimestamp == nil {
		t.Errorf("DescribeContact = %s", jsonOf(dc))
	} else if dc.InitiationTimestamp.After(*dc.QueueInfo.EnqueueTimestamp) || dc.QueueInfo.EnqueueTimestamp.After(*dc.AgentInfo.ConnectedToAgentTimestamp) ||
		dc.AgentInfo.ConnectedToAgentTimestamp.After(*dc.DisconnectTimestamp) {
		t.Errorf("DescribeContact timestamps out of order: %s", jsonOf(dc))
	}
	if ended.DisconnectReason != "AGENT_DISCONNECT" {
		t.Errorf("disconnect reason %q, want AGENT_DISCONNECT", ended.DisconnectReason)
	}

	// 9. The contact record in the node's JSON Lines sink.
	rec := env.deliveredRecord(t, contactID)
	if rec.Channel != contact.ChannelChat || rec.Agent == nil || rec.Agent.Username != "agent1" || rec.Queue == nil || rec.Queue.Name != fc.queue ||
		rec.Queue.ARN == "" || !strings.HasSuffix(rec.Queue.ARN, "/queue/"+queueID) || aws.ToString(rec.DisconnectReason) != "AGENT_DISCONNECT" ||
		!strings.HasSuffix(rec.Agent.ARN, "/agent/"+env.agentID) || rec.Agent.RoutingProfile == nil || rec.Agent.RoutingProfile.Name != node.DemoRoutingProfileName ||
		rec.InitiationMethod != contact.InitiationAPI {
		t.Errorf("contact record = %s", jsonOf(rec))
	} else {
		order := []struct {
			name string
			at   *string
		}{
			{"InitiationTimestamp", &rec.InitiationTimestamp},
			{"Queue.EnqueueTimestamp", rec.Queue.EnqueueTimestamp},
			{"Queue.DequeueTimestamp", rec.Queue.DequeueTimestamp},
			{"Agent.ConnectedToAgentTimestamp", rec.Agent.ConnectedToAgentTimestamp},
			{"DisconnectTimestamp", rec.DisconnectTimestamp},
			{"Agent.AfterContactWorkStartTimestamp", rec.Agent.AfterContactWorkStartTimestamp},
			{"Agent.AfterContactWorkEndTimestamp", rec.Agent.AfterContactWorkEndTimestamp},
		}
		for i, o := range order {
			if o.at == nil || *o.at == "" {
				t.Errorf("contact record: %s is missing", o.name)
				continue
			}
			if i > 0 && order[i-1].at != nil && *order[i-1].at > *o.at {
				t.Errorf("contact record: %s %s is after %s %s", order[i-1].name, *order[i-1].at, o.name, *o.at)
			}
		}
	}
	for k, v := range fc.attributes {
		if rec.Attributes[k] != v {
			t.Errorf("contact record attribute %s = %q, want %q (all: %v)", k, rec.Attributes[k], v, rec.Attributes)
		}
	}
	for k, v := range fc.tags {
		if rec.Tags[k] != v {
			t.Errorf("contact record tag %s = %q, want %q (all: %v)", k, rec.Tags[k], v, rec.Tags)
		}
	}

	// 10. The stored transcript after the end: the same messages in the same order, then the
	// chat's end.
	var stored []chat.StoredItem
	err = env.tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		stored, err = tx.ListChatItems(ctx, chat.ItemQuery{InstanceID: env.inst, ContactID: contactID, FromSeq: 1, Forward: true, Limit: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var storedIDs []string
	for _, it := range stored {
		if it.Type == chat.TypeMessage {
			storedIDs = append(storedIDs, it.ID)
		}
	}
	if strings.Join(storedIDs, ",") != strings.Join(messageIDs, ",") {
		t.Errorf("stored messages %v differ from the transcript read before the end %v", storedIDs, messageIDs)
	}
	if n := len(stored); n == 0 || stored[n-1].ContentType != chat.EventChatEnded {
		t.Errorf("the stored transcript does not end with %s", chat.EventChatEnded)
	}
}

// widgetFrame attaches to the widget's iframe (another site than the page: its own target).
func (env *chatE2E) widgetFrame(t *testing.T, site *chatTab, widgetID string) *chatTab {
	t.Helper()
	prefix := env.origin + "/widget/" + widgetID + "/chat"
	for range 300 {
		infos, err := chromedp.Targets(site.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if in.Type == "iframe" && strings.HasPrefix(in.URL, prefix) {
				b := &chatTab{t: t, name: "widget", probs: site.probs, env: env, shotCtx: site.ctx, other: site.other}
				ctx, cancel := chromedp.NewContext(site.ctx, chromedp.WithTargetID(in.TargetID))
				t.Cleanup(cancel)
				b.ctx = ctx
				if err := chromedp.Listen(ctx, b.listener("widget")); err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	site.fail("widget", "the widget's iframe did not open")
	return nil
}

// deliveredRecord waits for the contact's record in the node's JSON Lines files.
func (env *chatE2E) deliveredRecord(t *testing.T, contactID string) contact.Record {
	t.Helper()
	for range 500 {
		files, _ := filepath.Glob(filepath.Join(env.tn.dataDir, "contact-records", "*.jsonl"))
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(fh)
			sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
			for sc.Scan() {
				if !strings.Contains(sc.Text(), `"ContactId":"`+contactID+`"`) {
					continue
				}
				var rec contact.Record
				err := json.Unmarshal(sc.Bytes(), &rec)
				fh.Close()
				if err != nil {
					t.Fatalf("contact record: %v", err)
				}
				return rec
			}
			fh.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the contact record of %s did not reach the JSON Lines sink", contactID)
	return contact.Record{}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// chooseStatusByName picks the status option with that label in the workspace's status
// selector and fires its change event, as a pick from the list does.
func chooseStatusByName(b *chatTab, name string) {
	b.t.Helper()
	ok := evalTab[bool](b, `(() => {
		const s = document.getElementById('status');
		const o = [...s.options].find((o) => o.textContent === `+strconv.Quote(name)+`);
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)
	if !ok {
		b.t.Fatalf("the status selector has no option %q", name)
	}
}
