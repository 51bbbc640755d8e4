package flow

// EndFlowModuleExecution returns from a flow module to the flow that invoked it, which
// continues at the InvokeFlowModule action's NextAction. Source: contact-actions list
// (flow-language); the return semantics follow the module designer's behaviour.
//
//	{"Identifier": "return", "Type": "EndFlowModuleExecution", "Parameters": {}, "Transitions": {}}
//
// Outside a module it ends the flow (outcome "ended").
func endFlowModuleExecution() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "EndFlowModuleExecution", Category: "contact", Status: StatusExecuted, Summary: "Returns from a module to the invoking flow's NextAction.", Terminal: true},
		run: func(r *runner, a *Action) step {
			s := r.s
			if len(s.Stack) < 2 || !s.top().Module {
				return step{end: &Outcome{Kind: OutcomeEnded, Reason: "module ended outside a module call"}}
			}
			s.Stack = s.Stack[:len(s.Stack)-1]
			caller := s.top()
			ref, err := r.lookup(caller.FlowID)
			if err != nil {
				return step{end: &Outcome{Kind: OutcomeError, Reason: "calling flow not found"}}
			}
			inv := ref.Flow.Action(caller.Action)
			if inv == nil || inv.Transitions.NextAction == "" {
				return step{end: &Outcome{Kind: OutcomeEnded, Reason: "invoking action has no next action"}}
			}
			caller.Action = inv.Transitions.NextAction
			return step{jumped: true, branch: "Return:" + caller.FlowID}
		},
	}
}
