package runner

import (
	"fmt"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// Only work that the job's own steps would wait for is set aside: tasks
// the units' records name and that reach no other unit. Deployments (not
// on records), the management center's own tasks (no targets) and tasks
// also working on units outside the job stay to be judged.
func TestSetAside(t *testing.T) {
	facts := planner.ReadinessFacts{RunningTasks: []planner.ReadinessTask{
		{ID: "up-1", Name: "Upgrade", Targets: []string{"a", "b"}},
		{ID: "copy-2", Name: "Package push", Targets: []string{"a", "z"}},
		{ID: "dep-3", Name: "Deployment", Targets: []string{"c"}},
		{ID: "mc-4", Name: "Readiness check"},
		{Name: "Deployment to c", Status: "deploying", Targets: []string{"c"}},
	}}
	onRecords := map[string]bool{"up-1": true, "copy-2": true, "mc-4": true}
	aside := setAside(&facts, onRecords, []string{"a", "b", "c"})
	if got := fmt.Sprint(taskIDs(aside)); got != "[up-1]" {
		t.Errorf("set aside %s, want [up-1]", got)
	}
	if got := fmt.Sprint(taskIDs(facts.RunningTasks)); got != "[copy-2 dep-3 mc-4 ]" {
		t.Errorf("kept %s, want [copy-2 dep-3 mc-4 ]", got)
	}
}

func taskIDs(ts []planner.ReadinessTask) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
