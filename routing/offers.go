package routing

import (
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// OfferState is what became of an offer (the offer state table in README.md).
type OfferState string

// The offer states.
const (
	// OfferPending: the offer waits for Accept or Reject until its ExpiresAt.
	OfferPending OfferState = "PENDING"
	// OfferAccepted: the agent accepted and the contact is still connected to them.
	OfferAccepted OfferState = "ACCEPTED"
	// OfferExpired: nobody answered before ExpiresAt; the contact waited again.
	OfferExpired OfferState = "EXPIRED"
	// OfferRejected: the agent rejected it; the contact waited again.
	OfferRejected OfferState = "REJECTED"
	// OfferWithdrawn: the router took it back (the contact ended or moved, the agent went
	// offline).
	OfferWithdrawn OfferState = "WITHDRAWN"
)

// OfferInfo is an offer and what became of it, as LookupOffer reports it.
type OfferInfo struct {
	Offer
	State OfferState
	// At is when the offer lapsed (EXPIRED, REJECTED, WITHDRAWN); zero otherwise.
	At time.Time
	// Reason is the withdrawal's reason ("contact-ended", "transfer", "agent-offline", ...).
	Reason string
}

// lapsedLimit is how many lapsed offers a router remembers, so that a late Accept is told
// what became of its offer. Offers live 20 s by default; 4,096 covers minutes of traffic on a
// busy instance and costs well under a megabyte.
const lapsedLimit = 4096

// lapsedOffers remembers the most recent lapsed offers in a ring.
type lapsedOffers struct {
	byID map[string]OfferInfo
	ring []string
	next int
}

func (l *lapsedOffers) add(o OfferInfo) {
	if l.byID == nil {
		l.byID = map[string]OfferInfo{}
		l.ring = make([]string, 0, 64)
	}
	if len(l.ring) < lapsedLimit {
		l.ring = append(l.ring, o.ID)
	} else {
		delete(l.byID, l.ring[l.next])
		l.ring[l.next] = o.ID
		l.next = (l.next + 1) % lapsedLimit
	}
	l.byID[o.ID] = o
}

func lapsedState(typ EventType) OfferState {
	switch typ {
	case EventOfferExpired:
		return OfferExpired
	case EventOfferRejected:
		return OfferRejected
	}
	return OfferWithdrawn
}

// LookupOffer returns an offer in any state: pending, accepted (while its contact is
// connected), or lapsed (expired, rejected or withdrawn, among the last 4,096 that lapsed).
// Offers made before a Restore are not known. Errors: ResourceNotFoundException.
func (r *Router) LookupOffer(offerID string) (OfferInfo, error) {
	if o := r.offers[offerID]; o != nil {
		return OfferInfo{Offer: o.Offer, State: OfferPending}, nil
	}
	if c := r.accepted[offerID]; c != nil {
		o := Offer{ID: offerID, ContactID: c.id, QueueID: c.queue, Channel: c.ch}
		if c.agent != nil {
			o.AgentID = c.agent.id
		}
		return OfferInfo{Offer: o, State: OfferAccepted}, nil
	}
	if info, ok := r.lapsed.byID[offerID]; ok {
		return info, nil
	}
	return OfferInfo{}, fmt.Errorf("look up offer: %w", apierr.NotFound("offer", offerID))
}

// LapsedError is the error for answering an offer that lapsed: ResourceNotFoundException
// whose message says when and how (expired, rejected, withdrawn), so that a desktop can tell
// the agent why.
func LapsedError(info OfferInfo) error {
	var how string
	switch info.State {
	case OfferExpired:
		how = "expired at " + info.At.UTC().Format(time.RFC3339) + "; the contact went back to its queue"
	case OfferRejected:
		how = "was rejected at " + info.At.UTC().Format(time.RFC3339)
	default:
		how = "was withdrawn at " + info.At.UTC().Format(time.RFC3339)
		if info.Reason != "" {
			how += " (" + info.Reason + ")"
		}
	}
	return apierr.New(apierr.CodeResourceNotFound, "offer %s %s", info.ID, how)
}
