package node_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/node"
)

// TestKeyRotationReachesRunningNode: `keys rotate` run by another process while the node
// serves (here: the key file rotated through a second keyring.Local, as the command does)
// reaches the node within its KeyringPoll: keys issued afterwards through the running node are
// sealed under the new version, the bootstrap key sealed under the old one still
// authenticates, and /metrics shows the new version. A corrupt key file then leaves the node
// serving with the keys it holds (old and new keys authenticate, new values still sealed
// under the newest version), is logged as an error without key material and shows in
// ringfence_keyring_reload_failing; once the file is good again, the next rotation is picked
// up too.
func TestKeyRotationReachesRunningNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	const poll = 20 * time.Millisecond
	var logs syncBuffer
	dir := t.TempDir()
	tn := startNodeAt(t, dir, func(c *node.Config) {
		c.KeyringPoll = poll
		c.MetricsAddr = metricsAddr
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ctx := context.Background()
	path := keyring.DefaultPath(dir)

	sealedVersion := func(keyID string) uint32 {
		t.Helper()
		keys, err := tn.n.ListAccessKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.ID == keyID {
				v, err := keyring.Version(k.SecretCiphertext)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
		t.Fatalf("no key %s", keyID)
		return 0
	}
	works := func(what, keyID, secret string) {
		t.Helper()
		in := &connect.ListSecurityProfilesInput{InstanceId: aws.String(tn.boot.InstanceID)}
		if _, err := tn.sdkAs(keyID, secret).ListSecurityProfiles(ctx, in); err != nil {
			t.Errorf("%s (key sealed under version %d): ListSecurityProfiles: %v", what, sealedVersion(keyID), err)
		}
	}
	metric := func(name string) string {
		t.Helper()
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return ""
	}
	// waitFor polls cond until it holds; the deadline (500 intervals) is generous for a
	// loaded machine and is not a speed measurement.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(500 * poll)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(poll / 4)
		}
	}
	currentIs := func(v uint32) func() bool {
		return func() bool { got, _ := tn.n.Keyring.CurrentVersion(ctx); return got == v }
	}

	bootKey, bootSecret := tn.boot.AccessKeyID, tn.boot.SecretAccessKey.Reveal()
	if v := sealedVersion(bootKey); v != 1 {
		t.Fatalf("bootstrap key sealed under version %d, want 1", v)
	}
	if got := metric("ringfence_keyring_current_version"); got != "1" {
		t.Errorf("ringfence_keyring_current_version = %q before the rotation, want 1", got)
	}

	// Rotate from "another process", as `ringfence keys rotate` does.
	other, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := other.Rotate(ctx); err != nil || v != 2 {
		t.Fatalf("Rotate = %d, %v", v, err)
	}
	waitFor("the node to pick up version 2", currentIs(2))
	k2, s2 := tn.userKey(t, tn.boot.InstanceID, "admin")
	if v := sealedVersion(k2); v != 2 {
		t.Errorf("key issued after the rotation sealed under version %d, want 2", v)
	}
	works("bootstrap key", bootKey, bootSecret)
	works("key issued after the rotation", k2, s2)
	if got := metric("ringfence_keyring_current_version"); got != "2" {
		t.Errorf("ringfence_keyring_current_version = %q after the rotation, want 2", got)
	}

	// A corrupt key file: the node keeps its keys, logs the failure, says so in /metrics.
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	replace := func(content []byte) {
		t.Helper()
		tmp := filepath.Join(filepath.Dir(path), "keyring.json.new")
		if err := os.WriteFile(tmp, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	replace(good[:len(good)/3])
	waitFor("the corrupt key file to be reported", func() bool { return metric("ringfence_keyring_reload_failing") == "1" })
	if !strings.Contains(string(logs.Bytes()), `"msg":"key file not loaded; the keys in use are kept"`) {
		t.Errorf("no error logged for the corrupt key file")
	}
	k3, s3 := tn.userKey(t, tn.boot.InstanceID, "admin")
	if v := sealedVersion(k3); v != 2 {
		t.Errorf("key issued with a corrupt key file sealed under version %d, want 2", v)
	}
	works("bootstrap key with a corrupt key file", bootKey, bootSecret)
	works("version-2 key with a corrupt key file", k2, s2)
	works("key issued with a corrupt key file", k3, s3)

	// The file is good again, and the next rotation reaches the node too.
	replace(good)
	waitFor("the node to load the key file again", func() bool { return metric("ringfence_keyring_reload_failing") == "0" })
	if v, err := other.Rotate(ctx); err != nil || v != 3 {
		t.Fatalf("second Rotate = %d, %v", v, err)
	}
	waitFor("the node to pick up version 3", currentIs(3))
	k4, s4 := tn.userKey(t, tn.boot.InstanceID, "admin")
	if v := sealedVersion(k4); v != 3 {
		t.Errorf("key issued after the second rotation sealed under version %d, want 3", v)
	}
	for _, k := range [][2]string{{bootKey, bootSecret}, {k2, s2}, {k3, s3}, {k4, s4}} {
		works("every key after the second rotation", k[0], k[1])
	}

	tn.stop()
	final, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kf struct {
		KEKs []struct{ Key []byte }
		HMAC struct{ Key []byte }
	}
	if err := json.Unmarshal(final, &kf); err != nil || len(kf.KEKs) != 3 {
		t.Fatalf("final key file: %d versions, %v", len(kf.KEKs), err)
	}
	secrets := []string{base64.StdEncoding.EncodeToString(kf.HMAC.Key)}
	for _, k := range kf.KEKs {
		secrets = append(secrets, base64.StdEncoding.EncodeToString(k.Key))
	}
	out := string(logs.Bytes())
	for _, want := range []string{`"msg":"keyring reloaded"`, `"current_version":2`, `"current_version":3`, `"msg":"key file loaded again"`} {
		if !strings.Contains(out, want) {
			t.Errorf("node log lacks %s", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) || strings.Contains(out, s[:12]) {
			t.Errorf("node log holds key material")
		}
	}
}
