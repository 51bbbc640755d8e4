package flow

// UpdateContactData sets contact properties: LanguageCode ($.LanguageCode), CustomerId
// ($.CustomerId), Name, Description, and service settings (Voice ID flags and
// thresholds, WisdomSessionArn) kept in Session.Behaviour.Settings.
// Source: contact-actions-updatecontactdata (parameters as exported by the console).
//
//	{"Identifier": "lang", "Type": "UpdateContactData",
//	 "Parameters": {"LanguageCode": "en-GB", "CustomerId": "$.Attributes.accountId"},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
func updateContactData() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "UpdateContactData", Category: "contact", Status: StatusExecuted, Summary: "Sets language, customer ID, name/description and service settings of the contact."},
		run: func(r *runner, a *Action) step {
			for k, raw := range a.Parameters {
				s, ok := scalarString(raw)
				if !ok {
					return fail(ErrNoMatchingError)
				}
				v, _ := r.text(s)
				switch k {
				case "LanguageCode":
					r.s.Behaviour.LanguageCode = v
				case "CustomerId":
					r.s.Contact.CustomerID = v
				case "Name":
					r.s.Contact.Name = v
				case "Description":
					r.s.Contact.Description = v
				default:
					if r.s.Behaviour.Settings == nil {
						r.s.Behaviour.Settings = map[string]string{}
					}
					r.s.Behaviour.Settings[k] = v
				}
			}
			return ok()
		},
	}
}
