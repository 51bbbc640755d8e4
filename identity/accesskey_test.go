package identity_test

import (
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/identity"
)

// TestAccessKeyStatusAt: the expiry decision at verification time, with the clock given. A
// key rolled with a grace period is Expiring (and authenticates) strictly before ExpiresAt
// and Inactive from ExpiresAt on; a revoked key is Inactive whatever its ExpiresAt.
func TestAccessKeyStatusAt(t *testing.T) {
	rolled := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	end := rolled.Add(24 * time.Hour)
	tests := []struct {
		name      string
		key       identity.AccessKey
		now       time.Time
		want      identity.KeyStatus
		wantEnd   bool
		wantAuthn bool
	}{
		{"active, never rolled", identity.AccessKey{Status: identity.KeyActive}, end.Add(1000 * time.Hour), identity.KeyActive, false, true},
		{"revoked", identity.AccessKey{Status: identity.KeyInactive}, rolled, identity.KeyInactive, false, false},
		{"in the grace period", identity.AccessKey{Status: identity.KeyActive, ExpiresAt: end}, rolled, identity.KeyExpiring, true, true},
		{"a millisecond before the end", identity.AccessKey{Status: identity.KeyActive, ExpiresAt: end}, end.Add(-time.Millisecond), identity.KeyExpiring, true, true},
		{"at the end", identity.AccessKey{Status: identity.KeyActive, ExpiresAt: end}, end, identity.KeyInactive, true, false},
		{"after the end", identity.AccessKey{Status: identity.KeyActive, ExpiresAt: end}, end.Add(time.Hour), identity.KeyInactive, true, false},
		{"end in another zone", identity.AccessKey{Status: identity.KeyActive, ExpiresAt: end.In(time.FixedZone("x", 5*3600))}, end.Add(-time.Second), identity.KeyExpiring, true, true},
		{"revoked during the grace period", identity.AccessKey{Status: identity.KeyInactive, ExpiresAt: end}, rolled, identity.KeyInactive, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.key.StatusAt(tc.now); got != tc.want {
				t.Errorf("StatusAt = %s, want %s", got, tc.want)
			}
			if got := tc.key.AuthenticatesAt(tc.now); got != tc.wantAuthn {
				t.Errorf("AuthenticatesAt = %v, want %v", got, tc.wantAuthn)
			}
			if got, ok := tc.key.GraceEnd(); ok != tc.wantEnd || (ok && !got.Equal(end)) {
				t.Errorf("GraceEnd = %s, %v; want %v", got, ok, tc.wantEnd)
			}
		})
	}
}

func TestCheckRollGrace(t *testing.T) {
	for _, tc := range []struct {
		grace time.Duration
		ok    bool
	}{
		{0, true}, {time.Minute, true}, {24 * time.Hour, true}, {identity.RollGraceMax, true},
		{identity.RollGraceMax + time.Millisecond, false}, {8 * 24 * time.Hour, false}, {-time.Second, false},
	} {
		err := identity.CheckRollGrace(tc.grace)
		if tc.ok && err != nil {
			t.Errorf("CheckRollGrace(%s) = %v, want nil", tc.grace, err)
		}
		if !tc.ok && !apierr.HasCode(err, apierr.CodeInvalidParameter) {
			t.Errorf("CheckRollGrace(%s) = %v, want InvalidParameterException", tc.grace, err)
		}
	}
	if identity.RollGraceMax != 10080*time.Minute {
		t.Errorf("RollGraceMax = %s, want 10,080 minutes", identity.RollGraceMax)
	}
}
