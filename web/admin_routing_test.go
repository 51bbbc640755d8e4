package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// queueOf reads a queue of inst.
func (f *adminFixture) queueOf(inst, id string) (routing.QueueRecord, error) {
	var q routing.QueueRecord
	err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		q, err = tx.GetQueue(ctx, inst, id)
		return err
	})
	return q, err
}

// queueQuickConnects lists the IDs of the quick connects of a queue of inst.
func (f *adminFixture) queueQuickConnects(inst, id string) []string {
	f.t.Helper()
	var ids []string
	if err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		qcs, err := tx.ListQueueQuickConnects(ctx, inst, id, "", 100)
		for _, q := range qcs {
			ids = append(ids, q.ID)
		}
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// quickConnect reads a quick connect of acme.
func (f *adminFixture) quickConnect(id string) (routing.QuickConnectRecord, error) {
	var q routing.QuickConnectRecord
	err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		q, err = tx.GetQuickConnect(ctx, testInstanceID, id)
		return err
	})
	return q, err
}

// routingProfileOf reads a routing profile of inst.
func (f *adminFixture) routingProfileOf(inst, id string) routing.RoutingProfileRecord {
	f.t.Helper()
	var p routing.RoutingProfileRecord
	if err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.GetRoutingProfile(ctx, inst, id)
		return err
	}); err != nil {
		f.t.Fatalf("get routing profile: %v", err)
	}
	return p
}

// createdID is the ID in a redirect to prefix+ID+"?notice="+notice.
func createdID(t *testing.T, res response, prefix, notice string) string {
	t.Helper()
	loc := res.Header.Get("Location")
	id, ok := strings.CutPrefix(loc, prefix)
	id, ok2 := strings.CutSuffix(id, "?notice="+notice)
	if res.StatusCode != http.StatusSeeOther || !ok || !ok2 || uuid.Validate(id) != nil {
		t.Fatalf("create: %d to %q, want 303 to %s{id}?notice=%s\n%.800s", res.StatusCode, loc, prefix, notice, res.body)
	}
	return id
}

// lastEvent is the newest audit event with code.
func (f *adminFixture) lastEvent(code string) audit.Event {
	f.t.Helper()
	evs := f.events(code)
	if len(evs) == 0 {
		f.t.Fatalf("no %s event", code)
	}
	return evs[len(evs)-1]
}

// refusal is one refused routing form: the path, the form, and the status and message the
// page must show.
type refusal struct {
	name   string
	path   string
	form   url.Values
	status int
	msg    string
}

// checkRefusals posts each refusal and checks status and message.
func checkRefusals(t *testing.T, c *client, token string, tcs []refusal) {
	t.Helper()
	for _, tc := range tcs {
		tc.form.Set("csrf", token)
		res := c.post(tc.path, tc.form)
		if res.StatusCode != tc.status || !strings.Contains(res.body, tc.msg) {
			t.Errorf("%s: %d, want %d with %q\n%.1500s", tc.name, res.StatusCode, tc.status, tc.msg, res.body)
		}
	}
}

const arnPrefix = "arn:aws:connect:us-east-1:123456789012:instance/" + testInstanceID + "/"

// TestAdminQueues: the administrator lists queues, creates one (refusals first: each keeps
// what was typed and stores nothing), renames it, changes its hours and capacity, disables
// and enables it and adds and removes a quick connect; each change is stored, audited under
// the API's operation name with the queue's ARN, and refused input from the API's own
// checks shows the API's message.
func TestAdminQueues(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	list := c.get("/ui/admin/queues")
	if list.StatusCode != http.StatusOK || !strings.Contains(list.body, `class="queue-link">BasicQueue</a>`) ||
		!strings.Contains(list.body, `class="queue-link">Sales</a>`) || strings.Contains(list.body, "Other sales") {
		t.Fatalf("queue list: %d\n%.2000s", list.StatusCode, list.body)
	}
	token := csrfMeta.FindStringSubmatch(list.body)[1]
	newPage := c.get("/ui/admin/queues/new")
	if !strings.Contains(newPage.body, `<option value="`+f.routing["acme/Basic Hours"]+`">Basic Hours</option>`) ||
		strings.Contains(newPage.body, f.routing["other/Basic Hours"]) {
		t.Errorf("the new-queue page does not offer exactly the instance's hours:\n%.2000s", newPage.body)
	}
	hours := f.routing["acme/Basic Hours"]
	form := func(kv ...string) url.Values {
		v := url.Values{"name": {"Billing"}, "description": {"invoices"}, "hours": {hours}, "max_contacts": {"20"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	checkRefusals(t, c, token, []refusal{
		{"no name", "/ui/admin/queues", form("name", ""), 400, "Name must be 1-127 characters"},
		{"name with a control character", "/ui/admin/queues", form("name", "Bill\u200eing"), 400, "Name must not contain control or format characters"},
		{"negative capacity", "/ui/admin/queues", form("max_contacts", "-1"), 400, "MaxContacts must be ≥ 0"},
		{"capacity not a number", "/ui/admin/queues", form("max_contacts", "many"), 400, "Maximum contacts must be a whole number"},
		{"other instance's hours", "/ui/admin/queues", form("hours", f.routing["other/Basic Hours"]), 400, "does not exist"},
		{"no hours", "/ui/admin/queues", form("hours", ""), 400, "HoursOfOperationId is required"},
		{"name in use", "/ui/admin/queues", form("name", "Sales"), 409, "Sales"},
	})
	if res := c.post("/ui/admin/queues", with(form("max_contacts", "many"), "csrf", token)); !strings.Contains(res.body, `value="many"`) ||
		!strings.Contains(res.body, `value="Billing"`) || !strings.Contains(res.body, ">invoices</textarea>") {
		t.Errorf("a refused new queue lost what was typed:\n%.2000s", res.body)
	}
	if n := len(f.events("web.admin.CreateQueue")); n != 9 {
		t.Errorf("%d CreateQueue events (the page and 8 refusals), want 9", n)
	}

	id := createdID(t, c.post("/ui/admin/queues", with(form(), "csrf", token)), "/ui/admin/queues/", "queue-created")
	q, err := f.queueOf(testInstanceID, id)
	if err != nil || q.Name != "Billing" || q.Description != "invoices" || q.HoursOfOperationID != hours || q.MaxContacts != 20 || q.Status != routing.QueueEnabled {
		t.Fatalf("created queue %+v, %v", q, err)
	}
	if ev := f.lastEvent("web.admin.CreateQueue"); ev.Outcome != audit.OutcomeSuccess || ev.Resource != arnPrefix+"queue/"+id || ev.Operation != "CreateQueue" {
		t.Errorf("create event %+v", ev)
	}
	page := "/ui/admin/queues/" + id
	post := func(action string, kv ...string) response {
		t.Helper()
		v := url.Values{"csrf": {token}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return c.post(page+"/"+action, v)
	}
	// Edits: refusals keep the stored values of the other forms and show the typed one.
	checkRefusals(t, c, token, []refusal{
		{"long name", page + "/name", url.Values{"name": {strings.Repeat("n", 128)}, "description": {"x"}}, 400, "Name must be 1-127 characters"},
		{"other instance's hours", page + "/hours", url.Values{"hours": {f.routing["other/Basic Hours"]}}, 400, "does not exist"},
		{"negative capacity", page + "/max-contacts", url.Values{"max_contacts": {"-3"}}, 400, "MaxContacts"},
		{"unknown status", page + "/status", url.Values{"status": {"PAUSED"}}, 400, "Status must be ENABLED or DISABLED"},
		{"other instance's quick connect", page + "/quick-connects", url.Values{"quick_connect": {f.routing["other/To sales"]}}, 400, "does not exist"},
		{"no quick connect", page + "/quick-connects", url.Values{}, 400, "QuickConnectIds must hold 1 to 50 IDs"},
	})
	if res := post("max-contacts", "max_contacts", "-3"); !strings.Contains(res.body, `value="-3"`) || !strings.Contains(res.body, `value="Billing"`) {
		t.Errorf("the refused capacity page lost what was typed or stored:\n%.3000s", res.body)
	}
	wantRedirect(t, post("name", "name", "Billing desk", "description", "all invoices"), page+"?notice=queue-updated")
	wantRedirect(t, post("max-contacts", "max_contacts", ""), page+"?notice=queue-updated")
	wantRedirect(t, post("hours", "hours", hours), page+"?notice=queue-updated")
	wantRedirect(t, post("status", "status", "DISABLED"), page+"?notice=queue-disabled")
	if q, _ := f.queueOf(testInstanceID, id); q.Name != "Billing desk" || q.Description != "all invoices" || q.MaxContacts != 0 || q.Status != routing.QueueDisabled {
		t.Errorf("after the edits: %+v", q)
	}
	if res := c.get(page); !strings.Contains(res.body, `id="enable-queue"`) || !strings.Contains(res.body, "disabled: takes no new contacts") {
		t.Errorf("the disabled queue's page:\n%.2000s", res.body)
	}
	wantRedirect(t, post("status", "status", "ENABLED"), page+"?notice=queue-enabled")
	if ev := f.lastEvent("web.admin.UpdateQueueStatus"); ev.Details["status"] != "ENABLED" || ev.Resource != arnPrefix+"queue/"+id {
		t.Errorf("status event %+v", ev)
	}

	// Quick connects: the page offers the instance's, adds and removes one.
	qc := f.routing["acme/To sales"]
	if res := c.get(page); !strings.Contains(res.body, `<option value="`+qc+`">To sales (QUEUE)</option>`) || strings.Contains(res.body, f.routing["other/To sales"]) {
		t.Errorf("the queue page does not offer the instance's quick connects:\n%.3000s", res.body)
	}
	wantRedirect(t, post("quick-connects", "quick_connect", qc), page+"?notice=queue-quick-connects-updated")
	if got := f.queueQuickConnects(testInstanceID, id); !slices.Equal(got, []string{qc}) {
		t.Errorf("quick connects after adding: %v", got)
	}
	if res := c.get("/ui/admin/queues"); !strings.Contains(res.body, `class="queue-link">Billing desk</a></td><td class="queue-status">enabled</td>`) ||
		!strings.Contains(res.body, `no limit</td><td class="queue-quick-connects">1</td>`) {
		t.Errorf("the list does not show the queue's status and quick connects:\n%.3000s", res.body)
	}
	if res := c.post(page+"/quick-connects/"+f.routing["other/To sales"]+"/remove", url.Values{"csrf": {token}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("removing another instance's quick connect: %d", res.StatusCode)
	}
	wantRedirect(t, c.post(page+"/quick-connects/"+qc+"/remove", url.Values{"csrf": {token}}), page+"?notice=queue-quick-connects-updated")
	if got := f.queueQuickConnects(testInstanceID, id); len(got) != 0 {
		t.Errorf("quick connects after removing: %v", got)
	}
	for _, op := range []string{"UpdateQueueName", "UpdateQueueMaxContacts", "UpdateQueueHoursOfOperation", "UpdateQueueStatus",
		"AssociateQueueQuickConnects", "DisassociateQueueQuickConnects", "DescribeQueue", "ListQueues"} {
		if !slices.ContainsFunc(f.events("web.admin."+op), func(ev audit.Event) bool {
			return ev.Outcome == audit.OutcomeSuccess && ev.Actor == userActor(testInstanceID, f.users["admin"]) && ev.InstanceID == testInstanceID
		}) {
			t.Errorf("no successful web.admin.%s event", op)
		}
	}
	// Another instance's queue did not change.
	if q, err := f.queueOf(otherInstance, f.routing["other/Sales"]); err != nil || q.Name != "Other sales" || q.Status != routing.QueueEnabled {
		t.Errorf("the other instance's queue: %+v, %v", q, err)
	}
}

// with returns a copy of v with the pairs kv set.
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = slices.Clone(x)
	}
	for i := 0; i < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// TestAdminQuickConnects: the new quick connect page offers, for each type, the
// instance's published flows of the type Connect's console offers; quick connects of each
// type are created (refusals first), listed with their destinations, renamed, pointed
// elsewhere and deleted.
func TestAdminQuickConnects(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	newPage := c.get("/ui/admin/quick-connects/new")
	token := csrfMeta.FindStringSubmatch(newPage.body)[1]
	for _, tc := range []struct{ selectID, flow string }{
		{"queue_flow", "Default queue transfer"}, {"agent_flow", "Default agent transfer"}, {"contact_flow", provision.SampleInboundFlowName},
	} {
		sel := selectBody(newPage.body, tc.selectID)
		if !strings.Contains(sel, `value="`+f.routing["acme/"+tc.flow]+`"`) {
			t.Errorf("select %s does not offer %q:\n%s", tc.selectID, tc.flow, sel)
		}
		if n := strings.Count(sel, "<option"); n != 1 {
			t.Errorf("select %s offers %d flows, want only the one of its type:\n%s", tc.selectID, n, sel)
		}
	}
	if sel := selectBody(newPage.body, "user"); !strings.Contains(sel, ">agent</option>") || strings.Contains(sel, "stranger") {
		t.Errorf("user select:\n%s", sel)
	}
	sales := f.routing["acme/Sales"]
	queueForm := url.Values{"name": {"Escalate"}, "description": {"to sales"}, "type": {"QUEUE"}, "queue": {sales},
		"queue_flow": {f.routing["acme/Default queue transfer"]}, "phone": {"not used"}}
	checkRefusals(t, c, token, []refusal{
		{"unknown type", "/ui/admin/quick-connects", with(queueForm, "type", "FAX"), 400, "QuickConnectType must be USER, QUEUE, PHONE_NUMBER or FLOW"},
		{"bad number", "/ui/admin/quick-connects", with(queueForm, "type", "PHONE_NUMBER", "phone", "555-0100"), 400, "E.164"},
		{"other instance's queue", "/ui/admin/quick-connects", with(queueForm, "queue", f.routing["other/Sales"]), 400, "does not exist"},
		{"other instance's flow", "/ui/admin/quick-connects", with(queueForm, "queue_flow", f.routing["other/Default queue transfer"]), 400, "does not exist"},
		{"no flow", "/ui/admin/quick-connects", with(queueForm, "queue_flow", ""), 400, "ContactFlowId is required"},
		{"no queue", "/ui/admin/quick-connects", with(queueForm, "queue", ""), 400, "QueueConfig.QueueId is required"},
		{"other instance's user", "/ui/admin/quick-connects", with(queueForm, "type", "USER", "user", f.users["stranger"],
			"agent_flow", f.routing["acme/Default agent transfer"]), 400, "user"},
		{"name in use", "/ui/admin/quick-connects", with(queueForm, "name", "To sales"), 409, "To sales"},
	})
	if res := c.post("/ui/admin/quick-connects", with(queueForm, "csrf", token, "type", "PHONE_NUMBER", "phone", "555-0100")); !strings.Contains(res.body, `value="555-0100"`) ||
		!strings.Contains(res.body, `<option value="PHONE_NUMBER" selected>`) {
		t.Errorf("a refused quick connect lost what was typed:\n%.3000s", res.body)
	}

	ids := map[string]string{}
	for _, tc := range []struct {
		name string
		form url.Values
		want routing.QuickConnectRecord
	}{
		{"Escalate", queueForm, routing.QuickConnectRecord{Type: routing.QuickConnectQueue, QueueID: sales, ContactFlowID: f.routing["acme/Default queue transfer"]}},
		{"Ask the agent", with(queueForm, "name", "Ask the agent", "type", "USER", "user", f.users["agent"], "agent_flow", f.routing["acme/Default agent transfer"]),
			routing.QuickConnectRecord{Type: routing.QuickConnectUser, UserID: f.users["agent"], ContactFlowID: f.routing["acme/Default agent transfer"]}},
		{"Head office", with(queueForm, "name", "Head office", "type", "PHONE_NUMBER", "phone", "+12065550100"),
			routing.QuickConnectRecord{Type: routing.QuickConnectPhoneNumber, PhoneNumber: "+12065550100"}},
		{"Survey", with(queueForm, "name", "Survey", "type", "FLOW", "contact_flow", f.routing["acme/"+provision.SampleInboundFlowName]),
			routing.QuickConnectRecord{Type: routing.QuickConnectFlow, ContactFlowID: f.routing["acme/"+provision.SampleInboundFlowName]}},
	} {
		id := createdID(t, c.post("/ui/admin/quick-connects", with(tc.form, "csrf", token)), "/ui/admin/quick-connects/", "quick-connect-created")
		ids[tc.name] = id
		q, err := f.quickConnect(id)
		if err != nil || q.Name != tc.name || q.Type != tc.want.Type || q.QueueID != tc.want.QueueID || q.UserID != tc.want.UserID ||
			q.PhoneNumber != tc.want.PhoneNumber || q.ContactFlowID != tc.want.ContactFlowID {
			t.Errorf("%s: stored %+v, %v; want %+v", tc.name, q, err, tc.want)
		}
		if ev := f.lastEvent("web.admin.CreateQuickConnect"); ev.Resource != arnPrefix+"transfer-destination/"+id || ev.Outcome != audit.OutcomeSuccess {
			t.Errorf("%s: event %+v", tc.name, ev)
		}
	}
	list := c.get("/ui/admin/quick-connects")
	for _, want := range []string{"queue Sales through flow Default queue transfer", "agent agent through flow Default agent transfer", "&#43;12065550100",
		"flow " + provision.SampleInboundFlowName} {
		if !strings.Contains(list.body, `<td class="quick-connect-destination">`+want+`</td>`) {
			t.Errorf("the list lacks the destination %q:\n%.3000s", want, list.body)
		}
	}

	page := "/ui/admin/quick-connects/" + ids["Escalate"]
	if res := c.get(page); !strings.Contains(res.body, `<option value="`+sales+`" selected>Sales</option>`) {
		t.Errorf("the quick connect page does not select its queue:\n%.3000s", res.body)
	}
	checkRefusals(t, c, token, []refusal{
		{"empty name", page + "/name", url.Values{"name": {""}, "description": {"x"}}, 400, "Name must be 1-127 characters"},
		{"bad number", page + "/config", url.Values{"type": {"PHONE_NUMBER"}, "phone": {"+0123"}}, 400, "E.164"},
	})
	wantRedirect(t, c.post(page+"/name", url.Values{"csrf": {token}, "name": {"Escalate to sales"}, "description": {"tier 2"}}), page+"?notice=quick-connect-updated")
	wantRedirect(t, c.post(page+"/config", url.Values{"csrf": {token}, "type": {"QUEUE"}, "queue": {f.routing["acme/BasicQueue"]},
		"queue_flow": {f.routing["acme/Default queue transfer"]}}), page+"?notice=quick-connect-updated")
	if q, _ := f.quickConnect(ids["Escalate"]); q.Name != "Escalate to sales" || q.Description != "tier 2" || q.QueueID != f.routing["acme/BasicQueue"] {
		t.Errorf("after the edits: %+v", q)
	}
	// Deleting removes it from its queues too.
	basic := "/ui/admin/queues/" + f.routing["acme/BasicQueue"]
	wantRedirect(t, c.post(basic+"/quick-connects", url.Values{"csrf": {token}, "quick_connect": {ids["Escalate"]}}), basic+"?notice=queue-quick-connects-updated")
	wantRedirect(t, c.post(page+"/delete", url.Values{"csrf": {token}}), "/ui/admin/quick-connects?notice=quick-connect-deleted")
	if _, err := f.quickConnect(ids["Escalate"]); err == nil {
		t.Error("the deleted quick connect is still stored")
	}
	if got := f.queueQuickConnects(testInstanceID, f.routing["acme/BasicQueue"]); len(got) != 0 {
		t.Errorf("BasicQueue's quick connects after the delete: %v", got)
	}
	if res := c.get(page); res.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted quick connect's page: %d", res.StatusCode)
	}
	for _, op := range []string{"UpdateQuickConnectName", "UpdateQuickConnectConfig", "DeleteQuickConnect", "DescribeQuickConnect", "ListQuickConnects"} {
		if !slices.ContainsFunc(f.events("web.admin."+op), func(ev audit.Event) bool {
			return ev.Outcome == audit.OutcomeSuccess && ev.Actor == userActor(testInstanceID, f.users["admin"])
		}) {
			t.Errorf("no successful web.admin.%s event", op)
		}
	}
	if ev := f.lastEvent("web.admin.DescribeQuickConnect"); ev.Outcome != audit.OutcomeFailure || ev.ErrorCode != "ResourceNotFoundException" {
		t.Errorf("the deleted quick connect's page view: %+v", ev)
	}
}

// selectBody returns the options of the select element with the given id.
func selectBody(page, id string) string {
	_, rest, ok := strings.Cut(page, `<select id="`+id+`"`)
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, "</select>")
	return body
}

// withList returns a copy of v with key set to the values vs.
func withList(v url.Values, key string, vs ...string) url.Values {
	out := with(v)
	out[key] = vs
	return out
}

// TestAdminRoutingProfiles: a routing profile is created with its channels and a first
// queue (the router's rules refuse bad concurrency, priority and delay with the API's
// messages), then renamed, given another default outbound queue and channels, and its
// queue entries added, changed and removed.
func TestAdminRoutingProfiles(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	list := c.get("/ui/admin/routing-profiles")
	if !strings.Contains(list.body, `class="routing-profile-link">Basic Routing Profile</a> <span class="tag">default</span>`) ||
		!strings.Contains(list.body, "VOICE 1 · CHAT 3 · TASK 1") {
		t.Errorf("routing profile list:\n%.2000s", list.body)
	}
	token := csrfMeta.FindStringSubmatch(list.body)[1]
	basicQ, sales := f.routing["acme/BasicQueue"], f.routing["acme/Sales"]
	form := url.Values{"name": {"Sales agents"}, "description": {"sell"}, "outbound_queue": {sales}, "channel": {"VOICE", "CHAT"},
		"conc_VOICE": {"1"}, "conc_CHAT": {"4"}, "conc_TASK": {"1"}, "any_CHAT": {"on"}, "queue": {sales}, "entry_channel": {"VOICE", "CHAT"},
		"priority": {"1"}, "delay": {"0"}}
	checkRefusals(t, c, token, []refusal{
		{"no description", "/ui/admin/routing-profiles", with(form, "description", ""), 400, "Description must be 1-250 characters"},
		{"no channel", "/ui/admin/routing-profiles", with(form, "channel", ""), 400, "MediaConcurrencies is required"},
		{"two voice contacts", "/ui/admin/routing-profiles", with(form, "conc_VOICE", "2"), 400, "VOICE concurrency must be 1–1, got 2"},
		{"eleven chats", "/ui/admin/routing-profiles", with(form, "conc_CHAT", "11"), 400, "CHAT concurrency must be 1–10, got 11"},
		{"priority 100", "/ui/admin/routing-profiles", with(form, "priority", "100"), 400, "priority must be 1–99, got 100"},
		{"delay too long", "/ui/admin/routing-profiles", with(form, "delay", "10000"), 400, "delay must be 0–9999 seconds, got 10000"},
		{"delay not a number", "/ui/admin/routing-profiles", with(form, "delay", "soon"), 400, "Delay must be a whole number"},
		{"queue without channel", "/ui/admin/routing-profiles", with(form, "entry_channel", ""), 400, "Tick at least one channel"},
		{"other instance's outbound queue", "/ui/admin/routing-profiles", with(form, "outbound_queue", f.routing["other/Sales"]), 400, "does not exist"},
		{"other instance's queue", "/ui/admin/routing-profiles", with(form, "queue", f.routing["other/Sales"]), 400, "does not exist"},
	})
	if res := c.post("/ui/admin/routing-profiles", with(form, "csrf", token, "conc_CHAT", "11")); !strings.Contains(res.body, `name="conc_CHAT" inputmode="numeric" maxlength="2" value="11"`) ||
		!strings.Contains(res.body, `id="any-CHAT" checked`) || strings.Contains(res.body, `id="channel-TASK" checked`) {
		t.Errorf("a refused profile lost what was typed:\n%.4000s", res.body)
	}

	id := createdID(t, c.post("/ui/admin/routing-profiles", with(form, "csrf", token)), "/ui/admin/routing-profiles/", "routing-profile-created")
	p := f.routingProfileOf(testInstanceID, id)
	wantConc := []routing.MediaConcurrency{{Channel: routing.ChannelVoice, Concurrency: 1, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
		{Channel: routing.ChannelChat, Concurrency: 4, CrossChannelBehavior: routing.RouteAnyChannel}}
	wantQueues := []routing.ProfileQueue{{QueueID: sales, Channel: routing.ChannelVoice, Priority: 1}, {QueueID: sales, Channel: routing.ChannelChat, Priority: 1}}
	if p.Name != "Sales agents" || p.Description != "sell" || p.DefaultOutboundQueueID != sales || !slices.Equal(p.MediaConcurrencies, wantConc) ||
		!slices.Equal(p.Queues, wantQueues) || p.AgentAvailabilityTimer != routing.TimeSinceLastActivity || p.IsDefault {
		t.Fatalf("created profile %+v", p)
	}
	page := "/ui/admin/routing-profiles/" + id
	post := func(action string, v url.Values) response {
		t.Helper()
		return c.post(page+"/"+action, with(v, "csrf", token))
	}
	checkRefusals(t, c, token, []refusal{
		{"entry twice", page + "/queues", url.Values{"queue": {sales}, "entry_channel": {"CHAT"}, "priority": {"2"}, "delay": {"0"}}, 400, "listed twice"},
		{"entry it lacks", page + "/queues/update", url.Values{"queue": {basicQ}, "channel": {"TASK"}, "priority": {"2"}, "delay": {"0"}}, 400, "routing profile queue"},
		{"entry priority 0", page + "/queues/update", url.Values{"queue": {sales}, "channel": {"CHAT"}, "priority": {"0"}, "delay": {"0"}}, 400, "priority must be 1–99"},
		{"remove an entry it lacks", page + "/queues/remove", url.Values{"queue": {basicQ}, "channel": {"VOICE"}}, 400, "routing profile queue"},
		{"empty description", page + "/name", url.Values{"name": {"Sales agents"}, "description": {""}}, 400, "Description must be 1-250 characters"},
		{"no outbound queue", page + "/default-outbound-queue", url.Values{"outbound_queue": {""}}, 400, "DefaultOutboundQueueId is required"},
		{"task concurrency 0", page + "/concurrency", url.Values{"channel": {"TASK"}, "conc_TASK": {"0"}}, 400, "TASK concurrency must be 1–10, got 0"},
	})
	wantRedirect(t, post("name", url.Values{"name": {"Sales team"}, "description": {"sells things"}}), page+"?notice=routing-profile-updated")
	wantRedirect(t, post("default-outbound-queue", url.Values{"outbound_queue": {basicQ}}), page+"?notice=routing-profile-updated")
	wantRedirect(t, post("concurrency", url.Values{"channel": {"CHAT", "TASK"}, "conc_CHAT": {"2"}, "conc_TASK": {"3"}}), page+"?notice=routing-profile-updated")
	wantRedirect(t, post("queues", url.Values{"queue": {basicQ}, "entry_channel": {"CHAT", "TASK"}, "priority": {"5"}, "delay": {"30"}}), page+"?notice=routing-profile-updated")
	wantRedirect(t, post("queues/update", url.Values{"queue": {sales}, "channel": {"CHAT"}, "priority": {"2"}, "delay": {"15"}}), page+"?notice=routing-profile-updated")
	wantRedirect(t, post("queues/remove", url.Values{"queue": {sales}, "channel": {"VOICE"}}), page+"?notice=routing-profile-updated")
	p = f.routingProfileOf(testInstanceID, id)
	wantConc = []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 2, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
		{Channel: routing.ChannelTask, Concurrency: 3, CrossChannelBehavior: routing.RouteCurrentChannelOnly}}
	wantQueues = []routing.ProfileQueue{{QueueID: sales, Channel: routing.ChannelChat, Priority: 2, DelaySeconds: 15},
		{QueueID: basicQ, Channel: routing.ChannelChat, Priority: 5, DelaySeconds: 30}, {QueueID: basicQ, Channel: routing.ChannelTask, Priority: 5, DelaySeconds: 30}}
	if p.Name != "Sales team" || p.Description != "sells things" || p.DefaultOutboundQueueID != basicQ || !slices.Equal(p.MediaConcurrencies, wantConc) || !slices.Equal(p.Queues, wantQueues) {
		t.Errorf("after the edits: %+v", p)
	}
	view := c.get(page)
	if n := strings.Count(view.body, `<tr class="routing-profile-entry">`); n != 3 || !strings.Contains(view.body, `name="delay" inputmode="numeric" maxlength="4" size="5" value="15"`) {
		t.Errorf("the page shows %d entries:\n%.4000s", n, view.body)
	}
	for _, op := range []string{"UpdateRoutingProfileName", "UpdateRoutingProfileDefaultOutboundQueue", "UpdateRoutingProfileConcurrency",
		"AssociateRoutingProfileQueues", "UpdateRoutingProfileQueues", "DisassociateRoutingProfileQueues"} {
		if ev := f.lastEvent("web.admin." + op); ev.Outcome != audit.OutcomeSuccess || ev.Resource != arnPrefix+"routing-profile/"+id {
			t.Errorf("web.admin.%s: %+v", op, ev)
		}
	}
	if p := f.routingProfileOf(otherInstance, provision.BasicRoutingProfileID(otherInstance)); len(p.Queues) != 3 || p.Name != "Basic Routing Profile" {
		t.Errorf("another instance's profile changed: %+v", p)
	}
}

// refreshCounter counts Config.RefreshRouting calls per instance.
type refreshCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (rc *refreshCounter) refresh(_ context.Context, instanceID string) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.n[instanceID]++
	return nil
}

func (rc *refreshCounter) count(instanceID string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n[instanceID]
}

// TestAdminRoutingRefreshesRouter: every admin action the API refreshes the router after
// (store.RoutingChange) succeeds with the valid form of adminForms and refreshes the
// session's instance's router once, before the answer; the other actions refresh nothing,
// and neither does a refused change.
func TestAdminRoutingRefreshesRouter(t *testing.T) {
	rc := &refreshCounter{n: map[string]int{}}
	f := newAdminFixture(t, func(c *Config) { c.RefreshRouting = rc.refresh })
	c := f.client(t)
	f.signIn(c, "admin")
	token := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	forms := adminForms(f)
	changes := 0
	for _, rt := range adminRoutes() {
		method, path := f.adminPath(rt.pattern, testAlias, f.users["agent"], f.profiles["acme/Viewer"])
		if method != http.MethodPost || !strings.Contains(rt.pattern, "/queues") && !strings.Contains(rt.pattern, "/quick-connects") &&
			!strings.Contains(rt.pattern, "/routing-profiles") && !strings.Contains(rt.pattern, "/hours") && !strings.Contains(rt.pattern, "/agent-statuses") {
			continue
		}
		before := rc.count(testInstanceID)
		res := c.post(path, with(forms[rt.pattern], "csrf", token))
		if rt.action == "DeleteHoursOfOperation" || rt.action == "DeleteRoutingProfile" {
			// The fixture's Basic Hours and default profile are in use: refused, no refresh.
			if res.StatusCode != http.StatusConflict || rc.count(testInstanceID) != before {
				t.Errorf("%s on a resource in use: %d, %d refreshes; want 409 and none", rt.pattern, res.StatusCode, rc.count(testInstanceID)-before)
			}
			continue
		}
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: %d, want 303\n%.1500s", rt.pattern, res.StatusCode, res.body)
			continue
		}
		want := 0
		if store.RoutingChange(rt.action) {
			want, changes = 1, changes+1
		}
		if got := rc.count(testInstanceID) - before; got != want {
			t.Errorf("%s (%s): %d router refreshes, want %d", rt.pattern, rt.action, got, want)
		}
	}
	if changes < 8 {
		t.Errorf("only %d routing changes walked", changes)
	}
	// A refused change refreshes nothing.
	before := rc.count(testInstanceID)
	res := c.post("/ui/admin/queues/"+f.routing["acme/Sales"]+"/status", url.Values{"csrf": {token}, "status": {"PAUSED"}})
	if res.StatusCode != http.StatusBadRequest || rc.count(testInstanceID) != before || rc.count(otherInstance) != 0 {
		t.Errorf("refused status change: %d, refreshes %d → %d, other instance %d", res.StatusCode, before, rc.count(testInstanceID), rc.count(otherInstance))
	}
}

// TestAdminQueueOperator: a user whose profile allows viewing queues and enabling or
// disabling them (Queues.View, Queues.EnableAndDisable) sees only Queues on the admin
// index, the queue page without the forms it may not use, may disable a queue, and is
// refused (403, audited) renaming one or opening the other routing pages.
func TestAdminQueueOperator(t *testing.T) {
	f := newAdminFixture(t)
	op := identity.SecurityProfile{ID: uuid.NewString(), InstanceID: testInstanceID, Name: "Queue operator", Description: "opens and closes queues",
		Permissions: []string{"Queues.EnableAndDisable", "Queues.View"}, DenyPermissions: []string{}, Tags: map[string]string{},
		CreatedTime: f.clock.Now(), LastModifiedTime: f.clock.Now()}
	if err := f.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return store.CreateSecurityProfile(ctx, tx, op) }); err != nil {
		t.Fatal(err)
	}
	f.createUser(testInstanceID, "operator", op.ID, testPassword)
	c := f.client(t)
	f.signIn(c, "operator")
	index := c.get("/ui/admin/")
	if !strings.Contains(index.body, `id="link-admin-queues"`) || strings.Contains(index.body, `id="link-admin-routing-profiles"`) ||
		strings.Contains(index.body, `id="link-admin-quick-connects"`) || strings.Contains(index.body, `id="link-admin-users"`) {
		t.Errorf("the operator's admin index:\n%.2000s", index.body)
	}
	token := csrfMeta.FindStringSubmatch(index.body)[1]
	page := "/ui/admin/queues/" + f.routing["acme/Sales"]
	view := c.get(page)
	if view.StatusCode != http.StatusOK || !strings.Contains(view.body, `id="disable-queue"`) || strings.Contains(view.body, `id="save-queue-name"`) ||
		strings.Contains(view.body, `id="add-queue-quick-connect"`) || strings.Contains(c.get("/ui/admin/queues").body, `id="link-new-queue"`) {
		t.Errorf("the operator's queue page:\n%.3000s", view.body)
	}
	wantRedirect(t, c.post(page+"/status", url.Values{"csrf": {token}, "status": {"DISABLED"}}), page+"?notice=queue-disabled")
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, page + "/name"}, {http.MethodGet, "/ui/admin/queues/new"}, {http.MethodGet, "/ui/admin/routing-profiles"},
		{http.MethodGet, "/ui/admin/quick-connects"},
	} {
		var form url.Values
		if tc.method == http.MethodPost {
			form = url.Values{"csrf": {token}, "name": {"Renamed"}}
		}
		if res := c.do(tc.method, tc.path, form, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s: %d, want 403", tc.method, tc.path, res.StatusCode)
		}
	}
	if q, _ := f.queueOf(testInstanceID, f.routing["acme/Sales"]); q.Status != routing.QueueDisabled || q.Name != "Sales" {
		t.Errorf("Sales after the operator: %+v", q)
	}
	if ev := f.lastEvent("web.admin.UpdateQueueName"); ev.Outcome != audit.OutcomeFailure || ev.ErrorCode != "AccessDeniedException" ||
		ev.Details["authz_permissions"] != "Queues.Edit" {
		t.Errorf("refused rename event %+v", ev)
	}
}

// TestAdminRoutingTextRenderedAsText: names and descriptions typed into the routing pages
// reach every page that shows them as text.
func TestAdminRoutingTextRenderedAsText(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	markup := `<img src=x onerror=alert(1)>"</td><script>alert(2)</script>`
	token := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	sales, qc, rp := f.routing["acme/Sales"], f.routing["acme/To sales"], provision.BasicRoutingProfileID(testInstanceID)
	wantRedirect(t, c.post("/ui/admin/queues/"+sales+"/name", url.Values{"csrf": {token}, "name": {markup}, "description": {markup}}),
		"/ui/admin/queues/"+sales+"?notice=queue-updated")
	wantRedirect(t, c.post("/ui/admin/quick-connects/"+qc+"/name", url.Values{"csrf": {token}, "name": {markup + "qc"}, "description": {markup}}),
		"/ui/admin/quick-connects/"+qc+"?notice=quick-connect-updated")
	wantRedirect(t, c.post("/ui/admin/routing-profiles/"+rp+"/name", url.Values{"csrf": {token}, "name": {markup + "rp"}, "description": {markup}}),
		"/ui/admin/routing-profiles/"+rp+"?notice=routing-profile-updated")
	wantRedirect(t, c.post("/ui/admin/routing-profiles/"+rp+"/queues", url.Values{"csrf": {token}, "queue": {sales}, "entry_channel": {"CHAT"}}),
		"/ui/admin/routing-profiles/"+rp+"?notice=routing-profile-updated")
	basicHours := f.routing["acme/"+provision.BasicHoursName]
	wantRedirect(t, c.post("/ui/admin/hours/"+basicHours, url.Values{"csrf": {token}, "name": {markup + "h"}, "description": {markup},
		"time_zone": {"UTC"}, "day": {"SUNDAY"}, "start": {"00:00"}, "end": {"00:00"}}), "/ui/admin/hours/"+basicHours+"?notice=hours-updated")
	escaped := "&lt;img src=x onerror=alert(1)&gt;&#34;&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
	for _, path := range []string{"/ui/admin/hours", "/ui/admin/hours/" + basicHours, "/ui/admin/queues/new", "/ui/admin/queues", "/ui/admin/queues/" + sales, "/ui/admin/queues/" + f.routing["acme/BasicQueue"],
		"/ui/admin/quick-connects", "/ui/admin/quick-connects/" + qc, "/ui/admin/quick-connects/new", "/ui/admin/routing-profiles",
		"/ui/admin/routing-profiles/" + rp, "/ui/admin/routing-profiles/new"} {
		res := c.get(path)
		if strings.Contains(res.body, "<img src=x") || strings.Contains(res.body, "<script>alert") {
			t.Errorf("markup reached %s", path)
		}
		if !strings.Contains(res.body, escaped) {
			t.Errorf("%s does not show the text escaped:\n%.3000s", path, res.body)
		}
	}
}

// TestAdminFormsComplete: every admin POST route has its valid form in adminForms, so the
// tests that walk adminRoutes (refusals, CSRF, other instances, router refreshes) post real
// input to it.
func TestAdminFormsComplete(t *testing.T) {
	forms := adminForms(newAdminFixture(t))
	for _, rt := range adminRoutes() {
		if _, ok := forms[rt.pattern]; strings.HasPrefix(rt.pattern, "POST ") && !ok {
			t.Errorf("adminForms lacks %q", rt.pattern)
		}
	}
}

// TestAdminHoursOfOperation: hours of operation are created with a weekly schedule (bad
// time zones, times and names refused with the API's checks, what was typed kept), listed
// with their schedule and queues, and changed; the schedule's rows without a day are
// ignored.
func TestAdminHoursOfOperation(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	list := c.get("/ui/admin/hours")
	if !strings.Contains(list.body, `class="hours-link">Basic Hours</a></td><td>UTC</td><td class="hours-summary">SUNDAY 00:00–00:00,`) ||
		!strings.Contains(list.body, "</td><td>2</td></tr>") {
		t.Errorf("hours list:\n%.3000s", list.body)
	}
	token := csrfMeta.FindStringSubmatch(list.body)[1]
	if page := c.get("/ui/admin/hours/new"); strings.Count(page.body, `<tr class="hours-period">`) != 5+blankPeriods ||
		!strings.Contains(page.body, `<option value="FRIDAY" selected>`) {
		t.Errorf("new hours page:\n%.3000s", page.body)
	}
	form := url.Values{"name": {"Office"}, "description": {"weekdays"}, "time_zone": {"Europe/Berlin"},
		"day": {"MONDAY", "MONDAY", "", "SATURDAY"}, "start": {"08:00", "13:00", "", "10:00"}, "end": {"12:00", "17:30", "", "14:00"}}
	checkRefusals(t, c, token, []refusal{
		{"unknown zone", "/ui/admin/hours", with(form, "time_zone", "Mars/Olympus"), 400, "unknown time zone &#34;Mars/Olympus&#34;"},
		{"no name", "/ui/admin/hours", with(form, "name", ""), 400, "Name must be 1-127 characters"},
		{"hour 25", "/ui/admin/hours", withList(form, "start", "25:00", "13:00", "", "10:00"), 400, "time 25:00 out of range"},
		{"not a time", "/ui/admin/hours", withList(form, "end", "12:00", "5pm", "", "14:00"), 400, "MONDAY end must be a time of day as HH:MM"},
		{"unknown day", "/ui/admin/hours", with(form, "day", "FUNDAY"), 400, "Day must be one of"},
		{"name in use", "/ui/admin/hours", with(form, "name", "Basic Hours"), 409, "Basic Hours"},
	})
	if res := c.post("/ui/admin/hours", with(form, "csrf", token, "time_zone", "Mars/Olympus")); !strings.Contains(res.body, `value="Mars/Olympus"`) ||
		!strings.Contains(res.body, `value="13:00"`) || !strings.Contains(res.body, `value="17:30"`) {
		t.Errorf("a refused hours form lost what was typed:\n%.4000s", res.body)
	}
	id := createdID(t, c.post("/ui/admin/hours", with(form, "csrf", token)), "/ui/admin/hours/", "hours-created")
	hours := func() routing.HoursRecord {
		t.Helper()
		var hr routing.HoursRecord
		if err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			hr, err = tx.GetHours(ctx, testInstanceID, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return hr
	}
	want := []routing.HoursConfig{{Day: 1, Start: routing.TimeOfDay{Hours: 8}, End: routing.TimeOfDay{Hours: 12}},
		{Day: 1, Start: routing.TimeOfDay{Hours: 13}, End: routing.TimeOfDay{Hours: 17, Minutes: 30}},
		{Day: 6, Start: routing.TimeOfDay{Hours: 10}, End: routing.TimeOfDay{Hours: 14}}}
	if hr := hours(); hr.Name != "Office" || hr.TimeZone != "Europe/Berlin" || !slices.Equal(hr.Config, want) {
		t.Fatalf("created hours %+v", hr)
	}
	page := "/ui/admin/hours/" + id
	if res := c.get(page); strings.Count(res.body, `<tr class="hours-period">`) != 3+blankPeriods || !strings.Contains(res.body, `id="start-1" value="13:00"`) {
		t.Errorf("hours page:\n%.4000s", res.body)
	}
	wantRedirect(t, c.post(page, url.Values{"csrf": {token}, "name": {"Office hours"}, "description": {""}, "time_zone": {"America/New_York"},
		"day": {"TUESDAY", ""}, "start": {"09:00", ""}, "end": {"09:00", ""}}), page+"?notice=hours-updated")
	if hr := hours(); hr.Name != "Office hours" || hr.TimeZone != "America/New_York" ||
		!slices.Equal(hr.Config, []routing.HoursConfig{{Day: 2, Start: routing.TimeOfDay{Hours: 9}, End: routing.TimeOfDay{Hours: 9}}}) {
		t.Errorf("after the update: %+v", hr)
	}
	if res := c.post(page, url.Values{"csrf": {token}, "name": {"Office hours"}, "time_zone": {"Nowhere/City"}}); res.StatusCode != 400 ||
		!strings.Contains(res.body, "unknown time zone") || hours().TimeZone != "America/New_York" {
		t.Errorf("refused update: %d", res.StatusCode)
	}
	if ev := f.lastEvent("web.admin.UpdateHoursOfOperation"); ev.Resource != arnPrefix+"operating-hours/"+id || ev.Outcome != audit.OutcomeFailure {
		t.Errorf("update event %+v", ev)
	}
	if ev := f.lastEvent("web.admin.CreateHoursOfOperation"); ev.Resource != arnPrefix+"operating-hours/"+id || ev.Outcome != audit.OutcomeSuccess {
		t.Errorf("create event %+v", ev)
	}
}

// TestAdminAgentStatuses: the list shows the statuses in the agents' order; a custom status
// is created (the API's checks refuse a bad order, state or name), disabled, given another
// position and renamed; Available cannot be disabled.
func TestAdminAgentStatuses(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client(t)
	f.signIn(c, "admin")
	list := c.get("/ui/admin/agent-statuses")
	if i, j := strings.Index(list.body, ">Available</a>"), strings.Index(list.body, ">Offline</a>"); i < 0 || j < i {
		t.Errorf("agent status list:\n%.3000s", list.body)
	}
	token := csrfMeta.FindStringSubmatch(list.body)[1]
	form := url.Values{"name": {"Lunch"}, "description": {"a break"}, "state": {"ENABLED"}, "display_order": {"3"}}
	checkRefusals(t, c, token, []refusal{
		{"order 0", "/ui/admin/agent-statuses", with(form, "display_order", "0"), 400, "DisplayOrder must be 1-50"},
		{"order 51", "/ui/admin/agent-statuses", with(form, "display_order", "51"), 400, "DisplayOrder must be 1-50"},
		{"order not a number", "/ui/admin/agent-statuses", with(form, "display_order", "third"), 400, "Display order must be a whole number"},
		{"unknown state", "/ui/admin/agent-statuses", with(form, "state", "MAYBE"), 400, "State must be ENABLED or DISABLED"},
		{"no name", "/ui/admin/agent-statuses", with(form, "name", ""), 400, "Name must be 1-127 characters"},
		{"name in use", "/ui/admin/agent-statuses", with(form, "name", "Available"), 409, "Available"},
	})
	id := createdID(t, c.post("/ui/admin/agent-statuses", with(form, "csrf", token)), "/ui/admin/agent-statuses/", "agent-status-created")
	status := func(id string) routing.AgentStatusRecord {
		t.Helper()
		var s routing.AgentStatusRecord
		if err := f.st.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			s, err = tx.GetAgentStatus(ctx, testInstanceID, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := status(id); s.Name != "Lunch" || s.Type != routing.StatusCustom || s.State != routing.AgentStatusEnabled || s.DisplayOrder != 3 {
		t.Fatalf("created status %+v", s)
	}
	page := "/ui/admin/agent-statuses/" + id
	wantRedirect(t, c.post(page, url.Values{"csrf": {token}, "name": {"Lunch break"}, "description": {""}, "state": {"DISABLED"}, "display_order": {""}}),
		page+"?notice=agent-status-updated")
	if s := status(id); s.Name != "Lunch break" || s.State != routing.AgentStatusDisabled || s.DisplayOrder != 0 {
		t.Errorf("after the update: %+v", s)
	}
	available := "/ui/admin/agent-statuses/" + f.routing["acme/Available"]
	if res := c.post(available, url.Values{"csrf": {token}, "name": {"Available"}, "state": {"DISABLED"}, "display_order": {"1"}}); res.StatusCode != 400 ||
		!strings.Contains(res.body, "cannot be disabled") || status(f.routing["acme/Available"]).State != routing.AgentStatusEnabled {
		t.Errorf("disabling Available: %d\n%.2000s", res.StatusCode, res.body)
	}
	wantRedirect(t, c.post(available, url.Values{"csrf": {token}, "name": {"Ready"}, "state": {"ENABLED"}, "display_order": {"1"}}),
		available+"?notice=agent-status-updated")
	if s := status(f.routing["acme/Available"]); s.Name != "Ready" || s.Type != routing.StatusRoutable {
		t.Errorf("Available after the rename: %+v", s)
	}
	if ev := f.lastEvent("web.admin.UpdateAgentStatus"); ev.Outcome != audit.OutcomeSuccess || ev.Resource != arnPrefix+"agent-state/"+f.routing["acme/Available"] {
		t.Errorf("update event %+v", ev)
	}
}

// TestAdminRoutingDeletes: hours of operation no queue uses and a routing profile no user has
// are deleted from their pages, the router refreshed once each; Basic Hours (BasicQueue's)
// and the default routing profile are refused with the reason shown, nothing deleted.
func TestAdminRoutingDeletes(t *testing.T) {
	rc := &refreshCounter{n: map[string]int{}}
	f := newAdminFixture(t, func(c *Config) { c.RefreshRouting = rc.refresh })
	c := f.client(t)
	f.signIn(c, "admin")
	token := csrfMeta.FindStringSubmatch(c.get("/ui/").body)[1]
	now := time.Now().UTC().Truncate(time.Millisecond)
	spareHours, spareProfile := uuid.NewString(), uuid.NewString()
	if err := f.st.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateHours(ctx, routing.HoursRecord{InstanceID: testInstanceID, ID: spareHours, Name: "Spare hours", TimeZone: "UTC",
			Tags: map[string]string{}, LastModified: now}); err != nil {
			return err
		}
		return tx.CreateRoutingProfile(ctx, routing.RoutingProfileRecord{InstanceID: testInstanceID, Name: "Spare profile", Description: "spare",
			RoutingProfile: routing.RoutingProfile{ID: spareProfile, DefaultOutboundQueueID: f.routing["acme/BasicQueue"],
				MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 1}}},
			Tags: map[string]string{}, LastModified: now})
	}); err != nil {
		t.Fatal(err)
	}
	if page := c.get("/ui/admin/hours/" + spareHours); !strings.Contains(page.body, `id="delete-hours"`) {
		t.Error("the hours page offers no delete")
	}
	if page := c.get("/ui/admin/routing-profiles/" + provision.BasicRoutingProfileID(testInstanceID)); strings.Contains(page.body, `id="delete-routing-profile"`) {
		t.Error("the default routing profile's page offers a delete")
	}
	before := rc.count(testInstanceID)
	wantRedirect(t, c.post("/ui/admin/hours/"+spareHours+"/delete", url.Values{"csrf": {token}}), "/ui/admin/hours?notice=hours-deleted")
	wantRedirect(t, c.post("/ui/admin/routing-profiles/"+spareProfile+"/delete", url.Values{"csrf": {token}}), "/ui/admin/routing-profiles?notice=routing-profile-deleted")
	if got := rc.count(testInstanceID) - before; got != 2 {
		t.Errorf("%d router refreshes, want 2", got)
	}
	if res := c.get("/ui/admin/hours/" + spareHours); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted hours page: %d", res.StatusCode)
	}
	if res := c.post("/ui/admin/hours/"+f.routing["acme/"+provision.BasicHoursName]+"/delete", url.Values{"csrf": {token}}); res.StatusCode != http.StatusConflict ||
		!strings.Contains(res.body, "used by a queue") {
		t.Errorf("deleting hours in use: %d", res.StatusCode)
	}
}
