package fmc

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewValidatesConfig(t *testing.T) {
	good := Config{URL: "https://fmc.example.com", Username: "u", Password: "p"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"ok", func(*Config) {}, ""},
		{"trailing slash", func(c *Config) { c.URL = "https://fmc.example.com/" }, ""},
		{"http allowed", func(c *Config) { c.URL = "http://127.0.0.1:8080" }, ""},
		{"empty url", func(c *Config) { c.URL = " " }, "url is required"},
		{"ftp scheme", func(c *Config) { c.URL = "ftp://fmc" }, "must start with https://"},
		{"no scheme", func(c *Config) { c.URL = "fmc.example.com" }, "must start with https://"},
		{"no host", func(c *Config) { c.URL = "https://" }, "has no host"},
		{"credentials in url", func(c *Config) { c.URL = "https://admin:pw@fmc" }, "must not carry credentials"},
		{"query", func(c *Config) { c.URL = "https://fmc/?a=b" }, "must not have a query"},
		{"no username", func(c *Config) { c.Username = "" }, "username is required"},
		{"no password", func(c *Config) { c.Password = "" }, "password is required"},
		{"negative rpm", func(c *Config) { c.RequestsPerMinute = -1 }, "requests_per_minute"},
		{"ca not pem", func(c *Config) { c.CACertificatePEM = "hello" }, "holds no PEM certificate"},
		{"ca wrong block", func(c *Config) {
			c.CACertificatePEM = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, `PEM block 1 is a "PRIVATE KEY"`},
		{"ca corrupt cert", func(c *Config) {
			c.CACertificatePEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
		}, "PEM block 1: x509"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mutate(&cfg)
			_, err := New(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Fatalf("error leaks URL credentials: %v", err)
			}
		})
	}
}

func TestNewWarnsAboutInsecureAndPlainHTTP(t *testing.T) {
	sink := &logSink{}
	if _, err := New(Config{URL: "http://127.0.0.1:1", Username: "u", Password: "p", Insecure: true, Logger: sink.Logger()}); err != nil {
		t.Fatal(err)
	}
	if !sink.Contains("verification is disabled") || !sink.Contains("plain http") {
		t.Fatalf("missing warnings in %q", sink.All())
	}
}

func tlsFake(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathGenerateToken:
			w.Header().Set(hdrAccess, "tls-access-token")
			w.Header().Set(hdrRefresh, "tls-refresh-token")
			w.Header().Set(hdrDomainUUID, GlobalDomainUUID)
			w.Header().Set(hdrDomains, testDomainsHdr)
			w.WriteHeader(http.StatusNoContent)
		case pathServerVersion:
			writeJSON(w, 200, map[string]any{"items": []any{map[string]any{"serverVersion": "7.4.2 (build 172)", "type": "ServerVersion"}}, "paging": map[string]any{"count": 1}})
		default:
			writeError(w, 404, "not found")
		}
	}))
	// The untrusted-CA case makes the server log a handshake failure.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return srv, caPEM
}

func TestTLSVerification(t *testing.T) {
	srv, caPEM := tlsFake(t)
	ctx := context.Background()

	t.Run("custom CA trusted", func(t *testing.T) {
		c, err := New(Config{URL: srv.URL, Username: "u", Password: "p", CACertificatePEM: caPEM})
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.ServerVersion(ctx)
		if err != nil {
			t.Fatalf("ServerVersion: %v", err)
		}
		if n, b := v.Version(); n != "7.4.2" || b != "172" {
			t.Fatalf("Version() = %q, %q", n, b)
		}
	})

	t.Run("unknown CA refused without retries", func(t *testing.T) {
		sink := &logSink{}
		clock := newFakeClock()
		c, err := New(Config{URL: srv.URL, Username: "u", Password: "p", Logger: sink.Logger(), Now: clock.Now, Sleep: clock.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ServerVersion(ctx)
		if err == nil || !strings.Contains(err.Error(), "not trusted") || !strings.Contains(err.Error(), "ca_certificate") {
			t.Fatalf("err = %v, want a certificate error pointing at ca_certificate", err)
		}
		var uerr x509.UnknownAuthorityError
		if !errors.As(err, &uerr) {
			t.Fatalf("err %v does not wrap x509.UnknownAuthorityError", err)
		}
		if len(clock.Sleeps()) != 0 {
			t.Fatalf("a certificate failure was retried: sleeps %v", clock.Sleeps())
		}
	})

	t.Run("insecure skips verification", func(t *testing.T) {
		c, err := New(Config{URL: srv.URL, Username: "u", Password: "p", Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ServerVersion(ctx); err != nil {
			t.Fatalf("ServerVersion: %v", err)
		}
	})
}

func TestDomainSelection(t *testing.T) {
	tests := []struct {
		name      string
		domain    string
		noDomains bool
		wantUUID  string
		wantErr   string
	}{
		{"default global", "", false, GlobalDomainUUID, ""},
		{"global by name any case", "gLoBaL", false, GlobalDomainUUID, ""},
		{"child full name", "Global/Branch", false, branchUUID, ""},
		{"child short name", "branch", false, branchUUID, ""},
		{"by uuid", strings.ToUpper(branchUUID), false, branchUUID, ""},
		{"unknown lists domains", "Lab", false, "", `domain "Lab" not found; this user can reach: Global (e276abec-e0f2-11e3-8169-6d9ed49b625f), Global/Branch (9e3c1f7a-5d2b-4c6e-8f10-00000000b001)`},
		{"no DOMAINS header uses login domain", "", true, GlobalDomainUUID, ""},
		{"explicit Global without DOMAINS header", "Global", true, GlobalDomainUUID, ""},
		{"no DOMAINS header, child unknown", "Branch", true, "", `domain "Branch" not found`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			f.noDomains = tc.noDomains
			c, _ := newTestClient(t, f, func(c *Config) { c.Domain = tc.domain })
			d, err := c.Domain(context.Background())
			if tc.wantErr != "" {
				var de *DomainError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &de) {
					t.Fatalf("err = %v, want *DomainError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.UUID != tc.wantUUID {
				t.Fatalf("domain = %+v, want uuid %s", d, tc.wantUUID)
			}
		})
	}
}

func TestSelectDomainDefaults(t *testing.T) {
	child := []Domain{{Name: "Global/Branch", UUID: branchUUID}, {Name: "Global/Lab", UUID: "lab-uuid"}}
	if d, err := SelectDomain("", child, branchUUID); err != nil || d.UUID != branchUUID {
		t.Fatalf("user confined to a child domain: %+v, %v", d, err)
	}
	if d, err := SelectDomain("", child[:1], ""); err != nil || d.UUID != branchUUID {
		t.Fatalf("single domain: %+v, %v", d, err)
	}
	if _, err := SelectDomain("", child, "other"); err == nil || !strings.Contains(err.Error(), "Global/Lab") {
		t.Fatalf("ambiguous default: %v", err)
	}
	if _, err := SelectDomain("Leaf", []Domain{{Name: "Global/A/Leaf", UUID: "1"}, {Name: "Global/B/Leaf", UUID: "2"}}, ""); err == nil {
		t.Fatal("an ambiguous short name was accepted")
	}
}

func TestDomainPathUsesSelectedDomain(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET /api/fmc_config/v1/domain/"+branchUUID+"/devices/devicerecords", func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"id": "d1", "name": "branch-ftd"}})
	})
	c, _ := newTestClient(t, f, func(c *Config) { c.Domain = "Branch" })
	devs, err := c.ListDevices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].Name != "branch-ftd" {
		t.Fatalf("ListDevices = %+v, %v", devs, err)
	}
}

func TestLoginRefusedIsAuthError(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	c, _ := newTestClient(t, f, func(c *Config) { c.Password = "wrong-password" })
	err := c.Login(context.Background())
	var ae *AuthError
	if !errors.Is(err, ErrAuthentication) || !errors.As(err, &ae) {
		t.Fatalf("err = %v, want ErrAuthentication", err)
	}
	if StatusCode(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "Invalid username or password.") {
		t.Fatalf("err = %v, want the server's 401 message", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if f.count(http.MethodPost, pathGenerateToken) != 1 {
		t.Fatalf("a refused login was retried")
	}
}

func TestLoginWithoutTokenHeader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, Username: "u", Password: "pass"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background()); err == nil || !strings.Contains(err.Error(), "carries no X-auth-access-token") {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	f := newFakeFMC(t, nil)
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1 (build 291)"}})
	})
	c, _ := newTestClient(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ServerVersion(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f.logins != 1 {
		t.Fatalf("logins = %d, want 1", f.logins)
	}
}

func TestTokenRenewalRefreshesThreeTimesThenLogsIn(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFMC(t, clock)
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1 (build 291)"}})
	})
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	for i := range 6 {
		if _, err := c.ServerVersion(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		clock.Advance(26 * time.Minute)
	}
	// Calls at 0, 26, 52, 78, 104, 130 minutes: login, 3 refreshes, login, refresh.
	if f.logins != 2 || f.refreshes != 4 {
		t.Fatalf("logins = %d, refreshes = %d; want 2 and 4", f.logins, f.refreshes)
	}
	for _, r := range f.seen() {
		if r.Method == http.MethodGet && r.Path == pathServerVersion {
			continue
		}
		if r.Path != pathGenerateToken && r.Path != pathRefreshToken {
			t.Fatalf("unexpected request %s %s", r.Method, r.Path)
		}
	}
	if n := f.count(http.MethodGet, pathServerVersion); n != 6 {
		t.Fatalf("%d version reads, want 6: no call should have met a 401", n)
	}
}

func Test401RenewsOnceAndRepeats(t *testing.T) {
	t.Run("revoked token: refresh refused, login again, repeat", func(t *testing.T) {
		f := newFakeFMC(t, newFakeClock())
		f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
			servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
		})
		c, _ := newTestClient(t, f)
		ctx := context.Background()
		if _, err := c.ServerVersion(ctx); err != nil {
			t.Fatal(err)
		}
		f.revokeAll()
		if _, err := c.ServerVersion(ctx); err != nil {
			t.Fatalf("after revocation: %v", err)
		}
		if f.logins != 2 || f.count(http.MethodPost, pathRefreshToken) != 1 {
			t.Fatalf("logins = %d, refresh attempts = %d; want 2 and 1", f.logins, f.count(http.MethodPost, pathRefreshToken))
		}
	})

	t.Run("expired token refreshed", func(t *testing.T) {
		clock := newFakeClock()
		f := newFakeFMC(t, clock)
		f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
			servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
		})
		c, _ := newTestClient(t, f)
		ctx := context.Background()
		if _, err := c.ServerVersion(ctx); err != nil {
			t.Fatal(err)
		}
		// Server-side expiry earlier than the client expects.
		f.mu.Lock()
		for _, tk := range f.tokens {
			tk.issued = tk.issued.Add(-time.Hour)
		}
		f.mu.Unlock()
		if _, err := c.ServerVersion(ctx); err != nil {
			t.Fatal(err)
		}
		if f.refreshes != 1 || f.logins != 1 {
			t.Fatalf("refreshes = %d, logins = %d; want 1 and 1", f.refreshes, f.logins)
		}
	})

	t.Run("persistent 401 is reported after one renewal", func(t *testing.T) {
		f := newFakeFMC(t, newFakeClock())
		f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusUnauthorized, "User is not authorised for this resource.")
		})
		c, _ := newTestClient(t, f)
		_, err := c.ServerVersion(context.Background())
		if StatusCode(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "not authorised") {
			t.Fatalf("err = %v", err)
		}
		if n := f.count(http.MethodGet, pathServerVersion); n != 2 {
			t.Fatalf("%d attempts, want 2", n)
		}
	})
}

// TestNoSecretInLogsOrErrors drives a login, a refresh, a 401 with re-login,
// a refused login and server messages that quote the tokens, and checks that
// neither the password nor any token appears in a log line or an error.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFMC(t, clock)
	f.echoTokens = true
	f.handle("GET "+pathServerVersion, func(w http.ResponseWriter, r *http.Request) {
		servePaged(w, r, []any{map[string]any{"serverVersion": "7.6.1"}})
	})
	f.handle("GET {domain}/devices/devicerecords/leaky", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusBadRequest, "Bad request from token "+r.Header.Get(hdrAccess)+" and password "+testPassword)
	})
	c, sink := newTestClient(t, f)
	ctx := context.Background()
	var errs []error
	record := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	_, err := c.ServerVersion(ctx) // login
	record(err)
	clock.Advance(26 * time.Minute)
	_, err = c.ServerVersion(ctx) // proactive refresh
	record(err)
	f.revokeAll()
	_, err = c.ServerVersion(ctx) // 401, refused refresh (echoing tokens), login
	record(err)
	_, err = c.GetDevice(ctx, "leaky") // error body quoting token and password
	record(err)
	bad, _ := newTestClient(t, f, func(cfg *Config) { cfg.Password = "Another-Secret-9" })
	record(bad.Login(ctx)) // refused login echoing the password

	if len(errs) != 2 {
		t.Fatalf("errors = %v, want the leaky read and the refused login", errs)
	}

	f.mu.Lock()
	secrets := []string{testPassword, "Another-Secret-9", basicAuth(testUser, testPassword)}
	for acc, tk := range f.tokens {
		secrets = append(secrets, acc, tk.refresh)
	}
	seq := f.seq
	f.mu.Unlock()
	for i := 1; i <= seq; i++ {
		secrets = append(secrets, fmtToken("acc", i), fmtToken("ref", i))
	}
	if seq < 3 {
		t.Fatalf("only %d token pairs issued; the cycle did not run", seq)
	}

	texts := append(sink.All(), func() []string {
		var s []string
		for _, e := range errs {
			s = append(s, e.Error())
		}
		return s
	}()...)
	for _, text := range texts {
		for _, sec := range secrets {
			if sec != "" && strings.Contains(text, sec) {
				t.Errorf("secret %q appears in %q", sec, text)
			}
		}
	}
	if !strings.Contains(errs[0].Error(), "Bad request from token *** and password ***") {
		t.Fatalf("server message not kept (scrubbed): %v", errs[0])
	}
}

func fmtToken(kind string, i int) string {
	if kind == "acc" {
		return fmt.Sprintf("acc-%04d-7f3c9e1b2d", i)
	}
	return fmt.Sprintf("ref-%04d-a81e55c0f4", i)
}

func TestEmbeddedErrorIn2xxBody(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/devices/devicerecords/x", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"error": map[string]any{"category": "OTHER", "severity": "ERROR", "messages": []any{map[string]any{"description": "Device is being deleted."}}}})
	})
	c, _ := newTestClient(t, f)
	_, err := c.GetDevice(context.Background(), "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 200 || ae.Category != "OTHER" || ae.Messages[0] != "Device is being deleted." {
		t.Fatalf("err = %#v", err)
	}
}

func TestUnexpectedFieldTypeIsTolerated(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/devices/devicerecords/odd", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"odd","name":"ftd-odd","sw_version":7.4,"model":"Cisco Firepower 2130 Threat Defense","metadata":{"task":"object","domain":"object","isPartOfContainer":"true"}}`))
	})
	c, sink := newTestClient(t, f)
	d, err := c.GetDevice(context.Background(), "odd")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "ftd-odd" || d.Model == "" || !d.Metadata.IsPartOfContainer || d.SWVersion != "" {
		t.Fatalf("device = %+v", d)
	}
	if !sink.Contains("unexpected type") {
		t.Fatalf("the odd field was not logged: %q", sink.All())
	}
}

func TestRequestIDsAreValidated(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	for _, id := range []string{"", " ", "a/b", "x?y"} {
		if _, err := c.GetDevice(ctx, id); err == nil {
			t.Fatalf("GetDevice(%q) accepted", id)
		}
	}
	if len(f.seen()) != 0 {
		t.Fatalf("invalid ids reached the server: %v", f.seen())
	}
}
