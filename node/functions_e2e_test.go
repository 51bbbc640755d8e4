package node_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/secret"
)

// functionFlow calls the function ARN (static, associated), stores its answer, then calls the
// ARN held in the attribute otherFunction (dynamic, not associated), whose error branch marks
// the contact. Flow logging is on throughout.
const functionFlow = `{"Version":"2019-10-30","StartAction":"log","Actions":[
 {"Identifier":"log","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"lookup"}},
 {"Identifier":"lookup","Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"ARN","InvocationTimeLimitSeconds":"8",
   "LambdaInvocationAttributes":{"ticket":"$.Attributes.ticket"},"ResponseValidation":{"ResponseType":"STRING_MAP"}},
  "Transitions":{"NextAction":"save","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"save","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"tier":"$.External.tier"}},
  "Transitions":{"NextAction":"other","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"other","Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"$.Attributes.otherFunction","InvocationTimeLimitSeconds":"3"},
  "Transitions":{"NextAction":"end","Errors":[{"ErrorType":"NoMatchingError","NextAction":"failed"}]}},
 {"Identifier":"failed","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"second":"failed"}},
  "Transitions":{"NextAction":"end","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// functionCall is what the test endpoint saw of one request.
type functionCall struct {
	verifyErr error
	event     extfn.Event
}

// TestFunctionEndpointReceivesSignedEvent configures a function ARN of the instance as an
// HTTPS endpoint (a test server on 127.0.0.1, allowed for this function only, its certificate
// trusted through --functions-ca-file), publishes a flow that invokes it, starts a task with
// the Go SDK and checks: the endpoint received the Connect Lambda event signed with the
// function's secret, its answer is in the contact's attributes, a second ARN the instance has
// not associated took the error branch with a flow-log entry saying so, and the flow logs read
// through the API hold the function's answer only as keyed hashes.
func TestFunctionEndpointReceivesSignedEvent(t *testing.T) {
	const (
		arn       = "arn:aws:lambda:us-east-1:111122223333:function:ticket-lookup"
		unknown   = "arn:aws:lambda:us-east-1:111122223333:function:not-associated"
		tierValue = "gold-tier-canary-7731"
	)
	key := secret.New("test-signing-secret-0123456789")
	var (
		mu    sync.Mutex
		calls []functionCall
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		call := functionCall{verifyErr: extfn.VerifyRequest(r.Header, body, key, time.Now(), 0)}
		_ = json.Unmarshal(body, &call.event)
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tier":"` + tierValue + `"}`))
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "functions-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	tn := startNodeAt(t, t.TempDir(), func(c *node.Config) { c.FunctionsCAFile = caFile })
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID

	// Without an allowlist the loopback endpoint is refused when configured.
	if _, err := tn.n.SetFunction(ctx, inst, node.FunctionSetting{ARN: arn, URL: srv.URL, Secret: key}); err == nil {
		t.Fatal("a loopback endpoint was accepted without --allow-host")
	}
	associated, err := tn.n.SetFunction(ctx, inst, node.FunctionSetting{ARN: arn, URL: srv.URL, Secret: key, AllowHosts: []string{"127.0.0.1"}})
	if err != nil || !associated {
		t.Fatalf("SetFunction = %v, %v", associated, err)
	}
	listed, err := c.ListLambdaFunctions(ctx, &connect.ListLambdaFunctionsInput{InstanceId: aws.String(inst)})
	if err != nil || len(listed.LambdaFunctions) != 1 || listed.LambdaFunctions[0] != arn {
		t.Fatalf("ListLambdaFunctions = %+v, %v", listed, err)
	}
	_, err = c.AssociateLambdaFunction(ctx, &connect.AssociateLambdaFunctionInput{InstanceId: aws.String(inst), FunctionArn: aws.String(arn)})
	wantAPIError(t, err, "ResourceConflictException")
	_, err = c.AssociateLambdaFunction(ctx, &connect.AssociateLambdaFunctionInput{InstanceId: aws.String(inst), FunctionArn: aws.String("arn:aws:s3:::bucket")})
	wantAPIError(t, err, "InvalidParameterException")

	created, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: aws.String(inst), Name: aws.String("Ticket lookup"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(strings.Replace(functionFlow, `"ARN"`, `"`+arn+`"`, 1))})
	if err != nil {
		t.Fatalf("CreateContactFlow: %v", err)
	}
	started, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: created.ContactFlowId,
		Name: aws.String("Ticket T-42"), Attributes: map[string]string{"ticket": "T-42", "otherFunction": unknown}})
	if err != nil {
		t.Fatalf("StartTaskContact: %v", err)
	}
	id := aws.ToString(started.ContactId)
	done := waitContact(t, tn, inst, id, contact.StateEnded)
	if done.Attributes["tier"] != tierValue || done.Attributes["second"] != "failed" {
		t.Errorf("attributes after the flow = %v, want tier from the function and second=failed", done.Attributes)
	}

	mu.Lock()
	got := append([]functionCall(nil), calls...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the endpoint got %d calls, want 1", len(got))
	}
	if got[0].verifyErr != nil {
		t.Errorf("signature does not verify: %v", got[0].verifyErr)
	}
	if ev := got[0].event; ev.Name != "ContactFlowEvent" || ev.Details.ContactData.ContactID != id || ev.Details.Parameters["ticket"] != "T-42" ||
		ev.Details.ContactData.Channel != "TASK" || !strings.HasSuffix(ev.Details.ContactData.InstanceARN, ":instance/"+inst) {
		t.Errorf("event = %+v", ev)
	}

	// The flow logs through the API: the error branch says why; the answer only as hashes.
	resp, err := tn.client.Do(tn.signed(t, "GET", "/contact-flow-logs/"+inst+"/"+id, "", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GetContactFlowLogs: %d %s", resp.StatusCode, body)
	}
	var logs struct {
		FlowLogs []struct {
			Seq   int64
			Entry struct {
				ContactId, Identifier, ContactFlowModuleType, Results string
				ExternalResults                                       map[string]string
			}
		}
	}
	if err := json.Unmarshal(body, &logs); err != nil {
		t.Fatal(err)
	}
	var notAssociated, hashed bool
	for _, l := range logs.FlowLogs {
		e := l.Entry
		if e.ContactId != id {
			t.Errorf("log entry of contact %q", e.ContactId)
		}
		if e.Identifier == "other" && e.Results == "NoMatchingError: not_found: function is not associated with this instance" {
			notAssociated = true
		}
		if e.Identifier == "lookup" && strings.HasPrefix(e.ExternalResults["tier"], "hmac-sha256:") {
			hashed = true
		}
	}
	if !notAssociated || !hashed || len(logs.FlowLogs) < 6 {
		t.Errorf("flow logs (%d entries) lack the not-associated note (%v) or the hashed answer (%v): %s", len(logs.FlowLogs), notAssociated, hashed, body)
	}
	if strings.Contains(string(body), tierValue) {
		t.Errorf("the function's answer is in the flow logs in clear: %s", body)
	}
	// Paging, and another contact ID.
	resp, err = tn.client.Do(tn.signed(t, "GET", "/contact-flow-logs/"+inst+"/"+id+"?maxResults=2", "", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		FlowLogs  []json.RawMessage
		NextToken string
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.FlowLogs) != 2 || page.NextToken == "" {
		t.Errorf("first page: %d entries, next token %q", len(page.FlowLogs), page.NextToken)
	}
	resp, err = tn.client.Do(tn.signed(t, "GET", "/contact-flow-logs/"+inst+"/00000000-0000-4000-8000-000000000000", "", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-Errortype") == "" {
		t.Errorf("flow logs of an unknown contact: %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}

	// Removing the target keeps the association; the next contact takes the error branch.
	if err := tn.n.RemoveFunction(ctx, inst, arn, false); err != nil {
		t.Fatalf("RemoveFunction: %v", err)
	}
	again, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: created.ContactFlowId,
		Name: aws.String("Ticket T-43"), Attributes: map[string]string{"ticket": "T-43", "otherFunction": unknown}})
	if err != nil {
		t.Fatal(err)
	}
	if ended := waitContact(t, tn, inst, aws.ToString(again.ContactId), contact.StateEnded); ended.Attributes["tier"] != "" {
		t.Errorf("a function without a target answered: %v", ended.Attributes)
	}
	mu.Lock()
	n := len(calls)
	mu.Unlock()
	if n != 1 {
		t.Errorf("the endpoint was called %d times after its target was removed", n)
	}
}
