package flow

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func kinds(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p.Kind)+" "+p.Path)
	}
	return out
}

const minimalFlow = `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

func TestParseProblems(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct {
		name string
		in   string
		want []string
		nilF bool
	}{
		{name: "minimal", in: minimalFlow},
		{name: "not json", in: `{"Version":`, want: []string{"syntax $"}, nilF: true},
		{name: "trailing data", in: minimalFlow + `{}`, want: []string{"syntax $"}, nilF: true},
		{name: "array document", in: `[]`, want: []string{"structure $"}, nilF: true},
		{name: "deep nesting", in: `{"Version":"2019-10-30","Metadata":` + deep + `}`, want: []string{"too_deep $.Metadata" + strings.Repeat("[0]", 63)}, nilF: true},
		{name: "duplicate keys", in: `{"Version":"2019-10-30","Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"DisconnectParticipant","Parameters":{"x":"1","x":"2"},"Transitions":{}}]}`,
			want: []string{"duplicate_key $.Version", "duplicate_key $.Actions[0].Parameters.x"}},
		{name: "wrong version", in: strings.Replace(minimalFlow, "2019-10-30", "2020-01-01", 1), want: []string{"unsupported_version $.Version"}},
		{name: "ill-typed fields", in: `{"Version":"2019-10-30","StartAction":1,"Actions":[{"Identifier":2,"Type":"X","Parameters":[],"Transitions":{"NextAction":3,"Errors":[{"ErrorType":4}]}}]}`,
			want: []string{"structure $.StartAction", "structure $.Actions[0].Identifier", "structure $.Actions[0].Parameters",
				"structure $.Actions[0].Transitions.NextAction", "structure $.Actions[0].Transitions.Errors[0].ErrorType", "structure $.Actions[0].Transitions.Errors[0].NextAction"}},
		{name: "huge number", in: `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Loop","Parameters":{"LoopCount":1e999999999},"Transitions":{}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ps := Parse([]byte(tt.in), Limits{})
			if diff := cmp.Diff(tt.want, kinds(ps)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if got := f == nil; got != tt.nilF {
				t.Errorf("flow nil = %v, want %v", got, tt.nilF)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, 50<<20)
	for i := range big {
		big[i] = ' '
	}
	copy(big, `{"Version":"2019-10-30"}`)
	f, ps := Parse(big, Limits{})
	if f != nil || len(ps) != 1 || ps[0].Kind != KindTooLarge {
		t.Errorf("50 MB: got %v, want one too_large problem", ps)
	}
	f, ps, err := ReadAll(bytes.NewReader(big), Limits{})
	if err != nil || f != nil || len(ps) != 1 || ps[0].Kind != KindTooLarge {
		t.Errorf("ReadAll 50 MB: got %v %v, want one too_large problem", ps, err)
	}
	// 256,001 characters of multi-byte text within the byte bound.
	text := strings.Repeat("é", 256001)
	_, ps = Parse([]byte(`{"Version":"2019-10-30","Metadata":{"x":"`+text+`"}}`), Limits{})
	if len(ps) != 1 || ps[0].Kind != KindTooLarge {
		t.Errorf("256,001 characters: got %v, want too_large", kinds(ps))
	}
	var acts []any
	for i := 0; i < 251; i++ {
		acts = append(acts, map[string]any{"Identifier": strings.Repeat("x", 1) + string(rune('A'+i%26)) + strings.Repeat("y", i/26), "Type": "EndFlowExecution", "Parameters": map[string]any{}, "Transitions": map[string]any{}})
	}
	b, _ := json.Marshal(map[string]any{"Version": "2019-10-30", "StartAction": "xA", "Actions": acts})
	_, ps = Parse(b, Limits{})
	if diff := cmp.Diff([]string{"too_many_actions $.Actions"}, kinds(ps)); diff != "" {
		t.Errorf("251 actions (-want +got):\n%s", diff)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	in := `{"Version":"2019-10-30","StartAction":"a","Metadata":{"entryPointPosition":{"x":40,"y":-7.5},"ActionMetadata":{"a":{"position":{"x":1e2,"y":0}}},"name":"Ünïcode \u00e9"},"Actions":[{"Identifier":"a","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}],"Settings":{"InputParameters":[],"OutputParameters":[],"Transitions":[{"DisplayName":"Success","ReferenceName":"Success","Description":""}]}}`
	f, ps := Parse([]byte(in), Limits{})
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	out, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	f2, _ := Parse(out, Limits{})
	if got, want := string(f2.Metadata), `{"entryPointPosition":{"x":40,"y":-7.5},"ActionMetadata":{"a":{"position":{"x":1e2,"y":0}}},"name":"Ünïcode \u00e9"}`; got != want {
		t.Errorf("Metadata = %s, want %s", got, want)
	}
	ms, err := f2.ModuleSettings()
	if err != nil || len(ms.Transitions) != 1 || ms.Transitions[0].ReferenceName != "Success" {
		t.Errorf("ModuleSettings = %+v, %v", ms, err)
	}
}

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name    string
		actions string
		start   string
		want    []string
	}{
		{name: "unknown type and dangling", start: "a", actions: `
			{"Identifier":"a","Type":"SetVoice","Parameters":{},"Transitions":{"NextAction":"nowhere"}}`,
			want: []string{"unknown_type $.Actions[0].Type", "dangling_target $.Actions[0].Transitions"}},
		{name: "missing and ill-typed parameters", start: "a", actions: `
			{"Identifier":"a","Type":"InvokeLambdaFunction","Parameters":{"InvocationTimeLimitSeconds":"soon"},"Transitions":{"NextAction":"b"}},
			{"Identifier":"b","Type":"Loop","Parameters":{"LoopCount":"101"},"Transitions":{}}`,
			want: []string{"missing_parameter $.Actions[0].Parameters.LambdaFunctionARN", "invalid_parameter $.Actions[0].Parameters.InvocationTimeLimitSeconds",
				"invalid_parameter $.Actions[1].Parameters.LoopCount"}},
		{name: "start missing, duplicate, unreachable", start: "zz", actions: `
			{"Identifier":"a","Type":"EndFlowExecution","Parameters":{},"Transitions":{}},
			{"Identifier":"a","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
			want: []string{"duplicate_identifier $.Actions[1].Identifier", "missing_start_action $.StartAction"}},
		{name: "unreachable warning", start: "a", actions: `
			{"Identifier":"a","Type":"EndFlowExecution","Parameters":{},"Transitions":{}},
			{"Identifier":"b","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
			want: []string{"unreachable_action $.Actions[1]"}},
		{name: "placeholders only", start: "${Start}", actions: `
			{"Identifier":"a","Type":"TransferToFlow","Parameters":{"ContactFlowId":"arn:${AWS::Partition}:connect:{{region}}"},"Transitions":{"NextAction":"%NEXT%"}}`,
			want: []string{"unresolved_placeholder $.Actions[0].Parameters.ContactFlowId", "unresolved_placeholder $.Actions[0].Parameters.ContactFlowId",
				"unresolved_placeholder $.Actions[0].Transitions.NextAction", "unresolved_placeholder $.StartAction"}},
		{name: "bad reference and operator", start: "a", actions: `
			{"Identifier":"a","Type":"Compare","Parameters":{"ComparisonValue":"$.BadValue"},"Transitions":{"NextAction":"b","Conditions":[{"NextAction":"b","Condition":{"Operator":"Like","Operands":["x"]}}]}},
			{"Identifier":"b","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
			want: []string{"invalid_reference $.Actions[0].Parameters.ComparisonValue", "invalid_transition $.Actions[0].Transitions.Conditions[0].Condition.Operator"}},
		{name: "secure input while logging", start: "log", actions: `
			{"Identifier":"log","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"card"}},
			{"Identifier":"card","Type":"GetParticipantInput","Parameters":{"Text":"card?","StoreInput":"True","InputValidation":{"CustomValidation":{"MaximumLength":"19"}},"InputEncryption":{"EncryptionKeyId":"k","Key":"pem"}},"Transitions":{"NextAction":"end"}},
			{"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}`,
			want: []string{"secure_input_logged $.Actions[1]"}},
		{name: "stored input without encryption while logging", start: "log", actions: `
			{"Identifier":"log","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"pin"}},
			{"Identifier":"pin","Type":"GetParticipantInput","Parameters":{"Text":"PIN?","StoreInput":"True"},"Transitions":{"NextAction":"end"}},
			{"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}`,
			want: []string{"secure_input_logged $.Actions[1]"}},
		{name: "forbidden identifier characters and names", start: "a:b", actions: `
			{"Identifier":"a:b","Type":"EndFlowExecution","Parameters":{},"Transitions":{}},
			{"Identifier":"go (now)","Type":"EndFlowExecution","Parameters":{},"Transitions":{}},
			{"Identifier":"__proto__","Type":"EndFlowExecution","Parameters":{},"Transitions":{}},
			{"Identifier":"Get & Encrypt Card #","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
			want: []string{"invalid_identifier $.Actions[0].Identifier", "invalid_identifier $.Actions[1].Identifier", "invalid_identifier $.Actions[2].Identifier",
				"unreachable_action $.Actions[1]", "unreachable_action $.Actions[2]", "unreachable_action $.Actions[3]"}},
		{name: "operand count and nested conditions", start: "a", actions: `
			{"Identifier":"a","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.x"},"Transitions":{"NextAction":"b","Conditions":[
				{"NextAction":"b","Condition":{"Operator":"Equals","Operands":["1","2"]}},
				{"NextAction":"b","Condition":{"Operator":"Equals","Operands":[{"Operator":"TextContains","Operands":["y"]}]}},
				{"NextAction":"b","Condition":{"Operator":"Equals","Operands":[{"Operator":"Equals","Operands":[{"Operator":"Equals","Operands":[{"Operator":"Equals","Operands":[{"Operator":"Equals","Operands":[{"Operator":"Equals","Operands":["z"]}]}]}]}]}]}}]}},
			{"Identifier":"b","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
			want: []string{"invalid_transition $.Actions[0].Transitions.Conditions[0].Condition.Operands",
				"invalid_transition $.Actions[0].Transitions.Conditions[1].Condition.Operands[0]",
				"invalid_transition $.Actions[0].Transitions.Conditions[2].Condition.Operands[0]",
				"invalid_transition $.Actions[0].Transitions.Conditions[2].Condition.Operands[0].Operands[0]",
				"invalid_transition $.Actions[0].Transitions.Conditions[2].Condition.Operands[0].Operands[0].Operands[0]",
				"invalid_transition $.Actions[0].Transitions.Conditions[2].Condition.Operands[0].Operands[0].Operands[0].Operands[0]",
				"invalid_transition $.Actions[0].Transitions.Conditions[2].Condition.Operands[0].Operands[0].Operands[0].Operands[0].Operands[0]",
				"invalid_transition $.Actions[0].Transitions.Conditions[2].Condition.Operands[0].Operands[0].Operands[0].Operands[0].Operands[0]"}},
		{name: "angle-bracket placeholders", start: "a", actions: `
			{"Identifier":"a","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"q":"<a queue ARN>","acct":"<ACCOUNT_ID>","gen":"<<QueueArn>>",
				"ssml":"<speak>Hi <break time=\"1s\"/> <b>there</b> <input disabled></speak>"}},"Transitions":{"NextAction":"b"}},
			{"Identifier":"b","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
			want: []string{"unresolved_placeholder $.Actions[0].Parameters.Attributes.acct", "unresolved_placeholder $.Actions[0].Parameters.Attributes.gen",
				"unresolved_placeholder $.Actions[0].Parameters.Attributes.q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2019-10-30","StartAction":"` + tt.start + `","Actions":[` + tt.actions + `]}`
			f, ps := Parse([]byte(doc), Limits{})
			if len(ps) > 0 {
				t.Fatalf("parse: %v", ps)
			}
			got := kinds(Validate(f))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"arn:${AWS::Partition}:connect:{{region}}:%ACCOUNT%", []string{"${AWS::Partition}", "{{region}}", "%ACCOUNT%"}},
		{"<<QueueArn>> then ${Next}", []string{"<<QueueArn>>", "${Next}"}},
		{"${First} <a queue ARN> %{ if x }", []string{"${First}", "<a queue ARN>", "%{ if x }"}},
		{"Key <ACCOUNT_ID> for <REGION>", []string{"<ACCOUNT_ID>", "<REGION>"}},
		{"<speak>Hello <break time=\"2s\"/><emphasis level=\"strong\">you</emphasis></speak>", nil},
		{"<TextContent>Steps:<ol><li>One</li></ol> <B>bold</B> <BR> <input disabled> <td nowrap>", nil},
		{"price < 5 and > 2, <x>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Placeholders(tt.in)); diff != "" {
				t.Errorf("Placeholders (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNestedConditionRoundTrip reads a nested condition and writes it back unchanged.
func TestNestedConditionRoundTrip(t *testing.T) {
	doc := `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Compare","Parameters":{"ComparisonValue":"$.Channel"},` +
		`"Transitions":{"NextAction":"a","Conditions":[{"NextAction":"a","Condition":{"Operator":"Equals","Operands":["x",{"Operator":"TextContains","Operands":["y"]}]}}]}}]}`
	f, ps := Parse([]byte(doc), Limits{})
	if f == nil || HasErrors(ps) {
		t.Fatalf("Parse: %v", ps)
	}
	got, err := json.Marshal(f.Actions[0].Transitions.Conditions[0].Condition)
	if want := `{"Operator":"Equals","Operands":["x",{"Operator":"TextContains","Operands":["y"]}]}`; err != nil || string(got) != want {
		t.Errorf("Marshal = %s, %v; want %s", got, err, want)
	}
	if conditionHolds(f.Actions[0].Transitions.Conditions[0].Condition, "x") != true {
		t.Error("the string operand no longer matches")
	}
}

func TestProblemJSON(t *testing.T) {
	_, ps, err := Load([]byte(`{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Start","Parameters":{},"Transitions":{}}]}`), Limits{})
	if err == nil {
		t.Fatal("Load accepted an unknown Type")
	}
	b, _ := json.Marshal(ps)
	want := `[{"severity":"error","kind":"unknown_type","identifier":"a","path":"$.Actions[0].Type","message":"unknown action Type \"Start\""}]`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	if got, want := err.Error(), `invalid flow: 1 problem(s):`+"\n  "+`error: $.Actions[0].Type (action "a"): unknown action Type "Start" [unknown_type]`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello $.Attributes.name.", []string{"$.Attributes.name"}},
		{"$.External.Name.First and $.Lex.Slots.my-slot!", []string{"$.External.Name.First", "$.Lex.Slots.my-slot"}},
		{"cost: $5 $. $.1", nil},
		{"<say-as>$.Attributes.PostalCode</say-as>", []string{"$.Attributes.PostalCode"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, References(tt.in)); diff != "" {
				t.Errorf("References (-want +got):\n%s", diff)
			}
		})
	}
	for ref, want := range map[string]bool{"$.External.x": true, "$.StoredCustomerInput": true, "$.Attributes.x": false} {
		if got := IsSensitiveReference(ref); got != want {
			t.Errorf("IsSensitiveReference(%q) = %v, want %v", ref, got, want)
		}
	}
}
