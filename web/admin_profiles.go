package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// adminProfileRow is one security profile of the list.
type adminProfileRow struct {
	ID, Name, Description string
	Permissions, Users    int
}

type adminProfilesData struct {
	Profiles  []adminProfileRow
	CanCreate bool
}

// adminProfiles lists the instance's security profiles with how many permissions and users
// each has.
func (h *Handler) adminProfiles(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	inst := a.user.InstanceID
	d := adminProfilesData{CanCreate: a.allowed("CreateSecurityProfile")}
	err := h.adminView(r.Context(), h.adminEvent(r, a, a.action), func(ctx context.Context, tx store.Tx) error {
		ps, err := allSecurityProfiles(ctx, tx, inst)
		if err != nil {
			return err
		}
		for _, p := range ps {
			n, err := tx.CountSecurityProfileUsers(ctx, inst, p.ID)
			if err != nil {
				return err
			}
			d.Profiles = append(d.Profiles, adminProfileRow{ID: p.ID, Name: p.Name, Description: p.Description, Permissions: len(p.Permissions), Users: n})
		}
		return nil
	})
	if err != nil {
		h.internalError(w, r, "list security profiles", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_profiles", "Security profiles", "", d)
}

// permCategory is one section of the permission form: a category of Connect's permission
// list with its resources.
type permCategory struct {
	Name      string
	Resources []permResource
}

// permResource is one row of the permission form: a resource ("Users") and its actions.
type permResource struct {
	Name    string
	Actions []permAction
}

// permAction is one checkbox: the permission Name, shown as Label, with the flags Ringfence
// gives it.
type permAction struct {
	Name, Label                   string
	Checked                       bool
	Admin, Sensitive, Restrictive bool
}

// permissionForm groups the whole catalogue as Connect's list does: by category in the
// list's order, then by resource (the name up to its last dot; a name without one is its
// own row with the action "Allow"), checking the permissions in checked.
func permissionForm(checked []string) []permCategory {
	byCat := map[string][]identity.PermissionInfo{}
	for _, p := range identity.Permissions() {
		byCat[p.Category] = append(byCat[p.Category], p)
	}
	var out []permCategory
	for _, cat := range identity.PermissionCategories() {
		c := permCategory{Name: cat}
		for _, p := range byCat[cat] {
			res, act, ok := cutLast(p.Name, ".")
			if !ok {
				res, act = p.Name, "Allow"
			}
			if len(c.Resources) == 0 || c.Resources[len(c.Resources)-1].Name != res {
				c.Resources = append(c.Resources, permResource{Name: res})
			}
			row := &c.Resources[len(c.Resources)-1]
			row.Actions = append(row.Actions, permAction{Name: p.Name, Label: act, Checked: slices.Contains(checked, p.Name),
				Admin: p.Admin, Sensitive: p.Sensitive, Restrictive: p.Restrictive})
		}
		if len(c.Resources) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// adminProfileData is the data of the security profile page (new or existing).
type adminProfileData struct {
	// ID is empty for a new profile.
	ID, Name, Description string
	Categories            []permCategory
	// Deny lists the profile's deny permissions (set through the store only; shown).
	Deny               []string
	Users              int
	Modified           time.Time
	CanEdit, CanDelete bool
}

// profileForm reads the profile form: name, description and the ticked permissions.
func profileForm(r *http.Request) (name, description string, perms []string) {
	_ = r.ParseForm()
	for _, p := range r.PostForm["perm"] {
		if len(perms) > identity.MaxSecurityProfilePermissions {
			break
		}
		perms = append(perms, truncate(p, 128))
	}
	return strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("description"), perms
}

// adminProfileNew shows the new-profile form.
func (h *Handler) adminProfileNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	if err := h.adminRecord(r.Context(), h.adminEvent(r, a, a.action), nil); err != nil {
		h.internalError(w, r, "audit", err)
		return
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_profile", "New security profile", "",
		adminProfileData{Categories: permissionForm(nil), CanEdit: true})
}

// adminProfileCreate creates a security profile (CreateSecurityProfile): a name of letters,
// digits, spaces and _ @ - not used yet in the instance, a description, and known
// permissions (stored canonical).
func (h *Handler) adminProfileCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	name, desc, perms := profileForm(r)
	now := h.cfg.Now().UTC().Truncate(time.Millisecond)
	id := newRequestID(h.cfg.Rand)
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "security-profile", id)
	p, err := identity.NormalizeSecurityProfile(identity.SecurityProfile{ID: id, InstanceID: inst, Name: name, Description: desc,
		Permissions: perms, DenyPermissions: []string{}, Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now})
	if err != nil {
		if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
			err = recErr
		}
	} else {
		ev.Details = map[string]string{"permissions": strconv.Itoa(len(p.Permissions))}
		err = h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error { return store.CreateSecurityProfile(ctx, tx, p) })
	}
	if err == nil {
		adminDone(w, r, "/ui/admin/security-profiles/"+p.ID, "profile-created")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "create security profile", err)
		return
	}
	h.adminRender(w, r, a, status, "admin_profile", "New security profile", msg,
		adminProfileData{Name: name, Description: desc, Categories: permissionForm(perms), CanEdit: true})
}

// adminProfile shows a security profile with its permissions grouped as Connect groups
// them, editable when the caller may.
func (h *Handler) adminProfile(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("profile")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "security-profile", id)
	h.renderProfile(w, r, a, ev, id, http.StatusOK, "", nil, nil)
}

// renderProfile renders profile id (ev, when not nil, is the page view's event); desc and
// perms, when not nil, replace the stored values (after a refused change).
func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string, desc *string, perms []string) {
	inst := a.user.InstanceID
	var (
		p identity.SecurityProfile
		n int
	)
	err := h.adminView(r.Context(), ev, func(ctx context.Context, tx store.Tx) error {
		var err error
		if p, err = tx.GetSecurityProfile(ctx, inst, id); err != nil {
			return err
		}
		n, err = tx.CountSecurityProfileUsers(ctx, inst, id)
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.adminNotFound(w, r, "security profile")
		return
	}
	if err != nil {
		h.internalError(w, r, "security profile page", err)
		return
	}
	d := adminProfileData{ID: p.ID, Name: p.Name, Description: p.Description, Deny: p.DenyPermissions, Users: n, Modified: p.LastModifiedTime,
		CanEdit: a.allowed("UpdateSecurityProfile"), CanDelete: n == 0 && a.allowed("DeleteSecurityProfile")}
	checked := p.Permissions
	if desc != nil {
		d.Description, checked = *desc, perms
	}
	d.Categories = permissionForm(checked)
	h.adminRender(w, r, a, status, "admin_profile", "Security profile "+p.Name, errMsg, d)
}

// adminProfileUpdate replaces the profile's description and permissions
// (UpdateSecurityProfile). Holders who need a second factor only since the change lose
// their sessions and enrol at next sign-in (store.UpdateSecurityProfile).
func (h *Handler) adminProfileUpdate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("profile")
	_, desc, perms := profileForm(r)
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "security-profile", id)
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		ch, err := store.UpdateSecurityProfile(ctx, tx, inst, id, h.cfg.Now(), func(p *identity.SecurityProfile) {
			p.Description, p.Permissions = desc, perms
		})
		if err == nil {
			ev.Details = ch.AuditDetails()
		}
		return err
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/security-profiles/"+id, "profile-updated")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "update security profile", err)
		return
	}
	h.renderProfile(w, r, a, nil, id, status, msg, &desc, perms)
}

// adminProfileDelete deletes a security profile no user holds (DeleteSecurityProfile);
// while one is held the page says by how many users.
func (h *Handler) adminProfileDelete(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("profile")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "security-profile", id)
	err := h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		return store.DeleteSecurityProfile(ctx, tx, inst, id)
	})
	if err == nil {
		adminDone(w, r, "/ui/admin/security-profiles", "profile-deleted")
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "delete security profile", err)
		return
	}
	h.renderProfile(w, r, a, nil, id, status, msg, nil, nil)
}
