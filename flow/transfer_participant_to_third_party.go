package flow

// TransferParticipantToThirdParty dials an external number (voice).
// Source: participant-actions-transferparticipanttothirdparty.
//
//	{"Identifier": "dial", "Type": "TransferParticipantToThirdParty",
//	 "Parameters": {"ThirdPartyPhoneNumber": "+442071234567", "ThirdPartyConnectionTimeLimitSeconds": "30",
//	   "ContinueFlowExecution": "True", "CallerId": {"Number": "+442079876543"}},
//	 "Transitions": {"NextAction": "after", "Errors": [{"ErrorType": "CallFailed", "NextAction": "sorry"},
//	   {"ErrorType": "NoMatchingError", "NextAction": "sorry"}]}}
//
// The flow waits (WaitThirdParty). Resume empty: with ContinueFlowExecution "True" the
// flow goes on, otherwise it ends (outcome "transferred_to_third_party"). Resume with
// ErrorType ConnectionTimeLimitExceeded or CallFailed takes that branch. A number that
// is not E.164 takes NoMatchingError.
func transferParticipantToThirdParty() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "TransferParticipantToThirdParty", Category: "participant", Status: StatusExecuted, Summary: "Waits while the caller dials an external E.164 number; continues or ends by ContinueFlowExecution."},
		params: []paramRule{{name: "ThirdPartyPhoneNumber", kind: pText, required: true}, {name: "ThirdPartyConnectionTimeLimitSeconds", kind: pInt, min: 0, max: 600},
			{name: "ContinueFlowExecution", kind: pBool}, {name: "ThirdPartyDTMFDigits", kind: pText}, {name: "CallerId", kind: pObject}},
		run: func(r *runner, a *Action) step {
			p := a.Parameters
			num, _, _ := r.param(p, "ThirdPartyPhoneNumber")
			if !e164Pattern.MatchString(num) {
				return fail(ErrNoMatchingError)
			}
			tp := &ThirdParty{Number: num, ContinueFlow: r.boolParam(p, "ContinueFlowExecution")}
			tp.DTMFDigits, _, _ = r.param(p, "ThirdPartyDTMFDigits")
			if cid, ok := paramObject(p, "CallerId"); ok {
				tp.CallerIDNumber, _, _ = r.param(cid, "Number")
				tp.CallerIDName, _, _ = r.param(cid, "Name")
			}
			return step{wait: &Wait{Kind: WaitThirdParty, ThirdParty: tp, TimeoutSeconds: r.intParam(p, "ThirdPartyConnectionTimeLimitSeconds", 30)}}
		},
		resume: func(r *runner, a *Action, ans Answer) step {
			if ans.ErrorType != "" {
				return fail(ans.ErrorType)
			}
			if r.boolParam(a.Parameters, "ContinueFlowExecution") {
				return ok()
			}
			return step{end: &Outcome{Kind: OutcomeThirdParty}}
		},
	}
}
