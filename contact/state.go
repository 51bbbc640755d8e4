package contact

import "github.com/ringfence/ringfence/apierr"

// State is where a contact is in its life (DESIGN.md "Core concepts"):
//
//	SCHEDULED ─┐
//	INITIATED ─┴→ IN_FLOW → QUEUED ⇄ OFFERED → CONNECTED → AFTER_CONTACT_WORK → ENDED
//
// Any state may go to ENDED (the customer leaves, StopContact, the flow disconnects); a
// CONNECTED contact goes back to QUEUED on a transfer to a queue and to IN_FLOW on a transfer
// to a flow; AFTER_CONTACT_WORK is the time after the customer left while the agent wraps up.
type State string

// States.
const (
	StateInitiated        State = "INITIATED"
	StateScheduled        State = "SCHEDULED"
	StateInFlow           State = "IN_FLOW"
	StateQueued           State = "QUEUED"
	StateOffered          State = "OFFERED"
	StateConnected        State = "CONNECTED"
	StateAfterContactWork State = "AFTER_CONTACT_WORK"
	StateEnded            State = "ENDED"
)

// transitions is the state table: every allowed (from, to) pair. Nothing else is allowed.
var transitions = map[State][]State{
	StateInitiated:        {StateInFlow, StateScheduled, StateQueued, StateEnded},
	StateScheduled:        {StateInFlow, StateEnded},
	StateInFlow:           {StateInFlow, StateQueued, StateEnded},
	StateQueued:           {StateOffered, StateInFlow, StateQueued, StateEnded},
	StateOffered:          {StateConnected, StateQueued, StateEnded},
	StateConnected:        {StateAfterContactWork, StateQueued, StateInFlow, StateEnded},
	StateAfterContactWork: {StateEnded},
	StateEnded:            {},
}

// States returns every state in lifecycle order.
func States() []State {
	return []State{StateInitiated, StateScheduled, StateInFlow, StateQueued, StateOffered, StateConnected, StateAfterContactWork, StateEnded}
}

// CanMove reports whether the state table allows from → to.
func CanMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Active reports whether a contact in state s is still live (not ENDED).
func (s State) Active() bool { return s != StateEnded && s != "" }

// Move changes c's state to to, or returns an InvalidRequestException naming both states
// when the table does not allow it. It does not touch timestamps; the caller sets those that
// the transition implies.
func (c *Contact) Move(to State) error {
	if !CanMove(c.State, to) {
		return apierr.New(apierr.CodeInvalidRequest, "contact %s cannot move from %s to %s", c.ID, c.State, to)
	}
	c.State = to
	return nil
}

// MustState returns an error unless c is in one of the states.
func (c *Contact) MustState(states ...State) error {
	for _, s := range states {
		if c.State == s {
			return nil
		}
	}
	return apierr.New(apierr.CodeInvalidRequest, "contact %s is %s", c.ID, c.State)
}
