package flow

// CreateWisdomSession: creates an agent-assist session through the Q adapter; $.Wisdom.SessionArn.
// Source: contact-actions-createwisdomsession.
//
//	{"Identifier": "step", "Type": "CreateWisdomSession",
//	 "Parameters": {"WisdomAssistantArn": "arn:aws:wisdom:eu-west-2:111122223333:assistant/x"},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Amazon Q in Connect itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Wisdom.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func createWisdomSession() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CreateWisdomSession", Category: "contact", Status: StatusAdapter, Summary: "Creates an agent-assist session through the Q adapter; $.Wisdom.SessionArn."},
		params: []paramRule{{name: "WisdomAssistantArn", kind: pText, required: true}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Wisdom", "Amazon Q in Connect") },
	}
}
