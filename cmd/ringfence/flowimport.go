package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/flowcli"
	"github.com/ringfence/ringfence/flow/flowimport"
	"github.com/ringfence/ringfence/node"
)

// flowImportOutput is the JSON object `ringfence flow import --json` prints.
type flowImportOutput struct {
	Created bool   `json:"created"`
	Kind    string `json:"kind,omitempty"`
	ID      string `json:"id,omitempty"`
	ARN     string `json:"arn,omitempty"`
	Name    string `json:"name,omitempty"`
	Type    string `json:"type,omitempty"`
	Status  string `json:"status,omitempty"`
	// Unmapped and Warnings count the references of those statuses.
	Unmapped   int                    `json:"unmapped"`
	Warnings   int                    `json:"warnings"`
	References []flowimport.Reference `json:"references"`
}

func flowImportCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "import FILE --instance ID",
		Short: "Create a flow of an instance from a flow exported from Amazon Connect, mapping the resources it references",
		Long: `Reads a flow exported from Amazon Connect (FILE, or - for standard input) and maps every
resource it references (queues, flows, flow modules, hours of operation, users, quick connects,
agent statuses, security keys, prompts, functions) to the instance's own: by the resource's ID,
else by the name the export records in its Metadata, else by --map OLD=NAME_OR_ID, where OLD is
the value as the export writes it (an ARN, the ID at its end, or a template placeholder such as
${QueueArn}) or the JSON path the report gives for one reference, and NAME_OR_ID names the
instance's resource (for functions, which are associated with the instance apart from flows,
it is the ARN written). The references are rewritten to the
instance's ARNs and the flow is created, saved, or with --publish published (validated, and
every resource it names must exist; its function ARNs must be associated with the instance).
Flow modules are always published.

Every reference is reported. When one cannot be mapped, the command lists them, creates nothing
and exits 1, unless --allow-unmapped. Lambda functions, Lex bots and views are kept as written
with a warning: their mappings are configured for the instance apart from flows.`,
		Args: cobra.ExactArgs(1),
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			return runFlowImport(cmd, n, args[0])
		}),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addNodeFlags(c.Flags())
	fl := c.Flags()
	fl.String("instance", "", "ID of the instance to create the flow in (required)")
	fl.Bool("publish", false, "publish the flow (validates it) instead of saving it")
	fl.StringArray("map", nil, "OLD=NAME_OR_ID: map a reference of the export to a resource of the instance (repeatable)")
	fl.String("name", "", "name of the new flow (default: the export's Metadata name, else the file name)")
	fl.String("type", "", "flow type, e.g. CONTACT_FLOW or CUSTOMER_QUEUE (default: the export's Metadata type, else CONTACT_FLOW)")
	fl.Bool("allow-unmapped", false, "create the flow even when references could not be mapped (they stay as written)")
	fl.Bool("json", false, "print the outcome and every reference as JSON")
	return c
}

func runFlowImport(cmd *cobra.Command, n *node.Node, file string) error {
	fl := cmd.Flags()
	inst, _ := fl.GetString("instance")
	if inst == "" {
		return &flowcli.ExitError{Code: flowcli.ExitUsage, Err: errors.New("--instance is required")}
	}
	o := node.FlowImportOptions{Overrides: map[string]string{}}
	o.Publish, _ = fl.GetBool("publish")
	o.AllowUnmapped, _ = fl.GetBool("allow-unmapped")
	o.Name, _ = fl.GetString("name")
	o.Type, _ = fl.GetString("type")
	asJSON, _ := fl.GetBool("json")
	maps, _ := fl.GetStringArray("map")
	for _, m := range maps {
		k, v, ok := strings.Cut(m, "=")
		if !ok || k == "" || v == "" {
			return &flowcli.ExitError{Code: flowcli.ExitUsage, Err: fmt.Errorf("--map %q: want OLD=NAME_OR_ID", m)}
		}
		o.Overrides[k] = v
	}
	var (
		doc []byte
		err error
	)
	if file == "-" {
		doc, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 4<<20))
	} else {
		doc, err = os.ReadFile(file)
		o.DefaultName = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if err != nil {
		return &flowcli.ExitError{Code: flowcli.ExitUsage, Err: fmt.Errorf("read flow: %w", err)}
	}
	res, err := n.ImportFlow(cmd.Context(), inst, doc, o)
	if res != nil && (err == nil || errors.Is(err, node.ErrUnmappedReferences)) {
		if perr := printFlowImport(cmd.OutOrStdout(), res, asJSON); perr != nil {
			return perr
		}
	}
	var invalid *flow.InvalidFlowError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, node.ErrUnmappedReferences):
		return &flowcli.ExitError{Code: flowcli.ExitInvalid, Err: fmt.Errorf("%d reference(s) could not be mapped to instance %s; nothing was created (map them with --map OLD=NAME_OR_ID, or pass --allow-unmapped)",
			len(res.Report.Unmapped()), inst)}
	case errors.As(err, &invalid):
		return &flowcli.ExitError{Code: flowcli.ExitInvalid, Err: fmt.Errorf("nothing was created: %w", err)}
	}
	return err
}

func printFlowImport(w io.Writer, res *node.FlowImport, asJSON bool) error {
	rep := res.Report
	if asJSON {
		out := flowImportOutput{Created: res.Created, Unmapped: len(rep.Unmapped()), Warnings: len(rep.Warnings()), References: rep.References}
		if out.References == nil {
			out.References = []flowimport.Reference{}
		}
		if res.Created {
			out.Kind, out.ID, out.ARN, out.Name, out.Type, out.Status = string(res.Kind), res.ID, res.ARN, res.Name, res.Type, res.Status
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if res.Created {
		fmt.Fprintf(w, "created %s %q (%s) %s\n  id:  %s\n  arn: %s\n", res.Kind.Noun(), res.Name, firstOf(res.Type, "module"), res.Status, res.ID, res.ARN)
	}
	if len(rep.References) == 0 {
		fmt.Fprintln(w, "references: none")
		return nil
	}
	fmt.Fprintln(w, "references:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, r := range rep.References {
		detail := r.Message
		if r.Status == flowimport.Mapped {
			detail = "-> " + r.Target + " (by " + r.Via + ")"
		}
		name := ""
		if r.Name != "" && r.Kind != flowimport.KindSecurityKey {
			name = fmt.Sprintf("%q", r.Name)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", r.Status, r.Kind, r.Path, r.Value, name, detail)
	}
	return tw.Flush()
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
