# Read the live estate from the management center configured in the
# provider block (or FMC_URL / FMC_USERNAME / FMC_PASSWORD).
data "fmcupgrade_inventory" "live" {}

# Every threat defense device below 7.6, with the family the planning data
# sources take as platform.
output "devices_below_7_6" {
  value = [
    for d in data.fmcupgrade_inventory.live.devices :
    "${d.name} (${d.platform}) ${d.version}"
    if provider::fmcupgrade::compare_versions(d.version, "7.6.0") < 0
  ]
}

# Which unit of each HA pair is active now: the standby is upgraded first.
output "ha_active_units" {
  value = {
    for p in data.fmcupgrade_inventory.live.ha_pairs : p.name => p.active_id
  }
}

# The upgrade path of each device from the version it runs.
data "fmcupgrade_upgrade_path" "device" {
  for_each = {
    for d in data.fmcupgrade_inventory.live.devices : d.name => d if d.platform != null
  }
  product  = "threat_defense"
  platform = each.value.platform
  from     = each.value.version
  to       = "7.6.1"
}
