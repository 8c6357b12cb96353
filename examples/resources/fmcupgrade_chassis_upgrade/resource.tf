# The Firepower 4100 chassis of HA pair dc1-edge go to FXOS 2.14.1.131, the
# companion of threat defense 7.4: the standby's chassis first, a role switch,
# then the other chassis (HA-1, HA-3). Credentials come from FXOS_USERNAME and
# FXOS_PASSWORD.
resource "fmcupgrade_chassis_upgrade" "dc1_edge" {
  target_version = "2.14.1.131"
  chassis = [
    { name = "FLM3B4ACE07", manager_url = "https://dc1-fxos-a.example.com" },
    { name = "FLM87D8BE59", manager_url = "https://dc1-fxos-b.example.com" },
  ]
  image_server = {
    protocol = "scp"
    host     = "images.example.com"
    path     = "/fxos"
    user     = "images"
    password = var.image_server_password
  }
  timeouts {
    create = "4h"
    update = "4h"
  }
}

# Two Secure Firewall 3130 in multi-instance mode hosting an HA pair, prepared
# for threat defense 7.4.2 through the management center (HA-5, two workflows).
resource "fmcupgrade_chassis_upgrade" "dc2_mi" {
  threat_defense_version = "7.4.2"
  chassis = [
    { name = "dc2-sf3130-mi-b", fmc_chassis_id = "89d41f4e-052f-5984-a76b-95450f3ef343" },
    { name = "dc2-sf3130-mi", fmc_chassis_id = "47ba122b-d298-55fe-8e52-d26007aa5166" },
  ]
}

variable "image_server_password" {
  type      = string
  sensitive = true
}
