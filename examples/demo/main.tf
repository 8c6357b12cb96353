# Offline upgrade planning: no management center, no network access.
# `make demo` runs this against a locally built provider.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    fmcupgrade = {
      source = "fmcupgrade/fmcupgrade"
    }
  }
}

provider "fmcupgrade" {}

# The management center goes first (ORDER-1): where can it get to?
data "fmcupgrade_upgrade_path" "fmc" {
  product  = "management_center"
  platform = "management_center"
  from     = "7.2.5"
  to       = "latest"
}

# A Firepower 4100 running threat defense 7.0.6: two hops, each needing an
# FXOS companion on the chassis first (ORDER-4).
data "fmcupgrade_upgrade_path" "fp4100" {
  product  = "threat_defense"
  platform = "firepower_4100"
  from     = "7.0.6"
  to       = "7.6.1"
}

# The FXOS chassis under it, to the companion of the first hop.
data "fmcupgrade_upgrade_path" "fp4100_chassis" {
  product  = "chassis"
  platform = "firepower_4100"
  from     = "2.12.0.498"
  to       = data.fmcupgrade_upgrade_path.fp4100.hops[0].fxos_version
}

# A Secure Firewall 3100 on 7.2.9: 7.6.0 came out before 7.2.9 (PATH-4), so
# 7.6.1 is the earliest 7.6 release it may go to.
data "fmcupgrade_upgrade_path" "fp3100" {
  product  = "threat_defense"
  platform = "secure_firewall_3100"
  from     = "7.2.9"
  to       = "7.6.1"
}

# Package names for a couple of families, with the other spellings the same
# file may show up under on the management center (PKG-1).
data "fmcupgrade_package_filename" "fp1000" {
  platform = "firepower_1000"
  version  = "7.6.0"
}

data "fmcupgrade_package_filename" "fw4200" {
  platform = "secure_firewall_4200"
  version  = "7.6.1-291"
}

# What the catalog knows for a Secure Firewall 1200.
data "fmcupgrade_releases" "fw1200" {
  platform = "secure_firewall_1200"
}
