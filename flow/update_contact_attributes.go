package flow

// MaxAttributesBytes bounds the user-defined attributes of one contact (32 KB, Connect
// quota "contact attributes size").
const MaxAttributesBytes = 32 * 1024

// UpdateContactAttributes sets user-defined contact attributes ($.Attributes.*), all or
// nothing. Source: contact-actions-updatecontactattributes.
//
//	{"Identifier": "remember", "Type": "UpdateContactAttributes",
//	 "Parameters": {"Attributes": {"customerTier": "$.External.tier", "greeted": "yes"}, "TargetContact": "Current"},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Keys and values are dynamic. TargetContact "Related" needs a related contact, which
// the engine does not hold: NoMatchingError with a capability note. When the attributes
// would exceed MaxAttributesBytes, nothing is written and NoMatchingError is taken.
func updateContactAttributes() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactAttributes", Category: "contact", Status: StatusExecuted, Summary: "Sets user-defined contact attributes, all or nothing, within the 32 KB quota."},
		params: []paramRule{{name: "Attributes", kind: pObject, required: true}, {name: "TargetContact", kind: pText, enum: []string{"Current", "Related"}}},
		run:    runUpdateContactAttributes,
	}
}

func runUpdateContactAttributes(r *runner, a *Action) step {
	if t, _ := paramString(a.Parameters, "TargetContact"); t == "Related" {
		return r.missing(a, "related contact")
	}
	attrs, _ := paramObject(a.Parameters, "Attributes")
	type kv struct{ k, v string }
	var buf [8]kv
	pending := buf[:0]
	for k, raw := range attrs {
		s, ok := scalarString(raw)
		if !ok {
			return fail(ErrNoMatchingError)
		}
		key, _ := r.text(k)
		val, _ := r.text(s)
		pending = append(pending, kv{key, val})
	}
	if r.attrBytes < 0 {
		r.attrBytes = 0
		for k, v := range r.s.Attributes {
			r.attrBytes += len(k) + len(v)
		}
	}
	size := r.attrBytes
	for _, p := range pending {
		size += len(p.k) + len(p.v)
		if old, ok := r.s.Attributes[p.k]; ok {
			size -= len(p.k) + len(old)
		}
	}
	if size > MaxAttributesBytes {
		return fail(ErrNoMatchingError)
	}
	for _, p := range pending {
		r.s.Attributes[p.k] = p.v
	}
	r.attrBytes = size
	return ok()
}
