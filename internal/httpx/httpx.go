// Package httpx is the plumbing the REST clients share: verified TLS with a
// custom CA, capped exponential backoff, context-aware sleeping, and
// scrubbing of credentials from anything that may be logged or returned.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Backoff is a capped exponential delay with jitter, so that parallel
// callers do not retry in lockstep.
type Backoff struct {
	Base, Max time.Duration
}

// Delay is the wait before attempt+1: Base doubled per attempt, capped at
// Max, then drawn from its upper half.
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// RetryPolicy bounds the retries of one call. Zero fields take the defaults
// of WithDefaults.
type RetryPolicy struct {
	// MaxAttempts counts the first try; default 6.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles per attempt.
	BaseDelay time.Duration
	// MaxDelay caps one backoff; default 30s.
	MaxDelay time.Duration
}

// WithDefaults fills the zero fields, with base as the default BaseDelay
// (each server has its own sensible first wait).
func (p RetryPolicy) WithDefaults(base time.Duration) RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 6
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = base
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	return p
}

// Backoff is the capped exponential delay before attempt+1, with jitter.
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	return Backoff{Base: p.BaseDelay, Max: p.MaxDelay}.Delay(attempt)
}

// TLSConfig is verified by default and trusts only caPEM when given;
// insecure is an explicit opt-in the caller warns about. label prefixes
// certificate errors ("fmc: ca_certificate").
func TLSConfig(label, caPEM string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if strings.TrimSpace(caPEM) != "" {
		pool, err := ParseCAPEM(label, caPEM)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if insecure {
		cfg.InsecureSkipVerify = true
	}
	return cfg, nil
}

// ParseCAPEM reads every certificate in text and says which block is wrong,
// since x509.CertPool.AppendCertsFromPEM only answers yes or no.
func ParseCAPEM(label, text string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	rest := []byte(text)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: PEM block %d is a %q, want CERTIFICATE", label, n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d: %v", label, n, err)
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", label)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, fmt.Errorf("%s: unexpected text after PEM block %d", label, n)
	}
	return pool, nil
}

// SleepCtx waits d or until ctx ends.
func SleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Secrets remembers credentials and tokens so that Scrub can remove them
// from any text a server echoes back. It keeps the first secret (the
// password) and the latest ones: tokens are replaced every few minutes of a
// long run.
type Secrets struct {
	mu   sync.Mutex
	list []string
}

const keepSecrets = 64

// Add remembers s; strings too short to be a secret are ignored, since
// replacing them would mangle ordinary text.
func (s *Secrets) Add(secret string) {
	if len(secret) < 4 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.list {
		if have == secret {
			return
		}
	}
	s.list = append(s.list, secret)
	if len(s.list) > keepSecrets {
		s.list = append(s.list[:1], s.list[len(s.list)-keepSecrets+1:]...)
	}
}

// Scrub replaces every remembered secret in text.
func (s *Secrets) Scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.list {
		if strings.Contains(text, sec) {
			text = strings.ReplaceAll(text, sec, "***")
		}
	}
	return text
}

// ScrubFields scrubs the string values of log fields in place.
func (s *Secrets) ScrubFields(fields map[string]any) {
	for k, v := range fields {
		if str, ok := v.(string); ok {
			fields[k] = s.Scrub(str)
		}
	}
}

// RedactURL hides credentials in a URL the user typed, also when it does not
// parse.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		if scheme := strings.Index(raw, "://"); scheme >= 0 && scheme < at {
			return raw[:scheme+3] + "xxxxx" + raw[at:]
		}
	}
	return raw
}

// NotSent reports whether err happened before any byte of the request could
// reach the server, so that even a state-changing request may be sent again.
func NotSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// CertificateError reports TLS verification failures: retrying cannot fix
// them, and the message should point at the CA certificate setting.
func CertificateError(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

// NewTransport starts from Go's default transport (proxy from the
// environment, dial and handshake timeouts, keep-alives).
func NewTransport() *http.Transport {
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		return dt.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 10 * time.Second}
}

// ParseServerURL checks the address of a server and the login that goes
// with it; label ("fmc", "fxos") prefixes every error. Messages quote raw
// redacted as given, so callers pass it exactly as they want it echoed.
// The path loses its trailing slashes so that API paths can be appended.
func ParseServerURL(label, raw, username, password string) (*url.URL, error) {
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" {
		return nil, errors.New(label + ": url is required")
	}
	base, err := url.Parse(trimmed)
	if err != nil {
		return nil, fmt.Errorf("%s: url %q is not a valid URL: %v", label, RedactURL(raw), err)
	}
	switch {
	case base.Scheme != "https" && base.Scheme != "http":
		return nil, fmt.Errorf("%s: url %q must start with https:// (or http:// for a local simulator)", label, RedactURL(raw))
	case base.Host == "":
		return nil, fmt.Errorf("%s: url %q has no host", label, RedactURL(raw))
	case base.User != nil:
		return nil, errors.New(label + ": url must not carry credentials; use username and password")
	case base.RawQuery != "" || base.Fragment != "":
		return nil, fmt.Errorf("%s: url %q must not have a query or fragment", label, base.Redacted())
	case username == "":
		return nil, errors.New(label + ": username is required")
	case password == "":
		return nil, errors.New(label + ": password is required")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	return base, nil
}

// ClientOptions describe the HTTP client of one server connection.
type ClientOptions struct {
	// CALabel prefixes certificate errors ("fmc: ca_certificate").
	CALabel          string
	CACertificatePEM string
	Insecure         bool
	// HTTPClient, when set, is used as it is, TLS settings included.
	HTTPClient *http.Client
	// Transport, when set, replaces the TLS-configured transport.
	Transport           http.RoundTripper
	MaxIdleConnsPerHost int
}

// NewHTTPClient builds the client a REST client sends with. It never
// follows redirects: a redirect would replay the token header to wherever
// it points, and neither API redirects.
func NewHTTPClient(o ClientOptions) (*http.Client, error) {
	if o.HTTPClient != nil {
		return o.HTTPClient, nil
	}
	rt := o.Transport
	if rt == nil {
		tlsCfg, err := TLSConfig(o.CALabel, o.CACertificatePEM, o.Insecure)
		if err != nil {
			return nil, err
		}
		t := NewTransport()
		t.TLSClientConfig = tlsCfg
		t.MaxIdleConnsPerHost = o.MaxIdleConnsPerHost
		rt = t
	}
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// ConnectionWarnings are the warnings a client logs once when created:
// label prefixes them ("fmc") and peer names the server ("the management
// center") whose identity an insecure connection does not check.
func ConnectionWarnings(label, peer string, base *url.URL, insecure bool) []string {
	var out []string
	if insecure {
		out = append(out, label+": TLS certificate verification is disabled (insecure = true); "+peer+"'s identity is not checked")
	}
	if base.Scheme == "http" {
		out = append(out, label+": plain http sends credentials and tokens unencrypted; use it only with a local simulator")
	}
	return out
}

// ErrorText unwraps a *url.Error so that a log line or message shows the
// cause once, without the full URL.
func ErrorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// JSONScalar turns a JSON scalar into text (strings unquoted, numbers as
// written); null, objects and arrays give "". Both servers send numbers
// where their documentation promises strings.
func JSONScalar(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return ""
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) == nil {
			return s
		}
		return ""
	case '{', '[':
		return ""
	}
	return string(t)
}

// NewJSONRequest is a request that accepts JSON and, with a payload,
// sends it as JSON.
func NewJSONRequest(ctx context.Context, method, target string, payload []byte, userAgent string) (*http.Request, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// ReadBody reads r up to limit bytes; tooLarge reports an answer longer
// than that, which is refused rather than cut, since a cut JSON answer
// would read as a different one.
func ReadBody(r io.Reader, limit int64) (b []byte, tooLarge bool, err error) {
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

// SleepWith waits d with sleep, the client's replaceable clock. It checks
// ctx first so that an ended call stops even when d is zero or sleep is a
// test clock that ignores ctx.
func SleepWith(ctx context.Context, sleep func(context.Context, time.Duration) error, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	return sleep(ctx, d)
}

// Log hands msg and fields to logger, when there is one, with every
// remembered secret scrubbed from both.
func (s *Secrets) Log(ctx context.Context, logger func(context.Context, string, map[string]any), msg string, fields map[string]any) {
	if logger == nil {
		return
	}
	s.ScrubFields(fields)
	logger(ctx, s.Scrub(msg), fields)
}

// Gate admits a bounded number of holders at a time. Unlike a mutex, a
// caller waiting for it gives up when its ctx ends.
type Gate chan struct{}

// NewGate admits n holders at a time.
func NewGate(n int) Gate { return make(Gate, n) }

// Enter waits for room or for ctx to end.
func (g Gate) Enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leave frees the room one Enter took.
func (g Gate) Leave() { <-g }
