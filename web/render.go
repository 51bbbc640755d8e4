package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// view is what every page template gets. html/template escapes every value for its context,
// so user-supplied strings (usernames, passkey names, instance aliases) render as text.
type view struct {
	Title string
	// Page names the page for the scripts (body data-page attribute).
	Page string
	// CSRF is the token forms and fetches send back.
	CSRF string
	// Username is set when signed in (shown in the header with the sign-out button).
	Username string
	// Error and Notice are one-line messages shown above the content.
	Error  string
	Notice string
	// Data is the page's own data.
	Data any
}

// messageData is the data of the "message" page.
type messageData struct {
	Heading, Text  string
	Link, LinkText string
}

// parsePages parses templates/layout.html and the shared partials (templates/_*.html, blocks
// that several pages use) with each other template into its own set, named after the file
// without extension.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"time": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages := make(map[string]*template.Template)
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// render executes page into a buffer (so a template error cannot send half a page) and
// writes it with status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := h.pages[page]
	if !ok {
		h.log.Error("web: unknown page", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.Page == "" {
		v.Page = page
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("web: render", "page", page, "request_id", requestID(r.Context()), "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
