package fmc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx/httpxtest"
)

// upgradeAnswer echoes the request with the task, as the specification's
// examples show: 201, the message depending on pushUpgradeFileOnly.
func upgradeAnswer(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	msg := "Triggered all Upgrades successfully"
	if req["pushUpgradeFileOnly"] == true {
		msg = "Triggered all Push Upgrades successfully"
	}
	req["type"] = "Upgrade"
	req["metadata"] = map[string]any{"task": map[string]any{"id": "8589935884", "message": msg, "status": "RUNNING"}}
	writeJSON(w, http.StatusCreated, req)
}

func TestStartUpgradeWireBody(t *testing.T) {
	tests := []struct {
		name string
		req  UpgradeRequest
		want string
	}{
		{
			"push only",
			UpgradeRequest{PackageID: "73207350-8395-11e8-845b-e5a3cc8a21de", PushUpgradeFileOnly: true,
				Targets: []Reference{DeviceTarget("1251b782-7922-11e8-85d1-9ce8632d3182", "vFTD-1"), {ID: "88f052b8-7922-11e8-a602-840c6cea8ca5", Name: "vFTD-2"}}},
			`{"upgradePackage":{"id":"73207350-8395-11e8-845b-e5a3cc8a21de","type":"UpgradePackage"},"targets":[{"id":"1251b782-7922-11e8-85d1-9ce8632d3182","type":"Device","name":"vFTD-1"},{"id":"88f052b8-7922-11e8-a602-840c6cea8ca5","type":"Device","name":"vFTD-2"}],"pushUpgradeFileOnly":true,"readinessCheckOnly":false,"autoUpgradeCancel":false}`,
		},
		{
			"readiness only with revert and auto-cancel",
			UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "FTD-1")}, ReadinessCheckOnly: true, EnableUpgradeRevert: true, AutoUpgradeCancel: true},
			`{"upgradePackage":{"id":"pkg","type":"UpgradePackage"},"targets":[{"id":"d1","type":"Device","name":"FTD-1"}],"pushUpgradeFileOnly":false,"readinessCheckOnly":true,"autoUpgradeCancel":true,"enableUpgradeRevert":true}`,
		},
		{
			"full upgrade",
			UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "")}, AutoUpgradeCancel: true},
			`{"upgradePackage":{"id":"pkg","type":"UpgradePackage"},"targets":[{"id":"d1","type":"Device"}],"pushUpgradeFileOnly":false,"readinessCheckOnly":false,"autoUpgradeCancel":true}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			f.handle("POST "+pathUpgrades, func(w http.ResponseWriter, r *http.Request) {
				upgradeAnswer(w, r)
			})
			c, _ := newTestClient(t, f)
			task, err := c.StartUpgrade(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			wantMsg := "Triggered all Upgrades successfully"
			if tc.req.PushUpgradeFileOnly {
				wantMsg = "Triggered all Push Upgrades successfully"
			}
			if task.ID != "8589935884" || task.Status != "RUNNING" || task.Message != wantMsg || task.Recovered {
				t.Fatalf("task = %+v", task)
			}
			var got string
			for _, r := range f.seen() {
				if r.Path == pathUpgrades {
					got = string(r.Body)
				}
			}
			if got != tc.want {
				t.Fatalf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestStartUpgradeValidates(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	for _, req := range []UpgradeRequest{
		{Targets: []Reference{DeviceTarget("d", "")}},
		{PackageID: "p"},
		{PackageID: "p", Targets: []Reference{{Name: "no id"}}},
	} {
		if _, err := c.StartUpgrade(ctx, req); err == nil {
			t.Fatalf("StartUpgrade(%+v) accepted", req)
		}
	}
	if len(f.seen()) != 0 {
		t.Fatal("invalid requests reached the server")
	}
}

// TestUpgradePOSTNeverSentTwice proves that after an ambiguous failure (the
// answer lost, or a 5xx) the upgrade is not started twice: the fake counts
// upgrades it accepted.
func TestUpgradePOSTNeverSentTwice(t *testing.T) {
	type faultKind int
	const (
		resetAfterAccept faultKind = iota
		error500AfterAccept
		resetBeforeAccept
	)
	tests := []struct {
		name         string
		fault        faultKind
		check        func(accepted *atomic.Int32) IdempotencyCheck
		wantErr      error
		wantPosts    int
		wantAccepted int32
		wantRecover  bool
	}{
		{"reset, no check", resetAfterAccept, nil, ErrAmbiguous, 1, 1, false},
		{"500, no check", error500AfterAccept, nil, ErrAmbiguous, 1, 1, false},
		{"reset, check finds it started", resetAfterAccept, func(a *atomic.Int32) IdempotencyCheck {
			return func(context.Context) (*StartedTask, bool, error) {
				return &StartedTask{ID: "8589935884"}, a.Load() > 0, nil
			}
		}, nil, 1, 1, true},
		{"reset before acceptance, check says not started: sent again", resetBeforeAccept, func(a *atomic.Int32) IdempotencyCheck {
			return func(context.Context) (*StartedTask, bool, error) { return nil, a.Load() > 0, nil }
		}, nil, 2, 1, false},
		{"check fails", resetAfterAccept, func(*atomic.Int32) IdempotencyCheck {
			return func(context.Context) (*StartedTask, bool, error) {
				return nil, false, errors.New("device list unavailable")
			}
		}, ErrAmbiguous, 1, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			var accepted, posts atomic.Int32
			f.handle("POST "+pathUpgrades, func(w http.ResponseWriter, r *http.Request) {
				n := posts.Add(1)
				if n == 1 && tc.fault == resetBeforeAccept {
					httpxtest.ResetConn(t, w)
					return
				}
				accepted.Add(1)
				if n == 1 {
					switch tc.fault {
					case resetAfterAccept:
						httpxtest.ResetConn(t, w)
						return
					case error500AfterAccept:
						writeError(w, http.StatusInternalServerError, "Internal error while processing the request.")
						return
					}
				}
				upgradeAnswer(w, r)
			})
			c, _ := newTestClient(t, f)
			req := UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "ftd-1")}}
			if tc.check != nil {
				req.Check = tc.check(&accepted)
			}
			task, err := c.StartUpgrade(context.Background(), req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				var amb *AmbiguousError
				if !errors.As(err, &amb) || !strings.Contains(err.Error(), "not sent again") {
					t.Fatalf("err = %v, want *AmbiguousError", err)
				}
				if tc.name == "check fails" && (amb.CheckErr == nil || !strings.Contains(err.Error(), "device list unavailable")) {
					t.Fatalf("check failure not reported: %v", err)
				}
			} else if err != nil {
				t.Fatalf("StartUpgrade: %v", err)
			}
			if got := f.count(http.MethodPost, pathUpgrades); got != tc.wantPosts {
				t.Fatalf("upgrade POSTs = %d, want %d", got, tc.wantPosts)
			}
			if accepted.Load() != tc.wantAccepted {
				t.Fatalf("upgrades accepted = %d, want %d", accepted.Load(), tc.wantAccepted)
			}
			if tc.wantErr == nil && task.Recovered != tc.wantRecover {
				t.Fatalf("task = %+v, want Recovered %v", task, tc.wantRecover)
			}
		})
	}
}

func TestUpgradePOSTSafeRetries(t *testing.T) {
	tests := []struct {
		name  string
		first func(w http.ResponseWriter)
	}{
		{"401 renews the token and repeats", func(w http.ResponseWriter) { writeError(w, http.StatusUnauthorized, "Access token invalid.") }},
		{"429 waits and repeats", func(w http.ResponseWriter) { writeError(w, http.StatusTooManyRequests, "Too many requests.") }},
		{"please try again repeats", func(w http.ResponseWriter) {
			writeError(w, http.StatusBadRequest, "Could not process the request. Please try again.")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			var posts, accepted atomic.Int32
			f.handle("POST "+pathUpgrades, func(w http.ResponseWriter, r *http.Request) {
				if posts.Add(1) == 1 {
					tc.first(w)
					return
				}
				accepted.Add(1)
				upgradeAnswer(w, r)
			})
			c, _ := newTestClient(t, f)
			task, err := c.StartUpgrade(context.Background(), UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "")}})
			if err != nil || task.ID == "" {
				t.Fatalf("StartUpgrade = %+v, %v", task, err)
			}
			if posts.Load() != 2 || accepted.Load() != 1 {
				t.Fatalf("posts = %d, accepted = %d", posts.Load(), accepted.Load())
			}
		})
	}
}

func TestCancelRetryRevertBodies(t *testing.T) {
	targets := []Reference{DeviceTarget("1251b782-7922-11e8-85d1-9ce8632d3182", "vFTD-1")}
	tests := []struct {
		name string
		path string
		call func(c *Client) (*StartedTask, error)
		want string
	}{
		{"cancel", pathCancel, func(c *Client) (*StartedTask, error) {
			return c.CancelUpgrade(context.Background(), CancelUpgradeRequest{Targets: targets, ForceCancel: true})
		}, `{"targets":[{"id":"1251b782-7922-11e8-85d1-9ce8632d3182","type":"Device","name":"vFTD-1"}],"forceCancel":true}`},
		{"retry", pathRetry, func(c *Client) (*StartedTask, error) { return c.RetryUpgrade(context.Background(), targets, nil) },
			`{"targets":[{"id":"1251b782-7922-11e8-85d1-9ce8632d3182","type":"Device","name":"vFTD-1"}]}`},
		{"revert", pathRevert, func(c *Client) (*StartedTask, error) { return c.RevertUpgrade(context.Background(), targets, nil) },
			`{"targets":[{"id":"1251b782-7922-11e8-85d1-9ce8632d3182","type":"Device","name":"vFTD-1"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			f.handle("POST "+tc.path, func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				_ = json.NewDecoder(r.Body).Decode(&body)
				body["metadata"] = map[string]any{"task": map[string]any{"id": 8589935885, "status": "RUNNING", "message": "Triggered all " + tc.name}}
				writeJSON(w, http.StatusCreated, body)
			})
			c, _ := newTestClient(t, f)
			task, err := tc.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if task.ID != "8589935885" {
				t.Fatalf("task id %q; a numeric id must read as text", task.ID)
			}
			for _, r := range f.seen() {
				if r.Path == tc.path && string(r.Body) != tc.want {
					t.Fatalf("body\n got %s\nwant %s", r.Body, tc.want)
				}
			}
		})
	}
}

func TestRevertWithoutTaskInAnswer(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("POST "+pathRevert, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	c, _ := newTestClient(t, f)
	task, err := c.RevertUpgrade(context.Background(), []Reference{DeviceTarget("d1", "")}, nil)
	if err != nil || task == nil || task.ID != "" {
		t.Fatalf("RevertUpgrade = %+v, %v; want an empty task", task, err)
	}
}

func packageItems() []any {
	return []any{
		map[string]any{"id": "b3e26a18-8392-11e8-b3c5-e4a3cc8a21de", "type": "UpgradePackage", "name": "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar",
			"metadata": map[string]any{"upgradeType": "Cisco FTD Upgrade", "upgradeFileName": "Cisco_FTD_Upgrade-7.4.2-172.sh.REL.tar", "fileSize": 1938736121,
				"updateVersion": "7.4.2-172 IMS 172", "upgradeFrom": "7.0.0", "uploadDate": "2025-01-14T09:12:01Z", "rebootRequired": true}},
		map[string]any{"id": "8b0e576e-79dd-11e8-845b-e5a3cc8a21de", "type": "UpgradePackage", "name": "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh",
			"metadata": map[string]any{"upgradeType": "Cisco FTD SSP Upgrade", "upgradeFileName": "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh", "fileSize": "2244980",
				"updateVersion": "7.4.2-172 IMS 172", "rebootRequired": "true"}},
	}
}

func TestUpgradePackages(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	items := packageItems()
	f.handle("GET "+pathPackages, func(w http.ResponseWriter, r *http.Request) { servePaged(w, r, items) })
	f.handle("GET "+pathPackages+"/8b0e576e-79dd-11e8-845b-e5a3cc8a21de", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, items[1])
	})
	f.handle("DELETE "+pathPackages+"/8b0e576e-79dd-11e8-845b-e5a3cc8a21de", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, items[1])
	})
	f.handle("GET "+pathPackages+"/8b0e576e-79dd-11e8-845b-e5a3cc8a21de/applicabledevices", func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"id": "d-4110-a", "name": "ftd-4110-a", "type": "Device", "model": "Cisco Firepower 4110 Threat Defense",
			"sw_version": "7.2.5", "isPartOfContainer": "true", "containerType": "DeviceHAPair", "healthStatus": "green"}})
	})
	c, _ := newTestClient(t, f)
	ctx := context.Background()

	all, err := c.ListUpgradePackages(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("ListUpgradePackages = %v, %v", all, err)
	}
	if all[0].Metadata.FileSize != 1938736121 || !all[0].Metadata.RebootRequired || all[1].Metadata.FileSize != 2244980 || !all[1].Metadata.RebootRequired {
		t.Fatalf("metadata not read: %+v", all)
	}
	p, err := c.GetUpgradePackage(ctx, "8b0e576e-79dd-11e8-845b-e5a3cc8a21de")
	if err != nil || p.FileName() != "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh" || p.Metadata.UpgradeType != "Cisco FTD SSP Upgrade" {
		t.Fatalf("GetUpgradePackage = %+v, %v", p, err)
	}
	found, ok, err := c.FindUpgradePackage(ctx, "Cisco_FTD_SSP-Upgrade-7.4.2-172.sh.REL.tar", "cisco_ftd_ssp_upgrade-7.4.2-172.sh")
	if err != nil || !ok || found.ID != "8b0e576e-79dd-11e8-845b-e5a3cc8a21de" {
		t.Fatalf("FindUpgradePackage = %+v, %v, %v", found, ok, err)
	}
	if _, ok, err := c.FindUpgradePackage(ctx, "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"); ok || err != nil {
		t.Fatalf("FindUpgradePackage found a missing package (%v)", err)
	}
	devs, err := c.ApplicableDevices(ctx, "8b0e576e-79dd-11e8-845b-e5a3cc8a21de")
	if err != nil || len(devs) != 1 || !devs[0].IsPartOfContainer || devs[0].ContainerType != "DeviceHAPair" || devs[0].SWVersion != "7.2.5" {
		t.Fatalf("ApplicableDevices = %+v, %v", devs, err)
	}
	if err := c.DeleteUpgradePackage(ctx, "8b0e576e-79dd-11e8-845b-e5a3cc8a21de"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUpgradePackage(ctx, "already-gone"); err != nil {
		t.Fatalf("deleting a missing package: %v", err)
	}
}

func TestRegisterPackageURL(t *testing.T) {
	const pkgURL = "https://repo.example.internal/fmc/Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"
	tests := []struct {
		name        string
		answer      func(w http.ResponseWriter, r *http.Request)
		url         string
		ca          string
		unsupported bool
		wantErr     string
		wantPkgID   string
		wantTask    string
	}{
		{"405", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, "HTTP method POST is not supported by this URL")
		}, pkgURL, "", true, "", "", ""},
		{"404", nil, pkgURL, "", true, "", "", ""},
		{"400 unrecognized field", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusBadRequest, `Unrecognized field "url"`)
		}, pkgURL, "", true, "", "", ""},
		{"400 about the content", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusBadRequest, "The remote server could not be reached.")
		}, pkgURL, "", false, "The remote server could not be reached.", "", ""},
		{"accepted with package", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusCreated, map[string]any{"id": "new-pkg", "type": "UpgradePackage", "name": "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"})
		}, pkgURL, "", false, "", "new-pkg", ""},
		{"accepted with task", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusAccepted, map[string]any{"metadata": map[string]any{"task": map[string]any{"id": "77", "status": "PENDING"}}})
		}, pkgURL, "", false, "", "", "77"},
		{"not a url", nil, "repo/file.tar", "", false, "must be an http:// or https:// URL", "", ""},
		{"no file name", nil, "https://repo.example.internal/", "", false, "does not end in a file name", "", ""},
		{"bad CA", nil, pkgURL, "garbage", false, "ca_certificates holds no PEM certificate", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			if tc.answer != nil {
				f.handle("POST "+pathPackages, tc.answer)
			}
			c, _ := newTestClient(t, f)
			reg, err := c.RegisterPackageURL(context.Background(), tc.url, tc.ca)
			if tc.unsupported {
				var pe *PackageRegistrationError
				if !errors.Is(err, ErrPackageRegistrationUnsupported) || !errors.As(err, &pe) {
					t.Fatalf("err = %v, want ErrPackageRegistrationUnsupported", err)
				}
				for _, want := range []string{"System > Product Upgrades > Add Upgrade Package > Specify Remote Location", pkgURL, `adopted by file name "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"`} {
					if !strings.Contains(err.Error(), want) {
						t.Fatalf("message %q lacks %q", err, want)
					}
				}
				return
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, ErrPackageRegistrationUnsupported) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantPkgID != "" && (reg.Package == nil || reg.Package.ID != tc.wantPkgID) {
				t.Fatalf("registration = %+v", reg)
			}
			if tc.wantTask != "" && (reg.Task == nil || reg.Task.ID != tc.wantTask) {
				t.Fatalf("registration = %+v", reg)
			}
			var sent map[string]any
			for _, r := range f.seen() {
				if r.Method == http.MethodPost && r.Path == pathPackages {
					sent = mustJSON(t, r.Body)
				}
			}
			if sent["url"] != pkgURL || sent["name"] != "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar" || sent["type"] != "UpgradePackage" {
				t.Fatalf("body = %v", sent)
			}
		})
	}
}

func TestRegisterPackageURLRedactsCredentials(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	c, _ := newTestClient(t, f)
	_, err := c.RegisterPackageURL(context.Background(), "https://fetch:hunter22@repo.example.internal/Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar", "")
	if !errors.Is(err, ErrPackageRegistrationUnsupported) || strings.Contains(err.Error(), "hunter22") {
		t.Fatalf("err = %v", err)
	}
}

func TestRegisterPackageURLLostAnswerFindsPackage(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	var posts atomic.Int32
	f.handle("POST "+pathPackages, func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		httpxtest.ResetConn(t, w)
	})
	f.handle("GET "+pathPackages, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"id": "p9", "type": "UpgradePackage", "name": "Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar"}})
	})
	c, _ := newTestClient(t, f)
	reg, err := c.RegisterPackageURL(context.Background(), "https://repo.example.internal/Cisco_FTD_Upgrade-7.6.1-291.sh.REL.tar", "")
	if err != nil || !reg.Recovered || reg.Package.ID != "p9" {
		t.Fatalf("RegisterPackageURL = %+v, %v", reg, err)
	}
	if posts.Load() != 1 {
		t.Fatalf("registration sent %d times", posts.Load())
	}
}

func TestCancelWhileUpgradePOSTInFlightIsAmbiguous(t *testing.T) {
	f := newFakeFMC(t, nil)
	arrived := make(chan struct{})
	f.handle("POST "+pathUpgrades, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	c, _ := newTestClient(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	called := false
	_, err := c.StartUpgrade(ctx, UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "")},
		Check: func(context.Context) (*StartedTask, bool, error) { called = true; return nil, false, nil }})
	if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ambiguous and cancelled", err)
	}
	if called || f.count(http.MethodPost, pathUpgrades) != 1 {
		t.Fatalf("check called %v, POSTs %d", called, f.count(http.MethodPost, pathUpgrades))
	}

	// Cancelled before anything was sent: a plain context error.
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := c.StartUpgrade(done, UpgradeRequest{PackageID: "pkg", Targets: []Reference{DeviceTarget("d1", "")}}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrAmbiguous) {
		t.Fatalf("err = %v", err)
	}
}
