package routing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// benchWorld is an instance at the DESIGN.md budget size: 2,000 agents, all at capacity, and
// 10,000 contacts waiting in 50 queues; 20 routing profiles of 8 queue entries each (chat
// concurrency 2 and voice), priorities 1–3, a quarter of the entries with a 10 s delay.
type benchWorld struct {
	h         *harness
	rng       *rand.Rand
	queues    []string
	connected []string // connected contacts, one per agent slot
	next      int
}

const (
	benchAgents   = 2000
	benchQueued   = 10000
	benchQueues   = 50
	benchProfiles = 20
)

func newBenchWorld(b *testing.B) *benchWorld {
	w := &benchWorld{h: newHarness(b, Config{}), rng: rand.New(rand.NewPCG(1, 2))}
	for i := range benchQueues {
		w.queues = append(w.queues, fmt.Sprintf("q%02d", i))
	}
	w.h.queue(w.queues...)
	for p := range benchProfiles {
		prof := RoutingProfile{ID: fmt.Sprintf("p%02d", p), MediaConcurrencies: []MediaConcurrency{
			{Channel: ChannelVoice, Concurrency: 1}, {Channel: ChannelChat, Concurrency: 2},
		}}
		for _, qi := range w.rng.Perm(benchQueues)[:8] {
			ch := ChannelChat
			if qi%5 == 0 {
				ch = ChannelVoice
			}
			delay := 0
			if w.rng.IntN(4) == 0 {
				delay = 10
			}
			prof.Queues = append(prof.Queues, pq(w.queues[qi], ch, 1+w.rng.IntN(3), delay))
		}
		w.h.profile(prof)
	}
	// Contacts first, with ages spread over the last ten minutes, then agents, who fill up.
	w.h.clk.Advance(10 * time.Minute)
	for range benchQueued + 2*benchAgents {
		w.arrive(w.h.clk.t.Add(-time.Duration(w.rng.IntN(600)) * time.Second))
	}
	for i := range benchAgents {
		w.h.must(w.h.r.AgentLogin(fmt.Sprintf("a%04d", i), fmt.Sprintf("p%02d", i%benchProfiles), Available()))
	}
	w.acceptAll()
	// Top up to the budget's queue size.
	for w.waiting() < benchQueued {
		w.arrive(time.Time{})
	}
	return w
}

func (w *benchWorld) arrive(at time.Time) []Event {
	w.next++
	q := w.queues[w.rng.IntN(benchQueues)]
	ch := ChannelChat
	if q[len(q)-1] == '0' || q[len(q)-1] == '5' { // the voice queues: index multiple of 5
		ch = ChannelVoice
	}
	ev, err := w.h.r.Enqueue(EnqueueRequest{ContactID: fmt.Sprintf("c%d", w.next), QueueID: q, Channel: ch, Priority: 1 + w.rng.IntN(5), EnqueuedAt: at})
	if err != nil {
		w.h.t.Fatal(err)
	}
	return ev
}

func (w *benchWorld) acceptAll() {
	ids := make([]string, 0, len(w.h.r.offers))
	for id := range w.h.r.offers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		o := w.h.r.offers[id]
		w.h.must(w.h.r.Accept(id))
		w.connected = append(w.connected, o.ContactID)
	}
}

func (w *benchWorld) waiting() int {
	n := 0
	for _, wq := range w.h.r.waits {
		n += wq.n
	}
	return n
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[min(len(d)-1, int(p*float64(len(d))))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(float64(d[len(d)-1].Nanoseconds()), "max-ns")
	b.ReportMetric(100_000/at(0.99), "budget/p99") // DESIGN.md budget: 100 µs p99
}

// BenchmarkOfferDecision measures the offer decision when an agent frees a slot with 10,000
// contacts waiting and 2,000 agents: EndContact → route the agent across its 8 queues →
// OfferMade. Each iteration then accepts the offer and tops the queue back up (untimed in the
// percentiles, included in ns/op).
//
//	go test -run '^$' -bench BenchmarkOfferDecision -benchtime 20000x ./routing/
func BenchmarkOfferDecision(b *testing.B) {
	w := newBenchWorld(b)
	durs := make([]time.Duration, 0, b.N)
	offers := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w.h.clk.Advance(time.Millisecond)
		k := w.rng.IntN(len(w.connected))
		cid := w.connected[k]
		start := time.Now()
		ev, err := w.h.r.EndContact(cid)
		durs = append(durs, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		w.connected[k] = w.connected[len(w.connected)-1]
		w.connected = w.connected[:len(w.connected)-1]
		for _, e := range ev {
			if e.Type == EventOfferMade {
				offers++
				if _, err := w.h.r.Accept(e.Offer.ID); err != nil {
					b.Fatal(err)
				}
				w.connected = append(w.connected, e.ContactID)
				w.arrive(time.Time{}) // keep 10,000 waiting
			}
		}
	}
	b.StopTimer()
	reportPercentiles(b, durs)
	b.ReportMetric(float64(offers)/float64(len(durs)), "offers/op")
	b.ReportMetric(float64(w.waiting()), "waiting")
}

// BenchmarkOfferOnArrival measures the offer decision when a contact arrives and idle agents
// wait: 2,000 agents (half of them idle), the new contact is offered to the longest-available
// eligible agent; the contact then ends so the agent is idle again.
//
//	go test -run '^$' -bench BenchmarkOfferOnArrival ./routing/
func BenchmarkOfferOnArrival(b *testing.B) {
	h := newHarness(b, Config{})
	var queues []string
	for i := range benchQueues {
		queues = append(queues, fmt.Sprintf("q%02d", i))
	}
	h.queue(queues...)
	rng := rand.New(rand.NewPCG(3, 4))
	for p := range benchProfiles {
		prof := chatProfile(fmt.Sprintf("p%02d", p), 2)
		for _, qi := range rng.Perm(benchQueues)[:8] {
			prof.Queues = append(prof.Queues, pq(queues[qi], ChannelChat, 1+rng.IntN(3), 0))
		}
		h.profile(prof)
	}
	for i := range benchAgents {
		st := Available()
		if i%2 == 1 {
			st = AgentStatus{Name: "Lunch", Type: StatusCustom}
		}
		h.must(h.r.AgentLogin(fmt.Sprintf("a%04d", i), fmt.Sprintf("p%02d", i%benchProfiles), st))
	}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h.clk.Advance(time.Millisecond)
		id := fmt.Sprintf("c%d", i)
		req := EnqueueRequest{ContactID: id, QueueID: queues[rng.IntN(benchQueues)], Channel: ChannelChat}
		start := time.Now()
		_, err := h.r.Enqueue(req)
		durs = append(durs, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.r.EndContact(id); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPercentiles(b, durs)
}

// BenchmarkThroughput measures a whole contact through the router at the budget size:
// enqueue, offer (to an agent freed by the previous contact), accept and end.
//
//	go test -run '^$' -bench BenchmarkThroughput ./routing/
func BenchmarkThroughput(b *testing.B) {
	w := newBenchWorld(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.h.clk.Advance(time.Millisecond)
		w.arrive(time.Time{})
		k := w.rng.IntN(len(w.connected))
		ev, err := w.h.r.EndContact(w.connected[k])
		if err != nil {
			b.Fatal(err)
		}
		w.connected[k] = w.connected[len(w.connected)-1]
		w.connected = w.connected[:len(w.connected)-1]
		for _, e := range ev {
			if e.Type == EventOfferMade {
				if _, err := w.h.r.Accept(e.Offer.ID); err != nil {
					b.Fatal(err)
				}
				w.connected = append(w.connected, e.ContactID)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "contacts/s")
}
