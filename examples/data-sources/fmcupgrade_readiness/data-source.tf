# Readiness of the whole estate for threat defense 7.6.1, read live from the
# management center configured in the provider block. The management
# center is judged too (it goes first, ORDER-1) and its own checks cannot be
# ignored (READY-5).
data "fmcupgrade_readiness" "window" {
  target_version = "7.6.1"

  # A branch firewall whose small NTP offset the change board accepted:
  # ignored per device, still reported as a "skip" row.
  ignore = ["health_time_sync:br-fw-03"]
}

# Gate the maintenance window: plan and apply stop here while any check
# fails, and the error lists every blocking check with its fix and rule.
resource "terraform_data" "maintenance_window" {
  input = data.fmcupgrade_readiness.window.id

  lifecycle {
    precondition {
      condition     = data.fmcupgrade_readiness.window.ready
      error_message = "Not ready to upgrade to 7.6.1:\n${join("\n", data.fmcupgrade_readiness.window.blocking)}"
    }
  }
}

# Warnings do not block, but a reviewer reads them in the pull request.
output "readiness_warnings" {
  value = [
    for c in data.fmcupgrade_readiness.window.checks :
    "${c.id} on ${c.target}: ${c.observed}" if c.status == "warn"
  ]
}

# Only the threat defense virtual devices (by name), with the package staged
# for them; an HA pair or cluster name selects its units.
data "fmcupgrade_readiness" "cloud" {
  target_version = "7.6.1"
  device_ids     = ["cloud-ftdv-aws-01", "cloud-ftdv-az-01"]
  package_ids    = ["Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"]
}
