package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/store"
)

// testAccessKeyRoll checks the access_keys.expires_at_ms column and store.RollAccessKey with
// and without a grace period: ExpiresAt round-trips (absent stays zero); a roll with a grace
// period stores the new key and gives the old one ExpiresAt = roll time + grace, keeping it
// Active as stored; the expiry decision is made at the time asked; an Expiring key cannot be
// rolled again, nor an expired one; SetAccessKeyExpiry refuses a revoked or expiring key;
// revoking an Expiring key (one by one, or all of a deleted user's) ends it; a grace of 0
// revokes at once as before; an out-of-range grace changes nothing.
func testAccessKeyRoll(t *testing.T, h Harness) {
	f := newIdentityFixture(t, h, "keyroll")
	u := f.user(f.a, "u0000000-0000-4000-8000-000000000001", "jdoe", f.profiles["a/Agent"].ID)
	f.createUser(t, u)
	get := func(id string) identity.AccessKey {
		t.Helper()
		var k identity.AccessKey
		if err := f.view(func(ctx context.Context, tx store.Tx) error {
			var err error
			k, err = tx.GetAccessKey(ctx, id)
			return err
		}); err != nil {
			t.Fatalf("GetAccessKey %s: %v", id, err)
		}
		return k
	}
	mk := func(at time.Time) identity.AccessKey {
		return identity.AccessKey{ID: identity.NewAccessKeyID(), Kind: identity.KeyUser, InstanceID: f.a.ID, UserID: u.ID,
			SecretCiphertext: []byte{1}, Status: identity.KeyActive, Description: "laptop", CreatedTime: at}
	}
	create := func(k identity.AccessKey) {
		t.Helper()
		if err := f.up(func(ctx context.Context, tx store.Tx) error { return tx.CreateAccessKey(ctx, k) }); err != nil {
			t.Fatalf("CreateAccessKey: %v", err)
		}
	}
	roll := func(oldID string, next identity.AccessKey, grace time.Duration) (identity.AccessKey, error) {
		var old identity.AccessKey
		err := f.up(func(ctx context.Context, tx store.Tx) error {
			var err error
			old, err = store.RollAccessKey(ctx, tx, oldID, next, grace)
			return err
		})
		return old, err
	}

	// The column round-trips, and a key without it reads back with a zero ExpiresAt.
	withExpiry := mk(t0)
	withExpiry.ExpiresAt = t0.Add(90*time.Minute + 123*time.Millisecond)
	create(withExpiry)
	if diff := cmp.Diff(withExpiry, get(withExpiry.ID)); diff != "" {
		t.Errorf("key with ExpiresAt (-want +got):\n%s", diff)
	}
	plain := mk(t0)
	create(plain)
	if got := get(plain.ID); !got.ExpiresAt.IsZero() {
		t.Errorf("key without an expiry reads back ExpiresAt %s", got.ExpiresAt)
	}

	// A roll with a grace period: both keys stored, the old one Active with its end.
	rolledAt := t0.Add(time.Hour)
	first := mk(rolledAt)
	old, err := roll(plain.ID, first, 24*time.Hour)
	if err != nil {
		t.Fatalf("RollAccessKey with a grace period: %v", err)
	}
	wantEnd := rolledAt.Add(24 * time.Hour)
	stored := get(plain.ID)
	if stored.Status != identity.KeyActive || !stored.ExpiresAt.Equal(wantEnd) || !old.ExpiresAt.Equal(wantEnd) {
		t.Errorf("old key after the roll: stored %s until %s, returned until %s; want Active until %s", stored.Status, stored.ExpiresAt, old.ExpiresAt, wantEnd)
	}
	if got := get(first.ID); got.Status != identity.KeyActive || !got.ExpiresAt.IsZero() {
		t.Errorf("new key %s until %s; want Active without an end", got.Status, got.ExpiresAt)
	}
	for _, c := range []struct {
		at   time.Time
		want identity.KeyStatus
	}{{rolledAt, identity.KeyExpiring}, {wantEnd.Add(-time.Millisecond), identity.KeyExpiring}, {wantEnd, identity.KeyInactive}} {
		if got := stored.StatusAt(c.at); got != c.want {
			t.Errorf("old key at %s: %s, want %s", c.at, got, c.want)
		}
	}
	var listed []identity.AccessKey
	if err := f.view(func(ctx context.Context, tx store.Tx) error {
		listed, err = tx.ListAccessKeys(ctx, identity.KeyUser)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range listed {
		if k.ID == plain.ID && !k.ExpiresAt.Equal(wantEnd) {
			t.Errorf("ListAccessKeys shows the old key until %s, want %s", k.ExpiresAt, wantEnd)
		}
	}

	// An Expiring key is rolled once only, and an expired one not at all; nothing is stored.
	again := mk(rolledAt.Add(time.Minute))
	_, err = roll(plain.ID, again, time.Hour)
	wantCode(t, err, apierr.CodeInvalidRequest)
	_, err = roll(plain.ID, mk(wantEnd.Add(time.Minute)), 0)
	wantCode(t, err, apierr.CodeInvalidRequest)
	wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetAccessKey(ctx, again.ID); return err }), apierr.CodeResourceNotFound)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetAccessKeyExpiry(ctx, plain.ID, wantEnd.Add(time.Hour))
	}), apierr.CodeInvalidRequest)
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.SetAccessKeyExpiry(ctx, "AKRFNOPE", wantEnd) }), apierr.CodeResourceNotFound)
	if got := get(plain.ID); !got.ExpiresAt.Equal(wantEnd) {
		t.Errorf("a refused second expiry moved the end to %s", got.ExpiresAt)
	}

	// An out-of-range grace is refused before anything is written.
	for _, g := range []time.Duration{-time.Minute, identity.RollGraceMax + time.Minute} {
		next := mk(rolledAt)
		_, err := roll(first.ID, next, g)
		wantCode(t, err, apierr.CodeInvalidParameter)
		wantCode(t, f.view(func(ctx context.Context, tx store.Tx) error { _, err := tx.GetAccessKey(ctx, next.ID); return err }), apierr.CodeResourceNotFound)
	}

	// Revoking an Expiring key ends it, whatever its end; it cannot be given another.
	second := mk(rolledAt)
	if _, err := roll(first.ID, second, identity.RollGraceMax); err != nil {
		t.Fatalf("RollAccessKey with the longest grace: %v", err)
	}
	if got := get(first.ID); !got.ExpiresAt.Equal(rolledAt.Add(identity.RollGraceMax)) {
		t.Errorf("longest grace ends at %s, want %s", got.ExpiresAt, rolledAt.Add(identity.RollGraceMax))
	}
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetAccessKeyStatus(ctx, first.ID, identity.KeyInactive)
	}); err != nil {
		t.Fatal(err)
	}
	if got := get(first.ID).StatusAt(rolledAt); got != identity.KeyInactive {
		t.Errorf("revoked Expiring key is %s, want Inactive", got)
	}
	wantCode(t, f.up(func(ctx context.Context, tx store.Tx) error { return tx.SetAccessKeyExpiry(ctx, first.ID, wantEnd) }), apierr.CodeInvalidRequest)

	// A grace of 0 revokes at once, as a roll always did.
	third := mk(rolledAt)
	old, err = roll(second.ID, third, 0)
	if err != nil {
		t.Fatalf("RollAccessKey without a grace period: %v", err)
	}
	if got := get(second.ID); got.Status != identity.KeyInactive || !got.ExpiresAt.IsZero() || old.Status != identity.KeyInactive {
		t.Errorf("old key after a roll without grace: %s until %s (returned %s); want Inactive without an end", got.Status, got.ExpiresAt, old.Status)
	}

	// Deleting the user revokes its Expiring keys with the rest.
	fourth := mk(rolledAt)
	if _, err := roll(third.ID, fourth, time.Hour); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.up(func(ctx context.Context, tx store.Tx) error {
		n, err = tx.RevokeUserAccessKeys(ctx, f.a.ID, u.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{third.ID, fourth.ID} {
		if got := get(id).StatusAt(rolledAt); got != identity.KeyInactive {
			t.Errorf("key %s after RevokeUserAccessKeys: %s, want Inactive", id, got)
		}
	}
	if n < 2 {
		t.Errorf("RevokeUserAccessKeys = %d, want the Expiring and the Active key counted", n)
	}
}
