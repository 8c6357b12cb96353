// Package fmcsim simulates a Cisco Secure Firewall management center (FMC)
// and the chassis managers of its Firepower 4100/9300 chassis, for tests,
// demos and users' own pipelines. It serves the paths, status codes,
// headers, error bodies, paging envelopes, token rules and rate limits the
// real API shows, over an estate described by a Scenario, on a simulated
// Clock, with injectable faults and an auditor that records every operator
// rule of the product brief a client breaks.
//
// # Serving
//
// One listener (loopback only; see CheckLoopback) serves three trees:
//
//   - /api/...: the management center REST API.
//   - /fxos/{chassisID}/api/...: the FXOS chassis manager of each 4100/9300
//     chassis. A real chassis is its own host; here each gets a path
//     prefix, so ChassisURL(id) is the base URL a client would otherwise
//     build from the chassis address, and device records point at it in
//     metadata.chassisData.chassisUrl.
//   - /simulator/v1/...: the control API (no token): GET audit, stats,
//     estate and faults; POST faults; POST clock (manual clock only);
//     POST management_center/upgrade ({"version":"7.6.1"}: the operator's
//     management center upgrade, see Server.UpgradeManagementCenter);
//     DELETE audit.
//
// Management center routes (pattern strings are also the keys of
// Stats.ByRoute):
//
//	POST   /api/fmc_platform/v1/auth/generatetoken
//	POST   /api/fmc_platform/v1/auth/refreshtoken
//	GET    /api/fmc_platform/v1/info/serverversion[/{objectId}]
//	GET    /api/fmc_platform/v1/info/domain
//	GET    /api/fmc_platform/v1/updates/upgradepackages[/{objectId}]
//	POST   /api/fmc_platform/v1/updates/upgradepackages  (pointer to an internal server; inferred)
//	DELETE /api/fmc_platform/v1/updates/upgradepackages/{objectId}
//	GET    /api/fmc_platform/v1/updates/upgradepackages/{containerUUID}/applicabledevices
//	POST   /api/fmc_platform/v1/updates/{upgrades,cancelupgrades,retryupgrades,revertupgrades}
//	GET    /api/fmc_config/v1/domain/{domainUUID}/devices/devicerecords[/{objectId}]
//	GET    …/devicehapairs/ftddevicehapairs[/{objectId}], PUT …/{objectId} (SWITCH, HABREAK, trigger criteria)
//	GET    …/deviceclusters/ftddevicecluster[/{objectId}]
//	POST   …/deviceclusters[/ftddevicecluster]/{containerUUID}/operational/ftdclusterdevicecommands
//	GET    …/chassis/fmcmanagedchassis[/{objectId}]
//	GET    …/health/alerts
//	GET    …/job/taskstatuses[/{objectId}]
//	GET    …/deployment/deployabledevices, POST …/deployment/deploymentrequests, GET …/deployment/jobhistories
//	POST   …/backup/operational/devicebackup
//	GET    …/integration/fmchastatuses
//
// Chassis manager routes, under /fxos/{chassisID}: POST /api/login and
// /api/logout (USERNAME/PASSWORD and TOKEN headers), GET /api?classId=
// (smAppInstance, equipmentChassis, firmwareRunning,
// firmwareDistributable), GET /api/sys/firmware/version/{mgmt,system,kernel},
// GET /api/sys/firmware/distrib[/{id}], POST/GET/DELETE
// /api/sys/firmware/dnld[/{file}], GET
// /api/sys/firmware/validate-platform-fw/{id}, GET/PATCH
// /api/sys/firmware/sched-platform-fw, PATCH
// /api/sys/firmware/cancel-platform-fw, GET /api/sys/fw-system[/fsm].
//
// An unknown path answers 404 and a known path with another method 405
// (with Allow), both with the management center's error body
// {"error":{"category","messages":[{"description"}],"severity"}}.
//
// # Time
//
// Tasks, token lifetimes (30 minutes, three refreshes), chassis manager
// sessions (600 s idle, 3600 s absolute) and fault windows run on the
// simulated clock, so a ScaledClock at 60× plays an hour-long upgrade in a
// minute and expires tokens mid-poll as a long real upgrade would. The
// 120-requests-a-minute window runs on the wall clock unless the clock is
// a ManualClock, because clients limit themselves in real time. It is
// counted per login session (refreshes keep the session) and per client
// address for requests without a valid token; chassis manager paths are
// not rate limited. At most 10 requests per client address may be in
// flight at once (Options.MaxConnectionsPerIP). Nothing runs in the
// background: every request first brings the estate up to the
// clock's time, replaying due events in order, so a manual clock is fully
// deterministic.
//
// # Upgrades
//
// A full upgrade of a unit goes through package copy (skipped if pushed
// before), readiness check (skipped if one passed for the package), an HA
// failover when the unit is active, install, reboot (the device is
// disconnected) and, for cluster units, a cluster rejoin; only then does
// its version change. Targets are literal: one member of a pair or cluster
// upgrades alone (so a wrong order is possible and audited), while a pair
// or cluster id, or several members in one request, upgrades the whole
// container standby-first or data-units-first. A chassis reboot (FXOS
// install or multi-instance chassis upgrade) takes its instances down,
// fails their active units over and drops chassis manager sessions.
//
// # What is inferred
//
// Where the public sources do not show the wire, the simulator makes a
// documented choice and keeps it in one place:
//   - task status values PENDING/RUNNING/COMPLETED/FAILED and the upgrade
//     taskType DEVICE_UPGRADE (engine.go);
//   - device healthStatus as lower-case colours (green, yellow, red);
//   - HA unit status Active/Standby/Failed and configStatus
//     IN_SYNC/OUT_OF_SYNC/SPLIT_BRAIN (fmc_inventory.go);
//   - ordering of container targets, and whole-request refusal of
//     duplicate upgrade requests with 400 (fmc_upgrades.go);
//   - the management center's own readiness check is targeted by the id
//     of /info/serverversion; a 3100/4200 multi-instance chassis is
//     targeted by its fmcmanagedchassis id with the same package, and its
//     instances need the chassis at their maintenance release;
//   - metadata.task on device records, on the server version, on
//     multi-instance chassis records and on HA pairs (a role switch or
//     break) while a task works on them;
//   - upgradeType labels for patches and management center packages;
//   - the cluster command response, the FMC HA status values, and 404 for
//     an unknown domain;
//   - the FXOS install body (parseFXOSInstallBody), the fw-system/fsm and
//     validation shapes, and FXOS error codes other than 551/552/555;
//   - Retry-After on 429 is sent only when the scenario asks for it.
//
// Not simulated: creating or deleting device records, HA pairs and
// clusters; health metrics; upgrade snapshots and custom upgrades; the
// management center upgrading itself through its API, which offers only
// its readiness check (the control API stands in for the operator's
// upgrade in the web interface).
package fmcsim
