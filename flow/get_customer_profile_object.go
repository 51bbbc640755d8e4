package flow

// GetCustomerProfileObject: reads a profile object through the profiles adapter.
// Source: interactions-getcustomerprofileobject.
//
//	{"Identifier": "step", "Type": "GetCustomerProfileObject",
//	 "Parameters": {"ProfileRequestData": {"ProfileId": "$.Customer.ProfileId", "ObjectType": "Orders"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoneFoundError", "NextAction": "next"}, {"ErrorType": "NoMatchingError", "NextAction": "next"}]}}
//
// Ringfence does not provide Customer Profiles itself: the action runs through the Adapter
// registered for this Type (its Values fill $.Customer.*, its Result is matched against the
// Conditions, its ErrorType selects an error branch). Without an adapter it takes
// NoMatchingError and the flow log names the missing capability.
func getCustomerProfileObject() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "GetCustomerProfileObject", Category: "interaction", Status: StatusAdapter, Summary: "Reads a profile object through the profiles adapter."},
		params: []paramRule{{name: "ProfileRequestData", kind: pObject, required: true}, {name: "ProfileResponseData", kind: pAny}},
		run:    func(r *runner, a *Action) step { return r.runAdapter(a, "Customer", "Customer Profiles") },
	}
}
