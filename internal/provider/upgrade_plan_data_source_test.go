package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

// A Firepower 4100 HA pair (Table 3): the chassis with the standby first,
// switch roles, the other chassis, then threat defense.
const declaredHAPair = `
data "fmcupgrade_upgrade_plan" "x" {
  target_version = "7.4.2"
  management_center = { name = "fmc", version = "7.4.2" }
  chassis = [
    { name = "fp4100-a", platform = "firepower_4100", fxos_version = "2.12.0.498" },
    { name = "fp4100-b", platform = "firepower_4100", fxos_version = "2.12.0.498" },
  ]
  devices = [
    { name = "ftd-a", platform = "firepower_4100", version = "7.2.5", chassis = "fp4100-a" },
    { name = "ftd-b", platform = "firepower_4100", version = "7.2.5", chassis = "fp4100-b" },
  ]
  ha_pairs = [{ name = "edge-ha", primary = "ftd-a", secondary = "ftd-b", active = "ftd-a" }]
}
`

func TestAccUpgradePlanDataSource_declared(t *testing.T) {
	ds := "data.fmcupgrade_upgrade_plan.x"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: declaredHAPair,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("source"), knownvalue.StringExact("declared")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("steps"), knownvalue.ListPartial(map[int]knownvalue.Check{
						3: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"action": knownvalue.StringExact("upgrade_chassis"),
							"target": knownvalue.StringExact("fp4100-b"),
							"to":     knownvalue.StringExact("2.14.1.131"),
							"rules":  knownvalue.ListPartial(map[int]knownvalue.Check{0: knownvalue.StringRegexp(regexp.MustCompile(`^ORDER-4`))}),
						}),
						5: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"action": knownvalue.StringExact("switch_ha_roles"),
							"from":   knownvalue.StringExact("ftd-a"),
							"to":     knownvalue.StringExact("ftd-b"),
						}),
						7: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"action": knownvalue.StringExact("upgrade_chassis"),
							"target": knownvalue.StringExact("fp4100-a"),
						}),
					})),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("unit_paths").AtMapKey("ftd-a"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("7.2.5"), knownvalue.StringExact("7.4.2"),
					})),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("packages"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar"),
						knownvalue.StringExact("fxos-k9.2.14.1.131.SPA"),
					})),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("runbook_markdown"), knownvalue.StringRegexp(regexp.MustCompile(`(?s)^# .*fp4100-b`))),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("mermaid"), knownvalue.StringRegexp(regexp.MustCompile(`^flowchart`))),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("waves"), knownvalue.Int64Exact(12)),
				},
			},
			{
				// max_parallel cannot shorten the plan below its critical path.
				Config: strings.Replace(declaredHAPair, `target_version = "7.4.2"`, "target_version = \"7.4.2\"\n  max_parallel = 1", 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("critical_path"), knownvalue.Int64Exact(12)),
				},
			},
		},
	})
}

func TestAccUpgradePlanDataSource_invalid(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      strings.Replace(declaredHAPair, `chassis = "fp4100-b" }`, `chassis = "fp4100-z" }`, 1),
				ExpectError: regexp.MustCompile(`(?s)ORDER-4: device ftd-b is on chassis\s+"fp4100-z"`),
			},
			{
				Config:      strings.Replace(declaredHAPair, `management_center = { name = "fmc", version = "7.4.2" }`, "", 1),
				ExpectError: regexp.MustCompile(`(?s)Missing management center`),
			},
			{
				Config:      strings.Replace(declaredHAPair, `target_version = "7.4.2"`, `target_version = "7.4.0"`, 1),
				ExpectError: regexp.MustCompile(`PATH-2`),
			},
			{
				Config:      `data "fmcupgrade_upgrade_plan" "x" { target_version = "7.6.1" }`,
				ExpectError: regexp.MustCompile(`(?s)No management center connection`),
			},
		},
	})
}

// liveChassis returns the chassis block declaring the FXOS version of every
// Firepower 4100/9300 chassis of the simulator's estate, by the serial
// number the management center reports.
func liveChassis(t *testing.T, srv *fmcsim.Server) string {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	user, pass := srv.Credentials()
	c, err := fmc.New(fmc.Config{URL: srv.URL(), Username: user, Password: pass, CACertificatePEM: string(srv.CACertPEM())})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inv, err := runner.ReadInventory(context.Background(), c, cat)
	if err != nil {
		t.Fatal(err)
	}
	version := map[string]string{}   // chassis unit name → version
	chassisOf := map[string]string{} // device name → chassis unit name
	for _, u := range srv.Estate().Units {
		switch u.Kind {
		case "chassis":
			version[u.Name] = u.Version
		case "device":
			chassisOf[u.Name] = u.Chassis
		}
	}
	var b strings.Builder
	b.WriteString("  chassis = [\n")
	for _, ch := range inv.Chassis {
		if ch.Kind != catalog.ChassisFXOS {
			continue
		}
		var name string
		for _, d := range inv.Devices {
			if d.ChassisID == ch.ID {
				name = chassisOf[d.Name]
			}
		}
		fmt.Fprintf(&b, "    { name = %q, platform = %q, fxos_version = %q },\n", ch.Name, ch.Platform, version[name])
	}
	b.WriteString("  ]\n")
	return b.String()
}

func TestAccUpgradePlanDataSource_live(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	ds := "data.fmcupgrade_upgrade_plan.live"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      simProviderConfig(srv, "") + `data "fmcupgrade_upgrade_plan" "live" { target_version = "7.6.1" }`,
				ExpectError: regexp.MustCompile(`(?s)FXOS version unknown`),
			},
			{
				Config: simProviderConfig(srv, "") + "data \"fmcupgrade_upgrade_plan\" \"live\" {\n  target_version = \"7.4.2\"\n" + liveChassis(t, srv) + "}\n",
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("source"), knownvalue.StringExact("live")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("unit_paths").AtMapKey("dc1-edge-a"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("7.2.5"), knownvalue.StringExact("7.4.2"),
					})),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("lines"), knownvalue.NotNull()),
				},
			},
		},
	})
	if a := srv.Audit(); len(a) != 0 {
		t.Fatalf("simulator audit: %+v", a)
	}
}

func TestEstatePath(t *testing.T) {
	cases := map[string]path.Path{
		"target_version":            path.Root("target_version"),
		"devices[3].chassis":        path.Root("devices").AtListIndex(3).AtName("chassis"),
		"clusters[1].data[2]":       path.Root("clusters").AtListIndex(1).AtName("data").AtListIndex(2),
		"chassis[0].version":        path.Root("chassis").AtListIndex(0).AtName("fxos_version"),
		"management_center.ha_peer": path.Root("management_center").AtName("ha_peer"),
	}
	for field, want := range cases {
		got, ok := estatePath(field)
		if !ok || !got.Equal(want) {
			t.Errorf("%s -> %v, want %v", field, got, want)
		}
	}
	for _, bad := range []string{"", "devices[x].name", "devices[-1]"} {
		if _, ok := estatePath(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
