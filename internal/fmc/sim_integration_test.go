package fmc_test

// Client-against-simulator tests: every call of the client is exercised
// against the in-process management center simulator (TLS, the demo
// estate, a manual clock) and checked on the values it returns, on what the
// simulator's estate says afterwards, and on the simulator's audit, which
// must stay empty for correct usage.
//
// Time: the simulator runs on a fmcsim.ManualClock and the client is given
// the same clock (Config.Now) and a Sleep that advances it instead of
// waiting. Polls, backoffs and the rate limiter therefore move simulated
// time forward deterministically and a two-hour upgrade takes milliseconds.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/testutil/simtest"
)

// Upgrade packages of the demo scenario.
const (
	pkgFP1K742 = "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL.tar"
	pkgFP3K742 = "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"
	pkgSSP742  = "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar"
	pkgFTD742  = "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar"
	pkgFTD761  = "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"
	pkgFMC761  = "Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"
)

// demoStart is the demo scenario's start time.
var demoStart = time.Date(2025, 3, 8, 22, 0, 0, 0, time.UTC)

// testTimeout bounds every test in real time; simulated time is bounded by
// the waits' own timeouts.
const testTimeout = 20 * time.Second

// simEnv is a running simulator on a manual clock.
type simEnv struct {
	t     testing.TB
	srv   *fmcsim.Server
	clock *fmcsim.ManualClock
	logs  *simtest.LogSink
}

// startSim serves sc (nil: the demo) over TLS on a loopback port.
func startSim(t testing.TB, sc *fmcsim.Scenario) *simEnv {
	t.Helper()
	srv, clock := simtest.Start(t, sc, demoStart)
	return &simEnv{t: t, srv: srv, clock: clock, logs: &simtest.LogSink{}}
}

// config is a client configuration for the simulator: its URL and
// credentials, its CA certificate, the simulated clock and a log sink.
func (e *simEnv) config(mod ...func(*fmc.Config)) fmc.Config {
	user, pass := e.srv.Credentials()
	cfg := fmc.Config{
		URL:              e.srv.URL(),
		Username:         user,
		Password:         pass,
		CACertificatePEM: string(e.srv.CACertPEM()),
		Now:              e.clock.Now,
		Sleep:            simtest.Sleep(e.clock),
		Logger:           e.logs.Log,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return cfg
}

func (e *simEnv) client(mod ...func(*fmc.Config)) *fmc.Client {
	e.t.Helper()
	c, err := fmc.New(e.config(mod...))
	if err != nil {
		e.t.Fatalf("fmc.New: %v", err)
	}
	e.t.Cleanup(c.Close)
	return c
}

func testCtx(t testing.TB) context.Context { return simtest.Ctx(t, testTimeout) }

// unit returns the estate's view of a device or chassis by name.
func (e *simEnv) unit(name string) fmcsim.EstateUnit {
	e.t.Helper()
	return simtest.Unit(e.t, e.srv, name)
}

func (e *simEnv) id(name string) string {
	e.t.Helper()
	return e.unit(name).ID
}

func (e *simEnv) target(name string) fmc.Reference {
	e.t.Helper()
	return fmc.DeviceTarget(e.id(name), name)
}

func (e *simEnv) pair(name string) fmcsim.EstatePair {
	e.t.Helper()
	return simtest.Pair(e.t, e.srv, name)
}

func (e *simEnv) cluster(name string) fmcsim.EstateCluster {
	e.t.Helper()
	for _, c := range e.srv.Estate().Clusters {
		if c.Name == name {
			return c
		}
	}
	e.t.Fatalf("no cluster %q in the estate", name)
	return fmcsim.EstateCluster{}
}

// upgradeTasks counts the estate's upgrade tasks: each accepted upgrade
// request creates exactly one.
func (e *simEnv) upgradeTasks() int {
	n := 0
	for _, t := range e.srv.Estate().Tasks {
		if t.Name == "Upgrade" {
			n++
		}
	}
	return n
}

func (e *simEnv) addFault(f fmcsim.Fault) fmcsim.Fault {
	e.t.Helper()
	got, err := e.srv.AddFault(f)
	if err != nil {
		e.t.Fatalf("add fault %+v: %v", f, err)
	}
	return got
}

// assertClean checks what correct usage must leave behind: no rule breach
// recorded, no duplicate upgrade request and no secret in the client's log.
func (e *simEnv) assertClean() {
	e.t.Helper()
	if br := e.srv.Audit(); len(br) != 0 {
		e.t.Errorf("audit is not empty: %+v", br)
	}
	if st := e.srv.Stats(); st.DuplicateUpgradeRequests != 0 {
		e.t.Errorf("duplicate_upgrade_requests = %d, want 0", st.DuplicateUpgradeRequests)
	}
	_, pass := e.srv.Credentials()
	e.logs.AssertNoSecret(e.t, pass)
}

// packageID finds a package by file name through the client.
func packageID(t testing.TB, ctx context.Context, c *fmc.Client, file string) string {
	t.Helper()
	p, found, err := c.FindUpgradePackage(ctx, file)
	if err != nil || !found {
		t.Fatalf("FindUpgradePackage(%s) = %v, %v", file, found, err)
	}
	return p.ID
}

// waitOK waits for a task that must succeed, bounded in simulated time.
func waitOK(t testing.TB, ctx context.Context, c *fmc.Client, id string, limit time.Duration) *fmc.TaskStatus {
	t.Helper()
	ts, err := c.WaitTask(ctx, id, fmc.PollOptions{Timeout: limit})
	if err != nil {
		t.Fatalf("WaitTask(%s): %v", id, err)
	}
	if ts.State() != fmc.TaskSucceeded || ts.Status != "COMPLETED" {
		t.Fatalf("task %s ended %s (%q)", id, ts.State(), ts.Status)
	}
	return ts
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, name(it))
	}
	sort.Strings(out)
	return out
}

func deviceName(d fmc.Device) string { return d.Name }

// ---------------------------------------------------------------------------
// Server, domains, login

func TestSimServerVersionAndDomains(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()

	if err := c.Login(ctx); err != nil {
		t.Fatalf("Login: %v", err)
	}
	sv, err := c.ServerVersion(ctx)
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	est := e.srv.Estate().ManagementCenter
	if sv.ServerVersion != "7.4.2 (build 172)" || sv.Hostname != "fmc01.corp.example.com" || sv.ID != est.ID ||
		sv.Model != "Cisco Secure Firewall Management Center 2700" || sv.SerialNumber != "FJZ2745R0AB" || sv.Type != "ServerVersion" {
		t.Errorf("ServerVersion = %+v (estate %+v)", sv, est)
	}
	if !strings.HasPrefix(sv.VDBVersion, "build 376") || sv.SRUVersion != "2024-03-20-001-vrt" || sv.LSPVersion == "" || sv.GeoVersion == "" {
		t.Errorf("content versions: %+v", sv)
	}
	if n, b := sv.Version(); n != "7.4.2" || b != "172" {
		t.Errorf("Version() = %q, %q", n, b)
	}

	doms, err := c.Domains(ctx)
	if err != nil {
		t.Fatalf("Domains: %v", err)
	}
	byName := map[string]string{}
	for _, d := range doms {
		byName[d.Name] = d.UUID
	}
	if len(doms) != 3 || byName["Global"] != fmc.GlobalDomainUUID || byName["Global/DataCenter"] == "" || byName["Global/Branches"] == "" {
		t.Fatalf("Domains = %+v", doms)
	}
	if d, err := c.Domain(ctx); err != nil || d.UUID != fmc.GlobalDomainUUID || d.Name != "Global" {
		t.Errorf("default domain = %+v, %v", d, err)
	}
	listed, err := c.ListDomains(ctx)
	if err != nil {
		t.Fatalf("ListDomains: %v", err)
	}
	if got, want := names(listed, func(d fmc.Domain) string { return d.Name + "=" + d.UUID }),
		names(doms, func(d fmc.Domain) string { return d.Name + "=" + d.UUID }); !slices.Equal(got, want) {
		t.Errorf("ListDomains = %v, login header said %v", got, want)
	}

	// Domain selection by every spelling, and what each domain sees.
	dcUUID, brUUID := byName["Global/DataCenter"], byName["Global/Branches"]
	for _, tc := range []struct {
		want            string
		uuid            string
		devices, pairs  int
		clusters, chass int
	}{
		{"", fmc.GlobalDomainUUID, 16, 2, 1, 1},
		{"Global", fmc.GlobalDomainUUID, 16, 2, 1, 1},
		{fmc.GlobalDomainUUID, fmc.GlobalDomainUUID, 16, 2, 1, 1},
		{"Global/DataCenter", dcUUID, 10, 2, 1, 1},
		{"datacenter", dcUUID, 10, 2, 1, 1},
		{strings.ToUpper(dcUUID), dcUUID, 10, 2, 1, 1},
		{"Branches", brUUID, 4, 0, 0, 0},
		{brUUID, brUUID, 4, 0, 0, 0},
	} {
		dc := e.client(func(cfg *fmc.Config) { cfg.Domain = tc.want })
		d, err := dc.Domain(ctx)
		if err != nil || d.UUID != tc.uuid {
			t.Errorf("Domain %q selected %+v, %v; want %s", tc.want, d, err, tc.uuid)
			continue
		}
		devs, err1 := dc.ListDevices(ctx)
		pairs, err2 := dc.ListHAPairs(ctx)
		cls, err3 := dc.ListClusters(ctx)
		ch, err4 := dc.ListChassis(ctx)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatalf("domain %q: %v", tc.want, err)
		}
		if len(devs) != tc.devices || len(pairs) != tc.pairs || len(cls) != tc.clusters || len(ch) != tc.chass {
			t.Errorf("domain %q sees %d devices, %d pairs, %d clusters, %d chassis; want %d, %d, %d, %d",
				tc.want, len(devs), len(pairs), len(cls), len(ch), tc.devices, tc.pairs, tc.clusters, tc.chass)
		}
		for _, dv := range devs {
			if tc.uuid == brUUID && !strings.HasPrefix(dv.Name, "br-fw-") {
				t.Errorf("Branches sees %s", dv.Name)
			}
		}
	}

	// An unknown domain and a wrong password fail at login, without the
	// password in the error.
	if err := e.client(func(cfg *fmc.Config) { cfg.Domain = "Nowhere" }).Login(ctx); err == nil {
		t.Error("unknown domain: no error")
	} else {
		var de *fmc.DomainError
		if !errors.As(err, &de) || len(de.Available) != 3 {
			t.Errorf("unknown domain: %v", err)
		}
	}
	err = e.client(func(cfg *fmc.Config) { cfg.Password = "Wrong-Secret-99" }).Login(ctx)
	if !errors.Is(err, fmc.ErrAuthentication) || fmc.StatusCode(err) != 401 || strings.Contains(err.Error(), "Wrong-Secret-99") {
		t.Errorf("bad password: %v (status %d)", err, fmc.StatusCode(err))
	}
	e.logs.AssertNoSecret(t, "Wrong-Secret-99")
	e.assertClean()
}

// A client that does not trust the simulator's certificate is refused and
// told what to set.
func TestSimTLSIsVerified(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client(func(cfg *fmc.Config) { cfg.CACertificatePEM = "" })
	err := c.Login(ctx)
	if err == nil || !strings.Contains(err.Error(), "ca_certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if st := e.srv.Stats(); st.Logins != 0 {
		t.Fatalf("logins = %d without a TLS handshake", st.Logins)
	}
}

// ---------------------------------------------------------------------------
// Inventory

func TestSimDevices(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Stats()
	devs, err := c.ListDevices(ctx)
	if err != nil {
		t.Fatalf("ListDevices: %v", err)
	}
	if got := e.srv.Stats().Requests - before.Requests; got != 1 {
		t.Errorf("ListDevices of 16 devices took %d requests, want 1", got)
	}
	var want []string
	for _, u := range e.srv.Estate().Units {
		if u.Kind == "device" {
			want = append(want, u.Name)
		}
	}
	sort.Strings(want)
	if got := names(devs, deviceName); !slices.Equal(got, want) {
		t.Fatalf("ListDevices names = %v, want %v", got, want)
	}
	byName := map[string]fmc.Device{}
	for _, d := range devs {
		byName[d.Name] = d
		u := e.unit(d.Name)
		conn, ok := d.Connected()
		if d.ID != u.ID || d.Type != "Device" || d.Model != u.Model || !strings.HasPrefix(u.Version, d.SWVersion+"-") ||
			d.HealthStatus != u.Health || !ok || !conn || d.Metadata.Domain.ID == "" {
			t.Errorf("device %s = %+v; estate %+v", d.Name, d, u)
		}
	}

	a := byName["dc1-edge-a"]
	if cd := a.Metadata.ContainerDetails; !bool(a.Metadata.IsPartOfContainer) || cd == nil || cd.Type != "DeviceHAPair" ||
		cd.Name != "dc1-edge" || cd.Role != "PRIMARY" || cd.Status != "Active" {
		t.Errorf("dc1-edge-a container: %+v", a.Metadata.ContainerDetails)
	}
	if ch := a.Chassis(); ch == nil || ch.ChassisURL != e.srv.ChassisURL("dc1-fxos-a") || ch.SecurityModuleNo != 1 {
		t.Errorf("dc1-edge-a chassis data %+v, want URL %s", ch, e.srv.ChassisURL("dc1-fxos-a"))
	}
	if b := byName["dc1-edge-b"]; b.Metadata.ContainerDetails == nil || b.Metadata.ContainerDetails.Status != "Standby" ||
		b.Metadata.ContainerDetails.Role != "SECONDARY" {
		t.Errorf("dc1-edge-b container: %+v", b.Metadata.ContainerDetails)
	}
	if cd := byName["dc1-core-1"].Metadata.ContainerDetails; cd == nil || cd.Type != "DeviceCluster" || cd.Role != "Control" {
		t.Errorf("dc1-core-1 container: %+v", cd)
	}
	if cd := byName["dc1-core-2"].Metadata.ContainerDetails; cd == nil || cd.Role != "Data" {
		t.Errorf("dc1-core-2 container: %+v", cd)
	}
	if mi := byName["dc2-mi-fw1"]; !bool(mi.Metadata.IsMultiInstance) || mi.Chassis() == nil {
		t.Errorf("dc2-mi-fw1 is not multi-instance: %+v", mi.Metadata)
	}
	if br := byName["br-fw-01"]; bool(br.Metadata.IsPartOfContainer) || br.Chassis() != nil || br.SWVersion != "7.2.5" ||
		br.HostName != "172.16.1.1" || br.Metadata.Domain.Name != "Global/Branches" {
		t.Errorf("br-fw-01 = %+v", br)
	}
	if az := byName["cloud-ftdv-az-01"]; az.HealthStatus != "red" {
		t.Errorf("cloud-ftdv-az-01 health %q, want red (DISK_USAGE alert)", az.HealthStatus)
	}

	// GetDevice agrees with the list.
	for _, n := range []string{"dc1-edge-a", "dc2-mi-fw1", "cloud-ftdv-aws-01"} {
		d, err := c.GetDevice(ctx, byName[n].ID)
		if err != nil || d.ID != byName[n].ID || d.SWVersion != byName[n].SWVersion || d.Model != byName[n].Model {
			t.Errorf("GetDevice(%s) = %+v, %v", n, d, err)
		}
	}
	if _, err := c.GetDevice(ctx, "00000000-0000-0000-0000-000000000000"); !fmc.IsNotFound(err) {
		t.Errorf("GetDevice(unknown) = %v, want 404", err)
	}

	// DevicesByID: unknown ids are absent; 100 ids per request.
	ids := []string{byName["br-fw-01"].ID, byName["dc1-core-3"].ID, "11111111-2222-3333-4444-555555555555", byName["dc2-edge-b"].ID}
	got, err := c.DevicesByID(ctx, ids...)
	if err != nil || !slices.Equal(names(got, deviceName), []string{"br-fw-01", "dc1-core-3", "dc2-edge-b"}) {
		t.Errorf("DevicesByID = %v, %v", names(got, deviceName), err)
	}
	var many []string
	for _, d := range devs {
		many = append(many, d.ID)
	}
	for i := len(many); i < 150; i++ {
		many = append(many, fmt.Sprintf("ffffffff-0000-0000-0000-%012d", i))
	}
	before = e.srv.Stats()
	got, err = c.DevicesByID(ctx, many...)
	if err != nil || len(got) != 16 {
		t.Errorf("DevicesByID(150 ids) = %d devices, %v", len(got), err)
	}
	if n := e.srv.Stats().Requests - before.Requests; n != 2 {
		t.Errorf("DevicesByID(150 ids) took %d requests, want 2", n)
	}
	e.assertClean()
}

func TestSimHAPairsAndRoleSwitch(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()

	pairs, err := c.ListHAPairs(ctx)
	if err != nil || len(pairs) != 2 {
		t.Fatalf("ListHAPairs = %d, %v", len(pairs), err)
	}
	byName := map[string]fmc.HAPair{}
	for _, p := range pairs {
		byName[p.Name] = p
	}
	dc1, dc2 := byName["dc1-edge"], byName["dc2-edge"]
	if dc1.Type != "DeviceHAPair" || dc1.Primary.ID != e.id("dc1-edge-a") || dc1.Secondary.ID != e.id("dc1-edge-b") ||
		dc1.ActiveID() != e.id("dc1-edge-a") || dc1.StandbyID() != e.id("dc1-edge-b") || dc1.Metadata.ConfigStatus != "IN_SYNC" ||
		dc1.SWVersion != "7.2.5" || dc1.Primary.SWVersion != "7.2.5" || dc1.Primary.Name != "dc1-edge-a" {
		t.Errorf("dc1-edge = %+v", dc1)
	}
	if dc2.ActiveID() != e.id("dc2-edge-b") || dc2.StandbyID() != e.id("dc2-edge-a") {
		t.Errorf("dc2-edge active %s standby %s", dc2.ActiveID(), dc2.StandbyID())
	}
	got, err := c.GetHAPair(ctx, dc1.ID)
	if err != nil || got.ID != dc1.ID || got.ActiveID() != dc1.ActiveID() || got.Name != "dc1-edge" {
		t.Fatalf("GetHAPair = %+v, %v", got, err)
	}
	if _, err := c.GetHAPair(ctx, "00000000-0000-0000-0000-000000000000"); !fmc.IsNotFound(err) {
		t.Errorf("GetHAPair(unknown) = %v", err)
	}

	start := e.clock.Now()
	task, err := c.SwitchHARoles(ctx, dc1.ID, nil)
	if err != nil || task.ID == "" || task.Name != "FTD HA Master Switch" || task.Recovered {
		t.Fatalf("SwitchHARoles = %+v, %v", task, err)
	}
	// While it runs, the switch shows on the pair as its task; the roles
	// change only when it ends.
	during, err := c.GetHAPair(ctx, dc1.ID)
	if err != nil || during.Metadata.Task == nil || during.Metadata.Task.ID != task.ID || during.ActiveID() != e.id("dc1-edge-a") {
		t.Fatalf("during switch: %+v, %v", during.Metadata, err)
	}
	ts := waitOK(t, ctx, c, task.ID, 10*time.Minute)
	if len(ts.SubTasks) != 1 || ts.SubTasks[0].Target.ID != dc1.ID || !strings.Contains(ts.SubTasks[0].Message, "dc1-edge-b is now the active unit") {
		t.Errorf("switch task: %+v", ts)
	}
	if took := e.clock.Now().Sub(start); took < time.Minute || took > 3*time.Minute {
		t.Errorf("role switch took %s of simulated time, want about a minute", took)
	}
	after, err := c.GetHAPair(ctx, dc1.ID)
	if err != nil || after.ActiveID() != e.id("dc1-edge-b") || after.StandbyID() != e.id("dc1-edge-a") || after.Metadata.Task != nil {
		t.Errorf("after switch: active %s standby %s task %+v, %v", after.ActiveID(), after.StandbyID(), after.Metadata.Task, err)
	}
	if p := e.pair("dc1-edge"); p.Active != "dc1-edge-b" || p.State != "in_sync" {
		t.Errorf("estate pair: %+v", p)
	}
	devs, err := c.DevicesByID(ctx, e.id("dc1-edge-a"), e.id("dc1-edge-b"))
	if err != nil || len(devs) != 2 {
		t.Fatal(devs, err)
	}
	for _, d := range devs {
		want := map[string]string{"dc1-edge-a": "Standby", "dc1-edge-b": "Active"}[d.Name]
		if d.Metadata.ContainerDetails == nil || d.Metadata.ContainerDetails.Status != want {
			t.Errorf("%s container status %+v, want %s", d.Name, d.Metadata.ContainerDetails, want)
		}
	}
	if n := e.srv.Stats().ByRoute["PUT /api/fmc_config/v1/domain/{domainUUID}/devicehapairs/ftddevicehapairs/{objectId}"]; n != 1 {
		t.Errorf("switch PUTs = %d, want 1", n)
	}
	e.assertClean()
}

func TestSimClustersAndControlRole(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()

	cls, err := c.ListClusters(ctx)
	if err != nil || len(cls) != 1 {
		t.Fatalf("ListClusters = %d, %v", len(cls), err)
	}
	cl := cls[0]
	wantData := []string{e.id("dc1-core-2"), e.id("dc1-core-3"), e.id("dc1-core-4")}
	sort.Strings(wantData)
	data := cl.DataIDs()
	sort.Strings(data)
	if cl.Name != "dc1-core" || cl.Type != "DeviceCluster" || cl.ControlID() != e.id("dc1-core-1") || !slices.Equal(data, wantData) ||
		cl.SWVersion != "7.2.5" || cl.MasterDevice != nil {
		t.Errorf("cluster = %+v (data %v)", cl, data)
	}
	got, err := c.GetCluster(ctx, cl.ID)
	if err != nil || got.ControlID() != cl.ControlID() || len(got.DataIDs()) != 3 {
		t.Fatalf("GetCluster = %+v, %v", got, err)
	}

	task, err := c.MakeClusterControl(ctx, cl.ID, e.id("dc1-core-3"), nil)
	if err != nil || task.ID == "" {
		t.Fatalf("MakeClusterControl = %+v, %v", task, err)
	}
	waitOK(t, ctx, c, task.ID, 10*time.Minute)
	got, err = c.GetCluster(ctx, cl.ID)
	if err != nil || got.ControlID() != e.id("dc1-core-3") || slices.Contains(got.DataIDs(), e.id("dc1-core-3")) ||
		!slices.Contains(got.DataIDs(), e.id("dc1-core-1")) {
		t.Errorf("after control move: control %s data %v, %v", got.ControlID(), got.DataIDs(), err)
	}
	if ec := e.cluster("dc1-core"); ec.Control != "dc1-core-3" {
		t.Errorf("estate cluster control %s", ec.Control)
	}

	// A device outside the cluster is refused with the management center's
	// own words.
	_, err = c.MakeClusterControl(ctx, cl.ID, e.id("br-fw-01"), nil)
	var ae *fmc.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || len(ae.Messages) == 0 || !strings.Contains(ae.Messages[0], "must name a unit of cluster dc1-core") {
		t.Errorf("foreign unit: %v", err)
	}
	e.assertClean()
}

func TestSimManagedChassis(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	ch, err := c.ListChassis(ctx)
	if err != nil || len(ch) != 1 {
		t.Fatalf("ListChassis = %+v, %v", ch, err)
	}
	u := e.unit("dc2-sf3130-mi")
	if ch[0].ID != u.ID || ch[0].ChassisName != "dc2-sf3130-mi" || ch[0].SWVersion != "7.4.1" || ch[0].Type != "FMCManagedChassis" ||
		!strings.Contains(ch[0].Model, "3130") {
		t.Errorf("chassis = %+v (estate %+v)", ch[0], u)
	}
	e.assertClean()
}

// ---------------------------------------------------------------------------
// Upgrade packages

func TestSimUpgradePackages(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()

	pkgs, err := c.ListUpgradePackages(ctx)
	if err != nil {
		t.Fatalf("ListUpgradePackages: %v", err)
	}
	want := []string{pkgFP1K742, pkgFP3K742, pkgSSP742, pkgFTD742, pkgFTD761, pkgFMC761}
	sort.Strings(want)
	if got := names(pkgs, func(p fmc.UpgradePackage) string { return p.FileName() }); !slices.Equal(got, want) {
		t.Fatalf("packages = %v", got)
	}
	byFile := map[string]fmc.UpgradePackage{}
	for _, p := range pkgs {
		byFile[p.FileName()] = p
		if p.ID == "" || p.Type != "UpgradePackage" || p.Name != p.Metadata.UpgradeFileName || p.Metadata.FileSize <= 0 ||
			!bool(p.Metadata.RebootRequired) || p.Metadata.UploadDate == "" || p.Metadata.UpgradeType == "" {
			t.Errorf("package %+v", p)
		}
	}
	if m := byFile[pkgFP1K742].Metadata; m.UpdateVersion != "7.4.2-172 IMS 172" || m.FileSize != 1210447731 {
		t.Errorf("FP1K metadata %+v", m)
	}
	if ut := byFile[pkgSSP742].Metadata.UpgradeType; ut != "Cisco FTD SSP Upgrade" {
		t.Errorf("SSP upgradeType %q", ut)
	}

	got, err := c.GetUpgradePackage(ctx, byFile[pkgFTD742].ID)
	if err != nil || got.ID != byFile[pkgFTD742].ID || got.Metadata != byFile[pkgFTD742].Metadata {
		t.Errorf("GetUpgradePackage = %+v, %v", got, err)
	}

	// Every spelling a file may carry finds the same package.
	for _, spellings := range [][]string{
		{pkgFP1K742},
		{strings.ToUpper(pkgFP1K742)},
		{"  " + strings.ToLower(pkgFP1K742) + " "},
		{"Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh", "Cisco_FTD_SSP-FP1K_Upgrade-7.4.2-172.sh.REL", pkgFP1K742},
	} {
		p, found, err := c.FindUpgradePackage(ctx, spellings...)
		if err != nil || !found || p.ID != byFile[pkgFP1K742].ID {
			t.Errorf("FindUpgradePackage(%q) = %+v, %v, %v", spellings, p, found, err)
		}
	}
	if p, found, err := c.FindUpgradePackage(ctx, "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar", ""); err != nil || found || p != nil {
		t.Errorf("absent package found: %+v, %v, %v", p, found, err)
	}

	// Applicable devices are those the package upgrades.
	apps, err := c.ApplicableDevices(ctx, byFile[pkgFP1K742].ID)
	if err != nil {
		t.Fatalf("ApplicableDevices: %v", err)
	}
	if got := names(apps, func(a fmc.ApplicableDevice) string { return a.Name }); !slices.Equal(got, []string{"br-fw-01", "br-fw-02", "br-fw-03", "br-fw-04"}) {
		t.Errorf("applicable to FP1K 7.4.2: %v", got)
	}
	for _, a := range apps {
		if a.ID != e.id(a.Name) || a.SWVersion != "7.2.5" || a.UpgradePackage == nil || a.UpgradePackage.ID != byFile[pkgFP1K742].ID ||
			bool(a.IsPartOfContainer) || a.Model == "" {
			t.Errorf("applicable device %+v", a)
		}
	}
	apps, err = c.ApplicableDevices(ctx, byFile[pkgSSP742].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if !bool(a.IsPartOfContainer) || (a.ContainerType != "DeviceHAPair" && a.ContainerType != "DeviceCluster") || a.Role == "" {
			t.Errorf("SSP applicable device %+v", a)
		}
	}
	if len(apps) != 8 {
		t.Errorf("applicable to SSP 7.4.2: %v", names(apps, func(a fmc.ApplicableDevice) string { return a.Name }))
	}
	if _, err := c.ApplicableDevices(ctx, "00000000-0000-0000-0000-000000000000"); !fmc.IsNotFound(err) {
		t.Errorf("ApplicableDevices(unknown) = %v", err)
	}

	// Delete; a second delete of the same package is not an error.
	id := byFile[pkgFTD761].ID
	if err := c.DeleteUpgradePackage(ctx, id); err != nil {
		t.Fatalf("DeleteUpgradePackage: %v", err)
	}
	if _, err := c.GetUpgradePackage(ctx, id); !fmc.IsNotFound(err) {
		t.Errorf("deleted package still readable: %v", err)
	}
	if err := c.DeleteUpgradePackage(ctx, id); err != nil {
		t.Errorf("second delete: %v", err)
	}
	if pkgs, err := c.ListUpgradePackages(ctx); err != nil || len(pkgs) != 5 {
		t.Errorf("after delete: %d packages, %v", len(pkgs), err)
	}
	if n := e.srv.Stats().ByRoute["DELETE /api/fmc_platform/v1/updates/upgradepackages/{objectId}"]; n != 2 {
		t.Errorf("DELETE requests = %d, want 2", n)
	}
	e.assertClean()
}

// The simulator, like the documented API, has no call that registers a
// package by URL: the client turns the refusal into the manual step, sends
// the request once, and nothing is created.
func TestSimRegisterPackageURL(t *testing.T) {
	const file = "Cisco_FTD_Upgrade-7.6.2-250.sh.REL.tar"
	t.Run("accepted", func(t *testing.T) {
		e := startSim(t, nil)
		ctx := testCtx(t)
		c := e.client()
		reg, err := c.RegisterPackageURL(ctx, "https://repo.example.com/fmc/"+file, "")
		if err != nil || reg.Package == nil || reg.Package.Name != "Cisco_FTD_Upgrade-7.6.2-250.sh" {
			t.Fatalf("RegisterPackageURL = %+v, %v", reg, err)
		}
		if got, found, err := c.FindUpgradePackage(ctx, file, strings.TrimSuffix(file, ".REL.tar")); err != nil || !found || got.ID != reg.Package.ID {
			t.Fatalf("registered package not listed: %+v %v %v", got, found, err)
		}
		// A second registration of the same file is refused, not duplicated.
		if _, err := c.RegisterPackageURL(ctx, "https://mirror.example.com/"+file, ""); fmc.StatusCode(err) != 400 {
			t.Fatalf("second registration: %v", err)
		}
		e.assertClean()
	})
	t.Run("refused", func(t *testing.T) {
		sc := simtest.Demo(t)
		sc.PackageRegistration = "refuse"
		e := startSim(t, sc)
		ctx := testCtx(t)
		c := e.client()
		if err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		before := e.srv.Stats()
		reg, err := c.RegisterPackageURL(ctx, "https://pkg:s3cr3t-pw@repo.example.com/fmc/"+file, "")
		if reg != nil || !errors.Is(err, fmc.ErrPackageRegistrationUnsupported) {
			t.Fatalf("RegisterPackageURL = %+v, %v", reg, err)
		}
		var pe *fmc.PackageRegistrationError
		if !errors.As(err, &pe) || pe.FileName != file || pe.Cause == nil || pe.Cause.Status != 405 ||
			!strings.Contains(err.Error(), "Specify Remote Location") || strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("registration error: %v (%+v)", err, pe)
		}
		after := e.srv.Stats()
		if n := after.Requests - before.Requests; n != 1 {
			t.Errorf("RegisterPackageURL sent %d requests, want 1", n)
		}
		if pkgs, err := c.ListUpgradePackages(ctx); err != nil || len(pkgs) != 6 {
			t.Errorf("packages after refused registration: %d, %v", len(pkgs), err)
		}
		if _, err := c.RegisterPackageURL(ctx, "ftp://repo.example.com/"+file, ""); err == nil {
			t.Error("an ftp URL was accepted")
		}
		e.logs.AssertNoSecret(t, "s3cr3t-pw")
		e.assertClean()
	})
}

// ---------------------------------------------------------------------------
// Upgrades and tasks

// Push, then readiness, then the full upgrade: each later step skips the
// work an earlier one did, only the full upgrade changes the version, and
// every task is polled to its end on the simulated clock.
func TestSimUpgradePushReadinessFull(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)
	tgt := []fmc.Reference{e.target("br-fw-01")}

	run := func(req fmc.UpgradeRequest, wantMsg string, wantDur time.Duration) *fmc.TaskStatus {
		t.Helper()
		start := e.clock.Now()
		task, err := c.StartUpgrade(ctx, req)
		if err != nil {
			t.Fatalf("StartUpgrade(%+v): %v", req, err)
		}
		if task.ID == "" || task.Status != "RUNNING" || task.Message != wantMsg || task.Recovered {
			t.Fatalf("started task %+v, want message %q", task, wantMsg)
		}
		var seen []string
		ts, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 3 * time.Hour, OnStatus: func(s fmc.TaskStatus) { seen = append(seen, s.Status) }})
		if err != nil || ts.State() != fmc.TaskSucceeded {
			t.Fatalf("WaitTask: %+v, %v", ts, err)
		}
		if ts.ID != task.ID || ts.TaskType != "DEVICE_UPGRADE" || len(ts.SubTasks) != 1 || ts.SubTasks[0].Target.ID != tgt[0].ID ||
			ts.SubTasks[0].Status != "COMPLETED" || len(ts.FailedTargets()) != 0 {
			t.Errorf("final task %+v", ts)
		}
		if len(seen) == 0 || seen[len(seen)-1] != "COMPLETED" {
			t.Errorf("OnStatus saw %v", seen)
		}
		// The poll interval is at most a minute, so the end is seen within
		// a minute of when it happened.
		if took := e.clock.Now().Sub(start); took < wantDur || took > wantDur+time.Minute {
			t.Errorf("%s took %s of simulated time, want %s", ts.Name, took, wantDur)
		}
		return ts
	}

	ts := run(fmc.UpgradeRequest{PackageID: pkg, Targets: tgt, PushUpgradeFileOnly: true}, "Triggered all Push Upgrades successfully", 6*time.Minute)
	if !strings.Contains(ts.SubTasks[0].Message, "is on br-fw-01") {
		t.Errorf("push: %+v", ts.SubTasks[0])
	}
	if u := e.unit("br-fw-01"); u.Version != "7.2.5-208" || u.State != "online" {
		t.Errorf("after push: %+v", u)
	}
	// Both flags: readiness wins.
	ts = run(fmc.UpgradeRequest{PackageID: pkg, Targets: tgt, ReadinessCheckOnly: true, PushUpgradeFileOnly: true},
		"Triggered all Readiness Checks successfully", 8*time.Minute)
	if !strings.Contains(ts.SubTasks[0].Message, "Readiness check for 7.4.2 passed") {
		t.Errorf("readiness: %+v", ts.SubTasks[0])
	}
	if u := e.unit("br-fw-01"); u.Version != "7.2.5-208" {
		t.Errorf("after readiness: %+v", u)
	}
	ts = run(fmc.UpgradeRequest{PackageID: pkg, Targets: tgt, AutoUpgradeCancel: true}, "Triggered all Upgrades successfully", 42*time.Minute)
	if !strings.Contains(ts.SubTasks[0].Message, "upgraded to 7.4.2-172") {
		t.Errorf("upgrade: %+v", ts.SubTasks[0])
	}
	if u := e.unit("br-fw-01"); u.Version != "7.4.2-172" || u.State != "online" || !u.Connected || !u.PendingDeployment {
		t.Errorf("after upgrade: %+v", u)
	}
	d, err := c.GetDevice(ctx, tgt[0].ID)
	if err != nil || d.SWVersion != "7.4.2" {
		t.Errorf("GetDevice after upgrade: %+v, %v", d, err)
	}
	// Done is done: the package no longer applies to the device.
	apps, err := c.ApplicableDevices(ctx, pkg)
	if err != nil || slices.Contains(names(apps, func(a fmc.ApplicableDevice) string { return a.Name }), "br-fw-01") {
		t.Errorf("applicable after upgrade: %v, %v", names(apps, func(a fmc.ApplicableDevice) string { return a.Name }), err)
	}
	if st := e.srv.Stats(); st.UpgradeRequests != 3 {
		t.Errorf("upgrade_requests = %d, want 3", st.UpgradeRequests)
	}
	e.assertClean()
}

// The management center accepts only a readiness check for itself, targeted
// by the id of its server version.
func TestSimManagementCenterReadiness(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	sv, err := c.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pkg := packageID(t, ctx, c, pkgFMC761)
	self := []fmc.Reference{{ID: sv.ID, Type: "ManagementCenter", Name: sv.Hostname}}

	_, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: self})
	var ae *fmc.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(strings.Join(ae.Messages, " "), "only the readiness check is supported") {
		t.Errorf("full upgrade of the management center: %v", err)
	}
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: self, ReadinessCheckOnly: true})
	if err != nil {
		t.Fatalf("readiness: %v", err)
	}
	ts := waitOK(t, ctx, c, task.ID, time.Hour)
	if len(ts.SubTasks) != 1 || ts.SubTasks[0].Target.ID != sv.ID || !strings.Contains(ts.SubTasks[0].Message, "readiness check for 7.6.1 passed") {
		t.Errorf("management center readiness: %+v", ts)
	}
	if v := e.srv.Estate().ManagementCenter.Version; v != "7.4.2-172" {
		t.Errorf("management center version %s after a readiness check", v)
	}
	e.assertClean()
}

// A failed readiness check ends the wait with the management center's own
// reason, and a refused request keeps its words.
func TestSimReadinessFailureAndRefusal(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFTD742)

	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("cloud-ftdv-az-01")}, ReadinessCheckOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: time.Hour})
	var tf *fmc.TaskFailedError
	if !errors.Is(err, fmc.ErrTaskFailed) || !errors.As(err, &tf) || ts == nil || ts.State() != fmc.TaskFailed {
		t.Fatalf("WaitTask = %+v, %v", ts, err)
	}
	failed := ts.FailedTargets()
	if len(failed) != 1 || failed[0].Target.Name != "cloud-ftdv-az-01" || !strings.Contains(failed[0].Message, "DISK_USAGE") ||
		!strings.Contains(err.Error(), "/ngfw is 94% full") {
		t.Errorf("failure: %v; targets %+v", err, failed)
	}
	if u := e.unit("cloud-ftdv-az-01"); u.Version != "7.2.5-208" || u.State != "online" {
		t.Errorf("after failed readiness: %+v", u)
	}

	_, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{fmc.DeviceTarget("no-such-device", "ghost")}})
	var ae *fmc.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Category != "VALIDATION" || len(ae.Messages) != 1 ||
		!strings.Contains(ae.Messages[0], `Invalid target "no-such-device"`) {
		t.Errorf("refused request: %#v", err)
	}
	if _, err := c.GetTask(ctx, "987654321"); !fmc.IsNotFound(err) {
		t.Errorf("GetTask(unknown) = %v", err)
	}
	e.assertClean()
}

// A wait that times out says so and loses nothing: waiting again finds the
// same task finished.
func TestSimWaitTaskTimeoutThenResume(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-03")}})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 10 * time.Minute})
	var te *fmc.TaskTimeoutError
	if !errors.Is(err, fmc.ErrTaskTimeout) || !errors.As(err, &te) || te.Last == nil || te.Last.Status != "RUNNING" || ts == nil {
		t.Fatalf("WaitTask(10m) = %+v, %v", ts, err)
	}
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	if u := e.unit("br-fw-03"); u.Version != "7.4.2-172" {
		t.Errorf("br-fw-03 %+v", u)
	}
	if st := e.srv.Stats(); st.UpgradeRequests != 1 || e.upgradeTasks() != 1 {
		t.Errorf("upgrade_requests %d, upgrade tasks %d", st.UpgradeRequests, e.upgradeTasks())
	}
	e.assertClean()
}

// An upgrade that fails during installation waits for retry; with
// auto-cancel it rolls back by itself.
func TestSimUpgradeFailureRetryAndAutoCancel(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)

	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultUpgradeFail, Target: "br-fw-03", Message: "Simulated install script failure."})
	tgt := []fmc.Reference{e.target("br-fw-03")}
	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: tgt})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 2 * time.Hour})
	if !errors.Is(err, fmc.ErrTaskFailed) || len(ts.FailedTargets()) != 1 || !strings.Contains(err.Error(), "Simulated install script failure.") {
		t.Fatalf("failed upgrade: %+v, %v", ts, err)
	}
	if u := e.unit("br-fw-03"); u.State != "upgrade_failed" || u.Version != "7.2.5-208" {
		t.Fatalf("after failure: %+v", u)
	}
	retry, err := c.RetryUpgrade(ctx, tgt, nil)
	if err != nil || retry.ID == "" || retry.Message != "Triggered all Retry Upgrades successfully" {
		t.Fatalf("RetryUpgrade = %+v, %v", retry, err)
	}
	waitOK(t, ctx, c, retry.ID, 2*time.Hour)
	if u := e.unit("br-fw-03"); u.State != "online" || u.Version != "7.4.2-172" {
		t.Errorf("after retry: %+v", u)
	}
	// Nothing left to retry.
	if _, err := c.RetryUpgrade(ctx, tgt, nil); fmc.StatusCode(err) != 400 {
		t.Errorf("second retry: %v", err)
	}

	// Auto-cancel: the failed unit goes back to where it started.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultUpgradeFail, Target: "br-fw-01"})
	task, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: []fmc.Reference{e.target("br-fw-01")}, AutoUpgradeCancel: true})
	if err != nil {
		t.Fatal(err)
	}
	ts, err = c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 2 * time.Hour})
	if !errors.Is(err, fmc.ErrTaskFailed) || !strings.Contains(err.Error(), "restored to 7.2.5") {
		t.Fatalf("auto-cancelled upgrade: %+v, %v", ts, err)
	}
	if u := e.unit("br-fw-01"); u.State != "online" || u.Version != "7.2.5-208" {
		t.Errorf("after auto-cancel: %+v", u)
	}
	if st := e.srv.Stats(); st.UpgradeRequests != 2 {
		t.Errorf("upgrade_requests = %d, want 2", st.UpgradeRequests)
	}
	e.assertClean()
}

// Cancelling an upgrade during installation fails its task and rolls the
// unit back; cancelling a failed upgrade does the same.
func TestSimCancelUpgrade(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)
	tgt := []fmc.Reference{e.target("br-fw-01")}

	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: tgt})
	if err != nil {
		t.Fatal(err)
	}
	// Wait into the installation (copy 6 min, readiness 8 min).
	if _, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 16 * time.Minute}); !errors.Is(err, fmc.ErrTaskTimeout) {
		t.Fatalf("WaitTask: %v", err)
	}
	if u := e.unit("br-fw-01"); u.State != "upgrading" {
		t.Fatalf("not installing yet: %+v", u)
	}
	cancel, err := c.CancelUpgrade(ctx, fmc.CancelUpgradeRequest{Targets: tgt, ForceCancel: true})
	if err != nil || cancel.ID == "" || cancel.Message != "Triggered all Cancel Upgrades successfully" {
		t.Fatalf("CancelUpgrade = %+v, %v", cancel, err)
	}
	waitOK(t, ctx, c, cancel.ID, time.Hour)
	orig, err := c.GetTask(ctx, task.ID)
	if err != nil || orig.State() != fmc.TaskFailed || !strings.Contains(orig.SubTasks[0].Message, "cancelled on request") {
		t.Errorf("cancelled upgrade task: %+v, %v", orig, err)
	}
	if u := e.unit("br-fw-01"); u.State != "online" || u.Version != "7.2.5-208" || !u.Connected {
		t.Errorf("after cancel: %+v", u)
	}
	if _, err := c.CancelUpgrade(ctx, fmc.CancelUpgradeRequest{Targets: tgt}); fmc.StatusCode(err) != 400 {
		t.Errorf("cancel with nothing to cancel: %v", err)
	}

	// A failed upgrade can be cancelled instead of retried.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultUpgradeFail, Target: "br-fw-03"})
	tgt3 := []fmc.Reference{e.target("br-fw-03")}
	task, err = c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: tgt3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, task.ID, fmc.PollOptions{Timeout: 2 * time.Hour}); !errors.Is(err, fmc.ErrTaskFailed) {
		t.Fatalf("WaitTask: %v", err)
	}
	cancel, err = c.CancelUpgrade(ctx, fmc.CancelUpgradeRequest{Targets: tgt3, UpgradeID: task.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, c, cancel.ID, time.Hour)
	if u := e.unit("br-fw-03"); u.State != "online" || u.Version != "7.2.5-208" {
		t.Errorf("after cancelling the failed upgrade: %+v", u)
	}
	e.assertClean()
}

// An upgrade with revert enabled can be reverted, once.
func TestSimRevertUpgrade(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()
	pkg := packageID(t, ctx, c, pkgFP1K742)
	tgt := []fmc.Reference{e.target("br-fw-01")}

	task, err := c.StartUpgrade(ctx, fmc.UpgradeRequest{PackageID: pkg, Targets: tgt, EnableUpgradeRevert: true})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, c, task.ID, 2*time.Hour)
	if u := e.unit("br-fw-01"); u.Version != "7.4.2-172" || !u.RevertAvailable {
		t.Fatalf("after upgrade with revert: %+v", u)
	}
	rev, err := c.RevertUpgrade(ctx, tgt, nil)
	if err != nil || rev.ID == "" || rev.Message != "Triggered all Revert Upgrades successfully" {
		t.Fatalf("RevertUpgrade = %+v, %v", rev, err)
	}
	ts := waitOK(t, ctx, c, rev.ID, 2*time.Hour)
	if !strings.Contains(ts.SubTasks[0].Message, "reverted") {
		t.Errorf("revert task: %+v", ts)
	}
	if u := e.unit("br-fw-01"); u.Version != "7.2.5-208" || u.RevertAvailable || u.State != "online" {
		t.Errorf("after revert: %+v", u)
	}
	_, err = c.RevertUpgrade(ctx, tgt, nil)
	var ae *fmc.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(strings.Join(ae.Messages, " "), "no revert snapshot") {
		t.Errorf("second revert: %v", err)
	}
	e.assertClean()
}

// ---------------------------------------------------------------------------
// Health, deployment, backup

func TestSimHealthAlerts(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()

	all, err := c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{})
	if err != nil {
		t.Fatalf("ListHealthAlerts: %v", err)
	}
	alertKey := func(a fmc.HealthAlert) string { return a.ModuleID + "/" + a.Status }
	if got := names(all, alertKey); !slices.Equal(got, []string{"DATABASE/GREEN", "DISK_USAGE/RED", "FTD_HA/GREEN", "TIME_SYNC/YELLOW"}) {
		t.Fatalf("alerts = %v", got)
	}
	for _, a := range all {
		if a.ID == "" || a.Type != "Alert" || a.Timestamp <= 0 || a.Details == "" || a.DeviceUUID == "" {
			t.Errorf("alert %+v", a)
		}
	}

	now := e.clock.Now()
	for _, tc := range []struct {
		f    fmc.HealthAlertFilter
		want []string
	}{
		{fmc.HealthAlertFilter{Statuses: []string{"red"}}, []string{"DISK_USAGE/RED"}},
		{fmc.HealthAlertFilter{DeviceUUIDs: []string{"0"}}, []string{"DATABASE/GREEN"}},
		{fmc.HealthAlertFilter{ModuleIDs: []string{"TIME_SYNC", "FTD_HA"}}, []string{"FTD_HA/GREEN", "TIME_SYNC/YELLOW"}},
		{fmc.HealthAlertFilter{DeviceUUIDs: []string{e.id("cloud-ftdv-az-01"), e.id("br-fw-03")}, Statuses: []string{"red", "yellow"}},
			[]string{"DISK_USAGE/RED", "TIME_SYNC/YELLOW"}},
		{fmc.HealthAlertFilter{StartTime: now.Add(-time.Hour), EndTime: now}, []string{"FTD_HA/GREEN"}},
		{fmc.HealthAlertFilter{EndTime: now.Add(-24 * time.Hour)}, []string{"DISK_USAGE/RED"}},
	} {
		got, err := c.ListHealthAlerts(ctx, tc.f)
		if err != nil || !slices.Equal(names(got, alertKey), tc.want) {
			t.Errorf("ListHealthAlerts(%s) = %v, %v; want %v", tc.f, names(got, alertKey), err, tc.want)
		}
	}
	red, _ := c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{Statuses: []string{"red"}})
	if len(red) != 1 || red[0].DeviceUUID != e.id("cloud-ftdv-az-01") || !strings.Contains(string(red[0].Details), "/ngfw is 94% full") {
		t.Errorf("red alert %+v", red)
	}

	// A device that loses its connection raises a heartbeat alert and
	// reads as disconnected.
	e.addFault(fmcsim.Fault{Kind: fmcsim.FaultDisconnect, Target: "br-fw-04", Duration: fmcsim.Duration(10 * time.Minute)})
	hb, err := c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{ModuleIDs: []string{"HEARTBEAT"}})
	if err != nil || len(hb) != 1 || hb[0].DeviceUUID != e.id("br-fw-04") || hb[0].Status != "RED" {
		t.Errorf("heartbeat alerts %+v, %v", hb, err)
	}
	d, err := c.GetDevice(ctx, e.id("br-fw-04"))
	if conn, ok := d.Connected(); err != nil || !ok || conn {
		t.Errorf("br-fw-04 connected=%v ok=%v err=%v", conn, ok, err)
	}
	e.clock.Advance(11 * time.Minute)
	if hb, err := c.ListHealthAlerts(ctx, fmc.HealthAlertFilter{ModuleIDs: []string{"HEARTBEAT"}}); err != nil || len(hb) != 0 {
		t.Errorf("heartbeat alerts after the window: %+v, %v", hb, err)
	}
	e.assertClean()
}

func TestSimDeployAndBackup(t *testing.T) {
	e := startSim(t, nil)
	ctx := testCtx(t)
	c := e.client()

	dd, err := c.ListDeployableDevices(ctx)
	if err != nil || len(dd) != 1 {
		t.Fatalf("ListDeployableDevices = %+v, %v", dd, err)
	}
	if dd[0].Device.ID != e.id("br-fw-02") || dd[0].Name != "br-fw-02" || !bool(dd[0].CanBeDeployed) || bool(dd[0].UpToDate) ||
		bool(dd[0].IsDeploying) || dd[0].Version == "" {
		t.Errorf("deployable %+v", dd[0])
	}
	if _, err := c.Deploy(ctx, fmc.DeploymentRequest{DeviceIDs: []string{dd[0].Device.ID}}); err == nil {
		t.Error("a deployment without a version was sent")
	}
	task, err := c.Deploy(ctx, fmc.DeploymentRequest{Version: string(dd[0].Version), DeviceIDs: []string{dd[0].Device.ID}, IgnoreWarning: true,
		Note: "pre-upgrade deployment"})
	if err != nil || task.ID == "" {
		t.Fatalf("Deploy = %+v, %v", task, err)
	}
	ts := waitOK(t, ctx, c, task.ID, 30*time.Minute)
	if ts.TaskType != "DEVICE_DEPLOYMENT" || len(ts.SubTasks) != 1 || ts.SubTasks[0].Target.ID != dd[0].Device.ID {
		t.Errorf("deployment task %+v", ts)
	}
	if dd, err := c.ListDeployableDevices(ctx); err != nil || len(dd) != 0 {
		t.Errorf("deployable after deployment: %+v, %v", dd, err)
	}
	if u := e.unit("br-fw-02"); u.PendingDeployment {
		t.Errorf("br-fw-02 still pending: %+v", u)
	}

	pairs, err := c.ListHAPairs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var dc1 string
	for _, p := range pairs {
		if p.Name == "dc1-edge" {
			dc1 = p.ID
		}
	}
	before := e.clock.Now()
	task, err = c.BackupDevices(ctx, fmc.BackupRequest{Devices: []fmc.Reference{e.target("br-fw-01"), {ID: dc1, Type: "HAContainer", Name: "dc1-edge"}},
		RetrieveToManagementCenter: true})
	if err != nil || task.ID == "" {
		t.Fatalf("BackupDevices = %+v, %v", task, err)
	}
	ts = waitOK(t, ctx, c, task.ID, time.Hour)
	if got := names(ts.SubTasks, func(s fmc.SubTask) string { return s.Target.Name }); !slices.Equal(got, []string{"br-fw-01", "dc1-edge-a", "dc1-edge-b"}) {
		t.Errorf("backup sub-tasks %v", got)
	}
	for _, n := range []string{"br-fw-01", "dc1-edge-a", "dc1-edge-b"} {
		if u := e.unit(n); u.LastBackup == nil || u.LastBackup.Before(before) {
			t.Errorf("%s has no new backup: %+v", n, u.LastBackup)
		}
	}
	if u := e.unit("br-fw-03"); u.LastBackup != nil {
		t.Errorf("br-fw-03 backed up: %v", u.LastBackup)
	}
	if _, err := c.BackupDevices(ctx, fmc.BackupRequest{}); err == nil {
		t.Error("an empty backup request was sent")
	}
	e.assertClean()
}
