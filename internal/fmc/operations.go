package fmc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HealthAlertFilter narrows ListHealthAlerts; empty fields do not filter.
type HealthAlertFilter struct {
	// DeviceUUIDs are device record ids; "0" is the management center.
	DeviceUUIDs []string
	// ModuleIDs are health modules: DISK_USAGE, DATABASE, TIME_SYNC, FTD_HA, ...
	ModuleIDs []string
	// Statuses are alert colours: green, yellow, red, ...
	Statuses  []string
	StartTime time.Time
	EndTime   time.Time
}

// String renders the filter query value:
// deviceUUIDs:a,b;moduleIDs:X;status:red,yellow;startTime:<unix>;endTime:<unix>.
func (f HealthAlertFilter) String() string {
	var parts []string
	add := func(key string, vals []string) {
		var keep []string
		for _, v := range vals {
			if v = strings.TrimSpace(v); v != "" {
				keep = append(keep, v)
			}
		}
		if len(keep) > 0 {
			parts = append(parts, key+":"+strings.Join(keep, ","))
		}
	}
	add("deviceUUIDs", f.DeviceUUIDs)
	add("moduleIDs", f.ModuleIDs)
	add("status", f.Statuses)
	if !f.StartTime.IsZero() {
		parts = append(parts, "startTime:"+strconv.FormatInt(f.StartTime.Unix(), 10))
	}
	if !f.EndTime.IsZero() {
		parts = append(parts, "endTime:"+strconv.FormatInt(f.EndTime.Unix(), 10))
	}
	return strings.Join(parts, ";")
}

// ListHealthAlerts reads health alerts (GET health/alerts).
func (c *Client) ListHealthAlerts(ctx context.Context, f HealthAlertFilter) ([]HealthAlert, error) {
	p, err := c.domainPath(ctx, "health/alerts")
	if err != nil {
		return nil, err
	}
	var q url.Values
	if s := f.String(); s != "" {
		q = url.Values{"filter": {s}}
	}
	return listAll[HealthAlert](ctx, c, p, q)
}

// ListDeployableDevices reads the devices with undeployed changes.
func (c *Client) ListDeployableDevices(ctx context.Context) ([]DeployableDevice, error) {
	p, err := c.domainPath(ctx, "deployment/deployabledevices")
	if err != nil {
		return nil, err
	}
	return listAll[DeployableDevice](ctx, c, p, nil)
}

// DeploymentRequest is the body of POST deployment/deploymentrequests.
type DeploymentRequest struct {
	// Version is the deployable devices' version (DeployableDevice.Version):
	// the management center deploys the changes made up to it.
	Version       string
	DeviceIDs     []string
	ForceDeploy   bool
	IgnoreWarning bool
	Note          string
	Check         IdempotencyCheck
}

// Deploy deploys pending configuration to devices and returns the task.
func (c *Client) Deploy(ctx context.Context, req DeploymentRequest) (*StartedTask, error) {
	if strings.TrimSpace(req.Version) == "" {
		return nil, errors.New("fmc: deployment version is empty; take it from ListDeployableDevices")
	}
	if len(req.DeviceIDs) == 0 {
		return nil, errors.New("fmc: no devices to deploy to")
	}
	for _, id := range req.DeviceIDs {
		if err := requireID("device", id); err != nil {
			return nil, err
		}
	}
	p, err := c.domainPath(ctx, "deployment/deploymentrequests")
	if err != nil {
		return nil, err
	}
	body := struct {
		Type           string   `json:"type"`
		Version        string   `json:"version"`
		ForceDeploy    bool     `json:"forceDeploy"`
		IgnoreWarning  bool     `json:"ignoreWarning"`
		DeviceList     []string `json:"deviceList"`
		DeploymentNote string   `json:"deploymentNote,omitempty"`
	}{"DeploymentRequest", req.Version, req.ForceDeploy, req.IgnoreWarning, req.DeviceIDs, req.Note}
	return c.start(ctx, &call{method: http.MethodPost, path: p, body: body}, req.Check)
}

// BackupRequest is the body of POST backup/operational/devicebackup.
type BackupRequest struct {
	// Devices are device records (DeviceTarget) or HA pairs
	// ({Type: "HAContainer"}).
	Devices []Reference
	// RetrieveToManagementCenter copies the backup to the management center
	// (READY-4: upgrades delete local backups).
	RetrieveToManagementCenter bool
	Check                      IdempotencyCheck
}

// BackupDevices backs up devices and returns the task.
func (c *Client) BackupDevices(ctx context.Context, req BackupRequest) (*StartedTask, error) {
	devs, err := normaliseTargets(req.Devices)
	if err != nil {
		return nil, err
	}
	p, err := c.domainPath(ctx, "backup/operational/devicebackup")
	if err != nil {
		return nil, err
	}
	body := struct {
		Type     string      `json:"type"`
		Devices  []Reference `json:"devices"`
		Retrieve bool        `json:"retrieveToManagementCenter"`
	}{"DEVICE_BACKUP", devs, req.RetrieveToManagementCenter}
	return c.start(ctx, &call{method: http.MethodPost, path: p, body: body}, req.Check)
}
