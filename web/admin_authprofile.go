package web

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// authProfileForm is the authentication profile form, as typed: CIDR lists one range per
// line (commas and spaces also separate), durations in whole minutes.
type authProfileForm struct {
	Description             string
	AllowedIPs, BlockedIPs  string
	SessionMinutes          string
	IdleMinutes             string
	ReauthenticationMinutes string
}

type adminAuthProfileData struct {
	Form     authProfileForm
	Name     string
	Modified time.Time
	// Address is the caller's own address as the network rules see it.
	Address string
	CanEdit bool
}

func authProfileFormOf(p identity.AuthenticationProfile) authProfileForm {
	abs, idle := p.SessionDuration, p.IdleTimeout
	if abs == 0 {
		abs = identity.DefaultSessionDuration
	}
	if idle == 0 {
		idle = identity.DefaultIdleTimeout
	}
	return authProfileForm{
		Description: p.Description, AllowedIPs: prefixLines(p.AllowedIPs), BlockedIPs: prefixLines(p.BlockedIPs),
		SessionMinutes: strconv.FormatInt(int64(abs/time.Minute), 10), IdleMinutes: strconv.FormatInt(int64(idle/time.Minute), 10),
		ReauthenticationMinutes: strconv.FormatInt(int64(p.PeriodicReauthentication/time.Minute), 10),
	}
}

func prefixLines(ps []netip.Prefix) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteString("\n")
	}
	return b.String()
}

// cidrList splits a textarea of CIDR ranges (newlines, commas or spaces between them).
func cidrList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// minutesField parses a whole number of minutes (label names it in the error).
func minutesField(label, v string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil || n < 0 {
		return 0, apierr.InvalidParameter(label + " must be a whole number of minutes")
	}
	return time.Duration(n) * time.Minute, nil
}

// apply sets the form's values on p, or returns InvalidParameterException naming the field.
func (f authProfileForm) apply(p *identity.AuthenticationProfile) error {
	allowed, err := identity.ParseCIDRs(cidrList(f.AllowedIPs))
	if err != nil {
		return apierr.InvalidParameter("Allowed networks: " + apierr.As(err).Message)
	}
	blocked, err := identity.ParseCIDRs(cidrList(f.BlockedIPs))
	if err != nil {
		return apierr.InvalidParameter("Blocked networks: " + apierr.As(err).Message)
	}
	abs, err := minutesField("Session duration", f.SessionMinutes)
	if err != nil {
		return err
	}
	idle, err := minutesField("Idle timeout", f.IdleMinutes)
	if err != nil {
		return err
	}
	reauth, err := minutesField("Periodic re-authentication", f.ReauthenticationMinutes)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		label  string
		v      time.Duration
		lo, hi time.Duration
		zeroOK bool
	}{
		{"Session duration", abs, 15 * time.Minute, 24 * time.Hour, false},
		{"Idle timeout", idle, time.Minute, 12 * time.Hour, false},
		{"Periodic re-authentication", reauth, 15 * time.Minute, 24 * time.Hour, true},
	} {
		if (c.v < c.lo || c.v > c.hi) && !(c.zeroOK && c.v == 0) {
			msg := fmt.Sprintf("%s must be %d to %d minutes", c.label, int(c.lo/time.Minute), int(c.hi/time.Minute))
			if c.zeroOK {
				msg += " (0 turns it off)"
			}
			return apierr.InvalidParameter(msg)
		}
	}
	p.Description = f.Description
	p.AllowedIPs, p.BlockedIPs = allowed, blocked
	p.SessionDuration, p.IdleTimeout, p.PeriodicReauthentication = abs, idle, reauth
	return nil
}

// adminAuthProfile shows the instance's authentication profile (Connect's default profile,
// the one every user of the instance signs in under).
func (h *Handler) adminAuthProfile(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "authentication-profile", identity.DefaultAuthenticationProfileID(a.user.InstanceID))
	h.renderAuthProfile(w, r, a, ev, http.StatusOK, "", nil)
}

// renderAuthProfile renders the authentication profile page (ev, when not nil, is the page
// view's event); form, when not nil, replaces the stored values (after a refused change).
func (h *Handler) renderAuthProfile(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, status int, errMsg string, form *authProfileForm) {
	var p identity.AuthenticationProfile
	err := h.adminView(r.Context(), ev, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = store.DefaultAuthenticationProfile(ctx, tx, a.user.InstanceID)
		return err
	})
	if err != nil {
		h.internalError(w, r, "authentication profile", err)
		return
	}
	d := adminAuthProfileData{Form: authProfileFormOf(p), Name: p.Name, Modified: p.LastModifiedTime, Address: a.ip.String(),
		CanEdit: a.allowed(identity.ActionUpdateAuthenticationProfile)}
	if form != nil {
		d.Form = *form
	}
	h.adminRender(w, r, a, status, "admin_authprofile", "Authentication profile", errMsg, d)
}

// adminAuthProfileUpdate changes the authentication profile: allowed and blocked networks
// (at most 100 CIDR ranges each; none allowed means every address), the session duration
// (15–1440 minutes), the idle timeout (1–720; users who need MFA are held to 15 whatever it
// says) and periodic re-authentication (15–1440, 0 off). A change that would refuse the
// administrator's own address is refused: it would end the session making it.
func (h *Handler) adminAuthProfileUpdate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	f := authProfileForm{
		Description: r.PostFormValue("description"), AllowedIPs: r.PostFormValue("allowed_ips"), BlockedIPs: r.PostFormValue("blocked_ips"),
		SessionMinutes: r.PostFormValue("session_minutes"), IdleMinutes: r.PostFormValue("idle_minutes"),
		ReauthenticationMinutes: r.PostFormValue("reauth_minutes"),
	}
	ev := h.adminEvent(r, a, a.action)
	id := identity.DefaultAuthenticationProfileID(inst)
	ev.Resource = h.arn(inst, "authentication-profile", id)
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		p, err := store.UpdateAuthenticationProfile(ctx, tx, inst, id, h.cfg.Now(), func(p *identity.AuthenticationProfile) error {
			if err := f.apply(p); err != nil {
				return err
			}
			if identity.CheckIP(*p, a.ip) != nil {
				return apierr.InvalidParameter("This change would refuse your own address " + a.ip.String() + " and sign you out; allow it first.")
			}
			return nil
		})
		if err == nil {
			ev.Details = map[string]string{"allowed_ips": strconv.Itoa(len(p.AllowedIPs)), "blocked_ips": strconv.Itoa(len(p.BlockedIPs))}
		}
		return err
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/authentication-profile", "authprofile-updated")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "update authentication profile", err)
		return
	}
	h.renderAuthProfile(w, r, a, nil, status, msg, &f)
}
