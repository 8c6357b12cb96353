package fmc_test

// The client against the simulator's fault injection: expired and revoked
// tokens, 429 storms, 5xx bursts and dropped connections. Each test proves
// from the simulator's statistics and estate that nothing was lost (every
// call returned complete data, every upgrade ran to its end) and nothing
// was sent twice (upgrade_requests counts the upgrade POSTs that reached the
// management center, duplicate_upgrade_requests the ones for units already
// upgrading or upgraded).

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/testutil/simtest"
)

const (
	routeUpgrades = "POST /api/fmc_platform/v1/updates/upgrades"
	pathUpgrades  = "/api/fmc_platform/v1/updates/upgrades"
	routeTask     = "GET /api/fmc_config/v1/domain/{domainUUID}/job/taskstatuses/{objectId}"
	routeDevices  = "GET /api/fmc_config/v1/domain/{domainUUID}/devices/devicerecords"
	globalConfig  = "/api/fmc_config/v1/domain/" + fmc.GlobalDomainUUID
)

// deviceUpgradeCheck is the IdempotencyCheck a runner builds from the
// device records after an upgrade request's answer was lost: the upgrade
// has started when a target already runs the target version, is out of
// contact (rebooting into it), or its record says it is upgrading (status,
// documented from 7.3 with undocumented values). Otherwise it has not.
// calls counts how often the client asked.
func deviceUpgradeCheck(c *fmc.Client, ids []string, target string, calls *int) fmc.IdempotencyCheck {
	check := c.UpgradeStartedCheck(ids, target)
	return func(ctx context.Context) (*fmc.StartedTask, bool, error) {
		*calls++
		return check(ctx)
	}
}

// withFXOS returns the demo with the named chassis already on FXOS 2.14, so
// that their threat defense units may go to 7.4 without breaking ORDER-4.
func withFXOS(t testing.TB, sc *fmcsim.Scenario, chassis ...string) *fmcsim.Scenario {
	t.Helper()
	for i := range sc.Chassis {
		if slices.Contains(chassis, sc.Chassis[i].Name) {
			sc.Chassis[i].Version = "2.14.1.131"
		}
	}
	return sc
}

// assertOneUpgrade checks that exactly one upgrade request reached the
// management center and that it created exactly one task.
func (e *simEnv) assertOneUpgrade() {
	e.t.Helper()
	st := e.srv.Stats()
	if st.UpgradeRequests != 1 || st.DuplicateUpgradeRequests != 0 || e.upgradeTasks() != 1 {
		e.t.Errorf("upgrade_requests = %d, duplicate_upgrade_requests = %d, upgrade tasks = %d; want 1, 0, 1",
			st.UpgradeRequests, st.DuplicateUpgradeRequests, e.upgradeTasks())
	}
}

// ---------------------------------------------------------------------------
// Tokens

// An HA pair upgrade polled for nearly two hours outlives the 30-minute
// token and the three refreshes one login allows. The client renews ahead
// of expiry on its clock (the management center's), so no request is
// refused, and after the third refresh it logs in again.
func TestFaultTokenExpiryMidPollRenewsAhead(t *testing.T) {
	e := startSim(t, withFXOS(t, simtest.Demo(t), "dc1-fxos-a", "dc1-fxos-b"))
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgSSP742)
	pairs, err := c.ListHAPairs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pair fmc.HAPair
	for _, p := range pairs {
		if p.Name == "dc1-edge" {
			pair = p
		}
	}

	start := e.clock.Now()
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{{ID: pair.ID, Type: "DeviceHAPair", Name: pair.Name}}})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, c, task.ID, 4*time.Hour)
	took := e.clock.Now().Sub(start)

	st := e.srv.Stats()
	t.Logf("HA pair upgrade polled for %s: %d requests, %d logins, %d refreshes, statuses %v", took, st.Requests, st.Logins, st.TokenRefreshes, st.ByStatus)
	if took < 100*time.Minute {
		t.Fatalf("the wait took %s; it must outlast three refreshes (100 minutes)", took)
	}
	if st.Logins != 2 || st.TokenRefreshes != 3 || st.ByStatus["401"] != 0 {
		t.Errorf("logins %d, refreshes %d, 401 answers %d; want 2, 3, 0", st.Logins, st.TokenRefreshes, st.ByStatus["401"])
	}
	for _, n := range []string{"dc1-edge-a", "dc1-edge-b"} {
		if u := e.unit(n); u.Version != "7.4.2-172" || u.State != "online" {
			t.Errorf("%s: %+v", n, u)
		}
	}
	if p := e.pair("dc1-edge"); p.Active != "dc1-edge-b" || p.State != "in_sync" {
		t.Errorf("after the pair upgrade the standby-first order fails the pair over: %+v", p)
	}
	got, err := c.GetHAPair(ctx, pair.ID)
	if err != nil || got.ActiveID() != e.id("dc1-edge-b") {
		t.Errorf("GetHAPair after upgrade: active %s, %v", got.ActiveID(), err)
	}
	e.assertOneUpgrade()
	e.assertClean()
}

// The same wait with a client that cannot see the management center's
// clock (it was suspended, or the clocks disagree): the tokens expire under
// it, every poll refused with 401 is renewed and repeated, the fourth
// renewal finds the refresh limit reached and logs in again, and the
// four-hour cluster upgrade is followed to its end without a lost poll.
func TestFaultTokenExpiryMidPollOn401(t *testing.T) {
	e := startSim(t, withFXOS(t, simtest.Demo(t), "dc1-fp9300-1", "dc1-fp9300-2"))
	ctx := testCtx(t)
	c := e.client(func(cfg *fmc.Config) {
		// Real time barely moves while simulated hours pass. The limiter
		// runs on this clock too and is lifted so that it does not space
		// the polls by real minutes.
		cfg.Now = time.Now
		cfg.RequestsPerMinute = 1 << 20
	})
	pkg := packageID(t, ctx, c, pkgSSP742)
	cls, err := c.ListClusters(ctx)
	if err != nil || len(cls) != 1 {
		t.Fatal(cls, err)
	}

	start := e.clock.Now()
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{{ID: cls[0].ID, Type: "DeviceCluster", Name: cls[0].Name}}})
	if err != nil {
		t.Fatal(err)
	}
	polls := 0
	ts, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 8 * time.Hour, OnStatus: func(fmc.TaskStatus) { polls++ }})
	if err != nil || ts.State() != fmc.TaskSucceeded {
		t.Fatalf("WaitTask: %+v, %v", ts, err)
	}
	took := e.clock.Now().Sub(start)
	st := e.srv.Stats()
	t.Logf("cluster upgrade polled for %s: %d requests, %d logins, %d refreshes, statuses %v", took, st.Requests, st.Logins, st.TokenRefreshes, st.ByStatus)
	if took < 3*time.Hour {
		t.Fatalf("the wait took %s; it must outlast two logins' worth of tokens", took)
	}
	// Expiries at 30, 60, 90 minutes: refresh. At 120: the refresh is
	// refused (three already) and the client logs in again. And again.
	if st.ByStatus["401"] < 5 || st.TokenRefreshes < 6 || st.Logins < 3 {
		t.Errorf("401 answers %d, refreshes %d, logins %d; want at least 5, 6, 3", st.ByStatus["401"], st.TokenRefreshes, st.Logins)
	}
	if polls == 0 || st.ByRoute[routeTask] < st.ByStatus["401"] {
		t.Errorf("status changes seen %d, task polls %d", polls, st.ByRoute[routeTask])
	}
	for _, n := range []string{"dc1-core-1", "dc1-core-2", "dc1-core-3", "dc1-core-4"} {
		if u := e.unit(n); u.Version != "7.4.2-172" || u.State != "online" {
			t.Errorf("%s: %+v", n, u)
		}
	}
	if cl := e.cluster("dc1-core"); len(cl.Data) != 3 {
		t.Errorf("cluster after upgrade: %+v", cl)
	}
	e.assertOneUpgrade()
	e.assertClean()
}

// Revoked tokens (a management center restart, or the API user logged out
// elsewhere): a poll refused with 401 renews the session and is repeated;
// an upgrade POST refused with 401 was not acted on and is sent once more,
// reaching the management center once. No token and no password appears
// in any log line or error.
func TestFaultTokenRevocation(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	tokens := &tokenRecorder{base: e.srv.Client().Transport}
	c := e.client(func(cfg *fmc.Config) {
		cfg.CACertificatePEM = ""
		cfg.Transport = tokens
	})
	pkg := packageID(t, ctx, c, pkgFP1K742)

	// Revoked in the middle of the wait.
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-01")}})
	if err != nil {
		t.Fatal(err)
	}
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultRevokeTokens, StartAfter: fmcsim.Duration(20 * time.Minute)})
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	st := e.srv.Stats()
	if st.Logins != 2 || st.ByStatus["401"] != 2 {
		t.Errorf("after revocation mid-poll: logins %d, 401 answers %d; want 2 (poll and refresh refused, then a new login)", st.Logins, st.ByStatus["401"])
	}
	if u := e.unit("br-fw-01"); u.Version != "7.4.2-172" {
		t.Errorf("br-fw-01 %+v", u)
	}

	// Revoked just before an upgrade request.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultRevokeTokens})
	before := e.srv.Stats()
	task, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-03")}})
	if err != nil || task.Recovered {
		t.Fatalf("StartUpgrade after revocation: %+v, %v", task, err)
	}
	after := e.srv.Stats()
	if n := after.ByRoute[routeUpgrades] - before.ByRoute[routeUpgrades]; n != 2 {
		t.Errorf("upgrade POSTs sent %d, want 2 (refused with 401, then accepted)", n)
	}
	if after.UpgradeRequests != 2 || after.Logins != 3 {
		t.Errorf("upgrade_requests %d (want 2: one per device), logins %d (want 3)", after.UpgradeRequests, after.Logins)
	}
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	if u := e.unit("br-fw-03"); u.Version != "7.4.2-172" {
		t.Errorf("br-fw-03 %+v", u)
	}
	if e.upgradeTasks() != 2 {
		t.Errorf("upgrade tasks %d, want 2", e.upgradeTasks())
	}

	seen := tokens.all()
	if len(seen) < 6 {
		t.Fatalf("recorded %d tokens; the transport wrapper saw no logins?", len(seen))
	}
	e.logs.AssertNoSecret(t, seen...)
	e.assertClean()
}

// tokenRecorder remembers every token the management center hands out.
type tokenRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (r *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		for _, h := range []string{"X-auth-access-token", "X-auth-refresh-token"} {
			if v := resp.Header.Get(h); v != "" {
				r.seen = append(r.seen, v)
			}
		}
		r.mu.Unlock()
	}
	return resp, err
}

func (r *tokenRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// ---------------------------------------------------------------------------
// 429

// inventorySweep reads everything an inventory reads and checks it is
// complete; it returns the number of calls made.
func inventorySweep(t testing.TB, ctx context.Context, c *fmc.Client) int {
	t.Helper()
	check := func(what string, got, want int, err error) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("%s: read %d, want %d: %v", what, got, want, err)
		}
	}
	sv, err := c.ServerVersion(ctx)
	if err != nil || sv.ServerVersion != "7.4.2 (build 172)" {
		t.Fatalf("ServerVersion: %+v, %v", sv, err)
	}
	devs, err := c.ListDevices(ctx)
	check("devices", len(devs), 16, err)
	pairs, err := c.ListHAPairs(ctx)
	check("HA pairs", len(pairs), 2, err)
	cls, err := c.ListClusters(ctx)
	check("clusters", len(cls), 1, err)
	ch, err := c.ListChassis(ctx)
	check("chassis", len(ch), 1, err)
	al, err := c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{})
	check("health alerts", len(al), 4, err)
	pk, err := c.ListUpgradePackages(ctx)
	check("upgrade packages", len(pk), 6, err)
	return 7
}

// A storm of 429s (another tool on the same address, say) during inventory
// reads and on the upgrade POST: the client waits as Retry-After says and
// repeats; every read comes back complete and the upgrade reaches the
// management center once. A burst longer than the client's bound of ten
// retries for one call ends that call with the 429, and the next call
// works.
func TestFault429StormInjected(t *testing.T) {
	sc := simtest.Demo(t)
	sc.ManagementCenter.RetryAfter = true
	e := startSim(t, sc)
	ctx := testCtx(t)
	c := e.client()
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}

	const bursts, burst = 5, 8
	before, start := e.srv.Stats(), e.clock.Now()
	calls := 0
	for range bursts {
		e.addFault(fmcsim.Fault{Kind: fmcsim.FaultRateLimit, Method: "GET", Count: burst})
		calls += inventorySweep(t, ctx, c)
	}
	after, took := e.srv.Stats(), e.clock.Now().Sub(start)
	const storm = bursts * burst
	if th := after.Throttled - before.Throttled; th != storm || after.ByStatus["429"] != storm {
		t.Errorf("throttled %d (429 answers %d), want exactly the %d injected", th, after.ByStatus["429"], storm)
	}
	if n := after.Requests - before.Requests; n != int64(calls+storm) {
		t.Errorf("%d requests for %d calls and %d 429s", n, calls, storm)
	}
	if ok := after.ByStatus["200"] - before.ByStatus["200"]; ok != int64(calls) {
		t.Errorf("%d successful answers for %d calls", ok, calls)
	}
	// Retry-After: 1 asks for a one-second pause; without it the client
	// would back off from five seconds.
	if took < storm*time.Second || took >= storm*5*time.Second {
		t.Errorf("the storm cost %s of waiting; Retry-After asked for %s", took, storm*time.Second)
	}

	// Eleven 429s in a row for one call: ten retries, then the 429.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultRateLimit, Method: "GET", Path: "/api/fmc_platform/v1/info/serverversion", Count: 11})
	before = e.srv.Stats()
	if _, err := c.ServerVersion(ctx); fmc.StatusCode(err) != 429 || !strings.Contains(err.Error(), "Please try again later") {
		t.Errorf("ServerVersion through 11 429s: %v", err)
	}
	if n := e.srv.Stats().Requests - before.Requests; n != 11 {
		t.Errorf("%d requests for one call refused 11 times", n)
	}
	inventorySweep(t, ctx, c)

	pkg := packageID(t, ctx, c, pkgFP1K742)
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultRateLimit, Method: "POST", Path: pathUpgrades, Count: 4})
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-01")}})
	if err != nil || task.Recovered {
		t.Fatalf("StartUpgrade through 429s: %+v, %v", task, err)
	}
	if n := e.srv.Stats().ByRoute[routeUpgrades]; n != 5 {
		t.Errorf("upgrade POSTs %d, want 5 (four 429s, one accepted)", n)
	}
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	if u := e.unit("br-fw-01"); u.Version != "7.4.2-172" {
		t.Errorf("br-fw-01 %+v", u)
	}
	e.assertOneUpgrade()
	e.assertClean()
}

// A client configured above the management center's real limit (600
// requests a minute against 120) meets genuine 429s: it pauses every caller
// and retries, each call still returns its data, and the 429s stay a small
// share of the traffic.
func TestFault429StormClientAboveServerLimit(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client(func(cfg *fmc.Config) { cfg.RequestsPerMinute = 600 })
	devs, err := c.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, start := e.srv.Stats(), e.clock.Now()
	const calls = 360
	for i := range calls {
		want := devs[i%len(devs)]
		d, err := c.GetDevice(ctx, want.ID)
		if err != nil || d.ID != want.ID || d.Name != want.Name {
			t.Fatalf("call %d: GetDevice(%s) = %+v, %v", i, want.Name, d, err)
		}
	}
	after, took := e.srv.Stats(), e.clock.Now().Sub(start)
	th := after.Throttled - before.Throttled
	t.Logf("%d calls in %s of simulated time: %d throttled (%.1f%%)", calls, took, th, 100*float64(th)/calls)
	if th == 0 || th > calls/10 {
		t.Errorf("throttled %d of %d; want some, and at most 10%%", th, calls)
	}
	if n := after.Requests - before.Requests; n != calls+th {
		t.Errorf("%d requests for %d calls and %d 429s: something was lost or repeated", n, calls, th)
	}
	// 120 a minute is the ceiling whatever the client thinks.
	if rate := float64(calls) / took.Minutes(); rate > 120 {
		t.Errorf("served %.0f requests a minute, above the management center's 120", rate)
	}
	e.assertClean()
}

// ---------------------------------------------------------------------------
// 5xx

func TestFault5xxBursts(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)

	// Reads are retried through a burst.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultServerError, Method: "GET", Path: globalConfig + "/devices/devicerecords", Count: 3})
	before := e.srv.Stats()
	devs, err := c.ListDevices(ctx)
	if err != nil || len(devs) != 16 {
		t.Fatalf("ListDevices through 503s: %d, %v", len(devs), err)
	}
	after := e.srv.Stats()
	if after.ByStatus["503"] != 3 || after.ByRoute[routeDevices]-before.ByRoute[routeDevices] != 4 {
		t.Errorf("503 answers %d, device list requests %d; want 3, 4", after.ByStatus["503"], after.ByRoute[routeDevices]-before.ByRoute[routeDevices])
	}

	// The upgrade POST answered 503: unknown outcome. The runner's check
	// reads the device records, sees nothing started, and the client sends
	// it again; it reaches the management center once.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultServerError, Method: "POST", Path: pathUpgrades, Count: 1})
	// A 502 burst while the task is polled.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultServerError, Status: 502, Method: "GET", Path: globalConfig + "/job/taskstatuses", Count: 5})
	checks := 0
	ids := []string{e.id("br-fw-01")}
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-01")},
		Check: deviceUpgradeCheck(c, ids, "7.4.2", &checks)})
	if err != nil || task.ID == "" || task.Recovered || checks != 1 {
		t.Fatalf("StartUpgrade after a 503: %+v, %v (checks %d)", task, err, checks)
	}
	if n := e.srv.Stats().ByRoute[routeUpgrades]; n != 2 {
		t.Errorf("upgrade POSTs %d, want 2 (503, then accepted)", n)
	}
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	if st := e.srv.Stats(); st.ByStatus["502"] != 5 {
		t.Errorf("502 answers %d, want 5", st.ByStatus["502"])
	}
	if u := e.unit("br-fw-01"); u.Version != "7.4.2-172" {
		t.Errorf("br-fw-01 %+v", u)
	}
	e.assertOneUpgrade()

	// Without a check the client does not guess: it reports the unknown
	// outcome and sends nothing more.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultServerError, Method: "POST", Path: pathUpgrades, Count: 1})
	before = e.srv.Stats()
	_, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-03")}})
	var amb *fmc.AmbiguousError
	if !errors.Is(err, fmc.ErrAmbiguous) || !errors.As(err, &amb) || fmc.StatusCode(err) != 503 {
		t.Errorf("StartUpgrade without a check after a 503: %v", err)
	}
	if n := e.srv.Stats().ByRoute[routeUpgrades] - before.ByRoute[routeUpgrades]; n != 1 {
		t.Errorf("upgrade POSTs %d, want 1", n)
	}
	if u := e.unit("br-fw-03"); u.State != "online" || u.Version != "7.2.5-208" {
		t.Errorf("br-fw-03 %+v", u)
	}

	// Retries are bounded.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultServerError, Method: "GET", Path: "/api/fmc_platform/v1/info/serverversion", Count: 3})
	bounded := e.client(func(cfg *fmc.Config) { cfg.Retry = fmc.RetryPolicy{MaxAttempts: 3} })
	before = e.srv.Stats()
	if _, err := bounded.ServerVersion(ctx); fmc.StatusCode(err) != 503 {
		t.Errorf("ServerVersion after 3 attempts: %v", err)
	}
	if n := e.srv.Stats().ByRoute["GET /api/fmc_platform/v1/info/serverversion"] - before.ByRoute["GET /api/fmc_platform/v1/info/serverversion"]; n != 3 {
		t.Errorf("serverversion requests %d, want 3", n)
	}
	e.assertOneUpgrade()
	e.assertClean()
}

// ---------------------------------------------------------------------------
// Dropped connections

func TestFaultDroppedConnections(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)

	// Reads are repeated.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Method: "GET", Path: globalConfig + "/devices/devicerecords", Count: 2})
	devs, err := c.ListDevices(ctx)
	if err != nil || len(devs) != 16 {
		t.Fatalf("ListDevices through dropped connections: %d, %v", len(devs), err)
	}
	if st := e.srv.Stats(); st.DroppedConnections != 2 {
		t.Errorf("dropped connections %d, want 2", st.DroppedConnections)
	}

	// The upgrade POST lost on its way in: the check sees nothing started,
	// the client sends it again, and it reaches the management center once.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Method: "POST", Path: pathUpgrades, Phase: "before"})
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Method: "GET", Path: globalConfig + "/job/taskstatuses", Count: 3})
	checks := 0
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-01")},
		Check: deviceUpgradeCheck(c, []string{e.id("br-fw-01")}, "7.4.2", &checks)})
	if err != nil || task.ID == "" || checks != 1 {
		t.Fatalf("StartUpgrade after a lost request: %+v, %v (checks %d)", task, err, checks)
	}
	if n := e.srv.Stats().ByRoute[routeUpgrades]; n != 2 {
		t.Errorf("upgrade POSTs %d, want 2 (lost, then sent again)", n)
	}
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	if u := e.unit("br-fw-01"); u.Version != "7.4.2-172" {
		t.Errorf("br-fw-01 %+v", u)
	}
	if st := e.srv.Stats(); st.DroppedConnections != 2+1+3 {
		t.Errorf("dropped connections %d, want 6 (2 list reads, 1 upgrade POST, 3 task polls)", st.DroppedConnections)
	}
	e.assertOneUpgrade()

	// The answer lost on its way out, no check: the client reports the
	// unknown outcome and never sends again; the upgrade it did start runs
	// to its end, as the device records show.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Method: "POST", Path: pathUpgrades, Phase: "after"})
	before := e.srv.Stats()
	_, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-03")}})
	if !errors.Is(err, fmc.ErrAmbiguous) {
		t.Fatalf("StartUpgrade with a lost answer: %v", err)
	}
	after := e.srv.Stats()
	if after.DroppedConnections-before.DroppedConnections != 1 {
		t.Errorf("dropped connections %d, want 1", after.DroppedConnections-before.DroppedConnections)
	}
	if after.ByRoute[routeUpgrades]-before.ByRoute[routeUpgrades] != 1 || after.UpgradeRequests != 2 || after.DuplicateUpgradeRequests != 0 {
		t.Errorf("POSTs %d, upgrade_requests %d, duplicates %d; want 1, 2, 0",
			after.ByRoute[routeUpgrades]-before.ByRoute[routeUpgrades], after.UpgradeRequests, after.DuplicateUpgradeRequests)
	}
	id := e.id("br-fw-03")
	for range 120 {
		ds, err := c.DevicesByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].SWVersion == "7.4.2" {
			break
		}
		e.clock.Advance(time.Minute)
	}
	if u := e.unit("br-fw-03"); u.Version != "7.4.2-172" || u.State != "online" {
		t.Errorf("br-fw-03 %+v", u)
	}
	if n := e.upgradeTasks(); n != 2 {
		t.Errorf("upgrade tasks %d, want 2", n)
	}
	e.assertClean()
}

// The answer to the upgrade POST is lost after the management center acted
// on it, and the runner's check reads the device records, as the client's
// documentation of IdempotencyCheck suggests. Nothing may be sent twice.
//
// This fails today: the simulator's device records show nothing of an
// upgrade in its first phases (copy, readiness, install: same sw_version,
// isConnected true, no status and no metadata.task), and the client's
// models carry no field that could show it, so the check answers "not
// started", the client sends the upgrade again, and the simulator refuses
// it as a duplicate (400, DUPLICATE-UPGRADE in the audit).
func TestFaultDroppedUpgradeAnswerWithDeviceRecordCheck(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)

	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Method: "POST", Path: pathUpgrades, Phase: "after"})
	checks := 0
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-01")},
		Check: deviceUpgradeCheck(c, []string{e.id("br-fw-01")}, "7.4.2", &checks)})
	st := e.srv.Stats()
	t.Logf("StartUpgrade = %+v, %v; checks %d; POSTs %d, upgrade_requests %d, duplicate_upgrade_requests %d; audit %+v",
		task, err, checks, st.ByRoute[routeUpgrades], st.UpgradeRequests, st.DuplicateUpgradeRequests, e.srv.Audit())
	if err != nil {
		t.Errorf("StartUpgrade: %v", err)
	} else if !task.Recovered {
		t.Errorf("task %+v not recovered", task)
	}
	if st.UpgradeRequests != 1 || st.DuplicateUpgradeRequests != 0 {
		t.Errorf("upgrade_requests %d, duplicate_upgrade_requests %d; want 1, 0", st.UpgradeRequests, st.DuplicateUpgradeRequests)
	}
	if br := e.srv.Audit(); len(br) != 0 {
		t.Errorf("audit: %+v", br)
	}
}
