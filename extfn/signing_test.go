package extfn

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/secret"
)

const testSecret = "whsec-ringfence-test-key-0123456789"

// TestSignVector checks Sign against a value computed independently (Python's hmac module:
// hmac.new(key, b"1764000000." + body, hashlib.sha256).hexdigest()).
func TestSignVector(t *testing.T) {
	t.Parallel()
	got := Sign(secret.New(testSecret), 1764000000, []byte(`{"Name":"ContactFlowEvent"}`))
	want := "v1=ef5e9d0a222c0c6622d93576b884c79935dd61a308cdd1b2cc6681b78ed69109"
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	key := secret.New(testSecret)
	body := []byte(`{"Details":{},"Name":"ContactFlowEvent"}`)
	now := time.Unix(1764000000, 0)
	good := Sign(key, now.Unix(), body)
	tests := []struct {
		name      string
		ts        string
		sig       string
		body      []byte
		key       string
		now       time.Time
		tolerance time.Duration
		want      VerifyCode // "" means valid
	}{
		{"valid", "1764000000", good, body, testSecret, now, 0, ""},
		{"valid at edge of window", "1764000000", good, body, testSecret, now.Add(5 * time.Minute), 0, ""},
		{"valid with custom tolerance", "1764000000", good, body, testSecret, now.Add(-30 * time.Second), time.Minute, ""},
		{"valid among several entries", "1764000000", "v1=00ff, v0=abc," + good, body, testSecret, now, 0, ""},
		{"wrong key", "1764000000", good, body, testSecret + "x", now, 0, VerifyMismatch},
		{"body changed", "1764000000", good, []byte(`{"Details":{},"Name":"ContactFlowEvenT"}`), testSecret, now, 0, VerifyMismatch},
		{"timestamp changed", "1764000001", good, body, testSecret, now, 0, VerifyMismatch},
		{"too old", "1764000000", good, body, testSecret, now.Add(5*time.Minute + time.Second), 0, VerifyStale},
		{"from the future", "1764000000", good, body, testSecret, now.Add(-time.Hour), 0, VerifyStale},
		{"no timestamp", "", good, body, testSecret, now, 0, VerifyMissing},
		{"no signature", "1764000000", "", body, testSecret, now, 0, VerifyMissing},
		{"other scheme only", "1764000000", "v2=" + strings.TrimPrefix(good, "v1="), body, testSecret, now, 0, VerifyMissing},
		{"signature not hex", "1764000000", "v1=zz", body, testSecret, now, 0, VerifyMismatch},
		{"timestamp with sign", "+1764000000", good, body, testSecret, now, 0, VerifyMalformed},
		{"timestamp not a number", "1764000000a", good, body, testSecret, now, 0, VerifyMalformed},
		{"header too long", "1764000000", good + strings.Repeat(",v1=00", 200), body, testSecret, now, 0, VerifyMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.ts != "" {
				h.Set(HeaderTimestamp, tt.ts)
			}
			if tt.sig != "" {
				h.Set(HeaderSignature, tt.sig)
			}
			err := VerifyRequest(h, tt.body, secret.New(tt.key), tt.now, tt.tolerance)
			if tt.want == "" {
				if err != nil {
					t.Errorf("VerifyRequest: %v, want nil", err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("VerifyRequest error = %v, want *VerifyError", err)
			}
			if ve.Code != tt.want {
				t.Errorf("code = %q, want %q", ve.Code, tt.want)
			}
			if got, want := err.Error(), "verify request: "+string(tt.want); got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}
