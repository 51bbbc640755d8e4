package flow

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/secret"
)

// TestSensitiveAttributesInFlowLogs: values of attributes the instance marks sensitive, read
// or set by a flow, reach the flow log only as keyed hashes; other attributes as they are.
func TestSensitiveAttributesInFlowLogs(t *testing.T) {
	const ssn = "123-45-6789"
	doc := `{"Version": "2019-10-30", "StartAction": "log", "Actions": [
	  {"Identifier": "log", "Type": "UpdateFlowLoggingBehavior", "Parameters": {"FlowLoggingBehavior": "Enabled"},
	   "Transitions": {"NextAction": "set"}},
	  {"Identifier": "set", "Type": "UpdateContactAttributes",
	   "Parameters": {"Attributes": {"ssn": "` + ssn + `", "$.Attributes.keyName": "$.Attributes.acct", "tier": "gold"}},
	   "Transitions": {"NextAction": "say", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
	  {"Identifier": "say", "Type": "MessageParticipant", "Parameters": {"Text": "We have $.Attributes.ssn on file, tier $.Attributes.tier"},
	   "Transitions": {"NextAction": "check", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
	  {"Identifier": "check", "Type": "Compare", "Parameters": {"ComparisonValue": "$.Attributes.ssn"},
	   "Transitions": {"NextAction": "end", "Conditions": [], "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "end"}]}},
	  {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}]}`
	f, problems, err := Load([]byte(doc), Limits{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	sensitive := func(k string) bool { return k == "ssn" || strings.HasPrefix(k, "acct_") }
	e := NewEngine(Config{Flows: FlowSet{"f": {ID: "f", Flow: f}}, Clock: testClock, LogKey: secret.New([]byte(testLogKey)), SensitiveAttribute: sensitive})
	s := testSession("CHAT")
	s.Attributes["keyName"] = "acct_main"
	s.Attributes["acct"] = "021000021"
	res, err := e.Start(context.Background(), s, "f")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res.Log)
	if err != nil {
		t.Fatal(err)
	}
	logs := string(b)
	for _, v := range []string{ssn, "021000021"} {
		if strings.Contains(logs, v) {
			t.Errorf("flow log holds sensitive value %q: %s", v, logs)
		}
	}
	if !strings.Contains(logs, `"tier":"gold"`) {
		t.Errorf("flow log lost the ordinary attribute: %s", logs)
	}
	if n := strings.Count(logs, "hmac-sha256:"); n < 4 {
		t.Errorf("flow log has %d keyed hashes, want at least 4 (two set, one message, one comparison): %s", n, logs)
	}
	// The flow itself still reads and sets the values.
	if s.Attributes["ssn"] != ssn || s.Attributes["acct_main"] != "021000021" {
		t.Errorf("attributes = %v", s.Attributes)
	}
}

// TestFlowLogBranchIsValueFree: every logged block carries the branch it took, and a
// condition is named by its position, never by its operand (which says what the value was
// compared with), while the trace keeps the operand.
func TestFlowLogBranchIsValueFree(t *testing.T) {
	doc := `{"Version": "2019-10-30", "StartAction": "log", "Actions": [
	  {"Identifier": "log", "Type": "UpdateFlowLoggingBehavior", "Parameters": {"FlowLoggingBehavior": "Enabled"},
	   "Transitions": {"NextAction": "check"}},
	  {"Identifier": "check", "Type": "Compare", "Parameters": {"ComparisonValue": "$.Attributes.ssn"},
	   "Transitions": {"NextAction": "end", "Conditions": [
	     {"NextAction": "end", "Condition": {"Operator": "Equals", "Operands": ["000-00-0000"]}},
	     {"NextAction": "wait", "Condition": {"Operator": "Equals", "Operands": ["123-45-6789"]}}],
	    "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "end"}]}},
	  {"Identifier": "wait", "Type": "GetParticipantInput", "Parameters": {"Text": "Press 1", "StoreInput": "False", "InputTimeLimitSeconds": "5"},
	   "Transitions": {"NextAction": "end", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}, {"ErrorType": "NoMatchingCondition", "NextAction": "end"}]}},
	  {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}]}`
	f, problems, err := Load([]byte(doc), Limits{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	e := NewEngine(Config{Flows: FlowSet{"f": {ID: "f", Flow: f}}, Clock: testClock, LogKey: secret.New([]byte(testLogKey)),
		SensitiveAttribute: func(k string) bool { return k == "ssn" }})
	s := testSession("CHAT")
	s.Attributes["ssn"] = "123-45-6789"
	res, err := e.Start(context.Background(), s, "f")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range res.Log {
		got = append(got, l.Identifier+" "+l.Branch)
	}
	want := []string{"log NextAction", "check Condition:2", "wait Wait:" + string(res.Wait.Kind)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("logged branches %q, want %q", got, want)
	}
	if res.Steps[1].Branch != "Condition:123-45-6789" {
		t.Errorf("trace branch %q, want the operand", res.Steps[1].Branch)
	}
	b, _ := json.Marshal(res.Log)
	if strings.Contains(string(b), "123-45-6789") || strings.Contains(string(b), "Branch") {
		t.Errorf("flow log JSON holds the operand or a Branch member: %s", b)
	}
}
