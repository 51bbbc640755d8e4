package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/ringfence/ringfence/secret"
)

// HashPrefix starts every keyed hash Hasher produces.
const HashPrefix = "hmac-sha256:"

// Hasher computes keyed hashes of sensitive values for audit events and flow logs, in the form
// "hmac-sha256:" followed by the unpadded base64url (RFC 4648 section 5) of
// HMAC-SHA256(key, value) (RFC 2104): 12 + 43 = 55 characters. Equal values hash equal under
// the same key, so records can be correlated without storing the value; without the key the
// hash cannot be confirmed by guessing. It is safe for concurrent use and prints without its
// key.
type Hasher struct {
	// The key is captured in a closure: fmt does not call the methods of unexported fields
	// (so a secret.Value field would print its bytes inside another struct) and may
	// dereference pointers, but it prints a func only as an address.
	mac func() hash.Hash
}

// NewHasher returns a Hasher with key (32 bytes recommended; Local.Hasher supplies the key
// file's dedicated HMAC key, separate from every KEK).
func NewHasher(key secret.Value[[]byte]) *Hasher {
	k := bytes.Clone(key.Reveal())
	return &Hasher{mac: func() hash.Hash { return hmac.New(sha256.New, k) }}
}

// Sum returns the keyed hash of v.
func (h *Hasher) Sum(v secret.Value[[]byte]) string {
	m := h.mac()
	m.Write(v.Reveal())
	return HashPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SumString returns the keyed hash of the UTF-8 bytes of v.
func (h *Hasher) SumString(v secret.Value[string]) string {
	m := h.mac()
	_, _ = io.WriteString(m, v.Reveal())
	return HashPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports, in constant time with respect to the hash bytes, whether hash is the keyed
// hash of v. A hash without HashPrefix or with bad base64url is reported as false.
func (h *Hasher) Verify(hash string, v secret.Value[[]byte]) bool {
	enc, ok := strings.CutPrefix(hash, HashPrefix)
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return false
	}
	m := h.mac()
	m.Write(v.Reveal())
	return hmac.Equal(got, m.Sum(nil))
}

// String returns "keyring.Hasher" and never the key.
func (h Hasher) String() string { return "keyring.Hasher" }

// Format implements fmt.Formatter so that every verb prints String.
func (h Hasher) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, h.String()) }
