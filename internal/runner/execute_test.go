package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fxos"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// Execution against the in-process simulator (TLS on 127.0.0.1) on a
// manual clock: the clients' and the executor's Sleep advance it, so an
// estate upgrade of many simulated hours runs in a fraction of a second
// and every wait, token lifetime and fault window moves with it.

// execTimeout bounds each test in real time.
const execTimeout = 20 * time.Second

type execSim struct {
	t     testing.TB
	srv   *fmcsim.Server
	clock *fmcsim.ManualClock
	cat   *catalog.Catalog
	fmc   *fmc.Client
	// events, when set, runs the clock for concurrent waits.
	events *eventClock
	// onLog, when set, sees every log line (tests cancel on one).
	onLog func(msg string, fields map[string]any)

	mu   sync.Mutex
	logs []string
}

func demoForExec(t testing.TB) *fmcsim.Scenario {
	t.Helper()
	sc, ok := fmcsim.Builtin("demo")
	if !ok {
		t.Fatal("no demo scenario")
	}
	// The demo's one blocking finding: the operator has freed disk space
	// on cloud-ftdv-az-01.
	var alerts []fmcsim.HealthAlert
	for _, a := range sc.HealthAlerts {
		if a.Module != "DISK_USAGE" {
			alerts = append(alerts, a)
		}
	}
	sc.HealthAlerts = alerts
	return sc
}

// startExecSim serves sc on a manual clock that Sleep advances: with one
// step at a time (ExecOptions.Concurrency 1) every run is deterministic.
func startExecSim(t testing.TB, sc *fmcsim.Scenario) *execSim {
	return startSim(t, sc, false)
}

// startConcurrentSim serves sc on an eventClock, for runs with several
// steps at once.
func startConcurrentSim(t testing.TB, sc *fmcsim.Scenario) *execSim {
	return startSim(t, sc, true)
}

func startSim(t testing.TB, sc *fmcsim.Scenario, concurrent bool) *execSim {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 8, 22, 0, 0, 0, time.UTC)
	if sc.StartTime != nil {
		start = *sc.StartTime
	}
	clock := fmcsim.NewManualClock(start)
	srv := fmcsim.StartTest(t, fmcsim.Options{Scenario: sc, Clock: clock})
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") || len(srv.CACertPEM()) == 0 {
		t.Fatalf("simulator not on TLS loopback: %s", srv.URL())
	}
	e := &execSim{t: t, srv: srv, clock: clock, cat: cat}
	if concurrent {
		rt, ok := srv.Client().Transport.(*http.Transport)
		if !ok {
			t.Fatal("the simulator's client has no *http.Transport")
		}
		// Keep a connection per concurrent step: a TLS handshake per
		// request would dominate the run.
		rt = rt.Clone()
		rt.MaxIdleConnsPerHost = 32
		e.events = newEventClock(clock, rt)
		t.Cleanup(e.events.close)
		t.Cleanup(rt.CloseIdleConnections)
	}
	user, pass := srv.Credentials()
	cfg := fmc.Config{URL: srv.URL(), Username: user, Password: pass, CACertificatePEM: string(srv.CACertPEM()),
		Now: clock.Now, Sleep: e.sleep, Logger: e.log}
	if e.events != nil {
		cfg.Transport = e.events
	}
	c, err := fmc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e.fmc = c
	return e
}

func (e *execSim) sleep(ctx context.Context, d time.Duration) error {
	if e.events != nil {
		return e.events.sleep(ctx, d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e.clock.Advance(d)
	return nil
}

func (e *execSim) log(_ context.Context, msg string, fields map[string]any) {
	e.mu.Lock()
	e.logs = append(e.logs, fmt.Sprint(msg, fields))
	hook := e.onLog
	e.mu.Unlock()
	if hook != nil {
		hook(msg, fields)
	}
}

func (e *execSim) fxos(url string) (*fxos.Client, error) {
	user, pass := e.srv.Credentials()
	cfg := fxos.Config{URL: url, Username: user, Password: pass, CACertificatePEM: string(e.srv.CACertPEM()),
		Now: e.clock.Now, Sleep: e.sleep, Logger: e.log}
	if e.events != nil {
		cfg.Transport = e.events
	}
	return fxos.New(cfg)
}

func (e *execSim) env() Env {
	return Env{FMC: e.fmc, FXOS: e.fxos, Catalog: e.cat, Logger: e.log}
}

func (e *execSim) opts() ExecOptions {
	conc, poll := 1, 30*time.Second
	if e.events != nil {
		// Longer pauses mean fewer clock moves, each of which costs the
		// eventClock a moment of real quiet.
		conc, poll = DefaultConcurrency, 2*time.Minute
	}
	return ExecOptions{EnableRevert: true, AutoCancel: true, PollInterval: poll, Concurrency: conc,
		FXOSImages: &FXOSImageSource{Protocol: "scp", Server: "127.0.0.1", RemotePath: "/images", User: "images", Password: "Image-Pa55"},
		Now:        e.clock.Now, Sleep: e.sleep}
}

func execCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	t.Cleanup(cancel)
	return ctx
}

// plan reads the live estate (FXOS versions from the chassis managers) and
// plans it to target.
func (e *execSim) plan(ctx context.Context, target string) *planner.EstatePlan {
	e.t.Helper()
	return e.planFor(ctx, planner.Targets{ThreatDefense: target})
}

func (e *execSim) planFor(ctx context.Context, targets planner.Targets) *planner.EstatePlan {
	e.t.Helper()
	inv, err := ReadInventory(ctx, e.fmc, e.cat)
	if err != nil {
		e.t.Fatal(err)
	}
	fx, err := ReadChassisVersions(ctx, inv, nil, e.fxos)
	if err != nil {
		e.t.Fatal(err)
	}
	est, _, err := EstateFromInventory(inv, fx)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := planner.PlanEstate(e.cat, est, targets)
	if err != nil {
		e.t.Fatal(err)
	}
	if v := planner.CheckPlan(e.cat, est, targets, p); len(v) > 0 {
		e.t.Fatalf("the plan breaks rules: %v", v)
	}
	return p
}

func (e *execSim) assertClean() {
	e.t.Helper()
	if a := e.srv.Audit(); len(a) != 0 {
		e.t.Errorf("audit not empty: %+v", a)
	}
	if st := e.srv.Stats(); st.DuplicateUpgradeRequests != 0 {
		e.t.Errorf("duplicate_upgrade_requests = %d", st.DuplicateUpgradeRequests)
	}
}

// assertAt checks every device of the simulated estate runs version.
func (e *execSim) assertAt(version string) {
	e.t.Helper()
	for _, u := range e.srv.Estate().Units {
		if u.Kind == "device" && !strings.HasPrefix(u.Version, version+"-") && u.Version != version {
			e.t.Errorf("%s runs %s, want %s", u.Name, u.Version, version)
		}
	}
}

// run executes plan and, when it fails unexpectedly, shows every step.
func (e *execSim) run(ctx context.Context, plan *planner.EstatePlan, opts ExecOptions) (*Progress, error) {
	e.t.Helper()
	prog, err := Execute(ctx, e.env(), plan, opts)
	if prog == nil {
		e.t.Fatalf("Execute returned no progress (err %v)", err)
	}
	return prog, err
}

func (e *execSim) dump(prog *Progress) {
	e.t.Helper()
	for _, s := range prog.Steps {
		e.t.Logf("step %d wave %d %s %s: %s %s", s.Order, s.Wave, s.Action, s.Target, s.State, s.Detail)
	}
}

// unit is the simulator's view of a unit by name.
func (e *execSim) unit(name string) fmcsim.EstateUnit {
	e.t.Helper()
	for _, u := range e.srv.Estate().Units {
		if u.Name == name {
			return u
		}
	}
	e.t.Fatalf("no unit %s", name)
	return fmcsim.EstateUnit{}
}

func (e *execSim) addFault(f fmcsim.Fault) {
	e.t.Helper()
	if _, err := e.srv.AddFault(f); err != nil {
		e.t.Fatal(err)
	}
}

// assertLanded checks every unit of the plan runs the last version of its
// planned path, as the simulator sees it.
func (e *execSim) assertLanded(plan *planner.EstatePlan, prog *Progress) {
	e.t.Helper()
	inv, err := ReadInventory(context.Background(), e.fmc, e.cat)
	if err != nil {
		e.t.Fatal(err)
	}
	have := map[string]string{inv.ManagementCenter.Hostname: inv.ManagementCenter.Version}
	for _, d := range inv.Devices {
		have[d.Name] = d.Version
	}
	for _, c := range inv.Chassis {
		have[c.Name] = c.Version
		if c.Kind == catalog.ChassisFXOS {
			have[c.Name] = e.unitByChassisURL(c.ManagerURL).Version
		}
	}
	for name, path := range plan.UnitPaths {
		want := path[len(path)-1]
		got := have[name]
		ok := atLeast(got, want) && atLeast(want, got)
		if strings.Contains(got, "(") {
			ok = fxosAtLeast(got, want) && fxosAtLeast(want, got)
		}
		if !ok {
			e.t.Errorf("%s runs %q, the plan lands it on %s", name, got, want)
		}
		if pv := prog.UnitVersions[name]; pv != got {
			e.t.Errorf("progress says %s runs %q, it runs %q", name, pv, got)
		}
	}
}

func (e *execSim) unitByChassisURL(url string) fmcsim.EstateUnit {
	e.t.Helper()
	for _, u := range e.srv.Estate().Units {
		if u.Kind == "chassis" && e.srv.ChassisURL(u.ID) == url {
			return u
		}
	}
	e.t.Fatalf("no chassis at %s", url)
	return fmcsim.EstateUnit{}
}

// The demo estate, chassis then devices, to 7.4.2: every unit lands where
// the plan says, no rule is broken and no upgrade is requested twice.
func TestExecuteDemo(t *testing.T) {
	sc := demoForExec(t)
	e := startExecSim(t, sc)
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.4.2")
	var ended []StepResult
	var mu sync.Mutex
	opts := e.opts()
	opts.OnStep = func(r StepResult) {
		mu.Lock()
		ended = append(ended, r)
		mu.Unlock()
	}
	prog, err := e.run(ctx, plan, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if prog.Status != StatusComplete || prog.Done() != len(plan.Steps) || len(ended) != len(plan.Steps) {
		t.Errorf("status %s, %d of %d steps done, %d reported", prog.Status, prog.Done(), len(plan.Steps), len(ended))
	}
	e.assertAt("7.4.2")
	e.assertLanded(plan, prog)
	e.assertClean()
	_, pass := e.srv.Credentials()
	for _, l := range e.logs {
		if strings.Contains(l, pass) || strings.Contains(l, e.opts().FXOSImages.Password) {
			t.Errorf("a secret is in the log: %s", l)
		}
	}
	if len(e.logs) == 0 {
		t.Error("nothing logged")
	}
	st := e.srv.Stats()
	// One request per copy, readiness check and upgrade: 5 copies, 1
	// chassis upgrade, 11 readiness checks and 11 device upgrades.
	if st.UpgradeRequests != 28 {
		t.Errorf("%d upgrade requests, want 28", st.UpgradeRequests)
	}
	if got := st.ByRoute["PATCH /fxos/{chassis}/api/sys/firmware/sched-platform-fw"]; got != 6 {
		t.Errorf("%d FXOS installs, want 6", got)
	}
	// Waves run in order: no step ends before a step of an earlier wave.
	for i := 1; i < len(ended); i++ {
		if ended[i].Wave < ended[i-1].Wave {
			t.Errorf("step %d (wave %d) ended after step %d (wave %d)", ended[i].Order, ended[i].Wave, ended[i-1].Order, ended[i-1].Wave)
		}
	}
	// A second run finds everything done and sends nothing that changes
	// state.
	before := e.srv.Stats()
	prog2, err := e.run(ctx, plan, e.opts())
	if err != nil {
		e.dump(prog2)
		t.Fatal(err)
	}
	after := e.srv.Stats()
	if after.UpgradeRequests != before.UpgradeRequests {
		t.Errorf("the second run sent %d upgrade requests", after.UpgradeRequests-before.UpgradeRequests)
	}
	for _, s := range prog2.Steps {
		if s.State != StepSkipped && s.Action != planner.ActionBackup {
			t.Errorf("second run: step %d %s %s is %s (%s), want skipped", s.Order, s.Action, s.Target, s.State, s.Detail)
		}
	}
	e.assertClean()
}

func stepByTarget(t *testing.T, plan *planner.EstatePlan, action, target string) planner.Step {
	t.Helper()
	for _, s := range plan.Steps {
		if s.Action == action && s.Target == target {
			return s
		}
	}
	t.Fatalf("no step %s %s", action, target)
	return planner.Step{}
}

// An upgrade that fails on the first unit of an HA pair stops the job
// before the other unit: the error names the unit, the step and the
// management center's words, and no later step starts. Steps already
// running beside it (concurrent run) are followed to their end. A second
// run finishes the job with one readiness check and one upgrade request
// per pair or cluster still to go.
func TestExecuteHAMemberFailureThenResume(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		name := "sequential"
		if concurrent {
			name = "concurrent"
		}
		t.Run(name, func(t *testing.T) {
			e := startSim(t, demoForExec(t), concurrent)
			ctx := execCtx(t)
			plan := e.plan(ctx, "7.4.2")
			const why = "Install script exited with status 2 (simulated)."
			// dc1-edge-a is the standby when the pair's threat defense
			// upgrade starts (the roles were switched for its chassis), so
			// it goes first.
			e.addFault(fmcsim.Fault{Kind: fmcsim.FaultUpgradeFail, Target: "dc1-edge-a", Count: 1, Message: why})

			prog, err := e.run(ctx, plan, e.opts())
			var se *StepError
			if !errors.As(err, &se) {
				e.dump(prog)
				t.Fatalf("err = %v, want a StepError", err)
			}
			td := stepByTarget(t, plan, planner.ActionUpgradeThreatDefense, "dc1-edge")
			if se.Step.Order != td.Order || se.Unit != "dc1-edge-a" || !strings.Contains(se.Message, why) {
				t.Errorf("error = %+v", se)
			}
			for _, want := range []string{"upgrade_threat_defense dc1-edge", "dc1-edge-a", why} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if u := e.unit("dc1-edge-b"); !strings.HasPrefix(u.Version, "7.2.5") || u.State != "online" {
				t.Errorf("dc1-edge-b: %+v, want untouched at 7.2.5", u)
			}
			if u := e.unit("dc1-edge-a"); !strings.HasPrefix(u.Version, "7.2.5") {
				t.Errorf("dc1-edge-a runs %s after the failed upgrade, want it rolled back", u.Version)
			}
			if prog.Status != StatusPartial {
				t.Errorf("status %s", prog.Status)
			}
			// No step starts once the failure is seen; a step started before
			// it is followed to its end. Which steps beside the failed one
			// had started depends on timing when several run at once.
			failed := prog.Steps[slices.IndexFunc(prog.Steps, func(s StepResult) bool { return s.Order == td.Order })]
			if failed.State != StepFailed {
				t.Errorf("step %d is %s", failed.Order, failed.State)
			}
			toGo := 1
			for _, s := range prog.Steps {
				switch {
				case s.Order == td.Order:
				case s.Started.IsZero():
					if s.Wave < td.Wave && !concurrent {
						t.Errorf("step %d of wave %d never ran before the failure", s.Order, s.Wave)
					}
					if s.State != StepPending {
						t.Errorf("step %d %s %s did not run but is %s", s.Order, s.Action, s.Target, s.State)
					}
					if s.Action == planner.ActionUpgradeThreatDefense {
						toGo++
					}
				case s.Started.After(failed.Ended):
					t.Errorf("step %d %s %s started at %v, after the failure at %v", s.Order, s.Action, s.Target, s.Started, failed.Ended)
				case s.State != StepDone && s.State != StepSkipped:
					t.Errorf("step %d %s %s started before the failure and is %s, want it ended", s.Order, s.Action, s.Target, s.State)
				}
			}
			if !concurrent {
				for _, s := range prog.Steps {
					if s.Wave >= td.Wave && s.Order > td.Order && !s.Started.IsZero() {
						t.Errorf("step %d ran after the failed step in a one-at-a-time run", s.Order)
					}
				}
			}
			e.assertClean()

			// The fault fired once and is spent; the second run resumes.
			before := e.srv.Stats().UpgradeRequests
			prog2, err := e.run(ctx, plan, withResume(e.opts(), prog))
			if err != nil {
				e.dump(prog2)
				t.Fatal(err)
			}
			if n := e.srv.Stats().UpgradeRequests - before; n != int64(2*toGo) {
				t.Errorf("the second run sent %d upgrade requests, want %d (a readiness check and an upgrade for each of %d units to go)", n, 2*toGo, toGo)
			}
			if prog2.Status != StatusComplete {
				t.Errorf("status %s", prog2.Status)
			}
			e.assertAt("7.4.2")
			e.assertLanded(plan, prog2)
			e.assertClean()
		})
	}
}

func withResume(o ExecOptions, p *Progress) ExecOptions {
	o.Resume = p
	return o
}

// Steps of a wave run together: the demo to 7.4.2 with eight steps at a
// time lands every unit, breaks no rule, requests no upgrade twice, and
// its simulated duration is below the sequential run's.
func TestExecuteDemoConcurrent(t *testing.T) {
	seq := startExecSim(t, demoForExec(t))
	ctx := execCtx(t)
	plan := seq.plan(ctx, "7.4.2")
	if _, err := seq.run(ctx, plan, seq.opts()); err != nil {
		t.Fatal(err)
	}
	sequential := seq.clock.Now().Sub(*demoForExec(t).StartTime)

	e := startConcurrentSim(t, demoForExec(t))
	plan = e.plan(ctx, "7.4.2")
	t0 := e.clock.Now()
	prog, err := e.run(ctx, plan, e.opts())
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	concurrent := e.clock.Now().Sub(t0)
	t.Logf("simulated duration: %v one step at a time, %v eight at a time", sequential.Round(time.Minute), concurrent.Round(time.Minute))
	if prog.Status != StatusComplete {
		t.Errorf("status %s", prog.Status)
	}
	if concurrent >= sequential {
		t.Errorf("concurrent run took %v, sequential %v", concurrent, sequential)
	}
	e.assertAt("7.4.2")
	e.assertLanded(plan, prog)
	e.assertClean()
	if st := e.srv.Stats(); st.UpgradeRequests != 28 {
		t.Errorf("%d upgrade requests, want 28", st.UpgradeRequests)
	}
}

// upgradeTasks counts accepted full upgrade requests (devices and
// multi-instance chassis): each creates one task named Upgrade.
func (e *execSim) upgradeTasks() int {
	n := 0
	for _, t := range e.srv.Estate().Tasks {
		if t.Name == "Upgrade" {
			n++
		}
	}
	return n
}

// A run cancelled mid-job, between steps or while the management center or
// a chassis is working, is finished by a second run that waits for the work
// in flight instead of requesting it again: with or without the first run's
// Progress, the whole job costs exactly the upgrades and FXOS
// installations of an uninterrupted run, and no rule is broken.
func TestExecuteCancelledThenRerun(t *testing.T) {
	type when struct {
		name string
		// stop reports whether a log line (or, for steps, a step's end)
		// is where to cancel.
		stop func(msg string, f map[string]any) bool
	}
	on := func(msg, action, target string) func(string, map[string]any) bool {
		return func(m string, f map[string]any) bool {
			return m == msg && (action == "" || f["action"] == action) && (target == "" || f["target"] == target || f["chassis"] == target)
		}
	}
	cases := []when{
		{"between steps", on("runner: step done", planner.ActionSwitchHARoles, "dc1-edge")},
		{"during a package copy", on("runner: task status", planner.ActionCopyPackage, "")},
		{"during a multi-instance chassis upgrade", on("runner: task status", planner.ActionUpgradeChassis, "dc2-sf3130-mi")},
		{"during an FXOS installation", on("runner: chassis installation", "", "")},
		{"during an HA pair upgrade", on("runner: task status", planner.ActionUpgradeThreatDefense, "dc1-edge")},
		{"during a cluster upgrade", on("runner: task status", planner.ActionUpgradeThreatDefense, "dc1-core")},
	}
	for _, c := range cases {
		for _, resume := range []bool{true, false} {
			name := c.name + "/without progress"
			if resume {
				name = c.name + "/with progress"
			}
			t.Run(name, func(t *testing.T) {
				e := startExecSim(t, demoForExec(t))
				ctx := execCtx(t)
				plan := e.plan(ctx, "7.4.2")
				run1, cancel := context.WithCancel(ctx)
				defer cancel()
				var once sync.Once
				e.onLog = func(msg string, f map[string]any) {
					if c.stop(msg, f) {
						once.Do(cancel)
					}
				}
				prog, err := e.run(run1, plan, e.opts())
				if !errors.Is(err, context.Canceled) {
					e.dump(prog)
					t.Fatalf("first run: %v, want cancelled", err)
				}
				if prog.Status != StatusPartial {
					t.Errorf("status %s after cancel", prog.Status)
				}
				e.onLog = nil
				e.assertClean()

				opts := e.opts()
				if resume {
					opts.Resume = prog
				}
				prog2, err := e.run(ctx, plan, opts)
				if err != nil {
					e.dump(prog2)
					t.Fatal(err)
				}
				if prog2.Status != StatusComplete {
					t.Errorf("status %s", prog2.Status)
				}
				if n := e.upgradeTasks(); n != 12 {
					t.Errorf("%d upgrade tasks over both runs, want 12 (11 threat defense and one chassis upgrade)", n)
				}
				if n := e.srv.Stats().ByRoute["PATCH /fxos/{chassis}/api/sys/firmware/sched-platform-fw"]; n != 6 {
					t.Errorf("%d FXOS installs over both runs, want 6", n)
				}
				e.assertAt("7.4.2")
				e.assertLanded(plan, prog2)
				e.assertClean()
			})
		}
	}
}

// Hours into the job the management center revokes every token, storms
// with 429s, loses answers to requests that changed state (an upgrade, a
// chassis upgrade, a role switch, a control move, a deployment, an FXOS
// install) and fails task polls with 503s. The job still finishes, and
// every lost answer is recovered by looking, never by asking again.
func TestExecuteTokenExpiryRateLimitAndLostAnswers(t *testing.T) {
	e := startExecSim(t, demoForExec(t))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.4.2")
	lost := func(method, path string, skip int) fmcsim.Fault {
		return fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Phase: "after", Method: method, Path: path, Skip: skip, Count: 1}
	}
	for _, f := range []fmcsim.Fault{
		{Kind: fmcsim.FaultRevokeTokens, StartAfter: fmcsim.Duration(time.Hour)},
		{Kind: fmcsim.FaultRevokeTokens, StartAfter: fmcsim.Duration(7 * time.Hour)},
		{Kind: fmcsim.FaultRateLimit, Path: "/api/fmc_", StartAfter: fmcsim.Duration(2 * time.Hour), Duration: fmcsim.Duration(3 * time.Minute)},
		{Kind: fmcsim.FaultRateLimit, Path: "/api/fmc_", StartAfter: fmcsim.Duration(9 * time.Hour), Duration: fmcsim.Duration(5 * time.Minute)},
		{Kind: fmcsim.FaultServerError, Method: "GET", Path: "/api/fmc_config/v1/domain/", Skip: 40, Count: 4},
		// The sixth upgrade request is the multi-instance chassis's; the
		// thirteenth is a readiness check or device upgrade.
		lost("POST", "/api/fmc_platform/v1/updates/upgrades", 5),
		lost("POST", "/api/fmc_platform/v1/updates/upgrades", 12),
		lost("PUT", "/api/fmc_config/v1/domain/", 0),
		lost("POST", "/api/fmc_config/v1/domain/", 1),
		lost("PATCH", "/fxos/", 2),
	} {
		e.addFault(f)
	}
	prog, err := e.run(ctx, plan, e.opts())
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	st := e.srv.Stats()
	t.Logf("%d requests, %d throttled, %d dropped, %d logins, %d refreshes", st.Requests, st.Throttled, st.DroppedConnections, st.Logins, st.TokenRefreshes)
	if st.Throttled == 0 || st.Logins < 3 || st.TokenRefreshes == 0 || st.ByStatus["503"] == 0 {
		t.Errorf("the faults did not all fire: %+v", st)
	}
	for _, f := range e.srv.Faults() {
		if f.Remaining != nil && *f.Remaining > 0 {
			t.Errorf("fault %s %s %s never fired", f.Kind, f.Method, f.Path)
		}
	}
	if n := e.upgradeTasks(); n != 12 {
		t.Errorf("%d upgrade tasks, want 12", n)
	}
	if n := st.ByRoute["PATCH /fxos/{chassis}/api/sys/firmware/sched-platform-fw"]; n != 6 {
		t.Errorf("%d FXOS installs, want 6", n)
	}
	e.assertAt("7.4.2")
	e.assertLanded(plan, prog)
	e.assertClean()
}

// branchScenario is a small estate: a management center on mc, two
// Firepower 1000 branch firewalls, a threat defense virtual and a Secure
// Firewall 3100 HA pair, with the 7.6.1 packages.
func branchScenario(mc string) *fmcsim.Scenario {
	start := time.Date(2025, 6, 14, 22, 0, 0, 0, time.UTC)
	build := map[string]int{"7.4.2": 172, "7.6.1": 291}[mc]
	return &fmcsim.Scenario{
		Name: "branch", StartTime: &start,
		ManagementCenter: fmcsim.ManagementCenter{Version: mc, Build: build, Hostname: "fmc-branch.example.net", Model: "Cisco Secure Firewall Management Center 1700"},
		Devices: []fmcsim.Device{
			{Name: "br-a", Family: "firepower_1000", Model: "Cisco Firepower 1140 Threat Defense", Version: "7.4.1", Build: 172},
			{Name: "br-b", Family: "firepower_1000", Model: "Cisco Firepower 1140 Threat Defense", Version: "7.4.2", Build: 172},
			{Name: "ftdv-1", Family: "threat_defense_virtual", Model: "Cisco Firepower Threat Defense for VMware", Version: "7.2.5", Build: 208},
			{Name: "edge-1", Family: "secure_firewall_3100", Model: "Cisco Secure Firewall 3120 Threat Defense", Version: "7.4.1", Build: 172},
			{Name: "edge-2", Family: "secure_firewall_3100", Model: "Cisco Secure Firewall 3120 Threat Defense", Version: "7.4.1", Build: 172},
		},
		HAPairs: []fmcsim.HAPair{{Name: "edge", Primary: "edge-1", Secondary: "edge-2"}},
		UpgradePackages: []fmcsim.UpgradePackage{
			// The management center lists packages under their .sh names.
			{FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh"},
			{FileName: "Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar"},
			{FileName: "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"},
			{FileName: "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"},
		},
	}
}

// A plan whose management center must be upgraded first stops at that
// step with the manual step, after the management center's readiness check
// (READY-5) and before any device moves. Once the operator has upgraded it,
// the same plan finds the step done and carries on.
func TestExecuteManagementCenterIsManual(t *testing.T) {
	e := startExecSim(t, branchScenario("7.4.2"))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	mcStep := stepByTarget(t, plan, planner.ActionUpgradeManagementCenter, "fmc-branch.example.net")
	prog, err := e.run(ctx, plan, e.opts())
	var se *StepError
	if !errors.Is(err, ErrManualStep) || !errors.As(err, &se) || se.Step.Order != mcStep.Order {
		e.dump(prog)
		t.Fatalf("err = %v, want the manual management center step", err)
	}
	for _, want := range []string{"System > Product Upgrades", "7.4.2", "7.6.1", "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar", "run the job again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	readiness := stepByTarget(t, plan, planner.ActionReadinessCheck, "fmc-branch.example.net")
	if r := prog.Steps[readiness.Order-1]; r.State != StepDone {
		t.Errorf("management center readiness check: %s %s", r.State, r.Detail)
	}
	for _, u := range e.srv.Estate().Units {
		if u.Name == "br-b" && !strings.HasPrefix(u.Version, "7.4.2") || u.Name != "br-b" && !strings.HasPrefix(u.Version, "7.4.1") && !strings.HasPrefix(u.Version, "7.2.5") {
			t.Errorf("%s moved to %s before the management center", u.Name, u.Version)
		}
	}
	e.assertClean()

	// The operator upgraded the management center in its web interface.
	e2 := startExecSim(t, branchScenario("7.6.1"))
	prog2, err := e2.run(ctx, plan, e2.opts())
	if err != nil {
		e2.dump(prog2)
		t.Fatal(err)
	}
	if r := prog2.Steps[mcStep.Order-1]; r.State != StepSkipped {
		t.Errorf("management center step: %s %s", r.State, r.Detail)
	}
	e2.assertAt("7.6.1")
	e2.assertClean()
}

// withPackages adds upgrade packages (FXOS bundles aside: chassis download
// them) to a scenario.
func withPackages(sc *fmcsim.Scenario, files []string) *fmcsim.Scenario {
	for _, f := range files {
		if !strings.HasPrefix(f, "fxos-") {
			sc.UpgradePackages = append(sc.UpgradePackages, fmcsim.UpgradePackage{FileName: f})
		}
	}
	return sc
}

// healthy removes what would rightly stop a job: failing health alerts and
// disconnected devices.
func healthy(sc *fmcsim.Scenario) *fmcsim.Scenario {
	sc.HealthAlerts = nil
	for i := range sc.Devices {
		sc.Devices[i].Connected = nil
	}
	return sc
}

// The planner's invariant "no plan ever breaks a rule", checked by the
// simulator's auditor: plans of small generated estates (Firepower 1000,
// threat defense virtual, 3100 HA pairs, 4100 HA pairs on their chassis,
// inter-chassis 9300 clusters; max_parallel 0, 1 and 2) are executed,
// chassis before devices, every unit landing where the plan says. The same
// estates with a failing upgrade and a failing readiness check on units the
// plan upgrades stop with a step error, and a second run finishes them.
// The audit stays empty and no upgrade is requested twice throughout.
func TestExecuteGeneratedEstatesKeepTheAuditorEmpty(t *testing.T) {
	// The catalog knows the build of 7.4.2 but of no later 7.4 release,
	// and no FXOS 2.16 build for 7.6; 7.2.9 units may not go to 7.4.2
	// (PATH-4), so the generator's 7.2.9 units start on 7.2.5 instead.
	const target = "7.4.2"
	for seed := int64(1); seed <= 8; seed++ {
		n := 6 + 3*int(seed)
		targets := planner.Targets{ThreatDefense: target, MaxParallel: int(seed % 3)}
		for _, faults := range []bool{false, true} {
			name := fmt.Sprintf("seed=%d/n=%d/max_parallel=%d", seed, n, targets.MaxParallel)
			if faults {
				name += "/faults"
			}
			t.Run(name, func(t *testing.T) {
				scenario := func() *fmcsim.Scenario {
					sc := healthy(fmcsim.GenerateEstate(n, seed))
					for i := range sc.Devices {
						if d := &sc.Devices[i]; d.Version == "7.2.9" {
							d.Version, d.Build = "7.2.5", 208
						}
					}
					return sc
				}
				ctx := execCtx(t)
				// The packages the plan needs are put on the management
				// center first.
				probe := startExecSim(t, scenario())
				e := startExecSim(t, withPackages(scenario(), probe.planFor(ctx, targets).Packages))
				plan := e.planFor(ctx, targets)
				var upgraded []string
				for _, s := range plan.Steps {
					if s.Action == planner.ActionUpgradeThreatDefense {
						upgraded = append(upgraded, s.Units...)
					}
				}
				if faults && len(upgraded) > 0 {
					rng := rand.New(rand.NewPCG(uint64(seed), 7))
					e.addFault(fmcsim.Fault{Kind: fmcsim.FaultUpgradeFail, Target: upgraded[rng.IntN(len(upgraded))], Count: 1})
					e.addFault(fmcsim.Fault{Kind: fmcsim.FaultReadinessFail, Target: upgraded[rng.IntN(len(upgraded))], Count: 1})
				}
				prog, err := e.run(ctx, plan, e.opts())
				t.Logf("%d steps in %d waves (%d threat defense units upgraded), %d done; %d upgrade requests; error: %v",
					len(plan.Steps), plan.Waves, len(upgraded), prog.Done(), e.srv.Stats().UpgradeRequests, err)
				if err != nil {
					var se *StepError
					if !faults || !errors.As(err, &se) {
						e.dump(prog)
						t.Fatal(err)
					}
					e.assertClean()
					if prog, err = e.run(ctx, plan, withResume(e.opts(), prog)); err != nil {
						// Two faults may stop two runs.
						if prog, err = e.run(ctx, plan, withResume(e.opts(), prog)); err != nil {
							e.dump(prog)
							t.Fatal(err)
						}
					}
				}
				if prog.Status != StatusComplete {
					t.Errorf("status %s", prog.Status)
				}
				e.assertLanded(plan, prog)
				e.assertClean()
			})
		}
	}
}

// Staging by day, checking, then upgrading by night: each phase runs only
// its steps, and each later phase finds the earlier one's work done.
func TestExecutePhases(t *testing.T) {
	e := startExecSim(t, branchScenario("7.6.1"))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	count := func(p *Progress) map[string]int {
		m := map[string]int{}
		for _, s := range p.Steps {
			m[s.Action+" "+s.State]++
		}
		return m
	}

	opts := e.opts()
	opts.Phase = PhaseStage
	prog, err := e.run(ctx, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := count(prog)
	if prog.Status != StatusPartial || c["copy_package done"] == 0 || c["readiness_check pending"] == 0 || e.upgradeTasks() != 0 {
		t.Errorf("stage: status %s, steps %v, %d upgrades", prog.Status, c, e.upgradeTasks())
	}
	for _, tk := range e.srv.Estate().Tasks {
		if tk.Name != "Package push" {
			t.Errorf("stage ran %s", tk.Name)
		}
	}

	opts.Phase, opts.Resume = PhaseCheck, prog
	prog, err = e.run(ctx, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	c = count(prog)
	// Copies done by the staging run stay done: only that record keeps a
	// later run from copying again.
	if c["copy_package done"] == 0 || c["copy_package pending"] != 0 || c["readiness_check done"] == 0 || c["upgrade_threat_defense pending"] == 0 || e.upgradeTasks() != 0 {
		t.Errorf("check: steps %v, %d upgrades", c, e.upgradeTasks())
	}

	opts.Phase, opts.Resume = PhaseUpgrade, prog
	prog, err = e.run(ctx, plan, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if prog.Status != StatusComplete {
		t.Errorf("upgrade: status %s", prog.Status)
	}
	// br-a, br-b, ftdv-1 and the edge pair, one request each.
	if n := e.upgradeTasks(); n != 4 {
		t.Errorf("%d upgrade tasks, want 4", n)
	}
	e.assertAt("7.6.1")
	e.assertClean()

	if _, err := Execute(ctx, e.env(), plan, ExecOptions{Phase: "tonight"}); err == nil || !strings.Contains(err.Error(), "tonight") {
		t.Errorf("unknown phase: %v", err)
	}
}

// What the executor cannot do is said before anything is sent, or at the
// step, with the fix: a package missing from the management center, an
// FXOS bundle missing with no image server, a plan made for other versions
// or another estate.
func TestExecuteRefusals(t *testing.T) {
	ctx := execCtx(t)

	t.Run("missing package", func(t *testing.T) {
		sc := branchScenario("7.6.1")
		sc.UpgradePackages = sc.UpgradePackages[1:] // no Firepower 1000 package
		e := startExecSim(t, sc)
		plan := e.plan(ctx, "7.6.1")
		_, err := e.run(ctx, plan, e.opts())
		var se *StepError
		if !errors.As(err, &se) || se.Step.Action != planner.ActionCopyPackage ||
			!strings.Contains(err.Error(), "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar is not on the management center") {
			t.Errorf("err = %v", err)
		}
		e.assertClean()
	})

	t.Run("any spelling", func(t *testing.T) {
		// branchScenario lists the Firepower 1000 package as .sh; the plan
		// names the .sh.REL.tar download: found all the same (PKG-1).
		e := startExecSim(t, branchScenario("7.6.1"))
		plan := e.plan(ctx, "7.6.1")
		opts := e.opts()
		opts.Phase = PhaseStage
		if _, err := e.run(ctx, plan, opts); err != nil {
			t.Error(err)
		}
	})

	t.Run("FXOS bundle with no image server", func(t *testing.T) {
		e := startExecSim(t, demoForExec(t))
		plan := e.plan(ctx, "7.4.2")
		opts := e.opts()
		opts.FXOSImages = nil
		_, err := e.run(ctx, plan, opts)
		var se *StepError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "fxos-k9.2.14.1.131.SPA is not on chassis") ||
			!strings.Contains(err.Error(), "System > Updates") {
			t.Errorf("err = %v", err)
		}
		e.assertClean()
	})

	t.Run("failed FXOS download, then a second run", func(t *testing.T) {
		e := startExecSim(t, demoForExec(t))
		plan := e.plan(ctx, "7.4.2")
		e.addFault(fmcsim.Fault{Kind: fmcsim.FaultFXOSDownloadFail, Target: "dc1-fxos-a", Count: 1})
		prog, err := e.run(ctx, plan, e.opts())
		var se *StepError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "fxos-k9.2.14.1.131.SPA") || !strings.Contains(err.Error(), "Remote server unreachable") {
			t.Fatalf("err = %v", err)
		}
		if prog, err = e.run(ctx, plan, withResume(e.opts(), prog)); err != nil {
			e.dump(prog)
			t.Fatal(err)
		}
		e.assertAt("7.4.2")
		e.assertClean()
	})

	t.Run("stale plan", func(t *testing.T) {
		e := startExecSim(t, branchScenario("7.6.1"))
		inv, err := ReadInventory(ctx, e.fmc, e.cat)
		if err != nil {
			t.Fatal(err)
		}
		est, _, err := EstateFromInventory(inv, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range est.Devices {
			if est.Devices[i].Name == "br-a" {
				est.Devices[i].Version = "7.2.5" // it runs 7.4.1
			}
		}
		plan, err := planner.PlanEstate(e.cat, est, planner.Targets{ThreatDefense: "7.6.1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.run(ctx, plan, e.opts())
		var se *StepError
		if !errors.As(err, &se) || se.Unit != "br-a" || !strings.Contains(err.Error(), "it runs 7.4.1, the plan expected 7.2.5; plan again") {
			t.Errorf("err = %v", err)
		}
		e.assertClean()
	})

	t.Run("plan for another estate", func(t *testing.T) {
		e := startExecSim(t, branchScenario("7.6.1"))
		other := startExecSim(t, demoForExec(t))
		plan := other.plan(ctx, "7.4.2")
		before := e.srv.Stats().Requests
		_, err := e.run(ctx, plan, e.opts())
		if err == nil || !strings.Contains(err.Error(), "which the management center does not list") {
			t.Errorf("err = %v", err)
		}
		if n := e.srv.Stats().UpgradeRequests; n != 0 {
			t.Errorf("%d upgrade requests for a foreign plan", n)
		}
		if n := e.srv.Stats().Requests - before; n > 8 {
			t.Errorf("%d requests before refusing", n)
		}
	})
}

// Steps start as soon as what they wait for has ended, but never more
// chassis and threat defense upgrades at once than the plan's max_parallel.
func TestExecuteHonoursMaxParallel(t *testing.T) {
	for _, limit := range []int{1, 2} {
		t.Run(fmt.Sprintf("max_parallel=%d", limit), func(t *testing.T) {
			e := startConcurrentSim(t, demoForExec(t))
			ctx := execCtx(t)
			plan := e.planFor(ctx, planner.Targets{ThreatDefense: "7.4.2", MaxParallel: limit})
			var mu sync.Mutex
			running, peak := 0, 0
			e.onLog = func(msg string, f map[string]any) {
				action, _ := f["action"].(string)
				if action != planner.ActionUpgradeThreatDefense && action != planner.ActionUpgradeChassis {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				switch msg {
				case "runner: step started":
					running++
					peak = max(peak, running)
				case "runner: step done", "runner: step failed":
					running--
				}
			}
			prog, err := e.run(ctx, plan, e.opts())
			if err != nil {
				e.dump(prog)
				t.Fatal(err)
			}
			if peak == 0 || peak > limit {
				t.Errorf("peak of %d upgrades at once, max_parallel %d", peak, limit)
			}
			e.assertAt("7.4.2")
			e.assertClean()
		})
	}
}
