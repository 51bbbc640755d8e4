package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Prepare fills the fields a new contact gets from the lifecycle (ID when empty, state,
// timestamps) and checks the rest. Call it before Create, or let StartContact do both.
func (m *Manager) Prepare(c *contact.Contact) error {
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	now := m.now()
	c.InitiationTimestamp, c.LastUpdateTimestamp = now, now
	c.State = contact.StateInitiated
	if !c.ScheduledTimestamp.IsZero() {
		if c.ScheduledTimestamp.Before(now) {
			c.ScheduledTimestamp = time.Time{}
		} else if c.ScheduledTimestamp.After(now.Add(contact.MaxScheduleAhead)) {
			return apierr.InvalidParameter("ScheduledTime must be at most 6 days ahead")
		} else {
			c.State = contact.StateScheduled
		}
	}
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	if c.Queue.Priority == 0 {
		c.Queue.Priority = routing.DefaultContactPriority
	}
	if c.FlowID == "" {
		return apierr.InvalidParameter("a contact needs a flow to start in")
	}
	return contact.ValidateAttributes(c.Attributes)
}

// StartContact stores a new contact with ev (its audit event) and starts its flow, at once
// or at its ScheduledTimestamp. The flow runs after StartContact returns; the contact is
// durable when it returns.
func (m *Manager) StartContact(ctx context.Context, ev *audit.Event, c contact.Contact) error {
	if err := m.Prepare(&c); err != nil {
		return err
	}
	err := m.st.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return m.Create(ctx, tx, c) })
	if err != nil {
		return err
	}
	m.Started(c)
	return nil
}

// Create stores a prepared contact inside the caller's transaction (so a channel can commit
// its own rows, e.g. chat participants, with the contact), its free text and attribute
// values redacted per the instance's data protection. Call Started after the commit.
func (m *Manager) Create(ctx context.Context, tx store.Tx, c contact.Contact) error {
	return m.CreateFor(ctx, tx, c, Target{})
}

// CreateFor is Create for a contact whose flow starts with a working queue already set: a
// task started with a quick connect (StartTaskContact QuickConnectId) runs the quick
// connect's flow with the quick connect's queue or agent as its working queue, so the flow's
// TransferContactToQueue puts it there. A zero target is Create; target.FlowID is ignored
// (the contact's FlowID is the flow).
func (m *Manager) CreateFor(ctx context.Context, tx store.Tx, c contact.Contact, target Target) error {
	if _, err := tx.GetFlowRecordState(ctx, c.InstanceID, flow.KindFlow, c.FlowID); err != nil {
		return err
	}
	p, err := m.protection(ctx, tx, c.InstanceID)
	if err != nil {
		return err
	}
	c.Attributes = copyMap(c.Attributes)
	if len(c.References) > 0 {
		refs := make(map[string]contact.Reference, len(c.References))
		for k, r := range c.References {
			refs[k] = r
		}
		c.References = refs
	}
	p.Sanitize(&c)
	if err := tx.CreateContact(ctx, c); err != nil {
		return err
	}
	// A new contact has no index entries to replace: index only what there is.
	if attrs := p.Searchable(c.Attributes); len(attrs) > 0 {
		if err := tx.IndexAttributes(ctx, c.InstanceID, c.ID, attrs); err != nil {
			return err
		}
	}
	if target.QueueID == "" && target.AgentID == "" {
		return nil
	}
	return m.putPendingSession(ctx, tx, c, target)
}

// Started runs a committed new contact's flow: now, or at its scheduled time.
func (m *Manager) Started(c contact.Contact) {
	if c.State == contact.StateScheduled {
		m.armAt(c.InstanceID, c.ID, c.ScheduledTimestamp, func(ctx context.Context) { m.startFlow(ctx, c.InstanceID, c.ID) })
		return
	}
	m.enqueueJob(c.InstanceID, c.ID, func(ctx context.Context) { m.startFlow(ctx, c.InstanceID, c.ID) })
}

// startFlow runs a contact's flow from its start (on the contact's worker): a new contact's,
// or the transfer flow of a contact transferred through a flow.
func (m *Manager) startFlow(ctx context.Context, instanceID, contactID string) {
	c, s, p, ok := m.loadStart(ctx, instanceID, contactID)
	if !ok {
		return
	}
	before := copyMap(s.Attributes)
	st, err := m.runFlow(ctx, c, p, s, nil)
	if err != nil {
		m.log.Warn("lifecycle: flow start", "instance_id", instanceID, "contact_id", contactID, "error", err.Error())
		st = &step{session: s}
		s.Outcome = &flow.Outcome{Kind: flow.OutcomeError, Reason: "flow could not start"}
	}
	m.finishStep(ctx, c, before, st)
}

// resumeFlow answers the contact's waiting flow (on the contact's worker). accept decides
// whether the answer still fits the stored wait.
func (m *Manager) resumeFlow(ctx context.Context, instanceID, contactID string, answer func(s *flow.Session) (flow.Answer, bool)) error {
	c, s, p, err := m.load(ctx, instanceID, contactID)
	if err != nil {
		return err
	}
	ans, ok := answer(s)
	if !ok {
		return notWaiting(contactID)
	}
	for k, v := range c.Attributes {
		s.Attributes[k] = v
	}
	before := copyMap(s.Attributes)
	st, err := m.runFlow(ctx, c, p, s, &ans)
	if err != nil {
		return err
	}
	m.finishStep(ctx, c, before, st)
	return nil
}

// notWaiting is the error of an answer the contact's flow does not wait for.
func notWaiting(contactID string) error {
	return apierr.New(apierr.CodeInvalidRequest, "contact %s is not waiting for that", contactID)
}

// load reads a contact, its stored flow session and its instance's data protection.
func (m *Manager) load(ctx context.Context, instanceID, contactID string) (contact.Contact, *flow.Session, contact.Protection, error) {
	var (
		c   contact.Contact
		p   contact.Protection
		raw []byte
	)
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if c, err = tx.GetContact(ctx, instanceID, contactID); err != nil {
			return err
		}
		if raw, err = tx.GetFlowSession(ctx, instanceID, contactID); err != nil {
			return err
		}
		p, err = m.protection(ctx, tx, instanceID)
		return err
	})
	if err != nil {
		return c, nil, p, err
	}
	s, err := flow.UnmarshalSession(raw)
	return c, s, p, err
}

// finishStep commits what a flow run did: the session, attributes, tags, the queue, flow
// logs, and the end of the contact when the flow ended it. Then it delivers the messages and
// arms the wait's timer.
func (m *Manager) finishStep(ctx context.Context, c0 contact.Contact, before map[string]string, st *step) {
	s := st.session
	logs := m.flowLogs(st.logs)
	// A flow that ended without putting the contact in a queue disconnects it. A customer
	// queue flow (the contact waits in a queue) disconnects it only by DisconnectParticipant.
	queueFlow := inQueue(c0)
	ended := s.Ended() && st.queued == nil
	if queueFlow {
		ended = s.Ended() && s.Outcome != nil && s.Outcome.Kind == flow.OutcomeDisconnected
	}
	stale := false
	c, err := m.mutate(ctx, hostEvent("FlowStep", c0.InstanceID, c0.ID), c0.InstanceID, c0.ID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
		if !c.State.Active() {
			return apierr.New(apierr.CodeInvalidRequest, "contact %s has ended", c.ID)
		}
		if queueFlow && !inQueue(*c) {
			// An agent took the contact while its queue flow ran: the queue flow stops.
			stale = true
			return tx.DeleteFlowSession(ctx, c.InstanceID, c.ID)
		}
		c.Attributes = applyDiff(c.Attributes, before, s.Attributes)
		if len(s.Behaviour.Tags) > 0 {
			c.Tags = copyMap(s.Behaviour.Tags)
		}
		if c.State == contact.StateInitiated || c.State == contact.StateScheduled {
			if err := c.Move(contact.StateInFlow); err != nil {
				return err
			}
		}
		if len(logs) > 0 {
			if err := tx.AppendFlowLogs(ctx, c.InstanceID, c.ID, c.LastUpdateTimestamp, logs); err != nil {
				return err
			}
		}
		if st.queued != nil {
			q := st.queued
			c.Queue.QueueID, c.Queue.EnqueueTimestamp, c.Queue.DequeueTimestamp = q.queueID, q.at, time.Time{}
			if q.agentID != "" {
				c.Queue.QueueID = contact.AgentQueueID(q.agentID)
			}
			if q.priority > 0 {
				c.Queue.Priority = q.priority
			}
			if c.State != contact.StateQueued {
				if err := c.Move(contact.StateQueued); err != nil {
					return err
				}
			}
		}
		switch {
		case ended:
			if err := tx.DeleteFlowSession(ctx, c.InstanceID, c.ID); err != nil {
				return err
			}
			return m.end(ctx, tx, c, "CONTACT_FLOW_DISCONNECT")
		case s.Ended():
			return tx.DeleteFlowSession(ctx, c.InstanceID, c.ID)
		default:
			b, err := s.Marshal()
			if err != nil {
				return err
			}
			return tx.PutFlowSession(ctx, c.InstanceID, c.ID, b)
		}
	})
	if err != nil {
		m.inputWaits.Delete(c0.ID)
		m.log.Warn("lifecycle: commit flow step", "instance_id", c0.InstanceID, "contact_id", c0.ID, "error", err.Error())
		if st.queued != nil {
			_ = m.withRouter(ctx, c0.InstanceID, func(r *routing.Router) {
				evs, _ := r.EndContact(c0.ID)
				m.routerEvents(c0.InstanceID, evs)
			})
		}
		return
	}
	if stale {
		m.inputWaits.Store(c0.ID, false) // the queue flow's session is gone
		return
	}
	// The secure-input mark is set before the prompt goes out, so the customer's answer to
	// it is always taken as secure input.
	m.markSecureWait(c.InstanceID, c.ID, st.timer)
	m.inputWaits.Store(c0.ID, !s.Ended() && s.Waiting() && s.Wait.Kind == flow.WaitInput)
	if m.cfg.Chat != nil && c.Channel == contact.ChannelChat && len(st.messages) > 0 {
		if err := m.cfg.Chat.PostFlowMessages(ctx, c.InstanceID, c.ID, st.messages); err != nil {
			m.log.Warn("lifecycle: flow messages", "instance_id", c.InstanceID, "contact_id", c.ID, "error", err.Error())
		}
	}
	if !c.State.Active() || c.State == contact.StateAfterContactWork {
		m.afterEnd(ctx, c)
		return
	}
	if st.timer != nil {
		m.armWait(c.InstanceID, c.ID, st.timer)
	}
	if !queueFlow && st.queued != nil && s.Ended() {
		// The contact flow queued the contact: the customer queue flow takes over.
		m.startQueueFlow(ctx, c, s.Behaviour.EventHooks[CustomerQueueHook])
	}
}

// storedLogEntry is a flow-log entry as stored: Connect's record plus the branch the block
// took (flow.LogEntry.Branch, value-free), which Connect's record has no member for.
type storedLogEntry struct {
	flow.LogEntry
	Branch string `json:"Branch,omitempty"`
}

// flowLogs encodes flow-log entries as JSON with card numbers, CVVs and SSNs redacted.
func (m *Manager) flowLogs(entries []flow.LogEntry) [][]byte {
	out := make([][]byte, 0, len(entries))
	for _, e := range entries {
		b, err := json.Marshal(storedLogEntry{LogEntry: e, Branch: e.Branch})
		if err != nil {
			continue
		}
		red, _ := m.redact.Redact(string(b))
		out = append(out, []byte(red))
	}
	return out
}

// end disconnects c inside tx: a contact connected to an agent goes to after-contact work,
// any other ends and gets its contact record.
func (m *Manager) end(ctx context.Context, tx store.Tx, c *contact.Contact, reason string) error {
	now := c.LastUpdateTimestamp
	if c.DisconnectTimestamp.IsZero() {
		c.DisconnectTimestamp, c.DisconnectReason = now, reason
	}
	if c.State == contact.StateConnected {
		c.Agent.AfterContactWorkStartTimestamp = now
		return c.Move(contact.StateAfterContactWork)
	}
	if (c.State == contact.StateQueued || c.State == contact.StateOffered) && c.Queue.DequeueTimestamp.IsZero() {
		c.Queue.DequeueTimestamp = now
	}
	if c.State == contact.StateAfterContactWork {
		c.Agent.AfterContactWorkEndTimestamp = now
	}
	if err := c.Move(contact.StateEnded); err != nil {
		return err
	}
	if err := tx.DeleteFlowSession(ctx, c.InstanceID, c.ID); err != nil {
		return err
	}
	return m.writeRecord(ctx, tx, *c)
}

// writeRecord appends c's contact record to the outbox: without the attributes the instance
// marks sensitive, card numbers masked whole; a chat's record references its transcript. The
// queue's name, the agent's username and the agent's routing profile are read as they are
// now; one deleted since leaves its name out (the ARN stays).
func (m *Manager) writeRecord(ctx context.Context, tx store.Tx, c contact.Contact) error {
	rc := contact.RecordContext{AccountID: m.cfg.AccountID, InstanceARN: m.instanceARN(c.InstanceID)}
	if c.Queue.QueueID != "" && !c.Queue.IsAgentQueue() {
		rc.QueueARN = rc.InstanceARN + "/queue/" + c.Queue.QueueID
		q, err := tx.GetQueue(ctx, c.InstanceID, c.Queue.QueueID)
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Errorf("contact record: queue: %w", err)
		}
		rc.QueueName = q.Name
	}
	if a := c.Agent.AgentID; a != "" {
		rc.AgentARN = rc.InstanceARN + "/agent/" + a
		u, err := tx.GetUser(ctx, c.InstanceID, a)
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Errorf("contact record: agent: %w", err)
		}
		rc.AgentUsername = u.Username
		if u.RoutingProfileID != "" {
			rp, err := tx.GetRoutingProfile(ctx, c.InstanceID, u.RoutingProfileID)
			if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return fmt.Errorf("contact record: routing profile: %w", err)
			}
			if err == nil {
				rc.RoutingProfileARN, rc.RoutingProfileName = rc.InstanceARN+"/routing-profile/"+rp.ID, rp.Name
			}
		}
	}
	if c.Channel == contact.ChannelChat {
		// The record points at the transcript (the administrators' read) and counts its
		// messages; a chat contact without a chat (it never started one) has none.
		sum, err := tx.ChatTranscriptSummary(ctx, c.InstanceID, c.ID)
		switch {
		case err == nil:
			rc.Transcript = &contact.TranscriptInfo{Location: contact.TranscriptPath(c.InstanceID, c.ID),
				AgentMessages: sum.AgentMessages, CustomerMessages: sum.CustomerMessages, SystemMessages: sum.SystemMessages,
				Start: sum.First, Stop: sum.Last}
		case !apierr.HasCode(err, apierr.CodeResourceNotFound):
			return err
		}
	}
	p, err := m.protection(ctx, tx, c.InstanceID)
	if err != nil {
		return err
	}
	body, err := contact.BuildRecord(p.ForRecord(c), rc).Marshal()
	if err != nil {
		return err
	}
	return tx.AppendContactRecord(ctx, contact.RecordEntry{InstanceID: c.InstanceID, ContactID: c.ID, LastUpdate: c.LastUpdateTimestamp.Truncate(time.Second),
		Initiated: c.InitiationTimestamp, Body: body})
}

// afterEnd runs the effects of a contact that left the customer: the router lets go of it,
// the chat ends, after-contact work gets its timer.
func (m *Manager) afterEnd(ctx context.Context, c contact.Contact) {
	m.disarm(c.ID)
	m.secureWaits.Delete(c.InstanceID + "/" + c.ID)
	m.inputWaits.Delete(c.ID)
	_ = m.withRouter(ctx, c.InstanceID, func(r *routing.Router) {
		if _, err := r.Contact(c.ID); err != nil {
			return
		}
		evs, _ := r.EndContact(c.ID)
		m.routerEvents(c.InstanceID, evs)
	})
	if m.cfg.Chat != nil && c.Channel == contact.ChannelChat {
		if err := m.cfg.Chat.EndChat(ctx, c.InstanceID, c.ID, c.DisconnectReason); err != nil {
			m.log.Warn("lifecycle: end chat", "instance_id", c.InstanceID, "contact_id", c.ID, "error", err.Error())
		}
	}
	if c.State == contact.StateAfterContactWork {
		d := m.acwTimes()[routing.Channel(c.Channel)]
		m.armAt(c.InstanceID, c.ID, c.Agent.AfterContactWorkStartTimestamp.Add(d), func(ctx context.Context) {
			_ = m.completeACW(ctx, hostEvent("AfterContactWorkTimeout", c.InstanceID, c.ID), c.InstanceID, c.Agent.AgentID, c.ID)
		})
	}
}

// CustomerInput answers a flow waiting for the customer's input (a chat message) with text.
// It returns InvalidRequestException when the contact's flow is not waiting for input; when
// the contact's worker committed a session that does not wait for input, it says so without
// reading the store.
func (m *Manager) CustomerInput(ctx context.Context, instanceID, contactID, text string) error {
	return m.do(ctx, instanceID, contactID, func(ctx context.Context) error {
		if waits, known := m.inputWaits.Load(contactID); known && !waits.(bool) {
			return notWaiting(contactID)
		}
		return m.resumeFlow(ctx, instanceID, contactID, func(s *flow.Session) (flow.Answer, bool) { return answerFor(s, text) })
	})
}

// AwaitsSecureInput reports whether the contact's flow waits for input it stores
// (GetParticipantInput with StoreInput "True", encrypted or not). The chat channel asks
// before it stores a customer message: such a message goes to the flow only, through
// SecureInput, and the transcript keeps a placeholder. The answer reflects the last
// committed flow step on this node.
func (m *Manager) AwaitsSecureInput(instanceID, contactID string) bool {
	_, ok := m.secureWaits.Load(instanceID + "/" + contactID)
	return ok
}

// SecureInput answers a flow waiting for stored input with the customer's input, which is
// revealed only to the capturing action (encrypted there when the flow says so). It returns
// InvalidRequestException when the contact's flow does not wait for stored input (the input
// is then dropped: it is never used as ordinary input).
func (m *Manager) SecureInput(ctx context.Context, instanceID, contactID string, input secret.Value[string]) error {
	return m.do(ctx, instanceID, contactID, func(ctx context.Context) error {
		return m.resumeFlow(ctx, instanceID, contactID, func(s *flow.Session) (flow.Answer, bool) {
			if s == nil || !s.Waiting() || s.Wait.Kind != flow.WaitInput || s.Wait.Input == nil || !s.Wait.Input.Sensitive {
				return flow.Answer{}, false
			}
			return flow.Answer{Input: input}, true
		})
	})
}

// Stop ends a contact (StopContact, a customer who left, an agent who hung up) with the
// contact-record DisconnectReason reason. A connected contact goes to after-contact work.
// Stopping a contact that has ended is a ResourceNotFoundException, as in Connect.
func (m *Manager) Stop(ctx context.Context, ev *audit.Event, instanceID, contactID, reason string) error {
	return m.do(ctx, instanceID, contactID, func(ctx context.Context) error {
		c, err := m.mutate(ctx, ev, instanceID, contactID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
			if !c.State.Active() || c.State == contact.StateAfterContactWork {
				return apierr.NotFound("active contact", contactID)
			}
			return m.end(ctx, tx, c, reason)
		})
		if err != nil {
			return err
		}
		m.afterEnd(ctx, c)
		return nil
	})
}

// EndByAgent ends a contact connected to agentID (the agent hung up or closed the chat):
// the contact goes to after-contact work.
func (m *Manager) EndByAgent(ctx context.Context, ev *audit.Event, instanceID, agentID, contactID string) error {
	return m.do(ctx, instanceID, contactID, func(ctx context.Context) error {
		c, err := m.mutate(ctx, ev, instanceID, contactID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
			if c.State != contact.StateConnected || c.Agent.AgentID != agentID {
				return apierr.NotFound("connected contact", contactID)
			}
			return m.end(ctx, tx, c, "AGENT_DISCONNECT")
		})
		if err != nil {
			return err
		}
		m.afterEnd(ctx, c)
		return nil
	})
}

// CompleteAfterContactWork ends agentID's after-contact work on contactID: the contact ends,
// its record is written, and the agent is routable again.
func (m *Manager) CompleteAfterContactWork(ctx context.Context, ev *audit.Event, instanceID, agentID, contactID string) error {
	return m.do(ctx, instanceID, contactID, func(ctx context.Context) error { return m.completeACW(ctx, ev, instanceID, agentID, contactID) })
}

func (m *Manager) completeACW(ctx context.Context, ev *audit.Event, instanceID, agentID, contactID string) error {
	_, err := m.mutate(ctx, ev, instanceID, contactID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
		if c.State != contact.StateAfterContactWork || c.Agent.AgentID != agentID {
			return apierr.NotFound("contact in after-contact work", contactID)
		}
		return m.end(ctx, tx, c, "")
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		// The contact went on without the agent (transferred to a queue): only the agent's
		// after-contact work in the router remains to be completed.
		var rerr error
		if derr := m.withRouter(ctx, instanceID, func(r *routing.Router) {
			var evs []routing.Event
			evs, rerr = r.CompleteAfterContactWork(agentID, contactID)
			m.routerEvents(instanceID, evs)
		}); derr != nil || rerr != nil {
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	m.disarm(contactID)
	_ = m.withRouter(ctx, instanceID, func(r *routing.Router) {
		evs, _ := r.CompleteAfterContactWork(agentID, contactID)
		m.routerEvents(instanceID, evs)
	})
	return nil
}

// UpdateAttributes merges attrs into the contact's attributes (an empty value removes the
// key), with ev as the audit event.
func (m *Manager) UpdateAttributes(ctx context.Context, ev *audit.Event, instanceID, contactID string, attrs map[string]string) error {
	_, err := m.mutate(ctx, ev, instanceID, contactID, func(_ context.Context, _ store.Tx, c *contact.Contact) error {
		merged := contact.MergeAttributes(c.Attributes, attrs)
		if err := contact.ValidateAttributes(merged); err != nil {
			return err
		}
		c.Attributes = merged
		return nil
	})
	return err
}

// Update changes a contact with fn inside one transaction with ev (UpdateContact,
// UpdateContactSchedule) and returns it as stored.
func (m *Manager) Update(ctx context.Context, ev *audit.Event, instanceID, contactID string, fn func(c *contact.Contact) error) (contact.Contact, error) {
	c, err := m.mutate(ctx, ev, instanceID, contactID, func(_ context.Context, _ store.Tx, c *contact.Contact) error { return fn(c) })
	if err == nil && c.State == contact.StateScheduled {
		m.armAt(c.InstanceID, c.ID, c.ScheduledTimestamp, func(ctx context.Context) { m.startFlow(ctx, c.InstanceID, c.ID) })
	}
	return c, err
}

// TransferToQueue moves a queued or connected contact to queue queueID at once (the agent
// API's transfer to a queue): Transfer with only a QueueID.
func (m *Manager) TransferToQueue(ctx context.Context, ev *audit.Event, instanceID, contactID, queueID string) error {
	return m.Transfer(ctx, ev, instanceID, contactID, Target{QueueID: queueID})
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// applyDiff applies to current what a flow changed between before and after.
func applyDiff(current, before, after map[string]string) map[string]string {
	out := copyMap(current)
	for k, v := range after {
		if before[k] != v {
			out[k] = v
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			delete(out, k)
		}
	}
	return out
}
