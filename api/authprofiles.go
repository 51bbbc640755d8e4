package api

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// authProfileOperations are the authentication profile operations of the Amazon Connect API
// Reference (DescribeAuthenticationProfile, ListAuthenticationProfiles,
// UpdateAuthenticationProfile) and Ringfence's own for what Connect leaves to AWS Support:
// creating and deleting profiles other than the default, and assigning users to them
// (identity.ActionCreateAuthenticationProfile and its siblings). Every instance has one
// default profile, which applies to every user not assigned to another.
func authProfileOperations() []operation {
	return []operation{
		{name: "DescribeAuthenticationProfile", pattern: "GET /authentication-profiles/{InstanceId}/{AuthenticationProfileId}", handle: (*Server).describeAuthProfile},
		{name: "ListAuthenticationProfiles", pattern: "GET /authentication-profiles-summary/{InstanceId}", handle: (*Server).listAuthProfiles},
		{name: "UpdateAuthenticationProfile", pattern: "POST /authentication-profiles/{InstanceId}/{AuthenticationProfileId}", handle: (*Server).updateAuthProfile},
		{name: identity.ActionCreateAuthenticationProfile, pattern: "PUT /authentication-profiles/{InstanceId}", handle: (*Server).createAuthProfile},
		{name: identity.ActionDeleteAuthenticationProfile, pattern: "DELETE /authentication-profiles/{InstanceId}/{AuthenticationProfileId}", handle: (*Server).deleteAuthProfile},
		{name: identity.ActionListAuthenticationProfileUsers, pattern: "GET /authentication-profiles-users/{InstanceId}/{AuthenticationProfileId}", handle: (*Server).listAuthProfileUsers},
		{name: identity.ActionDescribeUserAuthenticationProfile, pattern: "GET /users/{InstanceId}/{UserId}/authentication-profile", handle: (*Server).describeUserAuthProfile},
		{name: identity.ActionUpdateUserAuthenticationProfile, pattern: "POST /users/{InstanceId}/{UserId}/authentication-profile", handle: (*Server).updateUserAuthProfile},
	}
}

// authProfileARN is arn:aws:connect:{region}:{account}:instance/{instance}/authentication-profile/{id}.
func (s *Server) authProfileARN(inst, id string) string {
	return instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/authentication-profile/" + id
}

// authProfileID reads the {AuthenticationProfileId} path value (an ID or this instance's
// ARN of it) and names the profile in the audit event.
func (s *Server) authProfileID(c *call, inst string) string {
	raw := c.r.PathValue("AuthenticationProfileId")
	id := s.childID(inst, "authentication-profile", raw)
	if id == "" {
		id = truncate(raw, 100)
	}
	c.ev.Resource = s.authProfileARN(inst, id)
	return id
}

// minutes converts a duration to whole minutes, Connect's unit for session durations.
func minutes(d time.Duration) int64 { return int64(d / time.Minute) }

func cidrStrings(ps []netip.Prefix) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// describeAuthProfile implements DescribeAuthenticationProfile (GET
// /authentication-profiles/{InstanceId}/{AuthenticationProfileId}). Durations are minutes:
// MaxSessionDuration is the absolute session lifetime, PeriodicSessionDuration the periodic
// re-authentication interval (absent when off), SessionInactivityDuration the idle timeout.
// Inactivity handling is always on in Ringfence (users of sensitive profiles are held to 15
// minutes whatever the profile says).
func (s *Server) describeAuthProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.authProfileID(c, inst)
	var p identity.AuthenticationProfile
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		p, err = store.GetAuthenticationProfile(ctx, tx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	abs, idle := p.SessionDuration, p.IdleTimeout
	if abs == 0 {
		abs = identity.DefaultSessionDuration
	}
	if idle == 0 {
		idle = identity.DefaultIdleTimeout
	}
	out := map[string]any{
		"Id": p.ID, "Arn": s.authProfileARN(inst, p.ID), "Name": p.Name, "Description": p.Description,
		"AllowedIps": cidrStrings(p.AllowedIPs), "BlockedIps": cidrStrings(p.BlockedIPs), "IsDefault": p.Default,
		"CreatedTime": epochSeconds(p.CreatedTime), "LastModifiedTime": epochSeconds(p.LastModifiedTime),
		"LastModifiedRegion": s.cfg.Region, "MaxSessionDuration": minutes(abs),
		"SessionInactivityDuration": minutes(idle), "SessionInactivityHandlingEnabled": true,
	}
	if p.PeriodicReauthentication > 0 {
		out["PeriodicSessionDuration"] = minutes(p.PeriodicReauthentication)
	}
	return map[string]any{"AuthenticationProfile": out}, nil
}

// listAuthProfiles implements ListAuthenticationProfiles (GET
// /authentication-profiles-summary/{InstanceId}?maxResults=&nextToken=), maxResults 1–1000
// (default 100), in ID order.
func (s *Server) listAuthProfiles(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	limit, after, err := pageParams(c, "authentication-profile:", 100, 1000)
	if err != nil {
		return nil, err
	}
	var page []identity.AuthenticationProfile
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		page, err = store.ListAuthenticationProfiles(ctx, tx, inst, after, limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > limit {
		page = page[:limit]
		out["NextToken"] = encodeToken("authentication-profile:", page[limit-1].ID)
	}
	items := []map[string]any{}
	for _, p := range page {
		items = append(items, map[string]any{"Id": p.ID, "Arn": s.authProfileARN(inst, p.ID), "Name": p.Name, "IsDefault": p.Default,
			"LastModifiedTime": epochSeconds(p.LastModifiedTime), "LastModifiedRegion": s.cfg.Region})
	}
	out["AuthenticationProfileSummaryList"] = items
	return out, nil
}

// updateAuthProfileInput is UpdateAuthenticationProfile's body. Durations are minutes.
// MaxSessionDuration is a Ringfence extension (Connect's request has no member for the
// absolute session lifetime its answer reports).
type updateAuthProfileInput struct {
	Name                             *string   `json:"Name"`
	Description                      *string   `json:"Description"`
	AllowedIps                       *[]string `json:"AllowedIps"`
	BlockedIps                       *[]string `json:"BlockedIps"`
	PeriodicSessionDuration          *int64    `json:"PeriodicSessionDuration"`
	SessionInactivityDuration        *int64    `json:"SessionInactivityDuration"`
	SessionInactivityHandlingEnabled *bool     `json:"SessionInactivityHandlingEnabled"`
	MaxSessionDuration               *int64    `json:"MaxSessionDuration"`
}

// minutesMember converts a member in minutes to a duration within [lo, hi] minutes (0 is also
// allowed when zeroOK: the member's "off").
func minutesMember(name string, v, lo, hi int64, zeroOK bool) (time.Duration, error) {
	if (v < lo || v > hi) && !(zeroOK && v == 0) {
		if zeroOK {
			return 0, apierr.InvalidParameter(fmt.Sprintf("%s must be 0 (off) or %d to %d minutes", name, lo, hi))
		}
		return 0, apierr.InvalidParameter(fmt.Sprintf("%s must be %d to %d minutes", name, lo, hi))
	}
	return time.Duration(v) * time.Minute, nil
}

// updateAuthProfile implements UpdateAuthenticationProfile (POST
// /authentication-profiles/{InstanceId}/{AuthenticationProfileId}): every member present
// replaces the stored value. AllowedIps and BlockedIps are CIDR ranges (at most 100 each;
// an empty AllowedIps allows every address; blocked wins over allowed); they apply to the
// next sign-in and to every request of a running session. PeriodicSessionDuration 15–1440
// minutes (0 turns periodic re-authentication off), SessionInactivityDuration 1–720,
// MaxSessionDuration 15–1440; new timeouts apply to sessions started afterwards.
// SessionInactivityHandlingEnabled cannot be false: Ringfence always ends idle sessions.
func (s *Server) updateAuthProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.authProfileID(c, inst)
	var in updateAuthProfileInput
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	allowed, blocked, reauth, idle, maxSession, err := in.parse()
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		p, err := store.UpdateAuthenticationProfile(ctx, tx, inst, id, s.cfg.Now(), func(p *identity.AuthenticationProfile) error {
			in.apply(p, allowed, blocked, reauth, idle, maxSession)
			return nil
		})
		if err != nil {
			return err
		}
		c.ev.Details = map[string]string{"allowed_ips": strconv.Itoa(len(p.AllowedIPs)), "blocked_ips": strconv.Itoa(len(p.BlockedIPs))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// parse checks the members present and converts them: CIDR lists to prefixes, minutes to
// durations. InvalidParameterException names the member.
func (in updateAuthProfileInput) parse() (allowed, blocked []netip.Prefix, reauth, idle, maxSession time.Duration, err error) {
	if in.SessionInactivityHandlingEnabled != nil && !*in.SessionInactivityHandlingEnabled {
		return nil, nil, 0, 0, 0, apierr.InvalidParameter("SessionInactivityHandlingEnabled cannot be false: Ringfence always signs out inactive sessions")
	}
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || utf8.RuneCountInString(*in.Name) > 128) {
		return nil, nil, 0, 0, 0, apierr.InvalidParameter("Name must be 1 to 128 characters")
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 250 {
		return nil, nil, 0, 0, 0, apierr.InvalidParameter("Description must be at most 250 characters")
	}
	if in.AllowedIps != nil {
		if allowed, err = identity.ParseCIDRs(*in.AllowedIps); err != nil {
			return nil, nil, 0, 0, 0, apierr.InvalidParameter("AllowedIps: " + apierr.As(err).Message)
		}
	}
	if in.BlockedIps != nil {
		if blocked, err = identity.ParseCIDRs(*in.BlockedIps); err != nil {
			return nil, nil, 0, 0, 0, apierr.InvalidParameter("BlockedIps: " + apierr.As(err).Message)
		}
	}
	for _, m := range []struct {
		name   string
		v      *int64
		dst    *time.Duration
		lo, hi int64
		zeroOK bool
	}{
		{"PeriodicSessionDuration", in.PeriodicSessionDuration, &reauth, 15, 1440, true},
		{"SessionInactivityDuration", in.SessionInactivityDuration, &idle, 1, 720, false},
		{"MaxSessionDuration", in.MaxSessionDuration, &maxSession, 15, 1440, false},
	} {
		if m.v == nil {
			continue
		}
		if *m.dst, err = minutesMember(m.name, *m.v, m.lo, m.hi, m.zeroOK); err != nil {
			return nil, nil, 0, 0, 0, err
		}
	}
	return allowed, blocked, reauth, idle, maxSession, nil
}

// apply sets the members present in the request on p.
func (in updateAuthProfileInput) apply(p *identity.AuthenticationProfile, allowed, blocked []netip.Prefix, reauth, idle, maxSession time.Duration) {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.AllowedIps != nil {
		p.AllowedIPs = allowed
	}
	if in.BlockedIps != nil {
		p.BlockedIPs = blocked
	}
	if in.PeriodicSessionDuration != nil {
		p.PeriodicReauthentication = reauth
	}
	if in.SessionInactivityDuration != nil {
		p.IdleTimeout = idle
	}
	if in.MaxSessionDuration != nil {
		p.SessionDuration = maxSession
	}
}

// createAuthProfile implements ringfence:CreateAuthenticationProfile (PUT
// /authentication-profiles/{InstanceId}): the body is UpdateAuthenticationProfile's with Name
// required (unique within the instance, any case). The new profile applies to no one until
// users are assigned to it (ringfence:UpdateUserAuthenticationProfile). Answer:
// {"AuthenticationProfileId", "AuthenticationProfileArn"}. At most
// identity.MaxAuthenticationProfiles per instance, the default included
// (ServiceQuotaExceededException).
func (s *Server) createAuthProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in updateAuthProfileInput
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, apierr.InvalidParameter("Name is required")
	}
	allowed, blocked, reauth, idle, maxSession, err := in.parse()
	if err != nil {
		return nil, err
	}
	var p identity.AuthenticationProfile
	in.apply(&p, allowed, blocked, reauth, idle, maxSession)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		p, err = store.CreateAuthenticationProfile(ctx, tx, inst, p, s.cfg.Now())
		if err != nil {
			return err
		}
		c.ev.Resource = s.authProfileARN(inst, p.ID)
		c.ev.Details = map[string]string{"allowed_ips": strconv.Itoa(len(p.AllowedIPs)), "blocked_ips": strconv.Itoa(len(p.BlockedIPs))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"AuthenticationProfileId": p.ID, "AuthenticationProfileArn": s.authProfileARN(inst, p.ID)}, nil
}

// deleteAuthProfile implements ringfence:DeleteAuthenticationProfile (DELETE
// /authentication-profiles/{InstanceId}/{AuthenticationProfileId}). The default profile
// cannot be deleted (InvalidRequestException), nor a profile users are assigned to
// (ResourceInUseException: assign them elsewhere first).
func (s *Server) deleteAuthProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.authProfileID(c, inst)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		if id == identity.DefaultAuthenticationProfileID(inst) {
			return apierr.InvalidRequest("the default authentication profile cannot be deleted")
		}
		return tx.DeleteAuthenticationProfile(ctx, inst, id)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// listAuthProfileUsers implements ringfence:ListAuthenticationProfileUsers (GET
// /authentication-profiles-users/{InstanceId}/{AuthenticationProfileId}?maxResults=&nextToken=,
// maxResults 1–1000, default 100): the users assigned to the profile, in ID order, as
// {"UserSummaryList": [{Id, Arn, Username}], "NextToken"}. The default profile's list is
// empty: it applies to every user not listed under another profile.
func (s *Server) listAuthProfileUsers(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := s.authProfileID(c, inst)
	limit, after, err := pageParams(c, "authentication-profile-user:", 100, 1000)
	if err != nil {
		return nil, err
	}
	var users []identity.User
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		if _, err := store.GetAuthenticationProfile(ctx, tx, inst, id); err != nil {
			return err
		}
		ids, err := tx.ListAuthenticationProfileUsers(ctx, inst, id, after, limit+1)
		if err != nil {
			return err
		}
		for _, uid := range ids {
			u, err := tx.GetUser(ctx, inst, uid)
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(users) > limit {
		users = users[:limit]
		out["NextToken"] = encodeToken("authentication-profile-user:", users[limit-1].ID)
	}
	items := []map[string]any{}
	for _, u := range users {
		items = append(items, map[string]any{"Id": u.ID, "Arn": s.userARN(inst, u.ID), "Username": u.Username})
	}
	out["UserSummaryList"] = items
	return out, nil
}

// describeUserAuthProfile implements ringfence:DescribeUserAuthenticationProfile (GET
// /users/{InstanceId}/{UserId}/authentication-profile): the profile that applies to the user,
// as {"AuthenticationProfileId", "AuthenticationProfileArn", "IsDefault"}.
func (s *Server) describeUserAuthProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	uid := s.userID(c, inst)
	var p identity.AuthenticationProfile
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, inst, uid); err != nil {
			return err
		}
		p, err = store.UserAuthenticationProfile(ctx, tx, inst, uid)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"AuthenticationProfileId": p.ID, "AuthenticationProfileArn": s.authProfileARN(inst, p.ID), "IsDefault": p.Default}, nil
}

// updateUserAuthProfile implements ringfence:UpdateUserAuthenticationProfile (POST
// /users/{InstanceId}/{UserId}/authentication-profile, body {"AuthenticationProfileId": ID or
// ARN}): the user is under that profile from its next request on (running sessions included
// for the network rules; new timeouts from its next sign-in). The default profile's ID
// returns the user to the default. Unknown user or profile: ResourceNotFoundException.
func (s *Server) updateUserAuthProfile(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	uid := s.userID(c, inst)
	var in struct {
		AuthenticationProfileId *string `json:"AuthenticationProfileId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.AuthenticationProfileId == nil || *in.AuthenticationProfileId == "" {
		return nil, apierr.InvalidParameter("AuthenticationProfileId is required")
	}
	pid := s.childID(inst, "authentication-profile", *in.AuthenticationProfileId)
	if pid == "" {
		return nil, apierr.NotFound("authentication profile", truncate(*in.AuthenticationProfileId, 100))
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		assign := pid
		if pid == identity.DefaultAuthenticationProfileID(inst) {
			assign = ""
		}
		if err := tx.SetUserAuthenticationProfile(ctx, inst, uid, assign); err != nil {
			return err
		}
		c.ev.Details = map[string]string{"authentication_profile": pid}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
