package flow

// InvokeFlowModule runs a flow module and, when the module ends with
// EndFlowModuleExecution, continues at this action's NextAction.
// Source: flow-language-actions-invoke-flow-module.
//
//	{"Identifier": "auth", "Type": "InvokeFlowModule",
//	 "Parameters": {"FlowModuleId": "arn:aws:connect:eu-west-2:111122223333:instance/abc/flow-module/auth"},
//	 "Transitions": {"NextAction": "menu", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}}
//
// The module is found through Config.Flows and pushed on Session.Stack with its own
// flow attributes and loop counters. An unknown module takes NoMatchingError. The call
// depth is bounded by maxModuleDepth.
func invokeFlowModule() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "InvokeFlowModule", Category: "contact", Status: StatusExecuted, Summary: "Runs a flow module on the call stack, then continues at NextAction."},
		params: []paramRule{{name: "FlowModuleId", kind: pText, required: true}},
		run: func(r *runner, a *Action) step {
			id, _, _ := r.param(a.Parameters, "FlowModuleId")
			if len(r.s.Stack) >= maxModuleDepth {
				return fail(ErrNoMatchingError)
			}
			ref, err := r.lookup(id)
			if err != nil || id == "" {
				return step{err: ErrNoMatchingError, note: "flow module not found"}
			}
			r.s.Stack = append(r.s.Stack, Frame{FlowID: ref.ID, FlowName: ref.Name, Module: true, Action: ref.Flow.StartAction})
			return step{jumped: true, branch: "Module:" + ref.ID}
		},
	}
}

// maxModuleDepth bounds nested module calls.
const maxModuleDepth = 10
