package api

import (
	"context"
	"fmt"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// queueOperations are the standard-queue operations (Amazon Connect API reference:
// CreateQueue, DescribeQueue, ListQueues, UpdateQueueName, UpdateQueueMaxContacts,
// UpdateQueueHoursOfOperation, UpdateQueueStatus, UpdateQueueOutboundCallerConfig).
func queueOperations() []operation {
	return []operation{
		{name: "CreateQueue", pattern: "PUT /queues/{InstanceId}", handle: (*Server).createQueue},
		{name: "DescribeQueue", pattern: "GET /queues/{InstanceId}/{QueueId}", handle: (*Server).describeQueue},
		{name: "ListQueues", pattern: "GET /queues-summary/{InstanceId}", handle: (*Server).listQueues},
		{name: "UpdateQueueName", pattern: "POST /queues/{InstanceId}/{QueueId}/name", handle: (*Server).updateQueueName},
		{name: "UpdateQueueMaxContacts", pattern: "POST /queues/{InstanceId}/{QueueId}/max-contacts", handle: (*Server).updateQueueMaxContacts},
		{name: "UpdateQueueHoursOfOperation", pattern: "POST /queues/{InstanceId}/{QueueId}/hours-of-operation", handle: (*Server).updateQueueHours},
		{name: "UpdateQueueStatus", pattern: "POST /queues/{InstanceId}/{QueueId}/status", handle: (*Server).updateQueueStatus},
		{name: "UpdateQueueOutboundCallerConfig", pattern: "POST /queues/{InstanceId}/{QueueId}/outbound-caller-config", handle: (*Server).updateQueueOutboundCaller},
	}
}

// outboundCallerJSON is Connect's OutboundCallerConfig.
type outboundCallerJSON struct {
	OutboundCallerIdName     *string `json:"OutboundCallerIdName,omitempty"`
	OutboundCallerIdNumberId *string `json:"OutboundCallerIdNumberId,omitempty"`
	OutboundFlowId           *string `json:"OutboundFlowId,omitempty"`
}

// outboundCaller reads cfg into the caller ID name, number ID and local outbound flow ID
// the routing administration transactions take (the flow ARN reduced; store.CreateQueue and
// store.UpdateQueueOutboundCaller check them). A nil cfg is all empty.
func (s *Server) outboundCaller(instanceID string, cfg *outboundCallerJSON) (name, number, flowID string, err error) {
	if cfg == nil {
		return "", "", "", nil
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	name, number, flowID = str(cfg.OutboundCallerIdName), str(cfg.OutboundCallerIdNumberId), str(cfg.OutboundFlowId)
	if flowID != "" {
		if flowID, err = s.localFlowID(instanceID, flowID); err != nil {
			return "", "", "", err
		}
	}
	return name, number, flowID, nil
}

// createQueue implements CreateQueue (PUT /queues/{InstanceId}). MaxContacts 0 or absent
// means no limit. QuickConnectIds (at most 50) are associated with the new queue as
// AssociateQueueQuickConnects does. The email members are refused (not supported yet).
func (s *Server) createQueue(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name                 *string             `json:"Name"`
		Description          *string             `json:"Description"`
		HoursOfOperationId   string              `json:"HoursOfOperationId"`
		MaxContacts          *int                `json:"MaxContacts"`
		OutboundCallerConfig *outboundCallerJSON `json:"OutboundCallerConfig"`
		QuickConnectIds      []string            `json:"QuickConnectIds"`
		EmailAddressesConfig []any               `json:"EmailAddressesConfig"`
		OutboundEmailConfig  any                 `json:"OutboundEmailConfig"`
		Tags                 map[string]string   `json:"Tags"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, apierr.InvalidParameter("Name is required")
	}
	if len(in.EmailAddressesConfig) > 0 || in.OutboundEmailConfig != nil {
		return nil, unsupported("email configuration")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	q := routing.QueueRecord{InstanceID: inst, Queue: routing.Queue{ID: NewID(), HoursOfOperationID: in.HoursOfOperationId},
		Name: *in.Name, Tags: tags, LastModified: s.now()}
	if in.Description != nil {
		q.Description = *in.Description
	}
	if in.MaxContacts != nil {
		q.MaxContacts = *in.MaxContacts
	}
	if q.OutboundCallerIDName, q.OutboundCallerIDNumberID, q.OutboundFlowID, err = s.outboundCaller(inst, in.OutboundCallerConfig); err != nil {
		return nil, err
	}
	arn := s.resourceARN(inst, arnQueue, q.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		return store.CreateQueue(ctx, tx, q, in.QuickConnectIds)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"QueueId": q.ID, "QueueArn": arn}, nil
}

func (s *Server) queueJSON(q routing.QueueRecord) map[string]any {
	out := map[string]any{
		"QueueId": q.ID, "QueueArn": s.resourceARN(q.InstanceID, arnQueue, q.ID), "Name": q.Name, "Description": q.Description,
		"HoursOfOperationId": q.HoursOfOperationID, "Status": string(q.Status), "Tags": q.Tags,
		"LastModifiedTime": epochSeconds(q.LastModified), "LastModifiedRegion": s.cfg.Region,
	}
	if q.MaxContacts > 0 {
		out["MaxContacts"] = q.MaxContacts
	}
	withoutEmpty(out, "Description")
	oc := outboundCallerJSON{}
	set := func(dst **string, v string) {
		if v != "" {
			*dst = &v
		}
	}
	set(&oc.OutboundCallerIdName, q.OutboundCallerIDName)
	set(&oc.OutboundCallerIdNumberId, q.OutboundCallerIDNumberID)
	set(&oc.OutboundFlowId, q.OutboundFlowID)
	if oc != (outboundCallerJSON{}) {
		out["OutboundCallerConfig"] = oc
	}
	return out
}

// describeQueue implements DescribeQueue.
func (s *Server) describeQueue(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "QueueId", inst, arnQueue)
	if err != nil {
		return nil, err
	}
	var q routing.QueueRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		q, err = tx.GetQueue(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Queue": s.queueJSON(q)}, nil
}

// listQueues implements ListQueues (maxResults 1–1000, default 100). Only STANDARD queues are
// stored; agent queues come with users, so a queueTypes filter of AGENT alone lists nothing.
func (s *Server) listQueues(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "queue", 100, 1000)
	if err != nil {
		return nil, err
	}
	standard := len(c.r.URL.Query()["queueTypes"]) == 0
	for _, t := range c.r.URL.Query()["queueTypes"] {
		switch t {
		case "STANDARD":
			standard = true
		case "AGENT":
		default:
			return nil, apierr.InvalidParameter(fmt.Sprintf("queueTypes must be STANDARD or AGENT, got %q", truncate(t, 32)))
		}
	}
	var page []routing.QueueRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		if !standard {
			return nil
		}
		var err error
		page, err = tx.ListQueues(ctx, inst, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("queue", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, q := range page {
		items = append(items, map[string]any{"Id": q.ID, "Arn": s.resourceARN(inst, arnQueue, q.ID), "Name": q.Name, "QueueType": "STANDARD",
			"LastModifiedTime": epochSeconds(q.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["QueueSummaryList"] = items
	return out, nil
}

// updateQueue reads the queue named in the path and the request body into in, then runs
// change, one of store's queue transactions, on it.
func (s *Server) updateQueue(c *call, in any, change func(ctx context.Context, tx store.Tx, inst, id string) error) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "QueueId", inst, arnQueue)
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

// updateQueueName implements UpdateQueueName (Name and Description, each optional).
func (s *Server) updateQueueName(c *call) (any, error) {
	var in struct {
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		return store.UpdateQueueName(ctx, tx, inst, id, s.now(), in.Name, in.Description)
	})
}

// updateQueueMaxContacts implements UpdateQueueMaxContacts; an absent MaxContacts removes the
// limit. Lowering it removes no contact from the queue; it only refuses new ones.
func (s *Server) updateQueueMaxContacts(c *call) (any, error) {
	var in struct {
		MaxContacts *int `json:"MaxContacts"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		n := 0
		if in.MaxContacts != nil {
			n = *in.MaxContacts
		}
		return store.UpdateQueueMaxContacts(ctx, tx, inst, id, s.now(), n)
	})
}

// updateQueueHours implements UpdateQueueHoursOfOperation; the hours must exist.
func (s *Server) updateQueueHours(c *call) (any, error) {
	var in struct {
		HoursOfOperationId string `json:"HoursOfOperationId"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		return store.UpdateQueueHoursOfOperation(ctx, tx, inst, id, s.now(), in.HoursOfOperationId)
	})
}

// updateQueueStatus implements UpdateQueueStatus (ENABLED or DISABLED). A DISABLED queue
// refuses new contacts; contacts already in it are still routed.
func (s *Server) updateQueueStatus(c *call) (any, error) {
	var in struct {
		Status string `json:"Status"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		return store.UpdateQueueStatus(ctx, tx, inst, id, s.now(), routing.QueueStatus(in.Status))
	})
}

// updateQueueOutboundCaller implements UpdateQueueOutboundCallerConfig; the config given
// replaces the stored one.
func (s *Server) updateQueueOutboundCaller(c *call) (any, error) {
	var in struct {
		OutboundCallerConfig *outboundCallerJSON `json:"OutboundCallerConfig"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, inst, id string) error {
		if in.OutboundCallerConfig == nil {
			return apierr.InvalidParameter("OutboundCallerConfig is required")
		}
		name, number, flowID, err := s.outboundCaller(inst, in.OutboundCallerConfig)
		if err != nil {
			return err
		}
		return store.UpdateQueueOutboundCaller(ctx, tx, inst, id, s.now(), name, number, flowID)
	})
}
