package fmcsim

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

type upgradePackageJSON struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	Type     string           `json:"type"`
	Links    links            `json:"links"`
	Metadata *packageMetadata `json:"metadata,omitempty"`
}

type packageMetadata struct {
	UpgradeType     string `json:"upgradeType"`
	UpgradeFileName string `json:"upgradeFileName"`
	FileSize        int64  `json:"fileSize"`
	UpdateVersion   string `json:"updateVersion"`
	UpgradeFrom     string `json:"upgradeFrom"`
	UploadDate      string `json:"uploadDate"`
	RebootRequired  bool   `json:"rebootRequired"`
	UpgradeFileID   string `json:"upgradeFileId"`
}

const updatesPath = "/api/fmc_platform/v1/updates"

func (srv *Server) packageJSON(r *http.Request, p *packageState) upgradePackageJSON {
	up, _ := time.Parse(time.RFC3339, p.uploadDate)
	return upgradePackageJSON{
		ID: p.id, Name: p.fileName, Type: "UpgradePackage",
		Links: links{Self: baseURL(r) + updatesPath + "/upgradepackages/" + p.id},
		Metadata: &packageMetadata{
			UpgradeType: p.upgradeType, UpgradeFileName: p.fileName, FileSize: p.size,
			// The management center writes "<version>-<build> IMS <build>".
			UpdateVersion: fmt.Sprintf("%s-%d IMS %d", p.ver, p.ver.Build, p.ver.Build),
			UpgradeFrom:   p.upgradeFrom, UploadDate: p.uploadDate, RebootRequired: p.rebootRequired,
			UpgradeFileID: p.upgradeType + " / " + up.UTC().Format(time.UnixDate),
		},
	}
}

func (srv *Server) handleListPackages(w http.ResponseWriter, r *http.Request) {
	lq, ok := listQueryOf(w, r)
	if !ok {
		return
	}
	s := srv.sim
	writeList(w, r, lq, len(s.packages), func(i int, _ bool) any { return srv.packageJSON(r, s.packages[i]) })
}

// registerPackageBody is the assumed shape of a request registering an
// upgrade package that devices copy from an internal server. The public API
// documents no such call: the web interface's "Specify Remote Location"
// form (URL, CA certificates) is mirrored here, and a scenario can make the
// simulator refuse it with 405 the way a management center without the
// call would.
type registerPackageBody struct {
	Type           string `json:"type"`
	Name           string `json:"name"`
	URL            string `json:"url"`
	CACertificates string `json:"caCertificates"`
}

func (srv *Server) handleRegisterPackage(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	if s.registration == "refuse" {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, catFramework, "Method POST is not supported for upgrade packages.")
		return
	}
	var body registerPackageBody
	if !decodeBody(w, r, &body) {
		return
	}
	u, err := url.Parse(body.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeError(w, http.StatusBadRequest, catValidation, "Invalid URL %q: give the http or https address of the upgrade package.", body.URL)
		return
	}
	if u.Scheme == "https" && strings.TrimSpace(body.CACertificates) != "" && !strings.Contains(body.CACertificates, "BEGIN CERTIFICATE") {
		writeError(w, http.StatusBadRequest, catValidation, "Invalid CA certificates: paste the PEM text including the BEGIN CERTIFICATE and END CERTIFICATE lines.")
		return
	}
	name := path.Base(u.Path)
	if body.Name != "" && body.Name != name {
		writeError(w, http.StatusBadRequest, catValidation, "Package name %q does not match the file %q at the URL.", body.Name, name)
		return
	}
	parsed, err := s.cat.ParsePackageFilename(name)
	if err != nil || parsed.Product == catalog.ProductChassis {
		writeError(w, http.StatusBadRequest, catValidation, "%q is not an upgrade package file name.", name)
		return
	}
	if parsed.Product == catalog.ProductManagementCenter || parsed.Kind == catalog.KindHotfix {
		writeError(w, http.StatusBadRequest, catValidation, "Management center packages and hotfixes must be uploaded; an internal server can only serve device upgrade packages.")
		return
	}
	listed := strings.TrimSuffix(name, ".REL.tar")
	for _, p := range s.packages {
		if q, err := s.cat.ParsePackageFilename(p.fileName); err == nil && q.Canonical == parsed.Canonical {
			writeError(w, http.StatusBadRequest, catValidation, "Upgrade package %s already exists.", p.fileName)
			return
		}
	}
	ps := &packageState{id: s.nextID("package"), fileName: listed, ver: parsed.Version, families: parsed.Families,
		product: parsed.Product, rebootRequired: true, uploadDate: s.now.UTC().Format(time.RFC3339)}
	ps.upgradeType = defaultUpgradeType(ps)
	ps.upgradeFrom = s.oldestDirectFrom(ps.ver)
	ps.size = 1_500_000_000 + int64(len(ps.fileName))*1_000_003
	s.packages = append(s.packages, ps)
	writeJSON(w, http.StatusCreated, srv.packageJSON(r, ps))
}

func (srv *Server) handleGetPackage(w http.ResponseWriter, r *http.Request) {
	_, p := srv.sim.findPackage(r.PathValue("objectId"))
	if p == nil {
		writeError(w, http.StatusNotFound, catFramework, "No upgrade package found with id %s.", r.PathValue("objectId"))
		return
	}
	writeJSON(w, http.StatusOK, srv.packageJSON(r, p))
}

func (srv *Server) handleDeletePackage(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	i, p := s.findPackage(r.PathValue("objectId"))
	if p == nil {
		writeError(w, http.StatusNotFound, catFramework, "No upgrade package found with id %s.", r.PathValue("objectId"))
		return
	}
	for _, d := range s.devices {
		if d.op != nil && d.op.pkg == p {
			writeError(w, http.StatusBadRequest, catValidation, "Upgrade package %s is in use by a running upgrade on %s.", p.fileName, d.name)
			return
		}
		if d.failed != nil && d.failed.pkg == p {
			writeError(w, http.StatusBadRequest, catValidation, "Upgrade package %s is needed to retry the failed upgrade of %s.", p.fileName, d.name)
			return
		}
	}
	for _, c := range s.chassis {
		if c.op != nil && c.op.pkg == p {
			writeError(w, http.StatusBadRequest, catValidation, "Upgrade package %s is in use by a running upgrade on chassis %s.", p.fileName, c.name)
			return
		}
	}
	body := srv.packageJSON(r, p)
	s.packages = append(s.packages[:i], s.packages[i+1:]...)
	for _, d := range s.devices {
		delete(d.staged, p.id)
		delete(d.readyPassed, p.id)
	}
	for _, c := range s.chassis {
		delete(c.staged, p.id)
		delete(c.readyPassed, p.id)
	}
	writeJSON(w, http.StatusOK, body)
}

type applicableDeviceJSON struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Type              string `json:"type"`
	Links             *links `json:"links,omitempty"`
	Model             string `json:"model,omitempty"`
	ModelNumber       string `json:"modelNumber,omitempty"`
	ModelType         string `json:"modelType,omitempty"`
	SWVersion         string `json:"sw_version,omitempty"`
	HealthStatus      string `json:"healthStatus,omitempty"`
	IsPartOfContainer string `json:"isPartOfContainer,omitempty"`
	ContainerType     string `json:"containerType,omitempty"`
	UpgradePackage    *ref   `json:"upgradePackage,omitempty"`
	Role              string `json:"role,omitempty"`
	Status            string `json:"status,omitempty"`
}

func (srv *Server) handleApplicableDevices(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	lq, ok := listQueryOf(w, r)
	if !ok {
		return
	}
	_, p := s.findPackage(r.PathValue("containerUUID"))
	if p == nil {
		writeError(w, http.StatusNotFound, catFramework, "No upgrade package found with id %s.", r.PathValue("containerUUID"))
		return
	}
	var list []*deviceState
	for _, d := range s.devices {
		if p.appliesTo(d.family) {
			if _, msg := s.applicability(unitRef{dev: d}, p); msg == "" && d.ver.Less(p.ver) {
				list = append(list, d)
			}
		}
	}
	writeList(w, r, lq, len(list), func(i int, expanded bool) any {
		d := list[i]
		self := &links{Self: srv.deviceURL(r, d)}
		if !expanded {
			return applicableDeviceJSON{ID: d.id, Name: d.name, Type: "Device", Links: self}
		}
		a := applicableDeviceJSON{ID: d.id, Name: d.name, Type: "Device", Links: self, Model: d.model,
			ModelNumber: d.modelNumber, ModelType: "Sensor", SWVersion: d.ver.String(), HealthStatus: s.health(d),
			IsPartOfContainer: "false", UpgradePackage: &ref{ID: p.id, Type: "UpgradePackage", Name: p.fileName},
			Status: d.state()}
		if ct := containerType(d); ct != "" {
			a.IsPartOfContainer, a.ContainerType, a.Role = "true", ct, d.role()
		}
		return a
	})
}

func containerType(d *deviceState) string {
	switch {
	case d.ha != nil:
		return "DeviceHAPair"
	case d.cluster != nil:
		return "DeviceCluster"
	}
	return ""
}

// applicability says whether pkg can upgrade u, and if not which rule the
// request breaks (empty when it is a plain client error) and why.
func (s *sim) applicability(u unitRef, p *packageState) (rule, msg string) {
	switch {
	case u.fmc:
		if p.product != catalog.ProductManagementCenter {
			return "PKG-1", fmt.Sprintf("Upgrade package %s is not a management center package.", p.fileName)
		}
		return "", ""
	case u.dev != nil:
		if !p.appliesTo(u.dev.family) {
			return "PKG-1", fmt.Sprintf("Upgrade package %s does not apply to %s (%s).", p.fileName, u.dev.name, u.dev.model)
		}
	case u.ch != nil:
		fam := ""
		if len(u.ch.instances) > 0 {
			fam = u.ch.instances[0].family
		}
		if fam == "" || !p.appliesTo(fam) {
			return "PKG-1", fmt.Sprintf("Upgrade package %s does not apply to chassis %s.", p.fileName, u.ch.name)
		}
	}
	cur, tv := u.version(s), p.ver
	name := u.name(s)
	switch c := version.Compare(cur, tv); {
	case c > 0:
		return "PATH-5", fmt.Sprintf("%s runs %s, newer than %s; downgrades are not supported.", name, cur, tv)
	case c == 0:
		return "", ""
	}
	if tv.IsPatch() {
		if !version.SameMaintenance(cur, tv) {
			return "PATH-3", fmt.Sprintf("Patch %s applies only to %s; %s runs %s.", tv, tv.MaintenanceRelease(), name, cur)
		}
		return "", ""
	}
	if cur.Train() != tv.Train() {
		if _, ok := s.cat.DirectBetween(cur, tv); !ok {
			return "PATH-1", fmt.Sprintf("%s cannot be upgraded directly from %s to %s.", name, cur, tv)
		}
	}
	if u.dev != nil {
		if f, ok := s.cat.Family(u.dev.family); ok {
			if supported, _ := s.cat.Supports(f, tv); !supported {
				rule := "PATH-6"
				if tv.Major == 7 && tv.Minor == 4 && tv.Maintenance == 0 && !tv.IsPatch() {
					rule = "PATH-2"
				}
				return rule, fmt.Sprintf("Threat defense %s is not available for %s.", tv, f.Name)
			}
		}
	}
	return "", ""
}

type upgradeRequest struct {
	UpgradePackage      *ref     `json:"upgradePackage"`
	Targets             []ref    `json:"targets"`
	PushUpgradeFileOnly flexBool `json:"pushUpgradeFileOnly"`
	ReadinessCheckOnly  flexBool `json:"readinessCheckOnly"`
	AutoUpgradeCancel   flexBool `json:"autoUpgradeCancel"`
	EnableUpgradeRevert flexBool `json:"enableUpgradeRevert"`
	Type                string   `json:"type,omitempty"`
}

type taskRef struct {
	ID      string `json:"id"`
	Message string `json:"message,omitempty"`
	Status  string `json:"status,omitempty"`
	Name    string `json:"name,omitempty"`
	Type    string `json:"type,omitempty"`
	Links   *links `json:"links,omitempty"`
}

type taskMetadata struct {
	Task taskRef `json:"task"`
}

type upgradeResponse struct {
	UpgradePackage      *ref         `json:"upgradePackage"`
	Targets             []ref        `json:"targets"`
	PushUpgradeFileOnly bool         `json:"pushUpgradeFileOnly"`
	ReadinessCheckOnly  bool         `json:"readinessCheckOnly"`
	AutoUpgradeCancel   bool         `json:"autoUpgradeCancel"`
	EnableUpgradeRevert bool         `json:"enableUpgradeRevert"`
	Metadata            taskMetadata `json:"metadata"`
	Type                string       `json:"type"`
}

// job groups the units one upgrade request operates on in order.
type plannedJob struct {
	units   []unitRef
	grouped bool
}

// handleCreateUpgrade is POST /updates/upgrades: push a package, run a
// readiness check, or upgrade. readinessCheckOnly takes precedence over
// pushUpgradeFileOnly. Targets are taken literally: a single member of an
// HA pair or cluster upgrades only that unit (so the auditor can catch a
// wrong order); an HA pair or cluster id, or both members of a pair in one
// request, upgrades the whole container in the safe order (standby first,
// data units before the control unit), as the management center's wizard
// does (inferred).
func (srv *Server) handleCreateUpgrade(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	s.stats.upgradeRequests++
	var req upgradeRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.UpgradePackage == nil || req.UpgradePackage.ID == "" {
		writeError(w, http.StatusBadRequest, catValidation, "upgradePackage.id is required.")
		return
	}
	_, p := s.findPackage(req.UpgradePackage.ID)
	if p == nil {
		writeError(w, http.StatusBadRequest, catValidation, "Invalid upgradePackage: no upgrade package with id %s.", req.UpgradePackage.ID)
		return
	}
	if len(req.Targets) == 0 {
		writeError(w, http.StatusBadRequest, catValidation, "targets must list at least one device.")
		return
	}
	o := upgradeOpts{mode: "full", pkg: p, autoCancel: bool(req.AutoUpgradeCancel), revert: bool(req.EnableUpgradeRevert)}
	switch {
	case bool(req.ReadinessCheckOnly):
		o.mode = "readiness"
	case bool(req.PushUpgradeFileOnly):
		o.mode = "push"
	}

	jobs, errMsg := s.planJobs(req.Targets, o)
	if errMsg != "" {
		writeError(w, http.StatusBadRequest, catValidation, "%s", errMsg)
		return
	}
	// Duplicates, then applicability: refuse the request as a whole.
	var dups []string
	for _, j := range jobs {
		for _, u := range j.units {
			switch {
			case u.busy(s):
				dups = append(dups, fmt.Sprintf("%s already has an upgrade operation in progress", u.name(s)))
			case !u.fmc && version.Compare(u.version(s), p.ver) == 0:
				dups = append(dups, fmt.Sprintf("%s already runs %s", u.name(s), p.ver))
			}
		}
	}
	if len(dups) > 0 {
		s.stats.duplicateUpgradeRequests++
		for _, d := range dups {
			s.breach(RuleDuplicateUpgrade, strings.SplitN(d, " ", 2)[0], "duplicate upgrade request: %s", d)
		}
		writeError(w, http.StatusBadRequest, catValidation, "Upgrade request refused: %s.", strings.Join(dups, "; "))
		return
	}
	for _, j := range jobs {
		for _, u := range j.units {
			if u.dev != nil && u.dev.failed != nil {
				writeError(w, http.StatusBadRequest, catValidation, "%s has a failed upgrade; retry or cancel it first.", u.dev.name)
				return
			}
			if u.fmc && o.mode != "readiness" {
				writeError(w, http.StatusBadRequest, catValidation, "For the management center, only the readiness check is supported through this API.")
				return
			}
			if rule, msg := s.applicability(u, p); msg != "" {
				if rule != "" {
					s.breach(rule, u.name(s), "upgrade request refused: %s", msg)
				}
				writeError(w, http.StatusBadRequest, catValidation, "%s", msg)
				return
			}
		}
	}
	if o.mode == "full" {
		for _, j := range jobs {
			for _, u := range j.units {
				switch {
				case u.dev != nil:
					s.auditDeviceUpgrade(u.dev, p, j.grouped)
				case u.ch != nil:
					s.auditMIChassisUpgrade(u.ch, p)
				}
			}
		}
	}

	name, msg := "Upgrade", "Triggered all Upgrades successfully"
	switch o.mode {
	case "readiness":
		name, msg = "Readiness check", "Triggered all Readiness Checks successfully"
	case "push":
		name, msg = "Package push", "Triggered all Push Upgrades successfully"
	}
	t := s.newTask("upgrade", name, taskTypeUpgrade)
	t.pkg = p.id
	for _, j := range jobs {
		var steps []jobStep
		for _, u := range j.units {
			sub := t.addSub(u.id(s), u.typ(), u.name(s))
			u.setReserved(t)
			steps = append(steps, jobStep{sub: sub, unit: u, run: func(at time.Time, done func(time.Time, bool)) {
				switch {
				case u.dev != nil:
					s.startDeviceStep(t, sub, u.dev, o, at, done)
				case u.ch != nil:
					s.startChassisStep(t, sub, u.ch, o, at, done)
				default:
					s.startFMCReadiness(t, sub, o, at, done)
				}
			}})
		}
		s.runJob(t, steps, s.now)
	}
	writeJSON(w, http.StatusCreated, upgradeResponse{
		UpgradePackage: &ref{ID: p.id, Type: "UpgradePackage"}, Targets: req.Targets,
		PushUpgradeFileOnly: bool(req.PushUpgradeFileOnly), ReadinessCheckOnly: bool(req.ReadinessCheckOnly),
		AutoUpgradeCancel: bool(req.AutoUpgradeCancel), EnableUpgradeRevert: bool(req.EnableUpgradeRevert),
		Metadata: taskMetadata{Task: taskRef{ID: t.id, Message: msg, Status: statusRunning}},
		Type:     "Upgrade",
	})
}

// planJobs resolves targets into jobs; it returns a client error message
// for unknown targets.
func (s *sim) planJobs(targets []ref, o upgradeOpts) ([]plannedJob, string) {
	seen := map[string]bool{}
	var explicit []*deviceState
	var jobs []plannedJob
	addJob := func(j plannedJob) {
		var units []unitRef
		for _, u := range j.units {
			if !seen[u.id(s)] {
				seen[u.id(s)] = true
				units = append(units, u)
			}
		}
		if len(units) > 0 {
			j.units = units
			jobs = append(jobs, j)
		}
	}
	for _, tg := range targets {
		switch {
		case s.devByID[tg.ID] != nil:
			explicit = append(explicit, s.devByID[tg.ID])
		case s.pairByID[tg.ID] != nil:
			h := s.pairByID[tg.ID]
			if o.mode == "full" {
				addJob(plannedJob{units: []unitRef{{dev: h.standby()}, {dev: h.active}}, grouped: true})
			} else {
				addJob(plannedJob{units: []unitRef{{dev: h.primary}}})
				addJob(plannedJob{units: []unitRef{{dev: h.secondary}}})
			}
		case s.clusterByID[tg.ID] != nil:
			c := s.clusterByID[tg.ID]
			ordered := clusterOrder(c, c.units)
			if o.mode == "full" {
				addJob(plannedJob{units: devUnits(ordered), grouped: true})
			} else {
				for _, u := range ordered {
					addJob(plannedJob{units: []unitRef{{dev: u}}})
				}
			}
		case s.chassisByID[tg.ID] != nil && s.chassisByID[tg.ID].kind == catalog.ChassisMultiInstance:
			addJob(plannedJob{units: []unitRef{{ch: s.chassisByID[tg.ID]}}})
		case tg.ID == s.fmc.id:
			addJob(plannedJob{units: []unitRef{{fmc: true}}})
		default:
			return nil, fmt.Sprintf("Invalid target %q: no device, HA pair, cluster or multi-instance chassis has this id.", tg.ID)
		}
	}
	if o.mode != "full" {
		for _, d := range explicit {
			addJob(plannedJob{units: []unitRef{{dev: d}}})
		}
		return jobs, ""
	}
	// Group explicit members of one pair or cluster into one ordered job.
	pairMembers := map[*haState][]*deviceState{}
	clusterMembers := map[*clusterState][]*deviceState{}
	for _, d := range explicit {
		switch {
		case d.ha != nil:
			pairMembers[d.ha] = append(pairMembers[d.ha], d)
		case d.cluster != nil:
			clusterMembers[d.cluster] = append(clusterMembers[d.cluster], d)
		}
	}
	for _, d := range explicit {
		switch {
		case d.ha != nil && len(pairMembers[d.ha]) == 2:
			h := d.ha
			addJob(plannedJob{units: []unitRef{{dev: h.standby()}, {dev: h.active}}, grouped: true})
		case d.cluster != nil && len(clusterMembers[d.cluster]) > 1:
			addJob(plannedJob{units: devUnits(clusterOrder(d.cluster, clusterMembers[d.cluster])), grouped: true})
		default:
			addJob(plannedJob{units: []unitRef{{dev: d}}})
		}
	}
	return jobs, ""
}

// clusterOrder puts data units first and the control unit last.
func clusterOrder(c *clusterState, units []*deviceState) []*deviceState {
	out := append([]*deviceState(nil), units...)
	sort.SliceStable(out, func(i, j int) bool { return out[i] != c.control && out[j] == c.control })
	return out
}

func devUnits(ds []*deviceState) []unitRef {
	out := make([]unitRef, len(ds))
	for i, d := range ds {
		out[i] = unitRef{dev: d}
	}
	return out
}

type targetsRequest struct {
	Targets     []ref    `json:"targets"`
	ForceCancel flexBool `json:"forceCancel"`
	UpgradeID   string   `json:"upgradeId,omitempty"`
}

type targetsResponse struct {
	Targets  []ref        `json:"targets"`
	Metadata taskMetadata `json:"metadata"`
	Type     string       `json:"type"`
}

// resolveDevices maps targets (devices, HA pairs, clusters) to devices.
func (s *sim) resolveDevices(targets []ref) ([]*deviceState, string) {
	if len(targets) == 0 {
		return nil, "targets must list at least one device."
	}
	seen := map[*deviceState]bool{}
	var out []*deviceState
	add := func(ds ...*deviceState) {
		for _, d := range ds {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	for _, tg := range targets {
		switch {
		case s.devByID[tg.ID] != nil:
			add(s.devByID[tg.ID])
		case s.pairByID[tg.ID] != nil:
			add(s.pairByID[tg.ID].members()...)
		case s.clusterByID[tg.ID] != nil:
			add(s.clusterByID[tg.ID].units...)
		default:
			return nil, fmt.Sprintf("Invalid target %q: no device, HA pair or cluster has this id.", tg.ID)
		}
	}
	return out, ""
}

// decodeTargets reads the body of a cancel, retry or revert and resolves
// its targets; a bad body or an unknown target is answered 400 here.
func (s *sim) decodeTargets(w http.ResponseWriter, r *http.Request) (targetsRequest, []*deviceState, bool) {
	var req targetsRequest
	if !decodeBody(w, r, &req) {
		return req, nil, false
	}
	devs, msg := s.resolveDevices(req.Targets)
	if msg != "" {
		writeError(w, http.StatusBadRequest, catValidation, "%s", msg)
		return req, nil, false
	}
	return req, devs, true
}

// writeTriggered answers a cancel, retry or revert: the management center
// names the operation (Cancel, Retry, Revert) in both the type and the
// message.
func writeTriggered(w http.ResponseWriter, req targetsRequest, op string, t *taskState) {
	writeJSON(w, http.StatusCreated, targetsResponse{Targets: req.Targets, Type: op + "Upgrade",
		Metadata: taskMetadata{Task: taskRef{ID: t.id, Message: "Triggered all " + op + " Upgrades successfully", Status: statusRunning}}})
}

// handleCancelUpgrade cancels in-progress or failed upgrades and rolls the
// units back. forceCancel is accepted; the simulator cancels either way.
func (srv *Server) handleCancelUpgrade(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	req, devs, ok := s.decodeTargets(w, r)
	if !ok {
		return
	}
	for _, d := range devs {
		cancellable := d.failed != nil || d.reserved != nil ||
			(d.op != nil && d.op.mode != "rollback" && d.op.mode != "push" && d.op.mode != "readiness")
		if !cancellable {
			writeError(w, http.StatusBadRequest, catValidation, "No upgrade is in progress or failed on %s.", d.name)
			return
		}
	}
	t := s.newTask("cancel", "Cancel upgrade", taskTypeUpgrade)
	for _, d := range devs {
		sub := t.addSub(d.id, "Device", d.name)
		switch {
		case d.op != nil:
			orig := d.op
			wasDisruptive := orig.disruptive() || d.rebooting
			orig.gen++
			s.finishSub(orig.task, orig.sub, s.now, statusFailed, "Upgrade cancelled on request.")
			orig.done(s.now, errCancelled)
			if wasDisruptive {
				s.rollback(t, sub, d, "Cancel requested.", s.now, statusCompleted, func(time.Time) {})
			} else {
				s.finishSub(t, sub, s.now, statusCompleted, fmt.Sprintf("Upgrade of %s cancelled before installation began.", d.name))
			}
		case d.failed != nil:
			s.rollback(t, sub, d, "Cancel requested.", s.now, statusCompleted, func(time.Time) {})
		case d.reserved != nil:
			for _, st := range d.reserved.subs {
				if st.target.ID == d.id {
					st.cancelled = true
				}
			}
			d.reserved = nil
			s.finishSub(t, sub, s.now, statusCompleted, fmt.Sprintf("Upgrade of %s cancelled before it started.", d.name))
		}
	}
	writeTriggered(w, req, "Cancel", t)
}

// handleRetryUpgrade resumes upgrades that failed during installation.
func (srv *Server) handleRetryUpgrade(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	req, devs, ok := s.decodeTargets(w, r)
	if !ok {
		return
	}
	for _, d := range devs {
		if d.failed == nil || d.op != nil {
			writeError(w, http.StatusBadRequest, catValidation, "No failed upgrade to retry on %s.", d.name)
			return
		}
	}
	t := s.newTask("upgrade", "Retry upgrade", taskTypeUpgrade)
	for _, d := range devs {
		sub := t.addSub(d.id, "Device", d.name)
		o := d.failed.opts
		o.mode = "retry"
		s.startDeviceStep(t, sub, d, o, s.now, func(time.Time, bool) {})
	}
	writeTriggered(w, req, "Retry", t)
}

// handleRevertUpgrade returns units upgraded with enableUpgradeRevert to
// the version they ran before.
func (srv *Server) handleRevertUpgrade(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	req, devs, ok := s.decodeTargets(w, r)
	if !ok {
		return
	}
	for _, d := range devs {
		switch {
		case d.op != nil || d.reserved != nil:
			writeError(w, http.StatusBadRequest, catValidation, "%s is busy; revert when its current operation ends.", d.name)
			return
		case d.revertTo == nil:
			writeError(w, http.StatusBadRequest, catValidation, "%s has no revert snapshot: it was not upgraded with enableUpgradeRevert.", d.name)
			return
		}
	}
	t := s.newTask("upgrade", "Revert upgrade", taskTypeUpgrade)
	for _, d := range devs {
		sub := t.addSub(d.id, "Device", d.name)
		s.startDeviceStep(t, sub, d, upgradeOpts{mode: "revert"}, s.now, func(time.Time, bool) {})
	}
	writeTriggered(w, req, "Revert", t)
}

type subTaskJSON struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Target  ref    `json:"target"`
}

type taskStatusJSON struct {
	ID          string        `json:"id"`
	Type        string        `json:"type"`
	Name        string        `json:"name,omitempty"`
	TaskType    string        `json:"taskType,omitempty"`
	Status      string        `json:"status"`
	Message     string        `json:"message"`
	Description string        `json:"description,omitempty"`
	SubTasks    []subTaskJSON `json:"subTasks,omitempty"`
	Links       links         `json:"links"`
}

func (srv *Server) taskJSON(r *http.Request, domain string, t *taskState) taskStatusJSON {
	tj := taskStatusJSON{ID: t.id, Type: "TaskStatus", Name: t.name, TaskType: t.taskType, Status: t.status(), Message: t.message(),
		Description: t.name,
		Links:       links{Self: baseURL(r) + "/api/fmc_config/v1/domain/" + domain + "/job/taskstatuses/" + t.id}}
	for _, st := range t.subs {
		tj.SubTasks = append(tj.SubTasks, subTaskJSON{Status: st.status, Message: st.message, Target: st.target})
	}
	return tj
}

func (srv *Server) handleGetTask(w http.ResponseWriter, r *http.Request) {
	t, ok := srv.sim.tasks[r.PathValue("objectId")]
	if !ok {
		writeError(w, http.StatusNotFound, catFramework, "No task found with id %s.", r.PathValue("objectId"))
		return
	}
	writeJSON(w, http.StatusOK, srv.taskJSON(r, r.PathValue("domainUUID"), t))
}

// handleListTasks requires a filter, as the 7.3 API does; type and status
// are matched case-insensitively against the task's type and status.
func (srv *Server) handleListTasks(w http.ResponseWriter, r *http.Request) {
	lq, ok := listQueryOf(w, r)
	if !ok {
		return
	}
	if len(lq.filter) == 0 {
		writeError(w, http.StatusBadRequest, catValidation, "The filter query parameter is required, e.g. filter=type:Deployment;status:Deploying.")
		return
	}
	kinds := map[string]string{"deployment": "DEVICE_DEPLOYMENT", "registration": "DEVICE_REGISTRATION", "upgrade": taskTypeUpgrade}
	var list []*taskState
	for _, t := range srv.sim.taskOrder {
		if ft, ok := lq.filter["type"]; ok {
			want := kinds[strings.ToLower(ft)]
			if want == "" {
				want = strings.ToUpper(ft)
			}
			if t.taskType != want {
				continue
			}
		}
		if fs, ok := lq.filter["status"]; ok && !strings.EqualFold(fs, t.status()) {
			continue
		}
		list = append(list, t)
	}
	domain := r.PathValue("domainUUID")
	writeList(w, r, lq, len(list), func(i int, _ bool) any { return srv.taskJSON(r, domain, list[i]) })
}
