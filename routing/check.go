package routing

import (
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
)

// The checks below are the rules of the routing configuration's records as the Amazon Connect
// API reference states them (CreateQueue, CreateQuickConnect, CreateRoutingProfile, ...).
// The Connect API and the admin pages both apply them, through store's routing
// administration transactions (store/routingadmin.go); messages name Connect's members, so
// either caller can show them as they are. Every error is InvalidParameterException.

// Limits of the routing configuration's requests (Amazon Connect API reference).
const (
	// MaxResourceID bounds a resource ID member or path segment: Connect's IDs are at most
	// 500 characters (ARNs included).
	MaxResourceID = 500
	// MaxQuickConnectIDs is the most quick connects one association request (or CreateQueue)
	// takes (AssociateQueueQuickConnects: QuickConnectIds, 1–50 items).
	MaxQuickConnectIDs = 50
	// MaxQueueConfigsPerRequest is the most queue × channel entries one routing profile
	// request carries (CreateRoutingProfile, AssociateRoutingProfileQueues: "The limit of 10
	// array members applies to the maximum number of RoutingProfileQueueConfig objects that
	// can be passed during a ... API request").
	MaxQueueConfigsPerRequest = 10
	// MaxNameLength and MaxDescriptionLength bound the Name (1–127 characters) and
	// Description (0–250; 1–250 for routing profiles) of hours, queues, routing profiles,
	// agent statuses and quick connects.
	MaxNameLength        = 127
	MaxDescriptionLength = 250
	// MaxOutboundCallerIDName bounds a queue's OutboundCallerIdName (characters).
	MaxOutboundCallerIDName = 255
	// MaxDisplayOrder is the highest position of an agent status in the agents' list
	// (CreateAgentStatus: DisplayOrder 1–50).
	MaxDisplayOrder = 50
	// MaxHoursConfig is the most open periods one hours of operation (or override) lists
	// (CreateHoursOfOperation: Config, 0–100 items).
	MaxHoursConfig = 100
)

// CheckHoursConfigCount refuses more than MaxHoursConfig open periods.
func CheckHoursConfigCount(n int) error {
	if n > MaxHoursConfig {
		return apierr.InvalidParameter(fmt.Sprintf("Config must have at most %d entries", MaxHoursConfig))
	}
	return nil
}

// CheckResourceID refuses a resource ID member longer than Connect allows (MaxResourceID
// characters), so that error messages never echo a large value.
func CheckResourceID(member, v string) error {
	if len(v) > MaxResourceID {
		return apierr.InvalidParameter(fmt.Sprintf("%s must be at most %d characters", member, MaxResourceID))
	}
	return nil
}

// CheckText checks a Name (minLen 1) or Description (minLen 0) member of minLen–maxLen
// characters: valid UTF-8 matching Connect's pattern ^[\P{C}\r\n\t]{1,max}$ (no control or
// format characters except CR, LF and tab).
func CheckText(member, v string, minLen, maxLen int) error {
	if n := utf8.RuneCountInString(v); n < minLen || n > maxLen || !utf8.ValidString(v) {
		return apierr.InvalidParameter(fmt.Sprintf("%s must be %d-%d characters", member, minLen, maxLen))
	}
	for _, r := range v {
		if r != '\r' && r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return apierr.InvalidParameter(member + " must not contain control or format characters")
		}
	}
	return nil
}

// CheckNameDescription checks the Name (1–127 characters) and Description (0–250) that
// Connect's routing resources share; a nil pointer is an absent member and is not checked.
func CheckNameDescription(name, description *string) error {
	if name != nil {
		if err := CheckText("Name", *name, 1, MaxNameLength); err != nil {
			return err
		}
	}
	if description != nil {
		if err := CheckText("Description", *description, 0, MaxDescriptionLength); err != nil {
			return err
		}
	}
	return nil
}

// CheckQuickConnectIDs checks the quick connect IDs of an association request: at most
// MaxQuickConnectIDs, at least one unless emptyOK (CreateQueue's list is optional), each
// at most MaxResourceID characters.
func CheckQuickConnectIDs(ids []string, emptyOK bool) error {
	if len(ids) > MaxQuickConnectIDs || (len(ids) == 0 && !emptyOK) {
		if emptyOK {
			return apierr.InvalidParameter(fmt.Sprintf("QuickConnectIds holds at most %d IDs", MaxQuickConnectIDs))
		}
		return apierr.InvalidParameter(fmt.Sprintf("QuickConnectIds must hold 1 to %d IDs", MaxQuickConnectIDs))
	}
	for _, id := range ids {
		if err := CheckResourceID("QuickConnectIds", id); err != nil {
			return err
		}
	}
	return nil
}

// e164 is an E.164 number: "+", a country code not starting with 0, at most 15 digits in all
// (ITU-T E.164 §6; Connect's PhoneNumberQuickConnectConfig.PhoneNumber). Read-only.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// ValidE164 reports whether n is an E.164 number ("+" then 2–15 digits, the first not 0).
func ValidE164(n string) bool { return e164.MatchString(n) }

// FlowTypeFor returns the flow type Connect's console offers for a quick connect of type t:
// QUEUE_TRANSFER for QUEUE, AGENT_TRANSFER for USER, CONTACT_FLOW for FLOW ("" for
// PHONE_NUMBER, which runs no flow). The API accepts any flow of the instance; the admin
// pages offer only flows of this type.
func FlowTypeFor(t QuickConnectType) string {
	switch t {
	case QuickConnectQueue:
		return "QUEUE_TRANSFER"
	case QuickConnectUser:
		return "AGENT_TRANSFER"
	case QuickConnectFlow:
		return "CONTACT_FLOW"
	}
	return ""
}
