package runner

import (
	"errors"
	"slices"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// twoSpellingsScenario is the branch estate whose management center holds
// the Firepower 1000 package twice, as two uploads under two spellings:
// looked up by file name, the guide's spelling (.sh.REL.tar) is found
// first.
func twoSpellingsScenario() *fmcsim.Scenario {
	sc := branchScenario("7.6.1")
	ids := map[string]string{
		"Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh":                  "fp1k-sh",
		"Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar":          "fp3k",
		"Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar":                   "ftdv",
		"Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar": "mc",
	}
	for i := range sc.UpgradePackages {
		sc.UpgradePackages[i].ID = ids[sc.UpgradePackages[i].FileName]
	}
	sc.UpgradePackages = append(sc.UpgradePackages, fmcsim.UpgradePackage{ID: "fp1k-tar", FileName: "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar"})
	return sc
}

// tasksByPackage counts the simulator's upgrade tasks (copies, readiness
// checks, upgrades) per package id.
func (e *execSim) tasksByPackage() map[string][]string {
	out := map[string][]string{}
	for _, tk := range e.srv.Estate().Tasks {
		if tk.Package != "" {
			out[tk.Package] = append(out[tk.Package], tk.Name)
		}
	}
	return out
}

// A listed package is the one every copy, readiness check and upgrade of
// its family and version uses, although the file-name lookup would find
// another upload of the same package first; packages not listed are still
// found by file name.
func TestExecuteListedPackages(t *testing.T) {
	e := startExecSim(t, twoSpellingsScenario())
	ctx := execCtx(t)
	plan := e.plan(ctx, "7.6.1")
	opts := e.opts()
	opts.PackageIDs = []string{"fp1k-sh"}

	opts.Phase = PhaseStage
	prog, err := e.run(ctx, plan, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	if got := e.unit("br-a").StagedPackages; !slices.Equal(got, []string{"fp1k-sh"}) {
		t.Errorf("br-a has packages %v staged, want the listed fp1k-sh", got)
	}

	opts.Phase, opts.Resume = PhaseUpgrade, prog
	prog, err = e.run(ctx, plan, opts)
	if err != nil {
		e.dump(prog)
		t.Fatal(err)
	}
	e.assertAt("7.6.1")
	e.assertClean()
	byPkg := e.tasksByPackage()
	// br-a and br-b: one copy to both, then a readiness check and an
	// upgrade each.
	if got := byPkg["fp1k-sh"]; !slices.Equal(got, []string{"Package push", "Readiness check", "Readiness check", "Upgrade", "Upgrade"}) {
		t.Errorf("tasks with the listed package: %v, want its copy, readiness checks and upgrades", got)
	}
	if got := byPkg["fp1k-tar"]; len(got) != 0 {
		t.Errorf("the other upload of the package was used: %v", got)
	}
	// Not listed: found by file name as before.
	for _, id := range []string{"fp3k", "ftdv"} {
		if len(byPkg[id]) == 0 {
			t.Errorf("no task used %s", id)
		}
	}
}

// Listed packages that cannot be used stop the job before it changes
// anything, with the refusal on package_ids.
func TestExecuteListedPackagesRefused(t *testing.T) {
	ctx := execCtx(t)
	for name, refs := range map[string][]string{
		"not on the management center": {"fp1k-nope"},
		"two for one package":          {"fp1k-sh", "fp1k-tar"},
		"no hop needs it":              {"mc", "fp1k-sh", "Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar", "ftdv", "fp3k-extra"},
	} {
		t.Run(name, func(t *testing.T) {
			sc := twoSpellingsScenario()
			sc.UpgradePackages = append(sc.UpgradePackages, fmcsim.UpgradePackage{ID: "fp3k-extra", FileName: "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"})
			e := startExecSim(t, sc)
			plan := e.plan(ctx, "7.6.1")
			opts := e.opts()
			opts.PackageIDs = refs
			_, err := e.run(ctx, plan, opts)
			var re *planner.RuleError
			if !errors.As(err, &re) || re.Field != planner.FieldPackageIDs {
				t.Fatalf("err = %v, want a refusal of package_ids", err)
			}
			if n := e.srv.Stats().UpgradeRequests; n != 0 {
				t.Errorf("%d upgrade requests before refusing", n)
			}
		})
	}
}
