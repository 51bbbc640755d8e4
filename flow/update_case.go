package flow

// UpdateCase: updates a case through the Cases adapter.
// Source: contact-actions-updatecase.
//
//	{"Identifier": "step", "Type": "UpdateCase",
//	 "Parameters": {"CaseId": "$.Case.case_id", "CaseRequestFields": {"status": "closed"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "ContactNotLinked", "NextAction": "next"}, {"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Cases itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Case.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func updateCase() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateCase", Category: "contact", Status: StatusAdapter, Summary: "Updates a case through the Cases adapter."},
		params: []paramRule{{name: "CaseRequestFields", kind: pObject}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Case", "Cases") },
	}
}
