terraform {
  required_providers {
    fmcupgrade = {
      source = "fmcupgrade/fmcupgrade"
    }
  }
}

# The planning data sources and functions work offline: no management center
# connection is needed.
provider "fmcupgrade" {
  # Optional: releases, builds and dates Cisco published after this provider
  # version, merged over the embedded catalog.
  catalog_file = "${path.module}/catalog-overlay.json"
}
