package inputcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"strings"

	"github.com/ringfence/ringfence/secret"
)

// Padding is the RSA encryption scheme that wraps the data key in an encrypted data
// key (specification framework/raw-rsa-keyring.md "Supported Padding Schemes").
// OAEP variants use MGF1 with the same hash and an empty label.
type Padding uint8

// RSA paddings. The zero value is PaddingOAEPSHA512, Connect's
// "RSA/ECB/OAEPWithSHA-512AndMGF1Padding".
const (
	PaddingOAEPSHA512 Padding = iota
	PaddingOAEPSHA384
	PaddingOAEPSHA256
	PaddingOAEPSHA1
	PaddingPKCS1v15
)

// String names the padding, e.g. "OAEP-SHA512".
func (p Padding) String() string {
	switch p {
	case PaddingOAEPSHA512:
		return "OAEP-SHA512"
	case PaddingOAEPSHA384:
		return "OAEP-SHA384"
	case PaddingOAEPSHA256:
		return "OAEP-SHA256"
	case PaddingOAEPSHA1:
		return "OAEP-SHA1"
	case PaddingPKCS1v15:
		return "PKCS1v15"
	}
	return fmt.Sprintf("Padding(%d)", uint8(p))
}

func (p Padding) oaepHash() (hash.Hash, error) {
	switch p {
	case PaddingOAEPSHA512:
		return sha512.New(), nil
	case PaddingOAEPSHA384:
		return sha512.New384(), nil
	case PaddingOAEPSHA256:
		return sha256.New(), nil
	case PaddingOAEPSHA1:
		return sha1.New(), nil
	}
	return nil, fmt.Errorf("padding %s: %w", p, ErrUnsupported)
}

// MinRSABits is the smallest RSA modulus, in bits, accepted for encryption and key
// association.
const MinRSABits = 2048

// Encrypt encrypts plaintext to an RSA public key as an AWS Encryption SDK message,
// exactly as Amazon Connect's "Store customer input" does (corpus
// connect-ciphertext/README.md): algorithm suite 0x0378 unless WithSuite selects
// 0x0578; a fresh ECDSA signing key whose compressed public key is the
// "aws-crypto-public-key" encryption context entry; one encrypted data key with
// provider ID "AmazonConnect", provider info keyID, the data key wrapped with RSA-OAEP
// SHA-512/MGF1-SHA-512; framed content (frame length 4096 unless WithFrameLength);
// a DER signature footer of fixed length (103 bytes for P-384), low-S.
// Options read: WithSuite, WithRand, WithFrameLength.
//
// keyID is 1 to 65535 bytes. Errors wrap ErrWeakKey (modulus under MinRSABits) or
// ErrUnsupported (suite other than 0x0378/0x0578), or report a randomness failure.
func Encrypt(keyID string, pub *rsa.PublicKey, plaintext secret.Value[[]byte], opts ...Option) ([]byte, error) {
	o := newOptions(opts)
	msg, err := encryptESDK(keyID, pub, plaintext.Reveal(), o)
	if err != nil {
		return nil, fmt.Errorf("esdk: encrypt: %w", err)
	}
	return msg, nil
}

func encryptESDK(keyID string, pub *rsa.PublicKey, plaintext []byte, o options) ([]byte, error) {
	if o.suite != SuiteAES256GCMHKDFSHA384ECDSAP384 && o.suite != SuiteAES256GCMHKDFSHA512CommitECDSAP384 {
		return nil, fmt.Errorf("algorithm suite %s: %w (encrypt uses 0x0378 or 0x0578)", o.suite, ErrUnsupported)
	}
	if pub == nil || pub.N == nil {
		return nil, errors.New("no public key")
	}
	if pub.N.BitLen() < MinRSABits {
		return nil, fmt.Errorf("rsa key of %d bits: %w (minimum %d)", pub.N.BitLen(), ErrWeakKey, MinRSABits)
	}
	if keyID == "" || len(keyID) > 0xFFFF {
		return nil, fmt.Errorf("key id of %d bytes: want 1 to 65535", len(keyID))
	}
	if o.frameLength == 0 || o.frameLength > 1<<31 {
		return nil, fmt.Errorf("frame length %d: want 1 to 2^31", o.frameLength)
	}
	s, err := lookupSuite(o.suite)
	if err != nil {
		return nil, err
	}
	return sealMessage(s, ConnectProviderID, keyID, func(dk []byte) ([]byte, error) {
		return rsa.EncryptOAEP(sha512.New(), o.rand, pub, dk, nil)
	}, plaintext, o.frameLength, o.rand)
}

// sealMessage builds a complete message under any suite; wrap encrypts the data key.
func sealMessage(s suiteInfo, providerID, keyName string, wrap func([]byte) ([]byte, error), plaintext []byte, frameLength uint32, rnd io.Reader) ([]byte, error) {
	dataKey := make([]byte, s.keyLen)
	if _, err := io.ReadFull(rnd, dataKey); err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	messageID := make([]byte, s.messageIDLen())
	if _, err := io.ReadFull(rnd, messageID); err != nil {
		return nil, fmt.Errorf("message id: %w", err)
	}
	ec := map[string]string{}
	var signer *ecdsa.PrivateKey
	if s.curve != nil {
		var err error
		if signer, err = ecdsa.GenerateKey(s.curve, rnd); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		pt, err := signer.PublicKey.Bytes()
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		ec[publicKeyContextKey] = base64.StdEncoding.EncodeToString(compressPoint(pt))
	}
	wrapped, err := wrap(dataKey)
	if err != nil {
		return nil, fmt.Errorf("wrap data key: %w", err)
	}
	key, commitment, err := deriveKeys(s, dataKey, messageID)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	edks := []EncryptedDataKey{{ProviderID: providerID, ProviderInfo: keyName, Ciphertext: wrapped}}
	msg := appendHeaderBody(make([]byte, 0, 1024+len(plaintext)+len(plaintext)/int(frameLength)*(ivLen+tagLen+4)), s, messageID, ec, edks, frameLength, commitment)
	iv := make([]byte, ivLen)
	if s.version == 1 {
		// Version 1 carries the header IV; Connect writes a random one.
		if _, err := io.ReadFull(rnd, iv); err != nil {
			return nil, fmt.Errorf("header iv: %w", err)
		}
		msg = aead.Seal(append(msg, iv...), iv, nil, msg)
	} else {
		msg = aead.Seal(msg, iv, nil, msg)
	}
	if msg, err = sealBody(msg, messageID, frameLength, plaintext, aead, rnd); err != nil {
		return nil, err
	}
	if signer == nil {
		return msg, nil
	}
	sig, err := signFixedLength(signer, s, msg)
	if err != nil {
		return nil, err
	}
	msg = appendBytes16(msg, sig)
	return msg, nil
}

// compressPoint turns an uncompressed SEC 1 point (0x04 ‖ X ‖ Y) into the compressed
// form (0x02 or 0x03 by the parity of Y ‖ X), SEC 1 v2 §2.3.3.
func compressPoint(p []byte) []byte {
	n := (len(p) - 1) / 2
	out := make([]byte, 1+n)
	out[0] = 2 | p[len(p)-1]&1
	copy(out[1:], p[1:1+n])
	return out
}

// decompressPublicKey parses the compressed point of "aws-crypto-public-key".
func decompressPublicKey(curve elliptic.Curve, b64 string) (*ecdsa.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, malformed("%s is not base64", publicKeyContextKey)
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(raw) != 1+size {
		return nil, malformed("%s is %d bytes, want %d", publicKeyContextKey, len(raw), 1+size)
	}
	x, y := elliptic.UnmarshalCompressed(curve, raw)
	if x == nil {
		return nil, malformed("%s is not a point on %s", publicKeyContextKey, curve.Params().Name)
	}
	unc := make([]byte, 1+2*size)
	unc[0] = 4
	x.FillBytes(unc[1 : 1+size])
	y.FillBytes(unc[1+size:])
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, unc)
	if err != nil {
		return nil, malformed("%s is not a valid point", publicKeyContextKey)
	}
	return pub, nil
}

// signFixedLength signs msg and returns a DER signature of exactly s.sigLen bytes
// with S in the lower half of the group order, retrying with fresh randomness as the
// reference implementations do, so every message of a suite has the same length.
func signFixedLength(priv *ecdsa.PrivateKey, s suiteInfo, msg []byte) ([]byte, error) {
	h := s.sigHash()
	h.Write(msg)
	digest := h.Sum(nil)
	n := s.curve.Params().N
	half := new(big.Int).Rsh(n, 1)
	for range 256 {
		der, err := ecdsa.SignASN1(nil, priv, digest)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		var sig struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &sig); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if sig.S.Cmp(half) > 0 {
			sig.S.Sub(n, sig.S)
		}
		if der, err = asn1.Marshal(sig); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if len(der) == s.sigLen {
			return der, nil
		}
	}
	return nil, errors.New("sign: no fixed-length signature after 256 attempts")
}

// deriveKeys returns the content key and, for version 2, the commitment key
// (specification framework/algorithm-suites.md "Key Derivation" and "Key Commitment").
func deriveKeys(s suiteInfo, dataKey, messageID []byte) (key, commitment []byte, err error) {
	switch {
	case s.kdf == nil:
		return dataKey, nil, nil
	case s.version == 1:
		info := string(appendU16(nil, uint16(s.id))) + string(messageID)
		key, err = hkdf.Key(s.kdf, dataKey, nil, info, s.keyLen)
	default:
		info := string(appendU16(nil, uint16(s.id))) + "DERIVEKEY"
		if key, err = hkdf.Key(s.kdf, dataKey, messageID, info, s.keyLen); err == nil {
			commitment, err = hkdf.Key(s.kdf, dataKey, messageID, "COMMITKEY", commitLen)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("derive key: %w", err)
	}
	return key, commitment, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}

// Decrypt decrypts an AWS Encryption SDK message (versions 1 and 2, all 11 algorithm
// suites, framed or non-framed) with a raw RSA private key, as the organisation's
// backend does with what Connect or Ringfence stored in a contact attribute.
//
// It unwraps the first encrypted data key whose provider ID matches (default
// "AmazonConnect"; WithKeyProvider) with the padding from WithPadding (default
// OAEP-SHA512), checks the key commitment (version 2), the header authentication tag,
// every frame and, for signing suites, the ECDSA signature footer against
// "aws-crypto-public-key", and rejects trailing bytes. No plaintext is returned unless
// all checks pass. The message is read from memory; every declared length is checked
// against the remaining bytes before use.
//
// Errors are prefixed "esdk: " and name the failing part, e.g.
// "esdk: header: encrypted data key 1: ciphertext length 65535 exceeds remaining 12 bytes";
// they wrap ErrMalformed, ErrUnsupported, ErrNoDecryptableKey or ErrAuthentication.
// Options read: WithPadding, WithKeyProvider.
func Decrypt(ciphertext []byte, privateKey *rsa.PrivateKey, opts ...Option) ([]byte, error) {
	o := newOptions(opts)
	pt, err := decryptESDK(ciphertext, privateKey, o)
	if err != nil {
		return nil, fmt.Errorf("esdk: %w", err)
	}
	return pt, nil
}

// DecryptBase64 is Decrypt for the standard base64 text Connect stores in
// $.StoredCustomerInput; surrounding and embedded ASCII whitespace is ignored.
func DecryptBase64(ciphertext string, privateKey *rsa.PrivateKey, opts ...Option) ([]byte, error) {
	raw, err := decodeBase64(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("esdk: %w", err)
	}
	return Decrypt(raw, privateKey, opts...)
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return -1
		}
		return r
	}, s)
	raw, err := base64.StdEncoding.DecodeString(s)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) {
		return nil, malformed("base64: invalid input at byte %d", int64(corrupt))
	}
	if err != nil {
		return nil, malformed("base64: invalid input")
	}
	return raw, nil
}

func decryptESDK(msg []byte, priv *rsa.PrivateKey, o options) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("no private key")
	}
	return openMessage(msg, func(h *Header) ([]byte, error) { return unwrapDataKey(h, priv, o) })
}

// openMessage decrypts and verifies a message; unwrap returns the data key for the
// parsed header.
func openMessage(msg []byte, unwrap func(*Header) ([]byte, error)) ([]byte, error) {
	r := &wireReader{b: msg}
	h, err := parseHeader(r)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	dataKey, err := unwrap(h)
	if err != nil {
		return nil, err
	}
	if len(dataKey) != h.suite.keyLen {
		return nil, fmt.Errorf("data key of %d bytes, want %d", len(dataKey), h.suite.keyLen)
	}
	key, commitment, err := deriveKeys(h.suite, dataKey, h.MessageID)
	if err != nil {
		return nil, err
	}
	if h.suite.commitment && subtle.ConstantTimeCompare(commitment, h.commitment) != 1 {
		return nil, fmt.Errorf("header: %w", authFailed("key commitment mismatch"))
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	// Version 2 appends the serialized required encryption context, which is empty
	// for raw RSA keyrings, to the header AAD.
	if _, err := aead.Open(nil, h.iv, h.tag, h.body); err != nil {
		return nil, fmt.Errorf("header: %w", authFailed("header auth tag mismatch"))
	}
	pt, err := openBody(r, h, aead)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if err := verifyFooter(r, h); err != nil {
		return nil, err
	}
	if r.remaining() != 0 {
		return nil, malformed("%d bytes after the end of the message", r.remaining())
	}
	return pt, nil
}

// unwrapDataKey decrypts the first matching encrypted data key (specification
// framework/raw-rsa-keyring.md "OnDecrypt").
func unwrapDataKey(h *Header, priv *rsa.PrivateKey, o options) ([]byte, error) {
	matched := 0
	for _, edk := range h.EncryptedDataKeys {
		if edk.ProviderID != o.providerID || (o.keyName != "" && edk.ProviderInfo != o.keyName) {
			continue
		}
		matched++
		var dk []byte
		var err error
		if o.padding == PaddingPKCS1v15 {
			dk, err = rsa.DecryptPKCS1v15(nil, priv, edk.Ciphertext)
		} else {
			hf, herr := o.padding.oaepHash()
			if herr != nil {
				return nil, herr
			}
			dk, err = rsa.DecryptOAEP(hf, nil, priv, edk.Ciphertext, nil)
		}
		if err == nil && len(dk) == h.suite.keyLen {
			return dk, nil
		}
	}
	if matched == 0 {
		if o.keyName != "" {
			return nil, fmt.Errorf("%w: none has provider id %q and key name %q", ErrNoDecryptableKey, o.providerID, o.keyName)
		}
		return nil, fmt.Errorf("%w: none has provider id %q", ErrNoDecryptableKey, o.providerID)
	}
	return nil, fmt.Errorf("%w: %d with provider id %q failed to unwrap with this key and %s", ErrNoDecryptableKey, matched, o.providerID, o.padding)
}

// verifyFooter reads the signature footer of a signing suite (specification
// data-format/message-footer.md) and verifies it over every byte before it with the
// "aws-crypto-public-key" of the encryption context. Unsigned suites have no footer.
func verifyFooter(r *wireReader, h *Header) error {
	if h.suite.curve == nil {
		return nil
	}
	signed := r.b[:r.off]
	sig, err := r.bytes16("signature")
	if err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	pkText, ok := h.EncryptionContext[publicKeyContextKey]
	if !ok {
		return fmt.Errorf("header: %w", malformed("encryption context has no %s for signing suite %s", publicKeyContextKey, h.Suite))
	}
	pub, err := decompressPublicKey(h.suite.curve, pkText)
	if err != nil {
		return fmt.Errorf("header: encryption context: %w", err)
	}
	d := h.suite.sigHash()
	d.Write(signed)
	if !ecdsa.VerifyASN1(pub, d.Sum(nil), sig) {
		return fmt.Errorf("footer: %w", authFailed("signature does not verify"))
	}
	return nil
}

// verifyStructureAndSignature walks a message without decrypting it (no private key
// needed) and verifies its signature footer. It proves the message is intact since
// it was signed, not who signed it: the signing key is generated per message.
func verifyStructureAndSignature(msg []byte) (*Header, error) {
	r := &wireReader{b: msg}
	h, err := parseHeader(r)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if _, err := openBody(r, h, nil); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if err := verifyFooter(r, h); err != nil {
		return nil, err
	}
	if r.remaining() != 0 {
		return nil, malformed("%d bytes after the end of the message", r.remaining())
	}
	return h, nil
}
