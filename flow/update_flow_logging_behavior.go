package flow

// UpdateFlowLoggingBehavior turns flow logs on or off for the rest of the contact.
// Source: flow-control-actions-updateflowloggingbehavior; set-logging-behavior.
//
//	{"Identifier": "logs-on", "Type": "UpdateFlowLoggingBehavior",
//	 "Parameters": {"FlowLoggingBehavior": "Enabled"}, "Transitions": {"NextAction": "welcome"}}
//
// FlowLoggingBehavior is "Enabled" or "Disabled" (static). Result.Log receives one
// LogEntry per action executed while logging is on (the switching action included).
func updateFlowLoggingBehavior() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateFlowLoggingBehavior", Category: "flow-control", Status: StatusExecuted, Summary: "Turns flow-log entries on or off for the rest of the contact."},
		params: []paramRule{{name: "FlowLoggingBehavior", kind: pText, required: true, enum: []string{"Enabled", "Disabled"}}},
		run: func(r *runner, a *Action) step {
			v, _ := paramString(a.Parameters, "FlowLoggingBehavior")
			r.s.Logging = v == "Enabled"
			return ok()
		},
	}
}
