package sso

import "github.com/ringfence/ringfence/instance"

// Method is a way of signing in to an instance's pages.
type Method string

// Sign-in methods.
const (
	// MethodPassword is a username and password kept by Ringfence (with its second factors).
	MethodPassword Method = "password"
	// MethodSAML is SAML 2.0 web browser SSO through the instance's identity provider.
	MethodSAML Method = "saml"
	// MethodOIDC is OpenID Connect through the instance's provider.
	MethodOIDC Method = "oidc"
	// MethodEmergency is the break-glass sign-in with a one-time token minted on the host.
	MethodEmergency Method = "emergency"
)

// MethodAllowed decides, from the instance's IdentityManagementType (fixed when the instance
// is created, as in Connect), whether a sign-in method may be used:
//
//	CONNECT_MANAGED     password, emergency
//	SAML                SAML, OIDC, emergency
//	EXISTING_DIRECTORY  emergency only
//
// Connect has no OIDC type; Ringfence treats an OpenID Connect provider as the same choice
// as SAML (identities live at an external identity provider), so an instance created with
// SAML may use either or both. EXISTING_DIRECTORY (an Active Directory in Connect) is accepted
// for compatibility but no directory sign-in is provided, and its users have no password
// (CreateUser refuses one). Emergency access is possible for every type but is off until an
// operator enables it for the instance (`ringfence admin emergency-access enable`).
func MethodAllowed(inst instance.Instance, m Method) bool {
	switch m {
	case MethodPassword:
		return inst.IdentityManagementType == instance.IdentityManagementConnectManaged
	case MethodSAML, MethodOIDC:
		return inst.IdentityManagementType == instance.IdentityManagementSAML
	case MethodEmergency:
		return true
	}
	return false
}

// PasswordAllowed reports whether people may sign in to inst with a password: only when the
// instance manages identities itself (CONNECT_MANAGED). The sign-in page calls it before it
// checks a password; see MethodAllowed.
func PasswordAllowed(inst instance.Instance) bool { return MethodAllowed(inst, MethodPassword) }

// FederationAllowed reports whether inst signs people in through an external identity
// provider (SAML 2.0 or OpenID Connect): only when its IdentityManagementType is SAML.
func FederationAllowed(inst instance.Instance) bool { return MethodAllowed(inst, MethodSAML) }
