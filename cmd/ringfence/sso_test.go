package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/node"
	"github.com/ringfence/ringfence/provision"
	"github.com/ringfence/ringfence/store"
)

// TestEmergencyCommands: minting is refused until emergency access is enabled; then a token
// is printed once and only its hash is stored.
func TestEmergencyCommands(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, nil, "admin", "emergency-token", "--data-dir", dir, "--instance", boot.InstanceID); err == nil ||
		!strings.Contains(err.Error(), "emergency access is disabled") {
		t.Fatalf("emergency-token while disabled: %v", err)
	}
	if out, err := run(t, nil, "admin", "emergency-access", "enable", "--data-dir", dir, "--instance", boot.InstanceID); err != nil || !strings.Contains(out, "enabled") {
		t.Fatalf("emergency-access enable = %q, %v", out, err)
	}
	out, err = run(t, nil, "admin", "emergency-token", "--data-dir", dir, "--instance", boot.InstanceID)
	if err != nil {
		t.Fatalf("emergency-token: %v", err)
	}
	var token string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "emergency_token="); ok {
			token = v
		}
	}
	if !strings.HasPrefix(token, "rfe_") || !strings.Contains(out, "/ui/emergency?instance="+boot.InstanceID) {
		t.Fatalf("emergency-token output = %q", out)
	}
	if _, err := run(t, nil, "admin", "emergency-access", "maybe", "--data-dir", dir, "--instance", boot.InstanceID); err == nil {
		t.Error("emergency-access accepted an unknown argument")
	}
	db, err := os.ReadFile(filepath.Join(dir, "ringfence.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, "ringfence.db-wal"))
	if bytes.Contains(append(db, wal...), []byte(token)) {
		t.Error("the emergency token is stored in clear")
	}
	// SSO needs an instance created with IdentityManagementType SAML.
	md := filepath.Join(dir, "idp.xml")
	if err := os.WriteFile(md, []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, nil, "admin", "sso", "saml", "--data-dir", dir, "--instance", boot.InstanceID, "--idp-metadata", md); err == nil ||
		!strings.Contains(err.Error(), "IDPSSODescriptor") {
		t.Errorf("sso saml with metadata lacking an IDPSSODescriptor: %v", err)
	}
}

// TestSSOCommands configures OpenID Connect on a SAML instance from the command line: the
// secret comes from a file, is stored sealed and never printed.
func TestSSOCommands(t *testing.T) {
	dir := t.TempDir()
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	inst := instance.Instance{ID: uuid.NewString(), Alias: "federated", IdentityManagementType: instance.IdentityManagementSAML,
		Status: instance.StatusActive, CreatedTime: now, Tags: map[string]string{}}
	err = n.Store.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, inst); err != nil {
			return err
		}
		return provision.Instance(ctx, tx, inst, provision.Env{Region: "us-east-1", AccountID: n.AccountID, NewID: uuid.NewString, Now: now})
	})
	n.Close()
	if err != nil {
		t.Fatal(err)
	}
	const clientSecret = "oidc-client-secret-canary-91"
	secFile := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secFile, []byte(clientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, nil, "admin", "sso", "oidc", "--data-dir", dir, "--instance", inst.ID, "--issuer", "https://idp.example.test/realms/staff",
		"--client-id", "ringfence", "--client-secret-file", secFile, "--jit-security-profile", "Agent")
	if err != nil || !strings.Contains(out, "/ui/sso/"+inst.ID+"/oidc/callback") {
		t.Fatalf("sso oidc = %q, %v", out, err)
	}
	out, err = run(t, nil, "admin", "sso", "show", "--data-dir", dir, "--instance", inst.ID)
	if err != nil || !strings.Contains(out, "https://idp.example.test/realms/staff") || !strings.Contains(out, "openid profile email") ||
		strings.Contains(out, clientSecret) || !strings.Contains(out, "saml") {
		t.Fatalf("sso show = %q, %v", out, err)
	}
	if _, err := run(t, nil, "admin", "sso", "oidc", "--data-dir", dir, "--instance", inst.ID, "--issuer", "http://insecure.example.test",
		"--client-id", "ringfence", "--client-secret-file", secFile); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http issuer: %v", err)
	}
	if _, err := run(t, nil, "admin", "sso", "oidc", "--data-dir", dir, "--instance", inst.ID, "--issuer", "https://idp.example.test",
		"--client-id", "ringfence", "--client-secret-file", secFile, "--jit-security-profile", "NoSuchProfile"); err == nil ||
		!strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("unknown JIT profile: %v", err)
	}
	db, _ := os.ReadFile(filepath.Join(dir, "ringfence.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "ringfence.db-wal"))
	if bytes.Contains(append(db, wal...), []byte(clientSecret)) {
		t.Error("the OIDC client secret is stored in clear")
	}
	if out, err := run(t, nil, "admin", "sso", "remove", "oidc", "--data-dir", dir, "--instance", inst.ID); err != nil || !strings.Contains(out, "removed") {
		t.Errorf("sso remove oidc = %q, %v", out, err)
	}
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %q, %v", out, err)
	}
}
