package api

import (
	"context"
	"fmt"
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
	}
}

// maxQueueConfigsPerCall is the most queue configurations one request may carry (Connect API
// reference, CreateRoutingProfile and AssociateRoutingProfileQueues: "The limit of 10 array
// members applies to the maximum number of RoutingProfileQueueConfig objects that can be
// passed during a ... API request").
const maxQueueConfigsPerCall = 10

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

func mediaConcurrencies(in []mediaConcurrencyJSON) ([]routing.MediaConcurrency, error) {
	if len(in) == 0 {
		return nil, apierr.InvalidParameter("MediaConcurrencies is required: list at least one channel")
	}
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

func queueConfigs(in []queueConfigJSON) ([]routing.ProfileQueue, error) {
	if len(in) > maxQueueConfigsPerCall {
		return nil, apierr.InvalidParameter(fmt.Sprintf("QueueConfigs must have at most %d entries per request", maxQueueConfigsPerCall))
	}
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

// checkProfile validates p with the router's rules, the queues it names looked up in tx.
func checkProfile(ctx context.Context, tx store.Tx, p routing.RoutingProfileRecord) error {
	if p.DefaultOutboundQueueID == "" {
		return apierr.InvalidParameter("DefaultOutboundQueueId is required")
	}
	if err := checkBodyID("DefaultOutboundQueueId", p.DefaultOutboundQueueID); err != nil {
		return err
	}
	for _, e := range p.Queues {
		if err := checkBodyID("QueueId", e.QueueID); err != nil {
			return err
		}
	}
	var lookupErr error
	exists := func(id string) bool {
		_, err := tx.GetQueue(ctx, p.InstanceID, id)
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) && lookupErr == nil {
			lookupErr = err
		}
		return err == nil
	}
	err := p.Check(exists)
	if lookupErr != nil {
		return lookupErr
	}
	return err
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
	if err := checkNameDescription(in.Name, in.Description); err != nil {
		return nil, err
	}
	if *in.Description == "" {
		return nil, apierr.InvalidParameter("Description must be 1-250 characters")
	}
	if len(in.ManualAssignmentQueueConfigs) > 0 {
		return nil, unsupported("ManualAssignmentQueueConfigs")
	}
	timer := routing.AgentAvailabilityTimer(in.AgentAvailabilityTimer)
	switch timer {
	case "":
		timer = routing.TimeSinceLastActivity
	case routing.TimeSinceLastActivity, routing.TimeSinceLastInbound:
	default:
		return nil, apierr.InvalidParameter("AgentAvailabilityTimer must be TIME_SINCE_LAST_ACTIVITY or TIME_SINCE_LAST_INBOUND")
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
		Name: *in.Name, Description: *in.Description, AgentAvailabilityTimer: timer, Tags: tags, LastModified: s.now()}
	arn := s.resourceARN(inst, arnRoutingProfile, p.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		if err := checkProfile(ctx, tx, p); err != nil {
			return err
		}
		return tx.CreateRoutingProfile(ctx, p)
	})
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

// updateRoutingProfile reads the profile named in the path and the request body into in, then
// runs change on the stored profile, checks the result with the router's rules and stores it.
func (s *Server) updateRoutingProfile(c *call, in any, change func(p *routing.RoutingProfileRecord) error) (any, error) {
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
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetRoutingProfile(ctx, inst, id)
		if err != nil {
			return err
		}
		if err := change(&p); err != nil {
			return err
		}
		if err := checkProfile(ctx, tx, p); err != nil {
			return err
		}
		p.LastModified = s.now()
		return tx.UpdateRoutingProfile(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// entryIndex returns the index of the profile's entry for queue × channel, or -1.
func entryIndex(p *routing.RoutingProfileRecord, queueID string, ch routing.Channel) int {
	for i, e := range p.Queues {
		if e.QueueID == queueID && e.Channel == ch {
			return i
		}
	}
	return -1
}

func notAssociated(queueID string, ch routing.Channel) error {
	return apierr.NotFound("routing profile queue", fmt.Sprintf("%s channel %s", truncate(queueID, 64), truncate(string(ch), 16)))
}

// associateRoutingProfileQueues implements AssociateRoutingProfileQueues: 1–10 new queue ×
// channel entries; an entry already present is InvalidParameterException.
func (s *Server) associateRoutingProfileQueues(c *call) (any, error) {
	var in struct {
		QueueConfigs                 []queueConfigJSON `json:"QueueConfigs"`
		ManualAssignmentQueueConfigs []any             `json:"ManualAssignmentQueueConfigs"`
	}
	return s.updateRoutingProfile(c, &in, func(p *routing.RoutingProfileRecord) error {
		if len(in.ManualAssignmentQueueConfigs) > 0 {
			return unsupported("ManualAssignmentQueueConfigs")
		}
		if len(in.QueueConfigs) == 0 {
			return apierr.InvalidParameter("QueueConfigs is required")
		}
		add, err := queueConfigs(in.QueueConfigs)
		if err != nil {
			return err
		}
		p.Queues = append(p.Queues, add...)
		return nil
	})
}

// updateRoutingProfileQueues implements UpdateRoutingProfileQueues: new priority and delay for
// 1–10 entries already in the profile (ResourceNotFoundException for one that is not).
func (s *Server) updateRoutingProfileQueues(c *call) (any, error) {
	var in struct {
		QueueConfigs []queueConfigJSON `json:"QueueConfigs"`
	}
	return s.updateRoutingProfile(c, &in, func(p *routing.RoutingProfileRecord) error {
		if len(in.QueueConfigs) == 0 {
			return apierr.InvalidParameter("QueueConfigs is required")
		}
		upd, err := queueConfigs(in.QueueConfigs)
		if err != nil {
			return err
		}
		for _, e := range upd {
			i := entryIndex(p, e.QueueID, e.Channel)
			if i < 0 {
				return notAssociated(e.QueueID, e.Channel)
			}
			p.Queues[i].Priority, p.Queues[i].DelaySeconds = e.Priority, e.DelaySeconds
		}
		return nil
	})
}

// disassociateRoutingProfileQueues implements DisassociateRoutingProfileQueues: removes 1–10
// entries (ResourceNotFoundException for one the profile does not have).
func (s *Server) disassociateRoutingProfileQueues(c *call) (any, error) {
	var in struct {
		QueueReferences                 []queueReferenceJSON `json:"QueueReferences"`
		ManualAssignmentQueueReferences []any                `json:"ManualAssignmentQueueReferences"`
	}
	return s.updateRoutingProfile(c, &in, func(p *routing.RoutingProfileRecord) error {
		if len(in.ManualAssignmentQueueReferences) > 0 {
			return unsupported("ManualAssignmentQueueReferences")
		}
		if len(in.QueueReferences) == 0 || len(in.QueueReferences) > maxQueueConfigsPerCall {
			return apierr.InvalidParameter(fmt.Sprintf("QueueReferences must have 1-%d entries", maxQueueConfigsPerCall))
		}
		for _, r := range in.QueueReferences {
			i := entryIndex(p, r.QueueId, routing.Channel(r.Channel))
			if i < 0 {
				return notAssociated(r.QueueId, routing.Channel(r.Channel))
			}
			p.Queues = append(p.Queues[:i:i], p.Queues[i+1:]...)
		}
		return nil
	})
}

// updateRoutingProfileConcurrency implements UpdateRoutingProfileConcurrency: the list given
// replaces the profile's channels and their concurrency.
func (s *Server) updateRoutingProfileConcurrency(c *call) (any, error) {
	var in struct {
		MediaConcurrencies []mediaConcurrencyJSON `json:"MediaConcurrencies"`
	}
	return s.updateRoutingProfile(c, &in, func(p *routing.RoutingProfileRecord) error {
		conc, err := mediaConcurrencies(in.MediaConcurrencies)
		if err != nil {
			return err
		}
		p.MediaConcurrencies = conc
		return nil
	})
}

// updateRoutingProfileName implements UpdateRoutingProfileName (Name and Description, each
// optional).
func (s *Server) updateRoutingProfileName(c *call) (any, error) {
	var in struct {
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
	}
	return s.updateRoutingProfile(c, &in, func(p *routing.RoutingProfileRecord) error {
		if err := checkNameDescription(in.Name, in.Description); err != nil {
			return err
		}
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.Description != nil {
			if *in.Description == "" {
				return apierr.InvalidParameter("Description must be 1-250 characters")
			}
			p.Description = *in.Description
		}
		return nil
	})
}

// updateRoutingProfileDefaultOutboundQueue implements UpdateRoutingProfileDefaultOutboundQueue;
// the queue must exist in the instance.
func (s *Server) updateRoutingProfileDefaultOutboundQueue(c *call) (any, error) {
	var in struct {
		DefaultOutboundQueueId string `json:"DefaultOutboundQueueId"`
	}
	return s.updateRoutingProfile(c, &in, func(p *routing.RoutingProfileRecord) error {
		p.DefaultOutboundQueueID = in.DefaultOutboundQueueId
		return nil
	})
}
