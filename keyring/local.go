package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// KeyFileFormat is the value of the "format" field of a key file this package writes and reads.
const KeyFileFormat = "ringfence-keyring/1"

// DefaultPath returns the default key file location under a data directory:
// <dataDir>/keys/keyring.json.
func DefaultPath(dataDir string) string {
	return filepath.Join(dataDir, "keys", "keyring.json")
}

// LocalOptions configures OpenLocal. The zero value uses crypto/rand and time.Now.
type LocalOptions struct {
	// Rand is the source of key material and nonces. Nil means crypto/rand.Reader.
	Rand io.Reader
	// Now stamps key versions with their creation time. Nil means time.Now.
	Now func() time.Time
}

// VersionInfo describes one KEK version of a Local keyring.
type VersionInfo struct {
	Version uint32    // >= 1
	Created time.Time // UTC
	Current bool      // the version WrapKey uses
}

// keyFile is the on-disk JSON shape of the key file. Keys are standard base64 (RFC 4648
// section 4) of 32 bytes.
type keyFile struct {
	Format  string       `json:"format"`
	Current uint32       `json:"current"`
	KEKs    []keyFileKey `json:"keks"`
	HMAC    keyFileKey   `json:"hmac"`
}

type keyFileKey struct {
	Version uint32    `json:"version,omitempty"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
}

type kek struct {
	aead    cipher.AEAD
	created time.Time
	// sum is SHA-256 of the key: it tells whether a re-read key file holds the same key for a
	// version without keeping the key bytes around.
	sum [sha256.Size]byte
}

// Local is the default Keyring: KEKs and the keyed-hash key live in a JSON key file (mode 0600
// in a 0700 directory). It implements Keyring and Rotator and is safe for concurrent use.
//
// Wrapped keys are nonce (12 bytes) || AES-256-GCM(KEK, dek, aad) (48 bytes): 60 bytes.
//
// A Local prints only its path and current version through fmt (every verb), never keys.
type Local struct {
	path string
	rand io.Reader
	now  func() time.Time

	mu      sync.RWMutex
	current uint32
	keks    map[uint32]kek
	hasher  *Hasher // behind a pointer so that printing a Local value never shows the key
	hmacSum [sha256.Size]byte
	// fileSum is SHA-256 of the key file content last loaded: Reload skips a file that has
	// not changed since.
	fileSum [sha256.Size]byte
	// failing is set by Watch while the key file cannot be loaded (ReloadFailing).
	failing atomic.Bool
}

// OpenLocal opens the key file at path, creating it (with KEK version 1 and a keyed-hash key)
// when it does not exist. A created parent directory gets mode 0700 and the file 0600.
//
// It refuses, with an error wrapping ErrInsecureKeyFile, a file or parent directory that grants
// any permission to group or others, a key file that is not a regular file (symlinks
// included) and a parent that is not a directory. A file that does not parse, has another
// format or holds keys of the wrong size is an error.
func OpenLocal(path string, opts LocalOptions) (*Local, error) {
	l := &Local{path: path, rand: opts.Rand, now: opts.Now}
	if l.rand == nil {
		l.rand = rand.Reader
	}
	if l.now == nil {
		l.now = time.Now
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	if err := checkMode(dir, true); err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	defer unlock()
	kf, sum, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		kf, err = l.newKeyFile()
		if err == nil {
			sum, err = writeKeyFile(path, kf)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	if _, err := l.load(kf, sum); err != nil {
		return nil, fmt.Errorf("open key file %s: %w", path, err)
	}
	return l, nil
}

func (l *Local) newKeyFile() (*keyFile, error) {
	k1, err := l.randomKey()
	if err != nil {
		return nil, err
	}
	h, err := l.randomKey()
	if err != nil {
		return nil, err
	}
	now := l.now().UTC()
	return &keyFile{
		Format:  KeyFileFormat,
		Current: 1,
		KEKs:    []keyFileKey{{Version: 1, Key: k1, Created: now}},
		HMAC:    keyFileKey{Key: h, Created: now},
	}, nil
}

func (l *Local) randomKey() ([]byte, error) {
	k := make([]byte, DataKeySize)
	if _, err := io.ReadFull(l.rand, k); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// checkMode refuses a path that is not the expected kind or grants group/other permissions.
func checkMode(path string, wantDir bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	switch {
	case wantDir && !fi.IsDir():
		return fmt.Errorf("%s is not a directory: %w", path, ErrInsecureKeyFile)
	case !wantDir && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file: %w", path, ErrInsecureKeyFile)
	case fi.Mode().Perm()&0o077 != 0:
		want := "0600"
		if wantDir {
			want = "0700"
		}
		return fmt.Errorf("%s has mode %04o, want %s: %w", path, fi.Mode().Perm(), want, ErrInsecureKeyFile)
	}
	return nil
}

// readKeyFile reads and decodes the key file at path and returns it with the SHA-256 of its
// content. Decoding errors say where the file is wrong, never what it holds (no byte of it is
// quoted), so they may be logged.
func readKeyFile(path string) (*keyFile, [sha256.Size]byte, error) {
	if err := checkMode(path, false); err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	sum := sha256.Sum256(b)
	var kf keyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf); err != nil {
		return nil, sum, fmt.Errorf("parse %s: %s", path, decodeProblem(err))
	}
	return &kf, sum, nil
}

// decodeProblem describes a JSON decoding error of a key file without quoting the file:
// encoding/json's messages may quote a character of it, and the file holds keys.
func decodeProblem(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		b64 base64.CorruptInputError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	case errors.As(err, &b64):
		return fmt.Sprintf("a key is not valid base64 (at its byte %d)", int64(b64))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the file is empty or ends early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "it has a field a key file does not have"
	default:
		return "it does not decode as a key file"
	}
}

// writeKeyFile replaces path atomically: write a temporary file in the same directory (mode
// 0600), fsync it, rename it over path, fsync the directory. It returns the SHA-256 of the
// content written.
func writeKeyFile(path string, kf *keyFile) (sum [sha256.Size]byte, err error) {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return sum, fmt.Errorf("encode key file: %w", err)
	}
	sum = sha256.Sum256(b)
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".keyring-*.tmp")
	if err != nil {
		return sum, fmt.Errorf("write key file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return sum, fmt.Errorf("write key file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return sum, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return sum, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return sum, fmt.Errorf("write key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return sum, fmt.Errorf("write key file: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return sum, fmt.Errorf("write key file: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return sum, fmt.Errorf("write key file: sync dir: %w", err)
	}
	return sum, nil
}

// ReloadResult says what loading the key file again changed.
type ReloadResult struct {
	// Changed is false when the file held what was loaded last: nothing was done.
	Changed bool
	// Previous and Current are the current KEK versions before and after.
	Previous, Current uint32
	// Added lists the versions the file brought that were not held, in ascending order.
	Added []uint32
	// Missing lists versions held that the file no longer has, in ascending order: they are
	// kept in memory (until the process ends) so that what they sealed still opens.
	Missing []uint32
}

// load validates kf (whose content has SHA-256 sum) and makes its keys the ones in use. On
// the first load it takes kf as it is. Later (a reload) it only ever adds to what is held, so
// that a running process never loses a key it may need to open data:
//   - every version both held and in kf must have the same key, and kf's keyed-hash key must
//     be the held one (flow-log hashes and search indexes depend on it); otherwise the file is
//     refused with ErrKeyFileConflict;
//   - kf's current version must not be older than the held one (a stale copy of the file);
//     otherwise it is refused with ErrKeyFileConflict;
//   - versions held that kf lacks are kept and reported in Missing.
//
// A refused file changes nothing.
func (l *Local) load(kf *keyFile, sum [sha256.Size]byte) (ReloadResult, error) {
	if kf.Format != KeyFileFormat {
		return ReloadResult{}, fmt.Errorf("format %q, want %q", kf.Format, KeyFileFormat)
	}
	keks := make(map[uint32]kek, len(kf.KEKs))
	for _, k := range kf.KEKs {
		if k.Version == 0 {
			return ReloadResult{}, errors.New("kek version 0")
		}
		if _, dup := keks[k.Version]; dup {
			return ReloadResult{}, fmt.Errorf("kek version %d appears twice", k.Version)
		}
		if len(k.Key) != DataKeySize {
			return ReloadResult{}, fmt.Errorf("kek version %d: key is %d bytes, want %d", k.Version, len(k.Key), DataKeySize)
		}
		aead, err := newGCM(k.Key)
		if err != nil {
			return ReloadResult{}, fmt.Errorf("kek version %d: %w", k.Version, err)
		}
		keks[k.Version] = kek{aead: aead, created: k.Created, sum: sha256.Sum256(k.Key)}
	}
	if _, ok := keks[kf.Current]; !ok {
		return ReloadResult{}, fmt.Errorf("current version %d not in file", kf.Current)
	}
	if len(kf.HMAC.Key) != DataKeySize {
		return ReloadResult{}, fmt.Errorf("hmac key is %d bytes, want %d", len(kf.HMAC.Key), DataKeySize)
	}
	hmacSum := sha256.Sum256(kf.HMAC.Key)
	l.mu.Lock()
	defer l.mu.Unlock()
	res := ReloadResult{Changed: true, Previous: l.current, Current: kf.Current}
	if l.keks != nil {
		if subtle.ConstantTimeCompare(hmacSum[:], l.hmacSum[:]) != 1 {
			return ReloadResult{}, fmt.Errorf("the keyed-hash key differs from the one in use: %w", ErrKeyFileConflict)
		}
		for v, held := range l.keks {
			k, ok := keks[v]
			if !ok {
				keks[v] = held
				res.Missing = append(res.Missing, v)
				continue
			}
			if subtle.ConstantTimeCompare(k.sum[:], held.sum[:]) != 1 {
				return ReloadResult{}, fmt.Errorf("kek version %d differs from the one in use: %w", v, ErrKeyFileConflict)
			}
		}
		if kf.Current < l.current {
			return ReloadResult{}, fmt.Errorf("current version %d is older than version %d in use (a stale copy?): %w", kf.Current, l.current, ErrKeyFileConflict)
		}
		for v := range keks {
			if _, ok := l.keks[v]; !ok {
				res.Added = append(res.Added, v)
			}
		}
		slices.Sort(res.Added)
		slices.Sort(res.Missing)
	}
	l.current = kf.Current
	l.keks = keks
	l.fileSum = sum
	if l.hasher == nil {
		l.hmacSum = hmacSum
		l.hasher = NewHasher(secret.New(bytes.Clone(kf.HMAC.Key)))
	}
	return res, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Path returns the key file path.
func (l *Local) Path() string { return l.path }

// CurrentVersion implements Keyring.
func (l *Local) CurrentVersion(context.Context) (uint32, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.current, nil
}

// Versions lists the KEK versions held, oldest first.
func (l *Local) Versions() []VersionInfo {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]VersionInfo, 0, len(l.keks))
	for v, k := range l.keks {
		out = append(out, VersionInfo{Version: v, Created: k.created, Current: v == l.current})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

const gcmNonceSize = 12

// WrapKey implements Keyring: nonce (12 random bytes) || AES-256-GCM(current KEK, dek, aad).
func (l *Local) WrapKey(_ context.Context, dek secret.Value[[]byte], aad []byte) (uint32, []byte, error) {
	if n := len(dek.Reveal()); n != DataKeySize {
		return 0, nil, fmt.Errorf("wrap key: data key is %d bytes, want %d", n, DataKeySize)
	}
	l.mu.RLock()
	v := l.current
	k := l.keks[v]
	l.mu.RUnlock()
	out := make([]byte, gcmNonceSize, gcmNonceSize+DataKeySize+16)
	if _, err := io.ReadFull(l.rand, out); err != nil {
		return 0, nil, fmt.Errorf("wrap key: nonce: %w", err)
	}
	out = k.aead.Seal(out, out[:gcmNonceSize], dek.Reveal(), aad)
	return v, out, nil
}

// UnwrapKey implements Keyring. When version is newer than any held (another process rotated
// the key file), the file is read again once before giving up with ErrUnknownVersion.
func (l *Local) UnwrapKey(ctx context.Context, version uint32, wrapped []byte, aad []byte) (secret.Value[[]byte], error) {
	l.mu.RLock()
	k, ok := l.keks[version]
	newer := version > l.current
	l.mu.RUnlock()
	if !ok && newer {
		if _, err := l.Reload(ctx); err != nil {
			return secret.Value[[]byte]{}, fmt.Errorf("unwrap key: %w", err)
		}
		l.mu.RLock()
		k, ok = l.keks[version]
		l.mu.RUnlock()
	}
	if !ok {
		return secret.Value[[]byte]{}, fmt.Errorf("unwrap key: version %d: %w", version, ErrUnknownVersion)
	}
	if len(wrapped) != gcmNonceSize+DataKeySize+16 {
		return secret.Value[[]byte]{}, fmt.Errorf("unwrap key: wrapped key is %d bytes: %w", len(wrapped), ErrAuthentication)
	}
	dek, err := k.aead.Open(nil, wrapped[:gcmNonceSize], wrapped[gcmNonceSize:], aad)
	if err != nil {
		return secret.Value[[]byte]{}, fmt.Errorf("unwrap key: %w", ErrAuthentication)
	}
	return secret.New(dek), nil
}

// Reload reads the key file again and loads it when its content changed since it was last
// loaded, picking up versions added by another process (for example `ringfence keys rotate`
// while the server runs): values sealed from then on use the file's current version. It
// never drops a key in use (see ReloadResult.Missing): a file that gives a held version or
// the keyed-hash key another key, or names an older current version, is refused with an
// error wrapping ErrKeyFileConflict; a file that cannot be read, has unsafe permissions
// (ErrInsecureKeyFile) or does not parse is refused too. A refused file changes nothing, and
// the error names no key material. Watch calls Reload periodically.
func (l *Local) Reload(context.Context) (ReloadResult, error) {
	if err := checkMode(filepath.Dir(l.path), true); err != nil {
		return ReloadResult{}, fmt.Errorf("reload key file: %w", err)
	}
	kf, sum, err := readKeyFile(l.path)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("reload key file: %w", err)
	}
	l.mu.RLock()
	same, current := sum == l.fileSum, l.current
	l.mu.RUnlock()
	if same {
		return ReloadResult{Previous: current, Current: current}, nil
	}
	res, err := l.load(kf, sum)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("reload key file %s: %w", l.path, err)
	}
	return res, nil
}

// Rotate implements Rotator: it re-reads the key file under an exclusive lock, appends a KEK
// version one higher than the highest held, makes it current, writes the file atomically and
// returns the new version. Old versions stay in the file and keep unwrapping.
func (l *Local) Rotate(context.Context) (uint32, error) {
	unlock, err := lockFile(l.path + ".lock")
	if err != nil {
		return 0, fmt.Errorf("rotate: %w", err)
	}
	defer unlock()
	kf, _, err := readKeyFile(l.path)
	if err != nil {
		return 0, fmt.Errorf("rotate: %w", err)
	}
	var maxV uint32
	for _, k := range kf.KEKs {
		maxV = max(maxV, k.Version)
	}
	if maxV == ^uint32(0) {
		return 0, errors.New("rotate: key versions exhausted")
	}
	key, err := l.randomKey()
	if err != nil {
		return 0, fmt.Errorf("rotate: %w", err)
	}
	v := maxV + 1
	kf.KEKs = append(kf.KEKs, keyFileKey{Version: v, Key: key, Created: l.now().UTC()})
	kf.Current = v
	// Durable first: a version must never seal data before it is on disk.
	sum, err := writeKeyFile(l.path, kf)
	if err != nil {
		return 0, fmt.Errorf("rotate: %w", err)
	}
	if _, err := l.load(kf, sum); err != nil {
		return 0, fmt.Errorf("rotate: %w", err)
	}
	return v, nil
}

// Hasher returns the keyed hasher that uses this key file's HMAC key.
func (l *Local) Hasher() *Hasher {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.hasher
}

// String describes the keyring without key material.
func (l *Local) String() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return fmt.Sprintf("keyring.Local(%s, current=v%d)", l.path, l.current)
}

// GoString implements fmt.GoStringer like String.
func (l *Local) GoString() string { return l.String() }

// Format implements fmt.Formatter so that every verb prints String, never key material.
func (l *Local) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, l.String()) }
