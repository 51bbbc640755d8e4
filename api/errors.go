package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ringfence/ringfence/api/sigv4"
	"github.com/ringfence/ringfence/apierr"
)

// toAPIError turns any error into the *apierr.Error the client sees. Errors that carry no code
// become InternalServiceException with a fixed message; their text goes to the log only.
func toAPIError(err error) *apierr.Error {
	if e := apierr.As(err); e != nil {
		return e
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &apierr.Error{Code: apierr.Code(se.Code), Message: se.Message, Extra: map[string]any{"status": se.Status}}
	}
	return apierr.New(apierr.CodeInternalService, "internal error")
}

// status returns the HTTP status for e, honouring a status carried from sigv4.
func status(e *apierr.Error) int {
	if s, ok := e.Extra["status"].(int); ok {
		return s
	}
	if e.Code == "MissingAuthenticationTokenException" {
		return http.StatusForbidden
	}
	return e.Status()
}

// writeError answers in Connect's restJson1 error shape: the x-amzn-ErrorType header names the
// exception and the body is {"Message": "..."} plus any extra members (for example "problems").
func writeError(w http.ResponseWriter, e *apierr.Error) {
	body := map[string]any{"Message": e.Message}
	for k, v := range e.Extra {
		if k != "status" {
			body[k] = v
		}
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", string(e.Code))
	w.WriteHeader(status(e))
	_, _ = w.Write(b)
}
