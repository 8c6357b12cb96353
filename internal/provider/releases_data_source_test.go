package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const testOverlay = `{
  "releases": [
    {
      "version": "7.7.14",
      "products": ["threat_defense"],
      "builds": [{"value": 42, "source": "test", "verified": true}],
      "source": "test",
      "verified": true
    }
  ]
}`

func TestAccReleasesDataSource(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
data "fmcupgrade_releases" "fw1200" {
  platform = "secure_firewall_1200"
}

data "fmcupgrade_releases" "fmc" {
  product = "management_center"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.fmcupgrade_releases.fw1200", tfjsonpath.New("id"), knownvalue.StringExact("all/secure_firewall_1200")),
					// The 1200 shipped with 7.6.0: nothing older may be listed.
					statecheck.ExpectKnownValue("data.fmcupgrade_releases.fw1200", tfjsonpath.New("releases").AtSliceIndex(0).AtMapKey("version"), knownvalue.StringExact("7.6.0")),
					statecheck.ExpectKnownValue("data.fmcupgrade_releases.fw1200", tfjsonpath.New("trains").AtSliceIndex(0).AtMapKey("train"), knownvalue.StringExact("7.6")),
					statecheck.ExpectKnownValue("data.fmcupgrade_releases.fw1200", tfjsonpath.New("latest"), knownvalue.StringRegexp(regexp.MustCompile(`^\d+\.\d+\.\d+`))),
					statecheck.ExpectKnownValue("data.fmcupgrade_releases.fmc", tfjsonpath.New("releases").AtSliceIndex(0).AtMapKey("products"),
						knownvalue.SetPartial([]knownvalue.Check{knownvalue.StringExact("management_center")})),
					statecheck.ExpectKnownValue("data.fmcupgrade_releases.fmc", tfjsonpath.New("suggested"), knownvalue.NotNull()),
				},
			},
		},
	})
}

func TestAccReleasesDataSource_catalogFile(t *testing.T) {
	dir := t.TempDir()
	overlay := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(overlay, []byte(testOverlay), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"releases": [{"version": "7.7.15"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// First, so that the post-test destroy runs with a readable catalog.
				Config: providerConfigHCL(bad) + `
data "fmcupgrade_releases" "ftd" {
  product = "threat_defense"
}
`,
				ExpectError: regexp.MustCompile(`(?s)catalog_file.*source\s+is\s+required`),
			},
			{
				Config: providerConfigHCL(overlay) + `
data "fmcupgrade_releases" "ftd" {
  product = "threat_defense"
}

data "fmcupgrade_upgrade_path" "ftdv" {
  product  = "threat_defense"
  platform = "threat_defense_virtual"
  from     = "7.6.1"
  to       = "latest"
}

data "fmcupgrade_package_filename" "ftdv" {
  platform = "threat_defense_virtual"
  version  = "7.7.14"
}

locals {
  train_77 = one([for t in data.fmcupgrade_releases.ftd.trains : t if t.train == "7.7"])
}

output "latest_77" {
  value = local.train_77.latest
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("latest_77", knownvalue.StringExact("7.7.14")),
					statecheck.ExpectKnownValue("data.fmcupgrade_upgrade_path.ftdv", tfjsonpath.New("target"), knownvalue.StringExact("7.7.14")),
					statecheck.ExpectKnownValue("data.fmcupgrade_package_filename.ftdv", tfjsonpath.New("file_name"),
						knownvalue.StringExact("Cisco_FTD_Upgrade-7.7.14-42.sh.REL.tar")),
				},
			},
		},
	})
}
