// Command ringfence is the Ringfence contact center: one binary that serves the
// Connect-compatible API and pages (serve), prepares a deployment (bootstrap), runs a ready
// demo (demo), and administers keys, instances and the audit log from the host.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/flow/flowcli"
	"github.com/ringfence/ringfence/node"
)

// exitError carries a process exit code out of a command without calling os.Exit inside it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRoot(os.Stdout, os.Stderr, os.Environ()).ExecuteContext(ctx)
	stop()
	if err != nil {
		var fe *flowcli.ExitError
		if errors.As(err, &fe) {
			if fe.Err != nil {
				fmt.Fprintln(os.Stderr, "ringfence:", fe.Err)
			}
			os.Exit(fe.Code)
		}
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintln(os.Stderr, "ringfence:", ee.err)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "ringfence:", err)
		os.Exit(1)
	}
}

// newRoot builds the command tree writing to stdout/stderr with the given environment.
func newRoot(stdout, stderr io.Writer, environ []string) *cobra.Command {
	root := &cobra.Command{
		Use:           "ringfence",
		Short:         "Ringfence: a self-hosted, security-first contact center that speaks Amazon Connect",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(serveCmd(environ), bootstrapCmd(environ), demoCmd(environ), auditCmd(environ),
		keysCmd(environ), adminCmd(environ))
	for _, c := range extraCommands(environ) {
		root.AddCommand(c)
	}
	return root
}

// openNode loads the configuration of cmd and opens the node.
func openNode(cmd *cobra.Command, environ []string) (*node.Node, error) {
	cfg, err := loadConfig(cmd.Flags(), environ)
	if err != nil {
		return nil, err
	}
	return node.Open(cmd.Context(), cfg)
}

func serveCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Connect-compatible API and pages until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			return n.Serve(cmd.Context(), nil)
		}),
	}
	addNodeFlags(c.Flags())
	return c
}

// bootstrapOutput is the JSON object `ringfence bootstrap` prints.
type bootstrapOutput struct {
	InstanceID      string `json:"instance_id"`
	InstanceARN     string `json:"instance_arn"`
	Region          string `json:"region"`
	Endpoint        string `json:"endpoint"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	CACertPath      string `json:"ca_cert_path"`
	// AdminUsername and AdminPassword appear only when this run created the administrator.
	AdminUsername string `json:"admin_username,omitempty"`
	AdminPassword string `json:"admin_password,omitempty"`
}

func bootstrap(cmd *cobra.Command, n *node.Node) (bootstrapOutput, error) {
	alias, _ := cmd.Flags().GetString("alias")
	res, err := n.Bootstrap(cmd.Context(), alias)
	if err != nil {
		return bootstrapOutput{}, err
	}
	return bootstrapOutput{
		InstanceID: res.InstanceID, InstanceARN: res.InstanceARN, Region: res.Region, Endpoint: res.Endpoint,
		AccessKeyID: res.AccessKeyID, SecretAccessKey: res.SecretAccessKey.Reveal(), CACertPath: res.CACertPath,
		AdminUsername: res.AdminUsername, AdminPassword: res.AdminPassword.Reveal(),
	}, nil
}

func bootstrapCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the first instance and its administrator (idempotent) and a new operator access key; print them as JSON",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			out, err := bootstrap(cmd, n)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}),
	}
	addNodeFlags(c.Flags())
	c.Flags().String("alias", "demo", "alias of the instance to create or reuse")
	return c
}

func demoCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "demo",
		Short: "Bootstrap a demo instance and serve it, printing what a person needs to try it",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			out, err := bootstrap(cmd, n)
			if err != nil {
				return err
			}
			if err := n.SeedDemo(cmd.Context(), out.InstanceID); err != nil {
				return err
			}
			people, err := n.SeedDemoUsers(cmd.Context(), out.InstanceID)
			if err != nil {
				return err
			}
			return n.Serve(cmd.Context(), func(addr string) {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "\nRingfence demo is running.\n\n")
				fmt.Fprintf(w, "  Endpoint:        %s\n", out.Endpoint)
				fmt.Fprintf(w, "  Instance:        %s (alias demo)\n", out.InstanceID)
				fmt.Fprintf(w, "  Instance ARN:    %s\n", out.InstanceARN)
				fmt.Fprintf(w, "  Health:          %s/healthz\n", out.Endpoint)
				alias, _ := cmd.Flags().GetString("alias")
				fmt.Fprintf(w, "  Sign in:         %s/ui/%s   (the users below)\n", n.PublicOrigin(), alias)
				fmt.Fprintf(w, "  Agent API:       %s/agent/v1/   (docs/agent-api.md)\n", n.PublicOrigin())
				fmt.Fprintf(w, "\nOperator access key (shown once):\n\n")
				fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=%s\n", out.AccessKeyID)
				fmt.Fprintf(w, "  export AWS_SECRET_ACCESS_KEY=%s\n", out.SecretAccessKey)
				fmt.Fprintf(w, "  export AWS_DEFAULT_REGION=%s\n", out.Region)
				if out.CACertPath != "" {
					fmt.Fprintf(w, "  export AWS_CA_BUNDLE=%s\n", out.CACertPath)
				}
				if out.AdminUsername != "" || len(people) > 0 {
					fmt.Fprintf(w, "\nUsers created now (passwords shown once; MFA enrolment is due at first sign-in where marked):\n\n")
					if out.AdminUsername != "" {
						fmt.Fprintf(w, "  %-12s %-18s %s  (MFA)\n", out.AdminUsername, "Admin", out.AdminPassword)
					}
					for _, p := range people {
						mfa := ""
						if p.MFAEnrollmentRequired {
							mfa = "  (MFA)"
						}
						fmt.Fprintf(w, "  %-12s %-18s %s%s\n", p.Username, p.SecurityProfile, p.Password.Reveal(), mfa)
					}
				}
				fmt.Fprintf(w, "\nThen:\n\n  aws connect list-instances --endpoint-url %s\n", out.Endpoint)
				fmt.Fprintf(w, "  aws connect describe-instance --instance-id %s --endpoint-url %s\n\nStop with Ctrl-C.\n", out.InstanceID, out.Endpoint)
			})
		}),
	}
	addNodeFlags(c.Flags())
	c.Flags().String("alias", "demo", "alias of the demo instance")
	return c
}

func auditCmd(environ []string) *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "Inspect the audit log"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit hash chain: exit 0 and print the count when intact, exit 1 naming the first bad event",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			count, err := audit.Verify(cmd.Context(), n.Store)
			var p *audit.Problem
			if errors.As(err, &p) {
				fmt.Fprintf(cmd.OutOrStdout(), "audit chain BROKEN at event %d: %s (%d events verified before it)\n", p.Seq, p.Reason, count)
				return &exitError{code: 1, err: errors.New("")}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d events\n", count)
			return nil
		}),
	}
	addNodeFlags(verify.Flags())
	c.AddCommand(verify)
	return c
}
