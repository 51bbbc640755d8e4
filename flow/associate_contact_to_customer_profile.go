package flow

// AssociateContactToCustomerProfile: links the contact to a profile through the profiles adapter.
// Source: interactions-associatecontacttocustomerprofile.
//
//	{"Identifier": "step", "Type": "AssociateContactToCustomerProfile",
//	 "Parameters": {"ProfileRequestData": {"ProfileId": "$.Customer.ProfileId", "ContactId": "$.ContactId"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Customer Profiles itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Customer.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func associateContactToCustomerProfile() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "AssociateContactToCustomerProfile", Category: "interaction", Status: StatusAdapter, Summary: "Links the contact to a profile through the profiles adapter."},
		params: []paramRule{{name: "ProfileRequestData", kind: pObject, required: true}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Customer", "Customer Profiles") },
	}
}
