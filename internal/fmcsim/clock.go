package fmcsim

import (
	"sync"
	"time"
)

// Clock is the simulator's notion of time. Tasks, tokens and fault windows
// run on it, so a test can jump hours ahead without waiting and a demo can
// run an upgrade window in minutes.
type Clock interface {
	Now() time.Time
}

// ScaledClock runs Scale times faster than the wall clock, starting at Start.
type ScaledClock struct {
	start     time.Time
	realStart time.Time
	scale     float64
	wall      func() time.Time
}

// NewScaledClock returns a clock that reads start now and then advances scale
// simulated seconds per real second. A scale of 0 or less means 1.
func NewScaledClock(start time.Time, scale float64) *ScaledClock {
	if scale <= 0 {
		scale = 1
	}
	return &ScaledClock{start: start, realStart: time.Now(), scale: scale, wall: time.Now}
}

// Now returns the simulated time.
func (c *ScaledClock) Now() time.Time {
	elapsed := c.wall().Sub(c.realStart)
	return c.start.Add(time.Duration(float64(elapsed) * c.scale))
}

// Scale is the number of simulated seconds per real second.
func (c *ScaledClock) Scale() float64 { return c.scale }

// ManualClock only moves when told to. Tests use it to step through an
// upgrade deterministically.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock stopped at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{t: start}
}

// Now returns the current simulated time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d; a negative d is ignored because
// simulated events must never run backwards.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return c.t
}

// Set moves the clock to t if t is later than the current time.
func (c *ManualClock) Set(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
	return c.t
}

// wallClock is real time, used for the request-rate window when the
// simulated clock is scaled: the client's limiter counts real seconds, so the
// simulator must as well or a time-scaled run could never be throttled.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
