package flow

// CreateCallbackContact queues a callback to the callback number (set by
// UpdateContactCallbackNumber; default the customer's number) through
// Host.CreateCallback. Source: interactions-createcallbackcontact.
//
//	{"Identifier": "callback", "Type": "CreateCallbackContact",
//	 "Parameters": {"InitialCallDelaySeconds": "30", "MaximumConnectionAttempts": "3", "RetryDelaySeconds": "600"},
//	 "Transitions": {"NextAction": "thanks", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "sorry"}]}}
//
// Delays are 1–259200 seconds; the queue defaults to the working queue. Without a Host
// it takes NoMatchingError with a "callbacks" capability note.
func createCallbackContact() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "CreateCallbackContact", Category: "interaction", Status: StatusExecuted, Summary: "Queues a callback contact through the host."},
		params: []paramRule{{name: "QueueId", kind: pText}, {name: "AgentId", kind: pText},
			{name: "InitialCallDelaySeconds", kind: pInt, min: 1, max: 259200}, {name: "MaximumConnectionAttempts", kind: pInt, min: 0},
			{name: "RetryDelaySeconds", kind: pInt, min: 1, max: 259200}},
		run: func(r *runner, a *Action) step {
			if r.e.cfg.Host == nil {
				return r.missing(a, "callbacks")
			}
			p := a.Parameters
			c := CallbackRequest{SourceContactID: r.s.Contact.ContactID, Number: r.s.Behaviour.CallbackNumber,
				InitialCallDelaySeconds: r.intParam(p, "InitialCallDelaySeconds", 1), MaximumConnectionAttempts: r.intParam(p, "MaximumConnectionAttempts", 1),
				RetryDelaySeconds: r.intParam(p, "RetryDelaySeconds", 1)}
			if c.Number == "" {
				c.Number = r.s.Contact.CustomerEndpoint.Address
			}
			c.QueueID, c.AgentID = r.queueOrAgent(p)
			if !e164Pattern.MatchString(c.Number) {
				return fail(ErrNoMatchingError)
			}
			id, err := r.e.cfg.Host.CreateCallback(r.ctx, c)
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			r.res.Created = append(r.res.Created, id)
			return ok()
		},
	}
}
