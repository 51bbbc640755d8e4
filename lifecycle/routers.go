package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// instanceRouter is the router of one instance on its own goroutine.
type instanceRouter struct {
	loop   *routing.Loop
	cancel context.CancelFunc
}

// withRouter runs fn on the instance's router goroutine, building the router from storage
// the first time.
func (m *Manager) withRouter(ctx context.Context, instanceID string, fn func(*routing.Router)) error {
	ir, err := m.router(ctx, instanceID)
	if err != nil {
		return err
	}
	return ir.loop.Do(ctx, fn)
}

func (m *Manager) router(ctx context.Context, instanceID string) (*instanceRouter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ir := m.routers[instanceID]; ir != nil {
		return ir, nil
	}
	if m.ctx == nil {
		return nil, fmt.Errorf("lifecycle: not running")
	}
	snap, err := m.routingSnapshot(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	r, evs, err := routing.Restore(routing.Config{Clock: m.cfg.Clock, OfferTimeout: m.cfg.OfferTimeout, AfterContactWork: m.acwTimes()}, snap)
	if err != nil {
		return nil, fmt.Errorf("router of instance %s: %w", instanceID, err)
	}
	rctx, cancel := context.WithCancel(m.ctx)
	ir := &instanceRouter{cancel: cancel}
	ir.loop = routing.NewLoop(r, func(evs []routing.Event) { m.routerEvents(instanceID, evs) }, m.cfg.Clock)
	go func() { _ = ir.loop.Run(rctx) }()
	m.routers[instanceID] = ir
	m.routerEvents(instanceID, evs)
	return ir, nil
}

func (m *Manager) acwTimes() map[routing.Channel]time.Duration {
	out := map[routing.Channel]time.Duration{}
	for _, ch := range []routing.Channel{routing.Channel(contact.ChannelVoice), routing.Channel(contact.ChannelChat), routing.Channel(contact.ChannelTask)} {
		d := m.cfg.AfterContactWork[ch]
		if d <= 0 {
			d = DefaultAfterContactWork
		}
		out[ch] = d
	}
	return out
}

// routingSnapshot is the stored routing state of an instance: definitions and agents from
// the RoutingSource, contacts from the contacts table.
func (m *Manager) routingSnapshot(ctx context.Context, instanceID string) (routing.Snapshot, error) {
	var snap routing.Snapshot
	if m.cfg.Routing != nil {
		var err error
		if snap, err = m.cfg.Routing.RoutingSnapshot(ctx, instanceID); err != nil {
			return snap, fmt.Errorf("routing configuration of instance %s: %w", instanceID, err)
		}
	}
	snap.Contacts = nil
	var active []contact.Contact
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		active, err = tx.ListActiveContacts(ctx, instanceID)
		return err
	})
	if err != nil {
		return snap, err
	}
	for _, c := range active {
		cs := routing.ContactSnapshot{ID: c.ID, Channel: routing.Channel(c.Channel), Priority: c.Queue.Priority, EnqueuedAt: c.Queue.EnqueueTimestamp}
		switch c.State {
		case contact.StateQueued, contact.StateOffered:
			cs.State = routing.ContactState(contact.StateQueued)
		case contact.StateConnected:
			cs.State, cs.AgentID = routing.ContactState(contact.StateConnected), c.Agent.AgentID
		default:
			continue
		}
		if agent, ok := c.Queue.AgentQueue(); ok {
			cs.AgentQueueID = agent
		} else {
			cs.QueueID = c.Queue.QueueID
		}
		snap.Contacts = append(snap.Contacts, cs)
	}
	m.addHoldingAgents(ctx, instanceID, &snap)
	return snap, nil
}

// addHoldingAgents adds to snap, Offline, the agents that hold a contact (connected to them,
// or waiting in their agent queue) but chose no routable or custom status: without them the
// router would drop those contacts on restore and they would stay stuck in storage. It needs
// the RoutingSource to be an AgentDirectory; an agent it cannot find is left out (the router
// then puts its contacts back in their queue, or drops them, as Restore documents).
func (m *Manager) addHoldingAgents(ctx context.Context, instanceID string, snap *routing.Snapshot) {
	dir, ok := m.cfg.Routing.(AgentDirectory)
	if !ok {
		return
	}
	known := map[string]bool{}
	for _, a := range snap.Agents {
		known[a.ID] = true
	}
	for _, c := range snap.Contacts {
		id := c.AgentQueueID
		if c.State == routing.ContactConnected {
			id = c.AgentID
		}
		if id == "" || known[id] {
			continue
		}
		known[id] = true
		profileID, err := dir.AgentRoutingProfile(ctx, instanceID, id)
		if err != nil {
			m.log.Warn("lifecycle: agent of a held contact not found", "instance_id", instanceID, "agent_id", id, "contact_id", c.ID, "error", err.Error())
			continue
		}
		snap.Agents = append(snap.Agents, routing.AgentSnapshot{ID: id, RoutingProfileID: profileID, Status: routing.Offline()})
	}
}

// routerEvents queues the contact side of router events for each contact's worker, in
// order, then passes the events on to the Notifier. It never blocks the router.
func (m *Manager) routerEvents(instanceID string, evs []routing.Event) {
	if len(evs) == 0 {
		return
	}
	m.evMu.Lock()
	for _, e := range evs {
		switch e.Type {
		case routing.EventOfferMade, routing.EventOfferRejected, routing.EventOfferExpired, routing.EventOfferWithdrawn, routing.EventContactConnected:
			m.evQueue = append(m.evQueue, instanceEvent{instanceID: instanceID, e: e})
		}
	}
	m.evMu.Unlock()
	select {
	case m.evWake <- struct{}{}:
	default:
	}
	if m.cfg.Notifier != nil {
		m.cfg.Notifier.Notify(instanceID, evs)
	}
}

type instanceEvent struct {
	instanceID string
	e          routing.Event
}

// dispatchEvents moves queued router events to the contacts' workers, keeping their order.
func (m *Manager) dispatchEvents(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.evWake:
		}
		for {
			m.evMu.Lock()
			batch := m.evQueue
			m.evQueue = nil
			m.evMu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, ie := range batch {
				ie := ie
				m.enqueueJob(ie.instanceID, ie.e.ContactID, func(ctx context.Context) { m.applyRouterEvent(ctx, ie.instanceID, ie.e) })
			}
		}
	}
}

// applyRouterEvent records what an offer event means for the contact's state.
func (m *Manager) applyRouterEvent(ctx context.Context, instanceID string, e routing.Event) {
	cur, err := m.get(ctx, instanceID, e.ContactID)
	if err != nil {
		return
	}
	var path []contact.State
	switch e.Type {
	case routing.EventOfferMade:
		if cur.State == contact.StateQueued {
			path = []contact.State{contact.StateOffered}
		}
	case routing.EventOfferRejected, routing.EventOfferExpired, routing.EventOfferWithdrawn:
		if cur.State == contact.StateOffered {
			path = []contact.State{contact.StateQueued}
		}
	case routing.EventContactConnected:
		switch cur.State {
		case contact.StateQueued:
			path = []contact.State{contact.StateOffered, contact.StateConnected}
		case contact.StateOffered:
			path = []contact.State{contact.StateConnected}
		}
	}
	if len(path) == 0 {
		return
	}
	_, err = m.mutate(ctx, hostEvent(string(e.Type), instanceID, e.ContactID), instanceID, e.ContactID, func(ctx context.Context, tx store.Tx, c *contact.Contact) error {
		for _, s := range path {
			if err := c.Move(s); err != nil {
				return err
			}
		}
		if e.Type == routing.EventContactConnected {
			c.Agent = contact.AgentInfo{AgentID: e.AgentID, ConnectedToAgentTimestamp: e.At.UTC().Truncate(time.Millisecond)}
			c.Queue.DequeueTimestamp = c.Agent.ConnectedToAgentTimestamp
			// The customer queue flow, if one runs, stops with the connection.
			return tx.DeleteFlowSession(ctx, instanceID, e.ContactID)
		}
		return nil
	})
	if err != nil {
		m.log.Warn("lifecycle: router event", "instance_id", instanceID, "contact_id", e.ContactID, "event", string(e.Type), "error", err.Error())
		return
	}
	if e.Type == routing.EventContactConnected {
		m.disarm(e.ContactID)
	}
}

// AgentStatus sets an agent's status in the instance's router only, logging the agent in with
// routing profile profileID when the router does not know them yet. Nothing is stored or
// audited: callers acting for a person use SetAgentStatus, which stores the status with its
// audit event first.
func (m *Manager) AgentStatus(ctx context.Context, instanceID, agentID, profileID string, status routing.AgentStatus) (routing.AgentView, error) {
	var view routing.AgentView
	var err error
	derr := m.withRouter(ctx, instanceID, func(r *routing.Router) {
		var evs []routing.Event
		if _, aerr := r.Agent(agentID); aerr != nil {
			evs, err = r.AgentLogin(agentID, profileID, status)
		} else {
			evs, err = r.SetAgentStatus(agentID, status)
			if err == nil && profileID != "" {
				var more []routing.Event
				more, err = r.SetAgentRoutingProfile(agentID, profileID)
				evs = append(evs, more...)
			}
		}
		m.routerEvents(instanceID, evs)
		if err == nil {
			view, err = r.Agent(agentID)
		}
	})
	if derr != nil {
		return view, derr
	}
	return view, err
}

// Agent returns the router's view of an agent.
func (m *Manager) Agent(ctx context.Context, instanceID, agentID string) (routing.AgentView, error) {
	var view routing.AgentView
	var err error
	if derr := m.withRouter(ctx, instanceID, func(r *routing.Router) { view, err = r.Agent(agentID) }); derr != nil {
		return view, derr
	}
	return view, err
}

func routingChannel(c contact.Channel) routing.Channel { return routing.Channel(c) }

// RefreshRouting puts the instance's stored hours, queues and routing profiles into its
// running router (after the configuration API changed them). An instance whose router has
// not started yet needs nothing: it is built from storage when first used. Definitions
// deleted from storage stay in the running router until the node restarts.
func (m *Manager) RefreshRouting(ctx context.Context, instanceID string) error {
	m.mu.Lock()
	ir := m.routers[instanceID]
	m.mu.Unlock()
	if ir == nil || m.cfg.Routing == nil {
		return nil
	}
	snap, err := m.cfg.Routing.RoutingSnapshot(ctx, instanceID)
	if err != nil {
		return err
	}
	var errs []error
	derr := ir.loop.Do(ctx, func(r *routing.Router) {
		for _, h := range snap.Hours {
			if err := r.PutHours(h); err != nil {
				errs = append(errs, err)
			}
		}
		for _, q := range snap.Queues {
			if err := r.PutQueue(q); err != nil {
				errs = append(errs, err)
			}
		}
		for _, p := range snap.Profiles {
			evs, err := r.PutRoutingProfile(p)
			if err != nil {
				errs = append(errs, err)
			}
			m.routerEvents(instanceID, evs)
		}
	})
	if derr != nil {
		return derr
	}
	return errors.Join(errs...)
}
