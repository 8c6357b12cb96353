package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// SchemaVersion is the catalog format this provider reads.
const SchemaVersion = 1

// maxProblems bounds the list of validation problems reported at once.
const maxProblems = 20

// LoadOverlay returns the embedded catalog with the overlay file at path
// merged over it. Entries in the overlay replace or extend embedded ones:
// releases merge field by field by version; released_before rows, FXOS
// companions, managed_devices rows and families replace the entry with the
// same key; direct_upgrades, FXOS releases and sources are added.
func LoadOverlay(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalog overlay: %w", err)
	}
	return WithOverlay(data, path)
}

// WithOverlay merges overlay (JSON in the catalog format) over the embedded
// catalog; name labels error messages.
func WithOverlay(overlay []byte, name string) (*Catalog, error) {
	base, err := decodeRaw(embedded, "embedded catalog")
	if err != nil {
		return nil, err
	}
	over, err := decodeRaw(overlay, name)
	if err != nil {
		return nil, err
	}
	if over.SchemaVersion != 0 && over.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d is not supported (this provider reads %d)", name, over.SchemaVersion, SchemaVersion)
	}
	merge(base, over)
	if err := base.index(name); err != nil {
		return nil, err
	}
	return base, nil
}

func decode(data []byte, name string) (*Catalog, error) {
	c, err := decodeRaw(data, name)
	if err != nil {
		return nil, err
	}
	if c.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d is not supported (this provider reads %d)", name, c.SchemaVersion, SchemaVersion)
	}
	if err := c.index(name); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeRaw(data []byte, name string) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", name, describeJSONError(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: unexpected data after the JSON document", name)
	}
	return &c, nil
}

// describeJSONError adds the line number to syntax and type errors, which
// encoding/json reports only as a byte offset.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}

func merge(base, over *Catalog) {
	if base.Sources == nil {
		base.Sources = map[string]Source{}
	}
	for id, s := range over.Sources {
		base.Sources[id] = s
	}
	for _, or := range over.Releases {
		if or == nil {
			continue
		}
		if br := findRelease(base.Releases, or.Version); br != nil {
			mergeRelease(br, or)
		} else {
			base.Releases = append(base.Releases, or)
		}
	}
	if len(over.ReleaseOrder.Versions) > 0 {
		base.ReleaseOrder = over.ReleaseOrder
	}
	for _, row := range over.ReleasedBefore {
		base.ReleasedBefore = replaceOrAppend(base.ReleasedBefore, row, func(a, b ReleasedBeforeRow) bool { return a.Target == b.Target })
	}
	base.DirectUpgrades = append(base.DirectUpgrades, over.DirectUpgrades...)
	for _, co := range over.FXOSCompanions {
		base.FXOSCompanions = replaceOrAppend(base.FXOSCompanions, co, func(a, b FXOSCompanion) bool { return a.Train == b.Train })
	}
	for _, fr := range over.FXOSReleases {
		base.FXOSReleases = replaceOrAppend(base.FXOSReleases, fr, func(a, b FXOSRelease) bool { return a.Version == b.Version })
	}
	for _, m := range over.ManagedDevices {
		base.ManagedDevices = replaceOrAppend(base.ManagedDevices, m, func(a, b ManagedDevices) bool { return a.ManagementCenter == b.ManagementCenter })
	}
	for _, f := range over.Families {
		base.Families = replaceOrAppend(base.Families, f, func(a, b Family) bool { return a.ID == b.ID })
	}
}

func findRelease(rs []*Release, v string) *Release {
	for _, r := range rs {
		if r != nil && r.Version == v {
			return r
		}
	}
	return nil
}

func mergeRelease(dst, src *Release) {
	if len(src.Products) > 0 {
		dst.Products = src.Products
	}
	if len(src.Platforms) > 0 {
		dst.Platforms = src.Platforms
	}
	for _, b := range src.Builds {
		dst.Builds = replaceOrAppend(dst.Builds, b, func(a, b Build) bool { return a.Product == b.Product })
	}
	if src.ReleaseDate != nil {
		dst.ReleaseDate = src.ReleaseDate
	}
	if src.Suggested != nil {
		dst.Suggested = src.Suggested
	}
	if src.Source != "" {
		dst.Fact = src.Fact
	}
}

func replaceOrAppend[T any](list []T, item T, same func(a, b T) bool) []T {
	for i := range list {
		if same(list[i], item) {
			list[i] = item
			return list
		}
	}
	return append(list, item)
}

var (
	trainRE = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}$`)
	dateRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// problems collects validation failures with the JSON location of each.
type problems struct {
	name string
	list []string
}

func (p *problems) add(where, format string, args ...any) {
	if len(p.list) < maxProblems {
		p.list = append(p.list, where+": "+fmt.Sprintf(format, args...))
	} else if len(p.list) == maxProblems {
		p.list = append(p.list, "(further problems not shown)")
	}
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return fmt.Errorf("%s is invalid:\n  - %s", p.name, strings.Join(p.list, "\n  - "))
}

func (p *problems) fact(where string, f Fact) {
	if strings.TrimSpace(f.Source) == "" {
		p.add(where, "source is required (say where the fact comes from)")
	}
}

func (p *problems) version(where, s string) version.Version {
	v, err := version.Parse(s)
	if err != nil {
		p.add(where, "%v", err)
	}
	return v
}

func (p *problems) train(where, s string) train {
	t, ok := parseTrain(s)
	if !ok {
		p.add(where, "train %q must be major.minor, e.g. 7.6", s)
	}
	return t
}

func (p *problems) constraint(where, s string) *semver.Constraints {
	c, err := semver.NewConstraint(s)
	if err != nil {
		p.add(where, "version constraint %q: %v", s, err)
	}
	return c
}

func validProduct(p string) bool {
	return p == ProductManagementCenter || p == ProductThreatDefense
}

// index validates the catalog and builds its lookup tables.
func (c *Catalog) index(name string) error {
	p := &problems{name: name}
	c.byVersion = map[version.Version]*Release{}
	for i, r := range c.Releases {
		where := fmt.Sprintf("releases[%d]", i)
		if r == nil {
			p.add(where, "empty entry")
			continue
		}
		where += " (" + r.Version + ")"
		r.v = p.version(where+".version", r.Version)
		if r.v.Build != 0 {
			p.add(where+".version", "give the build in builds, not in the version")
		}
		if _, dup := c.byVersion[key(r.v)]; dup {
			p.add(where, "version %s is listed twice", r.v)
		}
		c.byVersion[key(r.v)] = r
		if len(r.Products) == 0 {
			p.add(where+".products", "at least one of %q, %q is required", ProductManagementCenter, ProductThreatDefense)
		}
		for _, prod := range r.Products {
			if !validProduct(prod) {
				p.add(where+".products", "unknown product %q (use %q or %q)", prod, ProductManagementCenter, ProductThreatDefense)
			}
		}
		p.fact(where, r.Fact)
		for j, b := range r.Builds {
			bw := fmt.Sprintf("%s.builds[%d]", where, j)
			if b.Value <= 0 {
				p.add(bw, "build must be a positive number")
			}
			if b.Product != "" && !validProduct(b.Product) {
				p.add(bw, "unknown product %q", b.Product)
			}
			p.fact(bw, b.Fact)
		}
		if d := r.ReleaseDate; d != nil {
			if _, err := time.Parse(time.DateOnly, d.Value); err != nil || !dateRE.MatchString(d.Value) {
				p.add(where+".release_date", "%q is not a YYYY-MM-DD date", d.Value)
			}
			p.fact(where+".release_date", d.Fact)
		}
		if r.Suggested != nil {
			p.fact(where+".suggested", *r.Suggested)
		}
	}
	sortReleases(c.Releases)

	c.order = map[version.Version]int{}
	for i, s := range c.ReleaseOrder.Versions {
		v := p.version(fmt.Sprintf("release_order.versions[%d]", i), s)
		if _, dup := c.order[key(v)]; dup {
			p.add(fmt.Sprintf("release_order.versions[%d]", i), "%s is listed twice", s)
		}
		c.order[key(v)] = i
	}
	if len(c.ReleaseOrder.Versions) > 0 {
		p.fact("release_order", c.ReleaseOrder.Fact)
	}

	c.rowsFor = map[version.Version][]*ReleasedBeforeRow{}
	for i := range c.ReleasedBefore {
		row := &c.ReleasedBefore[i]
		where := fmt.Sprintf("released_before[%d] (%s)", i, row.Target)
		row.target = p.version(where+".target", row.Target)
		c.rowsFor[key(row.target)] = append(c.rowsFor[key(row.target)], row)
		p.fact(where, row.Fact)
		for j := range row.ReleasedBefore {
			rg := &row.ReleasedBefore[j]
			rw := fmt.Sprintf("%s.released_before[%d]", where, j)
			rg.from = p.version(rw+".from", rg.From)
			rg.to = p.version(rw+".to", rg.To)
			if version.Compare(rg.from, rg.to) > 0 {
				p.add(rw, "from %s is after to %s", rg.From, rg.To)
			}
		}
	}

	c.matrix = map[train]map[train]*DirectUpgrade{}
	for i := range c.DirectUpgrades {
		d := &c.DirectUpgrades[i]
		where := fmt.Sprintf("direct_upgrades[%d] (from %s)", i, d.From)
		from := p.train(where+".from", d.From)
		p.fact(where, d.Fact)
		if len(d.To) == 0 {
			p.add(where+".to", "at least one target train is required")
		}
		if c.matrix[from] == nil {
			c.matrix[from] = map[train]*DirectUpgrade{}
		}
		for _, t := range d.To {
			// A later row (an overlay) wins for the same pair.
			c.matrix[from][p.train(where+".to", t)] = d
		}
	}

	c.companions = map[string]*FXOSCompanion{}
	for i := range c.FXOSCompanions {
		co := &c.FXOSCompanions[i]
		where := fmt.Sprintf("fxos_companions[%d] (%s)", i, co.Train)
		p.train(where+".train", co.Train)
		var err error
		if co.fxos, err = version.ParseFXOS(co.FXOS); err != nil {
			p.add(where+".fxos", "%v", err)
		}
		if co.Minimum != "" {
			if co.minimum, err = version.ParseFXOS(co.Minimum); err != nil {
				p.add(where+".minimum", "%v", err)
			} else if co.minimum.Train() != co.fxos.Train() {
				p.add(where+".minimum", "minimum %s is not in the companion train %s", co.Minimum, co.FXOS)
			}
		}
		p.fact(where, co.Fact)
		c.companions[co.Train] = co
	}

	for i := range c.FXOSReleases {
		r := &c.FXOSReleases[i]
		where := fmt.Sprintf("fxos_releases[%d] (%s)", i, r.Version)
		var err error
		if r.v, err = version.ParseFXOS(r.Version); err != nil {
			p.add(where, "%v", err)
		} else if r.v.Build == 0 {
			p.add(where, "an FXOS release needs its build, e.g. 2.14.1.131")
		}
		p.fact(where, r.Fact)
	}

	for i := range c.ManagedDevices {
		m := &c.ManagedDevices[i]
		where := fmt.Sprintf("managed_devices[%d] (%s)", i, m.ManagementCenter)
		p.train(where+".management_center", m.ManagementCenter)
		m.oldest = p.version(where+".oldest_device", m.OldestDevice)
		p.fact(where, m.Fact)
	}

	c.families = map[string]*Family{}
	for i := range c.Families {
		f := &c.Families[i]
		where := fmt.Sprintf("families[%d] (%s)", i, f.ID)
		if f.ID == "" {
			p.add(where+".id", "id is required")
		}
		if _, dup := c.families[f.ID]; dup {
			p.add(where, "family %q is listed twice", f.ID)
		}
		c.families[f.ID] = f
		if !validProduct(f.Product) {
			p.add(where+".product", "unknown product %q", f.Product)
		}
		switch f.Chassis {
		case "", ChassisFXOS, ChassisMultiInstance:
		default:
			p.add(where+".chassis", "unknown chassis kind %q (use %q or %q)", f.Chassis, ChassisFXOS, ChassisMultiInstance)
		}
		if len(f.Support) == 0 {
			p.add(where+".support", "at least one supported version range is required")
		}
		for j := range f.Support {
			s := &f.Support[j]
			sw := fmt.Sprintf("%s.support[%d]", where, j)
			s.constraint = p.constraint(sw, s.Versions)
			p.fact(sw, s.Fact)
		}
		if cs := f.ChassisSupport; cs != nil {
			cs.constraint = p.constraint(where+".chassis_support", cs.Versions)
			p.fact(where+".chassis_support", cs.Fact)
			if f.Chassis == "" {
				p.add(where+".chassis_support", "only a family with a chassis kind can have chassis_support")
			}
		}
		f.models = nil
		for j, m := range f.Models {
			re, err := regexp.Compile("(?i)" + m)
			if err != nil {
				p.add(fmt.Sprintf("%s.models[%d]", where, j), "pattern %q: %v", m, err)
				continue
			}
			f.models = append(f.models, re)
		}
		if len(f.Packages) == 0 {
			p.add(where+".packages", "at least one package naming entry is required")
		}
		for j := range f.Packages {
			n := &f.Packages[j]
			nw := fmt.Sprintf("%s.packages[%d]", where, j)
			n.constraint = p.constraint(nw, n.Versions)
			p.fact(nw, n.Fact)
			for kind, tpl := range map[string]string{"upgrade": n.Upgrade, "patch": n.Patch, "hotfix": n.Hotfix} {
				if tpl == "" {
					continue
				}
				if !strings.Contains(tpl, "{version}") || !strings.Contains(tpl, "{build}") {
					p.add(nw+"."+kind, "template %q needs {version} and {build}", tpl)
				}
				if kind == "hotfix" && !strings.Contains(tpl, "{hotfix}") {
					p.add(nw+".hotfix", "template %q needs {hotfix}", tpl)
				}
			}
			if n.Upgrade == "" {
				p.add(nw+".upgrade", "the upgrade template is required")
			}
		}
	}
	for i, r := range c.Releases {
		if r == nil {
			continue
		}
		for _, id := range r.Platforms {
			if _, ok := c.families[id]; !ok {
				p.add(fmt.Sprintf("releases[%d] (%s).platforms", i, r.Version), "unknown platform family %q", id)
			}
		}
	}
	return p.err()
}

func sortReleases(rs []*Release) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i] == nil || rs[j] == nil {
			return rs[j] == nil && rs[i] != nil
		}
		return rs[i].v.Less(rs[j].v)
	})
}

// parseTrain reads "7.6".
func parseTrain(s string) (train, bool) {
	if !trainRE.MatchString(s) {
		return train{}, false
	}
	a, b, _ := strings.Cut(s, ".")
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return train{x, y}, true
}
