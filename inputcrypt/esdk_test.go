package inputcrypt

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/secret"
)

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	priv := rsaPrivate(t, "rsa2048.key.pem")
	tests := []struct {
		name  string
		suite Suite
		size  int
		frame uint32
	}{
		{"0378 empty", SuiteAES256GCMHKDFSHA384ECDSAP384, 0, 0},
		{"0378 card number", SuiteAES256GCMHKDFSHA384ECDSAP384, 16, 0},
		{"0378 one frame exactly", SuiteAES256GCMHKDFSHA384ECDSAP384, 4096, 0},
		{"0378 two frames", SuiteAES256GCMHKDFSHA384ECDSAP384, 4097, 0},
		{"0378 many small frames", SuiteAES256GCMHKDFSHA384ECDSAP384, 100, 7},
		{"0578 empty", SuiteAES256GCMHKDFSHA512CommitECDSAP384, 0, 0},
		{"0578 card number", SuiteAES256GCMHKDFSHA512CommitECDSAP384, 16, 0},
		{"0578 three frames", SuiteAES256GCMHKDFSHA512CommitECDSAP384, 10000, 0},
		{"0578 many small frames", SuiteAES256GCMHKDFSHA512CommitECDSAP384, 100, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := plain(tc.size)
			opts := []Option{WithSuite(tc.suite)}
			if tc.frame != 0 {
				opts = append(opts, WithFrameLength(tc.frame))
			}
			msg, err := Encrypt("key-1", &priv.PublicKey, secret.New(want), opts...)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			got, err := Decrypt(msg, priv, WithKeyProvider(ConnectProviderID, "key-1"))
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Decrypt = %q, want %q", got, want)
			}
			h, err := ParseHeader(msg)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			wantFrame := tc.frame
			if wantFrame == 0 {
				wantFrame = DefaultFrameLength
			}
			wantVersion := 1
			if tc.suite == SuiteAES256GCMHKDFSHA512CommitECDSAP384 {
				wantVersion = 2
			}
			gotShape := []any{h.Version, h.Suite, h.Framed, h.FrameLength, len(h.EncryptedDataKeys), h.EncryptedDataKeys[0].ProviderID, h.EncryptedDataKeys[0].ProviderInfo, len(h.EncryptedDataKeys[0].Ciphertext), len(h.EncryptionContext)}
			wantShape := []any{wantVersion, tc.suite, true, wantFrame, 1, "AmazonConnect", "key-1", 256, 1}
			if diff := cmp.Diff(wantShape, gotShape); diff != "" {
				t.Errorf("header shape (-want +got):\n%s", diff)
			}
			if pk := h.EncryptionContext["aws-crypto-public-key"]; len(pk) != 68 {
				t.Errorf("aws-crypto-public-key = %q, want 68 base64 characters (49-byte compressed P-384 point)", pk)
			}
			if got := binary.BigEndian.Uint16(msg[len(msg)-105:]); got != 103 {
				t.Errorf("signature length = %d, want 103 (as Connect)", got)
			}
		})
	}
}

// TestSealAllSuites encrypts under every suite and padding with the internal message
// writer and decrypts with Decrypt, covering the decryption paths the vectors cover
// without needing the shared corpus.
func TestSealAllSuites(t *testing.T) {
	t.Parallel()
	priv := rsaPrivate(t, "rsa2048.key.pem")
	suites := []Suite{0x0014, 0x0046, 0x0078, 0x0114, 0x0146, 0x0178, 0x0214, 0x0346, 0x0378, 0x0478, 0x0578}
	paddings := []Padding{PaddingOAEPSHA512, PaddingOAEPSHA384, PaddingOAEPSHA256, PaddingOAEPSHA1, PaddingPKCS1v15}
	want := plain(5000)
	for _, id := range suites {
		for _, p := range paddings {
			t.Run(id.String()+"/"+p.String(), func(t *testing.T) {
				t.Parallel()
				s, err := lookupSuite(id)
				if err != nil {
					t.Fatal(err)
				}
				wrap := func(dk []byte) ([]byte, error) {
					if p == PaddingPKCS1v15 {
						return rsa.EncryptPKCS1v15(rand.Reader, &priv.PublicKey, dk)
					}
					h, err := p.oaepHash()
					if err != nil {
						return nil, err
					}
					return rsa.EncryptOAEP(h, rand.Reader, &priv.PublicKey, dk, nil)
				}
				opts := newOptions(nil)
				msg, err := sealMessage(s, "test-namespace", "test-key", wrap, want, 1024, opts.rand)
				if err != nil {
					t.Fatalf("sealMessage: %v", err)
				}
				got, err := Decrypt(msg, priv, WithPadding(p), WithKeyProvider("test-namespace", "test-key"))
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("plaintext differs")
				}
			})
		}
	}
}

// TestTamper checks that every single-byte change, every truncation and extensions of
// a message we produce are rejected.
func TestTamper(t *testing.T) {
	t.Parallel()
	priv := rsaPrivate(t, "rsa2048.key.pem")
	for _, suite := range []Suite{SuiteAES256GCMHKDFSHA384ECDSAP384, SuiteAES256GCMHKDFSHA512CommitECDSAP384} {
		t.Run(suite.String(), func(t *testing.T) {
			t.Parallel()
			msg, err := Encrypt("key-1", &priv.PublicKey, secret.New(plain(20)), WithSuite(suite), WithFrameLength(8))
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if _, err := Decrypt(msg, priv); err != nil {
				t.Fatalf("Decrypt of the untouched message: %v", err)
			}
			for i := range msg {
				for _, mask := range []byte{0x01, 0x80} {
					bad := bytes.Clone(msg)
					bad[i] ^= mask
					if got, err := Decrypt(bad, priv); err == nil {
						t.Fatalf("byte %d ^ 0x%02x: Decrypt = %d bytes, want error", i, mask, len(got))
					}
				}
			}
			for n := range len(msg) {
				if _, err := Decrypt(msg[:n], priv); err == nil {
					t.Fatalf("truncated to %d of %d bytes: Decrypt succeeded, want error", n, len(msg))
				}
			}
			for _, ext := range [][]byte{{0}, {0xFF}, make([]byte, 16), msg} {
				bad := append(bytes.Clone(msg), ext...)
				_, err := Decrypt(bad, priv)
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("extended by %d bytes: Decrypt error = %v, want ErrMalformed", len(ext), err)
				}
				if want := "bytes after the end of the message"; !strings.Contains(err.Error(), want) {
					t.Errorf("extended by %d bytes: error = %q, want it to contain %q", len(ext), err, want)
				}
			}
		})
	}
}

// edkLengthOffset returns the offset of the first encrypted data key's ciphertext
// length field, for crafting malformed messages.
func edkLengthOffset(t *testing.T, msg []byte) int {
	t.Helper()
	h, err := ParseHeader(msg)
	if err != nil {
		t.Fatal(err)
	}
	off := 2 + 2 + len(h.MessageID)
	off += 2 + int(binary.BigEndian.Uint16(msg[off:]))
	off += 2 // edk count
	edk := h.EncryptedDataKeys[0]
	off += 2 + len(edk.ProviderID) + 2 + len(edk.ProviderInfo)
	return off
}

func TestDecryptErrors(t *testing.T) {
	t.Parallel()
	priv := rsaPrivate(t, "rsa2048.key.pem")
	other := rsaPrivate(t, "rsa1024.key.pem")
	msg, err := Encrypt("key-1", &priv.PublicKey, secret.New(plain(16)))
	if err != nil {
		t.Fatal(err)
	}
	edkOff := edkLengthOffset(t, msg)
	longEDK := append(bytes.Clone(msg[:edkOff]), 0xFF, 0xFF)
	longEDK = append(longEDK, make([]byte, 12)...)

	s, _ := lookupSuite(SuiteAES256GCMHKDFSHA256)
	wrap := func(dk []byte) ([]byte, error) {
		return rsa.EncryptOAEP(sha512New(), rand.Reader, &priv.PublicKey, dk, nil)
	}
	huge, err := sealMessage(s, ConnectProviderID, "key-1", wrap, plain(16), 0xFFFFFFFF, newOptions(nil).rand)
	if err != nil {
		t.Fatal(err)
	}
	hh, err := ParseHeader(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Turn the final frame into a regular frame of the header's 4 GiB frame length.
	hugeRegular := append(bytes.Clone(huge[:hh.Length]), huge[hh.Length+4:]...)

	tests := []struct {
		name    string
		msg     []byte
		key     *rsa.PrivateKey
		opts    []Option
		want    string
		wantErr error
	}{
		{"empty", nil, priv, nil, "esdk: header: version: need 1 bytes, 0 remaining", ErrMalformed},
		{"bad version", []byte{0x03}, priv, nil, "esdk: header: version 0x03, want 0x01 or 0x02", ErrMalformed},
		{"bad type", []byte{0x01, 0x81}, priv, nil, "esdk: header: type 0x81, want 0x80", ErrMalformed},
		{"unknown suite", []byte{0x01, 0x80, 0x99, 0x99}, priv, nil, "esdk: header: algorithm suite 0x9999: unsupported", ErrUnsupported},
		{"v2 suite in v1 header", []byte{0x01, 0x80, 0x05, 0x78}, priv, nil, "esdk: header: algorithm suite 0x0578 needs message format version 2, header has 1", ErrMalformed},
		{"edk longer than input", longEDK, priv, nil, "esdk: header: encrypted data key 1: ciphertext length 65535 exceeds remaining 12 bytes", ErrMalformed},
		{"4 GiB frame", hugeRegular, priv, nil, "esdk: body: frame 1: content and tag length 4294967311 exceeds remaining 36 bytes", ErrMalformed},
		{"wrong private key", msg, other, nil, `esdk: no encrypted data key could be decrypted: 1 with provider id "AmazonConnect" failed to unwrap with this key and OAEP-SHA512`, ErrNoDecryptableKey},
		{"wrong padding", msg, priv, []Option{WithPadding(PaddingOAEPSHA256)}, `esdk: no encrypted data key could be decrypted: 1 with provider id "AmazonConnect" failed to unwrap with this key and OAEP-SHA256`, ErrNoDecryptableKey},
		{"wrong key name", msg, priv, []Option{WithKeyProvider(ConnectProviderID, "key-2")}, `esdk: no encrypted data key could be decrypted: none has provider id "AmazonConnect" and key name "key-2"`, ErrNoDecryptableKey},
		{"wrong provider", msg, priv, []Option{WithKeyProvider("other", "")}, `esdk: no encrypted data key could be decrypted: none has provider id "other"`, ErrNoDecryptableKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decrypt(tc.msg, tc.key, tc.opts...)
			if err == nil {
				t.Fatalf("Decrypt = %d bytes, want error %q", len(got), tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q\nwant    %q", err, tc.want)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tc.wantErr)
			}
		})
	}
}

// TestDecryptHugeFrameAllocation checks that a frame declaring 4 GiB is rejected
// without a large allocation.
func TestDecryptHugeFrameAllocation(t *testing.T) {
	priv := rsaPrivate(t, "rsa2048.key.pem")
	s, _ := lookupSuite(SuiteAES256GCMHKDFSHA256)
	wrap := func(dk []byte) ([]byte, error) {
		return rsa.EncryptOAEP(sha512New(), rand.Reader, &priv.PublicKey, dk, nil)
	}
	huge, err := sealMessage(s, ConnectProviderID, "key-1", wrap, plain(16), 0xFFFFFFFF, newOptions(nil).rand)
	if err != nil {
		t.Fatal(err)
	}
	hh, _ := ParseHeader(huge)
	bad := append(bytes.Clone(huge[:hh.Length]), huge[hh.Length+4:]...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Decrypt(bad, priv)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("Decrypt error = %v, want ErrMalformed", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("Decrypt allocated %d bytes, want under 1 MiB", got)
	}
}

func TestEncryptErrors(t *testing.T) {
	t.Parallel()
	priv := rsaPrivate(t, "rsa2048.key.pem")
	weak := rsaPrivate(t, "rsa1024.key.pem")
	tests := []struct {
		name    string
		keyID   string
		pub     *rsa.PublicKey
		opts    []Option
		want    string
		wantErr error
	}{
		{"weak key", "k", &weak.PublicKey, nil, "esdk: encrypt: rsa key of 1024 bits: weak key (minimum 2048)", ErrWeakKey},
		{"unsigned suite", "k", &priv.PublicKey, []Option{WithSuite(SuiteAES256GCMHKDFSHA256)}, "esdk: encrypt: algorithm suite 0x0178: unsupported (encrypt uses 0x0378 or 0x0578)", ErrUnsupported},
		{"empty key id", "", &priv.PublicKey, nil, "esdk: encrypt: key id of 0 bytes: want 1 to 65535", nil},
		{"zero frame", "k", &priv.PublicKey, []Option{WithFrameLength(0)}, "esdk: encrypt: frame length 0: want 1 to 2^31", nil},
		{"failing rand", "k", &priv.PublicKey, []Option{WithRand(strings.NewReader("short"))}, "esdk: encrypt: data key: unexpected EOF", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Encrypt(tc.keyID, tc.pub, secret.New([]byte("4111111111111111")), tc.opts...)
			if err == nil {
				t.Fatalf("Encrypt succeeded, want error %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "4111") {
				t.Errorf("error %q contains plaintext", err)
			}
		})
	}
}

// TestEncryptInjectedRand checks that the injected randomness drives the data
// key, message ID and IVs: two encryptions with the same source share a message ID.
func TestEncryptInjectedRand(t *testing.T) {
	t.Parallel()
	priv := rsaPrivate(t, "rsa2048.key.pem")
	seed := bytes.Repeat([]byte{7}, 4096)
	a, err := Encrypt("k", &priv.PublicKey, secret.New(plain(16)), WithRand(bytes.NewReader(seed)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encrypt("k", &priv.PublicKey, secret.New(plain(16)), WithRand(bytes.NewReader(seed)))
	if err != nil {
		t.Fatal(err)
	}
	ha, _ := ParseHeader(a)
	hb, _ := ParseHeader(b)
	if !bytes.Equal(ha.MessageID, hb.MessageID) || !bytes.Equal(ha.MessageID, seed[:16]) {
		t.Errorf("message ids %x and %x, want both %x from the injected source", ha.MessageID, hb.MessageID, seed[:16])
	}
	if got, err := Decrypt(a, priv); err != nil || !bytes.Equal(got, plain(16)) {
		t.Errorf("Decrypt = %q, %v; want %q", got, err, plain(16))
	}
}
