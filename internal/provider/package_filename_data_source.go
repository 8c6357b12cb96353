package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

var (
	_ datasource.DataSource              = (*packageFilenameDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*packageFilenameDataSource)(nil)
)

// NewPackageFilenameDataSource is the fmcupgrade_package_filename data source.
func NewPackageFilenameDataSource() datasource.DataSource {
	return &packageFilenameDataSource{}
}

type packageFilenameDataSource struct {
	catalogDataSource
}

type packageFilenameModel struct {
	Platform           types.String `tfsdk:"platform"`
	Version            types.String `tfsdk:"version"`
	Build              types.Int64  `tfsdk:"build"`
	Kind               types.String `tfsdk:"kind"`
	Hotfix             types.String `tfsdk:"hotfix"`
	ID                 types.String `tfsdk:"id"`
	FileName           types.String `tfsdk:"file_name"`
	AlternateFileNames []string     `tfsdk:"alternate_file_names"`
	ResolvedVersion    types.String `tfsdk:"resolved_version"`
	Verified           types.Bool   `tfsdk:"verified"`
	Source             types.String `tfsdk:"source"`
	Warnings           []string     `tfsdk:"warnings"`
}

func (d *packageFilenameDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_package_filename"
}

func (d *packageFilenameDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Names the upgrade package file of a platform family and version, and the other names the same package may carry.",
		MarkdownDescription: "Names the upgrade package to download for a platform family and version, as Cisco's upgrade " +
			"guide spells it (PKG-1): `…-<version>-<build>.sh.REL.tar` for management center and threat defense " +
			"upgrades, patches and hotfixes, `fxos-k9.<version>.SPA` for Firepower 4100/9300 chassis bundles. " +
			"The same package can appear with `_FP3K`/`-FP3K` spellings and as `.sh` on the management center; " +
			"`alternate_file_names` lists those names so that a package already uploaded can be recognised.",
		Attributes: map[string]schema.Attribute{
			"platform": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Platform family id: " + platformIDs() + ", or a family added by `catalog_file`.",
			},
			"version": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Version of the package: `7.6.1`, `7.6.1-291` (with its build), `7.4.2.1` (a patch), " +
					"the hotfix label such as `7.6.4.1-2` for `kind = \"hotfix\"`, or an FXOS version such as " +
					"`2.14.1.131` for `kind = \"fxos\"`.",
			},
			"build": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Build number. Give it when the catalog does not know the build; it must agree with " +
					"a build given in `version`. Computed from the catalog otherwise.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"kind": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Package kind: `upgrade`, `patch`, `hotfix` or `fxos`. By default a four-part " +
					"version is a patch and anything else an upgrade.",
				Validators: []validator.String{
					stringvalidator.OneOf(catalog.KindUpgrade, catalog.KindPatch, catalog.KindHotfix, planner.KindFXOS),
				},
			},
			"hotfix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Hotfix code from Cisco's download page, e.g. `DD`; only with `kind = \"hotfix\"`.",
				Validators: []validator.String{
					stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9]+$`), "must be the hotfix code, letters and digits only, e.g. DD"),
				},
			},
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Same as `file_name`.",
			},
			"file_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The package file name as the upgrade guide spells it: the one to download.",
			},
			"alternate_file_names": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Other names of the same package: other platform spellings and the `.sh` name the management center lists.",
			},
			"resolved_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The version the name was built for, without its build (for FXOS, the full version with its build).",
			},
			"verified": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "False when the build or the naming pattern is inferred rather than published by Cisco.",
			},
			"source": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Where the naming pattern comes from.",
			},
			"warnings": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "What a reviewer should check, e.g. an unverified build or a hotfix that must be uploaded by hand.",
			},
		},
	}
}

func (d *packageFilenameDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m packageFilenameModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || anyUnknown(m.Platform, m.Version, m.Build, m.Kind, m.Hotfix) {
		return
	}
	cat := d.catalog(&resp.Diagnostics)
	if cat == nil {
		return
	}

	res, err := planner.PackageFilename(cat, planner.PackageRequest{
		Platform: m.Platform.ValueString(),
		Version:  m.Version.ValueString(),
		Build:    int(m.Build.ValueInt64()),
		Kind:     m.Kind.ValueString(),
		Hotfix:   m.Hotfix.ValueString(),
	})
	if err != nil {
		addPlannerError(&resp.Diagnostics, err, "platform", "version", "build", "kind", "hotfix")
		return
	}

	m.ID = types.StringValue(res.FileName)
	m.FileName = types.StringValue(res.FileName)
	m.AlternateFileNames = nonNilStrings(res.Alternates)
	m.Build = nullableInt64(res.Build)
	m.Kind = types.StringValue(res.Kind)
	m.ResolvedVersion = types.StringValue(res.Version)
	m.Verified = types.BoolValue(res.Verified)
	m.Source = types.StringValue(res.Source)
	m.Warnings = nonNilStrings(res.Warnings)

	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
