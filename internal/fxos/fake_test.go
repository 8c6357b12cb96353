package fxos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx/httpxtest"
)

// This file holds a small chassis manager fake: header login answering a
// token, 400/551 and 400/552 error bodies, 555 on logout of an unknown
// session, class-wrapped objects with string attributes, downloads that
// progress on the fake clock, and a platform bundle installation that
// reboots the chassis (the listener really closes, so connections are
// refused, and every session is dropped).

const (
	testUser     = "fxosadmin"
	testPassword = "Chassis-Pa55word!"
	fromVersion  = "2.12(0.498)"
	toVersion    = "2.14(1.131)"
	bundleFile   = "fxos-k9.2.14.1.131.SPA"
)

type fakeClock struct {
	mu       sync.Mutex
	t        time.Time
	slept    []time.Duration
	onChange func(now time.Time)
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 22, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	if d > 0 {
		f.t = f.t.Add(d)
	}
	f.slept = append(f.slept, d)
	now, hook := f.t, f.onChange
	f.mu.Unlock()
	if hook != nil {
		hook(now)
	}
	return nil
}

type seenRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	At     time.Time
}

type fakeDownload struct {
	obj     map[string]string
	started time.Time
	fail    bool
}

// installPlan is the installation timeline, from the PATCH.
type installPlan struct {
	target  string
	started time.Time
	// outages are [from, to) windows after started in which the chassis
	// reboots.
	outages [][2]time.Duration
	// doneAt is when the FSM reports success.
	doneAt time.Duration
	fail   bool
}

type fakeFXOS struct {
	t     testing.TB
	clock *fakeClock

	mu        sync.Mutex
	addr      string
	hs        *http.Server
	up        bool
	tokens    map[string]bool
	seq       int
	logins    int
	requests  []seenRequest
	running   string
	images    []map[string]string
	downloads map[string]*fakeDownload
	install   *installPlan
	reboots   int
	apps      []map[string]string
	fault     func(w http.ResponseWriter, r *http.Request, n int) bool
	echo      bool
}

func newFakeFXOS(t testing.TB, clock *fakeClock) *fakeFXOS {
	t.Helper()
	f := &fakeFXOS{
		t: t, clock: clock, tokens: map[string]bool{}, running: fromVersion,
		downloads: map[string]*fakeDownload{},
		images: []map[string]string{
			{"dn": "sys/fw-catalogue/distrib-fxos-k9.2.12.0.498.SPA", "name": "fxos-k9.2.12.0.498.SPA", "type": "platformBundle", "version": "2.12(0.498)", "imagePresence": "present"},
		},
		apps: []map[string]string{
			{"dn": "slot/1/app-inst/ftd-edge-1", "appName": "ftd", "identifier": "edge-1", "adminState": "enabled", "operationalState": "online",
				"runningVersion": "7.2.5.208", "startupVersion": "7.2.5.208", "clusterRole": "none", "clusterOperationalState": "notApplicable"},
			{"dn": "slot/2/app-inst/ftd-edge-2", "appName": "ftd", "identifier": "edge-2", "adminState": "enabled", "operationalState": "starting",
				"runningVersion": "7.2.5.208", "clusterRole": "none"},
		},
	}
	if clock != nil {
		clock.onChange = f.tick
	}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func (f *fakeFXOS) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.up {
		return
	}
	addr := f.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		f.t.Fatalf("listen %s: %v", addr, err)
	}
	f.addr = ln.Addr().String()
	f.hs = &http.Server{Handler: http.HandlerFunc(f.serve), ErrorLog: log.New(io.Discard, "", 0)}
	f.up = true
	go func(hs *http.Server) { _ = hs.Serve(ln) }(f.hs)
}

func (f *fakeFXOS) stop() {
	f.mu.Lock()
	hs := f.hs
	f.up = false
	f.hs = nil
	f.mu.Unlock()
	if hs != nil {
		_ = hs.Close()
	}
}

func (f *fakeFXOS) url() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return "http://" + f.addr
}

func (f *fakeFXOS) now() time.Time {
	if f.clock != nil {
		return f.clock.Now()
	}
	return time.Now()
}

// tick applies the installation timeline at the fake time now: it takes the
// chassis down (dropping every session) and brings it back.
func (f *fakeFXOS) tick(now time.Time) {
	f.mu.Lock()
	plan := f.install
	up := f.up
	f.mu.Unlock()
	if plan == nil {
		return
	}
	el := now.Sub(plan.started)
	down := false
	for _, o := range plan.outages {
		if el >= o[0] && el < o[1] {
			down = true
		}
	}
	switch {
	case down && up:
		f.stop()
		f.mu.Lock()
		f.tokens = map[string]bool{}
		f.reboots++
		f.mu.Unlock()
	case !down && !up:
		f.start()
	}
	if !plan.fail && len(plan.outages) > 0 && el >= plan.outages[0][1] {
		f.mu.Lock()
		f.running = plan.target
		f.mu.Unlock()
	}
}

func (f *fakeFXOS) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func (f *fakeFXOS) seen() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.requests...)
}

func fxosError(w http.ResponseWriter, status int, code, desc, nr string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error-code": code, "error-description": desc, "error-nr": nr})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeFXOS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, At: f.now()})
	n := len(f.requests)
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r, n) {
		return
	}

	switch {
	case r.URL.Path == pathLogin && r.Method == http.MethodPost:
		if r.Header.Get("USERNAME") != testUser || r.Header.Get("PASSWORD") != testPassword {
			desc := "Authentication failed"
			if f.echo {
				desc += " for password " + r.Header.Get("PASSWORD")
			}
			fxosError(w, http.StatusBadRequest, codeAuthFailed, desc, "unidentified-fail")
			return
		}
		f.mu.Lock()
		f.seq++
		f.logins++
		tok := fmt.Sprintf("%064x", 0xfeedc0de0000+f.seq)
		f.tokens[tok] = true
		f.mu.Unlock()
		writeJSON(w, map[string]string{"refreshPeriod": "0", "token": tok})
		return
	case r.URL.Path == pathLogout && r.Method == http.MethodPost:
		tok := r.Header.Get("TOKEN")
		f.mu.Lock()
		known := f.tokens[tok]
		delete(f.tokens, tok)
		f.mu.Unlock()
		if !known {
			fxosError(w, 555, codeUnknownLogout, "Authorization required", "service-unavailable")
			return
		}
		writeJSON(w, map[string]string{"logout": "success"})
		return
	}

	tok := r.Header.Get("TOKEN")
	f.mu.Lock()
	ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok {
		desc := "Authorization required"
		if f.echo && tok != "" {
			desc += " (token " + tok + ")"
		}
		fxosError(w, http.StatusBadRequest, codeAuthRequired, desc, "service-unavailable")
		return
	}
	f.route(w, r, body)
}

func (f *fakeFXOS) route(w http.ResponseWriter, r *http.Request, body []byte) {
	p := r.URL.Path
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	switch {
	case p == pathRunningMgmt && r.Method == http.MethodGet:
		writeJSON(w, map[string]any{classRunning: []any{
			map[string]string{"dn": "sys/mgmt/fw-system/running", "deployment": "system", "type": "system", "packageVersion": f.running, "version": "mgmt"},
		}})
	case p == pathDistrib && r.Method == http.MethodGet:
		writeJSON(w, map[string]any{classDistrib: f.images})
	case strings.HasPrefix(p, pathDownload):
		file := strings.TrimPrefix(p, pathDownload)
		switch r.Method {
		case http.MethodPost:
			var req map[string][]map[string]string
			if err := json.Unmarshal(body, &req); err != nil || len(req[classDownloader]) != 1 || req[classDownloader][0]["fileName"] != file {
				fxosError(w, http.StatusBadRequest, "103", "Invalid firmwareDownloader object", "invalid-arg")
				return
			}
			obj := req[classDownloader][0]
			f.downloads[file] = &fakeDownload{obj: obj, started: now, fail: obj["server"] == "unreachable.example.internal"}
			writeJSON(w, map[string]any{classDownloader: []any{map[string]string{"dn": obj["dn"], "fileName": file, "transferState": "init"}}})
		case http.MethodGet:
			d := f.downloads[file]
			if d == nil {
				fxosError(w, http.StatusNotFound, "104", "Object not found", "not-found")
				return
			}
			el := now.Sub(d.started)
			st := map[string]string{"dn": d.obj["dn"], "fileName": file, "protocol": d.obj["protocol"], "server": d.obj["server"], "remotePath": d.obj["remotePath"]}
			switch {
			case d.fail && el >= time.Minute:
				st["transferState"], st["fsmStageDescr"], st["fsmRmtInvErrDescr"] = "failed", "downloadFail", "scp: connection timed out"
			case el < 10*time.Second:
				st["transferState"], st["fsmProgr"], st["fsmStageDescr"] = "init", "0", "downloadBegin"
			case el < 3*time.Minute:
				st["transferState"], st["fsmProgr"], st["fsmStageDescr"] = "downloading", fmt.Sprint(int(el/(2*time.Second))%100), "downloadCopyRemote"
			default:
				st["transferState"], st["fsmProgr"], st["fsmStageDescr"], st["fsmStatus"] = "downloaded", "100", "downloadSuccess", "nop"
				if !hasImage(f.images, file) {
					f.images = append(f.images, map[string]string{"name": file, "type": "platformBundle", "version": toVersion, "imagePresence": "present"})
				}
			}
			writeJSON(w, map[string]any{classDownloader: []any{st}})
		case http.MethodDelete:
			if f.downloads[file] == nil {
				fxosError(w, http.StatusNotFound, "104", "Object not found", "not-found")
				return
			}
			delete(f.downloads, file)
			writeJSON(w, map[string]any{})
		}
	case strings.HasPrefix(p, pathValidate) && r.Method == http.MethodGet:
		file := strings.TrimPrefix(p, pathValidate)
		if !hasImage(f.images, file) {
			fxosError(w, http.StatusNotFound, "104", "Object not found", "not-found")
			return
		}
		writeJSON(w, map[string]any{classValidation: []any{map[string]string{"packName": file, "packVersion": toVersion, "state": "completed", "overallStatusCode": "ok", "overallStatusString": "Validation passed"}}})
	case p == pathInstall && r.Method == http.MethodPatch:
		var req map[string][]map[string]string
		if err := json.Unmarshal(body, &req); err != nil || len(req[classPlatform]) != 1 {
			fxosError(w, http.StatusBadRequest, "103", "Invalid firmwarePlatformPack object", "invalid-arg")
			return
		}
		v := req[classPlatform][0]["platformBundleVersion"]
		if f.install == nil {
			f.install = &installPlan{target: v, started: now,
				outages: [][2]time.Duration{{4 * time.Minute, 12 * time.Minute}, {15 * time.Minute, 21 * time.Minute}}, doneAt: 23 * time.Minute,
				fail: v == "2.14(1.999)"}
		}
		writeJSON(w, map[string]any{})
	case p == pathInstallFSM && r.Method == http.MethodGet:
		st := map[string]string{"dn": "sys/fw-system/fsm", "currentFsm": "deploy", "status": "nop", "progress": "100", "completionTime": "never"}
		sys := map[string]string{"operState": "ready"}
		if pl := f.install; pl != nil {
			el := now.Sub(pl.started)
			switch {
			case pl.fail && el >= 2*time.Minute:
				st["status"], st["progress"], sys["operState"], sys["fsmStageDescr"] = "fail", "40", "failed", "deployFail"
				sys["fsmRmtInvErrDescr"] = "Platform bundle validation failed"
			case el < pl.doneAt:
				st["status"], st["progress"], sys["operState"] = "inProgress", fmt.Sprint(min(99, int(el*100/pl.doneAt))), "inProgress"
				sys["fsmStageDescr"] = "deployPollActivateOfFPRM"
			default:
				st["status"], st["progress"], sys["fsmStageDescr"] = "success", "100", "deploySuccess"
				st["completionTime"] = pl.started.Add(pl.doneAt).Format(time.RFC3339)
			}
		}
		for k, v := range sys {
			st[k] = v
		}
		writeJSON(w, map[string]any{classSystemFSM: []any{st}})
	case p == pathClassQuery && r.URL.Query().Get("classId") == classAppInstance:
		writeJSON(w, map[string]any{classAppInstance: f.apps})
	default:
		fxosError(w, http.StatusNotFound, "104", "Object not found", "not-found")
	}
}

func hasImage(imgs []map[string]string, name string) bool {
	for _, i := range imgs {
		if i["name"] == name {
			return true
		}
	}
	return false
}

type logSink = httpxtest.LogSink

func newTestClient(t *testing.T, f *fakeFXOS, opts ...func(*Config)) (*Client, *logSink) {
	t.Helper()
	sink := &logSink{}
	cfg := Config{
		URL: f.url(), Username: testUser, Password: testPassword, Logger: sink.Logger(),
		Retry:          RetryPolicy{MaxAttempts: 3, BaseDelay: 2 * time.Second, MaxDelay: 10 * time.Second},
		RequestTimeout: 5 * time.Second,
	}
	if f.clock != nil {
		cfg.Now, cfg.Sleep = f.clock.Now, f.clock.Sleep
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, sink
}
