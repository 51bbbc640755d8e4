package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// SampleInboundFlowName is the default inbound flow: it greets the customer and transfers
// the contact to BasicQueue, so a fresh instance can take tasks and chats at once.
const SampleInboundFlowName = "Sample inbound flow"

// defaultFlow is one flow a new instance gets, like Connect's default flows ("Default
// customer queue", "Default agent whisper", ...). Content is a Flow-language document in
// which {{QUEUE_ARN}} stands for BasicQueue's ARN.
type defaultFlow struct {
	name, typ, description, content string
}

const endFlow = `{"Version":"2019-10-30","StartAction":"end","Metadata":{"type":"%s"},"Actions":[
 {"Identifier":"end","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}]}`

const transferFlow = `{"Version":"2019-10-30","StartAction":"transfer","Metadata":{"type":"%s"},"Actions":[
 {"Identifier":"transfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end",
  "Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

const queueFlow = `{"Version":"2019-10-30","StartAction":"hold","Metadata":{"type":"customerQueue"},"Actions":[
 {"Identifier":"hold","Type":"MessageParticipant","Parameters":{"Text":"Thank you for waiting. An agent will be with you shortly."},
  "Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}]}`

const inboundFlow = `{"Version":"2019-10-30","StartAction":"greet","Metadata":{"type":"contactFlow"},"Actions":[
 {"Identifier":"greet","Type":"MessageParticipant","Parameters":{"Text":"Thank you for contacting us. We are connecting you to an agent."},
  "Transitions":{"NextAction":"queue","Errors":[{"NextAction":"queue","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"queue","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"{{QUEUE_ARN}}"},
  "Transitions":{"NextAction":"transfer","Errors":[{"NextAction":"sorry","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"transfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"sorry",
  "Errors":[{"NextAction":"sorry","ErrorType":"QueueAtCapacity"},{"NextAction":"sorry","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"sorry","Type":"MessageParticipant","Parameters":{"Text":"We cannot take your request right now. Please try again later."},
  "Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// defaultFlows lists the flows every new instance gets, one per flow type Connect ships a
// default for, plus the sample inbound flow.
func defaultFlows() []defaultFlow {
	return []defaultFlow{
		{SampleInboundFlowName, "CONTACT_FLOW", "Greets the customer and transfers to BasicQueue", inboundFlow},
		{"Default customer queue", "CUSTOMER_QUEUE", "Runs for customers waiting in a queue", queueFlow},
		{"Default customer hold", "CUSTOMER_HOLD", "Runs for a customer on hold", fmt.Sprintf(endFlow, "customerHold")},
		{"Default customer whisper", "CUSTOMER_WHISPER", "Runs for the customer before the agent joins", fmt.Sprintf(endFlow, "customerWhisper")},
		{"Default agent hold", "AGENT_HOLD", "Runs for an agent on hold", fmt.Sprintf(endFlow, "agentHold")},
		{"Default agent whisper", "AGENT_WHISPER", "Runs for the agent before the customer joins", fmt.Sprintf(endFlow, "agentWhisper")},
		{"Default outbound", "OUTBOUND_WHISPER", "Runs for the customer of an outbound contact", fmt.Sprintf(endFlow, "outboundWhisper")},
		{"Default agent transfer", "AGENT_TRANSFER", "Transfers a contact to an agent", fmt.Sprintf(transferFlow, "agentTransfer")},
		{"Default queue transfer", "QUEUE_TRANSFER", "Transfers a contact to a queue", fmt.Sprintf(transferFlow, "queueTransfer")},
	}
}

// seedFlows stores the default flows, published, pointing at the instance's BasicQueue.
func seedFlows(ctx context.Context, tx store.Tx, inst instance.Instance, env Env) error {
	queueARN := ""
	queues, err := tx.ListQueues(ctx, inst.ID, "", 100)
	if err != nil {
		return err
	}
	for _, q := range queues {
		if q.Name == BasicQueueName {
			queueARN = inst.ARN(env.Region, env.AccountID) + "/queue/" + q.ID
		}
	}
	if queueARN == "" {
		return fmt.Errorf("seed flows: %s is missing", BasicQueueName)
	}
	for _, d := range defaultFlows() {
		content := strings.ReplaceAll(d.content, "{{QUEUE_ARN}}", queueARN)
		if _, _, err := flow.Load([]byte(content), flow.DefaultLimits()); err != nil {
			return fmt.Errorf("seed flow %q: %w", d.name, err)
		}
		rec := flow.Record{InstanceID: inst.ID, ID: env.NewID(), Kind: flow.KindFlow, Name: d.name, Type: d.typ, Description: d.description,
			State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content, Version: 1,
			Tags: map[string]string{}, LastModified: env.Now}
		if err := tx.CreateFlowRecord(ctx, rec); err != nil {
			return fmt.Errorf("seed flow %q: %w", d.name, err)
		}
	}
	return nil
}
