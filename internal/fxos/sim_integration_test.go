package fxos_test

// The chassis manager client against the simulator's FXOS chassis managers
// (one per Firepower 4100/9300 chassis of the demo estate, under the
// simulator's TLS listener), on a manual clock that the client's Sleep
// advances: login and sessions, running version, images, download,
// validation, and platform bundle installs followed through the reboots,
// with the simulator's audit checked to stay empty.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fxos"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/testutil/simtest"
)

const (
	bundle      = "fxos-k9.2.14.1.131.SPA"
	bundleVer   = "2.14(1.131)"
	repoSecret  = "Repo-Pa55word!"
	testTimeout = 20 * time.Second

	routeLogin   = "POST /fxos/{chassis}/api/login"
	routeInstall = "PATCH /fxos/{chassis}/api/sys/firmware/sched-platform-fw"
	routeDnld    = "POST /fxos/{chassis}/api/sys/firmware/dnld/{file}"
)

type simEnv struct {
	t     testing.TB
	srv   *fmcsim.Server
	clock *fmcsim.ManualClock
	logs  simtest.LogSink
}

func startSim(t testing.TB) *simEnv {
	t.Helper()
	srv, clock := simtest.Start(t, nil, time.Time{})
	return &simEnv{t: t, srv: srv, clock: clock}
}

// client talks to the chassis manager of the named chassis.
func (e *simEnv) client(chassis string, mod ...func(*fxos.Config)) *fxos.Client {
	e.t.Helper()
	url := e.srv.ChassisURL(chassis)
	if url == "" {
		e.t.Fatalf("no chassis manager for %s", chassis)
	}
	user, pass := e.srv.Credentials()
	cfg := fxos.Config{URL: url, Username: user, Password: pass, CACertificatePEM: string(e.srv.CACertPEM()),
		Now: e.clock.Now, Logger: e.logs.Log, Sleep: simtest.Sleep(e.clock)}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := fxos.New(cfg)
	if err != nil {
		e.t.Fatalf("fxos.New: %v", err)
	}
	return c
}

func testCtx(t testing.TB) context.Context { return simtest.Ctx(t, testTimeout) }

func (e *simEnv) unit(name string) fmcsim.EstateUnit {
	e.t.Helper()
	return simtest.Unit(e.t, e.srv, name)
}

func (e *simEnv) pair(name string) fmcsim.EstatePair {
	e.t.Helper()
	return simtest.Pair(e.t, e.srv, name)
}

// assertClean: no rule breach and no secret in the client's log.
func (e *simEnv) assertClean(secrets ...string) {
	e.t.Helper()
	if br := e.srv.Audit(); len(br) != 0 {
		e.t.Errorf("audit is not empty: %+v", br)
	}
	_, pass := e.srv.Credentials()
	e.logs.AssertNoSecret(e.t, append(secrets, pass)...)
}

// install follows an installation to its end and counts the outages
// (reachable → unreachable) it rode out.
func install(t *testing.T, ctx context.Context, c *fxos.Client, version string) (outages int, progress []fxos.InstallProgress) {
	t.Helper()
	if err := c.InstallPlatformBundle(ctx, version); err != nil {
		t.Fatalf("InstallPlatformBundle: %v", err)
	}
	reachable := true
	st, err := c.WaitInstall(ctx, version, fxos.WaitOptions{PollOptions: fxos.PollOptions{Timeout: 3 * time.Hour},
		OnProgress: func(p fxos.InstallProgress) {
			progress = append(progress, p)
			if reachable && !p.Reachable {
				outages++
			}
			reachable = p.Reachable
		}})
	if err != nil {
		t.Fatalf("WaitInstall: %+v, %v", st, err)
	}
	if st.InProgress() || st.Failed() || st.Status != "success" || st.Stage != "deploySuccess" || st.Progress != 100 {
		t.Errorf("final install status %+v", st)
	}
	return outages, progress
}

// ---------------------------------------------------------------------------

func TestSimFXOSLoginVersionImagesAndApps(t *testing.T) {
	e := startSim(t)
	ctx := testCtx(t)

	// A runner finds the chassis manager in the management center's
	// device record.
	user, pass := e.srv.Credentials()
	mc, err := fmc.New(fmc.Config{URL: e.srv.URL(), Username: user, Password: pass, CACertificatePEM: string(e.srv.CACertPEM()),
		Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	d, err := mc.GetDevice(ctx, e.unit("dc1-edge-b").ID)
	if err != nil || d.Chassis() == nil || d.Chassis().ChassisURL != e.srv.ChassisURL("dc1-fxos-b") {
		t.Fatalf("device record chassis data: %+v, %v", d, err)
	}
	c := e.client("dc1-fxos-b", func(cfg *fxos.Config) { cfg.URL = d.Chassis().ChassisURL })

	if err := c.Login(ctx); err != nil {
		t.Fatalf("Login: %v", err)
	}
	v, err := c.RunningVersion(ctx)
	if err != nil || v != "2.12(1.48)" || !fxos.SameVersion(v, "2.12.1.48") {
		t.Errorf("RunningVersion = %q, %v", v, err)
	}
	pkgs, err := c.RunningPackages(ctx)
	if err != nil || len(pkgs) == 0 || pkgs[0].PackageVersion != "2.12(1.48)" || pkgs[0].DN == "" {
		t.Errorf("RunningPackages = %+v, %v", pkgs, err)
	}
	imgs, err := c.ListImages(ctx)
	if err != nil || len(imgs) != 1 || imgs[0].Name != bundle || imgs[0].Version != bundleVer || imgs[0].Type != "platformBundle" ||
		imgs[0].TransferState != "downloaded" {
		t.Errorf("ListImages = %+v, %v", imgs, err)
	}
	if img, found, err := c.FindImage(ctx, strings.ToUpper(bundle)); err != nil || !found || img.Name != bundle {
		t.Errorf("FindImage = %+v, %v, %v", img, found, err)
	}
	if _, found, err := c.FindImage(ctx, "fxos-k9.2.16.1.200.SPA"); err != nil || found {
		t.Errorf("FindImage(absent) = %v, %v", found, err)
	}
	apps, err := c.AppInstances(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("AppInstances = %+v, %v", apps, err)
	}
	if a := apps[0]; a.Identifier != "dc1-edge-b" || a.AppName != "ftd" || a.SlotID != "1" || !a.Online() || a.RunningVersion != "7.2.5.208" ||
		a.ClusterRole != "none" || a.AdminState != "enabled" {
		t.Errorf("app instance %+v", a)
	}

	// A 9300 hosts two cluster units and knows their cluster roles.
	core := e.client("dc1-fp9300-1")
	apps, err = core.AppInstances(ctx)
	if err != nil || len(apps) != 2 {
		t.Fatalf("9300 AppInstances = %+v, %v", apps, err)
	}
	roles := map[string]string{}
	for _, a := range apps {
		roles[a.Identifier] = a.ClusterRole + "/" + a.ClusterOperationalState
	}
	if roles["dc1-core-1"] != "master/inCluster" || roles["dc1-core-2"] != "slave/inCluster" {
		t.Errorf("cluster roles %v", roles)
	}

	// Sessions end after ten idle minutes; the client logs in again.
	before := e.srv.Stats()
	e.clock.Advance(11 * time.Minute)
	if v, err := c.RunningVersion(ctx); err != nil || v != "2.12(1.48)" {
		t.Errorf("RunningVersion after the idle timeout: %q, %v", v, err)
	}
	after := e.srv.Stats()
	if after.ByRoute[routeLogin]-before.ByRoute[routeLogin] != 1 || after.ByStatus["400"]-before.ByStatus["400"] != 1 {
		t.Errorf("logins %d, 400/552 answers %d after the idle timeout; want 1, 1",
			after.ByRoute[routeLogin]-before.ByRoute[routeLogin], after.ByStatus["400"]-before.ByStatus["400"])
	}

	// Logout, twice; a call after it logs in again.
	if err := c.Logout(ctx); err != nil {
		t.Errorf("Logout: %v", err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Errorf("second Logout: %v", err)
	}
	if _, err := c.RunningVersion(ctx); err != nil {
		t.Errorf("RunningVersion after logout: %v", err)
	}

	// A wrong password is refused with the chassis's code, without the
	// password in the error.
	err = e.client("dc1-fxos-b", func(cfg *fxos.Config) { cfg.Password = "Wrong-Chassis-Pw" }).Login(ctx)
	var ae *fxos.AuthError
	if !errors.Is(err, fxos.ErrAuthentication) || !errors.As(err, &ae) || ae.Cause == nil || ae.Cause.Code != "551" ||
		strings.Contains(err.Error(), "Wrong-Chassis-Pw") {
		t.Errorf("wrong password: %v", err)
	}
	e.assertClean("Wrong-Chassis-Pw")
}

// Download an image to the chassis that hosts the standby unit of dc2-edge,
// validate it, install it, and follow the installation through the reboot.
func TestSimFXOSDownloadValidateInstall(t *testing.T) {
	e := startSim(t)
	ctx := testCtx(t)
	c := e.client("dc2-fxos-a")

	if _, found, err := c.FindImage(ctx, bundle); err != nil || found {
		t.Fatalf("image already there: %v, %v", found, err)
	}
	if st, err := c.DownloadStatus(ctx, bundle); !fxos.IsNotFound(err) || st != nil {
		t.Errorf("DownloadStatus before the download: %+v, %v", st, err)
	}
	req := fxos.DownloadRequest{FileName: bundle, Protocol: "scp", Server: "10.20.0.5", RemotePath: "/images/fxos", User: "fxosrepo", Password: repoSecret}
	if err := c.Download(ctx, req); err != nil {
		t.Fatalf("Download: %v", err)
	}
	st, err := c.DownloadStatus(ctx, bundle)
	if err != nil || st == nil || st.TransferState != "downloading" || st.Done() || st.Failed() || st.FileName != bundle {
		t.Errorf("DownloadStatus = %+v, %v", st, err)
	}
	start := e.clock.Now()
	st, err = c.WaitDownload(ctx, bundle, fxos.PollOptions{})
	if err != nil || !st.Done() || st.Progress != 100 || st.Stage != "downloadSuccess" {
		t.Fatalf("WaitDownload = %+v, %v", st, err)
	}
	if took := e.clock.Now().Sub(start); took < 8*time.Minute || took > 10*time.Minute {
		t.Errorf("the download took %s of simulated time, want about 8 minutes", took)
	}
	if img, found, err := c.FindImage(ctx, bundle); err != nil || !found || img.Version != bundleVer {
		t.Errorf("FindImage after download = %+v, %v, %v", img, found, err)
	}
	val, err := c.ValidatePlatformBundle(ctx, bundle)
	if err != nil || !val.Done() || !val.OK() || val.PackVersion != bundleVer || val.PackName != bundle {
		t.Errorf("ValidatePlatformBundle = %+v, %v", val, err)
	}
	if _, err := c.ValidatePlatformBundle(ctx, "fxos-k9.2.16.1.200.SPA"); !fxos.IsNotFound(err) {
		t.Errorf("validating an absent image: %v", err)
	}

	start = e.clock.Now()
	outages, progress := install(t, ctx, c, "2.14.1.131")
	took := e.clock.Now().Sub(start)
	if outages != 1 {
		t.Errorf("outages %d, want 1 (one reboot)", outages)
	}
	if took < 36*time.Minute || took > 45*time.Minute {
		t.Errorf("installation took %s, want about 36 minutes (validate 1, install 20, reboot 15)", took)
	}
	sawProgress := false
	for _, p := range progress {
		if p.Reachable && p.Status.InProgress() && p.Status.Progress > 0 && p.Status.Progress < 100 {
			sawProgress = true
		}
	}
	if !sawProgress {
		t.Errorf("no progress reported before the reboot: %+v", progress)
	}
	if v, err := c.RunningVersion(ctx); err != nil || v != bundleVer {
		t.Errorf("RunningVersion after install: %q, %v", v, err)
	}
	if u := e.unit("dc2-fxos-a"); !strings.HasPrefix(u.Version, "2.14") || u.State == "rebooting" {
		t.Errorf("estate chassis %+v", u)
	}
	// The chassis hosted the standby unit: the pair kept its active unit.
	if p := e.pair("dc2-edge"); p.Active != "dc2-edge-b" {
		t.Errorf("pair %+v", p)
	}

	// The application starts after the chassis; then it is online again.
	apps, err := c.AppInstances(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatal(apps, err)
	}
	for i := 0; i < 20 && !apps[0].Online(); i++ {
		e.clock.Advance(time.Minute)
		if apps, err = c.AppInstances(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !apps[0].Online() || apps[0].Identifier != "dc2-edge-a" {
		t.Errorf("app after install %+v", apps[0])
	}
	stats := e.srv.Stats()
	if stats.ByRoute[routeInstall] != 1 || stats.ByRoute[routeDnld] != 1 {
		t.Errorf("install PATCHes %d, download POSTs %d; want 1, 1", stats.ByRoute[routeInstall], stats.ByRoute[routeDnld])
	}
	e.assertClean(repoSecret)
}

// The reboot-twice fault on a 4100, and a 9300 whose FXOS 2.14.1 upgrade
// updates firmware too: the wait rides out both reboots and does not take
// the gap between them for the end.
func TestSimFXOSInstallRebootsTwice(t *testing.T) {
	e := startSim(t)
	ctx := testCtx(t)

	if _, err := e.srv.AddFault(fmcsim.Fault{Kind: fmcsim.FaultDoubleReboot, Target: "dc1-fxos-b"}); err != nil {
		t.Fatal(err)
	}
	c := e.client("dc1-fxos-b")
	start := e.clock.Now()
	outages, _ := install(t, ctx, c, bundleVer)
	if took := e.clock.Now().Sub(start); outages != 2 || took < 53*time.Minute {
		t.Errorf("outages %d in %s; want 2, at least 53 minutes (validate 1, install 20, reboot 15, gap 2, reboot 15)", outages, took)
	}
	if v, err := c.RunningVersion(ctx); err != nil || v != bundleVer {
		t.Errorf("RunningVersion: %q, %v", v, err)
	}
	if p := e.pair("dc1-edge"); p.Active != "dc1-edge-a" {
		t.Errorf("pair %+v", p)
	}

	// The 9300 that hosts only data units of dc1-core goes first.
	c9 := e.client("dc1-fp9300-2")
	if err := c9.Download(ctx, fxos.DownloadRequest{FileName: bundle, Protocol: "https", Server: "repo.example.com", RemotePath: "/fxos"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c9.WaitDownload(ctx, bundle, fxos.PollOptions{}); err != nil {
		t.Fatal(err)
	}
	outages, _ = install(t, ctx, c9, bundleVer)
	if outages != 2 {
		t.Errorf("9300 with firmware update: outages %d, want 2", outages)
	}
	if u := e.unit("dc1-fp9300-2"); !strings.HasPrefix(u.Version, "2.14") {
		t.Errorf("estate chassis %+v", u)
	}
	e.assertClean()
}

// Requests that change the chassis are never sent twice: a lost answer to
// the install or the download is settled by reading the state; a request
// lost on its way in is sent again once; a failed download is deleted and
// started afresh.
func TestSimFXOSStateChangesNotSentTwice(t *testing.T) {
	e := startSim(t)
	ctx := testCtx(t)

	// Faults aim at one endpoint of one chassis (a broader prefix would
	// hit the client's login instead).
	drop := func(chassis, method, endpoint, phase string) {
		t.Helper()
		path := "/fxos/" + e.unit(chassis).ID + "/api/sys/firmware/" + endpoint
		if _, err := e.srv.AddFault(fmcsim.Fault{Kind: fmcsim.FaultDropConnection, Method: method, Path: path, Phase: phase}); err != nil {
			t.Fatal(err)
		}
	}
	dropped := func(before fmcsim.Stats) int64 { return e.srv.Stats().DroppedConnections - before.DroppedConnections }

	// Install PATCH acted on, answer lost.
	c := e.client("dc1-fxos-b")
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	drop("dc1-fxos-b", "PATCH", "sched-platform-fw", "after")
	before := e.srv.Stats()
	if err := c.InstallPlatformBundle(ctx, bundleVer); err != nil {
		t.Fatalf("InstallPlatformBundle with a lost answer: %v", err)
	}
	if st := e.srv.Stats(); st.ByRoute[routeInstall] != 1 || dropped(before) != 1 {
		t.Errorf("install PATCHes %d, dropped %d; want 1, 1", st.ByRoute[routeInstall], dropped(before))
	}
	if st, err := c.WaitInstall(ctx, bundleVer, fxos.WaitOptions{PollOptions: fxos.PollOptions{Timeout: 3 * time.Hour}}); err != nil || st.Status != "success" {
		t.Fatalf("WaitInstall: %+v, %v", st, err)
	}
	if st := e.srv.Stats(); st.ByRoute[routeInstall] != 1 {
		t.Errorf("install PATCHes %d after the wait, want 1", st.ByRoute[routeInstall])
	}

	// Download POST acted on, answer lost.
	a := e.client("dc2-fxos-a")
	drop("dc2-fxos-a", "POST", "dnld/", "after")
	before = e.srv.Stats()
	req := fxos.DownloadRequest{FileName: bundle, Protocol: "sftp", Server: "10.20.0.5", RemotePath: "/images", User: "repo", Password: repoSecret}
	if err := a.Download(ctx, req); err != nil {
		t.Fatalf("Download with a lost answer: %v", err)
	}
	if n := e.srv.Stats().ByRoute[routeDnld] - before.ByRoute[routeDnld]; n != 1 || dropped(before) != 1 {
		t.Errorf("download POSTs %d, dropped %d; want 1, 1", n, dropped(before))
	}
	if st, err := a.WaitDownload(ctx, bundle, fxos.PollOptions{}); err != nil || !st.Done() {
		t.Errorf("WaitDownload = %+v, %v", st, err)
	}

	// Download POST lost on its way in: nothing there, sent again once.
	b := e.client("dc2-fxos-b")
	drop("dc2-fxos-b", "POST", "dnld/", "before")
	before = e.srv.Stats()
	if err := b.Download(ctx, req); err != nil {
		t.Fatalf("Download with a lost request: %v", err)
	}
	if n := e.srv.Stats().ByRoute[routeDnld] - before.ByRoute[routeDnld]; n != 2 || dropped(before) != 1 {
		t.Errorf("download POSTs %d, dropped %d; want 2 (lost, then sent again), 1", n, dropped(before))
	}
	if st, err := b.WaitDownload(ctx, bundle, fxos.PollOptions{}); err != nil || !st.Done() {
		t.Errorf("WaitDownload = %+v, %v", st, err)
	}

	// A failed transfer: reported, deleted, started again.
	if _, err := e.srv.AddFault(fmcsim.Fault{Kind: fmcsim.FaultFXOSDownloadFail, Target: "dc1-fp9300-1"}); err != nil {
		t.Fatal(err)
	}
	n := e.client("dc1-fp9300-1")
	if err := n.Download(ctx, req); err != nil {
		t.Fatal(err)
	}
	st, err := n.WaitDownload(ctx, bundle, fxos.PollOptions{})
	var df *fxos.DownloadFailedError
	if !errors.Is(err, fxos.ErrDownloadFailed) || !errors.As(err, &df) || st == nil || !st.Failed() ||
		!strings.Contains(err.Error(), "Remote server unreachable") {
		t.Fatalf("failed download: %+v, %v", st, err)
	}
	if err := n.DeleteDownload(ctx, bundle); err != nil {
		t.Fatalf("DeleteDownload: %v", err)
	}
	if err := n.DeleteDownload(ctx, bundle); err != nil {
		t.Errorf("second DeleteDownload: %v", err)
	}
	if err := n.Download(ctx, req); err != nil {
		t.Fatal(err)
	}
	if st, err := n.WaitDownload(ctx, bundle, fxos.PollOptions{}); err != nil || !st.Done() {
		t.Errorf("second download: %+v, %v", st, err)
	}
	if _, found, err := n.FindImage(ctx, bundle); err != nil || !found {
		t.Errorf("image after the second download: %v, %v", found, err)
	}
	e.assertClean(repoSecret)
}
