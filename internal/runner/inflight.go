package runner

import (
	"context"
	"fmt"
	"slices"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// SetAsideInFlight removes from facts.RunningTasks the tasks that an
// execution of a job over units waits for before it acts, and returns
// them: those named on the device records of the job's units (a package
// copy, readiness check or upgrade, typically left running by an earlier
// apply that was interrupted) and working on no unit outside the job.
//
// READY-3 guards against an upgrade cutting a running task short. Execute
// never does that to these tasks: a step waits until no task runs on its
// units, then looks at the units again. Judging them as blockers would
// refuse the very rerun that finishes an interrupted job, until the
// management center had finished the work on its own. Everything else
// (deployments, registrations, the management center's own tasks, tasks
// reaching other units) stays in facts to be judged.
//
// It reads the device records only when some task is running, in bulk
// (one request per 100 units).
func SetAsideInFlight(ctx context.Context, client *fmc.Client, facts *planner.ReadinessFacts, units []string) ([]planner.ReadinessTask, error) {
	if len(facts.RunningTasks) == 0 || len(units) == 0 {
		return nil, nil
	}
	recs, err := client.DevicesByID(ctx, units...)
	if err != nil {
		return nil, fmt.Errorf("reading device records: %w", err)
	}
	onUnits := map[string]bool{}
	for _, d := range recs {
		if t := deviceTask(d); t != "" {
			onUnits[t] = true
		}
	}
	return setAside(facts, onUnits, units), nil
}

// setAside is SetAsideInFlight's decision, given the ids of the tasks the
// units' records name.
func setAside(facts *planner.ReadinessFacts, onUnits map[string]bool, units []string) []planner.ReadinessTask {
	var kept, aside []planner.ReadinessTask
	for _, t := range facts.RunningTasks {
		inJob := t.ID != "" && onUnits[t.ID] && len(t.Targets) > 0 &&
			!slices.ContainsFunc(t.Targets, func(id string) bool { return !slices.Contains(units, id) })
		if inJob {
			aside = append(aside, t)
		} else {
			kept = append(kept, t)
		}
	}
	facts.RunningTasks = kept
	return aside
}
