package provider

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

var _ datasource.DataSourceWithConfigure = (*upgradePlanDataSource)(nil)

// NewUpgradePlanDataSource plans a whole estate into ordered, waved steps.
func NewUpgradePlanDataSource() datasource.DataSource {
	return &upgradePlanDataSource{}
}

type upgradePlanDataSource struct {
	catalogDataSource
}

type upgradePlanModel struct {
	TargetVersion                 types.String `tfsdk:"target_version"`
	ManagementCenterTargetVersion types.String `tfsdk:"management_center_target_version"`
	ChassisTargetVersion          types.String `tfsdk:"chassis_target_version"`
	MaxParallel                   types.Int64  `tfsdk:"max_parallel"`
	MultiInstanceHA               types.String `tfsdk:"multi_instance_ha"`
	AcknowledgeParallelHA         types.Bool   `tfsdk:"acknowledge_parallel_ha"`

	ManagementCenter *planMCModel       `tfsdk:"management_center"`
	Chassis          []planChassisModel `tfsdk:"chassis"`
	Devices          []planDeviceModel  `tfsdk:"devices"`
	HAPairs          []planHAPairModel  `tfsdk:"ha_pairs"`
	Clusters         []planClusterModel `tfsdk:"clusters"`

	ID              types.String        `tfsdk:"id"`
	Source          types.String        `tfsdk:"source"`
	Steps           []planStepModel     `tfsdk:"steps"`
	Lines           []string            `tfsdk:"lines"`
	Waves           types.Int64         `tfsdk:"waves"`
	CriticalPath    types.Int64         `tfsdk:"critical_path"`
	Warnings        []string            `tfsdk:"warnings"`
	UnitPaths       map[string][]string `tfsdk:"unit_paths"`
	Packages        []string            `tfsdk:"packages"`
	RunbookMarkdown types.String        `tfsdk:"runbook_markdown"`
	Mermaid         types.String        `tfsdk:"mermaid"`
}

type planMCModel struct {
	Name    types.String `tfsdk:"name"`
	Version types.String `tfsdk:"version"`
	HAPeer  types.String `tfsdk:"ha_peer"`
}

type planChassisModel struct {
	Name        types.String `tfsdk:"name"`
	Platform    types.String `tfsdk:"platform"`
	FXOSVersion types.String `tfsdk:"fxos_version"`
}

type planDeviceModel struct {
	Name     types.String `tfsdk:"name"`
	Platform types.String `tfsdk:"platform"`
	Version  types.String `tfsdk:"version"`
	Chassis  types.String `tfsdk:"chassis"`
}

type planHAPairModel struct {
	Name      types.String `tfsdk:"name"`
	Primary   types.String `tfsdk:"primary"`
	Secondary types.String `tfsdk:"secondary"`
	Active    types.String `tfsdk:"active"`
}

type planClusterModel struct {
	Name    types.String `tfsdk:"name"`
	Control types.String `tfsdk:"control"`
	Data    []string     `tfsdk:"data"`
}

type planStepModel struct {
	Order  types.Int64  `tfsdk:"order"`
	Wave   types.Int64  `tfsdk:"wave"`
	Action types.String `tfsdk:"action"`
	Target types.String `tfsdk:"target"`
	From   types.String `tfsdk:"from"`
	To     types.String `tfsdk:"to"`
	Rules  []string     `tfsdk:"rules"`
	Note   types.String `tfsdk:"note"`
	Units  []string     `tfsdk:"units"`
	After  []int64      `tfsdk:"after"`
}

func (d *upgradePlanDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_upgrade_plan"
}

func requiredString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Required: true, MarkdownDescription: desc}
}

func optionalString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Optional: true, MarkdownDescription: desc}
}

func (d *upgradePlanDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Plans the upgrade of a whole estate — management center, chassis, threat defense devices, HA " +
			"pairs and clusters — into ordered waves of steps, each with the rules behind it, plus a Markdown runbook and a " +
			"Mermaid diagram for review in a pull request.\n\n" +
			"Declare the estate with `management_center` and `devices` (plus `chassis`, `ha_pairs`, `clusters`), which needs " +
			"no management center, or leave `devices` out to read it live from the provider's management center. The order " +
			"follows ORDER-1..5 (management center first; devices first when they are too old for its next version; " +
			"chassis before threat defense, never far ahead of it) and HA-1..6 (one chassis of a pair or cluster at a " +
			"time, standby and all-data-unit chassis first, role switches and control moves between them).",
		Attributes: map[string]schema.Attribute{
			"target_version": requiredString("Threat defense target: a version, `latest` or `suggested`. Also the management " +
				"center's target unless `management_center_target_version` is set."),
			"management_center_target_version": optionalString("Management center target when it differs from `target_version`."),
			"chassis_target_version": optionalString("FXOS target for Firepower 4100/9300 chassis. By default each chassis goes " +
				"only as far as the FXOS companion its devices need (ORDER-5); a later version is applied after the devices."),
			"max_parallel": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Most chassis and threat defense upgrades in one wave; unset or 0 is unlimited.",
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"multi_instance_ha": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Chassis upgrade of Secure Firewall 3100/4200 multi-instance HA pairs (HA-5): " +
					"`two_workflows` (default: standby chassis, switch, verify, new standby chassis), `serial` (standby " +
					"first, automatic failover) or `parallel` (refused unless `acknowledge_parallel_ha`).",
				Validators: []validator.String{stringvalidator.OneOf(planner.MultiInstanceTwoWorkflows, planner.MultiInstanceSerial, planner.MultiInstanceParallel)},
			},
			"acknowledge_parallel_ha": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Accept the total outage of a parallel chassis upgrade of multi-instance HA pairs.",
			},
			"management_center": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "The management center of a declared estate.",
				Attributes: map[string]schema.Attribute{
					"name":    requiredString("Name (the active peer of an HA pair)."),
					"version": requiredString("Version it runs, e.g. `7.4.2`."),
					"ha_peer": optionalString("Name of the standby peer, for a management center HA pair."),
				},
			},
			"chassis": schema.ListNestedAttribute{
				Optional: true,
				MarkdownDescription: "Chassis that host devices: Firepower 4100/9300 with their FXOS version, or Secure " +
					"Firewall 3100/4200 in multi-instance mode with their chassis version. With a live estate, entries give " +
					"the FXOS version of the 4100/9300 chassis the management center reports (by serial number as `name`).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":         requiredString("Chassis name."),
					"platform":     requiredString("`firepower_4100`, `firepower_9300`, `secure_firewall_3100` or `secure_firewall_4200`."),
					"fxos_version": requiredString("FXOS version (4100/9300), e.g. `2.12.0.498`; the chassis version for a multi-instance 3100/4200."),
				}},
			},
			"devices": schema.ListNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Threat defense devices of a declared estate; leave out to read the estate live.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":     requiredString("Device name."),
					"platform": requiredString("Platform family id, as `fmcupgrade_upgrade_path` takes it."),
					"version":  requiredString("Version it runs."),
					"chassis":  optionalString("Name of the chassis hosting it, if any."),
				}},
			},
			"ha_pairs": schema.ListNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Threat defense HA pairs of a declared estate.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":      requiredString("Pair name."),
					"primary":   requiredString("Primary device name."),
					"secondary": requiredString("Secondary device name."),
					"active":    optionalString("Device active now; default the primary."),
				}},
			},
			"clusters": schema.ListNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Threat defense clusters of a declared estate.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    requiredString("Cluster name."),
					"control": requiredString("Control unit device name."),
					"data":    schema.ListAttribute{Required: true, ElementType: types.StringType, MarkdownDescription: "Data unit device names."},
				}},
			},

			"id":     computedString("`declared` or the management center's host name, with the target."),
			"source": computedString("`declared` or `live`: where the estate came from."),
			"steps": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The plan, in order. Steps of one wave may run together; waves run one after another.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"order":  schema.Int64Attribute{Computed: true, MarkdownDescription: "Position, from 1."},
					"wave":   schema.Int64Attribute{Computed: true, MarkdownDescription: "Wave, from 1."},
					"action": computedString("`backup`, `copy_package`, `readiness_check`, `upgrade_management_center`, `upgrade_chassis`, `switch_ha_roles`, `move_cluster_control`, `upgrade_threat_defense`, `deploy_configuration` or `verify`."),
					"target": computedString("Unit, HA pair, cluster or chassis acted on; the package file for `copy_package`."),
					"from":   computedString("Version before, or the unit a role moves from; null when not applicable."),
					"to":     computedString("Version after, or the unit a role moves to; null when not applicable."),
					"rules":  computedStrings("Why, one line per rule, each starting with its id."),
					"note":   computedString("What a reviewer should know; null when nothing."),
					"units":  computedStrings("Devices or chassis touched, in the order they go (standby first, control last)."),
					"after":  schema.ListAttribute{Computed: true, ElementType: types.Int64Type, MarkdownDescription: "Orders of the steps this one waits for."},
				}},
			},
			"lines":            computedStrings("The steps as one readable line each, for the plan output."),
			"waves":            schema.Int64Attribute{Computed: true, MarkdownDescription: "Number of waves."},
			"critical_path":    schema.Int64Attribute{Computed: true, MarkdownDescription: "Waves the dependencies alone force: a lower bound that `max_parallel` can only raise."},
			"warnings":         computedStrings("What a reviewer should check: units that stop short, failovers, unverified catalog data."),
			"unit_paths":       schema.MapAttribute{Computed: true, ElementType: types.ListType{ElemType: types.StringType}, MarkdownDescription: "Each unit's versions: the current one, then every landing point."},
			"packages":         computedStrings("Upgrade package files the plan needs."),
			"runbook_markdown": computedString("A runbook a change board can approve: summary, path per unit, packages, steps by wave with reasons, readiness items, rollback notes."),
			"mermaid":          computedString("A Mermaid flowchart of the waves and dependencies, which renders in a pull request."),
		},
	}
}

func (d *upgradePlanDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m upgradePlanModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cat := d.catalog(&resp.Diagnostics)
	if cat == nil {
		return
	}

	targets := planner.Targets{
		ThreatDefense:         m.TargetVersion.ValueString(),
		ManagementCenter:      m.ManagementCenterTargetVersion.ValueString(),
		Chassis:               m.ChassisTargetVersion.ValueString(),
		MaxParallel:           int(m.MaxParallel.ValueInt64()),
		MultiInstanceHA:       m.MultiInstanceHA.ValueString(),
		AcknowledgeParallelHA: m.AcknowledgeParallelHA.ValueBool(),
	}
	var (
		estate   planner.Estate
		warnings []string
	)
	if m.Devices != nil {
		if m.ManagementCenter == nil {
			resp.Diagnostics.AddAttributeError(path.Root("management_center"), "Missing management center",
				"A declared estate (devices set) needs its management_center = { name, version }: ORDER-1 plans it first.")
			return
		}
		estate = declaredEstate(&m)
		m.Source = types.StringValue("declared")
		m.ID = types.StringValue("declared/" + m.TargetVersion.ValueString())
	} else {
		client := d.fmc(&resp.Diagnostics)
		if client == nil {
			return
		}
		inv, err := runner.ReadInventory(ctx, client, cat)
		if err != nil {
			resp.Diagnostics.AddError("Reading the management center inventory failed", err.Error())
			return
		}
		fxos := map[string]string{}
		for _, c := range m.Chassis {
			fxos[c.Name.ValueString()] = c.FXOSVersion.ValueString()
		}
		e, w, err := runner.EstateFromInventory(inv, fxos)
		var unknown *runner.UnknownChassisError
		switch {
		case errors.As(err, &unknown):
			resp.Diagnostics.AddAttributeError(path.Root("chassis"), "FXOS version unknown", err.Error())
			return
		case err != nil:
			resp.Diagnostics.AddError("Building the estate failed", err.Error())
			return
		}
		estate, warnings = e, w
		m.Source = types.StringValue("live")
		m.ID = types.StringValue(inv.ManagementCenter.Hostname + "/" + m.TargetVersion.ValueString())
	}

	plan, err := planner.PlanEstate(cat, estate, targets)
	if err != nil {
		addEstateError(&resp.Diagnostics, err)
		return
	}

	m.Steps = make([]planStepModel, 0, len(plan.Steps))
	for _, s := range plan.Steps {
		after := make([]int64, len(s.After))
		for i, a := range s.After {
			after[i] = int64(a)
		}
		m.Steps = append(m.Steps, planStepModel{
			Order: types.Int64Value(int64(s.Order)), Wave: types.Int64Value(int64(s.Wave)),
			Action: types.StringValue(s.Action), Target: types.StringValue(s.Target),
			From: nullableString(s.From), To: nullableString(s.To), Rules: nonNilStrings(s.Rules),
			Note: nullableString(s.Note), Units: nonNilStrings(s.Units), After: after,
		})
	}
	m.Lines = nonNilStrings(plan.Lines())
	m.Waves = types.Int64Value(int64(plan.Waves))
	m.CriticalPath = types.Int64Value(int64(plan.CriticalPath))
	m.Warnings = nonNilStrings(append(warnings, plan.Warnings...))
	m.UnitPaths = plan.UnitPaths
	if m.UnitPaths == nil {
		m.UnitPaths = map[string][]string{}
	}
	m.Packages = nonNilStrings(plan.Packages)
	m.RunbookMarkdown = types.StringValue(plan.Markdown())
	m.Mermaid = types.StringValue(plan.Mermaid())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func declaredEstate(m *upgradePlanModel) planner.Estate {
	e := planner.Estate{ManagementCenter: planner.ManagementCenter{
		Name:    m.ManagementCenter.Name.ValueString(),
		Version: m.ManagementCenter.Version.ValueString(),
		HAPeer:  m.ManagementCenter.HAPeer.ValueString(),
	}}
	for _, c := range m.Chassis {
		e.Chassis = append(e.Chassis, planner.Chassis{Name: c.Name.ValueString(), Platform: c.Platform.ValueString(), Version: c.FXOSVersion.ValueString()})
	}
	for _, dv := range m.Devices {
		e.Devices = append(e.Devices, planner.Device{Name: dv.Name.ValueString(), Platform: dv.Platform.ValueString(),
			Version: dv.Version.ValueString(), Chassis: dv.Chassis.ValueString()})
	}
	for _, p := range m.HAPairs {
		e.HAPairs = append(e.HAPairs, planner.HAPair{Name: p.Name.ValueString(), Primary: p.Primary.ValueString(),
			Secondary: p.Secondary.ValueString(), Active: p.Active.ValueString()})
	}
	for _, c := range m.Clusters {
		e.Clusters = append(e.Clusters, planner.Cluster{Name: c.Name.ValueString(), Control: c.Control.ValueString(), Data: c.Data})
	}
	return e
}

// addEstateError puts a planner refusal on the attribute it names:
// "devices[3].chassis" becomes devices[3].chassis in the configuration.
func addEstateError(diags *diag.Diagnostics, err error) {
	var re *planner.RuleError
	if !errors.As(err, &re) {
		diags.AddError("Upgrade planning failed", err.Error())
		return
	}
	if p, ok := estatePath(re.Field); ok {
		diags.AddAttributeError(p, re.Summary(), re.Error())
		return
	}
	diags.AddError(re.Summary(), re.Error())
}

// estatePath parses a planner field such as "ha_pairs[0].secondary" or
// "clusters[1].data[2]" into an attribute path of this data source.
func estatePath(field string) (path.Path, bool) {
	if field == "" {
		return path.Empty(), false
	}
	var p path.Path
	for i, part := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		// The planner speaks of a chassis' version; the attribute is
		// fxos_version.
		if name == "version" && strings.HasPrefix(field, "chassis[") {
			name = "fxos_version"
		}
		if i == 0 {
			p = path.Root(name)
		} else {
			p = p.AtName(name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil || n < 0 {
				return path.Empty(), false
			}
			p = p.AtListIndex(n)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p, true
}
