package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

var _ function.Function = (*compareVersionsFunction)(nil)

// NewCompareVersionsFunction is the compare_versions provider function.
func NewCompareVersionsFunction() function.Function {
	return &compareVersionsFunction{}
}

type compareVersionsFunction struct{}

func (f *compareVersionsFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "compare_versions"
}

func (f *compareVersionsFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Orders two management center or threat defense versions",
		MarkdownDescription: "Returns `-1` when `a` is older than `b`, `0` when they are the same version and `1` when " +
			"`a` is newer. Versions compare numerically part by part, so `7.10.0` is newer than `7.9.0`, and a patch " +
			"such as `7.4.2.1` is newer than `7.4.2`. Builds (`7.6.1-291`) count only when both sides give one.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "a",
				MarkdownDescription: "First version, e.g. `7.4.2.1` or `7.6.1-291`.",
			},
			function.StringParameter{
				Name:                "b",
				MarkdownDescription: "Second version.",
			},
		},
		Return: function.Int64Return{},
	}
}

func (f *compareVersionsFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var a, b string
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &a, &b))
	if resp.Error != nil {
		return
	}
	c, err := planner.CompareVersions(a, b)
	if err != nil {
		resp.Error = funcError(err, "a", "b")
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, int64(c)))
}
