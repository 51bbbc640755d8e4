package inputcrypt

import (
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// Suite is an AWS Encryption SDK algorithm suite ID, the 2-byte big-endian value in the
// message header (specification framework/algorithm-suites.md, "Supported Algorithm
// Suites"). Every suite uses AES-GCM with a 12-byte IV and a 16-byte tag.
type Suite uint16

// The 11 algorithm suites of the AWS Encryption SDK. Suites 0x0014-0x0378 use message
// format version 1; 0x0478 and 0x0578 are key-committing and use version 2.
const (
	// SuiteAES128GCM is AES-128-GCM with the data key used directly (no KDF). Decrypt only.
	SuiteAES128GCM Suite = 0x0014
	// SuiteAES192GCM is AES-192-GCM with the data key used directly (no KDF). Decrypt only.
	SuiteAES192GCM Suite = 0x0046
	// SuiteAES256GCM is AES-256-GCM with the data key used directly (no KDF). Decrypt only.
	SuiteAES256GCM Suite = 0x0078
	// SuiteAES128GCMHKDFSHA256 is AES-128-GCM, HKDF-SHA256. Decrypt only.
	SuiteAES128GCMHKDFSHA256 Suite = 0x0114
	// SuiteAES192GCMHKDFSHA256 is AES-192-GCM, HKDF-SHA256. Decrypt only.
	SuiteAES192GCMHKDFSHA256 Suite = 0x0146
	// SuiteAES256GCMHKDFSHA256 is AES-256-GCM, HKDF-SHA256. Decrypt only.
	SuiteAES256GCMHKDFSHA256 Suite = 0x0178
	// SuiteAES128GCMHKDFSHA256ECDSAP256 is AES-128-GCM, HKDF-SHA256, ECDSA P-256/SHA-256. Decrypt only.
	SuiteAES128GCMHKDFSHA256ECDSAP256 Suite = 0x0214
	// SuiteAES192GCMHKDFSHA384ECDSAP384 is AES-192-GCM, HKDF-SHA384, ECDSA P-384/SHA-384. Decrypt only.
	SuiteAES192GCMHKDFSHA384ECDSAP384 Suite = 0x0346
	// SuiteAES256GCMHKDFSHA384ECDSAP384 is AES-256-GCM, HKDF-SHA384, ECDSA P-384/SHA-384:
	// the suite Amazon Connect emits, and the default for encryption.
	SuiteAES256GCMHKDFSHA384ECDSAP384 Suite = 0x0378
	// SuiteAES256GCMHKDFSHA512Commit is AES-256-GCM, HKDF-SHA512, key commitment, no signature. Decrypt only.
	SuiteAES256GCMHKDFSHA512Commit Suite = 0x0478
	// SuiteAES256GCMHKDFSHA512CommitECDSAP384 is AES-256-GCM, HKDF-SHA512, key commitment,
	// ECDSA P-384/SHA-384 (message format version 2). Selectable for encryption with WithSuite.
	SuiteAES256GCMHKDFSHA512CommitECDSAP384 Suite = 0x0578
)

// String returns the suite ID as four hex digits, e.g. "0x0378".
func (s Suite) String() string { return fmt.Sprintf("0x%04X", uint16(s)) }

// suiteInfo holds the parameters of one algorithm suite.
type suiteInfo struct {
	id         Suite
	version    byte             // message format version: 1 or 2
	keyLen     int              // AES key length in bytes; also the data key length
	kdf        func() hash.Hash // nil: data key used directly
	curve      elliptic.Curve   // nil: no signature
	sigHash    func() hash.Hash // signature hash when curve != nil
	sigLen     int              // DER signature length emitted on encrypt (fixed, as the reference implementations do)
	commitment bool             // version 2 key commitment
}

const (
	ivLen       = 12
	tagLen      = 16
	messageIDv1 = 16
	messageIDv2 = 32
	commitLen   = 32
)

func sha256New() hash.Hash { return sha256.New() }
func sha384New() hash.Hash { return sha512.New384() }
func sha512New() hash.Hash { return sha512.New() }

// lookupSuite returns the parameters of suite id, or an error wrapping ErrUnsupported.
func lookupSuite(id Suite) (suiteInfo, error) {
	switch id {
	case SuiteAES128GCM:
		return suiteInfo{id: id, version: 1, keyLen: 16}, nil
	case SuiteAES192GCM:
		return suiteInfo{id: id, version: 1, keyLen: 24}, nil
	case SuiteAES256GCM:
		return suiteInfo{id: id, version: 1, keyLen: 32}, nil
	case SuiteAES128GCMHKDFSHA256:
		return suiteInfo{id: id, version: 1, keyLen: 16, kdf: sha256New}, nil
	case SuiteAES192GCMHKDFSHA256:
		return suiteInfo{id: id, version: 1, keyLen: 24, kdf: sha256New}, nil
	case SuiteAES256GCMHKDFSHA256:
		return suiteInfo{id: id, version: 1, keyLen: 32, kdf: sha256New}, nil
	case SuiteAES128GCMHKDFSHA256ECDSAP256:
		return suiteInfo{id: id, version: 1, keyLen: 16, kdf: sha256New, curve: elliptic.P256(), sigHash: sha256New, sigLen: 71}, nil
	case SuiteAES192GCMHKDFSHA384ECDSAP384:
		return suiteInfo{id: id, version: 1, keyLen: 24, kdf: sha384New, curve: elliptic.P384(), sigHash: sha384New, sigLen: 103}, nil
	case SuiteAES256GCMHKDFSHA384ECDSAP384:
		return suiteInfo{id: id, version: 1, keyLen: 32, kdf: sha384New, curve: elliptic.P384(), sigHash: sha384New, sigLen: 103}, nil
	case SuiteAES256GCMHKDFSHA512Commit:
		return suiteInfo{id: id, version: 2, keyLen: 32, kdf: sha512New, commitment: true}, nil
	case SuiteAES256GCMHKDFSHA512CommitECDSAP384:
		return suiteInfo{id: id, version: 2, keyLen: 32, kdf: sha512New, curve: elliptic.P384(), sigHash: sha384New, sigLen: 103, commitment: true}, nil
	}
	return suiteInfo{}, fmt.Errorf("algorithm suite %s: %w", id, ErrUnsupported)
}

func (s suiteInfo) messageIDLen() int {
	if s.version == 2 {
		return messageIDv2
	}
	return messageIDv1
}
