package flow

// UpdateFlowAttributes sets flow-scoped attributes ($.FlowAttributes.*), all or
// nothing; they are not carried to other flows and not stored on the contact record.
// Source: flow-control-actions-updateflowattributes.
//
//	{"Identifier": "consts", "Type": "UpdateFlowAttributes",
//	 "Parameters": {"FlowAttributes": {"salesQueue": {"Value": "arn:aws:connect:...:queue/sales"}}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
func updateFlowAttributes() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateFlowAttributes", Category: "flow-control", Status: StatusExecuted, Summary: "Sets flow-scoped attributes in the running frame."},
		params: []paramRule{{name: "FlowAttributes", kind: pObject, required: true}},
		check: func(c *checker, a *Action, path string) {
			attrs, _ := paramObject(a.Parameters, "FlowAttributes")
			for k, v := range attrs {
				m, ok := v.(map[string]any)
				if _, has := m["Value"]; !ok || !has {
					c.errorf(KindInvalidParameter, a.Identifier, path+".Parameters.FlowAttributes"+pathKey(k), "flow attribute %q must be an object with Value", k)
				}
			}
		},
		run: func(r *runner, a *Action) step {
			attrs, _ := paramObject(a.Parameters, "FlowAttributes")
			next := make(map[string]string, len(attrs))
			for k, v := range attrs {
				m, _ := v.(map[string]any)
				val, ok, _ := r.param(m, "Value")
				if !ok {
					return fail(ErrNoMatchingError)
				}
				next[k] = val
			}
			fr := r.frame()
			if fr.FlowAttributes == nil {
				fr.FlowAttributes = make(map[string]string, len(next))
			}
			for k, v := range next {
				fr.FlowAttributes[k] = v
			}
			return ok()
		},
	}
}
