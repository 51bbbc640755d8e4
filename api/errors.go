package api

import (
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

// writeError answers in Connect's restJson1 error shape (apierr.Write): the x-amzn-ErrorType
// header names the exception and the body is {"Message": "..."} plus any extra members (for
// example "problems"), without the status carried from sigv4.
func writeError(w http.ResponseWriter, e *apierr.Error) {
	out := e
	if _, ok := e.Extra["status"]; ok {
		c := *e
		c.Extra = make(map[string]any, len(e.Extra))
		for k, v := range e.Extra {
			if k != "status" {
				c.Extra[k] = v
			}
		}
		out = &c
	}
	apierr.Write(w, status(e), out)
}
