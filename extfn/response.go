package extfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ResponseMode is the InvokeLambdaFunction ResponseValidation.ResponseType (flow language
// action reference "InvokeLambdaFunction"; LAMBDA_EVENT.md §3 and §5).
type ResponseMode string

const (
	// ResponseStringMap accepts a flat JSON object whose values are strings. It is the mode of
	// flows that omit ResponseValidation.
	ResponseStringMap ResponseMode = "STRING_MAP"
	// ResponseJSON accepts any valid JSON document, nested values included.
	ResponseJSON ResponseMode = "JSON"
)

// MaxResponseBytes is the size limit of a function's answer: Connect requires the returned data
// to be smaller than 32 KB of UTF-8 (Administrator Guide, connect-lambda-functions.html), so a
// body of MaxResponseBytes bytes or more fails with KindTooLarge.
const MaxResponseBytes = 32 << 10

// responseError is a parse failure; the Invoker turns it into KindBadResponse.
type responseError struct{ msg string }

func (e *responseError) Error() string { return e.msg }

// ParseStringMap checks body as a STRING_MAP answer and returns its values. The rules
// (Administrator Guide, connect-lambda-functions.html: a flat object of string keys and string
// values, "nested and complex objects are not supported"; LAMBDA_EVENT.md §5):
//
//   - the body is valid UTF-8 and one JSON object, nothing after it;
//   - every value is a string, or null, which becomes "" (the Lambda result type allows null);
//   - a number or boolean value is refused, unless stringifyScalars is true, in which case it
//     becomes its JSON text ("42", "1.5e3", "true"); Connect's own behaviour here is not
//     documented, and refusing is the safe reading;
//   - a nested object or array is refused (not flattened);
//   - a key that appears twice is refused.
//
// The character restriction the guide mentions (alphanumeric, dash, underscore) is not
// enforced, as Connect does not enforce it either. Size is checked by the caller.
func ParseStringMap(body []byte, stringifyScalars bool) (map[string]string, error) {
	if !utf8.Valid(body) {
		return nil, &responseError{"response is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, &responseError{"response is not JSON: " + errText(err)}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &responseError{"response is " + jsonKind(tok) + ", want a JSON object"}
	}
	out := map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, &responseError{"response is not JSON: " + errText(err)}
		}
		key, _ := kt.(string)
		if _, dup := out[key]; dup {
			return nil, &responseError{"key " + strconv.Quote(key) + " appears twice"}
		}
		vt, err := dec.Token()
		if err != nil {
			return nil, &responseError{"response is not JSON: " + errText(err)}
		}
		switch v := vt.(type) {
		case string:
			out[key] = v
		case nil:
			out[key] = ""
		case json.Number:
			if !stringifyScalars {
				return nil, &responseError{"value of key " + strconv.Quote(key) + " is a number, want a string"}
			}
			out[key] = v.String()
		case bool:
			if !stringifyScalars {
				return nil, &responseError{"value of key " + strconv.Quote(key) + " is a boolean, want a string"}
			}
			out[key] = strconv.FormatBool(v)
		default:
			return nil, &responseError{"value of key " + strconv.Quote(key) + " is " + jsonKind(vt) + "; nested values need ResponseValidation JSON"}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, &responseError{"response is not JSON: " + errText(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &responseError{"data after the JSON object"}
	}
	return out, nil
}

// ParseJSON checks body as a JSON-mode answer: valid UTF-8 holding exactly one JSON value of
// any type (Administrator Guide: "the Lambda function can return any valid JSON, including
// nested JSON"). It returns the value compacted. Size is checked by the caller.
func ParseJSON(body []byte) (json.RawMessage, error) {
	if !utf8.Valid(body) {
		return nil, &responseError{"response is not valid UTF-8"}
	}
	if !json.Valid(body) {
		return nil, &responseError{"response is not valid JSON"}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, body); err != nil {
		return nil, &responseError{"response is not valid JSON: " + errText(err)}
	}
	return json.RawMessage(buf.Bytes()), nil
}

// jsonKind names the JSON type of a decoder token.
func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// errText returns the decoder's message, which names offsets, not content.
func errText(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	}
	return "invalid JSON"
}
