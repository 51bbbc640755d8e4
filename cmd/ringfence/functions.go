package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/secret"
)

// functionsCmd configures what the external functions of an instance are invoked as.
func functionsCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "functions",
		Short: "External functions: what each function ARN a flow invokes is called as (HTTPS endpoint or built-in)",
		Long: `A flow's InvokeLambdaFunction names a function ARN. The instance associates ARNs
(AssociateLambdaFunction, or "functions set", which associates when needed) and each ARN is
invoked as an HTTPS endpoint that receives the Connect Lambda event signed with a shared secret
(X-Ringfence-Timestamp, X-Ringfence-Signature), or as a built-in function of the node.
Secrets are stored sealed and never printed.`,
	}
	set := &cobra.Command{
		Use:   "set --instance ID --arn ARN (--url https://... --secret-file FILE | --builtin NAME)",
		Short: "Point a function ARN at an HTTPS endpoint with a signing secret, or at a built-in (associates the ARN if needed)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			fl := cmd.Flags()
			inst, _ := fl.GetString("instance")
			arn, _ := fl.GetString("arn")
			if inst == "" || arn == "" {
				return errors.New("--instance and --arn are required")
			}
			fs := node.FunctionSetting{ARN: arn}
			fs.URL, _ = fl.GetString("url")
			fs.Builtin, _ = fl.GetString("builtin")
			fs.AllowHosts, _ = fl.GetStringArray("allow-host")
			fs.AllowCIDRs, _ = fl.GetStringArray("allow-cidr")
			if file, _ := fl.GetString("secret-file"); file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("--secret-file: %w", err)
				}
				fs.Secret = secret.New(strings.TrimRight(string(b), "\r\n"))
			} else if fs.URL != "" {
				return errors.New("--url needs --secret-file (the signing secret, at least 16 bytes)")
			}
			associated, err := n.SetFunction(cmd.Context(), inst, fs)
			if err != nil {
				return err
			}
			target := "built-in " + fs.Builtin
			if fs.URL != "" {
				target = fs.URL + " (signing secret stored sealed)"
			}
			if associated {
				fmt.Fprintf(cmd.OutOrStdout(), "associated %s with instance %s\n", arn, inst)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is invoked as %s\n", arn, target)
			return nil
		}),
	}
	fl := set.Flags()
	fl.String("instance", "", "instance ID (required)")
	fl.String("arn", "", "function ARN as flows name it, arn:aws:lambda:REGION:ACCOUNT:function:NAME (required)")
	fl.String("url", "", "https:// endpoint that receives the signed Connect Lambda event")
	fl.String("secret-file", "", "file holding the signing secret (at least 16 bytes; a trailing newline is ignored)")
	fl.StringArray("allow-host", nil, "host name or IP the endpoint may be reached at even when private or loopback (repeatable)")
	fl.StringArray("allow-cidr", nil, "address prefix the endpoint may be reached in even when private, e.g. 10.20.0.0/16 (repeatable)")
	fl.String("builtin", "", "built-in function name instead of an endpoint: "+strings.Join(builtinNames(), ", "))

	list := &cobra.Command{
		Use:   "list --instance ID",
		Short: "List the instance's function ARNs and what each is invoked as (never secrets)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			if inst == "" {
				return errors.New("--instance is required")
			}
			fns, err := n.ListFunctions(cmd.Context(), inst)
			if err != nil {
				return err
			}
			type row struct {
				ARN          string   `json:"arn"`
				Target       string   `json:"target"`
				URL          string   `json:"url,omitempty"`
				SecretSet    bool     `json:"secretSet,omitempty"`
				AllowHosts   []string `json:"allowHosts,omitempty"`
				AllowCIDRs   []string `json:"allowCidrs,omitempty"`
				Builtin      string   `json:"builtin,omitempty"`
				Version      int64    `json:"version"`
				LastModified string   `json:"lastModified"`
			}
			rows := []row{}
			for _, a := range fns {
				r := row{ARN: a.ARN, Target: "none", Version: a.Version, LastModified: a.LastModifiedTime.Format("2006-01-02T15:04:05Z")}
				if t := a.Target; t != nil {
					switch {
					case t.Builtin != "":
						r.Target, r.Builtin = "builtin", t.Builtin
					case t.Endpoint != nil:
						r.Target, r.URL, r.SecretSet = "endpoint", t.Endpoint.URL, t.Endpoint.SigningSecret.Reveal() != ""
						r.AllowHosts, r.AllowCIDRs = t.Endpoint.AllowHosts, t.Endpoint.AllowCIDRs
					}
				}
				rows = append(rows, r)
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FUNCTION ARN\tINVOKED AS\tSECRET\tVERSION\tLAST MODIFIED")
			for _, r := range rows {
				as, sec := r.Target, "-"
				switch r.Target {
				case "builtin":
					as = "built-in " + r.Builtin
				case "endpoint":
					as, sec = r.URL, "set"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", r.ARN, as, sec, r.Version, r.LastModified)
			}
			return tw.Flush()
		}),
	}
	list.Flags().String("instance", "", "instance ID (required)")
	list.Flags().Bool("json", false, "print JSON")

	remove := &cobra.Command{
		Use:   "remove --instance ID --arn ARN [--disassociate]",
		Short: "Remove a function's endpoint and secret (or built-in); flows invoking it take their error branch",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			arn, _ := cmd.Flags().GetString("arn")
			dis, _ := cmd.Flags().GetBool("disassociate")
			if inst == "" || arn == "" {
				return errors.New("--instance and --arn are required")
			}
			if err := n.RemoveFunction(cmd.Context(), inst, arn, dis); err != nil {
				return err
			}
			if dis {
				fmt.Fprintf(cmd.OutOrStdout(), "disassociated %s\n", arn)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "removed the target of %s (still associated)\n", arn)
			}
			return nil
		}),
	}
	remove.Flags().String("instance", "", "instance ID (required)")
	remove.Flags().String("arn", "", "function ARN (required)")
	remove.Flags().Bool("disassociate", false, "also disassociate the ARN from the instance (refused while a published flow invokes it)")

	for _, sub := range []*cobra.Command{set, list, remove} {
		addNodeFlags(sub.Flags())
		c.AddCommand(sub)
	}
	return c
}

func builtinNames() []string {
	var out []string
	for _, b := range extfn.StandardBuiltins() {
		out = append(out, b.Name)
	}
	return out
}

// flowLogsCmd prints the stored flow logs of a contact, one JSON entry per line.
func flowLogsCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "logs --instance ID --contact ID",
		Short: "Print a contact's stored flow-log entries, oldest first, one JSON object per line (audited)",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			id, _ := cmd.Flags().GetString("contact")
			limit, _ := cmd.Flags().GetInt("limit")
			if inst == "" || id == "" {
				return errors.New("--instance and --contact are required")
			}
			logs, err := n.FlowLogs(cmd.Context(), inst, id, limit)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, l := range logs {
				fmt.Fprintf(w, "%s\n", l.Entry)
			}
			return nil
		}),
	}
	addNodeFlags(c.Flags())
	c.Flags().String("instance", "", "instance ID (required)")
	c.Flags().String("contact", "", "contact ID (required)")
	c.Flags().Int("limit", 0, "print at most this many entries (0: all)")
	return c
}
