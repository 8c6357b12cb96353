package fmc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

const (
	pathGenerateToken = "/api/fmc_platform/v1/auth/generatetoken"
	pathRefreshToken  = "/api/fmc_platform/v1/auth/refreshtoken"

	hdrAccess     = "X-auth-access-token"
	hdrRefresh    = "X-auth-refresh-token"
	hdrDomainUUID = "DOMAIN_UUID"
	hdrDomains    = "DOMAINS"

	// A token lives 30 minutes and may be refreshed three times; after that
	// only a new login helps.
	tokenLifetime = 30 * time.Minute
	maxRefreshes  = 3
	// renewAfter is when the client renews a token before it is refused,
	// so that a long poll does not spend a request on a 401.
	renewAfter = tokenLifetime - 5*time.Minute
)

// Domain is a management center domain as the DOMAINS header lists it.
type Domain struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type session struct {
	access    string
	refresh   string
	domain    Domain
	domains   []Domain
	refreshes int
	issued    time.Time
	gen       uint64
}

func (c *Client) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// session returns a usable session, logging in or renewing the token first
// when needed. Concurrent callers wait for one login.
func (c *Client) session(ctx context.Context) (*session, error) {
	if s := c.current(); s != nil && c.now().Sub(s.issued) < renewAfter {
		return s, nil
	}
	if err := c.authSem.Enter(ctx); err != nil {
		return nil, err
	}
	defer c.authSem.Leave()
	s := c.current()
	var err error
	switch {
	case s == nil:
		err = c.loginLocked(ctx)
	case c.now().Sub(s.issued) >= renewAfter:
		err = c.renewLocked(ctx, s)
	}
	if err != nil {
		return nil, err
	}
	return c.current(), nil
}

// reauth renews the session after a 401 on a request sent with generation
// gen; when another caller already renewed it, there is nothing to do.
func (c *Client) reauth(ctx context.Context, gen uint64) error {
	if err := c.authSem.Enter(ctx); err != nil {
		return err
	}
	defer c.authSem.Leave()
	s := c.current()
	if s == nil {
		return c.loginLocked(ctx)
	}
	if s.gen != gen {
		return nil
	}
	return c.renewLocked(ctx, s)
}

// renewLocked refreshes the token while refreshes remain, and logs in again
// otherwise or when the refresh is refused.
func (c *Client) renewLocked(ctx context.Context, s *session) error {
	if s.refreshes < maxRefreshes && s.refresh != "" {
		err := c.refreshLocked(ctx, s)
		if err == nil {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		c.log(ctx, "fmc: token refresh refused; logging in again", map[string]any{"error": err.Error()})
	}
	return c.loginLocked(ctx)
}

func (c *Client) loginLocked(ctx context.Context) error {
	cl := &call{method: http.MethodPost, path: pathGenerateToken}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(c.username+":"+c.password))
	res, err := c.exchange(ctx, cl, nil, func(h http.Header) { h.Set("Authorization", basic) })
	if err != nil {
		return err
	}
	switch {
	case res.status == http.StatusUnauthorized || res.status == http.StatusForbidden:
		return &AuthError{Username: c.username, Cause: c.apiError(cl, res)}
	case res.status < 200 || res.status > 299:
		return c.apiError(cl, res)
	}
	access := strings.TrimSpace(res.header.Get(hdrAccess))
	if access == "" {
		return fmt.Errorf("fmc: POST %s: answer %d carries no %s header; is %s a management center?", pathGenerateToken, res.status, hdrAccess, c.base.Host)
	}
	refresh := strings.TrimSpace(res.header.Get(hdrRefresh))
	c.addSecret(access)
	c.addSecret(refresh)

	domains, err := ParseDomains(res.header.Get(hdrDomains))
	if err != nil {
		return fmt.Errorf("fmc: POST %s: %w", pathGenerateToken, err)
	}
	dom, err := SelectDomain(c.wantDomain, domains, strings.TrimSpace(res.header.Get(hdrDomainUUID)))
	if err != nil {
		return err
	}

	c.mu.Lock()
	var gen uint64 = 1
	if c.sess != nil {
		gen = c.sess.gen + 1
	}
	c.sess = &session{access: access, refresh: refresh, domain: dom, domains: domains, issued: c.now(), gen: gen}
	c.mu.Unlock()
	c.log(ctx, "fmc: logged in", map[string]any{"user": c.username, "domain": dom.Name, "domain_uuid": dom.UUID})
	return nil
}

func (c *Client) refreshLocked(ctx context.Context, s *session) error {
	cl := &call{method: http.MethodPost, path: pathRefreshToken}
	res, err := c.exchange(ctx, cl, nil, func(h http.Header) {
		h.Set(hdrAccess, s.access)
		h.Set(hdrRefresh, s.refresh)
	})
	if err != nil {
		return err
	}
	if res.status < 200 || res.status > 299 {
		return c.apiError(cl, res)
	}
	access := strings.TrimSpace(res.header.Get(hdrAccess))
	if access == "" {
		return fmt.Errorf("fmc: POST %s: answer %d carries no %s header", pathRefreshToken, res.status, hdrAccess)
	}
	refresh := strings.TrimSpace(res.header.Get(hdrRefresh))
	if refresh == "" {
		refresh = s.refresh
	}
	c.addSecret(access)
	c.addSecret(refresh)

	c.mu.Lock()
	next := *s
	next.access, next.refresh = access, refresh
	next.refreshes++
	next.issued = c.now()
	next.gen = s.gen + 1
	c.sess = &next
	c.mu.Unlock()
	c.log(ctx, "fmc: token refreshed", map[string]any{"refreshes": next.refreshes, "max_refreshes": maxRefreshes})
	return nil
}

// Login authenticates now rather than on the first call, to surface bad
// credentials or an unknown domain early.
func (c *Client) Login(ctx context.Context) error {
	_, err := c.session(ctx)
	return err
}

// Domain returns the selected domain, logging in if needed.
func (c *Client) Domain(ctx context.Context) (Domain, error) {
	s, err := c.session(ctx)
	if err != nil {
		return Domain{}, err
	}
	return s.domain, nil
}

// Domains returns the domains the user can reach, as listed at login.
func (c *Client) Domains(ctx context.Context) ([]Domain, error) {
	s, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	return append([]Domain(nil), s.domains...), nil
}

// Close forgets the session and closes idle connections. The management
// center has no documented logout; its tokens simply expire.
func (c *Client) Close() {
	c.mu.Lock()
	c.sess = nil
	c.mu.Unlock()
	c.http.CloseIdleConnections()
}

// domainPath is the absolute path of rel under the selected domain.
func (c *Client) domainPath(ctx context.Context, rel string) (string, error) {
	s, err := c.session(ctx)
	if err != nil {
		return "", err
	}
	return "/api/fmc_config/v1/domain/" + s.domain.UUID + "/" + strings.TrimPrefix(rel, "/"), nil
}

// ParseDomains reads the DOMAINS header: a JSON list of {"name","uuid"}.
// An empty header gives no domains and no error; entries without a UUID are
// skipped.
func ParseDomains(header string) ([]Domain, error) {
	t := bytes.TrimSpace([]byte(header))
	if len(t) == 0 {
		return nil, nil
	}
	var raw []struct {
		Name json.RawMessage `json:"name"`
		UUID json.RawMessage `json:"uuid"`
	}
	if t[0] == '{' {
		// Tolerate a single object where a list is expected.
		t = append(append([]byte{'['}, t...), ']')
	}
	if err := json.Unmarshal(t, &raw); err != nil {
		return nil, fmt.Errorf("the %s header is not a JSON list of domains: %v", hdrDomains, err)
	}
	out := make([]Domain, 0, len(raw))
	for _, r := range raw {
		d := Domain{Name: strings.TrimSpace(httpx.JSONScalar(r.Name)), UUID: strings.TrimSpace(httpx.JSONScalar(r.UUID))}
		if d.UUID == "" {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// SelectDomain picks want (a name or UUID) among domains. Names match
// without regard to case, with or without the "Global/" prefix; a bare last
// segment ("Child" for "Global/Parent/Child") matches when it is unique.
// An empty want means Global, or the user's login domain (loginUUID, from
// DOMAIN_UUID) when Global is not among the domains, as for a user confined
// to a child domain. With no DOMAINS header, only the login domain or Global
// can be chosen.
func SelectDomain(want string, domains []Domain, loginUUID string) (Domain, error) {
	want = strings.TrimSpace(want)
	if want == "" {
		for _, d := range domains {
			if strings.EqualFold(d.Name, DefaultDomain) || strings.EqualFold(d.UUID, GlobalDomainUUID) {
				return d, nil
			}
		}
		for _, d := range domains {
			if loginUUID != "" && strings.EqualFold(d.UUID, loginUUID) {
				return d, nil
			}
		}
		if len(domains) == 1 {
			return domains[0], nil
		}
		if len(domains) > 0 {
			return Domain{}, &DomainError{Wanted: DefaultDomain, Available: append([]Domain(nil), domains...)}
		}
		want = DefaultDomain
	}
	if len(domains) == 0 {
		switch {
		case loginUUID != "" && (strings.EqualFold(want, loginUUID) || strings.EqualFold(want, DefaultDomain)):
			return Domain{Name: DefaultDomain, UUID: loginUUID}, nil
		case strings.EqualFold(want, DefaultDomain) || strings.EqualFold(want, GlobalDomainUUID):
			return Domain{Name: DefaultDomain, UUID: GlobalDomainUUID}, nil
		}
		var avail []Domain
		if loginUUID != "" {
			avail = []Domain{{Name: "(login domain)", UUID: loginUUID}}
		}
		return Domain{}, &DomainError{Wanted: want, Available: avail}
	}
	for _, d := range domains {
		if strings.EqualFold(d.UUID, want) {
			return d, nil
		}
	}
	for _, d := range domains {
		if strings.EqualFold(d.Name, want) {
			return d, nil
		}
	}
	prefixed := DefaultDomain + "/" + strings.TrimPrefix(want, "/")
	for _, d := range domains {
		if strings.EqualFold(d.Name, prefixed) {
			return d, nil
		}
	}
	var found []Domain
	for _, d := range domains {
		if i := strings.LastIndex(d.Name, "/"); i >= 0 && strings.EqualFold(d.Name[i+1:], want) {
			found = append(found, d)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return Domain{}, &DomainError{Wanted: want, Available: append([]Domain(nil), domains...)}
}
