package lifecycle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// What an agent does (accept, reject, choose a status) changes two things: the stored state
// (the contact row, the user's status) with its audit event, and the instance's router, which
// lives in memory on its own goroutine. They are changed in that order: the stored change and
// the audit event commit together in one store.Update, and only then does the router apply
// it. So an action whose audit event cannot be made durable changes nothing (the audit gate
// fails closed), and what a restart rebuilds the router from is never behind what agents were
// told. The router is not held while the store writes: a commit takes an fsync, and the
// router decides offers for the whole instance.
//
// The price is a window of one commit in which the router may move on without the agent: an
// offer can expire or be withdrawn after its acceptance was stored and before the router
// applies it. Accept then undoes the stored acceptance with a system event
// ("contact.AcceptReverted") and answers the lapse; the audit trail shows both steps. Work on
// one contact runs on that contact's worker, so no other change to the contact interleaves.
// Status changes of one agent are serialised by a per-agent lock, so the router applies them
// in the order they were stored.

// Accepted is the result of Accept.
type Accepted struct {
	OfferID   string
	ContactID string
	Channel   routing.Channel
	// Again is set when the agent had already accepted this offer and the contact is still
	// connected to them: nothing changed and no audit event was appended (the caller records
	// its own).
	Again bool
}

// Accept accepts offer offerID made to agentID: the contact is stored CONNECTED to the agent
// together with ev (the agent's audit event, which gets the detail contact_id), then the
// router connects it. Accepting an offer
// the agent already accepted succeeds again with the same contact (Again). Errors:
// ResourceNotFoundException for an offer that is unknown or not the agent's, or that expired,
// was rejected or withdrawn (the message says which and when; routing.LapsedError).
func (m *Manager) Accept(ctx context.Context, ev *audit.Event, instanceID, agentID, offerID string) (Accepted, error) {
	info, err := m.agentOffer(ctx, instanceID, agentID, offerID)
	if err != nil {
		return Accepted{}, err
	}
	out := Accepted{OfferID: offerID, ContactID: info.ContactID, Channel: info.Channel}
	detail(ev, "contact_id", info.ContactID)
	err = m.do(ctx, instanceID, info.ContactID, func(ctx context.Context) error {
		// Look again on the contact's worker: an earlier job may have answered the offer.
		info, err := m.agentOffer(ctx, instanceID, agentID, offerID)
		if err != nil {
			return err
		}
		switch info.State {
		case routing.OfferAccepted:
			out.Again = true
			return nil
		case routing.OfferPending:
		default:
			return routing.LapsedError(info)
		}
		at := m.now()
		_, err = m.mutate(ctx, ev, instanceID, info.ContactID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
			var path []contact.State
			switch c.State {
			case contact.StateQueued: // the OfferMade job has not run yet
				path = []contact.State{contact.StateOffered, contact.StateConnected}
			case contact.StateOffered:
				path = []contact.State{contact.StateConnected}
			default:
				return apierr.New(apierr.CodeInvalidRequest, "contact %s is %s; it cannot be accepted", c.ID, c.State)
			}
			for _, s := range path {
				if err := c.Move(s); err != nil {
					return err
				}
			}
			c.Agent = contact.AgentInfo{AgentID: agentID, ConnectedToAgentTimestamp: at}
			c.Queue.DequeueTimestamp = at
			// The customer queue flow, if one runs, stops with the connection.
			return tx.DeleteFlowSession(ctx, instanceID, c.ID)
		})
		if err != nil {
			return err
		}
		m.disarm(info.ContactID)
		m.inputWaits.Store(info.ContactID, false) // no flow session waits any more
		var rerr error
		if derr := m.withRouter(ctx, instanceID, func(r *routing.Router) {
			var evs []routing.Event
			evs, rerr = r.Accept(offerID)
			m.routerEvents(instanceID, evs)
		}); derr != nil {
			rerr = derr
		}
		if rerr != nil {
			m.revertAccept(ctx, instanceID, agentID, info.ContactID, at)
			return rerr
		}
		return nil
	})
	return out, err
}

// revertAccept undoes a stored acceptance that the router did not apply: the contact waits
// in its queue again (the router has already put it back, or re-offered it; the events of
// that follow on the contact's worker).
func (m *Manager) revertAccept(ctx context.Context, instanceID, agentID, contactID string, at time.Time) {
	cur, err := m.get(ctx, instanceID, contactID)
	if err != nil || cur.State != contact.StateConnected || cur.Agent.AgentID != agentID || !cur.Agent.ConnectedToAgentTimestamp.Equal(at) {
		return // nothing of this acceptance is left to undo
	}
	_, err = m.mutate(ctx, hostEvent("AcceptReverted", instanceID, contactID), instanceID, contactID, func(_ context.Context, _ store.Tx, c *contact.Contact) error {
		if err := c.Move(contact.StateQueued); err != nil {
			return err
		}
		c.Agent = contact.AgentInfo{}
		c.Queue.DequeueTimestamp = time.Time{}
		return nil
	})
	if err != nil {
		m.log.Error("lifecycle: revert an acceptance the router refused", "instance_id", instanceID, "contact_id", contactID, "error", err.Error())
	}
}

// Reject rejects offer offerID made to agentID: the contact is stored waiting again together
// with ev, then the router puts it back at its original age and marks the agent missed. It
// returns the contact's ID. An offer that expired while the rejection was being stored counts
// as rejected (the outcome is the same). Errors: ResourceNotFoundException for an offer that
// is unknown, not the agent's, or lapsed; InvalidRequestException for an accepted one.
func (m *Manager) Reject(ctx context.Context, ev *audit.Event, instanceID, agentID, offerID string) (string, error) {
	info, err := m.agentOffer(ctx, instanceID, agentID, offerID)
	if err != nil {
		return "", err
	}
	detail(ev, "contact_id", info.ContactID)
	err = m.do(ctx, instanceID, info.ContactID, func(ctx context.Context) error {
		info, err := m.agentOffer(ctx, instanceID, agentID, offerID)
		if err != nil {
			return err
		}
		switch info.State {
		case routing.OfferPending:
		case routing.OfferAccepted:
			return apierr.InvalidRequest("offer already accepted: " + offerID)
		default:
			return routing.LapsedError(info)
		}
		_, err = m.mutate(ctx, ev, instanceID, info.ContactID, func(_ context.Context, _ store.Tx, c *contact.Contact) error {
			switch c.State {
			case contact.StateOffered:
				return c.Move(contact.StateQueued)
			case contact.StateQueued: // the OfferMade job has not run yet
				return nil
			}
			return apierr.New(apierr.CodeInvalidRequest, "contact %s is %s; it cannot be rejected", c.ID, c.State)
		})
		if err != nil {
			return err
		}
		var rerr error
		if derr := m.withRouter(ctx, instanceID, func(r *routing.Router) {
			var evs []routing.Event
			evs, rerr = r.Reject(offerID)
			m.routerEvents(instanceID, evs)
		}); derr != nil {
			return derr
		}
		if rerr != nil && !apierr.HasCode(rerr, apierr.CodeResourceNotFound) {
			return rerr
		}
		return nil
	})
	return info.ContactID, err
}

// detail adds a detail to the caller's audit event before it is committed.
func detail(ev *audit.Event, key, value string) {
	if ev == nil {
		return
	}
	if ev.Details == nil {
		ev.Details = map[string]string{}
	}
	ev.Details[key] = value
}

// agentOffer looks an offer up in the router and checks it was made to agentID; an offer of
// another agent is reported as not found.
func (m *Manager) agentOffer(ctx context.Context, instanceID, agentID, offerID string) (routing.OfferInfo, error) {
	var info routing.OfferInfo
	var err error
	if derr := m.withRouter(ctx, instanceID, func(r *routing.Router) { info, err = r.LookupOffer(offerID) }); derr != nil {
		return info, derr
	}
	if err != nil || info.AgentID != agentID {
		return routing.OfferInfo{}, apierr.NotFound("offer", offerID)
	}
	return info, nil
}

// StatusWrite stores the status an agent chose inside the caller's transaction (it checks
// the user and the status, and calls tx.SetUserStatus) and returns the user's routing profile
// and the status for the router.
type StatusWrite func(ctx context.Context, tx store.Tx) (profileID string, status routing.AgentStatus, err error)

// SetAgentStatus records the status an agent chose (PutUserStatus, the agent API) and applies
// it in the router: write runs in one store.Update with ev, then the router logs the agent in
// with its routing profile or changes its status (see the comment at the top of this file).
// Changes of one agent are applied in the order they were stored. When the router refuses a
// stored status (its routing profile is unknown to the router), a system audit event
// "routing.ApplyAgentStatus" records the refusal and the error is returned; the stored status
// stands and the router takes it when it is rebuilt.
func (m *Manager) SetAgentStatus(ctx context.Context, ev *audit.Event, instanceID, agentID string, write StatusWrite) (routing.AgentView, error) {
	unlock := m.lockAgent(instanceID, agentID)
	defer unlock()
	var (
		profileID string
		status    routing.AgentStatus
	)
	err := m.st.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		var err error
		profileID, status, err = write(ctx, tx)
		return err
	})
	if err != nil {
		return routing.AgentView{}, err
	}
	view, err := m.AgentStatus(ctx, instanceID, agentID, profileID, status)
	if err != nil {
		fail := &audit.Event{Code: "routing.ApplyAgentStatus", Actor: "system", Operation: "ApplyAgentStatus", InstanceID: instanceID, Resource: agentID,
			Details: map[string]string{"routing_profile_id": profileID}}
		if ev != nil {
			fail.RequestID = ev.RequestID
		}
		fail.Stamp(err)
		if rerr := m.st.Record(ctx, fail); rerr != nil {
			return view, rerr
		}
		return view, fmt.Errorf("apply agent status: %w", err)
	}
	return view, nil
}

// lockAgent serialises the status changes of one agent; call the returned function to unlock.
func (m *Manager) lockAgent(instanceID, agentID string) func() {
	key := instanceID + "/" + agentID
	m.agentMu.Lock()
	l := m.agentLocks[key]
	if l == nil {
		l = &agentLock{}
		m.agentLocks[key] = l
	}
	l.refs++
	m.agentMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		m.agentMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(m.agentLocks, key)
		}
		m.agentMu.Unlock()
	}
}

type agentLock struct {
	mu   sync.Mutex
	refs int
}

// QueueMetrics returns the current metrics of each query (routing.Router.Metrics: the same
// computation the flow's CheckMetricData and GetMetricData read), taken together on the
// instance's router, and the router's time they were taken at. Errors: the router's
// (ResourceNotFoundException for an unknown queue, InvalidParameterException).
func (m *Manager) QueueMetrics(ctx context.Context, instanceID string, qs ...routing.MetricsQuery) ([]routing.QueueMetrics, time.Time, error) {
	var (
		out []routing.QueueMetrics
		at  time.Time
		err error
	)
	derr := m.withRouter(ctx, instanceID, func(r *routing.Router) {
		// Bring the router to now first: ages are measured at its time, and deadlines that
		// passed are handled.
		m.routerEvents(instanceID, r.Tick(m.cfg.Clock()))
		at = r.Now()
		for _, q := range qs {
			var qm routing.QueueMetrics
			if qm, err = r.Metrics(q); err != nil {
				return
			}
			out = append(out, qm)
		}
	})
	if derr != nil {
		return nil, at, derr
	}
	return out, at, err
}

// Agents returns the router's view of the instance's agents that f selects (those logged in
// since the router was built or restored from stored statuses), by agent ID, and the
// router's time.
func (m *Manager) Agents(ctx context.Context, instanceID string, f routing.AgentFilter) ([]routing.AgentView, time.Time, error) {
	var (
		out []routing.AgentView
		at  time.Time
	)
	err := m.withRouter(ctx, instanceID, func(r *routing.Router) {
		m.routerEvents(instanceID, r.Tick(m.cfg.Clock()))
		out, at = r.Agents(f), r.Now()
	})
	return out, at, err
}

// AgentDirectory is implemented by a RoutingSource that can find the routing profile of a
// user the router does not know yet (no status chosen since the router was built), so that a
// contact can wait in that agent's queue. Optional: without it, a transfer to an unknown
// agent is refused with ResourceNotFoundException.
type AgentDirectory interface {
	// AgentRoutingProfile returns the routing profile ID of user agentID. Errors:
	// ResourceNotFoundException for an unknown user.
	AgentRoutingProfile(ctx context.Context, instanceID, agentID string) (string, error)
}

// ensureAgent makes agentID known to the instance's router (Offline, with the user's routing
// profile) when it is not, so that contacts can wait in its agent queue.
func (m *Manager) ensureAgent(ctx context.Context, instanceID, agentID string) error {
	known := false
	if err := m.withRouter(ctx, instanceID, func(r *routing.Router) { _, err := r.Agent(agentID); known = err == nil }); err != nil || known {
		return err
	}
	dir, ok := m.cfg.Routing.(AgentDirectory)
	if !ok {
		return apierr.NotFound("agent", agentID)
	}
	profileID, err := dir.AgentRoutingProfile(ctx, instanceID, agentID)
	if err != nil {
		return err
	}
	var lerr error
	if err := m.withRouter(ctx, instanceID, func(r *routing.Router) {
		if _, err := r.Agent(agentID); err == nil {
			return
		}
		var evs []routing.Event
		evs, lerr = r.AgentLogin(agentID, profileID, routing.Offline())
		m.routerEvents(instanceID, evs)
	}); err != nil {
		return err
	}
	return lerr
}
