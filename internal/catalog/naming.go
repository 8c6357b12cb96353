package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Package kinds.
const (
	KindUpgrade = "upgrade"
	KindPatch   = "patch"
	KindHotfix  = "hotfix"
)

// Suffixes of upgrade packages: the download (.sh.REL.tar) and the name the
// management center lists once uploaded (.sh).
const (
	suffixDownload = ".sh.REL.tar"
	suffixListed   = ".sh"
)

var hotfixRE = regexp.MustCompile(`^[A-Z]{1,3}$`)

// PackageName is the file name of one upgrade package (PKG-1).
type PackageName struct {
	FileName   string
	Alternates []string // other spellings the same package is seen under
	Kind       string
	Build      int
	Fact
}

// ErrBuildUnknown is returned when a file name needs a build the caller did
// not give and the catalog does not know.
var ErrBuildUnknown = errors.New("build unknown")

// PackageName renders the guide's file name for family at v (v.Build must be
// set). A non-empty hotfix (the letter code, e.g. "DD") selects the hotfix
// package, and v is then the hotfix label such as 7.6.4.1.
func (c *Catalog) PackageName(f *Family, v version.Version, hotfix string) (PackageName, error) {
	if v.Build <= 0 {
		return PackageName{}, fmt.Errorf("%w for %s", ErrBuildUnknown, v)
	}
	n, ok := namingFor(f, v)
	if !ok {
		return PackageName{}, fmt.Errorf("no package naming for %s %s (the catalog covers %s)", f.Name, v, namingSummary(f))
	}
	kind, tpl := KindUpgrade, n.Upgrade
	switch {
	case hotfix != "":
		if !hotfixRE.MatchString(hotfix) {
			return PackageName{}, fmt.Errorf("hotfix code %q must be one to three capital letters, e.g. DD", hotfix)
		}
		kind, tpl = KindHotfix, n.Hotfix
	case v.IsPatch():
		kind, tpl = KindPatch, n.Patch
	}
	if tpl == "" {
		return PackageName{}, fmt.Errorf("the catalog has no %s package naming for %s %s", kind, f.Name, v)
	}
	name := strings.NewReplacer("{version}", v.String(), "{build}", fmt.Sprint(v.Build), "{hotfix}", hotfix).Replace(tpl)
	return PackageName{
		FileName:   name,
		Alternates: alternates(f, name),
		Kind:       kind,
		Build:      v.Build,
		Fact:       n.Fact,
	}, nil
}

func namingFor(f *Family, v version.Version) (*Naming, bool) {
	for i := range f.Packages {
		if n := &f.Packages[i]; n.constraint != nil && n.constraint.Check(v.Core()) {
			return &f.Packages[i], true
		}
	}
	return nil, false
}

func namingSummary(f *Family) string {
	parts := make([]string, 0, len(f.Packages))
	for _, n := range f.Packages {
		parts = append(parts, n.Versions)
	}
	return strings.Join(parts, "; ")
}

// alternates lists the spellings a package may also carry: the family's
// spelling variants, each also in the .sh form the management center lists.
func alternates(f *Family, name string) []string {
	forms := []string{name}
	for _, sp := range f.Spellings {
		if strings.Contains(name, sp[0]) {
			forms = append(forms, strings.Replace(name, sp[0], sp[1], 1))
		}
	}
	var out []string
	for _, n := range forms {
		if n != name {
			out = append(out, n)
		}
		if base, ok := strings.CutSuffix(n, suffixDownload); ok {
			out = append(out, base+suffixListed)
		}
	}
	return out
}

// FXOSPackageName is the FXOS bundle file name (Table 8).
func FXOSPackageName(v version.FXOS) (string, error) {
	return v.PackageFilename()
}

// ParsedPackage is what a package file name says.
type ParsedPackage struct {
	Product  string   // management_center, threat_defense or chassis
	Families []string // families using this package, sorted
	Kind     string
	Version  version.Version // with Build; zero for FXOS bundles
	FXOS     version.FXOS    // for FXOS bundles
	Hotfix   string
	// Canonical is the guide's spelling of the same package, when the
	// version falls in a naming range of the catalog.
	Canonical string
}

var (
	pkgRE  = regexp.MustCompile(`^([A-Za-z0-9_-]+?)-([0-9]{1,6}(?:\.[0-9]{1,6}){2,3})-([0-9]{1,9})$`)
	fxosRE = regexp.MustCompile(`^fxos-k9\.([0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,9})\.SPA$`)
)

// ParsePackageFilename reads an upgrade package name in any accepted
// spelling (PKG-1): the guide's form, the _FP3K/-FP3K variants, and the .sh
// name the management center lists.
func (c *Catalog) ParsePackageFilename(name string) (ParsedPackage, error) {
	name = strings.TrimSpace(name)
	if m := fxosRE.FindStringSubmatch(name); m != nil {
		fv, err := version.ParseFXOS(m[1])
		if err != nil {
			return ParsedPackage{}, fmt.Errorf("package %q: %w", name, err)
		}
		var fams []string
		for _, id := range c.FamilyIDs() {
			if c.families[id].Chassis == ChassisFXOS {
				fams = append(fams, id)
			}
		}
		return ParsedPackage{Product: ProductChassis, Families: fams, Kind: KindUpgrade, FXOS: fv, Canonical: name}, nil
	}
	base, ok := strings.CutSuffix(name, suffixDownload)
	if !ok {
		base, ok = strings.CutSuffix(name, suffixListed)
	}
	if !ok {
		return ParsedPackage{}, fmt.Errorf("package %q: an upgrade package ends in %s (or %s as the management center lists it), an FXOS bundle is fxos-k9.<version>.SPA", name, suffixDownload, suffixListed)
	}
	m := pkgRE.FindStringSubmatch(base)
	if m == nil {
		return ParsedPackage{}, fmt.Errorf("package %q: expected <prefix>-<version>-<build>%s, e.g. Cisco_FTD_Upgrade-7.6.1-291%s", name, suffixDownload, suffixDownload)
	}
	prefix := m[1]
	v, err := version.Parse(m[2] + "-" + m[3])
	if err != nil {
		return ParsedPackage{}, fmt.Errorf("package %q: %w", name, err)
	}
	out := ParsedPackage{Version: v}
	seen := map[string]bool{}
	for _, id := range c.FamilyIDs() {
		f := c.families[id]
		canonPrefix := canonicalPrefix(f, prefix)
		for i := range f.Packages {
			n := &f.Packages[i]
			kind, hotfix, ok := matchPrefix(n, canonPrefix)
			if !ok {
				continue
			}
			if !seen[id] {
				seen[id] = true
				out.Families = append(out.Families, id)
			}
			out.Product, out.Kind, out.Hotfix = f.Product, kind, hotfix
			if out.Canonical == "" {
				if pn, err := c.PackageName(f, v, hotfix); err == nil {
					out.Canonical = pn.FileName
				}
			}
		}
	}
	if len(out.Families) == 0 {
		return ParsedPackage{}, fmt.Errorf("package %q: %q is not a package prefix of any platform family in the catalog", name, prefix)
	}
	if out.Kind == KindPatch && !v.IsPatch() {
		return ParsedPackage{}, fmt.Errorf("package %q: a patch package carries a four-part version (e.g. 7.4.2.1)", name)
	}
	if out.Kind == KindUpgrade && v.IsPatch() {
		return ParsedPackage{}, fmt.Errorf("package %q: an upgrade package carries a three-part version; %s is a patch", name, v)
	}
	sort.Strings(out.Families)
	return out, nil
}

// canonicalPrefix maps a variant spelling back to the guide's.
func canonicalPrefix(f *Family, prefix string) string {
	for _, sp := range f.Spellings {
		if strings.HasPrefix(prefix+"-", sp[1]) || strings.HasPrefix(prefix+"_", sp[1]) {
			return strings.Replace(prefix+"_", sp[1], sp[0], 1)[:len(prefix)+len(sp[0])-len(sp[1])]
		}
	}
	return prefix
}

// matchPrefix reports whether prefix is the part of one of n's templates
// before the version, and which kind and hotfix code it denotes.
func matchPrefix(n *Naming, prefix string) (kind, hotfix string, ok bool) {
	for _, t := range []struct{ kind, tpl string }{{KindUpgrade, n.Upgrade}, {KindPatch, n.Patch}, {KindHotfix, n.Hotfix}} {
		if t.tpl == "" {
			continue
		}
		if t.kind == KindHotfix {
			tp, _, _ := strings.Cut(t.tpl, "{hotfix}")
			if code, found := strings.CutPrefix(prefix, tp); found && hotfixRE.MatchString(code) {
				return KindHotfix, code, true
			}
			continue
		}
		tp, _, _ := strings.Cut(t.tpl, "-{version}")
		if prefix == tp {
			return t.kind, "", true
		}
	}
	return "", "", false
}
