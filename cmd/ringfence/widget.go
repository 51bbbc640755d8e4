package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/node"
)

// widgetJSON is one widget as `ringfence widget create|list --json` prints it.
type widgetJSON struct {
	ID                string `json:"id"`
	InstanceID        string `json:"instance_id"`
	Name              string `json:"name"`
	ContactFlowID     string `json:"contact_flow_id"`
	DisplayNamePrompt string `json:"display_name_prompt"`
	CreatedTime       string `json:"created_time"`
	// Snippet is the HTML to add to the organisation's pages.
	Snippet string `json:"snippet"`
}

func toWidgetJSON(n *node.Node, w chat.Widget) widgetJSON {
	return widgetJSON{ID: w.ID, InstanceID: w.InstanceID, Name: w.Name, ContactFlowID: w.ContactFlowID,
		DisplayNamePrompt: w.DisplayNamePrompt, CreatedTime: w.CreatedTime.Format("2006-01-02T15:04:05.000Z"),
		Snippet: node.WidgetSnippet(n.Endpoint(), w.ID)}
}

// widgetCmd is `ringfence widget create|list|delete`: customer chat widgets, which Amazon
// Connect manages in its console only.
func widgetCmd(environ []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "widget",
		Short: "Customer chat widgets for an organisation's web site (create, list, delete)",
		Long: `A widget is what an organisation embeds on its web site so that visitors can chat: a
launcher button and a chat panel served by this contact center. Its chats start in the
contact flow the widget names; only pages of the instance's approved origins
(aws connect associate-approved-origin) may start them.`,
	}
	create := &cobra.Command{
		Use:   "create --instance ID --flow FLOW_ID [--name NAME]",
		Short: "Create a widget whose chats start in a published contact flow; print the HTML to embed it",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			fl := cmd.Flags()
			inst, _ := fl.GetString("instance")
			flowID, _ := fl.GetString("flow")
			if inst == "" || flowID == "" {
				return &exitError{code: 2, err: errors.New("--instance and --flow are required")}
			}
			var o node.WidgetOptions
			o.Name, _ = fl.GetString("name")
			o.DisplayNamePrompt, _ = fl.GetString("prompt")
			w, err := n.CreateWidget(cmd.Context(), inst, flowID, o)
			if err != nil {
				return err
			}
			if asJSON, _ := fl.GetBool("json"); asJSON {
				return printJSON(cmd, toWidgetJSON(n, w))
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "created widget %q\n  id:   %s\n  flow: %s\n\nAdd this to the pages of an approved origin:\n\n  %s\n",
				w.Name, w.ID, w.ContactFlowID, node.WidgetSnippet(n.Endpoint(), w.ID))
			return nil
		}),
	}
	create.Flags().String("instance", "", "ID of the instance (required)")
	create.Flags().String("flow", "", "ID or ARN of the published contact flow chats start in (required)")
	create.Flags().String("name", "", `name of the widget, unique in the instance (default "Chat")`)
	create.Flags().String("prompt", "", `label of the visitor's name field (default "`+chat.DefaultDisplayNamePrompt+`")`)
	create.Flags().Bool("json", false, "print the widget as JSON")

	list := &cobra.Command{
		Use:   "list --instance ID",
		Short: "List the instance's widgets",
		Args:  cobra.NoArgs,
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, _ []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			if inst == "" {
				return &exitError{code: 2, err: errors.New("--instance is required")}
			}
			ws, err := n.ListWidgets(cmd.Context(), inst)
			if err != nil {
				return err
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				out := []widgetJSON{}
				for _, w := range ws {
					out = append(out, toWidgetJSON(n, w))
				}
				return printJSON(cmd, out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tCONTACT FLOW\tCREATED")
			for _, w := range ws {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.ID, w.Name, w.ContactFlowID, w.CreatedTime.Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		}),
	}
	list.Flags().String("instance", "", "ID of the instance (required)")
	list.Flags().Bool("json", false, "print the widgets as JSON")

	del := &cobra.Command{
		Use:   "delete WIDGET_ID --instance ID",
		Short: "Delete a widget: its loader and page stop answering at once (chats in progress go on)",
		Args:  cobra.ExactArgs(1),
		RunE: withNode(environ, func(cmd *cobra.Command, n *node.Node, args []string) error {
			inst, _ := cmd.Flags().GetString("instance")
			if inst == "" {
				return &exitError{code: 2, err: errors.New("--instance is required")}
			}
			if err := n.DeleteWidget(cmd.Context(), inst, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted widget %s\n", args[0])
			return nil
		}),
	}
	del.Flags().String("instance", "", "ID of the instance (required)")

	for _, sub := range []*cobra.Command{create, list, del} {
		addNodeFlags(sub.Flags())
		c.AddCommand(sub)
	}
	return c
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
