package inputcrypt

import (
	"bytes"
	"errors"
	"testing"
)

// errorClassified reports whether err wraps one of the package's sentinel errors, so
// every rejection of hostile input is classified.
func errorClassified(err error) bool {
	for _, s := range []error{ErrMalformed, ErrAuthentication, ErrNoDecryptableKey, ErrUnsupported} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// fuzzDataKey is the data key of the FuzzDecrypt seeds: they are written with a
// randomness source of constant 0x07 bytes, and the data key is read first.
func fuzzDataKey(h *Header) ([]byte, error) {
	return bytes.Repeat([]byte{7}, h.suite.keyLen), nil
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// FuzzDecrypt feeds arbitrary bytes to the AWS Encryption SDK parser and decryptor.
// The RSA unwrap is replaced by the seeds' known data key, so that every execution
// reaches key derivation, commitment, header authentication, frames and signature
// (an RSA private-key operation per execution would slow coverage-guided fuzzing to
// a crawl). Seeds are in testdata/fuzz/FuzzDecrypt.
// Run: go test -run '^$' -fuzz=FuzzDecrypt -fuzztime=20s ./inputcrypt
func FuzzDecrypt(f *testing.F) {
	f.Fuzz(func(t *testing.T, msg []byte) {
		if _, err := ParseHeader(msg); err != nil && !errorClassified(err) {
			t.Fatalf("ParseHeader error %q is not classified", err)
		}
		if _, err := verifyStructureAndSignature(msg); err != nil && !errorClassified(err) {
			t.Fatalf("signature check error %q is not classified", err)
		}
		pt, err := openMessage(msg, fuzzDataKey)
		if err != nil {
			if !errorClassified(err) {
				t.Fatalf("decrypt error %q is not classified", err)
			}
			return
		}
		if len(pt) > len(msg) {
			t.Fatalf("plaintext of %d bytes from a %d-byte message", len(pt), len(msg))
		}
	})
}

// FuzzOpenHPKE feeds arbitrary bytes to the HPKE envelope parser and opener. Seeds are
// in testdata/fuzz/FuzzOpenHPKE. Run: go test -fuzz=FuzzOpenHPKE -fuzztime=20s ./inputcrypt
func FuzzOpenHPKE(f *testing.F) {
	priv := ecdhPrivate(f, "p256.key.pem")
	ctx := WithContact("inst-1", "contact-1")
	f.Fuzz(func(t *testing.T, env []byte) {
		if _, err := ParseHPKEEnvelope(env); err != nil && !errorClassified(err) {
			t.Fatalf("ParseHPKEEnvelope error %q is not classified", err)
		}
		pt, err := OpenHPKE(env, priv, ctx)
		if err != nil {
			if !errorClassified(err) {
				t.Fatalf("OpenHPKE error %q is not classified", err)
			}
			return
		}
		if len(pt) > len(env) {
			t.Fatalf("plaintext of %d bytes from a %d-byte envelope", len(pt), len(env))
		}
	})
}
