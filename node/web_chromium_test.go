package node_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/web"
)

// chromium finds a Chromium binary: $RINGFENCE_CHROMIUM, then Debian's locations.
func chromium() string {
	for _, p := range []string{os.Getenv("RINGFENCE_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if st, err := os.Stat(p); p != "" && err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// TestChromiumAgentSignsInOnNode: in Chromium, a demo agent opens the instance's access URL
// on the node (TLS with the generated certificate, as https://localhost), signs in with the
// password the demo printed, lands on the account page with the session cookie set Secure,
// HttpOnly and SameSite=Strict, then the page's own origin calls the agent API with fetch
// (the CSRF token from the page's meta element) and opens the events WebSocket. Every page
// response carries the CSP; any console error or exception fails the test. Last, the agent
// workspace opens on the same session and names the agent.
func TestChromiumAgentSignsInOnNode(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	tn := startNode(t)
	people := demoUsers(t, tn)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(tn.endpoint, "https://"))
	origin := "https://localhost:" + port

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		// The node's certificate comes from its own local CA, which this browser profile does not trust.
		chromedp.Flag("ignore-certificate-errors", true), chromedp.WindowSize(1000, 800))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	var (
		mu       sync.Mutex
		problems []string
		pages    int
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, fmt.Sprintf("console.%s", ev.Type))
			}
		case *network.EventResponseReceived:
			r := ev.Response
			if !strings.HasPrefix(r.URL, origin+"/ui/") {
				return
			}
			pages++
			csp := ""
			for k, v := range r.Headers {
				if strings.EqualFold(k, "Content-Security-Policy") {
					csp = fmt.Sprint(v)
				}
			}
			if csp != web.ContentSecurityPolicy {
				problems = append(problems, "no CSP on "+r.URL)
			}
		}
	}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	check := func(step string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(problems) > 0 {
			t.Fatalf("%s: %s", step, strings.Join(problems, "; "))
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(origin+"/ui/demo"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("username"), "agent1"),
		chromedp.SendKeys(chromedp.ID("password"), people["agent1"].Password.Reveal()),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("home-username")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	check("sign in")
	if got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("home-username"))); err != nil || strings.TrimSpace(got) != "agent1" {
		t.Errorf("account page shows %q (%v)", got, err)
	}
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{origin + "/ui/"}})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Path != "/" {
		t.Fatalf("session cookie in Chromium: %+v", session)
	}

	// The page's origin uses the agent API: read the agent, go Available, open the events socket.
	me, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`fetch("/agent/v1/me").then(r => r.json())`, chromedp.EvalAwaitPromise))
	if err != nil || me["Username"] != "agent1" {
		t.Fatalf("GET /agent/v1/me from the page: %v, %v", me, err)
	}
	activity, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const csrf = document.querySelector('meta[name="csrf-token"]').content;
		const st = await (await fetch("/agent/v1/statuses")).json();
		const available = st.AgentStatuses.find(s => s.Name === "Available").AgentStatusId;
		const r = await fetch("/agent/v1/status", {method: "PUT", headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
			body: JSON.stringify({AgentStatusId: available})});
		return (await r.json()).Routing.Activity;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || activity != "AVAILABLE" {
		t.Fatalf("PUT /agent/v1/status from the page: %q, %v", activity, err)
	}
	hello, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise((resolve, reject) => {
		const ws = new WebSocket("wss://" + location.host + "/agent/v1/events");
		ws.onmessage = (e) => { ws.close(); resolve(JSON.parse(e.data).type); };
		ws.onerror = () => reject(new Error("socket error"));
	})`, chromedp.EvalAwaitPromise))
	if err != nil || hello != "Hello" {
		t.Fatalf("events WebSocket from the page: %q, %v", hello, err)
	}
	check("agent API")

	// The agent workspace on the same session: it names the agent and shows the routing
	// state the page itself set above.
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/ui/workspace/")); err != nil {
		t.Fatalf("open the workspace: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("agent-name").textContent.trim() === "agent1"`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the workspace does not name the agent: %v", err)
	}
	check("workspace")
	if pages < 4 {
		t.Errorf("only %d page responses were checked for the CSP", pages)
	}
}
