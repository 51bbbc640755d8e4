package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/apierr"
)

// TestAdminDataProtection sets, shows, refuses bad input for and clears an instance's
// data-protection settings through the command line; the changes are audited.
func TestAdminDataProtection(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	dp := func(args ...string) (string, error) {
		return run(t, nil, append([]string{"admin", "data-protection", "--data-dir", dir, "--instance", boot.InstanceID}, args...)...)
	}
	if out, err := dp(); err != nil || !strings.Contains(out, "sensitive_attributes=\n") || !strings.Contains(out, "card_policy=mask\n") || !strings.Contains(out, "updated=never") {
		t.Errorf("defaults: %q, %v", out, err)
	}
	if out, err := dp("--sensitive-attributes", "ssn, card_*,ssn", "--policy", "bin-last4"); err != nil ||
		!strings.Contains(out, "sensitive_attributes=card_*,ssn\n") || !strings.Contains(out, "card_policy=bin-last4\n") {
		t.Errorf("set: %q, %v", out, err)
	}
	// The policy alone changes the policy alone.
	if out, err := dp("--policy", "mask"); err != nil || !strings.Contains(out, "sensitive_attributes=card_*,ssn\n") || !strings.Contains(out, "card_policy=mask\n") {
		t.Errorf("policy only: %q, %v", out, err)
	}
	for _, bad := range [][]string{{"--policy", "show-all"}, {"--sensitive-attributes", "bad key!"}, {"--sensitive-attributes", "*"}} {
		_, err := dp(bad...)
		if !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("%v: err = %v, want InvalidParameterException", bad, err)
		}
	}
	if out, err := dp(); err != nil || !strings.Contains(out, "sensitive_attributes=card_*,ssn\n") {
		t.Errorf("after refused changes: %q, %v", out, err)
	}
	if out, err := dp("--sensitive-attributes", ""); err != nil || !strings.Contains(out, "sensitive_attributes=\n") {
		t.Errorf("clear: %q, %v", out, err)
	}
	_, err = run(t, nil, "admin", "data-protection", "--data-dir", dir, "--instance", "00000000-0000-4000-8000-000000000099", "--policy", "mask")
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		t.Errorf("unknown instance: err = %v, want ResourceNotFoundException", err)
	}
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify: %q, %v", out, err)
	}
}
