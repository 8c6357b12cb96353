package fmc_test

// Request counts against the simulator: how many HTTP requests reading a
// whole estate takes (⌈N/1000⌉ per collection of N objects), and how many
// requests a minute the management center sees under the client's rate
// limiter.

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

// estateCounts is what one read of the estate returned, per collection.
type estateCounts struct {
	devices, pairs, clusters, chassis, alerts int
}

// pages is the number of list requests the counts need: at least one per
// collection, ⌈n/1000⌉ for n objects.
func (n estateCounts) pages() int64 {
	total := int64(0)
	for _, c := range []int{n.devices, n.pairs, n.clusters, n.chassis, n.alerts} {
		total += int64(max(1, (c+fmc.PageLimit-1)/fmc.PageLimit))
	}
	return total
}

// readEstate reads what an inventory reads: the server version, every
// device, HA pair, cluster and chassis, and the health alerts.
func readEstate(ctx context.Context, c *fmc.Client) (estateCounts, error) {
	var n estateCounts
	if _, err := c.ServerVersion(ctx); err != nil {
		return n, err
	}
	devs, err := c.ListDevices(ctx)
	if err != nil {
		return n, err
	}
	pairs, err := c.ListHAPairs(ctx)
	if err != nil {
		return n, err
	}
	cls, err := c.ListClusters(ctx)
	if err != nil {
		return n, err
	}
	ch, err := c.ListChassis(ctx)
	if err != nil {
		return n, err
	}
	al, err := c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{})
	if err != nil {
		return n, err
	}
	return estateCounts{len(devs), len(pairs), len(cls), len(ch), len(al)}, nil
}

// readConstant is what a read may spend beyond its pages: the server
// version, and one token renewal.
const readConstant = 2

func benchmarkReadEstate(b *testing.B, n int) {
	sc := fmcsim.GenerateEstate(n, 1)
	// The benchmark counts requests; the rate limits of both sides are
	// lifted so that they do not stretch it to minutes.
	srv := fmcsim.StartTest(b, fmcsim.Options{Scenario: sc, RequestsPerMinute: 1 << 30})
	user, pass := srv.Credentials()
	c, err := fmc.New(fmc.Config{URL: srv.URL(), Username: user, Password: pass, CACertificatePEM: string(srv.CACertPEM()),
		RequestsPerMinute: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	ctx := context.Background()
	if err := c.Login(ctx); err != nil {
		b.Fatal(err)
	}

	// Nothing lost: one read returns the whole estate.
	first, err := readEstate(ctx, c)
	if err != nil {
		b.Fatal(err)
	}
	est := srv.Estate()
	devices := 0
	for _, u := range est.Units {
		if u.Kind == "device" {
			devices++
		}
	}
	if first.devices != devices || first.devices != len(sc.Devices) || first.pairs != len(est.HAPairs) || first.clusters != len(est.Clusters) {
		b.Fatalf("read %+v; the estate has %d devices, %d pairs, %d clusters", first, devices, len(est.HAPairs), len(est.Clusters))
	}

	var requests int64
	ops := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		before := srv.Stats().Requests
		got, err := readEstate(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		used := srv.Stats().Requests - before
		if got != first {
			b.Fatalf("read %+v, then %+v", first, got)
		}
		if bound := got.pages() + readConstant; used > bound || used < got.pages() {
			b.Fatalf("reading %+v took %d requests; want at most ⌈N/1000⌉ per collection (%d) plus %d", got, used, got.pages(), readConstant)
		}
		requests += used
		ops++
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/float64(ops), "requests/op")
	b.ReportMetric(float64(first.pages()), "pages/op")
	b.ReportMetric(float64(first.pages()+readConstant), "bound/op")
	b.ReportMetric(float64(first.devices), "devices")
}

// BenchmarkReadEstate1000 reads a generated estate of 1,000 devices.
func BenchmarkReadEstate1000(b *testing.B) { benchmarkReadEstate(b, 1000) }

// BenchmarkReadEstate10000 reads a generated estate of 10,000 devices.
func BenchmarkReadEstate10000(b *testing.B) { benchmarkReadEstate(b, 10000) }

// arrivals records when API requests reach the simulator, on its clock.
type arrivals struct {
	mu    sync.Mutex
	clock fmcsim.Clock
	at    []time.Time
}

func (a *arrivals) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			a.mu.Lock()
			a.at = append(a.at, a.clock.Now())
			a.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// perMinute returns the most requests seen in any rolling minute and the
// span from the first to the last.
func (a *arrivals) perMinute() (peak int, span time.Duration, total int) {
	a.mu.Lock()
	at := append([]time.Time(nil), a.at...)
	a.mu.Unlock()
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	lo := 0
	for hi := range at {
		for at[hi].Sub(at[lo]) >= time.Minute {
			lo++
		}
		peak = max(peak, hi-lo+1)
	}
	if len(at) > 0 {
		span = at[len(at)-1].Sub(at[0])
	}
	return peak, span, len(at)
}

// serveRecorded serves a simulator through a recording handler on a
// loopback TLS listener and returns its URL and CA certificate.
func serveRecorded(t *testing.T, opts fmcsim.Options, rec *arrivals) (*fmcsim.Server, string, string) {
	t.Helper()
	srv, err := fmcsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(rec.wrap(srv.Handler()))
	t.Cleanup(ts.Close)
	if !strings.HasPrefix(ts.URL, "https://127.0.0.1:") {
		t.Fatalf("not loopback: %s", ts.URL)
	}
	return srv, ts.URL, certPEM(ts)
}

func certPEM(ts *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}))
}

// TestRequestsPerMinuteUnderLimiter drives many calls through the client's
// rate limiter and records what the management center sees: never more than
// the limit in any rolling minute, never a 429, and not much less than the
// limit either (the limiter does not waste the allowance).
//
// Sequential cases run on a manual clock shared by the simulator (its
// request window included) and the client, whose Sleep moves it: exact and
// instant. The concurrent case runs on a clock 60 times faster than real
// time, shared the same way, with real sleeps.
func TestRequestsPerMinuteUnderLimiter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		limit      int // the management center's; 0: 120
		clientRPM  int // the client's; 0: its default, 120
		calls      int
		goroutines int
	}{
		{name: "default-120", calls: 400, goroutines: 1},
		{name: "configured-300", limit: 300, clientRPM: 300, calls: 900, goroutines: 1},
		{name: "concurrent-20", limit: 20, clientRPM: 20, calls: 36, goroutines: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = fmc.DefaultRequestsPerMinute
			}
			var clock fmcsim.Clock
			var now func() time.Time
			var sleep func(context.Context, time.Duration) error
			if tc.goroutines == 1 {
				mc := fmcsim.NewManualClock(demoStart)
				clock, now = mc, mc.Now
				sleep = func(ctx context.Context, d time.Duration) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					mc.Advance(d)
					return nil
				}
			} else {
				const scale = 60
				sc := fmcsim.NewScaledClock(demoStart, scale)
				clock, now = sc, sc.Now
				sleep = func(ctx context.Context, d time.Duration) error {
					tm := time.NewTimer(d / scale)
					defer tm.Stop()
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-tm.C:
						return nil
					}
				}
			}
			rec := &arrivals{clock: clock}
			srv, url, ca := serveRecorded(t, fmcsim.Options{Clock: clock, RateClock: clock, RequestsPerMinute: tc.limit}, rec)
			user, pass := srv.Credentials()
			c, err := fmc.New(fmc.Config{URL: url, Username: user, Password: pass, CACertificatePEM: ca,
				RequestsPerMinute: tc.clientRPM, Now: now, Sleep: sleep})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			ctx := testCtx(t)

			devs, err := c.ListDevices(ctx)
			if err != nil || len(devs) != 16 {
				t.Fatalf("ListDevices: %d, %v", len(devs), err)
			}
			start := now()
			var wg sync.WaitGroup
			errs := make(chan error, tc.goroutines)
			per := tc.calls / tc.goroutines
			for g := range tc.goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						var err error
						switch (g + i) % 3 {
						case 0:
							_, err = c.ServerVersion(ctx)
						case 1:
							var d *fmc.Device
							d, err = c.GetDevice(ctx, devs[(g*per+i)%len(devs)].ID)
							if err == nil && d.ID != devs[(g*per+i)%len(devs)].ID {
								err = context.Canceled
							}
						default:
							_, err = c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{Statuses: []string{"red"}})
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("call failed: %v", err)
			}
			took := now().Sub(start)

			st := srv.Stats()
			peak, span, total := rec.perMinute()
			// Averaged over the minutes the run touched.
			minutes := int(span/time.Minute) + 1
			mean := float64(total) / float64(minutes)
			t.Logf("limit %d/min: %d requests over %s of simulated time; peak %d in a rolling minute, %.1f a minute over %d minutes; throttled %d; logins %d",
				limit, total, span.Round(time.Second), peak, mean, minutes, st.Throttled, st.Logins)
			if st.Throttled != 0 || st.ByStatus["429"] != 0 {
				t.Errorf("the management center answered 429 %d times", st.Throttled)
			}
			if peak > limit {
				t.Errorf("peak of %d requests in a rolling minute, above the limit of %d", peak, limit)
			}
			if int64(total) != st.Requests || total != tc.calls+2 {
				t.Errorf("recorded %d requests, simulator counted %d, calls made %d (+ login and list)", total, st.Requests, tc.calls)
			}
			if st.Logins != 1 {
				t.Errorf("logins %d; concurrent callers must share one", st.Logins)
			}
			// Not wasteful: a full window per limit's worth of requests
			// (the limiter's window is a minute and a second).
			windows := (tc.calls + 2 + limit - 1) / limit
			if budget := time.Duration(windows) * (time.Minute + 2*time.Second); took > budget {
				t.Errorf("%d calls took %s; at %d a minute they need at most %s", tc.calls, took, limit, budget)
			}
		})
	}
}
