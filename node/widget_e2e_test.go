package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/node"
)

// TestSDKApprovedOrigins drives AssociateApprovedOrigin, ListApprovedOrigins (paged) and
// DisassociateApprovedOrigin with the Go SDK: origins are stored in their normal form, bad
// ones are refused with a reason, a second association conflicts, and an agent's key may not
// touch them.
func TestSDKApprovedOrigins(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)
	for _, o := range []string{"https://Shop.Example.com:443", "http://127.0.0.1:8080", "https://help.example.com"} {
		if _, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String(o)}); err != nil {
			t.Fatalf("AssociateApprovedOrigin %s: %v", o, err)
		}
	}
	_, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("https://shop.example.com")})
	wantAPIError(t, err, "ResourceConflictException")
	for _, bad := range []string{"https://shop.example.com/", "https://shop.example.com/path", "ftp://shop.example.com", "shop.example.com",
		"https://*.example.com", "https://user@shop.example.com", "https://shop.example.com:99999", "https://" + strings.Repeat("a", 300) + ".com"} {
		_, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String(bad)})
		wantAPIError(t, err, "InvalidParameterException")
	}
	var got []string
	p := connect.NewListApprovedOriginsPaginator(c, &connect.ListApprovedOriginsInput{InstanceId: inst, MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListApprovedOrigins: %v", err)
		}
		pages++
		got = append(got, page.Origins...)
	}
	if strings.Join(got, " ") != "http://127.0.0.1:8080 https://help.example.com https://shop.example.com" || pages != 2 {
		t.Errorf("ListApprovedOrigins = %v in %d pages", got, pages)
	}
	if _, err := c.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("HTTPS://SHOP.example.com")}); err != nil {
		t.Fatalf("DisassociateApprovedOrigin: %v", err)
	}
	_, err = c.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("https://shop.example.com")})
	wantAPIError(t, err, "ResourceNotFoundException")

	createAgentUser(t, c, tn.boot.InstanceID, "agent.origins")
	keyID, sec := tn.userKey(t, tn.boot.InstanceID, "agent.origins")
	_, err = tn.sdkAs(keyID, sec).AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("https://evil.example.com")})
	wantAPIError(t, err, "AccessDeniedException")
}

// TestAWSCLIApprovedOrigins runs the approved-origin commands of the AWS CLI.
func TestAWSCLIApprovedOrigins(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	inst := tn.boot.InstanceID
	if out, err := awsRun(t, bin, tn, "associate-approved-origin", "--instance-id", inst, "--origin", "https://shop.example.com"); err != nil {
		t.Fatalf("associate-approved-origin: %v: %s", err, out)
	}
	out, err := awsRun(t, bin, tn, "list-approved-origins", "--instance-id", inst)
	if err != nil || !strings.Contains(string(out), `"https://shop.example.com"`) {
		t.Fatalf("list-approved-origins: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "associate-approved-origin", "--instance-id", inst, "--origin", "https://shop.example.com/cart"); err == nil ||
		!strings.Contains(string(out), "InvalidParameterException") {
		t.Errorf("associate-approved-origin with a path: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "disassociate-approved-origin", "--instance-id", inst, "--origin", "https://shop.example.com"); err != nil {
		t.Fatalf("disassociate-approved-origin: %v: %s", err, out)
	}
	out, err = awsRun(t, bin, tn, "list-approved-origins", "--instance-id", inst)
	if err != nil || strings.Contains(string(out), "shop.example.com") {
		t.Errorf("list-approved-origins after disassociate: %v: %s", err, out)
	}
}

// TestSDKStartClientToken: StartChatContact and StartTaskContact with a ClientToken seen
// before return the first call's contact (and, for a chat, the same participant token),
// whatever the rest of the request says, as Connect documents; a new token starts a new
// contact.
func TestSDKStartClientToken(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	flowID := flowIDByName(t, c, inst, "Sample inbound flow")
	chatIn := func(name, token string) *connect.StartChatContactInput {
		return &connect.StartChatContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
			ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String(name)}, ClientToken: aws.String(token)}
	}
	first, err := c.StartChatContact(ctx, chatIn("Jane", "retry-me"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.StartChatContact(ctx, chatIn("Someone else", "retry-me"))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.ContactId) != aws.ToString(first.ContactId) || aws.ToString(again.ParticipantId) != aws.ToString(first.ParticipantId) ||
		aws.ToString(again.ParticipantToken) != aws.ToString(first.ParticipantToken) {
		t.Errorf("retry = %+v, first = %+v", again, first)
	}
	// The replayed token works.
	pc := participantclient.New(tn.endpoint, tn.client)
	if _, err := pc.CreateParticipantConnection(ctx, aws.ToString(again.ParticipantToken), []string{"CONNECTION_CREDENTIALS"}); err != nil {
		t.Errorf("CreateParticipantConnection with the replayed token: %v", err)
	}
	other, err := c.StartChatContact(ctx, chatIn("Jane", "another"))
	if err != nil || aws.ToString(other.ContactId) == aws.ToString(first.ContactId) {
		t.Errorf("a new token: %+v, %v", other, err)
	}
	task := func(name string) string {
		t.Helper()
		out, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
			Name: aws.String(name), ClientToken: aws.String("task-token")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ContactId)
	}
	if a, b := task("one"), task("two"); a != b {
		t.Errorf("StartTaskContact with the same token: %s then %s", a, b)
	}
	_, err = c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID),
		Name: aws.String("x"), ClientToken: aws.String(strings.Repeat("t", 501))})
	wantAPIError(t, err, "InvalidParameterException")
}

// TestWidgetStartHTTP: a widget made with node.CreateWidget serves its loader and page, starts
// chats for pages of an approved origin only, and the token it hands out opens the chat.
func TestWidgetStartHTTP(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	flowID := flowIDByName(t, c, inst, "Sample inbound flow")
	if _, err := tn.n.CreateWidget(ctx, inst, flowIDByName(t, c, inst, "Default customer queue"), node.WidgetOptions{}); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Errorf("a widget on a queue flow: %v, want InvalidParameterException", err)
	}
	w, err := tn.n.CreateWidget(ctx, inst, flowID, node.WidgetOptions{Name: "Support"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.n.CreateWidget(ctx, inst, flowID, node.WidgetOptions{Name: "Support"}); !apierr.HasCode(err, apierr.CodeDuplicateResource) {
		t.Errorf("a second widget named Support: %v", err)
	}
	if _, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String("https://shop.example.com")}); err != nil {
		t.Fatal(err)
	}
	postBody := func(origin, body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, tn.endpoint+"/widget/"+w.ID+"/start", strings.NewReader(body))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := tn.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(origin string) (*http.Response, string) { return postBody(origin, `{"DisplayName":"Jane"}`) }
	resp, body := post("https://evil.example.com")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unapproved origin: %d %s", resp.StatusCode, body)
	}
	resp, body = post("https://shop.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("approved origin: %d %s", resp.StatusCode, body)
	}
	// SECURITY.md bad input 9: a display name with CRLF or a bidi override is refused.
	for _, name := range []string{`Eve\r\nX-Injected: 1`, `evil\u202eexe.txt`, ``} {
		if resp, body := postBody("https://shop.example.com", `{"DisplayName":"`+name+`"}`); resp.StatusCode != 400 ||
			resp.Header.Get("X-Amzn-ErrorType") != "InvalidParameterException" {
			t.Errorf("display name %q: %d %s", name, resp.StatusCode, body)
		}
	}
	var out struct{ ContactId, ParticipantToken string }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	pc := participantclient.New(tn.endpoint, tn.client)
	if _, err := pc.CreateParticipantConnection(ctx, out.ParticipantToken, []string{"CONNECTION_CREDENTIALS", "WEBSOCKET"}); err != nil {
		t.Errorf("the widget's participant token: %v", err)
	}
	ws, err := tn.n.ListWidgets(ctx, inst)
	if err != nil || len(ws) != 1 || ws[0].ID != w.ID {
		t.Errorf("ListWidgets = %+v, %v", ws, err)
	}
	if err := tn.n.DeleteWidget(ctx, inst, w.ID); err != nil {
		t.Fatal(err)
	}
	resp, _ = post("https://shop.example.com")
	if resp.StatusCode != 404 {
		t.Errorf("start on a deleted widget: %d", resp.StatusCode)
	}
}
