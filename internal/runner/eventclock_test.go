package runner

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

// eventClock runs simulated time for several goroutines that wait at once.
// Advancing a manual clock by each sleeper's pause would move time as many
// times faster as there are sleepers, and a goroutine that was merely
// descheduled between two statements would find hours gone. Here Sleep
// registers a wake time and blocks; the clock moves only when no request
// is on the wire and nothing has happened for a moment, and then only to
// the earliest wake time. Every sleeper thus sees one timeline, as with a
// real clock, while no real time is spent waiting.
//
// It is also the clients' http.RoundTripper, which is how it knows that a
// request is on the wire.
type eventClock struct {
	mc    *fmcsim.ManualClock
	rt    http.RoundTripper
	quiet time.Duration

	mu       sync.Mutex
	waiting  map[*sleeper]bool
	inflight int
	last     time.Time
	stop     chan struct{}
	stopped  sync.Once
}

type sleeper struct {
	at   time.Time
	done chan struct{}
}

func newEventClock(mc *fmcsim.ManualClock, rt http.RoundTripper) *eventClock {
	c := &eventClock{mc: mc, rt: rt, quiet: 300 * time.Microsecond, waiting: map[*sleeper]bool{}, last: time.Now(), stop: make(chan struct{})}
	go c.run()
	return c
}

func (c *eventClock) close() { c.stopped.Do(func() { close(c.stop) }) }

func (c *eventClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	s := &sleeper{at: c.mc.Now().Add(d), done: make(chan struct{})}
	c.mu.Lock()
	c.waiting[s] = true
	c.last = time.Now()
	c.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiting, s)
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *eventClock) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.inflight++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight--
		c.last = time.Now()
		c.mu.Unlock()
	}()
	return c.rt.RoundTrip(req)
}

func (c *eventClock) run() {
	tick := time.NewTicker(c.quiet / 3)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		c.mu.Lock()
		if len(c.waiting) > 0 && c.inflight == 0 && time.Since(c.last) >= c.quiet {
			var next *sleeper
			for s := range c.waiting {
				if next == nil || s.at.Before(next.at) {
					next = s
				}
			}
			now := c.mc.Set(next.at)
			for s := range c.waiting {
				if !s.at.After(now) {
					close(s.done)
					delete(c.waiting, s)
				}
			}
			c.last = time.Now()
		}
		c.mu.Unlock()
	}
}
