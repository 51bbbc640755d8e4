package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// OpenID Connect Core 1.0, authorization code flow (§3.1) with PKCE S256 (RFC 7636), as a
// confidential client (client_secret_basic or _post, whichever the provider takes). The
// sealed state cookie carries state, nonce and the PKCE verifier. On return the ID token is
// checked as §3.1.3.7 asks: signature against the provider's JWKS with the algorithms its
// discovery document lists ("none" never), iss equal to the configured issuer, aud containing
// the client ID (and azp equal to it when aud has several), exp in the future; and the nonce
// equal to the one this browser sent (go-oidc leaves that to the caller).

// providerTTL is how long a provider's discovery document is reused; its JWKS is refetched by
// go-oidc when a token names an unknown key.
const providerTTL = time.Hour

// cachedProvider is a discovered provider and when it was fetched.
type cachedProvider struct {
	p       *oidc.Provider
	fetched time.Time
}

// provider returns the discovered provider of issuer, fetching it at most once an hour.
func (h *Handler) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	now := h.cfg.Now()
	h.mu.Lock()
	cp, ok := h.providers[issuer]
	h.mu.Unlock()
	if ok && now.Sub(cp.fetched) < providerTTL {
		return cp.p, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, h.cfg.HTTPClient), issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery of %s: %w", issuer, err)
	}
	for _, e := range []string{p.Endpoint().AuthURL, p.Endpoint().TokenURL} {
		if u, err := url.Parse(e); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("oidc discovery of %s: endpoint %q is not https", issuer, e)
		}
	}
	h.mu.Lock()
	h.providers[issuer] = cachedProvider{p: p, fetched: now}
	h.mu.Unlock()
	return p, nil
}

// oauthConfig is the OAuth 2.0 client of the instance at provider p.
func (h *Handler) oauthConfig(inst instance.Instance, c identity.OIDCConfig, p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret.Reveal(), Endpoint: p.Endpoint(),
		RedirectURL: h.spURL(inst.ID, "oidc/callback"), Scopes: c.Scopes,
	}
}

// oidcConfig loads the instance's OIDC configuration (ResourceNotFoundException when none).
func (h *Handler) oidcConfig(ctx context.Context, instanceID string) (identity.OIDCConfig, error) {
	var c identity.OIDCConfig
	err := h.cfg.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = tx.GetOIDCConfig(ctx, instanceID)
		return err
	})
	return c, err
}

// oidcLogin sends the browser to the provider's authorization endpoint with state, nonce and
// a PKCE challenge, keeping them in the sealed state cookie.
func (h *Handler) oidcLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inst, _, ok := h.beginSignIn(w, r, "sso.oidc_login", "OIDCLogin")
	if !ok {
		return
	}
	c, err := h.oidcConfig(ctx, inst.ID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.notFederated(w, r)
		return
	}
	if err != nil {
		h.internalError(w, r, "oidc config", err)
		return
	}
	p, err := h.provider(ctx, c.Issuer)
	if err != nil {
		h.internalError(w, r, "oidc provider", err)
		return
	}
	var st flowState
	for _, v := range []*string{&st.State, &st.Nonce, &st.Verifier} {
		if *v, err = randomToken(h.cfg.Rand, 32); err != nil {
			h.internalError(w, r, "oidc state", err)
			return
		}
	}
	st.Instance = inst.ID
	if err := h.setState(ctx, w, OIDCStateCookie, "oidc", http.SameSiteLaxMode, st); err != nil {
		h.internalError(w, r, "oidc state", err)
		return
	}
	target := h.oauthConfig(inst, c, p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// oidcCallback is the redirect URI: it checks the state against this browser's cookie,
// redeems the code (with the PKCE verifier and the client secret), verifies the ID token and
// its nonce, and signs the person in.
func (h *Handler) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inst, ip, ev, ok := h.beginReturn(w, r, "sso.oidc_login", "OIDCLogin", MethodOIDC, "OIDC")
	if !ok {
		return
	}
	c, err := h.oidcConfig(ctx, inst.ID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.recordRefusal(w, r, ev, refuse("OIDC not configured"))
		return
	}
	if err != nil {
		h.internalError(w, r, "oidc config", err)
		return
	}
	st, err := h.readState(ctx, r, OIDCStateCookie, "oidc", inst.ID)
	if err != nil {
		h.recordRefusal(w, r, ev, err)
		return
	}
	q := r.URL.Query()
	if !tokenEqual(q.Get("state"), st.State) {
		h.recordRefusal(w, r, ev, refuse("state does not match this browser's sign-in"))
		return
	}
	// The state is spent: a second callback with it finds no cookie.
	clearState(w, OIDCStateCookie, http.SameSiteLaxMode)
	if e := q.Get("error"); e != "" {
		h.recordRefusal(w, r, ev, refuse("provider returned error "+errorCode(e)))
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		h.recordRefusal(w, r, ev, refuse("code missing or too long"))
		return
	}
	p, err := h.provider(ctx, c.Issuer)
	if err != nil {
		h.internalError(w, r, "oidc provider", err)
		return
	}
	pr, err := h.redeem(ctx, inst, c, p, code, st)
	if err != nil {
		h.recordRefusal(w, r, ev, err)
		return
	}
	h.signIn(w, r, ip, ev, inst, pr)
}

// redeem exchanges the code and turns the verified ID token into a principal.
func (h *Handler) redeem(ctx context.Context, inst instance.Instance, c identity.OIDCConfig, p *oidc.Provider, code string, st flowState) (principal, error) {
	xctx := context.WithValue(ctx, oauth2.HTTPClient, h.cfg.HTTPClient)
	tok, err := h.oauthConfig(inst, c, p).Exchange(xctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return principal{}, refuse("token endpoint refused the code: " + errorCode(re.ErrorCode))
		}
		return principal{}, refuse("token exchange failed")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return principal{}, refuse("token response has no id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.ClientID, Now: h.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return principal{}, refuse("ID token rejected: " + truncate(err.Error(), 300))
	}
	if !tokenEqual(idt.Nonce, st.Nonce) {
		return principal{}, refuse("ID token nonce does not match this browser's sign-in")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return principal{}, refuse("ID token claims malformed")
	}
	if len(idt.Audience) > 1 {
		if azp, _ := claims["azp"].(string); azp != c.ClientID {
			return principal{}, refuse("ID token has several audiences and azp is not this client")
		}
	}
	pr := principal{
		Method: MethodOIDC, Provider: "oidc:" + c.Issuer, Subject: idt.Subject, JIT: c.JIT,
		Username:  stringClaim(claims, c.UsernameClaim),
		FirstName: stringClaim(claims, c.FirstNameClaim), LastName: stringClaim(claims, c.LastNameClaim),
	}
	if pr.Username == "" {
		return pr, refuse("ID token has no " + truncate(c.UsernameClaim, 100) + " claim")
	}
	return pr, nil
}

// stringClaim returns a string claim, trimmed ("" when absent or not a string).
func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return strings.TrimSpace(s)
}

// errorCode keeps an OAuth error code fit for an audit event: at most 64 characters of
// RFC 6749's error alphabet (printable ASCII without " and \).
func errorCode(e string) string {
	e = truncate(e, 64)
	if strings.ContainsFunc(e, func(r rune) bool { return r < 0x20 || r > 0x7e || r == '"' || r == '\\' }) {
		return "(malformed)"
	}
	return e
}
