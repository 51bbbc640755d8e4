package workspace_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/web"
)

// chromiumPath finds a Chromium binary: $RINGFENCE_CHROMIUM, then Debian's locations.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("RINGFENCE_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// browser is one Chromium tab on a test server. Every console error or warning, uncaught
// exception, browser-log error, JavaScript dialog and /ui/ response without web's CSP is
// collected as a problem; check fails the test on any.
type browser struct {
	t       *testing.T
	ctx     context.Context
	origin  string
	shots   string
	mu      sync.Mutex
	issues  []string
	dialogs int
	checked int
}

// newBrowser starts Chromium (or skips the test) for pages served at origin.
func newBrowser(t *testing.T, origin string) *browser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	shots := t.TempDir()
	if d := os.Getenv("RINGFENCE_SCREENSHOTS"); d != "" {
		shots = d
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, origin: origin, shots: shots}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() { t.Logf("screenshots in %s; %d responses checked for the CSP", shots, b.checked) })
	return b
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.issues = append(b.issues, fmt.Sprintf(format, args...))
}

func (b *browser) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		desc := ""
		if ev.ExceptionDetails.Exception != nil {
			desc = ev.ExceptionDetails.Exception.Description
		}
		b.problem("uncaught exception: %s %s", ev.ExceptionDetails.Text, desc)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, fmt.Sprint(a.Value), a.Description)
			}
			b.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
			b.problem("browser log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *page.EventJavascriptDialogOpening:
		b.mu.Lock()
		b.dialogs++
		b.mu.Unlock()
		b.problem("a %s dialog opened: %q", ev.Type, ev.Message)
		go func() {
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	case *network.EventResponseReceived:
		r := ev.Response
		if !strings.HasPrefix(r.URL, b.origin+"/ui/") {
			return
		}
		b.mu.Lock()
		b.checked++
		b.mu.Unlock()
		var csp string
		for k, v := range r.Headers {
			if strings.EqualFold(k, "Content-Security-Policy") {
				csp = fmt.Sprint(v)
			}
		}
		if csp != web.ContentSecurityPolicy {
			b.problem("response %s (%s) has CSP %q", r.URL, ev.Type, csp)
		}
	}
}

// check fails the test on any collected problem.
func (b *browser) check(step string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.issues) > 0 {
		b.t.Fatalf("%s: %d problem(s) in the browser:\n%s", step, len(b.issues), strings.Join(b.issues, "\n"))
	}
}

// do runs actions, failing (with a screenshot) on an error or a browser problem.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
	b.check(step)
}

// eval evaluates a JavaScript expression in the page and decodes its value into T.
func eval[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS polls a JavaScript predicate (evaluated by DevTools, so the page's CSP does not
// apply to it) until it is true; it fails the test after 30 s with a screenshot.
func (b *browser) waitJS(step, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			b.check(step)
			return
		}
		if time.Now().After(deadline) {
			b.shot("failed-" + step)
			page, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[document.querySelector('#alert')?.textContent, document.querySelector('#notice')?.textContent,
				[...document.querySelectorAll('.tab')].map((t) => t.id + '=' + t.dataset.state).join(' ')].join(' / ')`))
			b.t.Fatalf("%s: %s did not become true (%v); page: %s", step, expr, err, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// text returns the trimmed textContent of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(eval[string](b, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel)))
}

// shot saves a full-page screenshot to the test's directory.
func (b *browser) shot(name string) {
	b.t.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), buf, 0o600); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}

// listenLoopback returns a listener on 127.0.0.1 and the origin pages are served at.
func listenLoopback(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, fmt.Sprintf("http://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
}

// Actions on the first element a CSS selector matches.
func navigate(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }
func waitVisible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func waitNotPresent(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitNotPresent(chromedp.CSS(sel))
}
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func sendKeys(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), value)
}

// chooseStatus picks an agent status in the header's selector as a person does (the
// change event follows the new value).
func chooseStatus(b *browser, statusID string) {
	b.t.Helper()
	b.do("choose status "+statusID, setValue("#status", statusID))
	eval[bool](b, `document.querySelector('#status').dispatchEvent(new Event('change')) || true`)
}

// chromedpSetCookie gives the browser a cookie for the test server's origin.
func chromedpSetCookie(b *browser, name, value string) (struct{}, error) {
	_, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: b.origin + "/"})
	return struct{}{}, err
}
