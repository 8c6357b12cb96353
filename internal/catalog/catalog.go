// Package catalog holds what is known about Cisco Secure Firewall releases:
// which versions exist for which product, their builds and dates, the
// direct-upgrade matrix, FXOS companions, platform support and package
// naming. The data is embedded JSON, not code, so that users can overlay it
// from a file when Cisco ships a release this provider does not know yet.
//
// Every fact carries the source it came from and whether that source states
// it (verified) or it was inferred. The planner reports unverified facts it
// relies on so that a reviewer can weigh them.
package catalog

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/Masterminds/semver/v3"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Products a release or family applies to.
const (
	ProductManagementCenter = "management_center"
	ProductThreatDefense    = "threat_defense"
	ProductChassis          = "chassis"
)

// Chassis kinds of a threat defense family.
const (
	ChassisFXOS          = "fxos"           // Firepower 4100/9300: FXOS is upgraded separately.
	ChassisMultiInstance = "multi_instance" // Secure Firewall 3100/4200 in multi-instance mode.
)

//go:embed data/catalog.json
var embedded []byte

// Fact is the provenance every catalog entry carries.
type Fact struct {
	Source   string `json:"source"`
	Verified bool   `json:"verified"`
	Note     string `json:"note,omitempty"`
}

// Source describes one reference a fact may cite.
type Source struct {
	Title    string `json:"title"`
	Location string `json:"location"`
}

// Build is a build number of a release, optionally for one product only
// (the management center and threat defense builds of a release can differ).
type Build struct {
	Product string `json:"product,omitempty"`
	Value   int    `json:"value"`
	Fact
}

// Date is a release date, YYYY-MM-DD.
type Date struct {
	Value string `json:"value"`
	Fact
}

// Release is one management center / threat defense version.
type Release struct {
	Version  string   `json:"version"`
	Products []string `json:"products"`
	// Platforms, when set, limits the release to these families (7.4.0
	// shipped for the Secure Firewall 4200 and the management center only).
	Platforms   []string `json:"platforms,omitempty"`
	Builds      []Build  `json:"builds,omitempty"`
	ReleaseDate *Date    `json:"release_date,omitempty"`
	// Suggested marks a release Cisco labels "suggested" on the Product
	// Upgrades page. The embedded data has none (the labels could not be
	// sourced); an overlay can set them.
	Suggested *Fact `json:"suggested,omitempty"`
	Fact

	v version.Version
}

// V is the parsed version.
func (r *Release) V() version.Version { return r.v }

// HasProduct reports whether the release exists for product.
func (r *Release) HasProduct(product string) bool {
	return contains(r.Products, product)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BuildFor returns the build of the release for product, preferring a
// product-specific entry over a generic one.
func (r *Release) BuildFor(product string) (Build, bool) {
	var generic *Build
	for i := range r.Builds {
		b := &r.Builds[i]
		if b.Product == product {
			return *b, true
		}
		if b.Product == "" && generic == nil {
			generic = b
		}
	}
	if generic != nil {
		return *generic, true
	}
	return Build{}, false
}

// VersionRange is an inclusive range of maintenance releases.
type VersionRange struct {
	From string `json:"from"`
	To   string `json:"to"`

	from, to version.Version
}

// Contains reports whether v's maintenance release lies in the range.
func (r VersionRange) Contains(v version.Version) bool {
	m := v.MaintenanceRelease()
	return version.Compare(r.from, m) <= 0 && version.Compare(m, r.to) <= 0
}

// ReleasedBeforeRow lists the maintenance releases that came out before a
// target (Table 2 of the upgrade guide). A current version of a train the
// row covers but that is not listed was released after the target.
type ReleasedBeforeRow struct {
	Target         string         `json:"target"`
	ReleasedBefore []VersionRange `json:"released_before"`
	Fact

	target version.Version
}

// covers reports whether the row speaks about v's train at all.
func (r *ReleasedBeforeRow) covers(v version.Version) bool {
	t := trainOf(v)
	for _, rg := range r.ReleasedBefore {
		if trainOf(rg.from) == t || trainOf(rg.to) == t {
			return true
		}
	}
	return false
}

// train is a major.minor release train as a map key.
type train [2]int

func trainOf(v version.Version) train { return train{v.Major, v.Minor} }

// key is the catalog's identity of a release: the version without its build.
func key(v version.Version) version.Version {
	v.Build = 0
	return v
}

// ReleaseOrder is the chronological order of releases, used where dates are
// unknown.
type ReleaseOrder struct {
	Versions []string `json:"versions"`
	Fact
}

// DirectUpgrade is one row of the direct-upgrade matrix: from a train to the
// trains it can be upgraded to in one step.
type DirectUpgrade struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	Fact
}

// FXOSCompanion is the FXOS version a Firepower 4100/9300 chassis needs for
// a threat defense train.
type FXOSCompanion struct {
	Train   string `json:"train"`
	FXOS    string `json:"fxos"`
	Minimum string `json:"minimum,omitempty"`
	Fact

	fxos, minimum version.FXOS
}

// FXOSVersion is the parsed companion train.
func (c *FXOSCompanion) FXOSVersion() version.FXOS { return c.fxos }

// MinimumVersion is the parsed minimum build, if known.
func (c *FXOSCompanion) MinimumVersion() (version.FXOS, bool) {
	return c.minimum, c.Minimum != ""
}

// FXOSRelease is one known FXOS build.
type FXOSRelease struct {
	Version string `json:"version"`
	Fact

	v version.FXOS
}

// V is the parsed FXOS version.
func (r *FXOSRelease) V() version.FXOS { return r.v }

// ManagedDevices says how old a device a management center train manages.
type ManagedDevices struct {
	ManagementCenter string `json:"management_center"`
	OldestDevice     string `json:"oldest_device"`
	Fact

	oldest version.Version
}

// Oldest is the parsed oldest manageable device version.
func (m *ManagedDevices) Oldest() version.Version { return m.oldest }

// Support is a version constraint (Masterminds syntax) with provenance.
type Support struct {
	Versions string `json:"versions"`
	Fact

	constraint *semver.Constraints
}

// Allows reports whether v's major.minor.maintenance meets the constraint.
func (s *Support) Allows(v version.Version) bool {
	return s.constraint != nil && s.constraint.Check(v.Core())
}

// AllowsFXOS is Allows for a chassis version.
func (s *Support) AllowsFXOS(v version.FXOS) bool {
	return s.constraint != nil && s.constraint.Check(semver.New(uint64(max(v.Major, 0)), uint64(max(v.Minor, 0)), uint64(max(v.Maintenance, 0)), "", ""))
}

// Naming gives the package file name templates for a range of versions.
// Templates use {version}, {build} and {hotfix}.
type Naming struct {
	Versions string `json:"versions"`
	Upgrade  string `json:"upgrade"`
	Patch    string `json:"patch"`
	Hotfix   string `json:"hotfix"`
	Fact

	constraint *semver.Constraints
}

// Family is a platform family: one package per family (PKG-1).
type Family struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Product        string      `json:"product"`
	Chassis        string      `json:"chassis,omitempty"`
	Support        []Support   `json:"support"`
	ChassisSupport *Support    `json:"chassis_support,omitempty"`
	Packages       []Naming    `json:"packages"`
	Spellings      [][2]string `json:"spellings,omitempty"`
	// Models are case-insensitive patterns matched against the model name
	// or number a management center reports for a unit of this family.
	Models []string `json:"models,omitempty"`
	Note   string   `json:"note,omitempty"`

	models []*regexp.Regexp
}

// Catalog is the whole data set, validated and indexed.
type Catalog struct {
	SchemaVersion  int                 `json:"schema_version"`
	Sources        map[string]Source   `json:"sources"`
	Releases       []*Release          `json:"releases"`
	ReleaseOrder   ReleaseOrder        `json:"release_order"`
	ReleasedBefore []ReleasedBeforeRow `json:"released_before"`
	DirectUpgrades []DirectUpgrade     `json:"direct_upgrades"`
	FXOSCompanions []FXOSCompanion     `json:"fxos_companions"`
	FXOSReleases   []FXOSRelease       `json:"fxos_releases"`
	ManagedDevices []ManagedDevices    `json:"managed_devices"`
	Families       []Family            `json:"families"`

	byVersion  map[version.Version]*Release // keyed by key()
	order      map[version.Version]int
	families   map[string]*Family
	rowsFor    map[version.Version][]*ReleasedBeforeRow
	matrix     map[train]map[train]*DirectUpgrade
	companions map[string]*FXOSCompanion
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the embedded catalog. It is parsed once and must not be
// modified by callers.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() {
		defaultCat, defaultErr = decode(embedded, "embedded catalog")
	})
	return defaultCat, defaultErr
}

// Release returns the release with exactly v's version (build ignored).
func (c *Catalog) Release(v version.Version) (*Release, bool) {
	r, ok := c.byVersion[key(v)]
	return r, ok
}

// ReleasesFor returns the releases of product that family supports, oldest
// first. An empty family means any family of the product.
func (c *Catalog) ReleasesFor(product, family string) []*Release {
	var out []*Release
	var fam *Family
	if family != "" {
		fam = c.families[family]
	}
	for _, r := range c.Releases {
		if !r.HasProduct(product) {
			continue
		}
		if fam != nil {
			if ok, _ := c.Supports(fam, r.v); !ok {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// Family looks a platform family up by id.
func (c *Catalog) Family(id string) (*Family, bool) {
	f, ok := c.families[id]
	return f, ok
}

// FamilyIDs lists the family ids, sorted.
func (c *Catalog) FamilyIDs() []string {
	ids := make([]string, 0, len(c.families))
	for id := range c.families {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Supports reports whether family supports v (PATH-6), with the fact that
// decided: the family's support range and, for a known release limited to
// some platforms, that limit.
func (c *Catalog) Supports(f *Family, v version.Version) (bool, Fact) {
	if r, ok := c.byVersion[key(v)]; ok && len(r.Platforms) > 0 && !contains(r.Platforms, f.ID) {
		return false, r.Fact
	}
	for i := range f.Support {
		if f.Support[i].Allows(v) {
			return true, f.Support[i].Fact
		}
	}
	if len(f.Support) > 0 {
		return false, f.Support[0].Fact
	}
	return false, Fact{}
}

// FamilyForModel finds the family of a unit from the model name or number a
// management center reports ("Cisco Firepower 4115 Threat Defense",
// "FPR-4115-K9"). Families are tried in catalog order, so the management
// center, whose virtual model names mention a hypervisor too, comes first.
func (c *Catalog) FamilyForModel(model string) (*Family, bool) {
	for i := range c.Families {
		f := &c.Families[i]
		for _, re := range f.models {
			if re.MatchString(model) {
				return f, true
			}
		}
	}
	return nil, false
}

// SupportSummary describes the supported range of a family for messages.
func (f *Family) SupportSummary() string {
	s := ""
	for i, sp := range f.Support {
		if i > 0 {
			s += " or "
		}
		s += sp.Versions
	}
	return s
}

// Direct returns the direct-upgrade row allowing fromTrain → toTrain
// ("7.2" → "7.6").
func (c *Catalog) Direct(fromTrain, toTrain string) (*DirectUpgrade, bool) {
	a, ok1 := parseTrain(fromTrain)
	b, ok2 := parseTrain(toTrain)
	if !ok1 || !ok2 {
		return nil, false
	}
	d, ok := c.matrix[a][b]
	return d, ok
}

// HasPathInto reports whether any other train upgrades directly into v's
// train, i.e. whether v can be reached by an upgrade at all.
func (c *Catalog) HasPathInto(v version.Version) bool {
	t := trainOf(v)
	for from, targets := range c.matrix {
		if _, ok := targets[t]; ok && from != t {
			return true
		}
	}
	return false
}

// DirectBetween is Direct for the trains of two versions.
func (c *Catalog) DirectBetween(from, to version.Version) (*DirectUpgrade, bool) {
	d, ok := c.matrix[trainOf(from)][trainOf(to)]
	return d, ok
}

// Companion returns the FXOS companion of a threat defense train.
func (c *Catalog) Companion(train string) (*FXOSCompanion, bool) {
	co, ok := c.companions[train]
	return co, ok
}

// LatestFXOSBuild returns the newest known FXOS build of the companion's
// train (the guide recommends the latest build of the FXOS version).
func (c *Catalog) LatestFXOSBuild(train string) (*FXOSRelease, bool) {
	var best *FXOSRelease
	for i := range c.FXOSReleases {
		r := &c.FXOSReleases[i]
		if r.v.Train() != train {
			continue
		}
		if best == nil || version.CompareFXOS(best.v, r.v) < 0 {
			best = r
		}
	}
	return best, best != nil
}

// OldestManaged returns how old a device a management center of train can
// manage.
func (c *Catalog) OldestManaged(train string) (*ManagedDevices, bool) {
	for i := range c.ManagedDevices {
		if c.ManagedDevices[i].ManagementCenter == train {
			return &c.ManagedDevices[i], true
		}
	}
	return nil, false
}

// Order is the answer to "was a released before b?".
type Order int

// Possible answers of ReleasedBefore.
const (
	OrderUnknown Order = iota
	OrderBefore
	OrderNotBefore
)

// WasReleasedBefore reports whether the maintenance release of current came out
// before target (PATH-4), using in turn: a Table 2 row for target, release
// dates, and the inferred release order. The fact says which decided.
func (c *Catalog) WasReleasedBefore(current, target version.Version) (Order, Fact) {
	cur := current.MaintenanceRelease()
	tgt := target.MaintenanceRelease()
	if target.IsPatch() {
		tgt = target
	}
	for _, row := range c.rowsFor[key(tgt)] {
		if !row.covers(cur) {
			continue
		}
		for _, rg := range row.ReleasedBefore {
			if rg.Contains(cur) {
				return OrderBefore, row.Fact
			}
		}
		return OrderNotBefore, row.Fact
	}
	cr, ok1 := c.byVersion[key(cur)]
	tr, ok2 := c.byVersion[key(tgt)]
	if ok1 && ok2 && cr.ReleaseDate != nil && tr.ReleaseDate != nil {
		f := Fact{
			Source:   cr.ReleaseDate.Source + "; " + tr.ReleaseDate.Source,
			Verified: cr.ReleaseDate.Verified && tr.ReleaseDate.Verified,
		}
		if cr.ReleaseDate.Value < tr.ReleaseDate.Value {
			return OrderBefore, f
		}
		return OrderNotBefore, f
	}
	ci, ok1 := c.order[key(cur)]
	ti, ok2 := c.order[key(tgt)]
	if ok1 && ok2 {
		if ci < ti {
			return OrderBefore, c.ReleaseOrder.Fact
		}
		return OrderNotBefore, c.ReleaseOrder.Fact
	}
	return OrderUnknown, Fact{}
}

// SourceTitle names a source id for messages, or returns the id itself.
func (c *Catalog) SourceTitle(id string) string {
	if s, ok := c.Sources[id]; ok {
		return s.Title
	}
	return id
}

func (c *Catalog) String() string {
	return fmt.Sprintf("catalog: %d releases, %d families", len(c.Releases), len(c.families))
}
