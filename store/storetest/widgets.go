package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// twoInstances creates two instances for a test and returns them.
func twoInstances(t *testing.T, s store.Store, prefix string) (instance.Instance, instance.Instance) {
	t.Helper()
	a, b := newInstance(prefix+"-a"), newInstance(prefix+"-b")
	for _, inst := range []instance.Instance{a, b} {
		if err := s.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

func testApprovedOrigins(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := twoInstances(t, s, "origins")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	origins := []instance.ApprovedOrigin{
		{InstanceID: a.ID, Origin: "https://shop.example.com", CreatedTime: at},
		{InstanceID: a.ID, Origin: "http://127.0.0.1:8080", CreatedTime: at.Add(time.Second)},
		{InstanceID: a.ID, Origin: "https://help.example.com", CreatedTime: at.Add(2 * time.Second)},
	}
	for _, o := range origins {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateApprovedOrigin(ctx, o) }); err != nil {
			t.Fatalf("CreateApprovedOrigin %s: %v", o.Origin, err)
		}
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateApprovedOrigin(ctx, origins[0]) }), apierr.CodeResourceConflict)
	// The same origin in another instance is another row.
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.CreateApprovedOrigin(ctx, instance.ApprovedOrigin{InstanceID: b.ID, Origin: "https://shop.example.com", CreatedTime: at})
	}); err != nil {
		t.Fatal(err)
	}
	list := func(inst, after string, limit int) []instance.ApprovedOrigin {
		t.Helper()
		var got []instance.ApprovedOrigin
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.ListApprovedOrigins(ctx, inst, after, limit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := []instance.ApprovedOrigin{origins[1], origins[2], origins[0]} // lexical order
	if diff := cmp.Diff(want, list(a.ID, "", 10)); diff != "" {
		t.Errorf("ListApprovedOrigins (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:2], list(a.ID, want[0].Origin, 1)); diff != "" {
		t.Errorf("ListApprovedOrigins page 2 (-want +got):\n%s", diff)
	}
	var n int
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.CountApprovedOrigins(ctx, a.ID)
		return err
	}); err != nil || n != 3 {
		t.Errorf("CountApprovedOrigins = %d, %v; want 3", n, err)
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteApprovedOrigin(ctx, b.ID, "https://help.example.com")
	}), apierr.CodeResourceNotFound)
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteApprovedOrigin(ctx, a.ID, "https://shop.example.com")
	}); err != nil {
		t.Fatal(err)
	}
	if got := list(a.ID, "", 10); len(got) != 2 {
		t.Errorf("after delete: %v", got)
	}
	if got := list(b.ID, "", 10); len(got) != 1 {
		t.Errorf("instance B lost its origin: %v", got)
	}
}

func testChatWidgets(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := twoInstances(t, s, "widgets")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	w1 := chat.Widget{InstanceID: a.ID, ID: "w-1", Name: "Support", ContactFlowID: "flow-1", DisplayNamePrompt: "Your name", CreatedTime: at}
	w2 := chat.Widget{InstanceID: a.ID, ID: "w-2", Name: "Billing", ContactFlowID: "flow-2", DisplayNamePrompt: "Name on the account", CreatedTime: at}
	for _, w := range []chat.Widget{w1, w2} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChatWidget(ctx, w) }); err != nil {
			t.Fatalf("CreateChatWidget %s: %v", w.ID, err)
		}
	}
	sameName := w1
	sameName.ID = "w-3"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChatWidget(ctx, sameName) }), apierr.CodeDuplicateResource)
	sameID := w1
	sameID.InstanceID, sameID.Name = b.ID, "Elsewhere"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChatWidget(ctx, sameID) }), apierr.CodeDuplicateResource)
	otherInst := w1
	otherInst.InstanceID, otherInst.ID = b.ID, "w-b"
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChatWidget(ctx, otherInst) }); err != nil {
		t.Fatalf("a widget name is per instance: %v", err)
	}

	var got []chat.Widget
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.ListChatWidgets(ctx, a.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]chat.Widget{w2, w1}, got); diff != "" {
		t.Errorf("ListChatWidgets (-want +got):\n%s", diff)
	}
	var byID chat.Widget
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		byID, err = tx.ChatWidgetByID(ctx, "w-2")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w2, byID); diff != "" {
		t.Errorf("ChatWidgetByID (-want +got):\n%s", diff)
	}
	wantCode(t, s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ChatWidgetByID(ctx, "nope")
		return err
	}), apierr.CodeResourceNotFound)
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteChatWidget(ctx, b.ID, "w-1") }), apierr.CodeResourceNotFound)
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteChatWidget(ctx, a.ID, "w-1") }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ChatWidgetByID(ctx, "w-1")
		return err
	}), apierr.CodeResourceNotFound)
}

func testClientTokens(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := twoInstances(t, s, "tokens")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	notBefore := now.Add(-contact.ClientTokenTTL)
	const participantToken = "participant-token-in-clear-7f3a"
	chatTok := contact.ClientToken{InstanceID: a.ID, Operation: "StartChatContact", Token: "retry-1", ContactID: "c-1",
		ParticipantID: "p-1", ParticipantToken: secret.New(participantToken), CreatedTime: now}
	taskTok := contact.ClientToken{InstanceID: a.ID, Operation: "StartTaskContact", Token: "retry-1", ContactID: "t-1", CreatedTime: now}
	for _, ct := range []contact.ClientToken{chatTok, taskTok} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.PutClientToken(ctx, ct, notBefore) }); err != nil {
			t.Fatalf("PutClientToken %s: %v", ct.Operation, err)
		}
	}
	again := chatTok
	again.ContactID = "c-2"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.PutClientToken(ctx, again, notBefore) }), apierr.CodeDuplicateResource)

	get := func(inst, op, token string, notBefore time.Time) (contact.ClientToken, error) {
		var got contact.ClientToken
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetClientToken(ctx, inst, op, token, notBefore)
			return err
		})
		return got, err
	}
	got, err := get(a.ID, "StartChatContact", "retry-1", notBefore)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContactID != "c-1" || got.ParticipantID != "p-1" || got.ParticipantToken.Reveal() != participantToken || !got.CreatedTime.Equal(now) {
		t.Errorf("GetClientToken = %+v (token %q)", got, got.ParticipantToken.Reveal())
	}
	if got, err := get(a.ID, "StartTaskContact", "retry-1", notBefore); err != nil || got.ContactID != "t-1" || got.ParticipantToken.Reveal() != "" {
		t.Errorf("GetClientToken task = %+v, %v", got, err)
	}
	_, err = get(b.ID, "StartChatContact", "retry-1", notBefore)
	wantCode(t, err, apierr.CodeResourceNotFound)
	// Past its 7 days the token is not found, and a new call may take it.
	later := now.Add(contact.ClientTokenTTL + time.Millisecond)
	_, err = get(a.ID, "StartChatContact", "retry-1", later.Add(-contact.ClientTokenTTL))
	wantCode(t, err, apierr.CodeResourceNotFound)
	again.CreatedTime = later
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.PutClientToken(ctx, again, later.Add(-contact.ClientTokenTTL))
	}); err != nil {
		t.Fatalf("PutClientToken over an expired token: %v", err)
	}
	if got, err := get(a.ID, "StartChatContact", "retry-1", later.Add(-contact.ClientTokenTTL)); err != nil || got.ContactID != "c-2" {
		t.Errorf("after reuse: %+v, %v", got, err)
	}

	// The participant token is sealed at rest.
	rows := h.Query(t, s, `SELECT participant_token FROM contact_client_tokens WHERE instance_id = ?`, a.ID)
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(participantToken)) {
			t.Error("a participant token is stored in clear")
		}
	}
}

func testExpiredChats(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := twoInstances(t, s, "expiry")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	mk := func(inst, id string, expires time.Time) chat.Chat {
		return chat.Chat{InstanceID: inst, ContactID: id, InitialContactID: id, SupportedContentTypes: []string{chat.ContentTypePlain},
			CreatedTime: base, ExpiresTime: expires}
	}
	for _, c := range []chat.Chat{mk(a.ID, "late", base.Add(2*time.Hour)), mk(a.ID, "first", base.Add(time.Hour)),
		mk(a.ID, "second", base.Add(90*time.Minute)), mk(a.ID, "ended", base.Add(time.Hour)), mk(b.ID, "other", base.Add(time.Hour))} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChat(ctx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.EndChat(ctx, a.ID, "ended", base.Add(time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	list := func(now time.Time, limit int) []string {
		var got []string
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.ListExpiredChats(ctx, a.ID, now, limit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := list(base.Add(30*time.Minute), 10); len(got) != 0 {
		t.Errorf("before any expiry: %v", got)
	}
	if diff := cmp.Diff([]string{"first", "second"}, list(base.Add(90*time.Minute), 10)); diff != "" {
		t.Errorf("ListExpiredChats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"first"}, list(base.Add(3*time.Hour), 1)); diff != "" {
		t.Errorf("ListExpiredChats limit 1 (-want +got):\n%s", diff)
	}
}
