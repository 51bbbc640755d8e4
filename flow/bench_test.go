package flow

import (
	"context"
	"testing"

	"github.com/ringfence/ringfence/secret"
)

// benchFlow loops 100 times over UpdateContactAttributes and Compare: 302 actions per
// run (Loop + attributes + compare per iteration, then the final Loop and
// EndFlowExecution).
const benchFlow = `{"Version":"2019-10-30","StartAction":"loop","Actions":[
 {"Identifier":"loop","Type":"Loop","Parameters":{"LoopCount":"100"},"Transitions":{"NextAction":"end","Conditions":[
   {"NextAction":"set","Condition":{"Operator":"Equals","Operands":["ContinueLooping"]}},
   {"NextAction":"end","Condition":{"Operator":"Equals","Operands":["DoneLooping"]}}]}},
 {"Identifier":"set","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"seen":"$.Attributes.name"}},"Transitions":{"NextAction":"cmp","Errors":[{"ErrorType":"NoMatchingError","NextAction":"end"}]}},
 {"Identifier":"cmp","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.seen"},"Transitions":{"NextAction":"end","Conditions":[
   {"NextAction":"loop","Condition":{"Operator":"Equals","Operands":["Ada"]}}],"Errors":[{"ErrorType":"NoMatchingCondition","NextAction":"end"}]}},
 {"Identifier":"end","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}]}`

// BenchmarkSimpleActions measures engine throughput on simple actions (target: at least
// 1,000,000 actions/s per core; DESIGN.md performance budgets). Run with
// go test -run '^$' -bench SimpleActions -cpu 1 ./flow
func BenchmarkSimpleActions(b *testing.B) {
	f, _, err := Load([]byte(benchFlow), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(Config{Flows: FlowSet{"bench": {ID: "bench", Flow: f}}})
	ctx := context.Background()
	steps := 0
	b.ReportAllocs()
	for b.Loop() {
		s := NewSession(Contact{ContactID: "c", Channel: "VOICE"})
		s.Attributes["name"] = "Ada"
		res, err := e.Start(ctx, s, "bench")
		if err != nil || res.Outcome == nil || res.Outcome.Kind != OutcomeEnded {
			b.Fatalf("run: %v %+v", err, res.Outcome)
		}
		steps += len(res.Steps)
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "actions/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/action")
}

// waitingSession returns the sample greeting flow's session waiting at its menu.
func waitingSession(b *testing.B) *Session {
	fs := sampleFlows(b)
	e := testEngine(fs, true, fakeHost{open: true})
	s := testSession("VOICE")
	ctx := context.Background()
	if _, err := e.Start(ctx, s, "greeting"); err != nil {
		b.Fatal(err)
	}
	if _, err := e.Resume(ctx, s, Answer{External: map[string]string{"firstName": "Ada", "tier": "gold"}}); err != nil {
		b.Fatal(err)
	}
	if !s.Waiting() || s.Wait.Kind != WaitInput {
		b.Fatalf("session not waiting for input: %+v", s.Wait)
	}
	_ = secret.Redacted
	return s
}

// BenchmarkSessionMarshal measures a session snapshot (target: at most 20 µs).
// Run with go test -run '^$' -bench Session ./flow
func BenchmarkSessionMarshal(b *testing.B) {
	s := waitingSession(b)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := s.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
}

// BenchmarkSessionUnmarshal measures restoring a session snapshot.
func BenchmarkSessionUnmarshal(b *testing.B) {
	data, err := waitingSession(b).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalSession(data); err != nil {
			b.Fatal(err)
		}
	}
}
