package fmcsim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Task and subtask statuses. The management center's own vocabulary for
// upgrade tasks is not documented; clients poll until COMPLETED or FAILED
// (FMCAnsible roles) and treat PENDING/RUNNING as in progress (the Cisco
// Terraform provider), so the simulator uses exactly those four.
const (
	statusPending   = "PENDING"
	statusRunning   = "RUNNING"
	statusCompleted = "COMPLETED"
	statusFailed    = "FAILED"
)

// taskTypeUpgrade is the taskType of upgrade, push and readiness tasks.
// The 7.0 specification's enum has no upgrade value, so this name is the
// simulator's own (inferred).
const taskTypeUpgrade = "DEVICE_UPGRADE"

type taskState struct {
	id, name, taskType, kind string
	created, done            time.Time
	subs                     []*subTask
	// fixed status and message for tasks without subtasks.
	fixedStatus, fixedMessage string
	onDone                    []func(at time.Time)
	// pkg is the upgrade package of a copy, readiness check or upgrade.
	pkg string
}

type subTask struct {
	target          ref
	status, message string
	cancelled       bool
}

func (t *taskState) status() string {
	if len(t.subs) == 0 {
		return t.fixedStatus
	}
	failed := false
	for _, st := range t.subs {
		switch st.status {
		case statusPending, statusRunning:
			return statusRunning
		case statusFailed:
			failed = true
		}
	}
	if failed {
		return statusFailed
	}
	return statusCompleted
}

func (t *taskState) message() string {
	if len(t.subs) == 0 {
		return t.fixedMessage
	}
	var running, failed int
	var firstFail string
	for _, st := range t.subs {
		switch st.status {
		case statusPending, statusRunning:
			running++
		case statusFailed:
			failed++
			if firstFail == "" {
				firstFail = st.target.Name + ": " + st.message
			}
		}
	}
	switch {
	case running > 0:
		return fmt.Sprintf("%s in progress: %d of %d targets done.", t.name, len(t.subs)-running, len(t.subs))
	case failed > 0:
		return fmt.Sprintf("%s failed on %d of %d targets. %s", t.name, failed, len(t.subs), firstFail)
	}
	return fmt.Sprintf("%s completed successfully on %d targets.", t.name, len(t.subs))
}

// newTask registers a task. Task ids are numeric strings, as the
// management center's are.
func (s *sim) newTask(kind, name, taskType string) *taskState {
	s.taskSeq++
	t := &taskState{id: fmt.Sprint(s.taskSeq), name: name, taskType: taskType, kind: kind, created: s.now}
	s.tasks[t.id] = t
	s.taskOrder = append(s.taskOrder, t)
	return t
}

func (t *taskState) addSub(id, typ, name string) *subTask {
	st := &subTask{target: ref{ID: id, Type: typ, Name: name}, status: statusPending, message: "Waiting to start."}
	t.subs = append(t.subs, st)
	return st
}

// settle records the completion time once every subtask has ended and runs
// completion hooks.
func (s *sim) settle(t *taskState, at time.Time) {
	if !t.done.IsZero() {
		return
	}
	if st := t.status(); st == statusCompleted || st == statusFailed {
		t.done = at
		for _, fn := range t.onDone {
			fn(at)
		}
	}
}

func (s *sim) finishSub(t *taskState, st *subTask, at time.Time, status, msg string) {
	st.status, st.message = status, msg
	s.settle(t, at)
}

// phase is one timed stage of an operation on a unit.
type phase struct {
	kind  string // copy, readiness, failover, install, reboot, rejoin, revert, rollback
	msg   string
	dur   time.Duration
	start func(at time.Time)
	end   func(at time.Time) error
}

// stepRun is one operation on one unit, moving through its phases on the
// simulated clock.
type stepRun struct {
	pkg    *packageState
	task   *taskState
	sub    *subTask
	mode   string
	phases []phase
	idx    int
	gen    int
	done   func(at time.Time, err error)
}

func (st *stepRun) current() string {
	if st.idx < len(st.phases) {
		return st.phases[st.idx].kind
	}
	return ""
}

func (st *stepRun) stateName() string {
	switch st.current() {
	case "copy":
		return "copying_package"
	case "readiness":
		return "readiness_check"
	case "failover":
		return "failing_over"
	case "install":
		return "upgrading"
	case "reboot":
		return "rebooting"
	case "rejoin":
		return "rejoining_cluster"
	case "revert":
		return "reverting"
	case "rollback":
		return "rolling_back"
	}
	return "busy"
}

// disruptive reports whether the unit is past the point where it stops
// passing traffic.
func (st *stepRun) disruptive() bool {
	switch st.current() {
	case "failover", "install", "reboot", "rejoin", "revert", "rollback":
		return true
	}
	return false
}

func (s *sim) runPhases(st *stepRun, at time.Time) {
	if st.idx >= len(st.phases) {
		st.done(at, nil)
		return
	}
	ph := st.phases[st.idx]
	st.sub.status, st.sub.message = statusRunning, ph.msg
	if ph.start != nil {
		ph.start(at)
	}
	gen := st.gen
	s.schedule(at.Add(ph.dur), func(t time.Time) {
		if st.gen != gen {
			return
		}
		if ph.end != nil {
			if err := ph.end(t); err != nil {
				st.done(t, err)
				return
			}
		}
		st.idx++
		s.runPhases(st, t)
	})
}

// jobStep is one unit's turn in a job; jobs run their steps one after the
// other and stop at the first failure.
type jobStep struct {
	sub  *subTask
	unit unitRef
	run  func(at time.Time, done func(at time.Time, ok bool))
}

func (s *sim) runJob(t *taskState, steps []jobStep, at time.Time) {
	var next func(i int, at time.Time)
	next = func(i int, at time.Time) {
		if i >= len(steps) {
			return
		}
		steps[i].unit.setReserved(nil)
		if steps[i].sub.cancelled {
			s.finishSub(t, steps[i].sub, at, statusFailed, "Cancelled before it started.")
			for _, rest := range steps[i+1:] {
				rest.unit.setReserved(nil)
				s.finishSub(t, rest.sub, at, statusFailed, "Not started: an earlier unit's upgrade was cancelled.")
			}
			return
		}
		steps[i].run(at, func(tm time.Time, ok bool) {
			if ok {
				next(i+1, tm)
				return
			}
			for _, rest := range steps[i+1:] {
				rest.unit.setReserved(nil)
				s.finishSub(t, rest.sub, tm, statusFailed,
					fmt.Sprintf("Not started: the operation on %s did not complete.", steps[i].sub.target.Name))
			}
		})
	}
	next(0, at)
}

// unitRef is something an upgrade can target: a device, a multi-instance
// chassis or the management center itself (readiness only).
type unitRef struct {
	dev *deviceState
	ch  *chassisState
	fmc bool
}

func (u unitRef) id(s *sim) string {
	switch {
	case u.dev != nil:
		return u.dev.id
	case u.ch != nil:
		return u.ch.id
	}
	return s.fmc.id
}

func (u unitRef) name(s *sim) string {
	switch {
	case u.dev != nil:
		return u.dev.name
	case u.ch != nil:
		return u.ch.name
	}
	return s.fmc.hostname
}

func (u unitRef) typ() string {
	switch {
	case u.dev != nil:
		return "Device"
	case u.ch != nil:
		return "FMCManagedChassis"
	}
	return "ManagementCenter"
}

func (u unitRef) version(s *sim) version.Version {
	switch {
	case u.dev != nil:
		return u.dev.ver
	case u.ch != nil:
		return u.ch.swVer
	}
	return s.fmc.ver
}

func (u unitRef) busy(s *sim) bool {
	switch {
	case u.dev != nil:
		return u.dev.op != nil || u.dev.reserved != nil
	case u.ch != nil:
		return u.ch.op != nil || u.ch.reserved != nil || u.ch.install != nil
	}
	// Readiness checks must not run on the management center twice at once.
	return s.fmc.op != nil
}

func (u unitRef) setReserved(t *taskState) {
	switch {
	case u.dev != nil:
		u.dev.reserved = t
	case u.ch != nil:
		u.ch.reserved = t
	}
}

// upgradeOpts are the flags of POST /updates/upgrades.
type upgradeOpts struct {
	mode       string // full, push, readiness
	pkg        *packageState
	autoCancel bool
	revert     bool
}

// errUpgradeFailed is an install failure; the unit is left for retry or
// cancel, or rolled back when auto-cancel is set.
type errUpgradeFailed struct{ msg string }

func (e *errUpgradeFailed) Error() string { return e.msg }

var errCancelled = errors.New("cancelled")

// consumeFault fires the first live count fault of kind aimed at target.
func (s *sim) consumeFault(kind, target string) (*activeFault, bool) {
	for _, f := range s.faults {
		if f.Kind == kind && f.Target == target && f.live(s.now) && f.fire() {
			return f, true
		}
	}
	return nil, false
}

// firedFault fires a count fault as consumeFault does and gives the
// message the failure reports: the scenario's own, else what the real
// check says.
func (s *sim) firedFault(kind, target, fallback string) (string, bool) {
	f, ok := s.consumeFault(kind, target)
	if !ok {
		return "", false
	}
	if f.Message == "" {
		return fallback, true
	}
	return f.Message, true
}

// readinessProblems is what the device's readiness check finds for an
// upgrade to pkg: the health tests of Table 9 and the version rules the
// management center itself enforces.
func (s *sim) readinessProblems(d *deviceState, p *packageState) []string {
	var out []string
	if !d.connected() {
		return []string{fmt.Sprintf("Device %s is not reachable from the management center.", d.name)}
	}
	if msg, ok := s.firedFault(FaultReadinessFail, d.id, "Database integrity check failed on the device."); ok {
		out = append(out, msg)
	}
	if mcBelow(s.fmc.ver, p.ver) {
		out = append(out, fmt.Sprintf("The management center runs %s; it must run %s or later before a device can be upgraded to %s.",
			s.fmc.ver, p.ver.MaintenanceRelease(), p.ver))
	}
	if msg := s.chassisBlocks(d, p.ver); msg != "" {
		out = append(out, msg)
	}
	if d.ha != nil && d.ha.syncState() != "in_sync" {
		out = append(out, fmt.Sprintf("High availability pair %s is %s; it must be healthy and in sync.", d.ha.name, strings.ReplaceAll(d.ha.syncState(), "_", " ")))
	}
	for _, a := range s.alertsFor(d.id) {
		if (a.status == "RED" || a.status == "ERROR") && oneOf(a.module, []string{"DISK_USAGE", "DISK_STATUS", "DATABASE"}) {
			out = append(out, fmt.Sprintf("Health test %s is failing: %s", a.module, a.details))
		}
	}
	return out
}

// chassisBlocks says why d's chassis cannot host threat defense at v: a
// 4100/9300 needs the FXOS companion of v's train (ORDER-4); a 3100/4200
// multi-instance chassis must run at least v's maintenance release
// (inferred from "may need a chassis upgrade").
func (s *sim) chassisBlocks(d *deviceState, v version.Version) string {
	c := d.chassis
	if c == nil {
		return ""
	}
	switch c.kind {
	case catalog.ChassisFXOS:
		comp, ok := s.cat.Companion(v.Train())
		if !ok {
			return ""
		}
		need := comp.FXOSVersion()
		if minV, ok := comp.MinimumVersion(); ok {
			need = minV
		}
		if version.CompareFXOS(c.fxos, need) < 0 {
			return fmt.Sprintf("Chassis %s runs FXOS %s; threat defense %s needs FXOS %s or later. Upgrade the chassis first.",
				c.name, c.fxos.Display(), v, need)
		}
	case catalog.ChassisMultiInstance:
		if version.Compare(c.swVer.MaintenanceRelease(), v.MaintenanceRelease()) < 0 {
			return fmt.Sprintf("Chassis %s runs %s; upgrade the chassis to %s before its instances.", c.name, c.swVer, v.MaintenanceRelease())
		}
	}
	return ""
}

// devicePhases builds the phases of a push, readiness check or upgrade of d.
func (s *sim) devicePhases(d *deviceState, o upgradeOpts) []phase {
	tm := s.timings
	p := o.pkg
	var ph []phase
	if o.mode == "revert" {
		target := *d.revertTo
		return s.disruptPhases(d, phase{kind: "revert", dur: tm.Revert.D(),
			msg: fmt.Sprintf("Reverting %s to %s.", d.name, target)}, func(time.Time) {
			d.ver = target
			d.revertTo = nil
			d.readyPassed = map[string]bool{}
			s.markDeployable(d)
		})
	}
	if !d.staged[p.id] && o.mode != "retry" {
		ph = append(ph, phase{kind: "copy", dur: tm.PackageCopy.D(),
			msg: fmt.Sprintf("Copying %s to %s.", p.fileName, d.name),
			end: func(time.Time) error {
				if !d.connected() {
					return failf("Copy of %s failed: device %s is not reachable.", p.fileName, d.name)
				}
				d.staged[p.id] = true
				return nil
			}})
	}
	if o.mode == "push" {
		return ph
	}
	if o.mode == "readiness" || (o.mode == "full" && !d.readyPassed[p.id]) {
		ph = append(ph, phase{kind: "readiness", dur: tm.ReadinessCheck.D(),
			msg: fmt.Sprintf("Running readiness checks for %s on %s.", p.ver, d.name),
			end: func(time.Time) error {
				if probs := s.readinessProblems(d, p); len(probs) > 0 {
					delete(d.readyPassed, p.id)
					return failf("Readiness check failed: %s", strings.Join(probs, " "))
				}
				d.readyPassed[p.id] = true
				return nil
			}})
	}
	if o.mode == "readiness" {
		return ph
	}
	from := d.ver
	if o.mode == "retry" && d.failed != nil {
		from = d.failed.from
	}
	ph = append(ph, s.disruptPhases(d, phase{kind: "install", dur: tm.Install.D(),
		msg: fmt.Sprintf("Installing %s on %s.", p.ver.WithBuild(), d.name),
		end: func(time.Time) error {
			if msg, ok := s.firedFault(FaultUpgradeFail, d.id, "Upgrade script failed during installation."); ok {
				return &errUpgradeFailed{msg: msg}
			}
			return nil
		}}, func(time.Time) {
		s.completeDeviceUpgrade(d, p, from, o.revert)
	})...)
	return ph
}

// disruptPhases wraps the work that takes a unit out of service: an HA
// failover first when the unit is active, leaving its cluster, the work
// itself, the reboot and the cluster rejoin. complete runs when the unit is
// back.
func (s *sim) disruptPhases(d *deviceState, work phase, complete func(at time.Time)) []phase {
	tm := s.timings
	var ph []phase
	if h := d.ha; h != nil && h.active == d && h.syncState() != "split_brain" {
		peer := h.peer(d)
		ph = append(ph, phase{kind: "failover", dur: tm.Failover.D(),
			msg: fmt.Sprintf("Failing over: %s becomes the active unit of %s.", peer.name, h.name),
			end: func(time.Time) error {
				if peer.connected() && peer.op == nil {
					h.active = peer
				}
				return nil
			}})
	}
	workStart := work.start
	work.start = func(at time.Time) {
		if c := d.cluster; c != nil {
			d.clusterState = "not_in_cluster"
			c.moveControl(d)
		}
		if workStart != nil {
			workStart(at)
		}
	}
	ph = append(ph, work)
	ph = append(ph, phase{kind: "reboot", dur: tm.Reboot.D(),
		msg:   fmt.Sprintf("Rebooting %s.", d.name),
		start: func(time.Time) { d.rebooting = true },
		end: func(at time.Time) error {
			d.rebooting = false
			if d.cluster == nil {
				complete(at)
			}
			return nil
		}})
	if c := d.cluster; c != nil {
		ph = append(ph, phase{kind: "rejoin", dur: tm.ClusterRejoin.D(),
			msg:   fmt.Sprintf("%s is rejoining cluster %s.", d.name, c.name),
			start: func(time.Time) { d.clusterState = "joining" },
			end: func(at time.Time) error {
				s.rejoinCluster(d)
				complete(at)
				return nil
			}})
	}
	return ph
}

func (s *sim) rejoinCluster(d *deviceState) {
	c := d.cluster
	if c == nil {
		return
	}
	d.clusterState = "in_cluster"
	if c.control.clusterState != "in_cluster" {
		c.control = d
	}
}

// completeDeviceUpgrade applies a finished upgrade: the new version, a
// revert point when asked for, and a pending deployment once every unit of
// the device's container runs the same version.
func (s *sim) completeDeviceUpgrade(d *deviceState, p *packageState, from version.Version, keepRevert bool) {
	d.ver = p.ver
	delete(d.staged, p.id)
	d.readyPassed = map[string]bool{}
	d.failed = nil
	if keepRevert {
		f := from
		d.revertTo = &f
	} else {
		d.revertTo = nil
	}
	s.markDeployable(d)
}

// markDeployable flags the configuration for deployment after a version
// change; a pair or cluster only becomes deployable as a whole, once its
// units agree.
func (s *sim) markDeployable(d *deviceState) {
	var units []*deviceState
	switch {
	case d.ha != nil:
		units = d.ha.members()
	case d.cluster != nil:
		units = d.cluster.units
	default:
		units = []*deviceState{d}
	}
	for _, u := range units {
		if !u.ver.Equal(d.ver) {
			return
		}
	}
	for _, u := range units {
		u.pendingDeploy = true
	}
}

// startDeviceStep runs one upgrade-family operation on d and reports to
// done; it owns d.op for the duration.
func (s *sim) startDeviceStep(t *taskState, sub *subTask, d *deviceState, o upgradeOpts, at time.Time, done func(at time.Time, ok bool)) {
	if d.op != nil {
		s.finishSub(t, sub, at, statusFailed, fmt.Sprintf("%s is busy with another operation.", d.name))
		done(at, false)
		return
	}
	st := &stepRun{task: t, sub: sub, mode: o.mode, pkg: o.pkg}
	d.op = st
	if o.mode != "push" && o.mode != "readiness" {
		s.stopTasksOn(d, at)
	}
	st.phases = s.devicePhases(d, o)
	st.done = func(tm time.Time, err error) {
		d.op = nil
		var uf *errUpgradeFailed
		switch {
		case err == nil:
			s.finishSub(t, sub, tm, statusCompleted, successMessage(o, d.name))
			done(tm, true)
		case errors.Is(err, errCancelled):
			done(tm, false)
		case errors.As(err, &uf) && o.autoCancel:
			s.rollback(t, sub, d, "Upgrade failed: "+uf.msg, tm, statusFailed, func(at time.Time) { done(at, false) })
		case errors.As(err, &uf):
			from := d.ver
			if d.failed != nil {
				from = d.failed.from
			}
			d.failed = &failedUpgrade{pkg: o.pkg, opts: o, from: from}
			s.finishSub(t, sub, tm, statusFailed, fmt.Sprintf("Upgrade of %s failed during installation: %s Retry or cancel the upgrade.", d.name, uf.msg))
			done(tm, false)
		default:
			s.finishSub(t, sub, tm, statusFailed, err.Error())
			done(tm, false)
		}
	}
	s.runPhases(st, at)
}

func successMessage(o upgradeOpts, name string) string {
	switch o.mode {
	case "push":
		return fmt.Sprintf("Upgrade package %s is on %s.", o.pkg.fileName, name)
	case "readiness":
		return fmt.Sprintf("Readiness check for %s passed on %s.", o.pkg.ver, name)
	case "revert":
		return fmt.Sprintf("%s reverted.", name)
	}
	return fmt.Sprintf("%s upgraded to %s.", name, o.pkg.ver.WithBuild())
}

// failedUpgrade is an upgrade that stopped during installation.
type failedUpgrade struct {
	pkg  *packageState
	opts upgradeOpts
	from version.Version
}

// rollback returns d to the version it ran before a failed or cancelled
// upgrade.
func (s *sim) rollback(t *taskState, sub *subTask, d *deviceState, why string, at time.Time, final string, after func(at time.Time)) {
	st := &stepRun{task: t, sub: sub, mode: "rollback"}
	d.op = st
	ph := []phase{{kind: "rollback", dur: s.timings.Reboot.D(),
		msg:   fmt.Sprintf("%s Rolling %s back to %s.", why, d.name, d.ver),
		start: func(time.Time) { d.rebooting = true },
		end: func(time.Time) error {
			d.rebooting = false
			return nil
		}}}
	if c := d.cluster; c != nil {
		ph = append(ph, phase{kind: "rejoin", dur: s.timings.ClusterRejoin.D(),
			msg:   fmt.Sprintf("%s is rejoining cluster %s.", d.name, c.name),
			start: func(time.Time) { d.clusterState = "joining" },
			end:   func(time.Time) error { s.rejoinCluster(d); return nil }})
	}
	st.phases = ph
	st.done = func(tm time.Time, err error) {
		d.op = nil
		d.failed = nil
		s.finishSub(t, sub, tm, final, fmt.Sprintf("%s The upgrade was cancelled and %s restored to %s.", why, d.name, d.ver))
		after(tm)
	}
	s.runPhases(st, at)
}

// stopTasksOn fails running tasks that involve d: an upgrade stops them
// and they cannot be resumed (Upgrade Readiness, "Running Tasks").
func (s *sim) stopTasksOn(d *deviceState, at time.Time) {
	for _, t := range s.taskOrder {
		if t.kind != "external" || t.status() != statusRunning {
			continue
		}
		for _, st := range t.subs {
			if st.target.ID == d.id {
				s.finishSub(t, st, at, statusFailed, fmt.Sprintf("Stopped: %s began an upgrade.", d.name))
			}
		}
	}
}

// startScenarioTask starts a task the scenario says is already running.
func (s *sim) startScenarioTask(rt RunningTask) {
	name := rt.Name
	if name == "" {
		name = strings.ToLower(strings.ReplaceAll(rt.TaskType, "_", " "))
	}
	t := s.newTask("external", name, rt.TaskType)
	if rt.ID != "" {
		delete(s.tasks, t.id)
		t.id = rt.ID
		s.tasks[t.id] = t
	}
	msg := rt.Message
	if msg == "" {
		msg = "In progress."
	}
	if len(rt.Devices) == 0 {
		t.fixedStatus, t.fixedMessage = statusRunning, msg
		s.schedule(s.now.Add(rt.Remaining.D()), func(at time.Time) {
			t.fixedStatus, t.fixedMessage = statusCompleted, "Completed."
			t.done = at
		})
		return
	}
	var subs []*subTask
	for _, id := range rt.Devices {
		d := s.devByID[id]
		st := t.addSub(d.id, "Device", d.name)
		st.status, st.message = statusRunning, msg
		subs = append(subs, st)
	}
	s.schedule(s.now.Add(rt.Remaining.D()), func(at time.Time) {
		for _, st := range subs {
			if st.status == statusRunning {
				s.finishSub(t, st, at, statusCompleted, "Completed.")
			}
		}
	})
}

// runningTasksOn lists running tasks that involve d.
func (s *sim) runningTasksOn(d *deviceState) []*taskState {
	var out []*taskState
	for _, t := range s.taskOrder {
		if t.kind != "external" || t.status() != statusRunning {
			continue
		}
		for _, st := range t.subs {
			if st.target.ID == d.id && st.status == statusRunning {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// chassisPhases upgrades a 3100/4200 multi-instance chassis from the
// management center (inferred: the chassis is targeted like a device with
// the same package).
func (s *sim) chassisPhases(c *chassisState, o upgradeOpts) []phase {
	tm := s.timings
	p := o.pkg
	var ph []phase
	if !c.staged[p.id] {
		ph = append(ph, phase{kind: "copy", dur: tm.PackageCopy.D(), msg: fmt.Sprintf("Copying %s to chassis %s.", p.fileName, c.name),
			end: func(time.Time) error {
				if c.down() {
					return failf("Copy failed: chassis %s is not reachable.", c.name)
				}
				c.staged[p.id] = true
				return nil
			}})
	}
	if o.mode == "push" {
		return ph
	}
	if o.mode == "readiness" || !c.readyPassed[p.id] {
		ph = append(ph, phase{kind: "readiness", dur: tm.ReadinessCheck.D(), msg: fmt.Sprintf("Running readiness checks on chassis %s.", c.name),
			end: func(time.Time) error {
				if msg, ok := s.firedFault(FaultReadinessFail, c.id, "Chassis readiness check failed."); ok {
					return failf("Readiness check failed: %s", msg)
				}
				if mcBelow(s.fmc.ver, p.ver) {
					return failf("Readiness check failed: the management center runs %s; it must run %s or later.", s.fmc.ver, p.ver.MaintenanceRelease())
				}
				c.readyPassed[p.id] = true
				return nil
			}})
	}
	if o.mode == "readiness" {
		return ph
	}
	ph = append(ph,
		phase{kind: "install", dur: tm.Install.D(), msg: fmt.Sprintf("Installing %s on chassis %s.", p.ver.WithBuild(), c.name),
			end: func(time.Time) error {
				if msg, ok := s.firedFault(FaultUpgradeFail, c.id, "Chassis upgrade failed during installation."); ok {
					return &errUpgradeFailed{msg: msg}
				}
				return nil
			}},
		phase{kind: "reboot", dur: tm.Reboot.D(), msg: fmt.Sprintf("Rebooting chassis %s.", c.name),
			start: func(time.Time) { s.chassisDown(c) },
			end: func(at time.Time) error {
				c.swVer = p.ver
				delete(c.staged, p.id)
				c.readyPassed = map[string]bool{}
				s.chassisUp(c, at)
				return nil
			}})
	return ph
}

func (s *sim) startChassisStep(t *taskState, sub *subTask, c *chassisState, o upgradeOpts, at time.Time, done func(at time.Time, ok bool)) {
	st := &stepRun{task: t, sub: sub, mode: o.mode, pkg: o.pkg}
	c.op = st
	st.phases = s.chassisPhases(c, o)
	st.done = func(tm time.Time, err error) {
		c.op = nil
		if err != nil {
			s.finishSub(t, sub, tm, statusFailed, err.Error())
			done(tm, false)
			return
		}
		msg := successMessage(o, "chassis "+c.name)
		s.finishSub(t, sub, tm, statusCompleted, msg)
		done(tm, true)
	}
	s.runPhases(st, at)
}

// startFMCReadiness runs the management center's own readiness check, the
// only management center upgrade operation the API offers.
func (s *sim) startFMCReadiness(t *taskState, sub *subTask, o upgradeOpts, at time.Time, done func(at time.Time, ok bool)) {
	st := &stepRun{task: t, sub: sub, mode: "readiness", phases: []phase{{kind: "readiness", dur: s.timings.ReadinessCheck.D(),
		msg: fmt.Sprintf("Running management center readiness checks for %s.", o.pkg.ver),
		end: func(time.Time) error {
			if msg, ok := s.firedFault(FaultReadinessFail, s.fmc.id, "Database integrity check failed."); ok {
				return failf("Readiness check failed: %s", msg)
			}
			for _, a := range s.alertsFor("0") {
				if (a.status == "RED" || a.status == "ERROR") && oneOf(a.module, []string{"DISK_USAGE", "DISK_STATUS", "DATABASE"}) {
					return failf("Readiness check failed: health test %s is failing: %s", a.module, a.details)
				}
			}
			return nil
		}}}}
	s.fmc.op = st
	st.done = func(tm time.Time, err error) {
		s.fmc.op = nil
		if err != nil {
			s.finishSub(t, sub, tm, statusFailed, err.Error())
			done(tm, false)
			return
		}
		s.finishSub(t, sub, tm, statusCompleted, fmt.Sprintf("Management center readiness check for %s passed.", o.pkg.ver))
		done(tm, true)
	}
	s.runPhases(st, at)
}

// chassisDown takes a rebooting chassis's instances out of service: active
// HA units fail over to their peers (HA-6), cluster units leave their
// cluster, and chassis manager sessions end.
func (s *sim) chassisDown(c *chassisState) {
	c.rebooting = true
	c.sessions = map[string]*fxosSession{}
	for _, d := range c.instances {
		if h := d.ha; h != nil && h.active == d {
			if p := h.peer(d); p.connected() && p.chassis != c {
				h.active = p
			}
		}
		if cl := d.cluster; cl != nil {
			d.clusterState = "not_in_cluster"
			cl.moveControl(d)
		}
	}
}

// chassisUp brings a chassis back: its application instances start, then
// reconnect, and cluster units rejoin.
func (s *sim) chassisUp(c *chassisState, at time.Time) {
	c.rebooting = false
	c.appsStarting = true
	s.schedule(at.Add(s.timings.AppStart.D()), func(t time.Time) {
		if c.rebooting {
			return
		}
		c.appsStarting = false
		for _, d := range c.instances {
			if d.cluster != nil && d.clusterState == "not_in_cluster" && d.op == nil {
				d.clusterState = "joining"
				dd := d
				s.schedule(t.Add(s.timings.ClusterRejoin.D()), func(time.Time) {
					if dd.clusterState == "joining" {
						s.rejoinCluster(dd)
					}
				})
			}
		}
	})
}
