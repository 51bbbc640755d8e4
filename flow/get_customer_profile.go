package flow

// GetCustomerProfile: looks up a customer profile through the profiles adapter; fields land in $.Customer.*.
// Source: interactions-getcustomerprofile.
//
//	{"Identifier": "step", "Type": "GetCustomerProfile",
//	 "Parameters": {"ProfileRequestData": {"PhoneNumber": "$.CustomerEndpoint.Address"}, "ProfileResponseData": ["FirstName", "LastName"]},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "MultipleFoundError", "NextAction": "agent"}, {"ErrorType": "NoneFoundError", "NextAction": "new"}, {"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Customer Profiles itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Customer.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func getCustomerProfile() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "GetCustomerProfile", Category: "interaction", Status: StatusAdapter, Summary: "Looks up a customer profile through the profiles adapter; fields land in $.Customer.*."},
		params: []paramRule{{name: "ProfileRequestData", kind: pObject, required: true}, {name: "ProfileResponseData", kind: pAny}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Customer", "Customer Profiles") },
	}
}
