// Package fxos is a client for the REST API of the Firepower Chassis Manager
// of Firepower 4100/9300 chassis (FXOS 2.x), limited to what a platform
// bundle upgrade needs: login and logout, the running FXOS version, the
// firmware images on the chassis, downloading an image from a remote
// server, validating it, installing the platform bundle and following the
// installation through the reboots, and the application instances (threat
// defense) the chassis hosts.
//
// It knows the wire and nothing of Terraform. Every call takes a context and
// every wait honours it.
//
// # Behaviour on the wire
//
//   - POST /api/login with the USERNAME and PASSWORD headers answers
//     {"refreshPeriod":"0","token":"…"}; later calls send TOKEN. A bad
//     password is a 400 with error-code 551; a missing, idle-expired or
//     rebooted-away session is a 400 with error-code 552. On 552 the client
//     logs in again and repeats the call once. Sessions end after 10 idle
//     minutes by default, when the clock moves, and whenever FXOS reboots, so
//     the client never relies on a token surviving an upgrade.
//   - Objects come wrapped by class: {"firmwareRunning":[{…}]}. Attribute
//     values are strings, numbers included.
//   - While the chassis reboots, connections are refused or time out and the
//     manager may answer 5xx; reads are retried with capped exponential
//     backoff, and WaitInstall rides out the outages (two for FXOS 2.14.1 and
//     later when the firmware is updated too) until its timeout.
//   - Requests that change state are never repeated when their outcome is
//     unknown; the client first reads the state the request would have
//     changed (the download, the installation).
//
// # What is documented and what is inferred
//
// Documented by Cisco: login, logout, the TOKEN header and the error codes.
// Shown by public clients: /sys/firmware/distrib, /sys/firmware/version/mgmt
// (firmwareRunning.packageVersion), /sys/firmware/dnld/{file} with a
// firmwareDownloader body, /sys/firmware/validate-platform-fw,
// /sys/firmware/sched-platform-fw, /sys/fw-system/fsm and
// /api?classId=smAppInstance. Attribute names follow the FXOS MIBs.
//
// Inferred, each isolated in one function whose comment says what is assumed:
//   - [Client.InstallPlatformBundle]: the PATCH body (firmwarePlatformPack
//     with platformBundleVersion); no public source shows it.
//   - [Client.ValidatePlatformBundle]: that the id in the path is the image
//     file name and that the answer is a firmwareValidationStatus.
//   - [Client.InstallStatus]: which attributes the FSM answer carries; the
//     client reads both the FSM names (progress, status, currentFsm) and the
//     firmwareSystem names (fsmProgr, fsmStatus, fsmStageDescr, operState).
package fxos
