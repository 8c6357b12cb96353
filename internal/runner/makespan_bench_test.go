package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// leastDurations gives every step of plan the least simulated time the
// simulator can take for it, from the scenario's phase timings and the
// estate as it stands before the run: the phases the step sets off, with
// no poll lateness and no wait for a slot. A pair or cluster upgrade counts
// each member, since members upgrade one after another (HA-2, HA-6).
func leastDurations(sc *fmcsim.Scenario, est fmcsim.Estate, plan *planner.EstatePlan) func(planner.Step) time.Duration {
	t := sc.Timings.WithDefaults()
	units := map[string]fmcsim.EstateUnit{}
	for _, u := range est.Units {
		units[u.Name] = u
	}
	clustered := map[string]bool{}
	for _, c := range est.Clusters {
		clustered[c.Name] = true
	}
	firmware := map[string]bool{}
	for _, c := range sc.Chassis {
		firmware[c.Name] = c.FirmwareUpdate
	}
	// Rejoining the cluster ends a member's upgrade.
	rejoin := func(members []string) time.Duration {
		for _, m := range members {
			if clustered[units[m].Container] {
				return t.ClusterRejoin.D()
			}
		}
		return 0
	}
	// Multi-instance chassis go by name, FXOS chassis by serial.
	multiInstance := func(s planner.Step) bool { return units[s.Target].Kind == "chassis" }
	index := map[int]int{}
	for i, s := range plan.Steps {
		index[s.Order] = i
	}
	least := map[int]time.Duration{}
	upgraded := map[string]bool{}
	for _, s := range plan.Steps {
		var d time.Duration
		switch s.Action {
		case planner.ActionCopyPackage:
			d = t.PackageCopy.D()
			if strings.HasPrefix(s.Target, "fxos-k9.") {
				d = t.FXOSDownload.D()
			}
		case planner.ActionReadinessCheck:
			d = t.ReadinessCheck.D()
		case planner.ActionUpgradeThreatDefense:
			for _, m := range s.Units {
				d += t.Install.D() + t.Reboot.D() + rejoin([]string{m})
			}
			if u := units[s.Units[0]]; u.Container != "" && !clustered[u.Container] {
				d += t.Failover.D() // the active member's turn
			}
			upgraded[s.Target] = true
		case planner.ActionUpgradeChassis:
			if multiInstance(s) {
				// The management center's task ends with the reboot.
				d = t.ReadinessCheck.D() + t.Install.D() + t.Reboot.D()
				break
			}
			// The FXOS upgrade is seen done once the chassis's
			// applications are up.
			d = t.FXOSValidate.D() + t.FXOSInstall.D() + t.FXOSReboot.D() + t.AppStart.D()
			to, err := version.ParseFXOS(s.To)
			if firmware[units[s.Units[0]].Chassis] && err == nil &&
				version.CompareFXOS(to, version.FXOS{Major: 2, Minor: 14, Maintenance: 1, HasMaintenance: true}) >= 0 {
				d += 2*t.FXOSValidate.D() + t.FXOSReboot.D()
			}
		case planner.ActionVerify:
			// The check after a chassis upgrade waits for what is still
			// coming back: applications, cluster members rejoining.
			for _, a := range s.After {
				if p := plan.Steps[index[a]]; p.Action == planner.ActionUpgradeChassis {
					w := rejoin(p.Units)
					if multiInstance(p) {
						w += t.AppStart.D()
					}
					d = max(d, w)
				}
			}
		case planner.ActionSwitchHARoles, planner.ActionMoveClusterControl:
			d = t.HASwitch.D()
		case planner.ActionDeployConfiguration:
			// Only a change makes a deployment take time: one pending
			// before the run, or the one an upgrade leaves.
			pending := upgraded[s.Target] || units[s.Target].PendingDeployment
			for _, u := range est.Units {
				pending = pending || (u.Container == s.Target && u.PendingDeployment)
			}
			if pending {
				d = t.Deployment.D()
			}
		case planner.ActionBackup:
			d = t.Backup.D()
		}
		least[s.Order] = d
	}
	return func(s planner.Step) time.Duration { return least[s.Order] }
}

// BenchmarkMakespan runs the demo estate to 7.4.2 on the simulated clock,
// as the device job runs it (default concurrency), and reports the
// simulated makespan against the plan's critical-path lower bound, and the
// requests spent per upgraded unit, for the provider's default
// poll_interval and a slower one: polling less often costs lateness. Compare
// runs with benchstat; the target is a makespan within 5% of the bound
// while no rule is broken.
func BenchmarkMakespan(b *testing.B) {
	for _, poll := range []time.Duration{15 * time.Second, 2 * time.Minute} {
		b.Run("poll="+poll.String(), func(b *testing.B) {
			for b.Loop() {
				sc := demoForExec(b)
				e := startConcurrentSim(b, sc)
				ctx := execCtx(b)
				plan := e.plan(ctx, "7.4.2")
				bound := plan.CriticalPathDuration(leastDurations(sc, e.srv.Estate(), plan))
				before := e.srv.Stats().Requests
				t0 := e.clock.Now()
				opts := e.opts()
				opts.PollInterval = poll
				prog, err := e.run(ctx, plan, opts)
				if err != nil || prog.Status != StatusComplete {
					b.Fatalf("run: %v (%v)", err, prog.Status)
				}
				makespan := e.clock.Now().Sub(t0)
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
		})
	}
}
