package web

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"image/png"
	"net/http"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

// enrolData is the data of the authenticator-app enrolment page. Secret and URI are the key
// in clear: shown to the signed-in user only, on a no-store page.
type enrolData struct {
	Secret string
	URI    string
}

// recoveryData is the data of the page that shows new recovery codes, once.
type recoveryData struct {
	Codes []string
}

// mayEnrol reports whether the session may set up an authenticator app: a session that still
// owes its second factor only while the user has none (first sign-in), so a stolen password
// cannot add a factor; a fully signed-in session while the user has no confirmed app.
func (h *Handler) mayEnrol(ctx context.Context, s *reqSession) (bool, error) {
	if s.pendingMFA() {
		has, err := h.hasSecondFactor(ctx, s.user)
		return !has, err
	}
	confirmed, err := h.confirmedTOTP(ctx, s.user)
	return !confirmed, err
}

// enrolPage shows a new TOTP key as text, as an otpauth:// URI and as a QR code; the key is
// stored sealed and unconfirmed until the user proves it with a code.
func (h *Handler) enrolPage(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	ok, err := h.mayEnrol(ctx, s)
	if err != nil {
		h.internalError(w, r, "may enrol", err)
		return
	}
	if !ok {
		http.Redirect(w, r, "/ui/mfa", http.StatusSeeOther)
		return
	}
	sec, err := h.pendingTOTP(ctx, s, false)
	if err != nil {
		h.internalError(w, r, "pending totp", err)
		return
	}
	uri, err := h.totpURI(ctx, s, sec)
	if err != nil {
		h.internalError(w, r, "totp uri", err)
		return
	}
	h.render(w, r, http.StatusOK, "enrol", view{Title: "Set up your authenticator app", CSRF: s.csrf, Username: s.user.Username,
		Data: enrolData{Secret: sec.Reveal(), URI: uri.Reveal()}})
}

// pendingTOTP returns the user's unconfirmed TOTP secret, creating (or, with fresh, replacing)
// it when needed.
func (h *Handler) pendingTOTP(ctx context.Context, s *reqSession, fresh bool) (secret.Value[string], error) {
	aad := TOTPSecretAAD(s.user.InstanceID, s.user.ID)
	stored, err := h.cfg.MFA.GetTOTPSecret(ctx, s.user.InstanceID, s.user.ID)
	switch {
	case err == nil && stored.Confirmed:
		return secret.Value[string]{}, apierr.AccessDenied("an authenticator app is already set up")
	case err == nil && !fresh:
		return h.cfg.Secrets.OpenString(ctx, stored.Ciphertext, aad)
	case err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound):
		return secret.Value[string]{}, fmt.Errorf("get totp secret: %w", err)
	}
	e, err := identity.NewTOTPEnrollment("Ringfence", "user", h.cfg.Rand)
	if err != nil {
		return secret.Value[string]{}, err
	}
	ct, err := h.cfg.Secrets.SealString(ctx, e.Secret, aad)
	if err != nil {
		return secret.Value[string]{}, fmt.Errorf("seal totp secret: %w", err)
	}
	if err := h.cfg.MFA.PutTOTPSecret(ctx, s.user.InstanceID, s.user.ID, TOTPSecret{Ciphertext: ct, CreatedTime: h.cfg.Now().UTC()}); err != nil {
		return secret.Value[string]{}, fmt.Errorf("put totp secret: %w", err)
	}
	return e.Secret, nil
}

// totpURI builds the otpauth:// key URI (Google Authenticator "Key Uri Format", what
// pquerna/otp writes) for the user: issuer "Ringfence (alias)", account the username.
func (h *Handler) totpURI(ctx context.Context, s *reqSession, sec secret.Value[string]) (secret.Value[string], error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(sec.Reveal()))
	if err != nil {
		return secret.Value[string]{}, fmt.Errorf("decode totp secret: %w", err)
	}
	issuer := h.cfg.Issuer
	if inst, err := h.cfg.Instances.LookupInstance(ctx, s.user.InstanceID); err == nil && inst.Alias != "" {
		issuer += " (" + inst.Alias + ")"
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: strings.ReplaceAll(issuer, ":", ""), AccountName: s.user.Username, Secret: raw,
		Period: uint(identity.TOTPPeriod.Seconds()), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return secret.Value[string]{}, fmt.Errorf("totp key uri: %w", err)
	}
	return secret.New(key.URL()), nil
}

// enrolQR serves the pending key URI as a 256×256 PNG QR code, generated here (no third
// party sees the key).
func (h *Handler) enrolQR(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	ok, err := h.mayEnrol(ctx, s)
	if err != nil {
		h.internalError(w, r, "may enrol", err)
		return
	}
	stored, err := h.cfg.MFA.GetTOTPSecret(ctx, s.user.InstanceID, s.user.ID)
	if !ok || apierr.HasCode(err, apierr.CodeResourceNotFound) || (err == nil && stored.Confirmed) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.internalError(w, r, "get totp secret", err)
		return
	}
	sec, err := h.cfg.Secrets.OpenString(ctx, stored.Ciphertext, TOTPSecretAAD(s.user.InstanceID, s.user.ID))
	if err != nil {
		h.internalError(w, r, "open totp secret", err)
		return
	}
	uri, err := h.totpURI(ctx, s, sec)
	if err != nil {
		h.internalError(w, r, "totp uri", err)
		return
	}
	key, err := otp.NewKeyFromURL(uri.Reveal())
	if err != nil {
		h.internalError(w, r, "totp key", err)
		return
	}
	img, err := key.Image(256, 256)
	if err != nil {
		h.internalError(w, r, "qr image", err)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		h.internalError(w, r, "qr png", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(buf.Bytes())
}

// enrolRestart replaces the pending key with a new one.
func (h *Handler) enrolRestart(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ok, err := h.mayEnrol(r.Context(), s)
	if err != nil {
		h.internalError(w, r, "may enrol", err)
		return
	}
	if ok {
		if _, err := h.pendingTOTP(r.Context(), s, true); err != nil {
			h.internalError(w, r, "pending totp", err)
			return
		}
	}
	http.Redirect(w, r, "/ui/mfa/enrol", http.StatusSeeOther)
}

// enrolSubmit confirms the pending key with a code from the app (rate-limited and counted
// like a second-factor attempt; the code's step is used up), marks it confirmed, issues
// recovery codes and shows them once. On a first sign-in the confirmation also passes the
// second factor for this session.
func (h *Handler) enrolSubmit(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	ok, err := h.mayEnrol(ctx, s)
	if err != nil {
		h.internalError(w, r, "may enrol", err)
		return
	}
	if !ok {
		http.Redirect(w, r, "/ui/mfa", http.StatusSeeOther)
		return
	}
	ev := h.event(r, s.ip, "web.mfa_enrol", "EnrolTOTP")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	ev.Details = map[string]string{"factor": "totp"}

	sec, err := h.pendingTOTP(ctx, s, false)
	if err != nil {
		h.internalError(w, r, "pending totp", err)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	verr := h.confirmCode(ctx, s, sec, code)
	if verr != nil && apierr.As(verr) == nil {
		h.internalError(w, r, "confirm totp", verr)
		return
	}
	if verr != nil {
		ev.Stamp(verr)
		if err := h.cfg.Audit.Record(ctx, ev); err != nil {
			h.internalError(w, r, "audit", err)
			return
		}
		uri, err := h.totpURI(ctx, s, sec)
		if err != nil {
			h.internalError(w, r, "totp uri", err)
			return
		}
		msg := identity.MFAFailedMessage
		status := http.StatusUnauthorized
		if apierr.HasCode(verr, apierr.CodeThrottling) {
			status, msg = http.StatusTooManyRequests, apierr.As(verr).Message
		}
		h.render(w, r, status, "enrol", view{Title: "Set up your authenticator app", CSRF: s.csrf, Username: s.user.Username, Error: msg,
			Data: enrolData{Secret: sec.Reveal(), URI: uri.Reveal()}})
		return
	}

	stored, err := h.cfg.MFA.GetTOTPSecret(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		h.internalError(w, r, "get totp secret", err)
		return
	}
	stored.Confirmed = true
	if err := h.cfg.MFA.PutTOTPSecret(ctx, s.user.InstanceID, s.user.ID, stored); err != nil {
		h.internalError(w, r, "confirm totp secret", err)
		return
	}
	codes, hashes, err := identity.NewRecoveryCodes(h.cfg.Rand)
	if err != nil {
		h.internalError(w, r, "recovery codes", err)
		return
	}
	if err := h.cfg.MFA.SetRecoveryCodes(ctx, s.user.InstanceID, s.user.ID, hashes); err != nil {
		h.internalError(w, r, "set recovery codes", err)
		return
	}
	csrf := s.csrf
	if s.pendingMFA() {
		tok, err := h.completeMFA(w, r, s, ev)
		if err != nil {
			h.internalError(w, r, "complete mfa", err)
			return
		}
		csrf = sessionCSRFToken(tok)
	} else {
		ev.Stamp(nil)
		if err := h.cfg.Audit.Record(ctx, ev); err != nil {
			h.internalError(w, r, "audit", err)
			return
		}
	}
	shown := make([]string, len(codes))
	for i, c := range codes {
		shown[i] = c.Reveal()
	}
	h.render(w, r, http.StatusOK, "recovery", view{Title: "Save your recovery codes", CSRF: csrf, Username: s.user.Username,
		Data: recoveryData{Codes: shown}})
}

// confirmCode checks a code against the pending secret with the same rate limit and lockout
// as the second-factor page.
func (h *Handler) confirmCode(ctx context.Context, s *reqSession, sec secret.Value[string], code string) error {
	if !h.cfg.IPLimiter.Allow(s.ip) {
		return apierr.New(apierr.CodeThrottling, "Too many attempts. Try again later.")
	}
	key := mfaAttemptKey(s.user.InstanceID, s.user.ID)
	ok, _, err := h.cfg.Attempts.ReserveAttempt(ctx, key, h.cfg.Now(), identity.DefaultMaxFailures, identity.DefaultLockout)
	if err != nil {
		return fmt.Errorf("reserve mfa attempt: %w", err)
	}
	if !ok {
		return apierr.AccessDenied(identity.MFAFailedMessage)
	}
	if err := h.totp.Verify(ctx, s.user.InstanceID, s.user.ID, sec, code); err != nil {
		return err
	}
	if err := h.cfg.Attempts.ClearAttempts(ctx, key); err != nil {
		return fmt.Errorf("clear mfa attempts: %w", err)
	}
	return nil
}
