package node_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ringfence/ringfence/audit"
)

// issuedKey is the AccessKey member of CreateUserAccessKey and RollUserAccessKey answers.
type issuedKey struct {
	AccessKey struct {
		AccessKeyId, SecretAccessKey, Status, UserId, Description string
	}
	RevokedAccessKeyId string
}

// TestUserAccessKeysAPI: the instance administrator issues a key for an agent through the
// API; the key acts as the agent; listing never shows a secret; the agent may list and
// revoke its own keys but not issue or roll one, for itself or anyone else; rolling gives a
// working key and refuses the old one from then on; deleting revokes; a user of another
// instance is not found; no secret reaches the audit trail.
func TestUserAccessKeysAPI(t *testing.T) {
	tn, instB, userB, _ := twoInstances(t)
	inst := tn.boot.InstanceID
	ctx := context.Background()
	ids := profileIDs(t, tn.sdk(tn.boot.SecretAccessKey.Reveal()), inst)
	agent, err := tn.sdk(tn.boot.SecretAccessKey.Reveal()).CreateUser(ctx, createUserInput(inst, "agent.keys", ids["Agent"]))
	if err != nil {
		t.Fatal(err)
	}
	agentID := aws.ToString(agent.UserId)
	adminKey, adminSecret := tn.userKey(t, inst, "admin")
	keysPath := "/access-keys/" + inst + "/" + agentID
	issue := func(keyID, secret string, r route) issuedKey {
		t.Helper()
		code, typ, body := tn.do(t, keyID, secret, r)
		if code != 200 {
			t.Fatalf("%s %s: %d %s %s", r.method, r.path, code, typ, body)
		}
		var k issuedKey
		if err := json.Unmarshal([]byte(body), &k); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k.AccessKey.AccessKeyId, "AKRF") || len(k.AccessKey.SecretAccessKey) != 40 || k.AccessKey.Status != "Active" || k.AccessKey.UserId != agentID {
			t.Fatalf("%s answered %s", r.op, body)
		}
		return k
	}
	describeSelf := func(keyID, secret string) (int, string) {
		code, typ, _ := tn.do(t, keyID, secret, route{"DescribeUser", "GET", "/users/" + inst + "/" + agentID, ""})
		return code, typ
	}
	var secrets []string

	// The administrator issues a key; it acts as the agent.
	first := issue(adminKey, adminSecret, route{"CreateUserAccessKey", "PUT", keysPath, `{"Description":"agent laptop"}`})
	secrets = append(secrets, first.AccessKey.SecretAccessKey)
	if code, typ := describeSelf(first.AccessKey.AccessKeyId, first.AccessKey.SecretAccessKey); code != 200 {
		t.Errorf("the new key describes its own user: %d %s; want 200", code, typ)
	}
	agentKey, agentSecret := first.AccessKey.AccessKeyId, first.AccessKey.SecretAccessKey

	// Listing shows the key, never a secret; the agent may list its own.
	for _, who := range []struct{ name, key, secret string }{{"admin", adminKey, adminSecret}, {"agent itself", agentKey, agentSecret}} {
		code, typ, body := tn.do(t, who.key, who.secret, route{"ListUserAccessKeys", "GET", keysPath, ""})
		if code != 200 || !strings.Contains(body, agentKey) || !strings.Contains(body, "agent laptop") ||
			strings.Contains(body, "SecretAccessKey") || strings.Contains(body, agentSecret) {
			t.Errorf("ListUserAccessKeys by %s: %d %s %s; want the key without its secret", who.name, code, typ, body)
		}
	}
	if code, typ, body := tn.do(t, tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal(), route{"ListUserAccessKeys", "GET", "/access-keys/" + inst + "/" + agentID, ""}); code != 200 || strings.Contains(body, tn.boot.AccessKeyID) {
		t.Errorf("the operator lists the agent's keys: %d %s %s; want 200 without operator keys", code, typ, body)
	}

	// The agent key cannot issue or roll keys, for others or itself, nor list others' keys.
	adminUser := ""
	{
		code, _, body := tn.do(t, adminKey, adminSecret, route{"ListUsers", "GET", "/users-summary/" + inst, ""})
		var list struct {
			UserSummaryList []struct{ Id, Username string }
		}
		if code != 200 || json.Unmarshal([]byte(body), &list) != nil {
			t.Fatalf("ListUsers: %d %s", code, body)
		}
		for _, u := range list.UserSummaryList {
			if u.Username == "admin" {
				adminUser = u.Id
			}
		}
	}
	for _, r := range []route{
		{"CreateUserAccessKey", "PUT", "/access-keys/" + inst + "/" + adminUser, `{}`},
		{"CreateUserAccessKey", "PUT", keysPath, `{}`},
		{"RollUserAccessKey", "POST", keysPath + "/" + agentKey + "/roll", `{}`},
		{"ListUserAccessKeys", "GET", "/access-keys/" + inst + "/" + adminUser, ""},
		{"DeleteUserAccessKey", "DELETE", "/access-keys/" + inst + "/" + adminUser + "/" + adminKey, ""},
	} {
		if code, typ, body := tn.do(t, agentKey, agentSecret, r); code != 403 || typ != "AccessDeniedException" {
			t.Errorf("agent key: %s %s: %d %s %s; want 403 AccessDeniedException", r.method, r.path, code, typ, body)
		}
	}
	if code, typ := describeSelf(adminKey, adminSecret); code != 200 {
		t.Errorf("the administrator's key after the agent's refused revocation: %d %s", code, typ)
	}

	// Rolling gives a working key with the same description and refuses the old one.
	rolled := issue(adminKey, adminSecret, route{"RollUserAccessKey", "POST", keysPath + "/" + agentKey + "/roll", ""})
	secrets = append(secrets, rolled.AccessKey.SecretAccessKey)
	if rolled.RevokedAccessKeyId != agentKey || rolled.AccessKey.AccessKeyId == agentKey || rolled.AccessKey.Description != "agent laptop" {
		t.Errorf("roll answered %+v", rolled)
	}
	if code, typ := describeSelf(rolled.AccessKey.AccessKeyId, rolled.AccessKey.SecretAccessKey); code != 200 {
		t.Errorf("the rolled key: %d %s; want 200", code, typ)
	}
	if code, typ := describeSelf(agentKey, agentSecret); code != 403 || typ != "UnrecognizedClientException" {
		t.Errorf("the key rolled away: %d %s; want 403 UnrecognizedClientException", code, typ)
	}
	if code, typ, body := tn.do(t, adminKey, adminSecret, route{"RollUserAccessKey", "POST", keysPath + "/" + agentKey + "/roll", ""}); code != 400 || typ != "InvalidRequestException" {
		t.Errorf("rolling a revoked key: %d %s %s; want 400 InvalidRequestException", code, typ, body)
	}

	// The agent revokes its own key (with that key); deleting it again succeeds.
	second := issue(adminKey, adminSecret, route{"CreateUserAccessKey", "PUT", keysPath, ""})
	secrets = append(secrets, second.AccessKey.SecretAccessKey)
	del := route{"DeleteUserAccessKey", "DELETE", keysPath + "/" + second.AccessKey.AccessKeyId, ""}
	if code, typ, body := tn.do(t, second.AccessKey.AccessKeyId, second.AccessKey.SecretAccessKey, del); code != 200 {
		t.Errorf("the agent revokes its own key: %d %s %s", code, typ, body)
	}
	if code, typ := describeSelf(second.AccessKey.AccessKeyId, second.AccessKey.SecretAccessKey); code != 403 || typ != "UnrecognizedClientException" {
		t.Errorf("the revoked key: %d %s; want 403 UnrecognizedClientException", code, typ)
	}
	if code, typ, body := tn.do(t, adminKey, adminSecret, del); code != 200 {
		t.Errorf("revoking a revoked key: %d %s %s; want 200", code, typ, body)
	}
	// The administrator revokes the rolled key.
	if code, typ, body := tn.do(t, adminKey, adminSecret, route{"DeleteUserAccessKey", "DELETE", keysPath + "/" + rolled.AccessKey.AccessKeyId, ""}); code != 200 {
		t.Errorf("DeleteUserAccessKey: %d %s %s", code, typ, body)
	}
	if code, typ := describeSelf(rolled.AccessKey.AccessKeyId, rolled.AccessKey.SecretAccessKey); code != 403 {
		t.Errorf("the deleted key: %d %s; want 403", code, typ)
	}

	// Another instance's user, or a key of another user, is not found; an operator key is
	// not reachable as a user key.
	for _, r := range []route{
		{"CreateUserAccessKey", "PUT", "/access-keys/" + instB + "/" + userB, `{}`},
		{"CreateUserAccessKey", "PUT", "/access-keys/" + inst + "/" + userB, `{}`},
		{"ListUserAccessKeys", "GET", "/access-keys/" + inst + "/" + userB, ""},
		{"DeleteUserAccessKey", "DELETE", "/access-keys/" + inst + "/" + adminUser + "/" + agentKey, ""},
		{"DeleteUserAccessKey", "DELETE", keysPath + "/" + tn.boot.AccessKeyID, ""},
		{"RollUserAccessKey", "POST", keysPath + "/" + tn.boot.AccessKeyID + "/roll", ""},
	} {
		if code, typ, body := tn.do(t, adminKey, adminSecret, r); code != 404 || typ != "ResourceNotFoundException" {
			t.Errorf("%s %s: %d %s %s; want 404 ResourceNotFoundException", r.method, r.path, code, typ, body)
		}
	}
	if code, typ := describeSelf(tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal()); code != 200 {
		t.Errorf("the operator key after the refused calls: %d %s", code, typ)
	}

	// Every call is audited; no secret is in the trail.
	counts := map[string]int{}
	err = tn.n.Store.ScanAudit(ctx, 0, func(r audit.Record) error {
		for _, s := range secrets {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("audit event %d holds an issued secret", r.Seq)
			}
		}
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if strings.HasPrefix(ev.Operation, "ringfence:") && strings.Contains(ev.Operation, "AccessKey") {
			counts[ev.Operation+" "+string(ev.Outcome)]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if counts["ringfence:CreateUserAccessKey success"] != 2 || counts["ringfence:RollUserAccessKey success"] != 1 || counts["ringfence:DeleteUserAccessKey success"] != 3 {
		t.Errorf("audited access-key calls: %v", counts)
	}
}
