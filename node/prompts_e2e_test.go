package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// promptFlow plays a prompt (PROMPT) and mentions a quick connect (QC) in an attribute.
const promptFlow = `{"Version":"2019-10-30","StartAction":"play","Actions":[
 {"Identifier":"play","Type":"MessageParticipant","Parameters":{"PromptId":"PROMPT"},"Transitions":{"NextAction":"note","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"note","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"escalation":"QC"}},
  "Transitions":{"NextAction":"end","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// TestSDKPrompts drives the prompt operations with the Go SDK and the publishing checks that
// use them: a flow playing a prompt the instance lacks is refused, one it has is published,
// and the prompt cannot be deleted while the flow plays it.
func TestSDKPrompts(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)

	created, err := c.CreatePrompt(ctx, &connect.CreatePromptInput{InstanceId: inst, Name: aws.String("Welcome"),
		S3Uri: aws.String("s3://prompts-bucket/welcome.wav"), Description: aws.String("Greeting"), Tags: map[string]string{"lang": "en"}})
	if err != nil {
		t.Fatalf("CreatePrompt: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(created.PromptARN), ":instance/"+aws.ToString(inst)+"/prompt/"+aws.ToString(created.PromptId)) {
		t.Errorf("PromptARN = %s", aws.ToString(created.PromptARN))
	}
	_, err = c.CreatePrompt(ctx, &connect.CreatePromptInput{InstanceId: inst, Name: aws.String("Welcome"), S3Uri: aws.String("s3://b/x.wav")})
	wantAPIError(t, err, "DuplicateResourceException")
	_, err = c.CreatePrompt(ctx, &connect.CreatePromptInput{InstanceId: inst, Name: aws.String("Bad"), S3Uri: aws.String("ftp://b/x.wav")})
	wantAPIError(t, err, "InvalidParameterException")
	d, err := c.DescribePrompt(ctx, &connect.DescribePromptInput{InstanceId: inst, PromptId: created.PromptId})
	if err != nil || aws.ToString(d.Prompt.Name) != "Welcome" || aws.ToString(d.Prompt.Description) != "Greeting" || d.Prompt.Tags["lang"] != "en" || d.Prompt.LastModifiedTime == nil {
		t.Fatalf("DescribePrompt = %+v, %v", d, err)
	}
	if _, err := c.UpdatePrompt(ctx, &connect.UpdatePromptInput{InstanceId: inst, PromptId: created.PromptId, Name: aws.String("Welcome v2")}); err != nil {
		t.Fatalf("UpdatePrompt: %v", err)
	}
	list, err := c.ListPrompts(ctx, &connect.ListPromptsInput{InstanceId: inst})
	if err != nil || len(list.PromptSummaryList) != 1 || aws.ToString(list.PromptSummaryList[0].Name) != "Welcome v2" {
		t.Fatalf("ListPrompts = %+v, %v", list, err)
	}

	// Publishing checks prompts and quick connects.
	qc := tn.boot.InstanceARN + "/transfer-destination/00000000-0000-4000-8000-00000000bbbb"
	missing := strings.NewReplacer(`"PROMPT"`, `"00000000-0000-4000-8000-00000000aaaa"`, `"QC"`, `"`+qc+`"`).Replace(promptFlow)
	_, err = c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Prompted"), Type: types.ContactFlowTypeContactFlow, Content: aws.String(missing)})
	var icf *types.InvalidContactFlowException
	if !errors.As(err, &icf) || len(icf.Problems) != 2 ||
		!strings.Contains(aws.ToString(icf.Problems[0].Message), "prompt 00000000-0000-4000-8000-00000000aaaa does not exist") ||
		!strings.Contains(aws.ToString(icf.Problems[1].Message), "quick connect 00000000-0000-4000-8000-00000000bbbb does not exist") {
		t.Fatalf("flow with a missing prompt and quick connect: %v", err)
	}
	ok := strings.NewReplacer(`"PROMPT"`, `"`+aws.ToString(created.PromptARN)+`"`, `"QC"`, `"none"`).Replace(promptFlow)
	f, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Prompted"), Type: types.ContactFlowTypeContactFlow, Content: aws.String(ok)})
	if err != nil {
		t.Fatalf("CreateContactFlow with the prompt: %v", err)
	}
	_, err = c.DeletePrompt(ctx, &connect.DeletePromptInput{InstanceId: inst, PromptId: created.PromptId})
	wantAPIError(t, err, "ResourceInUseException")
	if _, err := c.DeleteContactFlow(ctx, &connect.DeleteContactFlowInput{InstanceId: inst, ContactFlowId: f.ContactFlowId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePrompt(ctx, &connect.DeletePromptInput{InstanceId: inst, PromptId: created.PromptId}); err != nil {
		t.Fatalf("DeletePrompt: %v", err)
	}
	_, err = c.DescribePrompt(ctx, &connect.DescribePromptInput{InstanceId: inst, PromptId: created.PromptId})
	wantAPIError(t, err, "ResourceNotFoundException")
}

// TestAWSCLIPrompts lists a prompt with the AWS CLI (the Debian awscli 2.9 knows list-prompts
// only; the prompt is created with the SDK).
func TestAWSCLIPrompts(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	created, err := tn.sdk(tn.boot.SecretAccessKey.Reveal()).CreatePrompt(context.Background(), &connect.CreatePromptInput{
		InstanceId: aws.String(tn.boot.InstanceID), Name: aws.String("Hold music"), S3Uri: aws.String("s3://prompts/hold.wav")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := awsRun(t, bin, tn, "list-prompts", "--instance-id", tn.boot.InstanceID)
	if err != nil || !strings.Contains(string(out), aws.ToString(created.PromptARN)) || !strings.Contains(string(out), `"Name": "Hold music"`) {
		t.Errorf("list-prompts: %v: %s", err, out)
	}
}
