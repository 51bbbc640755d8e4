package flow

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/ringfence/ringfence/secret"
)

// LogEntry is one flow-log record, in the shape Connect writes to CloudWatch for each
// executed block (set-logging-behavior / contact-flow-logs): ContactId, ContactFlowId,
// ContactFlowName, ContactFlowModuleType (the action Type), Identifier, Timestamp
// (RFC 3339, UTC, milliseconds), Parameters (resolved), Results and ExternalResults.
//
// Values read from $.External, $.StoredCustomerInput and contact attributes the instance
// marks sensitive (Config.SensitiveAttribute), and values an UpdateContactAttributes action
// sets on a sensitive attribute, appear as keyed hashes ("hmac-sha256:<64 hex>",
// Config.LogKey) or "[REDACTED]" without a key; stored customer input itself never appears,
// not even hashed.
type LogEntry struct {
	ContactID             string            `json:"ContactId"`
	ContactFlowID         string            `json:"ContactFlowId"`
	ContactFlowName       string            `json:"ContactFlowName,omitempty"`
	ContactFlowModuleType string            `json:"ContactFlowModuleType"`
	Identifier            string            `json:"Identifier"`
	Timestamp             string            `json:"Timestamp"`
	Parameters            map[string]any    `json:"Parameters,omitempty"`
	Results               string            `json:"Results,omitempty"`
	ExternalResults       map[string]string `json:"ExternalResults,omitempty"`
	// Branch is the transition the block took, without values: "NextAction", "Condition:<n>"
	// (the n-th of its Conditions, 1-based; never the operand), "Error:<ErrorType>",
	// "Wait:<kind>" (the contact waits here), "End:<kind>", or a jump "Flow:<flow ID>",
	// "Module:<module ID>", "Return:<flow ID>". Connect's CloudWatch record has no such
	// member, so it is left out of this type's JSON (and of the golden files); the node stores
	// it beside the record as the member "Branch" (lifecycle).
	Branch string `json:"-"`
}

const logTimeLayout = "2006-01-02T15:04:05.000Z"

func (r *runner) logEntry(ref FlowRef, a *Action, st step) LogEntry {
	e := LogEntry{
		ContactID:             r.s.Contact.ContactID,
		ContactFlowID:         ref.ID,
		ContactFlowName:       ref.Name,
		ContactFlowModuleType: a.Type,
		Identifier:            a.Identifier,
		Timestamp:             r.e.cfg.Clock().UTC().Format(logTimeLayout),
	}
	if len(a.Parameters) > 0 {
		e.Parameters, _ = r.logValue(a.Parameters).(map[string]any)
		if a.Type == "UpdateContactAttributes" {
			r.hashSensitiveAttributes(a.Parameters, e.Parameters)
		}
	}
	switch {
	case st.note != "":
		e.Results = st.note
	case st.hide:
	case st.err != "":
		e.Results = st.err
	default:
		e.Results = st.results
	}
	if len(st.external) > 0 {
		e.ExternalResults = make(map[string]string, len(st.external))
		for k, v := range st.external {
			e.ExternalResults[k] = r.hash(v)
		}
	}
	return e
}

// logValue resolves references in v, replacing sensitive results with keyed hashes.
func (r *runner) logValue(v any) any {
	switch x := v.(type) {
	case string:
		s, sens := r.text(x)
		if sens {
			return r.hash(s)
		}
		return s
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.logValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.logValue(e)
		}
		return out
	}
	return v
}

// hashSensitiveAttributes replaces, in the logged parameters of an UpdateContactAttributes
// action, the value of every attribute the instance marks sensitive with the keyed hash of
// its resolved value (keys are resolved first: they may be dynamic). raw are the action's
// parameters as written.
func (r *runner) hashSensitiveAttributes(raw, logged map[string]any) {
	in, ok := raw["Attributes"].(map[string]any)
	out, ok2 := logged["Attributes"].(map[string]any)
	if !ok || !ok2 || r.e == nil || r.e.cfg.SensitiveAttribute == nil {
		return
	}
	for k, v := range in {
		key, _ := r.text(k)
		if !r.sensitiveAttribute(key) {
			continue
		}
		if s, ok := scalarString(v); ok {
			val, _ := r.text(s)
			out[k] = r.hash(val)
		} else {
			out[k] = secret.Redacted
		}
	}
}

// hash returns "hmac-sha256:<hex>" of v under Config.LogKey, or secret.Redacted.
func (r *runner) hash(v string) string {
	key := r.e.cfg.LogKey.Reveal()
	if len(key) == 0 {
		return secret.Redacted
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}
