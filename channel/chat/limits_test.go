package chat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/channel/chat"
)

// TestConnectRateLimit: one participant token asking for connections faster than the bucket
// allows is throttled (each call stores tokens), without touching the other participants.
func TestConnectRateLimit(t *testing.T) {
	e := newEnv(t, chat.Limits{MessagesPerSecond: 0.001, MessageBurst: 3})
	cust := e.start("contact-1", "Customer") // one connection
	ctx := context.Background()
	for range 2 {
		if _, err := e.client.CreateParticipantConnection(ctx, cust.token, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.client.CreateParticipantConnection(ctx, cust.token, nil)
	wantErrType(t, err, "ThrottlingException")
	if !strings.Contains(err.Error(), "connections per second") {
		t.Errorf("error %q does not say what is limited", err)
	}
	e.agent("contact-1", "Agent") // a fresh participant connects
	cust.send("the connection token in hand still works")
}

// TestBodyLimit: a participant request body of 1 MiB (SECURITY.md bad input 9) is refused with
// 413 before it is read whole, and the chat goes on.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	body, _ := json.Marshal(map[string]string{"ContentType": "text/plain", "Content": strings.Repeat("a", 1<<20)})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/participant/message", strings.NewReader(string(body)))
	req.Header.Set("X-Amz-Bearer", cust.conn)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("X-Amzn-ErrorType") != "RequestEntityTooLargeException" {
		t.Errorf("1 MiB message: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	cust.send("still here")
	if got := len(cust.transcript()); got != 2 {
		t.Errorf("transcript has %d items, want 2", got)
	}
}

// TestSystemMenu: a flow menu reaches a customer who declared the interactive response type
// as a QuickReply interactive message, and anyone else as its text prompt; the interactive
// type may be declared but never sent by a participant.
func TestSystemMenu(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	ctx := context.Background()
	st, err := e.svc.StartChat(ctx, chat.StartRequest{InstanceID: e.inst, ContactID: "rich", CustomerDisplayName: "Rich",
		SupportedContentTypes: []string{chat.ContentTypePlain, chat.ContentTypeInteractive, chat.ContentTypeInteractiveResponse}})
	if err != nil {
		t.Fatalf("StartChat with the interactive types: %v", err)
	}
	rich := e.connect(st)
	plain := e.start("plain", "Plain")

	it, err := e.svc.PostSystemMenu(ctx, e.inst, "rich", "Type 1 for orders or 2 for billing.", []string{"1", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if it.ContentType != chat.ContentTypeInteractive || it.ParticipantRole != chat.RoleSystem {
		t.Fatalf("menu item = %+v", it)
	}
	var qr chat.QuickReply
	if err := json.Unmarshal([]byte(it.Content), &qr); err != nil {
		t.Fatalf("menu content %q: %v", it.Content, err)
	}
	if qr.TemplateType != "QuickReply" || qr.Version != "1.0" || qr.Data.Content.Title != "Type 1 for orders or 2 for billing." ||
		len(qr.Data.Content.Elements) != 2 || qr.Data.Content.Elements[1].Title != "2" {
		t.Errorf("quick reply = %+v", qr)
	}
	tr := rich.transcript()
	if last := tr[len(tr)-1]; last.ID != it.ID || last.Content != it.Content {
		t.Errorf("transcript ends with %+v", last)
	}

	it, err = e.svc.PostSystemMenu(ctx, e.inst, "plain", "Type 1 for orders.", []string{"1"})
	if err != nil || it.ContentType != chat.ContentTypePlain || it.Content != "Type 1 for orders." {
		t.Errorf("menu for a plain client = %+v, %v", it, err)
	}
	many := make([]string, chat.MaxMenuOptions+1)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	if it, err := e.svc.PostSystemMenu(ctx, e.inst, "rich", "Pick a letter.", many); err != nil || it.ContentType != chat.ContentTypePlain {
		t.Errorf("menu of %d options = %+v, %v; want the text prompt", len(many), it, err)
	}
	_, err = e.client.SendMessage(ctx, rich.conn, chat.ContentTypeInteractive, it.Content, "")
	wantErrType(t, err, "ValidationException")
	_ = plain
}
