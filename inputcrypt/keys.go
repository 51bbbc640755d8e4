package inputcrypt

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// KeyType names the kind of a customer-input encryption key.
type KeyType string

// Key types accepted for customer-input encryption. RSA keys produce AWS Encryption SDK
// messages (Connect-compatible); EC keys produce HPKE envelopes.
const (
	KeyTypeRSA    KeyType = "RSA"
	KeyTypeP256   KeyType = "EC_P256"
	KeyTypeP384   KeyType = "EC_P384"
	KeyTypeP521   KeyType = "EC_P521"
	KeyTypeX25519 KeyType = "X25519"
)

// MaxRSABits is the largest RSA modulus, in bits, accepted (bounds the cost of each
// encryption at capture).
const MaxRSABits = 16384

// PublicKey is a parsed customer-input encryption public key, as uploaded with
// AssociateSecurityKey or given in a flow's InputEncryption.Key.
type PublicKey struct {
	// Type is the key type.
	Type KeyType
	// Bits is the RSA modulus length, or the curve's field size (256, 384, 521; 255 for X25519).
	Bits int
	// Fingerprint is "SHA256:" followed by the lowercase hex SHA-256 of the DER
	// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7); the same key gives the same fingerprint
	// whether it came as a public key or inside a certificate.
	Fingerprint string
	// KeyID is a stable UUID derived from the fingerprint (RFC 9562 §5.8, version 8:
	// the first 16 bytes of the SHA-256 with version and variant bits set), usable as
	// the security key's AssociationId.
	KeyID string
	// Key is *rsa.PublicKey for RSA and *ecdh.PublicKey for EC keys.
	Key crypto.PublicKey
	// Certificate is the parsed certificate when the PEM was a certificate, else nil.
	// Its validity period and chain are not checked here.
	Certificate *x509.Certificate
	// NotAfter is the certificate's expiry, zero for a bare public key.
	NotAfter time.Time
}

// ParsePublicKey parses the first PEM block of pemText: a "PUBLIC KEY"
// (SubjectPublicKeyInfo, RFC 5280), an "RSA PUBLIC KEY" (PKCS #1, RFC 8017 A.1.1) or a
// "CERTIFICATE" (X.509, whose subject public key is used). It accepts RSA keys of
// MinRSABits to MaxRSABits bits with an odd public exponent of at least 65537, and EC
// keys on P-256, P-384, P-521 or X25519. ECDSA keys are returned as their ECDH form.
//
// Errors: a private key block is refused (a private key must never be uploaded or put
// in a flow); RSA below 2048 bits or with a small exponent wraps ErrWeakKey; other key
// types (Ed25519, DSA) and curves wrap ErrUnsupported.
func ParsePublicKey(pemText []byte) (*PublicKey, error) {
	k, err := parsePublicKey(pemText)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return k, nil
}

func parsePublicKey(pemText []byte) (*PublicKey, error) {
	blk, _ := pem.Decode(pemText)
	if blk == nil {
		return nil, errors.New("no pem block")
	}
	k := &PublicKey{}
	var pub any
	var spki []byte
	switch blk.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
		k.Certificate, k.NotAfter = cert, cert.NotAfter
		pub, spki = cert.PublicKey, cert.RawSubjectPublicKeyInfo
	case "PUBLIC KEY":
		p, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		pub, spki = p, blk.Bytes
	case "RSA PUBLIC KEY":
		p, err := x509.ParsePKCS1PublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("rsa public key: %w", err)
		}
		pub = p
		if spki, err = x509.MarshalPKIXPublicKey(p); err != nil {
			return nil, fmt.Errorf("rsa public key: %w", err)
		}
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("pem block %q is a private key; give the public key or certificate", blk.Type)
	default:
		return nil, fmt.Errorf("pem block %q: want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", blk.Type)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		bits := p.N.BitLen()
		if bits < MinRSABits {
			return nil, fmt.Errorf("rsa key of %d bits: %w (minimum %d)", bits, ErrWeakKey, MinRSABits)
		}
		if bits > MaxRSABits {
			return nil, fmt.Errorf("rsa key of %d bits: %w (maximum %d)", bits, ErrUnsupported, MaxRSABits)
		}
		if p.E < 65537 || p.E%2 == 0 {
			return nil, fmt.Errorf("rsa public exponent %d: %w (want odd, at least 65537)", p.E, ErrWeakKey)
		}
		k.Type, k.Bits, k.Key = KeyTypeRSA, bits, p
	case *ecdsa.PublicKey:
		e, err := p.ECDH()
		if err != nil {
			return nil, fmt.Errorf("ec key: %w: %w", ErrUnsupported, err)
		}
		if err := k.setECDH(e); err != nil {
			return nil, err
		}
	case *ecdh.PublicKey:
		if err := k.setECDH(p); err != nil {
			return nil, err
		}
	case ed25519.PublicKey:
		return nil, fmt.Errorf("ed25519 key: %w (signing only; use RSA, P-256, P-384, P-521 or X25519)", ErrUnsupported)
	default:
		return nil, fmt.Errorf("key type %T: %w", pub, ErrUnsupported)
	}
	sum := sha256.Sum256(spki)
	k.Fingerprint = "SHA256:" + hex.EncodeToString(sum[:])
	k.KeyID = uuidFromHash(sum[:16])
	return k, nil
}

func (k *PublicKey) setECDH(p *ecdh.PublicKey) error {
	switch p.Curve() {
	case ecdh.P256():
		k.Type, k.Bits = KeyTypeP256, 256
	case ecdh.P384():
		k.Type, k.Bits = KeyTypeP384, 384
	case ecdh.P521():
		k.Type, k.Bits = KeyTypeP521, 521
	case ecdh.X25519():
		k.Type, k.Bits = KeyTypeX25519, 255
	default:
		return fmt.Errorf("curve %v: %w", p.Curve(), ErrUnsupported)
	}
	k.Key = p
	return nil
}

// uuidFromHash formats 16 hash bytes as an RFC 9562 version 8 UUID.
func uuidFromHash(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ParsePrivateKey parses the first PEM block of pemText as the organisation's
// decryption key: "PRIVATE KEY" (PKCS #8, RFC 5208), "RSA PRIVATE KEY" (PKCS #1) or
// "EC PRIVATE KEY" (SEC 1, RFC 5915). It returns *rsa.PrivateKey or *ecdh.PrivateKey
// (ECDSA keys converted). Encrypted PEM is refused (decrypt it first with the tool that
// holds its passphrase); other key types wrap ErrUnsupported.
func ParsePrivateKey(pemText []byte) (crypto.PrivateKey, error) {
	k, err := parsePrivateKey(pemText)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return k, nil
}

func parsePrivateKey(pemText []byte) (crypto.PrivateKey, error) {
	blk, _ := pem.Decode(pemText)
	if blk == nil {
		return nil, errors.New("no pem block")
	}
	if _, encrypted := blk.Headers["Proc-Type"]; encrypted || blk.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("pem block is passphrase-encrypted")
	}
	var key any
	var err error
	switch blk.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("pem block %q: want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", blk.Type, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		e, err := k.ECDH()
		if err != nil {
			return nil, fmt.Errorf("ec key: %w: %w", ErrUnsupported, err)
		}
		return e, nil
	case *ecdh.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("key type %T: %w", key, ErrUnsupported)
}
