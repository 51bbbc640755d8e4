package flow

// UpdateContactRoutingCriteria is the Type name console exports (e.g. Amazon's
// voicemail-express flows) write for UpdateRoutingCriteria; it behaves the same.
//
//	{"Identifier": "to-agent", "Type": "UpdateContactRoutingCriteria",
//	 "Parameters": {"RoutingCriteria": {"Steps": [{"Expression": {"AttributeCondition": {"ComparisonOperator": "Match",
//	   "MatchCriteria": {"AgentsCriteria": {"AgentIds": ["$.Attributes.agentId"]}}}}}]}},
//	 "Transitions": {"NextAction": "enqueue", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "enqueue"}]}}
func updateContactRoutingCriteria() actionSpec {
	return routingCriteriaSpec("UpdateContactRoutingCriteria", "Export name of UpdateRoutingCriteria; stores routing criteria.")
}
