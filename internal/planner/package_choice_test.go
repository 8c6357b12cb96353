package planner

import (
	"errors"
	"strings"
	"testing"
)

// choiceEstate needs, to 7.4.2: the Firepower 1000 packages of 7.2.8 (old-1's
// first hop) and 7.4.2, the 4100/9300 package of 7.4.2, the threat defense
// virtual one, and FXOS 2.14.1.131 for fp4100-a.
func choiceEstate() Estate {
	return Estate{
		ManagementCenter: ManagementCenter{Name: "fmc", Version: "7.4.2"},
		Chassis:          []Chassis{fp4100("fp4100-a", "2.12.0.498")},
		Devices: []Device{
			{Name: "old-1", Platform: "firepower_1000", Version: "6.6.5"},
			{Name: "br-a", Platform: "firepower_1000", Version: "7.2.5"},
			instance("ftd-a", "firepower_4100", "7.2.5", "fp4100-a"),
			{Name: "v-1", Platform: "threat_defense_virtual", Version: "7.2.5"},
		},
	}
}

var choiceListed = []ListedPackage{
	// One package under two spellings, as two uploads.
	{ID: "fp1k-742-sh", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh"},
	{ID: "fp1k-742-tar", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"},
	{ID: "fp1k-728", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.2.8-25.sh.REL.tar"},
	{ID: "ssp-742", FileName: "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar"},
	{ID: "fp1k-761", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar"},
	{ID: "fp1k-742-other-build", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-999.sh.REL.tar"},
	{ID: "fp3k-742", FileName: "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"},
	{ID: "custom", FileName: "ftd-742-for-branches.tar"},
}

func TestChoosePackages(t *testing.T) {
	c := mustCatalog(t)
	p, err := PlanEstate(c, choiceEstate(), Targets{ThreatDefense: "7.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	const (
		fp1k742 = "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"
		fp1k728 = "Cisco_FTD_SSP-FP1K_Upgrade-7.2.8-25.sh.REL.tar"
		ssp742  = "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar"
	)

	t.Run("chosen by id or file name, the rest by file name", func(t *testing.T) {
		// The final hop's packages only, in the spelling the plan does not
		// name; old-1's first hop and threat defense virtual are left to
		// the lookup by file name.
		got, err := ChoosePackages(c, p, choiceListed, []string{"fp1k-742-sh", "CISCO_FTD_SSP_UPGRADE-7.4.2-172.SH.REL.TAR", "ssp-742"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[fp1k742].ID != "fp1k-742-sh" || got[ssp742].ID != "ssp-742" {
			t.Errorf("chosen %v", got)
		}
	})

	t.Run("none listed", func(t *testing.T) {
		if got, err := ChoosePackages(c, p, choiceListed, nil); got != nil || err != nil {
			t.Errorf("got %v, %v", got, err)
		}
	})

	refusals := []struct {
		name string
		refs []string
		want []string
	}{
		{"not on the management center", []string{"fp1k-728", "no-such-package"},
			[]string{`"no-such-package" is not an upgrade package on the management center`, "it has: Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh, "}},
		{"another version", []string{"fp1k-761"},
			[]string{`"fp1k-761" (Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar) is the threat defense 7.6.1-291 package for firepower_1000, which no hop of this job needs`,
				"this job needs " + fp1k728 + ", " + fp1k742 + ", Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar, " + ssp742}},
		{"another build", []string{"fp1k-742-other-build"},
			[]string{"which no hop of this job needs (it is build 999; the plan's hop is build 172, " + fp1k742 + ")"}},
		{"another family", []string{"Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"},
			[]string{"Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar is the threat defense 7.4.2-172 package for secure_firewall_3100, which no hop"}},
		{"two for one hop", []string{"fp1k-742-sh", "fp1k-742-tar"},
			[]string{`"fp1k-742-sh" and "fp1k-742-tar" both stand for ` + fp1k742, "Keep one of them in package_ids"}},
		{"not named like a package", []string{"custom"},
			[]string{`"custom" (ftd-742-for-branches.tar) is not named like an upgrade package`}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChoosePackages(c, p, choiceListed, tc.refs)
			var re *RuleError
			if !errors.As(err, &re) || re.Field != FieldPackageIDs || re.Rule != "PKG-1" || got != nil {
				t.Fatalf("got %v, %v; want a PKG-1 refusal on %s", got, err, FieldPackageIDs)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q\ndoes not say %q", err, w)
				}
			}
		})
	}

	t.Run("same package by id and file name", func(t *testing.T) {
		got, err := ChoosePackages(c, p, choiceListed, []string{"fp1k-728", fp1k728})
		if err != nil || got[fp1k728].ID != "fp1k-728" {
			t.Errorf("got %v, %v", got, err)
		}
	})
}
