package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/store"
)

// TestRevokedTokenRefusedAtOnce: SendMessage reuses what a ConnectionToken was found to speak
// for, but a token revoked since — the participant left, the chat ended or ran out, or
// another node made the participant leave (straight in the store) — is refused from the next
// message on, by the write transaction (no read happens first), stores nothing and leaves
// a failed audit event. Once refused, the token is checked by a read again.
func TestRevokedTokenRefusedAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		revoke func(e *env, cust, agent *party)
		// refused says whose next message is refused; the other still sends.
		refused func(cust, agent *party) *party
	}{
		{"the agent disconnected", func(e *env, _, agent *party) {
			if err := e.client.DisconnectParticipant(ctx, agent.conn, ""); err != nil {
				t.Fatal(err)
			}
		}, func(_, agent *party) *party { return agent }},
		{"the chat ended", func(e *env, _, _ *party) {
			if err := e.svc.EndChat(ctx, e.inst, "contact-1"); err != nil {
				t.Fatal(err)
			}
		}, func(cust, _ *party) *party { return cust }},
		{"the chat ran past its duration", func(e *env, cust, _ *party) {
			// The chat lasts an hour; the customer's token (12 h) outlives it.
			e.clock.Advance(59 * time.Minute)
			cust.send("are you there?")
			e.clock.Advance(90 * time.Second)
		}, func(cust, _ *party) *party { return cust }},
		{"another node made the agent leave", func(e *env, _, agent *party) {
			if err := e.store.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
				return tx.SetChatParticipantLeft(ctx, e.inst, agent.participantID, time.Now())
			}); err != nil {
				t.Fatal(err)
			}
		}, func(_, agent *party) *party { return agent }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Limits{DefaultChatDuration: time.Hour})
			cust := e.start("contact-1", "Customer")
			agent := e.agent("contact-1", "Agent")
			cust.send("hello")
			agent.send("hi, how can I help?")
			before := len(cust.transcript())
			tc.revoke(e, cust, agent)
			who := tc.refused(cust, agent)
			failedBefore := countFailed(e.auditEvents("participant.SendMessage"))
			reads := e.store.Stats().Reads
			_, err := e.client.SendMessage(ctx, who.conn, chat.ContentTypePlain, "still there?", "")
			wantErrType(t, err, "AccessDeniedException")
			if got := e.store.Stats().Reads - reads; got != 0 {
				t.Errorf("the refused message read %d times; want it refused by the write transaction", got)
			}
			_, err = e.client.SendMessage(ctx, who.conn, chat.ContentTypePlain, "still there?", "retry-1")
			wantErrType(t, err, "AccessDeniedException")
			if got := countFailed(e.auditEvents("participant.SendMessage")) - failedBefore; got != 2 {
				t.Errorf("%d failed SendMessage audit events, want 2", got)
			}
			if who == agent {
				cust.send("the customer is still heard")
				if got := len(cust.transcript()); got <= before {
					t.Errorf("transcript has %d items, want more than %d", got, before)
				}
			}
		})
	}
}

// countFailed counts the events whose outcome is a failure with AccessDeniedException.
func countFailed(evs []audit.Event) int {
	n := 0
	for _, ev := range evs {
		if ev.Outcome == audit.OutcomeFailure && ev.ErrorCode == "AccessDeniedException" {
			n++
		}
	}
	return n
}
