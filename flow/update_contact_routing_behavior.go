package flow

// UpdateContactRoutingBehavior changes the contact's routing priority or its age in
// queue. Source: contact-actions-updatecontactroutingbehavior.
//
//	{"Identifier": "vip", "Type": "UpdateContactRoutingBehavior",
//	 "Parameters": {"QueuePriority": "1"}, "Transitions": {"NextAction": "enqueue"}}
//
// QueuePriority (integer ≥ 1, 1 is first) xor QueueTimeAdjustmentSeconds (seconds
// added to the contact's age). No errors.
func updateContactRoutingBehavior() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateContactRoutingBehavior", Category: "contact", Status: StatusExecuted, Summary: "Sets queue priority or age adjustment used by the router."},
		params: []paramRule{{name: "QueuePriority", kind: pInt, min: 1}, {name: "QueueTimeAdjustmentSeconds", kind: pInt, min: -2147483648}},
		check: func(c *checker, a *Action, path string) {
			checkExclusive(c, a, path, "QueuePriority", "QueueTimeAdjustmentSeconds", true)
		},
		run: func(r *runner, a *Action) step {
			if n := r.intParam(a.Parameters, "QueuePriority", 0); n > 0 {
				r.s.Behaviour.QueuePriority = n
			}
			if n := r.intParam(a.Parameters, "QueueTimeAdjustmentSeconds", 0); n != 0 {
				r.s.Behaviour.QueueTimeAdjustmentSeconds = n
			}
			return ok()
		},
	}
}
