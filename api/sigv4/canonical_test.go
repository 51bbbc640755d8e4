package sigv4

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// Credentials of the AWS documentation and SigV4 test suite examples.
const (
	docAKID   = "AKIDEXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

func TestDeriveSigningKey(t *testing.T) {
	// AWS General Reference, "Examples of how to derive a signing key for Signature
	// Version 4": secret above, 20120215, us-east-1, iam.
	got := hex.EncodeToString(deriveSigningKey(secret.New(docSecret), "20120215", "us-east-1", "iam"))
	want := "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got != want {
		t.Errorf("deriveSigningKey: got %s, want %s", got, want)
	}
}

// TestVerifyPublishedVectors verifies requests from the public SigV4 examples, which
// were signed by AWS, not by the SDK used as the oracle elsewhere.
func TestVerifyPublishedVectors(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		host    string
		service string
		header  map[string]string
		signed  string
		sig     string
	}{
		{
			name: "get-vanilla (SigV4 test suite)", target: "/", host: "example.amazonaws.com", service: "service",
			signed: "host;x-amz-date", sig: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		},
		{
			name: "get-vanilla-query-order-key-case (SigV4 test suite)", target: "/?Param2=value2&Param1=value1", host: "example.amazonaws.com", service: "service",
			signed: "host;x-amz-date", sig: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
		},
		{
			name: "IAM ListUsers (General Reference example)", target: "/?Action=ListUsers&Version=2010-05-08", host: "iam.amazonaws.com", service: "iam",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
			signed: "content-type;host;x-amz-date", sig: "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(Config{
				Credentials: CredentialSourceFunc(func(_ context.Context, id string) (Credential, error) {
					if id != docAKID {
						return Credential{}, ErrUnknownAccessKey
					}
					return Credential{Secret: secret.New(docSecret)}, nil
				}),
				Regions: []string{"us-east-1"},
				Service: tt.service,
				Now:     func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) },
			})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			r := httptest.NewRequest("GET", tt.target, nil)
			r.Host = tt.host
			for k, val := range tt.header {
				r.Header.Set(k, val)
			}
			r.Header.Set("X-Amz-Date", "20150830T123600Z")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAKID+"/20150830/us-east-1/"+tt.service+"/aws4_request, SignedHeaders="+tt.signed+", Signature="+tt.sig)
			if _, err := v.Verify(context.Background(), r); err != nil {
				t.Errorf("Verify: got %v, want nil", err)
			}
		})
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/instance", "/instance"},
		{"/users/arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2Fabc/u-1",
			"/users/arn%253Aaws%253Aconnect%253Aus-east-1%253A123456789012%253Ainstance%252Fabc/u-1"},
		{"/a%20b/c+d/e:f", "/a%2520b/c%2Bd/e%3Af"},
		{"/-_.~/%C3%A9", "/-_.~/%25C3%25A9"},
		{"/a//b/./c/../d", "/a//b/./c/../d"}, // not normalised: signed as sent
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(appendCanonicalURI(nil, tt.in)); got != tt.want {
				t.Errorf("canonical URI of %q: got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "empty", in: "", want: ""},
		{name: "sorted by key", in: "b=2&a=1", want: "a=1&b=2"},
		{name: "repeated keys sorted by value", in: "a=2&a=1&a=", want: "a=&a=1&a=2"},
		{name: "key without value", in: "flag", want: "flag="},
		{name: "plus is space", in: "q=a+b", want: "q=a%20b"},
		{name: "encoded plus kept", in: "q=a%2Bb", want: "q=a%2Bb"},
		{name: "space encoded", in: "q=a%20b", want: "q=a%20b"},
		{name: "lower-case hex normalised", in: "u=%c3%a9", want: "u=%C3%A9"},
		{name: "unicode raw", in: "u=\u00e9", want: "u=%C3%A9"},
		{name: "unreserved kept", in: "t=a~b-c_d.e", want: "t=a~b-c_d.e"},
		{name: "reserved encoded", in: "n=a/b:c=d@e", want: "n=a%2Fb%3Ac%3Dd%40e"},
		{name: "empty pieces skipped", in: "&&a=1&", want: "a=1"},
		{name: "empty key", in: "=x", want: "=x"},
		{name: "sort on encoded form", in: "a%20b=1&a-b=2&a=3", want: "a=3&a%20b=1&a-b=2"},
		{name: "bad escape", in: "a=%zz", wantErr: true},
		{name: "semicolon", in: "a=1;b=2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params, err := parseQuery(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errMalformedQuery) {
					t.Errorf("parseQuery(%q): got error %v, want %v", tt.in, err, errMalformedQuery)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseQuery(%q): got error %v, want nil", tt.in, err)
			}
			if got := string(appendCanonicalQuery(nil, params)); got != tt.want {
				t.Errorf("canonical query of %q: got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := httptest.NewRequest("POST", "http://connect.example:8443/x", nil)
	r.Header.Set("Content-Type", "  application/json  ")
	r.Header["X-Multi"] = []string{"a   b", " c ", ""}
	r.Header["x-lower"] = []string{"set by hand"}
	r.Header.Set("X-Empty", "")
	r.ContentLength = 42
	got, err := appendCanonicalHeaders(nil, r, []string{"content-length", "content-type", "host", "x-empty", "x-lower", "x-multi"})
	if err != nil {
		t.Fatalf("appendCanonicalHeaders: %v", err)
	}
	want := "content-length:42\ncontent-type:application/json\nhost:connect.example:8443\nx-empty:\nx-lower:set by hand\nx-multi:a b,c,\n"
	if string(got) != want {
		t.Errorf("canonical headers: got %q, want %q", got, want)
	}
	_, err = appendCanonicalHeaders(nil, r, []string{"x-absent"})
	var missing *missingHeaderError
	if !errors.As(err, &missing) || missing.name != "x-absent" {
		t.Errorf("absent header: got %v, want missingHeaderError for x-absent", err)
	}
}

func TestKeyCache(t *testing.T) {
	c := newKeyCache(2)
	s1, s2 := secret.New("secret-one"), secret.New("secret-two")
	k1 := c.signingKey(s1, "20261121", "us-east-1", "connect")
	if want := deriveSigningKey(s1, "20261121", "us-east-1", "connect"); string(k1) != string(want) {
		t.Fatalf("cached key: got %x, want %x", k1, want)
	}
	k2 := c.signingKey(s2, "20261121", "us-east-1", "connect")
	if string(k1) == string(k2) {
		t.Errorf("keys of two secrets for the same scope are equal")
	}
	if again := c.signingKey(s1, "20261121", "us-east-1", "connect"); string(again) != string(k1) {
		t.Errorf("second lookup: got %x, want %x", again, k1)
	}
	c.signingKey(s1, "20261122", "us-east-1", "connect")
	c.signingKey(s1, "20261123", "us-east-1", "connect")
	if got, want := c.len(), 2; got != want {
		t.Errorf("cache size: got %d, want %d", got, want)
	}
}
