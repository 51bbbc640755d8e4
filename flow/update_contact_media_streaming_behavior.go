package flow

// UpdateContactMediaStreamingBehavior starts or stops streaming customer audio
// (voice). Source: contact-actions-updatecontactmediastreamingbehavior.
//
//	{"Identifier": "stream", "Type": "UpdateContactMediaStreamingBehavior",
//	 "Parameters": {"MediaStreamingState": "Enabled", "MediaStreamType": "Audio",
//	   "Participants": [{"ParticipantType": "Customer", "MediaDirections": ["From", "To"]}]},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Starting a stream needs a media-streaming Adapter (Values fill $.MediaStreams.*);
// without one it takes NoMatchingError with a "media streaming" note. Stopping always
// succeeds.
func updateContactMediaStreamingBehavior() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactMediaStreamingBehavior", Category: "contact", Status: StatusAdapter, Summary: "Starts streaming through the media-streaming adapter; stopping always succeeds."},
		params: []paramRule{{name: "MediaStreamingState", kind: pText, required: true, enum: []string{"Enabled", "Disabled"}}, {name: "Participants", kind: pList}, {name: "MediaStreamType", kind: pText}},
		run: func(r *runner, a *Action) step {
			if v, _, _ := r.param(a.Parameters, "MediaStreamingState"); v != "Enabled" {
				r.s.Behaviour.MediaStreaming = false
				return ok()
			}
			st := r.runAdapter(a, "MediaStreams", "media streaming")
			if st.err == "" {
				r.s.Behaviour.MediaStreaming = true
			}
			return st
		},
	}
}
