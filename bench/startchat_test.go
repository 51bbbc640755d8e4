package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var tokenSeq atomic.Int64

// BenchmarkStartChatContact measures signed, audited, durable StartChatContact calls (the
// contact, its chat, the customer participant and its joined event commit together), without
// and with a ClientToken (which adds a lookup and an idempotency row). The node's contact
// runtime is not running, so the flows do not run: this is the API's share. An instance takes
// at most 10,000 active chats, so give the run a count:
//
//	go test -run '^$' -bench StartChatContact -benchtime 3000x ./bench/
func BenchmarkStartChatContact(b *testing.B) {
	s := newAPIServer(b)
	flowID := s.flowID(b, "Sample inbound flow")
	for _, withToken := range []bool{false, true} {
		name := "no-client-token"
		if withToken {
			name = "client-token"
		}
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(32)
			before := s.usage()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				signer := v4.NewSigner()
				for pb.Next() {
					token := ""
					if withToken {
						token = fmt.Sprintf(`,"ClientToken":"t-%d"`, tokenSeq.Add(1))
					}
					body := `{"InstanceId":"` + s.inst + `","ContactFlowId":"` + flowID + `","ParticipantDetails":{"DisplayName":"Bench"}` + token + `}`
					s.send(b, signer, "PUT", "/contact/chat", body, true)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "starts/s")
			s.report(b, before)
		})
	}
}

// flowID returns the ID of the bootstrap instance's flow with that name (ListContactFlows).
func (s *apiServer) flowID(b *testing.B, name string) string {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/contact-flows-summary/"+s.inst, nil)
	sum := sha256.Sum256(nil)
	h := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", h)
	if err := v4.NewSigner().SignHTTP(context.Background(), s.creds, req, h, "connect", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ContactFlowSummaryList []struct{ Id, Name string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.Fatal(err)
	}
	for _, f := range out.ContactFlowSummaryList {
		if f.Name == name {
			return f.Id
		}
	}
	b.Fatalf("no flow %q", name)
	return ""
}
