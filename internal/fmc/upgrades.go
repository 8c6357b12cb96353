package fmc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

const (
	pathPackages = "/api/fmc_platform/v1/updates/upgradepackages"
	pathUpgrades = "/api/fmc_platform/v1/updates/upgrades"
	pathCancel   = "/api/fmc_platform/v1/updates/cancelupgrades"
	pathRetry    = "/api/fmc_platform/v1/updates/retryupgrades"
	pathRevert   = "/api/fmc_platform/v1/updates/revertupgrades"
)

// ListUpgradePackages reads every upgrade package on the management center.
func (c *Client) ListUpgradePackages(ctx context.Context) ([]UpgradePackage, error) {
	return listAll[UpgradePackage](ctx, c, pathPackages, nil)
}

// GetUpgradePackage reads one upgrade package.
func (c *Client) GetUpgradePackage(ctx context.Context, id string) (*UpgradePackage, error) {
	if err := requireID("upgrade package", id); err != nil {
		return nil, err
	}
	var p UpgradePackage
	if err := c.do(ctx, &call{method: http.MethodGet, path: pathPackages + "/" + url.PathEscape(id)}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// FindUpgradePackage returns the first package whose name or file name
// equals one of names (without regard to case). Callers pass every spelling
// a file may carry on the management center.
func (c *Client) FindUpgradePackage(ctx context.Context, names ...string) (pkg *UpgradePackage, found bool, err error) {
	all, err := c.ListUpgradePackages(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		for i := range all {
			if strings.EqualFold(all[i].Name, n) || strings.EqualFold(all[i].Metadata.UpgradeFileName, n) {
				return &all[i], true, nil
			}
		}
	}
	return nil, false, nil
}

// DeleteUpgradePackage removes a package from the management center. A
// package already gone is not an error.
func (c *Client) DeleteUpgradePackage(ctx context.Context, id string) error {
	if err := requireID("upgrade package", id); err != nil {
		return err
	}
	err := c.do(ctx, &call{method: http.MethodDelete, path: pathPackages + "/" + url.PathEscape(id)}, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}

// ApplicableDevices lists the devices a package can be applied to.
func (c *Client) ApplicableDevices(ctx context.Context, packageID string) ([]ApplicableDevice, error) {
	if err := requireID("upgrade package", packageID); err != nil {
		return nil, err
	}
	return listAll[ApplicableDevice](ctx, c, pathPackages+"/"+url.PathEscape(packageID)+"/applicabledevices", nil)
}

// UpgradeRequest is the body of POST /updates/upgrades.
type UpgradeRequest struct {
	PackageID string
	// Targets are the devices (DeviceTarget). For an HA pair, public tools
	// name the primary unit only and the management center upgrades both.
	Targets []Reference
	// PushUpgradeFileOnly copies the package to the devices and stops.
	PushUpgradeFileOnly bool
	// ReadinessCheckOnly runs the readiness check and stops; it wins over
	// PushUpgradeFileOnly when both are set. It is the only kind a
	// management center accepts for itself.
	ReadinessCheckOnly bool
	// EnableUpgradeRevert keeps what is needed to revert (7.1 and later).
	EnableUpgradeRevert bool
	// AutoUpgradeCancel returns a unit to where it started when its upgrade
	// fails, instead of leaving it where it failed.
	AutoUpgradeCancel bool
	// Check recovers from a lost answer; see IdempotencyCheck.
	Check IdempotencyCheck
}

// upgradeBody is the wire form, as the specification's examples send it (no
// "type": it is read-only). The three flags of the 7.0 specification
// are always sent as booleans; enableUpgradeRevert, which 7.0 does not know,
// only when set.
type upgradeBody struct {
	UpgradePackage      Reference   `json:"upgradePackage"`
	Targets             []Reference `json:"targets"`
	PushUpgradeFileOnly bool        `json:"pushUpgradeFileOnly"`
	ReadinessCheckOnly  bool        `json:"readinessCheckOnly"`
	AutoUpgradeCancel   bool        `json:"autoUpgradeCancel"`
	EnableUpgradeRevert bool        `json:"enableUpgradeRevert,omitempty"`
}

// StartUpgrade asks the management center to push a package, run a
// readiness check or upgrade devices, and returns the task to wait for. The
// answer is 201 with {"metadata":{"task":{"id","status":"RUNNING",…}}}.
//
// The request is never sent twice blindly: if the connection drops after
// sending it, or the server answers 5xx, the outcome is unknown and
// StartUpgrade either asks req.Check or returns *AmbiguousError.
func (c *Client) StartUpgrade(ctx context.Context, req UpgradeRequest) (*StartedTask, error) {
	if err := requireID("upgrade package", req.PackageID); err != nil {
		return nil, err
	}
	targets, err := normaliseTargets(req.Targets)
	if err != nil {
		return nil, err
	}
	body := upgradeBody{
		UpgradePackage:      Reference{ID: req.PackageID, Type: "UpgradePackage"},
		Targets:             targets,
		PushUpgradeFileOnly: req.PushUpgradeFileOnly,
		ReadinessCheckOnly:  req.ReadinessCheckOnly,
		AutoUpgradeCancel:   req.AutoUpgradeCancel,
		EnableUpgradeRevert: req.EnableUpgradeRevert,
	}
	return c.start(ctx, &call{method: http.MethodPost, path: pathUpgrades, body: body}, req.Check)
}

// CancelUpgradeRequest is the body of POST /updates/cancelupgrades.
type CancelUpgradeRequest struct {
	Targets     []Reference
	ForceCancel bool
	// UpgradeID names the upgrade to cancel, when known.
	UpgradeID string
	Check     IdempotencyCheck
}

// CancelUpgrade cancels a running or failed upgrade on the targets.
func (c *Client) CancelUpgrade(ctx context.Context, req CancelUpgradeRequest) (*StartedTask, error) {
	targets, err := normaliseTargets(req.Targets)
	if err != nil {
		return nil, err
	}
	body := struct {
		Targets     []Reference `json:"targets"`
		ForceCancel bool        `json:"forceCancel,omitempty"`
		UpgradeID   string      `json:"upgradeId,omitempty"`
	}{targets, req.ForceCancel, req.UpgradeID}
	return c.start(ctx, &call{method: http.MethodPost, path: pathCancel, body: body}, req.Check)
}

// RetryUpgrade retries a failed upgrade on the targets.
func (c *Client) RetryUpgrade(ctx context.Context, targets []Reference, check IdempotencyCheck) (*StartedTask, error) {
	t, err := normaliseTargets(targets)
	if err != nil {
		return nil, err
	}
	body := struct {
		Targets []Reference `json:"targets"`
	}{t}
	return c.start(ctx, &call{method: http.MethodPost, path: pathRetry, body: body}, check)
}

// RevertUpgrade returns the targets to the version before their last
// upgrade (needs EnableUpgradeRevert at upgrade time; 7.1 and later).
//
// Documented: the path and the body {"targets":[…]}. Assumed: the answer
// carries metadata.task like cancel and retry. When it does not, the
// returned task has no ID and the caller follows the revert through the
// device records.
func (c *Client) RevertUpgrade(ctx context.Context, targets []Reference, check IdempotencyCheck) (*StartedTask, error) {
	t, err := normaliseTargets(targets)
	if err != nil {
		return nil, err
	}
	body := struct {
		Targets []Reference `json:"targets"`
	}{t}
	return c.start(ctx, &call{method: http.MethodPost, path: pathRevert, body: body}, check)
}

func normaliseTargets(in []Reference) ([]Reference, error) {
	if len(in) == 0 {
		return nil, errors.New("fmc: no target devices given")
	}
	out := make([]Reference, len(in))
	for i, t := range in {
		if err := requireID("target device", t.ID); err != nil {
			return nil, err
		}
		if t.Type == "" {
			t.Type = "Device"
		}
		out[i] = t
	}
	return out, nil
}

// PackageRegistration is what RegisterPackageURL got back.
type PackageRegistration struct {
	// Package is set when the answer describes the new package.
	Package *UpgradePackage
	// Task is set when the answer names a task (the download).
	Task *StartedTask
	// Recovered is true when the answer was lost and the package was found
	// by file name afterwards.
	Recovered bool
}

// PackageRegistrationError is the refusal RegisterPackageURL turns into a
// manual step. errors.Is(err, ErrPackageRegistrationUnsupported) matches it.
type PackageRegistrationError struct {
	URL      string // credentials removed
	FileName string
	Cause    *APIError
}

func (e *PackageRegistrationError) Error() string {
	answer := ""
	if e.Cause != nil {
		answer = fmt.Sprintf(" (%s %s answered %d", e.Cause.Method, e.Cause.Path, e.Cause.Status)
		if len(e.Cause.Messages) > 0 {
			answer += ": " + strings.Join(e.Cause.Messages, "; ")
		}
		answer += ")"
	}
	return fmt.Sprintf("fmc: this management center's REST API cannot register an upgrade package by URL%s. "+
		"Add it once in the web interface: System > Product Upgrades > Add Upgrade Package > Specify Remote Location, "+
		"with URL %s and the CA certificates of that server; the package can then be adopted by file name %q",
		answer, e.URL, e.FileName)
}

func (e *PackageRegistrationError) Is(target error) bool {
	return target == ErrPackageRegistrationUnsupported
}

func (e *PackageRegistrationError) Unwrap() error {
	if e.Cause == nil {
		return nil
	}
	return e.Cause
}

// RegisterPackageURL asks the management center to fetch an upgrade package
// from an internal server (URL plus the PEM CA certificates that server's
// certificate chains to), as the web interface's "Specify Remote Location"
// does.
//
// No public API does this: the upgrade package collection is documented for
// GET and DELETE only (6.3 to 7.6). Assumed, as the most plausible form:
// POST /api/fmc_platform/v1/updates/upgradepackages with
// {"type":"UpgradePackage","name":<file>,"url":<url>,"caCertificates":<pem>},
// answered 201/202 with the package or metadata.task. A management center
// that answers 404, 405, 501, or a 400/422 saying the method or fields are
// not supported gets *PackageRegistrationError (ErrPackageRegistrationUnsupported),
// whose message gives the manual step and says the package can then be
// adopted by file name (FindUpgradePackage). Other refusals (a bad URL, say)
// come back as *APIError.
//
// After a lost answer the package is looked up by file name; it is never
// registered twice.
func (c *Client) RegisterPackageURL(ctx context.Context, packageURL, caCertsPEM string) (*PackageRegistration, error) {
	u, err := url.Parse(strings.TrimSpace(packageURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("fmc: package url %q must be an http:// or https:// URL with a host", httpx.RedactURL(packageURL))
	}
	file := path.Base(u.Path)
	if file == "" || file == "/" || file == "." {
		return nil, fmt.Errorf("fmc: package url %q does not end in a file name", u.Redacted())
	}
	if strings.TrimSpace(caCertsPEM) != "" {
		if _, err := httpx.ParseCAPEM("fmc: ca_certificates", caCertsPEM); err != nil {
			return nil, fmt.Errorf("%w (the package server's CA certificates)", err)
		}
	}
	body := map[string]any{
		"type":           "UpgradePackage",
		"name":           file,
		"url":            u.String(),
		"caCertificates": caCertsPEM,
	}
	cl := &call{method: http.MethodPost, path: pathPackages, body: body, mutating: true}
	var raw json.RawMessage
	err = c.do(ctx, cl, &raw)
	var amb *AmbiguousError
	switch {
	case err == nil:
		reg := &PackageRegistration{}
		var pkg UpgradePackage
		if json.Unmarshal(raw, &pkg) == nil && pkg.ID != "" {
			reg.Package = &pkg
		}
		var env taskEnvelope
		if json.Unmarshal(raw, &env) == nil && env.Metadata.Task != nil {
			reg.Task = env.started()
		}
		return reg, nil
	case errors.As(err, &amb):
		// The management center lists an uploaded package by its .sh name.
		pkg, found, ferr := c.FindUpgradePackage(ctx, file, strings.TrimSuffix(file, ".REL.tar"))
		if ferr != nil {
			amb.CheckErr = ferr
			return nil, amb
		}
		if found {
			return &PackageRegistration{Package: pkg, Recovered: true}, nil
		}
		return nil, amb
	}
	var ae *APIError
	if errors.As(err, &ae) && registrationUnsupported(ae) {
		return nil, &PackageRegistrationError{URL: u.Redacted(), FileName: file, Cause: ae}
	}
	return nil, err
}

// registrationUnsupported tells a refusal of the call itself from a refusal
// of its content.
func registrationUnsupported(ae *APIError) bool {
	switch ae.Status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType:
		for _, m := range ae.Messages {
			l := strings.ToLower(m)
			for _, w := range []string{"not supported", "unsupported", "not allowed", "unrecognized", "unknown field", "invalid field", "no such", "not implemented", "method"} {
				if strings.Contains(l, w) {
					return true
				}
			}
		}
		return len(ae.Messages) == 0
	}
	return false
}

// UpgradeStartedCheck is the IdempotencyCheck for an upgrade request whose
// answer was lost: the request took effect when any target device now
// carries a task (metadata.task) or every target already runs version.
// Device records are read in bulk, so the check costs one request per 100
// devices.
func (c *Client) UpgradeStartedCheck(deviceIDs []string, version string) IdempotencyCheck {
	return func(ctx context.Context) (*StartedTask, bool, error) {
		devs, err := c.DevicesByID(ctx, deviceIDs...)
		if err != nil {
			return nil, false, err
		}
		if len(devs) != len(deviceIDs) {
			return nil, false, fmt.Errorf("fmc: read %d of %d target devices while checking whether the upgrade started", len(devs), len(deviceIDs))
		}
		atTarget := 0
		for _, d := range devs {
			if t := d.Metadata.Task; t != nil && t.ID != "" {
				return &StartedTask{ID: t.ID, Name: t.Name}, true, nil
			}
			// sw_version may carry a build ("7.4.2-172", "7.4.2 (build 172)").
			if f := strings.Fields(d.SWVersion); len(f) > 0 {
				if number, _, _ := strings.Cut(f[0], "-"); number == version {
					atTarget++
				}
			}
		}
		return nil, atTarget == len(devs), nil
	}
}
