package fmcsim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
)

// Options configure a simulator.
type Options struct {
	// Scenario is the estate; nil means the built-in demo.
	Scenario *Scenario
	// Clock drives simulated time. Nil means a ScaledClock starting at the
	// scenario's start time (or now) running TimeScale times real time.
	Clock     Clock
	TimeScale float64
	// RateClock times the request-rate window. Nil means Clock when it is
	// a *ManualClock (tests control everything) and the wall clock
	// otherwise, because clients limit themselves in real time.
	RateClock Clock
	// Username and Password default to admin / Admin123.
	Username, Password string
	// PlainHTTP serves HTTP instead of HTTPS with a self-signed certificate.
	PlainHTTP bool
	// Addr is the listen address; it must be a loopback address. The
	// default is 127.0.0.1:0 (any free port).
	Addr string
	// RequestsPerMinute overrides the scenario's rate limit (default 120).
	RequestsPerMinute int
	// MaxConnectionsPerIP bounds simultaneous requests per client address
	// (the management center allows 10); negative disables the check.
	MaxConnectionsPerIP int
	// Logf, if set, receives one line per notable event.
	Logf func(format string, args ...any)
}

// Server is a running (or ready to run) simulator of a management center
// and its chassis managers.
type Server struct {
	sim                *sim
	username, password string
	started            time.Time
	mux                *http.ServeMux
	limiter            *rateLimiter
	maxConns           int
	inflight           map[string]int
	logf               func(string, ...any)

	httpSrv   *http.Server
	ln        net.Listener
	url       string
	caPEM     []byte
	closeOnce sync.Once
	closeErr  error
	served    chan struct{}
}

// New builds a simulator without listening; serve it with Handler or use
// Start.
func New(opts Options) (*Server, error) {
	sc := opts.Scenario
	if sc == nil {
		var ok bool
		if sc, ok = Builtin("demo"); !ok {
			return nil, errors.New("built-in demo scenario missing")
		}
	}
	// Work on a validated copy: a caller may have built the scenario in Go
	// without validating it, and must not see the simulator change it.
	raw, err := json.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if sc, err = ParseScenario(raw); err != nil {
		return nil, err
	}
	cat, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("release catalog: %w", err)
	}
	clock := opts.Clock
	if clock == nil {
		start := time.Now().UTC().Truncate(time.Second)
		if sc.StartTime != nil {
			start = *sc.StartTime
		}
		clock = NewScaledClock(start, opts.TimeScale)
	}
	rateClock := opts.RateClock
	if rateClock == nil {
		if _, manual := clock.(*ManualClock); manual {
			rateClock = clock
		} else {
			rateClock = wallClock{}
		}
	}
	s, err := newSim(sc, clock, cat)
	if err != nil {
		return nil, err
	}
	srv := &Server{sim: s, username: opts.Username, password: opts.Password, started: s.now,
		mux: http.NewServeMux(), inflight: map[string]int{}, logf: opts.Logf}
	if srv.username == "" {
		srv.username = "admin"
	}
	if srv.password == "" {
		srv.password = "Admin123"
	}
	if srv.logf == nil {
		srv.logf = func(string, ...any) {}
	}
	rpm := s.fmc.rpm
	if opts.RequestsPerMinute > 0 {
		rpm = opts.RequestsPerMinute
		s.fmc.rpm = rpm
	}
	srv.limiter = newRateLimiter(rateClock, rpm)
	srv.maxConns = opts.MaxConnectionsPerIP
	if srv.maxConns == 0 {
		srv.maxConns = 10
	}
	srv.routes()
	return srv, nil
}

// CheckLoopback refuses listen addresses that are not loopback: the
// simulator accepts any client that knows the default password and must
// never be reachable from a network.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address; use 127.0.0.1 or [::1]", addr)
	}
	return nil
}

// Start builds a simulator and serves it on a loopback address until ctx
// is done or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	srv, err := New(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv.ln = ln
	srv.httpSrv = &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		// Hijacking (dropped-connection faults) needs HTTP/1.1.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(logfWriter(srv.logf), "", 0),
	}
	scheme := "http"
	if !opts.PlainHTTP {
		cert, pemBytes, err := selfSignedCert()
		if err != nil {
			ln.Close()
			return nil, err
		}
		srv.caPEM = pemBytes
		srv.httpSrv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.httpSrv.TLSConfig)
		scheme = "https"
	}
	srv.url = scheme + "://" + srv.ln.Addr().String()
	srv.served = make(chan struct{})
	go func() {
		defer close(srv.served)
		_ = srv.httpSrv.Serve(ln)
	}()
	if ctx != nil && ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				srv.Close()
			case <-srv.served:
			}
		}()
	}
	return srv, nil
}

// logfWriter routes the HTTP server's own messages (TLS handshake errors
// from clients that do not trust the certificate) to Logf.
type logfWriter func(string, ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("fmcsim: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// StartTest starts a simulator for a test and stops it when the test ends.
func StartTest(t testing.TB, opts Options) *Server {
	t.Helper()
	srv, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// Close stops serving; it waits up to five seconds for requests in flight.
func (srv *Server) Close() error {
	srv.closeOnce.Do(func() {
		if srv.httpSrv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.httpSrv.Shutdown(ctx); err != nil {
			srv.closeErr = srv.httpSrv.Close()
		}
		<-srv.served
	})
	return srv.closeErr
}

// URL is the base URL of the management center API, e.g.
// https://127.0.0.1:43127.
func (srv *Server) URL() string { return srv.url }

// ChassisURL is the base URL of an FXOS chassis manager (by chassis id or
// name): requests go to ChassisURL(id) + "/api/...".
func (srv *Server) ChassisURL(ref string) string {
	srv.sim.mu.Lock()
	defer srv.sim.mu.Unlock()
	c := srv.sim.findChassis(ref)
	if c == nil {
		return ""
	}
	return srv.url + "/fxos/" + c.id
}

// CACertPEM is the PEM of the self-signed certificate clients must trust;
// nil for plain HTTP.
func (srv *Server) CACertPEM() []byte { return srv.caPEM }

// Client returns an HTTP client that trusts the simulator's certificate.
func (srv *Server) Client() *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, ForceAttemptHTTP2: false}
	if srv.caPEM != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.caPEM)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 90 * time.Second}
}

// Clock is the simulator's clock; with a ManualClock a test moves time.
func (srv *Server) Clock() Clock { return srv.sim.clock }

// Credentials are the user name and password the simulator accepts.
func (srv *Server) Credentials() (string, string) { return srv.username, srv.password }

// Handler serves the simulator, e.g. from an httptest.Server.
func (srv *Server) Handler() http.Handler { return srv }

// routes registers every path. Patterns carry their method, and the
// pattern string is the key of the per-route statistics.
func (srv *Server) routes() {
	plat := "/api/fmc_platform/v1"
	cfg := "/api/fmc_config/v1/domain/{domainUUID}"
	srv.api("POST "+plat+"/auth/generatetoken", false, srv.handleGenerateToken)
	srv.api("POST "+plat+"/auth/refreshtoken", false, srv.handleRefreshToken)
	srv.api("GET "+plat+"/info/serverversion", true, srv.handleServerVersions)
	srv.api("GET "+plat+"/info/serverversion/{objectId}", true, srv.handleServerVersion)
	srv.api("GET "+plat+"/info/domain", true, srv.handleDomains)
	srv.api("GET "+plat+"/updates/upgradepackages", true, srv.handleListPackages)
	srv.api("POST "+plat+"/updates/upgradepackages", true, srv.handleRegisterPackage)
	srv.api("GET "+plat+"/updates/upgradepackages/{objectId}", true, srv.handleGetPackage)
	srv.api("DELETE "+plat+"/updates/upgradepackages/{objectId}", true, srv.handleDeletePackage)
	srv.api("GET "+plat+"/updates/upgradepackages/{containerUUID}/applicabledevices", true, srv.handleApplicableDevices)
	srv.api("POST "+plat+"/updates/upgrades", true, srv.handleCreateUpgrade)
	srv.api("POST "+plat+"/updates/cancelupgrades", true, srv.handleCancelUpgrade)
	srv.api("POST "+plat+"/updates/retryupgrades", true, srv.handleRetryUpgrade)
	srv.api("POST "+plat+"/updates/revertupgrades", true, srv.handleRevertUpgrade)

	srv.api("GET "+cfg+"/devices/devicerecords", true, srv.handleListDevices)
	srv.api("GET "+cfg+"/devices/devicerecords/{objectId}", true, srv.handleGetDevice)
	srv.api("GET "+cfg+"/devicehapairs/ftddevicehapairs", true, srv.handleListHAPairs)
	srv.api("GET "+cfg+"/devicehapairs/ftddevicehapairs/{objectId}", true, srv.handleGetHAPair)
	srv.api("PUT "+cfg+"/devicehapairs/ftddevicehapairs/{objectId}", true, srv.handleUpdateHAPair)
	srv.api("GET "+cfg+"/deviceclusters/ftddevicecluster", true, srv.handleListClusters)
	srv.api("GET "+cfg+"/deviceclusters/ftddevicecluster/{objectId}", true, srv.handleGetCluster)
	srv.api("POST "+cfg+"/deviceclusters/ftddevicecluster/{containerUUID}/operational/ftdclusterdevicecommands", true, srv.handleClusterCommand)
	srv.api("POST "+cfg+"/deviceclusters/{containerUUID}/operational/ftdclusterdevicecommands", true, srv.handleClusterCommand)
	srv.api("GET "+cfg+"/chassis/fmcmanagedchassis", true, srv.handleListManagedChassis)
	srv.api("GET "+cfg+"/chassis/fmcmanagedchassis/{objectId}", true, srv.handleGetManagedChassis)
	srv.api("GET "+cfg+"/health/alerts", true, srv.handleHealthAlerts)
	srv.api("GET "+cfg+"/job/taskstatuses", true, srv.handleListTasks)
	srv.api("GET "+cfg+"/job/taskstatuses/{objectId}", true, srv.handleGetTask)
	srv.api("GET "+cfg+"/deployment/deployabledevices", true, srv.handleDeployableDevices)
	srv.api("POST "+cfg+"/deployment/deploymentrequests", true, srv.handleDeploy)
	srv.api("GET "+cfg+"/deployment/jobhistories", true, srv.handleJobHistories)
	srv.api("POST "+cfg+"/backup/operational/devicebackup", true, srv.handleDeviceBackup)
	srv.api("GET "+cfg+"/integration/fmchastatuses", true, srv.handleFMCHAStatus)

	fx := "/fxos/{chassis}/api"
	srv.api("POST "+fx+"/login", false, srv.handleFXOSLogin)
	srv.api("POST "+fx+"/logout", false, srv.handleFXOSLogout)
	srv.api("GET "+fx, false, srv.handleFXOSClassQuery)
	srv.api("GET "+fx+"/sys/firmware/version/{kind}", false, srv.handleFXOSVersion)
	srv.api("GET "+fx+"/sys/firmware/distrib", false, srv.handleFXOSDistrib)
	srv.api("GET "+fx+"/sys/firmware/distrib/{id}", false, srv.handleFXOSDistrib)
	srv.api("POST "+fx+"/sys/firmware/dnld", false, srv.handleFXOSDownload)
	srv.api("POST "+fx+"/sys/firmware/dnld/{file}", false, srv.handleFXOSDownload)
	srv.api("GET "+fx+"/sys/firmware/dnld", false, srv.handleFXOSDownloadStatus)
	srv.api("GET "+fx+"/sys/firmware/dnld/{file}", false, srv.handleFXOSDownloadStatus)
	srv.api("DELETE "+fx+"/sys/firmware/dnld/{file}", false, srv.handleFXOSDownloadDelete)
	srv.api("GET "+fx+"/sys/firmware/validate-platform-fw/{id}", false, srv.handleFXOSValidate)
	srv.api("GET "+fx+"/sys/firmware/sched-platform-fw", false, srv.handleFXOSSchedule)
	srv.api("PATCH "+fx+"/sys/firmware/sched-platform-fw", false, srv.handleFXOSInstall)
	srv.api("PATCH "+fx+"/sys/firmware/cancel-platform-fw", false, srv.handleFXOSCancel)
	srv.api("GET "+fx+"/sys/fw-system", false, srv.handleFXOSSystem)
	srv.api("GET "+fx+"/sys/fw-system/fsm", false, srv.handleFXOSFSM)

	srv.mux.HandleFunc("/", srv.handleNoRoute)
}

// api registers a handler that runs with the estate locked and brought up
// to the clock's time; auth requires a valid management center token.
func (srv *Server) api(pattern string, auth bool, h http.HandlerFunc) {
	srv.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := srv.sim
		s.mu.Lock()
		defer s.mu.Unlock()
		s.advance()
		if auth {
			if _, msg := s.auth.lookup(r.Header.Get("X-auth-access-token"), s.now); msg != "" {
				writeError(w, http.StatusUnauthorized, catFramework, "%s", msg)
				return
			}
		}
		h(w, r)
	})
}

var allMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// handleNoRoute answers 405 with Allow when the path exists for other
// methods, else 404, both with the error body.
func (srv *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range allMethods {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := srv.mux.Handler(r2); p != "/" && p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, catFramework, "Method %s is not allowed on %s.", r.Method, r.URL.Path)
		return
	}
	writeError(w, http.StatusNotFound, catFramework, "No resource found at %s.", r.URL.Path)
}

// routeKey names the route of a request for statistics.
func (srv *Server) routeKey(r *http.Request) string {
	_, p := srv.mux.Handler(r)
	if p == "/" || p == "" {
		return r.Method + " (no route)"
	}
	return p
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// bufferWriter absorbs a response that a dropped-connection fault will
// never deliver.
type bufferWriter struct {
	h      http.Header
	status int
}

func (b *bufferWriter) Header() http.Header {
	if b.h == nil {
		b.h = http.Header{}
	}
	return b.h
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return len(p), nil
}
func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// drop closes the client's connection without a response.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isLoopbackRemote(r *http.Request) bool {
	ip := net.ParseIP(remoteIP(r))
	return ip != nil && ip.IsLoopback()
}

// admission is what the front door decided about a request.
type admission struct {
	throttle   string // non-empty: answer 429 with this text
	retryAfter time.Duration
	status     int // a 5xx fault
	dropBefore bool
	dropAfter  bool
	delay      time.Duration
	fxosDown   bool
}

// admit applies the connection limit, the rate limit and the request
// faults. Callers hold mu.
func (srv *Server) admit(r *http.Request, ip string) admission {
	s := srv.sim
	var a admission
	if srv.maxConns > 0 && srv.inflight[ip] > srv.maxConns {
		a.throttle = fmt.Sprintf("Too many simultaneous connections: the API allows %d per client address.", srv.maxConns)
		return a
	}
	isFMC := strings.HasPrefix(r.URL.Path, "/api/")
	if isFMC {
		key := "ip:" + ip
		if ses, ok := s.auth.byAccess[r.Header.Get("X-auth-access-token")]; ok {
			key = "session:" + strconv.Itoa(ses.id)
		}
		if ok, retry := srv.limiter.allow(key); !ok {
			a.throttle = fmt.Sprintf("Too many requests: the API accepts %d requests per minute. Please try again later.", srv.limiter.limit)
			a.retryAfter = retry
			return a
		}
	}
	for _, f := range s.faults {
		if !f.isRequestFault() || !f.live(s.now) || !f.matches(r.Method, r.URL.Path) {
			continue
		}
		if !f.fire() {
			continue
		}
		switch f.Kind {
		case FaultDropConnection:
			if f.Phase == "after" {
				a.dropAfter = true
			} else {
				a.dropBefore = true
			}
		case FaultRateLimit:
			if a.throttle == "" {
				a.throttle = "Too many requests. Please try again later."
				a.retryAfter = time.Second
			}
		case FaultServerError:
			if a.status == 0 {
				a.status = f.Status
			}
		case FaultSlowResponse:
			a.delay += f.Delay.D()
		}
	}
	if a.delay > maxSlowDelay {
		a.delay = maxSlowDelay
	}
	if strings.HasPrefix(r.URL.Path, "/fxos/") {
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/fxos/"), "/", 2)
		if c := s.chassisByID[parts[0]]; c != nil && c.rebooting {
			a.fxosDown = true
		}
	}
	return a
}

// ServeHTTP is the front door: control API, statistics, limits and faults,
// then the API routes.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isLoopbackRemote(r) {
		writeError(w, http.StatusForbidden, catFramework, "The simulator only serves loopback clients.")
		return
	}
	if r.URL.Path == "/simulator" || strings.HasPrefix(r.URL.Path, "/simulator/") {
		srv.serveControl(w, r)
		return
	}
	s := srv.sim
	ip := remoteIP(r)
	s.mu.Lock()
	s.advance()
	s.stats.requests++
	s.stats.byRoute[srv.routeKey(r)]++
	srv.inflight[ip]++
	a := srv.admit(r, ip)
	if a.throttle != "" {
		s.stats.throttled++
	}
	if a.dropBefore || a.dropAfter || a.fxosDown {
		s.stats.dropped++
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		srv.inflight[ip]--
		if srv.inflight[ip] <= 0 {
			delete(srv.inflight, ip)
		}
		s.mu.Unlock()
	}()

	if a.delay > 0 {
		t := time.NewTimer(a.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	switch {
	case a.dropBefore || a.fxosDown:
		srv.logf("fmcsim: dropped connection for %s %s", r.Method, r.URL.Path)
		drop(w)
		return
	case a.throttle != "":
		if a.retryAfter > 0 && s.fmc.retryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(int((a.retryAfter+time.Second-1)/time.Second)))
		}
		writeError(sw, http.StatusTooManyRequests, catFramework, "%s", a.throttle)
	case a.status != 0:
		writeError(sw, a.status, catOther, "The server encountered an internal error. Please try again later.")
	case a.dropAfter:
		srv.mux.ServeHTTP(&bufferWriter{}, r)
		srv.logf("fmcsim: processed %s %s and dropped the response", r.Method, r.URL.Path)
		drop(w)
		return
	default:
		srv.mux.ServeHTTP(sw, r)
	}
	s.mu.Lock()
	s.stats.byStatus[strconv.Itoa(max(sw.status, 200))]++
	s.mu.Unlock()
}
