package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
)

// ---- passkeys ----

func (t *txn) ListPasskeys(ctx context.Context, instanceID, userID string) ([]identity.Passkey, error) {
	rows, err := t.rows(ctx, `SELECT credential_id, name, credential, created_at_ms, last_used_ms FROM user_passkeys
		WHERE instance_id = ? AND user_id = ? ORDER BY created_at_ms, credential_id`, instanceID, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	out := []identity.Passkey{}
	for rows.Next() {
		var (
			p             identity.Passkey
			created, used int64
		)
		if err := rows.Scan(&p.ID, &p.Name, &p.Credential, &created, &used); err != nil {
			return nil, fmt.Errorf("list passkeys: %w", err)
		}
		p.Created = fromMS(created)
		if used != 0 {
			p.LastUsed = fromMS(used)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return out, nil
}

func (t *txn) AddPasskey(ctx context.Context, instanceID, userID string, p identity.Passkey) error {
	if len(p.ID) == 0 || len(p.ID) > 1023 {
		return apierr.InvalidParameter("a passkey's credential ID must be 1 to 1023 bytes")
	}
	if err := t.userExists(ctx, instanceID, userID); err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	_, err := t.exec(ctx, `INSERT INTO user_passkeys (instance_id, user_id, credential_id, name, credential, created_at_ms, last_used_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, instanceID, userID, p.ID, p.Name, p.Credential, ms(p.Created), msOrZero(p.LastUsed))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "the user already has this passkey")
	}
	if err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	return nil
}

func (t *txn) UpdatePasskeyUse(ctx context.Context, instanceID, userID string, id, credential []byte, lastUsed time.Time) error {
	res, err := t.exec(ctx, `UPDATE user_passkeys SET credential = ?, last_used_ms = ?
		WHERE instance_id = ? AND user_id = ? AND credential_id = ?`, credential, ms(lastUsed), instanceID, userID, id)
	if err := mustAffect(res, err, "passkey", "(credential ID)"); err != nil {
		return fmt.Errorf("update passkey use: %w", err)
	}
	return nil
}

func (t *txn) DeletePasskey(ctx context.Context, instanceID, userID string, id []byte) error {
	res, err := t.exec(ctx, `DELETE FROM user_passkeys WHERE instance_id = ? AND user_id = ? AND credential_id = ?`, instanceID, userID, id)
	if err := mustAffect(res, err, "passkey", "(credential ID)"); err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	return nil
}

// ---- session list ----

func (t *txn) ListUserSessions(ctx context.Context, instanceID, userID string) ([]identity.Session, error) {
	rows, err := t.rows(ctx, `SELECT `+sessionCols+` FROM login_sessions WHERE instance_id = ? AND user_id = ?
		ORDER BY created_at_ms DESC, id_hash`, instanceID, userID)
	if err != nil {
		return nil, fmt.Errorf("list user sessions: %w", err)
	}
	defer rows.Close()
	out := []identity.Session{}
	for rows.Next() {
		var (
			s                       identity.Session
			created, seen, abs, idl int64
		)
		if err := rows.Scan(&s.IDHash, &s.InstanceID, &s.UserID, &created, &seen, &s.MFARequired, &s.MFASatisfied, &abs, &idl); err != nil {
			return nil, fmt.Errorf("list user sessions: %w", err)
		}
		s.Created, s.LastSeen = fromMS(created), fromMS(seen)
		s.AbsoluteTimeout, s.IdleTimeout = time.Duration(abs)*time.Millisecond, time.Duration(idl)*time.Millisecond
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list user sessions: %w", err)
	}
	return out, nil
}

// ---- authentication profiles ----

const authProfileCols = `instance_id, id, name, description, is_default, allowed_ips, blocked_ips, session_duration_ms,
	idle_timeout_ms, periodic_reauth_ms, created_at_ms, last_modified_ms`

func encodePrefixes(ps []netip.Prefix) (string, error) {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodePrefixes(s string) ([]netip.Prefix, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, err
	}
	out := make([]netip.Prefix, 0, len(list))
	for _, v := range list {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func scanAuthProfile(sc interface{ Scan(...any) error }) (identity.AuthenticationProfile, error) {
	var (
		p                          identity.AuthenticationProfile
		allowed, blocked           string
		sess, idle, reauth, c, lmt int64
	)
	if err := sc.Scan(&p.InstanceID, &p.ID, &p.Name, &p.Description, &p.Default, &allowed, &blocked, &sess, &idle, &reauth, &c, &lmt); err != nil {
		return p, err
	}
	var err error
	if p.AllowedIPs, err = decodePrefixes(allowed); err != nil {
		return p, fmt.Errorf("decode allowed ranges: %w", err)
	}
	if p.BlockedIPs, err = decodePrefixes(blocked); err != nil {
		return p, fmt.Errorf("decode blocked ranges: %w", err)
	}
	p.SessionDuration = time.Duration(sess) * time.Millisecond
	p.IdleTimeout = time.Duration(idle) * time.Millisecond
	p.PeriodicReauthentication = time.Duration(reauth) * time.Millisecond
	p.CreatedTime, p.LastModifiedTime = fromMS(c), fromMS(lmt)
	return p, nil
}

func (t *txn) PutAuthenticationProfile(ctx context.Context, p identity.AuthenticationProfile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var one int
	err := t.row(ctx, `SELECT 1 FROM instances WHERE id = ?`, p.InstanceID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apierr.NotFound("instance", p.InstanceID)
	}
	if err != nil {
		return fmt.Errorf("put authentication profile: %w", err)
	}
	allowed, err := encodePrefixes(p.AllowedIPs)
	if err != nil {
		return fmt.Errorf("put authentication profile: %w", err)
	}
	blocked, err := encodePrefixes(p.BlockedIPs)
	if err != nil {
		return fmt.Errorf("put authentication profile: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO authentication_profiles (`+authProfileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, id) DO UPDATE SET name = excluded.name, description = excluded.description,
		is_default = excluded.is_default, allowed_ips = excluded.allowed_ips, blocked_ips = excluded.blocked_ips,
		session_duration_ms = excluded.session_duration_ms, idle_timeout_ms = excluded.idle_timeout_ms,
		periodic_reauth_ms = excluded.periodic_reauth_ms, last_modified_ms = excluded.last_modified_ms`,
		p.InstanceID, p.ID, p.Name, p.Description, p.Default, allowed, blocked, p.SessionDuration.Milliseconds(),
		p.IdleTimeout.Milliseconds(), p.PeriodicReauthentication.Milliseconds(), ms(p.CreatedTime), ms(p.LastModifiedTime))
	if err != nil {
		return fmt.Errorf("put authentication profile: %w", err)
	}
	return nil
}

func (t *txn) GetAuthenticationProfile(ctx context.Context, instanceID, profileID string) (identity.AuthenticationProfile, error) {
	p, err := scanAuthProfile(t.row(ctx, `SELECT `+authProfileCols+` FROM authentication_profiles WHERE instance_id = ? AND id = ?`, instanceID, profileID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apierr.NotFound("authentication profile", profileID)
	}
	if err != nil {
		return p, fmt.Errorf("get authentication profile: %w", err)
	}
	return p, nil
}

func (t *txn) ListAuthenticationProfiles(ctx context.Context, instanceID, after string, limit int) ([]identity.AuthenticationProfile, error) {
	rows, err := t.rows(ctx, `SELECT `+authProfileCols+` FROM authentication_profiles WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`,
		instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list authentication profiles: %w", err)
	}
	defer rows.Close()
	out := []identity.AuthenticationProfile{}
	for rows.Next() {
		p, err := scanAuthProfile(rows)
		if err != nil {
			return nil, fmt.Errorf("list authentication profiles: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list authentication profiles: %w", err)
	}
	return out, nil
}

func (t *txn) DeleteAuthenticationProfile(ctx context.Context, instanceID, profileID string) error {
	p, err := t.GetAuthenticationProfile(ctx, instanceID, profileID)
	if err != nil {
		return err
	}
	if p.Default {
		return apierr.InvalidRequest("the default authentication profile cannot be deleted")
	}
	var one int
	err = t.row(ctx, `SELECT 1 FROM user_authentication_profiles WHERE instance_id = ? AND profile_id = ? LIMIT 1`, instanceID, profileID).Scan(&one)
	switch {
	case err == nil:
		return apierr.New(apierr.CodeResourceInUse, "authentication profile %s still applies to users; assign them to another profile first", profileID)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("delete authentication profile: %w", err)
	}
	res, err := t.exec(ctx, `DELETE FROM authentication_profiles WHERE instance_id = ? AND id = ?`, instanceID, profileID)
	if err := mustAffect(res, err, "authentication profile", profileID); err != nil {
		return fmt.Errorf("delete authentication profile: %w", err)
	}
	return nil
}

func (t *txn) SetUserAuthenticationProfile(ctx context.Context, instanceID, userID, profileID string) error {
	var one int
	err := t.row(ctx, `SELECT 1 FROM users WHERE instance_id = ? AND id = ?`, instanceID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apierr.NotFound("user", userID)
	}
	if err != nil {
		return fmt.Errorf("set user authentication profile: %w", err)
	}
	if profileID == "" {
		if _, err := t.exec(ctx, `DELETE FROM user_authentication_profiles WHERE instance_id = ? AND user_id = ?`, instanceID, userID); err != nil {
			return fmt.Errorf("set user authentication profile: %w", err)
		}
		return nil
	}
	p, err := t.GetAuthenticationProfile(ctx, instanceID, profileID)
	if err != nil {
		return err
	}
	if p.Default {
		return apierr.InvalidParameter("assign the default authentication profile by clearing the user's profile")
	}
	_, err = t.exec(ctx, `INSERT INTO user_authentication_profiles (instance_id, user_id, profile_id) VALUES (?, ?, ?)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET profile_id = excluded.profile_id`, instanceID, userID, profileID)
	if err != nil {
		return fmt.Errorf("set user authentication profile: %w", err)
	}
	return nil
}

func (t *txn) UserAuthenticationProfileID(ctx context.Context, instanceID, userID string) (string, error) {
	var id string
	err := t.row(ctx, `SELECT profile_id FROM user_authentication_profiles WHERE instance_id = ? AND user_id = ?`, instanceID, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("user authentication profile: %w", err)
	}
	return id, nil
}

func (t *txn) ListAuthenticationProfileUsers(ctx context.Context, instanceID, profileID, after string, limit int) ([]string, error) {
	rows, err := t.rows(ctx, `SELECT user_id FROM user_authentication_profiles
		WHERE instance_id = ? AND profile_id = ? AND user_id > ? ORDER BY user_id LIMIT ?`, instanceID, profileID, after, limit)
	return collect(rows, err, "authentication profile users", scanString)
}

func (t *txn) AssignedAuthenticationProfileIDs(ctx context.Context, instanceID string) ([]string, error) {
	rows, err := t.rows(ctx, `SELECT DISTINCT profile_id FROM user_authentication_profiles WHERE instance_id = ? ORDER BY profile_id`, instanceID)
	return collect(rows, err, "assigned authentication profiles", scanString)
}

// scanString scans a row of one text column (for collect).
func scanString(sc interface{ Scan(...any) error }) (string, error) {
	var s string
	err := sc.Scan(&s)
	return s, err
}
