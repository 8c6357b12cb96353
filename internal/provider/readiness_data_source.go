package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

var _ datasource.DataSourceWithConfigure = (*readinessDataSource)(nil)

// NewReadinessDataSource is the fmcupgrade_readiness data source.
func NewReadinessDataSource() datasource.DataSource {
	return &readinessDataSource{}
}

type readinessDataSource struct {
	catalogDataSource
}

type readinessModel struct {
	TargetVersion           types.String          `tfsdk:"target_version"`
	DeviceIDs               types.List            `tfsdk:"device_ids"`
	IncludeManagementCenter types.Bool            `tfsdk:"include_management_center"`
	PackageIDs              types.List            `tfsdk:"package_ids"`
	Ignore                  types.List            `tfsdk:"ignore"`
	ID                      types.String          `tfsdk:"id"`
	Ready                   types.Bool            `tfsdk:"ready"`
	Checks                  []readinessCheckModel `tfsdk:"checks"`
	Blocking                []string              `tfsdk:"blocking"`
}

type readinessCheckModel struct {
	ID       types.String `tfsdk:"id"`
	Target   types.String `tfsdk:"target"`
	Status   types.String `tfsdk:"status"`
	Observed types.String `tfsdk:"observed"`
	Remedy   types.String `tfsdk:"remedy"`
	Rules    []string     `tfsdk:"rules"`
}

// readinessFields are the arguments a planner refusal can point at.
var readinessFields = []string{planner.FieldTargetVersion, planner.FieldDeviceIDs, planner.FieldPackageIDs, planner.FieldIgnore, planner.FieldIncludeManagementCenter}

func (d *readinessDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_readiness"
}

func (d *readinessDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	checkIDs := planner.ReadinessCheckIDs()
	quoted := make([]string, len(checkIDs))
	for i, id := range checkIDs {
		quoted[i] = "`" + id + "`"
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Readiness verdicts for a planned upgrade, read live from the management center: one row per " +
			"check and target with `pass`, `warn`, `fail` or `skip`, what was seen, the remedy and the rules behind it, and " +
			"`ready` when nothing fails. Checks: the upgrade path (PATH-\\*), the management center's version (ORDER-1/2/3), " +
			"the chassis first (FXOS companion of Firepower 4100/9300, multi-instance chassis version; ORDER-4), the package " +
			"on the management center and applicable to the device (PKG-1/3), the device connected, the upgrade-related " +
			"health tests of Table 9 (database, disk status, disk usage, HA/cluster, time synchronisation; READY-1), pending " +
			"deployments (READY-2), running tasks (READY-3), a recent backup (READY-4), HA pairs and clusters in sync and not " +
			"split-brain (HA-1) and the notes for threat defense virtual clusters in public clouds (READY-7).\n\n" +
			"Everything is read in bulk: about a dozen requests for an estate of up to a thousand devices, and a few more per " +
			"further thousand. " +
			"Needs the provider's management center connection. Gate a maintenance window on `ready` with a " +
			"`lifecycle.precondition`.",
		Attributes: map[string]schema.Attribute{
			"target_version": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Threat defense version to upgrade to, e.g. `7.6.1`, or `latest` / `suggested`. The " +
					"management center must reach its major/maintenance release first (ORDER-1).",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"device_ids": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Devices to judge, by id or name; an HA pair or cluster id or name stands for its " +
					"units. Default: every device the management center manages.",
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"include_management_center": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Judge the management center too (default `true`). Its own checks are mandatory " +
					"(READY-5): while it is included, `ignore` may not skip them. With `false`, a device target past the " +
					"management center's version fails (ORDER-2).",
			},
			"package_ids": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Upgrade packages to use, by id or file name; the `package` check then looks only " +
					"at these. Default: every package on the management center.",
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"ignore": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Checks to skip: a check id (every target) or `<check>:<target>` (one device, HA pair " +
					"or cluster by id or name). Skipped rows are still reported, with status `skip` and what they would " +
					"have said. Check ids: " + strings.Join(quoted, ", ") + ". A check the management center also " +
					"reports can only be skipped per device while `include_management_center` is true (READY-5).",
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"id": computedString("The management center's host name and the target version."),
			"ready": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "True when no check fails. Warnings and skipped checks do not block.",
			},
			"checks": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "One row per check and target: the management center first, then devices by " +
					"name, then HA pairs and clusters.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":       computedString("Check id, e.g. `health_disk_usage`."),
					"target":   computedString("Management center host name, device name, or HA pair / cluster name."),
					"status":   computedString("`pass`, `warn`, `fail` or `skip`."),
					"observed": computedString("What was seen, in the management center's words where it gave any."),
					"remedy":   computedString("What to do about a `warn` or `fail`; null for a `pass`."),
					"rules":    computedStrings("Rule ids of the product brief the check enforces, e.g. `READY-1`."),
				}},
			},
			"blocking": computedStrings("The failing checks, one readable line each: `<check> on <target>: <observed>. " +
				"Fix: <remedy> [<rules>]`. Empty when `ready`."),
		},
	}
}

func (d *readinessDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m readinessModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || anyUnknown(m.TargetVersion, m.DeviceIDs, m.IncludeManagementCenter, m.PackageIDs, m.Ignore) {
		return
	}
	cat := d.catalog(&resp.Diagnostics)
	if cat == nil {
		return
	}
	rr := planner.ReadinessRequest{
		TargetVersion:           m.TargetVersion.ValueString(),
		DeviceIDs:               stringValues(ctx, m.DeviceIDs, &resp.Diagnostics),
		ExcludeManagementCenter: !m.IncludeManagementCenter.IsNull() && !m.IncludeManagementCenter.ValueBool(),
		PackageIDs:              stringValues(ctx, m.PackageIDs, &resp.Diagnostics),
		Ignore:                  stringValues(ctx, m.Ignore, &resp.Diagnostics),
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// A request the planner refuses is reported before any connection is
	// needed, on the argument at fault.
	if err := planner.CheckReadinessRequest(cat, rr); err != nil {
		addPlannerError(&resp.Diagnostics, err, readinessFields...)
		return
	}
	client := d.fmc(&resp.Diagnostics)
	if client == nil {
		return
	}
	facts, err := runner.ReadReadinessFacts(ctx, client, cat, rr)
	if err != nil {
		var re *planner.RuleError
		if errors.As(err, &re) {
			addPlannerError(&resp.Diagnostics, err, readinessFields...)
		} else {
			resp.Diagnostics.AddError("Reading readiness facts from the management center failed", err.Error())
		}
		return
	}
	res, err := planner.Readiness(cat, facts, rr)
	if err != nil {
		addPlannerError(&resp.Diagnostics, err, readinessFields...)
		return
	}

	name := facts.ManagementCenter.Name
	if name == "" {
		name = "management-center"
	}
	m.ID = types.StringValue(name + "/" + res.TargetVersion)
	m.Ready = types.BoolValue(res.Ready)
	m.Blocking = nonNilStrings(res.Blocking)
	m.Checks = make([]readinessCheckModel, 0, len(res.Checks))
	for _, c := range res.Checks {
		m.Checks = append(m.Checks, readinessCheckModel{
			ID: types.StringValue(c.ID), Target: types.StringValue(c.Target), Status: types.StringValue(c.Status),
			Observed: types.StringValue(c.Observed), Remedy: nullableString(c.Remedy), Rules: nonNilStrings(c.Rules),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// stringValues reads an optional list of strings; a null list and null
// elements read as nothing, since the planner treats an empty selection as
// "all".
func stringValues(ctx context.Context, list types.List, diags *diag.Diagnostics) []string {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	var elems []types.String
	diags.Append(list.ElementsAs(ctx, &elems, false)...)
	var out []string
	for _, s := range elems {
		if !s.IsNull() && !s.IsUnknown() {
			out = append(out, s.ValueString())
		}
	}
	return out
}
