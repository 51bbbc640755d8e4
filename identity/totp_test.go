package identity

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890"; the 6-digit codes
// are the last six digits of the 8-digit values in the table.
var rfc6238Secret = secret.New("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")

func TestTOTPVerifyRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return time.Unix(tt.unix, 0) }}
			if err := v.Verify(context.Background(), "inst-a", "u-1", rfc6238Secret, tt.code); err != nil {
				t.Errorf("Verify(%s at %d) = %v, want nil", tt.code, tt.unix, err)
			}
		})
	}
}

func TestTOTPVerifyWindowAndReplay(t *testing.T) {
	base := time.Unix(1_700_000_010, 0) // 10 s into a step
	codeAt := func(d time.Duration) string {
		c, err := totp.GenerateCode(rfc6238Secret.Reveal(), base.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	type attempt struct {
		code    string
		wantErr bool
	}
	tests := []struct {
		name     string
		attempts []attempt
	}{
		{"current", []attempt{{codeAt(0), false}}},
		{"one step old", []attempt{{codeAt(-TOTPPeriod), false}}},
		{"one step ahead", []attempt{{codeAt(TOTPPeriod), false}}},
		{"two steps old", []attempt{{codeAt(-2 * TOTPPeriod), true}}},
		{"two steps ahead", []attempt{{codeAt(2 * TOTPPeriod), true}}},
		{"replay", []attempt{{codeAt(0), false}, {codeAt(0), true}}},
		{"older after newer", []attempt{{codeAt(0), false}, {codeAt(-TOTPPeriod), true}}},
		{"newer after older", []attempt{{codeAt(-TOTPPeriod), false}, {codeAt(0), false}}},
		{"wrong", []attempt{{"000000", true}}},
		{"short", []attempt{{"12345", true}}},
		{"letters", []attempt{{"12345a", true}}},
		{"spaces", []attempt{{" 12345", true}}},
		{"seven digits", []attempt{{"1234567", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return base }}
			for i, a := range tt.attempts {
				err := v.Verify(context.Background(), "inst-a", "u-1", rfc6238Secret, a.code)
				if !a.wantErr {
					if err != nil {
						t.Fatalf("attempt %d: got %v, want nil", i+1, err)
					}
					continue
				}
				if e := apierr.As(err); e == nil || e.Code != apierr.CodeAccessDenied || e.Message != MFAFailedMessage {
					t.Fatalf("attempt %d: got %v, want AccessDenied %q", i+1, err, MFAFailedMessage)
				}
			}
		})
	}
}

func TestTOTPConcurrentReplayAcceptedOnce(t *testing.T) {
	now := time.Unix(1_700_000_010, 0)
	code, _ := totp.GenerateCode(rfc6238Secret.Reveal(), now)
	v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return now }}
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if v.Verify(context.Background(), "inst-a", "u-1", rfc6238Secret, code) == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("code accepted %d times, want once", ok.Load())
	}
}

func TestTOTPStepsPerUser(t *testing.T) {
	now := time.Unix(1_700_000_010, 0)
	code, _ := totp.GenerateCode(rfc6238Secret.Reveal(), now)
	v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return now }}
	for _, u := range []string{"u-1", "u-2"} {
		if err := v.Verify(context.Background(), "inst-a", u, rfc6238Secret, code); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestNewTOTPEnrollment(t *testing.T) {
	e, err := NewTOTPEnrollment("Ringfence", "jdoe", bytes.NewReader(bytes.Repeat([]byte{0xAB}, 20)))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Secret.Reveal(); len(got) != 32 || got != "VOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5L" {
		t.Errorf("secret = %q, want the base32 of 20 bytes 0xAB", got)
	}
	u, err := url.Parse(e.URL.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Ringfence:jdoe" || q.Get("secret") != e.Secret.Reveal() ||
		q.Get("issuer") != "Ringfence" || q.Get("period") != "30" || q.Get("digits") != "6" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URL fields wrong: %s", strings.ReplaceAll(e.URL.Reveal(), e.Secret.Reveal(), "<secret>"))
	}
	for _, bad := range [][2]string{{"", "jdoe"}, {"Ringfence", ""}, {"Ring:fence", "jdoe"}} {
		if _, err := NewTOTPEnrollment(bad[0], bad[1], nil); !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("NewTOTPEnrollment(%q, %q): got %v, want InvalidParameterException", bad[0], bad[1], err)
		}
	}
	// The secret works with the verifier.
	now := time.Unix(1_700_000_000, 0)
	code, _ := totp.GenerateCode(e.Secret.Reveal(), now)
	v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return now }}
	if err := v.Verify(context.Background(), "i", "u", e.Secret, code); err != nil {
		t.Errorf("Verify with enrolled secret: %v", err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes, err := NewRecoveryCodes(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes and %d hashes, want 10 each", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		s := c.Reveal()
		if len(s) != 19 || strings.Count(s, "-") != 3 {
			t.Errorf("code %d has the wrong shape (len %d)", i, len(s))
		}
		if seen[hashes[i]] || hashes[i] != HashRecoveryCode(c) || strings.Contains(hashes[i], s) {
			t.Errorf("hash %d is duplicated, wrong, or holds the code", i)
		}
		seen[hashes[i]] = true
	}
	store := &MemoryMFAStore{}
	store.SetRecoveryCodes("inst-a", "u-1", hashes)
	ctx := context.Background()
	sloppy := secret.New(strings.ToLower(strings.ReplaceAll(codes[0].Reveal(), "-", " ")))
	tests := []struct {
		name    string
		user    string
		code    secret.Value[string]
		wantErr bool
	}{
		{"normalised form", "u-1", sloppy, false},
		{"used twice", "u-1", codes[0], true},
		{"second code", "u-1", codes[1], false},
		{"other user", "u-2", codes[2], true},
		{"unknown", "u-1", secret.New("AAAA-BBBB-CCCC-DDDD"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := UseRecoveryCode(ctx, store, "inst-a", tt.user, tt.code)
			if tt.wantErr != (err != nil) {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !apierr.HasCode(err, apierr.CodeAccessDenied) {
				t.Errorf("got %v, want AccessDenied", err)
			}
		})
	}
	if _, _, err := NewRecoveryCodes(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Error("short random source: got nil error")
	}
}

func BenchmarkTOTPVerify(b *testing.B) {
	now := time.Unix(1_700_000_010, 0)
	code, _ := totp.GenerateCode(rfc6238Secret.Reveal(), now)
	v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return now }}
	for b.Loop() {
		_ = v.Verify(context.Background(), "inst-a", "u-1", rfc6238Secret, code) // replays after the first: full check cost
	}
}

func TestTOTPCodeIsWhatVerifyAccepts(t *testing.T) {
	e, err := NewTOTPEnrollment("Ringfence", "jdoe", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 10, 0, 15, 0, time.UTC)
	code, err := TOTPCode(e.Secret, now)
	if err != nil || len(code) != TOTPDigits {
		t.Fatalf("TOTPCode = %q, %v", code, err)
	}
	v := TOTPVerifier{Store: &MemoryMFAStore{}, Now: func() time.Time { return now }}
	if err := v.Verify(context.Background(), "i", "u", e.Secret, code); err != nil {
		t.Errorf("Verify of TOTPCode's code: %v", err)
	}
	if _, err := TOTPCode(secret.New("not base32!"), now); err == nil {
		t.Error("TOTPCode accepted a secret that is not base32")
	}
}
