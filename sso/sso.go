// Package sso signs people in to an instance's pages through an external identity provider
// (SAML 2.0 web browser SSO, or OpenID Connect with the authorization code flow and PKCE) and
// through emergency (break-glass) access with a one-time token minted on the host. A person
// who signs in through the identity provider for the first time becomes a user of the
// instance just in time when the instance's configuration names a security profile for that.
//
// Handler serves the pages:
//
//	GET  /ui/sso/{instance}                 start sign-in with the instance's provider
//	GET  /ui/sso/{instance}/saml/metadata   the service provider's SAML metadata
//	GET  /ui/sso/{instance}/saml/login      send the browser to the IdP with an AuthnRequest
//	POST /ui/sso/{instance}/saml/acs        the assertion consumer service (HTTP-POST binding)
//	GET  /ui/sso/{instance}/oidc/login      send the browser to the OpenID provider
//	GET  /ui/sso/{instance}/oidc/callback   the redirect URI (code and state)
//	GET  /ui/emergency                      the emergency sign-in form
//	POST /ui/emergency                      use an emergency token
//
// {instance} is the instance's alias or ID; the URLs given to identity providers (entity ID,
// ACS, redirect URI) always carry the ID. A successful sign-in hands the user to a
// SessionStarter (package web's session handling, wired by the node), then answers with a
// page on this origin that moves on to /ui/, so the session cookie (SameSite=Strict) is sent
// on that same-site navigation.
//
// Administrators set the configuration with Admin (the `ringfence admin sso` and
// `ringfence admin emergency-access` commands). docs/sso.md describes both protocols, the
// checks made and what each IdentityManagementType allows (MethodAllowed).
package sso

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// SessionOptions tell the SessionStarter how the person signed in.
type SessionOptions struct {
	// Method is "saml", "oidc" or "emergency" (see Method).
	Method string
	// MFASatisfied marks the session as having passed multi-factor authentication already
	// (set for emergency access, whose token minted on the host is the strong factor). False
	// for SSO: the pages then ask for Ringfence's own second factor when the user's profiles
	// require one.
	MFASatisfied bool
	// MaxAge caps the session's absolute lifetime; zero means the authentication profile's.
	// Emergency sessions last at most EmergencySessionMaxAge.
	MaxAge time.Duration
}

// SessionStarter starts a signed-in web session for u: it creates the server-side session and
// sets the session cookie on w. It writes no status or body; the Handler answers afterwards.
// It returns an error (and sets no cookie) when no session could be made.
type SessionStarter interface {
	StartSession(w http.ResponseWriter, r *http.Request, u identity.User, opts SessionOptions) error
}

// SessionStarterFunc adapts a function to SessionStarter.
type SessionStarterFunc func(w http.ResponseWriter, r *http.Request, u identity.User, opts SessionOptions) error

// StartSession implements SessionStarter.
func (f SessionStarterFunc) StartSession(w http.ResponseWriter, r *http.Request, u identity.User, opts SessionOptions) error {
	return f(w, r, u, opts)
}

// Sealer seals the sign-in state cookies; *keyring.Envelope implements it.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, aad keyring.AAD) ([]byte, error)
	Open(ctx context.Context, ciphertext []byte, aad keyring.AAD) (secret.Value[[]byte], error)
}

// AuthProfileSource checks a client address against an instance's authentication profiles
// before the user is known (store.Identity implements it).
type AuthProfileSource interface {
	// CheckSignInNetwork refuses (AccessDeniedException, identity.NetworkDeniedMessage) an
	// address that no authentication profile in force on the instance admits: the default
	// and every profile a user is assigned to. The user's own profile is checked when the
	// session starts (SessionStarter).
	CheckSignInNetwork(ctx context.Context, instanceID string, ip netip.Addr) error
}

// Config configures a Handler. Fields marked required make New fail when missing.
type Config struct {
	// Store holds the configuration, links, replay cache, tokens and users, and makes the
	// audit events durable. Required.
	Store store.Store
	// Sessions starts the web session after a successful sign-in. Required.
	Sessions SessionStarter
	// Secrets seals the SAML and OIDC sign-in state cookies (*keyring.Envelope). Required.
	Secrets Sealer
	// PublicOrigin is the origin people and identity providers use, "https://host[:port]";
	// the entity ID, ACS URL and redirect URI are built from it. Required.
	PublicOrigin string
	// AuthProfiles, when set, applies each instance's network rules to every sign-in.
	AuthProfiles AuthProfileSource
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed (see
	// identity.ClientIP).
	TrustedProxies []netip.Prefix
	// HTTPClient talks to OpenID providers (discovery, JWKS, token endpoint). Default: a
	// client with a 10-second timeout.
	HTTPClient *http.Client
	// EmergencyLimiter limits emergency sign-in attempts per client address; nil means 10
	// per minute with bursts of 10.
	EmergencyLimiter *identity.IPRateLimiter
	// AuditHasher, if set, puts a keyed hash of the username into failed sign-in events.
	AuditHasher *keyring.Hasher
	// HSTS sends Strict-Transport-Security even when the request did not arrive over TLS
	// here (TLS ends at a proxy).
	HSTS bool
	// Now is the clock (default time.Now); Rand the randomness source (default
	// crypto/rand); NewID makes user IDs (default a random UUID).
	Now   func() time.Time
	Rand  io.Reader
	NewID func() string
	// Logger gets internal errors (identifiers only). Default: discard.
	Logger *slog.Logger
}

// Handler serves the SSO and emergency pages. It is safe for concurrent use.
type Handler struct {
	cfg       Config
	origin    string
	mux       *http.ServeMux
	crossSite *http.CrossOriginProtection
	log       *slog.Logger
	pages     map[string]*template.Template

	mu        sync.Mutex
	providers map[string]cachedProvider // OIDC providers by issuer
}

// New checks cfg and builds a Handler.
func New(cfg Config) (*Handler, error) {
	var missing []string
	for name, v := range map[string]any{"Store": cfg.Store, "Sessions": cfg.Sessions, "Secrets": cfg.Secrets} {
		if v == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("sso: config is missing %s", strings.Join(missing, ", "))
	}
	origin, err := url.Parse(cfg.PublicOrigin)
	if err != nil || (origin.Scheme != "https" && origin.Scheme != "http") || origin.Host == "" || (origin.Path != "" && origin.Path != "/") ||
		origin.RawQuery != "" || origin.User != nil {
		return nil, fmt.Errorf("sso: PublicOrigin must be an origin such as https://cc.example.com:8443, not %q", cfg.PublicOrigin)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.EmergencyLimiter == nil {
		cfg.EmergencyLimiter = identity.NewIPRateLimiter(10, 10, cfg.Now)
	}
	set, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg: cfg, origin: origin.Scheme + "://" + origin.Host, log: cfg.Logger, pages: set,
		crossSite: http.NewCrossOriginProtection(),
		providers: make(map[string]cachedProvider),
	}
	h.routes()
	return h, nil
}

// Request body limits, in bytes.
const (
	// maxACSBytes bounds the ACS form: a base64 SAMLResponse of a metadata-sized assertion.
	maxACSBytes = 512 << 10
	// maxFormBytes bounds the emergency form.
	maxFormBytes = 16 << 10
)

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /ui/sso/{instance}", h.start)
	m.HandleFunc("GET /ui/sso/{instance}/saml/metadata", h.samlMetadata)
	m.HandleFunc("GET /ui/sso/{instance}/saml/login", h.samlLogin)
	m.HandleFunc("POST /ui/sso/{instance}/saml/acs", h.samlACS)
	m.HandleFunc("GET /ui/sso/{instance}/oidc/login", h.oidcLogin)
	m.HandleFunc("GET /ui/sso/{instance}/oidc/callback", h.oidcCallback)
	m.HandleFunc("GET /ui/emergency", h.emergencyPage)
	m.HandleFunc("POST /ui/emergency", h.emergencySubmit)
	m.HandleFunc("/", h.notFound)
	h.mux = m
}

// ServeHTTP implements http.Handler: security headers, a request ID and a body limit on
// every response, then the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w, r, h.cfg.HSTS)
	reqID := newRequestID(h.cfg.Rand)
	w.Header().Set("X-Request-Id", reqID)
	if r.Body != nil {
		limit := int64(maxFormBytes)
		if strings.HasSuffix(r.URL.Path, "/saml/acs") {
			limit = maxACSBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, reqID))
	h.mux.ServeHTTP(w, r)
}

// instanceRef is the shape of an instance alias or ID in a URL or form.
var instanceRef = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?$`)

// lookupInstance resolves an alias or ID; a malformed or unknown one is
// ResourceNotFoundException.
func (h *Handler) lookupInstance(ctx context.Context, ref string) (instance.Instance, error) {
	if len(ref) > 64 || !instanceRef.MatchString(ref) {
		return instance.Instance{}, apierr.NotFound("instance", "(malformed)")
	}
	var inst instance.Instance
	err := h.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if instance.ValidID(ref) {
			inst, err = tx.GetInstance(ctx, ref)
			if err == nil || !apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return err
			}
		}
		inst, err = tx.GetInstanceByAlias(ctx, ref)
		return err
	})
	return inst, err
}

// checkNetwork refuses a client address that no authentication profile of the instance
// admits (AuthProfileSource).
func (h *Handler) checkNetwork(ctx context.Context, instanceID string, ip netip.Addr) error {
	if h.cfg.AuthProfiles == nil {
		return nil
	}
	return h.cfg.AuthProfiles.CheckSignInNetwork(ctx, instanceID, ip)
}

// beginSignIn is the common start of a request that sends the browser to the instance's
// provider (samlLogin, oidcLogin): the instance of the path, the real client address, an
// instance that allows federation (else the not-federated page), and a network some
// authentication profile in force admits (else a refusal audited as code/op). ok is false
// when the answer is written.
func (h *Handler) beginSignIn(w http.ResponseWriter, r *http.Request, code, op string) (inst instance.Instance, ip netip.Addr, ok bool) {
	ctx := r.Context()
	inst, err := h.lookupInstance(ctx, r.PathValue("instance"))
	if err != nil {
		h.unavailable(w, r, err)
		return inst, ip, false
	}
	if ip, err = identity.ClientIP(r, h.cfg.TrustedProxies); err != nil {
		h.internalError(w, r, "client ip", err)
		return inst, ip, false
	}
	if !FederationAllowed(inst) {
		h.notFederated(w, r)
		return inst, ip, false
	}
	if err := h.checkNetwork(ctx, inst.ID, ip); err != nil {
		ev := h.event(r, ip, code, op)
		ev.InstanceID = inst.ID
		h.recordRefusal(w, r, ev, networkRefusal(err))
		return inst, ip, false
	}
	return inst, ip, true
}

// beginReturn is the common start of the provider's answer (samlACS, oidcCallback): the
// instance of the path, the real client address, and the sign-in's audit event (code/op,
// Details["method"]); an instance that does not allow federation (label names the protocol
// in the reason) or a network no authentication profile in force admits is refused and
// audited. ok is false when the answer is written.
func (h *Handler) beginReturn(w http.ResponseWriter, r *http.Request, code, op string, method Method, label string) (inst instance.Instance, ip netip.Addr, ev *audit.Event, ok bool) {
	ctx := r.Context()
	inst, err := h.lookupInstance(ctx, r.PathValue("instance"))
	if err != nil {
		h.unavailable(w, r, err)
		return inst, ip, nil, false
	}
	if ip, err = identity.ClientIP(r, h.cfg.TrustedProxies); err != nil {
		h.internalError(w, r, "client ip", err)
		return inst, ip, nil, false
	}
	ev = h.event(r, ip, code, op)
	ev.InstanceID = inst.ID
	ev.Details["method"] = string(method)
	if !FederationAllowed(inst) {
		h.recordRefusal(w, r, ev, refuse("identity management type "+string(inst.IdentityManagementType)+" does not allow "+label))
		return inst, ip, ev, false
	}
	if err := h.checkNetwork(ctx, inst.ID, ip); err != nil {
		h.recordRefusal(w, r, ev, networkRefusal(err))
		return inst, ip, ev, false
	}
	return inst, ip, ev, true
}

// spURL returns an absolute URL of this instance's SSO pages: {origin}/ui/sso/{id}/{rest}.
func (h *Handler) spURL(instanceID, rest string) string {
	return h.origin + "/ui/sso/" + instanceID + "/" + rest
}

// start sends the browser to the instance's configured provider: SAML when configured, else
// OpenID Connect.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inst, err := h.lookupInstance(ctx, r.PathValue("instance"))
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if !FederationAllowed(inst) {
		h.notFederated(w, r)
		return
	}
	var hasSAML, hasOIDC bool
	err = h.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetSAMLConfig(ctx, inst.ID)
		hasSAML = err == nil
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return err
		}
		_, err = tx.GetOIDCConfig(ctx, inst.ID)
		hasOIDC = err == nil
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return err
		}
		return nil
	})
	switch {
	case err != nil:
		h.internalError(w, r, "sso start", err)
	case hasSAML:
		http.Redirect(w, r, "/ui/sso/"+inst.ID+"/saml/login", http.StatusSeeOther)
	case hasOIDC:
		http.Redirect(w, r, "/ui/sso/"+inst.ID+"/oidc/login", http.StatusSeeOther)
	default:
		h.notFederated(w, r)
	}
}

// event returns an authentication event of this request with the common fields stamped.
func (h *Handler) event(r *http.Request, ip netip.Addr, code, op string) *audit.Event {
	ev := &audit.Event{
		Time: h.cfg.Now().UTC(), Code: code, Actor: "anonymous", UserAgent: truncate(r.UserAgent(), 256),
		Operation: op, RequestID: requestID(r.Context()), Details: map[string]string{},
	}
	if ip.IsValid() {
		ev.SourceIP = ip.String()
	}
	return ev
}

// userActor names a user in audit events: "user:{instance}/{user}" (as package web does).
func userActor(instanceID, userID string) string { return "user:" + instanceID + "/" + userID }

// refusal is a refused sign-in: Reason goes to the audit event, never to the person.
type refusal struct {
	Reason string
	err    *apierr.Error
}

func (e *refusal) Error() string { return "sign-in refused: " + e.Reason }

// Unwrap returns the coded error the audit event records (AccessDeniedException).
func (e *refusal) Unwrap() error { return e.err }

func refuse(reason string) error {
	return &refusal{Reason: reason, err: apierr.AccessDenied(signInFailedMessage)}
}

// signInFailedMessage is what a person sees when an SSO or emergency sign-in is refused;
// the audit event says why.
const signInFailedMessage = "Sign-in failed. Try again from the start; if it keeps failing, give your administrator the reference below."

// recordRefusal records ev as a refused sign-in with reason and shows the refusal page. A
// failure to record shows the error page instead: nothing was granted either way.
func (h *Handler) recordRefusal(w http.ResponseWriter, r *http.Request, ev *audit.Event, err error) {
	var rf *refusal
	if !errors.As(err, &rf) {
		h.internalError(w, r, "sign-in", err)
		return
	}
	ev.Details["reason"] = rf.Reason
	ev.Stamp(rf.err)
	if recErr := h.cfg.Store.Record(r.Context(), ev); recErr != nil {
		h.internalError(w, r, "audit", recErr)
		return
	}
	h.render(w, r, http.StatusForbidden, "message", page{Title: "Sign-in failed", Heading: "Sign-in failed", Text: signInFailedMessage, ShowReference: true})
}

// truncate cuts s to at most n bytes on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

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
