package fxos

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx/httpxtest"
)

func TestNewValidatesConfig(t *testing.T) {
	good := Config{URL: "https://fcm-a.example.internal", Username: "u", Password: "p"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"ok", func(*Config) {}, ""},
		{"api suffix tolerated", func(c *Config) { c.URL = "https://fcm-a.example.internal/api/" }, ""},
		{"empty url", func(c *Config) { c.URL = "" }, "url is required"},
		{"bad scheme", func(c *Config) { c.URL = "ssh://fcm" }, "must start with https://"},
		{"no host", func(c *Config) { c.URL = "https:///api" }, "has no host"},
		{"credentials in url", func(c *Config) { c.URL = "https://admin:topsecret@fcm" }, "must not carry credentials"},
		{"no username", func(c *Config) { c.Username = "" }, "username is required"},
		{"no password", func(c *Config) { c.Password = "" }, "password is required"},
		{"bad CA", func(c *Config) { c.CACertificatePEM = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n" }, "PEM block 1: x509"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mutate(&cfg)
			c, err := New(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.base.Path != "" {
					t.Fatalf("base path %q", c.base.Path)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "topsecret") {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestTLSWithCustomCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathLogin:
			writeJSON(w, map[string]string{"refreshPeriod": "0", "token": "abcdef0123456789"})
		case pathRunningMgmt:
			writeJSON(w, map[string]any{classRunning: []any{map[string]string{"packageVersion": toVersion}}})
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	c, err := New(Config{URL: srv.URL, Username: "u", Password: "pass", CACertificatePEM: caPEM})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.RunningVersion(context.Background()); err != nil || v != toVersion {
		t.Fatalf("RunningVersion = %q, %v", v, err)
	}
	untrusted, _ := New(Config{URL: srv.URL, Username: "u", Password: "pass", Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour}})
	if _, err := untrusted.RunningVersion(context.Background()); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoginAndLogout(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	c, sink := newTestClient(t, f)
	ctx := context.Background()
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RunningVersion(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := f.seen()
	if reqs[0].Header.Get("Username") != testUser || reqs[0].Header.Get("Password") != testPassword || len(reqs[0].Body) != 0 {
		t.Fatalf("login request %+v", reqs[0])
	}
	if len(reqs[1].Header.Get("Token")) != 64 {
		t.Fatalf("token header %q", reqs[1].Header.Get("Token"))
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("second logout: %v", err)
	}
	if !sink.Contains("logged out") {
		t.Fatal("logout not logged")
	}
	// A logout of a session the chassis already dropped (555) is fine.
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.tokens = map[string]bool{}
	f.mu.Unlock()
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("logout after the chassis dropped the session: %v", err)
	}
}

func TestLoginRefused(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	f.echo = true
	c, sink := newTestClient(t, f, func(cfg *Config) { cfg.Password = "not-the-password" })
	_, err := c.RunningVersion(context.Background())
	var ae *AuthError
	if !errors.Is(err, ErrAuthentication) || !errors.As(err, &ae) || ae.Cause.Code != codeAuthFailed {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "not-the-password") || !strings.Contains(err.Error(), "Authentication failed for password ***") {
		t.Fatalf("err = %v", err)
	}
	for _, l := range sink.All() {
		if strings.Contains(l, "not-the-password") {
			t.Fatalf("password logged: %s", l)
		}
	}
	if f.count(http.MethodPost, pathLogin) != 1 {
		t.Fatal("a refused login was retried")
	}
}

func TestSessionLostLogsInAgain(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	if _, err := c.RunningVersion(ctx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.tokens = map[string]bool{} // idle timeout
	f.mu.Unlock()
	if _, err := c.RunningVersion(ctx); err != nil {
		t.Fatalf("after the session ended: %v", err)
	}
	if f.logins != 2 {
		t.Fatalf("logins = %d", f.logins)
	}

	// A session lost again right after the new login is reported, not
	// chased forever.
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == pathRunningMgmt {
			fxosError(w, http.StatusBadRequest, codeAuthRequired, "Authorization required", "service-unavailable")
			return true
		}
		return false
	}
	_, err := c.RunningVersion(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != codeAuthRequired {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	f := newFakeFXOS(t, nil)
	c, _ := newTestClient(t, f)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ListImages(context.Background()); err != nil {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	if failures.Load() != 0 || f.logins != 1 {
		t.Fatalf("failures = %d, logins = %d", failures.Load(), f.logins)
	}
}

func TestReadsRetryTransientFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault func(t *testing.T, w http.ResponseWriter)
	}{
		{"503", func(t *testing.T, w http.ResponseWriter) {
			fxosError(w, http.StatusServiceUnavailable, "", "Service Unavailable", "")
		}},
		{"backend error 101", func(t *testing.T, w http.ResponseWriter) {
			fxosError(w, http.StatusBadRequest, codeBackend, "Error communicating with FX-OS API backend", "")
		}},
		{"connection reset", func(t *testing.T, w http.ResponseWriter) { httpxtest.ResetConn(t, w) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeFXOS(t, clock)
			var left atomic.Int32
			left.Store(2)
			f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if r.URL.Path != pathDistrib || left.Add(-1) < 0 {
					return false
				}
				tc.fault(t, w)
				return true
			}
			c, _ := newTestClient(t, f)
			imgs, err := c.ListImages(context.Background())
			if err != nil || len(imgs) != 1 || imgs[0].Version != fromVersion || imgs[0].Type != "platformBundle" {
				t.Fatalf("ListImages = %+v, %v", imgs, err)
			}
		})
	}
}

func TestReads(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	v, err := c.RunningVersion(ctx)
	if err != nil || v != fromVersion {
		t.Fatalf("RunningVersion = %q, %v", v, err)
	}
	apps, err := c.AppInstances(ctx)
	if err != nil || len(apps) != 2 {
		t.Fatalf("AppInstances = %+v, %v", apps, err)
	}
	if !apps[0].Online() || apps[1].Online() || apps[0].SlotID != "1" || apps[1].SlotID != "2" || apps[0].RunningVersion != "7.2.5.208" || apps[0].Identifier != "edge-1" {
		t.Fatalf("apps = %+v", apps)
	}
	for _, r := range f.seen() {
		if r.Path == "/api" && r.Query.Get("classId") != "smAppInstance" {
			t.Fatalf("class query %v", r.Query)
		}
	}
	img, found, err := c.FindImage(ctx, "FXOS-K9.2.12.0.498.spa")
	if err != nil || !found || img.Version != fromVersion {
		t.Fatalf("FindImage = %+v, %v, %v", img, found, err)
	}
	if _, err := c.ValidatePlatformBundle(ctx, bundleFile); !IsNotFound(err) {
		t.Fatalf("validation of a missing image: %v", err)
	}
}

func TestDownload(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFXOS(t, clock)
	f.echo = true
	c, sink := newTestClient(t, f)
	ctx := context.Background()
	req := DownloadRequest{FileName: bundleFile, Protocol: "SCP", Server: "10.20.0.15", RemotePath: "/images/fxos", User: "xfer", Password: "Scp-Secret-42"}
	if err := c.Download(ctx, req); err != nil {
		t.Fatal(err)
	}
	var sent map[string][]map[string]string
	for _, r := range f.seen() {
		if r.Method == http.MethodPost && r.Path == pathDownload+bundleFile {
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]string{"dn": "sys/fw-catalogue/dnld-" + bundleFile, "fileName": bundleFile, "protocol": "scp", "server": "10.20.0.15",
		"port": "22", "remotePath": "/images/fxos", "user": "xfer", "pwd": "Scp-Secret-42", "adminState": "restart"}
	if got := sent[classDownloader]; len(got) != 1 || len(got[0]) != len(want) {
		t.Fatalf("download body %v", sent)
	} else {
		for k, v := range want {
			if got[0][k] != v {
				t.Fatalf("download body %s = %q, want %q", k, got[0][k], v)
			}
		}
	}
	st, err := c.WaitDownload(ctx, bundleFile, PollOptions{Interval: 15 * time.Second})
	if err != nil || !st.Done() || st.Progress != 100 {
		t.Fatalf("WaitDownload = %+v, %v", st, err)
	}
	if _, found, _ := c.FindImage(ctx, bundleFile); !found {
		t.Fatal("image not listed after the download")
	}
	val, err := c.ValidatePlatformBundle(ctx, bundleFile)
	if err != nil || !val.OK() || val.PackVersion != toVersion {
		t.Fatalf("ValidatePlatformBundle = %+v, %v", val, err)
	}
	if err := c.DeleteDownload(ctx, bundleFile); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDownload(ctx, bundleFile); err != nil {
		t.Fatalf("deleting a missing download: %v", err)
	}
	if !sink.Contains("download progress") {
		t.Fatal("progress not logged")
	}
	for _, l := range sink.All() {
		if strings.Contains(l, "Scp-Secret-42") || strings.Contains(l, testPassword) {
			t.Fatalf("secret logged: %s", l)
		}
	}
}

func TestDownloadFailsAndValidates(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFXOS(t, clock)
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	for _, bad := range []DownloadRequest{
		{FileName: "", Protocol: "scp", Server: "s"},
		{FileName: "../etc/passwd", Protocol: "scp", Server: "s"},
		{FileName: bundleFile, Protocol: "smb", Server: "s"},
		{FileName: bundleFile, Protocol: "scp"},
		{FileName: bundleFile, Protocol: "scp", Server: "s", Port: 70000},
	} {
		if err := c.Download(ctx, bad); err == nil {
			t.Fatalf("Download(%+v) accepted", bad)
		}
	}
	if err := c.Download(ctx, DownloadRequest{FileName: bundleFile, Protocol: "sftp", Server: "unreachable.example.internal", RemotePath: "/x"}); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitDownload(ctx, bundleFile, PollOptions{Interval: 10 * time.Second})
	if !errors.Is(err, ErrDownloadFailed) || !strings.Contains(err.Error(), "scp: connection timed out") || st.TransferState != "failed" {
		t.Fatalf("WaitDownload = %+v, %v", st, err)
	}
	_, err = c.WaitDownload(ctx, "never-started.SPA", PollOptions{Interval: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "no download of never-started.SPA") {
		t.Fatalf("err = %v", err)
	}
}

// TestStateChangesNeverSentTwice: an answer lost after the chassis acted is
// resolved by reading the state, not by sending again; an answer lost before
// it acted is sent once more.
func TestStateChangesNeverSentTwice(t *testing.T) {
	for _, tc := range []struct {
		name          string
		path          string
		method        string
		run           func(c *Client) error
		beforeAccept  bool
		wantSent      int
		wantInstalled bool
	}{
		{"download lost after accept", pathDownload + bundleFile, http.MethodPost, func(c *Client) error {
			return c.Download(context.Background(), DownloadRequest{FileName: bundleFile, Protocol: "scp", Server: "10.0.0.1"})
		}, false, 1, false},
		{"download lost before accept", pathDownload + bundleFile, http.MethodPost, func(c *Client) error {
			return c.Download(context.Background(), DownloadRequest{FileName: bundleFile, Protocol: "scp", Server: "10.0.0.1"})
		}, true, 2, false},
		{"install lost after accept", pathInstall, http.MethodPatch, func(c *Client) error {
			return c.InstallPlatformBundle(context.Background(), "2.14.1.131")
		}, false, 1, true},
		{"install lost before accept", pathInstall, http.MethodPatch, func(c *Client) error {
			return c.InstallPlatformBundle(context.Background(), toVersion)
		}, true, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFXOS(t, newFakeClock())
			var first atomic.Bool
			first.Store(true)
			f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if r.URL.Path != tc.path || r.Method != tc.method || !first.Swap(false) {
					return false
				}
				if tc.beforeAccept {
					httpxtest.ResetConn(t, w)
					return true
				}
				// Act on it, then lose the answer.
				rec := httptest.NewRecorder()
				r.Body = io.NopCloser(strings.NewReader(string(f.seen()[n-1].Body)))
				f.route(rec, r, f.seen()[n-1].Body)
				httpxtest.ResetConn(t, w)
				return true
			}
			c, _ := newTestClient(t, f)
			if err := tc.run(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if got := f.count(tc.method, tc.path); got != tc.wantSent {
				t.Fatalf("sent %d times, want %d", got, tc.wantSent)
			}
			if tc.wantInstalled && (f.install == nil || f.install.target != toVersion) {
				t.Fatalf("install plan %+v", f.install)
			}
		})
	}
}

func TestAmbiguousWhenStateUnreadable(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch r.URL.Path {
		case pathInstall:
			httpxtest.ResetConn(t, w)
			return true
		case pathInstallFSM, pathRunningMgmt:
			fxosError(w, http.StatusInternalServerError, "", "internal error", "")
			return true
		}
		return false
	}
	c, _ := newTestClient(t, f)
	err := c.InstallPlatformBundle(context.Background(), toVersion)
	var amb *AmbiguousError
	if !errors.Is(err, ErrAmbiguous) || !errors.As(err, &amb) || amb.CheckErr == nil {
		t.Fatalf("err = %v", err)
	}
	if n := f.count(http.MethodPatch, pathInstall); n != 1 {
		t.Fatalf("install sent %d times", n)
	}
}

func TestInstallBody(t *testing.T) {
	f := newFakeFXOS(t, newFakeClock())
	c, _ := newTestClient(t, f)
	if err := c.InstallPlatformBundle(context.Background(), "2.14.01.131"); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.seen() {
		if r.Method == http.MethodPatch {
			if string(r.Body) != `{"firmwarePlatformPack":[{"forceDeploy":"no","platformBundleVersion":"2.14(1.131)"}]}` {
				t.Fatalf("install body %s", r.Body)
			}
		}
	}
	if err := c.InstallPlatformBundle(context.Background(), "latest"); err == nil {
		t.Fatal("a bad version was accepted")
	}
}

func TestSlowAnswerIsRetried(t *testing.T) {
	f := newFakeFXOS(t, nil)
	var calls atomic.Int32
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == pathRunningMgmt && calls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond) // the chassis hangs while it reboots
		}
		return false
	}
	clock := newFakeClock()
	c, _ := newTestClient(t, f, func(cfg *Config) {
		cfg.RequestTimeout = 100 * time.Millisecond
		cfg.Sleep = clock.Sleep
	})
	if v, err := c.RunningVersion(context.Background()); err != nil || v != fromVersion {
		t.Fatalf("RunningVersion = %q, %v", v, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d reads", calls.Load())
	}
}
