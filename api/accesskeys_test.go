package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/secret"
)

// fakeClock is a clock the test moves by hand; requests are signed at its time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// keyListing is one member of ListUserAccessKeys' AccessKeyMetadata, and of
// RollUserAccessKey's AccessKey and ExpiringAccessKey.
type keyListing struct {
	AccessKeyId, SecretAccessKey, Status string
	ExpiresAt                            *float64
}

// TestRollUserAccessKeyGrace: RollUserAccessKey with GracePeriodMinutes keeps the old key
// working, listed as Expiring with its end, until the end and not a millisecond longer (the
// server's clock is a fake moved by hand), then refuses it exactly like a revoked key; uses
// of the expiring key are audited under its own ID; the roll's audit event records the
// grace; an Expiring key is not rolled twice; revoking it ends it at once; a grace out of
// range or of the wrong type is refused and changes nothing; no body revokes at once.
func TestRollUserAccessKeyGrace(t *testing.T) {
	clk := &fakeClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	ps := profiles{}
	e := newEnv(t, api.Config{Hasher: cheapHasher, Profiles: ps, Now: clk.Now})
	ctx := context.Background()
	op := func(method, path, body string) (int, string, string) {
		return e.do(t, e.key, e.secret, method, path, body)
	}

	_, _, body := op("PUT", "/instance", create("keyroll"))
	inst := body[strings.Index(body, `"Id":"`)+6:][:36]
	_, _, body = op("GET", "/security-profiles-summary/"+inst, "")
	var profs struct{ SecurityProfileSummaryList []struct{ Id, Name string } }
	if err := json.Unmarshal([]byte(body), &profs); err != nil {
		t.Fatal(err)
	}
	agentProfile := ""
	for _, p := range profs.SecurityProfileSummaryList {
		if p.Name == "Agent" {
			agentProfile = p.Id
		}
	}
	code, typ, body := op("PUT", "/users/"+inst, `{"Username":"agent.one","Password":"a perfectly fine passphrase",`+
		`"IdentityInfo":{"FirstName":"A","LastName":"B"},"SecurityProfileIds":["`+agentProfile+`"],"RoutingProfileId":"`+provision.BasicRoutingProfileID(inst)+`"}`)
	var user struct{ UserId string }
	if code != 200 || json.Unmarshal([]byte(body), &user) != nil || user.UserId == "" {
		t.Fatalf("CreateUser: %d %s %s", code, typ, body)
	}
	ps[inst+"/"+user.UserId] = []identity.SecurityProfile{{InstanceID: inst, Name: "FlowViewer", Permissions: []string{"ContactFlows.View"}}}
	keysPath := "/access-keys/" + inst + "/" + user.UserId
	flows := "/contact-flows-summary/" + inst

	type rollAnswer struct {
		AccessKey          keyListing
		ExpiringAccessKey  *keyListing
		RevokedAccessKeyId string
	}
	roll := func(id, body string) rollAnswer {
		t.Helper()
		code, typ, out := op("POST", keysPath+"/"+id+"/roll", body)
		var a rollAnswer
		if code != 200 || json.Unmarshal([]byte(out), &a) != nil || a.AccessKey.AccessKeyId == "" || len(a.AccessKey.SecretAccessKey) != 40 {
			t.Fatalf("RollUserAccessKey %s %s: %d %s %s", id, body, code, typ, out)
		}
		return a
	}
	use := func(k keyListing) (int, string) {
		t.Helper()
		code, typ, _ := e.do(t, identity.AccessKey{ID: k.AccessKeyId}, secret.New(k.SecretAccessKey), "GET", flows, "")
		return code, typ
	}
	list := func() map[string]keyListing {
		t.Helper()
		code, typ, out := op("GET", keysPath, "")
		var l struct{ AccessKeyMetadata []keyListing }
		if code != 200 || json.Unmarshal([]byte(out), &l) != nil {
			t.Fatalf("ListUserAccessKeys: %d %s %s", code, typ, out)
		}
		m := map[string]keyListing{}
		for _, k := range l.AccessKeyMetadata {
			m[k.AccessKeyId] = k
		}
		return m
	}
	epoch := func(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

	code, typ, body = op("PUT", keysPath, `{"Description":"laptop"}`)
	var created struct{ AccessKey keyListing }
	if code != 200 || json.Unmarshal([]byte(body), &created) != nil {
		t.Fatalf("CreateUserAccessKey: %d %s %s", code, typ, body)
	}
	first := created.AccessKey
	if code, typ := use(first); code != 200 {
		t.Fatalf("the new key: %d %s", code, typ)
	}

	// Roll with an hour of grace: the answer holds the old key as Expiring with its end.
	rolledAt := clk.Now()
	r := roll(first.AccessKeyId, `{"GracePeriodMinutes":60}`)
	second := r.AccessKey
	end := rolledAt.Add(time.Hour)
	if r.RevokedAccessKeyId != "" || r.ExpiringAccessKey == nil || r.ExpiringAccessKey.AccessKeyId != first.AccessKeyId ||
		r.ExpiringAccessKey.Status != "Expiring" || r.ExpiringAccessKey.ExpiresAt == nil || *r.ExpiringAccessKey.ExpiresAt != epoch(end) ||
		second.Status != "Active" || second.ExpiresAt != nil {
		t.Fatalf("roll with grace answered %+v (expiring %+v); want the old key Expiring until %v", r, r.ExpiringAccessKey, epoch(end))
	}
	for _, k := range []keyListing{first, second} {
		if code, typ := use(k); code != 200 {
			t.Errorf("key %s during the grace period: %d %s; want 200", k.AccessKeyId, code, typ)
		}
	}
	keys := list()
	if k := keys[first.AccessKeyId]; k.Status != "Expiring" || k.ExpiresAt == nil || *k.ExpiresAt != epoch(end) {
		t.Errorf("listed old key %+v; want Expiring until %v", k, epoch(end))
	}
	if k := keys[second.AccessKeyId]; k.Status != "Active" || k.ExpiresAt != nil {
		t.Errorf("listed new key %+v; want Active without an end", k)
	}
	if code, typ, out := op("POST", keysPath+"/"+first.AccessKeyId+"/roll", `{"GracePeriodMinutes":5}`); code != 400 || typ != "InvalidRequestException" {
		t.Errorf("rolling the Expiring key again: %d %s %s; want 400 InvalidRequestException", code, typ, out)
	}

	// The last millisecond of the grace period still works; its end does not, and the key is
	// then refused exactly like a revoked one (SigV4 and long-lived connections alike).
	clk.Advance(time.Hour - time.Millisecond)
	if code, typ := use(first); code != 200 {
		t.Errorf("old key a millisecond before the end: %d %s; want 200", code, typ)
	}
	if err := e.api.CheckAccessKey(ctx, first.AccessKeyId); err != nil {
		t.Errorf("CheckAccessKey a millisecond before the end: %v", err)
	}
	clk.Advance(time.Millisecond)
	if code, typ := use(first); code != 403 || typ != "UnrecognizedClientException" {
		t.Errorf("old key at the end of its grace period: %d %s; want 403 UnrecognizedClientException as for a revoked key", code, typ)
	}
	if err := e.api.CheckAccessKey(ctx, first.AccessKeyId); !apierr.HasCode(err, apierr.CodeAccessDenied) {
		t.Errorf("CheckAccessKey after the end = %v, want AccessDeniedException", err)
	}
	if code, typ := use(second); code != 200 {
		t.Errorf("new key after the old one expired: %d %s", code, typ)
	}
	if k := list()[first.AccessKeyId]; k.Status != "Inactive" || k.ExpiresAt == nil || *k.ExpiresAt != epoch(end) {
		t.Errorf("listed old key after the end %+v; want Inactive, showing when it expired", k)
	}
	if code, typ, out := op("POST", keysPath+"/"+first.AccessKeyId+"/roll", ""); code != 400 || typ != "InvalidRequestException" {
		t.Errorf("rolling the expired key: %d %s %s; want 400 InvalidRequestException", code, typ, out)
	}

	// A grace period out of range or of the wrong type is refused, and nothing changes.
	before := len(list())
	for _, c := range []struct{ body, wantType string }{
		{`{"GracePeriodMinutes":10081}`, "InvalidParameterException"},
		{`{"GracePeriodMinutes":-1}`, "InvalidParameterException"},
		{`{"GracePeriodMinutes":1.5}`, "InvalidRequestException"},
		{`{"GracePeriodMinutes":"60"}`, "InvalidRequestException"},
		{`{"GracePeriodMinutes":99999999999999999999}`, "InvalidRequestException"},
	} {
		if code, typ, out := op("POST", keysPath+"/"+second.AccessKeyId+"/roll", c.body); code != 400 || typ != c.wantType {
			t.Errorf("roll with %s: %d %s %s; want 400 %s", c.body, code, typ, out, c.wantType)
		}
	}
	if after := list(); len(after) != before || after[second.AccessKeyId].Status != "Active" {
		t.Errorf("refused rolls changed the keys: %d keys, the rolled one %+v", len(after), after[second.AccessKeyId])
	}

	// The longest grace period, then revoking the Expiring key ends it at once.
	r = roll(second.AccessKeyId, `{"GracePeriodMinutes":10080}`)
	third := r.AccessKey
	if r.ExpiringAccessKey == nil || *r.ExpiringAccessKey.ExpiresAt != epoch(clk.Now().Add(7*24*time.Hour)) {
		t.Errorf("roll with 10,080 minutes answered %+v", r.ExpiringAccessKey)
	}
	if code, typ, out := op("DELETE", keysPath+"/"+second.AccessKeyId, ""); code != 200 {
		t.Fatalf("DeleteUserAccessKey of the Expiring key: %d %s %s", code, typ, out)
	}
	if code, typ := use(second); code != 403 || typ != "UnrecognizedClientException" {
		t.Errorf("revoked Expiring key: %d %s; want 403 UnrecognizedClientException", code, typ)
	}
	if k := list()[second.AccessKeyId]; k.Status != "Inactive" || k.ExpiresAt != nil {
		t.Errorf("listed revoked Expiring key %+v; want Inactive without an end", k)
	}

	// Without a body a roll revokes at once, as before.
	r = roll(third.AccessKeyId, "")
	if r.RevokedAccessKeyId != third.AccessKeyId || r.ExpiringAccessKey != nil {
		t.Errorf("roll without a body answered %+v; want the old key revoked", r)
	}
	if code, typ := use(third); code != 403 {
		t.Errorf("key rolled without grace: %d %s; want 403", code, typ)
	}
	if code, typ := use(r.AccessKey); code != 200 {
		t.Errorf("key rolled in: %d %s; want 200", code, typ)
	}

	// The audit trail: the graced roll records its grace; the expiring key's requests are
	// attributed to it; its refusals after the end name it too.
	wantActor := fmt.Sprintf("user:%s/%s:%s", inst, user.UserId, first.AccessKeyId)
	var rolls []map[string]string
	var usedOld, refusedOld int
	err := e.store.ScanAudit(ctx, 0, func(rec audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(rec.Body, &ev); err != nil {
			return err
		}
		if ev.Operation == identity.ActionRollUserAccessKey && ev.Outcome == audit.OutcomeSuccess {
			rolls = append(rolls, ev.Details)
		}
		if ev.Actor == wantActor && ev.Outcome == audit.OutcomeSuccess {
			usedOld++
		}
		if ev.Actor == "anonymous:"+first.AccessKeyId && ev.ErrorCode == "UnrecognizedClientException" {
			refusedOld++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rolls) != 3 || rolls[0]["access_key_id"] != first.AccessKeyId || rolls[0]["new_access_key_id"] != second.AccessKeyId ||
		rolls[0]["grace_period_minutes"] != "60" || rolls[0]["expires_at"] != end.Format("2006-01-02T15:04:05.000Z") ||
		rolls[1]["grace_period_minutes"] != "10080" || rolls[2]["grace_period_minutes"] != "0" || rolls[2]["expires_at"] != "" {
		t.Errorf("audited rolls: %v", rolls)
	}
	if usedOld != 3 || refusedOld != 1 {
		t.Errorf("requests of the old key audited as %s: %d (want 3), refused after the end: %d (want 1)", wantActor, usedOld, refusedOld)
	}
}
