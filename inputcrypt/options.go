package inputcrypt

import (
	"crypto/rand"
	"io"
)

// Option configures encryption (Encrypt, SealHPKE, NewProvider) or decryption
// (Decrypt, OpenHPKE, DecryptCommand). Each option's comment says which calls read it;
// the others ignore it.
type Option func(*options)

type options struct {
	suite       Suite
	rand        io.Reader
	frameLength uint32
	instanceID  string
	contactID   string
	padding     Padding
	providerID  string
	keyName     string
}

// ConnectProviderID is the key provider ID (raw RSA key namespace) Amazon Connect writes
// into every encrypted data key (FLOW_LANGUAGE.md §4.1).
const ConnectProviderID = "AmazonConnect"

// DefaultFrameLength is the frame length in bytes Amazon Connect writes in the header
// (corpus connect-ciphertext/header.json: frameLength 4096).
const DefaultFrameLength = 4096

func newOptions(opts []Option) options {
	o := options{
		suite:       SuiteAES256GCMHKDFSHA384ECDSAP384,
		rand:        rand.Reader,
		frameLength: DefaultFrameLength,
		padding:     PaddingOAEPSHA512,
		providerID:  ConnectProviderID,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithSuite selects the AWS Encryption SDK algorithm suite for Encrypt: 0x0378 (the
// default, what Connect emits, message format version 1) or 0x0578 (key-committing,
// message format version 2, recommended for new deployments whose decryptors support it).
// Encrypt refuses other suites with ErrUnsupported.
func WithSuite(s Suite) Option { return func(o *options) { o.suite = s } }

// WithRand sets the randomness source for data keys, message IDs, IVs and RSA-OAEP
// padding (default crypto/rand.Reader). Since Go 1.26 the ECDSA signing key, the ECDSA
// signature and the HPKE ephemeral key always come from the system source; tests that
// need those deterministic use testing/cryptotest.SetGlobalRandom.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithFrameLength sets the plaintext bytes per frame for Encrypt, 1 to 2^31 (default
// DefaultFrameLength, as Connect).
func WithFrameLength(n uint32) Option { return func(o *options) { o.frameLength = n } }

// WithContact binds an HPKE envelope to an instance and contact: SealHPKE and OpenHPKE
// put both IDs into the HPKE info (RFC 9180 §5.1), so an envelope moved to another
// contact or instance does not open. Required for HPKE; ignored by the ESDK format.
func WithContact(instanceID, contactID string) Option {
	return func(o *options) { o.instanceID, o.contactID = instanceID, contactID }
}

// WithPadding sets the RSA padding Decrypt uses to unwrap the data key (default
// PaddingOAEPSHA512, as Connect).
func WithPadding(p Padding) Option { return func(o *options) { o.padding = p } }

// WithKeyProvider restricts Decrypt to encrypted data keys with this provider ID (raw
// RSA key namespace; default ConnectProviderID) and, when keyName is not empty, this
// provider info (raw RSA key name; Connect writes the flow's EncryptionKeyId).
func WithKeyProvider(providerID, keyName string) Option {
	return func(o *options) { o.providerID, o.keyName = providerID, keyName }
}
