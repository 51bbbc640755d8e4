package lifecycle_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/storetest"
)

// loggingFlow switches flow logging on, captures stored input, copies it and a function's
// answer into attributes, switches logging off for two actions and on again before it ends.
const loggingFlow = `{"Version":"2019-10-30","StartAction":"on","Actions":[
 {"Identifier":"on","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"ask"}},
 {"Identifier":"ask","Type":"GetParticipantInput","Parameters":{"Text":"Your member number?","StoreInput":"True","InputTimeLimitSeconds":"60",
   "InputValidation":{"CustomValidation":{"MaximumLength":"12"}}},
  "Transitions":{"NextAction":"keep","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"keep","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"member":"$.StoredCustomerInput"}},
  "Transitions":{"NextAction":"fn","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"fn","Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"arn:aws:lambda:us-east-1:123456789012:function:lookup","InvocationTimeLimitSeconds":"3"},
  "Transitions":{"NextAction":"tier","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"tier","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"tier":"$.External.tier"}},
  "Transitions":{"NextAction":"off","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"off","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Disabled"},"Transitions":{"NextAction":"quiet"}},
 {"Identifier":"quiet","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"quiet":"yes"}},
  "Transitions":{"NextAction":"on-again","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"on-again","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"loud"}},
 {"Identifier":"loud","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"loud":"yes"}},
  "Transitions":{"NextAction":"end","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// TestFlowLoggingFollowsTheFlow runs a chat through loggingFlow and reads the stored flow
// logs: UpdateFlowLoggingBehavior turns storage off (the switching action is the last entry)
// and on again (the switching action is the first); the stored customer input appears
// nowhere, and values read from $.StoredCustomerInput and $.External appear only as keyed
// hashes under the node's log key.
func TestFlowLoggingFollowsTheFlow(t *testing.T) {
	logKey := secret.New([]byte("flow-log-key-for-tests-0123456789"))
	e := open(t, filepath.Join(t.TempDir(), "db"), storetest.NewSealer(t), func(c *lifecycle.Config) { c.LogKey = logKey })
	seed(t, e.st)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, ps, err := flow.Load([]byte(loggingFlow), flow.DefaultLimits()); err != nil {
		t.Fatalf("flow: %v %v", err, ps)
	}
	if err := e.st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateFlowRecord(ctx, flow.Record{InstanceID: instID, ID: "logging-flow", Kind: flow.KindFlow, Name: "logging", Type: "CONTACT_FLOW",
			State: "ACTIVE", Status: "PUBLISHED", Content: loggingFlow, SavedContent: loggingFlow, Version: 1, Tags: map[string]string{}, LastModified: now})
	}); err != nil {
		t.Fatal(err)
	}
	c := contact.Contact{ID: "c0000000-0000-4000-8000-0000000000e1", InstanceID: instID, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI, FlowID: "logging-flow"}
	if err := e.m.StartContact(ctx, ev("StartChatContact"), c); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, c.ID, contact.StateInFlow)
	const member = "7734190026"
	if err := e.m.CustomerInput(ctx, instID, c.ID, member); err != nil {
		t.Fatalf("CustomerInput: %v", err)
	}
	done := waitState(t, e, c.ID, contact.StateEnded)
	if done.Attributes["member"] != member || done.Attributes["tier"] != "gold" || done.Attributes["quiet"] != "yes" || done.Attributes["loud"] != "yes" {
		t.Fatalf("attributes = %v", done.Attributes)
	}

	var logs []contact.FlowLog
	if err := e.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		logs, err = tx.ListFlowLogs(ctx, instID, c.ID, 0, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var ids, branches []string
	entries := map[string][]flow.LogEntry{}
	for _, l := range logs {
		if strings.Contains(string(l.Entry), member) || strings.Contains(string(l.Entry), `"gold"`) {
			t.Errorf("flow log holds a sensitive value in clear: %s", l.Entry)
		}
		var le flow.LogEntry
		if err := json.Unmarshal(l.Entry, &le); err != nil {
			t.Fatal(err)
		}
		var stored struct{ Branch string }
		if err := json.Unmarshal(l.Entry, &stored); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, le.Identifier)
		branches = append(branches, stored.Branch)
		entries[le.Identifier] = append(entries[le.Identifier], le)
	}
	// "ask" and "fn" wait, so each is logged when it waits and when it resumes.
	want := []string{"on", "ask", "ask", "keep", "fn", "fn", "tier", "off", "on-again", "loud", "end"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("logged actions (-want +got):\n%s", diff)
	}
	// Each stored entry names the branch its block took.
	wantBranches := []string{"NextAction", "Wait:input", "NextAction", "NextAction", "Wait:function", "NextAction", "NextAction", "NextAction", "NextAction", "NextAction", "End:disconnected"}
	if diff := cmp.Diff(wantBranches, branches); diff != "" {
		t.Errorf("logged branches (-want +got):\n%s", diff)
	}
	hashOf := func(v string) string {
		m := hmac.New(sha256.New, logKey.Reveal())
		m.Write([]byte(v))
		return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
	}
	if got := entries["keep"][0].Parameters["Attributes"].(map[string]any)["member"]; got != hashOf(member) {
		t.Errorf("stored input copied to an attribute is logged as %v, want its keyed hash", got)
	}
	if got := entries["tier"][0].Parameters["Attributes"].(map[string]any)["tier"]; got != hashOf("gold") {
		t.Errorf("$.External value is logged as %v, want its keyed hash", got)
	}
	if got := entries["fn"][1].ExternalResults["tier"]; got != hashOf("gold") {
		t.Errorf("function answer logged as %q, want its keyed hash", got)
	}
	if r := entries["ask"][1].Results; r != "" {
		t.Errorf("stored input's Results are logged: %q", r)
	}
}
