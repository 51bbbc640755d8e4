package flow

// UpdateContactTextToSpeechVoice sets the voice of Text/SSML prompts ($.TextToSpeechVoiceId).
// Source: contact-actions-updatecontacttexttospeechvoice.
//
//	{"Identifier": "voice", "Type": "UpdateContactTextToSpeechVoice",
//	 "Parameters": {"TextToSpeechVoice": "Amy", "TextToSpeechEngine": "Neural", "TextToSpeechStyle": "None"},
//	 "Transitions": {"NextAction": "welcome"}}
func updateContactTextToSpeechVoice() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactTextToSpeechVoice", Category: "contact", Status: StatusExecuted, Summary: "Sets the text-to-speech voice, engine and style."},
		params: []paramRule{{name: "TextToSpeechVoice", kind: pText, required: true}, {name: "TextToSpeechEngine", kind: pText}, {name: "TextToSpeechStyle", kind: pText}},
		run: func(r *runner, a *Action) step {
			b := &r.s.Behaviour
			b.Voice, _, _ = r.param(a.Parameters, "TextToSpeechVoice")
			if v, ok, _ := r.param(a.Parameters, "TextToSpeechEngine"); ok {
				b.VoiceEngine = v
			}
			if v, ok, _ := r.param(a.Parameters, "TextToSpeechStyle"); ok {
				b.VoiceStyle = v
			}
			return ok()
		},
	}
}
