output "estate" {
  description = "What the management center reports before the upgrade."
  value = {
    management_center = "${data.fmcupgrade_inventory.live.management_center.hostname} ${data.fmcupgrade_inventory.live.management_center.version}"
    devices           = length(data.fmcupgrade_inventory.live.devices)
    ha_pairs          = data.fmcupgrade_inventory.live.ha_pairs[*].name
    dc1_edge_chassis  = { for c in local.edge_chassis : c.name => c.manager_url }
  }
}

output "subset_plan" {
  description = "The plan for br-fw-01 and dc1-edge, one line per step."
  value       = data.fmcupgrade_upgrade_plan.subset.lines
}

output "chassis_steps" {
  description = "The steps the chassis job ran."
  value       = fmcupgrade_chassis_upgrade.dc1_edge.steps
}

output "chassis_versions" {
  description = "FXOS version of each dc1-edge chassis after the job."
  value       = fmcupgrade_chassis_upgrade.dc1_edge.chassis_versions
}

output "chassis_status" {
  value = fmcupgrade_chassis_upgrade.dc1_edge.status
}

output "upgrade_steps" {
  description = "The steps the device job ran."
  value       = fmcupgrade_device_upgrade.job.steps
}

output "unit_versions" {
  description = "Device name to the version it runs after the job."
  value = {
    for d in data.fmcupgrade_inventory.live.devices : d.name => fmcupgrade_device_upgrade.job.unit_versions[d.id]
    if contains(keys(fmcupgrade_device_upgrade.job.unit_versions), d.id)
  }
}

output "upgrade_status" {
  value = fmcupgrade_device_upgrade.job.status
}
