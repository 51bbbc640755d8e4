package flow

// UpdateContactTargetQueue sets the working queue used by TransferContactToQueue,
// CheckHoursOfOperation and the metric actions. Source: contact-actions-updatecontacttargetqueue.
//
//	{"Identifier": "set-queue", "Type": "UpdateContactTargetQueue",
//	 "Parameters": {"QueueId": "arn:aws:connect:eu-west-2:111122223333:instance/abc/queue/sales"},
//	 "Transitions": {"NextAction": "transfer", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}}
//
// QueueId (static or one reference) xor AgentId (agent queue). An empty resolved value
// takes NoMatchingError.
func updateContactTargetQueue() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactTargetQueue", Category: "contact", Status: StatusExecuted, Summary: "Sets the working queue (or agent queue) of the contact."},
		params: []paramRule{{name: "QueueId", kind: pText}, {name: "AgentId", kind: pText}},
		check:  func(c *checker, a *Action, path string) { checkExclusive(c, a, path, "QueueId", "AgentId", true) },
		run: func(r *runner, a *Action) step {
			q, _, _ := r.param(a.Parameters, "QueueId")
			ag, _, _ := r.param(a.Parameters, "AgentId")
			if q == "" && ag == "" {
				return fail(ErrNoMatchingError)
			}
			r.s.Behaviour.TargetQueue, r.s.Behaviour.TargetAgent = q, ag
			return ok()
		},
	}
}
