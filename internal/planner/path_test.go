package planner

import (
	"errors"
	"strings"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

func mustCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// table1 is Table 1 of the upgrade guide: from each train (rows), the trains
// reachable in one upgrade (YES cells). Every other cell is "—".
var table1 = map[string][]string{
	"7.7": {"7.7"},
	"7.6": {"7.7", "7.6"},
	"7.4": {"7.7", "7.6", "7.4"},
	"7.3": {"7.7", "7.6", "7.4", "7.3"},
	"7.2": {"7.7", "7.6", "7.4", "7.3", "7.2"},
	"7.1": {"7.6", "7.4", "7.3", "7.2", "7.1"},
	"7.0": {"7.4", "7.3", "7.2", "7.1", "7.0"},
	"6.6": {"7.2", "7.1", "7.0", "6.6"},
	"6.4": {"7.0", "6.6"},
}

var table1Columns = []string{"7.7", "7.6", "7.4", "7.3", "7.2", "7.1", "7.0", "6.6", "6.4"}

// productPlatforms are the product/platform pairs Table 1 applies to.
var productPlatforms = []struct{ product, platform string }{
	{catalog.ProductManagementCenter, "management_center"},
	{catalog.ProductThreatDefense, "threat_defense_virtual"},
}

// firstAndLast returns the oldest and newest maintenance releases of a train
// for the product on the platform (never 7.4.0 for threat defense).
func firstAndLast(t *testing.T, c *catalog.Catalog, product, platform, train string) (version.Version, version.Version) {
	t.Helper()
	var vs []version.Version
	for _, r := range c.ReleasesFor(product, platform) {
		v := r.V()
		if v.Train() == train && !v.IsPatch() && !(product == catalog.ProductThreatDefense && v.String() == "7.4.0") {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		t.Fatalf("no %s %s release of train %s", product, platform, train)
	}
	return vs[0], vs[len(vs)-1]
}

func TestTable1EveryCell(t *testing.T) {
	c := mustCatalog(t)
	for _, pp := range productPlatforms {
		for from, yes := range table1 {
			for _, to := range table1Columns {
				allowed := false
				for _, y := range yes {
					allowed = allowed || y == to
				}
				name := pp.product + "/" + from + "->" + to
				t.Run(name, func(t *testing.T) {
					if _, ok := c.Direct(from, to); ok != allowed {
						t.Fatalf("matrix says %v, Table 1 says %v", ok, allowed)
					}
					src, _ := firstAndLast(t, c, pp.product, pp.platform, from)
					_, dst := firstAndLast(t, c, pp.product, pp.platform, to)
					if src.Equal(dst) {
						return // a train with a single maintenance release
					}
					if !src.Less(dst) {
						// A downgrade cell: refused whatever the matrix says.
						_, err := UpgradePath(c, PathRequest{pp.product, pp.platform, src.String(), dst.String()})
						wantRule(t, err, "PATH-5", FieldTo)
						return
					}
					p, err := UpgradePath(c, PathRequest{pp.product, pp.platform, src.String(), dst.String()})
					switch {
					case allowed && err != nil:
						t.Fatalf("%s -> %s: %v", src, dst, err)
					case allowed && !p.Direct():
						t.Fatalf("%s -> %s: want a direct upgrade, got %v", src, dst, p.Versions())
					case !allowed && err == nil && p.Direct():
						t.Fatalf("%s -> %s: Table 1 has no direct upgrade, got %v", src, dst, p.Versions())
					case !allowed && err == nil:
						for i, h := range p.Hops {
							prev := src
							if i > 0 {
								prev = version.MustParse(p.Hops[i-1].Version)
							}
							if _, ok := c.Direct(prev.Train(), version.MustParse(h.Version).Train()); !ok {
								t.Fatalf("hop %s -> %s is not in Table 1", prev, h.Version)
							}
						}
					}
				})
			}
		}
	}
}

// wantRule checks that err is a refusal under rule on field whose fix
// mentions every fixContains.
func wantRule(t *testing.T, err error, rule, field string, fixContains ...string) {
	t.Helper()
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("want a %s refusal, got %v", rule, err)
	}
	if re.Rule != rule || re.Field != field {
		t.Fatalf("want %s on %s, got %s on %s: %v", rule, field, re.Rule, re.Field, re)
	}
	if rule != "" && !strings.HasPrefix(re.Error(), rule+": ") {
		t.Fatalf("message must start with the rule id: %q", re.Error())
	}
	if re.Fix == "" {
		t.Fatalf("refusal without a fix: %v", re)
	}
	for _, want := range fixContains {
		if !strings.Contains(re.Fix, want) {
			t.Fatalf("fix %q lacks %q", re.Fix, want)
		}
	}
}

// Table 2: the releases listed next to a 7.6.x target came out before it.
func TestTable2EveryRow(t *testing.T) {
	c := mustCatalog(t)
	rows := []struct {
		target string
		listed []string
		after  []string // same trains, released after the target
	}{
		{"7.6.1", []string{"7.1.0", "7.2.0", "7.2.5", "7.2.10", "7.3.0", "7.3.1", "7.4.0", "7.4.1", "7.4.2", "7.6.0"}, []string{"7.2.11", "7.2.12", "7.4.3", "7.4.8"}},
		{"7.6.0", []string{"7.1.0", "7.2.0", "7.2.8", "7.3.0", "7.3.1", "7.4.0", "7.4.1", "7.4.2"}, []string{"7.2.9", "7.2.10", "7.4.3"}},
	}
	for _, row := range rows {
		for _, cur := range row.listed {
			t.Run(cur+"->"+row.target, func(t *testing.T) {
				p, err := UpgradePath(c, PathRequest{catalog.ProductManagementCenter, "management_center", cur, row.target})
				if err != nil {
					t.Fatal(err)
				}
				if !p.Direct() {
					t.Fatalf("want direct, got %v", p.Versions())
				}
				if !strings.Contains(strings.Join(p.Hops[0].Rules, "\n"), "PATH-4: "+row.target+" was released after") {
					t.Fatalf("PATH-4 not explained: %q", p.Hops[0].Rules)
				}
			})
		}
		for _, cur := range row.after {
			t.Run(cur+"->"+row.target+"/refused", func(t *testing.T) {
				_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "secure_firewall_3100", cur, row.target})
				wantRule(t, err, "PATH-4", FieldTo, "7.6.")
			})
		}
	}
}

func TestPath4FixNamesEarliestValidRelease(t *testing.T) {
	c := mustCatalog(t)
	_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "secure_firewall_3100", "7.2.9", "7.6.0"})
	wantRule(t, err, "PATH-4", FieldTo, "Choose 7.6.1 or later")
}

func TestPath4AppliesToIntermediateHops(t *testing.T) {
	c := mustCatalog(t)
	// 7.0.6 -> 7.6.1 goes through 7.4; Table 2 accepts only 7.4.0-7.4.2 for
	// 7.6.1, so the intermediate hop must be 7.4.2, not the newer 7.4.8.
	p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_4100", "7.0.6", "7.6.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Versions(), " "); got != "7.4.2 7.6.1" {
		t.Fatalf("versions = %s", got)
	}
	if !strings.Contains(strings.Join(p.Hops[0].Rules, "\n"), "PATH-5: 7.4.2 is the latest 7.4 release that keeps the next hop released after it") {
		t.Fatalf("rules = %q", p.Hops[0].Rules)
	}
}

func TestPath5LatestMaintenanceAndFewestHops(t *testing.T) {
	c := mustCatalog(t)
	cases := []struct {
		product, platform, from, to, want string
	}{
		// Fewest hops: 6.4 reaches 7.0 directly, then 7.4.
		{catalog.ProductThreatDefense, "threat_defense_virtual", "6.4.0", "7.4.2", "7.0.6 7.4.2"},
		// 7.1 cannot reach 7.7 directly: through the newest 7.6 that the
		// release order allows.
		{catalog.ProductManagementCenter, "management_center", "7.1.0", "7.7.0", "7.6.0 7.7.0"},
		// Same train: a maintenance upgrade is one hop.
		{catalog.ProductThreatDefense, "firepower_1000", "7.2.4", "7.2.9", "7.2.9"},
	}
	for _, tc := range cases {
		p, err := UpgradePath(c, PathRequest{tc.product, tc.platform, tc.from, tc.to})
		if err != nil {
			t.Fatalf("%s -> %s: %v", tc.from, tc.to, err)
		}
		if got := strings.Join(p.Versions(), " "); got != tc.want {
			t.Errorf("%s -> %s = %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestLatestAndSuggested(t *testing.T) {
	c := mustCatalog(t)
	p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_4100", "7.0.9", TargetLatest})
	if err != nil {
		t.Fatal(err)
	}
	// 7.0.9 came out after every 7.6 release, so PATH-4 routes it through
	// the 7.4 train to 7.7.
	if got := strings.Join(p.Versions(), " "); got != "7.4.8 7.7.13" {
		t.Fatalf("latest from 7.0.9 = %s", got)
	}
	if !containsPrefix(p.Warnings, "PATH-1: 10.0.2 is newer") {
		t.Fatalf("want a warning about unreachable 10.0: %q", p.Warnings)
	}
	// A unit already on the newest reachable release is done, not refused.
	cur, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", "7.7.13", TargetLatest})
	if err != nil || len(cur.Hops) != 0 || !containsPrefix(cur.Warnings, "PATH-1: 10.0.2 is newer than 7.7.13") {
		t.Fatalf("latest from 7.7.13: %+v %v", cur, err)
	}
	s, err := UpgradePath(c, PathRequest{catalog.ProductManagementCenter, "management_center", "7.4.2", TargetSuggested})
	if err != nil {
		t.Fatal(err)
	}
	if version.MustParse(s.To).IsPatch() {
		t.Fatalf("suggested must be a maintenance release, got %s", s.To)
	}
	if !containsPrefix(s.Warnings, "PATH-5: no Cisco-suggested release") {
		t.Fatalf("warnings = %q", s.Warnings)
	}
}

func TestSuggestedHonoursCatalogMark(t *testing.T) {
	c, err := catalog.WithOverlay([]byte(`{"releases":[{"version":"7.6.4","suggested":{"source":"test","verified":true}}]}`), "overlay")
	if err != nil {
		t.Fatal(err)
	}
	p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "secure_firewall_3100", "7.4.1", TargetSuggested})
	if err != nil {
		t.Fatal(err)
	}
	if p.To != "7.6.4" {
		t.Fatalf("suggested = %s, want the marked 7.6.4", p.To)
	}
}

func TestPath2(t *testing.T) {
	c := mustCatalog(t)
	for _, platform := range []string{"firepower_1000", "secure_firewall_3100", "firepower_4100"} {
		_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, platform, "7.2.5", "7.4.0"})
		wantRule(t, err, "PATH-2", FieldTo)
	}
	// A 4200 installed with 7.4.0 is simply there.
	p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "secure_firewall_4200", "7.4.0", "7.4.0"})
	if err != nil || len(p.Hops) != 0 {
		t.Fatalf("4200 at 7.4.0: %v %v", p, err)
	}
	// The management center can go to 7.4.0.
	p, err = UpgradePath(c, PathRequest{catalog.ProductManagementCenter, "management_center", "7.2.5", "7.4.0"})
	if err != nil || p.To != "7.4.0" {
		t.Fatalf("management center to 7.4.0: %v %v", p, err)
	}
	// No threat defense path ever lands on 7.4.0.
	p, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_4100", "7.0.0", "7.4.1"})
	if err != nil || strings.Join(p.Versions(), " ") != "7.4.1" {
		t.Fatalf("7.0.0 -> 7.4.1: %v %v", p, err)
	}
	// 7.4.0 exists only on the 4200 (and the management center): PATH-6
	// elsewhere.
	_, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", "7.4.0", "7.4.1"})
	wantRule(t, err, "PATH-6", FieldFrom)
}

func TestPath3Patches(t *testing.T) {
	c := mustCatalog(t)
	cases := []struct{ from, to, want string }{
		{"7.4.2", "7.4.2.1", "7.4.2.1"},
		{"7.4.2.1", "7.4.2.4", "7.4.2.4"},
		{"7.4.1", "7.4.2.1", "7.4.2 7.4.2.1"},
		{"7.2.5", "7.4.2.1", "7.4.2 7.4.2.1"},
		{"7.4.2.4", "7.4.3", "7.4.3"},
	}
	for _, tc := range cases {
		p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "threat_defense_virtual", tc.from, tc.to})
		if err != nil {
			t.Fatalf("%s -> %s: %v", tc.from, tc.to, err)
		}
		if got := strings.Join(p.Versions(), " "); got != tc.want {
			t.Errorf("%s -> %s = %s, want %s", tc.from, tc.to, got, tc.want)
		}
		last := p.Hops[len(p.Hops)-1]
		if version.MustParse(tc.to).IsPatch() && !strings.HasPrefix(last.Rules[0], "PATH-3: patch "+tc.to+" installs on") {
			t.Errorf("patch hop rules = %q", last.Rules)
		}
	}
}

func TestDowngradeAndSameVersion(t *testing.T) {
	c := mustCatalog(t)
	for _, tc := range []struct{ from, to string }{{"7.6.1", "7.2.0"}, {"7.4.2.1", "7.4.2"}, {"7.4.2.3", "7.4.2.1"}} {
		_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", tc.from, tc.to})
		wantRule(t, err, "PATH-5", FieldTo)
	}
	p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", "7.6.1", "7.6.1"})
	if err != nil || len(p.Hops) != 0 || !containsPrefix(p.Warnings, "already at 7.6.1") {
		t.Fatalf("same version: %+v %v", p, err)
	}
}

func TestPath6(t *testing.T) {
	c := mustCatalog(t)
	_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "secure_firewall_1200", "7.4.1", "7.6.1"})
	wantRule(t, err, "PATH-6", FieldFrom)
	_, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_2100", "7.2.5", "7.6.1"})
	wantRule(t, err, "PATH-6", FieldTo)
	_, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", "7.4.1", "7.5.0"})
	wantRule(t, err, "PATH-6", FieldTo, "catalog_file")
	_, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "nexus_9000", "7.4.1", "7.6.1"})
	wantRule(t, err, "PATH-6", FieldPlatform)
	_, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "management_center", "7.4.1", "7.6.1"})
	wantRule(t, err, "PATH-6", FieldPlatform)
	_, err = UpgradePath(c, PathRequest{catalog.ProductChassis, "firepower_1000", "7.4.1", "7.6.1"})
	wantRule(t, err, "ORDER-4", FieldPlatform)
	_, err = UpgradePath(c, PathRequest{"router", "firepower_1000", "7.4.1", "7.6.1"})
	wantRule(t, err, "", FieldProduct)
}

func TestPath1NoRoute(t *testing.T) {
	c := mustCatalog(t)
	// 10.0 has no direct-upgrade data in the catalog.
	_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", "7.6.1", "10.0.0"})
	wantRule(t, err, "PATH-1", FieldTo, "Reachable trains: 7.6, 7.7")
}

func TestBadVersions(t *testing.T) {
	c := mustCatalog(t)
	for _, bad := range []string{"", "7.x", "7.4", "7.4.2.1.5", "latest-ish"} {
		_, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", bad, "7.6.1"})
		wantRule(t, err, "", FieldFrom)
		_, err = UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "firepower_1000", "7.4.1", bad})
		wantRule(t, err, "", FieldTo)
	}
}

// Table 1's chassis row: the FXOS companion of each threat defense train.
func TestFXOSCompanions(t *testing.T) {
	c := mustCatalog(t)
	want := map[string]string{"7.7": "2.17", "7.6": "2.16", "7.4": "2.14", "7.3": "2.13", "7.2": "2.12", "7.1": "2.11", "7.0": "2.10", "6.6": "2.8"}
	from := map[string]string{"7.7": "7.6.0", "7.6": "7.4.1", "7.4": "7.2.0", "7.3": "7.2.0", "7.2": "7.1.0", "7.1": "7.0.0", "7.0": "6.6.0", "6.6": "6.4.0"}
	for _, platform := range []string{"firepower_4100", "firepower_9300"} {
		for train, fx := range want {
			_, last := firstAndLast(t, c, catalog.ProductThreatDefense, platform, train)
			p, err := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, platform, from[train], last.String()})
			if err != nil {
				t.Fatalf("%s -> %s: %v", from[train], last, err)
			}
			h := p.Hops[len(p.Hops)-1]
			if h.FXOSVersion != fx {
				t.Errorf("%s: FXOS companion of %s = %q, want %s", platform, train, h.FXOSVersion, fx)
			}
			if !containsPrefix(h.Rules, "ORDER-4: upgrade the chassis to FXOS "+fx+" first") {
				t.Errorf("rules = %q", h.Rules)
			}
		}
	}
	// Devices without an FXOS chassis get no companion.
	p, _ := UpgradePath(c, PathRequest{catalog.ProductThreatDefense, "secure_firewall_3100", "7.4.1", "7.6.1"})
	if p.Hops[0].FXOSVersion != "" {
		t.Fatalf("3100 got an FXOS companion")
	}
}

func TestFXOSChassisPath(t *testing.T) {
	c := mustCatalog(t)
	p, err := UpgradePath(c, PathRequest{catalog.ProductChassis, "firepower_9300", "2.12(0.498)", "2.14"})
	if err != nil {
		t.Fatal(err)
	}
	h := p.Hops[0]
	if p.To != "2.14.1.131" || h.PackageFilename != "fxos-k9.2.14.1.131.SPA" || !h.Verified {
		t.Fatalf("hop = %+v", h)
	}
	if !containsPrefix(h.Rules, "ORDER-4: FXOS 2.14 is the chassis companion of threat defense 7.4") {
		t.Fatalf("rules = %q", h.Rules)
	}
	_, err = UpgradePath(c, PathRequest{catalog.ProductChassis, "firepower_9300", "2.14.1.131", "2.12"})
	wantRule(t, err, "PATH-5", FieldTo)
	_, err = UpgradePath(c, PathRequest{catalog.ProductChassis, "firepower_9300", "2.14.1.131", "2.99"})
	wantRule(t, err, "PATH-6", FieldTo)
	_, err = UpgradePath(c, PathRequest{catalog.ProductChassis, "firepower_9300", "2.14", "2.16"})
	wantRule(t, err, "", FieldFrom)
	s, err := UpgradePath(c, PathRequest{catalog.ProductChassis, "firepower_4100", "2.12.0.498", TargetSuggested})
	if err != nil || s.To != "2.17" {
		t.Fatalf("suggested FXOS = %v, %v (want the newest verified companion 2.17)", s, err)
	}
}

func TestMultiInstanceChassisPath(t *testing.T) {
	c := mustCatalog(t)
	p, err := UpgradePath(c, PathRequest{catalog.ProductChassis, "secure_firewall_3100", "7.4.1", "7.6.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !containsPrefix(p.Hops[0].Rules, "ORDER-4: the multi-instance chassis upgrade uses this threat defense package") {
		t.Fatalf("rules = %q", p.Hops[0].Rules)
	}
	_, err = UpgradePath(c, PathRequest{catalog.ProductChassis, "secure_firewall_3100", "7.2.5", "7.6.1"})
	wantRule(t, err, "PATH-6", FieldFrom)
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func BenchmarkUpgradePath(b *testing.B) {
	c := mustCatalog(b)
	reqs := []PathRequest{
		{catalog.ProductThreatDefense, "firepower_4100", "6.4.0", TargetLatest},
		{catalog.ProductThreatDefense, "threat_defense_virtual", "7.0.6", "7.6.1"},
		{catalog.ProductManagementCenter, "management_center", "7.2.5", TargetSuggested},
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range reqs {
			if _, err := UpgradePath(c, r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
