package flow

// Loop counts iterations: the result is "ContinueLooping" LoopCount times, then
// "DoneLooping", after which the counter resets. Source: flow-control-actions-loop.
//
//	{"Identifier": "retry", "Type": "Loop", "Parameters": {"LoopCount": "3"},
//	 "Transitions": {"NextAction": "give-up", "Conditions": [
//	   {"NextAction": "ask", "Condition": {"Operator": "Equals", "Operands": ["ContinueLooping"]}},
//	   {"NextAction": "give-up", "Condition": {"Operator": "Equals", "Operands": ["DoneLooping"]}}]}}
//
// LoopCount is 0–100, static or one reference (an invalid dynamic count counts as 0).
// The counter is kept per action Identifier in the running frame (Frame.Loops).
func loop() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "Loop", Category: "flow-control", Status: StatusExecuted, Summary: "Returns ContinueLooping LoopCount times, then DoneLooping (counter per action, in the session)."},
		params: []paramRule{{name: "LoopCount", kind: pInt, min: 0, max: 100}},
		run: func(r *runner, a *Action) step {
			n := r.intParam(a.Parameters, "LoopCount", 0)
			fr := r.frame()
			if fr.Loops == nil {
				fr.Loops = make(map[string]int, 2)
			}
			if c := fr.Loops[a.Identifier]; c < n {
				fr.Loops[a.Identifier] = c + 1
				return result("ContinueLooping")
			}
			delete(fr.Loops, a.Identifier)
			return result("DoneLooping")
		},
	}
}
