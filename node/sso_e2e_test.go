package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/ringfence/ringfence/audit"
)

var formCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestEmergencyAccessOnNode: on the node, an operator enables emergency access for the demo
// instance and mints a token on the host; the emergency page at /ui/emergency takes it once
// and signs the administrator in (the account page answers), a second use is refused, and
// the use left a high-severity audit event.
func TestEmergencyAccessOnNode(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	adm := tn.n.SSOAdmin()
	if err := adm.SetEmergencyAccess(ctx, tn.boot.InstanceID, true); err != nil {
		t.Fatal(err)
	}
	tok, _, err := adm.IssueEmergencyToken(ctx, tn.boot.InstanceID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	use := func(p *person) (*http.Response, string) {
		resp, body := p.do(http.MethodGet, "/ui/emergency", nil)
		m := formCSRF.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("emergency page: %d\n%.300s", resp.StatusCode, body)
		}
		return p.do(http.MethodPost, "/ui/emergency", url.Values{"csrf": {m[1]}, "instance": {"demo"}, "token": {tok.Reveal()}})
	}
	p := tn.person(t)
	if resp, body := use(p); resp.StatusCode >= 400 {
		t.Fatalf("emergency sign-in: %d\n%.300s", resp.StatusCode, body)
	}
	if resp, body := p.do(http.MethodGet, "/ui/", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "admin") {
		t.Fatalf("account page after emergency sign-in: %d\n%.300s", resp.StatusCode, body)
	}
	if resp, _ := use(tn.person(t)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("second use of the token: %d, want 403", resp.StatusCode)
	}
	high := 0
	err = tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if strings.Contains(ev.Code, "emergency") && ev.Severity == audit.SeverityHigh && ev.Outcome == audit.OutcomeSuccess {
			high++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if high == 0 {
		t.Error("no high-severity audit event for the emergency sign-in")
	}
}

// TestPasswordRefusedOnSAMLInstance: an instance created with IdentityManagementType SAML
// refuses password sign-in on the node's form and points to its identity-provider sign-in.
func TestPasswordRefusedOnSAMLInstance(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	out, err := tn.sdk(tn.boot.SecretAccessKey.Reveal()).CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeSaml, InstanceAlias: aws.String("federated"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	if err != nil || out.Id == nil {
		t.Fatal(err)
	}
	p := tn.person(t)
	loc := p.signIn("federated", "admin", "whatever-Password-1")
	if !strings.Contains(loc, "/ui/sso/federated") {
		t.Fatalf("password sign-in on a SAML instance answered %q, want the page pointing to /ui/sso/federated", loc)
	}
}
