package inputcrypt

import (
	"crypto/ecdh"
	"crypto/rsa"
	"encoding/base64"
	"fmt"

	"github.com/ringfence/ringfence/secret"
)

// Provider encrypts customer input for the flow engine's GetParticipantInput action
// (StoreInput "True" with InputEncryption, FLOW_LANGUAGE.md §4.1). It is immutable and
// safe for concurrent use.
type Provider struct {
	opts []Option
}

// NewProvider returns a Provider. Options read: WithSuite (ESDK suite, default 0x0378),
// WithRand, WithFrameLength, and WithContact (instance and contact IDs bound into HPKE
// envelopes; required before encrypting to an EC key — see ForContact).
func NewProvider(opts ...Option) *Provider {
	return &Provider{opts: append([]Option(nil), opts...)}
}

// ForContact returns a copy of p bound to an instance and contact, for HPKE envelopes.
func (p *Provider) ForContact(instanceID, contactID string) *Provider {
	opts := append(append([]Option(nil), p.opts...), WithContact(instanceID, contactID))
	return &Provider{opts: opts}
}

// EncryptInput encrypts one customer input and returns standard base64 text, the
// value the flow stores in $.StoredCustomerInput.
//
// keyID is the flow's InputEncryption.EncryptionKeyId; key is its InputEncryption.Key,
// the PEM certificate or public key (see ParsePublicKey for accepted forms and limits).
// The format follows the key type: RSA gives an AWS Encryption SDK message as Amazon
// Connect writes it (Encrypt), EC gives an HPKE envelope (SealHPKE). input is revealed
// only to encrypt it and never appears in an error.
func (p *Provider) EncryptInput(keyID string, key string, input secret.Value[string]) (string, error) {
	pub, err := ParsePublicKey([]byte(key))
	if err != nil {
		return "", fmt.Errorf("encrypt input: key %q: %w", keyID, err)
	}
	raw := []byte(input.Reveal())
	defer clear(raw)
	pt := secret.New(raw)
	var out []byte
	switch k := pub.Key.(type) {
	case *rsa.PublicKey:
		out, err = Encrypt(keyID, k, pt, p.opts...)
	case *ecdh.PublicKey:
		out, err = SealHPKE(keyID, k, pt, p.opts...)
	default:
		err = fmt.Errorf("key type %T: %w", pub.Key, ErrUnsupported)
	}
	if err != nil {
		return "", fmt.Errorf("encrypt input: key %q: %w", keyID, err)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
