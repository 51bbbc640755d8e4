package sigv4_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// botocoreSign signs req the way botocore's SigV4Auth (the AWS CLI) does, written
// independently of the package under test: every header in headers is signed (here
// including User-Agent and X-Amzn-Trace-Id, which the Go SDK never signs), values are
// whitespace-collapsed with str.split() semantics, the query is signed from its raw
// (already RFC 3986 encoded) pairs, the path is quoted once more with safe='/~', and
// the payload hash is the SHA-256 of the body.
func botocoreSign(req *http.Request, headers [][2]string, body []byte, akid, secretKey, region, service string, at time.Time) {
	stamp := at.UTC().Format("20060102T150405Z")
	headers = append(headers, [2]string{"X-Amz-Date", stamp})
	type hv struct{ name, value string }
	var hs []hv
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
		hs = append(hs, hv{strings.ToLower(h[0]), strings.Join(strings.Fields(h[1]), " ")})
	}
	hs = append(hs, hv{"host", req.URL.Host})
	names := map[string][]string{}
	for _, h := range hs {
		names[h.name] = append(names[h.name], h.value)
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var ch strings.Builder
	for _, n := range sorted {
		ch.WriteString(n + ":" + strings.Join(names[n], ",") + "\n")
	}
	signed := strings.Join(sorted, ";")

	var pairs [][2]string
	if req.URL.RawQuery != "" {
		for _, p := range strings.Split(req.URL.RawQuery, "&") {
			k, v, _ := strings.Cut(p, "=")
			pairs = append(pairs, [2]string{k, v})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	var qs []string
	for _, p := range pairs {
		qs = append(qs, p[0]+"="+p[1])
	}

	path := req.URL.EscapedPath()
	var quoted strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~/", c) >= 0 {
			quoted.WriteByte(c)
		} else {
			quoted.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	sum := sha256.Sum256(body)
	cr := strings.Join([]string{req.Method, quoted.String(), strings.Join(qs, "&"), ch.String(), signed, hex.EncodeToString(sum[:])}, "\n")
	crSum := sha256.Sum256([]byte(cr))
	scope := stamp[:8] + "/" + region + "/" + service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	mac := func(k []byte, m string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(m)); return h.Sum(nil) }
	k := mac(mac(mac(mac([]byte("AWS4"+secretKey), stamp[:8]), region), service), "aws4_request")
	sig := hex.EncodeToString(mac(k, sts))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/"+scope+", SignedHeaders="+signed+", Signature="+sig)
}

func TestVerifyAcceptsBotocoreStyleRequests(t *testing.T) {
	body := []byte(`{"ContactFlowId": "f1", "InstanceId": "8f1c6a3e", "ParticipantDetails": {"DisplayName": "Ana"}}`)
	tests := []struct {
		name    string
		method  string
		target  string // path and query, as sent
		headers [][2]string
		body    []byte
		// wantSigned are header names that must be among the verified SignedHeaders.
		wantSigned []string
	}{
		{name: "cli put with user agent and trace id", method: "PUT", target: "/contact/chat", body: body, headers: [][2]string{
			{"Content-Type", "application/json"},
			{"User-Agent", "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython  cfg/retry-mode#legacy botocore/1.43.11"},
			{"X-Amzn-Trace-Id", "Root=1-67a2b3c4-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"},
			{"Expect", "100-continue"},
		}, wantSigned: []string{"content-type", "expect", "user-agent", "x-amzn-trace-id"}},
		{name: "cli get with arn path and query", method: "GET", target: "/users-summary/" + instanceARNPath + "?maxResults=5&nextToken=a%2Bb%20c%3D%3D", headers: [][2]string{
			{"User-Agent", "aws-cli/1.45.11 botocore/1.43.11"},
			{"X-Amzn-Trace-Id", "Root=1-67a2b3c4-0123456789abcdef01234567"},
		}, wantSigned: []string{"user-agent", "x-amzn-trace-id"}},
		{name: "runs of spaces in values", method: "GET", target: "/instance", headers: [][2]string{
			{"X-Note", "a    b  c"},
			{"User-Agent", "ua   with  runs"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, nil)
			srv, ch := serve(t, v)
			req := newRequest(t, tt.method, srv.URL+tt.target, tt.body)
			req.Header.Del("Content-Type")
			u, err := url.Parse(srv.URL + tt.target)
			if err != nil {
				t.Fatal(err)
			}
			req.URL = u
			botocoreSign(req, tt.headers, tt.body, testAKID, testSecret, testRegion, testService, testNow)
			got := send(t, srv, ch, req)
			if got.err != nil {
				t.Fatalf("Verify: got error %v, want nil", got.err)
			}
			for _, want := range tt.wantSigned {
				if !slices.Contains(got.result.SignedHeaders, want) {
					t.Errorf("SignedHeaders: got %v, want it to include %q", got.result.SignedHeaders, want)
				}
			}
		})
	}
}
