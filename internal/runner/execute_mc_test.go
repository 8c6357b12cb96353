package runner

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// A rehearsal of a plan that needs the management center upgraded: the
// job stops at the manual step, the operator's upgrade is played through
// the simulator's control API, and the rerun with the saved Progress
// finds the step done, logs in again (the upgrade ended every session)
// and finishes the job.
func TestExecuteManagementCenterUpgradedThroughControlAPI(t *testing.T) {
	e := startExecSim(t, branchScenario("7.4.2"))
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	mcStep := stepByTarget(t, plan, planner.ActionUpgradeManagementCenter, "fmc-branch.example.net")
	prog, err := e.run(ctx, plan, e.opts())
	if !errors.Is(err, ErrManualStep) {
		e.dump(prog)
		t.Fatalf("err = %v, want the manual management center step", err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL()+"/simulator/v1/management_center/upgrade", strings.NewReader(`{"version":"7.6.1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control API: %d %s", resp.StatusCode, body)
	}

	prog2, err := e.run(ctx, plan, withResume(e.opts(), prog))
	if err != nil {
		e.dump(prog2)
		t.Fatal(err)
	}
	if r := prog2.Steps[mcStep.Order-1]; r.State != StepSkipped {
		t.Errorf("management center step: %s %s", r.State, r.Detail)
	}
	if prog2.Status != StatusComplete {
		t.Errorf("status %s", prog2.Status)
	}
	e.assertAt("7.6.1")
	e.assertLanded(plan, prog2)
	e.assertClean()
}
