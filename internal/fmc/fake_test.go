package fmc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx/httpxtest"
)

// This file holds a small management center fake that reproduces the wire
// behaviours the client relies on: token headers at login, 30-minute tokens
// with three refreshes, 401 with the FRAMEWORK error body, a rolling-minute
// request limit answered with 429, the paging envelope with absolute next
// links, and per-test handlers for everything else.

const (
	testUser       = "apiuser"
	testPassword   = "S3cret-Passw0rd!"
	branchUUID     = "9e3c1f7a-5d2b-4c6e-8f10-00000000b001"
	testDomainsHdr = `[{"name":"Global","uuid":"e276abec-e0f2-11e3-8169-6d9ed49b625f"},{"name":"Global/Branch","uuid":"9e3c1f7a-5d2b-4c6e-8f10-00000000b001"}]`
)

// fakeClock is a manual clock: Sleep advances it at once.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d > 0 {
		f.t = f.t.Add(d)
	}
	f.slept = append(f.slept, d)
	return nil
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

type fakeToken struct {
	refresh   string
	issued    time.Time
	refreshes int
	revoked   bool
}

type seenRequest struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	At     time.Time
}

type fakeFMC struct {
	t     testing.TB
	clock *fakeClock
	srv   *httptest.Server

	mu        sync.Mutex
	tokens    map[string]*fakeToken
	seq       int
	logins    int
	refreshes int
	requests  []seenRequest
	handlers  map[string]http.HandlerFunc
	noDomains bool
	rpm       int         // rolling-minute limit; 0 = none
	window    []time.Time // accepted request times
	throttled int
	// unauthorised counts 401 answers to API calls (not logins).
	unauthorised int
	retryAfter   string
	// fault, when set, sees every request first; it returns true when it
	// answered (or dropped) the request itself.
	fault func(w http.ResponseWriter, r *http.Request, n int) bool
	// echoTokens makes error bodies quote the token they refused, to prove
	// the client scrubs what the server echoes.
	echoTokens bool
}

func newFakeFMC(t testing.TB, clock *fakeClock) *fakeFMC {
	t.Helper()
	f := &fakeFMC{t: t, clock: clock, tokens: map[string]*fakeToken{}, handlers: map[string]http.HandlerFunc{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFMC) now() time.Time {
	if f.clock != nil {
		return f.clock.Now()
	}
	return time.Now()
}

// handle registers a handler for "METHOD /path"; {domain} stands for the
// Global domain path prefix.
func (f *fakeFMC) handle(route string, h http.HandlerFunc) {
	route = strings.ReplaceAll(route, "{domain}", "/api/fmc_config/v1/domain/"+GlobalDomainUUID)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[route] = h
}

func (f *fakeFMC) count(method, path string) int {
	path = strings.ReplaceAll(path, "{domain}", "/api/fmc_config/v1/domain/"+GlobalDomainUUID)
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func (f *fakeFMC) seen() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.requests...)
}

func (f *fakeFMC) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tk := range f.tokens {
		tk.revoked = true
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"category": "FRAMEWORK", "severity": "ERROR", "messages": []map[string]any{{"description": msg}},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeFMC) serve(w http.ResponseWriter, r *http.Request) {
	body := make([]byte, 0)
	if r.Body != nil {
		b, _ := readAll(r)
		body = b
	}
	f.mu.Lock()
	n := len(f.requests) + 1
	f.requests = append(f.requests, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, At: f.now()})
	fault := f.fault
	f.mu.Unlock()

	if fault != nil && fault(w, r, n) {
		return
	}
	if f.limited() {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeError(w, http.StatusTooManyRequests, "Too many requests. Retry after some time.")
		return
	}

	switch r.URL.Path {
	case pathGenerateToken:
		f.login(w, r)
		return
	case pathRefreshToken:
		f.refresh(w, r)
		return
	}
	if !f.authorised(w, r) {
		return
	}
	f.mu.Lock()
	h := f.handlers[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if h == nil {
		writeError(w, http.StatusNotFound, "The requested resource was not found.")
		return
	}
	r.Body = readCloser(body)
	h(w, r)
}

func (f *fakeFMC) limited() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rpm <= 0 {
		return false
	}
	now := f.now()
	keep := f.window[:0]
	for _, t := range f.window {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	f.window = keep
	if len(f.window) >= f.rpm {
		f.throttled++
		return true
	}
	f.window = append(f.window, now)
	return false
}

func (f *fakeFMC) newTokens() (string, string) {
	f.seq++
	return fmt.Sprintf("acc-%04d-7f3c9e1b2d", f.seq), fmt.Sprintf("ref-%04d-a81e55c0f4", f.seq)
}

func (f *fakeFMC) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != testUser || pass != testPassword {
		msg := "Invalid username or password."
		if f.echoTokens {
			msg += " Received password " + pass + "."
		}
		writeError(w, http.StatusUnauthorized, msg)
		return
	}
	f.mu.Lock()
	acc, ref := f.newTokens()
	f.tokens[acc] = &fakeToken{refresh: ref, issued: f.now()}
	f.logins++
	noDomains := f.noDomains
	f.mu.Unlock()
	w.Header().Set(hdrAccess, acc)
	w.Header().Set(hdrRefresh, ref)
	w.Header().Set(hdrDomainUUID, GlobalDomainUUID)
	w.Header().Set("global", GlobalDomainUUID)
	if !noDomains {
		w.Header().Set(hdrDomains, testDomainsHdr)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeFMC) refresh(w http.ResponseWriter, r *http.Request) {
	acc := r.Header.Get(hdrAccess)
	ref := r.Header.Get(hdrRefresh)
	f.mu.Lock()
	defer f.mu.Unlock()
	tk := f.tokens[acc]
	if tk == nil || tk.refresh != ref || tk.revoked || tk.refreshes >= maxRefreshes {
		msg := "Invalid refresh token."
		if f.echoTokens {
			msg += " Token " + acc + "/" + ref + " refused."
		}
		writeError(w, http.StatusUnauthorized, msg)
		return
	}
	delete(f.tokens, acc)
	nacc, nref := f.newTokens()
	f.tokens[nacc] = &fakeToken{refresh: nref, issued: f.now(), refreshes: tk.refreshes + 1}
	f.refreshes++
	w.Header().Set(hdrAccess, nacc)
	w.Header().Set(hdrRefresh, nref)
	w.Header().Set(hdrDomainUUID, GlobalDomainUUID)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeFMC) authorised(w http.ResponseWriter, r *http.Request) bool {
	acc := r.Header.Get(hdrAccess)
	f.mu.Lock()
	tk := f.tokens[acc]
	ok := tk != nil && !tk.revoked && f.now().Sub(tk.issued) < tokenLifetime
	echo := f.echoTokens
	if !ok {
		f.unauthorised++
	}
	f.mu.Unlock()
	if !ok {
		msg := "Access token invalid."
		if echo && acc != "" {
			msg = "Access token invalid: " + acc
		}
		writeError(w, http.StatusUnauthorized, msg)
	}
	return ok
}

// servePaged answers a list request with the paging envelope, honouring
// offset and limit (capped at 1000) and pointing next at an absolute URL on
// a host the client cannot reach, as a management center behind NAT does.
func servePaged(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	end := min(offset+limit, len(items))
	page := []any{}
	if offset < len(items) {
		page = items[offset:end]
	}
	pages := (len(items) + limit - 1) / limit
	paging := map[string]any{"offset": offset, "limit": limit, "count": len(items), "pages": pages}
	self := fmt.Sprintf("https://fmc.unreachable.invalid%s?offset=%d&limit=%d", r.URL.Path, offset, limit)
	if end < len(items) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("offset", strconv.Itoa(end))
		nq.Set("limit", strconv.Itoa(limit))
		paging["next"] = []string{"https://fmc.unreachable.invalid" + r.URL.Path + "?" + nq.Encode()}
	}
	out := map[string]any{"links": map[string]any{"self": self}, "paging": paging}
	if len(page) > 0 {
		out["items"] = page
	}
	writeJSON(w, http.StatusOK, out)
}

type logSink = httpxtest.LogSink

type clientOpt func(*Config)

func newTestClient(t *testing.T, f *fakeFMC, opts ...clientOpt) (*Client, *logSink) {
	t.Helper()
	sink := &logSink{}
	cfg := Config{
		URL:      f.srv.URL,
		Username: testUser,
		Password: testPassword,
		Logger:   sink.Logger(),
		Retry:    RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 8 * time.Second},
	}
	if f.clock != nil {
		cfg.Now = f.clock.Now
		cfg.Sleep = f.clock.Sleep
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c, sink
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func mustJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body %q is not a JSON object: %v", b, err)
	}
	return m
}

func readAll(r *http.Request) ([]byte, error) {
	defer func() { _ = r.Body.Close() }()
	return io.ReadAll(r.Body)
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
