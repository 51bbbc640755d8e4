package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/secret"
)

// ssoCommands are the admin subcommands for single sign-on and emergency access.
func ssoCommands(environ []string) []*cobra.Command {
	return []*cobra.Command{ssoCmd(environ), emergencyAccessCmd(environ), emergencyTokenCmd(environ)}
}

// readLimited reads at most limit bytes of path ("-" for stdin).
func readLimited(cmd *cobra.Command, path string, limit int64) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// addJITFlags defines the just-in-time provisioning flags.
func addJITFlags(c *cobra.Command) {
	c.Flags().String("jit-security-profile", "", "security profile (name or ID) of users created at their first sign-in; empty: only existing users sign in")
	c.Flags().String("jit-routing-profile", "", "routing profile ID of users created at their first sign-in (default: Basic Routing Profile)")
}

func jitFlags(cmd *cobra.Command, n *node.Node, instanceID string) (identity.JITProvisioning, error) {
	profile, _ := cmd.Flags().GetString("jit-security-profile")
	routing, _ := cmd.Flags().GetString("jit-routing-profile")
	id, err := n.SSOAdmin().SecurityProfileID(cmd.Context(), instanceID, profile)
	if err != nil {
		return identity.JITProvisioning{}, fmt.Errorf("--jit-security-profile: %w", err)
	}
	return identity.JITProvisioning{SecurityProfileID: id, RoutingProfileID: routing}, nil
}

func ssoCmd(environ []string) *cobra.Command {
	c := &cobra.Command{Use: "sso", Short: "Single sign-on of an instance (IdentityManagementType SAML): a SAML 2.0 or OpenID Connect identity provider"}
	saml := &cobra.Command{
		Use:   "saml",
		Short: "Set the instance's SAML 2.0 identity provider from its metadata (audited)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			path, _ := cmd.Flags().GetString("idp-metadata")
			md, err := readLimited(cmd, path, identity.MaxIdPMetadataBytes)
			if err != nil {
				return fmt.Errorf("--idp-metadata: %w", err)
			}
			jit, err := jitFlags(cmd, n, inst)
			if err != nil {
				return err
			}
			c := identity.SAMLConfig{InstanceID: inst, IdPMetadata: string(md), JIT: jit}
			c.SPEntityID, _ = cmd.Flags().GetString("sp-entity-id")
			c.UsernameAttribute, _ = cmd.Flags().GetString("username-attribute")
			c.FirstNameAttribute, _ = cmd.Flags().GetString("first-name-attribute")
			c.LastNameAttribute, _ = cmd.Flags().GetString("last-name-attribute")
			if err := n.SSOAdmin().ConfigureSAML(cmd.Context(), c); err != nil {
				return err
			}
			entity := c.SPEntityID
			if entity == "" {
				entity = n.Endpoint() + "/ui/sso/" + inst + "/saml/metadata"
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "SAML configured for instance %s. Give the identity provider:\n", inst)
			fmt.Fprintf(w, "  SP entity ID (audience): %s\n", entity)
			fmt.Fprintf(w, "  ACS URL (HTTP-POST):     %s/ui/sso/%s/saml/acs\n", n.Endpoint(), inst)
			fmt.Fprintf(w, "  SP metadata:             %s/ui/sso/%s/saml/metadata\n", n.Endpoint(), inst)
			fmt.Fprintf(w, "People sign in at %s/ui/sso/%s\n", n.Endpoint(), inst)
			return nil
		}),
	}
	saml.Flags().String("idp-metadata", "", "file with the IdP's SAML metadata (md:EntityDescriptor), or - for stdin")
	saml.Flags().String("sp-entity-id", "", "Ringfence's entity ID at the IdP (default: the SP metadata URL)")
	saml.Flags().String("username-attribute", "", "assertion attribute (Name or FriendlyName) carrying the username (default: the NameID)")
	saml.Flags().String("first-name-attribute", "", "attribute with the first name of new users")
	saml.Flags().String("last-name-attribute", "", "attribute with the last name of new users")
	addJITFlags(saml)
	_ = saml.MarkFlagRequired("idp-metadata")

	oidc := &cobra.Command{
		Use:   "oidc",
		Short: "Set the instance's OpenID Connect provider (audited; the client secret is stored sealed)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			path, _ := cmd.Flags().GetString("client-secret-file")
			sec, err := readLimited(cmd, path, identity.MaxOIDCClientSecretBytes)
			if err != nil {
				return fmt.Errorf("--client-secret-file: %w", err)
			}
			jit, err := jitFlags(cmd, n, inst)
			if err != nil {
				return err
			}
			c := identity.OIDCConfig{InstanceID: inst, ClientSecret: secret.New(strings.TrimSpace(string(sec))), JIT: jit}
			c.Issuer, _ = cmd.Flags().GetString("issuer")
			c.ClientID, _ = cmd.Flags().GetString("client-id")
			c.Scopes, _ = cmd.Flags().GetStringSlice("scopes")
			c.UsernameClaim, _ = cmd.Flags().GetString("username-claim")
			c.FirstNameClaim, _ = cmd.Flags().GetString("first-name-claim")
			c.LastNameClaim, _ = cmd.Flags().GetString("last-name-claim")
			if err := n.SSOAdmin().ConfigureOIDC(cmd.Context(), c); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "OpenID Connect configured for instance %s. Register at the provider:\n", inst)
			fmt.Fprintf(w, "  redirect URI: %s/ui/sso/%s/oidc/callback\n", n.Endpoint(), inst)
			fmt.Fprintf(w, "People sign in at %s/ui/sso/%s/oidc/login\n", n.Endpoint(), inst)
			return nil
		}),
	}
	oidc.Flags().String("issuer", "", "issuer URL (https); discovery is {issuer}/.well-known/openid-configuration")
	oidc.Flags().String("client-id", "", "client ID registered at the provider")
	oidc.Flags().String("client-secret-file", "", "file holding the client secret, or - for stdin (never on the command line)")
	oidc.Flags().StringSlice("scopes", []string{"openid", "profile", "email"}, "scopes to request (openid is always added)")
	oidc.Flags().String("username-claim", identity.DefaultOIDCUsernameClaim, "ID token claim carrying the username")
	oidc.Flags().String("first-name-claim", identity.DefaultOIDCFirstNameClaim, "claim with the first name of new users")
	oidc.Flags().String("last-name-claim", identity.DefaultOIDCLastNameClaim, "claim with the last name of new users")
	addJITFlags(oidc)
	for _, f := range []string{"issuer", "client-id", "client-secret-file"} {
		_ = oidc.MarkFlagRequired(f)
	}

	show := &cobra.Command{
		Use:   "show",
		Short: "Show the instance's sign-in configuration (never the client secret)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			st, err := n.SSOAdmin().Show(cmd.Context(), inst)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "instance\t%s (%s)\n", st.Instance.ID, st.Instance.Alias)
			fmt.Fprintf(tw, "identity management\t%s\n", st.Instance.IdentityManagementType)
			fmt.Fprintf(tw, "emergency access\t%s\n", onOff(st.EmergencyAccess))
			if s := st.SAML; s != nil {
				fmt.Fprintf(tw, "saml idp\t%s\n", st.IdPEntityID)
				fmt.Fprintf(tw, "saml sp entity id\t%s\n", orDefault(s.SPEntityID, n.Endpoint()+"/ui/sso/"+inst+"/saml/metadata"))
				fmt.Fprintf(tw, "saml username attribute\t%s\n", orDefault(s.UsernameAttribute, "(NameID)"))
				fmt.Fprintf(tw, "saml jit security profile\t%s\n", orDefault(s.JIT.SecurityProfileID, "(off)"))
				fmt.Fprintf(tw, "saml updated\t%s\n", s.UpdatedTime.Format(time.RFC3339))
			} else {
				fmt.Fprintf(tw, "saml\tnot configured\n")
			}
			if o := st.OIDC; o != nil {
				fmt.Fprintf(tw, "oidc issuer\t%s\n", o.Issuer)
				fmt.Fprintf(tw, "oidc client id\t%s\n", o.ClientID)
				fmt.Fprintf(tw, "oidc scopes\t%s\n", strings.Join(o.Scopes, " "))
				fmt.Fprintf(tw, "oidc username claim\t%s\n", o.UsernameClaim)
				fmt.Fprintf(tw, "oidc jit security profile\t%s\n", orDefault(o.JIT.SecurityProfileID, "(off)"))
				fmt.Fprintf(tw, "oidc updated\t%s\n", o.UpdatedTime.Format(time.RFC3339))
			} else {
				fmt.Fprintf(tw, "oidc\tnot configured\n")
			}
			return tw.Flush()
		}),
	}
	remove := &cobra.Command{
		Use:       "remove saml|oidc",
		Short:     "Remove the instance's SAML or OpenID Connect configuration (audited)",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"saml", "oidc"},
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			var err error
			if args[0] == "saml" {
				err = n.SSOAdmin().RemoveSAML(cmd.Context(), inst)
			} else {
				err = n.SSOAdmin().RemoveOIDC(cmd.Context(), inst)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s configuration removed from instance %s\n", strings.ToUpper(args[0]), inst)
			return nil
		}),
	}
	for _, sub := range []*cobra.Command{saml, oidc, show, remove} {
		addNodeFlags(sub.Flags())
		sub.Flags().String("instance", "", "instance ID")
		_ = sub.MarkFlagRequired("instance")
		c.AddCommand(sub)
	}
	return c
}

func emergencyAccessCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:       "emergency-access enable|disable",
		Short:     "Allow or forbid emergency (break-glass) sign-in to an instance; disabling voids unused tokens (audited, high severity)",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"enable", "disable"},
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			on := args[0] == "enable"
			if err := n.SSOAdmin().SetEmergencyAccess(cmd.Context(), inst, on); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "emergency access %s for instance %s\n", onOff(on), inst)
			return nil
		}),
	}
	addNodeFlags(c.Flags())
	c.Flags().String("instance", "", "instance ID")
	_ = c.MarkFlagRequired("instance")
	return c
}

func emergencyTokenCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "emergency-token",
		Short: "Mint a one-time emergency token (15 minutes) that signs an administrator in for at most an hour (audited, high severity)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			user, _ := cmd.Flags().GetString("user")
			if user == "" {
				return errors.New("--user must name an administrator of the instance")
			}
			tok, rec, err := n.SSOAdmin().IssueEmergencyToken(cmd.Context(), inst, user)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "emergency_token=%s\n", tok.Reveal())
			fmt.Fprintf(w, "expires=%s\n", rec.Expires.Format(time.RFC3339))
			fmt.Fprintf(w, "use it once at %s/ui/emergency?instance=%s\n", n.Endpoint(), inst)
			return nil
		}),
	}
	addNodeFlags(c.Flags())
	c.Flags().String("instance", "", "instance ID")
	c.Flags().String("user", node.AdminUsername, "username of the administrator (Admin security profile) the token signs in")
	_ = c.MarkFlagRequired("instance")
	return c
}

func onOff(on bool) string {
	if on {
		return "enabled"
	}
	return "disabled"
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
