# Plan a declared estate: no management center connection needed. The plan
# output lists every step with its wave and rules, for review in the pull
# request that changes target_version.
data "fmcupgrade_upgrade_plan" "datacenter" {
  target_version = "7.6.1"
  max_parallel   = 4

  management_center = {
    name    = "fmc-a"
    version = "7.4.2"
    ha_peer = "fmc-b"
  }

  chassis = [
    { name = "dc1-fxos-a", platform = "firepower_4100", fxos_version = "2.12.0.498" },
    { name = "dc1-fxos-b", platform = "firepower_4100", fxos_version = "2.12.0.498" },
    { name = "dc1-9300-1", platform = "firepower_9300", fxos_version = "2.14.1.131" },
    { name = "dc1-9300-2", platform = "firepower_9300", fxos_version = "2.14.1.131" },
  ]

  devices = [
    { name = "edge-a", platform = "firepower_4100", version = "7.2.5", chassis = "dc1-fxos-a" },
    { name = "edge-b", platform = "firepower_4100", version = "7.2.5", chassis = "dc1-fxos-b" },
    { name = "core-1", platform = "firepower_9300", version = "7.4.1", chassis = "dc1-9300-1" },
    { name = "core-2", platform = "firepower_9300", version = "7.4.1", chassis = "dc1-9300-2" },
    { name = "core-3", platform = "firepower_9300", version = "7.4.1", chassis = "dc1-9300-2" },
    { name = "branch-1", platform = "firepower_1000", version = "7.2.5" },
    { name = "cloud-1", platform = "threat_defense_virtual", version = "7.4.1" },
  ]

  ha_pairs = [
    { name = "edge-ha", primary = "edge-a", secondary = "edge-b", active = "edge-a" },
  ]

  clusters = [
    { name = "core", control = "core-1", data = ["core-2", "core-3"] },
  ]
}

output "upgrade_steps" {
  value = data.fmcupgrade_upgrade_plan.datacenter.lines
}

# Commit the runbook and the diagram next to the configuration so the change
# board reviews exactly what will run.
resource "local_file" "runbook" {
  filename = "${path.module}/UPGRADE-RUNBOOK.md"
  content  = "${data.fmcupgrade_upgrade_plan.datacenter.runbook_markdown}\n```mermaid\n${data.fmcupgrade_upgrade_plan.datacenter.mermaid}\n```\n"
}

# Or read the estate live from the provider's management center: leave
# devices out. Firepower 4100/9300 chassis versions come from their chassis
# managers, so declare them by the serial number the management center shows.
data "fmcupgrade_upgrade_plan" "live" {
  target_version = "suggested"
  chassis = [
    { name = "FLM2232000A", platform = "firepower_4100", fxos_version = "2.12.0.498" },
  ]
}
