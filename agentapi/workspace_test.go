package agentapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/agentapi"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// pathFlow logs its blocks, sets an ordinary and a sensitive attribute, branches on the
// sensitive one (the second condition matches) and queues the contact in q-support.
func pathFlow(inst string) string {
	return `{"Version":"2019-10-30","StartAction":"logs","Actions":[
 {"Identifier":"logs","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"attrs"}},
 {"Identifier":"attrs","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"stage":"triage","secretNote":"do-not-show"}},
  "Transitions":{"NextAction":"check","Errors":[{"NextAction":"q","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"check","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.secretNote"},
  "Transitions":{"NextAction":"q","Conditions":[
    {"NextAction":"q","Condition":{"Operator":"Equals","Operands":["something-else"]}},
    {"NextAction":"q","Condition":{"Operator":"Equals","Operands":["do-not-show"]}}],
   "Errors":[{"NextAction":"q","ErrorType":"NoMatchingCondition"}]}},
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"arn:aws:connect:us-east-1:123456789012:instance/` + inst + `/queue/q-support"},
  "Transitions":{"NextAction":"xfer","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
}

// addFlow stores a published flow in instance A.
func (e *env) addFlow(id, name, content string) {
	e.t.Helper()
	if _, probs, err := flow.Load([]byte(content), flow.DefaultLimits()); err != nil {
		e.t.Fatalf("flow %s: %v %v", id, err, probs)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := e.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateFlowRecord(ctx, flow.Record{InstanceID: instA, ID: id, Kind: flow.KindFlow, Name: name, Type: "CONTACT_FLOW",
			State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content, Version: 1, Tags: map[string]string{}, LastModified: now})
	}); err != nil {
		e.t.Fatal(err)
	}
}

// startIn starts a task in instance A that runs flowID.
func (e *env) startIn(flowID string) string {
	e.t.Helper()
	id := agentapiNewID()
	c := contact.Contact{ID: id, InstanceID: instA, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI, Name: "Refund 42", FlowID: flowID}
	if err := e.m.StartContact(context.Background(), &audit.Event{Code: "test.StartContact", Actor: "operator:test", Operation: "StartContact"}, c); err != nil {
		e.t.Fatalf("StartContact: %v", err)
	}
	return id
}

// raw answers the body of a GET as user.
func (e *env) raw(user, path string) []byte {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("X-Test-User", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

type flowPath struct {
	FlowPath  []agentapi.FlowBlock
	NextToken string
}

// TestFlowPath: the agent handling a contact reads the blocks its flow ran, with the branch
// each took, and nothing of the values the flow log holds (parameters, results, attribute
// values, the operand a condition matched); pages follow NextToken; nobody else reaches it.
func TestFlowPath(t *testing.T) {
	e := newEnv(t)
	e.addFlow("path-flow", "Refund line", pathFlow(instA))
	ws := e.dial("agent1")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startIn("path-flow")
	offer := ws.next(string(routing.EventOfferMade))
	path := "/agent/v1/contacts/" + id + "/flow-path"

	// The stored log (written once the flow waits) holds the values the path must not show.
	var stored []byte
	for range 500 {
		var logs []contact.FlowLog
		_ = e.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			logs, _ = tx.ListFlowLogs(ctx, instA, id, 0, 100)
			return nil
		})
		if len(logs) == 6 {
			for _, l := range logs {
				stored = append(stored, l.Entry...)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !bytes.Contains(stored, []byte("triage")) || !bytes.Contains(stored, []byte("do-not-show")) {
		t.Fatalf("the stored flow log does not hold what the test checks is left out: %s", stored)
	}

	// Offered: the agent may read the path.
	var got flowPath
	e.want("agent1", "GET", path, nil, &got, 200, "")
	var blocks []string
	for _, b := range got.FlowPath {
		blocks = append(blocks, b.Identifier+" "+b.Type+" "+b.Branch)
		if b.ContactFlowName != "Refund line" || b.ContactFlowId != "path-flow" || b.Timestamp == "" {
			t.Errorf("block %+v", b)
		}
	}
	want := []string{
		"logs UpdateFlowLoggingBehavior NextAction",
		"attrs UpdateContactAttributes NextAction",
		"check Compare Condition:2",
		"q UpdateContactTargetQueue NextAction",
		"xfer TransferContactToQueue Wait:queue",
		"xfer TransferContactToQueue End:queued",
	}
	if diff := cmp.Diff(want, blocks); diff != "" {
		t.Errorf("flow path (-want +got):\n%s", diff)
	}
	if got.NextToken != "" {
		t.Errorf("a short path carries NextToken %q", got.NextToken)
	}
	body := e.raw("agent1", path)
	for _, bad := range []string{"triage", "do-not-show", "something-else", "Parameters", "Results", "hmac-sha256", "arn:aws"} {
		if bytes.Contains(body, []byte(bad)) {
			t.Errorf("flow path answer holds %q: %s", bad, body)
		}
	}

	// Pages of two follow each other.
	var pages []string
	tok := ""
	for range 10 {
		var p flowPath
		q := "?MaxResults=2"
		if tok != "" {
			q += "&NextToken=" + tok
		}
		e.want("agent1", "GET", path+q, nil, &p, 200, "")
		for _, b := range p.FlowPath {
			pages = append(pages, b.Identifier)
		}
		if tok = p.NextToken; tok == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{"logs", "attrs", "check", "q", "xfer", "xfer"}, pages); diff != "" {
		t.Errorf("paged flow path (-want +got):\n%s", diff)
	}
	e.want("agent1", "GET", path+"?MaxResults=0", nil, nil, 400, "InvalidParameterException")
	e.want("agent1", "GET", path+"?MaxResults=501", nil, nil, 400, "InvalidParameterException")
	e.want("agent1", "GET", path+"?NextToken=-3", nil, nil, 400, "InvalidParameterException")

	// Nobody else: another agent, another instance, no BasicAgentAccess.
	e.want("agent2", "GET", path, nil, nil, 404, "ResourceNotFoundException")
	e.want("agentb", "GET", path, nil, nil, 404, "ResourceNotFoundException")
	e.want("clerk", "GET", path, nil, nil, 403, "AccessDeniedException")

	// Connected, in after-contact work: still the agent's; ended: nobody's.
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, nil, 200, "")
	e.waitContact("agent1", id, contact.StateConnected)
	e.want("agent1", "GET", path, nil, nil, 200, "")
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/end", nil, nil, 200, "")
	e.want("agent1", "GET", path, nil, nil, 200, "")
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/acw/complete", nil, nil, 200, "")
	e.want("agent1", "GET", path, nil, nil, 404, "ResourceNotFoundException")

	// A contact whose flow does not log has an empty path.
	ws.next(string(routing.EventAgentStateChanged))
	quiet := e.startIn("queue-flow")
	ws.next(string(routing.EventOfferMade))
	got = flowPath{}
	e.want("agent1", "GET", "/agent/v1/contacts/"+quiet+"/flow-path", nil, &got, 200, "")
	if len(got.FlowPath) != 0 {
		t.Errorf("path of a flow without logging: %+v", got.FlowPath)
	}
	found := false
	for _, ev := range auditEvents(t, e.st) {
		if ev.Code == "agentapi.GetContactFlowPath" && ev.Resource == id && ev.Actor == "user:"+instA+"/agent2" && ev.Outcome == audit.OutcomeFailure {
			found = true
		}
	}
	if !found {
		t.Error("no audit event for agent2's refused flow path")
	}
}

// TestTransferDestinations: the quick connects an agent may transfer with (those of the
// queues of its routing profile, its default outbound queue included, each once; not
// PHONE_NUMBER, not the USER one naming the agent itself) and the enabled queues, by name; an
// agent of another instance sees none of instance A's.
func TestTransferDestinations(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := e.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateHours(ctx, routing.HoursRecord{InstanceID: instA, ID: "hours", Name: "Always", TimeZone: "UTC", Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		for _, q := range []routing.QueueRecord{
			{Queue: routing.Queue{ID: "q-support", Status: routing.QueueEnabled}, Name: "Support"},
			{Queue: routing.Queue{ID: "q-billing", Status: routing.QueueEnabled}, Name: "billing"},
			{Queue: routing.Queue{ID: "q-old", Status: routing.QueueDisabled}, Name: "Old"},
		} {
			q.InstanceID, q.HoursOfOperationID, q.Tags, q.LastModified = instA, "hours", map[string]string{}, now
			if err := tx.CreateQueue(ctx, q); err != nil {
				return err
			}
		}
		for _, q := range []routing.QuickConnectRecord{
			{ID: "qc-flow", Name: "Callback flow", Description: "asks for a time", Type: routing.QuickConnectFlow, ContactFlowID: "queue-flow"},
			{ID: "qc-hidden", Name: "Hidden", Type: routing.QuickConnectFlow, ContactFlowID: "queue-flow"},
		} {
			q.InstanceID, q.Tags, q.LastModified = instA, map[string]string{}, now
			if err := tx.CreateQuickConnect(ctx, q); err != nil {
				return err
			}
		}
		// The agents' routing profile holds Support; its default outbound queue is Billing.
		// Quick connects of both queues are offered, those of other queues are not.
		if err := tx.CreateRoutingProfile(ctx, routing.RoutingProfileRecord{InstanceID: instA, Name: "Agents", Description: "agents",
			RoutingProfile: routing.RoutingProfile{ID: "rp", DefaultOutboundQueueID: "q-billing",
				MediaConcurrencies: []routing.MediaConcurrency{{Channel: "CHAT", Concurrency: 2}},
				Queues:             []routing.ProfileQueue{{QueueID: "q-support", Channel: "CHAT", Priority: 1}}},
			Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		for queue, qcs := range map[string][]string{"q-support": {"qc-billing", "qc-agent1", "qc-phone"}, "q-billing": {"qc-agent2", "qc-flow", "qc-billing"},
			"q-old": {"qc-hidden"}} {
			if err := tx.AssociateQueueQuickConnects(ctx, instA, queue, qcs); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var qcs struct{ QuickConnects []agentapi.QuickConnectOut }
	e.want("agent1", "GET", "/agent/v1/quick-connects", nil, &qcs, 200, "")
	want := []agentapi.QuickConnectOut{
		{QuickConnectId: "qc-agent2", Name: "Agent two", QuickConnectType: routing.QuickConnectUser},
		{QuickConnectId: "qc-billing", Name: "Billing", QuickConnectType: routing.QuickConnectQueue},
		{QuickConnectId: "qc-flow", Name: "Callback flow", QuickConnectType: routing.QuickConnectFlow, Description: "asks for a time"},
	}
	if diff := cmp.Diff(want, qcs.QuickConnects); diff != "" {
		t.Errorf("agent1's quick connects (-want +got):\n%s", diff)
	}
	qcs.QuickConnects = nil
	e.want("agent2", "GET", "/agent/v1/quick-connects", nil, &qcs, 200, "")
	if len(qcs.QuickConnects) != 3 || qcs.QuickConnects[0].QuickConnectId != "qc-agent1" {
		t.Errorf("agent2's quick connects: %+v", qcs.QuickConnects)
	}
	var queues struct{ Queues []agentapi.TransferQueueOut }
	e.want("agent1", "GET", "/agent/v1/transfer-queues", nil, &queues, 200, "")
	if diff := cmp.Diff([]agentapi.TransferQueueOut{{QueueId: "q-billing", Name: "billing"}, {QueueId: "q-support", Name: "Support"}}, queues.Queues); diff != "" {
		t.Errorf("transfer queues (-want +got):\n%s", diff)
	}
	for _, p := range []string{"/agent/v1/quick-connects", "/agent/v1/transfer-queues"} {
		if body := string(e.raw("agentb", p)); strings.Contains(body, "qc-") || strings.Contains(body, "q-") {
			t.Errorf("instance B's agent sees instance A's destinations at %s: %s", p, body)
		}
		e.want("clerk", "GET", p, nil, nil, 403, "AccessDeniedException")
	}
	// Every destination listed is one the transfer takes.
	ws := e.dial("agent1")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startTask(contact.ChannelTask)
	offer := ws.next(string(routing.EventOfferMade))
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, nil, 200, "")
	e.waitContact("agent1", id, contact.StateConnected)
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/transfer", map[string]string{"QueueId": queues.Queues[0].QueueId}, nil, 200, "")
}

// TestHistoryKeepsTransferredContacts: a contact the agent transferred away stays in its
// history, marked TransferredAway, with the time this agent was connected; the agent that
// took it over lists it too.
func TestHistoryKeepsTransferredContacts(t *testing.T) {
	e := newEnv(t)
	ws1, ws2 := e.dial("agent1"), e.dial("agent2")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startTask(contact.ChannelTask)
	offer := ws1.next(string(routing.EventOfferMade))
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, nil, 200, "")
	first := e.waitContact("agent1", id, contact.StateConnected)
	e.want("agent2", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/transfer", map[string]string{"QuickConnectId": "qc-agent2"}, nil, 200, "")
	offer2 := ws2.next(string(routing.EventOfferMade))
	e.want("agent2", "POST", "/agent/v1/offers/"+offer2.OfferId+"/accept", nil, nil, 200, "")
	e.waitContact("agent2", id, contact.StateConnected)
	// agent1, still wrapping it up, may read it; then it completes.
	e.want("agent1", "GET", "/agent/v1/contacts/"+id, nil, nil, 200, "")
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/acw/complete", nil, nil, 200, "")

	type history struct {
		Contacts  []agentapi.HistoryItem
		NextToken string
	}
	var h1, h2 history
	e.want("agent1", "GET", "/agent/v1/history", nil, &h1, 200, "")
	if len(h1.Contacts) != 1 {
		t.Fatalf("agent1 history: %+v", h1)
	}
	it := h1.Contacts[0]
	if it.ContactId != id || !it.TransferredAway || it.State != contact.StateConnected || it.ConnectedToAgentTimestamp != first.ConnectedToAgentTimestamp {
		t.Errorf("agent1's history item: %+v (connected at %s)", it, first.ConnectedToAgentTimestamp)
	}
	e.want("agent2", "GET", "/agent/v1/history", nil, &h2, 200, "")
	if len(h2.Contacts) != 1 || h2.Contacts[0].ContactId != id || h2.Contacts[0].TransferredAway || h2.Contacts[0].ConnectedToAgentTimestamp == first.ConnectedToAgentTimestamp {
		t.Errorf("agent2 history: %+v", h2)
	}
	var hb history
	e.want("agentb", "GET", "/agent/v1/history", nil, &hb, 200, "")
	if len(hb.Contacts) != 0 {
		t.Errorf("agent of instance B: %+v", hb)
	}
}

// TestAgentStateChangedWhileOnAnotherContact: an agent on two chats transfers one away and
// wraps it up while staying on the other: each change reaches its socket as
// AgentStateChanged with the lists, although its activity stays ON_CONTACT.
func TestAgentStateChangedWhileOnAnotherContact(t *testing.T) {
	e := newEnv(t)
	ws := e.dial("agent1")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	var ids []string
	for range 2 {
		id := e.startTask(contact.ChannelChat)
		offer := ws.next(string(routing.EventOfferMade))
		e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, nil, 200, "")
		ids = append(ids, id)
	}
	// waitState reads AgentStateChanged messages until one shows the lists wanted.
	waitState := func(step, want string) {
		t.Helper()
		last := ""
		for range 20 {
			m := ws.next(string(routing.EventAgentStateChanged))
			last = string(m.Agent.Activity) + ":"
			for _, c := range m.Agent.Contacts {
				last += " " + c.ContactId + "=" + string(c.State)
			}
			last += " acw"
			for _, a := range m.Agent.AfterContactWork {
				last += " " + a.ContactId
			}
			if last == want {
				return
			}
		}
		t.Fatalf("%s: AgentStateChanged never showed %q (last %q)", step, want, last)
	}
	waitState("both connected", "ON_CONTACT: "+ids[0]+"=CONNECTED "+ids[1]+"=CONNECTED acw")
	e.want("agent1", "POST", "/agent/v1/contacts/"+ids[0]+"/transfer", map[string]string{"QuickConnectId": "qc-billing"}, nil, 200, "")
	waitState("transferred", "ON_CONTACT: "+ids[1]+"=CONNECTED acw "+ids[0])
	e.want("agent1", "POST", "/agent/v1/contacts/"+ids[0]+"/acw/complete", nil, nil, 200, "")
	waitState("wrapped up", "ON_CONTACT: "+ids[1]+"=CONNECTED acw")
}
