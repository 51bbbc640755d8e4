package flowimport

import (
	"regexp"
	"strings"
)

// Kind is the kind of resource a reference names.
type Kind string

// The kinds of reference. The stored kinds (Kind.Stored) are found in the target instance by
// a Resolver; functions, Lex bots, views and other AWS resources are configured apart from
// flows (functions are associated with the instance) and are mapped only with an override.
const (
	KindQueue          Kind = "queue"
	KindFlow           Kind = "flow"
	KindModule         Kind = "module"
	KindHours          Kind = "hours"
	KindUser           Kind = "user"
	KindQuickConnect   Kind = "quickConnect"
	KindAgentStatus    Kind = "agentStatus"
	KindRoutingProfile Kind = "routingProfile"
	KindSecurityKey    Kind = "securityKey"
	KindPrompt         Kind = "prompt"
	KindFunction       Kind = "function"
	KindLexBot         Kind = "lexBot"
	KindView           Kind = "view"
	// KindInstance is an instance ARN; it maps to Options.InstanceARN.
	KindInstance Kind = "instance"
	// KindExternal is an ARN of another AWS service (Q in Connect, Kinesis, S3, ...).
	KindExternal Kind = "external"
	// KindPlaceholder is a template placeholder (${Name}, {{name}}, %NAME%) in a value that
	// names no resource, such as a prompt's text.
	KindPlaceholder Kind = "placeholder"
)

// Stored reports whether resources of kind k live in the instance's store, so a Resolver can
// find them by ID or name.
func (k Kind) Stored() bool {
	switch k {
	case KindQueue, KindFlow, KindModule, KindHours, KindUser, KindQuickConnect, KindAgentStatus, KindRoutingProfile, KindSecurityKey, KindPrompt:
		return true
	}
	return false
}

// external reports whether references of kind k point outside the instance and are kept as
// written (a warning, not a failure) when no override maps them: functions, Lex bots, views
// and other AWS services are reached through per-instance adapters and mappings that are
// configured apart from flows.
func (k Kind) external() bool {
	switch k {
	case KindFunction, KindLexBot, KindView, KindExternal:
		return true
	}
	return false
}

// Noun names the kind in messages.
func (k Kind) Noun() string {
	switch k {
	case KindFlow:
		return "contact flow"
	case KindModule:
		return "flow module"
	case KindHours:
		return "hours of operation"
	case KindQuickConnect:
		return "quick connect"
	case KindAgentStatus:
		return "agent status"
	case KindRoutingProfile:
		return "routing profile"
	case KindSecurityKey:
		return "security key"
	case KindLexBot:
		return "Lex bot"
	case KindExternal:
		return "external resource"
	case KindPlaceholder:
		return "template placeholder"
	}
	if s, ok := strings.CutPrefix(string(k), "connect:"); ok {
		return "Amazon Connect " + s
	}
	return string(k)
}

// article is Noun with "a" or "an" before it.
func (k Kind) article() string {
	n := k.Noun()
	if n != "" && strings.ContainsRune("aeiouAEIOU", rune(n[0])) {
		return "an " + n
	}
	return "a " + n
}

// connectSegments maps the resource segment of an Amazon Connect ARN
// (arn:aws:connect:{region}:{account}:instance/{instance}/{segment}/{id}) to its kind.
var connectSegments = map[string]Kind{
	"queue":                KindQueue,
	"contact-flow":         KindFlow,
	"flow-module":          KindModule,
	"operating-hours":      KindHours,
	"agent":                KindUser,
	"transfer-destination": KindQuickConnect,
	"agent-state":          KindAgentStatus,
	"routing-profile":      KindRoutingProfile,
	"prompt":               KindPrompt,
	"view":                 KindView,
}

// arnPattern finds ARNs inside a string: arn:{partition}:{service}:{region}:{account}:{resource}.
var arnPattern = regexp.MustCompile(`arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:[a-z0-9-]*:[A-Za-z0-9_./:+=@,#-]+`)

// arn is a parsed ARN.
type arn struct {
	text     string
	service  string
	account  string
	kind     Kind
	id       string // the resource's own ID (last segment), "" when none
	instance string // Amazon Connect instance ID, "" for other services
}

// findARNs returns the ARNs in s with their byte offsets.
func findARNs(s string) [][2]int {
	if !strings.Contains(s, "arn:") {
		return nil
	}
	var out [][2]int
	for _, m := range arnPattern.FindAllStringIndex(s, -1) {
		for m[1] > m[0] && (s[m[1]-1] == '.' || s[m[1]-1] == ',' || s[m[1]-1] == ':') {
			m[1]--
		}
		out = append(out, [2]int{m[0], m[1]})
	}
	return out
}

// parseARN classifies an ARN found by findARNs.
func parseARN(s string) arn {
	a := arn{text: s}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return arn{text: s, kind: KindExternal}
	}
	a.service, a.account = parts[2], parts[4]
	res := parts[5]
	switch a.service {
	case "connect":
		segs := strings.Split(res, "/")
		switch {
		case len(segs) == 2 && segs[0] == "instance":
			a.kind, a.instance, a.id = KindInstance, segs[1], segs[1]
		case len(segs) >= 4 && segs[0] == "instance":
			a.instance, a.id = segs[1], segs[len(segs)-1]
			k, ok := connectSegments[segs[2]]
			if !ok {
				k = Kind("connect:" + segs[2])
			}
			a.kind = k
		case len(segs) >= 1 && segs[0] == "view":
			a.kind, a.id = KindView, segs[len(segs)-1]
		default:
			a.kind, a.id = Kind("connect:"+segs[0]), segs[len(segs)-1]
		}
	case "lambda":
		a.kind = KindFunction
	case "lex":
		a.kind = KindLexBot
	default:
		a.kind = KindExternal
	}
	return a
}

// managed reports whether the ARN names a resource AWS itself owns (account "aws"), such as
// the built-in step-by-step views; those are the same everywhere and are kept.
func (a arn) managed() bool { return a.account == "aws" }
