package fmcsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 8, 22, 0, 0, 0, time.UTC)

// harness is a simulator on a manual clock and a logged-in client.
type harness struct {
	t              *testing.T
	srv            *Server
	clock          *ManualClock
	hc             *http.Client
	token, refresh string
	loginAt        time.Time
	manualAuth     bool // tests of the token rules manage tokens themselves
}

func newHarness(t *testing.T, sc *Scenario, mod ...func(*Options)) *harness {
	t.Helper()
	clock := NewManualClock(t0)
	opts := Options{Scenario: sc, Clock: clock, PlainHTTP: true}
	for _, m := range mod {
		m(&opts)
	}
	srv := StartTest(t, opts)
	h := &harness{t: t, srv: srv, clock: clock, hc: srv.Client()}
	return h
}

func demo(t *testing.T) *Scenario {
	t.Helper()
	sc, ok := Builtin("demo")
	if !ok {
		t.Fatal("no demo scenario")
	}
	return sc
}

func (h *harness) loginNow() {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL()+"/api/fmc_platform/v1/auth/generatetoken", nil)
	req.SetBasicAuth("admin", "Admin123")
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		h.t.Fatalf("login: status %d", resp.StatusCode)
	}
	h.token = resp.Header.Get("X-auth-access-token")
	h.refresh = resp.Header.Get("X-auth-refresh-token")
	h.loginAt = h.clock.Now()
}

// fresh logs in again when the simulated clock has moved close to the
// token's end, as a client would.
func (h *harness) fresh() {
	if !h.manualAuth && h.token != "" && h.clock.Now().Sub(h.loginAt) >= 25*time.Minute {
		h.loginNow()
	}
}

// do sends a request with the current token; body is marshalled unless it
// is already a string.
func (h *harness) do(method, path string, body any) (*http.Response, []byte) {
	h.t.Helper()
	h.fresh()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = h.srv.URL() + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.token != "" {
		req.Header.Set("X-auth-access-token", h.token)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, b
}

// call sends a request, checks the status and decodes the body into out.
func (h *harness) call(method, path string, body any, want int, out any) []byte {
	h.t.Helper()
	resp, b := h.do(method, path, body)
	if resp.StatusCode != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

func (h *harness) cfg(p string) string {
	return "/api/fmc_config/v1/domain/" + GlobalDomainUUID + p
}

// id looks a unit up by name in the estate.
func (h *harness) unit(name string) EstateUnit {
	h.t.Helper()
	for _, u := range h.srv.Estate().Units {
		if u.Name == name {
			return u
		}
	}
	h.t.Fatalf("no unit %s", name)
	return EstateUnit{}
}

func (h *harness) pair(name string) EstatePair {
	h.t.Helper()
	for _, p := range h.srv.Estate().HAPairs {
		if p.Name == name {
			return p
		}
	}
	h.t.Fatalf("no pair %s", name)
	return EstatePair{}
}

func (h *harness) packageID(file string) string {
	h.t.Helper()
	var list struct {
		Items []upgradePackageJSON `json:"items"`
	}
	h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages", nil, 200, &list)
	for _, p := range list.Items {
		if p.Name == file {
			return p.ID
		}
	}
	h.t.Fatalf("no package %s", file)
	return ""
}

type upgradeResult struct {
	Metadata struct {
		Task struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"task"`
	} `json:"metadata"`
}

// upgrade posts an upgrade and returns the task id.
func (h *harness) upgrade(pkg string, targets []ref, flags map[string]any) string {
	h.t.Helper()
	body := map[string]any{"upgradePackage": map[string]string{"id": pkg, "type": "UpgradePackage"}, "targets": targets}
	for k, v := range flags {
		body[k] = v
	}
	var res upgradeResult
	h.call("POST", "/api/fmc_platform/v1/updates/upgrades", body, 201, &res)
	if res.Metadata.Task.ID == "" || res.Metadata.Task.Status != "RUNNING" {
		h.t.Fatalf("upgrade response has no running task: %+v", res)
	}
	return res.Metadata.Task.ID
}

func (h *harness) task(id string) taskStatusJSON {
	h.t.Helper()
	var ts taskStatusJSON
	h.call("GET", h.cfg("/job/taskstatuses/"+id), nil, 200, &ts)
	return ts
}

// runUntilDone advances the clock a minute at a time until the task ends,
// for at most limit.
func (h *harness) runUntilDone(id string, limit time.Duration) taskStatusJSON {
	h.t.Helper()
	for waited := time.Duration(0); waited <= limit; waited += time.Minute {
		ts := h.task(id)
		if ts.Status == statusCompleted || ts.Status == statusFailed {
			return ts
		}
		h.clock.Advance(time.Minute)
	}
	h.t.Fatalf("task %s still running after %s: %+v", id, limit, h.task(id))
	return taskStatusJSON{}
}

func (h *harness) devRef(name string) ref {
	h.t.Helper()
	u := h.unit(name)
	return ref{ID: u.ID, Type: "Device", Name: u.Name}
}

func (h *harness) rules() []string {
	var out []string
	for _, b := range h.srv.Audit() {
		out = append(out, b.Rule)
	}
	return out
}

func errorDescription(t *testing.T, b []byte) string {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(b, &eb); err != nil || len(eb.Error.Messages) == 0 || eb.Error.Severity != "ERROR" {
		t.Fatalf("not an error body: %s", b)
	}
	return eb.Error.Messages[0].Description
}
