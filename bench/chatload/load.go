package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/ringfence/ringfence/channel/chat/participantclient"
)

// maxAPIConns bounds the connections of the participant and Connect API calls.
const maxAPIConns = 256

// Options configure one load run. Zero fields take the defaults of the command's flags.
type Options struct {
	// Endpoint is the base URL of a running node (https://host:port); "" starts a node in
	// this process on loopback with a temporary data directory.
	Endpoint string
	// CAFile is the PEM certificate that signed Endpoint's certificate ("" trusts the
	// system's roots). AccessKeyID and SecretAccessKey are an operator key of Endpoint; the
	// run creates its own instance with it. Region is the SigV4 region (default us-east-1).
	CAFile                       string
	AccessKeyID, SecretAccessKey string
	Region                       string
	// MetricsURL is Endpoint's Prometheus /metrics, read for the node's resident memory; ""
	// reports none for a remote node.
	MetricsURL string
	// InsecureHTTP serves the in-process node over plain HTTP instead of TLS.
	InsecureHTTP bool

	// Customers is how many chat contacts are started and held at once (default 100).
	Customers int
	// Agents is how many agents take the chats (0: Customers/Concurrency rounded up with an
	// in-process node, none with Endpoint; negative: none). Agents are driven in this
	// process, through the node's contact runtime: they need an in-process node, so with
	// Endpoint set only customers are driven.
	Agents int
	// Concurrency is the CHAT concurrency of the agents' routing profile (1-10, default 10).
	Concurrency int
	// Duration is how long messages are exchanged once every chat is held (default 30 s).
	Duration time.Duration
	// Rate is how many messages each chat sends per second, customer and agent taking turns
	// (default 0.5; each participant may send at most 10/s).
	Rate float64
	// Warmup is how long from the start of the message phase messages count apart: the
	// answer and delivery latencies of the messages sent in it are reported as
	// WarmupAnswer and WarmupDelivery, not in the figures of the rest (0: none). Every
	// chat's first messages fall in it: all chats start talking within the first period,
	// and the node then reads each connection token, and indexes each chat's words, for
	// the first time — a burst a node in service does not see.
	Warmup time.Duration
	// Parallel bounds the setup calls in flight (default 32).
	Parallel int
	// SetupTimeout bounds the setup: users, chats, offers and sockets (default 5 min).
	SetupTimeout time.Duration
	// Heartbeat is the aws/heartbeat interval of every socket (default 10 s, as chatjs).
	Heartbeat time.Duration
	// EchoDuration is how long the raw WebSocket echo baseline runs (default 3 s; negative
	// skips it); EchoSockets is how many sockets it uses (default 64).
	EchoDuration time.Duration
	EchoSockets  int

	// HeapProfile, when set, is a file that receives the heap profile (runtime/pprof) taken
	// with every chat held and idle; CPUProfile one that receives the CPU profile of the
	// message phase (with an in-process node: the node's and the participants' work).
	HeapProfile, CPUProfile string

	// OnMessaging, when set, is called as the message phase starts (a durability test kills
	// the node from it). Cancelling Run's context then ends the phase early; Run still
	// returns its report.
	OnMessaging func()
	// Log receives progress lines (nil: none).
	Log io.Writer
}

func (o *Options) defaults() error {
	if o.Customers <= 0 {
		o.Customers = 100
	}
	if o.Concurrency == 0 {
		o.Concurrency = 10
	}
	if o.Concurrency < 1 || o.Concurrency > 10 {
		return fmt.Errorf("-concurrency must be 1 to 10 (Connect's CHAT concurrency), not %d", o.Concurrency)
	}
	if o.Endpoint != "" && o.Agents > 0 {
		return errors.New("agents are driven through the node's contact runtime, so they need the in-process node: leave -endpoint empty or set -agents 0")
	}
	if o.Endpoint == "" && o.Agents == 0 {
		o.Agents = (o.Customers + o.Concurrency - 1) / o.Concurrency
	}
	if o.Agents < 0 {
		o.Agents = 0
	}
	if o.Agents > 0 && o.Agents*o.Concurrency < o.Customers {
		return fmt.Errorf("%d agents with CHAT concurrency %d cannot hold %d chats", o.Agents, o.Concurrency, o.Customers)
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Rate <= 0 {
		o.Rate = 0.5
	}
	if o.Rate > 19 {
		return fmt.Errorf("-rate %g: a chat's two participants may send at most 10 messages/s each; stay under 19", o.Rate)
	}
	if o.Parallel <= 0 {
		o.Parallel = 32
	}
	if o.SetupTimeout <= 0 {
		o.SetupTimeout = 5 * time.Minute
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 10 * time.Second
	}
	if o.EchoDuration == 0 {
		o.EchoDuration = 3 * time.Second
	}
	if o.EchoSockets <= 0 {
		o.EchoSockets = 64
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	// Every chat holds a customer socket and, with agents, an agent socket; in process the
	// node holds the other end of each. Beyond the descriptor limit dials fail midway.
	perChat := 1
	if o.Agents > 0 {
		perChat = 2
	}
	if o.Endpoint == "" {
		perChat *= 2
	}
	need := o.Customers*perChat + 2*maxAPIConns + 256
	if limit := descriptorLimit(); limit > 0 && need > limit {
		return fmt.Errorf("%d chats need about %d open descriptors in this process (%d per chat) and the limit (ulimit -n) is %d: "+
			"raise it, run fewer chats, or run the node apart (ringfence serve) and use -endpoint with -agents 0",
			o.Customers, need, perChat, limit)
	}
	return nil
}

// Report is what a run measured.
type Report struct {
	// Target says what was measured: "in-process node (TLS)", "endpoint https://...".
	Target string
	// Customers and Agents are the chats started and agents created.
	Customers, Agents int
	// Started is how many StartChatContact calls succeeded; StartRate their rate per
	// second over the chat setup (each includes CreateParticipantConnection and the socket).
	Started   int
	StartRate float64
	// SetupTime is the time from the first StartChatContact to every chat held.
	SetupTime time.Duration
	// HeldIdle and HeldEnd are the chats with all their sockets open before and after the
	// message phase.
	HeldIdle, HeldEnd int
	// Acked, Failed and Throttled count SendMessage calls; AckRate is Acked per second of
	// the message phase (MessageTime).
	Acked, Failed, Throttled int64
	AckRate                  float64
	MessageTime              time.Duration
	// MessageCPU is the CPU time this process used in the message phase (with an
	// in-process node: the node's and the participants'); NodeCPU the node's, read from its
	// /metrics, for a node apart (0 when unknown). On a machine shared with other work they
	// tell how much of it the run had.
	MessageCPU, NodeCPU time.Duration
	// FirstError is the first failed SendMessage's error.
	FirstError string
	// AnswerCustomer and AnswerAgent are SendMessage's answer latencies (request to
	// acknowledgement) for the customers' and the agents' messages.
	AnswerCustomer, AnswerAgent Latency
	// CustomerToAgent, AgentToCustomer and ToSender are delivery latencies: send to
	// receipt on the other participant's socket, and on the sender's own socket.
	CustomerToAgent, AgentToCustomer, ToSender Latency
	// Warmup is Options.Warmup; WarmupAnswer and WarmupDelivery are the answer latencies
	// and the delivery latencies (every socket) of the messages sent in it.
	Warmup                       time.Duration
	WarmupAnswer, WarmupDelivery Latency
	// Undelivered counts (acknowledged message, socket open at the end) pairs where the
	// socket never received the message.
	Undelivered int
	// Before and Idle are the memory before the chats and with every chat held and idle;
	// RSSPerChat and LivePerChat are their differences per held chat; MemorySource says
	// whose memory it is.
	Before, Idle            Memory
	RSSPerChat, LivePerChat float64
	MemorySource            string
	// EchoRate is the raw WebSocket echo ceiling (round trips per second), EchoSockets the
	// sockets it used.
	EchoRate    float64
	EchoSockets int
	// DeskErrors counts offers the in-process agents could not accept or join.
	DeskErrors int64
	// Chats is every chat's ledger, for durability checks.
	Chats []ChatLedger `json:"-"`
}

// ChatLedger is what one chat's participants were told was stored.
type ChatLedger struct {
	Index     int
	ContactID string
	// CustomerConnectionToken is the customer's ConnectionToken: it reads the transcript.
	CustomerConnectionToken string
	// Acked lists the acknowledged messages of each participant in the order they were
	// sent (one at a time: each waited for the previous answer).
	Acked []Acked
}

// Acked is one acknowledged SendMessage.
type Acked struct {
	// Role is "CUSTOMER" or "AGENT"; Seq counts the participant's messages from 1.
	Role    string
	Seq     int
	ID      string
	Content string
}

// party is one participant of a chat as the load generator holds it.
type party struct {
	role   byte // 'c' or 'a'
	token  string
	sock   *socket
	sent   int
	acked  []Acked
	joined bool
}

// chatRun is one chat of the run.
type chatRun struct {
	idx       int
	contactID string
	mu        sync.Mutex
	cust      party
	agent     party
	held      bool
	// seen[r] holds the (sender role, seq) keys the socket of role r received.
	seen map[byte]map[msgKey]bool
}

type msgKey struct {
	role byte
	seq  int
}

// run is the state of one Run.
type run struct {
	o        Options
	api      *connect.Client
	pc       *participantclient.Client
	wsClient *http.Client
	inst     string
	flowID   string
	local    *localNode // nil with Options.Endpoint
	desk     *desk      // nil without agents

	mu        sync.Mutex
	byContact map[string]*chatRun
	chats     []*chatRun
	held      chan struct{} // one value per chat that became held

	acked, failed, throttled atomic.Int64
	firstErr                 atomic.Value
	answerC, answerA         latencies
	c2a, a2c, self           latencies
	// warmEnd ends the warm-up (Options.Warmup); warmAnswer and warmDelivery take the
	// latencies of the messages sent before it.
	warmEnd                  time.Time
	warmAnswer, warmDelivery latencies
}

// Run drives one load run and returns what it measured. It fails when the setup fails; once
// the message phase started it returns the report even if the node went away.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	r := &run{o: o, byContact: map[string]*chatRun{}, held: make(chan struct{}, o.Customers)}
	rep := &Report{Customers: o.Customers, Agents: o.Agents}
	if o.EchoDuration > 0 {
		tlsOn := !o.InsecureHTTP
		if o.Endpoint != "" {
			tlsOn = strings.HasPrefix(o.Endpoint, "https://")
		}
		r.logf("raw WebSocket echo baseline: %d sockets for %s", o.EchoSockets, o.EchoDuration)
		rate, err := echoRate(ctx, tlsOn, o.EchoSockets, o.EchoDuration)
		if err != nil {
			return nil, fmt.Errorf("echo baseline: %w", err)
		}
		rep.EchoRate, rep.EchoSockets = rate, o.EchoSockets
	}

	var (
		endpoint string
		pool     *x509.CertPool
		creds    aws.Credentials
		memory   func(context.Context) (Memory, error)
	)
	if o.Endpoint == "" {
		r.logf("starting a node on loopback")
		tn, err := startNode(ctx, o.InsecureHTTP)
		if err != nil {
			return nil, err
		}
		defer tn.stop()
		endpoint, pool, creds = tn.endpoint, tn.pool, tn.creds
		memory = func(context.Context) (Memory, error) { return selfMemory() }
		rep.Target = "in-process node (" + map[bool]string{true: "plain HTTP", false: "TLS"}[o.InsecureHTTP] + ")"
		rep.MemorySource = "this process, garbage collected: the node, and the customers' and agents' sockets"
		r.local = tn
	} else {
		endpoint = strings.TrimSuffix(o.Endpoint, "/")
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("CA file: %w", err)
			}
			pool = x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA file %s holds no PEM certificate", o.CAFile)
			}
		}
		if o.AccessKeyID == "" || o.SecretAccessKey == "" {
			return nil, errors.New("-endpoint needs an operator key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		}
		creds = aws.Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey}
		rep.Target = "endpoint " + endpoint
		if o.MetricsURL != "" {
			mhc := &http.Client{Timeout: 10 * time.Second}
			memory = func(ctx context.Context) (Memory, error) { return metricsMemory(ctx, mhc, o.MetricsURL) }
			rep.MemorySource = "the node's /metrics: resident memory with its uncollected garbage; live heap as of its last collection"
		}
	}
	tlsConf := &tls.Config{RootCAs: pool}
	// API calls go over a pool of HTTP/1.1 connections, as many clients' calls reach a node.
	// Thousands of participants multiplexed on a few HTTP/2 connections is no client's
	// shape: there, some answers waited for the end of the run while their items had long
	// been delivered on the sockets.
	apiHC := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, MaxIdleConnsPerHost: maxAPIConns, MaxConnsPerHost: maxAPIConns,
		IdleConnTimeout: 90 * time.Second}, Timeout: 60 * time.Second}
	defer apiHC.CloseIdleConnections()
	// WebSocket dials get their own client: an upgraded connection leaves the transport's
	// pool, so it must not count against MaxConnsPerHost.
	r.wsClient = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	r.pc = participantclient.New(endpoint, apiHC)
	r.pc.UserAgent = "ringfence-chatload"
	r.api = connect.New(connect.Options{Region: o.Region, BaseEndpoint: aws.String(endpoint), HTTPClient: apiHC, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})

	setupCtx, cancelSetup := context.WithTimeout(ctx, o.SetupTimeout)
	defer cancelSetup()
	if err := r.setupInstance(setupCtx); err != nil {
		return nil, err
	}
	if r.desk != nil {
		go r.desk.run(ctx, o.Parallel)
		defer r.desk.stop()
	}
	if memory != nil {
		v, err := memory(ctx)
		if err != nil {
			return nil, err
		}
		rep.Before = v
	}
	defer r.closeSockets()
	// Sockets beat from the start: the node closes a socket that sent nothing for 90 s.
	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	go r.heartbeats(hbCtx)

	// Chats: customers start them; the agents take the offers as they come.
	r.logf("starting %d chats (%d in parallel)", o.Customers, o.Parallel)
	start := time.Now()
	started, err := r.startChats(setupCtx)
	rep.Started = started
	if err != nil {
		return nil, err
	}
	rep.StartRate = float64(started) / time.Since(start).Seconds()
	for range o.Customers {
		select {
		case <-r.held:
		case <-setupCtx.Done():
			return nil, fmt.Errorf("after %s only %d of %d chats are held (customer and agent sockets open): %w",
				o.SetupTimeout, r.countHeld(), o.Customers, setupCtx.Err())
		}
	}
	rep.SetupTime = time.Since(start)
	r.logf("%d chats held after %s", o.Customers, rep.SetupTime.Round(time.Millisecond))

	// Idle: every chat held, nothing sent. Let deliveries of the setup settle first.
	time.Sleep(time.Second)
	rep.HeldIdle = r.countHeld()
	if memory != nil {
		v, err := memory(ctx)
		if err != nil {
			return nil, err
		}
		rep.Idle = v
		if rep.HeldIdle > 0 {
			rep.RSSPerChat = (float64(v.RSS) - float64(rep.Before.RSS)) / float64(rep.HeldIdle)
			rep.LivePerChat = (float64(v.Live) - float64(rep.Before.Live)) / float64(rep.HeldIdle)
		}
	}
	if o.HeapProfile != "" {
		if err := writeHeapProfile(o.HeapProfile); err != nil {
			return nil, err
		}
	}

	r.logf("exchanging messages for %s at %g per chat per second", o.Duration, o.Rate)
	if o.OnMessaging != nil {
		o.OnMessaging()
	}
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	mstart, cpu0 := time.Now(), processCPU()
	r.warmEnd = mstart.Add(o.Warmup)
	var node0 Memory
	if memory != nil && o.Endpoint != "" {
		node0, _ = memory(ctx)
	}
	r.converseAll(ctx, o.Duration)
	rep.MessageTime, rep.MessageCPU = time.Since(mstart), processCPU()-cpu0
	if node0.CPU > 0 {
		if node1, err := memory(context.WithoutCancel(ctx)); err == nil {
			rep.NodeCPU = node1.CPU - node0.CPU
		}
	}
	if err := stopProfile(); err != nil {
		return nil, err
	}
	rep.Acked, rep.Failed, rep.Throttled = r.acked.Load(), r.failed.Load(), r.throttled.Load()
	rep.AckRate = float64(rep.Acked) / rep.MessageTime.Seconds()
	if e, ok := r.firstErr.Load().(string); ok {
		rep.FirstError = e
	}
	// Deliveries still on their way get a few seconds.
	for i := 0; i < 50 && r.undelivered() > 0; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	rep.Undelivered = r.undelivered()
	rep.HeldEnd = r.countHeld()
	rep.AnswerCustomer, rep.AnswerAgent = r.answerC.summary(), r.answerA.summary()
	rep.CustomerToAgent, rep.AgentToCustomer, rep.ToSender = r.c2a.summary(), r.a2c.summary(), r.self.summary()
	rep.Warmup, rep.WarmupAnswer, rep.WarmupDelivery = o.Warmup, r.warmAnswer.summary(), r.warmDelivery.summary()
	if r.desk != nil {
		rep.DeskErrors = r.desk.errors.Load()
	}
	rep.Chats = r.ledger()
	return rep, nil
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, "chatload: "+format+"\n", args...)
}

// ---- setup through the Connect API ----

// setupInstance creates the run's instance (SAML identity management, so users need no
// password), a routing profile with the CHAT concurrency, the agents, and sets them
// Available.
func (r *run) setupInstance(ctx context.Context) error {
	alias := "chatload-" + randomHex(4)
	r.logf("creating instance %s", alias)
	inst, err := r.api.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: types.DirectoryTypeSaml,
		InstanceAlias: aws.String(alias), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("CreateInstance: %w", err)
	}
	r.inst = aws.ToString(inst.Id)
	if r.local != nil && r.o.Agents > 0 {
		r.desk = newDesk(r, r.local.rt, r.inst, r.o.Customers)
		r.local.rt.AddNotifier(r.desk)
	}
	flows, err := r.api.ListContactFlows(ctx, &connect.ListContactFlowsInput{InstanceId: aws.String(r.inst), MaxResults: aws.Int32(100)})
	if err != nil {
		return fmt.Errorf("ListContactFlows: %w", err)
	}
	for _, f := range flows.ContactFlowSummaryList {
		if aws.ToString(f.Name) == "Sample inbound flow" {
			r.flowID = aws.ToString(f.Id)
		}
	}
	if r.flowID == "" {
		return errors.New("the new instance has no \"Sample inbound flow\"")
	}
	if r.o.Agents == 0 {
		return nil
	}
	queues, err := r.api.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String(r.inst), QueueTypes: []types.QueueType{types.QueueTypeStandard}, MaxResults: aws.Int32(100)})
	if err != nil {
		return fmt.Errorf("ListQueues: %w", err)
	}
	queueID := ""
	for _, q := range queues.QueueSummaryList {
		if aws.ToString(q.Name) == "BasicQueue" {
			queueID = aws.ToString(q.Id)
		}
	}
	sps, err := r.api.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(r.inst), MaxResults: aws.Int32(100)})
	if err != nil {
		return fmt.Errorf("ListSecurityProfiles: %w", err)
	}
	agentProfile := ""
	for _, sp := range sps.SecurityProfileSummaryList {
		if aws.ToString(sp.Name) == "Agent" {
			agentProfile = aws.ToString(sp.Id)
		}
	}
	sts, err := r.api.ListAgentStatuses(ctx, &connect.ListAgentStatusesInput{InstanceId: aws.String(r.inst), AgentStatusTypes: []types.AgentStatusType{types.AgentStatusTypeRoutable}})
	if err != nil {
		return fmt.Errorf("ListAgentStatuses: %w", err)
	}
	available := ""
	for _, s := range sts.AgentStatusSummaryList {
		if aws.ToString(s.Name) == "Available" {
			available = aws.ToString(s.Id)
		}
	}
	if queueID == "" || agentProfile == "" || available == "" {
		return fmt.Errorf("the new instance lacks BasicQueue (%q), the Agent security profile (%q) or the Available status (%q)", queueID, agentProfile, available)
	}
	rp, err := r.api.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: aws.String(r.inst), Name: aws.String("Chat load"),
		Description: aws.String("Agents of the chat load run"), DefaultOutboundQueueId: aws.String(queueID),
		MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelChat, Concurrency: aws.Int32(int32(r.o.Concurrency))}},
		QueueConfigs: []types.RoutingProfileQueueConfig{{QueueReference: &types.RoutingProfileQueueReference{QueueId: aws.String(queueID), Channel: types.ChannelChat},
			Priority: aws.Int32(1), Delay: aws.Int32(0)}}})
	if err != nil {
		return fmt.Errorf("CreateRoutingProfile: %w", err)
	}
	r.logf("creating %d agents (routing profile with CHAT concurrency %d) and setting them Available", r.o.Agents, r.o.Concurrency)
	return parallel(ctx, r.o.Agents, r.o.Parallel, func(ctx context.Context, i int) error {
		u, err := retryThrottled(ctx, func() (*connect.CreateUserOutput, error) {
			return r.api.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(r.inst), Username: aws.String(fmt.Sprintf("agent%05d", i+1)),
				IdentityInfo:       &types.UserIdentityInfo{FirstName: aws.String("Agent"), LastName: aws.String(strconv.Itoa(i + 1))},
				PhoneConfig:        &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone},
				SecurityProfileIds: []string{agentProfile}, RoutingProfileId: rp.RoutingProfileId})
		})
		if err != nil {
			return fmt.Errorf("CreateUser: %w", err)
		}
		_, err = retryThrottled(ctx, func() (*connect.PutUserStatusOutput, error) {
			return r.api.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: aws.String(r.inst), UserId: u.UserId, AgentStatusId: aws.String(available)})
		})
		if err != nil {
			return fmt.Errorf("PutUserStatus: %w", err)
		}
		return nil
	})
}

// parallel runs fn for 0..n-1 with at most width calls at once and returns the first error.
func parallel(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(n, width) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// retryThrottled retries call while the API answers ThrottlingException.
func retryThrottled[T any](ctx context.Context, call func() (T, error)) (T, error) {
	wait := 50 * time.Millisecond
	for {
		out, err := call()
		var ae smithy.APIError
		if err == nil || !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(wait + time.Duration(mrand.Int64N(int64(wait)))):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- chats ----

// chat returns the run's chat of a contact, creating it (the agent's offer may arrive before
// StartChatContact's answer).
func (r *run) chat(contactID string) *chatRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.byContact[contactID]
	if c == nil {
		c = &chatRun{idx: -1, contactID: contactID, cust: party{role: 'c'}, agent: party{role: 'a'},
			seen: map[byte]map[msgKey]bool{'c': {}, 'a': {}}}
		r.byContact[contactID] = c
	}
	return c
}

// startChats starts every customer's chat: StartChatContact (signed, through the Go SDK),
// CreateParticipantConnection, then the customer's WebSocket. It returns how many chats
// started.
func (r *run) startChats(ctx context.Context) (int, error) {
	var n atomic.Int64
	r.chats = make([]*chatRun, r.o.Customers)
	err := parallel(ctx, r.o.Customers, r.o.Parallel, func(ctx context.Context, i int) error {
		out, err := retryThrottled(ctx, func() (*connect.StartChatContactOutput, error) {
			return r.api.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: aws.String(r.inst), ContactFlowId: aws.String(r.flowID),
				ParticipantDetails: &types.ParticipantDetails{DisplayName: aws.String(fmt.Sprintf("Customer %d", i+1))}})
		})
		if err != nil {
			return fmt.Errorf("StartChatContact: %w", err)
		}
		n.Add(1)
		c := r.chat(aws.ToString(out.ContactId))
		c.mu.Lock()
		c.idx = i
		c.mu.Unlock()
		r.mu.Lock()
		r.chats[i] = c
		r.mu.Unlock()
		return r.join(ctx, c, 'c', aws.ToString(out.ParticipantToken))
	})
	return int(n.Load()), err
}

// join connects a participant (its participant token) and opens its socket.
func (r *run) join(ctx context.Context, c *chatRun, role byte, participantToken string) error {
	conn, err := r.pc.CreateParticipantConnection(ctx, participantToken, []string{"WEBSOCKET", "CONNECTION_CREDENTIALS"})
	if err != nil {
		return fmt.Errorf("CreateParticipantConnection: %w", err)
	}
	if conn.Websocket == nil || conn.ConnectionCredentials == nil {
		return errors.New("CreateParticipantConnection answered without a WebSocket URL or a ConnectionToken")
	}
	s, err := dialSocket(ctx, r.wsClient, conn.Websocket.URL, func(it wireItem, at time.Time) { r.received(c, role, it, at) })
	if err != nil {
		return err
	}
	c.mu.Lock()
	p := &c.cust
	if role == 'a' {
		p = &c.agent
	}
	p.token, p.sock, p.joined = conn.ConnectionCredentials.ConnectionToken, s, true
	held := !c.held && c.cust.joined && (r.o.Agents == 0 || c.agent.joined)
	c.held = c.held || held
	c.mu.Unlock()
	if held {
		r.held <- struct{}{}
	}
	return nil
}

// countHeld counts the chats whose sockets are all open.
func (r *run) countHeld() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.byContact {
		c.mu.Lock()
		ok := c.cust.sock != nil && c.cust.sock.open.Load() && (r.o.Agents == 0 || (c.agent.sock != nil && c.agent.sock.open.Load()))
		c.mu.Unlock()
		if ok {
			n++
		}
	}
	return n
}

func (r *run) sockets() []*socket {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*socket
	for _, c := range r.byContact {
		c.mu.Lock()
		for _, s := range []*socket{c.cust.sock, c.agent.sock} {
			if s != nil {
				out = append(out, s)
			}
		}
		c.mu.Unlock()
	}
	return out
}

// heartbeats beats every socket once per Heartbeat interval, spread over the interval.
func (r *run) heartbeats(ctx context.Context) {
	for ctx.Err() == nil {
		socks := r.sockets()
		start := time.Now()
		for i, s := range socks {
			at := start.Add(time.Duration(i) * r.o.Heartbeat / time.Duration(len(socks)))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(at)):
			}
			if s.open.Load() {
				_ = s.heartbeat(ctx)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(r.o.Heartbeat))):
		}
	}
}

func (r *run) closeSockets() {
	var wg sync.WaitGroup
	for _, s := range r.sockets() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.conn.CloseNow()
			<-s.closed
		}()
	}
	wg.Wait()
}

// ---- messages ----

// The content of a load message names its sender, chat, sequence number and send time
// without long digit runs, which redaction would take for card or account numbers:
// "chatload c17 n3 tbdfhqkzmwa" (time in Unix nanoseconds written in base 26 with a-z).
func messageContent(role byte, chatIdx, seq int, at time.Time) string {
	return fmt.Sprintf("chatload %c%d n%d t%s", role, chatIdx, seq, letters(uint64(at.UnixNano())))
}

func letters(v uint64) string {
	var b [16]byte
	i := len(b)
	for {
		i--
		b[i] = 'a' + byte(v%26)
		v /= 26
		if v == 0 {
			return string(b[i:])
		}
	}
}

// parseContent reads a load message; ok is false for anything else.
func parseContent(s string) (role byte, chatIdx, seq int, at time.Time, ok bool) {
	f := strings.Fields(s)
	if len(f) != 4 || f[0] != "chatload" || len(f[1]) < 2 || !strings.HasPrefix(f[2], "n") || !strings.HasPrefix(f[3], "t") {
		return 0, 0, 0, time.Time{}, false
	}
	role = f[1][0]
	var err1, err2 error
	chatIdx, err1 = strconv.Atoi(f[1][1:])
	seq, err2 = strconv.Atoi(f[2][1:])
	if err1 != nil || err2 != nil || (role != 'c' && role != 'a') {
		return 0, 0, 0, time.Time{}, false
	}
	var ns uint64
	for _, ch := range f[3][1:] {
		if ch < 'a' || ch > 'z' {
			return 0, 0, 0, time.Time{}, false
		}
		ns = ns*26 + uint64(ch-'a')
	}
	return role, chatIdx, seq, time.Unix(0, int64(ns)), true
}

// received handles an item on the socket of role rcv in chat c.
func (r *run) received(c *chatRun, rcv byte, it wireItem, at time.Time) {
	if it.Type != "MESSAGE" {
		return
	}
	role, _, seq, sent, ok := parseContent(it.Content)
	if !ok {
		return
	}
	c.mu.Lock()
	c.seen[rcv][msgKey{role, seq}] = true
	c.mu.Unlock()
	d := at.Sub(sent)
	switch {
	case sent.Before(r.warmEnd):
		r.warmDelivery.add(d)
	case role == rcv:
		r.self.add(d)
	case role == 'c':
		r.c2a.add(d)
	default:
		r.a2c.add(d)
	}
}

// converseAll runs every held chat's conversation for d (less when ctx ends first) and
// waits for the calls in flight.
func (r *run) converseAll(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	period := time.Duration(float64(time.Second) / r.o.Rate)
	var wg sync.WaitGroup
	for _, c := range r.chats {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.converse(ctx, c, period, deadline)
		}()
	}
	wg.Wait()
	// The phase lasts d even when the last message was sent before its end.
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(deadline)):
	}
}

// converse sends the chat's messages on a fixed schedule (one every period, from a random
// offset), customer and agent taking turns from a random first; a participant sends its next
// message only after the previous one was answered.
func (r *run) converse(ctx context.Context, c *chatRun, period time.Duration, deadline time.Time) {
	next := time.Now().Add(time.Duration(mrand.Int64N(int64(period))))
	for turn := mrand.IntN(2); ; turn++ {
		if next.After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		if time.Now().After(deadline) {
			return // the node fell behind: the messages it could not take are not sent
		}
		next = next.Add(period)
		p := &c.cust
		if r.o.Agents > 0 && turn%2 == 1 {
			p = &c.agent
		}
		r.send(ctx, c, p)
	}
}

func (r *run) send(ctx context.Context, c *chatRun, p *party) {
	p.sent++
	seq := p.sent
	start := time.Now()
	content := messageContent(p.role, c.idx, seq, start)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	out, err := r.pc.SendMessage(sctx, p.token, "text/plain", content, randomHex(16))
	cancel()
	if err != nil {
		if participantclient.ErrorType(err) == "ThrottlingException" {
			r.throttled.Add(1)
		} else {
			r.failed.Add(1)
		}
		r.firstErr.CompareAndSwap(nil, err.Error())
		return
	}
	r.acked.Add(1)
	role := "CUSTOMER"
	if p.role == 'a' {
		role = "AGENT"
	}
	switch {
	case start.Before(r.warmEnd):
		r.warmAnswer.add(time.Since(start))
	case p.role == 'a':
		r.answerA.add(time.Since(start))
	default:
		r.answerC.add(time.Since(start))
	}
	c.mu.Lock()
	p.acked = append(p.acked, Acked{Role: role, Seq: seq, ID: out.ID, Content: content})
	c.mu.Unlock()
}

// undelivered counts (acknowledged message, open socket of its chat) pairs the socket has not
// received.
func (r *run) undelivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.byContact {
		c.mu.Lock()
		for _, rcv := range []*party{&c.cust, &c.agent} {
			if rcv.sock == nil || !rcv.sock.open.Load() {
				continue
			}
			for _, snd := range []*party{&c.cust, &c.agent} {
				for _, a := range snd.acked {
					if !c.seen[rcv.role][msgKey{snd.role, a.Seq}] {
						n++
					}
				}
			}
		}
		c.mu.Unlock()
	}
	return n
}

func (r *run) ledger() []ChatLedger {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ChatLedger
	for _, c := range r.chats {
		if c == nil {
			continue
		}
		c.mu.Lock()
		l := ChatLedger{Index: c.idx, ContactID: c.contactID, CustomerConnectionToken: c.cust.token}
		l.Acked = append(append(l.Acked, c.cust.acked...), c.agent.acked...)
		c.mu.Unlock()
		out = append(out, l)
	}
	return out
}
