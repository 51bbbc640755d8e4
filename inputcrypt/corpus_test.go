package inputcrypt

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir returns ../shared/corpus/<sub> relative to the module root, or skips the
// test when the shared corpus is absent (a fresh clone has none).
func corpusDir(t testing.TB, sub ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{"..", "..", "shared", "corpus"}, sub...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus %s absent (third-party test data kept outside the repository): %v", dir, err)
	}
	return dir
}

type vectorScenario struct {
	Ciphertext      string `json:"ciphertext"`
	Result          string `json:"result"`
	AlgorithmSuite  string `json:"algorithmSuiteId"`
	DecryptKeyDescr struct {
		Type       string `json:"type"`
		Key        string `json:"key"`
		ProviderID string `json:"provider-id"`
		Algorithm  string `json:"encryption-algorithm"`
		Padding    string `json:"padding-algorithm"`
		Hash       string `json:"padding-hash"`
	} `json:"decryptKeyDescription"`
}

type vectorKey struct {
	Type     string `json:"type"`
	KeyID    string `json:"key-id"`
	Material string `json:"material"`
}

func fileURL(dir, u string) string { return filepath.Join(dir, strings.TrimPrefix(u, "file://")) }

func parseRSAPrivatePEM(t testing.TB, material string) *rsa.PrivateKey {
	t.Helper()
	blk, _ := pem.Decode([]byte(material))
	if blk == nil {
		t.Fatal("key material is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		rk, err2 := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err2 != nil {
			t.Fatalf("parse private key: %v", err)
		}
		return rk
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("key is %T, want *rsa.PrivateKey", k)
	}
	return rk
}

func vectorPadding(t *testing.T, padding, hash string) Padding {
	t.Helper()
	if padding == "pkcs1" {
		return PaddingPKCS1v15
	}
	switch hash {
	case "sha1":
		return PaddingOAEPSHA1
	case "sha256":
		return PaddingOAEPSHA256
	case "sha384":
		return PaddingOAEPSHA384
	case "sha512":
		return PaddingOAEPSHA512
	}
	t.Fatalf("padding %s/%s not known", padding, hash)
	return 0
}

// TestDecryptVectors decrypts the 55 raw-RSA AWS Encryption SDK vectors (11 suites × 5
// paddings) from ../shared/corpus/esdk-vectors.
func TestDecryptVectors(t *testing.T) {
	dir := filepath.Join(corpusDir(t, "esdk-vectors"), "tests", "TestVectors", "from-dafny")
	var manifest struct {
		Keys  string `json:"keys"`
		Tests map[string]struct {
			Scenario vectorScenario `json:"decryption-scenario"`
		} `json:"tests"`
	}
	readJSON(t, filepath.Join(dir, "decrypt-manifest.raw-rsa.json"), &manifest)
	var keys struct {
		Keys map[string]vectorKey `json:"keys"`
	}
	readJSON(t, fileURL(dir, manifest.Keys), &keys)
	if got, want := len(manifest.Tests), 55; got != want {
		t.Fatalf("manifest has %d tests, want %d", got, want)
	}
	privs := map[string]*rsa.PrivateKey{}
	suites := map[string]bool{}
	for id, tc := range manifest.Tests {
		t.Run(tc.Scenario.AlgorithmSuite+"/"+tc.Scenario.DecryptKeyDescr.Padding+"-"+tc.Scenario.DecryptKeyDescr.Hash+"/"+id, func(t *testing.T) {
			s := tc.Scenario
			kd := s.DecryptKeyDescr
			if kd.Type != "raw" || kd.Algorithm != "rsa" {
				t.Skipf("key description %s/%s is not raw rsa", kd.Type, kd.Algorithm)
			}
			key := keys.Keys[kd.Key]
			priv := privs[kd.Key]
			if priv == nil {
				priv = parseRSAPrivatePEM(t, key.Material)
				privs[kd.Key] = priv
			}
			msg := readFile(t, fileURL(dir, s.Ciphertext))
			want := readFile(t, fileURL(dir, s.Result))
			got, err := Decrypt(msg, priv, WithPadding(vectorPadding(t, kd.Padding, kd.Hash)), WithKeyProvider(kd.ProviderID, key.KeyID))
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("plaintext of %d bytes differs from the expected %d bytes", len(got), len(want))
			}
			h, err := ParseHeader(msg)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if got, want := h.Suite.String(), "0x"+s.AlgorithmSuite; got != want {
				t.Errorf("suite = %s, want %s", got, want)
			}
			suites[s.AlgorithmSuite] = true
		})
	}
	if got, want := len(suites), 11; got != want {
		t.Errorf("vectors covered %d suites, want %d", got, want)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(readFile(t, path), v); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
}
