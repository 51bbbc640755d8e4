package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/keyring"
)

// TestConfigKeyringPoll: --keyring-poll defaults to keyring.DefaultWatchInterval and comes
// from a flag, the environment or the YAML file; a value that is not a duration is refused
// with the setting named, and one over the limit by the node.
func TestConfigKeyringPoll(t *testing.T) {
	yml := filepath.Join(t.TempDir(), "ringfence.yaml")
	if err := os.WriteFile(yml, []byte("keyring-poll: 45s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		env   []string
		want  time.Duration
		wantE string
	}{
		{"default", nil, nil, keyring.DefaultWatchInterval, ""},
		{"flag", []string{"--keyring-poll", "2s"}, nil, 2 * time.Second, ""},
		{"environment", nil, []string{"RINGFENCE_KEYRING_POLL=1m"}, time.Minute, ""},
		{"YAML", []string{"--config", yml}, nil, 45 * time.Second, ""},
		{"not a duration", nil, []string{"RINGFENCE_KEYRING_POLL=soon"}, 0, `--keyring-poll: "soon" is not a duration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(flags(t, tc.args...), tc.env)
			if tc.wantE != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantE) {
					t.Errorf("err = %v, want %q", err, tc.wantE)
				}
				return
			}
			if err != nil || cfg.KeyringPoll != tc.want {
				t.Errorf("KeyringPoll = %s, %v; want %s", cfg.KeyringPoll, err, tc.want)
			}
		})
	}
	if _, err := run(t, nil, "keys", "list", "--data-dir", t.TempDir(), "--keyring-poll", "11m"); err == nil || !strings.Contains(err.Error(), "--keyring-poll") {
		t.Errorf("--keyring-poll 11m: %v; want it refused", err)
	}
}
