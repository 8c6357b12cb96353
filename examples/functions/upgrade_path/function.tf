# ["7.4.2", "7.6.1"]
output "fp4100_hops" {
  value = provider::fmcupgrade::upgrade_path("threat_defense", "firepower_4100", "7.0.6", "7.6.1")
}

# Fail the plan early when a device would need more than one upgrade.
locals {
  hops = provider::fmcupgrade::upgrade_path("threat_defense", "secure_firewall_3100", "7.2.9", "7.6.1")
}

check "single_hop" {
  assert {
    condition     = length(local.hops) == 1
    error_message = "7.2.9 to 7.6.1 needs ${length(local.hops)} upgrades: ${join(" then ", local.hops)}"
  }
}
