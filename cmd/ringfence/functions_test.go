package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/store"
)

// TestFunctionsCommands sets a function ARN to an endpoint and to a built-in, lists it
// (never the secret), refuses bad settings clearly, and removes the target.
func TestFunctionsCommands(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	inst := boot.InstanceID
	const (
		arn    = "arn:aws:lambda:us-east-1:111122223333:function:lookup"
		secret = "a-signing-secret-that-is-long-enough"
	)
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(t.TempDir(), "short")
	if err := os.WriteFile(short, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--data-dir", dir, "--instance", inst}
	fn := func(args ...string) (string, error) {
		return run(t, nil, append(append([]string{"functions"}, args...), base...)...)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"not a Lambda ARN", []string{"set", "--arn", "arn:aws:s3:::bucket", "--builtin", "ringfence.echo"}, "Lambda function ARN"},
		{"both targets", []string{"set", "--arn", arn, "--builtin", "ringfence.echo", "--url", "https://fn.example.com/", "--secret-file", secretFile}, "either an endpoint URL"},
		{"URL without secret", []string{"set", "--arn", arn, "--url", "https://fn.example.com/"}, "--secret-file"},
		{"short secret", []string{"set", "--arn", arn, "--url", "https://fn.example.com/", "--secret-file", short}, "signing secret of 5 bytes"},
		{"plain HTTP", []string{"set", "--arn", arn, "--url", "http://fn.example.com/", "--secret-file", secretFile}, "https"},
		{"metadata address", []string{"set", "--arn", arn, "--url", "https://169.254.169.254/", "--secret-file", secretFile}, "169.254.169.254"},
		{"unknown built-in", []string{"set", "--arn", arn, "--builtin", "nope"}, `unknown built-in "nope"`},
	}
	for _, tt := range bad {
		if _, err := fn(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}

	out, err = fn("set", "--arn", arn, "--url", "https://fn.example.com/lookup", "--secret-file", secretFile)
	if err != nil || !strings.Contains(out, "associated "+arn) {
		t.Fatalf("functions set endpoint: %q, %v", out, err)
	}
	out, err = fn("list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, secret) {
		t.Fatalf("functions list printed the secret: %s", out)
	}
	var rows []struct {
		ARN, Target, URL string
		SecretSet        bool
		Version          int64
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].ARN != arn || rows[0].Target != "endpoint" ||
		rows[0].URL != "https://fn.example.com/lookup" || !rows[0].SecretSet || rows[0].Version != 1 {
		t.Fatalf("functions list = %s (%v)", out, err)
	}
	if out, err = fn("set", "--arn", arn, "--builtin", "ringfence.echo"); err != nil || strings.Contains(out, "associated") {
		t.Fatalf("functions set built-in: %q, %v", out, err)
	}
	out, err = fn("list")
	if err != nil || !strings.Contains(out, "built-in ringfence.echo") || !strings.Contains(out, "\t2\t") && !strings.Contains(out, "  2  ") {
		t.Errorf("functions list after the built-in = %q, %v", out, err)
	}
	if out, err = fn("remove", "--arn", arn); err != nil || !strings.Contains(out, "still associated") {
		t.Fatalf("functions remove: %q, %v", out, err)
	}
	out, _ = fn("list", "--json")
	if !strings.Contains(out, `"target": "none"`) {
		t.Errorf("after remove: %s", out)
	}
	if out, err = fn("remove", "--arn", arn, "--disassociate"); err != nil {
		t.Fatalf("functions remove --disassociate: %q, %v", out, err)
	}
	if out, _ = fn("list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("after disassociation: %s", out)
	}
	if _, err = fn("remove", "--arn", arn); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("removing an unknown function: %v", err)
	}
	// The secret is nowhere in the data directory in clear.
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s holds the signing secret in clear", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFlowLogsCommand prints a contact's stored flow logs, one JSON object per line, and
// refuses a contact the instance does not have.
func TestFlowLogsCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	inst := boot.InstanceID
	const id = "c0000000-0000-4000-8000-00000000f001"
	now := time.Now().UTC().Truncate(time.Millisecond)
	n := openTestNode(t, dir)
	err = n.Store.Update(context.Background(), nil, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateContact(ctx, contact.Contact{InstanceID: inst, ID: id, Channel: contact.ChannelTask, InitiationMethod: contact.InitiationAPI,
			State: contact.StateInFlow, Name: "x", FlowID: "f", Attributes: map[string]string{}, InitiationTimestamp: now, LastUpdateTimestamp: now}); err != nil {
			return err
		}
		return tx.AppendFlowLogs(ctx, inst, id, now, [][]byte{[]byte(`{"ContactId":"` + id + `","Identifier":"a"}`), []byte(`{"ContactId":"` + id + `","Identifier":"b"}`)})
	})
	n.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err = run(t, nil, "flow", "logs", "--data-dir", dir, "--instance", inst, "--contact", id)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"Identifier":"a"`) || !strings.Contains(lines[1], `"Identifier":"b"`) {
		t.Errorf("flow logs printed %q", out)
	}
	if out, err = run(t, nil, "flow", "logs", "--data-dir", dir, "--instance", inst, "--contact", id, "--limit", "1"); err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("--limit 1 printed %q, %v", out, err)
	}
	if _, err = run(t, nil, "flow", "logs", "--data-dir", dir, "--instance", inst, "--contact", "c0000000-0000-4000-8000-00000000f002"); err == nil ||
		!strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("flow logs of an unknown contact: %v", err)
	}
}
