package flow

// UpdateContactCallbackNumber sets the number CreateCallbackContact calls back.
// Source: contact-actions-updatecontactcallbacknumber.
//
//	{"Identifier": "cb-number", "Type": "UpdateContactCallbackNumber",
//	 "Parameters": {"CallbackNumber": "$.StoredCustomerInput"},
//	 "Transitions": {"NextAction": "callback", "Errors": [{"ErrorType": "InvalidCallbackNumber", "NextAction": "retry"},
//	   {"ErrorType": "CallbackNumberNotDialable", "NextAction": "retry"}]}}
//
// A value that is not E.164 takes InvalidCallbackNumber.
func updateContactCallbackNumber() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactCallbackNumber", Category: "contact", Status: StatusExecuted, Summary: "Sets the E.164 callback number; invalid numbers take InvalidCallbackNumber."},
		params: []paramRule{{name: "CallbackNumber", kind: pText, required: true}},
		run: func(r *runner, a *Action) step {
			n, _, _ := r.param(a.Parameters, "CallbackNumber")
			if !e164Pattern.MatchString(n) {
				return fail("InvalidCallbackNumber")
			}
			r.s.Behaviour.CallbackNumber = n
			return ok()
		},
	}
}
