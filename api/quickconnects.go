package api

import (
	"context"
	"fmt"
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

// quickConnectDestination checks the shape of cfg and returns the destination it names for
// the routing administration transactions (store.QuickConnectDestination, flow ARNs reduced
// to local IDs). Exactly the configuration of the type must be present: UserConfig for
// USER, QueueConfig for QUEUE, PhoneConfig for PHONE_NUMBER, FlowConfig for FLOW. Whether
// the users, queues and flows it names exist is checked in the transaction.
func (s *Server) quickConnectDestination(instanceID string, cfg quickConnectConfigJSON) (store.QuickConnectDestination, error) {
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
	d := store.QuickConnectDestination{Type: routing.QuickConnectType(cfg.QuickConnectType)}
	var err error
	switch d.Type {
	case routing.QuickConnectUser:
		err = only(cfg.UserConfig != nil, "UserConfig")
		if err == nil {
			d.UserID, d.ContactFlowID = cfg.UserConfig.UserId, cfg.UserConfig.ContactFlowId
		}
	case routing.QuickConnectQueue:
		err = only(cfg.QueueConfig != nil, "QueueConfig")
		if err == nil {
			d.QueueID, d.ContactFlowID = cfg.QueueConfig.QueueId, cfg.QueueConfig.ContactFlowId
		}
	case routing.QuickConnectPhoneNumber:
		err = only(cfg.PhoneConfig != nil, "PhoneConfig")
		if err == nil {
			d.PhoneNumber = cfg.PhoneConfig.PhoneNumber
		}
	case routing.QuickConnectFlow:
		err = only(cfg.FlowConfig != nil, "FlowConfig")
		if err == nil {
			d.ContactFlowID = cfg.FlowConfig.ContactFlowId
		}
	}
	if err != nil {
		return store.QuickConnectDestination{}, err
	}
	if d.ContactFlowID != "" {
		if d.ContactFlowID, err = s.localFlowID(instanceID, d.ContactFlowID); err != nil {
			return store.QuickConnectDestination{}, err
		}
	}
	return d, nil
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
	d, err := s.quickConnectDestination(inst, *in.QuickConnectConfig)
	if err != nil {
		return nil, err
	}
	q := routing.QuickConnectRecord{InstanceID: inst, ID: NewID(), Name: *in.Name, Tags: tags, LastModified: s.now()}
	if in.Description != nil {
		q.Description = *in.Description
	}
	arn := s.resourceARN(inst, arnQuickConnect, q.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return store.CreateQuickConnect(ctx, tx, q, d) })
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
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return store.DeleteQuickConnect(ctx, tx, inst, id) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateQuickConnect runs change, one of store's quick connect transactions, on the path's
// quick connect in one audited transaction.
func (s *Server) updateQuickConnect(c *call, change func(ctx context.Context, tx store.Tx, inst, id string) error) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "QuickConnectId", inst, arnQuickConnect)
	if err != nil {
		return nil, err
	}
	c.ev.Resource = s.resourceARN(inst, arnQuickConnect, id)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return change(ctx, tx, inst, id) })
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
	return s.updateQuickConnect(c, func(ctx context.Context, tx store.Tx, inst, id string) error {
		return store.UpdateQuickConnectName(ctx, tx, inst, id, s.now(), in.Name, in.Description)
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
	return s.updateQuickConnect(c, func(ctx context.Context, tx store.Tx, inst, id string) error {
		d, err := s.quickConnectDestination(inst, *in.QuickConnectConfig)
		if err != nil {
			return err
		}
		return store.UpdateQuickConnectConfig(ctx, tx, inst, id, s.now(), d)
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
	if err := routing.CheckQuickConnectIDs(in.QuickConnectIds, false); err != nil {
		return "", "", nil, err
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
		return store.AssociateQueueQuickConnects(ctx, tx, inst, queueID, ids, s.now())
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
		return store.DisassociateQueueQuickConnects(ctx, tx, inst, queueID, ids, s.now())
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
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
