package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// flowCache loads published flows and modules from storage, parsed once per version.
type flowCache struct {
	st store.Store
	mu sync.Mutex
	// parsed is keyed by instance/kind/ID and holds the version it was parsed at.
	parsed map[string]cachedFlow
}

type cachedFlow struct {
	version int64
	ref     flow.FlowRef
}

func newFlowCache(st store.Store) *flowCache {
	return &flowCache{st: st, parsed: map[string]cachedFlow{}}
}

// source returns the FlowSource of one instance.
func (fc *flowCache) source(instanceID string) flow.FlowSource {
	return instanceFlows{fc: fc, instanceID: instanceID}
}

type instanceFlows struct {
	fc         *flowCache
	instanceID string
}

// LookupFlow resolves an ID or an ARN of this instance (…/contact-flow/ID or
// …/flow-module/ID) to its published document. An ARN of another instance is not found.
func (s instanceFlows) LookupFlow(ctx context.Context, ref string) (flow.FlowRef, error) {
	kind, id := flow.KindFlow, ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, "/")
		if len(parts) != 4 || parts[1] != s.instanceID {
			return flow.FlowRef{}, fmt.Errorf("%w: %s", flow.ErrFlowNotFound, ref)
		}
		switch parts[2] {
		case "contact-flow":
		case "flow-module":
			kind = flow.KindModule
		default:
			return flow.FlowRef{}, fmt.Errorf("%w: %s", flow.ErrFlowNotFound, ref)
		}
		id = parts[3]
	}
	ref0, err := s.fc.load(ctx, s.instanceID, kind, id)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) && !strings.HasPrefix(ref, "arn:") {
		ref0, err = s.fc.load(ctx, s.instanceID, flow.KindModule, id)
	}
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return flow.FlowRef{}, fmt.Errorf("%w: %s", flow.ErrFlowNotFound, ref)
	}
	return ref0, err
}

func (fc *flowCache) load(ctx context.Context, instanceID string, kind flow.RecordKind, id string) (flow.FlowRef, error) {
	var rec flow.Record
	err := fc.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		rec, err = tx.GetFlowRecord(ctx, instanceID, kind, id)
		return err
	})
	if err != nil {
		return flow.FlowRef{}, err
	}
	if rec.Content == "" || rec.State != "ACTIVE" {
		return flow.FlowRef{}, apierr.NotFound(kind.Noun(), id)
	}
	key := instanceID + "/" + string(kind) + "/" + id
	fc.mu.Lock()
	c, ok := fc.parsed[key]
	fc.mu.Unlock()
	if ok && c.version == rec.Version {
		return c.ref, nil
	}
	f, _, err := flow.Load([]byte(rec.Content), flow.DefaultLimits())
	if err != nil {
		return flow.FlowRef{}, fmt.Errorf("load %s %s: %w", kind.Noun(), id, err)
	}
	ref := flow.FlowRef{ID: rec.ID, Name: rec.Name, Module: kind == flow.KindModule, Flow: f}
	fc.mu.Lock()
	fc.parsed[key] = cachedFlow{version: rec.Version, ref: ref}
	fc.mu.Unlock()
	return ref, nil
}

// host implements flow.Host for one contact.
type host struct {
	m          *Manager
	instanceID string
	contactID  string
}

func (h host) HoursOpen(ctx context.Context, hoursID, queueID string, at time.Time) (bool, error) {
	var open bool
	var err error
	derr := h.m.withRouter(ctx, h.instanceID, func(r *routing.Router) {
		if hoursID != "" {
			open, err = r.IsOpen(lastSegment(hoursID), at)
			return
		}
		open, err = r.QueueOpen(lastSegment(queueID), at)
	})
	if derr != nil {
		return false, derr
	}
	return open, err
}

func (h host) QueueMetrics(ctx context.Context, queueID, agentID, channel string) (flow.QueueMetrics, error) {
	var qm routing.QueueMetrics
	var err error
	derr := h.m.withRouter(ctx, h.instanceID, func(r *routing.Router) {
		h.m.routerEvents(h.instanceID, r.Tick(h.m.cfg.Clock())) // ages at the current time
		qm, err = r.QueueMetrics(lastSegment(queueID), routing.Channel(channel))
	})
	if derr != nil {
		return flow.QueueMetrics{}, derr
	}
	if err != nil {
		return flow.QueueMetrics{}, err
	}
	return flow.QueueMetrics{
		QueueARN: queueID, ContactsInQueue: qm.ContactsInQueue, OldestContactAgeSeconds: int(qm.OldestContactAge / time.Second),
		AgentsOnline: qm.AgentsOnline, AgentsAvailable: qm.AgentsAvailable, AgentsStaffed: qm.AgentsStaffed,
		AgentsAfterContactWork: qm.AgentsAfterContactWork, AgentsBusy: qm.AgentsOnContact, AgentsMissed: qm.AgentsMissed,
		AgentsNonProductive: qm.AgentsNonProductive,
	}, nil
}

func (h host) CreateTask(ctx context.Context, t flow.TaskRequest) (string, error) {
	refs := map[string]contact.Reference{}
	for k, r := range t.References {
		refs[k] = contact.Reference{Type: r.Type, Value: r.Value}
	}
	c := contact.Contact{
		InstanceID: h.instanceID, ID: uuid.NewString(), Channel: contact.ChannelTask, InitiationMethod: contact.InitiationFlow,
		RelatedContactID: t.SourceContactID, Name: t.Name, Description: t.Description, References: refs,
		Attributes: t.Attributes, FlowID: lastSegment(t.ContactFlowID),
	}
	if t.DelaySeconds > 0 {
		c.ScheduledTimestamp = h.m.now().Add(time.Duration(t.DelaySeconds) * time.Second)
	}
	if err := h.m.StartContact(ctx, hostEvent("CreateTask", h.instanceID, c.ID), c); err != nil {
		return "", err
	}
	return c.ID, nil
}

func (h host) CreateCallback(context.Context, flow.CallbackRequest) (string, error) {
	return "", errors.New("callbacks need the voice channel, which this node does not run")
}

// lastSegment reduces an ARN to its last path segment (the resource ID); an ID stays as is.
func lastSegment(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// engine returns the flow engine for a contact; p marks the instance's sensitive attributes
// for flow logs.
func (m *Manager) engine(instanceID, contactID string, p contact.Protection) *flow.Engine {
	var enc flow.InputEncryptor
	if m.cfg.Encryptors != nil {
		enc = m.cfg.Encryptors(instanceID, contactID)
	}
	return flow.NewEngine(flow.Config{
		Flows: m.flows.source(instanceID), Host: host{m: m, instanceID: instanceID, contactID: contactID},
		Encryptor: enc, Clock: m.cfg.Clock, LogKey: m.cfg.LogKey, SensitiveAttribute: p.IsSensitive,
	})
}

// flowContact is the engine's view of a contact's system attributes.
func (m *Manager) flowContact(c contact.Contact) flow.Contact {
	fc := flow.Contact{
		ContactID: c.ID, InitialContactID: c.InitialContactID, PreviousContactID: c.PreviousContactID,
		Channel: string(c.Channel), InstanceARN: m.instanceARN(c.InstanceID), InitiationMethod: string(c.InitiationMethod),
		Name: c.Name, Description: c.Description, AwsRegion: m.cfg.Region,
	}
	if fc.InitialContactID == "" {
		fc.InitialContactID = c.ID
	}
	if c.CustomerEndpoint != nil {
		fc.CustomerEndpoint = flow.Endpoint{Address: c.CustomerEndpoint.Address, Type: c.CustomerEndpoint.Type}
	}
	if c.SystemEndpoint != nil {
		fc.SystemEndpoint = flow.Endpoint{Address: c.SystemEndpoint.Address, Type: c.SystemEndpoint.Type}
	}
	if len(c.References) > 0 {
		fc.References = map[string]flow.Reference{}
		for k, r := range c.References {
			fc.References[k] = flow.Reference{Type: r.Type, Value: r.Value}
		}
	}
	return fc
}

// lambdaEvent is the Connect Lambda event for a function call of the contact's flow.
func (m *Manager) lambdaEvent(c contact.Contact, s *flow.Session, call *flow.FunctionCall) extfn.Event {
	cd := extfn.ContactData{
		Attributes: s.Attributes, Channel: string(c.Channel), ContactID: c.ID, InitialContactID: s.Contact.InitialContactID,
		InitiationMethod: string(c.InitiationMethod), InstanceARN: m.instanceARN(c.InstanceID), LanguageCode: s.Behaviour.LanguageCode,
		Name: c.Name, Description: c.Description, PreviousContactID: c.PreviousContactID,
	}
	if c.CustomerEndpoint != nil {
		cd.CustomerEndpoint = &extfn.Endpoint{Address: c.CustomerEndpoint.Address, Type: c.CustomerEndpoint.Type}
	}
	if c.SystemEndpoint != nil {
		cd.SystemEndpoint = &extfn.Endpoint{Address: c.SystemEndpoint.Address, Type: c.SystemEndpoint.Type}
	}
	if q := s.Behaviour.TargetQueue; q != "" {
		cd.Queue = &extfn.Queue{ARN: q}
	}
	for k, r := range c.References {
		if cd.References == nil {
			cd.References = map[string]extfn.Reference{}
		}
		cd.References[k] = extfn.Reference{Type: r.Type, Value: r.Value}
	}
	return extfn.Event{Name: extfn.EventName, Details: extfn.Details{ContactData: cd, Parameters: call.Parameters}}
}

// callFunction invokes the external function a flow waits for and returns the answer that
// resumes it. Any failure is the action's error branch; its kind (and, for a function the
// instance has not associated or configured, the reason) goes to the flow log as the
// action's Results, the full error to the node's log.
func (m *Manager) callFunction(ctx context.Context, c contact.Contact, s *flow.Session, call *flow.FunctionCall) flow.Answer {
	if m.cfg.Functions == nil {
		return flow.Answer{ErrorType: flow.ErrNoMatchingError, Note: "external functions are not configured on this node"}
	}
	mode := extfn.ResponseMode("STRING_MAP")
	if call.ResponseType == "JSON" {
		mode = extfn.ResponseMode("JSON")
	}
	timeout := time.Duration(call.TimeoutSeconds) * time.Second
	if timeout <= 0 || timeout > extfn.MaxTimeout {
		timeout = extfn.MaxTimeout
	}
	res, err := m.cfg.Functions.Invoke(ctx, c.InstanceID, call.ARN, m.lambdaEvent(c, s, call), timeout, mode)
	if err != nil {
		m.log.Warn("lifecycle: external function failed", "instance_id", c.InstanceID, "contact_id", c.ID, "function", call.ARN, "error", err.Error())
		return flow.Answer{ErrorType: flow.ErrNoMatchingError, Note: functionFailureNote(err)}
	}
	if call.Async {
		return flow.Answer{External: map[string]string{}}
	}
	if res.JSON != nil {
		return flow.Answer{ExternalJSON: json.RawMessage(res.JSON)}
	}
	return flow.Answer{External: res.Values}
}

// functionFailureNote is the flow-log note of a failed call: the failure kind, the HTTP status
// of a non-2xx answer, and the reason of a function the instance cannot call. It never holds
// response or event content.
func functionFailureNote(err error) string {
	var fe *extfn.Error
	if !errors.As(err, &fe) {
		return "function call failed"
	}
	note := string(fe.Kind)
	switch {
	case fe.Kind == extfn.KindStatus:
		note += ": " + strconv.Itoa(fe.Status)
	case fe.Kind == extfn.KindNotFound && fe.Detail != "":
		note += ": " + fe.Detail
	case fe.Rule != "":
		note += ": " + string(fe.Rule)
	}
	return note
}

// step is the outcome of running a contact's flow until it waits for something outside the
// node or ends.
type step struct {
	session  *flow.Session
	messages []flow.Message
	logs     []flow.LogEntry
	// queued is set when the contact was put in a queue during the run.
	queued *queuedAt
	// timer is the wait to arm after the commit, if any.
	timer *flow.Wait
}

type queuedAt struct {
	queueID, agentID string
	priority         int
	at               time.Time
}

// runFlow starts or resumes the contact's flow (ans nil means start) and carries it through
// every wait the node answers itself (external functions, queue placement, voice-only waits).
// p is the instance's data protection (sensitive attributes in flow logs).
func (m *Manager) runFlow(ctx context.Context, c contact.Contact, p contact.Protection, s *flow.Session, ans *flow.Answer) (*step, error) {
	return m.runFlowFrom(ctx, c, p, s, c.FlowID, ans)
}

// runFlowFrom is runFlow starting flowRef (an ID or ARN) when ans is nil.
func (m *Manager) runFlowFrom(ctx context.Context, c contact.Contact, p contact.Protection, s *flow.Session, flowRef string, ans *flow.Answer) (*step, error) {
	eng := m.engine(c.InstanceID, c.ID, p)
	var (
		res *flow.Result
		err error
	)
	if ans == nil {
		res, err = eng.Start(ctx, s, flowRef)
	} else {
		res, err = eng.Resume(ctx, s, *ans)
	}
	if err != nil {
		return nil, err
	}
	st := &step{session: s}
	for i := 0; ; i++ {
		st.messages = append(st.messages, res.Messages...)
		st.logs = append(st.logs, res.Log...)
		if res.Wait == nil || i > 100 {
			return st, nil
		}
		w := res.Wait
		var next flow.Answer
		switch w.Kind {
		case flow.WaitFunction:
			next = m.callFunction(ctx, c, s, w.Function)
		case flow.WaitQueue:
			next = m.placeInQueue(ctx, c, s, w, st)
		case flow.WaitThirdParty, flow.WaitOutboundCall:
			next = flow.Answer{ErrorType: "CallFailed"}
		case flow.WaitMessages:
			st.messages = append(st.messages, w.Messages...)
			if c.Channel != contact.ChannelVoice || w.InterruptSeconds <= 0 {
				next = flow.Answer{Event: "MessagesInterrupted"}
				break
			}
			st.timer = w
			return st, nil
		default: // input and events wait for the customer or a timer
			if w.Prompt != nil {
				prompt := *w.Prompt
				if w.Kind == flow.WaitInput && w.Input != nil && !w.Input.Sensitive {
					// A menu's choices go with its prompt, for chat clients that show buttons.
					prompt.Options = w.Input.Options
				}
				st.messages = append(st.messages, prompt)
			}
			st.timer = w
			return st, nil
		}
		if res, err = eng.Resume(ctx, s, next); err != nil {
			return nil, err
		}
	}
}

// placeInQueue puts the contact in the router for TransferContactToQueue /
// TransferContactToAgent and answers the waiting action.
func (m *Manager) placeInQueue(ctx context.Context, c contact.Contact, s *flow.Session, w *flow.Wait, st *step) flow.Answer {
	q := queuedAt{queueID: lastSegment(w.Queue), agentID: lastSegment(w.Agent), priority: s.Behaviour.QueuePriority, at: m.now()}
	if q.queueID == "" && q.agentID == "" {
		q.queueID = lastSegment(s.Behaviour.TargetQueue)
	}
	adjust := time.Duration(s.Behaviour.QueueTimeAdjustmentSeconds) * time.Second
	var err error
	if q.agentID != "" {
		// An agent who chose no status since the router was built still has an agent queue.
		if err := m.ensureAgent(ctx, c.InstanceID, q.agentID); err != nil {
			m.log.Warn("lifecycle: agent queue unavailable", "instance_id", c.InstanceID, "contact_id", c.ID, "agent_id", q.agentID, "error", err.Error())
			return flow.Answer{ErrorType: flow.ErrNoMatchingError}
		}
	}
	derr := m.withRouter(ctx, c.InstanceID, func(r *routing.Router) {
		var evs []routing.Event
		if inQueue(c) {
			// A customer queue flow moves its contact to another queue.
			if q.queueID == "" {
				err = fmt.Errorf("a customer queue flow transfers to queues only")
				return
			}
			evs, err = r.TransferToQueue(c.ID, q.queueID)
		} else {
			evs, err = r.Enqueue(routing.EnqueueRequest{ContactID: c.ID, Channel: routing.Channel(c.Channel), QueueID: q.queueID,
				AgentID: q.agentID, Priority: q.priority, EnqueuedAt: q.at.Add(-adjust)})
		}
		m.routerEvents(c.InstanceID, evs)
	})
	if derr != nil {
		err = derr
	}
	if routing.IsAtCapacity(err) {
		return flow.Answer{ErrorType: "QueueAtCapacity"}
	}
	if err != nil {
		m.log.Warn("lifecycle: enqueue failed", "instance_id", c.InstanceID, "contact_id", c.ID, "queue_id", q.queueID, "error", err.Error())
		return flow.Answer{ErrorType: flow.ErrNoMatchingError}
	}
	st.queued = &q
	return flow.Answer{}
}

// answerFor turns customer text into the answer of the session's wait, or ok=false when the
// session does not wait for input.
func answerFor(s *flow.Session, text string) (flow.Answer, bool) {
	if s == nil || !s.Waiting() || s.Wait.Kind != flow.WaitInput {
		return flow.Answer{}, false
	}
	return flow.Answer{Input: secret.New(text)}, true
}
