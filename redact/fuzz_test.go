package redact_test

import (
	"testing"

	"github.com/ringfence/ringfence/redact"
)

// FuzzRedact checks, for both policies, that Redact does not panic, keeps the output within
// twice the input length, reports ordered in-range findings, and is idempotent. Seeds are in
// testdata/fuzz/FuzzRedact.
func FuzzRedact(f *testing.F) {
	rs := []*redact.Redactor{
		redact.New(redact.Policy{Card: redact.CardMaskAll}),
		redact.New(redact.Policy{Card: redact.CardBINLast4}),
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, r := range rs {
			out, fs := r.Redact(in)
			checkFindings(t, in, out, fs)
			if again, _ := r.Redact(out); again != out {
				t.Fatalf("Redact(Redact(%q)) = %q, want %q", in, again, out)
			}
		}
	})
}
