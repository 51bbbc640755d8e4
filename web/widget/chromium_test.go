package widget_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func chromiumPath() string {
	for _, p := range []string{os.Getenv("RINGFENCE_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// TestChromiumMarkdown runs the widget's Markdown renderer in Chromium, on the widget page
// (its CSP and Trusted Types in force), and checks the DOM it builds: formatting becomes
// elements, links only for https: and mailto: (with rel="noopener noreferrer"), and markup
// stays text.
func TestChromiumMarkdown(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := newFixture(t, nil)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, time.Minute)
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/widget/"+widgetID+"/chat"), chromedp.WaitVisible(chromedp.ID("display-name"))); err != nil {
		t.Fatal(err)
	}
	// render returns the rendered DOM as compact HTML for comparison (serialising is only
	// done here, by the test).
	const render = `(async (src) => {
		const m = await import('./markdown.js');
		const div = document.createElement('div');
		div.appendChild(m.renderMarkdown(src));
		return div.innerHTML;
	})`
	// The renderer is the one the agent workspace uses (package chattext); its full table is
	// workspace's TestChromiumMarkdownRenderer. These cases show it works here, under the
	// widget page's CSP and Trusted Types.
	const linkAttrs = ` rel="noopener noreferrer" target="_blank" referrerpolicy="no-referrer"`
	for _, tc := range []struct{ in, want string }{
		{"**bold** and *it* and `x < y`", "<p><strong>bold</strong> and <em>it</em> and <code>x &lt; y</code></p>"},
		{"[help](https://example.com/a?b=1&c=2)", `<p><a href="https://example.com/a?b=1&amp;c=2"` + linkAttrs + `>help</a></p>`},
		{"[mail us](mailto:help@example.com)", `<p><a href="mailto:help@example.com"` + linkAttrs + `>mail us</a></p>`},
		{"[x](javascript:window.x=1)", "<p>[x](javascript:window.x=1)</p>"},
		{"[x](JaVaScRiPt:window.x=1)", "<p>[x](JaVaScRiPt:window.x=1)</p>"},
		{"[x](http://plain.example.com)", "<p>[x](http://plain.example.com)</p>"},
		{"[x](data:text/html,<script>alert(1)</script>)", "<p>[x](data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)</p>"},
		{"<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"},
		{"- one\n- **two**", "<ul><li>one</li><li><strong>two</strong></li></ul>"},
		{"1. first\n2. second", "<ol><li>first</li><li>second</li></ol>"},
		{"```\n<b>code</b>\n```", "<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>"},
		{"line one\nline two\n\nnext", "<p>line one<br>line two</p><p>next</p>"},
		// Characters that would disguise the text show as markers (SECURITY.md "Web").
		{"pay\u200dpal", `<p>pay<span class="invisible-char" title="ZERO WIDTH JOINER">⟨U+200D⟩</span>pal</p>`},
		{"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001F469\u200d\U0001F4BB", "<p>\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001F469\u200d\U0001F4BB</p>"},
	} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](render+"("+jsString(tc.in)+")", chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("render %q: %v", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("render %q\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	if pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__pwned !== undefined`)); err != nil || pwned {
		t.Errorf("a payload ran (%v)", err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	out := []rune{'"'}
	for _, r := range s {
		switch r {
		case '"', '\\':
			out = append(out, '\\', r)
		case '\n':
			out = append(out, '\\', 'n')
		default:
			out = append(out, r)
		}
	}
	return string(append(out, '"'))
}
