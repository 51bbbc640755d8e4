package flow

// CheckOutboundCallStatus: reads the campaign call result (CallAnswered, VoicemailBeep, ...) through the campaigns adapter.
// Source: flow-control-actions-checkoutboundcallstatus.
//
//	{"Identifier": "step", "Type": "CheckOutboundCallStatus",
//	 "Parameters": {},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}], "Conditions": [{"NextAction": "ok", "Condition": {"Operator": "Equals", "Operands": ["CallAnswered"]}}]}}
//
// Ringfence does not provide outbound campaigns itself: the action runs through the Adapter
// registered for this Type (its Values fill $.OutboundCall.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func checkOutboundCallStatus() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CheckOutboundCallStatus", Category: "flow-control", Status: StatusAdapter, Summary: "Reads the campaign call result (CallAnswered, VoicemailBeep, ...) through the campaigns adapter."},
		params: []paramRule{},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "OutboundCall", "outbound campaigns") },
	}
}
