package provider

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

// readinessOutputs lists the rows of data.fmcupgrade_readiness.x with a
// given status as "check@target", sorted, so a test compares whole sets.
const readinessOutputs = `
output "fails" {
  value = sort([for c in data.fmcupgrade_readiness.x.checks : "${c.id}@${c.target}" if c.status == "fail"])
}
output "skips" {
  value = sort([for c in data.fmcupgrade_readiness.x.checks : "${c.id}@${c.target}" if c.status == "skip"])
}
output "warn_checks" {
  value = sort(distinct([for c in data.fmcupgrade_readiness.x.checks : c.id if c.status == "warn"]))
}
`

func stringsExact(s ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(s))
	for i, v := range s {
		checks[i] = knownvalue.StringExact(v)
	}
	return knownvalue.ListExact(checks)
}

// settledDemo serves the demo once the deployment to br-fw-04 it starts
// with (four minutes) has ended: its clock is a manual one moved past it, so
// no task runs. Requests are still counted against the rate limit in real
// time.
func settledDemo(t *testing.T) *fmcsim.Server {
	t.Helper()
	sc := demoScenario(t)
	clock := fmcsim.NewManualClock(*sc.StartTime)
	srv := fmcsim.StartTest(t, fmcsim.Options{Scenario: sc, Clock: clock, RateClock: fmcsim.NewScaledClock(time.Now(), 1)})
	clock.Advance(5 * time.Minute)
	return srv
}

func TestAccReadinessDataSource_demo(t *testing.T) {
	srv := settledDemo(t)
	const ds = "data.fmcupgrade_readiness.x"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The data-centre pairs and cluster, by name: ready, with the
				// warnings a reviewer still has to look at. The management
				// center's task list is read and nothing runs.
				Config: simProviderConfig(srv, "") + `
data "fmcupgrade_readiness" "x" {
  target_version = "7.4.2"
  device_ids     = ["dc1-edge", "dc2-edge", "dc1-core"]
}

output "mc_running_tasks" {
  value = [for c in data.fmcupgrade_readiness.x.checks : "${c.status}: ${c.observed}" if c.id == "running_tasks" && c.target == "fmc01.corp.example.com"]
}
` + readinessOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("id"), knownvalue.StringExact("fmc01.corp.example.com/7.4.2")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("blocking"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownOutputValue("fails", knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownOutputValue("warn_checks", stringsExact("backup", "fxos_companion")),
					statecheck.ExpectKnownOutputValue("mc_running_tasks", stringsExact("pass: no running task")),
					// The management center comes first; its path needs no upgrade.
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("checks").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":       knownvalue.StringExact("path"),
						"target":   knownvalue.StringExact("fmc01.corp.example.com"),
						"status":   knownvalue.StringExact("pass"),
						"observed": knownvalue.StringRegexp(regexp.MustCompile(`no management center upgrade needed`)),
						"remedy":   knownvalue.Null(),
						"rules":    stringsExact("ORDER-1"),
					})),
				},
			},
			{
				// The whole demo: the seeded findings block, an ignored check
				// on one device is reported as skipped.
				Config: simProviderConfig(srv, "") + `
data "fmcupgrade_readiness" "x" {
  target_version = "7.4.2"
  ignore         = ["health_time_sync:br-fw-03", "chassis_version"]
}
` + readinessOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("ready"), knownvalue.Bool(false)),
					statecheck.ExpectKnownOutputValue("fails", stringsExact(
						"health_disk_usage@cloud-ftdv-az-01",
						"pending_deployment@br-fw-02",
					)),
					statecheck.ExpectKnownOutputValue("skips", stringsExact(
						"chassis_version@dc2-mi-fw1",
						"chassis_version@dc2-mi-fw2",
						"health_time_sync@br-fw-03",
					)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("blocking"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringRegexp(regexp.MustCompile(`^pending_deployment on br-fw-02: configuration changes are not deployed\. Fix: deploy to br-fw-02 .*\[READY-2\]$`)),
						knownvalue.StringRegexp(regexp.MustCompile(`^health_disk_usage on cloud-ftdv-az-01: DISK_USAGE RED: /ngfw is 94% full.*\[READY-1\]$`)),
					})),
				},
			},
		},
	})
	if a := srv.Audit(); len(a) != 0 {
		t.Fatalf("simulator audit: %+v", a)
	}
}

// faultyReadinessScenario is the demo with a split-brain HA pair, a
// disconnected branch firewall, a disk-usage alert on the management center
// and a second pending deployment. Its clock stands still, so what the test
// starts stays running.
func faultyReadinessScenario(t *testing.T) *fmcsim.Scenario {
	t.Helper()
	sc := demoScenario(t)
	sc.Faults = append(sc.Faults,
		fmcsim.Fault{Kind: fmcsim.FaultSplitBrain, Target: "dc1-edge", Duration: fmcsim.Duration(4 * time.Hour)},
		fmcsim.Fault{Kind: fmcsim.FaultDisconnect, Target: "br-fw-01", Duration: fmcsim.Duration(4 * time.Hour)},
	)
	sc.HealthAlerts = append(sc.HealthAlerts, fmcsim.HealthAlert{Device: "0", Module: "DISK_USAGE", Status: "YELLOW", Details: "/Volume is 91% full.", Age: fmcsim.Duration(30 * time.Minute)})
	sc.PendingDeployments = append(sc.PendingDeployments, "dc2-mi-fw2")
	return sc
}

// startReadinessTasks starts a deployment to dc2-mi-fw2 and a package copy
// to br-fw-03 through the management center's API.
func startReadinessTasks(t *testing.T, srv *fmcsim.Server) {
	t.Helper()
	ctx := context.Background()
	user, pass := srv.Credentials()
	c, err := fmc.New(fmc.Config{URL: srv.URL(), Username: user, Password: pass, CACertificatePEM: string(srv.CACertPEM())})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	devs, err := c.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for _, d := range devs {
		id[d.Name] = d.ID
	}
	dds, err := c.ListDeployableDevices(ctx)
	if err != nil || len(dds) == 0 {
		t.Fatalf("deployable devices: %v %v", dds, err)
	}
	if _, err := c.Deploy(ctx, fmc.DeploymentRequest{Version: string(dds[0].Version), DeviceIDs: []string{id["dc2-mi-fw2"]}, IgnoreWarning: true}); err != nil {
		t.Fatal(err)
	}
	pkg, found, err := c.FindUpgradePackage(ctx, "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar")
	if err != nil || !found {
		t.Fatalf("package: %v %v", found, err)
	}
	if _, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg.ID, Targets: []fmc.Reference{fmc.DeviceTarget(id["br-fw-03"], "br-fw-03")}, PushUpgradeFileOnly: true}); err != nil {
		t.Fatal(err)
	}
}

func TestAccReadinessDataSource_faulty(t *testing.T) {
	sc := faultyReadinessScenario(t)
	srv := fmcsim.StartTest(t, fmcsim.Options{Scenario: sc, Clock: fmcsim.NewManualClock(*sc.StartTime)})
	startReadinessTasks(t, srv)
	const fmcName = "fmc01.corp.example.com"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: simProviderConfig(srv, "") + `
data "fmcupgrade_readiness" "x" {
  target_version = "7.4.2"
}
` + readinessOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.fmcupgrade_readiness.x", tfjsonpath.New("ready"), knownvalue.Bool(false)),
					statecheck.ExpectKnownOutputValue("fails", stringsExact(
						"chassis_version@dc2-mi-fw1",
						"chassis_version@dc2-mi-fw2",
						"connected@br-fw-01",
						"ha_sync@dc1-edge",
						"health_disk_usage@cloud-ftdv-az-01",
						"health_disk_usage@"+fmcName,
						"health_ha_cluster@dc1-edge-a",
						"health_ha_cluster@dc1-edge-b",
						"health_time_sync@br-fw-03",
						"pending_deployment@br-fw-02",
						"pending_deployment@dc2-mi-fw2",
						"running_tasks@br-fw-03",
						"running_tasks@br-fw-04",
						"running_tasks@dc2-mi-fw2",
						"running_tasks@"+fmcName,
					)),
				},
			},
			{
				// The precondition stops the maintenance window at plan time
				// and names the blocking rows.
				Config: simProviderConfig(srv, "") + `
data "fmcupgrade_readiness" "x" {
  target_version = "7.4.2"
  device_ids     = ["dc1-edge"]
}

resource "terraform_data" "window" {
  input = data.fmcupgrade_readiness.x.id
  lifecycle {
    precondition {
      condition     = data.fmcupgrade_readiness.x.ready
      error_message = "Not ready to upgrade:\n${join("\n", data.fmcupgrade_readiness.x.blocking)}"
    }
  }
}
`,
				ExpectError: regexp.MustCompile(`(?s)Resource precondition failed.*Not ready to upgrade:.*ha_sync on\s+dc1-edge:\s+HA\s+pair\s+is\s+split-brain.*\[HA-1,\s+READY-1\]`),
			},
		},
	})
	if a := srv.Audit(); len(a) != 0 {
		t.Fatalf("simulator audit: %+v", a)
	}
}

// The gate opens when readiness passes: ignoring per device what blocks a
// branch firewall lets the window go ahead, with the skipped checks still
// in the state.
func TestAccReadinessDataSource_gateOpens(t *testing.T) {
	srv := settledDemo(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: simProviderConfig(srv, "") + `
data "fmcupgrade_readiness" "x" {
  target_version = "7.4.2"
  device_ids     = ["br-fw-02", "br-fw-03"]
  package_ids    = ["Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"]
  ignore         = ["pending_deployment", "health_time_sync:br-fw-03"]
}

resource "terraform_data" "window" {
  input = data.fmcupgrade_readiness.x.id
  lifecycle {
    precondition {
      condition     = data.fmcupgrade_readiness.x.ready
      error_message = join("\n", data.fmcupgrade_readiness.x.blocking)
    }
  }
}
` + readinessOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("terraform_data.window", tfjsonpath.New("input"), knownvalue.StringExact("fmc01.corp.example.com/7.4.2")),
					statecheck.ExpectKnownOutputValue("fails", knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownOutputValue("skips", stringsExact(
						"health_time_sync@br-fw-03",
						"pending_deployment@br-fw-02",
						"pending_deployment@br-fw-03",
					)),
				},
			},
		},
	})
}

func TestAccReadinessDataSource_errors(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	cfg := func(args string) string {
		return simProviderConfig(srv, "") + "data \"fmcupgrade_readiness\" \"x\" {\n" + args + "\n}\n"
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The management center's own checks are mandatory.
				Config:      cfg(`target_version = "7.4.2"` + "\n" + `ignore = ["health_time_sync"]`),
				ExpectError: regexp.MustCompile(`(?s)Upgrade rule READY-5.*with data.fmcupgrade_readiness.x.*ignore.*mandatory.*health_time_sync:<device`),
			},
			{
				Config:      cfg(`target_version = "7.4.2"` + "\n" + `ignore = ["backup:management_center"]`),
				ExpectError: regexp.MustCompile(`(?s)Upgrade rule READY-5`),
			},
			{
				Config:      cfg(`target_version = "7.4.2"` + "\n" + `ignore = ["ntp"]`),
				ExpectError: regexp.MustCompile(`(?s)Invalid ignore.*"ntp" is not a readiness check.*health_time_sync`),
			},
			{
				Config:      cfg(`target_version = "7.4.0"`),
				ExpectError: regexp.MustCompile(`(?s)Upgrade rule PATH-2.*target_version.*fresh install`),
			},
			{
				Config:      cfg(`target_version = "7.4.2"` + "\n" + `device_ids = ["no-such-firewall"]`),
				ExpectError: regexp.MustCompile(`(?s)Invalid device_ids.*"no-such-firewall" is not a device`),
			},
			{
				Config:      cfg(`target_version = "7.4.2"` + "\n" + `package_ids = ["Cisco_FTD_Upgrade-9.9.9-1.sh.REL.tar"]`),
				ExpectError: regexp.MustCompile(`(?s)Upgrade rule PKG-1.*package_ids.*not an upgrade package`),
			},
			{
				Config:      cfg(`target_version = ""`),
				ExpectError: regexp.MustCompile(`(?s)target_version.*at least 1`),
			},
			{
				// Without a management center the data source says what to set.
				Config:      `data "fmcupgrade_readiness" "x" { target_version = "7.4.2" }`,
				ExpectError: regexp.MustCompile(`(?s)No management center connection.*FMC_URL`),
			},
			{
				// Leaving the management center out lets its checks be ignored;
				// a device target past it then fails ORDER-2.
				Config: cfg(`target_version = "7.6.1"
include_management_center = false
device_ids = ["cloud-ftdv-aws-01"]
ignore = ["health_time_sync", "backup"]`) + readinessOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("fails", stringsExact("management_center_version@cloud-ftdv-aws-01")),
					statecheck.ExpectKnownOutputValue("skips", stringsExact("backup@cloud-ftdv-aws-01", "health_time_sync@cloud-ftdv-aws-01")),
				},
			},
		},
	})
}
