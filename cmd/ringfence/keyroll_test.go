package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/node"
)

// TestKeysRollGrace: `keys roll --grace 24h` prints the new key and when the old one
// expires; the old key stays stored Active with that end and is Expiring until it, Inactive
// from it; `keys list` shows it Expiring with its end; the roll's audit event records the
// grace; an Expiring key is not rolled again; a grace over 7 days or negative is refused and
// issues nothing; `keys revoke` ends an Expiring key at once.
func TestKeysRollGrace(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, nil, "bootstrap", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var boot bootstrapOutput
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, nil, "keys", "create", "--data-dir", dir, "--instance", boot.InstanceID, "--user", "admin", "--description", "tooling")
	if err != nil {
		t.Fatalf("keys create = %q, %v", out, err)
	}
	userKey := field(t, out, "access_key_id")

	before := time.Now().Truncate(time.Second)
	out, err = run(t, nil, "keys", "roll", userKey, "--grace", "24h", "--data-dir", dir)
	after := time.Now()
	if err != nil || strings.Contains(out, "revoked") {
		t.Fatalf("keys roll --grace 24h = %q, %v; want the old key expiring, not revoked", out, err)
	}
	newKey := field(t, out, "access_key_id")
	prefix := "expiring " + userKey + " at "
	var printedEnd time.Time
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			printedEnd, err = time.Parse(time.RFC3339, v)
		}
	}
	if err != nil || printedEnd.Before(before.Add(24*time.Hour)) || printedEnd.After(after.Add(24*time.Hour)) {
		t.Fatalf("keys roll --grace 24h printed %q; want a line %q with the end of the grace period", out, prefix+"<RFC 3339>")
	}

	out, err = run(t, nil, "keys", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 {
			rows[f[0]] = f
		}
	}
	if h := rows["ACCESS"]; len(h) < 5 || h[4] != "STATUS" || h[5] != "EXPIRES" {
		t.Errorf("keys list header = %v; want STATUS then EXPIRES", h)
	}
	if r := rows[userKey]; len(r) < 4 || r[2] != "Expiring" || r[3] != printedEnd.Format(time.RFC3339) {
		t.Errorf("keys list row of the rolled key = %v; want Expiring until %s", r, printedEnd.Format(time.RFC3339))
	}
	if r := rows[newKey]; len(r) < 4 || r[2] != "Active" || r[3] != "-" {
		t.Errorf("keys list row of the new key = %v; want Active without an end", r)
	}

	// An Expiring key is not rolled again; a grace out of range issues nothing.
	if _, err := run(t, nil, "keys", "roll", userKey, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "InvalidRequestException") {
		t.Errorf("rolling the Expiring key: %v; want InvalidRequestException", err)
	}
	for _, g := range []string{"169h", "-1h"} {
		if _, err := run(t, nil, "keys", "roll", newKey, "--grace", g, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "InvalidParameterException") {
			t.Errorf("keys roll --grace %s: %v; want InvalidParameterException", g, err)
		}
	}
	if _, err := run(t, nil, "keys", "roll", newKey, "--grace", "soon", "--data-dir", dir); err == nil {
		t.Error("keys roll --grace soon succeeded")
	}

	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := n.ListAccessKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]identity.AccessKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	old := byID[userKey]
	if len(keys) != 3 || old.Status != identity.KeyActive || !old.ExpiresAt.Truncate(time.Second).Equal(printedEnd) {
		t.Errorf("stored keys %d, old key %s until %s; want 3 keys, the old one stored Active until %s", len(keys), old.Status, old.ExpiresAt, printedEnd)
	}
	if old.StatusAt(old.ExpiresAt.Add(-time.Millisecond)) != identity.KeyExpiring || old.StatusAt(old.ExpiresAt) != identity.KeyInactive {
		t.Errorf("old key at its end: %s before, %s at it; want Expiring then Inactive", old.StatusAt(old.ExpiresAt.Add(-time.Millisecond)), old.StatusAt(old.ExpiresAt))
	}
	var rollEvent *audit.Event
	err = n.Store.ScanAudit(context.Background(), 0, func(r audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.Code == "host.roll_access_key" && ev.Resource == userKey && ev.Outcome == audit.OutcomeSuccess {
			rollEvent = &ev
		}
		return nil
	})
	n.Close()
	if err != nil {
		t.Fatal(err)
	}
	if rollEvent == nil || rollEvent.Details["grace_period_minutes"] != "1440" || rollEvent.Details["new_access_key_id"] != newKey ||
		rollEvent.Details["expires_at"] != old.ExpiresAt.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("roll audit event = %+v; want the grace (1440 minutes) and its end %s", rollEvent, old.ExpiresAt)
	}

	// Revoking the Expiring key ends it at once.
	if out, err := run(t, nil, "keys", "revoke", userKey, "--data-dir", dir); err != nil {
		t.Fatalf("keys revoke = %q, %v", out, err)
	}
	out, _ = run(t, nil, "keys", "list", "--data-dir", dir)
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == userKey && (f[2] != "Inactive" || f[3] != "-") {
			t.Errorf("keys list after revoking the Expiring key: %v; want Inactive without an end", f)
		}
	}
	if out, err := run(t, nil, "audit", "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %q, %v", out, err)
	}
}
