package fmc

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Bool is a JSON boolean that also accepts the quoted forms ("true",
// "false") the management center uses in some fields and examples. Anything
// else reads as false rather than failing a whole page.
type Bool bool

func (b *Bool) UnmarshalJSON(data []byte) error {
	s := strings.ToLower(strings.Trim(string(bytes.TrimSpace(data)), `"`))
	*b = s == "true" || s == "1" || s == "yes"
	return nil
}

// Int is a JSON integer that also accepts a numeric string; anything else
// reads as 0.
type Int int64

func (n *Int) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(data)), `"`)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -9e18 && f <= 9e18 {
		*n = Int(f)
		return nil
	}
	*n = 0
	return nil
}

// Text holds a field whose JSON type is not documented: a string as is, a
// number or boolean as written, an object or list as compact JSON.
type Text string

func (t *Text) UnmarshalJSON(data []byte) error {
	b := bytes.TrimSpace(data)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		// Compact keeps bytes as sent; keep the text printable.
		*t = Text(strings.ToValidUTF8(buf.String(), "\uFFFD"))
	}
	return nil
}

// Reference points at another object: {"id","type","name"}.
type Reference struct {
	ID   string `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
}

func (r *Reference) UnmarshalJSON(data []byte) error {
	b := bytes.TrimSpace(data)
	if len(b) == 0 || b[0] != '{' {
		// Some examples carry placeholders such as "domain": "object".
		*r = Reference{}
		return nil
	}
	type plain Reference
	var p plain
	if err := json.Unmarshal(b, &p); err == nil {
		*r = Reference(p)
		return nil
	}
	// Slow path for ids sent as numbers.
	var a struct {
		ID   Text `json:"id"`
		Type Text `json:"type"`
		Name Text `json:"name"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*r = Reference{ID: string(a.ID), Type: string(a.Type), Name: string(a.Name)}
	return nil
}

// DeviceTarget names a device in an upgrade, cancel, retry or revert
// request.
func DeviceTarget(id, name string) Reference {
	return Reference{ID: id, Type: "Device", Name: name}
}

// ServerVersion describes the management center itself
// (GET /api/fmc_platform/v1/info/serverversion).
type ServerVersion struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	ServerVersion string `json:"serverVersion"` // "7.4.2 (build 172)"
	Hostname      string `json:"hostname"`
	Model         string `json:"model"`
	Platform      Text   `json:"platform"`
	SerialNumber  string `json:"serialNumber"`
	Uptime        string `json:"uptime"`
	VDBVersion    string `json:"vdbVersion"`
	SRUVersion    string `json:"sruVersion"`
	LSPVersion    string `json:"lspVersion"`
	GeoVersion    string `json:"geoVersion"`
}

// Version returns the version number of ServerVersion without the build
// ("7.4.2" from "7.4.2 (build 172)") and the build ("172"), if given.
func (v ServerVersion) Version() (number, build string) {
	s := strings.TrimSpace(v.ServerVersion)
	number, rest, _ := strings.Cut(s, " ")
	if i := strings.Index(rest, "build"); i >= 0 {
		build = strings.Trim(strings.TrimSpace(rest[i+len("build"):]), "() ")
	}
	return number, build
}

// Device is a device record (devices/devicerecords, expanded).
type Device struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	Type             string         `json:"type"`
	HostName         string         `json:"hostName"`
	Description      string         `json:"description"`
	Model            string         `json:"model"`
	ModelID          string         `json:"modelId"`
	ModelNumber      string         `json:"modelNumber"`
	ModelType        string         `json:"modelType"`
	SWVersion        string         `json:"sw_version"`
	HealthStatus     string         `json:"healthStatus"`
	HealthMessage    string         `json:"healthMessage"`
	IsConnected      *Bool          `json:"isConnected,omitempty"`
	DeploymentStatus string         `json:"deploymentStatus"`
	Status           string         `json:"status"`
	Role             string         `json:"role"`
	FTDMode          string         `json:"ftdMode"`
	SnortEngine      string         `json:"snortEngine"`
	PerformanceTier  string         `json:"performanceTier"`
	HealthPolicy     *Reference     `json:"healthPolicy,omitempty"`
	AccessPolicy     *Reference     `json:"accessPolicy,omitempty"`
	DeviceGroup      *Reference     `json:"deviceGroup,omitempty"`
	Metadata         DeviceMetadata `json:"metadata"`
}

// DeviceMetadata is the metadata block of a device record.
type DeviceMetadata struct {
	IsPartOfContainer  Bool              `json:"isPartOfContainer"`
	ContainerDetails   *ContainerDetails `json:"containerDetails,omitempty"`
	IsMultiInstance    Bool              `json:"isMultiInstance"`
	ChassisData        *ChassisData      `json:"chassisData,omitempty"`
	ChassisDetails     *ChassisData      `json:"chassisDetails,omitempty"`
	SnortVersion       string            `json:"snortVersion"`
	SRUVersion         string            `json:"sruVersion"`
	VDBVersion         string            `json:"vdbVersion"`
	LSPVersion         string            `json:"lspVersion"`
	DeviceSerialNumber string            `json:"deviceSerialNumber"`
	IsSnort3           Bool              `json:"isSnort3"`
	Domain             Reference         `json:"domain"`
	// Task names the task operating on the device (copy, readiness check,
	// upgrade) while one is queued or running.
	Task *Reference `json:"task,omitempty"`
}

// ContainerDetails says which HA pair or cluster a device belongs to and its
// role there (PRIMARY/SECONDARY, Control/Data) and state (Active/Standby).
type ContainerDetails struct {
	ID     string `json:"id"`
	Type   string `json:"type"` // DeviceHAPair, DeviceCluster, DeviceStack
	Name   string `json:"name"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

// ChassisData maps a device to the Firepower 4100/9300 chassis it runs on.
type ChassisData struct {
	ChassisSerialNo  string `json:"chassisSerialNo"`
	ChassisURL       string `json:"chassisUrl"`
	SecurityModuleNo Int    `json:"securityModuleNo"`
	SecurityModuleSN string `json:"securityModuleSN"`
}

// Chassis returns the chassis data, whichever of the two names the
// management center used.
func (d Device) Chassis() *ChassisData {
	if d.Metadata.ChassisData != nil {
		return d.Metadata.ChassisData
	}
	return d.Metadata.ChassisDetails
}

// Connected reports isConnected; ok is false when the record does not say
// (before 7.3).
func (d Device) Connected() (connected, ok bool) {
	if d.IsConnected == nil {
		return false, false
	}
	return bool(*d.IsConnected), true
}

// BaseDevice is a device as HA pairs and clusters embed it.
type BaseDevice struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	SWVersion    string `json:"sw_version"`
	HealthStatus string `json:"healthStatus"`
	Model        string `json:"model"`
}

// HAPair is a threat defense high-availability pair
// (devicehapairs/ftddevicehapairs).
type HAPair struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Type          string         `json:"type"`
	Description   string         `json:"description"`
	Primary       BaseDevice     `json:"primary"`
	Secondary     BaseDevice     `json:"secondary"`
	SWVersion     string         `json:"sw_version"`
	HealthStatus  string         `json:"healthStatus"`
	HealthMessage string         `json:"healthMessage"`
	Model         string         `json:"model"`
	ModelNumber   string         `json:"modelNumber"`
	ModelType     string         `json:"modelType"`
	Status        string         `json:"status"`
	Metadata      HAPairMetadata `json:"metadata"`
}

// HAPairMetadata carries the failover state of the pair.
type HAPairMetadata struct {
	PrimaryStatus   *HAMemberStatus `json:"primaryStatus,omitempty"`
	SecondaryStatus *HAMemberStatus `json:"secondaryStatus,omitempty"`
	// ConfigStatus says whether the units' configurations are in sync; its
	// type is not documented, so it is kept as text.
	ConfigStatus Text `json:"configStatus"`
	// Task names a role switch or break still running on the pair. The
	// switch answer carries it (documented example); that the pair's
	// record keeps it while the switch runs is assumed.
	Task *Reference `json:"task,omitempty"`
}

// HAMemberStatus is one unit's failover state.
type HAMemberStatus struct {
	CurrentStatus string    `json:"currentStatus"`
	Device        Reference `json:"device"`
}

// ActiveID returns the id of the active unit, or "" when the pair does not
// say. Assumed: currentStatus reads "Active" or "Standby" (any case); the
// value set is not documented.
func (h HAPair) ActiveID() string { return h.unitWith("active") }

// StandbyID returns the id of the standby unit, or "" when the pair does not
// say; see ActiveID for what is assumed.
func (h HAPair) StandbyID() string { return h.unitWith("standby") }

func (h HAPair) unitWith(state string) string {
	check := func(st *HAMemberStatus, fallback string) string {
		if st == nil || !strings.Contains(strings.ToLower(st.CurrentStatus), state) {
			return ""
		}
		if st.Device.ID != "" {
			return st.Device.ID
		}
		return fallback
	}
	if id := check(h.Metadata.PrimaryStatus, h.Primary.ID); id != "" {
		return id
	}
	return check(h.Metadata.SecondaryStatus, h.Secondary.ID)
}

// Cluster is a threat defense cluster (deviceclusters/ftddevicecluster). 7.1
// and later name the units controlDevice and dataDevices; 7.0 used
// masterDevice and slaveDevices. ControlID and DataIDs read either.
type Cluster struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	Type          string        `json:"type"`
	ControlDevice *ClusterNode  `json:"controlDevice,omitempty"`
	DataDevices   []ClusterNode `json:"dataDevices,omitempty"`
	MasterDevice  *BaseDevice   `json:"masterDevice,omitempty"`
	SlaveDevices  []BaseDevice  `json:"slaveDevices,omitempty"`
	SWVersion     string        `json:"sw_version"`
	HealthStatus  string        `json:"healthStatus"`
	Model         string        `json:"model"`
	ModelNumber   string        `json:"modelNumber"`
	ModelType     string        `json:"modelType"`
}

// ClusterNode is one unit of a cluster.
type ClusterNode struct {
	DeviceDetails        BaseDevice            `json:"deviceDetails"`
	ClusterNodeBootstrap *ClusterNodeBootstrap `json:"clusterNodeBootstrap,omitempty"`
}

// ClusterNodeBootstrap is a unit's cluster bootstrap settings.
type ClusterNodeBootstrap struct {
	CCLIP    string `json:"cclIp"`
	Priority Int    `json:"priority"`
	SiteID   Int    `json:"siteId"`
}

// ControlID returns the control unit's device id.
func (c Cluster) ControlID() string {
	if c.ControlDevice != nil && c.ControlDevice.DeviceDetails.ID != "" {
		return c.ControlDevice.DeviceDetails.ID
	}
	if c.MasterDevice != nil {
		return c.MasterDevice.ID
	}
	return ""
}

// DataIDs returns the data units' device ids.
func (c Cluster) DataIDs() []string {
	var ids []string
	for _, n := range c.DataDevices {
		if n.DeviceDetails.ID != "" {
			ids = append(ids, n.DeviceDetails.ID)
		}
	}
	if len(ids) == 0 {
		for _, d := range c.SlaveDevices {
			if d.ID != "" {
				ids = append(ids, d.ID)
			}
		}
	}
	return ids
}

// Chassis is a chassis the management center manages directly (Secure
// Firewall 3100/4200 in multi-instance mode): chassis/fmcmanagedchassis.
type Chassis struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	Name            string `json:"name"`
	ChassisName     string `json:"chassisName"`
	ChassisHostName string `json:"chassisHostName"`
	SWVersion       string `json:"swVersion"`
	Model           string `json:"model"`
	ModelNumber     string `json:"modelNumber"`
	Description     string `json:"description"`
}

// UpgradePackage is an upgrade package known to the management center.
type UpgradePackage struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Metadata    PackageMetadata `json:"metadata"`
}

// PackageMetadata describes the package file.
type PackageMetadata struct {
	UpgradeType     string `json:"upgradeType"` // "Cisco FTD Upgrade", "Cisco FTD SSP Upgrade", ...
	UpgradeFileName string `json:"upgradeFileName"`
	FileSize        Int    `json:"fileSize"`
	UpdateVersion   string `json:"updateVersion"` // "7.4.2-172 IMS 172"
	UpgradeFrom     string `json:"upgradeFrom"`
	UploadDate      string `json:"uploadDate"`
	RebootRequired  Bool   `json:"rebootRequired"`
	UpgradeFileID   string `json:"upgradeFileId"`
}

// FileName returns the package's file name as the management center lists
// it.
func (p UpgradePackage) FileName() string {
	if p.Metadata.UpgradeFileName != "" {
		return p.Metadata.UpgradeFileName
	}
	return p.Name
}

// ApplicableDevice is a device an upgrade package can be applied to.
type ApplicableDevice struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Type              string     `json:"type"`
	Model             string     `json:"model"`
	ModelID           string     `json:"modelId"`
	ModelNumber       string     `json:"modelNumber"`
	ModelType         string     `json:"modelType"`
	SWVersion         string     `json:"sw_version"`
	HealthStatus      string     `json:"healthStatus"`
	HealthMessage     string     `json:"healthMessage"`
	IsPartOfContainer Bool       `json:"isPartOfContainer"`
	ContainerType     string     `json:"containerType"`
	Role              string     `json:"role"`
	Status            string     `json:"status"`
	UpgradePackage    *Reference `json:"upgradePackage,omitempty"`
}

// HealthAlert is one health alert (health/alerts).
type HealthAlert struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	ModuleID   string `json:"moduleID"` // DISK_USAGE, TIME_SYNC, FTD_HA, ...
	ModuleUUID string `json:"moduleUUID"`
	DeviceUUID string `json:"deviceUUID"` // "0" for the management center
	Status     string `json:"status"`     // GREEN, YELLOW, RED, ERROR, DISABLED, RECOVERED
	Timestamp  Int    `json:"timestamp"`  // Unix seconds
	Details    Text   `json:"details"`
	Params     Text   `json:"params"`
}

// DeployableDevice is a device with configuration changes not yet deployed.
type DeployableDevice struct {
	Name                string    `json:"name"`
	Type                string    `json:"type"`
	Version             Text      `json:"version"`
	Device              Reference `json:"device"`
	IsDeploying         Bool      `json:"isDeploying"`
	CanBeDeployed       Bool      `json:"canBeDeployed"`
	UpToDate            Bool      `json:"upToDate"`
	Message             string    `json:"message"`
	TrafficInterruption Text      `json:"trafficInterruption"`
}

// TaskRef is the task a state-changing call started (metadata.task).
type TaskRef struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func (t *TaskRef) UnmarshalJSON(data []byte) error {
	b := bytes.TrimSpace(data)
	if len(b) == 0 || b[0] != '{' {
		*t = TaskRef{}
		return nil
	}
	// Task ids are numeric strings ("8589935884"); accept a bare number too.
	var a struct {
		ID      Text `json:"id"`
		Name    Text `json:"name"`
		Type    Text `json:"type"`
		Status  Text `json:"status"`
		Message Text `json:"message"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*t = TaskRef{ID: string(a.ID), Name: string(a.Name), Type: string(a.Type), Status: string(a.Status), Message: string(a.Message)}
	return nil
}

// StartedTask is what a state-changing call returns.
type StartedTask struct {
	// ID is the task to poll with WaitTask; empty when the answer named none.
	ID      string
	Name    string
	Status  string
	Message string
	// Recovered is true when the request's answer was lost and the caller's
	// IdempotencyCheck found the work already started.
	Recovered bool
}

// taskEnvelope reads metadata.task from any answer.
type taskEnvelope struct {
	Metadata struct {
		Task *TaskRef `json:"task"`
	} `json:"metadata"`
}

func (e taskEnvelope) started() *StartedTask {
	if e.Metadata.Task == nil {
		return &StartedTask{}
	}
	t := e.Metadata.Task
	return &StartedTask{ID: t.ID, Name: t.Name, Status: t.Status, Message: t.Message}
}
