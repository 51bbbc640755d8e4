package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/secret"
)

// ---- SSO configuration ----

const samlCols = `instance_id, idp_metadata, sp_entity_id, username_attribute, first_name_attribute, last_name_attribute,
	jit_security_profile_id, jit_routing_profile_id, updated_at_ms`

func (t *txn) PutSAMLConfig(ctx context.Context, c identity.SAMLConfig) error {
	_, err := t.exec(ctx, `INSERT INTO sso_saml_configs (`+samlCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id) DO UPDATE SET idp_metadata = excluded.idp_metadata, sp_entity_id = excluded.sp_entity_id,
			username_attribute = excluded.username_attribute, first_name_attribute = excluded.first_name_attribute,
			last_name_attribute = excluded.last_name_attribute, jit_security_profile_id = excluded.jit_security_profile_id,
			jit_routing_profile_id = excluded.jit_routing_profile_id, updated_at_ms = excluded.updated_at_ms`,
		c.InstanceID, c.IdPMetadata, c.SPEntityID, c.UsernameAttribute, c.FirstNameAttribute, c.LastNameAttribute,
		c.JIT.SecurityProfileID, c.JIT.RoutingProfileID, ms(c.UpdatedTime))
	if err != nil {
		return fmt.Errorf("put saml config: %w", err)
	}
	return nil
}

func (t *txn) GetSAMLConfig(ctx context.Context, instanceID string) (identity.SAMLConfig, error) {
	var (
		c       identity.SAMLConfig
		updated int64
	)
	err := t.row(ctx, `SELECT `+samlCols+` FROM sso_saml_configs WHERE instance_id = ?`, instanceID).Scan(
		&c.InstanceID, &c.IdPMetadata, &c.SPEntityID, &c.UsernameAttribute, &c.FirstNameAttribute, &c.LastNameAttribute,
		&c.JIT.SecurityProfileID, &c.JIT.RoutingProfileID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apierr.NotFound("SAML configuration of instance", instanceID)
	}
	if err != nil {
		return c, fmt.Errorf("get saml config: %w", err)
	}
	c.UpdatedTime = fromMS(updated)
	return c, nil
}

func (t *txn) DeleteSAMLConfig(ctx context.Context, instanceID string) error {
	res, err := t.exec(ctx, `DELETE FROM sso_saml_configs WHERE instance_id = ?`, instanceID)
	if err := mustAffect(res, err, "SAML configuration of instance", instanceID); err != nil {
		return fmt.Errorf("delete saml config: %w", err)
	}
	return nil
}

const oidcCols = `instance_id, issuer, client_id, client_secret, scopes, username_claim, first_name_claim, last_name_claim,
	jit_security_profile_id, jit_routing_profile_id, updated_at_ms`

func (t *txn) PutOIDCConfig(ctx context.Context, c identity.OIDCConfig) error {
	sealed, err := t.seal(ctx, []byte(c.ClientSecret.Reveal()), identity.OIDCClientSecretAAD(c.InstanceID))
	if err != nil {
		return fmt.Errorf("put oidc config: seal client secret: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO sso_oidc_configs (`+oidcCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
			client_secret = excluded.client_secret, scopes = excluded.scopes, username_claim = excluded.username_claim,
			first_name_claim = excluded.first_name_claim, last_name_claim = excluded.last_name_claim,
			jit_security_profile_id = excluded.jit_security_profile_id, jit_routing_profile_id = excluded.jit_routing_profile_id,
			updated_at_ms = excluded.updated_at_ms`,
		c.InstanceID, c.Issuer, c.ClientID, sealed, strings.Join(c.Scopes, " "), c.UsernameClaim, c.FirstNameClaim, c.LastNameClaim,
		c.JIT.SecurityProfileID, c.JIT.RoutingProfileID, ms(c.UpdatedTime))
	if err != nil {
		return fmt.Errorf("put oidc config: %w", err)
	}
	return nil
}

func (t *txn) GetOIDCConfig(ctx context.Context, instanceID string) (identity.OIDCConfig, error) {
	var (
		c       identity.OIDCConfig
		sealed  []byte
		scopes  string
		updated int64
	)
	err := t.row(ctx, `SELECT `+oidcCols+` FROM sso_oidc_configs WHERE instance_id = ?`, instanceID).Scan(
		&c.InstanceID, &c.Issuer, &c.ClientID, &sealed, &scopes, &c.UsernameClaim, &c.FirstNameClaim, &c.LastNameClaim,
		&c.JIT.SecurityProfileID, &c.JIT.RoutingProfileID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apierr.NotFound("OIDC configuration of instance", instanceID)
	}
	if err != nil {
		return c, fmt.Errorf("get oidc config: %w", err)
	}
	plain, err := t.open(ctx, sealed, identity.OIDCClientSecretAAD(c.InstanceID))
	if err != nil {
		return c, fmt.Errorf("get oidc config: open client secret: %w", err)
	}
	c.ClientSecret = secret.New(string(plain))
	c.Scopes = strings.Fields(scopes)
	c.UpdatedTime = fromMS(updated)
	return c, nil
}

func (t *txn) DeleteOIDCConfig(ctx context.Context, instanceID string) error {
	res, err := t.exec(ctx, `DELETE FROM sso_oidc_configs WHERE instance_id = ?`, instanceID)
	if err := mustAffect(res, err, "OIDC configuration of instance", instanceID); err != nil {
		return fmt.Errorf("delete oidc config: %w", err)
	}
	return nil
}

// ---- SSO links ----

func (t *txn) GetSSOLink(ctx context.Context, instanceID, provider, subject string) (identity.SSOLink, error) {
	l := identity.SSOLink{InstanceID: instanceID, Provider: provider, Subject: subject}
	var created int64
	err := t.row(ctx, `SELECT user_id, created_at_ms FROM sso_links WHERE instance_id = ? AND provider = ? AND subject = ?`,
		instanceID, provider, subject).Scan(&l.UserID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return l, apierr.NotFound("SSO link", "(subject)")
	}
	if err != nil {
		return l, fmt.Errorf("get sso link: %w", err)
	}
	l.Created = fromMS(created)
	return l, nil
}

func (t *txn) PutSSOLink(ctx context.Context, l identity.SSOLink) error {
	_, err := t.exec(ctx, `INSERT INTO sso_links (instance_id, provider, subject, user_id, created_at_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, provider, subject) DO UPDATE SET user_id = excluded.user_id, created_at_ms = excluded.created_at_ms`,
		l.InstanceID, l.Provider, l.Subject, l.UserID, ms(l.Created))
	if err != nil {
		return fmt.Errorf("put sso link: %w", err)
	}
	return nil
}

// ---- SAML replay cache ----

func (t *txn) UseSAMLAssertion(ctx context.Context, instanceID, assertionID string, expires, now time.Time) (bool, error) {
	if _, err := t.exec(ctx, `DELETE FROM saml_used_assertions WHERE instance_id = ? AND expires_at_ms < ?`, instanceID, ms(now)); err != nil {
		return false, fmt.Errorf("use saml assertion: prune: %w", err)
	}
	res, err := t.exec(ctx, `INSERT INTO saml_used_assertions (instance_id, assertion_id, expires_at_ms) VALUES (?, ?, ?)
		ON CONFLICT (instance_id, assertion_id) DO NOTHING`, instanceID, assertionID, ms(expires))
	if err != nil {
		return false, fmt.Errorf("use saml assertion: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use saml assertion: %w", err)
	}
	return n == 1, nil
}

// ---- emergency access ----

func (t *txn) EmergencyAccessEnabled(ctx context.Context, instanceID string) (bool, error) {
	var on bool
	err := t.row(ctx, `SELECT enabled FROM emergency_access WHERE instance_id = ?`, instanceID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get emergency access: %w", err)
	}
	return on, nil
}

func (t *txn) SetEmergencyAccess(ctx context.Context, instanceID string, enabled bool, now time.Time) error {
	if _, err := t.exec(ctx, `INSERT INTO emergency_access (instance_id, enabled, updated_at_ms) VALUES (?, ?, ?)
		ON CONFLICT (instance_id) DO UPDATE SET enabled = excluded.enabled, updated_at_ms = excluded.updated_at_ms`,
		instanceID, enabled, ms(now)); err != nil {
		return fmt.Errorf("set emergency access: %w", err)
	}
	if !enabled {
		if _, err := t.exec(ctx, `DELETE FROM emergency_tokens WHERE instance_id = ? AND used_at_ms IS NULL`, instanceID); err != nil {
			return fmt.Errorf("set emergency access: delete unused tokens: %w", err)
		}
	}
	return nil
}

func (t *txn) CreateEmergencyToken(ctx context.Context, tok identity.EmergencyToken) error {
	if _, err := t.exec(ctx, `DELETE FROM emergency_tokens WHERE instance_id = ? AND expires_at_ms < ?`, tok.InstanceID, ms(tok.Created)); err != nil {
		return fmt.Errorf("create emergency token: prune: %w", err)
	}
	_, err := t.exec(ctx, `INSERT INTO emergency_tokens (token_hash, instance_id, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)`,
		tok.Hash, tok.InstanceID, tok.UserID, ms(tok.Created), ms(tok.Expires))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeDuplicateResource, "emergency token already exists")
	}
	if err != nil {
		return fmt.Errorf("create emergency token: %w", err)
	}
	return nil
}

func (t *txn) ConsumeEmergencyToken(ctx context.Context, instanceID, hash string, now time.Time) (identity.EmergencyToken, error) {
	tok := identity.EmergencyToken{Hash: hash, InstanceID: instanceID}
	res, err := t.exec(ctx, `UPDATE emergency_tokens SET used_at_ms = ?
		WHERE token_hash = ? AND instance_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?`, ms(now), hash, instanceID, ms(now))
	if err := mustAffect(res, err, "emergency token", "(hash)"); err != nil {
		return tok, fmt.Errorf("consume emergency token: %w", err)
	}
	var created, expires, used int64
	err = t.row(ctx, `SELECT user_id, created_at_ms, expires_at_ms, used_at_ms FROM emergency_tokens WHERE token_hash = ?`, hash).
		Scan(&tok.UserID, &created, &expires, &used)
	if err != nil {
		return tok, fmt.Errorf("consume emergency token: %w", err)
	}
	tok.Created, tok.Expires, tok.Used = fromMS(created), fromMS(expires), fromMS(used)
	return tok, nil
}
