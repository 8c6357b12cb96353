# Stage by day (phase = "stage"), then change phase to "upgrade" for the
# maintenance window: the second apply continues where staging stopped.
resource "fmcupgrade_device_upgrade" "branch_and_edge" {
  target_version = "7.4.2"
  device_ids     = ["br-fw-01"]
  ha_pair_ids    = ["dc1-edge"]

  # FXOS versions of the Firepower 4100 chassis hosting dc1-edge, by the
  # names the management center shows; upgrade them first with
  # fmcupgrade_chassis_upgrade when the plan asks for it (ORDER-4). Only
  # phase = "stage" may run before that: copies do not depend on FXOS.
  chassis = [
    { name = "FLM3B4ACE07", fxos_version = "2.14.1.131" },
    { name = "FLM87D8BE59", fxos_version = "2.14.1.131" },
  ]

  phase        = "upgrade"
  max_parallel = 4

  # Go ahead although this unit's clock drifts; reported as a warning.
  ignore_checks = ["health_time_sync:br-fw-01"]

  timeouts {
    create = "8h"
    update = "8h"
  }
}

output "upgrade_steps" {
  value = fmcupgrade_device_upgrade.branch_and_edge.steps
}
