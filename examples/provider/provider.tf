terraform {
  required_providers {
    fmcupgrade = {
      source = "fmcupgrade/fmcupgrade"
    }
  }
}

# The planning data sources and functions work offline. The connection is
# only used by the live data sources (fmcupgrade_inventory) and, later, the
# upgrade resources. Credentials can also come from FMC_URL, FMC_USERNAME and
# FMC_PASSWORD, which keeps them out of the configuration.
provider "fmcupgrade" {
  url            = "https://fmc.example.com"
  username       = "terraform"
  password       = var.fmc_password
  domain         = "Global/DataCenter"
  ca_certificate = file("${path.module}/fmc-ca.pem")

  # The management center answers 429 above 120 requests a minute; the
  # provider stays below the limit it is given.
  requests_per_minute = 120

  # Optional: releases, builds and dates Cisco published after this provider
  # version, merged over the embedded catalog.
  catalog_file = "${path.module}/catalog-overlay.json"
}

variable "fmc_password" {
  type      = string
  sensitive = true
}
