package runner

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

const readinessSkipped = "skipped on request (readiness_check = false)"

// tasksNamed counts the simulator's tasks of one kind ("Readiness check",
// "Package push", "Upgrade").
func (e *execSim) tasksNamed(name string) int {
	n := 0
	for _, t := range e.srv.Estate().Tasks {
		if t.Name == name {
			n++
		}
	}
	return n
}

// deployRequests counts the deployment requests the simulator received.
func (e *execSim) deployRequests() int64 {
	var n int64
	for route, c := range e.srv.Stats().ByRoute {
		if strings.HasPrefix(route, "POST ") && strings.HasSuffix(route, "/deployment/deploymentrequests") {
			n += c
		}
	}
	return n
}

// Device readiness checks skipped on request (READY-5 allows it only so):
// no readiness-check-only request is sent, every unit is still upgraded
// (the management center checks readiness within the upgrade), no rule is
// broken and nothing is requested twice; a second run sends nothing.
func TestExecuteSkipDeviceReadiness(t *testing.T) {
	e := startExecSim(t, branchScenario("7.6.1"))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	opts := e.opts()
	opts.SkipDeviceReadiness = true
	prog, err := e.run(ctx, plan, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if prog.Status != StatusComplete || prog.Done() != len(plan.Steps) {
		e.dump(prog)
		t.Errorf("status %s, %d of %d steps done", prog.Status, prog.Done(), len(plan.Steps))
	}
	checks := 0
	for _, r := range prog.Steps {
		switch r.Action {
		case planner.ActionReadinessCheck:
			checks++
			if r.State != StepSkipped || r.Detail != readinessSkipped || r.TaskID != "" {
				t.Errorf("step %d readiness_check %s: %s %q task %q, want skipped on request", r.Order, r.Target, r.State, r.Detail, r.TaskID)
			}
		case planner.ActionUpgradeThreatDefense:
			if r.State != StepDone {
				t.Errorf("step %d upgrade_threat_defense %s: %s %s", r.Order, r.Target, r.State, r.Detail)
			}
		case planner.ActionDeployConfiguration:
			if strings.Contains(r.Detail, "on request") {
				t.Errorf("step %d deploy_configuration %s skipped: %s", r.Order, r.Target, r.Detail)
			}
		}
	}
	if checks != 4 {
		t.Errorf("%d readiness_check steps, want 4", checks)
	}
	e.assertAt("7.6.1")
	e.assertLanded(plan, prog)
	e.assertClean()
	// Three package copies and four upgrades (br-a, br-b, ftdv-1, the edge
	// pair), no readiness-check-only request.
	if n := e.tasksNamed("Readiness check"); n != 0 {
		t.Errorf("%d readiness check tasks, want none", n)
	}
	if n := e.upgradeTasks(); n != 4 {
		t.Errorf("%d upgrade tasks, want 4", n)
	}
	if st := e.srv.Stats(); st.UpgradeRequests != 7 {
		t.Errorf("%d upgrade requests, want 7 (3 copies, 4 upgrades)", st.UpgradeRequests)
	}
	for _, w := range prog.Warnings {
		if strings.Contains(w, "READY-2") {
			t.Errorf("unexpected warning: %s", w)
		}
	}

	before := e.srv.Stats().UpgradeRequests
	prog2, err := e.run(ctx, plan, withResume(opts, prog))
	if err != nil {
		e.dump(prog2)
		t.Fatal(err)
	}
	if n := e.srv.Stats().UpgradeRequests - before; n != 0 {
		t.Errorf("the second run sent %d upgrade requests", n)
	}
	e.assertClean()
}

// The management center's own readiness check is mandatory (READY-5):
// skipping the devices' checks does not skip it, and the job still stops
// at the manual management center upgrade before any device moves.
func TestExecuteSkipDeviceReadinessKeepsManagementCenterCheck(t *testing.T) {
	e := startExecSim(t, branchScenario("7.4.2"))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	opts := e.opts()
	opts.SkipDeviceReadiness = true
	prog, err := e.run(ctx, plan, opts)
	if !errors.Is(err, ErrManualStep) {
		e.dump(prog)
		t.Fatalf("err = %v, want the manual management center step", err)
	}
	mc := stepByTarget(t, plan, planner.ActionReadinessCheck, "fmc-branch.example.net")
	if r := prog.Steps[mc.Order-1]; r.State != StepDone || r.TaskID == "" {
		t.Errorf("management center readiness check: %s %q (task %q), want done", r.State, r.Detail, r.TaskID)
	}
	if n := e.tasksNamed("Readiness check"); n != 1 {
		t.Errorf("%d readiness check tasks, want the management center's one", n)
	}
	if n := e.upgradeTasks(); n != 0 {
		t.Errorf("%d device upgrades before the management center", n)
	}
	e.assertClean()

	// Once the management center runs 7.6.1, the devices' checks are
	// skipped and the devices upgraded.
	e2 := startExecSim(t, branchScenario("7.6.1"))
	prog2, err := e2.run(ctx, plan, opts)
	if err != nil {
		e2.dump(prog2)
		t.Fatal(err)
	}
	for _, r := range prog2.Steps {
		if r.Action == planner.ActionReadinessCheck && r.Target != "fmc-branch.example.net" && r.Detail != readinessSkipped {
			t.Errorf("step %d readiness_check %s: %s %q", r.Order, r.Target, r.State, r.Detail)
		}
	}
	if n := e2.tasksNamed("Readiness check"); n != 0 {
		t.Errorf("%d readiness check tasks, want none", n)
	}
	e2.assertAt("7.6.1")
	e2.assertClean()
}

// multiHopScenario is the branch estate on a 7.4.2 management center with
// one more Firepower 1140 on 6.6.5, which reaches 7.4.2 in two hops
// (through 7.2.8).
func multiHopScenario() *fmcsim.Scenario {
	sc := branchScenario("7.4.2")
	sc.Devices = append(sc.Devices, fmcsim.Device{Name: "old-1", Family: "firepower_1000", Model: "Cisco Firepower 1140 Threat Defense", Version: "6.6.5", Build: 81})
	return sc
}

// Which deployments SkipDeployAfter leaves out: only the one after a
// unit's last upgrade. The one between old-1's two hops is the deployment
// before its second upgrade that READY-2 requires, and the ones before the
// first hop stay too.
func TestSkipDeployAfterKeepsDeploymentsBeforeUpgrades(t *testing.T) {
	e := startExecSim(t, multiHopScenario())
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.4.2")
	if hops := plan.UnitPaths["old-1"]; len(hops) != 3 {
		t.Fatalf("old-1 path %v, want two hops", hops)
	}
	x := newExecutor(e.env(), plan, e.opts().withDefaults())
	var got []string
	deploys := map[string]int{}
	for i, s := range plan.Steps {
		if s.Action != planner.ActionDeployConfiguration {
			continue
		}
		deploys[s.Target]++
		if x.deployAfterLastUpgrade(i) {
			got = append(got, fmt.Sprintf("%s#%d", s.Target, deploys[s.Target]))
		}
	}
	// br-b already runs 7.4.2; old-1 deploys before each hop and after
	// the last.
	want := []string{"br-a#2", "edge#2", "ftdv-1#2", "old-1#3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("deployments skipped on request: %v, want %v", got, want)
	}
	if deploys["old-1"] != 3 {
		t.Errorf("old-1 has %d deployments, want 3", deploys["old-1"])
	}
}

// The deployments after the upgrades are skipped on request and reported;
// those before the upgrades still run (READY-2), so the auditor, which
// judges pending changes at each upgrade request, stays empty. The
// upgraded units are left with their configuration to deploy by hand, and
// the same job run again without the option deploys it.
func TestExecuteSkipDeployAfter(t *testing.T) {
	e := startExecSim(t, branchScenario("7.6.1"))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	opts := e.opts()
	opts.SkipDeployAfter = true
	prog, err := e.run(ctx, plan, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if prog.Status != StatusComplete || prog.Done() != len(plan.Steps) {
		e.dump(prog)
		t.Errorf("status %s, %d of %d steps done", prog.Status, prog.Done(), len(plan.Steps))
	}
	lastUpgrade := map[string]int{}
	for _, s := range plan.Steps {
		if s.Action == planner.ActionUpgradeThreatDefense {
			lastUpgrade[s.Target] = max(lastUpgrade[s.Target], s.Wave)
		}
	}
	var skipped []string
	deployed := 0
	for _, r := range prog.Steps {
		switch r.Action {
		case planner.ActionReadinessCheck:
			if r.State != StepDone {
				t.Errorf("step %d readiness_check %s: %s %q, want done", r.Order, r.Target, r.State, r.Detail)
			}
		case planner.ActionUpgradeThreatDefense:
			if r.State != StepDone {
				t.Errorf("step %d upgrade_threat_defense %s: %s %q", r.Order, r.Target, r.State, r.Detail)
			}
		case planner.ActionDeployConfiguration:
			switch {
			case r.Wave > lastUpgrade[r.Target]:
				if r.State != StepSkipped || !strings.HasPrefix(r.Detail, "skipped on request (deploy_after = false)") ||
					!strings.Contains(r.Detail, "READY-2") || !strings.Contains(r.Detail, "deploy it to "+r.Target+" by hand") {
					t.Errorf("step %d deploy_configuration %s after the upgrade: %s %q", r.Order, r.Target, r.State, r.Detail)
				}
				skipped = append(skipped, r.Target)
			case strings.Contains(r.Detail, "on request"):
				t.Errorf("step %d deploy_configuration %s before the upgrade was skipped: %s", r.Order, r.Target, r.Detail)
			case r.State == StepDone:
				deployed++
			}
		}
	}
	if strings.Join(skipped, " ") != "br-a br-b edge ftdv-1" {
		t.Errorf("deployments skipped on request: %v", skipped)
	}
	if n := e.deployRequests(); n != int64(deployed) {
		t.Errorf("%d deployment requests, %d deployments done before the upgrades", n, deployed)
	}
	for _, name := range skipped {
		found := false
		for _, w := range prog.Warnings {
			if strings.HasPrefix(w, "READY-2: the configuration of "+name+" was not deployed") && strings.Contains(w, "by hand") {
				found = true
			}
		}
		if !found {
			t.Errorf("no READY-2 warning for %s in %q", name, prog.Warnings)
		}
	}
	e.assertAt("7.6.1")
	e.assertLanded(plan, prog)
	// What skipping leaves behind: the upgraded units have changes to
	// deploy. The simulator audits READY-2 when an upgrade is requested
	// with changes pending, not a deployment missing after one, so its
	// audit has nothing to record here.
	for _, u := range e.srv.Estate().Units {
		if u.Kind == "device" && !u.PendingDeployment {
			t.Errorf("%s has no pending deployment although its deployment after the upgrade was skipped", u.Name)
		}
	}
	e.assertClean()
	if n := e.upgradeTasks(); n != 4 {
		t.Errorf("%d upgrade tasks, want 4", n)
	}
	// Three copies, four readiness checks, four upgrades.
	if st := e.srv.Stats(); st.UpgradeRequests != 11 {
		t.Errorf("%d upgrade requests, want 11", st.UpgradeRequests)
	}

	// The same job without the option deploys what was left, and
	// requests no upgrade.
	before, deploysBefore := e.srv.Stats().UpgradeRequests, e.deployRequests()
	prog2, err := e.run(ctx, plan, withResume(e.opts(), prog))
	if err != nil {
		e.dump(prog2)
		t.Fatal(err)
	}
	if n := e.srv.Stats().UpgradeRequests - before; n != 0 {
		t.Errorf("the second run sent %d upgrade requests", n)
	}
	if n := e.deployRequests() - deploysBefore; n != int64(len(skipped)) {
		t.Errorf("the second run sent %d deployment requests, want %d", n, len(skipped))
	}
	for _, u := range e.srv.Estate().Units {
		if u.Kind == "device" && u.PendingDeployment {
			t.Errorf("%s still has changes to deploy", u.Name)
		}
	}
	e.assertClean()
}

// A unit two hops away gets the second hop's package with that upgrade,
// not in the first wave: the management center refuses to copy a package
// the unit cannot install yet. The whole job lands with the auditor empty.
func TestExecuteMultiHop(t *testing.T) {
	ctx := execCtx(t)
	files := startExecSim(t, multiHopScenario()).plan(ctx, "7.4.2").Packages
	e := startExecSim(t, withPackages(multiHopScenario(), files))
	plan := e.plan(ctx, "7.4.2")
	prog, err := e.run(ctx, plan, e.opts())
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if prog.Status != StatusComplete {
		t.Fatalf("status %s", prog.Status)
	}
	if v := e.unit("old-1").Version; !strings.HasPrefix(v, "7.4.2") {
		t.Fatalf("old-1 runs %s, want 7.4.2", v)
	}
	e.assertAt("7.4.2")
	e.assertLanded(plan, prog)
	e.assertClean()
}
