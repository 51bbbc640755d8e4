package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

type env struct {
	srv    *httptest.Server
	store  *sqlstore.Store
	key    identity.AccessKey
	secret secret.Value[string]
	sealer *keyring.Envelope
	api    *api.Server
	// now is the time requests are signed at: cfg.Now when the test gave one.
	now func() time.Time
}

func newEnv(t *testing.T, cfg api.Config) *env {
	t.Helper()
	dir := t.TempDir()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(dir), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sealer := keyring.NewEnvelope(kr, nil)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"), sqlstore.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &env{store: st, sealer: sealer, now: cfg.Now}
	if env.now == nil {
		env.now = time.Now
	}
	env.key, env.secret = env.issue(t, identity.AccessKey{Kind: identity.KeyOperator})
	cfg.Region, cfg.AccountID, cfg.Store, cfg.Secrets = "us-east-1", "123456789012", st, env.sealer
	a, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.api = a
	env.srv = httptest.NewServer(a)
	t.Cleanup(env.srv.Close)
	return env
}

func (e *env) issue(t *testing.T, k identity.AccessKey) (identity.AccessKey, secret.Value[string]) {
	t.Helper()
	k.CreatedTime = e.now().UTC().Truncate(time.Millisecond)
	k, sec, err := identity.IssueAccessKey(context.Background(), e.sealer, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	return k, sec
}

// do sends a request signed with the given key and returns status, error type and body.
func (e *env) do(t *testing.T, key identity.AccessKey, sec secret.Value[string], method, path, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	h := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", h)
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: sec.Reveal()}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, h, "connect", "us-east-1", e.now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
}

const createBody = `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"%s","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`

func create(alias string) string { return strings.Replace(createBody, "%s", alias, 1) }

func auditCount(t *testing.T, s store.Store) int64 {
	t.Helper()
	n, err := audit.Verify(context.Background(), s)
	if err != nil {
		t.Fatalf("audit.Verify: %v", err)
	}
	return n
}

func TestAuditFailsClosed(t *testing.T) {
	e := newEnv(t, api.Config{})
	if code, typ, body := e.do(t, e.key, e.secret, "PUT", "/instance", create("before")); code != 200 {
		t.Fatalf("create before: %d %s %s", code, typ, body)
	}
	// Make the audit table unwritable: the request must fail and change nothing.
	if err := e.store.ExecRaw(context.Background(), `CREATE TRIGGER no_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit sink unwritable'); END`); err != nil {
		t.Fatal(err)
	}
	code, typ, _ := e.do(t, e.key, e.secret, "PUT", "/instance", create("during"))
	if code != http.StatusServiceUnavailable || typ != "ServiceUnavailableException" {
		t.Errorf("create while audit unwritable = %d %s, want 503 ServiceUnavailableException", code, typ)
	}
	code, typ, _ = e.do(t, e.key, e.secret, "GET", "/instance", "")
	if code != http.StatusServiceUnavailable {
		t.Errorf("read while audit unwritable = %d %s, want 503", code, typ)
	}
	if err := e.store.ExecRaw(context.Background(), `DROP TRIGGER no_audit`); err != nil {
		t.Fatal(err)
	}
	_, _, body := e.do(t, e.key, e.secret, "GET", "/instance", "")
	if strings.Contains(body, `"during"`) || !strings.Contains(body, `"before"`) {
		t.Errorf("ListInstances after the failure = %s; want 'before' only", body)
	}
}

func TestEveryRequestIsAudited(t *testing.T) {
	e := newEnv(t, api.Config{})
	before := auditCount(t, e.store)
	e.do(t, e.key, e.secret, "PUT", "/instance", create("one"))           // success
	e.do(t, e.key, e.secret, "PUT", "/instance", `{"InstanceAlias":"x"}`) // invalid
	e.do(t, e.key, secret.New("wrong"), "GET", "/instance", "")           // bad signature
	e.do(t, e.key, e.secret, "GET", "/no/such/operation", "")             // unknown operation
	e.do(t, e.key, e.secret, "GET", "/instance/not-an-id", "")            // not found
	resp, err := http.Get(e.srv.URL + "/instance")                        // unsigned
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := auditCount(t, e.store) - before; got != 6 {
		t.Errorf("audit events for 6 requests = %d", got)
	}
}

func TestThrottle(t *testing.T) {
	e := newEnv(t, api.Config{RatePerSecond: 0.001, Burst: 3})
	var codes []int
	for range 5 {
		code, typ, _ := e.do(t, e.key, e.secret, "GET", "/instance", "")
		codes = append(codes, code)
		if code == 429 && typ != "ThrottlingException" {
			t.Errorf("429 with type %q, want ThrottlingException", typ)
		}
	}
	if codes[2] != 200 || codes[3] != 429 || codes[4] != 429 {
		t.Errorf("status codes = %v, want three 200 then 429s", codes)
	}
}

func TestLimitsAndErrors(t *testing.T) {
	e := newEnv(t, api.Config{MaxBodyBytes: 4096})
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType                 string
	}{
		{"body too large", "PUT", "/instance", `{"InstanceAlias":"` + strings.Repeat("a", 5000) + `"}`, 413, "RequestEntityTooLargeException"},
		{"not JSON", "PUT", "/instance", `not json`, 400, "InvalidRequestException"},
		{"too deep", "PUT", "/instance", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), 400, "InvalidRequestException"},
		{"wrong type", "PUT", "/instance", `{"InstanceAlias":7}`, 400, "InvalidRequestException"},
		{"missing booleans", "PUT", "/instance", `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"a"}`, 400, "InvalidParameterException"},
		{"bad alias", "PUT", "/instance", create("-bad-"), 400, "InvalidParameterException"},
		{"bad identity type", "PUT", "/instance", strings.Replace(create("ok"), "CONNECT_MANAGED", "LDAP", 1), 400, "InvalidParameterException"},
		{"bad maxResults", "GET", "/instance?maxResults=11", "", 400, "InvalidParameterException"},
		{"bad nextToken", "GET", "/instance?nextToken=abc", "", 400, "InvalidParameterException"},
		{"unknown operation", "POST", "/users/abc", "", 404, "UnknownOperationException"},
		{"unknown instance", "GET", "/instance/00000000-0000-4000-8000-000000000000", "", 404, "ResourceNotFoundException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, typ, body := e.do(t, e.key, e.secret, tc.method, tc.path, tc.body)
			if code != tc.wantStatus || typ != tc.wantType || !strings.Contains(body, `"Message"`) {
				t.Errorf("got %d %s %s; want %d %s with a Message", code, typ, body, tc.wantStatus, tc.wantType)
			}
		})
	}
}

// profiles is a ProfileSource with fixed profiles per user.
type profiles map[string][]identity.SecurityProfile

func (p profiles) SecurityProfilesFor(_ context.Context, instanceID, userID string) ([]identity.SecurityProfile, error) {
	return p[instanceID+"/"+userID], nil
}

func TestUserKeysAuthorizedByProfiles(t *testing.T) {
	ps := profiles{}
	e := newEnv(t, api.Config{Profiles: ps})
	ids := map[string]string{}
	for _, alias := range []string{"a", "b"} {
		_, _, body := e.do(t, e.key, e.secret, "PUT", "/instance", create(alias))
		id := body[strings.Index(body, `"Id":"`)+6:]
		ids[alias] = id[:36]
	}
	ps[ids["a"]+"/viewer"] = []identity.SecurityProfile{{InstanceID: ids["a"], Name: "FlowViewer", Permissions: []string{"ContactFlows.View"}}}
	viewer, vsec := e.issue(t, identity.AccessKey{Kind: identity.KeyUser, InstanceID: ids["a"], UserID: "viewer"})
	agent, asec := e.issue(t, identity.AccessKey{Kind: identity.KeyUser, InstanceID: ids["a"], UserID: "agent"}) // no profile

	flowBody := `{"Name":"f","Type":"CONTACT_FLOW","Content":"{}","Status":"SAVED"}`
	tests := []struct {
		name         string
		key          identity.AccessKey
		sec          secret.Value[string]
		method, path string
		body         string
		wantStatus   int
		wantType     string
	}{
		{"viewer lists flows of its instance", viewer, vsec, "GET", "/contact-flows-summary/" + ids["a"], "", 200, ""},
		{"viewer may not create flows", viewer, vsec, "PUT", "/contact-flows/" + ids["a"], flowBody, 403, "AccessDeniedException"},
		{"viewer on another instance", viewer, vsec, "GET", "/contact-flows-summary/" + ids["b"], "", 404, "ResourceNotFoundException"},
		{"viewer describes another instance", viewer, vsec, "GET", "/instance/" + ids["b"], "", 404, "ResourceNotFoundException"},
		{"viewer may not describe its instance (operator only)", viewer, vsec, "GET", "/instance/" + ids["a"], "", 403, "AccessDeniedException"},
		{"no profile: default deny", agent, asec, "GET", "/contact-flows-summary/" + ids["a"], "", 403, "AccessDeniedException"},
		{"user lists instances", viewer, vsec, "GET", "/instance", "", 403, "AccessDeniedException"},
		{"user creates an instance", viewer, vsec, "PUT", "/instance", create("c"), 403, "AccessDeniedException"},
		{"user deletes an instance", viewer, vsec, "DELETE", "/instance/" + ids["a"], "", 403, "AccessDeniedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, typ, body := e.do(t, tc.key, tc.sec, tc.method, tc.path, tc.body)
			if code != tc.wantStatus || typ != tc.wantType {
				t.Errorf("got %d %s %s; want %d %s", code, typ, body, tc.wantStatus, tc.wantType)
			}
		})
	}
	// A revoked key stops working at once.
	if err := e.store.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		return tx.SetAccessKeyStatus(ctx, viewer.ID, identity.KeyInactive)
	}); err != nil {
		t.Fatal(err)
	}
	if code, typ, _ := e.do(t, viewer, vsec, "GET", "/contact-flows-summary/"+ids["a"], ""); code != 403 || typ != "UnrecognizedClientException" {
		t.Errorf("revoked key = %d %s, want 403 UnrecognizedClientException", code, typ)
	}
}
