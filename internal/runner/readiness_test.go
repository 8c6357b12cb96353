package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// readinessRequestBudget is the most a readiness read may cost on the demo
// estate: the login, five inventory reads, alerts, deployable devices, six
// task-list reads (runningTaskQueries), the package list and one
// applicability read per platform family: 19, and one to spare.
const readinessRequestBudget = 20

func readReadiness(t *testing.T, srv *fmcsim.Server, c *fmc.Client, req planner.ReadinessRequest) (*planner.ReadinessResult, int64) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().Requests
	facts, err := ReadReadinessFacts(context.Background(), c, cat, req)
	if err != nil {
		t.Fatal(err)
	}
	used := srv.Stats().Requests - before
	res, err := planner.Readiness(cat, facts, req)
	if err != nil {
		t.Fatal(err)
	}
	return res, used
}

type row struct{ id, target, status string }

func rowsWith(res *planner.ReadinessResult, status string) []row {
	var out []row
	for _, c := range res.Checks {
		if c.Status == status {
			out = append(out, row{c.ID, c.Target, c.Status})
		}
	}
	return out
}

func wantRows(t *testing.T, res *planner.ReadinessResult, status string, want []row) {
	t.Helper()
	got := rowsWith(res, status)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s row %s on %s", status, w.id, w.target)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected %s row %s on %s", status, g.id, g.target)
		}
	}
}

// taskListRoute is the task list in the simulator's Stats.ByRoute.
const taskListRoute = "GET /api/fmc_config/v1/domain/{domainUUID}/job/taskstatuses"

func TestReadReadinessFactsDemo(t *testing.T) {
	sc, ok := fmcsim.Builtin("demo")
	if !ok {
		t.Fatal("no demo scenario")
	}
	clock := fmcsim.NewManualClock(*sc.StartTime)
	srv, c := simClient(t, fmcsim.Options{Scenario: sc, Clock: clock})
	res, used := readReadiness(t, srv, c, planner.ReadinessRequest{TargetVersion: "7.4.2"})
	if used > readinessRequestBudget {
		t.Errorf("%d requests, want at most %d: %v", used, readinessRequestBudget, srv.Stats().ByRoute)
	}
	if n := srv.Stats().ByRoute["GET /api/fmc_platform/v1/updates/upgradepackages/{containerUUID}/applicabledevices"]; n != 4 {
		t.Errorf("%d applicability reads, want one per package needed (4)", n)
	}
	if n := srv.Stats().ByRoute[taskListRoute]; n != int64(len(runningTaskQueries)) {
		t.Errorf("%d task-list reads, want %d", n, len(runningTaskQueries))
	}
	// The demo's seeded findings, the multi-instance chassis that must go
	// to 7.4.2 before its instances, and the deployment to br-fw-04 the
	// demo starts with (four minutes long), which only the task list shows:
	// it blocks br-fw-04 and the management center.
	const fmcName = "fmc01.corp.example.com"
	wantRows(t, res, planner.StatusFail, []row{
		{planner.CheckRunningTasks, fmcName, "fail"},
		{planner.CheckPendingDeployment, "br-fw-02", "fail"},
		{planner.CheckHealthTimeSync, "br-fw-03", "fail"},
		{planner.CheckRunningTasks, "br-fw-04", "fail"},
		{planner.CheckHealthDiskUsage, "cloud-ftdv-az-01", "fail"},
		{planner.CheckChassisVersion, "dc2-mi-fw1", "fail"},
		{planner.CheckChassisVersion, "dc2-mi-fw2", "fail"},
	})
	if res.Ready || len(res.Blocking) != 7 {
		t.Fatalf("ready %v, blocking %q", res.Ready, res.Blocking)
	}
	for _, b := range res.Blocking {
		if strings.HasPrefix(b, "running_tasks on ") && !strings.Contains(b, "Deployment (RUNNING)") {
			t.Errorf("running task line: %q", b)
		}
	}
	for _, w := range rowsWith(res, planner.StatusWarn) {
		switch w.id {
		case planner.CheckBackup, planner.CheckFXOSCompanion:
		default:
			t.Errorf("unexpected warn row %s on %s", w.id, w.target)
		}
	}
	for _, ch := range res.Checks {
		if ch.ID == planner.CheckPackage && ch.Status != planner.StatusPass {
			t.Errorf("package on %s: %s %s", ch.Target, ch.Status, ch.Observed)
		}
		if ch.ID == planner.CheckHASync && ch.Status != planner.StatusPass {
			t.Errorf("ha_sync on %s: %s %s", ch.Target, ch.Status, ch.Observed)
		}
	}
	if a := srv.Audit(); len(a) != 0 {
		t.Errorf("audit: %+v", a)
	}

	// Once the deployment has ended, selecting the data-centre HA pairs and
	// cluster by name leaves the branch findings out: ready, with warnings
	// only, and the management center's task list read whole and empty.
	clock.Advance(5 * time.Minute)
	res, _ = readReadiness(t, srv, c, planner.ReadinessRequest{TargetVersion: "7.4.2", DeviceIDs: []string{"dc1-edge", "dc2-edge", "dc1-core"}})
	if !res.Ready {
		t.Fatalf("data centre not ready: %q", res.Blocking)
	}
	for _, ch := range res.Checks {
		if ch.ID == planner.CheckRunningTasks && ch.Status != planner.StatusPass {
			t.Errorf("running_tasks on %s: %s %s", ch.Target, ch.Status, ch.Observed)
		}
	}
}

// faultyScenario is the demo with a split-brain HA pair, a disconnected
// branch firewall, a disk-usage alert on the management center and another
// pending deployment; phases last long enough that what the test starts is
// still running when readiness is read.
func faultyScenario(t *testing.T) *fmcsim.Scenario {
	t.Helper()
	sc, ok := fmcsim.Builtin("demo")
	if !ok {
		t.Fatal("no demo scenario")
	}
	sc.Faults = append(sc.Faults,
		fmcsim.Fault{Kind: fmcsim.FaultSplitBrain, Target: "dc1-edge", Duration: fmcsim.Duration(4 * time.Hour)},
		fmcsim.Fault{Kind: fmcsim.FaultDisconnect, Target: "br-fw-01", Duration: fmcsim.Duration(4 * time.Hour)},
	)
	sc.HealthAlerts = append(sc.HealthAlerts, fmcsim.HealthAlert{Device: "0", Module: "DISK_USAGE", Status: "YELLOW", Details: "/Volume is 91% full.", Age: fmcsim.Duration(30 * time.Minute)})
	sc.PendingDeployments = append(sc.PendingDeployments, "dc2-mi-fw2")
	sc.Timings.Deployment = fmcsim.Duration(2 * time.Hour)
	sc.Timings.PackageCopy = fmcsim.Duration(2 * time.Hour)
	return sc
}

// startRunningTasks starts a deployment to dc2-mi-fw2 and a package copy to
// br-fw-03, the way an operator's work would be in flight.
func startRunningTasks(t *testing.T, c *fmc.Client) {
	t.Helper()
	ctx := context.Background()
	devs, err := c.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for _, d := range devs {
		id[d.Name] = d.ID
	}
	dds, err := c.ListDeployableDevices(ctx)
	if err != nil || len(dds) == 0 {
		t.Fatalf("deployable devices: %v %v", dds, err)
	}
	if _, err := c.Deploy(ctx, fmc.DeploymentRequest{Version: string(dds[0].Version), DeviceIDs: []string{id["dc2-mi-fw2"]}, IgnoreWarning: true}); err != nil {
		t.Fatal(err)
	}
	pkg, found, err := c.FindUpgradePackage(ctx, "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar")
	if err != nil || !found {
		t.Fatalf("package: %v %v", found, err)
	}
	if _, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg.ID, Targets: []fmc.Reference{fmc.DeviceTarget(id["br-fw-03"], "br-fw-03")}, PushUpgradeFileOnly: true}); err != nil {
		t.Fatal(err)
	}
}

func TestReadReadinessFactsFaulty(t *testing.T) {
	sc := faultyScenario(t)
	srv, c := simClient(t, fmcsim.Options{Scenario: sc, Clock: fmcsim.NewManualClock(*sc.StartTime)})
	startRunningTasks(t, c)
	res, used := readReadiness(t, srv, c, planner.ReadinessRequest{TargetVersion: "7.4.2"})
	if used > readinessRequestBudget {
		t.Errorf("%d requests, want at most %d: %v", used, readinessRequestBudget, srv.Stats().ByRoute)
	}
	const fmcName = "fmc01.corp.example.com"
	wantRows(t, res, planner.StatusFail, []row{
		{planner.CheckHealthDiskUsage, fmcName, "fail"},
		{planner.CheckRunningTasks, fmcName, "fail"},
		{planner.CheckConnected, "br-fw-01", "fail"},
		{planner.CheckPendingDeployment, "br-fw-02", "fail"},
		{planner.CheckHealthTimeSync, "br-fw-03", "fail"},
		{planner.CheckRunningTasks, "br-fw-03", "fail"},
		{planner.CheckRunningTasks, "br-fw-04", "fail"},
		{planner.CheckHealthDiskUsage, "cloud-ftdv-az-01", "fail"},
		{planner.CheckHealthHACluster, "dc1-edge-a", "fail"},
		{planner.CheckHealthHACluster, "dc1-edge-b", "fail"},
		{planner.CheckChassisVersion, "dc2-mi-fw1", "fail"},
		{planner.CheckChassisVersion, "dc2-mi-fw2", "fail"},
		{planner.CheckPendingDeployment, "dc2-mi-fw2", "fail"},
		{planner.CheckRunningTasks, "dc2-mi-fw2", "fail"},
		{planner.CheckHASync, "dc1-edge", "fail"},
	})
	for _, b := range res.Blocking {
		if strings.HasPrefix(b, "ha_sync on dc1-edge:") && (!strings.Contains(b, "split-brain") || !strings.Contains(b, "HA-1")) {
			t.Errorf("split-brain line: %q", b)
		}
		// The deployment to dc2-mi-fw2, the copy to br-fw-03 and the
		// demo's deployment to br-fw-04, each once.
		if strings.HasPrefix(b, "running_tasks on "+fmcName+":") && !strings.Contains(b, "3 tasks running") {
			t.Errorf("management center running tasks: %q", b)
		}
	}
	if a := srv.Audit(); len(a) != 0 {
		t.Errorf("audit: %+v", a)
	}
}

// A bad request costs no request at all.
func TestReadReadinessFactsRefusesBeforeReading(t *testing.T) {
	srv, c := simClient(t, fmcsim.Options{})
	cat, _ := catalog.Default()
	_, err := ReadReadinessFacts(context.Background(), c, cat, planner.ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"backup"}})
	if err == nil || !strings.Contains(err.Error(), "READY-5") {
		t.Fatalf("want a READY-5 refusal, got %v", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Fatalf("%d requests for a refused request", n)
	}
}

// The cost grows with ⌈N/1000⌉ per paged collection, not with N.
func TestReadReadinessFactsLargeEstate(t *testing.T) {
	if testing.Short() {
		t.Skip("large estate")
	}
	const n = 2500
	srv, c := simClient(t, fmcsim.Options{Scenario: fmcsim.GenerateEstate(n, 1), RequestsPerMinute: 100000})
	res, used := readReadiness(t, srv, c, planner.ReadinessRequest{TargetVersion: "7.6.1"})
	pages := int64((n + 999) / 1000)
	// Devices, HA pairs, clusters and alerts page; the rest is constant
	// (six of it task-list reads).
	if limit := 4*pages + 18; used > limit {
		t.Errorf("%d requests for %d devices, want at most %d: %v", used, n, limit, srv.Stats().ByRoute)
	}
	if len(res.Checks) < n {
		t.Errorf("%d rows for %d devices", len(res.Checks), n)
	}
	t.Logf("%d devices: %d requests, %d rows", n, used, len(res.Checks))
}

func TestHAPairAndClusterStates(t *testing.T) {
	states := map[string]string{"a": "Active", "b": "Standby", "c": "Active"}
	cases := []struct {
		pair        HAPair
		state, want string
	}{
		{HAPair{PrimaryID: "a", SecondaryID: "b", ConfigStatus: "IN_SYNC"}, planner.GroupInSync, "configStatus IN_SYNC"},
		{HAPair{PrimaryID: "a", SecondaryID: "b", ConfigStatus: "OUT_OF_SYNC"}, planner.GroupOutOfSync, ""},
		{HAPair{PrimaryID: "a", SecondaryID: "b", ConfigStatus: "SPLIT_BRAIN"}, planner.GroupSplitBrain, ""},
		{HAPair{PrimaryID: "a", SecondaryID: "c", ConfigStatus: "IN_SYNC"}, planner.GroupSplitBrain, "both units report Active"},
		{HAPair{PrimaryID: "a", SecondaryID: "b"}, planner.GroupUnknown, ""},
		{HAPair{PrimaryID: "a", SecondaryID: "b", ConfigStatus: "Something new"}, planner.GroupUnknown, "Something new"},
	}
	for i, tc := range cases {
		if s, d := haPairState(tc.pair, states); s != tc.state || !strings.Contains(d, tc.want) {
			t.Errorf("case %d: %q %q, want %q", i, s, d, tc.state)
		}
	}
	inv := &Inventory{Devices: []Device{{ID: "x", Name: "unit-x"}, {ID: "y", Name: "unit-y"}}}
	for _, tc := range []struct {
		states map[string]string
		state  string
		detail string
	}{
		{map[string]string{"x": "In Cluster", "y": "in  cluster"}, planner.GroupInSync, "2 units"},
		{map[string]string{"x": "In Cluster", "y": "Not In Cluster"}, planner.GroupOutOfSync, "unit-y Not In Cluster"},
		{map[string]string{"x": "In Cluster"}, planner.GroupUnknown, "unit-y"},
	} {
		if s, d := clusterState([]string{"x", "y"}, tc.states, inv); s != tc.state || !strings.Contains(d, tc.detail) {
			t.Errorf("%v: %q %q, want %q %q", tc.states, s, d, tc.state, tc.detail)
		}
	}
}

// BenchmarkReadReadinessFacts reports the requests a readiness read costs.
func BenchmarkReadReadinessFacts(b *testing.B) {
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			srv, c := simClient(b, fmcsim.Options{Scenario: fmcsim.GenerateEstate(n, 1), RequestsPerMinute: 100000})
			if err := c.Login(context.Background()); err != nil {
				b.Fatal(err)
			}
			req := planner.ReadinessRequest{TargetVersion: "7.6.1"}
			before := srv.Stats().Requests
			for b.Loop() {
				if _, err := ReadReadinessFacts(context.Background(), c, cat, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(srv.Stats().Requests-before)/float64(b.N), "requests/op")
		})
	}
}

// taskListFake is a management center that answers the login and, for the
// task list, whatever answer gives for the filter.
func taskListFake(t *testing.T, answer func(filter string) (int, []map[string]any)) (*fmc.Client, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var filters []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/fmc_platform/v1/auth/generatetoken":
			w.Header().Set("X-auth-access-token", "access")
			w.Header().Set("X-auth-refresh-token", "refresh")
			w.Header().Set("DOMAIN_UUID", fmc.GlobalDomainUUID)
			w.Header().Set("DOMAINS", `[{"name":"Global","uuid":"`+fmc.GlobalDomainUUID+`"}]`)
			w.WriteHeader(http.StatusNoContent)
		case "/api/fmc_config/v1/domain/" + fmc.GlobalDomainUUID + "/job/taskstatuses":
			f := r.URL.Query().Get("filter")
			mu.Lock()
			filters = append(filters, f)
			mu.Unlock()
			code, items := answer(f)
			w.WriteHeader(code)
			if code != http.StatusOK {
				_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"category": "FRAMEWORK", "severity": "ERROR",
					"messages": []map[string]any{{"description": "refused " + f}}}})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"items": items, "paging": map[string]any{"offset": 0, "limit": 1000, "count": len(items), "pages": 1}})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := fmc.New(fmc.Config{URL: srv.URL, Username: "u", Password: "p",
		Retry: fmc.RetryPolicy{MaxAttempts: 2},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, &filters
}

func TestReadRunningTasks(t *testing.T) {
	ctx := context.Background()
	running := map[string]any{"id": 11, "name": "Deployment", "taskType": "DEVICE_DEPLOYMENT", "status": "Deploying"}
	ok := func(items ...map[string]any) func(string) (int, []map[string]any) {
		return func(f string) (int, []map[string]any) {
			if strings.HasPrefix(f, "type:Deployment;") {
				return http.StatusOK, items
			}
			return http.StatusOK, nil
		}
	}
	refuse := func(code int, prefix string) func(string) (int, []map[string]any) {
		return func(f string) (int, []map[string]any) {
			if strings.HasPrefix(f, prefix) {
				return code, nil
			}
			return http.StatusOK, nil
		}
	}
	all := []string{"type:Deployment;status:Deploying", "type:Registration;status:Running", "type:Unregistration;status:Running",
		"type:PendingChangesRequest;status:Running", "type:Upgrade;status:Running", "type:Deployment;status:Running"}
	for _, tc := range []struct {
		name     string
		version  string
		answer   func(string) (int, []map[string]any)
		tasks    int
		complete bool
		asked    []string
	}{
		// One read per filter; a task two filters return counts once, an
		// ended one not at all.
		{"whole", "7.4.2", ok(running, running, map[string]any{"id": "12", "status": "Deployed"}), 1, true, all},
		// PendingChangesRequest is documented from 7.4.
		{"7.3", "7.3.0", ok(), 0, true, slices.Delete(slices.Clone(all), 3, 4)},
		// The undocumented filters may be refused.
		{"upgrade refused", "7.4.2", refuse(http.StatusBadRequest, "type:Upgrade"), 0, true, all},
		// A documented one may not: the list is not whole.
		{"registration refused", "7.4.2", refuse(http.StatusBadRequest, "type:Registration"), 0, false, all},
		{"forbidden", "7.4.2", refuse(http.StatusForbidden, "type:"), 0, false, all},
		// No task list at all (before 7.3): one request tells.
		{"no list", "7.2.5", refuse(http.StatusNotFound, "type:"), 0, false, all[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, asked := taskListFake(t, tc.answer)
			tasks, complete, err := readRunningTasks(ctx, c, tc.version)
			if err != nil || len(tasks) != tc.tasks || complete != tc.complete {
				t.Fatalf("readRunningTasks = %+v, %v, %v; want %d tasks, complete %v", tasks, complete, err, tc.tasks, tc.complete)
			}
			if !slices.Equal(*asked, tc.asked) {
				t.Fatalf("filters asked %q, want %q", *asked, tc.asked)
			}
		})
	}

	// A server error (after the client's retries) fails the read, as for
	// every other collection.
	c, _ := taskListFake(t, refuse(http.StatusInternalServerError, "type:Registration"))
	if _, _, err := readRunningTasks(ctx, c, "7.4.2"); err == nil || !strings.Contains(err.Error(), "type:Registration;status:Running") {
		t.Fatalf("server error: %v", err)
	}
}

// The task list adds tasks no device record carries, merges those that one
// does, keeps only the targets still running, stands containers and chassis
// for their units, and does not count a deployment twice.
func TestReadinessFactsRunningTasks(t *testing.T) {
	inv := &Inventory{
		ManagementCenter: ManagementCenter{Version: "7.4.2", Hostname: "fmc"},
		Devices: []Device{
			{ID: "a", Name: "pair-a"}, {ID: "b", Name: "pair-b"},
			{ID: "c1", Name: "mi-1", ChassisID: "ch"}, {ID: "c2", Name: "mi-2", ChassisID: "ch"},
			{ID: "d", Name: "branch"}, {ID: "e", Name: "edge"},
		},
		HAPairs: []HAPair{{ID: "p", Name: "pair", PrimaryID: "a", SecondaryID: "b"}},
		Chassis: []Chassis{{ID: "ch", Name: "chassis", Kind: catalog.ChassisMultiInstance, DeviceIDs: []string{"c1", "c2"}}},
	}
	var records []fmc.Device
	for _, d := range inv.Devices {
		rec := fmc.Device{ID: d.ID, Name: d.Name}
		if d.ID == "e" {
			rec.Metadata.Task = &fmc.Reference{ID: "7", Name: "Upgrade"}
		}
		records = append(records, rec)
	}
	sub := func(id, status string) fmc.SubTask {
		return fmc.SubTask{Status: status, Target: fmc.Reference{ID: id}}
	}
	tasks := []fmc.TaskStatus{
		{ID: "7", Name: "Upgrade", Status: "RUNNING", SubTasks: []fmc.SubTask{sub("e", "RUNNING")}},
		{ID: "8", Name: "Deployment", Status: "Deploying", SubTasks: []fmc.SubTask{sub("p", "Deploying"), sub("d", "Deployed")}},
		{ID: "9", Name: "Chassis upgrade", Status: "RUNNING", SubTasks: []fmc.SubTask{sub("ch", "RUNNING")}},
		{ID: "10", Description: "Readiness check", Status: "RUNNING"},
	}
	deployables := []fmc.DeployableDevice{
		{Device: fmc.Reference{ID: "p", Name: "pair"}, IsDeploying: true},
		{Device: fmc.Reference{ID: "d", Name: "branch"}, IsDeploying: true},
	}
	f := readinessFacts(time.Now(), inv, records, nil, deployables, tasks, nil)
	type got struct{ name, status, targets string }
	var out []got
	for _, rt := range f.RunningTasks {
		out = append(out, got{rt.Name, rt.Status, strings.Join(rt.Targets, ",")})
	}
	want := []got{
		{"Deployment to branch", "deploying", "d"},
		{"Upgrade", "RUNNING", "e"},
		{"Deployment", "Deploying", "a,b"},
		{"Chassis upgrade", "RUNNING", "c1,c2"},
		{"Readiness check", "RUNNING", ""},
	}
	if !slices.Equal(out, want) {
		t.Fatalf("running tasks\n got %+v\nwant %+v", out, want)
	}
	if !slices.Equal(f.PendingDeployments, []string{"a", "b", "d"}) {
		t.Fatalf("pending deployments %v", f.PendingDeployments)
	}
}
