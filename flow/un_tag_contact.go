package flow

// UnTagContact removes tags from the contact. Source: contact-actions-untagcontact.
//
//	{"Identifier": "untag", "Type": "UnTagContact", "Parameters": {"TagKeys": ["Department"]},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
func unTagContact() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UnTagContact", Category: "contact", Status: StatusExecuted, Summary: "Removes contact tags."},
		params: []paramRule{{name: "TagKeys", kind: pList, required: true}},
		run: func(r *runner, a *Action) step {
			keys, _ := a.Parameters["TagKeys"].([]any)
			for _, k := range stringList(r, keys) {
				delete(r.s.Behaviour.Tags, k)
			}
			return ok()
		},
	}
}
