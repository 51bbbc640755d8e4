// Package extfn runs the external functions that a contact flow's InvokeLambdaFunction action
// calls.
//
// Per instance, a Registry maps a function ARN either to an HTTPS endpoint, called through the
// guarded egress client with an HMAC-SHA256 signed request, or to a built-in Go function. The
// Invoker sends the Amazon Connect Lambda event (Event, "Name": "ContactFlowEvent") and checks
// the answer the way Amazon Connect does for ResponseValidation STRING_MAP (a flat object of
// strings) or JSON (any JSON document), at most 32 KB. Every failure is an *Error whose Kind
// says what went wrong; the flow engine takes the action's error branch (NoMatchingError) for
// all of them and puts Result values under $.External on success.
//
// Sources: Amazon Connect Administrator Guide, "Grant Amazon Connect access to your AWS Lambda
// functions" (connect-lambda-functions.html) and "Invoke AWS Lambda function" block
// (invoke-lambda-function-block.html); Amazon Connect API Reference, flow language action
// "InvokeLambdaFunction"; summarised in the project's reference/LAMBDA_EVENT.md.
//
// Request signing (endpoints only): each POST carries
//
//	X-Ringfence-Timestamp: 1764000000
//	X-Ringfence-Signature: v1=5f1c...e9 (lower-case hex HMAC-SHA256)
//
// where the HMAC key is the function's signing secret and the message is the timestamp, a
// full stop, and the exact request body bytes. Receivers check it with VerifyRequest.
package extfn
