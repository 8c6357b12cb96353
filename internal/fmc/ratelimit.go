package fmc

import (
	"context"
	"sync"
	"time"
)

// limiterGuard is added to the one-minute window so that requests whose
// travel times differ still arrive at most N per minute at the server.
const limiterGuard = time.Second

// limiter is a token bucket of n tokens in which a spent token comes back
// one window after it was spent. A classic bucket refilled at n per window
// would allow a full bucket plus its refill, up to 2n, inside one rolling
// window, and the management center counts a rolling minute; this one never
// lets more than n requests start in any window, yet lets a short burst (a
// handful of page reads) go at once.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	// slack is how late a caller may wake and still use its booking; a
	// caller woken later (an overloaded host, a suspended process) books
	// again, since sending late could crowd the window that follows.
	slack    time.Duration
	grants   []time.Time // ring of the last len(grants) start times
	next     int
	last     time.Time
	pausedTo time.Time
}

func newLimiter(n int, window, slack time.Duration) *limiter {
	if n < 1 {
		n = 1
	}
	return &limiter{window: window, slack: slack, grants: make([]time.Time, n)}
}

// reserve books the earliest start time for one request. Bookings are handed
// out in order, so the ring holds them sorted and the slot about to be
// overwritten is the request n bookings ago.
func (l *limiter) reserve(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := now
	if t.Before(l.last) {
		t = l.last
	}
	if t.Before(l.pausedTo) {
		t = l.pausedTo
	}
	if old := l.grants[l.next]; !old.IsZero() {
		if free := old.Add(l.window); t.Before(free) {
			t = free
		}
	}
	l.grants[l.next] = t
	l.next = (l.next + 1) % len(l.grants)
	l.last = t
	return t
}

// pause holds every caller until t, after the server said it is throttling.
func (l *limiter) pause(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.pausedTo) {
		l.pausedTo = t
	}
}

func (l *limiter) pausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedTo
}

// wait blocks until the caller may send one request.
func (l *limiter) wait(ctx context.Context, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for {
		at := l.reserve(now())
		if d := at.Sub(now()); d > 0 {
			if err := sleep(ctx, d); err != nil {
				return err
			}
		}
		// Book again when a 429 seen by another caller paused everyone
		// while this one slept, or when this one woke too late: either way
		// the booking can no longer be honoured on time, and sending late
		// could put more than n requests in a window. The abandoned booking
		// counts as spent, which only errs on the safe side.
		t := now()
		if !l.pausedUntil().After(t) && t.Sub(at) <= l.slack {
			return ctx.Err()
		}
	}
}
