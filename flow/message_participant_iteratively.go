package flow

// MessageParticipantIteratively loops prompts while the customer waits in a queue or on
// hold, until InterruptFrequencySeconds elapse (result "MessagesInterrupted").
// Source: participant-actions-messageparticipantiteratively.
//
//	{"Identifier": "hold-music", "Type": "MessageParticipantIteratively",
//	 "Parameters": {"Messages": [{"PromptId": "arn:...:prompt/music"}, {"Text": "Thanks for waiting."}],
//	   "InterruptFrequencySeconds": "60"},
//	 "Transitions": {"NextAction": "offer-callback", "Conditions": [{"NextAction": "offer-callback",
//	   "Condition": {"Operator": "Equals", "Operands": ["MessagesInterrupted"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}}
//
// The flow waits (WaitMessages); Resume with Event "MessagesInterrupted" gives that
// result, with ErrorType takes that error. On chat it takes NoMatchingError, as Connect.
func messageParticipantIteratively() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "MessageParticipantIteratively", Category: "participant", Status: StatusExecuted, Summary: "Waits while looping queue/hold prompts; resumes with MessagesInterrupted after the interrupt period."},
		params: []paramRule{{name: "Messages", kind: pList, required: true}, {name: "InterruptFrequencySeconds", kind: pInt, min: 1}},
		run: func(r *runner, a *Action) step {
			if ch := r.s.Contact.Channel; ch != "" && ch != "VOICE" {
				return fail(ErrNoMatchingError)
			}
			w := &Wait{Kind: WaitMessages, InterruptSeconds: r.intParam(a.Parameters, "InterruptFrequencySeconds", 0)}
			list, _ := a.Parameters["Messages"].([]any)
			for _, it := range list {
				if m, ok := it.(map[string]any); ok {
					if msg, present, errType := r.message(m); present && errType == "" {
						w.Messages = append(w.Messages, msg)
					}
				}
			}
			return step{wait: w}
		},
		resume: func(r *runner, a *Action, ans Answer) step {
			if ans.ErrorType != "" {
				return fail(ans.ErrorType)
			}
			return result("MessagesInterrupted")
		},
	}
}
