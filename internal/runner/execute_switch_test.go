package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

const routeHAPairPut = "PUT /api/fmc_config/v1/domain/{domainUUID}/devicehapairs/ftddevicehapairs/{objectId}"

// switchRunning reports whether the simulator has a role switch in
// progress.
func (e *execSim) switchRunning() bool {
	for _, t := range e.srv.Estate().Tasks {
		if t.Name == "FTD HA Master Switch" && t.Status == "RUNNING" {
			return true
		}
	}
	return false
}

// A run interrupted right after it asked for a role switch leaves the
// switch running. The rerun, with the saved Progress or without it, finds
// that switch and waits for it rather than asking again: a second SWITCH
// is refused while the first runs, and would undo it once it has ended.
func TestExecuteInterruptedRightAfterRoleSwitch(t *testing.T) {
	for _, resume := range []bool{true, false} {
		name := "without progress"
		if resume {
			name = "with progress"
		}
		t.Run(name, func(t *testing.T) {
			sc := demoForExec(t)
			// Long enough that the rerun reaches the step while the
			// switch still runs.
			sc.Timings.HASwitch = fmcsim.Duration(10 * time.Minute)
			e := startExecSim(t, sc)
			ctx := execCtx(t)
			plan := e.plan(ctx, "7.4.2")
			switches := 0
			for _, s := range plan.Steps {
				if s.Action == planner.ActionSwitchHARoles {
					switches++
				}
			}

			run1, cancel := context.WithCancel(ctx)
			defer cancel()
			var once sync.Once
			var target string
			e.onLog = func(msg string, f map[string]any) {
				switch {
				case msg == "runner: step started" && f["action"] == planner.ActionSwitchHARoles:
					target, _ = f["target"].(string)
				case msg == "fmc: request" && f["method"] == "PUT" && strings.Contains(fmt.Sprint(f["path"]), "/devicehapairs/"):
					once.Do(cancel)
				}
			}
			prog, err := e.run(run1, plan, e.opts())
			if !errors.Is(err, context.Canceled) {
				e.dump(prog)
				t.Fatalf("first run: %v, want cancelled", err)
			}
			e.onLog = nil
			if !e.switchRunning() || target == "" {
				t.Fatalf("no role switch in progress after the first run (switch step %q)", target)
			}
			e.assertClean()

			opts := e.opts()
			if resume {
				opts.Resume = prog
			}
			var inFlight bool
			var checked sync.Once
			e.onLog = func(msg string, f map[string]any) {
				if msg == "runner: step started" && f["action"] == planner.ActionSwitchHARoles && f["target"] == target {
					checked.Do(func() { inFlight = e.switchRunning() })
				}
			}
			prog2, err := e.run(ctx, plan, opts)
			if err != nil {
				e.dump(prog2)
				t.Fatal(err)
			}
			if !inFlight {
				t.Error("the switch had ended before the rerun reached its step: the test proves nothing")
			}
			if prog2.Status != StatusComplete {
				t.Errorf("status %s", prog2.Status)
			}
			if n := e.srv.Stats().ByRoute[routeHAPairPut]; n != int64(switches) {
				t.Errorf("%d role switch requests over both runs, want %d (one per switch step)", n, switches)
			}
			e.assertAt("7.4.2")
			e.assertLanded(plan, prog2)
			e.assertClean()
		})
	}
}
