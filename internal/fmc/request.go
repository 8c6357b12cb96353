package fmc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

const (
	// maxBody bounds one answer; a page of 1,000 expanded device records is
	// a few megabytes.
	maxBody = 128 << 20
	// maxThrottleRetries bounds the retries after 429 answers, counted apart
	// from other failures: a 429 is always safe to retry and the server asks
	// for it.
	maxThrottleRetries = 10
	// throttleBase and throttleMax shape the wait after a 429 without
	// Retry-After; the management center counts a rolling minute.
	throttleBase = 5 * time.Second
	throttleMax  = time.Minute
	// maxRetryAfter caps an absurd Retry-After.
	maxRetryAfter = 5 * time.Minute
	// maxRenewals bounds the token renewals of one call.
	maxRenewals = 3
)

// errLimiterWait marks a request that never left: its caller gave up while
// waiting for its turn.
var errLimiterWait = errors.New("fmc: not sent")

// call is one API request before it is sent.
type call struct {
	method string
	path   string // absolute, beginning with /api/
	query  url.Values
	body   any
	// mutating marks a request that must not be repeated when its outcome
	// is unknown (POSTs that start work, the HA switch PUT).
	mutating bool
	// noErrorProbe skips the search for an error object in a 2xx body; the
	// caller's own decoding looks at it (large list pages).
	noErrorProbe bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends cl with the session token, retrying what is safe to retry, renews
// the token on a 401 and decodes a 2xx answer into out. A token refused at
// its first use right after a renewal is renewed again only when the
// refusal is about the token: otherwise the server refuses the user, and
// new tokens would not change that.
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	payload, err := marshalBody(cl.body)
	if err != nil {
		return fmt.Errorf("fmc: %s %s: %w", cl.method, cl.path, err)
	}
	renewals, sends := 0, 0
	for {
		if _, err := c.session(ctx); err != nil {
			return err
		}
		var usedGen uint64
		var usedIssued time.Time
		res, err := c.exchange(ctx, cl, payload, func(h http.Header) {
			sends++
			if s := c.current(); s != nil {
				h.Set(hdrAccess, s.access)
				usedGen, usedIssued = s.gen, s.issued
			}
		})
		if err != nil {
			return err
		}
		// A renewed token may have expired or been revoked meanwhile, like
		// the one before it: when the management center says so ("Access
		// token invalid", as other clients read it too), when it was
		// refused after a wait (a 429 or a retried failure), or when it is
		// old enough by now to be renewed anyway.
		stale := sends > 1 || tokenInvalid(res.body) || c.now().Sub(usedIssued) >= renewAfter
		if res.status == http.StatusUnauthorized && (renewals == 0 || stale) && renewals < maxRenewals {
			// The token expired early or was revoked (the same user logged
			// in to the web interface). Nothing was done, so repeating the
			// request is safe whatever it is.
			renewals, sends = renewals+1, 0
			c.log(ctx, "fmc: token rejected; renewing the session", map[string]any{"method": cl.method, "path": cl.path})
			if err := c.reauth(ctx, usedGen); err != nil {
				return err
			}
			continue
		}
		return c.finish(ctx, cl, res, out)
	}
}

// tokenInvalid reports whether a 401 answer says the access token itself
// was refused (expired or revoked).
func tokenInvalid(body []byte) bool {
	return bytes.Contains(bytes.ToLower(body), []byte("access token invalid"))
}

func marshalBody(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	if b, ok := body.([]byte); ok {
		return b, nil
	}
	return json.Marshal(body)
}

// finish turns an answer into out or an error.
func (c *Client) finish(ctx context.Context, cl *call, res *response, out any) error {
	if res.status < 200 || res.status > 299 {
		return c.apiError(cl, res)
	}
	if !cl.noErrorProbe {
		if ed := embeddedError(res.body); ed != nil {
			return c.newAPIError(cl, res.status, ErrorBody{Category: ed.Category, Severity: ed.Severity, Messages: ed.texts()})
		}
	}
	if out == nil || len(bytes.TrimSpace(res.body)) == 0 {
		return nil
	}
	return c.decode(ctx, cl, res.body, out)
}

// decode reads body into out. A field of an unexpected type is left empty
// and logged rather than failing the read: encoding/json still fills every
// other field, and one odd value should not hide a whole page of devices.
func (c *Client) decode(ctx context.Context, cl *call, body []byte, out any) error {
	err := json.Unmarshal(body, out)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		c.log(ctx, "fmc: ignored a field of unexpected type in the answer", map[string]any{
			"method": cl.method, "path": cl.path, "field": te.Field, "json_type": te.Value,
		})
		return nil
	}
	return fmt.Errorf("fmc: %s %s: cannot read the answer: %w", cl.method, cl.path, err)
}

func (c *Client) apiError(cl *call, res *response) *APIError {
	eb, _ := ParseErrorBody(res.body)
	return c.newAPIError(cl, res.status, eb)
}

func (c *Client) newAPIError(cl *call, status int, eb ErrorBody) *APIError {
	msgs := make([]string, 0, len(eb.Messages))
	for _, m := range eb.Messages {
		msgs = append(msgs, c.scrub(m))
	}
	return &APIError{Status: status, Method: cl.method, Path: cl.path, Category: eb.Category, Severity: eb.Severity, Messages: msgs}
}

// exchange sends cl until it gets an answer worth returning: it waits for
// the rate limiter, retries 429s, and retries 5xx answers, connection
// failures and "please try again" 400s when that is safe. A mutating request
// whose outcome is unknown gives *AmbiguousError instead of a second send.
// Go's transport itself never resends a POST (only idempotent methods), so
// this is the only place that decides.
func (c *Client) exchange(ctx context.Context, cl *call, payload []byte, setAuth func(http.Header)) (*response, error) {
	throttled := 0
	for attempt := 1; ; {
		res, err := c.send(ctx, cl, payload, setAuth)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				if cl.mutating && !httpx.NotSent(err) && !errors.Is(err, errLimiterWait) {
					// Cancelled while the request was on the wire.
					return nil, &AmbiguousError{Method: cl.method, Path: cl.path, Cause: err}
				}
				return nil, ctxErr
			}
			if httpx.CertificateError(err) {
				return nil, fmt.Errorf("fmc: %s: the management center's TLS certificate is not trusted: %w; set ca_certificate to the CA that signed it (or insecure = true to skip the check)", c.base.Host, err)
			}
			if cl.mutating && !httpx.NotSent(err) {
				return nil, &AmbiguousError{Method: cl.method, Path: cl.path, Cause: err}
			}
			if attempt >= c.retry.MaxAttempts {
				return nil, fmt.Errorf("fmc: %s %s: giving up after %d attempts: %w", cl.method, cl.path, attempt, err)
			}
			if err := c.backoff(ctx, cl, attempt, "connection error", err.Error()); err != nil {
				return nil, err
			}
			attempt++
			continue
		}

		switch {
		case res.status == http.StatusTooManyRequests:
			throttled++
			if throttled > maxThrottleRetries {
				return res, nil
			}
			d := retryAfter(res.header, c.now())
			if d <= 0 {
				d = throttleDelay(c.throttleBase, throttled)
			}
			// Every caller waits, not just this one: the limit is per
			// client address.
			c.limiter.pause(c.now().Add(d))
			c.log(ctx, "fmc: rate limited by the management center; waiting", map[string]any{
				"method": cl.method, "path": cl.path, "wait_ms": d.Milliseconds(), "throttled": throttled,
			})
			continue

		case res.status >= 500:
			if cl.mutating {
				return nil, &AmbiguousError{Method: cl.method, Path: cl.path, Cause: c.apiError(cl, res)}
			}
			if attempt >= c.retry.MaxAttempts {
				return res, nil
			}
			if err := c.backoff(ctx, cl, attempt, "server error", strconv.Itoa(res.status)); err != nil {
				return nil, err
			}
			attempt++
			continue

		case res.status == http.StatusBadRequest:
			// Safe even for a mutating request: the server says it did
			// nothing and asks for another try.
			if eb, _ := ParseErrorBody(res.body); pleaseTryAgain(eb.Messages) && attempt < c.retry.MaxAttempts {
				if err := c.backoff(ctx, cl, attempt, "management center busy", strings.Join(eb.Messages, "; ")); err != nil {
					return nil, err
				}
				attempt++
				continue
			}
		}
		return res, nil
	}
}

func (c *Client) backoff(ctx context.Context, cl *call, attempt int, reason, detail string) error {
	d := c.retry.Backoff(attempt)
	c.log(ctx, "fmc: retrying after "+reason, map[string]any{
		"method": cl.method, "path": cl.path, "attempt": attempt, "wait_ms": d.Milliseconds(), "detail": detail,
	})
	return c.sleep(ctx, d)
}

// throttleDelay is the wait after the n-th 429 without Retry-After.
func throttleDelay(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < throttleMax; i++ {
		d *= 2
	}
	if d > throttleMax {
		d = throttleMax
	}
	return d + time.Duration(rand.Int64N(int64(base/5)+1))
}

// retryAfter reads Retry-After as seconds or an HTTP date; 0 when absent or
// unusable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

// send performs one HTTP exchange after the rate limiter allows it.
func (c *Client) send(ctx context.Context, cl *call, payload []byte, setAuth func(http.Header)) (*response, error) {
	select {
	case c.inflight <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", errLimiterWait, ctx.Err())
	}
	defer func() { <-c.inflight }()
	if err := c.limiter.wait(ctx, c.now, c.sleep); err != nil {
		return nil, fmt.Errorf("%w: %w", errLimiterWait, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.reqTimeout)
	defer cancel()

	req, err := httpx.NewJSONRequest(actx, cl.method, c.endpoint(cl.path, cl.query), payload, c.userAgent)
	if err != nil {
		return nil, err
	}
	if setAuth != nil {
		setAuth(req.Header)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log(ctx, "fmc: request failed", map[string]any{"method": cl.method, "path": cl.path, "error": httpx.ErrorText(err)})
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, tooLarge, err := httpx.ReadBody(resp.Body, maxBody)
	if err != nil {
		c.log(ctx, "fmc: reading the answer failed", map[string]any{"method": cl.method, "path": cl.path, "status": resp.StatusCode, "error": httpx.ErrorText(err)})
		return nil, err
	}
	if tooLarge {
		return nil, fmt.Errorf("fmc: %s %s: answer larger than %d MiB", cl.method, cl.path, maxBody>>20)
	}
	c.log(ctx, "fmc: request", map[string]any{
		"method": cl.method, "path": cl.path, "status": resp.StatusCode, "elapsed_ms": time.Since(start).Milliseconds(),
	})
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = ""
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
