package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/redact"
)

// TestSmoke runs the load generator tiny against an in-process node, so that it never rots:
// every chat is held with its agent, messages go both ways, each is delivered to both
// sockets of its chat, and the report prints.
func TestSmoke(t *testing.T) {
	var log bytes.Buffer
	rep, err := Run(context.Background(), Options{Customers: 5, Agents: 1, Concurrency: 10, Duration: 2 * time.Second, Rate: 2,
		EchoDuration: 200 * time.Millisecond, EchoSockets: 4, Log: &log})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	if rep.Started != 5 || rep.HeldIdle != 5 || rep.HeldEnd != 5 {
		t.Errorf("started %d, held %d idle and %d at the end; want 5 each", rep.Started, rep.HeldIdle, rep.HeldEnd)
	}
	if rep.Acked == 0 || rep.Failed != 0 || rep.Throttled != 0 {
		t.Errorf("acknowledged %d, failed %d (%s), throttled %d", rep.Acked, rep.Failed, rep.FirstError, rep.Throttled)
	}
	if rep.CustomerToAgent.N == 0 || rep.AgentToCustomer.N == 0 || rep.ToSender.N != int(rep.Acked) {
		t.Errorf("deliveries: customer→agent %d, agent→customer %d, to the sender %d of %d", rep.CustomerToAgent.N, rep.AgentToCustomer.N, rep.ToSender.N, rep.Acked)
	}
	if rep.Undelivered != 0 || rep.DeskErrors != 0 {
		t.Errorf("undelivered %d, agent errors %d", rep.Undelivered, rep.DeskErrors)
	}
	if rep.EchoRate <= 0 || rep.Idle.RSS == 0 {
		t.Errorf("echo rate %g, idle RSS %d: not measured", rep.EchoRate, rep.Idle.RSS)
	}
	acked := 0
	for _, c := range rep.Chats {
		acked += len(c.Acked)
		if c.ContactID == "" || c.CustomerConnectionToken == "" {
			t.Errorf("chat %d ledger lacks its contact or token", c.Index)
		}
	}
	if acked != int(rep.Acked) {
		t.Errorf("ledgers hold %d acknowledged messages, the count is %d", acked, rep.Acked)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"concurrent chats held", "delivery customer → agent", "raw WebSocket echo", "budget"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestMessageContent: a load message survives redaction unchanged and reads back.
func TestMessageContent(t *testing.T) {
	red := redact.New(redact.Policy{})
	at := time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC)
	for _, tc := range []struct {
		role     byte
		idx, seq int
	}{{'c', 0, 1}, {'a', 9999, 123456}, {'c', 1234567, 7654321}} {
		s := messageContent(tc.role, tc.idx, tc.seq, at)
		if got, _ := red.Redact(s); got != s {
			t.Errorf("redaction changed %q to %q", s, got)
		}
		role, idx, seq, when, ok := parseContent(s)
		if !ok || role != tc.role || idx != tc.idx || seq != tc.seq || !when.Equal(at) {
			t.Errorf("parseContent(%q) = %c %d %d %s %v", s, role, idx, seq, when, ok)
		}
	}
	for _, bad := range []string{"", "hello", "chatload x1 n1 tb", "chatload c1 n1 t1", "chatload c1 1 tb"} {
		if _, _, _, _, ok := parseContent(bad); ok {
			t.Errorf("parseContent(%q) accepted", bad)
		}
	}
}

// TestOptions: bad combinations are refused with a clear error.
func TestOptions(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Concurrency: 11}, "-concurrency must be 1 to 10"},
		{Options{Endpoint: "https://127.0.0.1:1", Agents: 2}, "need the in-process node"},
		{Options{Customers: 100, Agents: 2, Concurrency: 10}, "cannot hold 100 chats"},
		{Options{Rate: 25}, "at most 10 messages/s each"},
	}
	if limit := descriptorLimit(); limit > 0 && limit < 1<<22 {
		cases = append(cases, struct {
			o    Options
			want string
		}{Options{Customers: 1 << 20}, "open descriptors"})
	}
	for _, tc := range cases {
		err := tc.o.defaults()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one saying %q", tc.o, err, tc.want)
		}
	}
}
