package fxos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	DefaultRequestTimeout = time.Minute
	DefaultUserAgent      = "fmcupgrade-fxos-client"

	maxBody = 32 << 20
)

// Logger receives progress and debug lines. Fields never carry credentials,
// tokens or download passwords.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// RetryPolicy bounds the retries of one call. Zero fields take the
// defaults: 6 attempts, a first backoff of 2s doubling to at most 30s.
type RetryPolicy = httpx.RetryPolicy

// Config describes one chassis manager connection.
type Config struct {
	// URL is the chassis manager's address, https://host[:port]. Plain http
	// is accepted for a local simulator only, with a logged warning.
	URL      string
	Username string
	Password string

	// CACertificatePEM holds the CA certificates (PEM) that sign the chassis
	// manager's certificate. When set, only these are trusted.
	CACertificatePEM string
	// Insecure turns off certificate verification; the client logs a warning.
	Insecure bool

	// RequestTimeout bounds one HTTP exchange. Default 1 minute.
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

// Client talks to one chassis manager. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	username   string
	password   string
	http       *http.Client
	retry      RetryPolicy
	reqTimeout time.Duration
	userAgent  string
	logger     Logger
	now        func() time.Time
	sleepFn    func(ctx context.Context, d time.Duration) error

	// authSem serialises logins so concurrent callers share one; a channel
	// lets waiters give up with ctx.
	authSem httpx.Gate

	mu      sync.Mutex
	token   string
	gen     uint64
	secrets httpx.Secrets // every credential and token this client has held
}

// New validates cfg and returns a client. It does not contact the chassis.
func New(cfg Config) (*Client, error) {
	base, err := httpx.ParseServerURL("fxos", strings.TrimSpace(cfg.URL), cfg.Username, cfg.Password)
	if err != nil {
		return nil, err
	}
	// The API lives under /api; a URL that already names it is accepted.
	base.Path = strings.TrimSuffix(base.Path, "/api")

	c := &Client{
		base:       base,
		username:   cfg.Username,
		password:   cfg.Password,
		retry:      cfg.Retry.WithDefaults(2 * time.Second),
		reqTimeout: cfg.RequestTimeout,
		userAgent:  cfg.UserAgent,
		logger:     cfg.Logger,
		now:        cfg.Now,
		sleepFn:    cfg.Sleep,
		authSem:    httpx.NewGate(1),
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
	c.addSecret(cfg.Password)

	hc, err := httpx.NewHTTPClient(httpx.ClientOptions{
		CALabel:             "fxos: ca_certificate",
		CACertificatePEM:    cfg.CACertificatePEM,
		Insecure:            cfg.Insecure,
		HTTPClient:          cfg.HTTPClient,
		Transport:           cfg.Transport,
		MaxIdleConnsPerHost: 4,
	})
	if err != nil {
		return nil, err
	}
	c.http = hc

	for _, w := range httpx.ConnectionWarnings("fxos", "the chassis manager", base, cfg.Insecure) {
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

// call is one API request before it is sent.
type call struct {
	method string
	path   string // absolute, beginning with /api
	query  url.Values
	body   any
	// mutating marks a request that must not be repeated when its outcome
	// is unknown.
	mutating bool
}

type response struct {
	status int
	body   []byte
}

// do sends cl with the session token, retrying what is safe to retry, logs
// in again once when the session is gone, and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	var payload []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("fxos: %s %s: %w", cl.method, cl.path, err)
		}
		payload = b
	}
	relogged := false
	for {
		tok, gen, err := c.session(ctx)
		if err != nil {
			return err
		}
		res, err := c.exchange(ctx, cl, payload, func(h http.Header) { h.Set("TOKEN", tok) })
		if err != nil {
			return err
		}
		if sessionLost(res) && !relogged {
			// The session ended (idle timeout, reboot, clock change); nothing
			// was done, so the request may be repeated whatever it is.
			relogged = true
			c.log(ctx, "fxos: session ended; logging in again", map[string]any{"method": cl.method, "path": cl.path})
			if err := c.relogin(ctx, gen); err != nil {
				return err
			}
			continue
		}
		if res.status < 200 || res.status > 299 {
			return c.apiError(cl, res)
		}
		if out == nil || len(bytes.TrimSpace(res.body)) == 0 {
			return nil
		}
		if err := json.Unmarshal(res.body, out); err != nil {
			return fmt.Errorf("fxos: %s %s: cannot read the answer: %w", cl.method, cl.path, err)
		}
		return nil
	}
}

// exchange sends cl until it gets an answer worth returning. Reads are
// retried after connection failures, 5xx answers and backend errors (code
// 101); a state-changing request whose outcome is unknown gives
// *AmbiguousError.
func (c *Client) exchange(ctx context.Context, cl *call, payload []byte, setHeaders func(http.Header)) (*response, error) {
	for attempt := 1; ; attempt++ {
		res, err := c.send(ctx, cl, payload, setHeaders)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				if cl.mutating && !httpx.NotSent(err) && !errors.Is(err, errNotSent) {
					// Cancelled while the request was on the wire.
					return nil, &AmbiguousError{Method: cl.method, Path: cl.path, Cause: err}
				}
				return nil, ctxErr
			}
			if httpx.CertificateError(err) {
				return nil, fmt.Errorf("fxos: %s: the chassis manager's TLS certificate is not trusted: %w; set the chassis CA certificate (or insecure = true to skip the check)", c.base.Host, err)
			}
			if cl.mutating && !httpx.NotSent(err) {
				return nil, &AmbiguousError{Method: cl.method, Path: cl.path, Cause: err}
			}
			if attempt >= c.retry.MaxAttempts {
				return nil, &UnreachableError{Host: c.base.Host, Attempts: attempt, Cause: err}
			}
			if err := c.backoff(ctx, cl, attempt, "connection error", httpx.ErrorText(err)); err != nil {
				return nil, err
			}
			continue
		}
		retryable := res.status >= 500 && res.status != 555
		if !retryable && res.status == http.StatusBadRequest {
			retryable = parseErrorBody(res.body).Code == codeBackend
		}
		if !retryable {
			return res, nil
		}
		if cl.mutating {
			return nil, &AmbiguousError{Method: cl.method, Path: cl.path, Cause: c.apiError(cl, res)}
		}
		if attempt >= c.retry.MaxAttempts {
			return res, nil
		}
		if err := c.backoff(ctx, cl, attempt, "chassis manager error", fmt.Sprint(res.status)); err != nil {
			return nil, err
		}
	}
}

func (c *Client) backoff(ctx context.Context, cl *call, attempt int, reason, detail string) error {
	d := c.retry.Backoff(attempt)
	c.log(ctx, "fxos: retrying after "+reason, map[string]any{
		"method": cl.method, "path": cl.path, "attempt": attempt, "wait_ms": d.Milliseconds(), "detail": detail,
	})
	return c.sleep(ctx, d)
}

// errNotSent marks a request that never left because its caller had
// already given up.
var errNotSent = errors.New("fxos: not sent")

func (c *Client) send(ctx context.Context, cl *call, payload []byte, setHeaders func(http.Header)) (*response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.reqTimeout)
	defer cancel()
	u := *c.base
	u.Path = c.base.Path + cl.path
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	req, err := httpx.NewJSONRequest(actx, cl.method, u.String(), payload, c.userAgent)
	if err != nil {
		return nil, err
	}
	if setHeaders != nil {
		setHeaders(req.Header)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log(ctx, "fxos: request failed", map[string]any{"method": cl.method, "path": cl.path, "error": httpx.ErrorText(err)})
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, tooLarge, err := httpx.ReadBody(resp.Body, maxBody)
	if err != nil {
		return nil, err
	}
	if tooLarge {
		return nil, fmt.Errorf("fxos: %s %s: answer larger than %d MiB", cl.method, cl.path, maxBody>>20)
	}
	c.log(ctx, "fxos: request", map[string]any{"method": cl.method, "path": cl.path, "status": resp.StatusCode, "elapsed_ms": time.Since(start).Milliseconds()})
	return &response{status: resp.StatusCode, body: b}, nil
}
