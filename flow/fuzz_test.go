package flow

import (
	"context"
	"testing"
)

// FuzzParse checks that any input parses, validates and (when valid) runs without a
// panic or a hang. Seeds live in testdata/fuzz/FuzzParse (deep nesting, duplicate keys,
// huge numbers, cycles, placeholders, ill-typed fields).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, ps := Parse(data, Limits{MaxDepth: 32})
		if fl == nil {
			if len(ps) == 0 {
				t.Fatal("no flow and no problem")
			}
			return
		}
		ps = append(ps, Validate(fl)...)
		ListResources(fl)
		out, err := fl.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if again, _ := Parse(out, Limits{MaxChars: 4 * len(out), MaxDepth: 64}); again == nil {
			t.Fatalf("re-parse of marshalled flow failed: %s", out)
		}
		if HasErrors(ps) {
			return
		}
		e := NewEngine(Config{Flows: FlowSet{"f": {ID: "f", Flow: fl}}, MaxSteps: 200})
		s := testSession("VOICE")
		if _, err := e.Start(context.Background(), s, "f"); err != nil {
			return
		}
		for i := 0; i < 10 && s.Waiting(); i++ {
			if _, err := e.Resume(context.Background(), s, Answer{Timeout: true}); err != nil {
				t.Fatalf("resume: %v", err)
			}
		}
	})
}
