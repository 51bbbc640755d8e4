package inputcrypt

import (
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		wantType KeyType
		wantBits int
		wantCert bool
	}{
		{"rsa2048.pub.pem", KeyTypeRSA, 2048, false},
		{"rsa2048.cert.pem", KeyTypeRSA, 2048, true},
		{"p256.pub.pem", KeyTypeP256, 256, false},
		{"p384.pub.pem", KeyTypeP384, 384, false},
		{"x25519.pub.pem", KeyTypeX25519, 255, false},
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			k, err := ParsePublicKey(testdata(t, tc.file))
			if err != nil {
				t.Fatalf("ParsePublicKey: %v", err)
			}
			if k.Type != tc.wantType || k.Bits != tc.wantBits || (k.Certificate != nil) != tc.wantCert {
				t.Errorf("got type %s bits %d cert %v, want %s %d %v", k.Type, k.Bits, k.Certificate != nil, tc.wantType, tc.wantBits, tc.wantCert)
			}
			if !uuid.MatchString(k.KeyID) {
				t.Errorf("KeyID = %q, want a version 8 UUID", k.KeyID)
			}
			if !strings.HasPrefix(k.Fingerprint, "SHA256:") || len(k.Fingerprint) != 7+64 {
				t.Errorf("Fingerprint = %q, want SHA256: and 64 hex digits", k.Fingerprint)
			}
		})
	}
}

// TestKeyIDStable checks that a key has the same ID as a public key PEM, inside a
// certificate and as PKCS #1.
func TestKeyIDStable(t *testing.T) {
	t.Parallel()
	a, err := ParsePublicKey(testdata(t, "rsa2048.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParsePublicKey(testdata(t, "rsa2048.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	priv := rsaPrivate(t, "rsa2048.key.pem")
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: mustPKCS1(priv)})
	c, err := ParsePublicKey(pkcs1)
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyID != b.KeyID || a.KeyID != c.KeyID || a.Fingerprint != b.Fingerprint {
		t.Errorf("key ids %s, %s, %s; want all equal", a.KeyID, b.KeyID, c.KeyID)
	}
	other, err := ParsePublicKey(testdata(t, "p256.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if other.KeyID == a.KeyID {
		t.Errorf("two different keys share key id %s", a.KeyID)
	}
}

func TestParsePublicKeyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pem     []byte
		want    string
		wantErr error
	}{
		{"weak rsa", testdata(t, "rsa1024.pub.pem"), "parse public key: rsa key of 1024 bits: weak key (minimum 2048)", ErrWeakKey},
		{"ed25519", testdata(t, "ed25519.pub.pem"), "parse public key: ed25519 key: unsupported (signing only; use RSA, P-256, P-384, P-521 or X25519)", ErrUnsupported},
		{"private key", testdata(t, "rsa2048.key.pem"), `parse public key: pem block "PRIVATE KEY" is a private key; give the public key or certificate`, nil},
		{"not pem", []byte("Certificate to use for encryption should be provided here."), "parse public key: no pem block", nil},
		{"garbage der", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), "", nil},
		{"other block", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{1}}), `parse public key: pem block "X509 CRL": want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParsePublicKey(tc.pem)
			if err == nil {
				t.Fatalf("ParsePublicKey = %+v, want error", k)
			}
			if tc.want != "" && err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tc.wantErr)
			}
		})
	}
}

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want string
	}{
		{"rsa2048.key.pem", "*rsa.PrivateKey"},
		{"rsa2048.pkcs1.key.pem", "*rsa.PrivateKey"},
		{"p256.key.pem", "*ecdh.PrivateKey"},
		{"p256.sec1.key.pem", "*ecdh.PrivateKey"},
		{"x25519.key.pem", "*ecdh.PrivateKey"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			k, err := ParsePrivateKey(testdata(t, tc.file))
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if got := typeName(k); got != tc.want {
				t.Errorf("type = %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := ParsePrivateKey(testdata(t, "rsa2048.pub.pem")); err == nil || err.Error() != `parse private key: pem block "PUBLIC KEY": want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY` {
		t.Errorf("ParsePrivateKey(public key) error = %v", err)
	}
}
