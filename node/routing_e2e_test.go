package node_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/provision"
)

// routingNames lists the names of the instance's hours, queues, routing profiles and agent
// statuses, paging with MaxResults 1 so every list's pagination is exercised.
func routingNames(t *testing.T, c *connect.Client, inst *string) (hours, queues, profiles, statuses []string) {
	t.Helper()
	ctx := context.Background()
	one := aws.Int32(1)
	for p := connect.NewListHoursOfOperationsPaginator(c, &connect.ListHoursOfOperationsInput{InstanceId: inst, MaxResults: one}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListHoursOfOperations: %v", err)
		}
		for _, s := range page.HoursOfOperationSummaryList {
			hours = append(hours, aws.ToString(s.Name))
		}
	}
	for p := connect.NewListQueuesPaginator(c, &connect.ListQueuesInput{InstanceId: inst, MaxResults: one}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListQueues: %v", err)
		}
		for _, s := range page.QueueSummaryList {
			if s.QueueType != types.QueueTypeStandard {
				t.Errorf("queue %s type %q, want STANDARD", aws.ToString(s.Name), s.QueueType)
			}
			queues = append(queues, aws.ToString(s.Name))
		}
	}
	for p := connect.NewListRoutingProfilesPaginator(c, &connect.ListRoutingProfilesInput{InstanceId: inst, MaxResults: one}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListRoutingProfiles: %v", err)
		}
		for _, s := range page.RoutingProfileSummaryList {
			profiles = append(profiles, aws.ToString(s.Name))
		}
	}
	for p := connect.NewListAgentStatusesPaginator(c, &connect.ListAgentStatusesInput{InstanceId: inst, MaxResults: one}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAgentStatuses: %v", err)
		}
		for _, s := range page.AgentStatusSummaryList {
			statuses = append(statuses, aws.ToString(s.Name)+"/"+string(s.Type))
		}
	}
	for _, l := range [][]string{hours, queues, profiles, statuses} {
		slices.Sort(l)
	}
	return hours, queues, profiles, statuses
}

func weekdayConfig(start, end int32) []types.HoursOfOperationConfig {
	var cfg []types.HoursOfOperationConfig
	for _, d := range []types.HoursOfOperationDays{types.HoursOfOperationDaysMonday, types.HoursOfOperationDaysTuesday,
		types.HoursOfOperationDaysWednesday, types.HoursOfOperationDaysThursday, types.HoursOfOperationDaysFriday} {
		cfg = append(cfg, types.HoursOfOperationConfig{Day: d,
			StartTime: &types.HoursOfOperationTimeSlice{Hours: aws.Int32(start), Minutes: aws.Int32(0)},
			EndTime:   &types.HoursOfOperationTimeSlice{Hours: aws.Int32(end), Minutes: aws.Int32(30)}})
	}
	return cfg
}

func queueRef(id *string, ch types.Channel, priority, delay int32) types.RoutingProfileQueueConfig {
	return types.RoutingProfileQueueConfig{QueueReference: &types.RoutingProfileQueueReference{QueueId: id, Channel: ch},
		Priority: aws.Int32(priority), Delay: aws.Int32(delay)}
}

// profileQueues lists a routing profile's queue entries as "queue name/channel/priority/delay",
// paging two at a time.
func profileQueues(t *testing.T, c *connect.Client, inst, id *string) []string {
	t.Helper()
	var out []string
	p := connect.NewListRoutingProfileQueuesPaginator(c, &connect.ListRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: id, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListRoutingProfileQueues: %v", err)
		}
		for _, e := range page.RoutingProfileQueueConfigSummaryList {
			out = append(out, aws.ToString(e.QueueName)+"/"+string(e.Channel)+"/"+itoa(aws.ToInt32(e.Priority))+"/"+itoa(e.Delay))
		}
	}
	return out
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func TestSDKRoutingConfig(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)

	// A fresh instance starts with Connect's defaults.
	hours, queues, profiles, statuses := routingNames(t, c, inst)
	if !slices.Equal(hours, []string{"Basic Hours"}) || !slices.Equal(queues, []string{"BasicQueue"}) ||
		!slices.Equal(profiles, []string{"Basic Routing Profile"}) || !slices.Equal(statuses, []string{"Available/ROUTABLE", "Offline/OFFLINE"}) {
		t.Fatalf("fresh instance: hours %v queues %v profiles %v statuses %v", hours, queues, profiles, statuses)
	}

	// Hours of operation with a time zone.
	h, err := c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("Office"),
		Description: aws.String("weekdays"), TimeZone: aws.String("Europe/Berlin"), Config: weekdayConfig(9, 17),
		Tags: map[string]string{"team": "sales"}})
	if err != nil {
		t.Fatalf("CreateHoursOfOperation: %v", err)
	}
	dh, err := c.DescribeHoursOfOperation(ctx, &connect.DescribeHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId})
	if err != nil {
		t.Fatalf("DescribeHoursOfOperation: %v", err)
	}
	if got := dh.HoursOfOperation; aws.ToString(got.TimeZone) != "Europe/Berlin" || len(got.Config) != 5 || got.Config[0].Day != types.HoursOfOperationDaysMonday ||
		aws.ToInt32(got.Config[0].EndTime.Hours) != 17 || aws.ToInt32(got.Config[0].EndTime.Minutes) != 30 || got.Tags["team"] != "sales" ||
		aws.ToString(got.HoursOfOperationArn) != aws.ToString(h.HoursOfOperationArn) || got.LastModifiedTime == nil {
		t.Errorf("DescribeHoursOfOperation = %+v", got)
	}
	if _, err := c.UpdateHoursOfOperation(ctx, &connect.UpdateHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId,
		Name: aws.String("Office hours"), TimeZone: aws.String("America/New_York"), Config: weekdayConfig(8, 16)}); err != nil {
		t.Fatalf("UpdateHoursOfOperation: %v", err)
	}
	dh, _ = c.DescribeHoursOfOperation(ctx, &connect.DescribeHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId})
	if got := dh.HoursOfOperation; aws.ToString(got.Name) != "Office hours" || aws.ToString(got.TimeZone) != "America/New_York" || aws.ToInt32(got.Config[0].StartTime.Hours) != 8 {
		t.Errorf("after UpdateHoursOfOperation = %+v", got)
	}
	_, err = c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("Mars"),
		TimeZone: aws.String("Mars/Olympus_Mons"), Config: weekdayConfig(9, 17)})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.UpdateHoursOfOperation(ctx, &connect.UpdateHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId,
		TimeZone: aws.String("Not/A_Zone")})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("Late"), TimeZone: aws.String("UTC"),
		Config: []types.HoursOfOperationConfig{{Day: types.HoursOfOperationDaysMonday, StartTime: &types.HoursOfOperationTimeSlice{Hours: aws.Int32(25), Minutes: aws.Int32(0)},
			EndTime: &types.HoursOfOperationTimeSlice{Hours: aws.Int32(1), Minutes: aws.Int32(0)}}}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("Office hours"),
		TimeZone: aws.String("UTC"), Config: weekdayConfig(9, 17)})
	wantAPIError(t, err, "DuplicateResourceException")
	ov, err := c.CreateHoursOfOperationOverride(ctx, &connect.CreateHoursOfOperationOverrideInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId,
		Name: aws.String("Christmas"), EffectiveFrom: aws.String("2026-12-24"), EffectiveTill: aws.String("2026-12-26"), Config: []types.HoursOfOperationOverrideConfig{}})
	if err != nil {
		t.Fatalf("CreateHoursOfOperationOverride: %v", err)
	}
	_, err = c.CreateHoursOfOperationOverride(ctx, &connect.CreateHoursOfOperationOverrideInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId,
		Name: aws.String("Backwards"), EffectiveFrom: aws.String("2026-12-24"), EffectiveTill: aws.String("2026-12-01"), Config: []types.HoursOfOperationOverrideConfig{}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.CreateHoursOfOperationOverride(ctx, &connect.CreateHoursOfOperationOverrideInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId,
		Name: aws.String("Boxing Day"), EffectiveFrom: aws.String("2026-12-26"), EffectiveTill: aws.String("2026-12-26"), Config: []types.HoursOfOperationOverrideConfig{}})
	wantAPIError(t, err, "InvalidParameterException")
	ovs, err := c.ListHoursOfOperationOverrides(ctx, &connect.ListHoursOfOperationOverridesInput{InstanceId: inst, HoursOfOperationId: h.HoursOfOperationId})
	if err != nil || len(ovs.HoursOfOperationOverrideList) != 1 || aws.ToString(ovs.HoursOfOperationOverrideList[0].HoursOfOperationOverrideId) != aws.ToString(ov.HoursOfOperationOverrideId) ||
		aws.ToString(ovs.HoursOfOperationOverrideList[0].EffectiveTill) != "2026-12-26" {
		t.Errorf("ListHoursOfOperationOverrides = %+v, %v", ovs, err)
	}

	// A flow for the queue's outbound whisper and the quick connects.
	flow, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Transfer"),
		Type: types.ContactFlowTypeQueueTransfer, Content: aws.String(sampleContent(t, "chat_queue.json"))})
	if err != nil {
		t.Fatalf("CreateContactFlow: %v", err)
	}

	// Queues.
	sales, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Sales"), HoursOfOperationId: h.HoursOfOperationId,
		MaxContacts: aws.Int32(20), OutboundCallerConfig: &types.OutboundCallerConfig{OutboundCallerIdName: aws.String("Sales")}})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	support, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Support"), HoursOfOperationId: h.HoursOfOperationId})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	_, err = c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Nowhere"), HoursOfOperationId: aws.String("no-such-hours")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Sales"), HoursOfOperationId: h.HoursOfOperationId})
	wantAPIError(t, err, "DuplicateResourceException")
	dq, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: inst, QueueId: sales.QueueId})
	if err != nil {
		t.Fatalf("DescribeQueue: %v", err)
	}
	if q := dq.Queue; aws.ToInt32(q.MaxContacts) != 20 || q.Status != types.QueueStatusEnabled || aws.ToString(q.HoursOfOperationId) != aws.ToString(h.HoursOfOperationId) ||
		q.OutboundCallerConfig == nil || aws.ToString(q.OutboundCallerConfig.OutboundCallerIdName) != "Sales" || aws.ToString(q.QueueArn) != aws.ToString(sales.QueueArn) {
		t.Errorf("DescribeQueue = %+v", q)
	}
	basicHours := ""
	hl, _ := c.ListHoursOfOperations(ctx, &connect.ListHoursOfOperationsInput{InstanceId: inst})
	for _, s := range hl.HoursOfOperationSummaryList {
		if aws.ToString(s.Name) == "Basic Hours" {
			basicHours = aws.ToString(s.Id)
		}
	}
	steps := []struct {
		name string
		call func() error
	}{
		{"UpdateQueueName", func() error {
			_, err := c.UpdateQueueName(ctx, &connect.UpdateQueueNameInput{InstanceId: inst, QueueId: sales.QueueId, Name: aws.String("Sales EU"), Description: aws.String("EU sales")})
			return err
		}},
		{"UpdateQueueMaxContacts", func() error {
			_, err := c.UpdateQueueMaxContacts(ctx, &connect.UpdateQueueMaxContactsInput{InstanceId: inst, QueueId: sales.QueueId, MaxContacts: aws.Int32(5)})
			return err
		}},
		{"UpdateQueueStatus", func() error {
			_, err := c.UpdateQueueStatus(ctx, &connect.UpdateQueueStatusInput{InstanceId: inst, QueueId: sales.QueueId, Status: types.QueueStatusDisabled})
			return err
		}},
		{"UpdateQueueHoursOfOperation", func() error {
			_, err := c.UpdateQueueHoursOfOperation(ctx, &connect.UpdateQueueHoursOfOperationInput{InstanceId: inst, QueueId: sales.QueueId, HoursOfOperationId: aws.String(basicHours)})
			return err
		}},
		{"UpdateQueueOutboundCallerConfig", func() error {
			_, err := c.UpdateQueueOutboundCallerConfig(ctx, &connect.UpdateQueueOutboundCallerConfigInput{InstanceId: inst, QueueId: sales.QueueId,
				OutboundCallerConfig: &types.OutboundCallerConfig{OutboundCallerIdName: aws.String("Sales EU"), OutboundFlowId: flow.ContactFlowId}})
			return err
		}},
	}
	for _, st := range steps {
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	dq, _ = c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: inst, QueueId: sales.QueueId})
	if q := dq.Queue; aws.ToString(q.Name) != "Sales EU" || aws.ToString(q.Description) != "EU sales" || aws.ToInt32(q.MaxContacts) != 5 ||
		q.Status != types.QueueStatusDisabled || aws.ToString(q.HoursOfOperationId) != basicHours ||
		aws.ToString(q.OutboundCallerConfig.OutboundFlowId) != aws.ToString(flow.ContactFlowId) {
		t.Errorf("DescribeQueue after updates = %+v", q)
	}
	_, err = c.UpdateQueueHoursOfOperation(ctx, &connect.UpdateQueueHoursOfOperationInput{InstanceId: inst, QueueId: sales.QueueId, HoursOfOperationId: aws.String("gone")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.UpdateQueueOutboundCallerConfig(ctx, &connect.UpdateQueueOutboundCallerConfigInput{InstanceId: inst, QueueId: sales.QueueId,
		OutboundCallerConfig: &types.OutboundCallerConfig{OutboundFlowId: aws.String("no-such-flow")}})
	wantAPIError(t, err, "ResourceNotFoundException")
	for _, filter := range []struct {
		types []types.QueueType
		want  int
	}{{nil, 3}, {[]types.QueueType{types.QueueTypeStandard}, 3}, {[]types.QueueType{types.QueueTypeAgent}, 0}} {
		ql, err := c.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: inst, QueueTypes: filter.types})
		if err != nil || len(ql.QueueSummaryList) != filter.want {
			t.Errorf("ListQueues %v = %d queues, %v; want %d", filter.types, len(ql.QueueSummaryList), err, filter.want)
		}
	}

	// Routing profile: CHAT 3 and TASK 2 over two queues.
	rp, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: inst, Name: aws.String("Sales agents"),
		Description: aws.String("chat and tasks"), DefaultOutboundQueueId: sales.QueueId,
		MediaConcurrencies: []types.MediaConcurrency{
			{Channel: types.ChannelChat, Concurrency: aws.Int32(3), CrossChannelBehavior: &types.CrossChannelBehavior{BehaviorType: types.BehaviorTypeRouteAnyChannel}},
			{Channel: types.ChannelTask, Concurrency: aws.Int32(2)},
		},
		QueueConfigs: []types.RoutingProfileQueueConfig{
			queueRef(sales.QueueId, types.ChannelChat, 1, 0), queueRef(support.QueueId, types.ChannelChat, 2, 30), queueRef(support.QueueId, types.ChannelTask, 1, 0),
		}})
	if err != nil {
		t.Fatalf("CreateRoutingProfile: %v", err)
	}
	drp, err := c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId})
	if err != nil {
		t.Fatalf("DescribeRoutingProfile: %v", err)
	}
	conc := map[types.Channel]int32{}
	for _, m := range drp.RoutingProfile.MediaConcurrencies {
		conc[m.Channel] = aws.ToInt32(m.Concurrency)
	}
	if p := drp.RoutingProfile; conc[types.ChannelChat] != 3 || conc[types.ChannelTask] != 2 || len(conc) != 2 || aws.ToInt64(p.NumberOfAssociatedQueues) != 2 ||
		aws.ToString(p.DefaultOutboundQueueId) != aws.ToString(sales.QueueId) || p.IsDefault || p.AgentAvailabilityTimer != types.AgentAvailabilityTimerTimeSinceLastActivity {
		t.Errorf("DescribeRoutingProfile = %+v (concurrency %v)", p, conc)
	}
	if got, want := profileQueues(t, c, inst, rp.RoutingProfileId), []string{"Sales EU/CHAT/1/0", "Support/CHAT/2/30", "Support/TASK/1/0"}; !slices.Equal(got, want) {
		t.Errorf("ListRoutingProfileQueues = %v, want %v", got, want)
	}
	bad := []struct {
		name string
		call func() error
		code string
	}{
		{"CHAT concurrency 11", func() error {
			_, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: inst, Name: aws.String("Too many"), Description: aws.String("x"),
				DefaultOutboundQueueId: sales.QueueId, MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelChat, Concurrency: aws.Int32(11)}}})
			return err
		}, "InvalidParameterException"},
		{"VOICE concurrency 2", func() error {
			_, err := c.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelVoice, Concurrency: aws.Int32(2)}}})
			return err
		}, "InvalidParameterException"},
		{"unknown queue", func() error {
			_, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: inst, Name: aws.String("Ghost"), Description: aws.String("x"),
				DefaultOutboundQueueId: sales.QueueId, MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelChat, Concurrency: aws.Int32(1)}},
				QueueConfigs: []types.RoutingProfileQueueConfig{queueRef(aws.String("no-such-queue"), types.ChannelChat, 1, 0)}})
			return err
		}, "ResourceNotFoundException"},
		{"unknown default outbound queue", func() error {
			_, err := c.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: inst,
				RoutingProfileId: rp.RoutingProfileId, DefaultOutboundQueueId: aws.String("no-such-queue")})
			return err
		}, "ResourceNotFoundException"},
		{"priority 100", func() error {
			_, err := c.UpdateRoutingProfileQueues(ctx, &connect.UpdateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				QueueConfigs: []types.RoutingProfileQueueConfig{queueRef(sales.QueueId, types.ChannelChat, 100, 0)}})
			return err
		}, "InvalidParameterException"},
		{"entry associated twice", func() error {
			_, err := c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				QueueConfigs: []types.RoutingProfileQueueConfig{queueRef(sales.QueueId, types.ChannelChat, 1, 0)}})
			return err
		}, "InvalidParameterException"},
		{"disassociate an entry not there", func() error {
			_, err := c.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				QueueReferences: []types.RoutingProfileQueueReference{{QueueId: sales.QueueId, Channel: types.ChannelTask}}})
			return err
		}, "ResourceNotFoundException"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) { wantAPIError(t, b.call(), b.code) })
	}
	basicQueue := ""
	ql, _ := c.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: inst})
	for _, s := range ql.QueueSummaryList {
		if aws.ToString(s.Name) == "BasicQueue" {
			basicQueue = aws.ToString(s.Id)
		}
	}
	updates := []struct {
		name string
		call func() error
	}{
		{"UpdateRoutingProfileConcurrency", func() error {
			_, err := c.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelChat, Concurrency: aws.Int32(5)}, {Channel: types.ChannelTask, Concurrency: aws.Int32(2)}}})
			return err
		}},
		{"AssociateRoutingProfileQueues", func() error {
			_, err := c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				QueueConfigs: []types.RoutingProfileQueueConfig{queueRef(aws.String(basicQueue), types.ChannelChat, 3, 60)}})
			return err
		}},
		{"UpdateRoutingProfileQueues", func() error {
			_, err := c.UpdateRoutingProfileQueues(ctx, &connect.UpdateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				QueueConfigs: []types.RoutingProfileQueueConfig{queueRef(support.QueueId, types.ChannelChat, 5, 10)}})
			return err
		}},
		{"DisassociateRoutingProfileQueues", func() error {
			_, err := c.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId,
				QueueReferences: []types.RoutingProfileQueueReference{{QueueId: support.QueueId, Channel: types.ChannelTask}}})
			return err
		}},
		{"UpdateRoutingProfileName", func() error {
			_, err := c.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId, Name: aws.String("Sales team")})
			return err
		}},
		{"UpdateRoutingProfileDefaultOutboundQueue", func() error {
			_, err := c.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: inst,
				RoutingProfileId: rp.RoutingProfileId, DefaultOutboundQueueId: support.QueueId})
			return err
		}},
	}
	for _, u := range updates {
		if err := u.call(); err != nil {
			t.Fatalf("%s: %v", u.name, err)
		}
	}
	drp, _ = c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId})
	if p := drp.RoutingProfile; aws.ToString(p.Name) != "Sales team" || aws.ToString(p.DefaultOutboundQueueId) != aws.ToString(support.QueueId) ||
		aws.ToInt32(p.MediaConcurrencies[0].Concurrency) != 5 || aws.ToInt64(p.NumberOfAssociatedQueues) != 3 {
		t.Errorf("DescribeRoutingProfile after updates = %+v", p)
	}
	if got, want := profileQueues(t, c, inst, rp.RoutingProfileId), []string{"Sales EU/CHAT/1/0", "Support/CHAT/5/10", "BasicQueue/CHAT/3/60"}; !slices.Equal(got, want) {
		t.Errorf("ListRoutingProfileQueues after updates = %v, want %v", got, want)
	}

	// Agent statuses and the user's current status.
	lunch, err := c.CreateAgentStatus(ctx, &connect.CreateAgentStatusInput{InstanceId: inst, Name: aws.String("Lunch"), State: types.AgentStatusStateEnabled,
		DisplayOrder: aws.Int32(3), Description: aws.String("an hour")})
	if err != nil {
		t.Fatalf("CreateAgentStatus: %v", err)
	}
	das, err := c.DescribeAgentStatus(ctx, &connect.DescribeAgentStatusInput{InstanceId: inst, AgentStatusId: lunch.AgentStatusId})
	if err != nil || das.AgentStatus.Type != types.AgentStatusTypeCustom || aws.ToInt32(das.AgentStatus.DisplayOrder) != 3 || das.AgentStatus.State != types.AgentStatusStateEnabled {
		t.Fatalf("DescribeAgentStatus = %+v, %v", das, err)
	}
	var available, offline string
	al, err := c.ListAgentStatuses(ctx, &connect.ListAgentStatusesInput{InstanceId: inst, AgentStatusTypes: []types.AgentStatusType{types.AgentStatusTypeRoutable, types.AgentStatusTypeOffline}})
	if err != nil || len(al.AgentStatusSummaryList) != 2 {
		t.Fatalf("ListAgentStatuses ROUTABLE, OFFLINE = %+v, %v", al, err)
	}
	for _, s := range al.AgentStatusSummaryList {
		if s.Type == types.AgentStatusTypeRoutable {
			available = aws.ToString(s.Id)
		} else {
			offline = aws.ToString(s.Id)
		}
	}
	_, err = c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String("00000000-0000-4000-8000-000000000000"), AgentStatusId: aws.String(available)})
	wantAPIError(t, err, "ResourceNotFoundException")
	agentID := createAgentUser(t, c, aws.ToString(inst), "agent.one")
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(agentID), AgentStatusId: aws.String(available)}); err != nil {
		t.Fatalf("PutUserStatus Available: %v", err)
	}
	if _, err := c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(agentID), AgentStatusId: lunch.AgentStatusId}); err != nil {
		t.Fatalf("PutUserStatus Lunch: %v", err)
	}
	if _, err := c.UpdateAgentStatus(ctx, &connect.UpdateAgentStatusInput{InstanceId: inst, AgentStatusId: lunch.AgentStatusId, Name: aws.String("Lunch break"),
		State: types.AgentStatusStateDisabled, ResetOrderNumber: true}); err != nil {
		t.Fatalf("UpdateAgentStatus: %v", err)
	}
	das, _ = c.DescribeAgentStatus(ctx, &connect.DescribeAgentStatusInput{InstanceId: inst, AgentStatusId: lunch.AgentStatusId})
	if s := das.AgentStatus; aws.ToString(s.Name) != "Lunch break" || s.State != types.AgentStatusStateDisabled || s.DisplayOrder != nil {
		t.Errorf("DescribeAgentStatus after update = %+v", s)
	}
	_, err = c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(agentID), AgentStatusId: lunch.AgentStatusId})
	wantAPIError(t, err, "InvalidRequestException")
	_, err = c.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(agentID), AgentStatusId: aws.String("no-such-status")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.UpdateAgentStatus(ctx, &connect.UpdateAgentStatusInput{InstanceId: inst, AgentStatusId: aws.String(offline), State: types.AgentStatusStateDisabled})
	wantAPIError(t, err, "InvalidRequestException")
	_, err = c.CreateAgentStatus(ctx, &connect.CreateAgentStatusInput{InstanceId: inst, Name: aws.String("Break"), State: types.AgentStatusStateEnabled, DisplayOrder: aws.Int32(51)})
	wantAPIError(t, err, "InvalidParameterException")

	// Quick connects of each kind.
	qcQueue, err := c.CreateQuickConnect(ctx, &connect.CreateQuickConnectInput{InstanceId: inst, Name: aws.String("To sales"),
		QuickConnectConfig: &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypeQueue,
			QueueConfig: &types.QueueQuickConnectConfig{QueueId: sales.QueueId, ContactFlowId: flow.ContactFlowId}}})
	if err != nil {
		t.Fatalf("CreateQuickConnect QUEUE: %v", err)
	}
	if _, err := c.CreateQuickConnect(ctx, &connect.CreateQuickConnectInput{InstanceId: inst, Name: aws.String("To Ann"),
		QuickConnectConfig: &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypeUser,
			UserConfig: &types.UserQuickConnectConfig{UserId: aws.String(agentID), ContactFlowId: flow.ContactFlowId}}}); err != nil {
		t.Fatalf("CreateQuickConnect USER: %v", err)
	}
	qcPhone, err := c.CreateQuickConnect(ctx, &connect.CreateQuickConnectInput{InstanceId: inst, Name: aws.String("Head office"),
		QuickConnectConfig: &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypePhoneNumber,
			PhoneConfig: &types.PhoneNumberQuickConnectConfig{PhoneNumber: aws.String("+493012345678")}}})
	if err != nil {
		t.Fatalf("CreateQuickConnect PHONE_NUMBER: %v", err)
	}
	_, err = c.CreateQuickConnect(ctx, &connect.CreateQuickConnectInput{InstanceId: inst, Name: aws.String("Bad number"),
		QuickConnectConfig: &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypePhoneNumber,
			PhoneConfig: &types.PhoneNumberQuickConnectConfig{PhoneNumber: aws.String("030 1234 5678")}}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.CreateQuickConnect(ctx, &connect.CreateQuickConnectInput{InstanceId: inst, Name: aws.String("To nowhere"),
		QuickConnectConfig: &types.QuickConnectConfig{QuickConnectType: types.QuickConnectTypeQueue,
			QueueConfig: &types.QueueQuickConnectConfig{QueueId: aws.String("no-such-queue"), ContactFlowId: flow.ContactFlowId}}})
	wantAPIError(t, err, "ResourceNotFoundException")
	dqc, err := c.DescribeQuickConnect(ctx, &connect.DescribeQuickConnectInput{InstanceId: inst, QuickConnectId: qcQueue.QuickConnectId})
	if err != nil || dqc.QuickConnect.QuickConnectConfig.QuickConnectType != types.QuickConnectTypeQueue ||
		aws.ToString(dqc.QuickConnect.QuickConnectConfig.QueueConfig.QueueId) != aws.ToString(sales.QueueId) ||
		aws.ToString(dqc.QuickConnect.QuickConnectARN) != aws.ToString(qcQueue.QuickConnectARN) {
		t.Fatalf("DescribeQuickConnect = %+v, %v", dqc, err)
	}
	var qcNames []string
	for p := connect.NewListQuickConnectsPaginator(c, &connect.ListQuickConnectsInput{InstanceId: inst, MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListQuickConnects: %v", err)
		}
		for _, s := range page.QuickConnectSummaryList {
			qcNames = append(qcNames, aws.ToString(s.Name)+"/"+string(s.QuickConnectType))
		}
	}
	slices.Sort(qcNames)
	if want := []string{"Head office/PHONE_NUMBER", "To Ann/USER", "To sales/QUEUE"}; !slices.Equal(qcNames, want) {
		t.Errorf("ListQuickConnects = %v, want %v", qcNames, want)
	}
	phones, err := c.ListQuickConnects(ctx, &connect.ListQuickConnectsInput{InstanceId: inst, QuickConnectTypes: []types.QuickConnectType{types.QuickConnectTypePhoneNumber}})
	if err != nil || len(phones.QuickConnectSummaryList) != 1 {
		t.Errorf("ListQuickConnects PHONE_NUMBER = %+v, %v", phones, err)
	}
	if _, err := c.DeleteQuickConnect(ctx, &connect.DeleteQuickConnectInput{InstanceId: inst, QuickConnectId: qcPhone.QuickConnectId}); err != nil {
		t.Fatalf("DeleteQuickConnect: %v", err)
	}
	_, err = c.DescribeQuickConnect(ctx, &connect.DescribeQuickConnectInput{InstanceId: inst, QuickConnectId: qcPhone.QuickConnectId})
	wantAPIError(t, err, "ResourceNotFoundException")

	// Everything lists with pagination, and another instance sees none of it.
	hours, queues, profiles, statuses = routingNames(t, c, inst)
	if !slices.Equal(hours, []string{"Basic Hours", "Office hours"}) || !slices.Equal(queues, []string{"BasicQueue", "Sales EU", "Support"}) ||
		!slices.Equal(profiles, []string{"Basic Routing Profile", "Sales team"}) ||
		!slices.Equal(statuses, []string{"Available/ROUTABLE", "Lunch break/CUSTOM", "Offline/OFFLINE"}) {
		t.Errorf("after changes: hours %v queues %v profiles %v statuses %v", hours, queues, profiles, statuses)
	}
	other, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: types.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String("other"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: other.Id, QueueId: sales.QueueId})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: other.Id, RoutingProfileId: rp.RoutingProfileId})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: other.Id, Name: aws.String("Borrowed hours"), HoursOfOperationId: h.HoursOfOperationId})
	wantAPIError(t, err, "ResourceNotFoundException")
	hours, queues, profiles, statuses = routingNames(t, c, other.Id)
	if len(hours) != 1 || len(queues) != 1 || len(profiles) != 1 || len(statuses) != 2 {
		t.Errorf("new instance: hours %v queues %v profiles %v statuses %v; want only its own defaults", hours, queues, profiles, statuses)
	}
}

func TestAWSCLIRouting(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	out, err := awsRun(t, bin, tn, "list-hours-of-operations", "--instance-id", tn.boot.InstanceID)
	if err != nil {
		t.Fatalf("list-hours-of-operations: %v: %s", err, out)
	}
	var hl struct{ HoursOfOperationSummaryList []struct{ Id, Name string } }
	if err := json.Unmarshal(out, &hl); err != nil || len(hl.HoursOfOperationSummaryList) != 1 || hl.HoursOfOperationSummaryList[0].Name != "Basic Hours" {
		t.Fatalf("list-hours-of-operations = %s (%v)", out, err)
	}
	out, err = awsRun(t, bin, tn, "create-queue", "--instance-id", tn.boot.InstanceID, "--name", "CLI queue",
		"--hours-of-operation-id", hl.HoursOfOperationSummaryList[0].Id, "--max-contacts", "7")
	if err != nil {
		t.Fatalf("create-queue: %v: %s", err, out)
	}
	var created struct{ QueueId, QueueArn string }
	if err := json.Unmarshal(out, &created); err != nil || created.QueueId == "" {
		t.Fatalf("create-queue output %s (%v)", out, err)
	}
	out, err = awsRun(t, bin, tn, "list-queues", "--instance-id", tn.boot.InstanceID, "--queue-types", "STANDARD")
	if err != nil {
		t.Fatalf("list-queues: %v: %s", err, out)
	}
	var ql struct {
		QueueSummaryList []struct{ Id, Name, QueueType string }
	}
	if err := json.Unmarshal(out, &ql); err != nil {
		t.Fatalf("list-queues output %s: %v", out, err)
	}
	var names []string
	for _, q := range ql.QueueSummaryList {
		names = append(names, q.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"BasicQueue", "CLI queue"}) {
		t.Errorf("list-queues names = %v, want [BasicQueue CLI queue]", names)
	}
	out, err = awsRun(t, bin, tn, "describe-queue", "--instance-id", tn.boot.InstanceID, "--queue-id", created.QueueId)
	if err != nil {
		t.Fatalf("describe-queue: %v: %s", err, out)
	}
	var dq struct {
		Queue struct {
			Name        string
			MaxContacts int
			Status      string
		}
	}
	if err := json.Unmarshal(out, &dq); err != nil || dq.Queue.Name != "CLI queue" || dq.Queue.MaxContacts != 7 || dq.Queue.Status != "ENABLED" {
		t.Errorf("describe-queue = %s (%v)", out, err)
	}
	// A quick connect to the new queue, associated with BasicQueue, renamed, then
	// disassociated.
	out, err = awsRun(t, bin, tn, "list-contact-flows", "--instance-id", tn.boot.InstanceID, "--contact-flow-types", "QUEUE_TRANSFER")
	var fl struct{ ContactFlowSummaryList []struct{ Id string } }
	if err != nil || json.Unmarshal(out, &fl) != nil || len(fl.ContactFlowSummaryList) != 1 {
		t.Fatalf("list-contact-flows QUEUE_TRANSFER: %v: %s", err, out)
	}
	out, err = awsRun(t, bin, tn, "create-quick-connect", "--instance-id", tn.boot.InstanceID, "--name", "To CLI queue",
		"--quick-connect-config", `{"QuickConnectType":"QUEUE","QueueConfig":{"QueueId":"`+created.QueueId+`","ContactFlowId":"`+fl.ContactFlowSummaryList[0].Id+`"}}`)
	var qc struct{ QuickConnectId string }
	if err != nil || json.Unmarshal(out, &qc) != nil || qc.QuickConnectId == "" {
		t.Fatalf("create-quick-connect: %v: %s", err, out)
	}
	basic := ""
	for _, q := range ql.QueueSummaryList {
		if q.Name == "BasicQueue" {
			basic = q.Id
		}
	}
	if out, err := awsRun(t, bin, tn, "associate-queue-quick-connects", "--instance-id", tn.boot.InstanceID, "--queue-id", basic,
		"--quick-connect-ids", qc.QuickConnectId); err != nil {
		t.Fatalf("associate-queue-quick-connects: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "update-quick-connect-name", "--instance-id", tn.boot.InstanceID, "--quick-connect-id", qc.QuickConnectId,
		"--name", "Escalate to CLI queue"); err != nil {
		t.Fatalf("update-quick-connect-name: %v: %s", err, out)
	}
	out, err = awsRun(t, bin, tn, "list-queue-quick-connects", "--instance-id", tn.boot.InstanceID, "--queue-id", basic)
	var lqc struct {
		QuickConnectSummaryList []struct{ Id, Name, QuickConnectType string }
	}
	if err != nil || json.Unmarshal(out, &lqc) != nil || len(lqc.QuickConnectSummaryList) != 1 ||
		lqc.QuickConnectSummaryList[0].Name != "Escalate to CLI queue" || lqc.QuickConnectSummaryList[0].QuickConnectType != "QUEUE" {
		t.Errorf("list-queue-quick-connects: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "disassociate-queue-quick-connects", "--instance-id", tn.boot.InstanceID, "--queue-id", basic,
		"--quick-connect-ids", qc.QuickConnectId); err != nil {
		t.Fatalf("disassociate-queue-quick-connects: %v: %s", err, out)
	}
	if out, err := awsRun(t, bin, tn, "list-queue-quick-connects", "--instance-id", tn.boot.InstanceID, "--queue-id", basic); err != nil ||
		!strings.Contains(string(out), `"QuickConnectSummaryList": []`) {
		t.Errorf("list-queue-quick-connects after disassociating: %v: %s", err, out)
	}

	out, err = awsRun(t, bin, tn, "create-routing-profile", "--instance-id", tn.boot.InstanceID, "--name", "CLI profile", "--description", "x",
		"--default-outbound-queue-id", created.QueueId, "--media-concurrencies", "Channel=CHAT,Concurrency=11")
	if err == nil || !strings.Contains(string(out), "InvalidParameterException") {
		t.Errorf("create-routing-profile with CHAT 11: err=%v output=%s; want InvalidParameterException", err, out)
	}
}

// createAgentUser creates a user with the Agent security profile and returns its ID.
func createAgentUser(t *testing.T, c *connect.Client, inst, username string) string {
	t.Helper()
	ctx := context.Background()
	sps, err := c.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatalf("ListSecurityProfiles: %v", err)
	}
	var agent string
	for _, sp := range sps.SecurityProfileSummaryList {
		if aws.ToString(sp.Name) == "Agent" {
			agent = aws.ToString(sp.Id)
		}
	}
	u, err := c.CreateUser(ctx, createUserInput(inst, username, agent))
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return aws.ToString(u.UserId)
}

// TestDeleteHoursAndRoutingProfile: with the Go SDK, hours of operation no queue uses and a
// routing profile no user has are deleted; hours a queue uses, the default routing profile
// and one a user has are refused with ResourceInUseException; the AWS CLI deletes hours too.
func TestDeleteHoursAndRoutingProfile(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)
	spare, err := c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("Spare"),
		TimeZone: aws.String("UTC"), Config: weekdayConfig(9, 17)})
	if err != nil {
		t.Fatal(err)
	}
	used, err := c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("Used"),
		TimeZone: aws.String("UTC"), Config: weekdayConfig(9, 17)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Weekday queue"), HoursOfOperationId: used.HoursOfOperationId})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteHoursOfOperation(ctx, &connect.DeleteHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: used.HoursOfOperationId})
	wantAPIError(t, err, "ResourceInUseException")
	if _, err := c.DeleteHoursOfOperation(ctx, &connect.DeleteHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: spare.HoursOfOperationId}); err != nil {
		t.Fatalf("DeleteHoursOfOperation: %v", err)
	}
	_, err = c.DescribeHoursOfOperation(ctx, &connect.DescribeHoursOfOperationInput{InstanceId: inst, HoursOfOperationId: spare.HoursOfOperationId})
	wantAPIError(t, err, "ResourceNotFoundException")

	profile := func(name string) *string {
		t.Helper()
		rp, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: inst, Name: aws.String(name), Description: aws.String("x"),
			DefaultOutboundQueueId: q.QueueId, MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelChat, Concurrency: aws.Int32(2)}},
			QueueConfigs: []types.RoutingProfileQueueConfig{queueRef(q.QueueId, types.ChannelChat, 1, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		return rp.RoutingProfileId
	}
	free, taken := profile("Free profile"), profile("Taken profile")
	holder := createAgentUser(t, c, tn.boot.InstanceID, "profile.holder")
	if _, err := c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: inst, UserId: aws.String(holder), RoutingProfileId: taken}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: inst, RoutingProfileId: taken})
	wantAPIError(t, err, "ResourceInUseException")
	_, err = c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: inst, RoutingProfileId: aws.String(provision.BasicRoutingProfileID(tn.boot.InstanceID))})
	wantAPIError(t, err, "ResourceInUseException")
	if _, err := c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: inst, RoutingProfileId: free}); err != nil {
		t.Fatalf("DeleteRoutingProfile: %v", err)
	}
	_, err = c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: inst, RoutingProfileId: free})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, _, profiles, _ := routingNames(t, c, inst)
	if slices.Contains(profiles, "Free profile") || !slices.Contains(profiles, "Taken profile") {
		t.Errorf("routing profiles after the delete: %v", profiles)
	}

	t.Run("AWS CLI", func(t *testing.T) {
		bin := awsCLI(t)
		cli, err := c.CreateHoursOfOperation(ctx, &connect.CreateHoursOfOperationInput{InstanceId: inst, Name: aws.String("CLI spare"),
			TimeZone: aws.String("UTC"), Config: weekdayConfig(9, 17)})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := awsRun(t, bin, tn, "delete-hours-of-operation", "--instance-id", tn.boot.InstanceID, "--hours-of-operation-id", aws.ToString(cli.HoursOfOperationId)); err != nil {
			t.Errorf("delete-hours-of-operation: %v: %s", err, out)
		}
	})
}
