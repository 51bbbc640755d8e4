package agentapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/agentapi"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
)

var _ agentapi.Contacts = (*lifecycle.Manager)(nil)

const (
	instA = "00000000-0000-4000-8000-0000000000a1"
	instB = "00000000-0000-4000-8000-0000000000b1"
)

// queueFlow sets two attributes (one the instance marks sensitive) and transfers the contact
// to queue q-support.
func queueFlow(inst string) string {
	return `{"Version":"2019-10-30","StartAction":"attrs","Actions":[
 {"Identifier":"attrs","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"stage":"triage","secretNote":"do-not-show"}},
  "Transitions":{"NextAction":"q","Errors":[{"NextAction":"q","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"arn:aws:connect:us-east-1:123456789012:instance/` + inst + `/queue/q-support"},
  "Transitions":{"NextAction":"xfer","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
}

type fakeRouting struct{}

func (fakeRouting) RoutingSnapshot(context.Context, string) (routing.Snapshot, error) {
	return routing.Snapshot{
		Queues: []routing.Queue{{ID: "q-support"}, {ID: "q-billing"}},
		Profiles: []routing.RoutingProfile{{ID: "rp", MediaConcurrencies: []routing.MediaConcurrency{{Channel: "TASK", Concurrency: 1}, {Channel: "CHAT", Concurrency: 2}},
			Queues: []routing.ProfileQueue{{QueueID: "q-support", Channel: "TASK", Priority: 1}, {QueueID: "q-support", Channel: "CHAT", Priority: 1}}}},
	}, nil
}

// fakeChat records the agent participants added.
type fakeChat struct {
	mu    sync.Mutex
	added []string // contact/display name
}

func (f *fakeChat) AddAgentParticipant(_ context.Context, inst, contactID, name string) (agentapi.Participant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, contactID+"/"+name)
	return agentapi.Participant{ID: "p-1", Token: secret.New("participant-token-1"), Expiry: time.Now().Add(time.Hour)}, nil
}

type env struct {
	t     *testing.T
	st    store.Store
	m     *lifecycle.Manager
	hub   *agentapi.Hub
	chat  *fakeChat
	srv   *httptest.Server
	mu    sync.Mutex
	users map[string]agentapi.Caller // test token → caller
}

var agentProfile = identity.SecurityProfile{ID: "sp-agent", Name: "Agent", Permissions: []string{"BasicAgentAccess"}}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv whose lifecycle and server use wrap(store) when wrap is not nil.
func newEnvWith(t *testing.T, wrap func(store.Store) store.Store) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"), sqlstore.Options{Sealer: storetest.NewSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	e := &env{t: t, st: st, chat: &fakeChat{}, users: map[string]agentapi.Caller{}}
	e.hub = agentapi.NewHub(agentapi.HubConfig{})
	m, err := lifecycle.New(lifecycle.Config{Store: st, Region: "us-east-1", AccountID: "123456789012", Routing: fakeRouting{}, Notifier: e.hub,
		OfferTimeout:     map[routing.Channel]time.Duration{routing.ChannelTask: 2 * time.Second, routing.ChannelChat: 20 * time.Second},
		AfterContactWork: map[routing.Channel]time.Duration{routing.ChannelTask: 10 * time.Minute, routing.ChannelChat: 10 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	<-m.Ready()
	e.m = m
	srv, err := agentapi.New(agentapi.Config{Store: st, Contacts: m, Hub: e.hub, Chat: e.chat,
		Authenticate: func(r *http.Request) (agentapi.Caller, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			c, ok := e.users[r.Header.Get("X-Test-User")]
			if !ok {
				return agentapi.Caller{}, apierr.AccessDenied("sign in first")
			}
			return c, nil
		},
		SensitiveAttributes: func(inst string) []string {
			if inst == instA {
				return []string{"secretNote"}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(srv)
	t.Cleanup(func() { e.srv.Close(); cancel(); <-done; st.Close() })
	e.seed()
	return e
}

// seed creates instances A and B: a published flow, agent statuses, quick connects and the
// users agent1, agent2, clerk (no BasicAgentAccess) in A and agentb in B.
func (e *env) seed() {
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := e.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		for _, inst := range []string{instA, instB} {
			if err := tx.CreateInstance(ctx, instance.Instance{ID: inst, Alias: "i" + inst[len(inst)-2:], IdentityManagementType: instance.IdentityManagementConnectManaged,
				Status: instance.StatusActive, CreatedTime: now, Tags: map[string]string{}}); err != nil {
				return err
			}
			content := queueFlow(inst)
			if _, probs, err := flow.Load([]byte(content), flow.DefaultLimits()); err != nil {
				e.t.Fatalf("flow: %v %v", err, probs)
			}
			if err := tx.CreateFlowRecord(ctx, flow.Record{InstanceID: inst, ID: "queue-flow", Kind: flow.KindFlow, Name: "queue-flow", Type: "CONTACT_FLOW",
				State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content, Version: 1, Tags: map[string]string{}, LastModified: now}); err != nil {
				return err
			}
			for _, s := range []routing.AgentStatusRecord{
				{ID: "st-available", AgentStatus: routing.Available(), State: routing.AgentStatusEnabled, DisplayOrder: 1},
				{ID: "st-offline", AgentStatus: routing.Offline(), State: routing.AgentStatusEnabled, DisplayOrder: 2},
				{ID: "st-lunch", AgentStatus: routing.AgentStatus{Name: "Lunch", Type: routing.StatusCustom}, State: routing.AgentStatusDisabled},
			} {
				s.InstanceID, s.Tags, s.LastModified = inst, map[string]string{}, now
				if err := tx.CreateAgentStatus(ctx, s); err != nil {
					return err
				}
			}
		}
		for _, q := range []routing.QuickConnectRecord{
			{ID: "qc-billing", Name: "Billing", Type: routing.QuickConnectQueue, QueueID: "q-billing"},
			{ID: "qc-agent1", Name: "Agent one", Type: routing.QuickConnectUser, UserID: "agent1"},
			{ID: "qc-agent2", Name: "Agent two", Type: routing.QuickConnectUser, UserID: "agent2"},
			{ID: "qc-phone", Name: "Phone", Type: routing.QuickConnectPhoneNumber, PhoneNumber: "+15555550100"},
		} {
			q.InstanceID, q.Tags, q.LastModified = instA, map[string]string{}, now
			if err := tx.CreateQuickConnect(ctx, q); err != nil {
				return err
			}
		}
		for _, u := range []identity.User{
			{ID: "agent1", InstanceID: instA, Username: "agent1", IdentityInfo: identity.IdentityInfo{FirstName: "Ada", LastName: "One"}},
			{ID: "agent2", InstanceID: instA, Username: "agent2", IdentityInfo: identity.IdentityInfo{FirstName: "Bo", LastName: "Two"}},
			{ID: "clerk", InstanceID: instA, Username: "clerk", IdentityInfo: identity.IdentityInfo{FirstName: "Cy", LastName: "Clerk"}},
			{ID: "agentb", InstanceID: instB, Username: "agentb", IdentityInfo: identity.IdentityInfo{FirstName: "Di", LastName: "Bee"}},
		} {
			u.PhoneConfig = identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone}
			u.RoutingProfileID, u.Tags, u.CreatedTime, u.LastModifiedTime = "rp", map[string]string{}, now, now
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.users["agent1"] = agentapi.Caller{InstanceID: instA, UserID: "agent1", Username: "agent1", Profiles: []identity.SecurityProfile{agentProfile}}
	e.users["agent2"] = agentapi.Caller{InstanceID: instA, UserID: "agent2", Username: "agent2", Profiles: []identity.SecurityProfile{agentProfile}}
	e.users["clerk"] = agentapi.Caller{InstanceID: instA, UserID: "clerk", Username: "clerk",
		Profiles: []identity.SecurityProfile{{ID: "sp-clerk", Name: "Clerk", Permissions: []string{"AgentStates.View"}}}}
	e.users["agentb"] = agentapi.Caller{InstanceID: instB, UserID: "agentb", Username: "agentb", Profiles: []identity.SecurityProfile{agentProfile}}
}

// do sends a request as user and decodes a JSON answer into out (when not nil); it returns
// the status and the x-amzn-ErrorType.
func (e *env) do(user, method, path string, body any, out any) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("X-Test-User", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	if resp.StatusCode != http.StatusOK && !json.Valid(raw) {
		e.t.Errorf("%s %s: error body is not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

// want checks a request's status and error type.
func (e *env) want(user, method, path string, body any, out any, wantStatus int, wantType string) {
	e.t.Helper()
	got, typ := e.do(user, method, path, body, out)
	if got != wantStatus || typ != wantType {
		e.t.Fatalf("%s %s as %s: %d %s, want %d %s", method, path, user, got, typ, wantStatus, wantType)
	}
}

// socket is an events WebSocket of one agent.
type socket struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan agentapi.Message
}

// send writes a frame to the server.
func (s *socket) send(frame string) {
	s.t.Helper()
	if err := s.ws.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
		s.t.Fatal(err)
	}
}

func (e *env) dial(user string) *socket {
	e.t.Helper()
	ctx := context.Background()
	h := http.Header{"X-Test-User": {user}, "Origin": {e.srv.URL}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/agent/v1/events", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		e.t.Fatalf("dial events as %s: %v", user, err)
	}
	s := &socket{t: e.t, ws: ws, msgs: make(chan agentapi.Message, 100)}
	go func() {
		defer close(s.msgs)
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var m agentapi.Message
			if json.Unmarshal(b, &m) == nil {
				s.msgs <- m
			}
		}
	}()
	e.t.Cleanup(func() { ws.CloseNow() })
	s.next(agentapi.MessageHello)
	return s
}

// next returns the next message of type typ, skipping others.
func (s *socket) next(typ string) agentapi.Message {
	s.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				s.t.Fatalf("socket closed while waiting for %s", typ)
			}
			if m.Type == typ {
				return m
			}
		case <-deadline:
			s.t.Fatalf("no %s message", typ)
		}
	}
}

func (e *env) startTask(channel contact.Channel) string {
	e.t.Helper()
	id := agentapiNewID()
	c := contact.Contact{ID: id, InstanceID: instA, Channel: channel, InitiationMethod: contact.InitiationAPI, Name: "Refund 42", FlowID: "queue-flow",
		CustomerEndpoint: &contact.Endpoint{Type: "TELEPHONE_NUMBER", Address: "+15555550123"}}
	if err := e.m.StartContact(context.Background(), &audit.Event{Code: "test.StartContact", Actor: "operator:test", Operation: "StartContact"}, c); err != nil {
		e.t.Fatalf("StartContact: %v", err)
	}
	return id
}

var idSeq struct {
	sync.Mutex
	n int
}

func agentapiNewID() string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return "c0000000-0000-4000-8000-" + strings.Repeat("0", 12-len(itoa(idSeq.n))) + itoa(idSeq.n)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// waitContact polls the agent's view of a contact until it is in state want.
func (e *env) waitContact(user, id string, want contact.State) agentapi.ContactOut {
	e.t.Helper()
	var out agentapi.ContactOut
	for range 500 {
		out = agentapi.ContactOut{}
		if code, _ := e.do(user, "GET", "/agent/v1/contacts/"+id, nil, &out); code == http.StatusOK && out.State == want {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("contact %s never %s for %s (last %+v)", id, want, user, out)
	return out
}

func (e *env) stored(id string) contact.Contact {
	e.t.Helper()
	var c contact.Contact
	if err := e.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = tx.GetContact(ctx, instA, id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestOfferExpiresThenSecondAgentHandlesTask is the whole agent path: two agents set
// Available through the API, a task is queued by its flow, the agent available longest is
// offered it on its socket and lets the offer expire, the second agent accepts, reads the
// contact (no sensitive attribute, no customer endpoint without the permission), ends it,
// completes after-contact work and is Available again; the contact record is in the outbox.
func TestOfferExpiresThenSecondAgentHandlesTask(t *testing.T) {
	e := newEnv(t)
	ws1, ws2 := e.dial("agent1"), e.dial("agent2")

	var statuses struct{ AgentStatuses []agentapi.AgentStatusOut }
	e.want("agent1", "GET", "/agent/v1/statuses", nil, &statuses, 200, "")
	if len(statuses.AgentStatuses) != 2 || statuses.AgentStatuses[0].AgentStatusId != "st-available" || statuses.AgentStatuses[1].Type != routing.StatusOffline {
		t.Fatalf("statuses: %+v", statuses.AgentStatuses)
	}
	for _, u := range []string{"agent1", "agent2"} {
		var put struct{ Routing agentapi.RoutingState }
		e.want(u, "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, &put, 200, "")
		if put.Routing.Activity != routing.ActivityAvailable {
			t.Fatalf("%s after PUT status: %+v", u, put.Routing)
		}
	}
	var me agentapi.Me
	e.want("agent1", "GET", "/agent/v1/me", nil, &me, 200, "")
	if me.UserId != "agent1" || me.RoutingProfileId != "rp" || me.Status == nil || me.Status.AgentStatusId != "st-available" || me.Routing == nil || me.Routing.Activity != routing.ActivityAvailable {
		t.Fatalf("me: %+v", me)
	}

	id := e.startTask(contact.ChannelTask)
	offer1 := ws1.next(string(routing.EventOfferMade))
	if offer1.ContactId != id || offer1.OfferId == "" || offer1.ExpiresAt == "" || offer1.ServerTime == "" {
		t.Fatalf("offer to agent1: %+v", offer1)
	}
	exp, err := time.Parse(time.RFC3339, offer1.ExpiresAt)
	if err != nil || !exp.After(time.Now().Add(-time.Minute)) {
		t.Errorf("offer expiry %q: %v", offer1.ExpiresAt, err)
	}
	me = agentapi.Me{}
	e.want("agent1", "GET", "/agent/v1/me", nil, &me, 200, "")
	if len(me.Offers) != 1 || me.Offers[0].OfferId != offer1.OfferId || me.Offers[0].ExpiresAt != offer1.ExpiresAt {
		t.Errorf("me offers while offered: %+v", me.Offers)
	}

	// Nobody else reaches the contact or the offer while it is agent1's.
	e.want("agent2", "GET", "/agent/v1/contacts/"+id, nil, nil, 404, "ResourceNotFoundException")
	e.want("agent2", "POST", "/agent/v1/offers/"+offer1.OfferId+"/accept", nil, nil, 404, "ResourceNotFoundException")
	e.want("agent2", "POST", "/agent/v1/offers/"+offer1.OfferId+"/reject", nil, nil, 404, "ResourceNotFoundException")
	e.want("agentb", "GET", "/agent/v1/contacts/"+id, nil, nil, 404, "ResourceNotFoundException")
	e.want("agentb", "POST", "/agent/v1/offers/"+offer1.OfferId+"/accept", nil, nil, 404, "ResourceNotFoundException")
	e.want("agentb", "POST", "/agent/v1/contacts/"+id+"/end", nil, nil, 404, "ResourceNotFoundException")
	e.want("clerk", "GET", "/agent/v1/contacts/"+id, nil, nil, 403, "AccessDeniedException")
	// agent1 may read the contact it is offered.
	e.want("agent1", "GET", "/agent/v1/contacts/"+id, nil, nil, 200, "")

	// agent1 lets the offer expire; agent2 gets it.
	expired := ws1.next(string(routing.EventOfferExpired))
	if expired.OfferId != offer1.OfferId {
		t.Errorf("expired: %+v", expired)
	}
	offer2 := ws2.next(string(routing.EventOfferMade))
	if offer2.ContactId != id || offer2.OfferId == offer1.OfferId || offer2.ExpiresAt == "" {
		t.Fatalf("offer to agent2: %+v", offer2)
	}
	e.want("agent1", "POST", "/agent/v1/offers/"+offer1.OfferId+"/accept", nil, nil, 404, "ResourceNotFoundException")
	e.want("agent1", "GET", "/agent/v1/contacts/"+id, nil, nil, 404, "ResourceNotFoundException")

	var acc agentapi.AcceptOut
	e.want("agent2", "POST", "/agent/v1/offers/"+offer2.OfferId+"/accept", nil, &acc, 200, "")
	if acc.ContactId != id || acc.AlreadyAccepted || acc.Participant != nil || acc.Channel != routing.ChannelTask {
		t.Fatalf("accept: %+v", acc)
	}
	acc = agentapi.AcceptOut{}
	e.want("agent2", "POST", "/agent/v1/offers/"+offer2.OfferId+"/accept", nil, &acc, 200, "")
	if !acc.AlreadyAccepted {
		t.Errorf("second accept: %+v", acc)
	}
	ws2.next(string(routing.EventContactConnected))

	got := e.waitContact("agent2", id, contact.StateConnected)
	if got.Attributes["stage"] != "triage" || got.Name != "Refund 42" || got.QueueId != "q-support" || got.ConnectedToAgentTimestamp == "" {
		t.Errorf("contact as agent2 sees it: %+v", got)
	}
	if _, ok := got.Attributes["secretNote"]; ok {
		t.Errorf("a sensitive attribute reached the agent: %v", got.Attributes)
	}
	if got.CustomerEndpoint != nil {
		t.Errorf("customer endpoint shown without %s: %+v", agentapi.CustomerEndpointPermission, got.CustomerEndpoint)
	}
	// The raw answer names neither stored input nor function results.
	req, _ := http.NewRequest("GET", e.srv.URL+"/agent/v1/contacts/"+id, nil)
	req.Header.Set("X-Test-User", "agent2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, bad := range []string{"StoredCustomerInput", "External", "do-not-show", "+15555550123"} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("contact answer holds %q: %s", bad, raw)
		}
	}
	// With the permission, the endpoint is shown.
	e.mu.Lock()
	e.users["agent2"] = agentapi.Caller{InstanceID: instA, UserID: "agent2", Username: "agent2", Profiles: []identity.SecurityProfile{agentProfile,
		{ID: "sp-cp", Name: "Profiles", Permissions: []string{agentapi.CustomerEndpointPermission}}}}
	e.mu.Unlock()
	got = e.waitContact("agent2", id, contact.StateConnected)
	if got.CustomerEndpoint == nil || got.CustomerEndpoint.Address != "+15555550123" {
		t.Errorf("customer endpoint with the permission: %+v", got.CustomerEndpoint)
	}
	// A deny rule in another profile wins; a grant in a profile of another instance counts
	// for nothing.
	for _, extra := range []identity.SecurityProfile{
		{ID: "sp-deny", Name: "No profiles", DenyPermissions: []string{agentapi.CustomerEndpointPermission}},
		{ID: "sp-b", InstanceID: instB, Name: "Foreign", Permissions: []string{agentapi.CustomerEndpointPermission}},
	} {
		profiles := []identity.SecurityProfile{agentProfile, extra}
		if extra.ID == "sp-deny" {
			profiles = append(profiles, identity.SecurityProfile{ID: "sp-cp", Name: "Profiles", Permissions: []string{agentapi.CustomerEndpointPermission}})
		}
		e.mu.Lock()
		e.users["agent2"] = agentapi.Caller{InstanceID: instA, UserID: "agent2", Username: "agent2", Profiles: profiles}
		e.mu.Unlock()
		if got = e.waitContact("agent2", id, contact.StateConnected); got.CustomerEndpoint != nil {
			t.Errorf("customer endpoint shown with profile %s", extra.ID)
		}
	}

	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/end", nil, nil, 404, "ResourceNotFoundException")
	e.want("agent2", "POST", "/agent/v1/contacts/"+id+"/end", nil, nil, 200, "")
	me = agentapi.Me{}
	e.want("agent2", "GET", "/agent/v1/me", nil, &me, 200, "")
	if me.Routing == nil || me.Routing.Activity != routing.ActivityAfterContactWork || len(me.AfterContactWork) != 1 ||
		me.AfterContactWork[0].ContactId != id || me.AfterContactWork[0].RemainingSeconds <= 0 || me.AfterContactWork[0].RemainingSeconds > 600 {
		t.Fatalf("me in after-contact work: %+v", me)
	}
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/acw/complete", nil, nil, 404, "ResourceNotFoundException")
	e.want("agent2", "POST", "/agent/v1/contacts/"+id+"/acw/complete", nil, nil, 200, "")
	me = agentapi.Me{}
	e.want("agent2", "GET", "/agent/v1/me", nil, &me, 200, "")
	if me.Routing == nil || me.Routing.Activity != routing.ActivityAvailable || len(me.AfterContactWork) != 0 || len(me.Contacts) != 0 {
		t.Errorf("me after completing after-contact work: %+v", me)
	}
	for {
		m := ws2.next(string(routing.EventAgentStateChanged))
		if m.Agent != nil && m.Agent.Activity == routing.ActivityAvailable {
			break
		}
	}

	done := e.stored(id)
	if done.State != contact.StateEnded || done.DisconnectReason != "AGENT_DISCONNECT" || done.Agent.AgentID != "agent2" {
		t.Errorf("stored contact: %+v", done)
	}
	var recs []contact.RecordEntry
	_ = e.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		recs, _ = tx.ListContactRecords(ctx, 0, 10)
		return nil
	})
	if len(recs) != 1 || recs[0].ContactID != id {
		t.Fatalf("contact records: %+v", recs)
	}
	e.want("agent2", "GET", "/agent/v1/contacts/"+id, nil, nil, 404, "ResourceNotFoundException")

	var hist struct {
		Contacts  []agentapi.HistoryItem
		NextToken string
	}
	e.want("agent2", "GET", "/agent/v1/history", nil, &hist, 200, "")
	if len(hist.Contacts) != 1 || hist.Contacts[0].ContactId != id || hist.Contacts[0].State != contact.StateEnded {
		t.Errorf("agent2 history: %+v", hist)
	}
	hist.Contacts = nil
	e.want("agent1", "GET", "/agent/v1/history", nil, &hist, 200, "")
	if len(hist.Contacts) != 0 {
		t.Errorf("agent1 history: %+v", hist)
	}

	// Every request left an audit event: the refused probe and the accept among them.
	events := auditEvents(t, e.st)
	want := map[string]bool{"agentapi.AcceptOffer success user:" + instA + "/agent2": false,
		"agentapi.DescribeContact failure user:" + instA + "/agent2":          false,
		"agentapi.DescribeContact failure user:" + instB + "/agentb":          false,
		"agentapi.DescribeContact failure user:" + instA + "/clerk":           false,
		"agentapi.EndContact success user:" + instA + "/agent2":               false,
		"agentapi.CompleteAfterContactWork success user:" + instA + "/agent2": false,
		"agentapi.ConnectEvents success user:" + instA + "/agent1":            false}
	counts := map[string]int{}
	for _, ev := range events {
		k := ev.Code + " " + string(ev.Outcome) + " " + ev.Actor
		counts[k]++
		if _, ok := want[k]; ok {
			want[k] = true
		}
	}
	// A refusal inside the contact runtime is recorded once, not twice.
	if n := counts["agentapi.EndContact failure user:"+instA+"/agent1"]; n != 1 {
		t.Errorf("agent1's refused end recorded %d times", n)
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no audit event %s", k)
		}
	}
}

func auditEvents(t *testing.T, st store.Store) []audit.Event {
	t.Helper()
	var out []audit.Event
	err := st.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAccessRules: a caller without BasicAgentAccess, an unauthenticated one, a disabled
// status, bad input and unknown paths get clear errors in Connect's shape.
func TestAccessRules(t *testing.T) {
	e := newEnv(t)
	e.want("clerk", "GET", "/agent/v1/me", nil, nil, 403, "AccessDeniedException")
	e.want("clerk", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 403, "AccessDeniedException")
	e.want("nobody", "GET", "/agent/v1/me", nil, nil, 403, "AccessDeniedException")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-lunch"}, nil, 400, "InvalidRequestException")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{}, nil, 400, "InvalidParameterException")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "nope"}, nil, 404, "ResourceNotFoundException")
	e.want("agentb", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-lunch"}, nil, 400, "InvalidRequestException")
	e.want("agent1", "GET", "/agent/v1/nothing", nil, nil, 404, "UnknownOperationException")
	e.want("agent1", "GET", "/agent/v1/history?MaxResults=0", nil, nil, 400, "InvalidParameterException")
	e.want("agent1", "GET", "/agent/v1/history?NextToken=%21%21", nil, nil, 400, "InvalidParameterException")
	var me agentapi.Me
	e.want("agent1", "GET", "/agent/v1/me", nil, &me, 200, "")
	if me.Status != nil || me.Routing != nil {
		t.Errorf("me before any status: %+v", me)
	}
	// A cross-site browser request is refused before it reaches the handler.
	req, _ := http.NewRequest("PUT", e.srv.URL+"/agent/v1/status", strings.NewReader(`{"AgentStatusId":"st-available"}`))
	req.Header.Set("X-Test-User", "agent1")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("cross-site PUT: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// TestEventsSocketRefusals: the WebSocket refuses a foreign Origin, an unauthenticated caller
// and a caller without BasicAgentAccess before upgrading.
func TestEventsSocketRefusals(t *testing.T) {
	e := newEnv(t)
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/agent/v1/events"
	for _, tc := range []struct {
		name, user, origin string
		want               int
	}{
		{"foreign origin", "agent1", "https://evil.example", 403},
		{"no session", "nobody", e.srv.URL, 403},
		{"no BasicAgentAccess", "clerk", e.srv.URL, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{HTTPHeader: http.Header{"X-Test-User": {tc.user}, "Origin": {tc.origin}}})
			if err == nil {
				t.Fatal("dial succeeded")
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("dial answer: %+v", resp)
			}
		})
	}
	// A plain GET is not an upgrade.
	e.want("agent1", "GET", "/agent/v1/events", nil, nil, 400, "InvalidRequestException")
	// A client without Origin (not a browser) is let in.
	ws, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{HTTPHeader: http.Header{"X-Test-User": {"agent1"}}})
	if err != nil {
		t.Fatalf("dial without Origin: %v", err)
	}
	ws.CloseNow()
	// An agent of another instance receives nothing of instance A: after agent1 got its
	// offer, the next message agentb's socket reads is the answer to its own heartbeat.
	ws1, wsB := e.dial("agent1"), e.dial("agentb")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	e.startTask(contact.ChannelTask)
	ws1.next(string(routing.EventOfferMade))
	wsB.send(`{"type":"Heartbeat"}`)
	if m := <-wsB.msgs; m.Type != agentapi.MessageHeartbeat {
		t.Errorf("agent of instance B received %+v", m)
	}
	wsB.send(`{"type":"Dance"}`)
	if m := <-wsB.msgs; m.Type != agentapi.MessageError {
		t.Errorf("unknown frame answered with %+v", m)
	}
}

// TestChatAcceptGivesParticipantToken: accepting a CHAT contact returns the agent's
// participant token once; repeating the accept adds no second participant.
func TestChatAcceptGivesParticipantToken(t *testing.T) {
	e := newEnv(t)
	ws := e.dial("agent1")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startTask(contact.ChannelChat)
	offer := ws.next(string(routing.EventOfferMade))
	var acc agentapi.AcceptOut
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, &acc, 200, "")
	if acc.Participant == nil || acc.Participant.ParticipantToken != "participant-token-1" || acc.Channel != routing.ChannelChat {
		t.Fatalf("accept chat: %+v", acc)
	}
	acc = agentapi.AcceptOut{}
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, &acc, 200, "")
	if !acc.AlreadyAccepted || acc.Participant != nil {
		t.Errorf("second accept: %+v", acc)
	}
	e.chat.mu.Lock()
	added := append([]string(nil), e.chat.added...)
	e.chat.mu.Unlock()
	if len(added) != 1 || added[0] != id+"/Ada One" {
		t.Errorf("participants added: %q", added)
	}
	// The token is not in the audit trail.
	for _, ev := range auditEvents(t, e.st) {
		b, _ := json.Marshal(ev)
		if bytes.Contains(b, []byte("participant-token-1")) {
			t.Errorf("audit event holds the token: %s", b)
		}
	}
}

// TestTransferAndReject: reject puts the agent in MISSED; a connected contact is transferred
// through a QUEUE quick connect; a PHONE_NUMBER quick connect cannot take a task.
func TestTransferAndReject(t *testing.T) {
	e := newEnv(t)
	ws := e.dial("agent1")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startTask(contact.ChannelTask)
	offer := ws.next(string(routing.EventOfferMade))
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/reject", nil, nil, 200, "")
	var me agentapi.Me
	e.want("agent1", "GET", "/agent/v1/me", nil, &me, 200, "")
	if me.Routing == nil || !me.Routing.Missed || me.Routing.Activity != routing.ActivityMissed {
		t.Fatalf("me after reject: %+v", me.Routing)
	}
	// Setting a status again makes the agent routable: the contact comes back.
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	again := ws.next(string(routing.EventOfferMade))
	if again.ContactId != id {
		t.Fatalf("second offer: %+v", again)
	}
	e.want("agent1", "POST", "/agent/v1/offers/"+again.OfferId+"/accept", nil, nil, 200, "")
	e.want("agent1", "POST", "/agent/v1/offers/"+again.OfferId+"/reject", nil, nil, 400, "InvalidRequestException")
	e.waitContact("agent1", id, contact.StateConnected)

	xfer := "/agent/v1/contacts/" + id + "/transfer"
	e.want("agent1", "POST", xfer, map[string]string{}, nil, 400, "InvalidParameterException")
	e.want("agent1", "POST", xfer, map[string]string{"QueueId": "q-billing", "QuickConnectId": "qc-billing"}, nil, 400, "InvalidParameterException")
	e.want("agent1", "POST", xfer, map[string]string{"QuickConnectId": "qc-phone"}, nil, 400, "InvalidRequestException")
	e.want("agent1", "POST", xfer, map[string]string{"QuickConnectId": "qc-none"}, nil, 404, "ResourceNotFoundException")
	e.want("agent2", "POST", xfer, map[string]string{"QuickConnectId": "qc-billing"}, nil, 404, "ResourceNotFoundException")
	e.want("agent1", "POST", xfer, map[string]string{"QueueId": "q-unknown"}, nil, 404, "ResourceNotFoundException")
	var out struct{ ContactId, QueueId string }
	e.want("agent1", "POST", xfer, map[string]string{"QuickConnectId": "qc-billing"}, &out, 200, "")
	if out.QueueId != "q-billing" {
		t.Errorf("transfer answer: %+v", out)
	}
	c := e.stored(id)
	if c.State != contact.StateQueued || c.Queue.QueueID != "q-billing" {
		t.Errorf("after transfer: %s in %q", c.State, c.Queue.QueueID)
	}
}

// failingStore refuses, as a store whose audit sink cannot make the event durable does,
// every Update whose event has the operation set in failOp; everything else goes through.
type failingStore struct {
	store.Store
	mu     sync.Mutex
	failOp string
}

func (f *failingStore) setFail(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failOp = op
}

func (f *failingStore) Update(ctx context.Context, ev *audit.Event, fn func(context.Context, store.Tx) error) error {
	f.mu.Lock()
	fail := ev != nil && f.failOp != "" && ev.Operation == f.failOp
	f.mu.Unlock()
	if fail {
		return apierr.New(apierr.CodeServiceUnavailable, "the change could not be made durable; nothing was changed")
	}
	return f.Store.Update(ctx, ev, fn)
}

// TestTransferToQueueCommitsFirst: a transfer to a queue whose store write fails (its audit
// event cannot be made durable) leaves the router as it was: the contact connected to the
// agent, the target queue empty, the stored contact unchanged. Once the store takes it, the
// transfer is stored and the router agrees: the contact waits in the target queue and the
// agent is in after-contact work.
func TestTransferToQueueCommitsFirst(t *testing.T) {
	var fs *failingStore
	e := newEnvWith(t, func(st store.Store) store.Store { fs = &failingStore{Store: st}; return fs })
	ws := e.dial("agent1")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startTask(contact.ChannelTask)
	offer := ws.next(string(routing.EventOfferMade))
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, nil, 200, "")
	e.waitContact("agent1", id, contact.StateConnected)
	inBilling := func() int {
		t.Helper()
		ms, _, err := e.m.QueueMetrics(context.Background(), instA, routing.MetricsQuery{Queues: []string{"q-billing"}})
		if err != nil || len(ms) != 1 {
			t.Fatalf("QueueMetrics: %v %v", ms, err)
		}
		return ms[0].ContactsInQueue
	}
	routerHolds := func() (connected, acw bool) {
		t.Helper()
		var me agentapi.Me
		e.want("agent1", "GET", "/agent/v1/me", nil, &me, 200, "")
		for _, h := range me.Contacts {
			connected = connected || (h.ContactId == id && h.State == routing.ContactConnected)
		}
		for _, a := range me.AfterContactWork {
			acw = acw || a.ContactId == id
		}
		return connected, acw
	}

	xfer := "/agent/v1/contacts/" + id + "/transfer"
	fs.setFail("TransferContact")
	e.want("agent1", "POST", xfer, map[string]string{"QueueId": "q-billing"}, nil, 503, "ServiceUnavailableException")
	if connected, acw := routerHolds(); !connected || acw {
		t.Errorf("router after the failed transfer: connected %v, after-contact work %v; want connected", connected, acw)
	}
	if n := inBilling(); n != 0 {
		t.Errorf("q-billing holds %d contacts after the failed transfer, want 0", n)
	}
	if c := e.stored(id); c.State != contact.StateConnected || c.Agent.AgentID != "agent1" || c.Queue.QueueID != "q-support" {
		t.Errorf("stored after the failed transfer: %s in %q with %q", c.State, c.Queue.QueueID, c.Agent.AgentID)
	}

	fs.setFail("")
	var out agentapi.TransferOut
	e.want("agent1", "POST", xfer, map[string]string{"QueueId": "q-billing"}, &out, 200, "")
	if out.QueueId != "q-billing" {
		t.Errorf("transfer answer: %+v", out)
	}
	if c := e.stored(id); c.State != contact.StateQueued || c.Queue.QueueID != "q-billing" || c.Agent.AgentID != "" {
		t.Errorf("stored after the transfer: %s in %q with %q", c.State, c.Queue.QueueID, c.Agent.AgentID)
	}
	if connected, acw := routerHolds(); connected || !acw {
		t.Errorf("router after the transfer: connected %v, after-contact work %v; want after-contact work", connected, acw)
	}
	if n := inBilling(); n != 1 {
		t.Errorf("q-billing holds %d contacts after the transfer, want 1", n)
	}
	// The audit trail: the refused transfer and the one that happened.
	var got []string
	for _, ev := range auditEvents(t, e.st) {
		if ev.Operation == "TransferContact" {
			got = append(got, string(ev.Outcome)+" "+ev.ErrorCode)
		}
	}
	if diff := cmp.Diff([]string{"failure ServiceUnavailableException", "success "}, got); diff != "" {
		t.Errorf("TransferContact events (-want +got):\n%s", diff)
	}
}

// TestTransferToAgentQuickConnect: a USER quick connect puts the contact in that agent's own
// queue; the agent gets it, the first agent is in after-contact work.
func TestTransferToAgentQuickConnect(t *testing.T) {
	e := newEnv(t)
	ws1, ws2 := e.dial("agent1"), e.dial("agent2")
	e.want("agent1", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	id := e.startTask(contact.ChannelTask)
	offer := ws1.next(string(routing.EventOfferMade))
	e.want("agent1", "POST", "/agent/v1/offers/"+offer.OfferId+"/accept", nil, nil, 200, "")
	e.waitContact("agent1", id, contact.StateConnected)
	// agent2 is not routable yet: the contact waits in its agent queue.
	var out agentapi.TransferOut
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/transfer", map[string]string{"QuickConnectId": "qc-agent2"}, nil, 404, "ResourceNotFoundException")
	e.want("agent2", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-offline"}, nil, 200, "")
	e.want("agent1", "POST", "/agent/v1/contacts/"+id+"/transfer", map[string]string{"QuickConnectId": "qc-agent2"}, &out, 200, "")
	if out.AgentId != "agent2" || out.QueueId != "" || out.ContactId != id {
		t.Errorf("transfer answer: %+v", out)
	}
	if c := e.stored(id); c.State != contact.StateQueued || c.Queue.QueueID != contact.AgentQueueID("agent2") {
		t.Errorf("after transfer: %s in %q", c.State, c.Queue.QueueID)
	}
	var me agentapi.Me
	e.want("agent1", "GET", "/agent/v1/me", nil, &me, 200, "")
	if len(me.AfterContactWork) != 1 || me.AfterContactWork[0].ContactId != id {
		t.Errorf("agent1 after the transfer: %+v", me)
	}
	e.want("agent2", "PUT", "/agent/v1/status", map[string]string{"AgentStatusId": "st-available"}, nil, 200, "")
	got := ws2.next(string(routing.EventOfferMade))
	if got.ContactId != id {
		t.Fatalf("offer to agent2: %+v", got)
	}
}
