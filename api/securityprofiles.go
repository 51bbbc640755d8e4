package api

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// securityProfileOperations are the security profile operations of the Amazon Connect API
// Reference: CreateSecurityProfile, DescribeSecurityProfile, ListSecurityProfiles,
// ListSecurityProfilePermissions, UpdateSecurityProfile, DeleteSecurityProfile.
func securityProfileOperations() []operation {
	return []operation{
		{name: "CreateSecurityProfile", pattern: "PUT /security-profiles/{InstanceId}", handle: (*Server).createSecurityProfile},
		{name: "DescribeSecurityProfile", pattern: "GET /security-profiles/{InstanceId}/{SecurityProfileId}", handle: (*Server).describeSecurityProfile},
		{name: "ListSecurityProfiles", pattern: "GET /security-profiles-summary/{InstanceId}", handle: (*Server).listSecurityProfiles},
		{name: "ListSecurityProfilePermissions", pattern: "GET /security-profiles-permissions/{InstanceId}/{SecurityProfileId}", handle: (*Server).listSecurityProfilePermissions},
		{name: "UpdateSecurityProfile", pattern: "POST /security-profiles/{InstanceId}/{SecurityProfileId}", handle: (*Server).updateSecurityProfile},
		{name: "DeleteSecurityProfile", pattern: "DELETE /security-profiles/{InstanceId}/{SecurityProfileId}", handle: (*Server).deleteSecurityProfile},
	}
}

// securityProfileARN is arn:aws:connect:{region}:{account}:instance/{instance}/security-profile/{id}.
func (s *Server) securityProfileARN(inst, id string) string {
	return identity.SecurityProfileARN("aws", s.cfg.Region, s.cfg.AccountID, inst, id)
}

// securityProfileID reads the {SecurityProfileId} path value and names the profile in the
// audit event.
func (s *Server) securityProfileID(c *call, inst string) string {
	raw := c.r.PathValue("SecurityProfileId")
	id := s.childID(inst, "security-profile", raw)
	if id == "" {
		id = truncate(raw, 100)
	}
	c.ev.Resource = s.securityProfileARN(inst, id)
	return id
}

// profileRestrictions are the members of CreateSecurityProfile and UpdateSecurityProfile that
// restrict a profile to tagged resources, hierarchy groups, applications, flow modules or
// data tables. Ringfence does not enforce those restrictions yet, so it refuses a request
// that sets any of them rather than store a profile that would grant more than it says.
type profileRestrictions struct {
	AllowedAccessControlTags             json.RawMessage `json:"AllowedAccessControlTags"`
	TagRestrictedResources               json.RawMessage `json:"TagRestrictedResources"`
	HierarchyRestrictedResources         json.RawMessage `json:"HierarchyRestrictedResources"`
	AllowedAccessControlHierarchyGroupId json.RawMessage `json:"AllowedAccessControlHierarchyGroupId"`
	Applications                         json.RawMessage `json:"Applications"`
	AllowedFlowModules                   json.RawMessage `json:"AllowedFlowModules"`
	GranularAccessControlConfiguration   json.RawMessage `json:"GranularAccessControlConfiguration"`
}

func (r profileRestrictions) check() error {
	for name, raw := range map[string]json.RawMessage{
		"AllowedAccessControlTags": r.AllowedAccessControlTags, "TagRestrictedResources": r.TagRestrictedResources,
		"HierarchyRestrictedResources": r.HierarchyRestrictedResources, "AllowedAccessControlHierarchyGroupId": r.AllowedAccessControlHierarchyGroupId,
		"Applications": r.Applications, "AllowedFlowModules": r.AllowedFlowModules,
		"GranularAccessControlConfiguration": r.GranularAccessControlConfiguration,
	} {
		switch string(bytes.TrimSpace(raw)) {
		case "", "null", "[]", "{}", `""`:
		default:
			return apierr.InvalidParameter(name + " is not supported: Ringfence does not enforce resource restrictions on security profiles yet")
		}
	}
	return nil
}

type createSecurityProfileInput struct {
	SecurityProfileName string            `json:"SecurityProfileName"`
	Description         string            `json:"Description"`
	Permissions         []string          `json:"Permissions"`
	Tags                map[string]string `json:"Tags"`
	profileRestrictions
}

// createSecurityProfile implements CreateSecurityProfile (PUT /security-profiles/{InstanceId}).
// Permission names must be known (identity's catalogue, either spelling); they are stored in
// canonical spelling. A name already used in the instance is DuplicateResourceException.
func (s *Server) createSecurityProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in createSecurityProfileInput
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(1e6)
	p, err := identity.NormalizeSecurityProfile(identity.SecurityProfile{
		ID: NewID(), InstanceID: inst, Name: in.SecurityProfileName, Description: in.Description,
		Permissions: in.Permissions, Tags: in.Tags, CreatedTime: now, LastModifiedTime: now,
	})
	if err != nil {
		return nil, err
	}
	if p.Tags == nil {
		p.Tags = map[string]string{}
	}
	arn := s.securityProfileARN(inst, p.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		return store.CreateSecurityProfile(ctx, tx, p)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"SecurityProfileId": p.ID, "SecurityProfileArn": arn}, nil
}

// getSecurityProfile reads the path's profile in a View after checking the instance.
func (s *Server) getSecurityProfile(c *call) (identity.SecurityProfile, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return identity.SecurityProfile{}, err
	}
	id := s.securityProfileID(c, inst)
	var p identity.SecurityProfile
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		p, err = tx.GetSecurityProfile(ctx, inst, id)
		return err
	})
	return p, err
}

// describeSecurityProfile implements DescribeSecurityProfile; the permissions come from
// ListSecurityProfilePermissions, as in Connect.
func (s *Server) describeSecurityProfile(c *call) (any, error) {
	p, err := s.getSecurityProfile(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"SecurityProfile": map[string]any{
		"Id": p.ID, "Arn": s.securityProfileARN(p.InstanceID, p.ID), "SecurityProfileName": p.Name,
		"Description": p.Description, "OrganizationResourceId": p.InstanceID, "Tags": p.Tags,
		"LastModifiedTime": epoch(p.LastModifiedTime.UnixMilli()), "LastModifiedRegion": s.cfg.Region,
	}}, nil
}

// listSecurityProfiles implements ListSecurityProfiles (GET
// /security-profiles-summary/{InstanceId}), maxResults 1–1000 (default 100), in ID order.
func (s *Server) listSecurityProfiles(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	limit, after, err := pageParams(c, "security-profile:", 100, 1000)
	if err != nil {
		return nil, err
	}
	var page []identity.SecurityProfile
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		page, err = tx.ListSecurityProfiles(ctx, inst, after, limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > limit {
		page = page[:limit]
		out["NextToken"] = encodeToken("security-profile:", page[limit-1].ID)
	}
	items := []map[string]any{}
	for _, p := range page {
		items = append(items, map[string]any{"Id": p.ID, "Arn": s.securityProfileARN(inst, p.ID), "Name": p.Name,
			"LastModifiedTime": epoch(p.LastModifiedTime.UnixMilli()), "LastModifiedRegion": s.cfg.Region})
	}
	out["SecurityProfileSummaryList"] = items
	return out, nil
}

// listSecurityProfilePermissions implements ListSecurityProfilePermissions (GET
// /security-profiles-permissions/{InstanceId}/{SecurityProfileId}): the canonical permission
// names in sorted order, maxResults 1–1000 (default 100).
func (s *Server) listSecurityProfilePermissions(c *call) (any, error) {
	limit, after, err := pageParams(c, "permission:", 100, 1000)
	if err != nil {
		return nil, err
	}
	p, err := s.getSecurityProfile(c)
	if err != nil {
		return nil, err
	}
	perms := slices.Clone(p.Permissions)
	slices.Sort(perms)
	start, _ := slices.BinarySearch(perms, after)
	if after != "" && start < len(perms) && perms[start] == after {
		start++
	}
	page := perms[start:]
	out := map[string]any{"LastModifiedTime": epoch(p.LastModifiedTime.UnixMilli()), "LastModifiedRegion": s.cfg.Region}
	if len(page) > limit {
		page = page[:limit]
		out["NextToken"] = encodeToken("permission:", page[limit-1])
	}
	out["Permissions"] = nonNilStrings(page)
	return out, nil
}

// updateSecurityProfile implements UpdateSecurityProfile (POST
// /security-profiles/{InstanceId}/{SecurityProfileId}): a Description or Permissions member
// that is present replaces the stored one.
func (s *Server) updateSecurityProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.securityProfileID(c, inst)
	var in struct {
		Description *string   `json:"Description"`
		Permissions *[]string `json:"Permissions"`
		profileRestrictions
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		ch, err := store.UpdateSecurityProfile(ctx, tx, inst, id, s.cfg.Now(), func(p *identity.SecurityProfile) {
			if in.Description != nil {
				p.Description = *in.Description
			}
			if in.Permissions != nil {
				p.Permissions = *in.Permissions
			}
		})
		if err != nil {
			return err
		}
		c.ev.Details = ch.AuditDetails()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// deleteSecurityProfile implements DeleteSecurityProfile; it is refused with
// ResourceInUseException while any user of the instance holds the profile.
func (s *Server) deleteSecurityProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.securityProfileID(c, inst)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		return store.DeleteSecurityProfile(ctx, tx, inst, id)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
