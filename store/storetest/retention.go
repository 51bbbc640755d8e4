package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// contactFixture is a chat contact stored with every kind of per-contact data the store
// keeps, and the values that only its rows hold.
type contactFixture struct {
	InstanceID, ID string
	// Needles are its contact ID, participant IDs, item IDs and ClientToken (text), and the
	// hashes of its participant and connection tokens (binary).
	Needles [][]byte
}

// writeContactFixture stores a CHAT contact of inst initiated at at, in state, with: an
// agent (the handled-contact index), attributes (sealed, and in the attribute index),
// references, a flow session, a flow log entry, a contact record when ENDED, a chat with a
// customer and an agent participant, a connection token, two messages (one with a client
// token), transcript index entries of both roles, and a ClientToken of StartChatContact.
// The chat is ended when chatEnded.
func writeContactFixture(t *testing.T, s store.Store, inst string, at time.Time, state contact.State, chatEnded bool) contactFixture {
	t.Helper()
	n := seq.Add(1)
	id := fmt.Sprintf("r0000000-0000-4000-8000-%012d", n)
	customer, agentP := fmt.Sprintf("pc000000-0000-4000-8000-%012d", n), fmt.Sprintf("pa000000-0000-4000-8000-%012d", n)
	item1, item2 := fmt.Sprintf("i1000000-0000-4000-8000-%012d", n), fmt.Sprintf("i2000000-0000-4000-8000-%012d", n)
	clientToken := fmt.Sprintf("retry-%d-of-the-retention-fixture", n)
	f := contactFixture{InstanceID: inst, ID: id, Needles: [][]byte{[]byte(id), []byte(customer), []byte(agentP), []byte(item1), []byte(item2),
		[]byte(clientToken), sum(id + "/customer"), sum(id + "/agent"), sum(id + "/connection")}}
	c := sampleContact(inst, 0, at)
	c.ID, c.Channel, c.State = id, contact.ChannelChat, state
	c.Agent = contact.AgentInfo{AgentID: "agent-retention", ConnectedToAgentTimestamp: at.Add(time.Second)}
	c.Attributes = map[string]string{"tier": "gold", "order": fmt.Sprintf("A-%d", n)}
	c.References = map[string]contact.Reference{"ticket": {Type: "URL", Value: "https://example.com/t/" + id}}
	if state == contact.StateEnded {
		c.DisconnectTimestamp = at.Add(time.Minute)
	}
	err := s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		steps := []func() error{
			func() error { return tx.CreateContact(ctx, c) },
			func() error { return tx.IndexAttributes(ctx, inst, id, c.Attributes) },
			func() error { return tx.PutFlowSession(ctx, inst, id, []byte(`{"ContactId":"`+id+`"}`)) },
			func() error {
				return tx.AppendFlowLogs(ctx, inst, id, at, [][]byte{[]byte(`{"ContactId":"` + id + `","ContactFlowModuleType":"SetAttributes"}`)})
			},
			func() error {
				return tx.CreateChat(ctx, chat.Chat{InstanceID: inst, ContactID: id, InitialContactID: id,
					SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: at, ExpiresTime: at.Add(25 * time.Hour)})
			},
			func() error {
				return tx.CreateChatParticipant(ctx, chat.Participant{InstanceID: inst, ContactID: id, ParticipantID: customer, Role: chat.RoleCustomer,
					DisplayNameCiphertext: []byte("sealed-name"), TokenHash: sum(id + "/customer"), JoinedTime: at, TokenExpiry: at.Add(25 * time.Hour)})
			},
			func() error {
				return tx.CreateChatParticipant(ctx, chat.Participant{InstanceID: inst, ContactID: id, ParticipantID: agentP, Role: chat.RoleAgent,
					DisplayNameCiphertext: []byte("sealed-name"), TokenHash: sum(id + "/agent"), JoinedTime: at.Add(time.Second), TokenExpiry: at.Add(25 * time.Hour)})
			},
			func() error {
				return tx.CreateChatConnection(ctx, chat.Connection{TokenHash: sum(id + "/connection"), Kind: chat.ConnectionCredentials, InstanceID: inst,
					ContactID: id, ParticipantID: customer, CreatedTime: at, ExpiresTime: at.Add(25 * time.Hour)})
			},
			func() error {
				_, err := tx.AppendChatItem(ctx, chat.StoredItem{InstanceID: inst, ContactID: id, ID: item1, Type: chat.TypeMessage,
					ContentType: chat.ContentTypePlain, ParticipantID: customer, ParticipantRole: chat.RoleCustomer,
					ContentCiphertext: []byte("sealed-message"), AbsoluteTime: at.Add(2 * time.Second), ClientToken: "msg-" + clientToken})
				return err
			},
			func() error {
				_, err := tx.AppendChatItem(ctx, chat.StoredItem{InstanceID: inst, ContactID: id, ID: item2, Type: chat.TypeMessage,
					ContentType: chat.ContentTypePlain, ParticipantID: agentP, ParticipantRole: chat.RoleAgent,
					ContentCiphertext: []byte("sealed-answer"), AbsoluteTime: at.Add(3 * time.Second)})
				return err
			},
			func() error {
				return tx.IndexTranscriptWords(ctx, inst, id, chat.RoleCustomer, []string{"parcel", "late"})
			},
			func() error { return tx.IndexTranscriptWords(ctx, inst, id, chat.RoleAgent, []string{"refund"}) },
			func() error {
				// notBefore zero: storing it expires no other token.
				return tx.PutClientToken(ctx, contact.ClientToken{InstanceID: inst, Operation: "StartChatContact", Token: clientToken, ContactID: id,
					ParticipantID: customer, ParticipantToken: secret.New("participant-token"), CreatedTime: at}, time.Time{})
			},
			func() error {
				if !chatEnded {
					return nil
				}
				return tx.EndChat(ctx, inst, id, at.Add(time.Minute))
			},
			func() error {
				if state != contact.StateEnded {
					return nil
				}
				return tx.AppendContactRecord(ctx, contact.RecordEntry{InstanceID: inst, ContactID: id, LastUpdate: at.Add(time.Minute),
					Initiated: at, Body: []byte(`{"ContactId":"` + id + `"}`)})
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write contact fixture %s: %v", id, err)
	}
	return f
}

// mentions returns, for every column of every table of the schema but the audit chain
// (immutable, kept by its own retention), how many rows hold one of needles inside a text or
// binary value, as "table.column" → rows; columns without any are left out.
func mentions(t *testing.T, h Harness, s store.Store, needles [][]byte) map[string]int {
	t.Helper()
	db := s.(*sqlstore.Store)
	cols, err := db.SchemaColumns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byTable := map[string][]string{}
	for _, c := range cols {
		if c.Table != "audit_events" {
			byTable[c.Table] = append(byTable[c.Table], c.Column)
		}
	}
	query := rawQuery(t, h, s)
	out := map[string]int{}
	for table, names := range byTable {
		rows, err := query(`SELECT ` + strings.Join(names, ", ") + ` FROM ` + table)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, r := range rows {
			for i, v := range r {
				var b []byte
				switch v := v.(type) {
				case []byte:
					b = v
				case string:
					b = []byte(v)
				default:
					continue
				}
				for _, n := range needles {
					if bytes.Contains(b, n) {
						out[table+"."+names[i]]++
						break
					}
				}
			}
		}
	}
	return out
}

// openChatCounts returns, per instance, the stored count of open chats (chat_open_counts)
// and the count of chats not ended, which the triggers keep equal.
func openChatCounts(t *testing.T, h Harness, s store.Store, instances ...string) map[string][2]int {
	t.Helper()
	out := map[string][2]int{}
	for _, inst := range instances {
		var kept, counted int
		rows := h.Query(t, s, `SELECT COALESCE((SELECT open_chats FROM chat_open_counts WHERE instance_id = ?), 0),
			(SELECT COUNT(*) FROM chats WHERE instance_id = ? AND ended_at_ms IS NULL)`, inst, inst)
		if !rows.Next() {
			t.Fatalf("open chat counts: %v", rows.Err())
		}
		if err := rows.Scan(&kept, &counted); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		out[inst] = [2]int{kept, counted}
	}
	return out
}

// testRetention: DeleteContactsBefore deletes, in batches of limit across instances, the
// ENDED contacts initiated before the cut with every row of theirs in every table (a scan of
// the whole schema finds none of their IDs, tokens or hashes afterwards), then the records of
// contacts no longer stored; contacts not ended, or initiated at or after the cut, keep every
// row; the open-chat counts stay exact; a limit out of range is refused.
func testRetention(t *testing.T, h Harness) {
	if h.Query == nil {
		t.Skip("the harness has no Query")
	}
	ctx := context.Background()
	s := h.Open(t)
	if _, ok := s.(*sqlstore.Store); !ok {
		t.Skip("not a sqlstore.Store")
	}
	a, b := createInstance(t, s, "retention-a"), createInstance(t, s, "retention-b")
	gone := newInstance("retention-gone")
	gone.DeletionProtected = false
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, gone) }); err != nil {
		t.Fatal(err)
	}
	horizon := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	old := horizon.AddDate(-2, 0, 0)

	due := []contactFixture{
		writeContactFixture(t, s, a.ID, old, contact.StateEnded, true),
		writeContactFixture(t, s, a.ID, horizon.Add(-time.Millisecond), contact.StateEnded, true),
		// Its chat was never ended: the open-chat count must drop with it.
		writeContactFixture(t, s, b.ID, old.Add(time.Hour), contact.StateEnded, false),
	}
	kept := []contactFixture{
		writeContactFixture(t, s, a.ID, old, contact.StateConnected, false),
		writeContactFixture(t, s, a.ID, old, contact.StateAfterContactWork, true),
		writeContactFixture(t, s, b.ID, old, contact.StateQueued, false),
		writeContactFixture(t, s, a.ID, horizon, contact.StateEnded, true),
		writeContactFixture(t, s, b.ID, horizon.Add(time.Hour), contact.StateEnded, true),
	}
	// An instance deleted with its contact leaves the contact's record in the outbox; a
	// record of a contact no longer stored goes when it is past the cut, not before.
	inGone := writeContactFixture(t, s, gone.ID, old, contact.StateEnded, true)
	lateOrphan := contact.RecordEntry{InstanceID: gone.ID, ContactID: "r0000000-0000-4000-8000-0000late0rphan", LastUpdate: horizon.Add(time.Hour),
		Initiated: horizon, Body: []byte(`{}`)}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AppendContactRecord(ctx, lateOrphan); err != nil {
			return err
		}
		return tx.DeleteInstance(ctx, gone.ID)
	}); err != nil {
		t.Fatal(err)
	}
	if got := mentions(t, h, s, inGone.Needles); !cmp.Equal(got, map[string]int{"contact_records.contact_id": 1}) {
		t.Fatalf("after the instance was deleted, its contact is in %v; want only its record", got)
	}

	// Every table holding per-contact data is populated, so the scan below covers it.
	var dueNeedles, keptNeedles [][]byte
	for _, f := range due {
		dueNeedles = append(dueNeedles, f.Needles...)
	}
	for _, f := range kept {
		keptNeedles = append(keptNeedles, f.Needles...)
	}
	before := mentions(t, h, s, dueNeedles)
	for col := range sqlstore.ContactColumns() {
		if how := sqlstore.ContactColumns()[col]; !strings.HasPrefix(how, "kept") && before[col] == 0 {
			t.Errorf("the fixture stores nothing in %s: the scan would not prove it is deleted", col)
		}
	}
	keptBefore := mentions(t, h, s, keptNeedles)
	countsBefore := openChatCounts(t, h, s, a.ID, b.ID)
	if countsBefore[b.ID] != [2]int{2, 2} {
		t.Fatalf("open chats of b before retention (stored, counted) = %v, want [2 2]", countsBefore[b.ID])
	}

	for _, limit := range []int{0, -1, contact.MaxPurgeBatch + 1} {
		err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.DeleteContactsBefore(ctx, horizon, limit)
			return err
		})
		wantCode(t, err, apierr.CodeInvalidParameter)
	}
	var batches []contact.Purged
	for range 5 {
		var p contact.Purged
		if err := s.Update(ctx, ev("Retention"), func(ctx context.Context, tx store.Tx) error {
			var err error
			p, err = tx.DeleteContactsBefore(ctx, horizon, 2)
			return err
		}); err != nil {
			t.Fatalf("DeleteContactsBefore: %v", err)
		}
		batches = append(batches, p)
		if !p.More {
			break
		}
	}
	want := []contact.Purged{{Contacts: 2, More: true}, {Contacts: 1, OrphanRecords: 1}}
	if diff := cmp.Diff(want, batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}

	if left := mentions(t, h, s, dueNeedles); len(left) != 0 {
		t.Errorf("rows of deleted contacts left in %v", sortedKeys(left))
	}
	if left := mentions(t, h, s, inGone.Needles); len(left) != 0 {
		t.Errorf("rows of a deleted instance's contact left in %v", sortedKeys(left))
	}
	if diff := cmp.Diff(keptBefore, mentions(t, h, s, keptNeedles)); diff != "" {
		t.Errorf("rows of kept contacts changed (-before +after):\n%s", diff)
	}
	if got := mentions(t, h, s, [][]byte{[]byte(lateOrphan.ContactID)}); got["contact_records.contact_id"] != 1 {
		t.Errorf("a record of a contact no longer stored, initiated at the cut, was deleted: %v", got)
	}
	for _, f := range kept {
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetContact(ctx, f.InstanceID, f.ID); err != nil {
				return err
			}
			if _, err := tx.GetChat(ctx, f.InstanceID, f.ID); err != nil {
				return err
			}
			_, err := tx.GetFlowSession(ctx, f.InstanceID, f.ID)
			return err
		}); err != nil {
			t.Errorf("kept contact %s: %v", f.ID, err)
		}
	}
	counts := openChatCounts(t, h, s, a.ID, b.ID)
	if diff := cmp.Diff(map[string][2]int{a.ID: countsBefore[a.ID], b.ID: {1, 1}}, counts); diff != "" {
		t.Errorf("open chats (stored, counted) after retention (-want +got):\n%s", diff)
	}
	// Nothing more is due.
	var p contact.Purged
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.DeleteContactsBefore(ctx, horizon, contact.MaxPurgeBatch)
		return err
	}); err != nil || p != (contact.Purged{}) {
		t.Errorf("another batch = %+v, %v; want nothing", p, err)
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, fmt.Sprintf("%s (%d rows)", k, m[k]))
	}
	sort.Strings(out)
	return out
}

// testRetentionColumnsGuard fails when the schema has a column named contact_id or ending in
// _contact_id that the retention registry (store/sqlstore/retention.go contactColumns) does
// not list, or when the registry names a column the schema lacks: a new table of per-contact
// data must say how retention removes it (and testRetention, populated, proves it does).
func testRetentionColumnsGuard(t *testing.T, h Harness) {
	s := h.Open(t)
	db, ok := s.(*sqlstore.Store)
	if !ok {
		t.Skip("not a sqlstore.Store")
	}
	cols, err := db.SchemaColumns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	registry := sqlstore.ContactColumns()
	inSchema := map[string]bool{}
	for _, c := range cols {
		name := c.Table + "." + c.Column
		inSchema[name] = true
		if (c.Column == "contact_id" || strings.HasSuffix(c.Column, "_contact_id")) && registry[name] == "" {
			t.Errorf("column %s holds a contact ID but the retention registry (store/sqlstore/retention.go contactColumns) does not say how its rows go with the contact", name)
		}
	}
	for name := range registry {
		if !inSchema[name] {
			t.Errorf("the retention registry names %s, which the schema lacks", name)
		}
	}
}
