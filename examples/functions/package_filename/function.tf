# "Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar"
output "fp3100_package" {
  value = provider::fmcupgrade::package_filename("secure_firewall_3100", "7.6.1")
}

# A build given with the version is used as is.
output "fmc_package" {
  value = provider::fmcupgrade::package_filename("management_center", "7.6.1-291")
}
