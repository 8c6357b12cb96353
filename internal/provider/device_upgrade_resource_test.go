package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

// The job runs on the provider's real clock, so the simulator runs an hour
// of upgrade per real second: with poll_interval = "1s" every task is done
// by the first or second poll, and a job of six waves takes seconds.
const upgradeTimeScale = 3600

const jobAddr = "fmcupgrade_device_upgrade.job"

// Device ids of the demo estate (stable: derived from the names).
const (
	brFW01ID   = "24316fb7-7dc5-5d74-b152-f574604d7ba9"
	dc1EdgeAID = "9e8dd1f2-f8fd-540a-b062-735810689691"
	dc1EdgeBID = "dae24201-0cce-51c7-9383-87537d5916e1"
)

// upgradeSim serves the demo with the dc1-edge chassis already on the FXOS
// companion of 7.4.2 (chassis upgrades are another resource's job),
// without rate limits (the provider is told the same), on a fast clock.
func upgradeSim(t *testing.T) *fmcsim.Server {
	t.Helper()
	return upgradeSimWith(t, nil)
}

// upgradeSimWith is upgradeSim with the scenario changed by edit first.
func upgradeSimWith(t *testing.T, edit func(sc *fmcsim.Scenario)) *fmcsim.Server {
	t.Helper()
	sc := upgradeScenario(t, edit)
	return fmcsim.StartTest(t, fmcsim.Options{
		Scenario:          sc,
		Clock:             fmcsim.NewScaledClock(*sc.StartTime, upgradeTimeScale),
		RequestsPerMinute: 100000,
	})
}

// demoScenario is a fresh copy of the demo estate, for a test to change.
func demoScenario(t *testing.T) *fmcsim.Scenario {
	t.Helper()
	sc, ok := fmcsim.Builtin("demo")
	if !ok {
		t.Fatal("no demo scenario")
	}
	return sc
}

// upgradeScenario is the demo changed by edit, with the chassis under
// dc1-edge already on the FXOS companion of 7.4.2 (chassis upgrades are
// another resource's job).
func upgradeScenario(t *testing.T, edit func(sc *fmcsim.Scenario)) *fmcsim.Scenario {
	t.Helper()
	sc := demoScenario(t)
	if edit != nil {
		edit(sc)
	}
	for i, c := range sc.Chassis {
		if c.Name == "dc1-fxos-a" || c.Name == "dc1-fxos-b" {
			sc.Chassis[i].Version = "2.14.1.131"
		}
	}
	return sc
}

func upgradeConfig(srv *fmcsim.Server, args string) string {
	return simProviderConfig(srv, "  requests_per_minute = 100000\n  poll_interval = \"1s\"") + upgradeJobHCL(args)
}

// upgradeJobHCL is the job most device upgrade tests run: br-fw-01 and the
// dc1-edge pair to 7.4.2, its chassis on the FXOS companion; args adds
// arguments.
func upgradeJobHCL(args string) string {
	return `
resource "fmcupgrade_device_upgrade" "job" {
  target_version = "7.4.2"
  device_ids     = ["br-fw-01"]
  ha_pair_ids    = ["dc1-edge"]
  chassis = [
    { name = "FLM3B4ACE07", fxos_version = "2.14.1.131" },
    { name = "FLM87D8BE59", fxos_version = "2.14.1.131" },
  ]
` + args + `
}
`
}

// simVersion is the version the simulator says a unit runs, without build.
func simVersion(t *testing.T, srv *fmcsim.Server, name string) string {
	t.Helper()
	for _, u := range srv.Estate().Units {
		if u.Name == name {
			v, _, _ := strings.Cut(u.Version, "-")
			return v
		}
	}
	t.Fatalf("no unit %s", name)
	return ""
}

func checkUnitsAt(t *testing.T, srv *fmcsim.Server, version string, names ...string) {
	t.Helper()
	for _, n := range names {
		if v := simVersion(t, srv, n); v != version {
			t.Errorf("%s runs %s, want %s", n, v, version)
		}
	}
}

func unitVersionsAt(version string) knownvalue.Check {
	return knownvalue.MapExact(map[string]knownvalue.Check{
		brFW01ID:   knownvalue.StringExact(version),
		dc1EdgeAID: knownvalue.StringExact(version),
		dc1EdgeBID: knownvalue.StringExact(version),
	})
}

// A standalone device and an HA pair to 7.4.2 in one apply: the plan shows
// hops and steps, the apply runs them without breaking a rule or asking
// twice, a second plan is empty, and the job imports by its units.
func TestAccDeviceUpgrade_full(t *testing.T) {
	srv := upgradeSim(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: upgradeConfig(srv, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("id"), knownvalue.StringExact("7.4.2:br-fw-01,dc1-edge")),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("hops"), knownvalue.MapPartial(map[string]knownvalue.Check{
						"br-fw-01":   stringsExact("7.2.5", "7.4.2"),
						"dc1-edge-a": stringsExact("7.2.5", "7.4.2"),
						"dc1-edge-b": stringsExact("7.2.5", "7.4.2"),
					})),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("steps"), knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.StringRegexp(regexp.MustCompile(`^wave 1\s+copy_package`)),
					})),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("steps"), knownvalue.ListSizeExact(12)),
					plancheck.ExpectUnknownValue(jobAddr, tfjsonpath.New("unit_versions")),
					plancheck.ExpectUnknownValue(jobAddr, tfjsonpath.New("status")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("steps"), knownvalue.ListPartial(map[int]knownvalue.Check{
						8: knownvalue.StringRegexp(regexp.MustCompile(`upgrade_threat_defense\s+dc1-edge\s+7\.2\.5 -> 7\.4\.2.*standby unit dc1-edge-b first`)),
					})),
				},
			},
			{
				// Done: nothing to plan.
				PreConfig: func() {
					checkUnitsAt(t, srv, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
					checkUnitsAt(t, srv, "7.2.5", "br-fw-02", "dc2-edge-a")
					checkAuditEmpty(t, srv)
				},
				Config: upgradeConfig(srv, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				ResourceName:                         jobAddr,
				ImportState:                          true,
				ImportStateId:                        "7.4.2:dc1-edge,br-fw-01",
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "id",
				ImportStateVerifyIgnore:              []string{"hops", "steps", "chassis", "timeouts"},
			},
		},
	})
	checkAuditEmpty(t, srv)
}

// Staging by day, upgrading by night: the first apply only copies the
// packages, the second (phase changed) upgrades.
func TestAccDeviceUpgrade_stageThenUpgrade(t *testing.T) {
	srv := upgradeSim(t)
	var staged int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: upgradeConfig(srv, `  phase = "stage"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.2.5")),
				},
			},
			{
				PreConfig: func() {
					checkUnitsAt(t, srv, "7.2.5", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
					st := srv.Stats()
					// Two copies: one package per family.
					if st.UpgradeRequests != 2 {
						t.Errorf("staging sent %d upgrade requests, want 2 package copies", st.UpgradeRequests)
					}
					staged = st.UpgradeRequests
				},
				Config: upgradeConfig(srv, `  phase = "upgrade"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(jobAddr, tfjsonpath.New("unit_versions")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
				},
			},
		},
	})
	checkUnitsAt(t, srv, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
	// The copies are not requested again: readiness checks and upgrades
	// of two units groups only.
	if n := srv.Stats().UpgradeRequests - staged; n != 4 {
		t.Errorf("the upgrade apply sent %d upgrade requests, want 4 (2 readiness checks, 2 upgrades)", n)
	}
	checkAuditEmpty(t, srv)
}

// withPackageIDs names the demo's packages this job may list and adds the
// Firepower 1000 package a second time, as an upload under its .sh name:
// looked up by file name, the guide's spelling (fp1k-tar) is found first.
func withPackageIDs(sc *fmcsim.Scenario) {
	ids := map[string]string{
		"Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar": "fp1k-tar",
		"Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar":      "ssp-742",
		"Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar":          "ftdv-761",
	}
	for i, p := range sc.UpgradePackages {
		if id, ok := ids[p.FileName]; ok {
			sc.UpgradePackages[i].ID = id
		}
	}
	sc.UpgradePackages = append(sc.UpgradePackages, fmcsim.UpgradePackage{ID: "fp1k-sh", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh"})
}

// package_ids given by id: a package the management center does not have,
// or one no hop of the job needs, fails the plan on the attribute; the
// listed packages are the ones apply copies, checks and upgrades with,
// although the lookup by file name would find the other upload first.
func TestAccDeviceUpgrade_packageIDs(t *testing.T) {
	srv := upgradeSimWith(t, withPackageIDs)
	listed := `  package_ids = ["fp1k-sh", "ssp-742"]`
	staged := func(name string) []string {
		for _, u := range srv.Estate().Units {
			if u.Name == name {
				return u.StagedPackages
			}
		}
		t.Fatalf("no unit %s", name)
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      upgradeConfig(srv, `  package_ids = ["fp1k-sh", "no-such-package"]`),
				ExpectError: messageRE(`Upgrade rule PKG-1 .* package_ids .* "no-such-package" is not an upgrade package on the management center. .* it has: Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar,`),
			},
			{
				Config: upgradeConfig(srv, `  package_ids = ["ssp-742", "ftdv-761"]`),
				ExpectError: messageRE(`"ftdv-761" (Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar) is the threat defense 7.6.1-291 package for ` +
					`asa_5500_x, isa_3000, threat_defense_virtual, which no hop of this job needs. List only packages of this job's hops, or remove it from package_ids`),
			},
			{
				PreConfig: func() {
					if n := srv.Stats().UpgradeRequests; n != 0 {
						t.Errorf("%d upgrade requests after refused plans", n)
					}
				},
				Config: upgradeConfig(srv, listed+"\n  phase = \"stage\""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				},
			},
			{
				PreConfig: func() {
					for name, want := range map[string]string{"br-fw-01": "fp1k-sh", "dc1-edge-a": "ssp-742", "dc1-edge-b": "ssp-742"} {
						if got := staged(name); len(got) != 1 || got[0] != want {
							t.Errorf("%s has packages %v staged, want the listed %s", name, got, want)
						}
					}
				},
				Config: upgradeConfig(srv, listed),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
				},
			},
		},
	})
	used := map[string]int{}
	for _, tk := range srv.Estate().Tasks {
		if tk.Package != "" {
			used[tk.Package]++
		}
	}
	// Each: one copy, one readiness check, one upgrade.
	if used["fp1k-sh"] != 3 || used["ssp-742"] != 3 || len(used) != 2 {
		t.Errorf("upgrade tasks per package: %v, want 3 each for fp1k-sh and ssp-742 only", used)
	}
	checkAuditEmpty(t, srv)
}

// Stage by day while the dc1-edge chassis still run FXOS 2.12.1.48, below
// the companion of 7.4 (ORDER-4): the stage job is accepted, shows only its
// copies and puts the packages on the devices without touching a chassis.
// check and upgrade are refused at plan time, pointing at the chassis job,
// until the chassis job has run; then the same job upgrades.
func TestAccDeviceUpgrade_stageBeforeChassis(t *testing.T) {
	sc := demoScenario(t)
	srv := fmcsim.StartTest(t, fmcsim.Options{Scenario: sc, Clock: fmcsim.NewScaledClock(*sc.StartTime, upgradeTimeScale),
		RequestsPerMinute: 100000})
	ch := chassisOf(t, srv, "dc1-edge-b", "dc1-edge-a")
	chassisJob := fxosJobHCL("dc1", srv, string(srv.CACertPEM()), "", ch[1], ch[0])
	config := func(phase, fxos, extra string) string {
		return simProviderConfig(srv, "  requests_per_minute = 100000\n  poll_interval = \"1s\"") + extra + fmt.Sprintf(`
resource "fmcupgrade_device_upgrade" "job" {
  target_version = "7.4.2"
  device_ids     = ["br-fw-01"]
  ha_pair_ids    = ["dc1-edge"]
  phase          = %q
  chassis = [
    { name = "FLM3B4ACE07", fxos_version = %q },
    { name = "FLM87D8BE59", fxos_version = %q },
  ]
}
`, phase, fxos, fxos)
	}
	const oldFXOS = "2.12.1.48"
	refused := messageRE(`Chassis upgrade needed first .* ORDER-4: threat defense cannot be upgraded before its chassis .* ` +
		`fmcupgrade_chassis_upgrade .* Meanwhile phase = "stage" can copy the packages to the devices (PKG-3): .* upgrade_chassis`)
	chassisAt := func(want string) {
		t.Helper()
		seen := 0
		for _, u := range srv.Estate().Units {
			if u.Kind != "chassis" || (srv.ChassisURL(u.ID) != ch[0].ManagerURL && srv.ChassisURL(u.ID) != ch[1].ManagerURL) {
				continue
			}
			seen++
			// FXOS as chassis managers write it: 2.12(1.48).
			if v := strings.NewReplacer("(", ".", ")", "").Replace(u.Version); v != want {
				t.Errorf("chassis %s runs %s, want %s", u.Name, u.Version, want)
			}
		}
		if seen != 2 {
			t.Errorf("found %d of the dc1-edge chassis", seen)
		}
	}
	var staged int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("stage", oldFXOS, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionCreate),
					// Only what staging does: no FXOS bundle, chassis
					// upgrade, readiness check or upgrade.
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("steps"), stepsLike(
						`^wave 1 +copy_package +Cisco_FTD_SSP-FP1K_Upgrade-7\.4\.2-172\.sh\.REL\.tar +7\.4\.2 .*to 1 unit$`,
						`^wave 1 +copy_package +Cisco_FTD_SSP_Upgrade-7\.4\.2-172\.sh\.REL\.tar +7\.4\.2 .*to 2 units$`,
					)),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("hops"), knownvalue.MapPartial(map[string]knownvalue.Check{
						"dc1-edge-a": stringsExact("7.2.5", "7.4.2"),
					})),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.2.5")),
				},
			},
			{
				PreConfig: func() {
					for _, u := range srv.Estate().Units {
						switch u.Name {
						case "br-fw-01", "dc1-edge-a", "dc1-edge-b":
							if len(u.StagedPackages) != 1 {
								t.Errorf("%s has packages %v staged, want its 7.4.2 package", u.Name, u.StagedPackages)
							}
						}
					}
					chassisAt(oldFXOS)
					checkUnitsAt(t, srv, "7.2.5", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
					checkAuditEmpty(t, srv)
					staged = srv.Stats().UpgradeRequests
					if staged != 2 {
						t.Errorf("staging sent %d upgrade requests, want 2 package copies", staged)
					}
				},
				Config:      config("check", oldFXOS, ""),
				ExpectError: refused,
			},
			{
				Config:      config("upgrade", oldFXOS, ""),
				ExpectError: refused,
			},
			{
				// The chassis window: the staged job is done and plans nothing.
				Config: config("stage", oldFXOS, chassisJob),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("fmcupgrade_chassis_upgrade.dc1", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionNoop),
				}},
			},
			{
				PreConfig: func() { chassisAt("2.14.1.131") },
				Config:    config("upgrade", "2.14.1.131", chassisJob),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
				},
			},
		},
	})
	checkUnitsAt(t, srv, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
	// The copies are not requested again: readiness checks and upgrades
	// of br-fw-01 and the dc1-edge pair.
	if n := srv.Stats().UpgradeRequests - staged; n != 4 {
		t.Errorf("after staging, %d upgrade requests, want 4 (2 readiness checks, 2 upgrades)", n)
	}
	checkAuditEmpty(t, srv)
}

// A failing readiness check stops the plan; listed in ignore_checks it
// becomes a warning and the plan goes through.
func TestAccDeviceUpgrade_readiness(t *testing.T) {
	srv := upgradeSim(t)
	cfg := func(extra string) string {
		return simProviderConfig(srv, "  requests_per_minute = 100000\n  poll_interval = \"1s\"") + `
resource "fmcupgrade_device_upgrade" "job" {
  target_version = "7.4.2"
  device_ids     = ["cloud-ftdv-az-01"]
` + extra + `
}
`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      cfg(""),
				ExpectError: messageRE(`Not ready to upgrade: health_disk_usage on cloud-ftdv-az-01 .* DISK_USAGE RED .* ignore_checks`),
			},
			{
				// Per unit: the management center's own disk check stays
				// mandatory (READY-5).
				Config:             cfg(`  ignore_checks = ["health_disk_usage:cloud-ftdv-az-01"]`),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Staging does not need the unit to be ready.
				Config: cfg(`  phase = "stage"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
				},
			},
		},
	})
	if n := srv.Stats().UpgradeRequests; n != 1 {
		t.Errorf("%d upgrade requests, want the one package copy of staging", n)
	}
	checkAuditEmpty(t, srv)
}

// An upgrade that fails on the first unit of the HA pair stops the job
// before the other unit, with the unit, step and the management center's
// words; the next apply finishes it without asking for anything twice.
func TestAccDeviceUpgrade_failureThenResume(t *testing.T) {
	srv := upgradeSim(t)
	const why = "Install script exited with status 2 (simulated)."
	var before int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: upgradeConfig(srv, `  phase = "stage"`),
			},
			{
				PreConfig: func() {
					if _, err := srv.AddFault(fmcsim.Fault{Kind: fmcsim.FaultUpgradeFail, Target: "dc1-edge-b", Count: 1, Message: why}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      upgradeConfig(srv, ""),
				ExpectError: messageRE(`Upgrade step failed: upgrade_threat_defense dc1-edge on dc1-edge-b .* ` + why + ` .* status = "partial"`),
			},
			{
				PreConfig: func() {
					// The standby failed and rolled back; the active was
					// never touched; the standalone unit of the same wave
					// finished.
					checkUnitsAt(t, srv, "7.2.5", "dc1-edge-a", "dc1-edge-b")
					checkUnitsAt(t, srv, "7.4.2", "br-fw-01")
					checkAuditEmpty(t, srv)
					before = srv.Stats().UpgradeRequests
				},
				Config: upgradeConfig(srv, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("hops"), knownvalue.MapPartial(map[string]knownvalue.Check{
						"br-fw-01":   stringsExact("7.4.2"),
						"dc1-edge-b": stringsExact("7.2.5", "7.4.2"),
					})),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
				},
			},
		},
	})
	// One readiness check and one upgrade for the pair still to go.
	if n := srv.Stats().UpgradeRequests - before; n != 2 {
		t.Errorf("the resumed apply sent %d upgrade requests, want 2", n)
	}
	checkUnitsAt(t, srv, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
	checkAuditEmpty(t, srv)
}

// A unit reverted outside Terraform is drift: refresh marks the job
// partial, the plan shows an update, and apply upgrades that unit again.
func TestAccDeviceUpgrade_drift(t *testing.T) {
	srv := upgradeSim(t)
	// A revert leaves the unit's configuration to deploy again, which the
	// job does before its readiness check.
	args := `  ignore_checks = ["pending_deployment:br-fw-01"]`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: upgradeConfig(srv, args),
			},
			{
				PreConfig: func() { revertUnit(t, srv, brFW01ID, "br-fw-01") },
				Config:    upgradeConfig(srv, args),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("hops"), knownvalue.MapPartial(map[string]knownvalue.Check{
						"br-fw-01":   stringsExact("7.2.5", "7.4.2"),
						"dc1-edge-a": stringsExact("7.4.2"),
					})),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
				},
			},
		},
	})
	checkUnitsAt(t, srv, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
	checkAuditEmpty(t, srv)
}

// revertUnit reverts a unit on the simulator through the management
// center's API and waits until it runs its previous version.
func revertUnit(t *testing.T, srv *fmcsim.Server, id, name string) {
	t.Helper()
	c := simClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.RevertUpgrade(ctx, []fmc.Reference{fmc.DeviceTarget(id, name)}, nil); err != nil {
		t.Fatal(err)
	}
	for simVersion(t, srv, name) != "7.2.5" {
		if ctx.Err() != nil {
			t.Fatalf("%s did not revert", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Without a management center the plan leaves the computed values
// unknown, and apply says what is missing.
func TestAccDeviceUpgrade_noConnection(t *testing.T) {
	t.Setenv("FMC_URL", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
resource "fmcupgrade_device_upgrade" "job" {
  target_version = "7.4.2"
  device_ids     = ["br-fw-01"]
}
`,
				ExpectError: messageRE("No management center connection"),
			},
		},
	})
}

// readiness_check = false and deploy_after = false: the plan still shows
// every step, apply skips the devices' readiness checks and the
// deployments after the upgrades, every unit reaches the target without a
// rule broken or a request sent twice, and the units are left with their
// configuration to deploy by hand.
func TestAccDeviceUpgrade_skipReadinessAndDeploy(t *testing.T) {
	srv := upgradeSim(t)
	args := "  readiness_check = false\n  deploy_after    = false"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: upgradeConfig(srv, args),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("readiness_check"), knownvalue.Bool(false)),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("deploy_after"), knownvalue.Bool(false)),
					// The skipped steps are still shown.
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("steps"), knownvalue.ListSizeExact(12)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("complete")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("unit_versions"), unitVersionsAt("7.4.2")),
				},
			},
			{
				PreConfig: func() {
					checkUnitsAt(t, srv, "7.4.2", "br-fw-01", "dc1-edge-a", "dc1-edge-b")
					checkAuditEmpty(t, srv)
				},
				Config: upgradeConfig(srv, args),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
	// Two package copies and two upgrades (br-fw-01, the dc1-edge pair):
	// no readiness-check-only request.
	if n := srv.Stats().UpgradeRequests; n != 4 {
		t.Errorf("%d upgrade requests, want 4 (2 copies, 2 upgrades)", n)
	}
	for _, tk := range srv.Estate().Tasks {
		if tk.Name == "Readiness check" {
			t.Errorf("readiness check task %s ran: %s", tk.ID, tk.Message)
		}
	}
	// The deployments after the upgrades were skipped: the configuration
	// is left to deploy by hand.
	for _, u := range srv.Estate().Units {
		switch u.Name {
		case "br-fw-01", "dc1-edge-a", "dc1-edge-b":
			if !u.PendingDeployment {
				t.Errorf("%s has no pending deployment although its deployment after the upgrade was skipped", u.Name)
			}
		}
	}
	checkAuditEmpty(t, srv)
}

// readiness_check = false waives the devices' failing findings at plan
// (the management center may still refuse the upgrade by its own check),
// but never the management center's own (READY-5).
func TestAccDeviceUpgrade_readinessCheckFalse(t *testing.T) {
	cfg := func(srv *fmcsim.Server, extra string) string {
		return simProviderConfig(srv, "  requests_per_minute = 100000\n  poll_interval = \"1s\"") + `
resource "fmcupgrade_device_upgrade" "job" {
  target_version = "7.4.2"
  device_ids     = ["cloud-ftdv-az-01"]
` + extra + `
}
`
	}
	t.Run("device findings", func(t *testing.T) {
		srv := upgradeSim(t)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{
					Config:      cfg(srv, ""),
					ExpectError: messageRE(`Not ready to upgrade: health_disk_usage on cloud-ftdv-az-01`),
				},
				{
					// The device's full disk no longer stops the plan...
					Config:             cfg(srv, "  readiness_check = false"),
					PlanOnly:           true,
					ExpectNonEmptyPlan: true,
				},
				{
					// ...but the management center checks readiness within
					// the upgrade and refuses it.
					Config:      cfg(srv, "  readiness_check = false"),
					ExpectError: messageRE(`Upgrade step failed: upgrade_threat_defense cloud-ftdv-az-01 .* Readiness check failed: .* DISK_USAGE`),
				},
			},
		})
		if n := srv.Stats().UpgradeRequests; n != 2 {
			t.Errorf("%d upgrade requests, want 2 (the copy and the refused upgrade)", n)
		}
		checkUnitsAt(t, srv, "7.2.5", "cloud-ftdv-az-01")
		checkAuditEmpty(t, srv)
	})
	t.Run("management center findings", func(t *testing.T) {
		srv := upgradeSimWith(t, func(sc *fmcsim.Scenario) {
			sc.HealthAlerts = append(sc.HealthAlerts, fmcsim.HealthAlert{Device: "0", Module: "DATABASE", Status: "RED",
				Details: "Database integrity check failed."})
		})
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      cfg(srv, "  readiness_check = false\n  ignore_checks = [\"health_disk_usage:cloud-ftdv-az-01\"]"),
				PlanOnly:    true,
				ExpectError: messageRE(`Not ready to upgrade: health_database on`),
			}},
		})
		if n := srv.Stats().UpgradeRequests; n != 0 {
			t.Errorf("%d upgrade requests, want none", n)
		}
	})
}

func TestSkipWarnings(t *testing.T) {
	cases := []struct {
		name            string
		phase           types.String
		readiness, dplo bool
		want            []string
	}{
		{"defaults", types.StringValue("upgrade"), true, true, nil},
		{"both", types.StringValue("upgrade"), false, false, []string{"Device readiness checks are skipped", "Deployment after the upgrade is skipped"}},
		{"unknown phase", types.StringUnknown(), false, false, []string{"Device readiness checks are skipped", "Deployment after the upgrade is skipped"}},
		{"check phase", types.StringValue("check"), false, false, []string{"Device readiness checks are skipped"}},
		{"stage phase", types.StringValue("stage"), false, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := deviceUpgradeModel{Phase: tc.phase, ReadinessCheck: types.BoolValue(tc.readiness), DeployAfter: types.BoolValue(tc.dplo)}
			var diags diag.Diagnostics
			skipWarnings(&m, &diags)
			var got []string
			for _, d := range diags {
				if d.Severity() != diag.SeverityWarning {
					t.Errorf("not a warning: %s", d.Summary())
				}
				got = append(got, d.Summary())
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("warnings %q, want %q", got, tc.want)
			}
		})
	}
	// Unknown or null flags are the default: nothing is skipped.
	m := deviceUpgradeModel{Phase: types.StringValue("upgrade"), ReadinessCheck: types.BoolUnknown(), DeployAfter: types.BoolNull()}
	if skipDeviceReadiness(&m) || skipDeployAfter(&m) {
		t.Error("an unknown or null flag skips steps")
	}
}

func TestAccDeviceUpgrade_invalid(t *testing.T) {
	cases := map[string]struct{ args, want string }{
		"no units": {`target_version = "7.4.2"`, `At least one of these attributes must be configured`},
		"keyword":  {`target_version = "latest"` + "\n" + `device_ids = ["a"]`, `value must be none of`},
		"phase":    {`target_version = "7.4.2"` + "\n" + `device_ids = ["a"]` + "\n" + `phase = "tonight"`, `value must be one of`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      fmt.Sprintf("resource \"fmcupgrade_device_upgrade\" \"job\" {\n%s\n}\n", tc.args),
					PlanOnly:    true,
					ExpectError: messageRE(tc.want),
				}},
			})
		})
	}
}

func TestDriftedUnits(t *testing.T) {
	names := map[string]string{"a": "fw-a", "b": "fw-b", "c": "fw-c"}
	versions := map[string]string{"a": "7.4.2", "b": "7.2.5", "c": "7.2.9"}
	// fw-c's platform stops at 7.2.9: its own last hop, not the target,
	// says whether it drifted.
	hops := map[string][]string{"fw-a": {"7.2.5", "7.4.2"}, "fw-c": {"7.2.5", "7.2.9"}}
	got := driftedUnits("7.4.2", versions, names, hops)
	if len(got) != 1 || got[0] != "fw-b" {
		t.Errorf("drifted = %v, want [fw-b]", got)
	}
}
