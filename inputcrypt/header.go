package inputcrypt

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Message header constants (specification data-format/message-header.md).
const (
	messageTypeCustomerAED = 0x80 // version 1 "Type": customer authenticated encrypted data
	contentNonFramed       = 0x01
	contentFramed          = 0x02

	// MaxEncryptedDataKeys is the most encrypted data keys a header may carry. Each
	// one can cost an RSA private-key operation, so a message with more is rejected
	// as malformed (the specification's "maximum number of encrypted data keys").
	MaxEncryptedDataKeys = 16

	publicKeyContextKey = "aws-crypto-public-key"
)

// EncryptedDataKey is one entry of the header's encrypted data key list. For a raw RSA
// keyring (specification framework/raw-rsa-keyring.md) ProviderID is the key
// namespace ("AmazonConnect" for Connect), ProviderInfo the key name (the flow's
// EncryptionKeyId for Connect) and Ciphertext the RSA-wrapped data key (as long as
// the modulus).
type EncryptedDataKey struct {
	ProviderID   string
	ProviderInfo string
	Ciphertext   []byte
}

// Header is a parsed AWS Encryption SDK message header (specification
// data-format/message-header.md), versions 1 and 2.
type Header struct {
	// Version is the message format version, 1 or 2.
	Version int
	// Suite is the algorithm suite ID.
	Suite Suite
	// MessageID is 16 bytes (version 1) or 32 bytes (version 2).
	MessageID []byte
	// EncryptionContext holds the key-value pairs of the header's AAD section; for
	// signing suites it contains "aws-crypto-public-key", the base64 compressed
	// ECDSA public key that verifies the footer.
	EncryptionContext map[string]string
	// EncryptedDataKeys lists the wrapped copies of the data key, at least one.
	EncryptedDataKeys []EncryptedDataKey
	// Framed reports content type 0x02 (framed); false means non-framed (0x01).
	Framed bool
	// FrameLength is the plaintext length of every regular frame in bytes (0 when not framed).
	FrameLength uint32
	// Length is the byte length of the header body plus the header authentication.
	Length int

	suite      suiteInfo
	body       []byte // header body: the bytes the header authentication covers
	iv         []byte // header authentication IV (version 1); zero IV for version 2
	tag        []byte // header authentication tag
	commitment []byte // version 2 algorithm suite data (commitment key)
}

// ParseHeader parses the header (body and authentication section) at the start of an
// AWS Encryption SDK message without decrypting anything, so a caller can see which
// key ID a message needs. It does not authenticate the header: only Decrypt does.
// Errors wrap ErrMalformed or ErrUnsupported.
func ParseHeader(msg []byte) (*Header, error) {
	r := &wireReader{b: msg}
	h, err := parseHeader(r)
	if err != nil {
		return nil, fmt.Errorf("esdk: header: %w", err)
	}
	return h, nil
}

func parseHeader(r *wireReader) (*Header, error) {
	h := &Header{}
	version, err := r.u8("version")
	if err != nil {
		return nil, err
	}
	switch version {
	case 1:
		typ, err := r.u8("type")
		if err != nil {
			return nil, err
		}
		if typ != messageTypeCustomerAED {
			return nil, malformed("type 0x%02x, want 0x80", typ)
		}
	case 2:
	default:
		return nil, malformed("version 0x%02x, want 0x01 or 0x02", version)
	}
	h.Version = int(version)
	id, err := r.u16("algorithm suite")
	if err != nil {
		return nil, err
	}
	suite, err := lookupSuite(Suite(id))
	if err != nil {
		return nil, err
	}
	if suite.version != version {
		return nil, malformed("algorithm suite %s needs message format version %d, header has %d", suite.id, suite.version, version)
	}
	h.Suite, h.suite = suite.id, suite
	if h.MessageID, err = r.take(suite.messageIDLen(), "message id"); err != nil {
		return nil, err
	}
	aad, err := r.bytes16("encryption context")
	if err != nil {
		return nil, err
	}
	if h.EncryptionContext, err = parseEncryptionContext(aad); err != nil {
		return nil, fmt.Errorf("encryption context: %w", err)
	}
	if h.EncryptedDataKeys, err = parseEncryptedDataKeys(r); err != nil {
		return nil, err
	}
	ct, err := r.u8("content type")
	if err != nil {
		return nil, err
	}
	switch ct {
	case contentFramed:
		h.Framed = true
	case contentNonFramed:
	default:
		return nil, malformed("content type 0x%02x, want 0x01 or 0x02", ct)
	}
	if version == 1 {
		reserved, err := r.take(4, "reserved")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(reserved, []byte{0, 0, 0, 0}) {
			return nil, malformed("reserved bytes %x, want 00000000", reserved)
		}
		n, err := r.u8("iv length")
		if err != nil {
			return nil, err
		}
		if n != ivLen {
			return nil, malformed("iv length %d, want %d", n, ivLen)
		}
	}
	if h.FrameLength, err = r.u32("frame length"); err != nil {
		return nil, err
	}
	if h.Framed && h.FrameLength == 0 {
		return nil, malformed("frame length 0 for framed content")
	}
	if !h.Framed && h.FrameLength != 0 {
		return nil, malformed("frame length %d for non-framed content, want 0", h.FrameLength)
	}
	if version == 2 {
		if h.commitment, err = r.take(commitLen, "algorithm suite data"); err != nil {
			return nil, err
		}
	}
	h.body = r.b[:r.off:r.off]
	if version == 1 {
		if h.iv, err = r.take(ivLen, "header auth iv"); err != nil {
			return nil, err
		}
	} else {
		h.iv = make([]byte, ivLen)
	}
	if h.tag, err = r.take(tagLen, "header auth tag"); err != nil {
		return nil, err
	}
	h.Length = r.off
	return h, nil
}

func parseEncryptedDataKeys(r *wireReader) ([]EncryptedDataKey, error) {
	n, err := r.u16("encrypted data key count")
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, malformed("encrypted data key count 0")
	}
	if n > MaxEncryptedDataKeys {
		return nil, malformed("encrypted data key count %d exceeds limit %d", n, MaxEncryptedDataKeys)
	}
	edks := make([]EncryptedDataKey, 0, n)
	for i := range int(n) {
		var edk EncryptedDataKey
		pid, err := r.bytes16("provider id")
		if err != nil {
			return nil, fmt.Errorf("encrypted data key %d: %w", i+1, err)
		}
		info, err := r.bytes16("provider info")
		if err != nil {
			return nil, fmt.Errorf("encrypted data key %d: %w", i+1, err)
		}
		if edk.Ciphertext, err = r.bytes16("ciphertext"); err != nil {
			return nil, fmt.Errorf("encrypted data key %d: %w", i+1, err)
		}
		if !utf8.Valid(pid) {
			return nil, fmt.Errorf("encrypted data key %d: %w", i+1, malformed("provider id is not utf-8"))
		}
		edk.ProviderID, edk.ProviderInfo = string(pid), string(info)
		edks = append(edks, edk)
	}
	return edks, nil
}

// parseEncryptionContext parses the serialized encryption context (specification
// data-format/message-header.md "AAD"): empty, or a 2-byte count followed by
// count entries of 2-byte-length key and 2-byte-length value, UTF-8.
func parseEncryptionContext(aad []byte) (map[string]string, error) {
	ec := map[string]string{}
	if len(aad) == 0 {
		return ec, nil
	}
	r := &wireReader{b: aad}
	n, err := r.u16("count")
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, malformed("count 0 with %d bytes of entries", len(aad)-2)
	}
	for i := range int(n) {
		k, err := r.bytes16("key")
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		v, err := r.bytes16("value")
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if !utf8.Valid(k) || !utf8.Valid(v) {
			return nil, fmt.Errorf("entry %d: %w", i+1, malformed("not utf-8"))
		}
		if _, dup := ec[string(k)]; dup {
			return nil, fmt.Errorf("entry %d: %w", i+1, malformed("duplicate key %q", k))
		}
		ec[string(k)] = string(v)
	}
	if r.remaining() != 0 {
		return nil, malformed("%d bytes after the last entry", r.remaining())
	}
	return ec, nil
}

// appendEncryptionContext serializes ec with keys in ascending byte order.
func appendEncryptionContext(b []byte, ec map[string]string) []byte {
	if len(ec) == 0 {
		return b
	}
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = appendU16(b, uint16(len(keys)))
	for _, k := range keys {
		b = appendBytes16(b, []byte(k))
		b = appendBytes16(b, []byte(ec[k]))
	}
	return b
}

// appendHeaderBody serializes a header body for encryption.
func appendHeaderBody(b []byte, s suiteInfo, messageID []byte, ec map[string]string, edks []EncryptedDataKey, frameLength uint32, commitment []byte) []byte {
	b = append(b, s.version)
	if s.version == 1 {
		b = append(b, messageTypeCustomerAED)
	}
	b = appendU16(b, uint16(s.id))
	b = append(b, messageID...)
	aad := appendEncryptionContext(nil, ec)
	b = appendBytes16(b, aad)
	b = appendU16(b, uint16(len(edks)))
	for _, k := range edks {
		b = appendBytes16(b, []byte(k.ProviderID))
		b = appendBytes16(b, []byte(k.ProviderInfo))
		b = appendBytes16(b, k.Ciphertext)
	}
	b = append(b, contentFramed)
	if s.version == 1 {
		b = append(b, 0, 0, 0, 0, ivLen)
	}
	b = appendU32(b, frameLength)
	if s.version == 2 {
		b = append(b, commitment...)
	}
	return b
}
