package extfn

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// Run: go test -run '^$' -bench . -benchmem ./extfn
//
// BenchmarkInvokeEndpoint is one signed STRING_MAP invocation over a pooled TLS connection to a
// local server that verifies the signature. BenchmarkPlainHTTPSPost is the limit it chases: the
// standard library client posting the same pre-signed body to the same handler, without the
// egress checks, signing or response validation.

func BenchmarkInvokeEndpoint(b *testing.B) {
	fs := newFunctionServer(b)
	reg := newTestRegistry(b, fs)
	if err := reg.Put(endpoint(arnEcho, fs.url("/echo"))); err != nil {
		b.Fatalf("Put: %v", err)
	}
	inv := NewInvoker(reg, InvokerOptions{Now: fixedNow})
	ev := fullEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inv.Invoke(ctx, arnEcho, ev, 8*time.Second, ResponseStringMap); err != nil {
			b.Fatalf("Invoke: %v", err)
		}
	}
}

func BenchmarkPlainHTTPSPost(b *testing.B) {
	fs := newFunctionServer(b)
	client := fs.srv.Client()
	body, err := json.Marshal(fullEvent().normalized())
	if err != nil {
		b.Fatal(err)
	}
	ts := fixedNow().Unix()
	sig := Sign(secret.New(testSecret), ts, body)
	u := fs.srv.URL + "/echo"
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, sig)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatalf("Do: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

func BenchmarkInvokeBuiltin(b *testing.B) {
	reg := newTestRegistry(b, nil, Builtin{Name: "echo", StringMap: func(_ context.Context, e Event) (map[string]string, error) {
		return e.Details.Parameters, nil
	}})
	if err := reg.Put(FunctionConfig{ARN: "arn:ringfence:builtin:echo", Builtin: "echo"}); err != nil {
		b.Fatalf("Put: %v", err)
	}
	inv := NewInvoker(reg, InvokerOptions{})
	ev := fullEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inv.Invoke(ctx, "arn:ringfence:builtin:echo", ev, 8*time.Second, ResponseStringMap); err != nil {
			b.Fatalf("Invoke: %v", err)
		}
	}
}

func BenchmarkParseStringMap(b *testing.B) {
	body := []byte(`{"AccountId":"a12345689","Balance":"$1000","Tier":"gold","Language":"en-GB","Open":"true"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseStringMap(body, false); err != nil {
			b.Fatal(err)
		}
	}
}
