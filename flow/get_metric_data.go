package flow

import "strconv"

// GetMetricData ("Get queue metrics") loads queue metrics into $.Metrics.*:
// Queue.Name, Queue.ARN, Queue.Size, Queue.OldestContactAge and
// Agents.{Online,Available,Staffed,AfterContactWork,Busy,Missed,NonProductive}.Count.
// Source: flow-control-actions-getmetricdata; connect-attrib-list (queue metrics).
//
//	{"Identifier": "metrics", "Type": "GetMetricData", "Parameters": {"QueueId": "$.Queue.ARN", "QueueChannel": "Voice"},
//	 "Transitions": {"NextAction": "check", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "check"}]}}
//
// Without a Host it takes NoMatchingError.
func getMetricData() actionSpec {
	return actionSpec{
		info:   ActionInfo{Type: "GetMetricData", Category: "flow-control", Status: StatusExecuted, Summary: "Loads queue metrics from the host into $.Metrics.*."},
		params: []paramRule{{name: "QueueId", kind: pText}, {name: "AgentId", kind: pText}, {name: "QueueChannel", kind: pText}},
		run: func(r *runner, a *Action) step {
			if r.e.cfg.Host == nil {
				return r.missing(a, "queue metrics")
			}
			q, ag := r.queueOrAgent(a.Parameters)
			ch := r.s.Contact.Channel
			if v, ok, _ := r.param(a.Parameters, "QueueChannel"); ok && v != "" {
				ch = v
			}
			m, err := r.e.cfg.Host.QueueMetrics(r.ctx, q, ag, ch)
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			set := func(k string, v int) { r.s.setData("Metrics", k, strconv.Itoa(v)) }
			r.s.setData("Metrics", "Queue.Name", m.QueueName)
			r.s.setData("Metrics", "Queue.ARN", m.QueueARN)
			set("Queue.Size", m.ContactsInQueue)
			set("Queue.OldestContactAge", m.OldestContactAgeSeconds)
			set("Agents.Online.Count", m.AgentsOnline)
			set("Agents.Available.Count", m.AgentsAvailable)
			set("Agents.Staffed.Count", m.AgentsStaffed)
			set("Agents.AfterContactWork.Count", m.AgentsAfterContactWork)
			set("Agents.Busy.Count", m.AgentsBusy)
			set("Agents.Missed.Count", m.AgentsMissed)
			set("Agents.NonProductive.Count", m.AgentsNonProductive)
			return ok()
		},
	}
}
