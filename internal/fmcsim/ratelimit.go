package fmcsim

import (
	"time"
)

// rateLimiter counts requests per client over a sliding minute, the way
// the management center allows 120 requests a minute.
type rateLimiter struct {
	clock  Clock
	limit  int
	window time.Duration
	hits   map[string][]time.Time
}

func newRateLimiter(clock Clock, perMinute int) *rateLimiter {
	return &rateLimiter{clock: clock, limit: perMinute, window: time.Minute, hits: map[string][]time.Time{}}
}

// allow records a request by key and reports whether it is within the
// limit; when it is not, retry is how long until a slot frees up. Refused
// requests do not count against the client.
func (l *rateLimiter) allow(key string) (ok bool, retry time.Duration) {
	now := l.clock.Now()
	cut := now.Add(-l.window)
	h := l.hits[key]
	i := 0
	for i < len(h) && !h[i].After(cut) {
		i++
	}
	h = h[i:]
	if len(h) >= l.limit {
		l.hits[key] = h
		return false, h[0].Add(l.window).Sub(now)
	}
	l.hits[key] = append(h, now)
	if len(l.hits) > 10000 {
		l.prune(cut)
	}
	return true, 0
}

func (l *rateLimiter) prune(cut time.Time) {
	for k, h := range l.hits {
		if len(h) == 0 || !h[len(h)-1].After(cut) {
			delete(l.hits, k)
		}
	}
}
