package sso

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Emergency (break-glass) access: when the identity provider is down or every administrator is
// locked out, an operator on the server's host mints a one-time token for an administrator of
// the instance (Admin.IssueEmergencyToken, `ringfence admin emergency-token`). The token is
// typed into /ui/emergency once and gives a session of at most EmergencySessionMaxAge. It is
// off until enabled per instance; minting, switching and every use (accepted or not) is an
// audit event with Severity high.

// Emergency access limits.
const (
	// EmergencyTokenTTL is how long a minted token can be used.
	EmergencyTokenTTL = 15 * time.Minute
	// EmergencySessionMaxAge caps the session a token grants.
	EmergencySessionMaxAge = time.Hour
	// EmergencyTokenPrefix starts every token (so secret scanners and people recognise one).
	EmergencyTokenPrefix = "rfe_"
	// maxEmergencyTokenBytes bounds what the form accepts as a token.
	maxEmergencyTokenBytes = 128
)

// EmergencyCookie holds the emergency form's CSRF token (double submit).
const EmergencyCookie = "__Host-rf_emergency"

// emergencyRefusedMessage is shown for every refused emergency sign-in.
const emergencyRefusedMessage = "The emergency token was not accepted. Tokens work once, for 15 minutes, and only where emergency access is enabled."

// emergencyPage shows the form and sets its CSRF cookie.
func (h *Handler) emergencyPage(w http.ResponseWriter, r *http.Request) {
	tok, err := h.emergencyFormToken(w, r)
	if err != nil {
		h.internalError(w, r, "emergency form token", err)
		return
	}
	inst := r.URL.Query().Get("instance")
	if len(inst) > 64 || !instanceRef.MatchString(inst) {
		inst = ""
	}
	h.render(w, r, http.StatusOK, "emergency", page{Title: "Emergency access", CSRF: tok, Instance: inst})
}

// emergencyFormToken returns the form token from the cookie, or sets a new one.
func (h *Handler) emergencyFormToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(EmergencyCookie); err == nil && len(c.Value) == 43 {
		return c.Value, nil
	}
	tok, err := randomToken(h.cfg.Rand, 32)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: EmergencyCookie, Value: tok, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return tok, nil
}

// emergencySubmit uses a token: origin and form token, the per-address rate limit, the
// instance and its network rules, then in one audited transaction: emergency access enabled,
// the token consumed (single use, unexpired, this instance), its user present, enabled and
// holding the Admin security profile. The session is then started with the second factor
// counted as passed (the host-minted token is the strong factor) and at most
// EmergencySessionMaxAge.
func (h *Handler) emergencySubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ip, err := identity.ClientIP(r, h.cfg.TrustedProxies)
	if err != nil {
		h.internalError(w, r, "client ip", err)
		return
	}
	ev := h.event(r, ip, "sso.emergency_login", "EmergencyLogin")
	ev.Severity = audit.SeverityHigh
	ev.Details["method"] = string(MethodEmergency)
	if err := h.crossSite.Check(r); err != nil {
		h.recordEmergencyRefusal(w, r, ev, "cross-origin request", http.StatusForbidden)
		return
	}
	c, err := r.Cookie(EmergencyCookie)
	if err != nil || !tokenEqual(r.PostFormValue("csrf"), c.Value) {
		h.recordEmergencyRefusal(w, r, ev, "missing or wrong form token", http.StatusForbidden)
		return
	}
	if !h.cfg.EmergencyLimiter.Allow(ip) {
		h.recordEmergencyRefusal(w, r, ev, "too many attempts from this address", http.StatusTooManyRequests)
		return
	}
	ref := r.PostFormValue("instance")
	token := secret.New(strings.TrimSpace(r.PostFormValue("token")))
	inst, err := h.lookupInstance(ctx, ref)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.recordEmergencyRefusal(w, r, ev, "unknown instance", http.StatusForbidden)
		return
	}
	if err != nil {
		h.internalError(w, r, "lookup instance", err)
		return
	}
	ev.InstanceID = inst.ID
	if err := h.checkNetwork(ctx, inst.ID, ip); err != nil {
		if apierr.HasCode(err, apierr.CodeAccessDenied) {
			h.recordEmergencyRefusal(w, r, ev, "network denied by the authentication profile", http.StatusForbidden)
			return
		}
		h.internalError(w, r, "network rules", err)
		return
	}
	if t := token.Reveal(); len(t) > maxEmergencyTokenBytes || !strings.HasPrefix(t, EmergencyTokenPrefix) {
		h.recordEmergencyRefusal(w, r, ev, "malformed token", http.StatusForbidden)
		return
	}
	now := h.cfg.Now().UTC()
	var u identity.User
	err = h.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = useEmergencyToken(ctx, tx, inst.ID, identity.HashEmergencyToken(token), now)
		var rf *refusal
		if errors.As(err, &rf) {
			ev.Details["reason"] = rf.Reason
		}
		if err != nil {
			return err
		}
		ev.Actor, ev.Resource = userActor(inst.ID, u.ID), u.ID
		return nil
	})
	var rf *refusal
	if errors.As(err, &rf) {
		h.render(w, r, http.StatusForbidden, "message", page{Title: "Emergency access", Heading: "Emergency access refused", Text: emergencyRefusedMessage, ShowReference: true})
		return
	}
	if err != nil {
		h.internalError(w, r, "emergency sign-in", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: EmergencyCookie, Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	h.startSession(w, r, ip, ev, u, SessionOptions{Method: string(MethodEmergency), MFASatisfied: true, MaxAge: EmergencySessionMaxAge})
}

// useEmergencyToken consumes the token inside tx and returns the administrator it signs in.
func useEmergencyToken(ctx context.Context, tx store.Tx, instanceID, hash string, now time.Time) (identity.User, error) {
	on, err := tx.EmergencyAccessEnabled(ctx, instanceID)
	if err != nil {
		return identity.User{}, err
	}
	if !on {
		return identity.User{}, refuse("emergency access is disabled for the instance")
	}
	tok, err := tx.ConsumeEmergencyToken(ctx, instanceID, hash, now)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return identity.User{}, refuse("unknown, used or expired token")
	}
	if err != nil {
		return identity.User{}, err
	}
	return emergencyUser(ctx, tx, instanceID, tok.UserID)
}

// emergencyUser returns the user an emergency token may sign in as: present, enabled and
// holding the security profile named Admin.
func emergencyUser(ctx context.Context, tx store.Tx, instanceID, userID string) (identity.User, error) {
	u, err := tx.GetUser(ctx, instanceID, userID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return u, refuse("user no longer exists")
	}
	if err != nil {
		return u, err
	}
	if u.Disabled {
		return u, refuse("user disabled")
	}
	ps, err := tx.UserSecurityProfiles(ctx, instanceID, userID)
	if err != nil {
		return u, err
	}
	if !slices.ContainsFunc(ps, func(p identity.SecurityProfile) bool { return p.Name == identity.ProfileAdmin }) {
		return u, refuse("user does not hold the Admin security profile")
	}
	return u, nil
}

// recordEmergencyRefusal records a refusal that happened before the transaction and shows
// the refusal page with status.
func (h *Handler) recordEmergencyRefusal(w http.ResponseWriter, r *http.Request, ev *audit.Event, reason string, status int) {
	ev.Details["reason"] = reason
	ev.Stamp(apierr.AccessDenied(emergencyRefusedMessage))
	if err := h.cfg.Store.Record(r.Context(), ev); err != nil {
		h.internalError(w, r, "audit", err)
		return
	}
	h.render(w, r, status, "message", page{Title: "Emergency access", Heading: "Emergency access refused", Text: emergencyRefusedMessage, ShowReference: true})
}
