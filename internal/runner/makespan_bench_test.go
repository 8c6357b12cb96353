package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// stepFloor is the least simulated time a step can take on the simulator's
// default timings. It is a lower bound, not an estimate: a pair or cluster
// upgrade is counted as one unit's install and reboot although its members
// go one after another, so the bound is loosest on estates of pairs and
// clusters.
func stepFloor(s planner.Step) time.Duration {
	t := fmcsim.DefaultTimings
	switch s.Action {
	case planner.ActionCopyPackage:
		if strings.HasPrefix(s.Target, "fxos-k9.") {
			return t.FXOSDownload.D()
		}
		return t.PackageCopy.D()
	case planner.ActionReadinessCheck:
		return t.ReadinessCheck.D()
	case planner.ActionUpgradeThreatDefense:
		return t.Install.D() + t.Reboot.D()
	case planner.ActionUpgradeChassis:
		return min(t.FXOSInstall.D()+t.FXOSReboot.D(), t.Install.D()+t.Reboot.D())
	case planner.ActionSwitchHARoles, planner.ActionMoveClusterControl:
		return t.HASwitch.D()
	case planner.ActionDeployConfiguration:
		return t.Deployment.D()
	case planner.ActionBackup:
		return t.Backup.D()
	}
	return 0
}

// criticalPath is the longest chain of step floors along the plan's
// dependencies: no executor can finish the plan sooner.
func criticalPath(plan *planner.EstatePlan) time.Duration {
	finish := make(map[int]time.Duration, len(plan.Steps))
	var longest time.Duration
	for _, s := range plan.Steps { // steps are in dependency order
		var start time.Duration
		for _, a := range s.After {
			start = max(start, finish[a])
		}
		finish[s.Order] = start + stepFloor(s)
		longest = max(longest, finish[s.Order])
	}
	return longest
}

// BenchmarkMakespan runs the demo estate to 7.4.2 with several steps at
// once on the simulated clock and reports the simulated makespan against
// the critical-path lower bound, and the requests spent per upgraded unit.
// Compare runs with benchstat; the target is a makespan within 5%
// of the bound while no rule is broken.
func BenchmarkMakespan(b *testing.B) {
	for b.Loop() {
		e := startConcurrentSim(b, demoForExec(b))
		ctx := execCtx(b)
		plan := e.plan(ctx, "7.4.2")
		before := e.srv.Stats().Requests
		t0 := e.clock.Now()
		prog, err := e.run(ctx, plan, e.opts())
		if err != nil || prog.Status != StatusComplete {
			b.Fatalf("run: %v (%v)", err, prog.Status)
		}
		makespan := e.clock.Now().Sub(t0)
		bound := criticalPath(plan)
		if a := e.srv.Audit(); len(a) != 0 {
			b.Fatalf("rule breaches: %+v", a)
		}
		units := 0
		for _, u := range e.srv.Estate().Units {
			if u.Kind == "device" || u.Kind == "chassis" {
				units++
			}
		}
		b.ReportMetric(makespan.Hours(), "makespan-h")
		b.ReportMetric(bound.Hours(), "bound-h")
		b.ReportMetric(makespan.Seconds()/bound.Seconds(), "makespan/bound")
		b.ReportMetric(float64(e.srv.Stats().Requests-before)/float64(units), "requests/unit")
	}
}
