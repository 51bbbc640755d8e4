package flow

// TagContact adds user-defined tags to the contact (for access control and search).
// Source: contact-actions-tagcontact.
//
//	{"Identifier": "tag", "Type": "TagContact", "Parameters": {"Tags": {"Department": "Billing"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// At most 6 user tags per contact; more takes NoMatchingError and writes nothing.
func tagContact() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "TagContact", Category: "contact", Status: StatusExecuted, Summary: "Adds contact tags (at most 6)."},
		params: []paramRule{{name: "Tags", kind: pObject, required: true}},
		run: func(r *runner, a *Action) step {
			tags, _ := paramObject(a.Parameters, "Tags")
			next := make(map[string]string, len(r.s.Behaviour.Tags)+len(tags))
			for k, v := range r.s.Behaviour.Tags {
				next[k] = v
			}
			for k, raw := range tags {
				s, ok := scalarString(raw)
				if !ok {
					return fail(ErrNoMatchingError)
				}
				key, _ := r.text(k)
				next[key], _ = r.text(s)
			}
			if len(next) > maxContactTags {
				return fail(ErrNoMatchingError)
			}
			r.s.Behaviour.Tags = next
			return ok()
		},
	}
}

// maxContactTags is Connect's limit of user-defined tags per contact.
const maxContactTags = 6
