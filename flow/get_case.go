package flow

// GetCase: looks up a case through the Cases adapter; fields land in $.Case.*.
// Source: contact-actions-getcase.
//
//	{"Identifier": "step", "Type": "GetCase",
//	 "Parameters": {"LinkContactToCase": "True", "CaseRequestFields": {"customer_id": "$.Customer.ProfileARN"}, "CaseResponseFields": ["status"]},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "MultipleFound", "NextAction": "agent"}, {"ErrorType": "NoneFound", "NextAction": "new"}, {"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Cases itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Case.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func getCase() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "GetCase", Category: "contact", Status: StatusAdapter, Summary: "Looks up a case through the Cases adapter; fields land in $.Case.*."},
		params: []paramRule{{name: "LinkContactToCase", kind: pBool}, {name: "GetLastUpdatedCase", kind: pBool}, {name: "CaseRequestFields", kind: pObject}, {name: "CaseResponseFields", kind: pList}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Case", "Cases") },
	}
}
