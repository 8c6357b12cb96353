package fmcsim

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

type rawList struct {
	Links  links             `json:"links"`
	Items  []json.RawMessage `json:"items"`
	Paging paging            `json:"paging"`
}

func TestDevicePagingOver2500Devices(t *testing.T) {
	sc := GenerateEstate(2500, 42)
	h := newHarness(t, sc, func(o *Options) { o.RequestsPerMinute = 1000 })
	h.loginNow()
	total := len(sc.Devices)

	// Default page: 25 items, non-expanded.
	var first rawList
	h.call("GET", h.cfg("/devices/devicerecords"), nil, 200, &first)
	if len(first.Items) != 25 || first.Paging.Limit != 25 || first.Paging.Count != total || first.Paging.Pages != (total+24)/25 {
		t.Fatalf("default page: %d items, paging %+v", len(first.Items), first.Paging)
	}
	var keys map[string]any
	_ = json.Unmarshal(first.Items[0], &keys)
	if len(keys) != 4 || keys["id"] == nil || keys["name"] == nil || keys["type"] != "Device" || keys["links"] == nil {
		t.Fatalf("non-expanded item carries %v", keys)
	}

	// limit above 1000 is capped; follow paging.next to the end.
	next := h.cfg("/devices/devicerecords?expanded=true&limit=2000")
	seen := map[string]bool{}
	pages := 0
	for next != "" {
		var page rawList
		h.call("GET", next, nil, 200, &page)
		pages++
		if page.Paging.Limit != 1000 || !strings.Contains(page.Links.Self, "limit=1000") || !strings.Contains(page.Links.Self, "expanded=true") {
			t.Fatalf("page %d: limit %d, self %s", pages, page.Paging.Limit, page.Links.Self)
		}
		for _, it := range page.Items {
			var d deviceJSON
			if err := json.Unmarshal(it, &d); err != nil {
				t.Fatal(err)
			}
			if d.SWVersion == "" || d.Metadata == nil || d.Metadata.Domain == nil {
				t.Fatalf("expanded device lacks fields: %s", it)
			}
			if seen[d.ID] {
				t.Fatalf("device %s returned twice", d.ID)
			}
			seen[d.ID] = true
		}
		next = ""
		if len(page.Paging.Next) > 0 {
			next = page.Paging.Next[0]
		}
	}
	if pages != 3 || len(seen) != total {
		t.Fatalf("%d pages, %d devices; want 3 pages, %d devices", pages, len(seen), total)
	}
	if st := h.srv.Stats(); st.ByRoute["GET /api/fmc_config/v1/domain/{domainUUID}/devices/devicerecords"] != 4 {
		t.Fatalf("by_route: %v", st.ByRoute)
	}

	// An offset past the end is an empty page without next.
	var tail rawList
	h.call("GET", h.cfg("/devices/devicerecords?offset=5000&limit=10"), nil, 200, &tail)
	if len(tail.Items) != 0 || len(tail.Paging.Next) != 0 || tail.Paging.Count != total {
		t.Fatalf("past the end: %+v", tail)
	}
}

func TestListQueryValidation(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	for _, q := range []string{"offset=-1", "offset=x", "limit=0", "limit=ten", "expanded=maybe"} {
		resp, b := h.do("GET", h.cfg("/devices/devicerecords?"+q), nil)
		if resp.StatusCode != 400 || !strings.Contains(errorDescription(t, b), "Invalid value") {
			t.Errorf("%s: %d %s", q, resp.StatusCode, b)
		}
	}
}

func TestDeviceRecords(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var all struct {
		Items  []deviceJSON `json:"items"`
		Paging paging       `json:"paging"`
	}
	h.call("GET", h.cfg("/devices/devicerecords?expanded=true&limit=100"), nil, 200, &all)
	if all.Paging.Count != 16 || all.Paging.Pages != 1 || len(all.Paging.Next) != 0 {
		t.Fatalf("paging %+v", all.Paging)
	}
	byName := map[string]deviceJSON{}
	for _, d := range all.Items {
		byName[d.Name] = d
	}
	a := byName["dc1-edge-a"]
	if a.SWVersion != "7.2.5" || a.HealthStatus != "green" || a.IsConnected == nil || !*a.IsConnected ||
		a.Metadata.ContainerDetails == nil || a.Metadata.ContainerDetails.Type != "DeviceHAPair" ||
		a.Metadata.ContainerDetails.Role != "PRIMARY" || a.Metadata.ContainerDetails.Status != "Active" {
		t.Fatalf("dc1-edge-a: %+v %+v", a, a.Metadata.ContainerDetails)
	}
	if cd := a.Metadata.ChassisData; cd == nil || !strings.HasPrefix(cd.ChassisURL, h.srv.URL()+"/fxos/") || a.Metadata.IsMultiInstance {
		t.Fatalf("dc1-edge-a chassis data %+v", a.Metadata.ChassisData)
	}
	if b := byName["dc2-edge-b"].Metadata.ContainerDetails; b.Role != "SECONDARY" || b.Status != "Active" {
		t.Fatalf("dc2-edge-b: %+v", b)
	}
	if c := byName["dc1-core-1"].Metadata.ContainerDetails; c.Type != "DeviceCluster" || c.Role != "Control" {
		t.Fatalf("dc1-core-1: %+v", c)
	}
	if mi := byName["dc2-mi-fw1"]; !mi.Metadata.IsMultiInstance || mi.SWVersion != "7.4.1" {
		t.Fatalf("dc2-mi-fw1: %+v", mi.Metadata)
	}
	if byName["cloud-ftdv-az-01"].HealthStatus != "red" || byName["br-fw-03"].HealthStatus != "yellow" {
		t.Fatal("alerts do not colour device health")
	}

	// Filters.
	var f struct{ Items []deviceJSON }
	h.call("GET", h.cfg("/devices/devicerecords?filter=name:br-fw-02"), nil, 200, &f)
	if len(f.Items) != 1 || f.Items[0].Name != "br-fw-02" {
		t.Fatalf("name filter: %+v", f.Items)
	}
	ids := url.QueryEscape("ids:" + a.ID + "," + byName["br-fw-01"].ID)
	h.call("GET", h.cfg("/devices/devicerecords?filter="+ids), nil, 200, &f)
	if len(f.Items) != 2 {
		t.Fatalf("ids filter: %d items", len(f.Items))
	}
	h.call("GET", h.cfg("/devices/devicerecords?filter=containerType:DeviceCluster"), nil, 200, &f)
	if len(f.Items) != 4 {
		t.Fatalf("containerType filter: %d items", len(f.Items))
	}

	// A subdomain sees only its own devices.
	var doms struct{ Items []domainJSON }
	h.call("GET", "/api/fmc_platform/v1/info/domain", nil, 200, &doms)
	if len(doms.Items) != 3 {
		t.Fatalf("domains: %+v", doms.Items)
	}
	var branch string
	for _, d := range doms.Items {
		if d.Name == "Global/Branches" {
			branch = d.UUID
		}
	}
	h.call("GET", "/api/fmc_config/v1/domain/"+branch+"/devices/devicerecords", nil, 200, &f)
	if len(f.Items) != 4 {
		t.Fatalf("Global/Branches sees %d devices", len(f.Items))
	}
	resp, _ := h.do("GET", "/api/fmc_config/v1/domain/"+branch+"/devices/devicerecords/"+a.ID, nil)
	if resp.StatusCode != 404 {
		t.Fatalf("a data-center device from the branch domain: %d", resp.StatusCode)
	}
	h.call("GET", "/api/fmc_config/v1/domain/00000000-0000-0000-0000-000000000000/devices/devicerecords", nil, 404, nil)

	// One device.
	var one deviceJSON
	h.call("GET", h.cfg("/devices/devicerecords/"+a.ID), nil, 200, &one)
	if one.Name != "dc1-edge-a" || one.Metadata == nil {
		t.Fatalf("get: %+v", one)
	}
	h.call("GET", h.cfg("/devices/devicerecords/nope"), nil, 404, nil)
}

func TestServerVersionAndUnknownRoutes(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var sv struct{ Items []serverVersionJSON }
	h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, &sv)
	if len(sv.Items) != 1 || sv.Items[0].ServerVersion != "7.4.2 (build 172)" || sv.Items[0].Hostname != "fmc01.corp.example.com" {
		t.Fatalf("serverversion: %+v", sv.Items)
	}
	h.call("GET", "/api/fmc_platform/v1/info/serverversion/"+sv.Items[0].ID, nil, 200, nil)
	h.call("GET", "/api/fmc_platform/v1/info/serverversion/other", nil, 404, nil)

	resp, b := h.do("GET", "/api/fmc_platform/v1/nothing/here", nil)
	if resp.StatusCode != 404 || !strings.Contains(errorDescription(t, b), "No resource") || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("unknown route: %d %s", resp.StatusCode, b)
	}
	resp, b = h.do("DELETE", "/api/fmc_platform/v1/info/serverversion", nil)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Fatalf("wrong method: %d %q %s", resp.StatusCode, resp.Header.Get("Allow"), b)
	}
	errorDescription(t, b)
	h.call("GET", h.cfg("/job/taskstatuses/123"), nil, 404, nil)
	if st := h.srv.Stats(); st.ByRoute["GET (no route)"] != 1 || st.ByRoute["DELETE (no route)"] != 1 {
		t.Fatalf("unmatched routes not counted: %v", st.ByRoute)
	}
}

func TestHAPairsAndRoleSwitch(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var list struct{ Items []haPairJSON }
	h.call("GET", h.cfg("/devicehapairs/ftddevicehapairs"), nil, 200, &list)
	if len(list.Items) != 2 || list.Items[0].Primary != nil {
		t.Fatalf("non-expanded list: %+v", list.Items)
	}
	h.call("GET", h.cfg("/devicehapairs/ftddevicehapairs?expanded=true"), nil, 200, &list)
	p := list.Items[0]
	if p.Name != "dc1-edge" || p.Primary.Name != "dc1-edge-a" || p.Metadata.ConfigStatus != "IN_SYNC" ||
		p.Metadata.PrimaryStatus.CurrentStatus != "Active" || p.Metadata.SecondaryStatus.CurrentStatus != "Standby" ||
		p.FTDHABootstrap == nil || len(p.FTDHAFailoverTriggerCriteria) == 0 {
		t.Fatalf("pair: %+v %+v", p, p.Metadata)
	}
	path := h.cfg("/devicehapairs/ftddevicehapairs/" + p.ID)
	var sw haPairJSON
	h.call("PUT", path, map[string]string{"id": p.ID, "action": "SWITCH"}, 200, &sw)
	if sw.Action != "SWITCH" || sw.Metadata.Task == nil || sw.Metadata.Task.Name != "FTD HA Master Switch" {
		t.Fatalf("switch response: %+v", sw)
	}
	h.call("PUT", path, map[string]string{"action": "SWITCH"}, 400, nil) // one at a time
	if ts := h.task(sw.Metadata.Task.ID); ts.Status != "RUNNING" || ts.TaskType != "NGFWHA_OPERATIONS" {
		t.Fatalf("switch task: %+v", ts)
	}
	h.clock.Advance(time.Minute)
	if ts := h.task(sw.Metadata.Task.ID); ts.Status != "COMPLETED" {
		t.Fatalf("switch task: %+v", ts)
	}
	if got := h.pair("dc1-edge").Active; got != "dc1-edge-b" {
		t.Fatalf("active after switch: %s", got)
	}
	var crit haPairJSON
	h.call("PUT", path, map[string]any{"ftdHAFailoverTriggerCriteria": map[string]any{"peerPollTime": 2, "peerPollTimeUnit": "SEC"}}, 200, &crit)
	if !strings.Contains(string(crit.FTDHAFailoverTriggerCriteria), `"peerPollTime":2`) {
		t.Fatalf("criteria not stored: %s", crit.FTDHAFailoverTriggerCriteria)
	}
	h.call("PUT", path, map[string]string{"action": "EXPLODE"}, 400, nil)
	h.call("PUT", path, map[string]string{"id": "other", "action": "SWITCH"}, 400, nil)
	h.call("PUT", h.cfg("/devicehapairs/ftddevicehapairs/none"), map[string]string{"action": "SWITCH"}, 404, nil)

	// Breaking the pair leaves two standalone devices.
	var br haPairJSON
	h.call("PUT", path, map[string]string{"action": "HABREAK", "forceBreak": "true"}, 200, &br)
	h.clock.Advance(time.Minute)
	h.call("GET", path, nil, 404, nil)
	if u := h.unit("dc1-edge-a"); u.Role != "standalone" || u.Container != "" {
		t.Fatalf("after break: %+v", u)
	}
}

// A role switch in progress shows on the pair's record: metadata.task
// names the switch task until it ends, so a client that lost the answer,
// or a rerun after an interrupted one, finds the switch to wait for
// instead of sending another (which is refused while it runs).
func TestRoleSwitchInProgressShowsOnThePair(t *testing.T) {
	c := loadContract(t)
	h := newHarness(t, demo(t))
	h.loginNow()
	p := h.pair("dc1-edge")
	path := h.cfg("/devicehapairs/ftddevicehapairs/" + p.ID)
	get := func() haPairJSON {
		var j haPairJSON
		b := h.call("GET", path, nil, 200, &j)
		c.one(t, b, "#HAPair", "hapair")
		return j
	}
	if j := get(); j.Metadata.Task != nil {
		t.Fatalf("idle pair names a task: %+v", j.Metadata.Task)
	}
	var sw haPairJSON
	h.call("PUT", path, map[string]string{"id": p.ID, "action": "SWITCH"}, 200, &sw)
	id := sw.Metadata.Task.ID
	j := get()
	if j.Metadata.Task == nil || j.Metadata.Task.ID != id || j.Metadata.Task.Name != "FTD HA Master Switch" || j.Metadata.Task.Type != "Task" {
		t.Fatalf("pair during the switch: %+v", j.Metadata.Task)
	}
	if j.Metadata.PrimaryStatus.CurrentStatus != "Active" {
		t.Fatalf("roles changed before the switch ended: %+v", j.Metadata)
	}
	for _, action := range []string{"SWITCH", "HABREAK"} {
		_, b := h.do("PUT", path, map[string]string{"action": action})
		if d := errorDescription(t, b); !strings.Contains(d, "in progress (task "+id+")") {
			t.Errorf("%s during the switch: %s", action, d)
		}
	}
	h.clock.Advance(time.Minute)
	if j := get(); j.Metadata.Task != nil || j.Metadata.SecondaryStatus.CurrentStatus != "Active" {
		t.Fatalf("pair after the switch: %+v %+v", j.Metadata.Task, j.Metadata.SecondaryStatus)
	}
}

func TestClustersBothShapes(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var list struct{ Items []clusterJSON }
	h.call("GET", h.cfg("/deviceclusters/ftddevicecluster?expanded=true"), nil, 200, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d clusters", len(list.Items))
	}
	c := list.Items[0]
	if c.ControlDevice == nil || c.ControlDevice.DeviceDetails.Name != "dc1-core-1" || len(c.DataDevices) != 3 || c.MasterDevice != nil {
		t.Fatalf("7.1+ shape: %+v", c)
	}
	h.call("GET", h.cfg("/deviceclusters/ftddevicecluster/"+c.ID), nil, 200, nil)

	// A 7.0 management center reports masterDevice/slaveDevices.
	sc := &Scenario{ManagementCenter: ManagementCenter{Version: "7.0.6", Build: 236},
		Devices:  []Device{{Name: "u1", Family: "threat_defense_virtual", Version: "7.0.6"}, {Name: "u2", Family: "threat_defense_virtual", Version: "7.0.6"}},
		Clusters: []Cluster{{Name: "vc", Kind: "virtual", Control: "u1", Data: []string{"u2"}}}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	h70 := newHarness(t, sc)
	h70.loginNow()
	var list70 struct{ Items []clusterJSON }
	h70.call("GET", h70.cfg("/deviceclusters/ftddevicecluster?expanded=true"), nil, 200, &list70)
	if c := list70.Items[0]; c.MasterDevice == nil || len(c.SlaveDevices) != 1 || c.ControlDevice != nil {
		t.Fatalf("7.0 shape: %+v", c)
	}
}

func TestClusterCommandMovesControl(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var list struct{ Items []clusterJSON }
	h.call("GET", h.cfg("/deviceclusters/ftddevicecluster?expanded=true"), nil, 200, &list)
	c := list.Items[0]
	target := c.DataDevices[2].DeviceDetails
	path := h.cfg("/deviceclusters/ftddevicecluster/" + c.ID + "/operational/ftdclusterdevicecommands?filter=" +
		url.QueryEscape("deviceUUID:"+target.ID+";operation:control"))
	var res struct{ Metadata taskMetadata }
	h.call("POST", path, nil, 202, &res)
	h.clock.Advance(time.Minute)
	if ts := h.task(res.Metadata.Task.ID); ts.Status != "COMPLETED" {
		t.Fatalf("control move: %+v", ts)
	}
	for _, cl := range h.srv.Estate().Clusters {
		if cl.Control != target.Name {
			t.Fatalf("control is %s, want %s", cl.Control, target.Name)
		}
	}
	// The 7.6 path without ftddevicecluster works too; bad filters are 400.
	h.call("POST", h.cfg("/deviceclusters/"+c.ID+"/operational/ftdclusterdevicecommands?filter="+url.QueryEscape("deviceUUID:"+target.ID+";operation:reboot")), nil, 400, nil)
	h.call("POST", h.cfg("/deviceclusters/"+c.ID+"/operational/ftdclusterdevicecommands?filter=operation:control"), nil, 400, nil)
}

// Each multi-instance chassis's instances find it through the host of
// their chassisUrl, the only link the device record gives: host names
// are unique per multi-instance chassis (a shared one is refused when the
// scenario is loaded), so the link is never ambiguous.
func TestMultiInstanceChassisAreFoundByHostName(t *testing.T) {
	sc := &Scenario{Name: "mi-hosts", ManagementCenter: ManagementCenter{Version: "7.4.2", Build: 172},
		Chassis: []Chassis{
			{Name: "mi-1", HostName: "mi-1.example.net", Kind: "multi_instance", Version: "7.4.1", Build: 172},
			{Name: "mi-2", HostName: "mi-2.example.net", Kind: "multi_instance", Version: "7.4.1", Build: 172},
			// FXOS chassis are found by their manager URL, so a shared
			// host name is no ambiguity there.
			{Name: "fx-1", HostName: "fx.example.net", Kind: "fxos", Version: "2.12.1.48"},
			{Name: "fx-2", HostName: "fx.example.net", Kind: "fxos", Version: "2.12.1.48"},
		},
		Devices: []Device{
			{Name: "i1", Family: "secure_firewall_3100", Version: "7.4.1", Build: 172, Chassis: "mi-1"},
			{Name: "i2", Family: "secure_firewall_3100", Version: "7.4.1", Build: 172, Chassis: "mi-2"},
			{Name: "i3", Family: "secure_firewall_3100", Version: "7.4.1", Build: 172, Chassis: "mi-2", Slot: 2},
		},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, sc)
	h.loginNow()
	var ch struct{ Items []managedChassisJSON }
	h.call("GET", h.cfg("/chassis/fmcmanagedchassis?expanded=true"), nil, 200, &ch)
	byHost := map[string]string{}
	for _, c := range ch.Items {
		byHost[c.ChassisHostName] = c.ChassisName
	}
	if len(byHost) != 2 {
		t.Fatalf("managed chassis: %+v", ch.Items)
	}
	var devs struct{ Items []deviceJSON }
	h.call("GET", h.cfg("/devices/devicerecords?expanded=true"), nil, 200, &devs)
	want := map[string]string{"i1": "mi-1", "i2": "mi-2", "i3": "mi-2"}
	for _, d := range devs.Items {
		u, err := url.Parse(d.Metadata.ChassisData.ChassisURL)
		if err != nil || !d.Metadata.IsMultiInstance {
			t.Fatalf("%s: chassis data %+v", d.Name, d.Metadata.ChassisData)
		}
		if got := byHost[u.Hostname()]; got != want[d.Name] {
			t.Errorf("%s names chassis %q through %s, want %s", d.Name, got, u, want[d.Name])
		}
	}

	sc.Chassis[1].HostName = "MI-1.example.net"
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "host_name") {
		t.Fatalf("two multi-instance chassis on one host name: %v", err)
	}
}

func TestManagedChassisAlertsAndFMCHA(t *testing.T) {
	h := newHarness(t, demo(t))
	h.loginNow()
	var ch struct{ Items []managedChassisJSON }
	h.call("GET", h.cfg("/chassis/fmcmanagedchassis?expanded=true"), nil, 200, &ch)
	if len(ch.Items) != 1 || ch.Items[0].ChassisName != "dc2-sf3130-mi" || ch.Items[0].SWVersion != "7.4.1" || ch.Items[0].Type != "FMCManagedChassis" {
		t.Fatalf("managed chassis: %+v", ch.Items)
	}
	h.call("GET", h.cfg("/chassis/fmcmanagedchassis/"+ch.Items[0].ID), nil, 200, nil)
	h.call("GET", h.cfg("/chassis/fmcmanagedchassis/nope"), nil, 404, nil)

	var al struct{ Items []healthAlertJSON }
	h.call("GET", h.cfg("/health/alerts?expanded=true"), nil, 200, &al)
	if len(al.Items) != 4 {
		t.Fatalf("%d alerts", len(al.Items))
	}
	h.call("GET", h.cfg("/health/alerts?filter=moduleIDs:DISK_USAGE,TIME_SYNC"), nil, 200, &al)
	mods := []string{}
	for _, a := range al.Items {
		mods = append(mods, a.ModuleID)
	}
	sort.Strings(mods)
	if strings.Join(mods, ",") != "DISK_USAGE,TIME_SYNC" {
		t.Fatalf("module filter: %v", mods)
	}
	h.call("GET", h.cfg("/health/alerts?filter=status:red"), nil, 200, &al)
	if len(al.Items) != 1 || al.Items[0].Status != "RED" {
		t.Fatalf("status filter: %+v", al.Items)
	}
	h.call("GET", h.cfg("/health/alerts?filter=deviceUUIDs:0"), nil, 200, &al)
	if len(al.Items) != 1 || al.Items[0].ModuleID != "DATABASE" {
		t.Fatalf("management center alerts: %+v", al.Items)
	}
	h.call("GET", h.cfg("/health/alerts?filter=startTime:abc"), nil, 400, nil)
	var since struct{ Items []healthAlertJSON }
	h.call("GET", h.cfg("/health/alerts?filter=startTime:"+strconv.FormatInt(t0.Add(-time.Hour).Unix(), 10)), nil, 200, &since)
	if len(since.Items) != 1 {
		t.Fatalf("startTime filter: %+v", since.Items)
	}

	var ha struct{ Items []fmcHAStatusJSON }
	h.call("GET", h.cfg("/integration/fmchastatuses"), nil, 200, &ha)
	if len(ha.Items) != 1 || ha.Items[0].FMCSecondary.Hostname != "fmc02.corp.example.com" || ha.Items[0].OverallStatus != "HEALTHY" {
		t.Fatalf("fmc ha: %+v", ha.Items)
	}
}
