package planner

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// estateGen builds random but plausible estates: units of one pair or
// cluster share family and version, instances run no newer than their
// chassis allows, and chassis are shared between pairs so that actives
// cross (HA-6).
type estateGen struct {
	r     *rand.Rand
	c     *catalog.Catalog
	e     Estate
	fxos  []int // indexes of FXOS chassis in e.Chassis
	mi    []int
	base  map[string]version.Version // chassis -> newest version its instances may run
	names int
}

var (
	genNative = []string{"threat_defense_virtual", "firepower_1000", "firepower_2100", "secure_firewall_3100", "secure_firewall_1200", "isa_3000"}
	genFXOS   = []string{"firepower_4100", "firepower_9300"}
	genMI     = []string{"secure_firewall_3100", "secure_firewall_4200"}
)

func (g *estateGen) name(prefix string) string {
	g.names++
	return fmt.Sprintf("%s%d", prefix, g.names)
}

// versions lists the maintenance releases (and a few patches) a family runs
// within [lo, hi], never 7.4.0 for threat defense.
func (g *estateGen) versions(product, family, lo, hi string) []string {
	l, h := version.MustParse(lo), version.MustParse(hi)
	var out []string
	for _, r := range g.c.ReleasesFor(product, family) {
		v := r.V()
		if version.Compare(v, l) < 0 || version.Compare(v, h) > 0 || product == catalog.ProductThreatDefense && v.String() == "7.4.0" {
			continue
		}
		if v.IsPatch() && g.r.Intn(4) > 0 {
			continue
		}
		out = append(out, v.String())
	}
	return out
}

func (g *estateGen) pick(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[g.r.Intn(len(list))]
}

func (g *estateGen) device(platform, v, chassis string) string {
	n := g.name("d")
	g.e.Devices = append(g.e.Devices, Device{Name: n, Platform: platform, Version: v, Chassis: chassis})
	return n
}

// fxosChassis returns a 4100/9300 chassis (new or shared) and the newest
// version its instances may run.
func (g *estateGen) fxosChassis(platform string) (string, version.Version) {
	if len(g.fxos) > 0 && g.r.Intn(3) > 0 {
		ch := g.e.Chassis[g.fxos[g.r.Intn(len(g.fxos))]]
		if ch.Platform == platform {
			return ch.Name, g.base[ch.Name]
		}
	}
	v := version.MustParse(g.pick(g.versions(catalog.ProductThreatDefense, platform, "6.6.0", "7.7.99")))
	co, _ := g.c.Companion(v.Train())
	fx := co.FXOS
	if g.r.Intn(5) == 0 {
		// A chassis ahead of its devices (ORDER-5).
		if next, ok := g.c.Companion(fmt.Sprintf("%d.%d", v.Major, v.Minor+1)); ok {
			fx = next.FXOS
		}
	}
	full := fx + ".0.100"
	if b, ok := g.c.LatestFXOSBuild(fx); ok {
		full = b.Version
	}
	n := g.name("fx")
	g.fxos = append(g.fxos, len(g.e.Chassis))
	g.e.Chassis = append(g.e.Chassis, Chassis{Name: n, Platform: platform, Version: full})
	g.base[n] = v
	return n, v
}

func (g *estateGen) miChassis(platform string) (string, version.Version) {
	if len(g.mi) > 0 && g.r.Intn(3) > 0 {
		ch := g.e.Chassis[g.mi[g.r.Intn(len(g.mi))]]
		if ch.Platform == platform {
			return ch.Name, g.base[ch.Name]
		}
	}
	fam, _ := g.c.Family(platform)
	lo := strings.TrimPrefix(fam.ChassisSupport.Versions, ">= ")
	v := version.MustParse(g.pick(g.versions(catalog.ProductThreatDefense, platform, lo, "7.7.99")))
	n := g.name("mi")
	g.mi = append(g.mi, len(g.e.Chassis))
	g.e.Chassis = append(g.e.Chassis, Chassis{Name: n, Platform: platform, Version: v.String()})
	g.base[n] = v
	return n, v
}

// instanceVersion is a version no newer than the chassis allows.
func (g *estateGen) instanceVersion(platform string, base version.Version, mi bool) string {
	lo := "6.6.0"
	if mi {
		fam, _ := g.c.Family(platform)
		lo = strings.TrimPrefix(fam.ChassisSupport.Versions, ">= ")
	}
	if g.r.Intn(2) == 0 {
		return base.String()
	}
	if v := g.pick(g.versions(catalog.ProductThreatDefense, platform, lo, base.String())); v != "" {
		return v
	}
	return base.String()
}

func randomEstate(r *rand.Rand, c *catalog.Catalog) (Estate, Targets) {
	g := &estateGen{r: r, c: c, base: map[string]version.Version{}}
	mcv := g.pick(g.versions(catalog.ProductManagementCenter, "management_center", "6.6.0", "7.7.99"))
	g.e.ManagementCenter = ManagementCenter{Name: "fmc", Version: mcv}
	if r.Intn(3) == 0 {
		g.e.ManagementCenter.HAPeer = "fmc-peer"
	}
	for blocks := 1 + r.Intn(6); blocks > 0; blocks-- {
		switch r.Intn(8) {
		case 0:
			p := g.pick(genNative)
			g.device(p, g.pick(g.versions(catalog.ProductThreatDefense, p, "6.6.0", "7.7.99")), "")
		case 1:
			p := g.pick([]string{"threat_defense_virtual", "secure_firewall_3100", "firepower_1000"})
			v := g.pick(g.versions(catalog.ProductThreatDefense, p, "6.6.0", "7.7.99"))
			a, b := g.device(p, v, ""), g.device(p, v, "")
			g.e.HAPairs = append(g.e.HAPairs, HAPair{Name: g.name("ha"), Primary: a, Secondary: b, Active: g.pick([]string{"", a, b})})
		case 2:
			p := g.pick([]string{"threat_defense_virtual", "secure_firewall_3100"})
			v := g.pick(g.versions(catalog.ProductThreatDefense, p, "6.6.0", "7.7.99"))
			var units []string
			for n := 2 + r.Intn(2); n > 0; n-- {
				units = append(units, g.device(p, v, ""))
			}
			g.e.Clusters = append(g.e.Clusters, Cluster{Name: g.name("cl"), Control: units[0], Data: units[1:]})
		case 3:
			p := g.pick(genFXOS)
			ch, base := g.fxosChassis(p)
			g.device(p, g.instanceVersion(p, base, false), ch)
		case 4:
			p := g.pick(genFXOS)
			c1, b1 := g.fxosChassis(p)
			c2, b2 := g.fxosChassis(p)
			base := b1
			if version.Compare(b2, b1) < 0 {
				base = b2
			}
			v := g.instanceVersion(p, base, false)
			a, b := g.device(p, v, c1), g.device(p, v, c2)
			g.e.HAPairs = append(g.e.HAPairs, HAPair{Name: g.name("ha"), Primary: a, Secondary: b, Active: g.pick([]string{a, b})})
		case 5:
			p := g.pick(genFXOS)
			c1, base := g.fxosChassis(p)
			chassis := []string{c1}
			if r.Intn(2) == 0 {
				c2, b2 := g.fxosChassis(p)
				chassis = append(chassis, c2)
				if version.Compare(b2, base) < 0 {
					base = b2
				}
			}
			v := g.instanceVersion(p, base, false)
			var units []string
			for n := 2 + r.Intn(3); n > 0; n-- {
				units = append(units, g.device(p, v, chassis[n%len(chassis)]))
			}
			ctl := r.Intn(len(units))
			data := append(append([]string(nil), units[:ctl]...), units[ctl+1:]...)
			g.e.Clusters = append(g.e.Clusters, Cluster{Name: g.name("cl"), Control: units[ctl], Data: data})
		case 6:
			p := g.pick(genMI)
			ch, base := g.miChassis(p)
			g.device(p, g.instanceVersion(p, base, true), ch)
		case 7:
			p := g.pick(genMI)
			c1, b1 := g.miChassis(p)
			c2, b2 := g.miChassis(p)
			base := b1
			if version.Compare(b2, b1) < 0 {
				base = b2
			}
			v := g.instanceVersion(p, base, true)
			a, b := g.device(p, v, c1), g.device(p, v, c2)
			g.e.HAPairs = append(g.e.HAPairs, HAPair{Name: g.name("ha"), Primary: a, Secondary: b, Active: g.pick([]string{a, b})})
		}
	}
	t := Targets{MaxParallel: r.Intn(4)}
	switch r.Intn(10) {
	case 0:
		t.ThreatDefense = TargetLatest
	case 1:
		t.ThreatDefense = TargetSuggested
	default:
		// The newer of two picks: most devices then have somewhere to go.
		vs := g.versions(catalog.ProductThreatDefense, "threat_defense_virtual", "7.0.0", "7.7.99")
		a, b := r.Intn(len(vs)), r.Intn(len(vs))
		t.ThreatDefense = vs[max(a, b)]
		if r.Intn(8) == 0 {
			t.ManagementCenter = g.pick(g.versions(catalog.ProductManagementCenter, "management_center", t.ThreatDefense, "7.7.99"))
		}
	}
	if r.Intn(6) == 0 {
		t.Chassis = g.pick([]string{"2.14", "2.16", "2.17", "2.14.1.131"})
	}
	switch r.Intn(4) {
	case 0:
		t.MultiInstanceHA = MultiInstanceSerial
	case 1:
		t.MultiInstanceHA = MultiInstanceParallel
		t.AcknowledgeParallelHA = r.Intn(5) > 0
	}
	return g.e, t
}

// TestEstateProperties plans thousands of random estates: a plan never
// breaks a rule CheckPlan knows, every unit reaches its target or the plan
// says why, and a refusal always names the field, the rule and a fix.
func TestEstateProperties(t *testing.T) {
	c := mustCatalog(t)
	n := 4000
	if testing.Short() {
		n = 500
	}
	r := rand.New(rand.NewSource(20250602))
	planned, steps := 0, 0
	refused := map[string]int{}
	for i := 0; i < n; i++ {
		e, tg := randomEstate(r, c)
		p, err := PlanEstate(c, e, tg)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("estate %d: not a RuleError: %v\n%+v\n%+v", i, err, e, tg)
			}
			if re.Field == "" || re.Fix == "" || re.Problem == "" {
				t.Fatalf("estate %d: refusal without field, problem or fix: %#v", i, re)
			}
			refused[re.Rule+" "+re.Field[:strings.IndexAny(re.Field+"[", "[.")]]++
			continue
		}
		planned++
		steps += len(p.Steps)
		if vs := CheckPlan(c, e, tg, p); len(vs) > 0 {
			t.Fatalf("estate %d breaks rules:\n%s\n%+v\n%+v\n%s", i, joinViolations(vs), e, tg, strings.Join(p.Lines(), "\n"))
		}
		if len(p.Steps) > 0 && p.CriticalPath < 1 || p.CriticalPath > p.Waves {
			t.Fatalf("estate %d: critical path %d, waves %d", i, p.CriticalPath, p.Waves)
		}
		for _, s := range p.Steps {
			for _, rule := range s.Rules {
				if !ruleText.MatchString(rule) {
					t.Fatalf("estate %d: step %d rule %q", i, s.Order, rule)
				}
			}
		}
		if i%40 == 0 {
			again, err := PlanEstate(c, e, tg)
			if err != nil || strings.Join(again.Lines(), "\n") != strings.Join(p.Lines(), "\n") {
				t.Fatalf("estate %d: planning is not deterministic (%v)", i, err)
			}
			if p.Markdown() == "" || !strings.HasPrefix(p.Mermaid(), "flowchart TD\n") {
				t.Fatalf("estate %d: empty rendering", i)
			}
		}
	}
	var keys []string
	for k := range refused {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, refused[k]))
	}
	t.Logf("%d estates: %d planned (%d steps), refusals: %s", n, planned, steps, strings.Join(parts, ", "))
	if planned < n/2 {
		t.Fatalf("only %d of %d random estates planned: the generator no longer exercises the sequencer", planned, n)
	}
}

func joinViolations(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.String() + "\n")
	}
	return b.String()
}

// FuzzPlanEstate feeds arbitrary versions, names and options to the
// planner: it never panics, refuses with a field and a fix, and what it
// plans passes CheckPlan.
func FuzzPlanEstate(f *testing.F) {
	f.Add("7.2.5", "7.0.6", "2.10.1.271", "7.6.1", "", 0, uint8(0))
	f.Add("7.4.2", "7.2.5", "2.12(0.498)", "latest", "2.16", 2, uint8(1))
	f.Add("6.6.0", "6.6.0", "2.8.1.105", "7.7.0", "", 1, uint8(2))
	f.Add("7.6.1", "7.4.1-172", "7.4.1", "suggested", "2.14.1.131", 0, uint8(3))
	f.Add("", "x", "2.16", "7.4.0", "bad", -1, uint8(4))
	f.Fuzz(func(t *testing.T, mc, dv, cv, target, chassisTarget string, maxPar int, shape uint8) {
		c := mustCatalog(t)
		platforms := []string{"firepower_4100", "secure_firewall_3100", "threat_defense_virtual", "firepower_9300"}
		p := platforms[int(shape)%len(platforms)]
		chassisPlatform := p
		if p == "threat_defense_virtual" {
			chassisPlatform = "firepower_4100"
		}
		e := Estate{
			ManagementCenter: ManagementCenter{Name: "fmc", Version: mc},
			Chassis:          []Chassis{{Name: "c1", Platform: chassisPlatform, Version: cv}, {Name: "c2", Platform: chassisPlatform, Version: cv}},
			Devices: []Device{
				{Name: "a", Platform: p, Version: dv, Chassis: "c1"},
				{Name: "b", Platform: p, Version: dv, Chassis: "c2"},
				{Name: "v", Platform: "threat_defense_virtual", Version: dv},
			},
		}
		if p == "threat_defense_virtual" {
			e.Devices[0].Chassis, e.Devices[1].Chassis = "", ""
		}
		switch shape % 3 {
		case 1:
			e.HAPairs = []HAPair{{Name: "ha", Primary: "a", Secondary: "b", Active: "b"}}
		case 2:
			e.Clusters = []Cluster{{Name: "cl", Control: "a", Data: []string{"b"}}}
		}
		tg := Targets{ThreatDefense: target, Chassis: chassisTarget, MaxParallel: maxPar, MultiInstanceHA: []string{"", MultiInstanceSerial, MultiInstanceParallel}[int(shape/3)%3], AcknowledgeParallelHA: shape&8 != 0}
		plan, err := PlanEstate(c, e, tg)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || re.Field == "" || re.Fix == "" {
				t.Fatalf("refusal without field or fix: %v", err)
			}
			return
		}
		if vs := CheckPlan(c, e, tg, plan); len(vs) > 0 {
			t.Fatalf("%s\n%s", joinViolations(vs), strings.Join(plan.Lines(), "\n"))
		}
		_ = plan.Markdown()
		_ = plan.Mermaid()
	})
}
