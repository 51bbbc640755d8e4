// Package workspace serves the agent workspace at /ui/workspace/: the page an agent works
// in after signing in. It sets the agent's status, shows offers with a sound and a countdown,
// accepts or rejects them, holds several contacts at once as tabs, shows each contact's
// permitted attributes, runs chats (transcript, reply, typing indicators both ways), shows
// tasks (name, description, references), transfers to a queue or a quick connect, ends
// contacts, completes after-contact work and lists the agent's recent contacts.
//
// The page is a static HTML shell with ES modules and a stylesheet, all embedded. Everything
// it does goes through two documented interfaces only: the agent API (/agent/v1/...,
// docs/agent-api.md, package agentapi) and Amazon Connect's participant API
// (/participant/..., package channel/chat) with the participant token the agent API hands
// out on accepting a chat. The server side of this package only renders the shell with the
// session's CSRF token, which the page sends back in the X-CSRF-Token header of the agent
// API's unsafe requests.
//
// Every response carries the same security headers as package web's pages: the strict
// web.ContentSecurityPolicy (scripts and styles from this origin only, no inline code,
// Trusted Types enforced), nosniff, no referrer, no framing, COOP/CORP, no-store and HSTS.
// The page writes every text it receives with textContent (or DOM nodes it builds), never
// as HTML; chat markdown goes through a small renderer that builds DOM nodes and links only
// https: and mailto: URLs.
//
// Mounting, next to web's pages, the agent API and the participant API:
//
//	ws, err := workspace.New(workspace.Config{CSRFToken: sessionCSRF})
//	mux.Handle(workspace.Prefix, ws)
package workspace

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ringfence/ringfence/web"
	"github.com/ringfence/ringfence/web/chattext"
)

// Prefix is the path the Handler serves; mount it on the node's mux with this pattern.
const Prefix = "/ui/workspace/"

// ErrSignedOut is what Config.CSRFToken returns (or wraps) when the request has no signed-in
// session; the Handler then redirects the browser to the sign-in page.
var ErrSignedOut = errors.New("workspace: not signed in")

//go:embed templates/workspace.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Handler.
type Config struct {
	// CSRFToken returns the CSRF token of the request's signed-in session: the value the
	// agent API's session check expects in X-CSRF-Token (and web's forms in their csrf
	// field, for the sign-out button). It returns ErrSignedOut (or an error wrapping it)
	// when there is no usable session (none, ended, second factor pending); any other error
	// is answered 500 "internal error" and logged. Required.
	CSRFToken func(r *http.Request) (string, error)
	// SignInURL is where a browser without a session is sent (303), and where the page goes
	// when the agent API closes its events socket because the session ended. It must be a
	// path on this site; default "/ui/login".
	SignInURL string
	// SignOutURL is the sign-out form's action (POST with the csrf field); default
	// "/ui/logout", package web's.
	SignOutURL string
	// HSTS sends Strict-Transport-Security even when the request did not arrive over TLS
	// here (TLS ends at a proxy). Over TLS it is always sent.
	HSTS bool
	// Logger gets internal errors (identifiers only). Default: discard.
	Logger *slog.Logger
}

// Handler serves the workspace shell and its static files under Prefix. It is safe for
// concurrent use.
type Handler struct {
	cfg    Config
	page   *template.Template
	files  fs.FS
	static http.Handler
	mux    *http.ServeMux
	log    *slog.Logger
}

// New checks cfg and returns a Handler. Errors: a missing CSRFToken, a SignInURL or
// SignOutURL that is not a path of this site.
func New(cfg Config) (*Handler, error) {
	if cfg.CSRFToken == nil {
		return nil, errors.New("workspace: config is missing CSRFToken")
	}
	if cfg.SignInURL == "" {
		cfg.SignInURL = "/ui/login"
	}
	if cfg.SignOutURL == "" {
		cfg.SignOutURL = "/ui/logout"
	}
	for name, u := range map[string]string{"SignInURL": cfg.SignInURL, "SignOutURL": cfg.SignOutURL} {
		if !localPath(u) {
			return nil, fmt.Errorf("workspace: %s must be a path on this site such as /ui/login, not %q", name, u)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	page, err := template.ParseFS(templateFS, "templates/workspace.html")
	if err != nil {
		return nil, fmt.Errorf("workspace: template: %w", err)
	}
	own, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("workspace: static files: %w", err)
	}
	// markdown.js and text.js are the modules the customer chat widget uses too.
	static := chattext.Overlay(own)
	h := &Handler{cfg: cfg, page: page, log: cfg.Logger, files: static,
		static: http.StripPrefix(Prefix+"static/", http.FileServerFS(static))}
	m := http.NewServeMux()
	m.HandleFunc("GET "+Prefix+"{$}", h.shell)
	m.HandleFunc("GET "+Prefix+"static/", h.serveStatic)
	m.HandleFunc(Prefix, h.notFound)
	h.mux = m
	return h, nil
}

// localPath reports whether u is an absolute path of this site ("/x", not "//host/x").
func localPath(u string) bool {
	return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.ContainsAny(u, "\\\r\n\t ")
}

// ServeHTTP implements http.Handler: the security headers on every response, then the
// shell, a static file, 405 for methods other than GET and HEAD, or 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	web.SetSecurityHeaders(w, r, h.cfg.HSTS)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// shellData is what the shell template gets; html/template escapes each value for its
// context.
type shellData struct {
	CSRF       string
	SignInURL  string
	SignOutURL string
}

// shell renders the page for a signed-in agent, or redirects to sign-in. Whether the user
// may use the agent API (BasicAgentAccess) is the agent API's decision: the page shows its
// refusal.
func (h *Handler) shell(w http.ResponseWriter, r *http.Request) {
	token, err := h.cfg.CSRFToken(r)
	switch {
	case errors.Is(err, ErrSignedOut):
		http.Redirect(w, r, h.cfg.SignInURL, http.StatusSeeOther)
		return
	case err != nil:
		h.log.Error("workspace: session CSRF token", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case token == "":
		h.log.Error("workspace: session CSRF token is empty")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, shellData{CSRF: token, SignInURL: h.cfg.SignInURL, SignOutURL: h.cfg.SignOutURL}); err != nil {
		h.log.Error("workspace: render", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// serveStatic serves the embedded modules, stylesheet and icon; no directory listings. A
// missing file is answered here (http.FileServer's error answers drop Cache-Control).
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, Prefix+"static/")
	if st, err := fs.Stat(h.files, name); err != nil || st.IsDir() || !fs.ValidPath(name) {
		h.notFound(w, r)
		return
	}
	h.static.ServeHTTP(w, r)
}

func (h *Handler) notFound(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "not found", http.StatusNotFound)
}
