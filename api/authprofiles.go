package api

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// authProfileOperations are the authentication profile operations of the Amazon Connect API
// Reference: DescribeAuthenticationProfile, ListAuthenticationProfiles and
// UpdateAuthenticationProfile. Every instance has one profile, its default, which applies to
// every user of the instance (Connect has no operation to create or delete one).
func authProfileOperations() []operation {
	return []operation{
		{name: "DescribeAuthenticationProfile", pattern: "GET /authentication-profiles/{InstanceId}/{AuthenticationProfileId}", handle: (*Server).describeAuthProfile},
		{name: "ListAuthenticationProfiles", pattern: "GET /authentication-profiles-summary/{InstanceId}", handle: (*Server).listAuthProfiles},
		{name: "UpdateAuthenticationProfile", pattern: "POST /authentication-profiles/{InstanceId}/{AuthenticationProfileId}", handle: (*Server).updateAuthProfile},
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
	if in.SessionInactivityHandlingEnabled != nil && !*in.SessionInactivityHandlingEnabled {
		return nil, apierr.InvalidParameter("SessionInactivityHandlingEnabled cannot be false: Ringfence always signs out inactive sessions")
	}
	if in.Name != nil && (*in.Name == "" || utf8.RuneCountInString(*in.Name) > 128) {
		return nil, apierr.InvalidParameter("Name must be 1 to 128 characters")
	}
	var allowed, blocked []netip.Prefix
	if in.AllowedIps != nil {
		if allowed, err = identity.ParseCIDRs(*in.AllowedIps); err != nil {
			return nil, apierr.InvalidParameter("AllowedIps: " + apierr.As(err).Message)
		}
	}
	if in.BlockedIps != nil {
		if blocked, err = identity.ParseCIDRs(*in.BlockedIps); err != nil {
			return nil, apierr.InvalidParameter("BlockedIps: " + apierr.As(err).Message)
		}
	}
	var reauth, idle, maxSession time.Duration
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
			return nil, err
		}
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
