package agentapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
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

// heldByOffer finds the contact the agent holds under offerID (offered or connected), from
// the router's view. Errors: ResourceNotFoundException for an offer that is not the agent's.
func (s *Server) heldByOffer(ctx context.Context, instanceID, agentID, offerID string) (routing.HeldContact, error) {
	view, err := s.mgr.Agent(ctx, instanceID, agentID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return routing.HeldContact{}, apierr.NotFound("offer", offerID)
	}
	if err != nil {
		return routing.HeldContact{}, fmt.Errorf("agent view: %w", err)
	}
	for _, h := range view.Contacts {
		if h.OfferID == offerID {
			return h, nil
		}
	}
	return routing.HeldContact{}, apierr.NotFound("offer", offerID)
}

// acceptOffer implements POST /agent/v1/offers/{OfferId}/accept. Accepting an offer already
// accepted (its contact still connected to the agent) succeeds again with AlreadyAccepted.
// On the accept that connects a CHAT contact the agent joins the chat as an AGENT
// participant named after the user (first and last name, else the username).
func (s *Server) acceptOffer(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	offerID := c.r.PathValue("OfferId")
	if err := checkID("OfferId", offerID); err != nil {
		return nil, err
	}
	c.ev.Resource = offerID
	unlock := s.lockAgent(inst, uid)
	defer unlock()
	held, err := s.heldByOffer(c.ctx, inst, uid, offerID)
	if err != nil {
		return nil, err
	}
	c.ev.Details = map[string]string{"contact_id": held.ContactID}
	out := AcceptOut{OfferId: offerID, ContactId: held.ContactID, Channel: held.Channel, AlreadyAccepted: held.State == routing.ContactConnected}
	if out.AlreadyAccepted {
		return out, nil
	}
	if err := s.mgr.Accept(c.ctx, inst, uid, offerID); err != nil {
		return nil, err
	}
	if held.Channel != routing.ChannelChat || s.cfg.Chat == nil {
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
	p, err := s.cfg.Chat.AddAgentParticipant(c.ctx, inst, held.ContactID, displayName(u))
	if err != nil {
		c.ev.Details["participant"] = "refused"
		return nil, err
	}
	c.ev.Details["participant_id"] = p.ID
	out.Participant = &ParticipantOut{ParticipantId: p.ID, ParticipantToken: p.Token.Reveal(), Expiry: timestamp(p.Expiry)}
	return out, nil
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
// queue and the agent is missed until it sets a status.
func (s *Server) rejectOffer(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	offerID := c.r.PathValue("OfferId")
	if err := checkID("OfferId", offerID); err != nil {
		return nil, err
	}
	c.ev.Resource = offerID
	unlock := s.lockAgent(inst, uid)
	defer unlock()
	held, err := s.heldByOffer(c.ctx, inst, uid, offerID)
	if err != nil {
		return nil, err
	}
	c.ev.Details = map[string]string{"contact_id": held.ContactID}
	if held.State == routing.ContactConnected {
		return nil, apierr.InvalidRequest("offer already accepted: " + offerID)
	}
	if err := s.mgr.Reject(c.ctx, inst, uid, offerID); err != nil {
		return nil, err
	}
	return struct{ OfferId, ContactId string }{offerID, held.ContactID}, nil
}
