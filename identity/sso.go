package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// This file holds the stored shape of single sign-on (SAML 2.0 and OpenID Connect) and of
// emergency access for an instance. The protocols themselves live in package sso; an
// administrator sets these with `ringfence admin sso ...` and `ringfence admin
// emergency-access ...` on the host.

// Limits of SSO configuration values, in bytes.
const (
	// MaxIdPMetadataBytes bounds a SAML IdP metadata document.
	MaxIdPMetadataBytes = 256 << 10
	// MaxSSONameBytes bounds entity IDs, issuers, client IDs, attribute and claim names.
	MaxSSONameBytes = 1024
	// MaxOIDCClientSecretBytes bounds an OIDC client secret.
	MaxOIDCClientSecretBytes = 1024
	// MaxOIDCScopes bounds the number of OIDC scopes requested.
	MaxOIDCScopes = 20
	// MaxSSOSubjectBytes bounds the IdP subject (SAML NameID, OIDC "sub") kept in a link.
	MaxSSOSubjectBytes = 1024
	// MaxSAMLAssertionIDBytes bounds a SAML assertion ID kept in the replay cache.
	MaxSAMLAssertionIDBytes = 256
)

// JITProvisioning says how a person who signs in through an identity provider for the first
// time, and whose username is not a user of the instance yet, becomes one (just-in-time).
type JITProvisioning struct {
	// SecurityProfileID is the profile the new user holds; empty turns just-in-time creation
	// off, so only existing users can sign in.
	SecurityProfileID string
	// RoutingProfileID is the new user's routing profile; empty means the instance's Basic
	// Routing Profile.
	RoutingProfileID string
}

// SAMLConfig is an instance's SAML 2.0 identity provider (IdP), with Ringfence as service
// provider (SP). Assertions must be signed by a certificate of IdPMetadata.
type SAMLConfig struct {
	InstanceID string
	// IdPMetadata is the IdP's metadata document: an md:EntityDescriptor with an
	// IDPSSODescriptor (OASIS "Metadata for the OASIS SAML V2.0", §2.3.2 and §2.4.3) giving
	// its entity ID, SingleSignOnService locations and signing certificates. At most
	// MaxIdPMetadataBytes.
	IdPMetadata string
	// SPEntityID is Ringfence's entity ID, the audience assertions must name. Empty means
	// the SP metadata URL, {origin}/ui/sso/{instance ID}/saml/metadata.
	SPEntityID string
	// UsernameAttribute is the Name (or FriendlyName) of the assertion attribute whose first
	// value is the username; empty means the Subject's NameID.
	UsernameAttribute string
	// FirstNameAttribute and LastNameAttribute name the attributes that fill a
	// just-in-time user's IdentityInfo; empty, or absent from the assertion, means the
	// username.
	FirstNameAttribute string
	LastNameAttribute  string
	JIT                JITProvisioning
	// UpdatedTime is UTC, millisecond precision.
	UpdatedTime time.Time
}

// Validate checks the stored shape (not the metadata's content, which package sso parses).
// It returns InvalidParameterException naming the field.
func (c SAMLConfig) Validate() error {
	switch {
	case strings.TrimSpace(c.IdPMetadata) == "":
		return apierr.InvalidParameter("the IdP metadata is required")
	case len(c.IdPMetadata) > MaxIdPMetadataBytes:
		return apierr.InvalidParameter(fmt.Sprintf("the IdP metadata must be at most %d bytes", MaxIdPMetadataBytes))
	}
	for _, f := range []struct{ field, v string }{
		{"SPEntityID", c.SPEntityID}, {"UsernameAttribute", c.UsernameAttribute},
		{"FirstNameAttribute", c.FirstNameAttribute}, {"LastNameAttribute", c.LastNameAttribute},
	} {
		if err := validateSSOName(f.field, f.v, false); err != nil {
			return err
		}
	}
	return c.JIT.validate()
}

// OIDCConfig is an instance's OpenID Connect provider (OpenID Connect Core 1.0, the
// authorization code flow with PKCE, RFC 7636). Ringfence is a confidential client.
type OIDCConfig struct {
	InstanceID string
	// Issuer is the provider's issuer URL (https, no query or fragment); its discovery
	// document is {Issuer}/.well-known/openid-configuration (OpenID Connect Discovery 1.0
	// §4) and must name the same issuer.
	Issuer string
	// ClientID is the client registered at the provider; ID tokens must name it in "aud".
	ClientID string
	// ClientSecret authenticates Ringfence at the token endpoint. Stored sealed (keyring,
	// see OIDCClientSecretAAD); never printed.
	ClientSecret secret.Value[string]
	// Scopes requested; "openid" is always among them. At most MaxOIDCScopes.
	Scopes []string
	// UsernameClaim names the ID token claim that carries the username (default
	// "preferred_username").
	UsernameClaim string
	// FirstNameClaim and LastNameClaim fill a just-in-time user's IdentityInfo (defaults
	// "given_name" and "family_name"); absent claims mean the username.
	FirstNameClaim string
	LastNameClaim  string
	JIT            JITProvisioning
	// UpdatedTime is UTC, millisecond precision.
	UpdatedTime time.Time
}

// OIDC claim defaults.
const (
	DefaultOIDCUsernameClaim  = "preferred_username"
	DefaultOIDCFirstNameClaim = "given_name"
	DefaultOIDCLastNameClaim  = "family_name"
)

// Normalize fills defaults: the claims, and "openid" first among the scopes (deduplicated,
// in the order given).
func (c OIDCConfig) Normalize() OIDCConfig {
	if c.UsernameClaim == "" {
		c.UsernameClaim = DefaultOIDCUsernameClaim
	}
	if c.FirstNameClaim == "" {
		c.FirstNameClaim = DefaultOIDCFirstNameClaim
	}
	if c.LastNameClaim == "" {
		c.LastNameClaim = DefaultOIDCLastNameClaim
	}
	scopes := []string{"openid"}
	for _, s := range c.Scopes {
		if s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	c.Scopes = scopes
	return c
}

// Validate checks c (after Normalize). It returns InvalidParameterException naming the
// field, never echoing the client secret.
func (c OIDCConfig) Validate() error {
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || len(c.Issuer) > MaxSSONameBytes {
		return apierr.InvalidParameter("Issuer must be an https URL without query or fragment, such as https://idp.example.com/realms/staff")
	}
	if err := validateSSOName("ClientID", c.ClientID, true); err != nil {
		return err
	}
	if s := c.ClientSecret.Reveal(); s == "" || len(s) > MaxOIDCClientSecretBytes {
		return apierr.InvalidParameter(fmt.Sprintf("ClientSecret is required and must be at most %d bytes", MaxOIDCClientSecretBytes))
	}
	if len(c.Scopes) == 0 || len(c.Scopes) > MaxOIDCScopes || !slices.Contains(c.Scopes, "openid") {
		return apierr.InvalidParameter(fmt.Sprintf("Scopes must include openid and hold at most %d scopes", MaxOIDCScopes))
	}
	for _, s := range c.Scopes {
		// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
		if s == "" || len(s) > 128 || strings.ContainsFunc(s, func(r rune) bool { return r <= 0x20 || r == '"' || r == '\\' || r >= 0x7f }) {
			return apierr.InvalidParameter("Scopes must be RFC 6749 scope tokens (printable ASCII without spaces, quotes or backslashes)")
		}
	}
	for _, f := range []struct{ field, v string }{
		{"UsernameClaim", c.UsernameClaim}, {"FirstNameClaim", c.FirstNameClaim}, {"LastNameClaim", c.LastNameClaim},
	} {
		if err := validateSSOName(f.field, f.v, true); err != nil {
			return err
		}
	}
	return c.JIT.validate()
}

func (j JITProvisioning) validate() error {
	for _, f := range []struct{ field, v string }{
		{"JIT security profile", j.SecurityProfileID}, {"JIT routing profile", j.RoutingProfileID},
	} {
		if f.v != "" && (len(f.v) > 100 || strings.Trim(f.v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "") {
			return apierr.InvalidParameter(f.field + " must be a resource ID (letters, digits and hyphens)")
		}
	}
	if j.SecurityProfileID == "" && j.RoutingProfileID != "" {
		return apierr.InvalidParameter("a JIT routing profile needs a JIT security profile")
	}
	return nil
}

// validateSSOName checks a name-like configuration value: printable UTF-8 without control
// characters, at most MaxSSONameBytes.
func validateSSOName(field, v string, required bool) error {
	switch {
	case v == "" && required:
		return apierr.InvalidParameter(field + " is required")
	case len(v) > MaxSSONameBytes:
		return apierr.InvalidParameter(fmt.Sprintf("%s must be at most %d bytes", field, MaxSSONameBytes))
	case !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return apierr.InvalidParameter(field + " must be printable text")
	}
	return nil
}

// SSOLink remembers which user an identity provider's subject signed in as. It outlives the
// user: a subject whose user was deleted is refused rather than re-created (unless an
// administrator creates a user with the same username again).
type SSOLink struct {
	InstanceID string
	// Provider is "saml:{IdP entity ID}" or "oidc:{issuer}".
	Provider string
	// Subject is the SAML NameID or the OIDC "sub" claim (at most MaxSSOSubjectBytes).
	Subject string
	UserID  string
	// Created is UTC, millisecond precision.
	Created time.Time
}

// EmergencyToken is a one-time break-glass token minted on the host (`ringfence admin
// emergency-token`). Only its hash is stored.
type EmergencyToken struct {
	// Hash is HashEmergencyToken of the token: lower-case hex SHA-256 (64 characters).
	Hash       string
	InstanceID string
	// UserID is the administrator the token signs in as.
	UserID string
	// Created, Expires and Used are UTC, millisecond precision; Used is zero until the token
	// is consumed.
	Created time.Time
	Expires time.Time
	Used    time.Time
}

// HashEmergencyToken returns the lower-case hex SHA-256 of an emergency token. The tokens
// carry 256 random bits, so a fast hash is enough.
func HashEmergencyToken(token secret.Value[string]) string {
	sum := sha256.Sum256([]byte(token.Reveal()))
	return hex.EncodeToString(sum[:])
}

// OIDCClientSecretAAD is where an instance's sealed OIDC client secret is bound: table
// sso_oidc_configs, the instance ID as row, column client_secret. A sealed secret copied to
// another instance's row does not open.
func OIDCClientSecretAAD(instanceID string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "sso_oidc_configs", RowID: instanceID, Column: "client_secret"}
}

// SSOConfigStore persists each instance's SSO configuration. Get methods return
// ResourceNotFoundException when the instance has none; Put replaces it.
type SSOConfigStore interface {
	PutSAMLConfig(ctx context.Context, c SAMLConfig) error
	GetSAMLConfig(ctx context.Context, instanceID string) (SAMLConfig, error)
	// DeleteSAMLConfig removes the configuration; ResourceNotFoundException when none.
	DeleteSAMLConfig(ctx context.Context, instanceID string) error
	// PutOIDCConfig stores c with its client secret sealed.
	PutOIDCConfig(ctx context.Context, c OIDCConfig) error
	// GetOIDCConfig returns the configuration with its client secret opened.
	GetOIDCConfig(ctx context.Context, instanceID string) (OIDCConfig, error)
	DeleteOIDCConfig(ctx context.Context, instanceID string) error
}

// SSOLinkStore persists the subject-to-user links of SSO sign-ins.
type SSOLinkStore interface {
	// GetSSOLink returns the link, or ResourceNotFoundException.
	GetSSOLink(ctx context.Context, instanceID, provider, subject string) (SSOLink, error)
	// PutSSOLink creates the link or points it at l.UserID.
	PutSSOLink(ctx context.Context, l SSOLink) error
}

// SAMLReplayStore is the replay cache of SAML assertion IDs, shared by every node.
type SAMLReplayStore interface {
	// UseSAMLAssertion records assertionID of the instance as used until expires and
	// returns fresh=true; fresh=false means it was recorded before and has not expired (a
	// replay). Entries of the instance that expired before now are removed.
	UseSAMLAssertion(ctx context.Context, instanceID, assertionID string, expires, now time.Time) (fresh bool, err error)
}

// EmergencyAccessStore holds the per-instance emergency access switch and the one-time
// tokens.
type EmergencyAccessStore interface {
	// EmergencyAccessEnabled reports whether emergency access is on for the instance
	// (false when never set).
	EmergencyAccessEnabled(ctx context.Context, instanceID string) (bool, error)
	// SetEmergencyAccess turns emergency access on or off; turning it off deletes the
	// instance's unused tokens.
	SetEmergencyAccess(ctx context.Context, instanceID string, enabled bool, now time.Time) error
	// CreateEmergencyToken stores t (unused). Tokens of the instance that expired before
	// t.Created are removed.
	CreateEmergencyToken(ctx context.Context, t EmergencyToken) error
	// ConsumeEmergencyToken marks the unused, unexpired token of the instance with hash as
	// used at now and returns it, in one statement, so two concurrent uses cannot both
	// succeed. An unknown, used or expired token is ResourceNotFoundException.
	ConsumeEmergencyToken(ctx context.Context, instanceID, hash string, now time.Time) (EmergencyToken, error)
}
