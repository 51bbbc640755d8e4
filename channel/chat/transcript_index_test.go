package chat_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// chatContact stores the contact a chat belongs to (searches return contacts).
func (e *env) chatContact(id string) {
	e.t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := contact.Contact{InstanceID: e.inst, ID: id, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		State: contact.StateInitiated, InitiationTimestamp: now, LastUpdateTimestamp: now}
	if err := e.store.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateContact(ctx, c) }); err != nil {
		e.t.Fatal(err)
	}
}

// found returns the contacts whose messages of role hold every word of text.
func (e *env) found(role, text string) []string {
	e.t.Helper()
	q := contact.Query{Limit: 100, Transcript: []contact.TranscriptCriterion{{ParticipantRole: role, Texts: [][]string{contact.TranscriptWords(text)}}}}
	var ids []string
	if err := e.store.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.SearchContacts(ctx, e.inst, q)
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return err
	}); err != nil {
		e.t.Fatalf("SearchContacts: %v", err)
	}
	return ids
}

// TestTranscriptIndex: every stored message is indexed under its sender's role, from its
// redacted text: a card number typed in the chat cannot be found by its digits, secure input
// is not indexed at all (not even its placeholder), flow menus sent as quick replies are.
func TestTranscriptIndex(t *testing.T) {
	e := newEnvWith(t, chat.Limits{}, true)
	ctx := context.Background()
	e.chatContact("contact-1")
	e.chatContact("contact-2")
	st, err := e.svc.StartChat(ctx, chat.StartRequest{InstanceID: e.inst, ContactID: "contact-1", CustomerDisplayName: "Jane",
		SupportedContentTypes: []string{chat.ContentTypePlain, chat.ContentTypeInteractiveResponse}})
	if err != nil {
		t.Fatal(err)
	}
	cust := e.connect(st)
	e.start("contact-2", "Joe").send("Where is my parcel?")

	cust.send("Where is my parcel? It has not arrived.")
	cust.send("My card is 4539 1488 0343 6467, cvv 829, ssn 536-22-8841. Please refund.")
	e.events.mu.Lock()
	e.events.secure = true
	e.events.mu.Unlock()
	cust.send("4111 1111 1111 1111 secretword")
	if _, err := e.svc.PostSystem(ctx, e.inst, "contact-1", chat.SystemMessage{ContentType: chat.ContentTypePlain, Content: "Thank you for contacting us."}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PostSystemMenu(ctx, e.inst, "contact-1", "Which department?", []string{"Billing", "Deliveries"}); err != nil {
		t.Fatal(err)
	}
	e.agent("contact-1", "Ada").send("Sorry about the delay.")

	for _, tc := range []struct {
		role, text string
		want       []string
	}{
		{contact.TranscriptRoleCustomer, "parcel", []string{"contact-1", "contact-2"}},
		{contact.TranscriptRoleCustomer, "not arrived", []string{"contact-1"}},
		{contact.TranscriptRoleCustomer, "card cvv ssn refund", []string{"contact-1"}},
		{contact.TranscriptRoleAgent, "delay", []string{"contact-1"}},
		{contact.TranscriptRoleCustomer, "delay", nil},
		{contact.TranscriptRoleSystem, "contacting us", []string{"contact-1"}},
		{contact.TranscriptRoleSystem, "which department", []string{"contact-1"}},
		{contact.TranscriptRoleSystem, "billing deliveries", []string{"contact-1"}},
		{contact.TranscriptRoleSystem, "quickreply", nil}, // the template's JSON is no text
		// The card number, its groups, the CVV and SSN digits: none is a word of the index.
		{contact.TranscriptRoleCustomer, "4539148803436467", nil},
		{contact.TranscriptRoleCustomer, "4539", nil},
		{contact.TranscriptRoleCustomer, "6467", nil},
		{contact.TranscriptRoleCustomer, "829", nil},
		{contact.TranscriptRoleCustomer, "8841", nil},
		// Secure input: neither what was typed nor the placeholder.
		{contact.TranscriptRoleCustomer, "secretword", nil},
		{contact.TranscriptRoleCustomer, "1111", nil},
		{contact.TranscriptRoleCustomer, "secure", nil},
		{contact.TranscriptRoleCustomer, "input", nil},
	} {
		if diff := cmp.Diff(tc.want, e.found(tc.role, tc.text)); diff != "" {
			t.Errorf("%s %q (-want +got):\n%s", tc.role, tc.text, diff)
		}
	}
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if len(e.events.inputs) != 1 {
		t.Errorf("secure inputs = %d, want 1", len(e.events.inputs))
	}
}

// TestReadTranscript: an administrator's read gives the items the participants see, oldest
// first, in pages; a contact without a chat is not found.
func TestReadTranscript(t *testing.T) {
	e := newEnv(t, chat.Limits{MessagesPerSecond: 1000, MessageBurst: 1000})
	ctx := context.Background()
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	for i := range 6 {
		cust.send(fmt.Sprintf("question %d, card 4539 1488 0343 6467", i))
		agent.send(fmt.Sprintf("answer %d", i))
	}
	want := cust.transcript()
	read := func(after int64, limit int) (chat.TranscriptPage, error) {
		var p chat.TranscriptPage
		err := e.store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			p, err = e.svc.ReadTranscript(ctx, tx, e.inst, "contact-1", after, limit)
			return err
		})
		return p, err
	}
	var got []chat.Item
	after, pages := int64(0), 0
	for {
		p, err := read(after, 5)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.InitialContactID != "contact-1" {
			t.Errorf("InitialContactID = %q", p.InitialContactID)
		}
		got = append(got, p.Items...)
		if p.NextSeq == 0 {
			break
		}
		after = p.NextSeq
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(chat.Item{}, "Seq")); diff != "" {
		t.Errorf("administrator's read differs from the participant's transcript (-participant +administrator):\n%s", diff)
	}
	if len(want) != 14 || pages != 3 {
		t.Errorf("%d items in %d pages; want 14 in 3", len(want), pages)
	}
	for _, it := range got {
		if it.Type == chat.TypeMessage && it.ParticipantRole == chat.RoleCustomer && it.Content[len(it.Content)-6:] != "[CARD]" {
			t.Errorf("customer message %q is not redacted as stored", it.Content)
		}
	}
	for _, bad := range []struct {
		after int64
		limit int
	}{{0, 0}, {0, chat.MaxTranscriptPage + 1}, {-1, 5}, {math.MaxInt64, 5}} {
		_, err := read(bad.after, bad.limit)
		if !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("read(%d, %d) = %v, want InvalidParameterException", bad.after, bad.limit, err)
		}
	}
	var err error
	if err = e.store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := e.svc.ReadTranscript(ctx, tx, e.inst, "no-such-contact", 0, 5)
		return err
	}); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("read of a contact without a chat = %v, want ResourceNotFoundException", err)
	}
}
