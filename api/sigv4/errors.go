package sigv4

import (
	"errors"
	"net/http"
)

// Code is an AWS error code as a Connect-compatible endpoint returns it in the
// x-amzn-ErrorType header and the JSON error body (restJson1 error shape).
type Code string

// Error codes returned by Verify. They are the codes AWS JSON and restJson1 services
// answer for the same faults, so stock SDKs classify them correctly (for example the
// SDKs' clock-skew correction reacts to InvalidSignatureException with "Signature
// expired").
const (
	// CodeMissingAuthenticationToken: the request carries no SigV4 authentication at all.
	CodeMissingAuthenticationToken Code = "MissingAuthenticationTokenException"
	// CodeIncompleteSignature: the Authorization header is malformed or lacks a part
	// SigV4 requires (a component, the host or x-amz-date signed header).
	CodeIncompleteSignature Code = "IncompleteSignatureException"
	// CodeInvalidSignature: the signature is well formed but wrong, out of its time
	// window, scoped to another region/service, or the payload hash does not match.
	CodeInvalidSignature Code = "InvalidSignatureException"
	// CodeUnrecognizedClient: the access key ID is unknown or inactive, or the
	// request carries a session token this API does not issue.
	CodeUnrecognizedClient Code = "UnrecognizedClientException"
	// CodeAccessDenied: the key is known but may not call this API (as returned by
	// the CredentialSource with ErrAccessDenied), or the request uses an
	// authentication mode this API refuses (pre-signed query-string authentication).
	CodeAccessDenied Code = "AccessDeniedException"
	// CodeRequestEntityTooLarge: the body exceeds Config.MaxBodyBytes and was not hashed.
	CodeRequestEntityTooLarge Code = "RequestEntityTooLargeException"
)

// Error is the error Verify returns for every request it refuses. Code and Message are
// safe to return to the client as they are: Message never contains the secret, the
// derived key or the expected signature, and quotes client input only when it is a
// short, validated token (a date, a region). Status is the HTTP status to answer with.
type Error struct {
	// Code is the AWS error code (x-amzn-ErrorType).
	Code Code
	// Message is the client-safe explanation ({"Message": ...} in the body).
	Message string
	// Status is the HTTP status code: 403 for every authentication failure, 413 for
	// a body over the hashing limit.
	Status int
	// err is an internal cause for logs (never a secret); nil for most errors.
	err error
}

// Error implements error as "code: message".
func (e *Error) Error() string {
	if e.err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the internal cause, if any (for example an error from the
// CredentialSource that carried ErrUnknownAccessKey).
func (e *Error) Unwrap() error { return e.err }

func newError(code Code, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: http.StatusForbidden}
}

// Messages shared by several checks. The texts follow what AWS services answer.
const (
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalidToken = "The security token included in the request is invalid."
)

// Sentinel errors a CredentialSource returns (wrapped or not) to tell Verify why a key
// was refused. Any other error from a CredentialSource is returned by Verify wrapped,
// not as an *Error, and should be answered as an internal error.
var (
	// ErrUnknownAccessKey means no key with this access key ID exists. Verify answers
	// UnrecognizedClientException.
	ErrUnknownAccessKey = errors.New("unknown access key")
	// ErrInactiveAccessKey means the key exists but is revoked or deactivated. Verify
	// answers UnrecognizedClientException, exactly as for an unknown key.
	ErrInactiveAccessKey = errors.New("inactive access key")
	// ErrAccessDenied means the key is valid but its principal may not use this API
	// (for example a disabled user). Verify answers AccessDeniedException.
	ErrAccessDenied = errors.New("access denied")
)
