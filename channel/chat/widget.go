package chat

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
)

// Widget is a customer chat widget of an instance: what an organisation embeds on its web
// site so that visitors can chat. The pages that may embed it are the instance's approved
// origins (instance.ApprovedOrigin); every chat it starts runs ContactFlowID. Amazon Connect
// configures its communications widget in the console only (no public API operation), so
// Ringfence manages widgets with `ringfence widget create|list|delete` on the host.
type Widget struct {
	InstanceID string
	// ID is a random lower-case UUID; it appears in the widget's public URLs
	// (/widget/{ID}/loader.js), which name no instance.
	ID string
	// Name is 1 to 127 characters, unique in the instance.
	Name string
	// ContactFlowID is the ID of the published CONTACT_FLOW every chat of the widget starts in.
	ContactFlowID string
	// DisplayNamePrompt is the label of the field where the customer types the name agents
	// see (1 to 100 characters; default DefaultDisplayNamePrompt).
	DisplayNamePrompt string
	// CreatedTime is UTC, millisecond precision.
	CreatedTime time.Time
}

// DefaultDisplayNamePrompt labels the customer's name field unless a widget says otherwise.
const DefaultDisplayNamePrompt = "Your name"

// CheckWidget validates the fields a person gives a widget: Name 1 to 127 characters,
// DisplayNamePrompt 1 to 100, both without control or invisible format characters, and a
// ContactFlowID. Errors are InvalidParameterException naming the field.
func CheckWidget(w Widget) error {
	if err := checkLabel("Name", w.Name, 127); err != nil {
		return err
	}
	if err := checkLabel("DisplayNamePrompt", w.DisplayNamePrompt, 100); err != nil {
		return err
	}
	if w.ContactFlowID == "" || len(w.ContactFlowID) > 500 {
		return apierr.InvalidParameter("a widget needs the ID of the contact flow its chats start in")
	}
	return nil
}

func checkLabel(field, s string, max int) error {
	n := utf8.RuneCountInString(s)
	if n < 1 || n > max || !utf8.ValidString(s) || strings.TrimSpace(s) == "" {
		return apierr.InvalidParameter(field + " must be 1 to " + itoa(max) + " characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return apierr.InvalidParameter(field + " must not contain control or invisible format characters")
		}
	}
	return nil
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// WidgetStore persists widgets. Errors are *apierr.Error: DuplicateResourceException for a
// name in use, ResourceNotFoundException for an unknown widget.
type WidgetStore interface {
	// CreateChatWidget stores a new widget.
	CreateChatWidget(ctx context.Context, w Widget) error
	// ListChatWidgets returns the instance's widgets by name.
	ListChatWidgets(ctx context.Context, instanceID string) ([]Widget, error)
	// ChatWidgetByID finds a widget by its ID alone: the lookup behind the public widget
	// URLs, which carry no instance (the widget names it).
	ChatWidgetByID(ctx context.Context, widgetID string) (Widget, error)
	// DeleteChatWidget removes a widget of the instance.
	DeleteChatWidget(ctx context.Context, instanceID, widgetID string) error
}
