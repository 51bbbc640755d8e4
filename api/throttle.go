package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxThrottleEntries bounds the per-principal bucket map; past it, idle buckets are dropped.
const maxThrottleEntries = 10000

// throttle is a token bucket per principal (access key ID).
type throttle struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	now     func() time.Time
	buckets map[string]*rate.Limiter
}

func newThrottle(perSecond float64, burst int, now func() time.Time) *throttle {
	return &throttle{rate: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// allow takes one token from key's bucket, reporting false when it is empty.
func (t *throttle) allow(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= maxThrottleEntries {
			now := t.now()
			for k, l := range t.buckets {
				if l.TokensAt(now) >= float64(t.burst) {
					delete(t.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(t.rate, t.burst)
		t.buckets[key] = b
	}
	return b.AllowN(t.now(), 1)
}
