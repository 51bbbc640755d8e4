package keyring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// rawKeyFile is the key file's JSON, for tests that edit it by hand.
type rawKeyFile struct {
	Format  string `json:"format"`
	Current uint32 `json:"current"`
	KEKs    []struct {
		Version uint32    `json:"version"`
		Key     []byte    `json:"key"`
		Created time.Time `json:"created"`
	} `json:"keks"`
	HMAC struct {
		Key     []byte    `json:"key"`
		Created time.Time `json:"created"`
	} `json:"hmac"`
}

func readRaw(t *testing.T, path string) rawKeyFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kf rawKeyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		t.Fatal(err)
	}
	return kf
}

func writeRaw(t *testing.T, path string, kf rawKeyFile) {
	t.Helper()
	b, err := json.Marshal(kf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sealVersion seals a value with env and returns the ciphertext and its KEK version.
func sealVersion(t *testing.T, env *keyring.Envelope, value string) ([]byte, uint32) {
	t.Helper()
	ct, err := env.Seal(context.Background(), []byte(value), loc)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	v, err := keyring.Version(ct)
	if err != nil {
		t.Fatal(err)
	}
	return ct, v
}

// wantOpens checks that every ciphertext still opens to its value.
func wantOpens(t *testing.T, env *keyring.Envelope, sealed map[string][]byte) {
	t.Helper()
	for want, ct := range sealed {
		got, err := env.Open(context.Background(), ct, loc)
		if err != nil || string(got.Reveal()) != want {
			v, _ := keyring.Version(ct)
			t.Errorf("Open of the value sealed under version %d = %q, %v; want %q", v, got.Reveal(), err, want)
		}
	}
}

// TestReloadPicksUpRotation: a keyring that another process rotated seals under the new
// version after Reload; what it sealed before still opens; a Reload of an unchanged file
// changes nothing.
func TestReloadPicksUpRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := keyring.DefaultPath(t.TempDir())
	server, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := keyring.NewEnvelope(server, nil)
	v1, _ := sealVersion(t, env, "before")
	other, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := other.Rotate(ctx); err != nil || v != 2 {
		t.Fatalf("Rotate by the other process = %d, %v", v, err)
	}
	if _, v := sealVersion(t, env, "not yet"); v != 1 {
		t.Errorf("before Reload the server seals under %d, want 1 (it has not read the file)", v)
	}
	res, err := server.Reload(ctx)
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if diff := cmp.Diff(keyring.ReloadResult{Changed: true, Previous: 1, Current: 2, Added: []uint32{2}}, res); diff != "" {
		t.Errorf("Reload (-want +got):\n%s", diff)
	}
	v2, v := sealVersion(t, env, "after")
	if v != 2 {
		t.Errorf("after Reload the server seals under %d, want 2", v)
	}
	wantOpens(t, env, map[string][]byte{"before": v1, "after": v2})
	if res, err := server.Reload(ctx); err != nil || res.Changed || res.Current != 2 {
		t.Errorf("Reload of an unchanged file = %+v, %v; want nothing changed", res, err)
	}
}

// TestReloadNeverDropsKeysInUse: a key file that cannot be read or parsed, is insecure, gives
// a version or the keyed-hash key another key, or is a stale copy naming an older current
// version, is refused: the keyring keeps sealing under the version in use, every value it
// sealed still opens, the keyed hashes stay the same, and the error quotes no key material.
// A file that only lacks an old version is taken, the version kept in memory.
func TestReloadNeverDropsKeysInUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stranger := keyring.DefaultPath(t.TempDir()) // another deployment's key file
	if _, err := keyring.OpenLocal(stranger, keyring.LocalOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		mutate  func(t *testing.T, path string, v2 []byte)
		wantErr error
		want    string
	}{
		{"not JSON", func(t *testing.T, path string, v2 []byte) {
			os.WriteFile(path, bytes.Replace(v2, []byte(`"current":`), []byte(`"current": x`), 1), 0o600)
		}, nil, "not valid JSON at byte"},
		{"cut short", func(t *testing.T, path string, v2 []byte) { os.WriteFile(path, v2[:len(v2)/2], 0o600) }, nil, "ends early"},
		{"empty", func(t *testing.T, path string, _ []byte) { os.WriteFile(path, nil, 0o600) }, nil, "empty"},
		{"truncated key", func(t *testing.T, path string, v2 []byte) {
			os.WriteFile(path, bytes.Replace(v2, []byte(`"key": "`), []byte(`"key": "!`), 1), 0o600)
		}, nil, "not valid base64"},
		{"unknown field", func(t *testing.T, path string, v2 []byte) {
			os.WriteFile(path, bytes.Replace(v2, []byte(`"format"`), []byte(`"extra":1,"format"`), 1), 0o600)
		}, nil, "field a key file does not have"},
		{"other format", func(t *testing.T, path string, _ []byte) {
			kf := readRaw(t, path)
			kf.Format = "x"
			writeRaw(t, path, kf)
		}, nil, `format "x"`},
		{"world readable", func(t *testing.T, path string, _ []byte) { os.Chmod(path, 0o644) }, keyring.ErrInsecureKeyFile, "mode 0644"},
		{"removed", func(t *testing.T, path string, _ []byte) { os.Remove(path) }, os.ErrNotExist, ""},
		{"another deployment's file", func(t *testing.T, path string, _ []byte) {
			b, _ := os.ReadFile(stranger)
			os.WriteFile(path, b, 0o600)
		}, keyring.ErrKeyFileConflict, "differs from the one in use"},
		{"a version's key replaced", func(t *testing.T, path string, _ []byte) {
			kf := readRaw(t, path)
			kf.KEKs[0].Key = bytes.Repeat([]byte{7}, keyring.DataKeySize)
			writeRaw(t, path, kf)
		}, keyring.ErrKeyFileConflict, "kek version 1 differs"},
		{"keyed-hash key replaced", func(t *testing.T, path string, _ []byte) {
			kf := readRaw(t, path)
			kf.HMAC.Key = bytes.Repeat([]byte{7}, keyring.DataKeySize)
			writeRaw(t, path, kf)
		}, keyring.ErrKeyFileConflict, "keyed-hash key differs"},
		{"stale copy", func(t *testing.T, path string, _ []byte) {
			kf := readRaw(t, path)
			kf.Current = 1
			writeRaw(t, path, kf)
		}, keyring.ErrKeyFileConflict, "current version 1 is older than version 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := keyring.DefaultPath(t.TempDir())
			server, err := keyring.OpenLocal(path, keyring.LocalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			env := keyring.NewEnvelope(server, nil)
			ct1, _ := sealVersion(t, env, "one")
			if _, err := server.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
			ct2, _ := sealVersion(t, env, "two")
			hashBefore := server.Hasher().SumString(secret.New("probe"))
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			forms := keyForms(t, path)
			tc.mutate(t, path, good)

			res, err := server.Reload(ctx)
			if err == nil {
				t.Fatalf("Reload = %+v, nil; want the file refused", res)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Reload error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Reload error = %v, want it to say %q", err, tc.want)
			}
			for _, f := range forms {
				if strings.Contains(err.Error(), strings.TrimSuffix(f, "]")) {
					t.Errorf("Reload error %q quotes key bytes %q", err, f)
				}
			}
			if v, _ := server.CurrentVersion(ctx); v != 2 {
				t.Errorf("current version after a refused file = %d, want 2", v)
			}
			if _, v := sealVersion(t, env, "three"); v != 2 {
				t.Errorf("seals under %d after a refused file, want 2", v)
			}
			wantOpens(t, env, map[string][]byte{"one": ct1, "two": ct2})
			if got := server.Hasher().SumString(secret.New("probe")); got != hashBefore {
				t.Errorf("keyed hash changed after a refused file")
			}
			// Once the file is good again, a reload succeeds.
			os.Chmod(path, 0o600)
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := server.Reload(ctx); err != nil {
				t.Errorf("Reload of the good file again: %v", err)
			}
		})
	}

	t.Run("old version removed from the file", func(t *testing.T) {
		t.Parallel()
		path := keyring.DefaultPath(t.TempDir())
		server, err := keyring.OpenLocal(path, keyring.LocalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		env := keyring.NewEnvelope(server, nil)
		ct1, _ := sealVersion(t, env, "one")
		other, err := keyring.OpenLocal(path, keyring.LocalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		kf := readRaw(t, path)
		kf.KEKs = kf.KEKs[1:]
		writeRaw(t, path, kf)
		res, err := server.Reload(ctx)
		if err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if diff := cmp.Diff(keyring.ReloadResult{Changed: true, Previous: 1, Current: 2, Added: []uint32{2}, Missing: []uint32{1}}, res); diff != "" {
			t.Errorf("Reload (-want +got):\n%s", diff)
		}
		ct2, v := sealVersion(t, env, "two")
		if v != 2 {
			t.Errorf("seals under %d, want 2", v)
		}
		wantOpens(t, env, map[string][]byte{"one": ct1, "two": ct2})
	})
}

// replaceFile puts content at path in one step (a file renamed over it), so that a watcher
// never reads it half written.
func replaceFile(t *testing.T, path string, content []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the watcher's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond every millisecond until it holds or 10 s pass (a generous deadline
// for a watcher reading every 5 ms on a loaded machine; not a speed measurement).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWatch: while Watch runs, a rotation by another process reaches the keyring (new seals
// use the new version, old ciphertexts open) and is logged; a corrupt key file is logged as an
// error without key material, keeps the keyring as it is and is retried; once the file is
// good again the next rotation is picked up and the recovery logged; Watch returns when its
// context ends.
func TestWatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	path := keyring.DefaultPath(t.TempDir())
	server, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := keyring.NewEnvelope(server, nil)
	var logs syncBuffer
	done := make(chan struct{})
	go func() {
		server.Watch(ctx, keyring.WatchOptions{Interval: 5 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		close(done)
	}()
	current := func(want uint32) func() bool {
		return func() bool { v, _ := server.CurrentVersion(ctx); return v == want }
	}
	sealed := map[string][]byte{}
	sealed["v1"], _ = sealVersion(t, env, "v1")

	other, err := keyring.OpenLocal(path, keyring.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 2 to be picked up", current(2))
	var v uint32
	if sealed["v2"], v = sealVersion(t, env, "v2"); v != 2 {
		t.Errorf("after the rotation was picked up, seals under %d, want 2", v)
	}
	wantOpens(t, env, sealed)
	eventually(t, "the reload to be logged", func() bool { return strings.Contains(logs.String(), `"msg":"keyring reloaded"`) })

	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	forms := keyForms(t, path)
	replaceFile(t, path, append(good[:len(good)/2:len(good)/2], "garbage"...))
	eventually(t, "the corrupt file to be logged", func() bool {
		return strings.Contains(logs.String(), `"msg":"key file not loaded; the keys in use are kept"`)
	})
	if !server.ReloadFailing() {
		t.Error("ReloadFailing = false while the key file is corrupt")
	}
	time.Sleep(30 * time.Millisecond) // several more attempts
	if n := strings.Count(logs.String(), `"level":"ERROR"`); n != 1 {
		t.Errorf("the same failure was logged %d times within a few intervals, want once (then every 5 minutes)", n)
	}
	if v, _ := server.CurrentVersion(ctx); v != 2 {
		t.Errorf("current version with a corrupt key file = %d, want 2", v)
	}
	if sealed["v2 again"], v = sealVersion(t, env, "v2 again"); v != 2 {
		t.Errorf("seals under %d with a corrupt key file, want 2", v)
	}
	wantOpens(t, env, sealed)

	// The file is good again; the next rotation is picked up.
	replaceFile(t, path, good)
	eventually(t, "the recovery", func() bool { return !server.ReloadFailing() })
	if _, err := other.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 3 to be picked up", current(3))
	if sealed["v3"], v = sealVersion(t, env, "v3"); v != 3 {
		t.Errorf("seals under %d, want 3", v)
	}
	wantOpens(t, env, sealed)
	cancel()
	<-done

	out := logs.String()
	if !strings.Contains(out, `"msg":"key file loaded again"`) || !strings.Contains(out, `"current_version":3`) {
		t.Errorf("log lacks the recovery or the reload to version 3:\n%s", out)
	}
	for _, f := range append(forms, keyForms(t, path)...) {
		if strings.Contains(out, strings.TrimSuffix(f, "]")) {
			t.Errorf("log quotes key bytes %q:\n%s", f, out)
		}
	}
	if strings.Contains(out, "garbage") {
		t.Errorf("log quotes the key file's content:\n%s", out)
	}
}

// TestWatchDefaultInterval: a zero interval means DefaultWatchInterval, and Watch returns
// when its context ends even before its first read.
func TestWatchDefaultInterval(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Watch(ctx, keyring.WatchOptions{}); close(done) }()
	cancel()
	<-done
	if keyring.DefaultWatchInterval != 10*time.Second {
		t.Errorf("DefaultWatchInterval = %s", keyring.DefaultWatchInterval)
	}
}
