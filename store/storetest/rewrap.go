package storetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// SealedFixture is one row of every kind of sealed value in one instance, as
// WriteSealedFixture stored it, with the values in clear for CheckSealedFixture.
type SealedFixture struct {
	InstanceID     string
	UserKey        identity.AccessKey
	UserKeySecret  string
	UserID         string
	TOTPSecret     string
	Contact        contact.Contact
	Session        []byte
	Record         contact.RecordEntry
	ChatContactID  string
	ParticipantID  string
	DisplayName    string
	ItemID         string
	ItemContent    string
	FunctionARN    string
	FunctionSecret string
	OIDCSecret     string
	ClientToken    contact.ClientToken
}

// WriteSealedFixture creates an instance with alias alias and stores one value of every
// sealed column in it (sqlstore.SealedColumns; access keys: a user key), sealing what the
// callers outside the store seal (access-key and TOTP secrets, chat display names and
// transcript items) with env and the writers' AAD functions.
func WriteSealedFixture(t *testing.T, s store.Store, env *keyring.Envelope, alias string) SealedFixture {
	t.Helper()
	ctx := context.Background()
	inst := newInstance(alias)
	n := seq.Add(1)
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
	f := SealedFixture{
		InstanceID: inst.ID,
		UserID:     fmt.Sprintf("u0000000-0000-4000-8000-%012d", n),
		TOTPSecret: "JBSWY3DPEHPK3PXP" + alias,
		Contact:    sampleContact(inst.ID, int(n), at),
		// Larger than a database page, so it lives in overflow pages.
		Session:       []byte(`{"storedInput":"` + alias + `","history":"` + strings.Repeat("0123456789", 2000) + `"}`),
		ChatContactID: fmt.Sprintf("cc000000-0000-4000-8000-%012d", n), ParticipantID: fmt.Sprintf("p0000000-0000-4000-8000-%012d", n),
		DisplayName: "Jane " + alias, ItemID: fmt.Sprintf("i0000000-0000-4000-8000-%012d", n), ItemContent: "hello from " + alias,
		FunctionARN: "arn:aws:lambda:us-east-1:111122223333:function:" + alias, FunctionSecret: "fn-secret-" + alias,
		OIDCSecret: "oidc-secret-" + alias,
	}
	f.Contact.Attributes = map[string]string{"tier": "gold", "alias": alias}
	f.Record = contact.RecordEntry{InstanceID: inst.ID, ContactID: f.Contact.ID, LastUpdate: at, Initiated: at, Body: []byte(`{"ContactId":"` + f.Contact.ID + `"}`)}
	f.ClientToken = contact.ClientToken{InstanceID: inst.ID, Operation: "StartChatContact", Token: "retry-" + alias, ContactID: f.ChatContactID,
		ParticipantID: f.ParticipantID, ParticipantToken: secret.New("participant-token-" + alias), CreatedTime: at}
	key, sec, err := identity.IssueAccessKey(ctx, env, identity.AccessKey{Kind: identity.KeyUser, InstanceID: inst.ID, UserID: f.UserID, CreatedTime: at})
	if err != nil {
		t.Fatalf("issue access key: %v", err)
	}
	f.UserKey, f.UserKeySecret = key, sec.Reveal()
	totp, err := env.SealString(ctx, secret.New(f.TOTPSecret), identity.TOTPSecretAAD(inst.ID, f.UserID))
	if err != nil {
		t.Fatal(err)
	}
	name, err := env.SealString(ctx, secret.New(f.DisplayName), chat.DisplayNameAAD(inst.ID, f.ParticipantID))
	if err != nil {
		t.Fatal(err)
	}
	content, err := env.SealString(ctx, secret.New(f.ItemContent), chat.ContentAAD(inst.ID, f.ItemID))
	if err != nil {
		t.Fatal(err)
	}
	user := identity.User{ID: f.UserID, InstanceID: inst.ID, Username: "u-" + alias,
		IdentityInfo: identity.IdentityInfo{FirstName: "Jane", LastName: "Doe"},
		PhoneConfig:  identity.PhoneConfig{PhoneType: identity.PhoneTypeSoftPhone}, RoutingProfileID: "r0000000-0000-4000-8000-000000000001",
		Tags: map[string]string{}, CreatedTime: at, LastModifiedTime: at}
	err = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		steps := []func() error{
			func() error { return tx.CreateInstance(ctx, inst) },
			func() error { return tx.CreateAccessKey(ctx, key) },
			func() error { return tx.CreateUser(ctx, user) },
			func() error {
				return tx.SetTOTPSecret(ctx, inst.ID, f.UserID, identity.TOTPSecret{Ciphertext: totp, Confirmed: true, CreatedTime: at})
			},
			func() error { return tx.CreateContact(ctx, f.Contact) },
			func() error { return tx.PutFlowSession(ctx, inst.ID, f.Contact.ID, f.Session) },
			func() error { return tx.AppendContactRecord(ctx, f.Record) },
			func() error {
				return tx.CreateChat(ctx, chat.Chat{InstanceID: inst.ID, ContactID: f.ChatContactID, InitialContactID: f.ChatContactID,
					SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: at, ExpiresTime: at.Add(time.Hour)})
			},
			func() error {
				return tx.CreateChatParticipant(ctx, chat.Participant{InstanceID: inst.ID, ContactID: f.ChatContactID, ParticipantID: f.ParticipantID,
					Role: chat.RoleCustomer, DisplayNameCiphertext: name, TokenHash: sum("token-" + alias), JoinedTime: at, TokenExpiry: at.Add(time.Hour)})
			},
			func() error {
				_, err := tx.AppendChatItem(ctx, chat.StoredItem{InstanceID: inst.ID, ContactID: f.ChatContactID, ID: f.ItemID, Type: chat.TypeMessage,
					ContentType: chat.ContentTypePlain, ParticipantID: f.ParticipantID, ParticipantRole: chat.RoleCustomer,
					ContentCiphertext: content, AbsoluteTime: at})
				return err
			},
			func() error {
				return tx.AssociateFunction(ctx, extfn.Association{InstanceID: inst.ID, ARN: f.FunctionARN, CreatedTime: at, LastModifiedTime: at,
					Target: &extfn.FunctionConfig{ARN: f.FunctionARN, Endpoint: &extfn.EndpointConfig{URL: "https://fn.example.com/" + alias,
						SigningSecret: secret.New(f.FunctionSecret)}}})
			},
			func() error {
				return tx.PutOIDCConfig(ctx, identity.OIDCConfig{InstanceID: inst.ID, Issuer: "https://idp.example.com", ClientID: "ringfence",
					ClientSecret: secret.New(f.OIDCSecret), Scopes: []string{"openid"}, UsernameClaim: "email", UpdatedTime: at})
			},
			func() error { return tx.PutClientToken(ctx, f.ClientToken, at.Add(-time.Hour)) },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write sealed fixture %s: %v", alias, err)
	}
	return f
}

// CheckSealedFixture reads every value of f back through the store (and env, for what the
// store hands out sealed) and reports any that differs or does not open.
func CheckSealedFixture(t *testing.T, s store.Store, env *keyring.Envelope, f SealedFixture) {
	t.Helper()
	ctx := context.Background()
	var (
		key    identity.AccessKey
		totp   identity.TOTPSecret
		c      contact.Contact
		sess   []byte
		recs   []contact.RecordEntry
		p      chat.Participant
		item   chat.StoredItem
		fn     extfn.Association
		oidc   identity.OIDCConfig
		ctoken contact.ClientToken
	)
	err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		steps := []func() error{
			func() error { key, err = tx.GetAccessKey(ctx, f.UserKey.ID); return err },
			func() error { totp, err = tx.GetTOTPSecret(ctx, f.InstanceID, f.UserID); return err },
			func() error { c, err = tx.GetContact(ctx, f.InstanceID, f.Contact.ID); return err },
			func() error { sess, err = tx.GetFlowSession(ctx, f.InstanceID, f.Contact.ID); return err },
			func() error { recs, err = tx.ListContactRecords(ctx, 0, 1000); return err },
			func() error { p, err = tx.GetChatParticipant(ctx, f.InstanceID, f.ParticipantID); return err },
			func() error { item, err = tx.GetChatItem(ctx, f.InstanceID, f.ChatContactID, f.ItemID); return err },
			func() error { fn, err = tx.GetFunction(ctx, f.InstanceID, f.FunctionARN); return err },
			func() error { oidc, err = tx.GetOIDCConfig(ctx, f.InstanceID); return err },
			func() error {
				ctoken, err = tx.GetClientToken(ctx, f.InstanceID, f.ClientToken.Operation, f.ClientToken.Token, f.ClientToken.CreatedTime.Add(-time.Hour))
				return err
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("read %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("instance %s: %v", f.InstanceID, err)
		return
	}
	openString := func(what string, ct []byte, aad keyring.AAD) string {
		v, err := env.OpenString(ctx, ct, aad)
		if err != nil {
			t.Errorf("%s of instance %s does not open: %v", what, f.InstanceID, err)
		}
		return v.Reveal()
	}
	if got := openString("access-key secret", key.SecretCiphertext, identity.AccessKeyAAD(key)); got != f.UserKeySecret {
		t.Errorf("access-key secret of %s changed", f.InstanceID)
	}
	if got := openString("TOTP secret", totp.Ciphertext, identity.TOTPSecretAAD(f.InstanceID, f.UserID)); got != f.TOTPSecret {
		t.Errorf("TOTP secret = %q, want %q", got, f.TOTPSecret)
	}
	if diff := cmp.Diff(f.Contact.Attributes, c.Attributes); diff != "" {
		t.Errorf("contact attributes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(f.Contact.CustomerEndpoint, c.CustomerEndpoint); diff != "" {
		t.Errorf("customer endpoint (-want +got):\n%s", diff)
	}
	if !bytes.Equal(sess, f.Session) {
		t.Errorf("flow session = %q, want %q", sess, f.Session)
	}
	found := false
	for _, r := range recs {
		if r.InstanceID == f.InstanceID && r.ContactID == f.Record.ContactID {
			found = true
			if !bytes.Equal(r.Body, f.Record.Body) {
				t.Errorf("contact record body = %q, want %q", r.Body, f.Record.Body)
			}
		}
	}
	if !found {
		t.Errorf("contact record of %s missing", f.Record.ContactID)
	}
	if got := openString("display name", p.DisplayNameCiphertext, chat.DisplayNameAAD(f.InstanceID, f.ParticipantID)); got != f.DisplayName {
		t.Errorf("display name = %q, want %q", got, f.DisplayName)
	}
	if got := openString("transcript item", item.ContentCiphertext, chat.ContentAAD(f.InstanceID, f.ItemID)); got != f.ItemContent {
		t.Errorf("transcript item = %q, want %q", got, f.ItemContent)
	}
	if fn.Target == nil || fn.Target.Endpoint == nil || fn.Target.Endpoint.SigningSecret.Reveal() != f.FunctionSecret {
		t.Errorf("function signing secret of %s changed", f.FunctionARN)
	}
	if oidc.ClientSecret.Reveal() != f.OIDCSecret {
		t.Errorf("OIDC client secret of %s changed", f.InstanceID)
	}
	if ctoken.ParticipantToken.Reveal() != f.ClientToken.ParticipantToken.Reveal() {
		t.Errorf("ClientToken participant token of %s changed", f.InstanceID)
	}
}

// SealedValue is one value in the keyring's format found in the database.
type SealedValue struct {
	Table, Column string
	// Version is the key-encryption-key version in its header.
	Version uint32
}

// ScanSealedValues reads every column of every table of s (sqlstore.Store.SchemaColumns)
// and returns each stored value that starts with the keyring's header ("RFE", format
// version), whatever column it is in. query runs a raw query with '?' placeholders.
func ScanSealedValues(t *testing.T, s *sqlstore.Store, query func(q string, args ...any) ([][]any, error)) []SealedValue {
	t.Helper()
	cols, err := s.SchemaColumns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byTable := map[string][]string{}
	var tables []string
	for _, c := range cols {
		if _, ok := byTable[c.Table]; !ok {
			tables = append(tables, c.Table)
		}
		byTable[c.Table] = append(byTable[c.Table], c.Column)
	}
	header := append([]byte(keyring.Magic), keyring.FormatVersion)
	var out []SealedValue
	for _, table := range tables {
		names := byTable[table]
		rows, err := query(`SELECT ` + strings.Join(names, ", ") + ` FROM ` + table)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, r := range rows {
			for i, v := range r {
				var b []byte
				switch v := v.(type) {
				case []byte:
					b = v
				case string:
					b = []byte(v)
				}
				if !bytes.HasPrefix(b, header) {
					continue
				}
				ver, err := keyring.Version(b)
				if err != nil {
					t.Errorf("%s.%s holds a value with the keyring's header that does not parse: %v", table, names[i], err)
					continue
				}
				out = append(out, SealedValue{Table: table, Column: names[i], Version: ver})
			}
		}
	}
	return out
}

func rawQuery(t *testing.T, h Harness, s store.Store) func(q string, args ...any) ([][]any, error) {
	return func(q string, args ...any) ([][]any, error) {
		rows := h.Query(t, s, q, args...)
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		var out [][]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			out = append(out, vals)
		}
		return out, rows.Err()
	}
}

// testRewrap writes one value of every sealed kind in two instances (and an operator key)
// under KEK version 1, rotates to version 2 and rewraps in small batches: afterwards every
// value in the keyring's format anywhere in the database is under version 2, every value reads
// back equal, each batch left a host.rewrap audit event, and a second run changes nothing.
func testRewrap(t *testing.T, h Harness) {
	if h.OpenWith == nil {
		t.Skip("the harness has no OpenWith")
	}
	ctx := context.Background()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := keyring.NewEnvelope(kr, nil)
	s := h.OpenWith(t, sqlstore.Options{Sealer: env, Hasher: NewHasher(t)})
	db, ok := s.(*sqlstore.Store)
	if !ok {
		t.Skip("not a sqlstore.Store")
	}
	fixtures := []SealedFixture{WriteSealedFixture(t, s, env, "rewrap-a"), WriteSealedFixture(t, s, env, "rewrap-b")}
	op, opSecret, err := identity.IssueAccessKey(ctx, env, identity.AccessKey{Kind: identity.KeyOperator, CreatedTime: time.Now().UTC().Truncate(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, op) }); err != nil {
		t.Fatal(err)
	}
	query := rawQuery(t, h, s)
	before := ScanSealedValues(t, db, query)
	registry := sqlstore.SealedColumns()
	covered := map[string]int{}
	for _, v := range before {
		covered[v.Table+"."+v.Column]++
		if v.Version != 1 {
			t.Errorf("before rotation %s.%s is under version %d", v.Table, v.Column, v.Version)
		}
	}
	for _, c := range registry {
		if covered[c] == 0 {
			t.Errorf("the fixture stores no value in sealed column %s: extend WriteSealedFixture", c)
		}
	}
	if v, err := kr.Rotate(ctx); err != nil || v != 2 {
		t.Fatalf("rotate = %d, %v", v, err)
	}
	var auditBefore int64
	if err := s.ScanAudit(ctx, 0, func(r audit.Record) error { auditBefore = r.Seq; return nil }); err != nil {
		t.Fatal(err)
	}

	counts, err := db.RewrapSealed(ctx, sqlstore.RewrapOptions{BatchSize: 2})
	if err != nil {
		t.Fatalf("RewrapSealed: %v", err)
	}
	var got []string
	for _, c := range counts {
		name := c.Table + "." + c.Column
		got = append(got, name)
		want := covered[name]
		if c.Checked != want || c.Rewrapped != want || c.Changed != 0 {
			t.Errorf("%s: checked %d, rewrapped %d, changed %d; want %d, %d, 0", name, c.Checked, c.Rewrapped, c.Changed, want, want)
		}
	}
	if !slices.Equal(got, registry) {
		t.Errorf("counts for %v, want one per sealed column %v", got, registry)
	}
	after := ScanSealedValues(t, db, query)
	if len(after) != len(before) {
		t.Errorf("%d sealed values after rewrap, %d before", len(after), len(before))
	}
	for _, v := range after {
		if v.Version != 2 {
			t.Errorf("after rewrap %s.%s is under version %d, want 2", v.Table, v.Column, v.Version)
		}
	}
	for _, f := range fixtures {
		CheckSealedFixture(t, s, env, f)
	}
	var ok2 bool
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		k, err := tx.GetAccessKey(ctx, op.ID)
		if err != nil {
			return err
		}
		sec, err := env.OpenString(ctx, k.SecretCiphertext, identity.AccessKeyAAD(k))
		ok2 = err == nil && sec.Reveal() == opSecret.Reveal()
		return nil
	}); err != nil || !ok2 {
		t.Errorf("operator key secret does not open to the issued one after rewrap: %v", err)
	}

	// Every batch committed with its event: actor host, one instance, values counted.
	events := map[string]int{}
	if err := s.ScanAudit(ctx, auditBefore, func(r audit.Record) error {
		var e audit.Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return err
		}
		if e.Code != sqlstore.RewrapEventCode || e.Actor != "host" || e.Outcome != audit.OutcomeSuccess || e.Details["key_version"] != "2" {
			t.Errorf("rewrap event %d = %+v", r.Seq, e)
		}
		n, err := strconv.Atoi(e.Details["values"])
		if err != nil {
			t.Errorf("rewrap event %d: values %q", r.Seq, e.Details["values"])
		}
		events[e.Details["table"]+"."+e.Details["column"]] += n
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for c, n := range covered {
		if events[c] != n {
			t.Errorf("audit events count %d values of %s, want %d", events[c], c, n)
		}
	}

	// Idempotent: a second run checks every value and changes none.
	counts, err = db.RewrapSealed(ctx, sqlstore.RewrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Rewrapped != 0 || c.Checked != covered[c.Table+"."+c.Column] {
			t.Errorf("second run on %s.%s: checked %d, rewrapped %d", c.Table, c.Column, c.Checked, c.Rewrapped)
		}
	}
}

// binaryType reports whether a declared column type holds bytes (SQLite BLOB, PostgreSQL
// bytea).
func binaryType(typ string) bool { return typ == "blob" || typ == "bytea" }

// testSealedColumnsGuard fails when the schema has a binary column, or a column named like a
// ciphertext, that the rewrap registry neither covers nor lists as holding no sealed value;
// when the registry names a column the schema lacks; and when a fully populated database
// holds a value in the keyring's format outside the registry's columns.
func testSealedColumnsGuard(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	db, ok := s.(*sqlstore.Store)
	if !ok {
		t.Skip("not a sqlstore.Store")
	}
	cols, err := db.SchemaColumns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sealed := map[string]bool{}
	for _, c := range sqlstore.SealedColumns() {
		sealed[c] = true
	}
	unsealed := sqlstore.UnsealedBinaryColumns()
	inSchema := map[string]bool{}
	for _, c := range cols {
		name := c.Table + "." + c.Column
		inSchema[name] = true
		suspicious := binaryType(c.Type) || strings.HasSuffix(c.Column, "_ciphertext") || strings.HasSuffix(c.Column, "_sealed")
		if suspicious && !sealed[name] && unsealed[name] == "" {
			t.Errorf("column %s (%s) is neither in the rewrap registry (store/sqlstore/rewrap.go sealedColumns) nor listed as holding no sealed value (unsealedBinaryColumns)", name, c.Type)
		}
		if sealed[name] && !binaryType(c.Type) {
			t.Errorf("sealed column %s is declared %s, want a binary type", name, c.Type)
		}
	}
	for name := range sealed {
		if !inSchema[name] {
			t.Errorf("the rewrap registry names %s, which the schema lacks", name)
		}
	}
	for name := range unsealed {
		if !inSchema[name] {
			t.Errorf("unsealedBinaryColumns names %s, which the schema lacks", name)
		}
	}
	// Populated: every value in the keyring's format is in a registered column.
	WriteSealedFixture(t, s, NewSealer(t), "guard")
	for _, v := range ScanSealedValues(t, db, rawQuery(t, h, s)) {
		if !sealed[v.Table+"."+v.Column] {
			t.Errorf("%s.%s holds a sealed value but is not in the rewrap registry", v.Table, v.Column)
		}
	}
}

// hookSealer is an Envelope whose Rewrap first calls before (to change the row meanwhile).
type hookSealer struct {
	*keyring.Envelope
	before func(aad keyring.AAD)
}

func (h hookSealer) Rewrap(ctx context.Context, ct []byte, aad keyring.AAD) ([]byte, error) {
	h.before(aad)
	return h.Envelope.Rewrap(ctx, ct, aad)
}

// testRewrapConcurrentWrite: a value rewritten between the rewrap's read and its commit is
// left as the writer stored it (counted as changed), never overwritten with the re-sealed
// old value.
func testRewrapConcurrentWrite(t *testing.T, h Harness) {
	if h.OpenWith == nil {
		t.Skip("the harness has no OpenWith")
	}
	ctx := context.Background()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := keyring.NewEnvelope(kr, nil)
	var s store.Store
	newSession := []byte(`{"written":"meanwhile"}`)
	var hookErr error
	hook := hookSealer{Envelope: env, before: func(aad keyring.AAD) {
		if aad.Table != "contact_flow_sessions" || hookErr != nil {
			return
		}
		// Runs on the rewrap's goroutine, outside any transaction.
		hookErr = s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			return tx.PutFlowSession(ctx, aad.InstanceID, aad.RowID, newSession)
		})
	}}
	s = h.OpenWith(t, sqlstore.Options{Sealer: hook, Hasher: NewHasher(t)})
	db, ok := s.(*sqlstore.Store)
	if !ok {
		t.Skip("not a sqlstore.Store")
	}
	f := WriteSealedFixture(t, s, env, "rewrap-race")
	if _, err := kr.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	counts, err := db.RewrapSealed(ctx, sqlstore.RewrapOptions{})
	if err != nil || hookErr != nil {
		t.Fatalf("RewrapSealed: %v; concurrent write: %v", err, hookErr)
	}
	for _, c := range counts {
		want := sqlstore.RewrapCount{Table: c.Table, Column: c.Column, Checked: 1, Rewrapped: 1}
		if c.Table == "contact_flow_sessions" {
			want.Rewrapped, want.Changed = 0, 1
		}
		if c != want {
			t.Errorf("counts = %+v, want %+v", c, want)
		}
	}
	var got []byte
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetFlowSession(ctx, f.InstanceID, f.Contact.ID)
		return err
	}); err != nil || !bytes.Equal(got, newSession) {
		t.Errorf("flow session = %q, %v; want the concurrent writer's %q", got, err, newSession)
	}
	for _, v := range ScanSealedValues(t, db, rawQuery(t, h, s)) {
		if v.Version != 2 {
			t.Errorf("%s.%s is under version %d after rewrap, want 2", v.Table, v.Column, v.Version)
		}
	}
}

// SealedHeadersInFiles counts, per key-encryption-key version, the sealed-value headers
// ("RFE", format version, 4-byte KEK version) in the files matching pattern (a filepath.Glob
// pattern such as "dir/ringfence.db*"), read as raw bytes: live rows, free space inside
// pages, free pages and write-ahead logs alike. No matching file is a fatal error.
func SealedHeadersInFiles(t *testing.T, pattern string) map[uint32]int {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("files %s: %v, %v", pattern, files, err)
	}
	header := append([]byte(keyring.Magic), keyring.FormatVersion)
	out := map[uint32]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; ; {
			i := bytes.Index(b[off:], header)
			if i < 0 || off+i+8 > len(b) {
				break
			}
			out[binary.BigEndian.Uint32(b[off+i+4:off+i+8])]++
			off += i + 1
		}
	}
	return out
}

// testRewrapDamagedValue: a value moved from another row and a value not in the keyring's
// format are left as they are and counted as failed; everything else is still rewrapped, and
// the error counts the failures and names their rows.
func testRewrapDamagedValue(t *testing.T, h Harness) {
	if h.OpenWith == nil {
		t.Skip("the harness has no OpenWith")
	}
	ctx := context.Background()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := keyring.NewEnvelope(kr, nil)
	s := h.OpenWith(t, sqlstore.Options{Sealer: env, Hasher: NewHasher(t)})
	db, ok := s.(*sqlstore.Store)
	if !ok {
		t.Skip("not a sqlstore.Store")
	}
	a, b := WriteSealedFixture(t, s, env, "damaged-a"), WriteSealedFixture(t, s, env, "damaged-b")
	h.Exec(t, s, `UPDATE contact_flow_sessions SET session = (SELECT session FROM contact_flow_sessions WHERE contact_id = ?) WHERE contact_id = ?`,
		a.Contact.ID, b.Contact.ID)
	h.Exec(t, s, `UPDATE chat_participants SET display_name = ? WHERE participant_id = ?`, []byte("not sealed"), b.ParticipantID)
	if _, err := kr.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	counts, err := db.RewrapSealed(ctx, sqlstore.RewrapOptions{})
	for _, want := range []string{"2 sealed values do not open", "contact_flow_sessions.session row instance_id=" + b.InstanceID + " contact_id=" + b.Contact.ID,
		"chat_participants.display_name row instance_id=" + b.InstanceID + " participant_id=" + b.ParticipantID, "malformed ciphertext", "does not authenticate"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("RewrapSealed error = %v, want it to say %q", err, want)
		}
	}
	for _, c := range counts {
		want := sqlstore.RewrapCount{Table: c.Table, Column: c.Column, Checked: 2, Rewrapped: 2}
		if c.Table == "contact_flow_sessions" || c.Table == "chat_participants" {
			want.Rewrapped, want.Failed = 1, 1
		}
		if c != want {
			t.Errorf("counts = %+v, want %+v", c, want)
		}
	}
	if len(counts) != len(sqlstore.SealedColumns()) {
		t.Errorf("%d counts, want one per sealed column", len(counts))
	}
	var versions []uint32
	for _, v := range ScanSealedValues(t, db, rawQuery(t, h, s)) {
		if v.Version != 2 {
			versions = append(versions, v.Version)
		}
	}
	if !slices.Equal(versions, []uint32{1}) {
		t.Errorf("values left under an old version: %v, want only the moved one (version 1)", versions)
	}
	CheckSealedFixture(t, s, env, a)
}
