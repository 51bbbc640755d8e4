package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ringfence/ringfence/apierr"
)

// maxJSONDepth bounds the nesting of a request body; Connect's shapes nest far less.
const maxJSONDepth = 32

// decodeBody reads a restJson1 request body into v. An empty body decodes as {}. The body must
// be one JSON object no deeper than maxJSONDepth, within the server's size limit (enforced by
// the caller with http.MaxBytesReader). Unknown members are ignored, as AWS services do, so
// newer clients keep working. Errors are SerializationException-style InvalidRequestException.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(apierr.CodeRequestEntityTooLarge, "request body exceeds %d bytes", mbe.Limit)
		}
		return apierr.InvalidRequest("could not read the request body")
	}
	return decodeJSON(b, v)
}

// decodeJSON decodes one JSON object from b into v (see decodeBody).
func decodeJSON(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] != '{' {
		return apierr.InvalidRequest("request body must be a JSON object")
	}
	if err := checkDepth(b, maxJSONDepth); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apierr.InvalidRequest(fmt.Sprintf("request body member %s has the wrong type: want %s", te.Field, te.Type))
		}
		return apierr.InvalidRequest("request body is not valid JSON")
	}
	if dec.More() {
		return apierr.InvalidRequest("request body must hold exactly one JSON object")
	}
	return nil
}

// checkDepth refuses JSON nested deeper than max, scanning bytes without decoding.
func checkDepth(b []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return apierr.InvalidRequest(fmt.Sprintf("request body nests deeper than %d levels", max))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, apierr.New(apierr.CodeInternalService, "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
