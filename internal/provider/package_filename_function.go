package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

var _ function.Function = (*packageFilenameFunction)(nil)

// NewPackageFilenameFunction is the package_filename provider function.
func NewPackageFilenameFunction() function.Function {
	return &packageFilenameFunction{}
}

type packageFilenameFunction struct{}

func (f *packageFilenameFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "package_filename"
}

func (f *packageFilenameFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Names the upgrade package of a platform family and version",
		MarkdownDescription: "Returns the upgrade package file name as Cisco's upgrade guide spells it (PKG-1), e.g. " +
			"`Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar`. A four-part version names a patch. The build comes " +
			"from the embedded catalog unless the version carries it (`7.6.1-291`); use the " +
			"`fmcupgrade_package_filename` data source for hotfixes, FXOS bundles, alternate names or a " +
			"`catalog_file` overlay.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "platform",
				MarkdownDescription: "Platform family id, e.g. `management_center` or `secure_firewall_3100`.",
			},
			function.StringParameter{
				Name:                "version",
				MarkdownDescription: "Version, optionally with its build: `7.6.1`, `7.6.1-291` or `7.4.2.1`.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (f *packageFilenameFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var platform, version string
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &platform, &version))
	if resp.Error != nil {
		return
	}
	cat, ferr := defaultCatalog()
	if ferr != nil {
		resp.Error = ferr
		return
	}
	res, err := planner.PackageFilename(cat, planner.PackageRequest{Platform: platform, Version: version})
	if err != nil {
		resp.Error = funcError(err, "platform", "version")
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, res.FileName))
}
