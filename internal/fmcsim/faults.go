package fmcsim

import (
	"fmt"
	"strings"
	"time"
)

// Fault kinds. Request faults act on API requests as they arrive; state
// faults change the estate for a while or for a number of operations.
const (
	FaultRateLimit        = "rate_limit"         // answer 429 to matching requests
	FaultServerError      = "server_error"       // answer a 5xx
	FaultDropConnection   = "drop_connection"    // close the connection without a response
	FaultSlowResponse     = "slow_response"      // delay the response (real time)
	FaultRevokeTokens     = "revoke_tokens"      // invalidate every access and refresh token
	FaultReadinessFail    = "readiness_fail"     // the next readiness checks of a unit fail
	FaultUpgradeFail      = "upgrade_fail"       // the next upgrades of a unit fail during install
	FaultSplitBrain       = "split_brain"        // both units of an HA pair claim active
	FaultOutOfSync        = "out_of_sync"        // an HA pair's configuration is out of sync
	FaultDisconnect       = "disconnect"         // a device loses its management connection
	FaultDoubleReboot     = "double_reboot"      // an FXOS install reboots the chassis twice
	FaultFXOSDownloadFail = "fxos_download_fail" // an FXOS image download fails
)

var requestFaults = []string{FaultRateLimit, FaultServerError, FaultDropConnection, FaultSlowResponse}
var countFaults = []string{FaultReadinessFail, FaultUpgradeFail, FaultDoubleReboot, FaultFXOSDownloadFail}
var windowFaults = []string{FaultSplitBrain, FaultOutOfSync, FaultDisconnect}

// Limits that keep every fault bounded.
const (
	maxFaultCount = 100000
	maxSlowDelay  = 60 * time.Second
	// defaultFaultWindow applies to state faults given neither a count nor
	// a duration.
	defaultFaultWindow = 15 * time.Minute
)

// Fault is one injected fault, in scenarios and in POST
// /simulator/v1/faults. Every fault is bounded: by Count (how many times
// it fires) or by Duration (how long it lasts, simulated time), or both,
// whichever ends first.
type Fault struct {
	ID   string `json:"id,omitempty"`
	Kind string `json:"kind"`

	// Method and Path select the requests a request fault applies to;
	// Path is a prefix of the URL path. Both empty means every API
	// request (never the control API), except that a rate_limit without
	// a Path throttles only the management center (/api/): its limit is
	// the management center's, and chassis managers answer on hosts of
	// their own. Give Path "/fxos/" to throttle chassis managers.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Skip lets this many matching requests through before the fault
	// starts firing.
	Skip int `json:"skip,omitempty"`
	// Status is the 5xx code of server_error (default 503).
	Status int `json:"status,omitempty"`
	// Delay is the real-time delay of slow_response (at most 60s).
	Delay Duration `json:"delay,omitempty"`
	// Phase of drop_connection: "before" the request is processed (it is
	// lost) or "after" (it takes effect but the response is lost).
	Phase string `json:"phase,omitempty"`

	// Target names the unit a state fault acts on: a device, HA pair or
	// chassis, by id or name.
	Target string `json:"target,omitempty"`

	Count      int      `json:"count,omitempty"`
	Duration   Duration `json:"duration,omitempty"`
	StartAfter Duration `json:"start_after,omitempty"`
	// Message replaces the failure text of readiness_fail and upgrade_fail.
	Message string `json:"message,omitempty"`
}

func (f *Fault) isRequestFault() bool { return oneOf(f.Kind, requestFaults) }

// validate checks the fault's shape and fills defaults; targets are
// resolved against the estate separately.
func (f *Fault) validate() error {
	all := append(append(append([]string{}, requestFaults...), countFaults...), windowFaults...)
	all = append(all, FaultRevokeTokens)
	if !oneOf(f.Kind, all) {
		return fmt.Errorf("kind: %q is not one of %s", f.Kind, strings.Join(all, ", "))
	}
	if f.Count < 0 || f.Count > maxFaultCount {
		return fmt.Errorf("count: %d is out of range 0..%d", f.Count, maxFaultCount)
	}
	if f.Skip < 0 || f.Skip > maxFaultCount {
		return fmt.Errorf("skip: %d is out of range 0..%d", f.Skip, maxFaultCount)
	}
	if f.Duration < 0 || f.Duration.D() > maxDuration {
		return fmt.Errorf("duration: out of range")
	}
	if f.StartAfter < 0 || f.StartAfter.D() > maxDuration {
		return fmt.Errorf("start_after: out of range")
	}
	if f.Method != "" {
		f.Method = strings.ToUpper(f.Method)
	}
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		return fmt.Errorf("path: %q must start with /", f.Path)
	}
	switch {
	case f.isRequestFault():
		if f.Target != "" {
			return fmt.Errorf("target: a %s fault selects requests with method and path, not a target", f.Kind)
		}
		if f.Count == 0 && f.Duration == 0 {
			f.Count = 1
		}
	case oneOf(f.Kind, countFaults):
		if f.Target == "" {
			return fmt.Errorf("target: required for %s", f.Kind)
		}
		if f.Count == 0 && f.Duration == 0 {
			f.Count = 1
		}
	case oneOf(f.Kind, windowFaults):
		if f.Target == "" {
			return fmt.Errorf("target: required for %s", f.Kind)
		}
		if f.Count != 0 {
			return fmt.Errorf("count: %s lasts for a duration, not a count", f.Kind)
		}
		if f.Duration == 0 {
			f.Duration = Duration(defaultFaultWindow)
		}
	case f.Kind == FaultRevokeTokens:
		if f.Count > 1 || f.Duration != 0 || f.Target != "" {
			return fmt.Errorf("revoke_tokens happens once; only start_after applies")
		}
		f.Count = 1
	}
	switch f.Kind {
	case FaultServerError:
		if f.Status == 0 {
			f.Status = 503
		}
		if f.Status < 500 || f.Status > 599 {
			return fmt.Errorf("status: %d is not a 5xx code", f.Status)
		}
	case FaultSlowResponse:
		if f.Delay <= 0 || f.Delay.D() > maxSlowDelay {
			return fmt.Errorf("delay: must be between 0 and %s", maxSlowDelay)
		}
	case FaultDropConnection:
		if f.Phase == "" {
			f.Phase = "before"
		}
		if f.Phase != "before" && f.Phase != "after" {
			return fmt.Errorf("phase: %q is not before or after", f.Phase)
		}
	}
	if f.Status != 0 && f.Kind != FaultServerError {
		return fmt.Errorf("status: only server_error takes a status")
	}
	if f.Delay != 0 && f.Kind != FaultSlowResponse {
		return fmt.Errorf("delay: only slow_response takes a delay")
	}
	if f.Phase != "" && f.Kind != FaultDropConnection {
		return fmt.Errorf("phase: only drop_connection takes a phase")
	}
	return nil
}

// activeFault is a fault installed in a running simulator.
type activeFault struct {
	Fault
	from      time.Time // simulated start
	until     time.Time // zero: no time bound
	remaining int       // fires left; -1: bounded by time only
	skipped   int
	applied   bool // for one-shot effects (revoke, window faults)
	ended     bool
}

func newActiveFault(f Fault, now time.Time) *activeFault {
	a := &activeFault{Fault: f, from: now.Add(f.StartAfter.D()), remaining: -1}
	if f.Count > 0 {
		a.remaining = f.Count
	}
	if f.Duration > 0 {
		a.until = a.from.Add(f.Duration.D())
	}
	return a
}

// live reports whether the fault may fire at now.
func (a *activeFault) live(now time.Time) bool {
	if a.ended || now.Before(a.from) {
		return false
	}
	if !a.until.IsZero() && !now.Before(a.until) {
		return false
	}
	return a.remaining != 0
}

// matches reports whether a request fault selects the request.
func (a *activeFault) matches(method, path string) bool {
	if a.Method != "" && a.Method != method {
		return false
	}
	if a.Path == "" {
		return a.Kind != FaultRateLimit || strings.HasPrefix(path, "/api/")
	}
	return strings.HasPrefix(path, a.Path)
}

// fire consumes one use; it returns false while the fault is still skipping
// requests.
func (a *activeFault) fire() bool {
	if a.skipped < a.Skip {
		a.skipped++
		return false
	}
	if a.remaining > 0 {
		a.remaining--
	}
	return true
}

// FaultStatus is an installed fault as the control API reports it.
type FaultStatus struct {
	Fault
	Active    bool      `json:"active"`
	Remaining *int      `json:"remaining,omitempty"`
	From      time.Time `json:"from"`
	Until     time.Time `json:"until,omitzero"`
}
