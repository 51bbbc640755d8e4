package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	addNodeFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "ringfence.yaml")
	if err := os.WriteFile(cfgFile, []byte("region: eu-west-2\nhttp-addr: 127.0.0.1:9000\napi-burst: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbFile := filepath.Join(dir, "db-url")
	if err := os.WriteFile(dbFile, []byte("postgres://app:s3cret@db/ringfence\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"RINGFENCE_CONFIG=" + cfgFile,
		"RINGFENCE_HTTP_ADDR=127.0.0.1:9100",    // env beats the file
		"RINGFENCE_DATABASE_URL_FILE=" + dbFile, // secret from a file
		"RINGFENCE_DATA_DIR=/from/env",
	}
	cfg, err := loadConfig(flags(t, "--data-dir", "/from/flag"), env) // the flag beats env
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-2" || cfg.HTTPAddr != "127.0.0.1:9100" || cfg.DataDir != "/from/flag" ||
		cfg.DatabaseURL != "postgres://app:s3cret@db/ringfence" || cfg.APIBurst != 7 || cfg.MetricsAddr != "127.0.0.1:9464" {
		t.Errorf("config = region %q addr %q dir %q db %q burst %d metrics %q", cfg.Region, cfg.HTTPAddr, cfg.DataDir, cfg.DatabaseURL, cfg.APIBurst, cfg.MetricsAddr)
	}
	_, err = loadConfig(flags(t), []string{"RINGFENCE_DATABASE_URL_FILE=" + filepath.Join(dir, "missing")})
	if err == nil || !strings.Contains(err.Error(), "RINGFENCE_DATABASE_URL_FILE") {
		t.Errorf("missing secret file: err = %v, want it named", err)
	}
}

// TestConfigWebSettings: the pages' settings come from flags, the environment (a
// comma-separated list) or the YAML file (a list), and a bad proxy range is refused by
// position.
func TestConfigWebSettings(t *testing.T) {
	cfg, err := loadConfig(flags(t, "--trusted-proxies", "10.0.0.0/8,192.168.1.1", "--public-origin", "https://cc.example.com", "--hsts",
		"--max-password-hashes", "3"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.TrustedProxies); got != "[10.0.0.0/8 192.168.1.1/32]" || cfg.PublicOrigin != "https://cc.example.com" || !cfg.HSTS || cfg.MaxPasswordHashes != 3 {
		t.Errorf("from flags: proxies %s origin %q hsts %v hashes %d", got, cfg.PublicOrigin, cfg.HSTS, cfg.MaxPasswordHashes)
	}
	cfg, err = loadConfig(flags(t), []string{"RINGFENCE_TRUSTED_PROXIES=172.16.0.0/12, ::1", "RINGFENCE_HSTS=true"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.TrustedProxies); got != "[172.16.0.0/12 ::1/128]" || !cfg.HSTS {
		t.Errorf("from the environment: proxies %s hsts %v", got, cfg.HSTS)
	}
	yml := filepath.Join(t.TempDir(), "ringfence.yaml")
	if err := os.WriteFile(yml, []byte("trusted-proxies:\n  - 10.1.0.0/16\n  - 10.2.0.0/16\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = loadConfig(flags(t, "--config", yml), nil)
	if got := fmt.Sprint(cfg.TrustedProxies); err != nil || got != "[10.1.0.0/16 10.2.0.0/16]" {
		t.Errorf("from YAML: proxies %s, %v", got, err)
	}
	_, err = loadConfig(flags(t), []string{"RINGFENCE_TRUSTED_PROXIES=10.0.0.0/8,not-a-range"})
	if err == nil || !strings.Contains(err.Error(), "--trusted-proxies: IP range 2 is not a valid CIDR range") {
		t.Errorf("bad proxy range: %v", err)
	}
}

func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut, env)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestInsecureHTTPOnlyOnLoopback(t *testing.T) {
	dir := t.TempDir()
	for _, addr := range []string{"0.0.0.0:8080", "10.1.2.3:8080", "example.com:80"} {
		_, err := run(t, nil, "serve", "--data-dir", dir, "--insecure-http", "--http-addr", addr)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("serve --insecure-http on %s: err = %v, want a loopback refusal", addr, err)
		}
	}
}

func TestBootstrapTwice(t *testing.T) {
	dir := t.TempDir()
	var outs [2]bootstrapOutput
	for i := range outs {
		out, err := run(t, nil, "bootstrap", "--data-dir", dir)
		if err != nil {
			t.Fatalf("bootstrap #%d: %v", i+1, err)
		}
		if err := json.Unmarshal([]byte(out), &outs[i]); err != nil {
			t.Fatalf("bootstrap #%d output %q: %v", i+1, out, err)
		}
	}
	if outs[0].InstanceID == "" || outs[0].InstanceID != outs[1].InstanceID || outs[0].InstanceARN != outs[1].InstanceARN {
		t.Errorf("instances differ: %s vs %s", outs[0].InstanceID, outs[1].InstanceID)
	}
	if len(outs[1].SecretAccessKey) != 40 || outs[1].AccessKeyID == outs[0].AccessKeyID {
		t.Errorf("second key %s / secret length %d", outs[1].AccessKeyID, len(outs[1].SecretAccessKey))
	}
	// Only the run that created the administrator shows its password.
	if outs[0].AdminUsername != "admin" || len(outs[0].AdminPassword) < 12 {
		t.Errorf("first bootstrap admin = %q (password %d characters), want admin with a password", outs[0].AdminUsername, len(outs[0].AdminPassword))
	}
	if outs[1].AdminUsername != "" || outs[1].AdminPassword != "" {
		t.Errorf("second bootstrap printed administrator %q again", outs[1].AdminUsername)
	}
	for _, f := range []string{"tls/key.pem", "keys/keyring.json"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, st.Mode().Perm(), err)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "ringfence.db")); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("ringfence.db readable by others: %v (%v)", st.Mode().Perm(), err)
	}
	// The secret never reaches the database in clear.
	db, err := os.ReadFile(filepath.Join(dir, "ringfence.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if bytes.Contains(db, []byte(o.SecretAccessKey)) {
			t.Error("a secret access key is stored in clear")
		}
	}
	if bytes.Contains(db, []byte(outs[0].AdminPassword)) {
		t.Error("the administrator password is stored in clear")
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, nil, "bootstrap", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, nil, "audit", "verify", "--data-dir", dir)
	// Instance, administrator, access key.
	if err != nil || !strings.Contains(out, "intact: 3 events") {
		t.Fatalf("verify = %q, %v; want intact with 3 events", out, err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "ringfence.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ExecRaw(context.Background(), `UPDATE audit_events SET body = REPLACE(body, '"host"', '"h0st"') WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err = run(t, nil, "audit", "verify", "--data-dir", dir)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "BROKEN at event 2") {
		t.Errorf("verify after tampering = %q, %v; want exit 1 naming event 2", out, err)
	}
}

func TestKeysRotateRewrap(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, nil, "keys", "rotate", "--data-dir", dir); err != nil || !strings.Contains(out, "version 2") {
		t.Fatalf("rotate = %q, %v", out, err)
	}
	if out, err := run(t, nil, "keys", "rewrap", "--data-dir", dir); err != nil || !strings.Contains(out, "rewrapped 1 ") {
		t.Fatalf("rewrap = %q, %v", out, err)
	}
	if out, err := run(t, nil, "keys", "rewrap", "--data-dir", dir); err != nil || !strings.Contains(out, "rewrapped 0 ") {
		t.Fatalf("second rewrap = %q, %v; want nothing left to do", out, err)
	}
	out, err = run(t, nil, "keys", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(out, boot.AccessKeyID) || strings.Contains(out, boot.SecretAccessKey) {
		t.Errorf("keys list = %q, %v; want the key ID and never its secret", out, err)
	}
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %q, %v", out, err)
	}
	// The rewrapped secret still opens to the key the client holds, now under version 2.
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	keys, err := n.ListAccessKeys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	sec, err := n.Secrets.OpenString(context.Background(), keys[0].SecretCiphertext, identity.AccessKeyAAD(keys[0]))
	if err != nil || sec.Reveal() != boot.SecretAccessKey {
		t.Errorf("rewrapped secret does not open to the issued one: %v", err)
	}
	if v, err := keyring.Version(keys[0].SecretCiphertext); err != nil || v != 2 {
		t.Errorf("rewrapped secret is under version %d (%v), want 2", v, err)
	}
}

func TestKeysCreateForUser(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, nil, "keys", "create", "--data-dir", dir, "--instance", boot.InstanceID, "--user", "ADMIN", "--description", "admin tooling")
	if err != nil || !strings.Contains(out, "access_key_id=AKRF") || !strings.Contains(out, "secret_access_key=") {
		t.Fatalf("keys create --user = %q, %v", out, err)
	}
	if _, err := run(t, nil, "keys", "create", "--data-dir", dir, "--instance", boot.InstanceID, "--user", "nobody"); err == nil ||
		!strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("keys create for an unknown user: %v, want ResourceNotFoundException", err)
	}
	if _, err := run(t, nil, "keys", "create", "--data-dir", dir, "--user", "admin"); err == nil {
		t.Error("keys create --user without --instance succeeded")
	}
	out, err = run(t, nil, "keys", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "user") || !strings.Contains(out, boot.InstanceID) {
		t.Errorf("keys list = %q, %v; want the user key with its instance", out, err)
	}
}

// TestKeysRoll: `keys roll` prints a new key of the same owner with its secret once, the
// old key is revoked in the same step, and the new secret is sealed for its own row; a
// revoked or unknown key cannot be rolled; the audit chain stays intact.
func TestKeysRoll(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, nil, "keys", "create", "--data-dir", dir, "--instance", boot.InstanceID, "--user", "admin", "--description", "tooling")
	if err != nil {
		t.Fatalf("keys create = %q, %v", out, err)
	}
	userKey := field(t, out, "access_key_id")

	out, err = run(t, nil, "keys", "roll", userKey, "--data-dir", dir)
	if err != nil || !strings.Contains(out, "revoked "+userKey) {
		t.Fatalf("keys roll = %q, %v", out, err)
	}
	newKey, newSecret := field(t, out, "access_key_id"), field(t, out, "secret_access_key")
	if newKey == userKey || !strings.HasPrefix(newKey, "AKRF") || len(newSecret) != 40 {
		t.Fatalf("keys roll printed key %q secret of %d characters; want a new AKRF key and a 40-character secret", newKey, len(newSecret))
	}
	if _, err := run(t, nil, "keys", "roll", userKey, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "InvalidRequestException") {
		t.Errorf("rolling the revoked key: %v; want InvalidRequestException", err)
	}
	if _, err := run(t, nil, "keys", "roll", "AKRFNOSUCHKEY0000000", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("rolling an unknown key: %v; want ResourceNotFoundException", err)
	}
	// The operator key rolls too and stays an operator key.
	out, err = run(t, nil, "keys", "roll", boot.AccessKeyID, "--data-dir", dir)
	if err != nil {
		t.Fatalf("keys roll of the operator key = %q, %v", out, err)
	}
	newOp := field(t, out, "access_key_id")
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %q, %v", out, err)
	}

	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	keys, err := n.ListAccessKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]identity.AccessKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	old, rolled := byID[userKey], byID[newKey]
	if old.Status != identity.KeyInactive || rolled.Status != identity.KeyActive {
		t.Errorf("after roll: old key %s, new key %s; want Inactive and Active", old.Status, rolled.Status)
	}
	if rolled.Kind != identity.KeyUser || rolled.InstanceID != old.InstanceID || rolled.UserID != old.UserID || rolled.Description != "tooling" {
		t.Errorf("rolled key %+v does not have the owner of %+v", rolled, old)
	}
	if byID[boot.AccessKeyID].Status != identity.KeyInactive || byID[newOp].Kind != identity.KeyOperator || byID[newOp].Status != identity.KeyActive {
		t.Errorf("operator roll: old %+v, new %+v", byID[boot.AccessKeyID], byID[newOp])
	}
	sec, err := n.Secrets.OpenString(context.Background(), rolled.SecretCiphertext, identity.AccessKeyAAD(rolled))
	if err != nil || sec.Reveal() != newSecret {
		t.Errorf("the rolled key's sealed secret does not open to the printed one: %v", err)
	}
}

// field returns the value of the "name=value" line of out.
func field(t *testing.T, out, name string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s= line in %q", name, out)
	return ""
}
