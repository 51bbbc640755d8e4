package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/routing"
)

// The routing administration transactions below are the changes of hours of operation,
// agent statuses, queues, quick connects and routing profiles that the Connect API (package api) and the admin pages (package web)
// both make: each checks its input with the rules of routing/check.go and the references it
// names inside tx (hours, queues, users and flows of the same instance), then writes. Each
// runs inside the caller's Update, with the caller's audit event, so a change and its event
// commit together. IDs are local IDs (an API caller reduces ARNs first); a reference to
// another instance's resource is ResourceNotFoundException, exactly as an unknown one.
// Errors are *apierr.Error: InvalidParameterException for bad input (messages name Connect's
// members), ResourceNotFoundException, DuplicateResourceException for a name in use.

// routingChanges are the operations after which an instance's router must take the stored
// configuration again (hours, queues, routing profiles). Read-only.
var routingChanges = map[string]bool{
	"CreateHoursOfOperation": true, "UpdateHoursOfOperation": true, "CreateHoursOfOperationOverride": true,
	"CreateQueue": true, "UpdateQueueMaxContacts": true, "UpdateQueueHoursOfOperation": true, "UpdateQueueStatus": true,
	"CreateRoutingProfile": true, "AssociateRoutingProfileQueues": true, "UpdateRoutingProfileQueues": true,
	"DisassociateRoutingProfileQueues": true, "UpdateRoutingProfileConcurrency": true, "UpdateRoutingProfileDefaultOutboundQueue": true,
	"DeleteHoursOfOperation": true, "DeleteRoutingProfile": true,
}

// RoutingChange reports whether the Connect operation changes what an instance's running
// router holds (hours of operation, queues, routing profiles), so that whoever ran it, the
// API or an admin page, refreshes the instance's router (lifecycle.Manager.RefreshRouting)
// before answering. Names, descriptions and quick connects are not the router's.
func RoutingChange(operation string) bool { return routingChanges[operation] }

// stamp is the modification time stored with a changed routing resource: UTC, milliseconds.
func stamp(now time.Time) time.Time { return now.UTC().Truncate(time.Millisecond) }

// clip shortens s to at most n bytes of valid UTF-8, for IDs echoed in error messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// CreateHoursOfOperation stores h, new hours of operation of its instance
// (CreateHoursOfOperation). The caller sets h's ID (a new UUID), LastModified and Tags.
// Checks: Name 1–127 (unique in the instance) and Description 0–250 characters, at most 100
// open periods, the time zone (an IANA name) and the periods (routing.Compile: hours 0–23,
// minutes 0–59), the instance.
func CreateHoursOfOperation(ctx context.Context, tx Tx, h routing.HoursRecord) error {
	if err := routing.CheckNameDescription(&h.Name, &h.Description); err != nil {
		return err
	}
	if err := routing.CheckHoursConfigCount(len(h.Config)); err != nil {
		return err
	}
	if _, err := routing.Compile(h.Definition(nil)); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, h.InstanceID); err != nil {
		return err
	}
	return tx.CreateHours(ctx, h)
}

// UpdateHoursOfOperation changes the instance's hours id (UpdateHoursOfOperation): each
// non-nil member replaces the stored one, config (nil keeps the stored periods; empty means
// closed all week) the whole weekly schedule; the result is checked as
// CreateHoursOfOperation checks it and stamped with now. Queues on these hours follow at
// once: flows read them when they check the hours.
func UpdateHoursOfOperation(ctx context.Context, tx Tx, instanceID, id string, now time.Time, name, description, timeZone *string, config []routing.HoursConfig) error {
	if err := routing.CheckNameDescription(name, description); err != nil {
		return err
	}
	if err := routing.CheckHoursConfigCount(len(config)); err != nil {
		return err
	}
	h, err := tx.GetHours(ctx, instanceID, id)
	if err != nil {
		return err
	}
	if name != nil {
		h.Name = *name
	}
	if description != nil {
		h.Description = *description
	}
	if timeZone != nil {
		h.TimeZone = *timeZone
	}
	if config != nil {
		h.Config = config
	}
	if _, err := routing.Compile(h.Definition(nil)); err != nil {
		return err
	}
	h.LastModified = stamp(now)
	return tx.UpdateHours(ctx, h)
}

// checkAgentStatusState refuses a state other than ENABLED and DISABLED.
func checkAgentStatusState(state routing.AgentStatusState) error {
	if state != routing.AgentStatusEnabled && state != routing.AgentStatusDisabled {
		return apierr.InvalidParameter("State must be ENABLED or DISABLED")
	}
	return nil
}

// checkDisplayOrder refuses a display order given outside 1–50 (nil: not given).
func checkDisplayOrder(v *int) error {
	if v != nil && (*v < 1 || *v > routing.MaxDisplayOrder) {
		return apierr.InvalidParameter(fmt.Sprintf("DisplayOrder must be 1-%d", routing.MaxDisplayOrder))
	}
	return nil
}

// CreateAgentStatus stores s, a new CUSTOM agent status of its instance (CreateAgentStatus;
// non-productive, not routable: every instance has its Available and Offline already),
// at position displayOrder in the agents' list (1–50; nil for none). The caller sets s's
// ID (a new UUID), LastModified and Tags. Checks: Name 1–127 (unique in the instance) and
// Description 0–250 characters, State ENABLED or DISABLED, the display order, the
// instance.
func CreateAgentStatus(ctx context.Context, tx Tx, s routing.AgentStatusRecord, displayOrder *int) error {
	if err := routing.CheckNameDescription(&s.Name, &s.Description); err != nil {
		return err
	}
	if err := checkAgentStatusState(s.State); err != nil {
		return err
	}
	if err := checkDisplayOrder(displayOrder); err != nil {
		return err
	}
	s.Type, s.DisplayOrder = routing.StatusCustom, 0
	if displayOrder != nil {
		s.DisplayOrder = *displayOrder
	}
	if err := s.AgentStatus.Check(); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, s.InstanceID); err != nil {
		return err
	}
	return tx.CreateAgentStatus(ctx, s)
}

// AgentStatusChange is what UpdateAgentStatus changes: each non-nil member replaces the
// stored one; ResetOrder clears the display order.
type AgentStatusChange struct {
	Name, Description *string
	State             *routing.AgentStatusState
	// DisplayOrder is 1–50.
	DisplayOrder *int
	ResetOrder   bool
}

// UpdateAgentStatus changes the instance's agent status id (UpdateAgentStatus), checked as
// CreateAgentStatus checks it, and stamps it with now. Available (ROUTABLE) and Offline
// (OFFLINE) can be renamed but not disabled (InvalidRequestException): agents always need
// both.
func UpdateAgentStatus(ctx context.Context, tx Tx, instanceID, id string, now time.Time, ch AgentStatusChange) error {
	if err := routing.CheckNameDescription(ch.Name, ch.Description); err != nil {
		return err
	}
	if ch.State != nil {
		if err := checkAgentStatusState(*ch.State); err != nil {
			return err
		}
	}
	if err := checkDisplayOrder(ch.DisplayOrder); err != nil {
		return err
	}
	rec, err := tx.GetAgentStatus(ctx, instanceID, id)
	if err != nil {
		return err
	}
	if ch.Name != nil {
		rec.Name = *ch.Name
	}
	if ch.Description != nil {
		rec.Description = *ch.Description
	}
	if ch.State != nil {
		if rec.Type != routing.StatusCustom && *ch.State == routing.AgentStatusDisabled {
			return apierr.InvalidRequest(fmt.Sprintf("the %s status %q cannot be disabled", rec.Type, rec.Name))
		}
		rec.State = *ch.State
	}
	if ch.DisplayOrder != nil {
		rec.DisplayOrder = *ch.DisplayOrder
	}
	if ch.ResetOrder {
		rec.DisplayOrder = 0
	}
	rec.LastModified = stamp(now)
	return tx.UpdateAgentStatus(ctx, rec)
}

// RequireHours fails unless id names hours of operation of the instance:
// InvalidParameterException when it is empty or too long, ResourceNotFoundException when
// the instance has no such hours.
func RequireHours(ctx context.Context, tx Tx, instanceID, id string) error {
	if id == "" {
		return apierr.InvalidParameter("HoursOfOperationId is required")
	}
	if err := routing.CheckResourceID("HoursOfOperationId", id); err != nil {
		return err
	}
	_, err := tx.GetHours(ctx, instanceID, id)
	return err
}

// RequireFlow fails unless id (a local flow ID, not an ARN) names a contact flow of the
// instance: InvalidParameterException when it is too long, ResourceNotFoundException when
// the instance has no such flow.
func RequireFlow(ctx context.Context, tx Tx, instanceID, id string) error {
	if err := routing.CheckResourceID("ContactFlowId", id); err != nil {
		return err
	}
	_, err := tx.GetFlowRecord(ctx, instanceID, flow.KindFlow, id)
	return err
}

// checkOutboundCaller checks q's outbound caller configuration: the caller ID name is at
// most 255 characters of text, the number ID at most 500 characters (phone numbers are not
// managed here yet, so it is kept as given), the outbound whisper flow, when set, a flow of
// the instance.
func checkOutboundCaller(ctx context.Context, tx Tx, q routing.QueueRecord) error {
	if err := routing.CheckText("OutboundCallerIdName", q.OutboundCallerIDName, 0, routing.MaxOutboundCallerIDName); err != nil {
		return err
	}
	if len(q.OutboundCallerIDNumberID) > routing.MaxResourceID {
		return apierr.InvalidParameter("OutboundCallerIdNumberId is too long")
	}
	if q.OutboundFlowID != "" {
		return RequireFlow(ctx, tx, q.InstanceID, q.OutboundFlowID)
	}
	return nil
}

// CreateQueue stores q, a new standard queue of its instance (CreateQueue), and associates
// quickConnectIDs (0–50 quick connects of the instance) with it as
// AssociateQueueQuickConnects does. The caller sets q's ID (a new UUID) and LastModified; an
// empty Status becomes ENABLED and MaxContacts 0 means no limit. Checks, in order: Name
// 1–127 and Description 0–250 characters, the quick connect IDs, MaxContacts ≥ 0 and the
// status, the instance, HoursOfOperationID (required, hours of the instance), the outbound
// caller configuration; an unknown quick connect is ResourceNotFoundException and nothing
// is stored.
func CreateQueue(ctx context.Context, tx Tx, q routing.QueueRecord, quickConnectIDs []string) error {
	if err := routing.CheckNameDescription(&q.Name, &q.Description); err != nil {
		return err
	}
	if err := routing.CheckQuickConnectIDs(quickConnectIDs, true); err != nil {
		return err
	}
	if err := q.Normalise(); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, q.InstanceID); err != nil {
		return err
	}
	if err := RequireHours(ctx, tx, q.InstanceID, q.HoursOfOperationID); err != nil {
		return err
	}
	if err := checkOutboundCaller(ctx, tx, q); err != nil {
		return err
	}
	if err := tx.CreateQueue(ctx, q); err != nil {
		return err
	}
	if len(quickConnectIDs) == 0 {
		return nil
	}
	return tx.AssociateQueueQuickConnects(ctx, q.InstanceID, q.ID, quickConnectIDs)
}

// UpdateQueue reads the instance's queue queueID, lets change modify it (its error aborts),
// checks the result (routing.Queue.Normalise), sets LastModified to now and stores it. It
// returns the queue as stored. The Update* functions below are its uses.
func UpdateQueue(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time, change func(q *routing.QueueRecord) error) (routing.QueueRecord, error) {
	q, err := tx.GetQueue(ctx, instanceID, queueID)
	if err != nil {
		return routing.QueueRecord{}, err
	}
	if err := change(&q); err != nil {
		return routing.QueueRecord{}, err
	}
	if err := q.Normalise(); err != nil {
		return routing.QueueRecord{}, err
	}
	q.LastModified = stamp(now)
	return q, tx.UpdateQueue(ctx, q)
}

// UpdateQueueName changes the queue's Name (1–127 characters) and Description (0–250)
// (UpdateQueueName); a nil pointer leaves that member as it is.
func UpdateQueueName(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time, name, description *string) error {
	_, err := UpdateQueue(ctx, tx, instanceID, queueID, now, func(q *routing.QueueRecord) error {
		if err := routing.CheckNameDescription(name, description); err != nil {
			return err
		}
		if name != nil {
			q.Name = *name
		}
		if description != nil {
			q.Description = *description
		}
		return nil
	})
	return err
}

// UpdateQueueMaxContacts sets the queue's capacity (UpdateQueueMaxContacts): 0 removes the
// limit; a negative number is InvalidParameterException. Lowering it removes no contact
// from the queue; it only refuses new ones.
func UpdateQueueMaxContacts(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time, maxContacts int) error {
	_, err := UpdateQueue(ctx, tx, instanceID, queueID, now, func(q *routing.QueueRecord) error {
		q.MaxContacts = maxContacts
		return nil
	})
	return err
}

// UpdateQueueHoursOfOperation gives the queue the hours hoursID, which must be hours of the
// instance (UpdateQueueHoursOfOperation).
func UpdateQueueHoursOfOperation(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time, hoursID string) error {
	_, err := UpdateQueue(ctx, tx, instanceID, queueID, now, func(q *routing.QueueRecord) error {
		if err := RequireHours(ctx, tx, q.InstanceID, hoursID); err != nil {
			return err
		}
		q.HoursOfOperationID = hoursID
		return nil
	})
	return err
}

// UpdateQueueStatus enables or disables the queue (UpdateQueueStatus; status ENABLED or
// DISABLED). A DISABLED queue refuses new contacts; contacts already in it are still routed.
func UpdateQueueStatus(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time, status routing.QueueStatus) error {
	_, err := UpdateQueue(ctx, tx, instanceID, queueID, now, func(q *routing.QueueRecord) error {
		if status != routing.QueueEnabled && status != routing.QueueDisabled {
			return apierr.InvalidParameter("Status must be ENABLED or DISABLED")
		}
		q.Status = status
		return nil
	})
	return err
}

// UpdateQueueOutboundCaller replaces the queue's outbound caller configuration
// (UpdateQueueOutboundCallerConfig): caller ID name (0–255 characters), caller ID number ID
// and outbound whisper flow (a local flow ID of the instance), each "" when unset.
func UpdateQueueOutboundCaller(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time, name, numberID, flowID string) error {
	_, err := UpdateQueue(ctx, tx, instanceID, queueID, now, func(q *routing.QueueRecord) error {
		next := *q
		next.OutboundCallerIDName, next.OutboundCallerIDNumberID, next.OutboundFlowID = name, numberID, flowID
		if err := checkOutboundCaller(ctx, tx, next); err != nil {
			return err
		}
		*q = next
		return nil
	})
	return err
}

// AssociateQueueQuickConnects associates 1–50 quick connects of the instance with the
// queue (AssociateQueueQuickConnects) and sets the queue's LastModified to now: agents whose
// routing profile holds the queue (or has it as default outbound queue) are offered them.
// An unknown quick connect or queue is ResourceNotFoundException and nothing is associated;
// an existing association is kept.
func AssociateQueueQuickConnects(ctx context.Context, tx Tx, instanceID, queueID string, quickConnectIDs []string, now time.Time) error {
	if err := routing.CheckQuickConnectIDs(quickConnectIDs, false); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return err
	}
	if err := tx.AssociateQueueQuickConnects(ctx, instanceID, queueID, quickConnectIDs); err != nil {
		return err
	}
	return touchQueue(ctx, tx, instanceID, queueID, now)
}

// DisassociateQueueQuickConnects removes 1–50 quick connects from the queue
// (DisassociateQueueQuickConnects; IDs not associated are ignored) and sets the queue's
// LastModified to now. An unknown queue is ResourceNotFoundException.
func DisassociateQueueQuickConnects(ctx context.Context, tx Tx, instanceID, queueID string, quickConnectIDs []string, now time.Time) error {
	if err := routing.CheckQuickConnectIDs(quickConnectIDs, false); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, instanceID); err != nil {
		return err
	}
	if err := tx.DisassociateQueueQuickConnects(ctx, instanceID, queueID, quickConnectIDs); err != nil {
		return err
	}
	return touchQueue(ctx, tx, instanceID, queueID, now)
}

// touchQueue sets the queue's LastModified to now (an association changed), which
// ListQueueQuickConnects answers as its LastModifiedTime.
func touchQueue(ctx context.Context, tx Tx, instanceID, queueID string, now time.Time) error {
	q, err := tx.GetQueue(ctx, instanceID, queueID)
	if err != nil {
		return err
	}
	q.LastModified = stamp(now)
	return tx.UpdateQueue(ctx, q)
}

// QuickConnectDestination is where a quick connect sends a contact: Connect's
// QuickConnectConfig without its JSON shape. Type USER takes UserID and ContactFlowID (an
// agent transfer flow in Connect's console), QUEUE QueueID and ContactFlowID (a queue
// transfer flow), PHONE_NUMBER PhoneNumber (E.164), FLOW ContactFlowID (a contact flow);
// the other fields must be empty. Flow IDs are local IDs.
type QuickConnectDestination struct {
	Type                                        routing.QuickConnectType
	UserID, QueueID, ContactFlowID, PhoneNumber string
}

// setQuickConnectDestination checks d and makes it q's destination: the user, queue and
// flow it names must exist in q's instance (ResourceNotFoundException), a flow is required
// for USER, QUEUE and FLOW, a phone number must be E.164.
func setQuickConnectDestination(ctx context.Context, tx Tx, q *routing.QuickConnectRecord, d QuickConnectDestination) error {
	q.Type = d.Type
	q.UserID, q.QueueID, q.ContactFlowID, q.PhoneNumber = "", "", "", ""
	flowID := ""
	switch d.Type {
	case routing.QuickConnectUser:
		if err := routing.CheckResourceID("UserId", d.UserID); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, q.InstanceID, d.UserID); err != nil {
			if apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return apierr.NotFound("user", clip(d.UserID, 64))
			}
			return err
		}
		q.UserID, flowID = d.UserID, d.ContactFlowID
	case routing.QuickConnectQueue:
		if d.QueueID == "" {
			return apierr.InvalidParameter("QueueConfig.QueueId is required")
		}
		if err := routing.CheckResourceID("QueueId", d.QueueID); err != nil {
			return err
		}
		if _, err := tx.GetQueue(ctx, q.InstanceID, d.QueueID); err != nil {
			return err
		}
		q.QueueID, flowID = d.QueueID, d.ContactFlowID
	case routing.QuickConnectPhoneNumber:
		if !routing.ValidE164(d.PhoneNumber) {
			return apierr.InvalidParameter("PhoneConfig.PhoneNumber must be in E.164 format, like +12065550100")
		}
		q.PhoneNumber = d.PhoneNumber
		return nil
	case routing.QuickConnectFlow:
		flowID = d.ContactFlowID
	default:
		return apierr.InvalidParameter("QuickConnectType must be USER, QUEUE, PHONE_NUMBER or FLOW")
	}
	if flowID == "" {
		return apierr.InvalidParameter("ContactFlowId is required")
	}
	if err := RequireFlow(ctx, tx, q.InstanceID, flowID); err != nil {
		return err
	}
	q.ContactFlowID = flowID
	return nil
}

// CreateQuickConnect stores q, a new quick connect of its instance sending contacts to d
// (CreateQuickConnect). The caller sets q's ID (a new UUID), LastModified and Tags. Checks:
// Name 1–127 (unique in the instance) and Description 0–250 characters, the instance, then
// the destination (see QuickConnectDestination).
func CreateQuickConnect(ctx context.Context, tx Tx, q routing.QuickConnectRecord, d QuickConnectDestination) error {
	if err := routing.CheckNameDescription(&q.Name, &q.Description); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, q.InstanceID); err != nil {
		return err
	}
	if err := setQuickConnectDestination(ctx, tx, &q, d); err != nil {
		return err
	}
	return tx.CreateQuickConnect(ctx, q)
}

// updateQuickConnect reads the instance's quick connect id, lets change modify it, sets
// LastModified to now and stores it.
func updateQuickConnect(ctx context.Context, tx Tx, instanceID, id string, now time.Time, change func(q *routing.QuickConnectRecord) error) error {
	q, err := tx.GetQuickConnect(ctx, instanceID, id)
	if err != nil {
		return err
	}
	if err := change(&q); err != nil {
		return err
	}
	q.LastModified = stamp(now)
	return tx.UpdateQuickConnect(ctx, q)
}

// UpdateQuickConnectName changes the quick connect's Name (1–127 characters, unique in the
// instance) and Description (0–250) (UpdateQuickConnectName); a nil pointer leaves that
// member as it is, and at least one is required.
func UpdateQuickConnectName(ctx context.Context, tx Tx, instanceID, id string, now time.Time, name, description *string) error {
	if name == nil && description == nil {
		return apierr.InvalidParameter("Name or Description is required")
	}
	if err := routing.CheckNameDescription(name, description); err != nil {
		return err
	}
	return updateQuickConnect(ctx, tx, instanceID, id, now, func(q *routing.QuickConnectRecord) error {
		if name != nil {
			q.Name = *name
		}
		if description != nil {
			q.Description = *description
		}
		return nil
	})
}

// UpdateQuickConnectConfig replaces the quick connect's type and destination with d
// (UpdateQuickConnectConfig), checked as CreateQuickConnect checks it.
func UpdateQuickConnectConfig(ctx context.Context, tx Tx, instanceID, id string, now time.Time, d QuickConnectDestination) error {
	return updateQuickConnect(ctx, tx, instanceID, id, now, func(q *routing.QuickConnectRecord) error {
		return setQuickConnectDestination(ctx, tx, q, d)
	})
}

// DeleteQuickConnect deletes the instance's quick connect id with its queue associations
// (DeleteQuickConnect); agents stop being offered it at once.
func DeleteQuickConnect(ctx context.Context, tx Tx, instanceID, id string) error {
	return tx.DeleteQuickConnect(ctx, instanceID, id)
}

// checkRoutingProfile validates p with the router's rules (routing.RoutingProfile.Check),
// the queues it names looked up in tx: DefaultOutboundQueueID is required, every ID at most
// 500 characters, every queue one of the instance's.
func checkRoutingProfile(ctx context.Context, tx Tx, p routing.RoutingProfileRecord) error {
	if p.DefaultOutboundQueueID == "" {
		return apierr.InvalidParameter("DefaultOutboundQueueId is required")
	}
	if err := routing.CheckResourceID("DefaultOutboundQueueId", p.DefaultOutboundQueueID); err != nil {
		return err
	}
	for _, e := range p.Queues {
		if err := routing.CheckResourceID("QueueId", e.QueueID); err != nil {
			return err
		}
	}
	var lookupErr error
	exists := func(id string) bool {
		_, err := tx.GetQueue(ctx, p.InstanceID, id)
		if err != nil && !apierr.HasCode(err, apierr.CodeResourceNotFound) && lookupErr == nil {
			lookupErr = err
		}
		return err == nil
	}
	err := p.Check(exists)
	if lookupErr != nil {
		return lookupErr
	}
	return err
}

// checkProfileDescription refuses an empty routing profile description (Connect requires
// 1–250 characters for routing profiles).
func checkProfileDescription(d string) error {
	if d == "" {
		return apierr.InvalidParameter("Description must be 1-250 characters")
	}
	return nil
}

// checkConcurrencies refuses a routing profile without channels.
func checkConcurrencies(ms []routing.MediaConcurrency) error {
	if len(ms) == 0 {
		return apierr.InvalidParameter("MediaConcurrencies is required: list at least one channel")
	}
	return nil
}

// checkQueueConfigCount refuses more queue × channel entries than one request may carry.
func checkQueueConfigCount(n int) error {
	if n > routing.MaxQueueConfigsPerRequest {
		return apierr.InvalidParameter(fmt.Sprintf("QueueConfigs must have at most %d entries per request", routing.MaxQueueConfigsPerRequest))
	}
	return nil
}

// CreateRoutingProfile stores p, a new routing profile of its instance
// (CreateRoutingProfile). The caller sets p's ID (a new UUID), LastModified and Tags; an
// empty AgentAvailabilityTimer becomes TIME_SINCE_LAST_ACTIVITY. Checks: Name 1–127 and
// Description 1–250 characters, the timer, at least one channel, at most 10 queue entries,
// the instance, then the router's rules (media concurrency VOICE 1, CHAT 1–10, TASK 1–10;
// entries priority 1–99, delay 0–9999 s, each queue × channel once; the default outbound
// queue and every entry's queue are queues of the instance).
func CreateRoutingProfile(ctx context.Context, tx Tx, p routing.RoutingProfileRecord) error {
	if err := routing.CheckNameDescription(&p.Name, &p.Description); err != nil {
		return err
	}
	if err := checkProfileDescription(p.Description); err != nil {
		return err
	}
	switch p.AgentAvailabilityTimer {
	case "":
		p.AgentAvailabilityTimer = routing.TimeSinceLastActivity
	case routing.TimeSinceLastActivity, routing.TimeSinceLastInbound:
	default:
		return apierr.InvalidParameter("AgentAvailabilityTimer must be TIME_SINCE_LAST_ACTIVITY or TIME_SINCE_LAST_INBOUND")
	}
	if err := checkConcurrencies(p.MediaConcurrencies); err != nil {
		return err
	}
	if err := checkQueueConfigCount(len(p.Queues)); err != nil {
		return err
	}
	if _, err := tx.GetInstance(ctx, p.InstanceID); err != nil {
		return err
	}
	if err := checkRoutingProfile(ctx, tx, p); err != nil {
		return err
	}
	return tx.CreateRoutingProfile(ctx, p)
}

// UpdateRoutingProfile reads the instance's routing profile id, lets change modify it (its
// error aborts), checks the result with the router's rules (see CreateRoutingProfile), sets
// LastModified to now and stores it. The routing profile functions below are its uses.
func UpdateRoutingProfile(ctx context.Context, tx Tx, instanceID, id string, now time.Time, change func(p *routing.RoutingProfileRecord) error) (routing.RoutingProfileRecord, error) {
	p, err := tx.GetRoutingProfile(ctx, instanceID, id)
	if err != nil {
		return routing.RoutingProfileRecord{}, err
	}
	if err := change(&p); err != nil {
		return routing.RoutingProfileRecord{}, err
	}
	if err := checkRoutingProfile(ctx, tx, p); err != nil {
		return routing.RoutingProfileRecord{}, err
	}
	p.LastModified = stamp(now)
	return p, tx.UpdateRoutingProfile(ctx, p)
}

// UpdateRoutingProfileName changes the profile's Name (1–127 characters) and Description
// (1–250) (UpdateRoutingProfileName); a nil pointer leaves that member as it is.
func UpdateRoutingProfileName(ctx context.Context, tx Tx, instanceID, id string, now time.Time, name, description *string) error {
	_, err := UpdateRoutingProfile(ctx, tx, instanceID, id, now, func(p *routing.RoutingProfileRecord) error {
		if err := routing.CheckNameDescription(name, description); err != nil {
			return err
		}
		if name != nil {
			p.Name = *name
		}
		if description != nil {
			if err := checkProfileDescription(*description); err != nil {
				return err
			}
			p.Description = *description
		}
		return nil
	})
	return err
}

// UpdateRoutingProfileDefaultOutboundQueue makes queueID, a queue of the instance, the
// profile's default outbound queue (UpdateRoutingProfileDefaultOutboundQueue).
func UpdateRoutingProfileDefaultOutboundQueue(ctx context.Context, tx Tx, instanceID, id string, now time.Time, queueID string) error {
	_, err := UpdateRoutingProfile(ctx, tx, instanceID, id, now, func(p *routing.RoutingProfileRecord) error {
		p.DefaultOutboundQueueID = queueID
		return nil
	})
	return err
}

// UpdateRoutingProfileConcurrency replaces the profile's channels and their concurrency
// with conc (UpdateRoutingProfileConcurrency; at least one channel; VOICE 1, CHAT and TASK
// 1–10). A channel left out is no longer offered to the profile's agents.
func UpdateRoutingProfileConcurrency(ctx context.Context, tx Tx, instanceID, id string, now time.Time, conc []routing.MediaConcurrency) error {
	if err := checkConcurrencies(conc); err != nil {
		return err
	}
	_, err := UpdateRoutingProfile(ctx, tx, instanceID, id, now, func(p *routing.RoutingProfileRecord) error {
		p.MediaConcurrencies = conc
		return nil
	})
	return err
}

// profileEntry returns the index of the profile's entry for queue × channel, or -1.
func profileEntry(p *routing.RoutingProfileRecord, queueID string, ch routing.Channel) int {
	for i, e := range p.Queues {
		if e.QueueID == queueID && e.Channel == ch {
			return i
		}
	}
	return -1
}

// notAssociated is the ResourceNotFoundException of a queue × channel the profile lacks.
func notAssociated(queueID string, ch routing.Channel) error {
	return apierr.NotFound("routing profile queue", fmt.Sprintf("%s channel %s", clip(queueID, 64), clip(string(ch), 16)))
}

// AssociateRoutingProfileQueues adds 1–10 queue × channel entries to the profile
// (AssociateRoutingProfileQueues); an entry the profile has already is
// InvalidParameterException, an unknown queue ResourceNotFoundException.
func AssociateRoutingProfileQueues(ctx context.Context, tx Tx, instanceID, id string, now time.Time, add []routing.ProfileQueue) error {
	if len(add) == 0 {
		return apierr.InvalidParameter("QueueConfigs is required")
	}
	if err := checkQueueConfigCount(len(add)); err != nil {
		return err
	}
	_, err := UpdateRoutingProfile(ctx, tx, instanceID, id, now, func(p *routing.RoutingProfileRecord) error {
		p.Queues = append(p.Queues, add...)
		return nil
	})
	return err
}

// UpdateRoutingProfileQueues sets a new priority and delay on 1–10 entries the profile has
// (UpdateRoutingProfileQueues); an entry it lacks is ResourceNotFoundException.
func UpdateRoutingProfileQueues(ctx context.Context, tx Tx, instanceID, id string, now time.Time, upd []routing.ProfileQueue) error {
	if len(upd) == 0 {
		return apierr.InvalidParameter("QueueConfigs is required")
	}
	if err := checkQueueConfigCount(len(upd)); err != nil {
		return err
	}
	_, err := UpdateRoutingProfile(ctx, tx, instanceID, id, now, func(p *routing.RoutingProfileRecord) error {
		for _, e := range upd {
			i := profileEntry(p, e.QueueID, e.Channel)
			if i < 0 {
				return notAssociated(e.QueueID, e.Channel)
			}
			p.Queues[i].Priority, p.Queues[i].DelaySeconds = e.Priority, e.DelaySeconds
		}
		return nil
	})
	return err
}

// DisassociateRoutingProfileQueues removes 1–10 queue × channel entries (QueueID and
// Channel of each; Priority and DelaySeconds are ignored) from the profile
// (DisassociateRoutingProfileQueues); an entry it lacks is ResourceNotFoundException.
func DisassociateRoutingProfileQueues(ctx context.Context, tx Tx, instanceID, id string, now time.Time, refs []routing.ProfileQueue) error {
	if len(refs) == 0 || len(refs) > routing.MaxQueueConfigsPerRequest {
		return apierr.InvalidParameter(fmt.Sprintf("QueueReferences must have 1-%d entries", routing.MaxQueueConfigsPerRequest))
	}
	_, err := UpdateRoutingProfile(ctx, tx, instanceID, id, now, func(p *routing.RoutingProfileRecord) error {
		for _, r := range refs {
			i := profileEntry(p, r.QueueID, r.Channel)
			if i < 0 {
				return notAssociated(r.QueueID, r.Channel)
			}
			p.Queues = append(p.Queues[:i:i], p.Queues[i+1:]...)
		}
		return nil
	})
	return err
}

// DeleteHoursOfOperation deletes hours of operation with their overrides
// (DeleteHoursOfOperation). Hours a queue uses are ResourceInUseException: give the queue
// other hours first.
func DeleteHoursOfOperation(ctx context.Context, tx Tx, instanceID, id string) error {
	return tx.DeleteHours(ctx, instanceID, id)
}

// DeleteRoutingProfile deletes a routing profile with its queue entries
// (DeleteRoutingProfile). The instance's default profile, and a profile any user has, are
// ResourceInUseException: give the users another routing profile first.
func DeleteRoutingProfile(ctx context.Context, tx Tx, instanceID, id string) error {
	return tx.DeleteRoutingProfile(ctx, instanceID, id)
}
