package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
)

// ---- users ----

const userCols = `instance_id, id, username, first_name, last_name, email, secondary_email, mobile, phone_type, auto_accept,
	acw_time_limit_s, desk_phone_number, routing_profile_id, hierarchy_group_id, tags, disabled, mfa_enrollment_required,
	created_at_ms, last_modified_ms`

func scanUser(sc interface{ Scan(...any) error }) (identity.User, error) {
	var (
		u                 identity.User
		phoneType, tags   string
		hierarchy         sql.NullString
		created, modified int64
	)
	err := sc.Scan(&u.InstanceID, &u.ID, &u.Username, &u.IdentityInfo.FirstName, &u.IdentityInfo.LastName, &u.IdentityInfo.Email,
		&u.IdentityInfo.SecondaryEmail, &u.IdentityInfo.Mobile, &phoneType, &u.PhoneConfig.AutoAccept,
		&u.PhoneConfig.AfterContactWorkTimeLimit, &u.PhoneConfig.DeskPhoneNumber, &u.RoutingProfileID, &hierarchy, &tags,
		&u.Disabled, &u.MFAEnrollmentRequired, &created, &modified)
	if err != nil {
		return u, err
	}
	u.PhoneConfig.PhoneType = identity.PhoneType(phoneType)
	u.HierarchyGroupID = hierarchy.String
	u.CreatedTime, u.LastModifiedTime = fromMS(created), fromMS(modified)
	if err := json.Unmarshal([]byte(tags), &u.Tags); err != nil {
		return u, fmt.Errorf("decode tags: %w", err)
	}
	return u, nil
}

// userProfileIDs returns the security profile IDs of the instance's users whose ID is in
// (after, upTo], keyed by user ID, each list in ID order.
func (t *txn) userProfileIDs(ctx context.Context, instanceID, after, upTo string) (map[string][]string, error) {
	rows, err := t.rows(ctx, `SELECT user_id, security_profile_id FROM user_security_profiles
		WHERE instance_id = ? AND user_id > ? AND user_id <= ? ORDER BY user_id, security_profile_id`, instanceID, after, upTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]string)
	for rows.Next() {
		var u, p string
		if err := rows.Scan(&u, &p); err != nil {
			return nil, err
		}
		out[u] = append(out[u], p)
	}
	return out, rows.Err()
}

func (t *txn) getUser(ctx context.Context, query string, args ...any) (identity.User, error) {
	u, err := scanUser(t.row(ctx, `SELECT `+userCols+` FROM users WHERE `+query, args...))
	if err != nil {
		return u, err
	}
	rows, err := t.rows(ctx, `SELECT security_profile_id FROM user_security_profiles WHERE instance_id = ? AND user_id = ?
		ORDER BY security_profile_id`, u.InstanceID, u.ID)
	if err != nil {
		return u, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return u, err
		}
		u.SecurityProfileIDs = append(u.SecurityProfileIDs, id)
	}
	return u, rows.Err()
}

func (t *txn) GetUser(ctx context.Context, instanceID, userID string) (identity.User, error) {
	u, err := t.getUser(ctx, `instance_id = ? AND id = ?`, instanceID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return u, apierr.NotFound("user", userID)
	}
	if err != nil {
		return u, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

func (t *txn) GetUserByUsername(ctx context.Context, instanceID, username string) (identity.User, error) {
	u, err := t.getUser(ctx, `instance_id = ? AND username_norm = ?`, instanceID, identity.NormalizeUsername(username))
	if errors.Is(err, sql.ErrNoRows) {
		// The username is not echoed: it may be a mistyped password.
		return u, apierr.NotFound("user", "(by username)")
	}
	if err != nil {
		return u, fmt.Errorf("get user by username: %w", err)
	}
	return u, nil
}

func (t *txn) setUserProfiles(ctx context.Context, u identity.User) error {
	if _, err := t.exec(ctx, `DELETE FROM user_security_profiles WHERE instance_id = ? AND user_id = ?`, u.InstanceID, u.ID); err != nil {
		return err
	}
	for _, p := range u.SecurityProfileIDs {
		if _, err := t.exec(ctx, `INSERT INTO user_security_profiles (instance_id, user_id, security_profile_id) VALUES (?, ?, ?)`,
			u.InstanceID, u.ID, p); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) CreateUser(ctx context.Context, u identity.User) error {
	tags, err := json.Marshal(nonNilTags(u.Tags))
	if err != nil {
		return fmt.Errorf("create user: encode tags: %w", err)
	}
	ii, pc := u.IdentityInfo, u.PhoneConfig
	_, err = t.exec(ctx, `INSERT INTO users (`+userCols+`, username_norm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.InstanceID, u.ID, u.Username, ii.FirstName, ii.LastName, ii.Email, ii.SecondaryEmail, ii.Mobile, string(pc.PhoneType),
		pc.AutoAccept, pc.AfterContactWorkTimeLimit, pc.DeskPhoneNumber, u.RoutingProfileID, nullable(u.HierarchyGroupID),
		string(tags), u.Disabled, u.MFAEnrollmentRequired, ms(u.CreatedTime), ms(u.LastModifiedTime),
		identity.NormalizeUsername(u.Username))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a user named %q already exists in this instance", u.Username)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if err := t.setUserProfiles(ctx, u); err != nil {
		return fmt.Errorf("create user: security profiles: %w", err)
	}
	return nil
}

func (t *txn) UpdateUser(ctx context.Context, u identity.User) error {
	tags, err := json.Marshal(nonNilTags(u.Tags))
	if err != nil {
		return fmt.Errorf("update user: encode tags: %w", err)
	}
	ii, pc := u.IdentityInfo, u.PhoneConfig
	res, err := t.exec(ctx, `UPDATE users SET first_name = ?, last_name = ?, email = ?, secondary_email = ?, mobile = ?,
		phone_type = ?, auto_accept = ?, acw_time_limit_s = ?, desk_phone_number = ?, routing_profile_id = ?,
		hierarchy_group_id = ?, tags = ?, disabled = ?, mfa_enrollment_required = ?, last_modified_ms = ?
		WHERE instance_id = ? AND id = ?`,
		ii.FirstName, ii.LastName, ii.Email, ii.SecondaryEmail, ii.Mobile, string(pc.PhoneType), pc.AutoAccept,
		pc.AfterContactWorkTimeLimit, pc.DeskPhoneNumber, u.RoutingProfileID, nullable(u.HierarchyGroupID), string(tags),
		u.Disabled, u.MFAEnrollmentRequired, ms(u.LastModifiedTime), u.InstanceID, u.ID)
	if err := mustAffect(res, err, "user", u.ID); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if err := t.setUserProfiles(ctx, u); err != nil {
		return fmt.Errorf("update user: security profiles: %w", err)
	}
	return nil
}

func (t *txn) DeleteUser(ctx context.Context, instanceID, userID string) error {
	// Dependent rows go by ON DELETE CASCADE; sessions are deleted explicitly too, so the
	// user's sign-ins end even where foreign keys were off.
	if _, err := t.exec(ctx, `DELETE FROM login_sessions WHERE instance_id = ? AND user_id = ?`, instanceID, userID); err != nil {
		return fmt.Errorf("delete user: sessions: %w", err)
	}
	res, err := t.exec(ctx, `DELETE FROM users WHERE instance_id = ? AND id = ?`, instanceID, userID)
	if err := mustAffect(res, err, "user", userID); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

func (t *txn) ListUsers(ctx context.Context, instanceID, after string, limit int) ([]identity.User, error) {
	rows, err := t.rows(ctx, `SELECT `+userCols+` FROM users WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`, instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var out []identity.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids, err := t.userProfileIDs(ctx, instanceID, after, out[len(out)-1].ID)
	if err != nil {
		return nil, fmt.Errorf("list users: security profiles: %w", err)
	}
	for i := range out {
		out[i].SecurityProfileIDs = ids[out[i].ID]
	}
	return out, nil
}

func nonNilTags(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ---- security profiles ----

const securityProfileCols = `instance_id, id, name, description, permissions, deny_permissions, tags, created_at_ms, last_modified_ms`

func scanSecurityProfile(sc interface{ Scan(...any) error }) (identity.SecurityProfile, error) {
	var (
		p                       identity.SecurityProfile
		perms, denies, tags     string
		created, lastModifiedMS int64
	)
	if err := sc.Scan(&p.InstanceID, &p.ID, &p.Name, &p.Description, &perms, &denies, &tags, &created, &lastModifiedMS); err != nil {
		return p, err
	}
	p.CreatedTime, p.LastModifiedTime = fromMS(created), fromMS(lastModifiedMS)
	for _, f := range []struct {
		raw string
		dst any
	}{{perms, &p.Permissions}, {denies, &p.DenyPermissions}, {tags, &p.Tags}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return p, fmt.Errorf("decode security profile: %w", err)
		}
	}
	return p, nil
}

func encodeProfile(p identity.SecurityProfile) (perms, denies, tags string, err error) {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	b1, err := json.Marshal(nonNil(p.Permissions))
	if err != nil {
		return "", "", "", err
	}
	b2, err := json.Marshal(nonNil(p.DenyPermissions))
	if err != nil {
		return "", "", "", err
	}
	b3, err := json.Marshal(nonNilTags(p.Tags))
	return string(b1), string(b2), string(b3), err
}

func (t *txn) CreateSecurityProfile(ctx context.Context, p identity.SecurityProfile) error {
	perms, denies, tags, err := encodeProfile(p)
	if err != nil {
		return fmt.Errorf("create security profile: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO security_profiles (`+securityProfileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.InstanceID, p.ID, p.Name, p.Description, perms, denies, tags, ms(p.CreatedTime), ms(p.LastModifiedTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "a security profile named %q already exists in this instance", p.Name)
	}
	if err != nil {
		return fmt.Errorf("create security profile: %w", err)
	}
	return nil
}

func (t *txn) GetSecurityProfile(ctx context.Context, instanceID, profileID string) (identity.SecurityProfile, error) {
	p, err := scanSecurityProfile(t.row(ctx, `SELECT `+securityProfileCols+` FROM security_profiles WHERE instance_id = ? AND id = ?`, instanceID, profileID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apierr.NotFound("security profile", profileID)
	}
	if err != nil {
		return p, fmt.Errorf("get security profile: %w", err)
	}
	return p, nil
}

func (t *txn) GetSecurityProfileByName(ctx context.Context, instanceID, name string) (identity.SecurityProfile, error) {
	p, err := scanSecurityProfile(t.row(ctx, `SELECT `+securityProfileCols+` FROM security_profiles WHERE instance_id = ? AND name = ?`, instanceID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apierr.NotFound("security profile named", name)
	}
	if err != nil {
		return p, fmt.Errorf("get security profile by name: %w", err)
	}
	return p, nil
}

func (t *txn) listProfiles(ctx context.Context, query string, args ...any) ([]identity.SecurityProfile, error) {
	rows, err := t.rows(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.SecurityProfile
	for rows.Next() {
		p, err := scanSecurityProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *txn) ListSecurityProfiles(ctx context.Context, instanceID, after string, limit int) ([]identity.SecurityProfile, error) {
	out, err := t.listProfiles(ctx, `SELECT `+securityProfileCols+` FROM security_profiles WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`,
		instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list security profiles: %w", err)
	}
	return out, nil
}

func (t *txn) UpdateSecurityProfile(ctx context.Context, p identity.SecurityProfile) error {
	perms, denies, tags, err := encodeProfile(p)
	if err != nil {
		return fmt.Errorf("update security profile: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE security_profiles SET description = ?, permissions = ?, deny_permissions = ?, tags = ?,
		last_modified_ms = ? WHERE instance_id = ? AND id = ?`, p.Description, perms, denies, tags, ms(p.LastModifiedTime), p.InstanceID, p.ID)
	if err := mustAffect(res, err, "security profile", p.ID); err != nil {
		return fmt.Errorf("update security profile: %w", err)
	}
	return nil
}

func (t *txn) DeleteSecurityProfile(ctx context.Context, instanceID, profileID string) error {
	n, err := t.CountSecurityProfileUsers(ctx, instanceID, profileID)
	if err != nil {
		return fmt.Errorf("delete security profile: %w", err)
	}
	if n > 0 {
		return apierr.New(apierr.CodeResourceInUse, "security profile %s is held by %d user(s)", profileID, n)
	}
	res, err := t.exec(ctx, `DELETE FROM security_profiles WHERE instance_id = ? AND id = ?`, instanceID, profileID)
	if err := mustAffect(res, err, "security profile", profileID); err != nil {
		return fmt.Errorf("delete security profile: %w", err)
	}
	return nil
}

func (t *txn) CountSecurityProfileUsers(ctx context.Context, instanceID, profileID string) (int, error) {
	var n int
	err := t.row(ctx, `SELECT COUNT(*) FROM user_security_profiles WHERE instance_id = ? AND security_profile_id = ?`,
		instanceID, profileID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count security profile users: %w", err)
	}
	return n, nil
}

func (t *txn) UserSecurityProfiles(ctx context.Context, instanceID, userID string) ([]identity.SecurityProfile, error) {
	cols := "sp." + strings.ReplaceAll(securityProfileCols, ", ", ", sp.")
	out, err := t.listProfiles(ctx, `SELECT `+cols+` FROM user_security_profiles usp
		JOIN users u ON u.instance_id = usp.instance_id AND u.id = usp.user_id
		JOIN security_profiles sp ON sp.instance_id = usp.instance_id AND sp.id = usp.security_profile_id
		WHERE usp.instance_id = ? AND usp.user_id = ? AND u.disabled = ? ORDER BY sp.id`, instanceID, userID, false)
	if err != nil {
		return nil, fmt.Errorf("user security profiles: %w", err)
	}
	return out, nil
}

// ---- credentials and MFA ----

// userExists returns ResourceNotFoundException for a user the instance does not have.
func (t *txn) userExists(ctx context.Context, instanceID, userID string) error {
	var one int
	err := t.row(ctx, `SELECT 1 FROM users WHERE instance_id = ? AND id = ?`, instanceID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apierr.NotFound("user", userID)
	}
	return err
}

func (t *txn) GetPasswordHash(ctx context.Context, instanceID, userID string) (string, error) {
	var h string
	err := t.row(ctx, `SELECT password_hash FROM user_credentials WHERE instance_id = ? AND user_id = ?`, instanceID, userID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apierr.NotFound("password of user", userID)
	}
	if err != nil {
		return "", fmt.Errorf("get password hash: %w", err)
	}
	return h, nil
}

func (t *txn) SetPasswordHash(ctx context.Context, instanceID, userID, hash string) error {
	if err := t.userExists(ctx, instanceID, userID); err != nil {
		return fmt.Errorf("set password hash: %w", err)
	}
	_, err := t.exec(ctx, `INSERT INTO user_credentials (instance_id, user_id, password_hash) VALUES (?, ?, ?)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET password_hash = excluded.password_hash`, instanceID, userID, hash)
	if err != nil {
		return fmt.Errorf("set password hash: %w", err)
	}
	return nil
}

func (t *txn) SetTOTPSecret(ctx context.Context, instanceID, userID string, s identity.TOTPSecret) error {
	if err := t.userExists(ctx, instanceID, userID); err != nil {
		return fmt.Errorf("set totp secret: %w", err)
	}
	_, err := t.exec(ctx, `INSERT INTO user_totp (instance_id, user_id, secret_ciphertext, confirmed, created_at_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET secret_ciphertext = excluded.secret_ciphertext,
		confirmed = excluded.confirmed, created_at_ms = excluded.created_at_ms`,
		instanceID, userID, s.Ciphertext, s.Confirmed, ms(s.CreatedTime))
	if err != nil {
		return fmt.Errorf("set totp secret: %w", err)
	}
	return nil
}

func (t *txn) GetTOTPSecret(ctx context.Context, instanceID, userID string) (identity.TOTPSecret, error) {
	var (
		s       identity.TOTPSecret
		created int64
	)
	err := t.row(ctx, `SELECT secret_ciphertext, confirmed, created_at_ms FROM user_totp WHERE instance_id = ? AND user_id = ?`,
		instanceID, userID).Scan(&s.Ciphertext, &s.Confirmed, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return s, apierr.NotFound("TOTP secret of user", userID)
	}
	if err != nil {
		return s, fmt.Errorf("get totp secret: %w", err)
	}
	s.CreatedTime = fromMS(created)
	return s, nil
}

func (t *txn) ConfirmTOTPSecret(ctx context.Context, instanceID, userID string) error {
	res, err := t.exec(ctx, `UPDATE user_totp SET confirmed = ? WHERE instance_id = ? AND user_id = ?`, true, instanceID, userID)
	if err := mustAffect(res, err, "TOTP secret of user", userID); err != nil {
		return fmt.Errorf("confirm totp secret: %w", err)
	}
	return nil
}

func (t *txn) DeleteTOTPSecret(ctx context.Context, instanceID, userID string) error {
	res, err := t.exec(ctx, `DELETE FROM user_totp WHERE instance_id = ? AND user_id = ?`, instanceID, userID)
	if err := mustAffect(res, err, "TOTP secret of user", userID); err != nil {
		return fmt.Errorf("delete totp secret: %w", err)
	}
	if _, err := t.exec(ctx, `DELETE FROM user_totp_steps WHERE instance_id = ? AND user_id = ?`, instanceID, userID); err != nil {
		return fmt.Errorf("delete totp secret: steps: %w", err)
	}
	return nil
}

// UseTOTPStep records step with one conditional upsert: the row changes only when step is
// greater than the stored one, so of concurrent callers with the same step exactly one sees
// a changed row.
func (t *txn) UseTOTPStep(ctx context.Context, instanceID, userID string, step int64) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO user_totp_steps (instance_id, user_id, last_step) VALUES (?, ?, ?)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET last_step = excluded.last_step
		WHERE user_totp_steps.last_step < excluded.last_step`, instanceID, userID, step)
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	return n == 1, nil
}

func (t *txn) ConsumeRecoveryCode(ctx context.Context, instanceID, userID, hash string) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM user_recovery_codes WHERE instance_id = ? AND user_id = ? AND code_hash = ?`, instanceID, userID, hash)
	if err != nil {
		return false, fmt.Errorf("consume recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("consume recovery code: %w", err)
	}
	return n == 1, nil
}

func (t *txn) ReplaceRecoveryCodes(ctx context.Context, instanceID, userID string, hashes []string) error {
	if err := t.userExists(ctx, instanceID, userID); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	if _, err := t.exec(ctx, `DELETE FROM user_recovery_codes WHERE instance_id = ? AND user_id = ?`, instanceID, userID); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, `INSERT INTO user_recovery_codes (instance_id, user_id, code_hash) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, instanceID, userID, h); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
	}
	return nil
}

// ---- sessions ----

const sessionCols = `id_hash, instance_id, user_id, created_at_ms, last_seen_ms, mfa_required, mfa_satisfied, absolute_timeout_ms, idle_timeout_ms`

func (t *txn) CreateSession(ctx context.Context, s identity.Session) error {
	_, err := t.exec(ctx, `INSERT INTO login_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.IDHash, s.InstanceID, s.UserID, ms(s.Created), ms(s.LastSeen), s.MFARequired, s.MFASatisfied,
		s.AbsoluteTimeout.Milliseconds(), s.IdleTimeout.Milliseconds())
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "session already exists")
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (t *txn) GetSession(ctx context.Context, idHash string) (identity.Session, error) {
	var (
		s                       identity.Session
		created, seen, abs, idl int64
	)
	err := t.row(ctx, `SELECT `+sessionCols+` FROM login_sessions WHERE id_hash = ?`, idHash).Scan(
		&s.IDHash, &s.InstanceID, &s.UserID, &created, &seen, &s.MFARequired, &s.MFASatisfied, &abs, &idl)
	if errors.Is(err, sql.ErrNoRows) {
		return s, apierr.NotFound("session", "(hash)")
	}
	if err != nil {
		return s, fmt.Errorf("get session: %w", err)
	}
	s.Created, s.LastSeen = fromMS(created), fromMS(seen)
	s.AbsoluteTimeout, s.IdleTimeout = time.Duration(abs)*time.Millisecond, time.Duration(idl)*time.Millisecond
	return s, nil
}

func (t *txn) TouchSession(ctx context.Context, idHash string, lastSeen time.Time) error {
	res, err := t.exec(ctx, `UPDATE login_sessions SET last_seen_ms = ? WHERE id_hash = ?`, ms(lastSeen), idHash)
	if err := mustAffect(res, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (t *txn) SatisfySessionMFA(ctx context.Context, idHash string) error {
	res, err := t.exec(ctx, `UPDATE login_sessions SET mfa_satisfied = ? WHERE id_hash = ?`, true, idHash)
	if err := mustAffect(res, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("satisfy session mfa: %w", err)
	}
	return nil
}

func (t *txn) DeleteSession(ctx context.Context, idHash string) error {
	res, err := t.exec(ctx, `DELETE FROM login_sessions WHERE id_hash = ?`, idHash)
	if err := mustAffect(res, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (t *txn) DeleteUserSessions(ctx context.Context, instanceID, userID string) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM login_sessions WHERE instance_id = ? AND user_id = ?`, instanceID, userID)
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", err)
	}
	return int(n), nil
}

// ---- sign-in attempts ----

// attemptKey returns the stored form of an identity.AttemptKey: its hex SHA-256 (so what was
// typed as a username is never stored) and the instance ID before its NUL separator.
func attemptKey(key string) (hash, instanceID string) {
	sum := sha256.Sum256([]byte(key))
	instanceID, _, _ = strings.Cut(key, "\x00")
	return hex.EncodeToString(sum[:]), instanceID
}

// ReserveAttempt counts one attempt with a conditional update inside the caller's
// transaction: the row is created if missing, an ended lock is reset, and the count is
// raised only while it is below limit and no lock holds. Under concurrency the database
// serialises the updates of the row (PostgreSQL re-checks the WHERE clause on the newest
// row version), so no more than limit attempts are ever granted.
func (t *txn) ReserveAttempt(ctx context.Context, key string, now time.Time, limit int, lockout time.Duration) (bool, time.Time, error) {
	kh, inst := attemptKey(key)
	nowMS := ms(now)
	if _, err := t.exec(ctx, `INSERT INTO signin_attempts (key_hash, instance_id, failures, locked_until_ms, last_attempt_ms)
		VALUES (?, ?, 0, 0, ?) ON CONFLICT (key_hash) DO NOTHING`, kh, inst, nowMS); err != nil {
		return false, time.Time{}, fmt.Errorf("reserve attempt: %w", err)
	}
	if _, err := t.exec(ctx, `UPDATE signin_attempts SET failures = 0, locked_until_ms = 0
		WHERE key_hash = ? AND locked_until_ms <> 0 AND locked_until_ms <= ?`, kh, nowMS); err != nil {
		return false, time.Time{}, fmt.Errorf("reserve attempt: reset ended lock: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE signin_attempts SET failures = failures + 1, last_attempt_ms = ?,
		locked_until_ms = CASE WHEN failures + 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END
		WHERE key_hash = ? AND failures < ? AND locked_until_ms = 0`, nowMS, limit, ms(now.Add(lockout)), kh, limit)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("reserve attempt: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("reserve attempt: %w", err)
	}
	var until int64
	if err := t.row(ctx, `SELECT locked_until_ms FROM signin_attempts WHERE key_hash = ?`, kh).Scan(&until); err != nil {
		return false, time.Time{}, fmt.Errorf("reserve attempt: %w", err)
	}
	var lockedUntil time.Time
	if until != 0 {
		lockedUntil = fromMS(until)
	}
	return n == 1, lockedUntil, nil
}

func (t *txn) ClearAttempts(ctx context.Context, key string) error {
	kh, _ := attemptKey(key)
	if _, err := t.exec(ctx, `DELETE FROM signin_attempts WHERE key_hash = ?`, kh); err != nil {
		return fmt.Errorf("clear attempts: %w", err)
	}
	return nil
}

// ---- user access keys ----

func (t *txn) RevokeUserAccessKeys(ctx context.Context, instanceID, userID string) (int, error) {
	res, err := t.exec(ctx, `UPDATE access_keys SET status = ? WHERE instance_id = ? AND user_id = ? AND kind = ? AND status = ?`,
		string(identity.KeyInactive), instanceID, userID, string(identity.KeyUser), string(identity.KeyActive))
	if err != nil {
		return 0, fmt.Errorf("revoke user access keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke user access keys: %w", err)
	}
	return int(n), nil
}
