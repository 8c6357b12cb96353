# Adopt a package that is already on the management center (uploaded by hand
# or downloaded from Cisco). Any spelling of its name works: the .sh name the
# Product Upgrades page shows, the _FP3K variant or the guide's form.
resource "fmcupgrade_upgrade_package" "sf3100_742" {
  file_name = "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"
}

# Point devices at an internal server: they copy the package from there
# instead of through the management center, which spares its disk and the
# WAN links to branch sites. The file name comes from the URL.
resource "fmcupgrade_upgrade_package" "fp1000_761" {
  url             = "https://repo.example.com/ftd/Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar"
  ca_certificates = file("${path.module}/repo-ca.pem")

  # Check from the pipeline that the file is there, and trusted by these
  # certificates, before the management center is told about it.
  verify_url = true
}

# Let the catalog name the file, so that a version bump is a one-line change.
data "fmcupgrade_package_filename" "virtual" {
  platform = "threat_defense_virtual"
  version  = "7.6.1"
}

resource "fmcupgrade_upgrade_package" "virtual_761" {
  url             = "https://repo.example.com/ftd/${data.fmcupgrade_package_filename.virtual.file_name}"
  ca_certificates = file("${path.module}/repo-ca.pem")
}

# Which devices each package can upgrade now, by platform family.
output "applicable_devices" {
  value = {
    for p in [
      fmcupgrade_upgrade_package.sf3100_742,
      fmcupgrade_upgrade_package.fp1000_761,
      fmcupgrade_upgrade_package.virtual_761,
    ] : "${join("+", p.platforms)} ${p.version}-${p.build}" => p.applicable_device_ids
  }
}
