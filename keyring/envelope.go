package keyring

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/ringfence/ringfence/secret"
)

// Layout constants of a sealed value (see Envelope).
const (
	// Magic opens every sealed value: ASCII "RFE" (Ringfence envelope).
	Magic = "RFE"
	// FormatVersion is the layout version this package writes and reads.
	FormatVersion byte = 1
	// MaxWrappedKey is the largest wrapped data key accepted, in bytes.
	MaxWrappedKey = 4096
	// MaxPlaintext is the largest value Seal accepts, in bytes (64 MiB).
	MaxPlaintext = 64 << 20
	// MaxAADField is the largest AAD field accepted, in bytes.
	MaxAADField = 1024

	headerFixed = len(Magic) + 1 + 4 + 2 // magic, format version, KEK version, wrapped length
	tagSize     = 16
)

// AAD names where a sealed value is stored. All four fields are bound into the ciphertext as
// associated data: opening with any field different fails with ErrAuthentication. Each field
// must be 1..MaxAADField bytes. Use the table and column names of the schema and the row's
// primary key as text (for singleton rows, the instance ID).
type AAD struct {
	InstanceID string
	Table      string
	RowID      string
	Column     string
}

// encode returns the canonical encoding: for each field in order (instance, table, row,
// column) a 2-byte big-endian length and the bytes.
func (a AAD) encode(prefix []byte) ([]byte, error) {
	fields := [4]struct{ name, v string }{
		{"instance ID", a.InstanceID}, {"table", a.Table}, {"row ID", a.RowID}, {"column", a.Column},
	}
	out := prefix
	for _, f := range fields {
		if len(f.v) == 0 || len(f.v) > MaxAADField {
			return nil, fmt.Errorf("%s is %d bytes, want 1..%d: %w", f.name, len(f.v), MaxAADField, ErrInvalidAAD)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(f.v)))
		out = append(out, f.v...)
	}
	return out, nil
}

// Envelope seals and opens values with AES-256-GCM under a fresh data key per value, the data
// key wrapped by a Keyring. It is safe for concurrent use.
//
// A sealed value has this binary layout (integers big-endian):
//
//	offset  size  field
//	0       3     magic "RFE"
//	3       1     format version (1)
//	4       4     KEK version (>= 1)
//	8       2     wrapped data key length W (1..MaxWrappedKey)
//	10      W     wrapped data key (Local: 12-byte nonce || GCM(KEK, DEK) || 16-byte tag = 60)
//	10+W    12    nonce (random, 96 bits, NIST SP 800-38D section 8.2.2)
//	22+W    n+16  AES-256-GCM ciphertext of the n-byte plaintext || 16-byte tag
//
// The data key is wrapped with associated data "RFE" || 1 || "dek" || enc(AAD); the value is
// sealed with associated data header (bytes 0..10+W) || enc(AAD), where enc(AAD) is each AAD
// field as a 2-byte length and its bytes. Every header byte is therefore authenticated, and a
// value opens only for the instance, table, row and column it was sealed for. With Local the
// overhead is 98 bytes per value.
type Envelope struct {
	kr   Keyring
	rand io.Reader
}

// NewEnvelope returns an Envelope over kr. rnd is the source of data keys and nonces; nil means
// crypto/rand.Reader.
func NewEnvelope(kr Keyring, rnd io.Reader) *Envelope {
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Envelope{kr: kr, rand: rnd}
}

func wrapAAD(aad AAD) ([]byte, error) {
	return aad.encode(append([]byte(Magic), FormatVersion, 'd', 'e', 'k'))
}

// Seal encrypts plaintext (at most MaxPlaintext bytes) for the location aad under a fresh data
// key wrapped with the keyring's current KEK version, and returns the sealed value in the
// layout documented on Envelope. Errors wrap ErrInvalidAAD, ErrTooLarge, or come from the
// keyring or the random source.
func (e *Envelope) Seal(ctx context.Context, plaintext []byte, aad AAD) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("seal: %d bytes: %w", len(plaintext), ErrTooLarge)
	}
	wad, err := wrapAAD(aad)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	var buf [DataKeySize + gcmNonceSize]byte
	if _, err := io.ReadFull(e.rand, buf[:]); err != nil {
		return nil, fmt.Errorf("seal: random: %w", err)
	}
	dek, nonce := buf[:DataKeySize], buf[DataKeySize:]
	defer clear(dek)
	version, wrapped, err := e.kr.WrapKey(ctx, secret.New(dek), wad)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if version == 0 || len(wrapped) == 0 || len(wrapped) > MaxWrappedKey {
		return nil, fmt.Errorf("seal: keyring returned version %d and a %d-byte wrapped key", version, len(wrapped))
	}
	out := make([]byte, 0, headerFixed+len(wrapped)+gcmNonceSize+len(plaintext)+tagSize)
	out = append(out, Magic...)
	out = append(out, FormatVersion)
	out = binary.BigEndian.AppendUint32(out, version)
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	dad, err := aad.encode(out[:len(out):len(out)])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out = append(out, nonce...)
	aead, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, dad), nil
}

// parsed is a sealed value split into its fields (slices alias the input).
type parsed struct {
	version uint32
	header  []byte // bytes 0..10+W
	wrapped []byte
	nonce   []byte
	body    []byte // ciphertext || tag
}

func parse(ct []byte) (parsed, error) {
	if len(ct) < headerFixed {
		return parsed{}, fmt.Errorf("%d bytes: %w", len(ct), ErrFormat)
	}
	if string(ct[:len(Magic)]) != Magic {
		return parsed{}, fmt.Errorf("bad magic: %w", ErrFormat)
	}
	if ct[len(Magic)] != FormatVersion {
		return parsed{}, fmt.Errorf("format version %d: %w", ct[len(Magic)], ErrFormat)
	}
	p := parsed{version: binary.BigEndian.Uint32(ct[4:8])}
	if p.version == 0 {
		return parsed{}, fmt.Errorf("key version 0: %w", ErrFormat)
	}
	w := int(binary.BigEndian.Uint16(ct[8:10]))
	if w == 0 || w > MaxWrappedKey {
		return parsed{}, fmt.Errorf("wrapped key length %d: %w", w, ErrFormat)
	}
	if len(ct) < headerFixed+w+gcmNonceSize+tagSize {
		return parsed{}, fmt.Errorf("%d bytes: %w", len(ct), ErrFormat)
	}
	p.header = ct[:headerFixed+w]
	p.wrapped = ct[headerFixed : headerFixed+w]
	p.nonce = ct[headerFixed+w : headerFixed+w+gcmNonceSize]
	p.body = ct[headerFixed+w+gcmNonceSize:]
	return p, nil
}

// Version returns the KEK version a sealed value was wrapped with, reading only its header.
// Errors wrap ErrFormat.
func Version(ciphertext []byte) (uint32, error) {
	p, err := parse(ciphertext)
	if err != nil {
		return 0, fmt.Errorf("key version: %w", err)
	}
	return p.version, nil
}

// Open decrypts a value sealed by Seal for the same location aad. It returns an error wrapping
// ErrFormat (not a sealed value), ErrUnknownVersion (KEK version not held), ErrInvalidAAD, or
// ErrAuthentication (altered, or sealed for another instance, table, row or column).
func (e *Envelope) Open(ctx context.Context, ciphertext []byte, aad AAD) (secret.Value[[]byte], error) {
	pt, err := e.open(ctx, ciphertext, aad)
	if err != nil {
		return secret.Value[[]byte]{}, fmt.Errorf("open: %w", err)
	}
	return secret.New(pt), nil
}

func (e *Envelope) open(ctx context.Context, ciphertext []byte, aad AAD) ([]byte, error) {
	p, err := parse(ciphertext)
	if err != nil {
		return nil, err
	}
	wad, err := wrapAAD(aad)
	if err != nil {
		return nil, err
	}
	dek, err := e.kr.UnwrapKey(ctx, p.version, p.wrapped, wad)
	if err != nil {
		return nil, err
	}
	key := dek.Reveal()
	defer clear(key)
	if len(key) != DataKeySize {
		return nil, fmt.Errorf("unwrapped key is %d bytes: %w", len(key), ErrAuthentication)
	}
	dad, err := aad.encode(p.header[:len(p.header):len(p.header)])
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, p.nonce, p.body, dad)
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}

// SealString seals a string value; see Seal. The result is raw bytes for a BLOB/bytea column.
func (e *Envelope) SealString(ctx context.Context, plaintext secret.Value[string], aad AAD) ([]byte, error) {
	return e.Seal(ctx, []byte(plaintext.Reveal()), aad)
}

// OpenString opens a value sealed by SealString; see Open. A plaintext that is not valid UTF-8
// is an error wrapping ErrFormat.
func (e *Envelope) OpenString(ctx context.Context, ciphertext []byte, aad AAD) (secret.Value[string], error) {
	pt, err := e.open(ctx, ciphertext, aad)
	if err != nil {
		return secret.Value[string]{}, fmt.Errorf("open string: %w", err)
	}
	defer clear(pt)
	if !utf8.Valid(pt) {
		return secret.Value[string]{}, fmt.Errorf("open string: plaintext is not UTF-8: %w", ErrFormat)
	}
	return secret.New(string(pt)), nil
}

// NeedsRewrap reports whether a sealed value was wrapped with a KEK version other than the
// keyring's current one. It reads only the header. Errors wrap ErrFormat or come from the
// keyring.
func (e *Envelope) NeedsRewrap(ctx context.Context, ciphertext []byte) (bool, error) {
	v, err := Version(ciphertext)
	if err != nil {
		return false, fmt.Errorf("needs rewrap: %w", err)
	}
	cur, err := e.kr.CurrentVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("needs rewrap: %w", err)
	}
	return v != cur, nil
}

// Rewrap opens a sealed value and seals it again for the same aad under the current KEK
// version, with a fresh data key and nonce, without returning the plaintext (it is wiped from
// memory before Rewrap returns). Errors are those of Open and Seal. `ringfence keys rewrap`
// runs it over every row whose value NeedsRewrap.
func (e *Envelope) Rewrap(ctx context.Context, ciphertext []byte, aad AAD) ([]byte, error) {
	pt, err := e.open(ctx, ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("rewrap: %w", err)
	}
	defer clear(pt)
	out, err := e.Seal(ctx, pt, aad)
	if err != nil {
		return nil, fmt.Errorf("rewrap: %w", err)
	}
	return out, nil
}
