package flow

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// ErrFlowNotFound is returned (wrapped) by a FlowSource when no flow or module matches.
var ErrFlowNotFound = errors.New("flow not found")

// FlowSource finds the flows and flow modules that a run needs: the flow Start names,
// TransferToFlow targets, InvokeFlowModule targets, and on Resume the flows on the
// session's call stack. Implementations do storage I/O and must be safe for concurrent
// use.
type FlowSource interface {
	// LookupFlow returns the published flow or module whose ID or ARN is ref
	// (arn:aws:connect:region:account:instance/ID/contact-flow/FLOW-ID or
	// .../flow-module/MODULE-ID). It returns an error wrapping ErrFlowNotFound when none
	// exists; the engine then takes the action's NoMatchingError branch.
	LookupFlow(ctx context.Context, ref string) (FlowRef, error)
}

// FlowRef is a flow found by a FlowSource.
type FlowRef struct {
	// ID is the flow's ID, used in flow logs as ContactFlowId.
	ID string
	// Name is the flow's name, used in flow logs as ContactFlowName.
	Name string
	// Module is true for a flow module.
	Module bool
	// Flow is the parsed and validated document.
	Flow *Flow
}

// FlowSet is an in-memory FlowSource keyed by flow ID. A reference that is an ARN
// resolves by its last path segment.
type FlowSet map[string]FlowRef

// LookupFlow implements FlowSource.
func (fs FlowSet) LookupFlow(_ context.Context, ref string) (FlowRef, error) {
	if r, ok := fs[ref]; ok {
		return r, nil
	}
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		if r, ok := fs[ref[i+1:]]; ok {
			return r, nil
		}
	}
	return FlowRef{}, ErrFlowNotFound
}

// Host performs the effects the engine cannot decide alone. Every method may do I/O and
// is called with the run's context; an error makes the action take its error branch
// (the error text is not logged). A nil Host makes these actions take their error
// branch with a "capability not configured" log entry.
type Host interface {
	// HoursOpen reports whether the hours of operation hoursID are open at time at. When
	// hoursID is empty, the hours of queue queueID (the working queue) apply
	// (CheckHoursOfOperation).
	HoursOpen(ctx context.Context, hoursID, queueID string, at time.Time) (bool, error)
	// QueueMetrics returns the current metrics of queue queueID (or of the agent queue of
	// agentID) for channel (VOICE, CHAT, TASK) (GetMetricData, CheckMetricData).
	QueueMetrics(ctx context.Context, queueID, agentID, channel string) (QueueMetrics, error)
	// CreateTask creates a task contact and returns its contact ID (CreateTask).
	CreateTask(ctx context.Context, t TaskRequest) (string, error)
	// CreateCallback queues a callback contact and returns its contact ID
	// (CreateCallbackContact).
	CreateCallback(ctx context.Context, c CallbackRequest) (string, error)
}

// QueueMetrics is the queue state that GetMetricData loads into $.Metrics.* and
// CheckMetricData compares. Ages are in seconds.
type QueueMetrics struct {
	QueueName, QueueARN                                                                  string
	ContactsInQueue                                                                      int
	OldestContactAgeSeconds                                                              int
	AgentsOnline, AgentsAvailable                                                        int
	AgentsStaffed, AgentsAfterContactWork, AgentsBusy, AgentsMissed, AgentsNonProductive int
}

// TaskRequest is a task to create (CreateTask action; StartTaskContact API shapes).
type TaskRequest struct {
	// SourceContactID is the contact whose flow creates the task.
	SourceContactID string
	Name            string
	Description     string
	// ContactFlowID is the flow (ID or ARN) the task runs.
	ContactFlowID  string
	TaskTemplateID string
	Attributes     map[string]string
	References     map[string]Reference
	// DelaySeconds postpones the task; 0 starts it now.
	DelaySeconds int
}

// CallbackRequest is a callback to queue (CreateCallbackContact action). Delays are in
// seconds.
type CallbackRequest struct {
	SourceContactID string
	// QueueID is the queue (ID or ARN), AgentID the agent for an agent queue; both empty
	// means the working queue.
	QueueID, AgentID string
	// Number is the E.164 number to call back.
	Number                    string
	InitialCallDelaySeconds   int
	MaximumConnectionAttempts int
	RetryDelaySeconds         int
}

// InputEncryptor encrypts stored customer input for GetParticipantInput with
// StoreInput "True" and InputEncryption (Connect "Store customer input" with
// encryption; AWS Encryption SDK message format). keyID is the EncryptionKeyId and key
// the PEM certificate from the flow. It returns the base64 ciphertext, which becomes
// $.StoredCustomerInput; input is revealed only inside the implementation.
type InputEncryptor interface {
	EncryptInput(keyID string, key string, input secret.Value[string]) (string, error)
}

// Adapter runs an action Type that needs a service Ringfence does not provide itself
// (Lex bots, Voice ID, Amazon Q/Wisdom, Cases, Customer Profiles, media streaming,
// views). Without an adapter for a Type, the action takes its error branch and the log
// names the missing capability.
type Adapter interface {
	Invoke(ctx context.Context, call AdapterCall) (AdapterResult, error)
}

// AdapterCall is what an Adapter receives: the action with its parameters resolved
// (references replaced by values; sensitive values included).
type AdapterCall struct {
	Type       string
	Identifier string
	ContactID  string
	Channel    string
	Parameters map[string]any
}

// AdapterResult is an Adapter's answer.
type AdapterResult struct {
	// Result is the action's result, matched against its Conditions (e.g. a Lex intent
	// name, a Voice ID status, a view action).
	Result string
	// ErrorType, when set, selects an error branch (e.g. "NoneFoundError").
	ErrorType string
	// Values are stored under the action's namespace ($.Lex.*, $.Customer.*, $.Case.*,
	// $.Views.*, $.Wisdom.*, $.VoiceId.*, $.MediaStreams.*), keyed by the path after it.
	Values map[string]string
}
