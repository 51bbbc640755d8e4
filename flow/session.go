package flow

import (
	"encoding/json"
	"fmt"
)

// SessionVersion is the version of the Session JSON layout written by this package.
const SessionVersion = 1

// Session is the state of one contact's flow execution. It is plain data: it marshals to
// JSON (MarshalJSON is the default encoding) and a Session read back from JSON resumes
// exactly where it stopped, so a waiting contact survives a process restart.
//
// Session holds $.External values and the stored-input ciphertext, which must not reach
// contact records or search; callers store sessions encrypted at rest. Plaintext secure
// input never enters a Session.
type Session struct {
	Version int `json:"v"`
	// Contact holds the system attributes ($.ContactId, $.Channel, endpoints, ...).
	Contact Contact `json:"contact"`
	// Attributes are the user-defined contact attributes ($.Attributes.*).
	Attributes map[string]string `json:"attributes,omitempty"`
	// External holds the last external function result ($.External.*); JSON results are
	// flattened with dotted keys ("Name.First"). Sensitive.
	External map[string]string `json:"external,omitempty"`
	// StoredCustomerInput is $.StoredCustomerInput: the ciphertext (base64) when the
	// input was encrypted, the digits otherwise, or "Timeout". Sensitive.
	StoredCustomerInput string `json:"storedInput,omitempty"`
	// Data holds namespaces filled by actions and adapters: "Metrics", "Lex", "Customer",
	// "Case", "Views", "Wisdom", "Task", "VoiceId", "Queue", "Agent", "Media" ... keyed by
	// the path after the namespace (e.g. Data["Lex"]["Slots.date"]).
	Data map[string]map[string]string `json:"data,omitempty"`
	// Stack is the flow call stack; the last frame runs. InvokeFlowModule pushes a frame,
	// EndFlowModuleExecution pops it, TransferToFlow replaces it.
	Stack []Frame `json:"stack"`
	// Logging is the flow-logging state set by UpdateFlowLoggingBehavior.
	Logging bool `json:"logging,omitempty"`
	// Behaviour holds the contact settings actions change (queue, voice, recording, ...).
	Behaviour Behaviour `json:"behaviour"`
	// Wait is the pending wait, nil when the session is not waiting.
	Wait *Wait `json:"wait,omitempty"`
	// Outcome is set once the flow has ended.
	Outcome *Outcome `json:"outcome,omitempty"`
}

// Contact holds a contact's system attributes, read through $.ContactId, $.Channel, ...
// (connect-attrib-list). Channel is VOICE, CHAT, TASK or EMAIL.
type Contact struct {
	ContactID         string               `json:"contactId"`
	InitialContactID  string               `json:"initialContactId,omitempty"`
	PreviousContactID string               `json:"previousContactId,omitempty"`
	Channel           string               `json:"channel"`
	InstanceARN       string               `json:"instanceArn,omitempty"`
	InitiationMethod  string               `json:"initiationMethod,omitempty"`
	CustomerID        string               `json:"customerId,omitempty"`
	Name              string               `json:"name,omitempty"`
	Description       string               `json:"description,omitempty"`
	AwsRegion         string               `json:"awsRegion,omitempty"`
	CustomerEndpoint  Endpoint             `json:"customerEndpoint"`
	SystemEndpoint    Endpoint             `json:"systemEndpoint"`
	References        map[string]Reference `json:"references,omitempty"`
}

// Endpoint is a contact endpoint: Type TELEPHONE_NUMBER (Address in E.164), VOIP, ...
type Endpoint struct {
	Address string `json:"Address,omitempty"`
	Type    string `json:"Type,omitempty"`
}

// Reference is a task reference ($.References.<name>.Value / .Type); Type is URL,
// ATTACHMENT, NUMBER, STRING, DATE or EMAIL (StartTaskContact API).
type Reference struct {
	Value string `json:"Value"`
	Type  string `json:"Type"`
}

// Frame is one flow on the call stack.
type Frame struct {
	// FlowID is the flow's ID (or ARN, as the flow was referenced).
	FlowID   string `json:"flowId"`
	FlowName string `json:"flowName,omitempty"`
	// Module is true for a flow module invoked by InvokeFlowModule.
	Module bool `json:"module,omitempty"`
	// Action is the Identifier of the action running or about to run.
	Action string `json:"action"`
	// FlowAttributes are $.FlowAttributes.*: scoped to this flow, not carried on transfer.
	FlowAttributes map[string]string `json:"flowAttributes,omitempty"`
	// Loops counts Loop iterations per Loop action Identifier.
	Loops map[string]int `json:"loops,omitempty"`
}

// Behaviour is the contact configuration set by flow actions.
type Behaviour struct {
	// TargetQueue is the working queue ID or ARN (UpdateContactTargetQueue), TargetAgent
	// the agent for an agent queue.
	TargetQueue string `json:"targetQueue,omitempty"`
	TargetAgent string `json:"targetAgent,omitempty"`
	// LanguageCode (e.g. "en-US") and the text-to-speech voice.
	LanguageCode string `json:"languageCode,omitempty"`
	Voice        string `json:"voice,omitempty"`
	VoiceEngine  string `json:"voiceEngine,omitempty"`
	VoiceStyle   string `json:"voiceStyle,omitempty"`
	// RecordedParticipants lists "Agent"/"Customer" whose audio is recorded; IVRRecording
	// records the IVR part; Analytics enables contact analytics, with redaction when
	// AnalyticsRedaction is set.
	RecordedParticipants       []string `json:"recorded,omitempty"`
	ScreenRecordedParticipants []string `json:"screenRecorded,omitempty"`
	IVRRecording               bool     `json:"ivrRecording,omitempty"`
	Analytics                  bool     `json:"analytics,omitempty"`
	AnalyticsRedaction         bool     `json:"analyticsRedaction,omitempty"`
	// MediaStreaming is true while customer audio is streamed.
	MediaStreaming bool `json:"mediaStreaming,omitempty"`
	// EventHooks maps an event (CustomerQueue, CustomerHold, AgentWhisper,
	// CustomerRemaining, ...) to the flow ID or ARN to run.
	EventHooks map[string]string `json:"eventHooks,omitempty"`
	// Tags are contact tags (TagContact / UnTagContact).
	Tags map[string]string `json:"tags,omitempty"`
	// QueuePriority (1 highest) and QueueTimeAdjustmentSeconds (UpdateContactRoutingBehavior).
	QueuePriority              int `json:"queuePriority,omitempty"`
	QueueTimeAdjustmentSeconds int `json:"queueTimeAdjust,omitempty"`
	// RoutingCriteria is the raw RoutingCriteria parameter (UpdateRoutingCriteria).
	RoutingCriteria json.RawMessage `json:"routingCriteria,omitempty"`
	// CallbackNumber is the E.164 number for callbacks (UpdateContactCallbackNumber).
	CallbackNumber string `json:"callbackNumber,omitempty"`
	// PreviousContactParticipantState is AgentOnHold, CustomerOnHold or OffHold.
	PreviousContactParticipantState string `json:"previousParticipantState,omitempty"`
	// Settings holds other UpdateContactData values (Voice ID flags, Wisdom session, ...).
	Settings map[string]string `json:"settings,omitempty"`
}

// NewSession returns a session for contact c, ready for Engine.Start.
func NewSession(c Contact) *Session {
	return &Session{Version: SessionVersion, Contact: c, Attributes: map[string]string{}}
}

// Waiting reports whether the session waits for an Answer.
func (s *Session) Waiting() bool { return s.Wait != nil && s.Outcome == nil }

// Ended reports whether the flow has reached an outcome.
func (s *Session) Ended() bool { return s.Outcome != nil }

// Marshal encodes the session as JSON.
func (s *Session) Marshal() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal session: %w", err)
	}
	return b, nil
}

// UnmarshalSession decodes a session written by Marshal. It fails for an unknown
// Version or a session without a call stack.
func UnmarshalSession(b []byte) (*Session, error) {
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("unmarshal session: %w", err)
	}
	if s.Version != SessionVersion {
		return nil, fmt.Errorf("unmarshal session: version %d is not %d", s.Version, SessionVersion)
	}
	if s.Attributes == nil {
		s.Attributes = map[string]string{}
	}
	return &s, nil
}

func (s *Session) top() *Frame {
	if len(s.Stack) == 0 {
		return nil
	}
	return &s.Stack[len(s.Stack)-1]
}

func (s *Session) setData(ns, key, value string) {
	if s.Data == nil {
		s.Data = map[string]map[string]string{}
	}
	m := s.Data[ns]
	if m == nil {
		m = map[string]string{}
		s.Data[ns] = m
	}
	m[key] = value
}
