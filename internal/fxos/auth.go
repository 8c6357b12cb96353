package fxos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

const (
	pathLogin  = "/api/login"
	pathLogout = "/api/logout"
)

func (c *Client) current() (string, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token, c.gen
}

// session returns the token, logging in first when there is none.
func (c *Client) session(ctx context.Context) (string, uint64, error) {
	if tok, gen := c.current(); tok != "" {
		return tok, gen, nil
	}
	if err := c.authSem.Enter(ctx); err != nil {
		return "", 0, err
	}
	defer c.authSem.Leave()
	if tok, gen := c.current(); tok != "" {
		return tok, gen, nil
	}
	if err := c.loginLocked(ctx); err != nil {
		return "", 0, err
	}
	tok, gen := c.current()
	return tok, gen, nil
}

// relogin replaces the session that generation gen used, unless another
// caller already did.
func (c *Client) relogin(ctx context.Context, gen uint64) error {
	if err := c.authSem.Enter(ctx); err != nil {
		return err
	}
	defer c.authSem.Leave()
	if tok, cur := c.current(); tok != "" && cur != gen {
		return nil
	}
	return c.loginLocked(ctx)
}

func (c *Client) loginLocked(ctx context.Context) error {
	cl := &call{method: http.MethodPost, path: pathLogin}
	res, err := c.exchange(ctx, cl, nil, func(h http.Header) {
		h.Set("USERNAME", c.username)
		h.Set("PASSWORD", c.password)
	})
	if err != nil {
		return err
	}
	if res.status < 200 || res.status > 299 {
		ae := c.apiError(cl, res)
		if ae.Code == codeAuthFailed || res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
			return &AuthError{Username: c.username, Cause: ae}
		}
		return ae
	}
	var body struct {
		Token         string `json:"token"`
		RefreshPeriod any    `json:"refreshPeriod"`
	}
	if err := json.Unmarshal(res.body, &body); err != nil || strings.TrimSpace(body.Token) == "" {
		return fmt.Errorf("fxos: POST %s: answer %d carries no token; is %s a Firepower Chassis Manager?", pathLogin, res.status, c.base.Host)
	}
	c.addSecret(body.Token)
	c.mu.Lock()
	c.token = body.Token
	c.gen++
	c.mu.Unlock()
	c.log(ctx, "fxos: logged in", map[string]any{"user": c.username, "host": c.base.Host})
	return nil
}

// Login authenticates now rather than on the first call.
func (c *Client) Login(ctx context.Context) error {
	_, _, err := c.session(ctx)
	return err
}

// Logout ends the session. A session the chassis no longer knows (code 555)
// is already over and not an error.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.authSem.Enter(ctx); err != nil {
		return err
	}
	defer c.authSem.Leave()
	tok, _ := c.current()
	if tok == "" {
		return nil
	}
	cl := &call{method: http.MethodPost, path: pathLogout}
	res, err := c.exchange(ctx, cl, nil, func(h http.Header) { h.Set("TOKEN", tok) })
	c.mu.Lock()
	c.token = ""
	c.gen++
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if res.status >= 200 && res.status <= 299 || sessionLost(res) {
		c.log(ctx, "fxos: logged out", map[string]any{"host": c.base.Host})
		return nil
	}
	return c.apiError(cl, res)
}
