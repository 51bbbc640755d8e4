package flowimport

import (
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/flow"
)

// positionKind is the kind of resource a parameter names, from its path inside the action's
// Parameters ("QueueId"; "EventHooks", "CustomerQueue"; "Messages", "0", "PromptId"), or ""
// for a parameter that names none. The positions are those of the Flow-language actions
// (flow-language-actions) that take a resource ID or ARN.
func positionKind(ppath []string) Kind {
	switch len(ppath) {
	case 1:
		switch ppath[0] {
		case "QueueId":
			return KindQueue
		case "AgentId":
			return KindUser
		case "ContactFlowId":
			return KindFlow
		case "FlowModuleId":
			return KindModule
		case "LambdaFunctionARN":
			return KindFunction
		case "HoursOfOperationId":
			return KindHours
		case "PromptId":
			return KindPrompt
		case "WisdomAssistantArn":
			return KindExternal
		}
	case 2:
		switch {
		case ppath[0] == "EventHooks":
			return KindFlow
		case ppath[0] == "LexV2Bot" && ppath[1] == "AliasArn":
			return KindLexBot
		case ppath[0] == "InputEncryption" && ppath[1] == "EncryptionKeyId":
			return KindSecurityKey
		case ppath[0] == "ViewResource" && ppath[1] == "Id":
			return KindView
		}
	case 3:
		if ppath[0] == "Messages" && ppath[2] == "PromptId" {
			return KindPrompt
		}
	}
	return ""
}

// collectIDText records every {"id": X, "text": name} pair of the designer Metadata (queue,
// ContactFlow, contactFlow, Hours, audio entries): the name the source instance gave X. It
// names an ARN wherever the ARN appears, also in free text such as an attribute value.
func collectIDText(v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		id, _ := x["id"].(string)
		text, _ := x["text"].(string)
		if id != "" && text != "" {
			out[id] = text
		}
		for _, e := range x {
			collectIDText(e, out)
		}
	case []any:
		for _, e := range x {
			collectIDText(e, out)
		}
	}
}

// lookup follows keys (array indexes as decimal text) from v and returns the string found
// there, or "".
func lookup(v any, keys ...string) string {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	s, _ := v.(string)
	return s
}

// nameHint returns the name the export records for the resource a's parameter at ppath
// names (value is the parameter's value), from the action's designer Metadata am: the
// console keeps the selected resource's name beside its ID (queue.text, ContactFlow.text,
// contactFlow.text, contactFlowModuleName, Hours.text, promptName, audio[].text,
// parameters.<Param>.displayName, lexV2BotName). A security key's "name" is the PEM written
// beside its ID. "" when none is recorded.
func (im *importer) nameHint(a *flow.Action, am map[string]any, ppath []string, value string) string {
	if n := actionHint(a, am, ppath); n != "" {
		return n
	}
	if len(flow.Placeholders(value)) == 0 {
		return im.idText[value]
	}
	return ""
}

// actionHint is nameHint from the action's own Metadata.
func actionHint(a *flow.Action, am map[string]any, ppath []string) string {
	first := func(vs ...string) string {
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" && !strings.HasPrefix(v, "$.") && len(flow.Placeholders(v)) == 0 {
				return v
			}
		}
		return ""
	}
	if len(ppath) == 2 && ppath[0] == "InputEncryption" && ppath[1] == "EncryptionKeyId" {
		return first(lookup(a.Parameters, "InputEncryption", "Key"))
	}
	if am == nil {
		return ""
	}
	bare := ""
	if dyn, _ := am["useDynamic"].(bool); !dyn {
		bare, _ = am["queue"].(string)
	}
	switch strings.Join(ppath, ".") {
	case "QueueId":
		return first(lookup(am, "queue", "text"), bare, lookup(am, "parameters", "QueueId", "displayName"))
	case "AgentId":
		return first(lookup(am, "parameters", "AgentId", "displayName"), lookup(am, "queue", "text"))
	case "ContactFlowId":
		return first(lookup(am, "ContactFlow", "text"), lookup(am, "contactFlow", "text"), lookup(am, "parameters", "ContactFlowId", "displayName"))
	case "FlowModuleId":
		return first(lookup(am, "contactFlowModuleName"), lookup(am, "parameters", "FlowModuleId", "displayName"))
	case "HoursOfOperationId":
		return first(lookup(am, "Hours", "text"), lookup(am, "parameters", "HoursOfOperationId", "displayName"))
	case "PromptId":
		return first(lookup(am, "promptName"), lookup(am, "parameters", "PromptId", "displayName"))
	case "LambdaFunctionARN":
		return first(lookup(am, "parameters", "LambdaFunctionARN", "displayName"))
	case "LexV2Bot.AliasArn":
		return first(lookup(am, "lexV2BotName"), lookup(am, "parameters", "LexV2Bot", "AliasArn", "lexV2BotName"))
	case "WisdomAssistantArn":
		return first(lookup(am, "parameters", "WisdomAssistantArn", "displayName"))
	case "ViewResource.Id":
		return first(lookup(am, "parameters", "ViewResource", "Id", "displayName"))
	}
	switch {
	case ppath[0] == "EventHooks" && len(ppath) == 2:
		return first(lookup(am, "parameters", "EventHooks", ppath[1], "displayName"), lookup(am, "contactFlow", "text"), lookup(am, "ContactFlow", "text"))
	case ppath[0] == "Messages" && len(ppath) == 3:
		return first(lookup(am, "parameters", "Messages", ppath[1], "PromptId", "displayName"), lookup(am, "audio", ppath[1], "text"))
	}
	return ""
}
