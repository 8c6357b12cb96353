package runner

import (
	"fmt"
	"sort"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// UnknownChassisError lists Firepower 4100/9300 chassis whose FXOS version
// the management center does not report; the user has to declare it.
type UnknownChassisError struct {
	Chassis []string // inventory chassis names (serial numbers)
}

func (e *UnknownChassisError) Error() string {
	return fmt.Sprintf("the management center does not report the FXOS version of chassis %v; declare them as chassis = [{ name = \"<serial>\", platform = \"firepower_4100\" or \"firepower_9300\", fxos_version = \"2.12.0.498\" }]", e.Chassis)
}

// EstateFromInventory turns a live inventory into the planner's estate.
// FXOS chassis versions come from fxos (chassis name → version), since only
// the chassis manager reports them. Units the catalog cannot place (an
// unrecognised model) are left out and named in the returned warnings.
func EstateFromInventory(inv *Inventory, fxos map[string]string) (planner.Estate, []string, error) {
	e := planner.Estate{ManagementCenter: planner.ManagementCenter{
		Name:    firstNonEmpty(inv.ManagementCenter.Hostname, "management center"),
		Version: inv.ManagementCenter.Version,
	}}
	var warnings, unknown []string
	chassisName := map[string]string{} // chassis id → name
	for _, ch := range inv.Chassis {
		v := ch.Version
		if ch.Kind == catalog.ChassisFXOS {
			v = fxos[ch.Name]
			if v == "" {
				unknown = append(unknown, ch.Name)
				continue
			}
		}
		if ch.Platform == "" {
			warnings = append(warnings, fmt.Sprintf("chassis %s (%s) is left out: its model is not in the catalog", ch.Name, ch.Model))
			continue
		}
		chassisName[ch.ID] = ch.Name
		e.Chassis = append(e.Chassis, planner.Chassis{Name: ch.Name, Platform: ch.Platform, Version: v})
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return planner.Estate{}, nil, &UnknownChassisError{Chassis: unknown}
	}
	name := map[string]string{} // device id → name
	for _, d := range inv.Devices {
		if d.Platform == "" {
			warnings = append(warnings, fmt.Sprintf("device %s (%s) is left out: its model is not in the catalog", d.Name, d.Model))
			continue
		}
		name[d.ID] = d.Name
		e.Devices = append(e.Devices, planner.Device{
			Name: d.Name, Platform: d.Platform, Version: d.Version,
			Chassis: chassisName[d.ChassisID], MultiInstance: d.MultiInstance,
		})
	}
	for _, p := range inv.HAPairs {
		if name[p.PrimaryID] == "" || name[p.SecondaryID] == "" {
			warnings = append(warnings, fmt.Sprintf("HA pair %s is left out: a member is not in the plan", p.Name))
			continue
		}
		e.HAPairs = append(e.HAPairs, planner.HAPair{Name: p.Name, Primary: name[p.PrimaryID], Secondary: name[p.SecondaryID], Active: name[p.ActiveID]})
	}
	for _, cl := range inv.Clusters {
		data := make([]string, 0, len(cl.DataIDs))
		complete := name[cl.ControlID] != ""
		for _, id := range cl.DataIDs {
			complete = complete && name[id] != ""
			data = append(data, name[id])
		}
		if !complete {
			warnings = append(warnings, fmt.Sprintf("cluster %s is left out: a member is not in the plan", cl.Name))
			continue
		}
		e.Clusters = append(e.Clusters, planner.Cluster{Name: cl.Name, Control: name[cl.ControlID], Data: data})
	}
	return e, warnings, nil
}
