package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccUpgradePathDataSource(t *testing.T) {
	const fp4100 = "data.fmcupgrade_upgrade_path.fp4100"
	hop := func(i int, attr string) tfjsonpath.Path {
		return tfjsonpath.New("hops").AtSliceIndex(i).AtMapKey(attr)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
data "fmcupgrade_upgrade_path" "fp4100" {
  product  = "threat_defense"
  platform = "firepower_4100"
  from     = "7.0.6"
  to       = "7.6.1"
}

data "fmcupgrade_upgrade_path" "fmc" {
  product  = "management_center"
  platform = "management_center"
  from     = "7.4.1"
  to       = "7.6.1"
}

data "fmcupgrade_upgrade_path" "patch" {
  product  = "threat_defense"
  platform = "threat_defense_virtual"
  from     = "7.4.1"
  to       = "7.4.2.1"
}

data "fmcupgrade_upgrade_path" "chassis" {
  product  = "chassis"
  platform = "firepower_9300"
  from     = "2.12.0.498"
  to       = "2.14"
}

data "fmcupgrade_upgrade_path" "latest" {
  product  = "threat_defense"
  platform = "secure_firewall_3100"
  from     = "7.2.9"
  to       = "latest"
}

data "fmcupgrade_upgrade_path" "suggested" {
  product  = "management_center"
  platform = "management_center"
  from     = "7.2.5"
  to       = "suggested"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fp4100, tfjsonpath.New("id"), knownvalue.StringExact("threat_defense/firepower_4100/7.0.6->7.6.1")),
					statecheck.ExpectKnownValue(fp4100, tfjsonpath.New("target"), knownvalue.StringExact("7.6.1")),
					statecheck.ExpectKnownValue(fp4100, tfjsonpath.New("versions"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("7.4.2"),
						knownvalue.StringExact("7.6.1"),
					})),
					statecheck.ExpectKnownValue(fp4100, tfjsonpath.New("direct"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(fp4100, hop(0, "fxos_version"), knownvalue.StringExact("2.14")),
					statecheck.ExpectKnownValue(fp4100, hop(0, "fxos_package_filename"), knownvalue.StringExact("fxos-k9.2.14.1.131.SPA")),
					statecheck.ExpectKnownValue(fp4100, hop(0, "package_filename"), knownvalue.StringExact("Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar")),
					statecheck.ExpectKnownValue(fp4100, hop(0, "build"), knownvalue.Int64Exact(172)),
					statecheck.ExpectKnownValue(fp4100, hop(0, "rules"), knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.StringRegexp(regexp.MustCompile(`^PATH-1: `)),
					})),
					statecheck.ExpectKnownValue(fp4100, hop(1, "fxos_version"), knownvalue.StringExact("2.16")),
					statecheck.ExpectKnownValue(fp4100, hop(1, "kind"), knownvalue.StringExact("maintenance")),

					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.fmc", tfjsonpath.New("direct"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.fmc", hop(0, "package_filename"),
						knownvalue.StringExact("Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar")),
					// The management center has no chassis: companions stay null.
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.fmc", hop(0, "fxos_version"), knownvalue.Null()),

					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.patch", tfjsonpath.New("versions"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("7.4.2"),
						knownvalue.StringExact("7.4.2.1"),
					})),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.patch", hop(1, "kind"), knownvalue.StringExact("patch")),

					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.chassis", tfjsonpath.New("target"), knownvalue.StringExact("2.14.1.131")),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.chassis", hop(0, "package_filename"), knownvalue.StringExact("fxos-k9.2.14.1.131.SPA")),

					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.latest", tfjsonpath.New("target"), knownvalue.StringRegexp(regexp.MustCompile(`^\d+\.\d+\.\d+`))),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.latest", tfjsonpath.New("hops"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.suggested", tfjsonpath.New("target"), knownvalue.StringRegexp(regexp.MustCompile(`^\d+\.\d+\.\d+`))),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.suggested", tfjsonpath.New("warnings"), knownvalue.NotNull()),
				},
			},
		},
	})
}

func TestAccUpgradePathDataSource_rules(t *testing.T) {
	path := func(product, platform, from, to string) string {
		return `
data "fmcupgrade_upgrade_path" "x" {
  product  = "` + product + `"
  platform = "` + platform + `"
  from     = "` + from + `"
  to       = "` + to + `"
}
`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      path("threat_defense", "secure_firewall_4200", "7.4.1", "7.4.0"),
				ExpectError: regexp.MustCompile(`PATH-2:`),
			},
			{
				Config:      path("threat_defense", "secure_firewall_3100", "7.2.9", "7.6.0"),
				ExpectError: regexp.MustCompile(`(?s)PATH-4:.*Choose\s+7\.6\.1`),
			},
			{
				Config:      path("threat_defense", "secure_firewall_3100", "7.6.1", "7.2.0"),
				ExpectError: regexp.MustCompile(`(?s)PATH-5:.*downgrade`),
			},
			{
				Config:      path("threat_defense", "secure_firewall_1200", "7.4.1", "7.6.1"),
				ExpectError: regexp.MustCompile(`(?s)PATH-6:\s+7\.4\.1\s+is\s+not\s+supported`),
			},
			{
				Config:      path("threat_defense", "secure_firewall_3100", "7.4.1", "7.5.0"),
				ExpectError: regexp.MustCompile(`(?s)PATH-6:\s+7\.5\.0\s+is\s+not\s+a\s+known`),
			},
			{
				// The catalog records no upgrade into the 10.0 train.
				Config:      path("threat_defense", "threat_defense_virtual", "6.4.0", "10.0.0"),
				ExpectError: regexp.MustCompile(`(?s)PATH-1:.*no\s+supported\s+upgrade\s+path`),
			},
			{
				Config:      path("threat_defense", "firepower_2100", "7.x", "7.4.2"),
				ExpectError: regexp.MustCompile(`(?s)Invalid from.*"7\.x"`),
			},
			{
				Config:      path("threat_defense", "firepower_9999", "7.4.1", "7.6.1"),
				ExpectError: regexp.MustCompile(`(?s)PATH-6:\s+unknown\s+platform\s+family\s+"firepower_9999".*firepower_4100`),
			},
		},
	})
}
