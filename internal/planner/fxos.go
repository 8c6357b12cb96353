package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// fxosPath plans a Firepower 4100/9300 chassis (FXOS) upgrade. From FXOS
// 2.2.2 on, a chassis upgrades directly to any later FXOS version, so the
// path is one hop; what matters is which build and which threat defense
// trains it is the companion of.
func fxosPath(c *catalog.Catalog, fam *catalog.Family, req PathRequest) (*Path, error) {
	from, err := parseFXOS(FieldFrom, req.From)
	if err != nil {
		return nil, err
	}
	if !from.HasMaintenance {
		return nil, refuse(FieldFrom, "", "give the running FXOS version with its maintenance release, e.g. 2.12.0.498 or 2.12(0.498)", "%s names only a train", from)
	}
	if fam.ChassisSupport != nil && !fam.ChassisSupport.AllowsFXOS(from) {
		return nil, refuse(FieldFrom, "PATH-6", "supported chassis versions: "+fam.ChassisSupport.Versions, "FXOS %s is outside the catalog's range for %s", from, fam.Name)
	}
	p := &Path{Product: req.Product, Platform: fam.ID, From: from.String()}
	var target version.FXOS
	switch strings.ToLower(strings.TrimSpace(req.To)) {
	case TargetLatest, TargetSuggested:
		target = newestFXOS(c, strings.EqualFold(strings.TrimSpace(req.To), TargetSuggested))
		if version.CompareFXOS(target, from) <= 0 {
			p.To = from.String()
			p.Warnings = append(p.Warnings, fmt.Sprintf("already at FXOS %s: nothing newer is in the catalog", from))
			return p, nil
		}
	default:
		if target, err = parseFXOS(FieldTo, req.To); err != nil {
			return nil, err
		}
	}
	target = recommendedBuild(c, target)
	if version.CompareFXOS(target, from) < 0 || target.Train() == from.Train() && !target.HasMaintenance {
		return nil, refuse(FieldTo, "PATH-5", "choose an FXOS version newer than "+from.String(), "FXOS %s is not newer than the running %s: a downgrade is never planned", target, from)
	}
	if version.CompareFXOS(target, from) == 0 {
		p.To = from.String()
		p.Warnings = append(p.Warnings, fmt.Sprintf("already at FXOS %s: nothing to upgrade", from))
		return p, nil
	}
	trains := companionOf(c, target.Train())
	if len(trains) == 0 && !knownFXOSTrain(c, target.Train()) {
		return nil, refuse(FieldTo, "PATH-6", "known FXOS trains: "+strings.Join(fxosTrains(c), ", ")+" (add others with catalog_file)", "FXOS %s is not in the catalog", target.Train())
	}
	h := Hop{Version: target.String(), Build: target.Build, Kind: "fxos", FXOSVersion: target.Train(), Verified: true}
	h.Rules = append(h.Rules, "PATH-1: from FXOS 2.2.2 on, a chassis upgrades directly to any later FXOS version (FXOSCOMPAT)")
	if len(trains) > 0 {
		h.Rules = append(h.Rules, fmt.Sprintf("ORDER-4: FXOS %s is the chassis companion of threat defense %s; upgrade the chassis before threat defense", target.Train(), strings.Join(trains, ", ")))
	}
	h.Rules = append(h.Rules, "ORDER-5: the chassis must still support the threat defense version its instances run; if FXOS would be well ahead of them, upgrade the devices first")
	h.Rules = append(h.Rules, "HA-1: in high availability or clusters, upgrade one chassis at a time, with pairs and clusters healthy before each")
	if name, err := target.PackageFilename(); err == nil {
		h.PackageFilename = name
		h.FXOSPackageFilename = name
		h.Rules = append(h.Rules, "PKG-1: "+name)
		if !knownFXOSBuild(c, target) {
			h.Verified = false
			p.Warnings = append(p.Warnings, fmt.Sprintf("PKG-1: FXOS build %s is not in the catalog; check it on Cisco's download page", target))
		}
	} else {
		h.Verified = false
		h.Rules = append(h.Rules, fmt.Sprintf("PKG-1: no FXOS %s build is in the catalog; use the latest build Cisco publishes for %s", target.Train(), target.Train()))
		p.Warnings = append(p.Warnings, fmt.Sprintf("PKG-1: no FXOS %s build is in the catalog, so the package file name cannot be given", target.Train()))
	}
	if co := companionFact(c, target.Train()); co != nil {
		if m, ok := co.MinimumVersion(); ok {
			h.FXOSMinimum = m.String()
		}
		if !co.Verified {
			h.Verified = false
			p.Warnings = append(p.Warnings, fmt.Sprintf("this path relies on unverified catalog data: FXOS companion %s (%s)", co.FXOS, co.Source))
		}
	}
	h.FXOSRecommended = target.String()
	p.To = target.String()
	p.Hops = []Hop{h}
	return p, nil
}

func parseFXOS(field, s string) (version.FXOS, error) {
	v, err := version.ParseFXOS(s)
	if err != nil {
		return v, refuse(field, "", "write an FXOS version such as 2.16.0.128, 2.16(0.128) or the train 2.16", "%v", err)
	}
	return v, nil
}

// recommendedBuild resolves a train or maintenance release to the latest
// known build in it: the guide recommends the latest build of an FXOS
// version.
func recommendedBuild(c *catalog.Catalog, v version.FXOS) version.FXOS {
	if v.Build > 0 {
		return v
	}
	var best *version.FXOS
	for i := range c.FXOSReleases {
		r := c.FXOSReleases[i].V()
		if r.Train() != v.Train() || v.HasMaintenance && r.Maintenance != v.Maintenance {
			continue
		}
		if best == nil || version.CompareFXOS(*best, r) < 0 {
			best = &r
		}
	}
	if best == nil {
		return v
	}
	return *best
}

// newestFXOS is the newest FXOS train in the catalog (only verified
// companions when suggested), at its latest known build.
func newestFXOS(c *catalog.Catalog, verifiedOnly bool) version.FXOS {
	var best version.FXOS
	for i := range c.FXOSCompanions {
		co := &c.FXOSCompanions[i]
		if verifiedOnly && !co.Verified {
			continue
		}
		if version.CompareFXOS(co.FXOSVersion(), best) > 0 {
			best = co.FXOSVersion()
		}
	}
	for i := range c.FXOSReleases {
		if r := c.FXOSReleases[i].V(); version.CompareFXOS(r, best) > 0 {
			best = r
		}
	}
	return recommendedBuild(c, best)
}

func companionOf(c *catalog.Catalog, fxosTrain string) []string {
	var trains []string
	for i := range c.FXOSCompanions {
		if co := &c.FXOSCompanions[i]; co.FXOSVersion().Train() == fxosTrain {
			trains = append(trains, co.Train)
		}
	}
	sort.Strings(trains)
	return trains
}

func companionFact(c *catalog.Catalog, fxosTrain string) *catalog.FXOSCompanion {
	for i := range c.FXOSCompanions {
		if co := &c.FXOSCompanions[i]; co.FXOSVersion().Train() == fxosTrain {
			return co
		}
	}
	return nil
}

func knownFXOSTrain(c *catalog.Catalog, train string) bool {
	for _, t := range fxosTrains(c) {
		if t == train {
			return true
		}
	}
	return false
}

func knownFXOSBuild(c *catalog.Catalog, v version.FXOS) bool {
	for i := range c.FXOSReleases {
		if version.CompareFXOS(c.FXOSReleases[i].V(), v) == 0 {
			return true
		}
	}
	return false
}

func fxosTrains(c *catalog.Catalog) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for i := range c.FXOSCompanions {
		add(c.FXOSCompanions[i].FXOSVersion().Train())
	}
	for i := range c.FXOSReleases {
		add(c.FXOSReleases[i].V().Train())
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := version.ParseFXOS(out[i])
		b, _ := version.ParseFXOS(out[j])
		return version.CompareFXOS(a, b) < 0
	})
	return out
}
