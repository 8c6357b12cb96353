package planner

import (
	"fmt"
	"testing"
)

// largeEstate is a realistic estate of n devices (rounded up to blocks of
// 20): virtual and Firepower 1000 branches, native 3100 pairs and clusters,
// 4100 pairs across chassis (every fifth block with actives on both
// chassis, HA-6), multi-instance 3100 pairs, and some 7.0 devices too old
// for the management center's next version (ORDER-3).
func largeEstate(n int) (Estate, Targets) {
	e := Estate{ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2", HAPeer: "fmc-standby"}}
	dev := func(name, platform, version, chassis string) {
		e.Devices = append(e.Devices, Device{Name: name, Platform: platform, Version: version, Chassis: chassis})
	}
	for b := 0; len(e.Devices) < n; b++ {
		p := func(s string) string { return fmt.Sprintf("b%04d-%s", b, s) }
		for i := 0; i < 6; i++ {
			v := "7.2.5"
			if i == 0 {
				v = "7.0.6"
			}
			dev(p(fmt.Sprintf("v%d", i)), "threat_defense_virtual", v, "")
		}
		for i := 0; i < 4; i++ {
			dev(p(fmt.Sprintf("br%d", i)), "firepower_1000", "7.2.5", "")
		}
		dev(p("core-a"), "secure_firewall_3100", "7.2.5", "")
		dev(p("core-b"), "secure_firewall_3100", "7.2.5", "")
		e.HAPairs = append(e.HAPairs, HAPair{Name: p("core-ha"), Primary: p("core-a"), Secondary: p("core-b")})
		e.Chassis = append(e.Chassis, fp4100(p("fp1"), "2.12.0.498"), fp4100(p("fp2"), "2.12.0.498"))
		for i := 0; i < 2; i++ {
			a, s := p(fmt.Sprintf("edge%da", i)), p(fmt.Sprintf("edge%db", i))
			dev(a, "firepower_4100", "7.2.5", p("fp1"))
			dev(s, "firepower_4100", "7.2.5", p("fp2"))
			active := a
			if i == 1 && b%5 == 0 {
				active = s
			}
			e.HAPairs = append(e.HAPairs, HAPair{Name: p(fmt.Sprintf("edge-ha%d", i)), Primary: a, Secondary: s, Active: active})
		}
		e.Chassis = append(e.Chassis,
			Chassis{Name: p("mi1"), Platform: "secure_firewall_3100", Version: "7.4.1"},
			Chassis{Name: p("mi2"), Platform: "secure_firewall_3100", Version: "7.4.1"})
		dev(p("mia"), "secure_firewall_3100", "7.4.1", p("mi1"))
		dev(p("mib"), "secure_firewall_3100", "7.4.1", p("mi2"))
		e.HAPairs = append(e.HAPairs, HAPair{Name: p("mi-ha"), Primary: p("mia"), Secondary: p("mib")})
		dev(p("cl1"), "secure_firewall_3100", "7.2.5", "")
		dev(p("cl2"), "secure_firewall_3100", "7.2.5", "")
		e.Clusters = append(e.Clusters, Cluster{Name: p("cluster"), Control: p("cl1"), Data: []string{p("cl2")}})
	}
	return e, Targets{ThreatDefense: "7.6.1"}
}

func TestLargeEstatePlansCleanly(t *testing.T) {
	c := mustCatalog(t)
	e, tg := largeEstate(1000)
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range CheckPlan(c, e, tg, p) {
		t.Error(v)
	}
	for _, d := range e.Devices {
		if path := p.UnitPaths[d.Name]; path[len(path)-1] != "7.6.1" {
			t.Fatalf("%s: %v", d.Name, path)
		}
	}
}

// BenchmarkPlanEstate plans 1,000 and 10,000 devices; the ratio of the two
// ns/op shows how cost grows with the estate. Path answers are memoised per
// catalog, so a warm-up call leaves only the sequencing to measure.
func BenchmarkPlanEstate(b *testing.B) {
	c := mustCatalog(b)
	for _, n := range []int{1000, 10000} {
		e, tg := largeEstate(n)
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			if _, err := PlanEstate(c, e, tg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var steps int
			for i := 0; i < b.N; i++ {
				p, err := PlanEstate(c, e, tg)
				if err != nil {
					b.Fatal(err)
				}
				steps = len(p.Steps)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(e.Devices)), "ns/device")
			b.ReportMetric(float64(steps), "steps")
		})
	}
}

// BenchmarkCheckPlan replays a 10,000-device plan.
func BenchmarkCheckPlan(b *testing.B) {
	c := mustCatalog(b)
	e, tg := largeEstate(10000)
	p, err := PlanEstate(c, e, tg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if vs := CheckPlan(c, e, tg, p); len(vs) > 0 {
			b.Fatal(vs[0])
		}
	}
}

// Path answers are memoised across calls; planning from several
// goroutines at once must be safe and give the same plan.
func TestPlanEstateConcurrent(t *testing.T) {
	c := mustCatalog(t)
	e, tg := largeEstate(100)
	want, err := PlanEstate(c, e, tg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for i := 0; i < 4; i++ {
		go func() {
			p, err := PlanEstate(c, e, tg)
			if err != nil {
				done <- err.Error()
				return
			}
			done <- fmt.Sprint(p.Lines())
		}()
	}
	for i := 0; i < 4; i++ {
		if got := <-done; got != fmt.Sprint(want.Lines()) {
			t.Fatalf("concurrent plan differs: %.200s", got)
		}
	}
}
