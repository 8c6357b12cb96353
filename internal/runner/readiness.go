package runner

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// ReadReadinessFacts reads what the readiness checks judge, in bulk: the
// inventory (server version, device records, HA pairs, clusters, chassis),
// one health-alert read filtered on the Table 9 modules, one
// deployable-devices read, the running tasks (one task-list read per
// filter of runningTaskQueries), one package list and the applicable
// devices of only those packages a selected device's first hop needs. That
// is about twenty requests for the demo estate and ⌈N/1000⌉ per collection
// beyond.
//
// The request is checked first (planner.CheckReadinessRequest), so a bad
// target or ignore list costs no request; its *planner.RuleError is
// returned as is.
//
// What the client cannot see is left for the planner to report: the FXOS
// version of Firepower 4100/9300 chassis (only their chassis manager knows
// it), the task list of a management center that has none or refuses one
// of its documented filters (TasksComplete stays false), and backups (no
// API lists them).
func ReadReadinessFacts(ctx context.Context, client *fmc.Client, cat *catalog.Catalog, req planner.ReadinessRequest) (planner.ReadinessFacts, error) {
	if err := planner.CheckReadinessRequest(cat, req); err != nil {
		return planner.ReadinessFacts{}, err
	}
	now := time.Now()
	sv, err := client.ServerVersion(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading the management center version: %w", err)
	}
	// The device records are read here rather than through ReadInventory
	// because the readiness checks also need metadata.task, which the
	// inventory drops.
	devices, err := client.ListDevices(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading device records: %w", err)
	}
	pairs, err := client.ListHAPairs(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading HA pairs: %w", err)
	}
	clusters, err := client.ListClusters(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading clusters: %w", err)
	}
	chassis, err := client.ListChassis(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading managed chassis: %w", err)
	}
	alerts, err := client.ListHealthAlerts(ctx, fmc.HealthAlertFilter{ModuleIDs: planner.ReadinessHealthModules()})
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading health alerts: %w", err)
	}
	deployables, err := client.ListDeployableDevices(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading pending deployments: %w", err)
	}
	inv := assemble(cat, sv, devices, pairs, clusters, chassis)
	tasks, tasksComplete, err := readRunningTasks(ctx, client, inv.ManagementCenter.Version)
	if err != nil {
		return planner.ReadinessFacts{}, err
	}
	pkgs, err := client.ListUpgradePackages(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading upgrade packages: %w", err)
	}

	facts := readinessFacts(now, inv, devices, alerts, deployables, tasks, pkgs)
	facts.TasksComplete = tasksComplete

	needed, err := planner.ReadinessPackagesNeeded(cat, facts, req)
	if err != nil {
		return planner.ReadinessFacts{}, err
	}
	byID := map[string]*planner.ReadinessPackage{}
	for i := range facts.Packages {
		byID[facts.Packages[i].ID] = &facts.Packages[i]
	}
	for _, id := range needed {
		ads, err := client.ApplicableDevices(ctx, id)
		if err != nil {
			return planner.ReadinessFacts{}, fmt.Errorf("reading the devices upgrade package %s applies to: %w", byID[id].FileName, err)
		}
		p := byID[id]
		p.ApplicabilityKnown = true
		p.ApplicableDeviceIDs = make([]string, 0, len(ads))
		for _, a := range ads {
			p.ApplicableDeviceIDs = append(p.ApplicableDeviceIDs, a.ID)
		}
	}
	return facts, nil
}

// taskQuery is one read of the management center's task list.
type taskQuery struct {
	filter fmc.TaskFilter
	// since is the first management center version whose API documents
	// the type; older ones are not asked.
	since string
	// undocumented marks a filter the API documentation does not list. A
	// management center that refuses it (4xx) files no task that way, and
	// does not make the list incomplete.
	undocumented bool
}

// runningTaskQueries are the task-list reads behind the running-tasks rows
// (READY-3): one per task type the API documents, with the status word it
// documents for work in progress, then two the documentation does not
// list. Upgrade tasks (package copy, readiness check, upgrade) have no
// documented type: those on devices also show on the device records, but a
// readiness check of the management center itself shows nowhere else. A
// single task's status values are not documented and public clients treat
// RUNNING like DEPLOYING, so deployments are also asked for as Running (the
// simulator files them so). Pending registrations are not asked for: a
// device waiting to be registered holds no work an upgrade would stop.
var runningTaskQueries = []taskQuery{
	{filter: fmc.TaskFilter{Type: "Deployment", Status: "Deploying"}},
	{filter: fmc.TaskFilter{Type: "Registration", Status: "Running"}},
	{filter: fmc.TaskFilter{Type: "Unregistration", Status: "Running"}},
	{filter: fmc.TaskFilter{Type: "PendingChangesRequest", Status: "Running"}, since: "7.4.0"},
	{filter: fmc.TaskFilter{Type: "Upgrade", Status: "Running"}, undocumented: true},
	{filter: fmc.TaskFilter{Type: "Deployment", Status: "Running"}, undocumented: true},
}

// readRunningTasks reads the running tasks of the management center
// (mcVersion) through runningTaskQueries, each task once. complete is false
// when the list cannot be read whole: no task list at all (404, 405 or 501;
// it is documented from 7.3), or a documented filter refused (another 4xx,
// such as 400 or a 403 for a user without the permission). Other failures
// (authentication, connection, 429 or 5xx after the client's retries) are
// errors, as for every other read.
func readRunningTasks(ctx context.Context, client *fmc.Client, mcVersion string) (tasks []fmc.TaskStatus, complete bool, err error) {
	mv, verr := version.Parse(mcVersion)
	seen := map[string]bool{}
	complete = true
	for _, q := range runningTaskQueries {
		if q.since != "" && verr == nil && version.Compare(mv, version.MustParse(q.since)) < 0 {
			continue
		}
		ts, err := client.ListTasks(ctx, q.filter)
		switch code := fmc.StatusCode(err); {
		case err == nil:
		case code == http.StatusNotFound || code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented:
			return tasks, false, nil
		case code >= 400 && code < 500 && code != http.StatusUnauthorized && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
			if !q.undocumented {
				complete = false
			}
			continue
		default:
			return nil, false, fmt.Errorf("reading the task list (filter %s): %w", q.filter, err)
		}
		for _, t := range ts {
			// The status filter is the server's; a task that has ended is
			// dropped whatever it said.
			if t.State() != fmc.TaskRunning || (t.ID != "" && seen[t.ID]) {
				continue
			}
			seen[t.ID] = true
			tasks = append(tasks, t)
		}
	}
	return tasks, complete, nil
}

// readinessFacts maps the management center's records to the planner's
// facts; it is separate from ReadReadinessFacts so that the mapping is
// tested without a server.
func readinessFacts(now time.Time, inv *Inventory, records []fmc.Device, alerts []fmc.HealthAlert, deployables []fmc.DeployableDevice, tasks []fmc.TaskStatus, pkgs []fmc.UpgradePackage) planner.ReadinessFacts {
	f := planner.ReadinessFacts{
		Now:              now,
		ManagementCenter: planner.ReadinessManagementCenter{Name: inv.ManagementCenter.Hostname, Version: inv.ManagementCenter.Version},
		LastBackups:      map[string]time.Time{},
	}
	chassisByID := map[string]Chassis{}
	for _, ch := range inv.Chassis {
		chassisByID[ch.ID] = ch
	}
	// Container ids (HA pairs, clusters) and chassis ids stand for their
	// units in deployments and tasks.
	members := map[string][]string{}
	stateOf := map[string]string{}
	for _, d := range inv.Devices {
		if d.ChassisID != "" {
			members[d.ChassisID] = append(members[d.ChassisID], d.ID)
		}
		rd := planner.ReadinessDevice{
			ID: d.ID, Name: d.Name, Model: d.Model, Platform: d.Platform, Version: d.Version,
			Connected: d.Connected, Health: d.Health, MultiInstance: d.MultiInstance,
		}
		if ch, ok := chassisByID[d.ChassisID]; ok {
			rd.Chassis, rd.ChassisVersion = ch.Name, ch.Version
		}
		f.Devices = append(f.Devices, rd)
		stateOf[d.ID] = d.State
	}

	for _, p := range inv.HAPairs {
		ids := nonEmpty(p.PrimaryID, p.SecondaryID)
		members[p.ID] = ids
		state, detail := haPairState(p, stateOf)
		f.HAPairs = append(f.HAPairs, planner.ReadinessGroup{ID: p.ID, Name: p.Name, Members: ids, State: state, Detail: detail})
	}
	for _, c := range inv.Clusters {
		ids := nonEmpty(append([]string{c.ControlID}, c.DataIDs...)...)
		members[c.ID] = ids
		state, detail := clusterState(ids, stateOf, inv)
		f.Clusters = append(f.Clusters, planner.ReadinessGroup{ID: c.ID, Name: c.Name, Members: ids, State: state, Detail: detail})
	}
	unitsOf := func(id string) []string {
		if m, ok := members[id]; ok {
			return m
		}
		return []string{id}
	}

	for _, a := range alerts {
		f.Alerts = append(f.Alerts, planner.ReadinessAlert{
			Target: a.DeviceUUID, Module: a.ModuleID, Status: a.Status, Detail: string(a.Details),
			Time: time.Unix(int64(a.Timestamp), 0).UTC(),
		})
	}

	// A device record names the task operating on it (copy, readiness
	// check, upgrade) while one is queued or running; one task may cover
	// several devices.
	var known []planner.ReadinessTask
	taskAt := map[string]int{}
	for _, d := range records {
		t := d.Metadata.Task
		if t == nil || t.ID == "" {
			continue
		}
		i, ok := taskAt[t.ID]
		if !ok {
			i = len(known)
			taskAt[t.ID] = i
			known = append(known, planner.ReadinessTask{ID: t.ID, Name: firstNonEmpty(t.Name, "task "+t.ID)})
		}
		known[i].Targets = appendNew(known[i].Targets, d.ID)
	}
	// The task list adds what no device record carries (deployments,
	// registrations, tasks of the management center itself) and the
	// status. A task works on the targets of its sub-tasks still running;
	// one without any is the management center's own.
	for _, t := range tasks {
		i, ok := taskAt[t.ID]
		if !ok || t.ID == "" {
			i = len(known)
			taskAt[t.ID] = i
			known = append(known, planner.ReadinessTask{ID: t.ID, Name: firstNonEmpty(t.Name, t.Description, "task "+t.ID)})
		}
		known[i].Status = t.Status
		for _, st := range t.SubTasks {
			if st.State() == fmc.TaskRunning && st.Target.ID != "" {
				known[i].Targets = appendNew(known[i].Targets, unitsOf(st.Target.ID)...)
			}
		}
	}
	busy := map[string]bool{}
	for _, t := range known {
		for _, id := range t.Targets {
			busy[id] = true
		}
	}

	// A deployment in progress also shows on the deployable devices; it is
	// listed unless its units already have their task.
	for _, dd := range deployables {
		if bool(dd.UpToDate) || dd.Device.ID == "" {
			continue
		}
		units := unitsOf(dd.Device.ID)
		f.PendingDeployments = append(f.PendingDeployments, units...)
		if bool(dd.IsDeploying) && slices.ContainsFunc(units, func(id string) bool { return !busy[id] }) {
			f.RunningTasks = append(f.RunningTasks, planner.ReadinessTask{Name: "Deployment to " + firstNonEmpty(dd.Device.Name, dd.Name), Status: "deploying", Targets: units})
		}
	}
	f.RunningTasks = append(f.RunningTasks, known...)

	for _, p := range pkgs {
		f.Packages = append(f.Packages, planner.ReadinessPackage{ID: p.ID, FileName: p.FileName()})
	}
	return f
}

// haPairState reads an HA pair's sync state from configStatus and the
// units' failover states. The values are not documented: IN_SYNC,
// OUT_OF_SYNC and SPLIT_BRAIN are assumed, and two active units mean split
// brain whatever configStatus says.
func haPairState(p HAPair, stateOf map[string]string) (state, detail string) {
	var parts []string
	if p.ConfigStatus != "" {
		parts = append(parts, "configStatus "+p.ConfigStatus)
	}
	active := 0
	for _, id := range nonEmpty(p.PrimaryID, p.SecondaryID) {
		if strings.EqualFold(stateOf[id], "Active") {
			active++
		}
	}
	if active > 1 {
		parts = append(parts, "both units report Active")
		return planner.GroupSplitBrain, strings.Join(parts, "; ")
	}
	cs := strings.NewReplacer("_", "", " ", "", "-", "").Replace(strings.ToUpper(p.ConfigStatus))
	switch {
	case strings.Contains(cs, "SPLIT"):
		return planner.GroupSplitBrain, strings.Join(parts, "; ")
	case strings.Contains(cs, "OUT") || strings.Contains(cs, "NOT") || strings.Contains(cs, "FAIL"):
		return planner.GroupOutOfSync, strings.Join(parts, "; ")
	case cs == "INSYNC" || cs == "SYNCED" || cs == "SYNCHRONIZED" || cs == "SYNCHRONISED":
		return planner.GroupInSync, strings.Join(parts, "; ")
	}
	return planner.GroupUnknown, strings.Join(parts, "; ")
}

// clusterState reads a cluster's health from its units' states. "In
// Cluster" is assumed to be the healthy value; any other reported value
// (joining, not in cluster, disabled) means a unit is out.
func clusterState(ids []string, stateOf map[string]string, inv *Inventory) (state, detail string) {
	names := map[string]string{}
	for _, d := range inv.Devices {
		names[d.ID] = d.Name
	}
	var out, unknown []string
	for _, id := range ids {
		s := strings.ToUpper(strings.Join(strings.Fields(stateOf[id]), " "))
		switch {
		case s == "":
			unknown = append(unknown, firstNonEmpty(names[id], id))
		case s != "IN CLUSTER" && s != "INCLUSTER" && s != "IN_CLUSTER":
			out = append(out, firstNonEmpty(names[id], id)+" "+stateOf[id])
		}
	}
	switch {
	case len(out) > 0:
		return planner.GroupOutOfSync, "not in the cluster: " + strings.Join(out, ", ")
	case len(unknown) > 0:
		return planner.GroupUnknown, "no cluster state for " + strings.Join(unknown, ", ")
	}
	return planner.GroupInSync, fmt.Sprintf("%d units in the cluster", len(ids))
}

// appendNew appends the ids not in list yet.
func appendNew(list []string, ids ...string) []string {
	for _, id := range ids {
		if !slices.Contains(list, id) {
			list = append(list, id)
		}
	}
	return list
}

func nonEmpty(s ...string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
