package flow

// UpdateCustomerProfile: updates a customer profile through the profiles adapter.
// Source: interactions-updatecustomerprofile.
//
//	{"Identifier": "step", "Type": "UpdateCustomerProfile",
//	 "Parameters": {"ProfileRequestData": {"ProfileId": "$.Customer.ProfileId", "FirstName": "$.Attributes.first"}, "ProfileResponseData": ["FirstName"]},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Customer Profiles itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Customer.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func updateCustomerProfile() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "UpdateCustomerProfile", Category: "interaction", Status: StatusAdapter, Summary: "Updates a customer profile through the profiles adapter."},
		params: []paramRule{{name: "ProfileRequestData", kind: pObject, required: true}, {name: "ProfileResponseData", kind: pAny}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Customer", "Customer Profiles") },
	}
}
