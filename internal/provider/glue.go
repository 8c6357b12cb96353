package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

// catalogDataSource is embedded by data sources that plan from the catalog
// the provider configured.
type catalogDataSource struct {
	data *providerData
}

func (d *catalogDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataOf(req.ProviderData, &resp.Diagnostics)
}

// providerDataOf is what the provider's Configure handed to a data source
// or resource; nil before the provider is configured, since Terraform
// validates configurations before configuring providers.
func providerDataOf(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", v))
	}
	return data
}

// fmcClientOf returns the management center client, or reports why there
// is none; purpose says what needs the connection.
func fmcClientOf(data *providerData, purpose string, diags *diag.Diagnostics) *fmc.Client {
	switch {
	case data == nil:
		diags.AddError("Management center connection not known yet",
			"The provider configuration is not known yet, so the management center cannot be reached. "+
				"Give the provider arguments values that are known at plan time.")
	case data.FMC == nil:
		diags.AddError("No management center connection", strings.TrimSpace(purpose+" "+data.NoFMC))
	default:
		return data.FMC
	}
	return nil
}

// catalog returns the configured catalog, or reports why there is none.
func (d *catalogDataSource) catalog(diags *diag.Diagnostics) *catalog.Catalog {
	if d.data == nil || d.data.Catalog == nil {
		// Configure leaves no data only when catalog_file was unknown.
		diags.AddError("Catalog not known yet",
			"The provider's catalog_file is not known until apply, but planning data sources are read during plan. "+
				"Give catalog_file a path that is known at plan time, such as \"${path.module}/catalog.json\".")
		return nil
	}
	return d.data.Catalog
}

// fmc returns the management center client, or reports why there is none.
func (d *catalogDataSource) fmc(diags *diag.Diagnostics) *fmc.Client {
	return fmcClientOf(d.data, "", diags)
}

// addPlannerError reports err on the attribute the planner blames, so the
// CLI points at the offending argument; the detail keeps the rule id.
func addPlannerError(diags *diag.Diagnostics, err error, attributes ...string) {
	var re *planner.RuleError
	if !errors.As(err, &re) {
		diags.AddError("Upgrade planning failed", err.Error())
		return
	}
	if slices.Contains(attributes, re.Field) {
		diags.AddAttributeError(path.Root(re.Field), re.Summary(), re.Error())
		return
	}
	diags.AddError(re.Summary(), re.Error())
}

// funcError is addPlannerError for functions: params are the parameter
// names in argument order.
func funcError(err error, params ...string) *function.FuncError {
	var re *planner.RuleError
	if errors.As(err, &re) {
		if i := slices.Index(params, re.Field); i >= 0 {
			return function.NewArgumentFuncError(int64(i), re.Error())
		}
	}
	return function.NewFuncError(err.Error())
}

// defaultCatalog is the catalog functions plan from: they cannot see the
// provider configuration, so a catalog_file overlay does not apply to them.
func defaultCatalog() (*catalog.Catalog, *function.FuncError) {
	c, err := catalog.Default()
	if err != nil {
		return nil, function.NewFuncError("embedded catalog unreadable: " + err.Error())
	}
	return c, nil
}

// platformIDs lists the embedded catalog's platform families for schema
// descriptions. Values are not validated against it in the schema, because a
// catalog_file overlay can add families; the planner rejects unknown ones on
// the attribute, with the list.
func platformIDs() string {
	c, err := catalog.Default()
	if err != nil {
		return ""
	}
	ids := c.FamilyIDs()
	for i, id := range ids {
		ids[i] = "`" + id + "`"
	}
	return strings.Join(ids, ", ")
}

// nullableString maps the planner's "unknown" empty string to null, so that
// HCL can tell "not in the catalog" apart with a null check.
func nullableString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// nullableInt64 maps the planner's "unknown" zero build to null.
func nullableInt64(n int) types.Int64 {
	if n == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(int64(n))
}

// nonNilStrings keeps empty lists empty rather than null, so length() and
// for expressions work on them without a null check.
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func anyUnknown(values ...interface{ IsUnknown() bool }) bool {
	return slices.ContainsFunc(values, func(v interface{ IsUnknown() bool }) bool { return v.IsUnknown() })
}

// privateGetter is the part of private state an update reads.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// privateSetter is the part of private state apply writes.
type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// stateSetter is the part of state apply writes.
type stateSetter interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

// priorModel reads the prior state a ModifyPlan compares the plan with: nil
// when the resource is being created.
func priorModel[M any](ctx context.Context, state tfsdk.State, diags *diag.Diagnostics) *M {
	if state.Raw.IsNull() {
		return nil
	}
	var m M
	diags.Append(state.Get(ctx, &m)...)
	return &m
}

// loadProgress reads the runner's Progress saved under key. Resume is an
// optimisation (the runner observes the estate anyway), so a damaged record
// only costs re-observation and is ignored with a log line.
func loadProgress(ctx context.Context, private privateGetter, key string, diags *diag.Diagnostics) *runner.Progress {
	raw, d := private.GetKey(ctx, key)
	diags.Append(d...)
	if len(raw) == 0 {
		return nil
	}
	var p runner.Progress
	if err := json.Unmarshal(raw, &p); err != nil {
		tflog.Warn(ctx, "ignoring an unreadable saved progress", map[string]any{"error": err.Error()})
		return nil
	}
	return &p
}

// saveProgress keeps the runner's Progress under key for the next apply.
func saveProgress(ctx context.Context, private privateSetter, key string, p *runner.Progress, diags *diag.Diagnostics) {
	if p == nil {
		return
	}
	if b, err := json.Marshal(p); err == nil {
		diags.Append(private.SetKey(ctx, key, b)...)
	}
}

// jobModel is the model of a job resource, whose timeouts block bounds how
// long an apply runs.
type jobModel[M any] interface {
	*M
	timeoutsBlock() timeouts.Value
}

// jobApply runs a job resource's plan m within timeout, resuming from
// resume when an earlier apply saved progress, and records the state and
// the progress made.
type jobApply[P any] func(ctx context.Context, timeout time.Duration, m P, resume *runner.Progress,
	state stateSetter, private privateSetter, diags *diag.Diagnostics)

// createJob is a job resource's Create: def is its timeout when the
// timeouts block sets none.
func createJob[M any, P jobModel[M]](ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse,
	def time.Duration, apply jobApply[P]) {
	var m M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := P(&m).timeoutsBlock().Create(ctx, def)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	apply(ctx, timeout, &m, nil, &resp.State, resp.Private, &resp.Diagnostics)
}

// updateJob is a job resource's Update, which resumes from the progress
// the last apply saved under progressKey.
func updateJob[M any, P jobModel[M]](ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse,
	def time.Duration, progressKey string, apply jobApply[P]) {
	var m M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := P(&m).timeoutsBlock().Update(ctx, def)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	resume := loadProgress(ctx, req.Private, progressKey, &resp.Diagnostics)
	apply(ctx, timeout, &m, resume, &resp.State, resp.Private, &resp.Diagnostics)
}
