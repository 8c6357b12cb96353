package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

var readinessNow = time.Date(2025, 3, 8, 22, 0, 0, 0, time.UTC)

func boolPtr(b bool) *bool { return &b }

// healthyFacts is a small estate that is ready for threat defense 7.4.2:
// a 4100 HA pair, a branch firewall, a virtual cluster on AWS and an
// instance on a multi-instance 3100 whose chassis is already at 7.4.2.
func healthyFacts() ReadinessFacts {
	on := boolPtr(true)
	f := ReadinessFacts{
		Now:              readinessNow,
		ManagementCenter: ReadinessManagementCenter{Name: "fmc01", Version: "7.4.2"},
		Devices: []ReadinessDevice{
			{ID: "d-br1", Name: "br-1", Model: "Cisco Firepower 1120 Threat Defense", Platform: "firepower_1000", Version: "7.2.5", Connected: on, Health: "green"},
			{ID: "d-ea", Name: "edge-a", Model: "Cisco Firepower 4125 Threat Defense", Platform: "firepower_4100", Version: "7.2.5", Connected: on, Health: "green", Chassis: "fxos-a", ChassisVersion: "2.14.1.131"},
			{ID: "d-eb", Name: "edge-b", Model: "Cisco Firepower 4125 Threat Defense", Platform: "firepower_4100", Version: "7.2.5", Connected: on, Health: "green", Chassis: "fxos-b", ChassisVersion: "2.14.1.131"},
			{ID: "d-mi", Name: "mi-1", Model: "Cisco Secure Firewall 3130 Threat Defense", Platform: "secure_firewall_3100", Version: "7.4.1", Connected: on, Health: "green", Chassis: "mi-ch", ChassisVersion: "7.4.2", MultiInstance: true},
			{ID: "d-v1", Name: "vc-1", Model: "Cisco Firepower Threat Defense for AWS", Platform: "threat_defense_virtual", Version: "7.4.1", Connected: on, Health: "green"},
			{ID: "d-v2", Name: "vc-2", Model: "Cisco Firepower Threat Defense for AWS", Platform: "threat_defense_virtual", Version: "7.4.1", Connected: on, Health: "green"},
		},
		HAPairs:       []ReadinessGroup{{ID: "ha-edge", Name: "edge", Members: []string{"d-ea", "d-eb"}, State: GroupInSync, Detail: "IN_SYNC"}},
		Clusters:      []ReadinessGroup{{ID: "cl-v", Name: "vcl", Members: []string{"d-v1", "d-v2"}, State: GroupInSync}},
		TasksComplete: true,
		Alerts: []ReadinessAlert{
			{Target: ManagementCenterID, Module: "DATABASE", Status: "GREEN", Detail: "Database integrity check passed.", Time: readinessNow.Add(-2 * time.Hour)},
			{Target: "d-ea", Module: "FTD_HA", Status: "GREEN", Detail: "HA pair healthy.", Time: readinessNow.Add(-10 * time.Minute)},
		},
		LastBackups: map[string]time.Time{ManagementCenterID: readinessNow.Add(-24 * time.Hour)},
		Packages: []ReadinessPackage{
			{ID: "p-ssp", FileName: "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar", ApplicableDeviceIDs: []string{"d-ea", "d-eb"}, ApplicabilityKnown: true},
			{ID: "p-fp1k", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar", ApplicableDeviceIDs: []string{"d-br1"}, ApplicabilityKnown: true},
			// The management center may list the .sh spelling (PKG-1).
			{ID: "p-fp3k", FileName: "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh", ApplicableDeviceIDs: []string{"d-mi"}, ApplicabilityKnown: true},
			{ID: "p-ftd", FileName: "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar", ApplicableDeviceIDs: []string{"d-v1", "d-v2"}, ApplicabilityKnown: true},
			{ID: "p-fmc761", FileName: "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"},
		},
	}
	for _, d := range f.Devices {
		f.LastBackups[d.ID] = readinessNow.Add(-36 * time.Hour)
	}
	return f
}

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustReadiness(t *testing.T, f ReadinessFacts, req ReadinessRequest) *ReadinessResult {
	t.Helper()
	res, err := Readiness(testCatalog(t), f, req)
	if err != nil {
		t.Fatalf("Readiness: %v", err)
	}
	checkInvariants(t, res)
	return res
}

// checkInvariants holds for every result: known statuses and check ids, a
// rule on every row, a remedy on every row that is not a pass, and Ready
// and Blocking agreeing with the fail rows.
func checkInvariants(t *testing.T, res *ReadinessResult) {
	t.Helper()
	fails := 0
	seen := map[string]bool{}
	for _, c := range res.Checks {
		if !slices.Contains([]string{StatusPass, StatusWarn, StatusFail, StatusSkip}, c.Status) {
			t.Errorf("%s on %s: status %q", c.ID, c.Target, c.Status)
		}
		if !slices.Contains(ReadinessCheckIDs(), c.ID) {
			t.Errorf("unknown check id %q", c.ID)
		}
		if len(c.Rules) == 0 || c.Observed == "" || c.Target == "" {
			t.Errorf("incomplete row %+v", c)
		}
		if (c.Status == StatusWarn || c.Status == StatusFail) && c.Remedy == "" {
			t.Errorf("%s on %s is %s without a remedy", c.ID, c.Target, c.Status)
		}
		if c.Status == StatusPass && c.Remedy != "" {
			t.Errorf("%s on %s passes with a remedy %q", c.ID, c.Target, c.Remedy)
		}
		key := c.ID + "@" + c.Target
		if seen[key] {
			t.Errorf("duplicate row %s", key)
		}
		seen[key] = true
		if c.Status == StatusFail {
			fails++
		}
	}
	if res.Ready != (fails == 0) || len(res.Blocking) != fails || res.Count(StatusFail) != fails {
		t.Errorf("ready %v, %d blocking lines, %d fail rows", res.Ready, len(res.Blocking), fails)
	}
}

func findCheck(res *ReadinessResult, id, target string) (ReadinessCheck, bool) {
	for _, c := range res.Checks {
		if c.ID == id && c.Target == target {
			return c, true
		}
	}
	return ReadinessCheck{}, false
}

func expectCheck(t *testing.T, res *ReadinessResult, id, target, status, rule, observed string) ReadinessCheck {
	t.Helper()
	c, ok := findCheck(res, id, target)
	if !ok {
		t.Fatalf("no %s row for %s; rows:\n%s", id, target, dumpChecks(res))
	}
	if c.Status != status || rule != "" && !slices.Contains(c.Rules, rule) || !strings.Contains(c.Observed, observed) {
		t.Fatalf("%s on %s = %s %v %q; want %s with %s, observed containing %q", id, target, c.Status, c.Rules, c.Observed, status, rule, observed)
	}
	return c
}

func dumpChecks(res *ReadinessResult) string {
	var b strings.Builder
	for _, c := range res.Checks {
		b.WriteString(c.Status + " " + c.ID + " " + c.Target + ": " + c.Observed + "\n")
	}
	return b.String()
}

func TestReadinessHealthyEstate(t *testing.T) {
	res := mustReadiness(t, healthyFacts(), ReadinessRequest{TargetVersion: "7.4.2"})
	if !res.Ready || len(res.Blocking) != 0 {
		t.Fatalf("not ready: %v\n%s", res.Blocking, dumpChecks(res))
	}
	if res.TargetVersion != "7.4.2" || res.ManagementCenterTarget != "7.4.2" {
		t.Fatalf("targets %q / %q", res.TargetVersion, res.ManagementCenterTarget)
	}
	expectCheck(t, res, CheckPath, "fmc01", StatusPass, "ORDER-1", "no management center upgrade needed")
	expectCheck(t, res, CheckPath, "edge-a", StatusPass, "PATH-1", "7.2.5 -> 7.4.2 (direct)")
	expectCheck(t, res, CheckManagementCenterVersion, "edge-a", StatusPass, "ORDER-2", "stays within")
	expectCheck(t, res, CheckFXOSCompanion, "edge-a", StatusPass, "ORDER-4", "FXOS 2.14.1.131")
	expectCheck(t, res, CheckChassisVersion, "mi-1", StatusPass, "ORDER-4", "runs 7.4.2")
	expectCheck(t, res, CheckPackage, "mi-1", StatusPass, "PKG-1", "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh on the management center, applicable")
	expectCheck(t, res, CheckHealthDatabase, "fmc01", StatusPass, "READY-1", "DATABASE GREEN")
	expectCheck(t, res, CheckHealthHACluster, "edge-a", StatusPass, "HA-1", "FTD_HA GREEN")
	expectCheck(t, res, CheckHASync, "edge", StatusPass, "HA-1", "in sync")
	expectCheck(t, res, CheckBackup, "br-1", StatusPass, "READY-4", "last backup 36 hours ago")
	expectCheck(t, res, CheckRunningTasks, "fmc01", StatusPass, "READY-3", "no running task")
	c := expectCheck(t, res, CheckVirtualCluster, "vcl", StatusWarn, "READY-7", "2 units on AWS")
	if !strings.Contains(c.Remedy, "image id") || !strings.Contains(c.Remedy, "ReplaceUnhealthy") {
		t.Fatalf("virtual cluster remedy %q", c.Remedy)
	}
	// Checks that do not apply leave no row: a branch firewall has no
	// chassis, a standalone unit no HA health, the management center no
	// deployment.
	for _, absent := range [][2]string{{CheckFXOSCompanion, "br-1"}, {CheckChassisVersion, "edge-a"}, {CheckHealthHACluster, "br-1"}, {CheckPendingDeployment, "fmc01"}, {CheckHealthDatabase, "br-1"}} {
		if _, ok := findCheck(res, absent[0], absent[1]); ok {
			t.Errorf("unexpected %s row for %s", absent[0], absent[1])
		}
	}
	// Rows come management center first, then devices in the order given.
	if res.Checks[0].Target != "fmc01" || res.Checks[len(res.Checks)-1].Target != "vcl" {
		t.Fatalf("row order: first %s, last %s", res.Checks[0].Target, res.Checks[len(res.Checks)-1].Target)
	}
}

func TestReadinessFindings(t *testing.T) {
	type want struct{ id, target, status, rule, observed string }
	alert := func(target, module, status, detail string, ago time.Duration) ReadinessAlert {
		return ReadinessAlert{Target: target, Module: module, Status: status, Detail: detail, Time: readinessNow.Add(-ago)}
	}
	cases := []struct {
		name   string
		mutate func(f *ReadinessFacts)
		req    ReadinessRequest
		want   []want
	}{
		{"time sync alert over 10 s", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "TIME_SYNC", "YELLOW", "NTP offset is 14.2 seconds.", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthTimeSync, "br-1", StatusFail, "READY-1", "offset 14.2 s"}}},
		{"visible offset under 10 s", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "TIME_SYNC", "GREEN", "NTP offset is 0.8 seconds.", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthTimeSync, "br-1", StatusWarn, "READY-1", "offset 0.8 s"}}},
		{"offset in milliseconds", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert(ManagementCenterID, "NTP_SERVER", "GREEN", "Clock offset: -850 ms", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthTimeSync, "fmc01", StatusWarn, "READY-1", "offset 0.85 s"}}},
		{"green offset over 10 s", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "TIME_SYNC", "GREEN", "offset 12 s", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthTimeSync, "br-1", StatusFail, "READY-1", "offset 12 s"}}},
		{"zero offset", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "TIME_SYNC", "GREEN", "offset 0 seconds", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthTimeSync, "br-1", StatusPass, "READY-1", "offset 0 s"}}},
		{"time sync module disabled", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "TIME_SYNC", "DISABLED", "", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthTimeSync, "br-1", StatusWarn, "READY-1", "TIME_SYNC DISABLED"}}},
		{"disk usage yellow fails", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-v1", "DISK_USAGE", "YELLOW", "/ngfw is 86% full.", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthDiskUsage, "vc-1", StatusFail, "READY-1", "/ngfw is 86% full"}}},
		{"database yellow warns, red fails", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert(ManagementCenterID, "DATABASE", "YELLOW", "slow", time.Minute),
				alert("d-ea", "DISK_STATUS", "RED", "RAID degraded", time.Minute))
		}, ReadinessRequest{}, []want{
			{CheckHealthDatabase, "fmc01", StatusWarn, "READY-1", "DATABASE YELLOW: slow"},
			{CheckHealthDiskStatus, "edge-a", StatusFail, "READY-1", "RAID degraded"},
		}},
		{"newest alert wins", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "DISK_USAGE", "RED", "full", 3*time.Hour), alert("d-br1", "DISK_USAGE", "RECOVERED", "ok again", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthDiskUsage, "br-1", StatusPass, "READY-1", "RECOVERED"}}},
		{"HA alert on a standalone unit is still reported", func(f *ReadinessFacts) {
			f.Alerts = append(f.Alerts, alert("d-br1", "HIGH_AVAILABILITY", "RED", "peer lost", time.Hour))
		}, ReadinessRequest{}, []want{{CheckHealthHACluster, "br-1", StatusFail, "HA-1", "peer lost"}}},
		{"pending deployment", func(f *ReadinessFacts) { f.PendingDeployments = []string{"d-br1"} }, ReadinessRequest{},
			[]want{{CheckPendingDeployment, "br-1", StatusFail, "READY-2", "not deployed"}, {CheckPendingDeployment, "edge-a", StatusPass, "READY-2", ""}}},
		{"running task", func(f *ReadinessFacts) {
			f.RunningTasks = []ReadinessTask{{ID: "t1", Name: "Deployment", Status: "Deploying", Targets: []string{"d-br1"}}}
		}, ReadinessRequest{}, []want{
			{CheckRunningTasks, "br-1", StatusFail, "READY-3", "Deployment (Deploying)"},
			{CheckRunningTasks, "fmc01", StatusFail, "READY-3", "1 task running"},
			{CheckRunningTasks, "edge-a", StatusPass, "READY-3", ""},
		}},
		{"task list not read", func(f *ReadinessFacts) { f.TasksComplete = false }, ReadinessRequest{},
			[]want{{CheckRunningTasks, "fmc01", StatusWarn, "READY-3", "task list was not read"}}},
		{"backups missing or old", func(f *ReadinessFacts) {
			delete(f.LastBackups, "d-br1")
			f.LastBackups["d-ea"] = readinessNow.Add(-10 * 24 * time.Hour)
		}, ReadinessRequest{}, []want{
			{CheckBackup, "br-1", StatusWarn, "READY-4", "no backup"},
			{CheckBackup, "edge-a", StatusWarn, "READY-4", "10 days ago"},
		}},
		{"backup age limit from the request", func(f *ReadinessFacts) {}, ReadinessRequest{BackupMaxAge: 12 * time.Hour},
			[]want{{CheckBackup, "edge-a", StatusWarn, "READY-4", "older than 12 hours"}}},
		{"split brain", func(f *ReadinessFacts) {
			f.HAPairs[0].State, f.HAPairs[0].Detail = GroupSplitBrain, "both units Active"
		}, ReadinessRequest{},
			[]want{{CheckHASync, "edge", StatusFail, "HA-1", "split-brain"}}},
		{"cluster unit out", func(f *ReadinessFacts) { f.Clusters[0].State = GroupOutOfSync }, ReadinessRequest{},
			[]want{{CheckHASync, "vcl", StatusFail, "HA-1", "not in sync"}}},
		{"sync state unknown", func(f *ReadinessFacts) { f.HAPairs[0].State = GroupUnknown }, ReadinessRequest{},
			[]want{{CheckHASync, "edge", StatusWarn, "HA-1", "does not report"}}},
		{"disconnected and unreported", func(f *ReadinessFacts) {
			f.Devices[0].Connected = boolPtr(false)
			f.Devices[1].Connected = nil
		}, ReadinessRequest{}, []want{
			{CheckConnected, "br-1", StatusFail, "READY-6", "cannot reach"},
			{CheckConnected, "edge-a", StatusWarn, "READY-1", "does not report"},
		}},
		{"FXOS companion missing or unknown", func(f *ReadinessFacts) {
			f.Devices[1].ChassisVersion = "2.12.1.48"
			f.Devices[2].ChassisVersion = ""
		}, ReadinessRequest{}, []want{
			{CheckFXOSCompanion, "edge-a", StatusFail, "ORDER-4", "runs FXOS 2.12.1.48; threat defense 7.4.2 needs FXOS 2.14"},
			{CheckFXOSCompanion, "edge-b", StatusWarn, "ORDER-4", "does not report the FXOS version"},
		}},
		{"newer FXOS train is enough", func(f *ReadinessFacts) { f.Devices[1].ChassisVersion = "2.16(0.128)" }, ReadinessRequest{},
			[]want{{CheckFXOSCompanion, "edge-a", StatusPass, "ORDER-4", "2.16.0.128"}}},
		{"multi-instance chassis behind", func(f *ReadinessFacts) { f.Devices[3].ChassisVersion = "7.4.1" }, ReadinessRequest{},
			[]want{{CheckChassisVersion, "mi-1", StatusFail, "ORDER-4", "need it at 7.4.2 first"}}},
		{"package missing", func(f *ReadinessFacts) { f.Packages = f.Packages[1:] }, ReadinessRequest{},
			[]want{{CheckPackage, "edge-a", StatusFail, "PKG-1", "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar is not on the management center (needed now)"}}},
		{"package not applicable", func(f *ReadinessFacts) { f.Packages[0].ApplicableDeviceIDs = []string{"d-eb"} }, ReadinessRequest{},
			[]want{{CheckPackage, "edge-a", StatusFail, "PKG-1", "not applicable to edge-a"}, {CheckPackage, "edge-b", StatusPass, "PKG-1", "applicable"}}},
		{"package_ids restrict the packages", func(f *ReadinessFacts) {}, ReadinessRequest{PackageIDs: []string{"p-fp1k", "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar"}},
			[]want{{CheckPackage, "br-1", StatusPass, "PKG-1", ""}, {CheckPackage, "vc-1", StatusPass, "PKG-1", ""}, {CheckPackage, "edge-a", StatusFail, "PKG-3", "not among package_ids"}}},
		{"device past the target", func(f *ReadinessFacts) { f.Devices[0].Version = "7.6.1" }, ReadinessRequest{},
			[]want{{CheckPath, "br-1", StatusFail, "PATH-5", "downgrade"}, {CheckManagementCenterVersion, "br-1", StatusFail, "ORDER-1", "newer than its management center"}}},
		{"device already at the target", func(f *ReadinessFacts) { f.Devices[0].Version = "7.4.2" }, ReadinessRequest{},
			[]want{{CheckPath, "br-1", StatusPass, "PATH-5", "nothing to upgrade"}, {CheckPackage, "br-1", StatusPass, "PKG-1", "no package is needed"}}},
		{"unknown model", func(f *ReadinessFacts) { f.Devices[0].Platform = "" }, ReadinessRequest{},
			[]want{{CheckPath, "br-1", StatusWarn, "PATH-6", "not in the catalog"}}},
		{"management center goes first", func(f *ReadinessFacts) {}, ReadinessRequest{TargetVersion: "7.6.1"}, []want{
			{CheckPath, "fmc01", StatusPass, "ORDER-1", "7.4.2 -> 7.6.1 (direct)"},
			{CheckPackage, "fmc01", StatusPass, "PKG-1", "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"},
			{CheckManagementCenterVersion, "br-1", StatusPass, "ORDER-1", "the management center goes first (7.4.2 -> 7.6.1)"},
		}},
		{"device past an excluded management center", func(f *ReadinessFacts) {}, ReadinessRequest{TargetVersion: "7.6.1", ExcludeManagementCenter: true},
			[]want{{CheckManagementCenterVersion, "br-1", StatusFail, "ORDER-2", "cannot be upgraded past it to 7.6.1"}}},
		{"device too old for the management center's target", func(f *ReadinessFacts) { f.Devices[0].Version = "7.0.6" }, ReadinessRequest{TargetVersion: "7.6.1"},
			[]want{{CheckManagementCenterVersion, "br-1", StatusWarn, "ORDER-3", "older than the oldest threat defense a 7.6 management center manages"}, {CheckPath, "br-1", StatusPass, "PATH-1", "hops"}}},
		{"later hop package missing warns", func(f *ReadinessFacts) {
			f.Devices[0].Version = "7.0.6"
			f.Packages = append(f.Packages, ReadinessPackage{ID: "p-fp1k-742", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"})
		}, ReadinessRequest{TargetVersion: "7.6.1"}, []want{{CheckPackage, "br-1", StatusWarn, "PKG-3", "needed for hop 2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			tc.mutate(&f)
			req := tc.req
			if req.TargetVersion == "" {
				req.TargetVersion = "7.4.2"
			}
			res := mustReadiness(t, f, req)
			for _, w := range tc.want {
				expectCheck(t, res, w.id, w.target, w.status, w.rule, w.observed)
			}
		})
	}
}

func TestReadinessBlockingLines(t *testing.T) {
	f := healthyFacts()
	f.Alerts = append(f.Alerts, ReadinessAlert{Target: "d-v1", Module: "DISK_USAGE", Status: "RED", Detail: "/ngfw is 94% full.", Time: readinessNow})
	f.PendingDeployments = []string{"d-br1"}
	res := mustReadiness(t, f, ReadinessRequest{TargetVersion: "7.4.2"})
	if res.Ready || len(res.Blocking) != 2 {
		t.Fatalf("ready %v, blocking %q", res.Ready, res.Blocking)
	}
	want := []string{
		"pending_deployment on br-1: configuration changes are not deployed. Fix: deploy to br-1 before its upgrade",
		"health_disk_usage on vc-1: DISK_USAGE RED: /ngfw is 94% full. Fix: free disk space",
	}
	for i, w := range want {
		if !strings.HasPrefix(res.Blocking[i], w) {
			t.Errorf("blocking[%d] = %q, want prefix %q", i, res.Blocking[i], w)
		}
	}
	if !strings.HasSuffix(res.Blocking[1], "[READY-1]") {
		t.Errorf("blocking line without its rule: %q", res.Blocking[1])
	}
}

func TestReadinessSelection(t *testing.T) {
	f := healthyFacts()
	f.PendingDeployments = []string{"d-br1"}
	// An HA pair name selects both units, a device id selects one; rows
	// for unselected devices and groups are left out.
	res := mustReadiness(t, f, ReadinessRequest{TargetVersion: "7.4.2", DeviceIDs: []string{"edge", "d-mi"}, ExcludeManagementCenter: true})
	targets := map[string]bool{}
	for _, c := range res.Checks {
		targets[c.Target] = true
	}
	for _, want := range []string{"edge-a", "edge-b", "mi-1", "edge"} {
		if !targets[want] {
			t.Errorf("no rows for %s", want)
		}
	}
	for _, unwanted := range []string{"fmc01", "br-1", "vc-1", "vcl"} {
		if targets[unwanted] {
			t.Errorf("rows for unselected %s", unwanted)
		}
	}
	if !res.Ready || res.ManagementCenterTarget != "" {
		t.Fatalf("ready %v, management center target %q", res.Ready, res.ManagementCenterTarget)
	}
}

func TestReadinessIgnore(t *testing.T) {
	f := healthyFacts()
	f.PendingDeployments = []string{"d-br1"}
	f.Alerts = append(f.Alerts, ReadinessAlert{Target: "d-br1", Module: "TIME_SYNC", Status: "YELLOW", Detail: "NTP offset is 14.2 seconds.", Time: readinessNow},
		ReadinessAlert{Target: "d-v1", Module: "TIME_SYNC", Status: "YELLOW", Detail: "NTP offset is 11 seconds.", Time: readinessNow})
	res := mustReadiness(t, f, ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"pending_deployment", "health_time_sync:br-1", " virtual_cluster : vcl "}})
	c := expectCheck(t, res, CheckPendingDeployment, "br-1", StatusSkip, "READY-5", "ignored on request (would be fail)")
	if !slices.Contains(c.Rules, "READY-2") {
		t.Fatalf("skip row lost its rule: %v", c.Rules)
	}
	expectCheck(t, res, CheckPendingDeployment, "edge-a", StatusSkip, "READY-2", "would be pass")
	expectCheck(t, res, CheckHealthTimeSync, "br-1", StatusSkip, "READY-1", "14.2")
	expectCheck(t, res, CheckHealthTimeSync, "vc-1", StatusFail, "READY-1", "11")
	expectCheck(t, res, CheckHealthTimeSync, "fmc01", StatusPass, "READY-1", "")
	expectCheck(t, res, CheckVirtualCluster, "vcl", StatusSkip, "READY-7", "would be warn")
	if res.Ready || len(res.Blocking) != 1 || !strings.HasPrefix(res.Blocking[0], "health_time_sync on vc-1") {
		t.Fatalf("blocking %q", res.Blocking)
	}

	// Without the management center every check may be ignored.
	res = mustReadiness(t, f, ReadinessRequest{TargetVersion: "7.4.2", ExcludeManagementCenter: true, Ignore: []string{"health_time_sync", "pending_deployment"}})
	if !res.Ready {
		t.Fatalf("still blocked: %q", res.Blocking)
	}
}

func TestReadinessRefusals(t *testing.T) {
	cases := []struct {
		name         string
		req          ReadinessRequest
		field, rule  string
		problem, fix string
	}{
		{"ignore a management center check", ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"health_time_sync"}}, FieldIgnore, "READY-5", "mandatory", "health_time_sync:<device name>"},
		{"ignore on the management center by keyword", ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"backup:management_center"}}, FieldIgnore, "READY-5", "mandatory", ""},
		{"ignore on the management center by name", ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"health_disk_usage:FMC01"}}, FieldIgnore, "READY-5", "mandatory", ""},
		{"unknown check", ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"ntp"}}, FieldIgnore, "", "not a readiness check", "health_time_sync"},
		{"empty target after colon", ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"backup:"}}, FieldIgnore, "", "names no target", ""},
		{"unknown ignore target", ReadinessRequest{TargetVersion: "7.4.2", Ignore: []string{"pending_deployment:nowhere"}}, FieldIgnore, "", "names no target", ""},
		{"empty target version", ReadinessRequest{}, FieldTargetVersion, "", "empty", ""},
		{"unparseable target", ReadinessRequest{TargetVersion: "seven"}, FieldTargetVersion, "", "", "7.6.1"},
		{"7.4.0", ReadinessRequest{TargetVersion: "7.4.0"}, FieldTargetVersion, "PATH-2", "fresh install", ""},
		{"unknown release", ReadinessRequest{TargetVersion: "7.4.9"}, FieldTargetVersion, "PATH-6", "not a known threat defense release", "7.4 releases: 7.4.0"},
		{"wrong build", ReadinessRequest{TargetVersion: "7.4.2-999"}, FieldTargetVersion, "PKG-1", "build", "7.4.2-172"},
		{"unknown device", ReadinessRequest{TargetVersion: "7.4.2", DeviceIDs: []string{"d-br1", "ghost"}}, FieldDeviceIDs, "", "\"ghost\"", "fmcupgrade_inventory"},
		{"unknown package", ReadinessRequest{TargetVersion: "7.4.2", PackageIDs: []string{"nope.tar"}}, FieldPackageIDs, "PKG-1", "not an upgrade package", "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Readiness(testCatalog(t), healthyFacts(), tc.req)
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("want a RuleError, got %v", err)
			}
			if re.Field != tc.field || re.Rule != tc.rule || !strings.Contains(re.Problem, tc.problem) || !strings.Contains(re.Fix, tc.fix) {
				t.Fatalf("got field %q rule %q: %v", re.Field, re.Rule, re)
			}
		})
	}
}

func TestReadinessTargetKeywords(t *testing.T) {
	c := testCatalog(t)
	list, err := Releases(c, catalog.ProductThreatDefense, "")
	if err != nil {
		t.Fatal(err)
	}
	for kw, want := range map[string]string{TargetLatest: list.Latest, "Suggested": list.Suggested} {
		res, err := Readiness(c, healthyFacts(), ReadinessRequest{TargetVersion: kw})
		if err != nil {
			t.Fatalf("%s: %v", kw, err)
		}
		if res.TargetVersion != want {
			t.Errorf("%s resolved to %s, want %s", kw, res.TargetVersion, want)
		}
	}
}

func TestReadinessPackagesNeeded(t *testing.T) {
	c := testCatalog(t)
	got, err := ReadinessPackagesNeeded(c, healthyFacts(), ReadinessRequest{TargetVersion: "7.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"p-fp1k", "p-fp3k", "p-ftd", "p-ssp"}; !slices.Equal(got, want) {
		t.Fatalf("needed %v, want %v", got, want)
	}
	got, err = ReadinessPackagesNeeded(c, healthyFacts(), ReadinessRequest{TargetVersion: "7.4.2", DeviceIDs: []string{"br-1"}})
	if err != nil || !slices.Equal(got, []string{"p-fp1k"}) {
		t.Fatalf("needed %v, %v", got, err)
	}
	if _, err := ReadinessPackagesNeeded(c, healthyFacts(), ReadinessRequest{TargetVersion: "7.4.0"}); err == nil {
		t.Fatal("want the target refused")
	}
}

func TestClockOffset(t *testing.T) {
	cases := map[string]float64{
		"NTP offset is 14.2 seconds.":      14.2,
		"Clock offset: -850 ms":            0.85,
		"offset 3s from 10.0.0.1":          3,
		"Time offset = +0.25 sec":          0.25,
		"offset of 120 milliseconds":       0.12,
		"OFFSET 7":                         7,
		"The NTP server is not reachable.": -1,
	}
	for text, want := range cases {
		got, ok := clockOffset(text)
		if want < 0 {
			if ok {
				t.Errorf("%q: offset %v, want none", text, got)
			}
			continue
		}
		if !ok || got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%q: %v %v, want %v", text, got, ok, want)
		}
	}
}

// FuzzReadiness feeds arbitrary versions, alerts and ignore entries through
// Readiness: it must refuse with a RuleError or answer rows that keep the
// invariants, never panic.
func FuzzReadiness(f *testing.F) {
	f.Add("7.4.2", "7.2.5", "2.12.1.48", "TIME_SYNC", "YELLOW", "NTP offset is 14.2 seconds.", "pending_deployment")
	f.Add("7.6.1", "7.0.6", "", "DISK_USAGE", "RED", "offset -1e308 ms", "health_time_sync:br-1")
	f.Add("latest", "x.y", "2.16(0.128)", "", "", "", "")
	f.Add("7.4.2.1", "7.4.2", "garbage", "CLUSTER", "disabled", "offset 99999999999999999999 s", "backup:")
	c := testCatalog(f)
	f.Fuzz(func(t *testing.T, target, devVersion, fxos, module, status, detail, ignore string) {
		facts := healthyFacts()
		facts.Devices[0].Version = devVersion
		facts.Devices[1].Version = devVersion
		facts.Devices[1].ChassisVersion = fxos
		facts.Devices[3].ChassisVersion = fxos
		facts.Alerts = append(facts.Alerts, ReadinessAlert{Target: "d-br1", Module: module, Status: status, Detail: detail, Time: readinessNow})
		req := ReadinessRequest{TargetVersion: target, Ignore: []string{ignore}, ExcludeManagementCenter: len(ignore)%2 == 1}
		res, err := Readiness(c, facts, req)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("not a RuleError: %v", err)
			}
			return
		}
		for _, row := range res.Checks {
			if row.Status == "" || len(row.Rules) == 0 {
				t.Fatalf("bad row %+v", row)
			}
		}
		if res.Ready != (res.Count(StatusFail) == 0) {
			t.Fatal("Ready disagrees with the fail rows")
		}
	})
}

// BenchmarkReadiness judges 10,000 devices: paths are shared per platform
// and version, so the cost is one pass over the facts.
func BenchmarkReadiness(b *testing.B) {
	c := testCatalog(b)
	base := healthyFacts()
	f := base
	f.Devices = nil
	f.HAPairs, f.Clusters = nil, nil
	for i := range 10000 {
		d := base.Devices[i%len(base.Devices)]
		d.ID, d.Name = fmt.Sprintf("dev-%05d", i), fmt.Sprintf("fw-%05d", i)
		f.Devices = append(f.Devices, d)
		f.Alerts = append(f.Alerts, ReadinessAlert{Target: d.ID, Module: "TIME_SYNC", Status: "GREEN", Detail: "offset 0.2 s", Time: readinessNow})
	}
	req := ReadinessRequest{TargetVersion: "7.4.2"}
	for b.Loop() {
		if _, err := Readiness(c, f, req); err != nil {
			b.Fatal(err)
		}
	}
}
