package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// testTranscriptSearch: chat contacts are found by the words their participants of a role
// wrote, through the keyed transcript index: every word of a text, all or any texts, all or
// any criteria, within their instance only; a word is kept once per contact and role, in no
// row in clear; the rows go with their chat's instance. ChatTranscriptSummary counts the
// messages of a transcript by role.
func testTranscriptSearch(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "trsearch-a"), newInstance("trsearch-b")
	b.DeletionProtected = false
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, b) }); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	type said struct {
		role  chat.Role
		words []string
	}
	transcripts := [][]said{
		{{chat.RoleCustomer, []string{"my", "parcel", "has", "not", "arrived"}}, {chat.RoleAgent, []string{"sorry", "refund"}},
			{chat.RoleSystem, []string{"thank", "you", "for", "contacting", "us"}}, {chat.RoleCustomer, []string{"parcel", "please"}}},
		{{chat.RoleCustomer, []string{"refund", "please"}}, {chat.RoleAgent, []string{"parcel"}}},
		{{chat.RoleCustomer, []string{"parcel", "arrived", "thanks"}}},
	}
	var ids []string
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for i, tr := range transcripts {
			for _, inst := range []string{a.ID, b.ID} {
				c := sampleContact(inst, 400+i, base.Add(time.Duration(i)*time.Minute))
				c.Channel = contact.ChannelChat
				if err := tx.CreateContact(ctx, c); err != nil {
					return err
				}
				if err := tx.CreateChat(ctx, chat.Chat{InstanceID: inst, ContactID: c.ID, InitialContactID: c.ID,
					SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: c.InitiationTimestamp,
					ExpiresTime: c.InitiationTimestamp.Add(time.Hour)}); err != nil {
					return err
				}
				if inst == b.ID {
					// Instance B's contacts all say "parcel" and "refund" as customers.
					tr = []said{{chat.RoleCustomer, []string{"parcel", "refund"}}}
				} else {
					ids = append(ids, c.ID)
				}
				for _, m := range tr {
					if err := tx.IndexTranscriptWords(ctx, inst, c.ID, m.role, m.words); err != nil {
						return err
					}
				}
			}
		}
		// A task has no chat, and so no transcript to index.
		task := sampleContact(a.ID, 499, base.Add(time.Hour))
		return tx.CreateContact(ctx, task)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return tx.IndexTranscriptWords(ctx, a.ID, sampleContact(a.ID, 499, base).ID, chat.RoleCustomer, []string{"orphan"})
	}); err == nil {
		t.Error("IndexTranscriptWords for a contact without a chat succeeded")
	}
	search := func(inst string, q contact.Query) []string {
		t.Helper()
		q.Limit = 100
		var got []string
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			cs, err := tx.SearchContacts(ctx, inst, q)
			for _, c := range cs {
				got = append(got, c.ID)
			}
			return err
		}); err != nil {
			t.Fatalf("SearchContacts: %v", err)
		}
		return got
	}
	crit := func(role string, matchAny bool, texts ...string) contact.TranscriptCriterion {
		c := contact.TranscriptCriterion{ParticipantRole: role, MatchAny: matchAny}
		for _, tx := range texts {
			c.Texts = append(c.Texts, contact.TranscriptWords(tx))
		}
		return c
	}
	by := func(any bool, cs ...contact.TranscriptCriterion) contact.Query {
		return contact.Query{Transcript: cs, TranscriptMatchAny: any}
	}
	const cust, agent, sys = contact.TranscriptRoleCustomer, contact.TranscriptRoleAgent, contact.TranscriptRoleSystem
	for name, tc := range map[string]struct {
		got, want []string
	}{
		"one word":                      {search(a.ID, by(false, crit(cust, false, "parcel"))), []string{ids[0], ids[2]}},
		"another role's words":          {search(a.ID, by(false, crit(agent, false, "parcel"))), []string{ids[1]}},
		"every word of a text":          {search(a.ID, by(false, crit(cust, false, "Parcel arrived!"))), []string{ids[0], ids[2]}},
		"words from several messages":   {search(a.ID, by(false, crit(cust, false, "arrived please"))), []string{ids[0]}},
		"a word missing":                {search(a.ID, by(false, crit(cust, false, "parcel refund"))), nil},
		"all texts":                     {search(a.ID, by(false, crit(cust, false, "parcel", "thanks"))), []string{ids[2]}},
		"any text":                      {search(a.ID, by(false, crit(cust, true, "thanks", "refund"))), []string{ids[1], ids[2]}},
		"all criteria":                  {search(a.ID, by(false, crit(cust, false, "refund"), crit(agent, false, "parcel"))), []string{ids[1]}},
		"any criterion":                 {search(a.ID, by(true, crit(cust, false, "thanks"), crit(agent, false, "sorry"))), []string{ids[0], ids[2]}},
		"system messages":               {search(a.ID, by(false, crit(sys, false, "thank you for contacting us"))), []string{ids[0]}},
		"a role without participants":   {search(a.ID, by(false, crit(contact.TranscriptRoleSupervisor, false, "parcel"))), nil},
		"a criterion without texts":     {search(a.ID, by(false, contact.TranscriptCriterion{ParticipantRole: cust})), nil},
		"a text without words":          {search(a.ID, by(false, contact.TranscriptCriterion{ParticipantRole: cust, Texts: [][]string{nil}})), nil},
		"with other criteria":           {search(a.ID, contact.Query{Start: base.Add(time.Minute), Transcript: []contact.TranscriptCriterion{crit(cust, false, "parcel")}}), []string{ids[2]}},
		"instance B's words stay there": {search(a.ID, by(false, crit(cust, false, "refund"))), []string{ids[1]}},
		"from instance B":               {len3(search(b.ID, by(false, crit(cust, false, "parcel refund")))), []string{"3 contacts"}},
		"unknown word":                  {search(a.ID, by(false, crit(cust, false, "4539"))), nil},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	// Every row is a keyed hash: no word in clear, one row per contact, role and word.
	rows := h.Query(t, s, `SELECT term, participant_role FROM contact_transcript_index WHERE instance_id = ?`, a.ID)
	n := 0
	for rows.Next() {
		var term, role string
		if err := rows.Scan(&term, &role); err != nil {
			rows.Close()
			t.Fatal(err)
		}
		n++
		if len(term) != 43 || strings.ContainsAny(term, " =+/") {
			t.Errorf("index term %q is not a base64url HMAC-SHA256", term)
		}
		for _, w := range []string{"parcel", "refund", "arrived", "please", "thank", "contacting"} {
			if strings.Contains(term, w) {
				t.Errorf("index term %q holds %q in clear", term, w)
			}
		}
	}
	rows.Close()
	// c0: customer 6 distinct (my parcel has not arrived please), agent 2, system 5; c1: 2 + 1;
	// c2: 3.
	if n != 19 {
		t.Errorf("%d index rows in instance A, want 19", n)
	}

	// The summary counts messages by role; events are items, not messages.
	msg := func(id string, role chat.Role, typ chat.ItemType, sec int) chat.StoredItem {
		return chat.StoredItem{InstanceID: a.ID, ContactID: ids[0], ID: id, Type: typ, ContentType: chat.ContentTypePlain,
			ParticipantID: "p-" + string(role), ParticipantRole: role, ContentCiphertext: []byte{1}, AbsoluteTime: base.Add(time.Duration(sec) * time.Second)}
	}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		for _, it := range []chat.StoredItem{msg("e1", chat.RoleCustomer, chat.TypeEvent, 1), msg("m1", chat.RoleSystem, chat.TypeMessage, 2),
			msg("m2", chat.RoleCustomer, chat.TypeMessage, 3), msg("m3", chat.RoleAgent, chat.TypeMessage, 4), msg("m4", chat.RoleCustomer, chat.TypeMessage, 65)} {
			if _, err := tx.AppendChatItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	summary := func(inst, id string) (chat.TranscriptSummary, error) {
		var sum chat.TranscriptSummary
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			sum, err = tx.ChatTranscriptSummary(ctx, inst, id)
			return err
		})
		return sum, err
	}
	got, err := summary(a.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	want := chat.TranscriptSummary{Items: 5, AgentMessages: 1, CustomerMessages: 2, SystemMessages: 1, First: base.Add(time.Second), Last: base.Add(65 * time.Second)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChatTranscriptSummary (-want +got):\n%s", diff)
	}
	if got, err := summary(a.ID, ids[1]); err != nil || got != (chat.TranscriptSummary{}) {
		t.Errorf("summary of a transcript without items = %+v, %v; want zero", got, err)
	}
	_, err = summary(a.ID, sampleContact(a.ID, 499, base).ID)
	wantCode(t, err, apierr.CodeResourceNotFound)
	_, err = summary(b.ID, "c0000000-0000-4000-8000-999999999999")
	wantCode(t, err, apierr.CodeResourceNotFound)

	// The rows go with the instance (through its chats).
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, b.ID) }); err != nil {
		t.Fatal(err)
	}
	rows = h.Query(t, s, `SELECT COUNT(*) FROM contact_transcript_index WHERE instance_id = ?`, b.ID)
	defer rows.Close()
	var left int
	if rows.Next() {
		if err := rows.Scan(&left); err != nil {
			t.Fatal(err)
		}
	}
	if left != 0 {
		t.Errorf("%d index rows of a deleted instance", left)
	}
}

// len3 reduces a result that must hold three contacts to a comparable summary.
func len3(ids []string) []string {
	if len(ids) == 3 {
		return []string{"3 contacts"}
	}
	return ids
}
