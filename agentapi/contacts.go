package agentapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// CustomerEndpointPermission is the permission that shows an agent the customer endpoint
// (phone number, address) of a contact it handles. The catalogue has no permission named for
// exactly this; "CustomerProfiles.View" is the agent-application permission to see who the
// customer is (Connect: "view customer profiles in the agent application") and is classed
// sensitive, so a profile that grants it also gets MFA and the short idle timeout.
// "ContactSearch.View" was not chosen: it also opens search over every contact of the
// instance, far more than an agent needs for the contact in front of it.
const CustomerEndpointPermission = "CustomerProfiles.View"

// ContactOut is a contact as its agent sees it (GET /agent/v1/contacts/{ContactId}). It
// never holds $.StoredCustomerInput, $.External or the flow session; an attribute the
// instance marks sensitive only for an agent allowed identity.ActionViewSensitiveAttributes
// (Ringfence.DecryptedFields.View); card numbers stored as BIN and last four only for an
// agent allowed identity.ActionViewCardBINLast4 (UnredactedData.View), "[CARD]" otherwise;
// CustomerEndpoint only with CustomerEndpointPermission.
type ContactOut struct {
	ContactId         string
	InitialContactId  string `json:",omitempty"`
	PreviousContactId string `json:",omitempty"`
	RelatedContactId  string `json:",omitempty"`
	// Channel is VOICE, CHAT or TASK; InitiationMethod Connect's ContactInitiationMethod.
	Channel          contact.Channel
	InitiationMethod contact.InitiationMethod
	// State is QUEUED, OFFERED, CONNECTED or AFTER_CONTACT_WORK (contact.State).
	State contact.State
	// Name, Description and References are a task's.
	Name        string                       `json:",omitempty"`
	Description string                       `json:",omitempty"`
	References  map[string]contact.Reference `json:",omitempty"`
	// QueueId and QueueName are the standard queue the contact came through; absent for a
	// transfer to the agent's own queue.
	QueueId   string `json:",omitempty"`
	QueueName string `json:",omitempty"`
	// Timestamps are RFC 3339 UTC with milliseconds; absent until they happen.
	InitiationTimestamp            string `json:",omitempty"`
	EnqueueTimestamp               string `json:",omitempty"`
	ConnectedToAgentTimestamp      string `json:",omitempty"`
	AfterContactWorkStartTimestamp string `json:",omitempty"`
	DisconnectTimestamp            string `json:",omitempty"`
	DisconnectReason               string `json:",omitempty"`
	// AfterContactWorkUntil is when the agent's after-contact work on the contact ends on its
	// own.
	AfterContactWorkUntil string `json:",omitempty"`
	// OfferId is the agent's pending or accepted offer of the contact.
	OfferId string `json:",omitempty"`
	// Attributes are the user-defined contact attributes, minus the sensitive ones unless the
	// agent may see them.
	Attributes       map[string]string
	CustomerEndpoint *contact.Endpoint `json:",omitempty"`
	SystemEndpoint   *contact.Endpoint `json:",omitempty"`
}

// hold is what the router says the agent has of a contact.
type hold struct {
	offerID  string
	acwUntil time.Time
	inRouter bool
	state    routing.ContactState
}

// holdOf looks contactID up among the agent's offered, connected and after-contact work
// contacts in the router.
func (s *Server) holdOf(ctx context.Context, instanceID, agentID, contactID string) (hold, error) {
	view, err := s.mgr.Agent(ctx, instanceID, agentID)
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return hold{}, nil
	}
	if err != nil {
		return hold{}, err
	}
	for _, h := range view.Contacts {
		if h.ContactID == contactID {
			return hold{offerID: h.OfferID, inRouter: true, state: h.State}, nil
		}
	}
	for _, a := range view.AfterContactWork {
		if a.ContactID == contactID {
			return hold{acwUntil: a.Until, inRouter: true}, nil
		}
	}
	return hold{}, nil
}

// reachable reports whether agent uid may read contact ct: ct is active and the router has
// offered it to the agent, connected it or keeps the agent's after-contact work on it (h), or
// ct is stored as connected to or in after-contact work with the agent.
func reachable(ct contact.Contact, uid string, h hold) bool {
	mine := ct.Agent.AgentID == uid && (ct.State == contact.StateConnected || ct.State == contact.StateAfterContactWork)
	return ct.State.Active() && (h.inRouter || mine)
}

// describeContact implements GET /agent/v1/contacts/{ContactId}: only a contact the router
// has offered to the agent or connected to it, or one stored as connected to or in
// after-contact work with the agent. Anything else is ResourceNotFoundException.
func (s *Server) describeContact(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	id := c.r.PathValue("ContactId")
	if err := checkID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = id
	h, err := s.holdOf(c.ctx, inst, uid, id)
	if err != nil {
		return nil, err
	}
	var (
		ct        contact.Contact
		dp        instance.DataProtection
		queueName string
	)
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		ct, err = tx.GetContact(ctx, inst, id)
		if err != nil {
			return err
		}
		if dp, err = tx.GetDataProtection(ctx, inst); err != nil {
			return err
		}
		if !reachable(ct, uid, h) {
			return apierr.NotFound("contact", id)
		}
		if q := ct.Queue.QueueID; q != "" && !ct.Queue.IsAgentQueue() {
			qr, err := tx.GetQueue(ctx, inst, q)
			if err == nil {
				queueName = qr.Name
			} else if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.cfg.SensitiveAttributes != nil {
		dp.SensitiveAttributes = append(dp.SensitiveAttributes, s.cfg.SensitiveAttributes(inst)...)
	}
	ct = s.protect.For(dp).View(ct, contact.Viewer{
		SensitiveAttributes: c.allowed(identity.ActionViewSensitiveAttributes),
		CardBINLast4:        c.allowed(identity.ActionViewCardBINLast4),
	})
	out := ContactOut{ContactId: ct.ID, InitialContactId: ct.InitialContactID, PreviousContactId: ct.PreviousContactID, RelatedContactId: ct.RelatedContactID,
		Channel: ct.Channel, InitiationMethod: ct.InitiationMethod, State: ct.State, Name: ct.Name, Description: ct.Description, References: ct.References,
		QueueName: queueName, InitiationTimestamp: timestamp(ct.InitiationTimestamp), EnqueueTimestamp: timestamp(ct.Queue.EnqueueTimestamp),
		ConnectedToAgentTimestamp: timestamp(ct.Agent.ConnectedToAgentTimestamp), AfterContactWorkStartTimestamp: timestamp(ct.Agent.AfterContactWorkStartTimestamp),
		DisconnectTimestamp: timestamp(ct.DisconnectTimestamp), DisconnectReason: ct.DisconnectReason,
		AfterContactWorkUntil: timestamp(h.acwUntil), OfferId: h.offerID, Attributes: ct.Attributes, SystemEndpoint: ct.SystemEndpoint}
	if q := ct.Queue.QueueID; !ct.Queue.IsAgentQueue() {
		out.QueueId = q
	}
	if ct.CustomerEndpoint != nil && c.may(CustomerEndpointPermission) {
		ep := *ct.CustomerEndpoint
		out.CustomerEndpoint = &ep
	}
	return out, nil
}

// endContact implements POST /agent/v1/contacts/{ContactId}/end: the agent disconnects a
// contact connected to it, which goes to after-contact work. ResourceNotFoundException for
// any contact not connected to the agent.
func (s *Server) endContact(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	id := c.r.PathValue("ContactId")
	if err := checkID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = id
	if err := c.runtime(func(ev *audit.Event) error { return s.mgr.EndByAgent(c.ctx, ev, inst, uid, id) }); err != nil {
		return nil, err
	}
	out := struct {
		ContactId             string
		State                 contact.State
		AfterContactWorkUntil string `json:",omitempty"`
	}{ContactId: id, State: contact.StateAfterContactWork}
	if h, err := s.holdOf(c.ctx, inst, uid, id); err == nil {
		out.AfterContactWorkUntil = timestamp(h.acwUntil)
	}
	return out, nil
}

// completeACW implements POST /agent/v1/contacts/{ContactId}/acw/complete: the contact ends,
// its contact record is written and the agent is routable again in its chosen status.
func (s *Server) completeACW(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	id := c.r.PathValue("ContactId")
	if err := checkID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = id
	if err := c.runtime(func(ev *audit.Event) error { return s.mgr.CompleteAfterContactWork(c.ctx, ev, inst, uid, id) }); err != nil {
		return nil, err
	}
	return struct {
		ContactId string
		State     contact.State
	}{id, contact.StateEnded}, nil
}

// transferContact implements POST /agent/v1/contacts/{ContactId}/transfer with exactly one
// of {"QueueId"} or {"QuickConnectId"}: a contact connected to the agent moves to the queue at
// once, or where the quick connect sends it: a QUEUE quick connect to its queue, a USER quick
// connect to that agent's queue, a FLOW quick connect into its flow; a quick connect with a
// flow runs it first with the destination as the working queue (Connect's queue and agent
// transfer flows). The contact waits there afresh; the agent goes to after-contact work. A
// PHONE_NUMBER quick connect is InvalidRequestException for a chat or a task (only a call
// can go to a phone number) and NotImplementedException for a call.
func (s *Server) transferContact(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	id := c.r.PathValue("ContactId")
	if err := checkID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = id
	var in struct {
		QueueId        string `json:"QueueId"`
		QuickConnectId string `json:"QuickConnectId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if (in.QueueId == "") == (in.QuickConnectId == "") {
		return nil, apierr.InvalidParameter("give exactly one of QueueId and QuickConnectId")
	}
	c.ev.Details = map[string]string{}
	var qc *routing.QuickConnectRecord
	if in.QuickConnectId != "" {
		if err := checkID("QuickConnectId", in.QuickConnectId); err != nil {
			return nil, err
		}
		c.ev.Details["quick_connect_id"] = in.QuickConnectId
		err := s.st.View(c.ctx, nil, func(ctx context.Context, tx store.Tx) error {
			rec, err := tx.GetQuickConnect(ctx, inst, in.QuickConnectId)
			qc = &rec
			return err
		})
		if err != nil {
			return nil, err
		}
	} else if err := checkID("QueueId", in.QueueId); err != nil {
		return nil, err
	}
	h, err := s.holdOf(c.ctx, inst, uid, id)
	if err != nil {
		return nil, err
	}
	if !h.inRouter || h.state != routing.ContactConnected {
		return nil, apierr.NotFound("connected contact", id)
	}
	target := lifecycle.Target{QueueID: in.QueueId}
	if qc != nil {
		ct, err := s.storedContact(c.ctx, inst, id)
		if err != nil {
			return nil, err
		}
		if target.QueueID, target.AgentID, target.FlowID, err = qc.Destination(routing.Channel(ct.Channel)); err != nil {
			return nil, err
		}
	}
	for k, v := range map[string]string{"queue_id": target.QueueID, "agent_id": target.AgentID, "flow_id": target.FlowID} {
		if v != "" {
			c.ev.Details[k] = v
		}
	}
	if err := c.runtime(func(ev *audit.Event) error { return s.mgr.Transfer(c.ctx, ev, inst, id, target) }); err != nil {
		return nil, err
	}
	return TransferOut{ContactId: id, QueueId: target.QueueID, AgentId: target.AgentID, ContactFlowId: target.FlowID}, nil
}

// TransferOut is the answer of POST /agent/v1/contacts/{ContactId}/transfer: where the contact
// went (QueueId, or AgentId for an agent's queue) and the flow it runs first, if any.
type TransferOut struct {
	ContactId     string
	QueueId       string `json:",omitempty"`
	AgentId       string `json:",omitempty"`
	ContactFlowId string `json:",omitempty"`
}

// storedContact reads a contact.
func (s *Server) storedContact(ctx context.Context, instanceID, contactID string) (contact.Contact, error) {
	var ct contact.Contact
	err := s.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		ct, err = tx.GetContact(ctx, instanceID, contactID)
		return err
	})
	return ct, err
}

// HistoryItem is one contact of the agent's history: no attributes, no endpoints. State,
// QueueId and the disconnect members describe the contact as it is now.
type HistoryItem struct {
	ContactId        string
	Channel          contact.Channel
	InitiationMethod contact.InitiationMethod
	State            contact.State
	Name             string `json:",omitempty"`
	QueueId          string `json:",omitempty"`
	// InitiationTimestamp is when the contact began; ConnectedToAgentTimestamp when this agent
	// was first connected to it.
	InitiationTimestamp       string
	ConnectedToAgentTimestamp string `json:",omitempty"`
	DisconnectTimestamp       string `json:",omitempty"`
	DisconnectReason          string `json:",omitempty"`
	// TransferredAway is true when the contact no longer has this agent: it was transferred
	// to a queue or another agent (or through a flow) after this agent handled it.
	TransferredAway bool `json:",omitempty"`
}

// Page sizes of GET /agent/v1/history.
const (
	defaultHistoryResults = 20
	maxHistoryResults     = 100
)

// historyCursor is the decoded NextToken: the initiation time (Unix ms) and ID of the last
// contact of the previous page.
type historyCursor struct {
	T  int64  `json:"t"`
	ID string `json:"id"`
}

// listHistory implements GET /agent/v1/history?MaxResults=&NextToken=: the contacts the
// agent was connected to, newest first (by initiation time, then ID), those it transferred
// away included (contact.Store.ListHandledContacts: the contact itself names only its current
// agent). A full page carries a NextToken, so the last page may be empty.
func (s *Server) listHistory(c *call) (any, error) {
	inst, uid := c.caller.InstanceID, c.caller.UserID
	q := c.r.URL.Query()
	limit := defaultHistoryResults
	if v := q.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistoryResults {
			return nil, apierr.InvalidParameter("MaxResults must be 1-100")
		}
		limit = n
	}
	var (
		afterTime time.Time
		afterID   string
	)
	if tok := q.Get("NextToken"); tok != "" {
		var cur historyCursor
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(tok) > 512 || json.Unmarshal(b, &cur) != nil || cur.ID == "" {
			return nil, apierr.InvalidParameter("NextToken is not valid")
		}
		afterTime, afterID = time.UnixMilli(cur.T).UTC(), cur.ID
	}
	var (
		hs []contact.HandledContact
		dp instance.DataProtection
	)
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if hs, err = tx.ListHandledContacts(ctx, inst, uid, afterTime, afterID, limit); err != nil {
			return err
		}
		dp, err = tx.GetDataProtection(ctx, inst)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Names of tasks are shown as the agent may see them (card numbers masked whole
	// without UnredactedData.View).
	p, v := s.protect.For(dp), contact.Viewer{CardBINLast4: c.allowed(identity.ActionViewCardBINLast4)}
	out := struct {
		Contacts  []HistoryItem
		NextToken string `json:",omitempty"`
	}{Contacts: []HistoryItem{}}
	if len(hs) == limit {
		last := hs[len(hs)-1].Contact
		b, _ := json.Marshal(historyCursor{T: last.InitiationTimestamp.UnixMilli(), ID: last.ID})
		out.NextToken = base64.RawURLEncoding.EncodeToString(b)
	}
	for _, h := range hs {
		ct := p.View(h.Contact, v)
		connected := h.ConnectedToAgent
		if connected.IsZero() && ct.Agent.AgentID == uid {
			connected = ct.Agent.ConnectedToAgentTimestamp
		}
		it := HistoryItem{ContactId: ct.ID, Channel: ct.Channel, InitiationMethod: ct.InitiationMethod, State: ct.State, Name: ct.Name,
			InitiationTimestamp: timestamp(ct.InitiationTimestamp), ConnectedToAgentTimestamp: timestamp(connected),
			DisconnectTimestamp: timestamp(ct.DisconnectTimestamp), DisconnectReason: ct.DisconnectReason, TransferredAway: ct.Agent.AgentID != uid}
		if !ct.Queue.IsAgentQueue() {
			it.QueueId = ct.Queue.QueueID
		}
		out.Contacts = append(out.Contacts, it)
	}
	return out, nil
}
