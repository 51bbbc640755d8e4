package identity

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

// FuzzClientIP: whatever X-Forwarded-For holds, the result is a valid address that is the
// peer itself when the peer is untrusted, and otherwise the peer or one of the listed hops.
// Seeds: testdata/fuzz/FuzzClientIP.
func FuzzClientIP(f *testing.F) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got, err := ClientIP(r, trusted)
		if err != nil {
			return
		}
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ClientIP = %v: not a plain valid address", got)
		}
		peer, _ := parseHostAddr(remote)
		if !inPrefixes(peer, trusted) && got != peer {
			t.Fatalf("untrusted peer %v, got %v from X-Forwarded-For", peer, got)
		}
		if got != peer && !strings.Contains(xff, strings.Split(got.String(), "%")[0]) {
			// IPv6 text may be written differently in the header; compare parsed hops.
			found := false
			for _, h := range strings.Split(xff, ",") {
				if a, err := parseHostAddr(strings.TrimSpace(h)); err == nil && a == got {
					found = true
				}
			}
			if !found {
				t.Fatalf("ClientIP = %v, neither the peer nor a listed hop", got)
			}
		}
	})
}

// FuzzVerifyPasswordHash: a stored hash of any shape is either verified or refused with
// ErrMalformedHash, without panics or unbounded work. Seeds: testdata/fuzz/FuzzVerifyPasswordHash.
func FuzzVerifyPasswordHash(f *testing.F) {
	h := fastHasher()
	f.Fuzz(func(t *testing.T, encoded string) {
		p, _, _, err := parsePHC(encoded)
		if err != nil {
			return
		}
		if p.MemoryKiB > 4096 || p.Iterations > 4 || p.Parallelism > 4 {
			return // well-formed but too slow to run per fuzz input
		}
		if _, _, err := h.VerifyPassword(context.Background(), encoded, secret.New("x")); err != nil {
			t.Fatalf("parsed hash failed to verify: %v", err)
		}
	})
}

// FuzzCheckPassword: any input gets nil or an InvalidParameterException that does not echo
// the password. Seeds: testdata/fuzz/FuzzCheckPassword.
func FuzzCheckPassword(f *testing.F) {
	pol := NewPasswordPolicy(true)
	f.Fuzz(func(t *testing.T, pw, username string) {
		err := pol.CheckPassword(secret.New(pw), username)
		if err == nil {
			return
		}
		e := apierr.As(err)
		if e == nil || e.Code != apierr.CodeInvalidParameter {
			t.Fatalf("got %v, want InvalidParameterException", err)
		}
		if len(pw) >= 4 && strings.Contains(e.Message, pw) {
			t.Fatalf("message echoes the password")
		}
	})
}
