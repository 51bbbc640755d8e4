package flow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/secret"
)

func flowSetOf(t *testing.T, docs map[string]string) FlowSet {
	t.Helper()
	fs := FlowSet{}
	for id, doc := range docs {
		fs[id] = FlowRef{ID: id, Name: id, Flow: mustParse(t, doc)}
	}
	return fs
}

func TestCycleWithoutLoopStops(t *testing.T) {
	fs := flowSetOf(t, map[string]string{"spin": `{"Version":"2019-10-30","StartAction":"a","Actions":[
		{"Identifier":"a","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"x":"1"}},"Transitions":{"NextAction":"b"}},
		{"Identifier":"b","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.x"},"Transitions":{"NextAction":"a"}}]}`})
	e := NewEngine(Config{Flows: fs, MaxSteps: 50})
	s := testSession("VOICE")
	res, err := e.Start(context.Background(), s, "spin")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Outcome, (&Outcome{Kind: OutcomeError, FlowID: "spin", Action: "a", Reason: "step limit of 50 actions reached"}); !cmp.Equal(got, want) {
		t.Errorf("outcome = %+v, want %+v", got, want)
	}
	if got := len(res.Steps); got != 50 {
		t.Errorf("steps = %d, want 50", got)
	}
	if _, err := e.Resume(context.Background(), s, Answer{}); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("Resume after end: err = %v, want ErrSessionEnded", err)
	}
}

func TestMisuse(t *testing.T) {
	fs := flowSetOf(t, map[string]string{"f": minimalFlow})
	e := NewEngine(Config{Flows: fs})
	if _, err := e.Start(context.Background(), testSession("VOICE"), "missing"); !errors.Is(err, ErrFlowNotFound) {
		t.Errorf("Start(missing): err = %v, want ErrFlowNotFound", err)
	}
	s := testSession("VOICE")
	s.Stack = []Frame{{FlowID: "f", Action: "a"}}
	if _, err := e.Start(context.Background(), s, "f"); !errors.Is(err, ErrSessionStarted) {
		t.Errorf("Start twice: err = %v, want ErrSessionStarted", err)
	}
	if _, err := e.Resume(context.Background(), s, Answer{}); !errors.Is(err, ErrSessionNotWaiting) {
		t.Errorf("Resume not waiting: err = %v, want ErrSessionNotWaiting", err)
	}
}

// TestResumeAfterRestart checks that a session resumed from JSON with a new engine
// behaves exactly like one kept in memory.
func TestResumeAfterRestart(t *testing.T) {
	fs := sampleFlows(t)
	answers := []Answer{{External: map[string]string{"firstName": "Ada", "tier": "gold"}}, {Input: secret.New("1")}, {}}
	inMemory := func() []*Result {
		e := testEngine(fs, true, fakeHost{open: true})
		s := testSession("VOICE")
		r, _ := e.Start(context.Background(), s, "greeting")
		out := []*Result{r}
		for _, a := range answers {
			r, _ = e.Resume(context.Background(), s, a)
			out = append(out, r)
		}
		return out
	}()
	restarted := func() []*Result {
		s := testSession("VOICE")
		r, _ := testEngine(fs, true, fakeHost{open: true}).Start(context.Background(), s, "greeting")
		out := []*Result{r}
		for _, a := range answers {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if s, err = UnmarshalSession(b); err != nil {
				t.Fatal(err)
			}
			r, _ = testEngine(fs, true, fakeHost{open: true}).Resume(context.Background(), s, a)
			out = append(out, r)
		}
		return out
	}()
	if diff := cmp.Diff(inMemory, restarted); diff != "" {
		t.Errorf("restart changed the run (-memory +restarted):\n%s", diff)
	}
	if _, err := UnmarshalSession([]byte(`{"v":99}`)); err == nil {
		t.Error("UnmarshalSession accepted version 99")
	}
}

func TestSecureInputNeverStored(t *testing.T) {
	fs := sampleFlows(t)
	var log strings.Builder
	e := testEngine(fs, true, fakeHost{open: true})
	s := testSession("VOICE")
	s.Logging = true
	res, err := e.Start(context.Background(), s, "card")
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Wait; w == nil || w.Input == nil || !w.Input.Sensitive || !w.Input.Encrypted || w.Input.MaxDigits != 19 {
		t.Fatalf("wait = %+v, want a sensitive encrypted input wait of 19 digits", res.Wait)
	}
	res2, err := e.Resume(context.Background(), s, Answer{Input: secret.New(canaryCard)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{res, res2, s})
	log.Write(b)
	if strings.Contains(log.String(), canaryCard) {
		t.Errorf("plaintext card number found in results or session")
	}
	if got, want := s.StoredCustomerInput, "QUFFQ1RFWFQ=ringfence-demo-input-key-1"; got != want {
		t.Errorf("$.StoredCustomerInput = %q, want the ciphertext %q", got, want)
	}
	if got := res2.Wait.Function.Parameters["encryptedCard"]; got != s.StoredCustomerInput {
		t.Errorf("function parameter = %q, want the ciphertext", got)
	}
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		op, operand, value string
		want               bool
	}{
		{"Equals", "gold", "gold", true},
		{"Equals", "gold", "Gold", false},
		{"TextStartsWith", "+44", "+447700900123", true},
		{"TextEndsWith", "123", "+447700900123", true},
		{"TextContains", "7009", "+447700900123", true},
		{"NumberGreaterThan", "10", "10.5", true},
		{"NumberGreaterThan", "10", "abc", false},
		{"NumberGreaterOrEqualTo", "10", "10", true},
		{"NumberLessThan", "21", "20", true},
		{"NumberLessOrEqualTo", "20", "21", false},
		{"Unknown", "x", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.value, func(t *testing.T) {
			if got := conditionHolds(Condition{Operator: tt.op, Operands: []string{tt.operand}}, tt.value); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTextResolution(t *testing.T) {
	s := testSession("CHAT")
	s.External = map[string]string{"Name.First": "Grace"}
	s.Stack = []Frame{{FlowID: "f", FlowAttributes: map[string]string{"q": "sales"}}}
	r := &runner{s: s}
	tests := []struct {
		in, want  string
		sensitive bool
	}{
		{"plain", "plain", false},
		{"$.Attributes.name", "Ada", false},
		{"Hi $.Attributes.name, $.External.Name.First!", "Hi Ada, Grace!", true},
		{"$.Channel/$.FlowAttributes.q/$.CustomerEndpoint.Address", "CHAT/sales/+447700900123", false},
		{"cost $.5 and $.Attributes.missing.", "cost $.5 and .", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, sens := r.text(tt.in)
			if got != tt.want || sens != tt.sensitive {
				t.Errorf("text(%q) = %q, %v; want %q, %v", tt.in, got, sens, tt.want, tt.sensitive)
			}
		})
	}
}

func TestListResources(t *testing.T) {
	fs := sampleFlows(t)
	got := ListResources(fs["chat"].Flow)
	want := Resources{
		Queues: []string{"arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo/queue/billing",
			"arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo/queue/general",
			"arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo/queue/orders"},
		Flows:   []string{"arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo/contact-flow/chat-queue"},
		Modules: []string{"arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo/flow-module/verify-customer"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListResources (-want +got):\n%s", diff)
	}
	card := ListResources(fs["card"].Flow)
	if diff := cmp.Diff([]string{"ringfence-demo-input-key-1"}, card.EncryptionKeys); diff != "" {
		t.Errorf("encryption keys (-want +got):\n%s", diff)
	}
}
