package flow

// DisconnectParticipant disconnects the customer and ends the flow (outcome
// "disconnected"). Source: participant-actions-disconnectparticipant.
//
//	{"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
func disconnectParticipant() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "DisconnectParticipant", Category: "participant", Status: StatusExecuted, Summary: "Disconnects the customer; the flow ends.", Terminal: true},
		run: func(r *runner, a *Action) step {
			return step{end: &Outcome{Kind: OutcomeDisconnected}}
		},
	}
}
