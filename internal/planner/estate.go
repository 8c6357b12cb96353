package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// ManagementCenter is the management center of an estate. With HAPeer set it
// is a high availability pair: Name is the active peer, HAPeer the standby,
// both on Version.
type ManagementCenter struct {
	Name    string
	Version string
	HAPeer  string
}

// Chassis is a chassis that hosts threat defense instances: a Firepower
// 4100/9300 (Platform firepower_4100 or firepower_9300, Version its FXOS
// version) or a Secure Firewall 3100/4200 in multi-instance mode (Platform
// secure_firewall_3100 or secure_firewall_4200, Version the threat defense
// version of its chassis software).
type Chassis struct {
	Name     string
	Platform string
	Version  string
}

// Device is a threat defense device. Chassis names the chassis hosting it,
// if any; MultiInstance is implied on a 3100/4200 chassis.
type Device struct {
	Name          string
	Platform      string
	Version       string
	Chassis       string
	MultiInstance bool
}

// HAPair is a threat defense high availability pair. Active names the
// active unit; empty means the primary.
type HAPair struct {
	Name      string
	Primary   string
	Secondary string
	Active    string
}

// Cluster is a threat defense cluster. Whether it is intra- or
// inter-chassis follows from the chassis of its units.
type Cluster struct {
	Name    string
	Control string
	Data    []string
}

// Estate is everything a plan covers.
type Estate struct {
	ManagementCenter ManagementCenter
	Chassis          []Chassis
	Devices          []Device
	HAPairs          []HAPair
	Clusters         []Cluster
}

// Chassis upgrade options for multi-instance high availability (HA-5,
// Table 4).
const (
	MultiInstanceTwoWorkflows = "two_workflows"
	MultiInstanceSerial       = "serial"
	MultiInstanceParallel     = "parallel"
)

// Targets are what an estate is upgraded to.
type Targets struct {
	// ThreatDefense is a version, TargetLatest or TargetSuggested.
	ThreatDefense string
	// ManagementCenter defaults to ThreatDefense, or, when that is a
	// threat defense-only release, to the oldest management center release
	// that can manage it.
	ManagementCenter string
	// Chassis is an FXOS version for Firepower 4100/9300 chassis; by default
	// each chassis goes only as far as the FXOS companion its devices need.
	Chassis string
	// MaxParallel caps the chassis and threat defense upgrades in one wave;
	// 0 is unlimited.
	MaxParallel int
	// MultiInstanceHA is MultiInstanceTwoWorkflows (default),
	// MultiInstanceSerial or MultiInstanceParallel.
	MultiInstanceHA string
	// AcknowledgeParallelHA must be set for MultiInstanceParallel when the
	// estate has multi-instance HA pairs (HA-5).
	AcknowledgeParallelHA bool
}

// Step actions.
const (
	ActionBackup                  = "backup"
	ActionCopyPackage             = "copy_package"
	ActionReadinessCheck          = "readiness_check"
	ActionUpgradeManagementCenter = "upgrade_management_center"
	ActionUpgradeChassis          = "upgrade_chassis"
	ActionSwitchHARoles           = "switch_ha_roles"
	ActionMoveClusterControl      = "move_cluster_control"
	ActionUpgradeThreatDefense    = "upgrade_threat_defense"
	ActionDeployConfiguration     = "deploy_configuration"
	ActionVerify                  = "verify"
)

// Fields of an estate plan a RuleError can point at, besides the indexed
// estate paths such as "devices[3].chassis" or "ha_pairs[0].secondary".
const (
	FieldTargetVersion          = "target_version"
	FieldManagementCenterTarget = "management_center_target_version"
	FieldChassisTarget          = "chassis_target_version"
	FieldMaxParallel            = "max_parallel"
	FieldMultiInstanceHA        = "multi_instance_ha"
)

// Step is one action of an estate plan.
type Step struct {
	// Order is the position in the plan, from 1; it follows Wave.
	Order int
	// Wave groups steps that may run together; waves run one after another.
	Wave   int
	Action string
	// Target is the unit, HA pair, cluster or chassis acted on; for
	// copy_package the package file name.
	Target string
	// From and To are versions; for switch_ha_roles and
	// move_cluster_control they are the unit names the role moves between.
	From, To string
	// Rules each start with the rule id they follow ("ORDER-4: ...").
	// Steps of one plan may share the slice: copy it before changing it.
	Rules []string
	Note  string
	// Units are the devices or chassis the step touches: the members of a
	// pair (standby first) or cluster (control last), or where a package is
	// copied to.
	Units []string
	// After lists the Orders of the steps this one waits for.
	After []int
}

// EstatePlan is the ordered, waved plan for an estate.
type EstatePlan struct {
	Steps    []Step
	Waves    int
	Warnings []string
	// UnitPaths maps every unit (management center and peer, device,
	// chassis) to its versions: the current one, then every landing point.
	UnitPaths map[string][]string
	// Packages are the upgrade package file names the plan needs.
	Packages []string
	// CriticalPath is the number of waves the dependencies alone force: a
	// lower bound on Waves that MaxParallel can only raise.
	CriticalPath int
	// Shortfalls maps each device that does not reach the target to the
	// reason; every reason starts a warning.
	Shortfalls map[string]string

	maxParallel int
}

// MaxParallel is the cap on chassis and threat defense upgrades running at
// once that the plan was made with; 0 is unlimited.
func (p *EstatePlan) MaxParallel() int { return p.maxParallel }

// CriticalPathDuration is the longest chain of step durations along the
// plan's dependencies, where least gives each step's shortest possible
// duration: however many steps an executor runs at once, it cannot finish
// the plan sooner. CriticalPath counts the same chain in waves.
func (p *EstatePlan) CriticalPathDuration(least func(Step) time.Duration) time.Duration {
	var longest time.Duration
	for _, f := range p.EarliestFinish(least) {
		longest = max(longest, f)
	}
	return longest
}

// EarliestFinish maps each step's Order to the soonest it can end after the
// plan starts, given each step's least duration: the end of the longest
// chain of dependencies leading to it and through it.
func (p *EstatePlan) EarliestFinish(least func(Step) time.Duration) map[int]time.Duration {
	finish := make(map[int]time.Duration, len(p.Steps))
	for _, s := range p.Steps { // a step waits only for steps before it
		var start time.Duration
		for _, a := range s.After {
			start = max(start, finish[a])
		}
		finish[s.Order] = start + least(s)
	}
	return finish
}

// Group kinds.
const (
	kindStandalone = iota
	kindPair
	kindCluster
)

// chassis kinds of a group or chassis.
const (
	chassisNone = iota
	chassisFXOS
	chassisMI
)

// dev is one validated device.
type dev struct {
	name    string
	field   string // "devices[3]"
	fam     *catalog.Family
	v       version.Version
	chassis int // -1 when not on a declared chassis
	mi      bool
	group   int
}

// chas is one validated chassis with its simulated state.
type chas struct {
	name   string
	field  string
	fam    *catalog.Family
	kind   int
	fx     version.FXOS    // chassisFXOS
	tv     version.Version // chassisMI
	groups []int           // groups with a unit on it, in group order
	tail   int             // node of its last step, -1 before any
	path   []string
	// ha is set when the chassis hosts units of a pair or cluster that
	// spans chassis: it is upgraded one at a time with its peers (HA-1).
	ha bool
}

// grp is a standalone device, an HA pair or a cluster: the unit threat
// defense upgrades act on.
type grp struct {
	kind    int
	name    string
	field   string
	members []int // pair: primary, secondary; cluster: control, data...
	active  int   // pair: device index of the active unit
	control int   // cluster: device index of the control unit
	fam     *catalog.Family
	chassis []int // distinct chassis of the members, in member order
	ckind   int
	v       version.Version
	final   version.Version
	hops    []ghop
	next    int // next hop to emit
	queued  int // hops[next:queued] may run in the current epoch
	tail    int
	deploy  bool   // the tail is a deploy after the last upgrade (READY-2)
	haTail  int    // last gate between two of its chassis (HA-1)
	first   int    // smallest member device index, for a stable order
	mode    string // multi-instance HA option for a pair spanning chassis
}

type ghop struct {
	v     version.Version
	epoch int // the management center epoch the hop is planned in
	hop   *Hop
}

// multiChassis reports whether the group spans chassis, so that its chassis
// upgrade one at a time (HA-1).
func (g *grp) multiChassis() bool { return len(g.chassis) > 1 }

type estateInput struct {
	c       *catalog.Catalog
	e       Estate
	t       Targets
	mcName  string
	mcV     version.Version
	devs    []dev
	chs     []chas
	grps    []grp
	byName  map[string]string // name -> what it names, for uniqueness
	devIdx  map[string]int
	chIdx   map[string]int
	mode    string
	tdKw    string // lower-cased keyword target, or ""
	tdV     version.Version
	chT     version.FXOS
	hasChT  bool
	mcKw    string
	mcT     version.Version
	mcTSet  bool // a management center target was given or derived as a version
	mcField string
}

func fieldf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// validate checks the estate and targets and indexes them.
func validate(c *catalog.Catalog, e Estate, t Targets) (*estateInput, error) {
	names := 2 + len(e.Chassis) + len(e.Devices) + len(e.HAPairs) + len(e.Clusters)
	in := &estateInput{c: c, e: e, t: t, byName: make(map[string]string, names), devIdx: make(map[string]int, len(e.Devices)), chIdx: make(map[string]int, len(e.Chassis))}
	if err := in.validateTargets(); err != nil {
		return nil, err
	}
	if err := in.validateManagementCenter(); err != nil {
		return nil, err
	}
	if err := in.validateChassis(); err != nil {
		return nil, err
	}
	if err := in.validateDevices(); err != nil {
		return nil, err
	}
	if err := in.buildGroups(); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *estateInput) validateTargets() error {
	t := in.t
	kw := strings.ToLower(strings.TrimSpace(t.ThreatDefense))
	switch kw {
	case "":
		return refuse(FieldTargetVersion, "", "set target_version to a version such as 7.6.1, or to latest or suggested", "no threat defense target version")
	case TargetLatest, TargetSuggested:
		in.tdKw = kw
	default:
		v, err := parseVersion(FieldTargetVersion, t.ThreatDefense)
		if err != nil {
			return err
		}
		in.tdV = v
	}
	if s := strings.TrimSpace(t.ManagementCenter); s != "" {
		in.mcField = FieldManagementCenterTarget
		switch k := strings.ToLower(s); k {
		case TargetLatest, TargetSuggested:
			in.mcKw = k
		default:
			v, err := parseVersion(FieldManagementCenterTarget, s)
			if err != nil {
				return err
			}
			in.mcT, in.mcTSet = v, true
		}
	}
	if s := strings.TrimSpace(t.Chassis); s != "" {
		v, err := parseFXOS(FieldChassisTarget, s)
		if err != nil {
			return err
		}
		in.chT, in.hasChT = v, true
	}
	if t.MaxParallel < 0 {
		return refuse(FieldMaxParallel, "", "use 0 for no limit or a positive number", "max_parallel %d is negative", t.MaxParallel)
	}
	switch m := strings.ToLower(strings.TrimSpace(t.MultiInstanceHA)); m {
	case "":
		in.mode = MultiInstanceTwoWorkflows
	case MultiInstanceTwoWorkflows, MultiInstanceSerial, MultiInstanceParallel:
		in.mode = m
	default:
		return refuse(FieldMultiInstanceHA, "HA-5", "use two_workflows (best practice), serial or parallel", "unknown multi-instance HA option %q", t.MultiInstanceHA)
	}
	return nil
}

// claim records a name so that every step target names one thing.
func (in *estateInput) claim(name, field, what string) error {
	if strings.TrimSpace(name) == "" {
		return refuse(field, "", "give every "+what+" a name", "a %s has no name", what)
	}
	if prev, dup := in.byName[name]; dup {
		return refuse(field, "", "names must be unique across the management center, chassis, devices, HA pairs and clusters", "%q is already the name of a %s", name, prev)
	}
	in.byName[name] = what
	return nil
}

func (in *estateInput) validateManagementCenter() error {
	m := in.e.ManagementCenter
	in.mcName = m.Name
	if strings.TrimSpace(in.mcName) == "" {
		in.mcName = "management-center"
	}
	if err := in.claim(in.mcName, "management_center.name", "management center"); err != nil {
		return err
	}
	if m.HAPeer != "" {
		if err := in.claim(m.HAPeer, "management_center.ha_peer", "management center peer"); err != nil {
			return err
		}
	}
	if strings.TrimSpace(m.Version) == "" {
		return refuse("management_center.version", "", "give the version the management center runs, e.g. 7.4.2", "the management center has no version")
	}
	v, err := parseVersion("management_center.version", m.Version)
	if err != nil {
		return err
	}
	fam, _ := in.c.Family("management_center")
	if fam != nil {
		if ok, f := in.c.Supports(fam, v); !ok {
			return refuse("management_center.version", "PATH-6", "the management center runs "+fam.SupportSummary(), "%s is not a supported management center version (%s)", v, f.Source)
		}
	}
	in.mcV = v
	return nil
}

func (in *estateInput) validateChassis() error {
	in.chs = make([]chas, len(in.e.Chassis))
	for i, ch := range in.e.Chassis {
		f := fieldf("chassis[%d]", i)
		if err := in.claim(ch.Name, f+".name", "chassis"); err != nil {
			return err
		}
		fam, ok := in.c.Family(ch.Platform)
		if !ok || fam.Chassis == "" {
			return refuse(f+".platform", "ORDER-4", "use firepower_4100 or firepower_9300 (FXOS), or secure_firewall_3100 or secure_firewall_4200 (multi-instance)",
				"chassis %s: %q is not a chassis platform", ch.Name, ch.Platform)
		}
		x := chas{name: ch.Name, field: f, fam: fam, tail: -1}
		switch fam.Chassis {
		case catalog.ChassisFXOS:
			x.kind = chassisFXOS
			fv, err := parseFXOS(f+".version", ch.Version)
			if err != nil {
				return err
			}
			if !fv.HasMaintenance {
				return refuse(f+".version", "", "give the running FXOS version with its maintenance release, e.g. 2.12.0.498 or 2.12(0.498)", "chassis %s: %s names only a train", ch.Name, fv)
			}
			if fam.ChassisSupport != nil && !fam.ChassisSupport.AllowsFXOS(fv) {
				return refuse(f+".version", "PATH-6", "supported chassis versions: "+fam.ChassisSupport.Versions, "chassis %s: FXOS %s is outside the catalog's range for %s", ch.Name, fv, fam.Name)
			}
			x.fx = fv
			x.path = []string{fv.String()}
		default:
			x.kind = chassisMI
			tv, err := parseVersion(f+".version", ch.Version)
			if err != nil {
				return err
			}
			if fam.ChassisSupport != nil && !fam.ChassisSupport.Allows(tv) {
				return refuse(f+".version", "PATH-6", fam.Name+" runs multi-instance mode on "+fam.ChassisSupport.Versions,
					"chassis %s: %s is outside the catalog's multi-instance range for %s", ch.Name, tv, fam.Name)
			}
			x.tv = tv
			x.path = []string{tv.String()}
		}
		in.chIdx[ch.Name] = i
		in.chs[i] = x
	}
	return nil
}

func (in *estateInput) validateDevices() error {
	in.devs = make([]dev, len(in.e.Devices))
	parsed := map[string]version.Version{}
	type supportKey struct{ family, version string }
	supported := map[supportKey]bool{}
	for i, d := range in.e.Devices {
		f := fieldf("devices[%d]", i)
		if err := in.claim(d.Name, f+".name", "device"); err != nil {
			return err
		}
		fam, ok := in.c.Family(d.Platform)
		if !ok || fam.Product != catalog.ProductThreatDefense {
			return refuse(f+".platform", "PATH-6", "use a threat defense family: "+strings.Join(tdFamilies(in.c), ", "), "device %s: unknown threat defense platform %q", d.Name, d.Platform)
		}
		v, seen := parsed[d.Version]
		if !seen {
			pv, err := parseVersion(f+".version", d.Version)
			if err != nil {
				return err
			}
			v, parsed[d.Version] = pv, pv
		}
		sk := supportKey{fam.ID, d.Version}
		ok, seen = supported[sk]
		if !seen {
			ok, _ = in.c.Supports(fam, v)
			supported[sk] = ok
		}
		if !ok {
			_, sf := in.c.Supports(fam, v)
			return refuse(f+".version", "PATH-6", fam.Name+" runs "+fam.SupportSummary(), "device %s: %s is not supported on %s (%s)", d.Name, v, fam.Name, sf.Source)
		}
		x := dev{name: d.Name, field: f, fam: fam, v: v, chassis: -1, mi: d.MultiInstance, group: -1}
		if d.Chassis != "" {
			ci, ok := in.chIdx[d.Chassis]
			if !ok {
				return refuse(f+".chassis", "ORDER-4", "declare the chassis in chassis, or leave chassis out", "device %s is on chassis %q, which the estate does not declare", d.Name, d.Chassis)
			}
			ch := &in.chs[ci]
			if ch.fam.ID != fam.ID {
				return refuse(f+".platform", "ORDER-4", "a chassis hosts instances of its own platform: use "+ch.fam.ID, "device %s is %s but chassis %s is %s", d.Name, fam.ID, ch.name, ch.fam.ID)
			}
			x.chassis = ci
			if ch.kind == chassisMI {
				x.mi = true
			}
		}
		if x.mi && fam.Chassis != catalog.ChassisMultiInstance {
			return refuse(f+".multi_instance", "ORDER-4", "multi-instance mode exists on secure_firewall_3100 and secure_firewall_4200; leave multi_instance out", "device %s: %s has no multi-instance mode", d.Name, fam.Name)
		}
		in.devIdx[d.Name] = i
		in.devs[i] = x
	}
	return nil
}

func tdFamilies(c *catalog.Catalog) []string {
	var out []string
	for _, id := range c.FamilyIDs() {
		if f, _ := c.Family(id); f.Product == catalog.ProductThreatDefense {
			out = append(out, id)
		}
	}
	return out
}

// member resolves a pair or cluster member and claims it for group gi.
func (in *estateInput) member(name, field, what string, gi int) (int, error) {
	di, ok := in.devIdx[name]
	if !ok {
		if name == "" {
			return 0, refuse(field, "", "name a device declared in devices", "%s has no unit", what)
		}
		return 0, refuse(field, "", "name a device declared in devices", "%s: unknown unit %q", what, name)
	}
	d := &in.devs[di]
	if d.group >= 0 {
		return 0, refuse(field, "HA-1", "a device belongs to at most one HA pair or cluster", "%s: %s is already in %s", what, name, in.grps[d.group].name)
	}
	d.group = gi
	return di, nil
}

func (in *estateInput) buildGroups() error {
	for i, p := range in.e.HAPairs {
		f := fieldf("ha_pairs[%d]", i)
		what := "HA pair " + p.Name
		if err := in.claim(p.Name, f+".name", "HA pair"); err != nil {
			return err
		}
		gi := len(in.grps)
		in.grps = append(in.grps, grp{kind: kindPair, name: p.Name, field: f})
		a, err := in.member(p.Primary, f+".primary", what, gi)
		if err != nil {
			return err
		}
		b, err := in.member(p.Secondary, f+".secondary", what, gi)
		if err != nil {
			return err
		}
		g := &in.grps[gi]
		g.members = []int{a, b}
		if err := in.sameKind(g, f+".secondary", 1); err != nil {
			return err
		}
		switch p.Active {
		case "", p.Primary:
			g.active = a
		case p.Secondary:
			g.active = b
		default:
			return refuse(f+".active", "HA-3", "name the primary or the secondary", "%s: active unit %q is not a member", what, p.Active)
		}
	}
	for i, cl := range in.e.Clusters {
		f := fieldf("clusters[%d]", i)
		what := "cluster " + cl.Name
		if err := in.claim(cl.Name, f+".name", "cluster"); err != nil {
			return err
		}
		gi := len(in.grps)
		in.grps = append(in.grps, grp{kind: kindCluster, name: cl.Name, field: f})
		ctl, err := in.member(cl.Control, f+".control", what, gi)
		if err != nil {
			return err
		}
		members := []int{ctl}
		if len(cl.Data) == 0 {
			return refuse(f+".data", "", "list the data units", "%s has no data units", what)
		}
		for j, name := range cl.Data {
			di, err := in.member(name, fieldf("%s.data[%d]", f, j), what, gi)
			if err != nil {
				return err
			}
			members = append(members, di)
		}
		g := &in.grps[gi]
		g.members, g.control = members, ctl
		for j := 1; j < len(members); j++ {
			if err := in.sameKind(g, fieldf("%s.data[%d]", f, j-1), j); err != nil {
				return err
			}
		}
	}
	for di := range in.devs {
		if in.devs[di].group >= 0 {
			continue
		}
		in.devs[di].group = len(in.grps)
		in.grps = append(in.grps, grp{kind: kindStandalone, name: in.devs[di].name, field: in.devs[di].field, members: []int{di}})
	}
	for gi := range in.grps {
		g := &in.grps[gi]
		d0 := &in.devs[g.members[0]]
		g.fam, g.v, g.tail, g.haTail, g.first = d0.fam, d0.v, -1, -1, g.members[0]
		for _, m := range g.members {
			d := &in.devs[m]
			g.first = min(g.first, m)
			if d.chassis >= 0 && !slices.Contains(g.chassis, d.chassis) {
				g.chassis = append(g.chassis, d.chassis)
				in.chs[d.chassis].groups = append(in.chs[d.chassis].groups, gi)
			}
		}
		if len(g.chassis) > 0 {
			g.ckind = in.chs[g.chassis[0]].kind
		}
		if g.multiChassis() {
			for _, ci := range g.chassis {
				in.chs[ci].ha = true
			}
		}
		if g.kind == kindPair && g.ckind == chassisMI && g.multiChassis() {
			g.mode = in.mode
			if in.mode == MultiInstanceParallel && !in.t.AcknowledgeParallelHA {
				return refuse(FieldMultiInstanceHA, "HA-5", "use two_workflows (best practice) or serial with the standby first, or set acknowledge_parallel_ha to accept that both units of a pair go down together",
					"parallel chassis upgrade is not recommended for high availability: HA pair %s would lose both units at once", g.name)
			}
		}
	}
	return nil
}

// sameKind refuses a group whose member j differs from the first in
// family, version or mode: such units cannot form a pair or cluster.
func (in *estateInput) sameKind(g *grp, field string, j int) error {
	a, b := &in.devs[g.members[0]], &in.devs[g.members[j]]
	what := "HA pair " + g.name
	if g.kind == kindCluster {
		what = "cluster " + g.name
	}
	switch {
	case a.fam.ID != b.fam.ID:
		return refuse(field, "HA-1", "pair or cluster units of one family only (one package per family, PKG-1)", "%s mixes %s (%s) and %s (%s)", what, a.name, a.fam.ID, b.name, b.fam.ID)
	case a.v.String() != b.v.String():
		return refuse(field, "HA-1", "bring the units to the same version first: units of a healthy pair or cluster run the same version", "%s mixes %s on %s and %s on %s", what, a.name, a.v, b.name, b.v)
	case a.mi != b.mi:
		return refuse(field, "HA-1", "pair or cluster units must all be multi-instance or all native", "%s mixes multi-instance and native units", what)
	}
	return nil
}
