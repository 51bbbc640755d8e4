package flow

// StartOutboundChatContact: starts an outbound chat through the adapter.
// Source: contact-actions-startoutboundchatcontact.
//
//	{"Identifier": "step", "Type": "StartOutboundChatContact",
//	 "Parameters": {},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide outbound chat itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Contact.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func startOutboundChatContact() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "StartOutboundChatContact", Category: "contact", Status: StatusAdapter, Summary: "Starts an outbound chat through the adapter."},
		params: []paramRule{},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Contact", "outbound chat") },
	}
}
