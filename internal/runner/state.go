package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fxos"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/planner"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// Step states in Progress.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	// StepSkipped is a step found already done, or made pointless by what is
	// already done (a role switch before a chassis that already runs its
	// target), or outside the requested phase; Detail says which.
	StepSkipped = "skipped"
	StepFailed  = "failed"
	// StepInterrupted is a step whose run ended with the context; TaskID
	// names the task it had started or was waiting on, if any.
	StepInterrupted = "interrupted"
)

// Job states in Progress.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial"
)

// StepResult is what became of one plan step.
type StepResult struct {
	Order  int
	Wave   int
	Action string
	Target string
	// Key identifies the step across plans of the same estate: action,
	// target, versions and occurrence. A new plan made after a partial run
	// gives the remaining steps the same keys.
	Key    string
	State  string
	Detail string
	// TaskID is the last management center task the step started or waited
	// on. An interrupted step's task may still be running; ExecOptions.Resume
	// waits for it rather than starting the work again.
	TaskID string
	// Started and Ended are when this run began and finished the step, on
	// ExecOptions.Now's clock; zero for a step it did not run.
	Started time.Time `json:",omitzero"`
	Ended   time.Time `json:",omitzero"`
}

// Progress is how far an execution got. Execute returns it on success and
// on failure alike, so a caller can record it and resume from it.
type Progress struct {
	// Status is StatusComplete when every step of the plan is done or was
	// found done, StatusPartial otherwise.
	Status string
	Steps  []StepResult
	// UnitVersions maps every unit the plan touches (device, chassis,
	// management center), by the plan's name, to the version it was last
	// seen running.
	UnitVersions map[string]string
	// DeviceVersions is UnitVersions for threat defense devices, keyed by
	// device id.
	DeviceVersions map[string]string
	Warnings       []string
}

// Done counts the steps that are done or were found done.
func (p *Progress) Done() int {
	n := 0
	for _, s := range p.Steps {
		if s.State == StepDone || s.State == StepSkipped {
			n++
		}
	}
	return n
}

// stepKeys names every step of a plan for Progress.Key.
func stepKeys(steps []planner.Step) []string {
	seen := map[string]int{}
	out := make([]string, len(steps))
	for i, s := range steps {
		base := strings.Join([]string{s.Action, s.Target, s.From, s.To}, "|")
		seen[base]++
		out[i] = fmt.Sprintf("%s#%d", base, seen[base])
	}
	return out
}

// unitKind says what a plan name stands for.
type unitKind int

const (
	kindUnknown unitKind = iota
	kindDevice
	kindPair
	kindCluster
	kindFXOSChassis
	kindMIChassis
	kindManagementCenter
)

// unit is a plan name resolved against the live inventory.
type unit struct {
	kind unitKind
	id   string
	name string
	// members are device ids: a pair's primary and secondary, a cluster's
	// control unit then its data units, a chassis's instances, a device
	// itself.
	members []string
	// managerURL is an FXOS chassis's chassis manager.
	managerURL string
}

// names resolves the plan's unit names (or ids) to inventory records.
type names struct {
	inv      *Inventory
	devices  map[string]*Device
	pairs    map[string]*HAPair
	clusters map[string]*Cluster
	chassis  map[string]*Chassis
	managers map[string]string
	mc       string
}

func newNames(inv *Inventory, managers map[string]string, mcName string) *names {
	n := &names{inv: inv, devices: map[string]*Device{}, pairs: map[string]*HAPair{}, clusters: map[string]*Cluster{},
		chassis: map[string]*Chassis{}, managers: managers, mc: mcName}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		n.devices[d.Name], n.devices[d.ID] = d, d
	}
	for i := range inv.HAPairs {
		p := &inv.HAPairs[i]
		n.pairs[p.Name], n.pairs[p.ID] = p, p
	}
	for i := range inv.Clusters {
		c := &inv.Clusters[i]
		n.clusters[c.Name], n.clusters[c.ID] = c, c
	}
	for i := range inv.Chassis {
		c := &inv.Chassis[i]
		n.chassis[c.Name], n.chassis[c.ID] = c, c
	}
	return n
}

func (n *names) isMC(name string) bool {
	return name != "" && (strings.EqualFold(name, n.mc) || strings.EqualFold(name, n.inv.ManagementCenter.Hostname))
}

func (n *names) device(name string) (unit, bool) {
	d, ok := n.devices[name]
	if !ok {
		return unit{}, false
	}
	return unit{kind: kindDevice, id: d.ID, name: d.Name, members: []string{d.ID}}, true
}

// group resolves the target of a threat defense step: an HA pair, a cluster
// or a standalone device.
func (n *names) group(name string) (unit, bool) {
	if p, ok := n.pairs[name]; ok {
		return unit{kind: kindPair, id: p.ID, name: p.Name, members: present(p.PrimaryID, p.SecondaryID)}, true
	}
	if c, ok := n.clusters[name]; ok {
		return unit{kind: kindCluster, id: c.ID, name: c.Name, members: present(append([]string{c.ControlID}, c.DataIDs...)...)}, true
	}
	return n.device(name)
}

func (n *names) chassisUnit(name string) (unit, bool) {
	c, ok := n.chassis[name]
	if !ok {
		if url := n.managers[name]; url != "" {
			// A chassis the inventory does not show (declared by the user
			// with its chassis manager).
			return unit{kind: kindFXOSChassis, id: name, name: name, managerURL: url}, true
		}
		return unit{}, false
	}
	u := unit{kind: kindMIChassis, id: c.ID, name: c.Name, members: c.DeviceIDs}
	if c.Kind == catalog.ChassisFXOS {
		u.kind = kindFXOSChassis
		u.managerURL = firstNonEmpty(n.managers[c.Name], c.ManagerURL)
	}
	return u, true
}

// any resolves a name of any kind, as copy_package and backup steps list
// them.
func (n *names) any(name string) (unit, bool) {
	if n.isMC(name) {
		return unit{kind: kindManagementCenter, name: name}, true
	}
	if u, ok := n.chassisUnit(name); ok {
		return u, true
	}
	return n.group(name)
}

func (n *names) deviceName(id string) string {
	if d, ok := n.devices[id]; ok {
		return d.Name
	}
	return id
}

// resolveStep checks that every name a step uses is known, so that a plan
// made for another estate fails before anything is done.
func (n *names) resolveStep(s planner.Step) error {
	var missing []string
	need := func(ok bool, name string) {
		if !ok {
			missing = append(missing, name)
		}
	}
	switch s.Action {
	case planner.ActionCopyPackage:
		for _, u := range s.Units {
			_, ok := n.any(u)
			need(ok, u)
		}
	case planner.ActionReadinessCheck:
		if !n.isMC(s.Target) {
			_, ok := n.group(s.Target)
			need(ok, s.Target)
		}
	case planner.ActionUpgradeThreatDefense, planner.ActionDeployConfiguration:
		_, ok := n.group(s.Target)
		need(ok, s.Target)
		for _, u := range s.Units {
			_, ok := n.device(u)
			need(ok, u)
		}
	case planner.ActionUpgradeChassis:
		_, ok := n.chassisUnit(s.Target)
		need(ok, s.Target)
	case planner.ActionSwitchHARoles:
		_, ok := n.pairs[s.Target]
		need(ok, s.Target)
		for _, u := range []string{s.From, s.To} {
			_, ok := n.device(u)
			need(ok, u)
		}
	case planner.ActionMoveClusterControl:
		_, ok := n.clusters[s.Target]
		need(ok, s.Target)
		for _, u := range []string{s.From, s.To} {
			_, ok := n.device(u)
			need(ok, u)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the plan names %s, which the management center does not list; plan again from the live inventory (or declare the chassis manager of an FXOS chassis)",
			strings.Join(missing, ", "))
	}
	return nil
}

// atLeast reports whether a threat defense or management center version
// has reached target. Builds count only when both sides give one.
func atLeast(have, target string) bool {
	if have == "" || target == "" {
		return false
	}
	c, err := planner.CompareVersions(have, target)
	return err == nil && c >= 0
}

// fxosAtLeast is atLeast for FXOS versions in either spelling.
func fxosAtLeast(have, target string) bool {
	a, err1 := version.ParseFXOS(have)
	b, err2 := version.ParseFXOS(target)
	return err1 == nil && err2 == nil && version.CompareFXOS(a, b) >= 0
}

// deviceVersion is the version a device record reports, without its build.
func deviceVersion(d fmc.Device) string {
	v, _ := splitVersion(d.SWVersion, "")
	return v
}

func deviceTask(d fmc.Device) string {
	if t := d.Metadata.Task; t != nil {
		return t.ID
	}
	return ""
}

// connected is true unless the record says the device is disconnected;
// records before 7.3 do not say.
func connected(d fmc.Device) bool {
	c, ok := d.Connected()
	return !ok || c
}

// containerStatus is the unit's state in its HA pair or cluster, normalised
// ("ACTIVE", "STANDBY", "IN CLUSTER", ...).
func containerStatus(d fmc.Device) string {
	if cd := d.Metadata.ContainerDetails; cd != nil {
		return strings.ToUpper(strings.Join(strings.FieldsFunc(cd.Status, func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), " "))
	}
	return ""
}

// pairProblem says why an HA pair is not healthy and in sync (HA-1), or ""
// when it is: one active and one standby unit, configuration in sync. The
// status words are the inferred ones of fmc.HAPair.ActiveID; configStatus
// values are matched loosely since none is documented.
func pairProblem(p *fmc.HAPair) string {
	a, s := p.ActiveID(), p.StandbyID()
	switch {
	case a == "" || s == "" || a == s:
		var st []string
		for _, m := range []*fmc.HAMemberStatus{p.Metadata.PrimaryStatus, p.Metadata.SecondaryStatus} {
			if m != nil {
				st = append(st, firstNonEmpty(m.Device.Name, m.Device.ID)+" "+firstNonEmpty(m.CurrentStatus, "unknown"))
			}
		}
		return fmt.Sprintf("HA pair %s has no healthy active/standby pair of units (%s)", p.Name, strings.Join(st, ", "))
	}
	cs := strings.NewReplacer("_", "", " ", "", "-", "").Replace(strings.ToUpper(string(p.Metadata.ConfigStatus)))
	if strings.Contains(cs, "SPLIT") || strings.Contains(cs, "OUT") || strings.Contains(cs, "NOT") || strings.Contains(cs, "FAIL") {
		return fmt.Sprintf("HA pair %s is not in sync (configStatus %s)", p.Name, p.Metadata.ConfigStatus)
	}
	return ""
}

// ReadChassisVersions reads the running FXOS version of every Firepower
// 4100/9300 chassis of the inventory from its chassis manager, keyed by the
// inventory's chassis name, as EstateFromInventory wants them. managers
// overrides or supplies chassis manager URLs by chassis name.
func ReadChassisVersions(ctx context.Context, inv *Inventory, managers map[string]string, client func(managerURL string) (*fxos.Client, error)) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, ch := range inv.Chassis {
		if ch.Kind != catalog.ChassisFXOS {
			continue
		}
		url := firstNonEmpty(managers[ch.Name], ch.ManagerURL)
		if url == "" {
			errs = append(errs, fmt.Errorf("chassis %s: the management center gives no chassis manager address; declare it", ch.Name))
			continue
		}
		c, err := client(url)
		if err != nil {
			errs = append(errs, fmt.Errorf("chassis %s: %w", ch.Name, err))
			continue
		}
		v, err := c.RunningVersion(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("chassis %s: reading the FXOS version: %w", ch.Name, err))
			continue
		}
		out[ch.Name] = v
	}
	return out, errors.Join(errs...)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// present drops empty ids.
func present(ids ...string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}
