package planner

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Routing one unit builds a direct-upgrade graph (~150 µs), and an estate
// repeats the same few (platform, version) questions thousands of times, so
// answers are memoised per catalog. A catalog is immutable once loaded, so
// its pointer identifies the answers; only the latest few catalogs are kept
// so that provider reconfigurations do not accumulate them.
type pathKey struct {
	product, platform, from, to string
}

type pathAnswer struct {
	p   *Path
	err error
}

type leadKey struct {
	platform                 string
	from, cap, floor, target version.Version
	toTarget                 bool
}

type leadAnswer struct {
	v  version.Version
	ok bool
}

type memo struct {
	mu    sync.Mutex
	paths map[pathKey]pathAnswer
	leads map[leadKey]leadAnswer
}

const (
	memoCatalogs = 8
	memoEntries  = 1 << 15
)

var memos struct {
	mu   sync.Mutex
	cats []*catalog.Catalog
	ms   []*memo
}

func memoFor(c *catalog.Catalog) *memo {
	memos.mu.Lock()
	defer memos.mu.Unlock()
	for i, k := range memos.cats {
		if k == c {
			return memos.ms[i]
		}
	}
	m := &memo{paths: map[pathKey]pathAnswer{}, leads: map[leadKey]leadAnswer{}}
	memos.cats = append(memos.cats, c)
	memos.ms = append(memos.ms, m)
	if len(memos.cats) > memoCatalogs {
		memos.cats, memos.ms = memos.cats[1:], memos.ms[1:]
	}
	return m
}

// router answers path questions for one PlanEstate call: a lock-free local
// map in front of the shared memo.
type router struct {
	c      *catalog.Catalog
	m      *memo
	paths  map[pathKey]pathAnswer
	leads  map[leadKey]leadAnswer
	oldest map[string]version.Version
}

func newRouter(c *catalog.Catalog) *router {
	return &router{c: c, m: memoFor(c), paths: map[pathKey]pathAnswer{}, leads: map[leadKey]leadAnswer{}, oldest: map[string]version.Version{}}
}

// path is a memoised UpgradePath. The result is shared: never modify it.
func (r *router) path(product, platform, from, to string) (*Path, error) {
	k := pathKey{product, platform, from, to}
	if a, ok := r.paths[k]; ok {
		return a.p, a.err
	}
	r.m.mu.Lock()
	a, ok := r.m.paths[k]
	r.m.mu.Unlock()
	if !ok {
		a.p, a.err = UpgradePath(r.c, PathRequest{Product: product, Platform: platform, From: from, To: to})
		r.m.mu.Lock()
		if len(r.m.paths) >= memoEntries {
			r.m.paths = map[pathKey]pathAnswer{}
		}
		r.m.paths[k] = a
		r.m.mu.Unlock()
	}
	r.paths[k] = a
	return a.p, a.err
}

// lead is the landing point for a unit that has to move while the
// management center still runs cap: the newest threat defense release at
// most cap (major/maintenance) and at least floor that the unit can reach
// and, with toTarget, from which target is still reachable. Among those it
// takes the fewest total hops to target first (PATH-5), then the newest,
// which is "as far as the management center allows" (ORDER-3).
func (r *router) lead(fam *catalog.Family, from, capV, floor, target version.Version, toTarget bool) (version.Version, bool) {
	from.Build, capV.Build, floor.Build, target.Build = 0, 0, 0, 0
	k := leadKey{fam.ID, from, capV, floor, target, toTarget}
	if a, ok := r.leads[k]; ok {
		return a.v, a.ok
	}
	r.m.mu.Lock()
	a, ok := r.m.leads[k]
	r.m.mu.Unlock()
	if !ok {
		a.v, a.ok = leadingRelease(r.c, fam, from, capV, floor, target, toTarget)
		r.m.mu.Lock()
		if len(r.m.leads) >= memoEntries {
			r.m.leads = map[leadKey]leadAnswer{}
		}
		r.m.leads[k] = a
		r.m.mu.Unlock()
	}
	r.leads[k] = a
	return a.v, a.ok
}

func leadingRelease(c *catalog.Catalog, fam *catalog.Family, from, capV, floor, target version.Version, toTarget bool) (version.Version, bool) {
	e := &engine{c: c, fam: fam, product: catalog.ProductThreatDefense}
	g := e.graph(from, true)
	capM := capV.MaintenanceRelease()
	var toT []int
	if toTarget {
		base := target.MaintenanceRelease()
		t, ok := g.index[base]
		if !ok || g.dist[t] < 0 {
			return from, false
		}
		// Every edge goes up the ascending node list, so one descending pass
		// settles the hop count to the target from each node.
		toT = make([]int, len(g.nodes))
		for i := range toT {
			toT[i] = -1
		}
		toT[t] = 0
		for i := t - 1; i > 0; i-- {
			for _, w := range g.adj[i] {
				if toT[w] >= 0 && (toT[i] < 0 || toT[w]+1 < toT[i]) {
					toT[i] = toT[w] + 1
				}
			}
		}
	}
	best, bestCost := -1, 0
	for i := 1; i < len(g.nodes); i++ {
		n := g.nodes[i]
		if g.dist[i] < 0 || version.Compare(n, capM) > 0 || version.Compare(n, floor) < 0 {
			continue
		}
		cost := 0
		if toTarget {
			if toT[i] < 0 {
				continue
			}
			cost = g.dist[i] + toT[i]
		}
		// Nodes ascend, so a later node of equal cost is newer.
		if best < 0 || cost <= bestCost {
			best, bestCost = i, cost
		}
	}
	if best < 0 {
		return from, false
	}
	return g.nodes[best], true
}

// oldestManaged is the oldest device version a management center of v's
// train manages, or the zero version when the catalog does not say.
func (r *router) oldestManaged(v version.Version) version.Version {
	t := v.Train()
	if o, ok := r.oldest[t]; ok {
		return o
	}
	var o version.Version
	if m, ok := r.c.OldestManaged(t); ok {
		o = m.Oldest()
	}
	r.oldest[t] = o
	return o
}

// capOf is the newest major/maintenance release a device may run under a
// management center on v: a patched device under an unpatched management
// center is fine (ORDER-2).
func capOf(v version.Version) version.Version {
	v = v.MaintenanceRelease()
	v.Build = 0
	return v
}

// within reports whether a device on d may run under a management center on
// mc (ORDER-2).
func within(d, mc version.Version) bool {
	return version.Compare(d.MaintenanceRelease(), capOf(mc)) <= 0
}

// retarget moves a path refusal onto the estate field that caused it.
func retarget(err error, unit, fromField, toField, platformField string) error {
	var re *RuleError
	if !errors.As(err, &re) {
		return err
	}
	out := *re
	switch re.Field {
	case FieldFrom:
		out.Field = fromField
	case FieldTo:
		out.Field = toField
	case FieldPlatform:
		out.Field = platformField
	default:
		out.Field = fromField
	}
	out.Problem = unit + ": " + re.Problem
	return &out
}

// mcRoute resolves the management center target and its hops.
func (pl *estatePlanner) mcRoute() error {
	in := pl.in
	mcFam := "management_center"
	from := in.mcV.String()
	toField := FieldTargetVersion
	to := ""
	switch {
	case in.mcKw != "":
		to, toField = in.mcKw, FieldManagementCenterTarget
	case in.mcTSet:
		to, toField = in.mcT.String(), FieldManagementCenterTarget
	case in.tdKw != "":
		to = in.tdKw
	default:
		to = in.tdV.String()
		rel, ok := pl.c.Release(in.tdV)
		mcRelease := ok && rel.HasProduct(catalog.ProductManagementCenter)
		switch {
		case version.Compare(in.mcV, in.tdV) >= 0, !mcRelease && within(in.tdV, in.mcV):
			// Already able to manage the target: ORDER-1 holds without an
			// upgrade, and a management center is never downgraded.
			to = from
		case !mcRelease:
			v, err := pl.mcFor(in.tdV)
			if err != nil {
				return err
			}
			pl.warn(fmt.Sprintf("ORDER-1: %s is a threat defense release only; the management center goes to %s, the oldest release that can manage it", in.tdV, v))
			to = v.String()
		}
	}
	p, err := pl.r.path(catalog.ProductManagementCenter, mcFam, from, to)
	if err != nil {
		return retarget(err, "management center "+in.mcName, "management_center.version", toField, "management_center.version")
	}
	pl.setMCPath(p)
	for _, w := range p.Warnings {
		if strings.HasPrefix(w, "already at") {
			continue
		}
		pl.warn("management center " + in.mcName + ": " + w)
	}
	return nil
}

func (pl *estatePlanner) setMCPath(p *Path) {
	pl.mcPath = p
	pl.mcVers = []version.Version{pl.in.mcV}
	for _, h := range p.Hops {
		pl.mcVers = append(pl.mcVers, pl.parsed(h.Version))
	}
}

// routeDevices splits every group's path into epochs. When a device cannot
// stay managed along the management center's own path (ORDER-3), routes of
// the management center through one more landing point are tried, fewest
// hops first: smaller steps of the management center let old devices keep
// up.
func (pl *estatePlanner) routeDevices() error {
	mark := len(pl.warnings)
	err := pl.labelledRoutes(mark)
	var re *RuleError
	if err == nil || !errors.As(err, &re) || re.Rule != "ORDER-3" {
		return err
	}
	orig := pl.mcPath
	for _, alt := range pl.mcAlternatives() {
		pl.resetRoutes(mark)
		pl.setMCPath(alt)
		if pl.labelledRoutes(mark) == nil {
			pl.warn(fmt.Sprintf("ORDER-3: the management center goes %s rather than %s so that every device stays managed", strings.Join(alt.Versions(), " -> "), strings.Join(orig.Versions(), " -> ")))
			return nil
		}
	}
	pl.resetRoutes(mark)
	pl.setMCPath(orig)
	return err
}

// labelledRoutes runs groupRoutes, and again with message labels when it
// fails, so that the refusal names the unit and field.
func (pl *estatePlanner) labelledRoutes(mark int) error {
	pl.labels = false
	err := pl.groupRoutes()
	if err != nil {
		pl.resetRoutes(mark)
		pl.labels = true
		err = pl.groupRoutes()
	}
	return err
}

func (pl *estatePlanner) resetRoutes(mark int) {
	for _, w := range pl.warnings[mark:] {
		delete(pl.warned, w)
	}
	pl.warnings = pl.warnings[:mark]
	pl.short, pl.shortSeen, pl.shortKeys = map[string]string{}, map[string][]string{}, nil
	for gi := range pl.in.grps {
		g := &pl.in.grps[gi]
		g.hops, g.final = nil, version.Version{}
	}
}

// mcAlternatives are management center routes to the same target through
// one more release, fewest hops first, then the newest intermediate.
func (pl *estatePlanner) mcAlternatives() []*Path {
	orig := pl.mcPath
	if len(orig.Hops) == 0 {
		return nil
	}
	to := pl.parsed(orig.To)
	from := pl.in.mcV.String()
	var out []*Path
	seen := map[string]bool{strings.Join(orig.Versions(), " "): true}
	for _, rel := range pl.c.ReleasesFor(catalog.ProductManagementCenter, "management_center") {
		v := rel.V()
		if v.IsPatch() || version.Compare(v, pl.in.mcV) <= 0 || version.Compare(v, to) >= 0 {
			continue
		}
		a, err1 := pl.r.path(catalog.ProductManagementCenter, "management_center", from, v.String())
		b, err2 := pl.r.path(catalog.ProductManagementCenter, "management_center", v.String(), orig.To)
		if err1 != nil || err2 != nil {
			continue
		}
		p := &Path{Product: orig.Product, Platform: orig.Platform, From: orig.From, To: orig.To,
			Hops: append(append([]Hop(nil), a.Hops...), b.Hops...)}
		if k := strings.Join(p.Versions(), " "); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Hops) != len(out[j].Hops) {
			return len(out[i].Hops) < len(out[j].Hops)
		}
		return version.Compare(pl.parsed(out[i].Hops[0].Version), pl.parsed(out[j].Hops[0].Version)) > 0
	})
	return out
}

// mcFor is the oldest management center release at or above a threat
// defense-only target that the management center can reach.
func (pl *estatePlanner) mcFor(td version.Version) (version.Version, error) {
	for _, rel := range pl.c.ReleasesFor(catalog.ProductManagementCenter, "management_center") {
		v := rel.V()
		if version.Compare(capOf(v), capOf(td)) < 0 || version.Compare(v, pl.in.mcV) <= 0 {
			continue
		}
		if _, err := pl.r.path(catalog.ProductManagementCenter, "management_center", pl.in.mcV.String(), v.String()); err == nil {
			return v, nil
		}
	}
	return version.Version{}, refuse(FieldTargetVersion, "ORDER-2", "choose a threat defense target a management center release reaches, or set management_center_target_version",
		"no management center release reachable from %s can manage threat defense %s", pl.in.mcV, td)
}

// groupRoutes resolves each group's final version and splits its path into
// epochs: epoch e runs while the management center is on mcVers[e].
func (pl *estatePlanner) groupRoutes() error {
	in := pl.in
	k := len(pl.mcVers) - 1
	mcFinal := pl.mcVers[k]
	if in.tdKw == "" && !within(in.tdV, mcFinal) {
		f := FieldManagementCenterTarget
		if in.mcField == "" {
			f = FieldTargetVersion
		}
		return refuse(f, "ORDER-2", fmt.Sprintf("set the management center target to %s or later, or lower target_version", capOf(in.tdV)),
			"threat defense %s would be past the management center's final version %s", in.tdV, mcFinal)
	}
	for gi := range in.grps {
		g := &in.grps[gi]
		d0 := &in.devs[g.members[0]]
		// Labels for messages are built per group only when needed: most
		// groups of a large estate never need them.
		unit, fromField, platField := "", "", ""
		if pl.labels {
			unit = unitLabel(g)
			fromField, platField = d0.field+".version", d0.field+".platform"
		}
		final := in.tdV
		if in.tdKw != "" {
			p, err := pl.r.path(catalog.ProductThreatDefense, g.fam.ID, g.v.String(), in.tdKw)
			if err != nil {
				return retarget(err, unit, fromField, FieldTargetVersion, platField)
			}
			final = pl.parsed(p.To)
			if !within(final, mcFinal) {
				capped, ok := pl.r.lead(g.fam, g.v, mcFinal, version.Version{}, version.Version{}, false)
				if !ok || version.Compare(capped, g.v) < 0 {
					capped = g.v
				}
				pl.shortfall(g, fmt.Sprintf("ORDER-2: %s for %s is %s, past the management center's final version %s; these units stop at %s", in.tdKw, g.fam.ID, final, mcFinal, capped))
				final = capped
			}
		}
		switch c := version.Compare(g.v, final); {
		case c > 0:
			pl.shortfall(g, fmt.Sprintf("PATH-5: these units run a version newer than the target %s; a downgrade is never planned", final))
			fallthrough
		case c == 0:
			g.final = g.v
			if err := pl.stays(g); err != nil {
				return err
			}
			continue
		}
		g.final = final
		if !within(g.v, pl.mcVers[0]) {
			pl.warn(fmt.Sprintf("ORDER-1: %s runs %s, newer than the management center's %s; the management center is upgraded first", unitLabel(g), g.v, pl.mcVers[0]))
		}
		if o := pl.r.oldestManaged(pl.mcVers[0]); o.Major > 0 && version.Compare(g.v, o) < 0 {
			pl.warn(fmt.Sprintf("ORDER-3: %s runs %s, older than the %s the management center %s manages; check it is still registered", unitLabel(g), g.v, o, pl.mcVers[0]))
		}
		cur := g.v
		for e := 0; e < k; e++ {
			floor := pl.r.oldestManaged(pl.mcVers[e+1])
			if floor.Major == 0 || version.Compare(cur, floor) >= 0 {
				continue
			}
			var r version.Version
			if within(final, pl.mcVers[e]) && version.Compare(final, floor) >= 0 {
				r = final
			} else {
				var ok bool
				r, ok = pl.r.lead(g.fam, cur, pl.mcVers[e], floor, final, true)
				if !ok {
					return refuse(fromField, "ORDER-3", "upgrade or reimage it separately first, or plan the management center to an earlier target",
						"%s runs %s: no release between %s and %s (while the management center runs %s) leads on to %s, so it would be left unmanaged when the management center goes to %s",
						unit, cur, floor, capOf(pl.mcVers[e]), pl.mcVers[e], final, pl.mcVers[e+1])
				}
			}
			if err := pl.addHops(g, cur, r, e, unit, fromField, platField); err != nil {
				return err
			}
			cur = r
		}
		if version.Compare(cur, final) < 0 {
			if err := pl.addHops(g, cur, final, k, unit, fromField, platField); err != nil {
				return err
			}
		}
	}
	return nil
}

// stays refuses a unit that does not move when a management center hop
// would leave it unmanaged (ORDER-3).
func (pl *estatePlanner) stays(g *grp) error {
	for _, mc := range pl.mcVers[1:] {
		if o := pl.r.oldestManaged(mc); o.Major > 0 && version.Compare(g.v, o) < 0 {
			f := FieldTargetVersion
			if pl.in.mcField != "" {
				f = pl.in.mcField
			}
			return refuse(f, "ORDER-3", "raise target_version so that it can move, upgrade or reimage it separately, or keep the management center on an earlier version",
				"%s stays on %s, which management center %s does not manage (oldest %s)", unitLabel(g), g.v, mc, o)
		}
	}
	return nil
}

func (pl *estatePlanner) addHops(g *grp, from, to version.Version, epoch int, unit, fromField, platField string) error {
	p, err := pl.r.path(catalog.ProductThreatDefense, g.fam.ID, from.String(), to.String())
	if err != nil {
		return retarget(err, unit, fromField, FieldTargetVersion, platField)
	}
	vs, seen := pl.hopVers[p]
	if !seen {
		vs = make([]version.Version, len(p.Hops))
		for i := range p.Hops {
			vs[i] = version.MustParse(p.Hops[i].Version)
		}
		pl.hopVers[p] = vs
		for _, w := range p.Warnings {
			pl.warn(fmt.Sprintf("%s %s to %s: %s", g.fam.ID, from, to, w))
		}
	}
	for i := range p.Hops {
		g.hops = append(g.hops, ghop{v: vs[i], epoch: epoch, hop: &p.Hops[i]})
	}
	return nil
}

func unitLabel(g *grp) string {
	switch g.kind {
	case kindPair:
		return "HA pair " + g.name
	case kindCluster:
		return "cluster " + g.name
	}
	return "device " + g.name
}
