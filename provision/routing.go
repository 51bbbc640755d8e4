package provision

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// The names of the routing resources every new instance starts with, as Amazon Connect names
// them.
const (
	BasicHoursName          = "Basic Hours"
	BasicQueueName          = "BasicQueue"
	BasicRoutingProfileName = "Basic Routing Profile"
)

// Media concurrency of the seeded "Basic Routing Profile". Connect's public documentation
// does not state the default profile's limits; these are Ringfence's choice: VOICE 1 (the
// only value Connect allows), CHAT 3 and TASK 1, each ROUTE_CURRENT_CHANNEL_ONLY.
const (
	basicChatConcurrency = 3
	basicTaskConcurrency = 1
)

// seedRouting seeds the instance's default routing configuration, like a new Connect
// instance: "Basic Hours" (open 24 hours on every day; Connect uses the instance's time zone,
// Ringfence uses UTC), "BasicQueue" (on Basic Hours, no contact limit), "Basic Routing
// Profile" (the instance's default; VOICE, CHAT and TASK from BasicQueue at priority 1 with
// no delay, BasicQueue as default outbound queue) and the agent statuses "Available"
// (ROUTABLE) and "Offline" (OFFLINE).
func seedRouting(ctx context.Context, tx store.Tx, inst instance.Instance, env Env) error {
	now := env.Now.UTC().Truncate(time.Millisecond)
	hours := routing.HoursRecord{InstanceID: inst.ID, ID: env.NewID(), Name: BasicHoursName,
		Description: "Open 24 hours a day, 7 days a week", TimeZone: "UTC", Tags: map[string]string{}, LastModified: now}
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours.Config = append(hours.Config, routing.HoursConfig{Day: d}) // 00:00–00:00: the whole day
	}
	if _, err := routing.Compile(hours.Definition(nil)); err != nil {
		return fmt.Errorf("seed routing: %w", err)
	}
	queue := routing.QueueRecord{InstanceID: inst.ID, Queue: routing.Queue{ID: env.NewID(), HoursOfOperationID: hours.ID, Status: routing.QueueEnabled},
		Name: BasicQueueName, Description: "A simple, basic queue", Tags: map[string]string{}, LastModified: now}
	profile := routing.RoutingProfileRecord{InstanceID: inst.ID, RoutingProfile: routing.RoutingProfile{
		ID: BasicRoutingProfileID(inst.ID), DefaultOutboundQueueID: queue.ID,
		MediaConcurrencies: []routing.MediaConcurrency{
			{Channel: routing.ChannelVoice, Concurrency: 1, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
			{Channel: routing.ChannelChat, Concurrency: basicChatConcurrency, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
			{Channel: routing.ChannelTask, Concurrency: basicTaskConcurrency, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
		},
		Queues: []routing.ProfileQueue{
			{QueueID: queue.ID, Channel: routing.ChannelVoice, Priority: 1},
			{QueueID: queue.ID, Channel: routing.ChannelChat, Priority: 1},
			{QueueID: queue.ID, Channel: routing.ChannelTask, Priority: 1},
		}},
		Name: BasicRoutingProfileName, Description: "A simple, basic routing profile",
		AgentAvailabilityTimer: routing.TimeSinceLastActivity, IsDefault: true, Tags: map[string]string{}, LastModified: now}
	if err := profile.Check(func(id string) bool { return id == queue.ID }); err != nil {
		return fmt.Errorf("seed routing: %w", err)
	}
	if err := tx.CreateHours(ctx, hours); err != nil {
		return fmt.Errorf("seed routing: %w", err)
	}
	if err := tx.CreateQueue(ctx, queue); err != nil {
		return fmt.Errorf("seed routing: %w", err)
	}
	if err := tx.CreateRoutingProfile(ctx, profile); err != nil {
		return fmt.Errorf("seed routing: %w", err)
	}
	for i, st := range []routing.AgentStatus{routing.Available(), routing.Offline()} {
		rec := routing.AgentStatusRecord{InstanceID: inst.ID, ID: env.NewID(), AgentStatus: st, State: routing.AgentStatusEnabled,
			DisplayOrder: i + 1, Tags: map[string]string{}, LastModified: now}
		if err := tx.CreateAgentStatus(ctx, rec); err != nil {
			return fmt.Errorf("seed routing: %w", err)
		}
	}
	return nil
}
