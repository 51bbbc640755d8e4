package flow

// CreateCase: creates a case through the Cases adapter; fields land in $.Case.*.
// Source: contact-actions-createcase.
//
//	{"Identifier": "step", "Type": "CreateCase",
//	 "Parameters": {"CaseTemplateId": "tmpl-1", "LinkContactToCase": "True", "CaseRequestFields": {"title": "$.Attributes.reason"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Cases itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Case.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func createCase() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CreateCase", Category: "contact", Status: StatusAdapter, Summary: "Creates a case through the Cases adapter; fields land in $.Case.*."},
		params: []paramRule{{name: "CaseTemplateId", kind: pText}, {name: "LinkContactToCase", kind: pBool}, {name: "CaseRequestFields", kind: pObject}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Case", "Cases") },
	}
}
