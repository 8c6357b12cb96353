package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

func mustDefault(t testing.TB) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEmbeddedCatalog(t *testing.T) {
	c := mustDefault(t)
	// Releases 6.4 through 7.7 and 10.0, for both products.
	for _, train := range []string{"6.4", "6.5", "6.6", "6.7", "7.0", "7.1", "7.2", "7.3", "7.4", "7.6", "7.7", "10.0"} {
		found := false
		for _, r := range c.Releases {
			found = found || r.V().Train() == train
		}
		if !found {
			t.Errorf("no %s release", train)
		}
	}
	for i := 1; i < len(c.Releases); i++ {
		if !c.Releases[i-1].V().Less(c.Releases[i].V()) {
			t.Fatalf("releases not ascending at %s", c.Releases[i].Version)
		}
	}
	// Every fact carries a source that resolves or is a free-text citation.
	for _, r := range c.Releases {
		if r.Source == "" {
			t.Errorf("%s has no source", r.Version)
		}
	}
	// Table 2 dates.
	r, _ := c.Release(version.MustParse("7.6.1"))
	if r.ReleaseDate == nil || r.ReleaseDate.Value != "2025-06-02" || !r.ReleaseDate.Verified {
		t.Errorf("7.6.1 date = %+v", r.ReleaseDate)
	}
	// Product-specific builds.
	r, _ = c.Release(version.MustParse("7.1.0"))
	if b, _ := r.BuildFor(ProductManagementCenter); b.Value != 90 {
		t.Errorf("7.1.0 management center build = %d", b.Value)
	}
	if b, _ := r.BuildFor(ProductThreatDefense); b.Value != 92 {
		t.Errorf("7.1.0 threat defense build = %d", b.Value)
	}
	if len(c.FamilyIDs()) != 11 {
		t.Errorf("families = %v", c.FamilyIDs())
	}
}

func TestManagedDevices(t *testing.T) {
	c := mustDefault(t)
	m, ok := c.OldestManaged("7.7")
	if !ok || m.Oldest().String() != "7.2.0" || !m.Verified {
		t.Fatalf("7.7 manages = %+v", m)
	}
	for _, train := range []string{"6.4", "6.6", "7.0", "7.1", "7.2", "7.3", "7.4", "7.6", "7.7", "10.0"} {
		if _, ok := c.OldestManaged(train); !ok {
			t.Errorf("no managed-devices row for %s", train)
		}
	}
}

func TestWasReleasedBefore(t *testing.T) {
	c := mustDefault(t)
	cases := []struct {
		cur, target string
		want        Order
		verified    bool
	}{
		{"7.2.10", "7.6.1", OrderBefore, true},    // Table 2
		{"7.2.9", "7.6.0", OrderNotBefore, true},  // Table 2
		{"7.2.10.2", "7.6.1", OrderBefore, true},  // a patch counts as its maintenance release
		{"7.4.2", "7.6.0", OrderBefore, true},     // Table 2 wins over the inferred order
		{"7.0.9", "7.7.0", OrderNotBefore, false}, // inferred order
		{"6.6.5", "6.7.0", OrderNotBefore, true},  // 6.7 release notes
		{"6.4.0", "7.0.0", OrderUnknown, false},   // no data
		{"7.6.0", "7.6.1", OrderBefore, true},     // dates and Table 2
		{"7.4.2", "7.4.2.1", OrderBefore, false},  // patch target: inferred order
	}
	for _, tc := range cases {
		got, f := c.WasReleasedBefore(version.MustParse(tc.cur), version.MustParse(tc.target))
		if got != tc.want || got != OrderUnknown && f.Verified != tc.verified {
			t.Errorf("%s before %s = %v (%+v), want %v verified=%v", tc.cur, tc.target, got, f, tc.want, tc.verified)
		}
	}
}

func TestOverlay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "overlay.json")
	overlay := `{
	  "schema_version": 1,
	  "sources": {"OURS": {"title": "our download portal", "location": "https://example.invalid"}},
	  "releases": [
	    {"version": "7.7.14", "products": ["threat_defense"], "builds": [{"value": 42, "source": "OURS", "verified": true}], "source": "OURS", "verified": true},
	    {"version": "7.6.2", "builds": [{"value": 7, "source": "OURS", "verified": true}], "release_date": {"value": "2025-08-01", "source": "OURS", "verified": true}}
	  ],
	  "direct_upgrades": [{"from": "7.7", "to": ["10.0"], "source": "OURS", "verified": false}],
	  "fxos_releases": [{"version": "2.16.0.128", "source": "OURS", "verified": true}]
	}`
	if err := os.WriteFile(path, []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadOverlay(path)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := c.Release(version.MustParse("7.7.14"))
	if !ok || !r.HasProduct(ProductThreatDefense) {
		t.Fatal("overlay release missing")
	}
	r, _ = c.Release(version.MustParse("7.6.2"))
	if b, _ := r.BuildFor(ProductThreatDefense); b.Value != 7 || r.ReleaseDate.Value != "2025-08-01" || len(r.Products) != 2 {
		t.Fatalf("merged 7.6.2 = %+v", r)
	}
	if _, ok := c.Direct("7.7", "10.0"); !ok {
		t.Fatal("overlay direct upgrade missing")
	}
	if _, ok := c.Direct("7.2", "7.6"); !ok {
		t.Fatal("overlay dropped embedded rows")
	}
	if fx, ok := c.LatestFXOSBuild("2.16"); !ok || fx.Version != "2.16.0.128" {
		t.Fatal("overlay FXOS build missing")
	}
	// The embedded catalog is untouched.
	if _, ok := mustDefault(t).Release(version.MustParse("7.7.14")); ok {
		t.Fatal("overlay leaked into the default catalog")
	}
}

func TestOverlayErrors(t *testing.T) {
	cases := []struct{ overlay, want string }{
		{`{`, "unexpected EOF"},
		{`{"releases": [{"version": "7.x.1", "products": ["threat_defense"], "source": "s"}]}`, `(7.x.1).version: invalid version`},
		{`{"releases": [{"version": "7.9.1", "source": "s"}]}`, "products: at least one"},
		{`{"releases": [{"version": "7.9.1", "products": ["router"], "source": "s"}]}`, `unknown product "router"`},
		{`{"releases": [{"version": "7.9.1", "products": ["threat_defense"]}]}`, "source is required"},
		{`{"releases": [{"version": "7.9.1-5", "products": ["threat_defense"], "source": "s"}]}`, "give the build in builds"},
		{`{"releases": [{"version": "7.9.1", "products": ["threat_defense"], "source": "s", "release_date": {"value": "2025-13-01", "source": "s"}}]}`, "not a YYYY-MM-DD date"},
		{`{"releases": [{"version": "7.9.1", "products": ["threat_defense"], "source": "s", "platforms": ["pix"]}]}`, `unknown platform family "pix"`},
		{`{"releases": [{"version": "7.9.1", "products": ["threat_defense"], "source": "s", "colour": "red"}]}`, `unknown field "colour"`},
		{`{"direct_upgrades": [{"from": "7", "to": ["7.9"], "source": "s"}]}`, "must be major.minor"},
		{`{"fxos_releases": [{"version": "2.16", "source": "s"}]}`, "needs its build"},
		{`{"fxos_companions": [{"train": "7.9", "fxos": "2.19", "minimum": "2.18.0.1", "source": "s"}]}`, "not in the companion train"},
		{`{"families": [{"id": "x", "name": "X", "product": "threat_defense", "support": [{"versions": ">= nope", "source": "s"}], "packages": [{"versions": ">= 7.0.0", "upgrade": "X-{version}.tar", "source": "s"}]}]}`, "needs {version} and {build}"},
		{`{"released_before": [{"target": "7.9.0", "released_before": [{"from": "7.4.2", "to": "7.4.1"}], "source": "s"}]}`, "is after to"},
		{`{"schema_version": 2}`, "schema_version 2 is not supported"},
		{`{"families": [{"id": "y", "name": "Y", "product": "threat_defense", "models": ["Y(1"], "support": [{"versions": ">= 7.0.0", "source": "s"}], "packages": [{"versions": ">= 7.0.0", "upgrade": "Y-{version}-{build}.sh.REL.tar", "source": "s"}]}]}`, `models[0]: pattern "Y(1"`},
	}
	for _, tc := range cases {
		_, err := WithOverlay([]byte(tc.overlay), "overlay.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "overlay.json") {
			t.Errorf("overlay %s: error %v, want it to name the file and say %q", tc.overlay, err, tc.want)
		}
	}
	if _, err := LoadOverlay(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "reading catalog overlay") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParsePackageFilename(t *testing.T) {
	c := mustDefault(t)
	cases := []struct {
		name, kind, version string
		families            string
	}{
		{"Cisco_FTD_SSP-FP3K_Upgrade-7.4.1-172.sh.REL.tar", KindUpgrade, "7.4.1-172", "secure_firewall_3100"},
		{"Cisco_FTD_SSP_FP3K_Upgrade-7.4.1-172.sh", KindUpgrade, "7.4.1-172", "secure_firewall_3100"},
		{"Cisco_FTD_Upgrade-6.2.3-84.sh", KindUpgrade, "6.2.3-84", "asa_5500_x isa_3000 threat_defense_virtual"},
		{"Cisco_FTD_SSP_Upgrade-7.6.0-113.sh.REL.tar", KindUpgrade, "7.6.0-113", "firepower_4100 firepower_9300"},
		{"Cisco_FTD_Patch-6.2.0.5-38.sh", KindPatch, "6.2.0.5-38", "asa_5500_x isa_3000 threat_defense_virtual"},
		{"Cisco_Secure_FW_Mgmt_Center_Hotfix_CY-7.6.5.1-2.sh.REL.tar", KindHotfix, "7.6.5.1-2", "management_center"},
		{"Cisco_Firepower_Mgmt_Center_Hotfix_GB-7.0.9.1-3.sh.REL.tar", KindHotfix, "7.0.9.1-3", "management_center"},
		{"Cisco_Secure_FW_TD_4200-7.6.1-291.sh.REL.tar", KindUpgrade, "7.6.1-291", "secure_firewall_4200"},
	}
	for _, tc := range cases {
		p, err := c.ParsePackageFilename(tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if p.Kind != tc.kind || p.Version.WithBuild() != tc.version || strings.Join(p.Families, " ") != tc.families {
			t.Errorf("%s = %+v", tc.name, p)
		}
	}
	fx, err := c.ParsePackageFilename("fxos-k9.2.14.1.131.SPA")
	if err != nil || fx.Product != ProductChassis || fx.FXOS.String() != "2.14.1.131" {
		t.Errorf("fxos = %+v %v", fx, err)
	}
	for _, bad := range []string{"", "readme.txt", "Cisco_FTD_Upgrade-7.4.sh", "Cisco_ASA_Upgrade-7.4.1-1.sh", "Cisco_FTD_Upgrade-7.4.2.1-5.sh", "Cisco_FTD_Patch-7.4.2-5.sh", "fxos-k9.2.14.SPA"} {
		if _, err := c.ParsePackageFilename(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParsePackageFilename(f *testing.F) {
	c := mustDefault(f)
	f.Fuzz(func(t *testing.T, name string) {
		p, err := c.ParsePackageFilename(name)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(p.Families) == 0 || p.Kind == "" {
			t.Fatalf("%q parsed to %+v", name, p)
		}
		if p.Canonical != "" {
			q, err := c.ParsePackageFilename(p.Canonical)
			if err != nil || q.Canonical != p.Canonical {
				t.Fatalf("canonical %q of %q does not round-trip: %+v %v", p.Canonical, name, q, err)
			}
		}
	})
}

func FuzzOverlay(f *testing.F) {
	f.Fuzz(func(t *testing.T, overlay []byte) {
		c, err := WithOverlay(overlay, "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// A catalog that loads is usable.
		for _, r := range c.Releases {
			_ = r.V().String()
		}
	})
}

func BenchmarkDefaultDecode(b *testing.B) {
	for b.Loop() {
		if _, err := decode(embedded, "embedded"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFamilyForModel(t *testing.T) {
	c := mustDefault(t)
	cases := map[string]string{
		"Cisco Firepower 1120 Threat Defense":                              "firepower_1000",
		"Cisco Firepower 1010 Threat Defense":                              "firepower_1000",
		"Cisco Firepower 2130 Threat Defense":                              "firepower_2100",
		"Cisco Firepower 4115 Threat Defense":                              "firepower_4100",
		"FPR-4125-K9":                                                      "firepower_4100",
		"Cisco Firepower 9000 Series SM-40 Threat Defense":                 "firepower_9300",
		"FPR-C9300-AC":                                                     "firepower_9300",
		"Cisco Secure Firewall 1210CE Threat Defense":                      "secure_firewall_1200",
		"Cisco Secure Firewall 3130 Threat Defense":                        "secure_firewall_3100",
		"Cisco Secure Firewall 3130 Threat Defense Multi-Instance Chassis": "secure_firewall_3100",
		"Cisco Secure Firewall 4215 Threat Defense":                        "secure_firewall_4200",
		"Cisco ISA3000 Threat Defense":                                     "isa_3000",
		"Cisco ASA5516-X Threat Defense":                                   "asa_5500_x",
		"Cisco Firepower Threat Defense for AWS":                           "threat_defense_virtual",
		"Cisco Firepower Threat Defense for VMware":                        "threat_defense_virtual",
		"Cisco Secure Firewall Threat Defense Virtual":                     "threat_defense_virtual",
		"Cisco Secure Firewall Management Center 2700":                     "management_center",
		"Cisco Secure Firewall Management Center for VMware":               "management_center",
		"Cisco Firepower Management Center 4600":                           "management_center",
	}
	for model, want := range cases {
		f, ok := c.FamilyForModel(model)
		if !ok || f.ID != want {
			t.Errorf("%q -> %v, want %s", model, f, want)
		}
	}
	if f, ok := c.FamilyForModel("Cisco Catalyst 9800"); ok {
		t.Errorf("unexpected family %s", f.ID)
	}
}
