// Package simtest holds what the fmc and fxos client-against-simulator
// tests share: a TLS simulator on a manual clock, a Sleep that moves that
// clock, estate look-ups and a log sink that checks for leaked secrets.
// It imports fmcsim but neither client, so both external test packages
// can use it without a cycle.
package simtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

// Demo is the simulator's built-in demo scenario.
func Demo(t testing.TB) *fmcsim.Scenario {
	t.Helper()
	sc, ok := fmcsim.Builtin("demo")
	if !ok {
		t.Fatal("no demo scenario")
	}
	return sc
}

// Start serves sc (nil: the demo) over TLS on a loopback port, on a manual
// clock set to the scenario's start time, or to defaultStart when it names
// none.
func Start(t testing.TB, sc *fmcsim.Scenario, defaultStart time.Time) (*fmcsim.Server, *fmcsim.ManualClock) {
	t.Helper()
	if sc == nil {
		sc = Demo(t)
	}
	start := defaultStart
	if sc.StartTime != nil {
		start = *sc.StartTime
	}
	clock := fmcsim.NewManualClock(start)
	srv := fmcsim.StartTest(t, fmcsim.Options{Scenario: sc, Clock: clock})
	if len(srv.CACertPEM()) == 0 || !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("simulator is not serving TLS on loopback: %s", srv.URL())
	}
	return srv, clock
}

// Sleep is a client's Sleep that moves clock instead of waiting, so that
// polls and backoffs take no real time.
func Sleep(clock *fmcsim.ManualClock) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		clock.Advance(d)
		return nil
	}
}

// Ctx bounds a test in real time; simulated time is bounded by the waits'
// own timeouts.
func Ctx(t testing.TB, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// Unit is the estate's view of a device or chassis by name.
func Unit(t testing.TB, srv *fmcsim.Server, name string) fmcsim.EstateUnit {
	t.Helper()
	for _, u := range srv.Estate().Units {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("no unit %q in the estate", name)
	return fmcsim.EstateUnit{}
}

// Pair is the estate's view of an HA pair by name.
func Pair(t testing.TB, srv *fmcsim.Server, name string) fmcsim.EstatePair {
	t.Helper()
	for _, p := range srv.Estate().HAPairs {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no HA pair %q in the estate", name)
	return fmcsim.EstatePair{}
}

// LogSink collects a client's log lines as "msg k=v ..." with the fields
// sorted, so that lines compare stably. Its zero value is ready.
type LogSink struct {
	mu    sync.Mutex
	lines []string
}

// Log is the function to give a client's Config.Logger.
func (l *LogSink) Log(_ context.Context, msg string, fields map[string]any) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(msg)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, fields[k])
	}
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
}

// All is a copy of the lines so far.
func (l *LogSink) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// AssertNoSecret fails t for every line that carries one of secrets. An
// empty log fails too: it would prove nothing.
func (l *LogSink) AssertNoSecret(t testing.TB, secrets ...string) {
	t.Helper()
	lines := l.All()
	if len(lines) == 0 {
		t.Error("the client logged nothing; the secret check would prove nothing")
	}
	for _, line := range lines {
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("log line carries a secret: %q", line)
			}
		}
	}
}
