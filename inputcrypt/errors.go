package inputcrypt

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is. The messages of returned errors are more
// precise (they name the field and the byte counts) and wrap one of these.
var (
	// ErrMalformed reports a message that does not follow the format: a length that
	// exceeds the remaining input, a bad version, reserved bytes set, trailing bytes.
	ErrMalformed = errors.New("malformed message")
	// ErrAuthentication reports a message that parses but fails a cryptographic check:
	// header authentication tag, frame tag, key commitment or signature.
	ErrAuthentication = errors.New("message authentication failed")
	// ErrNoDecryptableKey reports that no encrypted data key (or HPKE encapsulated key)
	// could be decrypted with the given private key and padding.
	ErrNoDecryptableKey = errors.New("no encrypted data key could be decrypted")
	// ErrUnsupported reports an algorithm suite, key type or curve this package does not handle.
	ErrUnsupported = errors.New("unsupported")
	// ErrWeakKey reports a key below the accepted strength (RSA smaller than 2048 bits).
	ErrWeakKey = errors.New("weak key")
)

// formatError is a parse error with a precise message that matches ErrMalformed.
type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrMalformed }

func malformed(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}

// authError is an authentication failure with a precise message that matches ErrAuthentication.
type authError struct{ msg string }

func (e *authError) Error() string        { return e.msg }
func (e *authError) Is(target error) bool { return target == ErrAuthentication }

func authFailed(format string, args ...any) error {
	return &authError{msg: fmt.Sprintf(format, args...)}
}
