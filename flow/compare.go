package flow

// Compare ("Check contact attributes") matches one value against ordered conditions.
// Source: flow-control-actions-compare.
//
//	{"Identifier": "tier", "Type": "Compare", "Parameters": {"ComparisonValue": "$.Attributes.tier"},
//	 "Transitions": {"NextAction": "standard", "Conditions": [
//	   {"NextAction": "vip", "Condition": {"Operator": "Equals", "Operands": ["gold"]}},
//	   {"NextAction": "big", "Condition": {"Operator": "NumberGreaterThan", "Operands": ["1000"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "standard"}]}}
//
// The result is the resolved ComparisonValue; every operator is supported (number
// operators are false on non-numbers). A sensitive value ($.External, stored input)
// appears in the flow log as a keyed hash.
func compare() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "Compare", Category: "flow-control", Status: StatusExecuted, Summary: "Branches on a value with ordered conditions (every documented operator)."},
		params: []paramRule{{name: "ComparisonValue", kind: pText, required: true}},
		run: func(r *runner, a *Action) step {
			v, _, sens := r.param(a.Parameters, "ComparisonValue")
			st := step{result: v, hasResult: true, results: v}
			if sens {
				st.results = r.hash(v)
			}
			return st
		},
	}
}
