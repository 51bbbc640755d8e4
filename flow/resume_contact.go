package flow

// ResumeContact: resumes a paused contact through the adapter.
// Source: contact-actions-resumecontact.
//
//	{"Identifier": "step", "Type": "ResumeContact",
//	 "Parameters": {},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide contact resumption itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Contact.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func resumeContact() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "ResumeContact", Category: "contact", Status: StatusAdapter, Summary: "Resumes a paused contact through the adapter."},
		params: []paramRule{},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Contact", "contact resumption") },
	}
}
