// Package lifecycle drives contacts through their lives: it runs each contact's flow with the
// flow engine (sessions stored between waits, so a waiting contact survives a restart), calls
// external functions, puts contacts in queues through the instance's router, follows offers,
// connections, after-contact work and disconnects, and writes the contact record when a
// contact ends.
//
// Work on one contact is serialised: every job for a contact runs on the same worker (the
// contact ID picks the shard), so a flow step, a router event and an API change never race
// on one contact. Every change is committed with its audit event before its effects leave
// the node (chat messages, offers to agents).
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/redact"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Functions invokes the external functions of an instance (InvokeLambdaFunction). An
// implementation keeps one extfn.Registry and Invoker per instance.
type Functions interface {
	Invoke(ctx context.Context, instanceID, arn string, event extfn.Event, timeout time.Duration, mode extfn.ResponseMode) (extfn.Result, error)
}

// Encryptors returns the encryption provider for customer input captured on a contact
// (inputcrypt.Provider.ForContact binds instance and contact IDs); nil means none.
type Encryptors func(instanceID, contactID string) flow.InputEncryptor

// RoutingSource reads an instance's routing configuration and agent states from storage.
type RoutingSource interface {
	// RoutingSnapshot returns the hours, queues, routing profiles and agents of the instance
	// (Contacts is ignored: the lifecycle adds the live contacts itself).
	RoutingSnapshot(ctx context.Context, instanceID string) (routing.Snapshot, error)
}

// Chat delivers flow output to chat contacts. Implemented by the chat channel.
type Chat interface {
	// PostFlowMessages sends the flow's messages to the contact's participants, in order.
	PostFlowMessages(ctx context.Context, instanceID, contactID string, messages []flow.Message) error
	// EndChat ends the chat: participants are told and their connections closed.
	EndChat(ctx context.Context, instanceID, contactID, reason string) error
}

// Notifier receives the router's events of an instance, for agents' desktops and
// supervisors. It is called after the contact changes those events imply are committed and
// must not block.
type Notifier interface {
	Notify(instanceID string, events []routing.Event)
}

// Config configures a Manager. Store is required; the rest is optional.
type Config struct {
	Store store.Store
	// Region and AccountID build ARNs ($.InstanceARN, contact records).
	Region, AccountID string
	Functions         Functions
	Encryptors        Encryptors
	Routing           RoutingSource
	Chat              Chat
	Notifier          Notifier
	// LogKey keys the hashes that replace sensitive values in flow logs.
	LogKey secret.Value[[]byte]
	// OfferTimeout and AfterContactWork per channel configure the routers (defaults: 20 s
	// offers; after-contact work ends only when the agent completes it, or after
	// DefaultAfterContactWork).
	OfferTimeout     map[routing.Channel]time.Duration
	AfterContactWork map[routing.Channel]time.Duration
	// Workers is the number of contact workers (default 64). A job mostly waits for its
	// commit, so more workers put more contacts into each group commit: in bench/'s
	// BenchmarkTaskToOffer, 64 workers cut the StartTaskContact → offer latency under load
	// about three times against 8.
	Workers int
	Clock   func() time.Time
	Logger  *slog.Logger

	// ChatSweepInterval is how often chats past their duration are ended (default
	// DefaultChatSweepInterval); the first sweep runs as soon as the state is rebuilt.
	ChatSweepInterval time.Duration
}

// DefaultAfterContactWork is how long after-contact work lasts when the agent does not
// complete it and Config.AfterContactWork names no time for the channel.
const DefaultAfterContactWork = 2 * time.Minute

// Manager runs contacts. Create it with New, start it with Run.
type Manager struct {
	cfg    Config
	st     store.Store
	log    *slog.Logger
	redact *redact.Redactor
	prot   *contact.Redactors
	flows  *flowCache
	// secureWaits holds the IDs of contacts whose flow waits for stored input
	// (GetParticipantInput with StoreInput "True"): a chat message answering it goes to the
	// flow only (AwaitsSecureInput).
	secureWaits sync.Map

	shards []chan job
	ctx    context.Context

	mu      sync.Mutex
	routers map[string]*instanceRouter
	timers  map[string]*contactTimer // contact ID → the armed timer
	started chan struct{}

	agentMu    sync.Mutex
	agentLocks map[string]*agentLock // instance/agent → lock serialising status changes
	// inputWaits maps a contact ID to whether its stored flow session waits for the
	// customer's input, as the contact's worker last committed it (absent: unknown, read
	// the store). It spares every chat message to a contact with an agent a store read.
	inputWaits sync.Map

	evMu    sync.Mutex
	evQueue []instanceEvent
	evWake  chan struct{}
}

// New returns a Manager; it fails without a Store.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("lifecycle: a store is required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, st: cfg.Store, log: cfg.Logger, redact: redact.New(redact.Policy{}), prot: contact.NewRedactors(),
		routers: map[string]*instanceRouter{}, agentLocks: map[string]*agentLock{}, timers: map[string]*contactTimer{}, started: make(chan struct{}), evWake: make(chan struct{}, 1)}
	m.flows = newFlowCache(cfg.Store)
	for range cfg.Workers {
		m.shards = append(m.shards, make(chan job, 1024))
	}
	return m, nil
}

// job is one unit of work on one contact.
type job struct {
	instanceID, contactID string
	fn                    func(ctx context.Context)
}

// Run starts the workers, rebuilds every instance's contacts from storage (waiting flows,
// queues, scheduled tasks, after-contact work), ends the chats past their duration (then
// every ChatSweepInterval) and serves until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	m.ctx = ctx
	var wg sync.WaitGroup
	for _, ch := range m.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-ch:
					j.fn(ctx)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); m.dispatchEvents(ctx) }()
	err := m.rebuild(ctx)
	close(m.started)
	if err != nil {
		m.log.Error("lifecycle: rebuild", "error", err.Error())
	}
	wg.Add(1)
	go func() { defer wg.Done(); m.sweepChats(ctx) }()
	<-ctx.Done()
	m.stopTimers()
	wg.Wait()
	return ctx.Err()
}

// Ready returns a channel closed once Run has rebuilt the state from storage.
func (m *Manager) Ready() <-chan struct{} { return m.started }

// enqueueJob runs fn on the contact's worker.
func (m *Manager) enqueueJob(instanceID, contactID string, fn func(ctx context.Context)) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(contactID))
	ch := m.shards[int(h.Sum32())%len(m.shards)]
	if m.ctx == nil {
		return
	}
	select {
	case ch <- job{instanceID: instanceID, contactID: contactID, fn: fn}:
	case <-m.ctx.Done():
	}
}

// do runs fn on the contact's worker and waits for its error.
func (m *Manager) do(ctx context.Context, instanceID, contactID string, fn func(ctx context.Context) error) error {
	if m.ctx == nil {
		return errors.New("lifecycle: not running")
	}
	done := make(chan error, 1)
	m.enqueueJob(instanceID, contactID, func(jctx context.Context) { done <- fn(ctx) })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-m.ctx.Done():
		return m.ctx.Err()
	}
}

func (m *Manager) now() time.Time { return m.cfg.Clock().UTC().Truncate(time.Millisecond) }

func (m *Manager) instanceARN(instanceID string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", m.cfg.Region, m.cfg.AccountID, instanceID)
}

// hostEvent is the audit event of a change the lifecycle makes on its own (a flow step, a
// router decision, a timeout): actor "system".
func hostEvent(code, instanceID, contactID string) *audit.Event {
	return &audit.Event{Code: "contact." + code, Actor: "system", Operation: code, InstanceID: instanceID, Resource: contactID}
}

// mutate applies fn to the stored contact inside one transaction with ev, and returns the
// contact as stored: free text and attribute values redacted per the instance's data
// protection (contact.Protection.Sanitize), the attribute search index updated when the
// attributes changed.
func (m *Manager) mutate(ctx context.Context, ev *audit.Event, instanceID, contactID string, fn func(ctx context.Context, tx store.Tx, c *contact.Contact) error) (contact.Contact, error) {
	var out contact.Contact
	err := m.st.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		c, err := tx.GetContact(ctx, instanceID, contactID)
		if err != nil {
			return err
		}
		c.LastUpdateTimestamp = m.now()
		stored := copyMap(c.Attributes)
		if err := fn(ctx, tx, &c); err != nil {
			return err
		}
		p, err := m.protection(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		p.Sanitize(&c)
		if err := tx.UpdateContact(ctx, c); err != nil {
			return err
		}
		if !maps.Equal(stored, c.Attributes) {
			if err := tx.IndexAttributes(ctx, c.InstanceID, c.ID, p.Searchable(c.Attributes)); err != nil {
				return err
			}
		}
		c.Version++
		out = c
		return nil
	})
	return out, err
}

// get reads a contact.
func (m *Manager) get(ctx context.Context, instanceID, contactID string) (contact.Contact, error) {
	var c contact.Contact
	err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = tx.GetContact(ctx, instanceID, contactID)
		return err
	})
	return c, err
}

// protection returns the instance's data protection, read inside tx so that a change made
// with `ringfence admin data-protection` applies to the next write.
func (m *Manager) protection(ctx context.Context, tx store.Tx, instanceID string) (contact.Protection, error) {
	d, err := tx.GetDataProtection(ctx, instanceID)
	if err != nil {
		return contact.Protection{}, fmt.Errorf("data protection: %w", err)
	}
	return m.prot.For(d), nil
}
