package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// testAppendSentChatItem: a participant's message is stored only while its connection token
// is a live CONNECTION_CREDENTIALS token of that participant in that chat and the chat is
// active, all checked by the statement that takes the Seq; a ClientToken already used is
// DuplicateResourceException; a failed check stores nothing and takes no Seq.
func testAppendSentChatItem(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "sent-a"), createInstance(t, s, "sent-b")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	mkChat := func(inst, id string, expires time.Time) chat.Chat {
		return chat.Chat{InstanceID: inst, ContactID: id, InitialContactID: id, SupportedContentTypes: []string{chat.ContentTypePlain},
			CreatedTime: chatTime(0), ExpiresTime: expires}
	}
	part := func(inst, contactID, id string) chat.Participant {
		return chat.Participant{InstanceID: inst, ContactID: contactID, ParticipantID: id, Role: chat.RoleCustomer,
			DisplayNameCiphertext: []byte("sealed"), TokenHash: sum("participant-" + inst + id), JoinedTime: chatTime(1), TokenExpiry: chatTime(3600)}
	}
	conn := func(inst, contactID, participantID, tok string, kind chat.ConnectionKind, expires time.Time) chat.Connection {
		return chat.Connection{TokenHash: sum(tok), Kind: kind, InstanceID: inst, ContactID: contactID, ParticipantID: participantID,
			CreatedTime: chatTime(2), ExpiresTime: expires}
	}
	if err := up(func(ctx context.Context, tx store.Tx) error {
		for _, c := range []chat.Chat{mkChat(a.ID, "c1", chatTime(3600)), mkChat(a.ID, "c2", chatTime(3600)), mkChat(b.ID, "c1", chatTime(3600))} {
			if err := tx.CreateChat(ctx, c); err != nil {
				return err
			}
		}
		for _, p := range []chat.Participant{part(a.ID, "c1", "alice"), part(a.ID, "c2", "carol"), part(b.ID, "c1", "alice")} {
			if err := tx.CreateChatParticipant(ctx, p); err != nil {
				return err
			}
		}
		for _, c := range []chat.Connection{
			conn(a.ID, "c1", "alice", "alice-conn", chat.ConnectionCredentials, chatTime(4000)),
			conn(a.ID, "c1", "alice", "alice-short", chat.ConnectionCredentials, chatTime(150)),
			conn(a.ID, "c1", "alice", "alice-ws", chat.ConnectionWebSocket, chatTime(4000)),
			conn(a.ID, "c2", "carol", "carol-conn", chat.ConnectionCredentials, chatTime(4000)),
		} {
			if err := tx.CreateChatConnection(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := 0
	item := func(inst, contactID, participantID, clientToken string) chat.StoredItem {
		n++
		return chat.StoredItem{InstanceID: inst, ContactID: contactID, ID: fmt.Sprintf("sent-%d", n), Type: chat.TypeMessage,
			ContentType: chat.ContentTypePlain, ParticipantID: participantID, ParticipantRole: chat.RoleCustomer,
			ContentCiphertext: []byte{byte(n)}, AbsoluteTime: chatTime(100 + n), ClientToken: clientToken}
	}
	send := func(it chat.StoredItem, tok string, now time.Time) (int64, error) {
		var seq int64
		err := up(func(ctx context.Context, tx store.Tx) error {
			var err error
			seq, err = tx.AppendSentChatItem(ctx, it, sum(tok), now)
			return err
		})
		return seq, err
	}
	lastSeq := func(inst, contactID string) int64 {
		var c chat.Chat
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			c, err = tx.GetChat(ctx, inst, contactID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return c.LastSeq
	}

	first := item(a.ID, "c1", "alice", "ct-1")
	for i, it := range []chat.StoredItem{first, item(a.ID, "c1", "alice", ""), item(a.ID, "c1", "alice", "")} {
		seq, err := send(it, "alice-conn", chatTime(200))
		if err != nil || seq != int64(i+1) {
			t.Fatalf("AppendSentChatItem %s = %d, %v; want %d", it.ID, seq, err, i+1)
		}
	}
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ChatItemByClientToken(ctx, a.ID, "alice", "ct-1")
		if err == nil && (got.ID != first.ID || got.Seq != 1) {
			err = fmt.Errorf("ChatItemByClientToken = %s at %d, want %s at 1", got.ID, got.Seq, first.ID)
		}
		return err
	}); err != nil {
		t.Error(err)
	}

	for _, tc := range []struct {
		name string
		it   chat.StoredItem
		tok  string
		now  time.Time
		want apierr.Code
	}{
		{"a ClientToken used before", item(a.ID, "c1", "alice", "ct-1"), "alice-conn", chatTime(200), apierr.CodeDuplicateResource},
		{"an item ID used before", func() chat.StoredItem { it := item(a.ID, "c1", "alice", ""); it.ID = first.ID; return it }(), "alice-conn", chatTime(200), apierr.CodeDuplicateResource},
		{"an unknown token", item(a.ID, "c1", "alice", "ct-2"), "nope", chatTime(200), apierr.CodeAccessDenied},
		{"a WebSocket URL token", item(a.ID, "c1", "alice", "ct-2"), "alice-ws", chatTime(200), apierr.CodeAccessDenied},
		{"an expired token", item(a.ID, "c1", "alice", "ct-2"), "alice-short", chatTime(200), apierr.CodeAccessDenied},
		{"another participant's token", item(a.ID, "c2", "carol", "ct-2"), "alice-conn", chatTime(200), apierr.CodeAccessDenied},
		{"a token of another chat", item(a.ID, "c2", "alice", "ct-2"), "alice-conn", chatTime(200), apierr.CodeAccessDenied},
		{"a token of another instance", item(b.ID, "c1", "alice", "ct-2"), "alice-conn", chatTime(200), apierr.CodeAccessDenied},
		{"a chat past its duration", item(a.ID, "c1", "alice", "ct-2"), "alice-conn", chatTime(3600), apierr.CodeAccessDenied},
		{"a chat that does not exist", item(a.ID, "nope", "alice", "ct-2"), "alice-conn", chatTime(200), apierr.CodeAccessDenied},
	} {
		_, err := send(tc.it, tc.tok, tc.now)
		if !apierr.HasCode(err, tc.want) {
			t.Errorf("%s: error = %v, want %s", tc.name, err, tc.want)
		}
	}
	for _, c := range []struct {
		inst, contact string
		want          int64
	}{{a.ID, "c1", 3}, {a.ID, "c2", 0}, {b.ID, "c1", 0}} {
		if got := lastSeq(c.inst, c.contact); got != c.want {
			t.Errorf("LastSeq of %s after refused appends = %d, want %d", c.contact, got, c.want)
		}
	}

	// The participant leaving revokes the token; so does the chat ending.
	if _, err := send(item(a.ID, "c2", "carol", "ct-c"), "carol-conn", chatTime(200)); err != nil {
		t.Fatalf("carol's message: %v", err)
	}
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetChatParticipantLeft(ctx, a.ID, "carol", chatTime(210))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := send(item(a.ID, "c2", "carol", "ct-d"), "carol-conn", chatTime(220)); !apierr.HasCode(err, apierr.CodeAccessDenied) {
		t.Errorf("after the participant left: error = %v, want AccessDeniedException", err)
	}
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.EndChat(ctx, a.ID, "c1", chatTime(230)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := send(item(a.ID, "c1", "alice", "ct-e"), "alice-conn", chatTime(240)); !apierr.HasCode(err, apierr.CodeAccessDenied) {
		t.Errorf("after the chat ended: error = %v, want AccessDeniedException", err)
	}
	// A repeated ClientToken is reported as such even after the chat ended: the caller
	// checks the connection token before it answers with the earlier item.
	if _, err := send(item(a.ID, "c1", "alice", "ct-1"), "alice-conn", chatTime(240)); !apierr.HasCode(err, apierr.CodeDuplicateResource) {
		t.Errorf("a repeated ClientToken after the chat ended: error = %v, want DuplicateResourceException", err)
	}
}

// testTranscriptIndexRollback: words indexed by a change that rolled back are not in the
// index, and the next change that indexes them writes them (a store that remembers which
// words it has indexed must remember committed rows only); words indexed again, or by
// another role, are kept once per contact and role.
func testTranscriptIndexRollback(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a := createInstance(t, s, "trindex-rollback")
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	c := sampleContact(a.ID, 700, base)
	c.Channel = contact.ChannelChat
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateContact(ctx, c); err != nil {
			return err
		}
		return tx.CreateChat(ctx, chat.Chat{InstanceID: a.ID, ContactID: c.ID, InitialContactID: c.ID,
			SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: base, ExpiresTime: base.Add(time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	index := func(role chat.Role, fail bool, words ...string) error {
		return s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			if err := tx.IndexTranscriptWords(ctx, a.ID, c.ID, role, words); err != nil {
				return err
			}
			if fail {
				return apierr.InvalidParameter("rolled back on purpose")
			}
			return nil
		})
	}
	found := func(role, text string) bool {
		t.Helper()
		q := contact.Query{Limit: 10, Transcript: []contact.TranscriptCriterion{{ParticipantRole: role, Texts: [][]string{contact.TranscriptWords(text)}}}}
		var n int
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			cs, err := tx.SearchContacts(ctx, a.ID, q)
			n = len(cs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	rows := func() int {
		r := h.Query(t, s, `SELECT COUNT(*) FROM contact_transcript_index WHERE instance_id = ?`, a.ID)
		defer r.Close()
		var n int
		if r.Next() {
			if err := r.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}

	if err := index(chat.RoleCustomer, true, "refund", "parcel"); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Fatalf("failing change = %v", err)
	}
	if found(contact.TranscriptRoleCustomer, "refund") || rows() != 0 {
		t.Fatalf("words of a rolled-back change are in the index (%d rows)", rows())
	}
	for range 2 {
		if err := index(chat.RoleCustomer, false, "refund", "parcel"); err != nil {
			t.Fatal(err)
		}
	}
	if err := index(chat.RoleAgent, false, "parcel"); err != nil {
		t.Fatal(err)
	}
	if !found(contact.TranscriptRoleCustomer, "refund parcel") || !found(contact.TranscriptRoleAgent, "parcel") || found(contact.TranscriptRoleAgent, "refund") {
		t.Error("the index does not hold what the committed changes wrote")
	}
	if got := rows(); got != 3 {
		t.Errorf("%d index rows, want 3 (customer: refund, parcel; agent: parcel)", got)
	}
	// A later change that fails leaves the words committed before in place.
	if err := index(chat.RoleCustomer, true, "refund", "late"); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
		t.Fatalf("failing change = %v", err)
	}
	if !found(contact.TranscriptRoleCustomer, "refund") || found(contact.TranscriptRoleCustomer, "late") {
		t.Error("a failed change altered the index")
	}
}
