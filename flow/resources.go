package flow

import (
	"slices"
	"sort"
)

// Resources lists the resources a flow names statically, so that publishing can check
// they exist (CreateContactFlow answers InvalidContactFlowException otherwise). Values
// that are references ($.Attributes.x) or template placeholders are not resources and
// are listed in Dynamic as "Identifier: parameter path" instead. Every list is sorted and
// free of duplicates; IDs and ARNs are kept as written.
type Resources struct {
	Queues           []string `json:"queues,omitempty"`
	Agents           []string `json:"agents,omitempty"`
	Flows            []string `json:"flows,omitempty"`
	Modules          []string `json:"modules,omitempty"`
	Functions        []string `json:"functions,omitempty"`
	Prompts          []string `json:"prompts,omitempty"`
	EncryptionKeys   []string `json:"encryptionKeys,omitempty"`
	HoursOfOperation []string `json:"hoursOfOperation,omitempty"`
	LexBots          []string `json:"lexBots,omitempty"`
	Dynamic          []string `json:"dynamic,omitempty"`
}

// ListResources returns the resources f refers to.
func ListResources(f *Flow) Resources {
	sets := map[string]map[string]struct{}{}
	var res Resources
	add := func(kind, id, param string, v any) {
		s, ok := scalarString(v)
		if !ok || s == "" {
			return
		}
		if isDynamic(s) {
			res.Dynamic = append(res.Dynamic, id+": "+param)
			return
		}
		if sets[kind] == nil {
			sets[kind] = map[string]struct{}{}
		}
		sets[kind][s] = struct{}{}
	}
	for i := range f.Actions {
		a := &f.Actions[i]
		p := a.Parameters
		switch a.Type {
		case "UpdateContactTargetQueue", "DequeueContactAndTransferToQueue", "CreateCallbackContact", "CheckMetricData", "GetMetricData":
			add("queue", a.Identifier, "QueueId", p["QueueId"])
			add("agent", a.Identifier, "AgentId", p["AgentId"])
		case "TransferToFlow", "CreateTask":
			add("flow", a.Identifier, "ContactFlowId", p["ContactFlowId"])
		case "UpdateContactEventHooks":
			hooks, _ := paramObject(p, "EventHooks")
			for k, v := range hooks {
				add("flow", a.Identifier, "EventHooks."+k, v)
			}
		case "InvokeFlowModule":
			add("module", a.Identifier, "FlowModuleId", p["FlowModuleId"])
		case "InvokeLambdaFunction":
			add("function", a.Identifier, "LambdaFunctionARN", p["LambdaFunctionARN"])
		case "CheckHoursOfOperation":
			add("hours", a.Identifier, "HoursOfOperationId", p["HoursOfOperationId"])
		case "GetParticipantInput":
			if enc, ok := paramObject(p, "InputEncryption"); ok {
				add("key", a.Identifier, "InputEncryption.EncryptionKeyId", enc["EncryptionKeyId"])
			}
		case "ConnectParticipantWithLexBot":
			if bot, ok := paramObject(p, "LexV2Bot"); ok {
				add("lex", a.Identifier, "LexV2Bot.AliasArn", bot["AliasArn"])
			}
			if bot, ok := paramObject(p, "LexBot"); ok {
				add("lex", a.Identifier, "LexBot.Name", bot["Name"])
			}
		}
		add("prompt", a.Identifier, "PromptId", p["PromptId"])
		if msgs, ok := p["Messages"].([]any); ok {
			for _, m := range msgs {
				if mm, ok := m.(map[string]any); ok {
					add("prompt", a.Identifier, "Messages.PromptId", mm["PromptId"])
				}
			}
		}
	}
	list := func(kind string) []string {
		var out []string
		for k := range sets[kind] {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	res.Queues, res.Agents, res.Flows, res.Modules = list("queue"), list("agent"), list("flow"), list("module")
	res.Functions, res.Prompts, res.EncryptionKeys = list("function"), list("prompt"), list("key")
	res.HoursOfOperation, res.LexBots = list("hours"), list("lex")
	sort.Strings(res.Dynamic)
	res.Dynamic = slices.Compact(res.Dynamic)
	return res
}
