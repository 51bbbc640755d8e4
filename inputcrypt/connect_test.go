package inputcrypt

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConnectCiphertext parses the real Amazon Connect message in
// ../shared/corpus/connect-ciphertext, compares its header with header.json and
// verifies its ECDSA P-384 signature. Its private key is only partly public, so it is
// not decrypted.
func TestConnectCiphertext(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "connect-ciphertext")
	msg := readFile(t, filepath.Join(dir, "ciphertext.bin"))
	b64 := readFile(t, filepath.Join(dir, "ciphertext.b64"))
	fromText, err := decodeBase64(string(b64))
	if err != nil {
		t.Fatalf("decode ciphertext.b64: %v", err)
	}
	if !bytes.Equal(fromText, msg) {
		t.Fatal("ciphertext.b64 does not decode to ciphertext.bin")
	}
	var want struct {
		Version           int               `json:"version"`
		Type              string            `json:"type"`
		AlgorithmSuiteID  string            `json:"algorithmSuiteId"`
		MessageID         string            `json:"messageId"`
		EncryptionContext map[string]string `json:"encryptionContext"`
		EncryptedDataKeys []struct {
			KeyProviderID    string `json:"keyProviderId"`
			KeyProviderInfo  string `json:"keyProviderInfo"`
			CiphertextLength int    `json:"ciphertextLength"`
		} `json:"encryptedDataKeys"`
		ContentType      int    `json:"contentType"`
		Reserved         string `json:"reserved"`
		IVLength         int    `json:"ivLength"`
		FrameLength      uint32 `json:"frameLength"`
		HeaderBodyLength int    `json:"headerBodyLength"`
		HeaderIV         string `json:"headerIv"`
		HeaderAuthTag    string `json:"headerAuthTag"`
		SignatureLength  int    `json:"signatureLength"`
		TotalLength      int    `json:"totalLength"`
	}
	readJSON(t, filepath.Join(dir, "header.json"), &want)

	h, err := verifyStructureAndSignature(msg)
	if err != nil {
		t.Fatalf("verify signature: %v", err)
	}
	got := want // fields not derived from the message (type, reserved, iv length) are checked by the parser
	got.Version = h.Version
	got.AlgorithmSuiteID = fmt.Sprintf("0x%04x", uint16(h.Suite))
	got.MessageID = hex.EncodeToString(h.MessageID)
	got.EncryptionContext = h.EncryptionContext
	got.EncryptedDataKeys = nil
	for _, k := range h.EncryptedDataKeys {
		got.EncryptedDataKeys = append(got.EncryptedDataKeys, struct {
			KeyProviderID    string `json:"keyProviderId"`
			KeyProviderInfo  string `json:"keyProviderInfo"`
			CiphertextLength int    `json:"ciphertextLength"`
		}{k.ProviderID, k.ProviderInfo, len(k.Ciphertext)})
	}
	got.ContentType = map[bool]int{true: 2, false: 1}[h.Framed]
	got.FrameLength = h.FrameLength
	got.HeaderBodyLength = len(h.body)
	got.HeaderIV = hex.EncodeToString(h.iv)
	got.HeaderAuthTag = hex.EncodeToString(h.tag)
	got.SignatureLength = int(binary.BigEndian.Uint16(msg[len(msg)-want.SignatureLength-2:]))
	got.TotalLength = len(msg)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("header (-header.json +parsed):\n%s", diff)
	}

	// Any private key other than Connect's fails at unwrapping, after a clean parse.
	_, err = DecryptBase64(string(b64), rsaPrivate(t, "rsa2048.key.pem"))
	if !errors.Is(err, ErrNoDecryptableKey) {
		t.Errorf("Decrypt with another key: error = %v, want ErrNoDecryptableKey", err)
	}

	// The signature covers every byte: flipping one byte of the body breaks it.
	bad := bytes.Clone(msg)
	bad[h.Length+30] ^= 1
	if _, err := verifyStructureAndSignature(bad); !errors.Is(err, ErrAuthentication) {
		t.Errorf("verify of a changed body: error = %v, want ErrAuthentication", err)
	}
}

// TestConnectStyleOutput checks that our RSA output has the same layout as Connect's
// message: same version, suite, context keys, provider ID, content type, frame length
// and signature length, and header body length for the same key size and key ID.
func TestConnectStyleOutput(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "connect-ciphertext")
	connect := readFile(t, filepath.Join(dir, "ciphertext.bin"))
	pub, err := ParsePublicKey(readFile(t, filepath.Join(dir, "public_key.reconstructed.pem")))
	if err != nil {
		t.Fatalf("ParsePublicKey: %v", err)
	}
	ch, err := ParseHeader(connect)
	if err != nil {
		t.Fatal(err)
	}
	keyID := ch.EncryptedDataKeys[0].ProviderInfo
	p := NewProvider()
	text, err := p.EncryptInput(keyID, string(readFile(t, filepath.Join(dir, "public_key.reconstructed.pem"))), secretString("1236547891321456"))
	if err != nil {
		t.Fatalf("EncryptInput: %v", err)
	}
	ours, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	oh, err := verifyStructureAndSignature(ours)
	if err != nil {
		t.Fatalf("verify our message: %v", err)
	}
	if got, want := len(ours), len(connect); got != want {
		t.Errorf("message length = %d, want %d (Connect's for a 16-digit input and a %d-bit key)", got, want, pub.Bits)
	}
	if got, want := len(oh.body), len(ch.body); got != want {
		t.Errorf("header body length = %d, want %d", got, want)
	}
	shape := func(h *Header) string {
		var keys []string
		for k := range h.EncryptionContext {
			keys = append(keys, k)
		}
		return fmt.Sprintf("v%d %s %v framed=%v frame=%d edks=%d %s/%s", h.Version, h.Suite, keys, h.Framed, h.FrameLength, len(h.EncryptedDataKeys), h.EncryptedDataKeys[0].ProviderID, h.EncryptedDataKeys[0].ProviderInfo)
	}
	if diff := cmp.Diff(shape(ch), shape(oh)); diff != "" {
		t.Errorf("layout (-connect +ours):\n%s", diff)
	}
	if strings.Contains(text, "1236547891321456") {
		t.Error("ciphertext contains the plaintext")
	}
}
