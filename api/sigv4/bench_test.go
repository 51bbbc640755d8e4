package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ringfence/ringfence/api/sigv4"
)

// Benchmarks of Verify on a typical Connect API call: StartChatContact, a 300-byte
// JSON body, the headers aws-sdk-go-v2 signs. Run:
//
//	go test -run '^$' -bench . -benchmem ./api/sigv4/
//
// BenchmarkSDKSign is the reference: what the client pays to sign the same request.
// Verify does the same work plus header parsing and checks, so the ratio should stay
// near 1.

func typicalBody() []byte {
	b := []byte(`{"InstanceId":"8f1c6a3e-0000-4000-8000-000000000001","ContactFlowId":"2f7b1c1e-0000-4000-8000-000000000002",` +
		`"ParticipantDetails":{"DisplayName":"Customer"},"Attributes":{"channel":"web","locale":"en_US"},` +
		`"InitialMessage":{"ContentType":"text/plain","Content":"Hello, order 1234"},"ClientToken":"`)
	for len(b) < 298 {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}

func typicalRequest(b *testing.B, body []byte) *http.Request {
	r := httptest.NewRequest("PUT", "http://connect.example:8443/contact/chat", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Amz-Sdk-Invocation-Id", "3f1e0b5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.47.7 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/connect#1.175.2")
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds(), r, hexSHA256(body), testService, testRegion, testNow); err != nil {
		b.Fatalf("SignHTTP: %v", err)
	}
	return r
}

func benchVerify(b *testing.B, cacheSize int) {
	body := typicalBody()
	if len(body) != 300 {
		b.Fatalf("body: got %d bytes, want 300", len(body))
	}
	v := newVerifier(b, func(c *sigv4.Config) { c.KeyCacheSize = cacheSize })
	r := typicalRequest(b, body)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := v.Verify(ctx, r); err != nil {
			b.Fatalf("Verify: %v", err)
		}
	}
}

func BenchmarkVerify(b *testing.B) { benchVerify(b, 0) }

func BenchmarkVerifyNoKeyCache(b *testing.B) { benchVerify(b, -1) }

func BenchmarkVerifyParallel(b *testing.B) {
	body := typicalBody()
	v := newVerifier(b, nil)
	proto := typicalRequest(b, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := proto.Clone(context.Background())
		for pb.Next() {
			r.Body = io.NopCloser(bytes.NewReader(body))
			if _, err := v.Verify(context.Background(), r); err != nil {
				b.Errorf("Verify: %v", err)
				return
			}
		}
	})
}

func BenchmarkSDKSign(b *testing.B) {
	body := typicalBody()
	r := typicalRequest(b, body)
	s := v4.NewSigner()
	hash := hexSHA256(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Header.Del("Authorization")
		if err := s.SignHTTP(context.Background(), testCreds(), r, hash, testService, testRegion, testNow); err != nil {
			b.Fatalf("SignHTTP: %v", err)
		}
	}
}
