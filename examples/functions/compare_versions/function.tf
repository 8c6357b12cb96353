variable "running" {
  type    = string
  default = "7.4.2.1"
}

# -1: a patch of 7.4.2 is still older than 7.6.1.
output "order" {
  value = provider::fmcupgrade::compare_versions(var.running, "7.6.1")
}

# Internet and fallback package downloads need management center 7.6.1 or
# later (PKG-2): warn the reviewer when the management center is older.
variable "fmc_version" {
  type    = string
  default = "7.4.2"
}

check "fmc_can_download" {
  assert {
    condition     = provider::fmcupgrade::compare_versions(var.fmc_version, "7.6.1") >= 0
    error_message = "Management center ${var.fmc_version} cannot fetch packages from the internet; stage them on an internal server."
  }
}
