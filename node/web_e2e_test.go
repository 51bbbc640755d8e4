package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/coder/websocket"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/store"
)

// person is a signed-in browser without JavaScript: a cookie jar, the page's CSRF token, and
// the headers a browser sends on same-origin requests.
type person struct {
	t    *testing.T
	tn   *testNode
	hc   *http.Client
	csrf string
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func (tn *testNode) person(t *testing.T) *person {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: tn.client.Transport, Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &person{t: t, tn: tn, hc: hc}
}

// do sends a request with the person's cookies; body is sent as JSON unless it is url.Values.
func (p *person) do(method, path string, body any) (*http.Response, string) {
	p.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, p.tn.endpoint+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", p.tn.endpoint)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if p.csrf != "" {
			req.Header.Set("X-CSRF-Token", p.csrf)
		}
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfMeta.FindStringSubmatch(string(b)); m != nil && resp.StatusCode == http.StatusOK && method == http.MethodGet {
		p.csrf = m[1]
	}
	return resp, string(b)
}

// signIn fills the instance's sign-in form as a browser would and follows to the account
// page; it returns the redirect the form post answered.
func (p *person) signIn(alias, username, password string) string {
	p.t.Helper()
	p.csrf = ""
	if resp, body := p.do(http.MethodGet, "/ui/login?instance="+alias, nil); resp.StatusCode != http.StatusOK || p.csrf == "" {
		p.t.Fatalf("sign-in page: %d\n%.300s", resp.StatusCode, body)
	}
	form := url.Values{"csrf": {p.csrf}, "instance": {alias}, "username": {username}, "password": {password}}
	p.csrf = ""
	resp, body := p.do(http.MethodPost, "/ui/login", form)
	if resp.StatusCode != http.StatusSeeOther {
		return resp.Status + ": " + body
	}
	loc := resp.Header.Get("Location")
	if loc == "/ui/" {
		if resp, _ := p.do(http.MethodGet, "/ui/", nil); resp.StatusCode != http.StatusOK || p.csrf == "" {
			p.t.Fatalf("account page after sign-in: %d", resp.StatusCode)
		}
	}
	return loc
}

// agentAPI calls the agent API and decodes the JSON answer into out (when not nil); it
// returns the status and the X-Amzn-ErrorType.
func (p *person) agentAPI(method, path string, body, out any) (int, string) {
	p.t.Helper()
	resp, b := p.do(method, path, body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			p.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

func demoUsers(t *testing.T, tn *testNode) map[string]node.SeededUser {
	t.Helper()
	people, err := tn.n.SeedDemoUsers(context.Background(), tn.boot.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]node.SeededUser{}
	for _, p := range people {
		out[p.Username] = p
	}
	return out
}

// TestAgentSignsInAndHandlesTask is the agent's day on a demo node over TLS: agent1 signs in
// at /ui/ with the password the demo printed (CSRF token from the form), then, with the
// session cookie alone, uses the agent API: goes Available, receives the offer of a task
// started with the Go SDK on its events WebSocket and in GET /agent/v1/me, accepts it, ends
// it and completes after-contact work. The same agent API answers a request signed with the
// agent's own access key, and refuses an operator key, a missing session and a missing CSRF
// token. Every step is audited under the agent's name.
func TestAgentSignsInAndHandlesTask(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	inst := tn.boot.InstanceID
	people := demoUsers(t, tn)
	agent1 := people["agent1"]
	if agent1.Password.Reveal() == "" || agent1.MFAEnrollmentRequired {
		t.Fatalf("demo agent1 = %+v", agent1)
	}
	p := tn.person(t)

	// Without a session the agent API refuses, and a wrong password is refused as on any page.
	if st, code := p.agentAPI(http.MethodGet, "/agent/v1/me", nil, nil); st != 403 || code != "AccessDeniedException" {
		t.Fatalf("agent API without a session: %d %s", st, code)
	}
	if got := p.signIn("demo", "agent1", "not the password at all"); !strings.HasPrefix(got, "401") {
		t.Fatalf("wrong password: %s", got)
	}
	if got := p.signIn("demo", "agent1", agent1.Password.Reveal()); got != "/ui/" {
		t.Fatalf("sign in: %s", got)
	}

	var statuses struct {
		AgentStatuses []struct{ AgentStatusId, Name, Type string }
	}
	if st, code := p.agentAPI(http.MethodGet, "/agent/v1/statuses", nil, &statuses); st != 200 {
		t.Fatalf("statuses: %d %s", st, code)
	}
	available := ""
	for _, s := range statuses.AgentStatuses {
		if s.Name == "Available" {
			available = s.AgentStatusId
		}
	}
	// An unsafe method without the session's CSRF token is refused.
	token := p.csrf
	p.csrf = ""
	if st, code := p.agentAPI(http.MethodPut, "/agent/v1/status", map[string]string{"AgentStatusId": available}, nil); st != 403 || code != "AccessDeniedException" {
		t.Fatalf("PUT status without the CSRF token: %d %s", st, code)
	}
	p.csrf = token

	// The events socket, opened with the session cookie.
	u, _ := url.Parse(tn.endpoint)
	wsURL := "wss://" + u.Host + "/agent/v1/events"
	wctx, cancelWS := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWS()
	ws, resp, err := websocket.Dial(wctx, wsURL, &websocket.DialOptions{HTTPClient: p.hc, HTTPHeader: http.Header{"Origin": {tn.endpoint}}})
	if err != nil {
		t.Fatalf("events socket: %v (%v)", err, resp)
	}
	defer ws.CloseNow()
	next := func(typ string) map[string]any {
		t.Helper()
		for {
			_, b, err := ws.Read(wctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", typ, err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["type"] == typ {
				return m
			}
		}
	}
	hello := next("Hello")

	var put struct {
		Routing struct{ Activity string }
	}
	if st, code := p.agentAPI(http.MethodPut, "/agent/v1/status", map[string]string{"AgentStatusId": available}, &put); st != 200 || put.Routing.Activity != "AVAILABLE" {
		t.Fatalf("PUT status: %d %s %+v", st, code, put)
	}

	// A task started with the Go SDK is offered to agent1.
	sdk := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	started, err := sdk.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst),
		ContactFlowId: aws.String(flowIDByName(t, sdk, inst, "Sample inbound flow")), Name: aws.String("Call back Ms. Doe")})
	if err != nil {
		t.Fatalf("StartTaskContact: %v", err)
	}
	contactID := aws.ToString(started.ContactId)
	offer := next("OfferMade")
	if offer["ContactId"] != contactID || offer["Channel"] != "TASK" || offer["ExpiresAt"] == "" {
		t.Fatalf("OfferMade = %v", offer)
	}
	offerID, _ := offer["OfferId"].(string)
	var me struct {
		UserId, Username string
		Offers           []struct{ OfferId, ContactId string }
	}
	if st, _ := p.agentAPI(http.MethodGet, "/agent/v1/me", nil, &me); st != 200 || me.Username != "agent1" || hello["AgentId"] != me.UserId ||
		len(me.Offers) != 1 || me.Offers[0].OfferId != offerID {
		t.Fatalf("GET /me = %d %+v", st, me)
	}
	var accepted struct {
		ContactId       string
		AlreadyAccepted bool
	}
	if st, code := p.agentAPI(http.MethodPost, "/agent/v1/offers/"+offerID+"/accept", nil, &accepted); st != 200 || accepted.ContactId != contactID || accepted.AlreadyAccepted {
		t.Fatalf("accept: %d %s %+v", st, code, accepted)
	}
	next("ContactConnected")
	var described struct{ ContactId, State, Name string }
	if st, _ := p.agentAPI(http.MethodGet, "/agent/v1/contacts/"+contactID, nil, &described); st != 200 || described.State != "CONNECTED" || described.Name != "Call back Ms. Doe" {
		t.Fatalf("describe contact: %d %+v", st, described)
	}
	var ended struct{ State string }
	if st, code := p.agentAPI(http.MethodPost, "/agent/v1/contacts/"+contactID+"/end", nil, &ended); st != 200 || ended.State != "AFTER_CONTACT_WORK" {
		t.Fatalf("end: %d %s %+v", st, code, ended)
	}
	if st, code := p.agentAPI(http.MethodPost, "/agent/v1/contacts/"+contactID+"/acw/complete", nil, &ended); st != 200 || ended.State != "ENDED" {
		t.Fatalf("complete after-contact work: %d %s %+v", st, code, ended)
	}
	waitContact(t, tn, inst, contactID, contact.StateEnded)

	// A request signed with agent1's own access key acts as agent1; an operator key does not.
	key, secret, err := tn.n.IssueUserKey(ctx, inst, "agent1", "desktop")
	if err != nil {
		t.Fatal(err)
	}
	signedGet := func(id, sec string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, tn.endpoint+"/agent/v1/me", nil)
		sum := sha256Hex("")
		req.Header.Set("X-Amz-Content-Sha256", sum)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: id, SecretAccessKey: sec}, req, sum, "connect", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := tn.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
	}
	if st, code, body := signedGet(key.ID, secret.Reveal()); st != 200 || !strings.Contains(body, `"Username":"agent1"`) {
		t.Errorf("GET /me signed with agent1's key: %d %s %s", st, code, body)
	}
	if st, code, _ := signedGet(key.ID, "wrong-secret-wrong-secret-wrong-secret-0"); st != 403 || code != "InvalidSignatureException" {
		t.Errorf("GET /me with a wrong secret: %d %s", st, code)
	}
	if st, code, _ := signedGet(tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal()); st != 403 || code != "AccessDeniedException" {
		t.Errorf("GET /me signed with an operator key: %d %s", st, code)
	}

	// Signing out ends the session: the socket is closed at its next check, the API refuses.
	if resp, _ := p.do(http.MethodPost, "/ui/logout", url.Values{"csrf": {p.csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if st, _ := p.agentAPI(http.MethodGet, "/agent/v1/me", nil, nil); st != 403 {
		t.Errorf("agent API after sign-out: %d", st)
	}

	// The audit trail names agent1 for the sign-in and every agent API call.
	actor := "user:" + inst + "/" + me.UserId
	seen := map[string]bool{}
	_ = tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.Actor == actor && ev.Outcome == audit.OutcomeSuccess {
			seen[ev.Code] = true
		}
		return nil
	})
	for _, code := range []string{"web.login", "agentapi.PutAgentStatus", "agentapi.ConnectEvents", "agentapi.AcceptOffer",
		"agentapi.EndContact", "agentapi.CompleteAfterContactWork", "web.logout"} {
		if !seen[code] {
			t.Errorf("no successful %s event by %s", code, actor)
		}
	}
}

// TestAuthenticationProfileSDK reads and changes the instance's authentication profile with
// the Go SDK, and shows that its network rules hold on the pages and the agent API at once.
func TestAuthenticationProfileSDK(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	inst := tn.boot.InstanceID
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	people := demoUsers(t, tn)

	list, err := c.ListAuthenticationProfiles(ctx, &connect.ListAuthenticationProfilesInput{InstanceId: aws.String(inst)})
	if err != nil || len(list.AuthenticationProfileSummaryList) != 1 || !list.AuthenticationProfileSummaryList[0].IsDefault {
		t.Fatalf("ListAuthenticationProfiles = %+v, %v", list, err)
	}
	id := aws.ToString(list.AuthenticationProfileSummaryList[0].Id)
	if id != identity.DefaultAuthenticationProfileID(inst) || !strings.HasSuffix(aws.ToString(list.AuthenticationProfileSummaryList[0].Arn), "/authentication-profile/"+id) {
		t.Errorf("summary = %+v", list.AuthenticationProfileSummaryList[0])
	}
	desc, err := c.DescribeAuthenticationProfile(ctx, &connect.DescribeAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	ap := desc.AuthenticationProfile
	if aws.ToInt32(ap.MaxSessionDuration) != 720 || aws.ToInt32(ap.SessionInactivityDuration) != 30 || !aws.ToBool(ap.SessionInactivityHandlingEnabled) ||
		len(ap.AllowedIps)+len(ap.BlockedIps) != 0 || ap.PeriodicSessionDuration != nil || ap.CreatedTime == nil {
		t.Errorf("DescribeAuthenticationProfile = %+v", ap)
	}

	p := tn.person(t)
	if got := p.signIn("demo", "agent2", people["agent2"].Password.Reveal()); got != "/ui/" {
		t.Fatalf("sign in: %s", got)
	}
	// Block the loopback network the test connects from.
	if _, err := c.UpdateAuthenticationProfile(ctx, &connect.UpdateAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String(id),
		BlockedIps: []string{"127.0.0.0/8"}, SessionInactivityDuration: aws.Int32(20), Description: aws.String("no loopback")}); err != nil {
		t.Fatalf("UpdateAuthenticationProfile: %v", err)
	}
	desc, _ = c.DescribeAuthenticationProfile(ctx, &connect.DescribeAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String(id)})
	if ap := desc.AuthenticationProfile; len(ap.BlockedIps) != 1 || ap.BlockedIps[0] != "127.0.0.0/8" || aws.ToInt32(ap.SessionInactivityDuration) != 20 || aws.ToString(ap.Description) != "no loopback" {
		t.Errorf("after update: %+v", ap)
	}
	if st, code := p.agentAPI(http.MethodGet, "/agent/v1/me", nil, nil); st != 403 || code != "AccessDeniedException" {
		t.Errorf("agent API from a blocked network: %d %s", st, code)
	}
	if got := p.signIn("demo", "agent2", people["agent2"].Password.Reveal()); !strings.HasPrefix(got, "403") || !strings.Contains(got, identity.NetworkDeniedMessage) {
		t.Errorf("sign-in from a blocked network: %.200s", got)
	}

	// Bad input is refused and changes nothing.
	for _, in := range []*connect.UpdateAuthenticationProfileInput{
		{BlockedIps: []string{"10.0.0.0/8", "not-a-range"}},
		{SessionInactivityDuration: aws.Int32(0)},
		{SessionInactivityHandlingEnabled: aws.Bool(false)},
		{PeriodicSessionDuration: aws.Int32(5)},
	} {
		in.InstanceId, in.AuthenticationProfileId = aws.String(inst), aws.String(id)
		_, err := c.UpdateAuthenticationProfile(ctx, in)
		wantAPIError(t, err, "InvalidParameterException")
	}
	_, err = c.DescribeAuthenticationProfile(ctx, &connect.DescribeAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException")
	// An agent's own key may not read or change it (operator only, as IAM in Connect).
	key, sec, err := tn.n.IssueUserKey(ctx, inst, "agent2", "")
	if err != nil {
		t.Fatal(err)
	}
	agentSDK := connect.New(connect.Options{Region: "us-east-1", BaseEndpoint: aws.String(tn.endpoint), HTTPClient: tn.client,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: sec.Reveal()}, nil
		})})
	_, err = agentSDK.UpdateAuthenticationProfile(ctx, &connect.UpdateAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String(id), BlockedIps: []string{}})
	wantAPIError(t, err, "AccessDeniedException")

	if _, err := c.UpdateAuthenticationProfile(ctx, &connect.UpdateAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String(id), BlockedIps: []string{}}); err != nil {
		t.Fatal(err)
	}
	if got := p.signIn("demo", "agent2", people["agent2"].Password.Reveal()); got != "/ui/" {
		t.Errorf("sign in after unblocking: %s", got)
	}
	var stored identity.AuthenticationProfile
	_ = tn.n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		stored, err = store.DefaultAuthenticationProfile(ctx, tx, inst)
		return err
	})
	if stored.IdleTimeout != 20*time.Minute || len(stored.BlockedIPs) != 0 {
		t.Errorf("stored profile %+v", stored)
	}
}

// TestPerUserAuthenticationProfile assigns one demo agent to its own authentication profile,
// which blocks the loopback network the test connects from, while the default profile
// admits it: the assigned agent's running session ends at its next request and its sign-in
// is refused before the password is checked, with the page a wrong password gets (byte for
// byte, so the refusal does not reveal the username), while the other agent signs in as
// before. The refusal is audited with its reason. A profile with users cannot be deleted;
// moved back to the default, the agent signs in again and the profile can go.
func TestPerUserAuthenticationProfile(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	inst := tn.boot.InstanceID
	op := func(method, path, body string) (int, string, string) {
		t.Helper()
		return tn.do(t, tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal(), route{"", method, path, body})
	}
	people := demoUsers(t, tn)
	agent2 := people["agent2"]
	agent2ID := userIDOf(t, tn, inst, "agent2")

	code, typ, out := op("PUT", "/authentication-profiles/"+inst, `{"Name":"Office only","Description":"no loopback","BlockedIps":["127.0.0.0/8"],"SessionInactivityDuration":10}`)
	if code != 200 {
		t.Fatalf("CreateAuthenticationProfile: %d %s %s", code, typ, out)
	}
	var created struct{ AuthenticationProfileId, AuthenticationProfileArn string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.AuthenticationProfileId == "" ||
		!strings.HasSuffix(created.AuthenticationProfileArn, "/authentication-profile/"+created.AuthenticationProfileId) {
		t.Fatalf("created = %s (%v)", out, err)
	}
	pid := created.AuthenticationProfileId
	if code, typ, _ := op("PUT", "/authentication-profiles/"+inst, `{"Name":"OFFICE ONLY"}`); code != 409 || typ != "DuplicateResourceException" {
		t.Errorf("second profile with the same name: %d %s", code, typ)
	}
	// The SDK lists and describes it like the default.
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	list, err := c.ListAuthenticationProfiles(ctx, &connect.ListAuthenticationProfilesInput{InstanceId: aws.String(inst)})
	if err != nil || len(list.AuthenticationProfileSummaryList) != 2 {
		t.Fatalf("ListAuthenticationProfiles = %+v, %v", list, err)
	}
	desc, err := c.DescribeAuthenticationProfile(ctx, &connect.DescribeAuthenticationProfileInput{InstanceId: aws.String(inst), AuthenticationProfileId: aws.String(pid)})
	if err != nil || desc.AuthenticationProfile.IsDefault || aws.ToInt32(desc.AuthenticationProfile.SessionInactivityDuration) != 10 ||
		len(desc.AuthenticationProfile.BlockedIps) != 1 {
		t.Fatalf("DescribeAuthenticationProfile = %+v, %v", desc, err)
	}

	p1, p2 := tn.person(t), tn.person(t)
	if got := p2.signIn("demo", "agent2", agent2.Password.Reveal()); got != "/ui/" {
		t.Fatalf("agent2 sign-in before the assignment: %s", got)
	}
	if code, typ, out := op("POST", "/users/"+inst+"/"+agent2ID+"/authentication-profile", `{"AuthenticationProfileId":"`+created.AuthenticationProfileArn+`"}`); code != 200 {
		t.Fatalf("UpdateUserAuthenticationProfile: %d %s %s", code, typ, out)
	}
	if _, _, out := op("GET", "/users/"+inst+"/"+agent2ID+"/authentication-profile", ""); !strings.Contains(out, `"AuthenticationProfileId":"`+pid+`"`) || !strings.Contains(out, `"IsDefault":false`) {
		t.Errorf("DescribeUserAuthenticationProfile = %s", out)
	}
	if _, _, out := op("GET", "/authentication-profiles-users/"+inst+"/"+pid, ""); !strings.Contains(out, `"Username":"agent2"`) || strings.Contains(out, "agent1") {
		t.Errorf("ListAuthenticationProfileUsers = %s", out)
	}

	// agent2's running session ends at its next request; agent1 is unaffected.
	if st, code := p2.agentAPI(http.MethodGet, "/agent/v1/me", nil, nil); st != 403 || code != "AccessDeniedException" {
		t.Errorf("agent2's session after the assignment: %d %s", st, code)
	}
	if got := p1.signIn("demo", "agent1", people["agent1"].Password.Reveal()); got != "/ui/" {
		t.Errorf("agent1 (default profile) sign-in: %s", got)
	}
	// agent2's right password is refused with the page of an unknown user.
	refused := p2.signIn("demo", "agent2", agent2.Password.Reveal())
	unknown := p2.signIn("demo", "nobody.here", agent2.Password.Reveal())
	if !strings.HasPrefix(refused, "401") || refused != unknown {
		t.Errorf("refusal by the user's profile differs from an unknown user's answer:\n%.300s\n---\n%.300s", refused, unknown)
	}
	reasons := map[string]bool{}
	_ = tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err == nil && ev.Code == "web.login" && ev.Outcome != audit.OutcomeSuccess {
			reasons[ev.Details["reason"]] = true
		}
		return nil
	})
	if !reasons["network denied by the user's authentication profile"] {
		t.Errorf("no audited refusal by the user's profile; reasons %v", reasons)
	}

	// In use: not deleted. Back to the default: agent2 signs in, the profile goes.
	if code, typ, _ := op("DELETE", "/authentication-profiles/"+inst+"/"+pid, ""); code != 409 || typ != "ResourceInUseException" {
		t.Errorf("delete a profile in use: %d %s", code, typ)
	}
	if code, typ, _ := op("DELETE", "/authentication-profiles/"+inst+"/"+identity.DefaultAuthenticationProfileID(inst), ""); code != 400 || typ != "InvalidRequestException" {
		t.Errorf("delete the default profile: %d %s", code, typ)
	}
	if code, typ, out := op("POST", "/users/"+inst+"/"+agent2ID+"/authentication-profile", `{"AuthenticationProfileId":"`+identity.DefaultAuthenticationProfileID(inst)+`"}`); code != 200 {
		t.Fatalf("back to the default: %d %s %s", code, typ, out)
	}
	if got := p2.signIn("demo", "agent2", agent2.Password.Reveal()); got != "/ui/" {
		t.Errorf("agent2 sign-in under the default again: %s", got)
	}
	if code, typ, out := op("DELETE", "/authentication-profiles/"+inst+"/"+pid, ""); code != 200 {
		t.Errorf("delete the unused profile: %d %s %s", code, typ, out)
	}
	if code, typ, _ := op("POST", "/users/"+inst+"/"+agent2ID+"/authentication-profile", `{"AuthenticationProfileId":"`+pid+`"}`); code != 404 || typ != "ResourceNotFoundException" {
		t.Errorf("assign a deleted profile: %d %s", code, typ)
	}
}

// userIDOf returns the ID of the user username of the instance.
func userIDOf(t *testing.T, tn *testNode, inst, username string) string {
	t.Helper()
	var u identity.User
	err := tn.n.Store.View(context.Background(), nil, func(ctx context.Context, tx store.Tx) (err error) {
		u, err = tx.GetUserByUsername(ctx, inst, username)
		return err
	})
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u.ID
}
