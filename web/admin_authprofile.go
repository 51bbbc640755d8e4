package web

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// authProfileForm is the authentication profile form, as typed: CIDR lists one range per
// line (commas and spaces also separate), durations in whole minutes.
type authProfileForm struct {
	// Name empty keeps the stored name.
	Name                    string
	Description             string
	AllowedIPs, BlockedIPs  string
	SessionMinutes          string
	IdleMinutes             string
	ReauthenticationMinutes string
}

type adminAuthProfileData struct {
	ID       string
	Form     authProfileForm
	Name     string
	Default  bool
	Modified time.Time
	// Address is the caller's own address as the network rules see it.
	Address string
	CanEdit bool
	// Members are the users assigned to the profile (the default's list is empty: it
	// applies to everyone else); MoreMembers is set when the list was cut at
	// adminMemberLimit. Candidates are the users who could be assigned.
	Members     []adminUserRef
	MoreMembers bool
	Candidates  []adminUserRef
	// MoreCandidates is set when the instance has more users than the list offers.
	MoreCandidates bool
}

// adminUserRef names a user on the authentication profile pages.
type adminUserRef struct{ ID, Username string }

// adminAuthProfilesData is the data of the authentication profile list.
type adminAuthProfilesData struct {
	Profiles []adminAuthProfileRow
	CanEdit  bool
	// NewName and NewDescription are the create form as typed (after a refusal).
	NewName, NewDescription string
}

// adminAuthProfileRow is one profile in the list; Users counts its assigned users up to
// adminMemberLimit (UsersMore set beyond).
type adminAuthProfileRow struct {
	ID, Name, Description string
	Default               bool
	Users                 int
	UsersMore             bool
	Modified              time.Time
}

// adminMemberLimit bounds the users listed or counted per profile on these pages.
const adminMemberLimit = 500

func authProfileFormOf(p identity.AuthenticationProfile) authProfileForm {
	abs, idle := p.SessionDuration, p.IdleTimeout
	if abs == 0 {
		abs = identity.DefaultSessionDuration
	}
	if idle == 0 {
		idle = identity.DefaultIdleTimeout
	}
	return authProfileForm{
		Name: p.Name, Description: p.Description, AllowedIPs: prefixLines(p.AllowedIPs), BlockedIPs: prefixLines(p.BlockedIPs),
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
	if utf8.RuneCountInString(f.Name) > 128 {
		return apierr.InvalidParameter("Name must be 1 to 128 characters")
	}
	if f.Name != "" {
		p.Name = f.Name
	}
	p.Description = f.Description
	p.AllowedIPs, p.BlockedIPs = allowed, blocked
	p.SessionDuration, p.IdleTimeout, p.PeriodicReauthentication = abs, idle, reauth
	return nil
}

// adminAuthProfileLegacy sends the former single-profile page to the default profile's page.
func (h *Handler) adminAuthProfileLegacy(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	http.Redirect(w, r, "/ui/admin/authentication-profiles/"+identity.DefaultAuthenticationProfileID(a.user.InstanceID), http.StatusSeeOther)
}

// adminAuthProfiles lists the instance's authentication profiles: the default, which
// applies to every user not assigned to another, and the others with their user counts.
func (h *Handler) adminAuthProfiles(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.renderAuthProfiles(w, r, a, h.adminEvent(r, a, a.action), http.StatusOK, "", "", "")
}

func (h *Handler) renderAuthProfiles(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, status int, errMsg, name, description string) {
	inst := a.user.InstanceID
	d := adminAuthProfilesData{CanEdit: a.allowed(identity.ActionUpdateAuthenticationProfile), NewName: name, NewDescription: description}
	err := h.adminView(r.Context(), ev, func(ctx context.Context, tx store.Tx) error {
		all, err := store.ListAuthenticationProfiles(ctx, tx, inst, "", identity.MaxAuthenticationProfiles)
		if err != nil {
			return err
		}
		for _, p := range all {
			row := adminAuthProfileRow{ID: p.ID, Name: p.Name, Description: p.Description, Default: p.Default, Modified: p.LastModifiedTime}
			if !p.Default {
				ids, err := tx.ListAuthenticationProfileUsers(ctx, inst, p.ID, "", adminMemberLimit+1)
				if err != nil {
					return err
				}
				row.Users, row.UsersMore = min(len(ids), adminMemberLimit), len(ids) > adminMemberLimit
			}
			d.Profiles = append(d.Profiles, row)
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "authentication profiles", err)
		return
	}
	h.adminRender(w, r, a, status, "admin_authprofiles", "Authentication profiles", errMsg, d)
}

// adminAuthProfileCreate creates an authentication profile from a name (1–128 characters,
// unique in the instance) and description, with the default rules (every address, default
// timeouts); its rules are set on its own page, and it applies to no one until users are
// assigned.
func (h *Handler) adminAuthProfileCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	name, description := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("description")
	ev := h.adminEvent(r, a, a.action)
	var p identity.AuthenticationProfile
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if utf8.RuneCountInString(name) > 128 {
			return apierr.InvalidParameter("Name must be 1 to 128 characters")
		}
		var err error
		p, err = store.CreateAuthenticationProfile(ctx, tx, inst, identity.AuthenticationProfile{Name: name, Description: description}, h.cfg.Now())
		if err == nil {
			ev.Resource = h.arn(inst, "authentication-profile", p.ID)
		}
		return err
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/authentication-profiles/"+p.ID, "authprofile-created")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "create authentication profile", err)
		return
	}
	h.renderAuthProfiles(w, r, a, nil, status, msg, name, description)
}

// adminAuthProfile shows one authentication profile: its rules and, for a profile other than
// the default, the users assigned to it.
func (h *Handler) adminAuthProfile(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("profile")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "authentication-profile", id)
	h.renderAuthProfile(w, r, a, ev, id, http.StatusOK, "", nil)
}

// renderAuthProfile renders profile id's page (ev, when not nil, is the page view's event);
// form, when not nil, replaces the stored values (after a refused change).
func (h *Handler) renderAuthProfile(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string, form *authProfileForm) {
	inst := a.user.InstanceID
	var d adminAuthProfileData
	err := h.adminView(r.Context(), ev, func(ctx context.Context, tx store.Tx) error {
		p, err := store.GetAuthenticationProfile(ctx, tx, inst, id)
		if err != nil {
			return err
		}
		d = adminAuthProfileData{ID: p.ID, Form: authProfileFormOf(p), Name: p.Name, Default: p.Default, Modified: p.LastModifiedTime,
			Address: a.ip.String(), CanEdit: a.allowed(identity.ActionUpdateAuthenticationProfile)}
		if p.Default {
			return nil
		}
		ids, err := tx.ListAuthenticationProfileUsers(ctx, inst, id, "", adminMemberLimit+1)
		if err != nil {
			return err
		}
		if len(ids) > adminMemberLimit {
			ids, d.MoreMembers = ids[:adminMemberLimit], true
		}
		member := map[string]bool{}
		for _, uid := range ids {
			u, err := tx.GetUser(ctx, inst, uid)
			if err != nil {
				return err
			}
			member[uid] = true
			d.Members = append(d.Members, adminUserRef{ID: u.ID, Username: u.Username})
		}
		if !d.CanEdit {
			return nil
		}
		users, err := tx.ListUsers(ctx, inst, "", adminMemberLimit+1)
		if err != nil {
			return err
		}
		if len(users) > adminMemberLimit {
			users, d.MoreCandidates = users[:adminMemberLimit], true
		}
		for _, u := range users {
			if !member[u.ID] {
				d.Candidates = append(d.Candidates, adminUserRef{ID: u.ID, Username: u.Username})
			}
		}
		slices.SortFunc(d.Candidates, func(x, y adminUserRef) int { return strings.Compare(x.Username, y.Username) })
		slices.SortFunc(d.Members, func(x, y adminUserRef) int { return strings.Compare(x.Username, y.Username) })
		return nil
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.adminNotFound(w, r, "authentication profile")
		return
	}
	if err != nil {
		h.internalError(w, r, "authentication profile", err)
		return
	}
	if form != nil {
		d.Form = *form
	}
	h.adminRender(w, r, a, status, "admin_authprofile", "Authentication profile", errMsg, d)
}

// appliesToCaller reports whether profile id is the one the administrator signs in under.
func appliesToCaller(ctx context.Context, tx store.Tx, a *adminRequest, id string) (bool, error) {
	mine, err := store.UserAuthenticationProfile(ctx, tx, a.user.InstanceID, a.user.ID)
	return mine.ID == id, err
}

// ownAddressRefused is the refusal of a change that would refuse the administrator's own
// address and so end the session making it.
func ownAddressRefused(a *adminRequest) error {
	return apierr.InvalidParameter("This change would refuse your own address " + a.ip.String() + " and sign you out; allow it first.")
}

// adminAuthProfileUpdate changes an authentication profile: its name (unique in the
// instance), description, allowed and blocked networks (at most 100 CIDR ranges each; none
// allowed means every address), the session duration (15–1440 minutes), the idle timeout
// (1–720; users who need MFA are held to 15 whatever it says) and periodic
// re-authentication (15–1440, 0 off). A change to the profile the administrator signs in
// under that would refuse the administrator's own address is refused: it would end the
// session making it.
func (h *Handler) adminAuthProfileUpdate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("profile")
	f := authProfileForm{
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		Description: r.PostFormValue("description"), AllowedIPs: r.PostFormValue("allowed_ips"), BlockedIPs: r.PostFormValue("blocked_ips"),
		SessionMinutes: r.PostFormValue("session_minutes"), IdleMinutes: r.PostFormValue("idle_minutes"),
		ReauthenticationMinutes: r.PostFormValue("reauth_minutes"),
	}
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "authentication-profile", id)
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		mine, err := appliesToCaller(ctx, tx, a, id)
		if err != nil {
			return err
		}
		p, err := store.UpdateAuthenticationProfile(ctx, tx, inst, id, h.cfg.Now(), func(p *identity.AuthenticationProfile) error {
			if err := f.apply(p); err != nil {
				return err
			}
			if mine && identity.CheckIP(*p, a.ip) != nil {
				return ownAddressRefused(a)
			}
			return nil
		})
		if err == nil {
			ev.Details = map[string]string{"allowed_ips": strconv.Itoa(len(p.AllowedIPs)), "blocked_ips": strconv.Itoa(len(p.BlockedIPs))}
		}
		return err
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/authentication-profiles/"+id, "authprofile-updated")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "update authentication profile", err)
		return
	}
	h.renderAuthProfile(w, r, a, nil, id, status, msg, &f)
}

// adminAuthProfileAssign assigns the user named by the form's "user" to the profile (moving
// it from the profile it was under). Its running sessions are under the new network rules
// from their next request. The administrator cannot assign itself to a profile that refuses
// its own address.
func (h *Handler) adminAuthProfileAssign(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.adminAuthProfileMember(w, r, a, r.PostFormValue("user"), true)
}

// adminAuthProfileRemove returns the user in the path to the instance's default profile.
func (h *Handler) adminAuthProfileRemove(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	h.adminAuthProfileMember(w, r, a, r.PathValue("user"), false)
}

func (h *Handler) adminAuthProfileMember(w http.ResponseWriter, r *http.Request, a *adminRequest, userID string, assign bool) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("profile")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "user", userID)
	ev.Details = map[string]string{"authentication_profile": id, "assign": strconv.FormatBool(assign)}
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		p, err := store.GetAuthenticationProfile(ctx, tx, inst, id)
		if err != nil {
			return err
		}
		if p.Default {
			return apierr.InvalidParameter("Every user not assigned to another profile is under the default profile already.")
		}
		target := identity.AuthenticationProfile{}
		if assign {
			target = p
		} else {
			cur, err := tx.UserAuthenticationProfileID(ctx, inst, userID)
			if err != nil {
				return err
			}
			if cur != id {
				return apierr.NotFound("user in this authentication profile", userID)
			}
			if target, err = store.DefaultAuthenticationProfile(ctx, tx, inst); err != nil {
				return err
			}
		}
		if userID == a.user.ID && identity.CheckIP(target, a.ip) != nil {
			return ownAddressRefused(a)
		}
		if assign {
			return tx.SetUserAuthenticationProfile(ctx, inst, userID, id)
		}
		return tx.SetUserAuthenticationProfile(ctx, inst, userID, "")
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/authentication-profiles/"+id, "authprofile-users-updated")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "assign authentication profile", err)
		return
	}
	h.renderAuthProfile(w, r, a, nil, id, status, msg, nil)
}

// adminAuthProfileDelete deletes a profile no user is assigned to (the default cannot be).
func (h *Handler) adminAuthProfileDelete(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("profile")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "authentication-profile", id)
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteAuthenticationProfile(ctx, inst, id)
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/authentication-profiles", "authprofile-deleted")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "delete authentication profile", err)
		return
	}
	h.renderAuthProfile(w, r, a, nil, id, status, msg, nil)
}
