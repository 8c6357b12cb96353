// Package runner connects the planner to live management centers and
// chassis managers: it reads the estate in bulk and, later, executes planned
// steps. It knows the clients and the domain model, and nothing of
// Terraform.
package runner

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Inventory is the live estate as one management center sees it.
type Inventory struct {
	ManagementCenter ManagementCenter
	Devices          []Device
	HAPairs          []HAPair
	Clusters         []Cluster
	Chassis          []Chassis
}

// ManagementCenter describes the management center itself.
type ManagementCenter struct {
	Version  string // "7.4.2"
	Build    int    // 0 when not reported
	Model    string
	Hostname string
}

// Device is one threat defense unit.
type Device struct {
	ID       string
	Name     string
	Model    string
	Platform string // catalog family id; empty when the model is not recognised
	Version  string
	Build    int
	Health   string
	// Connected is nil when the management center does not say.
	Connected     *bool
	ContainerType string // DeviceHAPair, DeviceCluster or empty
	ContainerID   string
	ContainerName string
	Role          string // PRIMARY/SECONDARY for HA, CONTROL/DATA for clusters
	State         string // Active, Standby, in-cluster state...
	ChassisID     string // the Chassis.ID hosting the unit, if any
	MultiInstance bool
}

// HAPair is a threat defense high-availability pair.
type HAPair struct {
	ID           string
	Name         string
	PrimaryID    string
	SecondaryID  string
	ActiveID     string
	StandbyID    string
	Version      string
	Health       string
	ConfigStatus string
}

// Cluster is a threat defense cluster.
type Cluster struct {
	ID        string
	Name      string
	ControlID string
	DataIDs   []string
	Version   string
	Health    string
}

// Chassis is a Firepower 4100/9300 chassis (seen through its units) or a
// Secure Firewall 3100/4200 in multi-instance mode (managed by the
// management center).
type Chassis struct {
	ID         string
	Name       string
	Model      string
	Platform   string
	Kind       string // catalog.ChassisFXOS or catalog.ChassisMultiInstance
	Version    string // empty for FXOS chassis: only their chassis manager knows it
	ManagerURL string // FXOS chassis manager, when the management center reports it
	DeviceIDs  []string
}

// ReadInventory reads the whole estate with one paged read per collection
// (devices, HA pairs, clusters, chassis) plus the server version, so the
// request count grows with ⌈N/1000⌉, not with N.
func ReadInventory(ctx context.Context, c *fmc.Client, cat *catalog.Catalog) (*Inventory, error) {
	sv, err := c.ServerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the management center version: %w", err)
	}
	devices, err := c.ListDevices(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading device records: %w", err)
	}
	pairs, err := c.ListHAPairs(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading HA pairs: %w", err)
	}
	clusters, err := c.ListClusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading clusters: %w", err)
	}
	chassis, err := c.ListChassis(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading managed chassis: %w", err)
	}
	return assemble(cat, sv, devices, pairs, clusters, chassis), nil
}

// assemble turns the management center's records into the inventory; it is
// separate from ReadInventory so that the mapping is tested without a
// server.
func assemble(cat *catalog.Catalog, sv *fmc.ServerVersion, devices []fmc.Device, pairs []fmc.HAPair, clusters []fmc.Cluster, chassis []fmc.Chassis) *Inventory {
	inv := &Inventory{}
	num, build := sv.Version()
	mv, b := splitVersion(num, build)
	inv.ManagementCenter = ManagementCenter{Version: mv, Build: b, Model: sv.Model, Hostname: sv.Hostname}

	// Multi-instance chassis are records of their own; units find theirs
	// through the host name in chassisUrl.
	byHost := map[string]int{}
	for _, ch := range chassis {
		name := firstNonEmpty(ch.ChassisName, ch.Name)
		v, _ := splitVersion(ch.SWVersion, "")
		inv.Chassis = append(inv.Chassis, Chassis{
			ID: ch.ID, Name: name, Model: ch.Model, Platform: familyOf(cat, ch.Model, ch.ModelNumber),
			Kind: catalog.ChassisMultiInstance, Version: v,
		})
		if ch.ChassisHostName != "" {
			byHost[strings.ToLower(ch.ChassisHostName)] = len(inv.Chassis) - 1
		}
	}
	// FXOS chassis are known only through the units they host.
	bySerial := map[string]int{}

	for _, d := range devices {
		v, b := splitVersion(d.SWVersion, "")
		dev := Device{
			ID: d.ID, Name: d.Name, Model: d.Model, Platform: familyOf(cat, d.Model, d.ModelNumber),
			Version: v, Build: b, Health: d.HealthStatus, MultiInstance: bool(d.Metadata.IsMultiInstance),
		}
		if d.IsConnected != nil {
			connected := bool(*d.IsConnected)
			dev.Connected = &connected
		}
		if cd := d.Metadata.ContainerDetails; cd != nil {
			dev.ContainerType, dev.ContainerID, dev.ContainerName = cd.Type, cd.ID, cd.Name
			dev.Role, dev.State = cd.Role, cd.Status
		}
		if chd := firstChassisData(d.Metadata); chd != nil {
			if i, ok := byHost[hostOf(chd.ChassisURL)]; ok && dev.MultiInstance {
				dev.ChassisID = inv.Chassis[i].ID
				inv.Chassis[i].DeviceIDs = append(inv.Chassis[i].DeviceIDs, d.ID)
			} else if chd.ChassisSerialNo != "" && !dev.MultiInstance {
				i, ok := bySerial[chd.ChassisSerialNo]
				if !ok {
					inv.Chassis = append(inv.Chassis, Chassis{
						ID: chd.ChassisSerialNo, Name: chd.ChassisSerialNo, Platform: dev.Platform,
						Kind: catalog.ChassisFXOS, ManagerURL: chd.ChassisURL,
					})
					i = len(inv.Chassis) - 1
					bySerial[chd.ChassisSerialNo] = i
				}
				dev.ChassisID = inv.Chassis[i].ID
				inv.Chassis[i].DeviceIDs = append(inv.Chassis[i].DeviceIDs, d.ID)
			}
		}
		inv.Devices = append(inv.Devices, dev)
	}

	for _, p := range pairs {
		v, _ := splitVersion(p.SWVersion, "")
		inv.HAPairs = append(inv.HAPairs, HAPair{
			ID: p.ID, Name: p.Name, PrimaryID: p.Primary.ID, SecondaryID: p.Secondary.ID,
			ActiveID: p.ActiveID(), StandbyID: p.StandbyID(), Version: v, Health: p.HealthStatus,
			ConfigStatus: string(p.Metadata.ConfigStatus),
		})
	}
	for _, cl := range clusters {
		v, _ := splitVersion(cl.SWVersion, "")
		inv.Clusters = append(inv.Clusters, Cluster{
			ID: cl.ID, Name: cl.Name, ControlID: cl.ControlID(), DataIDs: cl.DataIDs(), Version: v, Health: cl.HealthStatus,
		})
	}
	sort.Slice(inv.Devices, func(i, j int) bool { return inv.Devices[i].Name < inv.Devices[j].Name })
	return inv
}

func firstChassisData(m fmc.DeviceMetadata) *fmc.ChassisData {
	if m.ChassisData != nil {
		return m.ChassisData
	}
	return m.ChassisDetails
}

// familyOf names the platform family of a model, or "" when the catalog
// does not recognise it (the inventory still lists the unit).
func familyOf(cat *catalog.Catalog, model, number string) string {
	for _, m := range []string{model, number} {
		if m == "" {
			continue
		}
		if f, ok := cat.FamilyForModel(m); ok {
			return f.ID
		}
	}
	return ""
}

// splitVersion normalises a reported version ("7.4.2 (build 172)",
// "7.2.5-208", "7.4.1") to its number and build; text it cannot parse is
// passed through so that nothing the management center says is lost.
func splitVersion(s, build string) (string, int) {
	raw := strings.TrimSpace(s)
	if build != "" {
		raw += "-" + strings.TrimSpace(build)
	}
	v, err := version.Parse(raw)
	if err != nil {
		return strings.TrimSpace(s), 0
	}
	return v.String(), v.Build
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	return strings.ToLower(u.Hostname())
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
