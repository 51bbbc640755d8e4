package flow

import "encoding/json"

// UpdateRoutingCriteria sets proficiency-based routing steps for the contact.
// Source: flow-control-actions-updateroutingcriteria.
//
//	{"Identifier": "skills", "Type": "UpdateRoutingCriteria",
//	 "Parameters": {"RoutingCriteria": {"Steps": [{"Expression": {"AttributeCondition": {
//	   "Name": "Language", "Value": "French", "ProficiencyLevel": "3", "ComparisonOperator": "NumberGreaterOrEqualTo"}}}]}},
//	 "Transitions": {"NextAction": "enqueue", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "enqueue"}]}}
//
// The criteria (references resolved) are stored as JSON in
// Session.Behaviour.RoutingCriteria for the router.
func updateRoutingCriteria() actionSpec {
	return routingCriteriaSpec("UpdateRoutingCriteria", "Stores proficiency routing criteria for the router.")
}

func routingCriteriaSpec(typ, summary string) actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: typ, Category: "flow-control", Status: StatusExecuted, Summary: summary},
		params: []paramRule{{name: "RoutingCriteria", kind: pObject, required: true}},
		run: func(r *runner, a *Action) step {
			raw, err := json.Marshal(r.resolveAny(a.Parameters["RoutingCriteria"]))
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			r.s.Behaviour.RoutingCriteria = raw
			return ok()
		},
	}
}
