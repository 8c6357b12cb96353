package fmc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx/httpxtest"
)

// maxInWindow returns the most request times found in any window of length
// w (half-open).
func maxInWindow(times []time.Time, w time.Duration) int {
	best := 0
	j := 0
	for i := range times {
		for times[i].Sub(times[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func TestLimiterNeverExceedsRollingWindow(t *testing.T) {
	for _, n := range []int{1, 10, 120, 300} {
		clock := newFakeClock()
		l := newLimiter(n, time.Minute+limiterGuard, limiterGuard/2)
		var starts []time.Time
		for range 3*n + 7 {
			if err := l.wait(context.Background(), clock.Now, clock.Sleep); err != nil {
				t.Fatal(err)
			}
			starts = append(starts, clock.Now())
		}
		if got := maxInWindow(starts, time.Minute); got > n {
			t.Fatalf("n=%d: %d requests in one minute", n, got)
		}
		// A burst of n goes at once.
		if !starts[n-1].Equal(starts[0]) {
			t.Fatalf("n=%d: the first %d requests were spread out: %v .. %v", n, n, starts[0], starts[n-1])
		}
	}
}

// TestLimiterRebooksAfterLateWake: a caller that wakes later than its
// booking (a busy host) books again instead of sending late, so the rolling
// window still holds at most n.
func TestLimiterRebooksAfterLateWake(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(3, time.Minute, time.Second)
	var starts []time.Time
	late := 0
	oversleep := func(ctx context.Context, d time.Duration) error {
		late++
		if late%2 == 1 {
			d += 20 * time.Second // woken far too late every other time
		}
		return clock.Sleep(ctx, d)
	}
	for range 30 {
		if err := l.wait(context.Background(), clock.Now, oversleep); err != nil {
			t.Fatal(err)
		}
		starts = append(starts, clock.Now())
	}
	if got := maxInWindow(starts, time.Minute); got > 3 {
		t.Fatalf("%d requests in one minute, limit 3", got)
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	l := newLimiter(1, time.Minute, time.Second)
	if err := l.wait(context.Background(), time.Now, httpx.SleepCtx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := l.wait(ctx, time.Now, httpx.SleepCtx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("wait = %v after %v, want a prompt deadline error", err, time.Since(start))
	}
}

// TestClientStaysUnderServerLimit reads 2,500 objects one at a time against
// a server enforcing 120 requests per rolling minute on the same clock: the
// client's limiter must keep it from ever answering 429.
func TestClientStaysUnderServerLimit(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFMC(t, clock)
	f.rpm = 120
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
	})
	c, _ := newTestClient(t, f)
	for i := range 400 {
		if _, err := c.ServerVersion(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if f.throttled != 0 {
		t.Fatalf("server throttled %d requests", f.throttled)
	}
	var times []time.Time
	for _, r := range f.seen() {
		times = append(times, r.At)
	}
	if got := maxInWindow(times, time.Minute); got > 120 {
		t.Fatalf("%d requests in one minute", got)
	}
}

// TestThrottleStorm: a server that shares its quota with another client
// answers 429 to a run of requests. The client honours Retry-After (or backs
// off without it), retries, and still never exceeds its own per-minute
// budget, measured on the fake clock the server stamps requests with.
func TestThrottleStorm(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
		wantSleep  time.Duration
	}{
		{"with Retry-After", "7", 7 * time.Second},
		{"without Retry-After", "", throttleBase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeFMC(t, clock)
			var storm atomic.Int32
			storm.Store(6)
			f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if r.URL.Path != pathServerVersion || n < 10 || storm.Add(-1) < 0 {
					return false
				}
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				writeError(w, http.StatusTooManyRequests, "Too many requests.")
				return true
			}
			f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
				servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
			})
			c, sink := newTestClient(t, f, func(cfg *Config) { cfg.RequestsPerMinute = 30 })
			for i := range 100 {
				if _, err := c.ServerVersion(context.Background()); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			var times []time.Time
			for _, r := range f.seen() {
				times = append(times, r.At)
			}
			if got := maxInWindow(times, time.Minute); got > 30 {
				t.Fatalf("%d requests in one minute, limit 30", got)
			}
			if n := f.count(http.MethodGet, pathServerVersion); n != 100+6 {
				t.Fatalf("%d version reads, want 100 answered plus 6 throttled", n)
			}
			var waited time.Duration
			for _, d := range clock.Sleeps() {
				waited = max(waited, d)
			}
			if waited < tc.wantSleep {
				t.Fatalf("longest wait %v, want at least %v", waited, tc.wantSleep)
			}
			if !sink.Contains("rate limited") {
				t.Fatal("throttling not logged")
			}
		})
	}
}

// TestThrottleStormConcurrent runs eight callers on the real clock with a
// short limiter window (5 requests per 200 ms) while the server throttles a
// burst: every caller succeeds, a 429 pauses all of them, and no window ever
// holds more than the budget. The guard is wide (60 ms) because the host may
// be busy with other work and wake a sleeping goroutine late.
func TestThrottleStormConcurrent(t *testing.T) {
	const (
		budget = 5
		window = 200 * time.Millisecond
	)
	f := newFakeFMC(t, nil)
	var storm atomic.Int32
	storm.Store(10)
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path != pathServerVersion || storm.Add(-1) < 0 {
			return false
		}
		writeError(w, http.StatusTooManyRequests, "Too many requests.")
		return true
	}
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
	})
	c, _ := newTestClient(t, f)
	c.limiter = newLimiter(budget, window+60*time.Millisecond, 20*time.Millisecond)
	c.throttleBase = 20 * time.Millisecond

	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 3 {
				if _, err = c.ServerVersion(context.Background()); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("caller failed: %v", err)
		}
	}
	var times []time.Time
	for _, r := range f.seen() {
		times = append(times, r.At)
	}
	if got := maxInWindow(times, window); got > budget {
		t.Fatalf("%d requests within %v, budget %d", got, window, budget)
	}
	if n := f.count(http.MethodGet, pathServerVersion); n != 24+10 {
		t.Fatalf("%d version reads, want 24 answered plus 10 throttled", n)
	}
}

func TestThrottleGivesUpEventually(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == pathGenerateToken {
			return false
		}
		writeError(w, http.StatusTooManyRequests, "Too many requests.")
		return true
	}
	c, _ := newTestClient(t, f)
	_, err := c.ServerVersion(context.Background())
	if StatusCode(err) != http.StatusTooManyRequests {
		t.Fatalf("err = %v, want the 429", err)
	}
	if n := f.count(http.MethodGet, pathServerVersion); n != maxThrottleRetries+1 {
		t.Fatalf("%d attempts, want %d", n, maxThrottleRetries+1)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"12", 12 * time.Second},
		{"99999", maxRetryAfter},
		{now.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second},
		{now.Add(-20 * time.Second).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Retry-After", tc.v)
		}
		if got := retryAfter(h, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestTransientFailuresOfReads(t *testing.T) {
	tests := []struct {
		name     string
		fault    func(t *testing.T, w http.ResponseWriter)
		failures int32
		wantErr  string
	}{
		{"5xx then success", func(t *testing.T, w http.ResponseWriter) {
			writeError(w, http.StatusServiceUnavailable, "Service temporarily unavailable.")
		}, 2, ""},
		{"connection reset then success", func(t *testing.T, w http.ResponseWriter) { httpxtest.ResetConn(t, w) }, 2, ""},
		{"please try again 400 then success", func(t *testing.T, w http.ResponseWriter) {
			writeError(w, http.StatusBadRequest, "Search Service n.a. Please try again.")
		}, 2, ""},
		{"5xx every time", func(t *testing.T, w http.ResponseWriter) {
			writeError(w, http.StatusInternalServerError, "Internal server error.")
		}, 100, "500 Internal Server Error: Internal server error."},
		{"reset every time", func(t *testing.T, w http.ResponseWriter) { httpxtest.ResetConn(t, w) }, 100, "giving up after 4 attempts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeFMC(t, clock)
			var left atomic.Int32
			left.Store(tc.failures)
			f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if r.URL.Path != pathServerVersion || left.Add(-1) < 0 {
					return false
				}
				tc.fault(t, w)
				return true
			}
			f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
				servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
			})
			c, _ := newTestClient(t, f)
			v, err := c.ServerVersion(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				// MaxAttempts is 4; Go's transport may replay a GET once
				// more on a reused connection.
				if n := f.count(http.MethodGet, pathServerVersion); n < 4 || n > 8 {
					t.Fatalf("%d attempts, want MaxAttempts = 4", n)
				}
				return
			}
			if err != nil || v.ServerVersion != "7.6.1" {
				t.Fatalf("ServerVersion = %+v, %v", v, err)
			}
			sleeps := clock.Sleeps()
			if tc.name == "connection reset then success" {
				// Go's transport itself replays a GET once on a reused
				// connection that fails, so fewer backoffs may be needed.
				if len(sleeps) == 0 || len(sleeps) > 2 {
					t.Fatalf("sleeps = %v", sleeps)
				}
				return
			}
			if len(sleeps) != 2 {
				t.Fatalf("sleeps = %v, want two backoffs", sleeps)
			}
			if sleeps[0] < 500*time.Millisecond || sleeps[0] > time.Second || sleeps[1] < time.Second || sleeps[1] > 2*time.Second {
				t.Fatalf("backoffs %v, want jittered 1s then 2s", sleeps)
			}
		})
	}
}

func TestPlain400IsNotRetried(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/devices/devicerecords/bad", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusBadRequest, "Invalid object id.")
	})
	c, _ := newTestClient(t, f)
	_, err := c.GetDevice(context.Background(), "bad")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Method != "GET" || !strings.HasSuffix(ae.Path, "/devices/devicerecords/bad") || ae.Messages[0] != "Invalid object id." {
		t.Fatalf("err = %#v", err)
	}
	if n := f.count(http.MethodGet, "{domain}/devices/devicerecords/bad"); n != 1 {
		t.Fatalf("%d attempts", n)
	}
}

func TestDialFailureIsRetriedEvenForPOST(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("POST "+pathUpgrades, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]any{"metadata": map[string]any{"task": map[string]any{"id": "8589935884", "status": "RUNNING"}}})
	})
	var dials atomic.Int32
	base := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= 2 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return base.DialContext(ctx, network, addr)
	}}
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Transport = tr })
	task, err := c.StartUpgrade(context.Background(), UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "ftd-1")}})
	if err != nil || task.ID != "8589935884" {
		t.Fatalf("StartUpgrade = %+v, %v", task, err)
	}
	if n := f.count(http.MethodPost, pathUpgrades); n != 1 {
		t.Fatalf("upgrade POSTs = %d", n)
	}
}

func TestContextCancelStopsBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathGenerateToken {
			w.Header().Set(hdrAccess, "abcd-token")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeError(w, http.StatusServiceUnavailable, "down")
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, Username: "u", Password: "pass", Retry: RetryPolicy{MaxAttempts: 50, BaseDelay: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.ServerVersion(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestSlowAnswers(t *testing.T) {
	f := newFakeFMC(t, nil)
	var versionCalls, posts atomic.Int32
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		if versionCalls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
	})
	f.handle("POST "+pathUpgrades, func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		time.Sleep(300 * time.Millisecond)
		upgradeAnswer(w, r)
	})
	clock := newFakeClock()
	c, _ := newTestClient(t, f, func(cfg *Config) {
		cfg.RequestTimeout = 100 * time.Millisecond
		cfg.Sleep = clock.Sleep // instant backoff; real time for the requests
	})
	ctx := context.Background()
	if _, err := c.ServerVersion(ctx); err != nil {
		t.Fatalf("a slow read was not retried: %v", err)
	}
	_, err := c.StartUpgrade(ctx, UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "")}})
	if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want an ambiguous timeout", err)
	}
	if posts.Load() != 1 {
		t.Fatalf("upgrade POSTs = %d", posts.Load())
	}
}

func TestHTTPClientOverride(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
	})
	var seen atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.HTTPClient = hc })
	if _, err := c.ServerVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 2 {
		t.Fatalf("%d requests through the supplied client, want login and read", seen.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
