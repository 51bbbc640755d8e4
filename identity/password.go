package identity

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

// Argon2Params are argon2id parameters (RFC 9106).
type Argon2Params struct {
	// MemoryKiB is m, in KiB.
	MemoryKiB uint32
	// Iterations is t.
	Iterations uint32
	// Parallelism is p (lanes).
	Parallelism uint8
	// SaltBytes is the salt length (16 recommended by RFC 9106 §3.1).
	SaltBytes uint32
	// KeyBytes is the tag length.
	KeyBytes uint32
}

// DefaultArgon2Params are OWASP's Password Storage Cheat Sheet minimum for argon2id:
// m=19 MiB (19456 KiB), t=2, p=1; with a 16-byte salt and a 32-byte tag. One hash takes
// about 19 MiB of memory for its duration.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1, SaltBytes: 16, KeyBytes: 32}
}

// Bounds on parameters read from a stored hash, so a corrupt or hostile row cannot make
// verification allocate without limit.
const (
	maxArgon2MemoryKiB  = 1 << 20 // 1 GiB
	maxArgon2Iterations = 64
	minArgon2SaltBytes  = 8
	maxArgon2SaltBytes  = 64
	minArgon2KeyBytes   = 16
	maxArgon2KeyBytes   = 64
)

// ErrMalformedHash is returned (wrapped) by VerifyPassword for a stored hash that is not a
// well-formed argon2id PHC string within bounds.
var ErrMalformedHash = errors.New("malformed argon2id hash")

// Argon2Limiter bounds how many argon2id computations run at once. Each one holds
// Argon2Params.MemoryKiB of memory (19 MiB by default) for its duration, so a burst of
// sign-ins must queue rather than take the process's memory. Copies of a PasswordHasher share
// its limiter. Safe for concurrent use.
type Argon2Limiter struct {
	slots chan struct{}
	// running and peak count computations in progress and the most ever at once.
	running, peak atomic.Int64
}

// NewArgon2Limiter returns a limiter that lets n computations run at once (n < 1 means 1).
func NewArgon2Limiter(n int) *Argon2Limiter {
	return &Argon2Limiter{slots: make(chan struct{}, max(n, 1))}
}

// DefaultArgon2Concurrency is the default bound of NewPasswordHasher's limiter: twice
// GOMAXPROCS, enough to keep every core busy while a hash waits on its memory, and about
// 2 × 19 MiB × GOMAXPROCS of memory at most.
func DefaultArgon2Concurrency() int { return 2 * runtime.GOMAXPROCS(0) }

// Limit returns how many computations may run at once.
func (l *Argon2Limiter) Limit() int { return cap(l.slots) }

// acquire waits for a slot until ctx ends; it returns ctx's error then.
func (l *Argon2Limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
	default:
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("wait for an argon2id slot: %w", ctx.Err())
		}
	}
	n := l.running.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			return nil
		}
	}
}

func (l *Argon2Limiter) release() {
	l.running.Add(-1)
	<-l.slots
}

// PasswordHasher hashes and verifies passwords with argon2id.
type PasswordHasher struct {
	// Params are used for new hashes and are the bar for NeedsRehash.
	Params Argon2Params
	// Rand supplies salts (default crypto/rand.Reader).
	Rand io.Reader
	// Limiter bounds concurrent argon2id runs across every copy of the hasher; nil means no
	// bound.
	Limiter *Argon2Limiter
}

// NewPasswordHasher returns a hasher with DefaultArgon2Params, crypto/rand and a limiter of
// DefaultArgon2Concurrency runs. Give one hasher to every component of a process, so they
// share the bound.
func NewPasswordHasher() PasswordHasher {
	return PasswordHasher{Params: DefaultArgon2Params(), Rand: rand.Reader, Limiter: NewArgon2Limiter(DefaultArgon2Concurrency())}
}

// idKey runs argon2id within the limiter: it waits for a slot while ctx allows.
func (h PasswordHasher) idKey(ctx context.Context, pw, salt []byte, p Argon2Params, keyLen uint32) ([]byte, error) {
	if h.Limiter != nil {
		if err := h.Limiter.acquire(ctx); err != nil {
			return nil, err
		}
		defer h.Limiter.release()
	}
	return argon2.IDKey(pw, salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen), nil
}

// HashPassword returns the PHC string of pw:
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", salt and hash in unpadded standard base64
// (PHC string format, as the argon2 reference implementation writes it). It waits for a slot
// of the limiter while ctx allows (returning ctx's error, wrapped, when it ends first), and
// fails otherwise only if the random source fails.
func (h PasswordHasher) HashPassword(ctx context.Context, pw secret.Value[string]) (string, error) {
	p := h.Params
	r := h.Rand
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, p.SaltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key, err := h.idKey(ctx, []byte(pw.Reveal()), salt, p, p.KeyBytes)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return encodePHC(p, salt, key), nil
}

func encodePHC(p Argon2Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the PHC string encoded, comparing in constant
// time, and whether the hash should be recomputed with h.Params (its memory, iterations,
// parallelism or lengths are below them). A malformed or out-of-bounds hash returns an error
// wrapping ErrMalformedHash. It waits for a slot of the limiter while ctx allows, and returns
// ctx's error, wrapped, when ctx ends first.
func (h PasswordHasher) VerifyPassword(ctx context.Context, encoded string, pw secret.Value[string]) (ok, rehash bool, err error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	got, err := h.idKey(ctx, []byte(pw.Reveal()), salt, p, uint32(len(want)))
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	hp := h.Params
	rehash = p.MemoryKiB < hp.MemoryKiB || p.Iterations < hp.Iterations || p.Parallelism < hp.Parallelism ||
		p.SaltBytes < hp.SaltBytes || p.KeyBytes < hp.KeyBytes
	return ok, rehash, nil
}

func parsePHC(s string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", ErrMalformedHash)
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, nil, nil, ErrMalformedHash
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return p, nil, nil, ErrMalformedHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, ErrMalformedHash
		}
		switch i {
		case 0:
			p.MemoryKiB = uint32(n)
		case 1:
			p.Iterations = uint32(n)
		case 2:
			if n > 255 {
				return p, nil, nil, ErrMalformedHash
			}
			p.Parallelism = uint8(n)
		}
	}
	if p.Iterations < 1 || p.Iterations > maxArgon2Iterations || p.Parallelism < 1 ||
		p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB > maxArgon2MemoryKiB {
		return p, nil, nil, fmt.Errorf("%w: parameters out of bounds", ErrMalformedHash)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minArgon2SaltBytes || len(salt) > maxArgon2SaltBytes {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minArgon2KeyBytes || len(key) > maxArgon2KeyBytes {
		return p, nil, nil, fmt.Errorf("%w: hash", ErrMalformedHash)
	}
	p.SaltBytes, p.KeyBytes = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// Password length limits, in Unicode code points (NIST SP 800-63B §3.1.1.2; SECURITY.md).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

//go:embed common_passwords.txt
var commonPasswordsText string

// PasswordPolicy checks new passwords. The zero value is the default policy (NIST SP 800-63B:
// length and a blocklist, no composition rules).
type PasswordPolicy struct {
	// PCIMode adds PCI DSS v4.0.1 requirement 8.3.6: both letters and digits.
	PCIMode bool
	common  map[string]bool
}

// NewPasswordPolicy returns a policy with the embedded list of common password roots
// (common_passwords.txt, written for Ringfence: about 300 roots such as "password",
// "qwerty", "letmein", "callcenter").
func NewPasswordPolicy(pciMode bool) PasswordPolicy {
	m := make(map[string]bool, 400)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w != "" && !strings.HasPrefix(w, "#") {
			m[w] = true
		}
	}
	return PasswordPolicy{PCIMode: pciMode, common: m}
}

// Read-only sequences whose runs are refused as passwords.
var passwordSequences = []string{
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	"zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcba",
	"0123456789012345678901234567890123456789",
	"9876543210987654321098765432109876543210",
	"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p1qaz2wsx3edc4rfv",
	"qazwsxedcrfvtgbyhnujmikolpqazwsxedcrfvtgbyhnujmikolp",
	"1q2w3e4r5t6y7u8i9o0p1q2w3e4r5t6y7u8i9o0p",
}

// CheckPassword checks pw for a user named username and returns nil or an
// InvalidParameterException whose message says which rule failed (never echoing pw):
//   - 12 to 128 characters (code points);
//   - not a common password: the whole password, or what is left after trimming digits and
//     symbols from both ends and undoing common substitutions (0→o, 1→i, 3→e, 4→a, 5→s,
//     7→t, @→a, $→s), is not in the list; it is not a repetition of a short or common unit;
//     not a run of the alphabet, digits or keyboard rows; has at least 4 distinct characters;
//     does not contain the username;
//   - in PCI mode, at least one letter and one digit (PCI DSS 8.3.6).
func (pol PasswordPolicy) CheckPassword(pw secret.Value[string], username string) error {
	s := pw.Reveal()
	if !utf8.ValidString(s) {
		return apierr.InvalidParameter("Password must be valid UTF-8 text")
	}
	n := utf8.RuneCountInString(s)
	if n < MinPasswordLength {
		return apierr.InvalidParameter(fmt.Sprintf("Password must be at least %d characters", MinPasswordLength))
	}
	if n > MaxPasswordLength {
		return apierr.InvalidParameter(fmt.Sprintf("Password must be at most %d characters", MaxPasswordLength))
	}
	if pol.isCommon(s, username) {
		return apierr.InvalidParameter("Password is too common or too easy to guess; choose another")
	}
	if pol.PCIMode {
		var letter, digit bool
		for _, r := range s {
			letter = letter || unicode.IsLetter(r)
			digit = digit || unicode.IsDigit(r)
		}
		if !letter || !digit {
			return apierr.InvalidParameter("Password must contain both letters and digits")
		}
	}
	return nil
}

func (pol PasswordPolicy) isCommon(s, username string) bool {
	lower := strings.ToLower(s)
	if u := strings.ToLower(username); len(u) >= 3 && strings.Contains(lower, u) {
		return true
	}
	distinct := make(map[rune]bool)
	for _, r := range lower {
		distinct[r] = true
	}
	if len(distinct) < 4 {
		return true
	}
	for _, seq := range passwordSequences {
		if strings.Contains(seq, lower) {
			return true
		}
	}
	trimmed := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, cand := range []string{lower, trimmed, unleet(lower), unleet(trimmed)} {
		if cand == "" {
			continue
		}
		if pol.common[cand] {
			return true
		}
		if unit, ok := repeatedUnit(cand); ok && (utf8.RuneCountInString(unit) <= 4 || pol.common[unit]) {
			return true
		}
	}
	// A common root followed or preceded by only digits and symbols ("Password2024!").
	core := strings.TrimFunc(unleet(lower), func(r rune) bool { return !unicode.IsLetter(r) })
	return pol.common[core]
}

// unleet undoes the usual digit and symbol substitutions.
func unleet(s string) string {
	return strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s").Replace(s)
}

// repeatedUnit reports whether s is two or more copies of a shorter string, and returns it.
func repeatedUnit(s string) (string, bool) {
	for l := 1; l <= len(s)/2; l++ {
		if len(s)%l == 0 && strings.Repeat(s[:l], len(s)/l) == s {
			return s[:l], true
		}
	}
	return "", false
}

// GeneratedPasswordLength is the length of GeneratePassword's passwords: 20 characters of a
// 57-character alphabet, about 116 bits.
const GeneratedPasswordLength = 20

// generatedPasswordAlphabet leaves out characters that are easily confused (0/O, 1/l/I).
const generatedPasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// GeneratePassword returns a random password for the user username that pol accepts (in
// PCI mode too: it draws again until letters and digits are both present):
// GeneratedPasswordLength characters of letters and digits without look-alikes, drawn from
// rnd (nil means crypto/rand) without modulo bias. It fails only when rnd fails.
func GeneratePassword(rnd io.Reader, pol PasswordPolicy, username string) (secret.Value[string], error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	const n = len(generatedPasswordAlphabet)
	limit := 256 - 256%n // bytes at or above it would bias the draw
	for range 100 {
		out := make([]byte, 0, GeneratedPasswordLength)
		buf := make([]byte, 2*GeneratedPasswordLength)
		for len(out) < GeneratedPasswordLength {
			if _, err := io.ReadFull(rnd, buf); err != nil {
				return secret.Value[string]{}, fmt.Errorf("generate password: %w", err)
			}
			for _, b := range buf {
				if int(b) < limit && len(out) < GeneratedPasswordLength {
					out = append(out, generatedPasswordAlphabet[int(b)%n])
				}
			}
		}
		pw := secret.New(string(out))
		if pol.CheckPassword(pw, username) == nil {
			return pw, nil
		}
	}
	return secret.Value[string]{}, errors.New("generate password: no acceptable password drawn (is the randomness source constant?)")
}
