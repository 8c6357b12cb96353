# What is the path from 7.0.6 to 7.6.1 on a Firepower 4100, which files are
# needed, and which FXOS must the chassis run before each hop?
data "fmcupgrade_upgrade_path" "fp4100" {
  product  = "threat_defense"
  platform = "firepower_4100"
  from     = "7.0.6"
  to       = "7.6.1"
}

output "fp4100_hops" {
  value = [
    for h in data.fmcupgrade_upgrade_path.fp4100.hops :
    "${h.version}: ${coalesce(h.package_filename, "build unknown")}, FXOS ${h.fxos_version} first"
  ]
}

# The management center goes first; "latest" resolves to the newest release
# reachable from where it is.
data "fmcupgrade_upgrade_path" "fmc" {
  product  = "management_center"
  platform = "management_center"
  from     = "7.2.5"
  to       = "latest"
}

output "fmc_target" {
  value = data.fmcupgrade_upgrade_path.fmc.target
}

# The FXOS chassis itself: a train resolves to its latest known build.
data "fmcupgrade_upgrade_path" "chassis" {
  product  = "chassis"
  platform = "firepower_4100"
  from     = "2.12.0.498"
  to       = "2.14"
}

output "chassis_package" {
  value = data.fmcupgrade_upgrade_path.chassis.hops[0].package_filename
}
