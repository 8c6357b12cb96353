package planner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// StagePlan is the part of p that staging packages ahead of the
// maintenance window runs (PKG-3): its copy_package steps, to every unit of
// e but the chassis, all in the first wave (a copy waits for nothing). A
// job that only stages shows and runs exactly these steps.
//
// Copying a threat defense package to a device does not depend on the
// version its chassis runs: ORDER-4 blocks the device's readiness check
// and upgrade until the chassis has its FXOS companion (or, multi-instance,
// its own upgrade), not the copy. So the stage plan of an estate whose
// chassis are still behind is this same part, and it can run before the
// chassis window. The chassis' own packages (FXOS bundles, and the copy a
// multi-instance chassis upgrades from) are left to the chassis job that
// upgrades them.
func StagePlan(e Estate, p *EstatePlan) *EstatePlan {
	chassis := map[string]bool{}
	for _, c := range e.Chassis {
		chassis[c.Name] = true
	}
	out := &EstatePlan{Warnings: slices.Clone(p.Warnings), UnitPaths: maps.Clone(p.UnitPaths),
		Shortfalls: maps.Clone(p.Shortfalls), maxParallel: p.maxParallel}
	pkgs := map[string]bool{}
	for _, s := range p.Steps {
		if s.Action != ActionCopyPackage {
			continue
		}
		var units []string
		for _, u := range s.Units {
			if !chassis[u] {
				units = append(units, u)
			}
		}
		if len(units) == 0 {
			continue
		}
		s.Units, s.After = units, nil
		s.Order, s.Wave = len(out.Steps)+1, 1
		s.Note = fmt.Sprintf("to %d unit%s", len(units), plural(len(units)))
		out.Steps = append(out.Steps, s)
		if !strings.HasSuffix(s.Target, "(build unknown)") {
			pkgs[s.Target] = true
		}
	}
	if len(out.Steps) > 0 {
		out.Waves, out.CriticalPath = 1, 1
	}
	for f := range pkgs {
		out.Packages = append(out.Packages, f)
	}
	sort.Strings(out.Packages)
	return out
}
