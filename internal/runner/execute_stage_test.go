package runner

import (
	"strings"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// The demo's Firepower 4100/9300 chassis still run FXOS 2.12, below the
// companion of 7.4 (ORDER-4), and its multi-instance chassis runs 7.4.1.
// Staging (the stage plan, run as the device job runs it: with no chassis
// manager client) copies every threat defense package to the devices: the
// management center accepts a copy to an instance whose chassis is behind.
// No chassis is touched, nothing but copies is requested and no rule is
// broken.
func TestExecuteStageWhileChassisBehind(t *testing.T) {
	e := startExecSim(t, demoForExec(t))
	ctx := execCtx(t)
	inv, err := ReadInventory(ctx, e.fmc, e.cat)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := ReadChassisVersions(ctx, inv, nil, e.fxos)
	if err != nil {
		t.Fatal(err)
	}
	est, _, err := EstateFromInventory(inv, fx)
	if err != nil {
		t.Fatal(err)
	}
	full, err := planner.PlanEstate(e.cat, est, planner.Targets{ThreatDefense: "7.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	behind := map[string]string{}
	for _, s := range full.Steps {
		if s.Action == planner.ActionUpgradeChassis {
			behind[s.Target] = s.From
			for _, u := range s.Units {
				behind[u] = "instance"
			}
		}
	}
	if len(behind) == 0 {
		t.Fatal("no chassis of the demo is behind")
	}
	tasksBefore := len(e.srv.Estate().Tasks)
	chassisBefore := map[string]string{}
	for _, u := range e.srv.Estate().Units {
		if u.Kind == "chassis" {
			chassisBefore[u.Name] = u.Version
		}
	}

	stage := planner.StagePlan(est, full)
	env := e.env()
	env.FXOS = nil
	opts := e.opts()
	opts.Phase = PhaseStage
	prog, err := Execute(ctx, env, stage, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if prog.Status != StatusComplete {
		e.dump(prog)
		t.Errorf("status %s", prog.Status)
	}
	staged := 0
	for _, u := range e.srv.Estate().Units {
		switch {
		case u.Kind == "chassis":
			if u.Version != chassisBefore[u.Name] || len(u.StagedPackages) != 0 {
				t.Errorf("chassis %s: %s (was %s), staged %v", u.Name, u.Version, chassisBefore[u.Name], u.StagedPackages)
			}
		case strings.HasPrefix(u.Version, "7.4.2"):
		case len(u.StagedPackages) != 1:
			t.Errorf("%s (%s) has packages %v staged, want its 7.4.2 package", u.Name, u.Version, u.StagedPackages)
		case behind[u.Name] == "instance":
			staged++
		}
	}
	if staged == 0 {
		t.Error("no instance on a chassis that is behind got its package")
	}
	for _, tk := range e.srv.Estate().Tasks[tasksBefore:] {
		if tk.Name != "Package push" || tk.Status != "COMPLETED" {
			t.Errorf("task %s %s: %s", tk.Name, tk.Status, tk.Message)
		}
	}
	e.assertClean()
}
