package instance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
)

func TestIsSensitive(t *testing.T) {
	t.Parallel()
	d := DataProtection{SensitiveAttributes: []string{"ssn", "card_*", "Acct.*"}}
	for key, want := range map[string]bool{
		"ssn": true, "SSN": false, "ssn2": false, "card_": true, "card_number": true, "card": false,
		"Acct.main": true, "acct.main": false, "tier": false, "": false,
	} {
		if got := d.IsSensitive(key); got != want {
			t.Errorf("IsSensitive(%q) = %v, want %v", key, got, want)
		}
	}
	if (DataProtection{}).IsSensitive("ssn") {
		t.Error("the zero settings mark an attribute sensitive")
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	got, err := DataProtection{SensitiveAttributes: []string{"ssn", "card_*", "ssn"}}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	want := DataProtection{SensitiveAttributes: []string{"card_*", "ssn"}, CardDisplay: CardMaskAll}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	if got, err := (DataProtection{SensitiveAttributes: []string{}}).Normalize(); err != nil || got.SensitiveAttributes != nil {
		t.Errorf("empty list: %v, %v", got.SensitiveAttributes, err)
	}
	many := make([]string, MaxSensitiveAttributes+1)
	for i := range many {
		many[i] = "a" + strings.Repeat("b", i)
	}
	for name, d := range map[string]DataProtection{
		"bad policy":     {CardDisplay: "show"},
		"space":          {SensitiveAttributes: []string{"bad key"}},
		"star alone":     {SensitiveAttributes: []string{"*"}},
		"star inside":    {SensitiveAttributes: []string{"a*b"}},
		"empty name":     {SensitiveAttributes: []string{""}},
		"too long":       {SensitiveAttributes: []string{strings.Repeat("k", 128)}},
		"too many names": {SensitiveAttributes: many},
	} {
		if _, err := d.Normalize(); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("%s: err = %v, want InvalidParameterException", name, err)
		}
	}
}
