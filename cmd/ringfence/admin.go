package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/flow/flowcli"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/secret"
)

func keysCmd(environ []string) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "API access keys (operator and user) and the at-rest keyring"}
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an access key and print its secret once: an operator key, or with --instance and --user a key that acts as that user",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			desc, _ := cmd.Flags().GetString("description")
			inst, _ := cmd.Flags().GetString("instance")
			user, _ := cmd.Flags().GetString("user")
			if (inst == "") != (user == "") {
				return errors.New("--instance and --user must be given together")
			}
			var (
				k   identity.AccessKey
				sec secret.Value[string]
				err error
			)
			if user != "" {
				k, sec, err = n.IssueUserKey(cmd.Context(), inst, user, desc)
			} else {
				k, sec, err = n.IssueOperatorKey(cmd.Context(), desc)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "access_key_id=%s\nsecret_access_key=%s\n", k.ID, sec.Reveal())
			return nil
		}),
	}
	create.Flags().String("description", "", "what the key is for")
	create.Flags().String("instance", "", "instance ID of the user the key acts as (with --user)")
	create.Flags().String("user", "", "username the key acts as, limited by the user's security profiles (with --instance)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List access keys (never their secrets): Active, Expiring (rolled with a grace period; EXPIRES is its end) or Inactive",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			keys, err := n.ListAccessKeys(cmd.Context())
			if err != nil {
				return err
			}
			now := time.Now()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tKIND\tSTATUS\tEXPIRES\tINSTANCE\tUSER ID\tCREATED\tDESCRIPTION")
			for _, k := range keys {
				expires := "-"
				if end, ok := k.GraceEnd(); ok {
					expires = end.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Kind, k.StatusAt(now), expires, k.InstanceID, k.UserID,
					k.CreatedTime.Format("2006-01-02T15:04:05Z"), k.Description)
			}
			return tw.Flush()
		}),
	}
	revoke := &cobra.Command{
		Use:   "revoke ACCESS_KEY_ID",
		Short: "Revoke an access key at once",
		Args:  cobra.ExactArgs(1),
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			if err := n.SetAccessKeyStatus(cmd.Context(), args[0], identity.KeyInactive); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		}),
	}
	roll := &cobra.Command{
		Use:   "roll ACCESS_KEY_ID",
		Short: "Rotate one access key: issue a new key with the same owner, print its secret once, and revoke the old key (at once, or after --grace)",
		Long: "Rotate one access key: issue a new key of the same kind for the same owner (the deployment, or the instance user)\n" +
			"with the same description and print its secret once. In the same transaction (audited as host.roll_access_key) the\n" +
			"old key is revoked, or with --grace (at most 168h, 7 days) kept working until the grace period ends: meanwhile\n" +
			"'keys list' shows it Expiring with its end, every request it signs is audited under its own ID, and from the end on\n" +
			"it is refused like a revoked key ('keys revoke' ends it sooner). Only an active key can be rolled, once.",
		Args: cobra.ExactArgs(1),
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			grace, _ := cmd.Flags().GetDuration("grace")
			r, err := n.RollAccessKey(cmd.Context(), args[0], grace)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "access_key_id=%s\nsecret_access_key=%s\n", r.New.ID, r.Secret.Reveal())
			if end, ok := r.Old.GraceEnd(); ok {
				fmt.Fprintf(cmd.OutOrStdout(), "expiring %s at %s\n", args[0], end.Format(time.RFC3339))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			}
			return nil
		}),
	}
	roll.Flags().Duration("grace", 0, "how long the old key keeps working, e.g. 24h (0 revokes it at once; at most 168h)")
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a key-encryption key version to the keyring; new values are sealed under it (by running servers within --keyring-poll), old ones stay readable",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			v, err := n.Keyring.Rotate(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "keyring version %d is now current\n", v)
			return nil
		}),
	}
	rewrap := &cobra.Command{
		Use:   "rewrap",
		Short: "Re-seal every value sealed at rest under the current keyring version (after rotate); nothing is exposed",
		Long: "Re-seal every value sealed at rest (secrets, contact attributes and endpoints, flow sessions, contact records,\n" +
			"transcripts, display names, tokens) that an older key-encryption-key version sealed, under the current one.\n" +
			"Each batch is committed with an audit event (host.rewrap); an interrupted run can be started again.\n" +
			"Values that do not open for their row (altered or moved) are left as they are, counted as FAILED, and named in the error.\n" +
			"Run it once every running server seals under the new version: they read the key file every --keyring-poll (10s)\n" +
			"after 'keys rotate' (ringfence_keyring_current_version in /metrics); a second run re-seals what is still left.",
		Args: cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			counts, version, err := n.Rewrap(cmd.Context())
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TABLE\tCOLUMN\tCHECKED\tREWRAPPED\tCHANGED MEANWHILE\tFAILED")
			var total, checked, changed int
			for _, c := range counts {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", c.Table, c.Column, c.Checked, c.Rewrapped, c.Changed, c.Failed)
				total, checked, changed = total+c.Rewrapped, checked+c.Checked, changed+c.Changed
			}
			if ferr := tw.Flush(); err == nil {
				err = ferr
			}
			if version > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "rewrapped %d of %d sealed values under keyring version %d\n", total, checked, version)
			}
			if changed > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d values changed while rewrapping and were left as written; run rewrap again\n", changed)
			}
			return err
		}),
	}
	for _, sub := range []*cobra.Command{create, list, revoke, roll, rotate, rewrap} {
		addNodeFlags(sub.Flags())
		c.AddCommand(sub)
	}
	return c
}

func adminCmd(environ []string) *cobra.Command {
	c := &cobra.Command{Use: "admin", Short: "Operator actions taken on the server's host"}
	inst := &cobra.Command{Use: "instance", Short: "Instance deletion protection"}
	unprotect := &cobra.Command{
		Use:   "unprotect INSTANCE_ID",
		Short: "Lift deletion protection so DeleteInstance can proceed (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			if err := n.SetInstanceProtection(cmd.Context(), args[0], false); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deletion protection lifted for instance %s\n", args[0])
			return nil
		}),
	}
	protect := &cobra.Command{
		Use:   "protect INSTANCE_ID",
		Short: "Turn deletion protection back on (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			if err := n.SetInstanceProtection(cmd.Context(), args[0], true); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deletion protection on for instance %s\n", args[0])
			return nil
		}),
	}
	for _, sub := range []*cobra.Command{unprotect, protect} {
		addNodeFlags(sub.Flags())
		inst.AddCommand(sub)
	}
	c.AddCommand(inst, dataProtectionCmd(environ))
	c.AddCommand(ssoCommands(environ)...)
	return c
}

// dataProtectionCmd shows or changes an instance's data-protection settings.
func dataProtectionCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "data-protection --instance ID [--sensitive-attributes NAMES] [--policy mask|bin-last4]",
		Short: "Show or change which contact attributes are sensitive and how card numbers are kept (audited)",
		Long: `Without --sensitive-attributes or --policy, print the instance's settings.

--sensitive-attributes takes comma-separated attribute keys; a key ending in '*' names a
prefix ("card_*"). It replaces the whole list; an empty value clears it. Sensitive attributes
are kept exactly as set (sealed), never written to contact records or flow logs (a keyed hash
stands in), not searchable, and shown only to profiles holding Ringfence.DecryptedFields.View.
Every other attribute value, task names and descriptions are redacted before storage.

--policy mask replaces card numbers with [CARD]; bin-last4 keeps the first six and last four
digits for viewers holding UnredactedData.View (everyone else still sees [CARD]).`,
		Args: cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			if inst == "" {
				return errors.New("--instance is required")
			}
			var ch node.DataProtectionChange
			if cmd.Flags().Changed("sensitive-attributes") {
				raw, _ := cmd.Flags().GetString("sensitive-attributes")
				names := []string{}
				for _, name := range strings.Split(raw, ",") {
					if name = strings.TrimSpace(name); name != "" {
						names = append(names, name)
					}
				}
				ch.SensitiveAttributes = &names
			}
			if cmd.Flags().Changed("policy") {
				p, _ := cmd.Flags().GetString("policy")
				cd := instance.CardDisplay(p)
				ch.CardDisplay = &cd
			}
			var (
				d   instance.DataProtection
				err error
			)
			if ch.SensitiveAttributes == nil && ch.CardDisplay == nil {
				d, err = n.DataProtection(cmd.Context(), inst)
			} else {
				d, err = n.SetDataProtection(cmd.Context(), inst, ch)
			}
			if err != nil {
				return err
			}
			updated := "never"
			if !d.UpdatedTime.IsZero() {
				updated = d.UpdatedTime.Format("2006-01-02T15:04:05.000Z")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "instance_id=%s\nsensitive_attributes=%s\ncard_policy=%s\nupdated=%s\n",
				inst, strings.Join(d.SensitiveAttributes, ","), d.Card(), updated)
			return nil
		}),
	}
	c.Flags().String("instance", "", "instance ID")
	c.Flags().String("sensitive-attributes", "", "comma-separated attribute keys or 'prefix*' patterns (replaces the list; empty clears it)")
	c.Flags().String("policy", "", "card policy: mask or bin-last4")
	addNodeFlags(c.Flags())
	return c
}

// withNode opens the node for a command and closes it afterwards.
func withNode(environ []string, fn func(cmd *cobra.Command, n *node.Node, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		n, err := openNode(cmd, environ)
		if err != nil {
			return err
		}
		defer n.Close()
		return fn(cmd, n, args)
	}
}

// extraCommands are the commands of other packages (flows, decryption) wired into the binary,
// and the external-function commands; the flow command gains "import" and "logs", which need
// the node.
func extraCommands(environ []string) []*cobra.Command {
	fc := flowcli.NewCommand()
	fc.AddCommand(flowImportCmd(environ), flowLogsCmd(environ))
	return []*cobra.Command{fc, functionsCmd(environ), decryptCmd(), widgetCmd(environ)}
}
