package workspace_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/ringfence/ringfence/agentapi"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/channel/chat/participantclient"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
	"github.com/ringfence/ringfence/store/storetest"
	"github.com/ringfence/ringfence/workspace"
)

const (
	testInstance = "00000000-0000-4000-8000-0000000000a1"
	agentCookie  = "rf_test_agent"
	agentCSRF    = "csrf-token-of-agent1"
)

// queueFlow logs its blocks, sets two attributes (one the instance marks sensitive) and
// transfers the contact to queue q-support.
func queueFlow() string {
	return `{"Version":"2019-10-30","StartAction":"logs","Actions":[
 {"Identifier":"logs","Type":"UpdateFlowLoggingBehavior","Parameters":{"FlowLoggingBehavior":"Enabled"},"Transitions":{"NextAction":"attrs"}},
 {"Identifier":"attrs","Type":"UpdateContactAttributes","Parameters":{"TargetContact":"Current","Attributes":{"stage":"triage","secretNote":"do-not-show"}},
  "Transitions":{"NextAction":"q","Errors":[{"NextAction":"q","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"arn:aws:connect:us-east-1:123456789012:instance/` + testInstance + `/queue/q-support"},
  "Transitions":{"NextAction":"xfer","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"xfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
}

// testRouting is the instance's routing configuration: the agent's routing profile takes
// two chats at once, or one task, from q-support; q-billing is where transfers go.
type testRouting struct{}

func (testRouting) RoutingSnapshot(context.Context, string) (routing.Snapshot, error) {
	return routing.Snapshot{
		Queues: []routing.Queue{{ID: "q-support"}, {ID: "q-billing"}},
		Profiles: []routing.RoutingProfile{{ID: "rp",
			MediaConcurrencies: []routing.MediaConcurrency{{Channel: "CHAT", Concurrency: 2}, {Channel: "TASK", Concurrency: 1}},
			Queues:             []routing.ProfileQueue{{QueueID: "q-support", Channel: "CHAT", Priority: 1}, {QueueID: "q-support", Channel: "TASK", Priority: 1}}}},
	}, nil
}

// chatOutput and chatInput connect the lifecycle and the chat channel as the node does.
type chatOutput struct{ svc **chat.Service }

func (c chatOutput) PostFlowMessages(ctx context.Context, instanceID, contactID string, messages []flow.Message) error {
	var errs []error
	for _, m := range messages {
		if m.Text == "" {
			continue
		}
		if _, err := (*c.svc).PostSystem(ctx, instanceID, contactID, chat.SystemMessage{ContentType: "text/plain", Content: m.Text}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c chatOutput) EndChat(ctx context.Context, instanceID, contactID, _ string) error {
	err := (*c.svc).EndChat(ctx, instanceID, contactID)
	if apierr.HasCode(err, apierr.CodeAccessDenied) || apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return nil
	}
	return err
}

type chatInput struct{ m *lifecycle.Manager }

func (c chatInput) CustomerMessage(ctx context.Context, instanceID, contactID string, it chat.Item) {
	_ = c.m.CustomerInput(context.WithoutCancel(ctx), instanceID, contactID, it.Content)
}

func (c chatInput) ParticipantLeft(ctx context.Context, instanceID, contactID, _ string, role chat.Role) {
	if role != chat.RoleCustomer {
		return
	}
	ev := &audit.Event{Code: "test.customer_left", Actor: "system", Operation: "StopContact", InstanceID: instanceID, Resource: contactID}
	_ = c.m.Stop(context.WithoutCancel(ctx), ev, instanceID, contactID, "CUSTOMER_DISCONNECT")
}

// e2e is a node's contact runtime, agent API, participant API and workspace on loopback.
type e2e struct {
	t      *testing.T
	st     store.Store
	m      *lifecycle.Manager
	chat   *chat.Service
	origin string
	client *participantclient.Client

	mu       sync.Mutex
	unsafeOK int      // unsafe agent API requests that carried the right CSRF token
	refused  []string // agent API requests the test session check refused
	meReads  int      // GET /agent/v1/me requests
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	ctx := context.Background()
	sealer := storetest.NewSealer(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, st: st}
	var svc *chat.Service
	hub := agentapi.NewHub(agentapi.HubConfig{})
	m, err := lifecycle.New(lifecycle.Config{Store: st, Region: "us-east-1", AccountID: "123456789012", Routing: testRouting{}, Notifier: hub,
		Chat:             chatOutput{svc: &svc},
		AfterContactWork: map[routing.Channel]time.Duration{routing.ChannelChat: 10 * time.Minute, routing.ChannelTask: 10 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err = chat.New(chat.Config{Store: store.ChatTransactor(st), Secrets: sealer, NewID: uuid.NewString, Events: chatInput{m: m}})
	if err != nil {
		t.Fatal(err)
	}
	e.m, e.chat = m, svc
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = m.Run(runCtx); close(done) }()
	<-m.Ready()

	caller := agentapi.Caller{InstanceID: testInstance, UserID: "agent1", Username: "agent1",
		Profiles: []identity.SecurityProfile{{ID: "sp-agent", Name: "Agent", Permissions: []string{"BasicAgentAccess"}}}}
	agentSrv, err := agentapi.New(agentapi.Config{Store: st, Contacts: m, Hub: hub,
		// The test's session check: a cookie names the agent; unsafe methods need its CSRF
		// token, as the node's check of the web session does.
		Authenticate: func(r *http.Request) (agentapi.Caller, error) {
			c, err := r.Cookie(agentCookie)
			if err != nil || c.Value != "agent1" {
				e.refuse(r, "no session")
				return agentapi.Caller{}, apierr.AccessDenied("sign in first")
			}
			if r.URL.Path == "/agent/v1/me" {
				e.mu.Lock()
				e.meReads++
				e.mu.Unlock()
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				if r.Header.Get("X-CSRF-Token") != agentCSRF {
					e.refuse(r, "bad CSRF token")
					return agentapi.Caller{}, apierr.AccessDenied("the CSRF token is missing or wrong")
				}
				e.mu.Lock()
				e.unsafeOK++
				e.mu.Unlock()
			}
			return caller, nil
		},
		Chat: agentapi.ChatFunc(func(ctx context.Context, instanceID, contactID, name string) (agentapi.Participant, error) {
			s, err := svc.AddParticipant(ctx, instanceID, contactID, chat.RoleAgent, name)
			return agentapi.Participant{ID: s.ParticipantID, Token: s.ParticipantToken, Expiry: s.TokenExpiry}, err
		}),
		SensitiveAttributes: func(string) []string { return []string{"secretNote"} },
	})
	if err != nil {
		t.Fatal(err)
	}
	participantSrv, err := chat.NewHandler(chat.HandlerConfig{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := workspace.New(workspace.Config{CSRFToken: func(r *http.Request) (string, error) {
		if c, err := r.Cookie(agentCookie); err == nil && c.Value == "agent1" {
			return agentCSRF, nil
		}
		return "", workspace.ErrSignedOut
	}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(workspace.Prefix, ws)
	mux.Handle("/agent/v1/", agentSrv)
	mux.Handle("/participant/", participantSrv)
	ln, origin := listenLoopback(t)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	e.origin = origin
	e.client = participantclient.New(origin, srv.Client())
	t.Cleanup(func() { srv.Close(); cancel(); <-done; st.Close() })
	e.seed()
	return e
}

// reads returns how many times the page has read GET /agent/v1/me.
func (e *e2e) reads() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.meReads
}

func (e *e2e) refuse(r *http.Request, why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refused = append(e.refused, r.Method+" "+r.URL.Path+": "+why)
}

// seed creates the instance, the published flow, the agent statuses, two queues, a QUEUE
// quick connect to q-billing and the user agent1. Errors are returned from the transaction,
// never reported from inside it.
func (e *e2e) seed() {
	now := time.Now().UTC().Truncate(time.Millisecond)
	content := queueFlow()
	if _, probs, err := flow.Load([]byte(content), flow.DefaultLimits()); err != nil {
		e.t.Fatalf("flow: %v %v", err, probs)
	}
	err := e.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, instance.Instance{ID: testInstance, Alias: "sales", IdentityManagementType: instance.IdentityManagementConnectManaged,
			Status: instance.StatusActive, CreatedTime: now, Tags: map[string]string{}}); err != nil {
			return err
		}
		if err := tx.CreateFlowRecord(ctx, flow.Record{InstanceID: testInstance, ID: "queue-flow", Kind: flow.KindFlow, Name: "queue-flow", Type: "CONTACT_FLOW",
			State: "ACTIVE", Status: "PUBLISHED", Content: content, SavedContent: content, Version: 1, Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		for _, s := range []routing.AgentStatusRecord{
			{ID: "st-available", AgentStatus: routing.Available(), State: routing.AgentStatusEnabled, DisplayOrder: 1},
			{ID: "st-offline", AgentStatus: routing.Offline(), State: routing.AgentStatusEnabled, DisplayOrder: 2},
			{ID: "st-lunch", AgentStatus: routing.AgentStatus{Name: "Lunch", Type: routing.StatusCustom}, State: routing.AgentStatusEnabled, DisplayOrder: 3},
		} {
			s.InstanceID, s.Tags, s.LastModified = testInstance, map[string]string{}, now
			if err := tx.CreateAgentStatus(ctx, s); err != nil {
				return err
			}
		}
		if err := tx.CreateHours(ctx, routing.HoursRecord{InstanceID: testInstance, ID: "hours", Name: "Always", TimeZone: "UTC",
			Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		for id, name := range map[string]string{"q-support": "Support", "q-billing": "Billing"} {
			if err := tx.CreateQueue(ctx, routing.QueueRecord{InstanceID: testInstance, Queue: routing.Queue{ID: id, HoursOfOperationID: "hours", Status: routing.QueueEnabled},
				Name: name, Tags: map[string]string{}, LastModified: now}); err != nil {
				return err
			}
		}
		if err := tx.CreateQuickConnect(ctx, routing.QuickConnectRecord{InstanceID: testInstance, ID: "qc-billing", Name: "Billing",
			Type: routing.QuickConnectQueue, QueueID: "q-billing", Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		// The agent's routing profile holds Support, whose quick connects the agent is offered.
		if err := tx.CreateRoutingProfile(ctx, routing.RoutingProfileRecord{InstanceID: testInstance, Name: "Agents", Description: "agents",
			RoutingProfile: routing.RoutingProfile{ID: "rp", DefaultOutboundQueueID: "q-support",
				MediaConcurrencies: []routing.MediaConcurrency{{Channel: "CHAT", Concurrency: 3}, {Channel: "TASK", Concurrency: 1}},
				Queues:             []routing.ProfileQueue{{QueueID: "q-support", Channel: "CHAT", Priority: 1}, {QueueID: "q-support", Channel: "TASK", Priority: 1}}},
			Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		if err := tx.AssociateQueueQuickConnects(ctx, testInstance, "q-support", []string{"qc-billing"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, identity.User{ID: "agent1", InstanceID: testInstance, Username: "agent1",
			IdentityInfo: identity.IdentityInfo{FirstName: "Ada", LastName: "Agent"}, PhoneConfig: identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone},
			RoutingProfileID: "rp", Tags: map[string]string{}, CreatedTime: now, LastModifiedTime: now})
	})
	if err != nil {
		e.t.Fatalf("seed: %v", err)
	}
}

// customer is the customer side of a chat contact, through the participant API.
type customer struct {
	e         *e2e
	contactID string
	conn      string
	sub       *participantclient.Subscription
}

// startChat starts a chat contact as StartChatContact does (contact and chat in one
// transaction, then the flow) and connects its customer.
func (e *e2e) startChat(name string, attrs map[string]string) *customer {
	e.t.Helper()
	ctx := context.Background()
	ct := contact.Contact{InstanceID: testInstance, ID: uuid.NewString(), Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		FlowID: "queue-flow", Attributes: attrs}
	pending, err := e.chat.PrepareChat(ctx, chat.StartRequest{InstanceID: testInstance, ContactID: ct.ID, CustomerDisplayName: name,
		SupportedContentTypes: []string{chat.ContentTypePlain, chat.ContentTypeMarkdown}})
	if err != nil {
		e.t.Fatalf("PrepareChat: %v", err)
	}
	ev := &audit.Event{Code: "test.StartChatContact", Actor: "operator:test", Operation: "StartChatContact", InstanceID: testInstance}
	err = e.st.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
		if err := e.m.Prepare(&ct); err != nil {
			return err
		}
		if err := e.m.Create(ctx, tx, ct); err != nil {
			return err
		}
		return pending.Insert(ctx, tx)
	})
	if err != nil {
		e.t.Fatalf("start chat: %v", err)
	}
	pending.Started()
	e.m.Started(ct)
	res := pending.Result()
	conn, err := e.client.CreateParticipantConnection(ctx, res.ParticipantToken.Reveal(), nil)
	if err != nil {
		e.t.Fatalf("customer connection: %v", err)
	}
	sub, err := e.client.Subscribe(ctx, conn.Websocket.URL)
	if err != nil {
		e.t.Fatalf("customer socket: %v", err)
	}
	e.t.Cleanup(func() { _ = sub.Close() })
	return &customer{e: e, contactID: ct.ID, conn: conn.ConnectionCredentials.ConnectionToken, sub: sub}
}

// startTask starts a task contact.
func (e *e2e) startTask(name, description string, refs map[string]contact.Reference) string {
	e.t.Helper()
	ct := contact.Contact{InstanceID: testInstance, ID: uuid.NewString(), Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI,
		FlowID: "queue-flow", Name: name, Description: description, References: refs}
	ev := &audit.Event{Code: "test.StartTaskContact", Actor: "operator:test", Operation: "StartTaskContact", InstanceID: testInstance}
	if err := e.m.StartContact(context.Background(), ev, ct); err != nil {
		e.t.Fatalf("StartContact: %v", err)
	}
	return ct.ID
}

// send sends a message as the customer and returns its item ID.
func (c *customer) send(contentType, content string) string {
	c.e.t.Helper()
	sent, err := c.e.client.SendMessage(context.Background(), c.conn, contentType, content, uuid.NewString())
	if err != nil {
		c.e.t.Fatalf("customer SendMessage %.40q: %v", content, err)
	}
	return sent.ID
}

// waitItem reads the customer's socket until an item matches.
func (c *customer) waitItem(what string, match func(chat.Item) bool) chat.Item {
	c.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		it, err := c.sub.Next(ctx)
		if err != nil {
			c.e.t.Fatalf("customer waiting for %s: %v", what, err)
		}
		if match(it) {
			return it
		}
	}
}

// TestChromiumAgentWorkspace drives the workspace in Chromium through a working day's
// contacts: status Available, a chat offer with sound and countdown, accept, the contact's
// permitted attributes, customer messages carrying the XSS payloads of SECURITY.md item 9
// (nothing runs, everything shows as text), typing indicators both ways, a reply the
// customer receives, a second chat in its own tab, a transfer through a quick connect,
// ending the chat, after-contact work with its countdown and completion, a task with its
// references, and the history of recent contacts.
func TestChromiumAgentWorkspace(t *testing.T) {
	if chromiumPath() == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium) or set RINGFENCE_CHROMIUM to its binary")
	}
	e := newE2E(t)
	b := newBrowser(t, e.origin)
	if _, err := chromedpSetCookie(b, agentCookie, "agent1"); err != nil {
		t.Fatalf("set cookie: %v", err)
	}

	// 1. The page loads, lists the statuses; the agent goes Available.
	b.do("open workspace", navigate(e.origin+"/ui/workspace/"), waitVisible(`body[data-ready="true"]`))
	if got := b.text("#agent-name"); got != "agent1" {
		t.Errorf("signed in as %q", got)
	}
	if got := eval[string](b, `[...document.querySelectorAll('#status option')].map((o) => o.textContent).join('|')`); got != "Choose a status…|Available|Offline|Lunch" {
		t.Errorf("status options %q", got)
	}
	// A real click: browsers let the page make sound only after a gesture.
	b.do("click the page", chromedp.MouseClickXY(4, 4)) // a corner: no element layout to wait for
	chooseStatus(b, "st-available")
	b.waitJS("available", `document.querySelector('#activity').dataset.activity === 'AVAILABLE'`)
	b.shot("01-available")

	// 2. A chat arrives: an offer with a sound and a countdown; accept it.
	jane := e.startChat(`Jane <img src=x onerror=window.__xss=1>`, map[string]string{"orderId": `<script>window.__xss=1</script>`})
	offer := fmt.Sprintf(`.offer[data-contact="%s"]`, jane.contactID)
	b.do("offer shown", waitVisible(offer))
	secs := eval[string](b, fmt.Sprintf(`document.querySelector('%s .offer-countdown').dataset.seconds ?? ''`, offer))
	if n := atoi(secs); n < 1 || n > 20 {
		t.Errorf("offer countdown shows %q seconds, want 1-20", secs)
	}
	if got := eval[string](b, `document.body.dataset.offerSound ?? ''`); got != "played" {
		t.Errorf("offer sound: %q", got)
	}
	if got := eval[string](b, `document.title`); !strings.HasPrefix(got, "(1) Incoming contact") {
		t.Errorf("title during the offer: %q", got)
	}
	b.shot("02-offer")
	janePanel := fmt.Sprintf(`#panel-%s`, jane.contactID)
	b.do("accept", click(offer+" .accept"), waitVisible(janePanel+` .transcript li`))
	b.waitJS("connected", fmt.Sprintf(`document.querySelector('%s').dataset.state === 'CONNECTED'`, janePanel))
	jane.waitItem("the agent joining", func(it chat.Item) bool {
		return it.ContentType == chat.EventParticipantJoined && it.ParticipantRole == chat.RoleAgent && it.DisplayName == "Ada Agent"
	})

	// 3. The contact panel: permitted attributes only, as text.
	b.waitJS("attributes", fmt.Sprintf(`document.querySelector('%s dd[data-attribute="stage"]')`, janePanel))
	if got := b.text(janePanel + ` dd[data-attribute="stage"]`); got != "triage" {
		t.Errorf("attribute stage = %q", got)
	}
	if got := b.text(janePanel + ` dd[data-attribute="orderId"]`); got != `<script>window.__xss=1</script>` {
		t.Errorf("attribute orderId = %q", got)
	}
	if eval[bool](b, fmt.Sprintf(`!!document.querySelector('%s dd[data-attribute="secretNote"]')`, janePanel)) {
		t.Error("the sensitive attribute secretNote is shown")
	}
	if got := b.text(janePanel + ` .contact-title`); got != `Jane <img src=x onerror=window.__xss=1>` {
		t.Errorf("contact title %q", got)
	}
	// The flow path: the blocks the flow ran and the branch each took, no values.
	b.waitJS("flow path", fmt.Sprintf(`document.querySelector('%s').dataset.flowPath === 'loaded'`, janePanel))
	if got := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll('%s .flow-path li')].map((li) => li.dataset.identifier + ' ' + li.dataset.branch).join('|')`, janePanel)); got !=
		"logs NextAction|attrs NextAction|q NextAction|xfer Wait:queue|xfer End:queued" {
		t.Errorf("flow path %q", got)
	}
	if got := b.text(janePanel + ` .flow-path`); !strings.Contains(got, "queue-flow: logs UpdateFlowLoggingBehavior → next") || strings.Contains(got, "triage") || strings.Contains(got, "do-not-show") {
		t.Errorf("flow path text %q", got)
	}

	// 4. The customer types, then sends SECURITY.md item 9's payloads.
	// Typing events are not stored: one sent before the agent's chat socket subscribed is
	// lost, so the customer keeps sending them while it types, as chat clients do.
	typingShown := fmt.Sprintf(`!document.querySelector('%s .typing').hidden`, janePanel)
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := e.client.SendEvent(context.Background(), jane.conn, chat.EventTyping, "", ""); err != nil {
			t.Fatalf("customer typing: %v", err)
		}
		shown := false
		for range 20 {
			if eval[bool](b, "!!("+typingShown+")") {
				shown = true
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if shown || time.Now().After(deadline) {
			break
		}
	}
	b.waitJS("customer typing shown", typingShown)
	if got := b.text(janePanel + ` .typing`); got != `Jane <img src=x onerror=window.__xss=1> is typing…` {
		t.Errorf("typing indicator %q", got)
	}
	type payload struct{ contentType, content, want string }
	payloads := []payload{
		{chat.ContentTypePlain, `<img src=x onerror=alert(1)>`, `<img src=x onerror=alert(1)>`},
		{chat.ContentTypePlain, `<svg onload=alert(1)><svg/onload=window.__xss=1>`, `<svg onload=alert(1)><svg/onload=window.__xss=1>`},
		{chat.ContentTypePlain, `<a href="javascript:window.__xss=1">click me</a>`, `<a href="javascript:window.__xss=1">click me</a>`},
		{chat.ContentTypePlain, `</script><script>window.__xss=1</script>`, `</script><script>window.__xss=1</script>`},
		{chat.ContentTypePlain, "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>", "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>"},
		{chat.ContentTypePlain, "invoice\u202Efdp.exe", "invoice⟨U+202E⟩fdp.exe"},
		{chat.ContentTypePlain, "pay\u200Dpal.com", "pay⟨U+200D⟩pal.com"},
		{chat.ContentTypePlain, "line one\r\nline two", "line one\r\nline two"},
		{chat.ContentTypeMarkdown, `[click](javascript:alert(1)) and [x](javascript:window.__xss=1)`, `[click](javascript:alert(1)) and [x](javascript:window.__xss=1)`},
		{chat.ContentTypeMarkdown, `**see** [the docs](https://example.com/help) <img src=x onerror=alert(1)>`, `see the docs <img src=x onerror=alert(1)>`},
	}
	ids := make([]string, len(payloads))
	for i, p := range payloads {
		ids[i] = jane.send(p.contentType, p.content)
	}
	// 1 MB of text is refused by the server: nothing reaches the page.
	if _, err := e.client.SendMessage(context.Background(), jane.conn, chat.ContentTypePlain, strings.Repeat("A", 1<<20), ""); err == nil {
		t.Error("a 1 MB message was accepted")
	} else if typ := participantclient.ErrorType(err); typ != "RequestEntityTooLargeException" && typ != "ValidationException" {
		t.Errorf("1 MB message: %v", err)
	}
	for i, p := range payloads {
		item := fmt.Sprintf(`%s li[data-id="%s"] .body`, janePanel, ids[i])
		b.waitJS(fmt.Sprintf("payload %d shown", i), fmt.Sprintf(`document.querySelector('%s')`, item))
		got := eval[string](b, fmt.Sprintf(`document.querySelector('%s').textContent`, item))
		if got != p.want {
			t.Errorf("payload %d shown as %q, want %q", i, got, p.want)
		}
	}
	b.waitJS("typing cleared by the message", fmt.Sprintf(`document.querySelector('%s .typing').hidden`, janePanel))
	if got := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll('%s .transcript a')].map((a) => a.href + ' ' + a.rel + ' ' + a.target).join('|')`, janePanel)); got != "https://example.com/help noopener noreferrer _blank" {
		t.Errorf("links in the transcript: %q", got)
	}
	if got := eval[int](b, `document.querySelectorAll('.transcript img, .transcript svg, .transcript script, .transcript iframe, .contact-side script, .contact-title img').length`); got != 0 {
		t.Errorf("%d elements were made from message markup", got)
	}
	assertNothingRan(b)
	b.shot("03-payloads")

	// 5. The agent types (the customer sees it) and replies.
	b.do("type reply", click(janePanel+` textarea`), sendKeys(janePanel+` textarea`, "Hello Jane, how can I help?"))
	jane.waitItem("the agent typing", func(it chat.Item) bool {
		return it.ContentType == chat.EventTyping && it.ParticipantRole == chat.RoleAgent
	})
	b.do("send reply", click(janePanel+` .send`))
	jane.waitItem("the agent's reply", func(it chat.Item) bool {
		return it.Type == chat.TypeMessage && it.ParticipantRole == chat.RoleAgent && it.Content == "Hello Jane, how can I help?"
	})
	b.waitJS("reply in the transcript", fmt.Sprintf(`[...document.querySelectorAll('%s li.mine .body')].some((el) => el.textContent === 'Hello Jane, how can I help?')`, janePanel))
	b.waitJS("reply box emptied", fmt.Sprintf(`document.querySelector('%s textarea').value === ''`, janePanel))

	// A reload keeps the chat: the tab comes back with its transcript and a live reply box.
	b.do("reload", chromedp.Reload(), waitVisible(`body[data-ready="true"]`), waitVisible(janePanel+` .transcript li`))
	b.waitJS("transcript back after reload", fmt.Sprintf(`document.querySelector('%s li[data-id="%s"]') && !document.querySelector('%s textarea').disabled`, janePanel, ids[0], janePanel))
	if got := eval[string](b, fmt.Sprintf(`document.querySelector('%s li[data-id="%s"] .body').textContent`, janePanel, ids[0])); got != payloads[0].want {
		t.Errorf("after reload payload 0 shows %q", got)
	}
	assertNothingRan(b)
	b.do("click the page after reload", chromedp.MouseClickXY(4, 4))

	// 6. A second chat arrives while the first goes on: two tabs.
	omar := e.startChat("Omar", nil)
	omarOffer := fmt.Sprintf(`.offer[data-contact="%s"]`, omar.contactID)
	omarPanel := fmt.Sprintf(`#panel-%s`, omar.contactID)
	b.do("second offer", waitVisible(omarOffer), click(omarOffer+" .accept"), waitVisible(omarPanel+` .transcript li`))
	if got := eval[int](b, `document.querySelectorAll('#tabs .tab').length`); got != 2 {
		t.Errorf("%d tabs, want 2", got)
	}
	omar.waitItem("the agent joining", func(it chat.Item) bool {
		return it.ContentType == chat.EventParticipantJoined && it.ParticipantRole == chat.RoleAgent
	})
	b.do("switch to the first chat", click(fmt.Sprintf(`#tab-%s`, jane.contactID)), waitVisible(janePanel+` .transcript`))
	omarMsg := omar.send(chat.ContentTypePlain, "Is anyone there?")
	b.waitJS("unread badge on the second tab", fmt.Sprintf(`document.querySelector('#tab-%s .tab-badge').textContent === '1 new'`, omar.contactID))
	if !eval[bool](b, fmt.Sprintf(`document.querySelector('%s').hidden`, omarPanel)) {
		t.Error("the second chat's panel shows with the first tab selected")
	}
	b.shot("04-two-chats")
	b.do("switch to the second chat", click(fmt.Sprintf(`#tab-%s`, omar.contactID)), waitVisible(fmt.Sprintf(`%s li[data-id="%s"]`, omarPanel, omarMsg)))

	// 7. Transfer the second chat through a quick connect picked from the list: the agent
	// leaves the chat and wraps up (the AgentStateChanged event says so).
	b.waitJS("transfer destinations", fmt.Sprintf(`document.querySelector('%s .transfer-destination').dataset.loaded === 'true'`, omarPanel))
	if got := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll('%s .transfer-destination option')].map((o) => o.value + '=' + o.textContent).join('|')`, omarPanel)); got !=
		"=Choose a quick connect or queue…|QuickConnectId:qc-billing=Billing (queue)|QueueId:q-billing=Billing|QueueId:q-support=Support" {
		t.Errorf("transfer destinations %q", got)
	}
	meBefore := e.reads()
	b.do("transfer", setValue(omarPanel+` select[name="destination"]`, "QuickConnectId:qc-billing"), click(omarPanel+` .transfer button[type="submit"]`))
	omar.waitItem("the agent leaving", func(it chat.Item) bool {
		return it.ContentType == chat.EventParticipantLeft && it.ParticipantRole == chat.RoleAgent
	})
	b.waitJS("transferred contact in after-contact work", fmt.Sprintf(`document.querySelector('%s')?.dataset.state === 'ACW'`, omarPanel))
	// The page learnt it from the events socket, not by reading GET /agent/v1/me again.
	if n := e.reads() - meBefore; n != 0 {
		t.Errorf("the page read GET /agent/v1/me %d times to learn of the transfer", n)
	}
	b.waitJS("notice after transfer", `document.querySelector('#notice').textContent === 'Transferred to Billing.'`)
	b.do("complete after transfer", click(omarPanel+` .complete`), waitNotPresent(omarPanel))
	if ct := e.contact(omar.contactID); ct.State != contact.StateQueued || ct.Queue.QueueID != "q-billing" {
		t.Errorf("transferred contact: state %s, queue %s", ct.State, ct.Queue.QueueID)
	}

	// 8. End the first chat: after-contact work with its countdown; complete it.
	b.do("end chat", click(janePanel+` .end`), waitVisible(janePanel+` .acw`))
	jane.waitItem("the chat ending", func(it chat.Item) bool { return it.ContentType == chat.EventChatEnded })
	acw := b.text(janePanel + ` .acw-countdown`)
	var mins, secs2 int
	if _, err := fmt.Sscanf(acw, "%d:%d", &mins, &secs2); err != nil || mins*60+secs2 < 9*60 || mins*60+secs2 > 10*60 {
		t.Errorf("after-contact work countdown %q, want 9:00-10:00", acw)
	}
	b.waitJS("reply box closed", fmt.Sprintf(`document.querySelector('%s textarea').disabled`, janePanel))
	b.shot("05-after-contact-work")
	b.do("complete", click(janePanel+` .complete`), waitNotPresent(janePanel))
	if ct := e.contact(jane.contactID); ct.State != contact.StateEnded {
		t.Errorf("first chat after completion: %s", ct.State)
	}

	// 9. A task: name, description, references (links only for https), end, complete.
	task := e.startTask(`Refund <b>42</b>`, "Customer asked about\u202Efdp.exe\nSecond line", map[string]contact.Reference{
		"ticket": {Type: "URL", Value: "https://tickets.example.com/42"},
		"legacy": {Type: "URL", Value: "http://tickets.example.com/old"},
		"evil":   {Type: "URL", Value: "javascript:window.__xss=1"},
		"note":   {Type: "STRING", Value: `<img src=x onerror=window.__xss=1>`},
	})
	taskOffer := fmt.Sprintf(`.offer[data-contact="%s"]`, task)
	taskPanel := fmt.Sprintf(`#panel-%s`, task)
	b.do("task offer", waitVisible(taskOffer))
	b.waitJS("task offer named", fmt.Sprintf(`document.querySelector('%s .offer-what').textContent.includes('Refund <b>42</b>')`, taskOffer))
	b.do("accept task", click(taskOffer+" .accept"), waitVisible(taskPanel+` .task`))
	b.waitJS("task shown", fmt.Sprintf(`document.querySelector('%s .task-name').textContent !== ''`, taskPanel))
	if got := b.text(taskPanel + ` .task-name`); got != `Refund <b>42</b>` {
		t.Errorf("task name %q", got)
	}
	if got := b.text(taskPanel + ` .task-description`); got != "Customer asked about⟨U+202E⟩fdp.exe\nSecond line" {
		t.Errorf("task description %q", got)
	}
	if got := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll('%s .task-references li')].map((li) => li.textContent + ' ' + (li.querySelector('a')?.href ?? '-')).join('|')`, taskPanel)); got !=
		"evil: javascript:window.__xss=1 -|legacy: http://tickets.example.com/old -|note: <img src=x onerror=window.__xss=1> -|ticket: https://tickets.example.com/42 https://tickets.example.com/42" {
		t.Errorf("task references %q", got)
	}
	if !eval[bool](b, fmt.Sprintf(`document.querySelector('%s .chat').hidden`, taskPanel)) {
		t.Error("a task shows a chat box")
	}
	b.shot("06-task")
	b.do("end task", click(taskPanel+` .end`), waitVisible(taskPanel+` .acw`), click(taskPanel+` .complete`), waitNotPresent(taskPanel))

	// A rejected offer: the agent is MISSED until it chooses a status, then the contact is
	// offered again.
	rex := e.startChat("Rex", nil)
	rexOffer := fmt.Sprintf(`.offer[data-contact="%s"]`, rex.contactID)
	b.do("offer to reject", waitVisible(rexOffer), click(rexOffer+" .reject"), waitNotPresent(rexOffer))
	b.waitJS("missed", `document.querySelector('#activity').dataset.activity === 'MISSED'`)
	b.waitJS("notice after reject", `document.querySelector('#notice').textContent === 'Offer rejected. Choose a status to receive contacts again.'`)
	chooseStatus(b, "st-available")
	rexPanel := fmt.Sprintf(`#panel-%s`, rex.contactID)
	b.do("offered again", waitVisible(rexOffer), click(rexOffer+" .accept"), waitVisible(rexPanel+` .transcript li`),
		click(rexPanel+` .end`), waitVisible(rexPanel+` .acw`), click(rexPanel+` .complete`), waitNotPresent(rexPanel))

	// 10. The history lists the contacts the agent handled, the one it transferred away
	// included (marked, with where it is now); nothing ran; every request was the agent's.
	b.do("refresh history", click("#history-refresh"))
	for _, id := range []string{jane.contactID, omar.contactID, task, rex.contactID} {
		b.waitJS("history row", fmt.Sprintf(`document.querySelector('#history-rows tr[data-contact="%s"]')`, id))
	}
	if got := b.text(fmt.Sprintf(`#history-rows tr[data-contact="%s"][data-transferred="true"] td:nth-child(5)`, omar.contactID)); got != "Transferred (now queued)" {
		t.Errorf("history shows the transferred chat as %q", got)
	}
	if got := b.text(fmt.Sprintf(`#history-rows tr[data-contact="%s"] td:nth-child(3)`, task)); got != `Refund <b>42</b>` {
		t.Errorf("history names the task %q", got)
	}
	if !eval[bool](b, `document.querySelector('#idle').hidden === false`) {
		t.Error("the idle hint is not back after the last contact")
	}
	b.shot("07-history")
	if got := b.text(fmt.Sprintf(`#history-rows tr[data-contact="%s"] td:nth-child(5)`, jane.contactID)); got != "Ended" {
		t.Errorf("history shows the first chat as %q", got)
	}
	assertNothingRan(b)
	b.check("end")
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.refused) > 0 {
		t.Errorf("agent API requests refused by the session check: %v", e.refused)
	}
	if e.unsafeOK < 10 {
		t.Errorf("only %d unsafe agent API requests carried the CSRF token", e.unsafeOK)
	}
}

// assertNothingRan checks no payload ran: the flag stays unset and no dialog opened.
func assertNothingRan(b *browser) {
	b.t.Helper()
	if got := eval[string](b, `typeof window.__xss`); got != "undefined" {
		b.t.Errorf("window.__xss is %s: a payload ran", got)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dialogs > 0 {
		b.t.Errorf("%d dialogs opened", b.dialogs)
	}
}

// contact reads a contact from the store.
func (e *e2e) contact(id string) contact.Contact {
	e.t.Helper()
	var ct contact.Contact
	err := e.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		ct, err = tx.GetContact(ctx, testInstance, id)
		return err
	})
	if err != nil {
		e.t.Fatalf("get contact: %v", err)
	}
	return ct
}

func atoi(s string) int {
	n := 0
	if s == "" {
		return -1
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return -1
		}
		n = n*10 + int(r-'0')
	}
	return n
}
