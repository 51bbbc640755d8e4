package flow

// UpdateContactRecordingBehavior sets call recording and contact analytics.
// Source: contact-actions-updatecontactrecordingbehavior.
//
//	{"Identifier": "record", "Type": "UpdateContactRecordingBehavior",
//	 "Parameters": {"RecordingBehavior": {"RecordedParticipants": ["Agent", "Customer"]},
//	   "AnalyticsBehavior": {"Enabled": "True", "AnalyticsLanguage": "en-GB",
//	     "AnalyticsRedactionBehavior": "Enabled", "AnalyticsRedactionResults": "RedactedOnly"}},
//	 "Transitions": {"NextAction": "next"}}
//
// RecordedParticipants [] disables recording. IVRRecordingBehavior "Enabled" records the
// IVR part; ScreenRecordedParticipants is kept. No errors.
func updateContactRecordingBehavior() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactRecordingBehavior", Category: "contact", Status: StatusExecuted, Summary: "Sets which participants are recorded and whether analytics (with redaction) run."},
		params: []paramRule{{name: "RecordingBehavior", kind: pObject}, {name: "AnalyticsBehavior", kind: pObject}, {name: "IVRRecordingBehavior", kind: pText, enum: []string{"Enabled", "Disabled"}}},
		run: func(r *runner, a *Action) step {
			b := &r.s.Behaviour
			p := a.Parameters
			if rb, ok := paramObject(p, "RecordingBehavior"); ok {
				if list, ok := rb["RecordedParticipants"].([]any); ok {
					b.RecordedParticipants = stringList(r, list)
				}
				if list, ok := rb["ScreenRecordedParticipants"].([]any); ok {
					b.ScreenRecordedParticipants = stringList(r, list)
				}
				if v, ok, _ := r.param(rb, "IVRRecordingBehavior"); ok {
					b.IVRRecording = v == "Enabled"
				}
			}
			if v, ok, _ := r.param(p, "IVRRecordingBehavior"); ok {
				b.IVRRecording = v == "Enabled"
			}
			if ab, ok := paramObject(p, "AnalyticsBehavior"); ok {
				b.Analytics = r.boolParam(ab, "Enabled")
				v, _, _ := r.param(ab, "AnalyticsRedactionBehavior")
				b.AnalyticsRedaction = v == "Enabled"
			}
			return ok()
		},
	}
}

func stringList(r *runner, list []any) []string {
	out := make([]string, 0, len(list))
	for _, it := range list {
		if s, ok := scalarString(it); ok {
			v, _ := r.text(s)
			out = append(out, v)
		}
	}
	return out
}
