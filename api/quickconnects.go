package api

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// quickConnectOperations are the quick-connect operations (Amazon Connect API reference:
// CreateQuickConnect, DescribeQuickConnect, ListQuickConnects, UpdateQuickConnectName,
// UpdateQuickConnectConfig, DeleteQuickConnect) and the association of quick connects with
// queues (AssociateQueueQuickConnects, DisassociateQueueQuickConnects,
// ListQueueQuickConnects), which decides what agents see: the quick connects of the queues in
// their routing profile, its default outbound queue included (Administrator Guide, "Transfer
// calls to a quick connect").
func quickConnectOperations() []operation {
	return []operation{
		{name: "CreateQuickConnect", pattern: "PUT /quick-connects/{InstanceId}", handle: (*Server).createQuickConnect},
		{name: "DescribeQuickConnect", pattern: "GET /quick-connects/{InstanceId}/{QuickConnectId}", handle: (*Server).describeQuickConnect},
		{name: "ListQuickConnects", pattern: "GET /quick-connects/{InstanceId}", handle: (*Server).listQuickConnects},
		{name: "UpdateQuickConnectName", pattern: "POST /quick-connects/{InstanceId}/{QuickConnectId}/name", handle: (*Server).updateQuickConnectName},
		{name: "UpdateQuickConnectConfig", pattern: "POST /quick-connects/{InstanceId}/{QuickConnectId}/config", handle: (*Server).updateQuickConnectConfig},
		{name: "DeleteQuickConnect", pattern: "DELETE /quick-connects/{InstanceId}/{QuickConnectId}", handle: (*Server).deleteQuickConnect},
		{name: "AssociateQueueQuickConnects", pattern: "POST /queues/{InstanceId}/{QueueId}/associate-quick-connects", handle: (*Server).associateQueueQuickConnects},
		{name: "DisassociateQueueQuickConnects", pattern: "POST /queues/{InstanceId}/{QueueId}/disassociate-quick-connects", handle: (*Server).disassociateQueueQuickConnects},
		{name: "ListQueueQuickConnects", pattern: "GET /queues/{InstanceId}/{QueueId}/quick-connects", handle: (*Server).listQueueQuickConnects},
	}
}

// maxQuickConnectIDs is the most QuickConnectIds one association request takes (Connect's
// AssociateQueueQuickConnects: 1–50).
const maxQuickConnectIDs = 50

// e164 is an E.164 number: "+", a country code not starting with 0, at most 15 digits in all
// (ITU-T E.164 §6; Connect's PhoneNumberQuickConnectConfig.PhoneNumber).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// quickConnectConfigJSON is Connect's QuickConnectConfig.
type quickConnectConfigJSON struct {
	QuickConnectType string `json:"QuickConnectType"`
	UserConfig       *struct {
		UserId        string `json:"UserId"`
		ContactFlowId string `json:"ContactFlowId"`
	} `json:"UserConfig,omitempty"`
	QueueConfig *struct {
		QueueId       string `json:"QueueId"`
		ContactFlowId string `json:"ContactFlowId"`
	} `json:"QueueConfig,omitempty"`
	PhoneConfig *struct {
		PhoneNumber string `json:"PhoneNumber"`
	} `json:"PhoneConfig,omitempty"`
	FlowConfig *struct {
		ContactFlowId string `json:"ContactFlowId"`
	} `json:"FlowConfig,omitempty"`
}

// quickConnectTarget checks cfg and fills q's destination. Exactly the configuration of the
// type must be present: UserConfig for USER, QueueConfig for QUEUE, PhoneConfig for
// PHONE_NUMBER, FlowConfig for FLOW. Referenced users, queues and flows must exist in the
// instance.
func (s *Server) quickConnectTarget(ctx context.Context, tx store.Tx, q *routing.QuickConnectRecord, cfg quickConnectConfigJSON) error {
	present := 0
	for _, p := range []bool{cfg.UserConfig != nil, cfg.QueueConfig != nil, cfg.PhoneConfig != nil, cfg.FlowConfig != nil} {
		if p {
			present++
		}
	}
	only := func(ok bool, member string) error {
		if !ok || present != 1 {
			return apierr.InvalidParameter(fmt.Sprintf("a %s quick connect takes %s and no other configuration", cfg.QuickConnectType, member))
		}
		return nil
	}
	flowID := ""
	q.Type = routing.QuickConnectType(cfg.QuickConnectType)
	switch q.Type {
	case routing.QuickConnectUser:
		if err := only(cfg.UserConfig != nil, "UserConfig"); err != nil {
			return err
		}
		if err := checkBodyID("UserId", cfg.UserConfig.UserId); err != nil {
			return err
		}
		ok, err := s.userExists(ctx, tx, q.InstanceID, cfg.UserConfig.UserId)
		if err != nil {
			return err
		}
		if !ok {
			return apierr.NotFound("user", truncate(cfg.UserConfig.UserId, 64))
		}
		q.UserID, flowID = cfg.UserConfig.UserId, cfg.UserConfig.ContactFlowId
	case routing.QuickConnectQueue:
		if err := only(cfg.QueueConfig != nil, "QueueConfig"); err != nil {
			return err
		}
		if cfg.QueueConfig.QueueId == "" {
			return apierr.InvalidParameter("QueueConfig.QueueId is required")
		}
		if err := checkBodyID("QueueId", cfg.QueueConfig.QueueId); err != nil {
			return err
		}
		if _, err := tx.GetQueue(ctx, q.InstanceID, cfg.QueueConfig.QueueId); err != nil {
			return err
		}
		q.QueueID, flowID = cfg.QueueConfig.QueueId, cfg.QueueConfig.ContactFlowId
	case routing.QuickConnectPhoneNumber:
		if err := only(cfg.PhoneConfig != nil, "PhoneConfig"); err != nil {
			return err
		}
		if !e164.MatchString(cfg.PhoneConfig.PhoneNumber) {
			return apierr.InvalidParameter("PhoneConfig.PhoneNumber must be in E.164 format, like +12065550100")
		}
		q.PhoneNumber = cfg.PhoneConfig.PhoneNumber
		return nil
	case routing.QuickConnectFlow:
		if err := only(cfg.FlowConfig != nil, "FlowConfig"); err != nil {
			return err
		}
		flowID = cfg.FlowConfig.ContactFlowId
	default:
		return apierr.InvalidParameter("QuickConnectType must be USER, QUEUE, PHONE_NUMBER or FLOW")
	}
	if flowID == "" {
		return apierr.InvalidParameter("ContactFlowId is required")
	}
	local, err := s.requireFlow(ctx, tx, q.InstanceID, flowID)
	if err != nil {
		return err
	}
	q.ContactFlowID = local
	return nil
}

// createQuickConnect implements CreateQuickConnect (PUT /quick-connects/{InstanceId}).
func (s *Server) createQuickConnect(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name               *string                 `json:"Name"`
		Description        *string                 `json:"Description"`
		QuickConnectConfig *quickConnectConfigJSON `json:"QuickConnectConfig"`
		Tags               map[string]string       `json:"Tags"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil || in.QuickConnectConfig == nil {
		return nil, apierr.InvalidParameter("Name and QuickConnectConfig are required")
	}
	if err := checkNameDescription(in.Name, in.Description); err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	q := routing.QuickConnectRecord{InstanceID: inst, ID: NewID(), Name: *in.Name, Tags: tags, LastModified: s.now()}
	if in.Description != nil {
		q.Description = *in.Description
	}
	arn := s.resourceARN(inst, arnQuickConnect, q.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		if err := s.quickConnectTarget(ctx, tx, &q, *in.QuickConnectConfig); err != nil {
			return err
		}
		return tx.CreateQuickConnect(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"QuickConnectId": q.ID, "QuickConnectARN": arn}, nil
}

func quickConnectConfigOut(q routing.QuickConnectRecord) map[string]any {
	out := map[string]any{"QuickConnectType": string(q.Type)}
	switch q.Type {
	case routing.QuickConnectUser:
		out["UserConfig"] = map[string]string{"UserId": q.UserID, "ContactFlowId": q.ContactFlowID}
	case routing.QuickConnectQueue:
		out["QueueConfig"] = map[string]string{"QueueId": q.QueueID, "ContactFlowId": q.ContactFlowID}
	case routing.QuickConnectPhoneNumber:
		out["PhoneConfig"] = map[string]string{"PhoneNumber": q.PhoneNumber}
	case routing.QuickConnectFlow:
		out["FlowConfig"] = map[string]string{"ContactFlowId": q.ContactFlowID}
	}
	return out
}

// describeQuickConnect implements DescribeQuickConnect.
func (s *Server) describeQuickConnect(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "QuickConnectId", inst, arnQuickConnect)
	if err != nil {
		return nil, err
	}
	var q routing.QuickConnectRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		q, err = tx.GetQuickConnect(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"QuickConnect": withoutEmpty(map[string]any{
		"QuickConnectId": q.ID, "QuickConnectARN": s.resourceARN(inst, arnQuickConnect, q.ID), "Name": q.Name, "Description": q.Description,
		"QuickConnectConfig": quickConnectConfigOut(q), "Tags": q.Tags, "LastModifiedTime": epochSeconds(q.LastModified),
		"LastModifiedRegion": s.cfg.Region,
	}, "Description")}, nil
}

// listQuickConnects implements ListQuickConnects (QuickConnectTypes filter; maxResults 1–1000,
// default 100).
func (s *Server) listQuickConnects(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "qc", 100, 1000)
	if err != nil {
		return nil, err
	}
	var types []routing.QuickConnectType
	for _, t := range c.r.URL.Query()["QuickConnectTypes"] {
		switch qt := routing.QuickConnectType(t); qt {
		case routing.QuickConnectUser, routing.QuickConnectQueue, routing.QuickConnectPhoneNumber, routing.QuickConnectFlow:
			types = append(types, qt)
		default:
			return nil, apierr.InvalidParameter(fmt.Sprintf("QuickConnectTypes must be USER, QUEUE, PHONE_NUMBER or FLOW, got %q", truncate(t, 32)))
		}
	}
	var page []routing.QuickConnectRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		page, err = tx.ListQuickConnects(ctx, inst, types, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("qc", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, q := range page {
		items = append(items, map[string]any{"Id": q.ID, "Arn": s.resourceARN(inst, arnQuickConnect, q.ID), "Name": q.Name,
			"QuickConnectType": string(q.Type), "LastModifiedTime": epochSeconds(q.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["QuickConnectSummaryList"] = items
	return out, nil
}

// deleteQuickConnect implements DeleteQuickConnect.
func (s *Server) deleteQuickConnect(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "QuickConnectId", inst, arnQuickConnect)
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteQuickConnect(ctx, inst, id) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateQuickConnect reads the path's quick connect, lets change modify it, stamps
// LastModifiedTime and stores it, in one audited transaction.
func (s *Server) updateQuickConnect(c *call, change func(ctx context.Context, tx store.Tx, q *routing.QuickConnectRecord) error) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "QuickConnectId", inst, arnQuickConnect)
	if err != nil {
		return nil, err
	}
	c.ev.Resource = s.resourceARN(inst, arnQuickConnect, id)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		q, err := tx.GetQuickConnect(ctx, inst, id)
		if err != nil {
			return err
		}
		if err := change(ctx, tx, &q); err != nil {
			return err
		}
		q.LastModified = s.now()
		return tx.UpdateQuickConnect(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateQuickConnectName implements UpdateQuickConnectName (POST
// /quick-connects/{InstanceId}/{QuickConnectId}/name): Name (1–127 characters, unique in the
// instance) and Description (0–250), each changed when present; at least one is required.
func (s *Server) updateQuickConnectName(c *call) (any, error) {
	var in struct {
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil && in.Description == nil {
		return nil, apierr.InvalidParameter("Name or Description is required")
	}
	if err := checkNameDescription(in.Name, in.Description); err != nil {
		return nil, err
	}
	return s.updateQuickConnect(c, func(_ context.Context, _ store.Tx, q *routing.QuickConnectRecord) error {
		if in.Name != nil {
			q.Name = *in.Name
		}
		if in.Description != nil {
			q.Description = *in.Description
		}
		return nil
	})
}

// updateQuickConnectConfig implements UpdateQuickConnectConfig (POST
// /quick-connects/{InstanceId}/{QuickConnectId}/config): QuickConnectConfig replaces the type
// and destination, checked as CreateQuickConnect checks them.
func (s *Server) updateQuickConnectConfig(c *call) (any, error) {
	var in struct {
		QuickConnectConfig *quickConnectConfigJSON `json:"QuickConnectConfig"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.QuickConnectConfig == nil {
		return nil, apierr.InvalidParameter("QuickConnectConfig is required")
	}
	return s.updateQuickConnect(c, func(ctx context.Context, tx store.Tx, q *routing.QuickConnectRecord) error {
		q.UserID, q.QueueID, q.ContactFlowID, q.PhoneNumber = "", "", "", ""
		return s.quickConnectTarget(ctx, tx, q, *in.QuickConnectConfig)
	})
}

// queueQuickConnectIDs reads the path's queue and the body's QuickConnectIds (1–50 IDs) of
// an association request.
func (s *Server) queueQuickConnectIDs(c *call) (inst, queueID string, ids []string, err error) {
	if inst, err = s.instanceID(c); err != nil {
		return "", "", nil, err
	}
	if queueID, err = s.pathResourceID(c, "QueueId", inst, arnQueue); err != nil {
		return "", "", nil, err
	}
	c.ev.Resource = s.resourceARN(inst, arnQueue, queueID)
	var in struct {
		QuickConnectIds []string `json:"QuickConnectIds"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return "", "", nil, err
	}
	if len(in.QuickConnectIds) == 0 || len(in.QuickConnectIds) > maxQuickConnectIDs {
		return "", "", nil, apierr.InvalidParameter(fmt.Sprintf("QuickConnectIds must hold 1 to %d IDs", maxQuickConnectIDs))
	}
	for _, id := range in.QuickConnectIds {
		if err := checkBodyID("QuickConnectIds", id); err != nil {
			return "", "", nil, err
		}
	}
	c.ev.Details = map[string]string{"quick_connects": strconv.Itoa(len(in.QuickConnectIds))}
	return inst, queueID, in.QuickConnectIds, nil
}

// associateQueueQuickConnects implements AssociateQueueQuickConnects (POST
// /queues/{InstanceId}/{QueueId}/associate-quick-connects, {"QuickConnectIds": [...]}, 1–50):
// agents whose routing profile holds the queue (or has it as default outbound queue) see
// these quick connects. An unknown quick connect is ResourceNotFoundException and nothing is
// associated; an existing association is kept.
func (s *Server) associateQueueQuickConnects(c *call) (any, error) {
	inst, queueID, ids, err := s.queueQuickConnectIDs(c)
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		if err := tx.AssociateQueueQuickConnects(ctx, inst, queueID, ids); err != nil {
			return err
		}
		return s.touchQueue(ctx, tx, inst, queueID)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// disassociateQueueQuickConnects implements DisassociateQueueQuickConnects (POST
// /queues/{InstanceId}/{QueueId}/disassociate-quick-connects, {"QuickConnectIds": [...]},
// 1–50). IDs not associated are ignored.
func (s *Server) disassociateQueueQuickConnects(c *call) (any, error) {
	inst, queueID, ids, err := s.queueQuickConnectIDs(c)
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		if err := tx.DisassociateQueueQuickConnects(ctx, inst, queueID, ids); err != nil {
			return err
		}
		return s.touchQueue(ctx, tx, inst, queueID)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// touchQueue sets the queue's LastModifiedTime to now (an association changed), which
// ListQueueQuickConnects answers as its LastModifiedTime.
func (s *Server) touchQueue(ctx context.Context, tx store.Tx, inst, queueID string) error {
	q, err := tx.GetQueue(ctx, inst, queueID)
	if err != nil {
		return err
	}
	q.LastModified = s.now()
	return tx.UpdateQueue(ctx, q)
}

// listQueueQuickConnects implements ListQueueQuickConnects (GET
// /queues/{InstanceId}/{QueueId}/quick-connects?maxResults=&nextToken=, maxResults 1–100,
// default 100): QuickConnectSummaryList in ID order, with the queue's LastModifiedTime and
// LastModifiedRegion.
func (s *Server) listQueueQuickConnects(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	queueID, err := s.pathResourceID(c, "QueueId", inst, arnQueue)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "qqc", 100, 100)
	if err != nil {
		return nil, err
	}
	var (
		page  []routing.QuickConnectRecord
		queue routing.QueueRecord
	)
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		if queue, err = tx.GetQueue(ctx, inst, queueID); err != nil {
			return err
		}
		page, err = tx.ListQueueQuickConnects(ctx, inst, queueID, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"LastModifiedTime": epochSeconds(queue.LastModified), "LastModifiedRegion": s.cfg.Region}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("qqc", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, q := range page {
		items = append(items, map[string]any{"Id": q.ID, "Arn": s.resourceARN(inst, arnQuickConnect, q.ID), "Name": q.Name,
			"QuickConnectType": string(q.Type), "LastModifiedTime": epochSeconds(q.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["QuickConnectSummaryList"] = items
	return out, nil
}
