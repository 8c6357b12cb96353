package fmc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

// Defaults applied by New when the matching Config field is zero.
const (
	DefaultDomain            = "Global"
	DefaultRequestsPerMinute = 120
	DefaultRequestTimeout    = 2 * time.Minute
	DefaultUserAgent         = "fmcupgrade-fmc-client"

	// maxInFlight stays well below the 10 connections per client address
	// the management center allows, so other tools keep working.
	maxInFlight = 6

	// GlobalDomainUUID is the fixed UUID of the Global domain on every
	// management center.
	GlobalDomainUUID = "e276abec-e0f2-11e3-8169-6d9ed49b625f"
)

// Logger receives progress and debug lines. Fields never carry credentials or
// tokens.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// RetryPolicy bounds the retries of one call. Zero fields take the
// defaults: 6 attempts, a first backoff of 1s doubling to at most 30s.
type RetryPolicy = httpx.RetryPolicy

// Config describes one management center connection.
type Config struct {
	// URL is the management center's base address, https://host[:port]. Plain
	// http is accepted for a local simulator only: it sends the credentials
	// unprotected, and the client logs a warning.
	URL      string
	Username string
	Password string
	// Domain is a domain name ("Global", "Global/Child", "Child") or UUID.
	// Default Global, or the user's own domain when Global is not listed for
	// the user.
	Domain string

	// CACertificatePEM holds the CA certificates (PEM) that sign the
	// management center's certificate. When set, only these are trusted.
	CACertificatePEM string
	// Insecure turns off certificate verification; the client logs a warning.
	Insecure bool

	// RequestsPerMinute caps requests in any rolling minute. Default 120, the
	// management center's limit; 7.4.1 and later may allow more.
	RequestsPerMinute int
	// RequestTimeout bounds one HTTP exchange. Default 2 minutes.
	RequestTimeout time.Duration
	Retry          RetryPolicy
	UserAgent      string

	// HTTPClient replaces the client's own HTTP client, TLS settings included.
	HTTPClient *http.Client
	// Transport replaces the transport of the client's own HTTP client, TLS
	// settings included.
	Transport http.RoundTripper

	Logger Logger
	// Now and Sleep replace the clock; Sleep must return early with ctx.Err()
	// when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one management center. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	username   string
	password   string
	wantDomain string

	http       *http.Client
	limiter    *limiter
	retry      RetryPolicy
	reqTimeout time.Duration
	userAgent  string
	logger     Logger
	now        func() time.Time
	sleepFn    func(ctx context.Context, d time.Duration) error
	// throttleBase is the first wait after a 429 without Retry-After.
	throttleBase time.Duration

	// inflight bounds concurrent requests. It is taken before the rate
	// limiter so that a request the limiter lets go is sent at once rather
	// than queued inside the transport, where it would start later than
	// booked and crowd a later minute.
	inflight chan struct{}

	// authSem serialises logins and refreshes so concurrent callers share
	// one; a channel rather than a mutex lets waiters give up with ctx.
	authSem httpx.Gate

	mu      sync.Mutex
	sess    *session
	secrets httpx.Secrets // every credential and token this client has held
}

// New validates cfg and returns a client. It does not contact the server.
func New(cfg Config) (*Client, error) {
	base, err := httpx.ParseServerURL("fmc", cfg.URL, cfg.Username, cfg.Password)
	if err != nil {
		return nil, err
	}
	if cfg.RequestsPerMinute < 0 {
		return nil, fmt.Errorf("fmc: requests_per_minute must be positive, got %d", cfg.RequestsPerMinute)
	}

	c := &Client{
		base:       base,
		username:   cfg.Username,
		password:   cfg.Password,
		wantDomain: strings.TrimSpace(cfg.Domain),
		retry:      cfg.Retry.WithDefaults(time.Second),
		reqTimeout: cfg.RequestTimeout,
		userAgent:  cfg.UserAgent,
		logger:     cfg.Logger,
		now:        cfg.Now,
		sleepFn:    cfg.Sleep,
		authSem:    httpx.NewGate(1),
		inflight:   make(chan struct{}, maxInFlight),

		throttleBase: throttleBase,
	}
	if c.reqTimeout <= 0 {
		c.reqTimeout = DefaultRequestTimeout
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleepFn == nil {
		c.sleepFn = httpx.SleepCtx
	}
	rpm := cfg.RequestsPerMinute
	if rpm == 0 {
		rpm = DefaultRequestsPerMinute
	}
	c.limiter = newLimiter(rpm, time.Minute+limiterGuard, limiterGuard/2)
	c.addSecret(cfg.Password)

	hc, err := httpx.NewHTTPClient(httpx.ClientOptions{
		CALabel:             "fmc: ca_certificate",
		CACertificatePEM:    cfg.CACertificatePEM,
		Insecure:            cfg.Insecure,
		HTTPClient:          cfg.HTTPClient,
		Transport:           cfg.Transport,
		MaxIdleConnsPerHost: maxInFlight,
	})
	if err != nil {
		return nil, err
	}
	c.http = hc

	for _, w := range httpx.ConnectionWarnings("fmc", "the management center", base, cfg.Insecure) {
		c.log(context.Background(), w, map[string]any{"url": base.String()})
	}
	return c, nil
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	return httpx.SleepWith(ctx, c.sleepFn, d)
}

func (c *Client) log(ctx context.Context, msg string, fields map[string]any) {
	c.secrets.Log(ctx, c.logger, msg, fields)
}

// addSecret remembers a credential so scrub can remove it from any text the
// server echoes back.
func (c *Client) addSecret(secret string) { c.secrets.Add(secret) }

func (c *Client) scrub(text string) string { return c.secrets.Scrub(text) }
