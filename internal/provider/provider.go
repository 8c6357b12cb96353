// Package provider is the Terraform glue of the fmcupgrade provider: schemas,
// diagnostics and type conversion. Every upgrade decision comes from the
// planner package.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

var (
	_ provider.Provider              = (*fmcupgradeProvider)(nil)
	_ provider.ProviderWithFunctions = (*fmcupgradeProvider)(nil)
)

// New returns the provider factory for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &fmcupgradeProvider{version: version}
	}
}

type fmcupgradeProvider struct {
	version string
}

type providerModel struct {
	CatalogFile types.String `tfsdk:"catalog_file"`
}

// providerData is what data sources and resources receive from Configure.
type providerData struct {
	Catalog *catalog.Catalog
}

func (p *fmcupgradeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "fmcupgrade"
	resp.Version = p.version
}

func (p *fmcupgradeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Plans Cisco Secure Firewall upgrades (management center, threat defense, Firepower chassis FXOS): " +
			"upgrade paths, package file names and the release catalog, offline.",
		MarkdownDescription: "Plans Cisco Secure Firewall upgrades — management center (FMC), threat defense (FTD) " +
			"and the FXOS of Firepower 4100/9300 chassis — from an embedded release catalog. " +
			"The planning data sources and functions need no management center and no network access, " +
			"so `terraform plan` can show every hop, package file and FXOS companion for review.",
		Attributes: map[string]schema.Attribute{
			"catalog_file": schema.StringAttribute{
				Optional: true,
				Description: "Path to a JSON file in the catalog format that is merged over the embedded catalog, " +
					"to add releases, builds and dates without a new provider version.",
				MarkdownDescription: "Path to a JSON file in the catalog format that is merged over the embedded catalog, " +
					"to add releases, builds and dates without waiting for a new provider version. " +
					"Releases merge field by field by `version`. The path must be known at plan time, " +
					"because the planning data sources are read during plan.",
			},
		},
	}
}

func (p *fmcupgradeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.CatalogFile.IsUnknown() {
		// Loading now would plan against the wrong catalog; data sources
		// report the unknown path if Terraform reads them anyway.
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
		}
		return
	}

	var (
		cat *catalog.Catalog
		err error
	)
	if file := cfg.CatalogFile.ValueString(); file != "" {
		cat, err = catalog.LoadOverlay(file)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("catalog_file"), "Invalid catalog overlay", err.Error())
			return
		}
	} else {
		cat, err = catalog.Default()
		if err != nil {
			resp.Diagnostics.AddError("Embedded catalog unreadable", err.Error())
			return
		}
	}

	data := &providerData{Catalog: cat}
	resp.DataSourceData = data
	resp.ResourceData = data
}

func (p *fmcupgradeProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewUpgradePathDataSource,
		NewPackageFilenameDataSource,
		NewReleasesDataSource,
	}
}

func (p *fmcupgradeProvider) Resources(_ context.Context) []func() resource.Resource {
	return nil
}

func (p *fmcupgradeProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewUpgradePathFunction,
		NewPackageFilenameFunction,
		NewCompareVersionsFunction,
	}
}
