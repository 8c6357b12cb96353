package fxos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

const (
	pathRunningMgmt  = "/api/sys/firmware/version/mgmt"
	pathDistrib      = "/api/sys/firmware/distrib"
	pathDownload     = "/api/sys/firmware/dnld/"
	pathValidate     = "/api/sys/firmware/validate-platform-fw/"
	pathInstall      = "/api/sys/firmware/sched-platform-fw"
	pathInstallFSM   = "/api/sys/fw-system/fsm"
	pathClassQuery   = "/api"
	classRunning     = "firmwareRunning"
	classDistrib     = "firmwareDistributable"
	classDownloader  = "firmwareDownloader"
	classValidation  = "firmwareValidationStatus"
	classPlatform    = "firmwarePlatformPack"
	classSystemFSM   = "firmwareSystemFsm"
	classAppInstance = "smAppInstance"
)

func (c *Client) get(ctx context.Context, p string, q url.Values) ([]byte, error) {
	var raw json.RawMessage
	if err := c.do(ctx, &call{method: http.MethodGet, path: p, query: q}, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// RunningPackages reads the firmwareRunning objects of the management
// subsystem.
func (c *Client) RunningPackages(ctx context.Context) ([]RunningPackage, error) {
	body, err := c.get(ctx, pathRunningMgmt, nil)
	if err != nil {
		return nil, err
	}
	pkgs, err := decodeClass(body, classRunning, runningFrom)
	if err != nil {
		return nil, fmt.Errorf("fxos: GET %s: %w", pathRunningMgmt, err)
	}
	return pkgs, nil
}

// RunningVersion returns the running FXOS platform version, "2.14(1.131)".
func (c *Client) RunningVersion(ctx context.Context) (string, error) {
	pkgs, err := c.RunningPackages(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range pkgs {
		if v := firstNonEmpty(p.PackageVersion, p.Version); v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("fxos: GET %s: the answer names no running version", pathRunningMgmt)
}

// ListImages reads the images on the chassis.
func (c *Client) ListImages(ctx context.Context) ([]Image, error) {
	body, err := c.get(ctx, pathDistrib, nil)
	if err != nil {
		return nil, err
	}
	imgs, err := decodeClass(body, classDistrib, imageFrom)
	if err != nil {
		return nil, fmt.Errorf("fxos: GET %s: %w", pathDistrib, err)
	}
	return imgs, nil
}

// FindImage returns the image whose name is fileName (without regard to
// case).
func (c *Client) FindImage(ctx context.Context, fileName string) (img *Image, found bool, err error) {
	imgs, err := c.ListImages(ctx)
	if err != nil {
		return nil, false, err
	}
	for i := range imgs {
		if strings.EqualFold(imgs[i].Name, fileName) {
			return &imgs[i], true, nil
		}
	}
	return nil, false, nil
}

// DownloadRequest describes an image to fetch from a remote server.
type DownloadRequest struct {
	// FileName is the image file, e.g. fxos-k9.2.14.1.131.SPA.
	FileName string
	// Protocol is scp, sftp, ftp, tftp, http or https.
	Protocol string
	Server   string
	// Port defaults to the protocol's port.
	Port int
	// RemotePath is the directory on the server that holds FileName.
	RemotePath string
	User       string
	// Password is sent to the chassis only; it never appears in logs or
	// errors.
	Password string
}

var defaultPorts = map[string]int{"scp": 22, "sftp": 22, "ftp": 21, "tftp": 69, "http": 80, "https": 443}

// Download asks the chassis to fetch an image: POST /sys/firmware/dnld/{file}
// with a firmwareDownloader object. If the answer is lost, the download is
// looked up before anything is sent again; it is never started twice.
func (c *Client) Download(ctx context.Context, req DownloadRequest) error {
	if err := checkFileName(req.FileName); err != nil {
		return err
	}
	proto := strings.ToLower(strings.TrimSpace(req.Protocol))
	def, ok := defaultPorts[proto]
	if !ok {
		return fmt.Errorf("fxos: download protocol %q is not one of scp, sftp, ftp, tftp, http, https", req.Protocol)
	}
	if strings.TrimSpace(req.Server) == "" {
		return errors.New("fxos: download server is empty")
	}
	port := req.Port
	if port == 0 {
		port = def
	}
	if port < 1 || port > 65535 {
		return fmt.Errorf("fxos: download port %d out of range", port)
	}
	c.addSecret(req.Password)
	obj := map[string]string{
		"dn":         "sys/fw-catalogue/dnld-" + req.FileName,
		"fileName":   req.FileName,
		"protocol":   proto,
		"server":     req.Server,
		"port":       strconv.Itoa(port),
		"remotePath": req.RemotePath,
		"adminState": "restart",
	}
	if req.User != "" {
		obj["user"] = req.User
	}
	if req.Password != "" {
		obj["pwd"] = req.Password
	}
	cl := &call{method: http.MethodPost, path: pathDownload + url.PathEscape(req.FileName), body: map[string]any{classDownloader: []any{obj}}, mutating: true}
	err := c.do(ctx, cl, nil)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || ctx.Err() != nil {
		if err == nil {
			c.log(ctx, "fxos: image download started", map[string]any{"file": req.FileName, "server": req.Server, "protocol": proto})
		}
		return err
	}
	c.log(ctx, "fxos: the answer was lost; checking whether the download started", map[string]any{"file": req.FileName})
	if st, err := c.DownloadStatus(ctx, req.FileName); err == nil && st != nil {
		return nil
	} else if err != nil && !IsNotFound(err) {
		amb.CheckErr = err
		return amb
	}
	if _, found, err := c.FindImage(ctx, req.FileName); err != nil {
		amb.CheckErr = err
		return amb
	} else if found {
		return nil
	}
	c.log(ctx, "fxos: the download had not started; sending it again", map[string]any{"file": req.FileName})
	return c.do(ctx, cl, nil)
}

// DownloadStatus reads the transfer of fileName; nil when the chassis holds
// no download of that name.
func (c *Client) DownloadStatus(ctx context.Context, fileName string) (*DownloadStatus, error) {
	if err := checkFileName(fileName); err != nil {
		return nil, err
	}
	body, err := c.get(ctx, pathDownload+url.PathEscape(fileName), nil)
	if err != nil {
		return nil, err
	}
	all, err := decodeClass(body, classDownloader, downloadFrom)
	if err != nil {
		return nil, fmt.Errorf("fxos: GET %s%s: %w", pathDownload, fileName, err)
	}
	for i := range all {
		if all[i].FileName == "" || strings.EqualFold(all[i].FileName, fileName) {
			if all[i].FileName == "" {
				all[i].FileName = fileName
			}
			return &all[i], nil
		}
	}
	return nil, nil
}

// DeleteDownload removes a download record (and lets a failed one be
// retried). A record already gone is not an error.
func (c *Client) DeleteDownload(ctx context.Context, fileName string) error {
	if err := checkFileName(fileName); err != nil {
		return err
	}
	err := c.do(ctx, &call{method: http.MethodDelete, path: pathDownload + url.PathEscape(fileName)}, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}

// PollOptions bounds a wait. Zero fields take the defaults of the wait.
type PollOptions struct {
	// Interval is the first pause between polls; it grows by half while
	// nothing changes, up to MaxInterval.
	Interval    time.Duration
	MaxInterval time.Duration
	// Timeout bounds the whole wait; negative means no bound but ctx.
	Timeout time.Duration
}

func (o PollOptions) withDefaults(interval, maxInterval, timeout time.Duration) PollOptions {
	if o.Interval <= 0 {
		o.Interval = interval
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = maxInterval
	}
	if o.MaxInterval < o.Interval {
		o.MaxInterval = o.Interval
	}
	if o.Timeout == 0 {
		o.Timeout = timeout
	}
	return o
}

// TimeoutError is a wait that ran out of time.
type TimeoutError struct {
	What  string
	After time.Duration
	Last  string
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("fxos: %s not finished after %s", e.What, e.After)
	if e.Last != "" {
		msg += " (last seen: " + e.Last + ")"
	}
	return msg
}

func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// poller paces a wait: growing pauses while nothing changes, bounded by a
// deadline on the client's clock.
type poller struct {
	c        *Client
	opts     PollOptions
	start    time.Time
	interval time.Duration
	last     string
}

func (c *Client) newPoller(opts PollOptions) *poller {
	return &poller{c: c, opts: opts, start: c.now(), interval: opts.Interval, last: "\x00"}
}

// observe notes the state seen and reports whether it changed.
func (p *poller) observe(state string) bool {
	if state == p.last {
		p.interval = min(p.interval+p.interval/2, p.opts.MaxInterval)
		return false
	}
	p.last = state
	p.interval = p.opts.Interval
	return true
}

// pause sleeps until the next poll, or reports the timeout.
func (p *poller) pause(ctx context.Context, what, last string) error {
	wait := p.interval
	if p.opts.Timeout > 0 {
		left := p.start.Add(p.opts.Timeout).Sub(p.c.now())
		if left <= 0 {
			return &TimeoutError{What: what, After: p.c.now().Sub(p.start).Round(time.Second), Last: last}
		}
		wait = min(wait, left)
	}
	return p.c.sleep(ctx, wait)
}

// DownloadFailedError is a transfer that ended in failure.
type DownloadFailedError struct {
	Status DownloadStatus
}

func (e *DownloadFailedError) Error() string {
	msg := fmt.Sprintf("fxos: download of %s failed (state %s, stage %s)", e.Status.FileName, e.Status.TransferState, e.Status.Stage)
	if d := firstNonEmpty(e.Status.Error, e.Status.Description); d != "" {
		msg += ": " + d
	}
	return msg
}

func (e *DownloadFailedError) Is(target error) bool { return target == ErrDownloadFailed }

// WaitDownload polls a transfer until the image is on the chassis, the
// transfer fails, or the timeout (default 30 minutes) passes. Defaults:
// every 10 seconds, growing to 1 minute.
func (c *Client) WaitDownload(ctx context.Context, fileName string, opts PollOptions) (*DownloadStatus, error) {
	p := c.newPoller(opts.withDefaults(10*time.Second, time.Minute, 30*time.Minute))
	missing := 0
	var last *DownloadStatus
	for {
		st, err := c.DownloadStatus(ctx, fileName)
		switch {
		case err == nil && st != nil:
			missing = 0
			last = st
			if p.observe(fmt.Sprint(st.TransferState, st.Progress, st.Stage)) {
				c.log(ctx, "fxos: download progress", map[string]any{"file": fileName, "state": st.TransferState, "progress": st.Progress, "stage": st.Stage})
			}
			if st.Done() {
				return st, nil
			}
			if st.Failed() {
				return st, &DownloadFailedError{Status: *st}
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		case (err == nil || IsNotFound(err)) && missing < 3:
			// A download may not be listed the instant it is started.
			missing++
		case err == nil || IsNotFound(err):
			if _, found, ferr := c.FindImage(ctx, fileName); ferr == nil && found {
				return &DownloadStatus{FileName: fileName, TransferState: "downloaded", Progress: 100}, nil
			}
			return last, fmt.Errorf("fxos: no download of %s on the chassis", fileName)
		case transient(err):
			c.log(ctx, "fxos: reading the download failed; will try again", map[string]any{"file": fileName, "error": err.Error()})
		default:
			return last, err
		}
		lastText := ""
		if last != nil {
			lastText = last.TransferState + " " + strconv.Itoa(last.Progress) + "%"
		}
		if err := p.pause(ctx, "download of "+fileName, lastText); err != nil {
			return last, err
		}
	}
}

// ValidatePlatformBundle reads the validation of a platform bundle image
// (GET /sys/firmware/validate-platform-fw/{name}).
//
// Assumed: the id in the path is the image file name, and the answer holds a
// firmwareValidationStatus (packName, packVersion, state,
// overallStatusCode). A chassis that answers 404 has no validation for that
// name; the error says so.
func (c *Client) ValidatePlatformBundle(ctx context.Context, fileName string) (*Validation, error) {
	if err := checkFileName(fileName); err != nil {
		return nil, err
	}
	body, err := c.get(ctx, pathValidate+url.PathEscape(fileName), nil)
	if err != nil {
		return nil, err
	}
	all, err := decodeClass(body, classValidation, validationFrom)
	if err != nil {
		return nil, fmt.Errorf("fxos: GET %s%s: %w", pathValidate, fileName, err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("fxos: GET %s%s: the answer holds no validation status", pathValidate, fileName)
	}
	return &all[0], nil
}

// InstallPlatformBundle asks the chassis to install a platform bundle
// version that is already on it (see ListImages), as "scope firmware >
// scope auto-install > install platform platform-vers <v>" does on the
// command line. The chassis reboots (twice from FXOS 2.14.1 when the
// firmware changes too) and ends every session; follow it with WaitInstall.
//
// Assumed, since no public source shows the body: PATCH
// /api/sys/firmware/sched-platform-fw with
// {"firmwarePlatformPack":[{"platformBundleVersion":"2.14(1.131)","forceDeploy":"no"}]},
// the attribute names being the FXOS firmware MIB's. If the chassis refuses
// it, the error carries the chassis's own message; the manual step is the
// command above or Chassis Manager's System > Updates > Upgrade.
//
// If the answer is lost, the installation state is read before anything is
// sent again: an installation already scheduled or running, or the target
// already running, counts as accepted.
func (c *Client) InstallPlatformBundle(ctx context.Context, version string) error {
	v, err := CanonicalVersion(version)
	if err != nil {
		return err
	}
	body := map[string]any{classPlatform: []any{map[string]string{
		"platformBundleVersion": v,
		"forceDeploy":           "no",
	}}}
	cl := &call{method: http.MethodPatch, path: pathInstall, body: body, mutating: true}
	err = c.do(ctx, cl, nil)
	var amb *AmbiguousError
	if err == nil {
		c.log(ctx, "fxos: platform bundle installation requested", map[string]any{"version": v, "host": c.base.Host})
		return nil
	}
	if !errors.As(err, &amb) || ctx.Err() != nil {
		return err
	}
	c.log(ctx, "fxos: the answer was lost; checking whether the installation started", map[string]any{"version": v})
	if err := c.sleep(ctx, c.retry.Backoff(1)); err != nil {
		return err
	}
	st, serr := c.InstallStatus(ctx)
	if serr == nil && st.InProgress() {
		return nil
	}
	running, rerr := c.RunningVersion(ctx)
	if rerr == nil && SameVersion(running, v) {
		return nil
	}
	if serr != nil || rerr != nil {
		amb.CheckErr = errors.Join(serr, rerr)
		return amb
	}
	c.log(ctx, "fxos: the installation had not started; sending it again", map[string]any{"version": v})
	return c.do(ctx, cl, nil)
}

// InstallStatus reads the state of the platform bundle installation
// (GET /sys/fw-system/fsm).
//
// Assumed: which attributes the answer carries. The client reads the FSM
// object's names (status, progress, currentFsm, completionTime) and the
// firmware system's (fsmStatus, fsmProgr, fsmStageDescr, operState,
// validationStatus), whichever are present.
func (c *Client) InstallStatus(ctx context.Context) (*InstallStatus, error) {
	body, err := c.get(ctx, pathInstallFSM, nil)
	if err != nil {
		return nil, err
	}
	all, err := decodeClass(body, classSystemFSM, installFrom)
	if err != nil {
		return nil, fmt.Errorf("fxos: GET %s: %w", pathInstallFSM, err)
	}
	if len(all) == 0 {
		return &InstallStatus{}, nil
	}
	st := all[0]
	return &st, nil
}

// InstallProgress is what WaitInstall reports after each poll.
type InstallProgress struct {
	Status    InstallStatus
	Running   string
	Reachable bool
}

// WaitOptions bounds WaitInstall. Defaults: every 30 seconds growing to 1
// minute, for at most 90 minutes (a worst-case FXOS upgrade with two
// reboots), two consecutive confirmations.
type WaitOptions struct {
	PollOptions
	// Confirmations is how many polls in a row must see the target running
	// and nothing in progress, so that the gap between the FXOS and the
	// firmware reboots is not taken for the end. Default 2.
	Confirmations int
	// OnProgress is called after each poll.
	OnProgress func(InstallProgress)
}

// InstallFailedError is an installation the chassis reports as failed.
type InstallFailedError struct {
	Version string
	Status  InstallStatus
	Running string
}

func (e *InstallFailedError) Error() string {
	msg := fmt.Sprintf("fxos: installation of platform bundle %s failed (status %q, stage %q, state %q; running %s)",
		e.Version, e.Status.Status, e.Status.Stage, e.Status.OperState, firstNonEmpty(e.Running, "unknown"))
	if d := firstNonEmpty(e.Status.Error, e.Status.Description); d != "" {
		msg += ": " + d
	}
	return msg
}

func (e *InstallFailedError) Is(target error) bool { return target == ErrInstallFailed }

// WaitInstall follows a platform bundle installation until version runs and
// nothing is in progress, the chassis reports a failure, or the timeout
// passes. Reboots are expected: refused connections, timeouts, 5xx answers
// and lost sessions do not end the wait (the client logs in again when the
// chassis is back). A login refused right after a reboot is also waited out,
// since AAA may start after the API.
func (c *Client) WaitInstall(ctx context.Context, version string, opts WaitOptions) (*InstallStatus, error) {
	target, err := CanonicalVersion(version)
	if err != nil {
		return nil, err
	}
	opts.PollOptions = opts.PollOptions.withDefaults(30*time.Second, time.Minute, 90*time.Minute)
	if opts.Confirmations <= 0 {
		opts.Confirmations = 2
	}
	p := c.newPoller(opts.PollOptions)
	var last *InstallStatus
	running := ""
	confirmed, outages := 0, 0
	reachable := true
	warnedAck := false

	for {
		st, err := c.InstallStatus(ctx)
		if err == nil {
			var now string
			if now, err = c.RunningVersion(ctx); err == nil {
				running = now
			}
		}
		switch {
		case err == nil:
			if !reachable {
				c.log(ctx, "fxos: chassis manager reachable again", map[string]any{"host": c.base.Host, "outages": outages})
			}
			reachable = true
			last = st
			if p.observe(fmt.Sprint(st.Status, st.Progress, st.Stage, st.OperState, running)) {
				c.log(ctx, "fxos: installation progress", map[string]any{
					"version": target, "running": running, "status": st.Status, "progress": st.Progress, "stage": st.Stage, "state": st.OperState,
				})
			}
			if strings.EqualFold(st.OperState, "pendingUserAck") && !warnedAck {
				warnedAck = true
				c.log(ctx, "fxos: the chassis waits for the reboot to be acknowledged in Chassis Manager (System > Updates)", map[string]any{"host": c.base.Host})
			}
			if opts.OnProgress != nil {
				opts.OnProgress(InstallProgress{Status: *st, Running: running, Reachable: true})
			}
			if st.Failed() {
				return st, &InstallFailedError{Version: target, Status: *st, Running: running}
			}
			if SameVersion(running, target) && !st.InProgress() {
				confirmed++
				if confirmed >= opts.Confirmations {
					c.log(ctx, "fxos: platform bundle installed", map[string]any{"version": target, "host": c.base.Host})
					return st, nil
				}
			} else {
				confirmed = 0
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		case transient(err) || (outages > 0 && errors.Is(err, ErrAuthentication)):
			confirmed = 0
			if reachable {
				outages++
				c.log(ctx, "fxos: chassis manager unreachable; expected while it reboots", map[string]any{"host": c.base.Host, "error": err.Error()})
			}
			reachable = false
			p.observe("unreachable")
			if opts.OnProgress != nil {
				opts.OnProgress(InstallProgress{Running: running, Reachable: false})
			}
		default:
			return last, err
		}
		lastText := "unreachable"
		if reachable && last != nil {
			lastText = fmt.Sprintf("running %s, status %s, stage %s", running, last.Status, last.Stage)
		}
		if err := p.pause(ctx, "installation of platform bundle "+target, lastText); err != nil {
			return last, err
		}
	}
}

// AppInstances reads the application instances (threat defense logical
// devices) on the chassis: GET /api?classId=smAppInstance.
func (c *Client) AppInstances(ctx context.Context) ([]AppInstance, error) {
	body, err := c.get(ctx, pathClassQuery, url.Values{"classId": {classAppInstance}})
	if err != nil {
		return nil, err
	}
	apps, err := decodeClass(body, classAppInstance, appFrom)
	if err != nil {
		return nil, fmt.Errorf("fxos: GET %s?classId=%s: %w", pathClassQuery, classAppInstance, err)
	}
	return apps, nil
}

// transient reports errors a wait should ride out: the chassis unreachable,
// rebooting or briefly failing, not refusals.
func transient(err error) bool {
	if errors.Is(err, ErrAuthentication) || errors.Is(err, context.Canceled) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Code == codeBackend || ae.Code == codeAuthRequired
	}
	return true
}

func checkFileName(name string) error {
	n := strings.TrimSpace(name)
	if n == "" {
		return errors.New("fxos: image file name is empty")
	}
	if n != name || path.Base(n) != n || strings.ContainsAny(n, "?#\\") {
		return fmt.Errorf("fxos: %q is not a plain file name", name)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
