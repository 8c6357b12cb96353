package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// ReadReadinessFacts reads what the readiness checks judge, in bulk: the
// inventory (server version, device records, HA pairs, clusters, chassis),
// one health-alert read filtered on the Table 9 modules, one
// deployable-devices read, one package list and the applicable devices of
// only those packages a selected device's first hop needs. That is about a
// dozen requests for the demo estate and ⌈N/1000⌉ per collection beyond.
//
// The request is checked first (planner.CheckReadinessRequest), so a bad
// target or ignore list costs no request; its *planner.RuleError is
// returned as is.
//
// What the client cannot see is left for the planner to report: the FXOS
// version of Firepower 4100/9300 chassis (only their chassis manager knows
// it), the management center's own task list (no list call in the client),
// and backups (no API lists them).
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
	pkgs, err := client.ListUpgradePackages(ctx)
	if err != nil {
		return planner.ReadinessFacts{}, fmt.Errorf("reading upgrade packages: %w", err)
	}

	inv := assemble(cat, sv, devices, pairs, clusters, chassis)
	facts := readinessFacts(now, inv, devices, alerts, deployables, pkgs)

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

// readinessFacts maps the management center's records to the planner's
// facts; it is separate from ReadReadinessFacts so that the mapping is
// tested without a server.
func readinessFacts(now time.Time, inv *Inventory, records []fmc.Device, alerts []fmc.HealthAlert, deployables []fmc.DeployableDevice, pkgs []fmc.UpgradePackage) planner.ReadinessFacts {
	f := planner.ReadinessFacts{
		Now:              now,
		ManagementCenter: planner.ReadinessManagementCenter{Name: inv.ManagementCenter.Hostname, Version: inv.ManagementCenter.Version},
		LastBackups:      map[string]time.Time{},
	}
	chassisByID := map[string]Chassis{}
	for _, ch := range inv.Chassis {
		chassisByID[ch.ID] = ch
	}
	stateOf := map[string]string{}
	for _, d := range inv.Devices {
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

	// Container ids (HA pairs, clusters) stand for their members in the
	// deployment list.
	members := map[string][]string{}
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

	for _, dd := range deployables {
		if bool(dd.UpToDate) || dd.Device.ID == "" {
			continue
		}
		units := unitsOf(dd.Device.ID)
		f.PendingDeployments = append(f.PendingDeployments, units...)
		if dd.IsDeploying {
			f.RunningTasks = append(f.RunningTasks, planner.ReadinessTask{Name: "Deployment to " + firstNonEmpty(dd.Device.Name, dd.Name), Status: "deploying", Targets: units})
		}
	}

	// A device record names the task operating on it (copy, readiness
	// check, upgrade) while one is queued or running; one task may cover
	// several devices.
	taskAt := map[string]int{}
	for _, d := range records {
		t := d.Metadata.Task
		if t == nil || t.ID == "" {
			continue
		}
		i, ok := taskAt[t.ID]
		if !ok {
			i = len(f.RunningTasks)
			taskAt[t.ID] = i
			f.RunningTasks = append(f.RunningTasks, planner.ReadinessTask{ID: t.ID, Name: firstNonEmpty(t.Name, "task "+t.ID)})
		}
		f.RunningTasks[i].Targets = append(f.RunningTasks[i].Targets, d.ID)
	}

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

func nonEmpty(s ...string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
