// Package storetest is the contract suite every store engine must pass. store/sqlite runs it
// always; store/postgres runs it when RINGFENCE_TEST_POSTGRES_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// Harness gives the suite what it needs from an engine.
type Harness struct {
	// Open returns a fresh, empty store; the harness closes it at cleanup.
	Open func(t *testing.T) store.Store
	// Exec runs raw SQL with '?' placeholders on the store's database, bypassing the audit
	// gate (used to tamper with the audit chain).
	Exec func(t *testing.T, s store.Store, query string, args ...any)
	// Query runs a raw query with '?' placeholders on the store's database (used to check
	// what is stored at rest); the suite closes the rows.
	Query func(t *testing.T, s store.Store, query string, args ...any) *sql.Rows
	// OpenWith returns a fresh, empty store with the given options (the tests that must
	// hold the keyring, such as Rewrap, bring their own Sealer); the harness closes it at
	// cleanup. Without it those tests skip.
	OpenWith func(t *testing.T, opts sqlstore.Options) store.Store
}

// Run runs the whole contract suite.
func Run(t *testing.T, h Harness) {
	t.Run("Instances", func(t *testing.T) { t.Parallel(); testInstances(t, h) })
	t.Run("InstanceList", func(t *testing.T) { t.Parallel(); testInstanceList(t, h) })
	t.Run("AccessKeys", func(t *testing.T) { t.Parallel(); testAccessKeys(t, h) })
	t.Run("AccessKeyRoll", func(t *testing.T) { t.Parallel(); testAccessKeyRoll(t, h) })
	t.Run("Settings", func(t *testing.T) { t.Parallel(); testSettings(t, h) })
	t.Run("AuditGate", func(t *testing.T) { t.Parallel(); testAuditGate(t, h) })
	t.Run("AuditConcurrent", func(t *testing.T) { t.Parallel(); testAuditConcurrent(t, h) })
	t.Run("AuditTamper", func(t *testing.T) { t.Parallel(); testAuditTamper(t, h) })
	t.Run("FlowRecords", func(t *testing.T) { t.Parallel(); testFlowRecords(t, h) })
	t.Run("SecurityKeys", func(t *testing.T) { t.Parallel(); testSecurityKeys(t, h) })
	t.Run("Functions", func(t *testing.T) { t.Parallel(); testFunctions(t, h) })
	t.Run("Prompts", func(t *testing.T) { t.Parallel(); testPrompts(t, h) })
	t.Run("DataProtection", func(t *testing.T) { t.Parallel(); testDataProtection(t, h) })
	t.Run("Contacts", func(t *testing.T) { t.Parallel(); testContacts(t, h) })
	t.Run("ContactSearch", func(t *testing.T) { t.Parallel(); testContactSearch(t, h) })
	t.Run("ContactAttributeSearch", func(t *testing.T) { t.Parallel(); testContactAttributeSearch(t, h) })
	t.Run("TranscriptSearch", func(t *testing.T) { t.Parallel(); testTranscriptSearch(t, h) })
	t.Run("ContactRecords", func(t *testing.T) { t.Parallel(); testContactRecords(t, h) })
	t.Run("HandledContacts", func(t *testing.T) { t.Parallel(); testHandledContacts(t, h) })
	t.Run("RoutingHours", func(t *testing.T) { t.Parallel(); testRoutingHours(t, h) })
	t.Run("RoutingQueuesAndProfiles", func(t *testing.T) { t.Parallel(); testRoutingQueuesAndProfiles(t, h) })
	t.Run("RoutingAgentStatuses", func(t *testing.T) { t.Parallel(); testRoutingAgentStatuses(t, h) })
	t.Run("RoutingQuickConnects", func(t *testing.T) { t.Parallel(); testRoutingQuickConnects(t, h) })
	t.Run("RoutingAdministration", func(t *testing.T) { t.Parallel(); testRoutingAdministration(t, h) })
	t.Run("RoutingDeletes", func(t *testing.T) { t.Parallel(); testRoutingDeletes(t, h) })
	t.Run("ViewIsReadOnly", func(t *testing.T) { t.Parallel(); testViewReadOnly(t, h) })
	t.Run("Users", func(t *testing.T) { t.Parallel(); testUsers(t, h) })
	t.Run("SecurityProfiles", func(t *testing.T) { t.Parallel(); testSecurityProfiles(t, h) })
	t.Run("Credentials", func(t *testing.T) { t.Parallel(); testCredentials(t, h) })
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); testSessions(t, h) })
	t.Run("SessionList", func(t *testing.T) { t.Parallel(); testSessionList(t, h) })
	t.Run("Passkeys", func(t *testing.T) { t.Parallel(); testPasskeys(t, h) })
	t.Run("AuthenticationProfiles", func(t *testing.T) { t.Parallel(); testAuthProfiles(t, h) })
	t.Run("UserAuthenticationProfiles", func(t *testing.T) { t.Parallel(); testUserAuthProfiles(t, h) })
	t.Run("SignInAttempts", func(t *testing.T) { t.Parallel(); testAttempts(t, h) })
	t.Run("UserAccessKeys", func(t *testing.T) { t.Parallel(); testUserAccessKeys(t, h) })
	t.Run("Administration", func(t *testing.T) { t.Parallel(); testAdministration(t, h) })
	t.Run("IdentityInstanceDelete", func(t *testing.T) { t.Parallel(); testIdentityInstanceDelete(t, h) })
	t.Run("Chat", func(t *testing.T) { t.Parallel(); testChat(t, h) })
	t.Run("ChatService", func(t *testing.T) { t.Parallel(); testChatService(t, h) })
	t.Run("AppendSentChatItem", func(t *testing.T) { t.Parallel(); testAppendSentChatItem(t, h) })
	t.Run("TranscriptIndexRollback", func(t *testing.T) { t.Parallel(); testTranscriptIndexRollback(t, h) })
	t.Run("SSOConfigs", func(t *testing.T) { t.Parallel(); testSSOConfigs(t, h) })
	t.Run("SSOLinks", func(t *testing.T) { t.Parallel(); testSSOLinks(t, h) })
	t.Run("SAMLReplay", func(t *testing.T) { t.Parallel(); testSAMLReplay(t, h) })
	t.Run("EmergencyAccess", func(t *testing.T) { t.Parallel(); testEmergencyAccess(t, h) })
	t.Run("SSOInstanceDelete", func(t *testing.T) { t.Parallel(); testSSOInstanceDelete(t, h) })
	t.Run("ApprovedOrigins", func(t *testing.T) { t.Parallel(); testApprovedOrigins(t, h) })
	t.Run("ChatWidgets", func(t *testing.T) { t.Parallel(); testChatWidgets(t, h) })
	t.Run("ClientTokens", func(t *testing.T) { t.Parallel(); testClientTokens(t, h) })
	t.Run("ExpiredChats", func(t *testing.T) { t.Parallel(); testExpiredChats(t, h) })
	t.Run("Rewrap", func(t *testing.T) { t.Parallel(); testRewrap(t, h) })
	t.Run("RewrapConcurrentWrite", func(t *testing.T) { t.Parallel(); testRewrapConcurrentWrite(t, h) })
	t.Run("RewrapDamagedValue", func(t *testing.T) { t.Parallel(); testRewrapDamagedValue(t, h) })
	t.Run("SealedColumnsGuard", func(t *testing.T) { t.Parallel(); testSealedColumnsGuard(t, h) })
	t.Run("ActiveChatCount", func(t *testing.T) { t.Parallel(); testActiveChatCount(t, h) })
	t.Run("Retention", func(t *testing.T) { t.Parallel(); testRetention(t, h) })
	t.Run("RetentionColumnsGuard", func(t *testing.T) { t.Parallel(); testRetentionColumnsGuard(t, h) })
}

// seq numbers the instances the suite creates, so IDs and creation times are distinct.
var seq atomic.Int64

func newInstance(alias string) instance.Instance {
	n := seq.Add(1)
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	return instance.Instance{
		ID: id, Alias: alias, IdentityManagementType: instance.IdentityManagementConnectManaged,
		InboundCallsEnabled: true, Status: instance.StatusActive,
		CreatedTime:       time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond),
		DeletionProtected: true, Tags: map[string]string{"team": "ops"},
	}
}

func ev(op string) *audit.Event {
	return &audit.Event{Code: "api." + op, Actor: "operator:test", Operation: op, Time: time.Now()}
}

func wantCode(t *testing.T, err error, code apierr.Code) {
	t.Helper()
	if !apierr.HasCode(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func testInstances(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	in := newInstance("sales")
	if err := s.Update(ctx, ev("CreateInstance"), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateInstance(ctx, in)
	}); err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	var got instance.Instance
	if err := s.View(ctx, ev("DescribeInstance"), func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetInstance(ctx, in.ID)
		return err
	}); err != nil {
		t.Fatalf("GetInstance: %v", err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("GetInstance mismatch (-want +got):\n%s", diff)
	}
	byAlias := func(alias string) (instance.Instance, error) {
		var got instance.Instance
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetInstanceByAlias(ctx, alias)
			return err
		})
		return got, err
	}
	if got, err := byAlias("sales"); err != nil || got.ID != in.ID {
		t.Errorf("GetInstanceByAlias = %v, %v; want %s", got.ID, err, in.ID)
	}
	_, err := byAlias("nope")
	wantCode(t, err, apierr.CodeResourceNotFound)

	dup := newInstance("sales")
	err = s.Update(ctx, ev("CreateInstance"), func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, dup) })
	wantCode(t, err, apierr.CodeDuplicateResource)

	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.SetDeletionProtection(ctx, in.ID, false) })
	if err != nil {
		t.Fatalf("SetDeletionProtection: %v", err)
	}
	// A key of the instance goes with it.
	key := identity.AccessKey{ID: identity.NewAccessKeyID(), Kind: identity.KeyUser, InstanceID: in.ID, UserID: "u1",
		SecretCiphertext: []byte{1, 2, 3}, Status: identity.KeyActive, CreatedTime: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, key) }); err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	if err := s.Update(ctx, ev("DeleteInstance"), func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, in.ID) }); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { _, err := tx.GetInstance(ctx, in.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { _, err := tx.GetAccessKey(ctx, key.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, in.ID) })
	wantCode(t, err, apierr.CodeResourceNotFound)
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.SetDeletionProtection(ctx, in.ID, true) })
	wantCode(t, err, apierr.CodeResourceNotFound)
}

func testInstanceList(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	var want []string
	for i := range 7 {
		in := newInstance(fmt.Sprintf("list-%d", i))
		want = append(want, in.ID)
		if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, in) }); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		var page []instance.Instance
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			page, err = tx.ListInstances(ctx, after, 3)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, in := range page {
			got = append(got, in.ID)
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].ID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged ListInstances (-want +got):\n%s", diff)
	}
}

func testAccessKeys(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	k := identity.AccessKey{ID: identity.NewAccessKeyID(), Kind: identity.KeyOperator, SecretCiphertext: []byte("sealed"),
		Status: identity.KeyActive, Description: "first", CreatedTime: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) })
	wantCode(t, err, apierr.CodeDuplicateResource)
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return tx.SetAccessKeyStatus(ctx, k.ID, identity.KeyInactive)
	}); err != nil {
		t.Fatal(err)
	}
	var got []identity.AccessKey
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.ListAccessKeys(ctx, identity.KeyOperator)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	k.Status = identity.KeyInactive
	if diff := cmp.Diff([]identity.AccessKey{k}, got); diff != "" {
		t.Errorf("ListAccessKeys (-want +got):\n%s", diff)
	}
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		return tx.SetAccessKeyStatus(ctx, "AKRFNOPE", identity.KeyInactive)
	})
	wantCode(t, err, apierr.CodeResourceNotFound)
}

func testSettings(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	for i, want := range []string{"111111111111", "111111111111"} {
		var got string
		if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.SetSettingOnce(ctx, "account_id", []string{"111111111111", "222222222222"}[i])
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("SetSettingOnce #%d = %q, want %q", i, got, want)
		}
	}
}

func records(t *testing.T, s store.Store) []audit.Event {
	t.Helper()
	var evs []audit.Event
	if _, err := audit.Verify(context.Background(), s); err != nil {
		t.Fatalf("audit.Verify: %v", err)
	}
	err := s.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var e audit.Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return err
		}
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func testAuditGate(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	in := newInstance("gate")
	boom := errors.New("boom")
	// A failing function changes nothing and is recorded as a failure.
	err := s.Update(ctx, ev("CreateInstance"), func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, in); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	err = s.View(ctx, ev("DescribeInstance"), func(ctx context.Context, tx store.Tx) error { _, err := tx.GetInstance(ctx, in.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)
	got := records(t, s)
	want := []struct{ op, outcome, code string }{
		{"CreateInstance", "failure", "InternalServiceException"},
		{"DescribeInstance", "failure", "ResourceNotFoundException"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d audit events, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Operation != w.op || string(got[i].Outcome) != w.outcome || got[i].ErrorCode != w.code || got[i].Seq != int64(i+1) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], w)
		}
	}
}

func testAuditConcurrent(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	const writers = 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := newInstance(fmt.Sprintf("c-%d", i))
			if i%10 == 0 {
				in.Alias = "c-dup" // only one of these wins
			}
			errs <- s.Update(ctx, ev("CreateInstance"), func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, in) })
		}()
	}
	wg.Wait()
	close(errs)
	var ok, dup int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case apierr.HasCode(err, apierr.CodeDuplicateResource):
			dup++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != writers-writers/10+1 || dup != writers/10-1 {
		t.Errorf("ok=%d dup=%d, want %d and %d", ok, dup, writers-writers/10+1, writers/10-1)
	}
	if got := len(records(t, s)); got != writers {
		t.Errorf("audit events = %d, want %d", got, writers)
	}
	var list []instance.Instance
	_ = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListInstances(ctx, "", 1000)
		return err
	})
	if len(list) != ok {
		t.Errorf("instances stored = %d, want %d", len(list), ok)
	}
}

func testAuditTamper(t *testing.T, h Harness) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, s store.Store)
		wantSeq int64
	}{
		{"flip a byte", func(t *testing.T, s store.Store) {
			h.Exec(t, s, `UPDATE audit_events SET body = REPLACE(body, '"operator:test"', '"operator:tesT"') WHERE seq = 3`)
		}, 3},
		{"delete an event", func(t *testing.T, s store.Store) {
			h.Exec(t, s, `DELETE FROM audit_events WHERE seq = 2`)
		}, 3},
		{"swap two events", func(t *testing.T, s store.Store) {
			h.Exec(t, s, `UPDATE audit_events SET seq = -1 WHERE seq = 2`)
			h.Exec(t, s, `UPDATE audit_events SET seq = 2 WHERE seq = 3`)
			h.Exec(t, s, `UPDATE audit_events SET seq = 3 WHERE seq = -1`)
		}, 2},
		{"delete the first event", func(t *testing.T, s store.Store) {
			h.Exec(t, s, `DELETE FROM audit_events WHERE seq = 1`)
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := h.Open(t)
			for i := range 4 {
				in := newInstance(fmt.Sprintf("t-%d", i))
				if err := s.Update(ctx, ev("CreateInstance"), func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, in) }); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := audit.Verify(ctx, s); err != nil || n != 4 {
				t.Fatalf("Verify before tamper = %d, %v; want 4, nil", n, err)
			}
			tc.tamper(t, s)
			_, err := audit.Verify(ctx, s)
			var p *audit.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Verify after tamper = %v, want a *audit.Problem", err)
			}
			if p.Seq != tc.wantSeq {
				t.Errorf("Verify reported event %d (%s), want %d", p.Seq, p.Reason, tc.wantSeq)
			}
		})
	}
}

func testViewReadOnly(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	in := newInstance("ro")
	err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, in) })
	if err == nil {
		t.Fatal("CreateInstance inside View succeeded, want an error")
	}
	err = s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error { _, err := tx.GetInstance(ctx, in.ID); return err })
	wantCode(t, err, apierr.CodeResourceNotFound)
}

// NewSealer returns a keyring envelope over a fresh local key file in t's temp dir, for the
// Sealer of stores under test.
func NewSealer(t *testing.T) *keyring.Envelope {
	t.Helper()
	l, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	return keyring.NewEnvelope(l, nil)
}

// NewHasher returns a keyed hasher with a random key, for Options.Hasher (the contact
// attribute search index).
func NewHasher(t *testing.T) *keyring.Hasher {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return keyring.NewHasher(secret.New(key))
}
