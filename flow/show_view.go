package flow

// ShowView shows a step-by-step view (form, confirmation, cards, ...) in the agent
// workspace or chat; the result is the user's action and outputs land in $.Views.*.
// Source: participant-actions-showview.
//
//	{"Identifier": "form", "Type": "ShowView",
//	 "Parameters": {"ViewResource": {"Id": "form", "Version": "Latest"}, "InvocationTimeLimitSeconds": "300",
//	   "ViewData": {"Heading": "Customer details"}},
//	 "Transitions": {"NextAction": "next", "Conditions": [{"NextAction": "next",
//	   "Condition": {"Operator": "Equals", "Operands": ["Next"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "next"},
//	   {"ErrorType": "NoMatchingError", "NextAction": "end"}, {"ErrorType": "TimeLimitExceeded", "NextAction": "end"}]}}
//
// Views run through the Adapter registered for ShowView (Values fill $.Views.*);
// without one the action takes NoMatchingError with a "views" capability note.
func showView() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "ShowView", Category: "participant", Status: StatusAdapter, Summary: "Shows a view through the views adapter; the user's action is the result."},
		params: []paramRule{{name: "ViewResource", kind: pObject, required: true}, {name: "InvocationTimeLimitSeconds", kind: pInt, min: 1}, {name: "ViewData", kind: pObject}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Views", "views") },
	}
}
