package flow

// UpdateContactMediaProcessing: configures chat media processing through the adapter.
// Source: contact-actions-updatecontactmediaprocessing.
//
//	{"Identifier": "step", "Type": "UpdateContactMediaProcessing",
//	 "Parameters": {},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide media processing itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Media.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func updateContactMediaProcessing() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactMediaProcessing", Category: "contact", Status: StatusAdapter, Summary: "Configures chat media processing through the adapter."},
		params: []paramRule{},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Media", "media processing") },
	}
}
