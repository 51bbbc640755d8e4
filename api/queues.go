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

// applyOutboundCaller checks cfg and stores it in q: the caller ID name is at most 255
// characters, the outbound whisper flow must be a flow of the instance. The caller ID number
// is kept as given (phone numbers are not managed by this server yet).
func (s *Server) applyOutboundCaller(ctx context.Context, tx store.Tx, q *routing.QueueRecord, cfg *outboundCallerJSON) error {
	if cfg == nil {
		return nil
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	name, number, flowID := str(cfg.OutboundCallerIdName), str(cfg.OutboundCallerIdNumberId), str(cfg.OutboundFlowId)
	if err := checkText("OutboundCallerIdName", name, 0, 255); err != nil {
		return err
	}
	if len(number) > maxResourceID {
		return apierr.InvalidParameter("OutboundCallerIdNumberId is too long")
	}
	if flowID != "" {
		local, err := s.requireFlow(ctx, tx, q.InstanceID, flowID)
		if err != nil {
			return err
		}
		flowID = local
	}
	q.OutboundCallerIDName, q.OutboundCallerIDNumberID, q.OutboundFlowID = name, number, flowID
	return nil
}

// requireHours fails with ResourceNotFoundException unless id names hours of the instance.
func requireHours(ctx context.Context, tx store.Tx, instanceID, id string) error {
	if id == "" {
		return apierr.InvalidParameter("HoursOfOperationId is required")
	}
	if err := checkBodyID("HoursOfOperationId", id); err != nil {
		return err
	}
	_, err := tx.GetHours(ctx, instanceID, id)
	return err
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
	if err := checkNameDescription(in.Name, in.Description); err != nil {
		return nil, err
	}
	if len(in.QuickConnectIds) > maxQuickConnectIDs {
		return nil, apierr.InvalidParameter(fmt.Sprintf("QuickConnectIds holds at most %d IDs", maxQuickConnectIDs))
	}
	for _, id := range in.QuickConnectIds {
		if err := checkBodyID("QuickConnectIds", id); err != nil {
			return nil, err
		}
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
	if err := q.Normalise(); err != nil {
		return nil, err
	}
	arn := s.resourceARN(inst, arnQueue, q.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		if err := requireHours(ctx, tx, inst, q.HoursOfOperationID); err != nil {
			return err
		}
		if err := s.applyOutboundCaller(ctx, tx, &q, in.OutboundCallerConfig); err != nil {
			return err
		}
		if err := tx.CreateQueue(ctx, q); err != nil {
			return err
		}
		if len(in.QuickConnectIds) == 0 {
			return nil
		}
		return tx.AssociateQueueQuickConnects(ctx, inst, q.ID, in.QuickConnectIds)
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
// change on the stored queue, checks the result and stores it.
func (s *Server) updateQueue(c *call, in any, change func(ctx context.Context, tx store.Tx, q *routing.QueueRecord) error) (any, error) {
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
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		q, err := tx.GetQueue(ctx, inst, id)
		if err != nil {
			return err
		}
		if err := change(ctx, tx, &q); err != nil {
			return err
		}
		if err := q.Normalise(); err != nil {
			return err
		}
		q.LastModified = s.now()
		return tx.UpdateQueue(ctx, q)
	})
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
	return s.updateQueue(c, &in, func(_ context.Context, _ store.Tx, q *routing.QueueRecord) error {
		if err := checkNameDescription(in.Name, in.Description); err != nil {
			return err
		}
		if in.Name != nil {
			q.Name = *in.Name
		}
		if in.Description != nil {
			q.Description = *in.Description
		}
		return nil
	})
}

// updateQueueMaxContacts implements UpdateQueueMaxContacts; an absent MaxContacts removes the
// limit. Lowering it removes no contact from the queue; it only refuses new ones.
func (s *Server) updateQueueMaxContacts(c *call) (any, error) {
	var in struct {
		MaxContacts *int `json:"MaxContacts"`
	}
	return s.updateQueue(c, &in, func(_ context.Context, _ store.Tx, q *routing.QueueRecord) error {
		q.MaxContacts = 0
		if in.MaxContacts != nil {
			q.MaxContacts = *in.MaxContacts
		}
		return nil
	})
}

// updateQueueHours implements UpdateQueueHoursOfOperation; the hours must exist.
func (s *Server) updateQueueHours(c *call) (any, error) {
	var in struct {
		HoursOfOperationId string `json:"HoursOfOperationId"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, q *routing.QueueRecord) error {
		if err := requireHours(ctx, tx, q.InstanceID, in.HoursOfOperationId); err != nil {
			return err
		}
		q.HoursOfOperationID = in.HoursOfOperationId
		return nil
	})
}

// updateQueueStatus implements UpdateQueueStatus (ENABLED or DISABLED). A DISABLED queue
// refuses new contacts; contacts already in it are still routed.
func (s *Server) updateQueueStatus(c *call) (any, error) {
	var in struct {
		Status string `json:"Status"`
	}
	return s.updateQueue(c, &in, func(_ context.Context, _ store.Tx, q *routing.QueueRecord) error {
		if in.Status != string(routing.QueueEnabled) && in.Status != string(routing.QueueDisabled) {
			return apierr.InvalidParameter("Status must be ENABLED or DISABLED")
		}
		q.Status = routing.QueueStatus(in.Status)
		return nil
	})
}

// updateQueueOutboundCaller implements UpdateQueueOutboundCallerConfig; the config given
// replaces the stored one.
func (s *Server) updateQueueOutboundCaller(c *call) (any, error) {
	var in struct {
		OutboundCallerConfig *outboundCallerJSON `json:"OutboundCallerConfig"`
	}
	return s.updateQueue(c, &in, func(ctx context.Context, tx store.Tx, q *routing.QueueRecord) error {
		if in.OutboundCallerConfig == nil {
			return apierr.InvalidParameter("OutboundCallerConfig is required")
		}
		return s.applyOutboundCaller(ctx, tx, q, in.OutboundCallerConfig)
	})
}
