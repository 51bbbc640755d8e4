package lifecycle_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/storetest"
)

// gate is a store whose audited writes of one operation fail as when the audit event cannot
// be made durable (the audit gate), while armed.
type gate struct {
	store.Store
	op    string
	armed atomic.Bool
}

func (g *gate) Update(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	if ev != nil && ev.Operation == g.op && g.armed.Load() {
		return apierr.New(apierr.CodeServiceUnavailable, "audit sink unavailable")
	}
	return g.Store.Update(ctx, ev, fn)
}

// auditOps returns "code resource outcome" of every audit event, in order.
func auditOps(t *testing.T, st store.Store) []audit.Event {
	t.Helper()
	var out []audit.Event
	err := st.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func startTask(t *testing.T, e *env, flowID string) string {
	t.Helper()
	c := contact.Contact{InstanceID: instID, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI, Name: "task", FlowID: flowID}
	if err := e.m.Prepare(&c); err != nil {
		t.Fatal(err)
	}
	if err := e.m.StartContact(context.Background(), ev("StartTaskContact"), c); err != nil {
		t.Fatalf("StartContact: %v", err)
	}
	return c.ID
}

// TestAcceptIsIdempotentAndLapsedOffersSayWhy: a repeated accept answers the same contact and
// changes nothing; an accept or reject after the offer expired says so.
func TestAcceptIsIdempotentAndLapsedOffersSayWhy(t *testing.T) {
	e := openWith(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t), func(c *lifecycle.Config) {
		c.OfferTimeout = map[routing.Channel]time.Duration{routing.ChannelTask: 300 * time.Millisecond}
	})
	seed(t, e.st)
	ctx := context.Background()
	if _, err := e.m.AgentStatus(ctx, instID, "agent-1", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	id := startTask(t, e, "task-flow")
	offer := e.notes.next(t, routing.EventOfferMade)
	acc, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID)
	if err != nil || acc.ContactID != id || acc.Again || acc.Channel != routing.ChannelTask {
		t.Fatalf("Accept = %+v, %v", acc, err)
	}
	connected := waitState(t, e, id, contact.StateConnected)
	again, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID)
	if err != nil || again.ContactID != id || !again.Again {
		t.Fatalf("second Accept = %+v, %v", again, err)
	}
	if c := waitState(t, e, id, contact.StateConnected); c.Version != connected.Version {
		t.Errorf("a repeated accept changed the contact: version %d → %d", connected.Version, c.Version)
	}
	if _, err := e.m.Reject(ctx, ev("RejectOffer"), instID, "agent-1", offer.Offer.ID); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
		t.Errorf("reject after accept: %v", err)
	}
	// Another agent cannot learn anything about the offer.
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-2", offer.Offer.ID); err == nil || strings.Contains(err.Error(), "accepted") {
		t.Errorf("accept by another agent: %v", err)
	}

	// A second agent lets an offer expire.
	if _, err := e.m.AgentStatus(ctx, instID, "agent-2", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	id2 := startTask(t, e, "task-flow")
	offer2 := e.notes.next(t, routing.EventOfferMade)
	if offer2.ContactID != id2 || offer2.AgentID != "agent-2" {
		t.Fatalf("second offer: %+v", offer2)
	}
	e.notes.next(t, routing.EventOfferExpired)
	_, err = e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-2", offer2.Offer.ID)
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) || !strings.Contains(err.Error(), "offer "+offer2.Offer.ID+" expired at ") {
		t.Errorf("accept after expiry: %v", err)
	}
	if _, err := e.m.Reject(ctx, ev("RejectOffer"), instID, "agent-2", offer2.Offer.ID); err == nil || !strings.Contains(err.Error(), "expired at") {
		t.Errorf("reject after expiry: %v", err)
	}
	if c := waitState(t, e, id2, contact.StateQueued); !c.Agent.ConnectedToAgentTimestamp.IsZero() {
		t.Errorf("expired contact: %+v", c.Agent)
	}
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-2", "no-such-offer"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("unknown offer: %v", err)
	}
}

// TestAcceptCommitsWithItsAuditEvent: the acceptance and the agent's audit event commit
// together before the router applies it: when the event cannot be made durable, nothing
// changes (the offer is still pending, the contact still offered); when it can, the event is
// the record of the change (no system event repeats it).
func TestAcceptCommitsWithItsAuditEvent(t *testing.T) {
	var g *gate
	e := openWith(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t), func(c *lifecycle.Config) {
		g = &gate{Store: c.Store, op: "AcceptOffer"}
		c.Store = g
	})
	seed(t, e.st)
	ctx := context.Background()
	if _, err := e.m.AgentStatus(ctx, instID, "agent-1", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	id := startTask(t, e, "task-flow")
	offer := e.notes.next(t, routing.EventOfferMade)
	waitState(t, e, id, contact.StateOffered)

	g.armed.Store(true)
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID); !apierr.HasCode(err, apierr.CodeServiceUnavailable) {
		t.Fatalf("accept with the audit gate closed: %v", err)
	}
	view, err := e.m.Agent(ctx, instID, "agent-1")
	if err != nil || len(view.Contacts) != 1 || view.Contacts[0].State != routing.ContactOffered || view.Contacts[0].OfferID != offer.Offer.ID {
		t.Fatalf("router after the refused accept: %+v, %v", view, err)
	}
	if c := waitState(t, e, id, contact.StateOffered); c.Agent.AgentID != "" {
		t.Errorf("stored contact after the refused accept: %+v", c.Agent)
	}

	g.armed.Store(false)
	accept := ev("AcceptOffer")
	if _, err := e.m.Accept(ctx, accept, instID, "agent-1", offer.Offer.ID); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	e.notes.next(t, routing.EventContactConnected)
	waitState(t, e, id, contact.StateConnected)
	if accept.Seq == 0 || accept.Details["contact_id"] != id {
		t.Errorf("the agent's event was not committed with the change: %+v", accept)
	}
	// A job on the contact's worker runs after the router's ContactConnected job; then look
	// at the trail.
	if err := e.m.CustomerInput(ctx, instID, id, "probe"); err == nil {
		t.Fatalf("probe: %v", err)
	}
	for _, a := range auditOps(t, e.st) {
		if a.Resource == id && a.Operation == string(routing.EventContactConnected) {
			t.Errorf("the connection was recorded twice: %+v", a)
		}
	}
}

// TestSetAgentStatusStoresThenApplies: the status and its audit event commit first; a
// refused write changes nothing in the router; a status the router refuses stays stored and
// a system event records the refusal.
func TestSetAgentStatusStoresThenApplies(t *testing.T) {
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t))
	seed(t, e.st)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := e.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateUser(ctx, identity.User{ID: "agent-1", InstanceID: instID, Username: "agent-1", PhoneConfig: identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
			RoutingProfileID: "rp", Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now}); err != nil {
			return err
		}
		for _, st := range []routing.AgentStatus{routing.Available(), {Name: "Lunch", Type: routing.StatusCustom}} {
			if err := tx.CreateAgentStatus(ctx, routing.AgentStatusRecord{InstanceID: instID, ID: st.Name, AgentStatus: st, State: routing.AgentStatusEnabled,
				Tags: map[string]string{}, LastModified: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	write := func(profile string, st routing.AgentStatus, fail error) lifecycle.StatusWrite {
		return func(ctx context.Context, tx store.Tx) (string, routing.AgentStatus, error) {
			if fail != nil {
				return "", routing.AgentStatus{}, fail
			}
			return profile, st, tx.SetUserStatus(ctx, routing.UserStatus{InstanceID: instID, UserID: "agent-1", AgentStatusID: st.Name, Since: time.Now().UTC().Truncate(time.Millisecond)})
		}
	}
	put := ev("PutUserStatus")
	view, err := e.m.SetAgentStatus(ctx, put, instID, "agent-1", write("rp", routing.Available(), nil))
	if err != nil || view.Activity != routing.ActivityAvailable || put.Seq == 0 {
		t.Fatalf("SetAgentStatus = %+v, %v (event seq %d)", view, err, put.Seq)
	}
	if _, err := e.m.SetAgentStatus(ctx, ev("PutUserStatus"), instID, "agent-1", write("", routing.AgentStatus{}, apierr.InvalidRequest("status disabled"))); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
		t.Fatalf("refused write: %v", err)
	}
	if v, _ := e.m.Agent(ctx, instID, "agent-1"); v.Activity != routing.ActivityAvailable {
		t.Errorf("the router moved on a refused write: %+v", v)
	}
	lunch := routing.AgentStatus{Name: "Lunch", Type: routing.StatusCustom}
	_, err = e.m.SetAgentStatus(ctx, ev("PutUserStatus"), instID, "agent-1", write("unknown-profile", lunch, nil))
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Fatalf("unknown profile: %v", err)
	}
	var us routing.UserStatus
	_ = e.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		us, err = tx.GetUserStatus(ctx, instID, "agent-1")
		return err
	})
	if us.AgentStatusID != "Lunch" {
		t.Errorf("stored status = %+v", us)
	}
	found := false
	for _, a := range auditOps(t, e.st) {
		if a.Code == "routing.ApplyAgentStatus" && a.Outcome == audit.OutcomeFailure && a.Resource == "agent-1" {
			found = true
		}
	}
	if !found {
		t.Error("no routing.ApplyAgentStatus failure event")
	}
}

// transferFlow is a queue/agent transfer flow: it transfers to the working queue the
// transfer set.
const transferFlow = `{"Version":"2019-10-30","StartAction":"xfer","Actions":[
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

func seedTransferFlow(t *testing.T, st store.Store) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateFlowRecord(ctx, flow.Record{InstanceID: instID, ID: "xfer-flow", Kind: flow.KindFlow, Name: "xfer-flow", Type: "QUEUE_TRANSFER",
			State: "ACTIVE", Status: "PUBLISHED", Content: transferFlow, SavedContent: transferFlow, Version: 1, Tags: map[string]string{}, LastModified: now})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTransfers: a connected contact goes to another queue through a transfer flow (the
// agent to after-contact work), then to an agent's own queue at once; a task started for a
// quick connect's agent runs its flow with that agent as the working queue.
func TestTransfers(t *testing.T) {
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t))
	seed(t, e.st)
	seedTransferFlow(t, e.st)
	ctx := context.Background()
	if _, err := e.m.AgentStatus(ctx, instID, "agent-1", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	id := startTask(t, e, "task-flow")
	offer := e.notes.next(t, routing.EventOfferMade)
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, id, contact.StateConnected)

	if err := e.m.Transfer(ctx, ev("TransferContact"), instID, id, lifecycle.Target{QueueID: "q-billing", FlowID: "xfer-flow"}); err != nil {
		t.Fatalf("Transfer through a flow: %v", err)
	}
	c := waitState(t, e, id, contact.StateQueued)
	if c.Queue.QueueID != "q-billing" || c.FlowID != "xfer-flow" || c.Agent.AgentID != "" {
		t.Errorf("after the flow transfer: queue %q flow %q agent %+v", c.Queue.QueueID, c.FlowID, c.Agent)
	}
	view, err := e.m.Agent(ctx, instID, "agent-1")
	if err != nil || len(view.AfterContactWork) != 1 || view.AfterContactWork[0].ContactID != id {
		t.Errorf("agent-1 after the transfer: %+v, %v", view, err)
	}

	// To agent-7's own queue at once: agent-7 never chose a status; the directory finds its
	// routing profile and the contact waits for it.
	if err := e.m.Transfer(ctx, ev("TransferContact"), instID, id, lifecycle.Target{AgentID: "agent-7"}); err != nil {
		t.Fatalf("Transfer to an agent: %v", err)
	}
	c = waitState(t, e, id, contact.StateQueued)
	if c.Queue.QueueID != contact.AgentQueueID("agent-7") {
		t.Errorf("queue after transfer to agent-7: %q", c.Queue.QueueID)
	}
	if _, err := e.m.AgentStatus(ctx, instID, "agent-7", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	for {
		o := e.notes.next(t, routing.EventOfferMade)
		if o.ContactID == id {
			if o.AgentID != "agent-7" {
				t.Fatalf("offered to %s", o.AgentID)
			}
			break
		}
	}
	if err := e.m.Transfer(ctx, ev("TransferContact"), instID, "no-such-contact", lifecycle.Target{QueueID: "q-billing"}); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("unknown contact: %v", err)
	}
	if err := e.m.Transfer(ctx, ev("TransferContact"), instID, id, lifecycle.Target{}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("no target: %v", err)
	}

	// A task created for a quick connect to agent-9 starts in the transfer flow with agent-9
	// as its working queue.
	task := contact.Contact{InstanceID: instID, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI, Name: "for agent-9", FlowID: "xfer-flow"}
	if err := e.m.Prepare(&task); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Update(ctx, ev("StartTaskContact"), func(ctx context.Context, tx store.Tx) error {
		return e.m.CreateFor(ctx, tx, task, lifecycle.Target{AgentID: "agent-9"})
	}); err != nil {
		t.Fatal(err)
	}
	e.m.Started(task)
	if c := waitState(t, e, task.ID, contact.StateQueued); c.Queue.QueueID != contact.AgentQueueID("agent-9") {
		t.Errorf("quick-connect task waits in %q", c.Queue.QueueID)
	}
}

// closingRouting is fakeRouting whose queue q-billing is DISABLED once closed is set.
type closingRouting struct {
	fakeRouting
	closed atomic.Bool
}

func (r *closingRouting) RoutingSnapshot(ctx context.Context, inst string) (routing.Snapshot, error) {
	snap, err := r.fakeRouting.RoutingSnapshot(ctx, inst)
	if r.closed.Load() {
		for i := range snap.Queues {
			if snap.Queues[i].ID == "q-billing" {
				snap.Queues[i].Status = routing.QueueDisabled
			}
		}
	}
	return snap, err
}

// afterCommit is a store that runs hook after an audited write of operation op committed.
type afterCommit struct {
	store.Store
	op   string
	hook atomic.Pointer[func()]
}

func (a *afterCommit) Update(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	err := a.Store.Update(ctx, ev, fn)
	if h := a.hook.Load(); err == nil && ev != nil && ev.Operation == a.op && h != nil {
		(*h)()
	}
	return err
}

// TestTransferCommitsFirst: a transfer to a queue is stored with its audit event before the
// router moves the contact. When the store refuses it (the audit gate), the router keeps the
// contact with its agent. When the router refuses a transfer it had checked (the queue was
// disabled between the check and the move), the stored transfer is undone with a system
// event and the stored contact agrees with the router again.
func TestTransferCommitsFirst(t *testing.T) {
	var (
		g  *gate
		ac *afterCommit
	)
	rt := &closingRouting{}
	e := openWith(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t), func(c *lifecycle.Config) {
		ac = &afterCommit{Store: c.Store, op: "TransferContact"}
		g = &gate{Store: ac, op: "TransferContact"}
		c.Store, c.Routing = g, rt
	})
	seed(t, e.st)
	ctx := context.Background()
	if _, err := e.m.AgentStatus(ctx, instID, "agent-1", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	id := startTask(t, e, "task-flow")
	offer := e.notes.next(t, routing.EventOfferMade)
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, id, contact.StateConnected)
	connectedInRouter := func() bool {
		t.Helper()
		view, err := e.m.Agent(ctx, instID, "agent-1")
		if err != nil {
			t.Fatal(err)
		}
		return len(view.Contacts) == 1 && view.Contacts[0].ContactID == id && view.Contacts[0].State == routing.ContactConnected &&
			len(view.AfterContactWork) == 0
	}
	storedConnected := func() bool {
		t.Helper()
		c := waitState(t, e, id, contact.StateConnected)
		return c.Agent.AgentID == "agent-1" && c.Queue.QueueID == "q-support"
	}

	g.armed.Store(true)
	if err := e.m.Transfer(ctx, ev("TransferContact"), instID, id, lifecycle.Target{QueueID: "q-billing"}); !apierr.HasCode(err, apierr.CodeServiceUnavailable) {
		t.Fatalf("transfer with the audit gate closed: %v", err)
	}
	if !connectedInRouter() || !storedConnected() {
		t.Errorf("after the refused write: router connected %v, stored connected %v; want both", connectedInRouter(), storedConnected())
	}
	g.armed.Store(false)

	disable := func() {
		rt.closed.Store(true)
		if err := e.m.RefreshRouting(ctx, instID); err != nil {
			t.Error(err)
		}
	}
	ac.hook.Store(&disable)
	xfer := ev("TransferContact")
	err := e.m.Transfer(ctx, xfer, instID, id, lifecycle.Target{QueueID: "q-billing"})
	if !apierr.HasCode(err, apierr.CodeInvalidRequest) || !strings.Contains(err.Error(), "queue is disabled: q-billing") {
		t.Fatalf("transfer to a queue disabled after the check: %v", err)
	}
	if xfer.Seq == 0 {
		t.Error("the transfer's event was not committed before the router was asked")
	}
	if !connectedInRouter() || !storedConnected() {
		t.Errorf("after the router refused: router connected %v, stored connected %v; want both", connectedInRouter(), storedConnected())
	}
	found := false
	for _, a := range auditOps(t, e.st) {
		if a.Code == "contact.TransferReverted" && a.Resource == id && a.Outcome == audit.OutcomeSuccess && a.Seq > xfer.Seq {
			found = true
		}
	}
	if !found {
		t.Error("no contact.TransferReverted event after the transfer's")
	}
	// A disabled queue is refused by the check: nothing is stored.
	ac.hook.Store(nil)
	before := len(auditOps(t, e.st))
	if err := e.m.Transfer(ctx, ev("TransferContact"), instID, id, lifecycle.Target{QueueID: "q-billing"}); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
		t.Fatalf("transfer to a disabled queue: %v", err)
	}
	if after := auditOps(t, e.st); len(after) != before {
		t.Errorf("a transfer the router refused at once stored %d events: %+v", len(after)-before, after[before:])
	}
}
