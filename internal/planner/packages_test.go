package planner

import (
	"testing"
)

// Table 7 (and Table 8 for FXOS): one file name per family, in the guide's
// spelling, with the alternates a management center or a download may show.
func TestPackageFilenameEveryFamily(t *testing.T) {
	c := mustCatalog(t)
	cases := []struct {
		platform, version, kind string
		want                    string
		alternates              []string
	}{
		{"management_center", "7.6.0", "", "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.0-113.sh.REL.tar", []string{"Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.0-113.sh"}},
		{"management_center", "7.0.6", "", "Cisco_Firepower_Mgmt_Center_Upgrade-7.0.6-236.sh.REL.tar", nil},
		{"firepower_1000", "7.6.0", "", "Cisco_FTD_SSP-FP1K_Upgrade-7.6.0-113.sh.REL.tar", []string{"Cisco_FTD_SSP_FP1K_Upgrade-7.6.0-113.sh.REL.tar", "Cisco_FTD_SSP-FP1K_Upgrade-7.6.0-113.sh", "Cisco_FTD_SSP_FP1K_Upgrade-7.6.0-113.sh"}},
		{"firepower_2100", "7.4.2", "", "Cisco_FTD_SSP-FP2K_Upgrade-7.4.2-172.sh.REL.tar", []string{"Cisco_FTD_SSP_FP2K_Upgrade-7.4.2-172.sh.REL.tar"}},
		{"firepower_4100", "7.6.0", "", "Cisco_FTD_SSP_Upgrade-7.6.0-113.sh.REL.tar", nil},
		{"firepower_9300", "7.6.0", "", "Cisco_FTD_SSP_Upgrade-7.6.0-113.sh.REL.tar", nil},
		{"secure_firewall_1200", "7.6.4", "", "Cisco_Secure_FW_TD_1200-7.6.4-69.sh.REL.tar", nil},
		{"secure_firewall_3100", "7.4.1", "", "Cisco_FTD_SSP-FP3K_Upgrade-7.4.1-172.sh.REL.tar", []string{"Cisco_FTD_SSP_FP3K_Upgrade-7.4.1-172.sh.REL.tar"}},
		{"secure_firewall_4200", "7.6.1-291", "", "Cisco_Secure_FW_TD_4200-7.6.1-291.sh.REL.tar", nil},
		{"isa_3000", "7.2.8", "", "Cisco_FTD_Upgrade-7.2.8-25.sh.REL.tar", nil},
		{"asa_5500_x", "7.0.6", "", "Cisco_FTD_Upgrade-7.0.6-236.sh.REL.tar", nil},
		{"threat_defense_virtual", "7.7.0", "", "Cisco_FTD_Upgrade-7.7.0-89.sh.REL.tar", nil},
		{"threat_defense_virtual", "7.4.2.1-30", "", "Cisco_FTD_Patch-7.4.2.1-30.sh.REL.tar", nil},
		{"secure_firewall_4200", "7.4.2.1-30", "patch", "Cisco_Secure_FW_TD_4200_Patch-7.4.2.1-30.sh.REL.tar", nil},
		{"firepower_4100", "2.14.1.131", "fxos", "fxos-k9.2.14.1.131.SPA", nil},
		{"firepower_9300", "2.12(0.498)", "fxos", "fxos-k9.2.12.0.498.SPA", nil},
		{"firepower_9300", "2.12", "fxos", "fxos-k9.2.12.1.48.SPA", nil},
	}
	for _, tc := range cases {
		t.Run(tc.platform+"/"+tc.version, func(t *testing.T) {
			res, err := PackageFilename(c, PackageRequest{Platform: tc.platform, Version: tc.version, Kind: tc.kind})
			if err != nil {
				t.Fatal(err)
			}
			if res.FileName != tc.want {
				t.Fatalf("file name = %s, want %s", res.FileName, tc.want)
			}
			for _, a := range tc.alternates {
				if !contains(res.Alternates, a) {
					t.Errorf("alternates %q lack %s", res.Alternates, a)
				}
			}
			if contains(res.Alternates, res.FileName) {
				t.Errorf("alternates repeat the file name")
			}
			// Every name parses back to the same package (PKG-1: accept all).
			for _, n := range append([]string{res.FileName}, res.Alternates...) {
				pp, err := c.ParsePackageFilename(n)
				if err != nil {
					t.Fatalf("%s does not parse: %v", n, err)
				}
				if !contains(pp.Families, tc.platform) {
					t.Errorf("%s parses to families %v", n, pp.Families)
				}
				if pp.Canonical != res.FileName {
					t.Errorf("%s canonical = %s, want %s", n, pp.Canonical, res.FileName)
				}
			}
		})
	}
}

func TestPackageFilenameHotfix(t *testing.T) {
	c := mustCatalog(t)
	res, err := PackageFilename(c, PackageRequest{Platform: "secure_firewall_3100", Version: "7.6.4.1-2", Kind: "hotfix", Hotfix: "DD"})
	if err != nil {
		t.Fatal(err)
	}
	if res.FileName != "Cisco_FTD_SSP-FP3K_Hotfix_DD-7.6.4.1-2.sh.REL.tar" || !containsPrefix(res.Warnings, "PKG-2") {
		t.Fatalf("%+v", res)
	}
	pp, err := c.ParsePackageFilename("Cisco_FTD_SSP_FP3K_Hotfix_DD-7.6.4.1-2.sh.REL.tar")
	if err != nil || pp.Kind != "hotfix" || pp.Hotfix != "DD" {
		t.Fatalf("%+v %v", pp, err)
	}
}

func TestPackageFilenameBuilds(t *testing.T) {
	c := mustCatalog(t)
	res, err := PackageFilename(c, PackageRequest{Platform: "threat_defense_virtual", Version: "7.7.13", Build: 77})
	if err != nil || res.FileName != "Cisco_FTD_Upgrade-7.7.13-77.sh.REL.tar" {
		t.Fatalf("%+v %v", res, err)
	}
	// A build unlike the catalog's is used, with a warning (respins exist).
	res, err = PackageFilename(c, PackageRequest{Platform: "threat_defense_virtual", Version: "7.6.0-114"})
	if err != nil || res.Build != 114 || !containsPrefix(res.Warnings, "PKG-1: the catalog lists 7.6.0 as build 113") {
		t.Fatalf("%+v %v", res, err)
	}
	res, err = PackageFilename(c, PackageRequest{Platform: "secure_firewall_4200", Version: "7.6.1"})
	if err != nil || res.Verified || !containsPrefix(res.Warnings, "PKG-1: build 291 of 7.6.1 is unverified") {
		t.Fatalf("unverified build must be flagged: %+v %v", res, err)
	}
}

func TestPackageFilenameRefusals(t *testing.T) {
	c := mustCatalog(t)
	cases := []struct {
		req          PackageRequest
		rule, field  string
		fixSubstring string
	}{
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.7.13"}, "PKG-1", FieldVersion, "7.7.13-<build>"},
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.4.2.1-30", Kind: "upgrade"}, "PATH-3", FieldVersion, "7.4.2"},
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.4.2-172", Kind: "patch"}, "PATH-3", FieldVersion, "7.4.2.1"},
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.4.2-172", Build: 9}, "", FieldBuild, "once"},
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.6.4.1", Kind: "hotfix"}, "PKG-2", FieldHotfix, "letter"},
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.6.4.1", Kind: "hotfix", Hotfix: "DD"}, "PKG-2", FieldBuild, "7.6.4.1-2"},
		{PackageRequest{Platform: "threat_defense_virtual", Version: "7.6.4-69", Hotfix: "DD"}, "", FieldHotfix, "hotfix"},
		{PackageRequest{Platform: "secure_firewall_1200", Version: "7.4.1-172"}, "PATH-6", FieldVersion, ">= 7.6.0"},
		{PackageRequest{Platform: "secure_firewall_3100", Version: "2.14.1.131", Kind: "fxos"}, "ORDER-4", FieldPlatform, "firepower_4100"},
		{PackageRequest{Platform: "firepower_4100", Version: "2.16", Kind: "fxos"}, "PKG-1", FieldVersion, "2.16.0.128"},
		{PackageRequest{Platform: "firepower_4100", Version: "7.6.0", Kind: "bundle"}, "", "kind", "fxos"},
		{PackageRequest{Platform: "pix_515", Version: "7.6.0"}, "PATH-6", FieldPlatform, "firepower_1000"},
		{PackageRequest{Platform: "firepower_4100", Version: "seven"}, "", FieldVersion, "7.6.1"},
	}
	for _, tc := range cases {
		_, err := PackageFilename(c, tc.req)
		wantRule(t, err, tc.rule, tc.field, tc.fixSubstring)
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"7.4.2", "7.4.2.1", -1},
		{"7.6.1-291", "7.6.1", 0},
		{"7.6.1-291", "7.6.1-300", -1},
		{"10.0.0", "7.7.13", 1},
		{"7.2.4 (build 123)", "7.2.4-123", 0},
	}
	for _, tc := range cases {
		got, err := CompareVersions(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("compare(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	_, err := CompareVersions("7.4", "7.4.2")
	wantRule(t, err, "", "a")
	_, err = CompareVersions("7.4.2", "x")
	wantRule(t, err, "", "b")
}

func TestReleases(t *testing.T) {
	c := mustCatalog(t)
	l, err := Releases(c, "", "secure_firewall_1200")
	if err != nil {
		t.Fatal(err)
	}
	if l.Releases[0].Version != "7.6.0" {
		t.Fatalf("first 1200 release = %s", l.Releases[0].Version)
	}
	for _, tr := range l.Trains {
		if tr.Train == "7.6" && tr.Suggested != "7.6.4" {
			t.Fatalf("7.6 suggested = %s (latest threat defense maintenance release is 7.6.4)", tr.Suggested)
		}
	}
	all, err := Releases(c, "threat_defense", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range all.Trains {
		if tr.Train == "7.4" && tr.Suggested == "7.4.0" {
			t.Fatal("7.4.0 must never be suggested for threat defense (PATH-2)")
		}
	}
	if all.Latest != "10.0.2" {
		t.Fatalf("latest threat defense = %s", all.Latest)
	}
	// No upgrade path leads into 10.0 yet, so it is not suggested.
	if all.Suggested != "7.7.13" {
		t.Fatalf("suggested threat defense = %s", all.Suggested)
	}
	_, err = Releases(c, "chassis", "")
	wantRule(t, err, "", FieldProduct)
	_, err = Releases(c, "management_center", "firepower_1000")
	wantRule(t, err, "PATH-6", FieldPlatform)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
