package lifecycle_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/storetest"
)

// protectFlow sets an ordinary attribute holding a card number and a sensitive one holding an
// SSN, with flow logs on, then asks for stored input and ends.
const protectFlow = `{"Version":"2019-10-30","StartAction":"log","Actions":[
 {"Identifier":"log","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"attrs"}},
 {"Identifier":"attrs","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"card":"card 4111 1111 1111 1111","ssn":"123-45-6789"}},
  "Transitions":{"NextAction":"pin","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"pin","Type":"GetParticipantInput","Parameters":{"Text":"Your PIN, please.","StoreInput":"True","InputTimeLimitSeconds":"180"},
  "Transitions":{"NextAction":"keep","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"keep","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"pin_given":"yes","ssn_copy":"$.Attributes.ssn"}},
  "Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// TestDataProtectionOnFlowWrites: attributes a flow sets are redacted when stored unless
// marked sensitive; sensitive ones are kept exactly, hashed in flow logs and left out of the
// contact record; a wait for stored input is announced to the chat channel and answered by
// SecureInput only.
func TestDataProtectionOnFlowWrites(t *testing.T) {
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t))
	seed(t, e.st)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := e.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutDataProtection(ctx, instance.DataProtection{InstanceID: instID, SensitiveAttributes: []string{"ssn"}, CardDisplay: instance.CardMaskAll, UpdatedTime: now}); err != nil {
			return err
		}
		return tx.CreateFlowRecord(ctx, flow.Record{InstanceID: instID, ID: "protect-flow", Kind: flow.KindFlow, Name: "protect", Type: "CONTACT_FLOW",
			State: "ACTIVE", Status: "PUBLISHED", Content: protectFlow, SavedContent: protectFlow, Version: 1, Tags: map[string]string{}, LastModified: now})
	}); err != nil {
		t.Fatal(err)
	}
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e1", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		FlowID: "protect-flow", Attributes: map[string]string{"given": "ssn 123-45-6789"}}
	if err := e.m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
		t.Fatal(err)
	}
	got := waitState(t, e, c.ID, contact.StateInFlow)
	if got.Attributes["card"] != "card [CARD]" || got.Attributes["ssn"] != "123-45-6789" || got.Attributes["given"] != "ssn [SSN]" {
		t.Errorf("stored attributes = %v", got.Attributes)
	}
	// The mark is set by the contact's worker once the step has committed, a moment after
	// the stored state shows it.
	for i := 0; !e.m.AwaitsSecureInput(instID, c.ID); i++ {
		if i == 500 {
			t.Fatal("the flow waits for stored input but AwaitsSecureInput is false")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Ordinary input does not answer a wait for stored input through SecureInput's back.
	if err := e.m.SecureInput(ctx, instID, "c0000000-0000-4000-8000-0000000000ff", secret.New("1234")); err == nil {
		t.Error("SecureInput to an unknown contact succeeded")
	}
	if err := e.m.SecureInput(ctx, instID, c.ID, secret.New("7319")); err != nil {
		t.Fatalf("SecureInput: %v", err)
	}
	done := waitState(t, e, c.ID, contact.StateEnded)
	if e.m.AwaitsSecureInput(instID, c.ID) {
		t.Error("AwaitsSecureInput still true after the flow went on")
	}
	if done.Attributes["pin_given"] != "yes" || done.Attributes["ssn_copy"] != "[SSN]" {
		t.Errorf("attributes after input = %v: a copy into an ordinary attribute is redacted", done.Attributes)
	}
	var (
		logs []contact.FlowLog
		recs []contact.RecordEntry
	)
	if err := e.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		if logs, err = tx.ListFlowLogs(ctx, instID, c.ID, 0, 100); err != nil {
			return err
		}
		recs, err = tx.ListContactRecords(ctx, 0, 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, l := range logs {
		all.Write(l.Entry)
	}
	for _, v := range []string{"123-45-6789", "4111 1111", "7319"} {
		if strings.Contains(all.String(), v) {
			t.Errorf("flow logs hold %q: %s", v, all.String())
		}
	}
	if !strings.Contains(all.String(), "hmac-sha256:") && !strings.Contains(all.String(), secret.Redacted) {
		t.Errorf("flow logs have no hash in place of the sensitive attribute: %s", all.String())
	}
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	var rec contact.Record
	if err := json.Unmarshal(recs[0].Body, &rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Attributes["ssn"]; ok || rec.Attributes["card"] != "card [CARD]" {
		t.Errorf("record attributes = %v: want no sensitive attribute", rec.Attributes)
	}
}
