package fmcsim

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGenerateToken(t *testing.T) {
	h := newHarness(t, demo(t))
	cases := []struct {
		name       string
		user, pass string
		basic      bool
		want       int
	}{
		{"valid", "admin", "Admin123", true, 204},
		{"wrong password", "admin", "nope", true, 401},
		{"wrong user", "root", "Admin123", true, 401},
		{"no basic auth", "", "", false, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", h.srv.URL()+"/api/fmc_platform/v1/auth/generatetoken", nil)
			if tc.basic {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := h.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want != 204 {
				var eb errorBody
				if json.NewDecoder(resp.Body).Decode(&eb) != nil || eb.Error.Category != "FRAMEWORK" || len(eb.Error.Messages) != 1 {
					t.Fatalf("401 without the error body")
				}
				if resp.Header.Get("X-auth-access-token") != "" {
					t.Fatal("token issued on failure")
				}
				return
			}
			if resp.Header.Get("X-auth-access-token") == "" || resp.Header.Get("X-auth-refresh-token") == "" {
				t.Fatal("token headers missing")
			}
			if got := resp.Header.Get("DOMAIN_UUID"); got != GlobalDomainUUID {
				t.Fatalf("DOMAIN_UUID = %q", got)
			}
			var doms []struct{ Name, UUID string }
			if err := json.Unmarshal([]byte(resp.Header.Get("DOMAINS")), &doms); err != nil || len(doms) != 3 || doms[0].Name != "Global" || doms[1].Name != "Global/DataCenter" {
				t.Fatalf("DOMAINS = %q (%v)", resp.Header.Get("DOMAINS"), err)
			}
		})
	}
}

// TestTokenHeaderSpelling reads the raw response: the management center
// spells DOMAIN_UUID and X-auth-access-token exactly so.
func TestTokenHeaderSpelling(t *testing.T) {
	h := newHarness(t, demo(t))
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = conn.Write([]byte("POST /api/fmc_platform/v1/auth/generatetoken HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46QWRtaW4xMjM=\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	raw := map[string]bool{}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		if k, _, ok := strings.Cut(line, ":"); ok {
			raw[k] = true
		}
	}
	for _, k := range []string{"X-auth-access-token", "X-auth-refresh-token", "DOMAIN_UUID", "DOMAINS", "global"} {
		if !raw[k] {
			t.Errorf("header %s not sent with that spelling; got %v", k, raw)
		}
	}
}

func TestAccessTokenRules(t *testing.T) {
	h := newHarness(t, demo(t))
	h.manualAuth = true
	path := "/api/fmc_platform/v1/info/serverversion"
	resp, b := h.do("GET", path, nil)
	if resp.StatusCode != 401 || !strings.Contains(errorDescription(t, b), "Access token invalid") {
		t.Fatalf("no token: %d %s", resp.StatusCode, b)
	}
	h.token = "not-a-token"
	if resp, _ := h.do("GET", path, nil); resp.StatusCode != 401 {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}
	h.loginNow()
	h.call("GET", path, nil, 200, nil)
	h.clock.Advance(29*time.Minute + 59*time.Second)
	h.call("GET", path, nil, 200, nil)
	h.clock.Advance(time.Second)
	resp, b = h.do("GET", path, nil)
	if resp.StatusCode != 401 || !strings.Contains(errorDescription(t, b), "expired") {
		t.Fatalf("after 30 minutes: %d %s", resp.StatusCode, b)
	}
}

func (h *harness) refreshNow() int {
	req, _ := http.NewRequest("POST", h.srv.URL()+"/api/fmc_platform/v1/auth/refreshtoken", nil)
	req.Header.Set("X-auth-access-token", h.token)
	req.Header.Set("X-auth-refresh-token", h.refresh)
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 204 {
		if resp.Header.Get("DOMAIN_UUID") == "" {
			h.t.Fatal("refresh without DOMAIN_UUID")
		}
		h.token = resp.Header.Get("X-auth-access-token")
		h.refresh = resp.Header.Get("X-auth-refresh-token")
	}
	return resp.StatusCode
}

func TestRefreshAtMostThreeTimes(t *testing.T) {
	h := newHarness(t, demo(t))
	h.manualAuth = true
	path := "/api/fmc_platform/v1/info/serverversion"
	h.loginNow()
	for i := 1; i <= 3; i++ {
		h.clock.Advance(31 * time.Minute) // the access token has expired; refresh still works
		old := h.token
		if st := h.refreshNow(); st != 204 {
			t.Fatalf("refresh %d: status %d", i, st)
		}
		if h.token == old {
			t.Fatal("refresh returned the same access token")
		}
		h.call("GET", path, nil, 200, nil)
		cur := h.token
		h.token = old
		if resp, _ := h.do("GET", path, nil); resp.StatusCode != 401 {
			t.Fatalf("the replaced token still works after refresh %d", i)
		}
		h.token = cur
	}
	if st := h.refreshNow(); st != 401 {
		t.Fatalf("fourth refresh: status %d, want 401", st)
	}
	// The session is over; logging in again starts a new one.
	h.loginNow()
	h.call("GET", path, nil, 200, nil)
	if st := h.refreshNow(); st != 204 {
		t.Fatalf("refresh after a new login: %d", st)
	}
}

func TestRefreshNeedsItsOwnAccessToken(t *testing.T) {
	h := newHarness(t, demo(t))
	h.manualAuth = true
	h.loginNow()
	first := h.token
	h.loginNow()
	h.token = first
	if st := h.refreshNow(); st != 401 {
		t.Fatalf("refresh with another session's access token: %d", st)
	}
	h.refresh = "bogus"
	if st := h.refreshNow(); st != 401 {
		t.Fatalf("unknown refresh token: %d", st)
	}
}

func TestRevokeTokensFault(t *testing.T) {
	h := newHarness(t, demo(t))
	h.manualAuth = true
	h.loginNow()
	path := "/api/fmc_platform/v1/info/serverversion"
	if _, err := h.srv.AddFault(Fault{Kind: FaultRevokeTokens, StartAfter: Duration(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	h.call("GET", path, nil, 200, nil)
	h.clock.Advance(5 * time.Minute)
	h.call("GET", path, nil, 401, nil)
	if st := h.refreshNow(); st != 401 {
		t.Fatalf("refresh after revocation: %d", st)
	}
	h.loginNow()
	h.call("GET", path, nil, 200, nil)
}

func TestRateLimit(t *testing.T) {
	sc := demo(t)
	sc.ManagementCenter.RetryAfter = true
	h := newHarness(t, sc)
	h.loginNow() // counts against the client address, not the session
	path := "/api/fmc_platform/v1/info/serverversion"
	for i := 1; i <= 120; i++ {
		if resp, b := h.do("GET", path, nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, b)
		}
	}
	resp, b := h.do("GET", path, nil)
	if resp.StatusCode != 429 {
		t.Fatalf("121st request: %d", resp.StatusCode)
	}
	if d := errorDescription(t, b); !strings.Contains(d, "120 requests per minute") {
		t.Fatalf("429 body: %s", d)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "60" {
		t.Fatalf("Retry-After = %q", ra)
	}
	if st := h.srv.Stats(); st.Throttled != 1 || st.Requests != 122 {
		t.Fatalf("stats: %+v", st)
	}
	// Another session has its own budget.
	other := *h
	other.loginNow()
	other.call("GET", path, nil, 200, nil)
	// The window slides.
	h.clock.Advance(59 * time.Second)
	h.call("GET", path, nil, 429, nil)
	h.clock.Advance(time.Second)
	h.call("GET", path, nil, 200, nil)
}

func TestRateLimitWithoutRetryAfterAndConfigurable(t *testing.T) {
	h := newHarness(t, demo(t), func(o *Options) { o.RequestsPerMinute = 3 })
	h.loginNow()
	for i := 0; i < 3; i++ {
		h.call("GET", "/api/fmc_platform/v1/info/serverversion", nil, 200, nil)
	}
	resp, _ := h.do("GET", "/api/fmc_platform/v1/info/serverversion", nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestConnectionsPerClientLimit(t *testing.T) {
	h := newHarness(t, demo(t), func(o *Options) { o.MaxConnectionsPerIP = 2 })
	h.loginNow()
	if _, err := h.srv.AddFault(Fault{Kind: FaultSlowResponse, Delay: Duration(400 * time.Millisecond), Count: 3, Path: "/api/fmc_platform/v1/info/serverversion"}); err != nil {
		t.Fatal(err)
	}
	codes := make(chan int, 3)
	for i := 0; i < 3; i++ {
		go func() {
			req, _ := http.NewRequest("GET", h.srv.URL()+"/api/fmc_platform/v1/info/serverversion", nil)
			req.Header.Set("X-auth-access-token", h.token)
			resp, err := h.hc.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
		time.Sleep(50 * time.Millisecond)
	}
	got := map[int]int{}
	for i := 0; i < 3; i++ {
		got[<-codes]++
	}
	if got[200] != 2 || got[429] != 1 {
		t.Fatalf("status counts %v, want two 200 and one 429", got)
	}
}
