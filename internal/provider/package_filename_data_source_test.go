package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccPackageFilenameDataSource(t *testing.T) {
	fileName := func(name, want string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.fmcupgrade_package_filename."+name, tfjsonpath.New("file_name"), knownvalue.StringExact(want))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
data "fmcupgrade_package_filename" "fp1k" {
  platform = "firepower_1000"
  version  = "7.6.0"
}

data "fmcupgrade_package_filename" "fp4200" {
  platform = "secure_firewall_4200"
  version  = "7.6.1-291"
}

data "fmcupgrade_package_filename" "explicit_build" {
  platform = "threat_defense_virtual"
  version  = "7.7.13"
  build    = 15
}

data "fmcupgrade_package_filename" "fxos" {
  platform = "firepower_4100"
  version  = "2.14.1.131"
  kind     = "fxos"
}

data "fmcupgrade_package_filename" "hotfix" {
  platform = "secure_firewall_3100"
  version  = "7.6.4.1-2"
  kind     = "hotfix"
  hotfix   = "DD"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					fileName("fp1k", "Cisco_FTD_SSP-FP1K_Upgrade-7.6.0-113.sh.REL.tar"),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fp1k", tfjsonpath.New("id"),
						knownvalue.StringExact("Cisco_FTD_SSP-FP1K_Upgrade-7.6.0-113.sh.REL.tar")),
					// Which alternates exist matters, not their order.
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fp1k", tfjsonpath.New("alternate_file_names"),
						knownvalue.SetPartial([]knownvalue.Check{
							knownvalue.StringExact("Cisco_FTD_SSP_FP1K_Upgrade-7.6.0-113.sh.REL.tar"),
							knownvalue.StringExact("Cisco_FTD_SSP-FP1K_Upgrade-7.6.0-113.sh"),
						})),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fp1k", tfjsonpath.New("build"), knownvalue.Int64Exact(113)),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fp1k", tfjsonpath.New("kind"), knownvalue.StringExact("upgrade")),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fp1k", tfjsonpath.New("resolved_version"), knownvalue.StringExact("7.6.0")),

					fileName("fp4200", "Cisco_Secure_FW_TD_4200-7.6.1-291.sh.REL.tar"),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fp4200", tfjsonpath.New("build"), knownvalue.Int64Exact(291)),

					fileName("explicit_build", "Cisco_FTD_Upgrade-7.7.13-15.sh.REL.tar"),

					fileName("fxos", "fxos-k9.2.14.1.131.SPA"),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.fxos", tfjsonpath.New("alternate_file_names"), knownvalue.ListSizeExact(0)),

					fileName("hotfix", "Cisco_FTD_SSP-FP3K_Hotfix_DD-7.6.4.1-2.sh.REL.tar"),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.hotfix", tfjsonpath.New("warnings"),
						knownvalue.ListPartial(map[int]knownvalue.Check{0: knownvalue.StringRegexp(regexp.MustCompile(`^PKG-2: `))})),
				},
			},
			{
				Config: `
data "fmcupgrade_package_filename" "x" {
  platform = "threat_defense_virtual"
  version  = "7.7.13"
}
`,
				ExpectError: regexp.MustCompile(`(?s)PKG-1:.*build\s+of\s+7\.7\.13`),
			},
			{
				Config: `
data "fmcupgrade_package_filename" "x" {
  platform = "threat_defense_virtual"
  version  = "7.4.2.1"
  kind     = "upgrade"
}
`,
				ExpectError: regexp.MustCompile(`(?s)PATH-3:\s+7\.4\.2\.1\s+is\s+a\s+patch`),
			},
		},
	})
}
