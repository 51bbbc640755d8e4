// Package apierr defines Error, the one error type in Ringfence that carries a code and a
// message safe to show to the caller. Domain and store code return *Error for every failure a
// caller can act on; anything else is an internal failure, shown only as "internal error".
//
// Codes are Amazon Connect's exception names, so the API edge can answer in Connect's error
// shape (the x-amzn-ErrorType header and a JSON body {"Message": ...}); see "Common Errors" and
// each operation's "Errors" section in the Amazon Connect API reference.
package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Code is a Connect exception name.
type Code string

// The codes Ringfence returns, with the HTTP status Connect uses for each.
const (
	CodeInvalidParameter        Code = "InvalidParameterException"      // 400
	CodeInvalidRequest          Code = "InvalidRequestException"        // 400
	CodeInvalidContactFlow      Code = "InvalidContactFlowException"    // 400
	CodeResourceNotFound        Code = "ResourceNotFoundException"      // 404
	CodeDuplicateResource       Code = "DuplicateResourceException"     // 409
	CodeResourceConflict        Code = "ResourceConflictException"      // 409
	CodeResourceInUse           Code = "ResourceInUseException"         // 409
	CodeAccessDenied            Code = "AccessDeniedException"          // 403
	CodeUnrecognizedClient      Code = "UnrecognizedClientException"    // 403
	CodeInvalidSignature        Code = "InvalidSignatureException"      // 403
	CodeIncompleteSignature     Code = "IncompleteSignatureException"   // 403
	CodeThrottling              Code = "ThrottlingException"            // 429
	CodeLimitExceeded           Code = "LimitExceededException"         // 429
	CodeServiceQuotaExceeded    Code = "ServiceQuotaExceededException"  // 402
	CodeRequestEntityTooLarge   Code = "RequestEntityTooLargeException" // 413
	CodeUnknownOperation        Code = "UnknownOperationException"      // 404
	CodeNotImplemented          Code = "NotImplementedException"        // 501
	CodeInternalService         Code = "InternalServiceException"       // 500
	CodeServiceUnavailable      Code = "ServiceUnavailableException"    // 503
	CodeIdempotentParameterMiss Code = "IdempotencyException"           // 409
	// The Participant Service's own names (API 2018-09-07) for invalid input, conflicts and
	// internal failures.
	CodeValidation     Code = "ValidationException"     // 400
	CodeConflict       Code = "ConflictException"       // 409
	CodeInternalServer Code = "InternalServerException" // 500
)

var statuses = map[Code]int{
	CodeInvalidParameter:        http.StatusBadRequest,
	CodeInvalidRequest:          http.StatusBadRequest,
	CodeInvalidContactFlow:      http.StatusBadRequest,
	CodeResourceNotFound:        http.StatusNotFound,
	CodeDuplicateResource:       http.StatusConflict,
	CodeResourceConflict:        http.StatusConflict,
	CodeResourceInUse:           http.StatusConflict,
	CodeAccessDenied:            http.StatusForbidden,
	CodeUnrecognizedClient:      http.StatusForbidden,
	CodeInvalidSignature:        http.StatusForbidden,
	CodeIncompleteSignature:     http.StatusForbidden,
	CodeThrottling:              http.StatusTooManyRequests,
	CodeLimitExceeded:           http.StatusTooManyRequests,
	CodeServiceQuotaExceeded:    http.StatusPaymentRequired,
	CodeRequestEntityTooLarge:   http.StatusRequestEntityTooLarge,
	CodeUnknownOperation:        http.StatusNotFound,
	CodeNotImplemented:          http.StatusNotImplemented,
	CodeInternalService:         http.StatusInternalServerError,
	CodeServiceUnavailable:      http.StatusServiceUnavailable,
	CodeIdempotentParameterMiss: http.StatusConflict,
	CodeValidation:              http.StatusBadRequest,
	CodeConflict:                http.StatusConflict,
	CodeInternalServer:          http.StatusInternalServerError,
}

// Error is a failure with a Connect exception code and a message safe to show to the caller.
// Message never contains a secret, a customer's data or an internal detail.
type Error struct {
	Code    Code
	Message string
	// Extra holds additional members of the JSON error body (for example "problems" on
	// InvalidContactFlowException). Values must be JSON-encodable and safe to show.
	Extra map[string]any
}

// Error implements error as "Code: Message".
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Status returns the HTTP status Connect answers with for e's code (500 for an unknown code).
func (e *Error) Status() int {
	if s, ok := statuses[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// New returns an *Error with the given code and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// HasCode reports whether err's chain holds an *Error with the given code.
func HasCode(err error, code Code) bool {
	e := As(err)
	return e != nil && e.Code == code
}

// Write answers an HTTP request with e in the restJson1 error shape of Connect's services: the
// x-amzn-ErrorType header names the exception, and the body is {"Message": ...} plus e.Extra's
// members. status is the HTTP status (usually e.Status()).
func Write(w http.ResponseWriter, status int, e *Error) {
	body := make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		body[k] = v
	}
	body["Message"] = e.Message
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"Message":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", string(e.Code))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// InvalidParameter returns an InvalidParameterException with msg.
func InvalidParameter(msg string) *Error { return &Error{Code: CodeInvalidParameter, Message: msg} }

// InvalidRequest returns an InvalidRequestException with msg.
func InvalidRequest(msg string) *Error { return &Error{Code: CodeInvalidRequest, Message: msg} }

// NotFound returns a ResourceNotFoundException naming the kind of resource and its ID.
func NotFound(kind, id string) *Error {
	return &Error{Code: CodeResourceNotFound, Message: fmt.Sprintf("%s not found: %s", kind, id)}
}

// AccessDenied returns an AccessDeniedException with msg.
func AccessDenied(msg string) *Error { return &Error{Code: CodeAccessDenied, Message: msg} }
