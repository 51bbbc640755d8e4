package inputcrypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const canaryPAN = "4111111111111111"

func TestProviderEncryptInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		key      string
		priv     string
		opts     []Option
		wantHPKE bool
	}{
		{"rsa certificate gives connect format", "rsa2048.cert.pem", "rsa2048.key.pem", nil, false},
		{"rsa public key gives connect format", "rsa2048.pub.pem", "rsa2048.key.pem", nil, false},
		{"rsa committing suite", "rsa2048.pub.pem", "rsa2048.key.pem", []Option{WithSuite(SuiteAES256GCMHKDFSHA512CommitECDSAP384)}, false},
		{"p256 gives hpke", "p256.pub.pem", "p256.key.pem", nil, true},
		{"x25519 gives hpke", "x25519.pub.pem", "x25519.key.pem", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := NewProvider(tc.opts...).ForContact("inst-1", "contact-1")
			text, err := p.EncryptInput("key-1", string(testdata(t, tc.key)), secretString(canaryPAN))
			if err != nil {
				t.Fatalf("EncryptInput: %v", err)
			}
			raw, err := base64.StdEncoding.DecodeString(text)
			if err != nil {
				t.Fatalf("output is not base64: %v", err)
			}
			if got := isHPKEEnvelope(raw); got != tc.wantHPKE {
				t.Errorf("hpke envelope = %v, want %v", got, tc.wantHPKE)
			}
			if bytes.Contains(raw, []byte(canaryPAN)) || strings.Contains(text, canaryPAN) {
				t.Fatal("ciphertext contains the plaintext")
			}
			if !IsEncryptedInput(text) {
				t.Error("IsEncryptedInput(ciphertext) = false, want true")
			}
			var out bytes.Buffer
			err = DecryptCommand(strings.NewReader(text), &out, testdata(t, tc.priv), WithContact("inst-1", "contact-1"))
			if err != nil {
				t.Fatalf("DecryptCommand: %v", err)
			}
			if got := out.String(); got != canaryPAN {
				t.Errorf("decrypted %q, want %q", got, canaryPAN)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       *Provider
		key     string
		want    string
		wantErr error
	}{
		{"weak key", NewProvider(), string(testdata(t, "rsa1024.pub.pem")), `encrypt input: key "key-1": parse public key: rsa key of 1024 bits: weak key (minimum 2048)`, ErrWeakKey},
		{"placeholder key", NewProvider(), "Certificate to use for encryption should be provided here.", `encrypt input: key "key-1": parse public key: no pem block`, nil},
		{"ec key without contact", NewProvider(), string(testdata(t, "p256.pub.pem")), `encrypt input: key "key-1": hpke: seal: instance id and contact id required (WithContact)`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.p.EncryptInput("key-1", tc.key, secretString(canaryPAN))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tc.wantErr)
			}
			if strings.Contains(fmt.Sprint(err), canaryPAN) {
				t.Error("error contains the plaintext")
			}
		})
	}
}

func TestDecryptCommand(t *testing.T) {
	t.Parallel()
	p := NewProvider()
	text, err := p.EncryptInput("key-1", string(testdata(t, "rsa2048.cert.pem")), secretString(canaryPAN))
	if err != nil {
		t.Fatal(err)
	}
	wrapped := "\n  " + text[:40] + "\r\n" + text[40:] + "\n\n"
	tests := []struct {
		name    string
		in      string
		key     string
		want    string
		wantErr string
	}{
		{"plain", text, "rsa2048.key.pem", canaryPAN, ""},
		{"wrapped lines", wrapped, "rsa2048.pkcs1.key.pem", canaryPAN, ""},
		{"not base64", "!!!", "rsa2048.key.pem", "", "decrypt: input: base64: invalid input at byte 0"},
		{"empty", "  \n", "rsa2048.key.pem", "", "decrypt: input: empty"},
		{"ec key for esdk", text, "p256.key.pem", "", "decrypt: input is not an hpke envelope; an aws encryption sdk message needs the rsa private key"},
		{"public key given", text, "rsa2048.pub.pem", "", `decrypt: parse private key: pem block "PUBLIC KEY": want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY`},
		{"wrong rsa key", text, "rsa1024.key.pem", "", `decrypt: esdk: no encrypted data key could be decrypted: 1 with provider id "AmazonConnect" failed to unwrap with this key and OAEP-SHA512`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := DecryptCommand(strings.NewReader(tc.in), &out, testdata(t, tc.key))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if out.Len() != 0 {
					t.Errorf("wrote %d bytes on error, want none", out.Len())
				}
				return
			}
			if err != nil {
				t.Fatalf("DecryptCommand: %v", err)
			}
			if got := out.String(); got != tc.want {
				t.Errorf("output %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIsEncryptedInputRejects(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"", canaryPAN, "my card is 4111 1111 1111 1111", base64.StdEncoding.EncodeToString([]byte("card 4111111111111111 cvv 123")),
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x01}, 64)), "not base64 at all!!", strings.Repeat("A", maxDetectLength+4),
	} {
		if IsEncryptedInput(text) {
			t.Errorf("IsEncryptedInput(%.40q) = true, want false", text)
		}
	}
}
