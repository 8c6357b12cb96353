package fmcsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// deployable is a unit of deployment: a standalone device, or an HA pair
// or cluster as a whole.
type deployable struct {
	id, typ, name string
	units         []*deviceState
	domain        *domainState
}

func (s *sim) deployables(dom *domainState) []deployable {
	var out []deployable
	seen := map[any]bool{}
	for _, d := range s.devices {
		if !dom.includes(d.domain) {
			continue
		}
		var dp deployable
		switch {
		case d.ha != nil:
			if seen[d.ha] {
				continue
			}
			seen[d.ha] = true
			dp = deployable{id: d.ha.id, typ: "DeviceHAPair", name: d.ha.name, units: d.ha.members(), domain: d.ha.domain}
		case d.cluster != nil:
			if seen[d.cluster] {
				continue
			}
			seen[d.cluster] = true
			dp = deployable{id: d.cluster.id, typ: "DeviceCluster", name: d.cluster.name, units: d.cluster.units, domain: d.cluster.domain}
		default:
			dp = deployable{id: d.id, typ: "Device", name: d.name, units: []*deviceState{d}, domain: d.domain}
		}
		for _, u := range dp.units {
			if u.pendingDeploy {
				out = append(out, dp)
				break
			}
		}
	}
	return out
}

// deployBlocker says why a deployable cannot be deployed now.
func deployBlocker(dp deployable) string {
	for _, u := range dp.units {
		switch {
		case u.op != nil:
			return fmt.Sprintf("%s is busy: %s.", u.name, strings.ReplaceAll(u.op.stateName(), "_", " "))
		case u.deploying:
			return fmt.Sprintf("A deployment to %s is already in progress.", u.name)
		case !u.connected():
			return fmt.Sprintf("%s is not reachable.", u.name)
		case !u.ver.Equal(dp.units[0].ver):
			return fmt.Sprintf("The units of %s run different versions; finish the upgrade first.", dp.name)
		}
	}
	return ""
}

type deployableJSON struct {
	Version             string `json:"version"`
	Name                string `json:"name"`
	Type                string `json:"type"`
	Device              ref    `json:"device"`
	CanBeDeployed       bool   `json:"canBeDeployed"`
	UpToDate            bool   `json:"upToDate"`
	IsDeploying         bool   `json:"isDeploying"`
	Message             string `json:"message,omitempty"`
	TrafficInterruption string `json:"trafficInterruption"`
	PolicyStatusList    []any  `json:"policyStatusList"`
}

// deployVersion is the configuration version a deployment request must
// quote: the management center uses a millisecond timestamp.
func (s *sim) deployVersion() string {
	return strconv.FormatInt(s.now.UnixMilli(), 10)
}

func (srv *Server) handleDeployableDevices(w http.ResponseWriter, r *http.Request) {
	dom, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	s := srv.sim
	list := s.deployables(dom)
	writeList(w, r, lq, len(list), func(i int, _ bool) any {
		dp := list[i]
		blk := deployBlocker(dp)
		deploying := false
		for _, u := range dp.units {
			deploying = deploying || u.deploying
		}
		return deployableJSON{Version: s.deployVersion(), Name: dp.name, Type: "DeployableDevice",
			Device: ref{ID: dp.id, Type: dp.typ, Name: dp.name}, CanBeDeployed: blk == "", UpToDate: false,
			IsDeploying: deploying, Message: blk, TrafficInterruption: "NO", PolicyStatusList: []any{}}
	})
}

type deploymentRequest struct {
	Type           string   `json:"type"`
	Version        string   `json:"version"`
	ForceDeploy    flexBool `json:"forceDeploy"`
	IgnoreWarning  flexBool `json:"ignoreWarning"`
	DeviceList     []string `json:"deviceList"`
	DeploymentNote string   `json:"deploymentNote,omitempty"`
}

type deploymentResponse struct {
	deploymentRequest
	Metadata taskMetadata `json:"metadata"`
}

func (srv *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	dom := srv.domainOf(w, r)
	if dom == nil {
		return
	}
	var req deploymentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.DeviceList) == 0 {
		writeError(w, http.StatusBadRequest, catValidation, "deviceList must name at least one device.")
		return
	}
	if req.Version == "" {
		writeError(w, http.StatusBadRequest, catValidation, "version is required: use the version of the deployable devices list.")
		return
	}
	var targets []deployable
	for _, id := range req.DeviceList {
		var dp *deployable
		switch {
		case s.devByID[id] != nil && s.devByID[id].ha == nil && s.devByID[id].cluster == nil:
			d := s.devByID[id]
			dp = &deployable{id: d.id, typ: "Device", name: d.name, units: []*deviceState{d}, domain: d.domain}
		case s.devByID[id] != nil:
			writeError(w, http.StatusBadRequest, catValidation, "%s is part of a pair or cluster; deploy to the container.", s.devByID[id].name)
			return
		case s.pairByID[id] != nil:
			h := s.pairByID[id]
			dp = &deployable{id: h.id, typ: "DeviceHAPair", name: h.name, units: h.members(), domain: h.domain}
		case s.clusterByID[id] != nil:
			c := s.clusterByID[id]
			dp = &deployable{id: c.id, typ: "DeviceCluster", name: c.name, units: c.units, domain: c.domain}
		}
		if dp == nil || !dom.includes(dp.domain) {
			writeError(w, http.StatusBadRequest, catValidation, "Invalid device %q in deviceList.", id)
			return
		}
		if blk := deployBlocker(*dp); blk != "" {
			writeError(w, http.StatusBadRequest, catValidation, "Cannot deploy to %s: %s", dp.name, blk)
			return
		}
		targets = append(targets, *dp)
	}
	t := s.newTask("deployment", "Deployment", "DEVICE_DEPLOYMENT")
	job := &jobHistory{id: s.nextID("job"), name: "Deployment", status: "Deploying", start: s.now, task: t}
	for _, dp := range targets {
		sub := t.addSub(dp.id, dp.typ, dp.name)
		sub.status, sub.message = statusRunning, "Deploying."
		for _, u := range dp.units {
			u.deploying = true
			job.devices = append(job.devices, u)
		}
		s.schedule(s.now.Add(s.timings.Deployment.D()), func(at time.Time) {
			ok := true
			for _, u := range dp.units {
				u.deploying = false
				if !u.connected() {
					ok = false
				}
			}
			if !ok {
				s.finishSub(t, sub, at, statusFailed, fmt.Sprintf("Deployment to %s failed: a unit is not reachable.", dp.name))
				return
			}
			for _, u := range dp.units {
				u.pendingDeploy = false
			}
			s.finishSub(t, sub, at, statusCompleted, fmt.Sprintf("Deployed to %s.", dp.name))
		})
	}
	t.onDone = append(t.onDone, func(at time.Time) {
		job.end = at
		job.status = "Deployed"
		if t.status() == statusFailed {
			job.status = "Failed"
		}
	})
	s.jobs = append(s.jobs, job)
	req.Type = "DeploymentRequest"
	writeJSON(w, http.StatusAccepted, deploymentResponse{deploymentRequest: req,
		Metadata: taskMetadata{Task: taskRef{ID: t.id, Type: "TaskStatus",
			Links: &links{Self: baseURL(r) + configPath + r.PathValue("domainUUID") + "/job/taskstatuses/" + t.id}}}})
}

type jobHistoryJSON struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	JobName    string          `json:"jobName"`
	JobStatus  string          `json:"jobStatus"`
	JobType    string          `json:"jobType"`
	StartTime  string          `json:"startTime"`
	EndTime    string          `json:"endTime,omitempty"`
	DeviceList []jobDeviceJSON `json:"deviceList"`
}

type jobDeviceJSON struct {
	DeviceUUID       string `json:"deviceUUID"`
	DeploymentStatus string `json:"deploymentStatus"`
}

func (srv *Server) handleJobHistories(w http.ResponseWriter, r *http.Request) {
	_, lq, ok := srv.domainListQuery(w, r)
	if !ok {
		return
	}
	var list []*jobHistory
	for _, j := range srv.sim.jobs {
		if v, ok := lq.filter["status"]; ok && !strings.EqualFold(v, j.status) {
			continue
		}
		if v, ok := lq.filter["jobType"]; ok && !strings.EqualFold(v, "DEPLOYMENT") {
			continue
		}
		list = append(list, j)
	}
	writeList(w, r, lq, len(list), func(i int, _ bool) any {
		j := list[i]
		out := jobHistoryJSON{ID: j.id, Type: "DeploymentJob", JobName: j.name, JobStatus: j.status, JobType: "DEPLOYMENT",
			StartTime: j.start.UTC().Format(time.RFC3339)}
		if !j.end.IsZero() {
			out.EndTime = j.end.UTC().Format(time.RFC3339)
		}
		for _, d := range j.devices {
			st := "DEPLOYING"
			switch j.status {
			case "Deployed":
				st = "SUCCEEDED"
			case "Failed":
				st = "FAILED"
			}
			out.DeviceList = append(out.DeviceList, jobDeviceJSON{DeviceUUID: d.id, DeploymentStatus: st})
		}
		return out
	})
}

type backupRequest struct {
	Type                       string   `json:"type"`
	Devices                    []ref    `json:"devices"`
	RetrieveToManagementCenter flexBool `json:"retrieveToManagementCenter"`
}

type backupResponse struct {
	Type                       string       `json:"type"`
	Devices                    []ref        `json:"devices"`
	RetrieveToManagementCenter bool         `json:"retrieveToManagementCenter"`
	Metadata                   taskMetadata `json:"metadata"`
}

// handleDeviceBackup backs devices up; an HA pair (type HAContainer, as
// FMCAnsible sends it) or cluster backs up every unit.
func (srv *Server) handleDeviceBackup(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	if srv.domainOf(w, r) == nil {
		return
	}
	var req backupRequest
	if !decodeBody(w, r, &req) {
		return
	}
	devs, msg := s.resolveDevices(req.Devices)
	if msg != "" {
		writeError(w, http.StatusBadRequest, catValidation, "%s", strings.Replace(msg, "targets", "devices", 1))
		return
	}
	t := s.newTask("backup", "Device backup", "DEVICE_BACKUP")
	for _, d := range devs {
		sub := t.addSub(d.id, "Device", d.name)
		if (d.op != nil && d.op.disruptive()) || d.backingUp {
			s.finishSub(t, sub, s.now, statusFailed, fmt.Sprintf("%s is busy.", d.name))
			continue
		}
		sub.status, sub.message = statusRunning, fmt.Sprintf("Backing up %s.", d.name)
		d.backingUp = true
		s.schedule(s.now.Add(s.timings.Backup.D()), func(at time.Time) {
			d.backingUp = false
			if !d.connected() {
				s.finishSub(t, sub, at, statusFailed, fmt.Sprintf("Backup of %s failed: the device is not reachable.", d.name))
				return
			}
			d.lastBackup = at
			s.finishSub(t, sub, at, statusCompleted, fmt.Sprintf("Backup of %s completed.", d.name))
		})
	}
	writeJSON(w, http.StatusAccepted, backupResponse{Type: "DEVICE_BACKUP", Devices: req.Devices,
		RetrieveToManagementCenter: bool(req.RetrieveToManagementCenter),
		Metadata:                   taskMetadata{Task: taskRef{ID: t.id, Status: statusRunning, Type: "TaskStatus"}}})
}
