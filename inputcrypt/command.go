package inputcrypt

import (
	"crypto/ecdh"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
)

// MaxCommandInput is the most base64 text DecryptCommand reads from stdin, in bytes.
const MaxCommandInput = 4 << 20

// DecryptCommand implements `ringfence decrypt --key private.pem`: it reads one
// standard base64 ciphertext from stdin (whitespace and line breaks anywhere are
// ignored; at most MaxCommandInput bytes), decrypts it with the PEM private key (see
// ParsePrivateKey) and writes the plaintext bytes to stdout, with nothing added.
//
// An AWS Encryption SDK message (what Connect or Ringfence stores for RSA keys) needs
// an RSA key; options WithPadding and WithKeyProvider apply. An HPKE envelope needs
// the EC key and WithContact with the instance and contact IDs the envelope is
// bound to. Errors never contain plaintext.
func DecryptCommand(stdin io.Reader, stdout io.Writer, privateKeyPEM []byte, opts ...Option) error {
	if err := decryptCommand(stdin, stdout, privateKeyPEM, opts); err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	return nil
}

func decryptCommand(stdin io.Reader, stdout io.Writer, privateKeyPEM []byte, opts []Option) error {
	key, err := ParsePrivateKey(privateKeyPEM)
	if err != nil {
		return err
	}
	text, err := io.ReadAll(io.LimitReader(stdin, MaxCommandInput+1))
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if len(text) > MaxCommandInput {
		return fmt.Errorf("input exceeds %d bytes", MaxCommandInput)
	}
	msg, err := decodeBase64(string(text))
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if len(msg) == 0 {
		return errors.New("input: empty")
	}
	var pt []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if isHPKEEnvelope(msg) {
			return errors.New("input is an hpke envelope; it needs the ec private key")
		}
		pt, err = Decrypt(msg, k, opts...)
	case *ecdh.PrivateKey:
		if !isHPKEEnvelope(msg) {
			return errors.New("input is not an hpke envelope; an aws encryption sdk message needs the rsa private key")
		}
		pt, err = OpenHPKE(msg, k, opts...)
	default:
		err = fmt.Errorf("key type %T: %w", key, ErrUnsupported)
	}
	if err != nil {
		return err
	}
	clear(msg)
	if _, err := stdout.Write(pt); err != nil {
		clear(pt)
		return fmt.Errorf("write output: %w", err)
	}
	clear(pt)
	return nil
}
