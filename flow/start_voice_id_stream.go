package flow

// StartVoiceIdStream: starts Voice ID audio streaming through the Voice ID adapter.
// Source: flow-control-actions-startvoiceidstream.
//
//	{"Identifier": "step", "Type": "StartVoiceIdStream",
//	 "Parameters": {},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Voice ID itself: the action runs through the Adapter
// registered for this Type (its Values fill $.VoiceId.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func startVoiceIdStream() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "StartVoiceIdStream", Category: "flow-control", Status: StatusAdapter, Summary: "Starts Voice ID audio streaming through the Voice ID adapter."},
		params: []paramRule{},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "VoiceId", "Voice ID") },
	}
}
