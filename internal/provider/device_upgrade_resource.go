package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

var (
	_ resource.ResourceWithConfigure        = (*deviceUpgradeResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*deviceUpgradeResource)(nil)
	_ resource.ResourceWithImportState      = (*deviceUpgradeResource)(nil)
	_ resource.ResourceWithConfigValidators = (*deviceUpgradeResource)(nil)
)

// NewDeviceUpgradeResource is the fmcupgrade_device_upgrade resource: a
// threat defense upgrade job planned by the planner and run by the runner.
func NewDeviceUpgradeResource() resource.Resource {
	return &deviceUpgradeResource{}
}

type deviceUpgradeResource struct {
	data *providerData
}

type deviceUpgradeModel struct {
	ID             types.String   `tfsdk:"id"`
	TargetVersion  types.String   `tfsdk:"target_version"`
	DeviceIDs      types.Set      `tfsdk:"device_ids"`
	HAPairIDs      types.Set      `tfsdk:"ha_pair_ids"`
	ClusterIDs     types.Set      `tfsdk:"cluster_ids"`
	PackageIDs     types.Set      `tfsdk:"package_ids"`
	Phase          types.String   `tfsdk:"phase"`
	ReadinessCheck types.Bool     `tfsdk:"readiness_check"`
	RevertEnabled  types.Bool     `tfsdk:"revert_enabled"`
	AutoCancel     types.Bool     `tfsdk:"auto_cancel"`
	MaxParallel    types.Int64    `tfsdk:"max_parallel"`
	DeployAfter    types.Bool     `tfsdk:"deploy_after"`
	IgnoreChecks   types.List     `tfsdk:"ignore_checks"`
	Chassis        types.List     `tfsdk:"chassis"`
	Hops           types.Map      `tfsdk:"hops"`
	Steps          types.List     `tfsdk:"steps"`
	UnitVersions   types.Map      `tfsdk:"unit_versions"`
	Status         types.String   `tfsdk:"status"`
	Timeouts       timeouts.Value `tfsdk:"timeouts"`
}

type upgradeChassisModel struct {
	Name        types.String `tfsdk:"name"`
	FXOSVersion types.String `tfsdk:"fxos_version"`
}

var upgradeChassisType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"name": types.StringType, "fxos_version": types.StringType,
}}

// progressKey is the private-state key of the runner's Progress, which the
// next apply passes back as Resume.
const progressKey = "progress"

// Default apply timeouts: a multi-hop job over an HA pair runs for hours.
const (
	defaultUpgradeCreateTimeout = 12 * time.Hour
	defaultUpgradeUpdateTimeout = 12 * time.Hour
)

var hopsType = types.MapType{ElemType: types.ListType{ElemType: types.StringType}}

func (r *deviceUpgradeResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_device_upgrade"
}

func (r *deviceUpgradeResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	checkIDs := planner.ReadinessCheckIDs()
	quoted := make([]string, len(checkIDs))
	for i, id := range checkIDs {
		quoted[i] = "`" + id + "`"
	}
	idSet := func(desc string) schema.SetAttribute {
		return schema.SetAttribute{
			Optional: true, ElementType: types.StringType, MarkdownDescription: desc,
			Validators: []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A threat defense upgrade job: devices, HA pairs and clusters of the provider's management " +
			"center to `target_version`.\n\n" +
			"`terraform plan` reads the live estate, plans it with the same planner as `fmcupgrade_upgrade_plan` and shows " +
			"the `hops` of every unit and the ordered `steps`; readiness failures (`fmcupgrade_readiness`) stop the plan " +
			"unless listed in `ignore_checks` (or, for devices only, waived with `readiness_check = false`). `terraform apply` " +
			"runs exactly those steps: packages copied, readiness checks, upgrades in waves (standby before active, data " +
			"units before control), deployments, backups, apart from the steps skipped on request with " +
			"`readiness_check = false` or `deploy_after = false`. It " +
			"stops at the first failure, saves how far it got (`status = \"partial\"`) and the next apply resumes without " +
			"requesting an upgrade twice. (When the very first apply fails, Terraform marks the job tainted and replaces it " +
			"on the next apply; the new job observes where every unit stands and likewise sends no duplicate request.)\n\n" +
			"Refresh reads the units' versions again: when one runs below the version the job took it to (reimaged, " +
			"reverted), `status` turns `partial` and the next plan shows an in-place update that upgrades it again. " +
			"Destroying the resource only forgets the job: devices stay on the version they run.\n\n" +
			"Firepower 4100/9300 chassis are not upgraded by this job: when a unit needs a newer FXOS first (ORDER-4), " +
			"the plan fails and points at `fmcupgrade_chassis_upgrade`, unless `phase = \"stage\"`, which only copies " +
			"packages and may run before the chassis are upgraded. The management center is not upgraded either " +
			"(its REST API cannot): when it must move first (ORDER-1), apply stops and says what to do in its web interface.\n\n" +
			"Several jobs in one apply run one after another: chain them with `depends_on`, since a job does not start " +
			"its upgrades while another job's tasks run on the management center (READY-3). A job applied together with " +
			"the chassis job of its units takes `chassis` from that job's `chassis_versions`, so that its steps are " +
			"computed from the estate the chassis job leaves (with HA roles switched).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`<target_version>:<unit>,<unit>...`: the target and the selected units as configured " +
					"(device ids first, then HA pairs, then clusters, each sorted); the import id has the same form.",
			},
			"target_version": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Threat defense version to upgrade to, e.g. `7.4.2` or `7.6.1`. A job pins its target, " +
					"so `latest` and `suggested` are not accepted here (look them up with `fmcupgrade_releases`).",
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.NoneOf(planner.TargetLatest, planner.TargetSuggested),
				},
			},
			"device_ids": idSet("Devices to upgrade, by id or name as the management center shows them. A member of an " +
				"HA pair or cluster brings in the whole pair or cluster."),
			"ha_pair_ids": idSet("HA pairs to upgrade, by id or name."),
			"cluster_ids": idSet("Clusters to upgrade, by id or name."),
			"package_ids": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Upgrade packages the job may use, by id or file name as the management center lists " +
					"them. Apply copies, checks and upgrades with exactly these: a hop uses the listed package of its platform " +
					"family and version (any spelling, PKG-1), and the plan's readiness `package` check looks at these only. A " +
					"hop with no listed package, such as the first hop of a multi-hop path when only the final packages are " +
					"listed, uses the package the management center lists under the file name the plan needs. The plan fails " +
					"on this attribute when a listed package is not on the management center, is for no hop of the job (another " +
					"version, build or platform) or is listed twice for one family and version. Default: every hop's package " +
					"by file name (every accepted spelling, PKG-1).",
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"phase": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(runner.PhaseUpgrade),
				MarkdownDescription: "How far apply goes: `stage` copies the packages to the units (PKG-3: ahead of the " +
					"window), `check` also runs the readiness checks, `upgrade` (default) does the whole job. Changing " +
					"it from `stage` to `upgrade` later continues where staging left off. With `stage`, `steps` lists only " +
					"the package copies. Staging is accepted while a Firepower 4100/9300 chassis still needs its FXOS " +
					"companion (or a multi-instance chassis its upgrade), because copying a threat defense package does " +
					"not depend on the chassis version: stage by day before the chassis window. `check` and `upgrade` are " +
					"refused until the chassis is upgraded (ORDER-4), since readiness checks and upgrades do depend on it.",
				Validators: []validator.String{stringvalidator.OneOf(runner.PhaseStage, runner.PhaseCheck, runner.PhaseUpgrade)},
			},
			"readiness_check": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Run the management center's readiness check on each unit before its upgrade (READY-5; " +
					"default `true`). `false` skips the devices' readiness checks, as READY-5 allows only on explicit request: " +
					"their `readiness_check` steps are shown but skipped at apply, and failing readiness findings on devices " +
					"no longer stop the plan (they are shown as warnings). The management center may still check a unit's " +
					"readiness as part of its upgrade. The management center's own readiness check and its findings are " +
					"mandatory and never skipped. The plan warns when this is `false`.",
			},
			"revert_enabled": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Keep what a unit needs to be reverted to its previous version (default `true`).",
			},
			"auto_cancel": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Roll a unit back automatically when its upgrade fails (default `true`).",
			},
			"max_parallel": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Most threat defense upgrades in one wave; unset or 0 is unlimited.",
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"deploy_after": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Deploy the configuration to each unit after its upgrade (READY-2; default `true`). " +
					"`false` skips the `deploy_configuration` steps after each unit's last upgrade: the configuration must " +
					"then be deployed by hand (apply warns for each unit). Deployments before an upgrade, including the one " +
					"between two hops of a multi-hop path, always run, because READY-2 requires pending changes deployed " +
					"before a device upgrade. The plan warns when this is `false`.",
			},
			"ignore_checks": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Readiness checks that do not stop the plan: a check id (every unit) or " +
					"`<check>:<unit>`. Ignored failures are shown as warnings. Check ids: " + strings.Join(quoted, ", ") +
					". The management center's own checks cannot be ignored (READY-5).",
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"chassis": schema.ListNestedAttribute{
				Optional: true,
				MarkdownDescription: "FXOS versions of the Firepower 4100/9300 chassis that host the selected units, which " +
					"the management center does not report: `name` is the chassis name the management center shows (its " +
					"serial number), as in `fmcupgrade_upgrade_plan`.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":         schema.StringAttribute{Required: true, MarkdownDescription: "Chassis name (serial number)."},
					"fxos_version": schema.StringAttribute{Required: true, MarkdownDescription: "FXOS version it runs, e.g. `2.14.1.131`."},
				}},
			},
			"hops": schema.MapAttribute{
				Computed: true, ElementType: types.ListType{ElemType: types.StringType},
				MarkdownDescription: "Each unit the plan covers (devices, the chassis hosting them, the management center), by name: the version " +
					"it runs at plan time, then every landing point. Known at plan time.",
			},
			"steps": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "The ordered steps, one readable line each with its wave and rules, as " +
					"`fmcupgrade_upgrade_plan` renders them. Known at plan time and executed exactly as shown.",
			},
			"unit_versions": schema.MapAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Device id → the version it runs, as last seen (after apply, and on every refresh).",
			},
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`complete` when the phase asked for is done (for `upgrade`: every unit at its target), " +
					"`partial` when apply stopped or a refresh found a unit below its target; the next plan then shows an " +
					"update that finishes the job.",
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true}),
		},
	}
}

func (r *deviceUpgradeResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataOf(req.ProviderData, &resp.Diagnostics)
}

func (r *deviceUpgradeResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.AtLeastOneOf(fwpath.MatchRoot("device_ids"), fwpath.MatchRoot("ha_pair_ids"), fwpath.MatchRoot("cluster_ids")),
	}
}

// client returns the management center client, or reports why there is none.
func (r *deviceUpgradeResource) client(diags *diag.Diagnostics) *fmc.Client {
	return fmcClientOf(r.data, "fmcupgrade_device_upgrade upgrades devices through the management center and needs its connection.", diags)
}

// jobPlan is what plan and apply both compute from the live estate; apply
// refuses to run when it differs from what plan showed.
type jobPlan struct {
	inv       *runner.Inventory
	plan      *planner.EstatePlan
	deviceIDs []string // selected devices, pair and cluster members included
	warnings  []string
	hops      map[string][]string
	steps     []string

	// packageIDs are package_ids, which planJob found usable.
	packageIDs []string
}

// selection is the configured units.
type selection struct {
	devices, pairs, clusters []string
}

func (m *deviceUpgradeModel) selection(ctx context.Context, diags *diag.Diagnostics) selection {
	return selection{
		devices:  setStrings(ctx, m.DeviceIDs, diags),
		pairs:    setStrings(ctx, m.HAPairIDs, diags),
		clusters: setStrings(ctx, m.ClusterIDs, diags),
	}
}

func (m *deviceUpgradeModel) inputsUnknown() bool {
	return anyUnknown(m.TargetVersion, m.DeviceIDs, m.HAPairIDs, m.ClusterIDs, m.PackageIDs, m.Phase, m.MaxParallel,
		m.IgnoreChecks, m.Chassis, m.ReadinessCheck, m.DeployAfter)
}

func setStrings(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	sort.Strings(out)
	return out
}

func (s selection) id(target string) string {
	all := slices.Concat(s.devices, s.pairs, s.clusters)
	return target + ":" + strings.Join(all, ",")
}

func (m *deviceUpgradeModel) chassisVersions(ctx context.Context, diags *diag.Diagnostics) map[string]string {
	out := map[string]string{}
	if m.Chassis.IsNull() || m.Chassis.IsUnknown() {
		return out
	}
	var cs []upgradeChassisModel
	diags.Append(m.Chassis.ElementsAs(ctx, &cs, false)...)
	for _, c := range cs {
		out[c.Name.ValueString()] = c.FXOSVersion.ValueString()
	}
	return out
}

// restrict keeps of inv the selected units, the pairs and clusters they
// belong to (whole), and the chassis hosting them. It reports references
// that name nothing on the attribute that holds them.
func restrict(inv *runner.Inventory, sel selection, diags *diag.Diagnostics) (*runner.Inventory, []string) {
	keep := map[string]bool{}
	matchAll := func(attr string, refs []string, match func(ref string) []string) {
		for _, ref := range refs {
			ids := match(ref)
			if len(ids) == 0 {
				diags.AddAttributeError(fwpath.Root(attr), "Unknown unit",
					fmt.Sprintf("The management center has no %s with id or name %q.", strings.TrimSuffix(strings.ReplaceAll(attr, "_", " "), " ids"), ref))
			}
			for _, id := range ids {
				keep[id] = true
			}
		}
	}
	matchAll("device_ids", sel.devices, func(ref string) []string {
		for _, d := range inv.Devices {
			if d.ID == ref || d.Name == ref {
				return []string{d.ID}
			}
		}
		return nil
	})
	matchAll("ha_pair_ids", sel.pairs, func(ref string) []string {
		for _, p := range inv.HAPairs {
			if p.ID == ref || p.Name == ref {
				return []string{p.PrimaryID, p.SecondaryID}
			}
		}
		return nil
	})
	matchAll("cluster_ids", sel.clusters, func(ref string) []string {
		for _, c := range inv.Clusters {
			if c.ID == ref || c.Name == ref {
				return append([]string{c.ControlID}, c.DataIDs...)
			}
		}
		return nil
	})
	// A member brings in its whole pair or cluster: upgrading half of one
	// would break HA-3/HA-4.
	out := &runner.Inventory{ManagementCenter: inv.ManagementCenter}
	for _, p := range inv.HAPairs {
		if keep[p.PrimaryID] || keep[p.SecondaryID] {
			keep[p.PrimaryID], keep[p.SecondaryID] = true, true
			out.HAPairs = append(out.HAPairs, p)
		}
	}
	for _, c := range inv.Clusters {
		in := keep[c.ControlID]
		for _, id := range c.DataIDs {
			in = in || keep[id]
		}
		if in {
			keep[c.ControlID] = true
			for _, id := range c.DataIDs {
				keep[id] = true
			}
			out.Clusters = append(out.Clusters, c)
		}
	}
	var ids []string
	chassis := map[string]bool{}
	for _, d := range inv.Devices {
		if keep[d.ID] {
			out.Devices = append(out.Devices, d)
			ids = append(ids, d.ID)
			if d.ChassisID != "" {
				chassis[d.ChassisID] = true
			}
		}
	}
	for _, c := range inv.Chassis {
		if chassis[c.ID] {
			out.Chassis = append(out.Chassis, c)
		}
	}
	sort.Strings(ids)
	return out, ids
}

// planJob reads the live estate and plans the selected units. It returns
// nil after reporting why it could not.
func (r *deviceUpgradeResource) planJob(ctx context.Context, client *fmc.Client, m *deviceUpgradeModel, diags *diag.Diagnostics) *jobPlan {
	cat := r.data.Catalog
	sel := m.selection(ctx, diags)
	fxosVersions := m.chassisVersions(ctx, diags)
	if diags.HasError() {
		return nil
	}
	inv, err := runner.ReadInventory(ctx, client, cat)
	if err != nil {
		diags.AddError("Reading the management center inventory failed", err.Error())
		return nil
	}
	sub, ids := restrict(inv, sel, diags)
	if diags.HasError() {
		return nil
	}
	estate, warnings, err := runner.EstateFromInventory(sub, fxosVersions)
	var unknown *runner.UnknownChassisError
	switch {
	case errors.As(err, &unknown):
		diags.AddAttributeError(fwpath.Root("chassis"), "FXOS version unknown", err.Error())
		return nil
	case err != nil:
		diags.AddError("Building the estate failed", err.Error())
		return nil
	}
	targets := planner.Targets{ThreatDefense: m.TargetVersion.ValueString(), MaxParallel: int(m.MaxParallel.ValueInt64())}
	p, err := planner.PlanEstate(cat, estate, targets)
	if err != nil {
		var re *planner.RuleError
		if errors.As(err, &re) && (re.Field == planner.FieldTargetVersion || re.Field == planner.FieldMaxParallel) {
			diags.AddAttributeError(fwpath.Root(re.Field), re.Summary(), re.Error())
		} else {
			addPlannerError(diags, err)
		}
		return nil
	}
	var chassisSteps []string
	for _, s := range p.Steps {
		if s.Action == planner.ActionUpgradeChassis {
			chassisSteps = append(chassisSteps, s.Line())
		}
	}
	// ORDER-4 blocks a unit's readiness check and upgrade until its chassis
	// is upgraded, not the copy of its package: staging may go ahead.
	stage := m.Phase.ValueString() == runner.PhaseStage
	switch {
	case len(chassisSteps) > 0 && !stage:
		diags.AddError("Chassis upgrade needed first",
			"ORDER-4: threat defense cannot be upgraded before its chassis runs the FXOS companion (or chassis version) "+
				"the target needs, and this job does not upgrade chassis. Upgrade them with an fmcupgrade_chassis_upgrade "+
				"resource first (and make this resource depend on it), then plan again. Meanwhile phase = \"stage\" can "+
				"copy the packages to the devices (PKG-3):\n  "+strings.Join(chassisSteps, "\n  "))
		return nil
	case len(chassisSteps) > 0:
		warnings = append(warnings, "ORDER-4: this job only stages packages while chassis still need an upgrade first; "+
			"upgrade them with an fmcupgrade_chassis_upgrade resource before phase \"check\" or \"upgrade\", which are "+
			"refused until then:\n  "+strings.Join(chassisSteps, "\n  "))
	}
	if stage {
		// The job shows and runs only what staging does (PKG-3).
		p = planner.StagePlan(estate, p)
	}
	// A listed package apply could not use is refused now, not passed
	// over at apply (PKG-1).
	pkgs := setStrings(ctx, m.PackageIDs, diags)
	if _, err := runner.ChoosePackages(ctx, client, cat, p, pkgs); err != nil {
		var re *planner.RuleError
		if errors.As(err, &re) {
			diags.AddAttributeError(fwpath.Root("package_ids"), re.Summary(), re.Error())
		} else {
			diags.AddError("Reading upgrade packages from the management center failed", err.Error())
		}
		return nil
	}
	return &jobPlan{inv: inv, plan: p, deviceIDs: ids, packageIDs: pkgs, warnings: slices.Concat(warnings, p.Warnings), hops: p.UnitPaths, steps: p.Lines()}
}

// checkReadiness judges the planned upgrade and reports failures as errors
// and ignored or warning checks as warnings.
func (r *deviceUpgradeResource) checkReadiness(ctx context.Context, client *fmc.Client, m *deviceUpgradeModel, job *jobPlan, diags *diag.Diagnostics) {
	cat := r.data.Catalog
	// Units already where the job takes them are not judged: what a
	// stopped run left behind on them (a deployment still to do) is not a
	// reason to hold back the rest.
	var moving []string
	for _, d := range job.inv.Devices {
		if slices.Contains(job.deviceIDs, d.ID) && len(job.hops[d.Name]) > 1 {
			moving = append(moving, d.ID)
		}
	}
	if len(moving) == 0 {
		return
	}
	rr := planner.ReadinessRequest{
		TargetVersion: m.TargetVersion.ValueString(),
		DeviceIDs:     moving,
		PackageIDs:    setStrings(ctx, m.PackageIDs, diags),
		Ignore:        stringValues(ctx, m.IgnoreChecks, diags),
	}
	if diags.HasError() {
		return
	}
	if err := planner.CheckReadinessRequest(cat, rr); err != nil {
		addReadinessError(diags, err)
		return
	}
	facts, err := runner.ReadReadinessFacts(ctx, client, cat, rr)
	if err != nil {
		var re *planner.RuleError
		if errors.As(err, &re) {
			addReadinessError(diags, err)
		} else {
			diags.AddError("Reading readiness facts from the management center failed", err.Error())
		}
		return
	}
	// Work an interrupted apply left running on the job's units is waited
	// for by apply, so it must not refuse the rerun that finishes the job.
	inflight, err := runner.SetAsideInFlight(ctx, client, &facts, job.deviceIDs)
	if err != nil {
		diags.AddError("Reading readiness facts from the management center failed", err.Error())
		return
	}
	for _, t := range inflight {
		diags.AddWarning("Upgrade work already in progress: "+t.Name+" (task "+t.ID+")",
			"A task is running on units of this job, probably left by an earlier apply that was interrupted. Apply waits "+
				"for it to end, looks at the units again and carries on from there; it does not request the work twice.")
	}
	// Only the configuration knows the FXOS version of 4100/9300 chassis.
	fx := m.chassisVersions(ctx, diags)
	for i, d := range facts.Devices {
		if v, ok := fx[d.Chassis]; ok && d.ChassisVersion == "" {
			facts.Devices[i].ChassisVersion = v
		}
	}
	res, err := planner.Readiness(cat, facts, rr)
	if err != nil {
		addReadinessError(diags, err)
		return
	}
	// readiness_check = false waives the devices' findings, never the
	// management center's (READY-5).
	mcName := strings.TrimSpace(facts.ManagementCenter.Name)
	if mcName == "" {
		mcName = "management center"
	}
	waive := skipDeviceReadiness(m)
	var warns, skipped, waived []string
	for _, c := range res.Checks {
		switch c.Status {
		case planner.StatusFail:
			if waive && !strings.EqualFold(c.Target, mcName) {
				waived = append(waived, c.Line())
				continue
			}
			diags.AddError("Not ready to upgrade: "+c.ID+" on "+c.Target,
				c.Line()+"\n\nFix it and plan again, or list it in ignore_checks as \""+c.ID+":"+c.Target+"\" to go ahead anyway.")
		case planner.StatusSkip:
			skipped = append(skipped, c.Line())
		case planner.StatusWarn:
			warns = append(warns, c.Line())
		}
	}
	if len(waived) > 0 {
		diags.AddWarning("Device readiness failures not enforced",
			"readiness_check = false: these findings on devices do not stop the job, and the devices' readiness checks "+
				"are skipped at apply (the management center may still refuse an upgrade its own checks fail):\n  "+
				strings.Join(waived, "\n  "))
	}
	if len(skipped) > 0 {
		diags.AddWarning("Readiness checks ignored", "These checks are listed in ignore_checks and do not stop the job:\n  "+strings.Join(skipped, "\n  "))
	}
	if len(warns) > 0 {
		diags.AddWarning("Readiness warnings", strings.Join(warns, "\n"))
	}
}

// addReadinessError maps a readiness refusal onto this resource's
// attributes: the request's ignore list is ignore_checks here.
func addReadinessError(diags *diag.Diagnostics, err error) {
	var re *planner.RuleError
	if errors.As(err, &re) {
		switch re.Field {
		case planner.FieldIgnore:
			diags.AddAttributeError(fwpath.Root("ignore_checks"), re.Summary(), re.Error())
			return
		case planner.FieldTargetVersion, planner.FieldPackageIDs:
			diags.AddAttributeError(fwpath.Root(re.Field), re.Summary(), re.Error())
			return
		}
	}
	addPlannerError(diags, err)
}

// skipWarnings warns at plan time about the steps apply skips on request:
// the devices' readiness checks (READY-5 allows it only so) and the
// deployments after the upgrades (READY-2).
func skipWarnings(m *deviceUpgradeModel, diags *diag.Diagnostics) {
	phase := m.Phase.ValueString()
	if m.Phase.IsUnknown() || m.Phase.IsNull() {
		phase = runner.PhaseUpgrade
	}
	if skipDeviceReadiness(m) && phase != runner.PhaseStage {
		diags.AddAttributeWarning(fwpath.Root("readiness_check"), "Device readiness checks are skipped",
			"readiness_check = false: apply skips the readiness check of every device before its upgrade (READY-5 allows "+
				"this only on explicit request), and failing readiness findings on devices do not stop the plan. The "+
				"management center's own readiness check is mandatory and still runs, and its findings still stop the plan.")
	}
	if skipDeployAfter(m) && phase == runner.PhaseUpgrade {
		diags.AddAttributeWarning(fwpath.Root("deploy_after"), "Deployment after the upgrade is skipped",
			"deploy_after = false: apply does not deploy the configuration to the units after their upgrade, which READY-2 "+
				"asks for; deploy it by hand once the job is done (Deploy > Deployment on the management center). "+
				"Pending changes are still deployed before every device upgrade, as READY-2 requires.")
	}
}

// skipDeviceReadiness and skipDeployAfter are set only by an explicit
// false: unknown and null mean the default, true.
func skipDeviceReadiness(m *deviceUpgradeModel) bool {
	return !m.ReadinessCheck.IsUnknown() && !m.ReadinessCheck.IsNull() && !m.ReadinessCheck.ValueBool()
}

func skipDeployAfter(m *deviceUpgradeModel) bool {
	return !m.DeployAfter.IsUnknown() && !m.DeployAfter.IsNull() && !m.DeployAfter.ValueBool()
}

func (r *deviceUpgradeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		resp.Diagnostics.AddWarning("Devices keep their versions",
			"Destroying fmcupgrade_device_upgrade only removes the job from the state: an upgrade cannot be undone by "+
				"deleting it, and the devices stay on the version they run.")
		return
	}
	var plan deviceUpgradeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := priorModel[deviceUpgradeModel](ctx, req.State, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.inputsUnknown() {
		plan.ID = types.StringValue(plan.selection(ctx, &resp.Diagnostics).id(plan.TargetVersion.ValueString()))
	}
	// Nothing changed and the last apply or refresh found the job done:
	// keep what the state says, so a finished job plans no change.
	if state != nil && req.Plan.Raw.Equal(req.State.Raw) && state.Status.ValueString() == runner.StatusComplete {
		return
	}
	skipWarnings(&plan, &resp.Diagnostics)
	plan.UnitVersions = types.MapUnknown(types.StringType)
	plan.Status = types.StringUnknown()
	plan.Hops = types.MapUnknown(hopsType.ElemType)
	plan.Steps = types.ListUnknown(types.StringType)
	if plan.inputsUnknown() || r.data == nil || r.data.FMC == nil {
		// Apply reports a missing connection; plan shows what it can.
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	client := r.data.FMC
	job := r.planJob(ctx, client, &plan, &resp.Diagnostics)
	if job == nil {
		return
	}
	if plan.Phase.ValueString() == runner.PhaseUpgrade {
		r.checkReadiness(ctx, client, &plan, job, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if len(job.warnings) > 0 {
		resp.Diagnostics.AddWarning("Upgrade plan warnings", strings.Join(job.warnings, "\n"))
	}
	resp.Diagnostics.Append(setJobValues(ctx, &plan, job)...)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func setJobValues(ctx context.Context, m *deviceUpgradeModel, job *jobPlan) diag.Diagnostics {
	var diags diag.Diagnostics
	hops := job.hops
	if hops == nil {
		hops = map[string][]string{}
	}
	var d diag.Diagnostics
	m.Hops, d = types.MapValueFrom(ctx, hopsType.ElemType, hops)
	diags.Append(d...)
	m.Steps, d = types.ListValueFrom(ctx, types.StringType, nonNilStrings(job.steps))
	diags.Append(d...)
	return diags
}

func (r *deviceUpgradeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	createJob(ctx, req, resp, defaultUpgradeCreateTimeout, r.apply)
}

func (r *deviceUpgradeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	updateJob(ctx, req, resp, defaultUpgradeUpdateTimeout, progressKey, r.apply)
}

func (m *deviceUpgradeModel) timeoutsBlock() timeouts.Value { return m.Timeouts }

func (r *deviceUpgradeResource) apply(ctx context.Context, timeout time.Duration, plan *deviceUpgradeModel, resume *runner.Progress,
	state stateSetter, private privateSetter, diags *diag.Diagnostics) {
	client := r.client(diags)
	if client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	planned := *plan
	job := r.planJob(ctx, client, plan, diags)
	if job == nil {
		return
	}
	fresh := *plan
	diags.Append(setJobValues(ctx, &fresh, job)...)
	if diags.HasError() {
		return
	}
	if (!planned.Hops.IsUnknown() && !planned.Hops.Equal(fresh.Hops)) || (!planned.Steps.IsUnknown() && !planned.Steps.Equal(fresh.Steps)) {
		diags.AddError("The estate changed since plan; run plan again",
			"The steps computed now from the live estate differ from the steps the plan showed (a unit changed version, "+
				"role or membership in between). Nothing was done. Run terraform plan again and review the new steps.\n\n"+
				"Now:\n  "+strings.Join(job.steps, "\n  "))
		return
	}
	plan.Hops, plan.Steps = fresh.Hops, fresh.Steps
	if plan.ID.IsUnknown() || plan.ID.IsNull() {
		plan.ID = types.StringValue(plan.selection(ctx, diags).id(plan.TargetVersion.ValueString()))
	}

	tflog.Info(ctx, "starting the device upgrade job", map[string]any{"id": plan.ID.ValueString(), "phase": plan.Phase.ValueString(),
		"steps": len(job.plan.Steps), "resume": resume != nil})
	opts := runner.ExecOptions{
		Phase:               plan.Phase.ValueString(),
		EnableRevert:        plan.RevertEnabled.ValueBool(),
		AutoCancel:          plan.AutoCancel.ValueBool(),
		SkipDeviceReadiness: skipDeviceReadiness(plan),
		SkipDeployAfter:     skipDeployAfter(plan),
		PackageIDs:          job.packageIDs,
		PollInterval:        r.data.PollInterval,
		Resume:              resume,
		OnStep: func(s runner.StepResult) {
			tflog.Info(ctx, "step ended", map[string]any{"order": s.Order, "wave": s.Wave, "action": s.Action,
				"target": s.Target, "state": s.State, "detail": s.Detail})
		},
	}
	env := runner.Env{FMC: client, Catalog: r.data.Catalog, Inventory: job.inv,
		Logger: func(ctx context.Context, msg string, fields map[string]any) { tflog.Debug(ctx, msg, fields) }}
	prog, err := runner.Execute(ctx, env, job.plan, opts)

	plan.Status = types.StringValue(runner.StatusPartial)
	versions := map[string]string{}
	if prog != nil {
		if err == nil && (prog.Status == runner.StatusComplete || opts.Phase != runner.PhaseUpgrade) {
			plan.Status = types.StringValue(runner.StatusComplete)
		}
		for _, id := range job.deviceIDs {
			if v, ok := prog.DeviceVersions[id]; ok {
				versions[id] = v
			}
		}
		for _, w := range prog.Warnings {
			diags.AddWarning("Upgrade job warning", w)
		}
		saveProgress(ctx, private, progressKey, prog, diags)
	}
	// Units the runner did not report keep the version seen at plan.
	for _, d := range job.inv.Devices {
		if _, ok := versions[d.ID]; !ok && slices.Contains(job.deviceIDs, d.ID) {
			versions[d.ID] = d.Version
		}
	}
	var d diag.Diagnostics
	plan.UnitVersions, d = types.MapValueFrom(ctx, types.StringType, versions)
	diags.Append(d...)
	if err != nil {
		// Only the timeouts block's deadline is a time-out; an interrupt
		// (Ctrl-C) cancels the context instead.
		addExecError(diags, err, errors.Is(ctx.Err(), context.DeadlineExceeded), timeout)
	}
	diags.Append(state.Set(ctx, plan)...)
}

func addExecError(diags *diag.Diagnostics, err error, timedOut bool, timeout time.Duration) {
	saved := "\n\nThe progress made is saved (status = \"partial\"): the next terraform apply continues from there and " +
		"does not request an upgrade already running or done."
	var manual *runner.ManualStepError
	var step *runner.StepError
	switch {
	case errors.As(err, &manual):
		diags.AddError("Upgrade the management center first", err.Error()+saved)
	case errors.As(err, &step):
		title := "Upgrade step failed: " + step.Step.Action + " " + step.Step.Target
		if step.Unit != "" {
			title += " on " + step.Unit
		}
		diags.AddError(title, err.Error()+saved)
	case timedOut:
		diags.AddError("Upgrade job timed out",
			fmt.Sprintf("The job did not finish within %s (timeouts block): %s%s", timeout, err, saved))
	default:
		diags.AddError("Upgrade job failed", err.Error()+saved)
	}
}

func (r *deviceUpgradeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m deviceUpgradeModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || r.data == nil || r.data.FMC == nil {
		return
	}
	inv, err := runner.ReadInventory(ctx, r.data.FMC, r.data.Catalog)
	if err != nil {
		resp.Diagnostics.AddError("Reading the management center inventory failed", err.Error())
		return
	}
	var diags diag.Diagnostics
	_, ids := restrict(inv, m.selection(ctx, &resp.Diagnostics), &diags)
	if diags.HasError() {
		// A unit deleted from the management center: the job can no
		// longer be judged, and planning it again reports what is missing.
		tflog.Warn(ctx, "a unit of the upgrade job is gone from the management center", nil)
		m.Status = types.StringValue(runner.StatusPartial)
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	var hops map[string][]string
	if !m.Hops.IsNull() && !m.Hops.IsUnknown() {
		resp.Diagnostics.Append(m.Hops.ElementsAs(ctx, &hops, false)...)
	}
	var prior map[string]string
	if !m.UnitVersions.IsNull() && !m.UnitVersions.IsUnknown() {
		resp.Diagnostics.Append(m.UnitVersions.ElementsAs(ctx, &prior, false)...)
	}
	versions := map[string]string{}
	names := map[string]string{}
	for _, d := range inv.Devices {
		if slices.Contains(ids, d.ID) {
			versions[d.ID] = d.Version
			names[d.ID] = d.Name
		}
	}
	below := driftedUnits(m.TargetVersion.ValueString(), versions, names, hops)
	// A unit that joined a selected pair or cluster is not in the job yet.
	for id := range versions {
		if _, ok := prior[id]; !ok && prior != nil {
			below = append(below, names[id])
		}
	}
	if m.Phase.ValueString() == runner.PhaseUpgrade && len(below) > 0 {
		sort.Strings(below)
		tflog.Info(ctx, "units below the job's target: the next plan upgrades them", map[string]any{"units": below})
		m.Status = types.StringValue(runner.StatusPartial)
	} else if m.Status.IsNull() {
		m.Status = types.StringValue(runner.StatusComplete)
	}
	var d diag.Diagnostics
	m.UnitVersions, d = types.MapValueFrom(ctx, types.StringType, versions)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// driftedUnits names the devices running below where the job takes them:
// the last landing point of their planned path, or the target for a unit
// the plan did not cover. A unit the planner could not take to the target
// (a platform that stops short) is judged by its own last hop, so it does
// not plan an update forever.
func driftedUnits(target string, versions, names map[string]string, hops map[string][]string) []string {
	var out []string
	for id, v := range versions {
		want := target
		if path := hops[names[id]]; len(path) > 0 {
			want = path[len(path)-1]
		}
		if c, err := planner.CompareVersions(v, want); err == nil && c < 0 {
			out = append(out, names[id])
		}
	}
	return out
}

func (r *deviceUpgradeResource) Delete(_ context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	resp.Diagnostics.AddWarning("Devices keep their versions",
		"fmcupgrade_device_upgrade was removed from the state only: an upgrade cannot be undone by deleting it, and the "+
			"devices stay on the version they run. To go back, revert units on the management center (Devices > Device "+
			"Management > Revert Upgrade) where revert_enabled kept what that needs.")
}

// ImportState takes "<target_version>:<unit>,<unit>...", units by id or
// name, and sorts each into device_ids, ha_pair_ids or cluster_ids by what
// the management center says it is.
func (r *deviceUpgradeResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	target, list, ok := strings.Cut(req.ID, ":")
	var refs []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			refs = append(refs, s)
		}
	}
	if !ok || strings.TrimSpace(target) == "" || len(refs) == 0 {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not <target_version>:<unit>,<unit>..., e.g. 7.4.2:br-fw-01,dc1-edge (devices, HA pairs and "+
				"clusters by id or name).", req.ID))
		return
	}
	client := r.client(&resp.Diagnostics)
	if client == nil {
		return
	}
	inv, err := runner.ReadInventory(ctx, client, r.data.Catalog)
	if err != nil {
		resp.Diagnostics.AddError("Reading the management center inventory failed", err.Error())
		return
	}
	sel, err := classifyUnits(inv, refs)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	target = strings.TrimSpace(target)
	m := deviceUpgradeModel{
		ID:             types.StringValue(sel.id(target)),
		TargetVersion:  types.StringValue(target),
		DeviceIDs:      stringSet(sel.devices),
		HAPairIDs:      stringSet(sel.pairs),
		ClusterIDs:     stringSet(sel.clusters),
		PackageIDs:     types.SetNull(types.StringType),
		Phase:          types.StringValue(runner.PhaseUpgrade),
		ReadinessCheck: types.BoolValue(true),
		RevertEnabled:  types.BoolValue(true),
		AutoCancel:     types.BoolValue(true),
		MaxParallel:    types.Int64Null(),
		DeployAfter:    types.BoolValue(true),
		IgnoreChecks:   types.ListNull(types.StringType),
		Chassis:        types.ListNull(upgradeChassisType),
		Hops:           types.MapNull(hopsType.ElemType),
		Steps:          types.ListNull(types.StringType),
		UnitVersions:   types.MapNull(types.StringType),
		Status:         types.StringNull(),
		Timeouts:       timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType, "update": types.StringType})},
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// classifyUnits sorts import references into devices, HA pairs and
// clusters, keeping each as written.
func classifyUnits(inv *runner.Inventory, refs []string) (selection, error) {
	var sel selection
	var unknown []string
	for _, ref := range refs {
		switch {
		case slices.ContainsFunc(inv.Devices, func(d runner.Device) bool { return d.ID == ref || d.Name == ref }):
			sel.devices = append(sel.devices, ref)
		case slices.ContainsFunc(inv.HAPairs, func(p runner.HAPair) bool { return p.ID == ref || p.Name == ref }):
			sel.pairs = append(sel.pairs, ref)
		case slices.ContainsFunc(inv.Clusters, func(c runner.Cluster) bool { return c.ID == ref || c.Name == ref }):
			sel.clusters = append(sel.clusters, ref)
		default:
			unknown = append(unknown, ref)
		}
	}
	if len(unknown) > 0 {
		return sel, fmt.Errorf("the management center has no device, HA pair or cluster with id or name %s", strings.Join(unknown, ", "))
	}
	sort.Strings(sel.devices)
	sort.Strings(sel.pairs)
	sort.Strings(sel.clusters)
	return sel, nil
}

func stringSet(s []string) types.Set {
	if len(s) == 0 {
		return types.SetNull(types.StringType)
	}
	elems := make([]attr.Value, len(s))
	for i, v := range s {
		elems[i] = types.StringValue(v)
	}
	return types.SetValueMust(types.StringType, elems)
}
