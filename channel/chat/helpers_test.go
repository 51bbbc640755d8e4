package chat_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// clock is a settable test clock; zero offset is the real time.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// events records what the Service tells the contact runtime. While secure is set it also
// answers chat.SecureInputs: the flow waits for stored input.
type events struct {
	mu       sync.Mutex
	messages []chat.Item
	left     []chat.Role
	secure   bool
	inputs   []string
}

func (e *events) AwaitsSecureInput(_, _ string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.secure
}

func (e *events) SecureInput(_ context.Context, _, _ string, in secret.Value[string]) {
	e.mu.Lock()
	e.inputs = append(e.inputs, in.Reveal())
	e.secure = false
	e.mu.Unlock()
}

func (e *events) CustomerMessage(_ context.Context, _, _ string, it chat.Item) {
	e.mu.Lock()
	e.messages = append(e.messages, it)
	e.mu.Unlock()
}

func (e *events) ParticipantLeft(_ context.Context, _, _, _ string, role chat.Role) {
	e.mu.Lock()
	e.left = append(e.left, role)
	e.mu.Unlock()
}

// env is a Service and Handler over a real SQLite store, served on loopback.
type env struct {
	t      testing.TB
	store  *sqlstore.Store
	svc    *chat.Service
	hub    *chat.Hub
	srv    *httptest.Server
	client *participantclient.Client
	inst   string
	clock  *clock
	events *events
}

func newEnv(t *testing.T, limits chat.Limits) *env { return newEnvWith(t, limits, false) }

// newEnvWith is newEnv; with indexed, the store seals contact columns and keeps the
// keyed search indexes (as a node's does), so tests can create contacts and search them.
func newEnvWith(t testing.TB, limits chat.Limits, indexed bool) *env {
	t.Helper()
	ctx := context.Background()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := keyring.NewEnvelope(kr, nil)
	var opts sqlstore.Options
	if indexed {
		opts.Sealer, opts.Hasher = secrets, keyring.NewHasher(secret.New([]byte("transcript index test key")))
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringfence.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inst := instance.Instance{ID: api.NewID(), Alias: "chat", IdentityManagementType: instance.IdentityManagementConnectManaged,
		Status: instance.StatusActive, CreatedTime: time.Now().UTC().Truncate(time.Millisecond), Tags: map[string]string{}}
	if err := st.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, inst: inst.ID, clock: &clock{}, events: &events{}, hub: chat.NewHub()}
	e.svc, err = chat.New(chat.Config{Store: store.ChatTransactor(st), Secrets: secrets, NewID: api.NewID,
		Fanout: e.hub, Events: e.events, Limits: limits, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h, err := chat.NewHandler(chat.HandlerConfig{Service: e.svc})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.client = participantclient.New(e.srv.URL, e.srv.Client())
	return e
}

// party is one connected participant.
type party struct {
	e             *env
	participantID string
	token         string // participant token
	conn          string // connection token
	wsURL         string
}

func (e *env) start(contactID, name string) *party {
	e.t.Helper()
	st, err := e.svc.StartChat(context.Background(), chat.StartRequest{InstanceID: e.inst, ContactID: contactID, CustomerDisplayName: name})
	if err != nil {
		e.t.Fatalf("StartChat: %v", err)
	}
	return e.connect(st)
}

func (e *env) agent(contactID, name string) *party {
	e.t.Helper()
	st, err := e.svc.AddParticipant(context.Background(), e.inst, contactID, chat.RoleAgent, name)
	if err != nil {
		e.t.Fatalf("AddParticipant: %v", err)
	}
	return e.connect(st)
}

func (e *env) connect(st chat.Started) *party {
	e.t.Helper()
	p := &party{e: e, participantID: st.ParticipantID, token: st.ParticipantToken.Reveal()}
	p.reconnect()
	return p
}

// reconnect asks for a new WebSocket URL and connection token.
func (p *party) reconnect() {
	p.e.t.Helper()
	c, err := p.e.client.CreateParticipantConnection(context.Background(), p.token, nil)
	if err != nil {
		p.e.t.Fatalf("CreateParticipantConnection: %v", err)
	}
	p.conn, p.wsURL = c.ConnectionCredentials.ConnectionToken, c.Websocket.URL
}

func (p *party) subscribe() *participantclient.Subscription {
	p.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := p.e.client.Subscribe(ctx, p.wsURL)
	if err != nil {
		p.e.t.Fatalf("Subscribe: %v", err)
	}
	p.e.t.Cleanup(func() { s.Close() })
	return s
}

func (p *party) send(text string) participantclient.Sent {
	p.e.t.Helper()
	sent, err := p.e.client.SendMessage(context.Background(), p.conn, chat.ContentTypePlain, text, "")
	if err != nil {
		p.e.t.Fatalf("SendMessage: %v", err)
	}
	return sent
}

func (p *party) transcript() []chat.Item {
	p.e.t.Helper()
	items, err := p.e.client.FullTranscript(context.Background(), p.conn)
	if err != nil {
		p.e.t.Fatalf("FullTranscript: %v", err)
	}
	return items
}

// next reads the next chat item of a subscription, failing the test if none comes.
func next(t *testing.T, s *participantclient.Subscription) chat.Item {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	it, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("next item: %v", err)
	}
	return it
}

// wantErrType checks the exception name of an error answer.
func wantErrType(t *testing.T, err error, want string) {
	t.Helper()
	if got := participantclient.ErrorType(err); got != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

// auditEvents returns the audit events with a code prefix.
func (e *env) auditEvents(prefix string) []audit.Event {
	e.t.Helper()
	var out []audit.Event
	err := e.store.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		ev, err := decodeEvent(r.Body)
		if err != nil {
			return err
		}
		if len(ev.Code) >= len(prefix) && ev.Code[:len(prefix)] == prefix {
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}
