// Package widget serves the customer chat widget an organisation embeds on its web site:
//
//	GET  /widget/{widgetId}/loader.js   the script the site includes; it adds a launcher
//	                                    button and opens the widget page in an iframe
//	GET  /widget/{widgetId}/chat        the widget page (server-rendered shell, strict CSP,
//	                                    framed only by the instance's approved origins)
//	POST /widget/{widgetId}/start       starts a chat on the visitor's behalf, for pages of
//	                                    an approved origin only (Origin header, CORS)
//	GET  /widget/{widgetId}/{asset}     the page's ES modules and style sheet (chat.js,
//	                                    markdown.js, text.js, chat.css)
//
// No AWS credential ever reaches the browser: the site's page (through loader.js) asks
// /start, which checks the Origin header against the instance's approved origins
// (AssociateApprovedOrigin), limits starts per client address, and starts the chat through
// the same path as StartChatContact. The answer's participant token goes to the widget page
// by postMessage, and from there the page talks to the participant API (/participant/...)
// and its WebSocket on its own origin, exactly as a Connect chat client does.
//
// The page renders every message as text (DOM textContent), Markdown (text/markdown) only
// through its own small renderer that builds DOM nodes (bold, italic, code, lists, links to
// https: and mailto: only), and a flow's menu (an interactive QuickReply message) as
// buttons. After a dropped WebSocket it reconnects and fetches the transcript from the last
// item it saw, showing each item once (by its Id).
package widget

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/web/chattext"
)

//go:embed static
var staticFS embed.FS

//go:embed templates/chat.html
var templateFS embed.FS

// Directory reads what the widget URLs need from storage.
type Directory interface {
	// Widget returns a widget by its ID (ResourceNotFoundException when unknown).
	Widget(ctx context.Context, widgetID string) (chat.Widget, error)
	// ApprovedOrigins returns the instance's approved origins in their normal form
	// (instance.NormalizeOrigin).
	ApprovedOrigins(ctx context.Context, instanceID string) ([]string, error)
}

// StartRequest is a chat a visitor asks for.
type StartRequest struct {
	InstanceID    string
	ContactFlowID string
	// DisplayName is what the visitor typed (checked by the chat channel).
	DisplayName string
	// SupportedContentTypes are the message types the widget page shows.
	SupportedContentTypes []string
	// ClientToken makes a retried start return the same chat (see api.ChatStart).
	ClientToken string
}

// Started is the chat the visitor got.
type Started struct {
	ContactID, ParticipantID string
	ParticipantToken         secret.Value[string]
}

// Starter starts chats the way StartChatContact does (the node adapts api.Server.StartChat).
// It makes ev durable whatever the outcome.
type Starter interface {
	StartChat(ctx context.Context, ev *audit.Event, req StartRequest) (Started, error)
}

// Recorder makes an audit event durable on its own (store.Store's Record).
type Recorder interface {
	Record(ctx context.Context, ev *audit.Event) error
}

// Config configures a Handler.
type Config struct {
	// Directory, Starter and Audit are required.
	Directory Directory
	Starter   Starter
	Audit     Recorder
	// StartLimiter limits /start per client address; nil means 20 per minute with bursts of
	// 30 (an office behind one NAT address opens that many chats at most).
	StartLimiter *identity.IPRateLimiter
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed (see
	// identity.ClientIP); empty means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger gets internal errors (identifiers only). Default: discard.
	Logger *slog.Logger
}

// Handler serves the widget URLs; mount it at /widget/. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	mux    *http.ServeMux
	page   *template.Template
	loader []byte
	static http.Handler
	log    *slog.Logger
}

// SupportedContentTypes are the message types the widget page declares when it starts a
// chat: plain text, Markdown, and the interactive types (menus shown as buttons).
var SupportedContentTypes = []string{chat.ContentTypePlain, chat.ContentTypeMarkdown, chat.ContentTypeInteractive, chat.ContentTypeInteractiveResponse}

// maxStartBody bounds the /start request body (a display name and a client token).
const maxStartBody = 4 << 10

// New checks cfg and builds a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Directory == nil || cfg.Starter == nil || cfg.Audit == nil {
		return nil, errors.New("widget: Directory, Starter and Audit are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StartLimiter == nil {
		cfg.StartLimiter = identity.NewIPRateLimiter(20, 30, cfg.Now)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	page, err := template.ParseFS(templateFS, "templates/chat.html")
	if err != nil {
		return nil, err
	}
	loader, err := staticFS.ReadFile("static/loader.js")
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), page: page, loader: loader, log: cfg.Logger,
		static: http.FileServerFS(chattext.Overlay(sub))}
	h.mux.HandleFunc("GET /widget/{widgetId}/loader.js", h.serveLoader)
	h.mux.HandleFunc("GET /widget/{widgetId}/chat", h.serveChat)
	h.mux.HandleFunc("POST /widget/{widgetId}/start", h.serveStart)
	h.mux.HandleFunc("OPTIONS /widget/{widgetId}/start", h.servePreflight)
	h.mux.HandleFunc("GET /widget/{widgetId}/{asset}", h.serveStatic)
	h.mux.HandleFunc("/widget/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apierr.NotFound("widget resource", ""))
	})
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// widgetIDPattern is the shape of widget IDs (lower-case UUIDs).
var widgetIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// widget looks up the widget of the request path; unknown and malformed IDs are one
// ResourceNotFoundException.
func (h *Handler) widget(r *http.Request) (chat.Widget, error) {
	id := r.PathValue("widgetId")
	if !widgetIDPattern.MatchString(id) {
		return chat.Widget{}, apierr.NotFound("chat widget", "")
	}
	return h.cfg.Directory.Widget(r.Context(), id)
}

func writeError(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	if e == nil {
		e = apierr.New(apierr.CodeInternalService, "internal error")
	}
	apierr.Write(w, e.Status(), e)
}

// staticCSP is the policy of the page's scripts and style sheet (they render nothing).
const staticCSP = "default-src 'none'; frame-ancestors 'none'"

// assets are the files the widget page loads, relative to its URL.
// markdown.js and text.js are the modules the agent workspace uses too (package chattext).
var assets = map[string]bool{"chat.js": true, "markdown.js": true, "text.js": true, "chat.css": true}

// serveStatic answers the page's assets. They are the same for every widget; the path
// carries the widget ID only so that the page can load them by relative URL.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	asset := r.PathValue("asset")
	if !widgetIDPattern.MatchString(r.PathValue("widgetId")) || !assets[asset] {
		writeError(w, apierr.NotFound("widget resource", ""))
		return
	}
	w.Header().Set("Content-Security-Policy", staticCSP)
	w.Header().Set("Cache-Control", "public, max-age=300")
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + asset
	h.static.ServeHTTP(w, r2)
}

// serveLoader answers the script a site includes. It names no widget: it reads the widget ID
// and the server's origin from its own URL (document.currentScript), so one file serves every
// widget. Any site may load it (Cross-Origin-Resource-Policy: cross-origin); what it opens
// refuses sites that are not approved.
func (h *Handler) serveLoader(w http.ResponseWriter, r *http.Request) {
	if _, err := h.widget(r); err != nil {
		writeError(w, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	hd.Set("Cache-Control", "public, max-age=300")
	hd.Set("Content-Security-Policy", staticCSP)
	_, _ = w.Write(h.loader)
}

// pageData is what templates/chat.html renders.
type pageData struct {
	WidgetID, Prompt string
	// Origins is the JSON list of approved origins: the page accepts postMessage only from
	// a parent of one of them.
	Origins string
}

// chatCSP is the widget page's Content-Security-Policy: its own scripts, styles and
// connections only (the participant API and its WebSocket on this host), no inline script,
// DOM sinks refuse strings (Trusted Types), and only the approved origins may frame it.
func chatCSP(host string, origins []string) string {
	ancestors := "'none'"
	if len(origins) > 0 {
		ancestors = strings.Join(origins, " ")
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self' wss://" + host + " ws://" + host + "; frame-ancestors " + ancestors + "; " +
		"base-uri 'none'; form-action 'none'; object-src 'none'; require-trusted-types-for 'script'"
}

func (h *Handler) serveChat(w http.ResponseWriter, r *http.Request) {
	wd, err := h.widget(r)
	if err != nil {
		writeError(w, err)
		return
	}
	origins, err := h.cfg.Directory.ApprovedOrigins(r.Context(), wd.InstanceID)
	if err != nil {
		h.log.Error("widget: approved origins", "instance_id", wd.InstanceID, "error", err.Error())
		writeError(w, err)
		return
	}
	list, _ := json.Marshal(origins)
	if origins == nil {
		list = []byte("[]")
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", chatCSP(validHost(r.Host), origins))
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	prompt := wd.DisplayNamePrompt
	if prompt == "" {
		prompt = chat.DefaultDisplayNamePrompt
	}
	if err := h.page.Execute(w, pageData{WidgetID: wd.ID, Prompt: prompt, Origins: string(list)}); err != nil {
		h.log.Error("widget: render page", "widget_id", wd.ID, "error", err.Error())
	}
}

// validHost returns the request's Host when it is a plain host[:port], else "localhost": it
// goes into the CSP, which must stay one well-formed header.
func validHost(host string) string {
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return "localhost"
		}
	}
	if host == "" {
		return "localhost"
	}
	return host
}

// approvedOrigin returns the request's Origin (normalised) when it is an approved origin of
// the widget's instance; "" and an error otherwise.
func (h *Handler) approvedOrigin(r *http.Request, wd chat.Widget) (string, error) {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return "", apierr.AccessDenied("chats start from a page of an approved origin (no Origin header)")
	}
	o, err := instance.NormalizeOrigin(raw)
	if err != nil {
		return "", apierr.AccessDenied("chats start from a page of an approved origin")
	}
	origins, err := h.cfg.Directory.ApprovedOrigins(r.Context(), wd.InstanceID)
	if err != nil {
		return "", err
	}
	for _, a := range origins {
		if a == o {
			return o, nil
		}
	}
	return "", apierr.AccessDenied("this site is not an approved origin of the contact center")
}

// servePreflight answers the CORS preflight of /start for approved origins only.
func (h *Handler) servePreflight(w http.ResponseWriter, r *http.Request) {
	wd, err := h.widget(r)
	if err != nil {
		writeError(w, err)
		return
	}
	o, err := h.approvedOrigin(r, wd)
	if err != nil {
		w.Header().Add("Vary", "Origin")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", o)
	hd.Add("Vary", "Origin")
	hd.Set("Access-Control-Allow-Methods", "POST")
	hd.Set("Access-Control-Allow-Headers", "content-type")
	hd.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

type startIn struct {
	DisplayName string `json:"DisplayName"`
	ClientToken string `json:"ClientToken"`
}

type startOut struct {
	ContactID        string `json:"ContactId"`
	ParticipantID    string `json:"ParticipantId"`
	ParticipantToken string `json:"ParticipantToken"`
}

// serveStart starts a chat for a visitor of an approved origin. Every call leaves one audit
// event (actor "widget:<ID>", operation StartChatContact), refusals included. Errors:
// 404 ResourceNotFoundException (widget), 403 AccessDeniedException (origin), 429
// ThrottlingException (client address), 400 InvalidParameterException (body, display
// name), and what StartChatContact answers.
func (h *Handler) serveStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Origin")
	ctx := r.Context()
	ip, _ := identity.ClientIP(r, h.cfg.TrustedProxies)
	ev := &audit.Event{Code: "widget.StartChat", Actor: "anonymous", Operation: "StartChatContact",
		SourceIP: ip.String(), UserAgent: truncate(r.UserAgent(), 256), Time: h.cfg.Now()}
	fail := func(err error) {
		ev.Stamp(err)
		if rerr := h.cfg.Audit.Record(ctx, ev); rerr != nil {
			err = rerr
		}
		writeError(w, err)
	}
	wd, err := h.widget(r)
	if err != nil {
		fail(err)
		return
	}
	ev.Actor, ev.InstanceID = "widget:"+wd.ID, wd.InstanceID
	ev.Details = map[string]string{"widget_id": wd.ID, "origin": truncate(r.Header.Get("Origin"), 300)}
	o, err := h.approvedOrigin(r, wd)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", o)
	if !h.cfg.StartLimiter.Allow(ip) {
		fail(apierr.New(apierr.CodeThrottling, "too many chats started from this address; try again in a minute"))
		return
	}
	var in startIn
	if err := decode(w, r, &in); err != nil {
		fail(err)
		return
	}
	if len(in.ClientToken) > 64 {
		fail(apierr.InvalidParameter("ClientToken must be at most 64 characters"))
		return
	}
	clientToken := ""
	if in.ClientToken != "" {
		// Scoped to the widget, so visitors cannot reach each other's chats by guessing.
		clientToken = "widget:" + wd.ID + ":" + ip.String() + ":" + in.ClientToken
	}
	st, err := h.cfg.Starter.StartChat(ctx, ev, StartRequest{InstanceID: wd.InstanceID, ContactFlowID: wd.ContactFlowID,
		DisplayName: in.DisplayName, SupportedContentTypes: SupportedContentTypes, ClientToken: clientToken})
	if err != nil {
		writeError(w, err)
		return
	}
	b, _ := json.Marshal(startOut{ContactID: st.ContactID, ParticipantID: st.ParticipantID, ParticipantToken: st.ParticipantToken.Reveal()})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// decode reads one JSON object of at most maxStartBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxStartBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(apierr.CodeRequestEntityTooLarge, "request body exceeds %d bytes", maxStartBody)
		}
		return apierr.InvalidRequest("could not read the request body")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil || dec.More() {
		return apierr.InvalidParameter(`the body is {"DisplayName": "...", "ClientToken": "..."}`)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
