package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/web/widget"
)

// widgetHandler builds the customer chat widget's handler (mounted at /widget/): widgets and
// approved origins come from the store, chats start through the API server's StartChat.
func (n *Node) widgetHandler(a *api.Server) (*widget.Handler, error) {
	return widget.New(widget.Config{
		Directory: widgetDirectory{st: n.Store},
		Starter:   widgetStarter{a: a},
		Audit:     n.Store,
		Logger:    n.Config.Logger,
	})
}

// widgetDirectory reads widgets and approved origins for the widget URLs.
type widgetDirectory struct{ st store.Store }

func (d widgetDirectory) Widget(ctx context.Context, widgetID string) (chat.Widget, error) {
	var w chat.Widget
	err := d.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		w, err = tx.ChatWidgetByID(ctx, widgetID)
		return err
	})
	return w, err
}

func (d widgetDirectory) ApprovedOrigins(ctx context.Context, instanceID string) ([]string, error) {
	var out []string
	err := d.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		list, err := tx.ListApprovedOrigins(ctx, instanceID, "", instance.MaxApprovedOrigins)
		for _, o := range list {
			out = append(out, o.Origin)
		}
		return err
	})
	return out, err
}

// widgetStarter starts widget chats through the same path as StartChatContact.
type widgetStarter struct{ a *api.Server }

func (s widgetStarter) StartChat(ctx context.Context, ev *audit.Event, req widget.StartRequest) (widget.Started, error) {
	res, err := s.a.StartChat(ctx, ev, api.ChatStart{InstanceID: req.InstanceID, ContactFlowID: req.ContactFlowID,
		DisplayName: req.DisplayName, SupportedContentTypes: req.SupportedContentTypes, ClientToken: req.ClientToken})
	if err != nil {
		return widget.Started{}, err
	}
	return widget.Started{ContactID: res.ContactID, ParticipantID: res.ParticipantID, ParticipantToken: res.ParticipantToken}, nil
}

// WidgetOptions are the choices of CreateWidget.
type WidgetOptions struct {
	// Name is the widget's name in the instance (default "Chat").
	Name string
	// DisplayNamePrompt labels the customer's name field (default chat.DefaultDisplayNamePrompt).
	DisplayNamePrompt string
}

// CreateWidget creates a customer chat widget of the instance whose chats start in flowID
// (the ID or ARN of a published CONTACT_FLOW of the instance). The creation is audited with
// actor "host". Errors: ResourceNotFoundException (instance, flow), InvalidParameterException
// (names, a flow that is not a published contact flow), DuplicateResourceException (name).
func (n *Node) CreateWidget(ctx context.Context, instanceID, flowID string, o WidgetOptions) (chat.Widget, error) {
	if o.Name == "" {
		o.Name = "Chat"
	}
	if o.DisplayNamePrompt == "" {
		o.DisplayNamePrompt = chat.DefaultDisplayNamePrompt
	}
	w := chat.Widget{InstanceID: instanceID, ID: api.NewID(), Name: o.Name, ContactFlowID: lastPathSegment(flowID),
		DisplayNamePrompt: o.DisplayNamePrompt, CreatedTime: time.Now().UTC().Truncate(time.Millisecond)}
	if err := chat.CheckWidget(w); err != nil {
		return w, err
	}
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	ev := hostEvent("host.widget_create", "CreateChatWidget", instanceID, instARN+"/chat-widget/"+w.ID)
	ev.Details = map[string]string{"contact_flow_id": w.ContactFlowID}
	err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		rec, err := tx.GetFlowRecord(ctx, instanceID, flow.KindFlow, w.ContactFlowID)
		if err != nil {
			return err
		}
		if rec.Type != "CONTACT_FLOW" || rec.State != "ACTIVE" || rec.Content == "" {
			return apierr.InvalidParameter(fmt.Sprintf("flow %s is not a published, active CONTACT_FLOW (it is a %s, %s)", rec.ID, rec.Type, rec.State))
		}
		return tx.CreateChatWidget(ctx, w)
	})
	return w, err
}

// ListWidgets returns the instance's widgets by name.
func (n *Node) ListWidgets(ctx context.Context, instanceID string) ([]chat.Widget, error) {
	var out []chat.Widget
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, instanceID); err != nil {
			return err
		}
		var err error
		out, err = tx.ListChatWidgets(ctx, instanceID)
		return err
	})
	return out, err
}

// DeleteWidget deletes a widget of the instance (audited, actor "host"). Its loader and page
// answer 404 at once; chats it started go on. Errors: ResourceNotFoundException.
func (n *Node) DeleteWidget(ctx context.Context, instanceID, widgetID string) error {
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	ev := hostEvent("host.widget_delete", "DeleteChatWidget", instanceID, instARN+"/chat-widget/"+widgetID)
	return n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteChatWidget(ctx, instanceID, widgetID)
	})
}

// WidgetSnippet is the HTML an organisation adds to its pages to embed a widget served at
// endpoint (the node's public base URL).
func WidgetSnippet(endpoint, widgetID string) string {
	return fmt.Sprintf(`<script src="%s/widget/%s/loader.js" async></script>`, endpoint, widgetID)
}

func lastPathSegment(ref string) string {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '/' {
			return ref[i+1:]
		}
	}
	return ref
}
