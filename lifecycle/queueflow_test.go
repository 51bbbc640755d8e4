package lifecycle_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/storetest"
)

const queueARN = "arn:aws:connect:us-east-1:123456789012:instance/" + instID + "/queue/q-support"

// hookedFlow names its own customer queue flow, then queues the chat.
const hookedFlow = `{"Version":"2019-10-30","StartAction":"q","Actions":[
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"` + queueARN + `"},"Transitions":{"NextAction":"hook","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"hook","Type":"UpdateContactEventHooks","Parameters":{"EventHooks":{"CustomerQueue":"arn:aws:connect:us-east-1:123456789012:instance/` + instID + `/contact-flow/looping-queue"}},
  "Transitions":{"NextAction":"xfer","Errors":[{"NextAction":"xfer","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// plainQueueFlow queues the chat without naming a queue flow.
const plainQueueFlow = `{"Version":"2019-10-30","StartAction":"q","Actions":[
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"` + queueARN + `"},"Transitions":{"NextAction":"xfer","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// loopingQueue tells the customer to wait every second, like the Chat queue sample.
const loopingQueue = `{"Version":"2019-10-30","StartAction":"say","Metadata":{"type":"customerQueue"},"Actions":[
 {"Identifier":"say","Type":"MessageParticipant","Parameters":{"Text":"Still waiting"},"Transitions":{"NextAction":"pause","Errors":[{"NextAction":"pause","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"pause","Type":"Wait","Parameters":{"TimeLimitSeconds":"1"},"Transitions":{"NextAction":"say","Errors":[{"NextAction":"say","ErrorType":"NoMatchingError"}]}}]}`

// defaultQueue is the instance's default customer queue flow: it gives up on the customer.
const defaultQueue = `{"Version":"2019-10-30","StartAction":"say","Metadata":{"type":"customerQueue"},"Actions":[
 {"Identifier":"say","Type":"MessageParticipant","Parameters":{"Text":"Nobody is free, goodbye"},"Transitions":{"NextAction":"bye","Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"bye","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

func seedFlows(t *testing.T, st store.Store, flows map[string][2]string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		for id, f := range flows {
			if _, _, err := flow.Load([]byte(f[1]), flow.DefaultLimits()); err != nil {
				return err
			}
			name, typ := id, "CONTACT_FLOW"
			if strings.HasPrefix(f[0], "CUSTOMER_QUEUE") {
				typ = "CUSTOMER_QUEUE"
				if f[0] == "CUSTOMER_QUEUE default" {
					name = lifecycle.DefaultCustomerQueueFlowName
				}
			}
			if err := tx.CreateFlowRecord(ctx, flow.Record{InstanceID: instID, ID: id, Kind: flow.KindFlow, Name: name, Type: typ,
				State: "ACTIVE", Status: "PUBLISHED", Content: f[1], SavedContent: f[1], Version: 1, Tags: map[string]string{}, LastModified: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (c *chatSink) count(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if m == text {
			n++
		}
	}
	return n
}

func waitMessages(t *testing.T, e *env, text string, n int) {
	t.Helper()
	for range 1000 {
		if e.chat.count(text) >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%q was sent %d times, want at least %d", text, e.chat.count(text), n)
}

// TestCustomerQueueFlow: a chat queued by its flow hears the customer queue flow the flow
// named, again and again while it waits, also across a restart; once an agent is connected
// the queue flow is gone.
func TestCustomerQueueFlow(t *testing.T) {
	sealer := storetest.NewSealer(t)
	path := filepath.Join(t.TempDir(), "db")
	e := open(t, path, sealer)
	seed(t, e.st)
	seedFlows(t, e.st, map[string][2]string{"hooked": {"CONTACT_FLOW", hookedFlow}, "looping-queue": {"CUSTOMER_QUEUE", loopingQueue}})
	ctx := context.Background()
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e1", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "hooked"}
	if err := e.m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, c.ID, contact.StateQueued)
	waitMessages(t, e, "Still waiting", 2)
	// A customer message while the queue flow waits is only part of the transcript.
	if err := e.m.CustomerInput(ctx, instID, c.ID, "hello?"); !apierr.HasCode(err, apierr.CodeInvalidRequest) {
		t.Errorf("CustomerInput while queued: %v, want InvalidRequestException", err)
	}
	e.stop()

	e2 := open(t, path, sealer)
	waitMessages(t, e2, "Still waiting", 1) // the waiting queue flow's timer is back
	if got := waitState(t, e2, c.ID, contact.StateQueued); got.Queue.QueueID != "q-support" {
		t.Errorf("queue after restart: %q", got.Queue.QueueID)
	}
	if _, err := e2.m.AgentStatus(ctx, instID, "agent-1", "rp", routing.Available()); err != nil {
		t.Fatal(err)
	}
	offer := e2.notes.next(t, routing.EventOfferMade)
	if _, err := e2.m.Accept(ctx, ev("AcceptOffer"), instID, "agent-1", offer.Offer.ID); err != nil {
		t.Fatal(err)
	}
	waitState(t, e2, c.ID, contact.StateConnected)
	err := e2.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetFlowSession(ctx, instID, c.ID)
		return err
	})
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("flow session after the agent connected: %v, want none", err)
	}
}

// TestDefaultCustomerQueueFlow: without a hook the instance's "Default customer queue" runs;
// one that disconnects ends the contact.
func TestDefaultCustomerQueueFlow(t *testing.T) {
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t))
	seed(t, e.st)
	seedFlows(t, e.st, map[string][2]string{"plain": {"CONTACT_FLOW", plainQueueFlow}, "dq": {"CUSTOMER_QUEUE default", defaultQueue}})
	ctx := context.Background()
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e2", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "plain"}
	if err := e.m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
		t.Fatal(err)
	}
	got := waitState(t, e, c.ID, contact.StateEnded)
	if got.DisconnectReason != "CONTACT_FLOW_DISCONNECT" || got.Queue.DequeueTimestamp.IsZero() {
		t.Errorf("after the queue flow disconnected: %+v", got)
	}
	if e.chat.count("Nobody is free, goodbye") != 1 {
		t.Errorf("messages: %q", e.chat.msgs)
	}
	// A task gets no customer queue flow.
	task := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e3", InstanceID: instID, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI, Name: "t", FlowID: "plain"}
	if err := e.m.StartContact(ctx, ev("StartTaskContact"), task); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, task.ID, contact.StateQueued)
}

// TestMenuOptions: a menu prompt carries its choices for chat clients that show buttons.
func TestMenuOptions(t *testing.T) {
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t))
	seed(t, e.st)
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e4", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "chat-flow"}
	if err := e.m.StartContact(context.Background(), ev("StartChatContact"), c); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, c.ID, contact.StateInFlow)
	waitMessages(t, e, "Type 1 for orders", 1)
	e.chat.mu.Lock()
	defer e.chat.mu.Unlock()
	if len(e.chat.opts) != 1 || strings.Join(e.chat.opts[0], ",") != "1" {
		t.Errorf("options sent with the prompt: %q", e.chat.opts)
	}
}

// TestChatExpiry: a chat past its duration is ended by the sweeper with DisconnectReason
// EXPIRED, also when it expired while the node was down.
func TestChatExpiry(t *testing.T) {
	sealer := storetest.NewSealer(t)
	path := filepath.Join(t.TempDir(), "db")
	e := open(t, path, sealer)
	seed(t, e.st)
	ctx := context.Background()
	start := func(e *env, id string) {
		t.Helper()
		c := contact.Contact{ID: id, InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "chat-flow"}
		if err := e.m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
			t.Fatal(err)
		}
		waitState(t, e, id, contact.StateInFlow)
		now := time.Now().UTC().Truncate(time.Millisecond)
		// The chat's duration ran out a second ago.
		if err := e.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateChat(ctx, chat.Chat{InstanceID: instID, ContactID: id, InitialContactID: id,
				SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: now.Add(-time.Hour), ExpiresTime: now.Add(-time.Second)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	live := "c0000000-0000-4000-8000-0000000000f1"
	start(e, live)
	if err := e.m.SweepExpiredChats(ctx); err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, e, live, contact.StateEnded); got.DisconnectReason != "EXPIRED" {
		t.Errorf("expired chat: %+v", got)
	}
	e.chat.mu.Lock()
	ended := strings.Join(e.chat.ended, ",")
	e.chat.mu.Unlock()
	if !strings.Contains(ended, live) {
		t.Errorf("chats ended: %q", ended)
	}

	// Expired while the node was down: ended when it starts.
	down := "c0000000-0000-4000-8000-0000000000f2"
	start(e, down)
	e.stop()
	e2 := open(t, path, sealer)
	if got := waitState(t, e2, down, contact.StateEnded); got.DisconnectReason != "EXPIRED" {
		t.Errorf("chat expired while down: %+v", got)
	}
}
