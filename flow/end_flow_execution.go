package flow

// EndFlowExecution ends the flow without disconnecting (whisper, queue and hold flows
// hand the contact back to Connect's built-in behaviour; outcome "ended").
// Source: flow-control-actions-endflowexecution.
//
//	{"Identifier": "end", "Type": "EndFlowExecution", "Parameters": {}, "Transitions": {}}
func endFlowExecution() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "EndFlowExecution", Category: "flow-control", Status: StatusExecuted, Summary: "Ends the flow without disconnecting the contact.", Terminal: true},
		run: func(r *runner, a *Action) step {
			return step{end: &Outcome{Kind: OutcomeEnded}}
		},
	}
}
