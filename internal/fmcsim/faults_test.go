package fmcsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRequestFaults(t *testing.T) {
	sv := "/api/fmc_platform/v1/info/serverversion"
	cases := []struct {
		name  string
		fault Fault
		want  []int // statuses of consecutive requests; 0 = connection dropped
	}{
		{"server errors", Fault{Kind: FaultServerError, Count: 2, Path: sv}, []int{503, 503, 200}},
		{"chosen 5xx", Fault{Kind: FaultServerError, Status: 500, Path: sv}, []int{500, 200}},
		{"429 burst", Fault{Kind: FaultRateLimit, Count: 3}, []int{429, 429, 429, 200}},
		{"skip then fire", Fault{Kind: FaultServerError, Skip: 2, Count: 1, Method: "GET", Path: sv}, []int{200, 200, 503, 200}},
		{"other method untouched", Fault{Kind: FaultServerError, Method: "POST", Path: sv}, []int{200, 200}},
		{"other path untouched", Fault{Kind: FaultServerError, Path: "/api/fmc_config"}, []int{200}},
		{"dropped connection", Fault{Kind: FaultDropConnection, Count: 1}, []int{0, 200}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, demo(t))
			h.loginNow()
			if _, err := h.srv.AddFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			// net/http resends an idempotent request whose reused
			// connection closed; fresh connections show the drop as it is.
			hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			for i, want := range tc.want {
				req, _ := http.NewRequest("GET", h.srv.URL()+sv, nil)
				req.Header.Set("X-auth-access-token", h.token)
				resp, err := hc.Do(req)
				got := 0
				if err == nil {
					got = resp.StatusCode
					if got >= 500 || got == 429 {
						var eb errorBody
						if json.NewDecoder(resp.Body).Decode(&eb) != nil || len(eb.Error.Messages) == 0 {
							t.Fatalf("request %d: %d without an error body", i, got)
						}
					}
					resp.Body.Close()
				}
				if got != want {
					t.Fatalf("request %d: status %d, want %d", i, got, want)
				}
			}
		})
	}
}

// A rate limit without a path is the management center's: chassis
// managers pass untouched and do not use up its count. A path under
// /fxos/ throttles them.
func TestRateLimitFaultWithoutPathSparesChassisManagers(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	if _, err := h.srv.AddFault(Fault{Kind: FaultRateLimit, Count: 2}); err != nil {
		t.Fatal(err)
	}
	fx := h.fxos("dc1-fxos-a")
	for i := 0; i < 3; i++ {
		if st, b := fx.do("GET", "/api/sys/firmware/version/system", ""); st != 200 {
			t.Fatalf("chassis manager request %d: %d %s", i, st, b)
		}
	}
	sv := "/api/fmc_platform/v1/info/serverversion"
	h.call("GET", sv, nil, 429, nil)
	h.call("GET", sv, nil, 429, nil)
	h.call("GET", sv, nil, 200, nil)

	if _, err := h.srv.AddFault(Fault{Kind: FaultRateLimit, Path: "/fxos/", Count: 1}); err != nil {
		t.Fatal(err)
	}
	h.call("GET", sv, nil, 200, nil)
	if st, b := fx.do("GET", "/api/sys/firmware/version/system", ""); st != 429 {
		t.Fatalf("chassis manager under an /fxos/ rate limit: %d %s", st, b)
	}
	if st, _ := fx.do("GET", "/api/sys/firmware/version/system", ""); st != 200 {
		t.Fatalf("chassis manager after the fault: %d", st)
	}
}

func TestDroppedResponseStillTakesEffect(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp1k742)
	if _, err := h.srv.AddFault(Fault{Kind: FaultDropConnection, Phase: "after", Method: "POST", Path: "/api/fmc_platform/v1/updates/upgrades"}); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": []ref{h.devRef("solo")}})
	req, _ := http.NewRequest("POST", h.srv.URL()+"/api/fmc_platform/v1/updates/upgrades", bytes.NewReader(body))
	req.Header.Set("X-auth-access-token", h.token)
	if resp, err := h.hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("response delivered: %d", resp.StatusCode)
	}
	// The client never saw the task, but the upgrade runs: resending blindly
	// is a duplicate.
	if u := h.unit("solo"); u.State != "copying_package" {
		t.Fatalf("solo: %+v", u)
	}
	resp, _ := h.do("POST", "/api/fmc_platform/v1/updates/upgrades", string(body))
	if resp.StatusCode != 400 || h.srv.Stats().DuplicateUpgradeRequests != 1 {
		t.Fatalf("resend: %d, stats %+v", resp.StatusCode, h.srv.Stats())
	}
	if h.srv.Stats().DroppedConnections != 1 {
		t.Fatalf("stats: %+v", h.srv.Stats())
	}
}

func TestDroppedRequestIsLost(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	pkg := h.packageID(fp1k742)
	if _, err := h.srv.AddFault(Fault{Kind: FaultDropConnection, Method: "POST"}); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"upgradePackage": map[string]string{"id": pkg}, "targets": []ref{h.devRef("solo")}})
	req, _ := http.NewRequest("POST", h.srv.URL()+"/api/fmc_platform/v1/updates/upgrades", bytes.NewReader(body))
	req.Header.Set("X-auth-access-token", h.token)
	if resp, err := h.hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("response delivered")
	}
	if u := h.unit("solo"); u.State != "online" || h.srv.Stats().UpgradeRequests != 0 {
		t.Fatalf("a request dropped before processing took effect: %+v", u)
	}
	h.upgrade(pkg, []ref{h.devRef("solo")}, nil)
}

func TestSlowResponse(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	if _, err := h.srv.AddFault(Fault{Kind: FaultSlowResponse, Delay: Duration(150 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, nil)
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("answered in %s", el)
	}
	start = time.Now()
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, nil)
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Fatalf("second request also slow: %s", el)
	}
}

func TestTimeBoundedRequestFault(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	if _, err := h.srv.AddFault(Fault{Kind: FaultServerError, Duration: Duration(time.Minute), StartAfter: Duration(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	sv := "/api/fmc_platform/v1/info/serverversion"
	h.call("GET", sv, nil, 200, nil)
	h.clock.Advance(time.Minute)
	h.call("GET", sv, nil, 503, nil)
	h.call("GET", sv, nil, 503, nil)
	h.clock.Advance(time.Minute)
	h.call("GET", sv, nil, 200, nil)
}

func TestStateFaults(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	p := h.pair("dc1-edge")
	for _, f := range []Fault{
		{Kind: FaultSplitBrain, Target: "dc1-edge", Duration: Duration(10 * time.Minute)},
		{Kind: FaultDisconnect, Target: "br-fw-01", Duration: Duration(20 * time.Minute), StartAfter: Duration(time.Minute)},
	} {
		if _, err := h.srv.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	var ha haPairJSON
	h.call("GET", h.cfg("/devicehapairs/ftddevicehapairs/"+p.ID), nil, 200, &ha)
	if ha.Metadata.ConfigStatus != "SPLIT_BRAIN" || ha.Metadata.PrimaryStatus.CurrentStatus != "Active" || ha.Metadata.SecondaryStatus.CurrentStatus != "Active" {
		t.Fatalf("split brain: %+v", ha.Metadata)
	}
	var al struct{ Items []healthAlertJSON }
	h.call("GET", h.cfg("/health/alerts?filter=moduleIDs:FTD_HA;status:RED"), nil, 200, &al)
	if len(al.Items) != 2 {
		t.Fatalf("FTD_HA alerts: %+v", al.Items)
	}
	if !h.unit("br-fw-01").Connected {
		t.Fatal("disconnect started early")
	}
	h.clock.Advance(time.Minute)
	var d deviceJSON
	h.call("GET", h.cfg("/devices/devicerecords/"+h.unit("br-fw-01").ID), nil, 200, &d)
	if *d.IsConnected || d.HealthStatus != "red" {
		t.Fatalf("disconnected device: %+v", d)
	}
	h.clock.Advance(10 * time.Minute)
	h.call("GET", h.cfg("/devicehapairs/ftddevicehapairs/"+p.ID), nil, 200, &ha)
	if ha.Metadata.ConfigStatus != "IN_SYNC" || ha.Metadata.SecondaryStatus.CurrentStatus != "Standby" {
		t.Fatalf("after split brain: %+v", ha.Metadata)
	}
	h.clock.Advance(10 * time.Minute)
	if !h.unit("br-fw-01").Connected {
		t.Fatal("still disconnected after the window")
	}
	for _, fs := range h.srv.Faults() {
		if fs.Active {
			t.Fatalf("fault still active: %+v", fs)
		}
	}
}

func TestReadinessFaultAndFaultValidation(t *testing.T) {
	h := newHarness(t, haScenario(t))
	h.loginNow()
	if _, err := h.srv.AddFault(Fault{Kind: FaultReadinessFail, Target: "solo", Message: "NTP offset too large."}); err != nil {
		t.Fatal(err)
	}
	id := h.upgrade(h.packageID(fp1k742), []ref{h.devRef("solo")}, map[string]any{"readinessCheckOnly": true})
	if ts := h.runUntilDone(id, time.Hour); ts.Status != "FAILED" || !strings.Contains(ts.SubTasks[0].Message, "NTP offset too large.") {
		t.Fatalf("readiness: %+v", ts)
	}
	id = h.upgrade(h.packageID(fp1k742), []ref{h.devRef("solo")}, map[string]any{"readinessCheckOnly": true})
	if ts := h.runUntilDone(id, time.Hour); ts.Status != "COMPLETED" {
		t.Fatalf("the fault fires once: %+v", ts)
	}
	bad := []Fault{
		{Kind: FaultReadinessFail, Target: "ghost"},
		{Kind: FaultSplitBrain, Target: "solo"},
		{Kind: FaultDoubleReboot, Target: "solo"},
		{Kind: FaultServerError, Status: 404},
		{Kind: FaultDropConnection, Phase: "during"},
		{Kind: FaultRevokeTokens, Count: 3},
		{Kind: FaultServerError, Target: "solo"},
		{Kind: FaultRateLimit, Path: "api"},
	}
	for _, f := range bad {
		if _, err := h.srv.AddFault(f); err == nil {
			t.Errorf("accepted %+v", f)
		}
	}
}

func TestScenarioFaultsAreInstalled(t *testing.T) {
	sc := demo(t)
	sc.Faults = []Fault{{Kind: FaultServerError, Count: 1, Path: "/api/fmc_platform/v1/info/serverversion"}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, sc)
	h.loginNow()
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 503, nil)
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, nil)
}
