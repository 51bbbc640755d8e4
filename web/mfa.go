package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

// mfaData is the data of the second-factor page.
type mfaData struct {
	// TOTP is set when the user has a confirmed authenticator app (codes and recovery codes
	// are then accepted); Passkey when the user has a passkey.
	TOTP, Passkey bool
}

// mfaAttemptKey is the lockout key of a user's second-factor codes in the AttemptStore.
// Usernames cannot hold NUL, so it never meets a sign-in key.
func mfaAttemptKey(instanceID, userID string) string {
	return "mfa\x00" + instanceID + "\x00" + userID
}

// mfaPage asks for the second factor: a TOTP code or recovery code, or a passkey.
func (h *Handler) mfaPage(w http.ResponseWriter, r *http.Request, s *reqSession) {
	if !s.pendingMFA() {
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		return
	}
	d, err := h.mfaChoices(r.Context(), s.user)
	if err != nil {
		h.internalError(w, r, "mfa choices", err)
		return
	}
	if !d.TOTP && !d.Passkey {
		http.Redirect(w, r, "/ui/mfa/enrol", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "mfa", view{Title: "Verify it's you", CSRF: s.csrf, Username: s.user.Username, Data: d})
}

func (h *Handler) mfaChoices(ctx context.Context, u identity.User) (mfaData, error) {
	totp, err := h.confirmedTOTP(ctx, u)
	if err != nil {
		return mfaData{}, err
	}
	pks, err := h.cfg.Passkeys.ListPasskeys(ctx, u.InstanceID, u.ID)
	if err != nil {
		return mfaData{}, fmt.Errorf("list passkeys: %w", err)
	}
	return mfaData{TOTP: totp, Passkey: len(pks) > 0}, nil
}

// mfaSubmit checks a TOTP code (6 digits, ±1 step, each accepted once) or a recovery code
// (used up). Failures count towards a per-user lockout (10 failures lock for 30 minutes)
// and the per-address rate limit, so codes cannot be guessed.
func (h *Handler) mfaSubmit(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	if !s.pendingMFA() {
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	factor := "recovery_code"
	if len(code) == identity.TOTPDigits {
		factor = "totp"
	}
	ev := h.event(r, s.ip, "web.mfa", "VerifyMFA")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	ev.Details = map[string]string{"factor": factor}

	err := h.checkCode(ctx, s, code, factor)
	if err != nil && apierr.As(err) == nil {
		h.internalError(w, r, "verify mfa", err)
		return
	}
	if err != nil {
		ev.Stamp(err)
		if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
			h.internalError(w, r, "audit", recErr)
			return
		}
		d, cerr := h.mfaChoices(ctx, s.user)
		if cerr != nil {
			h.internalError(w, r, "mfa choices", cerr)
			return
		}
		status, msg := http.StatusUnauthorized, identity.MFAFailedMessage
		if apierr.HasCode(err, apierr.CodeThrottling) {
			status, msg = http.StatusTooManyRequests, apierr.As(err).Message
		}
		h.render(w, r, status, "mfa", view{Title: "Verify it's you", CSRF: s.csrf, Username: s.user.Username, Error: msg, Data: d})
		return
	}
	if _, err := h.completeMFA(w, r, s, ev); err != nil {
		h.internalError(w, r, "complete mfa", err)
		return
	}
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// checkCode runs the rate limit, the lockout reservation and the code check. It returns nil,
// an *apierr.Error to show (AccessDenied with identity.MFAFailedMessage, or Throttling), or
// an internal error.
func (h *Handler) checkCode(ctx context.Context, s *reqSession, code, factor string) error {
	if !h.cfg.IPLimiter.Allow(s.ip) {
		return apierr.New(apierr.CodeThrottling, "Too many attempts. Try again later.")
	}
	key := mfaAttemptKey(s.user.InstanceID, s.user.ID)
	ok, _, err := h.cfg.Attempts.ReserveAttempt(ctx, key, h.cfg.Now(), identity.DefaultMaxFailures, identity.DefaultLockout)
	if err != nil {
		return fmt.Errorf("reserve mfa attempt: %w", err)
	}
	if !ok || code == "" || len(code) > 64 {
		return apierr.AccessDenied(identity.MFAFailedMessage)
	}
	switch factor {
	case "totp":
		sec, err := h.cfg.MFA.GetTOTPSecret(ctx, s.user.InstanceID, s.user.ID)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) || (err == nil && !sec.Confirmed) {
			return apierr.AccessDenied(identity.MFAFailedMessage)
		}
		if err != nil {
			return fmt.Errorf("get totp secret: %w", err)
		}
		plain, err := h.cfg.Secrets.OpenString(ctx, sec.Ciphertext, TOTPSecretAAD(s.user.InstanceID, s.user.ID))
		if err != nil {
			return fmt.Errorf("open totp secret: %w", err)
		}
		if err := h.totp.Verify(ctx, s.user.InstanceID, s.user.ID, plain, code); err != nil {
			return err
		}
	default:
		if err := identity.UseRecoveryCode(ctx, h.cfg.MFA, s.user.InstanceID, s.user.ID, secret.New(code)); err != nil {
			return err
		}
	}
	if err := h.cfg.Attempts.ClearAttempts(ctx, key); err != nil {
		return fmt.Errorf("clear mfa attempts: %w", err)
	}
	return nil
}

// completeMFA marks the second factor passed. The session is replaced by a new one (a new ID
// at the change of privilege) that is marked MFA-satisfied on the server; ev is stamped and
// recorded, and when it cannot be the new session is ended (fail closed). It sets the new
// cookie and returns the new token.
func (h *Handler) completeMFA(w http.ResponseWriter, r *http.Request, s *reqSession, ev *audit.Event) (secret.Value[string], error) {
	ctx := r.Context()
	profiles, err := h.cfg.Profiles.SecurityProfilesFor(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		return secret.Value[string]{}, fmt.Errorf("security profiles: %w", err)
	}
	ap, err := h.cfg.AuthProfiles.AuthenticationProfileFor(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		return secret.Value[string]{}, fmt.Errorf("authentication profile: %w", err)
	}
	tok, _, err := h.sessions.Start(ctx, s.user, profiles, ap, s.token)
	if err != nil {
		return secret.Value[string]{}, err
	}
	if _, err := h.sessions.SatisfyMFA(ctx, tok); err != nil {
		_ = h.sessions.End(ctx, tok)
		return secret.Value[string]{}, err
	}
	ev.Stamp(nil)
	if err := h.cfg.Audit.Record(ctx, ev); err != nil {
		_ = h.sessions.End(ctx, tok)
		return secret.Value[string]{}, err
	}
	http.SetCookie(w, sessionCookie(tok))
	return tok, nil
}
