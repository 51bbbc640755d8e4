package widget_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/web/widget"
)

const (
	widgetID = "0b7f5d0e-1c2a-4b3c-8d4e-5f6a7b8c9d0e"
	instID   = "00000000-0000-4000-8000-000000000001"
	approved = "https://shop.example.com"
)

type fakeDirectory struct{}

func (fakeDirectory) Widget(_ context.Context, id string) (chat.Widget, error) {
	if id != widgetID {
		return chat.Widget{}, apierr.NotFound("chat widget", id)
	}
	return chat.Widget{InstanceID: instID, ID: widgetID, Name: "Support", ContactFlowID: "flow-1",
		DisplayNamePrompt: `Name <script>alert(1)</script>`}, nil
}

func (fakeDirectory) ApprovedOrigins(context.Context, string) ([]string, error) {
	return []string{approved, "http://127.0.0.1:8080"}, nil
}

type fakeStarter struct {
	mu   sync.Mutex
	reqs []widget.StartRequest
	evs  []*audit.Event
}

func (f *fakeStarter) StartChat(_ context.Context, ev *audit.Event, req widget.StartRequest) (widget.Started, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	f.evs = append(f.evs, ev)
	if req.DisplayName == "" {
		return widget.Started{}, apierr.InvalidParameter("DisplayName must be 1 to 256 characters of UTF-8")
	}
	return widget.Started{ContactID: "contact-1", ParticipantID: "participant-1", ParticipantToken: secret.New("the-token")}, nil
}

type recorder struct {
	mu  sync.Mutex
	evs []audit.Event
}

func (r *recorder) Record(_ context.Context, ev *audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, *ev)
	return nil
}

type fixture struct {
	srv     *httptest.Server
	starter *fakeStarter
	audit   *recorder
}

func newFixture(t *testing.T, limiter *identity.IPRateLimiter) *fixture {
	t.Helper()
	f := &fixture{starter: &fakeStarter{}, audit: &recorder{}}
	h, err := widget.New(widget.Config{Directory: fakeDirectory{}, Starter: f.starter, Audit: f.audit, StartLimiter: limiter})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path, origin, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestLoaderAndPage(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(t, "GET", "/widget/"+widgetID+"/loader.js", "", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		resp.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || !strings.Contains(body, "ringfence:start") {
		t.Errorf("loader: %d %v", resp.StatusCode, resp.Header)
	}
	if strings.Contains(body, "innerHTML") {
		t.Error("the loader uses innerHTML")
	}
	for _, path := range []string{"/widget/11111111-2222-4333-8444-555555555555/loader.js", "/widget/not-a-uuid/chat", "/widget/" + widgetID + "/nothing"} {
		if resp, _ := f.do(t, "GET", path, "", ""); resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
		}
	}

	resp, body = f.do(t, "GET", "/widget/"+widgetID+"/chat", "", "")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors " + approved + " http://127.0.0.1:8080;", "object-src 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("page CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("page CSP allows unsafe sources: %q", csp)
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "Name &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the prompt is not escaped:\n%s", body)
	}
	if !strings.Contains(body, `data-origins="[&#34;https://shop.example.com&#34;,&#34;http://127.0.0.1:8080&#34;]"`) {
		t.Errorf("origins attribute missing:\n%s", body)
	}
	if strings.Count(body, "<script") != 1 || !strings.Contains(body, `<script type="module" src="chat.js"></script>`) {
		t.Errorf("the page has scripts other than its module:\n%s", body)
	}
	for _, file := range []string{"chat.js", "markdown.js", "text.js", "chat.css"} {
		resp, body := f.do(t, "GET", "/widget/"+widgetID+"/"+file, "", "")
		if resp.StatusCode != 200 || body == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("static %s: %d", file, resp.StatusCode)
		}
		if strings.Contains(body, "innerHTML") || strings.Contains(body, "insertAdjacentHTML") || strings.Contains(body, "eval(") {
			t.Errorf("static %s uses an HTML or code sink", file)
		}
	}
}

func TestStart(t *testing.T) {
	f := newFixture(t, nil)
	path := "/widget/" + widgetID + "/start"
	resp, body := f.do(t, "POST", path, approved, `{"DisplayName":"Jane","ClientToken":"abc"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != approved {
		t.Fatalf("start from an approved origin: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	var out struct{ ContactId, ParticipantId, ParticipantToken string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.ParticipantToken != "the-token" || out.ContactId != "contact-1" {
		t.Errorf("start answer %s (%v)", body, err)
	}
	req := f.starter.reqs[0]
	if req.InstanceID != instID || req.ContactFlowID != "flow-1" || req.DisplayName != "Jane" ||
		!strings.HasPrefix(req.ClientToken, "widget:"+widgetID+":127.0.0.1:") || !strings.HasSuffix(req.ClientToken, ":abc") ||
		strings.Join(req.SupportedContentTypes, ",") != strings.Join(widget.SupportedContentTypes, ",") {
		t.Errorf("start request %+v", req)
	}
	if ev := f.starter.evs[0]; ev.Actor != "widget:"+widgetID || ev.InstanceID != instID || ev.SourceIP != "127.0.0.1" || ev.Details["origin"] != approved {
		t.Errorf("start event %+v", ev)
	}

	// Origins in another form still match; unapproved ones and none are refused, audited.
	if resp, body := f.do(t, "POST", path, "HTTPS://Shop.Example.com:443", `{"DisplayName":"Jane"}`); resp.StatusCode != 200 {
		t.Errorf("approved origin in another form: %d %s", resp.StatusCode, body)
	}
	for _, origin := range []string{"", "https://evil.example.com", "null", "https://shop.example.com.evil.example"} {
		resp, _ := f.do(t, "POST", path, origin, `{"DisplayName":"Jane"}`)
		if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("origin %q: %d %v", origin, resp.StatusCode, resp.Header)
		}
	}
	if n := len(f.starter.reqs); n != 2 {
		t.Errorf("%d chats started, want 2", n)
	}
	f.audit.mu.Lock()
	refused := 0
	for _, ev := range f.audit.evs {
		if ev.Outcome == audit.OutcomeFailure && ev.ErrorCode == "AccessDeniedException" && ev.InstanceID == instID {
			refused++
		}
	}
	f.audit.mu.Unlock()
	if refused != 4 {
		t.Errorf("%d refusals audited, want 4", refused)
	}

	// Preflight.
	resp, _ = f.do(t, "OPTIONS", path, approved, "")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != approved || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "content-type") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = f.do(t, "OPTIONS", path, "https://evil.example.com", "")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from an unapproved origin: %d %v", resp.StatusCode, resp.Header)
	}

	// Bad bodies.
	for body, want := range map[string]string{
		`{"DisplayName":`: "InvalidParameterException",
		`{"DisplayName":"x","ClientToken":"` + strings.Repeat("t", 65) + `"}`: "InvalidParameterException",
		`{"DisplayName":"` + strings.Repeat("a", 5000) + `"}`:                 "RequestEntityTooLargeException",
		`{"DisplayName":""}`: "InvalidParameterException",
	} {
		if resp, _ := f.do(t, "POST", path, approved, body); resp.Header.Get("X-Amzn-ErrorType") != want {
			t.Errorf("body %.40q: %d %s, want %s", body, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), want)
		}
	}
}

func TestStartRateLimit(t *testing.T) {
	f := newFixture(t, identity.NewIPRateLimiter(1, 2, func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }))
	path := "/widget/" + widgetID + "/start"
	for i := range 2 {
		if resp, body := f.do(t, "POST", path, approved, `{"DisplayName":"Jane"}`); resp.StatusCode != 200 {
			t.Fatalf("start %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := f.do(t, "POST", path, approved, `{"DisplayName":"Jane"}`)
	if resp.StatusCode != 429 || resp.Header.Get("X-Amzn-ErrorType") != "ThrottlingException" || !strings.Contains(body, "try again") {
		t.Errorf("third start: %d %s", resp.StatusCode, body)
	}
}
