# The upgrade package of a Secure Firewall 3100 for 7.6.1, with the names
# the same package may carry on the management center.
data "fmcupgrade_package_filename" "fp3100" {
  platform = "secure_firewall_3100"
  version  = "7.6.1"
}

output "fp3100_file" {
  value = data.fmcupgrade_package_filename.fp3100.file_name
}

output "fp3100_also_known_as" {
  value = data.fmcupgrade_package_filename.fp3100.alternate_file_names
}

# A release whose build the catalog does not know yet: give the build.
data "fmcupgrade_package_filename" "ftdv" {
  platform = "threat_defense_virtual"
  version  = "7.7.13"
  build    = 15
}

# A hotfix, named by its code from Cisco's download page.
data "fmcupgrade_package_filename" "hotfix" {
  platform = "secure_firewall_3100"
  version  = "7.6.4.1-2"
  kind     = "hotfix"
  hotfix   = "DD"
}

# The FXOS bundle of a Firepower 4100 chassis.
data "fmcupgrade_package_filename" "fxos" {
  platform = "firepower_4100"
  version  = "2.14.1.131"
  kind     = "fxos"
}
