package fmcsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestControlAPI(t *testing.T) {
	h := newHarness(t, demo(t))
	var audit map[string]json.RawMessage
	h.call("GET", "/simulator/v1/audit", nil, 200, &audit)
	if string(audit["breaches"]) != "[]" {
		t.Fatalf("empty audit must be an empty list: %s", audit["breaches"])
	}
	h.loginNow()
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, nil)
	pkg := h.packageID("Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar")
	h.upgrade(pkg, []ref{h.devRef("dc1-edge-a")}, nil) // active before standby and before FXOS

	var ab struct{ Breaches []map[string]any }
	h.call("GET", "/simulator/v1/audit", nil, 200, &ab)
	if len(ab.Breaches) != 2 {
		t.Fatalf("breaches %+v", ab.Breaches)
	}
	for _, b := range ab.Breaches {
		for _, k := range []string{"rule", "target", "detail", "at"} {
			if _, ok := b[k]; !ok || len(b) != 4 {
				t.Fatalf("breach fields %v", b)
			}
		}
	}

	var st map[string]json.RawMessage
	h.call("GET", "/simulator/v1/stats", nil, 200, &st)
	for _, k := range []string{"requests", "throttled", "by_route", "upgrade_requests", "duplicate_upgrade_requests"} {
		if _, ok := st[k]; !ok {
			t.Fatalf("stats lacks %s: %s", k, st)
		}
	}
	var stats Stats
	h.call("GET", "/simulator/v1/stats", nil, 200, &stats)
	if stats.Requests != 4 || stats.UpgradeRequests != 1 || stats.ByRoute["GET /api/fmc_platform/v1/info/serverversion"] != 1 ||
		stats.ByRoute["POST /api/fmc_platform/v1/auth/generatetoken"] != 1 || stats.Logins != 1 || stats.ByStatus["204"] != 1 {
		t.Fatalf("stats %+v", stats)
	}

	var est Estate
	h.call("GET", "/simulator/v1/estate", nil, 200, &est)
	if len(est.Units) != 23 || len(est.HAPairs) != 2 || len(est.Clusters) != 1 || est.ManagementCenter.Version != "7.4.2-172" || !est.Time.Equal(t0) {
		t.Fatalf("estate: %d units %+v", len(est.Units), est.ManagementCenter)
	}
	roles := map[string]string{}
	for _, u := range est.Units {
		roles[u.Name] = u.Role + "/" + u.State
	}
	if roles["dc1-edge-a"] != "active/copying_package" || roles["dc1-edge-b"] != "standby/online" || roles["dc1-core-1"] != "control/online" ||
		roles["br-fw-01"] != "standalone/online" || roles["dc1-fxos-a"] != "chassis/online" {
		t.Fatalf("roles %v", roles)
	}

	var fs struct{ Faults []Fault }
	h.call("POST", "/simulator/v1/faults", map[string]any{"kind": "server_error", "count": 2}, 201, &fs)
	if len(fs.Faults) != 1 || fs.Faults[0].ID == "" || fs.Faults[0].Status != 503 {
		t.Fatalf("added %+v", fs)
	}
	h.call("POST", "/simulator/v1/faults", map[string]any{"faults": []map[string]any{{"kind": "disconnect", "target": "br-fw-01", "duration": "5m"}, {"kind": "out_of_sync", "target": "dc2-edge"}}}, 201, &fs)
	if len(fs.Faults) != 2 || fs.Faults[1].Duration.D() != 15*time.Minute {
		t.Fatalf("added %+v", fs)
	}
	h.call("POST", "/simulator/v1/faults", map[string]any{"kind": "disconnect", "target": "nobody"}, 400, nil)
	h.call("POST", "/simulator/v1/faults", map[string]any{"kind": "server_error", "colour": "red"}, 400, nil)
	h.call("POST", "/simulator/v1/faults", "{", 400, nil)
	var listed struct{ Faults []FaultStatus }
	h.call("GET", "/simulator/v1/faults", nil, 200, &listed)
	if len(listed.Faults) != 3 || listed.Faults[0].Remaining == nil || *listed.Faults[0].Remaining != 2 {
		t.Fatalf("faults %+v", listed.Faults)
	}

	var now map[string]time.Time
	h.call("POST", "/simulator/v1/clock", map[string]string{"advance": "10m"}, 200, &now)
	if !now["now"].Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("clock %v", now)
	}
	h.call("POST", "/simulator/v1/clock", map[string]string{"advance": "-1m"}, 400, nil)
	h.call("DELETE", "/simulator/v1/audit", nil, 200, nil)
	if len(h.srv.Audit()) != 0 {
		t.Fatal("audit not cleared")
	}
	h.call("GET", "/simulator/v1/nothing", nil, 404, nil)
	if got := h.srv.Stats().Requests; got != 4 {
		t.Fatalf("control requests were counted: %d", got)
	}
}

func TestControlClockNeedsManualClock(t *testing.T) {
	srv := StartTest(t, Options{PlainHTTP: true, TimeScale: 60})
	resp, err := srv.Client().Post(srv.URL()+"/simulator/v1/clock", "application/json", strings.NewReader(`{"advance":"1m"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestLoopbackOnly(t *testing.T) {
	srv, err := New(Options{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/simulator/v1/audit", "/api/fmc_platform/v1/info/serverversion"} {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "192.0.2.10:40000"
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("%s from a remote address: %d", path, rec.Code)
		}
	}
	for _, addr := range []string{"0.0.0.0:8443", "192.0.2.1:8443", ":8443", "example.com:443", "nonsense"} {
		if CheckLoopback(addr) == nil {
			t.Errorf("CheckLoopback(%q) accepted", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:8443", "[::1]:0", "localhost:8443"} {
		if err := CheckLoopback(addr); err != nil {
			t.Errorf("CheckLoopback(%q): %v", addr, err)
		}
	}
	if _, err := Start(t.Context(), Options{Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("Start listened on a non-loopback address")
	}
}

func TestTLSAndContextShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") || !strings.Contains(string(srv.CACertPEM()), "BEGIN CERTIFICATE") {
		t.Fatalf("URL %s", srv.URL())
	}
	resp, err := srv.Client().Get(srv.URL() + "/simulator/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := http.Get(srv.URL() + "/simulator/v1/stats"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an untrusting client connected: %v", err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := srv.Client().Get(srv.URL() + "/simulator/v1/stats")
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server still up after its context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}
