package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// The seed corpora are in testdata/fuzz/FuzzParseAuthorization and
// testdata/fuzz/FuzzVerifyRequest. Run, for example:
//
//	go test -run '^$' -fuzz FuzzParseAuthorization -fuzztime 20s ./api/sigv4/

// FuzzParseAuthorization checks that the parser never panics and that what it accepts
// is well formed and round-trips through the header form.
func FuzzParseAuthorization(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseAuthorization(in)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParseAuthorization(%q): got %T, want *Error", in, err)
			}
			return
		}
		if !isAccessKeyID(a.AccessKeyID) || !isScopeDate(a.Date) || !isScopeToken(a.Region) ||
			!isScopeToken(a.Service) || !isLowerHex(a.Signature, signatureHexLen) || len(a.SignedHeaders) == 0 {
			t.Fatalf("ParseAuthorization(%q) accepted a malformed value: %+v", in, a)
		}
		out := Algorithm + " Credential=" + a.AccessKeyID + "/" + a.Scope() +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		b, err := ParseAuthorization(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if strings.Join(a.SignedHeaders, ";") != strings.Join(b.SignedHeaders, ";") || a.Scope() != b.Scope() ||
			a.AccessKeyID != b.AccessKeyID || a.Signature != b.Signature {
			t.Fatalf("round trip of %q: got %+v, want %+v", in, b, a)
		}
	})
}

// FuzzVerifyRequest feeds arbitrary request lines, queries, header values and
// Authorization headers through the canonicaliser and Verify: no panic, a canonical
// URI and query made only of unreserved characters, '/', '&', '=' and %XX escapes, and
// every refusal an *Error.
func FuzzVerifyRequest(f *testing.F) {
	now := time.Date(2026, 11, 21, 18, 53, 7, 0, time.UTC)
	v, err := New(Config{
		Credentials: CredentialSourceFunc(func(context.Context, string) (Credential, error) {
			return Credential{Secret: secret.New("fuzz-secret")}, nil
		}),
		Regions: []string{"us-east-1"},
		Now:     func() time.Time { return now },
	})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Fuzz(func(t *testing.T, method, path, rawQuery, headerValue, authz string) {
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: rawQuery},
			RequestURI: path,
			Host:       "connect.example",
			Header: http.Header{
				"X-Amz-Date":    {"20261121T185307Z"},
				"X-Fuzz":        {headerValue},
				"Authorization": {authz},
			},
		}
		uri := appendCanonicalURI(nil, requestPath(r))
		checkEncoded(t, "canonical URI", uri, "/")
		if params, err := parseQuery(rawQuery); err == nil {
			checkEncoded(t, "canonical query", appendCanonicalQuery(nil, params), "&=")
		}
		if _, err := canonicalRequest(r, nil, []string{"host", "x-amz-date", "x-fuzz"}, emptySHA256); err != nil {
			t.Fatalf("canonicalRequest: %v", err)
		}
		if _, err := v.Verify(context.Background(), r); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Verify: got %T %v, want *Error", err, err)
			}
		}
	})
}

func checkEncoded(t *testing.T, what string, b []byte, extra string) {
	t.Helper()
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case isUnreserved(c), strings.IndexByte(extra, c) >= 0:
		case c == '%' && i+2 < len(b) && strings.IndexByte(upperHex, b[i+1]) >= 0 && strings.IndexByte(upperHex, b[i+2]) >= 0:
			i += 2
		default:
			t.Fatalf("%s %q: byte %q at %d is not encoded", what, b, c, i)
		}
	}
}
