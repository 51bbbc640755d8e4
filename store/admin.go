package store

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
)

// The functions below are the administration of users, security profiles and the
// authentication profile as one transaction each: the one path the Connect API (package
// api) and the admin pages (package web) take, so both check and change the same things.
// Each runs inside tx, which the caller opened with Update and its audit event; each is
// scoped by instance and answers ResourceNotFoundException for an unknown instance or row.
// Validation errors are InvalidParameterException naming the field.

// CheckPasswordAllowed checks a new user's password against the instance's identity
// management type, as Connect's CreateUser does: a CONNECT_MANAGED instance requires one;
// SAML and EXISTING_DIRECTORY instances sign their people in elsewhere and refuse one.
// It returns InvalidParameterException.
func CheckPasswordAllowed(inst instance.Instance, hasPassword bool) error {
	switch managed := inst.IdentityManagementType == instance.IdentityManagementConnectManaged; {
	case managed && !hasPassword:
		return apierr.InvalidParameter("Password is required when the instance manages identities (CONNECT_MANAGED)")
	case !managed && hasPassword:
		return apierr.InvalidParameter("Password is not allowed when identities are managed by " + string(inst.IdentityManagementType))
	}
	return nil
}

// UpdateUser reads the user userID of the instance, lets change modify it (change may read
// and write tx, and its error aborts), validates the result (identity.User.Validate), sets
// LastModifiedTime to now (UTC, millisecond precision) and stores it. It returns the user as
// stored.
func UpdateUser(ctx context.Context, tx Tx, instanceID, userID string, now time.Time, change func(ctx context.Context, tx Tx, u *identity.User) error) (identity.User, error) {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return identity.User{}, err
	}
	u, err := tx.GetUser(ctx, instanceID, userID)
	if err != nil {
		return identity.User{}, err
	}
	if err := change(ctx, tx, &u); err != nil {
		return identity.User{}, err
	}
	if err := u.Validate(); err != nil {
		return identity.User{}, err
	}
	u.LastModifiedTime = now.UTC().Truncate(time.Millisecond)
	return u, tx.UpdateUser(ctx, u)
}

// SetUserSecurityProfiles replaces the security profiles of u (for UpdateUser's change):
// profileIDs (1 to 10, each one of the instance's, or ResourceNotFoundException naming the
// first missing one) become its list in sorted order; when the new profiles require MFA
// (identity.RequiresMFA) and the user has no confirmed authenticator it must enrol one at
// its next sign-in; and every session of the user ends, so the new rights, and the second
// factor they may require, apply from its next sign-in. It returns how many sessions ended.
func SetUserSecurityProfiles(ctx context.Context, tx Tx, u *identity.User, profileIDs []string) (int, error) {
	ids := slices.Clone(profileIDs)
	slices.Sort(ids)
	u.SecurityProfileIDs = ids
	if err := u.Validate(); err != nil {
		return 0, err
	}
	ps, err := CheckUserRefs(ctx, tx, u.InstanceID, ids, "")
	if err != nil {
		return 0, err
	}
	if identity.RequiresMFA(ps) {
		if err := requireEnrolmentWithoutTOTP(ctx, tx, u); err != nil {
			return 0, err
		}
	}
	return tx.DeleteUserSessions(ctx, u.InstanceID, u.ID)
}

// requireEnrolmentWithoutTOTP marks u to enrol an authenticator at its next sign-in unless
// it has a confirmed one.
func requireEnrolmentWithoutTOTP(ctx context.Context, tx Tx, u *identity.User) error {
	totp, err := tx.GetTOTPSecret(ctx, u.InstanceID, u.ID)
	switch {
	case apierr.HasCode(err, apierr.CodeResourceNotFound):
		u.MFAEnrollmentRequired = true
	case err != nil:
		return err
	case !totp.Confirmed:
		u.MFAEnrollmentRequired = true
	}
	return nil
}

// SetUserRoutingProfile makes routingProfileID, which must be one of the instance's
// routing profiles, u's routing profile (for UpdateUser's change).
func SetUserRoutingProfile(ctx context.Context, tx Tx, u *identity.User, routingProfileID string) error {
	if routingProfileID == "" {
		return apierr.InvalidParameter("RoutingProfileId is required")
	}
	if _, err := CheckUserRefs(ctx, tx, u.InstanceID, nil, routingProfileID); err != nil {
		return err
	}
	u.RoutingProfileID = routingProfileID
	return nil
}

// DeleteUser deletes the user with its credentials, ends its sessions and revokes its access
// keys (kept, revoked, so the audit trail can name them). It returns how many sessions ended
// and keys were revoked.
func DeleteUser(ctx context.Context, tx Tx, instanceID, userID string) (sessionsEnded, keysRevoked int, err error) {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return 0, 0, err
	}
	if _, err := tx.GetUser(ctx, instanceID, userID); err != nil {
		return 0, 0, err
	}
	if sessionsEnded, err = tx.DeleteUserSessions(ctx, instanceID, userID); err != nil {
		return 0, 0, err
	}
	if keysRevoked, err = tx.RevokeUserAccessKeys(ctx, instanceID, userID); err != nil {
		return 0, 0, err
	}
	return sessionsEnded, keysRevoked, tx.DeleteUser(ctx, instanceID, userID)
}

// SetUserDisabled disables the user (it cannot sign in, its sessions end now, its access
// keys are refused every operation while it stays disabled) or enables it again. It returns
// the user as stored and how many sessions ended.
func SetUserDisabled(ctx context.Context, tx Tx, instanceID, userID string, disabled bool, now time.Time) (identity.User, int, error) {
	ended := 0
	u, err := UpdateUser(ctx, tx, instanceID, userID, now, func(ctx context.Context, tx Tx, u *identity.User) error {
		u.Disabled = disabled
		if !disabled {
			return nil
		}
		var err error
		ended, err = tx.DeleteUserSessions(ctx, instanceID, userID)
		return err
	})
	return u, ended, err
}

// ResetUserPassword sets the password of a user of a CONNECT_MANAGED instance to
// passwordHash (identity.PasswordHasher's PHC string; the caller checks the password against
// the instance's policy and hashes it before the transaction), ends every session of the
// user and lifts a sign-in lockout (an administrator setting the password is the
// confirmation of identity PCI DSS 8.3.4 allows instead of waiting). Other instances refuse
// passwords (CheckPasswordAllowed). It returns how many sessions ended.
func ResetUserPassword(ctx context.Context, tx Tx, instanceID, userID, passwordHash string) (int, error) {
	inst, err := tx.GetInstance(ctx, instanceID)
	if err != nil {
		return 0, err
	}
	if err := CheckPasswordAllowed(inst, passwordHash != ""); err != nil {
		return 0, err
	}
	u, err := tx.GetUser(ctx, instanceID, userID)
	if err != nil {
		return 0, err
	}
	if err := tx.SetPasswordHash(ctx, instanceID, userID, passwordHash); err != nil {
		return 0, err
	}
	if err := tx.ClearAttempts(ctx, identity.AttemptKey(instanceID, u.Username)); err != nil {
		return 0, err
	}
	return tx.DeleteUserSessions(ctx, instanceID, userID)
}

// CreateSecurityProfile stores p (already through identity.NormalizeSecurityProfile) in its
// instance; a name the instance already uses is DuplicateResourceException.
func CreateSecurityProfile(ctx context.Context, tx Tx, p identity.SecurityProfile) error {
	if _, err := tx.GetInstance(ctx, p.InstanceID); err != nil {
		return err
	}
	return tx.CreateSecurityProfile(ctx, p)
}

// SecurityProfileChange is what UpdateSecurityProfile changed.
type SecurityProfileChange struct {
	// Before and After are the profile as it was and as stored.
	Before, After identity.SecurityProfile
	// MFAUsers counts the holders who need a second factor only since the change (their
	// sessions ended; those without a confirmed authenticator enrol at next sign-in);
	// SessionsEnded counts the sessions that ended.
	MFAUsers, SessionsEnded int
}

// AuditDetails are the audit event details of the change: the permission counts before and
// after ("permissions_before", "permissions_after") and, when holders need a second factor
// since, "mfa_now_required_users" and "sessions_ended".
func (c SecurityProfileChange) AuditDetails() map[string]string {
	d := map[string]string{"permissions_before": strconv.Itoa(len(c.Before.Permissions)), "permissions_after": strconv.Itoa(len(c.After.Permissions))}
	if c.MFAUsers > 0 || c.SessionsEnded > 0 {
		d["mfa_now_required_users"], d["sessions_ended"] = strconv.Itoa(c.MFAUsers), strconv.Itoa(c.SessionsEnded)
	}
	return d
}

// UpdateSecurityProfile reads the instance's profile profileID, lets change modify its
// description or permission lists, normalises and validates the result
// (identity.NormalizeSecurityProfile: every permission known, stored canonical), sets
// LastModifiedTime to now and stores it. New rights take effect at each holder's next
// request (the authorizer reads profiles afresh). When the change makes a holder need a
// second factor it did not need before (identity.RequiresMFA over all its profiles), that
// holder's sessions end and, without a confirmed authenticator, it enrols one at its next
// sign-in: a session started without MFA never carries administrative or sensitive rights.
func UpdateSecurityProfile(ctx context.Context, tx Tx, instanceID, profileID string, now time.Time, change func(p *identity.SecurityProfile)) (SecurityProfileChange, error) {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return SecurityProfileChange{}, err
	}
	before, err := tx.GetSecurityProfile(ctx, instanceID, profileID)
	if err != nil {
		return SecurityProfileChange{}, err
	}
	p := before
	p.Permissions, p.DenyPermissions = slices.Clone(before.Permissions), slices.Clone(before.DenyPermissions)
	change(&p)
	if p, err = identity.NormalizeSecurityProfile(p); err != nil {
		return SecurityProfileChange{}, err
	}
	p.ID, p.InstanceID, p.Name = before.ID, before.InstanceID, before.Name
	p.LastModifiedTime = now.UTC().Truncate(time.Millisecond)
	out := SecurityProfileChange{Before: before, After: p}
	if identity.RequiresMFA([]identity.SecurityProfile{p}) && !identity.RequiresMFA([]identity.SecurityProfile{before}) {
		if out.MFAUsers, out.SessionsEnded, err = newlyRequireMFA(ctx, tx, before, p); err != nil {
			return SecurityProfileChange{}, err
		}
	}
	return out, tx.UpdateSecurityProfile(ctx, p)
}

// newlyRequireMFA applies a profile change to its holders who need MFA only with the new
// version: their sessions end and they enrol at next sign-in when they have no confirmed
// authenticator.
func newlyRequireMFA(ctx context.Context, tx Tx, before, after identity.SecurityProfile) (users, sessions int, err error) {
	var holders []identity.User
	err = EachUser(ctx, tx, before.InstanceID, func(u identity.User) (bool, error) {
		if slices.Contains(u.SecurityProfileIDs, before.ID) {
			holders = append(holders, u)
		}
		return false, nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, u := range holders {
		old, err := tx.UserSecurityProfiles(ctx, u.InstanceID, u.ID)
		if err != nil {
			return 0, 0, err
		}
		if identity.RequiresMFA(old) {
			continue // needed a second factor already
		}
		if !u.Disabled {
			users++
		}
		if err := requireEnrolmentWithoutTOTP(ctx, tx, &u); err != nil {
			return 0, 0, err
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return 0, 0, err
		}
		n, err := tx.DeleteUserSessions(ctx, u.InstanceID, u.ID)
		if err != nil {
			return 0, 0, err
		}
		sessions += n
	}
	return users, sessions, nil
}

// DeleteSecurityProfile deletes the instance's profile profileID; while any user of the
// instance holds it the answer is ResourceInUseException naming how many.
func DeleteSecurityProfile(ctx context.Context, tx Tx, instanceID, profileID string) error {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return err
	}
	if _, err := tx.GetSecurityProfile(ctx, instanceID, profileID); err != nil {
		return err
	}
	n, err := tx.CountSecurityProfileUsers(ctx, instanceID, profileID)
	if err != nil {
		return err
	}
	if n > 0 {
		return apierr.New(apierr.CodeResourceInUse, "security profile %s is held by %d user(s); remove it from them first", profileID, n)
	}
	return tx.DeleteSecurityProfile(ctx, instanceID, profileID)
}

// UpdateAuthenticationProfile reads the instance's authentication profile profileID (the
// default one as DefaultAuthenticationProfile describes), lets change modify it (its error
// aborts), validates the result (identity.AuthenticationProfile.Validate), sets
// LastModifiedTime to now and stores it. Network rules apply to the next sign-in and to
// every request of a running session; new timeouts to sessions started afterwards. It
// returns the profile as stored.
func UpdateAuthenticationProfile(ctx context.Context, tx Tx, instanceID, profileID string, now time.Time, change func(p *identity.AuthenticationProfile) error) (identity.AuthenticationProfile, error) {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return identity.AuthenticationProfile{}, err
	}
	p, err := GetAuthenticationProfile(ctx, tx, instanceID, profileID)
	if err != nil {
		return identity.AuthenticationProfile{}, err
	}
	oldName := p.Name
	if err := change(&p); err != nil {
		return identity.AuthenticationProfile{}, err
	}
	if err := p.Validate(); err != nil {
		return identity.AuthenticationProfile{}, err
	}
	if !strings.EqualFold(p.Name, oldName) {
		all, err := ListAuthenticationProfiles(ctx, tx, instanceID, "", identity.MaxAuthenticationProfiles+1)
		if err != nil {
			return identity.AuthenticationProfile{}, err
		}
		if err := uniqueAuthProfileName(all, profileID, p.Name); err != nil {
			return identity.AuthenticationProfile{}, err
		}
	}
	p.ID, p.InstanceID = profileID, instanceID
	p.LastModifiedTime = now.UTC().Truncate(time.Millisecond)
	return p, tx.PutAuthenticationProfile(ctx, p)
}

// CreateAuthenticationProfile stores a new, non-default authentication profile of the
// instance with p's rules (ID, instance, Default and times are set here: ID a random UUID,
// CreatedTime and LastModifiedTime now). Names are unique within the instance
// (DuplicateResourceException); an instance holds at most identity.MaxAuthenticationProfiles
// profiles, the default included (ServiceQuotaExceededException). It returns the profile as
// stored. Users are assigned with tx.SetUserAuthenticationProfile.
func CreateAuthenticationProfile(ctx context.Context, tx Tx, instanceID string, p identity.AuthenticationProfile, now time.Time) (identity.AuthenticationProfile, error) {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return identity.AuthenticationProfile{}, err
	}
	if strings.TrimSpace(p.Name) == "" {
		return identity.AuthenticationProfile{}, apierr.InvalidParameter("Name is required")
	}
	if err := p.Validate(); err != nil {
		return identity.AuthenticationProfile{}, err
	}
	all, err := ListAuthenticationProfiles(ctx, tx, instanceID, "", identity.MaxAuthenticationProfiles+1)
	if err != nil {
		return identity.AuthenticationProfile{}, err
	}
	if len(all) >= identity.MaxAuthenticationProfiles {
		return identity.AuthenticationProfile{}, apierr.New(apierr.CodeServiceQuotaExceeded, "an instance holds at most %d authentication profiles", identity.MaxAuthenticationProfiles)
	}
	if err := uniqueAuthProfileName(all, "", p.Name); err != nil {
		return identity.AuthenticationProfile{}, err
	}
	p.ID, p.InstanceID, p.Default = uuid.NewString(), instanceID, false
	if p.AllowedIPs == nil {
		p.AllowedIPs = []netip.Prefix{}
	}
	if p.BlockedIPs == nil {
		p.BlockedIPs = []netip.Prefix{}
	}
	p.CreatedTime = now.UTC().Truncate(time.Millisecond)
	p.LastModifiedTime = p.CreatedTime
	return p, tx.PutAuthenticationProfile(ctx, p)
}

// uniqueAuthProfileName refuses name when a profile other than exceptID has it
// (case-insensitive).
func uniqueAuthProfileName(all []identity.AuthenticationProfile, exceptID, name string) error {
	for _, o := range all {
		if o.ID != exceptID && strings.EqualFold(o.Name, name) {
			return apierr.New(apierr.CodeDuplicateResource, "an authentication profile named %q exists", name)
		}
	}
	return nil
}

// RollAccessKey replaces the active access key oldID with next, a key the caller issued
// (identity.IssueAccessKey) with the same kind, instance and user, at the roll time
// next.CreatedTime. next is stored in the same transaction in which the old key is either
// revoked (grace 0: a client holding the old secret is refused from the commit on) or given
// the end of its grace period, next.CreatedTime + grace (identity.CheckRollGrace: at most
// identity.RollGraceMax): until then the old key still authenticates and lists as Expiring,
// from then on it is refused like a revoked key (identity.AccessKey.StatusAt), and revoking it
// ends it at once. It returns the old key as it now stands.
//
// Only a key Active at the roll time can be rolled: a revoked or expired key is
// InvalidRequestException (rolling must not bring a revoked key's access back), and so is an
// Expiring one (it was rolled already: roll the key that replaced it). A user key whose user
// was deleted is ResourceNotFoundException; an unknown oldID is ResourceNotFoundException; a
// grace out of range is InvalidParameterException.
func RollAccessKey(ctx context.Context, tx Tx, oldID string, next identity.AccessKey, grace time.Duration) (identity.AccessKey, error) {
	if err := identity.CheckRollGrace(grace); err != nil {
		return identity.AccessKey{}, err
	}
	old, err := tx.GetAccessKey(ctx, oldID)
	if err != nil {
		return identity.AccessKey{}, err
	}
	switch st := old.StatusAt(next.CreatedTime); st {
	case identity.KeyActive:
	case identity.KeyExpiring:
		return identity.AccessKey{}, apierr.New(apierr.CodeInvalidRequest, "access key %s is Expiring (rolled already, it stops at %s): roll the key that replaced it, or revoke it",
			oldID, old.ExpiresAt.Format(time.RFC3339))
	default:
		return identity.AccessKey{}, apierr.New(apierr.CodeInvalidRequest, "access key %s is %s: only an active key can be rolled", oldID, st)
	}
	if old.Kind != next.Kind || old.InstanceID != next.InstanceID || old.UserID != next.UserID {
		return identity.AccessKey{}, apierr.New(apierr.CodeInvalidRequest, "access key %s changed owner while it was rolled", oldID)
	}
	if old.Kind == identity.KeyUser {
		if _, err := tx.GetUser(ctx, old.InstanceID, old.UserID); err != nil {
			return identity.AccessKey{}, err
		}
	}
	if err := tx.CreateAccessKey(ctx, next); err != nil {
		return identity.AccessKey{}, err
	}
	if grace == 0 {
		old.Status = identity.KeyInactive
		return old, tx.SetAccessKeyStatus(ctx, oldID, identity.KeyInactive)
	}
	old.ExpiresAt = next.CreatedTime.Add(grace).UTC().Truncate(time.Millisecond)
	return old, tx.SetAccessKeyExpiry(ctx, oldID, old.ExpiresAt)
}
