package flow

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// forbiddenIdentifierChars are the characters an action Identifier must not contain, and
// forbiddenIdentifiers the names it must not be (flow-language-actions, "Identifier").
const forbiddenIdentifierChars = `%:(\/)=$,;[]{}`

var forbiddenIdentifiers = map[string]bool{
	"__proto__": true, "constructor": true, "__defineGetter__": true, "__defineSetter__": true, "toString": true,
	"hasOwnProperty": true, "isPrototypeOf": true, "propertyIsEnumerable": true, "toLocaleString": true, "valueOf": true,
}

// checker collects problems for one document.
type checker struct {
	ps []Problem
}

func (c *checker) add(sev Severity, kind ProblemKind, id, path, format string, args ...any) {
	c.ps = append(c.ps, Problem{Severity: sev, Kind: kind, Identifier: id, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) errorf(kind ProblemKind, id, path, format string, args ...any) {
	c.add(SeverityError, kind, id, path, format, args...)
}

// Load parses and validates data under lim. It returns the flow and every problem; err
// is an *InvalidFlowError when any problem has SeverityError.
func Load(data []byte, lim Limits) (*Flow, []Problem, error) {
	f, ps := Parse(data, lim)
	if f != nil {
		ps = append(ps, Validate(f)...)
	}
	if HasErrors(ps) {
		return f, ps, &InvalidFlowError{Problems: ps}
	}
	return f, ps, nil
}

// Validate checks a parsed flow and returns every problem found, in document order,
// then the graph-level ones: unknown Types, missing or ill-typed parameters, dangling
// transition targets, a missing StartAction, duplicate or invalid Identifiers,
// references outside the documented namespaces, unresolved template placeholders
// (reported instead of the other problems they would cause), unknown condition
// operators, operand counts and nested conditions (at most 5 deep and 50 sub-conditions),
// forbidden Identifier characters and names, unreachable actions (warning) and stored or
// encrypted input captured while flow logging is on (warning).
func Validate(f *Flow) []Problem {
	specs := specIndex()
	c := &checker{}
	ids := make(map[string]int, len(f.Actions))
	for i := range f.Actions {
		a := &f.Actions[i]
		path := fmt.Sprintf("$.Actions[%d]", i)
		c.placeholders(a.Identifier, a.Identifier, path+".Identifier")
		switch {
		case a.Identifier == "":
			c.errorf(KindInvalidIdentifier, "", path+".Identifier", "action has no Identifier")
		case utf8.RuneCountInString(a.Identifier) > 50:
			c.errorf(KindInvalidIdentifier, a.Identifier, path+".Identifier", "Identifier is longer than 50 characters")
		case len(Placeholders(a.Identifier)) > 0:
		case strings.ContainsAny(a.Identifier, forbiddenIdentifierChars):
			c.errorf(KindInvalidIdentifier, a.Identifier, path+".Identifier", "Identifier must not contain any of %s", forbiddenIdentifierChars)
		case forbiddenIdentifiers[a.Identifier]:
			c.errorf(KindInvalidIdentifier, a.Identifier, path+".Identifier", "Identifier %q is a reserved name", a.Identifier)
		}
		if j, dup := ids[a.Identifier]; dup && a.Identifier != "" {
			c.errorf(KindDuplicateIdentifier, a.Identifier, path+".Identifier", "Identifier %q is already used by $.Actions[%d]", a.Identifier, j)
		} else {
			ids[a.Identifier] = i
		}
		c.checkAction(specs, a, path)
	}
	if len(Placeholders(f.StartAction)) > 0 {
		c.placeholders(f.StartAction, "", "$.StartAction")
	} else if f.StartAction == "" {
		c.errorf(KindMissingStartAction, "", "$.StartAction", "StartAction is missing")
	} else if _, ok := ids[f.StartAction]; !ok {
		c.errorf(KindMissingStartAction, "", "$.StartAction", "StartAction %q names no action", f.StartAction)
	}
	c.graph(f, ids)
	return c.ps
}

func (c *checker) placeholders(s, id, path string) bool {
	found := false
	for _, p := range Placeholders(s) {
		found = true
		c.errorf(KindPlaceholder, id, path, "unresolved template placeholder %q", p)
	}
	return found
}

func (c *checker) checkAction(specs map[string]*actionSpec, a *Action, path string) {
	id := a.Identifier
	typeHasPlaceholder := c.placeholders(a.Type, id, path+".Type")
	spec := specs[a.Type]
	if spec == nil && !typeHasPlaceholder {
		if a.Type == "" {
			c.errorf(KindUnknownType, id, path+".Type", "action has no Type")
		} else {
			c.errorf(KindUnknownType, id, path+".Type", "unknown action Type %q", a.Type)
		}
	}
	c.walkStrings(a.Parameters, id, path+".Parameters")
	if spec != nil {
		for _, rule := range spec.params {
			c.checkParam(a, rule, path+".Parameters")
		}
		if spec.check != nil {
			spec.check(c, a, path)
		}
	}
	t := &a.Transitions
	tp := path + ".Transitions"
	c.target(id, t.NextAction, tp+".NextAction", true)
	for j, e := range t.Errors {
		ep := fmt.Sprintf("%s.Errors[%d]", tp, j)
		c.placeholders(e.ErrorType, id, ep+".ErrorType")
		c.target(id, e.NextAction, ep+".NextAction", false)
	}
	for j, cond := range t.Conditions {
		cp := fmt.Sprintf("%s.Conditions[%d]", tp, j)
		c.target(id, cond.NextAction, cp+".NextAction", false)
		subs := 0
		c.condition(cond.Condition, id, cp+".Condition", 1, &subs)
		if subs > MaxSubConditions {
			c.errorf(KindInvalidTransition, id, cp+".Condition", "condition holds %d sub-conditions; at most %d are allowed", subs, MaxSubConditions)
		}
	}
}

// Limits on nested conditions (flow-language-actions, "Conditions"): at most 5 levels, and
// at most 50 sub-conditions in one condition whatever their depth.
const (
	MaxConditionDepth = 5
	MaxSubConditions  = 50
)

// condition checks one condition at nesting depth (1 for a transition's own) and counts its
// sub-conditions into subs. Every documented operator compares the result with exactly one
// string operand, so a nested condition is reported where it stands, then checked in turn.
func (c *checker) condition(cond Condition, id, path string, depth int, subs *int) {
	if depth > MaxConditionDepth {
		c.errorf(KindInvalidTransition, id, path, "conditions nest at most %d levels deep", MaxConditionDepth)
		return
	}
	if !knownOperator(cond.Operator) {
		c.errorf(KindInvalidTransition, id, path+".Operator", "unknown condition operator %q", cond.Operator)
	}
	switch n := len(cond.Operands); {
	case n == 0:
		c.errorf(KindInvalidTransition, id, path+".Operands", "condition has no operand")
	case n > 1 && knownOperator(cond.Operator):
		c.errorf(KindInvalidTransition, id, path+".Operands", "operator %s takes one operand, not %d", cond.Operator, n)
	}
	for k, o := range cond.Operands {
		op := fmt.Sprintf("%s.Operands[%d]", path, k)
		nested := cond.Nested[k]
		if nested == nil {
			c.placeholders(o, id, op)
			continue
		}
		*subs++
		if knownOperator(cond.Operator) {
			c.errorf(KindInvalidTransition, id, op, "operator %s compares the result with a string; it does not take a nested condition", cond.Operator)
		}
		c.condition(*nested, id, op, depth+1, subs)
	}
}

// target records a transition target to be resolved by graph; optional targets may be
// empty.
func (c *checker) target(id, to, path string, optional bool) {
	if len(Placeholders(to)) > 0 {
		c.placeholders(to, id, path)
		return
	}
	if to == "" && !optional {
		c.errorf(KindDanglingTarget, id, path, "transition names no action")
	}
}

// walkStrings reports placeholders and invalid references in every key and value.
func (c *checker) walkStrings(v any, id, path string) {
	switch x := v.(type) {
	case string:
		if c.placeholders(x, id, path) {
			return
		}
		for _, ref := range References(x) {
			if msg := checkReference(ref); msg != "" {
				c.errorf(KindInvalidReference, id, path, "%s", msg)
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.placeholders(k, id, path+pathKey(k))
			c.walkStrings(x[k], id, path+pathKey(k))
		}
	case []any:
		for i, e := range x {
			c.walkStrings(e, id, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func isDynamic(s string) bool { return strings.Contains(s, "$.") || len(Placeholders(s)) > 0 }

func (c *checker) checkParam(a *Action, rule paramRule, base string) {
	path := base + pathKey(rule.name)
	v, present := a.Parameters[rule.name]
	if !present {
		if rule.required {
			c.errorf(KindMissingParameter, a.Identifier, path, "parameter %q is required for %s", rule.name, a.Type)
		}
		return
	}
	s, scalar := scalarString(v)
	if scalar && isDynamic(s) && rule.kind != pObject && rule.kind != pList {
		return
	}
	bad := func(want string) {
		c.errorf(KindInvalidParameter, a.Identifier, path, "parameter %q of %s must be %s", rule.name, a.Type, want)
	}
	switch rule.kind {
	case pText:
		if !scalar {
			bad("a string")
			return
		}
	case pBool:
		if _, ok := parseBool(v); !ok {
			bad(`"True" or "False"`)
			return
		}
	case pInt:
		n, ok := parseInt(v)
		if !ok {
			bad("an integer")
			return
		}
		if rule.max > 0 && (n < rule.min || n > rule.max) {
			bad(fmt.Sprintf("an integer from %d to %d", rule.min, rule.max))
			return
		}
		if n < rule.min {
			bad(fmt.Sprintf("an integer of at least %d", rule.min))
			return
		}
	case pObject:
		if _, ok := v.(map[string]any); !ok {
			bad("an object")
		}
		return
	case pList:
		if _, ok := v.([]any); !ok {
			bad("an array")
		}
		return
	}
	if len(rule.enum) > 0 && scalar {
		for _, e := range rule.enum {
			if strings.EqualFold(e, s) {
				return
			}
		}
		bad("one of " + strings.Join(rule.enum, ", "))
	}
}

// graph reports dangling targets, unreachable actions and secure input captured while
// logging may be enabled.
func (c *checker) graph(f *Flow, ids map[string]int) {
	targets := func(a *Action) []string {
		out := make([]string, 0, 1+len(a.Transitions.Errors)+len(a.Transitions.Conditions))
		if a.Transitions.NextAction != "" {
			out = append(out, a.Transitions.NextAction)
		}
		for _, e := range a.Transitions.Errors {
			out = append(out, e.NextAction)
		}
		for _, cd := range a.Transitions.Conditions {
			out = append(out, cd.NextAction)
		}
		return out
	}
	for i := range f.Actions {
		a := &f.Actions[i]
		for _, t := range targets(a) {
			if t == "" || len(Placeholders(t)) > 0 {
				continue
			}
			if _, ok := ids[t]; !ok {
				c.errorf(KindDanglingTarget, a.Identifier, fmt.Sprintf("$.Actions[%d].Transitions", i), "transition target %q names no action", t)
			}
		}
	}
	start, ok := ids[f.StartAction]
	if !ok {
		return
	}
	// Logging state on entry to each action: bit 1 = off, bit 2 = on. Forward
	// propagation to a fixpoint; UpdateFlowLoggingBehavior sets the state.
	const off, on = 1, 2
	state := make([]uint8, len(f.Actions))
	state[start] = off
	work := []int{start}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		a := &f.Actions[i]
		out := state[i]
		if a.Type == "UpdateFlowLoggingBehavior" {
			if v, _ := paramString(a.Parameters, "FlowLoggingBehavior"); strings.EqualFold(v, "Enabled") {
				out = on
			} else {
				out = off
			}
		}
		for _, t := range targets(a) {
			j, ok := ids[t]
			if !ok || state[j]|out == state[j] {
				continue
			}
			state[j] |= out
			work = append(work, j)
		}
	}
	for i := range f.Actions {
		a := &f.Actions[i]
		path := fmt.Sprintf("$.Actions[%d]", i)
		if state[i] == 0 {
			c.add(SeverityWarning, KindUnreachable, a.Identifier, path, "action cannot be reached from StartAction")
			continue
		}
		if state[i]&on != 0 && capturesSecureInput(a) {
			c.add(SeverityWarning, KindSecureInputLogged, a.Identifier, path,
				"secure customer input (stored or encrypted) is captured while flow logging may be enabled; add UpdateFlowLoggingBehavior Disabled before it")
		}
	}
}

// capturesSecureInput reports whether a captures input the customer means to keep private:
// GetParticipantInput with StoreInput "True" or with InputEncryption.
func capturesSecureInput(a *Action) bool {
	if a.Type != "GetParticipantInput" {
		return false
	}
	store, _ := parseBool(a.Parameters["StoreInput"])
	_, enc := a.Parameters["InputEncryption"]
	return store || enc
}
