package sso

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// principal is the person an identity provider vouched for.
type principal struct {
	Method Method
	// Provider is "saml:{IdP entity ID}" or "oidc:{issuer}"; Subject the SAML NameID or the
	// OIDC "sub" claim.
	Provider string
	Subject  string
	// Username comes from the configured attribute or claim; FirstName and LastName fill a
	// just-in-time user's IdentityInfo (may be empty).
	Username            string
	FirstName, LastName string
	JIT                 identity.JITProvisioning
}

// signIn maps p to a user of inst in one transaction with the sign-in's audit event, then
// starts the session and answers with the page that moves on to /ui/. A refusal is recorded
// in the same event (with its reason) and shows the refusal page.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, ip netip.Addr, ev *audit.Event, inst instance.Instance, p principal) {
	ctx := r.Context()
	ev.Details["method"] = string(p.Method)
	ev.Details["provider"] = truncate(p.Provider, 256)
	if h.cfg.AuditHasher != nil && p.Username != "" {
		ev.Details["username"] = h.cfg.AuditHasher.SumString(secret.New(identity.NormalizeUsername(p.Username)))
	}
	var u identity.User
	err := h.cfg.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		var (
			created bool
			err     error
		)
		u, created, err = h.resolveUser(ctx, tx, inst, p)
		var rf *refusal
		if errors.As(err, &rf) {
			ev.Details["reason"] = rf.Reason
		}
		if err != nil {
			return err
		}
		ev.Actor = userActor(inst.ID, u.ID)
		ev.Resource = u.ID
		if created {
			ev.Details["jit_user_created"] = "true"
		}
		return nil
	})
	var rf *refusal
	if errors.As(err, &rf) {
		h.showRefusal(w, r)
		return
	}
	if err != nil {
		h.internalError(w, r, "sign-in", err)
		return
	}
	h.startSession(w, r, ip, ev, u, SessionOptions{Method: string(p.Method)})
}

// startSession hands u to the SessionStarter. The sign-in's event is already durable; a
// session that cannot be started is recorded as its own failure.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, ip netip.Addr, signedIn *audit.Event, u identity.User, opts SessionOptions) {
	if err := h.cfg.Sessions.StartSession(w, r, u, opts); err != nil {
		fev := h.event(r, ip, "sso.session_failed", "StartSession")
		fev.InstanceID, fev.Actor, fev.Resource, fev.Severity = u.InstanceID, userActor(u.InstanceID, u.ID), u.ID, signedIn.Severity
		fev.Details["method"] = opts.Method
		fev.Stamp(err)
		if recErr := h.cfg.Store.Record(r.Context(), fev); recErr != nil {
			h.log.Error("sso: record session failure", "request_id", requestID(r.Context()), "error", recErr.Error())
		}
		h.internalError(w, r, "start session", err)
		return
	}
	h.continuePage(w, r)
}

// showRefusal shows the refusal page of an already recorded refusal.
func (h *Handler) showRefusal(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, "message", page{Title: "Sign-in failed", Heading: "Sign-in failed", Text: signInFailedMessage, ShowReference: true})
}

// resolveUser decides, inside tx, which user of inst p signs in as:
//
//   - a subject signed in before (an SSOLink) is the same user again, whatever its username
//     at the provider is now; if that user was deleted, the subject is refused, unless an
//     administrator has since created a user with the username again, who is then linked;
//   - otherwise the username (checked with Connect's rules, identity.ValidateUsername) names
//     an existing user of the instance, who is linked;
//   - otherwise, when the configuration names a just-in-time security profile, a new user is
//     created through store.CreateUser (the path CreateUser takes) with that profile, the
//     configured or Basic routing profile and no password, and linked;
//   - otherwise the sign-in is refused.
//
// A disabled user is always refused. created reports a just-in-time user.
func (h *Handler) resolveUser(ctx context.Context, tx store.Tx, inst instance.Instance, p principal) (u identity.User, created bool, err error) {
	if p.Subject == "" || len(p.Subject) > identity.MaxSSOSubjectBytes {
		return u, false, refuse("subject missing or too long")
	}
	now := h.cfg.Now().UTC().Truncate(1e6)
	link, err := tx.GetSSOLink(ctx, inst.ID, p.Provider, p.Subject)
	switch {
	case err == nil:
		u, err = tx.GetUser(ctx, inst.ID, link.UserID)
		if err == nil {
			if u.Disabled {
				return u, false, refuse("user disabled")
			}
			return u, false, nil
		}
		if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return u, false, err
		}
		// The linked user was deleted: only a user re-created under the username takes over.
		if identity.ValidateUsername(p.Username) != nil {
			return u, false, refuse("linked user deleted")
		}
		u, err = tx.GetUserByUsername(ctx, inst.ID, p.Username)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return u, false, refuse("linked user deleted")
		}
		if err != nil {
			return u, false, err
		}
	case apierr.HasCode(err, apierr.CodeResourceNotFound):
		if identity.ValidateUsername(p.Username) != nil {
			return u, false, refuse("username missing or not valid for Connect (1-100 of letters, digits, _ - . @)")
		}
		u, err = tx.GetUserByUsername(ctx, inst.ID, p.Username)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			if p.JIT.SecurityProfileID == "" {
				return u, false, refuse("no such user and just-in-time users are off")
			}
			u, err = h.createJITUser(ctx, tx, inst, p, now)
			if err != nil {
				return u, false, err
			}
			created = true
		} else if err != nil {
			return u, false, err
		}
	default:
		return u, false, err
	}
	if u.Disabled {
		return u, false, refuse("user disabled")
	}
	if err := tx.PutSSOLink(ctx, identity.SSOLink{InstanceID: inst.ID, Provider: p.Provider, Subject: p.Subject, UserID: u.ID, Created: now}); err != nil {
		return u, false, err
	}
	return u, created, nil
}

// createJITUser creates the user p names with the configured profile.
func (h *Handler) createJITUser(ctx context.Context, tx store.Tx, inst instance.Instance, p principal, now time.Time) (identity.User, error) {
	rp := p.JIT.RoutingProfileID
	if rp == "" {
		rp = provision.BasicRoutingProfileID(inst.ID)
	}
	u := identity.User{
		ID: h.cfg.NewID(), InstanceID: inst.ID, Username: p.Username,
		IdentityInfo: identity.IdentityInfo{
			FirstName: personName(p.FirstName, p.Username, identity.MaxFirstNameLength),
			LastName:  personName(p.LastName, p.Username, identity.MaxLastNameLength),
		},
		PhoneConfig:        identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
		SecurityProfileIDs: []string{p.JIT.SecurityProfileID}, RoutingProfileID: rp,
		Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now,
	}
	if err := u.Validate(); err != nil {
		return u, refuse("just-in-time user not valid: " + err.Error())
	}
	u, err := store.CreateUser(ctx, tx, u, "")
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return u, refuse("just-in-time configuration names a security or routing profile the instance does not have")
	}
	return u, err
}

// personName returns v as a name field when it is usable (NFC, no control characters, 1 to
// max characters after trimming), else fallback.
func personName(v, fallback string, max int) string {
	v = strings.TrimSpace(norm.NFC.String(v))
	if v == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > max ||
		strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fallback
	}
	return v
}
