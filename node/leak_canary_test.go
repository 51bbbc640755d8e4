package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/agentapi"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/inputcrypt"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// The canaries: a Luhn-valid Visa number, a card security code and an SSN that passes the
// SSA rules. Each is searched for in every form the test writes it.
const (
	canaryPAN = "4539148803436467"
	canaryCVV = "829"
	canarySSN = "536-22-8841"
)

var canaryNeedles = []string{
	canaryPAN, "4539 1488 0343 6467", "4539-1488-0343-6467",
	"cvv " + canaryCVV, "cvv: " + canaryCVV, "cvc " + canaryCVV,
	canarySSN, "536228841", "536 22 8841",
}

// findCanary returns the first canary form in b (case-insensitive), or "".
func findCanary(b []byte) string {
	low := bytes.ToLower(b)
	for _, n := range canaryNeedles {
		if bytes.Contains(low, []byte(strings.ToLower(n))) {
			return n
		}
	}
	return ""
}

// syncBuffer is a bytes.Buffer the node's logger and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// recorder keeps the body of every HTTP response the test receives.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []recorded
}

type recorded struct {
	what string
	body []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.seen = append(r.seen, recorded{what: req.Method + " " + req.URL.Path, body: b})
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *recorder) responses() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.seen...)
}

func (tn *testNode) sdkWith(hc *http.Client, keyID, secret string) *connect.Client {
	return connect.New(connect.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(tn.endpoint), HTTPClient: hc,
	})
}

// secureCaptureFlow asks a chat customer for a card number, keeps only its ciphertext (to
// the associated key) in the attribute EncryptedCard, thanks the customer and queues the
// contact. Flow logging is on throughout.
func secureCaptureFlow(assoc, keyPEM, queueARN string) string {
	key, _ := json.Marshal(keyPEM)
	return `{"Version":"2019-10-30","StartAction":"logs","Actions":[
 {"Identifier":"logs","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"card"}},
 {"Identifier":"card","Type":"GetParticipantInput","Parameters":{"Text":"Please type your card number.","StoreInput":"True",
   "InputTimeLimitSeconds":"180","InputEncryption":{"EncryptionKeyId":"` + assoc + `","Key":` + string(key) + `}},
  "Transitions":{"NextAction":"keep","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"keep","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"EncryptedCard":"$.StoredCustomerInput"},"TargetContact":"Current"},
  "Transitions":{"NextAction":"thanks","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"thanks","Type":"MessageParticipant","Parameters":{"Text":"Thank you, we have your card."},
  "Transitions":{"NextAction":"queue","Errors":[{"NextAction":"queue","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"queue","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"` + queueARN + `"},
  "Transitions":{"NextAction":"transfer","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"transfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end",
  "Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
}

// transcriptWith polls the chat transcript until one message holds want, and returns the
// message texts.
func transcriptWith(t *testing.T, pc *participantclient.Client, connToken, want string) []string {
	t.Helper()
	var texts []string
	for range 500 {
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
			return texts
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("transcript %q never held %q", texts, want)
	return nil
}

// TestLeakCanary types a card number, a CVV and an SSN into a chat, sends them in a task's
// name, description and references (StartTaskContact, UpdateContact), sets them as contact
// attributes (StartTaskContact, UpdateContactAttributes; some attributes marked sensitive)
// and keys the card number into a published secure-input flow answered in a chat. The chat's
// transcript cannot be searched by any digit group of the canaries, and its index holds none
// (checkTranscriptIndex). Then it scans everything the node wrote or answered: every file of the data directory (SQLite
// database and WAL, the contact-record JSON Lines files), the node's log output, the audit
// log, the contact records, the transcripts, the flow logs, and every response of the
// Connect API, the participant API and the agent API the test received. None holds a
// canary in clear. The captured ciphertext decrypts with the private key to the digits.
//
// The agent API is not mounted in the node on this branch: the test serves agentapi over
// the node's own runtime and store on a loopback listener.
func TestLeakCanary(t *testing.T) {
	logs := &syncBuffer{}
	tn := startNodeLogging(t, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	inst := tn.boot.InstanceID
	rec := &recorder{base: tn.client.Transport}
	hc := &http.Client{Transport: rec, Timeout: 15 * time.Second}
	op := tn.sdkWith(hc, tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal())
	rt, err := tn.n.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	watch := &offerWatch{ch: make(chan routing.Event, 100)}
	rt.AddNotifier(watch)

	// Data protection: "ssn" and "payment_*" are sensitive; card numbers keep BIN and last 4.
	names := []string{"ssn", "payment_*"}
	card := instance.CardBINLast4
	if _, err := tn.n.SetDataProtection(ctx, inst, node.DataProtectionChange{SensitiveAttributes: &names, CardDisplay: &card}); err != nil {
		t.Fatalf("SetDataProtection: %v", err)
	}

	// A reader who may see contacts and attributes but neither sensitive attributes nor BIN
	// and last 4, and an agent.
	sp, err := op.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileName: aws.String("Reader"),
		Permissions: []string{"ContactSearch.View", "ContactAttributes.View"}})
	if err != nil {
		t.Fatalf("CreateSecurityProfile: %v", err)
	}
	if _, err := op.CreateUser(ctx, createUserInput(inst, "reader.canary", aws.ToString(sp.SecurityProfileId))); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	key, keySecret, err := tn.n.IssueUserKey(ctx, inst, "reader.canary", "leak canary reader")
	if err != nil {
		t.Fatal(err)
	}
	reader := tn.sdkWith(hc, key.ID, keySecret.Reveal())
	agentID := createAgentUser(t, op, inst, "agent.canary")
	if _, err := op.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(agentID), AgentStatusId: aws.String(availableStatus(t, op, inst))}); err != nil {
		t.Fatalf("PutUserStatus: %v", err)
	}
	profiles, err := store.UserProfiles{Store: tn.n.Store}.SecurityProfilesFor(ctx, inst, agentID)
	if err != nil {
		t.Fatal(err)
	}
	agentSrv, err := agentapi.New(agentapi.Config{Store: tn.n.Store, Contacts: rt.Contacts,
		Authenticate: func(*http.Request) (agentapi.Caller, error) {
			return agentapi.Caller{InstanceID: inst, UserID: agentID, Username: "agent.canary", Profiles: profiles}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	agentHTTP := httptest.NewServer(agentSrv)
	t.Cleanup(agentHTTP.Close)
	agentRec := &recorder{base: tn.client.Transport} // the node's transport serves plain HTTP too
	agentClient := &http.Client{Transport: agentRec, Timeout: 15 * time.Second}
	agentCall := func(method, path string) []byte {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, agentHTTP.URL+path, nil)
		resp, err := agentClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}

	flowID := flowIDByName(t, op, inst, "Sample inbound flow")
	queues, err := op.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String(inst), QueueTypes: []types.QueueType{types.QueueTypeStandard}})
	if err != nil || len(queues.QueueSummaryList) == 0 {
		t.Fatalf("ListQueues: %v", err)
	}
	queueARN := aws.ToString(queues.QueueSummaryList[0].Arn)
	before := time.Now().Add(-time.Minute)

	// 1. A task: name, description, references and attributes.
	task, err := op.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
		Name:        aws.String("Card 4539 1488 0343 6467"),
		Description: aws.String("Customer read card 4539 1488 0343 6467, CVV " + canaryCVV + ", SSN " + canarySSN + " over the phone."),
		References:  map[string]types.Reference{"note": {Type: types.ReferenceTypeString, Value: aws.String("card " + canaryPAN)}},
		Attributes:  map[string]string{"card_note": "card " + canaryPAN + " cvv " + canaryCVV, "ssn": canarySSN, "tier": "gold"}})
	if err != nil {
		t.Fatalf("StartTaskContact: %v", err)
	}
	taskID := aws.ToString(task.ContactId)
	if _, err := op.UpdateContact(ctx, &connect.UpdateContactInput{InstanceId: aws.String(inst), ContactId: aws.String(taskID),
		Description: aws.String("Updated: card 4539-1488-0343-6467 cvv: " + canaryCVV + " ssn " + canarySSN)}); err != nil {
		t.Fatalf("UpdateContact: %v", err)
	}
	// 2. Attributes through UpdateContactAttributes: one ordinary, one sensitive by prefix.
	if _, err := op.UpdateContactAttributes(ctx, &connect.UpdateContactAttributesInput{InstanceId: aws.String(inst), InitialContactId: aws.String(taskID),
		Attributes: map[string]string{"card_note2": "SSN " + canarySSN + " and card 4539-1488-0343-6467", "payment_ssn": "536228841"}}); err != nil {
		t.Fatalf("UpdateContactAttributes: %v", err)
	}

	// 3. A chat where the customer types the canaries.
	pc := participantclient.New(tn.endpoint, hc)
	chat1, err := op.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
		ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")}})
	if err != nil {
		t.Fatalf("StartChatContact: %v", err)
	}
	conn1, err := pc.CreateParticipantConnection(ctx, aws.ToString(chat1.ParticipantToken), []string{"CONNECTION_CREDENTIALS"})
	if err != nil {
		t.Fatal(err)
	}
	tok1 := conn1.ConnectionCredentials.ConnectionToken
	if _, err := pc.SendMessage(ctx, tok1, "text/plain", "my card is 4539 1488 0343 6467, cvv "+canaryCVV+", ssn "+canarySSN, ""); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	typed := transcriptWith(t, pc, tok1, "[CARD]")
	checkTranscriptIndex(t, tn, op, hc, aws.ToString(chat1.ContactId), before)

	// 4. A published flow captures the card number, encrypted to an associated key, in a chat.
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	assoc, err := op.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: aws.String(inst), Key: aws.String(pubPEM)})
	if err != nil {
		t.Fatalf("AssociateSecurityKey: %v", err)
	}
	secure, err := op.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: aws.String(inst), Name: aws.String("Secure card capture"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(secureCaptureFlow(aws.ToString(assoc.AssociationId), pubPEM, queueARN))})
	if err != nil {
		t.Fatalf("CreateContactFlow: %v", err)
	}
	chat2, err := op.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst), ContactFlowId: secure.ContactFlowId,
		ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")}})
	if err != nil {
		t.Fatalf("StartChatContact (secure flow): %v", err)
	}
	chat2ID := aws.ToString(chat2.ContactId)
	conn2, err := pc.CreateParticipantConnection(ctx, aws.ToString(chat2.ParticipantToken), []string{"CONNECTION_CREDENTIALS"})
	if err != nil {
		t.Fatal(err)
	}
	tok2 := conn2.ConnectionCredentials.ConnectionToken
	transcriptWith(t, pc, tok2, "Please type your card number.")
	if _, err := pc.SendMessage(ctx, tok2, "text/plain", canaryPAN, ""); err != nil {
		t.Fatalf("SendMessage (secure input): %v", err)
	}
	secured := transcriptWith(t, pc, tok2, "Thank you, we have your card.")
	if !strings.Contains(strings.Join(secured, "\n"), chat.SecureInputPlaceholder) {
		t.Errorf("secure chat transcript %q lacks the placeholder of the customer's input", secured)
	}
	waitContact(t, tn, inst, chat2ID, contact.StateQueued)

	// What readers see. The reader lacks both permissions; the operator sees BIN and last 4
	// but is never asked for sensitive attributes here (every response is scanned).
	ra, err := reader.GetContactAttributes(ctx, &connect.GetContactAttributesInput{InstanceId: aws.String(inst), InitialContactId: aws.String(taskID)})
	if err != nil {
		t.Fatalf("GetContactAttributes (reader): %v", err)
	}
	if _, ok := ra.Attributes["ssn"]; ok || ra.Attributes["payment_ssn"] != "" || !strings.Contains(ra.Attributes["card_note"], "[CARD]") ||
		!strings.Contains(ra.Attributes["card_note2"], "[SSN]") {
		t.Errorf("reader's attributes = %v: want no sensitive attribute and the others redacted", ra.Attributes)
	}
	rd, err := reader.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: aws.String(inst), ContactId: aws.String(taskID)})
	if err != nil || !strings.Contains(aws.ToString(rd.Contact.Description), "[CARD]") || strings.Contains(aws.ToString(rd.Contact.Description), "453914") {
		t.Errorf("reader's DescribeContact = %q, %v: want the card masked whole", aws.ToString(rd.Contact.Description), err)
	}
	od, err := op.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: aws.String(inst), ContactId: aws.String(taskID)})
	if err != nil || !strings.Contains(aws.ToString(od.Contact.Description), "[CARD 453914******6467]") || !strings.Contains(aws.ToString(od.Contact.Description), "[CVV]") {
		t.Errorf("operator's DescribeContact = %q, %v: want BIN and last 4", aws.ToString(od.Contact.Description), err)
	}
	refs, err := reader.ListContactReferences(ctx, &connect.ListContactReferencesInput{InstanceId: aws.String(inst), ContactId: aws.String(taskID),
		ReferenceTypes: []types.ReferenceType{types.ReferenceTypeString}})
	if err != nil || len(refs.ReferenceSummaryList) != 1 {
		t.Errorf("ListContactReferences = %+v, %v", refs, err)
	}
	// Search: ordinary attributes are found by their stored value; the value before
	// redaction matches nothing; a sensitive attribute cannot be searched at all.
	byAttribute := func(key, value string) ([]string, error) {
		out, err := reader.SearchContacts(ctx, &connect.SearchContactsInput{InstanceId: aws.String(inst),
			TimeRange: &types.SearchContactsTimeRange{Type: types.SearchContactsTimeRangeTypeInitiationTimestamp, StartTime: aws.Time(before), EndTime: aws.Time(time.Now().Add(time.Minute))},
			SearchCriteria: &types.SearchCriteria{SearchableContactAttributes: &types.SearchableContactAttributes{
				Criteria: []types.SearchableContactAttributesCriteria{{Key: aws.String(key), Values: []string{value}}}}}})
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, c := range out.Contacts {
			ids = append(ids, aws.ToString(c.Id))
		}
		return ids, nil
	}
	if ids, err := byAttribute("tier", "gold"); err != nil || len(ids) != 1 || ids[0] != taskID {
		t.Errorf("search tier=gold = %v, %v; want the task", ids, err)
	}
	if ids, err := byAttribute("card_note", "card "+canaryPAN+" cvv "+canaryCVV); err != nil || len(ids) != 0 {
		t.Errorf("search on the value before redaction = %v, %v; want nothing", ids, err)
	}
	_, err = byAttribute("ssn", canarySSN)
	wantAPIError(t, err, "InvalidParameterException")
	_, err = byAttribute("bad key", "x")
	wantAPIError(t, err, "InvalidParameterException")
	many := make([]types.SearchableContactAttributesCriteria, 16)
	for i := range many {
		many[i] = types.SearchableContactAttributesCriteria{Key: aws.String("tier"), Values: []string{"gold"}}
	}
	for _, sca := range []*types.SearchableContactAttributes{
		{Criteria: many},
		{Criteria: many[:1], MatchType: types.SearchContactsMatchType("MATCH_SOME")},
		{Criteria: []types.SearchableContactAttributesCriteria{{Key: aws.String("tier"), Values: []string{}}}},
	} {
		_, err := reader.SearchContacts(ctx, &connect.SearchContactsInput{InstanceId: aws.String(inst),
			TimeRange:      &types.SearchContactsTimeRange{Type: types.SearchContactsTimeRangeTypeInitiationTimestamp, StartTime: aws.Time(before), EndTime: aws.Time(time.Now().Add(time.Minute))},
			SearchCriteria: &types.SearchCriteria{SearchableContactAttributes: sca}})
		wantAPIError(t, err, "InvalidParameterException")
	}
	// The sensitive attribute is kept exactly (sealed), for flows that need it.
	var stored contact.Contact
	if err := tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		stored, err = tx.GetContact(ctx, inst, taskID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if stored.Attributes["ssn"] != canarySSN || stored.Attributes["payment_ssn"] != "536228841" {
		t.Errorf("stored sensitive attributes = %q, %q; want them as set", stored.Attributes["ssn"], stored.Attributes["payment_ssn"])
	}

	// The ciphertext the flow kept decrypts with the private key to the digits, as
	// `ringfence decrypt --key private.pem` prints them.
	sa, err := reader.GetContactAttributes(ctx, &connect.GetContactAttributesInput{InstanceId: aws.String(inst), InitialContactId: aws.String(chat2ID)})
	if err != nil {
		t.Fatalf("GetContactAttributes (secure chat): %v", err)
	}
	ciphertext := sa.Attributes["EncryptedCard"]
	if ciphertext == "" {
		t.Fatalf("no EncryptedCard attribute: %v", sa.Attributes)
	}
	plain, err := inputcrypt.DecryptBase64(ciphertext, priv)
	if err != nil || string(plain) != canaryPAN {
		t.Fatalf("decrypt the captured input: %q, %v; want the card number", plain, err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	var printed bytes.Buffer
	if err := inputcrypt.DecryptCommand(strings.NewReader(ciphertext), &printed, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})); err != nil || printed.String() != canaryPAN {
		t.Fatalf("decrypt command printed %q, %v", printed.String(), err)
	}

	// 5. The agent accepts the task through the agent API and reads it.
	taskOffer := watch.next(t, routing.EventOfferMade, taskID)
	if taskOffer.AgentID != agentID {
		t.Fatalf("task offered to %q, want %q", taskOffer.AgentID, agentID)
	}
	agentCall(http.MethodPost, "/agent/v1/offers/"+taskOffer.Offer.ID+"/accept")
	waitContact(t, tn, inst, taskID, contact.StateConnected)
	var seen agentapi.ContactOut
	if err := json.Unmarshal(agentCall(http.MethodGet, "/agent/v1/contacts/"+taskID), &seen); err != nil {
		t.Fatal(err)
	}
	if _, ok := seen.Attributes["ssn"]; ok || !strings.Contains(seen.Description, "[CARD]") || strings.Contains(seen.Description, "453914") {
		t.Errorf("agent's view: attributes %v, description %q; want no sensitive attribute and the card masked whole", seen.Attributes, seen.Description)
	}
	agentCall(http.MethodPost, "/agent/v1/contacts/"+taskID+"/end")
	agentCall(http.MethodPost, "/agent/v1/contacts/"+taskID+"/acw/complete")
	agentCall(http.MethodGet, "/agent/v1/history")

	// End the chats; every contact gets its record.
	for _, id := range []string{aws.ToString(chat1.ContactId), chat2ID} {
		if _, err := op.StopContact(ctx, &connect.StopContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id)}); err != nil {
			t.Fatalf("StopContact %s: %v", id, err)
		}
	}
	ids := []string{taskID, aws.ToString(chat1.ContactId), chat2ID}
	for _, id := range ids {
		waitContact(t, tn, inst, id, contact.StateEnded)
	}

	// Collect what the node stored and wrote.
	var (
		records  []contact.RecordEntry
		flowLogs []contact.FlowLog
	)
	if err := tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if records, err = tx.ListContactRecords(ctx, 0, 1000); err != nil {
			return err
		}
		for _, id := range ids {
			l, err := tx.ListFlowLogs(ctx, inst, id, 0, 1000)
			if err != nil {
				return err
			}
			flowLogs = append(flowLogs, l...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(records) < len(ids) {
		t.Fatalf("%d contact records, want %d", len(records), len(ids))
	}
	for _, r := range records {
		var cr contact.Record
		if err := json.Unmarshal(r.Body, &cr); err != nil {
			t.Fatal(err)
		}
		if _, ok := cr.Attributes["ssn"]; ok {
			t.Errorf("contact record %s holds a sensitive attribute", r.ContactID)
		}
	}
	secureLogged := false
	for _, l := range flowLogs {
		secureLogged = secureLogged || (l.ContactID == chat2ID && strings.Contains(string(l.Entry), `"GetParticipantInput"`))
	}
	if !secureLogged {
		t.Error("the secure flow's capture is not in its flow log: logging was on, the entry (without the input) should be")
	}
	// The file sink delivers the three records.
	sinkHolds := func() bool {
		files, _ := filepath.Glob(filepath.Join(tn.dataDir, "contact-records", "*.jsonl"))
		var all []byte
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		for _, id := range ids {
			if !bytes.Contains(all, []byte(`"ContactId":"`+id+`"`)) {
				return false
			}
		}
		return true
	}
	for i := 0; i < 500 && !sinkHolds(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !sinkHolds() {
		t.Error("the contact records did not all reach the JSON Lines sink")
	}
	var auditLog [][]byte
	dpAudited := false
	if err := tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		auditLog = append(auditLog, r.Body)
		dpAudited = dpAudited || bytes.Contains(r.Body, []byte(`"host.data_protection"`))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !dpAudited {
		t.Error("the data-protection change is not in the audit log")
	}

	// The scan.
	leak := func(where string, b []byte) {
		t.Helper()
		if n := findCanary(b); n != "" {
			i := bytes.Index(bytes.ToLower(b), []byte(strings.ToLower(n)))
			lo, hi := max(i-80, 0), min(i+len(n)+80, len(b))
			t.Errorf("%s holds canary %q in clear: …%q…", where, n, b[lo:hi])
		}
	}
	files := 0
	if err := filepath.WalkDir(tn.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		leak("file "+strings.TrimPrefix(path, tn.dataDir), b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tn.dataDir, "ringfence.db-wal")); err != nil {
		t.Errorf("no SQLite WAL to scan: %v", err)
	}
	leak("node log", logs.Bytes())
	if len(logs.Bytes()) == 0 {
		t.Error("the node logged nothing: the log scan proves nothing")
	}
	for i, b := range auditLog {
		leak(fmt.Sprintf("audit record %d", i), b)
	}
	for _, r := range records {
		leak("contact record "+r.ContactID, r.Body)
	}
	for _, l := range flowLogs {
		leak("flow log of "+l.ContactID, l.Entry)
	}
	for _, tr := range [][]string{typed, secured} {
		leak("transcript", []byte(strings.Join(tr, "\n")))
	}
	responses := rec.responses()
	for _, r := range agentRec.responses() {
		responses = append(responses, r)
		// The agent lacks UnredactedData.View: not even BIN and last 4 reach it.
		if bytes.Contains(r.body, []byte("[CARD 453914")) {
			t.Errorf("agent API response to %s shows BIN and last 4: %s", r.what, r.body)
		}
	}
	for _, r := range responses {
		leak("response to "+r.what, r.body)
	}
	if len(responses) < 20 || files < 4 || len(flowLogs) == 0 || len(auditLog) == 0 {
		t.Errorf("scanned %d responses, %d files, %d flow-log entries, %d audit records: too few to prove anything", len(responses), files, len(flowLogs), len(auditLog))
	}
}

// checkTranscriptIndex is the transcript part of TestLeakCanary, for the chat whose customer
// typed "my card is <PAN>, cvv <CVV>, ssn <SSN>": searching the transcripts (an operator, so
// the caller may) finds the chat by its ordinary words but by no digit group of a canary, a
// canary as search text is refused, and the index table holds the keyed hash of "card" but
// of no digit group (the node's index key is derived from its keyring as node.Open does). The
// administrator's read of the transcript goes through hc, so the scan covers its response.
func checkTranscriptIndex(t *testing.T, tn *testNode, op *connect.Client, hc *http.Client, chatID string, since time.Time) {
	t.Helper()
	ctx := context.Background()
	inst := tn.boot.InstanceID
	byWords := func(texts ...string) ([]string, error) {
		out, err := op.SearchContacts(ctx, &connect.SearchContactsInput{InstanceId: aws.String(inst),
			TimeRange: &types.SearchContactsTimeRange{Type: types.SearchContactsTimeRangeTypeInitiationTimestamp, StartTime: aws.Time(since), EndTime: aws.Time(time.Now().Add(time.Minute))},
			SearchCriteria: &types.SearchCriteria{ContactAnalysis: &types.ContactAnalysis{Transcript: &types.Transcript{Criteria: []types.TranscriptCriteria{
				{ParticipantRole: types.ParticipantRoleCustomer, MatchType: types.SearchContactsMatchTypeMatchAny, SearchText: texts}}}}}})
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, c := range out.Contacts {
			ids = append(ids, aws.ToString(c.Id))
		}
		return ids, nil
	}
	digits := []string{"4539", "1488", "0343", "6467", "453914", "45391488", canaryCVV, "536", "22", "8841"}
	if ids, err := byWords("my card"); err != nil || len(ids) != 1 || ids[0] != chatID {
		t.Errorf("transcript search for the chat's words = %v, %v; want the chat", ids, err)
	}
	if ids, err := byWords(digits...); err != nil || len(ids) != 0 {
		t.Errorf("transcript search for the canaries' digit groups = %v, %v; want nothing", ids, err)
	}
	for _, c := range []string{canaryPAN, "4539 1488 0343 6467", canarySSN, "536228841", "cvv " + canaryCVV} {
		_, err := byWords(c)
		wantAPIError(t, err, "InvalidParameterException")
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(tn.dataDir, "ringfence.db")+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT term FROM contact_transcript_index WHERE instance_id = ? AND contact_id = ?`, inst, chatID)
	if err != nil {
		t.Fatal(err)
	}
	terms := map[string]bool{}
	for rows.Next() {
		var term string
		if err := rows.Scan(&term); err != nil {
			t.Fatal(err)
		}
		terms[term] = true
	}
	rows.Close()
	key := tn.n.Keyring.Hasher().Sum(secret.New([]byte("ringfence contact attribute index v1")))
	hasher := keyring.NewHasher(secret.New([]byte(key)))
	term := func(word string) string {
		return strings.TrimPrefix(hasher.SumString(secret.New("transcript\x00"+inst+"\x00"+word)), keyring.HashPrefix)
	}
	if !terms[term("card")] || !terms[term("ssn")] {
		t.Errorf("the index of the chat (%d terms) lacks the keyed hashes of \"card\" and \"ssn\": the check below proves nothing", len(terms))
	}
	for _, d := range append(digits, canaryPAN, "536228841") {
		if terms[term(d)] {
			t.Errorf("the transcript index holds the digit group %q (keyed hash)", d)
		}
	}
	for tm := range terms {
		if findCanary([]byte(tm)) != "" || strings.Contains(tm, "4539") {
			t.Errorf("index term %q holds a canary in clear", tm)
		}
	}

	// The administrator's read, recorded for the scan: redacted as stored.
	resp, err := hc.Do(tn.signed(t, http.MethodGet, contact.TranscriptPath(inst, chatID), "", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("[CARD]")) {
		t.Errorf("GetContactTranscript = %d %s; want the redacted transcript", resp.StatusCode, body)
	}
}
