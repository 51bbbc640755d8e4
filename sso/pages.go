package sso

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/ringfence/ringfence/apierr"
)

//go:embed templates/*.html
var templateFS embed.FS

// ContentSecurityPolicy is sent on every response of the Handler: nothing runs but scripts
// of this origin (the pages here have none), styles and images come from this origin, forms
// post only here, nothing frames the pages, <base> and plugins are off, and DOM XSS sinks
// refuse strings (Trusted Types).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; " +
	"require-trusted-types-for 'script'"

// setSecurityHeaders sets the headers every response carries; HSTS over TLS or when asked.
func setSecurityHeaders(w http.ResponseWriter, r *http.Request, hsts bool) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	if r.TLS != nil || hsts {
		hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// page is what every template gets; html/template escapes each value for its context.
type page struct {
	Title, Page string
	Heading     string
	Text        string
	Error       string
	// CSRF is the emergency form's token; Instance pre-fills its instance field.
	CSRF     string
	Instance string
	// Next, when set, makes the page move on to it at once (meta refresh, no script).
	Next           string
	Link, LinkText string
	// ShowReference shows RequestID so a person can quote it and an administrator find the
	// audit event.
	ShowReference bool
	RequestID     string
}

// parsePages parses templates/layout.html with each other template into its own set, named
// after the file without extension.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("sso: templates: %w", err)
	}
	set := make(map[string]*template.Template)
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("sso: template %s: %w", base, err)
		}
		set[base] = t
	}
	return set, nil
}

// render executes a page into a buffer (a template error cannot send half a page) and writes
// it with status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := h.pages[name]
	if !ok {
		h.log.Error("sso: page missing", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Page == "" {
		p.Page = name
	}
	p.RequestID = requestID(r.Context())
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("sso: render", "page", name, "request_id", p.RequestID, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "message", page{Title: "Not found", Heading: "Page not found", Text: "There is no page at this address."})
}

// notFederated answers a federation page of an instance that does not sign in through an
// identity provider (or has none configured).
func (h *Handler) notFederated(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "message", page{Title: "Not available", Heading: "Single sign-on is not available",
		Text: "This instance does not sign people in through an identity provider. Use the instance's sign-in page."})
}

// unavailable answers a lookup failure: an unknown instance is a 404 page, anything else the
// error page.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.notFound(w, r)
		return
	}
	h.internalError(w, r, "lookup", err)
}

// continuePage answers a successful sign-in: a same-origin page that moves on to /ui/, so the
// browser sends the (SameSite=Strict) session cookie on that navigation even though the
// sign-in itself arrived from the identity provider's site.
func (h *Handler) continuePage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "continue", page{Title: "Signed in", Next: "/ui/"})
}

// internalError logs err with identifiers only and shows the generic page (503 when the
// audit event could not be made durable, so nothing was done).
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, where string, err error) {
	status, text := http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment."
	var unavailable interface{ Status() int }
	if errors.As(err, &unavailable) && unavailable.Status() == http.StatusServiceUnavailable {
		status, text = http.StatusServiceUnavailable, "The service cannot record this sign-in right now, so it was not done. Try again in a moment."
	}
	h.log.Error("sso: internal error", "where", where, "request_id", requestID(r.Context()), "error", err.Error())
	h.render(w, r, status, "message", page{Title: "Error", Heading: "Something went wrong", Text: text, ShowReference: true})
}
