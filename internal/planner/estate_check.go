package planner

import (
	"fmt"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Violation is a rule a plan breaks.
type Violation struct {
	// Rule is the rule id, or "PLAN" when the plan contradicts itself
	// (order, waves, a From that is not the unit's version at that point).
	Rule string
	// Step is the Order of the offending step; 0 for the plan as a whole.
	Step    int
	Problem string
}

func (v Violation) String() string {
	if v.Step > 0 {
		return fmt.Sprintf("%s: step %d: %s", v.Rule, v.Step, v.Problem)
	}
	return v.Rule + ": " + v.Problem
}

// CheckPlan replays a plan against the estate it was made for and reports
// every rule it breaks: a device past its management center (ORDER-2), a
// management center upgrade that strands a device (ORDER-3), a threat
// defense hop before its chassis companion (ORDER-4), a chassis raised past
// what a unit's next hop needs (ORDER-5), two chassis of a pair or cluster
// in one wave or without a health gate between them (HA-1), an active or
// control unit's chassis before the standby's without a failover the plan
// declares (HA-3, HA-4, HA-6), missing deploys, readiness checks and backups
// (READY-2, READY-4, READY-5), more upgrades in a wave than MaxParallel, a
// unit that ends short of its target without a warning saying why, and
// steps whose order, waves or dependencies disagree.
//
// Steps of one wave are taken in Order; running them together is safe
// because the checks forbid the combinations where it would not be.
func CheckPlan(c *catalog.Catalog, e Estate, t Targets, plan *EstatePlan) []Violation {
	in, err := validate(c, e, t)
	if err != nil {
		return []Violation{{Rule: "PLAN", Problem: "the estate does not validate: " + err.Error()}}
	}
	if plan == nil {
		return []Violation{{Rule: "PLAN", Problem: "no plan"}}
	}
	ck := newChecker(c, in, plan)
	ck.structure()
	ck.replay()
	ck.final()
	return ck.out
}

type checker struct {
	c    *catalog.Catalog
	in   *estateInput
	plan *EstatePlan
	out  []Violation
	ps   *estatePlanner // for needs and version parsing

	mc       map[string]version.Version
	devV     []version.Version
	chL      []level
	active   []int
	control  []int
	deployed []bool // READY-2: a deploy since the group's last upgrade
	upgraded []bool
	ready    map[string]map[string]bool // target -> readiness To seen
	backup   int                        // wave of the last management center backup
	mcUpWave int
	mcUpTo   string
	lastTD   int

	// HA-1 gates: the chassis a group last upgraded on, and whether a
	// verify followed in a later wave.
	lastCh     []int
	lastChWave []int
	gated      []bool

	byName map[string]ref
	next   [][]version.Version // per device: To of its remaining upgrades
	nextAt []int
}

type ref struct {
	kind int // refMC, refDevice, refGroup, refChassis
	idx  int
}

const (
	refMC = iota + 1
	refGroup
	refChassis
)

func newChecker(c *catalog.Catalog, in *estateInput, plan *EstatePlan) *checker {
	ck := &checker{c: c, in: in, plan: plan,
		ps:     &estatePlanner{c: c, in: in, needs: map[[2]int]need{}, versions: map[string]version.Version{}},
		mc:     map[string]version.Version{in.mcName: in.mcV},
		ready:  map[string]map[string]bool{},
		byName: map[string]ref{in.mcName: {refMC, 0}},
		backup: -1, mcUpWave: -1, lastTD: -1,
	}
	if p := in.e.ManagementCenter.HAPeer; p != "" {
		ck.mc[p] = in.mcV
		ck.byName[p] = ref{refMC, 1}
	}
	for di := range in.devs {
		ck.devV = append(ck.devV, in.devs[di].v)
	}
	for ci := range in.chs {
		ck.chL = append(ck.chL, in.chs[ci].level())
		ck.byName[in.chs[ci].name] = ref{refChassis, ci}
	}
	n := len(in.grps)
	ck.active, ck.control = make([]int, n), make([]int, n)
	ck.deployed, ck.upgraded, ck.gated = make([]bool, n), make([]bool, n), make([]bool, n)
	ck.lastCh, ck.lastChWave = make([]int, n), make([]int, n)
	for gi := range in.grps {
		g := &in.grps[gi]
		ck.active[gi], ck.control[gi], ck.lastCh[gi] = g.active, g.control, -1
		ck.byName[g.name] = ref{refGroup, gi}
	}
	ck.next = make([][]version.Version, len(in.devs))
	ck.nextAt = make([]int, len(in.devs))
	for _, s := range plan.Steps {
		if s.Action != ActionUpgradeThreatDefense {
			continue
		}
		r, ok := ck.byName[s.Target]
		v, err := version.Parse(s.To)
		if !ok || r.kind != refGroup || err != nil {
			continue
		}
		for _, m := range in.grps[r.idx].members {
			ck.next[m] = append(ck.next[m], v)
		}
	}
	return ck
}

func (ck *checker) fail(rule string, step int, format string, args ...any) {
	ck.out = append(ck.out, Violation{Rule: rule, Step: step, Problem: fmt.Sprintf(format, args...)})
}

// structure checks Order, waves, dependencies and the per-wave limits.
func (ck *checker) structure() {
	p := ck.plan
	maxWave := 0
	waveOf := make([]int, len(p.Steps)+1)
	for i, s := range p.Steps {
		if s.Order != i+1 {
			ck.fail("PLAN", s.Order, "step %d has Order %d", i+1, s.Order)
		}
		if s.Wave < 1 || s.Wave < maxWave {
			ck.fail("PLAN", s.Order, "wave %d comes after wave %d: order and waves disagree", s.Wave, maxWave)
		}
		maxWave = max(maxWave, s.Wave)
		waveOf[i+1] = s.Wave
		for _, a := range s.After {
			if a < 1 || a >= s.Order || waveOf[a] >= s.Wave {
				ck.fail("PLAN", s.Order, "waits for step %d, which does not run in an earlier wave", a)
			}
		}
	}
	if p.Waves != maxWave {
		ck.fail("PLAN", 0, "Waves is %d but the last step is in wave %d", p.Waves, maxWave)
	}
	if p.CriticalPath > p.Waves {
		ck.fail("PLAN", 0, "the critical path (%d) is longer than the plan (%d waves)", p.CriticalPath, p.Waves)
	}
	for i := 0; i < len(p.Steps); {
		j := i
		for j < len(p.Steps) && p.Steps[j].Wave == p.Steps[i].Wave {
			j++
		}
		ck.wave(p.Steps[i:j])
		i = j
	}
}

// wave checks what may not run together.
func (ck *checker) wave(steps []Step) {
	in := ck.in
	upgrades, mcUp := 0, 0
	chassisOfGroup := map[int]string{}
	chassisUp := map[int]bool{}
	for _, s := range steps {
		if capped(s.Action) {
			upgrades++
		}
		switch s.Action {
		case ActionUpgradeManagementCenter:
			mcUp = s.Order
		case ActionUpgradeChassis:
			r, ok := ck.byName[s.Target]
			if !ok || r.kind != refChassis {
				continue
			}
			chassisUp[r.idx] = true
			for _, gi := range in.chs[r.idx].groups {
				g := &in.grps[gi]
				if !g.multiChassis() || g.mode == MultiInstanceParallel && in.t.AcknowledgeParallelHA {
					continue
				}
				if prev, ok := chassisOfGroup[gi]; ok && prev != s.Target {
					ck.fail("HA-1", s.Order, "chassis %s and %s of %s upgrade in the same wave: one chassis at a time", prev, s.Target, g.name)
				}
				chassisOfGroup[gi] = s.Target
			}
		}
	}
	if limit := ck.in.t.MaxParallel; limit > 0 && upgrades > limit {
		ck.fail("PLAN", steps[0].Order, "wave %d runs %d chassis and threat defense upgrades, more than max_parallel %d", steps[0].Wave, upgrades, limit)
	}
	if mcUp > 0 && upgrades > 0 {
		ck.fail("ORDER-1", mcUp, "the management center upgrades in the same wave as chassis or devices")
	}
	for _, s := range steps {
		if s.Action != ActionUpgradeThreatDefense {
			continue
		}
		r, ok := ck.byName[s.Target]
		if !ok || r.kind != refGroup {
			continue
		}
		for _, ci := range in.grps[r.idx].chassis {
			if chassisUp[ci] {
				ck.fail("ORDER-4", s.Order, "%s upgrades in the same wave as its chassis %s", s.Target, in.chs[ci].name)
			}
		}
	}
}

func hasRule(s Step, text string) bool {
	for _, r := range s.Rules {
		if strings.Contains(r, text) {
			return true
		}
	}
	return false
}

func (ck *checker) mcCap() version.Version {
	var low version.Version
	first := true
	for _, v := range ck.mc {
		if first || version.Compare(v, low) < 0 {
			low, first = v, false
		}
	}
	return low
}

func (ck *checker) replay() {
	for _, s := range ck.plan.Steps {
		switch s.Action {
		case ActionUpgradeManagementCenter:
			ck.upgradeMC(s)
		case ActionUpgradeChassis:
			ck.upgradeChassis(s)
		case ActionUpgradeThreatDefense:
			ck.upgradeTD(s)
		case ActionSwitchHARoles:
			ck.switchRoles(s)
		case ActionMoveClusterControl:
			ck.moveControl(s)
		case ActionDeployConfiguration:
			if r, ok := ck.byName[s.Target]; ok && r.kind == refGroup {
				ck.deployed[r.idx] = true
			}
		case ActionReadinessCheck:
			if ck.ready[s.Target] == nil {
				ck.ready[s.Target] = map[string]bool{}
			}
			ck.ready[s.Target][s.To] = true
		case ActionBackup:
			if r, ok := ck.byName[s.Target]; ok && r.kind == refMC {
				ck.backup = s.Wave
			}
		case ActionVerify:
			ck.verify(s)
		case ActionCopyPackage:
		default:
			ck.fail("PLAN", s.Order, "unknown action %q", s.Action)
		}
	}
}

func (ck *checker) upgradeMC(s Step) {
	r, ok := ck.byName[s.Target]
	if !ok || r.kind != refMC {
		ck.fail("PLAN", s.Order, "%s is not the management center", s.Target)
		return
	}
	from, err1 := version.Parse(s.From)
	to, err2 := version.Parse(s.To)
	if err1 != nil || err2 != nil {
		ck.fail("PLAN", s.Order, "unreadable versions %q -> %q", s.From, s.To)
		return
	}
	if cur := ck.mc[s.Target]; version.Compare(cur, from) != 0 {
		ck.fail("PLAN", s.Order, "%s runs %s at this point, not %s", s.Target, cur, from)
	}
	ck.hop("PATH-1", s.Order, from, to)
	if o, ok := ck.c.OldestManaged(to.Train()); ok {
		for di := range ck.in.devs {
			d := &ck.in.devs[di]
			if version.Compare(ck.devV[di], o.Oldest()) < 0 && ck.plan.Shortfalls[d.name] == "" {
				ck.fail("ORDER-3", s.Order, "management center %s does not manage %s on %s (oldest %s): upgrade the device first", to, d.name, ck.devV[di], o.Oldest())
			}
		}
	}
	if !ck.ready[s.Target][s.To] {
		ck.fail("READY-5", s.Order, "no readiness check of %s for %s before its upgrade", s.Target, s.To)
	}
	// The peers of a management center pair share the backup of their hop.
	if s.To != ck.mcUpTo && (ck.backup < 0 || ck.backup <= ck.mcUpWave || ck.backup >= s.Wave) {
		ck.fail("READY-4", s.Order, "no management center backup before this upgrade")
	}
	ck.mc[s.Target] = to
	ck.mcUpWave, ck.mcUpTo = s.Wave, s.To
}

// hop checks that from -> to is one supported upgrade (PATH-1, PATH-3).
func (ck *checker) hop(rule string, order int, from, to version.Version) {
	switch {
	case version.Compare(to, from) <= 0:
		ck.fail("PATH-5", order, "%s -> %s is not an upgrade", from, to)
	case to.IsPatch():
		if !version.SameMaintenance(from, to) {
			ck.fail("PATH-3", order, "patch %s installs on %s only, not on %s", to, to.MaintenanceRelease(), from)
		}
	default:
		if _, ok := ck.c.DirectBetween(from, to); !ok {
			ck.fail(rule, order, "%s -> %s is not a supported direct upgrade", from, to)
		}
	}
}

func (ck *checker) chassisLevel(ci int, s string) (level, bool) {
	if ck.in.chs[ci].kind == chassisFXOS {
		v, err := version.ParseFXOS(s)
		return level{fx: v}, err == nil
	}
	v, err := version.Parse(s)
	return level{tv: v}, err == nil
}

func (ck *checker) upgradeChassis(s Step) {
	in := ck.in
	r, ok := ck.byName[s.Target]
	if !ok || r.kind != refChassis {
		ck.fail("PLAN", s.Order, "%s is not a chassis", s.Target)
		return
	}
	ci := r.idx
	x := &in.chs[ci]
	from, ok1 := ck.chassisLevel(ci, s.From)
	to, ok2 := ck.chassisLevel(ci, s.To)
	if !ok1 || !ok2 {
		ck.fail("PLAN", s.Order, "unreadable chassis versions %q -> %q", s.From, s.To)
		return
	}
	if levelLess(x.kind, from, ck.chL[ci]) || levelLess(x.kind, ck.chL[ci], from) {
		ck.fail("PLAN", s.Order, "chassis %s runs %s at this point, not %s", x.name, ck.chL[ci].String(x.kind), s.From)
	}
	if !levelLess(x.kind, from, to) {
		ck.fail("PATH-5", s.Order, "chassis %s: %s -> %s is not an upgrade", x.name, s.From, s.To)
	}
	if x.kind == chassisMI && !within(to.tv, ck.mcCap()) {
		ck.fail("ORDER-2", s.Order, "chassis %s goes to %s, past the management center's %s", x.name, to.tv, ck.mcCap())
	}
	for _, gi := range x.groups {
		for _, m := range in.grps[gi].members {
			if in.devs[m].chassis != ci || ck.nextAt[m] >= len(ck.next[m]) {
				continue
			}
			nv := ck.next[m][ck.nextAt[m]]
			if n := ck.ps.needOf(x.kind, nv); n.below(x.kind, to) {
				ck.fail("ORDER-5", s.Order, "chassis %s goes to %s while %s's next hop to %s needs less: devices first", x.name, s.To, in.devs[m].name, nv)
			}
		}
	}
	for _, gi := range x.groups {
		g := &in.grps[gi]
		if !g.multiChassis() {
			continue
		}
		parallel := g.kind == kindPair && g.mode == MultiInstanceParallel && in.t.AcknowledgeParallelHA
		serial := g.kind == kindPair && g.mode == MultiInstanceSerial
		if !parallel && !serial && ck.lastCh[gi] >= 0 && ck.lastCh[gi] != ci && !ck.gated[gi] {
			ck.fail("HA-1", s.Order, "no health check of %s after chassis %s before chassis %s", g.name, in.chs[ck.lastCh[gi]].name, x.name)
		}
		ck.lastCh[gi], ck.lastChWave[gi], ck.gated[gi] = ci, s.Wave, false
		switch {
		case parallel:
		case g.kind == kindPair:
			a := ck.active[gi]
			if in.devs[a].chassis != ci {
				continue
			}
			o := g.other(a)
			oc := in.devs[o].chassis
			done := oc >= 0 && reached(in.chs[oc].kind, ck.chL[oc], to)
			declared := hasRule(s, fmt.Sprintf("active unit %s of %s fails over", in.devs[a].name, g.name))
			switch {
			case done && serial, declared:
			case done:
				ck.fail("HA-3", s.Order, "chassis %s hosts the active unit %s of %s: switch roles first", x.name, in.devs[a].name, g.name)
			default:
				ck.fail("HA-3", s.Order, "chassis %s hosts the active unit %s of %s and goes before the standby's chassis", x.name, in.devs[a].name, g.name)
			}
			ck.active[gi] = o
		case g.kind == kindCluster:
			ctl := ck.control[gi]
			if in.devs[ctl].chassis != ci {
				continue
			}
			if !hasRule(s, fmt.Sprintf("control unit %s of %s fails over", in.devs[ctl].name, g.name)) {
				ck.fail("HA-4", s.Order, "chassis %s hosts the control unit %s of %s: all-data-unit chassis first, then move the control unit", x.name, in.devs[ctl].name, g.name)
			}
			ck.control[gi] = ck.ps.fallbackMember(g, ci)
		}
	}
	ck.chL[ci] = to
}

func (ck *checker) verify(s Step) {
	r, ok := ck.byName[s.Target]
	if !ok {
		return
	}
	switch r.kind {
	case refGroup:
		if ck.lastCh[r.idx] >= 0 && s.Wave > ck.lastChWave[r.idx] {
			ck.gated[r.idx] = true
		}
	case refChassis:
		for _, gi := range ck.in.chs[r.idx].groups {
			if ck.lastCh[gi] == r.idx && s.Wave > ck.lastChWave[gi] {
				ck.gated[gi] = true
			}
		}
	}
}

func (ck *checker) switchRoles(s Step) {
	r, ok := ck.byName[s.Target]
	if !ok || r.kind != refGroup || ck.in.grps[r.idx].kind != kindPair {
		ck.fail("PLAN", s.Order, "%s is not an HA pair", s.Target)
		return
	}
	g := &ck.in.grps[r.idx]
	a := ck.active[r.idx]
	if ck.in.devs[a].name != s.From || ck.in.devs[g.other(a)].name != s.To {
		ck.fail("PLAN", s.Order, "%s is active at this point, not %s", ck.in.devs[a].name, s.From)
	}
	ck.active[r.idx] = g.other(a)
}

func (ck *checker) moveControl(s Step) {
	r, ok := ck.byName[s.Target]
	if !ok || r.kind != refGroup || ck.in.grps[r.idx].kind != kindCluster {
		ck.fail("PLAN", s.Order, "%s is not a cluster", s.Target)
		return
	}
	g := &ck.in.grps[r.idx]
	if ck.in.devs[ck.control[r.idx]].name != s.From {
		ck.fail("PLAN", s.Order, "%s is the control unit at this point, not %s", ck.in.devs[ck.control[r.idx]].name, s.From)
	}
	for _, m := range g.members {
		if ck.in.devs[m].name == s.To {
			ck.control[r.idx] = m
			return
		}
	}
	ck.fail("PLAN", s.Order, "%s is not a unit of %s", s.To, g.name)
}

func (ck *checker) upgradeTD(s Step) {
	in := ck.in
	r, ok := ck.byName[s.Target]
	if !ok || r.kind != refGroup {
		if ok2 := ok && r.kind == refMC; ok2 {
			ck.fail("PLAN", s.Order, "%s is the management center", s.Target)
		} else {
			ck.fail("PLAN", s.Order, "%s is not a device, HA pair or cluster (pair and cluster units upgrade together)", s.Target)
		}
		return
	}
	g := &in.grps[r.idx]
	from, err1 := version.Parse(s.From)
	to, err2 := version.Parse(s.To)
	if err1 != nil || err2 != nil {
		ck.fail("PLAN", s.Order, "unreadable versions %q -> %q", s.From, s.To)
		return
	}
	for _, m := range g.members {
		if version.Compare(ck.devV[m], from) != 0 {
			ck.fail("PLAN", s.Order, "%s runs %s at this point, not %s", in.devs[m].name, ck.devV[m], from)
		}
	}
	ck.hop("PATH-1", s.Order, from, to)
	if to.String() == "7.4.0" {
		ck.fail("PATH-2", s.Order, "threat defense cannot be upgraded to 7.4.0")
	}
	if mc := ck.mcCap(); !within(to, mc) {
		ck.fail("ORDER-2", s.Order, "%s goes to %s, past the management center's %s", s.Target, to, mc)
	}
	for _, ci := range g.chassis {
		x := &in.chs[ci]
		if n := ck.ps.needOf(x.kind, to); !n.satisfiedBy(x.kind, ck.chL[ci]) {
			want := n.co
			if x.kind == chassisMI {
				want = n.tv.String()
			}
			ck.fail("ORDER-4", s.Order, "%s goes to %s before chassis %s runs %s (it runs %s)", s.Target, to, x.name, want, ck.chL[ci].String(x.kind))
		}
	}
	if !ck.deployed[r.idx] {
		ck.fail("READY-2", s.Order, "no configuration deploy to %s before its upgrade", s.Target)
	}
	if !ck.ready[s.Target][s.To] {
		ck.fail("READY-5", s.Order, "no readiness check of %s for %s before its upgrade", s.Target, s.To)
	}
	for _, m := range g.members {
		ck.devV[m] = to
		ck.nextAt[m]++
	}
	ck.deployed[r.idx], ck.upgraded[r.idx] = false, true
	switch g.kind {
	case kindPair:
		ck.active[r.idx] = g.other(ck.active[r.idx])
	case kindCluster:
		ck.control[r.idx] = nextControlOf(g.members, ck.control[r.idx])
	}
	ck.lastTD = s.Wave
	delete(ck.ready[s.Target], s.To)
}

// expected is the version a device should end on, or false when the
// target cannot be computed for it.
func (ck *checker) expected(di int) (version.Version, bool) {
	d := &ck.in.devs[di]
	if ck.in.tdKw == "" {
		if version.Compare(d.v, ck.in.tdV) > 0 {
			return d.v, true
		}
		return ck.in.tdV, true
	}
	p, err := UpgradePath(ck.c, PathRequest{Product: catalog.ProductThreatDefense, Platform: d.fam.ID, From: d.v.String(), To: ck.in.tdKw})
	if err != nil {
		return version.Version{}, false
	}
	return version.MustParse(p.To), true
}

func (ck *checker) explained(name string) bool {
	why := ck.plan.Shortfalls[name]
	if why == "" {
		return false
	}
	if id, _, ok := strings.Cut(why, ":"); !ok || !strings.Contains(id, "-") {
		return false
	}
	for _, w := range ck.plan.Warnings {
		if strings.HasPrefix(w, why) {
			return true
		}
	}
	return false
}

func (ck *checker) final() {
	in := ck.in
	mc := ck.mcCap()
	for di := range in.devs {
		d := &in.devs[di]
		v := ck.devV[di]
		if want, ok := ck.expected(di); ok && version.Compare(v, want) != 0 && !ck.explained(d.name) {
			ck.fail("PLAN", 0, "%s ends on %s, not the target %s, and no warning says why", d.name, v, want)
		}
		if p := ck.plan.UnitPaths[d.name]; len(p) == 0 || p[len(p)-1] != v.String() {
			ck.fail("PLAN", 0, "the path of %s (%v) does not end where its steps leave it (%s)", d.name, p, v)
		}
		if !within(v, mc) && within(d.v, in.mcV) {
			ck.fail("ORDER-1", 0, "%s ends on %s, past the management center's %s", d.name, v, mc)
		}
	}
	for ci := range in.chs {
		x := &in.chs[ci]
		for _, gi := range x.groups {
			for _, m := range in.grps[gi].members {
				if in.devs[m].chassis == ci && !ck.ps.needOf(x.kind, ck.devV[m]).satisfiedBy(x.kind, ck.chL[ci]) {
					ck.fail("ORDER-4", 0, "chassis %s ends on %s, below what %s on %s needs", x.name, ck.chL[ci].String(x.kind), in.devs[m].name, ck.devV[m])
				}
			}
		}
		if x.kind == chassisFXOS && in.hasChT {
			want := recommendedBuild(ck.c, in.chT)
			if version.CompareFXOS(ck.chL[ci].fx, want) < 0 {
				ck.fail("ORDER-5", 0, "chassis %s ends on %s, short of the chassis target %s", x.name, ck.chL[ci].fx, want)
			}
		}
	}
	for gi := range in.grps {
		if ck.upgraded[gi] && !ck.deployed[gi] {
			ck.fail("READY-2", 0, "no configuration deploy to %s after its last upgrade", in.grps[gi].name)
		}
	}
	if ck.lastTD >= 0 && ck.backup <= ck.lastTD {
		ck.fail("READY-4", 0, "no backup after the last device upgrade")
	}
}
