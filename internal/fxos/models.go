package fxos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

// ClassObjects returns the objects of class in a chassis manager answer:
// {"<class>":[{…},…]} or {"<class>":{…}}, the class name matched without
// regard to case. An answer with a single key of another name is read as
// that class (the manager sometimes names a subclass), and a bare object or
// list as itself.
func ClassObjects(body []byte, class string) ([]json.RawMessage, error) {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return nil, nil
	}
	switch t[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, err
		}
		return objectsOnly(list), nil
	case '{':
	default:
		return nil, fmt.Errorf("answer is not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, err
	}
	var pick json.RawMessage
	found := false
	for k, v := range m {
		if strings.EqualFold(k, class) {
			pick, found = v, true
			break
		}
	}
	if !found {
		var wrappers []json.RawMessage
		for _, v := range m {
			if vt := bytes.TrimSpace(v); len(vt) > 0 && (vt[0] == '[' || vt[0] == '{') {
				wrappers = append(wrappers, vt)
			}
		}
		switch {
		case len(m) == 1 && len(wrappers) == 1:
			pick = wrappers[0]
		case len(wrappers) == 0 && len(m) > 0:
			// The object's own attributes.
			return []json.RawMessage{t}, nil
		default:
			return nil, nil
		}
	}
	pt := bytes.TrimSpace(pick)
	if len(pt) == 0 || bytes.Equal(pt, []byte("null")) {
		return nil, nil
	}
	if pt[0] == '{' {
		return []json.RawMessage{pt}, nil
	}
	if pt[0] != '[' {
		return nil, fmt.Errorf("%s is neither an object nor a list", class)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(pt, &list); err != nil {
		return nil, err
	}
	return objectsOnly(list), nil
}

func objectsOnly(list []json.RawMessage) []json.RawMessage {
	out := list[:0]
	for _, v := range list {
		if vt := bytes.TrimSpace(v); len(vt) > 0 && vt[0] == '{' {
			out = append(out, vt)
		}
	}
	return out
}

// attrs reads one managed object as lower-cased attribute names to text:
// the manager writes every value as a string, but a number or boolean
// should not break a read.
type attrs map[string]string

func parseAttrs(raw json.RawMessage) (attrs, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	a := make(attrs, len(m))
	for k, v := range m {
		a[strings.ToLower(k)] = httpx.JSONScalar(v)
	}
	return a, nil
}

// get returns the first non-empty attribute among names.
func (a attrs) get(names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(a[strings.ToLower(n)]); v != "" {
			return v
		}
	}
	return ""
}

func (a attrs) int(names ...string) int {
	s := a.get(names...)
	if n, err := strconv.Atoi(strings.TrimSuffix(s, "%")); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > -1e9 && f < 1e9 {
		return int(f)
	}
	return 0
}

// decodeClass reads every object of class with conv.
func decodeClass[T any](body []byte, class string, conv func(attrs) T) ([]T, error) {
	objs, err := ClassObjects(body, class)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		a, err := parseAttrs(o)
		if err != nil {
			return nil, err
		}
		out = append(out, conv(a))
	}
	return out, nil
}

// RunningPackage is one firmwareRunning object.
type RunningPackage struct {
	DN             string
	Type           string // system, switchKernel, …
	Deployment     string // kernel, bootLoader, system
	PackageVersion string // "2.14(1.131)"
	Version        string
}

func runningFrom(a attrs) RunningPackage {
	return RunningPackage{DN: a.get("dn"), Type: a.get("type"), Deployment: a.get("deployment"), PackageVersion: a.get("packageVersion"), Version: a.get("version")}
}

// Image is one firmwareDistributable: an image file on the chassis.
type Image struct {
	Name                  string // fxos-k9.2.14.1.131.SPA
	Version               string
	Type                  string // platformBundle, firmwareFpr4kBundle, …
	TransferState         string
	ImagePresence         string
	BuildDate             string
	SupportsMultiInstance string
	DN                    string
}

func imageFrom(a attrs) Image {
	return Image{Name: a.get("name"), Version: a.get("version"), Type: a.get("type"), TransferState: a.get("transferState"),
		ImagePresence: a.get("imagePresence"), BuildDate: a.get("buildDate"), SupportsMultiInstance: a.get("supportsMultiInstance"), DN: a.get("dn")}
}

// DownloadStatus is one firmwareDownloader: the transfer of an image from a
// remote server.
type DownloadStatus struct {
	FileName      string
	TransferState string // init, downloading, downloaded, failed
	Progress      int    // 0..100
	Stage         string // downloadBegin, downloadCopyRemote, …, downloadSuccess
	FSMStatus     string
	Description   string
	Error         string
	DN            string
}

// Done reports whether the image arrived.
func (d DownloadStatus) Done() bool { return strings.EqualFold(d.TransferState, "downloaded") }

// Failed reports whether the transfer failed.
func (d DownloadStatus) Failed() bool {
	return strings.EqualFold(d.TransferState, "failed") || strings.HasSuffix(strings.ToLower(d.Stage), "fail")
}

func downloadFrom(a attrs) DownloadStatus {
	return DownloadStatus{FileName: a.get("fileName"), TransferState: a.get("transferState"), Progress: a.int("fsmProgr", "progress"),
		Stage: a.get("fsmStageDescr", "stageDescr"), FSMStatus: a.get("fsmStatus", "status"), Description: a.get("fsmDescr", "descr"),
		Error: a.get("fsmRmtInvErrDescr", "rmtErrDescr"), DN: a.get("dn")}
}

// Validation is one firmwareValidationStatus: the check of a platform
// bundle before it is installed.
type Validation struct {
	PackName            string
	PackVersion         string
	State               string // none, queued, inProgress, completed, failed
	OverallStatusCode   string // ok, okNotAvailable, failedSignatureCheck, failedDiskSpaceIssue, …
	OverallStatusString string
}

// Done reports whether the validation has finished.
func (v Validation) Done() bool {
	s := strings.ToLower(v.State)
	return s == "completed" || s == "failed"
}

// OK reports whether the bundle passed.
func (v Validation) OK() bool {
	c := strings.ToLower(v.OverallStatusCode)
	return v.Done() && !strings.EqualFold(v.State, "failed") && (c == "ok" || c == "oknotavailable")
}

func validationFrom(a attrs) Validation {
	return Validation{PackName: a.get("packName", "name"), PackVersion: a.get("packVersion", "version"), State: a.get("state"),
		OverallStatusCode: a.get("overallStatusCode"), OverallStatusString: a.get("overallStatusString")}
}

// InstallStatus is the state of the platform bundle installation, read
// from the firmware system and its FSM.
type InstallStatus struct {
	Status           string // FSM status: inProgress, success, fail, nop, …
	Progress         int    // 0..100
	Stage            string // deployBegin … deploySuccess / deployFail
	CurrentFSM       string
	Description      string
	OperState        string // ready, scheduled, inProgress, failed, pendingUserAck
	ValidationStatus string
	CompletionTime   string
	Error            string
}

func installFrom(a attrs) InstallStatus {
	return InstallStatus{
		Status:           a.get("fsmStatus", "status"),
		Progress:         a.int("fsmProgr", "progress"),
		Stage:            a.get("fsmStageDescr", "stageDescr", "currentStage"),
		CurrentFSM:       a.get("currentFsm"),
		Description:      a.get("fsmDescr", "descr"),
		OperState:        a.get("operState"),
		ValidationStatus: a.get("validationStatus"),
		CompletionTime:   a.get("completionTime"),
		Error:            a.get("fsmRmtInvErrDescr", "rmtErrDescr"),
	}
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Failed reports a failed installation.
func (s InstallStatus) Failed() bool {
	st, op, stage := lower(s.Status), lower(s.OperState), lower(s.Stage)
	return st == "fail" || st == "failed" || op == "failed" || strings.HasSuffix(stage, "fail")
}

// InProgress reports an installation that is scheduled or running.
func (s InstallStatus) InProgress() bool {
	switch lower(s.OperState) {
	case "scheduled", "inprogress", "pendinguserack", "startpendingextpermission":
		return true
	}
	switch lower(s.Status) {
	case "inprogress", "in-progress", "scheduled", "processing", "pending", "throttled":
		return true
	}
	return false
}

// AppInstance is one smAppInstance: a logical device (threat defense) on a
// security module.
type AppInstance struct {
	DN                      string
	AppName                 string // ftd
	Identifier              string
	SlotID                  string
	AdminState              string // enabled, disabled
	OperState               string // online, offline, starting, updating, …
	RunningVersion          string
	StartupVersion          string
	ClusterRole             string // none, master, slave
	ClusterOperationalState string
	CurrentJobState         string
	ResourceProfileName     string
}

// Online reports an enabled instance that is up.
func (a AppInstance) Online() bool {
	return !strings.EqualFold(a.AdminState, "disabled") && strings.EqualFold(a.OperState, "online")
}

func appFrom(a attrs) AppInstance {
	inst := AppInstance{
		DN: a.get("dn"), AppName: a.get("appName"), Identifier: a.get("identifier", "appInstId"),
		SlotID: a.get("slotId"), AdminState: a.get("adminState"), OperState: a.get("operationalState", "operState"),
		RunningVersion: a.get("runningVersion"), StartupVersion: a.get("startupVersion"), ClusterRole: a.get("clusterRole"),
		ClusterOperationalState: a.get("clusterOperationalState"), CurrentJobState: a.get("currentJobState"),
		ResourceProfileName: a.get("resourceProfileName"),
	}
	if inst.SlotID == "" {
		// dn "slot/1/app-inst/ftd-…".
		parts := strings.Split(inst.DN, "/")
		for i := 0; i+1 < len(parts); i++ {
			if parts[i] == "slot" {
				inst.SlotID = parts[i+1]
				break
			}
		}
	}
	return inst
}

// CanonicalVersion writes an FXOS version the way the chassis does,
// "2.14(1.131)", from that form or the file-name form "2.14.1.131".
func CanonicalVersion(v string) (string, error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return "", fmt.Errorf("fxos: empty version")
	}
	isNum := func(p string) bool {
		if p == "" || len(p) > 6 {
			return false
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	var parts []string
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(s, ")") {
			return "", fmt.Errorf("fxos: version %q is not of the form 2.14(1.131)", v)
		}
		head := strings.Split(s[:open], ".")
		tail := strings.Split(s[open+1:len(s)-1], ".")
		if len(head) != 2 || len(tail) != 2 {
			return "", fmt.Errorf("fxos: version %q is not of the form 2.14(1.131)", v)
		}
		parts = append(head, tail...)
	} else {
		parts = strings.Split(s, ".")
		if len(parts) != 4 {
			return "", fmt.Errorf("fxos: version %q is not of the form 2.14.1.131 or 2.14(1.131)", v)
		}
	}
	for i, p := range parts {
		if !isNum(p) {
			return "", fmt.Errorf("fxos: version %q has a non-numeric part", v)
		}
		n, _ := strconv.Atoi(p)
		parts[i] = strconv.Itoa(n)
	}
	return fmt.Sprintf("%s.%s(%s.%s)", parts[0], parts[1], parts[2], parts[3]), nil
}

// SameVersion reports whether two FXOS versions, in either form, are equal.
func SameVersion(a, b string) bool {
	ca, err1 := CanonicalVersion(a)
	cb, err2 := CanonicalVersion(b)
	return err1 == nil && err2 == nil && ca == cb
}
