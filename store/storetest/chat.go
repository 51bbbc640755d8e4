package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/store"
)

func chatTime(sec int) time.Time {
	return time.Date(2026, 11, 21, 10, 0, sec, 0, time.UTC)
}

func sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testChat(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := newInstance("chat-a"), newInstance("chat-b")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	for _, inst := range []instance.Instance{a, b} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
			t.Fatal(err)
		}
	}
	mkChat := func(inst, contact string, expires time.Time) chat.Chat {
		return chat.Chat{InstanceID: inst, ContactID: contact, InitialContactID: contact,
			SupportedContentTypes: []string{chat.ContentTypePlain, chat.ContentTypeMarkdown},
			CreatedTime:           chatTime(0), ExpiresTime: expires}
	}
	c1 := mkChat(a.ID, "c1", chatTime(3600))
	for _, c := range []chat.Chat{c1, mkChat(a.ID, "c2", chatTime(3600)), mkChat(a.ID, "expired", chatTime(10)), mkChat(b.ID, "c1", chatTime(3600))} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChat(ctx, c) }); err != nil {
			t.Fatalf("CreateChat %s/%s: %v", c.InstanceID, c.ContactID, err)
		}
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChat(ctx, c1) }), apierr.CodeDuplicateResource)
	view := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.View(ctx, nil, fn) }

	var got chat.Chat
	if err := view(func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetChat(ctx, a.ID, "c1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c1, got); diff != "" {
		t.Errorf("GetChat (-want +got):\n%s", diff)
	}
	wantCode(t, view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetChat(ctx, a.ID, "nope"); return err }), apierr.CodeResourceNotFound)

	// Participants and tokens, by hash only.
	alice := chat.Participant{InstanceID: a.ID, ContactID: "c1", ParticipantID: "p-alice", Role: chat.RoleCustomer,
		DisplayNameCiphertext: []byte("sealed-alice"), TokenHash: sum("alice-token"), JoinedTime: chatTime(1), TokenExpiry: chatTime(3600)}
	bob := chat.Participant{InstanceID: a.ID, ContactID: "c1", ParticipantID: "p-bob", Role: chat.RoleAgent,
		DisplayNameCiphertext: []byte("sealed-bob"), TokenHash: sum("bob-token"), JoinedTime: chatTime(2), TokenExpiry: chatTime(3600)}
	sys := chat.Participant{InstanceID: a.ID, ContactID: "c1", ParticipantID: "p-sys", Role: chat.RoleSystem,
		DisplayNameCiphertext: []byte("sealed-sys"), JoinedTime: chatTime(3), TokenExpiry: chatTime(3600)}
	sys2 := sys
	sys2.ContactID, sys2.ParticipantID = "c2", "p-sys2" // two participants without a token
	for _, p := range []chat.Participant{alice, bob, sys, sys2} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChatParticipant(ctx, p) }); err != nil {
			t.Fatalf("CreateChatParticipant %s: %v", p.ParticipantID, err)
		}
	}
	var byToken chat.Participant
	if err := view(func(ctx context.Context, tx store.Tx) error {
		var err error
		byToken, err = tx.ChatParticipantByToken(ctx, sum("alice-token"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(alice, byToken); diff != "" {
		t.Errorf("ChatParticipantByToken (-want +got):\n%s", diff)
	}
	wantCode(t, view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ChatParticipantByToken(ctx, sum("nope"))
		return err
	}),
		apierr.CodeResourceNotFound)
	wantCode(t, view(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetChatParticipant(ctx, b.ID, "p-alice")
		return err
	}),
		apierr.CodeResourceNotFound)
	var list []chat.Participant
	if err := view(func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListChatParticipants(ctx, a.ID, "c1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ParticipantID != "p-alice" || list[1].ParticipantID != "p-bob" || list[2].ParticipantID != "p-sys" || list[2].TokenHash != nil {
		t.Errorf("ListChatParticipants = %+v", list)
	}

	// Connections: an expired one is pruned by the next; leaving revokes all.
	conn := func(tok string, created, expires time.Time) chat.Connection {
		return chat.Connection{TokenHash: sum(tok), Kind: chat.ConnectionCredentials, InstanceID: a.ID, ContactID: "c1",
			ParticipantID: "p-alice", CreatedTime: created, ExpiresTime: expires}
	}
	lookup := func(tok string) (chat.Connection, error) {
		var c chat.Connection
		err := view(func(ctx context.Context, tx store.Tx) error {
			var err error
			c, err = tx.ChatConnectionByToken(ctx, sum(tok))
			return err
		})
		return c, err
	}
	old, cur := conn("old", chatTime(1), chatTime(5)), conn("cur", chatTime(10), chatTime(100))
	for _, c := range []chat.Connection{old, cur} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChatConnection(ctx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lookup("old"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("expired connection still stored: %v", err)
	}
	if c, err := lookup("cur"); err != nil || !cmp.Equal(c, cur) {
		t.Errorf("ChatConnectionByToken = %+v, %v; want %+v", c, err, cur)
	}
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetChatParticipantLeft(ctx, a.ID, "p-alice", chatTime(50))
	}); err != nil {
		t.Fatal(err)
	}
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetChatParticipantLeft(ctx, a.ID, "p-alice", chatTime(60))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := lookup("cur"); !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("connection survived its participant leaving: %v", err)
	}
	if err := view(func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetChatParticipant(ctx, a.ID, "p-alice")
		if err == nil && !p.LeftTime.Equal(chatTime(50)) {
			err = fmt.Errorf("LeftTime = %v, want the first %v", p.LeftTime, chatTime(50))
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetChatParticipantLeft(ctx, b.ID, "p-bob", chatTime(50))
	}),
		apierr.CodeResourceNotFound)

	// Items: a sequence per contact, interleaved contacts do not share it.
	const n = 25
	item := func(inst, contact string, i int) chat.StoredItem {
		return chat.StoredItem{InstanceID: inst, ContactID: contact, ID: fmt.Sprintf("%s-%s-item-%02d", inst[len(inst)-4:], contact, i),
			Type: chat.TypeMessage, ContentType: chat.ContentTypePlain, ParticipantID: "p-bob", ParticipantRole: chat.RoleAgent,
			ContentCiphertext: []byte{byte(i)}, AbsoluteTime: chatTime(100 + i), ClientToken: fmt.Sprintf("ct-%s-%d", contact, i)}
	}
	var want []chat.StoredItem
	for i := 1; i <= n; i++ {
		for _, contact := range []string{"c1", "c2"} {
			it := item(a.ID, contact, i)
			var seq int64
			if err := up(func(ctx context.Context, tx store.Tx) error {
				var err error
				seq, err = tx.AppendChatItem(ctx, it)
				return err
			}); err != nil {
				t.Fatalf("AppendChatItem %s: %v", it.ID, err)
			}
			if seq != int64(i) {
				t.Fatalf("AppendChatItem %s: seq %d, want %d", it.ID, seq, i)
			}
			it.Seq = seq
			if contact == "c1" {
				want = append(want, it)
			}
		}
	}
	dup := item(a.ID, "c1", 3)
	dup.ID = "another-id"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { _, err := tx.AppendChatItem(ctx, dup); return err }), apierr.CodeDuplicateResource)
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppendChatItem(ctx, item(a.ID, "nope", 1))
		return err
	}), apierr.CodeResourceNotFound)
	if err := view(func(ctx context.Context, tx store.Tx) error {
		it, err := tx.ChatItemByClientToken(ctx, a.ID, "p-bob", "ct-c1-3")
		if err == nil && !cmp.Equal(it, want[2]) {
			err = fmt.Errorf("ChatItemByClientToken = %+v, want %+v", it, want[2])
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	var last chat.Chat
	_ = view(func(ctx context.Context, tx store.Tx) error {
		var err error
		last, err = tx.GetChat(ctx, a.ID, "c1")
		return err
	})
	if last.LastSeq != n {
		t.Errorf("LastSeq = %d, want %d", last.LastSeq, n)
	}

	// Pages forward from 1 and backward from the newest give the items in order.
	page := func(from int64, forward bool, limit int) []chat.StoredItem {
		var out []chat.StoredItem
		if err := view(func(ctx context.Context, tx store.Tx) error {
			var err error
			out, err = tx.ListChatItems(ctx, chat.ItemQuery{InstanceID: a.ID, ContactID: "c1", FromSeq: from, Forward: forward, Limit: limit})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var fwd []chat.StoredItem
	for from := int64(1); ; {
		p := page(from, true, 10)
		fwd = append(fwd, p...)
		if len(p) < 10 {
			break
		}
		from = p[len(p)-1].Seq + 1
	}
	if diff := cmp.Diff(want, fwd); diff != "" {
		t.Errorf("forward pages (-want +got):\n%s", diff)
	}
	var back []chat.StoredItem
	for from := int64(math.MaxInt64); ; {
		p := page(from, false, 7)
		back = append(back, p...)
		if len(p) < 7 {
			break
		}
		from = p[len(p)-1].Seq - 1
	}
	if len(back) != n || back[0].Seq != n || back[n-1].Seq != 1 {
		t.Errorf("backward pages: %d items from %d to %d", len(back), back[0].Seq, back[len(back)-1].Seq)
	}
	// Instance B sees none of A's items.
	if err := view(func(ctx context.Context, tx store.Tx) error {
		out, err := tx.ListChatItems(ctx, chat.ItemQuery{InstanceID: b.ID, ContactID: "c1", FromSeq: 1, Forward: true, Limit: 100})
		if err == nil && len(out) != 0 {
			err = fmt.Errorf("instance B lists %d items of A", len(out))
		}
		if err == nil {
			_, err = tx.GetChatItem(ctx, b.ID, "c1", want[0].ID)
			if apierr.HasCode(err, apierr.CodeResourceNotFound) {
				err = nil
			} else {
				err = fmt.Errorf("GetChatItem across instances: %v", err)
			}
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		at      time.Time
		forward bool
		want    int64
	}{
		{chatTime(105), true, 5}, {chatTime(105), false, 5}, {chatTime(0), true, 1}, {chatTime(0), false, 0},
		{chatTime(500), true, 0}, {chatTime(500), false, n},
	} {
		var got int64
		_ = view(func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.ChatItemSeqAt(ctx, a.ID, "c1", tc.at, tc.forward)
			return err
		})
		if got != tc.want {
			t.Errorf("ChatItemSeqAt(%v, forward=%v) = %d, want %d", tc.at, tc.forward, got, tc.want)
		}
	}

	// Active chats: c1, c2 (not "expired", not B's); ending c1 leaves c2.
	count := func() int {
		var n int
		_ = view(func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.CountActiveChats(ctx, a.ID, chatTime(60))
			return err
		})
		return n
	}
	if got := count(); got != 2 {
		t.Errorf("CountActiveChats = %d, want 2", got)
	}
	for _, at := range []time.Time{chatTime(200), chatTime(300)} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.EndChat(ctx, a.ID, "c1", at) }); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != 1 {
		t.Errorf("CountActiveChats after EndChat = %d, want 1", got)
	}
	_ = view(func(ctx context.Context, tx store.Tx) error {
		var err error
		last, err = tx.GetChat(ctx, a.ID, "c1")
		return err
	})
	if !last.EndedTime.Equal(chatTime(200)) {
		t.Errorf("EndedTime = %v, want the first %v", last.EndedTime, chatTime(200))
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppendChatItem(ctx, item(a.ID, "c1", 99))
		return err
	}),
		apierr.CodeAccessDenied)
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.EndChat(ctx, b.ID, "c2", chatTime(1)) }), apierr.CodeResourceNotFound)

	// Deleting the instance deletes its chats.
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, a.ID) }); err != nil {
		t.Fatal(err)
	}
	rows := h.Query(t, s, `SELECT COUNT(*) FROM chat_items WHERE instance_id = ?`, a.ID)
	defer rows.Close()
	var left int
	if !rows.Next() || rows.Scan(&left) != nil || left != 0 {
		t.Errorf("%d chat items left after DeleteInstance", left)
	}
}

// testChatService runs the chat service over the engine and checks what lands on disk:
// content and display names sealed, tokens only as SHA-256, card numbers never in clear.
func testChatService(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	inst := newInstance("chat-svc")
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids int
	svc, err := chat.New(chat.Config{Store: store.ChatTransactor(s), Secrets: keyring.NewEnvelope(kr, nil), NewID: func() string {
		ids++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", ids)
	}})
	if err != nil {
		t.Fatal(err)
	}
	const (
		name   = "Alice Wonderland"
		card   = "4111 1111 1111 1111"
		phrase = "my card is"
	)
	started, err := svc.StartChat(ctx, chat.StartRequest{InstanceID: inst.ID, ContactID: "contact-1", CustomerDisplayName: name})
	if err != nil {
		t.Fatalf("StartChat: %v", err)
	}
	conn, err := svc.Connect(ctx, nil, chat.ConnectRequest{ParticipantToken: started.ParticipantToken.Reveal(), WebSocket: true, Credentials: true})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	tok := conn.ConnectionToken.Reveal()
	if _, err := svc.SendMessage(ctx, nil, chat.SendRequest{ConnectionToken: tok, ContentType: chat.ContentTypePlain,
		Content: phrase + " " + card}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	tr, err := svc.GetTranscript(ctx, nil, chat.TranscriptRequest{ConnectionToken: tok, SortOrder: "ASCENDING"})
	if err != nil {
		t.Fatalf("GetTranscript: %v", err)
	}
	if len(tr.Items) != 2 || tr.Items[1].Content != phrase+" [CARD]" || tr.Items[0].DisplayName != name {
		t.Errorf("transcript = %+v", tr.Items)
	}

	secrets := []string{name, card, "4111111111111111", phrase, started.ParticipantToken.Reveal(), tok, conn.WebSocketToken.Reveal()}
	scan := func(table string, cols ...string) {
		rows := h.Query(t, s, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+` WHERE instance_id = ?`, inst.ID)
		defer rows.Close()
		seen := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			seen++
			for i, v := range vals {
				var b []byte
				switch v := v.(type) {
				case []byte:
					b = v
				case string:
					b = []byte(v)
				case nil:
					continue
				default:
					b = fmt.Append(nil, v)
				}
				for _, sec := range secrets {
					if bytes.Contains(b, []byte(sec)) {
						t.Errorf("%s.%s holds %q in clear", table, cols[i], sec)
					}
				}
				if (cols[i] == "content" || cols[i] == "display_name") && !bytes.HasPrefix(b, []byte(keyring.Magic)) {
					t.Errorf("%s.%s is not a sealed value: %q", table, cols[i], b)
				}
				if cols[i] == "token_hash" && len(b) != sha256.Size {
					t.Errorf("%s.token_hash is %d bytes, want a SHA-256", table, len(b))
				}
			}
		}
		if seen == 0 {
			t.Errorf("no rows in %s", table)
		}
	}
	scan("chat_items", "id", "type", "content_type", "participant_id", "content", "client_token")
	scan("chat_participants", "participant_id", "display_name", "token_hash")
	scan("chat_connections", "token_hash", "kind", "participant_id")
	scan("chats", "contact_id", "supported_content_types")
}
