package flow

// MessageParticipant plays a prompt (voice) or sends a message (chat, task).
// Source: participant-actions-messageparticipant.
//
//	{"Identifier": "welcome", "Type": "MessageParticipant",
//	 "Parameters": {"Text": "Hello $.Attributes.firstName"},
//	 "Transitions": {"NextAction": "menu", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}}
//
// Exactly one of Text (dynamic), SSML (dynamic, voice) or PromptId (voice) or Media.
// The message is appended to Result.Messages. A PromptId on a non-voice channel takes
// NoMatchingError.
func messageParticipant() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "MessageParticipant", Category: "participant", Status: StatusExecuted, Summary: "Plays a prompt or sends a message to the customer (Result.Messages)."},
		params: promptRules(),
		check:  func(c *checker, a *Action, path string) { checkOnePrompt(c, a, path, true) },
		run: func(r *runner, a *Action) step {
			m, present, errType := r.message(a.Parameters)
			if errType != "" {
				return fail(errType)
			}
			if !present {
				return fail(ErrNoMatchingError)
			}
			r.res.Messages = append(r.res.Messages, m)
			return ok()
		},
	}
}
