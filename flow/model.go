package flow

import (
	"encoding/json"
	"fmt"
)

// SupportedVersion is the only Flow-language version Connect accepts
// (flow-language-example: "Currently the only supported version is 2019-10-30").
const SupportedVersion = "2019-10-30"

// Flow is one Flow-language document: a contact flow or a flow module.
//
// Metadata and Settings are kept as raw JSON so that a document read and written again
// keeps the designer data byte-for-byte (modulo the surrounding whitespace).
type Flow struct {
	// Version is the language version; SupportedVersion is the only valid value.
	Version string `json:"Version"`
	// StartAction is the Identifier of the first action to run.
	StartAction string `json:"StartAction"`
	// Metadata is designer data with no runtime meaning; kept verbatim.
	Metadata json.RawMessage `json:"Metadata,omitempty"`
	// Actions lists the flow's actions (at most Limits.MaxActions; 250 in Connect).
	Actions []Action `json:"Actions"`
	// Settings is present only in flow modules (InputParameters, OutputParameters,
	// Transitions); kept verbatim. See ModuleSettings.
	Settings json.RawMessage `json:"Settings,omitempty"`

	index map[string]int
}

// Action is one step of a flow (flow-language-actions).
type Action struct {
	// Identifier is unique within the flow, at most 50 characters.
	Identifier string `json:"Identifier"`
	// Type names the action, e.g. "MessageParticipant".
	Type string `json:"Type"`
	// Parameters is the per-Type parameter object. Scalars are usually JSON strings
	// ("True", "8"); numbers are kept as json.Number and booleans as bool.
	Parameters map[string]any `json:"Parameters"`
	// Transitions chooses the next action.
	Transitions Transitions `json:"Transitions"`
}

// Transitions is an action's choice of the next action (flow-language-actions,
// "Transitions"): the first matching Condition, else the matching Error, else NextAction.
type Transitions struct {
	// NextAction runs when no error or condition is chosen; empty for terminal actions.
	NextAction string `json:"NextAction,omitempty"`
	// Errors maps an ErrorType (e.g. "NoMatchingError") to the next action.
	Errors []ErrorTransition `json:"Errors,omitempty"`
	// Conditions are evaluated in order against the action's result; the first true wins.
	Conditions []ConditionTransition `json:"Conditions,omitempty"`
}

// ErrorTransition is one entry of Transitions.Errors.
type ErrorTransition struct {
	NextAction string `json:"NextAction"`
	ErrorType  string `json:"ErrorType"`

	label string // "Error:<ErrorType>", precomputed by Parse
}

// ConditionTransition is one entry of Transitions.Conditions.
type ConditionTransition struct {
	NextAction string    `json:"NextAction"`
	Condition  Condition `json:"Condition"`

	label string // "Condition:<operand>", precomputed by Parse
}

// Condition compares the action's result with Operands[0] using Operator (Equals,
// TextStartsWith, TextEndsWith, TextContains, NumberGreaterThan, NumberGreaterOrEqualTo,
// NumberLessThan, NumberLessOrEqualTo).
//
// The language lets an operand be a Condition itself ("Operands: a list of operands; may be
// strings or nested Condition objects depending on Operator", at most 5 levels and 50
// sub-conditions; flow-language-actions). Such an operand is kept in Nested at its index,
// with "" at that index of Operands, so a document read and written again keeps it. None of
// the documented operators takes one: Validate reports it, and the engine never matches it.
type Condition struct {
	Operator string
	Operands []string
	// Nested holds the operands that are conditions, by index into Operands; nil when every
	// operand is a string.
	Nested map[int]*Condition
}

// MarshalJSON writes {"Operator": ..., "Operands": [...]} with nested conditions in place.
func (c Condition) MarshalJSON() ([]byte, error) {
	ops := make([]any, len(c.Operands))
	for i, o := range c.Operands {
		ops[i] = o
		if n := c.Nested[i]; n != nil {
			ops[i] = n
		}
	}
	return json.Marshal(struct {
		Operator string `json:"Operator"`
		Operands []any  `json:"Operands"`
	}{c.Operator, ops})
}

// ModuleSettings is the Settings object of a flow module. The meaning of the parameter
// lists is not documented by Connect; they are kept as raw JSON.
type ModuleSettings struct {
	InputParameters  json.RawMessage    `json:"InputParameters,omitempty"`
	OutputParameters json.RawMessage    `json:"OutputParameters,omitempty"`
	Transitions      []ModuleTransition `json:"Transitions,omitempty"`
}

// ModuleTransition is one declared outcome of a flow module, e.g.
// {"DisplayName":"Success","ReferenceName":"Success","Description":""}.
type ModuleTransition struct {
	DisplayName   string `json:"DisplayName"`
	ReferenceName string `json:"ReferenceName"`
	Description   string `json:"Description"`
}

// IsModule reports whether the document is a flow module (it has Settings).
func (f *Flow) IsModule() bool { return len(f.Settings) > 0 }

// ModuleSettings decodes Settings. It returns nil, nil for a contact flow and an error
// when Settings is not an object of the documented shape.
func (f *Flow) ModuleSettings() (*ModuleSettings, error) {
	if len(f.Settings) == 0 {
		return nil, nil
	}
	var s ModuleSettings
	if err := json.Unmarshal(f.Settings, &s); err != nil {
		return nil, fmt.Errorf("decode module settings: %w", err)
	}
	return &s, nil
}

// Action returns the action with the given Identifier, or nil. It does not modify f,
// so a parsed Flow may be shared by concurrent runs.
func (f *Flow) Action(id string) *Action {
	if f.index == nil {
		for i := range f.Actions {
			if f.Actions[i].Identifier == id {
				return &f.Actions[i]
			}
		}
		return nil
	}
	i, ok := f.index[id]
	if !ok {
		return nil
	}
	return &f.Actions[i]
}

func (f *Flow) reindex() {
	f.index = make(map[string]int, len(f.Actions))
	for i := range f.Actions {
		if _, dup := f.index[f.Actions[i].Identifier]; !dup {
			f.index[f.Actions[i].Identifier] = i
		}
	}
}

// Marshal returns the document as JSON with Metadata and Settings unchanged.
func (f *Flow) Marshal() ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("marshal flow: %w", err)
	}
	return b, nil
}
