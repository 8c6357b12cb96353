package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fxos"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// Logger receives progress lines (the provider forwards them to tflog).
// Fields never carry credentials.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// Env is what Execute acts on.
type Env struct {
	FMC *fmc.Client
	// FXOS returns a client for the Firepower 4100/9300 chassis manager at
	// managerURL; needed only when the plan upgrades or stages FXOS.
	FXOS func(managerURL string) (*fxos.Client, error)
	// Catalog names packages in their other spellings; nil is the
	// embedded catalog.
	Catalog *catalog.Catalog
	// Inventory is the live estate the plan's names resolve against; nil
	// reads it. Versions are read afresh either way.
	Inventory *Inventory
	// ChassisManagers maps FXOS chassis names to chassis manager URLs, for
	// chassis whose address the management center does not report (or to
	// override it).
	ChassisManagers map[string]string
	Logger          Logger
}

// FXOSImageSource is the server chassis managers download FXOS platform
// bundles from (Chassis Manager's System > Updates > Upload Image from a
// remote server).
type FXOSImageSource struct {
	// Protocol is scp, sftp, ftp, tftp, http or https.
	Protocol   string
	Server     string
	Port       int
	RemotePath string
	User       string
	// Password is sent to the chassis only; it is never logged.
	Password string
}

// Phases of an execution: staging packages ahead of the window (PKG-3),
// staging plus readiness checks, or the whole upgrade.
const (
	PhaseStage   = "stage"
	PhaseCheck   = "check"
	PhaseUpgrade = "upgrade"
)

// Defaults of ExecOptions.
const (
	DefaultPollInterval  = 30 * time.Second
	DefaultUnitTimeout   = 2 * time.Hour
	DefaultSettleTimeout = 30 * time.Minute
	DefaultConcurrency   = 8
)

// ExecOptions tune an execution.
type ExecOptions struct {
	// EnableRevert keeps what a threat defense unit needs to be reverted
	// (enableUpgradeRevert); AutoCancel rolls a unit back when its upgrade
	// fails (autoUpgradeCancel).
	EnableRevert bool
	AutoCancel   bool
	// Phase is PhaseStage, PhaseCheck or PhaseUpgrade (the default).
	// Steps outside the phase stay pending.
	Phase string

	// SkipDeviceReadiness skips the readiness_check steps of threat defense
	// devices, which READY-5 allows only on explicit request: no
	// readiness-check-only request is sent for them (the management center
	// may still run its own check as part of the upgrade, as it does for a
	// unit with no passed check for the package). The management center's
	// own readiness check is mandatory (READY-5) and is never skipped.
	SkipDeviceReadiness bool
	// SkipDeployAfter skips the deploy_configuration steps that follow the
	// last upgrade_threat_defense of their target, and leaves the
	// configuration to be deployed by hand (READY-2 wants it deployed after
	// the upgrade; each skip is also reported in Progress.Warnings).
	// Deployments before an upgrade always run: READY-2 requires pending
	// changes deployed before a device upgrade, so a deployment between two
	// hops of a multi-hop path runs too.
	SkipDeployAfter bool

	// PollInterval is the first pause between polls of a task or state;
	// it grows by half while nothing changes, up to MaxPollInterval
	// (default four times PollInterval, at least a minute).
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// UnitTimeout bounds the wait for one unit's copy, readiness check,
	// backup or upgrade; a step upgrading several units one after another
	// waits that many times longer.
	UnitTimeout time.Duration
	// SettleTimeout bounds how long a verify step (and a role switch,
	// control move or deployment) waits for units to come back healthy
	// and in sync.
	SettleTimeout time.Duration

	// Concurrency caps how many steps of one wave run at once; 1 runs them
	// in order. The planner already caps upgrades per wave (max_parallel),
	// so this only limits how many waits poll together.
	Concurrency int

	// FXOSImages is where chassis managers download missing FXOS bundles
	// from; nil means bundles must already be on the chassis.
	FXOSImages *FXOSImageSource

	// PackageIDs are the upgrade packages the job may use, by id or file
	// name as the management center lists them (package_ids). Each copy,
	// readiness check and upgrade of a package the plan needs uses the
	// listed package of the same family and version
	// (planner.ChoosePackages); a plan package none stands for is found by
	// its file name. Execute refuses to start, before any request that
	// changes something, when a listed package is missing, needed by no
	// step or listed twice for one package.
	PackageIDs []string

	// Resume is the Progress of an earlier run of the same job. Its
	// interrupted steps' tasks are waited for rather than started again,
	// and steps the API cannot observe (backups, package copies) that it
	// recorded done are not repeated.
	Resume *Progress

	// OnStep is called, possibly from several goroutines, whenever a step
	// ends.
	OnStep func(StepResult)

	// Now and Sleep replace the clock; Sleep must return early with
	// ctx.Err() when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o ExecOptions) withDefaults() ExecOptions {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = max(4*o.PollInterval, time.Minute)
	}
	o.MaxPollInterval = max(o.MaxPollInterval, o.PollInterval)
	if o.UnitTimeout <= 0 {
		o.UnitTimeout = DefaultUnitTimeout
	}
	if o.SettleTimeout <= 0 {
		o.SettleTimeout = DefaultSettleTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Phase == "" {
		o.Phase = PhaseUpgrade
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return o
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ErrManualStep is matched by the error of a step the APIs cannot perform.
var ErrManualStep = errors.New("manual step required")

// ManualStepError is the management center upgrade, which its REST API does
// not offer (only its readiness check): the operator upgrades it in the web
// interface and runs the job again, which then finds the step done.
type ManualStepError struct {
	ManagementCenter string
	From, To         string
	Package          string
}

func (e *ManualStepError) Error() string {
	pkg := ""
	if e.Package != "" {
		pkg = " with " + e.Package
	}
	return fmt.Sprintf("the management center %s runs %s and must run %s before its devices are upgraded (ORDER-1), "+
		"and its REST API cannot upgrade the management center itself. Upgrade it in its web interface: "+
		"System > Product Upgrades%s (for a high-availability pair, as the upgrade guide describes for pairs), "+
		"then run the job again (terraform apply): it finds this step done and continues with the devices",
		e.ManagementCenter, e.From, e.To, pkg)
}

func (e *ManualStepError) Is(target error) bool { return target == ErrManualStep }

// StepError is the failure that stopped an execution: the step, the unit it
// failed on and the management center's (or chassis manager's) own words.
type StepError struct {
	Step    planner.Step
	Unit    string
	Message string
	Err     error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("step %d (wave %d) %s failed", e.Step.Order, e.Step.Wave, stepTitle(e.Step))
	if e.Unit != "" {
		msg += " on " + e.Unit
	}
	switch {
	case e.Message != "":
		msg += ": " + e.Message
	case e.Err != nil:
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

func stepTitle(s planner.Step) string {
	t := s.Action + " " + s.Target
	if c := s.Change(); c != "" {
		t += " " + c
	}
	return t
}

// Execute runs plan against the live estate. A step starts as soon as the
// steps it waits for have ended, up to opts.Concurrency at once and the
// plan's max_parallel upgrades at once, so the waves of the plan are an
// upper bound on the time taken; steps waiting for a slot go longest chain
// first. It stops at the first failure:
// no step is started after it, steps already running are followed to
// their end, and the error names the step, the unit and the management
// center's message.
//
// Execution is idempotent. Before the first wave it reads every unit's
// version, marks upgrades already done as such, and skips the steps that
// only prepare them (copies, checks, role switches, gates). Each step then
// observes the estate again before acting: units already at the target are
// left alone, a task already running on a unit is waited for instead of
// starting another, roles already where the plan wants them are not
// switched. No upgrade request is sent for a unit that is upgrading or done.
//
// The returned Progress says what was done, also when err is not nil.
func Execute(ctx context.Context, env Env, plan *planner.EstatePlan, opts ExecOptions) (*Progress, error) {
	if env.FMC == nil {
		return nil, errors.New("runner: no management center client")
	}
	if plan == nil {
		return nil, errors.New("runner: no plan to execute")
	}
	switch opts.Phase {
	case "", PhaseStage, PhaseCheck, PhaseUpgrade:
	default:
		return nil, fmt.Errorf("runner: phase %q is not one of %s, %s, %s", opts.Phase, PhaseStage, PhaseCheck, PhaseUpgrade)
	}
	x := newExecutor(env, plan, opts.withDefaults())
	err := x.prepare(ctx)
	if err == nil {
		err = x.runSteps(ctx)
	}
	x.finish(ctx)
	return x.progress, err
}

type executor struct {
	env  Env
	opts ExecOptions
	plan *planner.EstatePlan
	cat  *catalog.Catalog

	names    *names
	index    map[int]int   // step order → index in plan.Steps
	children map[int][]int // step order → orders of the steps waiting for it
	keys     []string
	pkgFor   map[[2]string]string // (unit name, version) → package file
	mcName   string
	resumed  map[string]StepResult

	mu       sync.Mutex
	progress *Progress
	own      map[string]bool // tasks this run started
	pkgs     map[string]*fmc.UpgradePackage
	clients  map[string]*fxos.Client
	devVer   map[string]string // device id → version
	chVer    map[string]string // chassis name → version
	mcVer    string
	mcID     string
	mcHost   string
	outside  map[int]bool // steps outside the phase
	noted    map[string]bool
	noTasks  bool // the management center refused to list upgrade tasks
}

func newExecutor(env Env, plan *planner.EstatePlan, opts ExecOptions) *executor {
	x := &executor{env: env, opts: opts, plan: plan, cat: env.Catalog,
		index: map[int]int{}, children: map[int][]int{}, pkgFor: map[[2]string]string{}, resumed: map[string]StepResult{},
		own: map[string]bool{}, pkgs: map[string]*fmc.UpgradePackage{}, clients: map[string]*fxos.Client{},
		devVer: map[string]string{}, chVer: map[string]string{}, noted: map[string]bool{}, outside: map[int]bool{},
		progress: &Progress{Status: StatusPartial, UnitVersions: map[string]string{}, DeviceVersions: map[string]string{}}}
	x.keys = stepKeys(plan.Steps)
	for i, s := range plan.Steps {
		x.index[s.Order] = i
		for _, a := range s.After {
			x.children[a] = append(x.children[a], s.Order)
		}
		switch s.Action {
		case planner.ActionCopyPackage:
			for _, u := range s.Units {
				x.pkgFor[[2]string{u, s.To}] = s.Target
			}
		case planner.ActionUpgradeManagementCenter, planner.ActionBackup:
			if x.mcName == "" {
				x.mcName = s.Target
			}
		}
		x.progress.Steps = append(x.progress.Steps, StepResult{Order: s.Order, Wave: s.Wave, Action: s.Action, Target: s.Target,
			Key: x.keys[i], State: StepPending})
	}
	if opts.Resume != nil {
		for _, r := range opts.Resume.Steps {
			x.resumed[r.Key] = r
		}
	}
	return x
}

func (x *executor) log(ctx context.Context, msg string, fields map[string]any) {
	if x.env.Logger != nil {
		x.env.Logger(ctx, msg, fields)
	}
}

func (x *executor) warn(ctx context.Context, msg string) {
	x.mu.Lock()
	dup := x.noted[msg]
	x.noted[msg] = true
	if !dup {
		x.progress.Warnings = append(x.progress.Warnings, msg)
	}
	x.mu.Unlock()
	if !dup {
		x.log(ctx, "runner: "+msg, nil)
	}
}

// prepare resolves the plan's names, reads where every unit stands and
// decides which steps are already done.
func (x *executor) prepare(ctx context.Context) error {
	if x.cat == nil {
		c, err := catalog.Default()
		if err != nil {
			return err
		}
		x.cat = c
	}
	inv := x.env.Inventory
	if inv == nil {
		var err error
		if inv, err = ReadInventory(ctx, x.env.FMC, x.cat); err != nil {
			return err
		}
	}
	if x.mcName == "" {
		x.mcName = firstNonEmpty(inv.ManagementCenter.Hostname, "management center")
	}
	x.names = newNames(inv, x.env.ChassisManagers, x.mcName)
	var errs []error
	for _, s := range x.plan.Steps {
		if err := x.names.resolveStep(s); err != nil {
			errs = append(errs, fmt.Errorf("step %d %s: %w", s.Order, stepTitle(s), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := x.choosePackages(ctx); err != nil {
		return err
	}
	if err := x.observeAll(ctx); err != nil {
		return err
	}
	x.decide(ctx)
	return nil
}

// observeAll reads the versions the plan's upgrades are judged by: every
// device it names, the multi-instance chassis, the management center and
// the FXOS chassis (whose managers may be unreachable: their versions then
// stay unknown and their steps find out when they run).
func (x *executor) observeAll(ctx context.Context) error {
	if ids := x.planDeviceIDs(); len(ids) > 0 {
		if _, err := x.readDevices(ctx, ids); err != nil {
			return err
		}
	}
	if _, err := x.readMC(ctx); err != nil {
		return err
	}
	var mi, fx bool
	for _, name := range x.planChassis() {
		u, _ := x.names.chassisUnit(name)
		switch u.kind {
		case kindMIChassis:
			mi = true
		case kindFXOSChassis:
			fx = true
		}
	}
	if mi {
		if _, err := x.readMIChassis(ctx); err != nil {
			return err
		}
	}
	if fx {
		for _, name := range x.planChassis() {
			u, _ := x.names.chassisUnit(name)
			if u.kind != kindFXOSChassis {
				continue
			}
			if _, err := x.fxosRunning(ctx, u); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				x.log(ctx, "runner: FXOS version unknown for now", map[string]any{"chassis": u.name, "error": err.Error()})
			}
		}
	}
	return nil
}

// planDeviceIDs lists every device the plan names, in plan order, then
// those it only lists with their paths (already at their targets).
func (x *executor) planDeviceIDs() []string {
	seen := map[string]bool{}
	var out []string
	add := func(u unit, ok bool) {
		if !ok {
			return
		}
		for _, id := range u.members {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	for _, s := range x.plan.Steps {
		switch s.Action {
		case planner.ActionUpgradeThreatDefense, planner.ActionReadinessCheck, planner.ActionDeployConfiguration:
			if !x.names.isMC(s.Target) {
				add(x.names.group(s.Target))
			}
		case planner.ActionUpgradeChassis:
			add(x.names.chassisUnit(s.Target))
		case planner.ActionCopyPackage:
			for _, n := range s.Units {
				if u, ok := x.names.any(n); ok && u.kind != kindManagementCenter && u.kind != kindFXOSChassis {
					add(u, true)
				}
			}
		}
	}
	for _, n := range sortedKeys(x.plan.UnitPaths) {
		add(x.names.device(n))
	}
	return out
}

// planChassis lists the chassis the plan upgrades or stages, in plan
// order.
func (x *executor) planChassis() []string {
	seen := map[string]bool{}
	var out []string
	add := func(name string) {
		if u, ok := x.names.chassisUnit(name); ok && !seen[u.name] {
			seen[u.name] = true
			out = append(out, u.name)
		}
	}
	for _, s := range x.plan.Steps {
		switch s.Action {
		case planner.ActionUpgradeChassis:
			add(s.Target)
		case planner.ActionCopyPackage:
			for _, n := range s.Units {
				if !x.names.isMC(n) {
					add(n)
				}
			}
		}
	}
	for _, n := range sortedKeys(x.plan.UnitPaths) {
		if _, ok := x.names.chassis[n]; ok {
			add(n)
		}
	}
	return out
}

func isUpgrade(action string) bool {
	return action == planner.ActionUpgradeThreatDefense || action == planner.ActionUpgradeChassis ||
		action == planner.ActionUpgradeManagementCenter
}

// upgradeDone judges an upgrade step against the versions last read.
func (x *executor) upgradeDone(s planner.Step) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch s.Action {
	case planner.ActionUpgradeThreatDefense:
		g, ok := x.names.group(s.Target)
		if !ok || len(g.members) == 0 {
			return false
		}
		for _, id := range g.members {
			if !atLeast(x.devVer[id], s.To) {
				return false
			}
		}
		return true
	case planner.ActionUpgradeChassis:
		u, ok := x.names.chassisUnit(s.Target)
		if !ok {
			return false
		}
		if u.kind == kindFXOSChassis {
			return fxosAtLeast(x.chVer[u.name], s.To)
		}
		return atLeast(x.chVer[u.name], s.To)
	case planner.ActionUpgradeManagementCenter:
		return atLeast(x.mcVer, s.To)
	}
	return false
}

// purpose returns the upgrades a step prepares: the upgrade steps reachable
// from it through steps that wait for it, not going past an upgrade.
func (x *executor) purpose(order int) []int {
	seen := map[int]bool{order: true}
	queue := append([]int(nil), x.children[order]...)
	var out []int
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if seen[o] {
			continue
		}
		seen[o] = true
		if isUpgrade(x.plan.Steps[x.index[o]].Action) {
			out = append(out, o)
			continue
		}
		queue = append(queue, x.children[o]...)
	}
	sort.Ints(out)
	return out
}

// decide marks, before the first wave, the upgrades found done, the steps
// that only prepare upgrades that are all done, the steps outside the
// phase, and the unobservable steps an earlier run recorded done.
func (x *executor) decide(ctx context.Context) {
	done := map[int]bool{}
	for _, s := range x.plan.Steps {
		if isUpgrade(s.Action) && x.upgradeDone(s) {
			done[s.Order] = true
		}
	}
	inPhase := x.phaseFilter()
	for i, s := range x.plan.Steps {
		r := &x.progress.Steps[i]
		switch {
		case !inPhase[s.Order]:
			x.outside[s.Order] = true
			r.Detail = "outside the " + x.opts.Phase + " phase"
		case done[s.Order]:
			r.State, r.Detail = StepSkipped, "already done: "+x.versionsNow(s)
		case !isUpgrade(s.Action):
			if p := x.purpose(s.Order); len(p) > 0 && allIn(p, done) {
				r.State, r.Detail = StepSkipped, fmt.Sprintf("not needed: the upgrades it prepares (steps %s) are done", joinInts(p))
			}
		}
		if r.State == StepPending && inPhase[s.Order] {
			if prev, ok := x.resumed[r.Key]; ok {
				switch {
				case prev.State == StepDone && (s.Action == planner.ActionBackup || s.Action == planner.ActionCopyPackage):
					// Stays done, not skipped: the API cannot show copies
					// and backups, so only this record keeps a later resume
					// from doing them again.
					r.State, r.Detail = StepDone, "done in an earlier run"
				case prev.TaskID != "" && prev.State != StepDone && prev.State != StepSkipped:
					r.TaskID = prev.TaskID
				}
			}
		}
		if r.State == StepSkipped || r.State == StepDone {
			x.log(ctx, "runner: step skipped", map[string]any{"order": s.Order, "wave": s.Wave, "action": s.Action, "target": s.Target, "detail": r.Detail})
		}
	}
}

// phaseFilter says which steps the phase runs. Staging copies packages;
// checking also runs the readiness checks that need nothing but the
// copies (a check that follows a chassis upgrade or an earlier hop waits
// for the upgrade phase).
func (x *executor) phaseFilter() map[int]bool {
	in := map[int]bool{}
	blocked := map[int]bool{} // steps that wait, directly or not, for an upgrade or role change
	for _, s := range x.plan.Steps {
		b := false
		for _, a := range s.After {
			if blocked[a] {
				b = true
			}
			switch x.plan.Steps[x.index[a]].Action {
			case planner.ActionUpgradeThreatDefense, planner.ActionUpgradeChassis, planner.ActionUpgradeManagementCenter,
				planner.ActionSwitchHARoles, planner.ActionMoveClusterControl:
				b = true
			}
		}
		blocked[s.Order] = b
		switch x.opts.Phase {
		case PhaseStage:
			in[s.Order] = s.Action == planner.ActionCopyPackage
		case PhaseCheck:
			in[s.Order] = s.Action == planner.ActionCopyPackage || (s.Action == planner.ActionReadinessCheck && !b)
		default:
			in[s.Order] = true
		}
	}
	return in
}

func (x *executor) versionsNow(s planner.Step) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch s.Action {
	case planner.ActionUpgradeThreatDefense:
		g, _ := x.names.group(s.Target)
		var parts []string
		for _, id := range g.members {
			parts = append(parts, x.names.deviceName(id)+" runs "+x.devVer[id])
		}
		return strings.Join(parts, ", ")
	case planner.ActionUpgradeChassis:
		u, _ := x.names.chassisUnit(s.Target)
		return u.name + " runs " + x.chVer[u.name]
	}
	return x.mcName + " runs " + x.mcVer
}

func allIn(orders []int, set map[int]bool) bool {
	for _, o := range orders {
		if !set[o] {
			return false
		}
	}
	return true
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}

// runSteps starts each step as soon as the steps it waits for (After) have
// ended, in plan order, up to opts.Concurrency at once and at most the
// plan's max_parallel chassis and threat defense upgrades at once. Waves
// are the plan's picture of this order; following the dependencies instead
// lets a long upgrade in one branch of the estate overlap the next steps of
// another. After a failure no step is started; those running are followed
// to their end.
func (x *executor) runSteps(ctx context.Context) error {
	steps := x.plan.Steps
	index := make(map[int]int, len(steps)) // order -> position
	for i, s := range steps {
		index[s.Order] = i
	}
	waiting := make([]int, len(steps))
	dependents := make([][]int, len(steps))
	for i, s := range steps {
		for _, a := range s.After {
			if j, ok := index[a]; ok {
				waiting[i]++
				dependents[j] = append(dependents[j], i)
			}
		}
	}
	// Ready steps wait for a slot in the order of the work still ahead of
	// them, so that the longest chain is not kept behind steps with time
	// to spare. One step at a time takes as long in any order: that run
	// keeps the order the plan shows.
	ahead := make([]int, len(steps))
	if x.opts.Concurrency > 1 {
		ahead = workAhead(steps, dependents)
	}
	before := func(a, b int) bool {
		if ahead[a] != ahead[b] {
			return ahead[a] > ahead[b]
		}
		return a < b
	}
	var ready []int // positions, kept in that order
	for i := range steps {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	sort.SliceStable(ready, func(a, b int) bool { return before(ready[a], ready[b]) })
	type result struct {
		i   int
		err error
	}
	done := make(chan result)
	running, upgrades, finished := 0, 0, 0
	limit := x.plan.MaxParallel()
	var firstErr error
	finish := func(i int) {
		finished++
		for _, d := range dependents[i] {
			if waiting[d]--; waiting[d] == 0 {
				at := sort.Search(len(ready), func(k int) bool { return before(d, ready[k]) })
				ready = append(ready, 0)
				copy(ready[at+1:], ready[at:])
				ready[at] = d
			}
		}
	}
	for finished < len(steps) {
		for k := 0; firstErr == nil && ctx.Err() == nil && k < len(ready) && running < x.opts.Concurrency; {
			i := ready[k]
			x.mu.Lock()
			pending := x.progress.Steps[i].State == StepPending && !x.outside[steps[i].Order]
			x.mu.Unlock()
			if !pending {
				// Done, skipped or outside the phase: nothing to run, and
				// what waits on it is judged on its own.
				ready = append(ready[:k], ready[k+1:]...)
				finish(i)
				continue
			}
			heavy := isUpgrade(steps[i].Action)
			if heavy && limit > 0 && upgrades >= limit {
				k++
				continue
			}
			ready = append(ready[:k], ready[k+1:]...)
			running++
			if heavy {
				upgrades++
			}
			go func(i int) { done <- result{i, x.runStep(ctx, i)} }(i)
		}
		if running == 0 {
			break
		}
		r := <-done
		running--
		if isUpgrade(steps[r.i].Action) {
			upgrades--
		}
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		finish(r.i)
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// workAhead ranks each step (by position) by the longest chain of
// upgrades from it to the end of the plan, counting every member of a pair
// or cluster since they upgrade one after another, then by the number of
// steps on the longest chain.
func workAhead(steps []planner.Step, dependents [][]int) []int {
	upgrades := make([]int, len(steps))
	chain := make([]int, len(steps))
	for i := len(steps) - 1; i >= 0; i-- { // a step's dependents come after it
		for _, d := range dependents[i] {
			upgrades[i] = max(upgrades[i], upgrades[d])
			chain[i] = max(chain[i], chain[d])
		}
		switch steps[i].Action {
		case planner.ActionUpgradeThreatDefense:
			upgrades[i] += max(1, len(steps[i].Units))
		case planner.ActionUpgradeChassis, planner.ActionUpgradeManagementCenter:
			upgrades[i]++
		}
		chain[i]++
	}
	rank := make([]int, len(steps))
	for i := range steps {
		rank[i] = upgrades[i]*(len(steps)+1) + chain[i]
	}
	return rank
}

// outcome is how a step ended when it did not fail.
type outcome struct {
	skipped bool
	detail  string
}

func did(format string, args ...any) outcome { return outcome{detail: fmt.Sprintf(format, args...)} }

func found(format string, args ...any) outcome {
	return outcome{skipped: true, detail: fmt.Sprintf(format, args...)}
}

// stepRun is one step being run.
type stepRun struct {
	x *executor
	s planner.Step
	i int
}

// task records the task the step started or waits on; own marks one this
// run started.
func (sr *stepRun) task(id string, own bool) {
	if id == "" {
		return
	}
	sr.x.mu.Lock()
	sr.x.progress.Steps[sr.i].TaskID = id
	if own {
		sr.x.own[id] = true
	}
	sr.x.mu.Unlock()
}

func (sr *stepRun) fail(unit, msg string, err error) error {
	return &StepError{Step: sr.s, Unit: unit, Message: msg, Err: err}
}

// failWith turns a client error into a StepError that keeps the management
// center's words and names the unit a failed task names.
func (sr *stepRun) failWith(unit string, err error) error {
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	u, msg := explain(err)
	return sr.fail(firstNonEmpty(u, unit), msg, err)
}

func explain(err error) (unit, msg string) {
	var tf *fmc.TaskFailedError
	if errors.As(err, &tf) && tf.Task != nil {
		if f := tf.Task.FailedTargets(); len(f) > 0 {
			return firstNonEmpty(f[0].Target.Name, f[0].Target.ID), firstNonEmpty(f[0].Message, tf.Task.Message, tf.Task.Status)
		}
		return "", firstNonEmpty(tf.Task.Message, tf.Task.Description, tf.Task.Status)
	}
	var ae *fmc.APIError
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return "", strings.Join(ae.Messages, " ")
	}
	var fe *fxos.APIError
	if errors.As(err, &fe) && fe.Description != "" {
		return "", fe.Description
	}
	return "", err.Error()
}

func (x *executor) runStep(ctx context.Context, i int) error {
	s := x.plan.Steps[i]
	sr := &stepRun{x: x, s: s, i: i}
	x.mu.Lock()
	r := &x.progress.Steps[i]
	r.State = StepRunning
	r.Started, r.Ended = x.opts.Now(), time.Time{}
	prevTask := r.TaskID
	x.mu.Unlock()
	x.log(ctx, "runner: step started", map[string]any{"order": s.Order, "wave": s.Wave, "action": s.Action, "target": s.Target, "change": s.Change()})

	var out outcome
	err := x.awaitEarlier(ctx, sr, prevTask)
	if err == nil {
		out, err = x.dispatch(ctx, sr)
	}

	x.mu.Lock()
	r.Ended = x.opts.Now()
	switch {
	case err == nil && out.skipped:
		r.State, r.Detail = StepSkipped, out.detail
	case err == nil:
		r.State, r.Detail = StepDone, out.detail
	case ctx.Err() != nil:
		r.State, r.Detail = StepInterrupted, ctx.Err().Error()
		err = ctx.Err()
	default:
		err = sr.failWith(s.Target, err)
		r.State, r.Detail = StepFailed, err.Error()
	}
	res := *r
	x.mu.Unlock()
	x.log(ctx, "runner: step "+res.State, map[string]any{"order": s.Order, "wave": s.Wave, "action": s.Action, "target": s.Target, "detail": res.Detail})
	if x.opts.OnStep != nil {
		x.opts.OnStep(res)
	}
	return err
}

// awaitEarlier waits for a task an earlier, interrupted run of this step
// left running, so that the step observes its outcome instead of starting
// the work again. Whether that task succeeded does not matter: the step
// looks at the units next.
func (x *executor) awaitEarlier(ctx context.Context, sr *stepRun, id string) error {
	if id == "" {
		return nil
	}
	t, err := x.env.FMC.GetTask(ctx, id)
	switch {
	case fmc.IsNotFound(err):
		return nil
	case err != nil:
		return err
	case t.State().Done():
		return nil
	}
	x.log(ctx, "runner: waiting for the task an earlier run started", map[string]any{"order": sr.s.Order, "task": id})
	err = x.waitTask(ctx, sr, id, x.opts.UnitTimeout*time.Duration(max(1, len(sr.s.Units))), false)
	if errors.Is(err, fmc.ErrTaskFailed) {
		return nil
	}
	return err
}

// skippedOnRequest says why the options skip a step, or "" when they do
// not.
func (x *executor) skippedOnRequest(ctx context.Context, sr *stepRun) string {
	s := sr.s
	switch s.Action {
	case planner.ActionReadinessCheck:
		// The management center's own check is mandatory (READY-5).
		if x.opts.SkipDeviceReadiness && !x.names.isMC(s.Target) {
			return "skipped on request (readiness_check = false)"
		}
	case planner.ActionDeployConfiguration:
		if x.opts.SkipDeployAfter && x.deployAfterLastUpgrade(sr.i) {
			x.warn(ctx, fmt.Sprintf("READY-2: the configuration of %s was not deployed after its upgrade (skipped on request, deploy_after = false); "+
				"deploy it by hand (Deploy > Deployment on the management center)", s.Target))
			return fmt.Sprintf("skipped on request (deploy_after = false): READY-2 wants the configuration deployed after the upgrade; "+
				"deploy it to %s by hand", s.Target)
		}
	}
	return ""
}

// deployAfterLastUpgrade reports whether step i deploys a target after an
// upgrade_threat_defense of it and before none: a deployment before an
// upgrade (also one between two hops) is what READY-2 requires before a
// device upgrade and is never skipped.
func (x *executor) deployAfterLastUpgrade(i int) bool {
	d := x.plan.Steps[i]
	before, after := false, false
	for _, s := range x.plan.Steps {
		if s.Action != planner.ActionUpgradeThreatDefense || s.Target != d.Target {
			continue
		}
		// Steps of one wave never wait for each other: an upgrade and a
		// deployment of the same target are in different waves.
		if s.Wave < d.Wave {
			before = true
		} else {
			after = true
		}
	}
	return before && !after
}

func (x *executor) dispatch(ctx context.Context, sr *stepRun) (outcome, error) {
	if why := x.skippedOnRequest(ctx, sr); why != "" {
		return outcome{skipped: true, detail: why}, nil
	}
	switch sr.s.Action {
	case planner.ActionCopyPackage:
		return x.copyPackage(ctx, sr)
	case planner.ActionReadinessCheck:
		return x.readiness(ctx, sr)
	case planner.ActionUpgradeThreatDefense:
		return x.upgradeThreatDefense(ctx, sr)
	case planner.ActionUpgradeChassis:
		return x.upgradeChassis(ctx, sr)
	case planner.ActionSwitchHARoles:
		return x.switchRoles(ctx, sr)
	case planner.ActionMoveClusterControl:
		return x.moveControl(ctx, sr)
	case planner.ActionDeployConfiguration:
		return x.deploy(ctx, sr)
	case planner.ActionBackup:
		return x.backup(ctx, sr)
	case planner.ActionVerify:
		return x.verify(ctx, sr)
	case planner.ActionUpgradeManagementCenter:
		return x.upgradeManagementCenter(ctx, sr)
	}
	return outcome{}, sr.fail("", fmt.Sprintf("unknown action %q", sr.s.Action), nil)
}

// finish fills in the versions reached and the job's status. Versions are
// read once more unless the context has ended, in which case the last ones
// seen are reported and nothing more is sent.
func (x *executor) finish(ctx context.Context) {
	if ctx.Err() == nil && x.names != nil {
		if ids := x.planDeviceIDs(); len(ids) > 0 {
			_, _ = x.readDevices(ctx, ids)
		}
		_, _ = x.readMC(ctx)
		for _, name := range x.planChassis() {
			u, _ := x.names.chassisUnit(name)
			if u.kind == kindMIChassis {
				_, _ = x.readMIChassis(ctx)
				break
			}
		}
		for _, name := range x.planChassis() {
			if u, _ := x.names.chassisUnit(name); u.kind == kindFXOSChassis {
				_, _ = x.fxosRunning(ctx, u)
			}
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.progress
	if x.names != nil {
		for _, id := range x.planDeviceIDs() {
			if v := x.devVer[id]; v != "" {
				p.DeviceVersions[id] = v
				p.UnitVersions[x.names.deviceName(id)] = v
			}
		}
	}
	for name, v := range x.chVer {
		p.UnitVersions[name] = v
	}
	if x.mcVer != "" {
		p.UnitVersions[x.mcName] = x.mcVer
	}
	complete := true
	for _, s := range p.Steps {
		if s.State != StepDone && s.State != StepSkipped {
			complete = false
		}
	}
	if complete {
		p.Status = StatusComplete
	}
}
