package keyring_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ringfence/ringfence/keyring"
)

// FuzzOpen feeds arbitrary bytes to Open: it must not panic, and nothing but the one value
// sealed here may open. Seeds are in testdata/fuzz/FuzzOpen; the sealed value is added too.
func FuzzOpen(f *testing.F) {
	seed := rand.NewChaCha8([32]byte{1})
	l, err := keyring.OpenLocal(keyring.DefaultPath(f.TempDir()), keyring.LocalOptions{Rand: seed})
	if err != nil {
		f.Fatal(err)
	}
	env := keyring.NewEnvelope(l, seed)
	ctx := context.Background()
	valid, err := env.Seal(ctx, []byte("4111111111111111"), loc)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Fuzz(func(t *testing.T, ct []byte) {
		got, err := env.Open(ctx, ct, loc)
		if err == nil && (!bytes.Equal(ct, valid) || string(got.Reveal()) != "4111111111111111") {
			t.Fatalf("Open(%x) succeeded for a value never sealed", ct)
		}
		_, _ = keyring.Version(ct)
	})
}
