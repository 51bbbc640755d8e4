package agentapi

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// AgentStatusOut is an agent status as the desktop lists it.
type AgentStatusOut struct {
	AgentStatusId string
	Name          string
	// Type is ROUTABLE, CUSTOM or OFFLINE.
	Type routing.StatusType
	// DisplayOrder is the position in the status list, 1–50; 0 when unset.
	DisplayOrder int `json:",omitempty"`
}

// CurrentStatus is the status the agent chose last (stored, as PutUserStatus stores it).
type CurrentStatus struct {
	AgentStatusId string
	Name          string
	Type          routing.StatusType
	// Since is when the agent chose it (RFC 3339 UTC, milliseconds).
	Since string
}

// RoutingState is the router's view of the agent.
type RoutingState struct {
	// Activity is AVAILABLE, INCOMING, ON_CONTACT, AFTER_CONTACT_WORK, MISSED, CUSTOM or
	// OFFLINE (routing.Activity).
	Activity routing.Activity
	// StatusName and StatusType are the status the router applies.
	StatusName string
	StatusType routing.StatusType
	// Missed is set after a rejected or expired offer until the agent sets a status.
	Missed bool
	// AvailableSince is when the agent last became routable (RFC 3339).
	AvailableSince string `json:",omitempty"`
}

// HeldContact is a contact offered to or connected to the agent.
type HeldContact struct {
	ContactId string
	Channel   routing.Channel
	// State is OFFERED or CONNECTED.
	State   routing.ContactState
	OfferId string `json:",omitempty"`
}

// PendingOffer is an offer waiting for the agent's answer.
type PendingOffer struct {
	OfferId   string
	ContactId string
	Channel   routing.Channel
	QueueId   string `json:",omitempty"`
	// ExpiresAt is when the offer lapses (RFC 3339); absent when this node did not see the
	// offer being made (it was made before the node started).
	ExpiresAt string `json:",omitempty"`
}

// AfterContactWorkOut is one after-contact work period of the agent.
type AfterContactWorkOut struct {
	ContactId string
	Channel   routing.Channel
	// Until is when it ends on its own (RFC 3339); RemainingSeconds the whole seconds left
	// at ServerTime, rounded up.
	Until            string
	RemainingSeconds int64
}

// Me is the answer of GET /agent/v1/me.
type Me struct {
	UserId           string
	Username         string
	RoutingProfileId string
	// Status is null when the agent never chose one.
	Status *CurrentStatus
	// Routing is null while the router does not know the agent (no status set since the
	// router started).
	Routing          *RoutingState
	Contacts         []HeldContact
	Offers           []PendingOffer
	AfterContactWork []AfterContactWorkOut
	// ServerTime is the server's clock (RFC 3339), for offer and after-contact countdowns.
	ServerTime string
}

// describeAgent implements GET /agent/v1/me.
func (s *Server) describeAgent(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	c.ev.Resource = uid
	var (
		u   identity.User
		cur *CurrentStatus
	)
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, inst, uid); err != nil {
			return err
		}
		us, err := tx.GetUserStatus(ctx, inst, uid)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		rec, err := tx.GetAgentStatus(ctx, inst, us.AgentStatusID)
		if err != nil {
			return err
		}
		cur = &CurrentStatus{AgentStatusId: rec.ID, Name: rec.Name, Type: rec.Type, Since: timestamp(us.Since)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock()
	out := Me{UserId: u.ID, Username: u.Username, RoutingProfileId: u.RoutingProfileID, Status: cur,
		Contacts: []HeldContact{}, Offers: []PendingOffer{}, AfterContactWork: []AfterContactWorkOut{}, ServerTime: timestamp(now)}
	view, err := s.mgr.Agent(c.ctx, inst, uid)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agent view: %w", err)
	}
	out.Routing = &RoutingState{Activity: view.Activity, StatusName: view.Status.Name, StatusType: view.Status.Type, Missed: view.Missed,
		AvailableSince: timestamp(view.AvailableSince)}
	for _, h := range view.Contacts {
		out.Contacts = append(out.Contacts, HeldContact{ContactId: h.ContactID, Channel: h.Channel, State: h.State, OfferId: h.OfferID})
		if h.State == routing.ContactOffered {
			po := PendingOffer{OfferId: h.OfferID, ContactId: h.ContactID, Channel: h.Channel}
			if o, ok := s.hub.offer(inst, h.OfferID); ok {
				po.QueueId, po.ExpiresAt = o.QueueID, timestamp(o.ExpiresAt)
			}
			out.Offers = append(out.Offers, po)
		}
	}
	for _, a := range view.AfterContactWork {
		left := a.Until.Sub(now)
		secs := int64(math.Ceil(left.Seconds()))
		if secs < 0 {
			secs = 0
		}
		out.AfterContactWork = append(out.AfterContactWork, AfterContactWorkOut{ContactId: a.ContactID, Channel: a.Channel, Until: timestamp(a.Until), RemainingSeconds: secs})
	}
	return out, nil
}

// maxStatuses is how many agent statuses GET /agent/v1/statuses returns at most; Connect
// allows 50 per instance.
const maxStatuses = 500

// listStatuses implements GET /agent/v1/statuses: the instance's ENABLED statuses, in display
// order (statuses without one last, by name).
func (s *Server) listStatuses(c *call) (any, error) {
	inst := c.caller.InstanceID
	var recs []routing.AgentStatusRecord
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		after := ""
		for len(recs) < maxStatuses {
			page, err := tx.ListAgentStatuses(ctx, inst, nil, after, 100)
			if err != nil {
				return err
			}
			recs = append(recs, page...)
			if len(page) < 100 {
				return nil
			}
			after = page[len(page)-1].ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []AgentStatusOut{}
	for _, r := range recs {
		if r.State == routing.AgentStatusEnabled {
			out = append(out, AgentStatusOut{AgentStatusId: r.ID, Name: r.Name, Type: r.Type, DisplayOrder: r.DisplayOrder})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].DisplayOrder, out[j].DisplayOrder
		if (a == 0) != (b == 0) {
			return b == 0
		}
		if a != b {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
	return struct{ AgentStatuses []AgentStatusOut }{out}, nil
}

// putStatus implements PUT /agent/v1/status {"AgentStatusId"}: it stores the agent's status
// (as PutUserStatus does; the status must be ENABLED) with the call's audit event, then the
// router applies it with the user's routing profile (lifecycle.Manager.SetAgentStatus). When
// the router refuses (the routing profile is unknown to it), the stored status stays, a
// system audit event ("routing.ApplyAgentStatus", failure) records the refusal and the error
// is returned.
func (s *Server) putStatus(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	c.ev.Resource = uid
	var in struct {
		AgentStatusId string `json:"AgentStatusId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := checkID("AgentStatusId", in.AgentStatusId); err != nil {
		return nil, err
	}
	var rec routing.AgentStatusRecord
	c.ev.Details = map[string]string{"agent_status_id": in.AgentStatusId}
	since := s.cfg.Clock().UTC().Truncate(time.Millisecond)
	var view routing.AgentView
	err := c.runtime(func(ev *audit.Event) error {
		var err error
		view, err = s.mgr.SetAgentStatus(c.ctx, ev, inst, uid, func(ctx context.Context, tx store.Tx) (string, routing.AgentStatus, error) {
			u, err := tx.GetUser(ctx, inst, uid)
			if err != nil {
				return "", routing.AgentStatus{}, err
			}
			if u.RoutingProfileID == "" {
				return "", routing.AgentStatus{}, apierr.InvalidRequest("the user has no routing profile")
			}
			if rec, err = tx.GetAgentStatus(ctx, inst, in.AgentStatusId); err != nil {
				return "", routing.AgentStatus{}, err
			}
			if rec.State != routing.AgentStatusEnabled {
				return "", routing.AgentStatus{}, apierr.InvalidRequest(fmt.Sprintf("agent status %q is disabled", rec.Name))
			}
			return u.RoutingProfileID, rec.AgentStatus, tx.SetUserStatus(ctx, routing.UserStatus{InstanceID: inst, UserID: uid, AgentStatusID: rec.ID, Since: since})
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Status  CurrentStatus
		Routing RoutingState
	}{
		Status: CurrentStatus{AgentStatusId: rec.ID, Name: rec.Name, Type: rec.Type, Since: timestamp(since)},
		Routing: RoutingState{Activity: view.Activity, StatusName: view.Status.Name, StatusType: view.Status.Type, Missed: view.Missed,
			AvailableSince: timestamp(view.AvailableSince)},
	}, nil
}
