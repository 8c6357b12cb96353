package fmcsim

import (
	"testing"
	"time"
)

func TestManualClockOnlyMovesForward(t *testing.T) {
	c := NewManualClock(t0)
	if got := c.Advance(90 * time.Second); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Advance: %v", got)
	}
	c.Advance(-time.Hour)
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("clock went backwards: %v", got)
	}
	c.Set(t0.Add(time.Hour))
	if got := c.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Set: %v", got)
	}
}

func TestScaledClockScalesWallTime(t *testing.T) {
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewScaledClock(t0, 60)
	c.realStart = wall
	c.wall = func() time.Time { return wall.Add(2 * time.Second) }
	if got, want := c.Now(), t0.Add(2*time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
	if NewScaledClock(t0, 0).Scale() != 1 {
		t.Fatal("a non-positive scale must mean real time")
	}
}
