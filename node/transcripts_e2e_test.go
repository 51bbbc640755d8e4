package node_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// transcriptPage is the answer of GET /contact-transcripts/{InstanceId}/{ContactId}.
type transcriptPage struct {
	InitialContactID string      `json:"InitialContactId"`
	Transcript       []chat.Item `json:"Transcript"`
	NextToken        string      `json:"NextToken"`
}

// TestContactTranscripts drives transcripts end to end: two chats and a task through the
// Connect API and the participant API; SearchContacts (Go SDK) by transcript words with each
// role and match type; the administrator's signed read, page by page, equal to what the
// participant reads; the refusals (an agent's key, a profile without the transcript
// permissions, another instance's contact, a task, a card number as search text); and the
// contact record of an ended chat pointing at its transcript with its message counts.
func TestContactTranscripts(t *testing.T) {
	tn, instB, _, _ := twoInstances(t)
	ctx := context.Background()
	inst := tn.boot.InstanceID
	op := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	adminID, adminSecret := tn.userKey(t, inst, "admin")
	admin := tn.sdkKey(adminID, adminSecret)
	createAgentUser(t, op, inst, "agent.transcripts")
	agentID, agentSecret := tn.userKey(t, inst, "agent.transcripts")
	sp, err := op.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileName: aws.String("Searcher"),
		Permissions: []string{"ContactSearch.View"}})
	if err != nil {
		t.Fatalf("CreateSecurityProfile: %v", err)
	}
	if _, err := op.CreateUser(ctx, createUserInput(inst, "searcher", aws.ToString(sp.SecurityProfileId))); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	searcherID, searcherSecret := tn.userKey(t, inst, "searcher")
	searcher := tn.sdkKey(searcherID, searcherSecret)

	flowID := flowIDByName(t, op, inst, "Sample inbound flow")
	before := time.Now().Add(-time.Minute)
	pc := participantclient.New(tn.endpoint, tn.client)
	startChat := func(messages ...string) (string, string) {
		t.Helper()
		out, err := op.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
			ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")}})
		if err != nil {
			t.Fatalf("StartChatContact: %v", err)
		}
		conn, err := pc.CreateParticipantConnection(ctx, aws.ToString(out.ParticipantToken), []string{"CONNECTION_CREDENTIALS"})
		if err != nil {
			t.Fatal(err)
		}
		tok := conn.ConnectionCredentials.ConnectionToken
		transcriptWith(t, pc, tok, "We are connecting you to an agent.")
		for _, m := range messages {
			if _, err := pc.SendMessage(ctx, tok, "text/plain", m, ""); err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
		}
		return aws.ToString(out.ContactId), tok
	}
	chat1, tok1 := startChat("Where is my parcel? It has not arrived.", "My card is 4539 1488 0343 6467.")
	chat2, _ := startChat("I would like a refund, please.")
	task, err := op.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
		Name: aws.String("Parcel refund")})
	if err != nil {
		t.Fatalf("StartTaskContact: %v", err)
	}
	taskID := aws.ToString(task.ContactId)

	// Search by transcript words.
	search := func(c *connect.Client, tr *types.Transcript, channels ...types.Channel) ([]string, error) {
		out, err := c.SearchContacts(ctx, &connect.SearchContactsInput{InstanceId: aws.String(inst),
			TimeRange: &types.SearchContactsTimeRange{Type: types.SearchContactsTimeRangeTypeInitiationTimestamp,
				StartTime: aws.Time(before), EndTime: aws.Time(time.Now().Add(time.Minute))},
			SearchCriteria: &types.SearchCriteria{Channels: channels, ContactAnalysis: &types.ContactAnalysis{Transcript: tr}}})
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, c := range out.Contacts {
			ids = append(ids, aws.ToString(c.Id))
		}
		slices.Sort(ids)
		return ids, nil
	}
	words := func(role types.ParticipantRole, match types.SearchContactsMatchType, texts ...string) types.TranscriptCriteria {
		return types.TranscriptCriteria{ParticipantRole: role, MatchType: match, SearchText: texts}
	}
	both := []string{chat1, chat2}
	slices.Sort(both)
	for _, tc := range []struct {
		name string
		tr   types.Transcript
		want []string
	}{
		{"customer words", types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_ALL", "parcel arrived")}}, []string{chat1}},
		{"any text", types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_ANY", "parcel", "REFUND")}}, both},
		{"all texts", types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_ALL", "parcel", "refund")}}, nil},
		{"the flow's messages", types.Transcript{Criteria: []types.TranscriptCriteria{words("SYSTEM", "MATCH_ALL", "connecting you to an agent")}}, both},
		{"another role", types.Transcript{Criteria: []types.TranscriptCriteria{words("AGENT", "MATCH_ALL", "parcel")}}, nil},
		{"all criteria", types.Transcript{MatchType: "MATCH_ALL", Criteria: []types.TranscriptCriteria{
			words("CUSTOMER", "MATCH_ALL", "refund"), words("SYSTEM", "MATCH_ALL", "agent")}}, []string{chat2}},
		{"any criterion", types.Transcript{MatchType: "MATCH_ANY", Criteria: []types.TranscriptCriteria{
			words("CUSTOMER", "MATCH_ALL", "refund"), words("CUSTOMER", "MATCH_ALL", "parcel")}}, both},
		{"card digits", types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_ANY", "4539", "6467", "0343")}}, nil},
	} {
		got, err := search(admin, &tc.tr)
		if err != nil {
			t.Errorf("%s: SearchContacts: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	parcel := &types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_ALL", "parcel")}}
	if got, err := search(admin, parcel, types.ChannelTask); err != nil || len(got) != 0 {
		t.Errorf("transcript search among tasks = %v, %v; want nothing (tasks have no transcript)", got, err)
	}
	_, err = search(admin, &types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_ALL", "4539 1488 0343 6467")}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = search(admin, &types.Transcript{Criteria: []types.TranscriptCriteria{words("CUSTOMER", "MATCH_NONE", "parcel")}})
	wantAPIError(t, err, "InvalidParameterException")
	// Contact search alone does not reach transcripts.
	_, err = search(searcher, parcel)
	wantAPIError(t, err, "AccessDeniedException")
	if _, err := search(searcher, nil); err != nil {
		t.Errorf("SearchContacts without transcript criteria, ContactSearch.View only: %v", err)
	}

	// The administrator's read, two items a page, equals the participant's transcript.
	read := func(keyID, secret, inst, id, query string) (int, string, string) {
		return tn.do(t, keyID, secret, route{"GetContactTranscript", "GET", contact.TranscriptPath(inst, id) + query, ""})
	}
	var got []chat.Item
	next, pages := "", 0
	for {
		q := "?maxResults=2"
		if next != "" {
			q += "&nextToken=" + url.QueryEscape(next)
		}
		code, typ, body := read(adminID, adminSecret, inst, chat1, q)
		if code != 200 {
			t.Fatalf("GetContactTranscript: %d %s %s", code, typ, body)
		}
		var p transcriptPage
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if p.InitialContactID != chat1 {
			t.Errorf("InitialContactId = %q, want %q", p.InitialContactID, chat1)
		}
		got, pages = append(got, p.Transcript...), pages+1
		if next = p.NextToken; next == "" || pages > 50 {
			break
		}
	}
	want, err := pc.FullTranscript(ctx, tok1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("administrator's read differs from the participant's (-participant +administrator):\n%s", diff)
	}
	if pages < 2 || !strings.Contains(got[len(got)-1].Content, "[CARD]") {
		t.Errorf("%d pages ending %+v; want several, the last message redacted", pages, got[len(got)-1])
	}
	for _, tc := range []struct {
		name, keyID, secret, inst, id, query string
		code                                 int
		typ                                  string
	}{
		{"an agent's key", agentID, agentSecret, inst, chat1, "", 403, "AccessDeniedException"},
		{"contact search only", searcherID, searcherSecret, inst, chat1, "", 403, "AccessDeniedException"},
		{"another instance", adminID, adminSecret, instB, chat1, "", 404, "ResourceNotFoundException"},
		{"the contact under another instance (operator)", tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal(), instB, chat1, "", 404, "ResourceNotFoundException"},
		{"a task", adminID, adminSecret, inst, taskID, "", 400, "InvalidRequestException"},
		{"an unknown contact", adminID, adminSecret, inst, "00000000-0000-4000-8000-00000000cccc", "", 404, "ResourceNotFoundException"},
		{"a bad nextToken", adminID, adminSecret, inst, chat1, "?nextToken=bm9wZQ", 400, "InvalidParameterException"},
		{"maxResults too large", adminID, adminSecret, inst, chat1, "?maxResults=501", 400, "InvalidParameterException"},
	} {
		if code, typ, body := read(tc.keyID, tc.secret, tc.inst, tc.id, tc.query); code != tc.code || typ != tc.typ {
			t.Errorf("%s: %d %s %s; want %d %s", tc.name, code, typ, body, tc.code, tc.typ)
		}
	}

	// The ended chat's record points at the transcript and counts its messages.
	if _, err := op.StopContact(ctx, &connect.StopContactInput{InstanceId: aws.String(inst), ContactId: aws.String(chat1)}); err != nil {
		t.Fatalf("StopContact: %v", err)
	}
	waitContact(t, tn, inst, chat1, contact.StateEnded)
	var records []contact.RecordEntry
	if err := tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		records, err = tx.ListContactRecords(ctx, 0, 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var rec *contact.Record
	for _, r := range records {
		if r.ContactID == chat1 {
			rec = new(contact.Record)
			if err := json.Unmarshal(r.Body, rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rec == nil {
		t.Fatal("no contact record of the ended chat")
	}
	var customer, system int
	for _, it := range want {
		if it.Type == chat.TypeMessage {
			switch it.ParticipantRole {
			case chat.RoleCustomer:
				customer++
			case chat.RoleSystem:
				system++
			}
		}
	}
	if len(rec.Recordings) != 1 || rec.Recordings[0].Location != contact.TranscriptPath(inst, chat1) || rec.Recordings[0].MediaStreamType != "CHAT" ||
		rec.Recordings[0].StartTimestamp == nil || rec.Recordings[0].StopTimestamp == nil {
		t.Errorf("record Recordings = %+v; want the transcript at %s", rec.Recordings, contact.TranscriptPath(inst, chat1))
	}
	if m := rec.ChatMetrics; m == nil || m.ChatContactMetrics.TotalMessages != customer+system || m.ChatContactMetrics.TotalBotMessages != system ||
		m.CustomerMetrics == nil || m.CustomerMetrics.MessagesSent != customer || customer != 2 {
		t.Errorf("record ChatMetrics = %+v; want %d customer and %d flow messages", m, customer, system)
	}
}

// TestAWSCLITranscriptSearch searches a chat by its customer's words with the AWS CLI, as
// docs/transcripts.md shows.
func TestAWSCLITranscriptSearch(t *testing.T) {
	tn := startNode(t)
	bin := awsCLIWith(t, tn, "search-contacts", "ContactAnalysis")
	ctx := context.Background()
	inst := tn.boot.InstanceID
	op := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	before := time.Now().Add(-time.Minute).UTC()
	out, err := op.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst),
		ContactFlowId:      aws.String(flowIDByName(t, op, inst, "Sample inbound flow")),
		ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")},
		InitialMessage:     &types.ChatMessage{ContentType: aws.String("text/plain"), Content: aws.String("I would like a refund.")}})
	if err != nil {
		t.Fatalf("StartChatContact: %v", err)
	}
	timeRange := "Type=INITIATION_TIMESTAMP,StartTime=" + before.Format(time.RFC3339) + ",EndTime=" + time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		text string
		want []string
	}{{"refund", []string{aws.ToString(out.ContactId)}}, {"parcel", nil}} {
		res, err := awsRun(t, bin, tn, "search-contacts", "--instance-id", inst, "--time-range", timeRange, "--search-criteria",
			`{"ContactAnalysis":{"Transcript":{"Criteria":[{"ParticipantRole":"CUSTOMER","SearchText":["`+tc.text+`"],"MatchType":"MATCH_ALL"}]}}}`)
		if err != nil {
			t.Fatalf("aws connect search-contacts: %v: %s", err, res)
		}
		var got struct{ Contacts []struct{ Id string } }
		if err := json.Unmarshal(res, &got); err != nil {
			t.Fatalf("%v: %s", err, res)
		}
		var ids []string
		for _, c := range got.Contacts {
			ids = append(ids, c.Id)
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("search %q (-want +got):\n%s", tc.text, diff)
		}
	}
}

// awsCLIWith returns an AWS CLI whose `aws connect OPERATION help` mentions member: the one
// awsCLI finds, else the first `aws` on PATH. Debian 12's AWS CLI (2.9) predates
// SearchContacts; the test skips when no CLI has it.
func awsCLIWith(t *testing.T, tn *testNode, operation, member string) string {
	t.Helper()
	cands := []string{awsCLI(t)}
	if p, err := exec.LookPath("aws"); err == nil {
		cands = append(cands, p)
	}
	for _, bin := range cands {
		if help, err := awsRun(t, bin, tn, operation, "help"); err == nil && strings.Contains(string(help), member) {
			return bin
		}
	}
	t.Skipf("no AWS CLI here has `aws connect %s` with %s (Debian 12's 2.9 predates it): install a newer one with `pip install awscli` to run this test", operation, member)
	return ""
}
