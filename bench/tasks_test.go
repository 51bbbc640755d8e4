package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// Shape of BenchmarkTaskToOffer: agents with TASK concurrency 10 on BasicQueue, and
// concurrent signed StartTaskContact calls.
const (
	benchAgents       = 50
	benchConcurrency  = 10
	benchClients      = 32
	apiBudgetPerSec   = 2000 // DESIGN.md: audited, durable StartChatContact ≥ 2,000/s on 2 cores
	benchRoutingLabel = "Bench Tasks"
)

// offerClock records when each contact was first offered and frees the agent's slot again
// (accept, end, after-contact work done) so that the run is not bounded by the slots.
type offerClock struct {
	m       *lifecycle.Manager
	inst    string
	mu      sync.Mutex
	offered map[string]time.Time
	waiters map[string]chan struct{}
	n       atomic.Int64
	all     chan struct{}
	want    int64
	work    chan routing.Event
}

func (o *offerClock) Notify(instanceID string, evs []routing.Event) {
	now := time.Now()
	for _, e := range evs {
		if e.Type != routing.EventOfferMade || instanceID != o.inst {
			continue
		}
		o.mu.Lock()
		_, seen := o.offered[e.ContactID]
		if !seen {
			o.offered[e.ContactID] = now
			if w := o.waiters[e.ContactID]; w != nil {
				close(w)
				delete(o.waiters, e.ContactID)
			}
		}
		o.mu.Unlock()
		if !seen && o.n.Add(1) == o.want {
			close(o.all)
		}
		select {
		case o.work <- e:
		default:
			go func() { o.work <- e }()
		}
	}
}

// offeredAt waits for the first offer of contactID and returns when it was made.
func (o *offerClock) offeredAt(contactID string, timeout time.Duration) (time.Time, bool) {
	o.mu.Lock()
	if at, ok := o.offered[contactID]; ok {
		o.mu.Unlock()
		return at, true
	}
	w := make(chan struct{})
	o.waiters[contactID] = w
	o.mu.Unlock()
	select {
	case <-w:
	case <-time.After(timeout):
		return time.Time{}, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.offered[contactID], true
}

// free answers offers like a quick agent: accept, end, complete after-contact work.
func (o *offerClock) free(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-o.work:
			ev := func(op string) *audit.Event {
				return &audit.Event{Code: "bench." + op, Actor: "user:" + e.AgentID, Operation: op, InstanceID: o.inst}
			}
			if _, err := o.m.Accept(ctx, ev("AcceptOffer"), o.inst, e.AgentID, e.Offer.ID); err != nil {
				continue
			}
			_ = o.m.EndByAgent(ctx, ev("EndContact"), o.inst, e.AgentID, e.ContactID)
			_ = o.m.CompleteAfterContactWork(ctx, ev("CompleteAfterContactWork"), o.inst, e.AgentID, e.ContactID)
		}
	}
}

// taskBench is a node serving on loopback with benchAgents available agents, a Go SDK client
// signing with the operator key, and the offer clock.
type taskBench struct {
	c      *connect.Client
	inst   string
	flowID string
	clock  *offerClock
}

func newTaskBench(b *testing.B) *taskBench {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Open(ctx, node.Config{DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", InsecureHTTP: true,
		APIRate: 1e9, APIBurst: 1e9, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	boot, err := n.Bootstrap(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	rt, err := n.Runtime()
	if err != nil {
		b.Fatal(err)
	}
	tb := &taskBench{inst: boot.InstanceID}
	tb.clock = &offerClock{m: rt.Contacts, inst: tb.inst, offered: map[string]time.Time{}, waiters: map[string]chan struct{}{},
		all: make(chan struct{}), want: int64(b.N), work: make(chan routing.Event, 4096)}
	rt.AddNotifier(tb.clock)
	runDone := make(chan struct{})
	go func() { _ = rt.Contacts.Run(ctx); close(runDone) }()
	<-rt.Contacts.Ready()
	h, err := n.Handler(nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(func() { srv.Close(); cancel(); <-runDone; n.Close() })
	for range 4 {
		go tb.clock.free(ctx)
	}
	tb.flowID = seedBenchAgents(b, ctx, n, rt.Contacts, tb.inst)
	tb.c = connect.New(connect.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(boot.AccessKeyID, boot.SecretAccessKey.Reveal(), ""),
		BaseEndpoint: aws.String(srv.URL), HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}, RetryMaxAttempts: 1})
	return tb
}

func (tb *taskBench) start(ctx context.Context) (string, error) {
	out, err := tb.c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(tb.inst), ContactFlowId: aws.String(tb.flowID), Name: aws.String("bench task")})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ContactId), nil
}

// reportLatency reports p50, p99 and max of lat in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(int(q*float64(len(lat))), len(lat)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkTaskToOffer measures tasks end to end on one node over loopback: signed (SigV4)
// StartTaskContact calls from the Go SDK, the task durable and audited, its flow (Sample
// inbound flow: greet, set BasicQueue, transfer) run and committed, the router's offer to one
// of 50 agents with TASK concurrency 10 (seen by a lifecycle Notifier). Each offer is then
// accepted, ended and wrapped up so slots free again. b.N tasks, so bound it:
//
//	go test -run '^$' -bench TaskToOffer -benchtime 2000x ./bench/
//
// "throughput" sends with 32 clients at once and reports tasks/s from the first call to the
// last offer, acked/s (the rate at which StartTaskContact answered: the API part alone), the
// StartTaskContact → offer latency under that load, and the ratio to DESIGN.md's 2,000/s API
// budget. "latency" sends one task at a time, each after the previous one was offered, and
// reports the StartTaskContact → offer latency of an idle node.
func BenchmarkTaskToOffer(b *testing.B) {
	b.Run("throughput", func(b *testing.B) {
		tb := newTaskBench(b)
		ctx := context.Background()
		var (
			mu   sync.Mutex
			sent = make(map[string]time.Time, b.N)
			next atomic.Int64
			wg   sync.WaitGroup
		)
		b.ResetTimer()
		start := time.Now()
		for range benchClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					t0 := time.Now()
					id, err := tb.start(ctx)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					sent[id] = t0
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		answered := time.Since(start)
		select {
		case <-tb.clock.all:
		case <-time.After(5 * time.Minute):
			b.Fatalf("%d of %d tasks offered", tb.clock.n.Load(), b.N)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		tb.clock.mu.Lock()
		lat := make([]time.Duration, 0, b.N)
		for id, t0 := range sent {
			if at, ok := tb.clock.offered[id]; ok {
				lat = append(lat, at.Sub(t0))
			}
		}
		tb.clock.mu.Unlock()
		rate := float64(b.N) / elapsed.Seconds()
		b.ReportMetric(rate, "tasks/s")
		b.ReportMetric(float64(b.N)/answered.Seconds(), "acked/s")
		b.ReportMetric(rate/apiBudgetPerSec, "of-api-budget")
		reportLatency(b, lat)
	})
	b.Run("latency", func(b *testing.B) {
		tb := newTaskBench(b)
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			id, err := tb.start(ctx)
			if err != nil {
				b.Fatal(err)
			}
			at, ok := tb.clock.offeredAt(id, time.Minute)
			if !ok {
				b.Fatalf("task %s not offered", id)
			}
			lat = append(lat, at.Sub(t0))
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
}

// seedBenchAgents gives the instance a routing profile with TASK concurrency 10 on
// BasicQueue and benchAgents users with it, all Available; it returns the Sample inbound
// flow's ID.
func seedBenchAgents(b *testing.B, ctx context.Context, n *node.Node, m *lifecycle.Manager, inst string) string {
	b.Helper()
	var flowID, available, basic string
	now := time.Now().UTC().Truncate(time.Millisecond)
	profileID := "bench-tasks-profile"
	err := n.Store.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		if err := store.EachFlowRecord(ctx, tx, inst, flow.KindFlow, func(r flow.Record) (bool, error) {
			if r.Name == provision.SampleInboundFlowName {
				flowID = r.ID
			}
			return flowID != "", nil
		}); err != nil {
			return err
		}
		sts, err := tx.ListAgentStatuses(ctx, inst, []routing.StatusType{routing.StatusRoutable}, "", 10)
		if err != nil || len(sts) == 0 {
			return fmt.Errorf("available status: %v", err)
		}
		available = sts[0].ID
		qs, err := tx.ListQueues(ctx, inst, "", 100)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if q.Name == provision.BasicQueueName {
				basic = q.ID
			}
		}
		p := routing.RoutingProfileRecord{InstanceID: inst, RoutingProfile: routing.RoutingProfile{ID: profileID, DefaultOutboundQueueID: basic,
			MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelTask, Concurrency: benchConcurrency}},
			Queues:             []routing.ProfileQueue{{QueueID: basic, Channel: routing.ChannelTask, Priority: 1}}},
			Name: benchRoutingLabel, Description: "bench", AgentAvailabilityTimer: routing.TimeSinceLastActivity, Tags: map[string]string{}, LastModified: now}
		if err := tx.CreateRoutingProfile(ctx, p); err != nil {
			return err
		}
		for i := range benchAgents {
			id := fmt.Sprintf("bench-agent-%03d", i)
			if err := tx.CreateUser(ctx, identity.User{ID: id, InstanceID: inst, Username: id, PhoneConfig: identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
				RoutingProfileID: profileID, Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := m.RefreshRouting(ctx, inst); err != nil {
		b.Fatal(err)
	}
	for i := range benchAgents {
		id := fmt.Sprintf("bench-agent-%03d", i)
		_, err := m.SetAgentStatus(ctx, &audit.Event{Code: "bench.PutUserStatus", Actor: "operator:bench", Operation: "PutUserStatus", InstanceID: inst}, inst, id,
			func(ctx context.Context, tx store.Tx) (string, routing.AgentStatus, error) {
				return profileID, routing.Available(), tx.SetUserStatus(ctx, routing.UserStatus{InstanceID: inst, UserID: id, AgentStatusID: available, Since: time.Now().UTC().Truncate(time.Millisecond)})
			})
		if err != nil {
			b.Fatal(err)
		}
	}
	return flowID
}
