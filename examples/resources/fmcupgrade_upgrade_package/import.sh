# By the package's id on the management center:
terraform import fmcupgrade_upgrade_package.sf3100_742 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0

# Or by its file name, in any accepted spelling:
terraform import fmcupgrade_upgrade_package.sf3100_742 Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar
