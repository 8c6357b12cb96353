// Package provider is the Terraform glue of the fmcupgrade provider: schemas,
// diagnostics and type conversion. Every upgrade decision comes from the
// planner package.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
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
	CatalogFile       types.String `tfsdk:"catalog_file"`
	URL               types.String `tfsdk:"url"`
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	Domain            types.String `tfsdk:"domain"`
	CACertificate     types.String `tfsdk:"ca_certificate"`
	Insecure          types.Bool   `tfsdk:"insecure"`
	RequestsPerMinute types.Int64  `tfsdk:"requests_per_minute"`
	PollInterval      types.String `tfsdk:"poll_interval"`
}

// Environment variables the connection arguments fall back to.
const (
	envURL      = "FMC_URL"
	envUsername = "FMC_USERNAME"
	envPassword = "FMC_PASSWORD"
	envDomain   = "FMC_DOMAIN"
)

// defaultPollInterval paces task polling when poll_interval is not set.
const defaultPollInterval = 15 * time.Second

// providerData is what data sources and resources receive from Configure.
type providerData struct {
	Catalog *catalog.Catalog
	// FMC is nil when no management center is configured; NoFMC then says
	// why, for the data sources that need one.
	FMC          *fmc.Client
	NoFMC        string
	PollInterval time.Duration
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
			"url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Management center address, `https://host[:port]`. Falls back to `" + envURL + "`. " +
					"Only the live data sources need it; planning works without.",
			},
			"username": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "API user. Falls back to `" + envUsername + "`.",
			},
			"password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "API password. Falls back to `" + envPassword + "`. Never logged.",
			},
			"domain": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Domain by name (`Global`, `Global/DataCenter`) or UUID. Falls back to `" + envDomain +
					"`, then `Global`.",
			},
			"ca_certificate": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "PEM certificates of the CA that signs the management center's certificate; when set, " +
					"only these are trusted. TLS is always verified unless `insecure` is set.",
			},
			"insecure": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip TLS certificate verification. Only for labs: the provider warns on every run.",
			},
			"requests_per_minute": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Client-side rate limit, so the management center never has to answer 429. " +
					"Default 120, the management center's own limit; 7.4.1 and later may allow more.",
				Validators: []validator.Int64{int64validator.Between(1, 100000)},
			},
			"poll_interval": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "How often long operations poll the management center, as a Go duration " +
					"(`15s`, `1m`). Default `15s`; polling backs off from it.",
			},
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
	p.configureFMC(cfg, data, resp)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.DataSourceData = data
	resp.ResourceData = data
}

// configureFMC builds the management center client when a connection is
// configured. It never contacts the management center: only the live data
// sources and resources do, when they are read.
func (p *fmcupgradeProvider) configureFMC(cfg providerModel, data *providerData, resp *provider.ConfigureResponse) {
	data.PollInterval = defaultPollInterval
	if !cfg.PollInterval.IsNull() && !cfg.PollInterval.IsUnknown() {
		d, err := time.ParseDuration(cfg.PollInterval.ValueString())
		if err != nil || d < time.Second {
			resp.Diagnostics.AddAttributeError(path.Root("poll_interval"), "Invalid poll interval",
				fmt.Sprintf("%q is not a duration of at least one second, such as \"15s\" or \"1m\".", cfg.PollInterval.ValueString()))
			return
		}
		data.PollInterval = d
	}
	for _, v := range []attr.Value{cfg.URL, cfg.Username, cfg.Password, cfg.Domain, cfg.CACertificate, cfg.Insecure, cfg.RequestsPerMinute} {
		if v.IsUnknown() {
			data.NoFMC = "The management center connection is not known until apply (a provider argument depends on a resource that is not created yet)."
			return
		}
	}
	url := stringOrEnv(cfg.URL, envURL)
	if url == "" {
		data.NoFMC = "No management center is configured: set the provider's url, username and password (or " +
			envURL + ", " + envUsername + " and " + envPassword + ")."
		return
	}
	user, pass := stringOrEnv(cfg.Username, envUsername), stringOrEnv(cfg.Password, envPassword)
	if user == "" {
		resp.Diagnostics.AddAttributeError(path.Root("username"), "Missing username",
			"A management center url is set, so a username is needed too: set username or "+envUsername+".")
	}
	if pass == "" {
		resp.Diagnostics.AddAttributeError(path.Root("password"), "Missing password",
			"A management center url is set, so a password is needed too: set password or "+envPassword+".")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Insecure.ValueBool() {
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure"), "TLS verification is off",
			"The management center's certificate is not verified, so anyone on the path can read the credentials. "+
				"Set ca_certificate instead.")
	}
	client, err := fmc.New(fmc.Config{
		URL:               url,
		Username:          user,
		Password:          pass,
		Domain:            stringOrEnv(cfg.Domain, envDomain),
		CACertificatePEM:  cfg.CACertificate.ValueString(),
		Insecure:          cfg.Insecure.ValueBool(),
		RequestsPerMinute: int(cfg.RequestsPerMinute.ValueInt64()),
		UserAgent:         "terraform-provider-fmcupgrade/" + p.version,
		Logger: func(ctx context.Context, msg string, fields map[string]any) {
			tflog.Debug(ctx, msg, fields)
		},
	})
	if err != nil {
		// The client names the argument at fault in its messages.
		attribute := path.Root("url")
		if strings.HasPrefix(err.Error(), "fmc: ca_certificate") {
			attribute = path.Root("ca_certificate")
		}
		resp.Diagnostics.AddAttributeError(attribute, "Invalid management center connection", err.Error())
		return
	}
	data.FMC = client
}

func stringOrEnv(v types.String, env string) string {
	if s := v.ValueString(); s != "" {
		return s
	}
	return os.Getenv(env)
}

func (p *fmcupgradeProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewUpgradePathDataSource,
		NewPackageFilenameDataSource,
		NewReleasesDataSource,
		NewInventoryDataSource,
		NewUpgradePlanDataSource,
		NewReadinessDataSource,
	}
}

func (p *fmcupgradeProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewUpgradePackageResource,
		NewDeviceUpgradeResource,
		NewChassisUpgradeResource,
	}
}

func (p *fmcupgradeProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewUpgradePathFunction,
		NewPackageFilenameFunction,
		NewCompareVersionsFunction,
	}
}
