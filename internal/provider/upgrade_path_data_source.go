package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

var (
	_ datasource.DataSource              = (*upgradePathDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*upgradePathDataSource)(nil)
)

// NewUpgradePathDataSource is the fmcupgrade_upgrade_path data source.
func NewUpgradePathDataSource() datasource.DataSource {
	return &upgradePathDataSource{}
}

type upgradePathDataSource struct {
	catalogDataSource
}

type upgradePathModel struct {
	Product  types.String `tfsdk:"product"`
	Platform types.String `tfsdk:"platform"`
	From     types.String `tfsdk:"from"`
	To       types.String `tfsdk:"to"`
	ID       types.String `tfsdk:"id"`
	Target   types.String `tfsdk:"target"`
	Hops     []hopModel   `tfsdk:"hops"`
	Versions []string     `tfsdk:"versions"`
	Direct   types.Bool   `tfsdk:"direct"`
	Warnings []string     `tfsdk:"warnings"`
}

type hopModel struct {
	Version             types.String `tfsdk:"version"`
	Build               types.Int64  `tfsdk:"build"`
	Kind                types.String `tfsdk:"kind"`
	ReleaseDate         types.String `tfsdk:"release_date"`
	PackageFilename     types.String `tfsdk:"package_filename"`
	FXOSVersion         types.String `tfsdk:"fxos_version"`
	FXOSMinimum         types.String `tfsdk:"fxos_minimum"`
	FXOSRecommended     types.String `tfsdk:"fxos_recommended"`
	FXOSPackageFilename types.String `tfsdk:"fxos_package_filename"`
	Rules               []string     `tfsdk:"rules"`
	Verified            types.Bool   `tfsdk:"verified"`
}

func (d *upgradePathDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_upgrade_path"
}

func (d *upgradePathDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Computes the upgrade path of a management center, threat defense device or Firepower chassis " +
			"from its current version to a target: each hop with its build, package file and FXOS companion.",
		MarkdownDescription: "Computes the upgrade path of a management center, a threat defense device or a Firepower " +
			"4100/9300 chassis (FXOS) from its current version to a target, offline, from the provider's catalog.\n\n" +
			"Hops follow the direct-upgrade matrix (PATH-1), never land on threat defense 7.4.0 (PATH-2), reach a patch " +
			"only from its own maintenance release (PATH-3), only land on releases that came out after the one left " +
			"(PATH-4), never go back and prefer the fewest hops and then the newest landing points (PATH-5), and stay " +
			"within what the platform family runs (PATH-6). A refused request fails with the rule id and a fix.\n\n" +
			"For threat defense on a Firepower 4100/9300 each major hop names the FXOS version the chassis needs first " +
			"(ORDER-4).",
		Attributes: map[string]schema.Attribute{
			"product": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "What is upgraded: `management_center`, `threat_defense`, or `chassis` (FXOS on a " +
					"Firepower 4100/9300; on a Secure Firewall 3100/4200 in multi-instance mode, the chassis upgrade " +
					"uses the threat defense package).",
				Validators: []validator.String{
					stringvalidator.OneOf(catalog.ProductManagementCenter, catalog.ProductThreatDefense, catalog.ProductChassis),
				},
			},
			"platform": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Platform family id: `management_center` for the management center, otherwise the " +
					"device family. One of " + platformIDs() + ", or a family added by `catalog_file`.",
			},
			"from": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Version running now, e.g. `7.0.6`, `7.4.2.1` or `7.6.1-291`; for `chassis` on a " +
					"Firepower 4100/9300, the FXOS version such as `2.12.0.498` or `2.12(0.498)`.",
			},
			"to": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Target version, or `latest` (newest reachable release) or `suggested` (the release " +
					"Cisco suggests, else the latest maintenance release of the newest reachable train). For FXOS, a " +
					"train such as `2.14` resolves to its latest known build.",
			},
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`product/platform/from->target`.",
			},
			"target": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The resolved target version (what `latest`, `suggested` or an FXOS train became).",
			},
			"hops": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The upgrades to perform, in order. Empty when `from` is already the target.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"version": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Version this hop lands on.",
						},
						"build": schema.Int64Attribute{
							Computed:            true,
							MarkdownDescription: "Build number; null when the catalog does not know it.",
						},
						"kind": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Release kind: `major`, `maintenance`, `patch` or `fxos`.",
						},
						"release_date": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Release date (YYYY-MM-DD); null when unknown.",
						},
						"package_filename": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Upgrade package to download (PKG-1); null when the build is unknown.",
						},
						"fxos_version": schema.StringAttribute{
							Computed: true,
							MarkdownDescription: "FXOS version (train, e.g. `2.14`) the chassis must run before this threat " +
								"defense hop (Firepower 4100/9300, ORDER-4), or the train of a chassis hop; null otherwise.",
						},
						"fxos_minimum": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Oldest FXOS build that is enough, when the catalog records one.",
						},
						"fxos_recommended": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "Latest known FXOS build of that train, which Cisco recommends (for a chassis hop, the build it lands on).",
						},
						"fxos_package_filename": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "FXOS package of `fxos_recommended`, e.g. `fxos-k9.2.14.1.131.SPA`.",
						},
						"rules": schema.ListAttribute{
							Computed:            true,
							ElementType:         types.StringType,
							MarkdownDescription: "Why this hop is planned as it is, one line per rule, each starting with its id.",
						},
						"verified": schema.BoolAttribute{
							Computed:            true,
							MarkdownDescription: "False when any catalog fact behind this hop is inferred rather than published by Cisco.",
						},
					},
				},
			},
			"versions": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The hop versions, in order.",
			},
			"direct": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "True when the target is one upgrade away.",
			},
			"warnings": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "What a reviewer should check: unknown builds, unverified catalog facts, newer releases without a path.",
			},
		},
	}
}

func (d *upgradePathDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m upgradePathModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || anyUnknown(m.Product, m.Platform, m.From, m.To) {
		return
	}
	cat := d.catalog(&resp.Diagnostics)
	if cat == nil {
		return
	}

	p, err := planner.UpgradePath(cat, planner.PathRequest{
		Product:  m.Product.ValueString(),
		Platform: m.Platform.ValueString(),
		From:     m.From.ValueString(),
		To:       m.To.ValueString(),
	})
	if err != nil {
		addPlannerError(&resp.Diagnostics, err, "product", "platform", "from", "to")
		return
	}

	m.ID = types.StringValue(fmt.Sprintf("%s/%s/%s->%s", p.Product, p.Platform, p.From, p.To))
	m.Target = types.StringValue(p.To)
	m.Hops = make([]hopModel, 0, len(p.Hops))
	for _, h := range p.Hops {
		m.Hops = append(m.Hops, hopModel{
			Version:             types.StringValue(h.Version),
			Build:               nullableInt64(h.Build),
			Kind:                types.StringValue(h.Kind),
			ReleaseDate:         nullableString(h.ReleaseDate),
			PackageFilename:     nullableString(h.PackageFilename),
			FXOSVersion:         nullableString(h.FXOSVersion),
			FXOSMinimum:         nullableString(h.FXOSMinimum),
			FXOSRecommended:     nullableString(h.FXOSRecommended),
			FXOSPackageFilename: nullableString(h.FXOSPackageFilename),
			Rules:               nonNilStrings(h.Rules),
			Verified:            types.BoolValue(h.Verified),
		})
	}
	m.Versions = nonNilStrings(p.Versions())
	m.Direct = types.BoolValue(p.Direct())
	m.Warnings = nonNilStrings(p.Warnings)

	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
