package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
)

// Sign-in form limits, in bytes. Longer values fail like a wrong password.
const (
	maxInstanceRef   = 64
	maxUsernameBytes = 4 * identity.MaxUsernameLength
	maxPasswordBytes = 4 * identity.MaxPasswordLength
)

// instanceRef is the shape of an instance alias or ID in a URL or form (see instance.Instance).
var instanceRef = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?$`)

func validInstanceRef(s string) bool { return len(s) <= maxInstanceRef && instanceRef.MatchString(s) }

// loginData is the data of the sign-in page.
type loginData struct {
	// Instance is the alias or ID from the URL or the form; empty shows a field for it.
	Instance string
}

// loginPage shows the sign-in form and sets the form's CSRF cookie (double submit: the same
// random value in the cookie and in the form).
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	inst := r.URL.Query().Get("instance")
	if !validInstanceRef(inst) {
		inst = ""
	}
	tok, err := h.loginToken(w, r)
	if err != nil {
		h.internalError(w, r, "login token", err)
		return
	}
	h.render(w, r, http.StatusOK, "login", view{Title: "Sign in", CSRF: tok, Data: loginData{Instance: inst}})
}

// loginToken returns the sign-in CSRF token from the cookie, or sets a new one.
func (h *Handler) loginToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(LoginCookie); err == nil && len(c.Value) == 43 {
		return c.Value, nil
	}
	tok, err := randomToken(h.cfg.Rand, 32)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: LoginCookie, Value: tok, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return tok, nil
}

// loginSubmit signs a person in. In order: the request's origin and form token; the
// instance; the network rules of the authentication profile in force for the typed username
// on the real client address (the user's own profile when it is assigned to one, else the
// instance's default), before the password is checked: the default profile's refusal shows
// the denial page, a user's own profile's refusal answers like a wrong password (so it does
// not reveal the username), and both are audited; the
// password with lockout and per-address rate limit; then a new session (a session the
// browser already held is ended, so the ID always changes at sign-in) and the redirect to the
// second factor when the user's profiles require one.
//
// Every failed sign-in answers the same status and the same page, byte for byte, whether the
// instance or user is unknown, the password wrong, the account locked or disabled, and each
// of those paths runs one argon2id verification (identity.Authenticator).
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := h.crossSite.Check(r); err != nil {
		h.crossSiteDenied(w, r)
		return
	}
	c, err := r.Cookie(LoginCookie)
	if err != nil || !tokenEqual(r.PostFormValue(csrfFormField), c.Value) {
		h.recordRefusal(r, "web.csrf_refused", "missing or wrong sign-in form token")
		h.forbidden(w, r)
		return
	}
	formToken := c.Value
	ip, err := identity.ClientIP(r, h.cfg.TrustedProxies)
	if err != nil {
		h.internalError(w, r, "client ip", err)
		return
	}
	ref := r.PostFormValue("instance")
	username := r.PostFormValue("username")
	password := secret.New(r.PostFormValue("password"))
	shownRef := ref
	if !validInstanceRef(shownRef) {
		shownRef = ""
	}

	ev := h.event(r, ip, "web.login", "Login")
	ev.Details = map[string]string{"method": "password"}
	if h.cfg.AuditHasher != nil {
		ev.Details["username"] = h.cfg.AuditHasher.SumString(secret.New(identity.NormalizeUsername(username)))
	}
	fail := func(err error, reason string) {
		status := http.StatusUnauthorized
		msg := identity.SignInFailedMessage
		if ae := apierr.As(err); ae != nil && ae.Code == apierr.CodeThrottling {
			status, msg = http.StatusTooManyRequests, ae.Message
		}
		ev.Details["reason"] = reason
		ev.Stamp(err)
		if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
			h.internalError(w, r, "audit", recErr)
			return
		}
		h.render(w, r, status, "login", view{Title: "Sign in", CSRF: formToken, Error: msg, Data: loginData{Instance: shownRef}})
	}

	// An unknown instance is looked up as a user of no instance, so it costs the same
	// argon2id run and answers the same page as a wrong password.
	var inst instance.Instance
	if validInstanceRef(ref) {
		inst, err = h.cfg.Instances.LookupInstance(ctx, ref)
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			h.internalError(w, r, "lookup instance", err)
			return
		}
	}
	ev.InstanceID = inst.ID
	if inst.ID != "" {
		typed := username
		if len(typed) > maxUsernameBytes {
			typed = ""
		}
		ap, perUser, err := h.cfg.AuthProfiles.SignInAuthenticationProfile(ctx, inst.ID, typed)
		if err != nil {
			h.internalError(w, r, "authentication profile", err)
			return
		}
		if err := identity.CheckIP(ap, ip); err != nil {
			if perUser {
				// The user's own profile refuses this network. The answer is the one a wrong
				// password gets (same page, one argon2id run), so that the refusal does not
				// tell a stranger that the username exists; the audit event names the reason.
				const reason = "network denied by the user's authentication profile"
				err := h.auth.Refuse(ctx, password, ip, reason)
				if !errors.As(err, new(*identity.AuthError)) {
					h.internalError(w, r, "refuse sign-in", err)
					return
				}
				fail(err, reason)
				return
			}
			ev.Details["reason"] = "network denied"
			ev.Stamp(err)
			if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
				h.internalError(w, r, "audit", recErr)
				return
			}
			h.networkDenied(w, r)
			return
		}
	}
	if inst.ID != "" && h.cfg.PasswordAllowed != nil && !h.cfg.PasswordAllowed(inst) {
		ev.Details["reason"] = "password sign-in not allowed"
		ev.Stamp(apierr.AccessDenied("password sign-in is not allowed for this instance"))
		if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
			h.internalError(w, r, "audit", recErr)
			return
		}
		h.passwordNotAllowed(w, r, inst)
		return
	}
	if len(username) > maxUsernameBytes || len(password.Reveal()) > maxPasswordBytes {
		fail(apierr.AccessDenied(identity.SignInFailedMessage), "input too long")
		return
	}
	u, err := h.auth.Authenticate(ctx, inst.ID, username, password, ip)
	var authErr *identity.AuthError
	if errors.As(err, &authErr) {
		if inst.ID == "" {
			fail(err, "unknown instance")
			return
		}
		fail(err, authErr.Reason)
		return
	}
	if err != nil {
		h.internalError(w, r, "authenticate", err)
		return
	}

	// The user's profile again, by ID now that the password named the user: an assignment
	// changed since the check above is not missed.
	ap, err := h.cfg.AuthProfiles.AuthenticationProfileFor(ctx, u.InstanceID, u.ID)
	if err != nil {
		h.internalError(w, r, "authentication profile", err)
		return
	}
	if err := identity.CheckIP(ap, ip); err != nil {
		fail(err, "network denied by the user's authentication profile")
		return
	}
	profiles, err := h.cfg.Profiles.SecurityProfilesFor(ctx, u.InstanceID, u.ID)
	if err != nil {
		h.internalError(w, r, "security profiles", err)
		return
	}
	var previous secret.Value[string]
	if c, err := r.Cookie(SessionCookie); err == nil {
		previous = secret.New(c.Value)
	}
	tok, sess, err := h.sessions.Start(ctx, u, profiles, ap, previous)
	if err != nil {
		h.internalError(w, r, "start session", err)
		return
	}
	ev.Actor = userActor(u.InstanceID, u.ID)
	ev.Details["mfa_required"] = strconv.FormatBool(sess.MFARequired)
	ev.Stamp(nil)
	if err := h.cfg.Audit.Record(ctx, ev); err != nil {
		// Fail closed: no session without its audit event.
		_ = h.sessions.End(ctx, tok)
		h.internalError(w, r, "audit", err)
		return
	}
	http.SetCookie(w, sessionCookie(tok))
	http.SetCookie(w, &http.Cookie{Name: LoginCookie, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	next := "/ui/"
	if sess.MFARequired {
		next, err = h.mfaLocation(ctx, u)
		if err != nil {
			h.internalError(w, r, "mfa location", err)
			return
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// passwordNotAllowed answers a password sign-in to an instance whose people sign in through
// an identity provider (SAML or OIDC): the page links to that sign-in.
func (h *Handler) passwordNotAllowed(w http.ResponseWriter, r *http.Request, inst instance.Instance) {
	ref := inst.ID
	if inst.Alias != "" {
		ref = inst.Alias
	}
	h.render(w, r, http.StatusForbidden, "message", view{Title: "Sign in with your organisation", Page: "password-not-allowed", Data: messageData{
		Heading: "Sign in with your organisation",
		Text:    "This instance does not take passwords: its people sign in through the organisation's identity provider.",
		Link:    "/ui/sso/" + url.PathEscape(ref), LinkText: "Continue to your organisation's sign-in",
	}})
}

// networkDenied shows the authentication profile's refusal.
func (h *Handler) networkDenied(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, "message", view{Title: "Access denied", Page: "network-denied", Data: messageData{
		Heading: "Access denied", Text: identity.NetworkDeniedMessage,
	}})
}

// logout ends the session (sign out on this browser).
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ev := h.event(r, s.ip, "web.logout", "Logout")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	err := h.sessions.End(r.Context(), s.token)
	ev.Stamp(err)
	if recErr := h.cfg.Audit.Record(r.Context(), ev); recErr != nil && err == nil {
		err = recErr
	}
	if err != nil {
		h.internalError(w, r, "logout", err)
		return
	}
	http.SetCookie(w, sessionCookie(secret.Value[string]{}))
	http.Redirect(w, r, h.loginURL(r, s.user.InstanceID), http.StatusSeeOther)
}

// loginURL is the sign-in page of the instance (by alias when it can be found).
func (h *Handler) loginURL(r *http.Request, instanceID string) string {
	ref := instanceID
	if inst, err := h.cfg.Instances.LookupInstance(r.Context(), instanceID); err == nil && inst.Alias != "" {
		ref = inst.Alias
	}
	return "/ui/login?instance=" + url.QueryEscape(ref)
}
