package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

// holdClock is a scaled clock, like upgradeSim's, that a test can hold and
// move on: while held, every task on the simulator stays where it is.
// Holding it once the job's upgrades are requested makes the job's timeout
// land mid-upgrade on any machine, however fast or loaded, without an
// upgrade that really takes minutes of wall time.
type holdClock struct {
	mu    sync.Mutex
	at    time.Time // simulated time at wall
	wall  time.Time
	scale float64
	held  bool
}

func newHoldClock(start time.Time, scale float64) *holdClock {
	return &holdClock{at: start, wall: time.Now(), scale: scale}
}

func (c *holdClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *holdClock) now() time.Time {
	if c.held {
		return c.at
	}
	return c.at.Add(time.Duration(float64(time.Since(c.wall)) * c.scale))
}

func (c *holdClock) hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at, c.held = c.now(), true
}

func (c *holdClock) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.wall, c.held = time.Now(), false
	}
}

// advance moves simulated time on by d at once.
func (c *holdClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at, c.wall = c.now().Add(d), time.Now()
}

func (c *holdClock) isHeld() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// tappedSim is a simulator served behind a tap that sees each API request
// once the simulator has answered it and before the client reads the
// answer: tests act on the job's own progress (its upgrade requests, its
// polls) rather than on guesses about wall time.
type tappedSim struct {
	*fmcsim.Server
	clock      *holdClock
	url, caPEM string

	mu  sync.Mutex
	tap func(r *http.Request, body []byte, status int)
}

// startTappedSim serves upgradeScenario(edit), as upgradeSimWith does, on
// a clock running scale times real time.
func startTappedSim(t *testing.T, scale float64, edit func(sc *fmcsim.Scenario)) *tappedSim {
	t.Helper()
	return serveSim(t, upgradeScenario(t, edit), scale)
}

// serveSim serves sc on a clock running scale times real time, without
// rate limits, on 127.0.0.1 with TLS. Unlike fmcsim.StartTest, closing it
// does not wait five seconds for connections a client opened and never
// used.
func serveSim(t *testing.T, sc *fmcsim.Scenario, scale float64) *tappedSim {
	t.Helper()
	clock := newHoldClock(*sc.StartTime, scale)
	srv, err := fmcsim.New(fmcsim.Options{Scenario: sc, Clock: clock, RequestsPerMinute: 100000})
	if err != nil {
		t.Fatal(err)
	}
	ts := &tappedSim{Server: srv, clock: clock}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	// Clients that hang up when their context ends are expected here.
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	if !strings.HasPrefix(hs.URL, "https://127.0.0.1:") {
		t.Fatalf("simulator not on TLS loopback: %s", hs.URL)
	}
	ts.url, ts.caPEM = hs.URL, certPEM(hs.Certificate())
	return ts
}

func (ts *tappedSim) serve(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	ts.Server.ServeHTTP(sw, r)
	ts.mu.Lock()
	tap := ts.tap
	ts.mu.Unlock()
	if tap != nil {
		tap(r, body, sw.status)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (ts *tappedSim) setTap(tap func(r *http.Request, body []byte, status int)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.tap = tap
}

// client is simClient for a tapped simulator, without the client's default
// rate limit, which would make a test's own reads cost seconds.
func (ts *tappedSim) client(t *testing.T) *fmc.Client {
	t.Helper()
	user, pass := ts.Credentials()
	c, err := fmc.New(fmc.Config{URL: ts.url, Username: user, Password: pass, CACertificatePEM: ts.caPEM, RequestsPerMinute: 100000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// hostingChassis is chassisOf over c.
func hostingChassis(t *testing.T, c *fmc.Client, devices ...string) []runner.Chassis {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	inv, err := runner.ReadInventory(context.Background(), c, cat)
	if err != nil {
		t.Fatal(err)
	}
	var out []runner.Chassis
	for _, name := range devices {
		i := slices.IndexFunc(inv.Devices, func(d runner.Device) bool { return d.Name == name })
		j := -1
		if i >= 0 {
			j = slices.IndexFunc(inv.Chassis, func(ch runner.Chassis) bool { return ch.ID == inv.Devices[i].ChassisID })
		}
		if j < 0 {
			t.Fatalf("no chassis hosts %s", name)
		}
		out = append(out, inv.Chassis[j])
	}
	return out
}

// providerConfig points the provider at a tapped simulator, as
// simProviderConfig does with upgradeConfig's settings.
func (ts *tappedSim) providerConfig() string {
	user, pass := ts.Credentials()
	return fmt.Sprintf(`provider "fmcupgrade" {
  url                 = %q
  username            = %q
  password            = %q
  requests_per_minute = 100000
  poll_interval       = "1s"
  ca_certificate      = <<-EOT
%s
EOT
}
`, ts.url, user, pass, strings.TrimSpace(ts.caPEM))
}

// jobConfig is upgradeConfig against a tapped simulator.
func (ts *tappedSim) jobConfig(args string) string {
	return ts.providerConfig() + upgradeJobHCL(args)
}

// upgradeKind tells a POST to the upgrades collection apart: "upgrade",
// "readiness" or "copy"; "" for any other request.
func upgradeKind(r *http.Request, body []byte) string {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/updates/upgrades") {
		return ""
	}
	var req struct {
		Push      bool `json:"pushUpgradeFileOnly"`
		Readiness bool `json:"readinessCheckOnly"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return ""
	}
	switch {
	case req.Readiness:
		return "readiness"
	case req.Push:
		return "copy"
	}
	return "upgrade"
}

// taskPoll reports the task id of a single task's status read.
func taskPoll(r *http.Request) string {
	if r.Method != http.MethodGet {
		return ""
	}
	_, id, ok := strings.Cut(r.URL.Path, "/job/taskstatuses/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// holdAfterUpgrades holds the clock as soon as the simulator has accepted
// n upgrade requests, leaving them in flight until released.
func (ts *tappedSim) holdAfterUpgrades(n int) {
	var mu sync.Mutex
	seen := 0
	ts.setTap(func(r *http.Request, body []byte, status int) {
		if status != http.StatusCreated || upgradeKind(r, body) != "upgrade" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == n {
			ts.clock.hold()
		}
	})
}

// releaseOnPoll releases the clock the first time the job reads one of
// tasks: the job has found the upgrades in flight and waits for them.
func (ts *tappedSim) releaseOnPoll(tasks []string) {
	ts.setTap(func(r *http.Request, _ []byte, _ int) {
		for _, id := range tasks {
			if taskPoll(r) == id {
				ts.clock.release()
			}
		}
	})
}

// runningUpgrades are the ids of the upgrade tasks the simulator runs.
func runningUpgrades(srv *fmcsim.Server) []string {
	var ids []string
	for _, tk := range srv.Estate().Tasks {
		if tk.Name == "Upgrade" && strings.EqualFold(tk.Status, "running") {
			ids = append(ids, tk.ID)
		}
	}
	return ids
}

// upgradesPerUnit counts, per unit name, the upgrade tasks (not package
// copies or readiness checks) the management center ran on it.
func upgradesPerUnit(t *testing.T, c *fmc.Client) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tasks, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tk := range tasks {
		if tk.Name != "Upgrade" {
			continue
		}
		for _, st := range tk.SubTasks {
			out[st.Target.Name]++
		}
	}
	return out
}

// checkInterrupted asserts that the job was cut off with its upgrades in
// flight: the units still run their old version and the management
// center still works on them. It returns the upgrade tasks.
func checkInterrupted(t *testing.T, ts *tappedSim, groups int) []string {
	t.Helper()
	if !ts.clock.isHeld() {
		t.Fatal("the job ended before its upgrades were requested: the timeout is too short for this machine")
	}
	tasks := runningUpgrades(ts.Server)
	if len(tasks) != groups {
		t.Fatalf("%d upgrade tasks in flight after the interruption, want %d", len(tasks), groups)
	}
	upgrading := 0
	for _, u := range ts.Estate().Units {
		switch u.Name {
		case "br-fw-01", "dc1-edge-a", "dc1-edge-b":
			if !strings.HasPrefix(u.Version, "7.2.5") {
				t.Errorf("%s runs %s after the interruption, want 7.2.5 still", u.Name, u.Version)
			}
			if u.State == "upgrading" {
				upgrading++
			}
		}
	}
	if upgrading == 0 {
		t.Error("no unit is upgrading after the interruption")
	}
	return tasks
}

// checkJobDone asserts what an interrupted job and its rerun cost
// together, which is what one uninterrupted run costs: every unit at the
// target, upgraded by one upgrade request, and no other request twice.
func checkJobDone(t *testing.T, ts *tappedSim) {
	t.Helper()
	checkUnitsAt(t, ts.Server, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
	got := upgradesPerUnit(t, ts.client(t))
	// The HA pair is one request for both units; its sub-tasks name them.
	want := map[string]int{"br-fw-01": 1, "dc1-edge-a": 1, "dc1-edge-b": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("upgrades per unit %v, want %v", got, want)
	}
	// Two package copies (one per family), two readiness checks and two
	// upgrades (br-fw-01, the dc1-edge pair).
	if n := ts.Stats().UpgradeRequests; n != 6 {
		t.Errorf("%d upgrade requests, want 6 (2 copies, 2 readiness checks, 2 upgrades)", n)
	}
	checkAuditEmpty(t, ts.Server)
}

var timedOutRE = messageRE(`Upgrade job timed out .* did not finish within`)

// An apply cut off mid-upgrade (a pipeline's job timeout ends Terraform's
// context, as SIGINT or SIGTERM would) and run again finishes the job
// without asking for anything twice. The simulator's clock is held from
// the job's last upgrade request until the rerun polls that upgrade, so
// the timeout always lands with the upgrades in flight and the rerun
// always finds them so.
func TestAccDeviceUpgrade_interruptedThenRerun(t *testing.T) {
	// The first apply is cut off: Terraform taints the job and the next
	// apply replaces it. The new job has no saved progress: it must find
	// the upgrades on the management center and wait for them.
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		ts := startTappedSim(t, upgradeTimeScale, nil)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{
					PreConfig:   func() { ts.holdAfterUpgrades(2) },
					Config:      ts.jobConfig(`  timeouts { create = "5s" }`),
					ExpectError: timedOutRE,
				},
				rerunStep(t, ts, `  timeouts { create = "1m" }`, plancheck.ResourceActionReplace),
			},
		})
		checkJobDone(t, ts)
	})
	// Staging succeeds, the upgrade apply is cut off, and the next apply
	// resumes from the progress saved in private state.
	t.Run("update", func(t *testing.T) {
		t.Parallel()
		ts := startTappedSim(t, upgradeTimeScale, nil)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{
					Config: ts.jobConfig(`  phase = "stage"`),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					},
				},
				{
					PreConfig:   func() { ts.holdAfterUpgrades(2) },
					Config:      ts.jobConfig(`  timeouts { update = "5s" }`),
					ExpectError: timedOutRE,
				},
				rerunStep(t, ts, `  timeouts { update = "1m" }`, plancheck.ResourceActionUpdate),
			},
		})
		checkJobDone(t, ts)
	})
}

// rerunStep runs the job again after an interruption, once the check that
// the interruption left the upgrades in flight has passed, and expects it
// to finish with nothing left to plan.
func rerunStep(t *testing.T, ts *tappedSim, args string, action plancheck.ResourceActionType) resource.TestStep {
	return resource.TestStep{
		PreConfig: func() { ts.releaseOnPoll(checkInterrupted(t, ts, 2)) },
		Config:    ts.jobConfig(args),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobAddr, action)},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
			statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
		},
	}
}

// faultWindow is what the API saw after one token fault, up to the next.
type faultWindow struct {
	after string // "expiry", or the request the revocation followed
	// 401 answers, successful logins and successful token refreshes.
	denied, logins, refreshes int
}

// faultLog is what injectJobFaults did and saw.
type faultLog struct {
	mu      sync.Mutex
	windows []faultWindow
	// throttledUpgrades counts 429 answers to upgrade requests.
	throttledUpgrades int
}

func (l *faultLog) snapshot() ([]faultWindow, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]faultWindow{}, l.windows...), l.throttledUpgrades
}

// Fault counts of TestAccDeviceUpgrade_tokenExpiryAndRateLimit.
const (
	stormRequests  = 4 // 429s to any request, from the first package copy on
	stormUpgrades  = 2 // 429s to the upgrade requests themselves
	tokenRevokings = 3
)

// injectJobFaults places the faults on the job's own progress, so they land
// between its requests whatever the machine's speed: every token is
// revoked right after the first package copy, the first readiness check
// and the first upgrade are accepted; a storm of 429s to any request
// starts with the first copy; once both readiness checks are accepted the
// next upgrade requests are answered 429 too; and once both upgrades are
// accepted the clock jumps past a token's lifetime, so that every token
// expires on its own.
func injectJobFaults(t *testing.T, ts *tappedSim) *faultLog {
	fl := &faultLog{}
	accepted := map[string]int{}
	ts.setTap(func(r *http.Request, body []byte, status int) {
		fl.mu.Lock()
		defer fl.mu.Unlock()
		kind := upgradeKind(r, body)
		if kind == "upgrade" && status == http.StatusTooManyRequests {
			fl.throttledUpgrades++
		}
		if n := len(fl.windows); n > 0 {
			w := &fl.windows[n-1]
			switch {
			case status == http.StatusUnauthorized:
				w.denied++
			case strings.HasSuffix(r.URL.Path, "/auth/generatetoken") && status < 300:
				w.logins++
			case strings.HasSuffix(r.URL.Path, "/auth/refreshtoken") && status < 300:
				w.refreshes++
			}
		}
		if kind == "" || status != http.StatusCreated {
			return
		}
		accepted[kind]++
		var faults []fmcsim.Fault
		switch {
		case accepted[kind] == 1:
			faults = append(faults, fmcsim.Fault{Kind: fmcsim.FaultRevokeTokens})
			fl.windows = append(fl.windows, faultWindow{after: kind})
			if kind == "copy" {
				faults = append(faults, fmcsim.Fault{Kind: fmcsim.FaultRateLimit, Path: "/api/fmc_", Count: stormRequests})
			}
		case kind == "readiness" && accepted[kind] == 2:
			faults = append(faults, fmcsim.Fault{Kind: fmcsim.FaultRateLimit, Method: http.MethodPost,
				Path: "/api/fmc_platform/v1/updates/upgrades", Count: stormUpgrades})
		case kind == "upgrade" && accepted[kind] == 2:
			// A job of hours outlives its tokens: 31 minutes on, every
			// access token has expired, and the upgrades have moved on.
			ts.clock.advance(31 * time.Minute)
			fl.windows = append(fl.windows, faultWindow{after: "expiry"})
		}
		for _, f := range faults {
			if _, err := ts.AddFault(f); err != nil {
				t.Errorf("add fault %s: %v", f.Kind, err)
			}
		}
		// Reading the faults moves the simulator to now, which revokes the
		// tokens at once rather than at the next request, whoever sends it.
		ts.Faults()
	})
	return fl
}

// Mid-job the management center revokes every token three times (a
// restart, an administrator logging the API user out) and answers storms
// of 429s, one of them to the upgrade requests, and later every token
// expires. The job still completes: each revocation costs refused requests
// and a new login, the expiry a refresh, each 429 is waited out and the
// request sent again, which for an upgrade request is safe because a 429
// means it was not taken, and nothing is asked twice.
//
// The clock runs 300 times real time, not upgradeTimeScale: a token then
// lives six seconds, longer than the waits a storm of 429s imposes, as 30
// minutes are for real. Shorter phases keep the job as short as
// upgradeSim's.
func TestAccDeviceUpgrade_tokenExpiryAndRateLimit(t *testing.T) {
	ts := startTappedSim(t, 300, func(sc *fmcsim.Scenario) {
		// One second per 429 instead of the client's own backoff from
		// five seconds up.
		sc.ManagementCenter.RetryAfter = true
		// On this clock the demo's deployment to br-fw-04 would still run
		// at plan time, and the management center's READY-3 check refuses
		// any running task.
		sc.RunningTasks = nil
		minute := fmcsim.Duration(time.Minute)
		sc.Timings = fmcsim.Timings{PackageCopy: minute, ReadinessCheck: minute, Install: 3 * minute, Reboot: minute,
			Deployment: minute / 2, Backup: minute / 2}
	})
	var faults *faultLog
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { faults = injectJobFaults(t, ts) },
			Config:    ts.jobConfig(""),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
			},
			// Right after the apply: what follows (refresh, plan) logs in
			// anew and must not count.
			Check: func(*terraform.State) error {
				ts.setTap(nil)
				return checkJobFaults(t, ts, faults)
			},
		}},
	})
	checkJobDone(t, ts)
}

// checkJobFaults reports whether every fault fired during the job and the
// job recovered from each as it should.
func checkJobFaults(t *testing.T, ts *tappedSim, faults *faultLog) error {
	windows, throttledUpgrades := faults.snapshot()
	st := ts.Stats()
	t.Logf("token faults %+v; %d requests, %d throttled (%d upgrade requests), %d answered 401, %d logins, %d token refreshes",
		windows, st.Requests, st.Throttled, throttledUpgrades, st.ByStatus["401"], st.Logins, st.TokenRefreshes)
	var errs []error
	if len(windows) != tokenRevokings+1 {
		errs = append(errs, fmt.Errorf("%d token faults, want %d revocations (after the first copy, readiness check and upgrade) and an expiry",
			len(windows), tokenRevokings))
	}
	for _, w := range windows {
		// A revoked refresh token cannot be refreshed: the client logs in.
		renewed := w.logins
		if w.after == "expiry" {
			renewed = w.refreshes
		}
		if w.denied == 0 || renewed == 0 {
			errs = append(errs, fmt.Errorf("after the token fault (%s): %d requests refused, %d logins and %d refreshes; want a refusal and a renewal",
				w.after, w.denied, w.logins, w.refreshes))
		}
	}
	for _, f := range ts.Faults() {
		if f.Active || f.Remaining == nil || *f.Remaining != 0 {
			errs = append(errs, fmt.Errorf("fault %s %s did not fire in full: %+v", f.ID, f.Kind, f))
		}
	}
	// No other 429: the provider and the simulator allow 100,000 requests
	// a minute.
	if want := int64(stormRequests + stormUpgrades); st.Throttled != want {
		errs = append(errs, fmt.Errorf("%d throttled requests, want the %d of the storms", st.Throttled, want))
	}
	if throttledUpgrades != stormUpgrades {
		errs = append(errs, fmt.Errorf("%d upgrade requests answered 429, want %d", throttledUpgrades, stormUpgrades))
	}
	return errors.Join(errs...)
}

// demoEstateSim serves the demo estate as it ships (every chassis on its
// old FXOS, the multi-instance chassis at 7.4.1), with br-fw-01 at 6.6.5
// so that it needs two hops to 7.4.2 (6.6.5 → 7.2.8 → 7.4.2) and the 7.2.8
// package for it on the management center. The operator has freed the
// disk of cloud-ftdv-az-01, the demo's one blocking finding.
func demoEstateSim(t *testing.T) *tappedSim {
	t.Helper()
	sc := demoScenario(t)
	for i, d := range sc.Devices {
		if d.Name == "br-fw-01" {
			sc.Devices[i].Version, sc.Devices[i].Build = "6.6.5", 81
		}
	}
	sc.UpgradePackages = append(sc.UpgradePackages, fmcsim.UpgradePackage{FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.2.8-25.sh.REL.tar"})
	var alerts []fmcsim.HealthAlert
	for _, a := range sc.HealthAlerts {
		if a.Module != "DISK_USAGE" {
			alerts = append(alerts, a)
		}
	}
	sc.HealthAlerts = alerts
	return serveSim(t, sc, demoTimeScale)
}

// demoTimeScale runs the demo estate's clock faster than the other jobs':
// its FXOS job upgrades six chassis one at a time, each over several polls
// a second apart at the least, and this lets each installation end in
// fewer of them (29 s at upgradeTimeScale, 27 s here). A faster clock
// saves about a second more, while the management center's 30-minute
// tokens would then last well under a tenth of a real second.
const demoTimeScale = 10000

// The whole demo estate in one configuration, chassis first, then devices:
//
//   - fmcupgrade_device_upgrade.branch takes the four branch firewalls and
//     the two cloud units to 7.4.2, br-fw-01 in two hops. None sits on a
//     chassis, so its plan is known, hops included, before anything runs;
//   - fmcupgrade_chassis_upgrade.fxos takes the six Firepower chassis to
//     FXOS 2.14.1.131, the companion of 7.4.2: of HA pairs dc1-edge and
//     dc2-edge (4100s) the standby's chassis first, with a role switch
//     before the other; of cluster dc1-core (two 9300s) the chassis with
//     data units only first, with a move of cluster control before the
//     other;
//   - fmcupgrade_chassis_upgrade.mi takes the Secure Firewall 3130
//     multi-instance chassis to 7.4.2 through the management center;
//   - fmcupgrade_device_upgrade.datacenter then takes both HA pairs, the
//     cluster and the two instances on the multi-instance chassis to
//     7.4.2. Its steps are computed at apply, from the estate the chassis
//     jobs leave: the role switches change which unit of each pair goes
//     first, and the multi-instance chassis version is read live.
//
// Terraform plans each job again when it applies it, readiness gate
// included, and the management center's READY-3 row fails on any running
// task, also another job's: a device job therefore starts (and is
// planned again) only while no other job has work on the management
// center. The FXOS job may run beside the branch job because its work is
// on the chassis managers until its first role switch, long after the
// branch job's second plan.
func TestAccUpgrade_demoEstateChassisThenDevices(t *testing.T) {
	ts := demoEstateSim(t)
	c := ts.client(t)
	ch := hostingChassis(t, c, "dc1-edge-b", "dc1-edge-a", "dc2-edge-a", "dc2-edge-b", "dc1-core-3", "dc1-core-1", "dc2-mi-fw1")
	dc1Edge, dc2Edge, core, mi := ch[:2], ch[2:4], ch[4:6], ch[6]
	config := ts.providerConfig() + `
resource "fmcupgrade_device_upgrade" "branch" {
  target_version = "7.4.2"
  device_ids     = ["br-fw-01", "br-fw-02", "br-fw-03", "br-fw-04", "cloud-ftdv-aws-01", "cloud-ftdv-az-01"]
  # br-fw-02 has changes to deploy, which the job deploys before its
  # upgrade (READY-2); br-fw-03's clock drifts 14 s, reported as a warning.
  ignore_checks = ["pending_deployment:br-fw-02", "health_time_sync:br-fw-03"]
` + createIn5m + `}
` + fxosJobHCL("fxos", ts.Server, ts.caPEM, createIn5m, ch[:6]...) + `
resource "fmcupgrade_chassis_upgrade" "mi" {
  threat_defense_version = "7.4.2"
  chassis = [
` + chassisEntryHCL(mi) + `  ]
` + createIn5m + `  depends_on = [fmcupgrade_device_upgrade.branch]
}

resource "fmcupgrade_device_upgrade" "datacenter" {
  target_version = "7.4.2"
  ha_pair_ids    = ["dc1-edge", "dc2-edge"]
  cluster_ids    = ["dc1-core"]
  device_ids     = ["dc2-mi-fw1", "dc2-mi-fw2"]
  chassis = [
    for name, v in fmcupgrade_chassis_upgrade.fxos.chassis_versions : { name = name, fxos_version = v }
  ]
` + createIn5m + `  depends_on = [fmcupgrade_chassis_upgrade.mi]
}
`
	const (
		branchAddr = "fmcupgrade_device_upgrade.branch"
		fxosAddr   = "fmcupgrade_chassis_upgrade.fxos"
		miAddr     = "fmcupgrade_chassis_upgrade.mi"
		dcAddr     = "fmcupgrade_device_upgrade.datacenter"
	)
	fxosVersions := map[string]knownvalue.Check{}
	for _, fx := range ch[:6] {
		fxosVersions[fx.Name] = knownvalue.StringExact("2.14.1.131")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(branchAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(fxosAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(miAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(dcAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(branchAddr, tfjsonpath.New("hops"), knownvalue.MapPartial(map[string]knownvalue.Check{
						"br-fw-01":          stringsExact("6.6.5", "7.2.8", "7.4.2"),
						"br-fw-02":          stringsExact("7.2.5", "7.4.2"),
						"cloud-ftdv-aws-01": stringsExact("7.4.1", "7.4.2"),
					})),
					// Each hop of br-fw-01 is its own upgrade, in its own wave.
					plancheck.ExpectKnownValue(branchAddr, tfjsonpath.New("steps"), stepsInclude(
						`upgrade_threat_defense\s+br-fw-01\s+6\.6\.5 -> 7\.2\.8`,
						`upgrade_threat_defense\s+br-fw-01\s+7\.2\.8 -> 7\.4\.2`,
					)),
					plancheck.ExpectKnownValue(fxosAddr, tfjsonpath.New("steps"), stepsInclude(
						`upgrade_chassis +`+dc1Edge[0].Name+` +2\.12\.1\.48 -> 2\.14\.1\.131 .*standby chassis of pair dc1-edge first`,
						`switch_ha_roles +dc1-edge +dc1-edge-a -> dc1-edge-b`,
						`upgrade_chassis +`+dc1Edge[1].Name+` +2\.12\.1\.48 -> 2\.14\.1\.131`,
					)),
					plancheck.ExpectKnownValue(fxosAddr, tfjsonpath.New("steps"), stepsInclude(
						`upgrade_chassis +`+dc2Edge[0].Name+` +2\.12\.1\.48 -> 2\.14\.1\.131 .*standby chassis of pair dc2-edge first`,
						`switch_ha_roles +dc2-edge +dc2-edge-b -> dc2-edge-a`,
						`upgrade_chassis +`+dc2Edge[1].Name+` +2\.12\.1\.48 -> 2\.14\.1\.131`,
					)),
					plancheck.ExpectKnownValue(fxosAddr, tfjsonpath.New("steps"), stepsInclude(
						`upgrade_chassis +`+core[0].Name+` +2\.12\.1\.48 -> 2\.14\.1\.131 .*all-data-unit chassis of cluster dc1-core first`,
						`move_cluster_control +dc1-core +dc1-core-1 -> dc1-core-3`,
						`upgrade_chassis +`+core[1].Name+` +2\.12\.1\.48 -> 2\.14\.1\.131`,
					)),
					plancheck.ExpectKnownValue(miAddr, tfjsonpath.New("steps"), stepsInclude(
						`upgrade_chassis +`+mi.Name+` +7\.4\.1 -> 7\.4\.2`,
					)),
					// Planned at apply, from the estate the chassis jobs leave.
					plancheck.ExpectUnknownValue(dcAddr, tfjsonpath.New("hops")),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(branchAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				statecheck.ExpectKnownValue(fxosAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				statecheck.ExpectKnownValue(fxosAddr, tfjsonpath.New("chassis_versions"), knownvalue.MapExact(fxosVersions)),
				statecheck.ExpectKnownValue(miAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				statecheck.ExpectKnownValue(miAddr, tfjsonpath.New("chassis_versions"), knownvalue.MapExact(map[string]knownvalue.Check{
					mi.Name: knownvalue.StringExact("7.4.2"),
				})),
				statecheck.ExpectKnownValue(dcAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				// After the role switches the other unit of each pair is
				// active, so the first standby goes first.
				statecheck.ExpectKnownValue(dcAddr, tfjsonpath.New("steps"), stepsInclude(
					`upgrade_threat_defense\s+dc1-edge\s+7\.2\.5 -> 7\.4\.2.*standby unit dc1-edge-a first`,
				)),
				statecheck.ExpectKnownValue(dcAddr, tfjsonpath.New("steps"), stepsInclude(
					`upgrade_threat_defense\s+dc2-edge\s+7\.2\.5 -> 7\.4\.2.*standby unit dc2-edge-b first`,
				)),
			},
		}},
	})
	const fxos = "2.14(1.131)" // as the chassis manager writes it
	want := map[string]string{
		"br-fw-01": "7.4.2", "br-fw-02": "7.4.2", "br-fw-03": "7.4.2", "br-fw-04": "7.4.2",
		"cloud-ftdv-aws-01": "7.4.2", "cloud-ftdv-az-01": "7.4.2",
		"dc1-edge-a": "7.4.2", "dc1-edge-b": "7.4.2", "dc2-edge-a": "7.4.2", "dc2-edge-b": "7.4.2",
		"dc1-core-1": "7.4.2", "dc1-core-2": "7.4.2", "dc1-core-3": "7.4.2", "dc1-core-4": "7.4.2",
		"dc2-mi-fw1": "7.4.2", "dc2-mi-fw2": "7.4.2",
		"dc1-fxos-a": fxos, "dc1-fxos-b": fxos, "dc2-fxos-a": fxos, "dc2-fxos-b": fxos,
		"dc1-fp9300-1": fxos, "dc1-fp9300-2": fxos, "dc2-sf3130-mi": "7.4.2",
	}
	for _, u := range ts.Estate().Units {
		w, ok := want[u.Name]
		if !ok {
			continue
		}
		delete(want, u.Name)
		if v, _, _ := strings.Cut(u.Version, "-"); v != w {
			t.Errorf("%s runs %s, want %s", u.Name, u.Version, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("units missing from the estate: %v", want)
	}
	// Each unit upgraded once: br-fw-01 twice, one request per hop.
	got := upgradesPerUnit(t, c)
	for _, n := range []string{"br-fw-02", "br-fw-03", "br-fw-04", "cloud-ftdv-aws-01", "cloud-ftdv-az-01",
		"dc1-edge-a", "dc1-edge-b", "dc2-edge-a", "dc2-edge-b", "dc1-core-1", "dc1-core-2", "dc1-core-3", "dc1-core-4",
		"dc2-mi-fw1", "dc2-mi-fw2", mi.Name} {
		if got[n] != 1 {
			t.Errorf("%s was upgraded by %d upgrade requests, want 1 (all: %v)", n, got[n], got)
		}
	}
	if got["br-fw-01"] != 2 {
		t.Errorf("br-fw-01 was upgraded by %d upgrade requests, want 2, one per hop (all: %v)", got["br-fw-01"], got)
	}
	checkAuditEmpty(t, ts.Server)
}

// stepsInclude checks that a steps list has, in this order, a line
// matching each pattern.
func stepsInclude(patterns ...string) knownvalue.Check {
	return stepsOrder{patterns: patterns}
}

type stepsOrder struct{ patterns []string }

func (c stepsOrder) CheckValue(v any) error {
	lines, ok := v.([]any)
	if !ok {
		return fmt.Errorf("expected a list of steps, got %T", v)
	}
	next := 0
	for _, l := range lines {
		s, _ := l.(string)
		if next < len(c.patterns) && regexp.MustCompile(c.patterns[next]).MatchString(s) {
			next++
		}
	}
	if next < len(c.patterns) {
		return fmt.Errorf("no step matches %q after the earlier patterns, in:\n%v", c.patterns[next], lines)
	}
	return nil
}

func (c stepsOrder) String() string {
	return "steps matching, in order: " + strings.Join(c.patterns, ", ")
}
