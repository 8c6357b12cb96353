package fmcsim

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// GlobalDomainUUID is the fixed UUID of the management center's Global domain.
const GlobalDomainUUID = "e276abec-e0f2-11e3-8169-6d9ed49b625f"

// Scenario describes an estate: the management center, its domains and
// devices, how devices are paired, clustered and hosted, what packages and
// alerts are present and which faults to inject. Scenario files are JSON.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// StartTime is the simulated time at which the simulator starts.
	StartTime          *time.Time       `json:"start_time,omitempty"`
	ManagementCenter   ManagementCenter `json:"management_center"`
	Domains            []Domain         `json:"domains,omitempty"`
	Devices            []Device         `json:"devices"`
	HAPairs            []HAPair         `json:"ha_pairs,omitempty"`
	Clusters           []Cluster        `json:"clusters,omitempty"`
	Chassis            []Chassis        `json:"chassis,omitempty"`
	UpgradePackages    []UpgradePackage `json:"upgrade_packages,omitempty"`
	HealthAlerts       []HealthAlert    `json:"health_alerts,omitempty"`
	PendingDeployments []string         `json:"pending_deployments,omitempty"`
	RunningTasks       []RunningTask    `json:"running_tasks,omitempty"`
	Faults             []Fault          `json:"faults,omitempty"`
	Timings            Timings          `json:"timings,omitempty"`
	// PackageRegistration says how the management center answers a
	// request to register an upgrade package by URL (an internal server
	// pointer): "accept" (default) or "refuse" (405, as a management center
	// without that call would).
	PackageRegistration string `json:"package_registration,omitempty"`
}

// ManagementCenter is the simulated FMC.
type ManagementCenter struct {
	ID       string `json:"id,omitempty"`
	Version  string `json:"version"`
	Build    int    `json:"build,omitempty"`
	Model    string `json:"model,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Serial   string `json:"serial,omitempty"`
	// VDB, SRU, LSP and Geo are the content versions serverversion reports.
	VDB string `json:"vdb_version,omitempty"`
	SRU string `json:"sru_version,omitempty"`
	LSP string `json:"lsp_version,omitempty"`
	Geo string `json:"geo_version,omitempty"`
	// RequestsPerMinute is the API rate limit; 120 unless set (FMC 7.4.1+
	// is reported to allow 300).
	RequestsPerMinute int `json:"requests_per_minute,omitempty"`
	// RetryAfter makes 429 responses carry a Retry-After header. Whether a
	// real management center sends one is not known, so it is off unless
	// asked for.
	RetryAfter bool     `json:"retry_after,omitempty"`
	HAPeer     *FMCPeer `json:"ha_peer,omitempty"`
}

// FMCPeer is the standby management center of an FMC HA pair.
type FMCPeer struct {
	Hostname string `json:"hostname"`
	Serial   string `json:"serial,omitempty"`
	// Status is the pair's synchronisation state: "healthy" (default) or
	// "degraded".
	Status string `json:"status,omitempty"`
}

// Domain is a management center domain. Names are paths: "Global/Branch".
type Domain struct {
	UUID string `json:"uuid,omitempty"`
	Name string `json:"name"`
}

// Device is a managed threat defense device (a native device, a
// container instance or a cluster unit).
type Device struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	HostName    string `json:"host_name,omitempty"`
	Model       string `json:"model,omitempty"`
	ModelNumber string `json:"model_number,omitempty"`
	// Family is a platform family id of internal/catalog, e.g.
	// "firepower_4100".
	Family  string `json:"family"`
	Version string `json:"version"`
	Build   int    `json:"build,omitempty"`
	// Health is green, yellow or red (default green).
	Health string `json:"health,omitempty"`
	// Connected defaults to true.
	Connected *bool  `json:"connected,omitempty"`
	Domain    string `json:"domain,omitempty"`
	Serial    string `json:"serial,omitempty"`
	// Chassis is the id of the chassis hosting this device (4100/9300 and
	// 3100/4200 multi-instance). Chassis.Instances may list it instead.
	Chassis string `json:"chassis,omitempty"`
	Slot    int    `json:"slot,omitempty"`
	Snort3  *bool  `json:"snort3,omitempty"`
}

// HAPair is a threat defense high-availability pair.
type HAPair struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Primary   string `json:"primary"`
	Secondary string `json:"secondary"`
	// Active is the id of the active unit (default: the primary).
	Active string `json:"active,omitempty"`
	// State is in_sync (default), out_of_sync or split_brain.
	State  string `json:"state,omitempty"`
	Domain string `json:"domain,omitempty"`
}

// Cluster is a threat defense cluster.
type Cluster struct {
	ID      string   `json:"id,omitempty"`
	Name    string   `json:"name"`
	Control string   `json:"control"`
	Data    []string `json:"data"`
	// Kind is inter_chassis, intra_chassis or virtual.
	Kind   string `json:"kind,omitempty"`
	Domain string `json:"domain,omitempty"`
}

// Chassis is a Firepower 4100/9300 (kind fxos, managed by its own chassis
// manager) or a Secure Firewall 3100/4200 in multi-instance mode (kind
// multi_instance, managed by the management center).
type Chassis struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// HostName defaults to Name; no two multi-instance chassis may share
	// one (case-insensitively), because their instances name them by it.
	HostName string `json:"host_name,omitempty"`
	Model    string `json:"model,omitempty"`
	Kind     string `json:"kind"`
	// Version is the FXOS version ("2.12.1.48") for kind fxos and the
	// chassis software version ("7.4.1") for kind multi_instance.
	Version string `json:"version"`
	Build   int    `json:"build,omitempty"`
	Serial  string `json:"serial,omitempty"`
	// Instances are ids of the devices this chassis hosts.
	Instances []string `json:"instances,omitempty"`
	// Images are FXOS platform bundles already on the chassis.
	Images []string `json:"images,omitempty"`
	// FirmwareUpdate marks an FXOS 2.14.1+ upgrade that also updates
	// firmware, which reboots the chassis twice.
	FirmwareUpdate bool   `json:"firmware_update,omitempty"`
	Domain         string `json:"domain,omitempty"`
}

// UpgradePackage is an upgrade package already on the management center.
// Version, build and the families it applies to are read from the file name
// unless given.
type UpgradePackage struct {
	ID          string   `json:"id,omitempty"`
	FileName    string   `json:"file_name"`
	Version     string   `json:"version,omitempty"`
	Build       int      `json:"build,omitempty"`
	Families    []string `json:"families,omitempty"`
	UpgradeType string   `json:"upgrade_type,omitempty"`
	UpgradeFrom string   `json:"upgrade_from,omitempty"`
	Size        int64    `json:"size,omitempty"`
	UploadDate  string   `json:"upload_date,omitempty"`
	// RebootRequired defaults to true.
	RebootRequired *bool `json:"reboot_required,omitempty"`
}

// HealthAlert is a health monitor alert.
type HealthAlert struct {
	ID string `json:"id,omitempty"`
	// Device is a device id, or "0" (or empty) for the management center.
	Device  string `json:"device,omitempty"`
	Module  string `json:"module"`
	Status  string `json:"status"`
	Details string `json:"details,omitempty"`
	// Age is how long before the start time the alert was raised.
	Age Duration `json:"age,omitempty"`
}

// RunningTask is a task already running when the simulator starts, such as
// a deployment; it finishes after Remaining.
type RunningTask struct {
	ID        string   `json:"id,omitempty"`
	Name      string   `json:"name,omitempty"`
	TaskType  string   `json:"task_type"`
	Message   string   `json:"message,omitempty"`
	Devices   []string `json:"devices,omitempty"`
	Remaining Duration `json:"remaining"`
}

// Timings are simulated durations of each operation phase. Zero values take
// the defaults of DefaultTimings.
type Timings struct {
	PackageCopy    Duration `json:"package_copy,omitempty"`
	ReadinessCheck Duration `json:"readiness_check,omitempty"`
	Install        Duration `json:"install,omitempty"`
	Reboot         Duration `json:"reboot,omitempty"`
	Failover       Duration `json:"failover,omitempty"`
	ClusterRejoin  Duration `json:"cluster_rejoin,omitempty"`
	Revert         Duration `json:"revert,omitempty"`
	Deployment     Duration `json:"deployment,omitempty"`
	Backup         Duration `json:"backup,omitempty"`
	HASwitch       Duration `json:"ha_switch,omitempty"`
	FXOSDownload   Duration `json:"fxos_download,omitempty"`
	FXOSValidate   Duration `json:"fxos_validate,omitempty"`
	FXOSInstall    Duration `json:"fxos_install,omitempty"`
	FXOSReboot     Duration `json:"fxos_reboot,omitempty"`
	AppStart       Duration `json:"app_start,omitempty"`
}

// DefaultTimings are the phase durations used when a scenario leaves them
// out. They are in the range the upgrade guides and automation report
// (readiness 5-15 minutes, an upgrade 30-60+ minutes, an FXOS upgrade with
// its reboot up to an hour).
var DefaultTimings = Timings{
	PackageCopy:    Duration(6 * time.Minute),
	ReadinessCheck: Duration(8 * time.Minute),
	Install:        Duration(30 * time.Minute),
	Reboot:         Duration(12 * time.Minute),
	Failover:       Duration(30 * time.Second),
	ClusterRejoin:  Duration(5 * time.Minute),
	Revert:         Duration(20 * time.Minute),
	Deployment:     Duration(3 * time.Minute),
	Backup:         Duration(4 * time.Minute),
	HASwitch:       Duration(1 * time.Minute),
	FXOSDownload:   Duration(8 * time.Minute),
	FXOSValidate:   Duration(1 * time.Minute),
	FXOSInstall:    Duration(20 * time.Minute),
	FXOSReboot:     Duration(15 * time.Minute),
	AppStart:       Duration(6 * time.Minute),
}

func (t Timings) WithDefaults() Timings {
	pick := func(v, d Duration) Duration {
		if v > 0 {
			return v
		}
		return d
	}
	d := DefaultTimings
	return Timings{
		PackageCopy:    pick(t.PackageCopy, d.PackageCopy),
		ReadinessCheck: pick(t.ReadinessCheck, d.ReadinessCheck),
		Install:        pick(t.Install, d.Install),
		Reboot:         pick(t.Reboot, d.Reboot),
		Failover:       pick(t.Failover, d.Failover),
		ClusterRejoin:  pick(t.ClusterRejoin, d.ClusterRejoin),
		Revert:         pick(t.Revert, d.Revert),
		Deployment:     pick(t.Deployment, d.Deployment),
		Backup:         pick(t.Backup, d.Backup),
		HASwitch:       pick(t.HASwitch, d.HASwitch),
		FXOSDownload:   pick(t.FXOSDownload, d.FXOSDownload),
		FXOSValidate:   pick(t.FXOSValidate, d.FXOSValidate),
		FXOSInstall:    pick(t.FXOSInstall, d.FXOSInstall),
		FXOSReboot:     pick(t.FXOSReboot, d.FXOSReboot),
		AppStart:       pick(t.AppStart, d.AppStart),
	}
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("90s", "1h30m") or a number of seconds.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts "90s" or 90.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q (use e.g. \"90s\" or \"1h30m\")", s)
		}
		*d = Duration(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("invalid duration %s (use a string like \"90s\" or a number of seconds)", b)
	}
	if f > float64(maxDuration/time.Second) || f < -float64(maxDuration/time.Second) {
		return fmt.Errorf("duration %s out of range", b)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// maxDuration bounds every scenario duration so that arithmetic on the
// simulated clock cannot overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

// ScenarioError lists every problem found in a scenario, each prefixed with
// its JSON location.
type ScenarioError struct {
	Name     string
	Problems []string
}

func (e *ScenarioError) Error() string {
	name := e.Name
	if name == "" {
		name = "scenario"
	}
	if len(e.Problems) == 1 {
		return name + ": " + e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems:\n  %s", name, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// LoadScenario reads and validates a scenario file. A path naming a
// built-in scenario ("demo") loads that instead.
func LoadScenario(path string) (*Scenario, error) {
	if s, ok := Builtin(path); ok {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	s, err := ParseScenario(b)
	if err != nil {
		var se *ScenarioError
		if errors.As(err, &se) {
			se.Name = path
		}
		return nil, err
	}
	return s, nil
}

// maxScenarioBytes bounds the input so a malformed file cannot exhaust
// memory; a generated 20,000-device estate is about 10 MB.
const maxScenarioBytes = 64 << 20

// ParseScenario decodes and validates a scenario, filling in defaults (ids,
// active units, chassis links). Unknown fields are errors so that a typo
// does not silently change the estate.
func ParseScenario(b []byte) (*Scenario, error) {
	if len(b) > maxScenarioBytes {
		return nil, &ScenarioError{Problems: []string{fmt.Sprintf("file is %d bytes; the limit is %d", len(b), maxScenarioBytes)}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, &ScenarioError{Problems: []string{"invalid JSON: " + jsonErrorDetail(b, err)}}
	}
	if dec.More() {
		return nil, &ScenarioError{Problems: []string{"invalid JSON: unexpected data after the scenario object"}}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func jsonErrorDetail(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// Known value sets.
var (
	healthValues      = []string{"green", "yellow", "red"}
	haStates          = []string{"in_sync", "out_of_sync", "split_brain"}
	clusterKinds      = []string{"inter_chassis", "intra_chassis", "virtual"}
	chassisKinds      = []string{catalog.ChassisFXOS, catalog.ChassisMultiInstance}
	alertStatusValues = []string{"GREEN", "DISABLED", "RECOVERED", "RED", "ERROR", "YELLOW"}
	// alertModules are the health module ids the management center's
	// alert model names.
	alertModules = []string{"APPLICATION_BYPASS", "CARD_RESET", "CPU", "CPU_LINA", "CPU_SNORT", "CPU_SYSTEM", "DISK_USAGE", "EVENT_STREAM", "HEALTH_MONITOR", "HEARTBEAT", "INTERFACE", "HARDWARE_ALARM", "POWER_SUPPLY", "LICENSE", "LICENSE_MONITOR", "LINKSTATE_PROPAGATION", "MEMORY_USAGE", "MEMORY_USAGE_LINA", "MEMORY_USAGE_SNORT", "PEP", "PROCESS", "DISCOVERY_HEALTH", "HOST_LIMIT", "RRD_SERVER", "APPLIANCE_HEARTBEAT", "INTRUSION_FILE_STATS", "TEST", "TIME_SYNC", "TIME_SERIES_DATA_MONITOR", "URLFILTER", "SECURITY_INTELLIGENCE", "AMP_FOR_ENDPOINTS", "USER_AGENT", "SMART_LICENSE", "VPN", "HIGH_AVAILABILITY", "DATABASE", "PLATFORM_FAULTS", "THREAT_DATA_UPDATES", "REALM", "ISE", "SNORT_IDENTITY_MEMORY_USAGE", "AMP_FOR_FIREPOWER_STATUS", "DISK_STATUS", "BACKLOG", "LOCAL_MALWARE_ANALYSIS", "CLUSTER", "INLINELINK_ALARM", "RECONFIG_DETECTION", "CONNECTIONS", "CRITICAL_PROCESS", "DEPLOYED_CONFIGURATION", "SNORT_STATS", "FTD_HA", "FILE_SYSTEM_INTEGRITY_CHECK", "ASP_DROP", "HIT_COUNT", "NTP_SERVER", "ROUTING_STATS", "UNRESOLVED_GROUPS_MONITOR", "CONN_STATUS_SSE", "CONN_STATUS_AMP", "FLOW_OFFLOAD", "CHASSIS_STATUS_FTD", "ADVANCED_SNORT_STATS", "OUT_OF_BAND_CHANGES", "FTD_CONFIG_RESOURCE_UTILISATION", "SYBASE_STATUS", "MYSQL", "VPN_STATS", "RABBITMQ", "EVENT"}
	taskTypes    = []string{"DEVICE_REGISTRATION", "DEVICE_DEPLOYMENT", "DEVICE_ROLLBACK", "NGFWHA_OPERATIONS", "COPY_CONFIG_REQUEST", "HIT_COUNT_REFRESH", "FTD_CLUSTER_BOOTSTRAP", "FTD_CLUSTER_BREAK"}
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// stableUUID derives a UUID-shaped id from a name so that a scenario
// without ids gets the same ids on every run.
func stableUUID(kind, name string) string {
	h := sha1.Sum([]byte("fmcsim/" + kind + "/" + name))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Validate checks the scenario and fills in defaults. It reports every
// problem, not only the first.
func (s *Scenario) Validate() error {
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("release catalog: %w", err)
	}
	v := &validator{cat: cat}
	v.run(s)
	if len(v.problems) > 0 {
		return &ScenarioError{Name: s.Name, Problems: v.problems}
	}
	return nil
}

type validator struct {
	cat      *catalog.Catalog
	problems []string
	ids      map[string]string // id -> JSON location of its first use
}

func (v *validator) addf(format string, args ...any) {
	if len(v.problems) < 200 {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

func (v *validator) claimID(id, where string) {
	if id == "" {
		return
	}
	if prev, ok := v.ids[id]; ok {
		v.addf("%s.id: %q is already used by %s; ids must be unique across devices, pairs, clusters, chassis and packages", where, id, prev)
		return
	}
	v.ids[id] = where
}

// named checks the name of entry i of a scenario list (required, unique
// within the list) and derives its id from the name when none is given,
// so a scenario can refer to records by name alone. It returns the
// location later messages use, which names the entry for the reader.
func (v *validator) named(list string, i int, name string, seen map[string]bool, idKind string, id *string) string {
	where := fmt.Sprintf("%s[%d]", list, i)
	if name == "" {
		v.addf("%s.name: required", where)
	} else if seen[name] {
		v.addf("%s.name: %q is used twice", where, name)
	}
	seen[name] = true
	where = fmt.Sprintf("%s[%d] (%s)", list, i, name)
	if *id == "" {
		*id = stableUUID(idKind, name)
	}
	v.claimID(*id, where)
	return where
}

func (v *validator) run(s *Scenario) {
	v.ids = map[string]string{}
	if strings.TrimSpace(s.Name) == "" {
		s.Name = "scenario"
	}
	// Management center.
	mc := &s.ManagementCenter
	fmcVer, err := version.Parse(mc.Version)
	if err != nil {
		v.addf("management_center.version: %v", err)
	} else if mc.Build == 0 {
		mc.Build = fmcVer.Build
	}
	if mc.Build < 0 {
		v.addf("management_center.build: must not be negative")
	}
	if mc.ID == "" {
		mc.ID = stableUUID("fmc", mc.Hostname)
	}
	v.claimID(mc.ID, "management_center")
	if mc.Hostname == "" {
		mc.Hostname = "fmc"
	}
	if mc.Model == "" {
		mc.Model = "Cisco Secure Firewall Management Center for VMware"
	}
	if mc.RequestsPerMinute < 0 || mc.RequestsPerMinute > 100000 {
		v.addf("management_center.requests_per_minute: %d is out of range (1..100000, or 0 for the default 120)", mc.RequestsPerMinute)
	}
	if p := mc.HAPeer; p != nil {
		if p.Hostname == "" {
			v.addf("management_center.ha_peer.hostname: required")
		}
		if p.Status == "" {
			p.Status = "healthy"
		} else if p.Status != "healthy" && p.Status != "degraded" {
			v.addf("management_center.ha_peer.status: %q is not healthy or degraded", p.Status)
		}
	}

	// Domains.
	domains := map[string]string{"Global": GlobalDomainUUID} // name -> uuid
	uuids := map[string]bool{GlobalDomainUUID: true}
	for i := range s.Domains {
		d := &s.Domains[i]
		where := fmt.Sprintf("domains[%d]", i)
		if d.Name == "Global" {
			if d.UUID != "" && d.UUID != GlobalDomainUUID {
				v.addf("%s.uuid: the Global domain's UUID is fixed (%s)", where, GlobalDomainUUID)
			}
			d.UUID = GlobalDomainUUID
			continue
		}
		if !strings.HasPrefix(d.Name, "Global/") || strings.HasSuffix(d.Name, "/") || strings.Contains(d.Name, "//") {
			v.addf("%s.name: %q must be a path under Global, e.g. \"Global/Branch\"", where, d.Name)
			continue
		}
		parent := d.Name[:strings.LastIndex(d.Name, "/")]
		if _, ok := domains[parent]; !ok {
			v.addf("%s.name: parent domain %q must be listed before %q", where, parent, d.Name)
		}
		if _, dup := domains[d.Name]; dup {
			v.addf("%s.name: %q is listed twice", where, d.Name)
		}
		if d.UUID == "" {
			d.UUID = stableUUID("domain", d.Name)
		}
		if uuids[d.UUID] {
			v.addf("%s.uuid: %q is used twice", where, d.UUID)
		}
		uuids[d.UUID] = true
		domains[d.Name] = d.UUID
	}
	checkDomain := func(where string, name *string) {
		if *name == "" {
			*name = "Global"
			return
		}
		if _, ok := domains[*name]; !ok {
			v.addf("%s.domain: unknown domain %q", where, *name)
		}
	}

	// Chassis first: devices refer to them.
	chassisByID := map[string]*Chassis{}
	chassisNames := map[string]bool{}
	// A multi-instance chassis is an fmcmanagedchassis record (id,
	// chassisName, chassisHostName), but its instances' device records
	// name it only by the host in metadata.chassisData.chassisUrl (the
	// chassis record carries no serial). Two such chassis on one host name
	// could not be told apart through the API, so they are refused rather
	// than guessed at. FXOS chassis are told apart by their chassis
	// manager URL and serial, which the simulator keeps distinct.
	miHosts := map[string]string{}
	for i := range s.Chassis {
		c := &s.Chassis[i]
		where := v.named("chassis", i, c.Name, chassisNames, "chassis", &c.ID)
		switch c.Kind {
		case catalog.ChassisFXOS:
			f, err := version.ParseFXOS(c.Version)
			if err != nil {
				v.addf("%s.version: %v", where, err)
			} else if !f.HasMaintenance || f.Build == 0 {
				v.addf("%s.version: %q must be a full FXOS version with build, e.g. 2.12.1.48", where, c.Version)
			}
			for j, img := range c.Images {
				p, err := v.cat.ParsePackageFilename(img)
				if err != nil || p.Product != catalog.ProductChassis {
					v.addf("%s.images[%d]: %q is not an FXOS platform bundle name (fxos-k9.<version>.SPA)", where, j, img)
				}
			}
		case catalog.ChassisMultiInstance:
			ver, err := version.Parse(c.Version)
			if err != nil {
				v.addf("%s.version: %v", where, err)
			} else if c.Build == 0 {
				c.Build = ver.Build
			}
			if len(c.Images) > 0 {
				v.addf("%s.images: only FXOS chassis (kind fxos) hold platform bundles", where)
			}
		default:
			v.addf("%s.kind: %q is not one of %s", where, c.Kind, strings.Join(chassisKinds, ", "))
		}
		if c.HostName == "" {
			c.HostName = c.Name
		}
		if c.Kind == catalog.ChassisMultiInstance {
			host := strings.ToLower(c.HostName)
			if other, ok := miHosts[host]; ok {
				v.addf("%s.host_name: %q is also the host name of %s; the device records of multi-instance instances name their chassis only by host (metadata.chassisData.chassisUrl), so each multi-instance chassis needs a host name of its own", where, c.HostName, other)
			} else {
				miHosts[host] = where
			}
		}
		if c.Serial == "" {
			c.Serial = serialFrom("FLM", c.ID)
		}
		checkDomain(where, &c.Domain)
		chassisByID[c.ID] = c
	}
	chassisRef := func(ref string) *Chassis {
		if c, ok := chassisByID[ref]; ok {
			return c
		}
		for _, c := range chassisByID {
			if c.Name == ref {
				return c
			}
		}
		return nil
	}

	// Devices.
	devByRef := map[string]*Device{}
	devNames := map[string]bool{}
	for i := range s.Devices {
		d := &s.Devices[i]
		where := v.named("devices", i, d.Name, devNames, "device", &d.ID)
		fam, ok := v.cat.Family(d.Family)
		if !ok || fam.Product != catalog.ProductThreatDefense {
			v.addf("%s.family: unknown threat defense family %q; known: %s", where, d.Family, strings.Join(tdFamilies(v.cat), ", "))
		}
		ver, err := version.Parse(d.Version)
		if err != nil {
			v.addf("%s.version: %v", where, err)
		} else {
			if d.Build == 0 {
				d.Build = ver.Build
			}
			if fmcVer.Major > 0 && mcBelow(fmcVer, ver) {
				v.addf("%s.version: %s is newer than the management center's %s; a management center cannot manage a device past its own major/maintenance version (ORDER-1)", where, ver, fmcVer)
			}
		}
		if d.Build < 0 {
			v.addf("%s.build: must not be negative", where)
		}
		if d.Health == "" {
			d.Health = "green"
		} else if !oneOf(d.Health, healthValues) {
			v.addf("%s.health: %q is not one of %s", where, d.Health, strings.Join(healthValues, ", "))
		}
		if d.Connected == nil {
			t := true
			d.Connected = &t
		}
		if d.Snort3 == nil {
			t := true
			d.Snort3 = &t
		}
		if d.HostName == "" {
			d.HostName = d.Name
		}
		if d.Serial == "" {
			d.Serial = serialFrom("JAD", d.ID)
		}
		if d.Model == "" && ok {
			d.Model = defaultModel(fam.ID)
		}
		checkDomain(where, &d.Domain)
		if d.Chassis != "" {
			c := chassisRef(d.Chassis)
			if c == nil {
				v.addf("%s.chassis: unknown chassis %q", where, d.Chassis)
			} else {
				d.Chassis = c.ID
				if !containsStr(c.Instances, d.ID) && !containsStr(c.Instances, d.Name) {
					c.Instances = append(c.Instances, d.ID)
				}
			}
		}
		if d.Slot < 0 || d.Slot > 16 {
			v.addf("%s.slot: %d is out of range 0..16", where, d.Slot)
		}
		devByRef[d.ID] = d
		if d.Name != "" {
			if _, taken := devByRef[d.Name]; !taken {
				devByRef[d.Name] = d
			}
		}
	}
	devRef := func(ref string) *Device { return devByRef[ref] }

	// Chassis instances: resolve names to ids, check families match.
	for i := range s.Chassis {
		c := &s.Chassis[i]
		where := fmt.Sprintf("chassis[%d] (%s)", i, c.Name)
		seen := map[string]bool{}
		var ids []string
		for j, ref := range c.Instances {
			d := devRef(ref)
			if d == nil {
				v.addf("%s.instances[%d]: unknown device %q", where, j, ref)
				continue
			}
			if seen[d.ID] {
				continue
			}
			seen[d.ID] = true
			if d.Chassis != "" && d.Chassis != c.ID {
				v.addf("%s.instances[%d]: device %s is already hosted by chassis %s", where, j, d.Name, d.Chassis)
				continue
			}
			d.Chassis = c.ID
			if fam, ok := v.cat.Family(d.Family); ok && fam.Chassis != c.Kind {
				v.addf("%s.instances[%d]: device %s (family %s) cannot run on a %s chassis", where, j, d.Name, d.Family, c.Kind)
			}
			ids = append(ids, d.ID)
		}
		c.Instances = ids
	}

	// HA pairs.
	member := map[string]string{} // device id -> container location
	haNames := map[string]bool{}
	for i := range s.HAPairs {
		h := &s.HAPairs[i]
		where := v.named("ha_pairs", i, h.Name, haNames, "hapair", &h.ID)
		p, q := devRef(h.Primary), devRef(h.Secondary)
		if p == nil {
			v.addf("%s.primary: unknown device %q", where, h.Primary)
		}
		if q == nil {
			v.addf("%s.secondary: unknown device %q", where, h.Secondary)
		}
		if p != nil && q != nil {
			if p == q {
				v.addf("%s: primary and secondary are the same device", where)
			}
			if p.Family != q.Family {
				v.addf("%s: primary (%s) and secondary (%s) must be the same family", where, p.Family, q.Family)
			}
			h.Primary, h.Secondary = p.ID, q.ID
			for _, d := range []*Device{p, q} {
				if prev, ok := member[d.ID]; ok {
					v.addf("%s: device %s is already in %s", where, d.Name, prev)
				}
				member[d.ID] = where
			}
			switch h.Active {
			case "":
				h.Active = p.ID
			default:
				a := devRef(h.Active)
				if a == nil || (a != p && a != q) {
					v.addf("%s.active: %q is neither the primary nor the secondary", where, h.Active)
				} else {
					h.Active = a.ID
				}
			}
		}
		if h.State == "" {
			h.State = "in_sync"
		} else if !oneOf(h.State, haStates) {
			v.addf("%s.state: %q is not one of %s", where, h.State, strings.Join(haStates, ", "))
		}
		checkDomain(where, &h.Domain)
	}

	// Clusters.
	clNames := map[string]bool{}
	for i := range s.Clusters {
		c := &s.Clusters[i]
		where := v.named("clusters", i, c.Name, clNames, "cluster", &c.ID)
		if c.Kind == "" {
			c.Kind = "inter_chassis"
		} else if !oneOf(c.Kind, clusterKinds) {
			v.addf("%s.kind: %q is not one of %s", where, c.Kind, strings.Join(clusterKinds, ", "))
		}
		var fam string
		addMember := func(field, ref string) string {
			d := devRef(ref)
			if d == nil {
				v.addf("%s.%s: unknown device %q", where, field, ref)
				return ref
			}
			if prev, ok := member[d.ID]; ok {
				v.addf("%s.%s: device %s is already in %s", where, field, d.Name, prev)
			}
			member[d.ID] = where
			if fam == "" {
				fam = d.Family
			} else if d.Family != fam {
				v.addf("%s.%s: device %s is %s but the cluster is %s", where, field, d.Name, d.Family, fam)
			}
			return d.ID
		}
		if c.Control == "" {
			v.addf("%s.control: required", where)
		} else {
			c.Control = addMember("control", c.Control)
		}
		if len(c.Data) == 0 {
			v.addf("%s.data: a cluster needs at least one data unit", where)
		}
		for j := range c.Data {
			c.Data[j] = addMember(fmt.Sprintf("data[%d]", j), c.Data[j])
		}
		checkDomain(where, &c.Domain)
	}

	// Upgrade packages.
	pkgNames := map[string]bool{}
	for i := range s.UpgradePackages {
		p := &s.UpgradePackages[i]
		where := fmt.Sprintf("upgrade_packages[%d]", i)
		if p.FileName == "" {
			v.addf("%s.file_name: required", where)
			continue
		}
		where = fmt.Sprintf("upgrade_packages[%d] (%s)", i, p.FileName)
		if pkgNames[p.FileName] {
			v.addf("%s.file_name: listed twice", where)
		}
		pkgNames[p.FileName] = true
		if p.ID == "" {
			p.ID = stableUUID("package", p.FileName)
		}
		v.claimID(p.ID, where)
		parsed, perr := v.cat.ParsePackageFilename(p.FileName)
		if perr == nil && parsed.Product == catalog.ProductChassis {
			v.addf("%s.file_name: FXOS bundles are installed on the chassis (chassis[].images), not from the management center", where)
			continue
		}
		if p.Version == "" {
			if perr != nil {
				v.addf("%s.file_name: %v; give version and families explicitly", where, perr)
				continue
			}
			p.Version = parsed.Version.String()
			if p.Build == 0 {
				p.Build = parsed.Version.Build
			}
		} else if pv, err := version.Parse(p.Version); err != nil {
			v.addf("%s.version: %v", where, err)
		} else if p.Build == 0 {
			p.Build = pv.Build
		}
		if p.Build <= 0 {
			v.addf("%s.build: required (the file name carries none)", where)
		}
		if len(p.Families) == 0 {
			if perr != nil {
				v.addf("%s.families: required (the file name is not one the catalog knows)", where)
			} else {
				p.Families = append([]string(nil), parsed.Families...)
			}
		}
		for j, f := range p.Families {
			if _, ok := v.cat.Family(f); !ok {
				v.addf("%s.families[%d]: unknown family %q", where, j, f)
			}
		}
		if p.RebootRequired == nil {
			t := true
			p.RebootRequired = &t
		}
		if p.Size < 0 {
			v.addf("%s.size: must not be negative", where)
		}
		if p.UploadDate != "" {
			if _, err := time.Parse(time.RFC3339, p.UploadDate); err != nil {
				v.addf("%s.upload_date: %q is not an RFC 3339 time", where, p.UploadDate)
			}
		}
	}

	// Health alerts.
	for i := range s.HealthAlerts {
		a := &s.HealthAlerts[i]
		where := fmt.Sprintf("health_alerts[%d]", i)
		if a.Device == "" {
			a.Device = "0"
		} else if a.Device != "0" {
			d := devRef(a.Device)
			if d == nil {
				v.addf("%s.device: unknown device %q (use \"0\" for the management center)", where, a.Device)
			} else {
				a.Device = d.ID
			}
		}
		if !oneOf(a.Module, alertModules) {
			v.addf("%s.module: unknown health module %q", where, a.Module)
		}
		a.Status = strings.ToUpper(a.Status)
		if !oneOf(a.Status, alertStatusValues) {
			v.addf("%s.status: %q is not one of %s", where, a.Status, strings.Join(alertStatusValues, ", "))
		}
		if a.Age < 0 || a.Age.D() > maxDuration {
			v.addf("%s.age: out of range", where)
		}
		if a.ID == "" {
			a.ID = stableUUID("alert", fmt.Sprintf("%d/%s/%s", i, a.Device, a.Module))
		}
	}

	// Pending deployments.
	for i, ref := range s.PendingDeployments {
		d := devRef(ref)
		if d == nil {
			v.addf("pending_deployments[%d]: unknown device %q", i, ref)
			continue
		}
		s.PendingDeployments[i] = d.ID
	}

	// Running tasks.
	for i := range s.RunningTasks {
		t := &s.RunningTasks[i]
		where := fmt.Sprintf("running_tasks[%d]", i)
		if !oneOf(t.TaskType, taskTypes) {
			v.addf("%s.task_type: %q is not one of %s", where, t.TaskType, strings.Join(taskTypes, ", "))
		}
		if t.Remaining <= 0 || t.Remaining.D() > maxDuration {
			v.addf("%s.remaining: must be a positive duration (a running task must end)", where)
		}
		for j, ref := range t.Devices {
			d := devRef(ref)
			if d == nil {
				v.addf("%s.devices[%d]: unknown device %q", where, j, ref)
				continue
			}
			t.Devices[j] = d.ID
		}
	}

	// Faults.
	haRef := func(ref string) *HAPair {
		for i := range s.HAPairs {
			if s.HAPairs[i].ID == ref || s.HAPairs[i].Name == ref {
				return &s.HAPairs[i]
			}
		}
		return nil
	}
	for i := range s.Faults {
		f := &s.Faults[i]
		if err := f.validate(); err != nil {
			v.addf("faults[%d]: %v", i, err)
			continue
		}
		if f.Target == "" {
			continue
		}
		where := fmt.Sprintf("faults[%d] (%s).target", i, f.Kind)
		switch f.Kind {
		case FaultReadinessFail, FaultUpgradeFail:
			if d := devRef(f.Target); d != nil {
				f.Target = d.ID
			} else if c := chassisRef(f.Target); c != nil && c.Kind == catalog.ChassisMultiInstance {
				f.Target = c.ID
			} else {
				v.addf("%s: %q is not a device or a multi-instance chassis", where, f.Target)
			}
		case FaultDisconnect:
			if d := devRef(f.Target); d != nil {
				f.Target = d.ID
			} else {
				v.addf("%s: unknown device %q", where, f.Target)
			}
		case FaultSplitBrain, FaultOutOfSync:
			if h := haRef(f.Target); h != nil {
				f.Target = h.ID
			} else {
				v.addf("%s: unknown HA pair %q", where, f.Target)
			}
		case FaultDoubleReboot, FaultFXOSDownloadFail:
			if c := chassisRef(f.Target); c != nil && c.Kind == catalog.ChassisFXOS {
				f.Target = c.ID
			} else {
				v.addf("%s: %q is not an FXOS chassis", where, f.Target)
			}
		}
	}

	switch s.PackageRegistration {
	case "":
		s.PackageRegistration = "accept"
	case "accept", "refuse":
	default:
		v.addf("package_registration: %q must be \"accept\" or \"refuse\"", s.PackageRegistration)
	}

	// Timings.
	for name, d := range s.Timings.fields() {
		if d < 0 || d.D() > maxDuration {
			v.addf("timings.%s: out of range", name)
		}
	}
}

func (t Timings) fields() map[string]Duration {
	return map[string]Duration{
		"package_copy": t.PackageCopy, "readiness_check": t.ReadinessCheck, "install": t.Install,
		"reboot": t.Reboot, "failover": t.Failover, "cluster_rejoin": t.ClusterRejoin, "revert": t.Revert,
		"deployment": t.Deployment, "backup": t.Backup, "ha_switch": t.HASwitch,
		"fxos_download": t.FXOSDownload, "fxos_validate": t.FXOSValidate, "fxos_install": t.FXOSInstall,
		"fxos_reboot": t.FXOSReboot, "app_start": t.AppStart,
	}
}

// mcBelow reports whether the management center at fmc is below dev's
// major/maintenance release (a patched device under an unpatched management
// center is allowed: ORDER-1).
func mcBelow(fmc, dev version.Version) bool {
	return version.Compare(fmc.MaintenanceRelease(), dev.MaintenanceRelease()) < 0
}

func tdFamilies(c *catalog.Catalog) []string {
	var out []string
	for _, id := range c.FamilyIDs() {
		if f, ok := c.Family(id); ok && f.Product == catalog.ProductThreatDefense {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func serialFrom(prefix, id string) string {
	h := sha1.Sum([]byte(id))
	return fmt.Sprintf("%s%X", prefix, h[:4])
}

// defaultModel names a representative model of a family, as the management
// center prints it, for scenarios that give only the family.
func defaultModel(family string) string {
	switch family {
	case "firepower_1000":
		return "Cisco Firepower 1120 Threat Defense"
	case "firepower_2100":
		return "Cisco Firepower 2130 Threat Defense"
	case "firepower_4100":
		return "Cisco Firepower 4112 Threat Defense"
	case "firepower_9300":
		return "Cisco Firepower 9000 Series SM-40 Threat Defense"
	case "secure_firewall_1200":
		return "Cisco Secure Firewall 1210CE Threat Defense"
	case "secure_firewall_3100":
		return "Cisco Secure Firewall 3130 Threat Defense"
	case "secure_firewall_4200":
		return "Cisco Secure Firewall 4215 Threat Defense"
	case "isa_3000":
		return "Cisco ISA 3000 Threat Defense"
	case "asa_5500_x":
		return "Cisco ASA5516-X Threat Defense"
	default:
		return "Cisco Firepower Threat Defense for VMware"
	}
}
