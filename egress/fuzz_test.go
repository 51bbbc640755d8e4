package egress

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckURL feeds arbitrary URLs through the static rules. Properties: no panic; an
// accepted host is either a canonical IP literal or an LDH name that no IPv4 parser reads as a
// number; an accepted URL is https without user information. Seeds: testdata/fuzz/FuzzCheckURL.
func FuzzCheckURL(f *testing.F) {
	f.Add("https://example.com/")
	f.Add("https://2852039166/")
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		tg, err := checkURL(u)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("checkURL(%q) error %T, want *Error", raw, err)
			}
			return
		}
		if !strings.EqualFold(u.Scheme, "https") || u.User != nil {
			t.Fatalf("checkURL(%q) accepted scheme %q user %v", raw, u.Scheme, u.User)
		}
		if tg.ip.IsValid() {
			return
		}
		if _, ok := parseLegacyIPv4(tg.host); ok {
			t.Fatalf("checkURL(%q) accepted host %q, which reads as IPv4", raw, tg.host)
		}
		for _, l := range strings.Split(tg.host, ".") {
			if !validLabel(l) {
				t.Fatalf("checkURL(%q) accepted host %q with label %q", raw, tg.host, l)
			}
		}
	})
}
