package flow

import (
	"regexp"
	"slices"
	"strings"
)

// placeholderPattern finds template placeholders left in a document by deployment tools:
// ${Name} (CloudFormation Fn::Sub, Terraform), %{...} (Terraform directives),
// {{name}} (mustache-style generators) and %NAME% (CDK and shell templating).
var placeholderPattern = regexp.MustCompile(`\$\{[^{}\s]*\}|%\{[^{}]*\}|\{\{[^{}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%`)

// anglePattern finds candidates for the angle-bracket placeholders people write in samples
// and templates: <<Name>> (generators such as c3's), <ACCOUNT_ID> and <a queue ARN>. A
// candidate is a placeholder unless it reads as an HTML or SSML tag (isAnglePlaceholder).
var anglePattern = regexp.MustCompile(`<<[^<>\n]+>>|<[A-Za-z][A-Za-z0-9_.\-]*(?: [A-Za-z0-9_.\-]+)*>`)

// markupElements are HTML and SSML element names that may appear in prompts (SSML) and
// view templates (ShowView); a candidate naming one is markup, not a placeholder.
var markupElements = map[string]bool{
	"a": true, "abbr": true, "b": true, "br": true, "code": true, "div": true, "em": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "hr": true, "i": true, "img": true, "li": true, "ol": true, "p": true, "pre": true,
	"s": true, "small": true, "span": true, "strong": true, "sub": true, "sup": true, "table": true, "tbody": true, "td": true,
	"th": true, "thead": true, "tr": true, "u": true, "ul": true, "input": true, "button": true, "link": true, "option": true,
	"select": true, "details": true, "summary": true, "audio": true, "video": true, "speak": true, "break": true,
	"prosody": true, "emphasis": true, "phoneme": true, "lang": true, "mark": true, "voice": true, "w": true,
}

// booleanAttributes are HTML attributes written without a value (<input disabled>).
var booleanAttributes = map[string]bool{
	"disabled": true, "checked": true, "selected": true, "readonly": true, "required": true, "hidden": true,
	"multiple": true, "nowrap": true, "reversed": true, "autofocus": true, "open": true, "controls": true,
	"autoplay": true, "loop": true, "muted": true, "default": true, "async": true, "defer": true, "inert": true,
}

// isAnglePlaceholder tells a placeholder candidate of anglePattern from markup: <<...>> is
// always a placeholder; <words with spaces> is one unless it is an element with boolean
// attributes; a single word is one when written in capitals (<ACCOUNT_ID>, <REGION>) and
// not an element name.
func isAnglePlaceholder(m string) bool {
	if strings.HasPrefix(m, "<<") {
		return true
	}
	words := strings.Fields(m[1 : len(m)-1])
	if len(words) > 1 {
		if !markupElements[strings.ToLower(words[0])] {
			return true
		}
		for _, w := range words[1:] {
			if !booleanAttributes[strings.ToLower(w)] {
				return true
			}
		}
		return false
	}
	w := words[0]
	if len(w) < 2 || markupElements[strings.ToLower(w)] || strings.ToUpper(w) != w {
		return false
	}
	return strings.ContainsAny(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

// Placeholders returns the template placeholders in s, in order of appearance: ${Name},
// %{...}, {{name}}, %NAME%, <<Name>>, <NAME> and <words in angle brackets> (see
// isAnglePlaceholder for how markup is told apart).
func Placeholders(s string) []string {
	var out []string
	var at []int
	if strings.ContainsAny(s, "$%{") {
		for _, m := range placeholderPattern.FindAllStringIndex(s, -1) {
			out, at = append(out, s[m[0]:m[1]]), append(at, m[0])
		}
	}
	if strings.Contains(s, "<") {
		for _, m := range anglePattern.FindAllStringIndex(s, -1) {
			if c := s[m[0]:m[1]]; isAnglePlaceholder(c) {
				i := len(at)
				for i > 0 && at[i-1] > m[0] {
					i--
				}
				out, at = slices.Insert(out, i, c), slices.Insert(at, i, m[0])
			}
		}
	}
	return out
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
