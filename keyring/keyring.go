// Package keyring provides envelope encryption at rest for Ringfence: sensitive column values
// are sealed with AES-256-GCM under a fresh 256-bit data key (DEK), the DEK is wrapped by a
// versioned key-encryption key (KEK), and every ciphertext records the KEK version it was
// wrapped with and is bound, as additional authenticated data (AAD), to the instance, table,
// row and column it is stored in. A ciphertext copied to another row, column, table or
// instance does not open. This follows the model of HashiCorp Vault's transit engine and
// barrier (versioned keys, location bound as associated data).
//
// The pieces:
//   - Keyring is the small interface a key-encryption backend implements (wrap and unwrap a
//     data key under a KEK version). Local, backed by a 0600 key file, is the default; Vault
//     Transit or a KMS can implement the same interface.
//   - Envelope seals and opens values (Seal, Open, SealString, OpenString) and moves old
//     ciphertexts to the current KEK version (NeedsRewrap, Rewrap).
//   - Hasher computes keyed hashes (HMAC-SHA256) that audit events and flow logs record in
//     place of sensitive values.
//
// Errors wrap the sentinels below; test them with errors.Is. None of them carries key
// material or plaintext.
package keyring

import (
	"context"
	"errors"

	"github.com/ringfence/ringfence/secret"
)

// Sentinel errors. Every error returned by this package that a caller may need to tell apart
// wraps exactly one of them.
var (
	// ErrFormat means the ciphertext is not in a layout this package can parse (wrong magic,
	// unknown format version, truncated, lengths out of range).
	ErrFormat = errors.New("malformed ciphertext")
	// ErrAuthentication means the ciphertext parsed but did not authenticate: it was altered,
	// or it was sealed for another instance, table, row or column (AAD mismatch).
	ErrAuthentication = errors.New("ciphertext does not authenticate for this instance/table/row/column (altered or moved)")
	// ErrUnknownVersion means the ciphertext names a KEK version the keyring does not hold.
	ErrUnknownVersion = errors.New("unknown key version")
	// ErrInvalidAAD means an AAD field is empty or too long.
	ErrInvalidAAD = errors.New("invalid associated data")
	// ErrTooLarge means a plaintext exceeds MaxPlaintext bytes.
	ErrTooLarge = errors.New("plaintext too large")
	// ErrInsecureKeyFile means the key file or its directory is accessible to the group or to
	// others, or is not a regular file/directory.
	ErrInsecureKeyFile = errors.New("insecure key file permissions")
	// ErrKeyFileConflict means a key file read again would take away a key in use: it gives
	// a version held, or the keyed-hash key, another key, or names an older current version.
	// The keys in use are kept.
	ErrKeyFileConflict = errors.New("key file conflicts with the keys in use")
)

// DataKeySize is the size in bytes of data keys and key-encryption keys (AES-256).
const DataKeySize = 32

// Keyring wraps and unwraps data keys under versioned key-encryption keys. It is the seam for
// key backends: the local key file (Local) is the default; Vault Transit or a cloud KMS can
// implement it later.
//
// Implementations must be safe for concurrent use. The aad passed to WrapKey must be passed
// unchanged to UnwrapKey; implementations must authenticate it (AES-GCM associated data,
// Vault Transit "associated_data", KMS encryption context) so a wrapped key only unwraps for
// the same context.
type Keyring interface {
	// WrapKey wraps dek (DataKeySize bytes) under the current KEK and returns the KEK version
	// used (>= 1) and the wrapped key (at most MaxWrappedKey bytes).
	WrapKey(ctx context.Context, dek secret.Value[[]byte], aad []byte) (version uint32, wrapped []byte, err error)
	// UnwrapKey unwraps a key wrapped under KEK version. It returns an error wrapping
	// ErrUnknownVersion when the version is not held and ErrAuthentication when the wrapped
	// key or aad was altered.
	UnwrapKey(ctx context.Context, version uint32, wrapped []byte, aad []byte) (secret.Value[[]byte], error)
	// CurrentVersion returns the KEK version WrapKey uses now.
	CurrentVersion(ctx context.Context) (uint32, error)
}

// Rotator is implemented by keyrings whose key versions Ringfence manages itself (Local).
// `ringfence keys rotate` calls Rotate.
type Rotator interface {
	// Rotate adds a new KEK version, makes it current and returns it. Earlier versions keep
	// unwrapping.
	Rotate(ctx context.Context) (uint32, error)
}
