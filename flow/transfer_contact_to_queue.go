package flow

// TransferContactToQueue puts the contact in its working queue; the flow ends with
// outcome "queued" once the router accepts it. Source: contact-actions-transfercontacttoqueue.
//
//	{"Identifier": "enqueue", "Type": "TransferContactToQueue", "Parameters": {},
//	 "Transitions": {"NextAction": "bye", "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "full"},
//	   {"ErrorType": "NoMatchingError", "NextAction": "bye"}]}}
//
// The flow waits (WaitQueue, Wait.Queue = working queue). Resume empty ends the flow
// (queued); Resume with ErrorType "QueueAtCapacity" takes that branch. Without a working
// queue it takes NoMatchingError.
func transferContactToQueue() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "TransferContactToQueue", Category: "contact", Status: StatusExecuted, Summary: "Waits for the router to enqueue the contact in the working queue; ends as queued or takes QueueAtCapacity."},
		run: func(r *runner, a *Action) step {
			b := &r.s.Behaviour
			if b.TargetQueue == "" && b.TargetAgent == "" {
				return fail(ErrNoMatchingError)
			}
			return step{wait: &Wait{Kind: WaitQueue, Queue: b.TargetQueue, Agent: b.TargetAgent}}
		},
		resume: resumeQueued,
	}
}

func resumeQueued(r *runner, a *Action, ans Answer) step {
	if ans.ErrorType != "" {
		return fail(ans.ErrorType)
	}
	return step{end: &Outcome{Kind: OutcomeQueued, Queue: r.s.Behaviour.TargetQueue}}
}
