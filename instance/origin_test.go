package instance

import (
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "https://shop.example.com", want: "https://shop.example.com"},
		{in: "HTTPS://Shop.Example.COM:443", want: "https://shop.example.com"},
		{in: "http://shop.example.com:80", want: "http://shop.example.com"},
		{in: "https://shop.example.com:8443", want: "https://shop.example.com:8443"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "https://[2001:DB8::1]", want: "https://[2001:db8::1]"},
		{in: "http://localhost:3000", want: "http://localhost:3000"},
		{in: "https://xn--bcher-kva.example", want: "https://xn--bcher-kva.example"},
		{in: "", err: "1 to 267"},
		{in: "https://shop.example.com/", err: "no path"},
		{in: "https://shop.example.com/cart", err: "no path"},
		{in: "https://shop.example.com?x=1", err: "no path"},
		{in: "https://shop.example.com#top", err: "no path"},
		{in: "https://shop.example.com?", err: "no path"},
		{in: "ftp://shop.example.com", err: "https or http"},
		{in: "javascript:alert(1)", err: "https or http"},
		{in: "shop.example.com", err: "https or http"},
		{in: "https://*.example.com", err: "wildcards"},
		{in: "https://user:pw@shop.example.com", err: "scheme://host"},
		{in: "https://shop.example.com:0", err: "port"},
		{in: "https://shop.example.com:65536", err: "port"},
		{in: "https://shop.example.com:08443", err: "port"},
		{in: "https://shop.example.com:", err: "port"},
		{in: "https://shop.example.com.", err: "trailing dot"},
		{in: "https://shop_example.com", err: "letters, digits and hyphens"},
		{in: "https://bücher.example", err: "punycode"},
		{in: "https://-bad.example.com", err: "labels"},
		{in: "https://shop..example.com", err: "labels"},
		{in: "https://shop.example.com\r\nX: y", err: "no spaces"},
		{in: "null", err: "https or http"},
		{in: "http://[::ffff:127.0.0.1]", err: "plain IPv6"},
		{in: "http://0127.0.0.1", err: "dotted decimal"},
		{in: "http://2852039166", err: "dotted decimal"},
		{in: "https://" + strings.Repeat("a", 260) + ".com", err: "1 to 267"},
	} {
		got, err := NormalizeOrigin(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want an error about %q", tc.in, got, err, tc.err)
		}
	}
}

// FuzzNormalizeOrigin: whatever a browser (or anyone) puts in an Origin header, a normal form
// is its own normal form, has no path, and is never longer than the limit.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.example.com", "HTTP://[::FFFF:127.0.0.1]:80", "https://a.b:1/", "http://%61.com", "https://a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := NormalizeOrigin(s)
		if err != nil {
			return
		}
		again, err := NormalizeOrigin(o)
		if err != nil || again != o {
			t.Fatalf("NormalizeOrigin(%q) = %q, which normalises to %q, %v", s, o, again, err)
		}
		if rest := o[strings.Index(o, "://")+3:]; strings.ContainsAny(rest, "/?#@ ") || len(o) > MaxOriginLength {
			t.Fatalf("NormalizeOrigin(%q) = %q", s, o)
		}
	})
}
