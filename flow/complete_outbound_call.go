package flow

// CompleteOutboundCall dials the destination of an outbound contact whose flow runs
// before the call. Source: contact-actions-completeoutboundcall.
//
//	{"Identifier": "dial", "Type": "CompleteOutboundCall",
//	 "Parameters": {"CallerId": {"Number": "+442079876543"}},
//	 "Transitions": {"NextAction": "greet", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}}
//
// The flow waits (WaitOutboundCall with the caller ID); Resume empty goes on, Resume
// with ErrorType takes that branch.
func completeOutboundCall() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CompleteOutboundCall", Category: "contact", Status: StatusExecuted, Summary: "Waits while the voice channel dials the outbound destination."},
		params: []paramRule{{name: "CallerId", kind: pObject}},
		run: func(r *runner, a *Action) step {
			tp := &ThirdParty{Number: r.s.Contact.CustomerEndpoint.Address, ContinueFlow: true}
			if cid, ok := paramObject(a.Parameters, "CallerId"); ok {
				tp.CallerIDNumber, _, _ = r.param(cid, "Number")
			}
			return step{wait: &Wait{Kind: WaitOutboundCall, ThirdParty: tp}}
		},
		resume: func(r *runner, a *Action, ans Answer) step {
			if ans.ErrorType != "" {
				return fail(ans.ErrorType)
			}
			return ok()
		},
	}
}
