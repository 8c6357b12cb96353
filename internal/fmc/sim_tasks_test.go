package fmc_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
)

// taskListRoute is the simulator's route of the task list in Stats.ByRoute.
const taskListRoute = "GET /api/fmc_config/v1/domain/{domainUUID}/job/taskstatuses"

func taskIDs(ts []fmc.TaskStatus) []string {
	return names(ts, func(t fmc.TaskStatus) string { return t.ID })
}

// The task list shows what runs on the management center, by type and
// status, one request per list: the demo's deployment to br-fw-04 and a
// readiness check of the management center itself, which no device record
// carries.
func TestSimListTasks(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Stats().ByRoute[taskListRoute]

	deploying, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "Deployment", Status: "Running"})
	if err != nil {
		t.Fatal(err)
	}
	if len(deploying) != 1 {
		t.Fatalf("running deployments %+v", deploying)
	}
	d := deploying[0]
	if d.TaskType != "DEVICE_DEPLOYMENT" || d.State() != fmc.TaskRunning || len(d.SubTasks) != 1 ||
		d.SubTasks[0].Target.ID != e.id("br-fw-04") || d.SubTasks[0].State() != fmc.TaskRunning {
		t.Fatalf("deployment task %+v", d)
	}
	if ts, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "Registration", Status: "Running"}); err != nil || len(ts) != 0 {
		t.Fatalf("running registrations %+v, %v", ts, err)
	}
	if ts, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "Upgrade", Status: "Running"}); err != nil || len(ts) != 0 {
		t.Fatalf("running upgrade tasks before any was started: %+v, %v", ts, err)
	}

	sv, err := c.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	started, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: packageID(t, ctx, c, pkgFMC761),
		Targets: []fmc.Reference{{ID: sv.ID, Type: "ManagementCenter", Name: sv.Hostname}}, ReadinessCheckOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	upgrades, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "Upgrade", Status: "Running"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(taskIDs(upgrades), []string{started.ID}) || len(upgrades[0].SubTasks) != 1 || upgrades[0].SubTasks[0].Target.ID != sv.ID {
		t.Fatalf("running upgrade tasks %+v, want the readiness check %s", upgrades, started.ID)
	}
	// A type alone lists every task of that type, whatever its status.
	if ts, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "Deployment"}); err != nil || !slices.Equal(taskIDs(ts), []string{d.ID}) {
		t.Fatalf("deployments %+v, %v", ts, err)
	}
	if n := e.srv.Stats().ByRoute[taskListRoute] - before; n != 5 {
		t.Errorf("%d task-list requests for five lists", n)
	}

	// Once both have ended, nothing runs.
	waitOK(t, ctx, c, started.ID, time.Hour)
	e.clock.Advance(5 * time.Minute)
	for _, typ := range []string{"Deployment", "Upgrade"} {
		if ts, err := c.ListTasks(ctx, fmc.TaskFilter{Type: typ, Status: "Running"}); err != nil || len(ts) != 0 {
			t.Errorf("running %s tasks after they ended: %+v, %v", typ, ts, err)
		}
	}
	if ts, err := c.ListTasks(ctx, fmc.TaskFilter{Type: "Deployment", Status: "Completed"}); err != nil || !slices.Equal(taskIDs(ts), []string{d.ID}) {
		t.Errorf("completed deployments %+v, %v", ts, err)
	}
	e.assertClean()
}
