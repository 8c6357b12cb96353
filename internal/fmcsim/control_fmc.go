package fmcsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// ManagementCenterUpgradeError is a refused UpgradeManagementCenter;
// Conflict marks a refusal because of the estate's state (a readiness
// check not passed, tasks running) rather than the request.
type ManagementCenterUpgradeError struct {
	Message  string
	Conflict bool
}

func (e *ManagementCenterUpgradeError) Error() string { return e.Message }

// UpgradeManagementCenter upgrades the management center to ver ("7.6.1",
// or "7.6.1-291" to pick a build), standing in for the operator: the REST
// API offers only the management center's readiness check, so a plan
// stops at a manual step that the operator performs in the web interface
// before running the job again.
//
// The operator's wizard is followed where the upgrade guide describes it:
// the upgrade package must be on the management center and newer than
// what it runs, with a direct path (Table 1) or a patch of the same
// maintenance release; its readiness check must have passed ("For the
// management center, passing readiness checks is not optional"); and the
// package is removed once installed ("upgrading removes the related
// package from the upgraded appliance").
//
// Two choices are the simulator's own. The upgrade lands at once, on the
// simulated clock's current time: the real API is down while the
// management center upgrades, so a client can observe nothing of it
// before the rerun, which is where a rehearsal picks up. And it is
// refused while any task runs, where the guide says running tasks would
// be stopped and fail: a rehearsal that wanted that would be testing the
// operator's mistake, not the plan. Every session ends, as in the reboot
// that closes a real upgrade.
func (srv *Server) UpgradeManagementCenter(ver string) (EstateFMC, error) {
	s := srv.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	if err := s.upgradeManagementCenter(strings.TrimSpace(ver)); err != nil {
		return EstateFMC{}, err
	}
	srv.started = s.now
	return EstateFMC{ID: s.fmc.id, Hostname: s.fmc.hostname, Model: s.fmc.model, Version: s.fmc.ver.WithBuild()}, nil
}

func (s *sim) upgradeManagementCenter(ver string) error {
	refuse := func(conflict bool, format string, args ...any) error {
		return &ManagementCenterUpgradeError{Message: fmt.Sprintf(format, args...), Conflict: conflict}
	}
	want, err := version.Parse(ver)
	if err != nil {
		return refuse(false, "version: %v", err)
	}
	cur := s.fmc.ver
	var p *packageState
	var listed []string
	for _, q := range s.packages {
		if q.product != catalog.ProductManagementCenter {
			continue
		}
		listed = append(listed, q.ver.WithBuild())
		if version.Compare(q.ver, want) == 0 && (want.Build == 0 || q.ver.Build == want.Build) && (p == nil || p.ver.Build < q.ver.Build) {
			p = q
		}
	}
	if p == nil {
		have := "none"
		if len(listed) > 0 {
			have = strings.Join(listed, ", ")
		}
		return refuse(false, "no management center upgrade package for %s is on the management center (management center packages listed: %s); add one to the scenario's upgrade_packages", ver, have)
	}
	tv := p.ver
	switch c := version.Compare(cur, tv); {
	case c == 0:
		return refuse(false, "the management center already runs %s", cur.WithBuild())
	case c > 0:
		return refuse(false, "the management center runs %s, newer than %s; it cannot be downgraded", cur.WithBuild(), tv.WithBuild())
	}
	if tv.IsPatch() && !version.SameMaintenance(cur, tv) {
		return refuse(false, "patch %s applies only to %s; the management center runs %s", tv, tv.MaintenanceRelease(), cur)
	}
	if !tv.IsPatch() && cur.Train() != tv.Train() {
		if _, ok := s.cat.DirectBetween(cur, tv); !ok {
			return refuse(false, "the management center cannot be upgraded directly from %s to %s (PATH-1); upgrade through an intermediate release first", cur, tv)
		}
	}
	if s.fmc.op != nil {
		return refuse(true, "the management center's readiness check (task %s) is still running; let it finish", s.fmc.op.task.id)
	}
	if !s.fmcReadinessPassed(p) {
		return refuse(true, "no readiness check of %s has passed on the management center; the web interface does not upgrade without one: run it first (POST %s/upgrades with readinessCheckOnly and the server version id as the target)", p.fileName, updatesPath)
	}
	var running []string
	for _, t := range s.taskOrder {
		if st := t.status(); st == statusPending || st == statusRunning {
			running = append(running, fmt.Sprintf("%s (%s)", t.id, t.name))
		}
	}
	if len(running) > 0 {
		if len(running) > 3 {
			running = append(running[:3], fmt.Sprintf("and %d more", len(running)-3))
		}
		return refuse(true, "tasks are running: %s; a management center upgrade stops them and they fail, so let them finish first", strings.Join(running, ", "))
	}

	s.fmc.ver = tv
	if i, _ := s.findPackage(p.id); i >= 0 {
		s.packages = append(s.packages[:i], s.packages[i+1:]...)
	}
	s.auth.revokeAll()
	return nil
}

// fmcReadinessPassed reports whether the latest readiness check of p on the
// management center passed.
func (s *sim) fmcReadinessPassed(p *packageState) bool {
	passed := false
	for _, t := range s.taskOrder {
		if t.pkg != p.id {
			continue
		}
		for _, st := range t.subs {
			if st.target.ID == s.fmc.id {
				passed = st.status == statusCompleted
			}
		}
	}
	return passed
}

// postManagementCenterUpgrade is POST /simulator/v1/management_center/upgrade
// with {"version":"7.6.1"}.
func (srv *Server) postManagementCenterUpgrade(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Version string `json:"version"`
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&body)
	}
	if err != nil || strings.TrimSpace(body.Version) == "" {
		controlError(w, http.StatusBadRequest, "expected {\"version\":\"<version of a listed management center upgrade package>\"}")
		return
	}
	mc, err := srv.UpgradeManagementCenter(body.Version)
	var ue *ManagementCenterUpgradeError
	switch {
	case errors.As(err, &ue) && ue.Conflict:
		controlError(w, http.StatusConflict, "%s", ue.Message)
	case err != nil:
		controlError(w, http.StatusBadRequest, "%v", err)
	default:
		writeJSON(w, http.StatusOK, map[string]EstateFMC{"management_center": mc})
	}
}
