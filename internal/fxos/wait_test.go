package fxos

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWaitInstallThroughTwoReboots follows an FXOS 2.14.1 installation that
// reboots the chassis twice (FXOS, then firmware): the listener closes, so
// connections are refused, and every session is dropped. The wait must not
// end in the gap between the reboots, must log in again each time the
// chassis returns, and must end when the target runs and nothing is in
// progress.
func TestWaitInstallThroughTwoReboots(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFXOS(t, clock)
	c, sink := newTestClient(t, f)
	ctx := context.Background()

	if err := c.InstallPlatformBundle(ctx, "2.14.1.131"); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	var unreachable, seenTargetEarly int
	st, err := c.WaitInstall(ctx, toVersion, WaitOptions{
		PollOptions: PollOptions{Interval: 30 * time.Second, MaxInterval: time.Minute},
		OnProgress: func(p InstallProgress) {
			if !p.Reachable {
				unreachable++
			}
			if p.Reachable && SameVersion(p.Running, toVersion) && p.Status.InProgress() {
				seenTargetEarly++
			}
		},
	})
	if err != nil {
		t.Fatalf("WaitInstall: %v", err)
	}
	if st.Status != "success" || st.Stage != "deploySuccess" {
		t.Fatalf("final status %+v", st)
	}
	el := clock.Now().Sub(start)
	if el < 23*time.Minute || el > 30*time.Minute {
		t.Fatalf("finished after %v; the fake reports success at 23 minutes", el)
	}
	if f.reboots != 2 {
		t.Fatalf("reboots = %d", f.reboots)
	}
	if seenTargetEarly == 0 {
		t.Fatal("the gap between the reboots (target running, still in progress) was never observed")
	}
	if unreachable == 0 || !sink.Contains("unreachable; expected while it reboots") || !sink.Contains("reachable again") {
		t.Fatalf("outages not reported: %d unreachable polls", unreachable)
	}
	if f.logins < 3 {
		t.Fatalf("logins = %d; each reboot drops the session", f.logins)
	}
	if v, err := c.RunningVersion(ctx); err != nil || v != toVersion {
		t.Fatalf("RunningVersion = %q, %v", v, err)
	}
	for _, d := range clock.slept {
		if d <= 0 || d > time.Minute {
			t.Fatalf("pause %v outside (0, 1m]", d)
		}
	}
}

func TestWaitInstallFailure(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFXOS(t, clock)
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	if err := c.InstallPlatformBundle(ctx, "2.14(1.999)"); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitInstall(ctx, "2.14(1.999)", WaitOptions{PollOptions: PollOptions{Interval: 30 * time.Second}})
	var fe *InstallFailedError
	if !errors.Is(err, ErrInstallFailed) || !errors.As(err, &fe) || st == nil || !st.Failed() {
		t.Fatalf("WaitInstall = %+v, %v", st, err)
	}
	if !strings.Contains(err.Error(), "Platform bundle validation failed") || !strings.Contains(err.Error(), "running "+fromVersion) {
		t.Fatalf("message %q", err)
	}
}

func TestWaitInstallTimeout(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFXOS(t, clock)
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	if err := c.InstallPlatformBundle(ctx, toVersion); err != nil {
		t.Fatal(err)
	}
	_, err := c.WaitInstall(ctx, toVersion, WaitOptions{PollOptions: PollOptions{Interval: 30 * time.Second, Timeout: 10 * time.Minute}})
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not finished after 10m") {
		t.Fatalf("err = %v", err)
	}
}

func TestWaitInstallAlreadyDone(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	f.running = toVersion
	c, _ := newTestClient(t, f)
	st, err := c.WaitInstall(context.Background(), "2.14.1.131", WaitOptions{})
	if err != nil || st.InProgress() {
		t.Fatalf("WaitInstall = %+v, %v", st, err)
	}
	if n := f.count(http.MethodGet, pathInstallFSM); n != 2 {
		t.Fatalf("%d polls, want the two confirmations", n)
	}
}

func TestWaitInstallStopsOnRefusedLoginBeforeAnyOutage(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Password = "wrong-pass" })
	_, err := c.WaitInstall(context.Background(), toVersion, WaitOptions{})
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("err = %v", err)
	}
}

func TestWaitInstallHonoursContext(t *testing.T) {
	f := newFakeFXOS(t, nil)
	f.install = &installPlan{target: toVersion, started: time.Now(), doneAt: time.Hour}
	c, _ := newTestClient(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.WaitInstall(ctx, toVersion, WaitOptions{PollOptions: PollOptions{Interval: time.Hour}})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// TestNoSecretInLogsOrErrors: the password, every token and the download
// password stay out of log lines and errors, also when the chassis echoes
// them back.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFXOS(t, clock)
	f.echo = true
	c, sink := newTestClient(t, f)
	ctx := context.Background()
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	keep(c.Download(ctx, DownloadRequest{FileName: bundleFile, Protocol: "scp", Server: "10.0.0.9", User: "u", Password: "Download-Secret-7"}))
	_, err := c.WaitDownload(ctx, bundleFile, PollOptions{})
	keep(err)
	keep(c.InstallPlatformBundle(ctx, toVersion))
	_, err = c.WaitInstall(ctx, toVersion, WaitOptions{})
	keep(err)
	// A session the chassis refuses while quoting the token.
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == pathDistrib {
			fxosError(w, http.StatusBadRequest, "103", "bad request for token "+r.Header.Get("TOKEN")+" user "+testUser+" password "+testPassword, "invalid-arg")
			return true
		}
		return false
	}
	_, err = c.ListImages(ctx)
	keep(err)
	bad, badSink := newTestClient(t, f, func(cfg *Config) { cfg.Password = "Wrong-Secret-3" })
	keep(bad.Login(ctx))
	keep(c.Logout(ctx))

	if len(errs) != 2 {
		t.Fatalf("errors = %v, want the refused listing and the refused login", errs)
	}
	secrets := []string{testPassword, "Download-Secret-7", "Wrong-Secret-3"}
	f.mu.Lock()
	for i := 1; i <= f.seq; i++ {
		secrets = append(secrets, tokenFor(i))
	}
	f.mu.Unlock()
	texts := append(sink.All(), badSink.All()...)
	for _, e := range errs {
		texts = append(texts, e.Error())
	}
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q in %q", s, text)
			}
		}
	}
	if f.seq < 3 {
		t.Fatalf("only %d logins; the reboots did not drop sessions", f.seq)
	}
}

func tokenFor(i int) string {
	const hex = "0123456789abcdef"
	v := uint64(0xfeedc0de0000 + i)
	b := make([]byte, 64)
	for j := 63; j >= 0; j-- {
		b[j] = hex[v&0xf]
		v >>= 4
	}
	return string(b)
}
