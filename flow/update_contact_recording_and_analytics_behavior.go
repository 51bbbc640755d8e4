package flow

import "encoding/json"

// UpdateContactRecordingAndAnalyticsBehavior is the newer console block for recording
// and analytics (VoiceBehavior, ChatBehavior, InFlightChatRedactionConfiguration, ...).
// Source: contact-actions-updatecontactrecordingandanalyticsbehavior.
//
//	{"Identifier": "rec2", "Type": "UpdateContactRecordingAndAnalyticsBehavior",
//	 "Parameters": {"VoiceBehavior": {"VoiceRecordingBehavior": {"RecordedParticipants": ["Agent", "Customer"]}}},
//	 "Transitions": {"NextAction": "next"}}
//
// The parameter shapes are not published in full; Ringfence records the parameters in
// Session.Behaviour.Settings["RecordingAndAnalytics"] (JSON) and applies
// RecordedParticipants when it finds them under VoiceBehavior.
func updateContactRecordingAndAnalyticsBehavior() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "UpdateContactRecordingAndAnalyticsBehavior", Category: "contact", Status: StatusExecuted, Summary: "Records the newer recording/analytics settings; applies voice RecordedParticipants."},
		run: func(r *runner, a *Action) step {
			b := &r.s.Behaviour
			raw, err := json.Marshal(r.resolveAny(a.Parameters))
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			if b.Settings == nil {
				b.Settings = map[string]string{}
			}
			b.Settings["RecordingAndAnalytics"] = string(raw)
			if vb, ok := paramObject(a.Parameters, "VoiceBehavior"); ok {
				if rb, ok := paramObject(vb, "VoiceRecordingBehavior"); ok {
					if list, ok := rb["RecordedParticipants"].([]any); ok {
						b.RecordedParticipants = stringList(r, list)
					}
				}
			}
			return ok()
		},
	}
}
