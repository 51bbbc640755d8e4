package store

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
)

// UserProfiles gives the authorizer the security profiles of a user, read in one View of
// Store (it implements the API's ProfileSource). An unknown or disabled user holds none, so
// its access keys are refused every operation (default deny).
type UserProfiles struct {
	Store Store
}

// SecurityProfilesFor returns the profiles of the user in the instance, in ID order.
func (p UserProfiles) SecurityProfilesFor(ctx context.Context, instanceID, userID string) ([]identity.SecurityProfile, error) {
	var out []identity.SecurityProfile
	err := p.Store.View(ctx, nil, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = tx.UserSecurityProfiles(ctx, instanceID, userID)
		return err
	})
	return out, err
}

// EachUser calls fn for every user of the instance, in ID order, a page at a time, until fn
// returns stop=true or an error.
func EachUser(ctx context.Context, tx Tx, instanceID string, fn func(identity.User) (stop bool, err error)) error {
	const page = 200
	after := ""
	for {
		users, err := tx.ListUsers(ctx, instanceID, after, page)
		if err != nil {
			return err
		}
		for _, u := range users {
			if stop, err := fn(u); stop || err != nil {
				return err
			}
		}
		if len(users) < page {
			return nil
		}
		after = users[len(users)-1].ID
	}
}

// Identity runs each identity store call in a transaction of its own, without an audit event
// (the caller records the authentication event), so the sign-in code can hand it to
// identity.Authenticator, identity.SessionManager and identity.TOTPVerifier, and the pages
// (package web) their stores. It implements identity.UserStore, CredentialStore,
// AttemptStore, SessionStore, SessionLister, TOTPStore, RecoveryCodeStore and PasskeyStore,
// and web's MFAStore and AuthProfileSource (asserted where the node wires them). Reads use
// View, writes Update.
type Identity struct {
	Store Store
}

func (s Identity) view(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return s.Store.View(ctx, nil, fn)
}

func (s Identity) update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return s.Store.Update(ctx, nil, fn)
}

// GetUser implements identity.UserStore.
func (s Identity) GetUser(ctx context.Context, instanceID, userID string) (u identity.User, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error { u, err = tx.GetUser(ctx, instanceID, userID); return err })
	return u, err
}

// GetUserByUsername implements identity.UserStore.
func (s Identity) GetUserByUsername(ctx context.Context, instanceID, username string) (u identity.User, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		u, err = tx.GetUserByUsername(ctx, instanceID, username)
		return err
	})
	return u, err
}

// GetPasswordHash implements identity.CredentialStore.
func (s Identity) GetPasswordHash(ctx context.Context, instanceID, userID string) (h string, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		h, err = tx.GetPasswordHash(ctx, instanceID, userID)
		return err
	})
	return h, err
}

// SetPasswordHash implements identity.CredentialStore.
func (s Identity) SetPasswordHash(ctx context.Context, instanceID, userID, hash string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.SetPasswordHash(ctx, instanceID, userID, hash) })
}

// ReserveAttempt implements identity.AttemptStore.
func (s Identity) ReserveAttempt(ctx context.Context, key string, now time.Time, limit int, lockout time.Duration) (ok bool, until time.Time, err error) {
	err = s.update(ctx, func(ctx context.Context, tx Tx) error {
		ok, until, err = tx.ReserveAttempt(ctx, key, now, limit, lockout)
		return err
	})
	return ok, until, err
}

// ClearAttempts implements identity.AttemptStore.
func (s Identity) ClearAttempts(ctx context.Context, key string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.ClearAttempts(ctx, key) })
}

// CreateSession implements identity.SessionStore.
func (s Identity) CreateSession(ctx context.Context, sess identity.Session) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.CreateSession(ctx, sess) })
}

// GetSession implements identity.SessionStore.
func (s Identity) GetSession(ctx context.Context, idHash string) (sess identity.Session, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error { sess, err = tx.GetSession(ctx, idHash); return err })
	return sess, err
}

// TouchSession implements identity.SessionStore.
func (s Identity) TouchSession(ctx context.Context, idHash string, lastSeen time.Time) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.TouchSession(ctx, idHash, lastSeen) })
}

// SatisfySessionMFA implements identity.SessionStore.
func (s Identity) SatisfySessionMFA(ctx context.Context, idHash string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.SatisfySessionMFA(ctx, idHash) })
}

// DeleteSession implements identity.SessionStore.
func (s Identity) DeleteSession(ctx context.Context, idHash string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.DeleteSession(ctx, idHash) })
}

// DeleteUserSessions implements identity.SessionStore.
func (s Identity) DeleteUserSessions(ctx context.Context, instanceID, userID string) (n int, err error) {
	err = s.update(ctx, func(ctx context.Context, tx Tx) error {
		n, err = tx.DeleteUserSessions(ctx, instanceID, userID)
		return err
	})
	return n, err
}

// UseTOTPStep implements identity.TOTPStore.
func (s Identity) UseTOTPStep(ctx context.Context, instanceID, userID string, step int64) (ok bool, err error) {
	err = s.update(ctx, func(ctx context.Context, tx Tx) error {
		ok, err = tx.UseTOTPStep(ctx, instanceID, userID, step)
		return err
	})
	return ok, err
}

// ConsumeRecoveryCode implements identity.RecoveryCodeStore.
func (s Identity) ConsumeRecoveryCode(ctx context.Context, instanceID, userID, hash string) (ok bool, err error) {
	err = s.update(ctx, func(ctx context.Context, tx Tx) error {
		ok, err = tx.ConsumeRecoveryCode(ctx, instanceID, userID, hash)
		return err
	})
	return ok, err
}

// GetTOTPSecret returns the user's sealed TOTP secret (web.MFAStore).
func (s Identity) GetTOTPSecret(ctx context.Context, instanceID, userID string) (sec identity.TOTPSecret, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		sec, err = tx.GetTOTPSecret(ctx, instanceID, userID)
		return err
	})
	return sec, err
}

// PutTOTPSecret stores or replaces the user's sealed TOTP secret (web.MFAStore).
func (s Identity) PutTOTPSecret(ctx context.Context, instanceID, userID string, sec identity.TOTPSecret) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.SetTOTPSecret(ctx, instanceID, userID, sec) })
}

// SetRecoveryCodes makes hashes the user's only unused recovery codes (web.MFAStore).
func (s Identity) SetRecoveryCodes(ctx context.Context, instanceID, userID string, hashes []string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, instanceID, userID, hashes)
	})
}

// ListPasskeys implements identity.PasskeyStore.
func (s Identity) ListPasskeys(ctx context.Context, instanceID, userID string) (out []identity.Passkey, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		out, err = tx.ListPasskeys(ctx, instanceID, userID)
		return err
	})
	return out, err
}

// AddPasskey implements identity.PasskeyStore.
func (s Identity) AddPasskey(ctx context.Context, instanceID, userID string, p identity.Passkey) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.AddPasskey(ctx, instanceID, userID, p) })
}

// UpdatePasskeyUse implements identity.PasskeyStore.
func (s Identity) UpdatePasskeyUse(ctx context.Context, instanceID, userID string, id, credential []byte, lastUsed time.Time) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.UpdatePasskeyUse(ctx, instanceID, userID, id, credential, lastUsed)
	})
}

// DeletePasskey implements identity.PasskeyStore.
func (s Identity) DeletePasskey(ctx context.Context, instanceID, userID string, id []byte) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.DeletePasskey(ctx, instanceID, userID, id) })
}

// ListUserSessions implements identity.SessionLister.
func (s Identity) ListUserSessions(ctx context.Context, instanceID, userID string) (out []identity.Session, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		out, err = tx.ListUserSessions(ctx, instanceID, userID)
		return err
	})
	return out, err
}

// AuthenticationProfileFor returns the authentication profile that applies to the user: the
// profile it is assigned to, else the instance's default (see DefaultAuthenticationProfile).
// userID "" asks for the default. An unknown instance is ResourceNotFoundException.
func (s Identity) AuthenticationProfileFor(ctx context.Context, instanceID, userID string) (p identity.AuthenticationProfile, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		p, err = UserAuthenticationProfile(ctx, tx, instanceID, userID)
		return err
	})
	return p, err
}

// SignInAuthenticationProfile returns the authentication profile in force for a password
// sign-in with the typed username, before the password is checked: the profile of the user
// the username names (identity.NormalizeUsername) when it is assigned to one, else the
// instance's default. perUser is true when the profile is not the default, so that the
// caller can answer a network refusal without revealing that the username exists.
func (s Identity) SignInAuthenticationProfile(ctx context.Context, instanceID, username string) (p identity.AuthenticationProfile, perUser bool, err error) {
	err = s.view(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.GetUserByUsername(ctx, instanceID, username)
		switch {
		case apierr.HasCode(err, apierr.CodeResourceNotFound):
			u = identity.User{}
		case err != nil:
			return err
		}
		p, err = UserAuthenticationProfile(ctx, tx, instanceID, u.ID)
		return err
	})
	return p, err == nil && !p.Default, err
}

// CheckSignInNetwork refuses a client address that no authentication profile in force on the
// instance admits (identity.CheckIPAny over the default profile and every profile a user is
// assigned to): the check an SSO sign-in can make before it knows the user. The user's own
// profile is checked again when the session starts. Refusal: AccessDeniedException with
// identity.NetworkDeniedMessage.
func (s Identity) CheckSignInNetwork(ctx context.Context, instanceID string, ip netip.Addr) error {
	var inForce []identity.AuthenticationProfile
	err := s.view(ctx, func(ctx context.Context, tx Tx) error {
		assigned, err := tx.AssignedAuthenticationProfileIDs(ctx, instanceID)
		if err != nil {
			return err
		}
		all, err := ListAuthenticationProfiles(ctx, tx, instanceID, "", identity.MaxAuthenticationProfiles)
		for _, p := range all {
			if p.Default || slices.Contains(assigned, p.ID) {
				inForce = append(inForce, p)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return identity.CheckIPAny(inForce, ip)
}

// UserAuthenticationProfile returns the authentication profile that applies to the user (the
// one it is assigned to, else the instance's default); userID "" or an unknown user gets the
// default.
func UserAuthenticationProfile(ctx context.Context, tx Tx, instanceID, userID string) (identity.AuthenticationProfile, error) {
	if userID != "" {
		id, err := tx.UserAuthenticationProfileID(ctx, instanceID, userID)
		if err != nil {
			return identity.AuthenticationProfile{}, err
		}
		if id != "" {
			return tx.GetAuthenticationProfile(ctx, instanceID, id)
		}
	}
	return DefaultAuthenticationProfile(ctx, tx, instanceID)
}

// DefaultAuthenticationProfile returns the instance's default authentication profile. An
// instance created before profiles were stored has no row for it: it reads as
// identity.DefaultAuthenticationProfile (every network, default timeouts) until it is first
// updated. An unknown instance is ResourceNotFoundException.
func DefaultAuthenticationProfile(ctx context.Context, tx Tx, instanceID string) (identity.AuthenticationProfile, error) {
	return GetAuthenticationProfile(ctx, tx, instanceID, identity.DefaultAuthenticationProfileID(instanceID))
}

// GetAuthenticationProfile returns the instance's authentication profile profileID, the
// default one as DefaultAuthenticationProfile describes. Unknown instance or profile:
// ResourceNotFoundException.
func GetAuthenticationProfile(ctx context.Context, tx Tx, instanceID, profileID string) (identity.AuthenticationProfile, error) {
	p, err := tx.GetAuthenticationProfile(ctx, instanceID, profileID)
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) || profileID != identity.DefaultAuthenticationProfileID(instanceID) {
		return p, err
	}
	inst, err := tx.GetInstance(ctx, instanceID)
	if err != nil {
		return identity.AuthenticationProfile{}, err
	}
	return identity.DefaultAuthenticationProfile(instanceID, inst.CreatedTime), nil
}

// ListAuthenticationProfiles returns up to limit of the instance's profiles with IDs after
// after, in ID order, the default one included as DefaultAuthenticationProfile describes.
func ListAuthenticationProfiles(ctx context.Context, tx Tx, instanceID, after string, limit int) ([]identity.AuthenticationProfile, error) {
	out, err := tx.ListAuthenticationProfiles(ctx, instanceID, after, limit)
	if err != nil {
		return nil, err
	}
	def := identity.DefaultAuthenticationProfileID(instanceID)
	if def <= after || slices.ContainsFunc(out, func(p identity.AuthenticationProfile) bool { return p.ID == def }) ||
		(len(out) == limit && out[len(out)-1].ID < def) {
		return out, nil
	}
	if _, err := tx.GetAuthenticationProfile(ctx, instanceID, def); err == nil || !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return out, err
	}
	p, err := GetAuthenticationProfile(ctx, tx, instanceID, def)
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(out, def, func(p identity.AuthenticationProfile, id string) int { return strings.Compare(p.ID, id) })
	out = slices.Insert(out, i, p)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Compile-time checks.
var (
	_ identity.PasskeyStore      = Identity{}
	_ identity.SessionLister     = Identity{}
	_ identity.UserStore         = Identity{}
	_ identity.CredentialStore   = Identity{}
	_ identity.AttemptStore      = Identity{}
	_ identity.SessionStore      = Identity{}
	_ identity.TOTPStore         = Identity{}
	_ identity.RecoveryCodeStore = Identity{}
)

// CheckUserRefs checks, inside tx, what a user of the instance refers to: the instance
// exists, every security profile is one of its own and the routing profile (when not empty)
// exists. It returns the profiles in the order given, or ResourceNotFoundException naming
// the first missing one.
func CheckUserRefs(ctx context.Context, tx Tx, instanceID string, profileIDs []string, routingProfileID string) ([]identity.SecurityProfile, error) {
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return nil, err
	}
	ps := make([]identity.SecurityProfile, 0, len(profileIDs))
	for _, id := range profileIDs {
		p, err := tx.GetSecurityProfile(ctx, instanceID, id)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if routingProfileID != "" {
		if _, err := tx.GetRoutingProfile(ctx, instanceID, routingProfileID); err != nil {
			if apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return nil, apierr.NotFound("routing profile", routingProfileID)
			}
			return nil, err
		}
	}
	return ps, nil
}

// CreateUser adds u to its instance inside tx: the one path every creator of users takes (the
// CreateUser API, bootstrap and the demo, SSO just-in-time users). The references are checked
// with CheckUserRefs; MFAEnrollmentRequired is set when u asks for it or its profiles require
// MFA (identity.RequiresMFA); a non-empty passwordHash (identity.PasswordHasher's PHC string)
// is stored with the user. The caller validates u first (identity.User.Validate) and decides
// whether the instance allows a password. A username already taken is
// DuplicateResourceException. It returns the user as stored.
func CreateUser(ctx context.Context, tx Tx, u identity.User, passwordHash string) (identity.User, error) {
	ps, err := CheckUserRefs(ctx, tx, u.InstanceID, u.SecurityProfileIDs, u.RoutingProfileID)
	if err != nil {
		return u, err
	}
	u.MFAEnrollmentRequired = u.MFAEnrollmentRequired || identity.RequiresMFA(ps)
	if err := tx.CreateUser(ctx, u); err != nil {
		return u, err
	}
	if passwordHash != "" {
		if err := tx.SetPasswordHash(ctx, u.InstanceID, u.ID, passwordHash); err != nil {
			return u, err
		}
	}
	return u, nil
}
