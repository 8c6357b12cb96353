locals {
  # "7.4.2  Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar  FXOS 2.14 (fxos-k9.2.14.1.131.SPA)"
  fp4100_steps = [
    for h in data.fmcupgrade_upgrade_path.fp4100.hops : format("%-8s %s  FXOS %s%s",
      h.version,
      coalesce(h.package_filename, "(build unknown: see warnings)"),
      coalesce(h.fxos_version, "-"),
      h.fxos_package_filename == null ? "" : " (${h.fxos_package_filename})",
    )
  ]
}

output "fmc_path" {
  description = "Management center 7.2.5 to the newest reachable release."
  value = {
    target = data.fmcupgrade_upgrade_path.fmc.target
    hops = [
      for h in data.fmcupgrade_upgrade_path.fmc.hops :
      "${h.version}  ${coalesce(h.package_filename, "(build unknown)")}"
    ]
  }
}

output "fp4100_path" {
  description = "Firepower 4100 threat defense 7.0.6 to 7.6.1: each hop with its package and the FXOS the chassis needs first."
  value       = local.fp4100_steps
}

output "fp4100_chassis" {
  description = "The FXOS upgrade that must come before the first threat defense hop."
  value = [
    for h in data.fmcupgrade_upgrade_path.fp4100_chassis.hops :
    "FXOS ${data.fmcupgrade_upgrade_path.fp4100_chassis.from} -> ${h.version}  ${coalesce(h.package_filename, "(build unknown)")}"
  ]
}

output "fp3100_path" {
  description = "Secure Firewall 3100 7.2.9 to 7.6.1, with the rules behind the hop."
  value = {
    direct   = data.fmcupgrade_upgrade_path.fp3100.direct
    versions = data.fmcupgrade_upgrade_path.fp3100.versions
    package  = data.fmcupgrade_upgrade_path.fp3100.hops[0].package_filename
    rules    = data.fmcupgrade_upgrade_path.fp3100.hops[0].rules
  }
}

output "packages" {
  description = "Package file names per family, and the names the same file may carry."
  value = {
    for d in [data.fmcupgrade_package_filename.fp1000, data.fmcupgrade_package_filename.fw4200] :
    d.platform => {
      download  = d.file_name
      also_seen = d.alternate_file_names
      verified  = d.verified
    }
  }
}

output "fw1200_releases" {
  description = "Releases a Secure Firewall 1200 can run, and the suggested release."
  value = {
    versions  = data.fmcupgrade_releases.fw1200.releases[*].version
    suggested = data.fmcupgrade_releases.fw1200.suggested
  }
}

output "warnings" {
  description = "What a reviewer should check before approving the plan."
  value = {
    fmc            = data.fmcupgrade_upgrade_path.fmc.warnings
    fp4100         = data.fmcupgrade_upgrade_path.fp4100.warnings
    fp4100_chassis = data.fmcupgrade_upgrade_path.fp4100_chassis.warnings
    fp3100         = data.fmcupgrade_upgrade_path.fp3100.warnings
  }
}
