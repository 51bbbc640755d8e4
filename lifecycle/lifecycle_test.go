package lifecycle_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

const instID = "00000000-0000-4000-8000-0000000000aa"

// taskFlow sets an attribute, calls a function, sets the working queue and transfers.
const taskFlow = `{"Version":"2019-10-30","StartAction":"log","Actions":[
 {"Identifier":"log","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"attrs"}},
 {"Identifier":"attrs","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"stage":"triage","card":"4111 1111 1111 1111"}},
  "Transitions":{"NextAction":"fn","Errors":[{"NextAction":"fn","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"fn","Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"arn:aws:lambda:us-east-1:123456789012:function:lookup","InvocationTimeLimitSeconds":"3","LambdaInvocationAttributes":{"who":"$.Name"}},
  "Transitions":{"NextAction":"save","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"save","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"tier":"$.External.tier"}},
  "Transitions":{"NextAction":"q","Errors":[{"NextAction":"q","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"arn:aws:connect:us-east-1:123456789012:instance/` + instID + `/queue/q-support"},
  "Transitions":{"NextAction":"xfer","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// chatFlow asks a question and ends after the answer.
const chatFlow = `{"Version":"2019-10-30","StartAction":"ask","Actions":[
 {"Identifier":"ask","Type":"GetParticipantInput","Parameters":{"Text":"Type 1 for orders","StoreInput":"False","InputTimeLimitSeconds":"180"},
  "Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"InputTimeLimitExceeded"},{"NextAction":"end","ErrorType":"NoMatchingCondition"},{"NextAction":"end","ErrorType":"NoMatchingError"}],
  "Conditions":[{"NextAction":"thanks","Condition":{"Operator":"Equals","Operands":["1"]}}]}},
 {"Identifier":"thanks","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"topic":"orders"}},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

type fakeRouting struct{}

// AgentRoutingProfile makes fakeRouting a lifecycle.AgentDirectory: every agent has "rp".
func (fakeRouting) AgentRoutingProfile(context.Context, string, string) (string, error) {
	return "rp", nil
}

func (fakeRouting) RoutingSnapshot(context.Context, string) (routing.Snapshot, error) {
	return routing.Snapshot{
		Queues: []routing.Queue{{ID: "q-support"}, {ID: "q-billing"}},
		Profiles: []routing.RoutingProfile{{ID: "rp", MediaConcurrencies: []routing.MediaConcurrency{{Channel: "TASK", Concurrency: 1}, {Channel: "CHAT", Concurrency: 2}},
			Queues: []routing.ProfileQueue{{QueueID: "q-support", Channel: "TASK", Priority: 1}, {QueueID: "q-support", Channel: "CHAT", Priority: 1}}}},
	}, nil
}

type fakeFunctions struct{ calls []extfn.Event }

func (f *fakeFunctions) Invoke(_ context.Context, inst, arn string, e extfn.Event, _ time.Duration, _ extfn.ResponseMode) (extfn.Result, error) {
	f.calls = append(f.calls, e)
	return extfn.Result{Values: map[string]string{"tier": "gold"}}, nil
}

type recorder struct {
	mu  sync.Mutex
	evs []routing.Event
	ch  chan routing.Event
}

func (r *recorder) Notify(_ string, evs []routing.Event) {
	for _, e := range evs {
		r.ch <- e
	}
}

func (r *recorder) next(t *testing.T, typ routing.EventType) routing.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-r.ch:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

type chatSink struct {
	mu    sync.Mutex
	msgs  []string
	opts  [][]string // the options of each message that had some
	ended []string
}

func (c *chatSink) PostFlowMessages(_ context.Context, _, _ string, ms []flow.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range ms {
		c.msgs = append(c.msgs, m.Text)
		if len(m.Options) > 0 {
			c.opts = append(c.opts, m.Options)
		}
	}
	return nil
}

func (c *chatSink) EndChat(_ context.Context, _, id, _ string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = append(c.ended, id)
	return nil
}

type env struct {
	st    store.Store
	m     *lifecycle.Manager
	fns   *fakeFunctions
	notes *recorder
	chat  *chatSink
	stop  func()
}

func open(t *testing.T, path string, sealer sqlstore.Sealer, configure ...func(*lifecycle.Config)) *env {
	t.Helper()
	return openWith(t, path, sealer, configure...)
}

// openWith is open with a last say on the manager's configuration.
func openWith(t *testing.T, path string, sealer sqlstore.Sealer, configure ...func(*lifecycle.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlstore.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, fns: &fakeFunctions{}, notes: &recorder{ch: make(chan routing.Event, 1000)}, chat: &chatSink{}}
	cfg := lifecycle.Config{Store: st, Region: "us-east-1", AccountID: "123456789012", Functions: e.fns,
		Routing: fakeRouting{}, Notifier: e.notes, Chat: e.chat}
	for _, c := range configure {
		if c != nil {
			c(&cfg)
		}
	}
	m, err := lifecycle.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	<-m.Ready()
	e.m = m
	var once sync.Once
	e.stop = func() { once.Do(func() { cancel(); <-done; st.Close() }) }
	t.Cleanup(e.stop)
	return e
}

func seed(t *testing.T, st store.Store) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for id, content := range map[string]string{"task-flow": taskFlow, "chat-flow": chatFlow} {
		if _, probs, err := flow.Load([]byte(content), flow.DefaultLimits()); err != nil {
			t.Fatalf("flow %s: %v %v", id, err, probs)
		}
	}
	err := st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, instance.Instance{ID: instID, Alias: "life", IdentityManagementType: instance.IdentityManagementConnectManaged,
			Status: instance.StatusActive, CreatedTime: now, Tags: map[string]string{}}); err != nil {
			return err
		}
		for id, content := range map[string]string{"task-flow": taskFlow, "chat-flow": chatFlow} {
			if err := tx.CreateFlowRecord(ctx, flow.Record{InstanceID: instID, ID: id, Kind: flow.KindFlow, Name: id, Type: "CONTACT_FLOW",
				State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content, Version: 1, Tags: map[string]string{}, LastModified: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func waitState(t *testing.T, e *env, id string, want contact.State) contact.Contact {
	t.Helper()
	var c contact.Contact
	for range 500 {
		_ = e.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			c, _ = tx.GetContact(ctx, instID, id)
			return nil
		})
		if c.State == want {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("contact %s is %s, want %s", id, c.State, want)
	return c
}

func ev(op string) *audit.Event {
	return &audit.Event{Code: "test." + op, Actor: "operator:test", Operation: op}
}

// TestTaskThroughQueueToRecord follows a task from StartContact through its flow (attributes,
// an external function, a queue transfer), an offer, accept, agent end, after-contact work,
// to the contact record.
func TestTaskThroughQueueToRecord(t *testing.T) {
	dir := t.TempDir()
	sealer := storetest.NewSealer(t)
	e := open(t, filepath.Join(dir, "db"), sealer)
	seed(t, e.st)
	ctx := context.Background()
	if _, err := e.m.AgentStatus(ctx, instID, "agent-1", "rp", routing.Available()); err != nil {
		t.Fatalf("AgentStatus: %v", err)
	}
	c := contact.Contact{InstanceID: instID, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI, Name: "Refund 42", FlowID: "task-flow"}
	if err := e.m.StartContact(ctx, ev("StartTaskContact"), c); err != nil {
		t.Fatalf("StartContact: %v", err)
	}
	offer := e.notes.next(t, routing.EventOfferMade)
	if offer.AgentID != "agent-1" {
		t.Fatalf("offer to %q", offer.AgentID)
	}
	id := offer.ContactID
	got := waitState(t, e, id, contact.StateOffered)
	if got.Attributes["stage"] != "triage" || got.Attributes["tier"] != "gold" || got.Queue.QueueID != "q-support" {
		t.Errorf("attributes/queue after flow: %v queue %q", got.Attributes, got.Queue.QueueID)
	}
	if len(e.fns.calls) != 1 || e.fns.calls[0].Details.Parameters["who"] != "Refund 42" || e.fns.calls[0].Details.ContactData.ContactID != id {
		t.Errorf("function calls: %+v", e.fns.calls)
	}
	// The flow log is stored, in order, with the card number redacted.
	var logs []contact.FlowLog
	_ = e.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		logs, _ = tx.ListFlowLogs(ctx, instID, id, 0, 100)
		return nil
	})
	if len(logs) < 5 {
		t.Fatalf("flow logs: %d entries", len(logs))
	}
	for _, l := range logs {
		if strings.Contains(string(l.Entry), "4111 1111") {
			t.Errorf("flow log holds a card number: %s", l.Entry)
		}
	}
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-2", offer.Offer.ID); err == nil {
		t.Error("another agent accepted the offer")
	}
	if _, err := e.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	waitState(t, e, id, contact.StateConnected)
	if err := e.m.EndByAgent(ctx, ev("EndContact"), instID, "agent-1", id); err != nil {
		t.Fatalf("EndByAgent: %v", err)
	}
	waitState(t, e, id, contact.StateAfterContactWork)
	if err := e.m.CompleteAfterContactWork(ctx, ev("CompleteACW"), instID, "agent-1", id); err != nil {
		t.Fatalf("CompleteAfterContactWork: %v", err)
	}
	done := waitState(t, e, id, contact.StateEnded)
	if done.DisconnectReason != "AGENT_DISCONNECT" || done.Agent.AfterContactWorkEndTimestamp.IsZero() {
		t.Errorf("ended contact: %+v", done)
	}
	var recs []contact.RecordEntry
	_ = e.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		recs, _ = tx.ListContactRecords(ctx, 0, 10)
		return nil
	})
	if len(recs) != 1 {
		t.Fatalf("records: %d", len(recs))
	}
	var rec contact.Record
	if err := json.Unmarshal(recs[0].Body, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.ContactID != id || rec.Agent == nil || rec.Queue == nil || rec.Channel != contact.ChannelTask || rec.InitiationMethod != contact.InitiationAPI ||
		rec.Attributes["tier"] != "gold" || *rec.DisconnectReason != "AGENT_DISCONNECT" {
		t.Errorf("record: %s", recs[0].Body)
	}
	// The agent is routable again.
	view, err := e.m.Agent(ctx, instID, "agent-1")
	if err != nil || view.Activity != routing.ActivityAvailable {
		t.Errorf("agent after ACW: %+v, %v", view, err)
	}
}

// TestChatFlowResumesAfterRestart stops the node while a chat flow waits for input and
// answers it on a new node over the same database.
func TestChatFlowResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	sealer := storetest.NewSealer(t)
	path := filepath.Join(dir, "db")
	e := open(t, path, sealer)
	seed(t, e.st)
	ctx := context.Background()
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000c1", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "chat-flow"}
	if err := e.m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, c.ID, contact.StateInFlow)
	waitMessages(t, e, "Type 1 for orders", 1) // delivered after the step commits
	e.chat.mu.Lock()
	msgs := append([]string(nil), e.chat.msgs...)
	e.chat.mu.Unlock()
	if len(msgs) != 1 || msgs[0] != "Type 1 for orders" {
		t.Errorf("messages sent: %q", msgs)
	}
	e.stop()

	e2 := open(t, path, sealer)
	if err := e2.m.CustomerInput(ctx, instID, c.ID, "1"); err != nil {
		t.Fatalf("CustomerInput after restart: %v", err)
	}
	done := waitState(t, e2, c.ID, contact.StateEnded)
	if done.Attributes["topic"] != "orders" || done.DisconnectReason != "CONTACT_FLOW_DISCONNECT" {
		t.Errorf("after resume: %+v", done)
	}
	if err := e2.m.CustomerInput(ctx, instID, c.ID, "1"); err == nil {
		t.Error("input accepted by an ended contact")
	}
	e2.chat.mu.Lock()
	defer e2.chat.mu.Unlock()
	if len(e2.chat.ended) != 1 {
		t.Errorf("chat ended %d times", len(e2.chat.ended))
	}
}

// TestStopQueuedContact stops a queued contact: it leaves the router and gets a record.
func TestStopQueuedContact(t *testing.T) {
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t))
	seed(t, e.st)
	ctx := context.Background()
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000d1", InstanceID: instID, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI, Name: "x", FlowID: "task-flow"}
	if err := e.m.StartContact(ctx, ev("StartTaskContact"), c); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, c.ID, contact.StateQueued)
	if err := e.m.Stop(ctx, ev("StopContact"), instID, c.ID, "API"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	got := waitState(t, e, c.ID, contact.StateEnded)
	if got.DisconnectReason != "API" || got.Queue.DequeueTimestamp.IsZero() {
		t.Errorf("stopped: %+v", got)
	}
	if err := e.m.Stop(ctx, ev("StopContact"), instID, c.ID, "API"); err == nil {
		t.Error("stopping twice succeeded")
	}
	// An agent who logs in now is offered nothing.
	if _, err := e.m.AgentStatus(ctx, instID, "agent-9", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-e.notes.ch:
		if ev.Type == routing.EventOfferMade {
			t.Errorf("offer after stop: %+v", ev)
		}
	case <-time.After(100 * time.Millisecond):
	}
}

// countingStore counts the read transactions the Manager opens.
type countingStore struct {
	store.Store
	views atomic.Int64
}

func (c *countingStore) View(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	c.views.Add(1)
	return c.Store.View(ctx, ev, fn)
}

// TestCustomerInputWithoutWait: a chat message to a contact whose flow waits for input answers
// it; one to a queued chat (its flow done) is refused with InvalidRequestException without a
// store read, since the contact's worker knows its committed session waits for nothing.
func TestCustomerInputWithoutWait(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"), sqlstore.Options{Sealer: storetest.NewSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st)
	cs := &countingStore{Store: st}
	m, err := lifecycle.New(lifecycle.Config{Store: cs, Region: "us-east-1", AccountID: "123456789012", Functions: &fakeFunctions{},
		Routing: fakeRouting{}, Chat: &chatSink{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-m.Ready()
	e := &env{st: st}

	asking := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e1", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "chat-flow"}
	queued := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e2", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "task-flow"}
	for _, c := range []contact.Contact{asking, queued} {
		if err := m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
			t.Fatal(err)
		}
	}
	waitState(t, e, asking.ID, contact.StateInFlow)
	waitState(t, e, queued.ID, contact.StateQueued)

	// The count is of the whole store, so work of the manager's own (the queued chat's
	// customer queue flow, the other contact's flow) can land inside one attempt; a read by
	// the call itself would land in every attempt, so the fewest reads of five must be 0.
	fewest := int64(-1)
	for range 5 {
		before := cs.views.Load()
		err = m.CustomerInput(ctx, instID, queued.ID, "hello")
		if !apierr.HasCode(err, apierr.CodeInvalidRequest) {
			t.Errorf("input to a queued chat: %v, want InvalidRequestException", err)
		}
		if n := cs.views.Load() - before; fewest < 0 || n < fewest {
			fewest = n
		}
		if fewest == 0 {
			break
		}
	}
	if fewest != 0 {
		t.Errorf("input to a queued chat read the store %d times (fewest of five attempts)", fewest)
	}
	if err := m.CustomerInput(ctx, instID, asking.ID, "1"); err != nil {
		t.Fatalf("input to a flow waiting for it: %v", err)
	}
	if got := waitState(t, e, asking.ID, contact.StateEnded); got.Attributes["topic"] != "orders" {
		t.Errorf("after the answer: %+v", got.Attributes)
	}
}
