package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/secret"
)

var totpSecretRe = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)

// signInWithTOTP signs in a user whose profile requires MFA and who has none yet: the
// password, then enrolment of an authenticator app whose codes are computed here from the
// key the page shows (identity.TOTPCode, as an app would). It returns the TOTP secret.
func (p *person) signInWithTOTP(alias, username, password string) string {
	p.t.Helper()
	if loc := p.signIn(alias, username, password); loc != "/ui/mfa/enrol" {
		p.t.Fatalf("sign in %s: %s, want the enrolment page", username, loc)
	}
	resp, body := p.do(http.MethodGet, "/ui/mfa/enrol", nil)
	m := totpSecretRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		p.t.Fatalf("enrolment page: %d\n%.300s", resp.StatusCode, body)
	}
	code, err := identity.TOTPCode(secret.New(m[1]), time.Now())
	if err != nil {
		p.t.Fatal(err)
	}
	if resp, body := p.do(http.MethodPost, "/ui/mfa/enrol", url.Values{"csrf": {p.csrf}, "code": {code}}); resp.StatusCode != http.StatusOK {
		p.t.Fatalf("confirm enrolment: %d\n%.300s", resp.StatusCode, body)
	}
	if resp, _ := p.do(http.MethodGet, "/ui/", nil); resp.StatusCode != http.StatusOK || p.csrf == "" {
		p.t.Fatalf("account page after enrolment: %d", resp.StatusCode)
	}
	return m[1]
}

// TestAdminPagesOnNode: on a node over TLS, the administrator bootstrap created signs in
// with its printed password, enrols TOTP, finds the admin links on its account page,
// creates a user on the users page (typed password, Agent profile), and that user signs in;
// the administrator then disables it and its session ends. The Go SDK sees the user the page
// made, and the audit trail names the administrator for each page action.
func TestAdminPagesOnNode(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	inst := tn.boot.InstanceID
	ids := profileIDs(t, tn.sdk(tn.boot.SecretAccessKey.Reveal()), inst)
	admin := tn.person(t)
	admin.signInWithTOTP("demo", tn.boot.AdminUsername, tn.boot.AdminPassword.Reveal())
	_, home := admin.do(http.MethodGet, "/ui/", nil)
	for _, id := range []string{"link-admin-users", "link-admin-profiles", "link-admin-authprofile"} {
		if !strings.Contains(home, `id="`+id+`"`) {
			t.Errorf("account page lacks %s", id)
		}
	}
	if resp, body := admin.do(http.MethodGet, "/ui/admin/users/new", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, ids["Agent"]) {
		t.Fatalf("new-user page: %d", resp.StatusCode)
	}
	form := url.Values{"csrf": {admin.csrf}, "username": {"page.agent"}, "first_name": {"Paige"}, "last_name": {"Agent"},
		"phone_type": {"SOFT_PHONE"}, "acw": {"0"}, "profile": {ids["Agent"]},
		"routing_profile": {provision.BasicRoutingProfileID(inst)}, "password_mode": {"type"},
		"password": {"quartz meadow lantern"}, "password_confirm": {"quartz meadow lantern"}}
	resp, body := admin.do(http.MethodPost, "/ui/admin/users", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create user: %d\n%.500s", resp.StatusCode, body)
	}
	userPage := strings.TrimSuffix(resp.Header.Get("Location"), "?notice=user-created")
	userID := strings.TrimPrefix(userPage, "/ui/admin/users/")

	// The API sees the user the page made.
	du, err := tn.sdk(tn.boot.SecretAccessKey.Reveal()).DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: aws.String(userID)})
	if err != nil || aws.ToString(du.User.Username) != "page.agent" || !slices.Equal(du.User.SecurityProfileIds, []string{ids["Agent"]}) {
		t.Fatalf("DescribeUser of the page's user: %+v, %v", du, err)
	}
	// The new user signs in with the password the administrator typed.
	agent := tn.person(t)
	if loc := agent.signIn("demo", "page.agent", "quartz meadow lantern"); loc != "/ui/" {
		t.Fatalf("new user's sign-in: %s", loc)
	}
	// Disabling it ends that session at once.
	_, _ = admin.do(http.MethodGet, userPage, nil)
	if resp, body := admin.do(http.MethodPost, userPage+"/status", url.Values{"csrf": {admin.csrf}, "disabled": {"true"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%.300s", resp.StatusCode, body)
	}
	if resp, _ := agent.do(http.MethodGet, "/ui/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
		t.Errorf("disabled user's session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	actor := ""
	seen := map[string]bool{}
	_ = tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if strings.HasPrefix(ev.Code, "web.admin.") && ev.Outcome == audit.OutcomeSuccess {
			seen[ev.Code] = true
			actor = ev.Actor
		}
		return nil
	})
	for _, code := range []string{"web.admin.CreateUser", "web.admin.EnableDisableUser", "web.admin.DescribeUser"} {
		if !seen[code] {
			t.Errorf("no successful %s event", code)
		}
	}
	if !strings.HasPrefix(actor, "user:"+inst+"/") {
		t.Errorf("admin events name %q", actor)
	}
}

// TestAdminRoutingPagesOnNode: on a node, a change the administrator makes on the routing
// pages reaches the instance's running router before the page answers, as the same change
// through the API does. A task queued in BasicQueue starts the router; the administrator
// disables BasicQueue on its page, and the next task's flow can no longer transfer to it
// (the contact ends on the flow's error branch) while the first stays queued; enabled
// again on the page, BasicQueue takes the third task. The Go SDK sees the queue's status.
func TestAdminRoutingPagesOnNode(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	inst := tn.boot.InstanceID
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	flowID := flowIDByName(t, c, inst, provision.SampleInboundFlowName)
	startTask := func(name string) string {
		t.Helper()
		out, err := c.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(inst), ContactFlowId: aws.String(flowID), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("StartTaskContact: %v", err)
		}
		return aws.ToString(out.ContactId)
	}
	var basic string
	qs, err := c.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs.QueueSummaryList {
		if aws.ToString(q.Name) == provision.BasicQueueName {
			basic = aws.ToString(q.Id)
		}
	}
	first := startTask("before")
	waitContact(t, tn, inst, first, contact.StateQueued)

	admin := tn.person(t)
	admin.signInWithTOTP("demo", tn.boot.AdminUsername, tn.boot.AdminPassword.Reveal())
	page := "/ui/admin/queues/" + basic
	if resp, body := admin.do(http.MethodGet, page, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="disable-queue"`) {
		t.Fatalf("BasicQueue's page: %d\n%.500s", resp.StatusCode, body)
	}
	setStatus := func(status, notice string) {
		t.Helper()
		resp, body := admin.do(http.MethodPost, page+"/status", url.Values{"csrf": {admin.csrf}, "status": {status}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?notice="+notice {
			t.Fatalf("status %s: %d %s\n%.500s", status, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	setStatus("DISABLED", "queue-disabled")
	if dq, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: aws.String(inst), QueueId: aws.String(basic)}); err != nil ||
		dq.Queue.Status != types.QueueStatusDisabled {
		t.Fatalf("DescribeQueue after the page disabled it: %+v, %v", dq, err)
	}
	// Without the router refreshed, this task would wait in BasicQueue.
	waitContact(t, tn, inst, startTask("while disabled"), contact.StateEnded)
	waitContact(t, tn, inst, first, contact.StateQueued)

	setStatus("ENABLED", "queue-enabled")
	waitContact(t, tn, inst, startTask("after"), contact.StateQueued)

	n := 0
	_ = tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.Code == "web.admin.UpdateQueueStatus" && ev.Outcome == audit.OutcomeSuccess && strings.HasSuffix(ev.Resource, "/queue/"+basic) {
			n++
		}
		return nil
	})
	if n != 2 {
		t.Errorf("%d successful web.admin.UpdateQueueStatus events about BasicQueue, want 2", n)
	}
}
