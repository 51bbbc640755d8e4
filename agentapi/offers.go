package agentapi

import (
	"context"
	"strings"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// ParticipantOut is the chat participant an agent gets on accepting a CHAT contact. The
// token is shown once: it is the X-Amz-Bearer of the participant API's
// CreateParticipantConnection.
type ParticipantOut struct {
	ParticipantId    string
	ParticipantToken string
	// Expiry is when the token stops working (RFC 3339).
	Expiry string
}

// AcceptOut is the answer of POST /agent/v1/offers/{OfferId}/accept.
type AcceptOut struct {
	OfferId   string
	ContactId string
	Channel   routing.Channel
	// AlreadyAccepted is true when the offer had been accepted before (accept is
	// idempotent); such a repetition adds no chat participant and returns none.
	AlreadyAccepted bool
	// Participant is set on the accept that connected a CHAT contact, when the node has a
	// chat channel.
	Participant *ParticipantOut `json:",omitempty"`
}

// acceptOffer implements POST /agent/v1/offers/{OfferId}/accept. The acceptance is stored
// with the call's audit event before the router applies it. Accepting an offer already
// accepted (its contact still connected to the agent) succeeds again with AlreadyAccepted
// (the lifecycle answers it; nothing changes). An offer that expired, was rejected or
// withdrawn is ResourceNotFoundException saying which and when. On the accept that connects
// a CHAT contact the agent joins the chat as an AGENT participant named after the user
// (first and last name, else the username).
func (s *Server) acceptOffer(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	offerID := c.r.PathValue("OfferId")
	if err := checkID("OfferId", offerID); err != nil {
		return nil, err
	}
	c.ev.Resource = offerID
	// One answer at a time per agent, so that an accept and its repetition cannot both add a
	// chat participant.
	unlock := s.lockAgent(inst, uid)
	defer unlock()
	var acc lifecycle.Accepted
	err := c.runtime(func(ev *audit.Event) error {
		var err error
		acc, err = s.mgr.Accept(c.ctx, ev, inst, uid, offerID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := AcceptOut{OfferId: offerID, ContactId: acc.ContactID, Channel: acc.Channel, AlreadyAccepted: acc.Again}
	if acc.Again || acc.Channel != routing.ChannelChat || s.cfg.Chat == nil {
		return out, nil
	}
	var u identity.User
	err = s.st.View(c.ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, inst, uid)
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Chat.AddAgentParticipant(c.ctx, inst, acc.ContactID, displayName(u))
	if err != nil {
		s.recordParticipant(c, acc.ContactID, "", err)
		return nil, err
	}
	s.recordParticipant(c, acc.ContactID, p.ID, nil)
	out.Participant = &ParticipantOut{ParticipantId: p.ID, ParticipantToken: p.Token.Reveal(), Expiry: timestamp(p.Expiry)}
	return out, nil
}

// recordParticipant audits the chat participant an accept added (or failed to add): the
// acceptance itself was committed with the call's event.
func (s *Server) recordParticipant(c *call, contactID, participantID string, err error) {
	ev := s.event(c.r, "AddAgentParticipant", c.ev.RequestID)
	ev.Actor, ev.InstanceID, ev.Resource = c.ev.Actor, c.caller.InstanceID, contactID
	if participantID != "" {
		ev.Details = map[string]string{"participant_id": participantID}
	}
	ev.Stamp(err)
	if rerr := s.st.Record(c.ctx, ev); rerr != nil {
		s.log.Error("agentapi: audit of a chat participant", "instance_id", c.caller.InstanceID, "contact_id", contactID, "error", rerr.Error())
	}
}

// displayName is the name an agent shows in a chat.
func displayName(u identity.User) string {
	name := strings.TrimSpace(u.IdentityInfo.FirstName + " " + u.IdentityInfo.LastName)
	if name == "" {
		name = u.Username
	}
	return name
}

// rejectOffer implements POST /agent/v1/offers/{OfferId}/reject: the contact goes back to its
// queue and the agent is missed until it sets a status. The rejection is stored with the
// call's audit event before the router applies it.
func (s *Server) rejectOffer(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	offerID := c.r.PathValue("OfferId")
	if err := checkID("OfferId", offerID); err != nil {
		return nil, err
	}
	c.ev.Resource = offerID
	unlock := s.lockAgent(inst, uid)
	defer unlock()
	var contactID string
	err := c.runtime(func(ev *audit.Event) error {
		var err error
		contactID, err = s.mgr.Reject(c.ctx, ev, inst, uid, offerID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{ OfferId, ContactId string }{offerID, contactID}, nil
}
