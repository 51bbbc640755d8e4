package inputcrypt

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"testing"

	"github.com/ringfence/ringfence/secret"
)

func TestHPKERoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pub     string
		priv    string
		wantKEM uint16
	}{
		{"P-256", "p256.pub.pem", "p256.key.pem", 0x0010},
		{"P-256 SEC 1 private key", "p256.pub.pem", "p256.sec1.key.pem", 0x0010},
		{"P-384", "p384.pub.pem", "p384.key.pem", 0x0011},
		{"X25519", "x25519.pub.pem", "x25519.key.pem", 0x0020},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pk, err := ParsePublicKey(testdata(t, tc.pub))
			if err != nil {
				t.Fatal(err)
			}
			priv := ecdhPrivate(t, tc.priv)
			for _, size := range []int{0, 16, 5000} {
				want := plain(size)
				env, err := SealHPKE("key-1", pk.Key.(*ecdh.PublicKey), secret.New(want), WithContact("inst-1", "contact-1"))
				if err != nil {
					t.Fatalf("SealHPKE: %v", err)
				}
				e, err := ParseHPKEEnvelope(env)
				if err != nil {
					t.Fatalf("ParseHPKEEnvelope: %v", err)
				}
				if e.KEMID != tc.wantKEM || e.KeyID != "key-1" || e.AEADID != 0x0002 {
					t.Errorf("envelope kem 0x%04x key %q aead 0x%04x, want kem 0x%04x key %q aead 0x0002", e.KEMID, e.KeyID, e.AEADID, tc.wantKEM, "key-1")
				}
				got, err := OpenHPKE(env, priv, WithContact("inst-1", "contact-1"))
				if err != nil {
					t.Fatalf("OpenHPKE: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("OpenHPKE = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestHPKEBinding(t *testing.T) {
	t.Parallel()
	pk, err := ParsePublicKey(testdata(t, "p256.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	priv := ecdhPrivate(t, "p256.key.pem")
	env, err := SealHPKE("key-1", pk.Key.(*ecdh.PublicKey), secret.New([]byte("4111111111111111")), WithContact("inst-1", "contact-1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     []byte
		priv    *ecdh.PrivateKey
		opts    []Option
		want    string
		wantErr error
	}{
		{"other contact", env, priv, []Option{WithContact("inst-1", "contact-2")}, "hpke: open: ciphertext does not authenticate for this key, instance and contact", ErrAuthentication},
		{"other instance", env, priv, []Option{WithContact("inst-2", "contact-1")}, "hpke: open: ciphertext does not authenticate for this key, instance and contact", ErrAuthentication},
		{"no contact", env, priv, nil, "hpke: instance id and contact id required (WithContact)", nil},
		{"other key", env, ecdhPrivate(t, "x25519.key.pem"), []Option{WithContact("inst-1", "contact-1")}, "hpke: envelope kem 0x0010, private key kem 0x0020: unsupported", ErrUnsupported},
		{"bad magic", append([]byte("XXXX"), env[4:]...), priv, []Option{WithContact("inst-1", "contact-1")}, "hpke: magic 58585858, want 52464945", ErrMalformed},
		{"short", env[:20], priv, []Option{WithContact("inst-1", "contact-1")}, "hpke: enc length 65 exceeds remaining 1 bytes", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := OpenHPKE(tc.env, tc.priv, tc.opts...)
			if err == nil {
				t.Fatalf("OpenHPKE = %d bytes, want error", len(got))
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tc.wantErr)
			}
		})
	}
}

func TestHPKETamper(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"p256", "x25519"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pk, err := ParsePublicKey(testdata(t, name+".pub.pem"))
			if err != nil {
				t.Fatal(err)
			}
			priv := ecdhPrivate(t, name+".key.pem")
			ctx := WithContact("inst-1", "contact-1")
			env, err := SealHPKE("key-1", pk.Key.(*ecdh.PublicKey), secret.New(plain(20)), ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i := range env {
				for _, mask := range []byte{0x01, 0x80} {
					bad := bytes.Clone(env)
					bad[i] ^= mask
					if _, err := OpenHPKE(bad, priv, ctx); err == nil {
						t.Fatalf("byte %d ^ 0x%02x: OpenHPKE succeeded, want error", i, mask)
					}
				}
			}
			for n := range len(env) {
				if _, err := OpenHPKE(env[:n], priv, ctx); err == nil {
					t.Fatalf("truncated to %d of %d bytes: OpenHPKE succeeded, want error", n, len(env))
				}
			}
			for _, ext := range [][]byte{{0}, make([]byte, 16)} {
				if _, err := OpenHPKE(append(bytes.Clone(env), ext...), priv, ctx); !errors.Is(err, ErrAuthentication) {
					t.Fatalf("extended by %d bytes: error = %v, want ErrAuthentication", len(ext), err)
				}
			}
		})
	}
}

func TestSealHPKEErrors(t *testing.T) {
	t.Parallel()
	pk, err := ParsePublicKey(testdata(t, "p256.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub := pk.Key.(*ecdh.PublicKey)
	tests := []struct {
		name  string
		keyID string
		pt    []byte
		opts  []Option
		want  string
	}{
		{"no contact", "k", nil, nil, "hpke: seal: instance id and contact id required (WithContact)"},
		{"empty key id", "", nil, []Option{WithContact("i", "c")}, "hpke: seal: key id of 0 bytes: want 1 to 255"},
		{"long key id", string(make([]byte, 256)), nil, []Option{WithContact("i", "c")}, "hpke: seal: key id of 256 bytes: want 1 to 255"},
		{"too long", "k", make([]byte, MaxHPKEPlaintext+1), []Option{WithContact("i", "c")}, "hpke: seal: plaintext of 1048577 bytes exceeds 1048576"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := SealHPKE(tc.keyID, pub, secret.New(tc.pt), tc.opts...)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
