package flow

// TransferContactToAgent connects the contact to the agent of a transfer-to-agent flow
// and ends the flow (outcome "transferred_to_agent"). Source: contact-actions-transfercontacttoagent.
//
//	{"Identifier": "to-agent", "Type": "TransferContactToAgent", "Parameters": {}, "Transitions": {}}
func transferContactToAgent() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "TransferContactToAgent", Category: "contact", Status: StatusExecuted, Summary: "Ends the flow handing the contact to the transfer target agent.", Terminal: true},
		run: func(r *runner, a *Action) step {
			return step{end: &Outcome{Kind: OutcomeAgent}}
		},
	}
}
