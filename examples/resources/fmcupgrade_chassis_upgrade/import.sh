# The chassis names as the management center lists them (the serial number of
# a Firepower 4100/9300), comma-separated, in the order of the chassis list.
terraform import fmcupgrade_chassis_upgrade.dc1_edge FLM3B4ACE07,FLM87D8BE59
