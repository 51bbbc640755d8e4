package flow

import (
	"strings"
)

// ref returns the value of reference path for the running contact, and whether it is
// sensitive. Unknown keys read as "" (Connect renders missing attributes as empty).
func (r *runner) ref(path string) (string, bool) {
	s := r.s
	ns, key := splitReference(path)
	switch ns {
	case "Attributes":
		return s.Attributes[key], r.sensitiveAttribute(key)
	case "FlowAttributes":
		if fr := s.top(); fr != nil {
			return fr.FlowAttributes[key], false
		}
		return "", false
	case "External":
		return s.External[key], true
	case "StoredCustomerInput":
		return s.StoredCustomerInput, true
	case "Channel":
		return s.Contact.Channel, false
	case "ContactId":
		return s.Contact.ContactID, false
	case "InitialContactId":
		return s.Contact.InitialContactID, false
	case "PreviousContactId":
		return s.Contact.PreviousContactID, false
	case "CustomerId":
		return s.Contact.CustomerID, false
	case "InstanceARN":
		return s.Contact.InstanceARN, false
	case "InitiationMethod":
		return s.Contact.InitiationMethod, false
	case "Name":
		return s.Contact.Name, false
	case "Description":
		return s.Contact.Description, false
	case "AwsRegion":
		return s.Contact.AwsRegion, false
	case "LanguageCode":
		return s.Behaviour.LanguageCode, false
	case "TextToSpeechVoiceId":
		return s.Behaviour.Voice, false
	case "CustomerCallBackPhoneNumber":
		return s.Behaviour.CallbackNumber, false
	case "CustomerEndpoint":
		return endpointField(s.Contact.CustomerEndpoint, key), false
	case "SystemEndpoint":
		return endpointField(s.Contact.SystemEndpoint, key), false
	case "References":
		name, field, _ := strings.Cut(key, ".")
		ref, ok := s.Contact.References[name]
		if !ok {
			return "", false
		}
		if field == "Type" {
			return ref.Type, false
		}
		return ref.Value, false
	case "Queue":
		if key == "ARN" && s.Data["Queue"]["ARN"] == "" {
			return s.Behaviour.TargetQueue, false
		}
	case "Tags":
		return s.Behaviour.Tags[key], false
	}
	return s.Data[ns][key], false
}

// sensitiveAttribute reports whether the instance marks contact attribute key sensitive.
func (r *runner) sensitiveAttribute(key string) bool {
	return r.e != nil && r.e.cfg.SensitiveAttribute != nil && r.e.cfg.SensitiveAttribute(key)
}

func endpointField(e Endpoint, key string) string {
	switch key {
	case "Address":
		return e.Address
	case "Type":
		return e.Type
	}
	return ""
}

// text resolves a dynamic value: a literal, one reference, or text with embedded
// references. It reports whether any sensitive reference contributed.
func (r *runner) text(v string) (string, bool) {
	i := strings.Index(v, "$.")
	if i < 0 {
		return v, false
	}
	if i == 0 {
		if end := scanReference(v, 0); end == len(v) {
			return r.ref(v)
		}
	}
	var b strings.Builder
	sensitive := false
	last := 0
	for i >= 0 {
		start := last + i
		end := scanReference(v, start)
		if end == start {
			b.WriteString(v[last : start+2])
			last = start + 2
		} else {
			b.WriteString(v[last:start])
			val, sens := r.ref(v[start:end])
			sensitive = sensitive || sens
			b.WriteString(val)
			last = end
		}
		i = strings.Index(v[last:], "$.")
	}
	b.WriteString(v[last:])
	return b.String(), sensitive
}

// param resolves the scalar parameter key; ok is false when it is absent or not a scalar.
func (r *runner) param(p map[string]any, key string) (val string, ok bool, sensitive bool) {
	raw, ok := paramString(p, key)
	if !ok {
		return "", false, false
	}
	val, sensitive = r.text(raw)
	return val, true, sensitive
}

// resolveAny resolves every string inside v (objects, arrays) for adapters.
func (r *runner) resolveAny(v any) any {
	switch x := v.(type) {
	case string:
		s, _ := r.text(x)
		return s
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			kk, _ := r.text(k)
			out[kk] = r.resolveAny(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.resolveAny(e)
		}
		return out
	}
	return v
}
