package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

// ListedPackage is an upgrade package as the management center lists it.
type ListedPackage struct {
	ID       string
	FileName string
}

// ChoosePackages resolves refs, the upgrade packages a job may use by id or
// file name, against the packages the management center lists, and gives
// each plan package the listed package that stands for it: same product, a
// platform family in common and the same version (builds compared when both
// are known), whatever its spelling (PKG-1). The result maps the file names
// of the plan's copy_package steps to the packages chosen.
//
// A plan package no ref stands for is left out of the result and is found
// by its file name at apply, so a multi-hop job may list the packages of
// some hops only. FXOS bundles are never chosen: chassis managers fetch
// them, not the management center.
//
// Listing a package is an explicit choice, so a ref that cannot be used is
// refused rather than passed over (FieldPackageIDs, PKG-1): one the
// management center does not list, one not named like an upgrade package,
// one that no hop of the plan needs, and a second one for a plan package
// another ref already stands for.
func ChoosePackages(c *catalog.Catalog, p *EstatePlan, listed []ListedPackage, refs []string) (map[string]ListedPackage, error) {
	if len(refs) == 0 || p == nil {
		return nil, nil
	}
	type planPackage struct {
		file   string
		parsed catalog.ParsedPackage
	}
	var needs []planPackage
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if s.Action != ActionCopyPackage || seen[s.Target] {
			continue
		}
		seen[s.Target] = true
		pp, err := c.ParsePackageFilename(s.Target)
		if err != nil || pp.Product == catalog.ProductChassis {
			continue
		}
		needs = append(needs, planPackage{file: s.Target, parsed: pp})
	}
	needed := make([]string, len(needs))
	for i, n := range needs {
		needed[i] = n.file
	}
	listOfNeeds := "this job needs no upgrade package the management center copies"
	if len(needed) > 0 {
		listOfNeeds = "this job needs " + strings.Join(needed, ", ")
	}

	chosen := map[string]ListedPackage{}
	byRef := map[string]string{} // plan file → the ref that chose it
	used := map[string]bool{}    // listed package ids already resolved
	for _, raw := range refs {
		ref := strings.TrimSpace(raw)
		lp, ok := findListed(listed, ref)
		if !ok {
			names := make([]string, 0, len(listed))
			for _, q := range listed {
				names = append(names, q.FileName)
			}
			fix := "the management center has no upgrade packages; upload one first, or leave package_ids out"
			if len(names) > 0 {
				fix = "list a package by the id or file name the management center shows; it has: " + strings.Join(names, ", ")
			}
			return nil, refuse(FieldPackageIDs, "PKG-1", fix, "%q is not an upgrade package on the management center", ref)
		}
		if used[lp.ID] {
			// The same package by id and by file name.
			continue
		}
		used[lp.ID] = true
		pp, err := c.ParsePackageFilename(lp.FileName)
		if err != nil {
			return nil, refuse(FieldPackageIDs, "PKG-1", "list packages named as Cisco publishes them, or leave this one out and let the job find each package by file name",
				"%s is not named like an upgrade package, so the job cannot tell which platform and version it is for: %v", listedLabel(lp, ref), err)
		}
		var matched []string
		buildOff := ""
		for _, n := range needs {
			np := n.parsed
			if np.Product != pp.Product || pp.Kind == catalog.KindHotfix || np.Version.String() != pp.Version.String() ||
				!slices.ContainsFunc(np.Families, func(f string) bool { return slices.Contains(pp.Families, f) }) {
				continue
			}
			if !np.Version.Equal(pp.Version) {
				buildOff = fmt.Sprintf(" (it is build %d; the plan's hop is build %d, %s)", pp.Version.Build, np.Version.Build, n.file)
				continue
			}
			matched = append(matched, n.file)
		}
		if len(matched) == 0 {
			return nil, refuse(FieldPackageIDs, "PKG-1", "list only packages of this job's hops, or remove it from package_ids: "+listOfNeeds,
				"%s is the %s package for %s, which no hop of this job needs%s", listedLabel(lp, ref), describePackage(pp), strings.Join(pp.Families, ", "), buildOff)
		}
		for _, f := range matched {
			if prev, dup := byRef[f]; dup {
				return nil, refuse(FieldPackageIDs, "PKG-1", "keep one of them in package_ids",
					"%q and %q both stand for %s: one package per platform family and version", prev, ref, f)
			}
			byRef[f] = ref
			chosen[f] = lp
		}
	}
	return chosen, nil
}

// findListed finds a listed package by id, or by file name without regard
// to case (the way the management center compares them).
func findListed(listed []ListedPackage, ref string) (ListedPackage, bool) {
	for _, q := range listed {
		if q.ID == ref {
			return q, true
		}
	}
	for _, q := range listed {
		if strings.EqualFold(q.FileName, ref) {
			return q, true
		}
	}
	return ListedPackage{}, false
}

// listedLabel names a listed package as the user did, with its file name
// when the ref is an id.
func listedLabel(lp ListedPackage, ref string) string {
	if strings.EqualFold(lp.FileName, ref) {
		return lp.FileName
	}
	return fmt.Sprintf("%q (%s)", ref, lp.FileName)
}

// describePackage names what a parsed package is for: "threat defense
// 7.6.1-291", "management center 7.6.1-291", "threat defense 7.4.2-172
// hotfix AB".
func describePackage(pp catalog.ParsedPackage) string {
	s := strings.ReplaceAll(pp.Product, "_", " ") + " " + pp.Version.WithBuild()
	if pp.Kind == catalog.KindHotfix {
		s += " hotfix " + pp.Hotfix
	}
	return s
}
