package flow

import (
	"regexp"
	"sort"
	"strings"
)

var (
	e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	tagPattern  = regexp.MustCompile(`<[^>]*>`)
)

// promptRules returns the mutually exclusive prompt parameters of participant actions.
func promptRules() []paramRule {
	return []paramRule{{name: "Text", kind: pText}, {name: "SSML", kind: pText}, {name: "PromptId", kind: pText}, {name: "Media", kind: pObject}}
}

// message builds the prompt of a participant action. PromptId and SSML are voice
// features: on other channels a prompt fails and SSML is sent as its text content
// (participant-actions-messageparticipant). ok is false when no prompt is set.
func (r *runner) message(p map[string]any) (m Message, ok bool, errType string) {
	voice := r.s.Contact.Channel == "" || r.s.Contact.Channel == "VOICE"
	if v, present, _ := r.param(p, "Text"); present {
		return Message{Text: v}, true, ""
	}
	if v, present, _ := r.param(p, "SSML"); present {
		if voice {
			return Message{SSML: v}, true, ""
		}
		return Message{Text: strings.TrimSpace(tagPattern.ReplaceAllString(v, ""))}, true, ""
	}
	if v, present, _ := r.param(p, "PromptId"); present {
		if !voice {
			return Message{}, true, ErrNoMatchingError
		}
		return Message{PromptID: v}, true, ""
	}
	if media, present := paramObject(p, "Media"); present {
		uri, _, _ := r.param(media, "Uri")
		return Message{MediaURI: uri}, true, ""
	}
	return Message{}, false, ""
}

// checkOnePrompt reports when more than one of Text, SSML and PromptId is set.
func checkOnePrompt(c *checker, a *Action, path string, required bool) {
	n := 0
	for _, k := range []string{"Text", "SSML", "PromptId"} {
		if _, ok := a.Parameters[k]; ok {
			n++
		}
	}
	if n > 1 {
		c.errorf(KindInvalidParameter, a.Identifier, path+".Parameters", "only one of Text, SSML and PromptId may be set for %s", a.Type)
	}
	if n == 0 && required {
		if _, ok := a.Parameters["Media"]; !ok {
			c.errorf(KindMissingParameter, a.Identifier, path+".Parameters", "one of Text, SSML, PromptId or Media is required for %s", a.Type)
		}
	}
}

// runAdapter runs a service-backed action through its Adapter, storing values under
// namespace; without an adapter it takes the error branch naming capability.
func (r *runner) runAdapter(a *Action, namespace, capability string) step {
	ad := r.e.cfg.Adapters[a.Type]
	if ad == nil {
		return r.missing(a, capability)
	}
	params, _ := r.resolveAny(a.Parameters).(map[string]any)
	res, err := ad.Invoke(r.ctx, AdapterCall{Type: a.Type, Identifier: a.Identifier, ContactID: r.s.Contact.ContactID,
		Channel: r.s.Contact.Channel, Parameters: params})
	if err != nil {
		r.notice(a, "adapter_failed", capability)
		return step{err: ErrNoMatchingError, note: "adapter failed: " + capability}
	}
	keys := make([]string, 0, len(res.Values))
	for k := range res.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.s.setData(namespace, k, res.Values[k])
	}
	if res.ErrorType != "" {
		return fail(res.ErrorType)
	}
	if len(a.Transitions.Conditions) > 0 || res.Result != "" {
		return result(res.Result)
	}
	return ok()
}

// queueOrAgent resolves QueueId (or AgentId) and falls back to the working queue.
func (r *runner) queueOrAgent(p map[string]any) (queue, agent string) {
	queue, _, _ = r.param(p, "QueueId")
	agent, _, _ = r.param(p, "AgentId")
	if queue == "" && agent == "" {
		queue, agent = r.s.Behaviour.TargetQueue, r.s.Behaviour.TargetAgent
	}
	return queue, agent
}

// intParam resolves an integer parameter, returning def when absent or invalid.
func (r *runner) intParam(p map[string]any, key string, def int) int {
	v, present, _ := r.param(p, key)
	if !present {
		return def
	}
	n, ok := parseInt(v)
	if !ok {
		return def
	}
	return n
}

func (r *runner) boolParam(p map[string]any, key string) bool {
	v, present, _ := r.param(p, key)
	if !present {
		return false
	}
	b, _ := parseBool(v)
	return b
}

func checkExclusive(c *checker, a *Action, path string, x, y string, oneRequired bool) {
	_, hx := a.Parameters[x]
	_, hy := a.Parameters[y]
	if hx && hy {
		c.errorf(KindInvalidParameter, a.Identifier, path+".Parameters", "only one of %s and %s may be set for %s", x, y, a.Type)
	}
	if oneRequired && !hx && !hy {
		c.errorf(KindMissingParameter, a.Identifier, path+".Parameters", "one of %s or %s is required for %s", x, y, a.Type)
	}
}
