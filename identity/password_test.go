package identity

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/secret"
)

// fastHasher keeps tests quick; production uses DefaultArgon2Params.
func fastHasher() PasswordHasher {
	return PasswordHasher{Params: Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltBytes: 16, KeyBytes: 32}}
}

func TestHashAndVerifyPassword(t *testing.T) {
	h := NewPasswordHasher()
	enc, err := h.HashPassword(context.Background(), secret.New("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q, want the PHC prefix $argon2id$v=19$m=19456,t=2,p=1$", enc)
	}
	tests := []struct {
		name       string
		pw         string
		wantOK     bool
		wantRehash bool
	}{
		{"right", "correct horse battery", true, false},
		{"wrong", "correct horse batterz", false, false},
		{"empty", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.VerifyPassword(context.Background(), enc, secret.New(tt.pw))
			if err != nil || ok != tt.wantOK || rehash != tt.wantRehash {
				t.Errorf("VerifyPassword = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

func TestVerifyPasswordRehash(t *testing.T) {
	weak := fastHasher()
	enc, err := weak.HashPassword(context.Background(), secret.New("a long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := NewPasswordHasher().VerifyPassword(context.Background(), enc, secret.New("a long passphrase"))
	if err != nil || !ok || !rehash {
		t.Errorf("got ok=%v rehash=%v err=%v; want ok, rehash, nil", ok, rehash, err)
	}
}

// A known vector: the salt and parameters fix the output, so the encoding is stable.
func TestHashPasswordDeterministicWithFixedSalt(t *testing.T) {
	h := fastHasher()
	h.Rand = bytes.NewReader(bytes.Repeat([]byte{1}, 16))
	a, err := h.HashPassword(context.Background(), secret.New("pw"))
	if err != nil {
		t.Fatal(err)
	}
	h.Rand = bytes.NewReader(bytes.Repeat([]byte{1}, 16))
	b, _ := h.HashPassword(context.Background(), secret.New("pw"))
	if a != b || !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$AQEBAQEBAQEBAQEBAQEBAQ$") {
		t.Errorf("hashes %q and %q differ or have the wrong salt encoding", a, b)
	}
	h.Rand = bytes.NewReader(nil)
	if _, err := h.HashPassword(context.Background(), secret.New("pw")); err == nil {
		t.Error("HashPassword with an empty random source: got nil error")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good := "$argon2id$v=19$m=64,t=1,p=1$AQEBAQEBAQEBAQEBAQEBAQ$" + strings.Repeat("A", 43)
	tests := map[string]string{
		"empty":          "",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuv",
		"version 16":     strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":    strings.Replace(good, "m=64", "m=4294967295", 1),
		"zero time":      strings.Replace(good, "t=1", "t=0", 1),
		"many lanes":     strings.Replace(good, "p=1", "p=300", 1),
		"params order":   strings.Replace(good, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		"short salt":     "$argon2id$v=19$m=64,t=1,p=1$AQEB$" + strings.Repeat("A", 43),
		"padded base64":  good + "=",
		"extra field":    good + "$x",
		"negative param": strings.Replace(good, "t=1", "t=-1", 1),
	}
	for name, enc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := fastHasher().VerifyPassword(context.Background(), enc, secret.New("x"))
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("got %v, want ErrMalformedHash", err)
			}
		})
	}
	if _, _, err := fastHasher().VerifyPassword(context.Background(), good, secret.New("x")); err != nil {
		t.Errorf("well-formed hash: got %v", err)
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		pci     bool
		wantMsg string
	}{
		{"passphrase", "tulip river granite", false, ""},
		{"unicode 12 runes", "ñandú-cóndor", false, ""},
		{"too short", "Xk9!mQ2#vL", false, "Password must be at least 12 characters"},
		{"11 runes", "ñandúcóndor", false, "Password must be at least 12 characters"},
		{"too long", strings.Repeat("ab1", 43), false, "Password must be at most 128 characters"},
		{"128 ok", strings.Repeat("Zq7w", 31) + "abcd", false, ""},
		{"common with digits", "Password2024!", false, "Password is too common or too easy to guess; choose another"},
		{"leet", "P@ssw0rd12345", false, "Password is too common or too easy to guess; choose another"},
		{"list entry", "passwordpassword", false, "Password is too common or too easy to guess; choose another"},
		{"digits run", "123456789012", false, "Password is too common or too easy to guess; choose another"},
		{"keyboard", "qwertyuiopasd", false, "Password is too common or too easy to guess; choose another"},
		{"alphabet", "ABCDEFGHIJKLM", false, "Password is too common or too easy to guess; choose another"},
		{"repeat", "abcabcabcabc", false, "Password is too common or too easy to guess; choose another"},
		{"repeated common", "sunshinesunshine", false, "Password is too common or too easy to guess; choose another"},
		{"few distinct", "aaaaaaaaaaab", false, "Password is too common or too easy to guess; choose another"},
		{"contains username", "xx-jdoe-rocks-42", false, "Password is too common or too easy to guess; choose another"},
		{"callcenter", "CallCenter2025!!", false, "Password is too common or too easy to guess; choose another"},
		{"no composition by default", "tulipgranitebay", false, ""},
		{"pci needs digit", "tulipgranitebay", true, "Password must contain both letters and digits"},
		{"pci needs letter", "8461-2093-7752", true, "Password must contain both letters and digits"},
		{"pci ok", "tulip7granite", true, ""},
		{"invalid utf8", "abcdefghijk\xff\xfe", false, "Password must be valid UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewPasswordPolicy(tt.pci).CheckPassword(secret.New(tt.pw), "jdoe")
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			e := apierr.As(err)
			if e == nil || e.Code != apierr.CodeInvalidParameter || e.Message != tt.wantMsg {
				t.Fatalf("got %v, want InvalidParameterException %q", err, tt.wantMsg)
			}
			if strings.Contains(e.Message, tt.pw) {
				t.Error("message echoes the password")
			}
		})
	}
}

func TestCommonPasswordListLoaded(t *testing.T) {
	pol := NewPasswordPolicy(false)
	if n := len(pol.common); n < 250 {
		t.Errorf("common list has %d entries, want at least 250", n)
	}
}

func BenchmarkHashPasswordDefault(b *testing.B) {
	h := NewPasswordHasher()
	pw := secret.New("correct horse battery")
	for b.Loop() {
		if _, err := h.HashPassword(context.Background(), pw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPasswordDefault(b *testing.B) {
	h := NewPasswordHasher()
	enc, _ := h.HashPassword(context.Background(), secret.New("correct horse battery"))
	pw := secret.New("wrong horse battery")
	for b.Loop() {
		if _, _, err := h.VerifyPassword(context.Background(), enc, pw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	pol := NewPasswordPolicy(true)
	pw := secret.New("tulip7granite-harbour")
	for b.Loop() {
		_ = pol.CheckPassword(pw, "jdoe")
	}
}

// TestArgon2LimiterBoundsConcurrency runs many hashes and verifications through one hasher
// (and its copies) with a limit of 2: at no moment do more than 2 argon2id runs overlap.
func TestArgon2LimiterBoundsConcurrency(t *testing.T) {
	h := fastHasher()
	h.Limiter = NewArgon2Limiter(2)
	enc, err := h.HashPassword(context.Background(), secret.New("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func(c PasswordHasher) {
			defer wg.Done()
			if i%2 == 0 {
				if _, err := c.HashPassword(context.Background(), secret.New("pw")); err != nil {
					t.Errorf("HashPassword: %v", err)
				}
				return
			}
			if ok, _, err := c.VerifyPassword(context.Background(), enc, secret.New("correct horse battery")); err != nil || !ok {
				t.Errorf("VerifyPassword = %v, %v", ok, err)
			}
		}(h)
	}
	wg.Wait()
	if got := h.Limiter.peak.Load(); got < 1 || got > 2 {
		t.Errorf("at most %d argon2id runs overlapped, want 1 to 2", got)
	}
	if got := h.Limiter.running.Load(); got != 0 {
		t.Errorf("%d runs still counted after all returned", got)
	}
	if got := h.Limiter.Limit(); got != 2 {
		t.Errorf("Limit() = %d, want 2", got)
	}
}

// TestArgon2LimiterHonoursContext fills every slot, then checks that a caller waiting for one
// gives up when its context ends, without running argon2id.
func TestArgon2LimiterHonoursContext(t *testing.T) {
	h := fastHasher()
	h.Limiter = NewArgon2Limiter(1)
	if err := h.Limiter.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.HashPassword(ctx, secret.New("pw")); !errors.Is(err, context.Canceled) {
		t.Errorf("HashPassword with every slot taken and a cancelled context: %v, want context.Canceled", err)
	}
	good, _ := fastHasher().HashPassword(context.Background(), secret.New("pw"))
	if _, _, err := h.VerifyPassword(ctx, good, secret.New("pw")); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword with every slot taken and a cancelled context: %v, want context.Canceled", err)
	}
	h.Limiter.release()
	if ok, _, err := h.VerifyPassword(context.Background(), good, secret.New("pw")); err != nil || !ok {
		t.Errorf("VerifyPassword after the slot was freed = %v, %v", ok, err)
	}
	if d := NewPasswordHasher().Limiter.Limit(); d != DefaultArgon2Concurrency() {
		t.Errorf("default limit %d, want %d", d, DefaultArgon2Concurrency())
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for _, pci := range []bool{false, true} {
		pol := NewPasswordPolicy(pci)
		for range 50 {
			pw, err := GeneratePassword(nil, pol, "jdoe")
			if err != nil {
				t.Fatal(err)
			}
			s := pw.Reveal()
			if len(s) != GeneratedPasswordLength || strings.Trim(s, generatedPasswordAlphabet) != "" {
				t.Fatalf("generated %q: want %d characters of the alphabet", s, GeneratedPasswordLength)
			}
			if err := pol.CheckPassword(pw, "jdoe"); err != nil {
				t.Fatalf("the policy (PCI %v) refuses a generated password: %v", pci, err)
			}
			if seen[s] {
				t.Fatal("the same password twice")
			}
			seen[s] = true
		}
	}
	// A constant source can never satisfy the policy: an error, not a loop.
	if _, err := GeneratePassword(bytes.NewReader(bytes.Repeat([]byte{7}, 1<<20)), NewPasswordPolicy(false), "jdoe"); err == nil {
		t.Error("a constant randomness source gave a password")
	}
	if _, err := GeneratePassword(bytes.NewReader(nil), NewPasswordPolicy(false), "jdoe"); err == nil {
		t.Error("an empty randomness source gave a password")
	}
}
