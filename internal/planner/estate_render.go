package planner

import (
	"fmt"
	"sort"
	"strings"
)

// RuleIDs lists the distinct rule ids of the step's rules, in order.
func (s Step) RuleIDs() []string {
	var ids []string
	for _, r := range s.Rules {
		id, _, _ := strings.Cut(r, ":")
		dup := false
		for _, x := range ids {
			dup = dup || x == id
		}
		if !dup {
			ids = append(ids, id)
		}
	}
	return ids
}

// Change is "from -> to", or whichever side the step has.
func (s Step) Change() string {
	switch {
	case s.From != "" && s.To != "":
		return s.From + " -> " + s.To
	case s.To != "":
		return s.To
	}
	return s.From
}

// Line renders the step as one line for a plan review, e.g.
// "wave 3  upgrade_chassis  fp4100-b  2.12.0.498 -> 2.14.1.131  [ORDER-4, HA-3] standby chassis of pair edge-ha first".
func (s Step) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wave %d  %s  %s", s.Wave, s.Action, s.Target)
	if c := s.Change(); c != "" {
		b.WriteString("  ")
		b.WriteString(c)
	}
	if ids := s.RuleIDs(); len(ids) > 0 {
		b.WriteString("  [")
		b.WriteString(strings.Join(ids, ", "))
		b.WriteString("]")
	}
	if s.Note != "" {
		b.WriteString(" ")
		b.WriteString(s.Note)
	}
	return b.String()
}

// Lines renders every step as one line, in order.
func (p *EstatePlan) Lines() []string {
	out := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.Line()
	}
	return out
}

func (p *EstatePlan) byWave() [][]Step {
	waves := make([][]Step, p.Waves+1)
	for _, s := range p.Steps {
		if s.Wave >= 0 && s.Wave < len(waves) {
			waves[s.Wave] = append(waves[s.Wave], s)
		}
	}
	return waves
}

func (p *EstatePlan) count(action string) int {
	n := 0
	for _, s := range p.Steps {
		if s.Action == action {
			n++
		}
	}
	return n
}

// mdEscape keeps names from breaking Markdown tables, emphasis and links,
// or injecting HTML. Underscores inside words need no escape on GitHub.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "`", "'", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// arrow is Change with an arrow that needs no escaping in Markdown or
// Mermaid.
func (s Step) arrow() string {
	if s.From != "" && s.To != "" {
		return s.From + " → " + s.To
	}
	return s.Change()
}

func mdCode(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// Markdown renders a runbook a change board can approve: the summary, the
// path of every unit, the packages, the steps by wave with their reasons,
// the readiness items and rollback notes.
func (p *EstatePlan) Markdown() string {
	var b strings.Builder
	b.WriteString("# Upgrade runbook\n\n## Summary\n\n")
	fmt.Fprintf(&b, "- %d steps in %d waves (the dependencies alone need %d).\n", len(p.Steps), p.Waves, p.CriticalPath)
	fmt.Fprintf(&b, "- Upgrades: %d management center, %d chassis, %d threat defense (device, HA pair or cluster).\n",
		p.count(ActionUpgradeManagementCenter), p.count(ActionUpgradeChassis), p.count(ActionUpgradeThreatDefense))
	if p.maxParallel > 0 {
		fmt.Fprintf(&b, "- At most %d chassis or threat defense upgrades run in one wave.\n", p.maxParallel)
	}
	b.WriteString("- Steps within a wave may run together; a wave starts when the one before it has finished.\n")
	if len(p.Warnings) > 0 {
		b.WriteString("\n## Warnings\n\n")
		for _, w := range p.Warnings {
			fmt.Fprintf(&b, "- %s\n", mdEscape(w))
		}
	}
	b.WriteString("\n## Path per unit\n\n| Unit | Path |\n| --- | --- |\n")
	names := make([]string, 0, len(p.UnitPaths))
	for n := range p.UnitPaths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := strings.Join(p.UnitPaths[n], " → ")
		if len(p.UnitPaths[n]) == 1 {
			path += " (no change)"
		}
		if why, ok := p.Shortfalls[n]; ok {
			path += " — " + why
		}
		fmt.Fprintf(&b, "| %s | %s |\n", mdEscape(n), mdEscape(path))
	}
	b.WriteString("\n## Packages\n\n")
	if len(p.Packages) == 0 {
		b.WriteString("None known by name; see the warnings.\n")
	}
	for _, pk := range p.Packages {
		fmt.Fprintf(&b, "- %s\n", mdCode(pk))
	}
	b.WriteString("\n## Steps\n")
	for w, steps := range p.byWave() {
		if w == 0 || len(steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### Wave %d\n\n", w)
		for _, s := range steps {
			fmt.Fprintf(&b, "%d. %s **%s**", s.Order, mdCode(s.Action), mdEscape(s.Target))
			if c := s.arrow(); c != "" {
				fmt.Fprintf(&b, " %s", mdEscape(c))
			}
			if s.Note != "" {
				fmt.Fprintf(&b, " — %s", mdEscape(s.Note))
			}
			b.WriteString("\n")
			for _, r := range s.Rules {
				fmt.Fprintf(&b, "   - %s\n", mdEscape(r))
			}
		}
	}
	b.WriteString(runbookReadiness)
	b.WriteString(runbookRollback)
	return b.String()
}

const runbookReadiness = `
## Readiness

- [ ] READY-1 Health: database, disk status, enough disk space, HA and cluster state, time synchronization (no offset).
- [ ] READY-2 Configuration deployed, no pending changes, change-management tickets resolved.
- [ ] READY-3 No running tasks when an upgrade starts; scheduled tasks postponed past the window.
- [ ] READY-4 Backups taken before the window and again after it; an upgrade deletes local backups.
- [ ] READY-5 The management center readiness check passes (mandatory); device checks pass or are skipped by explicit decision.
- [ ] READY-6 Management access does not traverse a device being upgraded.
- [ ] READY-7 Public-cloud virtual clusters: image id updated in the template; on AWS, HealthCheck and ReplaceUnhealthy suspended.
- [ ] HA-1 Each HA pair and cluster healthy and in sync (not split-brain) before every chassis upgrade.
`

const runbookRollback = `
## Rollback

- Management center: there is no uninstall of a major or maintenance upgrade; recover by reimaging to the earlier version and restoring the backup taken before the upgrade (READY-4).
- Threat defense: a major or maintenance upgrade can be reverted from the management center while the revert snapshot is kept; patches uninstall. Revert HA pairs and clusters as a whole, never one unit.
- Chassis (FXOS): reinstall the previous FXOS bundle, one chassis of a pair or cluster at a time, after its threat defense instances are back on a version that FXOS supports.
- Stop at the first failed step: later waves assume every earlier wave finished.
`

// mermaidLimit keeps diagrams within what GitHub renders; larger plans are
// drawn as one node per wave.
const mermaidLimit = 120

func mmLabel(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ").Replace(s)
}

// Mermaid renders the waves and dependencies as a flowchart: a subgraph
// per wave and an edge per dependency, or for large plans a node per wave
// summarising its actions.
func (p *EstatePlan) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	waves := p.byWave()
	if len(p.Steps) > mermaidLimit {
		for w, steps := range waves {
			if w == 0 || len(steps) == 0 {
				continue
			}
			counts := map[string]int{}
			var acts []string
			for _, s := range steps {
				if counts[s.Action] == 0 {
					acts = append(acts, s.Action)
				}
				counts[s.Action]++
			}
			parts := make([]string, len(acts))
			for i, a := range acts {
				parts[i] = fmt.Sprintf("%d %s", counts[a], a)
			}
			fmt.Fprintf(&b, "  w%d[\"Wave %d<br/>%s\"]\n", w, w, mmLabel(strings.Join(parts, "<br/>")))
			if w > 1 {
				fmt.Fprintf(&b, "  w%d --> w%d\n", w-1, w)
			}
		}
		return b.String()
	}
	for w, steps := range waves {
		if w == 0 || len(steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  subgraph w%d[\"Wave %d\"]\n", w, w)
		for _, s := range steps {
			label := fmt.Sprintf("%d %s<br/>%s", s.Order, s.Action, mmLabel(s.Target))
			if c := s.arrow(); c != "" {
				label += "<br/>" + mmLabel(c)
			}
			fmt.Fprintf(&b, "    s%d[\"%s\"]\n", s.Order, label)
		}
		b.WriteString("  end\n")
	}
	for _, s := range p.Steps {
		for _, a := range s.After {
			fmt.Fprintf(&b, "  s%d --> s%d\n", a, s.Order)
		}
	}
	return b.String()
}
