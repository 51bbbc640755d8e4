package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

// sessionLevel is how far a session must be signed in for a page.
type sessionLevel int

const (
	// mfaPendingOK pages (the second-factor and enrolment pages, sign-out) accept a session
	// that passed the password but still owes its second factor.
	mfaPendingOK sessionLevel = iota
	// mfaDone pages need the second factor passed when the user's profiles require it.
	mfaDone
)

// reqSession is the signed-in state of one request.
type reqSession struct {
	token secret.Value[string]
	sess  identity.Session
	user  identity.User
	ip    netip.Addr
	// csrf is the session's synchronizer token for forms and fetches.
	csrf string
}

// actor names a signed-in user in audit events: "user:{instance}/{user}".
func (s *reqSession) actor() string { return userActor(s.user.InstanceID, s.user.ID) }

func userActor(instanceID, userID string) string { return "user:" + instanceID + "/" + userID }

// pendingMFA reports whether the session still owes its second factor.
func (s *reqSession) pendingMFA() bool { return s.sess.MFARequired && !s.sess.MFASatisfied }

// Refusals of checkSession. They are compared by identity; callers outside the package get
// fresh errors with the same code and message.
var (
	errSessionEnded  = apierr.AccessDenied(identity.SessionEndedMessage)
	errNetworkDenied = apierr.AccessDenied(identity.NetworkDeniedMessage)
)

// checkSession resolves the session of r: the session cookie's server-side session within
// its idle and absolute timeouts (touch moves LastSeen: the request is activity), the user
// (still there, not disabled; otherwise the session is ended) and the authentication
// profile's network rules on the real client address (otherwise the session is ended, the
// refusal audited, and errNetworkDenied returned). errSessionEnded means signed out; any
// other error is internal.
func (h *Handler) checkSession(r *http.Request, touch bool) (*reqSession, error) {
	ctx := r.Context()
	ip, err := identity.ClientIP(r, h.cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	var token secret.Value[string]
	if c, err := r.Cookie(SessionCookie); err == nil {
		token = secret.New(c.Value)
	}
	check := h.sessions.Check
	if !touch {
		check = h.sessions.Peek
	}
	sess, err := check(ctx, token)
	if apierr.HasCode(err, apierr.CodeAccessDenied) {
		return nil, errSessionEnded
	}
	if err != nil {
		return nil, err
	}
	user, err := h.cfg.Users.GetUser(ctx, sess.InstanceID, sess.UserID)
	if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return nil, fmt.Errorf("get user: %w", err)
	}
	if err != nil || user.Disabled {
		if err := h.sessions.End(ctx, token); err != nil {
			return nil, err
		}
		return nil, errSessionEnded
	}
	ap, err := h.cfg.AuthProfiles.AuthenticationProfileFor(ctx, sess.InstanceID, sess.UserID)
	if err != nil {
		return nil, fmt.Errorf("authentication profile: %w", err)
	}
	rs := &reqSession{token: token, sess: sess, user: user, ip: ip, csrf: sessionCSRFToken(token)}
	if err := identity.CheckIP(ap, ip); err != nil {
		// The session is used from a network the profile does not allow: end it.
		ev := h.event(r, ip, "web.network_denied", "UseSession")
		ev.Actor, ev.InstanceID = rs.actor(), sess.InstanceID
		ev.Stamp(err)
		recErr := h.cfg.Audit.Record(ctx, ev)
		if err := h.sessions.End(ctx, token); err != nil {
			return nil, err
		}
		if recErr != nil {
			return nil, fmt.Errorf("audit: %w", recErr)
		}
		return nil, errNetworkDenied
	}
	return rs, nil
}

// withSession checks the session (checkSession) and, for unsafe methods, the request's
// origin and CSRF token; then calls fn. Pages at level mfaDone also need the second factor
// when it is required.
func (h *Handler) withSession(level sessionLevel, fn func(http.ResponseWriter, *http.Request, *reqSession)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		rs, err := h.checkSession(r, true)
		switch {
		case errors.Is(err, errSessionEnded):
			h.signedOut(w, r)
			return
		case errors.Is(err, errNetworkDenied):
			http.SetCookie(w, sessionCookie(secret.Value[string]{}))
			h.networkDenied(w, r)
			return
		case err != nil:
			h.internalError(w, r, "check session", err)
			return
		}
		if !safeMethod(r.Method) {
			if err := h.crossSite.Check(r); err != nil {
				h.crossSiteDenied(w, r)
				return
			}
			if !tokenEqual(submittedCSRF(r), rs.csrf) {
				h.recordRefusal(r, "web.csrf_refused", "missing or wrong CSRF token")
				h.forbidden(w, r)
				return
			}
		}
		if level == mfaDone && rs.pendingMFA() {
			if !safeMethod(r.Method) {
				h.forbidden(w, r)
				return
			}
			loc, err := h.mfaLocation(ctx, rs.user)
			if err != nil {
				h.internalError(w, r, "mfa location", err)
				return
			}
			http.Redirect(w, r, loc, http.StatusSeeOther)
			return
		}
		fn(w, r, rs)
	})
}

// MFAPendingMessage refuses a session that still owes its second factor.
const MFAPendingMessage = "Finish signing in: verify it's you with your second factor first."

// SessionUser resolves the signed-in person of a request from its session cookie, applying
// what every page applies: the server-side session within its idle and absolute timeouts,
// the user still there and enabled, the instance authentication profile's network rules on
// the real client address, the second factor when the user's profiles require one, and for
// unsafe methods the request's origin (http.CrossOriginProtection) and the session's CSRF
// token in the X-CSRF-Token header (the csrf-token meta element of every signed-in page
// carries it). The request counts as activity (the idle timeout restarts). For other
// handlers on the node (the agent API).
//
// Refusals are *apierr.Error with AccessDeniedException: identity.SessionEndedMessage (no,
// ended or expired session; disabled or deleted user), identity.NetworkDeniedMessage (the
// session is ended and the refusal audited), MFAPendingMessage, or csrfMessage. Other
// refusals are not audited here: the caller audits its request. Any other error is
// internal.
func (h *Handler) SessionUser(r *http.Request) (identity.Session, identity.User, error) {
	return h.sessionUser(r, true)
}

// RecheckSession is SessionUser for a long-lived connection re-checking the request that
// opened it (an events WebSocket): the same checks, but it is not activity, so the session's
// idle timeout keeps running and ends the connection's sign-in in time.
func (h *Handler) RecheckSession(r *http.Request) (identity.Session, identity.User, error) {
	return h.sessionUser(r, false)
}

func (h *Handler) sessionUser(r *http.Request, touch bool) (identity.Session, identity.User, error) {
	rs, err := h.checkSession(r, touch)
	switch {
	case errors.Is(err, errSessionEnded):
		return identity.Session{}, identity.User{}, apierr.AccessDenied(identity.SessionEndedMessage)
	case errors.Is(err, errNetworkDenied):
		return identity.Session{}, identity.User{}, apierr.AccessDenied(identity.NetworkDeniedMessage)
	case err != nil:
		return identity.Session{}, identity.User{}, fmt.Errorf("session user: %w", err)
	}
	if !safeMethod(r.Method) {
		if err := h.crossSite.Check(r); err != nil {
			return identity.Session{}, identity.User{}, apierr.AccessDenied(csrfMessage)
		}
		if !tokenEqual(r.Header.Get(csrfHeader), rs.csrf) {
			return identity.Session{}, identity.User{}, apierr.AccessDenied(csrfMessage)
		}
	}
	if rs.pendingMFA() {
		return identity.Session{}, identity.User{}, apierr.AccessDenied(MFAPendingMessage)
	}
	return rs.sess, rs.user, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// signedOut clears the session cookie and sends the browser to sign in (GET) or says the
// session ended (other methods).
func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, sessionCookie(secret.Value[string]{}))
	if safeMethod(r.Method) {
		http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusUnauthorized, "message", view{Title: "Signed out", Data: messageData{
		Heading: "Signed out", Text: identity.SessionEndedMessage, Link: "/ui/login", LinkText: "Sign in",
	}})
}

// mfaLocation is where a session that owes its second factor goes: the challenge when the
// user has one, else enrolment.
func (h *Handler) mfaLocation(ctx context.Context, u identity.User) (string, error) {
	has, err := h.hasSecondFactor(ctx, u)
	if err != nil {
		return "", err
	}
	if has {
		return "/ui/mfa", nil
	}
	return "/ui/mfa/enrol", nil
}

// hasSecondFactor reports whether the user has a confirmed TOTP secret or a passkey.
func (h *Handler) hasSecondFactor(ctx context.Context, u identity.User) (bool, error) {
	totp, err := h.confirmedTOTP(ctx, u)
	if err != nil {
		return false, err
	}
	if totp {
		return true, nil
	}
	pks, err := h.cfg.Passkeys.ListPasskeys(ctx, u.InstanceID, u.ID)
	if err != nil {
		return false, fmt.Errorf("list passkeys: %w", err)
	}
	return len(pks) > 0, nil
}

func (h *Handler) confirmedTOTP(ctx context.Context, u identity.User) (bool, error) {
	s, err := h.cfg.MFA.GetTOTPSecret(ctx, u.InstanceID, u.ID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get totp secret: %w", err)
	}
	return s.Confirmed, nil
}

// event returns an audit event with the common fields stamped: time, source IP (the real
// client address), user agent (at most 256 bytes), operation, request ID; Actor is
// "anonymous" until the caller sets it.
func (h *Handler) event(r *http.Request, ip netip.Addr, code, op string) *audit.Event {
	ev := &audit.Event{
		Time: h.cfg.Now().UTC(), Code: code, Actor: "anonymous", UserAgent: truncate(r.UserAgent(), 256),
		Operation: op, RequestID: requestID(r.Context()),
	}
	if ip.IsValid() {
		ev.SourceIP = ip.String()
	}
	return ev
}

// recordRefusal records a refused request (CSRF, cross-origin). A failure to record is
// logged: the request is refused either way.
func (h *Handler) recordRefusal(r *http.Request, code, reason string) {
	ip, _ := identity.ClientIP(r, h.cfg.TrustedProxies)
	ev := h.event(r, ip, code, r.Method+" "+r.URL.Path)
	ev.Details = map[string]string{"reason": reason}
	ev.Stamp(apierr.AccessDenied(csrfMessage))
	if err := h.cfg.Audit.Record(r.Context(), ev); err != nil {
		h.log.Error("web: record refusal", "request_id", requestID(r.Context()), "error", err.Error())
	}
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

// ErrSignedOut is returned by CSRFToken when the request has no usable session: none, ended,
// expired, from a network the authentication profile refuses, or with its second factor
// still pending.
var ErrSignedOut = errors.New("web: signed out")

// CSRFToken returns the CSRF token of the request's signed-in session: the value SessionUser
// expects in X-CSRF-Token on unsafe methods (and the pages' forms in their csrf field). It
// applies SessionUser's checks (the request counts as activity) and returns ErrSignedOut
// when they refuse; any other error is internal. For pages served by other handlers on the
// node (the agent workspace), which render it into their csrf-token meta element.
func (h *Handler) CSRFToken(r *http.Request) (string, error) {
	rs, err := h.checkSession(r, true)
	switch {
	case errors.Is(err, errSessionEnded), errors.Is(err, errNetworkDenied):
		return "", ErrSignedOut
	case err != nil:
		return "", fmt.Errorf("csrf token: %w", err)
	case rs.pendingMFA():
		return "", ErrSignedOut
	}
	return rs.csrf, nil
}
