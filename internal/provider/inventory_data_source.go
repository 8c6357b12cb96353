package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

var _ datasource.DataSourceWithConfigure = (*inventoryDataSource)(nil)

// NewInventoryDataSource is the live estate read from the management center.
func NewInventoryDataSource() datasource.DataSource {
	return &inventoryDataSource{}
}

type inventoryDataSource struct {
	catalogDataSource
}

type inventoryModel struct {
	ID               types.String           `tfsdk:"id"`
	ManagementCenter *managementCenterModel `tfsdk:"management_center"`
	Devices          []deviceModel          `tfsdk:"devices"`
	HAPairs          []haPairModel          `tfsdk:"ha_pairs"`
	Clusters         []clusterModel         `tfsdk:"clusters"`
	Chassis          []chassisModel         `tfsdk:"chassis"`
}

type managementCenterModel struct {
	Version  types.String `tfsdk:"version"`
	Build    types.Int64  `tfsdk:"build"`
	Model    types.String `tfsdk:"model"`
	Hostname types.String `tfsdk:"hostname"`
}

type deviceModel struct {
	ID            types.String `tfsdk:"id"`
	Name          types.String `tfsdk:"name"`
	Model         types.String `tfsdk:"model"`
	Platform      types.String `tfsdk:"platform"`
	Version       types.String `tfsdk:"version"`
	Build         types.Int64  `tfsdk:"build"`
	Health        types.String `tfsdk:"health"`
	Connected     types.Bool   `tfsdk:"connected"`
	ContainerType types.String `tfsdk:"container_type"`
	ContainerID   types.String `tfsdk:"container_id"`
	ContainerName types.String `tfsdk:"container_name"`
	Role          types.String `tfsdk:"role"`
	State         types.String `tfsdk:"state"`
	ChassisID     types.String `tfsdk:"chassis_id"`
	MultiInstance types.Bool   `tfsdk:"multi_instance"`
}

type haPairModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	PrimaryID    types.String `tfsdk:"primary_id"`
	SecondaryID  types.String `tfsdk:"secondary_id"`
	ActiveID     types.String `tfsdk:"active_id"`
	StandbyID    types.String `tfsdk:"standby_id"`
	Version      types.String `tfsdk:"version"`
	Health       types.String `tfsdk:"health"`
	ConfigStatus types.String `tfsdk:"config_status"`
}

type clusterModel struct {
	ID        types.String `tfsdk:"id"`
	Name      types.String `tfsdk:"name"`
	ControlID types.String `tfsdk:"control_id"`
	DataIDs   []string     `tfsdk:"data_ids"`
	Version   types.String `tfsdk:"version"`
	Health    types.String `tfsdk:"health"`
}

type chassisModel struct {
	ID         types.String `tfsdk:"id"`
	Name       types.String `tfsdk:"name"`
	Model      types.String `tfsdk:"model"`
	Platform   types.String `tfsdk:"platform"`
	Kind       types.String `tfsdk:"kind"`
	Version    types.String `tfsdk:"version"`
	ManagerURL types.String `tfsdk:"manager_url"`
	DeviceIDs  []string     `tfsdk:"device_ids"`
}

func (d *inventoryDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_inventory"
}

func computedString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
}

func computedStrings(desc string) schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
}

func (d *inventoryDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The live estate as the management center sees it: its own version, every threat " +
			"defense device, HA pairs, clusters and chassis. Read in bulk (one paged read per collection), so a " +
			"10,000-device estate costs a handful of requests. Needs the provider's management center connection.",
		Attributes: map[string]schema.Attribute{
			"id": computedString("The management center's host name."),
			"management_center": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The management center itself.",
				Attributes: map[string]schema.Attribute{
					"version":  computedString("Version, e.g. `7.4.2`."),
					"build":    schema.Int64Attribute{Computed: true, MarkdownDescription: "Build; null when not reported."},
					"model":    computedString("Model, e.g. `Cisco Secure Firewall Management Center 2700`."),
					"hostname": computedString("Host name."),
				},
			},
			"devices": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Every threat defense device, sorted by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":             computedString("Device record UUID."),
					"name":           computedString("Name."),
					"model":          computedString("Model as the management center reports it."),
					"platform":       computedString("Platform family id (as the planning data sources take it); null when the model is not in the catalog."),
					"version":        computedString("Running version, e.g. `7.2.5`."),
					"build":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Build; null when not reported."},
					"health":         computedString("Health status (green, yellow, red, ...)."),
					"connected":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the management center reaches the device; null when not reported."},
					"container_type": computedString("`DeviceHAPair` or `DeviceCluster` when the device is a member of one; null otherwise."),
					"container_id":   computedString("UUID of that HA pair or cluster."),
					"container_name": computedString("Name of that HA pair or cluster."),
					"role":           computedString("Role in the container (`PRIMARY`/`SECONDARY`, `CONTROL`/`DATA`)."),
					"state":          computedString("State in the container (`Active`, `Standby`, ...)."),
					"chassis_id":     computedString("`id` of the hosting chassis in `chassis`; null for appliances and virtual devices."),
					"multi_instance": schema.BoolAttribute{Computed: true, MarkdownDescription: "True for an instance on a Secure Firewall 3100/4200 in multi-instance mode."},
				}},
			},
			"ha_pairs": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Threat defense high-availability pairs.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":            computedString("HA pair UUID."),
					"name":          computedString("Name."),
					"primary_id":    computedString("Device id of the primary unit."),
					"secondary_id":  computedString("Device id of the secondary unit."),
					"active_id":     computedString("Device id of the unit active now; null when unknown."),
					"standby_id":    computedString("Device id of the unit in standby now; null when unknown."),
					"version":       computedString("Version the pair runs."),
					"health":        computedString("Health status."),
					"config_status": computedString("Configuration sync status as reported."),
				}},
			},
			"clusters": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Threat defense clusters.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":         computedString("Cluster UUID."),
					"name":       computedString("Name."),
					"control_id": computedString("Device id of the control unit."),
					"data_ids":   computedStrings("Device ids of the data units."),
					"version":    computedString("Version the cluster runs."),
					"health":     computedString("Health status."),
				}},
			},
			"chassis": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Chassis: Secure Firewall 3100/4200 in multi-instance mode (managed by the management " +
					"center), and Firepower 4100/9300 chassis seen through the units they host.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":          computedString("Managed-chassis UUID, or the chassis serial number for a Firepower 4100/9300."),
					"name":        computedString("Name (the serial number for a Firepower 4100/9300)."),
					"model":       computedString("Model; null for a Firepower 4100/9300."),
					"platform":    computedString("Platform family id."),
					"kind":        computedString("`multi_instance` or `fxos`."),
					"version":     computedString("Chassis version for multi-instance chassis; null for FXOS chassis, whose version only their chassis manager reports."),
					"manager_url": computedString("FXOS chassis manager address, when the management center reports it."),
					"device_ids":  computedStrings("Devices hosted on the chassis."),
				}},
			},
		},
	}
}

func (d *inventoryDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	cat := d.catalog(&resp.Diagnostics)
	if cat == nil {
		return
	}
	client := d.fmc(&resp.Diagnostics)
	if client == nil {
		return
	}
	inv, err := runner.ReadInventory(ctx, client, cat)
	if err != nil {
		resp.Diagnostics.AddError("Reading the management center inventory failed", err.Error())
		return
	}

	m := inventoryModel{
		ID: types.StringValue(inv.ManagementCenter.Hostname),
		ManagementCenter: &managementCenterModel{
			Version:  types.StringValue(inv.ManagementCenter.Version),
			Build:    nullableInt64(inv.ManagementCenter.Build),
			Model:    nullableString(inv.ManagementCenter.Model),
			Hostname: nullableString(inv.ManagementCenter.Hostname),
		},
		Devices:  make([]deviceModel, 0, len(inv.Devices)),
		HAPairs:  make([]haPairModel, 0, len(inv.HAPairs)),
		Clusters: make([]clusterModel, 0, len(inv.Clusters)),
		Chassis:  make([]chassisModel, 0, len(inv.Chassis)),
	}
	for _, dv := range inv.Devices {
		connected := types.BoolNull()
		if dv.Connected != nil {
			connected = types.BoolValue(*dv.Connected)
		}
		m.Devices = append(m.Devices, deviceModel{
			ID: types.StringValue(dv.ID), Name: types.StringValue(dv.Name), Model: nullableString(dv.Model),
			Platform: nullableString(dv.Platform), Version: nullableString(dv.Version), Build: nullableInt64(dv.Build),
			Health: nullableString(dv.Health), Connected: connected,
			ContainerType: nullableString(dv.ContainerType), ContainerID: nullableString(dv.ContainerID),
			ContainerName: nullableString(dv.ContainerName), Role: nullableString(dv.Role), State: nullableString(dv.State),
			ChassisID: nullableString(dv.ChassisID), MultiInstance: types.BoolValue(dv.MultiInstance),
		})
	}
	for _, p := range inv.HAPairs {
		m.HAPairs = append(m.HAPairs, haPairModel{
			ID: types.StringValue(p.ID), Name: types.StringValue(p.Name),
			PrimaryID: nullableString(p.PrimaryID), SecondaryID: nullableString(p.SecondaryID),
			ActiveID: nullableString(p.ActiveID), StandbyID: nullableString(p.StandbyID),
			Version: nullableString(p.Version), Health: nullableString(p.Health), ConfigStatus: nullableString(p.ConfigStatus),
		})
	}
	for _, c := range inv.Clusters {
		m.Clusters = append(m.Clusters, clusterModel{
			ID: types.StringValue(c.ID), Name: types.StringValue(c.Name), ControlID: nullableString(c.ControlID),
			DataIDs: nonNilStrings(c.DataIDs), Version: nullableString(c.Version), Health: nullableString(c.Health),
		})
	}
	for _, c := range inv.Chassis {
		m.Chassis = append(m.Chassis, chassisModel{
			ID: types.StringValue(c.ID), Name: nullableString(c.Name), Model: nullableString(c.Model),
			Platform: nullableString(c.Platform), Kind: types.StringValue(c.Kind), Version: nullableString(c.Version),
			ManagerURL: nullableString(c.ManagerURL), DeviceIDs: nonNilStrings(c.DeviceIDs),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
