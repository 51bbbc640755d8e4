package flow

import (
	"regexp"
	"strings"
)

// placeholderPattern finds template placeholders left in a document by deployment tools:
// ${Name} (CloudFormation Fn::Sub, Terraform), %{...} (Terraform directives),
// {{name}} (mustache-style generators) and %NAME% (CDK and shell templating).
var placeholderPattern = regexp.MustCompile(`\$\{[^{}\s]*\}|%\{[^{}]*\}|\{\{[^{}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%`)

// Placeholders returns the template placeholders in s, in order of appearance.
func Placeholders(s string) []string {
	if !strings.ContainsAny(s, "$%{") {
		return nil
	}
	return placeholderPattern.FindAllString(s, -1)
}

// namespace describes a reference namespace: whether it takes keys after it (a bare
// "$.Views" or "$.External" names the whole namespace), and
// whether its values are sensitive (never written to contact records, search or logs).
type namespace struct {
	keyed     bool
	sensitive bool
}

// knownNamespace describes the reference root ns: every documented root
// (connect-attrib-list) plus those seen in console exports (FlowAttributes, Views,
// Wisdom, AwsRegion).
func knownNamespace(ns string) (namespace, bool) {
	switch ns {
	case "Attributes", "FlowAttributes", "CustomerEndpoint", "SystemEndpoint", "Queue", "Agent", "Metrics",
		"Media", "MediaStreams", "Lex", "Case", "Customer", "References", "Task", "Views", "Wisdom", "Segment",
		"Tags", "VoiceId":
		return namespace{keyed: true}, true
	case "External":
		return namespace{keyed: true, sensitive: true}, true
	case "StoredCustomerInput":
		return namespace{sensitive: true}, true
	case "Channel", "ContactId", "InitialContactId", "PreviousContactId", "CustomerId", "InstanceARN",
		"InitiationMethod", "Name", "Description", "LanguageCode", "TextToSpeechVoiceId", "AwsRegion",
		"CustomerCallBackPhoneNumber":
		return namespace{}, true
	}
	return namespace{}, false
}

// splitReference splits "$.Attributes.a.b" into ("Attributes", "a.b").
func splitReference(ref string) (ns, key string) {
	rest := strings.TrimPrefix(ref, "$.")
	ns, key, _ = strings.Cut(rest, ".")
	return ns, key
}

// IsSensitiveReference reports whether values read through ref must never reach
// contact records, search, flow logs or application logs: $.External.* (function
// results, LAMBDA_EVENT.md section 6) and $.StoredCustomerInput (section 4.1 of the
// Flow-language notes).
func IsSensitiveReference(ref string) bool {
	ns, _ := splitReference(ref)
	n, _ := knownNamespace(ns)
	return n.sensitive
}

// References returns the references embedded in s, in order. A reference is
// "$." + a letter + [A-Za-z0-9_]* followed by any number of "." + [A-Za-z0-9_-]+
// (flow-language-actions-parameter-restrictions; create-dynamic-text-strings): in
// "Hello $.Attributes.name." the reference is "$.Attributes.name".
func References(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "$.")
		if j < 0 {
			break
		}
		start := i + j
		end := scanReference(s, start)
		if end > start {
			out = append(out, s[start:end])
			i = end
		} else {
			i = start + 2
		}
	}
	return out
}

// scanReference returns the end of the reference starting at s[i] ("$."), or i when
// there is none.
func scanReference(s string, i int) int {
	k := i + 2
	if k >= len(s) || !isLetter(s[k]) {
		return i
	}
	for k < len(s) && isWord(s[k]) {
		k++
	}
	for k+1 < len(s) && s[k] == '.' && isSeg(s[k+1]) {
		k++
		for k < len(s) && isSeg(s[k]) {
			k++
		}
	}
	return k
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isWord(c byte) bool   { return isLetter(c) || c >= '0' && c <= '9' || c == '_' }
func isSeg(c byte) bool    { return isWord(c) || c == '-' }

// checkReference returns a message when ref is not a documented reference.
func checkReference(ref string) string {
	ns, key := splitReference(ref)
	n, ok := knownNamespace(ns)
	if !ok {
		return "reference " + quote(ref) + " is not in a documented namespace"
	}
	if !n.keyed && key != "" {
		return "reference " + quote(ref) + " has a key but $." + ns + " is a single value"
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }
