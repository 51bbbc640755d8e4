package chat

import (
	"fmt"
	"testing"
	"time"
)

// TestAuthCache: a binding is reused until the TTL or the token's expiry, whichever comes
// first; drop forgets it; the sealed display name and token hash are not kept; the cache
// holds at most authCacheMax bindings.
func TestAuthCache(t *testing.T) {
	var c authCache
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	b := binding{part: Participant{InstanceID: "i", ParticipantID: "p", DisplayNameCiphertext: []byte("sealed"), TokenHash: []byte("h")}, name: "Ann"}
	long, short := tokenKey("long"), tokenKey("short")
	c.put(long, b, t0, t0.Add(time.Hour))
	c.put(short, b, t0, t0.Add(time.Minute))
	c.put(tokenKey("expired"), b, t0, t0)
	for _, tc := range []struct {
		key  [32]byte
		at   time.Time
		want bool
	}{
		{long, t0, true}, {long, t0.Add(authCacheTTL - time.Millisecond), true}, {long, t0.Add(authCacheTTL), false},
		{short, t0.Add(59 * time.Second), true}, {short, t0.Add(time.Minute), false},
		{tokenKey("expired"), t0, false}, {tokenKey("unknown"), t0, false},
	} {
		got, ok := c.get(tc.key, tc.at)
		if ok != tc.want {
			t.Errorf("get at +%s = %v, want %v", tc.at.Sub(t0), ok, tc.want)
		}
		if ok && (got.name != "Ann" || got.part.DisplayNameCiphertext != nil || got.part.TokenHash != nil) {
			t.Errorf("cached binding = %+v; want the name, without the sealed name or token hash", got)
		}
	}
	c.drop(long)
	if _, ok := c.get(long, t0); ok {
		t.Error("a dropped token is still cached")
	}
	for i := range authCacheMax + 10 {
		c.put(tokenKey(fmt.Sprint("bulk-", i)), b, t0, t0.Add(time.Hour))
	}
	if n := c.len(); n > authCacheMax {
		t.Errorf("%d bindings cached, over the bound of %d", n, authCacheMax)
	}
}
