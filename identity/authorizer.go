package identity

import (
	"slices"

	"github.com/ringfence/ringfence/apierr"
)

// PrincipalKind says whom a caller acts for.
type PrincipalKind string

// Principal kinds.
const (
	// PrincipalOperator is the deployment operator (Connect's IAM administrator): allowed
	// every action in every instance.
	PrincipalOperator PrincipalKind = "operator"
	// PrincipalUser is a user of one instance, limited by its security profiles.
	PrincipalUser PrincipalKind = "user"
)

// Caller is the authenticated principal of a request, as the API or web edge resolved it.
type Caller struct {
	Kind PrincipalKind
	// InstanceID and UserID are set for users.
	InstanceID string
	UserID     string
	// Profiles are the user's security profiles. Profiles of another instance are ignored.
	Profiles []SecurityProfile
}

// DeniedMessage is the message of every AccessDeniedException Authorize returns. It names
// neither the missing permission nor the deny rule: those go to the audit event (Decision).
const DeniedMessage = "You do not have sufficient access to perform this action."

// Decision is the outcome of Evaluate, with its reason for the audit event. Reason holds
// identifiers only (permission names, an action name): never a value.
type Decision struct {
	Allowed bool
	// Reason is one of: "operator", "allowed", "self" (EvaluateOn), "unknown action", "not a user",
	// "other instance", "operator only", "denied by profile", "blocked by restrictive
	// permission", "missing permission".
	Reason string
	// Permissions are the permissions behind Reason (missing, denied or blocking ones).
	Permissions []string
	// Err is nil when Allowed, else the *apierr.Error to return to the caller.
	Err error
}

// Authorize decides whether c may perform action (a Connect API operation name or a page
// action, see RequiredPermissions) on instance instanceID ("" for deployment-level actions
// such as ListInstances). It returns nil, or an *apierr.Error:
//   - ResourceNotFoundException "instance not found: ID" when a user acts on another
//     instance than its own (so instance B's resources look absent to instance A's users);
//   - AccessDeniedException with DeniedMessage otherwise.
//
// Rules, in order (deny first, default deny): operators are allowed everything; anything
// but a user is refused; an unknown action is refused; a user of another instance gets
// ResourceNotFound; an operator-only action is refused; a required permission named in any
// profile's DenyPermissions is refused; an action blocked by a restrictive permission any
// profile holds (StartTaskContact by RestrictTaskCreation.Access) is refused; otherwise every
// required permission must be allowed by at least one of the user's profiles. Older
// permission spellings match their canonical names.
func Authorize(c Caller, action, instanceID string) error {
	return Evaluate(c, action, instanceID).Err
}

// Evaluate is Authorize with the reason, for the audit event.
func Evaluate(c Caller, action, instanceID string) Decision {
	if c.Kind == PrincipalOperator {
		return Decision{Allowed: true, Reason: "operator"}
	}
	if c.Kind != PrincipalUser || c.InstanceID == "" {
		return deny("not a user", nil)
	}
	required, ok := operationPermissions[action]
	if !ok {
		return deny("unknown action", nil)
	}
	if instanceID != "" && instanceID != c.InstanceID {
		return Decision{Reason: "other instance", Err: apierr.NotFound("instance", instanceID)}
	}
	for _, p := range required {
		if p == PermissionOperator {
			return deny("operator only", []string{p})
		}
	}
	if instanceID == "" {
		// Every user action is scoped to the user's instance.
		return deny("operator only", nil)
	}

	profiles := c.Profiles[:0:0]
	for _, sp := range c.Profiles {
		if sp.InstanceID == "" || sp.InstanceID == c.InstanceID {
			profiles = append(profiles, sp)
		}
	}
	var hit []string
	for _, p := range required {
		if holds(profiles, p, true) {
			hit = append(hit, p)
		}
	}
	if len(hit) > 0 {
		return deny("denied by profile", hit)
	}
	for _, b := range operationBlockers[action] {
		if holds(profiles, b, false) && !holds(profiles, b, true) {
			hit = append(hit, b)
		}
	}
	if len(hit) > 0 {
		return deny("blocked by restrictive permission", hit)
	}
	for _, p := range required {
		if !holds(profiles, p, false) {
			hit = append(hit, p)
		}
	}
	if len(hit) > 0 {
		return deny("missing permission", hit)
	}
	return Decision{Allowed: true, Reason: "allowed"}
}

// selfActions are the actions a user may take on its own user record without the permission
// they otherwise need: DescribeUser, so an agent can read its own configuration (routing
// profile, phone settings) as Connect's agent application does for the signed-in agent;
// listing and revoking its own access keys, which hand out nothing (creating or rolling one
// still needs the permission: a leaked key must not be able to mint a successor its owner
// does not know of). Read-only.
var selfActions = map[string]bool{"DescribeUser": true, ActionListUserAccessKeys: true, ActionDeleteUserAccessKey: true}

// EvaluateOn is Evaluate for an action about one user, targetUserID ("" when the action is
// about no particular user). A user lacking the permission of a self action (DescribeUser)
// is allowed it on its own record, in its own instance (Reason "self"); a deny rule on that
// permission still refuses it, and every other outcome is Evaluate's.
func EvaluateOn(c Caller, action, instanceID, targetUserID string) Decision {
	d := Evaluate(c, action, instanceID)
	if !d.Allowed && d.Reason == "missing permission" && selfActions[action] &&
		c.Kind == PrincipalUser && targetUserID != "" && targetUserID == c.UserID && instanceID == c.InstanceID {
		return Decision{Allowed: true, Reason: "self"}
	}
	return d
}

// holds reports whether any profile lists canonical permission p, in any spelling, among its
// denies (deny true) or its allows. It scans without allocating.
func holds(profiles []SecurityProfile, p string, deny bool) bool {
	var old string // Connect's older spelling of p, if any (at most one per name)
	for o, c := range permissionAliases {
		if c == p {
			old = o
		}
	}
	for _, sp := range profiles {
		list := sp.Permissions
		if deny {
			list = sp.DenyPermissions
		}
		for _, name := range list {
			if name == p || (old != "" && name == old) {
				return true
			}
		}
	}
	return false
}

func deny(reason string, perms []string) Decision {
	return Decision{Reason: reason, Permissions: perms, Err: apierr.AccessDenied(DeniedMessage)}
}

// EffectivePermissions returns the canonical permissions a user holds through profiles: the
// union of their allows minus the union of their denies, sorted. Unknown names are dropped.
func EffectivePermissions(profiles []SecurityProfile) []string {
	allow := make(map[string]bool)
	denied := make(map[string]bool)
	for _, sp := range profiles {
		for _, p := range sp.Permissions {
			if cp, ok := CanonicalPermission(p); ok {
				allow[cp] = true
			}
		}
		for _, p := range sp.DenyPermissions {
			if cp, ok := CanonicalPermission(p); ok {
				denied[cp] = true
			}
		}
	}
	out := make([]string, 0, len(allow))
	for p := range allow {
		if !denied[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
