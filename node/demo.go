package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/flow/samples"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// SeedDemo loads Ringfence's sample flows and modules (package flow/samples) into the
// instance, published, unless a flow or module of the same name is already there. Each is
// validated as publishing would validate it and audited with actor "host". It first seeds the
// demo's routing (SeedDemoRouting) and points the samples' queues and hours at it; the
// function ARNs the samples invoke are associated with the built-in echo function.
func (n *Node) SeedDemo(ctx context.Context, instanceID string) error {
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	ids := map[string]string{}
	// The samples name their queues and hours by topic. In the demo, "support" is the demo's
	// Support queue, every other topic queue is BasicQueue, and office hours are Basic Hours,
	// so every menu choice reaches a queue the demo agents serve.
	if _, err := n.SeedDemoRouting(ctx, instanceID); err != nil {
		return err
	}
	basic, support, hours, err := n.demoRoutingIDs(ctx, instanceID)
	if err != nil {
		return err
	}
	for _, q := range []string{"orders", "billing", "general", "sales"} {
		ids["queue/"+q] = basic
	}
	ids["queue/support"] = support
	ids["operating-hours/office"] = hours
	for _, smp := range samples.All() {
		kind, seg := flow.KindFlow, "contact-flow"
		if smp.Module {
			kind, seg = flow.KindModule, "flow-module"
		}
		existing, err := n.findFlowByName(ctx, instanceID, kind, smp.Name)
		if err != nil {
			return err
		}
		if existing != "" {
			ids[seg+"/"+smp.Ref] = existing
			continue
		}
		raw, err := samples.Content(smp.File)
		if err != nil {
			return err
		}
		content := samples.Instantiate(raw, instARN, ids)
		f, _, err := flow.Load([]byte(content), flow.DefaultLimits())
		if err != nil {
			return fmt.Errorf("demo flow %s: %w", smp.File, err)
		}
		settings := ""
		if smp.Module {
			settings = string(f.Settings)
		}
		rec := flow.Record{
			InstanceID: instanceID, ID: api.NewID(), Kind: kind, Name: smp.Name, Type: smp.Type,
			Description: "Ringfence sample", State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content,
			Settings: settings, Version: 1, Tags: map[string]string{"sample": "true"},
			LastModified: time.Now().UTC().Truncate(time.Millisecond),
		}
		ev := hostEvent("host.seed_demo", "CreateContactFlow", instanceID, instARN+"/"+seg+"/"+rec.ID)
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.CreateFlowRecord(ctx, rec) }); err != nil {
			return fmt.Errorf("demo flow %s: %w", smp.File, err)
		}
		ids[seg+"/"+smp.Ref] = rec.ID
	}
	return n.seedDemoFunctions(ctx, instanceID)
}

// seedDemoFunctions associates the function ARNs the sample flows invoke with the instance,
// each answered by the built-in echo function (extfn.BuiltinEcho), unless already
// associated: the samples then run end to end without an external endpoint.
func (n *Node) seedDemoFunctions(ctx context.Context, instanceID string) error {
	arns := map[string]bool{}
	for _, smp := range samples.All() {
		raw, err := samples.Content(smp.File)
		if err != nil {
			return err
		}
		f, _ := flow.Parse([]byte(raw), flow.DefaultLimits())
		if f == nil {
			continue
		}
		for _, arn := range flow.ListResources(f).Functions {
			arns[arn] = true
		}
	}
	for arn := range arns {
		ev := hostEvent("host.seed_demo", "AssociateLambdaFunction", instanceID, arn)
		ev.Details = map[string]string{"target": "builtin", "builtin": extfn.BuiltinEcho}
		now := time.Now().UTC().Truncate(time.Millisecond)
		err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetFunction(ctx, instanceID, arn); err == nil || !apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return err
			}
			return api.AssociateFunction(ctx, tx, extfn.Association{InstanceID: instanceID, ARN: arn, CreatedTime: now, LastModifiedTime: now,
				Target: &extfn.FunctionConfig{ARN: arn, Builtin: extfn.BuiltinEcho}})
		})
		if err != nil {
			return fmt.Errorf("demo function %s: %w", arn, err)
		}
	}
	return nil
}

// findFlowByName returns the ID of the instance's flow or module with that name, or "".
func (n *Node) findFlowByName(ctx context.Context, instanceID string, kind flow.RecordKind, name string) (string, error) {
	var id string
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return store.EachFlowRecord(ctx, tx, instanceID, kind, func(r flow.Record) (bool, error) {
			if r.Name == name {
				id = r.ID
			}
			return id != "", nil
		})
	})
	return id, err
}

// The demo's routing resources: a second queue beside BasicQueue and a routing profile that
// takes chats three at a time and tasks two at a time from both.
const (
	DemoQueueName          = "Support"
	DemoRoutingProfileName = "Demo Agents"
	demoChatConcurrency    = 3
	demoTaskConcurrency    = 2
)

// SeedDemoRouting adds the demo's routing to the instance, unless resources of the same
// names exist: the queue "Support" (on Basic Hours) and the routing profile "Demo Agents"
// (VOICE 1, CHAT 3, TASK 2, each ROUTE_CURRENT_CHANNEL_ONLY; BasicQueue at priority 1 on every
// channel, Support at priority 2 for CHAT and TASK; default outbound queue BasicQueue). It
// returns the profile's ID. Audited with actor "host"; the instance's router, when it runs,
// takes the new definitions.
func (n *Node) SeedDemoRouting(ctx context.Context, instanceID string) (string, error) {
	var (
		basicQueue, basicHours, supportQueue, profileID string
	)
	err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		qs, err := tx.ListQueues(ctx, instanceID, "", 1000)
		if err != nil {
			return err
		}
		for _, q := range qs {
			switch q.Name {
			case provision.BasicQueueName:
				basicQueue, basicHours = q.ID, q.HoursOfOperationID
			case DemoQueueName:
				supportQueue = q.ID
			}
		}
		ps, err := tx.ListRoutingProfiles(ctx, instanceID, "", 1000)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Name == DemoRoutingProfileName {
				profileID = p.ID
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if basicQueue == "" {
		return "", fmt.Errorf("demo routing: %s is missing", provision.BasicQueueName)
	}
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	now := time.Now().UTC().Truncate(time.Millisecond)
	if supportQueue == "" {
		q := routing.QueueRecord{InstanceID: instanceID, Queue: routing.Queue{ID: api.NewID(), HoursOfOperationID: basicHours, Status: routing.QueueEnabled},
			Name: DemoQueueName, Description: "The demo's second queue", Tags: map[string]string{"sample": "true"}, LastModified: now}
		ev := hostEvent("host.seed_demo", "CreateQueue", instanceID, instARN+"/queue/"+q.ID)
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.CreateQueue(ctx, q) }); err != nil {
			return "", fmt.Errorf("demo queue: %w", err)
		}
		supportQueue = q.ID
	}
	if profileID == "" {
		p := routing.RoutingProfileRecord{InstanceID: instanceID, RoutingProfile: routing.RoutingProfile{
			ID: api.NewID(), DefaultOutboundQueueID: basicQueue,
			MediaConcurrencies: []routing.MediaConcurrency{
				{Channel: routing.ChannelVoice, Concurrency: 1, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
				{Channel: routing.ChannelChat, Concurrency: demoChatConcurrency, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
				{Channel: routing.ChannelTask, Concurrency: demoTaskConcurrency, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
			},
			Queues: []routing.ProfileQueue{
				{QueueID: basicQueue, Channel: routing.ChannelVoice, Priority: 1},
				{QueueID: basicQueue, Channel: routing.ChannelChat, Priority: 1},
				{QueueID: basicQueue, Channel: routing.ChannelTask, Priority: 1},
				{QueueID: supportQueue, Channel: routing.ChannelChat, Priority: 2},
				{QueueID: supportQueue, Channel: routing.ChannelTask, Priority: 2},
			}},
			Name: DemoRoutingProfileName, Description: "Chats 3 and tasks 2 at a time from BasicQueue and Support",
			AgentAvailabilityTimer: routing.TimeSinceLastActivity, Tags: map[string]string{"sample": "true"}, LastModified: now}
		if err := p.Check(func(id string) bool { return id == basicQueue || id == supportQueue }); err != nil {
			return "", fmt.Errorf("demo routing profile: %w", err)
		}
		ev := hostEvent("host.seed_demo", "CreateRoutingProfile", instanceID, instARN+"/routing-profile/"+p.ID)
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.CreateRoutingProfile(ctx, p) }); err != nil {
			return "", fmt.Errorf("demo routing profile: %w", err)
		}
		profileID = p.ID
	}
	if err := n.seedDemoQuickConnects(ctx, instanceID, now, map[string]string{provision.BasicQueueName: basicQueue, DemoQueueName: supportQueue}); err != nil {
		return "", err
	}
	if rt, err := n.runtime(); err == nil {
		if err := rt.Contacts.RefreshRouting(ctx, instanceID); err != nil {
			return "", err
		}
	}
	return profileID, nil
}

// seedDemoQuickConnects gives the demo a QUEUE quick connect to each of its queues (named
// after the queue, through the instance's "Default queue transfer" flow) and associates every
// one with both queues, so demo agents see them when they transfer. Quick connects that exist
// by name are left as they are. Audited with actor "host".
func (n *Node) seedDemoQuickConnects(ctx context.Context, instanceID string, now time.Time, queues map[string]string) error {
	flowID, err := n.findFlowByName(ctx, instanceID, flow.KindFlow, "Default queue transfer")
	if err != nil || flowID == "" {
		return fmt.Errorf("demo quick connects: the queue transfer flow: %v", err)
	}
	instARN := instance.ARN(n.Config.Region, n.AccountID, instanceID)
	var ids []string
	for _, name := range []string{provision.BasicQueueName, DemoQueueName} {
		var existing string
		err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			all, err := tx.ListQuickConnects(ctx, instanceID, []routing.QuickConnectType{routing.QuickConnectQueue}, "", 1000)
			for _, q := range all {
				if q.Name == name {
					existing = q.ID
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("demo quick connects: %w", err)
		}
		if existing != "" {
			ids = append(ids, existing)
			continue
		}
		q := routing.QuickConnectRecord{InstanceID: instanceID, ID: api.NewID(), Name: name, Description: "Transfer to the " + name + " queue",
			Type: routing.QuickConnectQueue, QueueID: queues[name], ContactFlowID: flowID, Tags: map[string]string{"sample": "true"}, LastModified: now}
		ev := hostEvent("host.seed_demo", "CreateQuickConnect", instanceID, instARN+"/transfer-destination/"+q.ID)
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.CreateQuickConnect(ctx, q) }); err != nil {
			return fmt.Errorf("demo quick connect %s: %w", name, err)
		}
		ids = append(ids, q.ID)
	}
	for _, queue := range queues {
		ev := hostEvent("host.seed_demo", "AssociateQueueQuickConnects", instanceID, instARN+"/queue/"+queue)
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
			return tx.AssociateQueueQuickConnects(ctx, instanceID, queue, ids)
		}); err != nil {
			return fmt.Errorf("demo quick connects: %w", err)
		}
	}
	return nil
}

// assignDemoProfile gives the demo agents the demo routing profile, unless they were given
// another than Basic Routing Profile since. Audited with actor "host".
func (n *Node) assignDemoProfile(ctx context.Context, instanceID, profileID string, usernames ...string) error {
	for _, name := range usernames {
		var u identity.User
		err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			u, err = tx.GetUserByUsername(ctx, instanceID, name)
			return err
		})
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if u.RoutingProfileID != provision.BasicRoutingProfileID(instanceID) {
			continue
		}
		u.RoutingProfileID, u.LastModifiedTime = profileID, time.Now().UTC().Truncate(time.Millisecond)
		ev := hostEvent("host.seed_demo", "UpdateUserRoutingProfile", instanceID, identity.UserARN("aws", n.Config.Region, n.AccountID, instanceID, u.ID))
		if err := n.Store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, u) }); err != nil {
			return fmt.Errorf("demo agent %s: %w", name, err)
		}
	}
	return nil
}

// demoRoutingIDs returns the IDs of the instance's BasicQueue, the demo's Support queue and
// BasicQueue's hours (Basic Hours); an error when one is missing.
func (n *Node) demoRoutingIDs(ctx context.Context, instanceID string) (basic, support, hours string, err error) {
	err = n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		qs, err := tx.ListQueues(ctx, instanceID, "", 1000)
		for _, q := range qs {
			switch q.Name {
			case provision.BasicQueueName:
				basic, hours = q.ID, q.HoursOfOperationID
			case DemoQueueName:
				support = q.ID
			}
		}
		return err
	})
	if err == nil && (basic == "" || support == "" || hours == "") {
		err = fmt.Errorf("demo routing: %s or %s is missing", provision.BasicQueueName, DemoQueueName)
	}
	return basic, support, hours, err
}
