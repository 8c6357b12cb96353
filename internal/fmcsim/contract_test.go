package fmcsim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// contract is testdata/contract.json: the field names each response shape
// may carry and those it must carry.
type contract struct {
	Shapes map[string]struct {
		Properties map[string]string   `json:"properties"`
		Required   []string            `json:"required"`
		Enums      map[string][]string `json:"enums"`
	} `json:"shapes"`
}

func loadContract(t *testing.T) *contract {
	t.Helper()
	b, err := os.ReadFile("testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	var c contract
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for name, sh := range c.Shapes {
		for f, typ := range sh.Properties {
			ref := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(typ, "["), "#"), "]")
			if strings.Contains(typ, "#") {
				if _, ok := c.Shapes[ref]; !ok {
					t.Fatalf("contract: %s.%s refers to unknown shape %s", name, f, ref)
				}
			}
		}
	}
	return &c
}

// check validates v against typ, appending problems with their JSON path.
func (c *contract) check(v any, typ, path string, errs *[]string) {
	if strings.HasPrefix(typ, "[") {
		arr, ok := v.([]any)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want array, got %T", path, v))
			return
		}
		for i, e := range arr {
			c.check(e, typ[1:len(typ)-1], fmt.Sprintf("%s[%d]", path, i), errs)
		}
		return
	}
	switch typ {
	case "any":
		return
	case "string":
		if _, ok := v.(string); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want string, got %T (%v)", path, v, v))
		}
		return
	case "boolean":
		if _, ok := v.(bool); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want boolean, got %T", path, v))
		}
		return
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (typ == "integer" && f != math.Trunc(f)) {
			*errs = append(*errs, fmt.Sprintf("%s: want %s, got %v", path, typ, v))
		}
		return
	case "object":
		if _, ok := v.(map[string]any); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want object, got %T", path, v))
		}
		return
	}
	name := strings.TrimPrefix(typ, "#")
	sh, ok := c.Shapes[name]
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s: unknown shape %s", path, name))
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s: want %s object, got %T", path, name, v))
		return
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ft, ok := sh.Properties[k]
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s.%s: not a field of %s", path, k, name))
			continue
		}
		c.check(obj[k], ft, path+"."+k, errs)
		if allowed, ok := sh.Enums[k]; ok {
			if s, _ := obj[k].(string); !containsStr(allowed, s) {
				*errs = append(*errs, fmt.Sprintf("%s.%s: %q is not one of %v", path, k, s, allowed))
			}
		}
	}
	for _, r := range sh.Required {
		if _, ok := obj[r]; !ok {
			*errs = append(*errs, fmt.Sprintf("%s: %s lacks required %s", path, name, r))
		}
	}
}

// list checks a paged envelope whose items have the given shape.
func (c *contract) list(t *testing.T, body []byte, item, what string) int {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var errs []string
	for k := range env {
		if k != "links" && k != "items" && k != "paging" {
			errs = append(errs, what+": unexpected envelope field "+k)
		}
	}
	c.check(env["links"], "#Links", what+".links", &errs)
	c.check(env["paging"], "#Paging", what+".paging", &errs)
	c.check(env["items"], "["+item+"]", what+".items", &errs)
	for _, e := range errs {
		t.Error(e)
	}
	items, _ := env["items"].([]any)
	return len(items)
}

func (c *contract) one(t *testing.T, body []byte, shape, what string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var errs []string
	c.check(v, shape, what, &errs)
	for _, e := range errs {
		t.Error(e)
	}
}

// TestResponseContract drives every endpoint of the management center API
// through a realistic sequence and checks each response's field names and
// types against the contract.
func TestResponseContract(t *testing.T) {
	c := loadContract(t)
	h := newHarness(t, demo(t), func(o *Options) { o.RequestsPerMinute = 1000 })
	nonEmpty := func(n int, what string) {
		if n == 0 {
			t.Errorf("%s: no items to check", what)
		}
	}

	// Errors first: 401, 404, 405, 400.
	_, b := h.do("GET", "/api/fmc_platform/v1/info/serverversion", nil)
	c.one(t, b, "#ErrorEnvelope", "401")
	h.loginNow()
	_, b = h.do("GET", "/api/nowhere", nil)
	c.one(t, b, "#ErrorEnvelope", "404")
	_, b = h.do("PATCH", "/api/fmc_platform/v1/info/serverversion", nil)
	c.one(t, b, "#ErrorEnvelope", "405")
	_, b = h.do("POST", "/api/fmc_platform/v1/updates/upgrades", "{}")
	c.one(t, b, "#ErrorEnvelope", "400")

	b = h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, nil)
	nonEmpty(c.list(t, b, "#ServerVersion", "serverversion"), "serverversion")
	b = h.call("GET", "/api/fmc_platform/v1/info/domain", nil, 200, nil)
	nonEmpty(c.list(t, b, "#Domain", "domain"), "domain")

	for _, q := range []string{"", "?expanded=true"} {
		b = h.call("GET", h.cfg("/devices/devicerecords"+q), nil, 200, nil)
		nonEmpty(c.list(t, b, "#Device", "devicerecords"+q), "devicerecords")
		b = h.call("GET", h.cfg("/devicehapairs/ftddevicehapairs"+q), nil, 200, nil)
		nonEmpty(c.list(t, b, "#HAPair", "ftddevicehapairs"+q), "ftddevicehapairs")
		b = h.call("GET", h.cfg("/deviceclusters/ftddevicecluster"+q), nil, 200, nil)
		nonEmpty(c.list(t, b, "#Cluster", "ftddevicecluster"+q), "ftddevicecluster")
		b = h.call("GET", h.cfg("/chassis/fmcmanagedchassis"+q), nil, 200, nil)
		nonEmpty(c.list(t, b, "#ManagedChassis", "fmcmanagedchassis"+q), "fmcmanagedchassis")
		b = h.call("GET", h.cfg("/health/alerts"+q), nil, 200, nil)
		nonEmpty(c.list(t, b, "#HealthAlert", "alerts"+q), "alerts")
	}
	e := h.srv.Estate()
	b = h.call("GET", h.cfg("/devices/devicerecords/"+h.unit("dc1-edge-a").ID), nil, 200, nil)
	c.one(t, b, "#Device", "device")
	b = h.call("GET", h.cfg("/devicehapairs/ftddevicehapairs/"+e.HAPairs[0].ID), nil, 200, nil)
	c.one(t, b, "#HAPair", "hapair")
	b = h.call("GET", h.cfg("/deviceclusters/ftddevicecluster/"+e.Clusters[0].ID), nil, 200, nil)
	c.one(t, b, "#Cluster", "cluster")
	b = h.call("GET", h.cfg("/integration/fmchastatuses"), nil, 200, nil)
	nonEmpty(c.list(t, b, "#FMCHAStatus", "fmchastatuses"), "fmchastatuses")

	b = h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages", nil, 200, nil)
	nonEmpty(c.list(t, b, "#UpgradePackage", "upgradepackages"), "upgradepackages")
	fp1k := h.packageID("Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar")
	b = h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages/"+fp1k, nil, 200, nil)
	c.one(t, b, "#UpgradePackage", "upgradepackage")
	for _, q := range []string{"", "?expanded=true"} {
		b = h.call("GET", "/api/fmc_platform/v1/updates/upgradepackages/"+fp1k+"/applicabledevices"+q, nil, 200, nil)
		nonEmpty(c.list(t, b, "#ApplicableDevice", "applicabledevices"+q), "applicabledevices")
	}

	// An upgrade with a failure, a retry and a cancel; a revert.
	if _, err := h.srv.AddFault(Fault{Kind: FaultUpgradeFail, Target: "br-fw-03"}); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"upgradePackage": map[string]string{"id": fp1k, "type": "UpgradePackage"},
		"targets": []ref{h.devRef("br-fw-01"), h.devRef("br-fw-03")}, "enableUpgradeRevert": true}
	b = h.call("POST", "/api/fmc_platform/v1/updates/upgrades", body, 201, nil)
	c.one(t, b, "#Upgrade", "upgrade")
	var up upgradeResult
	_ = json.Unmarshal(b, &up)
	b = h.call("GET", h.cfg("/job/taskstatuses/"+up.Metadata.Task.ID), nil, 200, nil)
	c.one(t, b, "#TaskStatus", "taskstatus")
	h.runUntilDone(up.Metadata.Task.ID, 2*time.Hour)
	b = h.call("POST", "/api/fmc_platform/v1/updates/retryupgrades", map[string]any{"targets": []ref{h.devRef("br-fw-03")}}, 201, nil)
	c.one(t, b, "#TargetsOperation", "retryupgrades")
	h.clock.Advance(5 * time.Minute)
	b = h.call("POST", "/api/fmc_platform/v1/updates/cancelupgrades", map[string]any{"targets": []ref{h.devRef("br-fw-03")}}, 201, nil)
	c.one(t, b, "#TargetsOperation", "cancelupgrades")
	b = h.call("POST", "/api/fmc_platform/v1/updates/revertupgrades", map[string]any{"targets": []ref{h.devRef("br-fw-01")}}, 201, nil)
	c.one(t, b, "#TargetsOperation", "revertupgrades")
	b = h.call("GET", h.cfg("/job/taskstatuses?filter=type:upgrade"), nil, 200, nil)
	nonEmpty(c.list(t, b, "#TaskStatus", "taskstatuses"), "taskstatuses")

	// Deployment, job history, backup, HA switch, cluster command.
	b = h.call("GET", h.cfg("/deployment/deployabledevices?expanded=true"), nil, 200, nil)
	nonEmpty(c.list(t, b, "#DeployableDevice", "deployabledevices"), "deployabledevices")
	b = h.call("POST", h.cfg("/deployment/deploymentrequests"), map[string]any{"type": "DeploymentRequest", "version": "1",
		"forceDeploy": false, "ignoreWarning": true, "deviceList": []string{h.unit("br-fw-02").ID}, "deploymentNote": "contract"}, 202, nil)
	c.one(t, b, "#DeploymentRequest", "deploymentrequests")
	b = h.call("GET", h.cfg("/deployment/jobhistories"), nil, 200, nil)
	nonEmpty(c.list(t, b, "#JobHistory", "jobhistories"), "jobhistories")
	b = h.call("POST", h.cfg("/backup/operational/devicebackup"), map[string]any{"type": "DEVICE_BACKUP",
		"devices": []ref{{ID: e.HAPairs[0].ID, Type: "HAContainer"}}, "retrieveToManagementCenter": false}, 202, nil)
	c.one(t, b, "#DeviceBackup", "devicebackup")
	b = h.call("PUT", h.cfg("/devicehapairs/ftddevicehapairs/"+e.HAPairs[1].ID), map[string]string{"action": "SWITCH"}, 200, nil)
	c.one(t, b, "#HAPair", "hapair switch")
	cmd := h.cfg("/deviceclusters/ftddevicecluster/" + e.Clusters[0].ID + "/operational/ftdclusterdevicecommands?filter=" +
		url.QueryEscape("deviceUUID:"+h.unit("dc1-core-2").ID+";operation:control"))
	b = h.call("POST", cmd, nil, 202, nil)
	c.one(t, b, "#ClusterCommand", "ftdclusterdevicecommands")
	b = h.call("DELETE", "/api/fmc_platform/v1/updates/upgradepackages/"+h.packageID("Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"), nil, 200, nil)
	c.one(t, b, "#UpgradePackage", "delete upgradepackage")

	// Throttled responses carry the error body too.
	if _, err := h.srv.AddFault(Fault{Kind: FaultRateLimit}); err != nil {
		t.Fatal(err)
	}
	_, b = h.do("GET", "/api/fmc_platform/v1/info/serverversion", nil)
	c.one(t, b, "#ErrorEnvelope", "429")
}

func TestContractCatchesStrangers(t *testing.T) {
	c := loadContract(t)
	var errs []string
	var v any
	_ = json.Unmarshal([]byte(`{"id":"x","name":"n","type":"Device","links":{"self":"u"},"swVersionX":"7"}`), &v)
	c.check(v, "#Device", "d", &errs)
	if len(errs) != 1 || !strings.Contains(errs[0], "swVersionX") {
		t.Fatalf("errors %v", errs)
	}
	errs = nil
	_ = json.Unmarshal([]byte(`{"name":"n","type":"Device"}`), &v)
	c.check(v, "#Device", "d", &errs)
	if len(errs) != 2 {
		t.Fatalf("missing required fields not reported: %v", errs)
	}
}
