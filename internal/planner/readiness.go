package planner

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Readiness verdicts of one check on one target.
const (
	StatusPass = "pass"
	StatusWarn = "warn"
	StatusFail = "fail"
	// StatusSkip marks a check the request asked to ignore; the row still
	// says what would have been reported.
	StatusSkip = "skip"
)

// Readiness check ids, in the order rows are reported for each target.
const (
	CheckPath                    = "path"
	CheckManagementCenterVersion = "management_center_version"
	CheckFXOSCompanion           = "fxos_companion"
	CheckChassisVersion          = "chassis_version"
	CheckPackage                 = "package"
	CheckConnected               = "connected"
	CheckHealthDatabase          = "health_database"
	CheckHealthDiskStatus        = "health_disk_status"
	CheckHealthDiskUsage         = "health_disk_usage"
	CheckHealthHACluster         = "health_ha_cluster"
	CheckHealthTimeSync          = "health_time_sync"
	CheckPendingDeployment       = "pending_deployment"
	CheckRunningTasks            = "running_tasks"
	CheckBackup                  = "backup"
	CheckHASync                  = "ha_sync"
	CheckVirtualCluster          = "virtual_cluster"
)

var readinessChecks = []string{
	CheckPath, CheckManagementCenterVersion, CheckFXOSCompanion, CheckChassisVersion, CheckPackage,
	CheckConnected, CheckHealthDatabase, CheckHealthDiskStatus, CheckHealthDiskUsage, CheckHealthHACluster,
	CheckHealthTimeSync, CheckPendingDeployment, CheckRunningTasks, CheckBackup, CheckHASync, CheckVirtualCluster,
}

// managementCenterChecks are the checks that report a row for the
// management center itself. Its readiness is mandatory (READY-5), so the
// ignore list may not cover them while the management center is included.
var managementCenterChecks = []string{
	CheckPath, CheckPackage, CheckHealthDatabase, CheckHealthDiskStatus, CheckHealthDiskUsage,
	CheckHealthHACluster, CheckHealthTimeSync, CheckRunningTasks, CheckBackup,
}

// ReadinessCheckIDs lists every readiness check id, in report order.
func ReadinessCheckIDs() []string { return slices.Clone(readinessChecks) }

// Fields of a readiness request a RuleError can point at.
const (
	FieldDeviceIDs               = "device_ids"
	FieldPackageIDs              = "package_ids"
	FieldIgnore                  = "ignore"
	FieldIncludeManagementCenter = "include_management_center"
)

// ManagementCenterID names the management center where facts are keyed by
// device id (alerts, backups), as the health API does with deviceUUID "0".
const ManagementCenterID = "0"

// managementCenterTarget is how an ignore entry may name the management
// center besides its host name.
const managementCenterTarget = "management_center"

// DefaultBackupMaxAge is how old a backup may be and still count as recent
// (READY-4) when the request does not say.
const DefaultBackupMaxAge = 7 * 24 * time.Hour

// HA pair and cluster states in ReadinessGroup.State.
const (
	GroupInSync     = "in_sync"
	GroupOutOfSync  = "out_of_sync"
	GroupSplitBrain = "split_brain"
	// GroupUnknown is a state the management center did not report.
	GroupUnknown = ""
)

// ReadinessFacts is what was observed on a live estate, as plain data: the
// runner reads it in bulk from a management center, tests write it by hand.
type ReadinessFacts struct {
	// Now is when the facts were read; backup ages are measured from it.
	Now              time.Time
	ManagementCenter ReadinessManagementCenter
	Devices          []ReadinessDevice
	HAPairs          []ReadinessGroup
	Clusters         []ReadinessGroup
	// Alerts are health alerts, possibly several per target and module;
	// the newest of each counts.
	Alerts []ReadinessAlert
	// PendingDeployments are ids of devices with configuration changes not
	// deployed yet.
	PendingDeployments []string
	RunningTasks       []ReadinessTask
	// TasksComplete is true when RunningTasks lists every running task of
	// the management center. When false only the tasks visible on device
	// records and deployments are known, so the management center's own row
	// cannot pass.
	TasksComplete bool
	// LastBackups maps a device id, or ManagementCenterID, to its newest
	// known backup.
	LastBackups map[string]time.Time
	// Packages are the upgrade packages on the management center.
	Packages []ReadinessPackage
}

// ReadinessManagementCenter is the management center itself.
type ReadinessManagementCenter struct {
	Name    string
	Version string
}

// ReadinessDevice is one threat defense unit as observed.
type ReadinessDevice struct {
	ID    string
	Name  string
	Model string
	// Platform is the catalog family id; empty when the model is not
	// recognised.
	Platform string
	Version  string
	// Connected is nil when the management center does not say.
	Connected *bool
	Health    string
	// Chassis names the chassis hosting the unit (Firepower 4100/9300, or a
	// Secure Firewall 3100/4200 in multi-instance mode); empty otherwise.
	Chassis string
	// ChassisVersion is the FXOS version of a 4100/9300 chassis or the
	// software version of a multi-instance chassis; empty when unknown.
	ChassisVersion string
	MultiInstance  bool
}

// ReadinessGroup is an HA pair or a cluster.
type ReadinessGroup struct {
	ID   string
	Name string
	// Members are device ids.
	Members []string
	// State is GroupInSync, GroupOutOfSync, GroupSplitBrain or GroupUnknown.
	State string
	// Detail is what was seen, in the management center's words.
	Detail string
}

// ReadinessAlert is one health alert.
type ReadinessAlert struct {
	// Target is a device id or ManagementCenterID.
	Target string
	// Module is the health module: DATABASE, DISK_USAGE, TIME_SYNC, ...
	Module string
	// Status is the alert colour: GREEN, YELLOW, RED, ERROR, DISABLED,
	// RECOVERED.
	Status string
	Detail string
	Time   time.Time
}

// ReadinessTask is a task running on the management center.
type ReadinessTask struct {
	ID     string
	Name   string
	Status string
	// Targets are the device ids the task works on; empty for tasks of the
	// management center itself.
	Targets []string
}

// ReadinessPackage is an upgrade package on the management center.
type ReadinessPackage struct {
	ID       string
	FileName string
	// ApplicableDeviceIDs are the devices the management center says the
	// package applies to; meaningful only when ApplicabilityKnown.
	ApplicableDeviceIDs []string
	ApplicabilityKnown  bool
}

// ReadinessRequest says which upgrade to judge.
type ReadinessRequest struct {
	// TargetVersion is the threat defense target: a version, TargetLatest or
	// TargetSuggested.
	TargetVersion string
	// DeviceIDs select devices by id or name; an HA pair or cluster id or
	// name selects its members. Empty means every device.
	DeviceIDs []string
	// ExcludeManagementCenter leaves the management center's own rows out
	// (include_management_center = false); by default it is judged too.
	ExcludeManagementCenter bool
	// PackageIDs restrict the packages that count, by id or file name;
	// empty means every package on the management center.
	PackageIDs []string
	// Ignore lists check ids to skip ("health_time_sync"), or a check on one
	// target ("health_time_sync:br-fw-03"). Skipped rows are still reported.
	Ignore []string
	// BackupMaxAge is how old a backup may be and still count as recent;
	// zero means DefaultBackupMaxAge.
	BackupMaxAge time.Duration
}

// ReadinessCheck is one verdict: a check on one target.
type ReadinessCheck struct {
	ID       string
	Target   string
	Status   string
	Observed string
	Remedy   string
	// Rules are the rule ids the check enforces.
	Rules []string
}

// Line renders the check as one line, e.g. "health_disk_usage on
// cloud-ftdv-az-01: DISK_USAGE RED: /ngfw is 94% full. Fix: free disk
// space ... [READY-1]".
func (c ReadinessCheck) Line() string {
	s := c.ID + " on " + c.Target + ": " + c.Observed
	if c.Remedy != "" {
		s += ". Fix: " + c.Remedy
	}
	if len(c.Rules) > 0 {
		s += " [" + strings.Join(c.Rules, ", ") + "]"
	}
	return s
}

// ReadinessResult is the verdict on a planned upgrade.
type ReadinessResult struct {
	// TargetVersion is the resolved threat defense target.
	TargetVersion string
	// ManagementCenterTarget is the version the management center must reach
	// first (ORDER-1); empty when the management center is excluded.
	ManagementCenterTarget string
	Checks                 []ReadinessCheck
	// Ready is true when no check fails.
	Ready bool
	// Blocking are the failing checks, one line each.
	Blocking []string
}

// Count returns how many checks have status.
func (r *ReadinessResult) Count(status string) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == status {
			n++
		}
	}
	return n
}

// CheckReadinessRequest validates what can be validated without facts: the
// target, the ignore list's check ids and READY-5. Callers run it before
// reading anything from a management center.
func CheckReadinessRequest(c *catalog.Catalog, req ReadinessRequest) error {
	if _, err := resolveReadinessTarget(c, req.TargetVersion); err != nil {
		return err
	}
	if req.BackupMaxAge < 0 {
		return refuse("backup_max_age", "", "give a positive duration such as 168h", "%s is negative", req.BackupMaxAge)
	}
	for _, entry := range req.Ignore {
		check, target, err := parseIgnore(entry)
		if err != nil {
			return err
		}
		if req.ExcludeManagementCenter {
			continue
		}
		if target == "" && slices.Contains(managementCenterChecks, check) {
			return refuse(FieldIgnore, "READY-5",
				fmt.Sprintf("ignore it on devices only (e.g. \"%s:<device name>\"), or set include_management_center = false when the management center is not part of this upgrade", check),
				"ignoring %q would skip the management center's own %s check, which is mandatory", entry, check)
		}
		if strings.EqualFold(target, managementCenterTarget) {
			return ignoreMC(entry, check)
		}
	}
	return nil
}

func ignoreMC(entry, check string) error {
	return refuse(FieldIgnore, "READY-5",
		"remove the entry; the management center must pass its own readiness checks before it is upgraded",
		"%q would skip the management center's %s check, which is mandatory", entry, check)
}

func parseIgnore(entry string) (check, target string, err error) {
	e := strings.TrimSpace(entry)
	check, target, _ = strings.Cut(e, ":")
	check, target = strings.TrimSpace(check), strings.TrimSpace(target)
	if !slices.Contains(readinessChecks, check) {
		return "", "", refuse(FieldIgnore, "", "use one of: "+strings.Join(readinessChecks, ", ")+", optionally followed by :<target>",
			"%q is not a readiness check", entry)
	}
	if strings.Contains(e, ":") && target == "" {
		return "", "", refuse(FieldIgnore, "", "name the target after the colon, e.g. \""+check+":br-fw-03\", or drop the colon", "%q names no target", entry)
	}
	return check, target, nil
}

// resolveReadinessTarget turns the requested target into a threat defense
// release of the catalog.
func resolveReadinessTarget(c *catalog.Catalog, s string) (version.Version, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return version.Version{}, refuse(FieldTargetVersion, "", "give the threat defense version to upgrade to, e.g. 7.6.1, or latest / suggested", "the target version is empty")
	}
	switch strings.ToLower(raw) {
	case TargetLatest, TargetSuggested:
		list, err := Releases(c, catalog.ProductThreatDefense, "")
		if err != nil {
			return version.Version{}, err
		}
		raw = list.Latest
		if strings.EqualFold(strings.TrimSpace(s), TargetSuggested) {
			raw = list.Suggested
		}
	}
	v, err := parseVersion(FieldTargetVersion, raw)
	if err != nil {
		return v, err
	}
	if v.String() == "7.4.0" {
		return v, refuse(FieldTargetVersion, "PATH-2", "target 7.4.1 or later", "threat defense cannot be upgraded to 7.4.0: it is a fresh install on the Secure Firewall 4200 only")
	}
	rel, ok := c.Release(v)
	if !ok || !rel.HasProduct(catalog.ProductThreatDefense) {
		var known []string
		for _, r := range c.ReleasesFor(catalog.ProductThreatDefense, "") {
			if r.V().Train() == v.Train() {
				known = append(known, r.Version)
			}
		}
		fix := "the catalog has no " + v.Train() + " threat defense release; add it with the provider's catalog_file"
		if len(known) > 0 {
			fix = "known " + v.Train() + " releases: " + strings.Join(known, ", ") + " (add newer ones with the provider's catalog_file)"
		}
		return v, refuse(FieldTargetVersion, "PATH-6", fix, "%s is not a known threat defense release", v)
	}
	if b, ok := rel.BuildFor(catalog.ProductThreatDefense); ok && v.Build > 0 && b.Value != v.Build {
		return v, refuse(FieldTargetVersion, "PKG-1", fmt.Sprintf("use %s-%d or leave the build out", v, b.Value), "%s has build %d in the catalog, not %d", v, b.Value, v.Build)
	}
	return v, nil
}

// Readiness judges a planned upgrade of the selected devices (and, unless
// excluded, the management center first) to req.TargetVersion against
// what was observed. Every row names the rules it enforces; Ready is true
// when no row fails. Ignored checks are reported as skip rows.
//
// Refusals are *RuleError on the request field at fault: target_version,
// device_ids, package_ids or ignore (READY-5 when an entry would skip a
// management center check).
func Readiness(c *catalog.Catalog, facts ReadinessFacts, req ReadinessRequest) (*ReadinessResult, error) {
	r, err := newReadiness(c, &facts, req)
	if err != nil {
		return nil, err
	}
	if r.includeMC {
		r.managementCenterRows()
	}
	for _, d := range r.devices {
		r.deviceRows(d)
	}
	for _, g := range r.groups {
		r.groupRows(g)
	}
	res := &ReadinessResult{TargetVersion: r.target.String(), Checks: r.rows, Ready: true, Blocking: []string{}}
	if r.includeMC {
		res.ManagementCenterTarget = r.mcTarget.String()
	}
	for _, row := range r.rows {
		if row.Status == StatusFail {
			res.Ready = false
			res.Blocking = append(res.Blocking, row.Line())
		}
	}
	return res, nil
}

// ReadinessPackagesNeeded returns the ids of the packages whose applicable
// devices matter: those the first hop of a selected device needs. A reader
// fetches applicability for these only, so the cost stays at one request
// per platform family rather than one per package or device.
func ReadinessPackagesNeeded(c *catalog.Catalog, facts ReadinessFacts, req ReadinessRequest) ([]string, error) {
	r, err := newReadiness(c, &facts, req)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range r.devices {
		p, perr := r.devicePath(d)
		if perr != nil || p == nil || len(p.Hops) == 0 {
			continue
		}
		if pk := r.findPackage(catalog.ProductThreatDefense, d.Platform, p.Hops[0]); pk != nil && !seen[pk.ID] {
			seen[pk.ID] = true
			out = append(out, pk.ID)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadinessHealthModules are the health modules the readiness checks read
// (Table 9): a reader may filter health alerts on them.
func ReadinessHealthModules() []string {
	var out []string
	for _, h := range healthChecks {
		out = append(out, h.modules...)
	}
	return out
}

type parsedPackage struct {
	*ReadinessPackage
	parsed catalog.ParsedPackage
	ok     bool
}

type pathResult struct {
	path *Path
	err  error
}

// readiness carries one evaluation.
type readiness struct {
	c         *catalog.Catalog
	f         *ReadinessFacts
	req       ReadinessRequest
	target    version.Version
	includeMC bool
	mcName    string
	mcV       version.Version
	mcVErr    error
	mcTarget  version.Version
	mcPath    *Path
	mcPathErr error
	maxAge    time.Duration

	devices  []*ReadinessDevice
	byID     map[string]*ReadinessDevice
	groups   []*ReadinessGroup
	groupsOf map[string][]*ReadinessGroup
	clusters map[*ReadinessGroup]bool
	alerts   map[string]map[string]ReadinessAlert
	pending  map[string]bool
	tasksOn  map[string][]ReadinessTask
	packages []parsedPackage
	paths    map[string]pathResult

	ignoreAll map[string]bool
	ignoreOn  map[string]map[string]bool

	rows []ReadinessCheck
}

func newReadiness(c *catalog.Catalog, f *ReadinessFacts, req ReadinessRequest) (*readiness, error) {
	if err := CheckReadinessRequest(c, req); err != nil {
		return nil, err
	}
	target, _ := resolveReadinessTarget(c, req.TargetVersion)
	r := &readiness{
		c: c, f: f, req: req, target: target, includeMC: !req.ExcludeManagementCenter,
		maxAge: req.BackupMaxAge, byID: map[string]*ReadinessDevice{}, groupsOf: map[string][]*ReadinessGroup{},
		clusters: map[*ReadinessGroup]bool{}, alerts: map[string]map[string]ReadinessAlert{},
		pending: map[string]bool{}, tasksOn: map[string][]ReadinessTask{}, paths: map[string]pathResult{},
		ignoreAll: map[string]bool{}, ignoreOn: map[string]map[string]bool{},
	}
	if r.maxAge == 0 {
		r.maxAge = DefaultBackupMaxAge
	}
	r.mcName = strings.TrimSpace(f.ManagementCenter.Name)
	if r.mcName == "" {
		r.mcName = "management center"
	}
	r.mcV, r.mcVErr = version.Parse(f.ManagementCenter.Version)
	r.mcTarget = r.managementCenterTarget()

	for i := range f.Devices {
		d := &f.Devices[i]
		r.byID[d.ID] = d
	}
	if err := r.selectDevices(); err != nil {
		return nil, err
	}
	r.indexGroups()
	if err := r.indexPackages(); err != nil {
		return nil, err
	}
	if err := r.indexIgnore(); err != nil {
		return nil, err
	}
	for _, a := range f.Alerts {
		mod := strings.ToUpper(strings.TrimSpace(a.Module))
		t := a.Target
		if t == "" {
			t = ManagementCenterID
		}
		if r.alerts[t] == nil {
			r.alerts[t] = map[string]ReadinessAlert{}
		}
		if old, ok := r.alerts[t][mod]; !ok || !a.Time.Before(old.Time) {
			r.alerts[t][mod] = a
		}
	}
	for _, id := range f.PendingDeployments {
		r.pending[id] = true
	}
	for _, t := range f.RunningTasks {
		for _, id := range t.Targets {
			r.tasksOn[id] = append(r.tasksOn[id], t)
		}
	}
	if r.includeMC && r.mcVErr == nil && version.Compare(r.mcV, r.mcTarget) < 0 {
		r.mcPath, r.mcPathErr = UpgradePath(c, PathRequest{
			Product: catalog.ProductManagementCenter, Platform: catalog.ProductManagementCenter,
			From: f.ManagementCenter.Version, To: r.mcTarget.String(),
		})
	}
	return r, nil
}

// managementCenterTarget is the release the management center must reach
// so that it manages the target (ORDER-1): the target's maintenance release
// (a patched device under an unpatched management center is fine), or the
// oldest management center release at or after it when the target is a
// threat defense-only release.
func (r *readiness) managementCenterTarget() version.Version {
	need := capOf(r.target)
	if rel, ok := r.c.Release(need); ok && rel.HasProduct(catalog.ProductManagementCenter) {
		return need
	}
	for _, rel := range r.c.ReleasesFor(catalog.ProductManagementCenter, "") {
		if v := rel.V(); !v.IsPatch() && version.Compare(v, need) >= 0 {
			v.Build = 0
			return v
		}
	}
	return need
}

func (r *readiness) selectDevices() error {
	if len(r.req.DeviceIDs) == 0 {
		for i := range r.f.Devices {
			r.devices = append(r.devices, &r.f.Devices[i])
		}
		return nil
	}
	chosen := map[string]bool{}
	for _, ref := range r.req.DeviceIDs {
		ref = strings.TrimSpace(ref)
		ids := r.resolveUnits(ref)
		if len(ids) == 0 {
			return refuse(FieldDeviceIDs, "", "use the id or name of a device, HA pair or cluster the management center manages (see data.fmcupgrade_inventory)",
				"%q is not a device, HA pair or cluster on the management center", ref)
		}
		for _, id := range ids {
			chosen[id] = true
		}
	}
	for i := range r.f.Devices {
		if d := &r.f.Devices[i]; chosen[d.ID] {
			r.devices = append(r.devices, d)
		}
	}
	return nil
}

// resolveUnits maps an id or name of a device, HA pair or cluster to device
// ids; ids win over names.
func (r *readiness) resolveUnits(ref string) []string {
	if ref == "" {
		return nil
	}
	if _, ok := r.byID[ref]; ok {
		return []string{ref}
	}
	groups := append(slices.Clone(r.f.HAPairs), r.f.Clusters...)
	for _, g := range groups {
		if g.ID == ref {
			return g.Members
		}
	}
	for _, d := range r.f.Devices {
		if strings.EqualFold(d.Name, ref) {
			return []string{d.ID}
		}
	}
	for _, g := range groups {
		if strings.EqualFold(g.Name, ref) {
			return g.Members
		}
	}
	return nil
}

func (r *readiness) indexGroups() {
	selected := map[string]bool{}
	for _, d := range r.devices {
		selected[d.ID] = true
	}
	add := func(g *ReadinessGroup, cluster bool) {
		keep := false
		for _, id := range g.Members {
			r.groupsOf[id] = append(r.groupsOf[id], g)
			keep = keep || selected[id]
		}
		if keep {
			r.groups = append(r.groups, g)
			r.clusters[g] = cluster
		}
	}
	for i := range r.f.HAPairs {
		add(&r.f.HAPairs[i], false)
	}
	for i := range r.f.Clusters {
		add(&r.f.Clusters[i], true)
	}
}

func (r *readiness) indexPackages() error {
	all := map[string]*ReadinessPackage{}
	for i := range r.f.Packages {
		p := &r.f.Packages[i]
		all[p.ID] = p
		all[strings.ToLower(p.FileName)] = p
	}
	var use []*ReadinessPackage
	if len(r.req.PackageIDs) == 0 {
		for i := range r.f.Packages {
			use = append(use, &r.f.Packages[i])
		}
	}
	seen := map[*ReadinessPackage]bool{}
	for _, ref := range r.req.PackageIDs {
		ref = strings.TrimSpace(ref)
		p := all[ref]
		if p == nil {
			p = all[strings.ToLower(ref)]
		}
		if p == nil {
			names := make([]string, 0, len(r.f.Packages))
			for _, q := range r.f.Packages {
				names = append(names, q.FileName)
			}
			fix := "the management center has no upgrade packages; upload one first"
			if len(names) > 0 {
				fix = "the management center has: " + strings.Join(names, ", ")
			}
			return refuse(FieldPackageIDs, "PKG-1", fix, "%q is not an upgrade package on the management center", ref)
		}
		if !seen[p] {
			seen[p] = true
			use = append(use, p)
		}
	}
	for _, p := range use {
		pp := parsedPackage{ReadinessPackage: p}
		pp.parsed, pp.ok = r.parsePackage(p.FileName)
		r.packages = append(r.packages, pp)
	}
	return nil
}

func (r *readiness) parsePackage(name string) (catalog.ParsedPackage, bool) {
	p, err := r.c.ParsePackageFilename(name)
	return p, err == nil
}

// indexIgnore resolves the targets of "check:target" entries.
func (r *readiness) indexIgnore() error {
	for _, entry := range r.req.Ignore {
		check, target, _ := parseIgnore(entry)
		if target == "" {
			r.ignoreAll[check] = true
			continue
		}
		if r.includeMC && strings.EqualFold(target, r.mcName) {
			return ignoreMC(entry, check)
		}
		label := r.targetLabel(target)
		if label == "" {
			return refuse(FieldIgnore, "", "name a device, HA pair or cluster of this upgrade by id or name",
				"%q names no target of this readiness check", entry)
		}
		if r.ignoreOn[check] == nil {
			r.ignoreOn[check] = map[string]bool{}
		}
		r.ignoreOn[check][label] = true
	}
	return nil
}

// targetLabel maps an id or name to the Target its rows carry, among the
// selected devices and their groups.
func (r *readiness) targetLabel(ref string) string {
	for _, d := range r.devices {
		if d.ID == ref || strings.EqualFold(d.Name, ref) {
			return deviceLabel(d)
		}
	}
	for _, g := range r.groups {
		if g.ID == ref || strings.EqualFold(g.Name, ref) {
			return groupLabel(g)
		}
	}
	return ""
}

func deviceLabel(d *ReadinessDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return d.ID
}

func groupLabel(g *ReadinessGroup) string {
	if g.Name != "" {
		return g.Name
	}
	return g.ID
}

// add records a row, turning it into a skip row when the request ignores
// the check for this target.
func (r *readiness) add(row ReadinessCheck) {
	if r.ignoreAll[row.ID] || r.ignoreOn[row.ID][row.Target] {
		was := row.Status
		row.Status = StatusSkip
		row.Observed = "ignored on request (would be " + was + "): " + row.Observed
		row.Rules = append(slices.Clone(row.Rules), "READY-5")
	}
	r.rows = append(r.rows, row)
}

func (r *readiness) row(id, target, status, observed, remedy string, rules ...string) {
	if status == StatusPass {
		remedy = ""
	}
	r.add(ReadinessCheck{ID: id, Target: target, Status: status, Observed: observed, Remedy: remedy, Rules: rules})
}

// --- the management center ---

func (r *readiness) managementCenterRows() {
	t := r.mcName
	switch {
	case r.mcVErr != nil:
		r.row(CheckPath, t, StatusFail, fmt.Sprintf("the management center reports version %q, which cannot be read", r.f.ManagementCenter.Version),
			"check the management center's version under Help > About", "PATH-6")
	case version.Compare(r.mcV, r.mcTarget) >= 0:
		r.row(CheckPath, t, StatusPass, fmt.Sprintf("runs %s, which manages threat defense %s: no management center upgrade needed", r.mcV, r.target), "", "ORDER-1")
	case r.mcPathErr != nil:
		r.pathFailure(t, r.mcPathErr)
	default:
		r.row(CheckPath, t, StatusPass, describePath(r.f.ManagementCenter.Version, r.mcPath)+"; it is upgraded before any device (ORDER-1)", "", pathRuleIDs(r.mcPath, "ORDER-1")...)
	}
	if r.mcPath != nil && r.mcPathErr == nil && len(r.mcPath.Hops) > 0 {
		r.packageRow(t, "", catalog.ProductManagementCenter, catalog.ProductManagementCenter, r.mcPath)
	}
	for _, h := range healthChecks {
		if h.managementCenter {
			r.healthRow(h, t, ManagementCenterID)
		}
	}
	r.managementCenterTasksRow(t)
	r.backupRow(t, ManagementCenterID, false)
}

func (r *readiness) managementCenterTasksRow(t string) {
	if n := len(r.f.RunningTasks); n > 0 {
		r.row(CheckRunningTasks, t, StatusFail, fmt.Sprintf("%d task%s running: %s", n, plural(n), taskList(r.f.RunningTasks)),
			"let essential tasks finish (or cancel them) before the management center upgrade starts: running tasks are stopped, fail and cannot be resumed; postpone tasks scheduled during the window", "READY-3")
		return
	}
	if !r.f.TasksComplete {
		r.row(CheckRunningTasks, t, StatusWarn, "no task seen on device records or deployments; the management center's own task list was not read",
			"check the task list (Notifications > Tasks) before starting and let essential tasks finish; postpone tasks scheduled during the window", "READY-3")
		return
	}
	r.row(CheckRunningTasks, t, StatusPass, "no running task", "", "READY-3")
}

func taskList(ts []ReadinessTask) string {
	var parts []string
	for i, t := range ts {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ts)-3))
			break
		}
		s := t.Name
		if s == "" {
			s = "task " + t.ID
		}
		if t.Status != "" {
			s += " (" + t.Status + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// --- devices ---

func (r *readiness) devicePath(d *ReadinessDevice) (*Path, error) {
	if d.Platform == "" {
		return nil, nil
	}
	key := d.Platform + "|" + d.Version
	if pr, ok := r.paths[key]; ok {
		return pr.path, pr.err
	}
	p, err := UpgradePath(r.c, PathRequest{Product: catalog.ProductThreatDefense, Platform: d.Platform, From: d.Version, To: r.target.WithBuild()})
	r.paths[key] = pathResult{p, err}
	return p, err
}

func (r *readiness) deviceRows(d *ReadinessDevice) {
	t := deviceLabel(d)
	p, err := r.devicePath(d)
	switch {
	case d.Platform == "":
		r.row(CheckPath, t, StatusWarn, fmt.Sprintf("model %q is not in the catalog, so its path to %s cannot be checked", d.Model, r.target),
			"check the path in the upgrade guide, or add the model to a family with the provider's catalog_file", "PATH-6")
	case err != nil:
		r.pathFailure(t, err)
	case len(p.Hops) == 0:
		r.row(CheckPath, t, StatusPass, "already runs "+p.From+": nothing to upgrade", "", "PATH-5")
	default:
		r.row(CheckPath, t, StatusPass, describePath(d.Version, p), "", pathRuleIDs(p)...)
	}
	r.managementCenterVersionRow(d, t, p, err)
	if fam, ok := r.c.Family(d.Platform); ok {
		switch {
		case fam.Chassis == catalog.ChassisFXOS:
			r.fxosRow(d, t, p, err)
		case fam.Chassis == catalog.ChassisMultiInstance && d.MultiInstance:
			r.chassisVersionRow(d, t, p, err)
		}
	}
	switch {
	case d.Platform == "" || err != nil:
		r.row(CheckPackage, t, StatusWarn, "no upgrade path, so the package cannot be named", "fix the path check first", "PKG-1")
	case len(p.Hops) == 0:
		r.row(CheckPackage, t, StatusPass, "nothing to upgrade, so no package is needed", "", "PKG-1")
	default:
		r.packageRow(t, d.ID, catalog.ProductThreatDefense, d.Platform, p)
	}
	r.connectedRow(d, t)
	for _, h := range healthChecks {
		if !h.device {
			continue
		}
		if h.id == CheckHealthHACluster && len(r.groupsOf[d.ID]) == 0 && !r.hasAlert(d.ID, h.modules) {
			continue
		}
		r.healthRow(h, t, d.ID)
	}
	if r.pending[d.ID] {
		r.row(CheckPendingDeployment, t, StatusFail, "configuration changes are not deployed",
			"deploy to "+t+" before its upgrade (and again after it), and resolve open change-management tickets", "READY-2")
	} else {
		r.row(CheckPendingDeployment, t, StatusPass, "no pending configuration changes", "", "READY-2")
	}
	if ts := r.tasksOn[d.ID]; len(ts) > 0 {
		r.row(CheckRunningTasks, t, StatusFail, "running: "+taskList(ts),
			"wait for the task to finish or cancel it: a task running when the upgrade starts is stopped and cannot be resumed", "READY-3")
	} else {
		r.row(CheckRunningTasks, t, StatusPass, "no task on the device record and no deployment in progress", "", "READY-3")
	}
	r.backupRow(t, d.ID, d.Platform == "threat_defense_virtual")
}

func (r *readiness) pathFailure(t string, err error) {
	re, ok := err.(*RuleError)
	if !ok {
		r.row(CheckPath, t, StatusFail, err.Error(), "", "PATH-1")
		return
	}
	rule := re.Rule
	if rule == "" {
		rule = "PATH-6"
	}
	r.row(CheckPath, t, StatusFail, re.Problem, re.Fix, rule)
}

// describePath is "7.2.5 -> 7.4.2 -> 7.6.1 (2 hops)", with what a reviewer
// should double-check.
func describePath(from string, p *Path) string {
	s := strings.Join(append([]string{from}, p.Versions()...), " -> ")
	if p.Direct() {
		s += " (direct)"
	} else {
		s += fmt.Sprintf(" (%d hops)", len(p.Hops))
	}
	for _, w := range p.Warnings {
		if strings.HasPrefix(w, "this path relies on unverified catalog data") {
			s += "; relies on unverified catalog data (see fmcupgrade_upgrade_path)"
			continue
		}
		if !strings.HasPrefix(w, "ORDER-4") && !strings.Contains(w, "FXOS") {
			s += "; " + w
		}
	}
	return s
}

// pathRuleIDs lists the PATH rules behind a path's hops.
func pathRuleIDs(p *Path, extra ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range p.Hops {
		for _, rule := range h.Rules {
			id, _, _ := strings.Cut(rule, ":")
			if strings.HasPrefix(id, "PATH-") && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return append(out, extra...)
}

func (r *readiness) managementCenterVersionRow(d *ReadinessDevice, t string, p *Path, perr error) {
	const id = CheckManagementCenterVersion
	if r.mcVErr != nil {
		r.row(id, t, StatusWarn, fmt.Sprintf("the management center's version %q cannot be read", r.f.ManagementCenter.Version),
			"check the management center's version under Help > About", "ORDER-1", "ORDER-2")
		return
	}
	dv, err := version.Parse(d.Version)
	if err != nil {
		r.row(id, t, StatusWarn, fmt.Sprintf("the device reports version %q, which cannot be read", d.Version), "check the device's version", "ORDER-2")
		return
	}
	if !within(dv, r.mcV) {
		r.row(id, t, StatusFail, fmt.Sprintf("runs %s, newer than its management center's %s", dv, r.mcV),
			"upgrade the management center to "+capOf(dv).String()+" or later before anything else", "ORDER-1")
		return
	}
	final := r.target
	if perr == nil && p != nil {
		if len(p.Hops) == 0 {
			r.row(id, t, StatusPass, fmt.Sprintf("already at the target; the management center runs %s", r.mcV), "", "ORDER-2")
			return
		}
		final, _ = version.Parse(p.Hops[len(p.Hops)-1].Version)
	}
	if within(final, r.mcV) {
		r.row(id, t, StatusPass, fmt.Sprintf("the management center runs %s, so threat defense %s stays within what it manages", r.mcV, final), "", "ORDER-2")
		return
	}
	if !r.includeMC {
		r.row(id, t, StatusFail, fmt.Sprintf("the management center runs %s: a device cannot be upgraded past it to %s", r.mcV, final),
			fmt.Sprintf("upgrade the management center to %s first (include_management_center = true), or target a %s release", capOf(final), r.mcV.Train()), "ORDER-2")
		return
	}
	if r.mcPathErr != nil {
		r.row(id, t, StatusFail, fmt.Sprintf("the management center (%s) must first reach %s, and it has no path there", r.mcV, r.mcTarget),
			"fix the management center's path check first", "ORDER-1", "ORDER-2")
		return
	}
	if o, ok := r.c.OldestManaged(r.mcTarget.Train()); ok && version.Compare(dv, o.Oldest()) < 0 {
		r.row(id, t, StatusWarn, fmt.Sprintf("runs %s, older than the oldest threat defense a %s management center manages (%s)", dv, r.mcTarget.Train(), o.Oldest()),
			"upgrade this device under the current management center first, then the management center, then the device again (fmcupgrade_upgrade_plan orders these steps)", "ORDER-3")
		return
	}
	r.row(id, t, StatusPass, fmt.Sprintf("the management center goes first (%s -> %s), then this device to %s", r.mcV, r.mcTarget, final), "", "ORDER-1", "ORDER-2")
}

// fxosRow checks that a Firepower 4100/9300 chassis runs the FXOS
// companion of every threat defense hop (ORDER-4).
func (r *readiness) fxosRow(d *ReadinessDevice, t string, p *Path, perr error) {
	const id = CheckFXOSCompanion
	rules := []string{"ORDER-4"}
	if len(r.groupsOf[d.ID]) > 0 {
		rules = append(rules, "HA-1")
	}
	if perr != nil || p == nil {
		r.row(id, t, StatusWarn, "no upgrade path, so the FXOS companion cannot be named", "fix the path check first", rules...)
		return
	}
	if len(p.Hops) == 0 {
		r.row(id, t, StatusPass, "already at the target", "", rules...)
		return
	}
	var need *Hop
	var needV version.FXOS
	for i := range p.Hops {
		h := &p.Hops[i]
		if h.FXOSVersion == "" {
			continue
		}
		if v, err := version.ParseFXOS(h.FXOSVersion); err == nil && (need == nil || version.CompareFXOS(v, needV) > 0) {
			need, needV = h, v
		}
	}
	if need == nil {
		r.row(id, t, StatusWarn, "the catalog names no FXOS companion for "+strings.Join(p.Versions(), ", "),
			"check the FXOS compatibility guide and upgrade the chassis first if needed", rules...)
		return
	}
	want := "FXOS " + need.FXOSVersion
	if need.FXOSMinimum != "" {
		want += " (" + need.FXOSMinimum + " or later)"
	}
	chassis := "its chassis"
	if d.Chassis != "" {
		chassis = "chassis " + d.Chassis
	}
	to := need.FXOSRecommended
	if to == "" {
		to = need.FXOSVersion
	}
	upgrade := fmt.Sprintf("upgrade %s to FXOS %s", chassis, to)
	if need.FXOSPackageFilename != "" {
		upgrade += " (" + need.FXOSPackageFilename + ")"
	}
	upgrade += " first, one chassis of a pair or cluster at a time with the pair healthy before each; threat defense is blocked until then"
	if d.ChassisVersion == "" {
		r.row(id, t, StatusWarn, fmt.Sprintf("threat defense %s needs %s; the management center does not report the FXOS version of %s", need.Version, want, chassis),
			"check the chassis version (chassis manager or `show version` in FXOS); if it is older, "+upgrade, rules...)
		return
	}
	cv, err := version.ParseFXOS(d.ChassisVersion)
	if err != nil {
		r.row(id, t, StatusWarn, fmt.Sprintf("%s reports FXOS %q, which cannot be read; threat defense %s needs %s", chassis, d.ChassisVersion, need.Version, want),
			"check the chassis version; if it is older than "+want+", "+upgrade, rules...)
		return
	}
	if fxosAtLeast(cv, needV, need.FXOSMinimum) {
		r.row(id, t, StatusPass, fmt.Sprintf("%s runs FXOS %s; threat defense %s needs %s", chassis, cv, need.Version, want), "", rules...)
		return
	}
	r.row(id, t, StatusFail, fmt.Sprintf("%s runs FXOS %s; threat defense %s needs %s", chassis, cv, need.Version, want), upgrade, rules...)
}

// fxosAtLeast reports whether a chassis on have meets the companion train
// need and, within that train, its minimum build when one is known.
func fxosAtLeast(have, need version.FXOS, minimum string) bool {
	if have.Major != need.Major || have.Minor != need.Minor {
		return have.Major > need.Major || have.Major == need.Major && have.Minor > need.Minor
	}
	if m, err := version.ParseFXOS(minimum); err == nil && minimum != "" {
		return version.CompareFXOS(have, m) >= 0
	}
	return true
}

// chassisVersionRow checks that a Secure Firewall 3100/4200 multi-instance
// chassis is upgraded before its instances (ORDER-4): its instances need
// the chassis at their maintenance release.
func (r *readiness) chassisVersionRow(d *ReadinessDevice, t string, p *Path, perr error) {
	const id = CheckChassisVersion
	if perr != nil || p == nil {
		r.row(id, t, StatusWarn, "no upgrade path, so the chassis version needed cannot be named", "fix the path check first", "ORDER-4")
		return
	}
	if len(p.Hops) == 0 {
		r.row(id, t, StatusPass, "already at the target", "", "ORDER-4")
		return
	}
	final, _ := version.Parse(p.Hops[len(p.Hops)-1].Version)
	need := capOf(final)
	chassis := "its multi-instance chassis"
	if d.Chassis != "" {
		chassis = "multi-instance chassis " + d.Chassis
	}
	upgrade := fmt.Sprintf("upgrade %s to %s from the management center (same package as the instances) before the instances", chassis, need)
	if d.ChassisVersion == "" {
		r.row(id, t, StatusWarn, fmt.Sprintf("instances going to %s need %s at %s or later; its version is not reported", final, chassis, need),
			"check the chassis version; if it is older, "+upgrade, "ORDER-4")
		return
	}
	cv, err := version.Parse(d.ChassisVersion)
	switch {
	case err != nil:
		r.row(id, t, StatusWarn, fmt.Sprintf("%s reports version %q, which cannot be read", chassis, d.ChassisVersion), "check the chassis version; if it is older than "+need.String()+", "+upgrade, "ORDER-4")
	case version.Compare(capOf(cv), need) >= 0:
		r.row(id, t, StatusPass, fmt.Sprintf("%s runs %s; instances going to %s need %s", chassis, cv, final, need), "", "ORDER-4")
	default:
		r.row(id, t, StatusFail, fmt.Sprintf("%s runs %s; instances going to %s need it at %s first", chassis, cv, final, need), upgrade, "ORDER-4")
	}
}

// packageRow checks that the package of every hop is on the management
// center and that the first is applicable to the device (PKG-1, PKG-3).
func (r *readiness) packageRow(t, deviceID, product, platform string, p *Path) {
	const id = CheckPackage
	var found []string
	for i, h := range p.Hops {
		pk := r.findPackage(product, platform, h)
		name := h.PackageFilename
		if name == "" {
			name = "the " + h.Version + " package for " + platform
		}
		if pk == nil {
			status, when := StatusFail, "needed now"
			if i > 0 {
				status, when = StatusWarn, "needed for hop "+strconv.Itoa(i+1)
			}
			where := "on the management center"
			if len(r.req.PackageIDs) > 0 {
				where = "among package_ids"
			}
			observed := fmt.Sprintf("%s is not %s (%s)", name, where, when)
			if len(found) > 0 {
				observed = strings.Join(found, "; ") + "; " + observed
			}
			r.row(id, t, status, observed,
				"upload "+name+" to the management center (System > Updates) or declare it with fmcupgrade_upgrade_package, ahead of the maintenance window", "PKG-1", "PKG-3")
			return
		}
		if i == 0 && deviceID != "" && pk.ApplicabilityKnown && !slices.Contains(pk.ApplicableDeviceIDs, deviceID) {
			r.row(id, t, StatusFail, fmt.Sprintf("%s is on the management center but not applicable to %s", pk.FileName, t),
				"check the device's model and version against the package; the management center lists the devices a package applies to under System > Updates", "PKG-1")
			return
		}
		s := pk.FileName + " on the management center"
		if i == 0 && deviceID != "" && pk.ApplicabilityKnown {
			s += ", applicable"
		}
		found = append(found, s)
	}
	r.row(id, t, StatusPass, strings.Join(found, "; "), "", "PKG-1", "PKG-3")
}

// findPackage finds the package of a hop among the packages that count:
// the product and family must match and the version must be the hop's
// (builds compared when both are known). Every accepted spelling of a file
// name matches (PKG-1).
func (r *readiness) findPackage(product, platform string, h Hop) *parsedPackage {
	hv, err := version.Parse(h.Version)
	if err != nil {
		return nil
	}
	for i := range r.packages {
		pk := &r.packages[i]
		pp := pk.parsed
		if !pk.ok || pp.Product != product || pp.Kind == catalog.KindHotfix || !slices.Contains(pp.Families, platform) {
			continue
		}
		if pp.Version.String() != hv.String() || pp.Version.Build > 0 && h.Build > 0 && pp.Version.Build != h.Build {
			continue
		}
		return pk
	}
	return nil
}

func (r *readiness) connectedRow(d *ReadinessDevice, t string) {
	health := ""
	if d.Health != "" {
		health = "; health " + d.Health
	}
	switch {
	case d.Connected == nil:
		r.row(CheckConnected, t, StatusWarn, "the management center does not report whether it reaches the device"+health,
			"check Devices > Device Management for the device's status before the upgrade", "READY-1", "READY-6")
	case !*d.Connected:
		r.row(CheckConnected, t, StatusFail, "the management center cannot reach the device"+health,
			"restore the management connection (sftunnel, management interface, routing) before the upgrade; make sure management access does not traverse the device being upgraded", "READY-1", "READY-6")
	default:
		r.row(CheckConnected, t, StatusPass, "connected"+health, "", "READY-1")
	}
}

// --- health alerts (Table 9) ---

type healthCheck struct {
	id      string
	modules []string
	// yellowFails: any alert of the module means trouble for the upgrade,
	// not just a warning.
	yellowFails      bool
	managementCenter bool
	device           bool
	remedy           string
	rules            []string
}

var healthChecks = []healthCheck{
	{id: CheckHealthDatabase, modules: []string{"DATABASE", "MYSQL", "SYBASE_STATUS"}, managementCenter: true,
		remedy: "contact Cisco TAC before upgrading: a failing database test can prevent the upgrade or make it fail", rules: []string{"READY-1"}},
	{id: CheckHealthDiskStatus, modules: []string{"DISK_STATUS"}, managementCenter: true, device: true,
		remedy: "have the disk or RAID controller fault fixed (Cisco TAC) before upgrading", rules: []string{"READY-1"}},
	{id: CheckHealthDiskUsage, modules: []string{"DISK_USAGE"}, yellowFails: true, managementCenter: true, device: true,
		remedy: "free disk space (old upgrade packages, backups, troubleshooting files) until the alert clears: the upgrade checks the space it needs and stops when it is short", rules: []string{"READY-1"}},
	{id: CheckHealthHACluster, modules: []string{"HIGH_AVAILABILITY", "FTD_HA", "CLUSTER"}, managementCenter: true, device: true,
		remedy: "bring the pair or cluster back in sync (no split brain) before upgrading; a 4100/9300 or multi-instance chassis cannot see its instances' health, so check again before each chassis upgrade", rules: []string{"READY-1", "HA-1"}},
	{id: CheckHealthTimeSync, modules: []string{"TIME_SYNC", "NTP_SERVER"}, yellowFails: true, managementCenter: true, device: true,
		rules: []string{"READY-1"}},
}

// alertColour reduces an alert status to green, yellow, red, disabled or
// unknown.
func alertColour(status string) string {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "GREEN", "RECOVERED", "OK", "NORMAL":
		return "green"
	case "YELLOW", "WARNING", "WARN", "MINOR":
		return "yellow"
	case "RED", "ERROR", "CRITICAL", "MAJOR":
		return "red"
	case "DISABLED":
		return "disabled"
	}
	return "unknown"
}

var statusRank = map[string]int{StatusPass: 0, StatusWarn: 1, StatusFail: 2}

func (r *readiness) hasAlert(target string, modules []string) bool {
	for _, m := range modules {
		if _, ok := r.alerts[target][m]; ok {
			return true
		}
	}
	return false
}

func describeAlert(a ReadinessAlert, module string) string {
	s := module + " " + strings.ToUpper(strings.TrimSpace(a.Status))
	if d := strings.TrimSpace(a.Detail); d != "" {
		s += ": " + strings.TrimRight(d, ".")
	}
	return s
}

func (r *readiness) healthRow(h healthCheck, t, key string) {
	if h.id == CheckHealthTimeSync {
		r.timeSyncRow(t, key)
		return
	}
	status := StatusPass
	var seen []string
	remedy := h.remedy
	for _, m := range h.modules {
		a, ok := r.alerts[key][m]
		if !ok {
			continue
		}
		s := StatusPass
		switch alertColour(a.Status) {
		case "red":
			s = StatusFail
		case "yellow":
			s = StatusWarn
			if h.yellowFails {
				s = StatusFail
			}
		case "disabled":
			s = StatusWarn
			remedy = "enable the " + m + " module in the health policy so that the test can be seen; " + h.remedy
		case "unknown":
			s = StatusWarn
		}
		if statusRank[s] > statusRank[status] {
			status = s
		}
		seen = append(seen, describeAlert(a, m))
	}
	observed := "no " + strings.Join(h.modules, "/") + " alert"
	if len(seen) > 0 {
		observed = strings.Join(seen, "; ")
	}
	r.row(h.id, t, status, observed, remedy, h.rules...)
}

// offsetPattern finds a clock offset in an alert's text, e.g. "NTP offset
// is 14.2 seconds" or "offset: -850 ms".
var offsetPattern = regexp.MustCompile(`(?i)offset[^0-9+\-]{0,20}([+\-]?\d+(?:\.\d+)?)\s*(ms|msec|milliseconds?|s|sec|secs|seconds?)?\b`)

// clockOffset returns the absolute offset in seconds an alert mentions.
func clockOffset(text string) (float64, bool) {
	m := offsetPattern.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	if strings.HasPrefix(strings.ToLower(m[2]), "m") {
		v /= 1000
	}
	return math.Abs(v), true
}

// timeSyncRow applies READY-1 to time synchronisation: the health monitor
// alerts only above 10 s, and any smaller offset that can be seen is worth
// fixing too.
func (r *readiness) timeSyncRow(t, key string) {
	const limit = 10.0
	status := StatusPass
	var seen []string
	remedy := "resynchronise the clock with NTP (time synchronization settings of the management center, platform settings of devices) until the offset is near zero: an out-of-sync clock can make the upgrade fail"
	for _, m := range []string{"TIME_SYNC", "NTP_SERVER"} {
		a, ok := r.alerts[key][m]
		if !ok {
			continue
		}
		s := StatusPass
		off, hasOff := clockOffset(a.Detail)
		switch colour := alertColour(a.Status); {
		case colour == "red" || colour == "yellow" || hasOff && off > limit:
			s = StatusFail
		case hasOff && off > 0:
			s = StatusWarn
		case colour == "disabled":
			s = StatusWarn
			remedy = "enable the " + m + " module in the health policy and check the offset; " + remedy
		case colour == "unknown":
			s = StatusWarn
		}
		desc := describeAlert(a, m)
		if hasOff {
			desc += fmt.Sprintf(" (offset %.3g s, alert threshold %g s)", off, limit)
		}
		if statusRank[s] > statusRank[status] {
			status = s
		}
		seen = append(seen, desc)
	}
	observed := "no time synchronization alert (the health monitor alerts only above 10 s; check the offset under see more)"
	if len(seen) > 0 {
		observed = strings.Join(seen, "; ")
	}
	r.row(CheckHealthTimeSync, t, status, observed, remedy, "READY-1")
}

// --- backups ---

func (r *readiness) backupRow(t, key string, virtual bool) {
	remedy := "back up " + t + " to a secure remote location before the upgrade and again after it: the upgrade deletes the backups stored on the system"
	if virtual {
		remedy += "; where backup is not supported (threat defense virtual in a public cloud), snapshot the instance instead"
	}
	last, ok := r.f.LastBackups[key]
	switch {
	case !ok || last.IsZero():
		r.row(CheckBackup, t, StatusWarn, "no backup is visible through the management center", remedy, "READY-4")
	case r.f.Now.IsZero():
		r.row(CheckBackup, t, StatusWarn, "last backup at "+last.UTC().Format(time.RFC3339)+"; its age is unknown", remedy, "READY-4")
	case r.f.Now.Sub(last) > r.maxAge:
		r.row(CheckBackup, t, StatusWarn, fmt.Sprintf("last backup %s ago (%s), older than %s", age(r.f.Now.Sub(last)), last.UTC().Format(time.RFC3339), age(r.maxAge)), remedy, "READY-4")
	default:
		r.row(CheckBackup, t, StatusPass, fmt.Sprintf("last backup %s ago (%s)", age(r.f.Now.Sub(last)), last.UTC().Format(time.RFC3339)), "", "READY-4")
	}
}

// age renders a duration the way a reviewer reads it: "3 days", "5 hours".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0 minutes"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// --- HA pairs and clusters ---

func (r *readiness) groupRows(g *ReadinessGroup) {
	t := groupLabel(g)
	kind := "HA pair"
	if r.clusters[g] {
		kind = "cluster"
	}
	detail := ""
	if g.Detail != "" {
		detail = " (" + g.Detail + ")"
	}
	rules := []string{"HA-1", "READY-1"}
	switch g.State {
	case GroupInSync:
		r.row(CheckHASync, t, StatusPass, kind+" in sync"+detail, "", rules...)
	case GroupSplitBrain:
		r.row(CheckHASync, t, StatusFail, kind+" is split-brain: more than one unit is active"+detail,
			"resolve the split brain (one active unit) and let the "+kind+" synchronise before upgrading; upgrade one chassis at a time with the "+kind+" healthy before each", rules...)
	case GroupOutOfSync:
		r.row(CheckHASync, t, StatusFail, kind+" is not in sync"+detail,
			"bring every unit back in sync (HA: synchronise the configuration; cluster: every unit back in the cluster) before upgrading; check again before each chassis upgrade", rules...)
	default:
		r.row(CheckHASync, t, StatusWarn, "the management center does not report whether the "+kind+" is in sync"+detail,
			"check the "+kind+"'s state under Devices > Device Management before the upgrade and before each chassis upgrade", rules...)
	}
	if r.clusters[g] {
		r.virtualClusterRow(g, t)
	}
}

// virtualClusterRow notes what a threat defense virtual cluster in a public
// cloud needs besides the upgrade itself (READY-7).
func (r *readiness) virtualClusterRow(g *ReadinessGroup, t string) {
	virtual, aws := 0, false
	for _, id := range g.Members {
		d := r.byID[id]
		if d == nil || d.Platform != "threat_defense_virtual" {
			continue
		}
		virtual++
		aws = aws || strings.Contains(strings.ToUpper(d.Model), "AWS")
	}
	if virtual == 0 {
		return
	}
	observed := fmt.Sprintf("threat defense virtual cluster of %d unit%s", virtual, plural(virtual))
	remedy := fmt.Sprintf("copy the %s image to the cloud image repository and update the image id in the cluster deployment template (better, a modified copy of it), so that instances launched by scaling run %s", r.target, r.target)
	if aws {
		observed += " on AWS"
		remedy += "; on AWS, suspend the Auto Scaling group's HealthCheck and ReplaceUnhealthy processes before the upgrade and resume them after, so that rebooting instances are not terminated"
	}
	r.row(CheckVirtualCluster, t, StatusWarn, observed, remedy, "READY-7")
}
