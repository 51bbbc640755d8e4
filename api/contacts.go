package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// contactOperations are the contact operations of the Connect API (API reference
// 2017-08-08): starting tasks and chats, describing, searching, changing and stopping
// contacts. They need Config.Contacts; StartChatContact also needs Config.Chat.
func contactOperations() []operation {
	return []operation{
		{name: "StartTaskContact", pattern: "PUT /contact/task", handle: (*Server).startTaskContact, bodyInstance: true},
		{name: "StartChatContact", pattern: "PUT /contact/chat", handle: (*Server).startChatContact, bodyInstance: true},
		{name: "StopContact", pattern: "POST /contact/stop", handle: (*Server).stopContact, bodyInstance: true},
		{name: "DescribeContact", pattern: "GET /contacts/{InstanceId}/{ContactId}", handle: (*Server).describeContact},
		{name: "UpdateContact", pattern: "POST /contacts/{InstanceId}/{ContactId}", handle: (*Server).updateContact},
		{name: "GetContactAttributes", pattern: "GET /contact/attributes/{InstanceId}/{InitialContactId}", handle: (*Server).getContactAttributes},
		{name: "UpdateContactAttributes", pattern: "POST /contact/attributes", handle: (*Server).updateContactAttributes, bodyInstance: true},
		{name: "UpdateContactSchedule", pattern: "POST /contact/schedule", handle: (*Server).updateContactSchedule, bodyInstance: true},
		{name: "TransferContact", pattern: "POST /contact/transfer", handle: (*Server).transferContact, bodyInstance: true},
		{name: "SearchContacts", pattern: "POST /search-contacts", handle: (*Server).searchContacts, bodyInstance: true},
		{name: "ListContactReferences", pattern: "GET /contact/references/{InstanceId}/{ContactId}", handle: (*Server).listContactReferences},
	}
}

func (s *Server) contacts() error {
	if s.cfg.Contacts == nil {
		return apierr.New(apierr.CodeServiceUnavailable, "this node runs no contacts")
	}
	return nil
}

// contactID checks a contact ID from a request (Connect: 1–256 characters).
func contactID(field, id string) error {
	if id == "" || len(id) > 256 {
		return apierr.InvalidParameter(field + " must be 1-256 characters")
	}
	return nil
}

// publishedFlowID resolves ContactFlowId (an ID or an ARN of this instance) and checks the
// flow is published in the instance.
func (s *Server) publishedFlowID(ctx context.Context, tx store.Tx, inst, ref string) (string, error) {
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		prefix := instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact-flow/"
		rest, ok := strings.CutPrefix(ref, prefix)
		if !ok {
			return "", apierr.NotFound("contact flow", truncate(ref, 200))
		}
		id = rest
	}
	rec, err := tx.GetFlowRecordState(ctx, inst, flow.KindFlow, id)
	if err != nil {
		return "", err
	}
	if !rec.Published || rec.State != "ACTIVE" {
		return "", apierr.New(apierr.CodeInvalidRequest, "contact flow %s is not published", id)
	}
	return id, nil
}

type referenceJSON struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func toReferences(in map[string]referenceJSON) map[string]contact.Reference {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]contact.Reference, len(in))
	for k, r := range in {
		out[k] = contact.Reference{Type: r.Type, Value: r.Value}
	}
	return out
}

func fromEpoch(v float64) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC().Truncate(time.Millisecond)
}

// startTaskContact implements StartTaskContact (PUT /contact/task): the task is stored and
// durable when the call returns, and its flow runs at once or at ScheduledTime. A ClientToken
// seen in the last 7 days returns that call's contact and starts nothing, whatever the rest
// of the request says (Connect: "If a contact is already started, the contact ID is
// returned").
func (s *Server) startTaskContact(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId        string                   `json:"InstanceId"`
		ContactFlowId     string                   `json:"ContactFlowId"`
		QuickConnectId    string                   `json:"QuickConnectId"`
		TaskTemplateId    string                   `json:"TaskTemplateId"`
		PreviousContactId string                   `json:"PreviousContactId"`
		RelatedContactId  string                   `json:"RelatedContactId"`
		Name              string                   `json:"Name"`
		Description       string                   `json:"Description"`
		References        map[string]referenceJSON `json:"References"`
		Attributes        map[string]string        `json:"Attributes"`
		ScheduledTime     *float64                 `json:"ScheduledTime"`
		ClientToken       string                   `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if len(in.ClientToken) > contact.MaxClientTokenLength {
		return nil, apierr.InvalidParameter(fmt.Sprintf("ClientToken must be at most %d characters", contact.MaxClientTokenLength))
	}
	const op = "StartTaskContact"
	if in.ClientToken != "" {
		unlock := s.clientTokens.lock(inst + "/" + op + "/" + in.ClientToken)
		defer unlock()
		prev, ok, err := s.previousStart(c.ctx, inst, op, in.ClientToken)
		if err != nil {
			return nil, err
		}
		if ok {
			markReplay(c.ev, s.contactARN(inst, prev.ContactID))
			return map[string]string{"ContactId": prev.ContactID}, nil
		}
	}
	if in.TaskTemplateId != "" {
		return nil, apierr.New(apierr.CodeInvalidParameter, "task templates are not supported yet; give ContactFlowId")
	}
	if (in.ContactFlowId == "") == (in.QuickConnectId == "") {
		return nil, apierr.InvalidParameter("exactly one of ContactFlowId and QuickConnectId is required")
	}
	refs := toReferences(in.References)
	if err := contact.ValidateTask(in.Name, in.Description, refs); err != nil {
		return nil, err
	}
	ct := contact.Contact{InstanceID: inst, ID: NewID(), Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI,
		Name: in.Name, Description: in.Description, References: refs, Attributes: in.Attributes,
		PreviousContactID: in.PreviousContactId, RelatedContactID: in.RelatedContactId}
	if in.PreviousContactId != "" {
		ct.InitiationMethod = contact.InitiationTransfer
	}
	if in.ScheduledTime != nil {
		ct.ScheduledTimestamp = fromEpoch(*in.ScheduledTime)
	}
	c.ev.Resource = instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + ct.ID
	var target lifecycle.Target
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		flowRef := in.ContactFlowId
		if in.QuickConnectId != "" {
			qc, err := tx.GetQuickConnect(ctx, inst, in.QuickConnectId)
			if err != nil {
				return err
			}
			// Connect: "Tasks that are created by using QuickConnectId will use the flow that
			// is defined on agent or queue quick connect", which transfers to the quick
			// connect's queue or agent: they are the flow's working queue.
			if target.QueueID, target.AgentID, flowRef, err = qc.Destination(routing.ChannelTask); err != nil {
				return err
			}
			if flowRef == "" {
				return apierr.InvalidParameter("the quick connect names no flow to start the task in")
			}
		}
		id, err := s.publishedFlowID(ctx, tx, inst, flowRef)
		if err != nil {
			return err
		}
		ct.FlowID = id
		if in.PreviousContactId != "" {
			prev, err := tx.GetContact(ctx, inst, in.PreviousContactId)
			if err != nil {
				return err
			}
			ct.InitialContactID = prev.InitialContactID
			if ct.InitialContactID == "" {
				ct.InitialContactID = prev.ID
			}
		}
		if err := s.cfg.Contacts.Prepare(&ct); err != nil {
			return err
		}
		if err := s.cfg.Contacts.CreateFor(ctx, tx, ct, target); err != nil {
			return err
		}
		if in.ClientToken == "" {
			return nil
		}
		return tx.PutClientToken(ctx, contact.ClientToken{InstanceID: inst, Operation: op, Token: in.ClientToken, ContactID: ct.ID,
			CreatedTime: s.cfg.Now().UTC().Truncate(time.Millisecond)}, s.cfg.Now().Add(-contact.ClientTokenTTL))
	})
	if err != nil {
		if prev, ok := s.lostRace(c.ctx, err, inst, op, in.ClientToken); ok {
			return map[string]string{"ContactId": prev.ContactID}, nil
		}
		return nil, err
	}
	s.cfg.Contacts.Started(ct)
	return map[string]string{"ContactId": ct.ID}, nil
}

// startChatContact implements StartChatContact (PUT /contact/chat) through StartChat: the
// contact and its customer participant commit together; the flow runs once the call has
// returned. A ClientToken seen in the last 7 days returns that call's contact.
func (s *Server) startChatContact(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId         string            `json:"InstanceId"`
		ContactFlowId      string            `json:"ContactFlowId"`
		Attributes         map[string]string `json:"Attributes"`
		ParticipantDetails *struct {
			DisplayName string `json:"DisplayName"`
		} `json:"ParticipantDetails"`
		InitialMessage *struct {
			ContentType string `json:"ContentType"`
			Content     string `json:"Content"`
		} `json:"InitialMessage"`
		ChatDurationInMinutes          int      `json:"ChatDurationInMinutes"`
		SupportedMessagingContentTypes []string `json:"SupportedMessagingContentTypes"`
		PersistentChat                 *struct {
			RehydrationType string `json:"RehydrationType"`
			SourceContactId string `json:"SourceContactId"`
		} `json:"PersistentChat"`
		RelatedContactId string `json:"RelatedContactId"`
		ClientToken      string `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.ContactFlowId == "" || in.ParticipantDetails == nil {
		return nil, apierr.InvalidParameter("ContactFlowId and ParticipantDetails are required")
	}
	if in.PersistentChat != nil {
		return nil, apierr.InvalidParameter("persistent chat is not supported yet")
	}
	req := ChatStart{InstanceID: inst, ContactFlowID: in.ContactFlowId, Attributes: in.Attributes,
		DisplayName: in.ParticipantDetails.DisplayName, DurationMinutes: in.ChatDurationInMinutes,
		SupportedContentTypes: in.SupportedMessagingContentTypes, RelatedContactID: in.RelatedContactId, ClientToken: in.ClientToken}
	if m := in.InitialMessage; m != nil {
		req.InitialMessageType, req.InitialMessage = m.ContentType, m.Content
	}
	c.audited = true
	res, err := s.StartChat(c.ctx, c.ev, req)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ContactId": res.ContactID, "ParticipantId": res.ParticipantID, "ParticipantToken": res.ParticipantToken.Reveal()}, nil
}

// stopContact implements StopContact (POST /contact/stop).
func (s *Server) stopContact(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId       string `json:"InstanceId"`
		ContactId        string `json:"ContactId"`
		DisconnectReason *struct {
			Code string `json:"Code"`
		} `json:"DisconnectReason"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := contactID("ContactId", in.ContactId); err != nil {
		return nil, err
	}
	c.ev.Resource = instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + in.ContactId
	c.audited = true
	if err := s.cfg.Contacts.Stop(c.ctx, c.ev, inst, in.ContactId, "API"); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// contactJSON is Connect's Contact data type (DescribeContact). Attributes are not part of
// it (GetContactAttributes returns them), nor is the customer endpoint address of a chat.
func (s *Server) contactJSON(ct contact.Contact) map[string]any {
	arn := instance.ARN(s.cfg.Region, s.cfg.AccountID, ct.InstanceID)
	out := map[string]any{
		"Id": ct.ID, "Arn": arn + "/contact/" + ct.ID, "Channel": string(ct.Channel), "InitiationMethod": string(ct.InitiationMethod),
		"InitiationTimestamp": epochSeconds(ct.InitiationTimestamp), "LastUpdateTimestamp": epochSeconds(ct.LastUpdateTimestamp),
		"InitialContactId": ct.InitialContactID, "PreviousContactId": ct.PreviousContactID, "RelatedContactId": ct.RelatedContactID,
		"Name": ct.Name, "Description": ct.Description, "DisconnectReason": ct.DisconnectReason,
	}
	if out["InitialContactId"] == "" {
		out["InitialContactId"] = ct.ID
	}
	if !ct.DisconnectTimestamp.IsZero() {
		out["DisconnectTimestamp"] = epochSeconds(ct.DisconnectTimestamp)
	}
	if !ct.ScheduledTimestamp.IsZero() {
		out["ScheduledTimestamp"] = epochSeconds(ct.ScheduledTimestamp)
	}
	if !ct.Queue.IsAgentQueue() && ct.Queue.QueueID != "" {
		qi := map[string]any{"Id": ct.Queue.QueueID}
		if !ct.Queue.EnqueueTimestamp.IsZero() {
			qi["EnqueueTimestamp"] = epochSeconds(ct.Queue.EnqueueTimestamp)
		}
		out["QueueInfo"] = qi
		out["QueuePriority"] = ct.Queue.Priority
	}
	if ct.Agent.AgentID != "" {
		ai := map[string]any{"Id": ct.Agent.AgentID}
		if !ct.Agent.ConnectedToAgentTimestamp.IsZero() {
			ai["ConnectedToAgentTimestamp"] = epochSeconds(ct.Agent.ConnectedToAgentTimestamp)
		}
		out["AgentInfo"] = ai
	}
	if len(ct.Tags) > 0 {
		out["Tags"] = ct.Tags
	}
	return withoutEmpty(out, "PreviousContactId", "RelatedContactId", "Name", "Description", "DisconnectReason")
}

// readContact reads a contact as the caller may see it (contact.Protection.View): attributes
// the instance marks sensitive only for callers allowed identity.ActionViewSensitiveAttributes
// (operators and profiles holding Ringfence.DecryptedFields.View), card numbers stored as BIN
// and last four only for callers allowed identity.ActionViewCardBINLast4 (operators and
// profiles holding UnredactedData.View); everyone else gets them left out or masked.
func (s *Server) readContact(c *call, inst, id string) (contact.Contact, error) {
	var (
		ct contact.Contact
		dp instance.DataProtection
	)
	v := contact.Viewer{SensitiveAttributes: c.may(identity.ActionViewSensitiveAttributes, inst), CardBINLast4: c.may(identity.ActionViewCardBINLast4, inst)}
	// The audit event says what the caller was shown beyond the redacted contact.
	var shown []string
	if v.SensitiveAttributes {
		shown = append(shown, "sensitive_attributes")
	}
	if v.CardBINLast4 {
		shown = append(shown, "card_bin_last4")
	}
	if len(shown) > 0 {
		if c.ev.Details == nil {
			c.ev.Details = map[string]string{}
		}
		c.ev.Details["data_shown"] = strings.Join(shown, ",")
	}
	err := c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if ct, err = tx.GetContact(ctx, inst, id); err != nil {
			return err
		}
		dp, err = tx.GetDataProtection(ctx, inst)
		return err
	})
	if err != nil {
		return ct, err
	}
	return s.protect.For(dp).View(ct, v), nil
}

// describeContact implements DescribeContact (GET /contacts/{InstanceId}/{ContactId}).
func (s *Server) describeContact(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("ContactId")
	if err := contactID("ContactId", id); err != nil {
		return nil, err
	}
	ct, err := s.readContact(c, inst, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Contact": s.contactJSON(ct)}, nil
}

// getContactAttributes implements GetContactAttributes: the attributes of the contact
// (Connect keys them by the initial contact; Ringfence accepts any contact of the chain),
// without those the instance marks sensitive unless the caller may see them (readContact).
func (s *Server) getContactAttributes(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("InitialContactId")
	if err := contactID("InitialContactId", id); err != nil {
		return nil, err
	}
	ct, err := s.readContact(c, inst, id)
	if err != nil {
		return nil, err
	}
	attrs := ct.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return map[string]any{"Attributes": attrs}, nil
}

// updateContactAttributes implements UpdateContactAttributes (POST /contact/attributes): an
// empty value removes the attribute.
func (s *Server) updateContactAttributes(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId       string            `json:"InstanceId"`
		InitialContactId string            `json:"InitialContactId"`
		Attributes       map[string]string `json:"Attributes"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := contactID("InitialContactId", in.InitialContactId); err != nil {
		return nil, err
	}
	if in.Attributes == nil {
		return nil, apierr.InvalidParameter("Attributes is required")
	}
	c.ev.Resource = instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + in.InitialContactId
	c.audited = true
	if err := s.cfg.Contacts.UpdateAttributes(c.ctx, c.ev, inst, in.InitialContactId, in.Attributes); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// updateContact implements UpdateContact (POST /contacts/{InstanceId}/{ContactId}): name,
// description and references of a task.
func (s *Server) updateContact(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("ContactId")
	var in struct {
		Name        *string                  `json:"Name"`
		Description *string                  `json:"Description"`
		References  map[string]referenceJSON `json:"References"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	c.audited = true
	_, err = s.cfg.Contacts.Update(c.ctx, c.ev, inst, id, func(ct *contact.Contact) error {
		if !ct.State.Active() {
			return apierr.New(apierr.CodeInvalidRequest, "contact %s has ended", id)
		}
		if in.Name != nil {
			ct.Name = *in.Name
		}
		if in.Description != nil {
			ct.Description = *in.Description
		}
		if in.References != nil {
			if ct.References == nil {
				ct.References = map[string]contact.Reference{}
			}
			for k, r := range toReferences(in.References) {
				ct.References[k] = r
			}
		}
		if ct.Channel == contact.ChannelTask {
			return contact.ValidateTask(ct.Name, ct.Description, ct.References)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// updateContactSchedule implements UpdateContactSchedule (POST /contact/schedule): moves a
// scheduled task that has not started.
func (s *Server) updateContactSchedule(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId    string   `json:"InstanceId"`
		ContactId     string   `json:"ContactId"`
		ScheduledTime *float64 `json:"ScheduledTime"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := contactID("ContactId", in.ContactId); err != nil {
		return nil, err
	}
	if in.ScheduledTime == nil {
		return nil, apierr.InvalidParameter("ScheduledTime is required")
	}
	at := fromEpoch(*in.ScheduledTime)
	now := s.cfg.Now()
	if at.Before(now) || at.After(now.Add(contact.MaxScheduleAhead)) {
		return nil, apierr.InvalidParameter("ScheduledTime must be in the next 6 days")
	}
	c.audited = true
	_, err = s.cfg.Contacts.Update(c.ctx, c.ev, inst, in.ContactId, func(ct *contact.Contact) error {
		if ct.State != contact.StateScheduled {
			return apierr.New(apierr.CodeInvalidRequest, "contact %s is not a scheduled task (it is %s)", in.ContactId, ct.State)
		}
		ct.ScheduledTimestamp = at
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// runtime runs a lifecycle call that commits the call's audit event with its change. When
// the call failed before reaching the store (the event not appended), the event is left for
// wrap to record with the error.
func (c *call) runtime(fn func(ev *audit.Event) error) error {
	err := fn(c.ev)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c.audited = true // the job may still run and append the event
		return err
	}
	c.audited = c.ev.Seq != 0
	return err
}

// idOf reduces ref, an ID or an ARN of the instance's resource under segment ("queue",
// "agent", ...), to the ID; ok is false for an ARN of anything else.
func (s *Server) idOf(instanceID, segment, ref string) (string, bool) {
	if !strings.HasPrefix(ref, "arn:") {
		return ref, ref != ""
	}
	id, ok := strings.CutPrefix(ref, s.resourceARN(instanceID, segment, ""))
	return id, ok && id != ""
}

// transferFlowTypes are the flow types TransferContact runs (Connect API reference,
// TransferContact: "Inbound flow, Transfer to agent flow, and Transfer to queue flow").
var transferFlowTypes = map[string]bool{"CONTACT_FLOW": true, "AGENT_TRANSFER": true, "QUEUE_TRANSFER": true}

// transferContact implements TransferContact (POST /contact/transfer): a TASK contact that is
// queued or connected goes to QueueId or to UserId's agent queue (exactly one) through the
// published flow ContactFlowId, which runs with that destination as its working queue (its
// TransferContactToQueue puts the contact there). An agent the contact leaves goes to
// after-contact work. Connect moves only TASK and EMAIL contacts this way; other channels are
// InvalidRequestException.
func (s *Server) transferContact(c *call) (any, error) {
	if err := s.contacts(); err != nil {
		return nil, err
	}
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId    string `json:"InstanceId"`
		ContactId     string `json:"ContactId"`
		QueueId       string `json:"QueueId"`
		UserId        string `json:"UserId"`
		ContactFlowId string `json:"ContactFlowId"`
		ClientToken   string `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if err := contactID("ContactId", in.ContactId); err != nil {
		return nil, err
	}
	if (in.QueueId == "") == (in.UserId == "") {
		return nil, apierr.InvalidParameter("give exactly one of QueueId and UserId")
	}
	if in.ContactFlowId == "" {
		return nil, apierr.InvalidParameter("ContactFlowId is required")
	}
	for member, v := range map[string]string{"QueueId": in.QueueId, "UserId": in.UserId} {
		if err := checkBodyID(member, v); err != nil {
			return nil, err
		}
	}
	var target lifecycle.Target
	if err := s.store.View(c.ctx, nil, func(ctx context.Context, tx store.Tx) error {
		ct, err := tx.GetContact(ctx, inst, in.ContactId)
		if err != nil {
			return err
		}
		if ct.Channel != contact.ChannelTask {
			return apierr.New(apierr.CodeInvalidRequest, "TransferContact moves TASK contacts; contact %s is a %s contact", in.ContactId, ct.Channel)
		}
		if in.QueueId != "" {
			id, ok := s.idOf(inst, "queue", in.QueueId)
			if !ok {
				return apierr.NotFound("queue", truncate(in.QueueId, 64))
			}
			if _, err := tx.GetQueue(ctx, inst, id); err != nil {
				return err
			}
			target.QueueID = id
		} else {
			id, ok := s.idOf(inst, "agent", in.UserId)
			if !ok {
				return apierr.NotFound("user", truncate(in.UserId, 64))
			}
			if _, err := tx.GetUser(ctx, inst, id); err != nil {
				return err
			}
			target.AgentID = id
		}
		flowID, err := s.publishedFlowID(ctx, tx, inst, in.ContactFlowId)
		if err != nil {
			return err
		}
		rec, err := tx.GetFlowRecordState(ctx, inst, flow.KindFlow, flowID)
		if err != nil {
			return err
		}
		if !transferFlowTypes[rec.Type] {
			return apierr.InvalidParameter(fmt.Sprintf("ContactFlowId must be a CONTACT_FLOW, QUEUE_TRANSFER or AGENT_TRANSFER flow; %s is %s", flowID, rec.Type))
		}
		target.FlowID = flowID
		return nil
	}); err != nil {
		return nil, err
	}
	c.ev.Resource = instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + in.ContactId
	c.ev.Details = map[string]string{"contact_flow_id": target.FlowID}
	if target.QueueID != "" {
		c.ev.Details["queue_id"] = target.QueueID
	} else {
		c.ev.Details["user_id"] = target.AgentID
	}
	if err := c.runtime(func(ev *audit.Event) error { return s.cfg.Contacts.Transfer(c.ctx, ev, inst, in.ContactId, target) }); err != nil {
		return nil, err
	}
	return map[string]string{"ContactId": in.ContactId, "ContactArn": c.ev.Resource}, nil
}

// Limits of SearchableContactAttributes in SearchContacts.
const (
	maxAttributeCriteria = 15
	maxAttributeValues   = 20
)

// searchContacts implements SearchContacts (POST /search-contacts): a time range on the
// initiation time, channels, queues, agents, initiation methods, contact attributes
// (SearchableContactAttributes: exact values as stored, i.e. redacted, through the keyed
// index; never attributes the instance marks sensitive) and chat transcript words
// (ContactAnalysis.Transcript, through the keyed transcript index, for callers allowed
// identity.ActionSearchTranscripts; docs/transcripts.md); sorted by initiation time; pages of
// at most 100.
func (s *Server) searchContacts(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		InstanceId string `json:"InstanceId"`
		TimeRange  *struct {
			Type      string   `json:"Type"`
			StartTime *float64 `json:"StartTime"`
			EndTime   *float64 `json:"EndTime"`
		} `json:"TimeRange"`
		SearchCriteria *struct {
			Channels                    []string `json:"Channels"`
			QueueIds                    []string `json:"QueueIds"`
			AgentIds                    []string `json:"AgentIds"`
			InitiationMethods           []string `json:"InitiationMethods"`
			SearchableContactAttributes *struct {
				Criteria []struct {
					Key    string   `json:"Key"`
					Values []string `json:"Values"`
				} `json:"Criteria"`
				MatchType string `json:"MatchType"`
			} `json:"SearchableContactAttributes"`
			ContactAnalysis *struct {
				Transcript *transcriptCriteriaJSON `json:"Transcript"`
			} `json:"ContactAnalysis"`
		} `json:"SearchCriteria"`
		Sort *struct {
			FieldName string `json:"FieldName"`
			Order     string `json:"Order"`
		} `json:"Sort"`
		MaxResults int    `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.TimeRange == nil || in.TimeRange.StartTime == nil || in.TimeRange.EndTime == nil {
		return nil, apierr.InvalidParameter("TimeRange with StartTime and EndTime is required")
	}
	if t := in.TimeRange.Type; t != "" && t != "INITIATION_TIMESTAMP" {
		return nil, apierr.InvalidParameter("TimeRange.Type INITIATION_TIMESTAMP is the only one supported")
	}
	q := contact.Query{Start: fromEpoch(*in.TimeRange.StartTime), End: fromEpoch(*in.TimeRange.EndTime), Limit: in.MaxResults}
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Limit < 1 || q.Limit > 100 {
		return nil, apierr.InvalidParameter("MaxResults must be 1-100")
	}
	if !q.End.After(q.Start) {
		return nil, apierr.InvalidParameter("EndTime must be after StartTime")
	}
	if sc := in.SearchCriteria; sc != nil {
		for _, ch := range sc.Channels {
			q.Channels = append(q.Channels, contact.Channel(ch))
		}
		for _, m := range sc.InitiationMethods {
			q.InitiationMethods = append(q.InitiationMethods, contact.InitiationMethod(m))
		}
		q.QueueIDs, q.AgentIDs = sc.QueueIds, sc.AgentIds
		if len(q.QueueIDs)+len(q.AgentIDs)+len(q.Channels)+len(q.InitiationMethods) > 400 {
			return nil, apierr.InvalidParameter("too many search criteria")
		}
		if sa := sc.SearchableContactAttributes; sa != nil {
			switch sa.MatchType {
			case "", "MATCH_ALL":
			case "MATCH_ANY":
				q.AttributesMatchAny = true
			default:
				return nil, apierr.InvalidParameter("SearchableContactAttributes.MatchType must be MATCH_ALL or MATCH_ANY")
			}
			if len(sa.Criteria) < 1 || len(sa.Criteria) > maxAttributeCriteria {
				return nil, apierr.InvalidParameter(fmt.Sprintf("SearchableContactAttributes.Criteria must have 1-%d entries", maxAttributeCriteria))
			}
			for _, cr := range sa.Criteria {
				if err := contact.ValidateAttributes(map[string]string{cr.Key: ""}); err != nil || len(cr.Values) < 1 || len(cr.Values) > maxAttributeValues {
					return nil, apierr.InvalidParameter(fmt.Sprintf("each SearchableContactAttributes criterion needs a Key of 1-127 letters, digits, '_', '.', '-' and 1-%d Values", maxAttributeValues))
				}
				q.Attributes = append(q.Attributes, contact.AttributeCriterion{Key: cr.Key, Values: cr.Values})
			}
		}
		if ca := sc.ContactAnalysis; ca != nil && ca.Transcript != nil {
			// A match tells which words a contact's participants wrote: it needs what reading
			// the transcript needs, and Connect's keyword-search permission.
			if d := identity.Evaluate(c.caller, identity.ActionSearchTranscripts, inst); !d.Allowed {
				c.ev.Details = map[string]string{"authz": d.Reason, "authz_action": identity.ActionSearchTranscripts}
				if len(d.Permissions) > 0 {
					c.ev.Details["authz_permissions"] = strings.Join(d.Permissions, ",")
				}
				return nil, d.Err
			}
			if err := transcriptQuery(ca.Transcript, &q); err != nil {
				return nil, err
			}
			if c.ev.Details == nil {
				c.ev.Details = map[string]string{}
			}
			c.ev.Details["transcript_criteria"] = strconv.Itoa(len(q.Transcript))
		}
	}
	if srt := in.Sort; srt != nil {
		if srt.FieldName != "" && srt.FieldName != "INITIATION_TIMESTAMP" {
			return nil, apierr.InvalidParameter("Sort.FieldName INITIATION_TIMESTAMP is the only one supported")
		}
		q.Descending = srt.Order == "DESCENDING"
	}
	if in.NextToken != "" {
		ms, id, ok := parseContactToken(in.NextToken)
		if !ok {
			return nil, apierr.InvalidParameter("NextToken is not valid")
		}
		q.AfterTime, q.AfterID = time.UnixMilli(ms).UTC(), id
	}
	var found []contact.Contact
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if len(q.Attributes) > 0 {
			// Sensitive attributes are not indexed: a search on one is refused, not
			// answered with nothing, so that nobody mistakes it for "no such value".
			dp, err := tx.GetDataProtection(ctx, inst)
			if err != nil {
				return err
			}
			for _, cr := range q.Attributes {
				if dp.IsSensitive(cr.Key) {
					return apierr.InvalidParameter(fmt.Sprintf("contact attribute %q is marked sensitive and cannot be searched", cr.Key))
				}
			}
		}
		var err error
		found, err = tx.SearchContacts(ctx, inst, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, ct := range found {
		sum := map[string]any{"Id": ct.ID, "Arn": instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + ct.ID,
			"Channel": string(ct.Channel), "InitiationMethod": string(ct.InitiationMethod),
			"InitiationTimestamp": epochSeconds(ct.InitiationTimestamp), "InitialContactId": ct.InitialContactID,
			"PreviousContactId": ct.PreviousContactID}
		if !ct.DisconnectTimestamp.IsZero() {
			sum["DisconnectTimestamp"] = epochSeconds(ct.DisconnectTimestamp)
		}
		if !ct.Queue.IsAgentQueue() && ct.Queue.QueueID != "" {
			sum["QueueInfo"] = map[string]any{"Id": ct.Queue.QueueID, "EnqueueTimestamp": epochSeconds(ct.Queue.EnqueueTimestamp)}
		}
		if ct.Agent.AgentID != "" {
			sum["AgentInfo"] = map[string]any{"Id": ct.Agent.AgentID, "ConnectedToAgentTimestamp": epochSeconds(ct.Agent.ConnectedToAgentTimestamp)}
		}
		if !ct.ScheduledTimestamp.IsZero() {
			sum["ScheduledTimestamp"] = epochSeconds(ct.ScheduledTimestamp)
		}
		list = append(list, withoutEmpty(sum, "InitialContactId", "PreviousContactId"))
	}
	out := map[string]any{"Contacts": list}
	if len(found) == q.Limit {
		last := found[len(found)-1]
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("contact:%d:%s", last.InitiationTimestamp.UnixMilli(), last.ID)))
	}
	return out, nil
}

func parseContactToken(tok string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "", false
	}
	parts := strings.SplitN(string(b), ":", 3)
	if len(parts) != 3 || parts[0] != "contact" {
		return 0, "", false
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || parts[2] == "" {
		return 0, "", false
	}
	return ms, parts[2], true
}

// listContactReferences implements ListContactReferences: the references of a task, each in
// the member named by its type (Url, Attachment, String, Number, Date, Email).
func (s *Server) listContactReferences(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("ContactId")
	if err := contactID("ContactId", id); err != nil {
		return nil, err
	}
	types := map[string]bool{}
	for _, t := range c.r.URL.Query()["referenceTypes"] {
		for _, x := range strings.Split(t, ",") {
			types[x] = true
		}
	}
	ct, err := s.readContact(c, inst, id)
	if err != nil {
		return nil, err
	}
	member := map[string]string{"URL": "Url", "ATTACHMENT": "Attachment", "STRING": "String", "NUMBER": "Number", "DATE": "Date", "EMAIL": "Email"}
	list := []map[string]any{}
	for _, r := range contact.BuildRecord(ct, contact.RecordContext{}).References {
		if len(types) > 0 && !types[r.Type] {
			continue
		}
		list = append(list, map[string]any{member[r.Type]: map[string]string{"Name": r.Name, "Value": r.Value}})
	}
	return map[string]any{"ReferenceSummaryList": list}, nil
}
