package fmcsim

import (
	"fmt"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Breach is an operator rule broken by a client: the rule id of the
// product brief (HA-3, ORDER-2, …), what it was broken on, how, and when
// (simulated time).
type Breach struct {
	Rule   string    `json:"rule"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

// RuleDuplicateUpgrade marks an upgrade request for a unit that is already
// upgrading or already runs the target version. The brief's quality bar
// ("nothing is done twice") has no rule id of its own.
const RuleDuplicateUpgrade = "DUPLICATE-UPGRADE"

// maxBreaches bounds the audit log; a runaway client cannot exhaust memory.
const maxBreaches = 10000

func (s *sim) breach(rule, target, format string, args ...any) {
	if len(s.audit) >= maxBreaches {
		return
	}
	s.audit = append(s.audit, Breach{Rule: rule, Target: target, Detail: fmt.Sprintf(format, args...), At: s.now})
}

// auditDeviceUpgrade records the rules a full upgrade of d to pkg breaks.
// grouped is set when the same job upgrades d's pair or cluster peers, so
// the simulator itself orders them.
func (s *sim) auditDeviceUpgrade(d *deviceState, p *packageState, grouped bool) {
	tv := p.ver
	if mcBelow(s.fmc.ver, tv) {
		s.breach("ORDER-2", d.name, "upgrade of %s to %s requested while the management center runs %s; a device cannot be upgraded past its management center's major/maintenance version",
			d.name, tv, s.fmc.ver)
	}
	if msg := s.chassisBlocks(d, tv); msg != "" {
		s.breach("ORDER-4", d.name, "threat defense upgrade requested before its chassis: %s", msg)
	}
	if h := d.ha; h != nil {
		if st := h.syncState(); st != "in_sync" {
			s.breach("HA-1", h.name, "upgrade of %s requested while HA pair %s is %s", d.name, h.name, st)
		}
		peer := h.peer(d)
		if !grouped && h.syncState() != "split_brain" && h.active == d && peer.ver.Less(tv) {
			s.breach("HA-3", h.name, "active unit %s upgraded to %s before standby %s (which runs %s); upgrade the standby first",
				d.name, tv, peer.name, peer.ver)
		}
		if (peer.op != nil && peer.op.disruptive()) || peer.rebooting {
			s.breach("HA-1", h.name, "units %s and %s of HA pair %s are upgrading at the same time", d.name, peer.name, h.name)
		}
	}
	if c := d.cluster; c != nil && !grouped {
		for _, u := range c.units {
			if u != d && u.op != nil && (u.op.mode == "full" || u.op.mode == "retry" || u.op.mode == "revert") {
				s.breach("HA-1", c.name, "units %s and %s of cluster %s are upgrading at the same time", d.name, u.name, c.name)
			}
		}
	}
	if d.pendingDeploy {
		s.breach("READY-2", d.name, "upgrade of %s requested with configuration changes not yet deployed; deploy first", d.name)
	}
	for _, t := range s.runningTasksOn(d) {
		s.breach("READY-3", d.name, "upgrade of %s requested while task %s (%s) is running on it; it will be stopped", d.name, t.id, t.name)
	}
}

// auditChassisUpgrade records the rules an upgrade of chassis c to the
// given version breaks; newer reports whether another chassis already runs
// at least that version.
func (s *sim) auditChassisUpgrade(c *chassisState, target string, newer func(o *chassisState) bool) {
	haRule := "HA-3"
	if c.kind == catalog.ChassisMultiInstance {
		haRule = "HA-5"
	}
	seenPair := map[*haState]bool{}
	seenCluster := map[*clusterState]bool{}
	for _, d := range c.instances {
		if h := d.ha; h != nil && !seenPair[h] {
			seenPair[h] = true
			peer := h.peer(d)
			if st := h.syncState(); st != "in_sync" {
				s.breach("HA-1", h.name, "chassis %s upgrade started while HA pair %s is %s", c.name, h.name, st)
			}
			if pc := peer.chassis; pc != nil && pc != c {
				if chassisBusy(pc) {
					s.breach("HA-1", h.name, "chassis %s and %s, which host HA pair %s, are upgrading at the same time", c.name, pc.name, h.name)
				}
				if h.active == d && h.syncState() == "in_sync" && !newer(pc) {
					s.breach(haRule, h.name, "chassis %s hosting active unit %s upgraded to %s before chassis %s hosting standby %s; upgrade the standby's chassis first and switch roles",
						c.name, d.name, target, pc.name, peer.name)
				}
			}
		}
		if cl := d.cluster; cl != nil && !seenCluster[cl] {
			seenCluster[cl] = true
			for _, u := range cl.units {
				uc := u.chassis
				if uc == nil || uc == c {
					continue
				}
				if chassisBusy(uc) {
					s.breach("HA-1", cl.name, "chassis %s and %s, which host cluster %s, are upgrading at the same time", c.name, uc.name, cl.name)
					break
				}
			}
			if cl.kind == "inter_chassis" && cl.control.chassis == c {
				for _, u := range cl.units {
					if uc := u.chassis; uc != nil && uc != c && !newer(uc) {
						s.breach("HA-4", cl.name, "chassis %s hosting control unit %s upgraded before chassis %s that hosts only data units; upgrade the data-unit chassis first and move the control role",
							c.name, cl.control.name, uc.name)
						break
					}
				}
			}
		}
	}
}

func chassisBusy(c *chassisState) bool {
	return c.install != nil || c.rebooting || (c.op != nil && c.op.disruptive())
}

// auditMIChassisUpgrade audits a multi-instance chassis upgrade from the
// management center.
func (s *sim) auditMIChassisUpgrade(c *chassisState, p *packageState) {
	if mcBelow(s.fmc.ver, p.ver) {
		s.breach("ORDER-2", c.name, "chassis %s upgrade to %s requested while the management center runs %s", c.name, p.ver, s.fmc.ver)
	}
	s.auditChassisUpgrade(c, p.ver.String(), func(o *chassisState) bool {
		return o.kind == catalog.ChassisMultiInstance && version.Compare(o.swVer.MaintenanceRelease(), p.ver.MaintenanceRelease()) >= 0
	})
}
