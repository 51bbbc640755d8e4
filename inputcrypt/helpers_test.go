package inputcrypt

import (
	"crypto/ecdh"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"path/filepath"

	"github.com/ringfence/ringfence/secret"
	"testing"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	return readFile(t, filepath.Join("testdata", name))
}

func rsaPrivate(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(testdata(t, name))
	if err != nil {
		t.Fatalf("ParsePrivateKey(%s): %v", name, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("%s is %T, want *rsa.PrivateKey", name, k)
	}
	return rk
}

func ecdhPrivate(t testing.TB, name string) *ecdh.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(testdata(t, name))
	if err != nil {
		t.Fatalf("ParsePrivateKey(%s): %v", name, err)
	}
	ek, ok := k.(*ecdh.PrivateKey)
	if !ok {
		t.Fatalf("%s is %T, want *ecdh.PrivateKey", name, k)
	}
	return ek
}

// plain returns n bytes of predictable, non-sensitive test content.
func plain(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + i%10)
	}
	return b
}

func secretString(s string) secret.Value[string] { return secret.New(s) }

func typeName(v any) string { return fmt.Sprintf("%T", v) }

func mustPKCS1(k *rsa.PrivateKey) []byte { return x509.MarshalPKCS1PublicKey(&k.PublicKey) }
