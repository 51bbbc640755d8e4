package lifecycle

import (
	"context"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/store"
)

// Customer queue flows. When a contact's flow puts it in a queue (TransferContactToQueue),
// that flow ends and the customer queue flow runs for the customer while the contact waits,
// as in Amazon Connect: the flow the contact flow named with UpdateContactEventHooks
// ("Set customer queue flow", hook CustomerQueue), else the instance's "Default customer
// queue" flow. Its messages reach the chat; it loops on its own (Wait, Loop) and stops when
// an agent is connected. Ending the queue flow (EndFlowExecution, the end of its actions, an
// error) leaves the contact waiting in its queue; DisconnectParticipant ends the contact;
// TransferContactToQueue moves the contact to another queue (and ends the queue flow). A
// contact's stored flow session while it is QUEUED or OFFERED is always its queue flow: the
// contact flow's session is gone once it queued the contact.
//
// Not done: the queue flow of the new queue after a transfer (TransferContact, or a queue
// flow's own transfer) does not start; tasks, which have no customer to talk to, get none.

// DefaultCustomerQueueFlowName is the name of the flow that runs for waiting customers when
// the contact flow set none (every instance gets one, like Connect's default flows).
const DefaultCustomerQueueFlowName = "Default customer queue"

// CustomerQueueHook is the UpdateContactEventHooks key of the customer queue flow.
const CustomerQueueHook = "CustomerQueue"

// inQueue reports whether c waits in a queue (queued, or offered to an agent who has not
// accepted yet): the states in which its customer queue flow runs.
func inQueue(c contact.Contact) bool {
	return c.State == contact.StateQueued || c.State == contact.StateOffered
}

// hasQueueFlow reports whether a contact of this channel gets a customer queue flow.
func hasQueueFlow(ch contact.Channel) bool {
	return ch == contact.ChannelChat || ch == contact.ChannelVoice
}

// startQueueFlow runs the customer queue flow of c, which its contact flow has just queued
// (on the contact's worker). ref is the flow the contact flow set (an ID or ARN), or "" for
// the instance's default. A flow that cannot start is logged and the contact keeps waiting.
func (m *Manager) startQueueFlow(ctx context.Context, c contact.Contact, ref string) {
	if !hasQueueFlow(c.Channel) || !inQueue(c) {
		return
	}
	if ref == "" {
		var err error
		if ref, err = m.defaultQueueFlow(ctx, c.InstanceID); err != nil || ref == "" {
			if err != nil {
				m.log.Warn("lifecycle: default customer queue flow", "instance_id", c.InstanceID, "error", err.Error())
			}
			return
		}
	}
	s := flow.NewSession(m.flowContact(c))
	for k, v := range c.Attributes {
		s.Attributes[k] = v
	}
	if q := c.Queue.QueueID; q != "" && !c.Queue.IsAgentQueue() {
		s.Behaviour.TargetQueue = m.instanceARN(c.InstanceID) + "/queue/" + q
	}
	var p contact.Protection
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = m.protection(ctx, tx, c.InstanceID)
		return err
	})
	if err != nil {
		m.log.Warn("lifecycle: customer queue flow", "instance_id", c.InstanceID, "contact_id", c.ID, "error", err.Error())
		return
	}
	before := copyMap(s.Attributes)
	st, err := m.runFlowFrom(ctx, c, p, s, ref, nil)
	if err != nil {
		m.log.Warn("lifecycle: customer queue flow did not start", "instance_id", c.InstanceID, "contact_id", c.ID, "error", err.Error())
		return
	}
	m.finishStep(ctx, c, before, st)
}

// defaultQueueFlow returns the ID of the instance's published "Default customer queue"
// flow, or "" when it has none.
func (m *Manager) defaultQueueFlow(ctx context.Context, instanceID string) (string, error) {
	id := ""
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		recs, err := tx.ListFlowRecords(ctx, instanceID, flow.KindFlow, []string{"CUSTOMER_QUEUE"}, "", 1000)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Name == DefaultCustomerQueueFlowName && r.State == "ACTIVE" && r.Content != "" {
				id = r.ID
			}
		}
		return nil
	})
	return id, err
}
