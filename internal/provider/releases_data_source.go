package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

var (
	_ datasource.DataSource              = (*releasesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*releasesDataSource)(nil)
)

// NewReleasesDataSource is the fmcupgrade_releases data source.
func NewReleasesDataSource() datasource.DataSource {
	return &releasesDataSource{}
}

type releasesDataSource struct {
	catalogDataSource
}

type releasesModel struct {
	Product   types.String   `tfsdk:"product"`
	Platform  types.String   `tfsdk:"platform"`
	ID        types.String   `tfsdk:"id"`
	Releases  []releaseModel `tfsdk:"releases"`
	Trains    []trainModel   `tfsdk:"trains"`
	Latest    types.String   `tfsdk:"latest"`
	Suggested types.String   `tfsdk:"suggested"`
}

type releaseModel struct {
	Version     types.String `tfsdk:"version"`
	Train       types.String `tfsdk:"train"`
	Kind        types.String `tfsdk:"kind"`
	Build       types.Int64  `tfsdk:"build"`
	ReleaseDate types.String `tfsdk:"release_date"`
	Products    []string     `tfsdk:"products"`
	Suggested   types.Bool   `tfsdk:"suggested"`
	Verified    types.Bool   `tfsdk:"verified"`
	Source      types.String `tfsdk:"source"`
	Note        types.String `tfsdk:"note"`
}

type trainModel struct {
	Train     types.String `tfsdk:"train"`
	Latest    types.String `tfsdk:"latest"`
	Suggested types.String `tfsdk:"suggested"`
}

func (d *releasesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_releases"
}

func (d *releasesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Lists the management center and threat defense releases of the catalog, with the latest and suggested release of each train.",
		MarkdownDescription: "Lists the management center and threat defense releases the provider's catalog knows " +
			"(including a `catalog_file` overlay), oldest first, optionally only those of one product or those a " +
			"platform family runs (PATH-6). Within each train the suggested release is the one Cisco marks as " +
			"suggested, when an overlay records it, else the latest maintenance release (PATH-5).",
		Attributes: map[string]schema.Attribute{
			"product": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only releases of `management_center` or `threat_defense`. Defaults to the platform's product, or both.",
				Validators: []validator.String{
					stringvalidator.OneOf(catalog.ProductManagementCenter, catalog.ProductThreatDefense),
				},
			},
			"platform": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only releases this platform family runs: " + platformIDs() + ", or a family added by `catalog_file`.",
			},
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`product/platform` of the filter, `all` where not filtered.",
			},
			"releases": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Matching releases, oldest first.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"version": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Version, e.g. `7.6.1` or `7.4.2.1`.",
						},
						"train": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Major.minor train, e.g. `7.6`.",
						},
						"kind": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "`major`, `maintenance` or `patch`.",
						},
						"build": schema.Int64Attribute{
							Computed:            true,
							MarkdownDescription: "Build number (of `product` when filtered); null when the catalog does not know it.",
						},
						"release_date": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Release date (YYYY-MM-DD); null when unknown.",
						},
						"products": schema.ListAttribute{
							Computed:            true,
							ElementType:         types.StringType,
							MarkdownDescription: "Products the release exists for.",
						},
						"suggested": schema.BoolAttribute{
							Computed:            true,
							MarkdownDescription: "True for the suggested release of its train.",
						},
						"verified": schema.BoolAttribute{
							Computed:            true,
							MarkdownDescription: "False when the release is inferred rather than published by Cisco.",
						},
						"source": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Where the catalog has the release from.",
						},
						"note": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Catalog note; null when there is none.",
						},
					},
				},
			},
			"trains": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "One entry per train, oldest first.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"train": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Major.minor train, e.g. `7.6`.",
						},
						"latest": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Newest release of the train, patches included.",
						},
						"suggested": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Suggested release of the train; null when it has none to upgrade to.",
						},
					},
				},
			},
			"latest": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Newest matching release. It may not be reachable from every version: `fmcupgrade_upgrade_path` with `to = \"latest\"` tells.",
			},
			"suggested": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Suggested release overall: the one Cisco marks, else the suggested release of the newest train.",
			},
		},
	}
}

func (d *releasesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m releasesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || anyUnknown(m.Product, m.Platform) {
		return
	}
	cat := d.catalog(&resp.Diagnostics)
	if cat == nil {
		return
	}

	list, err := planner.Releases(cat, m.Product.ValueString(), m.Platform.ValueString())
	if err != nil {
		addPlannerError(&resp.Diagnostics, err, "product", "platform")
		return
	}

	m.ID = types.StringValue(orAll(m.Product.ValueString()) + "/" + orAll(m.Platform.ValueString()))
	m.Releases = make([]releaseModel, 0, len(list.Releases))
	for _, r := range list.Releases {
		m.Releases = append(m.Releases, releaseModel{
			Version:     types.StringValue(r.Version),
			Train:       types.StringValue(r.Train),
			Kind:        types.StringValue(r.Kind),
			Build:       nullableInt64(r.Build),
			ReleaseDate: nullableString(r.ReleaseDate),
			Products:    nonNilStrings(r.Products),
			Suggested:   types.BoolValue(r.Suggested),
			Verified:    types.BoolValue(r.Verified),
			Source:      types.StringValue(r.Source),
			Note:        nullableString(r.Note),
		})
	}
	m.Trains = make([]trainModel, 0, len(list.Trains))
	for _, t := range list.Trains {
		m.Trains = append(m.Trains, trainModel{
			Train:     types.StringValue(t.Train),
			Latest:    types.StringValue(t.Latest),
			Suggested: nullableString(t.Suggested),
		})
	}
	m.Latest = nullableString(list.Latest)
	m.Suggested = nullableString(list.Suggested)

	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}
