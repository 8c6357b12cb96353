package planner

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// A Firepower 4100 behind its FXOS companion, a multi-instance 3100 chassis
// behind its instance and a standalone Firepower 1000: the stage plan copies
// the threat defense packages to the three devices and nothing else, in one
// wave, and leaves the full plan as it was.
func TestStagePlan(t *testing.T) {
	c := mustCatalog(t)
	e := Estate{
		ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
		Chassis: []Chassis{fp4100("fp4100-a", "2.12.0.498"),
			{Name: "sf3100-a", Platform: "secure_firewall_3100", Version: "7.4.1"}},
		Devices: []Device{
			instance("ftd-a", "firepower_4100", "7.2.5", "fp4100-a"),
			instance("inst-a", "secure_firewall_3100", "7.4.1", "sf3100-a"),
			{Name: "br-a", Platform: "firepower_1000", Version: "7.2.5"},
		},
	}
	p, err := PlanEstate(c, e, Targets{ThreatDefense: "7.4.2", MaxParallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.count(ActionUpgradeChassis) != 2 {
		t.Fatalf("the full plan upgrades %d chassis, want 2:\n%s", p.count(ActionUpgradeChassis), strings.Join(p.Lines(), "\n"))
	}
	before := strings.Join(p.Lines(), "\n")
	fp3kUnits := slices.Clone(stepOf(p, "copy_package Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar").Units)
	if !slices.Contains(fp3kUnits, "sf3100-a") || !slices.Contains(fp3kUnits, "inst-a") {
		t.Fatalf("the full plan copies the 3100 package to %v, want the chassis and its instance", fp3kUnits)
	}

	sp := StagePlan(e, p)
	want := []string{
		"wave 1  copy_package  Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar  7.4.2  [PKG-3, PKG-1, PKG-2] to 1 unit",
		"wave 1  copy_package  Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar  7.4.2  [PKG-3, PKG-1, PKG-2] to 1 unit",
		"wave 1  copy_package  Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar  7.4.2  [PKG-3, PKG-1, PKG-2] to 1 unit",
	}
	got := sp.Lines()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("stage plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	units := map[string]bool{}
	for i, s := range sp.Steps {
		if s.Order != i+1 || s.Wave != 1 || len(s.After) != 0 {
			t.Errorf("step %d: order %d, wave %d, after %v", i, s.Order, s.Wave, s.After)
		}
		for _, u := range s.Units {
			units[u] = true
		}
	}
	if !maps.Equal(units, map[string]bool{"ftd-a": true, "inst-a": true, "br-a": true}) {
		t.Errorf("copied to %v, want the three devices only", units)
	}
	if sp.Waves != 1 || sp.CriticalPath != 1 || sp.MaxParallel() != 2 {
		t.Errorf("waves %d, critical path %d, max_parallel %d", sp.Waves, sp.CriticalPath, sp.MaxParallel())
	}
	if slices.ContainsFunc(sp.Packages, func(f string) bool { return strings.HasPrefix(f, "fxos-") }) || len(sp.Packages) != 3 {
		t.Errorf("packages %v, want the three threat defense packages", sp.Packages)
	}
	// The paths still show where every unit goes, chassis included.
	if !slices.Equal(sp.UnitPaths["fp4100-a"], p.UnitPaths["fp4100-a"]) || len(sp.UnitPaths) != len(p.UnitPaths) {
		t.Errorf("unit paths %v, want %v", sp.UnitPaths, p.UnitPaths)
	}
	if after := strings.Join(p.Lines(), "\n"); after != before ||
		!slices.Equal(stepOf(p, "copy_package Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar").Units, fp3kUnits) {
		t.Error("StagePlan changed the plan it was given")
	}

	if sp := StagePlan(e, &EstatePlan{}); len(sp.Steps) != 0 || sp.Waves != 0 {
		t.Errorf("stage plan of an empty plan: %+v", sp)
	}
}
