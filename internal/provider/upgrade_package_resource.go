package provider

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
)

var (
	_ resource.ResourceWithConfigure        = (*upgradePackageResource)(nil)
	_ resource.ResourceWithConfigValidators = (*upgradePackageResource)(nil)
	_ resource.ResourceWithValidateConfig   = (*upgradePackageResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*upgradePackageResource)(nil)
	_ resource.ResourceWithImportState      = (*upgradePackageResource)(nil)
)

// manualRegistrationStep is the web interface path for what the REST API
// may refuse to do.
const manualRegistrationStep = "System > Product Upgrades > Add Upgrade Package > Specify Remote Location"

// minPackageSize separates an upgrade package from the error or login page
// a misconfigured web server answers with: the smallest threat defense
// package is hundreds of megabytes.
const minPackageSize = 1 << 20

// verifyTimeout bounds one request of verify_url, so an unreachable server
// fails the apply instead of hanging it.
const verifyTimeout = 60 * time.Second

// NewUpgradePackageResource is the fmcupgrade_upgrade_package resource.
func NewUpgradePackageResource() resource.Resource {
	return &upgradePackageResource{}
}

type upgradePackageResource struct {
	data *providerData
}

type upgradePackageModel struct {
	ID                  types.String `tfsdk:"id"`
	FileName            types.String `tfsdk:"file_name"`
	URL                 types.String `tfsdk:"url"`
	CACertificates      types.String `tfsdk:"ca_certificates"`
	VerifyURL           types.Bool   `tfsdk:"verify_url"`
	Product             types.String `tfsdk:"product"`
	Platform            types.String `tfsdk:"platform"`
	Platforms           types.List   `tfsdk:"platforms"`
	Kind                types.String `tfsdk:"kind"`
	Version             types.String `tfsdk:"version"`
	Build               types.Int64  `tfsdk:"build"`
	FileSize            types.Int64  `tfsdk:"file_size"`
	ApplicableDeviceIDs types.List   `tfsdk:"applicable_device_ids"`
}

func (r *upgradePackageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_upgrade_package"
}

func (r *upgradePackageResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	stable := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "An upgrade package known to the management center: a package already there, adopted by file name, " +
			"or a pointer to an internal server registered from url.",
		MarkdownDescription: "An upgrade package known to the management center.\n\n" +
			"With `file_name` only, the resource **adopts** a package the management center already lists under " +
			"that name in any accepted spelling (PKG-1: `_FP3K`/`-FP3K`, `.sh.REL.tar` or the `.sh` name the " +
			"management center shows).\n\n" +
			"With `url`, it adopts the package when it is already listed, and otherwise registers a pointer to the " +
			"internal server so that devices copy the package from there (PKG-2). The management center's REST API " +
			"documents no call for this; when a management center refuses it, the apply fails with the manual step " +
			"(" + manualRegistrationStep + ") and the import command.\n\n" +
			"Destroying the resource deletes the package (or the pointer) from the management center, including an " +
			"adopted one; to stop managing a package without deleting it, remove it from the state instead. " +
			"Refresh notices a package deleted outside Terraform and plans to create it again.\n\n" +
			"Needs the provider's management center connection.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The management center's id (UUID) of the package.",
				PlanModifiers:       stable,
			},
			"file_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Package file name, in any spelling the catalog accepts (PKG-1), e.g. " +
					"`Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar` or `Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh`. " +
					"Defaults to the last path segment of `url`. Changing it to another spelling of the same package " +
					"updates in place; naming another package replaces the resource. FXOS bundles " +
					"(`fxos-k9.*.SPA`) are installed through the chassis manager, not the management center.",
			},
			"url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Where devices copy the package from: an `https://` or `http://` URL on an internal " +
					"server whose last path segment is the package file name, e.g. " +
					"`https://repo.example.com/ftd/Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar`. Only threat " +
					"defense upgrades and patches can be pointers (PKG-2): upload management center packages and " +
					"hotfixes. Changing it registers the package again (replacement); setting it on an adopted or " +
					"imported package only records it. Credentials in the URL end up in the plan and the state: " +
					"prefer a server that needs none.",
				Validators: []validator.String{packageURLValidator},
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplaceIf(urlRequiresReplace,
						"Registers the package again when the URL of a pointer this resource registered changes.",
						"Registers the package again when the URL of a pointer this resource registered changes."),
				},
			},
			"ca_certificates": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "PEM certificates (one or more `-----BEGIN CERTIFICATE-----` blocks) of the CA that " +
					"signs the internal server's certificate, or that certificate itself, for an `https://` `url`. " +
					"The management center and the devices trust only these for the download; `verify_url` uses them " +
					"too. Not needed when a public CA signs the server's certificate. Changing the certificates (not " +
					"just their formatting) registers the package again.",
				Validators: []validator.String{pemCertificatesValidator},
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplaceIf(caCertificatesRequireReplace,
						"Registers the package again when the CA certificates of a pointer this resource registered change.",
						"Registers the package again when the CA certificates of a pointer this resource registered change."),
				},
			},
			"verify_url": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "Before registering, check from where Terraform runs that `url` answers with a " +
					"file of a plausible size (a `HEAD` request, or a one-byte range `GET` when the server refuses " +
					"`HEAD`), trusting only `ca_certificates` when given. Catches a wrong path or certificate at apply " +
					"rather than hours later when devices copy the package. Default `false`, because the machine running " +
					"Terraform may not reach the internal server that the devices do.",
			},
			"product": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`threat_defense` or `management_center`, from the file name.",
				PlanModifiers:       stable,
			},
			"platform": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Platform family id when the package serves a single family (e.g. " +
					"`secure_firewall_3100`); null for a package several families share, such as " +
					"`Cisco_FTD_Upgrade-…` (see `platforms`).",
				PlanModifiers: stable,
			},
			"platforms": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Every platform family id that uses this package, sorted.",
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"kind": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`upgrade`, `patch` or `hotfix`, from the file name.",
				PlanModifiers:       stable,
			},
			"version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Version the package installs, without its build: `7.6.1`, `7.4.2.1` for a patch.",
				PlanModifiers:       stable,
			},
			"build": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Build number, from the file name.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"file_size": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "Size in bytes as the management center reports it; null while it reports none " +
					"(a pointer whose file it has not fetched).",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"applicable_device_ids": schema.ListAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Ids of the devices the management center says this package can upgrade now, " +
					"sorted. It changes as devices are upgraded and is read again on every refresh.",
			},
		},
	}
}

func (r *upgradePackageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataOf(req.ProviderData, &resp.Diagnostics)
}

// client returns the management center client, or reports why there is none.
func (r *upgradePackageResource) client(diags *diag.Diagnostics) *fmc.Client {
	return fmcClientOf(r.data, "fmcupgrade_upgrade_package manages a package on the management center and needs its connection.", diags)
}

// catalog is nil while the provider is not configured (terraform validate):
// a catalog_file overlay may add package families, so names are only judged
// against the catalog the provider will actually use.
func (r *upgradePackageResource) catalog() *catalog.Catalog {
	if r.data == nil {
		return nil
	}
	return r.data.Catalog
}

func (r *upgradePackageResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.AtLeastOneOf(fwpath.MatchRoot("file_name"), fwpath.MatchRoot("url")),
	}
}

func (r *upgradePackageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m upgradePackageModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	rawURL := knownString(m.URL)
	if rawURL != "" {
		if u, err := url.Parse(rawURL); err == nil && u.User != nil {
			resp.Diagnostics.AddAttributeWarning(fwpath.Root("url"), "Credentials in the package URL",
				"The URL carries a user name or password. It is stored in the state and shown in plans; "+
					"prefer an internal server that needs no credentials, or one reachable only from the devices.")
		}
		if strings.HasPrefix(strings.ToLower(rawURL), "http:") && knownString(m.CACertificates) != "" {
			resp.Diagnostics.AddAttributeWarning(fwpath.Root("ca_certificates"), "CA certificates unused",
				"url is plain http://, so no certificate is checked; use an https:// URL for the certificates to protect the download.")
		}
	}
	if m.URL.IsNull() {
		if knownString(m.CACertificates) != "" {
			resp.Diagnostics.AddAttributeWarning(fwpath.Root("ca_certificates"), "CA certificates unused",
				"ca_certificates only serve a package registered from url; an adopted package keeps what the management center has.")
		}
		if m.VerifyURL.ValueBool() {
			resp.Diagnostics.AddAttributeWarning(fwpath.Root("verify_url"), "Nothing to verify",
				"verify_url checks url before registering it, and no url is set.")
		}
	}

	cat := r.catalog()
	if cat == nil {
		return
	}
	var fromFile, fromURL *catalog.ParsedPackage
	if name := knownString(m.FileName); name != "" {
		if p, ok := checkPackageName(cat, name, fwpath.Root("file_name"), &resp.Diagnostics); ok {
			fromFile = &p
		}
	}
	if rawURL != "" {
		if name, err := urlFileName(rawURL); err == nil {
			if p, ok := checkPackageName(cat, name, fwpath.Root("url"), &resp.Diagnostics); ok {
				fromURL = &p
				checkPointerPackage(p, name, &resp.Diagnostics)
			}
		}
	}
	if fromFile != nil && fromURL != nil && !sameParsedPackage(*fromFile, *fromURL) {
		name, _ := urlFileName(rawURL)
		resp.Diagnostics.AddAttributeError(fwpath.Root("file_name"), "file_name and url name different packages",
			fmt.Sprintf("file_name %q and the file at the end of url (%q) are different packages (PKG-1). "+
				"Leave file_name out to take it from url, or make both name the same file.", m.FileName.ValueString(), name))
	}
}

// checkPackageName reports on attribute a name the catalog cannot read or
// that is not a management center package.
func checkPackageName(cat *catalog.Catalog, name string, attribute fwpath.Path, diags *diag.Diagnostics) (catalog.ParsedPackage, bool) {
	p, err := cat.ParsePackageFilename(name)
	if err != nil {
		diags.AddAttributeError(attribute, "Unrecognised upgrade package file name",
			fmt.Sprintf("%v (PKG-1). Use the file name from Cisco's download page, such as "+
				"Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar, or the fmcupgrade_package_filename data source; "+
				"a package family this provider does not know yet can be added with the provider's catalog_file.", err))
		return p, false
	}
	if p.Product == catalog.ProductChassis {
		diags.AddAttributeError(attribute, "FXOS bundles are not management center packages",
			fmt.Sprintf("%s is a Firepower 4100/9300 FXOS bundle: it is copied to each chassis manager and installed "+
				"there, never through the management center.", name))
		return p, false
	}
	return p, true
}

// checkPointerPackage enforces PKG-2: devices copy threat defense upgrades
// and patches from an internal server; the management center's own packages
// and hotfixes must be on the management center.
func checkPointerPackage(p catalog.ParsedPackage, name string, diags *diag.Diagnostics) {
	switch {
	case p.Product == catalog.ProductManagementCenter:
		diags.AddAttributeError(fwpath.Root("url"), "Management center packages cannot be pointers",
			fmt.Sprintf("%s upgrades the management center itself, which does not copy its own package from an internal "+
				"server (PKG-2). Upload it (System > Product Upgrades > Add Upgrade Package > Choose File) and adopt it "+
				"with file_name alone.", name))
	case p.Kind == catalog.KindHotfix:
		diags.AddAttributeError(fwpath.Root("url"), "Hotfixes need a manual upload",
			fmt.Sprintf("%s is a hotfix: devices cannot copy hotfixes from an internal server or the internet (PKG-2). "+
				"Upload it to the management center and adopt it with file_name alone.", name))
	}
}

// ModifyPlan derives file_name from url, decides whether a new file_name is
// another package (replacement) or another spelling of the same one (in
// place), and shows at plan time what the file name says. It runs here rather
// than in attribute plan modifiers because both decisions need the catalog
// the provider was configured with.
func (r *upgradePackageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	// A warning rather than an error: the connection may only be unknown
	// until apply, which NoFMC also reports.
	if req.State.Raw.IsNull() && r.data != nil && r.data.FMC == nil {
		resp.Diagnostics.AddWarning("No management center connection",
			"Creating fmcupgrade_upgrade_package needs the provider's management center connection; the apply fails "+
				"without it. "+r.data.NoFMC)
	}
	cat := r.catalog()
	if cat == nil {
		return
	}
	var plan, config upgradePackageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := priorModel[upgradePackageModel](ctx, req.State, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	if config.FileName.IsNull() {
		switch {
		case plan.URL.IsUnknown():
			plan.FileName = types.StringUnknown()
		case !plan.URL.IsNull():
			name, err := urlFileName(plan.URL.ValueString())
			if err != nil {
				return // the url validator has reported it
			}
			// An imported package carries the name the management center
			// lists; another spelling of it is not a change worth a diff.
			if state != nil && !state.FileName.IsNull() && samePackage(cat, state.FileName.ValueString(), name) {
				name = state.FileName.ValueString()
			}
			plan.FileName = types.StringValue(name)
		}
	}

	if state != nil {
		switch {
		case plan.FileName.IsUnknown():
			resp.RequiresReplace = append(resp.RequiresReplace, fwpath.Root("file_name"))
		case !samePackage(cat, state.FileName.ValueString(), plan.FileName.ValueString()):
			resp.RequiresReplace = append(resp.RequiresReplace, fwpath.Root("file_name"))
		}
	}

	if name := knownString(plan.FileName); name != "" {
		if p, err := cat.ParsePackageFilename(name); err == nil {
			resp.Diagnostics.Append(setPackageFacts(ctx, &plan, p)...)
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// urlRequiresReplace re-registers a pointer whose URL changed, but only one
// this resource registered: a package adopted or imported without url is
// already on the management center, and recording its url must not delete it.
func urlRequiresReplace(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull()
}

// caCertificatesRequireReplace re-registers a pointer when the set of
// certificates changes; reformatting the PEM text (a trailing newline from a
// heredoc, reordered blocks) does not.
func caCertificatesRequireReplace(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	var stateURL types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, fwpath.Root("url"), &stateURL)...)
	if resp.Diagnostics.HasError() || stateURL.IsNull() {
		return
	}
	if req.PlanValue.IsUnknown() {
		resp.RequiresReplace = true
		return
	}
	resp.RequiresReplace = !sameCertificates(req.StateValue.ValueString(), req.PlanValue.ValueString())
}

func (r *upgradePackageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan upgradePackageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.client(&resp.Diagnostics)
	cat := r.catalog()
	if client == nil || cat == nil {
		return
	}
	if plan.FileName.IsNull() || plan.FileName.IsUnknown() {
		name, err := urlFileName(plan.URL.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(fwpath.Root("url"), "Invalid package URL", err.Error())
			return
		}
		plan.FileName = types.StringValue(name)
	}
	fileName := plan.FileName.ValueString()
	names, err := packageSpellings(cat, fileName)
	if err != nil {
		resp.Diagnostics.AddAttributeError(fwpath.Root("file_name"), "Unrecognised upgrade package file name", err.Error())
		return
	}
	parsed, _ := cat.ParsePackageFilename(fileName)
	resp.Diagnostics.Append(setPackageFacts(ctx, &plan, parsed)...)

	tflog.Info(ctx, "looking for the upgrade package on the management center", map[string]any{"file_name": fileName, "spellings": names})
	pkg, found, err := client.FindUpgradePackage(ctx, names...)
	if err != nil {
		resp.Diagnostics.AddError("Reading the management center's upgrade packages failed", err.Error())
		return
	}
	if found {
		tflog.Info(ctx, "adopting the upgrade package the management center already lists", map[string]any{
			"file_name": fileName, "listed_as": pkg.FileName(), "id": pkg.ID})
	} else {
		pkg = r.register(ctx, client, plan, names, &resp.Diagnostics)
		if pkg == nil {
			return
		}
		// The registration answer may describe the package only in part.
		if full, err := client.GetUpgradePackage(ctx, pkg.ID); err == nil {
			pkg = full
		}
	}

	plan.ID = types.StringValue(pkg.ID)
	r.refresh(ctx, client, &plan, pkg, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// register puts a pointer to the internal server on the management center,
// or explains what to do when it cannot. It returns nil after reporting an
// error.
func (r *upgradePackageResource) register(ctx context.Context, client *fmc.Client, plan upgradePackageModel, names []string, diags *diag.Diagnostics) *fmc.UpgradePackage {
	fileName := plan.FileName.ValueString()
	if plan.URL.IsNull() {
		diags.AddAttributeError(fwpath.Root("file_name"), "Upgrade package not on the management center",
			fmt.Sprintf("The management center lists no package named %s%s. Upload it (System > Product Upgrades > "+
				"Add Upgrade Package), or set url to register it from an internal server, then apply again.",
				fileName, otherSpellings(names)))
		return nil
	}
	rawURL := plan.URL.ValueString()
	caPEM := plan.CACertificates.ValueString()
	redacted := redactURL(rawURL)

	if plan.VerifyURL.ValueBool() {
		tflog.Info(ctx, "verifying the package URL before registering it", map[string]any{"url": redacted})
		size, err := verifyPackageURL(ctx, rawURL, caPEM)
		if err != nil {
			diags.AddAttributeError(fwpath.Root("url"), "Package URL check failed",
				err.Error()+". Fix the URL, the server or ca_certificates; or set verify_url = false when Terraform "+
					"runs where the internal server is not reachable.")
			return nil
		}
		if size < 0 {
			diags.AddAttributeWarning(fwpath.Root("url"), "Package size unknown",
				fmt.Sprintf("%s answered without saying how large the file is, so verify_url could only check that it is reachable.", redacted))
		}
		tflog.Info(ctx, "package URL answered", map[string]any{"url": redacted, "size": size})
	}

	tflog.Info(ctx, "registering the upgrade package pointer", map[string]any{"file_name": fileName, "url": redacted})
	reg, err := client.RegisterPackageURL(ctx, rawURL, caPEM)
	if err != nil {
		addRegistrationError(err, fileName, diags)
		return nil
	}
	switch {
	case reg.Package != nil && reg.Package.ID != "":
		tflog.Info(ctx, "management center registered the package", map[string]any{"id": reg.Package.ID, "recovered": reg.Recovered})
		return reg.Package
	case reg.Task != nil && reg.Task.ID != "":
		tflog.Info(ctx, "waiting for the management center to register the package", map[string]any{"task": reg.Task.ID})
		if _, err := client.WaitTask(ctx, reg.Task.ID, fmc.PollOptions{Interval: r.data.PollInterval}); err != nil {
			diags.AddError("Registering the upgrade package failed",
				fmt.Sprintf("The management center's task %s registering %s did not succeed: %v. Applying again adopts the "+
					"package if the management center lists it by then.", reg.Task.ID, fileName, err))
			return nil
		}
	}
	pkg, found, err := client.FindUpgradePackage(ctx, names...)
	switch {
	case err != nil:
		diags.AddError("Reading the management center's upgrade packages failed",
			fmt.Sprintf("The management center accepted %s, but listing its packages failed: %v. Applying again adopts it.", fileName, err))
		return nil
	case !found:
		diags.AddError("Registered package not listed",
			fmt.Sprintf("The management center accepted %s from %s but does not list it. Check System > Product Upgrades; "+
				"applying again adopts the package once it is listed.", fileName, redacted))
		return nil
	}
	return pkg
}

// addRegistrationError turns a refused registration into what the operator
// does next.
func addRegistrationError(err error, fileName string, diags *diag.Diagnostics) {
	var amb *fmc.AmbiguousError
	var api *fmc.APIError
	switch {
	case errors.Is(err, fmc.ErrPackageRegistrationUnsupported):
		diags.AddError("Management center cannot register the package by URL",
			fmt.Sprintf("%v.\n\nAfter adding it in the web interface (%s), apply again: the resource adopts the package "+
				"by file name. Or import it:\n  terraform import fmcupgrade_upgrade_package.<name> %s",
				err, manualRegistrationStep, fileName))
	case errors.As(err, &amb):
		diags.AddError("Registering the upgrade package: outcome unknown",
			fmt.Sprintf("%v. The management center may have registered %s; applying again adopts it if so, and never "+
				"registers it twice.", err, fileName))
	case errors.As(err, &api):
		diags.AddAttributeError(fwpath.Root("url"), "Management center refused the package URL", err.Error())
	default:
		diags.AddAttributeError(fwpath.Root("url"), "Registering the upgrade package failed", err.Error())
	}
}

func (r *upgradePackageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state upgradePackageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.client(&resp.Diagnostics)
	if client == nil {
		return
	}
	pkg, err := client.GetUpgradePackage(ctx, state.ID.ValueString())
	if fmc.IsNotFound(err) {
		tflog.Warn(ctx, "upgrade package removed outside Terraform; it will be planned for creation", map[string]any{
			"id": state.ID.ValueString(), "file_name": state.FileName.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading the upgrade package failed", err.Error())
		return
	}
	if state.VerifyURL.IsNull() {
		state.VerifyURL = types.BoolValue(false)
	}
	if cat := r.catalog(); cat != nil {
		if p, err := cat.ParsePackageFilename(state.FileName.ValueString()); err == nil {
			resp.Diagnostics.Append(setPackageFacts(ctx, &state, p)...)
		}
	}
	if r.refresh(ctx, client, &state, pkg, &resp.Diagnostics) {
		tflog.Warn(ctx, "upgrade package removed outside Terraform; it will be planned for creation", map[string]any{
			"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update records what changed without touching the management center:
// another spelling of the same file, url or ca_certificates on an adopted
// package, verify_url. Everything that needs a new package replaces it.
func (r *upgradePackageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state upgradePackageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.client(&resp.Diagnostics)
	if client == nil {
		return
	}
	plan.ID = state.ID
	pkg, err := client.GetUpgradePackage(ctx, state.ID.ValueString())
	if fmc.IsNotFound(err) {
		resp.Diagnostics.AddError("Upgrade package removed outside Terraform",
			fmt.Sprintf("The management center no longer lists package %s (%s). Run the plan again: refresh notices "+
				"and plans to create it.", state.FileName.ValueString(), state.ID.ValueString()))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading the upgrade package failed", err.Error())
		return
	}
	// The plan promised the size from the last refresh; keep that promise.
	size := plan.FileSize
	r.refresh(ctx, client, &plan, pkg, &resp.Diagnostics)
	if !size.IsUnknown() {
		plan.FileSize = size
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *upgradePackageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state upgradePackageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.client(&resp.Diagnostics)
	if client == nil {
		return
	}
	tflog.Info(ctx, "deleting the upgrade package from the management center", map[string]any{
		"id": state.ID.ValueString(), "file_name": state.FileName.ValueString()})
	if err := client.DeleteUpgradePackage(ctx, state.ID.ValueString()); err != nil {
		resp.Diagnostics.AddError("Deleting the upgrade package failed",
			fmt.Sprintf("The management center did not delete %s (%s): %v. A package an upgrade is using, or needs to "+
				"retry a failed one, cannot be deleted until that upgrade ends.", state.FileName.ValueString(), state.ID.ValueString(), err))
	}
}

// ImportState takes the package's id or a file name in any spelling; the
// file name is what a user reads on the Product Upgrades page.
func (r *upgradePackageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	client := r.client(&resp.Diagnostics)
	cat := r.catalog()
	if client == nil || cat == nil {
		return
	}
	ref := strings.TrimSpace(req.ID)
	var pkg *fmc.UpgradePackage
	fileName := ref
	if names, err := packageSpellings(cat, ref); err == nil {
		p, found, err := client.FindUpgradePackage(ctx, names...)
		if err != nil {
			resp.Diagnostics.AddError("Reading the management center's upgrade packages failed", err.Error())
			return
		}
		if !found {
			resp.Diagnostics.AddError("Upgrade package not found",
				fmt.Sprintf("The management center lists no package named %s%s.", ref, otherSpellings(names)))
			return
		}
		pkg = p
	} else {
		p, gerr := client.GetUpgradePackage(ctx, ref)
		if gerr != nil {
			detail := fmt.Sprintf("%q is neither the id of an upgrade package on the management center (%v) nor a package "+
				"file name the catalog reads (%v). Import by the id the API shows or by the file name, e.g. "+
				"Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar.", ref, gerr, err)
			resp.Diagnostics.AddError("Upgrade package not found", detail)
			return
		}
		pkg = p
		fileName = pkg.FileName()
		if _, err := cat.ParsePackageFilename(fileName); err != nil {
			resp.Diagnostics.AddError("Unrecognised upgrade package",
				fmt.Sprintf("Package %s is listed as %q, which the catalog cannot read: %v. Add its family with the "+
					"provider's catalog_file.", ref, fileName, err))
			return
		}
	}
	tflog.Info(ctx, "importing upgrade package", map[string]any{"id": pkg.ID, "file_name": fileName})
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, fwpath.Root("id"), pkg.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, fwpath.Root("file_name"), fileName)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, fwpath.Root("verify_url"), false)...)
}

// refresh fills what the management center reports. The package is already
// in place when it runs, so a failure to read the applicable devices is a
// warning: an error would taint the resource, and replacing it would delete a
// package that may have been uploaded by hand. It reports whether the
// package has disappeared meanwhile.
func (r *upgradePackageResource) refresh(ctx context.Context, client *fmc.Client, m *upgradePackageModel, pkg *fmc.UpgradePackage, diags *diag.Diagnostics) (gone bool) {
	m.FileSize = types.Int64Null()
	if size := int64(pkg.Metadata.FileSize); size > 0 {
		m.FileSize = types.Int64Value(size)
	}
	devices, err := client.ApplicableDevices(ctx, pkg.ID)
	if fmc.IsNotFound(err) {
		m.ApplicableDeviceIDs = types.ListNull(types.StringType)
		return true
	}
	if err != nil {
		diags.AddWarning("Applicable devices unknown",
			fmt.Sprintf("Reading the devices package %s applies to failed: %v. The next refresh reads them again.", pkg.ID, err))
		m.ApplicableDeviceIDs = types.ListNull(types.StringType)
		return false
	}
	ids := make([]string, 0, len(devices))
	for _, d := range devices {
		if d.ID != "" && !slices.Contains(ids, d.ID) {
			ids = append(ids, d.ID)
		}
	}
	sort.Strings(ids)
	list, d := types.ListValueFrom(ctx, types.StringType, ids)
	diags.Append(d...)
	m.ApplicableDeviceIDs = list
	return false
}

// setPackageFacts copies what the file name says into the model.
func setPackageFacts(ctx context.Context, m *upgradePackageModel, p catalog.ParsedPackage) diag.Diagnostics {
	m.Product = types.StringValue(p.Product)
	m.Kind = types.StringValue(p.Kind)
	m.Version = types.StringValue(p.Version.String())
	m.Build = nullableInt64(p.Version.Build)
	m.Platform = types.StringNull()
	if len(p.Families) == 1 {
		m.Platform = types.StringValue(p.Families[0])
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, nonNilStrings(p.Families))
	m.Platforms = list
	return diags
}

// packageSpellings lists every name a package may carry on the management
// center, the given one first.
func packageSpellings(cat *catalog.Catalog, name string) ([]string, error) {
	name = strings.TrimSpace(name)
	p, err := cat.ParsePackageFilename(name)
	if err != nil {
		return nil, err
	}
	if p.Product == catalog.ProductChassis {
		return nil, fmt.Errorf("%s is an FXOS bundle, installed through the chassis manager rather than the management center", name)
	}
	names := []string{name}
	add := func(n string) {
		if n != "" && !slices.ContainsFunc(names, func(o string) bool { return strings.EqualFold(o, n) }) {
			names = append(names, n)
		}
	}
	add(p.Canonical)
	for _, id := range p.Families {
		f, ok := cat.Family(id)
		if !ok {
			continue
		}
		if pn, err := cat.PackageName(f, p.Version, p.Hotfix); err == nil {
			add(pn.FileName)
			for _, a := range pn.Alternates {
				add(a)
			}
		}
	}
	return names, nil
}

// otherSpellings renders the spellings after the first for messages.
func otherSpellings(names []string) string {
	if len(names) < 2 {
		return ""
	}
	return " (nor " + strings.Join(names[1:], ", ") + ")"
}

// samePackage reports whether two names are spellings of one package.
func samePackage(cat *catalog.Catalog, a, b string) bool {
	pa, errA := cat.ParsePackageFilename(a)
	pb, errB := cat.ParsePackageFilename(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return sameParsedPackage(pa, pb)
}

func sameParsedPackage(a, b catalog.ParsedPackage) bool {
	return a.Product == b.Product && a.Kind == b.Kind && a.Hotfix == b.Hotfix &&
		a.Version == b.Version && a.FXOS == b.FXOS && slices.Equal(a.Families, b.Families)
}

// urlFileName is the package file name at the end of a URL's path.
func urlFileName(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// The parser's message repeats the URL, password included.
		return "", fmt.Errorf("not a URL: %v", unwrapURLError(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("%s must start with https:// or http://", redactURL(raw))
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("%s names no server", redactURL(raw))
	}
	name := path.Base(u.Path)
	if u.Path == "" || strings.HasSuffix(u.Path, "/") || name == "/" || name == "." {
		return "", fmt.Errorf("%s must end in the package file name, e.g. https://repo.example.com/ftd/Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar", redactURL(raw))
	}
	return name, nil
}

// redactURL hides a password in messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// knownString is the value of a configured, known string, or "".
func knownString(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return ""
	}
	return v.ValueString()
}

// stringCheck is a string validator made of a description and a check;
// null and unknown values pass, so the check sees only what was configured.
type stringCheck struct {
	description string
	check       func(value string, at fwpath.Path, diags *diag.Diagnostics)
}

func (c stringCheck) Description(_ context.Context) string { return c.description }

func (c stringCheck) MarkdownDescription(_ context.Context) string { return c.description }

func (c stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	c.check(req.ConfigValue.ValueString(), req.Path, &resp.Diagnostics)
}

// packageURLValidator checks what can be checked without the catalog.
var packageURLValidator = stringCheck{
	description: "must be an http:// or https:// URL ending in the package file name",
	check: func(value string, at fwpath.Path, diags *diag.Diagnostics) {
		if _, err := urlFileName(value); err != nil {
			diags.AddAttributeError(at, "Invalid package URL",
				err.Error()+". The management center and the devices fetch the package over HTTP or HTTPS (PKG-2).")
		}
	},
}

// pemCertificatesValidator checks ca_certificates at plan time, so a pasting
// mistake does not surface only when devices fail to copy the package.
var pemCertificatesValidator = stringCheck{
	description: "must be one or more PEM certificates",
	check: func(value string, at fwpath.Path, diags *diag.Diagnostics) {
		certs, err := parsePEMCertificates(value)
		if err != nil {
			diags.AddAttributeError(at, "Invalid CA certificates",
				err.Error()+". Paste each certificate whole, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----, "+
					"for example with file(\"${path.module}/repo-ca.pem\").")
			return
		}
		now := time.Now()
		for i, c := range certs {
			if now.After(c.NotAfter) {
				diags.AddAttributeWarning(at, "Expired CA certificate",
					fmt.Sprintf("Certificate %d (%s) expired on %s; downloads that rely on it will fail.",
						i+1, c.Subject.String(), c.NotAfter.UTC().Format(time.DateOnly)))
			}
		}
	},
}

// parsePEMCertificates reads PEM text that must hold certificates only.
func parsePEMCertificates(text string) ([]*x509.Certificate, error) {
	rest := []byte(text)
	var certs []*x509.Certificate
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		n := len(certs) + 1
		if block.Type != "CERTIFICATE" {
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, fmt.Errorf("PEM block %d is a private key; only the CA certificates belong here (and a key pasted into a configuration should be replaced)", n)
			}
			return nil, fmt.Errorf("PEM block %d is a %q block, not a CERTIFICATE", n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %v", n, err)
		}
		certs = append(certs, c)
		rest = next
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		if len(certs) == 0 {
			return nil, errors.New("no PEM certificate found")
		}
		return nil, fmt.Errorf("text after certificate %d is not a PEM block", len(certs))
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// sameCertificates compares the certificates two PEM texts hold, ignoring
// formatting and order.
func sameCertificates(a, b string) bool {
	ca, errA := parsePEMCertificates(a)
	cb, errB := parsePEMCertificates(b)
	if errA != nil || errB != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	der := func(certs []*x509.Certificate) []string {
		out := make([]string, len(certs))
		for i, c := range certs {
			out[i] = string(c.Raw)
		}
		sort.Strings(out)
		return slices.Compact(out)
	}
	return slices.Equal(der(ca), der(cb))
}

// verifyPackageURL checks that rawURL serves a file of plausible size,
// trusting only caPEM when it is given. It returns the size, or -1 when the
// server does not say. It never downloads the package.
func verifyPackageURL(ctx context.Context, rawURL, caPEM string) (int64, error) {
	redacted := redactURL(rawURL)
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if strings.TrimSpace(caPEM) != "" {
		certs, err := parsePEMCertificates(caPEM)
		if err != nil {
			return 0, fmt.Errorf("ca_certificates: %v", err)
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		tlsConfig.RootCAs = pool
	}
	client := &http.Client{
		Timeout: verifyTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: verifyTimeout,
		},
	}
	defer client.CloseIdleConnections()

	size, headErr := probePackage(ctx, client, http.MethodHead, rawURL)
	if headErr == nil && size >= 0 {
		return checkPackageSize(redacted, size)
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	var tlsErr *tlsProblem
	if errors.As(headErr, &tlsErr) {
		return 0, headErr
	}
	// Some servers refuse HEAD or leave out the length; a one-byte range
	// request tells the size without downloading the package.
	size, err := probePackage(ctx, client, http.MethodGet, rawURL)
	if err != nil {
		return 0, err
	}
	if size < 0 {
		return -1, nil
	}
	return checkPackageSize(redacted, size)
}

func checkPackageSize(redacted string, size int64) (int64, error) {
	if size < minPackageSize {
		return 0, fmt.Errorf("%s is %d bytes, too small for an upgrade package (they are hundreds of megabytes): "+
			"the server probably answered with an error or login page", redacted, size)
	}
	return size, nil
}

// tlsProblem marks a certificate failure, which a second request would
// only repeat.
type tlsProblem struct{ err error }

func (e *tlsProblem) Error() string { return e.err.Error() }
func (e *tlsProblem) Unwrap() error { return e.err }

// probePackage sends one HEAD, or a GET for the first byte, and returns the
// file's full size (-1 when the answer does not give it).
func probePackage(ctx context.Context, client *http.Client, method, rawURL string) (int64, error) {
	redacted := redactURL(rawURL)
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSpace(rawURL), nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", redacted, err)
	}
	if method == http.MethodGet {
		req.Header.Set("Range", "bytes=0-0")
	}
	req.Header.Set("User-Agent", "terraform-provider-fmcupgrade (verify_url)")
	res, err := client.Do(req)
	if err != nil {
		var unknownCA x509.UnknownAuthorityError
		var hostErr x509.HostnameError
		var invalid x509.CertificateInvalidError
		switch {
		case errors.As(err, &unknownCA):
			return 0, &tlsProblem{fmt.Errorf("%s: the server's certificate does not chain to ca_certificates "+
				"(or, without them, to a CA this machine trusts): %v", redacted, unwrapURLError(err))}
		case errors.As(err, &hostErr):
			return 0, &tlsProblem{fmt.Errorf("%s: the server's certificate is not valid for this host name: %v", redacted, unwrapURLError(err))}
		case errors.As(err, &invalid):
			return 0, &tlsProblem{fmt.Errorf("%s: the server's certificate is not valid: %v", redacted, unwrapURLError(err))}
		}
		return 0, fmt.Errorf("%s is not reachable: %v", redacted, unwrapURLError(err))
	}
	defer func() { _ = res.Body.Close() }()

	if res.StatusCode >= 300 {
		return 0, fmt.Errorf("%s answered %s to %s", redacted, res.Status, method)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return 0, fmt.Errorf("%s answered a web page (%s) rather than the package file: check the path", redacted, mt)
	}
	if res.StatusCode == http.StatusPartialContent {
		if cr := res.Header.Get("Content-Range"); cr != "" {
			if _, total, ok := strings.Cut(cr, "/"); ok && total != "*" {
				if n, err := strconv.ParseInt(strings.TrimSpace(total), 10, 64); err == nil {
					return n, nil
				}
			}
		}
		return -1, nil
	}
	return res.ContentLength, nil
}

// unwrapURLError drops the "Get <url>:" prefix net/http adds, which would
// repeat the URL (password included when the caller's message redacted it).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
