package fmcsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

const configPath = "/api/fmc_config/v1/domain/"

// domainOf resolves the {domainUUID} path value, answering 404 itself for
// an unknown domain (the real response code is not documented).
func (srv *Server) domainOf(w http.ResponseWriter, r *http.Request) *domainState {
	d, ok := srv.sim.domainByUUID[r.PathValue("domainUUID")]
	if !ok {
		writeError(w, http.StatusNotFound, catFramework, "Domain %s not found.", r.PathValue("domainUUID"))
		return nil
	}
	return d
}

// domainListQuery is domainOf then listQueryOf: the domain is checked
// first, so an unknown domain answers 404 even with a malformed query.
func (srv *Server) domainListQuery(w http.ResponseWriter, r *http.Request) (*domainState, listQuery, bool) {
	dom := srv.domainOf(w, r)
	if dom == nil {
		return nil, listQuery{}, false
	}
	lq, ok := listQueryOf(w, r)
	return dom, lq, ok
}

type serverVersionJSON struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	ServerVersion string `json:"serverVersion"`
	GeoVersion    string `json:"geoVersion,omitempty"`
	VDBVersion    string `json:"vdbVersion,omitempty"`
	SRUVersion    string `json:"sruVersion,omitempty"`
	LSPVersion    string `json:"lspVersion,omitempty"`
	// Fields newer management centers add (the Cisco Terraform provider's
	// system information data source reads them).
	Hostname     string `json:"hostname,omitempty"`
	Model        string `json:"model,omitempty"`
	SerialNumber string `json:"serialNumber,omitempty"`
	Uptime       string `json:"uptime,omitempty"`
	Links        links  `json:"links"`
	// Metadata is present while the management center runs its own
	// readiness check; see busyMetadata.
	Metadata *busyMetadata `json:"metadata,omitempty"`
}

// busyMetadata names the task operating on a record that is not a device:
// the management center (its readiness check) or a multi-instance chassis
// (a package copy, readiness check or upgrade). Inferred: the Swagger
// gives device records metadata.task and the HA switch answer carries
// metadata.task on the pair, so these records name their running task
// the same way; their own models list metadata without detail.
type busyMetadata struct {
	Task   *ref        `json:"task,omitempty"`
	Domain *domainJSON `json:"domain,omitempty"`
}

func taskRefOf(t *taskState) *ref {
	if t == nil {
		return nil
	}
	return &ref{ID: t.id, Type: "Task", Name: t.name}
}

// serverVersion reports the management center. Its id doubles as the
// target id for the management center's readiness check (inferred: the
// real target shape is not documented).
func (srv *Server) serverVersion(r *http.Request) serverVersionJSON {
	s := srv.sim
	v := s.fmc.ver.String()
	if s.fmc.ver.Build > 0 {
		v = fmt.Sprintf("%s (build %d)", v, s.fmc.ver.Build)
	}
	up := s.now.Sub(srv.started)
	j := serverVersionJSON{ID: s.fmc.id, Type: "ServerVersion", ServerVersion: v,
		GeoVersion: s.fmc.geo, VDBVersion: s.fmc.vdb, SRUVersion: s.fmc.sru, LSPVersion: s.fmc.lsp,
		Hostname: s.fmc.hostname, Model: s.fmc.model, SerialNumber: s.fmc.serial,
		Uptime: fmt.Sprintf("%d days, %d hours, %d minutes", int(up.Hours())/24, int(up.Hours())%24, int(up.Minutes())%60),
		Links:  links{Self: baseURL(r) + "/api/fmc_platform/v1/info/serverversion/" + s.fmc.id}}
	if op := s.fmc.op; op != nil && op.task != nil {
		j.Metadata = &busyMetadata{Task: taskRefOf(op.task)}
	}
	return j
}

func (srv *Server) handleServerVersions(w http.ResponseWriter, r *http.Request) {
	lq, ok := listQueryOf(w, r)
	if !ok {
		return
	}
	writeList(w, r, lq, 1, func(int, bool) any { return srv.serverVersion(r) })
}

func (srv *Server) handleServerVersion(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("objectId") != srv.sim.fmc.id {
		writeError(w, http.StatusNotFound, catFramework, "No server version found with id %s.", r.PathValue("objectId"))
		return
	}
	writeJSON(w, http.StatusOK, srv.serverVersion(r))
}

type domainJSON struct {
	ID    string `json:"id,omitempty"`
	UUID  string `json:"uuid"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Links *links `json:"links,omitempty"`
}

// domainRef is how a record's metadata names its domain; the domain list
// itself answers without the id.
func domainRef(d *domainState) *domainJSON {
	return &domainJSON{ID: d.uuid, UUID: d.uuid, Name: d.name, Type: "Domain"}
}

func (srv *Server) handleDomains(w http.ResponseWriter, r *http.Request) {
	lq, ok := listQueryOf(w, r)
	if !ok {
		return
	}
	ds := srv.sim.domains
	writeList(w, r, lq, len(ds), func(i int, _ bool) any {
		return domainJSON{UUID: ds[i].uuid, Name: ds[i].name, Type: "Domain"}
	})
}

type deviceJSON struct {
	ID                     string          `json:"id"`
	Name                   string          `json:"name"`
	Type                   string          `json:"type"`
	Links                  links           `json:"links"`
	HostName               string          `json:"hostName,omitempty"`
	Model                  string          `json:"model,omitempty"`
	ModelNumber            string          `json:"modelNumber,omitempty"`
	ModelType              string          `json:"modelType,omitempty"`
	SWVersion              string          `json:"sw_version,omitempty"`
	HealthStatus           string          `json:"healthStatus,omitempty"`
	HealthPolicy           *ref            `json:"healthPolicy,omitempty"`
	AccessPolicy           *ref            `json:"accessPolicy,omitempty"`
	LicenseCaps            []string        `json:"license_caps,omitempty"`
	FTDMode                string          `json:"ftdMode,omitempty"`
	SnortEngine            string          `json:"snortEngine,omitempty"`
	KeepLocalEvents        *bool           `json:"keepLocalEvents,omitempty"`
	ProhibitPacketTransfer *bool           `json:"prohibitPacketTransfer,omitempty"`
	Advanced               *advancedJSON   `json:"advanced,omitempty"`
	IsConnected            *bool           `json:"isConnected,omitempty"`
	Metadata               *deviceMetadata `json:"metadata,omitempty"`
}

type advancedJSON struct {
	EnableOGS bool `json:"enableOGS"`
}

type deviceMetadata struct {
	IsPartOfContainer  bool              `json:"isPartOfContainer"`
	ContainerDetails   *containerDetails `json:"containerDetails,omitempty"`
	IsMultiInstance    bool              `json:"isMultiInstance"`
	ChassisData        *chassisDataJSON  `json:"chassisData,omitempty"`
	InventoryData      *inventoryData    `json:"inventoryData,omitempty"`
	SnortVersion       string            `json:"snortVersion,omitempty"`
	SRUVersion         string            `json:"sruVersion,omitempty"`
	VDBVersion         string            `json:"vdbVersion,omitempty"`
	LSPVersion         string            `json:"lspVersion,omitempty"`
	DeviceSerialNumber string            `json:"deviceSerialNumber,omitempty"`
	IsSnort3           bool              `json:"isSnort3"`
	Domain             *domainJSON       `json:"domain,omitempty"`
	// Task is the task operating on the unit (copy, readiness check,
	// upgrade), present while one is queued or running. The Swagger model
	// lists metadata.task; that the management center fills it for
	// upgrades is inferred.
	Task *ref `json:"task,omitempty"`
}

// containerDetails role and status follow the Cisco Terraform provider's
// description: PRIMARY/SECONDARY and Active/Standby for HA pairs,
// Control/Data for clusters.
type containerDetails struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Role   string `json:"role,omitempty"`
	Status string `json:"status,omitempty"`
}

type chassisDataJSON struct {
	ChassisSerialNo  string `json:"chassisSerialNo"`
	ChassisURL       string `json:"chassisUrl"`
	SecurityModuleNo int    `json:"securityModuleNo"`
	SecurityModuleSN string `json:"securityModuleSN"`
}

type inventoryData struct {
	CPUType     string `json:"cpuType"`
	CPUCores    string `json:"cpuCores"`
	MemoryInMB  string `json:"memoryInMB"`
	StorageInGB string `json:"storageInGB"`
}

func (srv *Server) deviceURL(r *http.Request, d *deviceState) string {
	return baseURL(r) + configPath + d.domain.uuid + "/devices/devicerecords/" + d.id
}

func boolp(b bool) *bool { return &b }

func (srv *Server) deviceJSON(r *http.Request, d *deviceState, expanded bool) deviceJSON {
	s := srv.sim
	j := deviceJSON{ID: d.id, Name: d.name, Type: "Device", Links: links{Self: srv.deviceURL(r, d)}}
	if !expanded {
		return j
	}
	j.HostName, j.Model, j.ModelNumber, j.ModelType = d.hostName, d.model, d.modelNumber, "Sensor"
	j.SWVersion = d.ver.String()
	j.HealthStatus = s.health(d)
	j.HealthPolicy = &ref{ID: stableUUID("policy", "health"), Type: "HealthPolicy", Name: "Initial_Health_Policy"}
	j.AccessPolicy = &ref{ID: stableUUID("policy", "access/"+d.domain.name), Type: "AccessPolicy", Name: "Default Access Control Policy"}
	j.LicenseCaps = []string{"BASE", "THREAT", "MALWARE", "URLFilter"}
	j.FTDMode = "ROUTED"
	j.SnortEngine = "SNORT2"
	if d.snort3 {
		j.SnortEngine = "SNORT3"
	}
	j.KeepLocalEvents, j.ProhibitPacketTransfer = boolp(false), boolp(false)
	j.Advanced = &advancedJSON{}
	j.IsConnected = boolp(d.connected())
	m := &deviceMetadata{SnortVersion: snortVersion(d), SRUVersion: s.fmc.sru, VDBVersion: s.fmc.vdb, LSPVersion: s.fmc.lsp,
		DeviceSerialNumber: d.serial, IsSnort3: d.snort3,
		Domain:        domainRef(d.domain),
		InventoryData: &inventoryData{CPUType: "x86_64", CPUCores: "16", MemoryInMB: "65536", StorageInGB: "400"}}
	switch {
	case d.ha != nil:
		role := "PRIMARY"
		if d == d.ha.secondary {
			role = "SECONDARY"
		}
		m.IsPartOfContainer = true
		m.ContainerDetails = &containerDetails{ID: d.ha.id, Type: "DeviceHAPair", Name: d.ha.name, Role: role, Status: haUnitStatus(d)}
	case d.cluster != nil:
		m.IsPartOfContainer = true
		m.ContainerDetails = &containerDetails{ID: d.cluster.id, Type: "DeviceCluster", Name: d.cluster.name, Role: d.role(), Status: clusterUnitStatus(d)}
	}
	m.Task = taskRefOf(d.activeTask())
	if c := d.chassis; c != nil {
		m.IsMultiInstance = c.kind == catalog.ChassisMultiInstance
		cd := &chassisDataJSON{ChassisSerialNo: c.serial, SecurityModuleNo: max(d.slot, 1), SecurityModuleSN: d.serial}
		if c.kind == catalog.ChassisFXOS {
			// The simulator serves the chassis manager itself, so the URL
			// points at it.
			cd.ChassisURL = baseURL(r) + "/fxos/" + c.id
		} else {
			cd.ChassisURL = "https://" + c.hostName
		}
		m.ChassisData = cd
	}
	j.Metadata = m
	return j
}

// haUnitStatus is a unit's failover status. "Active", "Standby" and
// "Failed" are inferred from the Cisco Terraform provider's description
// ("Active, Standby, but other possible as well").
func haUnitStatus(d *deviceState) string {
	switch {
	case !d.connected() || d.failed != nil:
		return "Failed"
	case d.ha.isActive(d):
		return "Active"
	}
	return "Standby"
}

// clusterUnitStatus values are inferred.
func clusterUnitStatus(d *deviceState) string {
	switch d.clusterState {
	case "in_cluster":
		return "In Cluster"
	case "joining":
		return "Joining"
	}
	return "Not In Cluster"
}

// snortVersion is a plausible Snort 3 build for the device's train.
func snortVersion(d *deviceState) string {
	if !d.snort3 {
		return "2.9.20-" + strconv.Itoa(100+d.ver.Minor)
	}
	return fmt.Sprintf("3.1.%d.%d-%d", d.ver.Minor*10+d.ver.Maintenance, 100, d.ver.Build%1000)
}

func (srv *Server) handleListDevices(w http.ResponseWriter, r *http.Request) {
	dom, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	var ids map[string]bool
	if v, ok := lq.filter["ids"]; ok {
		ids = map[string]bool{}
		for _, id := range strings.Split(v, ",") {
			ids[strings.TrimSpace(id)] = true
		}
	}
	var list []*deviceState
	for _, d := range srv.sim.devices {
		if !dom.includes(d.domain) {
			continue
		}
		if ids != nil && !ids[d.id] {
			continue
		}
		if v, ok := lq.filter["name"]; ok && d.name != v {
			continue
		}
		if v, ok := lq.filter["hostName"]; ok && d.hostName != v {
			continue
		}
		if v, ok := lq.filter["version"]; ok && d.ver.String() != v {
			continue
		}
		if v, ok := lq.filter["containerType"]; ok && !strings.EqualFold(containerType(d), v) {
			continue
		}
		list = append(list, d)
	}
	writeList(w, r, lq, len(list), func(i int, expanded bool) any { return srv.deviceJSON(r, list[i], expanded) })
}

func (srv *Server) handleGetDevice(w http.ResponseWriter, r *http.Request) {
	dom := srv.domainOf(w, r)
	if dom == nil {
		return
	}
	d := srv.sim.devByID[r.PathValue("objectId")]
	if d == nil || !dom.includes(d.domain) {
		writeError(w, http.StatusNotFound, catFramework, "No device found with id %s.", r.PathValue("objectId"))
		return
	}
	writeJSON(w, http.StatusOK, srv.deviceJSON(r, d, true))
}

type baseDeviceJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	SWVersion    string `json:"sw_version,omitempty"`
	HealthStatus string `json:"healthStatus,omitempty"`
	Model        string `json:"model,omitempty"`
	ModelNumber  string `json:"modelNumber,omitempty"`
	ModelType    string `json:"modelType,omitempty"`
	Links        *links `json:"links,omitempty"`
}

func (srv *Server) baseDevice(r *http.Request, d *deviceState) *baseDeviceJSON {
	return &baseDeviceJSON{ID: d.id, Name: d.name, Type: "Device", SWVersion: d.ver.String(), HealthStatus: srv.sim.health(d),
		Model: d.model, ModelNumber: d.modelNumber, ModelType: "Sensor", Links: &links{Self: srv.deviceURL(r, d)}}
}

type haPairJSON struct {
	ID                           string          `json:"id"`
	Name                         string          `json:"name"`
	Type                         string          `json:"type"`
	Links                        links           `json:"links"`
	Primary                      *baseDeviceJSON `json:"primary,omitempty"`
	Secondary                    *baseDeviceJSON `json:"secondary,omitempty"`
	SWVersion                    string          `json:"sw_version,omitempty"`
	HealthStatus                 string          `json:"healthStatus,omitempty"`
	Model                        string          `json:"model,omitempty"`
	ModelNumber                  string          `json:"modelNumber,omitempty"`
	ModelType                    string          `json:"modelType,omitempty"`
	FTDHABootstrap               *haBootstrap    `json:"ftdHABootstrap,omitempty"`
	FTDHAFailoverTriggerCriteria json.RawMessage `json:"ftdHAFailoverTriggerCriteria,omitempty"`
	Action                       string          `json:"action,omitempty"`
	Metadata                     *haMetadata     `json:"metadata,omitempty"`
}

type haBootstrap struct {
	IsEncryptionEnabled     bool       `json:"isEncryptionEnabled"`
	UseSameLinkForFailovers bool       `json:"useSameLinkForFailovers"`
	LanFailover             failoverIf `json:"lanFailover"`
	StatefulFailover        failoverIf `json:"statefulFailover"`
}

type failoverIf struct {
	InterfaceObject ref    `json:"interfaceObject"`
	LogicalName     string `json:"logicalName"`
	ActiveIP        string `json:"activeIP"`
	StandbyIP       string `json:"standbyIP"`
	SubnetMask      string `json:"subnetMask"`
	UseIPv6Address  bool   `json:"useIPv6Address"`
}

// haMetadata carries the failover state the way a cdFMC HA monitoring
// script reads it: primaryStatus/secondaryStatus.currentStatus and
// configStatus. The configStatus values are inferred.
type haMetadata struct {
	PrimaryStatus   *haUnitState `json:"primaryStatus,omitempty"`
	SecondaryStatus *haUnitState `json:"secondaryStatus,omitempty"`
	ConfigStatus    string       `json:"configStatus,omitempty"`
	Task            *taskRef     `json:"task,omitempty"`
	Domain          *domainJSON  `json:"domain,omitempty"`
}

type haUnitState struct {
	CurrentStatus string `json:"currentStatus"`
	Device        ref    `json:"device"`
}

// defaultFailoverCriteria are the failover defaults (unit poll 1 s, hold
// 15 s; interface poll 5 s, hold 25 s).
var defaultFailoverCriteria = json.RawMessage(`{"peerPollTime":1,"peerPollTimeUnit":"SEC","peerHoldTime":15,"peerHoldTimeUnit":"SEC","interfacePollTime":5,"interfacePollTimeUnit":"SEC","interfaceHoldTime":25,"noOfFailedInterfaceLimit":1}`)

func configStatus(h *haState) string {
	switch h.syncState() {
	case "out_of_sync":
		return "OUT_OF_SYNC"
	case "split_brain":
		return "SPLIT_BRAIN"
	}
	return "IN_SYNC"
}

func (srv *Server) haURL(r *http.Request, h *haState) string {
	return baseURL(r) + configPath + h.domain.uuid + "/devicehapairs/ftddevicehapairs/" + h.id
}

func (srv *Server) haJSON(r *http.Request, h *haState, expanded bool) haPairJSON {
	j := haPairJSON{ID: h.id, Name: h.name, Type: "DeviceHAPair", Links: links{Self: srv.haURL(r, h)}}
	if !expanded {
		return j
	}
	s := srv.sim
	j.Primary, j.Secondary = srv.baseDevice(r, h.primary), srv.baseDevice(r, h.secondary)
	j.SWVersion = h.active.ver.String()
	j.HealthStatus = worstHealth(s.health(h.primary), s.health(h.secondary))
	j.Model, j.ModelNumber, j.ModelType = h.primary.model, h.primary.modelNumber, "Sensor"
	n := int(h.id[0]) % 200
	j.FTDHABootstrap = &haBootstrap{UseSameLinkForFailovers: true,
		LanFailover:      failoverIf{InterfaceObject: ref{ID: stableUUID("interface", h.id+"/lan"), Type: "PhysicalInterface", Name: "Ethernet1/8"}, LogicalName: "FOLINK", ActiveIP: fmt.Sprintf("192.0.2.%d", n+1), StandbyIP: fmt.Sprintf("192.0.2.%d", n+2), SubnetMask: "255.255.255.252"},
		StatefulFailover: failoverIf{InterfaceObject: ref{ID: stableUUID("interface", h.id+"/lan"), Type: "PhysicalInterface", Name: "Ethernet1/8"}, LogicalName: "FOLINK", ActiveIP: fmt.Sprintf("192.0.2.%d", n+1), StandbyIP: fmt.Sprintf("192.0.2.%d", n+2), SubnetMask: "255.255.255.252"}}
	j.FTDHAFailoverTriggerCriteria = h.failoverCriteria
	if j.FTDHAFailoverTriggerCriteria == nil {
		j.FTDHAFailoverTriggerCriteria = defaultFailoverCriteria
	}
	j.Metadata = &haMetadata{
		PrimaryStatus:   &haUnitState{CurrentStatus: haUnitStatus(h.primary), Device: ref{ID: h.primary.id, Type: "Device", Name: h.primary.name}},
		SecondaryStatus: &haUnitState{CurrentStatus: haUnitStatus(h.secondary), Device: ref{ID: h.secondary.id, Type: "Device", Name: h.secondary.name}},
		ConfigStatus:    configStatus(h),
		Domain:          domainRef(h.domain),
	}
	// The switch answer names its task in metadata.task (found); that the
	// pair's record keeps naming it until the switch ends is inferred, and
	// is how a client that lost the answer sees the switch in progress.
	if h.op != nil {
		j.Metadata.Task = &taskRef{ID: h.op.id, Name: h.op.name, Type: "Task"}
	}
	return j
}

func worstHealth(hs ...string) string {
	rank := map[string]int{"green": 0, "yellow": 1, "red": 2}
	w := "green"
	for _, h := range hs {
		if rank[h] > rank[w] {
			w = h
		}
	}
	return w
}

func (srv *Server) handleListHAPairs(w http.ResponseWriter, r *http.Request) {
	dom, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	var list []*haState
	for _, h := range srv.sim.pairs {
		if dom.includes(h.domain) {
			list = append(list, h)
		}
	}
	writeList(w, r, lq, len(list), func(i int, expanded bool) any { return srv.haJSON(r, list[i], expanded) })
}

func (srv *Server) pairFor(w http.ResponseWriter, r *http.Request) *haState {
	dom := srv.domainOf(w, r)
	if dom == nil {
		return nil
	}
	h := srv.sim.pairByID[r.PathValue("objectId")]
	if h == nil || !dom.includes(h.domain) {
		writeError(w, http.StatusNotFound, catFramework, "No HA pair found with id %s.", r.PathValue("objectId"))
		return nil
	}
	return h
}

func (srv *Server) handleGetHAPair(w http.ResponseWriter, r *http.Request) {
	if h := srv.pairFor(w, r); h != nil {
		writeJSON(w, http.StatusOK, srv.haJSON(r, h, true))
	}
}

type haUpdateRequest struct {
	ID                           string          `json:"id"`
	Action                       string          `json:"action"`
	ForceBreak                   flexBool        `json:"forceBreak"`
	FTDHAFailoverTriggerCriteria json.RawMessage `json:"ftdHAFailoverTriggerCriteria"`
}

// handleUpdateHAPair is the PUT that switches roles (action SWITCH), breaks
// the pair (HABREAK) or sets the failover trigger criteria.
func (srv *Server) handleUpdateHAPair(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	h := srv.pairFor(w, r)
	if h == nil {
		return
	}
	var req haUpdateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.ID != "" && req.ID != h.id {
		writeError(w, http.StatusBadRequest, catValidation, "The id in the body (%s) does not match the HA pair in the path (%s).", req.ID, h.id)
		return
	}
	switch strings.ToUpper(req.Action) {
	case "":
		if len(req.FTDHAFailoverTriggerCriteria) == 0 {
			writeError(w, http.StatusBadRequest, catValidation, "Nothing to update: give action (SWITCH or HABREAK) or ftdHAFailoverTriggerCriteria.")
			return
		}
		var crit map[string]any
		if err := json.Unmarshal(req.FTDHAFailoverTriggerCriteria, &crit); err != nil {
			writeError(w, http.StatusBadRequest, catValidation, "Invalid ftdHAFailoverTriggerCriteria: %v", err)
			return
		}
		h.failoverCriteria = append(json.RawMessage(nil), req.FTDHAFailoverTriggerCriteria...)
		writeJSON(w, http.StatusOK, srv.haJSON(r, h, true))
	case "SWITCH":
		standby := h.standby()
		switch {
		case h.op != nil:
			writeError(w, http.StatusBadRequest, catValidation, "%s of %s is already in progress (task %s).", h.op.name, h.name, h.op.id)
			return
		case (h.active.op != nil && h.active.op.disruptive()) || (standby.op != nil && standby.op.disruptive()):
			writeError(w, http.StatusBadRequest, catValidation, "Cannot switch roles of %s while a unit is upgrading.", h.name)
			return
		case !standby.connected():
			writeError(w, http.StatusBadRequest, catValidation, "Cannot switch roles of %s: standby %s is not reachable.", h.name, standby.name)
			return
		}
		srv.startPairOp(w, r, h, "SWITCH", "ha_switch", "FTD HA Master Switch", fmt.Sprintf("Making %s the active unit.", standby.name),
			func(t *taskState, sub *subTask, at time.Time) {
				if standby.connected() && standby.op == nil {
					h.active = standby
					s.finishSub(t, sub, at, statusCompleted, fmt.Sprintf("%s is now the active unit of %s.", standby.name, h.name))
					return
				}
				s.finishSub(t, sub, at, statusFailed, fmt.Sprintf("Role switch failed: %s is not ready.", standby.name))
			})
	case "HABREAK":
		if h.op != nil {
			writeError(w, http.StatusBadRequest, catValidation, "Cannot break %s: %s is in progress (task %s).", h.name, h.op.name, h.op.id)
			return
		}
		for _, d := range h.members() {
			if d.op != nil || d.reserved != nil {
				writeError(w, http.StatusBadRequest, catValidation, "Cannot break %s while %s is busy.", h.name, d.name)
				return
			}
		}
		srv.startPairOp(w, r, h, "HABREAK", "ha_break", "FTD HA Break", "Breaking the HA pair.",
			func(t *taskState, sub *subTask, at time.Time) {
				s.breakPair(h)
				s.finishSub(t, sub, at, statusCompleted, fmt.Sprintf("HA pair %s broken; its units are standalone.", h.name))
			})
	default:
		writeError(w, http.StatusBadRequest, catValidation, "Invalid action %q: use SWITCH or HABREAK.", req.Action)
	}
}

// startPairOp runs a role switch or break as one task with one subtask on
// the pair, which is busy (h.op) until done runs, and answers with the
// pair naming that task in metadata.task, as the switch answer does.
func (srv *Server) startPairOp(w http.ResponseWriter, r *http.Request, h *haState, action, kind, name, running string,
	done func(t *taskState, sub *subTask, at time.Time)) {
	s := srv.sim
	t := s.newTask(kind, name, "NGFWHA_OPERATIONS")
	sub := t.addSub(h.id, "DeviceHAPair", h.name)
	sub.status, sub.message = statusRunning, running
	h.op = t
	s.schedule(s.now.Add(s.timings.HASwitch.D()), func(at time.Time) {
		h.op = nil
		done(t, sub, at)
	})
	writeJSON(w, http.StatusOK, haPairJSON{ID: h.id, Name: h.name, Type: "DeviceHAPair", Links: links{Self: srv.haURL(r, h)}, Action: action,
		Metadata: &haMetadata{Task: &taskRef{ID: t.id, Name: t.name, Type: "Task"}}})
}

func (s *sim) breakPair(h *haState) {
	for _, d := range h.members() {
		d.ha = nil
	}
	delete(s.pairByID, h.id)
	for i, p := range s.pairs {
		if p == h {
			s.pairs = append(s.pairs[:i], s.pairs[i+1:]...)
			break
		}
	}
}

type clusterNodeJSON struct {
	DeviceDetails        ref            `json:"deviceDetails"`
	ClusterNodeBootstrap *nodeBootstrap `json:"clusterNodeBootstrap,omitempty"`
}

type nodeBootstrap struct {
	CCLIP    string `json:"cclIp"`
	Priority int    `json:"priority"`
}

// legacyNode is the 7.0 shape (masterDevice/slaveDevices).
type legacyNode struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	KeepLocalEvents bool   `json:"keepLocalEvents"`
}

type clusterJSON struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Type          string            `json:"type"`
	Links         links             `json:"links"`
	ControlDevice *clusterNodeJSON  `json:"controlDevice,omitempty"`
	DataDevices   []clusterNodeJSON `json:"dataDevices,omitempty"`
	MasterDevice  *legacyNode       `json:"masterDevice,omitempty"`
	SlaveDevices  []legacyNode      `json:"slaveDevices,omitempty"`
	SWVersion     string            `json:"sw_version,omitempty"`
	HealthStatus  string            `json:"healthStatus,omitempty"`
	Model         string            `json:"model,omitempty"`
	ModelNumber   string            `json:"modelNumber,omitempty"`
	ModelType     string            `json:"modelType,omitempty"`
	Metadata      *clusterMetadata  `json:"metadata,omitempty"`
}

type clusterMetadata struct {
	Domain *domainJSON `json:"domain,omitempty"`
}

func (srv *Server) clusterURL(r *http.Request, c *clusterState) string {
	return baseURL(r) + configPath + c.domain.uuid + "/deviceclusters/ftddevicecluster/" + c.id
}

// clusterJSON uses controlDevice/dataDevices (7.1 and later) or
// masterDevice/slaveDevices for a 7.0 management center.
func (srv *Server) clusterJSON(r *http.Request, c *clusterState, expanded bool) clusterJSON {
	j := clusterJSON{ID: c.id, Name: c.name, Type: "DeviceCluster", Links: links{Self: srv.clusterURL(r, c)}}
	if !expanded {
		return j
	}
	s := srv.sim
	legacy := version.Compare(s.fmc.ver.MaintenanceRelease(), version.Version{Major: 7, Minor: 1}) < 0
	var healths []string
	for i, u := range c.units {
		healths = append(healths, s.health(u))
		if legacy {
			n := legacyNode{ID: u.id, Type: "Device"}
			if u == c.control {
				j.MasterDevice = &n
			} else {
				j.SlaveDevices = append(j.SlaveDevices, n)
			}
			continue
		}
		n := clusterNodeJSON{DeviceDetails: ref{ID: u.id, Type: "Device", Name: u.name},
			ClusterNodeBootstrap: &nodeBootstrap{CCLIP: fmt.Sprintf("198.51.100.%d", i+1), Priority: i + 1}}
		if u == c.control {
			j.ControlDevice = &n
		} else {
			j.DataDevices = append(j.DataDevices, n)
		}
	}
	j.SWVersion = c.control.ver.String()
	j.HealthStatus = worstHealth(healths...)
	j.Model, j.ModelNumber, j.ModelType = c.control.model, c.control.modelNumber, "Sensor"
	j.Metadata = &clusterMetadata{Domain: domainRef(c.domain)}
	return j
}

func (srv *Server) handleListClusters(w http.ResponseWriter, r *http.Request) {
	dom, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	var list []*clusterState
	for _, c := range srv.sim.clusters {
		if dom.includes(c.domain) {
			list = append(list, c)
		}
	}
	writeList(w, r, lq, len(list), func(i int, expanded bool) any { return srv.clusterJSON(r, list[i], expanded) })
}

func (srv *Server) clusterFor(w http.ResponseWriter, r *http.Request, key string) *clusterState {
	dom := srv.domainOf(w, r)
	if dom == nil {
		return nil
	}
	c := srv.sim.clusterByID[r.PathValue(key)]
	if c == nil || !dom.includes(c.domain) {
		writeError(w, http.StatusNotFound, catFramework, "No cluster found with id %s.", r.PathValue(key))
		return nil
	}
	return c
}

func (srv *Server) handleGetCluster(w http.ResponseWriter, r *http.Request) {
	if c := srv.clusterFor(w, r, "objectId"); c != nil {
		writeJSON(w, http.StatusOK, srv.clusterJSON(r, c, true))
	}
}

// handleClusterCommand runs enable, disable or control on one cluster
// unit; the unit and operation come in the filter
// (deviceUUID:<id>;operation:<op>) as the 7.3 API describes. The response
// shape is inferred.
func (srv *Server) handleClusterCommand(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	c := srv.clusterFor(w, r, "containerUUID")
	if c == nil {
		return
	}
	lq, ok := listQueryOf(w, r)
	if !ok {
		return
	}
	d := s.devByID[lq.filter["deviceUUID"]]
	if d == nil || d.cluster != c {
		writeError(w, http.StatusBadRequest, catValidation, "filter deviceUUID must name a unit of cluster %s.", c.name)
		return
	}
	op := strings.ToLower(lq.filter["operation"])
	if op != "enable" && op != "disable" && op != "control" {
		writeError(w, http.StatusBadRequest, catValidation, "filter operation must be enable, disable or control.")
		return
	}
	if d.op != nil {
		writeError(w, http.StatusBadRequest, catValidation, "%s is busy with an upgrade.", d.name)
		return
	}
	t := s.newTask("cluster_command", "FTD cluster "+op, "FTD_CLUSTER_BOOTSTRAP")
	sub := t.addSub(d.id, "Device", d.name)
	sub.status = statusRunning
	switch op {
	case "control":
		if d.clusterState != "in_cluster" || !d.connected() {
			writeError(w, http.StatusBadRequest, catValidation, "%s must be in the cluster and reachable to take the control role.", d.name)
			return
		}
		sub.message = fmt.Sprintf("Moving the control role to %s.", d.name)
		s.schedule(s.now.Add(s.timings.HASwitch.D()), func(at time.Time) {
			if d.clusterState == "in_cluster" && d.connected() {
				c.control = d
				s.finishSub(t, sub, at, statusCompleted, fmt.Sprintf("%s is the control unit of %s.", d.name, c.name))
				return
			}
			s.finishSub(t, sub, at, statusFailed, fmt.Sprintf("%s left the cluster before taking the control role.", d.name))
		})
	case "disable":
		sub.message = fmt.Sprintf("Disabling clustering on %s.", d.name)
		d.clusterState = "not_in_cluster"
		c.moveControl(d)
		s.finishSub(t, sub, s.now, statusCompleted, fmt.Sprintf("%s left cluster %s.", d.name, c.name))
	case "enable":
		sub.message = fmt.Sprintf("%s is joining cluster %s.", d.name, c.name)
		if d.clusterState == "not_in_cluster" {
			d.clusterState = "joining"
		}
		s.schedule(s.now.Add(s.timings.ClusterRejoin.D()), func(at time.Time) {
			if d.clusterState == "joining" && d.connected() {
				s.rejoinCluster(d)
			}
			s.finishSub(t, sub, at, statusCompleted, fmt.Sprintf("%s is in cluster %s.", d.name, c.name))
		})
	}
	writeJSON(w, http.StatusAccepted, struct {
		Type     string       `json:"type"`
		Metadata taskMetadata `json:"metadata"`
	}{Type: "FTDClusterDeviceCommand", Metadata: taskMetadata{Task: taskRef{ID: t.id, Status: statusRunning, Message: sub.message}}})
}

type managedChassisJSON struct {
	ID              string        `json:"id"`
	Type            string        `json:"type"`
	Links           links         `json:"links"`
	ChassisName     string        `json:"chassisName,omitempty"`
	ChassisHostName string        `json:"chassisHostName,omitempty"`
	SWVersion       string        `json:"swVersion,omitempty"`
	Model           string        `json:"model,omitempty"`
	Metadata        *busyMetadata `json:"metadata,omitempty"`
}

// managedChassis lists the chassis the management center manages: 3100/4200
// in multi-instance mode. Firepower 4100/9300 chassis have their own
// chassis manager and are not listed.
func (srv *Server) managedChassis(dom *domainState) []*chassisState {
	var out []*chassisState
	for _, c := range srv.sim.chassis {
		if c.kind == catalog.ChassisMultiInstance && dom.includes(c.domain) {
			out = append(out, c)
		}
	}
	return out
}

func (srv *Server) chassisJSON(r *http.Request, c *chassisState, expanded bool) managedChassisJSON {
	j := managedChassisJSON{ID: c.id, ChassisName: c.name, Type: "FMCManagedChassis",
		Links: links{Self: baseURL(r) + configPath + c.domain.uuid + "/chassis/fmcmanagedchassis/" + c.id}}
	if expanded {
		j.ChassisHostName, j.SWVersion, j.Model = c.hostName, c.swVer.String(), c.model
		j.Metadata = &busyMetadata{Task: taskRefOf(c.activeTask()),
			Domain: domainRef(c.domain)}
	}
	return j
}

func (srv *Server) handleListManagedChassis(w http.ResponseWriter, r *http.Request) {
	dom, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	list := srv.managedChassis(dom)
	writeList(w, r, lq, len(list), func(i int, expanded bool) any { return srv.chassisJSON(r, list[i], expanded) })
}

func (srv *Server) handleGetManagedChassis(w http.ResponseWriter, r *http.Request) {
	dom := srv.domainOf(w, r)
	if dom == nil {
		return
	}
	for _, c := range srv.managedChassis(dom) {
		if c.id == r.PathValue("objectId") {
			writeJSON(w, http.StatusOK, srv.chassisJSON(r, c, true))
			return
		}
	}
	writeError(w, http.StatusNotFound, catFramework, "No chassis found with id %s.", r.PathValue("objectId"))
}

type healthAlertJSON struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name,omitempty"`
	ModuleID   string `json:"moduleID"`
	ModuleUUID string `json:"moduleUUID,omitempty"`
	DeviceUUID string `json:"deviceUUID"`
	Status     string `json:"status"`
	Timestamp  int64  `json:"timestamp"`
	Details    string `json:"details,omitempty"`
}

// alertsFor lists the alerts of one device ("0": the management center):
// those of the scenario plus the ones the estate's state raises (FTD_HA
// for a pair out of sync, HEARTBEAT for a device that lost its
// connection).
func (s *sim) alertsFor(deviceUUID string) []*alertState {
	var out []*alertState
	for _, a := range s.alerts {
		if a.deviceUUID == deviceUUID {
			out = append(out, a)
		}
	}
	if d, ok := s.devByID[deviceUUID]; ok {
		out = append(out, s.dynamicAlerts(d)...)
	}
	return out
}

func (s *sim) dynamicAlerts(d *deviceState) []*alertState {
	var out []*alertState
	if h := d.ha; h != nil && h.syncState() != "in_sync" {
		out = append(out, &alertState{id: stableUUID("alert", d.id+"/FTD_HA"), deviceUUID: d.id, module: "FTD_HA", status: "RED",
			details: fmt.Sprintf("HA pair %s is %s.", h.name, strings.ReplaceAll(h.syncState(), "_", " ")), at: s.now})
	}
	if !d.connected() {
		out = append(out, &alertState{id: stableUUID("alert", d.id+"/HEARTBEAT"), deviceUUID: d.id, module: "HEARTBEAT", status: "RED",
			details: "Appliance heartbeat not received.", at: s.now})
	}
	return out
}

func (srv *Server) handleHealthAlerts(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	dom, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	set := func(key ...string) map[string]bool {
		for _, k := range key {
			if v, ok := lq.filter[k]; ok {
				m := map[string]bool{}
				for _, x := range strings.Split(v, ",") {
					m[strings.ToUpper(strings.TrimSpace(x))] = true
				}
				return m
			}
		}
		return nil
	}
	devs, mods, stats := set("deviceUUIDs"), set("moduleIDs", "moduleIds"), set("status")
	var start, end int64 = 0, 1<<62 - 1
	for key, dst := range map[string]*int64{"startTime": &start, "endTime": &end} {
		if v, ok := lq.filter[key]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				writeError(w, http.StatusBadRequest, catValidation, "Invalid %s %q: expected seconds since the epoch.", key, v)
				return
			}
			*dst = int64(f)
		}
	}
	all := append([]*alertState(nil), s.alerts...)
	for _, d := range s.devices {
		all = append(all, s.dynamicAlerts(d)...)
	}
	var list []*alertState
	for _, a := range all {
		if a.deviceUUID != "0" {
			d := s.devByID[a.deviceUUID]
			if d == nil || !dom.includes(d.domain) {
				continue
			}
		}
		if devs != nil && !devs[strings.ToUpper(a.deviceUUID)] {
			continue
		}
		if mods != nil && !mods[a.module] {
			continue
		}
		if stats != nil && !stats[a.status] {
			continue
		}
		if ts := a.at.Unix(); ts < start || ts > end {
			continue
		}
		list = append(list, a)
	}
	writeList(w, r, lq, len(list), func(i int, _ bool) any {
		a := list[i]
		return healthAlertJSON{ID: a.id, Type: "Alert", Name: a.module, ModuleID: a.module, ModuleUUID: stableUUID("module", a.module),
			DeviceUUID: a.deviceUUID, Status: a.status, Timestamp: a.at.Unix(), Details: a.details}
	})
}

type fmcHAStatusJSON struct {
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	FMCPrimary     fmcHANode `json:"fmcPrimary"`
	FMCSecondary   fmcHANode `json:"fmcSecondary"`
	OverallStatus  string    `json:"overallStatus"`
	SyncStatus     string    `json:"syncStatus"`
	HAOpInProgress bool      `json:"haOpInProgress"`
}

type fmcHANode struct {
	Hostname string `json:"hostname"`
	Serial   string `json:"serialNumber,omitempty"`
	Status   string `json:"status"`
}

// handleFMCHAStatus reports the management center's own HA pair. The
// property names come from the 7.3 model; the values are inferred.
func (srv *Server) handleFMCHAStatus(w http.ResponseWriter, r *http.Request) {
	_, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	s := srv.sim
	p := s.fmc.peer
	if p == nil {
		writeList(w, r, lq, 0, nil)
		return
	}
	overall, sync := "HEALTHY", "SYNCHRONIZED"
	if p.Status == "degraded" {
		overall, sync = "DEGRADED", "NOT_SYNCHRONIZED"
	}
	writeList(w, r, lq, 1, func(int, bool) any {
		return fmcHAStatusJSON{ID: stableUUID("fmcha", s.fmc.id), Type: "FMCHAStatus",
			FMCPrimary:    fmcHANode{Hostname: s.fmc.hostname, Serial: s.fmc.serial, Status: "Active"},
			FMCSecondary:  fmcHANode{Hostname: p.Hostname, Serial: p.Serial, Status: "Standby"},
			OverallStatus: overall, SyncStatus: sync}
	})
}
