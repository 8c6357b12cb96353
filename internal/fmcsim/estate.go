package fmcsim

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// sim is the simulated estate. Every field is guarded by mu; HTTP handlers
// lock it, bring the estate up to the clock's time and then act.
type sim struct {
	mu sync.Mutex
	// registration is the scenario's package_registration answer.
	registration string
	clock        Clock
	now          time.Time
	cat          *catalog.Catalog
	timings      Timings
	name         string

	fmc          *fmcState
	domains      []*domainState
	domainByUUID map[string]*domainState
	domainByName map[string]*domainState
	devices      []*deviceState
	devByID      map[string]*deviceState
	devByName    map[string]*deviceState
	pairs        []*haState
	pairByID     map[string]*haState
	clusters     []*clusterState
	clusterByID  map[string]*clusterState
	chassis      []*chassisState
	chassisByID  map[string]*chassisState
	packages     []*packageState
	alerts       []*alertState
	tasks        map[string]*taskState
	taskOrder    []*taskState
	jobs         []*jobHistory

	events   eventQueue
	eventSeq int64
	taskSeq  int64
	idSeq    int64

	faults   []*activeFault
	faultSeq int

	audit []Breach
	stats statsState
	auth  authState
}

type fmcState struct {
	id, model, hostname, serial string
	ver                         version.Version
	vdb, sru, lsp, geo          string
	peer                        *FMCPeer
	rpm                         int
	retryAfter                  bool
	op                          *stepRun // its own readiness check
}

type domainState struct {
	uuid, name string
}

// includes reports whether a domain sees objects of domain o: a domain sees
// its own objects and those of its descendants.
func (d *domainState) includes(o *domainState) bool {
	return o == d || strings.HasPrefix(o.name, d.name+"/")
}

type deviceState struct {
	id, name, hostName, model, modelNumber, family, serial string
	ver                                                    version.Version
	baseHealth                                             string
	adminConnected                                         bool
	domain                                                 *domainState
	chassis                                                *chassisState
	slot                                                   int
	ha                                                     *haState
	cluster                                                *clusterState
	snort3                                                 bool

	pendingDeploy bool
	deploying     bool
	backingUp     bool
	lastBackup    time.Time
	staged        map[string]bool // package ids copied to the device
	readyPassed   map[string]bool // package ids whose readiness check passed
	op            *stepRun        // operation in progress on the unit
	reserved      *taskState      // a task that will operate on the unit later
	failed        *failedUpgrade  // an upgrade awaiting retry or cancel
	revertTo      *version.Version
	rebooting     bool
	clusterState  string // in_cluster, not_in_cluster, joining
	disconnects   int    // active disconnect fault windows
}

// activeTask is the task queued or running on the unit, if any.
func (d *deviceState) activeTask() *taskState { return activeTask(d.op, d.reserved) }

// activeTask serves units and multi-instance chassis alike: a record names
// one task, the one operating on it now, else the one that will.
func activeTask(op *stepRun, reserved *taskState) *taskState {
	switch {
	case op != nil && op.task != nil:
		return op.task
	case reserved != nil:
		return reserved
	}
	return nil
}

func (d *deviceState) connected() bool {
	return d.adminConnected && !d.rebooting && d.disconnects == 0 && (d.chassis == nil || !d.chassis.down())
}

// role is the unit's role in its container: Active/Standby for HA pairs,
// Control/Data for clusters, empty for a standalone device.
func (d *deviceState) role() string {
	switch {
	case d.ha != nil:
		if d.ha.isActive(d) {
			return "Active"
		}
		return "Standby"
	case d.cluster != nil:
		if d.cluster.control == d {
			return "Control"
		}
		return "Data"
	}
	return ""
}

// state summarises what the unit is doing for the estate view.
func (d *deviceState) state() string {
	switch {
	case d.op != nil && d.rebooting:
		return "rebooting"
	case d.op != nil:
		return d.op.stateName()
	case d.failed != nil:
		return "upgrade_failed"
	case d.chassis != nil && d.chassis.down():
		return "chassis_down"
	case !d.connected():
		return "disconnected"
	case d.cluster != nil && d.clusterState != "in_cluster":
		return d.clusterState
	}
	return "online"
}

type haState struct {
	id, name                   string
	primary, secondary, active *deviceState
	baseState                  string
	splitFaults, syncFaults    int
	domain                     *domainState
	failoverCriteria           json.RawMessage
	// op is the role switch or break running on the pair; the pair's
	// record names it in metadata.task until it ends.
	op *taskState
}

func (h *haState) syncState() string {
	switch {
	case h.splitFaults > 0 || h.baseState == "split_brain":
		return "split_brain"
	case h.syncFaults > 0 || h.baseState == "out_of_sync":
		return "out_of_sync"
	}
	return "in_sync"
}

func (h *haState) isActive(d *deviceState) bool {
	if h.syncState() == "split_brain" {
		return true
	}
	return h.active == d
}

func (h *haState) peer(d *deviceState) *deviceState {
	if d == h.primary {
		return h.secondary
	}
	return h.primary
}

func (h *haState) standby() *deviceState { return h.peer(h.active) }

func (h *haState) members() []*deviceState { return []*deviceState{h.primary, h.secondary} }

type clusterState struct {
	id, name, kind string
	control        *deviceState
	units          []*deviceState
	domain         *domainState
}

// moveControl hands the control role to the first other unit in the
// cluster, as the cluster does when its control unit leaves.
func (c *clusterState) moveControl(leaving *deviceState) {
	if c.control != leaving {
		return
	}
	for _, u := range c.units {
		if u != leaving && u.clusterState == "in_cluster" && u.connected() {
			c.control = u
			return
		}
	}
}

type chassisState struct {
	id, name, hostName, model, kind, serial string
	fxos                                    version.FXOS    // kind fxos
	swVer                                   version.Version // kind multi_instance
	instances                               []*deviceState
	domain                                  *domainState
	firmwareUpdate                          bool

	rebooting    bool
	appsStarting bool

	// FXOS chassis manager state.
	images    map[string]*fxosImage
	downloads map[string]*fxosDownload
	install   *fxosInstall
	lastFSM   *fxosInstall
	sessions  map[string]*fxosSession

	// Multi-instance chassis upgraded from the management center.
	op          *stepRun
	reserved    *taskState
	staged      map[string]bool
	readyPassed map[string]bool
}

func (c *chassisState) down() bool { return c.rebooting || c.appsStarting }

// activeTask is the upgrade task queued or running on a multi-instance
// chassis, if any.
func (c *chassisState) activeTask() *taskState { return activeTask(c.op, c.reserved) }

// versionString is the chassis software version as its manager shows it.
func (c *chassisState) versionString() string {
	if c.kind == catalog.ChassisFXOS {
		return c.fxos.Display()
	}
	return c.swVer.String()
}

type packageState struct {
	id, fileName, upgradeType, upgradeFrom, uploadDate string
	ver                                                version.Version
	product                                            string
	families                                           []string
	size                                               int64
	rebootRequired                                     bool
}

func (p *packageState) appliesTo(family string) bool {
	return containsStr(p.families, family)
}

type alertState struct {
	id, deviceUUID, module, status, details string
	at                                      time.Time
}

type jobHistory struct {
	id, name, status string
	start, end       time.Time
	devices          []*deviceState
	task             *taskState
}

// event is something scheduled on the simulated clock.
type event struct {
	at  time.Time
	seq int64
	fn  func(at time.Time)
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any) {
	if e, ok := x.(*event); ok {
		*q = append(*q, e)
	}
}
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// schedule runs fn when the simulated clock reaches at. Events run in time
// order, ties in the order they were scheduled.
func (s *sim) schedule(at time.Time, fn func(at time.Time)) {
	s.eventSeq++
	heap.Push(&s.events, &event{at: at, seq: s.eventSeq, fn: fn})
}

// advance runs every event due by the clock's current time. Callers hold mu.
func (s *sim) advance() {
	now := s.clock.Now()
	if now.Before(s.now) {
		now = s.now
	}
	for s.events.Len() > 0 && !s.events[0].at.After(now) {
		e, ok := heap.Pop(&s.events).(*event)
		if !ok {
			break
		}
		if e.at.After(s.now) {
			s.now = e.at
		}
		e.fn(e.at)
	}
	s.now = now
}

// nextID returns a fresh UUID-shaped id for objects created at run time.
func (s *sim) nextID(kind string) string {
	s.idSeq++
	return stableUUID(kind, fmt.Sprintf("%s/%d", s.name, s.idSeq))
}

// newSim builds the runtime estate from a validated scenario.
func newSim(sc *Scenario, clock Clock, cat *catalog.Catalog) (*sim, error) {
	start := clock.Now()
	s := &sim{
		clock: clock, now: start, cat: cat, name: sc.Name, registration: sc.PackageRegistration,
		timings:      sc.Timings.WithDefaults(),
		domainByUUID: map[string]*domainState{}, domainByName: map[string]*domainState{},
		devByID: map[string]*deviceState{}, devByName: map[string]*deviceState{},
		pairByID: map[string]*haState{}, clusterByID: map[string]*clusterState{},
		chassisByID: map[string]*chassisState{}, tasks: map[string]*taskState{},
		taskSeq: 8589935000,
	}
	s.stats.byRoute = map[string]int64{}
	s.stats.byStatus = map[string]int64{}
	s.auth.init()

	mc := sc.ManagementCenter
	fv, err := version.Parse(mc.Version)
	if err != nil {
		return nil, err
	}
	fv.Build = mc.Build
	s.fmc = &fmcState{id: mc.ID, model: mc.Model, hostname: mc.Hostname, serial: mc.Serial, ver: fv,
		vdb: mc.VDB, sru: mc.SRU, lsp: mc.LSP, geo: mc.Geo, peer: mc.HAPeer, rpm: mc.RequestsPerMinute, retryAfter: mc.RetryAfter}
	if s.fmc.serial == "" {
		s.fmc.serial = "None"
	}
	if s.fmc.rpm == 0 {
		s.fmc.rpm = 120
	}

	addDomain := func(uuid, name string) {
		d := &domainState{uuid: uuid, name: name}
		s.domains = append(s.domains, d)
		s.domainByUUID[uuid] = d
		s.domainByName[name] = d
	}
	addDomain(GlobalDomainUUID, "Global")
	for _, d := range sc.Domains {
		if d.Name != "Global" {
			addDomain(d.UUID, d.Name)
		}
	}

	for _, c := range sc.Chassis {
		cs := &chassisState{id: c.ID, name: c.Name, hostName: c.HostName, model: c.Model, kind: c.Kind,
			serial: c.Serial, domain: s.domainByName[c.Domain], firmwareUpdate: c.FirmwareUpdate,
			images: map[string]*fxosImage{}, downloads: map[string]*fxosDownload{}, sessions: map[string]*fxosSession{},
			staged: map[string]bool{}, readyPassed: map[string]bool{}}
		if c.Kind == catalog.ChassisFXOS {
			cs.fxos, _ = version.ParseFXOS(c.Version)
			for _, img := range c.Images {
				p, _ := s.cat.ParsePackageFilename(img)
				cs.images[img] = &fxosImage{name: img, ver: p.FXOS}
			}
			if cs.model == "" {
				cs.model = "FPR-4112-K9"
			}
		} else {
			cs.swVer, _ = version.Parse(c.Version)
			cs.swVer.Build = c.Build
			if cs.model == "" {
				cs.model = "Cisco Secure Firewall 3130 Threat Defense Multi-Instance Chassis"
			}
		}
		s.chassis = append(s.chassis, cs)
		s.chassisByID[cs.id] = cs
	}

	for _, d := range sc.Devices {
		v, _ := version.Parse(d.Version)
		v.Build = d.Build
		ds := &deviceState{id: d.ID, name: d.Name, hostName: d.HostName, model: d.Model, modelNumber: d.ModelNumber,
			family: d.Family, serial: d.Serial, ver: v, baseHealth: d.Health, adminConnected: *d.Connected,
			domain: s.domainByName[d.Domain], slot: d.Slot, snort3: *d.Snort3,
			staged: map[string]bool{}, readyPassed: map[string]bool{}}
		if d.Chassis != "" {
			ds.chassis = s.chassisByID[d.Chassis]
			ds.chassis.instances = append(ds.chassis.instances, ds)
		}
		s.devices = append(s.devices, ds)
		s.devByID[ds.id] = ds
		s.devByName[ds.name] = ds
	}
	for _, cs := range s.chassis {
		sort.SliceStable(cs.instances, func(i, j int) bool { return cs.instances[i].slot < cs.instances[j].slot })
	}

	for _, h := range sc.HAPairs {
		hs := &haState{id: h.ID, name: h.Name, primary: s.devByID[h.Primary], secondary: s.devByID[h.Secondary],
			active: s.devByID[h.Active], baseState: h.State, domain: s.domainByName[h.Domain]}
		hs.primary.ha, hs.secondary.ha = hs, hs
		s.pairs = append(s.pairs, hs)
		s.pairByID[hs.id] = hs
	}
	for _, c := range sc.Clusters {
		cl := &clusterState{id: c.ID, name: c.Name, kind: c.Kind, control: s.devByID[c.Control], domain: s.domainByName[c.Domain]}
		cl.units = append(cl.units, cl.control)
		for _, id := range c.Data {
			cl.units = append(cl.units, s.devByID[id])
		}
		for _, u := range cl.units {
			u.cluster = cl
			u.clusterState = "in_cluster"
		}
		s.clusters = append(s.clusters, cl)
		s.clusterByID[cl.id] = cl
	}

	for _, p := range sc.UpgradePackages {
		v, _ := version.Parse(p.Version)
		v.Build = p.Build
		ps := &packageState{id: p.ID, fileName: p.FileName, ver: v, families: p.Families,
			size: p.Size, uploadDate: p.UploadDate, rebootRequired: *p.RebootRequired,
			upgradeType: p.UpgradeType, upgradeFrom: p.UpgradeFrom}
		ps.product = catalog.ProductThreatDefense
		if len(p.Families) == 1 && p.Families[0] == "management_center" {
			ps.product = catalog.ProductManagementCenter
		}
		if ps.upgradeType == "" {
			ps.upgradeType = defaultUpgradeType(ps)
		}
		if ps.upgradeFrom == "" {
			ps.upgradeFrom = s.oldestDirectFrom(ps.ver)
		}
		if ps.size == 0 {
			ps.size = 1_500_000_000 + int64(len(ps.fileName))*1_000_003
		}
		if ps.uploadDate == "" {
			ps.uploadDate = start.Add(-72 * time.Hour).UTC().Format(time.RFC3339)
		}
		s.packages = append(s.packages, ps)
	}

	for _, a := range sc.HealthAlerts {
		s.alerts = append(s.alerts, &alertState{id: a.ID, deviceUUID: a.Device, module: a.Module,
			status: a.Status, details: a.Details, at: start.Add(-a.Age.D())})
	}
	for _, id := range sc.PendingDeployments {
		s.devByID[id].pendingDeploy = true
	}
	for _, rt := range sc.RunningTasks {
		s.startScenarioTask(rt)
	}
	for _, f := range sc.Faults {
		if _, err := s.addFault(f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// defaultUpgradeType is the package type the management center shows.
// "Cisco FTD Upgrade" and "Cisco FTD SSP Upgrade" (4100/9300) are seen in
// real listings; the patch and management center labels are inferred.
func defaultUpgradeType(p *packageState) string {
	switch {
	case p.product == catalog.ProductManagementCenter:
		return "Cisco FMC Upgrade"
	case p.ver.IsPatch() && (p.appliesTo("firepower_4100") || p.appliesTo("firepower_9300")):
		return "Cisco FTD SSP Patch"
	case p.ver.IsPatch():
		return "Cisco FTD Patch"
	case p.appliesTo("firepower_4100") || p.appliesTo("firepower_9300"):
		return "Cisco FTD SSP Upgrade"
	}
	return "Cisco FTD Upgrade"
}

// oldestDirectFrom is the oldest version that can go straight to v: the
// maintenance release itself for a patch, else the oldest train of the
// direct-upgrade matrix with v's train as a target.
func (s *sim) oldestDirectFrom(v version.Version) string {
	if v.IsPatch() {
		return v.MaintenanceRelease().String()
	}
	var best *version.Version
	for _, row := range s.cat.DirectUpgrades {
		if !containsStr(row.To, v.Train()) {
			continue
		}
		fv, err := version.Parse(row.From + ".0")
		if err != nil {
			continue
		}
		if best == nil || fv.Less(*best) {
			b := fv
			best = &b
		}
	}
	if best == nil {
		return v.Train() + ".0"
	}
	return best.String()
}

// findDevice resolves a device by id or name.
func (s *sim) findDevice(ref string) *deviceState {
	if d, ok := s.devByID[ref]; ok {
		return d
	}
	return s.devByName[ref]
}

func (s *sim) findPair(ref string) *haState {
	if h, ok := s.pairByID[ref]; ok {
		return h
	}
	for _, h := range s.pairs {
		if h.name == ref {
			return h
		}
	}
	return nil
}

func (s *sim) findChassis(ref string) *chassisState {
	if c, ok := s.chassisByID[ref]; ok {
		return c
	}
	for _, c := range s.chassis {
		if c.name == ref {
			return c
		}
	}
	return nil
}

func (s *sim) findPackage(id string) (int, *packageState) {
	for i, p := range s.packages {
		if p.id == id {
			return i, p
		}
	}
	return -1, nil
}

// health is the device's health colour: its own, worsened by open alerts.
func (s *sim) health(d *deviceState) string {
	rank := map[string]int{"green": 0, "yellow": 1, "red": 2}
	h := d.baseHealth
	for _, a := range s.alertsFor(d.id) {
		c := ""
		switch a.status {
		case "RED", "ERROR":
			c = "red"
		case "YELLOW":
			c = "yellow"
		}
		if c != "" && rank[c] > rank[h] {
			h = c
		}
	}
	if !d.connected() {
		h = "red"
	}
	return h
}
