// Package web serves Ringfence's pages for people under /ui/: sign-in with password, the
// authentication profile's network rules, TOTP and passkey second factors, the account
// pages (password, sessions, passkeys, sign-out) and the admin pages (users, security
// profiles, authentication profiles, queues, quick connects, routing profiles). Pages are
// html/template rendered on the server with small ES modules from /ui/static/; every
// response carries a strict Content-Security-Policy, and every state-changing request is
// checked for cross-site origin and a CSRF token bound to the session.
//
// Mounting: build a Handler with New and route the /ui/ prefix to it, next to the Connect API:
//
//	h, err := web.New(web.Config{...})
//	mux.Handle("/ui/", h)
//
// The Config names the stores it needs as small interfaces (stores.go); store/sqlstore and
// the node provide them. People reach an instance's sign-in page at /ui/{alias} (the
// instance's access URL) or /ui/login?instance={alias or ID}.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Handler. Fields marked required make New fail when missing.
type Config struct {
	// Instances resolves the instance in the sign-in URL or form. Required.
	Instances InstanceSource
	// Users looks users up by instance and username (sign-in) or ID (sessions). Required.
	Users identity.UserStore
	// Credentials holds password hashes. Required.
	Credentials identity.CredentialStore
	// Attempts counts failed sign-ins (per instance and username) and failed second-factor
	// codes (per user) for lockout: 10 failures lock for 30 minutes. Required.
	Attempts identity.AttemptStore
	// IPLimiter limits sign-in and second-factor attempts per client address; nil means 30
	// per minute with bursts of 60 (a shift of agents behind one NAT address signs in within
	// minutes; raise it for larger sites).
	IPLimiter *identity.IPRateLimiter
	// Hasher hashes passwords (nil means identity.NewPasswordHasher, argon2id).
	Hasher *identity.PasswordHasher
	// Sessions stores web sessions. Required. When it also implements SessionLister, the
	// sessions page lists every session of the user.
	Sessions identity.SessionStore
	// Profiles returns a user's security profiles (to decide whether MFA is required).
	// Required.
	Profiles ProfileSource
	// AuthProfiles returns the authentication profile of an instance. Required.
	AuthProfiles AuthProfileSource
	// MFA stores TOTP secrets, used steps and recovery codes. Required.
	MFA MFAStore
	// Passkeys stores WebAuthn credentials. Required.
	Passkeys PasskeyStore
	// Secrets seals TOTP secrets and WebAuthn ceremony state (*keyring.Envelope). Required.
	Secrets Sealer
	// Audit makes page-action and authentication events durable (store.Store). Required.
	Audit Recorder
	// AuditHasher, if set, puts a keyed hash of the typed username into failed sign-in
	// events (never the text: people type passwords into the username field).
	AuditHasher *keyring.Hasher
	// PasswordPolicy returns the policy for new passwords in an instance; nil means
	// identity.NewPasswordPolicy(false) everywhere.
	PasswordPolicy func(ctx context.Context, instanceID string) (identity.PasswordPolicy, error)
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed (see
	// identity.ClientIP). Empty means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// PublicOrigin is the origin people use, "https://host[:port]": the WebAuthn relying
	// party (its host is the RP ID) and the one origin passkey ceremonies accept. Required.
	PublicOrigin string
	// Issuer names the service in authenticator apps (default "Ringfence"); the instance
	// alias is appended: "Ringfence (sales)".
	Issuer string
	// HSTS sends Strict-Transport-Security on every response even when the request did not
	// arrive over TLS here (TLS ends at a proxy). Over TLS it is always sent.
	HSTS bool
	// PasswordAllowed decides whether an instance's people may sign in with a password (its
	// IdentityManagementType, see sso.PasswordAllowed); nil allows it everywhere. When it
	// refuses, the sign-in form answers with a page that points to /ui/sso/{instance}, the
	// instance's identity-provider sign-in, and the attempt is audited.
	PasswordAllowed func(inst instance.Instance) bool
	// Admin, when set, serves the admin pages under /ui/admin/ (users, security profiles,
	// authentication profiles, queues, quick connects and routing profiles of the signed-in
	// administrator's instance) over this store: each change runs one of store's
	// administration transactions (the ones the Connect API runs) together with its audit
	// event. nil serves none of them.
	Admin store.Store
	// RefreshRouting, when set, hands an instance's stored hours, queues and routing profiles
	// to its running router; the admin pages call it after each change the Connect API
	// refreshes the router for (store.RoutingChange: a queue disabled, a routing profile's
	// queues changed, ...), before they answer, so the change takes effect at once. The node
	// wires its lifecycle manager's RefreshRouting. An error is logged; the change stays
	// stored. nil refreshes nothing (the router takes the change when it next starts).
	RefreshRouting func(ctx context.Context, instanceID string) error
	// Region and AccountID name resources in the admin pages' audit events by their Connect
	// ARN, as the API does ("us-east-1", a 12-digit account); when empty, "{kind}/{id}".
	Region, AccountID string
	// Now is the clock (default time.Now); Rand the randomness source (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
	// Logger gets internal errors (identifiers only). Default: discard.
	Logger *slog.Logger
}

// Handler serves the pages. It is safe for concurrent use.
type Handler struct {
	cfg       Config
	mux       *http.ServeMux
	pages     map[string]*template.Template
	auth      *identity.Authenticator
	sessions  identity.SessionManager
	totp      identity.TOTPVerifier
	webauthn  *webauthn.WebAuthn
	crossSite *http.CrossOriginProtection
	log       *slog.Logger
	static    http.Handler
}

// New checks cfg and builds a Handler.
func New(cfg Config) (*Handler, error) {
	missing := []string{}
	for name, v := range map[string]any{
		"Instances": cfg.Instances, "Users": cfg.Users, "Credentials": cfg.Credentials,
		"Attempts": cfg.Attempts, "Sessions": cfg.Sessions, "Profiles": cfg.Profiles,
		"AuthProfiles": cfg.AuthProfiles, "MFA": cfg.MFA, "Passkeys": cfg.Passkeys,
		"Secrets": cfg.Secrets, "Audit": cfg.Audit,
	} {
		if v == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("web: config is missing %s", strings.Join(missing, ", "))
	}
	origin, err := url.Parse(cfg.PublicOrigin)
	if err != nil || (origin.Scheme != "https" && origin.Scheme != "http") || origin.Host == "" || origin.Path != "" {
		return nil, fmt.Errorf("web: PublicOrigin must be an origin such as https://cc.example.com:8443, not %q", cfg.PublicOrigin)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Ringfence"
	}
	if cfg.IPLimiter == nil {
		cfg.IPLimiter = identity.NewIPRateLimiter(30, 60, cfg.Now)
	}
	if cfg.PasswordPolicy == nil {
		pol := identity.NewPasswordPolicy(false)
		cfg.PasswordPolicy = func(context.Context, string) (identity.PasswordPolicy, error) { return pol, nil }
	}
	auth, err := identity.NewAuthenticator(identity.AuthenticatorConfig{
		Users: cfg.Users, Credentials: cfg.Credentials, Attempts: cfg.Attempts,
		IPLimiter: cfg.IPLimiter, Hasher: cfg.Hasher, Now: cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  origin.Hostname(),
		RPDisplayName:         cfg.Issuer,
		RPOrigins:             []string{origin.Scheme + "://" + origin.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementDiscouraged,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTimeout, TimeoutUVD: ceremonyTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTimeout, TimeoutUVD: ceremonyTimeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("web: webauthn: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	h := &Handler{
		cfg: cfg, pages: pages, auth: auth, webauthn: wa, log: cfg.Logger,
		sessions:  identity.SessionManager{Store: cfg.Sessions, Now: cfg.Now, Rand: cfg.Rand},
		totp:      identity.TOTPVerifier{Store: cfg.MFA, Now: cfg.Now},
		crossSite: http.NewCrossOriginProtection(),
		static:    http.StripPrefix("/ui/static/", http.FileServerFS(static)),
	}
	h.routes()
	return h, nil
}

// ceremonyTimeout bounds a passkey registration or assertion, server-side too.
const ceremonyTimeout = 5 * time.Minute

// maxFormBytes bounds every request body the pages accept (forms and JSON).
const maxFormBytes = 64 << 10

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /ui/static/", h.serveStatic)
	m.HandleFunc("GET /ui/login", h.loginPage)
	m.HandleFunc("POST /ui/login", h.loginSubmit)
	m.HandleFunc("GET /ui/{instance}", h.instanceEntry)

	m.Handle("POST /ui/logout", h.withSession(mfaPendingOK, h.logout))
	m.Handle("GET /ui/mfa", h.withSession(mfaPendingOK, h.mfaPage))
	m.Handle("POST /ui/mfa", h.withSession(mfaPendingOK, h.mfaSubmit))
	m.Handle("POST /ui/mfa/passkey/begin", h.withSession(mfaPendingOK, h.passkeyLoginBegin))
	m.Handle("POST /ui/mfa/passkey/finish", h.withSession(mfaPendingOK, h.passkeyLoginFinish))
	m.Handle("GET /ui/mfa/enrol", h.withSession(mfaPendingOK, h.enrolPage))
	m.Handle("POST /ui/mfa/enrol", h.withSession(mfaPendingOK, h.enrolSubmit))
	m.Handle("POST /ui/mfa/enrol/restart", h.withSession(mfaPendingOK, h.enrolRestart))
	m.Handle("GET /ui/mfa/enrol/qr.png", h.withSession(mfaPendingOK, h.enrolQR))

	m.Handle("GET /ui/{$}", h.withSession(mfaDone, h.home))
	m.Handle("GET /ui/password", h.withSession(mfaDone, h.passwordPage))
	m.Handle("POST /ui/password", h.withSession(mfaDone, h.passwordSubmit))
	m.Handle("GET /ui/sessions", h.withSession(mfaDone, h.sessionsPage))
	m.Handle("POST /ui/sessions/end-all", h.withSession(mfaDone, h.endAllSessions))
	m.Handle("GET /ui/passkeys", h.withSession(mfaDone, h.passkeysPage))
	m.Handle("POST /ui/passkeys/register/begin", h.withSession(mfaDone, h.passkeyRegisterBegin))
	m.Handle("POST /ui/passkeys/register/finish", h.withSession(mfaDone, h.passkeyRegisterFinish))
	m.Handle("POST /ui/passkeys/delete", h.withSession(mfaDone, h.passkeyDelete))
	h.adminRoutesOn(m)
	m.HandleFunc("/", h.notFound)
	h.mux = m
}

// ServeHTTP implements http.Handler: security headers on every response, a request ID, a
// body limit, then the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w, r, h.cfg.HSTS)
	reqID := newRequestID(h.cfg.Rand)
	w.Header().Set("X-Request-Id", reqID)
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, reqID))
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	// Static files are public and the same for everyone: revalidate, never store elsewhere.
	if strings.HasSuffix(r.URL.Path, "/") {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	h.static.ServeHTTP(w, r)
}

// instanceEntry is the instance's access URL (/ui/{alias}): it opens the sign-in page for
// that instance.
func (h *Handler) instanceEntry(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("instance")
	if !validInstanceRef(name) {
		h.notFound(w, r)
		return
	}
	http.Redirect(w, r, "/ui/login?instance="+url.QueryEscape(name), http.StatusSeeOther)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "message", view{Title: "Not found", Data: messageData{
		Heading: "Page not found", Text: "There is no page at this address.",
	}})
}

// crossSiteDenied answers a state-changing request that came from another origin.
func (h *Handler) crossSiteDenied(w http.ResponseWriter, r *http.Request) {
	h.recordRefusal(r, "web.csrf_refused", "cross-origin request")
	h.forbidden(w, r)
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, "message", view{Title: "Refused", Data: messageData{
		Heading: "Request refused", Text: csrfMessage,
	}})
}

// csrfMessage is shown when a form's token or origin does not check out.
const csrfMessage = "This form has expired or did not come from this site. Go back, reload the page and try again."

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

// newRequestID returns a random lower-case UUID (version 4) read from rnd, or from
// crypto/rand when rnd fails.
func newRequestID(rnd io.Reader) string {
	if id, err := uuid.NewRandomFromReader(rnd); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

// internalError logs err with identifiers only and shows the generic page.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, where string, err error) {
	status, text := http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment."
	var unavailable interface{ Status() int }
	if errors.As(err, &unavailable) && unavailable.Status() == http.StatusServiceUnavailable {
		status, text = http.StatusServiceUnavailable, "The service cannot record this action right now, so it was not done. Try again in a moment."
	}
	h.log.Error("web: internal error", "where", where, "request_id", requestID(r.Context()), "error", err.Error())
	h.render(w, r, status, "message", view{Title: "Error", Data: messageData{Heading: "Something went wrong", Text: text}})
}
