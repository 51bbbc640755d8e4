package flow

import "strconv"

// CheckMetricData ("Check queue status" / "Check staffing") branches on one queue
// metric. Source: flow-control-actions-checkmetricdata.
//
//	{"Identifier": "staffed?", "Type": "CheckMetricData",
//	 "Parameters": {"MetricType": "NumberOfAgentsAvailable"},
//	 "Transitions": {"NextAction": "nobody", "Conditions": [
//	   {"NextAction": "enqueue", "Condition": {"Operator": "NumberGreaterThan", "Operands": ["0"]}}],
//	   "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "nobody"}, {"ErrorType": "NoMatchingError", "NextAction": "nobody"}]}}
//
// MetricType is NumberOfAgentsAvailable, NumberOfAgentsStaffed, NumberOfAgentsOnline,
// OldestContactInQueueAgeSeconds or NumberOfContactsInQueue; the queue is QueueId,
// AgentId or the working queue. The result is the number. Without a Host it takes
// NoMatchingError.
func checkMetricData() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "CheckMetricData", Category: "flow-control", Status: StatusExecuted, Summary: "Branches on one queue metric read from the host."},
		params: []paramRule{{name: "MetricType", kind: pText, required: true, enum: []string{"NumberOfAgentsAvailable", "NumberOfAgentsStaffed",
			"NumberOfAgentsOnline", "OldestContactInQueueAgeSeconds", "NumberOfContactsInQueue"}}, {name: "QueueId", kind: pText}, {name: "AgentId", kind: pText}},
		run: func(r *runner, a *Action) step {
			if r.e.cfg.Host == nil {
				return r.missing(a, "queue metrics")
			}
			q, ag := r.queueOrAgent(a.Parameters)
			if q == "" && ag == "" {
				return fail(ErrNoMatchingError)
			}
			m, err := r.e.cfg.Host.QueueMetrics(r.ctx, q, ag, r.s.Contact.Channel)
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			var n int
			switch mt, _, _ := r.param(a.Parameters, "MetricType"); mt {
			case "NumberOfAgentsAvailable":
				n = m.AgentsAvailable
			case "NumberOfAgentsStaffed":
				n = m.AgentsStaffed
			case "NumberOfAgentsOnline":
				n = m.AgentsOnline
			case "OldestContactInQueueAgeSeconds":
				n = m.OldestContactAgeSeconds
			case "NumberOfContactsInQueue":
				n = m.ContactsInQueue
			default:
				return fail(ErrNoMatchingError)
			}
			return result(strconv.Itoa(n))
		},
	}
}
