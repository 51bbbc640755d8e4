package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// menuFlow asks the chat customer for a choice and waits; "1" sets the topic, thanks the
// customer and ends the contact.
const menuFlow = `{"Version":"2019-10-30","StartAction":"ask","Actions":[
 {"Identifier":"ask","Type":"GetParticipantInput","Parameters":{"Text":"Type 1 for orders","StoreInput":"False","InputTimeLimitSeconds":"180"},
  "Transitions":{"NextAction":"end","Errors":[{"ErrorType":"InputTimeLimitExceeded","NextAction":"end"},{"ErrorType":"NoMatchingCondition","NextAction":"end"},{"ErrorType":"NoMatchingError","NextAction":"end"}],
  "Conditions":[{"NextAction":"topic","Condition":{"Operator":"Equals","Operands":["1"]}}]}},
 {"Identifier":"topic","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"topic":"orders"}},
  "Transitions":{"NextAction":"thanks","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"thanks","Type":"MessageParticipant","Parameters":{"Text":"Thanks, an orders specialist will follow up."},
  "Transitions":{"NextAction":"end","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// waitTranscript polls the customer's transcript until it holds a message containing want.
func waitTranscript(t *testing.T, pc *participantclient.Client, connToken, want string) {
	t.Helper()
	var texts []string
	for range 250 {
		items, err := pc.FullTranscript(context.Background(), connToken)
		if err != nil {
			t.Fatalf("GetTranscript: %v", err)
		}
		texts = texts[:0]
		for _, it := range items {
			if it.Type == "MESSAGE" {
				texts = append(texts, it.Content)
			}
		}
		if strings.Contains(strings.Join(texts, "\n"), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("transcript %q lacks %q", texts, want)
}

// TestChatResumesAfterNodeRestart starts a chat with the Go SDK whose flow waits for the
// customer's input, stops the node (Close) while it waits, opens a new node on the same data
// directory, and answers as the customer through the participant API with the connection
// token issued before the restart: the flow resumes where it waited, sets the attribute,
// sends its reply and ends the contact.
func TestChatResumesAfterNodeRestart(t *testing.T) {
	dir := t.TempDir()
	tn := startNodeAt(t, dir, nil)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	created, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: aws.String(inst), Name: aws.String("Menu"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(menuFlow)})
	if err != nil {
		t.Fatalf("CreateContactFlow: %v", err)
	}
	started, err := c.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst), ContactFlowId: created.ContactFlowId,
		ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")}})
	if err != nil {
		t.Fatalf("StartChatContact: %v", err)
	}
	id := aws.ToString(started.ContactId)
	pc := participantclient.New(tn.endpoint, tn.client)
	conn, err := pc.CreateParticipantConnection(ctx, aws.ToString(started.ParticipantToken), []string{"CONNECTION_CREDENTIALS"})
	if err != nil {
		t.Fatalf("CreateParticipantConnection: %v", err)
	}
	token := conn.ConnectionCredentials.ConnectionToken
	waitTranscript(t, pc, token, "Type 1 for orders")
	waitContact(t, tn, inst, id, contact.StateInFlow)

	tn.stop()
	tn2 := startNodeAt(t, dir, nil)
	if tn2.endpoint == tn.endpoint {
		t.Logf("the new node reuses the port %s", tn2.endpoint)
	}
	pc2 := participantclient.New(tn2.endpoint, tn2.client)
	if _, err := pc2.SendMessage(ctx, token, "text/plain", "1", ""); err != nil {
		t.Fatalf("SendMessage after restart: %v", err)
	}
	done := waitContact(t, tn2, inst, id, contact.StateEnded)
	if done.Attributes["topic"] != "orders" || done.DisconnectReason != "CONTACT_FLOW_DISCONNECT" {
		t.Errorf("contact after the answer: topic %q, disconnect reason %q", done.Attributes["topic"], done.DisconnectReason)
	}
	// The flow's reply went to the chat after the restart: the prompt and the thanks are the
	// system's two messages, then the customer's answer between them.
	var items []chat.StoredItem
	if err := tn2.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		items, err = tx.ListChatItems(ctx, chat.ItemQuery{InstanceID: inst, ContactID: id, FromSeq: 1, Forward: true, Limit: 100})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, it := range items {
		if it.Type == chat.TypeMessage {
			roles = append(roles, string(it.ParticipantRole))
		}
	}
	if strings.Join(roles, ",") != "SYSTEM,CUSTOMER,SYSTEM" {
		t.Errorf("chat messages by role = %v, want the prompt, the answer and the reply", roles)
	}
	c2 := tn2.sdk(tn2.boot.SecretAccessKey.Reveal())
	attrs, err := c2.GetContactAttributes(ctx, &connect.GetContactAttributesInput{InstanceId: aws.String(inst), InitialContactId: aws.String(id)})
	if err != nil || attrs.Attributes["topic"] != "orders" {
		t.Errorf("GetContactAttributes after restart = %v, %v", attrs, err)
	}
}
