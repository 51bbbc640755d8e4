package node_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/routing"
)

// TestSDKTransferContact transfers a task with the Go SDK: to a queue and to a user through
// Connect's transfer flows, and starts tasks with USER, QUEUE and PHONE_NUMBER quick connects.
func TestSDKTransferContact(t *testing.T) {
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
	available := availableStatus(t, c, inst)
	first, second, third := createAgentUser(t, c, inst, "xfer.first"), createAgentUser(t, c, inst, "xfer.second"), createAgentUser(t, c, inst, "xfer.third")
	hours, err := c.ListHoursOfOperations(ctx, &connect.ListHoursOfOperationsInput{InstanceId: aws.String(inst)})
	if err != nil || len(hours.HoursOfOperationSummaryList) == 0 {
		t.Fatalf("ListHoursOfOperations: %v", err)
	}
	// Escalations is in no routing profile: contacts wait there.
	esc, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: aws.String(inst), Name: aws.String("Escalations"), HoursOfOperationId: hours.HoursOfOperationSummaryList[0].Id})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	escalations := aws.ToString(esc.QueueId)
	queueXfer, agentXfer := flowIDByName(t, c, inst, "Default queue transfer"), flowIDByName(t, c, inst, "Default agent transfer")
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(first), AgentStatusId: aws.String(available)}); err != nil {
		t.Fatal(err)
	}
	started, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowIDByName(t, c, inst, "Sample inbound flow")), Name: aws.String("escalate me")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(started.ContactId)
	offer := watch.next(t, routing.EventOfferMade, id)
	if _, err := rt.Contacts.Accept(ctx, &audit.Event{Code: "test.AcceptOffer", Actor: "user:" + first, Operation: "AcceptOffer"}, inst, first, offer.Offer.ID); err != nil {
		t.Fatal(err)
	}
	waitContact(t, tn, inst, id, contact.StateConnected)

	// To a queue, through the queue transfer flow.
	out, err := c.TransferContact(ctx, &connect.TransferContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id), QueueId: aws.String(escalations), ContactFlowId: aws.String(queueXfer)})
	if err != nil {
		t.Fatalf("TransferContact to a queue: %v", err)
	}
	if aws.ToString(out.ContactId) != id || aws.ToString(out.ContactArn) == "" {
		t.Errorf("TransferContact answer: %+v", out)
	}
	waitContact(t, tn, inst, id, contact.StateQueued)
	desc, err := c.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id)})
	if err != nil || desc.Contact.QueueInfo == nil || aws.ToString(desc.Contact.QueueInfo.Id) != escalations {
		t.Fatalf("DescribeContact after transfer: %+v, %v", desc, err)
	}
	ud, err := c.GetCurrentUserData(ctx, &connect.GetCurrentUserDataInput{InstanceId: aws.String(inst), Filters: &types.UserDataFilters{Agents: []string{first}}})
	if err != nil || len(ud.UserDataList) != 1 || len(ud.UserDataList[0].Contacts) != 1 || ud.UserDataList[0].Contacts[0].AgentContactState != types.ContactStateEnded {
		t.Errorf("the first agent after the transfer (after-contact work): %+v, %v", ud, err)
	}

	// To a user who has not chosen a status: the contact waits in their agent queue until
	// they are available.
	if _, err := c.TransferContact(ctx, &connect.TransferContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id), UserId: aws.String(second), ContactFlowId: aws.String(agentXfer)}); err != nil {
		t.Fatalf("TransferContact to a user: %v", err)
	}
	if got := waitContact(t, tn, inst, id, contact.StateQueued); got.Queue.QueueID != contact.AgentQueueID(second) {
		t.Errorf("queue after transfer to a user: %q", got.Queue.QueueID)
	}
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(second), AgentStatusId: aws.String(available)}); err != nil {
		t.Fatal(err)
	}
	if o := watch.next(t, routing.EventOfferMade, id); o.AgentID != second {
		t.Errorf("offered to %s, want %s", o.AgentID, second)
	}

	// Refusals.
	_, err = c.TransferContact(ctx, &connect.TransferContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id), QueueId: aws.String(escalations), UserId: aws.String(second), ContactFlowId: aws.String(queueXfer)})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.TransferContact(ctx, &connect.TransferContactInput{InstanceId: aws.String(inst), ContactId: aws.String(id), QueueId: aws.String(escalations),
		ContactFlowId: aws.String(flowIDByName(t, c, inst, "Default customer queue"))})
	wantAPIMessage(t, err, "InvalidParameterException", "QUEUE_TRANSFER")
	chat, err := c.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowIDByName(t, c, inst, "Sample inbound flow")),
		ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String("Jane")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TransferContact(ctx, &connect.TransferContactInput{InstanceId: aws.String(inst), ContactId: chat.ContactId, QueueId: aws.String(escalations), ContactFlowId: aws.String(queueXfer)})
	wantAPIMessage(t, err, "InvalidRequestException", "TASK")

	// Quick connects: a task started with a USER quick connect waits for that agent; with a
	// QUEUE one in its queue; a PHONE_NUMBER one cannot take a task.
	qc := func(name string, cfg *types.QuickConnectConfig) string {
		t.Helper()
		out, err := c.CreateQuickConnect(ctx, &connect.CreateQuickConnectInput{InstanceId: aws.String(inst), Name: aws.String(name), QuickConnectConfig: cfg})
		if err != nil {
			t.Fatalf("CreateQuickConnect %s: %v", name, err)
		}
		return aws.ToString(out.QuickConnectId)
	}
	toThird := qc("Third agent", &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypeUser,
		UserConfig: &types.UserQuickConnectConfig{UserId: aws.String(third), ContactFlowId: aws.String(agentXfer)}})
	toEsc := qc("Escalations", &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypeQueue,
		QueueConfig: &types.QueueQuickConnectConfig{QueueId: aws.String(escalations), ContactFlowId: aws.String(queueXfer)}})
	toPhone := qc("Hotline", &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypePhoneNumber,
		PhoneConfig: &types.PhoneNumberQuickConnectConfig{PhoneNumber: aws.String("+15555550100")}})
	viaUser, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), QuickConnectId: aws.String(toThird), Name: aws.String("for the third agent")})
	if err != nil {
		t.Fatalf("StartTaskContact with a USER quick connect: %v", err)
	}
	if got := waitContact(t, tn, inst, aws.ToString(viaUser.ContactId), contact.StateQueued); got.Queue.QueueID != contact.AgentQueueID(third) {
		t.Errorf("USER quick-connect task waits in %q", got.Queue.QueueID)
	}
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(third), AgentStatusId: aws.String(available)}); err != nil {
		t.Fatal(err)
	}
	if o := watch.next(t, routing.EventOfferMade, aws.ToString(viaUser.ContactId)); o.AgentID != third {
		t.Errorf("USER quick-connect task offered to %s", o.AgentID)
	}
	viaQueue, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), QuickConnectId: aws.String(toEsc), Name: aws.String("for escalations")})
	if err != nil {
		t.Fatalf("StartTaskContact with a QUEUE quick connect: %v", err)
	}
	if got := waitContact(t, tn, inst, aws.ToString(viaQueue.ContactId), contact.StateQueued); got.Queue.QueueID != escalations {
		t.Errorf("QUEUE quick-connect task waits in %q", got.Queue.QueueID)
	}
	_, err = c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), QuickConnectId: aws.String(toPhone), Name: aws.String("dial out")})
	wantAPIMessage(t, err, "InvalidRequestException", "cannot be transferred to a phone number")
}

// TestDemoRouting: the demo adds a second queue and a routing profile with CHAT 3 and TASK 2
// from both queues, and its agents get that profile; running it again changes nothing.
func TestDemoRouting(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := tn.boot.InstanceID
	people := demoUsers(t, tn)
	if _, err := tn.n.SeedDemoUsers(ctx, inst); err != nil {
		t.Fatalf("SeedDemoUsers again: %v", err)
	}
	support := queueIDByName(t, c, inst, node.DemoQueueName)
	basic := queueIDByName(t, c, inst, "BasicQueue")
	profiles, err := c.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	var profileID string
	n := 0
	for _, p := range profiles.RoutingProfileSummaryList {
		if aws.ToString(p.Name) == node.DemoRoutingProfileName {
			profileID = aws.ToString(p.Id)
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d routing profiles named %q", n, node.DemoRoutingProfileName)
	}
	rp, err := c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(profileID)})
	if err != nil {
		t.Fatal(err)
	}
	conc := map[types.Channel]int32{}
	for _, m := range rp.RoutingProfile.MediaConcurrencies {
		conc[m.Channel] = aws.ToInt32(m.Concurrency)
	}
	if conc[types.ChannelChat] != 3 || conc[types.ChannelTask] != 2 || conc[types.ChannelVoice] != 1 {
		t.Errorf("concurrency %v, want CHAT 3, TASK 2, VOICE 1", conc)
	}
	qs, err := c.ListRoutingProfileQueues(ctx, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(profileID)})
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]int32{}
	for _, q := range qs.RoutingProfileQueueConfigSummaryList {
		entries[aws.ToString(q.QueueId)+"/"+string(q.Channel)] = aws.ToInt32(q.Priority)
	}
	if len(entries) != 5 || entries[support+"/CHAT"] != 2 || entries[support+"/TASK"] != 2 || entries[basic+"/TASK"] != 1 {
		t.Errorf("profile queues: %v", entries)
	}
	users, err := c.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.UserSummaryList {
		du, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: u.Id})
		if err != nil {
			t.Fatal(err)
		}
		isAgent := aws.ToString(u.Username) == "agent1" || aws.ToString(u.Username) == "agent2"
		if got := aws.ToString(du.User.RoutingProfileId); (got == profileID) != isAgent {
			t.Errorf("%s has routing profile %s", aws.ToString(u.Username), got)
		}
	}
	// Both demo queues offer a quick connect to each of them (seeded once, though seeded
	// twice), which is what the demo agents see when they transfer.
	for _, q := range []string{basic, support} {
		qcs, err := c.ListQueueQuickConnects(ctx, &connect.ListQueueQuickConnectsInput{InstanceId: aws.String(inst), QueueId: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, qc := range qcs.QuickConnectSummaryList {
			names = append(names, aws.ToString(qc.Name))
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"BasicQueue", node.DemoQueueName}) {
			t.Errorf("quick connects of queue %s: %v", q, names)
		}
	}
	p := tn.person(t)
	if got := p.signIn("demo", "agent1", people["agent1"].Password.Reveal()); got != "/ui/" {
		t.Fatalf("agent1 sign-in: %s", got)
	}
	var offered struct {
		QuickConnects []struct{ Name, QuickConnectType string }
	}
	if st, code := p.agentAPI(http.MethodGet, "/agent/v1/quick-connects", nil, &offered); st != 200 || len(offered.QuickConnects) != 2 ||
		offered.QuickConnects[0].Name != "BasicQueue" || offered.QuickConnects[1].Name != node.DemoQueueName {
		t.Errorf("agent1's quick connects: %d %s %+v", st, code, offered)
	}
}
