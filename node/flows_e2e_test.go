package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/samples"
	"github.com/ringfence/ringfence/store"
)

func sampleContent(t *testing.T, file string) string {
	t.Helper()
	s, err := samples.Content(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSDKContactFlows(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)
	card := sampleContent(t, "secure_card_capture.json")

	saved, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{
		InstanceId: inst, Name: aws.String("Card capture"), Type: types.ContactFlowTypeContactFlow,
		Content: aws.String(card), Status: types.ContactFlowStatusSaved,
	})
	if err != nil {
		t.Fatalf("CreateContactFlow SAVED: %v", err)
	}
	_, err = c.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: inst, ContactFlowId: saved.ContactFlowId})
	wantAPIError(t, err, "ContactFlowNotPublishedException")
	d, err := c.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: inst, ContactFlowId: aws.String(aws.ToString(saved.ContactFlowId) + ":$SAVED")})
	if err != nil || d.ContactFlow.Status != types.ContactFlowStatusSaved || aws.ToString(d.ContactFlow.Content) != card {
		t.Fatalf("DescribeContactFlow $SAVED = %+v, %v", d, err)
	}
	// Publishing checks the resources the flow names: its function is not associated yet.
	var icf *types.InvalidContactFlowException
	_, err = c.UpdateContactFlowContent(ctx, &connect.UpdateContactFlowContentInput{InstanceId: inst, ContactFlowId: saved.ContactFlowId, Content: aws.String(card)})
	if !errors.As(err, &icf) || len(icf.Problems) != 1 || !strings.Contains(aws.ToString(icf.Problems[0].Message), "function:take-payment") ||
		!strings.Contains(aws.ToString(icf.Problems[0].Message), "not associated") {
		t.Fatalf("publish with an unassociated function: %v, want InvalidContactFlowException naming it", err)
	}
	associate(t, c, inst, "arn:aws:lambda:eu-west-2:111122223333:function:take-payment")
	if _, err := c.UpdateContactFlowContent(ctx, &connect.UpdateContactFlowContentInput{InstanceId: inst, ContactFlowId: saved.ContactFlowId, Content: aws.String(card)}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	d, err = c.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: inst, ContactFlowId: saved.ContactFlowId})
	if err != nil || d.ContactFlow.Status != types.ContactFlowStatusPublished || aws.ToInt64(d.ContactFlow.Version) != 2 || aws.ToString(d.ContactFlow.Name) != "Card capture" {
		t.Fatalf("DescribeContactFlow after publish = %+v, %v", d.ContactFlow, err)
	}

	// An invalid flow is refused with the problems list.
	bad := strings.Replace(card, `"Type": "GetParticipantInput"`, `"Type": "GetCardNumber"`, 1)
	_, err = c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Bad"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(bad)})
	if !errors.As(err, &icf) || len(icf.Problems) == 0 || !strings.Contains(aws.ToString(icf.Problems[0].Message), `unknown action Type "GetCardNumber"`) {
		t.Fatalf("invalid flow: %v, want InvalidContactFlowException naming GetCardNumber", err)
	}
	// A reference to a module that does not exist is refused at publish.
	chat := sampleContent(t, "chat.json")
	_, err = c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Chat"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(samples.Instantiate(chat, tn.boot.InstanceARN, nil))})
	if !errors.As(err, &icf) {
		t.Fatalf("flow referencing a missing module: %v, want InvalidContactFlowException", err)
	}

	// Modules: create, reference from a flow, deletion refused while referenced.
	associate(t, c, inst, "arn:aws:lambda:eu-west-2:111122223333:function:verify-customer")
	mod, err := c.CreateContactFlowModule(ctx, &connect.CreateContactFlowModuleInput{InstanceId: inst, Name: aws.String("Verify"),
		Content: aws.String(sampleContent(t, "verify_customer_module.json"))})
	if err != nil {
		t.Fatalf("CreateContactFlowModule: %v", err)
	}
	queue, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Chat queue"),
		Type: types.ContactFlowTypeCustomerQueue, Content: aws.String(sampleContent(t, "chat_queue.json"))})
	if err != nil {
		t.Fatalf("CreateContactFlow queue flow: %v", err)
	}
	basicQueue, _ := basicQueueAndHours(t, c, aws.ToString(inst))
	ids := map[string]string{"flow-module/verify-customer": aws.ToString(mod.Id), "contact-flow/chat-queue": aws.ToString(queue.ContactFlowId),
		"queue/orders": basicQueue, "queue/billing": basicQueue}
	// A queue the instance does not have is refused at publish, naming the action and path.
	_, err = c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Chat"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(samples.Instantiate(chat, tn.boot.InstanceARN, ids))})
	if !errors.As(err, &icf) || len(icf.Problems) != 1 ||
		aws.ToString(icf.Problems[0].Message) != `error: $.Actions[10].Parameters.QueueId (action "agent"): queue general does not exist in this instance [unknown_reference]` {
		t.Fatalf("flow referencing a missing queue: %v, want InvalidContactFlowException naming queue general", err)
	}
	ids["queue/general"] = basicQueue
	content := samples.Instantiate(chat, tn.boot.InstanceARN, ids)
	chatFlow, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Chat"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(content)})
	if err != nil {
		t.Fatalf("CreateContactFlow chat: %v", err)
	}
	_, err = c.DeleteContactFlowModule(ctx, &connect.DeleteContactFlowModuleInput{InstanceId: inst, ContactFlowModuleId: mod.Id})
	wantAPIError(t, err, "ResourceInUseException")
	_, err = c.DeleteContactFlow(ctx, &connect.DeleteContactFlowInput{InstanceId: inst, ContactFlowId: queue.ContactFlowId})
	wantAPIError(t, err, "ResourceInUseException")
	if _, err := c.DeleteContactFlow(ctx, &connect.DeleteContactFlowInput{InstanceId: inst, ContactFlowId: chatFlow.ContactFlowId}); err != nil {
		t.Fatalf("DeleteContactFlow chat: %v", err)
	}
	if _, err := c.DeleteContactFlowModule(ctx, &connect.DeleteContactFlowModuleInput{InstanceId: inst, ContactFlowModuleId: mod.Id}); err != nil {
		t.Fatalf("DeleteContactFlowModule after the reference is gone: %v", err)
	}

	list, err := c.ListContactFlows(ctx, &connect.ListContactFlowsInput{InstanceId: inst, ContactFlowTypes: []types.ContactFlowType{types.ContactFlowTypeCustomerQueue}})
	var queueFlows []string
	for _, f := range list.ContactFlowSummaryList {
		queueFlows = append(queueFlows, aws.ToString(f.Name))
	}
	sort.Strings(queueFlows)
	if err != nil || strings.Join(queueFlows, ",") != "Chat queue,Default customer queue" {
		t.Errorf("ListContactFlows CUSTOMER_QUEUE = %q, %v", queueFlows, err)
	}
	if _, err := c.UpdateContactFlowMetadata(ctx, &connect.UpdateContactFlowMetadataInput{InstanceId: inst, ContactFlowId: queue.ContactFlowId,
		Name: aws.String("Queue"), ContactFlowState: types.ContactFlowStateArchived}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: inst, ContactFlowId: queue.ContactFlowId})
	if err != nil || d.ContactFlow.State != types.ContactFlowStateArchived || aws.ToString(d.ContactFlow.Name) != "Queue" {
		t.Errorf("after UpdateContactFlowMetadata: %+v, %v", d.ContactFlow, err)
	}
	// Another instance cannot see these flows.
	other, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: types.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String("other"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: other.Id, ContactFlowId: queue.ContactFlowId})
	wantAPIError(t, err, "ResourceNotFoundException")
}

// associate associates a function ARN with the instance through the SDK.
func associate(t *testing.T, c *connect.Client, inst *string, arn string) {
	t.Helper()
	if _, err := c.AssociateLambdaFunction(context.Background(), &connect.AssociateLambdaFunctionInput{InstanceId: inst, FunctionArn: aws.String(arn)}); err != nil {
		t.Fatalf("AssociateLambdaFunction %s: %v", arn, err)
	}
}

// basicQueueAndHours returns the IDs of a new instance's BasicQueue and Basic Hours.
func basicQueueAndHours(t *testing.T, c *connect.Client, inst string) (queueID, hoursID string) {
	t.Helper()
	qs, err := c.ListQueues(context.Background(), &connect.ListQueuesInput{InstanceId: aws.String(inst), QueueTypes: []types.QueueType{types.QueueTypeStandard}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs.QueueSummaryList {
		if aws.ToString(q.Name) == "BasicQueue" {
			queueID = aws.ToString(q.Id)
		}
	}
	hs, err := c.ListHoursOfOperations(context.Background(), &connect.ListHoursOfOperationsInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs.HoursOfOperationSummaryList {
		if aws.ToString(h.Name) == "Basic Hours" {
			hoursID = aws.ToString(h.Id)
		}
	}
	if queueID == "" || hoursID == "" {
		t.Fatalf("no BasicQueue (%q) or Basic Hours (%q)", queueID, hoursID)
	}
	return queueID, hoursID
}

func TestSeedDemoIdempotent(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	for range 2 {
		if err := tn.n.SeedDemo(ctx, tn.boot.InstanceID); err != nil {
			t.Fatalf("SeedDemo: %v", err)
		}
	}
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	flows, err := c.ListContactFlows(ctx, &connect.ListContactFlowsInput{InstanceId: aws.String(tn.boot.InstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	mods, err := c.ListContactFlowModules(ctx, &connect.ListContactFlowModulesInput{InstanceId: aws.String(tn.boot.InstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	// The instance's default flows (bootstrap) and the demo samples, each once.
	if got, want := len(flows.ContactFlowSummaryList)+len(mods.ContactFlowModulesSummaryList), len(samples.All())+9; got != want {
		t.Errorf("%d flows and modules, want %d", got, want)
	}
	// Every sample names only resources the demo has: each passes the checks publishing
	// makes (queues, hours, flows, modules, functions exist in the instance).
	err = tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return store.EachFlowRecord(ctx, tx, tn.boot.InstanceID, flow.KindFlow, func(r flow.Record) (bool, error) {
			if r.Tags["sample"] == "true" {
				if err := api.CheckFlowContent(ctx, tx, tn.n.Config.Region, tn.n.AccountID, tn.boot.InstanceID, r.Content, true); err != nil {
					t.Errorf("sample %q does not pass the publish checks: %v", r.Name, err)
				}
			}
			return false, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The samples' functions are associated, answered by the built-in echo function.
	fns, err := tn.n.ListFunctions(ctx, tn.boot.InstanceID)
	if err != nil || len(fns) != 3 {
		t.Fatalf("ListFunctions = %+v, %v; want the samples' three", fns, err)
	}
	for _, f := range fns {
		if f.Target == nil || f.Target.Builtin != "ringfence.echo" {
			t.Errorf("%s is invoked as %+v, want the echo built-in", f.ARN, f.Target)
		}
	}
}

func TestAWSCLIContactFlows(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "flow.json")
	if err := os.WriteFile(file, []byte(sampleContent(t, "greeting_menu_queue.json")), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) []byte {
		t.Helper()
		out, err := awsRun(t, bin, tn, args...)
		if err != nil {
			t.Fatalf("aws %v: %v: %s", args, err, out)
		}
		return out
	}
	inst := []string{"--instance-id", tn.boot.InstanceID}
	// Publishing names every resource the instance lacks: the function, the hours, two queues.
	out, err := awsRun(t, bin, tn, append([]string{"create-contact-flow", "--name", "Greeting", "--type", "CONTACT_FLOW", "--content", "file://" + file}, inst...)...)
	if err == nil || !strings.Contains(string(out), "InvalidContactFlowException") || !strings.Contains(string(out), "4 problem(s)") {
		t.Fatalf("create-contact-flow with missing resources: %v: %s", err, out)
	}
	const lookup = "arn:aws:lambda:eu-west-2:111122223333:function:customer-lookup"
	cli(append([]string{"associate-lambda-function", "--function-arn", lookup}, inst...)...)
	out = cli(append([]string{"list-lambda-functions"}, inst...)...)
	if !strings.Contains(string(out), lookup) {
		t.Fatalf("list-lambda-functions = %s", out)
	}
	queueID, hoursID := basicQueueAndHours(t, tn.sdk(tn.boot.SecretAccessKey.Reveal()), tn.boot.InstanceID)
	content := samples.Instantiate(sampleContent(t, "greeting_menu_queue.json"), tn.boot.InstanceARN,
		map[string]string{"queue/sales": queueID, "queue/support": queueID, "operating-hours/office": hoursID})
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	out = cli(append([]string{"create-contact-flow", "--name", "Greeting", "--type", "CONTACT_FLOW", "--content", "file://" + file}, inst...)...)
	var created struct{ ContactFlowId, ContactFlowArn string }
	if err := json.Unmarshal(out, &created); err != nil || created.ContactFlowId == "" {
		t.Fatalf("create-contact-flow output %s: %v", out, err)
	}
	// Save a draft, then publish it.
	cli(append([]string{"update-contact-flow-content", "--contact-flow-id", created.ContactFlowId + ":$SAVED", "--content", "file://" + file}, inst...)...)
	cli(append([]string{"update-contact-flow-content", "--contact-flow-id", created.ContactFlowId, "--content", "file://" + file}, inst...)...)
	out = cli(append([]string{"describe-contact-flow", "--contact-flow-id", created.ContactFlowId}, inst...)...)
	var desc struct {
		ContactFlow struct{ Name, Type, Content, State string }
	}
	if err := json.Unmarshal(out, &desc); err != nil || desc.ContactFlow.Name != "Greeting" || desc.ContactFlow.State != "ACTIVE" ||
		!strings.Contains(desc.ContactFlow.Content, "GetParticipantInput") {
		t.Errorf("describe-contact-flow = %.300s (%v)", out, err)
	}
	out = cli(append([]string{"list-contact-flows"}, inst...)...)
	if !strings.Contains(string(out), created.ContactFlowId) {
		t.Errorf("list-contact-flows does not list the new flow: %.300s", out)
	}
	// The published flow keeps its function: disassociation is refused until the flow goes.
	out, err = awsRun(t, bin, tn, append([]string{"disassociate-lambda-function", "--function-arn", lookup}, inst...)...)
	if err == nil || !strings.Contains(string(out), "ResourceInUseException") {
		t.Fatalf("disassociate-lambda-function of a function in use: %v: %s", err, out)
	}
	cli(append([]string{"delete-contact-flow", "--contact-flow-id", created.ContactFlowId}, inst...)...)
	cli(append([]string{"disassociate-lambda-function", "--function-arn", lookup}, inst...)...)
	out = cli(append([]string{"list-lambda-functions"}, inst...)...)
	if strings.Contains(string(out), lookup) {
		t.Errorf("list-lambda-functions after disassociation = %s", out)
	}
}
