package fmcsim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A chassis that is behind (ORDER-4) blocks its instance's readiness check
// and upgrade, not the copy of the package: the management center copies a
// threat defense package to an instance whatever its chassis runs (the
// planning guide blocks the threat defense upgrade; copying is a separate
// step of the wizard), and nothing is audited.
func TestCopyWhileChassisBehind(t *testing.T) {
	cases := []struct{ device, pkg, refusal string }{
		{"dc1-edge-b", "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar", "needs FXOS 2.14"},
		{"dc2-mi-fw1", "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar", "upgrade the chassis to 7.4.2"},
	}
	for _, tc := range cases {
		t.Run(tc.device, func(t *testing.T) {
			h := newHarness(t, demo(t))
			h.loginNow()
			pkg := h.packageID(tc.pkg)
			push := h.runUntilDone(h.upgrade(pkg, []ref{h.devRef(tc.device)}, map[string]any{"pushUpgradeFileOnly": true}), time.Hour)
			if push.Status != "COMPLETED" {
				t.Fatalf("copy to %s: %s %+v", tc.device, push.Status, push.SubTasks)
			}
			if got := h.unit(tc.device).StagedPackages; !slices.Equal(got, []string{pkg}) {
				t.Errorf("%s has %v staged, want %s", tc.device, got, pkg)
			}
			if a := h.srv.Audit(); len(a) != 0 {
				t.Errorf("a copy was audited: %+v", a)
			}
			check := h.runUntilDone(h.upgrade(pkg, []ref{h.devRef(tc.device)}, map[string]any{"readinessCheckOnly": true}), time.Hour)
			if check.Status != "FAILED" || !strings.Contains(check.SubTasks[0].Message, tc.refusal) {
				t.Errorf("readiness check of %s: %s %+v, want it refused: %s", tc.device, check.Status, check.SubTasks, tc.refusal)
			}
		})
	}
}
