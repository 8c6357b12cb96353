# Every threat defense release a Secure Firewall 1200 can run.
data "fmcupgrade_releases" "fw1200" {
  platform = "secure_firewall_1200"
}

output "fw1200_versions" {
  value = data.fmcupgrade_releases.fw1200.releases[*].version
}

# The suggested management center release of each train.
data "fmcupgrade_releases" "fmc" {
  product = "management_center"
}

output "fmc_suggested_per_train" {
  value = { for t in data.fmcupgrade_releases.fmc.trains : t.train => t.suggested }
}
