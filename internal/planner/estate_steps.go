package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// chassisRound upgrades a set of chassis, one at a time within every pair
// or cluster that spans them (HA-1). The order is greedy: next the chassis
// whose upgrade forces the fewest active or control units to fail over,
// which puts standby and all-data-unit chassis first (HA-3, HA-4) and
// leaves failovers (HA-6) only where pairs cross in both directions.
func (pl *estatePlanner) chassisRound(ts []chTarget) error {
	left := append([]chTarget(nil), ts...)
	for len(left) > 0 {
		best, bestCost := 0, -1
		for i, t := range left {
			if c := pl.failovers(t.ci, t.to); bestCost < 0 || c < bestCost {
				best, bestCost = i, c
			}
		}
		t := left[best]
		left = append(left[:best], left[best+1:]...)
		if err := pl.upgradeChassis(t); err != nil {
			return err
		}
	}
	return nil
}

func (pl *estatePlanner) failovers(ci int, to level) int {
	in := pl.in
	n := 0
	for _, gi := range in.chs[ci].groups {
		g := &in.grps[gi]
		if !g.multiChassis() {
			continue
		}
		switch g.kind {
		case kindPair:
			if g.mode == MultiInstanceParallel || in.devs[g.active].chassis != ci {
				continue
			}
			if oc := in.devs[g.other(g.active)].chassis; oc >= 0 && !reached(in.chs[oc].kind, in.chs[oc].level(), to) {
				n++
			}
		case kindCluster:
			if in.devs[g.control].chassis == ci && pl.upgradedMember(g, ci, to) < 0 {
				n++
			}
		}
	}
	return n
}

func (g *grp) other(m int) int {
	if g.members[0] == m {
		return g.members[1]
	}
	return g.members[0]
}

// upgradedMember is the first member, in declaration order, on another
// chassis already at to; -1 when there is none.
func (pl *estatePlanner) upgradedMember(g *grp, ci int, to level) int {
	for _, m := range g.members {
		oc := pl.in.devs[m].chassis
		if oc >= 0 && oc != ci && reached(pl.in.chs[oc].kind, pl.in.chs[oc].level(), to) {
			return m
		}
	}
	return -1
}

// fallbackMember is where a role goes when its chassis drops it: the first
// member, in declaration order, on another chassis.
func (pl *estatePlanner) fallbackMember(g *grp, ci int) int {
	for _, m := range g.members {
		if oc := pl.in.devs[m].chassis; oc >= 0 && oc != ci {
			return m
		}
	}
	return g.members[0]
}

func (pl *estatePlanner) upgradeChassis(t chTarget) error {
	in := pl.in
	x := &in.chs[t.ci]
	to := t.to.String(x.kind)
	// The path comes first: a target the chassis already runs (a train
	// named without its build) needs no step at all.
	var p *Path
	var err error
	if x.kind == chassisFXOS {
		p, err = pl.r.path(catalog.ProductChassis, x.fam.ID, fxosFrom(x.fx), to)
		if err != nil {
			return retarget(err, "chassis "+x.name, x.field+".version", FieldChassisTarget, x.field+".platform")
		}
	} else if p, err = pl.miChassisPath(x, t.to.tv); err != nil {
		return err
	}
	if len(p.Hops) == 0 {
		x.fx, x.tv = t.to.fx, t.to.tv
		return nil
	}
	deps := []int{x.tail, pl.barrier}
	for _, gi := range x.groups {
		g := &in.grps[gi]
		deps = append(deps, g.tail)
		if g.multiChassis() && g.mode != MultiInstanceParallel {
			deps = append(deps, g.haTail)
		}
	}
	var rules, notes, ha6 []string
	switch {
	case t.user:
		rules = append(rules, fmt.Sprintf("ORDER-5: the chassis target FXOS %s goes on last, after its devices, so the chassis never runs well ahead of them", to))
		notes = append(notes, "chassis target, after the devices")
	case t.final && x.kind == chassisFXOS:
		rules = append(rules, fmt.Sprintf("ORDER-4: FXOS %s is the companion of threat defense %s, which its instances run", pl.needOf(x.kind, t.forV).co, t.forV.Train()))
	case t.final:
		rules = append(rules, fmt.Sprintf("ORDER-4: the chassis runs at least the version of its instances (%s)", t.forV))
	case x.kind == chassisFXOS:
		rules = append(rules, fmt.Sprintf("ORDER-4: threat defense %s needs FXOS %s on this chassis first; threat defense is blocked until then", t.forV, pl.needOf(x.kind, t.forV).co),
			"ORDER-5: only as far as the next device hop needs, after every hop of its devices that needs less")
	default:
		rules = append(rules, fmt.Sprintf("ORDER-4: its instances go to %s: the chassis upgrade (same package, from the management center) comes first", t.forV),
			"ORDER-5: only as far as the next device hop needs, after every hop of its devices that needs less")
	}
	ha2 := false
	gated, serial := false, false
	var alone []string
	for _, gi := range x.groups {
		g := &in.grps[gi]
		if !g.multiChassis() {
			if !ha2 {
				ha2 = true
				rules = append(rules, "HA-2: standalone and intra-chassis cluster units: chassis, then threat defense")
			}
			if g.kind == kindCluster {
				notes = append(notes, "intra-chassis cluster "+g.name)
			} else {
				alone = append(alone, g.name)
			}
			continue
		}
		switch {
		case g.kind == kindPair && g.mode == MultiInstanceSerial:
			serial = true
		case g.kind == kindPair && g.mode == MultiInstanceParallel:
		default:
			gated = true
		}
		switch g.kind {
		case kindPair:
			a, o := g.active, g.other(g.active)
			oc := in.devs[o].chassis
			if in.devs[a].chassis != t.ci {
				oc = in.devs[a].chassis
			}
			otherDone := reached(in.chs[oc].kind, in.chs[oc].level(), t.to)
			switch {
			case g.mode == MultiInstanceParallel:
				rules = append(rules, fmt.Sprintf("HA-5: parallel chassis upgrade acknowledged: both units of pair %s go down together", g.name))
				notes = append(notes, "pair "+g.name+" in parallel (acknowledged)")
				pl.warn(fmt.Sprintf("HA-5: parallel chassis upgrade of pair %s was acknowledged: both units go down together and traffic stops", g.name))
			case in.devs[a].chassis != t.ci && !otherDone:
				switch g.mode {
				case MultiInstanceTwoWorkflows:
					rules = append(rules, fmt.Sprintf("HA-5: two workflows: first the chassis with the standby of pair %s", g.name))
				case MultiInstanceSerial:
					rules = append(rules, fmt.Sprintf("HA-5: serial upgrade with the standby of pair %s first", g.name))
				default:
					rules = append(rules, fmt.Sprintf("HA-3: the chassis with the standby of pair %s first", g.name))
				}
				notes = append(notes, "standby chassis of pair "+g.name+" first")
			case in.devs[a].chassis != t.ci:
				rules = append(rules, fmt.Sprintf("%s: the chassis with the new standby of pair %s", pl.pairRule(g), g.name))
				notes = append(notes, "new standby chassis of pair "+g.name)
			case otherDone && g.mode == MultiInstanceSerial:
				rules = append(rules, fmt.Sprintf("HA-5: serial: the standby's chassis went first; active unit %s of %s fails over when this chassis goes down", in.devs[a].name, g.name))
				notes = append(notes, "active unit of pair "+g.name+" fails over (serial)")
				pl.warn(fmt.Sprintf("HA-5: serial chassis upgrade of pair %s: the second chassis may start after the first is back but before high availability resyncs", g.name))
				g.active = o
			case otherDone:
				sw := pl.add(Step{Action: ActionSwitchHARoles, Target: g.name, From: in.devs[a].name, To: in.devs[o].name,
					Rules: []string{fmt.Sprintf("%s: switch roles so that the active unit runs on the upgraded chassis", pl.pairRule(g))},
					Note:  "before chassis " + x.name, Units: []string{in.devs[a].name, in.devs[o].name}},
					g.haTail, g.tail, pl.barrier, in.chs[oc].tail)
				vv := pl.add(Step{Action: ActionVerify, Target: g.name, Rules: pl.rs.verifySwitch, Note: in.devs[o].name + " active"}, sw)
				deps = append(deps, vv)
				g.haTail, g.active = vv, o
				rules = append(rules, fmt.Sprintf("%s: the chassis with the new standby of pair %s, after the role switch", pl.pairRule(g), g.name))
				notes = append(notes, "new standby chassis of pair "+g.name)
			default:
				r := fmt.Sprintf("HA-6: active unit %s of %s fails over to %s", in.devs[a].name, g.name, in.devs[o].name)
				rules = append(rules, r)
				ha6 = append(ha6, r[len("HA-6: "):])
				notes = append(notes, "active unit of pair "+g.name+" fails over")
				g.active = o
			}
		case kindCluster:
			ctl := g.control
			done := pl.upgradedMember(g, t.ci, t.to)
			switch {
			case in.devs[ctl].chassis == t.ci && done >= 0:
				mv := pl.add(Step{Action: ActionMoveClusterControl, Target: g.name, From: in.devs[ctl].name, To: in.devs[done].name,
					Rules: []string{"HA-4: move the control unit to an upgraded chassis"}, Note: "before chassis " + x.name,
					Units: []string{in.devs[ctl].name, in.devs[done].name}},
					g.haTail, g.tail, pl.barrier)
				vv := pl.add(Step{Action: ActionVerify, Target: g.name, Rules: pl.rs.verifyMove, Note: "control unit " + in.devs[done].name}, mv)
				deps = append(deps, vv)
				g.haTail, g.control = vv, done
				rules = append(rules, fmt.Sprintf("HA-4: a remaining chassis of cluster %s, after its control unit moved", g.name))
				notes = append(notes, "remaining chassis of cluster "+g.name)
			case in.devs[ctl].chassis == t.ci:
				m := pl.fallbackMember(g, t.ci)
				r := fmt.Sprintf("HA-6: control unit %s of %s fails over to %s", in.devs[ctl].name, g.name, in.devs[m].name)
				rules = append(rules, r)
				ha6 = append(ha6, r[len("HA-6: "):])
				notes = append(notes, "control unit of cluster "+g.name+" fails over")
				g.control = m
			case done < 0:
				rules = append(rules, fmt.Sprintf("HA-4: the all-data-unit chassis of cluster %s first", g.name))
				notes = append(notes, "all-data-unit chassis of cluster "+g.name+" first")
			default:
				rules = append(rules, fmt.Sprintf("HA-4: a remaining chassis of cluster %s", g.name))
				notes = append(notes, "remaining chassis of cluster "+g.name)
			}
		}
	}
	switch {
	case gated:
		rules = append(rules, "HA-1: one chassis of a pair or cluster at a time, each verified healthy and in sync before the next")
	case serial:
		rules = append(rules, "HA-1: one chassis at a time; serial upgrade does not wait for high availability to resync (HA-5)")
	}
	if len(alone) > 0 && !t.user {
		notes = append(notes, "then threat defense on "+strings.Join(alone, ", "))
	}
	if len(ha6) > 0 {
		pl.warn(fmt.Sprintf("HA-6: chassis %s hosts active units of other pairs or clusters; when it upgrades: %s", x.name, strings.Join(ha6, "; ")))
	}
	note := strings.Join(notes, "; ")
	units := pl.instances(x)
	var u int
	switch x.kind {
	case chassisFXOS:
		for _, w := range p.Warnings {
			pl.warn("FXOS " + to + ": " + w)
		}
		h := &p.Hops[0]
		rules = append(rules, pathRules(h)...)
		cp := pl.copyFXOS(h, x.name)
		u = pl.add(Step{Action: ActionUpgradeChassis, Target: x.name, From: x.fx.String(), To: to, Rules: rules, Note: note, Units: units}, append(deps, cp)...)
		x.fx = t.to.fx
		x.path = append(x.path, to)
	default:
		prev := -1
		for i := range p.Hops {
			h := &p.Hops[i]
			cp := pl.copyTD(x.fam, h, x.name)
			hr := append(append([]string(nil), rules...), pathRules(h)...)
			if prev < 0 {
				u = pl.add(Step{Action: ActionUpgradeChassis, Target: x.name, From: x.tv.String(), To: h.Version, Rules: hr, Note: note, Units: units}, append(deps, cp)...)
			} else {
				u = pl.add(Step{Action: ActionUpgradeChassis, Target: x.name, From: x.tv.String(), To: h.Version, Rules: hr, Note: note, Units: units}, prev, cp)
			}
			prev = u
			x.tv = pl.parsed(h.Version)
			x.path = append(x.path, h.Version)
		}
	}
	vr := pl.rs.verifyChas
	if !x.ha {
		vr = pl.rs.verifyAlone
	}
	vx := pl.add(Step{Action: ActionVerify, Target: x.name, To: x.level().String(x.kind), Rules: vr, Note: "chassis and its instances up"}, u)
	x.tail = vx
	for _, gi := range x.groups {
		g := &in.grps[gi]
		if !g.multiChassis() {
			continue
		}
		if g.kind == kindPair && g.mode == MultiInstanceSerial {
			// Serial runs both chassis in one wizard run: no gate between.
			g.haTail = u
		} else {
			g.haTail = vx
		}
	}
	return nil
}

// fxosFrom names a chassis version for the path engine, which wants a
// maintenance release: a chassis planned to a train whose builds the
// catalog does not know is on that train's first maintenance release.
func fxosFrom(v version.FXOS) string {
	if !v.HasMaintenance {
		v.HasMaintenance = true
	}
	return v.String()
}

func (pl *estatePlanner) pairRule(g *grp) string {
	if g.ckind == chassisMI {
		return "HA-5"
	}
	return "HA-3"
}

func (pl *estatePlanner) instances(x *chas) []string {
	var out []string
	for _, gi := range x.groups {
		for _, m := range pl.in.grps[gi].members {
			if d := &pl.in.devs[m]; d.chassis >= 0 && &pl.in.chs[d.chassis] == x {
				out = append(out, d.name)
			}
		}
	}
	return out
}

// miChassisPath routes a multi-instance chassis to v. When PATH-4 forbids
// that exact release from where the chassis is, a later release of the same
// train that the management center already allows is taken instead.
func (pl *estatePlanner) miChassisPath(x *chas, v version.Version) (*Path, error) {
	p, err := pl.r.path(catalog.ProductChassis, x.fam.ID, x.tv.String(), v.String())
	if err == nil {
		return p, nil
	}
	mc := pl.mcVers[min(pl.epoch, len(pl.mcVers)-1)]
	for _, rel := range pl.c.ReleasesFor(catalog.ProductThreatDefense, x.fam.ID) {
		w := rel.V()
		if w.Train() != v.Train() || version.Compare(w, v) <= 0 || !within(w, mc) {
			continue
		}
		if q, err2 := pl.r.path(catalog.ProductChassis, x.fam.ID, x.tv.String(), w.String()); err2 == nil {
			pl.warn(fmt.Sprintf("ORDER-4: chassis %s goes to %s: %s cannot be reached from %s (%v)", x.name, w, v, x.tv, err))
			return q, nil
		}
	}
	return nil, retarget(err, "chassis "+x.name, x.field+".version", FieldTargetVersion, x.field+".platform")
}

// emitHop emits one threat defense hop of a group: deploy (unless the last
// step already was one), readiness check, upgrade, deploy again (READY-2,
// READY-5).
func (pl *estatePlanner) emitHop(gi int) {
	in := pl.in
	g := &in.grps[gi]
	h := &g.hops[g.next]
	cp := -1
	for _, m := range g.members {
		cp = pl.copyTD(g.fam, h.hop, in.devs[m].name)
	}
	var chassisTails [4]int
	ct := chassisTails[:0]
	for _, ci := range g.chassis {
		ct = append(ct, in.chs[ci].tail)
	}
	first := g.tail
	if !g.deploy {
		// After its chassis are back: a deploy needs every unit up.
		first = pl.add(Step{Action: ActionDeployConfiguration, Target: g.name, Rules: pl.rs.deployBefore}, append(ct, g.tail, pl.barrier)...)
	}
	deps := append(ct, first, cp, pl.barrier)
	to := h.hop.Version
	rc := pl.add(Step{Action: ActionReadinessCheck, Target: g.name, To: to, Rules: pl.rs.readiness}, deps...)
	var units []string
	note := ""
	switch g.kind {
	case kindPair:
		s, a := in.devs[g.other(g.active)].name, in.devs[g.active].name
		units = []string{s, a}
		note = fmt.Sprintf("standby unit %s first, then %s; %s stays active", s, a, s)
		g.active = g.other(g.active)
	case kindCluster:
		for _, m := range g.members {
			if m != g.control {
				units = append(units, in.devs[m].name)
			}
		}
		units = append(units, in.devs[g.control].name)
		nc := pl.nextControl(g)
		note = fmt.Sprintf("data units first, then control unit %s; the control role moves to %s", in.devs[g.control].name, in.devs[nc].name)
		g.control = nc
	default:
		units = []string{g.name}
	}
	k := len(pl.mcVers) - 1
	switch {
	case h.epoch < k:
		note = joinNote(note, "devices first: before the management center goes to "+pl.mcVers[h.epoch+1].String())
	case pl.epoch < h.epoch:
		note = joinNote(note, "before its chassis moves on")
	}
	u := pl.add(Step{Action: ActionUpgradeThreatDefense, Target: g.name, From: g.v.String(), To: to, Rules: pl.hopRulesFor(g, h), Note: note, Units: units}, rc)
	g.tail = pl.add(Step{Action: ActionDeployConfiguration, Target: g.name, Rules: pl.rs.deployAfter}, u)
	g.deploy = true
	g.v = h.v
	g.next++
}

// nextControl is where the control role of a cluster lands after a threat
// defense upgrade: the control unit upgrades last, so the first other
// member, in declaration order, holds the role when it reloads.
func nextControlOf(members []int, control int) int {
	for _, m := range members {
		if m != control {
			return m
		}
	}
	return control
}

func (pl *estatePlanner) nextControl(g *grp) int { return nextControlOf(g.members, g.control) }

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

type hopRuleKey struct {
	hop         *Hop
	exec, epoch int
	kind, ckind int
	multi       bool
	fxosFamily  bool
}

// hopRulesFor builds the reasons of a threat defense hop once per kind of
// group and epoch; steps share the slice, capped so that an append by a
// caller copies it.
func (pl *estatePlanner) hopRulesFor(g *grp, h *ghop) []string {
	key := hopRuleKey{h.hop, pl.epoch, h.epoch, g.kind, g.ckind, g.multiChassis(), g.fam.Chassis == catalog.ChassisFXOS}
	if r, ok := pl.hopRules[key]; ok {
		return r
	}
	k := len(pl.mcVers) - 1
	mc := pl.mcVers[min(pl.epoch, k)]
	rules := []string{fmt.Sprintf("ORDER-2: the management center runs %s, so threat defense may go up to %s", mc, capOf(mc))}
	switch {
	case h.epoch < k:
		rules = append(rules, fmt.Sprintf("ORDER-3: devices first: management center %s manages %s and later", pl.mcVers[h.epoch+1], pl.r.oldestManaged(pl.mcVers[h.epoch+1])))
	case pl.epoch < h.epoch:
		rules = append(rules, "ORDER-5: upgraded before its chassis moves on, so the chassis never runs well ahead of it")
	}
	n := pl.needOf(max(g.ckind, chassisFXOS), h.v)
	switch {
	case g.ckind == chassisFXOS && !n.none:
		rules = append(rules, fmt.Sprintf("ORDER-4: its chassis already run FXOS %s or later, the companion of %s", n.co, h.v.Train()))
	case g.ckind == chassisMI:
		rules = append(rules, fmt.Sprintf("ORDER-4: its chassis already run %s or later", capOf(h.v)))
	case key.fxosFamily && !n.none:
		rules = append(rules, fmt.Sprintf("ORDER-4: its chassis must run FXOS %s, the companion of %s, first (not declared in the estate)", n.co, h.v.Train()))
	}
	switch {
	case g.kind == kindPair:
		rules = append(rules, "HA-3: threat defense high availability: the standby unit first; the roles stay switched afterwards")
	case g.kind == kindCluster && key.multi:
		rules = append(rules, "HA-4: inter-chassis cluster: after all its chassis; data units first, then the control unit")
	case g.kind == kindCluster && g.ckind != chassisNone:
		rules = append(rules, "HA-2: intra-chassis cluster: after its chassis; data units first, then the control unit")
	case g.kind == kindCluster:
		rules = append(rules, "HA-1: the cluster upgrades data units first, then the control unit")
	case g.ckind != chassisNone:
		rules = append(rules, "HA-2: standalone: after its chassis")
	}
	rules = append(rules, pathRules(h.hop)...)
	rules = rules[:len(rules):len(rules)]
	pl.hopRules[key] = rules
	return rules
}

// result schedules the steps into waves and assembles the plan.
func (pl *estatePlanner) result() *EstatePlan {
	in := pl.in
	plan := &EstatePlan{UnitPaths: map[string][]string{}, Shortfalls: pl.short, maxParallel: in.t.MaxParallel}
	upgrades := 0
	for i := range pl.nodes {
		if a := pl.nodes[i].s.Action; capped(a) || a == ActionUpgradeManagementCenter {
			upgrades++
		}
	}
	if upgrades == 0 {
		// Backups around nothing are noise: an estate already at its
		// targets has an empty plan.
		pl.nodes, pl.copies = nil, nil
		pl.warn("nothing to upgrade: every unit is already at its target")
	}
	plan.Waves, plan.CriticalPath = pl.schedule(in.t.MaxParallel)
	// Counting sort by wave; within a wave the package copies come first,
	// then creation order, which follows the estate's declaration order.
	count := make([]int, plan.Waves+2)
	for i := range pl.nodes {
		count[pl.nodes[i].wave+1]++
	}
	for w := 1; w < len(count); w++ {
		count[w] += count[w-1]
	}
	order := make([]int, len(pl.nodes))
	pos := make([]int, len(pl.nodes))
	for pass := 0; pass < 2; pass++ {
		for i := range pl.nodes {
			n := &pl.nodes[i]
			if (n.s.Action == ActionCopyPackage) != (pass == 0) {
				continue
			}
			order[count[n.wave]] = i
			pos[i] = count[n.wave] + 1
			count[n.wave]++
		}
	}
	plan.Steps = make([]Step, len(pl.nodes))
	for o, i := range order {
		n := &pl.nodes[i]
		s := n.s
		s.Order, s.Wave = o+1, n.wave
		if n.dep1 > n.dep0 {
			s.After = make([]int, 0, n.dep1-n.dep0)
			for _, d := range pl.deps[n.dep0:n.dep1] {
				s.After = append(s.After, pos[d])
			}
			sort.Ints(s.After)
		}
		if s.Action == ActionCopyPackage {
			s.Note = fmt.Sprintf("to %d unit%s", len(s.Units), plural(len(s.Units)))
		}
		plan.Steps[o] = s
	}
	pkgs := map[string]bool{}
	for _, i := range pl.copies {
		if t := pl.nodes[i].s.Target; !strings.HasSuffix(t, "(build unknown)") {
			pkgs[t] = true
		}
	}
	for p := range pkgs {
		plan.Packages = append(plan.Packages, p)
	}
	sort.Strings(plan.Packages)
	mcPath := make([]string, len(pl.mcVers))
	for i, v := range pl.mcVers {
		mcPath[i] = v.String()
	}
	plan.UnitPaths[in.mcName] = mcPath
	if peer := in.e.ManagementCenter.HAPeer; peer != "" {
		plan.UnitPaths[peer] = mcPath
	}
	for gi := range in.grps {
		g := &in.grps[gi]
		p := make([]string, 0, len(g.hops)+1)
		p = append(p, in.devs[g.members[0]].v.String())
		for _, h := range g.hops {
			p = append(p, h.hop.Version)
		}
		for _, m := range g.members {
			plan.UnitPaths[in.devs[m].name] = p
		}
	}
	for ci := range in.chs {
		plan.UnitPaths[in.chs[ci].name] = in.chs[ci].path
	}
	plan.Warnings = append(plan.Warnings, pl.warnings...)
	for _, reason := range pl.shortKeys {
		plan.Warnings = append(plan.Warnings, reason+": "+strings.Join(pl.shortSeen[reason], ", "))
	}
	return plan
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// capped reports the actions MaxParallel limits: everything that reboots a
// firewall.
func capped(action string) bool {
	return action == ActionUpgradeThreatDefense || action == ActionUpgradeChassis
}

// schedule assigns each step the first wave after all it waits for (ASAP
// levels), moving capped steps on while a wave is full. Creation order is a
// topological order, so one pass settles every step; full waves are
// skipped through a union-find of "next wave with room".
func (pl *estatePlanner) schedule(maxPar int) (waves, critical int) {
	var room []int
	var used []int
	grow := func(w int) {
		for len(room) <= w {
			room = append(room, len(room))
			used = append(used, 0)
		}
	}
	find := func(w int) int {
		grow(w)
		r := w
		for room[r] != r {
			grow(room[r])
			r = room[r]
		}
		for room[w] != r {
			room[w], w = r, room[w]
		}
		return r
	}
	for i := range pl.nodes {
		n := &pl.nodes[i]
		w, lv := 0, 0
		for _, d := range pl.deps[n.dep0:n.dep1] {
			w = max(w, pl.nodes[d].wave)
			lv = max(lv, pl.nodes[d].level)
		}
		w, lv = w+1, lv+1
		if maxPar > 0 && capped(n.s.Action) {
			w = find(w)
			used[w]++
			if used[w] >= maxPar {
				grow(w + 1)
				room[w] = w + 1
			}
		}
		n.wave, n.level = w, lv
		waves, critical = max(waves, w), max(critical, lv)
	}
	return waves, critical
}
