package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func TestAccPackageFilenameFunction(t *testing.T) {
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{
			tfversion.SkipBelow(tfversion.Version1_8_0),
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "fp3100" {
  value = provider::fmcupgrade::package_filename("secure_firewall_3100", "7.6.1")
}

output "fmc" {
  value = provider::fmcupgrade::package_filename("management_center", "7.6.1-291")
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("fp3100", knownvalue.StringExact("Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar")),
					statecheck.ExpectKnownOutputValue("fmc", knownvalue.StringExact("Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar")),
				},
			},
			{
				Config: `
output "x" {
  value = provider::fmcupgrade::package_filename("threat_defense_virtual", "7.7.13")
}
`,
				ExpectError: regexp.MustCompile(`(?s)Invalid value for "version" parameter.*PKG-1:`),
			},
		},
	})
}
