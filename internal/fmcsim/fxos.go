package fmcsim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// The Firepower 4100/9300 chassis manager (FXOS REST API). Each chassis is
// its own host in reality; the simulator serves every chassis on its one
// listener under /fxos/{chassisID}, so a chassis's base URL is
// <server>/fxos/<id> and its API is <base>/api/... exactly as on the box.
// Device records point there through metadata.chassisData.chassisUrl.

// Chassis manager session limits (FXOS default-auth: 600 s idle, 3600 s
// absolute); sessions also end when the chassis reboots.
const (
	fxosIdleTimeout     = 600 * time.Second
	fxosAbsoluteTimeout = 3600 * time.Second
)

type fxosSession struct {
	token            string
	created, lastUse time.Time
}

type fxosImage struct {
	name string
	ver  version.FXOS
}

type fxosDownload struct {
	fileName, protocol, server, remotePath, user, port string
	state                                              string // downloading, downloaded, failed
	start, end                                         time.Time
	ver                                                version.FXOS
	failure                                            string
}

type fxosInstall struct {
	target   version.FXOS
	previous version.FXOS
	start    time.Time
	total    time.Duration
	stage    string
	status   string // inProgress, success, fail
	reboots  int
	end      time.Time
}

// fxosError writes the chassis manager's error body.
func fxosError(w http.ResponseWriter, status int, code, desc, nr string) {
	writeJSON(w, status, map[string]string{"error-code": code, "error-description": desc, "error-nr": nr})
}

// fxosChassis resolves the chassis of the request; only FXOS chassis have a
// chassis manager.
func (srv *Server) fxosChassis(w http.ResponseWriter, r *http.Request) *chassisState {
	c := srv.sim.chassisByID[r.PathValue("chassis")]
	if c == nil || c.kind != catalog.ChassisFXOS {
		writeError(w, http.StatusNotFound, catFramework, "No FXOS chassis manager at %s.", r.URL.Path)
		return nil
	}
	return c
}

// fxosAuth checks the TOKEN header; it answers 400/552 for a missing,
// unknown or expired token as the chassis manager does.
func (srv *Server) fxosAuth(w http.ResponseWriter, r *http.Request) *chassisState {
	c := srv.fxosChassis(w, r)
	if c == nil {
		return nil
	}
	now := srv.sim.now
	tok := r.Header.Get("TOKEN")
	ses, ok := c.sessions[tok]
	if ok && (now.Sub(ses.lastUse) > fxosIdleTimeout || now.Sub(ses.created) > fxosAbsoluteTimeout) {
		delete(c.sessions, tok)
		ok = false
	}
	if tok == "" || !ok {
		fxosError(w, http.StatusBadRequest, "552", "Authorization required", "service-unavailable")
		return nil
	}
	ses.lastUse = now
	return c
}

func (srv *Server) handleFXOSLogin(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosChassis(w, r)
	if c == nil {
		return
	}
	user, pass := r.Header.Get("USERNAME"), r.Header.Get("PASSWORD")
	if subtle.ConstantTimeCompare([]byte(user), []byte(srv.username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(srv.password)) != 1 {
		fxosError(w, http.StatusBadRequest, "551", "Authentication failed", "unidentified-fail")
		return
	}
	tok := strings.ReplaceAll(randomToken()+randomToken(), "-", "")
	c.sessions[tok] = &fxosSession{token: tok, created: srv.sim.now, lastUse: srv.sim.now}
	writeJSON(w, http.StatusOK, map[string]string{"refreshPeriod": "0", "token": tok})
}

func (srv *Server) handleFXOSLogout(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosChassis(w, r)
	if c == nil {
		return
	}
	tok := r.Header.Get("TOKEN")
	if _, ok := c.sessions[tok]; !ok || tok == "" {
		fxosError(w, 555, "555", "Authorization required", "service-unavailable")
		return
	}
	delete(c.sessions, tok)
	writeJSON(w, http.StatusOK, map[string]string{"logout": "success"})
}

type firmwareRunningJSON struct {
	DN             string `json:"dn"`
	PackageVersion string `json:"packageVersion"`
	Version        string `json:"version"`
	Type           string `json:"type"`
	Deployment     string `json:"deployment"`
}

func (srv *Server) handleFXOSVersion(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	kind := r.PathValue("kind")
	if kind != "mgmt" && kind != "system" && kind != "kernel" {
		fxosError(w, http.StatusNotFound, "404", "Unknown firmware component "+kind, "invalid-argument")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"firmwareRunning": []firmwareRunningJSON{srv.firmwareRunning(c, kind)}})
}

func (srv *Server) firmwareRunning(c *chassisState, kind string) firmwareRunningJSON {
	dep := "system"
	if kind == "kernel" {
		dep = "kernel"
	}
	return firmwareRunningJSON{DN: "sys/fw-system/" + kind, PackageVersion: c.fxos.Display(), Version: c.fxos.Display(), Type: "system", Deployment: dep}
}

type distributableJSON struct {
	DN                    string `json:"dn"`
	Name                  string `json:"name"`
	Version               string `json:"version"`
	Type                  string `json:"type"`
	TransferState         string `json:"transferState"`
	ImagePresence         string `json:"imagePresence"`
	SupportsMultiInstance string `json:"supportsMultiInstance"`
}

func (c *chassisState) sortedImages() []*fxosImage {
	var out []*fxosImage
	for _, img := range c.images {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return version.CompareFXOS(out[i].ver, out[j].ver) < 0 })
	return out
}

func distributable(img *fxosImage) distributableJSON {
	return distributableJSON{DN: "sys/fw-catalogue/distrib-" + img.name, Name: img.name, Version: img.ver.Display(),
		Type: "platformBundle", TransferState: "downloaded", ImagePresence: "available", SupportsMultiInstance: "yes"}
}

// findImage matches an image by file name, dotted version or the chassis
// form "2.14(1.131)".
func (c *chassisState) findImage(id string) *fxosImage {
	if img, ok := c.images[id]; ok {
		return img
	}
	if v, err := version.ParseFXOS(id); err == nil {
		for _, img := range c.images {
			if version.CompareFXOS(img.ver, v) == 0 {
				return img
			}
		}
	}
	return nil
}

func (srv *Server) handleFXOSDistrib(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	out := []distributableJSON{}
	if id := r.PathValue("id"); id != "" {
		img := c.findImage(id)
		if img == nil {
			fxosError(w, http.StatusNotFound, "404", "No image "+id+" on the chassis", "invalid-argument")
			return
		}
		out = append(out, distributable(img))
	} else {
		for _, img := range c.sortedImages() {
			out = append(out, distributable(img))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"firmwareDistributable": out})
}

type downloaderJSON struct {
	DN            string `json:"dn,omitempty"`
	FileName      string `json:"fileName"`
	Protocol      string `json:"protocol,omitempty"`
	Server        string `json:"server,omitempty"`
	RemotePath    string `json:"remotePath,omitempty"`
	User          string `json:"user,omitempty"`
	Pwd           string `json:"pwd,omitempty"`
	Port          string `json:"port,omitempty"`
	TransferState string `json:"transferState,omitempty"`
	FSMProgr      string `json:"fsmProgr,omitempty"`
	FSMStageDescr string `json:"fsmStageDescr,omitempty"`
	FSMStatus     string `json:"fsmStatus,omitempty"`
	FSMDescr      string `json:"fsmDescr,omitempty"`
}

var fxosProtocols = []string{"ftp", "tftp", "scp", "sftp", "local", "usbA", "usbB", "https", "http"}

func (srv *Server) handleFXOSDownload(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	var body struct {
		FirmwareDownloader []downloaderJSON `json:"firmwareDownloader"`
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil || json.Unmarshal(b, &body) != nil || len(body.FirmwareDownloader) != 1 {
		fxosError(w, http.StatusBadRequest, "400", `Expected {"firmwareDownloader":[{...}]} with one downloader`, "invalid-argument")
		return
	}
	req := body.FirmwareDownloader[0]
	if req.FileName == "" {
		req.FileName = r.PathValue("file")
	}
	if req.FileName == "" && strings.HasPrefix(req.DN, "sys/fw-catalogue/dnld-") {
		req.FileName = strings.TrimPrefix(req.DN, "sys/fw-catalogue/dnld-")
	}
	p, perr := s.cat.ParsePackageFilename(req.FileName)
	switch {
	case perr != nil || p.Product != catalog.ProductChassis:
		fxosError(w, http.StatusBadRequest, "400", fmt.Sprintf("%q is not an FXOS platform bundle (fxos-k9.<version>.SPA)", req.FileName), "invalid-argument")
		return
	case !oneOf(req.Protocol, fxosProtocols):
		fxosError(w, http.StatusBadRequest, "400", fmt.Sprintf("protocol %q is not one of %s", req.Protocol, strings.Join(fxosProtocols, ", ")), "invalid-argument")
		return
	case req.Server == "" && req.Protocol != "local" && !strings.HasPrefix(req.Protocol, "usb"):
		fxosError(w, http.StatusBadRequest, "400", "server is required", "invalid-argument")
		return
	}
	if dl, ok := c.downloads[req.FileName]; ok && dl.state == "downloading" {
		fxosError(w, http.StatusBadRequest, "400", "A download of "+req.FileName+" is already in progress", "invalid-argument")
		return
	}
	dl := &fxosDownload{fileName: req.FileName, protocol: req.Protocol, server: req.Server, remotePath: req.RemotePath,
		user: req.User, port: req.Port, state: "downloading", start: s.now, ver: p.FXOS}
	c.downloads[req.FileName] = dl
	s.schedule(s.now.Add(s.timings.FXOSDownload.D()), func(at time.Time) {
		if c.downloads[dl.fileName] != dl {
			return
		}
		dl.end = at
		if _, fail := s.consumeFault(FaultFXOSDownloadFail, c.id); fail {
			dl.state, dl.failure = "failed", "Remote server unreachable or file not found"
			return
		}
		if c.rebooting {
			dl.state, dl.failure = "failed", "Chassis rebooted during the transfer"
			return
		}
		dl.state = "downloaded"
		c.images[dl.fileName] = &fxosImage{name: dl.fileName, ver: dl.ver}
	})
	writeJSON(w, http.StatusOK, map[string]any{"firmwareDownloader": []downloaderJSON{srv.downloaderJSON(dl)}})
}

func (srv *Server) downloaderJSON(dl *fxosDownload) downloaderJSON {
	s := srv.sim
	j := downloaderJSON{DN: "sys/fw-catalogue/dnld-" + dl.fileName, FileName: dl.fileName, Protocol: dl.protocol,
		Server: dl.server, RemotePath: dl.remotePath, User: dl.user, Port: dl.port, TransferState: dl.state}
	switch dl.state {
	case "downloading":
		total := s.timings.FXOSDownload.D()
		pct := int(100 * s.now.Sub(dl.start) / max(total, 1))
		j.FSMProgr, j.FSMStatus = strconv.Itoa(min(pct, 99)), "inProgress"
		j.FSMStageDescr = "downloadCopyRemote"
		if pct < 5 {
			j.FSMStageDescr = "downloadBegin"
		}
	case "downloaded":
		j.FSMProgr, j.FSMStatus, j.FSMStageDescr = "100", "success", "downloadSuccess"
	case "failed":
		j.FSMProgr, j.FSMStatus, j.FSMStageDescr, j.FSMDescr = "100", "fail", "downloadFail", dl.failure
	}
	return j
}

func (srv *Server) handleFXOSDownloadStatus(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	out := []downloaderJSON{}
	if f := r.PathValue("file"); f != "" {
		dl, ok := c.downloads[f]
		if !ok {
			fxosError(w, http.StatusNotFound, "404", "No download of "+f, "invalid-argument")
			return
		}
		out = append(out, srv.downloaderJSON(dl))
	} else {
		var names []string
		for n := range c.downloads {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, srv.downloaderJSON(c.downloads[n]))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"firmwareDownloader": out})
}

func (srv *Server) handleFXOSDownloadDelete(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	f := r.PathValue("file")
	if _, ok := c.downloads[f]; !ok {
		fxosError(w, http.StatusNotFound, "404", "No download of "+f, "invalid-argument")
		return
	}
	delete(c.downloads, f)
	writeJSON(w, http.StatusOK, map[string]any{"firmwareDownloader": []any{}})
}

// handleFXOSValidate reports the validation of a downloaded bundle.
func (srv *Server) handleFXOSValidate(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	img := c.findImage(r.PathValue("id"))
	if img == nil {
		fxosError(w, http.StatusNotFound, "404", "No image "+r.PathValue("id")+" on the chassis", "invalid-argument")
		return
	}
	code := "ok"
	if version.CompareFXOS(img.ver, c.fxos) < 0 {
		code = "failed"
	}
	writeJSON(w, http.StatusOK, map[string]any{"firmwareValidationStatus": []map[string]string{{
		"dn": "sys/fw-catalogue/validate-" + img.name, "packName": img.name, "packVersion": img.ver.Display(),
		"state": "completed", "overallStatusCode": code,
	}}})
}

// parseFXOSInstallBody reads the body of PATCH
// /api/sys/firmware/sched-platform-fw. No source shows this payload; the
// simulator assumes a firmwarePlatformPack object naming the target
// bundle version, by analogy with the chassis's managed-object model:
//
//	{"firmwarePlatformPack":[{"platformBundleVersion":"2.14(1.131)","forceDeploy":"no"}]}
//
// The version may also be written 2.14.1.131. Everything about this body
// lives here so it can be corrected in one place.
func parseFXOSInstallBody(b []byte) (version.FXOS, error) {
	var body struct {
		FirmwarePlatformPack []struct {
			PlatformBundleVersion string `json:"platformBundleVersion"`
			ForceDeploy           string `json:"forceDeploy"`
		} `json:"firmwarePlatformPack"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return version.FXOS{}, fmt.Errorf("invalid JSON: %v", err)
	}
	if len(body.FirmwarePlatformPack) != 1 {
		return version.FXOS{}, fmt.Errorf(`expected {"firmwarePlatformPack":[{"platformBundleVersion":...}]}`)
	}
	pp := body.FirmwarePlatformPack[0]
	if pp.ForceDeploy != "" && pp.ForceDeploy != "yes" && pp.ForceDeploy != "no" {
		return version.FXOS{}, fmt.Errorf("forceDeploy %q is not yes or no", pp.ForceDeploy)
	}
	v, err := version.ParseFXOS(pp.PlatformBundleVersion)
	if err != nil {
		return version.FXOS{}, err
	}
	if !v.HasMaintenance || v.Build == 0 {
		return version.FXOS{}, fmt.Errorf("platformBundleVersion %q must be a full version such as 2.14(1.131)", pp.PlatformBundleVersion)
	}
	return v, nil
}

// secondRebootGap is how long the chassis stays up between the two reboots
// of an FXOS upgrade that includes firmware.
func (s *sim) secondRebootGap() time.Duration { return 2 * s.timings.FXOSValidate.D() }

func (srv *Server) handleFXOSInstall(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		fxosError(w, http.StatusBadRequest, "400", "Could not read the request body", "invalid-argument")
		return
	}
	target, err := parseFXOSInstallBody(b)
	if err != nil {
		fxosError(w, http.StatusBadRequest, "400", err.Error(), "invalid-argument")
		return
	}
	switch cmp := version.CompareFXOS(target, c.fxos); {
	case c.install != nil:
		fxosError(w, http.StatusBadRequest, "400", "A platform bundle installation is already in progress", "invalid-argument")
		return
	case cmp == 0:
		srv.writePlatformPack(w, c)
		return
	case c.findImage(target.String()) == nil:
		fxosError(w, http.StatusBadRequest, "400", fmt.Sprintf("Platform bundle %s is not on the chassis; download it first", target.Display()), "invalid-argument")
		return
	case cmp < 0:
		fxosError(w, http.StatusBadRequest, "400", fmt.Sprintf("Platform bundle %s is older than the running %s (incompatible)", target.Display(), c.fxos.Display()), "invalid-argument")
		return
	}
	s.auditChassisUpgrade(c, "FXOS "+target.Display(), func(o *chassisState) bool {
		return o.kind == catalog.ChassisFXOS && version.CompareFXOS(o.fxos, target) >= 0
	})
	twice := (c.firmwareUpdate && version.CompareFXOS(target, version.FXOS{Major: 2, Minor: 14, Maintenance: 1, HasMaintenance: true}) >= 0)
	if _, ok := s.consumeFault(FaultDoubleReboot, c.id); ok {
		twice = true
	}
	tm := s.timings
	in := &fxosInstall{target: target, previous: c.fxos, start: s.now, stage: "deployValidatePlatformPack", status: "inProgress"}
	in.total = tm.FXOSValidate.D() + tm.FXOSInstall.D() + tm.FXOSReboot.D()
	if twice {
		in.total += s.secondRebootGap() + tm.FXOSReboot.D()
	}
	c.install = in
	// Each stage checks the install is still the live one: a cancel ends it.
	stage := func(at time.Time, fn func(at time.Time)) {
		s.schedule(at, func(t time.Time) {
			if c.install == in {
				fn(t)
			}
		})
	}
	t1 := s.now.Add(tm.FXOSValidate.D())
	stage(t1, func(time.Time) { in.stage = "deployActivateFPRM" })
	t2 := t1.Add(tm.FXOSInstall.D())
	stage(t2, func(at time.Time) {
		in.stage = "deployPollActivateOfFPRM"
		in.reboots++
		s.chassisDown(c)
		c.fxos = target
	})
	t3 := t2.Add(tm.FXOSReboot.D())
	if twice {
		stage(t3, func(time.Time) {
			c.rebooting = false
			in.stage = "deployUpdateIOM"
		})
		t4 := t3.Add(s.secondRebootGap())
		stage(t4, func(at time.Time) {
			in.reboots++
			s.chassisDown(c)
			in.stage = "deployPollActivateOfLocalFI"
		})
		t3 = t4.Add(tm.FXOSReboot.D())
	}
	stage(t3, func(at time.Time) {
		in.stage, in.status, in.end = "deploySuccess", "success", at
		c.install = nil
		c.lastFSM = in
		s.chassisUp(c, at)
	})
	srv.writePlatformPack(w, c)
}

// writePlatformPack is the answer of the install, schedule and cancel
// calls alike: the chassis' one platform pack, as the chassis manager
// lists it.
func (srv *Server) writePlatformPack(w http.ResponseWriter, c *chassisState) {
	writeJSON(w, http.StatusOK, map[string]any{"firmwarePlatformPack": []map[string]string{srv.platformPack(c)}})
}

func (srv *Server) platformPack(c *chassisState) map[string]string {
	in := c.install
	if in == nil {
		in = c.lastFSM
	}
	pp := map[string]string{"dn": "sys/fw-platform-pack-default", "mode": "oneShot", "forceDeploy": "no",
		"platformBundleVersion": c.fxos.Display()}
	if in != nil {
		pp["platformBundleVersion"] = in.target.Display()
		pp["prevBundleVersion"] = in.previous.Display()
		pp["fsmStatus"] = in.status
		pp["fsmStageDescr"] = in.stage
		pp["fsmProgr"] = strconv.Itoa(srv.sim.fsmProgress(in))
	}
	return pp
}

func (s *sim) fsmProgress(in *fxosInstall) int {
	if in.status != "inProgress" {
		return 100
	}
	return min(99, int(100*s.now.Sub(in.start)/max(in.total, 1)))
}

func (srv *Server) handleFXOSSchedule(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	srv.writePlatformPack(w, c)
}

// handleFXOSCancel cancels an installation that has not yet begun
// activating the new bundle.
func (srv *Server) handleFXOSCancel(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	in := c.install
	if in == nil || in.stage != "deployValidatePlatformPack" {
		fxosError(w, http.StatusBadRequest, "400", "No installation can be cancelled at this stage", "invalid-argument")
		return
	}
	in.status, in.stage, in.end = "fail", "deployFail", srv.sim.now
	c.install = nil
	c.lastFSM = in
	srv.writePlatformPack(w, c)
}

func (srv *Server) fsmJSON(c *chassisState) map[string]string {
	in := c.install
	if in == nil {
		in = c.lastFSM
	}
	m := map[string]string{"dn": "sys/fw-system/fsm", "currentFsm": "deploy", "fsmStatus": "nop", "progress": "100", "fsmStageDescr": "", "completionTime": ""}
	if in != nil {
		m["fsmStatus"] = in.status
		m["progress"] = strconv.Itoa(srv.sim.fsmProgress(in))
		m["fsmStageDescr"] = in.stage
		if !in.end.IsZero() {
			m["completionTime"] = in.end.UTC().Format(time.RFC3339)
		}
	}
	return m
}

func (srv *Server) handleFXOSFSM(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"firmwareSystemFsm": []map[string]string{srv.fsmJSON(c)}})
}

func (srv *Server) handleFXOSSystem(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	op := "ready"
	switch {
	case c.install != nil:
		op = "inProgress"
	case c.lastFSM != nil && c.lastFSM.status == "fail":
		op = "failed"
	}
	fsm := srv.fsmJSON(c)
	writeJSON(w, http.StatusOK, map[string]any{"firmwareSystem": []map[string]string{{
		"dn": "sys/fw-system", "operState": op, "state": "compatible", "validationStatus": "success",
		"fsmStatus": fsm["fsmStatus"], "fsmProgr": fsm["progress"], "fsmStageDescr": fsm["fsmStageDescr"],
	}}})
}

type appInstanceJSON struct {
	DN                      string `json:"dn"`
	AppName                 string `json:"appName"`
	AppInstID               string `json:"appInstId"`
	Identifier              string `json:"identifier"`
	SlotID                  string `json:"slotId"`
	AdminState              string `json:"adminState"`
	OperationalState        string `json:"operationalState"`
	RunningVersion          string `json:"runningVersion"`
	StartupVersion          string `json:"startupVersion"`
	ClusterRole             string `json:"clusterRole"`
	ClusterOperationalState string `json:"clusterOperationalState"`
}

// appInstances lists the threat defense instances as the chassis sees
// them. The chassis knows cluster roles but not failover roles.
func (srv *Server) appInstances(c *chassisState) []appInstanceJSON {
	var out []appInstanceJSON
	for _, d := range c.instances {
		op := "online"
		switch {
		case c.appsStarting || d.rebooting:
			op = "starting"
		case d.op != nil && d.op.current() == "install":
			op = "updating"
		}
		v := fmt.Sprintf("%s.%d", d.ver, d.ver.Build)
		a := appInstanceJSON{DN: fmt.Sprintf("slot/%d/app-inst/ftd-%s", max(d.slot, 1), d.name), AppName: "ftd",
			AppInstID: stableUUID("appinst", d.id)[:8], Identifier: d.name, SlotID: strconv.Itoa(max(d.slot, 1)),
			AdminState: "enabled", OperationalState: op, RunningVersion: v, StartupVersion: v,
			ClusterRole: "none", ClusterOperationalState: "notApplicable"}
		if cl := d.cluster; cl != nil {
			a.ClusterRole = "slave"
			if cl.control == d {
				a.ClusterRole = "master"
			}
			switch d.clusterState {
			case "in_cluster":
				a.ClusterOperationalState = "inCluster"
			case "joining":
				a.ClusterOperationalState = "joiningCluster"
			default:
				a.ClusterOperationalState = "notInCluster"
			}
		}
		out = append(out, a)
	}
	return out
}

// handleFXOSClassQuery answers GET /api?classId=<class>.
func (srv *Server) handleFXOSClassQuery(w http.ResponseWriter, r *http.Request) {
	c := srv.fxosAuth(w, r)
	if c == nil {
		return
	}
	class := queryValues(r).Get("classId")
	var v any
	switch class {
	case "smAppInstance":
		v = srv.appInstances(c)
	case "equipmentChassis":
		v = []map[string]string{{"dn": "sys/chassis-1", "id": "1", "model": c.model, "serial": c.serial,
			"vendor": "Cisco Systems, Inc.", "operState": "operable", "operability": "operable", "power": "ok", "thermal": "ok"}}
	case "firmwareRunning":
		v = []firmwareRunningJSON{srv.firmwareRunning(c, "mgmt"), srv.firmwareRunning(c, "system")}
	case "firmwareDistributable":
		var out []distributableJSON
		for _, img := range c.sortedImages() {
			out = append(out, distributable(img))
		}
		v = out
	default:
		fxosError(w, http.StatusBadRequest, "400", fmt.Sprintf("classId %q is not served by this simulator", class), "invalid-argument")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{class: v})
}
