package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fxos"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// maxQuiesceRounds bounds how many times a step waits for other tasks on
// its units before giving up: a unit that keeps getting new tasks is being
// worked on by someone else.
const maxQuiesceRounds = 4

// ---- observation ----

// readDevices reads device records in bulk and remembers their versions.
func (x *executor) readDevices(ctx context.Context, ids []string) (map[string]fmc.Device, error) {
	devs, err := x.env.FMC.DevicesByID(ctx, ids...)
	if err != nil {
		return nil, fmt.Errorf("reading device records: %w", err)
	}
	out := make(map[string]fmc.Device, len(devs))
	x.mu.Lock()
	for _, d := range devs {
		out[d.ID] = d
		x.devVer[d.ID] = deviceVersion(d)
	}
	x.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			missing = append(missing, x.names.deviceName(id))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the management center no longer lists device %s; plan again", strings.Join(missing, ", "))
	}
	return out, nil
}

func (x *executor) readMC(ctx context.Context) (*fmc.ServerVersion, error) {
	sv, err := x.env.FMC.ServerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the management center version: %w", err)
	}
	num, _ := sv.Version()
	v, _ := splitVersion(num, "")
	x.mu.Lock()
	x.mcVer, x.mcID, x.mcHost = v, sv.ID, sv.Hostname
	x.mu.Unlock()
	return sv, nil
}

// readMIChassis reads the multi-instance chassis the management center
// manages and remembers their versions by name.
func (x *executor) readMIChassis(ctx context.Context) (map[string]string, error) {
	list, err := x.env.FMC.ListChassis(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading managed chassis: %w", err)
	}
	out := map[string]string{}
	x.mu.Lock()
	for _, c := range list {
		v, _ := splitVersion(c.SWVersion, "")
		if u, ok := x.names.chassisUnit(c.ID); ok {
			out[u.name] = v
			x.chVer[u.name] = v
		}
	}
	x.mu.Unlock()
	return out, nil
}

func (x *executor) fxosClient(u unit) (*fxos.Client, error) {
	if u.managerURL == "" {
		return nil, fmt.Errorf("the management center gives no chassis manager address for chassis %s; declare its manager_url", u.name)
	}
	if x.env.FXOS == nil {
		return nil, fmt.Errorf("chassis %s is a Firepower 4100/9300 chassis: its upgrade needs chassis manager credentials", u.name)
	}
	x.mu.Lock()
	c, ok := x.clients[u.managerURL]
	x.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := x.env.FXOS(u.managerURL)
	if err != nil {
		return nil, fmt.Errorf("chassis %s: %w", u.name, err)
	}
	x.mu.Lock()
	if prev, ok := x.clients[u.managerURL]; ok {
		c = prev
	} else {
		x.clients[u.managerURL] = c
	}
	x.mu.Unlock()
	return c, nil
}

// fxosRunning reads an FXOS chassis's running version and remembers it.
func (x *executor) fxosRunning(ctx context.Context, u unit) (string, error) {
	c, err := x.fxosClient(u)
	if err != nil {
		return "", err
	}
	v, err := again(ctx, c.RunningVersion)
	if err != nil {
		return "", err
	}
	x.mu.Lock()
	x.chVer[u.name] = v
	x.mu.Unlock()
	return v, nil
}

// runningTaskOn returns a running upgrade task (package copy, readiness
// check, upgrade) whose sub-task targets id, for the units whose records do
// not name their task: the management center itself and multi-instance
// chassis. Listing upgrade tasks (type upgrade) is not documented; a
// management center that refuses it is asked only once, and resumption
// then relies on the task ids of ExecOptions.Resume.
func (x *executor) runningTaskOn(ctx context.Context, id string) (string, error) {
	x.mu.Lock()
	skip := x.noTasks
	x.mu.Unlock()
	if skip {
		return "", nil
	}
	tasks, err := x.env.FMC.ListTasks(ctx, fmc.TaskFilter{Type: "upgrade", Status: "RUNNING"})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		switch fmc.StatusCode(err) {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		default:
			return "", err
		}
		x.mu.Lock()
		x.noTasks = true
		x.mu.Unlock()
		x.warn(ctx, fmt.Sprintf("the management center does not list upgrade tasks (%v): a copy, readiness check or chassis upgrade started by an earlier, killed run is detected only from that run's recorded progress", err))
		return "", nil
	}
	for _, t := range tasks {
		if t.State().Done() {
			continue
		}
		for _, st := range t.SubTasks {
			if st.Target.ID == id && !classifyDone(st.Status) {
				return t.ID, nil
			}
		}
	}
	return "", nil
}

func classifyDone(status string) bool {
	t := fmc.TaskStatus{Status: status}
	return t.State().Done()
}

// ---- waiting ----

// waitTask follows a task to its end; own says whether this run started
// it.
//
// A timeout is judged once more on a fresh read: the clock may have jumped
// (a suspended host, a paused VM) between the last poll and the deadline,
// and a task that ended meanwhile is not a timeout.
func (x *executor) waitTask(ctx context.Context, sr *stepRun, id string, timeout time.Duration, own bool) error {
	sr.task(id, own)
	_, err := x.env.FMC.WaitTask(ctx, id, fmc.PollOptions{
		Interval: x.opts.PollInterval, MaxInterval: x.opts.MaxPollInterval, Timeout: timeout,
		OnStatus: func(t fmc.TaskStatus) {
			x.log(ctx, "runner: task status", map[string]any{"order": sr.s.Order, "action": sr.s.Action, "target": sr.s.Target,
				"task": id, "status": t.Status, "message": t.Message})
		},
	})
	if errors.Is(err, fmc.ErrTaskTimeout) && ctx.Err() == nil {
		if last, gerr := x.env.FMC.GetTask(ctx, id); gerr == nil {
			switch last.State() {
			case fmc.TaskSucceeded:
				return nil
			case fmc.TaskFailed, fmc.TaskCancelled:
				return &fmc.TaskFailedError{Task: last}
			}
		}
	}
	return err
}

// TimeoutError is a state a step waited for that did not come in time.
type TimeoutError struct {
	What  string
	After time.Duration
	Last  string
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("timed out after %s waiting for %s", e.After, e.What)
	if e.Last != "" {
		msg += "; last seen: " + e.Last
	}
	return msg
}

// poll calls check until it reports done, an error, or timeout passes. The
// deadline is judged on a check made after it passed, so that a clock that
// jumped while this wait was not looking never turns a state reached in
// time into a timeout. The pause grows by half while the state stays the
// same.
func (x *executor) poll(ctx context.Context, what string, timeout time.Duration, check func(context.Context) (bool, string, error)) error {
	start := x.opts.Now()
	interval := x.opts.PollInterval
	last := "\x00"
	for {
		late := x.opts.Now().Sub(start) >= timeout
		ok, state, err := check(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if late {
			return &TimeoutError{What: what, After: timeout, Last: state}
		}
		if state != last {
			last, interval = state, x.opts.PollInterval
		} else {
			interval = min(interval+interval/2, x.opts.MaxPollInterval)
		}
		left := timeout - x.opts.Now().Sub(start)
		if err := x.opts.Sleep(ctx, max(min(interval, left), 0)); err != nil {
			return err
		}
	}
}

// again retries a chassis manager read that was refused for want of a
// session although the client had just logged in again: the chassis ends
// every session when it reboots, which can happen between the two.
func again[T any](ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := read(ctx)
		var ae *fxos.APIError
		if err == nil || attempt >= 3 || ctx.Err() != nil || !errors.As(err, &ae) || ae.Code != "552" {
			return v, err
		}
	}
}

// quiesce waits until no task runs on the devices and returns their
// records. Tasks this run started are ignored when ignoreOwn is set (a
// backup beside the package copies of its wave). A task left by someone
// else, or by an earlier run, is waited for and its outcome left for the
// caller to observe.
func (x *executor) quiesce(ctx context.Context, sr *stepRun, ids []string, ignoreOwn bool) (map[string]fmc.Device, error) {
	for round := 0; ; round++ {
		recs, err := x.readDevices(ctx, ids)
		if err != nil {
			return nil, err
		}
		var tasks []string
		busy := map[string][]string{}
		for _, id := range ids {
			t := deviceTask(recs[id])
			if t == "" {
				continue
			}
			x.mu.Lock()
			own := x.own[t]
			x.mu.Unlock()
			if own && ignoreOwn {
				continue
			}
			if _, ok := busy[t]; !ok {
				tasks = append(tasks, t)
			}
			busy[t] = append(busy[t], x.names.deviceName(id))
		}
		if len(tasks) == 0 {
			return recs, nil
		}
		if round >= maxQuiesceRounds {
			return nil, sr.fail(strings.Join(busy[tasks[0]], ", "), fmt.Sprintf("still busy with task %s after waiting for %d tasks; let it finish or cancel it, then run again", tasks[0], round), nil)
		}
		for _, t := range tasks {
			x.log(ctx, "runner: waiting for the task already running on the units", map[string]any{"order": sr.s.Order, "task": t, "units": strings.Join(busy[t], ", ")})
			err := x.waitTask(ctx, sr, t, x.opts.UnitTimeout*time.Duration(len(busy[t])), false)
			if err != nil && !errors.Is(err, fmc.ErrTaskFailed) {
				return nil, err
			}
		}
	}
}

// ---- packages ----

// spellings are the names a package file may carry on the management center
// (PKG-1): the guide's, the family's variants and the listed .sh forms.
func (x *executor) spellings(file string) []string {
	out := []string{file}
	if base, ok := strings.CutSuffix(file, ".sh.REL.tar"); ok {
		out = append(out, base+".sh")
	}
	p, err := x.cat.ParsePackageFilename(file)
	if err != nil {
		return out
	}
	for _, id := range p.Families {
		f, ok := x.cat.Family(id)
		if !ok {
			continue
		}
		if pn, err := x.cat.PackageName(f, p.Version, p.Hotfix); err == nil {
			out = append(out, pn.FileName)
			out = append(out, pn.Alternates...)
		}
	}
	return out
}

// packageID finds a package on the management center by any spelling.
func (x *executor) packageID(ctx context.Context, sr *stepRun, file string) (string, error) {
	x.mu.Lock()
	p, ok := x.pkgs[file]
	x.mu.Unlock()
	if ok {
		return p.ID, nil
	}
	p, found, err := x.env.FMC.FindUpgradePackage(ctx, x.spellings(file)...)
	if err != nil {
		return "", fmt.Errorf("reading upgrade packages: %w", err)
	}
	if !found {
		return "", sr.fail(x.mcName, fmt.Sprintf("upgrade package %s is not on the management center; upload it (System > Product Upgrades) or declare it with an fmcupgrade_upgrade_package resource, then run again", file), nil)
	}
	x.mu.Lock()
	x.pkgs[file] = p
	x.mu.Unlock()
	return p.ID, nil
}

// packageFor is the package the plan copies to unit for version to.
func (x *executor) packageFor(sr *stepRun, unit, to string) (string, error) {
	x.mu.Lock()
	f, ok := x.pkgFor[[2]string{unit, to}]
	x.mu.Unlock()
	if !ok {
		return "", sr.fail(unit, fmt.Sprintf("the plan copies no package for %s to %s", unit, to), nil)
	}
	if strings.HasSuffix(f, "(build unknown)") {
		return "", sr.fail(unit, buildUnknown(f), nil)
	}
	return f, nil
}

func buildUnknown(target string) string {
	return fmt.Sprintf("%s cannot be named: the catalog does not know its build. Choose a target whose build the catalog knows (for FXOS, chassis_target_version with a build), or add it with a catalog overlay", target)
}

// deviceRefs names devices in an upgrade request.
func (x *executor) deviceRefs(ids []string) []fmc.Reference {
	out := make([]fmc.Reference, len(ids))
	for i, id := range ids {
		out[i] = fmc.DeviceTarget(id, x.names.deviceName(id))
	}
	return out
}

// devicesStarted is the IdempotencyCheck of a package copy or readiness
// check whose answer was lost: it started when a target device now names a
// task, or when a listed upgrade task targets one of the other units.
func (x *executor) devicesStarted(devIDs, otherIDs []string) fmc.IdempotencyCheck {
	return func(ctx context.Context) (*fmc.StartedTask, bool, error) {
		if len(devIDs) > 0 {
			devs, err := x.env.FMC.DevicesByID(ctx, devIDs...)
			if err != nil {
				return nil, false, err
			}
			for _, d := range devs {
				if t := deviceTask(d); t != "" {
					return &fmc.StartedTask{ID: t}, true, nil
				}
			}
		}
		for _, id := range otherIDs {
			t, err := x.runningTaskOn(ctx, id)
			if err != nil {
				return nil, false, err
			}
			if t != "" {
				return &fmc.StartedTask{ID: t}, true, nil
			}
		}
		return nil, false, nil
	}
}

// ---- copy_package ----

// landingBefore is the version a unit's planned path lands on just before
// version to, or "" when to is its first hop or not on its path.
func (x *executor) landingBefore(name, to string) string {
	path := x.plan.UnitPaths[name]
	for i := 2; i < len(path); i++ {
		if path[i] == to {
			return path[i-1]
		}
	}
	return ""
}

func (x *executor) copyPackage(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	if strings.HasSuffix(s.Target, "(build unknown)") {
		return outcome{}, sr.fail("", buildUnknown(s.Target), nil)
	}
	var chassis, others []unit
	mc := false
	for _, n := range s.Units {
		u, _ := x.names.any(n)
		switch u.kind {
		case kindManagementCenter:
			mc = true
		case kindFXOSChassis:
			chassis = append(chassis, u)
		default:
			others = append(others, u)
		}
	}
	var parts []string
	if len(chassis) > 0 {
		d, err := x.stageFXOS(ctx, sr, s.Target, s.To, chassis)
		if err != nil {
			return outcome{}, err
		}
		parts = append(parts, d)
	}
	if mc {
		// A management center package is staged by being on the
		// management center.
		if _, err := x.packageID(ctx, sr, s.Target); err != nil {
			return outcome{}, err
		}
		parts = append(parts, "on the management center")
	}
	pushed := false
	if len(others) > 0 {
		d, p, err := x.pushPackage(ctx, sr, s.Target, s.To, others)
		if err != nil {
			return outcome{}, err
		}
		pushed = p
		parts = append(parts, d)
	}
	return outcome{skipped: len(chassis) == 0 && !pushed, detail: strings.Join(parts, "; ")}, nil
}

// pushPackage copies a package to threat defense devices and
// multi-instance chassis below its version (PushUpgradeFileOnly). Units at
// or past it are left out: a copy to them would be refused as a duplicate.
func (x *executor) pushPackage(ctx context.Context, sr *stepRun, file, to string, units []unit) (string, bool, error) {
	var devIDs, deferred []string
	var chassis []unit
	for _, u := range units {
		if u.kind == kindMIChassis {
			chassis = append(chassis, u)
			continue
		}
		devIDs = append(devIDs, u.members...)
	}
	var targets []fmc.Reference
	var targetIDs, chassisIDs []string
	if len(devIDs) > 0 {
		recs, err := x.quiesce(ctx, sr, devIDs, false)
		if err != nil {
			return "", false, err
		}
		for _, id := range devIDs {
			have := deviceVersion(recs[id])
			if atLeast(have, to) {
				continue
			}
			// A unit with an earlier hop still ahead cannot take this
			// package yet (the management center refuses a copy it could
			// not install): its upgrade copies the package then.
			if prev := x.landingBefore(x.names.deviceName(id), to); prev != "" && !atLeast(have, prev) {
				deferred = append(deferred, x.names.deviceName(id))
				continue
			}
			targets = append(targets, fmc.DeviceTarget(id, x.names.deviceName(id)))
			targetIDs = append(targetIDs, id)
		}
	}
	if len(chassis) > 0 {
		vers, err := x.readMIChassis(ctx)
		if err != nil {
			return "", false, err
		}
		for _, c := range chassis {
			if atLeast(vers[c.name], to) {
				continue
			}
			waited, err := x.awaitUnitTask(ctx, sr, c.id)
			if err != nil {
				return "", false, err
			}
			if waited {
				// The task may have been the chassis's upgrade.
				if vers, err = x.readMIChassis(ctx); err != nil {
					return "", false, err
				}
				if atLeast(vers[c.name], to) {
					continue
				}
			}
			targets = append(targets, fmc.Reference{ID: c.id, Type: "FMCManagedChassis", Name: c.name})
			chassisIDs = append(chassisIDs, c.id)
		}
	}
	later := ""
	if len(deferred) > 0 {
		later = fmt.Sprintf("; %s get it with their upgrade, after an earlier hop", strings.Join(deferred, ", "))
	}
	if len(targets) == 0 {
		if later != "" {
			return strings.TrimPrefix(later, "; "), false, nil
		}
		return "every unit already runs " + to, false, nil
	}
	pkgID, err := x.packageID(ctx, sr, file)
	if err != nil {
		return "", false, err
	}
	st, err := x.env.FMC.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkgID, Targets: targets, PushUpgradeFileOnly: true,
		Check: x.devicesStarted(targetIDs, chassisIDs)})
	if err != nil {
		return "", false, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.UnitTimeout, !st.Recovered); err != nil {
			return "", false, err
		}
	}
	return fmt.Sprintf("copied to %s%s", refNames(targets), later), true, nil
}

// awaitUnitTask waits for a listed upgrade task on a unit whose record does
// not name its task (a multi-instance chassis, the management center), and
// reports whether there was one: the caller then looks at the unit again.
func (x *executor) awaitUnitTask(ctx context.Context, sr *stepRun, id string) (bool, error) {
	t, err := x.runningTaskOn(ctx, id)
	if err != nil || t == "" {
		return false, err
	}
	x.log(ctx, "runner: waiting for the task already running on the unit", map[string]any{"order": sr.s.Order, "task": t, "unit": id})
	if err := x.waitTask(ctx, sr, t, x.opts.UnitTimeout, false); err != nil && !errors.Is(err, fmc.ErrTaskFailed) {
		return true, err
	}
	return true, nil
}

func refNames(refs []fmc.Reference) string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = firstNonEmpty(r.Name, r.ID)
	}
	return strings.Join(out, ", ")
}

// stageFXOS puts an FXOS platform bundle on chassis that do not run its
// version yet, downloading it where it is missing. Chassis download in
// parallel; the first failure is reported.
func (x *executor) stageFXOS(ctx context.Context, sr *stepRun, file, to string, chassis []unit) (string, error) {
	results := make([]string, len(chassis))
	errs := make([]error, len(chassis))
	sem := make(chan struct{}, x.opts.Concurrency)
	done := make(chan struct{})
	for i, u := range chassis {
		go func() {
			defer func() { done <- struct{}{} }()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i], errs[i] = x.stageOne(ctx, sr, file, to, u)
		}()
	}
	for range chassis {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	return strings.Join(results, "; "), nil
}

func (x *executor) stageOne(ctx context.Context, sr *stepRun, file, to string, u unit) (string, error) {
	c, err := x.fxosClient(u)
	if err != nil {
		return "", sr.fail(u.name, err.Error(), err)
	}
	running, err := x.fxosRunning(ctx, u)
	if err != nil {
		return "", sr.fail(u.name, "reading the FXOS version: "+errText(err), err)
	}
	if fxosAtLeast(running, to) {
		return u.name + " already runs " + running, nil
	}
	return x.ensureImage(ctx, sr, c, u, file)
}

// ensureImage makes sure the bundle is on the chassis: already there, a
// download in progress to wait for, or a new download from the image
// source. A failed earlier download is cleared and tried again once.
func (x *executor) ensureImage(ctx context.Context, sr *stepRun, c *fxos.Client, u unit, file string) (string, error) {
	if ok, err := x.hasImage(ctx, c, file); err != nil {
		return "", sr.fail(u.name, "listing images: "+errText(err), err)
	} else if ok {
		return file + " already on " + u.name, nil
	}
	st, err := again(ctx, func(ctx context.Context) (*fxos.DownloadStatus, error) { return c.DownloadStatus(ctx, file) })
	if err != nil && !fxos.IsNotFound(err) {
		return "", sr.fail(u.name, "reading downloads: "+errText(err), err)
	}
	poll := fxos.PollOptions{Interval: x.opts.PollInterval, MaxInterval: x.opts.MaxPollInterval, Timeout: x.opts.UnitTimeout}
	if st != nil && !st.Failed() && !st.Done() {
		if err := x.waitDownload(ctx, c, file, poll); err != nil {
			return "", sr.fail(u.name, errText(err), err)
		}
		return file + " downloaded to " + u.name, nil
	}
	src := x.opts.FXOSImages
	if src == nil {
		return "", sr.fail(u.name, fmt.Sprintf("%s is not on chassis %s; upload it in Chassis Manager (System > Updates) or give the image server to download it from, then run again", file, u.name), nil)
	}
	if st != nil && st.Failed() {
		if err := c.DeleteDownload(ctx, file); err != nil {
			return "", sr.fail(u.name, "clearing the failed download: "+errText(err), err)
		}
	}
	req := fxos.DownloadRequest{FileName: file, Protocol: src.Protocol, Server: src.Server, Port: src.Port,
		RemotePath: src.RemotePath, User: src.User, Password: src.Password}
	if err := c.Download(ctx, req); err != nil {
		return "", sr.fail(u.name, errText(err), err)
	}
	if err := x.waitDownload(ctx, c, file, poll); err != nil {
		return "", sr.fail(u.name, errText(err), err)
	}
	return file + " downloaded to " + u.name, nil
}

func (x *executor) hasImage(ctx context.Context, c *fxos.Client, file string) (bool, error) {
	return again(ctx, func(ctx context.Context) (bool, error) {
		_, ok, err := c.FindImage(ctx, file)
		return ok, err
	})
}

// waitDownload follows a transfer; a timeout is judged once more on the
// chassis's image list (see waitTask).
func (x *executor) waitDownload(ctx context.Context, c *fxos.Client, file string, poll fxos.PollOptions) error {
	_, err := c.WaitDownload(ctx, file, poll)
	if errors.Is(err, fxos.ErrTimeout) && ctx.Err() == nil {
		if ok, ferr := x.hasImage(ctx, c, file); ferr == nil && ok {
			return nil
		}
	}
	return err
}

// waitInstall follows a platform bundle installation through its reboots;
// a timeout is judged once more on a fresh read (see waitTask).
func (x *executor) waitInstall(ctx context.Context, c *fxos.Client, to string, opts fxos.WaitOptions) error {
	_, err := c.WaitInstall(ctx, to, opts)
	if errors.Is(err, fxos.ErrTimeout) && ctx.Err() == nil {
		st, serr := again(ctx, c.InstallStatus)
		running, rerr := again(ctx, c.RunningVersion)
		if serr == nil && rerr == nil && !st.InProgress() && !st.Failed() && fxos.SameVersion(running, to) {
			return nil
		}
	}
	return err
}

func errText(err error) string {
	_, msg := explain(err)
	return msg
}

// ---- readiness_check ----

func (x *executor) readiness(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	if x.names.isMC(s.Target) {
		return x.readinessMC(ctx, sr)
	}
	g, _ := x.names.group(s.Target)
	recs, err := x.quiesce(ctx, sr, g.members, false)
	if err != nil {
		return outcome{}, err
	}
	var below []string
	for _, id := range g.members {
		if !atLeast(deviceVersion(recs[id]), s.To) {
			below = append(below, id)
		}
	}
	if len(below) == 0 {
		return found("every unit of %s already runs %s", g.name, s.To), nil
	}
	file, err := x.packageFor(sr, x.names.deviceName(below[0]), s.To)
	if err != nil {
		return outcome{}, err
	}
	pkgID, err := x.packageID(ctx, sr, file)
	if err != nil {
		return outcome{}, err
	}
	st, err := x.env.FMC.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkgID, Targets: x.deviceRefs(below), ReadinessCheckOnly: true,
		Check: x.devicesStarted(below, nil)})
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.UnitTimeout, !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	return did("readiness check for %s passed on %s", s.To, refNames(x.deviceRefs(below))), nil
}

// readinessMC runs the management center's own readiness check (READY-5),
// the one upgrade operation its API offers for itself.
func (x *executor) readinessMC(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	sv, err := x.readMC(ctx)
	if err != nil {
		return outcome{}, err
	}
	x.mu.Lock()
	cur := x.mcVer
	x.mu.Unlock()
	if atLeast(cur, s.To) {
		return found("the management center already runs %s", cur), nil
	}
	file, err := x.packageFor(sr, s.Target, s.To)
	if err != nil {
		return outcome{}, err
	}
	pkgID, err := x.packageID(ctx, sr, file)
	if err != nil {
		return outcome{}, err
	}
	if _, err := x.awaitUnitTask(ctx, sr, sv.ID); err != nil {
		return outcome{}, err
	}
	target := []fmc.Reference{{ID: sv.ID, Type: "ManagementCenter", Name: firstNonEmpty(sv.Hostname, s.Target)}}
	st, err := x.env.FMC.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkgID, Targets: target, ReadinessCheckOnly: true,
		Check: x.devicesStarted(nil, []string{sv.ID})})
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.UnitTimeout, !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	return did("management center readiness check for %s passed", s.To), nil
}

// ---- upgrade_threat_defense ----

func (x *executor) upgradeThreatDefense(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	g, _ := x.names.group(s.Target)
	recs, err := x.quiesce(ctx, sr, g.members, false)
	if err != nil {
		return outcome{}, err
	}
	var remaining []string
	for _, id := range x.unitOrder(s, g) {
		v := deviceVersion(recs[id])
		if atLeast(v, s.To) {
			continue
		}
		if s.From != "" {
			if c, err := planner.CompareVersions(v, s.From); err != nil || c != 0 {
				return outcome{}, sr.fail(x.names.deviceName(id), fmt.Sprintf("it runs %s, the plan expected %s; plan again from the live estate", v, s.From), nil)
			}
		}
		remaining = append(remaining, id)
	}
	if len(remaining) == 0 {
		return found("every unit of %s already runs %s", g.name, s.To), nil
	}
	file, err := x.packageFor(sr, x.names.deviceName(remaining[0]), s.To)
	if err != nil {
		return outcome{}, err
	}
	pkgID, err := x.packageID(ctx, sr, file)
	if err != nil {
		return outcome{}, err
	}
	if err := x.awaitDeployments(ctx, g); err != nil {
		return outcome{}, err
	}
	// The whole container lets the management center order its units
	// (standby first, data units before the control unit); a partly
	// upgraded one gets only the units still to go.
	var targets []fmc.Reference
	switch {
	case len(remaining) == len(g.members) && g.kind == kindPair:
		targets = []fmc.Reference{{ID: g.id, Type: "DeviceHAPair", Name: g.name}}
	case len(remaining) == len(g.members) && g.kind == kindCluster:
		targets = []fmc.Reference{{ID: g.id, Type: "DeviceCluster", Name: g.name}}
	default:
		targets = x.deviceRefs(remaining)
	}
	st, err := x.env.FMC.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkgID, Targets: targets,
		EnableUpgradeRevert: x.opts.EnableRevert, AutoUpgradeCancel: x.opts.AutoCancel,
		Check: x.env.FMC.UpgradeStartedCheck(remaining, s.To)})
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.UnitTimeout*time.Duration(len(remaining)), !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	after, err := x.readDevices(ctx, remaining)
	if err != nil {
		return outcome{}, err
	}
	for _, id := range remaining {
		if v := deviceVersion(after[id]); !atLeast(v, s.To) {
			return outcome{}, sr.fail(x.names.deviceName(id), fmt.Sprintf("the upgrade task ended but the unit runs %s, not %s", v, s.To), nil)
		}
	}
	return did("%s upgraded to %s", refNames(x.deviceRefs(remaining)), s.To), nil
}

// unitOrder lists a group's devices in the step's order (standby first,
// control unit last), then any the step does not name.
func (x *executor) unitOrder(s planner.Step, g unit) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range s.Units {
		if d, ok := x.names.device(n); ok && !seen[d.id] {
			seen[d.id] = true
			out = append(out, d.id)
		}
	}
	for _, id := range g.members {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// awaitDeployments waits for a deployment running on the group to end
// (READY-3: an upgrade stops running tasks for good).
func (x *executor) awaitDeployments(ctx context.Context, g unit) error {
	return x.poll(ctx, "the deployment to "+g.name+" to end", x.opts.SettleTimeout, func(ctx context.Context) (bool, string, error) {
		dd, err := x.deployable(ctx, g)
		if err != nil || dd == nil {
			return err == nil, "", err
		}
		if bool(dd.IsDeploying) {
			return false, "deploying", nil
		}
		return true, "", nil
	})
}

// deployable finds the group's entry in the deployable devices, or nil when
// it has no pending changes.
func (x *executor) deployable(ctx context.Context, g unit) (*fmc.DeployableDevice, error) {
	list, err := x.env.FMC.ListDeployableDevices(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading pending deployments: %w", err)
	}
	ids := map[string]bool{g.id: true}
	for _, m := range g.members {
		ids[m] = true
	}
	for i := range list {
		if ids[list[i].Device.ID] && !bool(list[i].UpToDate) {
			return &list[i], nil
		}
	}
	return nil, nil
}

// ---- upgrade_chassis ----

func (x *executor) upgradeChassis(ctx context.Context, sr *stepRun) (outcome, error) {
	u, _ := x.names.chassisUnit(sr.s.Target)
	if u.kind == kindFXOSChassis {
		return x.upgradeFXOS(ctx, sr, u)
	}
	return x.upgradeMIChassis(ctx, sr, u)
}

// upgradeMIChassis upgrades a Secure Firewall 3100/4200 multi-instance
// chassis from the management center with the threat defense package,
// targeted by its chassis id.
func (x *executor) upgradeMIChassis(ctx context.Context, sr *stepRun, u unit) (outcome, error) {
	s := sr.s
	vers, err := x.readMIChassis(ctx)
	if err != nil {
		return outcome{}, err
	}
	if atLeast(vers[u.name], s.To) {
		return found("%s already runs %s", u.name, vers[u.name]), nil
	}
	if _, err := x.awaitUnitTask(ctx, sr, u.id); err != nil {
		return outcome{}, err
	}
	if vers, err = x.readMIChassis(ctx); err != nil {
		return outcome{}, err
	}
	if atLeast(vers[u.name], s.To) {
		return found("%s already runs %s", u.name, vers[u.name]), nil
	}
	if len(u.members) > 0 {
		if _, err := x.quiesce(ctx, sr, u.members, false); err != nil {
			return outcome{}, err
		}
	}
	file, err := x.packageFor(sr, u.name, s.To)
	if err != nil {
		return outcome{}, err
	}
	pkgID, err := x.packageID(ctx, sr, file)
	if err != nil {
		return outcome{}, err
	}
	check := func(ctx context.Context) (*fmc.StartedTask, bool, error) {
		vers, err := x.readMIChassis(ctx)
		if err != nil {
			return nil, false, err
		}
		if atLeast(vers[u.name], s.To) {
			return nil, true, nil
		}
		t, err := x.runningTaskOn(ctx, u.id)
		if err != nil || t == "" {
			return nil, false, err
		}
		return &fmc.StartedTask{ID: t}, true, nil
	}
	st, err := x.env.FMC.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkgID,
		Targets:             []fmc.Reference{{ID: u.id, Type: "FMCManagedChassis", Name: u.name}},
		EnableUpgradeRevert: x.opts.EnableRevert, AutoUpgradeCancel: x.opts.AutoCancel, Check: check})
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.UnitTimeout, !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	if vers, err = x.readMIChassis(ctx); err != nil {
		return outcome{}, err
	}
	if !atLeast(vers[u.name], s.To) {
		return outcome{}, sr.fail(u.name, fmt.Sprintf("the chassis upgrade task ended but the chassis runs %s, not %s", vers[u.name], s.To), nil)
	}
	return did("%s upgraded to %s", u.name, s.To), nil
}

// upgradeFXOS upgrades a Firepower 4100/9300 chassis through its chassis
// manager: bundle on the chassis, validated, installed, followed through
// the reboots, then its instances back online.
func (x *executor) upgradeFXOS(ctx context.Context, sr *stepRun, u unit) (outcome, error) {
	s := sr.s
	c, err := x.fxosClient(u)
	if err != nil {
		return outcome{}, sr.fail(u.name, err.Error(), err)
	}
	wait := fxos.WaitOptions{PollOptions: fxos.PollOptions{Interval: x.opts.PollInterval, MaxInterval: x.opts.MaxPollInterval, Timeout: x.opts.UnitTimeout},
		OnProgress: func(p fxos.InstallProgress) {
			x.log(ctx, "runner: chassis installation", map[string]any{"order": s.Order, "chassis": u.name, "running": p.Running,
				"reachable": p.Reachable, "stage": p.Status.Stage, "progress": p.Status.Progress})
		}}
	st, err := again(ctx, c.InstallStatus)
	if err != nil {
		return outcome{}, sr.fail(u.name, "reading the installation state: "+errText(err), err)
	}
	if st.InProgress() {
		// An installation already under way (an earlier, interrupted run)
		// is followed, never requested again.
		x.log(ctx, "runner: following the installation already in progress", map[string]any{"order": s.Order, "chassis": u.name})
		if err := x.waitInstall(ctx, c, s.To, wait); err != nil {
			return outcome{}, sr.fail(u.name, errText(err), err)
		}
	}
	running, err := x.fxosRunning(ctx, u)
	if err != nil {
		return outcome{}, sr.fail(u.name, "reading the FXOS version: "+errText(err), err)
	}
	if fxosAtLeast(running, s.To) {
		if err := x.waitInstances(ctx, c, u); err != nil {
			return outcome{}, sr.fail(u.name, errText(err), err)
		}
		if st.InProgress() {
			return did("%s upgraded to %s", u.name, running), nil
		}
		return found("%s already runs %s", u.name, running), nil
	}
	file, err := x.fxosFile(sr, u, s.To)
	if err != nil {
		return outcome{}, err
	}
	if _, err := x.ensureImage(ctx, sr, c, u, file); err != nil {
		return outcome{}, err
	}
	if len(u.members) > 0 {
		// No task may be running on the instances when their chassis
		// reboots (READY-3).
		if _, err := x.quiesce(ctx, sr, u.members, false); err != nil {
			return outcome{}, err
		}
	}
	var val *fxos.Validation
	err = x.poll(ctx, "validation of "+file+" on "+u.name, x.opts.SettleTimeout, func(ctx context.Context) (bool, string, error) {
		v, err := again(ctx, func(ctx context.Context) (*fxos.Validation, error) { return c.ValidatePlatformBundle(ctx, file) })
		if err != nil {
			return false, "", err
		}
		val = v
		return v.Done(), v.State, nil
	})
	if err != nil {
		return outcome{}, sr.fail(u.name, errText(err), err)
	}
	if !val.OK() {
		return outcome{}, sr.fail(u.name, fmt.Sprintf("validation of %s failed: %s %s", file, val.OverallStatusCode, val.OverallStatusString), nil)
	}
	if err := c.InstallPlatformBundle(ctx, s.To); err != nil {
		return outcome{}, sr.fail(u.name, errText(err), err)
	}
	if err := x.waitInstall(ctx, c, s.To, wait); err != nil {
		return outcome{}, sr.fail(u.name, errText(err), err)
	}
	if _, err := x.fxosRunning(ctx, u); err != nil {
		return outcome{}, sr.fail(u.name, "reading the FXOS version: "+errText(err), err)
	}
	if err := x.waitInstances(ctx, c, u); err != nil {
		return outcome{}, sr.fail(u.name, errText(err), err)
	}
	return did("%s upgraded to FXOS %s", u.name, s.To), nil
}

func (x *executor) fxosFile(sr *stepRun, u unit, to string) (string, error) {
	x.mu.Lock()
	f, ok := x.pkgFor[[2]string{u.name, to}]
	x.mu.Unlock()
	if ok {
		if strings.HasSuffix(f, "(build unknown)") {
			return "", sr.fail(u.name, buildUnknown(f), nil)
		}
		return f, nil
	}
	v, err := version.ParseFXOS(to)
	if err == nil {
		if name, err2 := catalog.FXOSPackageName(v); err2 == nil {
			return name, nil
		}
	}
	return "", sr.fail(u.name, buildUnknown("FXOS "+to), err)
}

// waitInstances waits for the chassis's enabled application instances to
// be online after its reboots.
func (x *executor) waitInstances(ctx context.Context, c *fxos.Client, u unit) error {
	return x.poll(ctx, "the instances of "+u.name+" to come online", x.opts.SettleTimeout, func(ctx context.Context) (bool, string, error) {
		apps, err := c.AppInstances(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return false, "", ctx.Err()
			}
			// The chassis manager may still be starting.
			return false, "unreachable: " + errText(err), nil
		}
		var down []string
		for _, a := range apps {
			if !strings.EqualFold(a.AdminState, "disabled") && !a.Online() {
				down = append(down, firstNonEmpty(a.Identifier, a.DN)+" "+a.OperState)
			}
		}
		return len(down) == 0, strings.Join(down, ", "), nil
	})
}

// ---- switch_ha_roles and move_cluster_control ----

func (x *executor) switchRoles(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	pair := x.names.pairs[s.Target]
	to, _ := x.names.device(s.To)
	from, _ := x.names.device(s.From)
	if _, err := x.quiesce(ctx, sr, present(pair.PrimaryID, pair.SecondaryID), false); err != nil {
		return outcome{}, err
	}
	hp, err := x.env.FMC.GetHAPair(ctx, pair.ID)
	if err != nil {
		return outcome{}, err
	}
	// A switch already running (an interrupted run's, or someone else's)
	// shows only as the pair's task: the roles change when it ends. A
	// second SWITCH would be refused meanwhile and undo it afterwards, so
	// wait for it and look at the roles it left.
	if t := hp.Metadata.Task; t != nil && t.ID != "" {
		x.log(ctx, "runner: waiting for the role switch already running on the pair", map[string]any{"order": s.Order, "task": t.ID, "target": s.Target})
		if err := x.waitTask(ctx, sr, t.ID, x.opts.SettleTimeout, false); err != nil && !errors.Is(err, fmc.ErrTaskFailed) {
			return outcome{}, err
		}
		if hp, err = x.env.FMC.GetHAPair(ctx, pair.ID); err != nil {
			return outcome{}, err
		}
	}
	switch hp.ActiveID() {
	case to.id:
		return found("%s is already the active unit of %s", s.To, s.Target), nil
	case from.id:
	default:
		return outcome{}, sr.fail(s.Target, fmt.Sprintf("expected %s active before the switch; %s", s.From, firstNonEmpty(pairProblem(hp), "another unit is active")), nil)
	}
	check := x.lostAnswerCheck(func(ctx context.Context) (bool, error) {
		hp, err := x.env.FMC.GetHAPair(ctx, pair.ID)
		if err != nil {
			return false, err
		}
		// The pair was idle before the request, so a task on it now is
		// the switch that was asked for.
		return hp.ActiveID() == to.id || hp.Metadata.Task != nil, nil
	})
	st, err := x.env.FMC.SwitchHARoles(ctx, pair.ID, check)
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.SettleTimeout, !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	err = x.poll(ctx, s.To+" to become active in "+s.Target, x.opts.SettleTimeout, func(ctx context.Context) (bool, string, error) {
		hp, err := x.env.FMC.GetHAPair(ctx, pair.ID)
		if err != nil {
			return false, "", err
		}
		return hp.ActiveID() == to.id, "active " + x.names.deviceName(hp.ActiveID()), nil
	})
	if err != nil {
		return outcome{}, err
	}
	return did("%s is the active unit of %s", s.To, s.Target), nil
}

func (x *executor) moveControl(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	cl := x.names.clusters[s.Target]
	to, _ := x.names.device(s.To)
	if _, err := x.quiesce(ctx, sr, present(append([]string{cl.ControlID}, cl.DataIDs...)...), false); err != nil {
		return outcome{}, err
	}
	cur, err := x.env.FMC.GetCluster(ctx, cl.ID)
	if err != nil {
		return outcome{}, err
	}
	if cur.ControlID() == to.id {
		return found("%s is already the control unit of %s", s.To, s.Target), nil
	}
	check := x.lostAnswerCheck(func(ctx context.Context) (bool, error) {
		c, err := x.env.FMC.GetCluster(ctx, cl.ID)
		if err != nil {
			return false, err
		}
		return c.ControlID() == to.id, nil
	})
	st, err := x.env.FMC.MakeClusterControl(ctx, cl.ID, to.id, check)
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.SettleTimeout, !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	err = x.poll(ctx, s.To+" to become the control unit of "+s.Target, x.opts.SettleTimeout, func(ctx context.Context) (bool, string, error) {
		c, err := x.env.FMC.GetCluster(ctx, cl.ID)
		if err != nil {
			return false, "", err
		}
		return c.ControlID() == to.id, "control " + x.names.deviceName(c.ControlID()), nil
	})
	if err != nil {
		return outcome{}, err
	}
	return did("%s is the control unit of %s", s.To, s.Target), nil
}

// lostAnswerGrace is how long a role switch or control move whose answer
// was lost is given to show before it is taken as not started: a control
// move shows only once done (about a minute), and so does a switch on a
// management center that does not name it as the pair's task meanwhile.
const lostAnswerGrace = 5 * time.Minute

// lostAnswerCheck is the IdempotencyCheck of a request whose effect shows
// only when it is complete: it watches for the effect for a while. A
// request resent after the grace would be refused while the first is still
// in progress, never carried out twice.
func (x *executor) lostAnswerCheck(done func(context.Context) (bool, error)) fmc.IdempotencyCheck {
	return func(ctx context.Context) (*fmc.StartedTask, bool, error) {
		err := x.poll(ctx, "the lost request to take effect", min(lostAnswerGrace, x.opts.SettleTimeout), func(ctx context.Context) (bool, string, error) {
			ok, err := done(ctx)
			return ok, "", err
		})
		var te *TimeoutError
		switch {
		case err == nil:
			return nil, true, nil
		case errors.As(err, &te):
			return nil, false, nil
		}
		return nil, false, err
	}
}

// ---- deploy_configuration ----

func (x *executor) deploy(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	g, _ := x.names.group(s.Target)
	deployed := false
	for round := 0; ; round++ {
		dd, err := x.deployable(ctx, g)
		if err != nil {
			return outcome{}, err
		}
		switch {
		case dd == nil && deployed:
			return did("configuration deployed to %s", g.name), nil
		case dd == nil:
			return found("%s has no pending changes", g.name), nil
		case round >= maxQuiesceRounds:
			return outcome{}, sr.fail(g.name, "changes are still pending after deploying: "+firstNonEmpty(dd.Message, "the management center gives no reason"), nil)
		case bool(dd.IsDeploying):
			if err := x.awaitDeployments(ctx, g); err != nil {
				return outcome{}, err
			}
			continue
		case !bool(dd.CanBeDeployed):
			// Usually a unit still busy; wait for its task once, then
			// let the management center's reason speak.
			if _, err := x.quiesce(ctx, sr, g.members, false); err != nil {
				return outcome{}, err
			}
			if again, err := x.deployable(ctx, g); err != nil {
				return outcome{}, err
			} else if again != nil && !bool(again.CanBeDeployed) && !bool(again.IsDeploying) {
				return outcome{}, sr.fail(g.name, "the management center cannot deploy: "+firstNonEmpty(again.Message, "no reason given"), nil)
			}
			continue
		}
		check := func(ctx context.Context) (*fmc.StartedTask, bool, error) {
			d, err := x.deployable(ctx, g)
			if err != nil {
				return nil, false, err
			}
			return nil, d == nil || bool(d.IsDeploying), nil
		}
		st, err := x.env.FMC.Deploy(ctx, fmc.DeploymentRequest{Version: string(dd.Version), DeviceIDs: []string{dd.Device.ID},
			IgnoreWarning: true, Note: "fmcupgrade: " + stepTitle(s), Check: check})
		if err != nil {
			return outcome{}, err
		}
		deployed = true
		if st.ID != "" {
			if err := x.waitTask(ctx, sr, st.ID, x.opts.SettleTimeout, !st.Recovered); err != nil {
				return outcome{}, err
			}
		} else if err := x.awaitDeployments(ctx, g); err != nil {
			return outcome{}, err
		}
	}
}

// ---- backup ----

// backup backs up the plan's devices to the management center (READY-4).
// The management center's own backup has no REST API and is left to the
// operator, with a warning. Units that are not reachable are left out and
// named in the result.
func (x *executor) backup(ctx context.Context, sr *stepRun) (outcome, error) {
	ids := x.planDeviceIDs()
	x.warn(ctx, "READY-4: the management center's own backup has no REST API; take it in its web interface (System > Tools > Backup/Restore) before the upgrade and after it")
	if len(ids) == 0 {
		return found("no devices to back up"), nil
	}
	recs, err := x.quiesce(ctx, sr, ids, true)
	if err != nil {
		return outcome{}, err
	}
	// An HA pair is backed up as a pair (HAContainer) when both units are
	// reachable, otherwise unit by unit.
	pairOf := func(d fmc.Device) string {
		if cd := d.Metadata.ContainerDetails; cd != nil && strings.EqualFold(cd.Type, "DeviceHAPair") {
			return cd.ID
		}
		return ""
	}
	pairDown := map[string]bool{}
	for _, id := range ids {
		if p := pairOf(recs[id]); p != "" && !connected(recs[id]) {
			pairDown[p] = true
		}
	}
	var refs []fmc.Reference
	var unreachable []string
	seenPair := map[string]bool{}
	for _, id := range ids {
		d := recs[id]
		p := pairOf(d)
		switch {
		case !connected(d):
			unreachable = append(unreachable, d.Name)
		case p != "" && !pairDown[p]:
			if !seenPair[p] {
				seenPair[p] = true
				refs = append(refs, fmc.Reference{ID: p, Type: "HAContainer", Name: d.Metadata.ContainerDetails.Name})
			}
		default:
			refs = append(refs, fmc.DeviceTarget(id, d.Name))
		}
	}
	if len(unreachable) > 0 {
		x.warn(ctx, fmt.Sprintf("READY-4: not backed up (not reachable at step %d): %s", sr.s.Order, strings.Join(unreachable, ", ")))
	}
	if len(refs) == 0 {
		return found("no reachable device to back up"), nil
	}
	// A second backup does no harm, so a lost answer is simply sent again.
	resend := func(context.Context) (*fmc.StartedTask, bool, error) { return nil, false, nil }
	st, err := x.env.FMC.BackupDevices(ctx, fmc.BackupRequest{Devices: refs, RetrieveToManagementCenter: true, Check: resend})
	if err != nil {
		return outcome{}, err
	}
	if st.ID != "" {
		if err := x.waitTask(ctx, sr, st.ID, x.opts.UnitTimeout, !st.Recovered); err != nil {
			return outcome{}, err
		}
	}
	return did("backed up %s", refNames(refs)), nil
}

// ---- verify ----

// verify re-reads what the step before it was meant to achieve, and the
// health of the units involved: versions and roles must be as planned at
// once; units coming back from a reboot, rejoining their cluster or
// resyncing their pair are waited for up to SettleTimeout.
func (x *executor) verify(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	var prev *planner.Step
	for _, a := range s.After {
		p := &x.plan.Steps[x.index[a]]
		if prev == nil || p.Target == s.Target {
			prev = p
		}
	}
	if prev == nil {
		return outcome{}, sr.fail(s.Target, "nothing to verify: the step follows no other", nil)
	}
	switch prev.Action {
	case planner.ActionUpgradeChassis:
		to := firstNonEmpty(s.To, prev.To)
		return x.verifyChassis(ctx, sr, prev.Target, to)
	case planner.ActionSwitchHARoles:
		return x.verifyPair(ctx, sr, prev.Target, prev.To)
	case planner.ActionMoveClusterControl:
		return x.verifyCluster(ctx, sr, prev.Target, prev.To)
	case planner.ActionUpgradeManagementCenter:
		if _, err := x.readMC(ctx); err != nil {
			return outcome{}, err
		}
		x.mu.Lock()
		cur := x.mcVer
		x.mu.Unlock()
		if !atLeast(cur, prev.To) {
			return outcome{}, sr.fail(s.Target, fmt.Sprintf("the management center runs %s, not %s as planned", cur, prev.To), nil)
		}
		return did("the management center runs %s", cur), nil
	}
	if g, ok := x.names.group(prev.Target); ok {
		return x.verifyUnits(ctx, sr, g.members)
	}
	return outcome{}, sr.fail(s.Target, "nothing to verify after "+prev.Action, nil)
}

func (x *executor) verifyChassis(ctx context.Context, sr *stepRun, name, to string) (outcome, error) {
	u, _ := x.names.chassisUnit(name)
	var running string
	if u.kind == kindFXOSChassis {
		c, err := x.fxosClient(u)
		if err != nil {
			return outcome{}, sr.fail(u.name, err.Error(), err)
		}
		st, err := again(ctx, c.InstallStatus)
		if err != nil {
			return outcome{}, sr.fail(u.name, "reading the installation state: "+errText(err), err)
		}
		if st.InProgress() {
			// An earlier run's installation, still going: the gate is
			// about where it ends.
			wait := fxos.WaitOptions{PollOptions: fxos.PollOptions{Interval: x.opts.PollInterval, MaxInterval: x.opts.MaxPollInterval, Timeout: x.opts.UnitTimeout}}
			if err := x.waitInstall(ctx, c, to, wait); err != nil {
				return outcome{}, sr.fail(u.name, errText(err), err)
			}
		}
		if running, err = x.fxosRunning(ctx, u); err != nil {
			return outcome{}, sr.fail(u.name, "reading the FXOS version: "+errText(err), err)
		}
		if !fxosAtLeast(running, to) {
			return outcome{}, sr.fail(u.name, fmt.Sprintf("the chassis runs FXOS %s, not %s as planned", running, to), nil)
		}
		if err := x.waitInstances(ctx, c, u); err != nil {
			return outcome{}, sr.fail(u.name, errText(err), err)
		}
	} else {
		vers, err := x.readMIChassis(ctx)
		if err != nil {
			return outcome{}, err
		}
		running = vers[u.name]
		if !atLeast(running, to) {
			return outcome{}, sr.fail(u.name, fmt.Sprintf("the chassis runs %s, not %s as planned", running, to), nil)
		}
	}
	if _, err := x.verifyUnits(ctx, sr, u.members); err != nil {
		return outcome{}, err
	}
	return did("%s runs %s; its instances are up, their pairs and clusters healthy", u.name, running), nil
}

func (x *executor) verifyPair(ctx context.Context, sr *stepRun, pairName, active string) (outcome, error) {
	p := x.names.pairs[pairName]
	want, _ := x.names.device(active)
	hp, err := x.env.FMC.GetHAPair(ctx, p.ID)
	if err != nil {
		return outcome{}, err
	}
	if a := hp.ActiveID(); a != "" && a != want.id {
		return outcome{}, sr.fail(pairName, fmt.Sprintf("%s is active, not %s as planned", x.names.deviceName(a), active), nil)
	}
	if _, err := x.verifyUnits(ctx, sr, present(p.PrimaryID, p.SecondaryID)); err != nil {
		return outcome{}, err
	}
	return did("%s is the active unit of %s, which is healthy and in sync", active, pairName), nil
}

func (x *executor) verifyCluster(ctx context.Context, sr *stepRun, clusterName, control string) (outcome, error) {
	cl := x.names.clusters[clusterName]
	want, _ := x.names.device(control)
	c, err := x.env.FMC.GetCluster(ctx, cl.ID)
	if err != nil {
		return outcome{}, err
	}
	if got := c.ControlID(); got != want.id {
		return outcome{}, sr.fail(clusterName, fmt.Sprintf("%s is the control unit, not %s as planned", x.names.deviceName(got), control), nil)
	}
	members := present(append([]string{c.ControlID()}, c.DataIDs()...)...)
	if _, err := x.verifyUnits(ctx, sr, members); err != nil {
		return outcome{}, err
	}
	return did("%s is the control unit of %s, all units in the cluster", control, clusterName), nil
}

// verifyUnits waits until the devices are connected, idle, in their
// cluster, and their HA pairs have an active and a standby unit in sync
// (HA-1).
func (x *executor) verifyUnits(ctx context.Context, sr *stepRun, ids []string) (outcome, error) {
	if len(ids) == 0 {
		return did("no units"), nil
	}
	// A task still running on the units (an earlier run's upgrade) is
	// waited for: the gate is about the state it leaves.
	if _, err := x.quiesce(ctx, sr, ids, false); err != nil {
		return outcome{}, err
	}
	err := x.poll(ctx, "units to be up, healthy and in sync", x.opts.SettleTimeout, func(ctx context.Context) (bool, string, error) {
		recs, err := x.readDevices(ctx, ids)
		if err != nil {
			return false, "", err
		}
		var problems []string
		pairs := map[string]bool{}
		for _, id := range ids {
			d := recs[id]
			switch {
			case !connected(d):
				problems = append(problems, d.Name+" not connected")
			case deviceTask(d) != "":
				problems = append(problems, d.Name+" busy with task "+deviceTask(d))
			}
			if cd := d.Metadata.ContainerDetails; cd != nil {
				switch {
				case strings.EqualFold(cd.Type, "DeviceCluster"):
					if st := containerStatus(d); st != "IN CLUSTER" {
						problems = append(problems, d.Name+" "+strings.ToLower(firstNonEmpty(st, "not in the cluster")))
					}
				case strings.EqualFold(cd.Type, "DeviceHAPair") && cd.ID != "":
					pairs[cd.ID] = true
				}
			}
		}
		for _, id := range sortedKeys(pairs) {
			hp, err := x.env.FMC.GetHAPair(ctx, id)
			if err != nil {
				return false, "", err
			}
			if p := pairProblem(hp); p != "" {
				problems = append(problems, p)
			}
		}
		return len(problems) == 0, strings.Join(problems, "; "), nil
	})
	if err != nil {
		return outcome{}, sr.failWith("", err)
	}
	return did("units up, healthy and in sync"), nil
}

// ---- upgrade_management_center ----

func (x *executor) upgradeManagementCenter(ctx context.Context, sr *stepRun) (outcome, error) {
	s := sr.s
	if _, err := x.readMC(ctx); err != nil {
		return outcome{}, err
	}
	x.mu.Lock()
	cur, host := x.mcVer, x.mcHost
	f := x.pkgFor[[2]string{s.Target, s.To}]
	x.mu.Unlock()
	if atLeast(cur, s.To) {
		return found("the management center already runs %s", cur), nil
	}
	return outcome{}, sr.fail(s.Target, "", &ManualStepError{ManagementCenter: firstNonEmpty(host, s.Target), From: cur, To: s.To, Package: f})
}
