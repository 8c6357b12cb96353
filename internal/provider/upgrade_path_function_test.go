package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func TestAccUpgradePathFunction(t *testing.T) {
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{
			tfversion.SkipBelow(tfversion.Version1_8_0),
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "fp4100" {
  value = provider::fmcupgrade::upgrade_path("threat_defense", "firepower_4100", "7.0.6", "7.6.1")
}

output "patch" {
  value = provider::fmcupgrade::upgrade_path("threat_defense", "threat_defense_virtual", "7.4.1", "7.4.2.1")
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("fp4100", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("7.4.2"),
						knownvalue.StringExact("7.6.1"),
					})),
					statecheck.ExpectKnownOutputValue("patch", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("7.4.2"),
						knownvalue.StringExact("7.4.2.1"),
					})),
				},
			},
			{
				Config: `
output "x" {
  value = provider::fmcupgrade::upgrade_path("threat_defense", "secure_firewall_3100", "7.2.9", "7.6.0")
}
`,
				ExpectError: regexp.MustCompile(`(?s)Invalid value for "to" parameter.*PATH-4:`),
			},
		},
	})
}
