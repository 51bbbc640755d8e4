package inputcrypt

import (
	"crypto/ecdh"
	"testing"

	"github.com/ringfence/ringfence/secret"
)

// Benchmarks report operations per second for a 16-digit card number.
// Run: go test -run '^$' -bench . -benchmem ./inputcrypt

func reportOpsPerSecond(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkEncryptESDK(b *testing.B) {
	priv := rsaPrivate(b, "rsa2048.key.pem")
	for _, s := range []Suite{SuiteAES256GCMHKDFSHA384ECDSAP384, SuiteAES256GCMHKDFSHA512CommitECDSAP384} {
		b.Run("rsa2048/"+s.String(), func(b *testing.B) {
			pt := secret.New([]byte(canaryPAN))
			for b.Loop() {
				if _, err := Encrypt("key-1", &priv.PublicKey, pt, WithSuite(s)); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSecond(b)
		})
	}
}

func BenchmarkDecryptESDK(b *testing.B) {
	priv := rsaPrivate(b, "rsa2048.key.pem")
	for _, s := range []Suite{SuiteAES256GCMHKDFSHA384ECDSAP384, SuiteAES256GCMHKDFSHA512CommitECDSAP384} {
		b.Run("rsa2048/"+s.String(), func(b *testing.B) {
			msg, err := Encrypt("key-1", &priv.PublicKey, secret.New([]byte(canaryPAN)), WithSuite(s))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Decrypt(msg, priv); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSecond(b)
		})
	}
}

func BenchmarkSealHPKE(b *testing.B) {
	for _, name := range []string{"p256", "x25519"} {
		b.Run(name, func(b *testing.B) {
			pk, err := ParsePublicKey(testdata(b, name+".pub.pem"))
			if err != nil {
				b.Fatal(err)
			}
			pub := pk.Key.(*ecdh.PublicKey)
			pt := secret.New([]byte(canaryPAN))
			ctx := WithContact("inst-1", "contact-1")
			for b.Loop() {
				if _, err := SealHPKE("key-1", pub, pt, ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSecond(b)
		})
	}
}

func BenchmarkOpenHPKE(b *testing.B) {
	for _, name := range []string{"p256", "x25519"} {
		b.Run(name, func(b *testing.B) {
			pk, err := ParsePublicKey(testdata(b, name+".pub.pem"))
			if err != nil {
				b.Fatal(err)
			}
			priv := ecdhPrivate(b, name+".key.pem")
			ctx := WithContact("inst-1", "contact-1")
			env, err := SealHPKE("key-1", pk.Key.(*ecdh.PublicKey), secret.New([]byte(canaryPAN)), ctx)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := OpenHPKE(env, priv, ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSecond(b)
		})
	}
}

// BenchmarkEncryptInput measures the flow engine's path: PEM parsing included.
func BenchmarkEncryptInput(b *testing.B) {
	for _, name := range []string{"rsa2048.cert.pem", "p256.pub.pem"} {
		b.Run(name, func(b *testing.B) {
			key := string(testdata(b, name))
			p := NewProvider().ForContact("inst-1", "contact-1")
			in := secretString(canaryPAN)
			for b.Loop() {
				if _, err := p.EncryptInput("key-1", key, in); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSecond(b)
		})
	}
}
