package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// Passkey limits.
const (
	// MaxPasskeys is how many passkeys one user may register.
	MaxPasskeys = 10
	// MaxPasskeyName is the longest passkey label, in characters.
	MaxPasskeyName = 64
)

// passkeyFailedMessage is the message of every refused passkey ceremony.
const passkeyFailedMessage = "The passkey could not be verified. Try again."

// waUser is a user as go-webauthn sees it. The user handle is the user ID (a random UUID, no
// personal data).
type waUser struct {
	u     identity.User
	creds []webauthn.Credential
}

// WebAuthnID implements webauthn.User: the user ID's bytes (at most 64, WebAuthn §5.4.3).
func (w waUser) WebAuthnID() []byte { return []byte(w.u.ID) }

// WebAuthnName implements webauthn.User: the username.
func (w waUser) WebAuthnName() string { return w.u.Username }

// WebAuthnDisplayName implements webauthn.User: first and last name, else the username.
func (w waUser) WebAuthnDisplayName() string {
	if n := strings.TrimSpace(w.u.IdentityInfo.FirstName + " " + w.u.IdentityInfo.LastName); n != "" {
		return n
	}
	return w.u.Username
}

// WebAuthnCredentials implements webauthn.User: the user's registered passkeys.
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// loadPasskeys returns the user's passkeys and the user as go-webauthn needs it.
func (h *Handler) loadPasskeys(ctx context.Context, u identity.User) (waUser, []Passkey, error) {
	pks, err := h.cfg.Passkeys.ListPasskeys(ctx, u.InstanceID, u.ID)
	if err != nil {
		return waUser{}, nil, fmt.Errorf("list passkeys: %w", err)
	}
	wu := waUser{u: u}
	for _, p := range pks {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			return waUser{}, nil, fmt.Errorf("decode passkey credential: %w", err)
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, pks, nil
}

// ceremonyAAD binds a sealed ceremony state to the session and the ceremony kind, so it
// cannot be replayed in another session or used for the other ceremony.
func ceremonyAAD(s *reqSession, kind string) keyring.AAD {
	return keyring.AAD{InstanceID: s.user.InstanceID, Table: "web_sessions", RowID: s.sess.IDHash, Column: "webauthn_" + kind}
}

// sealCeremony seals go-webauthn's session data (challenge, expiry, allowed credentials) for
// the browser to hand back; nothing is kept on the server between the two steps.
func (h *Handler) sealCeremony(ctx context.Context, s *reqSession, kind string, d *webauthn.SessionData) (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode ceremony: %w", err)
	}
	ct, err := h.cfg.Secrets.SealString(ctx, secret.New(string(b)), ceremonyAAD(s, kind))
	if err != nil {
		return "", fmt.Errorf("seal ceremony: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(ct), nil
}

func (h *Handler) openCeremony(ctx context.Context, s *reqSession, kind, state string) (webauthn.SessionData, error) {
	ct, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || len(ct) > 16<<10 {
		return webauthn.SessionData{}, apierr.InvalidRequest(passkeyFailedMessage)
	}
	pt, err := h.cfg.Secrets.OpenString(ctx, ct, ceremonyAAD(s, kind))
	if err != nil {
		return webauthn.SessionData{}, apierr.InvalidRequest(passkeyFailedMessage)
	}
	var d webauthn.SessionData
	if err := json.Unmarshal([]byte(pt.Reveal()), &d); err != nil {
		return webauthn.SessionData{}, apierr.InvalidRequest(passkeyFailedMessage)
	}
	return d, nil
}

// passkeyRequest is the JSON body of the finish steps.
type passkeyRequest struct {
	State      string          `json:"state"`
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// ceremonyResponse is the JSON answer of the begin steps: options for
// PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON (WebAuthn
// Level 3 §5.1.8, §5.1.9) and the sealed state to send back.
type ceremonyResponse struct {
	Options any    `json:"options"`
	State   string `json:"state"`
}

// readJSON decodes a JSON request body (Content-Type application/json, within the body
// limit) into v.
func readJSON(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return apierr.InvalidRequest("expected a JSON body")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return apierr.InvalidRequest("the request body is not valid JSON")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// jsonError answers a fetch with {"message": ...}: the *apierr.Error's message and status,
// or "internal error" (logged) for anything else.
func (h *Handler) jsonError(w http.ResponseWriter, r *http.Request, where string, err error) {
	if ae := apierr.As(err); ae != nil {
		writeJSON(w, ae.Status(), map[string]string{"message": ae.Message})
		return
	}
	h.log.Error("web: internal error", "where", where, "request_id", requestID(r.Context()), "error", err.Error())
	writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "internal error"})
}

// passkeyRow is one passkey on the passkeys page.
type passkeyRow struct {
	ID       string
	Name     string
	Created  time.Time
	LastUsed time.Time
}

type passkeysData struct {
	Passkeys []passkeyRow
	// Full is set when the user has MaxPasskeys.
	Full bool
}

// passkeysPage lists the user's passkeys with a button to add one and a form to remove each.
func (h *Handler) passkeysPage(w http.ResponseWriter, r *http.Request, s *reqSession) {
	pks, err := h.cfg.Passkeys.ListPasskeys(r.Context(), s.user.InstanceID, s.user.ID)
	if err != nil {
		h.internalError(w, r, "list passkeys", err)
		return
	}
	d := passkeysData{Full: len(pks) >= MaxPasskeys}
	for _, p := range pks {
		d.Passkeys = append(d.Passkeys, passkeyRow{ID: base64.RawURLEncoding.EncodeToString(p.ID), Name: p.Name, Created: p.Created, LastUsed: p.LastUsed})
	}
	h.render(w, r, http.StatusOK, "passkeys", view{Title: "Passkeys", CSRF: s.csrf, Username: s.user.Username,
		Notice: noticeText(r), Error: errorText(r), Data: d})
}

// passkeyRegisterBegin starts registering a passkey: creation options excluding the user's
// existing passkeys, no attestation, user verification preferred.
func (h *Handler) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	wu, pks, err := h.loadPasskeys(ctx, s.user)
	if err != nil {
		h.jsonError(w, r, "load passkeys", err)
		return
	}
	if len(pks) >= MaxPasskeys {
		h.jsonError(w, r, "", apierr.New(apierr.CodeServiceQuotaExceeded, "You have %d passkeys, the most allowed. Remove one first.", MaxPasskeys))
		return
	}
	creation, data, err := h.webauthn.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementDiscouraged),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		h.jsonError(w, r, "begin registration", err)
		return
	}
	state, err := h.sealCeremony(ctx, s, "register", data)
	if err != nil {
		h.jsonError(w, r, "seal ceremony", err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{Options: creation.Response, State: state})
}

// validPasskeyName checks a passkey label: 1–MaxPasskeyName characters of printable text,
// without bidirectional or invisible formatting characters that could disguise it.
func validPasskeyName(n string) bool {
	if n == "" || !utf8.ValidString(n) || utf8.RuneCountInString(n) > MaxPasskeyName {
		return false
	}
	for _, r := range n {
		if !unicode.IsPrint(r) && r != ' ' || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// passkeyRegisterFinish verifies the authenticator's answer against the sealed ceremony and
// stores the new passkey.
func (h *Handler) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	var req passkeyRequest
	if err := readJSON(r, &req); err != nil {
		h.jsonError(w, r, "", err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if !validPasskeyName(req.Name) {
		h.jsonError(w, r, "", apierr.InvalidParameter(fmt.Sprintf("Give the passkey a name of 1 to %d characters.", MaxPasskeyName)))
		return
	}
	ev := h.event(r, s.ip, "web.passkey_register", "RegisterPasskey")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	err := h.registerPasskey(ctx, s, req)
	if err != nil && apierr.As(err) == nil {
		h.jsonError(w, r, "register passkey", err)
		return
	}
	ev.Stamp(err)
	if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
		h.jsonError(w, r, "audit", recErr)
		return
	}
	if err != nil {
		h.jsonError(w, r, "", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": "/ui/passkeys?notice=passkey-added"})
}

func (h *Handler) registerPasskey(ctx context.Context, s *reqSession, req passkeyRequest) error {
	data, err := h.openCeremony(ctx, s, "register", req.State)
	if err != nil {
		return err
	}
	wu, pks, err := h.loadPasskeys(ctx, s.user)
	if err != nil {
		return err
	}
	if len(pks) >= MaxPasskeys {
		return apierr.New(apierr.CodeServiceQuotaExceeded, "You have %d passkeys, the most allowed. Remove one first.", MaxPasskeys)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	if err != nil {
		return apierr.InvalidRequest(passkeyFailedMessage)
	}
	cred, err := h.webauthn.CreateCredential(wu, data, parsed)
	if err != nil {
		return apierr.AccessDenied(passkeyFailedMessage)
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("encode credential: %w", err)
	}
	err = h.cfg.Passkeys.AddPasskey(ctx, s.user.InstanceID, s.user.ID, Passkey{
		ID: cred.ID, Name: req.Name, Credential: b, Created: h.cfg.Now().UTC(),
	})
	if apierr.HasCode(err, apierr.CodeDuplicateResource) {
		return apierr.New(apierr.CodeDuplicateResource, "This passkey is already registered.")
	}
	if err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	return nil
}

// passkeyDelete removes one passkey. The last second factor of a user whose profiles require
// one cannot be removed.
func (h *Handler) passkeyDelete(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	id, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("id"))
	if err != nil || len(id) == 0 || len(id) > 1023 {
		http.Redirect(w, r, "/ui/passkeys", http.StatusSeeOther)
		return
	}
	pks, err := h.cfg.Passkeys.ListPasskeys(ctx, s.user.InstanceID, s.user.ID)
	if err != nil {
		h.internalError(w, r, "list passkeys", err)
		return
	}
	totp, err := h.confirmedTOTP(ctx, s.user)
	if err != nil {
		h.internalError(w, r, "totp", err)
		return
	}
	if s.sess.MFARequired && !totp && len(pks) <= 1 {
		http.Redirect(w, r, "/ui/passkeys?error=last-factor", http.StatusSeeOther)
		return
	}
	ev := h.event(r, s.ip, "web.passkey_delete", "DeletePasskey")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	err = h.cfg.Passkeys.DeletePasskey(ctx, s.user.InstanceID, s.user.ID, id)
	if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.internalError(w, r, "delete passkey", err)
		return
	}
	ev.Stamp(err)
	if err := h.cfg.Audit.Record(ctx, ev); err != nil {
		h.internalError(w, r, "audit", err)
		return
	}
	http.Redirect(w, r, "/ui/passkeys?notice=passkey-removed", http.StatusSeeOther)
}

// passkeyLoginBegin starts a passkey assertion as the second factor, allowing only the
// user's own passkeys.
func (h *Handler) passkeyLoginBegin(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	if !s.pendingMFA() {
		writeJSON(w, http.StatusOK, map[string]string{"redirect": "/ui/"})
		return
	}
	wu, _, err := h.loadPasskeys(ctx, s.user)
	if err != nil {
		h.jsonError(w, r, "load passkeys", err)
		return
	}
	if len(wu.creds) == 0 {
		h.jsonError(w, r, "", apierr.InvalidRequest("You have no passkey. Use a code from your authenticator app."))
		return
	}
	assertion, data, err := h.webauthn.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		h.jsonError(w, r, "begin login", err)
		return
	}
	state, err := h.sealCeremony(ctx, s, "login", data)
	if err != nil {
		h.jsonError(w, r, "seal ceremony", err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{Options: assertion.Response, State: state})
}

// passkeyLoginFinish verifies the assertion (origin, RP ID, challenge, signature, counter)
// and passes the second factor for this session.
func (h *Handler) passkeyLoginFinish(w http.ResponseWriter, r *http.Request, s *reqSession) {
	ctx := r.Context()
	if !s.pendingMFA() {
		writeJSON(w, http.StatusOK, map[string]string{"redirect": "/ui/"})
		return
	}
	var req passkeyRequest
	if err := readJSON(r, &req); err != nil {
		h.jsonError(w, r, "", err)
		return
	}
	ev := h.event(r, s.ip, "web.mfa", "VerifyMFA")
	ev.Actor, ev.InstanceID = s.actor(), s.user.InstanceID
	ev.Details = map[string]string{"factor": "passkey"}
	err := h.assertPasskey(ctx, s, req)
	if err != nil && apierr.As(err) == nil {
		h.jsonError(w, r, "assert passkey", err)
		return
	}
	if err != nil {
		ev.Stamp(err)
		if recErr := h.cfg.Audit.Record(ctx, ev); recErr != nil {
			h.jsonError(w, r, "audit", recErr)
			return
		}
		h.jsonError(w, r, "", err)
		return
	}
	if _, err := h.completeMFA(w, r, s, ev); err != nil {
		h.jsonError(w, r, "complete mfa", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": "/ui/"})
}

func (h *Handler) assertPasskey(ctx context.Context, s *reqSession, req passkeyRequest) error {
	if !h.cfg.IPLimiter.Allow(s.ip) {
		return apierr.New(apierr.CodeThrottling, "Too many attempts. Try again later.")
	}
	data, err := h.openCeremony(ctx, s, "login", req.State)
	if err != nil {
		return err
	}
	wu, _, err := h.loadPasskeys(ctx, s.user)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Credential)
	if err != nil {
		return apierr.InvalidRequest(passkeyFailedMessage)
	}
	cred, err := h.webauthn.ValidateLogin(wu, data, parsed)
	if err != nil {
		return apierr.AccessDenied(passkeyFailedMessage)
	}
	if cred.Authenticator.CloneWarning {
		// The signature counter went backwards: the key may have been copied.
		return apierr.AccessDenied(passkeyFailedMessage)
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("encode credential: %w", err)
	}
	if err := h.cfg.Passkeys.UpdatePasskeyUse(ctx, s.user.InstanceID, s.user.ID, cred.ID, b, h.cfg.Now().UTC()); err != nil {
		return fmt.Errorf("update passkey: %w", err)
	}
	return nil
}
