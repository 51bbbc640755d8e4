package workspace_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ringfence/ringfence/workspace"
)

// TestChromiumMarkdownRenderer runs the page's markdown renderer (static/markdown.js) in
// Chromium on messages a customer could send and compares the DOM it builds: links only for
// https: and mailto:, with rel="noopener noreferrer"; markup and every other scheme as
// literal text; invisible joiners between Latin letters shown as markers.
func TestChromiumMarkdownRenderer(t *testing.T) {
	ln, origin := listenLoopback(t)
	h, err := workspace.New(workspace.Config{CSRFToken: func(*http.Request) (string, error) { return "t", nil }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(workspace.Prefix, h)
	// The CSS document has no icon link: answer the browser's default icon request.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	b := newBrowser(t, origin)
	// A plain document of the origin to import the module into.
	b.do("open", chromedp.Navigate(origin+"/ui/workspace/static/workspace.css"))

	const linkAttrs = ` rel="noopener noreferrer" target="_blank" referrerpolicy="no-referrer"`
	for _, tc := range []struct{ name, in, want string }{
		{"https link", "[docs](https://example.com/a?b=1)", `<p><a href="https://example.com/a?b=1"` + linkAttrs + `>docs</a></p>`},
		{"mailto link", "[mail](mailto:help@example.com)", `<p><a href="mailto:help@example.com"` + linkAttrs + `>mail</a></p>`},
		{"javascript link with parentheses", "[x](javascript:alert(1))", `<p>[x](javascript:alert(1))</p>`},
		{"javascript link", "[x](javascript:alert%281%29)", `<p>[x](javascript:alert%281%29)</p>`},
		{"javascript link in capitals", "[x](JavaScript:alert`1`)", "<p>[x](JavaScript:alert`1`)</p>"},
		{"http link", "[x](http://example.com/)", `<p>[x](http://example.com/)</p>`},
		{"data link", "[x](data:text/html,hi)", `<p>[x](data:text/html,hi)</p>`},
		{"relative link", "[x](/ui/logout)", `<p>[x](/ui/logout)</p>`},
		{"credentials in link", "[x](https://user:pw@example.com/)", `<p>[x](https://user:pw@example.com/)</p>`},
		{"img markup", `<img src=x onerror=alert(1)>`, `<p>&lt;img src=x onerror=alert(1)&gt;</p>`},
		{"script markup", `</script><script>alert(1)</script>`, `<p>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{"markup in link text", `[<b>x</b>](https://example.com/)`, `<p><a href="https://example.com/"` + linkAttrs + `>&lt;b&gt;x&lt;/b&gt;</a></p>`},
		{"emphasis", "**bold** and *it* and `<b>`", `<p><strong>bold</strong> and <em>it</em> and <code>&lt;b&gt;</code></p>`},
		{"lists", "- a\n- **b**\n\n1. c", `<ul><li>a</li><li><strong>b</strong></li></ul><ol><li>c</li></ol>`},
		{"lines and paragraphs", "one\ntwo\n\nthree", `<p>one<br>two</p><p>three</p>`},
		{"heading", "# Title", `<p><strong>Title</strong></p>`},
		{"fenced code", "before\n```\n<b>x</b>\n**y**\n```\nafter", `<p>before</p><pre><code>&lt;b&gt;x&lt;/b&gt;
**y**</code></pre><p>after</p>`},
		{"unclosed fence", "```\ncode", `<pre><code>code</code></pre>`},
		{"zero-width joiner", "pay\u200dpal", `<p>pay<span class="invisible-char" title="ZERO WIDTH JOINER">⟨U+200D⟩</span>pal</p>`},
		{"bidi override", "a\u202egnp.exe", `<p>a<span class="invisible-char" title="RIGHT-TO-LEFT OVERRIDE">⟨U+202E⟩</span>gnp.exe</p>`},
		{"emoji sequence kept", "👩\u200d💻", "<p>👩\u200d💻</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, _ := json.Marshal(tc.in)
			got := eval[string](b, `import('/ui/workspace/static/markdown.js').then((m) => {
				const div = document.createElement('div');
				div.append(m.renderMarkdown(`+string(in)+`));
				return div.innerHTML;
			})`, chromedp.EvalAwaitPromise)
			if got != tc.want {
				t.Errorf("renderMarkdown(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
	if got := eval[bool](b, `window.alerted === undefined`); !got {
		t.Error("a payload ran")
	}
	b.check("end")
}
