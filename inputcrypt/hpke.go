package inputcrypt

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"

	"github.com/ringfence/ringfence/secret"
)

// HPKE envelope, the native format for EC keys. All integers are big-endian:
//
//	offset     size  field
//	0          4     magic "RFIE" (Ringfence input envelope)
//	4          1     version, 0x01
//	5          2     KEM ID   (RFC 9180 §7.1: 0x0010 P-256, 0x0011 P-384, 0x0012 P-521, 0x0020 X25519)
//	7          2     KDF ID   (RFC 9180 §7.2: 0x0001 HKDF-SHA256, 0x0002 HKDF-SHA384, 0x0003 HKDF-SHA512)
//	9          2     AEAD ID  (RFC 9180 §7.3: 0x0002 AES-256-GCM)
//	11         1     key ID length k, 1..255
//	12         k     key ID (UTF-8; the security key's ID)
//	12+k       2     enc length e, equal to the KEM's Nenc (65, 97, 133, 32)
//	14+k       e     enc, the encapsulated ephemeral public key
//	14+k+e     rest  ciphertext: AEAD output with 16-byte tag, at least 16 bytes
//
// Base mode (RFC 9180 §5.1.1). The HPKE info is "ringfence inputcrypt v1" ‖ 0x00 ‖
// u16 len ‖ instance ID ‖ u16 len ‖ contact ID, and the AAD of the single Seal is
// the envelope bytes from offset 0 to the end of enc, so the suite, key ID and
// encapsulated key are authenticated and the envelope opens only for the same
// instance and contact.
const (
	hpkeMagic      = "RFIE"
	hpkeVersion    = 1
	hpkeInfoPrefix = "ringfence inputcrypt v1"
	hpkeAEADID     = 0x0002
	// MaxHPKEPlaintext is the largest plaintext SealHPKE accepts, in bytes.
	MaxHPKEPlaintext = 1 << 20
)

// hpkeSuite returns the KEM, KDF and AEAD IDs for a curve.
func hpkeSuite(c ecdh.Curve) (kem, kdf uint16, nenc int, err error) {
	switch c {
	case ecdh.P256():
		return 0x0010, 0x0001, 65, nil
	case ecdh.P384():
		return 0x0011, 0x0002, 97, nil
	case ecdh.P521():
		return 0x0012, 0x0003, 133, nil
	case ecdh.X25519():
		return 0x0020, 0x0001, 32, nil
	}
	return 0, 0, 0, fmt.Errorf("curve %v: %w", c, ErrUnsupported)
}

// HPKEEnvelope is a parsed HPKE envelope (layout on SealHPKE). Enc and Ciphertext
// alias the parsed input.
type HPKEEnvelope struct {
	// KEMID, KDFID and AEADID are the RFC 9180 §7 algorithm identifiers.
	KEMID, KDFID, AEADID uint16
	// KeyID names the public key the envelope was sealed to, 1 to 255 bytes.
	KeyID string
	// Enc is the encapsulated ephemeral public key (RFC 9180 §4), Nenc bytes for the KEM.
	Enc []byte
	// Ciphertext is the AEAD output including its 16-byte tag.
	Ciphertext []byte

	header []byte // envelope bytes up to the end of Enc: the AAD
}

func hpkeInfo(instanceID, contactID string) ([]byte, error) {
	if instanceID == "" || contactID == "" {
		return nil, errors.New("instance id and contact id required (WithContact)")
	}
	if len(instanceID) > 0xFFFF || len(contactID) > 0xFFFF {
		return nil, errors.New("instance id or contact id longer than 65535 bytes")
	}
	info := append([]byte(hpkeInfoPrefix), 0)
	info = appendBytes16(info, []byte(instanceID))
	return appendBytes16(info, []byte(contactID)), nil
}

// SealHPKE encrypts plaintext to an EC public key (P-256, P-384, P-521 or X25519) as
// an HPKE envelope (RFC 9180, base mode, DHKEM with the curve's matching HKDF, AES-256-GCM):
//
//	"RFIE" | 0x01 | KEM ID (2) | KDF ID (2) | AEAD ID (2) | key ID len (1) | key ID |
//	enc len (2) | enc | ciphertext
//
// The instance and contact IDs from WithContact (required) are bound through the HPKE
// info; the envelope header is the AAD. keyID is 1 to 255 bytes; plaintext at most
// MaxHPKEPlaintext bytes. The ephemeral key comes from the system randomness source.
func SealHPKE(keyID string, pub *ecdh.PublicKey, plaintext secret.Value[[]byte], opts ...Option) ([]byte, error) {
	o := newOptions(opts)
	env, err := sealHPKE(keyID, pub, plaintext.Reveal(), o)
	if err != nil {
		return nil, fmt.Errorf("hpke: seal: %w", err)
	}
	return env, nil
}

func sealHPKE(keyID string, pub *ecdh.PublicKey, plaintext []byte, o options) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("no public key")
	}
	if keyID == "" || len(keyID) > 255 {
		return nil, fmt.Errorf("key id of %d bytes: want 1 to 255", len(keyID))
	}
	if len(plaintext) > MaxHPKEPlaintext {
		return nil, fmt.Errorf("plaintext of %d bytes exceeds %d", len(plaintext), MaxHPKEPlaintext)
	}
	info, err := hpkeInfo(o.instanceID, o.contactID)
	if err != nil {
		return nil, err
	}
	kemID, kdfID, _, err := hpkeSuite(pub.Curve())
	if err != nil {
		return nil, err
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("kem: %w", err)
	}
	kdf, err := hpke.NewKDF(kdfID)
	if err != nil {
		return nil, fmt.Errorf("kdf: %w", err)
	}
	enc, sender, err := hpke.NewSender(pk, kdf, hpke.AES256GCM(), info)
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	env := make([]byte, 0, 14+len(keyID)+len(enc)+len(plaintext)+tagLen)
	env = append(env, hpkeMagic...)
	env = append(env, hpkeVersion)
	env = appendU16(env, kemID)
	env = appendU16(env, kdfID)
	env = appendU16(env, hpkeAEADID)
	env = append(env, byte(len(keyID)))
	env = append(env, keyID...)
	env = appendBytes16(env, enc)
	ct, err := sender.Seal(env, plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return append(env, ct...), nil
}

// ParseHPKEEnvelope parses an HPKE envelope without decrypting it, so a caller can
// pick the private key by KeyID. It checks the magic, version, suite IDs (only the
// combinations SealHPKE writes), the enc length for the KEM and that the ciphertext
// holds at least a tag. Errors wrap ErrMalformed or ErrUnsupported.
func ParseHPKEEnvelope(b []byte) (*HPKEEnvelope, error) {
	e, err := parseHPKEEnvelope(b)
	if err != nil {
		return nil, fmt.Errorf("hpke: %w", err)
	}
	return e, nil
}

func parseHPKEEnvelope(b []byte) (*HPKEEnvelope, error) {
	r := &wireReader{b: b}
	magic, err := r.take(4, "magic")
	if err != nil {
		return nil, err
	}
	if string(magic) != hpkeMagic {
		return nil, malformed("magic %x, want %x", magic, hpkeMagic)
	}
	v, err := r.u8("version")
	if err != nil {
		return nil, err
	}
	if v != hpkeVersion {
		return nil, malformed("version %d, want %d", v, hpkeVersion)
	}
	e := &HPKEEnvelope{}
	if e.KEMID, err = r.u16("kem id"); err != nil {
		return nil, err
	}
	if e.KDFID, err = r.u16("kdf id"); err != nil {
		return nil, err
	}
	if e.AEADID, err = r.u16("aead id"); err != nil {
		return nil, err
	}
	nenc, err := checkHPKESuite(e.KEMID, e.KDFID, e.AEADID)
	if err != nil {
		return nil, err
	}
	kl, err := r.u8("key id length")
	if err != nil {
		return nil, err
	}
	if kl == 0 {
		return nil, malformed("key id length 0")
	}
	kid, err := r.takeLen(uint64(kl), "key id")
	if err != nil {
		return nil, err
	}
	e.KeyID = string(kid)
	if e.Enc, err = r.bytes16("enc"); err != nil {
		return nil, err
	}
	if len(e.Enc) != nenc {
		return nil, malformed("enc length %d, want %d for kem 0x%04x", len(e.Enc), nenc, e.KEMID)
	}
	e.header = b[:r.off:r.off]
	if r.remaining() < tagLen {
		return nil, malformed("ciphertext of %d bytes is shorter than the %d-byte tag", r.remaining(), tagLen)
	}
	e.Ciphertext = b[r.off:]
	return e, nil
}

func checkHPKESuite(kem, kdf, aead uint16) (nenc int, err error) {
	for _, c := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521(), ecdh.X25519()} {
		k, f, n, _ := hpkeSuite(c)
		if k == kem {
			if f != kdf || aead != hpkeAEADID {
				return 0, fmt.Errorf("suite kem 0x%04x kdf 0x%04x aead 0x%04x: %w", kem, kdf, aead, ErrUnsupported)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("kem 0x%04x: %w", kem, ErrUnsupported)
}

// OpenHPKE decrypts an HPKE envelope written by SealHPKE with the matching EC private
// key. WithContact must give the same instance and contact IDs as at sealing. Errors
// are prefixed "hpke: " and wrap ErrMalformed, ErrUnsupported (suite or key curve
// mismatch) or ErrAuthentication (wrong key, wrong contact, or any changed byte).
func OpenHPKE(envelope []byte, priv *ecdh.PrivateKey, opts ...Option) ([]byte, error) {
	o := newOptions(opts)
	pt, err := openHPKE(envelope, priv, o)
	if err != nil {
		return nil, fmt.Errorf("hpke: %w", err)
	}
	return pt, nil
}

func openHPKE(envelope []byte, priv *ecdh.PrivateKey, o options) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("no private key")
	}
	e, err := parseHPKEEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	info, err := hpkeInfo(o.instanceID, o.contactID)
	if err != nil {
		return nil, err
	}
	kemID, _, _, err := hpkeSuite(priv.Curve())
	if err != nil {
		return nil, err
	}
	if kemID != e.KEMID {
		return nil, fmt.Errorf("envelope kem 0x%04x, private key kem 0x%04x: %w", e.KEMID, kemID, ErrUnsupported)
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("kem: %w", err)
	}
	kdf, err := hpke.NewKDF(e.KDFID)
	if err != nil {
		return nil, fmt.Errorf("kdf: %w", err)
	}
	rcpt, err := hpke.NewRecipient(e.Enc, sk, kdf, hpke.AES256GCM(), info)
	if err != nil {
		return nil, authFailed("decapsulate: invalid encapsulated key")
	}
	pt, err := rcpt.Open(e.header, e.Ciphertext)
	if err != nil {
		return nil, authFailed("open: ciphertext does not authenticate for this key, instance and contact")
	}
	return pt, nil
}

// isHPKEEnvelope reports whether b starts with the envelope magic.
func isHPKEEnvelope(b []byte) bool { return bytes.HasPrefix(b, []byte(hpkeMagic)) }
