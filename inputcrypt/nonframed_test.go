package inputcrypt

import (
	"bytes"
	"errors"
	"testing"
)

// nonFramedMessage writes a version 1 non-framed message (content type 0x01, frame
// length 0, single block; specification data-format/message-body.md "Non-Framed Data")
// under an unsigned suite with the given data key.
func nonFramedMessage(t *testing.T, id Suite, dataKey, plaintext []byte) []byte {
	t.Helper()
	s, err := lookupSuite(id)
	if err != nil {
		t.Fatal(err)
	}
	messageID := bytes.Repeat([]byte{3}, messageIDv1)
	edks := []EncryptedDataKey{{ProviderID: "p", ProviderInfo: "k", Ciphertext: []byte{1}}}
	msg := appendHeaderBody(nil, s, messageID, nil, edks, 0, nil)
	msg[len(msg)-10] = contentNonFramed
	key, _, err := deriveKeys(s, dataKey, messageID)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := newGCM(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := bytes.Repeat([]byte{9}, ivLen)
	msg = aead.Seal(append(msg, iv...), iv, nil, msg)
	msg = append(msg, iv...)
	msg = appendU64(msg, uint64(len(plaintext)))
	return aead.Seal(msg, iv, plaintext, bodyAAD(nil, messageID, aadSingleBlock, 1, uint64(len(plaintext))))
}

func TestNonFramed(t *testing.T) {
	t.Parallel()
	for _, id := range []Suite{SuiteAES128GCM, SuiteAES256GCMHKDFSHA256} {
		t.Run(id.String(), func(t *testing.T) {
			t.Parallel()
			s, _ := lookupSuite(id)
			dk := bytes.Repeat([]byte{5}, s.keyLen)
			unwrap := func(*Header) ([]byte, error) { return dk, nil }
			want := plain(300)
			msg := nonFramedMessage(t, id, dk, want)
			got, err := openMessage(msg, unwrap)
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plaintext differs")
			}
			for i := range msg {
				bad := bytes.Clone(msg)
				bad[i] ^= 0x01
				if _, err := openMessage(bad, unwrap); err == nil {
					t.Fatalf("byte %d flipped: decrypt succeeded, want error", i)
				}
			}
			// A content length of 2^64-1 is rejected before any allocation.
			huge := bytes.Clone(msg)
			h, _ := ParseHeader(huge)
			copy(huge[h.Length+ivLen:], []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
			_, err = openMessage(huge, unwrap)
			if want := "body: content length 18446744073709551615 exceeds remaining 316 bytes"; err == nil || err.Error() != want || !errors.Is(err, ErrMalformed) {
				t.Errorf("error = %v, want %q", err, want)
			}
		})
	}
}
