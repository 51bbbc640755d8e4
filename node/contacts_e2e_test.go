package node_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// offerWatch collects the router's events for tests.
type offerWatch struct {
	mu sync.Mutex
	ch chan routing.Event
}

func (w *offerWatch) Notify(_ string, evs []routing.Event) {
	for _, e := range evs {
		select {
		case w.ch <- e:
		default:
		}
	}
}

func (w *offerWatch) next(t *testing.T, typ routing.EventType, contactID string) routing.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case e := <-w.ch:
			if e.Type == typ && (contactID == "" || e.ContactID == contactID) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event for %q", typ, contactID)
		}
	}
}

func flowIDByName(t *testing.T, c *connect.Client, inst, name string) string {
	t.Helper()
	out, err := c.ListContactFlows(context.Background(), &connect.ListContactFlowsInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.ContactFlowSummaryList {
		if aws.ToString(f.Name) == name {
			return aws.ToString(f.Id)
		}
	}
	t.Fatalf("no flow %q", name)
	return ""
}

func availableStatus(t *testing.T, c *connect.Client, inst string) string {
	t.Helper()
	al, err := c.ListAgentStatuses(context.Background(), &connect.ListAgentStatusesInput{InstanceId: aws.String(inst), AgentStatusTypes: []types.AgentStatusType{types.AgentStatusTypeRoutable}})
	if err != nil || len(al.AgentStatusSummaryList) == 0 {
		t.Fatalf("ListAgentStatuses: %v", err)
	}
	return aws.ToString(al.AgentStatusSummaryList[0].Id)
}

// TestSDKTaskOnFreshInstance starts a task on a freshly bootstrapped instance with the Go
// SDK: the default inbound flow queues it on BasicQueue, the available agent gets the offer,
// accepts, ends it, completes after-contact work, and the contact record is in the outbox.
// DescribeContact, GetContactAttributes, UpdateContactAttributes, SearchContacts and
// ListContactReferences see it along the way.
func TestSDKTaskOnFreshInstance(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	rt, err := tn.n.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	watch := &offerWatch{ch: make(chan routing.Event, 100)}
	rt.AddNotifier(watch)

	agent := createAgentUser(t, c, inst, "agent.task")
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(agent), AgentStatusId: aws.String(availableStatus(t, c, inst))}); err != nil {
		t.Fatalf("PutUserStatus: %v", err)
	}
	flowID := flowIDByName(t, c, inst, "Sample inbound flow")
	before := time.Now().Add(-time.Minute)
	started, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
		Name: aws.String("Call back Ms. Doe"), Description: aws.String("About invoice 42"),
		References: map[string]types.Reference{"ticket": {Type: types.ReferenceTypeUrl, Value: aws.String("https://tickets.example.com/42")}},
		Attributes: map[string]string{"tier": "gold", "temp": "x"}})
	if err != nil {
		t.Fatalf("StartTaskContact: %v", err)
	}
	id := aws.ToString(started.ContactId)
	offer := watch.next(t, routing.EventOfferMade, id)
	if offer.AgentID != agent {
		t.Fatalf("offered to %q, want %q", offer.AgentID, agent)
	}
	waitContact(t, tn, inst, id, contact.StateOffered)
	desc, err := c.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id)})
	if err != nil || desc.Contact.Channel != types.ChannelTask || aws.ToString(desc.Contact.Name) != "Call back Ms. Doe" || desc.Contact.QueueInfo == nil {
		t.Fatalf("DescribeContact = %+v, %v", desc, err)
	}
	if _, err := c.UpdateContactAttributes(ctx, &connect.UpdateContactAttributesInput{InstanceId: aws.String(inst), InitialContactId: aws.String(id),
		Attributes: map[string]string{"temp": "", "step": "offered"}}); err != nil {
		t.Fatalf("UpdateContactAttributes: %v", err)
	}
	attrs, err := c.GetContactAttributes(ctx, &connect.GetContactAttributesInput{InstanceId: aws.String(inst), InitialContactId: aws.String(id)})
	if err != nil || attrs.Attributes["tier"] != "gold" || attrs.Attributes["step"] != "offered" || attrs.Attributes["temp"] != "" {
		t.Fatalf("GetContactAttributes = %v, %v", attrs.Attributes, err)
	}
	refs, err := c.ListContactReferences(ctx, &connect.ListContactReferencesInput{InstanceId: aws.String(inst), ContactId: aws.String(id), ReferenceTypes: []types.ReferenceType{types.ReferenceTypeUrl}})
	if err != nil || len(refs.ReferenceSummaryList) != 1 {
		t.Fatalf("ListContactReferences = %+v, %v", refs, err)
	}
	if u, ok := refs.ReferenceSummaryList[0].(*types.ReferenceSummaryMemberUrl); !ok || aws.ToString(u.Value.Value) != "https://tickets.example.com/42" {
		t.Errorf("reference = %#v", refs.ReferenceSummaryList[0])
	}

	ev := func(op string) *audit.Event {
		return &audit.Event{Code: "test." + op, Actor: "user:" + agent, Operation: op}
	}
	if _, err := rt.Contacts.Accept(ctx, ev("AcceptOffer"), inst, agent, offer.Offer.ID); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	watch.next(t, routing.EventContactConnected, id)
	waitContact(t, tn, inst, id, contact.StateConnected)
	if err := rt.Contacts.EndByAgent(ctx, ev("EndContact"), inst, agent, id); err != nil {
		t.Fatalf("EndByAgent: %v", err)
	}
	if err := rt.Contacts.CompleteAfterContactWork(ctx, ev("CompleteACW"), inst, agent, id); err != nil {
		t.Fatalf("CompleteAfterContactWork: %v", err)
	}
	done := waitContact(t, tn, inst, id, contact.StateEnded)
	if !done.Agent.AfterContactWorkEndTimestamp.After(done.Agent.ConnectedToAgentTimestamp.Add(-time.Millisecond)) {
		t.Errorf("timestamps: %+v", done.Agent)
	}
	// The record is in the outbox with the timestamps in order.
	var recs []contact.RecordEntry
	_ = tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		recs, err = tx.ListContactRecords(ctx, 0, 100)
		return err
	})
	var rec contact.Record
	for _, r := range recs {
		if r.ContactID == id {
			if err := json.Unmarshal(r.Body, &rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rec.ContactID != id || rec.Agent == nil || rec.Queue == nil || rec.Attributes["step"] != "offered" || len(rec.References) != 1 {
		t.Fatalf("contact record = %+v", rec)
	}
	if rec.Agent.Username != "agent.task" || rec.Queue.Name != "BasicQueue" || rec.Agent.RoutingProfile == nil || rec.Agent.RoutingProfile.Name != "Basic Routing Profile" {
		t.Errorf("contact record names: agent %q, queue %q, routing profile %+v", rec.Agent.Username, rec.Queue.Name, rec.Agent.RoutingProfile)
	}
	if *rec.Queue.EnqueueTimestamp > *rec.Agent.ConnectedToAgentTimestamp || *rec.Agent.ConnectedToAgentTimestamp > *rec.Agent.AfterContactWorkEndTimestamp {
		t.Errorf("record timestamps out of order: %+v %+v", rec.Queue, rec.Agent)
	}
	// The node's file sink delivers the record to the day's JSON Lines file.
	delivered := false
	for range 300 {
		files, _ := filepath.Glob(filepath.Join(tn.dataDir, "contact-records", "*.jsonl"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			delivered = delivered || strings.Contains(string(b), `"ContactId":"`+id+`"`)
		}
		if delivered {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !delivered {
		t.Error("the contact record did not reach the JSON Lines sink")
	}
	found, err := c.SearchContacts(ctx, &connect.SearchContactsInput{InstanceId: aws.String(inst),
		TimeRange:      &types.SearchContactsTimeRange{Type: types.SearchContactsTimeRangeTypeInitiationTimestamp, StartTime: aws.Time(before), EndTime: aws.Time(time.Now().Add(time.Minute))},
		SearchCriteria: &types.SearchCriteria{Channels: []types.Channel{types.ChannelTask}, AgentIds: []string{agent}}})
	if err != nil || len(found.Contacts) != 1 || aws.ToString(found.Contacts[0].Id) != id {
		t.Fatalf("SearchContacts = %+v, %v", found, err)
	}
	_, err = c.StopContact(ctx, &connect.StopContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String("00000000-0000-4000-8000-000000000000"), Name: aws.String("x")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID), Name: aws.String("")})
	wantAPIError(t, err, "InvalidParameterException")
}

// TestSDKChatOnFreshInstance starts a chat with the Go SDK, connects as the customer with the
// participant API, reads the flow's greeting, and stops the contact.
func TestSDKChatOnFreshInstance(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	started, err := c.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst),
		ContactFlowId: aws.String(flowIDByName(t, c, inst, "Sample inbound flow")), ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")},
		InitialMessage: &types.ChatMessage{ContentType: aws.String("text/plain"), Content: aws.String("Hello, my card is 4111 1111 1111 1111")}})
	if err != nil {
		t.Fatalf("StartChatContact: %v", err)
	}
	pc := participantclient.New(tn.endpoint, tn.client)
	conn, err := pc.CreateParticipantConnection(ctx, aws.ToString(started.ParticipantToken), []string{"CONNECTION_CREDENTIALS", "WEBSOCKET"})
	if err != nil {
		t.Fatalf("CreateParticipantConnection: %v", err)
	}
	var texts []string
	for range 100 {
		items, err := pc.FullTranscript(ctx, conn.ConnectionCredentials.ConnectionToken)
		if err != nil {
			t.Fatal(err)
		}
		texts = texts[:0]
		for _, it := range items {
			if it.Type == "MESSAGE" {
				texts = append(texts, it.Content)
			}
		}
		if len(texts) >= 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	joined := strings.Join(texts, " | ")
	if !strings.Contains(joined, "Thank you for contacting us") || strings.Contains(joined, "4111 1111") || !strings.Contains(joined, "[CARD]") {
		t.Fatalf("transcript = %q", joined)
	}
	id := aws.ToString(started.ContactId)
	waitContact(t, tn, inst, id, contact.StateQueued)
	if _, err := c.StopContact(ctx, &connect.StopContactInput{InstanceId: aws.String(inst), ContactId: started.ContactId}); err != nil {
		t.Fatalf("StopContact: %v", err)
	}
	waitContact(t, tn, inst, id, contact.StateEnded)
	if _, err := pc.SendMessage(ctx, conn.ConnectionCredentials.ConnectionToken, "text/plain", "still there?", ""); err == nil {
		t.Error("a message was accepted after the chat ended")
	}
}

func waitContact(t *testing.T, tn *testNode, inst, id string, want contact.State) contact.Contact {
	t.Helper()
	var ct contact.Contact
	for range 500 {
		_ = tn.n.Store.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			ct, _ = tx.GetContact(ctx, inst, id)
			return nil
		})
		if ct.State == want {
			return ct
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("contact %s is %s, want %s", id, ct.State, want)
	return ct
}

// TestAWSCLIContacts starts a task with the AWS CLI, reads it back, changes an attribute and
// stops it, as the README shows.
func TestAWSCLIContacts(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	inst := tn.boot.InstanceID
	flowID := flowIDByName(t, tn.sdk(tn.boot.SecretAccessKey.Reveal()), inst, "Sample inbound flow")
	out, err := awsRun(t, bin, tn, "start-task-contact", "--instance-id", inst, "--contact-flow-id", flowID,
		"--name", "Call back Ms. Doe", "--references", "ticket={Value=https://tickets.example.com/42,Type=URL}", "--attributes", "tier=gold,temp=x")
	if err != nil {
		t.Fatalf("start-task-contact: %v: %s", err, out)
	}
	var started struct{ ContactId string }
	if err := json.Unmarshal(out, &started); err != nil || started.ContactId == "" {
		t.Fatalf("start-task-contact printed %s", out)
	}
	waitContact(t, tn, inst, started.ContactId, contact.StateQueued)
	if out, err := awsRun(t, bin, tn, "describe-contact", "--instance-id", inst, "--contact-id", started.ContactId); err != nil || !strings.Contains(string(out), `"Channel": "TASK"`) {
		t.Fatalf("describe-contact: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "update-contact-attributes", "--instance-id", inst, "--initial-contact-id", started.ContactId, "--attributes", "temp="); err != nil {
		t.Fatalf("update-contact-attributes: %v: %s", err, out)
	}
	out, err = awsRun(t, bin, tn, "get-contact-attributes", "--instance-id", inst, "--initial-contact-id", started.ContactId)
	if err != nil || !strings.Contains(string(out), `"tier": "gold"`) || strings.Contains(string(out), "temp") {
		t.Fatalf("get-contact-attributes: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "stop-contact", "--instance-id", inst, "--contact-id", started.ContactId); err != nil {
		t.Fatalf("stop-contact: %v: %s", err, out)
	}
	waitContact(t, tn, inst, started.ContactId, contact.StateEnded)
}
