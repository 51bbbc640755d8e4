package chat_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// BenchmarkSendMessage measures durable, audited SendMessage calls through the participant
// API (HTTP on loopback, 32 customers in their own chats sending at once): on a store
// without the transcript index, with it, and with it and a ClientToken on every call (what
// amazon-connect-chatjs and the AWS SDKs send). The ratio of the first two is the index's
// cost on the whole path. Besides the rate it reports what a message costs, which holds
// when other work shares the machine: the process's CPU time per message (the clients'
// HTTP calls included) and the rate two free cores would give at that cost
// (2-core-ceiling/s), the store's single writer's busy time per message and share of the
// run, SQL statements, read transactions and callers per group commit. Run it with
//
//	go test -run '^$' -bench SendMessage -benchtime 3s ./channel/chat/
func BenchmarkSendMessage(b *testing.B) {
	for _, bc := range []struct {
		name                  string
		indexed, clientTokens bool
	}{{"plain-store", false, false}, {"indexed-store", true, false}, {"indexed-store+client-token", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnvWith(b, chat.Limits{MessagesPerSecond: 1e6, MessageBurst: 1e6}, bc.indexed)
			const chats = 32
			conns := make(chan string, chats)
			for i := range chats {
				conns <- e.start(fmt.Sprintf("contact-%d", i), "Customer").conn
			}
			var n atomic.Int64
			b.SetParallelism(16)
			before := usageOf(e.store)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				conn := <-conns
				defer func() { conns <- conn }()
				for pb.Next() {
					i := n.Add(1)
					text := fmt.Sprintf("Hello, my order %d has not arrived yet; could you check order %d and word%d please?", i%500, i%97, i%1000)
					token := ""
					if bc.clientTokens {
						token = fmt.Sprintf("bench-%d", i)
					}
					if _, err := e.client.SendMessage(context.Background(), conn, chat.ContentTypePlain, text, token); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			usageOf(e.store).report(b, before)
		})
	}
}

// usage is a snapshot of the store's totals and the process's CPU time.
type usage struct {
	store sqlstore.Stats
	cpu   time.Duration
	at    time.Time
}

func usageOf(s *sqlstore.Store) usage {
	return usage{store: s.Stats(), cpu: processCPU(), at: time.Now()}
}

// report reports the cost of the b.N operations since before.
func (after usage) report(b *testing.B, before usage) {
	n := float64(b.N)
	elapsed := after.at.Sub(before.at)
	b.ReportMetric(n/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(after.store.Statements-before.store.Statements)/n, "stmts/op")
	b.ReportMetric(float64(after.store.Reads-before.store.Reads)/n, "reads/op")
	if batches := after.store.Batches - before.store.Batches; batches > 0 {
		b.ReportMetric(float64(after.store.Batched-before.store.Batched)/float64(batches), "calls/commit")
	}
	busy := after.store.WriterBusy - before.store.WriterBusy
	b.ReportMetric(100*busy.Seconds()/elapsed.Seconds(), "writer-busy-%")
	b.ReportMetric(float64(busy.Microseconds())/n, "writer-µs/op")
	if cpu := after.cpu - before.cpu; cpu > 0 {
		per := cpu.Seconds() / n
		b.ReportMetric(per*1e6, "cpu-µs/op")
		b.ReportMetric(2/per, "2-core-ceiling/s")
	}
}
