package flow

import (
	"fmt"
	"strings"
)

// Severity tells whether a Problem blocks publishing ("error") or is advice ("warning").
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// ProblemKind classifies a Problem. Values are stable strings, safe to match on.
type ProblemKind string

// Problem kinds reported by Parse and Validate.
const (
	KindTooLarge            ProblemKind = "too_large"              // content over Limits.MaxChars
	KindTooDeep             ProblemKind = "too_deep"               // JSON nesting over Limits.MaxDepth
	KindSyntax              ProblemKind = "syntax"                 // not JSON
	KindDuplicateKey        ProblemKind = "duplicate_key"          // a key repeated in one object
	KindStructure           ProblemKind = "structure"              // a top-level or action field of the wrong JSON type
	KindVersion             ProblemKind = "unsupported_version"    // Version other than 2019-10-30
	KindTooManyActions      ProblemKind = "too_many_actions"       // more than Limits.MaxActions
	KindUnknownType         ProblemKind = "unknown_type"           // Type not in the catalogue
	KindMissingParameter    ProblemKind = "missing_parameter"      // a required parameter is absent
	KindInvalidParameter    ProblemKind = "invalid_parameter"      // a parameter of the wrong shape or value
	KindDanglingTarget      ProblemKind = "dangling_target"        // NextAction/condition/error names no action
	KindMissingStartAction  ProblemKind = "missing_start_action"   // StartAction empty or names no action
	KindDuplicateIdentifier ProblemKind = "duplicate_identifier"   // two actions share an Identifier
	KindInvalidIdentifier   ProblemKind = "invalid_identifier"     // empty, too long or forbidden Identifier
	KindUnreachable         ProblemKind = "unreachable_action"     // no path from StartAction (warning)
	KindInvalidReference    ProblemKind = "invalid_reference"      // a $.path outside the documented namespaces
	KindPlaceholder         ProblemKind = "unresolved_placeholder" // ${...}, {{...}}, %NAME% left by a template
	KindInvalidTransition   ProblemKind = "invalid_transition"     // e.g. unknown condition operator
	KindSecureInputLogged   ProblemKind = "secure_input_logged"    // encrypted input captured while logging is on (warning)
)

// Problem is one finding about a flow document. It marshals to JSON as
// {"severity","kind","identifier","path","message"} and is suitable for the body of an
// InvalidContactFlowException (CreateContactFlow / UpdateContactFlowContent).
type Problem struct {
	Severity Severity    `json:"severity"`
	Kind     ProblemKind `json:"kind"`
	// Identifier is the action's Identifier, empty for document-level problems.
	Identifier string `json:"identifier,omitempty"`
	// Path is a JSON path into the document, e.g. "$.Actions[3].Parameters.Text".
	Path string `json:"path"`
	// Message is a lower-case English sentence naming the value at fault; it never
	// contains parameter values other than Types, Identifiers and placeholders.
	Message string `json:"message"`
}

// String formats the problem as "path (identifier): message [kind]".
func (p Problem) String() string {
	id := ""
	if p.Identifier != "" {
		id = fmt.Sprintf(" (action %q)", p.Identifier)
	}
	return fmt.Sprintf("%s: %s%s: %s [%s]", p.Severity, p.Path, id, p.Message, p.Kind)
}

// HasErrors reports whether any problem has SeverityError.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// InvalidFlowError is returned by Load when a document has error-severity problems.
// Problems holds every problem found (warnings included).
type InvalidFlowError struct {
	Problems []Problem
}

// Error summarises the error-severity problems, one per line after the first.
func (e *InvalidFlowError) Error() string {
	var b strings.Builder
	n := 0
	for _, p := range e.Problems {
		if p.Severity != SeverityError {
			continue
		}
		n++
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return fmt.Sprintf("invalid flow: %d problem(s):%s", n, b.String())
}
