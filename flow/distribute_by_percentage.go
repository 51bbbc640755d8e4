package flow

import "strconv"

// DistributeByPercentage routes a share of contacts: the result is a number from 1 to
// 100 (Config.Random), matched by a chain of NumberLessThan conditions.
// Source: flow-control-actions-distributebypercentage.
//
//	{"Identifier": "ab", "Type": "DistributeByPercentage", "Parameters": {},
//	 "Transitions": {"NextAction": "b", "Conditions": [
//	   {"NextAction": "a", "Condition": {"Operator": "NumberLessThan", "Operands": ["21"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "b"}]}}
func distributeByPercentage() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "DistributeByPercentage", Category: "flow-control", Status: StatusExecuted, Summary: "Draws 1–100 from the injected random source for percentage routing."},
		run: func(r *runner, a *Action) step {
			return result(strconv.Itoa(r.e.cfg.Random(100) + 1))
		},
	}
}
