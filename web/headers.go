package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/http"

	"github.com/ringfence/ringfence/secret"
)

// ContentSecurityPolicy is sent on every response under /ui/. Scripts, styles, images and
// fetches come from this origin only; no inline script or style attribute runs, nothing can
// frame the pages, forms post only here, <base> and plugins are off, and DOM XSS sinks
// (innerHTML and the like) refuse strings (Trusted Types). The pages set text with
// textContent only.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; " +
	"require-trusted-types-for 'script'"

// SetSecurityHeaders sets the headers every page response of the node's people-facing
// handlers carries (this package's and the agent workspace's): ContentSecurityPolicy,
// nosniff, no referrer, no framing, same-origin opener and resource policies, a Permissions
// Policy that allows only passkeys (WebAuthn) on this origin, and Cache-Control no-store.
// HSTS (two years, with subdomains) is sent over TLS, or always when hsts is set (TLS ends at
// a proxy).
func SetSecurityHeaders(w http.ResponseWriter, r *http.Request, hsts bool) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), publickey-credentials-get=(self), publickey-credentials-create=(self)")
	hd.Set("Cache-Control", "no-store")
	if r.TLS != nil || hsts {
		hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// Cookie names. The __Host- prefix makes the browser refuse the cookie unless it is Secure,
// has Path=/ and no Domain, so a sibling host cannot plant or overwrite it (RFC 6265bis
// §4.1.3.2).
const (
	// SessionCookie holds the session token.
	SessionCookie = "__Host-rf_session"
	// LoginCookie holds the sign-in form's CSRF token (double submit) before any session.
	LoginCookie = "__Host-rf_login"
)

// sessionCookie returns the session cookie for token; an empty token deletes it.
func sessionCookie(token secret.Value[string]) *http.Cookie {
	c := &http.Cookie{Name: SessionCookie, Value: token.Reveal(), Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if c.Value == "" {
		c.MaxAge = -1
	}
	return c
}

// csrfFormField and csrfHeader carry the CSRF token in forms and in fetch requests.
const (
	csrfFormField = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// sessionCSRFToken derives the synchronizer token of a session: HMAC-SHA256 keyed by the
// session token over a fixed label, base64url. Only the holder of the (HttpOnly) session
// cookie can compute it, it changes with every new session, and every node derives the same
// value without storing it.
func sessionCSRFToken(token secret.Value[string]) string {
	m := hmac.New(sha256.New, []byte(token.Reveal()))
	_, _ = io.WriteString(m, "ringfence web csrf v1")
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tokenEqual compares two tokens in constant time; empty never matches.
func tokenEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// submittedCSRF returns the token of a request: the X-CSRF-Token header, else the form field.
// The form must already be parsed (or parseable within the body limit).
func submittedCSRF(r *http.Request) string {
	if t := r.Header.Get(csrfHeader); t != "" {
		return t
	}
	return r.PostFormValue(csrfFormField)
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(rnd io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
