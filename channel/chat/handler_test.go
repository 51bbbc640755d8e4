package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
)

func decodeEvent(b []byte) (audit.Event, error) {
	var ev audit.Event
	err := json.Unmarshal(b, &ev)
	return ev, err
}

func ids(items []chat.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// TestExchange: a customer and an agent exchange messages concurrently; each socket receives
// every item once, in transcript order, its own messages included.
func TestExchange(t *testing.T) {
	e := newEnv(t, chat.Limits{MessagesPerSecond: 1000, MessageBurst: 1000})
	cust := e.start("contact-1", "Customer")
	cs := cust.subscribe()
	agent := e.agent("contact-1", "Agent")
	as := agent.subscribe()
	// The customer's socket sees the agent join; the agent's socket starts after that.
	if it := next(t, cs); it.ContentType != chat.EventParticipantJoined || it.ParticipantRole != chat.RoleAgent || it.DisplayName != "Agent" {
		t.Fatalf("first item on the customer socket = %+v", it)
	}
	const n = 20
	var wg sync.WaitGroup
	tags := map[*party]string{cust: "customer", agent: "agent"}
	for _, p := range []*party{cust, agent} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if _, err := e.client.SendMessage(context.Background(), p.conn, chat.ContentTypePlain, fmt.Sprintf("%s %d", tags[p], i), ""); err != nil {
					t.Errorf("SendMessage: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	tr := cust.transcript()
	if len(tr) != 2+2*n {
		t.Fatalf("transcript has %d items, want %d", len(tr), 2+2*n)
	}
	wantOrder := ids(tr[2:]) // after both participant.joined events
	for name, s := range map[string]*participantclient.Subscription{"customer": cs, "agent": as} {
		var got []chat.Item
		for range 2 * n {
			got = append(got, next(t, s))
		}
		if diff := cmp.Diff(wantOrder, ids(got)); diff != "" {
			t.Errorf("%s socket order differs from the transcript (-want +got):\n%s", name, diff)
		}
		for _, it := range got {
			if it.ContactID != "contact-1" || it.InitialContactID != "contact-1" || it.Type != chat.TypeMessage {
				t.Errorf("%s socket item %+v lacks routing IDs or type", name, it)
				break
			}
		}
	}
	// Per sender, messages keep the order they were sent in.
	last := map[string]int{}
	for _, it := range tr[2:] {
		var who string
		var i int
		fmt.Sscanf(it.Content, "%s %d", &who, &i)
		if prev, ok := last[who]; ok && i != prev+1 {
			t.Errorf("%s: message %d after %d", who, i, prev)
		}
		last[who] = i
		if want := map[string]string{"customer": "Customer", "agent": "Agent"}[who]; it.DisplayName != want {
			t.Errorf("item from %s has DisplayName %q, want %q", who, it.DisplayName, want)
		}
	}
	// The SendMessage Id is the pushed and transcript Id.
	sent := cust.send("last one")
	if it := next(t, as); it.ID != sent.ID || it.AbsoluteTime != sent.AbsoluteTime {
		t.Errorf("pushed %s at %s, SendMessage said %s at %s", it.ID, it.AbsoluteTime, sent.ID, sent.AbsoluteTime)
	}
}

// TestReconnectCatchUp: a customer whose socket dropped reconnects and fetches the
// transcript: everything the agent sent meanwhile is there once.
func TestReconnectCatchUp(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	cs := cust.subscribe()
	seen := map[string]int{}
	agent.send("before")
	it := next(t, cs)
	seen[it.ID]++
	cs.Close()
	for i := range 5 {
		agent.send(fmt.Sprintf("while away %d", i))
	}
	cust.reconnect()
	cs2 := cust.subscribe()
	agent.send("after")
	it = next(t, cs2)
	seen[it.ID]++
	tr := cust.transcript()
	trIDs := map[string]int{}
	for _, it := range tr {
		trIDs[it.ID]++
	}
	for id, n := range trIDs {
		if n != 1 {
			t.Errorf("item %s is %d times in the transcript", id, n)
		}
	}
	for id := range seen {
		if trIDs[id] != 1 {
			t.Errorf("pushed item %s is not in the transcript", id)
		}
	}
	var texts []string
	for _, it := range tr {
		if it.Type == chat.TypeMessage {
			texts = append(texts, it.Content)
		}
	}
	want := []string{"before", "while away 0", "while away 1", "while away 2", "while away 3", "while away 4", "after"}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("messages after catch-up (-want +got):\n%s", diff)
	}
}

// TestSocketLimit: the sixth WebSocket of a participant is refused.
func TestSocketLimit(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	for range 5 {
		cust.subscribe()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.client.Subscribe(ctx, cust.wsURL)
	wantErrType(t, err, "ThrottlingException")
	if !strings.Contains(err.Error(), "at most 5") {
		t.Errorf("error %q does not say the limit", err)
	}
	// Another participant is not affected.
	agent := e.agent("contact-1", "Agent")
	agent.subscribe()
}

// TestMessageLength: over-long messages are refused with a clear error; the limit is
// configurable.
func TestMessageLength(t *testing.T) {
	for _, tc := range []struct {
		limit, max int
	}{{0, 1024}, {10, 10}} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			e := newEnv(t, chat.Limits{MaxMessageChars: tc.limit})
			cust := e.start("contact-1", "Customer")
			ctx := context.Background()
			if _, err := e.client.SendMessage(ctx, cust.conn, chat.ContentTypePlain, strings.Repeat("é", tc.max), ""); err != nil {
				t.Fatalf("a message of exactly %d characters: %v", tc.max, err)
			}
			_, err := e.client.SendMessage(ctx, cust.conn, chat.ContentTypePlain, strings.Repeat("é", tc.max+1), "")
			wantErrType(t, err, "ValidationException")
			if want := fmt.Sprintf("1 to %d characters", tc.max); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			_, err = e.client.SendMessage(ctx, cust.conn, chat.ContentTypePlain, "", "")
			wantErrType(t, err, "ValidationException")
			_, err = e.client.SendMessage(ctx, cust.conn, chat.ContentTypeMarkdown, "**not supported**", "")
			wantErrType(t, err, "ValidationException")
			_, err = e.client.SendMessage(ctx, cust.conn, "text/html", "<b>x</b>", "")
			wantErrType(t, err, "ValidationException")
			if got := len(cust.transcript()); got != 2 {
				t.Errorf("transcript has %d items, want 2 (joined + the one valid message)", got)
			}
		})
	}
}

// TestTokens: bad, swapped, expired and revoked tokens are refused with 403.
func TestTokens(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	ctx := context.Background()
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	send := func(tok string) error {
		_, err := e.client.SendMessage(ctx, tok, chat.ContentTypePlain, "hi", "")
		return err
	}
	dial := func(url string) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s, err := e.client.Subscribe(ctx, url)
		if err == nil {
			s.Close()
		}
		return err
	}
	wantErrType(t, send(""), "AccessDeniedException")
	wantErrType(t, send("garbage"), "AccessDeniedException")
	wantErrType(t, send(strings.Repeat("x", 5000)), "AccessDeniedException")
	wantErrType(t, send(cust.token), "AccessDeniedException") // participant token is not a connection token
	_, err := e.client.CreateParticipantConnection(ctx, cust.conn, nil)
	wantErrType(t, err, "AccessDeniedException") // and the other way round
	wantErrType(t, dial(strings.Replace(cust.wsURL, "AuthToken=", "AuthToken=x", 1)), "AccessDeniedException")
	if err := dial(e.srv.URL + "/participant/websocket?AuthToken=" + cust.conn); participantclient.ErrorType(err) != "AccessDeniedException" {
		t.Errorf("connection token opened a socket: %v", err)
	}

	// The WebSocket URL works for 100 s, the connection token for hours.
	e.clock.Advance(101 * time.Second)
	wantErrType(t, dial(cust.wsURL), "AccessDeniedException")
	if err := send(cust.conn); err != nil {
		t.Fatalf("connection token after 101 s: %v", err)
	}
	e.clock.Advance(12 * time.Hour)
	wantErrType(t, send(cust.conn), "AccessDeniedException")
	cust.reconnect() // the participant token still works
	if err := send(cust.conn); err != nil {
		t.Fatalf("new connection token: %v", err)
	}

	// An agent that left is refused; the customer is not.
	agent.reconnect()
	if err := e.client.DisconnectParticipant(ctx, agent.conn, ""); err != nil {
		t.Fatal(err)
	}
	wantErrType(t, send(agent.conn), "AccessDeniedException")
	_, err = e.client.CreateParticipantConnection(ctx, agent.token, nil)
	wantErrType(t, err, "AccessDeniedException")
	if err := send(cust.conn); err != nil {
		t.Fatalf("customer after the agent left: %v", err)
	}

	// After the chat's duration (25 h by default) every token is refused.
	e.clock.Advance(14 * time.Hour)
	wantErrType(t, send(cust.conn), "AccessDeniedException")
	_, err = e.client.CreateParticipantConnection(ctx, cust.token, nil)
	wantErrType(t, err, "AccessDeniedException")
}

// TestRedaction: a card number sent by the customer is stored redacted, and the agent, the
// customer's own socket, the transcript and the flow receive it redacted.
func TestRedaction(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	cs, as := cust.subscribe(), agent.subscribe()
	const msg = "my card is 4111-1111-1111-1111 and cvv 123, ssn 078-05-1120"
	const want = "my card is [CARD] and cvv [CVV], ssn [SSN]"
	sent := cust.send(msg)
	for name, s := range map[string]*participantclient.Subscription{"agent": as, "customer": cs} {
		it := next(t, s)
		if it.ID != sent.ID || it.Content != want {
			t.Errorf("%s socket got %q, want %q", name, it.Content, want)
		}
	}
	for _, p := range []*party{cust, agent} {
		tr := p.transcript()
		if got := tr[len(tr)-1].Content; got != want {
			t.Errorf("transcript content %q, want %q", got, want)
		}
	}
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if len(e.events.messages) != 1 || e.events.messages[0].Content != want {
		t.Errorf("flow got %+v, want one message %q", e.events.messages, want)
	}
}

// TestSecureInput: while the flow waits for stored input, the customer's message reaches the
// flow only; the transcript, the sockets and the sealed store hold the placeholder. The next
// message is an ordinary one again.
func TestSecureInput(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	cs, as := cust.subscribe(), agent.subscribe()
	const pin = "7319"
	e.events.mu.Lock()
	e.events.secure = true
	e.events.mu.Unlock()
	sent := cust.send(pin)
	for name, s := range map[string]*participantclient.Subscription{"agent": as, "customer": cs} {
		if it := next(t, s); it.ID != sent.ID || it.Content != chat.SecureInputPlaceholder {
			t.Errorf("%s socket got %q, want %q", name, it.Content, chat.SecureInputPlaceholder)
		}
	}
	cust.send("thanks")
	tr := agent.transcript()
	if got := []string{tr[len(tr)-2].Content, tr[len(tr)-1].Content}; !cmp.Equal(got, []string{chat.SecureInputPlaceholder, "thanks"}) {
		t.Errorf("transcript ends %q, want the placeholder then the next message", got)
	}
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if !cmp.Equal(e.events.inputs, []string{pin}) {
		t.Errorf("secure inputs = %q, want [%q]", e.events.inputs, pin)
	}
	if len(e.events.messages) != 1 || e.events.messages[0].Content != "thanks" {
		t.Errorf("customer messages = %+v, want only the second one", e.events.messages)
	}
}

// TestIdempotency: the same ClientToken stores one message and answers the same Id.
func TestIdempotency(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	ctx := context.Background()
	a, err := e.client.SendMessage(ctx, cust.conn, chat.ContentTypePlain, "once", "token-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.client.SendMessage(ctx, cust.conn, chat.ContentTypePlain, "once", "token-1")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("repeat answered %+v, first %+v", b, a)
	}
	if got := len(cust.transcript()); got != 2 {
		t.Errorf("transcript has %d items, want 2", got)
	}
}

// TestTranscriptPaging: chatjs's default request and the start positions.
func TestTranscriptPaging(t *testing.T) {
	e := newEnv(t, chat.Limits{MessagesPerSecond: 1000, MessageBurst: 1000})
	cust := e.start("contact-1", "Customer")
	var sent []participantclient.Sent
	for i := range 30 {
		sent = append(sent, cust.send(fmt.Sprintf("m%02d", i)))
	}
	all := cust.transcript() // joined + 30 messages, oldest first
	if len(all) != 31 {
		t.Fatalf("transcript has %d items", len(all))
	}
	ctx := context.Background()
	raw := func(body string) (participantclient.TranscriptOutput, error) {
		var in participantclient.TranscriptInput
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatal(err)
		}
		return e.client.GetTranscript(ctx, cust.conn, in)
	}
	// chatjs: the newest 15 in ascending order, then the 15 before.
	out, err := raw(`{"MaxResults":15,"ScanDirection":"BACKWARD","SortOrder":"ASCENDING","StartPosition":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(all[16:]), ids(out.Transcript)); diff != "" || out.NextToken == "" || out.InitialContactID != "contact-1" {
		t.Errorf("first page (-want +got):\n%s next=%q", diff, out.NextToken)
	}
	out, err = e.client.GetTranscript(ctx, cust.conn, participantclient.TranscriptInput{MaxResults: 15, ScanDirection: "BACKWARD", SortOrder: "ASCENDING", NextToken: out.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(all[1:16]), ids(out.Transcript)); diff != "" || out.NextToken == "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	// Defaults: BACKWARD, DESCENDING, 10.
	out, err = raw(`{}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Transcript) != 10 || out.Transcript[0].ID != all[30].ID || out.Transcript[9].ID != all[21].ID {
		t.Errorf("default page = %v", ids(out.Transcript))
	}
	// From an Id forward (default with a start position), inclusive.
	out, err = raw(fmt.Sprintf(`{"StartPosition":{"Id":%q},"MaxResults":3,"SortOrder":"ASCENDING"}`, sent[10].ID))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(all[11:14]), ids(out.Transcript)); diff != "" {
		t.Errorf("from Id (-want +got):\n%s", diff)
	}
	// From a time backward.
	out, err = raw(fmt.Sprintf(`{"StartPosition":{"AbsoluteTime":%q},"ScanDirection":"BACKWARD","MaxResults":100,"SortOrder":"ASCENDING"}`, all[0].AbsoluteTime))
	if err != nil || len(out.Transcript) == 0 || out.Transcript[0].ID != all[0].ID {
		t.Errorf("from AbsoluteTime: %v %v", ids(out.Transcript), err)
	}
	// MostRecent 0 forward: only the newest.
	out, err = raw(`{"StartPosition":{"MostRecent":0},"ScanDirection":"FORWARD"}`)
	if err != nil || len(out.Transcript) != 1 || out.Transcript[0].ID != all[30].ID || out.NextToken != "" {
		t.Errorf("MostRecent 0: %v next=%q %v", ids(out.Transcript), out.NextToken, err)
	}
	for _, bad := range []string{
		`{"MaxResults":101}`, `{"ScanDirection":"SIDEWAYS"}`, `{"SortOrder":"RANDOM"}`,
		`{"StartPosition":{"Id":"x","MostRecent":1}}`, `{"StartPosition":{"Id":"not-an-item"}}`,
		`{"StartPosition":{"AbsoluteTime":"yesterday"}}`, `{"NextToken":"!!"}`, `{"MaxResults":"ten"}`,
	} {
		_, err := raw2(e, cust.conn, bad)
		wantErrType(t, err, "ValidationException")
	}
	_, err = raw(`{"ContactId":"someone-else"}`)
	wantErrType(t, err, "AccessDeniedException")
}

// raw2 posts a raw body to GetTranscript.
func raw2(e *env, tok, body string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/participant/transcript", strings.NewReader(body))
	req.Header.Set("X-Amz-Bearer", tok)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var m struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, &participantclient.Error{Status: resp.StatusCode, Type: resp.Header.Get("X-Amzn-ErrorType"), Message: m.Message}
	}
	return resp, nil
}

// TestEndChat: EndChat delivers participant.left for everyone and chat.ended, closes the
// sockets normally and makes the tokens useless.
func TestEndChat(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	cs := cust.subscribe()
	if err := e.svc.EndChat(context.Background(), e.inst, "contact-1"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		it, err := cs.Next(ctx)
		cancel()
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Errorf("socket ended with %v, want a normal closure", err)
			}
			break
		}
		got = append(got, strings.TrimPrefix(it.ContentType, chat.EventPrefix)+" "+string(it.ParticipantRole))
	}
	want := []string{"participant.left CUSTOMER", "participant.left AGENT", "chat.ended SYSTEM"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items at the end (-want +got):\n%s", diff)
	}
	_, err := e.client.SendMessage(context.Background(), agent.conn, chat.ContentTypePlain, "hello?", "")
	wantErrType(t, err, "AccessDeniedException")
	if err := e.svc.EndChat(context.Background(), e.inst, "contact-1"); err != nil {
		t.Errorf("ending twice: %v", err)
	}
	_, err = e.svc.PostSystem(context.Background(), e.inst, "contact-1", chat.SystemMessage{ContentType: chat.ContentTypePlain, Content: "late"})
	if err == nil {
		t.Error("PostSystem after the end succeeded")
	}
}

// TestCustomerDisconnect: the customer leaving ends the chat; the agent's socket sees both
// events; the runtime is told.
func TestCustomerDisconnect(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	as := agent.subscribe()
	if err := e.client.DisconnectParticipant(context.Background(), cust.conn, "ct"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		got = append(got, strings.TrimPrefix(next(t, as).ContentType, chat.EventPrefix))
	}
	if diff := cmp.Diff([]string{"participant.left", "participant.left", "chat.ended"}, got); diff != "" {
		t.Errorf("agent socket (-want +got):\n%s", diff)
	}
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if diff := cmp.Diff([]chat.Role{chat.RoleCustomer}, e.events.left); diff != "" {
		t.Errorf("ParticipantLeft calls (-want +got):\n%s", diff)
	}
}

// TestSystemMessages: flow messages come from SYSTEM_MESSAGE, redacted like the rest.
func TestSystemMessages(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	cs := cust.subscribe()
	it, err := e.svc.PostSystem(context.Background(), e.inst, "contact-1", chat.SystemMessage{ContentType: chat.ContentTypePlain, Content: "Card 4111111111111111 on file"})
	if err != nil {
		t.Fatal(err)
	}
	got := next(t, cs)
	if got.ID != it.ID || got.DisplayName != chat.SystemDisplayName || got.ParticipantRole != chat.RoleSystem || got.Content != "Card [CARD] on file" {
		t.Errorf("system message = %+v", got)
	}
	if _, err := e.svc.PostSystem(context.Background(), e.inst, "contact-1", chat.SystemMessage{ContentType: chat.EventTransferSucceeded}); err != nil {
		t.Fatal(err)
	}
	if got := next(t, cs); got.Type != chat.TypeEvent || got.ContentType != chat.EventTransferSucceeded {
		t.Errorf("system event = %+v", got)
	}
}

// TestEvents: typing and receipts reach the other side and are not in the transcript.
func TestEvents(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	ctx := context.Background()
	cust := e.start("contact-1", "Customer")
	agent := e.agent("contact-1", "Agent")
	as := agent.subscribe()
	msg := agent.send("hello")
	next(t, as)
	if _, err := e.client.SendEvent(ctx, cust.conn, chat.EventTyping, "", "c1"); err != nil {
		t.Fatal(err)
	}
	if it := next(t, as); it.ContentType != chat.EventTyping || it.ParticipantRole != chat.RoleCustomer {
		t.Errorf("typing = %+v", it)
	}
	if _, err := e.client.SendEvent(ctx, cust.conn, chat.EventMessageRead, fmt.Sprintf(`{"messageId":%q}`, msg.ID), "c2"); err != nil {
		t.Fatal(err)
	}
	it := next(t, as)
	if it.Type != chat.TypeMessageMetadata || it.MessageMetadata == nil || it.MessageMetadata.MessageID != msg.ID ||
		len(it.MessageMetadata.Receipts) != 1 || it.MessageMetadata.Receipts[0].ReadTimestamp == "" ||
		it.MessageMetadata.Receipts[0].RecipientParticipantID != cust.participantID {
		t.Errorf("read receipt = %+v", it)
	}
	if _, err := e.client.SendEvent(ctx, cust.conn, chat.EventConnectionAck, "", ""); err != nil {
		t.Errorf("connection.acknowledged: %v", err)
	}
	_, err := e.client.SendEvent(ctx, cust.conn, chat.EventMessageDelivered, `{"nope":1}`, "")
	wantErrType(t, err, "ValidationException")
	_, err = e.client.SendEvent(ctx, cust.conn, chat.EventChatEnded, "", "")
	wantErrType(t, err, "ValidationException")
	if got := len(agent.transcript()); got != 3 {
		t.Errorf("transcript has %d items, want 3 (two joined, one message)", got)
	}
}

// TestRateLimit: a participant over its bucket gets ThrottlingException.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, chat.Limits{MessagesPerSecond: 0.001, MessageBurst: 2})
	cust := e.start("contact-1", "Customer")
	cust.send("one")
	cust.send("two")
	_, err := e.client.SendMessage(context.Background(), cust.conn, chat.ContentTypePlain, "three", "")
	wantErrType(t, err, "ThrottlingException")
	agent := e.agent("contact-1", "Agent")
	agent.send("the agent has its own bucket")
}

// TestQuota: StartChat beyond the instance's active chats is refused.
func TestQuota(t *testing.T) {
	e := newEnv(t, chat.Limits{MaxActiveChats: 2})
	ctx := context.Background()
	start := func(id string) error {
		_, err := e.svc.StartChat(ctx, chat.StartRequest{InstanceID: e.inst, ContactID: id, CustomerDisplayName: "C"})
		return err
	}
	for _, id := range []string{"a", "b"} {
		if err := start(id); err != nil {
			t.Fatal(err)
		}
	}
	err := start("c")
	if !apierr.HasCode(err, apierr.CodeLimitExceeded) || apierr.As(err).Status() != http.StatusTooManyRequests {
		t.Fatalf("third chat: %v, want LimitExceededException (429)", err)
	}
	if err := e.svc.EndChat(ctx, e.inst, "a"); err != nil {
		t.Fatal(err)
	}
	if err := start("c"); err != nil {
		t.Errorf("after one ended: %v", err)
	}
	for _, bad := range []chat.StartRequest{
		{InstanceID: e.inst, ContactID: "d", CustomerDisplayName: ""},
		{InstanceID: e.inst, ContactID: "d", CustomerDisplayName: "Eve\r\nX-Injected: 1"},
		{InstanceID: e.inst, ContactID: "d", CustomerDisplayName: "evil\u202eexe.txt"},
		{InstanceID: e.inst, ContactID: "d", CustomerDisplayName: "C", Duration: time.Minute},
		{InstanceID: e.inst, ContactID: "d", CustomerDisplayName: "C", SupportedContentTypes: []string{"text/markdown"}},
	} {
		if _, err := e.svc.StartChat(ctx, bad); err == nil || !strings.Contains(err.Error(), "InvalidParameterException") {
			t.Errorf("StartChat(%+v) = %v, want InvalidParameterException", bad, err)
		}
	}
}

// TestWebSocketFrames: the control frames chatjs relies on, byte for byte.
func TestWebSocketFrames(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, cust.wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	for _, tc := range []struct{ send, want string }{
		{`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`, `{"content":{"status":"success","topics":["aws/chat"]},"topic":"aws/subscribe"}`},
		{`{"topic":"aws/ping"}`, `{"topic":"aws/ping","statusCode":200,"statusContent":"OK"}`},
		{`{"topic":"aws/heartbeat"}`, `{"topic":"aws/heartbeat"}`},
		{`{"topic":"aws/subscribe","content":{"topics":["aws/other"]}}`, `{"content":{"status":"failure","topics":[]},"topic":"aws/subscribe"}`},
	} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(tc.send)); err != nil {
			t.Fatal(err)
		}
		_, got, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("answer to %s = %s, want %s", tc.send, got, tc.want)
		}
	}
	for _, bad := range []string{`{"topic":"aws/nope"}`, `not json`} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(bad)); err != nil {
			t.Fatal(err)
		}
		_, got, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]string
		if json.Unmarshal(got, &f) != nil || f["message"] == "" || f["connectionId"] == "" || f["requestId"] == "" {
			t.Errorf("answer to %s = %s, want an error frame", bad, got)
		}
	}
	// A frame over the read limit closes the socket.
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"topic":"`+strings.Repeat("x", chat.MaxFrameBytes)+`"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("after an oversized frame: %v, want close 1009", err)
	}
}

// TestSlowSocketDropped: a socket that stops reading is dropped once 256 frames wait for it
// (close 1013, "try again later"); the frames it got before are in order.
func TestSlowSocketDropped(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, cust.wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	slow.SetReadLimit(1 << 20)
	if err := slow.Write(ctx, websocket.MessageText, []byte(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := slow.Read(ctx); err != nil {
		t.Fatal(err)
	}
	// 16 KiB frames fill the loopback buffers after a few hundred; then 256 wait and the
	// socket is dropped. The frames are built first so that they are published at once.
	const frames = 2000
	pad := strings.Repeat("x", 16<<10)
	all := make([][]byte, frames)
	for i := range all {
		inner, _ := json.Marshal(chat.Item{ID: fmt.Sprint(i), Type: chat.TypeMessage, ContentType: chat.ContentTypePlain, Content: pad})
		all[i], _ = json.Marshal(map[string]string{"topic": chat.TopicChat, "contentType": "application/json", "content": string(inner)})
	}
	for i, f := range all {
		e.hub.Publish(chat.Delivery{InstanceID: e.inst, ContactID: "contact-1", Seq: int64(i + 1), Frame: f})
	}
	read := 0
	for {
		_, b, err := slow.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
				t.Fatalf("slow socket ended with %v after %d frames, want close 1013", err, read)
			}
			break
		}
		if !strings.Contains(string(b), fmt.Sprintf(`\"Id\":\"%d\"`, read)) {
			t.Fatalf("frame %d out of order: %.80s", read, b)
		}
		read++
	}
	if read >= frames {
		t.Errorf("slow socket read %d of %d frames before it was dropped", read, frames)
	}
}

// TestCORSAndErrors: preflight, the headers chatjs needs, Connect's error shape, and the
// Authorization header chatjs adds is ignored.
func TestCORSAndErrors(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/participant/message", nil)
	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-amz-bearer,x-amz-date,x-amz-user-agent")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	allowed := resp.Header.Get("Access-Control-Allow-Headers")
	for _, h := range []string{"authorization", "content-type", "x-amz-bearer", "x-amz-content-sha256", "x-amz-date", "x-amz-user-agent"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
		}
	}
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/participant/message", strings.NewReader(`{"ContentType":"text/plain","Content":"hi","ClientToken":"x"}`))
	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("X-Amz-Bearer", cust.conn)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00")
	resp, err = e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") == "" || resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Errorf("SendMessage with chatjs headers: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = raw2(e, "bad", `{}`)
	var pe *participantclient.Error
	if !errors.As(err, &pe) || pe.Status != 403 || pe.Type != "AccessDeniedException" || pe.Message == "" ||
		!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "x-amzn-ErrorType") {
		t.Errorf("bad token: %v %v", err, resp.Header)
	}
	for path, want := range map[string]string{
		"/participant/attachment": "NotImplementedException", "/participant/nothing-here": "UnknownOperationException",
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(`{}`))
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Amzn-ErrorType"); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	resp, err = raw2(e, cust.conn, `{"MaxResults":`)
	if participantclient.ErrorType(err) != "ValidationException" {
		t.Errorf("broken JSON: %v", err)
	}
	_ = resp
}

// TestAudit: every participant request leaves one audit event, failures included, with the
// participant as actor and no content.
func TestAudit(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	ctx := context.Background()
	cs := cust.subscribe()
	_ = cs
	cust.send("secret words 4111111111111111")
	_, _ = e.client.SendMessage(ctx, "bad", chat.ContentTypePlain, "x", "")
	_, _ = e.client.SendEvent(ctx, cust.conn, chat.EventTyping, "", "")
	cust.transcript()
	if err := e.client.DisconnectParticipant(ctx, cust.conn, ""); err != nil {
		t.Fatal(err)
	}
	evs := e.auditEvents("participant.")
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Operation+" "+string(ev.Outcome))
		if ev.Outcome == audit.OutcomeSuccess && (ev.Actor != "participant:"+cust.participantID || ev.InstanceID != e.inst || ev.Resource != "contact-1") {
			t.Errorf("event %+v lacks actor, instance or resource", ev)
		}
		if ev.RequestID == "" || ev.SourceIP == "" {
			t.Errorf("event %+v lacks request ID or source IP", ev)
		}
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), "secret words") || strings.Contains(string(b), "4111111111111111") {
			t.Errorf("event %s holds content", b)
		}
	}
	want := []string{"CreateParticipantConnection success", "ConnectWebSocket success", "SendMessage success", "SendMessage failure",
		"SendEvent success", "GetTranscript success", "DisconnectParticipant success"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
}
