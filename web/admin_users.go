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
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// adminPageSize is how many users one page of the user list shows.
const adminPageSize = 50

// maxSearchBytes bounds the user list's search text.
const maxSearchBytes = 100

// adminChoice is one option of a select or a checkbox list (security profiles, routing
// profiles).
type adminChoice struct {
	ID, Name string
	Checked  bool
}

// adminUserRow is one user of the user list.
type adminUserRow struct {
	ID, Username, Name, Profiles string
	Disabled                     bool
}

type adminUsersData struct {
	Query string
	Users []adminUserRow
	// NextAfter is the cursor of the next page ("" on the last page).
	NextAfter string
	CanCreate bool
}

// matchUser reports whether the user's username, names or email contain q (lower case).
func matchUser(u identity.User, q string) bool {
	if q == "" {
		return true
	}
	for _, v := range []string{u.Username, u.IdentityInfo.FirstName, u.IdentityInfo.LastName, u.IdentityInfo.Email} {
		if strings.Contains(strings.ToLower(v), q) {
			return true
		}
	}
	return false
}

// adminUsers lists the instance's users in username order, adminPageSize at a time, those
// whose username, names or email contain the search text q (case-insensitive) when given.
// The cursor "after" is the last username of the previous page.
func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	q = truncate(q, maxSearchBytes)
	after := truncate(identity.NormalizeUsername(r.URL.Query().Get("after")), 4*identity.MaxUsernameLength)
	ev := h.adminEvent(r, a, a.action)
	if q != "" {
		ev.Details = map[string]string{"search": "yes"}
	}
	var (
		page  []identity.User
		names map[string]string
	)
	needle := strings.ToLower(q)
	err := h.adminView(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		var err error
		if names, err = securityProfileNames(ctx, tx, inst); err != nil {
			return err
		}
		// One pass keeps the adminPageSize+1 smallest matching usernames after the cursor.
		return store.EachUser(ctx, tx, inst, func(u identity.User) (bool, error) {
			key := identity.NormalizeUsername(u.Username)
			if key <= after || !matchUser(u, needle) {
				return false, nil
			}
			i, _ := slices.BinarySearchFunc(page, key, func(x identity.User, k string) int {
				return strings.Compare(identity.NormalizeUsername(x.Username), k)
			})
			if i <= adminPageSize {
				page = slices.Insert(page, i, u)
				if len(page) > adminPageSize+1 {
					page = page[:adminPageSize+1]
				}
			}
			return false, nil
		})
	})
	if err != nil {
		h.internalError(w, r, "list users", err)
		return
	}
	d := adminUsersData{Query: q, CanCreate: a.allowed("CreateUser")}
	if len(page) > adminPageSize {
		page = page[:adminPageSize]
		d.NextAfter = identity.NormalizeUsername(page[len(page)-1].Username)
	}
	for _, u := range page {
		var ps []string
		for _, id := range u.SecurityProfileIDs {
			ps = append(ps, names[id])
		}
		slices.Sort(ps)
		d.Users = append(d.Users, adminUserRow{ID: u.ID, Username: u.Username, Disabled: u.Disabled,
			Name: strings.TrimSpace(u.IdentityInfo.FirstName + " " + u.IdentityInfo.LastName), Profiles: strings.Join(ps, ", ")})
	}
	h.adminRender(w, r, a, http.StatusOK, "admin_users", "Users", "", d)
}

// securityProfileNames maps the instance's security profile IDs to their names.
func securityProfileNames(ctx context.Context, tx store.Tx, inst string) (map[string]string, error) {
	ps, err := allSecurityProfiles(ctx, tx, inst)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		out[p.ID] = p.Name
	}
	return out, nil
}

// allSecurityProfiles returns every security profile of the instance, by name.
func allSecurityProfiles(ctx context.Context, tx store.Tx, inst string) ([]identity.SecurityProfile, error) {
	var out []identity.SecurityProfile
	after := ""
	for {
		page, err := tx.ListSecurityProfiles(ctx, inst, after, 500)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	slices.SortFunc(out, func(a, b identity.SecurityProfile) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// allRoutingProfiles returns every routing profile of the instance, by name.
func allRoutingProfiles(ctx context.Context, tx store.Tx, inst string) ([]routing.RoutingProfileRecord, error) {
	var out []routing.RoutingProfileRecord
	after := ""
	for {
		page, err := tx.ListRoutingProfiles(ctx, inst, after, 500)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	slices.SortFunc(out, func(a, b routing.RoutingProfileRecord) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// userForm is the user form's fields (create and edit), as typed: shown again after an
// error. Passwords are never part of it.
type userForm struct {
	Username, FirstName, LastName, Email, SecondaryEmail, Mobile string
	PhoneType                                                    string
	AutoAccept                                                   bool
	ACW                                                          string
	DeskPhone                                                    string
	RoutingProfileID                                             string
	SecurityProfileIDs                                           []string
	// GeneratePassword is the choice of a generated password (else typed).
	GeneratePassword bool
}

// formUser reads a user form from the request (its fields that are present).
func formUser(r *http.Request) userForm {
	_ = r.ParseForm()
	f := userForm{
		Username: strings.TrimSpace(r.PostFormValue("username")), FirstName: r.PostFormValue("first_name"),
		LastName: r.PostFormValue("last_name"), Email: strings.TrimSpace(r.PostFormValue("email")),
		SecondaryEmail: strings.TrimSpace(r.PostFormValue("secondary_email")), Mobile: strings.TrimSpace(r.PostFormValue("mobile")),
		PhoneType: r.PostFormValue("phone_type"), AutoAccept: r.PostFormValue("auto_accept") == "on",
		ACW: strings.TrimSpace(r.PostFormValue("acw")), DeskPhone: strings.TrimSpace(r.PostFormValue("desk_phone")),
		RoutingProfileID: r.PostFormValue("routing_profile"), GeneratePassword: r.PostFormValue("password_mode") != "type",
	}
	for _, id := range r.PostForm["profile"] {
		if id != "" && !slices.Contains(f.SecurityProfileIDs, id) && len(f.SecurityProfileIDs) <= identity.MaxSecurityProfilesPerUser {
			f.SecurityProfileIDs = append(f.SecurityProfileIDs, truncate(id, 100))
		}
	}
	return f
}

// overlay replaces f's fields with those the request posted (a refused form shows what was
// typed). Checkboxes count only when their form was the one posted.
func (f *userForm) overlay(r *http.Request) {
	posted := formUser(r)
	has := func(k string) bool { _, ok := r.PostForm[k]; return ok }
	for _, x := range []struct {
		key      string
		dst, src *string
	}{
		{"first_name", &f.FirstName, &posted.FirstName}, {"last_name", &f.LastName, &posted.LastName},
		{"email", &f.Email, &posted.Email}, {"secondary_email", &f.SecondaryEmail, &posted.SecondaryEmail},
		{"mobile", &f.Mobile, &posted.Mobile}, {"phone_type", &f.PhoneType, &posted.PhoneType},
		{"acw", &f.ACW, &posted.ACW}, {"desk_phone", &f.DeskPhone, &posted.DeskPhone},
		{"routing_profile", &f.RoutingProfileID, &posted.RoutingProfileID},
	} {
		if has(x.key) {
			*x.dst = *x.src
		}
	}
	if has("phone_type") {
		f.AutoAccept = posted.AutoAccept
	}
	if has("profile") {
		f.SecurityProfileIDs = posted.SecurityProfileIDs
	}
	if has("password_mode") {
		f.GeneratePassword = posted.GeneratePassword
	}
}

func (f userForm) identityInfo() identity.IdentityInfo {
	return identity.IdentityInfo{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, SecondaryEmail: f.SecondaryEmail, Mobile: f.Mobile}
}

// phoneConfig reads the phone fields: an after-contact work limit that is not a whole
// number of seconds is InvalidParameterException.
func (f userForm) phoneConfig() (identity.PhoneConfig, error) {
	acw := 0
	if f.ACW != "" {
		n, err := strconv.Atoi(f.ACW)
		if err != nil {
			return identity.PhoneConfig{}, apierr.InvalidParameter("After-contact work time limit must be a whole number of seconds")
		}
		acw = n
	}
	p := identity.PhoneConfig{PhoneType: identity.PhoneType(f.PhoneType), AutoAccept: f.AutoAccept, AfterContactWorkTimeLimit: acw}
	if p.PhoneType == identity.PhoneTypeDeskPhone {
		p.DeskPhoneNumber = f.DeskPhone
	}
	return p, p.Validate()
}

func userFormOf(u identity.User) userForm {
	return userForm{
		Username: u.Username, FirstName: u.IdentityInfo.FirstName, LastName: u.IdentityInfo.LastName, Email: u.IdentityInfo.Email,
		SecondaryEmail: u.IdentityInfo.SecondaryEmail, Mobile: u.IdentityInfo.Mobile, PhoneType: string(u.PhoneConfig.PhoneType),
		AutoAccept: u.PhoneConfig.AutoAccept, ACW: strconv.Itoa(u.PhoneConfig.AfterContactWorkTimeLimit), DeskPhone: u.PhoneConfig.DeskPhoneNumber,
		RoutingProfileID: u.RoutingProfileID, SecurityProfileIDs: u.SecurityProfileIDs,
	}
}

// userFormData is the data of the new-user page and of the edit page's forms.
type userFormData struct {
	Form            userForm
	Profiles        []adminChoice
	RoutingProfiles []adminChoice
	// Passwords is set when the instance keeps passwords (CONNECT_MANAGED).
	Passwords bool
	Min, Max  int
}

// choices fills the profile choices of d from the instance's profiles, checking those in f.
func (d *userFormData) choices(ctx context.Context, tx store.Tx, inst string) error {
	sps, err := allSecurityProfiles(ctx, tx, inst)
	if err != nil {
		return err
	}
	for _, p := range sps {
		d.Profiles = append(d.Profiles, adminChoice{ID: p.ID, Name: p.Name, Checked: slices.Contains(d.Form.SecurityProfileIDs, p.ID)})
	}
	rps, err := allRoutingProfiles(ctx, tx, inst)
	if err != nil {
		return err
	}
	for _, p := range rps {
		d.RoutingProfiles = append(d.RoutingProfiles, adminChoice{ID: p.ID, Name: p.Name, Checked: p.ID == d.Form.RoutingProfileID})
	}
	return nil
}

// adminUserNew shows the new-user form.
func (h *Handler) adminUserNew(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := userForm{PhoneType: string(identity.PhoneTypeSoftPhone), ACW: "0", GeneratePassword: true}
	h.renderUserNew(w, r, a, h.adminEvent(r, a, a.action), http.StatusOK, "", f)
}

// renderUserNew renders the new-user form with f (ev, when not nil, is the page view's
// event).
func (h *Handler) renderUserNew(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, status int, errMsg string, f userForm) {
	ctx := r.Context()
	inst := a.user.InstanceID
	d := userFormData{Form: f, Min: identity.MinPasswordLength, Max: identity.MaxPasswordLength}
	err := h.adminView(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		rec, err := tx.GetInstance(ctx, inst)
		if err != nil {
			return err
		}
		d.Passwords = store.CheckPasswordAllowed(rec, true) == nil
		if d.Form.RoutingProfileID == "" && ev != nil {
			// A new user starts on the instance's default routing profile.
			rps, err := allRoutingProfiles(ctx, tx, inst)
			if err != nil {
				return err
			}
			for _, p := range rps {
				if p.IsDefault {
					d.Form.RoutingProfileID = p.ID
				}
			}
		}
		return d.choices(ctx, tx, inst)
	})
	if err != nil {
		h.internalError(w, r, "new user form", err)
		return
	}
	h.adminRender(w, r, a, status, "admin_user_new", "New user", errMsg, d)
}

// newPasswordFor returns the password of a create or reset form for the user username:
// generated (shown once afterwards) when asked, else the typed one, which must match its
// confirmation and the instance's password policy. The error is InvalidParameterException
// with a message to show, or internal.
func (h *Handler) newPasswordFor(r *http.Request, instanceID, username string, generate bool) (secret.Value[string], error) {
	pol, err := h.cfg.PasswordPolicy(r.Context(), instanceID)
	if err != nil {
		return secret.Value[string]{}, err
	}
	if generate {
		return identity.GeneratePassword(h.cfg.Rand, pol, username)
	}
	pw := r.PostFormValue("password")
	if len(pw) > maxPasswordBytes {
		return secret.Value[string]{}, apierr.InvalidParameter("Password must be at most 128 characters")
	}
	if pw != r.PostFormValue("password_confirm") {
		return secret.Value[string]{}, apierr.InvalidParameter("The password and its confirmation differ.")
	}
	p := secret.New(pw)
	return p, pol.CheckPassword(p, username)
}

// hasher returns the password hasher the pages use.
func (h *Handler) hasher() identity.PasswordHasher {
	if h.cfg.Hasher != nil {
		return *h.cfg.Hasher
	}
	return identity.NewPasswordHasher()
}

// passwordShownData is the data of the page that shows a generated password once.
type passwordShownData struct {
	UserID, Username, Password string
	Created                    bool
}

// adminUserCreate creates a user (CreateUser): the fields as the API checks them, the
// security profiles and routing profile of the instance, and for a CONNECT_MANAGED instance a
// password, generated or typed and checked against the instance's policy, stored only as an
// argon2id hash. A user whose profiles require MFA enrols an authenticator at first sign-in.
// A generated password is shown once on the answer.
func (h *Handler) adminUserCreate(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	f := formUser(r)
	now := h.cfg.Now().UTC().Truncate(time.Millisecond)
	u := identity.User{ID: newRequestID(h.cfg.Rand), InstanceID: inst, Username: f.Username, IdentityInfo: f.identityInfo(),
		SecurityProfileIDs: slices.Sorted(slices.Values(f.SecurityProfileIDs)), RoutingProfileID: f.RoutingProfileID,
		Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now}
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "agent", u.ID)
	fail := func(err error) {
		if status, msg, ok := clientError(err); ok {
			if status == http.StatusNotFound {
				status = http.StatusBadRequest
			}
			h.renderUserNew(w, r, a, nil, status, msg, f)
			return
		}
		h.internalError(w, r, "create user", err)
	}
	refuse := func(err error) {
		if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
			h.internalError(w, r, "audit", recErr)
			return
		}
		fail(err)
	}
	var err error
	if u.PhoneConfig, err = f.phoneConfig(); err != nil {
		refuse(err)
		return
	}
	if err := u.Validate(); err != nil {
		refuse(err)
		return
	}
	rec, err := h.cfg.Instances.LookupInstance(ctx, inst)
	if err != nil {
		h.internalError(w, r, "instance", err)
		return
	}
	var pw secret.Value[string]
	hash := ""
	if rec.IdentityManagementType == instance.IdentityManagementConnectManaged {
		if pw, err = h.newPasswordFor(r, inst, u.Username, f.GeneratePassword); err != nil {
			if apierr.As(err) == nil {
				h.internalError(w, r, "password", err)
				return
			}
			refuse(err)
			return
		}
		// Hash before the transaction: argon2id takes tens of milliseconds and the store's
		// writer must stay quick.
		if hash, err = h.hasher().HashPassword(ctx, pw); err != nil {
			h.internalError(w, r, "hash password", err)
			return
		}
	}
	ev.Details = map[string]string{"password": map[bool]string{true: "generated", false: "typed"}[f.GeneratePassword]}
	if hash == "" {
		ev.Details["password"] = "none"
	}
	err = h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		rec, err := tx.GetInstance(ctx, inst)
		if err != nil {
			return err
		}
		if err := store.CheckPasswordAllowed(rec, hash != ""); err != nil {
			return err
		}
		u, err = store.CreateUser(ctx, tx, u, hash)
		return err
	})
	if err != nil {
		fail(err)
		return
	}
	if hash != "" && f.GeneratePassword {
		h.adminRender(w, r, a, http.StatusOK, "admin_password", "Password for "+u.Username, "",
			passwordShownData{UserID: u.ID, Username: u.Username, Password: pw.Reveal(), Created: true})
		return
	}
	adminDone(w, r, "/ui/admin/users/"+u.ID, "user-created")
}

// adminUserData is the data of a user's page.
type adminUserData struct {
	userFormData
	ID                                          string
	Disabled, MFAEnrollmentRequired, Self       bool
	Created, Modified                           time.Time
	CanIdentity, CanPhone, CanRouting, CanRoles bool
	CanStatus, CanPassword, CanDelete           bool
	// AuthProfileID and AuthProfileName name the authentication profile the user signs in
	// under; AuthProfileDefault is set when it is the instance's default.
	AuthProfileID, AuthProfileName string
	AuthProfileDefault             bool
}

// adminUser shows one user with the forms the caller may use.
func (h *Handler) adminUser(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	id := r.PathValue("user")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(a.user.InstanceID, "agent", id)
	h.renderUser(w, r, a, ev, id, http.StatusOK, "")
}

// renderUser renders the page of user id (ev, when not nil, is the page view's event). After
// a refused change (ev nil) the fields the request posted replace the stored values, so
// nothing typed is lost (passwords excepted).
func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, a *adminRequest, ev *audit.Event, id string, status int, errMsg string) {
	ctx := r.Context()
	inst := a.user.InstanceID
	var d adminUserData
	err := h.adminView(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		rec, err := tx.GetInstance(ctx, inst)
		if err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, inst, id)
		if err != nil {
			return err
		}
		d = adminUserData{ID: u.ID, Disabled: u.Disabled, MFAEnrollmentRequired: u.MFAEnrollmentRequired, Self: u.ID == a.user.ID,
			Created: u.CreatedTime, Modified: u.LastModifiedTime}
		d.Form = userFormOf(u)
		d.Form.GeneratePassword = true
		if ev == nil && r.Method == http.MethodPost {
			d.Form.overlay(r)
		}
		d.Passwords = store.CheckPasswordAllowed(rec, true) == nil
		d.Min, d.Max = identity.MinPasswordLength, identity.MaxPasswordLength
		ap, err := store.UserAuthenticationProfile(ctx, tx, inst, u.ID)
		if err != nil {
			return err
		}
		d.AuthProfileID, d.AuthProfileName, d.AuthProfileDefault = ap.ID, ap.Name, ap.Default
		return d.choices(ctx, tx, inst)
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		h.adminNotFound(w, r, "user")
		return
	}
	if err != nil {
		h.internalError(w, r, "user page", err)
		return
	}
	d.CanIdentity = a.allowedOn("UpdateUserIdentityInfo", id)
	d.CanPhone = a.allowedOn("UpdateUserPhoneConfig", id)
	d.CanRouting = a.allowedOn("UpdateUserRoutingProfile", id)
	d.CanRoles = a.allowedOn("UpdateUserSecurityProfiles", id)
	d.CanStatus = !d.Self && a.allowedOn(identity.ActionEnableDisableUser, id)
	d.CanPassword = !d.Self && d.Passwords && a.allowedOn(identity.ActionResetUserPassword, id)
	d.CanDelete = !d.Self && a.allowedOn("DeleteUser", id)
	h.adminRender(w, r, a, status, "admin_user", "User "+d.Form.Username, errMsg, d)
}

// userChange runs one change to the path's user as the route's action: change runs inside
// UpdateUser's transaction with the action's event; afterwards the browser goes back to the
// user's page with notice, or the page shows the refusal with form (the values typed).
func (h *Handler) userChange(w http.ResponseWriter, r *http.Request, a *adminRequest, notice string,
	prepare func(ev *audit.Event) error, change func(ctx context.Context, tx store.Tx, u *identity.User, ev *audit.Event) error) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("user")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "agent", id)
	var err error
	if prepare != nil {
		if err = prepare(ev); err != nil {
			if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
				err = recErr
			}
		}
	}
	if err == nil {
		err = h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			_, err := store.UpdateUser(ctx, tx, inst, id, h.cfg.Now(), func(ctx context.Context, tx store.Tx, u *identity.User) error {
				return change(ctx, tx, u, ev)
			})
			return err
		})
	}
	h.afterUserAction(w, r, a, id, err, notice)
}

// afterUserAction answers a user action: on success back to the user's page with the
// notice; a refused one shows the page again with the message; a missing user is 404.
func (h *Handler) afterUserAction(w http.ResponseWriter, r *http.Request, a *adminRequest, id string, err error, notice string) {
	if err == nil {
		adminDone(w, r, "/ui/admin/users/"+id, notice)
		return
	}
	status, msg, ok := clientError(err)
	if !ok {
		h.internalError(w, r, "user action", err)
		return
	}
	if status == http.StatusNotFound {
		// The user, or a profile the form named, is not in the instance: the page says
		// which when the user is still there.
		status = http.StatusBadRequest
	}
	h.renderUser(w, r, a, nil, id, status, msg)
}

// adminUserIdentityInfo replaces the user's identity information (UpdateUserIdentityInfo).
func (h *Handler) adminUserIdentityInfo(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formUser(r)
	h.userChange(w, r, a, "user-updated", nil, func(_ context.Context, _ store.Tx, u *identity.User, _ *audit.Event) error {
		u.IdentityInfo = f.identityInfo()
		return nil
	})
}

// adminUserPhoneConfig replaces the user's phone settings (UpdateUserPhoneConfig).
func (h *Handler) adminUserPhoneConfig(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formUser(r)
	var pc identity.PhoneConfig
	h.userChange(w, r, a, "user-updated", func(*audit.Event) error {
		var err error
		pc, err = f.phoneConfig()
		return err
	}, func(_ context.Context, _ store.Tx, u *identity.User, _ *audit.Event) error {
		u.PhoneConfig = pc
		return nil
	})
}

// adminUserRoutingProfile sets the user's routing profile (UpdateUserRoutingProfile).
func (h *Handler) adminUserRoutingProfile(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formUser(r)
	h.userChange(w, r, a, "user-updated", nil, func(ctx context.Context, tx store.Tx, u *identity.User, _ *audit.Event) error {
		return store.SetUserRoutingProfile(ctx, tx, u, truncate(f.RoutingProfileID, 100))
	})
}

// adminUserSecurityProfiles replaces the user's security profiles
// (UpdateUserSecurityProfiles): its sessions end, and it enrols an authenticator at next
// sign-in when the new profiles require MFA and it has none.
func (h *Handler) adminUserSecurityProfiles(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	f := formUser(r)
	h.userChange(w, r, a, "user-updated", nil, func(ctx context.Context, tx store.Tx, u *identity.User, ev *audit.Event) error {
		n, err := store.SetUserSecurityProfiles(ctx, tx, u, f.SecurityProfileIDs)
		if err != nil {
			return err
		}
		ev.Details = map[string]string{"sessions_ended": strconv.Itoa(n), "security_profiles": strconv.Itoa(len(f.SecurityProfileIDs))}
		return nil
	})
}

// errSelf refuses an action an administrator may not take on its own user from these pages.
func errSelf(what string) error {
	return apierr.InvalidParameter("You cannot " + what + " your own user here.")
}

// adminUserStatus disables the user (field disabled=true: its sessions end at once, its
// access keys are refused everything) or enables it (disabled=false).
func (h *Handler) adminUserStatus(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("user")
	disable := r.PostFormValue("disabled") == "true"
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "agent", id)
	ev.Details = map[string]string{"disabled": strconv.FormatBool(disable)}
	var err error
	if id == a.user.ID {
		err = errSelf("disable")
		if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
			err = recErr
		}
	} else {
		err = h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			_, n, err := store.SetUserDisabled(ctx, tx, inst, id, disable, h.cfg.Now())
			ev.Details["sessions_ended"] = strconv.Itoa(n)
			return err
		})
	}
	h.afterUserAction(w, r, a, id, err, map[bool]string{true: "user-disabled", false: "user-enabled"}[disable])
}

// adminUserPassword sets the user's password (identity.ActionResetUserPassword): generated
// (shown once) or typed, following the instance's policy; every session of the user ends
// and a sign-in lockout is lifted.
func (h *Handler) adminUserPassword(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("user")
	generate := r.PostFormValue("password_mode") != "type"
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "agent", id)
	ev.Details = map[string]string{"password": map[bool]string{true: "generated", false: "typed"}[generate]}
	var u identity.User
	err := h.adminView(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, inst, id)
		return err
	})
	var pw secret.Value[string]
	hash := ""
	if err == nil && id == a.user.ID {
		err = errSelf("reset the password of")
	}
	if err == nil {
		pw, err = h.newPasswordFor(r, inst, u.Username, generate)
		if err != nil && apierr.As(err) == nil {
			h.internalError(w, r, "password", err)
			return
		}
	}
	if err == nil {
		if hash, err = h.hasher().HashPassword(ctx, pw); err != nil {
			h.internalError(w, r, "hash password", err)
			return
		}
	}
	if err != nil {
		if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
			err = recErr
		}
	} else {
		err = h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			n, err := store.ResetUserPassword(ctx, tx, inst, id, hash)
			ev.Details["sessions_ended"] = strconv.Itoa(n)
			return err
		})
	}
	if err == nil && generate {
		h.adminRender(w, r, a, http.StatusOK, "admin_password", "Password for "+u.Username, "",
			passwordShownData{UserID: u.ID, Username: u.Username, Password: pw.Reveal()})
		return
	}
	h.afterUserAction(w, r, a, id, err, "password-reset")
}

// adminUserDelete deletes the user (DeleteUser) when the form's confirmation box is ticked:
// its sessions end and its access keys are revoked.
func (h *Handler) adminUserDelete(w http.ResponseWriter, r *http.Request, a *adminRequest) {
	ctx := r.Context()
	inst := a.user.InstanceID
	id := r.PathValue("user")
	ev := h.adminEvent(r, a, a.action)
	ev.Resource = h.arn(inst, "agent", id)
	var err error
	switch {
	case id == a.user.ID:
		err = errSelf("delete")
	case r.PostFormValue("confirm") != "yes":
		err = apierr.InvalidParameter("Tick the box to confirm the deletion.")
	}
	if err != nil {
		if recErr := h.adminRecord(ctx, ev, err); recErr != nil {
			err = recErr
		}
		h.afterUserAction(w, r, a, id, err, "")
		return
	}
	err = h.adminUpdate(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		sessions, keys, err := store.DeleteUser(ctx, tx, inst, id)
		ev.Details = map[string]string{"sessions_ended": strconv.Itoa(sessions), "access_keys_revoked": strconv.Itoa(keys)}
		return err
	})
	if err != nil {
		h.afterUserAction(w, r, a, id, err, "")
		return
	}
	adminDone(w, r, "/ui/admin/users", "user-deleted")
}
