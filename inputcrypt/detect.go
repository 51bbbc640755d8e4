package inputcrypt

import "encoding/base64"

// maxDetectLength bounds the text IsEncryptedInput decodes: 64 KiB of base64, more than any
// customer input Ringfence encrypts.
const maxDetectLength = 64 << 10

// IsEncryptedInput reports whether text is encrypted customer input as the flow engine
// stores it in $.StoredCustomerInput: standard base64 (RFC 4648 section 4) of an AWS
// Encryption SDK message whose header parses, or of an HPKE envelope that parses. It
// decrypts nothing and authenticates nothing; a true answer only says the text has the
// shape of a ciphertext, so that redaction does not rewrite it (base64 holds no clear
// digits of what it encodes).
func IsEncryptedInput(text string) bool {
	if len(text) < 16 || len(text) > maxDetectLength || len(text)%4 != 0 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return false
	}
	if _, err := ParseHeader(b); err == nil {
		return true
	}
	_, err = ParseHPKEEnvelope(b)
	return err == nil
}
