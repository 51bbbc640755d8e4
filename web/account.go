package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

// notices and errors are fixed texts chosen by a query parameter after a redirect, so no
// request can put its own text on a page.
var (
	notices = map[string]string{
		"password-changed": "Your password was changed. Every other session was signed out.",
		"passkey-added":    "The passkey was added.",
		"passkey-removed":  "The passkey was removed.",
		// Admin pages.
		"user-created":                 "The user was created.",
		"user-updated":                 "The user was updated.",
		"user-disabled":                "The user was disabled and signed out everywhere.",
		"user-enabled":                 "The user was enabled.",
		"password-reset":               "The password was set and the user signed out everywhere.",
		"user-deleted":                 "The user was deleted.",
		"profile-created":              "The security profile was created.",
		"profile-updated":              "The security profile was updated.",
		"profile-deleted":              "The security profile was deleted.",
		"authprofile-updated":          "The authentication profile was updated.",
		"authprofile-created":          "The authentication profile was created. Set its rules, then assign users to it.",
		"authprofile-deleted":          "The authentication profile was deleted.",
		"authprofile-users-updated":    "The users of the authentication profile were updated. Their running sessions follow the new network rules at their next request.",
		"agent-status-created":         "The agent status was created.",
		"agent-status-updated":         "The agent status was updated.",
		"hours-created":                "The hours of operation were created.",
		"hours-updated":                "The hours of operation were updated.",
		"queue-created":                "The queue was created.",
		"queue-updated":                "The queue was updated.",
		"queue-disabled":               "The queue was disabled: it takes no new contacts.",
		"queue-enabled":                "The queue was enabled.",
		"queue-quick-connects-updated": "The queue's quick connects were updated.",
		"quick-connect-created":        "The quick connect was created. Add it to the queues whose agents should see it.",
		"quick-connect-updated":        "The quick connect was updated.",
		"quick-connect-deleted":        "The quick connect was deleted.",
		"hours-deleted":                "The hours of operation were deleted.",
		"routing-profile-deleted":      "The routing profile was deleted.",
		"routing-profile-created":      "The routing profile was created.",
		"routing-profile-updated":      "The routing profile was updated.",
	}
	pageErrors = map[string]string{
		"last-factor": "This is your only second factor. Set up an authenticator app or add another passkey first.",
	}
)

func noticeText(r *http.Request) string { return notices[r.URL.Query().Get("notice")] }
func errorText(r *http.Request) string  { return pageErrors[r.URL.Query().Get("error")] }

// homeData is the data of the account page.
type homeData struct {
	Username, Name, Instance string
	// TOTP is set when an authenticator app is set up.
	TOTP bool
	// MFARequired is set when the user's profiles require a second factor.
	MFARequired bool
	Passkeys    int
	// Admin lists the admin sections the user may open (none unless the session passed a
	// second factor).
	Admin []adminLink
}

// home is the account page.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	d := homeData{Username: s.user.Username, Instance: s.user.InstanceID, MFARequired: s.sess.MFARequired}
	if inst, err := h.cfg.Instances.LookupInstance(ctx, s.user.InstanceID); err == nil {
		d.Instance = inst.Alias
	}
	d.Name = waUser{u: s.user}.WebAuthnDisplayName()
	var err error
	if d.TOTP, err = h.confirmedTOTP(ctx, s.user); err != nil {
		h.internalError(w, r, "totp", err)
		return
	}
	pks, err := h.cfg.Passkeys.ListPasskeys(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		h.internalError(w, r, "list passkeys", err)
		return
	}
	d.Passkeys = len(pks)
	if d.Admin, err = h.adminLinksFor(ctx, s); err != nil {
		h.internalError(w, r, "admin links", err)
		return
	}
	h.render(w, r, http.StatusOK, "home", view{Title: "Your account", CSRF: s.csrf, Username: s.user.Username,
		Notice: noticeText(r), Data: d})
}

// passwordPage shows the change-password form.
func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, s *reqSession) {
	h.render(w, r, http.StatusOK, "password", view{Title: "Change password", CSRF: s.csrf, Username: s.user.Username,
		Data: passwordData{Min: identity.MinPasswordLength, Max: identity.MaxPasswordLength}})
}

type passwordData struct{ Min, Max int }

// passwordSubmit changes the password: the current one is checked like a sign-in (lockout,
// rate limit), the new one against the instance's policy; then every session of the user
// ends and this browser gets a new one.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	current := secret.New(r.PostFormValue("current"))
	next := secret.New(r.PostFormValue("new"))
	confirm := r.PostFormValue("confirm")
	again := func(status int, msg string) {
		h.render(w, r, status, "password", view{Title: "Change password", CSRF: s.csrf, Username: s.user.Username, Error: msg,
			Data: passwordData{Min: identity.MinPasswordLength, Max: identity.MaxPasswordLength}})
	}
	ev := h.event(r, s.ip, "web.password_change", "ChangePassword")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	record := func(err error) bool {
		ev.Stamp(err)
		if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
			h.internalError(w, r, "audit", recErr)
			return false
		}
		return true
	}

	if len(current.Reveal()) > maxPasswordBytes {
		current = secret.New("")
	}
	_, err := h.auth.Authenticate(ctx, s.user.InstanceID, s.user.Username, current, s.ip)
	var authErr *identity.AuthError
	if errors.As(err, &authErr) {
		ev.Details = map[string]string{"reason": "current password: " + authErr.Reason}
		if record(err) {
			msg := "The current password is incorrect, or the account is locked. Try again later."
			if ae := apierr.As(err); ae != nil && ae.Code == apierr.CodeThrottling {
				msg = ae.Message
			}
			again(http.StatusUnauthorized, msg)
		}
		return
	}
	if err != nil {
		h.internalError(w, r, "authenticate", err)
		return
	}
	if next.Reveal() != confirm {
		again(http.StatusBadRequest, "The new password and its confirmation differ.")
		return
	}
	if next.Reveal() == current.Reveal() {
		again(http.StatusBadRequest, "Choose a password different from the current one.")
		return
	}
	pol, err := h.cfg.PasswordPolicy(ctx, s.user.InstanceID)
	if err != nil {
		h.internalError(w, r, "password policy", err)
		return
	}
	if err := pol.CheckPassword(next, s.user.Username); err != nil {
		ae := apierr.As(err)
		if ae == nil {
			h.internalError(w, r, "check password", err)
			return
		}
		again(http.StatusBadRequest, ae.Message)
		return
	}
	hasher := identity.NewPasswordHasher()
	if h.cfg.Hasher != nil {
		hasher = *h.cfg.Hasher
	}
	hash, err := hasher.HashPassword(ctx, next)
	if err != nil {
		h.internalError(w, r, "hash password", err)
		return
	}
	if err := h.cfg.Credentials.SetPasswordHash(ctx, s.user.InstanceID, s.user.ID, hash); err != nil {
		h.internalError(w, r, "set password", err)
		return
	}
	// Every session ends (a thief's too); this browser signs in again with a new session.
	n, err := h.sessions.EndAll(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		h.internalError(w, r, "end sessions", err)
		return
	}
	ev.Details = map[string]string{"sessions_ended": strconv.Itoa(n)}
	if !record(nil) {
		return
	}
	if err := h.restartSession(ctx, w, s); err != nil {
		h.internalError(w, r, "restart session", err)
		return
	}
	http.Redirect(w, r, "/ui/?notice=password-changed", http.StatusSeeOther)
}

// restartSession gives this browser a new session for the user, second factor carried over
// (it was passed in the session just ended by the user's own action).
func (h *Handler) restartSession(ctx context.Context, w http.ResponseWriter, s *reqSession) error {
	profiles, err := h.cfg.Profiles.SecurityProfilesFor(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		return fmt.Errorf("security profiles: %w", err)
	}
	ap, err := h.cfg.AuthProfiles.AuthenticationProfileFor(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		return fmt.Errorf("authentication profile: %w", err)
	}
	tok, sess, err := h.sessions.Start(ctx, s.user, profiles, ap, secret.Value[string]{})
	if err != nil {
		return err
	}
	if s.sess.MFASatisfied && sess.MFARequired {
		if _, err := h.sessions.SatisfyMFA(ctx, tok); err != nil {
			return err
		}
	}
	http.SetCookie(w, sessionCookie(tok))
	return nil
}

// sessionRow is one session on the sessions page.
type sessionRow struct {
	Created, LastSeen, Expires time.Time
	Current                    bool
}

type sessionsData struct {
	Sessions []sessionRow
	// Listed is false when the store cannot list sessions (only this one is shown).
	Listed bool
}

// sessionsPage lists the user's sessions, with "sign out everywhere".
func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, s *reqSession) {
	d := sessionsData{}
	if l, ok := h.cfg.Sessions.(SessionLister); ok {
		list, err := l.ListUserSessions(r.Context(), s.user.InstanceID, s.user.ID)
		if err != nil {
			h.internalError(w, r, "list sessions", err)
			return
		}
		d.Listed = true
		now := h.cfg.Now()
		for _, x := range list {
			if !now.Before(x.ExpiresAt()) {
				continue
			}
			d.Sessions = append(d.Sessions, sessionRow{Created: x.Created, LastSeen: x.LastSeen, Expires: x.ExpiresAt(), Current: x.IDHash == s.sess.IDHash})
		}
		slices.SortFunc(d.Sessions, func(a, b sessionRow) int { return b.Created.Compare(a.Created) })
	} else {
		d.Sessions = []sessionRow{{Created: s.sess.Created, LastSeen: s.sess.LastSeen, Expires: s.sess.ExpiresAt(), Current: true}}
	}
	h.render(w, r, http.StatusOK, "sessions", view{Title: "Sessions", CSRF: s.csrf, Username: s.user.Username, Data: d})
}

// endAllSessions signs the user out everywhere, this browser included.
func (h *Handler) endAllSessions(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	ev := h.event(r, s.ip, "web.logout_all", "LogoutEverywhere")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	n, err := h.sessions.EndAll(ctx, s.user.InstanceID, s.user.ID)
	if err == nil {
		ev.Details = map[string]string{"sessions_ended": strconv.Itoa(n)}
	}
	ev.Stamp(err)
	if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil && err == nil {
		err = recErr
	}
	if err != nil {
		h.internalError(w, r, "end all sessions", err)
		return
	}
	http.SetCookie(w, sessionCookie(secret.Value[string]{}))
	http.Redirect(w, r, h.loginURL(r, s.user.InstanceID), http.StatusSeeOther)
}
