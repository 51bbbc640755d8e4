package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Limits bounds what Parse accepts. The zero value of a field means "use the default".
type Limits struct {
	// MaxChars is the largest document in Unicode characters (CreateContactFlow Content:
	// 256,000). Inputs over 4*MaxChars bytes are refused before any decoding.
	MaxChars int
	// MaxActions is the largest number of actions (flow-language-example: 250).
	MaxActions int
	// MaxDepth is the deepest JSON nesting of objects and arrays (default 64; the deepest
	// public export nests 9).
	MaxDepth int
}

// DefaultLimits returns Connect's limits: 256,000 characters, 250 actions, depth 64.
func DefaultLimits() Limits { return Limits{MaxChars: 256000, MaxActions: 250, MaxDepth: 64} }

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxChars <= 0 {
		l.MaxChars = d.MaxChars
	}
	if l.MaxActions <= 0 {
		l.MaxActions = d.MaxActions
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}

// ReadAll reads a document from r, refusing more than 4*lim.MaxChars bytes without
// buffering them, and parses it with Parse. The error is non-nil only when r fails.
func ReadAll(r io.Reader, lim Limits) (*Flow, []Problem, error) {
	lim = lim.withDefaults()
	max := int64(lim.MaxChars) * 4
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read flow: %w", err)
	}
	if int64(len(data)) > max {
		return nil, []Problem{tooLarge(fmt.Sprintf("content exceeds %d bytes", max))}, nil
	}
	f, ps := Parse(data, lim)
	return f, ps, nil
}

func tooLarge(msg string) Problem {
	return Problem{Severity: SeverityError, Kind: KindTooLarge, Path: "$", Message: msg}
}

// Parse decodes a Flow-language document under lim (see Limits; zero fields take the
// defaults). It never panics and checks the size before decoding, so memory stays
// bounded for any input.
//
// It returns a nil Flow when the document cannot be read at all (too large, too deep,
// not JSON, not an object); otherwise it returns the Flow with every structural problem
// found: duplicate keys, fields of the wrong JSON type, too many actions, wrong Version.
// Call Validate for the semantic checks.
func Parse(data []byte, lim Limits) (*Flow, []Problem) {
	lim = lim.withDefaults()
	if len(data) > 4*lim.MaxChars {
		return nil, []Problem{tooLarge(fmt.Sprintf("content of %d bytes exceeds %d characters", len(data), lim.MaxChars))}
	}
	if n := utf8.RuneCount(data); n > lim.MaxChars {
		return nil, []Problem{tooLarge(fmt.Sprintf("content of %d characters exceeds %d", n, lim.MaxChars))}
	}
	ps, ok := scan(data, lim.MaxDepth)
	if !ok {
		return nil, ps
	}
	f, more := decodeFlow(data, lim)
	return f, append(ps, more...)
}

// scan walks the token stream once to enforce the depth limit and to find duplicate
// keys, which encoding/json silently merges.
func scan(data []byte, maxDepth int) ([]Problem, bool) {
	type frame struct {
		object  bool
		wantKey bool
		index   int
		path    string
		keys    map[string]struct{}
		lastKey string
	}
	var ps []Problem
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	stack := make([]frame, 0, 16)
	childPath := func() string {
		if len(stack) == 0 {
			return "$"
		}
		top := &stack[len(stack)-1]
		if top.object {
			return top.path + pathKey(top.lastKey)
		}
		return top.path + "[" + strconv.Itoa(top.index) + "]"
	}
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	seenRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return append(ps, Problem{Severity: SeverityError, Kind: KindSyntax, Path: "$", Message: "not valid JSON: " + err.Error()}), false
		}
		if len(stack) == 0 && seenRoot {
			return append(ps, Problem{Severity: SeverityError, Kind: KindSyntax, Path: "$", Message: "not valid JSON: data after the top-level value"}), false
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				afterValue()
				continue
			}
			top := &stack[len(stack)-1]
			k, _ := tok.(string)
			if _, dup := top.keys[k]; dup {
				ps = append(ps, Problem{Severity: SeverityError, Kind: KindDuplicateKey, Path: top.path + pathKey(k),
					Message: fmt.Sprintf("duplicate key %q", k)})
			} else {
				top.keys[k] = struct{}{}
			}
			top.lastKey = k
			top.wantKey = false
			continue
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{', '[':
				if len(stack) >= maxDepth {
					return append(ps, Problem{Severity: SeverityError, Kind: KindTooDeep, Path: childPath(),
						Message: fmt.Sprintf("JSON nesting exceeds %d levels", maxDepth)}), false
				}
				p := childPath()
				seenRoot = true
				fr := frame{object: d == '{', wantKey: d == '{', path: p}
				if fr.object {
					fr.keys = make(map[string]struct{}, 8)
				}
				stack = append(stack, fr)
			case ']':
				stack = stack[:len(stack)-1]
				afterValue()
			}
		default:
			seenRoot = true
			afterValue()
		}
	}
	if len(stack) > 0 || !seenRoot {
		return append(ps, Problem{Severity: SeverityError, Kind: KindSyntax, Path: "$", Message: "not valid JSON: unexpected end of input"}), false
	}
	return ps, true
}

// pathKey renders an object member for a JSON path: ".Key" or `["odd key"]`.
func pathKey(k string) string {
	plain := k != ""
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

func structure(path, id, msg string) Problem {
	return Problem{Severity: SeverityError, Kind: KindStructure, Identifier: id, Path: path, Message: msg}
}

func decodeFlow(data []byte, lim Limits) (*Flow, []Problem) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, []Problem{structure("$", "", "document is not a JSON object")}
	}
	var ps []Problem
	f := &Flow{}
	if raw, ok := top["Version"]; !ok {
		ps = append(ps, structure("$.Version", "", "Version is missing"))
	} else if err := json.Unmarshal(raw, &f.Version); err != nil {
		ps = append(ps, structure("$.Version", "", "Version must be a string"))
	} else if f.Version != SupportedVersion {
		ps = append(ps, Problem{Severity: SeverityError, Kind: KindVersion, Path: "$.Version",
			Message: fmt.Sprintf("version %q is not supported; use %q", f.Version, SupportedVersion)})
	}
	if raw, ok := top["StartAction"]; ok {
		if err := json.Unmarshal(raw, &f.StartAction); err != nil {
			ps = append(ps, structure("$.StartAction", "", "StartAction must be a string"))
		}
	}
	if raw, ok := top["Metadata"]; ok {
		if !isObject(raw) {
			ps = append(ps, structure("$.Metadata", "", "Metadata must be an object"))
		} else {
			f.Metadata = append(json.RawMessage(nil), raw...)
		}
	}
	if raw, ok := top["Settings"]; ok {
		if !isObject(raw) {
			ps = append(ps, structure("$.Settings", "", "Settings must be an object"))
		} else {
			f.Settings = append(json.RawMessage(nil), raw...)
			if _, err := f.ModuleSettings(); err != nil {
				ps = append(ps, structure("$.Settings", "", "Settings does not have the flow-module shape"))
			}
		}
	}
	raw, ok := top["Actions"]
	if !ok {
		ps = append(ps, structure("$.Actions", "", "Actions is missing"))
		return f, ps
	}
	var acts []json.RawMessage
	if err := json.Unmarshal(raw, &acts); err != nil {
		ps = append(ps, structure("$.Actions", "", "Actions must be an array"))
		return f, ps
	}
	if len(acts) > lim.MaxActions {
		ps = append(ps, Problem{Severity: SeverityError, Kind: KindTooManyActions, Path: "$.Actions",
			Message: fmt.Sprintf("flow has %d actions; at most %d are allowed", len(acts), lim.MaxActions)})
	}
	f.Actions = make([]Action, 0, len(acts))
	for i, ra := range acts {
		a, aps := decodeAction(ra, fmt.Sprintf("$.Actions[%d]", i))
		ps = append(ps, aps...)
		f.Actions = append(f.Actions, a)
	}
	f.reindex()
	return f, ps
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimLeft(raw, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

func decodeAction(raw json.RawMessage, path string) (Action, []Problem) {
	var a Action
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return a, []Problem{structure(path, "", "action must be an object")}
	}
	var ps []Problem
	str := func(key string, dst *string) {
		r, ok := m[key]
		if !ok {
			return
		}
		if err := json.Unmarshal(r, dst); err != nil {
			ps = append(ps, structure(path+"."+key, a.Identifier, key+" must be a string"))
		}
	}
	str("Identifier", &a.Identifier)
	str("Type", &a.Type)
	if r, ok := m["Parameters"]; ok && !bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		if err := dec.Decode(&a.Parameters); err != nil || !isObject(r) {
			ps = append(ps, structure(path+".Parameters", a.Identifier, "Parameters must be an object"))
			a.Parameters = nil
		}
	}
	if a.Parameters == nil {
		a.Parameters = map[string]any{}
	}
	if r, ok := m["Transitions"]; ok {
		tps := decodeTransitions(r, path+".Transitions", a.Identifier, &a.Transitions)
		ps = append(ps, tps...)
	}
	return a, ps
}

func decodeTransitions(raw json.RawMessage, path, id string, t *Transitions) []Problem {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return []Problem{structure(path, id, "Transitions must be an object")}
	}
	var ps []Problem
	if r, ok := m["NextAction"]; ok {
		if err := json.Unmarshal(r, &t.NextAction); err != nil {
			ps = append(ps, structure(path+".NextAction", id, "NextAction must be a string"))
		}
	}
	if r, ok := m["Errors"]; ok {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(r, &list); err != nil {
			ps = append(ps, structure(path+".Errors", id, "Errors must be an array of objects"))
		}
		for i, e := range list {
			p := fmt.Sprintf("%s.Errors[%d]", path, i)
			var et ErrorTransition
			if err := json.Unmarshal(e["ErrorType"], &et.ErrorType); err != nil || et.ErrorType == "" {
				ps = append(ps, structure(p+".ErrorType", id, "ErrorType must be a non-empty string"))
			}
			if err := json.Unmarshal(e["NextAction"], &et.NextAction); err != nil {
				ps = append(ps, structure(p+".NextAction", id, "NextAction must be a string"))
			}
			et.label = "Error:" + et.ErrorType
			t.Errors = append(t.Errors, et)
		}
	}
	if r, ok := m["Conditions"]; ok {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(r, &list); err != nil {
			ps = append(ps, structure(path+".Conditions", id, "Conditions must be an array of objects"))
		}
		for i, c := range list {
			p := fmt.Sprintf("%s.Conditions[%d]", path, i)
			var ct ConditionTransition
			if err := json.Unmarshal(c["NextAction"], &ct.NextAction); err != nil {
				ps = append(ps, structure(p+".NextAction", id, "NextAction must be a string"))
			}
			cond, cps := decodeCondition(c["Condition"], p+".Condition", id)
			ps = append(ps, cps...)
			if cond != nil {
				ct.Condition = *cond
			}
			if len(ct.Condition.Operands) > 0 {
				ct.label = "Condition:" + ct.Condition.Operands[0]
			}
			t.Conditions = append(t.Conditions, ct)
		}
	}
	return ps
}

// decodeCondition reads a Condition object; an operand that is an object is read as a nested
// Condition (the scan before has bounded the nesting depth). It returns nil when raw is not
// an object.
func decodeCondition(raw json.RawMessage, path, id string) (*Condition, []Problem) {
	var cm map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cm); err != nil || cm == nil {
		return nil, []Problem{structure(path, id, "Condition must be an object")}
	}
	var ps []Problem
	c := &Condition{}
	if err := json.Unmarshal(cm["Operator"], &c.Operator); err != nil {
		ps = append(ps, structure(path+".Operator", id, "Operator must be a string"))
	}
	var ops []json.RawMessage
	if err := json.Unmarshal(cm["Operands"], &ops); err != nil {
		ps = append(ps, structure(path+".Operands", id, "Operands must be an array"))
	}
	for j, raw := range ops {
		op := fmt.Sprintf("%s.Operands[%d]", path, j)
		if isObject(raw) {
			n, nps := decodeCondition(raw, op, id)
			ps = append(ps, nps...)
			if n != nil {
				if c.Nested == nil {
					c.Nested = map[int]*Condition{}
				}
				c.Nested[j] = n
			}
			c.Operands = append(c.Operands, "")
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&v)
		s, ok := scalarString(v)
		if !ok {
			ps = append(ps, structure(op, id, "operand must be a string or a Condition"))
		}
		c.Operands = append(c.Operands, s)
	}
	return c, ps
}
