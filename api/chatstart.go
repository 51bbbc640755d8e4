package api

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// ChatStart asks for a new chat contact: StartChatContact's input, and what the customer
// chat widget sends on a visitor's behalf.
type ChatStart struct {
	InstanceID string
	// ContactFlowID is the ID or ARN of a published flow of the instance.
	ContactFlowID string
	// Attributes are user-defined contact attributes (contact.ValidateAttributes).
	Attributes map[string]string
	// DisplayName is ParticipantDetails.DisplayName: 1 to 256 characters without control or
	// invisible format characters.
	DisplayName string
	// InitialMessage is the customer's first message (optional): a content type
	// SendMessage takes and its content.
	InitialMessageType, InitialMessage string
	// DurationMinutes is ChatDurationInMinutes: 0 for the default (1,500), else 60 to 10,080.
	DurationMinutes int
	// SupportedContentTypes is SupportedMessagingContentTypes (nil: text/plain only).
	SupportedContentTypes []string
	RelatedContactID      string
	// ClientToken (at most 500 characters) makes the call idempotent for 7 days: the same
	// token returns the contact the first call started, whatever the rest of the request
	// says, as Connect documents.
	ClientToken string
}

// ChatStarted is what StartChat returns: StartChatContact's answer.
type ChatStarted struct {
	ContactID     string
	ParticipantID string
	// ParticipantToken is the customer's bearer for CreateParticipantConnection.
	ParticipantToken secret.Value[string]
	// Replayed is true when the answer is the earlier contact of the same ClientToken.
	Replayed bool
}

// StartChat starts a chat contact: the contact, its chat and its customer participant commit
// together with ev; then the initial message is posted and the flow runs. It is the one path
// behind StartChatContact and the chat widget. ev is always made durable, also when the
// request is refused (outcome failure). Errors: InvalidParameterException,
// ResourceNotFoundException (flow), InvalidRequestException (flow not published),
// LimitExceededException (the instance's active chats), ServiceUnavailableException (no
// contact runtime, or the event could not be made durable).
func (s *Server) StartChat(ctx context.Context, ev *audit.Event, in ChatStart) (out ChatStarted, err error) {
	recorded := false
	defer func() {
		if !recorded {
			ev.Stamp(err)
			if rerr := s.store.Record(ctx, ev); rerr != nil {
				out, err = ChatStarted{}, rerr
			}
		}
	}()
	if err := s.contacts(); err != nil {
		return out, err
	}
	if s.cfg.Chat == nil {
		return out, apierr.New(apierr.CodeServiceUnavailable, "this node runs no chat")
	}
	inst := in.InstanceID
	if in.ContactFlowID == "" {
		return out, apierr.InvalidParameter("ContactFlowId is required")
	}
	if len(in.ClientToken) > contact.MaxClientTokenLength {
		return out, apierr.InvalidParameter(fmt.Sprintf("ClientToken must be at most %d characters", contact.MaxClientTokenLength))
	}
	if err := contact.ValidateAttributes(in.Attributes); err != nil {
		return out, err
	}
	const op = "StartChatContact"
	if in.ClientToken != "" {
		unlock := s.clientTokens.lock(inst + "/" + op + "/" + in.ClientToken)
		defer unlock()
		if prev, ok, err := s.previousStart(ctx, inst, op, in.ClientToken); err != nil || ok {
			if ok {
				markReplay(ev, s.contactARN(inst, prev.ContactID))
			}
			return chatStarted(prev), err
		}
	}
	ct := contact.Contact{InstanceID: inst, ID: NewID(), Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		Attributes: in.Attributes, RelatedContactID: in.RelatedContactID}
	pending, err := s.cfg.Chat.PrepareChat(ctx, chat.StartRequest{InstanceID: inst, ContactID: ct.ID,
		CustomerDisplayName: in.DisplayName, Duration: time.Duration(in.DurationMinutes) * time.Minute,
		SupportedContentTypes: in.SupportedContentTypes})
	if err != nil {
		return out, err
	}
	res := pending.Result()
	ev.Resource = s.contactARN(inst, ct.ID)
	recorded = true
	err = s.store.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		id, err := s.publishedFlowID(ctx, tx, inst, in.ContactFlowID)
		if err != nil {
			return err
		}
		ct.FlowID = id
		if err := s.cfg.Contacts.Prepare(&ct); err != nil {
			return err
		}
		if err := s.cfg.Contacts.Create(ctx, tx, ct); err != nil {
			return err
		}
		if err := pending.Insert(ctx, tx); err != nil {
			return err
		}
		if in.ClientToken == "" {
			return nil
		}
		return tx.PutClientToken(ctx, contact.ClientToken{InstanceID: inst, Operation: op, Token: in.ClientToken,
			ContactID: ct.ID, ParticipantID: res.ParticipantID, ParticipantToken: res.ParticipantToken,
			CreatedTime: s.cfg.Now().UTC().Truncate(time.Millisecond)}, s.cfg.Now().Add(-contact.ClientTokenTTL))
	})
	if err != nil {
		if prev, ok := s.lostRace(ctx, err, inst, op, in.ClientToken); ok {
			return chatStarted(prev), nil
		}
		return out, err
	}
	pending.Started()
	if in.InitialMessage != "" {
		// The initial message is the customer's first message; a flow waiting for input
		// receives it like any other.
		if _, err := s.cfg.Chat.PostInitialMessage(ctx, inst, ct.ID, res.ParticipantID, in.InitialMessageType, in.InitialMessage); err != nil {
			s.log.Warn("api: initial chat message", "instance_id", inst, "contact_id", ct.ID, "error", err.Error())
		}
	}
	s.cfg.Contacts.Started(ct)
	return ChatStarted{ContactID: ct.ID, ParticipantID: res.ParticipantID, ParticipantToken: res.ParticipantToken}, nil
}

func chatStarted(t contact.ClientToken) ChatStarted {
	if t.ContactID == "" {
		return ChatStarted{}
	}
	return ChatStarted{ContactID: t.ContactID, ParticipantID: t.ParticipantID, ParticipantToken: t.ParticipantToken, Replayed: true}
}

func (s *Server) contactARN(inst, contactID string) string {
	return instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + contactID
}

// markReplay notes in ev that the answer repeats an earlier start (same ClientToken).
func markReplay(ev *audit.Event, resource string) {
	ev.Resource = resource
	if ev.Details == nil {
		ev.Details = map[string]string{}
	}
	ev.Details["client_token_replay"] = "true"
}

// previousStart returns the contact an earlier call with the same ClientToken started, if it
// is at most contact.ClientTokenTTL old.
func (s *Server) previousStart(ctx context.Context, inst, op, token string) (contact.ClientToken, bool, error) {
	var prev contact.ClientToken
	err := s.store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		prev, err = tx.GetClientToken(ctx, inst, op, token, s.cfg.Now().Add(-contact.ClientTokenTTL))
		return err
	})
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return prev, false, nil
	}
	return prev, err == nil, err
}

// lostRace handles a start whose commit failed because another node stored the same
// ClientToken first: it returns that node's contact.
func (s *Server) lostRace(ctx context.Context, err error, inst, op, token string) (contact.ClientToken, bool) {
	if token == "" || !apierr.HasCode(err, apierr.CodeDuplicateResource) {
		return contact.ClientToken{}, false
	}
	prev, ok, lerr := s.previousStart(ctx, inst, op, token)
	return prev, ok && lerr == nil
}

// keyLocks serialises work per key (here: one ClientToken of one instance and operation), so
// two concurrent calls with the same token on this node see each other's contact. Entries
// live only while held or awaited.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
