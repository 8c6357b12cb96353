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
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fxos"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

var (
	_ resource.Resource                     = (*chassisUpgradeResource)(nil)
	_ resource.ResourceWithConfigure        = (*chassisUpgradeResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*chassisUpgradeResource)(nil)
	_ resource.ResourceWithValidateConfig   = (*chassisUpgradeResource)(nil)
	_ resource.ResourceWithConfigValidators = (*chassisUpgradeResource)(nil)
	_ resource.ResourceWithImportState      = (*chassisUpgradeResource)(nil)
)

// Chassis manager credentials fall back to these, so that a pipeline can keep
// them out of the configuration.
const (
	envFXOSUsername      = "FXOS_USERNAME"
	envFXOSPassword      = "FXOS_PASSWORD"
	envFXOSCACertificate = "FXOS_CA_CERTIFICATE"
)

// A chassis upgrade reboots each chassis (twice with a firmware update) one
// after another, so the default leaves room for several.
const defaultChassisJobTimeout = 6 * time.Hour

// privateProgressKey holds the runner's Progress between applies: the
// chassis manager cannot say whether an FXOS bundle was already downloaded
// by an earlier run, the Progress can.
const privateProgressKey = "chassis_progress"

const errEstateChanged = "the estate changed since plan; run plan again"

func NewChassisUpgradeResource() resource.Resource { return &chassisUpgradeResource{} }

type chassisUpgradeResource struct {
	data *providerData
}

type chassisUpgradeModel struct {
	ID                    types.String   `tfsdk:"id"`
	TargetVersion         types.String   `tfsdk:"target_version"`
	ThreatDefenseVersion  types.String   `tfsdk:"threat_defense_version"`
	Chassis               types.List     `tfsdk:"chassis"`
	FXOSUsername          types.String   `tfsdk:"fxos_username"`
	FXOSPassword          types.String   `tfsdk:"fxos_password"`
	FXOSCACertificate     types.String   `tfsdk:"fxos_ca_certificate"`
	ImageServer           types.Object   `tfsdk:"image_server"`
	HAStrategy            types.String   `tfsdk:"ha_strategy"`
	AcknowledgeParallelHA types.Bool     `tfsdk:"acknowledge_parallel_ha"`
	Steps                 types.List     `tfsdk:"steps"`
	ChassisVersions       types.Map      `tfsdk:"chassis_versions"`
	Status                types.String   `tfsdk:"status"`
	Timeouts              timeouts.Value `tfsdk:"timeouts"`
}

type chassisEntryModel struct {
	Name         types.String `tfsdk:"name"`
	ManagerURL   types.String `tfsdk:"manager_url"`
	FMCChassisID types.String `tfsdk:"fmc_chassis_id"`
}

type imageServerModel struct {
	Protocol types.String `tfsdk:"protocol"`
	Host     types.String `tfsdk:"host"`
	Port     types.Int64  `tfsdk:"port"`
	Path     types.String `tfsdk:"path"`
	User     types.String `tfsdk:"user"`
	Password types.String `tfsdk:"password"`
}

func (r *chassisUpgradeResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_chassis_upgrade"
}

func (r *chassisUpgradeResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A chassis upgrade job: the FXOS of Firepower 4100/9300 chassis (through their chassis managers) " +
			"or the chassis software of Secure Firewall 3100/4200 in multi-instance mode (through the management center), " +
			"one chassis at a time, with HA role switches, cluster control moves and health gates in between (HA-1..HA-6).\n\n" +
			"`terraform plan` reads the live estate and shows every step in `steps`; apply runs exactly those steps and " +
			"fails with \"" + errEstateChanged + "\" if the estate no longer gives the same steps. A failed apply records " +
			"how far it got (`status = \"partial\"`) and the next apply continues from there.\n\n" +
			"Threat defense itself is upgraded by `fmcupgrade_device_upgrade`, which refuses to start while a Firepower " +
			"4100/9300 chassis lacks the FXOS companion of its target (ORDER-4): run this job first. Destroying this " +
			"resource only forgets it: chassis stay on the version they run.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The chassis names, comma-separated: also the import id.",
			},
			"target_version": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "FXOS version for Firepower 4100/9300 chassis, e.g. `2.14.1.131`. Set this or " +
					"`threat_defense_version`; when derived, it is the FXOS the chassis land on.",
			},
			"threat_defense_version": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Threat defense version the chassis are prepared for: 4100/9300 chassis go to its FXOS " +
					"companion (from the catalog, ORDER-4), multi-instance 3100/4200 chassis to this version. " +
					"Required for multi-instance chassis.",
			},
			"chassis": schema.ListNestedAttribute{
				Required: true,
				MarkdownDescription: "The chassis to upgrade, by the name the management center gives them (the serial " +
					"number of a 4100/9300 chassis). Each has either `manager_url` or `fmc_chassis_id`.",
				Validators: []validator.List{listvalidator.SizeAtLeast(1)},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							Required:            true,
							MarkdownDescription: "Chassis name as the management center lists it.",
						},
						"manager_url": schema.StringAttribute{
							Optional: true,
							MarkdownDescription: "Chassis manager address of a Firepower 4100/9300 chassis, `https://host[:port]`. " +
								"It overrides the address the management center reports.",
						},
						"fmc_chassis_id": schema.StringAttribute{
							Optional:            true,
							MarkdownDescription: "Management center id of a Secure Firewall 3100/4200 chassis in multi-instance mode.",
						},
					},
				},
			},
			"fxos_username": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Chassis manager user for 4100/9300 chassis. Falls back to `" + envFXOSUsername + "`. " +
					"Multi-instance chassis go through the management center and need none.",
			},
			"fxos_password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Chassis manager password. Falls back to `" + envFXOSPassword + "`. Never logged.",
			},
			"fxos_ca_certificate": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "PEM certificates of the CA that signs the chassis managers' certificates; when set, only " +
					"these are trusted. Falls back to `" + envFXOSCACertificate + "`. TLS is always verified.",
			},
			"image_server": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Where chassis managers download a missing FXOS platform bundle from (Chassis Manager " +
					"System > Updates > Upload Image from a remote server). Without it, the bundle must already be on the chassis.",
				Attributes: map[string]schema.Attribute{
					"protocol": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "`scp`, `sftp`, `ftp`, `tftp`, `http` or `https`.",
						Validators:          []validator.String{stringvalidator.OneOf("scp", "sftp", "ftp", "tftp", "http", "https")},
					},
					"host": schema.StringAttribute{Required: true, MarkdownDescription: "Server name or address."},
					"port": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Port; the protocol's default when not set.",
						Validators:          []validator.Int64{int64validator.Between(1, 65535)},
					},
					"path": schema.StringAttribute{Required: true, MarkdownDescription: "Directory holding the `fxos-k9.*.SPA` bundles."},
					"user": schema.StringAttribute{Optional: true, MarkdownDescription: "Server user."},
					"password": schema.StringAttribute{
						Optional: true, Sensitive: true,
						MarkdownDescription: "Server password: sent to the chassis only, never logged.",
					},
				},
			},
			"ha_strategy": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(planner.MultiInstanceTwoWorkflows),
				MarkdownDescription: "Multi-instance HA pairs (HA-5): `two_workflows` (default: standby's chassis, role switch, " +
					"health check, new standby's chassis), `serial` (standby first, no resync wait) or `parallel` (both chassis " +
					"at once; refused for HA pairs unless `acknowledge_parallel_ha = true`).",
				Validators: []validator.String{stringvalidator.OneOf(planner.MultiInstanceTwoWorkflows, planner.MultiInstanceSerial, planner.MultiInstanceParallel)},
			},
			"acknowledge_parallel_ha": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Accept that `parallel` takes both units of a multi-instance HA pair down together (HA-5).",
			},
			"steps": schema.ListAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The ordered steps of the job, one line each with the rules behind it, known at plan " +
					"time: chassis upgrades, role switches, control moves and the health gates between them.",
			},
			"chassis_versions": schema.MapAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Chassis name to the version it runs, read after apply and on refresh (drift shows here).",
			},
			"status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`complete` when every step is done, `partial` when an apply stopped; the next apply resumes.",
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true}),
		},
	}
}

func (r *chassisUpgradeResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataOf(req.ProviderData, &resp.Diagnostics)
}

func (r *chassisUpgradeResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("target_version"), path.MatchRoot("threat_defense_version")),
	}
}

func (r *chassisUpgradeResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m chassisUpgradeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Chassis.IsUnknown() || m.Chassis.IsNull() {
		return
	}
	var entries []chassisEntryModel
	resp.Diagnostics.Append(m.Chassis.ElementsAs(ctx, &entries, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	seen := map[string]int{}
	for i, c := range entries {
		at := path.Root("chassis").AtListIndex(i)
		if anyUnknown(c.ManagerURL, c.FMCChassisID) {
			continue
		}
		hasURL, hasID := !c.ManagerURL.IsNull(), !c.FMCChassisID.IsNull()
		switch {
		case hasURL && hasID:
			resp.Diagnostics.AddAttributeError(at, "Chassis has both manager_url and fmc_chassis_id",
				"Give manager_url for a Firepower 4100/9300 chassis (upgraded through its chassis manager) or fmc_chassis_id "+
					"for a Secure Firewall 3100/4200 in multi-instance mode (upgraded through the management center), not both.")
		case !hasURL && !hasID:
			resp.Diagnostics.AddAttributeError(at, "Chassis has neither manager_url nor fmc_chassis_id",
				"Give manager_url for a Firepower 4100/9300 chassis or fmc_chassis_id for a Secure Firewall 3100/4200 "+
					"in multi-instance mode.")
		case hasURL && !strings.HasPrefix(strings.ToLower(c.ManagerURL.ValueString()), "https://") &&
			!strings.HasPrefix(strings.ToLower(c.ManagerURL.ValueString()), "http://"):
			resp.Diagnostics.AddAttributeError(at.AtName("manager_url"), "Invalid chassis manager URL",
				fmt.Sprintf("%q is not an address such as https://fxos-a.example.com.", c.ManagerURL.ValueString()))
		}
		if c.Name.IsUnknown() {
			continue
		}
		if j, dup := seen[c.Name.ValueString()]; dup {
			resp.Diagnostics.AddAttributeError(at.AtName("name"), "Chassis listed twice",
				fmt.Sprintf("Chassis %s is already chassis[%d].", c.Name.ValueString(), j))
		}
		seen[c.Name.ValueString()] = i
	}
}

// chassisJob is what one plan of the resource amounts to.
type chassisJob struct {
	plan     *planner.EstatePlan
	inv      *runner.Inventory
	env      runner.Env
	names    []string
	landing  map[string]string // chassis name → version it ends on
	current  map[string]string // chassis name → version it runs
	target   string
	warnings []string
}

func (j *chassisJob) lines() []string { return nonNilStrings(j.plan.Lines()) }

func (j *chassisJob) upgrades() int {
	n := 0
	for _, s := range j.plan.Steps {
		if s.Action == planner.ActionUpgradeChassis {
			n++
		}
	}
	return n
}

func (r *chassisUpgradeResource) client(diags *diag.Diagnostics) *fmc.Client {
	return fmcClientOf(r.data, "fmcupgrade_chassis_upgrade reads the estate from the management center and needs its connection.", diags)
}

func (r *chassisUpgradeResource) catalog() *catalog.Catalog {
	if r.data == nil {
		return nil
	}
	return r.data.Catalog
}

// fxosClients builds chassis manager clients from the resource's own
// credentials, which the provider does not know.
func fxosClients(m *chassisUpgradeModel) func(string) (*fxos.Client, error) {
	user, pass := stringOrEnv(m.FXOSUsername, envFXOSUsername), stringOrEnv(m.FXOSPassword, envFXOSPassword)
	ca := stringOrEnv(m.FXOSCACertificate, envFXOSCACertificate)
	cache := map[string]*fxos.Client{}
	return func(url string) (*fxos.Client, error) {
		if c, ok := cache[url]; ok {
			return c, nil
		}
		if user == "" || pass == "" {
			return nil, fmt.Errorf("no chassis manager credentials for %s: set fxos_username and fxos_password (or %s and %s)",
				url, envFXOSUsername, envFXOSPassword)
		}
		c, err := fxos.New(fxos.Config{URL: url, Username: user, Password: pass, CACertificatePEM: ca,
			UserAgent: "terraform-provider-fmcupgrade",
			Logger: func(ctx context.Context, msg string, fields map[string]any) {
				tflog.Debug(ctx, msg, fields)
			}})
		if err != nil {
			return nil, err
		}
		cache[url] = c
		return c, nil
	}
}

// buildJob reads the live estate and plans the listed chassis. Every
// diagnostic it reports points at the argument to change.
func (r *chassisUpgradeResource) buildJob(ctx context.Context, m *chassisUpgradeModel, diags *diag.Diagnostics) *chassisJob {
	client := r.client(diags)
	cat := r.catalog()
	if client == nil || cat == nil {
		return nil
	}
	var entries []chassisEntryModel
	diags.Append(m.Chassis.ElementsAs(ctx, &entries, false)...)
	if diags.HasError() {
		return nil
	}
	inv, err := runner.ReadInventory(ctx, client, cat)
	if err != nil {
		diags.AddError("Reading the management center inventory failed", err.Error())
		return nil
	}
	byName := map[string]*runner.Chassis{}
	for i := range inv.Chassis {
		byName[inv.Chassis[i].Name] = &inv.Chassis[i]
	}
	tdMode := !m.ThreatDefenseVersion.IsNull()
	managers := map[string]string{}
	listed := map[string]bool{}
	var names []string
	fxosListed := false
	for i, e := range entries {
		at := path.Root("chassis").AtListIndex(i)
		name := e.Name.ValueString()
		ch, ok := byName[name]
		if !ok {
			known := make([]string, 0, len(inv.Chassis))
			for _, c := range inv.Chassis {
				known = append(known, c.Name)
			}
			sort.Strings(known)
			diags.AddAttributeError(at.AtName("name"), "Unknown chassis",
				fmt.Sprintf("The management center lists no chassis %q. Its chassis are: %s.", name, strings.Join(known, ", ")))
			continue
		}
		switch ch.Kind {
		case catalog.ChassisFXOS:
			if e.ManagerURL.IsNull() {
				diags.AddAttributeError(at, "Chassis needs manager_url",
					fmt.Sprintf("Chassis %s is a Firepower 4100/9300 (%s): it is upgraded through its chassis manager, so give manager_url, not fmc_chassis_id.", name, ch.Platform))
				continue
			}
			managers[name] = e.ManagerURL.ValueString()
			fxosListed = true
		default:
			if e.FMCChassisID.IsNull() {
				diags.AddAttributeError(at, "Chassis needs fmc_chassis_id",
					fmt.Sprintf("Chassis %s is a %s in multi-instance mode: the management center upgrades it, so give fmc_chassis_id = %q, not manager_url.", name, ch.Platform, ch.ID))
				continue
			}
			if e.FMCChassisID.ValueString() != ch.ID {
				diags.AddAttributeError(at.AtName("fmc_chassis_id"), "Chassis id does not match its name",
					fmt.Sprintf("The management center gives chassis %s the id %s, not %s.", name, ch.ID, e.FMCChassisID.ValueString()))
				continue
			}
			if !tdMode {
				diags.AddAttributeError(path.Root("threat_defense_version"), "Multi-instance chassis need threat_defense_version",
					fmt.Sprintf("Chassis %s runs threat defense chassis software, not FXOS: set threat_defense_version (ORDER-4) instead of target_version.", name))
				continue
			}
		}
		listed[name] = true
		names = append(names, name)
	}
	if fxosListed && (stringOrEnv(m.FXOSUsername, envFXOSUsername) == "" || stringOrEnv(m.FXOSPassword, envFXOSPassword) == "") {
		diags.AddAttributeError(path.Root("fxos_username"), "Missing chassis manager credentials",
			"Firepower 4100/9300 chassis are upgraded through their chassis managers: set fxos_username and fxos_password (or "+
				envFXOSUsername+" and "+envFXOSPassword+").")
	}
	if diags.HasError() {
		return nil
	}

	newClient := fxosClients(m)
	// Only the chassis the job touches are read: the listed ones and those
	// hosting the other members of their pairs and clusters.
	sub := *inv
	sub.Chassis = relatedChassis(inv, listed)
	fx, err := runner.ReadChassisVersions(ctx, &sub, managers, newClient)
	if err != nil {
		diags.AddAttributeError(path.Root("chassis"), "Reading chassis versions failed", err.Error())
		return nil
	}
	estate, _, err := runner.EstateFromInventory(&sub, fx)
	if err != nil {
		diags.AddAttributeError(path.Root("chassis"), "Building the estate failed", err.Error())
		return nil
	}
	estate = chassisEstate(estate, listed)

	targets := planner.Targets{
		ThreatDefense:         m.ThreatDefenseVersion.ValueString(),
		MultiInstanceHA:       m.HAStrategy.ValueString(),
		AcknowledgeParallelHA: m.AcknowledgeParallelHA.ValueBool(),
	}
	if !tdMode {
		// Only the chassis move: the threat defense target is where its
		// units already are, so the planner adds no device hop.
		targets.Chassis = m.TargetVersion.ValueString()
		targets.ThreatDefense = lowestDeviceVersion(estate)
	}
	full, err := planner.PlanEstate(r.data.Catalog, estate, targets)
	if err != nil {
		addChassisPlanError(diags, err, tdMode)
		return nil
	}
	plan, err := chassisSteps(full, listed)
	if err != nil {
		diags.AddAttributeError(path.Root("chassis"), "The chassis cannot be upgraded on their own", err.Error())
		return nil
	}
	job := &chassisJob{plan: plan, inv: inv, names: names, landing: map[string]string{}, current: map[string]string{},
		env: runner.Env{FMC: client, FXOS: newClient, Catalog: r.data.Catalog, Inventory: inv, ChassisManagers: managers,
			Logger: func(ctx context.Context, msg string, fields map[string]any) { tflog.Info(ctx, msg, fields) }}}
	for _, c := range estate.Chassis {
		if listed[c.Name] {
			job.current[c.Name] = normalizeChassisVersion(c.Version)
		}
	}
	for _, n := range names {
		if p := full.UnitPaths[n]; len(p) > 0 {
			job.landing[n] = normalizeChassisVersion(p[len(p)-1])
			plan.UnitPaths[n] = p
		}
	}
	job.target = m.TargetVersion.ValueString()
	if tdMode {
		job.target = commonValue(job.landing, names)
	}
	for _, w := range full.Warnings {
		if strings.HasPrefix(w, "HA-") || strings.HasPrefix(w, "ORDER-") || strings.HasPrefix(w, "FXOS ") {
			job.warnings = append(job.warnings, w)
		}
	}
	return job
}

func relatedChassis(inv *runner.Inventory, listed map[string]bool) []runner.Chassis {
	ids := map[string]bool{}
	for _, c := range inv.Chassis {
		if listed[c.Name] {
			ids[c.ID] = true
		}
	}
	groups := map[string]bool{}
	for _, d := range inv.Devices {
		if ids[d.ChassisID] && d.ContainerID != "" {
			groups[d.ContainerID] = true
		}
	}
	for _, d := range inv.Devices {
		if groups[d.ContainerID] && d.ChassisID != "" {
			ids[d.ChassisID] = true
		}
	}
	var out []runner.Chassis
	for _, c := range inv.Chassis {
		if ids[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// chassisEstate keeps the listed chassis, the devices they host and every
// pair or cluster those devices belong to, with the other chassis of those
// groups: the planner needs whole groups to order HA-1..HA-6, and nothing
// else of the estate matters to a chassis job.
func chassisEstate(e planner.Estate, listed map[string]bool) planner.Estate {
	keepDev := map[string]bool{}
	for _, d := range e.Devices {
		if listed[d.Chassis] {
			keepDev[d.Name] = true
		}
	}
	var pairs []planner.HAPair
	var clusters []planner.Cluster
	for changed := true; changed; {
		changed = false
		pairs, clusters = pairs[:0], clusters[:0]
		add := func(members ...string) bool {
			hit := slices.ContainsFunc(members, func(n string) bool { return keepDev[n] })
			if hit {
				for _, n := range members {
					if !keepDev[n] {
						keepDev[n], changed = true, true
					}
				}
			}
			return hit
		}
		for _, p := range e.HAPairs {
			if add(p.Primary, p.Secondary) {
				pairs = append(pairs, p)
			}
		}
		for _, c := range e.Clusters {
			if add(append([]string{c.Control}, c.Data...)...) {
				clusters = append(clusters, c)
			}
		}
	}
	keepCh := map[string]bool{}
	out := planner.Estate{ManagementCenter: e.ManagementCenter, HAPairs: pairs, Clusters: clusters}
	for _, d := range e.Devices {
		if keepDev[d.Name] {
			out.Devices = append(out.Devices, d)
			keepCh[d.Chassis] = true
		}
	}
	for _, c := range e.Chassis {
		if listed[c.Name] || keepCh[c.Name] {
			out.Chassis = append(out.Chassis, c)
		}
	}
	return out
}

func lowestDeviceVersion(e planner.Estate) string {
	low := ""
	for _, d := range e.Devices {
		if low == "" {
			low = d.Version
			continue
		}
		if c, err := planner.CompareVersions(d.Version, low); err == nil && c < 0 {
			low = d.Version
		}
	}
	if low == "" {
		return e.ManagementCenter.Version
	}
	return low
}

// chassisSteps cuts the chassis job out of an estate plan: the upgrades of
// the listed chassis, the package copies, role switches, control moves and
// health gates they wait for, and the gates after them. Anything else an
// upgrade waits for (a device hop, another chassis) must happen first, and
// is refused with the rule that orders it rather than silently skipped.
func chassisSteps(full *planner.EstatePlan, listed map[string]bool) (*planner.EstatePlan, error) {
	byOrder := map[int]planner.Step{}
	for _, s := range full.Steps {
		byOrder[s.Order] = s
	}
	keep := map[int]bool{}
	var problems []string
	var visit func(o int, forChassis string)
	seen := map[int]bool{}
	visit = func(o int, forChassis string) {
		for _, a := range byOrder[o].After {
			if seen[a] {
				continue
			}
			seen[a] = true
			s := byOrder[a]
			switch s.Action {
			case planner.ActionUpgradeChassis:
				if !listed[s.Target] {
					problems = append(problems, fmt.Sprintf("HA-1: chassis %s needs chassis %s upgraded first (%s); add it to chassis", forChassis, s.Target, s.Change()))
				}
			case planner.ActionUpgradeThreatDefense:
				problems = append(problems, fmt.Sprintf("ORDER-5: chassis %s waits for threat defense %s %s; upgrade the devices first (fmcupgrade_device_upgrade), then the chassis", forChassis, s.Target, s.Change()))
			case planner.ActionUpgradeManagementCenter:
				problems = append(problems, fmt.Sprintf("ORDER-1: chassis %s waits for the management center upgrade %s", forChassis, s.Change()))
			case planner.ActionSwitchHARoles, planner.ActionMoveClusterControl, planner.ActionVerify, planner.ActionCopyPackage:
				keep[a] = true
			}
			visit(a, forChassis)
		}
	}
	for _, s := range full.Steps {
		if s.Action == planner.ActionUpgradeChassis && listed[s.Target] {
			keep[s.Order] = true
			visit(s.Order, s.Target)
		}
	}
	for _, s := range full.Steps {
		if s.Action == planner.ActionVerify && listed[s.Target] {
			keep[s.Order] = true
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, errors.New(strings.Join(slices.Compact(problems), "\n"))
	}
	var kept []planner.Step
	for _, s := range full.Steps {
		if !keep[s.Order] {
			continue
		}
		if s.Action == planner.ActionCopyPackage {
			var units []string
			for _, u := range s.Units {
				if listed[u] {
					units = append(units, u)
				}
			}
			if len(units) == 0 {
				continue
			}
			s.Units = units
			s.Note = fmt.Sprintf("to %d chassis", len(units))
		}
		kept = append(kept, s)
	}
	renum := map[int]int{}
	waves := map[int]int{}
	out := &planner.EstatePlan{UnitPaths: map[string][]string{}, Warnings: nil}
	pkgs := map[string]bool{}
	for i, s := range kept {
		renum[s.Order] = i + 1
		if _, ok := waves[s.Wave]; !ok {
			waves[s.Wave] = len(waves) + 1
		}
	}
	for i := range kept {
		s := kept[i]
		s.Order, s.Wave = renum[s.Order], waves[s.Wave]
		var after []int
		for _, a := range s.After {
			if n, ok := renum[a]; ok {
				after = append(after, n)
			}
		}
		s.After = after
		if s.Action == planner.ActionCopyPackage && !strings.HasSuffix(s.Target, "(build unknown)") {
			pkgs[s.Target] = true
		}
		out.Steps = append(out.Steps, s)
	}
	out.Waves = len(waves)
	out.CriticalPath = len(waves)
	for p := range pkgs {
		out.Packages = append(out.Packages, p)
	}
	sort.Strings(out.Packages)
	return out, nil
}

// addChassisPlanError puts a planner refusal on this resource's argument of
// the same meaning.
func addChassisPlanError(diags *diag.Diagnostics, err error, tdMode bool) {
	var re *planner.RuleError
	if !errors.As(err, &re) {
		diags.AddError("Chassis upgrade planning failed", err.Error())
		return
	}
	attr := ""
	switch {
	case re.Field == planner.FieldMultiInstanceHA:
		attr = "ha_strategy"
	case re.Field == planner.FieldChassisTarget:
		attr = "target_version"
	case re.Field == planner.FieldTargetVersion && tdMode:
		attr = "threat_defense_version"
	case strings.HasPrefix(re.Field, "chassis["), strings.HasPrefix(re.Field, "devices["):
		attr = "chassis"
	}
	if attr == "" {
		diags.AddError(re.Summary(), re.Error())
		return
	}
	diags.AddAttributeError(path.Root(attr), re.Summary(), re.Error())
}

func normalizeChassisVersion(v string) string {
	if strings.Contains(v, "(") || strings.Count(v, ".") == 3 && strings.HasPrefix(v, "2.") {
		if f, err := version.ParseFXOS(v); err == nil {
			return f.String()
		}
	}
	return v
}

func commonValue(m map[string]string, keys []string) string {
	v := ""
	for _, k := range keys {
		switch {
		case m[k] == "":
		case v == "":
			v = m[k]
		case v != m[k]:
			return ""
		}
	}
	return v
}

func (r *chassisUpgradeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		resp.Diagnostics.AddWarning("Chassis stay on their versions",
			"Destroying fmcupgrade_chassis_upgrade only removes it from the state: an FXOS or chassis upgrade cannot be "+
				"undone by deleting it, and every chassis keeps the version it runs.")
		return
	}
	var m chassisUpgradeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	prior := priorModel[chassisUpgradeModel](ctx, req.State, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var cfg chassisUpgradeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The configuration, not the plan: a computed target_version is
	// unknown in the plan until this function sets it.
	if anyUnknown(cfg.Chassis, cfg.TargetVersion, cfg.ThreatDefenseVersion, cfg.FXOSUsername, cfg.FXOSPassword, cfg.FXOSCACertificate,
		cfg.HAStrategy, cfg.AcknowledgeParallelHA, cfg.ImageServer) || r.data == nil {
		m.Steps, m.ChassisVersions = types.ListUnknown(types.StringType), types.MapUnknown(types.StringType)
		m.Status, m.ID = types.StringUnknown(), types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
		return
	}
	job := r.buildJob(ctx, &m, &resp.Diagnostics)
	if job == nil {
		return
	}
	for _, w := range job.warnings {
		resp.Diagnostics.AddWarning("Chassis upgrade plan", w)
	}
	m.ID = types.StringValue(strings.Join(job.names, ","))
	m.TargetVersion = nullableString(job.target)
	if job.upgrades() == 0 {
		// Nothing left to do: the job stands as applied, so a plan after
		// a complete apply is empty.
		m.Steps = types.ListValueMust(types.StringType, nil)
		if prior != nil && !prior.Steps.IsNull() && !prior.Steps.IsUnknown() {
			m.Steps = prior.Steps
		}
		m.ChassisVersions = versionsValue(job.current, job.names)
		m.Status = types.StringValue(runner.StatusComplete)
	} else {
		steps, d := types.ListValueFrom(ctx, types.StringType, job.lines())
		resp.Diagnostics.Append(d...)
		m.Steps = steps
		m.ChassisVersions = types.MapUnknown(types.StringType)
		m.Status = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

func versionsValue(v map[string]string, names []string) types.Map {
	elems := map[string]string{}
	for _, n := range names {
		if s, ok := v[n]; ok {
			elems[n] = normalizeChassisVersion(s)
		}
	}
	out, _ := types.MapValueFrom(context.Background(), types.StringType, elems)
	return out
}

func (r *chassisUpgradeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	createJob(ctx, req, resp, defaultChassisJobTimeout, r.apply)
}

func (r *chassisUpgradeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	updateJob(ctx, req, resp, defaultChassisJobTimeout, privateProgressKey, r.apply)
}

func (m *chassisUpgradeModel) timeoutsBlock() timeouts.Value { return m.Timeouts }

// apply recomputes the plan, runs it and records where it got, also when it
// stops: the next apply resumes from the recorded Progress.
func (r *chassisUpgradeResource) apply(ctx context.Context, timeout time.Duration, m *chassisUpgradeModel, resume *runner.Progress,
	state stateSetter, private privateSetter, diags *diag.Diagnostics) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	job := r.buildJob(ctx, m, diags)
	if job == nil {
		return
	}
	var planned []string
	if !m.Steps.IsUnknown() && !m.Steps.IsNull() {
		diags.Append(m.Steps.ElementsAs(ctx, &planned, false)...)
	}
	lines := job.lines()
	if job.upgrades() > 0 && !slices.Equal(planned, lines) {
		diags.AddError("Chassis upgrade plan is stale",
			errEstateChanged+". The steps for the chassis are now:\n"+strings.Join(lines, "\n"))
		return
	}
	m.ID = types.StringValue(strings.Join(job.names, ","))
	m.TargetVersion = nullableString(job.target)
	if job.upgrades() == 0 {
		m.ChassisVersions = versionsValue(job.current, job.names)
		m.Status = types.StringValue(runner.StatusComplete)
		diags.Append(state.Set(ctx, m)...)
		return
	}

	poll := defaultPollInterval
	if r.data.PollInterval > 0 {
		poll = r.data.PollInterval
	}
	opts := runner.ExecOptions{PollInterval: poll, MaxPollInterval: 4 * poll, Concurrency: 1, Resume: resume,
		UnitTimeout: timeout, SettleTimeout: min(timeout, runner.DefaultSettleTimeout)}
	if is := imageSource(ctx, m, diags); diags.HasError() {
		return
	} else {
		opts.FXOSImages = is
	}
	tflog.Info(ctx, "starting the chassis upgrade job", map[string]any{"chassis": job.names, "steps": len(job.plan.Steps)})
	prog, err := runner.Execute(ctx, job.env, job.plan, opts)

	saveProgress(ctx, private, privateProgressKey, prog, diags)
	m.Status = types.StringValue(runner.StatusPartial)
	if err == nil && prog != nil {
		m.Status = types.StringValue(prog.Status)
	}
	// The versions come from a fresh read, as Read would see them, so the
	// next plan compares like with like.
	readCtx, readCancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer readCancel()
	versions := r.readVersions(readCtx, m, job.names, nil)
	if versions == nil && prog != nil {
		versions = prog.UnitVersions
	}
	m.ChassisVersions = versionsValue(versions, job.names)
	diags.Append(state.Set(ctx, m)...)
	if err != nil {
		diags.AddError("Chassis upgrade stopped", chassisFailure(err))
		return
	}
	if prog != nil {
		for _, w := range prog.Warnings {
			diags.AddWarning("Chassis upgrade", w)
		}
	}
}

func chassisFailure(err error) string {
	msg := err.Error()
	var se *runner.StepError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("Chassis %s, step %q: %s", firstNonEmptyString(se.Unit, se.Step.Target), se.Step.Line(), err.Error())
	}
	return msg + "\n\nThe progress made is recorded (status = \"partial\"); fix the cause and run apply again: it continues " +
		"where the chassis are and never starts an installation twice."
}

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func imageSource(ctx context.Context, m *chassisUpgradeModel, diags *diag.Diagnostics) *runner.FXOSImageSource {
	if m.ImageServer.IsNull() || m.ImageServer.IsUnknown() {
		return nil
	}
	var is imageServerModel
	diags.Append(m.ImageServer.As(ctx, &is, objectAsOptions)...)
	if diags.HasError() {
		return nil
	}
	return &runner.FXOSImageSource{Protocol: is.Protocol.ValueString(), Server: is.Host.ValueString(), Port: int(is.Port.ValueInt64()),
		RemotePath: is.Path.ValueString(), User: is.User.ValueString(), Password: is.Password.ValueString()}
}

// readVersions reads what the chassis run now; nil when they cannot be read.
func (r *chassisUpgradeResource) readVersions(ctx context.Context, m *chassisUpgradeModel, names []string, inv *runner.Inventory) map[string]string {
	client := r.data.FMC
	if client == nil {
		return nil
	}
	if inv == nil {
		var err error
		if inv, err = runner.ReadInventory(ctx, client, r.data.Catalog); err != nil {
			tflog.Warn(ctx, "reading the inventory failed", map[string]any{"error": err.Error()})
			return nil
		}
	}
	var entries []chassisEntryModel
	if !m.Chassis.IsNull() && !m.Chassis.IsUnknown() {
		m.Chassis.ElementsAs(ctx, &entries, false)
	}
	managers := map[string]string{}
	for _, e := range entries {
		if u := e.ManagerURL.ValueString(); u != "" {
			managers[e.Name.ValueString()] = u
		}
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	sub := *inv
	sub.Chassis = nil
	for _, c := range inv.Chassis {
		if want[c.Name] {
			sub.Chassis = append(sub.Chassis, c)
		}
	}
	out := map[string]string{}
	fx, err := runner.ReadChassisVersions(ctx, &sub, managers, fxosClients(m))
	if err != nil {
		tflog.Warn(ctx, "reading chassis versions failed", map[string]any{"error": err.Error()})
		return nil
	}
	for _, c := range sub.Chassis {
		if c.Kind == catalog.ChassisFXOS {
			if v := fx[c.Name]; v != "" {
				out[c.Name] = v
			}
		} else if c.Version != "" {
			out[c.Name] = c.Version
		}
	}
	return out
}

func (r *chassisUpgradeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m chassisUpgradeModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || r.data == nil || r.data.FMC == nil {
		return
	}
	var entries []chassisEntryModel
	resp.Diagnostics.Append(m.Chassis.ElementsAs(ctx, &entries, false)...)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name.ValueString())
	}
	versions := r.readVersions(ctx, &m, names, nil)
	if versions == nil {
		// An unreachable chassis manager is no reason to forget the job.
		resp.Diagnostics.AddWarning("Chassis versions not refreshed",
			"The chassis versions could not be read; the state keeps the last known ones. See the log for the cause.")
		return
	}
	m.ChassisVersions = versionsValue(versions, names)
	if m.TargetVersion.IsNull() && m.ThreatDefenseVersion.IsNull() {
		// Just imported: the chassis' common version stands for the target.
		m.TargetVersion = nullableString(commonValue(versions, names))
		if m.TargetVersion.IsNull() {
			m.TargetVersion = types.StringNull()
		} else {
			m.TargetVersion = types.StringValue(normalizeChassisVersion(m.TargetVersion.ValueString()))
		}
		if m.Status.IsNull() {
			m.Status = types.StringValue(runner.StatusComplete)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *chassisUpgradeResource) Delete(ctx context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	tflog.Info(ctx, "forgetting the chassis upgrade job; the chassis keep their versions", nil)
	resp.Diagnostics.AddWarning("Chassis stay on their versions",
		"fmcupgrade_chassis_upgrade was removed from the state only: every chassis keeps the version it runs.")
}

// ImportState takes the chassis names, comma-separated, as the management
// center lists them; manager URLs and ids come from its inventory.
func (r *chassisUpgradeResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var names []string
	for _, n := range strings.Split(req.ID, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		resp.Diagnostics.AddError("Invalid import id", "Give the chassis names, comma-separated, e.g. FLM2219A0B1,FLM2219A0B2.")
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
	byName := map[string]runner.Chassis{}
	for _, c := range inv.Chassis {
		byName[c.Name] = c
	}
	entries := make([]chassisEntryModel, 0, len(names))
	for _, n := range names {
		c, ok := byName[n]
		if !ok {
			resp.Diagnostics.AddError("Unknown chassis", fmt.Sprintf("The management center lists no chassis %q.", n))
			return
		}
		e := chassisEntryModel{Name: types.StringValue(n), ManagerURL: types.StringNull(), FMCChassisID: types.StringNull()}
		if c.Kind == catalog.ChassisFXOS {
			e.ManagerURL = nullableString(c.ManagerURL)
		} else {
			e.FMCChassisID = types.StringValue(c.ID)
		}
		entries = append(entries, e)
	}
	list, d := types.ListValueFrom(ctx, types.ObjectType{AttrTypes: chassisEntryAttrTypes}, entries)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), strings.Join(names, ","))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("chassis"), list)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("steps"), types.ListValueMust(types.StringType, nil))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ha_strategy"), planner.MultiInstanceTwoWorkflows)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("acknowledge_parallel_ha"), false)...)
}

var chassisEntryAttrTypes = map[string]attr.Type{
	"name":           types.StringType,
	"manager_url":    types.StringType,
	"fmc_chassis_id": types.StringType,
}

var objectAsOptions = basetypes.ObjectAsOptions{}
