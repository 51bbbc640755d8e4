package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/api/sigv4"
	"github.com/ringfence/ringfence/secret"
)

const (
	testAKID    = "AKIDRINGFENCE0001"
	testSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion  = "us-east-1"
	testService = "connect"
	// instanceARNPath is an instance ARN as a path segment, encoded the way
	// aws-sdk-go-v2 and botocore encode path labels (':' and '/' percent-encoded).
	instanceARNPath = "arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2F8f1c6a3e-0000-4000-8000-000000000001"
)

// testNow is the clock shared by the SDK signer and the verifier.
var testNow = time.Date(2026, 11, 21, 18, 53, 7, 0, time.UTC)

// keyStore is an in-memory CredentialSource.
type keyStore map[string]sigv4.Credential

func (k keyStore) LookupAccessKey(_ context.Context, id string) (sigv4.Credential, error) {
	c, ok := k[id]
	if !ok {
		return sigv4.Credential{}, fmt.Errorf("key %s: %w", id, sigv4.ErrUnknownAccessKey)
	}
	return c, nil
}

func testKeys() keyStore {
	return keyStore{testAKID: {Secret: secret.New(testSecret), Principal: "instance-1/user-1"}}
}

func newVerifier(t testing.TB, mod func(*sigv4.Config)) *sigv4.Verifier {
	t.Helper()
	cfg := sigv4.Config{
		Credentials: testKeys(),
		Regions:     []string{testRegion},
		Now:         func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&cfg)
	}
	v, err := sigv4.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// outcome is what the server-side handler saw.
type outcome struct {
	result sigv4.Result
	err    error
	body   []byte // body read by the handler after Verify
}

// serve starts a server whose handler runs v.Verify on each request and reports the
// outcome, so the verifier sees requests exactly as net/http receives them.
func serve(t *testing.T, v *sigv4.Verifier) (*httptest.Server, <-chan outcome) {
	t.Helper()
	ch := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r.Context(), r)
		body, rerr := io.ReadAll(r.Body)
		if rerr != nil {
			t.Errorf("handler read body: %v", rerr)
		}
		ch <- outcome{result: res, err: err, body: body}
		var e *sigv4.Error
		switch {
		case err == nil:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
		case errors.As(err, &e):
			w.Header().Set("X-Amzn-Errortype", string(e.Code))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Status)
			_, _ = fmt.Fprintf(w, `{"Message":%q}`, e.Message)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// send sends req and returns what the handler saw.
func send(t *testing.T, srv *httptest.Server, ch <-chan outcome, req *http.Request) outcome {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return <-ch
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sdkSign signs req with the aws-sdk-go-v2 signer (the oracle) at time at.
func sdkSign(t *testing.T, req *http.Request, body []byte, creds aws.Credentials, region, service string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hexSHA256(body), service, region, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

func testCreds() aws.Credentials {
	return aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
}

func newRequest(t *testing.T, method, target string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// errCode returns the Code and Message of a *sigv4.Error, or "" and the text of another error.
func errCode(err error) (sigv4.Code, string) {
	if err == nil {
		return "", ""
	}
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Code, e.Message
	}
	return "", err.Error()
}

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	mib := bytes.Repeat([]byte("x"), 1<<20)
	jsonBody := []byte(`{"InstanceId":"8f1c6a3e","ContactFlowId":"f1","ParticipantDetails":{"DisplayName":"Ana"},"Attributes":{"k":"v w"}}`)
	tests := []struct {
		name   string
		method string
		path   string // as sent, percent-encoded
		query  string // raw query before signing
		body   []byte
		header map[string][]string
	}{
		{name: "get root", method: "GET", path: "/"},
		{name: "get empty body nil", method: "GET", path: "/instance"},
		{name: "arn path segment", method: "GET", path: "/users/" + instanceARNPath + "/user-1"},
		{name: "arn path with body", method: "POST", path: "/contact-flows/" + instanceARNPath + "/f1/content", body: jsonBody},
		{name: "put json", method: "PUT", path: "/contact/chat", body: jsonBody},
		{name: "delete", method: "DELETE", path: "/users/i-1/u-1"},
		{name: "empty json body", method: "POST", path: "/instance", body: []byte{}},
		{name: "one mib body", method: "POST", path: "/instance", body: mib},
		{name: "query with space plus unicode", method: "GET", path: "/users-summary/i-1",
			query: "q=hello%20world&plus=a%2Bb&u=%C3%A9t%C3%A9%20%E2%82%AC&tilde=a~b"},
		{name: "query repeated keys and empty values", method: "GET", path: "/users-summary/i-1",
			query: "k=2&k=1&k=&empty=&flag&maxResults=10"},
		{name: "query reserved characters", method: "GET", path: "/x", query: "nextToken=a%2Fb%3D%3D&arn=arn%3Aaws%3Aconnect"},
		{name: "path with reserved characters", method: "GET", path: "/prompts/i-1/a%20b%2Bc%40d"},
		{name: "extra signed headers", method: "POST", path: "/contact/task", body: jsonBody, header: map[string][]string{
			"Amz-Sdk-Invocation-Id": {"3f1e0b5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f"},
			"Amz-Sdk-Request":       {"attempt=1; max=3"},
			"X-Custom":              {"  spaced   value  ", "second"},
			"X-Amz-Content-Sha256":  {hexSHA256(jsonBody)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, nil)
			srv, ch := serve(t, v)
			target := srv.URL + tt.path
			if tt.query != "" {
				target += "?" + tt.query
			}
			req := newRequest(t, tt.method, target, tt.body)
			for k, vs := range tt.header {
				req.Header[k] = vs
			}
			sdkSign(t, req, tt.body, testCreds(), testRegion, testService, testNow)
			got := send(t, srv, ch, req)
			if got.err != nil {
				t.Fatalf("Verify: got error %v, want nil", got.err)
			}
			if !bytes.Equal(got.body, tt.body) {
				t.Errorf("handler body: got %d bytes, want the %d bytes sent", len(got.body), len(tt.body))
			}
			want := sigv4.Result{AccessKeyID: testAKID, Principal: "instance-1/user-1", Region: testRegion, SigningTime: testNow}
			if diff := cmp.Diff(want, got.result, cmpIgnoreSignedHeaders); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
		})
	}
}

// sigLike matches a signature, a derived key or a SHA-256 in hex.
var sigLike = regexp.MustCompile(`[0-9a-f]{64}`)

var cmpIgnoreSignedHeaders = cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "SignedHeaders" }, cmp.Ignore())

// TestVerifyCanonicalisesEquivalentQuery checks that a query sent in a different but
// equivalent encoding from the one signed (unsorted, '+' for space, lower-case hex)
// verifies, since the handler sees the same parameters.
func TestVerifyCanonicalisesEquivalentQuery(t *testing.T) {
	v := newVerifier(t, nil)
	srv, ch := serve(t, v)
	req := newRequest(t, "GET", srv.URL+"/users-summary/i-1?q=hello%20world&k=1&k=2&u=%C3%A9", nil)
	sdkSign(t, req, nil, testCreds(), testRegion, testService, testNow)
	req.URL.RawQuery = "u=%c3%a9&k=1&q=hello+world&k=2"
	if got := send(t, srv, ch, req); got.err != nil {
		t.Fatalf("Verify: got error %v, want nil", got.err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	body := []byte(`{"InstanceId":"8f1c6a3e","ContactFlowId":"f1"}`)
	other := []byte(`{"InstanceId":"8f1c6a3e","ContactFlowId":"f2"}`)
	tests := []struct {
		name     string
		mod      func(*sigv4.Config)
		creds    aws.Credentials
		region   string
		service  string
		at       time.Time
		before   func(req *http.Request) // before signing
		after    func(req *http.Request) // after signing, before sending
		presign  bool
		wantCode sigv4.Code
		wantMsg  string // prefix of the message
	}{
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"},
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "body changed after signing",
			after:    func(r *http.Request) { r.Body = io.NopCloser(bytes.NewReader(other)) },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "body changed after signing with content sha256",
			before:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hexSHA256(body)) },
			after:    func(r *http.Request) { r.Body = io.NopCloser(bytes.NewReader(other)) },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The provided 'x-amz-content-sha256' header does not match"},
		{name: "stale date six minutes", at: testNow.Add(-6 * time.Minute),
			wantCode: sigv4.CodeInvalidSignature,
			wantMsg:  "Signature expired: 20261121T184707Z is now earlier than 20261121T184807Z (20261121T185307Z - 5 min.)."},
		{name: "future date six minutes", at: testNow.Add(6 * time.Minute),
			wantCode: sigv4.CodeInvalidSignature,
			wantMsg:  "Signature not yet current: 20261121T185907Z is still later than 20261121T185807Z (20261121T185307Z + 5 min.)."},
		{name: "signed header removed after signing",
			before:   func(r *http.Request) { r.Header.Set("X-Custom", "a") },
			after:    func(r *http.Request) { r.Header.Del("X-Custom") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Header 'x-custom' is listed in SignedHeaders but absent from the request."},
		{name: "header changed after signing",
			after:    func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "header value appended after signing",
			before:   func(r *http.Request) { r.Header.Set("X-Custom", "a") },
			after:    func(r *http.Request) { r.Header.Add("X-Custom", "b") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "unsigned x-amz header added after signing",
			after:    func(r *http.Request) { r.Header.Set("X-Amz-Target", "Evil") },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Header 'x-amz-target' is present in the request but not listed in SignedHeaders."},
		{name: "query changed after signing",
			after:    func(r *http.Request) { r.URL.RawQuery = "maxResults=11" },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "path changed after signing",
			after:    func(r *http.Request) { r.URL.RawPath = ""; r.URL.Path = "/users/i-2" },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "method changed after signing",
			after:    func(r *http.Request) { r.Method = "PUT" },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The request signature we calculated does not match"},
		{name: "unknown key", creds: aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret},
			wantCode: sigv4.CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "session token", creds: aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "tok"},
			wantCode: sigv4.CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "wrong region", region: "eu-west-1",
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Credential should be scoped to a valid region."},
		{name: "wrong service", service: "execute-api",
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Credential should be scoped to correct service: 'connect'."},
		{name: "unsigned payload",
			before:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Unsigned and streaming payloads are not accepted"},
		{name: "streaming payload",
			before:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Unsigned and streaming payloads are not accepted"},
		{name: "authorization removed", after: func(r *http.Request) { r.Header.Del("Authorization") },
			wantCode: sigv4.CodeMissingAuthenticationToken, wantMsg: "Missing Authentication Token"},
		{name: "two authorization headers",
			after:    func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Request has more than one Authorization header."},
		{name: "two x-amz-date headers",
			after:    func(r *http.Request) { r.Header.Add("X-Amz-Date", r.Header.Get("X-Amz-Date")) },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Request has more than one X-Amz-Date header."},
		{name: "x-amz-date not matching scope date",
			after:    func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261122T000000Z") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261121' != '20261122', from '20261122T000000Z'."},
		{name: "x-amz-date malformed",
			after:    func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-11-21T18:53:07Z") },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "X-Amz-Date must be in ISO 8601 basic format"},
		{name: "host not signed",
			after: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
			},
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "'Host' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "x-amz-date not signed",
			after: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-date,", ",", 1))
			},
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "x-amz-date removed",
			after:    func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Authorization header requires existence of a 'X-Amz-Date' header."},
		{name: "content sha256 added unsigned after signing",
			after:    func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hexSHA256(body)) },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Header 'x-amz-content-sha256' is present in the request but not listed in SignedHeaders."},
		{name: "content sha256 not hex",
			before:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "abc") },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "X-Amz-Content-Sha256 must be 64 lower-case hexadecimal digits."},
		{name: "malformed query",
			after:    func(r *http.Request) { r.URL.RawQuery = "maxResults=%zz" },
			wantCode: sigv4.CodeInvalidSignature, wantMsg: "The query string is malformed"},
		{name: "header and query authentication together",
			after:    func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Signature=abc" },
			wantCode: sigv4.CodeIncompleteSignature, wantMsg: "Only one authentication mechanism is allowed"},
		{name: "presigned url", presign: true,
			wantCode: sigv4.CodeAccessDenied, wantMsg: "Query-string (pre-signed URL) authentication is not accepted"},
		{name: "body over limit", mod: func(c *sigv4.Config) { c.MaxBodyBytes = 16 },
			wantCode: sigv4.CodeRequestEntityTooLarge, wantMsg: "The request body is larger than 16 bytes."},
		{name: "access denied by credential source",
			mod: func(c *sigv4.Config) {
				c.Credentials = sigv4.CredentialSourceFunc(func(context.Context, string) (sigv4.Credential, error) {
					return sigv4.Credential{}, fmt.Errorf("user disabled: %w", sigv4.ErrAccessDenied)
				})
			},
			wantCode: sigv4.CodeAccessDenied, wantMsg: "The access key is not authorized to use this API."},
		{name: "inactive key",
			mod: func(c *sigv4.Config) {
				c.Credentials = sigv4.CredentialSourceFunc(func(context.Context, string) (sigv4.Credential, error) {
					return sigv4.Credential{}, sigv4.ErrInactiveAccessKey
				})
			},
			wantCode: sigv4.CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, tt.mod)
			srv, ch := serve(t, v)
			req := newRequest(t, "POST", srv.URL+"/users/i-1?maxResults=10", body)
			if tt.before != nil {
				tt.before(req)
			}
			creds, region, service, at := testCreds(), testRegion, testService, testNow
			if tt.creds.AccessKeyID != "" {
				creds = tt.creds
			}
			if tt.region != "" {
				region = tt.region
			}
			if tt.service != "" {
				service = tt.service
			}
			if !tt.at.IsZero() {
				at = tt.at
			}
			payloadHash := hexSHA256(body)
			if h := req.Header.Get("X-Amz-Content-Sha256"); h != "" {
				payloadHash = h
			}
			if tt.presign {
				u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payloadHash, service, region, at)
				if err != nil {
					t.Fatalf("PresignHTTP: %v", err)
				}
				req = newRequest(t, "POST", u, body)
				for k, vs := range hdr {
					if k != "Host" {
						req.Header[k] = vs
					}
				}
			} else if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, service, region, at); err != nil {
				t.Fatalf("SignHTTP: %v", err)
			}
			if tt.after != nil {
				tt.after(req)
			}
			got := send(t, srv, ch, req)
			code, msg := errCode(got.err)
			if code != tt.wantCode || !strings.HasPrefix(msg, tt.wantMsg) {
				t.Errorf("Verify: got %s %q, want %s %q", code, msg, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(msg, testSecret) || strings.Contains(fmt.Sprint(got.err), testSecret) {
				t.Errorf("error leaks the secret: %v", got.err)
			}
			if sigLike.MatchString(fmt.Sprint(got.err)) {
				t.Errorf("error echoes a signature or hash: %v", got.err)
			}
		})
	}
}

func TestVerifyErrorStatus(t *testing.T) {
	v := newVerifier(t, nil)
	req := httptest.NewRequest("GET", "/instance", nil)
	_, err := v.Verify(context.Background(), req)
	var e *sigv4.Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify: got %v, want *sigv4.Error", err)
	}
	if got, want := e.Status, http.StatusForbidden; got != want {
		t.Errorf("Status: got %d, want %d", got, want)
	}
}

func TestVerifyCredentialSourceFailureIsNotAnAuthError(t *testing.T) {
	storeDown := errors.New("store unavailable")
	v := newVerifier(t, func(c *sigv4.Config) {
		c.Credentials = sigv4.CredentialSourceFunc(func(context.Context, string) (sigv4.Credential, error) {
			return sigv4.Credential{}, storeDown
		})
	})
	req := httptest.NewRequest("GET", "http://connect.example/instance", nil)
	sdkSign(t, req, nil, testCreds(), testRegion, testService, testNow)
	_, err := v.Verify(context.Background(), req)
	var e *sigv4.Error
	if errors.As(err, &e) {
		t.Fatalf("Verify: got *sigv4.Error %v, want a plain wrapped error", err)
	}
	if !errors.Is(err, storeDown) {
		t.Errorf("Verify: got %v, want it to wrap %v", err, storeDown)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  sigv4.Config
		want string
	}{
		{"no credentials", sigv4.Config{Regions: []string{"us-east-1"}}, "sigv4 config: credentials source is required"},
		{"no regions", sigv4.Config{Credentials: testKeys()}, "sigv4 config: at least one region is required"},
		{"bad region", sigv4.Config{Credentials: testKeys(), Regions: []string{"US East"}}, `sigv4 config: region "US East" is malformed`},
		{"bad service", sigv4.Config{Credentials: testKeys(), Regions: []string{"us-east-1"}, Service: "a/b"}, `sigv4 config: service "a/b" is malformed`},
		{"negative skew", sigv4.Config{Credentials: testKeys(), Regions: []string{"us-east-1"}, MaxSkew: -time.Second}, "sigv4 config: max skew must not be negative"},
		{"negative body", sigv4.Config{Credentials: testKeys(), Regions: []string{"us-east-1"}, MaxBodyBytes: -1}, "sigv4 config: max body bytes must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sigv4.New(tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New: got %v, want %q", err, tt.want)
			}
		})
	}
}
