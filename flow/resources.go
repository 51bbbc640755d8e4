package flow

import (
	"fmt"
	"slices"
	"sort"
	"strings"
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
	QuickConnects    []string `json:"quickConnects,omitempty"`
	Dynamic          []string `json:"dynamic,omitempty"`
}

// ResourceKind is the kind of resource a ResourceRef names.
type ResourceKind string

// Resource kinds.
const (
	ResourceQueue        ResourceKind = "queue"
	ResourceAgent        ResourceKind = "agent"
	ResourceFlow         ResourceKind = "flow"
	ResourceModule       ResourceKind = "module"
	ResourceFunction     ResourceKind = "function"
	ResourcePrompt       ResourceKind = "prompt"
	ResourceKey          ResourceKind = "key"
	ResourceHours        ResourceKind = "hours"
	ResourceLexBot       ResourceKind = "lex"
	ResourceQuickConnect ResourceKind = "quickConnect"
)

// ResourceRef is one static reference of a flow to a resource: the value as written (an ID
// or an ARN), the action that holds it and the JSON path of the value.
type ResourceRef struct {
	Kind       ResourceKind `json:"kind"`
	Value      string       `json:"value"`
	Identifier string       `json:"identifier"`
	Path       string       `json:"path"`
}

// quickConnectSegment marks the ARN of a quick connect (Connect calls them transfer
// destinations in ARNs): arn:aws:connect:{region}:{account}:instance/{id}/transfer-destination/{id}.
const quickConnectSegment = "/transfer-destination/"

// ResourceRefs returns every static resource reference of f in document order, and the
// dynamic ones ("Identifier: parameter path") that name a resource only at run time. Quick
// connects are found wherever a parameter value is a quick-connect ARN.
func ResourceRefs(f *Flow) (refs []ResourceRef, dynamic []string) {
	for i := range f.Actions {
		a := &f.Actions[i]
		p := a.Parameters
		base := fmt.Sprintf("$.Actions[%d].Parameters", i)
		add := func(kind ResourceKind, param string, v any) {
			s, ok := scalarString(v)
			if !ok || s == "" {
				return
			}
			if isDynamic(s) {
				dynamic = append(dynamic, a.Identifier+": "+param)
				return
			}
			refs = append(refs, ResourceRef{Kind: kind, Value: s, Identifier: a.Identifier, Path: base + paramPath(param)})
		}
		switch a.Type {
		case "UpdateContactTargetQueue", "DequeueContactAndTransferToQueue", "CreateCallbackContact", "CheckMetricData", "GetMetricData":
			add(ResourceQueue, "QueueId", p["QueueId"])
			add(ResourceAgent, "AgentId", p["AgentId"])
		case "TransferToFlow", "CreateTask":
			add(ResourceFlow, "ContactFlowId", p["ContactFlowId"])
		case "UpdateContactEventHooks":
			hooks, _ := paramObject(p, "EventHooks")
			keys := make([]string, 0, len(hooks))
			for k := range hooks {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				add(ResourceFlow, "EventHooks."+k, hooks[k])
			}
		case "InvokeFlowModule":
			add(ResourceModule, "FlowModuleId", p["FlowModuleId"])
		case "InvokeLambdaFunction":
			add(ResourceFunction, "LambdaFunctionARN", p["LambdaFunctionARN"])
		case "CheckHoursOfOperation":
			add(ResourceHours, "HoursOfOperationId", p["HoursOfOperationId"])
		case "GetParticipantInput":
			if enc, ok := paramObject(p, "InputEncryption"); ok {
				add(ResourceKey, "InputEncryption.EncryptionKeyId", enc["EncryptionKeyId"])
			}
		case "ConnectParticipantWithLexBot":
			if bot, ok := paramObject(p, "LexV2Bot"); ok {
				add(ResourceLexBot, "LexV2Bot.AliasArn", bot["AliasArn"])
			}
			if bot, ok := paramObject(p, "LexBot"); ok {
				add(ResourceLexBot, "LexBot.Name", bot["Name"])
			}
		}
		add(ResourcePrompt, "PromptId", p["PromptId"])
		if msgs, ok := p["Messages"].([]any); ok {
			for j, m := range msgs {
				if mm, ok := m.(map[string]any); ok {
					add(ResourcePrompt, fmt.Sprintf("Messages[%d].PromptId", j), mm["PromptId"])
				}
			}
		}
		walkScalars(p, base, func(path, s string) {
			if strings.HasPrefix(s, "arn:") && strings.Contains(s, quickConnectSegment) {
				refs = append(refs, ResourceRef{Kind: ResourceQuickConnect, Value: s, Identifier: a.Identifier, Path: path})
			}
		})
	}
	return refs, dynamic
}

// paramPath renders a dotted parameter name ("EventHooks.CustomerQueue", "Messages[0].PromptId")
// as a JSON path suffix.
func paramPath(param string) string {
	var b strings.Builder
	for _, part := range strings.Split(param, ".") {
		name, index, _ := strings.Cut(part, "[")
		b.WriteString(pathKey(name))
		if index != "" {
			b.WriteString("[" + index)
		}
	}
	return b.String()
}

// walkScalars calls fn with the path and value of every string in v, keys in sorted order.
func walkScalars(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkScalars(x[k], path+pathKey(k), fn)
		}
	case []any:
		for i, e := range x {
			walkScalars(e, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}

// ListResources returns the resources f refers to.
func ListResources(f *Flow) Resources {
	refs, dynamic := ResourceRefs(f)
	sets := map[ResourceKind]map[string]struct{}{}
	for _, r := range refs {
		if sets[r.Kind] == nil {
			sets[r.Kind] = map[string]struct{}{}
		}
		sets[r.Kind][r.Value] = struct{}{}
	}
	list := func(kind ResourceKind) []string {
		var out []string
		for k := range sets[kind] {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	res := Resources{
		Queues: list(ResourceQueue), Agents: list(ResourceAgent), Flows: list(ResourceFlow), Modules: list(ResourceModule),
		Functions: list(ResourceFunction), Prompts: list(ResourcePrompt), EncryptionKeys: list(ResourceKey),
		HoursOfOperation: list(ResourceHours), LexBots: list(ResourceLexBot), QuickConnects: list(ResourceQuickConnect),
	}
	sort.Strings(dynamic)
	res.Dynamic = slices.Compact(dynamic)
	return res
}
