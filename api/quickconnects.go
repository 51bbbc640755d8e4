package api

import (
	"context"
	"fmt"
	"regexp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// quickConnectOperations are the quick-connect operations (Amazon Connect API reference:
// CreateQuickConnect, DescribeQuickConnect, ListQuickConnects, DeleteQuickConnect).
func quickConnectOperations() []operation {
	return []operation{
		{name: "CreateQuickConnect", pattern: "PUT /quick-connects/{InstanceId}", handle: (*Server).createQuickConnect},
		{name: "DescribeQuickConnect", pattern: "GET /quick-connects/{InstanceId}/{QuickConnectId}", handle: (*Server).describeQuickConnect},
		{name: "ListQuickConnects", pattern: "GET /quick-connects/{InstanceId}", handle: (*Server).listQuickConnects},
		{name: "DeleteQuickConnect", pattern: "DELETE /quick-connects/{InstanceId}/{QuickConnectId}", handle: (*Server).deleteQuickConnect},
	}
}

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
