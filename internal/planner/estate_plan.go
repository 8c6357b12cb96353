package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// PlanEstate orders the upgrade of a whole estate into waves of steps.
//
// The management center's path is split into epochs: epoch e runs while
// the management center is on its e-th version. Devices move only in the
// last epoch (ORDER-1), unless they are too old for the management center's
// next version (catalog.OldestManaged): then they move first, as far as the
// current management center allows on a path that still leads to the
// target (ORDER-3). Chassis move only when a device hop needs them
// (ORDER-4), never past what the next hop of any of their devices needs
// (ORDER-5), one chassis of a pair or cluster at a time (HA-1..6). Steps form
// a dependency graph whose levels are the waves.
//
// Refusals are *RuleError with Field set to the input that caused them
// ("devices[3].chassis", "ha_pairs[0].secondary", "target_version", ...).
func PlanEstate(c *catalog.Catalog, e Estate, t Targets) (*EstatePlan, error) {
	in, err := validate(c, e, t)
	if err != nil {
		return nil, err
	}
	pl := &estatePlanner{
		c: c, in: in, r: newRouter(c),
		hopVers:   map[*Path][]version.Version{},
		versions:  map[string]version.Version{},
		warned:    map[string]bool{},
		short:     map[string]string{},
		copies:    map[copyKey]int{},
		needs:     map[[2]int]need{},
		hopRules:  map[hopRuleKey][]string{},
		barrier:   -1,
		rs:        newRuleSet(),
		shortSeen: map[string][]string{},
	}
	if err := pl.mcRoute(); err != nil {
		return nil, err
	}
	if err := pl.routeDevices(); err != nil {
		return nil, err
	}
	if err := pl.checkChassis(); err != nil {
		return nil, err
	}
	pl.components()
	pl.reserve()
	if err := pl.sequence(); err != nil {
		return nil, err
	}
	return pl.result(), nil
}

type estatePlanner struct {
	c  *catalog.Catalog
	in *estateInput
	r  *router

	mcPath *Path
	mcVers []version.Version // current, then each hop

	hopVers  map[*Path][]version.Version
	labels   bool // groupRoutes builds unit labels for messages
	versions map[string]version.Version

	comps []*component

	nodes []node
	deps  []int32
	stamp []int32
	gen   int32

	epoch   int
	barrier int // the node every step of the epoch follows

	rs       *ruleSet
	copies   map[copyKey]int
	needs    map[[2]int]need // by threat defense train
	recBuild map[version.FXOS]version.FXOS
	hopRules map[hopRuleKey][]string

	warnings  []string
	warned    map[string]bool
	short     map[string]string
	shortSeen map[string][]string // reason -> units, in order
	shortKeys []string
}

type node struct {
	s          Step
	dep0, dep1 int32
	level      int
	wave       int
}

type component struct {
	chassis []int
	groups  []int // in device order
}

func (pl *estatePlanner) parsed(s string) version.Version {
	if v, ok := pl.versions[s]; ok {
		return v
	}
	v := version.MustParse(s)
	pl.versions[s] = v
	return v
}

func (pl *estatePlanner) warn(w string) {
	if !pl.warned[w] {
		pl.warned[w] = true
		pl.warnings = append(pl.warnings, w)
	}
}

// shortfall records why a group's units stop short of the target.
func (pl *estatePlanner) shortfall(g *grp, reason string) {
	if _, ok := pl.shortSeen[reason]; !ok {
		pl.shortKeys = append(pl.shortKeys, reason)
	}
	for _, m := range g.members {
		name := pl.in.devs[m].name
		pl.short[name] = reason
		pl.shortSeen[reason] = append(pl.shortSeen[reason], name)
	}
}

// reserve sizes the step graph from the routes, so that appending steps
// does not copy it over and over on large estates.
func (pl *estatePlanner) reserve() {
	n := 16 + 4*len(pl.mcVers)
	for gi := range pl.in.grps {
		n += 3*len(pl.in.grps[gi].hops) + 1
	}
	n += 12 * len(pl.in.chs)
	pl.nodes = make([]node, 0, n)
	pl.stamp = make([]int32, n)
	pl.deps = make([]int32, 0, 2*n)
}

// add appends a step that waits for deps (negative entries are ignored).
func (pl *estatePlanner) add(s Step, deps ...int) int {
	id := len(pl.nodes)
	if len(pl.stamp) <= id {
		pl.stamp = append(pl.stamp, make([]int32, id+1-len(pl.stamp)+len(pl.stamp)/2)...)
	}
	pl.gen++
	start := int32(len(pl.deps))
	for _, d := range deps {
		if d < 0 || pl.stamp[d] == pl.gen {
			continue
		}
		pl.stamp[d] = pl.gen
		pl.deps = append(pl.deps, int32(d))
	}
	pl.nodes = append(pl.nodes, node{s: s, dep0: start, dep1: int32(len(pl.deps))})
	return id
}

// components groups chassis linked by pairs and clusters that span them:
// each component is sequenced on its own and may run beside the others.
func (pl *estatePlanner) components() {
	in := pl.in
	parent := make([]int, len(in.chs))
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for gi := range in.grps {
		g := &in.grps[gi]
		for _, ci := range g.chassis[min(1, len(g.chassis)):] {
			a, b := find(g.chassis[0]), find(ci)
			if a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	byRoot := map[int]*component{}
	loose := &component{}
	for ci := range in.chs {
		r := find(ci)
		cp := byRoot[r]
		if cp == nil {
			cp = &component{}
			byRoot[r] = cp
			pl.comps = append(pl.comps, cp)
		}
		cp.chassis = append(cp.chassis, ci)
	}
	order := make([]int, len(in.grps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return in.grps[order[a]].first < in.grps[order[b]].first })
	for _, gi := range order {
		g := &in.grps[gi]
		if len(g.chassis) == 0 {
			loose.groups = append(loose.groups, gi)
			continue
		}
		cp := byRoot[find(g.chassis[0])]
		cp.groups = append(cp.groups, gi)
	}
	if len(loose.groups) > 0 {
		pl.comps = append([]*component{loose}, pl.comps...)
	}
}

// sequence emits every step in dependency order: each step is created after
// everything it waits for, so creation order is a topological order.
func (pl *estatePlanner) sequence() error {
	in := pl.in
	k := len(pl.mcVers) - 1
	early := k == 0
	for gi := range in.grps {
		if g := &in.grps[gi]; len(g.hops) > 0 && g.hops[0].epoch == 0 {
			early = true
		}
	}
	if early {
		pl.barrier = pl.add(Step{Action: ActionBackup, Target: in.mcName, Rules: pl.rs.backupBefore,
			Note: "management center and device backups before any device upgrade"})
	}
	for e := 0; e <= k; e++ {
		if e > 0 {
			pl.barrier = pl.mcHop(e)
		}
		pl.epoch = e
		for _, cp := range pl.comps {
			if err := pl.runComponent(cp); err != nil {
				return err
			}
		}
	}
	pl.epoch = k + 1
	for _, cp := range pl.comps {
		if err := pl.finalRound(cp); err != nil {
			return err
		}
	}
	deps := []int{pl.barrier}
	for gi := range in.grps {
		if t := in.grps[gi].tail; t > pl.barrier {
			deps = append(deps, t)
		}
	}
	for ci := range in.chs {
		if t := in.chs[ci].tail; t > pl.barrier {
			deps = append(deps, t)
		}
	}
	pl.add(Step{Action: ActionBackup, Target: in.mcName, Rules: pl.rs.backupAfter,
		Note: "management center and device backups after the upgrade"}, deps...)
	return nil
}

// ruleSet holds the reasons steps of one plan share. Each plan gets its
// own copy, so that a caller editing a plan's rules cannot change another
// plan's.
type ruleSet struct {
	backupBefore, backupAfter        []string
	mcReadiness, mcVerify, readiness []string
	deployBefore, deployAfter        []string
	verifyChas, verifyAlone          []string
	verifySwitch, verifyMove         []string
}

func newRuleSet() *ruleSet {
	return &ruleSet{
		backupBefore: []string{"READY-4: back up before upgrading: an upgrade deletes local backups"},
		backupAfter:  []string{"READY-4: back up again after the devices are upgraded"},
		mcReadiness:  []string{"READY-5: the management center readiness check is mandatory", "READY-1: health: database, disk status and usage, HA state, time synchronization", "READY-3: no running tasks; postpone scheduled tasks"},
		mcVerify:     []string{"ORDER-1: the management center is upgraded and healthy before any device goes further"},
		readiness:    []string{"READY-5: device readiness check before the upgrade (skip only on explicit request)", "READY-1: health: disk space, HA/cluster state, time synchronization", "READY-3: no running tasks; postpone scheduled tasks"},
		deployBefore: []string{"READY-2: configuration deployed before the upgrade; no pending changes"},
		deployAfter:  []string{"READY-2: configuration deployed again after the upgrade"},
		verifyChas:   []string{"HA-1: instances back up; pairs and clusters healthy and in sync (not split-brain) before the next chassis"},
		verifyAlone:  []string{"HA-2: chassis and its instances back up before their threat defense upgrade"},
		verifySwitch: []string{"HA-1: pair healthy and in sync after the role change, before the next chassis"},
		verifyMove:   []string{"HA-1: cluster healthy after the control unit moved, before the next chassis"},
	}
}

// mcHop emits management center hop e (ORDER-1) after every device has
// done what it must first (ORDER-3), and returns its verify step: the
// barrier every later step follows, instead of N×M edges.
func (pl *estatePlanner) mcHop(e int) int {
	in := pl.in
	hop := &pl.mcPath.Hops[e-1]
	from, to := pl.mcVers[e-1], pl.mcVers[e]
	deps := []int{pl.barrier}
	moved := false
	for gi := range in.grps {
		g := &in.grps[gi]
		if g.tail > pl.barrier {
			deps = append(deps, g.tail)
			moved = true
		}
	}
	for ci := range in.chs {
		if t := in.chs[ci].tail; t > pl.barrier {
			deps = append(deps, t)
		}
	}
	b := pl.add(Step{Action: ActionBackup, Target: in.mcName, Rules: pl.rs.backupBefore, Note: "before the management center goes to " + to.String()}, deps...)
	cp := pl.copyMC(hop)
	r := pl.add(Step{Action: ActionReadinessCheck, Target: in.mcName, To: to.String(), Rules: pl.rs.mcReadiness}, b, cp)
	rules := []string{fmt.Sprintf("ORDER-1: the management center goes first: %s before any device goes past %s", to, capOf(from))}
	if moved {
		if o := pl.r.oldestManaged(to); o.Major > 0 {
			rules = append(rules, fmt.Sprintf("ORDER-3: devices went first: every device runs %s or later, which management center %s manages", o, to.Train()))
		}
	}
	rules = append(rules, pathRules(hop)...)
	var u int
	if peer := in.e.ManagementCenter.HAPeer; peer != "" {
		rp := pl.add(Step{Action: ActionReadinessCheck, Target: peer, To: to.String(), Rules: pl.rs.mcReadiness}, b, cp)
		u = pl.add(Step{Action: ActionUpgradeManagementCenter, Target: peer, From: from.String(), To: to.String(), Rules: rules,
			Note: "high availability: synchronization paused, the standby peer first"}, r, rp)
		u = pl.add(Step{Action: ActionUpgradeManagementCenter, Target: in.mcName, From: from.String(), To: to.String(), Rules: rules,
			Note: "then the active peer; resume synchronization"}, u)
	} else {
		u = pl.add(Step{Action: ActionUpgradeManagementCenter, Target: in.mcName, From: from.String(), To: to.String(), Rules: rules}, r)
	}
	return pl.add(Step{Action: ActionVerify, Target: in.mcName, To: to.String(), Rules: pl.rs.mcVerify, Note: "management center on " + to.String() + " and healthy"}, u)
}

// pathRules keeps the path engine's reasons for a hop that a reviewer of
// the estate plan needs: the supported-upgrade and package facts.
func pathRules(h *Hop) []string {
	var out []string
	for _, r := range h.Rules {
		if strings.HasPrefix(r, "PATH-") || strings.HasPrefix(r, "PKG-1") {
			out = append(out, r)
		}
	}
	return out
}

type copyKey struct{ product, version string }

// copyPackage returns the copy_package step for one package, created by mk
// on first use. It waits for nothing, so it lands in the first
// wave: packages are staged ahead of the maintenance window (PKG-3).
func (pl *estatePlanner) copyPackage(k copyKey, unit string, mk func() Step) int {
	id, ok := pl.copies[k]
	if !ok {
		id = pl.add(mk())
		pl.copies[k] = id
	}
	if unit != "" {
		s := &pl.nodes[id].s
		if n := len(s.Units); n == 0 || s.Units[n-1] != unit {
			s.Units = append(s.Units, unit)
		}
	}
	return id
}

func (pl *estatePlanner) copyMC(h *Hop) int {
	k := copyKey{"management_center", h.Version}
	mk := func() Step {
		name := h.PackageFilename
		if name == "" {
			name = "Firewall Management Center " + h.Version + " package (build unknown)"
		}
		return Step{Action: ActionCopyPackage, Target: name, To: h.Version,
			Rules: []string{"PKG-3: upload to the management center ahead of the maintenance window", "PKG-1: " + name}}
	}
	id := pl.copyPackage(k, pl.in.mcName, mk)
	if peer := pl.in.e.ManagementCenter.HAPeer; peer != "" {
		pl.copyPackage(k, peer, mk)
	}
	return id
}

const rulesCopyTD = "PKG-2: devices fetch it from an internal server, then the internet, then the management center (internet and fallback need management center 7.6.1 or later)"

func (pl *estatePlanner) copyTD(fam *catalog.Family, h *Hop, unit string) int {
	k := copyKey{fam.ID, h.Version}
	if _, ok := pl.copies[k]; ok {
		return pl.copyPackage(k, unit, nil)
	}
	return pl.copyPackage(k, unit, func() Step {
		name := h.PackageFilename
		if name == "" {
			name = fam.Name + " " + h.Version + " package (build unknown)"
		}
		return Step{Action: ActionCopyPackage, Target: name, To: h.Version,
			Rules: []string{"PKG-3: staged on the devices ahead of the maintenance window", "PKG-1: " + name, rulesCopyTD}}
	})
}

func (pl *estatePlanner) copyFXOS(h *Hop, unit string) int {
	return pl.copyPackage(copyKey{"fxos", h.Version}, unit, func() Step {
		name := h.FXOSPackageFilename
		if name == "" {
			name = "FXOS " + h.Version + " package (build unknown)"
		}
		return Step{Action: ActionCopyPackage, Target: name, To: h.Version,
			Rules: []string{"PKG-3: staged on the chassis ahead of the maintenance window", "PKG-1: " + name}}
	})
}

// runComponent emits one component's work for the current epoch: every
// device hop whose chassis are ready, then the chassis round the blocked
// hops need, until no hop of the epoch is left.
func (pl *estatePlanner) runComponent(cp *component) error {
	in := pl.in
	for _, gi := range cp.groups {
		g := &in.grps[gi]
		g.queued = max(g.queued, g.next)
		for g.queued < len(g.hops) && g.hops[g.queued].epoch <= pl.epoch {
			g.queued++
		}
	}
	for guard := 0; ; guard++ {
		pending := false
		for _, gi := range cp.groups {
			g := &in.grps[gi]
			for g.next < g.queued && pl.chassisReady(g, g.hops[g.next].v) {
				pl.emitHop(gi)
			}
			pending = pending || g.next < g.queued
		}
		if !pending {
			return nil
		}
		targets, pulled := pl.chassisTargets(cp)
		if pulled {
			continue
		}
		if len(targets) == 0 || guard > 10000 {
			return fmt.Errorf("internal planner error: no chassis round unblocks %s", pl.blocked(cp))
		}
		if err := pl.chassisRound(targets); err != nil {
			return err
		}
	}
}

func (pl *estatePlanner) blocked(cp *component) string {
	var names []string
	for _, gi := range cp.groups {
		if g := &pl.in.grps[gi]; g.next < g.queued {
			names = append(names, g.name)
		}
	}
	return strings.Join(names, ", ")
}

// need is what a chassis must run before an instance goes to a version
// (ORDER-4): the FXOS companion of its train on a 4100/9300, the version
// itself on a multi-instance 3100/4200.
type need struct {
	kind   int
	train  version.FXOS // FXOS companion train
	min    version.FXOS
	hasMin bool
	tv     version.Version // multi-instance: the maintenance release
	none   bool
	co     string
}

func (pl *estatePlanner) needOf(kind int, v version.Version) need {
	if kind == chassisMI {
		return need{kind: kind, tv: capOf(v)}
	}
	key := [2]int{v.Major, v.Minor}
	if n, ok := pl.needs[key]; ok {
		return n
	}
	n := need{kind: kind, none: true}
	if co, ok := pl.c.Companion(v.Train()); ok {
		n = need{kind: kind, train: co.FXOSVersion(), co: co.FXOS}
		n.train.HasMaintenance, n.train.Maintenance, n.train.Build = false, 0, 0
		n.min, n.hasMin = co.MinimumVersion()
	}
	pl.needs[key] = n
	return n
}

// level is a chassis version of either kind.
type level struct {
	fx version.FXOS
	tv version.Version
}

func (x *chas) level() level { return level{x.fx, x.tv} }

func (n need) satisfiedBy(kind int, l level) bool {
	switch {
	case n.none:
		return true
	case kind == chassisMI:
		return version.Compare(capOf(l.tv), n.tv) >= 0
	}
	return version.CompareFXOS(l.fx, n.train) >= 0 && (!n.hasMin || version.CompareFXOS(l.fx, n.min) >= 0)
}

// below reports whether n asks for less than the chassis level l, so that a
// chassis on l would run ahead of the unit that needs only n (ORDER-5).
func (n need) below(kind int, l level) bool {
	switch {
	case n.none:
		return false
	case kind == chassisMI:
		return version.Compare(n.tv, capOf(l.tv)) < 0
	}
	return version.CompareFXOS(n.train, fxTrain(l.fx)) < 0
}

func fxTrain(v version.FXOS) version.FXOS {
	return version.FXOS{Major: v.Major, Minor: v.Minor}
}

func levelLess(kind int, a, b level) bool {
	if kind == chassisMI {
		return version.Compare(a.tv, b.tv) < 0
	}
	return version.CompareFXOS(a.fx, b.fx) < 0
}

// reached reports whether a chassis on l is at least at t.
func reached(kind int, l, t level) bool { return !levelLess(kind, l, t) }

func (l level) String(kind int) string {
	if kind == chassisMI {
		return l.tv.String()
	}
	return l.fx.String()
}

func (pl *estatePlanner) chassisReady(g *grp, v version.Version) bool {
	for _, ci := range g.chassis {
		x := &pl.in.chs[ci]
		if !pl.needOf(x.kind, v).satisfiedBy(x.kind, x.level()) {
			return false
		}
	}
	return true
}

// recommended is recommendedBuild, memoised: rounds ask it per chassis.
func (pl *estatePlanner) recommended(v version.FXOS) version.FXOS {
	if r, ok := pl.recBuild[v]; ok {
		return r
	}
	if pl.recBuild == nil {
		pl.recBuild = map[version.FXOS]version.FXOS{}
	}
	r := recommendedBuild(pl.c, v)
	pl.recBuild[v] = r
	return r
}

// chTarget is where a chassis goes in a round, and why.
type chTarget struct {
	ci    int
	to    level
	forV  version.Version // the device hop that needs it
	final bool            // the final round: the user's target or a catch-up
	user  bool
}

// targetFor is the chassis version that meets n: the user's FXOS target
// when it is of that train, else the latest known build of the companion
// (the guide recommends the latest build); on a multi-instance chassis the
// hop's own version (one package for chassis and instances).
func (pl *estatePlanner) targetFor(x *chas, n need, v version.Version) level {
	if x.kind == chassisMI {
		return level{tv: v}
	}
	if pl.in.hasChT && pl.in.chT.Train() == n.train.Train() {
		t := pl.recommended(pl.in.chT)
		if n.satisfiedBy(chassisFXOS, level{fx: t}) {
			return level{fx: t}
		}
	}
	t := pl.recommended(n.train)
	if n.hasMin && version.CompareFXOS(t, n.min) < 0 {
		t = n.min
	}
	return level{fx: t}
}

// chassisTargets picks the chassis a component raises next: each chassis a
// blocked hop waits for, to the lowest level any of them needs. A chassis
// is held back while another unit on it still has a hop needing less
// (ORDER-5: devices first); later hops of such units are brought forward
// when the management center already allows them (pulled is then true and
// nothing is raised yet).
func (pl *estatePlanner) chassisTargets(cp *component) ([]chTarget, bool) {
	in := pl.in
	want := map[int]chTarget{}
	for _, gi := range cp.groups {
		g := &in.grps[gi]
		if g.next >= g.queued {
			continue
		}
		v := g.hops[g.next].v
		for _, ci := range g.chassis {
			x := &in.chs[ci]
			n := pl.needOf(x.kind, v)
			if n.satisfiedBy(x.kind, x.level()) {
				continue
			}
			t := chTarget{ci: ci, to: pl.targetFor(x, n, v), forV: v}
			if cur, ok := want[ci]; !ok || levelLess(x.kind, t.to, cur.to) {
				want[ci] = t
			}
		}
	}
	var out []chTarget
	pulled := false
	for _, ci := range cp.chassis {
		t, ok := want[ci]
		if !ok {
			continue
		}
		x := &in.chs[ci]
		hold := false
		for _, gi := range x.groups {
			g := &in.grps[gi]
			if g.next >= len(g.hops) {
				continue
			}
			if g.next < g.queued {
				hold = hold || pl.needOf(x.kind, g.hops[g.next].v).below(x.kind, t.to)
				continue
			}
			for g.queued < len(g.hops) && pl.needOf(x.kind, g.hops[g.queued].v).below(x.kind, t.to) && within(g.hops[g.queued].v, pl.mcVers[min(pl.epoch, len(pl.mcVers)-1)]) {
				g.queued++
				pulled = true
			}
		}
		if !hold {
			out = append(out, t)
		}
	}
	return out, pulled
}

// finalRound brings chassis to the user's chassis target, or up to the
// companion their instances' final version needs, after every device hop
// (ORDER-5: a chassis target beyond what the devices need goes on last).
func (pl *estatePlanner) finalRound(cp *component) error {
	in := pl.in
	var out []chTarget
	for _, ci := range cp.chassis {
		x := &in.chs[ci]
		var t *chTarget
		for _, gi := range x.groups {
			g := &in.grps[gi]
			n := pl.needOf(x.kind, g.final)
			if n.satisfiedBy(x.kind, x.level()) {
				continue
			}
			to := pl.targetFor(x, n, g.final)
			if t == nil || levelLess(x.kind, t.to, to) {
				t = &chTarget{ci: ci, to: to, forV: g.final, final: true}
			}
		}
		if x.kind == chassisFXOS && in.hasChT {
			to := level{fx: pl.recommended(in.chT)}
			if levelLess(x.kind, x.level(), to) && (t == nil || levelLess(x.kind, t.to, to)) {
				t = &chTarget{ci: ci, to: to, final: true, user: true}
			}
		}
		if t != nil {
			out = append(out, *t)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return pl.chassisRound(out)
}

// checkChassis refuses a chassis target below what the devices need and
// warns about chassis that start ahead of their devices (ORDER-5).
func (pl *estatePlanner) checkChassis() error {
	in := pl.in
	fxosChassis := false
	for ci := range in.chs {
		x := &in.chs[ci]
		if x.kind != chassisFXOS {
			continue
		}
		fxosChassis = true
		if in.hasChT {
			ut := level{fx: recommendedBuild(pl.c, in.chT)}
			for _, gi := range x.groups {
				g := &in.grps[gi]
				vs := []version.Version{g.final}
				for _, h := range g.hops {
					vs = append(vs, h.v)
				}
				for _, v := range vs {
					if n := pl.needOf(x.kind, v); !n.satisfiedBy(x.kind, ut) {
						return refuse(FieldChassisTarget, "ORDER-4", fmt.Sprintf("set chassis_target_version to %s or later, or leave it out", n.co),
							"threat defense %s on chassis %s needs FXOS %s, but the chassis target is %s", v, x.name, n.co, in.chT)
					}
				}
			}
			if levelLess(x.kind, x.level(), ut) {
				if _, err := pl.r.path(catalog.ProductChassis, x.fam.ID, x.fx.String(), in.chT.String()); err != nil {
					return retarget(err, "chassis "+x.name, x.field+".version", FieldChassisTarget, x.field+".platform")
				}
			}
		}
		var ahead []string
		for _, gi := range x.groups {
			g := &in.grps[gi]
			v := g.v
			if len(g.hops) > 0 {
				v = g.hops[0].v
			}
			if n := pl.needOf(x.kind, v); n.below(x.kind, x.level()) {
				ahead = append(ahead, fmt.Sprintf("%s (%s, next needs FXOS %s)", g.name, g.v, n.co))
			}
		}
		if len(ahead) > 0 {
			pl.warn(fmt.Sprintf("ORDER-5: chassis %s runs FXOS %s, ahead of what its devices need: %s; further chassis upgrades wait until its devices catch up, and check the FXOS compatibility guide that %s runs their current version", x.name, x.fx, strings.Join(ahead, "; "), x.fx))
		}
	}
	for ci := range in.chs {
		x := &in.chs[ci]
		if x.kind != chassisMI {
			continue
		}
		for _, gi := range x.groups {
			g := &in.grps[gi]
			v := g.v
			if len(g.hops) > 0 {
				v = g.hops[0].v
			}
			if pl.needOf(x.kind, v).below(x.kind, x.level()) {
				pl.warn(fmt.Sprintf("ORDER-5: chassis %s runs %s, ahead of %s on %s; further chassis upgrades wait until its instances catch up", x.name, x.tv, g.name, g.v))
			}
		}
	}
	for gi := range in.grps {
		if g := &in.grps[gi]; g.kind == kindCluster && g.fam.ID == "threat_defense_virtual" && len(g.hops) > 0 {
			pl.warn(fmt.Sprintf("READY-7: cluster %s is virtual: in a public cloud, put the target image id in its deployment template first; on AWS suspend HealthCheck and ReplaceUnhealthy for an autoscaled cluster", g.name))
		}
	}
	if in.hasChT && !fxosChassis {
		pl.warn("ORDER-4: chassis_target_version applies to Firepower 4100/9300 chassis; the estate declares none")
	}
	var bare, bareMI []string
	for di := range in.devs {
		d := &in.devs[di]
		if d.chassis >= 0 || len(in.grps[d.group].hops) == 0 {
			continue
		}
		switch {
		case d.fam.Chassis == catalog.ChassisFXOS:
			bare = append(bare, d.name)
		case d.mi:
			bareMI = append(bareMI, d.name)
		}
	}
	if len(bare) > 0 {
		pl.warn("ORDER-4: no chassis is declared for " + strings.Join(bare, ", ") + "; upgrade each one's chassis to the FXOS companion of every threat defense hop before that hop")
	}
	if len(bareMI) > 0 {
		pl.warn("ORDER-4: no chassis is declared for multi-instance " + strings.Join(bareMI, ", ") + "; its chassis may need the same upgrade first, from the management center")
	}
	return nil
}
