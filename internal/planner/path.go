package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Target keywords accepted instead of a version.
const (
	TargetLatest    = "latest"
	TargetSuggested = "suggested"
)

// PathRequest asks for the upgrade path of one product on one platform.
type PathRequest struct {
	Product  string // catalog.ProductManagementCenter, ProductThreatDefense or ProductChassis
	Platform string // family id
	From     string
	To       string // a version, TargetLatest or TargetSuggested
}

// Hop is one upgrade step of a path.
type Hop struct {
	Version         string
	Build           int // 0 when the catalog does not know it
	Kind            string
	ReleaseDate     string
	PackageFilename string // empty when the build is unknown
	// FXOS companion for Firepower 4100/9300 threat defense hops (ORDER-4).
	FXOSVersion         string
	FXOSMinimum         string
	FXOSRecommended     string
	FXOSPackageFilename string
	Rules               []string
	// Verified is false when any catalog fact behind the hop is inferred.
	Verified bool
}

// Path is an ordered list of hops from a current version to a target.
type Path struct {
	Product  string
	Platform string
	From     string
	To       string // the resolved target version
	Hops     []Hop
	Warnings []string
}

// Direct reports whether the target is one upgrade away.
func (p *Path) Direct() bool { return len(p.Hops) == 1 }

// Versions lists the hop versions in order.
func (p *Path) Versions() []string {
	out := make([]string, len(p.Hops))
	for i, h := range p.Hops {
		out[i] = h.Version
	}
	return out
}

// UpgradePath computes the path for req under PATH-1..6.
func UpgradePath(c *catalog.Catalog, req PathRequest) (*Path, error) {
	fam, err := resolveFamily(c, req.Product, req.Platform)
	if err != nil {
		return nil, err
	}
	if req.Product == catalog.ProductChassis && fam.Chassis == catalog.ChassisFXOS {
		return fxosPath(c, fam, req)
	}
	product := req.Product
	if product == catalog.ProductChassis {
		// A 3100/4200 multi-instance chassis upgrades with the threat
		// defense package, from the management center (ORDER-4).
		product = catalog.ProductThreatDefense
	}
	from, err := parseVersion(FieldFrom, req.From)
	if err != nil {
		return nil, err
	}
	e := &engine{c: c, fam: fam, product: product, chassis: req.Product == catalog.ProductChassis}
	if ok, f := e.supports(from); !ok {
		return nil, refuse(FieldFrom, "PATH-6", "check the platform: "+fam.Name+" runs "+e.supportSummary(),
			"%s is not supported on %s (%s)", from, fam.Name, f.Source)
	}
	p := &Path{Product: req.Product, Platform: fam.ID, From: from.WithBuild()}
	if _, known := c.Release(from); !known {
		p.Warnings = append(p.Warnings, fmt.Sprintf("PATH-6: the current version %s is not in the catalog; paths are computed from its maintenance release %s", from, from.MaintenanceRelease()))
	}
	var route []version.Version
	switch strings.ToLower(strings.TrimSpace(req.To)) {
	case TargetLatest, TargetSuggested:
		route, err = e.routeToBest(from, strings.ToLower(strings.TrimSpace(req.To)), p)
	default:
		var target version.Version
		if target, err = e.checkTarget(from, req.To); err == nil {
			route, err = e.routeTo(from, target)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(route) == 0 {
		p.To = from.WithBuild()
		p.Warnings = append(p.Warnings, fmt.Sprintf("already at %s: nothing to upgrade", from))
		return p, nil
	}
	p.To = route[len(route)-1].String()
	e.describe(p, from, route)
	return p, nil
}

func resolveFamily(c *catalog.Catalog, product, platform string) (*catalog.Family, error) {
	switch product {
	case catalog.ProductManagementCenter, catalog.ProductThreatDefense, catalog.ProductChassis:
	default:
		return nil, refuse(FieldProduct, "", "use management_center, threat_defense or chassis", "unknown product %q", product)
	}
	fam, ok := c.Family(platform)
	if !ok {
		return nil, refuse(FieldPlatform, "PATH-6", "use one of: "+strings.Join(c.FamilyIDs(), ", "), "unknown platform family %q", platform)
	}
	switch {
	case product == catalog.ProductChassis && fam.Chassis == "":
		return nil, refuse(FieldPlatform, "ORDER-4", "chassis upgrades apply to firepower_4100, firepower_9300 (FXOS) and secure_firewall_3100/4200 in multi-instance mode",
			"%s has no separately upgraded chassis", fam.Name)
	case product != catalog.ProductChassis && fam.Product != product:
		return nil, refuse(FieldPlatform, "PATH-6", "use platform management_center for the management center, a device family for threat defense",
			"platform %s runs %s, not %s", fam.ID, fam.Product, product)
	}
	return fam, nil
}

func parseVersion(field, s string) (version.Version, error) {
	v, err := version.Parse(s)
	if err != nil {
		return version.Version{}, refuse(field, "", "write major.minor.maintenance[.patch], optionally with -build, e.g. 7.6.1 or 7.4.2.1-12", "%v", err)
	}
	return v, nil
}

// engine carries one path computation.
type engine struct {
	c       *catalog.Catalog
	fam     *catalog.Family
	product string
	chassis bool // a multi-instance chassis: support is chassis_support
	rels    []*catalog.Release
	graphs  map[bool]*graph // by whether PATH-4 is enforced; from is fixed per engine
}

func (e *engine) supports(v version.Version) (bool, catalog.Fact) {
	if e.chassis && e.fam.ChassisSupport != nil {
		return e.fam.ChassisSupport.Allows(v), e.fam.ChassisSupport.Fact
	}
	return e.c.Supports(e.fam, v)
}

func (e *engine) supportSummary() string {
	if e.chassis && e.fam.ChassisSupport != nil {
		return e.fam.ChassisSupport.Versions + " in multi-instance mode"
	}
	return e.fam.SupportSummary()
}

// releases lists the catalog releases of the product the family supports,
// oldest first.
func (e *engine) releases() []*catalog.Release {
	if e.rels != nil {
		return e.rels
	}
	e.rels = []*catalog.Release{}
	for _, r := range e.c.Releases {
		if !r.HasProduct(e.product) {
			continue
		}
		if ok, _ := e.supports(r.V()); ok {
			e.rels = append(e.rels, r)
		}
	}
	return e.rels
}

// installOnly reports a release that can be installed but never upgraded to.
func (e *engine) installOnly(v version.Version) bool {
	// PATH-2: 7.4.0 is a fresh install (4200 only), never an upgrade target
	// for threat defense.
	return e.product == catalog.ProductThreatDefense && v.String() == "7.4.0"
}

// checkTarget validates an explicit target against PATH-2, PATH-5 and PATH-6.
func (e *engine) checkTarget(from version.Version, to string) (version.Version, error) {
	target, err := parseVersion(FieldTo, to)
	if err != nil {
		return target, err
	}
	if e.installOnly(target) && !target.Equal(from) {
		return target, refuse(FieldTo, "PATH-2", "target 7.4.1 or later instead (upgrade the management center and devices to 7.4.1+)",
			"threat defense cannot be upgraded to 7.4.0: it is a fresh install on the Secure Firewall 4200 only")
	}
	switch c := version.Compare(target, from); {
	case c < 0:
		return target, refuse(FieldTo, "PATH-5", "choose a target newer than "+from.String()+"; to go back, revert or reimage",
			"%s is older than the current version %s: a downgrade is never planned", target, from)
	case c == 0 || version.Compare(target.MaintenanceRelease(), from) == 0 && !target.IsPatch():
		return target, nil
	}
	if ok, f := e.supports(target); !ok {
		return target, refuse(FieldTo, "PATH-6", e.fam.Name+" runs "+e.supportSummary(),
			"%s is not supported on %s (%s)", target, e.fam.Name, f.Source)
	}
	rel, ok := e.c.Release(target)
	if !ok || !rel.HasProduct(e.product) {
		return target, refuse(FieldTo, "PATH-6", e.knownInTrain(target),
			"%s is not a known %s release", target, strings.ReplaceAll(e.product, "_", " "))
	}
	if b, ok := rel.BuildFor(e.product); ok && target.Build > 0 && b.Value != target.Build {
		return target, refuse(FieldTo, "PKG-1", fmt.Sprintf("use %s-%d or leave the build out", target, b.Value),
			"%s has build %d in the catalog, not %d", target, b.Value, target.Build)
	}
	return target, nil
}

func (e *engine) knownInTrain(v version.Version) string {
	var known []string
	for _, r := range e.releases() {
		if r.V().Train() == v.Train() {
			known = append(known, r.Version)
		}
	}
	if len(known) == 0 {
		return "the catalog has no " + v.Train() + " release for this platform; add it with the provider's catalog_file"
	}
	return "known " + v.Train() + " releases: " + strings.Join(known, ", ") + " (add newer ones with the provider's catalog_file)"
}

// routeTo finds the hops from from to target.
func (e *engine) routeTo(from, target version.Version) ([]version.Version, error) {
	if version.Compare(target, from) == 0 {
		return nil, nil
	}
	if target.IsPatch() {
		base := target.MaintenanceRelease()
		if version.SameMaintenance(from, target) {
			return []version.Version{target}, nil
		}
		if _, ok := e.c.Release(base); !ok {
			return nil, refuse(FieldTo, "PATH-3", "the catalog does not list "+base.String()+"; add it with catalog_file",
				"patch %s is installed on %s only", target, base)
		}
		r, err := e.routeTo(from, base)
		if err != nil {
			return nil, err
		}
		return append(r, target), nil
	}
	g := e.graph(from, true)
	if r := g.shortest(target); r != nil {
		return r, nil
	}
	// Tell PATH-4 apart from PATH-1: is there a route when dates are ignored?
	if e.graph(from, false).shortest(target) != nil {
		fix := "choose a later target"
		if later := e.earliestReachableAfter(g, target); later != nil {
			fix = fmt.Sprintf("choose %s or later, the earliest release after %s that was released after %s", later, target, from.MaintenanceRelease())
		}
		return nil, refuse(FieldTo, "PATH-4", fix,
			"%s was released before %s: upgrading to it could lose fixes %s already has", target, from.MaintenanceRelease(), from)
	}
	return nil, refuse(FieldTo, "PATH-1", e.reachableTrains(g),
		"there is no supported upgrade path from %s to %s", from, target)
}

// earliestReachableAfter is the oldest release newer than target that g
// reaches, for the PATH-4 fix.
func (e *engine) earliestReachableAfter(g *graph, target version.Version) *version.Version {
	for i, n := range g.nodes {
		if version.Compare(n, target) > 0 && g.dist[i] >= 0 {
			v := n
			return &v
		}
	}
	return nil
}

func (e *engine) reachableTrains(g *graph) string {
	seen := map[string]bool{}
	var trains []string
	for i, n := range g.nodes {
		if i > 0 && g.dist[i] >= 0 && !seen[n.Train()] {
			seen[n.Train()] = true
			trains = append(trains, n.Train())
		}
	}
	if len(trains) == 0 {
		return "the catalog has no later release reachable from here on this platform"
	}
	return "reachable trains: " + strings.Join(trains, ", ")
}

// routeToBest resolves "latest" and "suggested" to the best reachable
// release and routes to it.
func (e *engine) routeToBest(from version.Version, which string, p *Path) ([]version.Version, error) {
	g := e.graph(from, true)
	var best *version.Version
	var bestRel *catalog.Release
	newest := version.Version{}
	for _, r := range e.releases() {
		v := r.V()
		if e.installOnly(v) || version.Compare(v, from) <= 0 {
			continue
		}
		if version.Compare(v, newest) > 0 {
			newest = v
		}
		if !e.reachable(g, from, v) {
			continue
		}
		switch which {
		case TargetLatest:
		case TargetSuggested:
			if bestRel != nil && bestRel.Suggested != nil && r.Suggested == nil {
				continue
			}
			if r.Suggested == nil && v.IsPatch() && (bestRel == nil || bestRel.Suggested == nil) {
				continue
			}
		}
		vv := v
		best, bestRel = &vv, r
	}
	if best == nil {
		// Nothing newer is reachable: the unit is as current as the
		// catalog's paths allow, which is not an error for a pipeline that
		// pins "latest".
		if newest.Major != 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("PATH-1: %s is newer than %s but the catalog has no supported path to it; overlay the catalog when Cisco publishes one", newest, from))
		}
		return nil, nil
	}
	if version.Compare(newest, *best) > 0 && which == TargetLatest {
		p.Warnings = append(p.Warnings, fmt.Sprintf("PATH-1: %s is newer than %s but the catalog has no supported path to it from %s; overlay the catalog when Cisco publishes one", newest, *best, from))
	}
	if which == TargetSuggested && bestRel.Suggested == nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("PATH-5: no Cisco-suggested release is recorded in the catalog; %s is the latest maintenance release of the newest reachable train", *best))
	}
	return e.routeTo(from, *best)
}

func (e *engine) reachable(g *graph, from, v version.Version) bool {
	if v.IsPatch() {
		if version.SameMaintenance(from, v) {
			return true
		}
		v = v.MaintenanceRelease()
	}
	return g.reaches(v)
}

// describe turns the route into hops with their rules.
func (e *engine) describe(p *Path, from version.Version, route []version.Version) {
	unverified := map[string]bool{}
	note := func(f catalog.Fact, what string) bool {
		if !f.Verified {
			unverified[what+" ("+f.Source+")"] = true
		}
		return f.Verified
	}
	prev := from
	for i, v := range route {
		h := Hop{Version: v.String(), Kind: v.Kind(), Verified: true}
		rel, _ := e.c.Release(v)
		last := i == len(route)-1
		if v.IsPatch() {
			h.Rules = append(h.Rules, fmt.Sprintf("PATH-3: patch %s installs on %s only", v, v.MaintenanceRelease()))
		} else {
			d, _ := e.c.DirectBetween(prev, v)
			h.Verified = note(d.Fact, fmt.Sprintf("direct upgrade %s to %s", prev.Train(), v.Train())) && h.Verified
			if prev.Train() == v.Train() {
				h.Rules = append(h.Rules, fmt.Sprintf("PATH-1: a maintenance upgrade within %s is supported (%s)", v.Train(), d.Source))
			} else {
				h.Rules = append(h.Rules, fmt.Sprintf("PATH-1: %s to %s is a supported direct upgrade (%s)", prev.Train(), v.Train(), d.Source))
			}
		}
		switch ord, f := e.c.WasReleasedBefore(prev, v); ord {
		case catalog.OrderBefore:
			h.Verified = note(f, "release order of "+prev.MaintenanceRelease().String()+" and "+v.String()) && h.Verified
			h.Rules = append(h.Rules, fmt.Sprintf("PATH-4: %s was released after %s (%s)", v, prev.MaintenanceRelease(), f.Source))
		case catalog.OrderUnknown:
			if !v.IsPatch() {
				h.Verified = false
				h.Rules = append(h.Rules, fmt.Sprintf("PATH-4: release order of %s and %s is not in the catalog; check the release notes", prev.MaintenanceRelease(), v))
				unverified["release order of "+prev.MaintenanceRelease().String()+" and "+v.String()] = true
			}
		}
		if !v.IsPatch() {
			h.Rules = append(h.Rules, e.path5(v, last))
		}
		if v.Train() == "7.4" && e.product == catalog.ProductThreatDefense {
			h.Rules = append(h.Rules, "PATH-2: threat defense goes to 7.4.1 or later, never 7.4.0")
		}
		_, sf := e.supports(v)
		h.Verified = note(sf, e.fam.Name+" support range") && h.Verified
		if rel != nil {
			if rel.ReleaseDate != nil {
				h.ReleaseDate = rel.ReleaseDate.Value
			}
			if b, ok := rel.BuildFor(e.product); ok {
				h.Build = b.Value
				h.Verified = note(b.Fact, "build "+v.String()+"-"+fmt.Sprint(b.Value)) && h.Verified
			}
		}
		if h.Build > 0 {
			vb := v
			vb.Build = h.Build
			if pn, err := e.c.PackageName(e.fam, vb, ""); err == nil {
				h.PackageFilename = pn.FileName
				h.Verified = note(pn.Fact, e.fam.Name+" package naming") && h.Verified
				h.Rules = append(h.Rules, "PKG-1: "+pn.FileName)
			}
		} else {
			h.Rules = append(h.Rules, fmt.Sprintf("PKG-1: the build of %s is not in the catalog, so its package name is unknown; find it on Cisco's download page or add it with catalog_file", v))
			p.Warnings = append(p.Warnings, fmt.Sprintf("PKG-1: %s has no build in the catalog; its package file name cannot be given", v))
		}
		if e.product == catalog.ProductThreatDefense {
			if e.chassis {
				h.Rules = append(h.Rules, "ORDER-4: the multi-instance chassis upgrade uses this threat defense package, run from the management center, before the instances")
			} else {
				h.Rules = append(h.Rules, fmt.Sprintf("ORDER-2: the management center must already run %s or later", v.MaintenanceRelease()))
			}
		}
		if e.fam.Chassis == catalog.ChassisFXOS && e.product == catalog.ProductThreatDefense && !v.IsPatch() {
			if w := e.companion(&h, v, note); w != "" {
				p.Warnings = append(p.Warnings, w)
			}
		}
		p.Hops = append(p.Hops, h)
		prev = v
	}
	if len(unverified) > 0 {
		list := make([]string, 0, len(unverified))
		for k := range unverified {
			list = append(list, k)
		}
		sort.Strings(list)
		p.Warnings = append(p.Warnings, "this path relies on unverified catalog data: "+strings.Join(list, "; "))
	}
}

// path5 explains why the hop lands on this release of its train.
func (e *engine) path5(v version.Version, last bool) string {
	newer := ""
	for _, r := range e.releases() {
		rv := r.V()
		if rv.Train() == v.Train() && !rv.IsPatch() && version.Compare(rv, v) > 0 && !e.installOnly(rv) {
			newer = rv.String()
		}
	}
	switch {
	case newer == "":
		return fmt.Sprintf("PATH-5: %s is the latest %s maintenance release", v, v.Train())
	case last:
		return fmt.Sprintf("PATH-5: %s is the requested target; %s is the latest %s maintenance release", v, newer, v.Train())
	default:
		return fmt.Sprintf("PATH-5: %s is the latest %s release that keeps the next hop released after it (%s is newer)", v, v.Train(), newer)
	}
}

// companion adds the FXOS companion of hop v (ORDER-4) and returns a
// warning when the catalog cannot name its package.
func (e *engine) companion(h *Hop, v version.Version, note func(catalog.Fact, string) bool) string {
	co, ok := e.c.Companion(v.Train())
	if !ok {
		h.Verified = false
		h.Rules = append(h.Rules, fmt.Sprintf("ORDER-4: the FXOS companion of %s is not in the catalog; check the FXOS compatibility guide before upgrading", v.Train()))
		return fmt.Sprintf("ORDER-4: no FXOS companion of %s is in the catalog", v.Train())
	}
	h.Verified = note(co.Fact, "FXOS companion of "+v.Train()) && h.Verified
	h.FXOSVersion = co.FXOS
	if m, ok := co.MinimumVersion(); ok {
		h.FXOSMinimum = m.String()
	}
	if r, ok := e.c.LatestFXOSBuild(co.FXOSVersion().Train()); ok {
		h.FXOSRecommended = r.Version
		if name, err := r.V().PackageFilename(); err == nil {
			h.FXOSPackageFilename = name
		}
	}
	h.Rules = append(h.Rules, fmt.Sprintf("ORDER-4: upgrade the chassis to FXOS %s first; threat defense %s is blocked until then", co.FXOS, v))
	if h.FXOSPackageFilename == "" {
		return fmt.Sprintf("PKG-1: no FXOS %s build is in the catalog, so the chassis package for %s cannot be named; use the latest %s build Cisco publishes", co.FXOS, v, co.FXOS)
	}
	return ""
}
