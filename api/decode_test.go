package api

import (
	"strings"
	"testing"

	"github.com/ringfence/ringfence/apierr"
)

// FuzzDecodeJSON checks that restJson1 request decoding never panics and answers every
// malformed body with an InvalidRequestException.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"InstanceAlias":"a","InboundCallsEnabled":true}`, `[]`, `{"Tags":{"a":"b"}}`,
		`{"InstanceAlias":7}`, strings.Repeat(`{"a":`, 100), `{"a":"\u0000"}`, `{} {}`, `{"a":1e999999}`,
		`{"a":"\ud800"}`, `{"InboundCallsEnabled":"true"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in createInstanceInput
		err := decodeJSON(b, &in)
		if err != nil {
			e := apierr.As(err)
			if e == nil || e.Code != apierr.CodeInvalidRequest {
				t.Fatalf("decodeJSON(%q) = %v, want InvalidRequestException", b, err)
			}
		}
	})
}
