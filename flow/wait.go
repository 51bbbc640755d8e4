package flow

import (
	"encoding/json"

	"github.com/ringfence/ringfence/secret"
)

// WaitKind says what a waiting flow needs before it can go on.
type WaitKind string

// Wait kinds.
const (
	// WaitInput: customer input (DTMF or text); answer with Answer.Input or Timeout.
	WaitInput WaitKind = "input"
	// WaitFunction: an external function call; answer with External/ExternalJSON or ErrorType.
	WaitFunction WaitKind = "function"
	// WaitQueue: put the contact in Wait.Queue; answer with ErrorType "QueueAtCapacity"
	// on failure, or an empty Answer once queued.
	WaitQueue WaitKind = "queue"
	// WaitThirdParty: dial Wait.ThirdParty; answer empty when the call ended normally or
	// with ErrorType ConnectionTimeLimitExceeded / CallFailed.
	WaitThirdParty WaitKind = "third_party"
	// WaitEvent: the Wait action; answer with Event (e.g. "CustomerReturned") or Timeout.
	WaitEvent WaitKind = "event"
	// WaitMessages: play Wait.Messages in a loop (MessageParticipantIteratively); answer
	// with Event "MessagesInterrupted" after InterruptSeconds, or ErrorType.
	WaitMessages WaitKind = "messages"
	// WaitOutboundCall: dial the outbound destination (CompleteOutboundCall).
	WaitOutboundCall WaitKind = "outbound_call"
)

// Wait describes what a flow waits for. It is plain data stored in the Session.
type Wait struct {
	Kind WaitKind `json:"kind"`
	// FlowID and Action identify the waiting action.
	FlowID string `json:"flowId"`
	Action string `json:"action"`
	// Prompt is played or sent before an input wait.
	Prompt *Message `json:"prompt,omitempty"`
	// TimeoutSeconds bounds the wait (input: until the first digit; function: at most 8;
	// event: at most 604800; third party: connection time limit).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// Input details (WaitInput).
	Input *InputSpec `json:"input,omitempty"`
	// Function details (WaitFunction).
	Function *FunctionCall `json:"function,omitempty"`
	// Queue is the queue ID/ARN and Agent the agent for WaitQueue.
	Queue string `json:"queue,omitempty"`
	Agent string `json:"agent,omitempty"`
	// ThirdParty details (WaitThirdParty, WaitOutboundCall).
	ThirdParty *ThirdParty `json:"thirdParty,omitempty"`
	// Events the Wait action ends on (WaitEvent).
	Events []string `json:"events,omitempty"`
	// Messages to loop (WaitMessages) and the interrupt period in seconds.
	Messages         []Message `json:"messages,omitempty"`
	InterruptSeconds int       `json:"interruptSeconds,omitempty"`
}

// InputSpec describes expected customer input.
type InputSpec struct {
	// Sensitive is true when the input is stored (StoreInput "True"): the caller must
	// treat it as secret (no logs, no transcripts, no echo to agents).
	Sensitive bool `json:"sensitive,omitempty"`
	// Encrypted is true when the input will be encrypted (InputEncryption).
	Encrypted bool `json:"encrypted,omitempty"`
	// MaxDigits is the longest input accepted (CustomValidation.MaximumLength; 1 for menus
	// unless set).
	MaxDigits int `json:"maxDigits,omitempty"`
	// TerminationSequence ends input (≤5 of 0-9 * #), InterdigitSeconds the gap allowed.
	TerminationSequence string `json:"terminator,omitempty"`
	InterdigitSeconds   int    `json:"interdigitSeconds,omitempty"`
	DisableCancelKey    bool   `json:"disableCancelKey,omitempty"`
	// Options lists the condition operands of a menu (e.g. ["1","2"]).
	Options []string `json:"options,omitempty"`
	// PhoneNumber is "E164" or "Local" when PhoneNumberValidation applies; CountryCode
	// the ISO 3166-1 alpha-2 code for Local.
	PhoneNumber string `json:"phoneNumber,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
}

// FunctionCall is an external function invocation (InvokeLambdaFunction). The caller
// builds the Lambda event (Details.Parameters = Parameters) and calls the endpoint.
type FunctionCall struct {
	ARN string `json:"arn"`
	// Parameters are the LambdaInvocationAttributes with references resolved. They may
	// hold sensitive values; do not log them.
	Parameters map[string]string `json:"parameters,omitempty"`
	// TimeoutSeconds is InvocationTimeLimitSeconds, 1 to 8.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// ResponseType is "STRING_MAP" (default) or "JSON".
	ResponseType string `json:"responseType"`
	// Async is true for InvocationType ASYNCHRONOUS.
	Async bool `json:"async,omitempty"`
}

// ThirdParty is a number to dial. Number is E.164.
type ThirdParty struct {
	Number         string `json:"number"`
	CallerIDNumber string `json:"callerIdNumber,omitempty"`
	CallerIDName   string `json:"callerIdName,omitempty"`
	DTMFDigits     string `json:"dtmfDigits,omitempty"`
	// ContinueFlow is true when the flow goes on after the call (ContinueFlowExecution).
	ContinueFlow bool `json:"continueFlow,omitempty"`
}

// Message is one prompt or chat message. Exactly one of Text, SSML, PromptID is set.
type Message struct {
	Text     string `json:"text,omitempty"`
	SSML     string `json:"ssml,omitempty"`
	PromptID string `json:"promptId,omitempty"`
	MediaURI string `json:"mediaUri,omitempty"`
	// Options are the choices of a menu prompt (the Equals operands of GetParticipantInput
	// without StoreInput), for channels that show them as buttons. The engine leaves it
	// empty; the host sets it on the prompt it delivers (Wait.Input.Options).
	Options []string `json:"options,omitempty"`
}

// Answer resumes a waiting flow. Set only the fields relevant to the Wait's kind.
type Answer struct {
	// Input is the customer's input (WaitInput). It is revealed only to match menu
	// conditions or to hand stored input to the InputEncryptor.
	Input secret.Value[string]
	// Timeout reports that no input or event arrived in time.
	Timeout bool
	// ErrorType makes the waiting action fail with this error (e.g. "NoMatchingError",
	// "QueueAtCapacity", "CallFailed").
	ErrorType string
	// External is a STRING_MAP function response.
	External map[string]string
	// ExternalJSON is a JSON-mode function response (at most 32 KB).
	ExternalJSON json.RawMessage
	// Event is the event that ended a WaitEvent or WaitMessages.
	Event string
	// Note explains an ErrorType in the flow log's Results of the waiting action, for
	// example "not_found: function is not associated with this instance". It must hold
	// codes and identifiers only, never values a customer or a function supplied.
	Note string
}

// OutcomeKind is how a flow ended.
type OutcomeKind string

// Outcome kinds.
const (
	OutcomeDisconnected OutcomeKind = "disconnected" // DisconnectParticipant
	OutcomeEnded        OutcomeKind = "ended"        // EndFlowExecution, or a terminal action without transition
	OutcomeQueued       OutcomeKind = "queued"       // TransferContactToQueue succeeded
	OutcomeAgent        OutcomeKind = "transferred_to_agent"
	OutcomeThirdParty   OutcomeKind = "transferred_to_third_party"
	OutcomeError        OutcomeKind = "error" // unhandled error, step limit, missing flow
)

// Outcome is the terminal state of a flow.
type Outcome struct {
	Kind OutcomeKind `json:"kind"`
	// Queue is the queue for OutcomeQueued.
	Queue string `json:"queue,omitempty"`
	// FlowID and Action identify where the flow ended.
	FlowID string `json:"flowId,omitempty"`
	Action string `json:"action,omitempty"`
	// Reason explains OutcomeError and OutcomeEnded; it names identifiers only.
	Reason string `json:"reason,omitempty"`
}

// Step records one executed action: its Identifier, Type and the branch taken
// ("NextAction", "Condition:<operand>", "Error:<ErrorType>", "Wait", "End").
type Step struct {
	Identifier string `json:"identifier"`
	Type       string `json:"type"`
	Branch     string `json:"branch"`
}

// Notice is an operational note about a step, safe to log: it names identifiers and
// capabilities, never values.
type Notice struct {
	Identifier string `json:"identifier"`
	Type       string `json:"type"`
	// Code is "capability_missing", "unhandled_error" or "step_limit".
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Result is what Start and Resume return.
type Result struct {
	// Wait is set when the flow waits; Outcome when it ended.
	Wait    *Wait    `json:"wait,omitempty"`
	Outcome *Outcome `json:"outcome,omitempty"`
	// Messages are the prompts and messages to deliver, in order, before the wait.
	Messages []Message `json:"messages,omitempty"`
	// Tasks and Callbacks list the contact IDs the host created in this run.
	Created []string `json:"created,omitempty"`
	// Log holds the flow-log entries written while logging was enabled.
	Log []LogEntry `json:"log,omitempty"`
	// Steps traces every executed action.
	Steps []Step `json:"steps"`
	// Notices are operational notes (missing capabilities, unhandled errors).
	Notices []Notice `json:"notices,omitempty"`
}
