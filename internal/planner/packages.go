package planner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Package kinds a PackageRequest may ask for; empty derives it from the
// version (a four-part version is a patch).
const (
	KindFXOS = "fxos"
)

// PackageRequest asks for the file name of one upgrade package.
type PackageRequest struct {
	Platform string
	Version  string // "7.6.1", "7.6.1-291", "7.4.2.1", an FXOS version for KindFXOS
	Build    int    // optional; must agree with a build in Version
	Kind     string // optional: upgrade, patch, hotfix, fxos
	Hotfix   string // hotfix letter code, for KindHotfix
}

// PackageResult is the guide's file name and the names the same package
// may carry (PKG-1).
type PackageResult struct {
	FileName   string
	Alternates []string
	Version    string
	Build      int
	Kind       string
	Verified   bool
	Source     string
	Warnings   []string
}

// PackageFilename names the package for req.
func PackageFilename(c *catalog.Catalog, req PackageRequest) (*PackageResult, error) {
	fam, ok := c.Family(req.Platform)
	if !ok {
		return nil, refuse(FieldPlatform, "PATH-6", "use one of: "+strings.Join(c.FamilyIDs(), ", "), "unknown platform family %q", req.Platform)
	}
	kind := strings.ToLower(strings.TrimSpace(req.Kind))
	switch kind {
	case "", catalog.KindUpgrade, catalog.KindPatch, catalog.KindHotfix, KindFXOS:
	default:
		return nil, refuse(FieldKind, "", "use upgrade, patch, hotfix or fxos", "unknown package kind %q", req.Kind)
	}
	if kind == KindFXOS {
		return fxosPackage(c, fam, req)
	}
	v, err := parseVersion(FieldVersion, req.Version)
	if err != nil {
		return nil, err
	}
	res := &PackageResult{Verified: true}
	switch {
	case req.Build < 0:
		return nil, refuse(FieldBuild, "", "give a positive build number, e.g. 291", "build %d is not valid", req.Build)
	case req.Build > 0 && v.Build > 0 && req.Build != v.Build:
		return nil, refuse(FieldBuild, "", "give the build once, in version or in build", "build %d disagrees with the version's build %d", req.Build, v.Build)
	case req.Build > 0:
		v.Build = req.Build
	}
	switch kind {
	case catalog.KindUpgrade:
		if v.IsPatch() {
			return nil, refuse(FieldVersion, "PATH-3", "use kind = \"patch\", or give the maintenance release "+v.MaintenanceRelease().String(), "%s is a patch, not an upgrade", v)
		}
	case catalog.KindPatch:
		if !v.IsPatch() {
			return nil, refuse(FieldVersion, "PATH-3", "give the four-part patch version, e.g. "+v.String()+".1", "%s is not a patch", v)
		}
	case catalog.KindHotfix:
		if req.Hotfix == "" {
			return nil, refuse(FieldHotfix, "PKG-2", "give the hotfix letter code from Cisco's download page, e.g. DD", "a hotfix package needs its code")
		}
		if v.Build == 0 {
			return nil, refuse(FieldBuild, "PKG-2", "give the hotfix build, e.g. version = \"7.6.4.1-2\"", "hotfix builds are not in the catalog")
		}
		res.Warnings = append(res.Warnings, "PKG-2: hotfixes are uploaded to the management center by hand; devices cannot fetch them from the internet or an internal server fallback")
	}
	if req.Hotfix != "" && kind != catalog.KindHotfix {
		return nil, refuse(FieldHotfix, "", "set kind = \"hotfix\" or drop hotfix", "hotfix is only used with kind \"hotfix\"")
	}
	if kind != catalog.KindHotfix {
		if ok, f := c.Supports(fam, v); !ok {
			return nil, refuse(FieldVersion, "PATH-6", fam.Name+" runs "+fam.SupportSummary(), "%s is not supported on %s (%s)", v, fam.Name, f.Source)
		}
		rel, known := c.Release(v)
		if !known || !rel.HasProduct(fam.Product) {
			res.Verified = false
			res.Warnings = append(res.Warnings, fmt.Sprintf("PATH-6: %s is not a %s release in the catalog; the name follows the family's pattern", v, strings.ReplaceAll(fam.Product, "_", " ")))
		}
		if known {
			if b, ok := rel.BuildFor(fam.Product); ok {
				switch {
				case v.Build == 0:
					v.Build = b.Value
					if !b.Verified {
						res.Verified = false
						res.Warnings = append(res.Warnings, fmt.Sprintf("PKG-1: build %d of %s is unverified (%s); check it on Cisco's download page", b.Value, v, b.Source))
					}
				case v.Build != b.Value:
					res.Warnings = append(res.Warnings, fmt.Sprintf("PKG-1: the catalog lists %s as build %d, not %d", v, b.Value, v.Build))
				}
			}
		}
	}
	pn, err := c.PackageName(fam, v, req.Hotfix)
	if err != nil {
		if errors.Is(err, catalog.ErrBuildUnknown) {
			return nil, refuse(FieldVersion, "PKG-1", fmt.Sprintf("give the build, e.g. version = \"%s-<build>\" or build = <n>, from Cisco's download page, or add it with the provider's catalog_file", v),
				"the catalog does not know the build of %s, and a package name includes it", v)
		}
		return nil, refuse(FieldVersion, "PKG-1", "check the platform and version", "%v", err)
	}
	if !pn.Verified {
		res.Verified = false
		res.Warnings = append(res.Warnings, fmt.Sprintf("PKG-1: the %s naming for %s is inferred (%s)", pn.Kind, fam.Name, pn.Source))
	}
	res.FileName, res.Alternates, res.Kind, res.Build, res.Source = pn.FileName, pn.Alternates, pn.Kind, pn.Build, pn.Source
	res.Version = v.String()
	return res, nil
}

func fxosPackage(c *catalog.Catalog, fam *catalog.Family, req PackageRequest) (*PackageResult, error) {
	if fam.Chassis != catalog.ChassisFXOS {
		return nil, refuse(FieldPlatform, "ORDER-4", "FXOS packages exist for firepower_4100 and firepower_9300; a 3100/4200 chassis upgrades with its threat defense package", "%s has no FXOS package", fam.Name)
	}
	if req.Hotfix != "" {
		return nil, refuse(FieldHotfix, "", "drop hotfix for an FXOS package", "FXOS packages have no hotfix code")
	}
	v, err := parseFXOS(FieldVersion, req.Version)
	if err != nil {
		return nil, err
	}
	if req.Build > 0 {
		if v.Build > 0 && v.Build != req.Build {
			return nil, refuse(FieldBuild, "", "give the build once", "build %d disagrees with the version's build %d", req.Build, v.Build)
		}
		v.Build = req.Build
	}
	v = recommendedBuild(c, v)
	name, err := v.PackageFilename()
	if err != nil {
		return nil, refuse(FieldVersion, "PKG-1", "give the full FXOS version with its build, e.g. 2.16.0.128, from Cisco's download page", "no FXOS %s build is in the catalog", v)
	}
	res := &PackageResult{FileName: name, Version: v.String(), Build: v.Build, Kind: KindFXOS, Verified: knownFXOSBuild(c, v), Source: "UG760 Table 8"}
	if !res.Verified {
		res.Warnings = append(res.Warnings, fmt.Sprintf("PKG-1: FXOS %s is not in the catalog; check the build on Cisco's download page", v))
	}
	return res, nil
}

// CompareVersions orders two management center / threat defense versions
// (-1, 0, 1). Builds count only when both sides give one.
func CompareVersions(a, b string) (int, error) {
	va, err := version.Parse(a)
	if err != nil {
		return 0, refuse(FieldA, "", "write major.minor.maintenance[.patch][-build]", "%v", err)
	}
	vb, err := version.Parse(b)
	if err != nil {
		return 0, refuse(FieldB, "", "write major.minor.maintenance[.patch][-build]", "%v", err)
	}
	return version.Compare(va, vb), nil
}
