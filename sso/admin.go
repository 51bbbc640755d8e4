package sso

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Admin changes instances' SSO configuration and emergency access: the operations behind
// `ringfence admin sso` and `ringfence admin emergency-access|emergency-token`, run on the
// server's host. Every change is one audited transaction; emergency access changes and tokens
// are audited with Severity high. Errors are *apierr.Error values for bad input
// (InvalidParameterException, InvalidRequestException) and unknown instances or users
// (ResourceNotFoundException).
type Admin struct {
	Store store.Store
	// Actor names who acts in audit events; "host" for commands run on the server's host.
	Actor string
	// Now is the clock (default time.Now); Rand the token source (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
}

func (a Admin) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a Admin) event(code, op, instanceID string) *audit.Event {
	actor := a.Actor
	if actor == "" {
		actor = "host"
	}
	return &audit.Event{Code: code, Actor: actor, Operation: op, InstanceID: instanceID,
		Resource: "instance/" + instanceID, Time: a.now(), Details: map[string]string{}}
}

// federatedInstance returns the instance, refusing one whose IdentityManagementType does not
// sign in through an identity provider.
func federatedInstance(ctx context.Context, tx store.Tx, instanceID string) (instance.Instance, error) {
	inst, err := tx.GetInstance(ctx, instanceID)
	if err != nil {
		return inst, err
	}
	if !FederationAllowed(inst) {
		return inst, apierr.InvalidRequest(fmt.Sprintf("instance %s manages identities as %s; single sign-on needs an instance created with IdentityManagementType SAML",
			instanceID, inst.IdentityManagementType))
	}
	return inst, nil
}

// checkJIT checks that the just-in-time profiles exist in the instance.
func checkJIT(ctx context.Context, tx store.Tx, instanceID string, j identity.JITProvisioning) error {
	if j.SecurityProfileID == "" {
		return nil
	}
	rp := j.RoutingProfileID
	if rp == "" {
		rp = provision.BasicRoutingProfileID(instanceID)
	}
	_, err := store.CheckUserRefs(ctx, tx, instanceID, []string{j.SecurityProfileID}, rp)
	return err
}

// ConfigureSAML sets (or replaces) the instance's SAML identity provider after checking the
// configuration (identity.SAMLConfig.Validate), the metadata (ParseIdPMetadata), that the
// instance's IdentityManagementType is SAML, and that the just-in-time profiles exist.
func (a Admin) ConfigureSAML(ctx context.Context, c identity.SAMLConfig) error {
	c.UpdatedTime = a.now().Truncate(time.Millisecond)
	if err := c.Validate(); err != nil {
		return err
	}
	md, err := ParseIdPMetadata(c.IdPMetadata)
	if err != nil {
		return err
	}
	ev := a.event("host.sso_saml_configure", "ConfigureSAML", c.InstanceID)
	ev.Details["idp_entity_id"] = truncate(md.EntityID, 256)
	ev.Details["jit_security_profile_id"] = c.JIT.SecurityProfileID
	return a.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := federatedInstance(ctx, tx, c.InstanceID); err != nil {
			return err
		}
		if err := checkJIT(ctx, tx, c.InstanceID, c.JIT); err != nil {
			return err
		}
		return tx.PutSAMLConfig(ctx, c)
	})
}

// ConfigureOIDC sets (or replaces) the instance's OpenID provider after normalising and
// checking the configuration (identity.OIDCConfig), that the instance's
// IdentityManagementType is SAML, and that the just-in-time profiles exist. The provider is
// not contacted: discovery happens at the first sign-in. The client secret is stored sealed.
func (a Admin) ConfigureOIDC(ctx context.Context, c identity.OIDCConfig) error {
	c = c.Normalize()
	c.UpdatedTime = a.now().Truncate(time.Millisecond)
	if err := c.Validate(); err != nil {
		return err
	}
	ev := a.event("host.sso_oidc_configure", "ConfigureOIDC", c.InstanceID)
	ev.Details["issuer"] = truncate(c.Issuer, 256)
	ev.Details["client_id"] = truncate(c.ClientID, 256)
	ev.Details["jit_security_profile_id"] = c.JIT.SecurityProfileID
	return a.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := federatedInstance(ctx, tx, c.InstanceID); err != nil {
			return err
		}
		if err := checkJIT(ctx, tx, c.InstanceID, c.JIT); err != nil {
			return err
		}
		return tx.PutOIDCConfig(ctx, c)
	})
}

// RemoveSAML removes the instance's SAML configuration (ResourceNotFoundException when none).
func (a Admin) RemoveSAML(ctx context.Context, instanceID string) error {
	return a.Store.Update(ctx, a.event("host.sso_saml_remove", "RemoveSAML", instanceID), func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteSAMLConfig(ctx, instanceID)
	})
}

// RemoveOIDC removes the instance's OIDC configuration (ResourceNotFoundException when none).
func (a Admin) RemoveOIDC(ctx context.Context, instanceID string) error {
	return a.Store.Update(ctx, a.event("host.sso_oidc_remove", "RemoveOIDC", instanceID), func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteOIDCConfig(ctx, instanceID)
	})
}

// Status is an instance's sign-in configuration as `ringfence admin sso show` prints it.
type Status struct {
	Instance instance.Instance
	// SAML and OIDC are nil when not configured. OIDC's ClientSecret prints as [REDACTED].
	SAML *identity.SAMLConfig
	OIDC *identity.OIDCConfig
	// IdPEntityID is the entity ID in the SAML metadata.
	IdPEntityID     string
	EmergencyAccess bool
}

// Show returns the instance's sign-in configuration (read-only, not audited).
func (a Admin) Show(ctx context.Context, instanceID string) (Status, error) {
	var s Status
	err := a.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if s.Instance, err = tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		if c, err := tx.GetSAMLConfig(ctx, instanceID); err == nil {
			s.SAML = &c
			if md, err := ParseIdPMetadata(c.IdPMetadata); err == nil {
				s.IdPEntityID = md.EntityID
			}
		} else if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return err
		}
		if c, err := tx.GetOIDCConfig(ctx, instanceID); err == nil {
			s.OIDC = &c
		} else if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return err
		}
		s.EmergencyAccess, err = tx.EmergencyAccessEnabled(ctx, instanceID)
		return err
	})
	return s, err
}

// SetEmergencyAccess turns emergency access on or off for the instance (audited, Severity
// high). Turning it off invalidates every unused token.
func (a Admin) SetEmergencyAccess(ctx context.Context, instanceID string, enabled bool) error {
	code, op := "host.emergency_access_disable", "DisableEmergencyAccess"
	if enabled {
		code, op = "host.emergency_access_enable", "EnableEmergencyAccess"
	}
	ev := a.event(code, op, instanceID)
	ev.Severity = audit.SeverityHigh
	now := a.now()
	return a.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		return tx.SetEmergencyAccess(ctx, instanceID, enabled, now)
	})
}

// IssueEmergencyToken mints a one-time emergency token for the user username of the
// instance, who must be enabled and hold the Admin security profile, and returns it (the only
// clear copy: the store keeps its SHA-256) with its record. The token is "rfe_" and 256
// random bits in unpadded base64url, usable once within EmergencyTokenTTL at /ui/emergency.
// Emergency access must be enabled for the instance (InvalidRequestException otherwise).
// Audited with Severity high.
func (a Admin) IssueEmergencyToken(ctx context.Context, instanceID, username string) (secret.Value[string], identity.EmergencyToken, error) {
	rnd := a.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	raw, err := randomToken(rnd, 32)
	if err != nil {
		return secret.Value[string]{}, identity.EmergencyToken{}, err
	}
	token := secret.New(EmergencyTokenPrefix + raw)
	now := a.now().Truncate(time.Millisecond)
	tok := identity.EmergencyToken{Hash: identity.HashEmergencyToken(token), InstanceID: instanceID, Created: now, Expires: now.Add(EmergencyTokenTTL)}
	ev := a.event("host.emergency_token_issue", "IssueEmergencyToken", instanceID)
	ev.Severity = audit.SeverityHigh
	ev.Details["expires"] = tok.Expires.Format(time.RFC3339)
	err = a.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		on, err := tx.EmergencyAccessEnabled(ctx, instanceID)
		if err != nil {
			return err
		}
		if !on {
			return apierr.InvalidRequest("emergency access is disabled for instance " + instanceID + "; enable it first with `ringfence admin emergency-access enable --instance " + instanceID + "`")
		}
		u, err := tx.GetUserByUsername(ctx, instanceID, username)
		if err != nil {
			return err
		}
		if _, err := emergencyUser(ctx, tx, instanceID, u.ID); err != nil {
			var rf *refusal
			if errors.As(err, &rf) {
				return apierr.InvalidRequest(fmt.Sprintf("user %s cannot receive an emergency token: %s", username, rf.Reason))
			}
			return err
		}
		tok.UserID = u.ID
		ev.Resource = u.ID
		return tx.CreateEmergencyToken(ctx, tok)
	})
	if err != nil {
		return secret.Value[string]{}, identity.EmergencyToken{}, fmt.Errorf("issue emergency token: %w", err)
	}
	return token, tok, nil
}

// SecurityProfileID returns the ID of the instance's security profile whose ID or name is
// nameOrID ("" stays ""), or ResourceNotFoundException.
func (a Admin) SecurityProfileID(ctx context.Context, instanceID, nameOrID string) (string, error) {
	if nameOrID == "" {
		return "", nil
	}
	var id string
	err := a.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetSecurityProfile(ctx, instanceID, nameOrID)
		if err == nil {
			id = p.ID
			return nil
		}
		if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return err
		}
		p, err = tx.GetSecurityProfileByName(ctx, instanceID, nameOrID)
		id = p.ID
		return err
	})
	return id, err
}
