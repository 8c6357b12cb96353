package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func TestAccCompareVersionsFunction(t *testing.T) {
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{
			tfversion.SkipBelow(tfversion.Version1_8_0),
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "older" {
  value = provider::fmcupgrade::compare_versions("7.4.2", "7.4.2.1")
}

output "same" {
  value = provider::fmcupgrade::compare_versions("7.6.1", "7.6.1-291")
}

output "newer" {
  value = provider::fmcupgrade::compare_versions("7.10.0", "7.9.0")
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("older", knownvalue.Int64Exact(-1)),
					statecheck.ExpectKnownOutputValue("same", knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownOutputValue("newer", knownvalue.Int64Exact(1)),
				},
			},
			{
				Config: `
output "x" {
  value = provider::fmcupgrade::compare_versions("7.6.1", "7.x")
}
`,
				ExpectError: regexp.MustCompile(`(?s)Invalid value for "b" parameter.*7\.x`),
			},
		},
	})
}
