package flow

// CheckHoursOfOperation branches on whether hours of operation are open now (result
// "True" or "False"). Source: flow-control-actions-checkhoursofoperation.
//
//	{"Identifier": "open?", "Type": "CheckHoursOfOperation", "Parameters": {"HoursOfOperationId": ""},
//	 "Transitions": {"NextAction": "closed", "Conditions": [
//	   {"NextAction": "open", "Condition": {"Operator": "Equals", "Operands": ["True"]}},
//	   {"NextAction": "closed", "Condition": {"Operator": "Equals", "Operands": ["False"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "closed"}]}}
//
// An empty HoursOfOperationId uses the working queue's hours. The time is Config.Clock;
// the decision is Host.HoursOpen. Without a Host, or without hours and working queue,
// it takes NoMatchingError.
func checkHoursOfOperation() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CheckHoursOfOperation", Category: "flow-control", Status: StatusExecuted, Summary: "Asks the host whether the given (or working queue's) hours are open at the injected time."},
		params: []paramRule{{name: "HoursOfOperationId", kind: pText}},
		run: func(r *runner, a *Action) step {
			if r.e.cfg.Host == nil {
				return r.missing(a, "hours of operation")
			}
			hours, _, _ := r.param(a.Parameters, "HoursOfOperationId")
			if hours == "" && r.s.Behaviour.TargetQueue == "" {
				return fail(ErrNoMatchingError)
			}
			open, err := r.e.cfg.Host.HoursOpen(r.ctx, hours, r.s.Behaviour.TargetQueue, r.e.cfg.Clock())
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			if open {
				return result("True")
			}
			return result("False")
		},
	}
}
