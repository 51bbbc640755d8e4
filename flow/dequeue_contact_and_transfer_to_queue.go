package flow

// DequeueContactAndTransferToQueue moves a queued contact to another queue (customer
// queue flows). Source: contact-actions-dequeuecontactandtransfertoqueue.
//
//	{"Identifier": "move", "Type": "DequeueContactAndTransferToQueue",
//	 "Parameters": {"QueueId": "arn:aws:connect:eu-west-2:111122223333:instance/abc/queue/overflow"},
//	 "Transitions": {"NextAction": "loop", "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "loop"},
//	   {"ErrorType": "NoMatchingError", "NextAction": "loop"}]}}
//
// The flow waits (WaitQueue); Resume empty ends the flow (queued in the new queue).
func dequeueContactAndTransferToQueue() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "DequeueContactAndTransferToQueue", Category: "contact", Status: StatusExecuted, Summary: "Waits for the router to move the queued contact to another queue."},
		params: []paramRule{{name: "QueueId", kind: pText}, {name: "AgentId", kind: pText}},
		check:  func(c *checker, a *Action, path string) { checkExclusive(c, a, path, "QueueId", "AgentId", true) },
		run: func(r *runner, a *Action) step {
			q, _, _ := r.param(a.Parameters, "QueueId")
			ag, _, _ := r.param(a.Parameters, "AgentId")
			if q == "" && ag == "" {
				return fail(ErrNoMatchingError)
			}
			r.s.Behaviour.TargetQueue, r.s.Behaviour.TargetAgent = q, ag
			return step{wait: &Wait{Kind: WaitQueue, Queue: q, Agent: ag}}
		},
		resume: resumeQueued,
	}
}
