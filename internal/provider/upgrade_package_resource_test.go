package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmc"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/fmcsim"
)

const (
	// The demo lists the Secure Firewall 3100 package under its guide
	// spelling; the tests adopt it under two others.
	demoFP3KListed    = "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh.REL.tar"
	demoFP3KSize      = 1637492210
	fp1kPackage       = "Cisco_FTD_SSP-FP1K_Upgrade-7.6.1-291.sh.REL.tar"
	fp1kPackageSize   = 1734002118
	pkgCollectionPath = "/api/fmc_platform/v1/updates/upgradepackages"
)

// messageRE matches text as Terraform and OpenTofu print it, which may wrap
// a long diagnostic at any space.
func messageRE(text string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + wordsPattern(text))
}

// wordsPattern matches the words of text (regular expressions allowed in
// each) separated by any white space.
func wordsPattern(text string) string {
	var b strings.Builder
	prevWord := false
	for _, w := range strings.Fields(text) {
		if w == ".*" {
			b.WriteString(".*")
			prevWord = false
			continue
		}
		if prevWord {
			b.WriteString(`\s+`)
		}
		b.WriteString(regexp.QuoteMeta(w))
		prevWord = true
	}
	return b.String()
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// selfSignedPEM is a CA no test server chains to.
func selfSignedPEM(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "Unrelated Test CA"},
		NotBefore:             notAfter.Add(-365 * 24 * time.Hour),
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// heredoc renders text for an HCL heredoc.
func heredoc(text string) string {
	return "<<-EOT\n" + strings.TrimSpace(text) + "\nEOT"
}

// packageServer is an internal web server holding upgrade packages. It only
// answers with headers and the first byte: nothing here needs the content.
type packageServer struct {
	*httptest.Server
	mu         sync.Mutex
	sizes      map[string]int64
	refuseHead bool
	html       bool
	requests   []string // method and user agent of each request
}

func startPackageServer(t *testing.T) *packageServer {
	t.Helper()
	ps := &packageServer{sizes: map[string]int64{}}
	ps.Server = httptest.NewUnstartedServer(ps)
	// Refused certificates are the point of some tests, not noise.
	ps.Config.ErrorLog = log.New(io.Discard, "", 0)
	ps.StartTLS()
	t.Cleanup(ps.Close)
	return ps
}

func (ps *packageServer) CAPEM() string { return certPEM(ps.Certificate()) }

func (ps *packageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ps.mu.Lock()
	ps.requests = append(ps.requests, r.Method+" "+r.UserAgent())
	size, ok := ps.sizes[r.URL.Path]
	refuseHead, html := ps.refuseHead, ps.html
	ps.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(w, r)
	case html:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html><body>Please log in</body></html>"))
	case r.Method == http.MethodHead && refuseHead:
		w.Header().Set("Allow", "GET")
		w.WriteHeader(http.StatusMethodNotAllowed)
	case r.Method == http.MethodHead:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	case r.Method == http.MethodGet && r.Header.Get("Range") == "bytes=0-0":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-0/%d", size))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write([]byte{0x1f})
	default:
		http.Error(w, "range requests only", http.StatusBadRequest)
	}
}

func (ps *packageServer) count(method, agent string) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	n := 0
	for _, r := range ps.requests {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, agent) {
			n++
		}
	}
	return n
}

// registeringFMC fronts the simulator with the registration call that no
// documented API offers: the simulator itself answers 405, as a real
// management center is expected to. Like the web interface's "Specify Remote
// Location", it checks the location with the given CA before accepting it.
// Registered pointers live beside the simulator's own packages.
type registeringFMC struct {
	sim    *fmcsim.Server
	server *httptest.Server
	// taskMode answers registrations with a task, and lists the package
	// only once the task has been read.
	taskMode bool

	mu            sync.Mutex
	seq           int
	pkgs          []map[string]any
	pending       map[string]map[string]any // task id → package
	registrations int
}

func startRegisteringFMC(t *testing.T, taskMode bool) *registeringFMC {
	t.Helper()
	sim, err := fmcsim.New(fmcsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &registeringFMC{sim: sim, taskMode: taskMode, pending: map[string]map[string]any{}}
	f.server = httptest.NewUnstartedServer(f)
	f.server.StartTLS()
	t.Cleanup(f.server.Close)
	return f
}

func (f *registeringFMC) providerConfig(extra string) string {
	user, pass := f.sim.Credentials()
	return fmt.Sprintf(`provider "fmcupgrade" {
  url            = %q
  username       = %q
  password       = %q
  ca_certificate = %s
%s
}
`, f.server.URL, user, pass, heredoc(certPEM(f.server.Certificate())), extra)
}

func (f *registeringFMC) client(t *testing.T) *fmc.Client {
	t.Helper()
	user, pass := f.sim.Credentials()
	c, err := fmc.New(fmc.Config{URL: f.server.URL, Username: user, Password: pass, CACertificatePEM: certPEM(f.server.Certificate())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (f *registeringFMC) registrationCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registrations
}

func (f *registeringFMC) registered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for _, p := range f.pkgs {
		names = append(names, fmt.Sprint(p["name"]))
	}
	return names
}

func (f *registeringFMC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") && r.Header.Get("X-auth-access-token") == "" && !strings.Contains(p, "/auth/") {
		writeFMCError(w, http.StatusUnauthorized, "Access token invalid.")
		return
	}
	switch {
	case p == pkgCollectionPath && r.Method == http.MethodPost:
		f.register(w, r)
		return
	case p == pkgCollectionPath && r.Method == http.MethodGet:
		f.list(w, r)
		return
	case strings.HasPrefix(p, pkgCollectionPath+"/"):
		id, sub, _ := strings.Cut(strings.TrimPrefix(p, pkgCollectionPath+"/"), "/")
		if f.serveOwn(w, r, id, sub) {
			return
		}
	case r.Method == http.MethodGet && strings.Contains(p, "/job/taskstatuses/"):
		if f.serveTask(w, path.Base(p)) {
			return
		}
	}
	f.sim.Handler().ServeHTTP(w, r)
}

func writeFMCError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"category": "FRAMEWORK", "severity": "ERROR", "messages": []map[string]string{{"description": msg}},
	}})
}

func writeFMCJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *registeringFMC) register(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type, Name, URL string
		CACertificates  string `json:"caCertificates"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.URL == "" || body.Name == "" {
		writeFMCError(w, http.StatusBadRequest, "Invalid request body.")
		return
	}
	size, err := headRemoteLocation(r, body.URL, body.CACertificates)
	if err != nil {
		writeFMCError(w, http.StatusBadRequest, "Could not reach the remote location: "+err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pkgs {
		if p["name"] == body.Name {
			writeFMCError(w, http.StatusBadRequest, "An upgrade package named "+body.Name+" exists.")
			return
		}
	}
	f.seq++
	f.registrations++
	pkg := map[string]any{
		"id": fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq), "name": body.Name, "type": "UpgradePackage",
		"metadata": map[string]any{"upgradeType": "Cisco FTD Upgrade", "upgradeFileName": body.Name, "fileSize": size},
	}
	if !f.taskMode {
		f.pkgs = append(f.pkgs, pkg)
		writeFMCJSON(w, http.StatusCreated, pkg)
		return
	}
	task := fmt.Sprintf("%d", 900000+f.seq)
	f.pending[task] = pkg
	writeFMCJSON(w, http.StatusAccepted, map[string]any{"metadata": map[string]any{
		"task": map[string]any{"id": task, "type": "TaskStatus", "status": "RUNNING", "name": "Upgrade package download"},
	}})
}

// headRemoteLocation is the management center's own look at the location,
// trusting only the certificates it was given.
func headRemoteLocation(r *http.Request, rawURL, caPEM string) (int64, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return 0, fmt.Errorf("no CA certificates for %s", rawURL)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(r.Context(), http.MethodHead, rawURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "fmc-remote-location")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s answered %s", rawURL, res.Status)
	}
	return res.ContentLength, nil
}

func (f *registeringFMC) serveTask(w http.ResponseWriter, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	pkg, ok := f.pending[id]
	if !ok {
		return false
	}
	delete(f.pending, id)
	f.pkgs = append(f.pkgs, pkg)
	writeFMCJSON(w, http.StatusOK, map[string]any{"id": id, "type": "TaskStatus", "taskType": "UPGRADE_PACKAGE_DOWNLOAD",
		"status": "COMPLETED", "message": "Downloaded " + fmt.Sprint(pkg["name"])})
	return true
}

func (f *registeringFMC) list(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.sim.Handler().ServeHTTP(rec, r)
	var env map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &env) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if off := r.URL.Query().Get("offset"); off == "" || off == "0" {
		items, _ := env["items"].([]any)
		for _, p := range f.pkgs {
			items = append(items, p)
		}
		env["items"] = items
		if paging, ok := env["paging"].(map[string]any); ok {
			count, _ := paging["count"].(float64)
			paging["count"] = int(count) + len(f.pkgs)
		}
	}
	writeFMCJSON(w, http.StatusOK, env)
}

func (f *registeringFMC) serveOwn(w http.ResponseWriter, r *http.Request, id, sub string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.pkgs, func(p map[string]any) bool { return p["id"] == id })
	if i < 0 {
		return false
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		writeFMCJSON(w, http.StatusOK, f.pkgs[i])
	case sub == "" && r.Method == http.MethodDelete:
		pkg := f.pkgs[i]
		f.pkgs = slices.Delete(f.pkgs, i, i+1)
		writeFMCJSON(w, http.StatusOK, pkg)
	case sub == "applicabledevices" && r.Method == http.MethodGet:
		writeFMCJSON(w, http.StatusOK, map[string]any{"items": []any{}, "paging": map[string]any{"offset": 0, "limit": 1000, "count": 0, "pages": 0}})
	default:
		writeFMCError(w, http.StatusMethodNotAllowed, "Method not allowed.")
	}
	return true
}

// simClient talks to a plain simulator the way the provider does.
func simClient(t *testing.T, srv *fmcsim.Server) *fmc.Client {
	t.Helper()
	user, pass := srv.Credentials()
	c, err := fmc.New(fmc.Config{URL: srv.URL(), Username: user, Password: pass, CACertificatePEM: string(srv.CACertPEM())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func checkAuditEmpty(t *testing.T, srv *fmcsim.Server) {
	t.Helper()
	if a := srv.Audit(); len(a) != 0 {
		t.Fatalf("simulator audit: %+v", a)
	}
	if n := srv.Stats().DuplicateUpgradeRequests; n != 0 {
		t.Fatalf("duplicate upgrade requests: %d", n)
	}
}

func TestAccUpgradePackage_adopt(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	ctx := context.Background()
	client := simClient(t, srv)
	listed, found, err := client.FindUpgradePackage(ctx, demoFP3KListed)
	if err != nil || !found {
		t.Fatalf("demo package %s: found=%v, %v", demoFP3KListed, found, err)
	}
	applicable, err := client.ApplicableDevices(ctx, listed.ID)
	if err != nil {
		t.Fatal(err)
	}
	var deviceIDs []knownvalue.Check
	var ids []string
	for _, d := range applicable {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	for _, id := range ids {
		deviceIDs = append(deviceIDs, knownvalue.StringExact(id))
	}
	if len(deviceIDs) == 0 {
		t.Fatal("the demo should have Secure Firewall 3100 devices below 7.4.2")
	}

	const addr = "fmcupgrade_upgrade_package.fp3k"
	config := func(name string) string {
		return simProviderConfig(srv, "") + fmt.Sprintf(`
resource "fmcupgrade_upgrade_package" "fp3k" {
  file_name = %q
}
`, name)
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(_ *terraform.State) error {
			if _, found, err := client.FindUpgradePackage(ctx, demoFP3KListed); err != nil || found {
				return fmt.Errorf("after destroy the simulator still lists %s (err %v)", demoFP3KListed, err)
			}
			return nil
		},
		Steps: []tfresource.TestStep{
			{
				// The underscore spelling, in the .sh form: neither is how
				// the management center lists the package.
				Config: config("Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("id")),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.StringExact("7.4.2")),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("build"), knownvalue.Int64Exact(172)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("platform"), knownvalue.StringExact("secure_firewall_3100")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(listed.ID)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_name"), knownvalue.StringExact("Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("product"), knownvalue.StringExact(catalog.ProductThreatDefense)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("kind"), knownvalue.StringExact(catalog.KindUpgrade)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("platforms"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("secure_firewall_3100")})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_size"), knownvalue.Int64Exact(demoFP3KSize)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("applicable_device_ids"), knownvalue.ListExact(deviceIDs)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("url"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("verify_url"), knownvalue.Bool(false)),
					sameID.AddStateValue(addr, tfjsonpath.New("id")),
				},
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     "Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh",
				ImportStateVerify: true,
			},
			{
				// By id the file name is the one the management center lists.
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"file_name"},
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["file_name"] != demoFP3KListed || states[0].ID != listed.ID {
						return fmt.Errorf("imported %+v", states)
					}
					return nil
				},
			},
			{
				// Another spelling of the same file is no reason to delete
				// and adopt it again.
				Config: config(demoFP3KListed),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_name"), knownvalue.StringExact(demoFP3KListed)),
					sameID.AddStateValue(addr, tfjsonpath.New("id")),
				},
			},
			{
				Config: config(demoFP3KListed),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
	checkAuditEmpty(t, srv)
}

func TestAccUpgradePackage_registerURL(t *testing.T) {
	f := startRegisteringFMC(t, false)
	repo := startPackageServer(t)
	repo.sizes["/ftd/"+fp1kPackage] = fp1kPackageSize
	repo.sizes["/mirror/"+fp1kPackage] = fp1kPackageSize
	client := f.client(t)

	const addr = "fmcupgrade_upgrade_package.fp1k"
	config := func(dir, ca string, verify bool) string {
		return f.providerConfig("") + fmt.Sprintf(`
resource "fmcupgrade_upgrade_package" "fp1k" {
  url             = "%s/%s/%s"
  ca_certificates = %s
  verify_url      = %t
}
`, repo.URL, dir, fp1kPackage, ca, verify)
	}
	first := config("ftd", heredoc(repo.CAPEM()), true)
	idChanges := statecheck.CompareValue(compare.ValuesDiffer())
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(_ *terraform.State) error {
			if names := f.registered(); len(names) != 0 {
				return fmt.Errorf("after destroy the management center still lists %v", names)
			}
			return nil
		},
		Steps: []tfresource.TestStep{
			{
				Config: first,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("file_name"), knownvalue.StringExact(fp1kPackage)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.StringExact("7.6.1")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^00000000-`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_name"), knownvalue.StringExact(fp1kPackage)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("product"), knownvalue.StringExact(catalog.ProductThreatDefense)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("platform"), knownvalue.StringExact("firepower_1000")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.StringExact("7.6.1")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("build"), knownvalue.Int64Exact(291)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("kind"), knownvalue.StringExact(catalog.KindUpgrade)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_size"), knownvalue.Int64Exact(fp1kPackageSize)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("applicable_device_ids"), knownvalue.ListSizeExact(0)),
					idChanges.AddStateValue(addr, tfjsonpath.New("id")),
				},
				Check: func(_ *terraform.State) error {
					if n := repo.count(http.MethodHead, "verify_url"); n != 1 {
						return fmt.Errorf("verify_url sent %d HEAD requests, want 1", n)
					}
					return nil
				},
			},
			{
				// Someone deletes the pointer on the management center.
				PreConfig: func() {
					pkg, found, err := client.FindUpgradePackage(context.Background(), fp1kPackage)
					if err != nil || !found {
						t.Fatalf("registered package: found=%v, %v", found, err)
					}
					if err := client.DeleteUpgradePackage(context.Background(), pkg.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: first,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					idChanges.AddStateValue(addr, tfjsonpath.New("id")),
				},
			},
			{
				// The management center cannot tell the URL back.
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"url", "ca_certificates", "verify_url"},
			},
			{
				// Reformatted certificates and verify_url change nothing on
				// the management center.
				Config: config("ftd", fmt.Sprintf("%q", "\n\n"+repo.CAPEM()+"\n"), false),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
			},
			{
				// Another server for the same file is a new pointer.
				Config: config("mirror", heredoc(repo.CAPEM()), false),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("url"), knownvalue.StringExact(repo.URL+"/mirror/"+fp1kPackage)),
				},
			},
		},
	})
	checkAuditEmpty(t, f.sim)
}

// A pointer someone added in the web interface is imported, or adopted,
// and never registered a second time.
func TestAccUpgradePackage_existingPointer(t *testing.T) {
	repo := startPackageServer(t)
	repo.sizes["/ftd/"+fp1kPackage] = fp1kPackageSize
	pointer := repo.URL + "/ftd/" + fp1kPackage
	resourceHCL := fmt.Sprintf(`
resource "fmcupgrade_upgrade_package" "fp1k" {
  url             = %q
  ca_certificates = %s
  verify_url      = true
}
`, pointer, heredoc(repo.CAPEM()))
	const addr = "fmcupgrade_upgrade_package.fp1k"

	t.Run("import", func(t *testing.T) {
		f := startRegisteringFMC(t, false)
		reg, err := f.client(t).RegisterPackageURL(context.Background(), pointer, repo.CAPEM())
		if err != nil || reg.Package == nil {
			t.Fatalf("registering out of band: %+v, %v", reg, err)
		}
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []tfresource.TestStep{
				{
					Config:             f.providerConfig("") + resourceHCL,
					ResourceName:       addr,
					ImportState:        true,
					ImportStateId:      "Cisco_FTD_SSP_FP1K_Upgrade-7.6.1-291.sh",
					ImportStatePersist: true,
				},
				{
					// The import could not read url back: recording it is
					// an update, not a new registration.
					Config: f.providerConfig("") + resourceHCL,
					ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(reg.Package.ID)),
						statecheck.ExpectKnownValue(addr, tfjsonpath.New("url"), knownvalue.StringExact(pointer)),
						statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_name"), knownvalue.StringExact("Cisco_FTD_SSP_FP1K_Upgrade-7.6.1-291.sh")),
					},
				},
				{
					Config: f.providerConfig("") + resourceHCL,
					ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectEmptyPlan(),
					}},
				},
			},
		})
		if n := f.registrationCount(); n != 1 {
			t.Fatalf("%d registrations, want the one made out of band", n)
		}
		checkAuditEmpty(t, f.sim)
	})

	t.Run("adopt", func(t *testing.T) {
		f := startRegisteringFMC(t, false)
		reg, err := f.client(t).RegisterPackageURL(context.Background(), pointer, repo.CAPEM())
		if err != nil || reg.Package == nil {
			t.Fatalf("registering out of band: %+v, %v", reg, err)
		}
		heads := repo.count(http.MethodHead, "verify_url")
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []tfresource.TestStep{
				{
					Config: f.providerConfig("") + resourceHCL,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(reg.Package.ID)),
					},
				},
			},
		})
		if n := f.registrationCount(); n != 1 {
			t.Fatalf("%d registrations, want the one made out of band", n)
		}
		if n := repo.count(http.MethodHead, "verify_url") - heads; n != 0 {
			t.Fatalf("an adopted package needs no URL check, got %d", n)
		}
	})
}

func TestAccUpgradePackage_registerTask(t *testing.T) {
	f := startRegisteringFMC(t, true)
	repo := startPackageServer(t)
	repo.sizes["/ftd/"+fp1kPackage] = fp1kPackageSize
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: f.providerConfig(`  poll_interval = "1s"`) + fmt.Sprintf(`
resource "fmcupgrade_upgrade_package" "fp1k" {
  url             = "%s/ftd/%s"
  ca_certificates = %s
}
`, repo.URL, fp1kPackage, heredoc(repo.CAPEM())),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("fmcupgrade_upgrade_package.fp1k", tfjsonpath.New("id"), knownvalue.StringExact("00000000-0000-4000-8000-000000000001")),
					statecheck.ExpectKnownValue("fmcupgrade_upgrade_package.fp1k", tfjsonpath.New("file_size"), knownvalue.Int64Exact(fp1kPackageSize)),
				},
				Check: func(_ *terraform.State) error {
					if n := repo.count(http.MethodHead, "verify_url"); n != 0 {
						return fmt.Errorf("verify_url is off but sent %d requests", n)
					}
					return nil
				},
			},
		},
	})
}

func TestAccUpgradePackage_refused(t *testing.T) {
	sc := demoScenario(t)
	sc.PackageRegistration = "refuse"
	srv := fmcsim.StartTest(t, fmcsim.Options{Scenario: sc})
	f := startRegisteringFMC(t, false)
	repo := startPackageServer(t)
	repo.sizes["/ftd/"+fp1kPackage] = fp1kPackageSize
	repo.sizes["/tiny/"+fp1kPackage] = 4096
	resourceHCL := func(url, ca string, verify bool) string {
		return fmt.Sprintf(`
resource "fmcupgrade_upgrade_package" "fp1k" {
  url             = %q
  ca_certificates = %s
  verify_url      = %t
}
`, url, ca, verify)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				// A management center without the registration call: the
				// error says what to do by hand.
				Config: simProviderConfig(srv, "") + resourceHCL("https://repo.example.invalid/ftd/"+fp1kPackage, heredoc(repo.CAPEM()), false),
				ExpectError: messageRE("Management center cannot register the package by URL .* " + manualRegistrationStep +
					" .* terraform import fmcupgrade_upgrade_package.<name> " + fp1kPackage),
			},
			{
				Config: simProviderConfig(srv, "") + `
resource "fmcupgrade_upgrade_package" "fp1k" {
  file_name = "` + fp1kPackage + `"
}
`,
				ExpectError: messageRE("Upgrade package not on the management center .* set url to register it"),
			},
			{
				// verify_url trusts only ca_certificates.
				Config:      f.providerConfig("") + resourceHCL(repo.URL+"/ftd/"+fp1kPackage, heredoc(selfSignedPEM(t, time.Now().Add(time.Hour))), true),
				ExpectError: messageRE("Package URL check failed .* does not chain to ca_certificates"),
			},
			{
				Config:      f.providerConfig("") + resourceHCL(repo.URL+"/tiny/"+fp1kPackage, heredoc(repo.CAPEM()), true),
				ExpectError: messageRE("4096 bytes, too small for an upgrade package"),
			},
			{
				Config:      f.providerConfig("") + resourceHCL(repo.URL+"/missing/"+fp1kPackage, heredoc(repo.CAPEM()), true),
				ExpectError: messageRE("answered 404 Not Found"),
			},
		},
	})
	if names := f.registered(); len(names) != 0 {
		t.Fatalf("failed checks still registered %v", names)
	}
	checkAuditEmpty(t, srv)
}

func TestAccUpgradePackage_invalid(t *testing.T) {
	resourceHCL := func(body string) string {
		return `resource "fmcupgrade_upgrade_package" "bad" {
` + body + `
}
`
	}
	// attributeRE ties an error to the argument Terraform points at.
	attributeRE := func(summary, attribute string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)` + wordsPattern(summary) + `.*in resource "fmcupgrade_upgrade_package" "bad":\s+\d+:\s+` + attribute + `\s+=`)
	}
	valid := "https://repo.example.com/ftd/" + fp1kPackage
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      resourceHCL(`  url = "` + valid + `"` + "\n  ca_certificates = \"-----BEGIN CERTIFICATE-----\\nnot base64\\n-----END CERTIFICATE-----\\n\""),
				ExpectError: attributeRE("Invalid CA certificates", "ca_certificates"),
			},
			{
				Config:      resourceHCL(`  url = "ftp://repo.example.com/ftd/` + fp1kPackage + `"`),
				ExpectError: attributeRE("Invalid package URL", "url"),
			},
			{
				Config:      resourceHCL(`  url = "https://repo.example.com/ftd/latest.tar"`),
				ExpectError: attributeRE("Unrecognised upgrade package file name", "url"),
			},
			{
				Config:      resourceHCL(`  file_name = "Cisco_FTD_Upgrade-7.6.1.tar"`),
				ExpectError: attributeRE("Unrecognised upgrade package file name", "file_name"),
			},
			{
				Config:      resourceHCL(`  file_name = "fxos-k9.2.16.0.128.SPA"`),
				ExpectError: attributeRE("FXOS bundles are not management center packages", "file_name"),
			},
			{
				Config:      resourceHCL(`  url = "https://repo.example.com/fmc/Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar"`),
				ExpectError: attributeRE("Management center packages cannot be pointers", "url"),
			},
			{
				Config:      resourceHCL("  file_name = \"Cisco_FTD_SSP-FP3K_Upgrade-7.6.1-291.sh.REL.tar\"\n  url = \"" + valid + "\""),
				ExpectError: attributeRE("file_name and url name different packages", "file_name"),
			},
			{
				Config:      resourceHCL(`  verify_url = true`),
				ExpectError: messageRE("At least one of these attributes must be configured: [file_name,url]"),
			},
			{
				// Valid, but nothing to talk to.
				Config:      resourceHCL(`  file_name = "` + fp1kPackage + `"`),
				ExpectError: messageRE("No management center connection .* FMC_URL"),
			},
		},
	})
}

func TestUpgradePackageSchema(t *testing.T) {
	ctx := context.Background()
	r := NewUpgradePackageResource()
	var resp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatal(diags)
	}
	for name, a := range resp.Schema.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s has no MarkdownDescription", name)
		}
	}
	var found bool
	for _, newResource := range New("test")().Resources(ctx) {
		var m resource.MetadataResponse
		newResource().Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "fmcupgrade"}, &m)
		found = found || m.TypeName == "fmcupgrade_upgrade_package"
	}
	if !found {
		t.Fatal("the provider does not register fmcupgrade_upgrade_package")
	}
}

// validatePackageConfig runs ValidateConfig with the embedded catalog, as
// Terraform does at plan time once the provider is configured.
func validatePackageConfig(t *testing.T, args map[string]tftypes.Value) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	r := &upgradePackageResource{data: &providerData{Catalog: cat}}
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ, ok := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("schema is not an object")
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
		if v, ok := args[name]; ok {
			vals[name] = v
		}
	}
	var resp resource.ValidateConfigResponse
	r.ValidateConfig(ctx, resource.ValidateConfigRequest{Config: tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, vals)}}, &resp)
	return resp.Diagnostics
}

func TestUpgradePackageValidateConfig(t *testing.T) {
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	good := "https://repo.example.com/ftd/" + fp1kPackage
	cases := []struct {
		name     string
		args     map[string]tftypes.Value
		errorOn  string // attribute of the first error; "" for none
		summary  string
		warnings int
	}{
		{"file name in another spelling", map[string]tftypes.Value{"file_name": str("Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh")}, "", "", 0},
		{"url", map[string]tftypes.Value{"url": str(good)}, "", "", 0},
		{"url and matching file name", map[string]tftypes.Value{"url": str(good), "file_name": str("Cisco_FTD_SSP_FP1K_Upgrade-7.6.1-291.sh")}, "", "", 0},
		{"unknown url", map[string]tftypes.Value{"url": unknown, "file_name": str(fp1kPackage)}, "", "", 0},
		{"bad file name", map[string]tftypes.Value{"file_name": str("Cisco_FTD_Upgrade-7.6.1-291.zip")}, "file_name", "Unrecognised upgrade package file name", 0},
		{"unknown prefix", map[string]tftypes.Value{"file_name": str("Cisco_ASA_Upgrade-7.6.1-291.sh.REL.tar")}, "file_name", "Unrecognised upgrade package file name", 0},
		{"fxos", map[string]tftypes.Value{"file_name": str("fxos-k9.2.16.0.128.SPA")}, "file_name", "FXOS bundles are not management center packages", 0},
		{"url not a package", map[string]tftypes.Value{"url": str("https://repo.example.com/ftd/index.html")}, "url", "Unrecognised upgrade package file name", 0},
		{"management center pointer", map[string]tftypes.Value{"url": str("https://repo.example.com/Cisco_Secure_FW_Mgmt_Center_Upgrade-7.6.1-291.sh.REL.tar")}, "url", "Management center packages cannot be pointers", 0},
		{"hotfix pointer", map[string]tftypes.Value{"url": str("https://repo.example.com/Cisco_FTD_Hotfix_DD-7.6.4.1-2.sh.REL.tar")}, "url", "Hotfixes need a manual upload", 0},
		{"hotfix adopted", map[string]tftypes.Value{"file_name": str("Cisco_FTD_Hotfix_DD-7.6.4.1-2.sh.REL.tar")}, "", "", 0},
		{"mismatch", map[string]tftypes.Value{"url": str(good), "file_name": str(demoFP3KListed)}, "file_name", "file_name and url name different packages", 0},
		{"credentials in url", map[string]tftypes.Value{"url": str("https://fetch:secret@repo.example.com/ftd/" + fp1kPackage)}, "", "", 1},
		{"certificates with http", map[string]tftypes.Value{"url": str("http://repo.example.com/ftd/" + fp1kPackage), "ca_certificates": str("x")}, "", "", 1},
		{"certificates without url", map[string]tftypes.Value{"file_name": str(fp1kPackage), "ca_certificates": str("x")}, "", "", 1},
		{"verify without url", map[string]tftypes.Value{"file_name": str(fp1kPackage), "verify_url": tftypes.NewValue(tftypes.Bool, true)}, "", "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diags := validatePackageConfig(t, tc.args)
			if tc.errorOn == "" {
				if diags.HasError() {
					t.Fatalf("unexpected errors: %v", diags)
				}
			} else {
				if !diags.HasError() {
					t.Fatalf("want an error on %s", tc.errorOn)
				}
				d := diags.Errors()[0]
				withPath, ok := d.(diag.DiagnosticWithPath)
				if !ok || !withPath.Path().Equal(fwpath.Root(tc.errorOn)) || d.Summary() != tc.summary {
					t.Fatalf("got %q on %v, want %q on %s", d.Summary(), d, tc.summary, tc.errorOn)
				}
			}
			if got := len(diags.Warnings()); got != tc.warnings {
				t.Fatalf("got %d warnings, want %d: %v", got, tc.warnings, diags)
			}
			for _, d := range diags {
				if strings.Contains(d.Detail(), "secret") {
					t.Fatalf("diagnostic leaks the URL password: %q", d.Detail())
				}
			}
		})
	}
}

func TestPackageURLValidator(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://repo.example.com/ftd/" + fp1kPackage, true},
		{"http://10.0.0.5:8080/" + fp1kPackage, true},
		{"ftp://repo.example.com/" + fp1kPackage, false},
		{"https:///" + fp1kPackage, false},
		{"https://repo.example.com/", false},
		{"https://repo.example.com", false},
		{"repo.example.com/" + fp1kPackage, false},
		{"https://user:pw@repo.example.com/%zz", false},
	} {
		var resp validator.StringResponse
		packageURLValidator.ValidateString(context.Background(), validator.StringRequest{Path: fwpath.Root("url"), ConfigValue: types.StringValue(tc.url)}, &resp)
		if resp.Diagnostics.HasError() == tc.ok {
			t.Errorf("%s: got %v", tc.url, resp.Diagnostics)
		}
		for _, d := range resp.Diagnostics {
			if strings.Contains(d.Detail(), ":pw@") {
				t.Errorf("%s: detail leaks the password: %s", tc.url, d.Detail())
			}
		}
	}
}

func TestPEMCertificatesValidator(t *testing.T) {
	valid := selfSignedPEM(t, time.Now().Add(24*time.Hour))
	expired := selfSignedPEM(t, time.Now().Add(-24*time.Hour))
	key := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
	for _, tc := range []struct {
		name, pem string
		errText   string // "" for valid
		warnings  int
	}{
		{"one", valid, "", 0},
		{"two with blank lines", "\n" + valid + "\n\n" + valid, "", 0},
		{"expired", expired, "", 1},
		{"empty", "   ", "no PEM certificate found", 0},
		{"garbage", "MIIB...", "no PEM certificate found", 0},
		{"private key", valid + key, "private key", 0},
		{"trailing text", valid + "oops", "text after certificate 1", 0},
		{"not DER", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificate 1 does not parse", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp validator.StringResponse
			pemCertificatesValidator.ValidateString(context.Background(), validator.StringRequest{Path: fwpath.Root("ca_certificates"), ConfigValue: types.StringValue(tc.pem)}, &resp)
			switch {
			case tc.errText == "" && resp.Diagnostics.HasError():
				t.Fatalf("unexpected error: %v", resp.Diagnostics)
			case tc.errText != "" && (!resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Detail(), tc.errText)):
				t.Fatalf("want an error containing %q, got %v", tc.errText, resp.Diagnostics)
			}
			if got := len(resp.Diagnostics.Warnings()); got != tc.warnings {
				t.Fatalf("got %d warnings, want %d", got, tc.warnings)
			}
		})
	}
	if !sameCertificates(valid, "\n"+valid+valid+"\n") || sameCertificates(valid, expired) {
		t.Fatal("sameCertificates compares text rather than certificates")
	}
}

func TestVerifyPackageURL(t *testing.T) {
	ctx := context.Background()
	repo := startPackageServer(t)
	repo.sizes["/ok/"+fp1kPackage] = fp1kPackageSize
	repo.sizes["/small/"+fp1kPackage] = 512
	ca := repo.CAPEM()

	size, err := verifyPackageURL(ctx, repo.URL+"/ok/"+fp1kPackage, ca)
	if err != nil || size != fp1kPackageSize {
		t.Fatalf("HEAD: %d, %v", size, err)
	}
	if _, err := verifyPackageURL(ctx, repo.URL+"/small/"+fp1kPackage, ca); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Fatalf("small file: %v", err)
	}
	if _, err := verifyPackageURL(ctx, repo.URL+"/none/"+fp1kPackage, ca); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := verifyPackageURL(ctx, repo.URL+"/ok/"+fp1kPackage, selfSignedPEM(t, time.Now().Add(time.Hour))); err == nil || !strings.Contains(err.Error(), "does not chain to ca_certificates") {
		t.Fatalf("wrong CA: %v", err)
	}
	if n := repo.count(http.MethodGet, ""); n != 1 {
		// HEAD answered the size, a 404 answer to HEAD is checked with
		// GET once, and a certificate failure is not tried again.
		t.Fatalf("%d GET requests: %v", n, repo.requests)
	}
	// The test certificate names 127.0.0.1 and example.com, not localhost.
	if _, err := verifyPackageURL(ctx, strings.Replace(repo.URL, "127.0.0.1", "localhost", 1)+"/ok/"+fp1kPackage, ca); err == nil || !strings.Contains(err.Error(), "not valid for this host name") {
		t.Fatalf("host name: %v", err)
	}

	repo.refuseHead = true
	size, err = verifyPackageURL(ctx, "https://user:hunter2@"+strings.TrimPrefix(repo.URL, "https://")+"/ok/"+fp1kPackage, ca)
	if err != nil || size != fp1kPackageSize {
		t.Fatalf("range GET: %d, %v", size, err)
	}
	_, err = verifyPackageURL(ctx, "https://user:hunter2@"+strings.TrimPrefix(repo.URL, "https://")+"/none/"+fp1kPackage, ca)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password or is missing: %v", err)
	}

	repo.refuseHead, repo.html = false, true
	if _, err := verifyPackageURL(ctx, repo.URL+"/ok/"+fp1kPackage, ca); err == nil || !strings.Contains(err.Error(), "web page") {
		t.Fatalf("login page: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := verifyPackageURL(cancelled, repo.URL+"/ok/"+fp1kPackage, ca); err == nil {
		t.Fatal("a cancelled context should stop the check")
	}
}

func TestPackageSpellings(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	names, err := packageSpellings(cat, "Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh", demoFP3KListed, "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-172.sh", "Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh.REL.tar"} {
		if !slices.Contains(names, want) {
			t.Errorf("spellings %v lack %s", names, want)
		}
	}
	if names[0] != "Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh" {
		t.Errorf("the given name should come first: %v", names)
	}
	if _, err := packageSpellings(cat, "fxos-k9.2.16.0.128.SPA"); err == nil {
		t.Error("an FXOS bundle is not a management center package")
	}
	if !samePackage(cat, "Cisco_FTD_SSP_FP3K_Upgrade-7.4.2-172.sh", demoFP3KListed) ||
		samePackage(cat, demoFP3KListed, "Cisco_FTD_SSP-FP3K_Upgrade-7.4.2-173.sh.REL.tar") ||
		samePackage(cat, "Cisco_FTD_SSP_Upgrade-7.4.2-172.sh.REL.tar", demoFP3KListed) {
		t.Error("samePackage confuses packages")
	}
}

// The simulator accepts the inferred registration call by default, so a
// pointer to an internal server is registered there directly.
func TestAccUpgradePackage_registerOnSimulator(t *testing.T) {
	srv := fmcsim.StartTest(t, fmcsim.Options{})
	addr := "fmcupgrade_upgrade_package.fp1k"
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: simProviderConfig(srv, "") + `
resource "fmcupgrade_upgrade_package" "fp1k" {
  url = "http://repo.example.invalid/ftd/` + fp1kPackage + `"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("file_name"), knownvalue.StringExact(fp1kPackage)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("platform"), knownvalue.StringExact("firepower_1000")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.StringExact("7.6.1")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("build"), knownvalue.Int64Exact(291)),
				},
			},
		},
	})
	if st := srv.Stats(); st.ByRoute["POST /api/fmc_platform/v1/updates/upgradepackages"] != 1 {
		t.Fatalf("registration requests: %v", st.ByRoute)
	}
}
