package flow

// TransferToFlow ends the current flow and starts another (flow attributes are not
// carried over; contact attributes are). Source: flow-control-actions-transfertoflow.
//
//	{"Identifier": "to-main", "Type": "TransferToFlow",
//	 "Parameters": {"ContactFlowId": "arn:aws:connect:eu-west-2:111122223333:instance/abc/contact-flow/main"},
//	 "Transitions": {"NextAction": "bye", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}}
//
// The flow is found through Config.Flows by ID or ARN; an unknown flow takes
// NoMatchingError.
func transferToFlow() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "TransferToFlow", Category: "flow-control", Status: StatusExecuted, Summary: "Replaces the running flow with another one (found by ID or ARN)."},
		params: []paramRule{{name: "ContactFlowId", kind: pText, required: true}},
		run: func(r *runner, a *Action) step {
			id, _, _ := r.param(a.Parameters, "ContactFlowId")
			if id == "" {
				return fail(ErrNoMatchingError)
			}
			ref, err := r.lookup(id)
			if err != nil {
				return step{err: ErrNoMatchingError, note: "flow not found"}
			}
			*r.frame() = Frame{FlowID: ref.ID, FlowName: ref.Name, Module: r.frame().Module, Action: ref.Flow.StartAction}
			return step{jumped: true, branch: "Flow:" + ref.ID}
		},
	}
}
