package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/flow/samples"
)

// TestSimulateSecureInputThenDecrypt keys a card number into the secure card capture sample
// (pointed at a fresh RSA key) with `flow simulate`, checks the digits appear nowhere in its
// output, and decrypts the captured ciphertext with `decrypt --key`.
func TestSimulateSecureInputThenDecrypt(t *testing.T) {
	const pan = "4111111111111111"
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	privDER, _ := x509.MarshalPKCS8PrivateKey(key)
	privPath := filepath.Join(dir, "private.pem")
	if err := os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	content, err := samples.Content("secure_card_capture.json")
	if err != nil {
		t.Fatal(err)
	}
	content = strings.Replace(content, `"-----BEGIN CERTIFICATE-----\nMIIBdemo\n-----END CERTIFICATE-----"`, string(pubPEM), 1)
	flowPath := filepath.Join(dir, "card.json")
	respPath := filepath.Join(dir, "response.json")
	if err := os.WriteFile(flowPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(respPath, []byte(`{"status":"APPROVED"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	arn := regexp.MustCompile(`arn:aws:lambda[^"]*`).FindString(content)

	out, err := run(t, nil, "flow", "simulate", flowPath, "--input", pan, "--function", arn+"="+respPath, "--json")
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	if strings.Contains(out, pan) {
		t.Fatal("the card number appears in the simulation output")
	}
	var rep struct{ EncryptedInput []string }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.EncryptedInput) != 1 {
		t.Fatalf("simulate output %q: %v; want one encrypted input", out, err)
	}

	var stdout, stderr bytes.Buffer
	root := newRoot(&stdout, &stderr, nil)
	root.SetIn(strings.NewReader(rep.EncryptedInput[0]))
	root.SetArgs([]string{"decrypt", "--key", privPath})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("decrypt: %v (%s)", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != pan {
		t.Errorf("decrypt printed %q, want the card number", got)
	}
}
