package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/runner"
)

// Chassis jobs run against the simulator on a scaled clock: an FXOS
// installation with its reboots takes simulated hours and real seconds,
// while the provider polls every real second.
const chassisTimeScale = 3000

func startChassisSim(t *testing.T, sc *fmcsim.Scenario) *fmcsim.Server {
	t.Helper()
	return fmcsim.StartTest(t, fmcsim.Options{Scenario: sc, TimeScale: chassisTimeScale, RequestsPerMinute: 100000})
}

func chassisProviderConfig(srv *fmcsim.Server) string {
	return simProviderConfig(srv, "  requests_per_minute = 100000\n  poll_interval = \"1s\"")
}

// chassisOf finds the chassis hosting each of devices, as the management
// center lists them.
func chassisOf(t *testing.T, srv *fmcsim.Server, devices ...string) []runner.Chassis {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	inv, err := runner.ReadInventory(context.Background(), simClient(t, srv), cat)
	if err != nil {
		t.Fatal(err)
	}
	var out []runner.Chassis
	for _, name := range devices {
		found := false
		for _, d := range inv.Devices {
			if d.Name != name {
				continue
			}
			for _, c := range inv.Chassis {
				if c.ID == d.ChassisID {
					out = append(out, c)
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("no chassis hosts %s", name)
		}
	}
	return out
}

func chassisEntryHCL(c runner.Chassis) string {
	if c.Kind == catalog.ChassisFXOS {
		return fmt.Sprintf("    { name = %q, manager_url = %q },\n", c.Name, c.ManagerURL)
	}
	return fmt.Sprintf("    { name = %q, fmc_chassis_id = %q },\n", c.Name, c.ID)
}

// fxosJobHCL declares chassis job name, taking chassis to FXOS 2.14.1.131
// (the companion of 7.4) with srv's chassis manager credentials, caPEM to
// trust the chassis managers and the image server the simulator's chassis
// managers fetch from; args adds arguments, such as a timeouts block.
func fxosJobHCL(name string, srv *fmcsim.Server, caPEM, args string, chassis ...runner.Chassis) string {
	var entries strings.Builder
	for _, c := range chassis {
		entries.WriteString(chassisEntryHCL(c))
	}
	user, pass := srv.Credentials()
	return fmt.Sprintf(`
resource "fmcupgrade_chassis_upgrade" %q {
  target_version = "2.14.1.131"
  chassis = [
%s  ]
  fxos_username       = %q
  fxos_password       = %q
  fxos_ca_certificate = <<-EOT
%s
EOT
  image_server = {
    protocol = "scp"
    host     = "127.0.0.1"
    path     = "/images"
    user     = "images"
    password = "Image-Pa55"
  }
%s}
`, name, entries.String(), user, pass, strings.TrimSpace(caPEM), args)
}

// createIn5m is a timeouts block for jobs that take seconds on the
// simulator's fast clock and should fail rather than hang when they do not.
const createIn5m = `  timeouts {
    create = "5m"
  }
`

func checkSimClean(srv *fmcsim.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if a := srv.Audit(); len(a) != 0 {
			return fmt.Errorf("the simulator's auditor recorded breaches: %+v", a)
		}
		if n := srv.Stats().DuplicateUpgradeRequests; n != 0 {
			return fmt.Errorf("duplicate_upgrade_requests = %d", n)
		}
		return nil
	}
}

func stepsLike(patterns ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(patterns))
	for i, p := range patterns {
		checks[i] = knownvalue.StringRegexp(regexp.MustCompile(p))
	}
	return knownvalue.ListExact(checks)
}

// The two Firepower 4100 chassis of HA pair dc1-edge go to FXOS 2.14.1.131,
// the companion of 7.4: the standby's chassis first, then a role switch
// through the management center, then the other chassis (HA-1, HA-3).
func TestAccChassisUpgrade_fxosHAPair(t *testing.T) {
	srv := startChassisSim(t, nil)
	ch := chassisOf(t, srv, "dc1-edge-b", "dc1-edge-a") // dc1-edge-b is the standby
	standby, active := ch[0], ch[1]
	user, pass := srv.Credentials()
	config := chassisProviderConfig(srv) + fxosJobHCL("edge", srv, string(srv.CACertPEM()), createIn5m, active, standby)
	addr := "fmcupgrade_chassis_upgrade.edge"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("steps"), stepsLike(
						`^wave 1 +copy_package +fxos-k9\.2\.14\.1\.131\.SPA .*to 2 chassis$`,
						`^wave 2 +upgrade_chassis +`+standby.Name+` +2\.12\.1\.48 -> 2\.14\.1\.131 .*HA-3.*HA-1.*standby chassis of pair dc1-edge first`,
						`^wave 3 +verify +`+standby.Name+` `,
						`^wave 4 +switch_ha_roles +dc1-edge +dc1-edge-a -> dc1-edge-b .*HA-3.*before chassis `+active.Name,
						`^wave 5 +verify +dc1-edge .*dc1-edge-b active`,
						`^wave 6 +upgrade_chassis +`+active.Name+` +2\.12\.1\.48 -> 2\.14\.1\.131 .*new standby chassis of pair dc1-edge`,
						`^wave 7 +verify +`+active.Name+` `,
					)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(active.Name+","+standby.Name)),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("chassis_versions")),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("status")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("chassis_versions"), knownvalue.MapExact(map[string]knownvalue.Check{
						standby.Name: knownvalue.StringExact("2.14.1.131"),
						active.Name:  knownvalue.StringExact("2.14.1.131"),
					})),
				},
				Check: checkSimClean(srv),
			},
			{
				// Done is done: the same configuration plans nothing.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// An import knows no credentials: the environment gives them.
				PreConfig: func() {
					t.Setenv("FXOS_USERNAME", user)
					t.Setenv("FXOS_PASSWORD", pass)
					t.Setenv("FXOS_CA_CERTIFICATE", string(srv.CACertPEM()))
				},
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     active.Name + "," + standby.Name,
				ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"fxos_username", "fxos_password", "fxos_ca_certificate", "image_server",
					"timeouts", "steps"},
			},
		},
	})
}

// miHAScenario puts the two instances of the demo's Secure Firewall 3130 on
// two multi-instance chassis and pairs them.
func miHAScenario(t *testing.T) *fmcsim.Scenario {
	t.Helper()
	sc := demoScenario(t)
	for i, c := range sc.Chassis {
		if c.Name == "dc2-sf3130-mi" {
			// The devices name their chassis, so the chassis list none.
			sc.Chassis[i].Instances = nil
			c.Name, c.HostName, c.ID, c.Serial, c.Instances = "dc2-sf3130-mi-b", "dc2-sf3130-mi-b", "", "", nil
			sc.Chassis = append(sc.Chassis, c)
			break
		}
	}
	for i := range sc.Devices {
		if sc.Devices[i].Name == "dc2-mi-fw2" {
			sc.Devices[i].Chassis = "dc2-sf3130-mi-b"
			sc.Devices[i].Slot = 1
		}
	}
	sc.HAPairs = append(sc.HAPairs, fmcsim.HAPair{Name: "dc2-mi", Primary: "dc2-mi-fw1", Secondary: "dc2-mi-fw2", Active: "dc2-mi-fw1", Domain: "Global/DataCenter"})
	return sc
}

func miConfig(srv *fmcsim.Server, ch []runner.Chassis, extra string) string {
	return chassisProviderConfig(srv) + fmt.Sprintf(`
resource "fmcupgrade_chassis_upgrade" "mi" {
  threat_defense_version = "7.4.2"
  chassis = [
%s%s  ]
%s
}
`, chassisEntryHCL(ch[0]), chassisEntryHCL(ch[1]), extra)
}

// Multi-instance HA (HA-5): parallel is refused without the
// acknowledgement, on ha_strategy; the default two workflows upgrade both
// chassis through the management center.
func TestAccChassisUpgrade_multiInstanceHA(t *testing.T) {
	srv := startChassisSim(t, miHAScenario(t))
	ch := chassisOf(t, srv, "dc2-mi-fw2", "dc2-mi-fw1")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      miConfig(srv, ch, `  ha_strategy = "parallel"`),
				ExpectError: regexp.MustCompile(`(?s)ha_strategy\s+= "parallel".*HA-5`),
				PlanOnly:    true,
			},
			{
				// The default, two workflows: the standby's chassis, a
				// role switch, then the new standby's chassis.
				Config: miConfig(srv, ch, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("fmcupgrade_chassis_upgrade.mi", tfjsonpath.New("steps"), knownvalue.ListPartial(map[int]knownvalue.Check{
						1: knownvalue.StringRegexp(regexp.MustCompile(`upgrade_chassis +` + ch[0].Name + ` +7\.4\.1 -> 7\.4\.2 .*HA-5.*standby chassis of pair dc2-mi first`)),
					})),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("fmcupgrade_chassis_upgrade.mi", tfjsonpath.New("chassis_versions"), knownvalue.MapExact(map[string]knownvalue.Check{
						ch[0].Name: knownvalue.StringExact("7.4.2"),
						ch[1].Name: knownvalue.StringExact("7.4.2"),
					})),
					statecheck.ExpectKnownValue("fmcupgrade_chassis_upgrade.mi", tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				},
				Check: checkSimClean(srv),
			},
		},
	})
}

// A bad chassis object is refused on the element that is wrong.
func TestAccChassisUpgrade_badChassisObject(t *testing.T) {
	srv := startChassisSim(t, nil)
	for name, entry := range map[string]string{
		"both":    `{ name = "x", manager_url = "https://fxos.example.com", fmc_chassis_id = "abc" }`,
		"neither": `{ name = "x" }`,
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: chassisProviderConfig(srv) + `
resource "fmcupgrade_chassis_upgrade" "bad" {
  target_version = "2.14.1.131"
  chassis        = [` + entry + `]
}
`,
					ExpectError: regexp.MustCompile(`Chassis has (both manager_url and fmc_chassis_id|neither manager_url nor fmc_chassis_id)`),
				}},
			})
		})
	}
}
