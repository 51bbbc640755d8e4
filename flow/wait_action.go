package flow

// Wait pauses a chat or task contact until an event (CustomerReturned,
// BotParticipantDisconnected) or the time limit; the result is the event or
// "WaitCompleted". Source: flow-control-actions-wait.
//
//	{"Identifier": "wait", "Type": "Wait", "Parameters": {"TimeLimitSeconds": "900", "Events": ["CustomerReturned"]},
//	 "Transitions": {"NextAction": "timeout", "Conditions": [
//	   {"NextAction": "back", "Condition": {"Operator": "Equals", "Operands": ["CustomerReturned"]}},
//	   {"NextAction": "timeout", "Condition": {"Operator": "Equals", "Operands": ["WaitCompleted"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "timeout"}]}}
//
// Exports write TimeLimitSeconds, the reference TimeoutSeconds; both are accepted
// (≤ 604800). The flow waits (WaitEvent); Resume with Event or Timeout.
func waitAction() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "Wait", Category: "flow-control", Status: StatusExecuted, Summary: "Waits for an event or a time limit (chat, task)."},
		params: []paramRule{{name: "TimeLimitSeconds", kind: pInt, min: 0, max: 604800}, {name: "TimeoutSeconds", kind: pInt, min: 0, max: 604800}, {name: "Events", kind: pList}},
		run: func(r *runner, a *Action) step {
			t := r.intParam(a.Parameters, "TimeLimitSeconds", r.intParam(a.Parameters, "TimeoutSeconds", 0))
			ev, _ := a.Parameters["Events"].([]any)
			return step{wait: &Wait{Kind: WaitEvent, TimeoutSeconds: t, Events: stringList(r, ev)}}
		},
		resume: func(r *runner, a *Action, ans Answer) step {
			if ans.ErrorType != "" {
				return fail(ans.ErrorType)
			}
			if ans.Timeout || ans.Event == "" {
				return result("WaitCompleted")
			}
			return result(ans.Event)
		},
	}
}
