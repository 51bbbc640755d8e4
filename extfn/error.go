package extfn

import (
	"strconv"

	"github.com/ringfence/ringfence/egress"
)

// Kind classifies an invocation failure. Values are stable codes, safe to log and to show in
// flow logs. The flow engine takes the InvokeLambdaFunction error branch for every Kind except
// KindInvalid and KindNotFound, which it may also report as flow definition problems.
type Kind string

const (
	// KindInvalid: the call itself is wrong (timeout outside 1-8 s, unknown response mode,
	// request too large).
	KindInvalid Kind = "invalid_call"
	// KindNotFound: no function with that ARN in the instance's registry.
	KindNotFound Kind = "not_found"
	// KindTimeout: the function did not answer within the timeout.
	KindTimeout Kind = "timeout"
	// KindRefused: the egress client refused the endpoint or a redirect (Error.Rule says why).
	KindRefused Kind = "refused"
	// KindTransport: DNS, connection or TLS failure.
	KindTransport Kind = "transport"
	// KindStatus: the endpoint answered with a non-2xx status (Error.Status).
	KindStatus Kind = "status"
	// KindBadResponse: the answer is not valid JSON, or not a flat string map in STRING_MAP mode.
	KindBadResponse Kind = "bad_response"
	// KindTooLarge: the answer is 32 KB or larger.
	KindTooLarge Kind = "too_large"
	// KindFunction: a built-in function returned an error or panicked.
	KindFunction Kind = "function_error"
	// KindCanceled: the caller cancelled the context (for example, the contact disconnected).
	KindCanceled Kind = "canceled"
)

// Error is the only error type Invoker.Invoke returns. Detail never holds response content,
// event content or secrets.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// ARN is the function invoked.
	ARN string
	// Status is the HTTP status for KindStatus, else 0.
	Status int
	// Rule is the egress rule for KindRefused, KindTimeout and KindTooLarge when egress
	// enforced it, else "".
	Rule egress.Rule
	// Detail is a short lower-case explanation.
	Detail string
	// Err is the underlying error, if any.
	Err error
}

// Error formats as `invoke function "arn": timeout: detail: cause`.
func (e *Error) Error() string {
	s := "invoke function " + strconv.Quote(e.ARN) + ": " + string(e.Kind)
	if e.Status != 0 {
		s += ": status " + strconv.Itoa(e.Status)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
