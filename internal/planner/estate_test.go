package planner

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/planner -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; run with -update after checking the change.\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// render is the golden form of a plan: the step lines, then the warnings,
// the path per unit and the packages.
func render(p *EstatePlan) string {
	var b strings.Builder
	b.WriteString("# steps\n")
	for _, l := range p.Lines() {
		b.WriteString(l + "\n")
	}
	b.WriteString("# warnings\n")
	for _, w := range p.Warnings {
		b.WriteString(w + "\n")
	}
	b.WriteString("# paths\n")
	var names []string
	for n := range p.UnitPaths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n + ": " + strings.Join(p.UnitPaths[n], " -> ") + "\n")
	}
	b.WriteString("# packages\n")
	for _, pk := range p.Packages {
		b.WriteString(pk + "\n")
	}
	return b.String()
}

type estateCase struct {
	name string
	e    Estate
	t    Targets
	// check inspects the plan beyond the golden file.
	check func(t *testing.T, p *EstatePlan)
}

func fp4100(name, version string) Chassis {
	return Chassis{Name: name, Platform: "firepower_4100", Version: version}
}

func instance(name, platform, version, chassis string) Device {
	return Device{Name: name, Platform: platform, Version: version, Chassis: chassis}
}

var estateCases = []estateCase{
	{
		name: "table3_standalone",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
			Chassis:          []Chassis{fp4100("fp4100-a", "2.12.0.498")},
			Devices:          []Device{instance("ftd-a", "firepower_4100", "7.2.5", "fp4100-a")},
		},
		t: Targets{ThreatDefense: "7.4.2"},
		check: func(t *testing.T, p *EstatePlan) {
			wantSequence(t, p, "upgrade_chassis fp4100-a", "upgrade_threat_defense ftd-a")
		},
	},
	{
		name: "table3_ha_pair",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
			Chassis:          []Chassis{fp4100("fp4100-a", "2.12.0.498"), fp4100("fp4100-b", "2.12.0.498")},
			Devices: []Device{
				instance("ftd-a", "firepower_4100", "7.2.5", "fp4100-a"),
				instance("ftd-b", "firepower_4100", "7.2.5", "fp4100-b"),
			},
			HAPairs: []HAPair{{Name: "edge-ha", Primary: "ftd-a", Secondary: "ftd-b", Active: "ftd-a"}},
		},
		t: Targets{ThreatDefense: "7.4.2"},
		check: func(t *testing.T, p *EstatePlan) {
			wantSequence(t, p, "upgrade_chassis fp4100-b", "verify fp4100-b", "switch_ha_roles edge-ha", "verify edge-ha",
				"upgrade_chassis fp4100-a", "verify fp4100-a", "upgrade_threat_defense edge-ha")
			wantLine(t, p, "upgrade_chassis  fp4100-b  2.12.0.498 -> 2.14.1.131  [ORDER-4, ORDER-5, HA-3, HA-1, PATH-1, PKG-1] standby chassis of pair edge-ha first")
		},
	},
	{
		name: "table3_intra_chassis_cluster",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
			Chassis:          []Chassis{{Name: "fp9300-a", Platform: "firepower_9300", Version: "2.12.0.498"}},
			Devices: []Device{
				instance("m1", "firepower_9300", "7.2.5", "fp9300-a"),
				instance("m2", "firepower_9300", "7.2.5", "fp9300-a"),
				instance("m3", "firepower_9300", "7.2.5", "fp9300-a"),
			},
			Clusters: []Cluster{{Name: "dc-cluster", Control: "m1", Data: []string{"m2", "m3"}}},
		},
		t: Targets{ThreatDefense: "7.4.2"},
		check: func(t *testing.T, p *EstatePlan) {
			wantSequence(t, p, "upgrade_chassis fp9300-a", "upgrade_threat_defense dc-cluster")
			if p.count(ActionMoveClusterControl) != 0 {
				t.Error("an intra-chassis cluster has no control unit to move")
			}
		},
	},
	{
		name: "table3_inter_chassis_cluster",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
			Chassis: []Chassis{
				{Name: "fp9300-a", Platform: "firepower_9300", Version: "2.12.0.498"},
				{Name: "fp9300-b", Platform: "firepower_9300", Version: "2.12.0.498"},
				{Name: "fp9300-c", Platform: "firepower_9300", Version: "2.12.0.498"},
			},
			Devices: []Device{
				instance("m1", "firepower_9300", "7.2.5", "fp9300-a"),
				instance("m2", "firepower_9300", "7.2.5", "fp9300-b"),
				instance("m3", "firepower_9300", "7.2.5", "fp9300-c"),
			},
			Clusters: []Cluster{{Name: "dc-cluster", Control: "m1", Data: []string{"m2", "m3"}}},
		},
		t: Targets{ThreatDefense: "7.4.2"},
		check: func(t *testing.T, p *EstatePlan) {
			wantSequence(t, p, "upgrade_chassis fp9300-b", "move_cluster_control dc-cluster", "upgrade_chassis fp9300-a",
				"upgrade_chassis fp9300-c", "upgrade_threat_defense dc-cluster")
		},
	},
	{
		name: "table4_standalone",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.6.1"},
			Chassis:          []Chassis{{Name: "sf3100-a", Platform: "secure_firewall_3100", Version: "7.4.1"}},
			Devices:          []Device{instance("inst-a", "secure_firewall_3100", "7.4.1", "sf3100-a")},
		},
		t: Targets{ThreatDefense: "7.6.1"},
		check: func(t *testing.T, p *EstatePlan) {
			wantSequence(t, p, "upgrade_chassis sf3100-a", "upgrade_threat_defense inst-a")
		},
	},
	table4Pair("table4_ha_two_workflows", Targets{ThreatDefense: "7.6.1"}, func(t *testing.T, p *EstatePlan) {
		wantSequence(t, p, "upgrade_chassis sf3100-b", "verify sf3100-b", "switch_ha_roles edge-ha", "verify edge-ha",
			"upgrade_chassis sf3100-a", "verify sf3100-a", "upgrade_threat_defense edge-ha")
	}),
	table4Pair("table4_ha_serial", Targets{ThreatDefense: "7.6.1", MultiInstanceHA: MultiInstanceSerial}, func(t *testing.T, p *EstatePlan) {
		wantSequence(t, p, "upgrade_chassis sf3100-b", "upgrade_chassis sf3100-a", "upgrade_threat_defense edge-ha")
		if p.count(ActionSwitchHARoles) != 0 {
			t.Error("serial upgrade fails over on its own")
		}
	}),
	table4Pair("table4_ha_parallel_acknowledged", Targets{ThreatDefense: "7.6.1", MultiInstanceHA: MultiInstanceParallel, AcknowledgeParallelHA: true}, func(t *testing.T, p *EstatePlan) {
		a, b := stepOf(p, "upgrade_chassis sf3100-a"), stepOf(p, "upgrade_chassis sf3100-b")
		if a.Wave != b.Wave {
			t.Errorf("parallel: both chassis in one wave, got %d and %d", a.Wave, b.Wave)
		}
		if !containsPrefix(p.Warnings, "HA-5: parallel chassis upgrade of pair edge-ha was acknowledged") {
			t.Errorf("warnings = %q", p.Warnings)
		}
	}),
	{
		// ORDER-3: 7.0 devices are too old for management center 7.6 (it
		// manages 7.1+): devices to 7.2 under the 7.2 management center, the
		// management center to 7.6.1, then devices to 7.6.1; the 4100's
		// chassis follows each hop's companion (2.12, then 2.16).
		name: "order3_three_step",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.2.10"},
			Chassis:          []Chassis{fp4100("fp4100-a", "2.10.1.271")},
			Devices: []Device{
				{Name: "branch-1", Platform: "threat_defense_virtual", Version: "7.0.6"},
				instance("dc-1", "firepower_4100", "7.0.6", "fp4100-a"),
			},
		},
		t: Targets{ThreatDefense: "7.6.1"},
		check: func(t *testing.T, p *EstatePlan) {
			wantSequence(t, p, "upgrade_threat_defense branch-1 7.0.6 -> 7.2.10", "upgrade_management_center fmc 7.2.10 -> 7.6.1",
				"upgrade_threat_defense branch-1 7.2.10 -> 7.6.1")
			wantSequence(t, p, "upgrade_chassis fp4100-a 2.10.1.271 -> 2.12.1.48", "upgrade_threat_defense dc-1 7.0.6 -> 7.2.10",
				"upgrade_management_center fmc", "upgrade_chassis fp4100-a 2.12.1.48 -> 2.16", "upgrade_threat_defense dc-1 7.2.10 -> 7.6.1")
		},
	},
	{
		// A realistic mix: a management center pair, two 4100 pairs whose
		// actives sit on different chassis (HA-6), a multi-instance 3100, a
		// native cluster, virtual devices, one already newer than the target,
		// a chassis target beyond what the devices need (ORDER-5) and a cap
		// on parallel upgrades.
		name: "mixed_estate",
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc-1", Version: "7.4.1", HAPeer: "fmc-2"},
			Chassis: []Chassis{
				fp4100("fp-east", "2.12.0.498"), fp4100("fp-west", "2.12.0.498"),
				{Name: "sf-mi", Platform: "secure_firewall_3100", Version: "7.4.1"},
			},
			Devices: []Device{
				instance("edge-1a", "firepower_4100", "7.2.5", "fp-east"),
				instance("edge-1b", "firepower_4100", "7.2.5", "fp-west"),
				instance("edge-2a", "firepower_4100", "7.2.5", "fp-east"),
				instance("edge-2b", "firepower_4100", "7.2.5", "fp-west"),
				instance("mi-1", "secure_firewall_3100", "7.4.1", "sf-mi"),
				{Name: "core-1", Platform: "secure_firewall_3100", Version: "7.2.5"},
				{Name: "core-2", Platform: "secure_firewall_3100", Version: "7.2.5"},
				{Name: "branch-1", Platform: "firepower_1000", Version: "7.2.5"},
				{Name: "branch-2", Platform: "firepower_1000", Version: "7.2.5"},
				{Name: "cloud-1", Platform: "threat_defense_virtual", Version: "7.6.1"},
			},
			HAPairs: []HAPair{
				{Name: "edge-ha-1", Primary: "edge-1a", Secondary: "edge-1b", Active: "edge-1a"},
				{Name: "edge-ha-2", Primary: "edge-2a", Secondary: "edge-2b", Active: "edge-2b"},
			},
			Clusters: []Cluster{{Name: "core", Control: "core-1", Data: []string{"core-2"}}},
		},
		t: Targets{ThreatDefense: "7.4.2", Chassis: "2.16", MaxParallel: 2},
		check: func(t *testing.T, p *EstatePlan) {
			if !containsPrefix(p.Warnings, "HA-6: chassis") {
				t.Errorf("want an HA-6 warning: %q", p.Warnings)
			}
			if p.Shortfalls["cloud-1"] == "" {
				t.Error("cloud-1 runs a newer version: the plan must say why it stays")
			}
			wantSequence(t, p, "upgrade_threat_defense edge-ha-1", "upgrade_chassis fp-east 2.14.1.131 -> 2.16")
		},
	},
}

func table4Pair(name string, tg Targets, check func(*testing.T, *EstatePlan)) estateCase {
	return estateCase{
		name: name,
		e: Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.6.1"},
			Chassis: []Chassis{
				{Name: "sf3100-a", Platform: "secure_firewall_3100", Version: "7.4.1"},
				{Name: "sf3100-b", Platform: "secure_firewall_3100", Version: "7.4.1"},
			},
			Devices: []Device{
				instance("inst-a", "secure_firewall_3100", "7.4.1", "sf3100-a"),
				instance("inst-b", "secure_firewall_3100", "7.4.1", "sf3100-b"),
			},
			HAPairs: []HAPair{{Name: "edge-ha", Primary: "inst-a", Secondary: "inst-b", Active: "inst-a"}},
		},
		t:     tg,
		check: check,
	}
}

// stepOf finds the first step whose "action target [change]" starts with
// key.
func stepOf(p *EstatePlan, key string) Step {
	for _, s := range p.Steps {
		if strings.HasPrefix(s.Action+" "+s.Target+" "+s.Change(), key) {
			return s
		}
	}
	return Step{}
}

// wantSequence checks that the steps exist and run in strictly later waves.
func wantSequence(t *testing.T, p *EstatePlan, keys ...string) {
	t.Helper()
	prev := Step{}
	for i, k := range keys {
		s := stepOf(p, k)
		if s.Order == 0 {
			t.Errorf("no step %q", k)
			return
		}
		if i > 0 && s.Wave <= prev.Wave {
			t.Errorf("%q (wave %d) must come after %q (wave %d)", k, s.Wave, keys[i-1], prev.Wave)
		}
		prev = s
	}
}

func wantLine(t *testing.T, p *EstatePlan, suffix string) {
	t.Helper()
	for _, l := range p.Lines() {
		if strings.HasSuffix(l, suffix) {
			return
		}
	}
	t.Errorf("no line ends with %q", suffix)
}

var ruleText = regexp.MustCompile(`^(PATH|ORDER|HA|PKG|READY)-\d+: \S`)

func TestEstateGolden(t *testing.T) {
	c := mustCatalog(t)
	for _, tc := range estateCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanEstate(c, tc.e, tc.t)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range CheckPlan(c, tc.e, tc.t, p) {
				t.Error(v)
			}
			for _, s := range p.Steps {
				if len(s.Rules) == 0 {
					t.Errorf("step %d has no rule", s.Order)
				}
				for _, r := range s.Rules {
					if !ruleText.MatchString(r) {
						t.Errorf("step %d: rule %q does not start with a rule id", s.Order, r)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			golden(t, tc.name+".txt", render(p))
		})
	}
}

func TestEstateRenderersGolden(t *testing.T) {
	c := mustCatalog(t)
	for _, tc := range estateCases {
		if tc.name != "table3_ha_pair" && tc.name != "order3_three_step" {
			continue
		}
		p, err := PlanEstate(c, tc.e, tc.t)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name+".md", p.Markdown())
		golden(t, tc.name+".mmd", p.Mermaid())
	}
}

func TestEstateMermaidSummarisesLargePlans(t *testing.T) {
	c := mustCatalog(t)
	e, tg := largeEstate(200)
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Mermaid()
	if strings.Contains(m, "subgraph") || !strings.Contains(m, "w1[\"Wave 1<br/>") {
		t.Fatalf("want one node per wave:\n%s", m)
	}
	if n := strings.Count(m, "\n"); n > 2*p.Waves+2 {
		t.Fatalf("%d lines for %d waves", n, p.Waves)
	}
}

func TestEstateMaxParallel(t *testing.T) {
	c := mustCatalog(t)
	e, tg := largeEstate(60)
	tg.MaxParallel = 3
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	per := map[int]int{}
	for _, s := range p.Steps {
		if capped(s.Action) {
			per[s.Wave]++
		}
	}
	for w, n := range per {
		if n > 3 {
			t.Errorf("wave %d runs %d upgrades", w, n)
		}
	}
	if p.CriticalPath >= p.Waves {
		t.Errorf("a cap of 3 on 60 devices must stretch the plan past its critical path (%d waves, critical %d)", p.Waves, p.CriticalPath)
	}
	for _, v := range CheckPlan(c, e, tg, p) {
		t.Error(v)
	}
}

func TestEstateCheckPlanCatchesBrokenPlans(t *testing.T) {
	c := mustCatalog(t)
	var pair estateCase
	for _, tc := range estateCases {
		if tc.name == "table3_ha_pair" {
			pair = tc
		}
	}
	fresh := func(t *testing.T) *EstatePlan {
		p, err := PlanEstate(c, pair.e, pair.t)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mutations := []struct {
		name, rule string
		mutate     func(p *EstatePlan)
	}{
		{"active chassis first", "HA-3", func(p *EstatePlan) {
			swapTargets(p, "upgrade_chassis fp4100-a", "upgrade_chassis fp4100-b")
		}},
		{"two chassis of a pair in one wave", "HA-1", func(p *EstatePlan) {
			a := indexOf(p, "upgrade_chassis fp4100-a")
			p.Steps[a].Wave = p.Steps[indexOf(p, "upgrade_chassis fp4100-b")].Wave
			resort(p)
		}},
		{"device past the management center", "ORDER-2", func(p *EstatePlan) {
			i := indexOf(p, "upgrade_threat_defense edge-ha")
			p.Steps[i].To = "7.6.1"
		}},
		{"threat defense before its companion", "ORDER-4", func(p *EstatePlan) {
			dropSteps(p, ActionUpgradeChassis)
		}},
		{"no deploy before the upgrade", "READY-2", func(p *EstatePlan) {
			dropSteps(p, ActionDeployConfiguration)
		}},
		{"order disagrees with waves", "PLAN", func(p *EstatePlan) {
			p.Steps[len(p.Steps)-1].Wave = 1
		}},
		{"unit short of its target without a warning", "PLAN", func(p *EstatePlan) {
			dropSteps(p, ActionUpgradeThreatDefense)
		}},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			p := fresh(t)
			m.mutate(p)
			vs := CheckPlan(c, pair.e, pair.t, p)
			for _, v := range vs {
				if v.Rule == m.rule {
					return
				}
			}
			t.Fatalf("want a %s violation, got %v", m.rule, vs)
		})
	}
	t.Run("too many upgrades in a wave", func(t *testing.T) {
		e, tg := largeEstate(20)
		p, err := PlanEstate(c, e, tg)
		if err != nil {
			t.Fatal(err)
		}
		tg.MaxParallel = 1
		for _, v := range CheckPlan(c, e, tg, p) {
			if strings.Contains(v.Problem, "max_parallel") {
				return
			}
		}
		t.Fatal("no max_parallel violation")
	})
}

func indexOf(p *EstatePlan, key string) int {
	for i, s := range p.Steps {
		if strings.HasPrefix(s.Action+" "+s.Target+" "+s.Change(), key) {
			return i
		}
	}
	return -1
}

func swapTargets(p *EstatePlan, a, b string) {
	i, j := indexOf(p, a), indexOf(p, b)
	p.Steps[i].Target, p.Steps[j].Target = p.Steps[j].Target, p.Steps[i].Target
}

// resort orders the steps by wave again and renumbers them.
func resort(p *EstatePlan) {
	sort.SliceStable(p.Steps, func(i, j int) bool { return p.Steps[i].Wave < p.Steps[j].Wave })
	for i := range p.Steps {
		p.Steps[i].Order, p.Steps[i].After = i+1, nil
	}
}

// dropSteps removes every step of action and renumbers, keeping waves.
func dropSteps(p *EstatePlan, action string) {
	var kept []Step
	for _, s := range p.Steps {
		if s.Action != action {
			s.Order = len(kept) + 1
			s.After = nil
			kept = append(kept, s)
		}
	}
	p.Steps = kept
}

func TestEstateValidation(t *testing.T) {
	c := mustCatalog(t)
	base := func() Estate {
		return Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
			Chassis:          []Chassis{fp4100("fp-a", "2.12.0.498"), fp4100("fp-b", "2.12.0.498")},
			Devices: []Device{
				instance("a", "firepower_4100", "7.2.5", "fp-a"),
				instance("b", "firepower_4100", "7.2.5", "fp-b"),
				{Name: "v1", Platform: "threat_defense_virtual", Version: "7.2.5"},
				{Name: "v2", Platform: "threat_defense_virtual", Version: "7.2.5"},
			},
		}
	}
	ok := Targets{ThreatDefense: "7.4.2"}
	cases := []struct {
		name   string
		edit   func(e *Estate, t *Targets)
		rule   string
		field  string
		detail string
	}{
		{"unknown unit in a pair", func(e *Estate, _ *Targets) {
			e.HAPairs = []HAPair{{Name: "p", Primary: "a", Secondary: "nope"}}
		}, "", "ha_pairs[0].secondary", "unknown unit"},
		{"unknown cluster control", func(e *Estate, _ *Targets) {
			e.Clusters = []Cluster{{Name: "cl", Control: "ghost", Data: []string{"v1"}}}
		}, "", "clusters[0].control", "unknown unit"},
		{"device on an unknown chassis", func(e *Estate, _ *Targets) { e.Devices[3].Chassis = "fp-z" }, "ORDER-4", "devices[3].chassis", "fp-z"},
		{"device of another platform on a chassis", func(e *Estate, _ *Targets) {
			e.Devices = append(e.Devices, instance("c", "firepower_9300", "7.2.5", "fp-a"))
		}, "ORDER-4", "devices[4].platform", "firepower_4100"},
		{"pair of different families", func(e *Estate, _ *Targets) {
			e.HAPairs = []HAPair{{Name: "p", Primary: "a", Secondary: "v1"}}
		}, "HA-1", "ha_pairs[0].secondary", "mixes"},
		{"pair of different versions", func(e *Estate, _ *Targets) {
			e.Devices[3].Version = "7.2.4"
			e.HAPairs = []HAPair{{Name: "p", Primary: "v1", Secondary: "v2"}}
		}, "HA-1", "ha_pairs[0].secondary", "same version"},
		{"device in two pairs", func(e *Estate, _ *Targets) {
			e.HAPairs = []HAPair{{Name: "p", Primary: "a", Secondary: "b"}, {Name: "q", Primary: "b", Secondary: "a"}}
		}, "HA-1", "ha_pairs[1].primary", "already in p"},
		{"device in a pair and a cluster", func(e *Estate, _ *Targets) {
			e.HAPairs = []HAPair{{Name: "p", Primary: "v1", Secondary: "v2"}}
			e.Clusters = []Cluster{{Name: "cl", Control: "a", Data: []string{"v2"}}}
		}, "HA-1", "clusters[0].data[0]", "already in p"},
		{"active unit not a member", func(e *Estate, _ *Targets) {
			e.HAPairs = []HAPair{{Name: "p", Primary: "a", Secondary: "b", Active: "v1"}}
		}, "HA-3", "ha_pairs[0].active", "not a member"},
		{"duplicate name", func(e *Estate, _ *Targets) { e.Devices[1].Name = "a" }, "", "devices[1].name", "already the name of a device"},
		{"pair named like a device", func(e *Estate, _ *Targets) {
			e.HAPairs = []HAPair{{Name: "v1", Primary: "a", Secondary: "b"}}
		}, "", "ha_pairs[0].name", "already the name of a device"},
		{"unknown platform", func(e *Estate, _ *Targets) { e.Devices[2].Platform = "asa_9000" }, "PATH-6", "devices[2].platform", "asa_9000"},
		{"unparsable device version", func(e *Estate, _ *Targets) { e.Devices[2].Version = "seven" }, "", "devices[2].version", ""},
		{"target the family does not run", func(e *Estate, t *Targets) {
			e.Devices = append(e.Devices, Device{Name: "n", Platform: "firepower_2100", Version: "7.2.5"})
			e.ManagementCenter.Version = "7.6.1"
			t.ThreatDefense = "7.6.1"
		}, "PATH-6", FieldTargetVersion, "device n"},
		{"version the family does not run", func(e *Estate, _ *Targets) {
			e.Devices = append(e.Devices, Device{Name: "n", Platform: "firepower_2100", Version: "7.6.1"})
		}, "PATH-6", "devices[4].version", "device n"},
		{"chassis platform without a chassis", func(e *Estate, _ *Targets) { e.Chassis[0].Platform = "firepower_1000" }, "ORDER-4", "chassis[0].platform", ""},
		{"chassis version without maintenance", func(e *Estate, _ *Targets) { e.Chassis[1].Version = "2.12" }, "", "chassis[1].version", "train"},
		{"multi-instance on a native family", func(e *Estate, _ *Targets) { e.Devices[2].MultiInstance = true }, "ORDER-4", "devices[2].multi_instance", ""},
		{"no target", func(_ *Estate, t *Targets) { t.ThreatDefense = "" }, "", FieldTargetVersion, ""},
		{"target no path reaches", func(e *Estate, t *Targets) {
			e.Devices[2].Version = "7.2.12"
			e.ManagementCenter.Version = "7.6.1"
			t.ThreatDefense = "7.6.1"
		}, "PATH-4", FieldTargetVersion, "device v1"},
		{"threat defense cannot go to 7.4.0", func(_ *Estate, t *Targets) { t.ThreatDefense = "7.4.0" }, "PATH-2", FieldTargetVersion, ""},
		{"management center target below the devices'", func(_ *Estate, t *Targets) {
			t.ManagementCenter = "7.4.2"
			t.ThreatDefense = "7.6.1"
		}, "ORDER-2", FieldManagementCenterTarget, ""},
		{"management center downgrade", func(_ *Estate, t *Targets) { t.ManagementCenter = "7.2.5" }, "PATH-5", FieldManagementCenterTarget, "management center fmc"},
		{"chassis target below the companion", func(_ *Estate, t *Targets) { t.Chassis = "2.12.1.48" }, "ORDER-4", FieldChassisTarget, "2.14"},
		{"negative max_parallel", func(_ *Estate, t *Targets) { t.MaxParallel = -1 }, "", FieldMaxParallel, ""},
		{"unknown multi-instance option", func(_ *Estate, t *Targets) { t.MultiInstanceHA = "yolo" }, "HA-5", FieldMultiInstanceHA, ""},
		{"parallel multi-instance HA without acknowledgement", func(e *Estate, t *Targets) {
			*e = table4Pair("", Targets{}, nil).e
			t.ThreatDefense, t.MultiInstanceHA = "7.6.1", MultiInstanceParallel
		}, "HA-5", FieldMultiInstanceHA, "edge-ha"},
		{"no management center version", func(e *Estate, _ *Targets) { e.ManagementCenter.Version = "" }, "", "management_center.version", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, tg := base(), ok
			tc.edit(&e, &tg)
			_, err := PlanEstate(c, e, tg)
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("want a RuleError, got %v", err)
			}
			if re.Rule != tc.rule || re.Field != tc.field {
				t.Fatalf("want %q on %q, got %q on %q: %v", tc.rule, tc.field, re.Rule, re.Field, re)
			}
			if re.Fix == "" {
				t.Fatalf("no fix: %v", re)
			}
			if !strings.Contains(re.Error(), tc.detail) {
				t.Fatalf("%q lacks %q", re.Error(), tc.detail)
			}
		})
	}
	// The base estate itself plans cleanly.
	if _, err := PlanEstate(c, base(), ok); err != nil {
		t.Fatal(err)
	}
}

func TestEstateKeywordTargetStopsAtManagementCenter(t *testing.T) {
	c := mustCatalog(t)
	e := Estate{
		ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.6.1"},
		Devices:          []Device{{Name: "v", Platform: "threat_defense_virtual", Version: "7.6.1"}},
	}
	tg := Targets{ThreatDefense: TargetLatest}
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	mc := p.UnitPaths["fmc"]
	dv := p.UnitPaths["v"]
	if len(mc) < 2 || len(dv) < 2 {
		t.Fatalf("paths: %v %v", mc, dv)
	}
	if cmp, _ := CompareVersions(dv[len(dv)-1], mc[len(mc)-1]); cmp > 0 && !strings.HasPrefix(p.Shortfalls["v"], "ORDER-2") {
		t.Fatalf("device %v past the management center %v without an ORDER-2 shortfall", dv, mc)
	}
	for _, v := range CheckPlan(c, e, tg, p) {
		t.Error(v)
	}
}

func TestEstateManagementCenterOnlyForThreatDefenseRelease(t *testing.T) {
	c := mustCatalog(t)
	// 7.4.8 shipped for threat defense only: the management center goes to
	// the oldest release that manages it.
	e := Estate{
		ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
		Devices:          []Device{{Name: "v", Platform: "threat_defense_virtual", Version: "7.4.2"}},
	}
	tg := Targets{ThreatDefense: "7.4.8"}
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	if mc := p.UnitPaths["fmc"]; mc[len(mc)-1][:3] != "7.6" {
		t.Fatalf("management center path %v", mc)
	}
	if !containsPrefix(p.Warnings, "ORDER-1: 7.4.8 is a threat defense release only") {
		t.Fatalf("warnings %q", p.Warnings)
	}
	for _, v := range CheckPlan(c, e, tg, p) {
		t.Error(v)
	}
}

// When the management center's fewest-hop path would strand a device
// (ORDER-3), the planner routes the management center through one more
// landing point so that the device can keep up.
func TestEstateOrder3ReroutesManagementCenter(t *testing.T) {
	// Suppose management center 7.6 managed 7.2 and later only: devices on
	// 7.0 could not reach 7.2 while the management center still runs 7.1.
	c, err := catalog.WithOverlay([]byte(`{"managed_devices":[{"management_center":"7.6","oldest_device":"7.2.0","source":"test","verified":true}]}`), "test")
	if err != nil {
		t.Fatal(err)
	}
	e := Estate{
		ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.1.0"},
		Devices:          []Device{{Name: "old", Platform: "threat_defense_virtual", Version: "7.0.6"}},
	}
	tg := Targets{ThreatDefense: "7.6.1"}
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.UnitPaths["fmc"], " "); got != "7.1.0 7.4.2 7.6.1" {
		t.Fatalf("management center path %s", got)
	}
	if !containsPrefix(p.Warnings, "ORDER-3: the management center goes 7.4.2 -> 7.6.1 rather than 7.6.1") {
		t.Fatalf("warnings %q", p.Warnings)
	}
	wantSequence(t, p, "upgrade_management_center fmc 7.1.0 -> 7.4.2", "upgrade_threat_defense old 7.0.6 -> 7.4.2", "upgrade_management_center fmc 7.4.2 -> 7.6.1", "upgrade_threat_defense old 7.4.2 -> 7.6.1")
	for _, v := range CheckPlan(c, e, tg, p) {
		t.Error(v)
	}
}

// The chain that bounds a plan's duration is the longest one, whichever
// branch is wider.
func TestCriticalPathDuration(t *testing.T) {
	p := &EstatePlan{Steps: []Step{
		{Order: 1, Action: ActionCopyPackage},
		{Order: 2, Action: ActionBackup},
		{Order: 3, Action: ActionReadinessCheck, After: []int{1, 2}},
		{Order: 4, Action: ActionUpgradeChassis, After: []int{2}},
		{Order: 5, Action: ActionUpgradeThreatDefense, After: []int{3}},
		{Order: 6, Action: ActionDeployConfiguration, After: []int{4, 5}},
	}}
	least := map[string]time.Duration{
		ActionCopyPackage: 6 * time.Minute, ActionBackup: 4 * time.Minute, ActionReadinessCheck: 8 * time.Minute,
		ActionUpgradeChassis: 70 * time.Minute, ActionUpgradeThreatDefense: 42 * time.Minute,
		ActionDeployConfiguration: 3 * time.Minute,
	}
	cost := func(s Step) time.Duration { return least[s.Action] }
	// 4 (backup) + 70 (chassis) + 3 beats 6 + 8 + 42 + 3.
	if got, want := p.CriticalPathDuration(cost), 77*time.Minute; got != want {
		t.Errorf("CriticalPathDuration = %v, want %v", got, want)
	}
	// The upgrade waits for the check, which waits for the longer of the
	// copy and the backup.
	if got, want := p.EarliestFinish(cost)[5], 56*time.Minute; got != want {
		t.Errorf("EarliestFinish of step 5 = %v, want %v", got, want)
	}
	least[ActionUpgradeThreatDefense] = 90 * time.Minute
	if got, want := p.CriticalPathDuration(cost), 107*time.Minute; got != want {
		t.Errorf("CriticalPathDuration = %v, want %v", got, want)
	}
	if got := (&EstatePlan{}).CriticalPathDuration(cost); got != 0 {
		t.Errorf("empty plan: %v", got)
	}
}
