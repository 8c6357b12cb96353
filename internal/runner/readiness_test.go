package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// readinessRequestBudget is the most a readiness read may cost on the demo
// estate: the login, five inventory reads, alerts, deployable devices, the
// package list and one applicability read per platform family.
const readinessRequestBudget = 14

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

func TestReadReadinessFactsDemo(t *testing.T) {
	srv, c := simClient(t, fmcsim.Options{})
	res, used := readReadiness(t, srv, c, planner.ReadinessRequest{TargetVersion: "7.4.2"})
	if used > readinessRequestBudget {
		t.Errorf("%d requests, want at most %d: %v", used, readinessRequestBudget, srv.Stats().ByRoute)
	}
	if n := srv.Stats().ByRoute["GET /api/fmc_platform/v1/updates/upgradepackages/{containerUUID}/applicabledevices"]; n != 4 {
		t.Errorf("%d applicability reads, want one per package needed (4)", n)
	}
	// The demo's seeded findings, and the multi-instance chassis that must
	// go to 7.4.2 before its instances.
	wantRows(t, res, planner.StatusFail, []row{
		{planner.CheckPendingDeployment, "br-fw-02", "fail"},
		{planner.CheckHealthTimeSync, "br-fw-03", "fail"},
		{planner.CheckHealthDiskUsage, "cloud-ftdv-az-01", "fail"},
		{planner.CheckChassisVersion, "dc2-mi-fw1", "fail"},
		{planner.CheckChassisVersion, "dc2-mi-fw2", "fail"},
	})
	if res.Ready || len(res.Blocking) != 5 {
		t.Fatalf("ready %v, blocking %q", res.Ready, res.Blocking)
	}
	for _, w := range rowsWith(res, planner.StatusWarn) {
		switch w.id {
		case planner.CheckBackup, planner.CheckFXOSCompanion:
		case planner.CheckRunningTasks:
			if w.target != "fmc01.corp.example.com" {
				t.Errorf("running_tasks warns on %s", w.target)
			}
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

	// Selecting the data-centre HA pairs and cluster by name leaves the
	// branch findings out: ready, with warnings only.
	res, _ = readReadiness(t, srv, c, planner.ReadinessRequest{TargetVersion: "7.4.2", DeviceIDs: []string{"dc1-edge", "dc2-edge", "dc1-core"}})
	if !res.Ready {
		t.Fatalf("data centre not ready: %q", res.Blocking)
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
	// Devices, HA pairs, clusters and alerts page; the rest is constant.
	if limit := 4*pages + 12; used > limit {
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
