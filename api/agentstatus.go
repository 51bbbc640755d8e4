package api

import (
	"context"
	"fmt"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// agentStatusOperations are the agent-status operations (Amazon Connect API reference:
// CreateAgentStatus, DescribeAgentStatus, ListAgentStatuses, UpdateAgentStatus) and
// PutUserStatus, which sets a user's current status.
func agentStatusOperations() []operation {
	return []operation{
		{name: "CreateAgentStatus", pattern: "PUT /agent-status/{InstanceId}", handle: (*Server).createAgentStatus},
		{name: "DescribeAgentStatus", pattern: "GET /agent-status/{InstanceId}/{AgentStatusId}", handle: (*Server).describeAgentStatus},
		{name: "ListAgentStatuses", pattern: "GET /agent-status/{InstanceId}", handle: (*Server).listAgentStatuses},
		{name: "UpdateAgentStatus", pattern: "POST /agent-status/{InstanceId}/{AgentStatusId}", handle: (*Server).updateAgentStatus},
		{name: "PutUserStatus", pattern: "PUT /users/{InstanceId}/{UserId}/status", handle: (*Server).putUserStatus},
	}
}

// createAgentStatus implements CreateAgentStatus (PUT /agent-status/{InstanceId}). The
// statuses created are CUSTOM (non-productive: not routable); every instance starts with
// Available (ROUTABLE) and Offline (OFFLINE).
func (s *Server) createAgentStatus(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name         *string           `json:"Name"`
		Description  *string           `json:"Description"`
		State        string            `json:"State"`
		DisplayOrder *int              `json:"DisplayOrder"`
		Tags         map[string]string `json:"Tags"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, apierr.InvalidParameter("Name is required")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	rec := routing.AgentStatusRecord{InstanceID: inst, ID: NewID(), AgentStatus: routing.AgentStatus{Name: *in.Name, Type: routing.StatusCustom},
		State: routing.AgentStatusState(in.State), Tags: tags, LastModified: s.now()}
	if in.Description != nil {
		rec.Description = *in.Description
	}
	arn := s.resourceARN(inst, arnAgentStatus, rec.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		return store.CreateAgentStatus(ctx, tx, rec, in.DisplayOrder)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"AgentStatusId": rec.ID, "AgentStatusARN": arn}, nil
}

// describeAgentStatus implements DescribeAgentStatus.
func (s *Server) describeAgentStatus(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "AgentStatusId", inst, arnAgentStatus)
	if err != nil {
		return nil, err
	}
	var rec routing.AgentStatusRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		rec, err = tx.GetAgentStatus(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"AgentStatusId": rec.ID, "AgentStatusARN": s.resourceARN(inst, arnAgentStatus, rec.ID), "Name": rec.Name,
		"Description": rec.Description, "Type": string(rec.Type), "State": string(rec.State), "Tags": rec.Tags,
		"LastModifiedTime": epochSeconds(rec.LastModified), "LastModifiedRegion": s.cfg.Region,
	}
	if rec.DisplayOrder > 0 {
		out["DisplayOrder"] = rec.DisplayOrder
	}
	withoutEmpty(out, "Description")
	return map[string]any{"AgentStatus": out}, nil
}

// listAgentStatuses implements ListAgentStatuses (AgentStatusTypes filter; maxResults 1–1000,
// default 100).
func (s *Server) listAgentStatuses(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "status", 100, 1000)
	if err != nil {
		return nil, err
	}
	var types []routing.StatusType
	for _, t := range c.r.URL.Query()["AgentStatusTypes"] {
		switch st := routing.StatusType(t); st {
		case routing.StatusRoutable, routing.StatusCustom, routing.StatusOffline:
			types = append(types, st)
		default:
			return nil, apierr.InvalidParameter(fmt.Sprintf("AgentStatusTypes must be ROUTABLE, CUSTOM or OFFLINE, got %q", truncate(t, 32)))
		}
	}
	var page []routing.AgentStatusRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		page, err = tx.ListAgentStatuses(ctx, inst, types, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("status", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, rec := range page {
		items = append(items, map[string]any{"Id": rec.ID, "Arn": s.resourceARN(inst, arnAgentStatus, rec.ID), "Name": rec.Name,
			"Type": string(rec.Type), "LastModifiedTime": epochSeconds(rec.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["AgentStatusSummaryList"] = items
	return out, nil
}

// updateAgentStatus implements UpdateAgentStatus: Name, Description, DisplayOrder (or
// ResetOrderNumber to clear it) and State, each optional. Available (ROUTABLE) and Offline
// (OFFLINE) can be renamed but not disabled: agents always need both.
func (s *Server) updateAgentStatus(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "AgentStatusId", inst, arnAgentStatus)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name             *string `json:"Name"`
		Description      *string `json:"Description"`
		State            *string `json:"State"`
		DisplayOrder     *int    `json:"DisplayOrder"`
		ResetOrderNumber bool    `json:"ResetOrderNumber"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	ch := store.AgentStatusChange{Name: in.Name, Description: in.Description, DisplayOrder: in.DisplayOrder, ResetOrder: in.ResetOrderNumber}
	if in.State != nil {
		st := routing.AgentStatusState(*in.State)
		ch.State = &st
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		return store.UpdateAgentStatus(ctx, tx, inst, id, s.now(), ch)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// putUserStatus implements PutUserStatus (PUT /users/{InstanceId}/{UserId}/status): it stores
// the status the user is in now together with the call's audit event, then the instance's
// router applies it (lifecycle.Manager.SetAgentStatus: changes of one user are applied in the
// order they were stored). The status must be an ENABLED status of the instance; the user
// must exist. When the router refuses the stored status (its routing profile is unknown to
// the router), the status stays stored, a system audit event records the refusal, and the
// call fails.
func (s *Server) putUserStatus(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	userID := c.r.PathValue("UserId")
	c.ev.Resource = s.resourceARN(inst, "agent", truncate(userID, maxResourceID))
	var in struct {
		AgentStatusId string `json:"AgentStatusId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.AgentStatusId == "" {
		return nil, apierr.InvalidParameter("AgentStatusId is required")
	}
	if err := checkBodyID("AgentStatusId", in.AgentStatusId); err != nil {
		return nil, err
	}
	write := func(ctx context.Context, tx store.Tx) (string, routing.AgentStatus, error) {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return "", routing.AgentStatus{}, err
		}
		u, err := tx.GetUser(ctx, inst, userID)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return "", routing.AgentStatus{}, apierr.NotFound("user", truncate(userID, 64))
		}
		if err != nil {
			return "", routing.AgentStatus{}, err
		}
		st, err := tx.GetAgentStatus(ctx, inst, in.AgentStatusId)
		if err != nil {
			return "", routing.AgentStatus{}, err
		}
		if st.State != routing.AgentStatusEnabled {
			return "", routing.AgentStatus{}, apierr.InvalidRequest(fmt.Sprintf("agent status %q is disabled", st.Name))
		}
		return u.RoutingProfileID, st.AgentStatus, tx.SetUserStatus(ctx, routing.UserStatus{InstanceID: inst, UserID: userID, AgentStatusID: st.ID, Since: s.now()})
	}
	if s.cfg.Contacts == nil {
		// No contact runtime on this node: the status is only stored.
		if err := c.update(s, func(ctx context.Context, tx store.Tx) error { _, _, err := write(ctx, tx); return err }); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
	err = c.runtime(func(ev *audit.Event) error {
		_, err := s.cfg.Contacts.SetAgentStatus(c.ctx, ev, inst, userID, write)
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
