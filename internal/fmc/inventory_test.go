package fmc

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func deviceItem(i int) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("5e0c5f3a-0000-4000-8000-%012d", i), "type": "Device", "name": fmt.Sprintf("ftd-%05d", i),
		"hostName": fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256), "model": "Cisco Firepower 2130 Threat Defense",
		"modelId": "77", "modelNumber": "77", "modelType": "Sensor", "sw_version": "7.2.5", "healthStatus": "green",
		"isConnected": true, "ftdMode": "ROUTED", "snortEngine": "SNORT3",
		"healthPolicy": map[string]any{"id": "hp", "type": "HealthPolicy", "name": "Initial_Health_Policy"},
		"accessPolicy": map[string]any{"id": "ap", "type": "AccessPolicy", "name": "Branch-ACP"},
		"metadata": map[string]any{
			"isPartOfContainer": false, "isMultiInstance": false, "snortVersion": "3.1.21.501-26", "sruVersion": "2023-01-09-001-vrt",
			"vdbVersion": "build 365", "lspVersion": "lsp-rel-20230109-1420", "deviceSerialNumber": fmt.Sprintf("JAD%08d", i),
			"domain": map[string]any{"id": GlobalDomainUUID, "name": "Global", "type": "Domain"},
		},
		"links": map[string]any{"self": "https://fmc.unreachable.invalid/api/fmc_config/v1/domain/x/devices/devicerecords/" + fmt.Sprint(i)},
	}
}

func TestListDevicesFollowsPaging(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			items := make([]any, n)
			for i := range items {
				items[i] = deviceItem(i)
			}
			f.handle("GET {domain}/devices/devicerecords", func(w http.ResponseWriter, r *http.Request) { servePaged(w, r, items) })
			c, _ := newTestClient(t, f)
			devs, err := c.ListDevices(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(devs) != n {
				t.Fatalf("%d devices, want %d", len(devs), n)
			}
			for i, d := range devs {
				if d.Name != fmt.Sprintf("ftd-%05d", i) {
					t.Fatalf("device %d is %q: order or paging wrong", i, d.Name)
				}
			}
			reads := 0
			for _, r := range f.seen() {
				if r.Method != http.MethodGet {
					continue
				}
				reads++
				if r.Query.Get("expanded") != "true" || r.Query.Get("limit") != "1000" {
					t.Fatalf("request %s?%s lacks expanded=true&limit=1000", r.Path, r.Query.Encode())
				}
			}
			if want := max(1, (n+999)/1000); reads != want {
				t.Fatalf("%d page reads for %d devices, want %d", reads, n, want)
			}
			if n > 0 {
				d := devs[0]
				if c, ok := d.Connected(); !ok || !c || d.Metadata.SnortVersion == "" || d.AccessPolicy.Name != "Branch-ACP" || d.Metadata.Domain.Name != "Global" {
					t.Fatalf("device fields not read: %+v", d)
				}
			}
		})
	}
}

func TestPagingThatDoesNotAdvanceIsAnError(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/devices/devicerecords", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"items":  []any{deviceItem(1)},
			"paging": map[string]any{"offset": 0, "limit": 1000, "count": 5, "pages": 5, "next": []string{"https://x/api/whatever?offset=0&limit=1000"}},
		})
	})
	c, _ := newTestClient(t, f)
	if _, err := c.ListDevices(context.Background()); err == nil || !strings.Contains(err.Error(), "does not move past offset") {
		t.Fatalf("err = %v", err)
	}
}

func TestDevicesByIDInBulk(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/devices/devicerecords", func(w http.ResponseWriter, r *http.Request) {
		filter := r.URL.Query().Get("filter")
		if !strings.HasPrefix(filter, "ids:") {
			writeError(w, 400, "filter required in this test")
			return
		}
		var items []any
		for _, id := range strings.Split(strings.TrimPrefix(filter, "ids:"), ",") {
			items = append(items, map[string]any{"id": id, "name": "n-" + id})
		}
		servePaged(w, r, items)
	})
	c, _ := newTestClient(t, f)
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = fmt.Sprintf("id%03d", i)
	}
	devs, err := c.DevicesByID(context.Background(), ids...)
	if err != nil || len(devs) != 250 || devs[249].ID != "id249" {
		t.Fatalf("DevicesByID = %d devices, %v", len(devs), err)
	}
	if n := f.count(http.MethodGet, "{domain}/devices/devicerecords"); n != 3 {
		t.Fatalf("%d requests for 250 ids, want 3", n)
	}
}

func TestInventoryCalls(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"type": "ServerVersion", "serverVersion": "7.6.1 (build 291)", "hostname": "fmc-prod-1",
			"model": "Cisco Secure Firewall Management Center for VMware", "platform": 66, "vdbVersion": "build 395", "uptime": "5 days"}})
	})
	f.handle("GET "+pathDomainInfo, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"uuid": GlobalDomainUUID, "name": "Global", "type": "Domain"}, map[string]any{"uuid": branchUUID, "name": "Global/Branch", "type": "Domain"}})
	})
	f.handle("GET {domain}/devices/devicerecords/d-4110-a", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "d-4110-a", "name": "ftd-4110-a", "type": "Device", "sw_version": "7.2.5",
			"metadata": map[string]any{"isPartOfContainer": true, "isMultiInstance": true,
				"containerDetails": map[string]any{"id": "ha-1", "type": "DeviceHAPair", "name": "edge-ha", "role": "PRIMARY", "status": "Active"},
				"chassisData":      map[string]any{"chassisSerialNo": "FLM2312A0AB", "chassisUrl": "https://fcm-a.example.internal", "securityModuleNo": 1, "securityModuleSN": "FLM2312A1CD"}}})
	})
	haPair := map[string]any{"id": "ha-1", "name": "edge-ha", "type": "DeviceHAPair", "sw_version": "7.2.5", "healthStatus": "green",
		"primary": map[string]any{"id": "d-4110-a", "name": "ftd-4110-a", "type": "Device"}, "secondary": map[string]any{"id": "d-4110-b", "name": "ftd-4110-b", "type": "Device"},
		"metadata": map[string]any{
			"primaryStatus":   map[string]any{"currentStatus": "Active", "device": map[string]any{"id": "d-4110-a"}},
			"secondaryStatus": map[string]any{"currentStatus": "Standby", "device": map[string]any{"id": "d-4110-b"}},
			"configStatus":    "In Sync"}}
	swapped := map[string]any{"id": "ha-2", "name": "dc-ha", "type": "DeviceHAPair",
		"primary": map[string]any{"id": "p2"}, "secondary": map[string]any{"id": "s2"},
		"metadata": map[string]any{"primaryStatus": map[string]any{"currentStatus": "standby"}, "secondaryStatus": map[string]any{"currentStatus": "ACTIVE"}, "configStatus": map[string]any{"state": "SYNC"}}}
	f.handle("GET {domain}/devicehapairs/ftddevicehapairs", func(w http.ResponseWriter, r *http.Request) { servePaged(w, r, []any{haPair, swapped}) })
	f.handle("GET {domain}/devicehapairs/ftddevicehapairs/ha-1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, haPair) })
	f.handle("PUT {domain}/devicehapairs/ftddevicehapairs/ha-1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "ha-1", "action": "SWITCH", "metadata": map[string]any{"task": map[string]any{"name": "FTD HA Master Switch", "id": "t-switch", "type": "Task"}}})
	})
	f.handle("GET {domain}/deviceclusters/ftddevicecluster", func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{
			map[string]any{"id": "cl-71", "name": "dc-cluster", "type": "DeviceCluster",
				"controlDevice": map[string]any{"deviceDetails": map[string]any{"id": "u1", "name": "unit-1", "type": "Device"}, "clusterNodeBootstrap": map[string]any{"cclIp": "10.9.9.1", "priority": 1}},
				"dataDevices": []any{
					map[string]any{"deviceDetails": map[string]any{"id": "u2", "type": "Device"}},
					map[string]any{"deviceDetails": map[string]any{"id": "u3", "type": "Device"}}}},
			map[string]any{"id": "cl-70", "name": "old-cluster", "type": "DeviceCluster",
				"masterDevice": map[string]any{"id": "m1", "type": "Device", "keepLocalEvents": false},
				"slaveDevices": []any{map[string]any{"id": "s1", "type": "Device"}}},
		})
	})
	f.handle("POST {domain}/deviceclusters/cl-71/operational/ftdclusterdevicecommands", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, map[string]any{"metadata": map[string]any{"task": map[string]any{"id": "t-ctl", "status": "RUNNING"}}})
	})
	f.handle("GET {domain}/chassis/fmcmanagedchassis", func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"id": "ch-1", "type": "FMCManagedChassis", "chassisName": "mi-3140-a", "chassisHostName": "10.1.1.5", "swVersion": "7.4.1", "model": "Cisco Secure Firewall 3140"}})
	})

	c, _ := newTestClient(t, f)
	ctx := context.Background()

	v, err := c.ServerVersion(ctx)
	if err != nil || v.Hostname != "fmc-prod-1" || v.Platform != "66" {
		t.Fatalf("ServerVersion = %+v, %v", v, err)
	}
	if n, b := v.Version(); n != "7.6.1" || b != "291" {
		t.Fatalf("Version() = %q %q", n, b)
	}
	doms, err := c.ListDomains(ctx)
	if err != nil || len(doms) != 2 || doms[1].UUID != branchUUID {
		t.Fatalf("ListDomains = %+v, %v", doms, err)
	}
	login, _ := c.Domains(ctx)
	if !reflect.DeepEqual(login, doms) {
		t.Fatalf("Domains() = %+v", login)
	}

	d, err := c.GetDevice(ctx, "d-4110-a")
	if err != nil || d.Metadata.ContainerDetails.Status != "Active" || d.Chassis().ChassisSerialNo != "FLM2312A0AB" || d.Chassis().SecurityModuleNo != 1 || !d.Metadata.IsMultiInstance {
		t.Fatalf("GetDevice = %+v, %v", d, err)
	}
	if _, ok := d.Connected(); ok {
		t.Fatal("Connected() claims to know")
	}

	pairs, err := c.ListHAPairs(ctx)
	if err != nil || len(pairs) != 2 {
		t.Fatalf("ListHAPairs = %+v, %v", pairs, err)
	}
	if pairs[0].ActiveID() != "d-4110-a" || pairs[0].StandbyID() != "d-4110-b" || pairs[0].Metadata.ConfigStatus != "In Sync" {
		t.Fatalf("pair 0 roles: active %q standby %q config %q", pairs[0].ActiveID(), pairs[0].StandbyID(), pairs[0].Metadata.ConfigStatus)
	}
	if pairs[1].ActiveID() != "s2" || pairs[1].StandbyID() != "p2" || pairs[1].Metadata.ConfigStatus != `{"state":"SYNC"}` {
		t.Fatalf("pair 1 roles: active %q standby %q config %q", pairs[1].ActiveID(), pairs[1].StandbyID(), pairs[1].Metadata.ConfigStatus)
	}
	h, err := c.GetHAPair(ctx, "ha-1")
	if err != nil || h.Secondary.Name != "ftd-4110-b" {
		t.Fatalf("GetHAPair = %+v, %v", h, err)
	}
	task, err := c.SwitchHARoles(ctx, "ha-1", nil)
	if err != nil || task.ID != "t-switch" || task.Name != "FTD HA Master Switch" {
		t.Fatalf("SwitchHARoles = %+v, %v", task, err)
	}

	clusters, err := c.ListClusters(ctx)
	if err != nil || len(clusters) != 2 {
		t.Fatalf("ListClusters = %+v, %v", clusters, err)
	}
	if clusters[0].ControlID() != "u1" || !reflect.DeepEqual(clusters[0].DataIDs(), []string{"u2", "u3"}) || clusters[0].ControlDevice.ClusterNodeBootstrap.CCLIP != "10.9.9.1" {
		t.Fatalf("7.1 cluster read wrong: %+v", clusters[0])
	}
	if clusters[1].ControlID() != "m1" || !reflect.DeepEqual(clusters[1].DataIDs(), []string{"s1"}) {
		t.Fatalf("7.0 cluster read wrong: %+v", clusters[1])
	}
	task, err = c.MakeClusterControl(ctx, "cl-71", "u2", nil)
	if err != nil || task.ID != "t-ctl" {
		t.Fatalf("MakeClusterControl = %+v, %v", task, err)
	}

	chassis, err := c.ListChassis(ctx)
	if err != nil || len(chassis) != 1 || chassis[0].SWVersion != "7.4.1" || chassis[0].ChassisName != "mi-3140-a" {
		t.Fatalf("ListChassis = %+v, %v", chassis, err)
	}

	for _, r := range f.seen() {
		switch {
		case r.Method == http.MethodPut:
			if got := mustJSON(t, r.Body); !reflect.DeepEqual(got, map[string]any{"id": "ha-1", "action": "SWITCH"}) {
				t.Fatalf("switch body = %v", got)
			}
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "ftdclusterdevicecommands"):
			if r.Query.Get("filter") != "deviceUUID:u2;operation:control" || string(r.Body) != "{}" {
				t.Fatalf("cluster command query %q body %q", r.Query.Encode(), r.Body)
			}
		}
	}
}

func TestHealthDeploymentBackup(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/health/alerts", func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"id": "a1", "type": "Alert", "moduleID": "DISK_USAGE", "deviceUUID": "d1", "status": "RED", "timestamp": "1740816000", "details": "/ngfw 92% used"},
			map[string]any{"id": "a2", "type": "Alert", "moduleID": "TIME_SYNC", "deviceUUID": "0", "status": "YELLOW", "timestamp": 1740816001, "params": map[string]any{"offset": 12}}})
	})
	f.handle("GET {domain}/deployment/deployabledevices", func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"name": "ftd-1", "type": "DeployableDevice", "version": "1740816000123", "device": map[string]any{"id": "d1", "type": "Device", "name": "ftd-1"},
			"canBeDeployed": true, "upToDate": false, "isDeploying": "false", "trafficInterruption": "NO_TRAFFIC_INTERRUPTION"}})
	})
	f.handle("POST {domain}/deployment/deploymentrequests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 202, map[string]any{"type": "DeploymentRequest", "metadata": map[string]any{"task": map[string]any{"id": "t-dep", "status": "Deploying"}}})
	})
	f.handle("POST {domain}/backup/operational/devicebackup", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 202, map[string]any{"metadata": map[string]any{"task": map[string]any{"id": "t-bak", "status": "PENDING"}}})
	})
	c, _ := newTestClient(t, f)
	ctx := context.Background()

	filter := HealthAlertFilter{DeviceUUIDs: []string{"d1", "0"}, ModuleIDs: []string{"DISK_USAGE", "TIME_SYNC"}, Statuses: []string{"red", "yellow"},
		StartTime: time.Unix(1740800000, 0)}
	alerts, err := c.ListHealthAlerts(ctx, filter)
	if err != nil || len(alerts) != 2 || alerts[0].Timestamp != 1740816000 || alerts[0].Details != "/ngfw 92% used" || alerts[1].Params != `{"offset":12}` {
		t.Fatalf("ListHealthAlerts = %+v, %v", alerts, err)
	}
	deps, err := c.ListDeployableDevices(ctx)
	if err != nil || len(deps) != 1 || deps[0].Version != "1740816000123" || !deps[0].CanBeDeployed || deps[0].IsDeploying || deps[0].Device.ID != "d1" {
		t.Fatalf("ListDeployableDevices = %+v, %v", deps, err)
	}
	task, err := c.Deploy(ctx, DeploymentRequest{Version: string(deps[0].Version), DeviceIDs: []string{"d1"}, IgnoreWarning: true, Note: "post-upgrade deploy"})
	if err != nil || task.ID != "t-dep" {
		t.Fatalf("Deploy = %+v, %v", task, err)
	}
	task, err = c.BackupDevices(ctx, BackupRequest{Devices: []Reference{{ID: "ha-1", Type: "HAContainer", Name: "edge-ha"}, DeviceTarget("d1", "ftd-1")}, RetrieveToManagementCenter: true})
	if err != nil || task.ID != "t-bak" {
		t.Fatalf("BackupDevices = %+v, %v", task, err)
	}
	if _, err := c.Deploy(ctx, DeploymentRequest{DeviceIDs: []string{"d1"}}); err == nil {
		t.Fatal("Deploy without a version accepted")
	}

	for _, r := range f.seen() {
		switch {
		case strings.HasSuffix(r.Path, "/health/alerts"):
			if got := r.Query.Get("filter"); got != "deviceUUIDs:d1,0;moduleIDs:DISK_USAGE,TIME_SYNC;status:red,yellow;startTime:1740800000" {
				t.Fatalf("health filter = %q", got)
			}
		case strings.HasSuffix(r.Path, "/deploymentrequests"):
			want := `{"type":"DeploymentRequest","version":"1740816000123","forceDeploy":false,"ignoreWarning":true,"deviceList":["d1"],"deploymentNote":"post-upgrade deploy"}`
			if string(r.Body) != want {
				t.Fatalf("deploy body\n got %s\nwant %s", r.Body, want)
			}
		case strings.HasSuffix(r.Path, "/devicebackup"):
			want := `{"type":"DEVICE_BACKUP","devices":[{"id":"ha-1","type":"HAContainer","name":"edge-ha"},{"id":"d1","type":"Device","name":"ftd-1"}],"retrieveToManagementCenter":true}`
			if string(r.Body) != want {
				t.Fatalf("backup body\n got %s\nwant %s", r.Body, want)
			}
		}
	}
}
