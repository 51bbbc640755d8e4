package flow

// UpdateContactEventHooks sets the flow run on a contact event: CustomerQueue,
// CustomerHold, AgentHold, CustomerWhisper, AgentWhisper, CustomerRemaining (disconnect
// flow), DefaultAgentUI, ... Source: contact-actions-updatecontacteventhooks.
//
//	{"Identifier": "queue-flow", "Type": "UpdateContactEventHooks",
//	 "Parameters": {"EventHooks": {"CustomerQueue": "arn:aws:connect:...:contact-flow/queue-music"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// The hooks are stored in Session.Behaviour.EventHooks for the router and channels.
// EventHooksConfiguration (seen in console exports) is accepted and ignored.
func updateContactEventHooks() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactEventHooks", Category: "contact", Status: StatusExecuted, Summary: "Records the flows to run on queue, hold, whisper and disconnect events."},
		params: []paramRule{{name: "EventHooks", kind: pObject}, {name: "EventHooksConfiguration", kind: pObject}},
		run: func(r *runner, a *Action) step {
			hooks, _ := paramObject(a.Parameters, "EventHooks")
			for k, v := range hooks {
				s, ok := scalarString(v)
				if !ok {
					return fail(ErrNoMatchingError)
				}
				val, _ := r.text(s)
				if r.s.Behaviour.EventHooks == nil {
					r.s.Behaviour.EventHooks = map[string]string{}
				}
				r.s.Behaviour.EventHooks[k] = val
			}
			return ok()
		},
	}
}
