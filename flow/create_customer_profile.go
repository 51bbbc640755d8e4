package flow

// CreateCustomerProfile: creates a customer profile through the profiles adapter.
// Source: interactions-createcustomerprofile.
//
//	{"Identifier": "step", "Type": "CreateCustomerProfile",
//	 "Parameters": {"ProfileRequestData": {"PhoneNumber": "$.CustomerEndpoint.Address"}, "ProfileResponseData": ["ProfileId"]},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Customer Profiles itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Customer.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func createCustomerProfile() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "CreateCustomerProfile", Category: "interaction", Status: StatusAdapter, Summary: "Creates a customer profile through the profiles adapter."},
		params: []paramRule{{name: "ProfileRequestData", kind: pObject, required: true}, {name: "ProfileResponseData", kind: pAny}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Customer", "Customer Profiles") },
	}
}
