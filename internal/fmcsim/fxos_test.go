package fmcsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fxos is a chassis manager session.
type fxos struct {
	h     *harness
	base  string
	token string
}

func (h *harness) fxos(name string) *fxos {
	h.t.Helper()
	base := h.srv.ChassisURL(name)
	if base == "" {
		h.t.Fatalf("no chassis %s", name)
	}
	f := &fxos{h: h, base: base}
	f.login()
	return f
}

func (f *fxos) login() {
	f.h.t.Helper()
	req, _ := http.NewRequest("POST", f.base+"/api/login", nil)
	req.Header.Set("USERNAME", "admin")
	req.Header.Set("PASSWORD", "Admin123")
	resp, err := f.h.hc.Do(req)
	if err != nil {
		f.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ RefreshPeriod, Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || len(out.Token) != 64 || out.RefreshPeriod != "0" {
		f.h.t.Fatalf("fxos login: %d %+v %v", resp.StatusCode, out, err)
	}
	f.token = out.Token
}

// do returns the status and body, or status 0 when the connection dropped.
func (f *fxos) do(method, path string, body string) (int, []byte) {
	f.h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.base+path, rd)
	if f.token != "" {
		req.Header.Set("TOKEN", f.token)
	}
	resp, err := f.h.hc.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (f *fxos) get(path string, out any) {
	f.h.t.Helper()
	st, b := f.do("GET", path, "")
	if st != 200 {
		f.h.t.Fatalf("GET %s: %d %s", path, st, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		f.h.t.Fatal(err)
	}
}

func (f *fxos) running() string {
	var v struct{ FirmwareRunning []firmwareRunningJSON }
	f.get("/api/sys/firmware/version/mgmt", &v)
	return v.FirmwareRunning[0].PackageVersion
}

func installBody(v string) string {
	return `{"firmwarePlatformPack":[{"platformBundleVersion":"` + v + `","forceDeploy":"no"}]}`
}

func TestFXOSAuthentication(t *testing.T) {
	h := newHarness(t, demo(t))
	base := h.srv.ChassisURL("dc1-fxos-a")
	req, _ := http.NewRequest("POST", base+"/api/login", nil)
	req.Header.Set("USERNAME", "admin")
	req.Header.Set("PASSWORD", "wrong")
	resp, err := h.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 400 || e["error-code"] != "551" || e["error-description"] != "Authentication failed" {
		t.Fatalf("bad password: %d %v", resp.StatusCode, e)
	}
	anon := &fxos{h: h, base: base}
	if st, b := anon.do("GET", "/api/sys/firmware/version/mgmt", ""); st != 400 || !strings.Contains(string(b), `"552"`) {
		t.Fatalf("no token: %d %s", st, b)
	}
	f := h.fxos("dc1-fxos-a")
	if v := f.running(); v != "2.12(1.48)" {
		t.Fatalf("running %s", v)
	}
	// Idle sessions end after ten minutes.
	h.clock.Advance(11 * time.Minute)
	if st, _ := f.do("GET", "/api/sys/firmware/version/mgmt", ""); st != 400 {
		t.Fatalf("idle session still valid: %d", st)
	}
	f.login()
	if st, b := f.do("POST", "/api/logout", ""); st != 200 || !strings.Contains(string(b), "logout") {
		t.Fatalf("logout: %d %s", st, b)
	}
	if st, b := f.do("POST", "/api/logout", ""); st != 555 || !strings.Contains(string(b), `"555"`) {
		t.Fatalf("logout twice: %d %s", st, b)
	}
	// A multi-instance chassis has no chassis manager here.
	mi := &fxos{h: h, base: h.srv.ChassisURL("dc2-sf3130-mi")}
	if st, _ := mi.do("POST", "/api/login", ""); st != 404 {
		t.Fatalf("multi-instance chassis manager: %d", st)
	}
}

func TestFXOSDownloadAndInventory(t *testing.T) {
	h := newHarness(t, demo(t))
	f := h.fxos("dc1-fxos-a")
	var d struct{ FirmwareDistributable []distributableJSON }
	f.get("/api/sys/firmware/distrib", &d)
	if len(d.FirmwareDistributable) != 0 {
		t.Fatalf("dc1-fxos-a has images: %+v", d)
	}
	if st, _ := f.do("POST", "/api/sys/firmware/dnld", `{"firmwareDownloader":[{"fileName":"cisco-ftd.7.4.2.SPA.csp","protocol":"scp","server":"10.0.0.5"}]}`); st != 400 {
		t.Fatalf("non-bundle download: %d", st)
	}
	if st, _ := f.do("POST", "/api/sys/firmware/dnld", `{"firmwareDownloader":[{"fileName":"fxos-k9.2.14.1.131.SPA","protocol":"carrier-pigeon","server":"x"}]}`); st != 400 {
		t.Fatalf("bad protocol: %d", st)
	}
	st, b := f.do("POST", "/api/sys/firmware/dnld", `{"firmwareDownloader":[{"protocol":"scp","port":"22","dn":"sys/fw-catalogue/dnld-fxos-k9.2.14.1.131.SPA","user":"copy","pwd":"secret","remotePath":"/var/tmp","server":"10.0.0.5"}]}`)
	if st != 200 || !strings.Contains(string(b), `"transferState":"downloading"`) {
		t.Fatalf("download: %d %s", st, b)
	}
	h.clock.Advance(4 * time.Minute)
	var dl struct{ FirmwareDownloader []downloaderJSON }
	f.get("/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", &dl)
	if dl.FirmwareDownloader[0].TransferState != "downloading" || dl.FirmwareDownloader[0].FSMProgr != "50" {
		t.Fatalf("halfway: %+v", dl.FirmwareDownloader[0])
	}
	h.clock.Advance(4 * time.Minute)
	f.get("/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", &dl)
	if dl.FirmwareDownloader[0].TransferState != "downloaded" || dl.FirmwareDownloader[0].FSMStageDescr != "downloadSuccess" {
		t.Fatalf("done: %+v", dl.FirmwareDownloader[0])
	}
	f.get("/api/sys/firmware/distrib", &d)
	if len(d.FirmwareDistributable) != 1 || d.FirmwareDistributable[0].Version != "2.14(1.131)" || d.FirmwareDistributable[0].Type != "platformBundle" {
		t.Fatalf("distrib: %+v", d)
	}
	var val struct{ FirmwareValidationStatus []map[string]string }
	f.get("/api/sys/firmware/validate-platform-fw/2.14(1.131)", &val)
	if val.FirmwareValidationStatus[0]["overallStatusCode"] != "ok" {
		t.Fatalf("validation: %+v", val)
	}
	var apps struct{ SmAppInstance []appInstanceJSON }
	f.get("/api?classId=smAppInstance", &apps)
	if len(apps.SmAppInstance) != 1 || apps.SmAppInstance[0].Identifier != "dc1-edge-a" || apps.SmAppInstance[0].OperationalState != "online" || apps.SmAppInstance[0].RunningVersion != "7.2.5.208" {
		t.Fatalf("apps: %+v", apps)
	}
	var eq struct{ EquipmentChassis []map[string]string }
	f.get("/api?classId=equipmentChassis", &eq)
	if eq.EquipmentChassis[0]["model"] != "FPR-4125-K9" {
		t.Fatalf("chassis: %+v", eq)
	}
	if st, _ := f.do("GET", "/api?classId=nothing", ""); st != 400 {
		t.Fatalf("unknown class: %d", st)
	}

	// A failing download.
	if _, err := h.srv.AddFault(Fault{Kind: FaultFXOSDownloadFail, Target: "dc2-fxos-a"}); err != nil {
		t.Fatal(err)
	}
	g := h.fxos("dc2-fxos-a")
	g.do("POST", "/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", `{"firmwareDownloader":[{"protocol":"scp","server":"10.0.0.5"}]}`)
	h.clock.Advance(9 * time.Minute)
	g.get("/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", &dl)
	if dl.FirmwareDownloader[0].TransferState != "failed" || dl.FirmwareDownloader[0].FSMStatus != "fail" {
		t.Fatalf("failed download: %+v", dl.FirmwareDownloader[0])
	}
}

// upgradeChassis installs 2.14(1.131) on a chassis that holds the image and
// waits until its instances are back.
func (h *harness) upgradeChassis(name string) {
	h.t.Helper()
	f := h.fxos(name)
	var d struct{ FirmwareDistributable []distributableJSON }
	f.get("/api/sys/firmware/distrib", &d)
	if len(d.FirmwareDistributable) == 0 {
		f.do("POST", "/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", `{"firmwareDownloader":[{"protocol":"scp","server":"10.0.0.5"}]}`)
		h.clock.Advance(8 * time.Minute)
	}
	if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.14(1.131)")); st != 200 {
		h.t.Fatalf("install on %s: %d %s", name, st, b)
	}
	h.clock.Advance(time.Hour)
	f.login()
	if v := f.running(); v != "2.14(1.131)" {
		h.t.Fatalf("%s runs %s", name, v)
	}
}

func TestFXOSInstallStandbyChassisFirst(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	f := h.fxos("dc1-fxos-b") // hosts the standby dc1-edge-b and already holds the image
	if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.16(0.128)")); st != 400 || !strings.Contains(string(b), "download it first") {
		t.Fatalf("install without image: %d %s", st, b)
	}
	if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", `{"firmwarePlatformPack":[{"version":"x"}]}`); st != 400 {
		t.Fatalf("bad body: %d %s", st, b)
	}
	if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.14.1.131")); st != 200 {
		t.Fatalf("install: %d %s", st, b)
	}
	if st, _ := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.14.1.131")); st != 400 {
		t.Fatal("a second install was accepted")
	}
	var fsm struct{ FirmwareSystemFsm []map[string]string }
	f.get("/api/sys/fw-system/fsm", &fsm)
	if fsm.FirmwareSystemFsm[0]["fsmStatus"] != "inProgress" {
		t.Fatalf("fsm: %+v", fsm)
	}
	// Validation 1 min + install 20 min, then the reboot: the chassis
	// manager drops connections and the device is gone from the
	// management center.
	h.clock.Advance(22 * time.Minute)
	if st, _ := f.do("GET", "/api/sys/fw-system/fsm", ""); st != 0 {
		t.Fatalf("chassis manager answered during reboot: %d", st)
	}
	if u := h.unit("dc1-edge-b"); u.Connected || u.State != "chassis_down" {
		t.Fatalf("instance during reboot: %+v", u)
	}
	if p := h.pair("dc1-edge"); p.Active != "dc1-edge-a" {
		t.Fatalf("the active unit is elsewhere and must stay active: %s", p.Active)
	}
	h.clock.Advance(15 * time.Minute) // reboot over; instances starting
	if st, _ := f.do("GET", "/api/sys/fw-system/fsm", ""); st != 400 {
		t.Fatalf("sessions must end with the reboot: %d", st)
	}
	f.login()
	f.get("/api/sys/fw-system/fsm", &fsm)
	if fsm.FirmwareSystemFsm[0]["fsmStatus"] != "success" || fsm.FirmwareSystemFsm[0]["progress"] != "100" {
		t.Fatalf("fsm after install: %+v", fsm)
	}
	var apps struct{ SmAppInstance []appInstanceJSON }
	f.get("/api?classId=smAppInstance", &apps)
	if apps.SmAppInstance[0].OperationalState != "starting" {
		t.Fatalf("apps: %+v", apps)
	}
	h.clock.Advance(6 * time.Minute)
	f.get("/api?classId=smAppInstance", &apps)
	if apps.SmAppInstance[0].OperationalState != "online" || !h.unit("dc1-edge-b").Connected {
		t.Fatalf("apps after start: %+v", apps)
	}
	if v := f.running(); v != "2.14(1.131)" {
		t.Fatalf("running %s", v)
	}

	// Switch roles, then the chassis of the new standby.
	p := h.pair("dc1-edge")
	h.call("PUT", h.cfg("/devicehapairs/ftddevicehapairs/"+p.ID), map[string]string{"action": "SWITCH"}, 200, nil)
	h.clock.Advance(time.Minute)
	h.upgradeChassis("dc1-fxos-a")
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}

	// Now threat defense 7.4.2 passes the FXOS check (ORDER-4).
	h.clock.Advance(10 * time.Minute)
	id := h.upgrade(h.packageID("Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar"), []ref{{ID: p.ID, Type: "DeviceHAPair"}}, nil)
	if ts := h.runUntilDone(id, 3*time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("threat defense: %+v", ts)
	}
	if br := h.srv.Audit(); len(br) != 0 {
		t.Fatalf("breaches: %+v", br)
	}
}

func TestFXOSActiveChassisFirstBreachesHA3(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	h.upgradeChassis("dc1-fxos-a") // hosts the active unit
	br := h.srv.Audit()
	if len(br) != 1 || br[0].Rule != "HA-3" || br[0].Target != "dc1-edge" || !strings.Contains(br[0].Detail, "dc1-fxos-b") {
		t.Fatalf("breaches: %+v", br)
	}
	// Its active unit failed over when the chassis went down (HA-6).
	if p := h.pair("dc1-edge"); p.Active != "dc1-edge-b" {
		t.Fatalf("active %s", p.Active)
	}
}

func TestFXOSTwoChassisOfOnePairAtOnce(t *testing.T) {
	h := newHarness(t, demo(t))
	for _, name := range []string{"dc2-fxos-a", "dc2-fxos-b"} {
		f := h.fxos(name)
		f.do("POST", "/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", `{"firmwareDownloader":[{"protocol":"scp","server":"10.0.0.5"}]}`)
	}
	h.clock.Advance(8 * time.Minute)
	// dc2-edge-b (on dc2-fxos-b) is active: start with the standby chassis.
	for _, name := range []string{"dc2-fxos-a", "dc2-fxos-b"} {
		f := h.fxos(name)
		if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.14(1.131)")); st != 200 {
			t.Fatalf("%s: %d %s", name, st, b)
		}
	}
	// Both: the chassis overlap (HA-1) and the active unit's chassis goes
	// before the standby's has finished (HA-3).
	if got := strings.Join(h.rules(), ","); got != "HA-1,HA-3" {
		t.Fatalf("rules %s: %+v", got, h.srv.Audit())
	}
}

func TestFXOSClusterControlChassisFirstBreachesHA4(t *testing.T) {
	h := newHarness(t, demo(t))
	if _, err := h.srv.AddFault(Fault{Kind: FaultDoubleReboot, Target: "dc1-fp9300-2"}); err != nil {
		t.Fatal(err)
	}
	h.upgradeChassis("dc1-fp9300-1") // hosts the control unit dc1-core-1
	if got := strings.Join(h.rules(), ","); got != "HA-4" {
		t.Fatalf("rules %s: %+v", got, h.srv.Audit())
	}
	if e := h.srv.Estate(); e.Clusters[0].Control == "dc1-core-1" {
		t.Fatal("the control role should have moved to the other chassis")
	}
}

func TestFXOSDoubleReboot(t *testing.T) {
	h := newHarness(t, demo(t))
	// dc1-fp9300-2 has firmware_update set: a 2.14.1+ install reboots twice.
	f := h.fxos("dc1-fp9300-2")
	f.do("POST", "/api/sys/firmware/dnld/fxos-k9.2.14.1.131.SPA", `{"firmwareDownloader":[{"protocol":"scp","server":"10.0.0.5"}]}`)
	h.clock.Advance(8 * time.Minute)
	if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.14(1.131)")); st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	// Timeline: validate 1, install 20, reboot 15, up 2, reboot 15.
	checks := []struct {
		at time.Duration
		up bool
	}{{20 * time.Minute, true}, {22 * time.Minute, false}, {36*time.Minute + 30*time.Second, true}, {39 * time.Minute, false}, {54 * time.Minute, true}}
	var elapsed time.Duration
	downs := 0
	for _, c := range checks {
		h.clock.Advance(c.at - elapsed)
		elapsed = c.at
		f.token = ""
		st, _ := f.do("POST", "/api/login", "")
		if up := st != 0; up != c.up {
			t.Fatalf("at %s: reachable=%v, want %v", c.at, up, c.up)
		}
		if !c.up {
			downs++
		}
	}
	if downs != 2 {
		t.Fatalf("%d outages", downs)
	}
	f.login()
	var fsm struct{ FirmwareSystemFsm []map[string]string }
	f.get("/api/sys/fw-system/fsm", &fsm)
	if fsm.FirmwareSystemFsm[0]["fsmStatus"] != "success" {
		t.Fatalf("fsm: %+v", fsm)
	}
}

func TestFXOSInstallEdgeCases(t *testing.T) {
	h := newHarness(t, demo(t))
	f := h.fxos("dc1-fxos-b")
	if st, b := f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.12(1.48)")); st != 200 || !strings.Contains(string(b), "2.12(1.48)") {
		t.Fatalf("same release: %d %s", st, b)
	}
	if st, _ := f.do("PATCH", "/api/sys/firmware/cancel-platform-fw", "{}"); st != 400 {
		t.Fatal("cancel without an install")
	}
	f.do("PATCH", "/api/sys/firmware/sched-platform-fw", installBody("2.14(1.131)"))
	if st, _ := f.do("PATCH", "/api/sys/firmware/cancel-platform-fw", "{}"); st != 200 {
		t.Fatal("cancel during validation")
	}
	h.clock.Advance(time.Hour)
	f.login()
	if v := f.running(); v != "2.12(1.48)" {
		t.Fatalf("cancelled install changed the version: %s", v)
	}
	var sys struct{ FirmwareSystem []map[string]string }
	f.get("/api/sys/fw-system", &sys)
	if sys.FirmwareSystem[0]["operState"] != "failed" {
		t.Fatalf("system: %+v", sys)
	}
}

func TestParseFXOSInstallBody(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{installBody("2.14(1.131)"), "2.14(1.131)", ""},
		{installBody("2.14.1.131"), "2.14(1.131)", ""},
		{`{"firmwarePlatformPack":[{"platformBundleVersion":"2.14(1.131)","forceDeploy":"yes"}]}`, "2.14(1.131)", ""},
		{installBody("2.14"), "", "full version"},
		{installBody("banana"), "", "FXOS"},
		{`{"firmwarePlatformPack":[{"platformBundleVersion":"2.14(1.131)","forceDeploy":"maybe"}]}`, "", "forceDeploy"},
		{`{"firmwarePlatformPack":[]}`, "", "expected"},
		{`[`, "", "invalid JSON"},
	}
	for _, tc := range cases {
		v, err := parseFXOSInstallBody([]byte(tc.in))
		switch {
		case tc.err == "" && (err != nil || v.Display() != tc.want):
			t.Errorf("%s: %v %v", tc.in, v.Display(), err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
		}
	}
}
