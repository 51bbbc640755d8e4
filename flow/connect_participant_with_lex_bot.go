package flow

// ConnectParticipantWithLexBot hands the customer to an Amazon Lex bot; the result is
// the intent name, matched with Equals conditions, and slots land in $.Lex.*.
// Source: participant-actions-connectparticipantwithlexbot.
//
//	{"Identifier": "bot", "Type": "ConnectParticipantWithLexBot",
//	 "Parameters": {"Text": "How can I help?", "LexV2Bot": {"AliasArn": "arn:aws:lex:...:bot-alias/X/Y"}},
//	 "Transitions": {"NextAction": "fallback", "Conditions": [{"NextAction": "sales",
//	   "Condition": {"Operator": "Equals", "Operands": ["Sales"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "fallback"},
//	   {"ErrorType": "NoMatchingError", "NextAction": "agent"}]}}
//
// Ringfence has no bot runtime: the action runs through the Adapter registered for this
// Type (its Values fill $.Lex.*, e.g. "IntentName", "Slots.date") and otherwise takes
// NoMatchingError with a "Lex bots" capability note.
func connectParticipantWithLexBot() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "ConnectParticipantWithLexBot", Category: "participant", Status: StatusAdapter, Summary: "Runs a bot conversation through the Lex adapter; the intent name is the result."},
		params: append([]paramRule{{name: "LexV2Bot", kind: pObject}, {name: "LexBot", kind: pObject}, {name: "LexSessionAttributes", kind: pObject}}, promptRules()...),
		check: func(c *checker, a *Action, path string) {
			checkOnePrompt(c, a, path, false)
			checkExclusive(c, a, path, "LexV2Bot", "LexBot", true)
		},
		run: func(r *runner, a *Action) step { return r.runAdapter(a, "Lex", "Lex bots") },
	}
}
