package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

// SessionOptions are the terms of a session another sign-in method starts (StartSession).
type SessionOptions struct {
	// Method names how the person was verified, for the audit event: 1–32 characters of
	// a-z, 0-9 and "_" ("saml", "oidc", "emergency"). Required.
	Method string
	// MFASatisfied is set when the method itself verified a second factor (an identity
	// provider's MFA, a break-glass token): the session then does not ask for one. Otherwise a
	// user whose profiles require MFA passes the second-factor page next, as after a password.
	MFASatisfied bool
	// MaxAge caps the session's absolute lifetime (for example minutes for emergency access);
	// 0 means the authentication profile's. It only ever shortens the profile's lifetime.
	MaxAge time.Duration
}

// methodName is the shape of SessionOptions.Method.
var methodName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// StartSession signs in user u, whom another sign-in method (SAML, OIDC, emergency access)
// has verified, on this browser: exactly as a password sign-in ends, it checks the instance
// authentication profile's network rules on the real client address, that the user still
// exists and is enabled, then replaces any session the browser held with a new one (new ID),
// marks the second factor passed when opts says so, records the audit event "web.login"
// (Details "method", "mfa_required", "mfa_satisfied") and sets the session cookie. When the
// event cannot be recorded the session is ended and the error returned (fail closed).
//
// On success, redirect the browser to "/ui/": a session that still owes its second factor is
// sent on to it from there. Errors: InvalidParameterException for bad opts (not audited),
// AccessDeniedException with identity.NetworkDeniedMessage or identity.SignInFailedMessage
// (disabled or unknown user), audited as failed sign-ins; ServiceUnavailableException when the
// audit sink cannot record; anything else is internal. Nothing is written to w on error.
func (h *Handler) StartSession(w http.ResponseWriter, r *http.Request, u identity.User, opts SessionOptions) error {
	ctx := r.Context()
	if !methodName.MatchString(opts.Method) {
		return apierr.InvalidParameter("SessionOptions.Method must be 1 to 32 characters of a-z, 0-9 and _")
	}
	if opts.MaxAge < 0 {
		return apierr.InvalidParameter("SessionOptions.MaxAge must not be negative")
	}
	ip, err := identity.ClientIP(r, h.cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	ev := h.event(r, ip, "web.login", "Login")
	ev.Actor, ev.InstanceID = userActor(u.InstanceID, u.ID), u.InstanceID
	ev.Details = map[string]string{"method": opts.Method}
	refuse := func(err error, reason string) error {
		ev.Details["reason"] = reason
		ev.Stamp(err)
		if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
			return recErr
		}
		return err
	}
	ap, err := h.cfg.AuthProfiles.AuthenticationProfileFor(ctx, u.InstanceID, u.ID)
	if err != nil {
		return fmt.Errorf("start session: authentication profile: %w", err)
	}
	if err := identity.CheckIP(ap, ip); err != nil {
		return refuse(err, "network denied")
	}
	cur, err := h.cfg.Users.GetUser(ctx, u.InstanceID, u.ID)
	switch {
	case apierr.HasCode(err, apierr.CodeResourceNotFound):
		return refuse(apierr.AccessDenied(identity.SignInFailedMessage), "unknown user")
	case err != nil:
		return fmt.Errorf("start session: get user: %w", err)
	case cur.Disabled:
		return refuse(apierr.AccessDenied(identity.SignInFailedMessage), "disabled")
	}
	profiles, err := h.cfg.Profiles.SecurityProfilesFor(ctx, cur.InstanceID, cur.ID)
	if err != nil {
		return fmt.Errorf("start session: security profiles: %w", err)
	}
	if opts.MaxAge > 0 && (ap.PeriodicReauthentication == 0 || opts.MaxAge < ap.PeriodicReauthentication) {
		// Timeouts takes the shorter of the session duration and this.
		ap.PeriodicReauthentication = opts.MaxAge
	}
	var previous secret.Value[string]
	if c, err := r.Cookie(SessionCookie); err == nil {
		previous = secret.New(c.Value)
	}
	tok, sess, err := h.sessions.Start(ctx, cur, profiles, ap, previous)
	if err != nil {
		return err
	}
	satisfied := false
	if opts.MFASatisfied && sess.MFARequired {
		if _, err := h.sessions.SatisfyMFA(ctx, tok); err != nil {
			_ = h.sessions.End(ctx, tok)
			return err
		}
		satisfied = true
	}
	ev.Details["mfa_required"] = strconv.FormatBool(sess.MFARequired)
	ev.Details["mfa_satisfied"] = strconv.FormatBool(satisfied)
	ev.Stamp(nil)
	if err := h.cfg.Audit.Record(ctx, ev); err != nil {
		// Fail closed: no session without its audit event.
		_ = h.sessions.End(ctx, tok)
		return err
	}
	http.SetCookie(w, sessionCookie(tok))
	http.SetCookie(w, &http.Cookie{Name: LoginCookie, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return nil
}
