package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

var _ function.Function = (*upgradePathFunction)(nil)

// NewUpgradePathFunction is the upgrade_path provider function.
func NewUpgradePathFunction() function.Function {
	return &upgradePathFunction{}
}

type upgradePathFunction struct{}

func (f *upgradePathFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "upgrade_path"
}

func (f *upgradePathFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Lists the versions an upgrade goes through",
		MarkdownDescription: "Returns the hop versions, in order, of the upgrade from `from` to `to` under the rules " +
			"PATH-1 to PATH-6, the same path as the `fmcupgrade_upgrade_path` data source computes. A refused " +
			"upgrade fails with the rule id and a fix. Functions cannot see the provider configuration, so they " +
			"always use the embedded catalog, never a `catalog_file` overlay.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "product",
				MarkdownDescription: "`management_center`, `threat_defense` or `chassis`.",
			},
			function.StringParameter{
				Name:                "platform",
				MarkdownDescription: "Platform family id, e.g. `management_center` or `firepower_4100`.",
			},
			function.StringParameter{
				Name:                "from",
				MarkdownDescription: "Version running now, e.g. `7.0.6` (an FXOS version for `chassis` on a Firepower 4100/9300).",
			},
			function.StringParameter{
				Name:                "to",
				MarkdownDescription: "Target version, `latest` or `suggested`.",
			},
		},
		Return: function.ListReturn{ElementType: types.StringType},
	}
}

func (f *upgradePathFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var product, platform, from, to string
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &product, &platform, &from, &to))
	if resp.Error != nil {
		return
	}
	cat, ferr := defaultCatalog()
	if ferr != nil {
		resp.Error = ferr
		return
	}
	p, err := planner.UpgradePath(cat, planner.PathRequest{Product: product, Platform: platform, From: from, To: to})
	if err != nil {
		resp.Error = funcError(err, "product", "platform", "from", "to")
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, nonNilStrings(p.Versions())))
}
