package keyring_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

var loc = keyring.AAD{InstanceID: "inst-a", Table: "contact_attributes", RowID: "row-1", Column: "value"}

func newLocal(t *testing.T) (*keyring.Local, *keyring.Envelope) {
	t.Helper()
	l, err := keyring.OpenLocal(keyring.DefaultPath(t.TempDir()), keyring.LocalOptions{})
	if err != nil {
		t.Fatalf("OpenLocal: %v", err)
	}
	return l, keyring.NewEnvelope(l, nil)
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	_, env := newLocal(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		pt   []byte
	}{
		{"empty", []byte{}},
		{"one byte", []byte{0}},
		{"card", []byte("4111111111111111")},
		{"100 bytes", bytes.Repeat([]byte{0xa5}, 100)},
		{"64 KiB", bytes.Repeat([]byte("x"), 64<<10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := env.Seal(ctx, tc.pt, loc)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if got, want := len(ct), len(tc.pt)+98; got != want {
				t.Errorf("len(ciphertext) = %d, want %d", got, want)
			}
			if len(tc.pt) >= 4 && bytes.Contains(ct, tc.pt) {
				t.Errorf("ciphertext contains the plaintext")
			}
			got, err := env.Open(ctx, ct, loc)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got.Reveal(), tc.pt) {
				t.Errorf("Open = %x, want %x", got.Reveal(), tc.pt)
			}
			ct2, err := env.Seal(ctx, tc.pt, loc)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if bytes.Equal(ct, ct2) {
				t.Errorf("two seals of the same value are identical")
			}
		})
	}
}

func TestSealString(t *testing.T) {
	t.Parallel()
	_, env := newLocal(t)
	ctx := context.Background()
	ct, err := env.SealString(ctx, secret.New("123-45-6789"), loc)
	if err != nil {
		t.Fatalf("SealString: %v", err)
	}
	got, err := env.OpenString(ctx, ct, loc)
	if err != nil {
		t.Fatalf("OpenString: %v", err)
	}
	if got.Reveal() != "123-45-6789" {
		t.Errorf("OpenString = %q, want %q", got.Reveal(), "123-45-6789")
	}
	bin, err := env.Seal(ctx, []byte{0xff, 0xfe}, loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if _, err := env.OpenString(ctx, bin, loc); !errors.Is(err, keyring.ErrFormat) {
		t.Errorf("OpenString(non-UTF-8) error = %v, want ErrFormat", err)
	}
}

func TestTamperRejected(t *testing.T) {
	t.Parallel()
	_, env := newLocal(t)
	ctx := context.Background()
	ct, err := env.Seal(ctx, bytes.Repeat([]byte("p"), 100), loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	t.Run("every byte flipped", func(t *testing.T) {
		for i := range ct {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(ct)
				bad[i] ^= mask
				if _, err := env.Open(ctx, bad, loc); err == nil {
					t.Fatalf("Open with byte %d ^ %#x succeeded, want error", i, mask)
				}
			}
		}
	})
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(ct) {
			if _, err := env.Open(ctx, ct[:n], loc); err == nil {
				t.Fatalf("Open of first %d bytes succeeded, want error", n)
			}
		}
	})
	t.Run("extension", func(t *testing.T) {
		for _, extra := range [][]byte{{0}, {1}, bytes.Repeat([]byte{0}, 16), ct} {
			bad := append(bytes.Clone(ct), extra...)
			if _, err := env.Open(ctx, bad, loc); !errors.Is(err, keyring.ErrAuthentication) {
				t.Fatalf("Open with %d extra bytes: error = %v, want ErrAuthentication", len(extra), err)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			ct   []byte
			want error
		}{
			{"empty", nil, keyring.ErrFormat},
			{"bad magic", append([]byte("XFE"), ct[3:]...), keyring.ErrFormat},
			{"format version 2", append([]byte("RFE\x02"), ct[4:]...), keyring.ErrFormat},
			{"key version 0", append([]byte("RFE\x01\x00\x00\x00\x00"), ct[8:]...), keyring.ErrFormat},
			{"key version 9", append([]byte("RFE\x01\x00\x00\x00\x09"), ct[8:]...), keyring.ErrUnknownVersion},
			{"wrapped length 0", append(bytes.Clone(ct[:8]), append([]byte{0, 0}, ct[10:]...)...), keyring.ErrFormat},
			{"wrapped length huge", append(bytes.Clone(ct[:8]), append([]byte{0xff, 0xff}, ct[10:]...)...), keyring.ErrFormat},
			{"tag flipped", append(bytes.Clone(ct[:len(ct)-1]), ct[len(ct)-1]^1), keyring.ErrAuthentication},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := env.Open(ctx, tc.ct, loc)
				if !errors.Is(err, tc.want) {
					t.Errorf("Open error = %v, want %v", err, tc.want)
				}
			})
		}
	})
}

func TestMovedCiphertextRejected(t *testing.T) {
	t.Parallel()
	_, env := newLocal(t)
	ctx := context.Background()
	ct, err := env.Seal(ctx, []byte("4111111111111111"), loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	moved := func(f func(*keyring.AAD)) keyring.AAD { a := loc; f(&a); return a }
	for _, tc := range []struct {
		name string
		aad  keyring.AAD
	}{
		{"other instance", moved(func(a *keyring.AAD) { a.InstanceID = "inst-b" })},
		{"other table", moved(func(a *keyring.AAD) { a.Table = "users" })},
		{"other row", moved(func(a *keyring.AAD) { a.RowID = "row-2" })},
		{"other column", moved(func(a *keyring.AAD) { a.Column = "name" })},
		{"field boundary shifted", keyring.AAD{InstanceID: "inst-a", Table: "contact_attributesrow-1", RowID: "v", Column: "alue"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.Open(ctx, ct, tc.aad)
			if !errors.Is(err, keyring.ErrAuthentication) {
				t.Fatalf("Open error = %v, want ErrAuthentication", err)
			}
			if !strings.Contains(err.Error(), "does not authenticate for this instance/table/row/column") {
				t.Errorf("error = %q, want it to name the location binding", err)
			}
		})
	}
}

func TestInvalidAAD(t *testing.T) {
	t.Parallel()
	_, env := newLocal(t)
	for _, tc := range []struct {
		name string
		aad  keyring.AAD
	}{
		{"empty instance", keyring.AAD{Table: "t", RowID: "r", Column: "c"}},
		{"empty table", keyring.AAD{InstanceID: "i", RowID: "r", Column: "c"}},
		{"empty row", keyring.AAD{InstanceID: "i", Table: "t", Column: "c"}},
		{"empty column", keyring.AAD{InstanceID: "i", Table: "t", RowID: "r"}},
		{"long row", keyring.AAD{InstanceID: "i", Table: "t", RowID: strings.Repeat("r", keyring.MaxAADField+1), Column: "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := env.Seal(context.Background(), []byte("x"), tc.aad); !errors.Is(err, keyring.ErrInvalidAAD) {
				t.Errorf("Seal error = %v, want ErrInvalidAAD", err)
			}
		})
	}
}

func TestRotateAndRewrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := keyring.DefaultPath(t.TempDir())
	l, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatalf("OpenLocal: %v", err)
	}
	env := keyring.NewEnvelope(l, nil)
	old, err := env.Seal(ctx, []byte("old value"), loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if v, _ := keyring.Version(old); v != 1 {
		t.Errorf("Version(old) = %d, want 1", v)
	}
	if needs, err := env.NeedsRewrap(ctx, old); err != nil || needs {
		t.Errorf("NeedsRewrap before rotation = %v, %v; want false, nil", needs, err)
	}
	v, err := l.Rotate(ctx)
	if err != nil || v != 2 {
		t.Fatalf("Rotate = %d, %v; want 2, nil", v, err)
	}
	fresh, err := env.Seal(ctx, []byte("new value"), loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if v, _ := keyring.Version(fresh); v != 2 {
		t.Errorf("Version(fresh) = %d, want 2", v)
	}
	// A second process reading the same file sees both versions.
	l2, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatalf("OpenLocal again: %v", err)
	}
	env2 := keyring.NewEnvelope(l2, nil)
	for _, e := range []*keyring.Envelope{env, env2} {
		for _, tc := range []struct {
			ct   []byte
			want string
		}{{old, "old value"}, {fresh, "new value"}} {
			got, err := e.Open(ctx, tc.ct, loc)
			if err != nil || string(got.Reveal()) != tc.want {
				t.Errorf("Open = %q, %v; want %q", got.Reveal(), err, tc.want)
			}
		}
	}
	if needs, err := env.NeedsRewrap(ctx, old); err != nil || !needs {
		t.Errorf("NeedsRewrap(old) = %v, %v; want true, nil", needs, err)
	}
	re, err := env.Rewrap(ctx, old, loc)
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	if v, _ := keyring.Version(re); v != 2 {
		t.Errorf("Version(rewrapped) = %d, want 2", v)
	}
	if needs, _ := env.NeedsRewrap(ctx, re); needs {
		t.Errorf("NeedsRewrap(rewrapped) = true, want false")
	}
	if got, err := env2.Open(ctx, re, loc); err != nil || string(got.Reveal()) != "old value" {
		t.Errorf("Open(rewrapped) = %q, %v; want %q", got.Reveal(), err, "old value")
	}
	other := loc
	other.RowID = "row-9"
	if _, err := env.Rewrap(ctx, old, other); !errors.Is(err, keyring.ErrAuthentication) {
		t.Errorf("Rewrap for another row: error = %v, want ErrAuthentication", err)
	}
	// The first keyring learns about a version rotated by another process on demand.
	if _, err := l2.Rotate(ctx); err != nil {
		t.Fatalf("Rotate via second keyring: %v", err)
	}
	v3, err := env2.Seal(ctx, []byte("v3"), loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if got, err := env.Open(ctx, v3, loc); err != nil || string(got.Reveal()) != "v3" {
		t.Errorf("Open of version 3 by the first keyring = %q, %v; want %q", got.Reveal(), err, "v3")
	}
	var got []uint32
	for _, vi := range l.Versions() {
		got = append(got, vi.Version)
		if vi.Current != (vi.Version == 3) {
			t.Errorf("version %d Current = %v", vi.Version, vi.Current)
		}
	}
	if diff := cmp.Diff([]uint32{1, 2, 3}, got); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}
}

func TestKeyFileModes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := keyring.DefaultPath(dir)
	if _, err := keyring.OpenLocal(path, keyring.LocalOptions{}); err != nil {
		t.Fatalf("OpenLocal: %v", err)
	}
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{{path, 0o600}, {filepath.Dir(path), 0o700}} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("mode of %s = %04o, want %04o", tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name    string
		target  string
		mode    os.FileMode
		wantErr error
	}{
		{"file world readable", path, 0o644, keyring.ErrInsecureKeyFile},
		{"file group readable", path, 0o640, keyring.ErrInsecureKeyFile},
		{"file owner only", path, 0o600, nil},
		{"file read only", path, 0o400, nil},
		{"dir group readable", filepath.Dir(path), 0o750, keyring.ErrInsecureKeyFile},
		{"dir owner only", filepath.Dir(path), 0o700, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chmod(tc.target, tc.mode); err != nil {
				t.Fatalf("Chmod: %v", err)
			}
			defer os.Chmod(tc.target, map[bool]os.FileMode{true: 0o600, false: 0o700}[tc.target == path])
			_, err := keyring.OpenLocal(path, keyring.LocalOptions{})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("OpenLocal error = %v, want %v", err, tc.wantErr)
			}
		})
	}
	t.Run("symlink", func(t *testing.T) {
		link := filepath.Join(filepath.Dir(path), "link.json")
		if err := os.Symlink(path, link); err != nil {
			t.Fatalf("Symlink: %v", err)
		}
		if _, err := keyring.OpenLocal(link, keyring.LocalOptions{}); !errors.Is(err, keyring.ErrInsecureKeyFile) {
			t.Errorf("OpenLocal(symlink) error = %v, want ErrInsecureKeyFile", err)
		}
	})
	t.Run("no temporary files left", func(t *testing.T) {
		ents, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatalf("ReadDir: %v", err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temporary file %s left behind", e.Name())
			}
		}
	})
}

func TestKeyFileCorrupt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"not json", "{", "parse"},
		{"other format", `{"format":"x","current":1,"keks":[],"hmac":{"key":null,"created":"2026-01-01T00:00:00Z"}}`, `format "x"`},
		{"short key", `{"format":"ringfence-keyring/1","current":1,"keks":[{"version":1,"key":"AAAA","created":"2026-01-01T00:00:00Z"}],"hmac":{"key":"AAAA","created":"2026-01-01T00:00:00Z"}}`, "key is 3 bytes"},
		{"current missing", `{"format":"ringfence-keyring/1","current":2,"keks":[],"hmac":{"key":"AAAA","created":"2026-01-01T00:00:00Z"}}`, "current version 2 not in file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "keyring.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := keyring.OpenLocal(path, keyring.LocalOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenLocal error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// keyForms returns the ways fmt could render the key bytes stored in a key file.
func keyForms(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kf struct {
		KEKs []struct{ Key []byte }
		HMAC struct{ Key []byte }
	}
	if err := json.Unmarshal(raw, &kf); err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{kf.HMAC.Key}
	for _, k := range kf.KEKs {
		keys = append(keys, k.Key)
	}
	var forms []string
	for _, k := range keys {
		forms = append(forms, fmt.Sprint(k[:4])[1:], fmt.Sprintf("%#v", k[:4])[8:], fmt.Sprintf("%x", k[:4]), base64.StdEncoding.EncodeToString(k)[:8])
	}
	return forms
}

func TestNoKeyMaterialPrinted(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t)
	if _, err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	forms := keyForms(t, l.Path())
	h := l.Hasher()
	type holder struct {
		h *keyring.Hasher
		v keyring.Hasher
		l *keyring.Local
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		for _, v := range []any{l, h, *h, holder{h, *h, l}, &holder{h, *h, l}} {
			out := fmt.Sprintf(verb, v)
			for _, f := range forms {
				if strings.Contains(out, strings.TrimSuffix(f, "]")) {
					t.Errorf("Sprintf(%s, %T) = %q leaks key bytes %q", verb, v, out, f)
				}
			}
		}
	}
}

func TestHasher(t *testing.T) {
	t.Parallel()
	path := keyring.DefaultPath(t.TempDir())
	l, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Hasher()
	a := h.SumString(secret.New("4111111111111111"))
	if !strings.HasPrefix(a, keyring.HashPrefix) || len(a) != 55 {
		t.Errorf("SumString = %q, want %q and 43 base64url characters", a, keyring.HashPrefix)
	}
	if b := h.Sum(secret.New([]byte("4111111111111111"))); b != a {
		t.Errorf("Sum = %q, want %q (same as SumString)", b, a)
	}
	if b := h.SumString(secret.New("4111111111111112")); b == a {
		t.Errorf("different values hash equal")
	}
	l2, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := l2.Hasher().SumString(secret.New("4111111111111111")); b != a {
		t.Errorf("hash after reopening = %q, want %q", b, a)
	}
	if _, err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b := l.Hasher().SumString(secret.New("4111111111111111")); b != a {
		t.Errorf("hash after KEK rotation = %q, want %q (the HMAC key is separate)", b, a)
	}
	other, _ := newLocal(t)
	if b := other.Hasher().SumString(secret.New("4111111111111111")); b == a {
		t.Errorf("two key files give the same hash")
	}
	// RFC 4231 test case 2 checks the construction.
	k := keyring.NewHasher(secret.New([]byte("Jefe")))
	if got, want := k.SumString(secret.New("what do ya want for nothing?")), "hmac-sha256:W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM"; got != want {
		t.Errorf("RFC 4231 case 2: got %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name, hash string
		want       bool
	}{
		{"match", a, true},
		{"other value", h.SumString(secret.New("x")), false},
		{"no prefix", strings.TrimPrefix(a, keyring.HashPrefix), false},
		{"bad base64", keyring.HashPrefix + "!!", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.Verify(tc.hash, secret.New([]byte("4111111111111111"))); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	l, env := newLocal(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := loc
			a.RowID = fmt.Sprint("row-", g)
			for i := range 50 {
				pt := []byte(fmt.Sprint("value ", g, " ", i))
				ct, err := env.Seal(ctx, pt, a)
				if err != nil {
					errs <- err
					return
				}
				got, err := env.Open(ctx, ct, a)
				if err != nil || !bytes.Equal(got.Reveal(), pt) {
					errs <- fmt.Errorf("open: %v", err)
					return
				}
				if i%10 == 0 {
					if _, err := env.Rewrap(ctx, ct, a); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Rotate(ctx); err != nil {
				errs <- err
			}
			_ = l.Hasher().SumString(secret.New("x"))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if v, _ := l.CurrentVersion(ctx); v != 4 {
		t.Errorf("CurrentVersion after 3 concurrent rotations = %d, want 4", v)
	}
}

// BenchmarkSeal100 measures Seal of a 100-byte value with the local keyring:
//
//	go test -run=^$ -bench=. -benchmem ./keyring/
func BenchmarkSeal100(b *testing.B) {
	l, err := keyring.OpenLocal(keyring.DefaultPath(b.TempDir()), keyring.LocalOptions{})
	if err != nil {
		b.Fatal(err)
	}
	env := keyring.NewEnvelope(l, nil)
	pt := bytes.Repeat([]byte("a"), 100)
	ctx := context.Background()
	b.SetBytes(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Seal(ctx, pt, loc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen100 measures Open of a 100-byte value with the local keyring.
func BenchmarkOpen100(b *testing.B) {
	l, err := keyring.OpenLocal(keyring.DefaultPath(b.TempDir()), keyring.LocalOptions{})
	if err != nil {
		b.Fatal(err)
	}
	env := keyring.NewEnvelope(l, nil)
	ctx := context.Background()
	ct, err := env.Seal(ctx, bytes.Repeat([]byte("a"), 100), loc)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Open(ctx, ct, loc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNoKeyMaterialPrintedNested(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t)
	h := l.Hasher()
	type holder struct {
		h *keyring.Hasher
		v keyring.Hasher
	}
	raw, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%+v %#v", holder{h, *h}, holder{h, *h})
	if strings.Contains(out, "[") && strings.Count(out, " ") > 40 {
		t.Errorf("nested print looks like it dumps bytes: %s", out)
	}
	_ = raw
}
