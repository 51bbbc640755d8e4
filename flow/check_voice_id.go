package flow

// CheckVoiceId: checks enrollment, authentication or fraud status through the Voice ID adapter; the status is the result.
// Source: flow-control-actions-checkvoiceid.
//
//	{"Identifier": "step", "Type": "CheckVoiceId",
//	 "Parameters": {"CheckVoiceIdOption": "voiceAuthentication"},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}], "Conditions": [{"NextAction": "ok", "Condition": {"Operator": "Equals", "Operands": ["Authenticated"]}}]}}
//
// Ringfence does not provide Voice ID itself: the action runs through the Adapter
// registered for this Type (its Values fill $.VoiceId.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func checkVoiceId() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CheckVoiceId", Category: "flow-control", Status: StatusAdapter, Summary: "Checks enrollment, authentication or fraud status through the Voice ID adapter; the status is the result."},
		params: []paramRule{{name: "CheckVoiceIdOption", kind: pText, required: true, enum: []string{"enrollmentStatus", "voiceAuthentication", "fraudDetection"}}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "VoiceId", "Voice ID") },
	}
}
