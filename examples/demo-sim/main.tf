# A full upgrade against the management center simulator: no real management
# center, no network. `make demo-sim` starts the simulator on loopback, sets
# FMC_URL, FMC_USERNAME, FMC_PASSWORD and the FXOS_* credentials, and runs
# plan and apply on these files with a locally built provider.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    fmcupgrade = {
      source = "fmcupgrade/fmcupgrade"
    }
  }
}

variable "ca_file" {
  description = "PEM of the CA the simulator signs its certificate with (fmcsim --write-ca)."
  type        = string
}

variable "target_version" {
  description = "Threat defense target."
  type        = string
  default     = "7.4.2"
}

provider "fmcupgrade" {
  # url, username and password come from FMC_URL, FMC_USERNAME, FMC_PASSWORD.
  ca_certificate = file(var.ca_file)
  # The simulator runs an hour of upgrade per real second: poll often.
  poll_interval = "1s"
}

# The live estate: management center, devices, HA pairs, clusters, chassis.
data "fmcupgrade_inventory" "live" {}

locals {
  devices = { for d in data.fmcupgrade_inventory.live.devices : d.name => d }
  chassis = { for c in data.fmcupgrade_inventory.live.chassis : c.id => c }

  # The Firepower 4100 chassis hosting HA pair dc1-edge, as the management
  # center names them (their serial numbers), with their chassis managers.
  edge_chassis = [
    for n in ["dc1-edge-a", "dc1-edge-b"] : local.chassis[local.devices[n].chassis_id]
  ]

}

# The plan for a subset of the estate, declared from the inventory: one branch
# firewall and the dc1-edge pair with the chassis under it (FXOS 2.12.1.48, as
# the chassis managers report it; the management center does not).
data "fmcupgrade_upgrade_plan" "subset" {
  target_version = var.target_version

  management_center = {
    name    = data.fmcupgrade_inventory.live.management_center.hostname
    version = data.fmcupgrade_inventory.live.management_center.version
  }

  chassis = [
    for c in local.edge_chassis : { name = c.name, platform = c.platform, fxos_version = "2.12.1.48" }
  ]

  devices = [
    for n in ["br-fw-01", "dc1-edge-a", "dc1-edge-b"] : {
      name     = n
      platform = local.devices[n].platform
      version  = local.devices[n].version
      chassis  = try(local.chassis[local.devices[n].chassis_id].name, null)
    }
  ]

  ha_pairs = [{
    name      = "dc1-edge"
    primary   = "dc1-edge-a"
    secondary = "dc1-edge-b"
    active    = one([for d in data.fmcupgrade_inventory.live.devices : d.name if d.container_name == "dc1-edge" && d.state == "Active"])
  }]
}

# 1. FXOS first (ORDER-4): both chassis of dc1-edge to the FXOS companion of
#    the target, one at a time, standby's chassis first, with a role switch
#    in between (HA-1, HA-3). The chassis managers fetch the FXOS bundle from
#    the image server when they lack it.
resource "fmcupgrade_chassis_upgrade" "dc1_edge" {
  threat_defense_version = var.target_version
  chassis = [
    for c in local.edge_chassis : { name = c.name, manager_url = c.manager_url }
  ]
  # fxos_username, fxos_password and fxos_ca_certificate come from
  # FXOS_USERNAME, FXOS_PASSWORD and FXOS_CA_CERTIFICATE.
  image_server = {
    protocol = "scp"
    host     = "127.0.0.1"
    path     = "/images"
    user     = "images"
    password = "Image-Pa55"
  }
  timeouts {
    create = "10m"
  }
}

# 2. Then threat defense: br-fw-01 and the dc1-edge pair to the target. The
#    chassis versions come from the chassis job, so this job's steps are
#    computed at apply, from the estate as the chassis job left it.
resource "fmcupgrade_device_upgrade" "job" {
  target_version = var.target_version
  device_ids     = ["br-fw-01"]
  ha_pair_ids    = ["dc1-edge"]
  chassis = [
    for name, v in fmcupgrade_chassis_upgrade.dc1_edge.chassis_versions : { name = name, fxos_version = v }
  ]
  timeouts {
    create = "10m"
  }

  depends_on = [fmcupgrade_chassis_upgrade.dc1_edge]
}
