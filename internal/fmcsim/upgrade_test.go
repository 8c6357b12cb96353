package fmcsim

import (
	"strings"
	"testing"
	"time"
)

// haScenario is a native Secure Firewall 3100 HA pair and a standalone
// Firepower 1000 under a 7.4.2 management center.
func haScenario(t *testing.T) *Scenario {
	t.Helper()
	sc := &Scenario{Name: "ha", ManagementCenter: ManagementCenter{Version: "7.4.2", Build: 172},
		Devices: []Device{
			{Name: "fw-a", Family: "secure_firewall_3100", Version: "7.2.5", Build: 208},
			{Name: "fw-b", Family: "secure_firewall_3100", Version: "7.2.5", Build: 208},
			{Name: "solo", Family: "firepower_1000", Version: "7.2.5", Build: 208},
		},
		HAPairs: []HAPair{{Name: "edge", Primary: "fw-a", Secondary: "fw-b"}},
		UpgradePackages: []UpgradePackage{
			{FileName: "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"},
			{FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"},
			{FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar"},
		},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

const fp3k742 = "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"
const fp1k742 = "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"

func TestHAUpgradeStandbyFirstHasNoBreach(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp3k742)

	id := h.upgrade(pkg, []ref{h.devRef("fw-b")}, nil)
	steps := []struct {
		at        time.Duration
		state     string
		version   string
		connected bool
	}{
		{time.Minute, "copying_package", "7.2.5-208", true},
		{7 * time.Minute, "readiness_check", "7.2.5-208", true},
		{15 * time.Minute, "upgrading", "7.2.5-208", true},
		{45 * time.Minute, "rebooting", "7.2.5-208", false},
		{57 * time.Minute, "online", "7.4.2-172", true},
	}
	var elapsed time.Duration
	for _, st := range steps {
		h.clock.Advance(st.at - elapsed)
		elapsed = st.at
		u := h.unit("fw-b")
		if u.State != st.state || u.Version != st.version || u.Connected != st.connected {
			t.Fatalf("at %s: fw-b %s %s connected=%v; want %s %s %v", st.at, u.State, u.Version, u.Connected, st.state, st.version, st.connected)
		}
		if st.state != "online" {
			if ts := h.task(id); ts.Status != "RUNNING" || ts.SubTasks[0].Status != "RUNNING" {
				t.Fatalf("at %s: task %+v", st.at, ts)
			}
		}
	}
	if ts := h.task(id); ts.Status != "COMPLETED" || ts.TaskType != taskTypeUpgrade || !strings.Contains(ts.SubTasks[0].Message, "upgraded to 7.4.2-172") {
		t.Fatalf("task: %+v", ts)
	}
	if p := h.pair("edge"); p.Active != "fw-a" {
		t.Fatalf("a standby upgrade must not change roles; active %s", p.Active)
	}
	if u := h.unit("fw-a"); u.Version != "7.2.5-208" || u.PendingDeployment {
		t.Fatalf("fw-a: %+v", u)
	}

	// Now the active unit: it fails over to the upgraded standby first.
	id = h.upgrade(pkg, []ref{h.devRef("fw-a")}, nil)
	h.clock.Advance(14*time.Minute + 30*time.Second)
	if p := h.pair("edge"); p.Active != "fw-b" {
		t.Fatalf("no failover before the active unit's install: active %s", p.Active)
	}
	if ts := h.runUntilDone(id, 2*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("task: %+v", ts)
	}
	a, b := h.unit("fw-a"), h.unit("fw-b")
	if a.Version != "7.4.2-172" || a.Role != "standby" || b.Role != "active" || !a.PendingDeployment || !b.PendingDeployment {
		t.Fatalf("after both: a %+v b %+v", a, b)
	}
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}

	// The pair deploys as a whole.
	var dl struct {
		Items []deployableJSON `json:"items"`
	}
	h.call("GET", h.cfg("/deployment/deployabledevices?expanded=true"), nil, 200, &dl)
	if len(dl.Items) != 1 || dl.Items[0].Device.Type != "DeviceHAPair" || !dl.Items[0].CanBeDeployed {
		t.Fatalf("deployable: %+v", dl.Items)
	}
	var dep deploymentResponse
	h.call("POST", h.cfg("/deployment/deploymentrequests"), map[string]any{"type": "DeploymentRequest", "version": dl.Items[0].Version,
		"forceDeploy": false, "ignoreWarning": true, "deviceList": []string{dl.Items[0].Device.ID}}, 202, &dep)
	if ts := h.runUntilDone(dep.Metadata.Task.ID, 10*time.Minute); ts.Status != "COMPLETED" || ts.TaskType != "DEVICE_DEPLOYMENT" {
		t.Fatalf("deployment: %+v", ts)
	}
	if h.unit("fw-a").PendingDeployment {
		t.Fatal("still pending after deployment")
	}
	var jh struct {
		Items []jobHistoryJSON `json:"items"`
	}
	h.call("GET", h.cfg("/deployment/jobhistories?filter=jobType:DEPLOYMENT"), nil, 200, &jh)
	if len(jh.Items) != 1 || jh.Items[0].JobStatus != "Deployed" || len(jh.Items[0].DeviceList) != 2 {
		t.Fatalf("job history: %+v", jh.Items)
	}
}

func TestHAUpgradeActiveFirstBreachesHA3(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	id := h.upgrade(h.packageID(fp3k742), []ref{h.devRef("fw-a")}, nil)
	br := h.srv.Audit()
	if len(br) != 1 || br[0].Rule != "HA-3" || br[0].Target != "edge" || !strings.Contains(br[0].Detail, "before standby fw-b") || !br[0].At.Equal(t0) {
		t.Fatalf("breaches: %+v", br)
	}
	// The upgrade itself proceeds, failing over as the real one does.
	if ts := h.runUntilDone(id, 2*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("task: %+v", ts)
	}
	if p := h.pair("edge"); p.Active != "fw-b" {
		t.Fatalf("active %s", p.Active)
	}
}

func TestHAContainerTargetUpgradesStandbyFirst(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	p := h.pair("edge")
	id := h.upgrade(h.packageID(fp3k742), []ref{{ID: p.ID, Type: "DeviceHAPair", Name: p.Name}}, nil)
	ts := h.task(id)
	if len(ts.SubTasks) != 2 || ts.SubTasks[0].Target.Name != "fw-b" || ts.SubTasks[1].Status != "PENDING" {
		t.Fatalf("order: %+v", ts.SubTasks)
	}
	// The pending unit counts as upgrading: asking again is a duplicate.
	resp, b := h.do("POST", "/api/fmc_platform/v1/updates/upgrades", map[string]any{"upgradePackage": map[string]string{"id": h.packageID(fp3k742)}, "targets": []ref{h.devRef("fw-a")}})
	if resp.StatusCode != 400 || !strings.Contains(string(b), "already has an upgrade operation in progress") {
		t.Fatalf("duplicate of a queued unit: %d %s", resp.StatusCode, b)
	}
	h.srv.ClearAudit()
	if ts := h.runUntilDone(id, 3*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("task: %+v", ts)
	}
	if a, b := h.unit("fw-a"), h.unit("fw-b"); a.Version != "7.4.2-172" || b.Version != "7.4.2-172" {
		t.Fatalf("versions %s %s", a.Version, b.Version)
	}
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}

func TestHA1ConcurrentAndOutOfSync(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp3k742)
	h.upgrade(pkg, []ref{h.devRef("fw-b")}, nil)
	h.clock.Advance(20 * time.Minute) // fw-b is installing
	h.upgrade(pkg, []ref{h.devRef("fw-a")}, nil)
	got := strings.Join(h.rules(), ",")
	if got != "HA-3,HA-1" {
		t.Fatalf("rules %s, want HA-3,HA-1", got)
	}

	h2 := newHarness(t, haScenario(t))
	h2.loginNow()
	if _, err := h2.srv.AddFault(Fault{Kind: FaultOutOfSync, Target: "edge", Duration: Duration(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	id := h2.upgrade(h2.packageID(fp3k742), []ref{h2.devRef("fw-b")}, nil)
	if got := strings.Join(h2.rules(), ","); got != "HA-1" {
		t.Fatalf("rules %s", got)
	}
	ts := h2.runUntilDone(id, time.Hour)
	if ts.Status != "FAILED" || !strings.Contains(ts.SubTasks[0].Message, "out of sync") {
		t.Fatalf("readiness should fail for a pair out of sync: %+v", ts)
	}
	if u := h2.unit("fw-b"); u.Version != "7.2.5-208" || u.State != "online" {
		t.Fatalf("fw-b after failed readiness: %+v", u)
	}
}

func TestUpgradeRulesOnTheDemo(t *testing.T) {
	cases := []struct {
		name, device, pkg string
		rules             string
		status            string
		msg               string
	}{
		{"ORDER-2 device past its management center", "cloud-ftdv-aws-01", "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar", "ORDER-2", "FAILED", "management center runs 7.4.2"},
		{"ORDER-4 threat defense before FXOS", "dc1-edge-b", "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar", "ORDER-4", "FAILED", "needs FXOS 2.14"},
		{"ORDER-4 multi-instance chassis behind", "dc2-mi-fw1", "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar", "ORDER-4", "FAILED", "upgrade the chassis to 7.4.2"},
		{"READY-2 pending deployment", "br-fw-02", "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar", "READY-2", "COMPLETED", "upgraded"},
		{"READY-3 running task", "br-fw-04", "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar", "READY-3", "COMPLETED", "upgraded"},
		{"disk usage fails readiness", "cloud-ftdv-az-01", "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar", "", "FAILED", "DISK_USAGE"},
		{"clean upgrade", "br-fw-01", "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar", "", "COMPLETED", "upgraded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, demo(t))
			h.loginNow()
			before := h.unit(tc.device).Version
			id := h.upgrade(h.packageID(tc.pkg), []ref{h.devRef(tc.device)}, nil)
			if got := strings.Join(h.rules(), ","); got != tc.rules {
				t.Fatalf("rules %q, want %q: %+v", got, tc.rules, h.srv.Audit())
			}
			ts := h.runUntilDone(id, 2*time.Hour)
			if ts.Status != tc.status || !strings.Contains(ts.SubTasks[0].Message, tc.msg) {
				t.Fatalf("task %s %q, want %s %q", ts.Status, ts.SubTasks[0].Message, tc.status, tc.msg)
			}
			after := h.unit(tc.device).Version
			if (tc.status == "FAILED") != (after == before) {
				t.Fatalf("version %s -> %s with task %s", before, after, ts.Status)
			}
		})
	}
}

func TestReady3StopsTheRunningTask(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var running string
	for _, tk := range h.srv.Estate().Tasks {
		if tk.Status == "RUNNING" {
			running = tk.ID
		}
	}
	if running == "" {
		t.Fatal("the demo starts with a running deployment")
	}
	h.upgrade(h.packageID(fp1k742), []ref{h.devRef("br-fw-04")}, nil)
	if ts := h.task(running); ts.Status != "FAILED" || !strings.Contains(ts.SubTasks[0].Message, "Stopped") {
		t.Fatalf("running task: %+v", ts)
	}
}

func TestDuplicateUpgradeRequests(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp1k742)
	body := map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": []ref{h.devRef("solo")}}
	id := h.upgrade(pkg, []ref{h.devRef("solo")}, nil)
	resp, b := h.do("POST", "/api/fmc_platform/v1/updates/upgrades", body)
	if resp.StatusCode != 400 || !strings.Contains(errorDescription(t, b), "already has an upgrade operation in progress") {
		t.Fatalf("second request: %d %s", resp.StatusCode, b)
	}
	h.runUntilDone(id, 2*time.Hour)
	resp, b = h.do("POST", "/api/fmc_platform/v1/updates/upgrades", body)
	if resp.StatusCode != 400 || !strings.Contains(errorDescription(t, b), "already runs 7.4.2") {
		t.Fatalf("request at version: %d %s", resp.StatusCode, b)
	}
	st := h.srv.Stats()
	if st.UpgradeRequests != 3 || st.DuplicateUpgradeRequests != 2 {
		t.Fatalf("stats: %+v", st)
	}
	if got := strings.Join(h.rules(), ","); got != RuleDuplicateUpgrade+","+RuleDuplicateUpgrade {
		t.Fatalf("rules %s", got)
	}
}

func TestUpgradeRequestValidation(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp1k742)
	solo := h.devRef("solo")
	cases := []struct {
		name string
		body any
		want string
		rule string
	}{
		{"not json", "{", "Invalid JSON", ""},
		{"no package", map[string]any{"targets": []ref{solo}}, "upgradePackage.id is required", ""},
		{"unknown package", map[string]any{"upgradePackage": map[string]string{"id": "x"}, "targets": []ref{solo}}, "no upgrade package with id x", ""},
		{"no targets", map[string]any{"upgradePackage": map[string]string{"id": pkg}}, "at least one device", ""},
		{"unknown target", map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": []ref{{ID: "ghost", Type: "Device"}}}, `Invalid target "ghost"`, ""},
		{"wrong family", map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": []ref{h.devRef("fw-a")}}, "does not apply to fw-a", "PKG-1"},
		{"management center full upgrade", map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": []ref{{ID: h.srv.Estate().ManagementCenter.ID}}}, "only the readiness check", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.srv.ClearAudit()
			resp, b := h.do("POST", "/api/fmc_platform/v1/updates/upgrades", tc.body)
			if resp.StatusCode != 400 || !strings.Contains(errorDescription(t, b), tc.want) {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if got := strings.Join(h.rules(), ","); got != tc.rule {
				t.Fatalf("rules %q, want %q", got, tc.rule)
			}
		})
	}
	// Booleans arrive as strings in the management center's own examples.
	id := h.upgrade(pkg, []ref{solo}, map[string]any{"pushUpgradeFileOnly": "true"})
	if ts := h.runUntilDone(id, time.Hour); ts.Status != "COMPLETED" || !strings.Contains(ts.SubTasks[0].Message, "is on solo") {
		t.Fatalf("push with string flag: %+v", ts)
	}
}

func TestPathRulesRefuse(t *testing.T) {
	sc := haScenario(t)
	sc.Devices = append(sc.Devices, Device{Name: "old", Family: "firepower_1000", Version: "7.4.1", Build: 172},
		Device{Name: "newer", Family: "firepower_1000", Version: "7.4.2.1"})
	sc.UpgradePackages = append(sc.UpgradePackages, UpgradePackage{FileName: "Cisco_FTD_SSP-FP1K_Patch-7.4.2.1-30.sh.REL.tar", Version: "7.4.2.1", Build: 30, Families: []string{"firepower_1000"}})
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, sc)
	h.loginNow()
	resp, b := h.do("POST", "/api/fmc_platform/v1/updates/upgrades", map[string]any{"upgradePackage": map[string]string{"id": h.packageID("Cisco_FTD_SSP-FP1K_Patch-7.4.2.1-30.sh.REL.tar")}, "targets": []ref{h.devRef("old")}})
	if resp.StatusCode != 400 || !strings.Contains(string(b), "applies only to 7.4.2") || strings.Join(h.rules(), ",") != "PATH-3" {
		t.Fatalf("patch from another maintenance release: %d %s %v", resp.StatusCode, b, h.rules())
	}
	h.srv.ClearAudit()
	resp, b = h.do("POST", "/api/fmc_platform/v1/updates/upgrades", map[string]any{"upgradePackage": map[string]string{"id": h.packageID(fp1k742)}, "targets": []ref{h.devRef("newer")}})
	if resp.StatusCode != 400 || !strings.Contains(string(b), "downgrades") || strings.Join(h.rules(), ",") != "PATH-5" {
		t.Fatalf("downgrade: %d %s %v", resp.StatusCode, b, h.rules())
	}
}

func TestPushThenReadinessThenUpgradeSkipsDoneWork(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp1k742)
	solo := []ref{h.devRef("solo")}
	id := h.upgrade(pkg, solo, map[string]any{"pushUpgradeFileOnly": true})
	h.clock.Advance(6 * time.Minute)
	if ts := h.task(id); ts.Status != "COMPLETED" || ts.Name != "Package push" {
		t.Fatalf("push: %+v", ts)
	}
	// readinessCheckOnly wins over pushUpgradeFileOnly.
	id = h.upgrade(pkg, solo, map[string]any{"pushUpgradeFileOnly": true, "readinessCheckOnly": true})
	h.clock.Advance(8 * time.Minute)
	if ts := h.task(id); ts.Status != "COMPLETED" || !strings.Contains(ts.SubTasks[0].Message, "Readiness check for 7.4.2 passed") {
		t.Fatalf("readiness: %+v", ts)
	}
	if u := h.unit("solo"); u.Version != "7.2.5-208" {
		t.Fatalf("readiness changed the version: %s", u.Version)
	}
	id = h.upgrade(pkg, solo, nil)
	h.clock.Advance(time.Minute)
	if u := h.unit("solo"); u.State != "upgrading" {
		t.Fatalf("staged and checked: the upgrade should start installing at once, got %s", u.State)
	}
	h.clock.Advance(41 * time.Minute)
	if ts := h.task(id); ts.Status != "COMPLETED" {
		t.Fatalf("upgrade: %+v", ts)
	}
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}

func TestUpgradeFailureAutoCancel(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	if _, err := h.srv.AddFault(Fault{Kind: FaultUpgradeFail, Target: "solo", Message: "Disk write error."}); err != nil {
		t.Fatal(err)
	}
	id := h.upgrade(h.packageID(fp1k742), []ref{h.devRef("solo")}, map[string]any{"autoUpgradeCancel": true})
	ts := h.runUntilDone(id, 2*time.Hour)
	if ts.Status != "FAILED" || !strings.Contains(ts.SubTasks[0].Message, "Disk write error.") || !strings.Contains(ts.SubTasks[0].Message, "restored to 7.2.5") {
		t.Fatalf("task: %+v", ts)
	}
	if u := h.unit("solo"); u.Version != "7.2.5-208" || u.State != "online" {
		t.Fatalf("unit: %+v", u)
	}
	// The fault was used up: the next attempt succeeds.
	id = h.upgrade(h.packageID(fp1k742), []ref{h.devRef("solo")}, nil)
	if ts := h.runUntilDone(id, 2*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("second attempt: %+v", ts)
	}
}

func TestUpgradeFailureRetryAndCancel(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp1k742)
	solo := []ref{h.devRef("solo")}
	if _, err := h.srv.AddFault(Fault{Kind: FaultUpgradeFail, Target: "solo", Count: 2}); err != nil {
		t.Fatal(err)
	}
	id := h.upgrade(pkg, solo, nil)
	if ts := h.runUntilDone(id, 2*time.Hour); ts.Status != "FAILED" || !strings.Contains(ts.SubTasks[0].Message, "Retry or cancel") {
		t.Fatalf("task: %+v", ts)
	}
	if u := h.unit("solo"); u.State != "upgrade_failed" {
		t.Fatalf("state %s", u.State)
	}
	resp, b := h.do("POST", "/api/fmc_platform/v1/updates/upgrades", map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": solo})
	if resp.StatusCode != 400 || !strings.Contains(string(b), "retry or cancel it first") {
		t.Fatalf("new upgrade over a failed one: %d %s", resp.StatusCode, b)
	}
	var rr targetsResponse
	h.call("POST", "/api/fmc_platform/v1/updates/retryupgrades", map[string]any{"targets": solo}, 201, &rr)
	if rr.Type != "RetryUpgrade" {
		t.Fatalf("retry response %+v", rr)
	}
	if ts := h.runUntilDone(rr.Metadata.Task.ID, 2*time.Hour); ts.Status != "FAILED" {
		t.Fatalf("retry should hit the second fault: %+v", ts)
	}
	var cr targetsResponse
	h.call("POST", "/api/fmc_platform/v1/updates/cancelupgrades", map[string]any{"targets": solo}, 201, &cr)
	if ts := h.runUntilDone(cr.Metadata.Task.ID, time.Hour); ts.Status != "COMPLETED" || !strings.Contains(ts.SubTasks[0].Message, "restored to 7.2.5") {
		t.Fatalf("cancel: %+v", ts)
	}
	if u := h.unit("solo"); u.State != "online" || u.Version != "7.2.5-208" {
		t.Fatalf("after cancel: %+v", u)
	}
	h.call("POST", "/api/fmc_platform/v1/updates/retryupgrades", map[string]any{"targets": solo}, 400, nil)
	h.call("POST", "/api/fmc_platform/v1/updates/cancelupgrades", map[string]any{"targets": solo}, 400, nil)
}

func TestCancelInProgressUpgrade(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	solo := []ref{h.devRef("solo")}
	id := h.upgrade(h.packageID(fp1k742), solo, nil)
	h.clock.Advance(20 * time.Minute) // installing
	var cr targetsResponse
	h.call("POST", "/api/fmc_platform/v1/updates/cancelupgrades", map[string]any{"targets": solo, "forceCancel": true}, 201, &cr)
	if ts := h.task(id); ts.Status != "FAILED" || !strings.Contains(ts.SubTasks[0].Message, "cancelled") {
		t.Fatalf("original task: %+v", ts)
	}
	if ts := h.runUntilDone(cr.Metadata.Task.ID, time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("cancel task: %+v", ts)
	}
	h.clock.Advance(2 * time.Hour) // stale events of the cancelled upgrade must do nothing
	if u := h.unit("solo"); u.Version != "7.2.5-208" || u.State != "online" {
		t.Fatalf("unit: %+v", u)
	}
}

func TestRevertUpgrade(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	solo := []ref{h.devRef("solo")}
	h.call("POST", "/api/fmc_platform/v1/updates/revertupgrades", map[string]any{"targets": solo}, 400, nil)
	id := h.upgrade(h.packageID(fp1k742), solo, map[string]any{"enableUpgradeRevert": true})
	h.runUntilDone(id, 2*time.Hour)
	if u := h.unit("solo"); u.Version != "7.4.2-172" || !u.RevertAvailable {
		t.Fatalf("after upgrade: %+v", u)
	}
	var rv targetsResponse
	h.call("POST", "/api/fmc_platform/v1/updates/revertupgrades", map[string]any{"targets": solo}, 201, &rv)
	if ts := h.runUntilDone(rv.Metadata.Task.ID, 2*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("revert: %+v", ts)
	}
	if u := h.unit("solo"); u.Version != "7.2.5-208" || u.RevertAvailable {
		t.Fatalf("after revert: %+v", u)
	}
}

// clusterScenario is a virtual cluster of three units.
func clusterScenario(t *testing.T) *Scenario {
	t.Helper()
	sc := &Scenario{Name: "cluster", ManagementCenter: ManagementCenter{Version: "7.4.2", Build: 172},
		Devices: []Device{
			{Name: "c1", Family: "threat_defense_virtual", Version: "7.2.5", Build: 208},
			{Name: "c2", Family: "threat_defense_virtual", Version: "7.2.5", Build: 208},
			{Name: "c3", Family: "threat_defense_virtual", Version: "7.2.5", Build: 208},
		},
		Clusters:        []Cluster{{Name: "vcl", Kind: "virtual", Control: "c1", Data: []string{"c2", "c3"}}},
		UpgradePackages: []UpgradePackage{{FileName: "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar"}},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestClusterUpgradeDataUnitsFirstAndRejoin(t *testing.T) {
	h := newHarness(t, clusterScenario(t))
	h.loginNow()
	cl := h.srv.Estate().Clusters[0]
	id := h.upgrade(h.packageID("Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar"), []ref{{ID: cl.ID, Type: "DeviceCluster"}}, nil)
	ts := h.task(id)
	var order []string
	for _, st := range ts.SubTasks {
		order = append(order, st.Target.Name)
	}
	if strings.Join(order, ",") != "c2,c3,c1" {
		t.Fatalf("order %v", order)
	}
	// c2 leaves the cluster during its install and rejoins after reboot.
	h.clock.Advance(20 * time.Minute)
	if u := h.unit("c2"); u.State != "upgrading" {
		t.Fatalf("c2: %+v", u)
	}
	h.clock.Advance(40 * time.Minute) // install 30 + reboot 12 after 14 → rejoining at 56..61
	if u := h.unit("c2"); u.State != "rejoining_cluster" {
		t.Fatalf("c2: %+v", u)
	}
	ts = h.runUntilDone(id, 6*time.Hour)
	if ts.Status != "COMPLETED" {
		t.Fatalf("task: %+v", ts)
	}
	e := h.srv.Estate()
	if e.Clusters[0].Control == "c1" {
		t.Fatal("the control role should have moved off c1 when it upgraded")
	}
	for _, u := range e.Units {
		if u.Version != "7.4.2-172" || u.State != "online" || !u.PendingDeployment {
			t.Fatalf("unit %+v", u)
		}
	}
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}

func TestClusterUnitsAtOnceBreachHA1(t *testing.T) {
	h := newHarness(t, clusterScenario(t))
	h.loginNow()
	pkg := h.packageID("Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar")
	h.upgrade(pkg, []ref{h.devRef("c2")}, nil)
	h.upgrade(pkg, []ref{h.devRef("c3")}, nil)
	if got := strings.Join(h.rules(), ","); got != "HA-1" {
		t.Fatalf("rules %s", got)
	}
}

func TestManagementCenterReadinessAndMultiInstanceChassis(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	fmcID := h.srv.Estate().ManagementCenter.ID
	id := h.upgrade(h.packageID("Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"), []ref{{ID: fmcID, Type: "ManagementCenter"}}, map[string]any{"readinessCheckOnly": true})
	if ts := h.runUntilDone(id, time.Hour); ts.Status != "COMPLETED" || !strings.Contains(ts.SubTasks[0].Message, "Management center readiness check for 7.6.1 passed") {
		t.Fatalf("fmc readiness: %+v", ts)
	}

	// Upgrade the 3130 multi-instance chassis, then an instance.
	var ch struct{ Items []managedChassisJSON }
	h.call("GET", h.cfg("/chassis/fmcmanagedchassis"), nil, 200, &ch)
	pkg := h.packageID("Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar")
	id = h.upgrade(pkg, []ref{{ID: ch.Items[0].ID, Type: "FMCManagedChassis"}}, nil)
	h.clock.Advance(45 * time.Minute) // copy 6 + readiness 8 + install 30: rebooting
	if u := h.unit("dc2-mi-fw1"); u.Connected || u.State != "chassis_down" {
		t.Fatalf("instance during chassis reboot: %+v", u)
	}
	if ts := h.runUntilDone(id, time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("chassis: %+v", ts)
	}
	if u := h.unit("dc2-sf3130-mi"); u.Version != "7.4.2-172" {
		t.Fatalf("chassis version %s", u.Version)
	}
	h.clock.Advance(10 * time.Minute) // instances start
	id = h.upgrade(pkg, []ref{h.devRef("dc2-mi-fw1")}, nil)
	if ts := h.runUntilDone(id, 2*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("instance: %+v", ts)
	}
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}

// The records of units that are not devices name the task working on them
// the way device records do, so a client that lost the task id sees the
// work in flight on the record: metadata.task while the management
// center's readiness check or a multi-instance chassis upgrade runs, gone
// once it ends.
func TestBusyChassisAndManagementCenterNameTheirTask(t *testing.T) {
	c := loadContract(t)
	h := newHarness(t, demo(t))
	h.loginNow()
	serverVersion := func() serverVersionJSON {
		var list struct{ Items []serverVersionJSON }
		b := h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, &list)
		c.list(t, b, "#ServerVersion", "serverversion")
		return list.Items[0]
	}
	fmcID := h.srv.Estate().ManagementCenter.ID
	id := h.upgrade(h.packageID("Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"), []ref{{ID: fmcID, Type: "ManagementCenter"}}, map[string]any{"readinessCheckOnly": true})
	if sv := serverVersion(); sv.Metadata == nil || sv.Metadata.Task == nil || sv.Metadata.Task.ID != id || sv.Metadata.Task.Type != "Task" {
		t.Fatalf("server version during its readiness check: %+v", sv.Metadata)
	}
	h.runUntilDone(id, time.Hour)
	if sv := serverVersion(); sv.Metadata != nil {
		t.Fatalf("server version after its readiness check: %+v", sv.Metadata)
	}

	ch := h.unit("dc2-sf3130-mi")
	path := h.cfg("/chassis/fmcmanagedchassis/" + ch.ID)
	record := func() managedChassisJSON {
		var j managedChassisJSON
		b := h.call("GET", path, nil, 200, &j)
		c.one(t, b, "#ManagedChassis", "fmcmanagedchassis")
		return j
	}
	if j := record(); j.Metadata == nil || j.Metadata.Task != nil {
		t.Fatalf("idle chassis: %+v", j.Metadata)
	}
	id = h.upgrade(h.packageID(fp3k742), []ref{{ID: ch.ID, Type: "FMCManagedChassis"}}, nil)
	for _, after := range []time.Duration{0, 40 * time.Minute} { // copying, then installing
		h.clock.Advance(after)
		if j := record(); j.Metadata == nil || j.Metadata.Task == nil || j.Metadata.Task.ID != id || j.Metadata.Task.Name != "Upgrade" {
			t.Fatalf("chassis %s into its upgrade: %+v", after, j.Metadata)
		}
	}
	var list struct{ Items []managedChassisJSON }
	h.call("GET", h.cfg("/chassis/fmcmanagedchassis?expanded=true"), nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Metadata.Task == nil || list.Items[0].Metadata.Task.ID != id {
		t.Fatalf("chassis list during the upgrade: %+v", list.Items)
	}
	if ts := h.runUntilDone(id, 2*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("chassis upgrade: %+v", ts)
	}
	if j := record(); j.Metadata == nil || j.Metadata.Task != nil || j.SWVersion != "7.4.2" {
		t.Fatalf("chassis after its upgrade: %s %+v", j.SWVersion, j.Metadata)
	}
}

func TestApplicableDevicesAndPackages(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var pk struct{ Items []upgradePackageJSON }
	h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages", nil, 200, &pk)
	if len(pk.Items) != 6 {
		t.Fatalf("%d packages", len(pk.Items))
	}
	var ssp upgradePackageJSON
	for _, p := range pk.Items {
		if p.Name == "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar" {
			ssp = p
		}
	}
	if m := ssp.Metadata; m == nil || m.UpgradeType != "Cisco FTD SSP Upgrade" || m.UpdateVersion != "7.4.2-172 IMS 172" || !m.RebootRequired || m.UpgradeFrom == "" {
		t.Fatalf("package metadata: %+v", ssp.Metadata)
	}
	var ad struct{ Items []applicableDeviceJSON }
	h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages/"+ssp.ID+"/applicabledevices?expanded=true", nil, 200, &ad)
	if len(ad.Items) != 8 {
		t.Fatalf("%d applicable devices, want the 8 units on 4100/9300", len(ad.Items))
	}
	for _, a := range ad.Items {
		if a.IsPartOfContainer != "true" || a.SWVersion != "7.2.5" || a.UpgradePackage == nil || a.UpgradePackage.ID != ssp.ID {
			t.Fatalf("applicable device %+v", a)
		}
	}
	h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages/nope/applicabledevices", nil, 404, nil)
	var del upgradePackageJSON
	h.call("DELETE", "/api/fmc_platform/v1/updates/upgradepackages/"+ssp.ID, nil, 200, &del)
	if del.ID != ssp.ID || del.Metadata == nil {
		t.Fatalf("delete returns the package: %+v", del)
	}
	h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages/"+ssp.ID, nil, 404, nil)
}

func TestDeviceBackup(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	p := h.pair("dc1-edge")
	var res backupResponse
	h.call("POST", h.cfg("/backup/operational/devicebackup"), map[string]any{"type": "DEVICE_BACKUP",
		"devices": []ref{{ID: p.ID, Type: "HAContainer", Name: p.Name}}, "retrieveToManagementCenter": true}, 202, &res)
	ts := h.runUntilDone(res.Metadata.Task.ID, 10*time.Minute)
	if ts.Status != "COMPLETED" || len(ts.SubTasks) != 2 {
		t.Fatalf("backup: %+v", ts)
	}
	if u := h.unit("dc1-edge-a"); u.LastBackup == nil {
		t.Fatal("no backup time recorded")
	}
	h.call("POST", h.cfg("/backup/operational/devicebackup"), map[string]any{"devices": []ref{{ID: "ghost"}}}, 400, nil)
}

func TestTaskList(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	h.call("GET", h.cfg("/job/taskstatuses"), nil, 400, nil)
	var l struct{ Items []taskStatusJSON }
	h.call("GET", h.cfg("/job/taskstatuses?filter=type:Deployment"), nil, 200, &l)
	if len(l.Items) != 1 || l.Items[0].TaskType != "DEVICE_DEPLOYMENT" {
		t.Fatalf("tasks: %+v", l.Items)
	}
	h.clock.Advance(5 * time.Minute)
	h.call("GET", h.cfg("/job/taskstatuses?filter=type:Deployment;status:COMPLETED"), nil, 200, &l)
	if len(l.Items) != 1 {
		t.Fatalf("completed deployments: %+v", l.Items)
	}
}

func TestMultiInstanceHAChassisOrderHA5(t *testing.T) {
	sc := &Scenario{Name: "mi-ha", ManagementCenter: ManagementCenter{Version: "7.4.2", Build: 172},
		Chassis: []Chassis{
			{Name: "mi-1", Kind: "multi_instance", Version: "7.4.1", Build: 172},
			{Name: "mi-2", Kind: "multi_instance", Version: "7.4.1", Build: 172},
		},
		Devices: []Device{
			{Name: "i1", Family: "secure_firewall_3100", Version: "7.4.1", Build: 172, Chassis: "mi-1"},
			{Name: "i2", Family: "secure_firewall_3100", Version: "7.4.1", Build: 172, Chassis: "mi-2"},
		},
		HAPairs:         []HAPair{{Name: "mi-pair", Primary: "i1", Secondary: "i2"}},
		UpgradePackages: []UpgradePackage{{FileName: fp3k742}},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, sc)
	h.loginNow()
	pkg := h.packageID(fp3k742)
	chassisRef := func(name string) []ref { return []ref{{ID: h.unit(name).ID, Type: "FMCManagedChassis"}} }
	// The chassis hosting the active instance goes first: HA-5.
	id := h.upgrade(pkg, chassisRef("mi-1"), nil)
	if got := strings.Join(h.rules(), ","); got != "HA-5" {
		t.Fatalf("rules %s", got)
	}
	h.runUntilDone(id, 2*time.Hour)
	if p := h.pair("mi-pair"); p.Active != "i2" {
		t.Fatalf("the active instance should have failed over: %s", p.Active)
	}
	// Its peer's chassis is now behind; upgrading it is the right order.
	h.srv.ClearAudit()
	h.clock.Advance(10 * time.Minute)
	id = h.upgrade(pkg, chassisRef("mi-2"), nil)
	h.runUntilDone(id, 2*time.Hour)
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}
