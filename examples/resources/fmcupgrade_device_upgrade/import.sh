# <target_version>:<unit>,<unit>... where each unit is a device, HA pair or
# cluster, by id or by name as the management center shows it:
terraform import fmcupgrade_device_upgrade.branch_and_edge 7.4.2:br-fw-01,dc1-edge
