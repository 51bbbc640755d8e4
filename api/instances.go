package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/store"
)

// operations lists every implemented Connect operation with its path
// (Amazon Connect API reference, 2017-08-08; paths as the SDKs' restJson1 bindings send them).
func operations() []operation {
	return append([]operation{
		{name: "CreateInstance", pattern: "PUT /instance", handle: (*Server).createInstance},
		{name: "ListInstances", pattern: "GET /instance", handle: (*Server).listInstances},
		{name: "DescribeInstance", pattern: "GET /instance/{InstanceId}", handle: (*Server).describeInstance},
		{name: "DeleteInstance", pattern: "DELETE /instance/{InstanceId}", handle: (*Server).deleteInstance},
	}, slices.Concat(flowOperations(), securityKeyOperations(), approvedOriginOperations(), routingOperations(), userOperations(), securityProfileOperations(), authProfileOperations(), contactOperations(),
		functionOperations(), promptOperations(), flowLogOperations(), transcriptOperations(), accessKeyOperations(), metricOperations())...)
}

// instanceJSON is Connect's Instance data type (API_Instance) and, without Tags, its
// InstanceSummary.
type instanceJSON struct {
	Id                     string            `json:"Id"`
	Arn                    string            `json:"Arn"`
	IdentityManagementType string            `json:"IdentityManagementType"`
	InstanceAlias          string            `json:"InstanceAlias"`
	CreatedTime            float64           `json:"CreatedTime"`
	InstanceStatus         string            `json:"InstanceStatus"`
	InboundCallsEnabled    bool              `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   bool              `json:"OutboundCallsEnabled"`
	InstanceAccessUrl      string            `json:"InstanceAccessUrl"`
	Tags                   map[string]string `json:"Tags,omitempty"`
}

func (s *Server) instanceJSON(in instance.Instance, withTags bool) instanceJSON {
	j := instanceJSON{
		Id: in.ID, Arn: in.ARN(s.cfg.Region, s.cfg.AccountID), IdentityManagementType: string(in.IdentityManagementType),
		InstanceAlias: in.Alias, CreatedTime: float64(in.CreatedTime.UnixMilli()) / 1000, InstanceStatus: string(in.Status),
		InboundCallsEnabled: in.InboundCallsEnabled, OutboundCallsEnabled: in.OutboundCallsEnabled,
		InstanceAccessUrl: in.AccessURL(s.cfg.Endpoint),
	}
	if withTags {
		j.Tags = in.Tags
	}
	return j
}

type createInstanceInput struct {
	ClientToken            string            `json:"ClientToken"`
	IdentityManagementType string            `json:"IdentityManagementType"`
	InstanceAlias          string            `json:"InstanceAlias"`
	DirectoryId            string            `json:"DirectoryId"`
	InboundCallsEnabled    *bool             `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   *bool             `json:"OutboundCallsEnabled"`
	Tags                   map[string]string `json:"Tags"`
}

// createInstance implements CreateInstance (PUT /instance). Ringfence creates the instance
// synchronously: it is ACTIVE and deletion-protected when the call returns.
func (s *Server) createInstance(c *call) (any, error) {
	var in createInstanceInput
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.InboundCallsEnabled == nil || in.OutboundCallsEnabled == nil {
		return nil, apierr.InvalidParameter("InboundCallsEnabled and OutboundCallsEnabled are required")
	}
	inst := instance.Instance{
		ID: NewID(), Alias: in.InstanceAlias,
		IdentityManagementType: instance.IdentityManagementType(in.IdentityManagementType),
		InboundCallsEnabled:    *in.InboundCallsEnabled, OutboundCallsEnabled: *in.OutboundCallsEnabled,
		Status: instance.StatusActive, CreatedTime: s.cfg.Now().UTC().Truncate(1e6),
		DeletionProtected: true, Tags: in.Tags,
	}
	if inst.Tags == nil {
		inst.Tags = map[string]string{}
	}
	if err := inst.Validate(); err != nil {
		return nil, err
	}
	arn := inst.ARN(s.cfg.Region, s.cfg.AccountID)
	c.ev.InstanceID, c.ev.Resource = inst.ID, arn
	err := c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, inst); err != nil {
			return err
		}
		return provision.Instance(ctx, tx, inst, provision.Env{Region: s.cfg.Region, AccountID: s.cfg.AccountID, NewID: NewID, Now: inst.CreatedTime})
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"Id": inst.ID, "Arn": arn}, nil
}

// instanceID reads the {InstanceId} path value and checks the caller may see that instance.
// A user principal of another instance gets ResourceNotFoundException, as for a missing one,
// so instance IDs cannot be probed.
func (s *Server) instanceID(c *call) (string, error) {
	id := s.pathInstanceID(c.r)
	c.ev.InstanceID, c.ev.Resource = id, instance.ARN(s.cfg.Region, s.cfg.AccountID, id)
	if !instance.ValidID(id) {
		c.ev.InstanceID, c.ev.Resource = "", ""
		return "", apierr.NotFound("instance", truncate(id, 64))
	}
	if c.principal.Kind != identity.PrincipalOperator && c.principal.InstanceID != id {
		return "", apierr.NotFound("instance", id)
	}
	return id, nil
}

// describeInstance implements DescribeInstance (GET /instance/{InstanceId}).
func (s *Server) describeInstance(c *call) (any, error) {
	id, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in instance.Instance
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		in, err = tx.GetInstance(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Instance": s.instanceJSON(in, true)}, nil
}

// listInstances implements ListInstances (GET /instance?maxResults=&nextToken=); maxResults
// is 1–10 (default 10) as in Connect.
func (s *Server) listInstances(c *call) (any, error) {
	q := c.r.URL.Query()
	limit := 10
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return nil, apierr.InvalidParameter("maxResults must be an integer from 1 to 10")
		}
		limit = n
	}
	after := ""
	if tok := q.Get("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		id, ok := strings.CutPrefix(string(b), "instance:")
		if err != nil || !ok || !instance.ValidID(id) {
			return nil, apierr.InvalidParameter("nextToken is not valid")
		}
		after = id
	}
	var page []instance.Instance
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		page, err = tx.ListInstances(ctx, after, limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := struct {
		InstanceSummaryList []instanceJSON `json:"InstanceSummaryList"`
		NextToken           string         `json:"NextToken,omitempty"`
	}{InstanceSummaryList: []instanceJSON{}}
	if len(page) > limit {
		page = page[:limit]
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte("instance:" + page[limit-1].ID))
	}
	for _, in := range page {
		out.InstanceSummaryList = append(out.InstanceSummaryList, s.instanceJSON(in, false))
	}
	return out, nil
}

// deleteInstance implements DeleteInstance (DELETE /instance/{InstanceId}). It fails with
// InvalidRequestException while the instance is deletion-protected; an operator lifts the
// protection with `ringfence admin instance unprotect`, a separate audited step.
func (s *Server) deleteInstance(c *call) (any, error) {
	id, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		in, err := tx.GetInstance(ctx, id)
		if err != nil {
			return err
		}
		if in.DeletionProtected {
			return apierr.InvalidRequest(fmt.Sprintf("instance %s is deletion-protected; lift the protection first with `ringfence admin instance unprotect %s`", id, id))
		}
		return tx.DeleteInstance(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
