package flow

import (
	"encoding/json"
	"strconv"
	"strings"
)

// scalarString renders a JSON scalar as the string Connect would see: strings as is,
// numbers in their literal form, booleans as "true"/"false". Objects, arrays and null
// are not scalars.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// parseBool accepts "True", "true", "TRUE", "False", ... and JSON booleans.
func parseBool(v any) (bool, bool) {
	if b, ok := v.(bool); ok {
		return b, true
	}
	s, ok := v.(string)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// parseInt accepts "8", 8 and "8.0"-free integers within int range.
func parseInt(v any) (int, bool) {
	s, ok := scalarString(v)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return n, true
}

// param returns p[key] as a string when it is a scalar.
func paramString(p map[string]any, key string) (string, bool) {
	v, ok := p[key]
	if !ok {
		return "", false
	}
	return scalarString(v)
}

func paramObject(p map[string]any, key string) (map[string]any, bool) {
	m, ok := p[key].(map[string]any)
	return m, ok
}
