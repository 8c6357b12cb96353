package runner

import (
	"context"
	"fmt"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
)

// ChoosePackages reads the upgrade packages the management center lists
// and resolves refs, the packages a job may use by id or file name, against
// plan (planner.ChoosePackages, which says what it refuses and why). The
// result maps the file names of the plan's packages to the packages chosen.
func ChoosePackages(ctx context.Context, client *fmc.Client, cat *catalog.Catalog, plan *planner.EstatePlan, refs []string) (map[string]*fmc.UpgradePackage, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	all, err := client.ListUpgradePackages(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading upgrade packages: %w", err)
	}
	listed := make([]planner.ListedPackage, len(all))
	byID := make(map[string]*fmc.UpgradePackage, len(all))
	for i := range all {
		listed[i] = planner.ListedPackage{ID: all[i].ID, FileName: all[i].FileName()}
		byID[all[i].ID] = &all[i]
	}
	chosen, err := planner.ChoosePackages(cat, plan, listed, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*fmc.UpgradePackage, len(chosen))
	for file, lp := range chosen {
		out[file] = byID[lp.ID]
	}
	return out, nil
}

// choosePackages resolves opts.PackageIDs and caches the packages chosen
// where packageID looks first, so that no step looks them up by file name.
func (x *executor) choosePackages(ctx context.Context) error {
	chosen, err := ChoosePackages(ctx, x.env.FMC, x.cat, x.plan, x.opts.PackageIDs)
	if err != nil {
		return err
	}
	for file, p := range chosen {
		x.pkgs[file] = p
		x.log(ctx, "runner: listed package chosen", map[string]any{"package": file, "id": p.ID, "file": p.FileName()})
	}
	return nil
}
