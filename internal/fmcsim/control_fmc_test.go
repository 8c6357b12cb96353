package fmcsim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The control API upgrades the management center the way its operator
// would in the web interface: only to a listed management center package
// newer than what it runs, only after that package's readiness check
// passed and with no task running; then every session ends and the
// package is gone.
func TestControlManagementCenterUpgrade(t *testing.T) {
	h := newHarness(t, demo(t))
	const path = "/simulator/v1/management_center/upgrade"
	const pkgFile = "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"
	refused := func(body any, status int, want string) {
		t.Helper()
		var out struct{ Error string }
		h.call("POST", path, body, status, &out)
		if !strings.Contains(out.Error, want) {
			t.Errorf("POST %v: %q does not say %q", body, out.Error, want)
		}
	}
	refused(map[string]string{"version": "7.6.1"}, 409, "no readiness check of "+pkgFile+" has passed")
	refused(map[string]string{"version": "7.4.2"}, 400, "no management center upgrade package for 7.4.2")
	refused(map[string]string{"version": "7.6.1-300"}, 400, "packages listed: 7.6.1-291")
	refused(map[string]string{"version": "seven"}, 400, "version:")
	refused(map[string]string{}, 400, "expected {\"version\"")
	refused(map[string]string{"version": "7.6.1", "force": "yes"}, 400, "expected {\"version\"")

	h.loginNow()
	fmcRef := []ref{{ID: h.srv.Estate().ManagementCenter.ID, Type: "ManagementCenter"}}
	pkg := h.packageID(pkgFile)
	readiness := map[string]any{"readinessCheckOnly": true}

	// A failed check does not count; one still running blocks.
	if _, err := h.srv.AddFault(Fault{Kind: FaultReadinessFail, Target: "fmc01.corp.example.com"}); err != nil {
		t.Fatal(err)
	}
	h.runUntilDone(h.upgrade(pkg, fmcRef, readiness), time.Hour)
	refused(map[string]string{"version": "7.6.1"}, 409, "no readiness check")
	id := h.upgrade(pkg, fmcRef, readiness)
	refused(map[string]string{"version": "7.6.1"}, 409, "readiness check (task "+id+") is still running")
	if ts := h.runUntilDone(id, time.Hour); ts.Status != statusCompleted {
		t.Fatalf("readiness check: %+v", ts)
	}

	// Tasks running elsewhere would be cut short.
	push := h.upgrade(h.packageID(fp1k742), []ref{h.devRef("br-fw-01")}, map[string]any{"pushUpgradeFileOnly": true})
	refused(map[string]string{"version": "7.6.1"}, 409, "tasks are running: "+push+" (Package push)")
	h.runUntilDone(push, time.Hour)

	oldToken := h.token
	var out map[string]EstateFMC
	h.call("POST", path, map[string]string{"version": "7.6.1"}, 200, &out)
	if mc := out["management_center"]; mc.Version != "7.6.1-291" || mc.Hostname != "fmc01.corp.example.com" {
		t.Fatalf("answer: %+v", out)
	}
	if v := h.srv.Estate().ManagementCenter.Version; v != "7.6.1-291" {
		t.Fatalf("estate: management center at %s", v)
	}
	// The reboot that ends an upgrade ends every session.
	h.token = oldToken
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 401, nil)
	h.loginNow()
	var sv struct{ Items []serverVersionJSON }
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, &sv)
	if sv.Items[0].ServerVersion != "7.6.1 (build 291)" || !strings.HasPrefix(sv.Items[0].Uptime, "0 days, 0 hours, 0 minutes") {
		t.Fatalf("server version after the upgrade: %+v", sv.Items[0])
	}
	var list struct{ Items []upgradePackageJSON }
	h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages", nil, 200, &list)
	for _, p := range list.Items {
		if p.Name == pkgFile {
			t.Errorf("the installed package is still listed")
		}
	}
	refused(map[string]string{"version": "7.6.1"}, 400, "no management center upgrade package for 7.6.1")
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}

// A version the management center cannot move to is refused for what it
// is: older, the one it runs, or one with no direct path.
func TestControlManagementCenterUpgradePath(t *testing.T) {
	sc := demo(t)
	sc.ManagementCenter.Version, sc.ManagementCenter.Build = "7.6.1", 291
	sc.UpgradePackages = append(sc.UpgradePackages, UpgradePackage{FileName: "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.4.2-172.sh.REL.tar"})
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, sc)
	var out struct{ Error string }
	h.call("POST", "/simulator/v1/management_center/upgrade", map[string]string{"version": "7.4.2"}, 400, &out)
	if !strings.Contains(out.Error, "newer than 7.4.2-172; it cannot be downgraded") {
		t.Fatalf("downgrade: %s", out.Error)
	}
	h.call("POST", "/simulator/v1/management_center/upgrade", map[string]string{"version": "7.6.1"}, 400, &out)
	if !strings.Contains(out.Error, "already runs 7.6.1-291") {
		t.Fatalf("same version: %s", out.Error)
	}

	old := &Scenario{Name: "old", ManagementCenter: ManagementCenter{Version: "6.4.0"},
		UpgradePackages: []UpgradePackage{{FileName: "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"}}}
	if err := old.Validate(); err != nil {
		t.Fatal(err)
	}
	h = newHarness(t, old)
	b := h.call("POST", "/simulator/v1/management_center/upgrade", map[string]string{"version": "7.6.1"}, 400, nil)
	if err := json.Unmarshal(b, &out); err != nil || !strings.Contains(out.Error, "cannot be upgraded directly from 6.4.0 to 7.6.1 (PATH-1)") {
		t.Fatalf("no direct path: %s", b)
	}
}
