package api

import (
	"context"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// routingProfileOperations are the routing-profile operations (Amazon Connect API reference:
// CreateRoutingProfile, DescribeRoutingProfile, ListRoutingProfiles, ListRoutingProfileQueues,
// AssociateRoutingProfileQueues, UpdateRoutingProfileQueues, DisassociateRoutingProfileQueues,
// UpdateRoutingProfileConcurrency, UpdateRoutingProfileName,
// UpdateRoutingProfileDefaultOutboundQueue).
func routingProfileOperations() []operation {
	return []operation{
		{name: "CreateRoutingProfile", pattern: "PUT /routing-profiles/{InstanceId}", handle: (*Server).createRoutingProfile},
		{name: "DescribeRoutingProfile", pattern: "GET /routing-profiles/{InstanceId}/{RoutingProfileId}", handle: (*Server).describeRoutingProfile},
		{name: "ListRoutingProfiles", pattern: "GET /routing-profiles-summary/{InstanceId}", handle: (*Server).listRoutingProfiles},
		{name: "ListRoutingProfileQueues", pattern: "GET /routing-profiles/{InstanceId}/{RoutingProfileId}/queues", handle: (*Server).listRoutingProfileQueues},
		{name: "AssociateRoutingProfileQueues", pattern: "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/associate-queues", handle: (*Server).associateRoutingProfileQueues},
		{name: "UpdateRoutingProfileQueues", pattern: "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/queues", handle: (*Server).updateRoutingProfileQueues},
		{name: "DisassociateRoutingProfileQueues", pattern: "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/disassociate-queues", handle: (*Server).disassociateRoutingProfileQueues},
		{name: "UpdateRoutingProfileConcurrency", pattern: "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/concurrency", handle: (*Server).updateRoutingProfileConcurrency},
		{name: "UpdateRoutingProfileName", pattern: "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/name", handle: (*Server).updateRoutingProfileName},
		{name: "UpdateRoutingProfileDefaultOutboundQueue", pattern: "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/default-outbound-queue", handle: (*Server).updateRoutingProfileDefaultOutboundQueue},
		{name: "DeleteRoutingProfile", pattern: "DELETE /routing-profiles/{InstanceId}/{RoutingProfileId}", handle: (*Server).deleteRoutingProfile},
	}
}

// mediaConcurrencyJSON is Connect's MediaConcurrency.
type mediaConcurrencyJSON struct {
	Channel              string `json:"Channel"`
	Concurrency          *int   `json:"Concurrency"`
	CrossChannelBehavior *struct {
		BehaviorType string `json:"BehaviorType"`
	} `json:"CrossChannelBehavior,omitempty"`
}

// queueReferenceJSON is Connect's RoutingProfileQueueReference.
type queueReferenceJSON struct {
	QueueId string `json:"QueueId"`
	Channel string `json:"Channel"`
}

// queueConfigJSON is Connect's RoutingProfileQueueConfig.
type queueConfigJSON struct {
	QueueReference *queueReferenceJSON `json:"QueueReference"`
	Priority       *int                `json:"Priority"`
	Delay          *int                `json:"Delay"`
}

// mediaConcurrencies converts MediaConcurrencies entries, each with Channel and
// Concurrency (an absent CrossChannelBehavior is ROUTE_CURRENT_CHANNEL_ONLY); the values are
// checked by the routing administration transactions (an empty list included).
func mediaConcurrencies(in []mediaConcurrencyJSON) ([]routing.MediaConcurrency, error) {
	out := make([]routing.MediaConcurrency, 0, len(in))
	for _, m := range in {
		if m.Concurrency == nil {
			return nil, apierr.InvalidParameter("MediaConcurrencies entries need Channel and Concurrency")
		}
		mc := routing.MediaConcurrency{Channel: routing.Channel(m.Channel), Concurrency: *m.Concurrency, CrossChannelBehavior: routing.RouteCurrentChannelOnly}
		if m.CrossChannelBehavior != nil {
			mc.CrossChannelBehavior = routing.CrossChannelBehavior(m.CrossChannelBehavior.BehaviorType)
		}
		out = append(out, mc)
	}
	return out, nil
}

// queueConfigs converts QueueConfigs entries, each with QueueReference (QueueId, Channel),
// Priority and Delay; the values and their number are checked by the routing
// administration transactions.
func queueConfigs(in []queueConfigJSON) ([]routing.ProfileQueue, error) {
	out := make([]routing.ProfileQueue, 0, len(in))
	for _, q := range in {
		if q.QueueReference == nil || q.QueueReference.QueueId == "" || q.Priority == nil || q.Delay == nil {
			return nil, apierr.InvalidParameter("QueueConfigs entries need QueueReference (QueueId, Channel), Priority and Delay")
		}
		out = append(out, routing.ProfileQueue{QueueID: q.QueueReference.QueueId, Channel: routing.Channel(q.QueueReference.Channel),
			Priority: *q.Priority, DelaySeconds: *q.Delay})
	}
	return out, nil
}

// createRoutingProfile implements CreateRoutingProfile (PUT /routing-profiles/{InstanceId}).
// Media concurrency: VOICE 1, CHAT 1–10, TASK 1–10; queue entries: priority 1–99, delay
// 0–9999 s, each queue × channel once; every queue named must exist in the instance.
func (s *Server) createRoutingProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name                         *string                `json:"Name"`
		Description                  *string                `json:"Description"`
		DefaultOutboundQueueId       string                 `json:"DefaultOutboundQueueId"`
		MediaConcurrencies           []mediaConcurrencyJSON `json:"MediaConcurrencies"`
		QueueConfigs                 []queueConfigJSON      `json:"QueueConfigs"`
		ManualAssignmentQueueConfigs []any                  `json:"ManualAssignmentQueueConfigs"`
		AgentAvailabilityTimer       string                 `json:"AgentAvailabilityTimer"`
		Tags                         map[string]string      `json:"Tags"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil || in.Description == nil {
		return nil, apierr.InvalidParameter("Name and Description are required")
	}
	if len(in.ManualAssignmentQueueConfigs) > 0 {
		return nil, unsupported("ManualAssignmentQueueConfigs")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	conc, err := mediaConcurrencies(in.MediaConcurrencies)
	if err != nil {
		return nil, err
	}
	queues, err := queueConfigs(in.QueueConfigs)
	if err != nil {
		return nil, err
	}
	p := routing.RoutingProfileRecord{InstanceID: inst, RoutingProfile: routing.RoutingProfile{ID: NewID(),
		DefaultOutboundQueueID: in.DefaultOutboundQueueId, MediaConcurrencies: conc, Queues: queues},
		Name: *in.Name, Description: *in.Description, AgentAvailabilityTimer: routing.AgentAvailabilityTimer(in.AgentAvailabilityTimer),
		Tags: tags, LastModified: s.now()}
	arn := s.resourceARN(inst, arnRoutingProfile, p.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return store.CreateRoutingProfile(ctx, tx, p) })
	if err != nil {
		return nil, err
	}
	return map[string]string{"RoutingProfileId": p.ID, "RoutingProfileArn": arn}, nil
}

func mediaConcurrenciesOut(ms []routing.MediaConcurrency) []map[string]any {
	out := []map[string]any{}
	for _, m := range ms {
		cross := m.CrossChannelBehavior
		if cross == "" {
			cross = routing.RouteCurrentChannelOnly
		}
		out = append(out, map[string]any{"Channel": string(m.Channel), "Concurrency": m.Concurrency,
			"CrossChannelBehavior": map[string]string{"BehaviorType": string(cross)}})
	}
	return out
}

// associatedQueueIDs returns the distinct queue IDs of p's entries, in entry order.
func associatedQueueIDs(p routing.RoutingProfile) []string {
	seen := map[string]bool{}
	ids := []string{}
	for _, e := range p.Queues {
		if !seen[e.QueueID] {
			seen[e.QueueID] = true
			ids = append(ids, e.QueueID)
		}
	}
	return ids
}

// describeRoutingProfile implements DescribeRoutingProfile. NumberOfAssociatedUsers is left
// out until users are stored with their routing profiles.
func (s *Server) describeRoutingProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "RoutingProfileId", inst, arnRoutingProfile)
	if err != nil {
		return nil, err
	}
	var p routing.RoutingProfileRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.GetRoutingProfile(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	ids := associatedQueueIDs(p.RoutingProfile)
	return map[string]any{"RoutingProfile": map[string]any{
		"InstanceId": inst, "RoutingProfileId": p.ID, "RoutingProfileArn": s.resourceARN(inst, arnRoutingProfile, p.ID), "Name": p.Name,
		"Description": p.Description, "DefaultOutboundQueueId": p.DefaultOutboundQueueID, "MediaConcurrencies": mediaConcurrenciesOut(p.MediaConcurrencies),
		"AssociatedQueueIds": ids, "NumberOfAssociatedQueues": len(ids), "AgentAvailabilityTimer": string(p.AgentAvailabilityTimer),
		"IsDefault": p.IsDefault, "Tags": p.Tags, "LastModifiedTime": epochSeconds(p.LastModified), "LastModifiedRegion": s.cfg.Region,
	}}, nil
}

// listRoutingProfiles implements ListRoutingProfiles (maxResults 1–1000, default 100).
func (s *Server) listRoutingProfiles(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "profile", 100, 1000)
	if err != nil {
		return nil, err
	}
	var page []routing.RoutingProfileRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		page, err = tx.ListRoutingProfiles(ctx, inst, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("profile", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, rp := range page {
		items = append(items, map[string]any{"Id": rp.ID, "Arn": s.resourceARN(inst, arnRoutingProfile, rp.ID), "Name": rp.Name,
			"LastModifiedTime": epochSeconds(rp.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["RoutingProfileSummaryList"] = items
	return out, nil
}

// listRoutingProfileQueues implements ListRoutingProfileQueues (maxResults 1–100, default
// 100): the profile's queue × channel entries in the order they were added.
func (s *Server) listRoutingProfileQueues(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "RoutingProfileId", inst, arnRoutingProfile)
	if err != nil {
		return nil, err
	}
	pg, err := readPage(c, "rpq", 100, 100)
	if err != nil {
		return nil, err
	}
	start := 0
	if pg.after != "" {
		if start, err = strconv.Atoi(pg.after); err != nil || start < 0 {
			return nil, apierr.InvalidParameter("nextToken is not valid")
		}
	}
	var (
		p     routing.RoutingProfileRecord
		names = map[string]string{}
	)
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if p, err = tx.GetRoutingProfile(ctx, inst, id); err != nil {
			return err
		}
		for _, e := range p.Queues {
			if _, ok := names[e.QueueID]; ok {
				continue
			}
			q, err := tx.GetQueue(ctx, inst, e.QueueID)
			if err != nil {
				return err
			}
			names[e.QueueID] = q.Name
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"LastModifiedTime": epochSeconds(p.LastModified), "LastModifiedRegion": s.cfg.Region}
	entries := p.Queues[min(start, len(p.Queues)):]
	if len(entries) > pg.limit {
		entries = entries[:pg.limit]
		out["NextToken"] = pageToken("rpq", strconv.Itoa(start+pg.limit))
	}
	items := []map[string]any{}
	for _, e := range entries {
		items = append(items, map[string]any{"QueueId": e.QueueID, "QueueArn": s.resourceARN(inst, arnQueue, e.QueueID),
			"QueueName": names[e.QueueID], "Channel": string(e.Channel), "Priority": e.Priority, "Delay": e.DelaySeconds})
	}
	out["RoutingProfileQueueConfigSummaryList"] = items
	return out, nil
}

// updateRoutingProfile reads the profile named in the path and the request body into in,
// then runs change, one of store's routing profile transactions, on it.
func (s *Server) updateRoutingProfile(c *call, in any, change func(ctx context.Context, tx store.Tx, inst, id string) error) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "RoutingProfileId", inst, arnRoutingProfile)
	if err != nil {
		return nil, err
	}
	if err := decodeBody(c.r, in); err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return change(ctx, tx, inst, id) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// associateRoutingProfileQueues implements AssociateRoutingProfileQueues: 1–10 new queue ×
// channel entries; an entry already present is InvalidParameterException.
func (s *Server) associateRoutingProfileQueues(c *call) (any, error) {
	var in struct {
		QueueConfigs                 []queueConfigJSON `json:"QueueConfigs"`
		ManualAssignmentQueueConfigs []any             `json:"ManualAssignmentQueueConfigs"`
	}
	return s.updateRoutingProfile(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		if len(in.ManualAssignmentQueueConfigs) > 0 {
			return unsupported("ManualAssignmentQueueConfigs")
		}
		add, err := queueConfigs(in.QueueConfigs)
		if err != nil {
			return err
		}
		return store.AssociateRoutingProfileQueues(ctx, tx, inst, id, s.now(), add)
	})
}

// updateRoutingProfileQueues implements UpdateRoutingProfileQueues: new priority and delay for
// 1–10 entries already in the profile (ResourceNotFoundException for one that is not).
func (s *Server) updateRoutingProfileQueues(c *call) (any, error) {
	var in struct {
		QueueConfigs []queueConfigJSON `json:"QueueConfigs"`
	}
	return s.updateRoutingProfile(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		upd, err := queueConfigs(in.QueueConfigs)
		if err != nil {
			return err
		}
		return store.UpdateRoutingProfileQueues(ctx, tx, inst, id, s.now(), upd)
	})
}

// disassociateRoutingProfileQueues implements DisassociateRoutingProfileQueues: removes 1–10
// entries (ResourceNotFoundException for one the profile does not have).
func (s *Server) disassociateRoutingProfileQueues(c *call) (any, error) {
	var in struct {
		QueueReferences                 []queueReferenceJSON `json:"QueueReferences"`
		ManualAssignmentQueueReferences []any                `json:"ManualAssignmentQueueReferences"`
	}
	return s.updateRoutingProfile(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		if len(in.ManualAssignmentQueueReferences) > 0 {
			return unsupported("ManualAssignmentQueueReferences")
		}
		refs := make([]routing.ProfileQueue, 0, len(in.QueueReferences))
		for _, r := range in.QueueReferences {
			refs = append(refs, routing.ProfileQueue{QueueID: r.QueueId, Channel: routing.Channel(r.Channel)})
		}
		return store.DisassociateRoutingProfileQueues(ctx, tx, inst, id, s.now(), refs)
	})
}

// updateRoutingProfileConcurrency implements UpdateRoutingProfileConcurrency: the list given
// replaces the profile's channels and their concurrency.
func (s *Server) updateRoutingProfileConcurrency(c *call) (any, error) {
	var in struct {
		MediaConcurrencies []mediaConcurrencyJSON `json:"MediaConcurrencies"`
	}
	return s.updateRoutingProfile(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		conc, err := mediaConcurrencies(in.MediaConcurrencies)
		if err != nil {
			return err
		}
		return store.UpdateRoutingProfileConcurrency(ctx, tx, inst, id, s.now(), conc)
	})
}

// updateRoutingProfileName implements UpdateRoutingProfileName (Name and Description, each
// optional).
func (s *Server) updateRoutingProfileName(c *call) (any, error) {
	var in struct {
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
	}
	return s.updateRoutingProfile(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		return store.UpdateRoutingProfileName(ctx, tx, inst, id, s.now(), in.Name, in.Description)
	})
}

// updateRoutingProfileDefaultOutboundQueue implements UpdateRoutingProfileDefaultOutboundQueue;
// the queue must exist in the instance.
func (s *Server) updateRoutingProfileDefaultOutboundQueue(c *call) (any, error) {
	var in struct {
		DefaultOutboundQueueId string `json:"DefaultOutboundQueueId"`
	}
	return s.updateRoutingProfile(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		return store.UpdateRoutingProfileDefaultOutboundQueue(ctx, tx, inst, id, s.now(), in.DefaultOutboundQueueId)
	})
}

// deleteRoutingProfile implements DeleteRoutingProfile (DELETE
// /routing-profiles/{InstanceId}/{RoutingProfileId}): the profile goes with its queue
// entries. The instance's default profile and a profile any user has are
// ResourceInUseException.
func (s *Server) deleteRoutingProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "RoutingProfileId", inst, arnRoutingProfile)
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return store.DeleteRoutingProfile(ctx, tx, inst, id) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
