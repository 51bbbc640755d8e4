package node

import "github.com/ringfence/ringfence/sso"

// SSOAdmin returns the administration of instances' single sign-on (SAML 2.0, OpenID
// Connect) and emergency access, audited with actor "host": what `ringfence admin sso`,
// `ringfence admin emergency-access` and `ringfence admin emergency-token` run.
func (n *Node) SSOAdmin() sso.Admin { return sso.Admin{Store: n.Store, Actor: "host"} }
