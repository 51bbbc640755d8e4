package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/routing"
)

// queueIDByName returns the ID of the instance's standard queue name.
func queueIDByName(t *testing.T, c *connect.Client, inst, name string) string {
	t.Helper()
	out, err := c.ListQueues(context.Background(), &connect.ListQueuesInput{InstanceId: aws.String(inst), QueueTypes: []types.QueueType{types.QueueTypeStandard}})
	if err != nil {
		t.Fatalf("ListQueues: %v", err)
	}
	for _, q := range out.QueueSummaryList {
		if aws.ToString(q.Name) == name {
			return aws.ToString(q.Id)
		}
	}
	t.Fatalf("no queue %q", name)
	return ""
}

// wantAPIMessage checks the error's code and that its message contains part.
func wantAPIMessage(t *testing.T, err error, code, part string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), part) {
		t.Fatalf("error = %v, want %s mentioning %q", err, code, part)
	}
}

func (tn *testNode) sdkKey(keyID, secret string) *connect.Client {
	return connect.New(connect.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(tn.endpoint), HTTPClient: tn.client})
}

// values maps a metric result's collections to name → value.
func values(r types.CurrentMetricResult) map[string]float64 {
	out := map[string]float64{}
	for _, c := range r.Collections {
		out[string(c.Metric.Name)] = aws.ToFloat64(c.Value)
	}
	return out
}

var allCurrentMetrics = []types.CurrentMetric{
	{Name: types.CurrentMetricNameAgentsOnline, Unit: types.UnitCount}, {Name: types.CurrentMetricNameAgentsAvailable, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsOnContact, Unit: types.UnitCount}, {Name: types.CurrentMetricNameAgentsStaffed, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsAfterContactWork, Unit: types.UnitCount}, {Name: types.CurrentMetricNameAgentsNonProductive, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsError, Unit: types.UnitCount}, {Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameOldestContactAge, Unit: types.UnitSeconds}, {Name: types.CurrentMetricNameContactsScheduled, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameSlotsActive, Unit: types.UnitCount}, {Name: types.CurrentMetricNameSlotsAvailable, Unit: types.UnitCount},
}

// TestSDKRealTimeMetrics reads GetCurrentMetricData and GetCurrentUserData with the Go SDK
// while agents take tasks: the numbers come from the instance's router.
func TestSDKRealTimeMetrics(t *testing.T) {
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
	basic := queueIDByName(t, c, inst, "BasicQueue")
	busy, lunching, absent := createAgentUser(t, c, inst, "rt.busy"), createAgentUser(t, c, inst, "rt.lunch"), createAgentUser(t, c, inst, "rt.absent")
	lunch, err := c.CreateAgentStatus(ctx, &connect.CreateAgentStatusInput{InstanceId: aws.String(inst), Name: aws.String("Lunch"), State: types.AgentStatusStateEnabled})
	if err != nil {
		t.Fatalf("CreateAgentStatus: %v", err)
	}
	for user, status := range map[string]string{busy: availableStatus(t, c, inst), lunching: aws.ToString(lunch.AgentStatusId)} {
		if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(user), AgentStatusId: aws.String(status)}); err != nil {
			t.Fatalf("PutUserStatus: %v", err)
		}
	}
	flowID := flowIDByName(t, c, inst, "Sample inbound flow")
	var tasks []string
	for i := range 3 {
		out, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID), Name: aws.String("task " + string(rune('A'+i)))})
		if err != nil {
			t.Fatalf("StartTaskContact: %v", err)
		}
		tasks = append(tasks, aws.ToString(out.ContactId))
		if i == 0 {
			waitContact(t, tn, inst, tasks[0], contact.StateOffered) // the first goes to busy
		} else {
			waitContact(t, tn, inst, tasks[i], contact.StateQueued)
		}
	}
	offer := watch.next(t, routing.EventOfferMade, tasks[0])

	get := func(groupings []types.Grouping, metrics []types.CurrentMetric) *connect.GetCurrentMetricDataOutput {
		t.Helper()
		out, err := c.GetCurrentMetricData(ctx, &connect.GetCurrentMetricDataInput{InstanceId: aws.String(inst),
			Filters:   &types.Filters{Queues: []string{basic}, Channels: []types.Channel{types.ChannelTask}},
			Groupings: groupings, CurrentMetrics: metrics})
		if err != nil {
			t.Fatalf("GetCurrentMetricData: %v", err)
		}
		return out
	}
	grouped := get([]types.Grouping{types.GroupingQueue, types.GroupingChannel}, allCurrentMetrics)
	if len(grouped.MetricResults) != 1 || aws.ToInt64(grouped.ApproximateTotalCount) != 1 || grouped.DataSnapshotTime == nil {
		t.Fatalf("grouped results: %+v", grouped)
	}
	r := grouped.MetricResults[0]
	if r.Dimensions == nil || aws.ToString(r.Dimensions.Queue.Id) != basic || r.Dimensions.Channel != types.ChannelTask ||
		!strings.HasSuffix(aws.ToString(r.Dimensions.Queue.Arn), "/queue/"+basic) {
		t.Errorf("dimensions: %+v", r.Dimensions)
	}
	v := values(r)
	want := map[string]float64{"CONTACTS_IN_QUEUE": 3, "AGENTS_ONLINE": 2, "AGENTS_AVAILABLE": 0, "AGENTS_STAFFED": 1, "AGENTS_NON_PRODUCTIVE": 1,
		"AGENTS_ON_CONTACT": 0, "AGENTS_AFTER_CONTACT_WORK": 0, "AGENTS_ERROR": 0, "CONTACTS_SCHEDULED": 0, "SLOTS_ACTIVE": 1, "SLOTS_AVAILABLE": 0}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %v, want %v", k, v[k], w)
		}
	}
	if v["OLDEST_CONTACT_AGE"] <= 0 || v["OLDEST_CONTACT_AGE"] > 60 {
		t.Errorf("OLDEST_CONTACT_AGE = %v seconds", v["OLDEST_CONTACT_AGE"])
	}
	// Without groupings: one result, OLDEST_CONTACT_AGE in milliseconds as Connect documents.
	flat := get(nil, []types.CurrentMetric{{Name: types.CurrentMetricNameOldestContactAge, Unit: types.UnitSeconds}, {Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount}})
	if len(flat.MetricResults) != 1 || flat.MetricResults[0].Dimensions != nil {
		t.Fatalf("flat results: %+v", flat.MetricResults)
	}
	if fv := values(flat.MetricResults[0]); fv["OLDEST_CONTACT_AGE"] < 1000*v["OLDEST_CONTACT_AGE"] || fv["CONTACTS_IN_QUEUE"] != 3 {
		t.Errorf("flat values %v (grouped age %v s)", fv, v["OLDEST_CONTACT_AGE"])
	}
	// Unsupported metrics, filters and groupings name what is supported.
	_, err = c.GetCurrentMetricData(ctx, &connect.GetCurrentMetricDataInput{InstanceId: aws.String(inst), Filters: &types.Filters{Queues: []string{basic}},
		CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameEstimatedWaitTime, Unit: types.UnitSeconds}}})
	wantAPIMessage(t, err, "InvalidParameterException", "supported: AGENTS_AFTER_CONTACT_WORK, AGENTS_AVAILABLE")
	_, err = c.GetCurrentMetricData(ctx, &connect.GetCurrentMetricDataInput{InstanceId: aws.String(inst), Filters: &types.Filters{Queues: []string{basic}},
		Groupings: []types.Grouping{types.GroupingRoutingProfile}, CurrentMetrics: allCurrentMetrics[:1]})
	wantAPIMessage(t, err, "InvalidParameterException", "use QUEUE and CHANNEL")
	_, err = c.GetCurrentMetricData(ctx, &connect.GetCurrentMetricDataInput{InstanceId: aws.String(inst), Filters: &types.Filters{Queues: []string{"00000000-0000-4000-8000-000000000000"}},
		CurrentMetrics: allCurrentMetrics[:1]})
	wantAPIError(t, err, "ResourceNotFoundException")

	// GetCurrentUserData: the absent agent never logged in; busy has the offer.
	ud, err := c.GetCurrentUserData(ctx, &connect.GetCurrentUserDataInput{InstanceId: aws.String(inst), Filters: &types.UserDataFilters{Agents: []string{busy, lunching, absent}}})
	if err != nil {
		t.Fatalf("GetCurrentUserData: %v", err)
	}
	if len(ud.UserDataList) != 2 || aws.ToInt64(ud.ApproximateTotalCount) != 2 {
		t.Fatalf("user data: %+v", ud.UserDataList)
	}
	byUser := map[string]types.UserData{}
	for _, u := range ud.UserDataList {
		byUser[aws.ToString(u.User.Id)] = u
	}
	b := byUser[busy]
	if aws.ToString(b.Status.StatusName) != "Available" || b.Status.StatusStartTimestamp == nil || len(b.Contacts) != 1 ||
		aws.ToString(b.Contacts[0].ContactId) != tasks[0] || b.Contacts[0].AgentContactState != types.ContactStateIncoming ||
		b.Contacts[0].Channel != types.ChannelTask || aws.ToString(b.Contacts[0].Queue.Id) != basic ||
		b.MaxSlotsByChannel["TASK"] != 1 || b.ActiveSlotsByChannel["TASK"] != 1 || b.AvailableSlotsByChannel["TASK"] != 0 || b.AvailableSlotsByChannel["CHAT"] != 0 {
		t.Errorf("busy agent: %+v", b)
	}
	l := byUser[lunching]
	if aws.ToString(l.Status.StatusName) != "Lunch" || !strings.HasSuffix(aws.ToString(l.Status.StatusArn), "/agent-state/"+aws.ToString(lunch.AgentStatusId)) ||
		len(l.Contacts) != 0 || aws.ToString(l.RoutingProfile.Id) == "" {
		t.Errorf("lunching agent: %+v", l)
	}
	onlyIncoming, err := c.GetCurrentUserData(ctx, &connect.GetCurrentUserDataInput{InstanceId: aws.String(inst),
		Filters: &types.UserDataFilters{Queues: []string{basic}, ContactFilter: &types.ContactFilter{ContactStates: []types.ContactState{types.ContactStateIncoming}}}})
	if err != nil || len(onlyIncoming.UserDataList) != 1 || aws.ToString(onlyIncoming.UserDataList[0].User.Id) != busy {
		t.Fatalf("agents with an incoming contact: %+v, %v", onlyIncoming, err)
	}

	// Once accepted, the agent is on contact.
	if _, err := rt.Contacts.Accept(ctx, &audit.Event{Code: "test.AcceptOffer", Actor: "user:" + busy, Operation: "AcceptOffer"}, inst, busy, offer.Offer.ID); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	waitContact(t, tn, inst, tasks[0], contact.StateConnected)
	v = values(get([]types.Grouping{types.GroupingQueue}, allCurrentMetrics).MetricResults[0])
	if v["AGENTS_ON_CONTACT"] != 1 || v["CONTACTS_IN_QUEUE"] != 2 {
		t.Errorf("after accept: %v", v)
	}

	// An agent's key may not read metrics; a call center manager's may.
	agentKey, agentSecret := tn.userKey(t, inst, "rt.busy")
	_, err = tn.sdkKey(agentKey, agentSecret).GetCurrentMetricData(ctx, &connect.GetCurrentMetricDataInput{InstanceId: aws.String(inst),
		Filters: &types.Filters{Queues: []string{basic}}, CurrentMetrics: allCurrentMetrics[:1]})
	wantAPIError(t, err, "AccessDeniedException")
	ids := profileIDs(t, c, inst)
	if _, err := c.CreateUser(ctx, createUserInput(inst, "rt.manager", ids["CallCenterManager"])); err != nil {
		t.Fatal(err)
	}
	mKey, mSecret := tn.userKey(t, inst, "rt.manager")
	if _, err := tn.sdkKey(mKey, mSecret).GetCurrentUserData(ctx, &connect.GetCurrentUserDataInput{InstanceId: aws.String(inst),
		Filters: &types.UserDataFilters{Agents: []string{busy}}}); err != nil {
		t.Errorf("call center manager GetCurrentUserData: %v", err)
	}
}

// TestSDKMetricDataV2 computes historical metrics from the stored contacts: one task handled
// by an agent, one abandoned in the queue.
func TestSDKMetricDataV2(t *testing.T) {
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
	basic := queueIDByName(t, c, inst, "BasicQueue")
	agent := createAgentUser(t, c, inst, "v2.agent")
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(inst), UserId: aws.String(agent), AgentStatusId: aws.String(availableStatus(t, c, inst))}); err != nil {
		t.Fatal(err)
	}
	flowID := flowIDByName(t, c, inst, "Sample inbound flow")
	start := time.Now().Add(-time.Minute)
	task := func(name string) string {
		out, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("StartTaskContact: %v", err)
		}
		return aws.ToString(out.ContactId)
	}
	ev := func(op string) *audit.Event {
		return &audit.Event{Code: "test." + op, Actor: "user:" + agent, Operation: op}
	}
	handled := task("handled")
	offer := watch.next(t, routing.EventOfferMade, handled)
	if _, err := rt.Contacts.Accept(ctx, ev("AcceptOffer"), inst, agent, offer.Offer.ID); err != nil {
		t.Fatal(err)
	}
	waitContact(t, tn, inst, handled, contact.StateConnected)
	abandoned := task("abandoned")
	waitContact(t, tn, inst, abandoned, contact.StateQueued)
	if _, err := c.StopContact(ctx, &connect.StopContactInput{InstanceId: aws.String(inst), ContactId: aws.String(abandoned)}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Contacts.EndByAgent(ctx, ev("EndContact"), inst, agent, handled); err != nil {
		t.Fatal(err)
	}
	if err := rt.Contacts.CompleteAfterContactWork(ctx, ev("CompleteACW"), inst, agent, handled); err != nil {
		t.Fatal(err)
	}
	waitContact(t, tn, inst, handled, contact.StateEnded)
	waitContact(t, tn, inst, abandoned, contact.StateEnded)

	instARN := "arn:aws:connect:us-east-1:" + tn.n.AccountID + ":instance/" + inst
	metric := func(name string) types.MetricV2 { return types.MetricV2{Name: aws.String(name)} }
	in := &connect.GetMetricDataV2Input{ResourceArn: aws.String(instARN), StartTime: aws.Time(start), EndTime: aws.Time(time.Now()),
		Filters:   []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: []string{basic}}},
		Groupings: []string{"QUEUE", "CHANNEL"},
		Metrics: []types.MetricV2{metric("CONTACTS_CREATED"), metric("CONTACTS_QUEUED"), metric("CONTACTS_HANDLED"), metric("CONTACTS_ABANDONED"),
			metric("ABANDONMENT_RATE"), metric("AVG_HANDLE_TIME"), metric("AVG_QUEUE_ANSWER_TIME"), metric("MAX_QUEUED_TIME"),
			{Name: aws.String("SERVICE_LEVEL"), Threshold: []types.ThresholdV2{{Comparison: aws.String("LT"), ThresholdValue: aws.Float64(60)}}},
			{Name: aws.String("CONTACTS_CREATED"), MetricFilters: []types.MetricFilterV2{{MetricFilterKey: aws.String("INITIATION_METHOD"), MetricFilterValues: []string{"API"}, Negate: true}}}}}
	out, err := c.GetMetricDataV2(ctx, in)
	if err != nil {
		t.Fatalf("GetMetricDataV2: %v", err)
	}
	if len(out.MetricResults) != 1 {
		t.Fatalf("results: %+v", out.MetricResults)
	}
	r := out.MetricResults[0]
	if r.Dimensions["QUEUE"] != basic || r.Dimensions["CHANNEL"] != "TASK" || !strings.HasSuffix(r.Dimensions["QUEUE_ARN"], "/queue/"+basic) ||
		r.MetricInterval == nil || r.MetricInterval.Interval != types.IntervalPeriodTotal {
		t.Errorf("dimensions %v interval %+v", r.Dimensions, r.MetricInterval)
	}
	got := map[int]*float64{}
	for i, col := range r.Collections {
		got[i] = col.Value
	}
	wantCounts := map[int]float64{0: 2, 1: 2, 2: 1, 3: 1, 4: 50, 8: 50, 9: 0}
	for i, w := range wantCounts {
		if got[i] == nil || *got[i] != w {
			t.Errorf("%s = %v, want %v", aws.ToString(r.Collections[i].Metric.Name), got[i], w)
		}
	}
	for _, i := range []int{5, 6, 7} {
		if got[i] == nil || *got[i] < 0 {
			t.Errorf("%s = %v", aws.ToString(r.Collections[i].Metric.Name), got[i])
		}
	}
	// By agent, hour by hour: only the handled contact has an agent.
	byAgent, err := c.GetMetricDataV2(ctx, &connect.GetMetricDataV2Input{ResourceArn: aws.String(instARN), StartTime: aws.Time(start), EndTime: aws.Time(time.Now()),
		Interval:  &types.IntervalDetails{IntervalPeriod: types.IntervalPeriodHour, TimeZone: aws.String("Europe/Berlin")},
		Filters:   []types.FilterV2{{FilterKey: aws.String("AGENT"), FilterValues: []string{agent}}},
		Groupings: []string{"AGENT"}, Metrics: []types.MetricV2{metric("CONTACTS_HANDLED"), metric("AVG_AFTER_CONTACT_WORK_TIME")}})
	if err != nil {
		t.Fatalf("GetMetricDataV2 by agent: %v", err)
	}
	if len(byAgent.MetricResults) != 1 || byAgent.MetricResults[0].Dimensions["AGENT"] != agent || aws.ToFloat64(byAgent.MetricResults[0].Collections[0].Value) != 1 ||
		byAgent.MetricResults[0].MetricInterval.Interval != types.IntervalPeriodHour {
		t.Errorf("by agent: %+v", byAgent.MetricResults)
	}
	in.Metrics = []types.MetricV2{metric("AGENT_OCCUPANCY")}
	_, err = c.GetMetricDataV2(ctx, in)
	wantAPIMessage(t, err, "InvalidParameterException", "supported: ABANDONMENT_RATE")
	in.Metrics, in.Filters = []types.MetricV2{metric("CONTACTS_CREATED")}, []types.FilterV2{{FilterKey: aws.String("CHANNEL"), FilterValues: []string{"TASK"}}}
	_, err = c.GetMetricDataV2(ctx, in)
	wantAPIMessage(t, err, "InvalidParameterException", "QUEUE or an AGENT")
	in.Filters, in.ResourceArn = []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: []string{basic}}}, aws.String("arn:aws:connect:us-east-1:"+tn.n.AccountID+":instance/00000000-0000-4000-8000-000000000000")
	_, err = c.GetMetricDataV2(ctx, in)
	wantAPIError(t, err, "ResourceNotFoundException")
}

// TestAWSCLIMetrics reads real-time and historical metrics with the AWS CLI, as the README
// shows.
func TestAWSCLIMetrics(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	inst := tn.boot.InstanceID
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	basic := queueIDByName(t, c, inst, "BasicQueue")
	started, err := c.StartTaskContact(context.Background(), &connect.StartTaskContactInput{InstanceId: aws.String(inst),
		ContactFlowId: aws.String(flowIDByName(t, c, inst, "Sample inbound flow")), Name: aws.String("cli metrics")})
	if err != nil {
		t.Fatal(err)
	}
	waitContact(t, tn, inst, aws.ToString(started.ContactId), contact.StateQueued)
	out, err := awsRun(t, bin, tn, "get-current-metric-data", "--instance-id", inst, "--filters", "Queues="+basic+",Channels=TASK",
		"--groupings", "QUEUE", "--current-metrics", "Name=CONTACTS_IN_QUEUE,Unit=COUNT", "Name=OLDEST_CONTACT_AGE,Unit=SECONDS")
	if err != nil {
		t.Fatalf("get-current-metric-data: %v: %s", err, out)
	}
	var cur struct {
		MetricResults []struct {
			Dimensions  struct{ Queue struct{ Id string } }
			Collections []struct {
				Metric struct{ Name string }
				Value  float64
			}
		}
	}
	if err := json.Unmarshal(out, &cur); err != nil || len(cur.MetricResults) != 1 || cur.MetricResults[0].Dimensions.Queue.Id != basic ||
		cur.MetricResults[0].Collections[0].Value != 1 {
		t.Fatalf("get-current-metric-data printed %s", out)
	}
	out, err = awsRun(t, bin, tn, "get-current-user-data", "--instance-id", inst, "--filters", "Queues="+basic)
	if err != nil || !strings.Contains(string(out), `"UserDataList": []`) {
		t.Errorf("get-current-user-data: %v: %s", err, out)
	}
	// get-metric-data-v2 exists in AWS CLI versions from 2.11 on.
	if help, _ := awsRun(t, bin, tn, "help"); strings.Contains(string(help), "get-metric-data-v2") {
		now := time.Now().UTC()
		out, err = awsRun(t, bin, tn, "get-metric-data-v2", "--resource-arn", "arn:aws:connect:us-east-1:"+tn.n.AccountID+":instance/"+inst,
			"--start-time", now.Add(-time.Hour).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339),
			"--filters", "FilterKey=QUEUE,FilterValues="+basic, "--metrics", "Name=CONTACTS_CREATED", "Name=CONTACTS_QUEUED")
		if err != nil {
			t.Fatalf("get-metric-data-v2: %v: %s", err, out)
		}
		if !strings.Contains(string(out), `"Name": "CONTACTS_QUEUED"`) || !strings.Contains(string(out), `"Value": 1.0`) {
			t.Errorf("get-metric-data-v2 printed %s", out)
		}
	} else {
		t.Log("this AWS CLI has no get-metric-data-v2 (added in 2.11); the SDK test covers GetMetricDataV2")
	}
	out, err = awsRun(t, bin, tn, "get-current-metric-data", "--instance-id", inst, "--filters", "Queues="+basic,
		"--current-metrics", "Name=ESTIMATED_WAIT_TIME,Unit=SECONDS")
	if err == nil || !strings.Contains(string(out), "InvalidParameterException") || !strings.Contains(string(out), "CONTACTS_IN_QUEUE") {
		t.Errorf("unsupported metric: %v: %s", err, out)
	}
}
