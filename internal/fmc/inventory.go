package fmc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

const (
	pathServerVersion = "/api/fmc_platform/v1/info/serverversion"
	pathDomainInfo    = "/api/fmc_platform/v1/info/domain"

	relDevices  = "devices/devicerecords"
	relHAPairs  = "devicehapairs/ftddevicehapairs"
	relClusters = "deviceclusters/ftddevicecluster"
	relChassis  = "chassis/fmcmanagedchassis"

	// idsPerRequest keeps a filter=ids:… query well under common URL limits
	// (37-character UUIDs).
	idsPerRequest = 100
)

// ServerVersion reads the management center's own version, model and host
// name.
func (c *Client) ServerVersion(ctx context.Context) (*ServerVersion, error) {
	items, err := listAll[ServerVersion](ctx, c, pathServerVersion, nil)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("fmc: GET %s: the answer lists no server version", pathServerVersion)
	}
	return &items[0], nil
}

// ListDomains reads the domains from the API (rather than the DOMAINS header
// of the login).
func (c *Client) ListDomains(ctx context.Context) ([]Domain, error) {
	type item struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
		ID   string `json:"id"`
	}
	items, err := listAll[item](ctx, c, pathDomainInfo, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Domain, 0, len(items))
	for _, it := range items {
		d := Domain{Name: it.Name, UUID: it.UUID}
		if d.UUID == "" {
			d.UUID = it.ID
		}
		out = append(out, d)
	}
	return out, nil
}

// ListDevices reads every device record of the domain, 1,000 per request.
func (c *Client) ListDevices(ctx context.Context) ([]Device, error) {
	p, err := c.domainPath(ctx, relDevices)
	if err != nil {
		return nil, err
	}
	return listAll[Device](ctx, c, p, nil)
}

// DevicesByID reads the named device records in bulk (filter=ids:…), up to
// 100 per request. Ids the management center does not know are absent from
// the result.
func (c *Client) DevicesByID(ctx context.Context, ids ...string) ([]Device, error) {
	p, err := c.domainPath(ctx, relDevices)
	if err != nil {
		return nil, err
	}
	var out []Device
	for len(ids) > 0 {
		n := min(len(ids), idsPerRequest)
		q := url.Values{"filter": {"ids:" + strings.Join(ids[:n], ",")}}
		got, err := listAll[Device](ctx, c, p, q)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		ids = ids[n:]
	}
	return out, nil
}

// GetDevice reads one device record.
func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) {
	var d Device
	if err := c.getObject(ctx, "device", relDevices, id, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListHAPairs reads every threat defense HA pair of the domain.
func (c *Client) ListHAPairs(ctx context.Context) ([]HAPair, error) {
	p, err := c.domainPath(ctx, relHAPairs)
	if err != nil {
		return nil, err
	}
	return listAll[HAPair](ctx, c, p, nil)
}

// GetHAPair reads one HA pair.
func (c *Client) GetHAPair(ctx context.Context, id string) (*HAPair, error) {
	var h HAPair
	if err := c.getObject(ctx, "HA pair", relHAPairs, id, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// SwitchHARoles makes the standby unit of an HA pair active: PUT
// ftddevicehapairs/{id} with {"id":…,"action":"SWITCH"}. The answer names the
// task ("FTD HA Master Switch"). A second switch would undo the first, so the
// request is never repeated blindly; pass check (for example: is the unit
// that should become active already active?) to recover from a lost answer.
func (c *Client) SwitchHARoles(ctx context.Context, haPairID string, check IdempotencyCheck) (*StartedTask, error) {
	if err := requireID("HA pair", haPairID); err != nil {
		return nil, err
	}
	p, err := c.domainPath(ctx, relHAPairs+"/"+url.PathEscape(haPairID))
	if err != nil {
		return nil, err
	}
	body := map[string]any{"id": haPairID, "action": "SWITCH"}
	return c.start(ctx, &call{method: http.MethodPut, path: p, body: body}, check)
}

// ListClusters reads every threat defense cluster of the domain.
func (c *Client) ListClusters(ctx context.Context) ([]Cluster, error) {
	p, err := c.domainPath(ctx, relClusters)
	if err != nil {
		return nil, err
	}
	return listAll[Cluster](ctx, c, p, nil)
}

// GetCluster reads one cluster.
func (c *Client) GetCluster(ctx context.Context, id string) (*Cluster, error) {
	var cl Cluster
	if err := c.getObject(ctx, "cluster", relClusters, id, &cl); err != nil {
		return nil, err
	}
	return &cl, nil
}

// MakeClusterControl moves the control role of a cluster to deviceID:
// POST deviceclusters/{id}/operational/ftdclusterdevicecommands with
// filter=deviceUUID:<device>;operation:control and an empty object as body,
// as the management center's API documentation (createFTDClusterDeviceCommandContainer,
// 7.1 and later) describes.
//
// Assumed: the answer carries metadata.task like other operations. When it
// does not, the returned task has no ID and the caller confirms the move by
// reading the cluster (ControlID). The request is never repeated blindly; pass
// check to recover from a lost answer.
func (c *Client) MakeClusterControl(ctx context.Context, clusterID, deviceID string, check IdempotencyCheck) (*StartedTask, error) {
	if err := requireID("cluster", clusterID); err != nil {
		return nil, err
	}
	if err := requireID("device", deviceID); err != nil {
		return nil, err
	}
	p, err := c.domainPath(ctx, "deviceclusters/"+url.PathEscape(clusterID)+"/operational/ftdclusterdevicecommands")
	if err != nil {
		return nil, err
	}
	q := url.Values{"filter": {"deviceUUID:" + deviceID + ";operation:control"}}
	return c.start(ctx, &call{method: http.MethodPost, path: p, query: q, body: map[string]any{}}, check)
}

// ListChassis reads the chassis the management center manages directly
// (3100/4200 in multi-instance mode). Firepower 4100/9300 chassis are not
// among them: FXOS has its own manager (package fxos).
func (c *Client) ListChassis(ctx context.Context) ([]Chassis, error) {
	p, err := c.domainPath(ctx, relChassis)
	if err != nil {
		return nil, err
	}
	return listAll[Chassis](ctx, c, p, nil)
}

func (c *Client) getObject(ctx context.Context, what, rel, id string, out any) error {
	if err := requireID(what, id); err != nil {
		return err
	}
	p, err := c.domainPath(ctx, rel+"/"+url.PathEscape(id))
	if err != nil {
		return err
	}
	return c.do(ctx, &call{method: http.MethodGet, path: p}, out)
}

func requireID(what, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("fmc: %s id is empty", what)
	}
	if strings.ContainsAny(id, "/?#") {
		return fmt.Errorf("fmc: %s id %q is not a valid id", what, id)
	}
	return nil
}

// IdempotencyCheck answers, after a state-changing request's outcome was
// lost (ErrAmbiguous), whether the work it asked for has started: for an
// upgrade, that the devices are upgrading or already at the target (the
// caller knows them; the management center lists no upgrade tasks). It
// returns the task when it can name it. The client then:
//   - started: returns that task with Recovered set, without sending again;
//   - not started: sends the request again (at most twice);
//   - check failed: returns *AmbiguousError carrying both errors.
//
// With no check, the client returns *AmbiguousError and never sends again.
type IdempotencyCheck func(ctx context.Context) (task *StartedTask, started bool, err error)

// maxResends bounds how often start sends a request again after the check
// said the earlier one had no effect.
const maxResends = 2

// start sends a state-changing request and returns the task it started.
func (c *Client) start(ctx context.Context, cl *call, check IdempotencyCheck) (*StartedTask, error) {
	cl.mutating = true
	for sent := 1; ; sent++ {
		var env taskEnvelope
		err := c.do(ctx, cl, &env)
		if err == nil {
			t := env.started()
			c.log(ctx, "fmc: task started", map[string]any{"method": cl.method, "path": cl.path, "task": t.ID, "status": t.Status, "message": t.Message})
			return t, nil
		}
		var amb *AmbiguousError
		if !errors.As(err, &amb) || check == nil || ctx.Err() != nil {
			return nil, err
		}
		c.log(ctx, "fmc: the answer was lost; checking whether the management center acted on the request", map[string]any{
			"method": cl.method, "path": cl.path, "error": err.Error(),
		})
		// The server may be restarting or overloaded; give it a moment.
		if err := c.sleep(ctx, c.retry.Backoff(sent)); err != nil {
			return nil, err
		}
		task, started, cerr := check(ctx)
		if cerr != nil {
			amb.CheckErr = cerr
			return nil, amb
		}
		if started {
			if task == nil {
				task = &StartedTask{}
			}
			task.Recovered = true
			c.log(ctx, "fmc: the request had been acted on; not sending it again", map[string]any{"method": cl.method, "path": cl.path, "task": task.ID})
			return task, nil
		}
		if sent > maxResends {
			return nil, amb
		}
		c.log(ctx, "fmc: the request had no effect; sending it again", map[string]any{"method": cl.method, "path": cl.path})
	}
}
