package lifecycle

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// contactTimer is the one timer a contact may have armed: a wait's timeout, a scheduled
// start or the end of after-contact work. Arming a new one replaces it; gen tells a fired
// timer whether it is still the current one.
type contactTimer struct {
	gen uint64
	t   *time.Timer
}

// armAt runs fn on the contact's worker at t (at once when t has passed), replacing any
// timer the contact had.
func (m *Manager) armAt(instanceID, contactID string, at time.Time, fn func(ctx context.Context)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.timers[contactID]
	var gen uint64 = 1
	if old != nil {
		old.t.Stop()
		gen = old.gen + 1
	}
	ct := &contactTimer{gen: gen}
	ct.t = time.AfterFunc(max(time.Until(at), 0), func() {
		m.mu.Lock()
		cur := m.timers[contactID]
		current := cur != nil && cur.gen == gen
		if current {
			delete(m.timers, contactID)
		}
		m.mu.Unlock()
		if current {
			m.enqueueJob(instanceID, contactID, fn)
		}
	})
	m.timers[contactID] = ct
}

// disarm cancels the contact's timer.
func (m *Manager) disarm(contactID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ct := m.timers[contactID]; ct != nil {
		ct.t.Stop()
		delete(m.timers, contactID)
	}
}

func (m *Manager) stopTimers() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, ct := range m.timers {
		ct.t.Stop()
		delete(m.timers, id)
	}
}

// armWait arms the timeout of a flow wait: input and events time out, message loops are
// interrupted. A wait without a time limit gets no timer. A wait for stored input marks the
// contact for AwaitsSecureInput.
func (m *Manager) armWait(instanceID, contactID string, w *flow.Wait) {
	m.markSecureWait(instanceID, contactID, w)
	var d time.Duration
	var ans flow.Answer
	switch w.Kind {
	case flow.WaitMessages:
		d, ans = time.Duration(w.InterruptSeconds)*time.Second, flow.Answer{Event: "MessagesInterrupted"}
	default:
		d, ans = time.Duration(w.TimeoutSeconds)*time.Second, flow.Answer{Timeout: true}
	}
	if d <= 0 {
		m.disarm(contactID)
		return
	}
	flowID, action := w.FlowID, w.Action
	m.armAt(instanceID, contactID, time.Now().Add(d), func(ctx context.Context) {
		_ = m.resumeFlow(ctx, instanceID, contactID, func(s *flow.Session) (flow.Answer, bool) {
			if s == nil || !s.Waiting() || s.Wait.FlowID != flowID || s.Wait.Action != action {
				return flow.Answer{}, false
			}
			return ans, true
		})
	})
}

// markSecureWait records whether the contact's flow now waits for stored input (w nil: it
// waits for nothing), for AwaitsSecureInput.
func (m *Manager) markSecureWait(instanceID, contactID string, w *flow.Wait) {
	if w != nil && w.Kind == flow.WaitInput && w.Input != nil && w.Input.Sensitive {
		m.secureWaits.Store(instanceID+"/"+contactID, struct{}{})
	} else {
		m.secureWaits.Delete(instanceID + "/" + contactID)
	}
}

// rebuild restores, for every instance, what was in progress when the node stopped: flows
// not yet started start, waiting flows get their timers again (a full timeout: the time
// already waited is not known), scheduled tasks and after-contact work are timed, and the
// router is rebuilt from the queued and connected contacts.
func (m *Manager) rebuild(ctx context.Context) error {
	after := ""
	for {
		var insts []instance.Instance
		err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			insts, err = tx.ListInstances(ctx, after, 100)
			return err
		})
		if err != nil {
			return err
		}
		for _, in := range insts {
			if err := m.rebuildInstance(ctx, in.ID); err != nil {
				m.log.Error("lifecycle: rebuild instance", "instance_id", in.ID, "error", err.Error())
			}
		}
		if len(insts) < 100 {
			return nil
		}
		after = insts[len(insts)-1].ID
	}
}

func (m *Manager) rebuildInstance(ctx context.Context, instanceID string) error {
	var active []contact.Contact
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		active, err = tx.ListActiveContacts(ctx, instanceID)
		return err
	})
	if err != nil || len(active) == 0 {
		return err
	}
	routed := false
	for _, c := range active {
		c := c
		switch c.State {
		case contact.StateInitiated:
			m.Started(c)
		case contact.StateScheduled:
			m.Started(c)
		case contact.StateInFlow:
			_, s, _, err := m.load(ctx, c.InstanceID, c.ID)
			switch {
			case err != nil:
			case s.Waiting():
				m.armWait(c.InstanceID, c.ID, s.Wait)
			case len(s.Stack) == 0 && s.Outcome == nil:
				// Transferred through a flow that had not started when the node stopped.
				m.enqueueJob(c.InstanceID, c.ID, func(ctx context.Context) { m.startFlow(ctx, c.InstanceID, c.ID) })
			}
		case contact.StateQueued, contact.StateOffered:
			routed = true
			// A waiting customer queue flow gets its timer again.
			_, s, _, err := m.load(ctx, c.InstanceID, c.ID)
			if err == nil && s.Waiting() {
				m.armWait(c.InstanceID, c.ID, s.Wait)
			}
		case contact.StateConnected:
			routed = true
		case contact.StateAfterContactWork:
			d := m.acwTimes()[routingChannel(c.Channel)]
			m.armAt(c.InstanceID, c.ID, c.Agent.AfterContactWorkStartTimestamp.Add(d), func(ctx context.Context) {
				_ = m.completeACW(ctx, hostEvent("AfterContactWorkTimeout", c.InstanceID, c.ID), c.InstanceID, c.Agent.AgentID, c.ID)
			})
		}
	}
	if routed {
		if _, err := m.router(ctx, instanceID); err != nil {
			return err
		}
	}
	return nil
}
