package lifecycle

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// Target is where a transfer sends a contact (TransferContact, a quick connect, the agent
// API): a standard queue, or an agent's own queue, optionally through a flow.
type Target struct {
	// QueueID is a standard queue; AgentID a user whose agent queue takes the contact. At
	// most one is set; neither only with a FlowID (a FLOW quick connect: the flow decides).
	QueueID, AgentID string
	// FlowID, when set, is the published flow the contact runs first (Connect's queue or agent
	// transfer flow, the flow of a quick connect, TransferContact's ContactFlowId), with the
	// target as its working queue: the flow's TransferContactToQueue puts it there. Empty:
	// the contact goes to the target at once.
	FlowID string
}

func (t Target) check() error {
	if t.QueueID != "" && t.AgentID != "" {
		return apierr.InvalidParameter("a transfer goes to a queue or to an agent, not both")
	}
	if t.QueueID == "" && t.AgentID == "" && t.FlowID == "" {
		return apierr.InvalidParameter("a transfer needs a queue, an agent or a flow")
	}
	return nil
}

// Transfer moves a contact that is queued, offered or connected to target. The contact
// waits afresh in the target (a new time in queue); an agent it was connected to goes to
// after-contact work. Without a flow, the router checks the target, the contact is stored
// QUEUED in it with ev, and then the router moves it. With a flow, the contact is stored
// IN_FLOW with the flow and ev, leaves the router, and the flow runs at once with the target
// as its working queue (a flow that ends without queueing the contact disconnects it, as in
// Connect). Either way the change commits with its audit event before the router applies it
// (see agents.go): a transfer whose event cannot be made durable leaves the router as it
// was. Should the router refuse a plain transfer it accepted a moment before (the queue filled
// or was disabled in between), the stored transfer is undone with a system event
// ("contact.TransferReverted") and the router's error returned. Errors:
// InvalidRequestException for a contact in another state, the router's for the target
// (ResourceNotFoundException, ServiceQuotaExceededException when the queue is full,
// InvalidRequestException when it is disabled).
func (m *Manager) Transfer(ctx context.Context, ev *audit.Event, instanceID, contactID string, t Target) error {
	if err := t.check(); err != nil {
		return err
	}
	if t.AgentID != "" && t.FlowID == "" {
		if err := m.ensureAgent(ctx, instanceID, t.AgentID); err != nil {
			return err
		}
	}
	return m.do(ctx, instanceID, contactID, func(ctx context.Context) error {
		cur, err := m.get(ctx, instanceID, contactID)
		if err != nil {
			return err
		}
		if cur.State != contact.StateQueued && cur.State != contact.StateOffered && cur.State != contact.StateConnected {
			return apierr.New(apierr.CodeInvalidRequest, "contact %s is %s; only a queued or connected contact can be transferred", contactID, cur.State)
		}
		if t.FlowID != "" {
			return m.transferThroughFlow(ctx, ev, cur, t)
		}
		return m.transferNow(ctx, ev, instanceID, contactID, t)
	})
}

// transferNow is Transfer without a flow, on the contact's worker: the router checks the
// target, the contact is stored QUEUED in it with ev, then the router moves it.
func (m *Manager) transferNow(ctx context.Context, ev *audit.Event, instanceID, contactID string, t Target) error {
	routerDo := func(fn func(r *routing.Router) ([]routing.Event, error)) error {
		var rerr error
		if err := m.withRouter(ctx, instanceID, func(r *routing.Router) {
			var evs []routing.Event
			evs, rerr = fn(r)
			m.routerEvents(instanceID, evs)
		}); err != nil {
			return err
		}
		return rerr
	}
	if err := routerDo(func(r *routing.Router) ([]routing.Event, error) {
		return r.CheckTransfer(contactID, t.QueueID, t.AgentID)
	}); err != nil {
		return err
	}
	var prev contact.Contact
	stored, err := m.mutate(ctx, ev, instanceID, contactID, func(_ context.Context, _ store.Tx, c *contact.Contact) error {
		if c.State != contact.StateQueued && c.State != contact.StateOffered && c.State != contact.StateConnected {
			return apierr.New(apierr.CodeInvalidRequest, "contact %s is %s; only a queued or connected contact can be transferred", c.ID, c.State)
		}
		prev = *c
		if c.State == contact.StateConnected {
			c.Agent = contact.AgentInfo{}
		}
		c.State = contact.StateQueued
		c.Queue.QueueID = t.QueueID
		if t.AgentID != "" {
			c.Queue.QueueID = contact.AgentQueueID(t.AgentID)
		}
		c.Queue.EnqueueTimestamp, c.Queue.DequeueTimestamp = c.LastUpdateTimestamp, time.Time{}
		return nil
	})
	if err != nil {
		return err
	}
	rerr := routerDo(func(r *routing.Router) ([]routing.Event, error) {
		if t.AgentID != "" {
			return r.TransferToAgent(contactID, t.AgentID)
		}
		return r.TransferToQueue(contactID, t.QueueID)
	})
	if rerr != nil {
		m.revertTransfer(ctx, prev, stored)
		return rerr
	}
	return nil
}

// revertTransfer undoes a stored plain transfer that the router then refused: the contact's
// state, queue and agent are stored as they were before it (prev), which is where the router
// still has the contact. It leaves a contact that changed since the transfer was stored.
func (m *Manager) revertTransfer(ctx context.Context, prev, stored contact.Contact) {
	_, err := m.mutate(ctx, hostEvent("TransferReverted", prev.InstanceID, prev.ID), prev.InstanceID, prev.ID, func(_ context.Context, _ store.Tx, c *contact.Contact) error {
		if c.Version != stored.Version {
			return apierr.New(apierr.CodeResourceConflict, "contact %s changed after the transfer was stored", c.ID)
		}
		c.State, c.Agent, c.Queue = prev.State, prev.Agent, prev.Queue
		return nil
	})
	if err != nil {
		m.log.Error("lifecycle: revert a transfer the router refused", "instance_id", prev.InstanceID, "contact_id", prev.ID, "error", err.Error())
	}
}

// transferThroughFlow stores the contact IN_FLOW in the transfer flow with ev, takes it out of
// the router and runs the flow (on the contact's worker). The stored state comes first: if
// the node stops before the flow runs, the rebuild runs it (startFlow takes a contact IN_FLOW
// whose session has not started).
func (m *Manager) transferThroughFlow(ctx context.Context, ev *audit.Event, cur contact.Contact, t Target) error {
	c, err := m.mutate(ctx, ev, cur.InstanceID, cur.ID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
		if _, err := tx.GetFlowRecord(ctx, c.InstanceID, flow.KindFlow, t.FlowID); err != nil {
			return err
		}
		if c.State == contact.StateOffered {
			if err := c.Move(contact.StateQueued); err != nil {
				return err
			}
		}
		if c.State == contact.StateQueued && c.Queue.DequeueTimestamp.IsZero() {
			c.Queue.DequeueTimestamp = c.LastUpdateTimestamp
		}
		if c.State == contact.StateConnected {
			c.Agent = contact.AgentInfo{}
		}
		if err := c.Move(contact.StateInFlow); err != nil {
			return err
		}
		c.FlowID = t.FlowID
		return m.putPendingSession(ctx, tx, *c, t)
	})
	if err != nil {
		return err
	}
	// The contact leaves the router: a waiting or offered one leaves its queue (an offer is
	// withdrawn), a connected one frees its agent into after-contact work.
	_ = m.withRouter(ctx, c.InstanceID, func(r *routing.Router) {
		v, err := r.Contact(c.ID)
		if err != nil {
			return
		}
		var evs []routing.Event
		if v.State == routing.ContactConnected {
			evs, _ = r.EndContact(c.ID)
		} else {
			evs, _ = r.RemoveContact(c.ID, "transfer")
		}
		m.routerEvents(c.InstanceID, evs)
	})
	m.startFlow(ctx, c.InstanceID, c.ID)
	return nil
}

// putPendingSession stores the session a contact's flow will start with: not started, with
// the target as its working queue.
func (m *Manager) putPendingSession(ctx context.Context, tx store.Tx, c contact.Contact, t Target) error {
	s := flow.NewSession(m.flowContact(c))
	arn := m.instanceARN(c.InstanceID)
	if t.QueueID != "" {
		s.Behaviour.TargetQueue = arn + "/queue/" + t.QueueID
	}
	if t.AgentID != "" {
		s.Behaviour.TargetAgent = arn + "/agent/" + t.AgentID
	}
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	return tx.PutFlowSession(ctx, c.InstanceID, c.ID, b)
}

// loadStart reads a contact whose flow is to start, and the session it starts with: a new
// one, or the stored session a transfer or a quick connect prepared (not started, with its
// working queue set). ok is false when the contact is not waiting to start a flow.
func (m *Manager) loadStart(ctx context.Context, instanceID, contactID string) (contact.Contact, *flow.Session, contact.Protection, bool) {
	var (
		c contact.Contact
		p contact.Protection
	)
	var raw []byte
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if c, err = tx.GetContact(ctx, instanceID, contactID); err != nil {
			return err
		}
		if p, err = m.protection(ctx, tx, instanceID); err != nil {
			return err
		}
		raw, err = tx.GetFlowSession(ctx, instanceID, contactID)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return c, nil, p, false
	}
	var pending *flow.Session
	if raw != nil {
		if ps, err := flow.UnmarshalSession(raw); err == nil && len(ps.Stack) == 0 && ps.Outcome == nil {
			pending = ps
		}
	}
	switch {
	case c.State == contact.StateInitiated || c.State == contact.StateScheduled:
	case c.State == contact.StateInFlow && pending != nil:
	default:
		return c, nil, p, false
	}
	s := flow.NewSession(m.flowContact(c))
	if pending != nil {
		s.Behaviour = pending.Behaviour
	}
	for k, v := range c.Attributes {
		s.Attributes[k] = v
	}
	return c, s, p, true
}
