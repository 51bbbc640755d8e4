package flow

// UpdatePreviousContactParticipantState puts the agent or customer of the previous
// contact on hold or takes them off hold (agent privacy during secure input).
// Source: contact-actions-updatepreviouscontactparticipantstate.
//
//	{"Identifier": "hold-agent", "Type": "UpdatePreviousContactParticipantState",
//	 "Parameters": {"PreviousContactParticipantState": "AgentOnHold"},
//	 "Transitions": {"NextAction": "capture", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}}
//
// The state is recorded in Session.Behaviour for the voice channel to apply. Without a
// previous contact it takes NoMatchingError.
func updatePreviousContactParticipantState() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "UpdatePreviousContactParticipantState", Category: "contact", Status: StatusExecuted, Summary: "Records hold/off-hold for the previous contact's agent or customer."},
		params: []paramRule{{name: "PreviousContactParticipantState", kind: pText, required: true,
			enum: []string{"AgentOnHold", "CustomerOnHold", "OffHold"}}},
		run: func(r *runner, a *Action) step {
			if r.s.Contact.PreviousContactID == "" {
				return fail(ErrNoMatchingError)
			}
			r.s.Behaviour.PreviousContactParticipantState, _, _ = r.param(a.Parameters, "PreviousContactParticipantState")
			return ok()
		},
	}
}
