package planner

import (
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

// ReleaseInfo is one catalog release as the releases data source shows it.
type ReleaseInfo struct {
	Version     string
	Train       string
	Kind        string
	Build       int
	ReleaseDate string
	Products    []string
	Suggested   bool // marked suggested by Cisco (catalog overlay), or the train's latest maintenance release
	Verified    bool
	Source      string
	Note        string
}

// TrainInfo summarises a release train.
type TrainInfo struct {
	Train     string
	Latest    string
	Suggested string
}

// ReleaseList is the filtered catalog.
type ReleaseList struct {
	Releases  []ReleaseInfo
	Trains    []TrainInfo
	Latest    string
	Suggested string
}

// Releases lists the catalog's releases, optionally only those of product
// and those a platform family supports. Within each train the suggested
// release is the one Cisco marks, else the latest maintenance release
// (PATH-5); overall, the newest Cisco-marked release, else the suggested
// release of the newest train the catalog has an upgrade path into.
func Releases(c *catalog.Catalog, product, platform string) (*ReleaseList, error) {
	switch product {
	case "", catalog.ProductManagementCenter, catalog.ProductThreatDefense:
	default:
		return nil, refuse(FieldProduct, "", "use management_center or threat_defense, or leave it out", "unknown product %q", product)
	}
	var fam *catalog.Family
	if platform != "" {
		f, ok := c.Family(platform)
		if !ok {
			return nil, refuse(FieldPlatform, "PATH-6", "use one of: "+strings.Join(c.FamilyIDs(), ", "), "unknown platform family %q", platform)
		}
		fam = f
		if product == "" {
			product = fam.Product
		} else if product != fam.Product {
			return nil, refuse(FieldPlatform, "PATH-6", "leave product out or pick a matching platform", "platform %s runs %s, not %s", fam.ID, fam.Product, product)
		}
	}
	out := &ReleaseList{}
	var rels []*catalog.Release
	for _, r := range c.Releases {
		if product != "" && !r.HasProduct(product) {
			continue
		}
		if fam != nil {
			if ok, _ := c.Supports(fam, r.V()); !ok {
				continue
			}
		}
		rels = append(rels, r)
	}
	suggested := map[string]*catalog.Release{} // train -> suggested release
	for _, r := range rels {
		t := r.V().Train()
		cur := suggested[t]
		switch {
		case r.Suggested != nil:
			if cur == nil || cur.Suggested == nil || cur.V().Less(r.V()) {
				suggested[t] = r
			}
		case cur != nil && cur.Suggested != nil, r.V().IsPatch():
		case product == catalog.ProductThreatDefense && r.Version == "7.4.0":
			// PATH-2: install-only, never the release to upgrade to.
		default:
			suggested[t] = r
		}
	}
	var markedOverall *catalog.Release
	for _, r := range rels {
		v := r.V()
		info := ReleaseInfo{
			Version:  r.Version,
			Train:    v.Train(),
			Kind:     v.Kind(),
			Products: r.Products,
			Verified: r.Verified,
			Source:   r.Source,
			Note:     r.Note,
		}
		buildProduct := product
		if buildProduct == "" && len(r.Products) > 0 {
			buildProduct = r.Products[0]
		}
		if b, ok := r.BuildFor(buildProduct); ok {
			info.Build = b.Value
		}
		if r.ReleaseDate != nil {
			info.ReleaseDate = r.ReleaseDate.Value
		}
		info.Suggested = suggested[info.Train] == r
		if r.Suggested != nil {
			markedOverall = r
		}
		out.Releases = append(out.Releases, info)
		if n := len(out.Trains); n == 0 || out.Trains[n-1].Train != info.Train {
			out.Trains = append(out.Trains, TrainInfo{Train: info.Train})
		}
		out.Trains[len(out.Trains)-1].Latest = r.Version
		out.Latest = r.Version
	}
	for i := range out.Trains {
		if s := suggested[out.Trains[i].Train]; s != nil {
			out.Trains[i].Suggested = s.Version
		}
	}
	switch {
	case markedOverall != nil:
		out.Suggested = markedOverall.Version
	default:
		// The newest train something can be upgraded into; a train the
		// catalog has no path into (10.0 today) can only be installed.
		for i := len(out.Trains) - 1; i >= 0; i-- {
			if s := suggested[out.Trains[i].Train]; s != nil && c.HasPathInto(s.V()) {
				out.Suggested = s.Version
				break
			}
		}
	}
	return out, nil
}
