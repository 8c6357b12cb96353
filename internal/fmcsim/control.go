package fmcsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

// The control API sits beside the management center paths under
// /simulator/v1. It needs no token and answers loopback clients only.

type statsState struct {
	requests, throttled, dropped              int64
	upgradeRequests, duplicateUpgradeRequests int64
	byRoute, byStatus                         map[string]int64
}

// Stats counts what clients did. Requests counts management center and
// chassis manager requests (not the control API); ByRoute is keyed by the
// route pattern, e.g. "GET /api/fmc_platform/v1/info/serverversion".
type Stats struct {
	Requests                 int64            `json:"requests"`
	Throttled                int64            `json:"throttled"`
	ByRoute                  map[string]int64 `json:"by_route"`
	ByStatus                 map[string]int64 `json:"by_status"`
	UpgradeRequests          int64            `json:"upgrade_requests"`
	DuplicateUpgradeRequests int64            `json:"duplicate_upgrade_requests"`
	DroppedConnections       int64            `json:"dropped_connections"`
	Logins                   int64            `json:"logins"`
	TokenRefreshes           int64            `json:"token_refreshes"`
}

// Stats returns a snapshot of the request statistics.
func (srv *Server) Stats() Stats {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: s.stats.requests, Throttled: s.stats.throttled, ByRoute: map[string]int64{}, ByStatus: map[string]int64{},
		UpgradeRequests: s.stats.upgradeRequests, DuplicateUpgradeRequests: s.stats.duplicateUpgradeRequests,
		DroppedConnections: s.stats.dropped, Logins: s.auth.logins, TokenRefreshes: s.auth.refreshed}
	for k, v := range s.stats.byRoute {
		st.ByRoute[k] = v
	}
	for k, v := range s.stats.byStatus {
		st.ByStatus[k] = v
	}
	return st
}

// Audit returns the rule breaches recorded so far, oldest first.
func (srv *Server) Audit() []Breach {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	return append([]Breach{}, s.audit...)
}

// ClearAudit empties the audit log.
func (srv *Server) ClearAudit() {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit = nil
}

// Estate is every unit's current version, role and state.
type Estate struct {
	Time             time.Time       `json:"time"`
	ManagementCenter EstateFMC       `json:"management_center"`
	Units            []EstateUnit    `json:"units"`
	HAPairs          []EstatePair    `json:"ha_pairs"`
	Clusters         []EstateCluster `json:"clusters"`
	Tasks            []EstateTask    `json:"tasks"`
}

// EstateFMC is the management center.
type EstateFMC struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
	Model    string `json:"model"`
	Version  string `json:"version"`
}

// EstateUnit is a device or chassis. Role is standalone, active, standby,
// control, data or chassis; State is online or what the unit is doing
// (copying_package, readiness_check, upgrading, rebooting, …).
type EstateUnit struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Kind              string     `json:"kind"`
	Family            string     `json:"family,omitempty"`
	Model             string     `json:"model"`
	Version           string     `json:"version"`
	Role              string     `json:"role"`
	State             string     `json:"state"`
	Connected         bool       `json:"connected"`
	Health            string     `json:"health,omitempty"`
	Container         string     `json:"container,omitempty"`
	Chassis           string     `json:"chassis,omitempty"`
	Domain            string     `json:"domain,omitempty"`
	PendingDeployment bool       `json:"pending_deployment,omitempty"`
	RevertAvailable   bool       `json:"revert_available,omitempty"`
	LastBackup        *time.Time `json:"last_backup,omitempty"`
	// StagedPackages are the ids of the upgrade packages copied to a device
	// or multi-instance chassis and not installed yet, sorted.
	StagedPackages []string `json:"staged_packages,omitempty"`
}

// EstatePair is an HA pair; State is in_sync, out_of_sync or split_brain.
type EstatePair struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Primary   string `json:"primary"`
	Secondary string `json:"secondary"`
	Active    string `json:"active"`
	State     string `json:"state"`
}

// EstateCluster is a cluster and its current control unit.
type EstateCluster struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Control string   `json:"control"`
	Data    []string `json:"data"`
}

// EstateTask is a task and its outcome; Package is the upgrade package id
// of a package copy, readiness check or upgrade.
type EstateTask struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Package string `json:"package,omitempty"`
}

// Estate returns the current state of the simulated estate.
func (srv *Server) Estate() Estate {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	e := Estate{Time: s.now,
		ManagementCenter: EstateFMC{ID: s.fmc.id, Hostname: s.fmc.hostname, Model: s.fmc.model, Version: s.fmc.ver.WithBuild()},
		Units:            []EstateUnit{}, HAPairs: []EstatePair{}, Clusters: []EstateCluster{}, Tasks: []EstateTask{}}
	for _, d := range s.devices {
		u := EstateUnit{ID: d.id, Name: d.name, Kind: "device", Family: d.family, Model: d.model, Version: d.ver.WithBuild(),
			Role: strings.ToLower(d.role()), State: d.state(), Connected: d.connected(), Health: s.health(d),
			Domain: d.domain.name, PendingDeployment: d.pendingDeploy, RevertAvailable: d.revertTo != nil,
			StagedPackages: stagedIDs(d.staged)}
		if u.Role == "" {
			u.Role = "standalone"
		}
		switch {
		case d.ha != nil:
			u.Container = d.ha.name
		case d.cluster != nil:
			u.Container = d.cluster.name
		}
		if d.chassis != nil {
			u.Chassis = d.chassis.name
		}
		if !d.lastBackup.IsZero() {
			t := d.lastBackup
			u.LastBackup = &t
		}
		e.Units = append(e.Units, u)
	}
	for _, c := range s.chassis {
		state := "online"
		switch {
		case c.rebooting:
			state = "rebooting"
		case c.install != nil:
			state = "upgrading"
		case c.op != nil:
			state = c.op.stateName()
		case c.appsStarting:
			state = "starting_instances"
		}
		ver := c.versionString()
		if c.kind == catalog.ChassisMultiInstance {
			ver = c.swVer.WithBuild()
		}
		e.Units = append(e.Units, EstateUnit{ID: c.id, Name: c.name, Kind: "chassis", Model: c.model, Version: ver,
			Role: "chassis", State: state, Connected: !c.rebooting, Domain: c.domain.name, StagedPackages: stagedIDs(c.staged)})
	}
	for _, h := range s.pairs {
		e.HAPairs = append(e.HAPairs, EstatePair{ID: h.id, Name: h.name, Primary: h.primary.name, Secondary: h.secondary.name,
			Active: h.active.name, State: h.syncState()})
	}
	for _, c := range s.clusters {
		ec := EstateCluster{ID: c.id, Name: c.name, Kind: c.kind, Control: c.control.name, Data: []string{}}
		for _, u := range c.units {
			if u != c.control {
				ec.Data = append(ec.Data, u.name)
			}
		}
		e.Clusters = append(e.Clusters, ec)
	}
	for _, t := range s.taskOrder {
		e.Tasks = append(e.Tasks, EstateTask{ID: t.id, Name: t.name, Status: t.status(), Message: t.message(), Package: t.pkg})
	}
	return e
}

func stagedIDs(staged map[string]bool) []string {
	var out []string
	for id, ok := range staged {
		if ok {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// AddFault installs a fault at run time (same schema as in scenarios) and
// returns it with its id and defaults filled in.
func (srv *Server) AddFault(f Fault) (Fault, error) {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	return s.addFault(f)
}

// Faults lists the installed faults and how much of each is left.
func (srv *Server) Faults() []FaultStatus {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	out := []FaultStatus{}
	for _, f := range s.faults {
		fs := FaultStatus{Fault: f.Fault, Active: f.live(s.now), From: f.from, Until: f.until}
		if f.remaining >= 0 {
			n := f.remaining
			fs.Remaining = &n
		}
		out = append(out, fs)
	}
	return out
}

// addFault validates f against the live estate and schedules its effects.
func (s *sim) addFault(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return f, err
	}
	switch f.Kind {
	case FaultReadinessFail, FaultUpgradeFail:
		if d := s.findDevice(f.Target); d != nil {
			f.Target = d.id
		} else if c := s.findChassis(f.Target); c != nil && c.kind == catalog.ChassisMultiInstance {
			f.Target = c.id
		} else if f.Target == s.fmc.id || f.Target == s.fmc.hostname {
			f.Target = s.fmc.id
		} else {
			return f, fmt.Errorf("target: %q is not a device, a multi-instance chassis or the management center", f.Target)
		}
	case FaultDisconnect:
		d := s.findDevice(f.Target)
		if d == nil {
			return f, fmt.Errorf("target: unknown device %q", f.Target)
		}
		f.Target = d.id
	case FaultSplitBrain, FaultOutOfSync:
		h := s.findPair(f.Target)
		if h == nil {
			return f, fmt.Errorf("target: unknown HA pair %q", f.Target)
		}
		f.Target = h.id
	case FaultDoubleReboot, FaultFXOSDownloadFail:
		c := s.findChassis(f.Target)
		if c == nil || c.kind != catalog.ChassisFXOS {
			return f, fmt.Errorf("target: %q is not an FXOS chassis", f.Target)
		}
		f.Target = c.id
	}
	if len(s.faults) >= 1000 {
		return f, errors.New("too many faults installed (limit 1000)")
	}
	s.faultSeq++
	f.ID = fmt.Sprintf("fault-%d", s.faultSeq)
	a := newActiveFault(f, s.now)
	s.faults = append(s.faults, a)
	switch f.Kind {
	case FaultRevokeTokens:
		s.schedule(a.from, func(time.Time) {
			s.auth.revokeAll()
			a.remaining = 0
			a.ended = true
		})
	case FaultDisconnect, FaultSplitBrain, FaultOutOfSync:
		apply := func(delta int) {
			switch f.Kind {
			case FaultDisconnect:
				s.devByID[f.Target].disconnects += delta
			case FaultSplitBrain:
				if h := s.pairByID[f.Target]; h != nil {
					h.splitFaults += delta
				}
			case FaultOutOfSync:
				if h := s.pairByID[f.Target]; h != nil {
					h.syncFaults += delta
				}
			}
		}
		s.schedule(a.from, func(time.Time) { apply(1); a.applied = true })
		s.schedule(a.until, func(time.Time) { apply(-1); a.ended = true })
	}
	return f, nil
}

func controlError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (srv *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + strings.TrimSuffix(r.URL.Path, "/") {
	case "GET /simulator/v1/audit":
		writeJSON(w, http.StatusOK, map[string][]Breach{"breaches": srv.Audit()})
	case "DELETE /simulator/v1/audit":
		srv.ClearAudit()
		writeJSON(w, http.StatusOK, map[string][]Breach{"breaches": {}})
	case "GET /simulator/v1/stats":
		writeJSON(w, http.StatusOK, srv.Stats())
	case "GET /simulator/v1/estate":
		writeJSON(w, http.StatusOK, srv.Estate())
	case "GET /simulator/v1/faults":
		writeJSON(w, http.StatusOK, map[string][]FaultStatus{"faults": srv.Faults()})
	case "POST /simulator/v1/faults":
		srv.postFaults(w, r)
	case "POST /simulator/v1/clock":
		srv.postClock(w, r)
	case "POST /simulator/v1/management_center/upgrade":
		srv.postManagementCenterUpgrade(w, r)
	default:
		controlError(w, http.StatusNotFound, "no control endpoint %s %s; see GET /simulator/v1/{audit,stats,estate,faults}, POST /simulator/v1/{faults,clock,management_center/upgrade}", r.Method, r.URL.Path)
	}
}

// postFaults accepts one fault or {"faults":[...]}; all are validated
// before any is installed.
func (srv *Server) postFaults(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		controlError(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	var list struct {
		Faults []Fault `json:"faults"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil || list.Faults == nil {
		var one Fault
		d1 := json.NewDecoder(strings.NewReader(string(b)))
		d1.DisallowUnknownFields()
		if err1 := d1.Decode(&one); err1 != nil {
			controlError(w, http.StatusBadRequest, "expected a fault or {\"faults\":[...]}: %v", err1)
			return
		}
		list.Faults = []Fault{one}
	}
	for i := range list.Faults {
		c := list.Faults[i]
		if err := c.validate(); err != nil {
			controlError(w, http.StatusBadRequest, "faults[%d]: %v", i, err)
			return
		}
	}
	added := []Fault{}
	for i, f := range list.Faults {
		got, err := srv.AddFault(f)
		if err != nil {
			controlError(w, http.StatusBadRequest, "faults[%d]: %v", i, err)
			return
		}
		added = append(added, got)
	}
	writeJSON(w, http.StatusCreated, map[string][]Fault{"faults": added})
}

// postClock advances a manual clock: {"advance":"10m"}.
func (srv *Server) postClock(w http.ResponseWriter, r *http.Request) {
	mc, ok := srv.sim.clock.(*ManualClock)
	if !ok {
		controlError(w, http.StatusConflict, "the simulator runs on a scaled real-time clock; only a manual clock can be advanced")
		return
	}
	var body struct {
		Advance Duration `json:"advance"`
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
	if err != nil || json.Unmarshal(b, &body) != nil || body.Advance <= 0 || body.Advance.D() > maxDuration {
		controlError(w, http.StatusBadRequest, "expected {\"advance\":\"<positive duration>\"}")
		return
	}
	mc.Advance(body.Advance.D())
	e := srv.Estate()
	writeJSON(w, http.StatusOK, map[string]time.Time{"now": e.Time})
}
