package sso

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ringfence/ringfence/keyring"
)

// A sign-in through an identity provider leaves this site and comes back. What must be
// checked on return (the SAML request ID and RelayState; the OIDC state, nonce and PKCE
// verifier) travels in a cookie sealed with the keyring, bound to the instance, so every node
// of a cluster can check it and nothing is stored per attempt. The cookie binds the return to
// the browser that started the sign-in: a response or code obtained by someone else cannot be
// planted in another person's browser (login CSRF).

// Cookie names. The __Host- prefix makes the browser refuse the cookie unless it is Secure,
// has Path=/ and no Domain (RFC 6265bis §4.1.3.2).
const (
	// SAMLStateCookie holds the SAML sign-in in progress. SameSite=None: the IdP returns with
	// a cross-site POST (HTTP-POST binding), on which Lax and Strict cookies are not sent.
	SAMLStateCookie = "__Host-rf_saml"
	// OIDCStateCookie holds the OIDC sign-in in progress. SameSite=Lax: the provider returns
	// with a top-level cross-site GET, on which Lax cookies are sent.
	OIDCStateCookie = "__Host-rf_oidc"
)

// flowTTL is how long a sign-in may spend at the identity provider.
const flowTTL = 10 * time.Minute

// flowState is a sign-in in progress.
type flowState struct {
	Instance string `json:"i"`
	// RequestID is the SAML AuthnRequest ID the response must answer (InResponseTo).
	RequestID string `json:"r,omitempty"`
	// State is the OIDC state or the SAML RelayState (256 random bits, base64url).
	State string `json:"s"`
	// Nonce is the OIDC nonce the ID token must carry; Verifier the PKCE code verifier.
	Nonce    string `json:"n,omitempty"`
	Verifier string `json:"v,omitempty"`
	// Expires is in Unix seconds.
	Expires int64 `json:"e"`
}

func stateAAD(instanceID, kind string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "sso_sign_in_state", RowID: kind, Column: "cookie"}
}

// setState seals st into the cookie name.
func (h *Handler) setState(ctx context.Context, w http.ResponseWriter, name, kind string, sameSite http.SameSite, st flowState) error {
	st.Expires = h.cfg.Now().Add(flowTTL).Unix()
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode sign-in state: %w", err)
	}
	sealed, err := h.cfg.Secrets.Seal(ctx, b, stateAAD(st.Instance, kind))
	if err != nil {
		return fmt.Errorf("seal sign-in state: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/", MaxAge: int(flowTTL / time.Second),
		Secure: true, HttpOnly: true, SameSite: sameSite,
	})
	return nil
}

// readState opens the cookie name for the instance. A missing, altered, foreign or expired
// cookie is a refusal.
func (h *Handler) readState(ctx context.Context, r *http.Request, name, kind, instanceID string) (flowState, error) {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) > 4096 {
		return flowState{}, refuse("no sign-in in progress in this browser (state cookie missing)")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return flowState{}, refuse("state cookie malformed")
	}
	plain, err := h.cfg.Secrets.Open(ctx, sealed, stateAAD(instanceID, kind))
	if err != nil {
		return flowState{}, refuse("state cookie does not open for this instance")
	}
	var st flowState
	if err := json.Unmarshal(plain.Reveal(), &st); err != nil || st.Instance != instanceID || st.State == "" {
		return flowState{}, refuse("state cookie malformed")
	}
	if !h.cfg.Now().Before(time.Unix(st.Expires, 0)) {
		return flowState{}, refuse("sign-in took too long (state expired)")
	}
	return st, nil
}

// clearState deletes the cookie name.
func clearState(w http.ResponseWriter, name string, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: sameSite})
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(rnd io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenEqual compares two tokens in constant time; empty never matches.
func tokenEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
