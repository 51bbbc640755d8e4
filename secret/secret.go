// Package secret holds Value, the type every sensitive value in Ringfence travels in
// (card digits, passwords, access-key secrets, TOTP seeds, decrypted fields).
//
// A Value prints as "[REDACTED]" through fmt (every verb, including %#v and %x), log/slog,
// encoding/json and encoding.TextMarshaler, so a sensitive value cannot reach a log line,
// an audit event or an API response by accident. Reveal is the only way out, and a
// grep for ".Reveal()" lists every place that handles the clear value.
package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a Value prints as, in every format.
const Redacted = "[REDACTED]"

// Value wraps a sensitive value of type T. The zero Value holds T's zero value.
// A Value is immutable and safe to copy; copies share the wrapped value.
//
// The value sits behind a pointer: fmt cannot call Format on a Value held in an
// unexported struct field and falls back to reflection there, and for a nested pointer
// reflection prints only an address, never the content.
type Value[T any] struct {
	p *T
}

// New wraps v.
func New[T any](v T) Value[T] { return Value[T]{p: &v} }

// Reveal returns the wrapped value (T's zero value for the zero Value). Call it only where
// the clear value is needed (encryption, hashing, comparison), never to log or display it.
func (s Value[T]) Reveal() T {
	if s.p == nil {
		var zero T
		return zero
	}
	return *s.p
}

// String implements fmt.Stringer and returns Redacted.
func (Value[T]) String() string { return Redacted }

// GoString implements fmt.GoStringer and returns Redacted (covers %#v).
func (Value[T]) GoString() string { return Redacted }

// Format implements fmt.Formatter so that every verb (%s, %v, %d, %x, %q, ...) prints Redacted.
func (Value[T]) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer and returns Redacted.
func (Value[T]) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler and returns the JSON string "[REDACTED]".
func (Value[T]) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler and returns Redacted.
func (Value[T]) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
