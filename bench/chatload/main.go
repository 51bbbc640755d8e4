// Command chatload is Ringfence's chat load generator. It starts a node on loopback (or
// targets one with -endpoint), creates an instance with agents whose routing profile takes up
// to 10 chats each, sets them Available, starts customer chats with StartChatContact (signed,
// through the AWS SDK for Go), connects customers and agents over real WebSockets as
// amazon-connect-chatjs does, and has them exchange messages at a bounded rate. It prints the
// chats held at once, the messages acknowledged per second (a SendMessage answered is a
// message stored durably), the delivery latencies in both directions, the resident memory per
// idle chat, and beside them the raw WebSocket echo rate of the same machine and the budgets
// of DESIGN.md ("Performance budgets").
//
//	go run ./bench/chatload -customers 1000 -duration 30s
//	go run ./bench/chatload -endpoint https://127.0.0.1:8443 -ca ringfence-data/tls/ca.pem \
//	    -metrics http://127.0.0.1:9464/metrics -customers 5000 -agents 0
//
// Agents are played in process through the node's contact runtime (accept the offer, join
// the chat as an AGENT participant), so with -endpoint only customers are driven; the
// operator key comes from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Every run creates its
// own instance (SAML identity management, so its users need no password). The run is bounded:
// setup by -setup-timeout, messages by -duration.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	var o Options
	asJSON := false
	quiet := false
	flag.StringVar(&o.Endpoint, "endpoint", "", "base URL of a running node (default: start one in this process)")
	flag.StringVar(&o.CAFile, "ca", os.Getenv("AWS_CA_BUNDLE"), "PEM CA certificate of -endpoint (default $AWS_CA_BUNDLE)")
	flag.StringVar(&o.MetricsURL, "metrics", "", "the node's Prometheus /metrics URL, for its resident memory (with -endpoint)")
	flag.StringVar(&o.Region, "region", "us-east-1", "SigV4 region (with -endpoint)")
	flag.BoolVar(&o.InsecureHTTP, "insecure-http", false, "serve the in-process node over plain HTTP instead of TLS")
	flag.IntVar(&o.Customers, "customers", 100, "chats started and held at once")
	flag.IntVar(&o.Agents, "agents", 0, "agents (0: customers/concurrency rounded up, none with -endpoint; -1: none)")
	flag.IntVar(&o.Concurrency, "concurrency", 10, "CHAT concurrency of the agents' routing profile (1-10)")
	flag.DurationVar(&o.Duration, "duration", 30*time.Second, "how long messages are exchanged once every chat is held")
	flag.Float64Var(&o.Rate, "rate", 0.5, "messages per second per chat, customer and agent taking turns")
	flag.DurationVar(&o.Warmup, "warmup", 5*time.Second, "start of the message phase whose latencies are reported apart (every chat's first messages)")
	flag.IntVar(&o.Parallel, "parallel", 32, "setup calls in flight")
	flag.DurationVar(&o.SetupTimeout, "setup-timeout", 5*time.Minute, "bound on the setup (agents, chats, sockets)")
	flag.DurationVar(&o.Heartbeat, "heartbeat", 10*time.Second, "aws/heartbeat interval of every socket")
	flag.DurationVar(&o.EchoDuration, "echo", 3*time.Second, "duration of the raw WebSocket echo baseline (negative skips it)")
	flag.IntVar(&o.EchoSockets, "echo-sockets", 64, "sockets of the echo baseline")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the message phase (node included when in process) to this file")
	flag.StringVar(&o.HeapProfile, "heapprofile", "", "write a heap profile taken with every chat held and idle to this file")
	flag.BoolVar(&asJSON, "json", false, "print the report as JSON")
	flag.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	flag.Parse()
	o.AccessKeyID, o.SecretAccessKey = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if !quiet {
		o.Log = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload:", err)
		os.Exit(1)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	rep.Print(os.Stdout)
}

// Print writes the report with the budgets of DESIGN.md beside each figure.
func (r *Report) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("chatload: %s; %d CPUs, GOMAXPROCS %d", r.Target, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	p("  chats started              %d with %d agents in %s (%.0f/s: StartChatContact, connection and WebSocket)",
		r.Started, r.Agents, r.SetupTime.Round(time.Millisecond), r.StartRate)
	p("  concurrent chats held      %d idle, %d after the messages   (budget: 10,000 on 2 cores)", r.HeldIdle, r.HeldEnd)
	p("  messages acknowledged      %.0f/s: %d in %s, %d failed, %d throttled   (budget: 5,000/s)",
		r.AckRate, r.Acked, r.MessageTime.Round(time.Millisecond), r.Failed, r.Throttled)
	if r.MessageCPU > 0 {
		p("    this process used %.2f CPUs meanwhile (%s): %.0f acknowledged messages per CPU second",
			r.MessageCPU.Seconds()/r.MessageTime.Seconds(), r.MessageCPU.Round(time.Millisecond), float64(r.Acked)/r.MessageCPU.Seconds())
	}
	if r.NodeCPU > 0 {
		p("    the node used %.2f CPUs meanwhile (%s): %.0f acknowledged messages per node CPU second",
			r.NodeCPU.Seconds()/r.MessageTime.Seconds(), r.NodeCPU.Round(time.Millisecond), float64(r.Acked)/r.NodeCPU.Seconds())
	}
	if r.FirstError != "" {
		p("    first failure: %s", r.FirstError)
	}
	p("  SendMessage answer         customer %s", r.AnswerCustomer)
	p("                             agent    %s", r.AnswerAgent)
	p("  delivery customer → agent  %s   (budget: p99 ≤ 50 ms)", r.CustomerToAgent)
	p("  delivery agent → customer  %s", r.AgentToCustomer)
	p("  delivery to sender socket  %s", r.ToSender)
	if r.Warmup > 0 {
		p("  in the first %s (warm-up, not in the lines above): answer %s", r.Warmup, r.WarmupAnswer)
		p("                             delivery to every socket %s", r.WarmupDelivery)
	}
	p("  undelivered                %d (acknowledged message × open socket of its chat never received)", r.Undelivered)
	if r.DeskErrors > 0 {
		p("  agent errors               %d offers not taken", r.DeskErrors)
	}
	if r.MemorySource != "" {
		p("  memory per idle chat       %.1f KB resident, %.1f KB live (%.0f → %.0f MB resident, %.0f → %.0f MB live for %d chats)   (budget: ≤ 20 KB resident)",
			r.RSSPerChat/1024, r.LivePerChat/1024, mb(r.Before.RSS), mb(r.Idle.RSS), mb(r.Before.Live), mb(r.Idle.Live), r.HeldIdle)
		p("    measured in %s", r.MemorySource)
	} else {
		p("  resident memory per idle chat not measured (give -metrics with -endpoint)")
	}
	if r.EchoRate > 0 {
		p("  raw WebSocket echo         %.0f round trips/s on %d sockets (same library, loopback)", r.EchoRate, r.EchoSockets)
		p("    acknowledged messages / echo round trips = %.1f%%", 100*r.AckRate/r.EchoRate)
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
