package runner

import (
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// A chassis whose cluster upgrade follows outranks a standalone device's
// readiness check and a deployment, whatever their plan order.
func TestWorkAheadRanksTheLongestChainFirst(t *testing.T) {
	steps := []planner.Step{
		{Order: 1, Action: planner.ActionReadinessCheck, Target: "br-fw-01"},
		{Order: 2, Action: planner.ActionDeployConfiguration, Target: "br-fw-02"},
		{Order: 3, Action: planner.ActionUpgradeChassis, Target: "chassis-a", Units: []string{"core-1", "core-2"}},
		{Order: 4, Action: planner.ActionUpgradeThreatDefense, Target: "br-fw-01", Units: []string{"br-fw-01"}, After: []int{1}},
		{Order: 5, Action: planner.ActionVerify, Target: "chassis-a", After: []int{3}},
		{Order: 6, Action: planner.ActionUpgradeThreatDefense, Target: "core", Units: []string{"core-1", "core-2", "core-3"}, After: []int{5}},
		{Order: 7, Action: planner.ActionReadinessCheck, Target: "br-fw-02", After: []int{2}},
	}
	dependents := make([][]int, len(steps))
	for i, s := range steps {
		for _, a := range s.After {
			dependents[a-1] = append(dependents[a-1], i)
		}
	}
	r := workAhead(steps, dependents)
	// chassis-a: 1 + 3 members ahead; br-fw-01: 1; br-fw-02: none.
	if !(r[2] > r[0] && r[0] > r[1]) {
		t.Errorf("ranks %v: want chassis-a (3) > readiness br-fw-01 (1) > deploy br-fw-02 (2)", r)
	}
	// With no upgrade ahead, the longer chain goes first.
	if !(r[1] > r[6]) {
		t.Errorf("ranks %v: want deploy br-fw-02 (2) > its readiness check (7)", r)
	}
}

// The benchmark's bound is only worth comparing against if it is one: in a
// run of the demo, no step ends before the least time its chain of
// dependencies allows.
func TestMakespanBoundHoldsForEveryStep(t *testing.T) {
	sc := demoForExec(t)
	e := startConcurrentSim(t, sc)
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.4.2")
	least := leastDurations(sc, e.srv.Estate(), plan)
	t0 := e.clock.Now()
	prog, err := e.run(ctx, plan, e.opts())
	if err != nil || prog.Status != StatusComplete {
		e.dump(prog)
		t.Fatalf("run: %v (%v)", err, prog.Status)
	}
	e.assertClean()
	earliest := plan.EarliestFinish(least)
	ran := 0
	for i, s := range plan.Steps {
		r := prog.Steps[i]
		if r.Ended.IsZero() {
			continue
		}
		ran++
		if end := r.Ended.Sub(t0); end < earliest[s.Order] {
			t.Errorf("step %d %s %s ended after %v, before its bound %v", s.Order, s.Action, s.Target, end, earliest[s.Order])
		}
		if r.Started.After(r.Ended) {
			t.Errorf("step %d started %v after it ended %v", s.Order, r.Started, r.Ended)
		}
	}
	if ran != len(plan.Steps) {
		t.Errorf("%d of %d steps carry their times", ran, len(plan.Steps))
	}
	if got, want := e.clock.Now().Sub(t0), plan.CriticalPathDuration(least); got < want {
		t.Errorf("makespan %v is below the bound %v", got, want)
	}
}
